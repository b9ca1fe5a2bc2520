"""Real Keras 3 models of every kind, and ``keras.applications`` architectures, against what Keras computed.

``tests/fixtures/keras-models`` (written by ``tests/fixtures/make_keras_models.py`` with
Keras 3.15.1 on JAX) holds Sequential, functional and nested models saved as ``.keras``,
legacy ``.h5`` and, for some, ``.weights.h5``, each with an ``.npz`` of inputs ``x0, x1...``
and Keras's outputs ``y0, y1...``: the oracle. ``tests/fixtures/keras-applications`` holds
the configs of seven ``keras.applications`` models and Keras's outputs for weights set by
a recipe (``files.json``) that this file replays.
"""

import gzip
import io
import json
import shutil
import zipfile
import zlib

import h5py
import numpy as np
import pytest

import convlayers
from conftest import FIXTURES, SHARED_FIXTURES
from convlayers import layers as L
from convlayers.io import ModelFileError, load_keras_model, load_keras_weights
from convlayers.io.keras_config import model_from_keras_config, translate_layer_config, translate_model_config

CORPUS = FIXTURES / "keras-models"
RECORDS = json.loads((CORPUS / "files.json").read_text())
APPLICATIONS = FIXTURES / "keras-applications"
APPLICATION_RECORDS = json.loads((APPLICATIONS / "files.json").read_text())
TF_KERAS_2 = FIXTURES / "keras-files"

RTOL = 1e-4  # the issue's bar: relative to the largest output


def _expected(record):
    arrays = np.load(CORPUS / record["expected"])
    return [arrays[f"x{i}"] for i in range(record["inputs"])], [arrays[f"y{i}"] for i in range(record["outputs"])]


def _outputs(model, inputs):
    outputs = model(inputs if len(inputs) > 1 else inputs[0])
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _assert_reproduces(model, record):
    inputs, expected = _expected(record)
    outputs = _outputs(model, inputs)
    assert len(outputs) == len(expected)
    for got, want in zip(outputs, expected):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL * np.abs(want).max())


# -- every file Keras wrote ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("record", [r for r in RECORDS if r["kind"] == "model"], ids=lambda r: r["file"])
def test_every_corpus_model_reproduces_the_keras_output(record):
    _assert_reproduces(load_keras_model(CORPUS / record["file"]), record)


def test_the_corpus_covers_every_model_kind():
    files = {record["file"] for record in RECORDS}
    for model in ("seq_cnn1d", "seq_cnn2d", "seq_cnn3d", "seq_nested", "fn_residual", "fn_unet", "fn_two_inputs",
                  "fn_two_outputs", "fn_shared", "fn_nested", "fn_merges", "fn_frozen_nested"):
        assert {f"{model}.keras", f"{model}.h5"} <= files
    classes = set()

    def walk(entry):
        classes.add(entry["class_name"])
        for layer in entry["config"].get("layers", []) if isinstance(entry["config"], dict) else []:
            walk(layer)

    for record in RECORDS:
        if record["file"].endswith(".keras"):
            walk(json.loads(zipfile.ZipFile(CORPUS / record["file"]).read("config.json")))
    assert {"ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Rescaling", "Normalization", "SpatialDropout2D",
            "GaussianNoise", "LayerNormalization", "GroupNormalization", "Permute", "RepeatVector", "Masking",
            "BatchNormalization", "Conv2DTranspose", "Add", "Concatenate", "Multiply", "Subtract", "Average",
            "Maximum", "Minimum", "Dot", "Sequential", "Functional", "Lambda"} <= classes


def test_model_kinds_come_back_as_keras_had_them():
    assert type(load_keras_model(CORPUS / "seq_cnn2d.keras")) is convlayers.Sequential
    residual = load_keras_model(CORPUS / "fn_residual.keras")
    assert type(residual).__name__ == "Functional"
    assert [type(layer).__name__ for layer in residual.layers][:2] == ["InputLayer", "Conv2D"]
    nested = load_keras_model(CORPUS / "fn_nested.h5")
    assert [type(layer).__name__ for layer in nested.layers] == [
        "InputLayer", "Sequential", "Functional", "GlobalAveragePooling2D", "Dense"]
    assert nested.get_layer("inner_block").name == "inner_block"
    two = load_keras_model(CORPUS / "fn_two_inputs.keras")
    assert two.input_names == ["image", "extra"]
    shared = load_keras_model(CORPUS / "fn_shared.keras")
    assert len([layer for layer in shared.layers if layer.name == "shared_conv"]) == 1  # one layer, called twice


# -- weights-only files into models built in code ---------------------------------------------------------------
def _seq_cnn1d():
    return convlayers.Sequential([
        convlayers.Input((16, 3)), L.Conv1D(4, 3, padding="same"), L.BatchNormalization(), L.ReLU(),
        L.MaxPooling1D(2), L.Conv1D(5, 3), L.LeakyReLU(negative_slope=0.2),
        L.ReLU(max_value=1.5, threshold=0.1, negative_slope=0.05), L.GlobalAveragePooling1D(), L.Dense(3), L.Softmax(),
    ])


def _seq_cnn2d():
    return convlayers.Sequential([
        convlayers.Input((10, 10, 3)), L.Rescaling(scale=0.5, offset=-1.0), L.Conv2D(4, 3), L.BatchNormalization(),
        L.PReLU(shared_axes=[1, 2]), L.SpatialDropout2D(0.3), L.Conv2D(6, 3, strides=2, padding="same"),
        L.ELU(alpha=0.5), L.GaussianNoise(0.1), L.LayerNormalization(), L.DepthwiseConv2D(3, depth_multiplier=2),
        L.Flatten(), L.Dense(4), L.Softmax(axis=-1),
    ])


def _seq_nested():
    inner = convlayers.Sequential([L.Conv2D(3, 3, padding="same"), L.ReLU()])
    inputs = convlayers.Input((8, 8, 2))
    x = L.Conv2D(4, 3)(inputs)
    x = inner(x)
    return convlayers.Model(inputs, L.Dense(2)(L.Flatten()(x)))


def _fn_residual():
    inputs = convlayers.Input((8, 8, 4))
    x = L.Conv2D(4, 3, padding="same")(inputs)
    x = L.ReLU()(L.BatchNormalization()(x))
    x = L.Conv2D(4, 3, padding="same")(x)
    x = L.ReLU()(L.Add()([x, inputs]))
    return convlayers.Model(inputs, L.Dense(3)(L.GlobalAveragePooling2D()(x)))


def _fn_two_inputs():
    image, extra = convlayers.Input((8, 8, 1)), convlayers.Input((5,))
    x = L.Flatten()(L.Conv2D(3, 3)(image))
    y = L.Dense(4, activation="tanh")(extra)
    return convlayers.Model([image, extra], L.Dense(2)(L.Concatenate()([x, y])))


def _fn_nested():
    inner = convlayers.Sequential([convlayers.Input((8, 8, 3)), L.Conv2D(4, 3, padding="same"),
                                   L.BatchNormalization(), L.ReLU()])
    block_input = convlayers.Input((8, 8, 4))
    block = convlayers.Model(block_input, L.Add()([L.Conv2D(4, 3, padding="same")(block_input), block_input]))
    inputs = convlayers.Input((8, 8, 3))
    x = block(block(inner(inputs)))
    return convlayers.Model(inputs, L.Dense(2)(L.GlobalAveragePooling2D()(x)))


def _fn_frozen_nested():
    frozen = L.Conv2D(3, 1, name="frozen_conv")
    frozen.trainable = False
    inner = convlayers.Sequential([L.Conv2D(4, 3, padding="same"), L.BatchNormalization(), frozen, L.Conv2D(2, 1)])
    inputs = convlayers.Input((6, 6, 2))
    return convlayers.Model(inputs, L.Dense(2)(L.Flatten()(inner(inputs))))


BUILT_IN_CODE = {"seq_cnn1d": _seq_cnn1d, "seq_cnn2d": _seq_cnn2d, "seq_nested": _seq_nested,
                 "fn_residual": _fn_residual, "fn_two_inputs": _fn_two_inputs, "fn_nested": _fn_nested,
                 "fn_frozen_nested": _fn_frozen_nested}


@pytest.mark.parametrize("record", [r for r in RECORDS if r["kind"] == "weights"], ids=lambda r: r["file"])
def test_keras_3_weights_files_load_into_models_built_in_code(record):
    model = BUILT_IN_CODE[record["model"]]()
    load_keras_weights(model, CORPUS / record["file"])
    _assert_reproduces(model, record)


@pytest.mark.parametrize("model_name", sorted(BUILT_IN_CODE))
def test_legacy_h5_weights_load_into_models_built_in_code(model_name):
    # The model_weights group of `model.save("x.h5")`: nested models' weights split among their layers.
    model = BUILT_IN_CODE[model_name]()
    load_keras_weights(model, CORPUS / f"{model_name}.h5")
    _assert_reproduces(model, next(r for r in RECORDS if r["file"] == f"{model_name}.h5"))


def test_a_failed_weights_load_into_a_functional_model_changes_nothing(tmp_path):
    model = _fn_nested()
    before = [w.copy() for w in model.get_weights()]
    target = tmp_path / "bad.weights.h5"
    shutil.copyfile(CORPUS / "fn_nested.weights.h5", target)
    with h5py.File(target, "r+") as f:  # the last layer's kernel the wrong shape: found after the nested ones
        del f["layers/dense/vars/0"]
        f["layers/dense/vars/0"] = np.zeros((5, 2), "float32")
    with pytest.raises(ModelFileError, match=r"layer 'dense\w*' \(Dense\) weight `kernel` must have shape \(4, 2\)"):
        load_keras_weights(model, target)
    assert all((a == b).all() for a, b in zip(model.get_weights(), before))


def test_nested_weights_for_a_layer_the_model_lacks_are_refused(tmp_path):
    target = tmp_path / "extra.weights.h5"
    shutil.copyfile(CORPUS / "fn_nested.weights.h5", target)
    with h5py.File(target, "r+") as f:
        f["layers/sequential/layers/conv2d_9/vars/0"] = np.zeros(3, "float32")
    with pytest.raises(ModelFileError, match=r"layers the model does not have: \['layers/sequential/layers/conv2d_9/vars'\]"):
        load_keras_weights(_fn_nested(), target)


def test_a_nested_models_legacy_weights_are_counted(tmp_path):
    target = tmp_path / "short.h5"
    shutil.copyfile(CORPUS / "fn_nested.h5", target)
    with h5py.File(target, "r+") as f:
        group = f["model_weights/inner_sequential"]
        group.attrs["weight_names"] = list(group.attrs["weight_names"])[:-1]
    with pytest.raises(ModelFileError, match=r"nested model 'inner_sequential' has 6 weights but the file has 5"):
        load_keras_model(target)


def test_a_nested_layer_asking_for_more_memory_than_the_file_holds_is_refused_before_any_is_taken(tmp_path):
    def edit(config):
        inner = next(e for e in config["config"]["layers"] if e["name"] == "inner_sequential")
        conv = next(e for e in inner["config"]["layers"] if e["class_name"] == "Conv2D")
        conv["config"]["kernel_size"] = [3000, 3000]  # 1e8 kernel values, padded 'same': sized on meta, never allocated

    with pytest.raises(ModelFileError, match=r"its architecture needs \d+ bytes of weights, more than a file of"):
        load_keras_model(_edited_keras(tmp_path, "fn_nested.keras", edit))


# -- what cannot be rebuilt ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_lambda_layer_is_refused_saying_why(suffix):
    with pytest.raises(ModelFileError, match=r"\(Lambda\): a Lambda layer holds Python code \(a marshalled function\), "
                                             r"which convlayers never runs from a model file"):
        load_keras_model(CORPUS / f"seq_lambda{suffix}")


def _edited_keras(tmp_path, name, edit):
    with zipfile.ZipFile(CORPUS / name) as archive:
        members = {member: archive.read(member) for member in archive.namelist()}
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    target = tmp_path / name
    with zipfile.ZipFile(target, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return target


def _inner_layer(config, nested, index):
    return next(e for e in config["config"]["layers"] if e["name"] == nested)["config"]["layers"][index]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda entry: entry.update(class_name="LSTM"),
         r"layer 1 'conv2d' \(LSTM\) of layer 1 'inner_sequential' \(Sequential\): convlayers has no layer class 'LSTM' "
         r"\(a Keras layer it does not implement"),
        (lambda entry: entry.update(class_name="MyBlock", module="my_package.blocks", registered_name="my_package>MyBlock"),
         r"\(MyBlock\) of layer 1 'inner_sequential' \(Sequential\): a custom class registered in Keras "
         r"\(my_package>MyBlock\), whose code the file does not hold"),
        (lambda entry: entry.update(class_name="Lambda"), r"\(Lambda\) of layer 1 'inner_sequential' .*: a Lambda layer"),
    ],
    ids=["keras-layer", "custom-class", "lambda"],
)
def test_an_unknown_class_inside_a_nested_model_says_what_it_is_and_where(edit, message, tmp_path):
    path = _edited_keras(tmp_path, "fn_nested.keras", lambda config: edit(_inner_layer(config, "inner_sequential", 1)))
    with pytest.raises(ModelFileError, match=message):
        load_keras_model(path)


def test_a_subclassed_nested_model_is_refused(tmp_path):
    def edit(config):
        entry = next(e for e in config["config"]["layers"] if e["name"] == "inner_block")
        entry.update(class_name="ResidualBlock", module="my_models", registered_name="Custom>ResidualBlock")

    with pytest.raises(ModelFileError, match=r"'inner_block' \(ResidualBlock\): a custom class registered in Keras"):
        load_keras_model(_edited_keras(tmp_path, "fn_nested.keras", edit))


# -- configs: every key Keras writes at its default is taken ---------------------------------------------------
def _layer_entries():
    """Every layer entry (nested models walked) of the corpus, the applications and the tf.keras 2 files."""
    configs = [json.loads(zipfile.ZipFile(path).read("config.json"))
               for folder in (CORPUS, TF_KERAS_2) for path in sorted(folder.glob("*.keras"))]
    for folder in (CORPUS, TF_KERAS_2):
        for path in sorted(folder.glob("*.h5")):
            with h5py.File(path) as f:
                if "model_config" in f.attrs:
                    configs.append(json.loads(f.attrs["model_config"]))
    configs += [json.load(gzip.open(APPLICATIONS / record["config"], "rt")) for record in APPLICATION_RECORDS]
    entries = {}

    def walk(entry):
        layers = entry["config"].get("layers") if isinstance(entry["config"], dict) else None
        if isinstance(layers, list):
            for layer in layers:
                walk(layer)
        elif entry["class_name"] != "Lambda":
            entries.setdefault((entry["class_name"], tuple(sorted(entry["config"]))), entry)

    for config in configs:
        walk(config)
    return list(entries.values())


@pytest.mark.parametrize("entry", _layer_entries(), ids=lambda e: e["class_name"])
def test_every_key_keras_writes_is_taken_and_kept(entry):
    config = translate_layer_config(entry["class_name"], entry["config"])
    layer = convlayers.layers.deserialize_layer({"class_name": entry["class_name"], "config": config})
    rebuilt = layer.get_config()
    # The layer's own config keeps every key it was given (values may come back canonicalised), but for
    # None-valued ones it leaves out and the input shape a first layer passes on to the model.
    dropped = set(config) - set(rebuilt) - {"batch_input_shape", "batch_shape"}
    assert {key: config[key] for key in dropped if config[key] is not None} == {}


def test_tf_keras_2_spatial_dropout_writes_its_dropout_base_keys():
    config = {"name": "s", "trainable": True, "dtype": "float32", "rate": 0.2, "noise_shape": None, "seed": None}
    assert translate_layer_config("SpatialDropout2D", config) == {"name": "s", "dtype": "float32", "rate": 0.2, "seed": None}
    with pytest.raises(ValueError, match=r"takes `noise_shape` only as None on SpatialDropout1D"):
        translate_layer_config("SpatialDropout1D", {**config, "noise_shape": [None, 1, 4]})


#: Layer configs as tf.keras 2.15 writes them at their defaults (its get_config keys; no tf.keras 2 file of these here).
_TF2 = {"trainable": True, "dtype": "float32"}
_TF2_INIT = {"class_name": "Zeros", "config": {}}
TF_KERAS_2_CONFIGS = {
    "ReLU": ({"max_value": None, "negative_slope": 0.0, "threshold": 0.0}, (2, 3)),
    "LeakyReLU": ({"alpha": 0.3}, (2, 3)),
    "ELU": ({"alpha": 1.0}, (2, 3)),
    "Softmax": ({"axis": -1}, (2, 3)),
    "PReLU": ({"alpha_initializer": _TF2_INIT, "alpha_regularizer": None, "alpha_constraint": None,
               "shared_axes": None}, (2, 3)),
    "Dropout": ({"rate": 0.5, "noise_shape": None, "seed": None}, (2, 3)),
    "SpatialDropout1D": ({"rate": 0.5, "noise_shape": None, "seed": None}, (2, 4, 3)),
    "SpatialDropout2D": ({"rate": 0.5, "noise_shape": None, "seed": None}, (2, 4, 4, 3)),
    "SpatialDropout3D": ({"rate": 0.5, "noise_shape": None, "seed": None}, (2, 4, 4, 4, 3)),
    "GaussianNoise": ({"stddev": 0.1, "seed": None}, (2, 3)),
    "BatchNormalization": ({"axis": [3], "momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True,
                            "beta_initializer": _TF2_INIT, "gamma_initializer": {"class_name": "Ones", "config": {}},
                            "moving_mean_initializer": _TF2_INIT,
                            "moving_variance_initializer": {"class_name": "Ones", "config": {}},
                            "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
                            "gamma_constraint": None}, (2, 4, 4, 3)),
    "LayerNormalization": ({"axis": [1], "epsilon": 0.001, "center": True, "scale": True, "beta_initializer": _TF2_INIT,
                            "gamma_initializer": {"class_name": "Ones", "config": {}}, "beta_regularizer": None,
                            "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None}, (2, 3)),
    "GroupNormalization": ({"groups": 3, "axis": -1, "epsilon": 0.001, "center": True, "scale": True,
                            "beta_initializer": _TF2_INIT, "gamma_initializer": {"class_name": "Ones", "config": {}},
                            "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
                            "gamma_constraint": None}, (2, 4, 3)),
    "Normalization": ({"axis": [-1], "invert": False, "mean": None, "variance": None}, (2, 3)),
    "Rescaling": ({"scale": 0.5, "offset": 0.0}, (2, 3)),
    "Permute": ({"dims": [2, 1]}, (2, 4, 3)),
    "RepeatVector": ({"n": 2}, (2, 3)),
    "Masking": ({"mask_value": 0.0}, (2, 4, 3)),
    "Flatten": ({"data_format": "channels_last"}, (2, 4, 3)),
    "GlobalAveragePooling2D": ({"data_format": "channels_last", "keepdims": False}, (2, 4, 4, 3)),
    "Add": ({}, [(2, 3), (2, 3)]),
    "Subtract": ({}, [(2, 3), (2, 3)]),
    "Multiply": ({}, [(2, 3), (2, 3)]),
    "Average": ({}, [(2, 3), (2, 3)]),
    "Maximum": ({}, [(2, 3), (2, 3)]),
    "Minimum": ({}, [(2, 3), (2, 3)]),
    "Concatenate": ({"axis": -1}, [(2, 3), (2, 3)]),
    "Dot": ({"axes": 1, "normalize": False}, [(2, 3), (2, 3)]),
}


@pytest.mark.parametrize("class_name", sorted(TF_KERAS_2_CONFIGS))
def test_tf_keras_2_layer_configs_at_their_defaults_are_taken_without_warnings(class_name, recwarn):
    own, shape = TF_KERAS_2_CONFIGS[class_name]
    config = translate_layer_config(class_name, {"name": "tf2", **_TF2, **own})
    layer = convlayers.layers.deserialize_layer({"class_name": class_name, "config": config})
    inputs = [np.ones(s, "float32") for s in shape] if isinstance(shape, list) else np.ones(shape, "float32")
    assert np.all(np.isfinite(layer(inputs)))
    assert not [str(w.message) for w in recwarn if "deprecated" in str(w.message)]
    if class_name == "LeakyReLU":
        assert layer.get_config()["negative_slope"] == 0.3


def test_translation_reaches_nested_models_and_keeps_the_graph():
    config = json.loads(zipfile.ZipFile(CORPUS / "fn_nested.keras").read("config.json"))
    translated = translate_model_config(config)
    assert [e["inbound_nodes"] for e in translated["config"]["layers"]] == [
        e["inbound_nodes"] for e in config["config"]["layers"]]
    inner = next(e for e in translated["config"]["layers"] if e["name"] == "inner_sequential")
    bn = next(e for e in inner["config"]["layers"] if e["class_name"] == "BatchNormalization")
    assert not {"renorm", "renorm_clipping", "renorm_momentum"} & set(bn["config"])


# -- keras.applications with recipe weights ---------------------------------------------------------------------
def _recipe_weights(model, recipes):
    """Set each layer's weights as the generator did: values drawn from (crc32 of the layer name, index)."""
    for name, rows in recipes.items():
        layer = model.get_layer(name)
        current = layer.get_weights()
        values = []
        for index, (variable, shape, kind, *arguments) in enumerate(rows):
            rng = np.random.default_rng([zlib.crc32(name.encode()), index])
            assert tuple(current[index].shape) == tuple(shape), (name, variable)
            if kind == "keep":
                values.append(current[index])
            elif kind == "uniform":
                values.append(rng.uniform(arguments[0], arguments[1], size=shape).astype("float32"))
            else:
                values.append((rng.standard_normal(size=shape) * arguments[0]).astype("float32"))
        layer.set_weights(values)


@pytest.mark.parametrize("record", APPLICATION_RECORDS, ids=lambda r: r["model"])
def test_keras_applications_reproduce_the_keras_output(record):
    with gzip.open(APPLICATIONS / record["config"], "rt") as handle:
        model = model_from_keras_config(json.load(handle))
    assert model.count_params() == record["parameters"]
    _recipe_weights(model, record["recipes"])
    arrays = np.load(APPLICATIONS / record["expected"])
    got = model(arrays["x"])
    np.testing.assert_allclose(got, arrays["y"], rtol=RTOL, atol=RTOL * np.abs(arrays["y"]).max())


def test_the_applications_are_the_seven_the_issue_names():
    assert {record["keras_class"] for record in APPLICATION_RECORDS} == {
        "MobileNet", "MobileNetV2", "ResNet50", "VGG16", "Xception", "DenseNet121", "EfficientNetB0"}


# -- writing: functional and nested models as Keras 3.15 writes them ------------------------------------------
FUNCTIONAL = [r for r in RECORDS if r["kind"] == "model" and r["file"].endswith(".keras") and r["model"].startswith("fn")]


def _without_bookkeeping(value):
    """A config without what Keras adds for its own bookkeeping: ``shared_object_id``, a nested call's ``mask: None``."""
    if isinstance(value, dict):
        kept = {key: _without_bookkeeping(item) for key, item in value.items() if key != "shared_object_id"}
        if set(kept) == {"args", "kwargs"} and kept["kwargs"] == {"mask": None}:
            kept["kwargs"] = {}
        return kept
    if isinstance(value, list):
        return [_without_bookkeeping(item) for item in value]
    return value


@pytest.mark.parametrize("record", FUNCTIONAL + [r for r in RECORDS if r["file"] == "seq_nested.keras"],
                         ids=lambda r: r["model"])
def test_the_functional_config_we_write_is_the_one_keras_wrote(record):
    from convlayers.io.keras_export import keras_model_config, legacy_model_config

    model = load_keras_model(CORPUS / record["file"])
    keras_config = json.loads(zipfile.ZipFile(CORPUS / record["file"]).read("config.json"))
    assert _without_bookkeeping(keras_model_config(model)) == _without_bookkeeping(keras_config)
    with h5py.File(CORPUS / f"{record['model']}.h5") as f:
        legacy = json.loads(f.attrs["model_config"])
    assert _without_bookkeeping(legacy_model_config(model)) == _without_bookkeeping(legacy)


@pytest.mark.parametrize("record", FUNCTIONAL + [r for r in RECORDS if r["file"] == "seq_nested.keras"],
                         ids=lambda r: r["model"])
def test_functional_and_nested_models_round_trip_through_every_keras_form(record, tmp_path):
    from convlayers.io.keras_writer import save_keras_model, save_keras_weights

    model = load_keras_model(CORPUS / record["file"])
    for suffix in (".keras", ".h5"):
        _assert_reproduces(load_keras_model(save_keras_model(model, tmp_path / f"m{suffix}")), record)
    again = load_keras_model(CORPUS / record["file"])
    for weights in again.weights:
        weights.data.zero_()
    load_keras_weights(again, save_keras_weights(model, tmp_path / "m.weights.h5"))
    _assert_reproduces(again, record)


def test_our_weights_files_have_keras_s_groups(tmp_path):
    from convlayers.io.keras_writer import save_keras_weights

    model = load_keras_model(CORPUS / "fn_nested.keras")
    ours, theirs = [], []
    with h5py.File(save_keras_weights(model, tmp_path / "m.weights.h5")) as f:
        f.visit(ours.append)
    with h5py.File(CORPUS / "fn_nested.weights.h5") as f:
        f.visit(theirs.append)
    assert sorted(ours) == sorted(theirs)


def test_a_legacy_h5_keeps_a_nested_models_trainable_weights_first(tmp_path):
    from convlayers.io.keras_writer import save_keras_model

    model = load_keras_model(CORPUS / "fn_frozen_nested.keras")
    with h5py.File(save_keras_model(model, tmp_path / "m.h5")) as f:
        ours = [name.split("/", 1)[1] for name in f["model_weights/inner_mixed"].attrs["weight_names"]]
    with h5py.File(CORPUS / "fn_frozen_nested.h5") as f:
        theirs = list(f["model_weights/inner_mixed"].attrs["weight_names"])
    assert ours == theirs  # conv, BN gamma/beta, last conv; then BN statistics and the frozen conv


# -- tf.keras 2's functional format ---------------------------------------------------------------------------
def _tf_keras_2_dtypes(value):
    """Keras 3's dtype policy dicts as the plain dtype names tf.keras 2 writes."""
    if isinstance(value, dict):
        if value.get("class_name") == "DTypePolicy":
            return value["config"]["name"]
        return {key: _tf_keras_2_dtypes(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_tf_keras_2_dtypes(item) for item in value]
    return value


def _as_tf_keras_2(config):
    """A Keras 3 functional ``model_config`` in tf.keras 2's form: ``Model`` class, list inbound nodes, node counts
    that include a nested model's own graph as its node 0, ``batch_input_shape``, dtype names."""
    layers = config["layers"]
    models = {entry["name"] for entry in layers if entry["class_name"] in ("Sequential", "Functional")}
    sequentials = {entry["name"] for entry in layers if entry["class_name"] == "Sequential"}

    def histories(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            return [value["config"]["keras_history"]]
        if isinstance(value, list):
            return [history for item in value for history in histories(item)]
        return []

    converted = []
    for entry in layers:
        layer_config = entry["config"]
        if entry["class_name"] == "Functional":
            layer_config = _as_tf_keras_2(layer_config)
        if entry["class_name"] == "InputLayer":
            layer_config = {"batch_input_shape": layer_config["batch_shape"], "dtype": "float32", "sparse": False,
                            "ragged": False, "name": layer_config["name"]}
        nodes = [[[name, index + (name in models), tensor, {}] for name, index, tensor in histories(node["args"])]
                 for node in entry["inbound_nodes"]]
        converted.append({"class_name": "Model" if entry["class_name"] == "Functional" else entry["class_name"],
                          "config": _tf_keras_2_dtypes(layer_config), "name": entry["name"], "inbound_nodes": nodes})

    def refs(value):
        value = value if isinstance(value[0], list) else [value]
        return [[name, index + (name in sequentials), tensor] for name, index, tensor in value]

    return {"name": config["name"], "layers": converted, "input_layers": refs(config["input_layers"]),
            "output_layers": refs(config["output_layers"])}


@pytest.mark.parametrize("record", FUNCTIONAL, ids=lambda r: r["model"])
def test_tf_keras_2_functional_configs_load(record, tmp_path):
    target = tmp_path / "tf_keras_2.h5"
    shutil.copyfile(CORPUS / f"{record['model']}.h5", target)
    with h5py.File(target, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        f.attrs["model_config"] = json.dumps({"class_name": "Model", "config": _as_tf_keras_2(config["config"])})
        f.attrs["keras_version"] = f["model_weights"].attrs["keras_version"] = "2.15.0"
        f.attrs["backend"] = f["model_weights"].attrs["backend"] = "tensorflow"
    _assert_reproduces(load_keras_model(target), record)


@pytest.mark.parametrize("record", APPLICATION_RECORDS, ids=lambda r: r["model"])
def test_application_weights_sit_where_keras_files_keep_them(record):
    # Keras's weight files for these models are too big to commit; where it put each weight is recorded instead.
    from convlayers.io.keras_layout import keras3_paths, legacy_weight_order, weight_count

    with gzip.open(APPLICATIONS / record["config"], "rt") as handle:
        model = model_from_keras_config(json.load(handle))
    keras3 = {f"{path}/vars/{index}": list(spec.keras_shape)
              for path, layer in keras3_paths(model) for index, spec in enumerate(layer.weight_specs)}
    assert keras3 == record["keras3_weights"]
    legacy = [[layer.name, [list(leaf.weight_specs[index].keras_shape) for leaf, index in legacy_weight_order(layer)]]
              for layer in model.layers if weight_count(layer)]
    assert legacy == record["legacy_weights"]


def test_a_keras_sequential_nesting_a_sequential_loads_as_one():
    for suffix in (".keras", ".h5"):
        model = load_keras_model(CORPUS / f"seq_nested{suffix}")
        assert type(model).__name__ == "Sequential"
        assert [(layer.name, type(layer).__name__) for layer in model.layers] == [
            ("conv2d_1", "Conv2D"), ("inner", "Sequential"), ("flatten", "Flatten"), ("dense", "Dense")]
        assert [layer.name for layer in model.get_layer("inner").layers] == ["conv2d", "re_lu"]
