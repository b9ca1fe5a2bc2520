"""Keras 3 files written back: ``.keras``, legacy ``.h5`` and ``.weights.h5`` (issue 10, part 3).

The layouts are compared with files Keras 3.15.1 wrote (``fixtures/keras-files``), every
layer kind round-trips bit for bit through our readers, and what Keras cannot express is
refused by name.
"""

from __future__ import annotations

import io
import json
import re
import sys
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

import convlayers
from convlayers import layers as L
from convlayers.geometry import Same, Strict
from convlayers.io import load_keras_model, load_keras_weights, save_model, save_weights
from convlayers.models import callbacks

FIXTURES = Path(__file__).parent / "fixtures" / "keras-files"
KERAS3_FILES = ["cnn2d_channels_last_keras3", "cnn2d_channels_first_keras3", "seq1d_keras3", "vol3d_keras3"]


def keras_models() -> dict[str, tuple[convlayers.Sequential, np.ndarray]]:
    """A model per family of layer kinds, with random weights (biases and BN statistics too), and an input."""
    rng = np.random.default_rng(0)
    models = {
        "seq1d": convlayers.Sequential([
            L.Input((24, 4)),
            L.Conv1D(6, 3, padding="causal", dilation_rate=2, activation="relu", name="causal"),
            L.Conv1D(6, 3, groups=2, padding="same", name="grouped"),
            L.SeparableConv1D(8, 3, depth_multiplier=2, padding="same", activation="elu", name="sep"),
            L.DepthwiseConv1D(3, depth_multiplier=2, strides=2, dilation_rate=1, name="dw"),
            L.Conv1DTranspose(5, 3, strides=2, output_padding=1, name="tr"),
            L.BatchNormalization(name="bn"),
            L.MaxPooling1D(2, name="pool"),
            L.AveragePooling1D(2, padding="same", name="avg"),
            L.UpSampling1D(3, name="up"),
            L.Cropping1D((1, 2), name="crop"),
            L.ZeroPadding1D((2, 1), name="pad"),
            L.GlobalAveragePooling1D(name="gap"),
            L.Dense(3, activation="softmax", name="out"),
        ], name="seq1d"),
        "cnn2d_last": convlayers.Sequential([
            L.Input((14, 13, 4)),
            L.Conv2D(6, 3, strides=2, padding="same", groups=2, activation="relu", name="c1"),
            L.SeparableConv2D(8, (3, 2), dilation_rate=2, padding="same", name="sep"),
            L.DepthwiseConv2D(3, depth_multiplier=2, use_bias=False, name="dw"),
            L.Conv2DTranspose(6, 3, strides=2, padding="same", output_padding=1, name="tr"),
            L.ZeroPadding2D(((1, 0), (2, 1)), name="pad"),
            L.Cropping2D(((2, 0), (1, 1)), name="crop"),
            L.UpSampling2D((2, 1), interpolation="bilinear", name="up"),
            L.BatchNormalization(name="bn"),
            L.Activation("tanh", name="act"),
            L.MaxPooling2D(2, name="pool"),
            L.AveragePooling2D(2, strides=1, padding="same", name="avg"),
            L.Dropout(0.3, name="drop"),
            L.Flatten(name="flat"),
            L.Dense(5, activation="sigmoid", name="out"),
        ], name="cnn2d_last"),
        "cnn2d_first": convlayers.Sequential([
            L.Input((3, 11, 10)),
            L.Conv2D(4, 3, data_format="channels_first", name="c1"),
            L.SeparableConv2D(4, 3, padding="same", data_format="channels_first", name="sep"),
            L.DepthwiseConv2D(2, data_format="channels_first", name="dw"),
            L.Conv2DTranspose(3, 2, strides=2, data_format="channels_first", name="tr"),
            L.UpSampling2D(2, data_format="channels_first", name="up"),
            L.BatchNormalization(axis=1, name="bn"),
            L.MaxPooling2D(2, data_format="channels_first", name="pool"),
            L.GlobalMaxPooling2D(data_format="channels_first", name="gmp"),
            L.Dense(2, name="out"),
        ], name="cnn2d_first"),
        "vol3d": convlayers.Sequential([
            L.Input((6, 7, 8, 2)),
            L.Conv3D(3, 3, padding="same", name="c1"),
            L.Conv3DTranspose(2, 2, strides=(1, 2, 1), name="tr"),
            L.ZeroPadding3D(1, name="pad"),
            L.Cropping3D(((0, 1), (2, 0), (1, 1)), name="crop"),
            L.UpSampling3D((1, 2, 1), name="up"),
            L.MaxPooling3D(2, name="pool"),
            L.AveragePooling3D(2, padding="same", name="avg"),
            L.Flatten(name="flat"),
            L.Reshape((-1, 2), name="reshape"),
            L.GlobalMaxPooling1D(name="gmp"),
            L.Dense(2, name="out"),
        ], name="vol3d"),
    }
    inputs = {}
    for key, model in models.items():
        model.set_weights([
            rng.uniform(0.5, 1.5, w.shape).astype(w.dtype) if "variance" in record.name else rng.normal(size=w.shape).astype(w.dtype)
            for layer in model.layers for record, w in zip(layer.weight_specs, layer.get_weights())
        ])
        inputs[key] = rng.normal(size=(2,) + model.input_shape[1:]).astype("float32")
    return {key: (model, inputs[key]) for key, model in models.items()}


MODELS = keras_models()


def _strip_shared_ids(value):
    """Keras marks objects it serialized twice with `shared_object_id` (a memory address); it carries nothing."""
    if isinstance(value, dict):
        return {k: _strip_shared_ids(v) for k, v in value.items() if k != "shared_object_id"}
    if isinstance(value, list):
        return [_strip_shared_ids(v) for v in value]
    return value


def _hdf5_layout(source, ignore=("model_config", "backend", "training_config")) -> dict:
    """Every group and dataset: kind, attributes (with their HDF5 types), shape and dtype."""
    def attributes(node):
        found = {}
        for name in node.attrs:
            declared = node.attrs.get_id(name)
            value = node.attrs[name]
            value = value.tolist() if isinstance(value, np.ndarray) else value
            found[name] = (str(declared.dtype), declared.shape, str(h5py.check_string_dtype(declared.dtype)),
                           None if name in ignore else value)
        return found

    layout = {}
    with h5py.File(source, "r") as f:
        layout["/"] = attributes(f)
        f.visititems(lambda path, node: layout.__setitem__(
            path, (type(node).__name__, attributes(node), getattr(node, "shape", None), str(getattr(node, "dtype", "")))))
    return layout


# -- what Keras writes ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", KERAS3_FILES)
def test_keras_files_are_written_as_keras_3_writes_them(tmp_path, name):
    model = load_keras_model(FIXTURES / f"{name}.keras")
    model.save(tmp_path / "m.keras")
    model.save(tmp_path / "m.h5")
    theirs, ours = zipfile.ZipFile(FIXTURES / f"{name}.keras"), zipfile.ZipFile(tmp_path / "m.keras")
    members = lambda archive: [(i.filename, i.compress_type, i.external_attr, i.date_time[0] == 1980) for i in archive.infolist()]
    assert members(ours) == members(theirs)
    assert json.loads(ours.read("config.json")) == _strip_shared_ids(json.loads(theirs.read("config.json")))
    metadata = json.loads(ours.read("metadata.json"))
    assert list(metadata) == ["keras_version", "date_saved"] and metadata["keras_version"] == "3.15.1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d", metadata["date_saved"])
    assert _hdf5_layout(io.BytesIO(ours.read("model.weights.h5")), ignore=()) == _hdf5_layout(
        io.BytesIO(theirs.read("model.weights.h5")), ignore=())
    assert _hdf5_layout(tmp_path / "m.h5") == _hdf5_layout(FIXTURES / f"{name}.h5")
    with h5py.File(tmp_path / "m.h5") as f, h5py.File(FIXTURES / f"{name}.h5") as keras:
        assert json.loads(f.attrs["model_config"]) == json.loads(keras.attrs["model_config"])
        # Keras records the backend it ran on (these fixtures: JAX); the layouts are TensorFlow's on all of them.
        assert f.attrs["backend"] == "tensorflow" and f["model_weights"].attrs["backend"] == "tensorflow"
        assert "training_config" not in f.attrs


@pytest.mark.parametrize("name", KERAS3_FILES)
def test_keras_written_weights_files_match_keras_ones_in_a_keras_zip(tmp_path, name):
    model = load_keras_model(FIXTURES / f"{name}.keras")
    model.save_weights(tmp_path / "w.weights.h5")
    keras_weights = io.BytesIO(zipfile.ZipFile(FIXTURES / f"{name}.keras").read("model.weights.h5"))
    assert _hdf5_layout(tmp_path / "w.weights.h5", ignore=()) == _hdf5_layout(keras_weights, ignore=())


# -- every layer kind, both ways -----------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".keras", ".h5", ".hdf5"])
@pytest.mark.parametrize("key", list(MODELS))
def test_every_layer_kind_round_trips_bit_for_bit(tmp_path, key, suffix):
    model, x = MODELS[key]
    path = model.save(tmp_path / f"m{suffix}") or tmp_path / f"m{suffix}"
    loaded = load_keras_model(path)
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert [layer.get_config() for layer in loaded.layers] == [layer.get_config() for layer in model.layers]
    for theirs, ours in zip(loaded.get_weights(), model.get_weights()):
        assert theirs.dtype == ours.dtype and np.array_equal(theirs, ours)
    assert np.array_equal(loaded(x), model(x))
    twin = convlayers.Sequential.from_config(model.get_config())
    load_keras_weights(twin, path)
    assert np.array_equal(twin(x), model(x))


@pytest.mark.parametrize("key", list(MODELS))
def test_weights_files_round_trip(tmp_path, key):
    model, x = MODELS[key]
    save_weights(model, tmp_path / "w.weights.h5")
    twin = convlayers.Sequential.from_config(model.get_config())
    load_keras_weights(twin, tmp_path / "w.weights.h5")
    assert np.array_equal(twin(x), model(x))


def test_keras_zip_layout_has_a_group_per_layer_and_the_inputlayer_entry(tmp_path):
    model, _ = MODELS["seq1d"]
    save_model(model, tmp_path / "m.keras")
    archive = zipfile.ZipFile(tmp_path / "m.keras")
    assert archive.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
    config = json.loads(archive.read("config.json"))
    assert list(config) == ["module", "class_name", "config", "registered_name", "build_config", "compile_config"]
    assert list(config["config"]) == ["name", "trainable", "dtype", "layers", "build_input_shape"]
    first, *entries = config["config"]["layers"]
    assert first == {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None, "config": {
        "batch_shape": [None, 24, 4], "dtype": "float32", "sparse": False, "ragged": False, "name": first["config"]["name"],
        "optional": False}}
    assert list(first["config"]) == ["batch_shape", "dtype", "sparse", "ragged", "name", "optional"]
    # Keras builds its weight-less pooling layers at construction, so writes no build_config for them.
    without = [entry["class_name"] for entry in entries if "build_config" not in entry]
    assert without == ["MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D"]
    bn = next(entry for entry in entries if entry["class_name"] == "BatchNormalization")["config"]
    assert list(bn)[-3:] == ["renorm", "renorm_clipping", "renorm_momentum"] and bn["renorm"] is False
    with h5py.File(io.BytesIO(archive.read("model.weights.h5"))) as f:
        assert sorted(f["layers"]) == ["average_pooling1d", "batch_normalization", "conv1d", "conv1d_1", "conv1d_transpose",
                                       "cropping1d", "dense", "depthwise_conv1d", "global_average_pooling1d",
                                       "max_pooling1d", "separable_conv1d", "up_sampling1d", "zero_padding1d"]
        assert f["vars"].attrs["name"] == "seq1d" and len(f["vars"]) == 0
        assert f["layers/conv1d_1/vars"].attrs["name"] == "grouped"
        assert list(f["layers/batch_normalization/vars"]) == ["0", "1", "2", "3"]
        bn_layer = model.get_layer("bn")
        for index, array in enumerate(bn_layer.get_weights()):  # gamma, beta, moving mean, moving variance
            assert np.array_equal(f[f"layers/batch_normalization/vars/{index}"][()], array)


def test_legacy_h5_layout_lists_layers_and_weight_names(tmp_path):
    model, _ = MODELS["cnn2d_last"]
    save_model(model, tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as f:
        assert sorted(f.attrs) == ["backend", "keras_version", "model_config"]
        assert f.attrs["keras_version"] == "3.15.1"
        config = json.loads(f.attrs["model_config"])
        assert list(config) == ["class_name", "config"]
        assert all(list(entry) == ["class_name", "config"] for entry in config["config"]["layers"])
        weights = f["model_weights"]
        assert list(weights.attrs["layer_names"]) == [layer.name for layer in model.layers]
        assert list(weights["sep"].attrs["weight_names"]) == [
            "cnn2d_last/sep/depthwise_kernel", "cnn2d_last/sep/pointwise_kernel", "cnn2d_last/sep/bias"]
        assert list(weights["dw"].attrs["weight_names"]) == ["cnn2d_last/dw/kernel"]  # use_bias=False
        assert list(weights["bn"].attrs["weight_names"]) == [f"cnn2d_last/bn/{name}" for name in ("gamma", "beta", "moving_mean", "moving_variance")]
        assert weights["pool"].attrs["weight_names"].shape == (0,)
        assert np.array_equal(weights["c1/cnn2d_last/c1/kernel"][()], model.get_layer("c1").get_weights()[0])
        assert weights["top_level_model_weights"].attrs["weight_names"].shape == (0,)


def test_long_name_lists_are_split_as_keras_splits_them(tmp_path):
    # HDF5 keeps an attribute in a 64 KiB object header: Keras splits longer lists into layer_names0, 1...
    model = convlayers.Sequential([L.Input((2,))] + [L.Activation("linear", name=f"a{i:04d}" + "x" * 200) for i in range(400)])
    save_model(model, tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as f:
        attributes = sorted(f["model_weights"].attrs)
        assert "layer_names" not in attributes and "layer_names0" in attributes and "layer_names1" in attributes
    assert [layer.name for layer in load_keras_model(tmp_path / "m.h5").layers] == [layer.name for layer in model.layers]


# -- compiled models -----------------------------------------------------------------------------------
def test_compile_settings_are_written_as_keras_names(tmp_path):
    model = convlayers.Sequential([L.Input((3,)), L.Dense(2, name="d")], name="c")
    model.compile(convlayers.models.optimizers.Adam(1e-4), "categorical_crossentropy", metrics=["accuracy", "mae"])
    save_model(model, tmp_path / "m.keras")
    save_model(model, tmp_path / "m.h5")
    compile_config = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))["compile_config"]
    optimizer = {"module": "keras.optimizers", "class_name": "Adam", "registered_name": None, "config": {
        "name": "adam", "learning_rate": 1e-4, "weight_decay": None, "clipnorm": None, "global_clipnorm": None,
        "clipvalue": None, "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
        "loss_scale_factor": None, "gradient_accumulation_steps": None,  # Keras 3's full optimizer config
        "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False}}
    assert compile_config == {"optimizer": optimizer, "loss": "categorical_crossentropy", "loss_weights": None,
                              "metrics": ["accuracy", "mae"], "weighted_metrics": None, "run_eagerly": False,
                              "steps_per_execution": 1, "jit_compile": False}
    with h5py.File(tmp_path / "m.h5") as f:
        training = json.loads(f.attrs["training_config"])
    assert training["optimizer_config"] == {"class_name": "Adam", "config": optimizer["config"]}
    assert training["loss"] == "categorical_crossentropy" and training["metrics"] == ["accuracy", "mae"]
    assert "optimizer" not in training
    assert np.array_equal(load_keras_model(tmp_path / "m.keras").get_weights()[0], model.get_weights()[0])


def test_a_keras_loss_object_is_serialized_by_its_class():
    model = convlayers.Sequential([L.Input((3,)), L.Dense(2)])
    model.compile("sgd", convlayers.models.losses.SparseCategoricalCrossentropy(from_logits=True))
    loss = convlayers.io.keras_export.keras_compile_config(model)["loss"]
    assert loss["module"] == "keras.losses" and loss["class_name"] == "SparseCategoricalCrossentropy"
    assert loss["config"]["from_logits"] is True


@pytest.mark.parametrize("compile_arguments, message", [
    ({"optimizer": lambda params: torch.optim.SGD(params, lr=0.1), "loss": "mse"}, "optimizer"),
    ({"optimizer": "sgd", "loss": torch.nn.MSELoss()}, "loss"),
    ({"optimizer": "sgd", "loss": lambda t, p: (t - p).abs().mean()}, "loss"),
    ({"optimizer": "sgd", "loss": "mse", "metrics": [lambda t, p: t - p]}, "metric"),
])
def test_compile_settings_keras_cannot_name_are_refused(tmp_path, compile_arguments, message):
    model = convlayers.Sequential([L.Input((3,)), L.Dense(2)], name="m")
    model.compile(**compile_arguments)
    for suffix in (".keras", ".h5"):
        with pytest.raises(ValueError, match=rf"Keras cannot express Sequential 'm''s {message} .*save as \.safetensors"):
            save_model(model, tmp_path / f"m{suffix}")
    assert list(tmp_path.iterdir()) == []
    save_model(model, tmp_path / "m.safetensors")


# -- refusals ------------------------------------------------------------------------------------------
REFUSED = [
    (L.Conv2D(2, 3, padding="causal", name="x"), (None, 8, 8, 1), "padding='causal'"),
    (L.SeparableConv1D(2, 3, padding="causal", name="x"), (None, 8, 1), "padding='causal'"),
    (L.Conv2D(2, 3, padding=((1, 0), (2, 1)), name="x"), (None, 8, 8, 1), "padding=[[1, 0], [2, 1]]"),
    (L.Conv1D(2, 3, padding=1, name="x"), (None, 8, 1), "padding=[[1, 1]]"),
    (L.Conv2D(2, 3, padding="full", name="x"), (None, 8, 8, 1), "padding='full'"),
    (L.Conv2D(2, 3, padding=Same(extra_at="begin"), name="x"), (None, 8, 8, 1), "padding={'class_name': 'Same'"),
    (L.Conv2D(2, 3, padding=Strict(1), name="x"), (None, 8, 8, 1), "padding={'class_name': 'Strict'"),
    (L.MaxPooling2D(2, padding=((1, 0), (0, 1)), name="x"), (None, 8, 8, 1), "padding=[[1, 0], [0, 1]]"),
    (L.Conv2DTranspose(4, 3, groups=2, name="x"), (None, 8, 8, 2), "groups=2"),
    (L.Conv2D(2, 3, strides=2, dilation_rate=2, name="x"), (None, 9, 9, 1), "strides=(2, 2); Keras 3 takes strides of 1 wherever dilation_rate > 1"),
    (L.Conv1DTranspose(2, 3, strides=2, dilation_rate=2, name="x"), (None, 9, 1), "strides=(2,)"),
    (L.UpSampling2D(2, interpolation="gaussian", name="x"), (None, 4, 4, 1), "interpolation='gaussian'"),
    (L.UpSampling3D(2, interpolation="trilinear", name="x"), (None, 4, 4, 4, 1), "interpolation='trilinear'"),
    (L.SeparableConv3D(2, 3, name="x"), (None, 5, 5, 5, 1), "Keras 3 has no SeparableConv3D layer"),
    (L.DepthwiseConv3D(3, name="x"), (None, 5, 5, 5, 1), "Keras 3 has no DepthwiseConv3D layer"),
    (L.SpaceToDepth(2, name="x"), (None, 4, 4, 1), "Keras 3 has no SpaceToDepth layer"),
    (L.MaxPooling2D(2, dilation_rate=(1, 2), name="x"), (None, 8, 8, 1), "dilation_rate=(1, 2)"),
    (L.LPPooling2D(2, name="x"), (None, 8, 8, 1), "Keras 3 has no LPPooling2D layer"),
]


@pytest.mark.parametrize("layer, shape, message", REFUSED, ids=[f"{type(l).__name__}-{m[:24]}" for l, _, m in REFUSED])
def test_what_keras_cannot_express_is_refused_by_name(tmp_path, layer, shape, message):
    model = convlayers.Sequential([L.Input(shape[1:]), layer])
    for path in (tmp_path / "m.keras", tmp_path / "m.h5", tmp_path / "w.weights.h5"):
        with pytest.raises(ValueError, match=rf"^Keras cannot express layer 'x' \({type(layer).__name__}\): .*{re.escape(message)}.*Save as \.safetensors to keep it\.$"):
            (save_weights if path.name.endswith(".weights.h5") else save_model)(model, path)
    assert list(tmp_path.iterdir()) == []
    save_model(model, tmp_path / "m.safetensors")  # the native format keeps it


def test_a_custom_activation_is_refused(tmp_path):
    convlayers.activations.register("twice_for_writer", lambda x: 2 * x)
    model = convlayers.Sequential([L.Input((2,)), L.Dense(1, activation="twice_for_writer", name="x")])
    with pytest.raises(ValueError, match=r"Keras cannot express layer 'x' \(Dense\): activation='twice_for_writer'"):
        save_model(model, tmp_path / "m.keras")


def test_extra_leading_batch_dims_are_refused(tmp_path):
    model = convlayers.Sequential([L.Input((3, 8, 8, 1)), L.Conv2D(2, 3, name="x")])
    with pytest.raises(ValueError, match=re.escape("Keras cannot express layer 'x' (Conv2D): its input (None, 3, 8, 8, 1) has extra leading batch dims")):
        save_model(model, tmp_path / "m.keras")


def test_only_a_sequential_goes_to_a_keras_file(tmp_path):
    layer = L.Dense(2)
    layer.build((None, 3))
    with pytest.raises(TypeError, match="Keras model files hold models: pass a convlayers Sequential .* Received Dense"):
        save_model(layer, tmp_path / "m.keras")


def test_an_unbuilt_model_is_refused(tmp_path):
    with pytest.raises(ValueError, match="it is not built yet"):
        save_model(convlayers.Sequential([L.Dense(2)]), tmp_path / "m.keras")


@pytest.mark.parametrize("name", ["m.pt", "m", "m.json", "m.weights.h5.bak"])
def test_an_unknown_model_extension_is_refused_listing_the_accepted_ones(tmp_path, name):
    model, _ = MODELS["seq1d"]
    with pytest.raises(ValueError, match=re.escape(f"Cannot save a model to '{tmp_path / name}': the extension must be one of .safetensors (convlayers' own format), .keras, .h5 or .hdf5 (Keras 3's files).")):
        model.save(tmp_path / name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["w.h5", "w.keras", "w"])
def test_weights_go_to_safetensors_or_weights_h5(tmp_path, name):
    model, _ = MODELS["seq1d"]
    with pytest.raises(ValueError, match=re.escape("the extension must be .safetensors (convlayers' own format) or .weights.h5 (Keras 3's weights file).")):
        model.save_weights(tmp_path / name)


def test_a_refused_save_keeps_the_old_file(tmp_path):
    model, _ = MODELS["seq1d"]
    model.save(tmp_path / "m.keras")
    before = (tmp_path / "m.keras").read_bytes()
    bad = convlayers.Sequential([L.Input((8, 8, 1)), L.Conv2D(2, 3, padding="full")])
    with pytest.raises(ValueError, match="Keras cannot express"):
        bad.save(tmp_path / "m.keras")
    assert (tmp_path / "m.keras").read_bytes() == before and len(list(tmp_path.iterdir())) == 1


@pytest.mark.parametrize("name", ["m.keras", "m.h5", "w.weights.h5"])
def test_without_h5py_keras_files_ask_for_the_extra(tmp_path, monkeypatch, name):
    monkeypatch.setitem(sys.modules, "h5py", None)  # `import h5py` raises ImportError
    model, _ = MODELS["seq1d"]
    with pytest.raises(ImportError, match=re.escape("Writing Keras .h5 and .keras files needs h5py: pip install 'convlayers[keras]' (or h5py).")):
        (model.save_weights if name.startswith("w") else model.save)(tmp_path / name)
    assert list(tmp_path.iterdir()) == []
    model.save(tmp_path / "m.safetensors")  # the native format needs no h5py


# -- ModelCheckpoint -----------------------------------------------------------------------------------
@pytest.mark.parametrize("filepath, weights_only", [("best.keras", False), ("best.h5", False), ("best.weights.h5", True)])
def test_model_checkpoint_writes_keras_files_by_extension(tmp_path, filepath, weights_only):
    torch.manual_seed(0)
    model = convlayers.Sequential([L.Input((4, 1)), L.Conv1D(2, 2, name="c"), L.Flatten(), L.Dense(1, name="d")])
    model.compile("sgd", "mse")
    x = np.random.default_rng(1).normal(size=(16, 4, 1)).astype("float32")
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / filepath), monitor="loss", save_best_only=True, save_weights_only=weights_only)
    model.fit(x, x[:, :1, 0], epochs=3, verbose=0, callbacks=[checkpoint])
    if weights_only:
        restored = convlayers.Sequential.from_config(model.get_config())
        load_keras_weights(restored, tmp_path / filepath)
    else:
        restored = load_keras_model(tmp_path / filepath)
    # The loss fell every epoch, so the last epoch's weights are the best.
    assert all(np.array_equal(a, b) for a, b in zip(restored.get_weights(), model.get_weights()))
    assert sorted(p.name for p in tmp_path.iterdir()) == [filepath]


@pytest.mark.parametrize("filepath, weights_only, allowed", [
    ("best.pt", False, ".safetensors (convlayers' own format), .keras, .h5 or .hdf5"),
    ("best.keras", True, ".safetensors (convlayers' own format) or .weights.h5"),
])
def test_model_checkpoint_refuses_an_unknown_extension_before_training(filepath, weights_only, allowed):
    with pytest.raises(ValueError, match=re.escape(allowed)):
        callbacks.ModelCheckpoint(filepath, save_weights_only=weights_only)
