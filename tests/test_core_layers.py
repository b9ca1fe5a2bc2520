"""Companion layers (Input, Dense, Activation, Dropout, Flatten, Reshape, BatchNormalization)
against NumPy formulas, plus their protocol, configs, errors and the layer-class registry."""

import json

import numpy as np
import pytest
import torch

from convlayers import (
    Activation,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Input,
    InputLayer,
    Layer,
    Reshape,
    regularizers,
)
from convlayers.layers import deserialize_layer, get_layer_class, register_layer_class, serialize_layer

RNG = np.random.default_rng(0)


def _roundtrip(layer):
    config = layer.get_config()
    json.dumps(config)  # configs are plain data
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    return clone


# -- InputLayer ---------------------------------------------------------------------------------
def test_input_shapes_and_config():
    # Input returns the InputLayer's symbolic output (Keras 3), a KerasTensor named after the layer.
    assert Input((28, 28, 1)).shape == (None, 28, 28, 1)
    assert Input((4,), batch_size=8).keras_history.operation.batch_shape == (8, 4)
    assert InputLayer(batch_shape=(None, None, 3)).batch_shape == (None, None, 3)
    tensor = Input((5,), name="pixels", dtype="float64")
    assert (tensor.name, tensor.dtype) == ("pixels", "float64")
    layer = tensor.keras_history.operation
    assert layer.get_config() == {"batch_shape": (None, 5), "dtype": "float64", "sparse": False, "name": "pixels"}
    assert InputLayer.from_config(layer.get_config()).batch_shape == (None, 5)
    assert InputLayer(batch_input_shape=[None, 3]).batch_shape == (None, 3)  # tf.keras 2 configs


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({}, ValueError, "the `shape` argument is required"),
        ({"shape": (3,), "batch_shape": (None, 3)}, ValueError, "pass either `shape` or `batch_shape`, not both"),
        ({"shape": (0, 3)}, ValueError, "every entry of `shape` must be a positive int or None. Received: shape=(0, 3)"),
        ({"shape": "abc"}, TypeError, "`shape` must be a tuple of ints or None. Received: shape='abc'"),
        ({"shape": (3,), "sparse": True}, ValueError, "sparse inputs are not supported"),
    ],
)
def test_input_errors(kwargs, error, message):
    with pytest.raises(error, match="InputLayer") as info:
        InputLayer(**kwargs)
    assert message in str(info.value)


# -- Dense -------------------------------------------------------------------------------------------
def test_dense_matches_numpy_on_any_rank():
    x = RNG.standard_normal((2, 3, 5)).astype(np.float32)
    kernel = RNG.standard_normal((5, 4)).astype(np.float32)
    bias = RNG.standard_normal(4).astype(np.float32)
    layer = Dense(4, activation="relu")
    layer.build(x.shape)
    layer.set_weights([kernel, bias])
    expected = np.maximum(np.einsum("abi,io->abo", x.astype(np.float64), kernel) + bias, 0)
    y = layer(x)
    assert y.shape == (2, 3, 4) == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    assert [w.shape for w in layer.get_weights()] == [(5, 4), (4,)]  # Keras layout (in, units)
    np.testing.assert_array_equal(layer.get_weights()[0], kernel)


def test_dense_without_bias_and_gradcheck():
    layer = Dense(3, use_bias=False, activation="tanh", dtype="float64")
    layer.build((2, 4))
    assert [w.shape for w in layer.get_weights()] == [(4, 3)] and layer.count_params() == 12
    x = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, *w: layer(x), (x, *layer.weights))


def test_dense_regularizer_and_constraint():
    layer = Dense(3, kernel_regularizer=regularizers.L2(0.1), bias_regularizer="l1", kernel_constraint="non_neg")
    layer.build((None, 2))
    kernel = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, 0.5]], np.float32)
    bias = np.array([1.0, -1.0, 0.5], np.float32)
    layer.set_weights([kernel, bias])
    terms = [float(t.detach()) for t in layer.losses]
    np.testing.assert_allclose(terms, [0.1 * np.sum(kernel**2), 0.01 * np.sum(np.abs(bias))], rtol=1e-6)
    layer.apply_constraints()
    np.testing.assert_array_equal(layer.get_weights()[0], np.maximum(kernel, 0))


def test_dense_config_roundtrip():
    layer = Dense(7, activation="softmax", use_bias=False, kernel_initializer="he_normal", kernel_regularizer="l2", name="head")
    clone = _roundtrip(layer)
    assert clone.units == 7 and clone.name == "head" and clone.activation.name == "softmax"
    assert list(layer.get_config())[:6] == ["name", "trainable", "dtype", "units", "activation", "use_bias"]


@pytest.mark.parametrize(
    "make, shape, error, message",
    [
        (lambda: Dense(0), None, ValueError, "invalid value for argument `units`. Expected a value > 0. Received units=0"),
        (lambda: Dense(2.5), None, TypeError, "the `units` argument must be an integer. Received units=2.5"),
        (lambda: Dense(2), (4,), ValueError, "expected an input of rank >= 2 (batch, ..., features) with a known last dim. Received input shape (4,)"),
        (lambda: Dense(2), (3, None), ValueError, "with a known last dim"),
    ],
)
def test_dense_errors(make, shape, error, message):
    with pytest.raises(error) as info:
        make().build(shape)
    assert "Dense" in str(info.value) and message in str(info.value)


def test_dense_rejects_other_feature_count_after_build():
    layer = Dense(2, name="d")
    layer(np.zeros((1, 3), np.float32))
    with pytest.raises(ValueError, match=r"Dense 'd': the layer was built for inputs with 3 features \(last axis\) but received an input of shape \(1, 4\)"):
        layer(np.zeros((1, 4), np.float32))


# -- Activation ---------------------------------------------------------------------------------------
def test_activation_layer():
    x = np.array([[-2.0, 0.5, 3.0]], np.float32)
    np.testing.assert_allclose(Activation("sigmoid")(x), 1 / (1 + np.exp(-x)), rtol=1e-6)
    np.testing.assert_allclose(Activation("softmax")(x), np.exp(x) / np.exp(x).sum(), rtol=1e-6)
    clone = _roundtrip(Activation("swish"))
    assert clone.get_config()["activation"] == "silu"
    assert Activation("relu").compute_output_shape((None, 3)) == (None, 3)


# -- Dropout ------------------------------------------------------------------------------------------
def test_dropout_scales_kept_values_in_training_mode_only():
    layer = Dropout(0.25)
    x = torch.ones(200, 50)
    y = layer(x)
    assert set(torch.unique(y).tolist()) == {0.0, np.float32(1 / 0.75)}
    kept = (y != 0).float().mean().item()
    assert abs(kept - 0.75) < 0.02  # 10,000 Bernoulli draws: 5 standard deviations
    layer.eval()
    assert torch.equal(layer(x), x)


def test_dropout_numpy_call_is_inference_even_in_training_mode():
    layer = Dropout(0.9)
    assert layer.training
    x = np.ones((4, 5), np.float32)
    np.testing.assert_array_equal(layer(x), x)
    assert layer.training  # the mode is restored


def test_dropout_noise_shape_seed_and_edges():
    layer = Dropout(0.5, noise_shape=(None, 1, 6), seed=3)
    y = layer(torch.ones(4, 5, 6))
    assert torch.equal(y, y[:, :1, :].expand(4, 5, 6))  # one mask per (batch, channel), shared along axis 1
    same_seed = Dropout(0.5, noise_shape=(None, 1, 6), seed=3)
    assert torch.equal(same_seed(torch.ones(4, 5, 6)), y)
    assert torch.equal(Dropout(1.0)(torch.ones(3)), torch.zeros(3))
    assert torch.equal(Dropout(0.0)(torch.ones(3)), torch.ones(3))
    with pytest.raises(ValueError, match=r"Dropout 'd': `noise_shape` must have one entry per input dim. Received noise_shape=\(None, 1\) for an input of shape \(2, 3, 4\)"):
        Dropout(0.5, noise_shape=(None, 1), name="d")(torch.ones(2, 3, 4))


def test_dropout_is_deterministic_under_manual_seed():
    torch.manual_seed(5)
    a = Dropout(0.5)(torch.ones(100))
    torch.manual_seed(5)
    assert torch.equal(Dropout(0.5)(torch.ones(100)), a)


@pytest.mark.parametrize("rate", [-0.1, 1.5, "half", True])
def test_dropout_rate_errors(rate):
    with pytest.raises(ValueError, match=rf"Dropout.*invalid value for argument `rate`. Expected a float between 0 and 1. Received: rate={rate!r}"):
        Dropout(rate)


def test_dropout_config_roundtrip():
    clone = _roundtrip(Dropout(0.3, noise_shape=(None, 1, None), seed=7))
    assert (clone.rate, clone.noise_shape, clone.seed) == (0.3, (None, 1, None), 7)


# -- Flatten and Reshape --------------------------------------------------------------------------
def test_flatten_channels_last_and_first_orders():
    x = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(Flatten()(x), x.reshape(2, -1))
    # channels_first: Keras moves channels last before flattening.
    np.testing.assert_array_equal(Flatten(data_format="channels_first")(x), np.moveaxis(x, 1, -1).reshape(2, -1))
    assert Flatten()(np.arange(3, dtype=np.float32)).shape == (3, 1)
    assert Flatten().compute_output_shape((None, 3, 4, 5)) == (None, 60)
    assert Flatten().compute_output_shape((None, None, 4)) == (None, None)
    assert _roundtrip(Flatten(data_format="channels_first")).data_format == "channels_first"
    with pytest.raises(ValueError, match="Flatten.*`data_format` argument must be one of"):
        Flatten(data_format="nhwc")


def test_reshape_values_and_shapes():
    x = RNG.standard_normal((2, 12)).astype(np.float32)
    np.testing.assert_array_equal(Reshape((3, 4))(x), x.reshape(2, 3, 4))
    np.testing.assert_array_equal(Reshape((-1, 2))(x), x.reshape(2, 6, 2))
    assert Reshape((-1, 2)).compute_output_shape((None, 3, 4)) == (None, 6, 2)
    assert Reshape((-1, 2)).compute_output_shape((None, None, 4)) == (None, None, 2)
    assert _roundtrip(Reshape((-1, 3))).target_shape == (-1, 3)


@pytest.mark.parametrize(
    "target, message",
    [
        ((-1, -1), "`target_shape` may contain at most one -1. Received: target_shape=(-1, -1)"),
        ((0, 3), "`target_shape` must be a tuple of positive ints, with at most one -1. Received: target_shape=(0, 3)"),
        ("ab", "Received: target_shape='ab'"),
    ],
)
def test_reshape_argument_errors(target, message):
    with pytest.raises(ValueError, match="Reshape") as info:
        Reshape(target)
    assert message in str(info.value)


def test_reshape_size_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"Reshape 'r': cannot reshape examples of shape \(12,\) \(12 elements\) to target_shape=\(5, -1\)"):
        Reshape((5, -1), name="r")(np.zeros((2, 12), np.float32))
    with pytest.raises(ValueError, match="the total size must be unchanged"):
        Reshape((5, 2)).compute_output_shape((None, 12))


# -- BatchNormalization ----------------------------------------------------------------------------
def _bn_reference(x, axis, gamma, beta, mean, var, eps):
    shape = [1] * x.ndim
    shape[axis] = -1
    return gamma.reshape(shape) * (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) + beta.reshape(shape)


def test_batchnorm_training_uses_batch_statistics_and_updates_moving_ones():
    layer = BatchNormalization(momentum=0.9, epsilon=1e-3)
    gamma, beta = np.array([1.5, 0.5, 2.0], np.float32), np.array([0.1, -0.2, 0.3], np.float32)
    mean0, var0 = np.array([0.2, -0.1, 0.0], np.float32), np.array([1.0, 2.0, 0.5], np.float32)
    layer.build((None, 4, 3))
    layer.set_weights([gamma, beta, mean0, var0])
    batches = [RNG.standard_normal((5, 4, 3)).astype(np.float32) * 3 + 1 for _ in range(2)]
    moving_mean, moving_var = mean0.astype(np.float64), var0.astype(np.float64)
    for x in batches:
        y = layer(torch.from_numpy(x)).detach().numpy()  # a tensor call: training mode
        batch_mean, batch_var = x.mean(axis=(0, 1)), x.var(axis=(0, 1))  # biased variance, as Keras
        np.testing.assert_allclose(y, _bn_reference(x, -1, gamma, beta, batch_mean, batch_var, 1e-3), rtol=1e-4, atol=1e-5)
        moving_mean = moving_mean * 0.9 + batch_mean * 0.1
        moving_var = moving_var * 0.9 + batch_var * 0.1
        np.testing.assert_allclose(layer.get_weights()[2], moving_mean, rtol=1e-5)
        np.testing.assert_allclose(layer.get_weights()[3], moving_var, rtol=1e-5)


def test_batchnorm_inference_uses_moving_statistics_without_updating():
    layer = BatchNormalization(axis=1, epsilon=0.01)  # channels first
    x = RNG.standard_normal((3, 2, 4, 4)).astype(np.float32)
    layer.build(x.shape)
    weights = [np.array([2.0, 3.0]), np.array([0.5, -0.5]), np.array([0.3, -0.2]), np.array([1.5, 0.4])]
    layer.set_weights(weights)
    expected = _bn_reference(x, 1, *weights, 0.01)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-5, atol=1e-6)  # NumPy call: inference
    layer.eval()
    np.testing.assert_allclose(layer(torch.from_numpy(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    for got, want in zip(layer.get_weights(), weights):
        np.testing.assert_allclose(got, want)


def test_batchnorm_frozen_layer_runs_in_inference_mode_in_training():
    layer = BatchNormalization()
    layer.build((None, 2))
    layer.trainable = False
    x = torch.tensor([[1.0, 2.0], [3.0, 6.0]])
    np.testing.assert_allclose(layer(x).numpy(), x.numpy() / np.sqrt(1 + 1e-3), rtol=1e-6)
    np.testing.assert_array_equal(layer.get_weights()[2], [0.0, 0.0])


def test_batchnorm_weights_order_trainability_and_buffers():
    layer = BatchNormalization()
    layer.build((None, 5, 5, 4))
    assert [w.shape for w in layer.get_weights()] == [(4,)] * 4
    names = [record.name for record in layer._weight_records]
    assert names == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [p is layer.gamma or p is layer.beta for p in layer.parameters()] == [True, True]
    assert set(dict(layer.named_buffers())) == {"moving_mean", "moving_variance"}
    assert layer.trainable_weights == [layer.gamma, layer.beta]
    assert layer.non_trainable_weights == [layer.moving_mean, layer.moving_variance]
    assert layer.count_params() == 16
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 4
    bare = BatchNormalization(center=False, scale=False)
    bare.build((None, 3))
    assert [r.name for r in bare._weight_records] == ["moving_mean", "moving_variance"]
    np.testing.assert_allclose(bare(np.array([[2.0, 4.0, 6.0]], np.float32)), [[2.0, 4.0, 6.0]] / np.sqrt(1.001), rtol=1e-6)


def test_batchnorm_gradcheck_in_training_mode():
    layer = BatchNormalization(dtype="float64")
    layer.build((4, 3))
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    # Moving statistics change each call; the output does not depend on them in training mode.
    assert torch.autograd.gradcheck(lambda x, g, b: layer(x), (x, layer.gamma, layer.beta))


def test_batchnorm_config_roundtrip_and_errors():
    layer = BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False, gamma_regularizer="l2", name="bn")
    clone = _roundtrip(layer)
    assert (clone.axis, clone.momentum, clone.epsilon, clone.center) == (1, 0.9, 1e-5, False)
    assert BatchNormalization(axis=[3]).axis == 3  # tf.keras 2 configs store a list
    with pytest.raises(ValueError, match=r"BatchNormalization 'bn': axis=3 is out of range for an input of rank 2 \(allowed: -2 to 1\)"):
        BatchNormalization(axis=3, name="bn").build((None, 4))
    with pytest.raises(ValueError, match="synchronized=True is only supported by Keras's TensorFlow backend"):
        BatchNormalization(synchronized=True)
    with pytest.raises(TypeError, match="`axis` must be an int. Received: axis='x'"):
        BatchNormalization(axis="x")
    built = BatchNormalization(name="b2")
    built.build((None, 4))
    with pytest.raises(ValueError, match=r"built for inputs of rank 2 with 4 features on axis -1; received an input of shape \(2, 5\)"):
        built(np.zeros((2, 5), np.float32))


# -- registry ---------------------------------------------------------------------------------------
def test_layer_class_registry():
    assert get_layer_class("Conv2D") is Conv2D
    assert get_layer_class("Convolution2D") is Conv2D
    assert get_layer_class("MaxPool2D").__name__ == "MaxPooling2D"
    assert get_layer_class("BatchNormalization") is BatchNormalization
    assert get_layer_class("InputLayer") is InputLayer
    with pytest.raises(ValueError, match=r"Unknown layer class 'Conv9D'\. Known classes: .*Conv2D.*register_layer_class"):
        get_layer_class("Conv9D")
    with pytest.raises(TypeError, match="`class_name` must be a string"):
        get_layer_class(3)


def test_registering_and_serializing_custom_layers():
    @register_layer_class
    class Scale(Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return self.factor * x

        def _config(self):
            return {"factor": self.factor}

    entry = serialize_layer(Scale(3.0, name="s"))
    assert entry["registered_name"] == "Scale" and entry["build_config"] is None
    layer = deserialize_layer(json.loads(json.dumps(entry)))
    assert isinstance(layer, Scale) and layer.factor == 3.0
    with pytest.raises(ValueError, match="'Dense' is a built-in layer class name"):
        register_layer_class(Scale, "Dense")
    with pytest.raises(TypeError, match="expected a subclass of convlayers.layers.Layer"):
        register_layer_class(int)


def test_deserialize_builds_from_build_config():
    dense = Dense(3, name="dd")
    dense.build((None, 4))
    entry = json.loads(json.dumps(serialize_layer(dense)))
    assert entry["build_config"] == {"input_shape": [None, 4]}
    rebuilt = deserialize_layer(entry)
    assert rebuilt.built and [w.shape for w in rebuilt.get_weights()] == [(4, 3), (3,)]
    with pytest.raises(ValueError, match="A layer config entry must be a dict with 'class_name'"):
        deserialize_layer({"config": {}})
