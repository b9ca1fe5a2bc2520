"""The per-call fast path: a layer's cached steps are keyed on shape, dtype and device, and never go stale."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import torch

import convlayers as cl
from convlayers.layers.base import _PLANS_KEPT


def _fresh_output(layer: cl.layers.Layer, x: torch.Tensor) -> torch.Tensor:
    """What ``layer`` computes on ``x`` with nothing cached: a new layer of the same config and weights."""
    twin = type(layer).from_config({**layer.get_config(), "name": None})
    twin.build(tuple(x.shape))
    twin.set_weights(layer.get_weights())
    return twin.to(layer.dtype).train(layer.training)(x)


LAYERS = [
    lambda: cl.Conv2D(3, 3, padding="same", activation="relu"),
    lambda: cl.DepthwiseConv2D(3, strides=2, padding="same"),
    lambda: cl.SeparableConv2D(3, 3, activation="softmax"),
    lambda: cl.Conv2DTranspose(3, 3, strides=2, padding="same"),
    lambda: cl.MaxPooling2D(2, padding="same"),
    lambda: cl.AveragePooling2D(3, strides=2, padding="same"),
    lambda: cl.BatchNormalization(),
    lambda: cl.Dense(3),
]


@pytest.mark.parametrize("make", LAYERS)
def test_each_shape_gets_its_own_step_and_the_numbers_of_a_fresh_layer(make):
    layer = make().eval()
    for shape in [(2, 7, 7, 2), (1, 5, 9, 2), (2, 7, 7, 2), (3, 2, 6, 6, 2)]:
        if isinstance(layer, (cl.MaxPooling2D, cl.AveragePooling2D, cl.BatchNormalization)) and len(shape) == 5:
            continue  # no extra batch dims there
        x = torch.randn(shape)
        with torch.no_grad():
            torch.testing.assert_close(layer(x), _fresh_output(layer.eval(), x), rtol=0, atol=0)
    assert 2 <= len(layer._call_plans) <= 3


def test_after_double_the_next_call_computes_in_float64():
    layer = cl.Conv2D(2, 3)
    x = torch.randn(1, 6, 6, 1, dtype=torch.float64)
    assert layer(x).dtype == torch.float32  # cast to the layer's dtype, as Keras autocasts
    layer.double()
    y = layer(x)
    assert y.dtype == torch.float64
    torch.testing.assert_close(y, _fresh_output(layer, x), rtol=0, atol=0)
    layer.float()
    assert layer(x).dtype == torch.float32


@pytest.mark.parametrize("replace", ["set_weights", "load_state_dict", "assign", "parameter"])
def test_new_weights_take_effect_on_the_next_call(replace):
    layer = cl.Conv2D(2, 3, use_bias=True)
    x = torch.randn(1, 5, 5, 2)
    before = layer(x)
    kernel, bias = (np.full(w.shape, 0.5, np.float32) for w in layer.get_weights())
    if replace == "set_weights":
        layer.set_weights([kernel, bias])
    elif replace in ("load_state_dict", "assign"):
        source = cl.Conv2D(2, 3, input_shape=(5, 5, 2))
        source.set_weights([kernel, bias])
        layer.load_state_dict(source.state_dict(), assign=replace == "assign")
    else:
        layer.kernel = torch.nn.Parameter(torch.full_like(layer.kernel, 0.5))
        layer.bias = torch.nn.Parameter(torch.full_like(layer.bias, 0.5))
    after = layer(x)
    assert not torch.equal(before, after)
    expected = torch.nn.functional.conv2d(x.movedim(-1, 1), torch.full((2, 2, 3, 3), 0.5), torch.full((2,), 0.5))
    torch.testing.assert_close(after, expected.movedim(1, -1))


def test_the_cache_is_bounded():
    layer = cl.Conv1D(2, 3)
    for length in range(3, 3 + 3 * _PLANS_KEPT):
        layer(torch.randn(1, length, 1))
        assert len(layer._call_plans) <= _PLANS_KEPT


def test_training_mode_and_activation_are_read_at_each_call():
    bn = cl.BatchNormalization(momentum=0.0)
    x = torch.randn(8, 3) * 5 + 2
    bn.eval()
    torch.testing.assert_close(bn(x), x / np.sqrt(1 + 1e-3))  # moving statistics: mean 0, variance 1
    bn.train()
    y = bn(x)  # batch statistics, and the moving ones follow (momentum 0: they become the batch's)
    torch.testing.assert_close(y.mean(0), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(bn.moving_mean, x.mean(0))
    conv = cl.Conv1D(1, 1, kernel_initializer="ones", use_bias=False)
    ones = -torch.ones(1, 2, 1)
    assert conv(ones).min() == -1
    conv.activation = cl.activations.get("relu")
    assert conv(ones).min() == 0


def test_bad_shapes_and_complex_inputs_are_refused_after_a_cached_call():
    layer = cl.MaxPooling2D(3)
    layer(torch.zeros(1, 6, 6, 2))
    for _ in range(2):
        with pytest.raises(ValueError, match="MaxPooling2D"):
            layer(torch.zeros(1, 2, 6, 2))
    conv = cl.Conv2D(2, 3)
    conv(torch.zeros(1, 5, 5, 1))
    with pytest.raises(TypeError, match="must be real numbers"):
        conv(torch.zeros(1, 5, 5, 1, dtype=torch.complex64))


def test_a_copy_computes_with_its_own_weights():
    layer = cl.Conv2D(2, 3)
    x = torch.randn(1, 5, 5, 1)
    layer(x)
    clone = copy.deepcopy(layer)
    assert clone._call_plans == {}
    with torch.no_grad():
        clone.kernel.zero_()
        clone.bias.fill_(1.0)
    torch.testing.assert_close(clone(x), torch.ones(1, 3, 3, 2))
    assert not torch.equal(layer(x), clone(x))


def test_nothing_is_cached_while_tracing_or_compiling():
    layer = cl.Conv2D(2, 3, strides=2, padding="same", input_shape=(7, 7, 1))
    x = torch.randn(2, 7, 7, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(layer, x, check_trace=False)  # the check would call the layer eagerly
    assert layer._call_plans == {}
    torch.testing.assert_close(traced(x), layer(x))
    compiled = cl.Conv2D(2, 3, input_shape=(7, 7, 1))
    torch.testing.assert_close(torch.compile(compiled, backend="eager", fullgraph=True)(x), compiled(x))
    assert len(compiled._call_plans) == 1  # the eager call's only


def test_numpy_calls_use_the_same_steps():
    layer = cl.Conv2D(2, 3)
    x = np.random.default_rng(0).standard_normal((1, 5, 5, 1)).astype(np.float32)
    y = layer(x)
    assert isinstance(y, np.ndarray) and len(layer._call_plans) == 1
    np.testing.assert_array_equal(layer(torch.from_numpy(x)).detach().numpy(), y)
