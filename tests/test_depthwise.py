"""DepthwiseConv1D/2D/3D: values against a NumPy per-channel reference, channel order, gradients, protocol, errors."""

import json

import numpy as np
import pytest
import torch

import convlayers
from convlayers import DepthwiseConv1D, DepthwiseConv2D, DepthwiseConv3D
from reference import depthwise_conv as np_depthwise_conv
from reference import mode_pads, to_channels_last, window_configs

DEPTHWISE = {1: DepthwiseConv1D, 2: DepthwiseConv2D, 3: DepthwiseConv3D}


def _configs():
    for rank, k, s, d, padding, data_format, rng in window_configs(seed=2):
        yield rank, k, s, d, padding, data_format, int(rng.integers(1, 4))


@pytest.mark.parametrize("rank, k, s, d, padding, data_format, multiplier", list(_configs()))
def test_values_against_numpy_reference(rank, k, s, d, padding, data_format, multiplier):
    rng = np.random.default_rng(0)
    sizes = tuple(int(v) for v in rng.integers(5, 9 if rank < 3 else 7, rank))
    channels = 3
    x_cf = rng.standard_normal((2, channels) + sizes).astype(np.float32)
    kernel = rng.standard_normal(k + (channels, multiplier)).astype(np.float32)
    bias = rng.standard_normal(channels * multiplier).astype(np.float32)
    layer = DEPTHWISE[rank](k, s, padding, depth_multiplier=multiplier, data_format=data_format, dilation_rate=d)
    x = x_cf if data_format == "channels_first" else to_channels_last(x_cf)
    layer.build(x.shape)
    layer.set_weights([kernel, bias])
    y = layer(x)
    expected = np_depthwise_conv(x_cf, kernel, bias, pads=mode_pads(padding, sizes, k, s, d), strides=s, dilation=d)
    if data_format == "channels_last":
        expected = to_channels_last(expected)
    assert y.shape == expected.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


def test_output_channels_are_channel_major():
    """Output channel ``c * dm + m`` is input channel ``c`` through its ``m``-th filter (Keras's order)."""
    layer = DepthwiseConv1D(1, depth_multiplier=3, use_bias=False)
    layer.build((1, 1, 2))
    layer.set_weights([np.array([[[1, 2, 3], [4, 5, 6]]], np.float32)])  # (k=1, C=2, dm=3)
    np.testing.assert_array_equal(layer(np.array([[[1, 10]]], np.float32)), [[[1, 2, 3, 40, 50, 60]]])


@pytest.mark.parametrize(
    "rank, kwargs",
    [
        (1, dict(kernel_size=3, strides=2, padding="same", depth_multiplier=2)),
        (1, dict(kernel_size=2, padding="causal", dilation_rate=2)),
        (2, dict(kernel_size=(2, 3), strides=(2, 1), dilation_rate=(1, 2), padding="same", data_format="channels_first")),
        (2, dict(kernel_size=2, strides=2, padding=((1, 0), (0, 2)), depth_multiplier=2)),
        (3, dict(kernel_size=2, strides=(1, 2, 1), padding="full")),
    ],
)
def test_gradcheck(rank, kwargs):
    layer = DEPTHWISE[rank](activation="tanh", dtype="float64", **kwargs)
    size = {1: 5, 2: 3, 3: 2}[rank]
    shape = (1,) + (size,) * rank + (2,) if layer.channels_last else (1, 2) + (size,) * rank
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    layer.build(shape)
    with torch.no_grad():
        layer.bias.normal_()
    assert torch.autograd.gradcheck(lambda x, *params: layer(x), (x, *layer.weights))


# -- Keras's own test shapes (keras.md 5.4) ---------------------------------------------------------
@pytest.mark.parametrize(
    "cls, kwargs, input_shape, output_shape",
    [
        (DepthwiseConv1D, dict(depth_multiplier=5, kernel_size=2), (3, 5, 4), (3, 4, 20)),
        (DepthwiseConv1D, dict(depth_multiplier=6, kernel_size=2, padding="same", dilation_rate=(2,)), (3, 4, 4), (3, 4, 24)),
        (DepthwiseConv1D, dict(depth_multiplier=6, kernel_size=2, strides=(2,)), (3, 5, 4), (3, 2, 24)),
        (DepthwiseConv1D, dict(depth_multiplier=6, kernel_size=2, padding="same", dilation_rate=2, data_format="channels_first"), (3, 4, 10), (3, 24, 10)),
        (DepthwiseConv2D, dict(depth_multiplier=5, kernel_size=2), (3, 5, 5, 4), (3, 4, 4, 20)),
        (DepthwiseConv2D, dict(depth_multiplier=6, kernel_size=2, padding="same", dilation_rate=(2, 2)), (3, 4, 4, 4), (3, 4, 4, 24)),
        (DepthwiseConv2D, dict(depth_multiplier=6, kernel_size=(2, 2), strides=(2, 2)), (3, 5, 5, 4), (3, 2, 2, 24)),
    ],
)
def test_keras_test_shapes(cls, kwargs, input_shape, output_shape):
    layer = cls(**kwargs)
    assert layer.compute_output_shape(input_shape) == output_shape
    assert layer(np.zeros(input_shape, np.float32)).shape == output_shape
    assert len(layer.trainable_weights) == 2 and layer.losses == []


@pytest.mark.parametrize("layer, shape", [(DepthwiseConv1D(11, strides=5, name="d"), (1, 10, 2)), (DepthwiseConv2D(5, strides=2, name="d"), (1, 4, 4, 2))])
def test_invalid_output_shape_raises(layer, shape):
    """Keras's regression test: a window larger than the input raises instead of returning a wrong shape."""
    with pytest.raises(ValueError, match=r"'d': the window does not fit the input along spatial dim 1: input size (10|4) with padding \(0, 0\)"):
        layer(np.zeros(shape, np.float32))
    with pytest.raises(ValueError, match=r"window does not fit"):
        layer.compute_output_shape(shape)


def test_unknown_dims_propagate():
    assert DepthwiseConv2D(3, 2, "same", depth_multiplier=2).compute_output_shape((None, None, 7, 3)) == (None, None, 4, 6)
    assert DepthwiseConv1D(3).compute_output_shape((None, 8, None)) == (None, 6, None)


# -- the layer protocol -----------------------------------------------------------------------------
def test_weights_layout_and_round_trip():
    layer = DepthwiseConv2D((2, 3), depth_multiplier=2)
    layer.build((1, 5, 5, 3))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (2, 3, 3, 2) and bias.shape == (6,)
    assert tuple(layer.kernel.shape) == (6, 1, 2, 3)  # PyTorch's (C * dm, 1, *k), groups = C
    new = [np.arange(kernel.size, dtype=np.float32).reshape(kernel.shape), np.arange(6, dtype=np.float32)]
    layer.set_weights(new)
    for got, want in zip(layer.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    assert layer.kernel[2 * 2 + 1, 0, 1, 0].item() == new[0][1, 0, 2, 1]  # output channel c * dm + m
    assert set(layer.state_dict()) == {"kernel", "bias"} and layer.count_params() == 36 + 6


def test_initializer_sees_keras_depthwise_fans():
    """he_uniform's fan_in is prod(k) * channels (Keras's fans of k + (C, dm)), not PyTorch's prod(k)."""
    layer = DepthwiseConv2D(3, depth_multiplier=4, depthwise_initializer="he_uniform")
    layer.build((1, 4, 4, 32))
    limit = (6 / (9 * 32)) ** 0.5
    assert 0.97 * limit < np.abs(layer.get_weights()[0]).max() <= limit


KERAS3_CONFIG = {
    "name": "dw_c", "trainable": True,
    "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None},
    "depth_multiplier": 2, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", "data_format": "channels_last",
    "dilation_rate": [1, 1], "activation": "linear", "use_bias": True,
    "depthwise_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                              "config": {"seed": None, "input_axes": None, "output_axes": None}, "registered_name": None},
    "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": None},
    "depthwise_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
    "depthwise_constraint": None, "bias_constraint": None,
}


def test_keras3_config_is_accepted_and_key_order_matches():
    """A DepthwiseConv2D config as Keras 3.15.1 wrote it into a .keras file."""
    layer = DepthwiseConv2D.from_config(KERAS3_CONFIG)
    assert layer(np.zeros((1, 5, 5, 3), np.float32)).shape == (1, 3, 3, 6)
    assert list(layer.get_config()) == list(KERAS3_CONFIG)


def test_config_round_trip_is_exact_and_json():
    layer = DepthwiseConv3D(
        (3, 2, 2), strides=(2, 1, 1), padding=((1, 0), 2, (0, 1)), depth_multiplier=3, data_format="channels_first",
        dilation_rate=(1, 2, 1), activation="relu", use_bias=False, depthwise_initializer="he_normal",
        depthwise_regularizer="l2", activity_regularizer="l1", depthwise_constraint="non_neg", name="dw",
    )
    config = layer.get_config()
    assert config["padding"] == [[1, 0], [2, 2], [0, 1]] and "groups" not in config
    text = json.dumps(config)
    clone = DepthwiseConv3D.from_config(json.loads(text))
    assert json.dumps(clone.get_config()) == text and clone.geometry == layer.geometry


def test_numpy_and_tensor_io_and_extra_batch_dims():
    layer = DepthwiseConv1D(2, depth_multiplier=2)
    x = np.random.default_rng(0).standard_normal((2, 5, 3))
    y = layer(x)
    assert isinstance(y, np.ndarray) and y.dtype == np.float32 and y.shape == (2, 4, 6)
    t = layer(torch.tensor(x, dtype=torch.float32, requires_grad=True))
    assert isinstance(t, torch.Tensor) and t.requires_grad
    np.testing.assert_allclose(t.detach().numpy(), y)
    big = torch.randn(4, 7, 6, 6, 3)
    layer2 = DepthwiseConv2D(3, padding="same", data_format="channels_last")
    assert tuple(layer2(big).shape) == (4, 7, 6, 6, 3) == layer2.compute_output_shape(big.shape)
    torch.testing.assert_close(layer2(big).reshape(28, 6, 6, 3), layer2(big.reshape(28, 6, 6, 3)))


def test_losses_and_constraints_in_keras_layout():
    layer = DepthwiseConv1D(2, depth_multiplier=2, depthwise_regularizer=convlayers.regularizers.L1(0.5),
                            activity_regularizer="l2", depthwise_constraint="non_neg")
    layer.build((1, 4, 3))
    kernel = np.random.default_rng(0).standard_normal((2, 3, 2)).astype(np.float32)
    layer.set_weights([kernel, np.zeros(6, np.float32)])
    y = layer(torch.ones(1, 4, 3))
    kernel_term, activity_term = (t.item() for t in layer.losses)
    assert kernel_term == pytest.approx(0.5 * np.abs(kernel.astype(np.float64)).sum(), rel=1e-6)
    assert activity_term == pytest.approx(0.01 * (y.detach() ** 2).sum().item(), rel=1e-5)
    layer.apply_constraints()
    np.testing.assert_array_equal(layer.get_weights()[0], np.maximum(kernel, 0))


def test_plain_torch_module_trains():
    layer = DepthwiseConv2D(3, padding="same", depth_multiplier=2)
    layer.build((None, 6, 6, 2))
    opt = torch.optim.SGD(layer.parameters(), lr=0.1)
    x, target = torch.randn(4, 6, 6, 2), torch.randn(4, 6, 6, 4)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = ((layer(x) - target) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(kernel_size=1, depth_multiplier=0), ValueError, r"DepthwiseConv2D 'd': invalid value for argument `depth_multiplier`. Expected a value > 0. Received depth_multiplier=0."),
        (dict(kernel_size=1, depth_multiplier=2.0), TypeError, r"the `depth_multiplier` argument must be an integer. Received depth_multiplier=2.0"),
        (dict(kernel_size=(1, 0)), ValueError, r"`kernel_size` argument must be an integer or a tuple of 2 integers. Received kernel_size=\(1, 0\), including values \{0\}"),
        (dict(kernel_size=2, strides=(1, 0)), ValueError, r"Received strides=\(1, 0\)"),
        (dict(kernel_size=2, padding="wrap"), ValueError, r"`padding` argument must be one of \('valid', 'same', 'causal', 'full'\).*Received: padding='wrap'"),
        (dict(kernel_size=2, groups=1), ValueError, r"Unrecognized keyword arguments passed to DepthwiseConv2D: \['groups'\]"),
    ],
)
def test_constructor_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        DepthwiseConv2D(name="d", **kwargs)


def test_shape_errors():
    with pytest.raises(ValueError, match=r"DepthwiseConv2D 'd': expected an input of rank at least 4"):
        DepthwiseConv2D(3, name="d").build((5, 5, 3))
    with pytest.raises(ValueError, match=r"channel dimension of the input must be known"):
        DepthwiseConv2D(3, name="d").build((1, 5, 5, None))
    layer = DepthwiseConv2D(3, name="d")
    layer.build((1, 5, 5, 3))
    with pytest.raises(ValueError, match=r"DepthwiseConv2D 'd': the layer was built for inputs with 3 channels but received an input of shape \(1, 5, 5, 4\) with 4 channels"):
        layer(np.zeros((1, 5, 5, 4), np.float32))


def test_strides_with_dilation_follow_the_tf_same_rule():
    """Keras 3 allows strides with dilation for depthwise; 'same' uses the TF rule on the dilated window."""
    layer = DepthwiseConv1D(2, strides=2, padding="same", dilation_rate=2, use_bias=False)
    layer.build((1, 6, 1))
    layer.set_weights([np.array([[[1.0]], [[1.0]]], np.float32)])
    # out = 3, effective window 3, total padding (3 - 1) * 2 + 3 - 6 = 1 -> (0, 1): windows start at 0, 2, 4.
    x = np.arange(1, 7, dtype=np.float32).reshape(1, 6, 1)
    np.testing.assert_array_equal(layer(x).ravel(), [1 + 3, 3 + 5, 5 + 0])
