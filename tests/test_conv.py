"""Conv1D/2D/3D: values against the NumPy reference, gradients, protocol, and errors."""

import json

import numpy as np
import pytest
import torch

import convlayers
from convlayers import Conv1D, Conv2D, Conv3D
from reference import conv as np_conv
from reference import mode_pads, to_channels_last, window_configs

CONV = {1: Conv1D, 2: Conv2D, 3: Conv3D}


def _configs():
    for rank, k, s, d, padding, data_format, rng in window_configs(seed=1):
        yield rank, k, s, d, padding, data_format, int(rng.choice([1, 2]))


@pytest.mark.parametrize("rank, k, s, d, padding, data_format, groups", list(_configs()))
def test_values_against_numpy_reference(rank, k, s, d, padding, data_format, groups):
    rng = np.random.default_rng(0)
    sizes = tuple(int(v) for v in rng.integers(7, 11, rank))
    channels, filters = 2 * groups, 3 * groups
    x_cf = rng.standard_normal((2, channels) + sizes).astype(np.float32)
    layer = CONV[rank](filters, k, strides=s, padding=padding, data_format=data_format, dilation_rate=d, groups=groups)
    x = x_cf if data_format == "channels_first" else to_channels_last(x_cf)
    layer.build(x.shape)
    kernel = rng.standard_normal(k + (channels // groups, filters)).astype(np.float32)
    bias = rng.standard_normal(filters).astype(np.float32)
    layer.set_weights([kernel, bias])
    y = layer(x)
    pads = mode_pads(padding, sizes, k, s, d)
    expected = np_conv(x_cf, kernel, bias, pads=pads, strides=s, dilation=d, groups=groups)
    if data_format == "channels_last":
        expected = to_channels_last(expected)
    assert y.shape == expected.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


def test_causal_output_depends_only_on_the_past():
    layer = Conv1D(2, 3, padding="causal", dilation_rate=2)
    x = torch.randn(1, 12, 3)
    y = layer(x)
    x2 = x.clone()
    x2[:, 7:] = torch.randn(1, 5, 3)
    y2 = layer(x2)
    torch.testing.assert_close(y[:, :7], y2[:, :7])
    assert not torch.allclose(y[:, 7:], y2[:, 7:])


@pytest.mark.parametrize(
    "rank, kwargs",
    [
        (1, dict(kernel_size=3, strides=2, padding="same", dilation_rate=1)),
        (1, dict(kernel_size=2, padding="causal", dilation_rate=2, groups=2)),
        (2, dict(kernel_size=(2, 3), strides=(2, 1), padding="same", data_format="channels_first")),
        (2, dict(kernel_size=3, strides=2, dilation_rate=2, padding=((1, 0), (0, 2)))),
        (3, dict(kernel_size=2, strides=(1, 2, 1), padding="full", groups=2)),
    ],
)
def test_gradcheck(rank, kwargs):
    layer = CONV[rank](4, activation="tanh", dtype="float64", **kwargs)
    shape = (2,) + (6,) * rank + (4,) if layer.channels_last else (2, 4) + (6,) * rank
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    layer.build(shape)
    assert torch.autograd.gradcheck(lambda x, *params: layer(x), (x, *layer.weights))


def test_extra_leading_batch_dims_match_flattened_batch():
    layer = Conv2D(2, 3)
    x = torch.randn(4, 7, 28, 28, 3)
    y = layer(x)
    assert tuple(y.shape) == (4, 7, 26, 26, 2) == layer.compute_output_shape((4, 7, 28, 28, 3))
    torch.testing.assert_close(y.reshape(28, 26, 26, 2), layer(x.reshape(28, 28, 28, 3)))
    channels_first = Conv2D(2, 3, data_format="channels_first")
    assert channels_first.compute_output_shape((4, 7, 3, 28, 28)) == (4, 7, 2, 26, 26)


def test_numpy_in_numpy_out_tensor_in_tensor_out():
    layer = Conv1D(3, 2)
    x = np.random.default_rng(0).standard_normal((2, 5, 4))
    y = layer(x)
    assert isinstance(y, np.ndarray) and y.dtype == np.float32
    t = layer(torch.tensor(x, dtype=torch.float32, requires_grad=True))
    assert isinstance(t, torch.Tensor) and t.requires_grad
    np.testing.assert_allclose(t.detach().numpy(), y)
    assert layer(x.tolist()).shape == (2, 4, 3)


def test_lazy_build_equals_explicit_build():
    lazy, explicit = Conv2D(5, 3, kernel_initializer="ones"), Conv2D(5, 3, kernel_initializer="ones")
    assert not lazy.built
    explicit.build((None, 8, 8, 2))
    assert explicit.built and explicit.count_params() == 3 * 3 * 2 * 5 + 5
    x = torch.randn(1, 8, 8, 2)
    torch.testing.assert_close(lazy(x), explicit(x))
    assert lazy.get_weights()[0].shape == (3, 3, 2, 5)


def test_weights_round_trip_and_layout():
    layer = Conv2D(4, (2, 3), groups=2)
    layer.build((1, 5, 5, 6))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (2, 3, 3, 4) and bias.shape == (4,)
    new = [np.arange(kernel.size, dtype=np.float32).reshape(kernel.shape), np.arange(4, dtype=np.float32)]
    layer.set_weights(new)
    for got, want in zip(layer.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    # storage is PyTorch's layout: (filters, in/groups, kh, kw)
    assert tuple(layer.kernel.shape) == (4, 3, 2, 3)
    assert layer.kernel[1, 2, 0, 1].item() == new[0][0, 1, 2, 1]


def test_set_weights_errors_leave_weights_untouched():
    layer = Conv2D(4, 3)
    with pytest.raises(ValueError, match=r"Conv2D 'conv2d(_\d+)?': cannot set weights before the layer is built"):
        layer.set_weights([])
    layer.build((1, 5, 5, 2))
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r"set_weights expects 2 arrays \[kernel \(3, 3, 2, 4\), bias \(4,\)\]. Received 1 arrays"):
        layer.set_weights([before[0]])
    with pytest.raises(ValueError, match=r"weight `bias` must have shape \(4,\) \(Keras layout\). Received an array of shape \(5,\)"):
        layer.set_weights([np.zeros((3, 3, 2, 4)), np.zeros(5)])
    with pytest.raises(ValueError, match=r"weight `kernel` must have shape \(3, 3, 2, 4\)"):
        layer.set_weights([np.zeros((4, 2, 3, 3)), np.zeros(4)])
    for got, want in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_config_round_trip_is_exact_and_json():
    layer = Conv2D(
        6, (3, 2), strides=(2, 1), padding=((1, 0), 2), data_format="channels_first", dilation_rate=(1, 2),
        groups=3, activation="relu", use_bias=False, kernel_initializer="he_normal", bias_initializer="ones",
        kernel_regularizer="l2", activity_regularizer="l1", kernel_constraint="max_norm", name="c1",
    )
    config = layer.get_config()
    assert list(config)[:9] == ["name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate"]
    assert config["padding"] == [[1, 0], [2, 2]] and config["activation"] == "relu"
    text = json.dumps(config)
    clone = Conv2D.from_config(json.loads(text))
    assert json.dumps(clone.get_config()) == text
    assert clone.geometry == layer.geometry


def test_keras_config_dict_forms_are_accepted():
    config = {
        "name": "conv", "trainable": True,
        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float64"}, "registered_name": None},
        "filters": 2, "kernel_size": [3], "strides": [1], "padding": "same", "data_format": "channels_last",
        "dilation_rate": [1], "groups": 1, "activation": "linear", "use_bias": True,
        "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": None}, "registered_name": None},
        "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": None},
        "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None,
    }
    layer = Conv1D.from_config(config)
    assert layer.dtype == torch.float64 and layer(np.zeros((1, 4, 1))).dtype == np.float64


def test_aliases_are_the_same_classes():
    assert convlayers.Convolution1D is Conv1D and convlayers.Convolution2D is Conv2D and convlayers.Convolution3D is Conv3D


def test_plain_torch_module_with_optimizer_and_state_dict():
    layer = Conv2D(3, 3, padding="same")
    layer.build((None, 6, 6, 2))
    assert set(layer.state_dict()) == {"kernel", "bias"}
    assert all(isinstance(p, torch.nn.Parameter) for p in layer.parameters())
    opt = torch.optim.SGD(layer.parameters(), lr=0.1)
    x, target = torch.randn(4, 6, 6, 2), torch.randn(4, 6, 6, 3)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = ((layer(x) - target) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    clone = Conv2D(3, 3, padding="same")
    clone.build((None, 6, 6, 2))
    clone.load_state_dict(layer.state_dict())
    torch.testing.assert_close(clone(x), layer(x))


def test_trainable_false_freezes_parameters():
    layer = Conv1D(2, 2, trainable=False)
    layer.build((1, 4, 1))
    assert not any(p.requires_grad for p in layer.parameters())
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2
    layer.trainable = True
    assert all(p.requires_grad for p in layer.parameters())


def test_losses_are_exact_regularization_terms():
    layer = Conv1D(2, 2, kernel_regularizer=convlayers.regularizers.L2(0.5), bias_regularizer="l1",
                   activity_regularizer=convlayers.regularizers.L1(0.25))
    layer.build((1, 4, 3))
    kernel = np.random.default_rng(0).standard_normal((2, 3, 2)).astype(np.float32)
    layer.set_weights([kernel, np.array([1.0, -2.0], np.float32)])
    x = torch.randn(3, 4, 3)
    y = layer(x)
    kernel_term, bias_term, activity_term = (t.item() for t in layer.losses)
    assert kernel_term == pytest.approx(0.5 * np.sum(kernel.astype(np.float64) ** 2), rel=1e-6)
    assert bias_term == pytest.approx(0.01 * 3.0, rel=1e-6)
    assert activity_term == pytest.approx(0.25 * y.abs().sum().item() / 3, rel=1e-6)  # per sample, as Keras 3


def test_apply_constraints_projects_in_keras_layout():
    layer = Conv2D(2, 2, kernel_constraint="non_neg", bias_constraint=convlayers.constraints.MaxNorm(1.0))
    layer.build((1, 3, 3, 2))
    layer.set_weights([-np.ones((2, 2, 2, 2), np.float32), np.array([3.0, 4.0], np.float32)])
    layer.apply_constraints()
    kernel, bias = layer.get_weights()
    assert (kernel >= 0).all()
    np.testing.assert_allclose(np.linalg.norm(bias), 1.0, rtol=1e-5)


def test_initial_weights_argument():
    kernel, bias = np.ones((1, 2, 3), np.float32), np.full(3, 0.5, np.float32)
    layer = Conv1D(3, 1, weights=[kernel, bias])
    np.testing.assert_allclose(layer(np.ones((1, 2, 2), np.float32)), np.full((1, 2, 3), 2.5))


def test_auto_names_are_unique_keras_style():
    a, b = Conv2D(1, 1), Conv2D(1, 1)
    assert a.name.startswith("conv2d") and b.name.startswith("conv2d") and a.name != b.name


def test_float64_layer():
    layer = Conv2D(2, 3, dtype="float64")
    y = layer(torch.randn(1, 5, 5, 1, dtype=torch.float32))
    assert y.dtype == torch.float64 and layer.kernel.dtype == torch.float64


# -- errors: every message names the layer, the argument, the value and what is allowed -------
@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(filters=0, kernel_size=3), ValueError, r"Conv2D 'c': invalid value for argument `filters`. Expected a value > 0. Received filters=0."),
        (dict(filters=2.0, kernel_size=3), TypeError, r"Conv2D 'c': the `filters` argument must be an integer. Received filters=2.0"),
        (dict(filters=4, kernel_size=(1, 0)), ValueError, r"`kernel_size` argument must be an integer or a tuple of 2 integers. Received kernel_size=\(1, 0\), including values \{0\}"),
        (dict(filters=4, kernel_size=(3, 3, 3)), ValueError, r"Received kernel_size=\(3, 3, 3\) of length 3"),
        (dict(filters=4, kernel_size=3, strides=(1, 0)), ValueError, r"`strides` argument .* Received strides=\(1, 0\)"),
        (dict(filters=4, kernel_size=3, dilation_rate=-1), ValueError, r"Received dilation_rate=-1"),
        (dict(filters=4, kernel_size=3, padding="wrap"), ValueError, r"`padding` argument must be one of \('valid', 'same', 'causal', 'full'\).*Received: padding='wrap'"),
        (dict(filters=4, kernel_size=3, data_format="NHWC"), ValueError, r"`data_format` argument must be one of .*Received: data_format='NHWC'"),
        (dict(filters=4, kernel_size=3, groups=0), ValueError, r"Received groups=0"),
        (dict(filters=5, kernel_size=3, groups=2), ValueError, r"number of filters must be evenly divisible by the number of groups. Received: groups=2, filters=5"),
        (dict(filters=4, kernel_size=3, activation="RELU"), ValueError, r"RELU"),
        (dict(filters=4, kernel_size=3, kernel_initializer="glorot"), ValueError, r"glorot"),
        (dict(filters=4, kernel_size=3, bogus=1), ValueError, r"Unrecognized keyword arguments passed to Conv2D: \['bogus'\]"),
    ],
)
def test_constructor_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        Conv2D(name="c", **kwargs)


def test_shape_errors_at_build_and_call():
    with pytest.raises(ValueError, match=r"Conv2D 'c': expected an input of rank at least 4 \(batch, spatial_1, spatial_2, channels\) .*received an input of shape \(5, 5, 3\) \(rank 3\)"):
        Conv2D(2, 3, name="c").build((5, 5, 3))
    with pytest.raises(ValueError, match=r"Conv1D 'c': expected an input of rank at least 3 \(batch, channels, spatial_1\)"):
        Conv1D(2, 3, data_format="channels_first", name="c")(np.zeros((4, 3), np.float32))
    with pytest.raises(ValueError, match=r"number of input channels must be evenly divisible by the number of groups. Received groups=2, but the input has 3 channels \(full input shape is \(1, 5, 5, 3\)\)"):
        Conv2D(2, 3, groups=2, name="c").build((1, 5, 5, 3))
    with pytest.raises(ValueError, match=r"channel dimension of the input must be known"):
        Conv2D(2, 3, name="c").build((1, 5, 5, None))
    with pytest.raises(ValueError, match=r"the window does not fit the input along spatial dim 2: input size 4 with padding \(0, 0\) is smaller than the effective window 5 \(kernel_size=3, dilation_rate=2\)"):
        Conv2D(2, (1, 3), dilation_rate=2, name="c").build((1, 9, 4, 1))
    layer = Conv2D(2, 3, name="c")
    layer.build((1, 5, 5, 3))
    with pytest.raises(ValueError, match=r"built for inputs with 3 channels but received an input of shape \(1, 5, 5, 4\) with 4 channels"):
        layer(np.zeros((1, 5, 5, 4), np.float32))
    with pytest.raises(ValueError, match=r"window does not fit"):
        layer.compute_output_shape((1, 2, 5, 3))
    with pytest.raises(ValueError, match=r"count its parameters"):
        Conv2D(2, 3).count_params()


def test_numpy_output_never_aliases_the_input_array():
    x = np.arange(2 * 6 * 6 * 1, dtype=np.float32).reshape(2, 6, 6, 1)
    y = convlayers.Cropping2D(1)(x)
    assert not np.shares_memory(x, y)
    y[...] = -1
    assert x.min() == 0


def test_state_dict_follows_keras_weight_order():
    layer = Conv2D(2, 3)
    layer.build((1, 5, 5, 1))
    assert list(layer.state_dict()) == ["kernel", "bias"]
    no_bias = Conv2D(2, 3, use_bias=False)
    no_bias.build((1, 5, 5, 1))
    assert list(no_bias.state_dict()) == ["kernel"] and no_bias.bias is None


@pytest.mark.parametrize("cls, kwargs", [(Conv2D, dict(filters=4)), (convlayers.DepthwiseConv2D, {}),
                                         (convlayers.SeparableConv2D, dict(filters=4)), (convlayers.Conv2DTranspose, dict(filters=4))])
@pytest.mark.parametrize("activation", ["relu", "relu6", "leaky_relu", "softmax"])
def test_activation_in_inference_equals_activation_after_the_convolution(cls, kwargs, activation):
    """Inference may fuse the activation into the kernel; the numbers are those of applying it after."""
    layer = cls(kernel_size=3, strides=2, padding="same", activation=activation, **kwargs)
    linear = cls.from_config({**layer.get_config(), "activation": None, "name": None})
    x = torch.randn(2, 9, 9, 3)
    linear.build(x.shape)
    layer.build(x.shape)
    layer.set_weights(linear.get_weights())
    expected = convlayers.activations.get(activation)(linear(x))
    with torch.no_grad():
        torch.testing.assert_close(layer(x), expected, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(layer(x.requires_grad_()), expected)


def test_a_user_function_named_like_a_fusable_activation_is_not_fused():
    def relu(x):  # not the built-in: a shifted ReLU
        return torch.clamp(x, min=0.5)

    layer = Conv2D(2, 3, activation=relu, kernel_initializer="ones", bias_initializer="zeros")
    with torch.no_grad():
        y = layer(-torch.ones(1, 5, 5, 1))
    assert torch.all(y == 0.5)
