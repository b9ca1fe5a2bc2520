"""LocallyConnected1D/2D: values against a direct-loop NumPy reference, gradients, weights, config, errors."""

import itertools
import json

import numpy as np
import pytest
import torch

from convlayers import LocallyConnected1D, LocallyConnected2D, ops
from convlayers.geometry import Same

LOCAL = {1: LocallyConnected1D, 2: LocallyConnected2D}


def np_local(x, kernel, bias, *, k, s, pads, channels_last):
    """Keras 2's ``local_conv`` by direct loops: position ``p`` (row-major) applies ``kernel[p]`` to its window,
    flattened in the input's C order; the bias is added as Keras's ``bias_add`` reads it."""
    if channels_last:
        x = np.pad(x, ((0, 0),) + tuple(pads) + ((0, 0),))
        spatial = x.shape[1:-1]
    else:
        x = np.pad(x, ((0, 0), (0, 0)) + tuple(pads))
        spatial = x.shape[2:]
    out = tuple((n - kk) // ss + 1 for n, kk, ss in zip(spatial, k, s))
    filters = kernel.shape[-1]
    y = np.zeros((x.shape[0],) + out + (filters,))
    for p, position in enumerate(itertools.product(*map(range, out))):
        window = tuple(slice(i * ss, i * ss + kk) for i, ss, kk in zip(position, s, k))
        patch = x[(slice(None),) + window + (slice(None),)] if channels_last else x[(slice(None), slice(None)) + window]
        for n in range(x.shape[0]):
            for f in range(filters):
                y[(n,) + position + (f,)] = np.sum(patch[n].reshape(-1) * kernel[p, :, f])
    if channels_last:
        return y if bias is None else y + bias
    y = np.moveaxis(y, -1, 1)
    return y if bias is None else y + bias.reshape((1, filters) + out)  # Keras reshapes, not transposes


CASES = [
    (1, (3,), (1,), "valid", "channels_last"),
    (1, (2,), (3,), "valid", "channels_first"),
    (1, (3,), (2,), Same(), "channels_last"),
    (2, (3, 2), (1, 2), "valid", "channels_last"),
    (2, (2, 3), (2, 1), "valid", "channels_first"),
    (2, (3, 3), (2, 2), "same", "channels_first"),
]


@pytest.mark.parametrize("rank, k, s, padding, data_format", CASES)
@pytest.mark.parametrize("use_bias", [True, False])
def test_values_against_numpy_reference(rank, k, s, padding, data_format, use_bias):
    rng = np.random.default_rng(0)
    sizes = (7, 6)[:rank]
    channels_last = data_format == "channels_last"
    x = rng.standard_normal((2,) + ((sizes + (3,)) if channels_last else ((3,) + sizes))).astype(np.float32)
    layer = LOCAL[rank](4, k, strides=s, padding=padding, data_format=data_format, use_bias=use_bias)
    layer.build(x.shape)
    weights = [rng.standard_normal(w.shape).astype(np.float32) for w in layer.get_weights()]
    layer.set_weights(weights)
    pads = layer.geometry.pads(sizes)
    expected = np_local(x, weights[0], weights[1] if use_bias else None, k=k, s=s, pads=pads, channels_last=channels_last)
    y = layer(x)
    assert y.shape == expected.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_weight_shapes_are_keras_2_implementation_1():
    layer = LocallyConnected2D(5, (3, 2), strides=(2, 1), input_shape=(9, 6, 4))
    assert [w.shape for w in layer.get_weights()] == [(4 * 5, 3 * 2 * 4, 5), (4, 5, 5)]
    assert layer.count_params() == 20 * 24 * 5 + 100
    assert [w.shape for w in LocallyConnected1D(3, 2, input_shape=(5, 2)).get_weights()] == [(4, 4, 3), (4, 3)]


def test_channels_first_bias_round_trips_through_its_storage():
    layer = LocallyConnected2D(2, 2, data_format="channels_first", input_shape=(1, 3, 4))
    bias = np.arange(12.0, dtype=np.float32).reshape(2, 3, 2)
    layer.set_weights([layer.get_weights()[0], bias])
    np.testing.assert_array_equal(layer.get_weights()[1], bias)
    assert tuple(layer.bias.shape) == (2, 3, 2)  # stored per position: (*out, filters)


@pytest.mark.parametrize("rank, k, s, padding, data_format", CASES)
def test_gradcheck_float64(rank, k, s, padding, data_format):
    sizes = (5, 4)[:rank]
    channels_last = data_format == "channels_last"
    shape = (2,) + ((sizes + (2,)) if channels_last else ((2,) + sizes))
    layer = LOCAL[rank](3, k, strides=s, padding=padding, data_format=data_format, dtype="float64")
    layer.build(shape)
    x = torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0), requires_grad=True)
    pads = layer.geometry.pads(sizes)

    def run(x, kernel, bias):
        return ops.locally_connected(x, kernel, bias, kernel_size=k, strides=s, pads=pads, channels_last=channels_last)

    assert torch.autograd.gradcheck(run, (x, layer.kernel, layer.bias))
    layer(x).sum().backward()  # through the layer too: every weight gets a gradient
    assert layer.kernel.grad is not None and layer.bias.grad is not None


def test_config_round_trip_is_exact_and_json():
    layer = LocallyConnected2D(4, (3, 2), strides=2, data_format="channels_first", activation="relu", use_bias=False,
                               kernel_regularizer="l2", name="lc")
    config = layer.get_config()
    assert config["implementation"] == 1 and config["padding"] == "valid" and config["strides"] == (2, 2)
    clone = LocallyConnected2D.from_config(json.loads(json.dumps(config)))
    assert clone.get_config() == config


def test_activation_is_applied():
    layer = LocallyConnected1D(2, 2, activation="relu", input_shape=(4, 1))
    layer.set_weights([-np.ones((3, 2, 2), "float32"), np.zeros((3, 2), "float32")])
    assert np.all(layer(np.ones((1, 4, 1), "float32")) == 0)


def test_errors_name_the_layer_and_value():
    with pytest.raises(ValueError, match=r"LocallyConnected2D 'l'.*implementation=1.*Received implementation=2"):
        LocallyConnected2D(2, 3, implementation=2, name="l")
    with pytest.raises(ValueError, match=r"LocallyConnected1D 'l1': the spatial sizes .* must be known.*\(None, None, 3\)"):
        LocallyConnected1D(2, 3, name="l1").build((None, None, 3))
    layer = LocallyConnected1D(2, 3, name="l2", input_shape=(6, 3))
    with pytest.raises(ValueError, match=r"LocallyConnected1D 'l2': it was built for spatial sizes \(6,\).*\(1, 7, 3\)"):
        layer(np.zeros((1, 7, 3), "float32"))
    with pytest.raises(ValueError, match=r"LocallyConnected1D 'l3': the window does not fit"):
        LocallyConnected1D(2, 5, name="l3")(np.zeros((1, 3, 1), "float32"))
    with pytest.raises(ValueError, match=r"LocallyConnected2D 'l4'.*channels"):
        LocallyConnected2D(2, 2, name="l4", input_shape=(3, 3, 2))(np.zeros((1, 3, 3, 5), "float32"))
