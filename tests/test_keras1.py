"""The Keras 1 dialect against Keras 1.2.2's semantics: files it wrote, reference B1-B7, the seed page's examples."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

import convlayers
from conftest import SHARED_FIXTURES
from convlayers import keras1
from convlayers.io import ModelFileError, load_keras_weights

FILES = Path(__file__).parent / "fixtures" / "keras1-files"
RECORDS = json.loads((FILES / "files.json").read_text())


@pytest.fixture(autouse=True)
def keras1_defaults():
    """Each test starts from Keras 1.2's built-in settings (tf ordering, TensorFlow backend)."""
    with keras1.backend.settings(image_dim_ordering="tf", backend="tensorflow"):
        yield


def _expected(record):
    data = np.load(FILES / record["expected"])
    return data["x"], data["y"]


# -- files written by Keras 1.2.2 ----------------------------------------------------------------
@pytest.mark.parametrize("record", [r for r in RECORDS if r["kind"] == "model"], ids=lambda r: r["file"])
def test_model_files_reproduce_their_outputs(record):
    model = convlayers.load_keras_model(FILES / record["file"])
    x, y = _expected(record)
    np.testing.assert_allclose(model.predict(x), y, rtol=1e-4, atol=1e-5)
    assert isinstance(model, keras1.Sequential) and [type(layer).__name__ for layer in model.layers] == record["layers"]
    convolutions = [layer for layer in model.layers if hasattr(layer, "backend") and layer.weights]
    assert {layer.backend for layer in convolutions} == {record["backend"]}  # told by the weights' names


@pytest.mark.parametrize("record", [r for r in RECORDS if r["kind"] == "weights"], ids=lambda r: r["file"])
def test_weights_files_load_into_the_model_built_from_its_json(record):
    model = keras1.model_from_json(record["model_config"], backend=record["backend"])
    assert model.input_shape[1:] == tuple(record["input_shape"]) and model.output_shape[1:] == tuple(record["output_shape"])
    load_keras_weights(model, FILES / record["file"])
    x, y = _expected(record)
    np.testing.assert_allclose(model.predict(x), y, rtol=1e-4, atol=1e-5)


def test_weights_trained_on_another_backend_are_refused_with_the_remedy():
    record = next(r for r in RECORDS if r["kind"] == "weights" and r["backend"] == "theano")
    model = keras1.model_from_json(record["model_config"], backend="tensorflow")
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ModelFileError, match=r"trained on theano \(by their names\).*backend='theano'"):
        load_keras_weights(model, FILES / record["file"])
    assert all((a == b).all() for a, b in zip(before, model.get_weights()))  # nothing half-loaded


def test_the_backend_argument_overrides_the_names():
    record = next(r for r in RECORDS if r["file"] == "th_tf_atrous_upsampling_weights.h5")
    model = keras1.model_from_json(record["model_config"], backend="tensorflow")
    load_keras_weights(model, FILES / record["file"], backend="tensorflow")  # trusted over the names
    x, y = _expected(record)
    assert not np.allclose(model.predict(x), y, rtol=1e-4, atol=1e-5)  # correlating Theano's kernels is wrong
    theano = convlayers.load_keras_model(FILES / "th_th_cnn2d_model.h5", backend="theano")
    assert {layer.backend for layer in theano.layers if hasattr(layer, "backend")} == {"theano"}


# -- reference B2.2: where the padding goes, and true convolution on Theano ---------------------------------
@pytest.mark.parametrize(
    "border_mode, x, w, stride, tf_result, theano_result",
    [
        ("same", [1, 2, 3, 4, 5], [1, 2], 1, [5, 8, 11, 14, 5], [1, 4, 7, 10, 13]),
        ("valid", [1, 2, 3, 4], [1, 2, 3], 1, [14, 20], [10, 16]),
        ("same", [1, 2, 3, 4], [1, 10, 100], 2, [321, 43], [12, 234]),
    ],
)
def test_reference_value_examples(border_mode, x, w, stride, tf_result, theano_result):
    for backend, expected in (("tensorflow", tf_result), ("theano", theano_result)):
        layer = keras1.Convolution1D(1, len(w), border_mode=border_mode, subsample_length=stride, bias=False,
                                     backend=backend, weights=[np.array(w, "float32").reshape(-1, 1, 1, 1)])
        out = layer(np.array(x, "float32").reshape(1, -1, 1))
        assert out[0, :, 0].tolist() == expected, backend


@pytest.mark.parametrize(
    "n, k, s, d, tf, theano",
    [
        (5, 3, 1, 1, (5, 1, 1), (5, 1, 1)), (5, 2, 1, 1, (5, 0, 1), (5, 1, 0)), (6, 4, 1, 1, (6, 1, 2), (6, 2, 1)),
        (4, 3, 2, 1, (2, 0, 1), (2, 1, 0)), (5, 3, 2, 1, (3, 1, 1), (3, 1, 1)), (6, 3, 2, 1, (3, 0, 1), (3, 1, 0)),
        (7, 2, 2, 1, (4, 0, 1), (4, 1, 0)), (8, 4, 2, 1, (4, 1, 1), (4, 2, 0)), (10, 5, 3, 1, (4, 2, 2), (4, 2, 2)),
        (7, 3, 1, 2, (7, 2, 2), (7, 2, 2)), (9, 2, 1, 2, (9, 1, 1), (9, 1, 1)),
    ],
)
def test_reference_same_placement_table(n, k, s, d, tf, theano):
    """(out, pad_begin, effective pad_end) per backend; the effective end is what the last window reaches."""
    for backend, (out, begin, end) in (("tensorflow", tf), ("theano", theano)):
        layer = keras1.AtrousConvolution1D(1, k, atrous_rate=d, subsample_length=s, border_mode="same", backend=backend)
        assert layer.compute_output_shape((None, n, 1)) == (None, out, 1)
        pad_begin, _ = layer.geometry.pads((n,))[0]
        span = (k - 1) * d + 1
        assert (pad_begin, (out - 1) * s + span - n - pad_begin) == (begin, end), backend


def test_theano_kernels_are_true_convolution_kernels_in_every_rank():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 7, 6)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 2)).astype(np.float32)  # th: (out, in, rows, cols)
    layer = keras1.Convolution2D(3, 3, 2, dim_ordering="th", backend="theano", bias=False, weights=[w])
    expected = np.zeros((1, 3, 5, 5), np.float32)
    flipped = w[:, :, ::-1, ::-1]
    for o in range(3):
        for i in range(5):
            for j in range(5):
                expected[0, o, i, j] = (x[0, :, i:i + 3, j:j + 2] * flipped[o]).sum()
    np.testing.assert_allclose(layer(x), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(layer.get_weights()[0], w)  # stored as Keras 1 stores it, unflipped


# -- reference B7 and B4: shapes ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "n, k, s, d, border_mode, backend, out",
    [
        (32, 3, 1, 1, "valid", "tensorflow", 30), (32, 3, 2, 1, "same", "tensorflow", 16), (32, 3, 1, 1, "full", "theano", 34),
        (31, 4, 3, 1, "valid", "tensorflow", 10), (28, 5, 2, 1, "same", "tensorflow", 14), (10, 3, 1, 2, "valid", "tensorflow", 6),
        (256, 3, 1, 2, "valid", "tensorflow", 252), (12, 3, 2, 1, "full", "theano", 7),
    ],
)
def test_reference_conformance_table(n, k, s, d, border_mode, backend, out):
    layer = keras1.AtrousConvolution2D(4, k, k, atrous_rate=(d, d), subsample=(s, s), border_mode=border_mode,
                                       dim_ordering="th", backend=backend)
    assert layer.compute_output_shape((None, 3, n, n)) == (None, 4, out, out)
    assert layer(np.zeros((1, 3, n, n), "float32")).shape == (1, 4, out, out)


@pytest.mark.parametrize(
    "make, input_shape, output_shape",
    [
        (lambda: keras1.ZeroPadding1D(2), (None, 5, 3), (None, 9, 3)),
        (lambda: keras1.ZeroPadding1D((1, 3)), (None, 5, 3), (None, 9, 3)),
        (lambda: keras1.ZeroPadding2D((1, 2), dim_ordering="th"), (None, 3, 4, 5), (None, 3, 6, 9)),
        (lambda: keras1.ZeroPadding2D((1, 0, 2, 1), dim_ordering="th"), (None, 3, 4, 5), (None, 3, 5, 8)),
        (lambda: keras1.ZeroPadding3D((1, 2, 0)), (None, 4, 4, 4, 2), (None, 6, 8, 4, 2)),
        (lambda: keras1.Cropping1D((1, 2)), (None, 6, 3), (None, 3, 3)),
        (lambda: keras1.Cropping2D(((2, 2), (4, 4)), dim_ordering="th"), (None, 3, 28, 28), (None, 3, 24, 20)),
        (lambda: keras1.Cropping3D(), (None, 4, 5, 6, 2), (None, 2, 3, 4, 2)),
        (lambda: keras1.UpSampling1D(3), (None, 4, 2), (None, 12, 2)),
        (lambda: keras1.UpSampling2D((2, 3), dim_ordering="tf"), (None, 4, 5, 2), (None, 8, 15, 2)),
        (lambda: keras1.UpSampling3D(), (None, 1, 2, 3, 2), (None, 2, 4, 6, 2)),
        (lambda: keras1.MaxPooling1D(3, stride=2, border_mode="same"), (None, 7, 2), (None, 4, 2)),
        (lambda: keras1.AveragePooling2D((2, 2), dim_ordering="th"), (None, 3, 7, 6), (None, 3, 3, 3)),
        (lambda: keras1.MaxPooling3D(), (None, 4, 5, 6, 2), (None, 2, 2, 3, 2)),
        (lambda: keras1.GlobalAveragePooling2D(dim_ordering="th"), (None, 3, 7, 6), (None, 3)),
        (lambda: keras1.GlobalMaxPooling1D(), (None, 7, 6), (None, 6)),
    ],
)
def test_reference_padding_cropping_upsampling_pooling_shapes(make, input_shape, output_shape):
    layer = make()
    assert layer.compute_output_shape(input_shape) == output_shape
    assert layer(np.zeros((1,) + input_shape[1:], "float32")).shape == (1,) + output_shape[1:]


def test_zero_padding_2d_dict_pads_the_named_sides():
    layer = keras1.ZeroPadding2D({"top_pad": 2, "left_pad": 1, "right_pad": 2}, dim_ordering="th")
    y = layer(np.ones((1, 1, 2, 2), "float32"))[0, 0]
    assert y.shape == (4, 5) and y[2:, 1:3].sum() == 4 and y.sum() == 4


# -- the seed page's examples -----------------------------------------------------------------------------
def test_seed_page_examples():
    model = keras1.Sequential()
    model.add(keras1.Convolution1D(64, 3, border_mode="same", input_shape=(10, 32)))
    assert model.output_shape == (None, 10, 64)
    model.add(keras1.Convolution1D(32, 3, border_mode="same"))
    assert model.output_shape == (None, 10, 32)

    model = keras1.Sequential()
    model.add(keras1.AtrousConvolution1D(64, 3, atrous_rate=2, border_mode="same", input_shape=(10, 32)))
    assert model.output_shape == (None, 10, 64)
    model.add(keras1.AtrousConvolution1D(32, 3, atrous_rate=2, border_mode="same"))
    assert model.output_shape == (None, 10, 32)

    with keras1.backend.settings(image_dim_ordering="th"):
        model = keras1.Sequential()
        model.add(keras1.Convolution2D(64, 3, 3, border_mode="same", input_shape=(3, 256, 256)))
        assert model.output_shape == (None, 64, 256, 256)
        model.add(keras1.Convolution2D(32, 3, 3, border_mode="same"))
        assert model.output_shape == (None, 32, 256, 256)

        model = keras1.Sequential()
        model.add(keras1.AtrousConvolution2D(64, 3, 3, atrous_rate=(2, 2), border_mode="valid", input_shape=(3, 256, 256)))
        assert model.output_shape == (None, 64, 252, 252)

        model = keras1.Sequential()
        model.add(keras1.Deconvolution2D(3, 3, 3, output_shape=(None, 3, 14, 14), border_mode="valid", input_shape=(3, 12, 12)))
        assert model.output_shape == (None, 3, 14, 14)
        model = keras1.Sequential()
        model.add(keras1.Deconvolution2D(3, 3, 3, output_shape=(None, 3, 25, 25), subsample=(2, 2), border_mode="valid",
                                         input_shape=(3, 12, 12)))
        assert model.output_shape == (None, 3, 25, 25)

        model = keras1.Sequential()
        model.add(keras1.Cropping2D(cropping=((2, 2), (4, 4)), input_shape=(3, 28, 28)))
        assert model.output_shape == (None, 3, 24, 20)
        model.add(keras1.Convolution2D(64, 3, 3, border_mode="same"))
        model.add(keras1.Cropping2D(cropping=((2, 2), (2, 2))))
        assert model.output_shape == (None, 64, 20, 16)


# -- B1: weight layouts and names ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make, input_shape, shapes",
    [
        (lambda: keras1.Convolution1D(5, 4), (None, 15, 3), [(4, 1, 3, 5), (5,)]),
        (lambda: keras1.Convolution2D(6, 4, 3, dim_ordering="th"), (None, 3, 9, 10), [(6, 3, 4, 3), (6,)]),
        (lambda: keras1.Convolution2D(6, 4, 3, dim_ordering="tf"), (None, 9, 10, 3), [(4, 3, 3, 6), (6,)]),
        (lambda: keras1.Convolution3D(4, 2, 3, 2, dim_ordering="th"), (None, 2, 6, 7, 5), [(4, 2, 2, 3, 2), (4,)]),
        (lambda: keras1.Deconvolution2D(4, 3, 2, (None, 4, 9, 8), subsample=(2, 2), dim_ordering="th"),
         (None, 3, 4, 4), [(4, 3, 3, 2), (4,)]),
        (lambda: keras1.Deconvolution2D(4, 3, 2, (None, 9, 8, 4), subsample=(2, 2), dim_ordering="tf"),
         (None, 4, 4, 3), [(3, 2, 3, 4), (4,)]),
        (lambda: keras1.SeparableConvolution2D(5, 3, 3, depth_multiplier=2, dim_ordering="tf", bias=False),
         (None, 9, 8, 3), [(3, 3, 3, 2), (1, 1, 6, 5)]),
        (lambda: keras1.Dense(7), (None, 60), [(60, 7), (7,)]),
    ],
)
def test_weights_are_in_keras1_layouts(make, input_shape, shapes):
    layer = make()
    layer.build(input_shape)
    assert [w.shape for w in layer.get_weights()] == shapes


# -- B6: initializations with Keras 1's fans ---------------------------------------------------------------
@pytest.mark.parametrize(
    "make, input_shape, bound",
    [
        (lambda: keras1.Convolution1D(64, 3), (None, 10, 32), math.sqrt(6 / (2048 + 6144))),  # th fans of a tf kernel
        (lambda: keras1.Convolution2D(64, 3, 3, dim_ordering="th"), (None, 3, 8, 8), math.sqrt(6 / (27 + 576))),
        (lambda: keras1.Convolution2D(64, 3, 3, dim_ordering="tf"), (None, 8, 8, 3), math.sqrt(6 / (27 + 576))),
        (lambda: keras1.Convolution3D(16, 3, 3, 3, dim_ordering="tf"), (None, 5, 5, 5, 8), math.sqrt(6 / (72 + 144))),
        (lambda: keras1.Convolution2D(8, 3, 3, init="he_uniform", dim_ordering="th"), (None, 4, 8, 8), math.sqrt(6 / 36)),
        (lambda: keras1.Convolution2D(8, 3, 3, init="lecun_uniform", dim_ordering="th"), (None, 4, 8, 8), math.sqrt(3 / 36)),
        (lambda: keras1.Dense(300, init="uniform"), (None, 400), 0.05),
    ],
)
def test_uniform_initializations_use_keras1_fans(make, input_shape, bound):
    torch.manual_seed(0)
    layer = make()
    layer.build(input_shape)
    kernel = np.abs(layer.get_weights()[0])
    assert kernel.max() <= bound and kernel.max() > 0.95 * bound
    assert (layer.get_weights()[1] == 0).all()  # Keras 1 biases start at zero, always


def test_normal_orthogonal_identity_zero_one():
    torch.manual_seed(0)
    dense = keras1.Dense(500, init="glorot_normal")
    dense.build((None, 700))
    assert abs(dense.get_weights()[0].std() - math.sqrt(2 / 1200)) < 1e-3
    square = keras1.Dense(6, init="orthogonal")
    square.build((None, 6))
    w = square.get_weights()[0]
    np.testing.assert_allclose(w @ w.T, 1.21 * np.eye(6), atol=1e-5)  # Keras 1's orthogonal scale is 1.1
    identity = keras1.Dense(3, init="identity")
    identity.build((None, 3))
    np.testing.assert_array_equal(identity.get_weights()[0], np.eye(3))
    with pytest.raises(ValueError, match="2D square matrices"):
        keras1.Dense(4, init="identity").build((None, 3))
    for name, value in (("zero", 0), ("one", 1)):
        layer = keras1.Dense(2, init=name)
        layer.build((None, 3))
        assert (layer.get_weights()[0] == value).all()
    with pytest.raises(ValueError, match="Unknown Keras 1 initialization 'zeros'"):
        keras1.Dense(2, init="zeros")


def test_hard_sigmoid_is_keras1s():
    layer = keras1.Activation("hard_sigmoid")
    np.testing.assert_allclose(layer(np.array([[-3.0, -1.0, 0.0, 1.0, 3.0]], "float32")), [[0.0, 0.3, 0.5, 0.7, 1.0]], atol=1e-7)


# -- B6: regularizers and constraints in Keras 1's forms -----------------------------------------------------
def test_regularizers_and_constraints_act_on_keras1_layouts():
    w = np.arange(1, 25, dtype=np.float32).reshape(2, 3, 2, 2) - 12  # th: (out, in, rows, cols)
    layer = keras1.Convolution2D(2, 2, 2, dim_ordering="th", W_regularizer={"name": "L1L2Regularizer", "l1": 0.5, "l2": 0.25},
                                 b_regularizer="l2", W_constraint={"name": "MaxNorm", "m": 2, "axis": [1, 2, 3]},
                                 weights=[w, np.array([1.0, -2.0], "float32")], input_shape=(3, 4, 4))
    w_term, b_term = (t.item() for t in layer.losses)
    assert w_term == pytest.approx(0.5 * np.abs(w).sum() + 0.25 * (w ** 2).sum())
    assert b_term == pytest.approx(0.01 * 5)
    layer.apply_constraints()
    norms = np.sqrt((layer.get_weights()[0] ** 2).sum(axis=(1, 2, 3)))
    np.testing.assert_allclose(norms, [2, 2], rtol=1e-6)  # each filter's norm clipped to m, per Keras 1's docstring advice
    config = layer.get_config()
    assert config["W_regularizer"] == {"name": "L1L2Regularizer", "l1": 0.5, "l2": 0.25}
    assert config["W_constraint"] == {"name": "MaxNorm", "m": 2, "axis": [1, 2, 3]}
    assert config["b_regularizer"] == {"name": "L1L2Regularizer", "l1": 0.0, "l2": 0.01}


# -- configs --------------------------------------------------------------------------------------------------
CONFIGURED = [
    lambda: keras1.Convolution1D(5, 4, border_mode="same", subsample_length=2, activation="relu", input_dim=3, input_length=15),
    lambda: keras1.AtrousConvolution1D(4, 3, atrous_rate=2, backend="theano", border_mode="full"),
    lambda: keras1.Convolution2D(6, 4, 4, border_mode="same", activation="relu", dim_ordering="th", trainable=False,
                                 batch_input_shape=(None, 3, 9, 10), name="frozen"),
    lambda: keras1.AtrousConvolution2D(3, 2, 2, atrous_rate=(3, 3), border_mode="same", dim_ordering="tf"),
    lambda: keras1.SeparableConvolution2D(5, 3, 3, subsample=(2, 2), depth_multiplier=2, dim_ordering="tf", name="sep"),
    lambda: keras1.Deconvolution2D(4, 3, 3, (None, 9, 8, 4), border_mode="same", subsample=(2, 2), dim_ordering="tf"),
    lambda: keras1.Convolution3D(4, 2, 3, 2, border_mode="same", subsample=(1, 2, 1), dim_ordering="tf", init="he_normal"),
    lambda: keras1.MaxPooling2D(border_mode="same", dim_ordering="th"),
    lambda: keras1.AveragePooling1D(3, stride=1),
    lambda: keras1.ZeroPadding2D((1, 0, 2, 1), dim_ordering="th"),
    lambda: keras1.Cropping2D(((1, 2), (0, 1)), dim_ordering="tf"),
    lambda: keras1.UpSampling2D((2, 3), dim_ordering="tf"),
    lambda: keras1.UpSampling1D(4),
    lambda: keras1.Flatten(),
    lambda: keras1.Dense(7, activation="softmax", input_dim=60),
    lambda: keras1.Dropout(0.25),
    lambda: keras1.Activation("tanh"),
]


@pytest.mark.parametrize("make", CONFIGURED)
def test_config_round_trips_through_json(make):
    layer = make()
    text = json.dumps(layer.get_config())
    clone = type(layer).from_config(json.loads(text))
    assert json.dumps(clone.get_config()) == text


def test_config_keys_are_keras1s():
    """The keys of a Keras 1.2.2 file's Convolution2D config (tf_th_cnn2d_model.h5), in its order."""
    config = CONFIGURED[2]().get_config()
    assert list(config) == [
        "name", "trainable", "batch_input_shape", "input_dtype", "nb_filter", "nb_row", "nb_col", "init", "activation",
        "border_mode", "subsample", "dim_ordering", "W_regularizer", "b_regularizer", "activity_regularizer",
        "W_constraint", "b_constraint", "bias",
    ]


def test_default_names_count_from_one_per_class():
    first, second = keras1.Convolution2D(2, 3, 3), keras1.Convolution2D(2, 3, 3)
    prefix, number = first.name.rsplit("_", 1)
    assert prefix == "convolution2d" and second.name == f"convolution2d_{int(number) + 1}"


def test_model_to_json_and_back():
    model = keras1.Sequential([CONFIGURED[0](), keras1.Flatten(), keras1.Dense(3)])
    text = model.to_json()
    assert json.loads(text)["keras_version"] == "1.2.2" and json.loads(text)["class_name"] == "Sequential"
    clone = keras1.model_from_json(text)
    assert clone.output_shape == (None, 3) and [type(layer) for layer in clone.layers] == [type(layer) for layer in model.layers]
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    # As in Keras 1, a rebuilt Dense states its input_dim, which makes it declare its input: stable from then on.
    assert keras1.model_from_json(clone.to_json()).get_config() == clone.get_config()
    with pytest.raises(ValueError, match="functional models are not supported"):
        keras1.model_from_config({"class_name": "Model", "config": {"layers": []}})
    with pytest.raises(ValueError, match="Unknown Keras 1 layer class 'Conv2D'"):
        keras1.model_from_config({"class_name": "Sequential", "config": [{"class_name": "Conv2D", "config": {}}]})
    with pytest.raises(ValueError, match="not a Keras 1 layer"):
        keras1.Sequential([convlayers.Dense(2, input_dim=3)]).get_config()


def test_dim_ordering_default_follows_image_dim_ordering():
    with keras1.backend.settings(image_dim_ordering="th"):
        layer = keras1.Convolution2D(2, 3, 3)
    assert layer.data_format == "channels_first" and layer.get_config()["dim_ordering"] == "th"
    assert keras1.Convolution2D(2, 3, 3).data_format == "channels_last"  # Keras 1.1-1.2's built-in 'tf'


# -- errors, as Keras 1 raises them ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: keras1.Convolution2D(2, 3, 3, border_mode="half"), ValueError, "Invalid border mode for Convolution2D"),
        (lambda: keras1.Convolution2D(2, 3, 3, border_mode="full"), ValueError, "'full' exists only on the Theano backend"),
        (lambda: keras1.Convolution2D(2, 3, 3, dim_ordering="channels_last"), ValueError, r"dim_ordering must be in \{tf, th\}"),
        (lambda: keras1.SeparableConvolution2D(2, 3, 3, backend="theano"), ValueError, "TensorFlow backend only"),
        (lambda: keras1.SeparableConvolution2D(2, 3, 3, border_mode="full"), ValueError, "Invalid border mode"),
        (lambda: keras1.MaxPooling2D(border_mode="same", backend="theano"), ValueError, "Theano's 'same' pooling"),
        (lambda: keras1.ZeroPadding2D(1), TypeError, "must be a tuple of 2 ints"),
        (lambda: keras1.ZeroPadding2D({"top": 1}), ValueError, r"unexpected key\(s\) \['top'\]"),
        (lambda: keras1.ZeroPadding3D((1, 2)), ValueError, "must be 3 ints"),
        (lambda: keras1.Cropping2D((1, 2)), ValueError, "must be 2 \\(begin, end\\) pairs"),
        (lambda: keras1.Deconvolution2D(2, 3, 3, (9, 9)), ValueError, "`output_shape` must be"),
        (lambda: keras1.Convolution2D(2, 3), TypeError, "Convolution2D: missing a required argument: 'nb_col'"),
        (lambda: keras1.Convolution2D(2, 3, 3, subsample_length=2), TypeError, r"unexpected keyword arguments \['subsample_length'\]"),
        (lambda: keras1.Dense(2, activation="gelu"), ValueError, "Unknown Keras 1 activation 'gelu'"),
        (lambda: keras1.Dense(2, W_regularizer="l3"), ValueError, "Unknown Keras 1 regularizer 'l3'"),
        (lambda: keras1.Dense(2, W_constraint="positive"), ValueError, "Unknown Keras 1 constraint 'positive'"),
    ],
)
def test_bad_arguments_raise_clearly(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_deconvolution_output_shape_is_checked_on_tensorflow_as_conv2d_transpose_does():
    layer = keras1.Deconvolution2D(2, 3, 3, (None, 20, 20, 2), subsample=(2, 2), border_mode="same", dim_ordering="tf")
    with pytest.raises(ValueError, match="accepts 23..24"):
        layer(np.zeros((1, 12, 12, 3), "float32"))
    theano = keras1.Deconvolution2D(2, 3, 3, (None, 2, 20, 20), subsample=(2, 2), border_mode="same",
                                    dim_ordering="th", backend="theano")
    assert theano(np.zeros((1, 3, 12, 12), "float32")).shape == (1, 2, 20, 20)  # Theano keeps what is asked for


# -- the Keras 1 model API --------------------------------------------------------------------------------------
def test_sequential_trains_with_nb_epoch_and_keras1_defaults():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 6, 6, 1)).astype(np.float32)
    y = (x.mean(axis=(1, 2, 3)) > 0).astype(np.float32).reshape(-1, 1)
    torch.manual_seed(0)
    model = keras1.Sequential([
        keras1.Convolution2D(4, 3, 3, activation="relu", input_shape=(6, 6, 1)),
        keras1.Flatten(),
        keras1.Dense(1, activation="sigmoid"),
    ])
    model.compile("adam", "binary_crossentropy")
    before = model.evaluate(x, y, verbose=0)
    history = model.fit(x, y, nb_epoch=5, batch_size=16, verbose=0)
    assert len(history.history["loss"]) == 5 and model.evaluate(x, y, verbose=0) < before
    assert model.predict(x).shape == (64, 1)
    with pytest.raises(ValueError, match="`class_weight` is not supported yet"):
        model.fit(x, y, class_weight={0: 1.0})


# -- third-party files written by Keras 1.x (../shared/fixtures/external, never copied here) -------------------
LEGACY = SHARED_FIXTURES / "external" / "keras-legacy-files"
external = pytest.mark.skipif(not LEGACY.is_dir(), reason=f"external Keras files not found under {LEGACY}")


def _stored_weights(path):
    """Every layer's weights as the file stores them, by layer name (the legacy layout), read with h5py."""
    h5py = pytest.importorskip("h5py")
    with h5py.File(path, "r") as f:
        group = f["model_weights"] if "model_weights" in f else f
        text = lambda names: [n.decode() if isinstance(n, bytes) else str(n) for n in names]  # noqa: E731
        return {name: [group[name][w][()] for w in text(group[name].attrs["weight_names"])]
                for name in text(group.attrs["layer_names"])}


@external
def test_simple_cnn_tf_reproduces_the_output_keras_1_stored():
    model = convlayers.load_keras_model(LEGACY / "simple_cnn_tf_model.h5")
    # The stored input is the 8x8x3 image channel by channel (three 8x8 blocks).
    x = np.loadtxt(LEGACY / "simple_cnn_tf_input.txt").reshape(3, 8, 8).transpose(1, 2, 0)[None].astype(np.float32)
    expected = np.loadtxt(LEGACY / "simple_cnn_tf_output.txt")
    np.testing.assert_allclose(model.predict(x)[0], expected, rtol=1e-4, atol=1e-5)
    from_weights = keras1.model_from_json((LEGACY / "simple_cnn_tf_config.json").read_text())
    load_keras_weights(from_weights, LEGACY / "simple_cnn_tf_weights.h5")
    np.testing.assert_allclose(from_weights.predict(x)[0], expected, rtol=1e-4, atol=1e-5)


@external
@pytest.mark.parametrize("name, backend", [("conv2d_tensorflow_1.h5", "tensorflow"), ("conv2d_theano_1.h5", "theano")])
def test_keras_1_conv2d_files_load_exactly_and_compute_as_their_backend(name, backend):
    model = convlayers.load_keras_model(LEGACY / name)
    (layer,) = model.layers
    assert layer.backend == backend
    stored = _stored_weights(LEGACY / name)[layer.name]
    for ours, theirs in zip(layer.get_weights(), stored, strict=True):
        np.testing.assert_array_equal(ours, theirs)  # every weight where the file put it, in Keras 1's layout
    # The same numbers from a core Conv2D given the kernel converted as reference B3 says.
    kernel = stored[0] if layer.dim_ordering == "tf" else stored[0].transpose(2, 3, 1, 0)
    if backend == "theano":
        kernel = kernel[::-1, ::-1]
    spec = layer.spec
    reference = convlayers.Conv2D(spec.filters, spec.kernel_size, strides=spec.strides, data_format=spec.data_format,
                                  padding=spec.padding, activation=spec.activation)
    x = np.random.default_rng(0).standard_normal((2,) + model.input_shape[1:]).astype(np.float32)
    reference.build(x.shape)
    reference.set_weights([np.ascontiguousarray(kernel), stored[1]])
    np.testing.assert_allclose(model.predict(x), reference(x), rtol=1e-5, atol=1e-6)


KERAS1_LEGACY = ["batch_to_conv2d_tensorflow_1.h5", "batch_to_conv2d_theano_1.h5", "conv2d_reshape_tensorflow_1.h5",
                 "conv2d_reshape_theano_1.h5", "conv2d_tensorflow_1.h5", "conv2d_theano_1.h5", "simple_cnn_tf_model.h5"]


@external
@pytest.mark.parametrize("name", KERAS1_LEGACY)
def test_every_keras_1_legacy_file_loads_exactly(name):
    model = convlayers.load_keras_model(LEGACY / name)
    stored = _stored_weights(LEGACY / name)
    for layer in model.layers:
        for ours, theirs in zip(layer.get_weights(), stored[layer.name], strict=True):
            np.testing.assert_array_equal(ours, theirs)
    expected = "theano" if "theano" in name else "tensorflow"
    assert {layer.backend for layer in model.layers if layer.weights and hasattr(layer, "backend")} <= {expected}
    x = np.random.default_rng(1).standard_normal((2,) + model.input_shape[1:]).astype(np.float32)
    assert np.isfinite(model.predict(x)).all() and model.predict(x).shape == (2,) + model.output_shape[1:]


@external
def test_keras_1_batch_normalization_reads_running_std_as_the_variance():
    model = convlayers.load_keras_model(LEGACY / "batch_to_conv2d_tensorflow_1.h5")
    dense, reshape, norm, _ = model.layers
    gamma, beta, mean, variance = _stored_weights(LEGACY / "batch_to_conv2d_tensorflow_1.h5")[norm.name]
    x = np.random.default_rng(2).standard_normal((3, 100)).astype(np.float32)
    features = reshape(dense(x))
    np.testing.assert_allclose(norm(features), (features - mean) / np.sqrt(variance + 1e-3) * gamma + beta, rtol=1e-5, atol=1e-5)


@external
def test_lambda_layers_stay_refused_saying_why():
    with pytest.raises(ModelFileError, match="a Lambda layer holds Python code"):
        convlayers.load_keras_model(LEGACY / "space_to_depth_simple_tensorflow_1.h5")


def test_batch_normalization_and_reshape_configs():
    norm = keras1.BatchNormalization(epsilon=1e-4, momentum=0.9, axis=1, gamma_regularizer="l2")
    assert norm.get_config() == {
        "name": norm.name, "trainable": True, "epsilon": 1e-4, "mode": 0, "axis": 1,
        "gamma_regularizer": {"name": "L1L2Regularizer", "l1": 0.0, "l2": 0.01}, "beta_regularizer": None, "momentum": 0.9,
    }
    norm.build((None, 3, 4, 4))
    assert [w.shape for w in norm.get_weights()] == [(3,), (3,), (3,), (3,)]
    with pytest.raises(ValueError, match="only mode=0"):
        keras1.BatchNormalization(mode=2)
    reshape = keras1.Reshape((2, 3))
    assert reshape.get_config()["target_shape"] == [2, 3] and reshape(np.zeros((4, 6), "float32")).shape == (4, 2, 3)


def test_keras1_models_and_layers_round_trip_through_the_native_format(tmp_path):
    model = keras1.Sequential([
        keras1.Convolution2D(2, 3, 3, dim_ordering="th", backend="theano", input_shape=(1, 6, 6)),
        keras1.Flatten(),
        keras1.Dense(2, activation="hard_sigmoid"),
    ])
    model.save(tmp_path / "m.safetensors")
    loaded = convlayers.load_model(tmp_path / "m.safetensors")
    def described(config):  # as in Keras 1, a rebuilt Dense states its input_dim and so declares its input
        return [{k: v for k, v in entry["config"].items() if k not in ("batch_input_shape", "input_dtype")}
                for entry in config[1:]] + config[:1]

    assert isinstance(loaded, keras1.Sequential) and described(loaded.get_config()) == described(model.get_config())
    x = np.random.default_rng(3).standard_normal((2, 1, 6, 6)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    layer = model.layers[0]
    convlayers.io.save_model(layer, tmp_path / "layer.safetensors")
    alone = convlayers.load_model(tmp_path / "layer.safetensors")
    assert isinstance(alone, keras1.Convolution2D) and alone.backend == "theano"
    np.testing.assert_array_equal(alone(x), layer(x))


def test_keras_files_refuse_keras1_models_clearly(tmp_path):
    model = keras1.Sequential([keras1.Convolution2D(2, 3, 3, input_shape=(5, 5, 1))])
    for suffix in (".keras", ".h5"):
        with pytest.raises(ValueError, match=r"Keras cannot express layer 'convolution2d_.*' \(Convolution2D\): it speaks "
                                             r"convlayers.keras1"):
            model.save(tmp_path / f"m{suffix}")
