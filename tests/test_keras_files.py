"""Real Keras files: ``load_keras_model`` and ``load_keras_weights`` against what Keras computed.

``tests/fixtures/keras-files`` (a copy of ``../shared/fixtures/keras-files``) holds Sequential
models written by Keras 3.15.1 (``.keras`` and legacy ``.h5``) and tf.keras 2.21 (``.h5`` and
``.keras``), each with an ``.npz`` of inputs ``x`` and Keras's outputs ``y``: the oracle. Bad
files are made here by editing copies of those files. The last section reads third-party
Keras 1/2 files from ``../shared/fixtures/external`` and is skipped where that folder is absent.
"""

import io
import json
import re
import shutil
import sys
import zipfile

import h5py
import numpy as np
import pytest

import convlayers
from conftest import FIXTURES, SHARED_FIXTURES
from convlayers import Sequential
from convlayers.io import ModelFileError, load_keras_model, load_keras_weights
from convlayers.io.keras_config import translate_layer_config
from convlayers.io.keras_h5 import keras3_weight_keys

CORPUS = FIXTURES / "keras-files"
RECORDS = json.loads((CORPUS / "files.json").read_text())
LEGACY = SHARED_FIXTURES / "external" / "keras-legacy-files"


def _file_config(path):
    if path.suffix == ".keras":
        return json.loads(zipfile.ZipFile(path).read("config.json"))
    with h5py.File(path) as f:
        return json.loads(f.attrs["model_config"])


def _expected(name):
    arrays = np.load(CORPUS / name)
    return arrays["x"], arrays["y"]


def _h5_copy(name, tmp_path, edit):
    """A copy of a corpus ``.h5`` file, edited in place by ``edit(h5py.File)``."""
    target = tmp_path / name
    shutil.copyfile(CORPUS / name, target)
    with h5py.File(target, "r+") as f:
        edit(f)
    return target


def _keras_copy(name, tmp_path, edit_config=None, edit_weights=None, drop=()):
    """A copy of a corpus ``.keras`` zip with its config and/or weights edited, or members dropped."""
    with zipfile.ZipFile(CORPUS / name) as archive:
        members = {member: archive.read(member) for member in archive.namelist() if member not in drop}
    if edit_config and "config.json" in members:
        config = json.loads(members["config.json"])
        edit_config(config)
        members["config.json"] = json.dumps(config)
    if edit_weights:
        buffer = io.BytesIO(members["model.weights.h5"])
        with h5py.File(buffer, "r+") as f:
            edit_weights(f)
        members["model.weights.h5"] = buffer.getvalue()
    target = tmp_path / name
    with zipfile.ZipFile(target, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return target


def _replace(group, name, shape):
    del group[name]
    group[name] = np.zeros(shape, "float32")


def _save_weights_layout(name, tmp_path, chunk=False, as_bytes=False):
    """tf.keras 2's ``save_weights`` layout from a corpus ``model.save`` file: ``model_weights`` at the root.

    ``chunk`` splits every name list in two numbered attributes, as Keras does past 64 KiB.
    """
    target = tmp_path / f"{name}.weights_only.h5"
    with h5py.File(CORPUS / name) as source, h5py.File(target, "w") as f:
        weights = source["model_weights"]
        for key in weights:
            weights.copy(key, f)
        lists = [(weights, f, "layer_names")] + [(weights[key], f[key], "weight_names") for key in f]
        for source_node, node, attribute in lists:
            names = [n.decode() if isinstance(n, bytes) else n for n in source_node.attrs[attribute]]
            # Keras writes fixed-length byte strings (numpy "S"), which h5py returns undecoded.
            values = np.array([n.encode() for n in names], dtype="S") if as_bytes else names
            node.attrs.pop(attribute, None)
            if chunk and len(values) > 1:
                node.attrs[f"{attribute}0"], node.attrs[f"{attribute}1"] = values[:1], values[1:]
            else:
                node.attrs[attribute] = values
        f.attrs.update(keras_version=weights.attrs["keras_version"], backend=weights.attrs["backend"])
    return target


def _fresh_twin(path):
    """The file's architecture with fresh random weights (no weights from the file)."""
    return Sequential.from_config(load_keras_model(path).get_config())


# -- every file reproduces Keras's output ----------------------------------------------------------
@pytest.mark.parametrize("record", RECORDS, ids=lambda record: record["file"])
def test_reproduces_the_keras_output(record):
    x, y = _expected(record["expected"])
    model = load_keras_model(CORPUS / record["file"])
    np.testing.assert_allclose(model(x), y, rtol=1e-4, atol=1e-6)


def test_the_corpus_covers_both_writers_both_formats_and_every_family():
    writers = {(record["writer"].split()[0], record["file"].rsplit(".", 1)[1]) for record in RECORDS}
    assert writers == {("Keras", "keras"), ("Keras", "h5"), ("tf.keras", "keras"), ("tf.keras", "h5")}
    classes = {entry["class_name"] for r in RECORDS for entry in _file_config(CORPUS / r["file"])["config"]["layers"]}
    families = ("Conv", "SeparableConv", "DepthwiseConv", "Transpose", "Padding", "Cropping", "UpSampling", "Pooling")
    for family in families + ("Dense",):
        assert any(family in name for name in classes), family
    assert {"Conv1D", "Conv2D", "Conv3D"} <= classes


@pytest.mark.parametrize("record", RECORDS, ids=lambda record: record["file"])
def test_layer_classes_and_configs_are_the_files(record):
    path = CORPUS / record["file"]
    model = load_keras_model(path)
    config = _file_config(path)["config"]
    input_entry, *entries = config["layers"]
    assert input_entry["class_name"] == "InputLayer"
    declared = input_entry["config"].get("batch_shape") or input_entry["config"]["batch_input_shape"]
    assert model.input_shape == tuple(declared)
    assert model.name == config["name"]
    assert [type(layer).__name__ for layer in model.layers] == [entry["class_name"] for entry in entries]
    for layer, entry in zip(model.layers, entries):
        ours = json.loads(json.dumps(layer.get_config()))  # tuples become lists, as in the file
        for key, value in translate_layer_config(entry["class_name"], entry["config"]).items():
            if isinstance(value, dict) or key == "dtype":
                continue  # serialized objects and dtype policies: spelled differently per writer
            if value is None and key not in ours:
                continue
            assert ours[key] == value, (layer.name, key)


def test_spot_checks_of_what_the_files_say():
    last = load_keras_model(CORPUS / "cnn2d_channels_last_tfkeras2.h5")
    separable, depthwise, transposed = last.get_layer("sep_b"), last.get_layer("dw_c"), last.get_layer("tr_d")
    assert (separable.filters, separable.depth_multiplier, separable.strides) == (12, 2, (2, 2))
    assert depthwise.get_weights()[0].shape == (3, 3, 12, 2)
    assert transposed.get_config()["output_padding"] == (1, 1)
    assert last.get_layer("up_g").get_config()["interpolation"] == "bilinear"
    first = load_keras_model(CORPUS / "cnn2d_channels_first_keras3.keras")
    assert {layer.get_config()["data_format"] for layer in first.layers} == {"channels_first"}
    assert first.get_layer("c2").get_config()["groups"] == 3
    causal = load_keras_model(CORPUS / "seq1d_keras3.h5").get_layer("k1")
    assert (causal.get_config()["padding"], causal.get_config()["dilation_rate"]) == ("causal", (2,))


def test_weights_are_the_files_datasets_in_weight_names_order():
    model = load_keras_model(CORPUS / "cnn2d_channels_last_tfkeras2.h5")
    with h5py.File(CORPUS / "cnn2d_channels_last_tfkeras2.h5") as f:
        group = f["model_weights/sep_b"]
        stored = [group[name][()] for name in group.attrs["weight_names"]]
    for ours, theirs in zip(model.get_layer("sep_b").get_weights(), stored, strict=True):
        np.testing.assert_array_equal(ours, theirs)


# -- weights-only files into a model built in code -------------------------------------------------
@pytest.mark.parametrize("writer", ["keras3", "tfkeras2"])
@pytest.mark.parametrize("form", ["keras", "h5", "weights.h5", "save_weights", "chunked bytes names"])
def test_load_keras_weights_from_every_layout(writer, form, tmp_path):
    stem = f"cnn2d_channels_last_{writer}"
    x, y = _expected(f"{stem}.npz")
    if form == "weights.h5":  # Keras 3's save_weights: the .keras file's weights member, alone
        path = tmp_path / f"{stem}.weights.h5"
        path.write_bytes(zipfile.ZipFile(CORPUS / f"{stem}.keras").read("model.weights.h5"))
    elif form == "save_weights":
        path = _save_weights_layout(f"{stem}.h5", tmp_path)
    elif form == "chunked bytes names":
        path = _save_weights_layout(f"{stem}.h5", tmp_path, chunk=True, as_bytes=True)
    else:
        path = CORPUS / f"{stem}.{form}"
    model = _fresh_twin(CORPUS / f"{stem}.keras")
    assert not np.allclose(model(x), y, rtol=1e-4, atol=1e-6)
    load_keras_weights(model, path)
    np.testing.assert_allclose(model(x), y, rtol=1e-4, atol=1e-6)


def test_keras3_groups_are_named_after_classes_not_layer_names(tmp_path):
    assert keras3_weight_keys(["Conv2D", "SeparableConv2D", "Conv2D", "Conv2DTranspose", "Conv2D"]) == [
        "conv2d", "separable_conv2d", "conv2d_1", "conv2d_transpose", "conv2d_2",
    ]

    def rename(config):
        for i, layer in enumerate(config["config"]["layers"]):
            layer["config"]["name"] = f"renamed_{i}"

    x, y = _expected("seq1d_keras3.npz")
    model = load_keras_model(_keras_copy("seq1d_keras3.keras", tmp_path, edit_config=rename))
    assert model.layers[0].name == "renamed_1"
    np.testing.assert_allclose(model(x), y, rtol=1e-4, atol=1e-6)


def test_a_failed_load_leaves_the_model_as_it_was(tmp_path):
    model = load_keras_model(CORPUS / "seq1d_tfkeras2.h5")
    before = model.get_weights()
    path = _save_weights_layout("seq1d_keras3.h5", tmp_path)  # one layer more (DepthwiseConv1D) than the model
    counts = r"holds weights for 5 layers \(.k1., .k2., .k2b., .k3., .k6.\) but the model has 4 layers with weights"
    with pytest.raises(ModelFileError, match=counts):
        load_keras_weights(model, path)
    bad = _h5_copy("seq1d_tfkeras2.h5", tmp_path, lambda f: _replace(f["model_weights/k6/k6"], "kernel:0", (3, 3, 5)))
    with pytest.raises(ModelFileError, match=r"layer 'k6' \(Conv1DTranspose\) weight `kernel` must have shape \(3, 3, 6\)"):
        load_keras_weights(model, bad)
    for ours, theirs in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_load_keras_weights_needs_a_built_sequential(tmp_path):
    with pytest.raises(TypeError, match="loads into a convlayers Sequential or functional Model. Received .* Conv2D"):
        load_keras_weights(convlayers.Conv2D(2, 3), CORPUS / "seq1d_keras3.h5")
    with pytest.raises(ValueError, match="it is not built yet"):
        load_keras_weights(Sequential([convlayers.Dense(2)]), CORPUS / "seq1d_keras3.h5")


def test_keras3_weights_for_layers_the_model_lacks(tmp_path):
    model = _fresh_twin(CORPUS / "seq1d_tfkeras2.keras")  # no DepthwiseConv1D
    path = tmp_path / "seq1d.weights.h5"
    path.write_bytes(zipfile.ZipFile(CORPUS / "seq1d_keras3.keras").read("model.weights.h5"))
    with pytest.raises(ModelFileError, match=r"weights for layers the model does not have: \['layers/depthwise_conv1d/vars'\]"):
        load_keras_weights(model, path)


# -- files that cannot load say why ---------------------------------------------------------------
def test_missing_file(tmp_path):
    missing = re.escape(f"Cannot load a Keras model from '{tmp_path / 'none.keras'}': no such file")
    with pytest.raises(FileNotFoundError, match=missing):
        load_keras_model(tmp_path / "none.keras")


@pytest.mark.parametrize("content", [b"", b"not a model, just text\n"])
def test_neither_zip_nor_hdf5(content, tmp_path):
    path = tmp_path / "model.h5"
    path.write_bytes(content)
    neither = re.escape(f"'{path}': it is neither a .keras file") + f".* nor an HDF5 file .*{len(content)} bytes"
    with pytest.raises(ModelFileError, match=neither):
        load_keras_model(path)
    with pytest.raises(ModelFileError, match="it is a directory"):
        load_keras_model(tmp_path)


def test_zip_without_config(tmp_path):
    path = _keras_copy("seq1d_keras3.keras", tmp_path, drop=("config.json",))
    with pytest.raises(ModelFileError, match=r"a zip archive without config.json, so it is not a Keras .keras file"):
        load_keras_model(path)
    path = _keras_copy("seq1d_keras3.keras", tmp_path, drop=("model.weights.h5",))
    with pytest.raises(ModelFileError, match=r"without model.weights.h5"):
        load_keras_model(path)


@pytest.mark.parametrize(
    "removed",
    [
        ("InputLayer",),  # Keras 3 also records `build_input_shape`
        ("InputLayer", "build_input_shape"),  # ... and the top-level `build_config`
        ("InputLayer", "build_input_shape", "top build_config"),  # ... and each layer's `build_config`
    ],
)
def test_the_input_shape_without_an_input_layer(removed, tmp_path):
    def remove(config):
        config["config"]["layers"] = config["config"]["layers"][1:]
        if "build_input_shape" in removed:
            del config["config"]["build_input_shape"]
        if "top build_config" in removed:
            del config["build_config"]

    x, y = _expected("seq1d_keras3.npz")
    model = load_keras_model(_keras_copy("seq1d_keras3.keras", tmp_path, edit_config=remove))
    assert model.input_shape == (None, 40, 4)
    np.testing.assert_allclose(model(x), y, rtol=1e-4, atol=1e-6)


def test_no_input_shape_at_all(tmp_path):
    def remove(f):
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"] = config["config"]["layers"][1:]
        f.attrs.modify("model_config", json.dumps(config))

    with pytest.raises(ModelFileError, match=r"the config does not record the model's input shape"):
        load_keras_model(_h5_copy("seq1d_tfkeras2.h5", tmp_path, remove))


@pytest.mark.parametrize(
    ("text", "message"),
    [("{not json", r"config.json is not valid JSON"), ("[]", r"the model config is not a dict with a `class_name`")],
)
def test_a_config_that_is_not_a_keras_model_config(text, message, tmp_path):
    path = _keras_copy("seq1d_keras3.keras", tmp_path, drop=("config.json",))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("config.json", text)
    with pytest.raises(ModelFileError, match=message):
        load_keras_model(path)


def test_hdf5_without_model_config(tmp_path):
    path = _save_weights_layout("seq1d_keras3.h5", tmp_path)
    with pytest.raises(ModelFileError, match=r"without a `model_config` attribute.*load_keras_weights\(model, path\)"):
        load_keras_model(path)
    empty = tmp_path / "empty.h5"
    h5py.File(empty, "w").close()
    with pytest.raises(ModelFileError, match=r"an HDF5 file with no Keras weights"):
        load_keras_weights(load_keras_model(CORPUS / "seq1d_keras3.h5"), empty)


def test_a_weight_with_the_wrong_shape_names_file_layer_weight_and_shapes(tmp_path):
    def widen_kernel(f):
        _replace(f["model_weights/conv_a/conv_a"], "kernel:0", (3, 3, 4, 8))

    path = _h5_copy("cnn2d_channels_last_tfkeras2.h5", tmp_path, widen_kernel)
    with pytest.raises(ModelFileError) as error:
        load_keras_model(path)
    assert str(error.value) == (
        f"Cannot load a Keras model from '{path}': its weights do not fit the model: layer 'conv_a' (Conv2D) weight "
        f"`kernel` must have shape (3, 3, 3, 8) (Keras layout) but the file's 'conv_a/kernel:0' has shape (3, 3, 4, 8). "
        f"Nothing was loaded."
    )
    def widen_bias(f):
        _replace(f["layers/dense/vars"], "1", (6,))

    path = _keras_copy("cnn2d_channels_last_keras3.keras", tmp_path, edit_weights=widen_bias)
    bias = r"layer 'dense_k' \(Dense\) weight `bias` must have shape \(5,\) .* 'layers/dense/vars/1' has shape \(6,\)"
    with pytest.raises(ModelFileError, match=bias):
        load_keras_model(path)


def test_weight_order_comes_from_weight_names_not_from_hdf5_iteration(tmp_path):
    # h5py lists `bias` before `kernel`; reversing the attribute must put the bias where the kernel goes.
    def reverse(f):
        f["model_weights/k3"].attrs.modify("weight_names", ["k3/bias:0", "k3/kernel:0"])

    path = _h5_copy("seq1d_tfkeras2.h5", tmp_path, reverse)
    with pytest.raises(ModelFileError, match=r"weight `kernel` must have shape \(4, 8, 6\) .* 'k3/bias:0' has shape \(6,\)"):
        load_keras_model(path)


def test_a_missing_or_extra_weight_is_counted(tmp_path):
    def drop_bias_add_weight(f):
        del f["layers/conv1d_1/vars/1"]
        f["layers/up_sampling1d/vars/0"] = np.zeros(2, "float32")

    path = _keras_copy("seq1d_keras3.keras", tmp_path, edit_weights=drop_bias_add_weight)
    with pytest.raises(ModelFileError) as error:
        load_keras_model(path)
    assert (
        "layer 'k3' (Conv1D) has 2 weights [kernel (4, 16, 6), bias (6,)] but the file has 1 at layers/conv1d_1/vars: "
        "['layers/conv1d_1/vars/0']; layer 'k4' (UpSampling1D) has 0 weights [] but the file has 1 at "
        "layers/up_sampling1d/vars: ['layers/up_sampling1d/vars/0']. Nothing was loaded."
    ) in str(error.value)


def test_unknown_layer_class(tmp_path):
    def to_lstm(config):
        config["config"]["layers"][2]["class_name"] = "LSTM"

    path = _keras_copy("seq1d_keras3.keras", tmp_path, edit_config=to_lstm)
    with pytest.raises(ModelFileError, match=r"layer 2 'k2' \(LSTM\): convlayers has no layer class 'LSTM'"):
        load_keras_model(path)


def test_subclassed_models_are_refused(tmp_path):
    path = _h5_copy("seq1d_keras3.h5", tmp_path, lambda f: f.attrs.modify(
        "model_config", json.dumps({**json.loads(f.attrs["model_config"]), "class_name": "MyModel"})
    ))
    with pytest.raises(ModelFileError, match="the model's class is 'MyModel'; Sequential and Functional models can be rebuilt, not subclassed"):
        load_keras_model(path)


@pytest.mark.parametrize("class_name", ["Functional", "Model"])
def test_a_functional_class_needs_a_functional_config(class_name, tmp_path):
    path = _h5_copy("seq1d_keras3.h5", tmp_path, lambda f: f.attrs.modify(
        "model_config", json.dumps({**json.loads(f.attrs["model_config"]), "class_name": class_name})
    ))
    with pytest.raises(ModelFileError, match=r"unknown keys \['build_input_shape', 'dtype'\] in the functional config"):
        load_keras_model(path)


def test_keras1_files_are_refused(tmp_path):
    # Keras 2 files written on Theano load (tests/test_keras2_theano.py); Keras 1 files are the keras1 dialect's.
    attributes = {"keras_version": "1.2.2"}
    path = _h5_copy("seq1d_tfkeras2.h5", tmp_path, lambda f: f.attrs.update(attributes))
    # A model file says Keras 1 and holds a Keras 2 config: the Keras 1 dialect cannot read it.
    with pytest.raises(ModelFileError, match="a Keras 1 Sequential config lists its layers"):
        load_keras_model(path)
    weights = _save_weights_layout("seq1d_tfkeras2.h5", tmp_path)
    with h5py.File(weights, "r+") as f:
        f.attrs.update(attributes)
    with pytest.raises(ModelFileError, match=r"written by Keras 1 \(keras_version='1.2.2'\)"):
        load_keras_weights(load_keras_model(CORPUS / "seq1d_tfkeras2.h5"), weights)


def test_a_config_value_convlayers_does_not_take(tmp_path):
    def quantize(config):
        config["config"]["layers"][-1]["config"]["quantization_config"] = {"mode": "int8"}

    path = _keras_copy("cnn2d_channels_last_keras3.keras", tmp_path, edit_config=quantize)
    message = r"layer 11 'dense_k' \(Dense\): convlayers takes `quantization_config` only as None on Dense"
    with pytest.raises(ModelFileError, match=message):
        load_keras_model(path)


def test_keras_3_15_batch_renormalization_keys():
    # Keras 3.15 writes renorm settings on every BatchNormalization; off, they change nothing.
    config = {"axis": -1, "renorm": False, "renorm_clipping": None, "renorm_momentum": 0.99}
    assert translate_layer_config("BatchNormalization", config) == {"axis": -1}
    with pytest.raises(ValueError, match="convlayers takes `renorm` only as False on BatchNormalization. Received: renorm=True."):
        translate_layer_config("BatchNormalization", {**config, "renorm": True})


# -- the translation table -------------------------------------------------------------------------
def test_tf_keras_2_keys_keras_3_rejects_are_dropped():
    base = {"kernel_size": [3], "groups": 1}
    assert translate_layer_config("DepthwiseConv1D", base) == {"kernel_size": [3]}
    assert translate_layer_config("Conv3DTranspose", {**base, "filters": 2}) == {"kernel_size": [3], "filters": 2}
    separable = {**base, "filters": 2, "kernel_initializer": {"class_name": "GlorotUniform", "config": {}},
                 "kernel_regularizer": None, "kernel_constraint": None}
    assert translate_layer_config("SeparableConvolution2D", separable) == {"kernel_size": [3], "filters": 2}
    # A plain Conv keeps `groups`: it is a real argument there.
    assert translate_layer_config("Conv1D", {**base, "filters": 2}) == {**base, "filters": 2}


def test_input_layer_keys():
    config = {"batch_input_shape": [None, 4], "ragged": False, "optional": False, "sparse": False, "name": "in"}
    assert translate_layer_config("InputLayer", config) == {"batch_shape": [None, 4], "sparse": False, "name": "in"}
    with pytest.raises(ValueError, match="has both `batch_input_shape` and `batch_shape`"):
        translate_layer_config("InputLayer", {"batch_input_shape": [None, 4], "batch_shape": [None, 4]})


# -- third-party Keras 1/2 files (../shared/fixtures/external) --------------------------------------
external = pytest.mark.skipif(not LEGACY.is_dir(), reason=f"external Keras files not found under {LEGACY}")
KERAS2_TENSORFLOW = [
    "conv2d_tensorflow_2.h5", "conv2d_reshape_tensorflow_2.h5", "batch_to_conv2d_tensorflow_2.h5",
    "sepconv2d_tensorflow_2.h5", "simpleconv2d.hdf5",
]


@external
@pytest.mark.parametrize("name", KERAS2_TENSORFLOW)
def test_keras_2_tensorflow_files_load_every_weight_where_it_belongs(name):
    # These files carry no outputs: check that each dataset lands in its layer, in weight_names order.
    model = load_keras_model(LEGACY / name)
    with h5py.File(LEGACY / name) as f:
        weights = f["model_weights"]
        stored = {
            layer: [weights[layer][n][()] for n in weights[layer].attrs["weight_names"]]
            for layer in (n.decode() if isinstance(n, bytes) else n for n in weights.attrs["layer_names"])
        }
    for layer in model.layers:
        for ours, theirs in zip(layer.get_weights(), stored[layer.name], strict=True):
            np.testing.assert_array_equal(ours, theirs)
    x = np.random.rand(2, *model.input_shape[1:]).astype("float32")
    assert model(x).shape == (2, *model.output_shape[1:])


@external
def test_keras_1_weights_do_not_load_into_a_core_model():
    # simple_cnn_tf_weights.h5 is Keras 1's save_weights (no version, Keras 1 layouts): convlayers.keras1's job.
    model = Sequential([convlayers.Input((8, 8, 3)), convlayers.Conv2D(2, (3, 2)), convlayers.Flatten(), convlayers.Dense(3)])
    with pytest.raises(ModelFileError, match=r"written by Keras 1 \(keras_version=None\)"):
        load_keras_weights(model, LEGACY / "simple_cnn_tf_weights.h5")


@external
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("space_to_depth_simple_tensorflow_2.h5", r"\(Lambda\): a Lambda layer holds Python code"),
    ],
)
def test_external_files_out_of_scope_say_why(name, message):
    with pytest.raises(ModelFileError, match=message):
        load_keras_model(LEGACY / name)


@external
def test_a_keras_2_functional_model_file_loads_every_weight():
    # A Keras 2 file whose model class is "Model" (a functional model): every dataset lands in the model.
    path = LEGACY / "simpleconv2d_model.hdf5"
    model = load_keras_model(path)
    with h5py.File(path) as f:
        stored = []
        f["model_weights"].visit(lambda name: stored.append(f["model_weights"][name].size)
                                 if isinstance(f["model_weights"][name], h5py.Dataset) else None)
    assert type(model).__name__ == "Functional"
    assert model.count_params() == sum(stored) == 80135


def test_without_h5py_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)  # as if h5py were not installed
    with pytest.raises(ImportError, match=r"needs h5py: pip install 'convlayers\[keras\]'"):
        load_keras_model(CORPUS / "seq1d_keras3.h5")


@pytest.mark.parametrize("name", ["cnn2d_channels_last_keras3.keras", "seq1d_keras3.h5"])
def test_backend_is_refused_for_keras_3_files(name, tmp_path):
    with pytest.raises(ModelFileError, match="it is a Keras 3 file, whose weights no other backend trained"):
        if name.endswith(".keras"):
            load_keras_model(CORPUS / name, backend="theano")
        else:
            model = load_keras_model(CORPUS / "seq1d_keras3.keras")
            weights = tmp_path / "w.weights.h5"
            model.save_weights(weights)
            load_keras_weights(model, weights, backend="theano")
