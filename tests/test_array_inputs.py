"""What NumPy callers may pass and get back: every dtype and stride pattern, one rule for layers, models and fit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import convlayers as cl
import reference


def _conv(dtype=None):
    layer = cl.Conv2D(3, 2, use_bias=False, dtype=dtype)
    layer.build((None, 4, 5, 2))
    return layer


def _expected(layer, x):
    kernel = layer.get_weights()[0].astype(np.float64)
    y = reference.conv(reference.to_channels_first(np.asarray(x, np.float64)), kernel, None, pads=((0, 0), (0, 0)),
                       strides=(1, 1), dilation=(1, 1))
    return reference.to_channels_last(y)


def test_bfloat16_layer_returns_float32_arrays_to_numpy_callers():
    """NumPy has no bfloat16: the values come back exactly, as float32 (torch's .numpy() raised)."""
    layer = _conv("bfloat16")
    x = np.random.default_rng(0).standard_normal((2, 4, 5, 2)).astype(np.float32)
    y = layer(x)
    assert y.dtype == np.float32
    exact = layer(torch.from_numpy(x)).detach().float().numpy()  # the bfloat16 tensor result, widened
    np.testing.assert_array_equal(y, exact)
    np.testing.assert_allclose(y, _expected(layer, x), rtol=0.05, atol=0.1)  # bfloat16 keeps 8 bits


def test_bfloat16_sequential_returns_float32_arrays():
    model = cl.Sequential([cl.Input((4, 5, 2)), cl.Conv2D(3, 2, dtype="bfloat16")])
    assert model.predict(np.ones((2, 4, 5, 2), np.float32), verbose=0).dtype == np.float32
    assert model(np.ones((2, 4, 5, 2), np.float32)).dtype == np.float32


@pytest.mark.parametrize("view", ["reversed width", "reversed batch", "strided", "transposed"])
def test_any_numpy_view_is_taken(view):
    """Negative-stride views were refused with torch's message; every view now gives the values it shows."""
    base = np.random.default_rng(1).standard_normal((4, 8, 10, 2)).astype(np.float32)
    x = {
        "reversed width": base[:2, :4, ::-1][:, :, :5],
        "reversed batch": base[::-2, :4, :5],
        "strided": base[:2, ::2, ::2],
        "transposed": base[:2, :5, :4].transpose(0, 2, 1, 3),
    }[view]
    layer = _conv()
    np.testing.assert_allclose(layer(x), _expected(layer, np.ascontiguousarray(x)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.int32, np.int64, np.float16, np.float64])
def test_real_number_dtypes_are_cast_to_the_layer_dtype(dtype):
    x = (np.random.default_rng(2).standard_normal((2, 4, 5, 2)) * 3).astype(dtype)
    layer = _conv()
    y = layer(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, _expected(layer, x.astype(np.float32)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("as_tensor", [False, True])
def test_complex_inputs_are_refused_not_truncated(as_tensor):
    """The imaginary part used to vanish (torch's cast only warns); a layer that computes refuses complex values."""
    x = np.ones((2, 4, 5, 2), np.complex64) * (1 + 2j)
    with pytest.raises(TypeError, match=r"Conv2D '.*': `inputs` must be real numbers; received complex64 values"):
        _conv()(torch.from_numpy(x) if as_tensor else x)


def test_complex_values_pass_through_layers_that_only_move_them():
    x = np.arange(12).reshape(1, 3, 4, 1) * (1 - 1j)
    y = cl.ZeroPadding2D(1)(x)
    assert y.dtype == np.complex128
    np.testing.assert_array_equal(y[0, 1:-1, 1:-1], x[0])


def test_fit_refuses_complex_data():
    model = cl.Sequential([cl.Input((3,)), cl.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match=r"`x` must be real numbers; received complex128 values"):
        model.fit(np.ones((4, 3)) * 1j, np.ones((4, 1)), verbose=0)


@pytest.mark.parametrize(
    "value, received",
    [
        (np.array(["a", "b"]), "dtype <U1"),
        (np.array([object(), object()]), "dtype object"),
        (np.ones(3, np.longdouble) if np.dtype(np.longdouble).itemsize > 8 else np.array(["x"]), "dtype"),
    ],
)
def test_values_that_are_not_numbers_are_refused_by_name(value, received):
    with pytest.raises(TypeError, match=rf"Flatten '.*': `inputs` must be numbers .*received an array of {received}"):
        cl.Flatten()(value)


def test_ragged_lists_are_refused_by_name():
    with pytest.raises(TypeError, match=r"Flatten '.*': `inputs` must be a rectangular array of numbers"):
        cl.Flatten()([[1.0, 2.0], [3.0]])


def test_bfloat16_weights_come_back_exactly_as_float32():
    layer = _conv("bfloat16")
    weights = layer.get_weights()
    assert weights[0].dtype == np.float32
    np.testing.assert_array_equal(weights[0], layer.kernel.detach().float().permute(2, 3, 1, 0).numpy())
    layer.set_weights(weights)  # and they go back in unchanged
    np.testing.assert_array_equal(layer.get_weights()[0], weights[0])
