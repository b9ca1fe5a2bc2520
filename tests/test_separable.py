"""SeparableConv1D/2D/3D: depthwise then pointwise, against the NumPy references composed; gradients, protocol, errors."""

import json

import numpy as np
import pytest
import torch

import convlayers
from convlayers import SeparableConv1D, SeparableConv2D, SeparableConv3D
from reference import conv as np_conv
from reference import depthwise_conv as np_depthwise_conv
from reference import mode_pads, to_channels_last, window_configs

SEPARABLE = {1: SeparableConv1D, 2: SeparableConv2D, 3: SeparableConv3D}


def _configs():
    for rank, k, s, d, padding, data_format, rng in window_configs(seed=4, repeats=1):
        yield rank, k, s, d, padding, data_format, int(rng.integers(1, 4))


@pytest.mark.parametrize("rank, k, s, d, padding, data_format, multiplier", list(_configs()))
def test_values_against_numpy_reference(rank, k, s, d, padding, data_format, multiplier):
    rng = np.random.default_rng(0)
    sizes = tuple(int(v) for v in rng.integers(5, 9 if rank < 3 else 7, rank))
    channels, filters = 3, 4
    x_cf = rng.standard_normal((2, channels) + sizes).astype(np.float32)
    depthwise = rng.standard_normal(k + (channels, multiplier)).astype(np.float32)
    pointwise = rng.standard_normal((1,) * rank + (channels * multiplier, filters)).astype(np.float32)
    bias = rng.standard_normal(filters).astype(np.float32)
    layer = SEPARABLE[rank](filters, k, s, padding, depth_multiplier=multiplier, data_format=data_format, dilation_rate=d)
    x = x_cf if data_format == "channels_first" else to_channels_last(x_cf)
    layer.build(x.shape)
    layer.set_weights([depthwise, pointwise, bias])
    y = layer(x)
    middle = np_depthwise_conv(x_cf, depthwise, None, pads=mode_pads(padding, sizes, k, s, d), strides=s, dilation=d)
    ones = (1,) * rank
    expected = np_conv(middle, pointwise, bias, pads=[(0, 0)] * rank, strides=ones, dilation=ones)
    if data_format == "channels_last":
        expected = to_channels_last(expected)
    assert y.shape == expected.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "rank, kwargs",
    [
        (1, dict(kernel_size=3, strides=2, padding="same", depth_multiplier=2)),
        (2, dict(kernel_size=(2, 3), strides=(2, 1), dilation_rate=(1, 2), padding="same", data_format="channels_first")),
        (3, dict(kernel_size=2, strides=(1, 2, 1), padding="causal")),
    ],
)
def test_gradcheck(rank, kwargs):
    layer = SEPARABLE[rank](3, activation="tanh", dtype="float64", **kwargs)
    size = {1: 5, 2: 3, 3: 2}[rank]
    shape = (1,) + (size,) * rank + (2,) if layer.channels_last else (1, 2) + (size,) * rank
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    layer.build(shape)
    with torch.no_grad():
        layer.bias.normal_()
    assert torch.autograd.gradcheck(lambda x, *params: layer(x), (x, *layer.weights))


# -- Keras's own test shapes (keras.md 5.5) ---------------------------------------------------------
@pytest.mark.parametrize(
    "cls, kwargs, input_shape, output_shape",
    [
        (SeparableConv1D, dict(depth_multiplier=5, filters=5, kernel_size=2), (3, 5, 4), (3, 4, 5)),
        (SeparableConv1D, dict(depth_multiplier=6, filters=6, kernel_size=2, padding="same", dilation_rate=(2,)), (3, 4, 4), (3, 4, 6)),
        (SeparableConv1D, dict(depth_multiplier=6, filters=6, kernel_size=2, strides=(2,)), (3, 5, 4), (3, 2, 6)),
        (SeparableConv2D, dict(depth_multiplier=5, filters=5, kernel_size=2), (3, 5, 5, 4), (3, 4, 4, 5)),
        (SeparableConv2D, dict(depth_multiplier=6, filters=6, kernel_size=2, padding="same", dilation_rate=(2, 2)), (3, 4, 4, 4), (3, 4, 4, 6)),
        (SeparableConv2D, dict(depth_multiplier=6, filters=6, kernel_size=(2, 2), strides=(2, 2)), (3, 5, 5, 4), (3, 2, 2, 6)),
    ],
)
def test_keras_test_shapes(cls, kwargs, input_shape, output_shape):
    layer = cls(**kwargs)
    assert layer.compute_output_shape(input_shape) == output_shape
    assert layer(np.zeros(input_shape, np.float32)).shape == output_shape
    assert len(layer.trainable_weights) == 3 and layer.losses == []


@pytest.mark.parametrize("layer, shape", [(SeparableConv1D(64, 11, strides=5, name="s"), (1, 10, 2)), (SeparableConv2D(8, 5, strides=2, name="s"), (1, 4, 4, 2))])
def test_invalid_output_shape_raises(layer, shape):
    """Keras's regression test (keras issue #22496): the window larger than the input raises."""
    with pytest.raises(ValueError, match=r"'s': the window does not fit the input along spatial dim 1"):
        layer(np.zeros(shape, np.float32))


def test_unknown_dims_propagate():
    assert SeparableConv2D(5, 3, 2, "same").compute_output_shape((None, None, 7, 3)) == (None, None, 4, 5)
    assert SeparableConv1D(5, 3).compute_output_shape((None, 8, None)) == (None, 6, 5)


# -- the layer protocol -----------------------------------------------------------------------------
def test_weights_order_layout_and_round_trip():
    layer = SeparableConv2D(4, (2, 3), depth_multiplier=2)
    layer.build((1, 5, 5, 3))
    shapes = [w.shape for w in layer.get_weights()]
    assert shapes == [(2, 3, 3, 2), (1, 1, 6, 4), (4,)]
    assert set(layer.state_dict()) == {"depthwise_kernel", "pointwise_kernel", "bias"}
    assert tuple(layer.depthwise_kernel.shape) == (6, 1, 2, 3) and tuple(layer.pointwise_kernel.shape) == (4, 6, 1, 1)
    new = [np.arange(np.prod(s), dtype=np.float32).reshape(s) for s in shapes]
    layer.set_weights(new)
    for got, want in zip(layer.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    assert layer.count_params() == 36 + 24 + 4


def test_initializers_see_keras_fans():
    layer = SeparableConv2D(64, 3, depth_multiplier=2, depthwise_initializer="he_uniform", pointwise_initializer="he_uniform")
    layer.build((1, 4, 4, 32))
    depthwise, pointwise, _ = layer.get_weights()
    for weights, fan_in in ((depthwise, 9 * 32), (pointwise, 64)):
        limit = (6 / fan_in) ** 0.5
        assert 0.97 * limit < np.abs(weights).max() <= limit


KERAS3_CONFIG = {
    "name": "sep_b", "trainable": True,
    "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None},
    "depth_multiplier": 2, "filters": 12, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same",
    "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "elu", "use_bias": True,
    "depthwise_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                              "config": {"seed": None, "input_axes": None, "output_axes": None}, "registered_name": None},
    "pointwise_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                              "config": {"seed": None, "input_axes": None, "output_axes": None}, "registered_name": None},
    "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": None},
    "depthwise_regularizer": None, "pointwise_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
    "depthwise_constraint": None, "pointwise_constraint": None, "bias_constraint": None,
}


def test_keras3_config_is_accepted_and_key_order_matches():
    """A SeparableConv2D config as Keras 3.15.1 wrote it into a .keras file."""
    layer = SeparableConv2D.from_config(KERAS3_CONFIG)
    assert layer(np.zeros((1, 6, 6, 3), np.float32)).shape == (1, 3, 3, 12)
    assert list(layer.get_config()) == list(KERAS3_CONFIG)


def test_config_round_trip_is_exact_and_json():
    layer = SeparableConv1D(
        4, 3, strides=2, padding="causal", data_format="channels_first", dilation_rate=2, depth_multiplier=3,
        activation="relu", use_bias=False, pointwise_initializer="he_normal", pointwise_regularizer="l2",
        depthwise_constraint="non_neg", pointwise_constraint="max_norm", name="sep",
    )
    text = json.dumps(layer.get_config())
    clone = SeparableConv1D.from_config(json.loads(text))
    assert json.dumps(clone.get_config()) == text and clone.geometry == layer.geometry and clone.filters == 4


def test_losses_in_weight_order():
    layer = SeparableConv1D(2, 2, depthwise_regularizer=convlayers.regularizers.L2(1.0),
                            pointwise_regularizer=convlayers.regularizers.L1(1.0), bias_regularizer="l2")
    layer.build((1, 4, 3))
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal(s).astype(np.float32) for s in ((2, 3, 1), (1, 3, 2), (2,))]
    layer.set_weights(weights)
    terms = [t.item() for t in layer.losses]
    expected = [np.sum(weights[0].astype(np.float64) ** 2), np.abs(weights[1]).sum(), 0.01 * np.sum(weights[2].astype(np.float64) ** 2)]
    np.testing.assert_allclose(terms, expected, rtol=1e-6)


def test_apply_constraints_in_keras_layout():
    layer = SeparableConv1D(2, 2, pointwise_constraint="non_neg")
    layer.build((1, 4, 3))
    layer.set_weights([np.ones((2, 3, 1), np.float32), -np.ones((1, 3, 2), np.float32), np.zeros(2, np.float32)])
    layer.apply_constraints()
    np.testing.assert_array_equal(layer.get_weights()[1], np.zeros((1, 3, 2)))


def test_numpy_and_tensor_io_and_extra_batch_dims():
    layer = SeparableConv2D(2, 3, padding="same")
    big = torch.randn(4, 7, 6, 6, 3)
    out = layer(big)
    assert tuple(out.shape) == (4, 7, 6, 6, 2) == layer.compute_output_shape(big.shape)
    torch.testing.assert_close(out.reshape(28, 6, 6, 2), layer(big.reshape(28, 6, 6, 3)))
    y = layer(big.numpy()[0])
    assert isinstance(y, np.ndarray) and y.shape == (7, 6, 6, 2)


def test_aliases():
    assert convlayers.SeparableConvolution1D is SeparableConv1D and convlayers.SeparableConvolution2D is SeparableConv2D
    assert SeparableConv2D(1, 1).name.startswith("separable_conv2d")


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(filters=2, kernel_size=1, depth_multiplier=0), ValueError, r"SeparableConv2D 's': invalid value for argument `depth_multiplier`. Expected a value > 0. Received depth_multiplier=0."),
        (dict(filters=0, kernel_size=1), ValueError, r"SeparableConv2D 's': invalid value for argument `filters`. Expected a value > 0. Received filters=0."),
        (dict(filters=2, kernel_size=(1, 0)), ValueError, r"Received kernel_size=\(1, 0\), including values \{0\}"),
        (dict(filters=2, kernel_size=2, strides=0), ValueError, r"Received strides=0"),
        # tf.keras 2 configs carry kernel_* keys that Keras 3 rejects too (keras.md 4.1).
        (dict(filters=2, kernel_size=2, kernel_initializer="ones"), ValueError, r"Unrecognized keyword arguments passed to SeparableConv2D: \['kernel_initializer'\]"),
    ],
)
def test_constructor_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        SeparableConv2D(name="s", **kwargs)


def test_shape_errors():
    layer = SeparableConv2D(2, 3, name="s")
    layer.build((1, 5, 5, 3))
    with pytest.raises(ValueError, match=r"SeparableConv2D 's': the layer was built for inputs with 3 channels but received an input of shape \(1, 5, 5, 4\)"):
        layer(np.zeros((1, 5, 5, 4), np.float32))
    with pytest.raises(ValueError, match=r"expected an input of rank at least 4"):
        SeparableConv2D(2, 3, name="s").build((5, 5, 3))
