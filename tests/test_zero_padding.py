"""ZeroPadding1D/2D/3D: accepted forms, values against np.pad, dtypes, errors, protocol."""

import itertools
import json
import re

import numpy as np
import pytest
import torch

from convlayers import ZeroPadding1D, ZeroPadding2D, ZeroPadding3D
from convlayers.geometry import padded_sizes
from reference import pad as np_pad
from reference import to_channels_first, to_channels_last

ZERO_PADDING = {1: ZeroPadding1D, 2: ZeroPadding2D, 3: ZeroPadding3D}


# -- accepted forms ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls, value, expected",
    [
        (ZeroPadding1D, None, ((1, 1),)),  # Keras's defaults
        (ZeroPadding2D, None, ((1, 1), (1, 1))),
        (ZeroPadding3D, None, ((1, 1), (1, 1), (1, 1))),
        (ZeroPadding1D, 3, ((3, 3),)),
        (ZeroPadding1D, (0, 2), ((0, 2),)),
        (ZeroPadding2D, 0, ((0, 0), (0, 0))),
        (ZeroPadding2D, (1, 2), ((1, 1), (2, 2))),
        (ZeroPadding2D, ((1, 0), (2, 3)), ((1, 0), (2, 3))),
        (ZeroPadding2D, ((1, 2), 3), ((1, 2), (3, 3))),
        (ZeroPadding2D, [np.int32(2), (0, 1)], ((2, 2), (0, 1))),
        (ZeroPadding3D, (1, 2, 3), ((1, 1), (2, 2), (3, 3))),
        (ZeroPadding3D, (1, (2, 0), 3), ((1, 1), (2, 0), (3, 3))),
    ],
)
def test_accepted_forms(cls, value, expected):
    layer = cls() if value is None else cls(value)
    assert layer.padding == expected


@pytest.mark.parametrize(
    "cls, value, message",
    [
        (ZeroPadding1D, (1,), "the `padding` argument must be an int or a tuple of 2 ints (begin, end). Received padding=(1,)."),
        (ZeroPadding1D, (1, 2, 3), "Received padding=(1, 2, 3)."),
        (ZeroPadding1D, "1", "Received padding='1'."),
        # Keras accepts a negative plain int and fails only when called; refused here at once.
        (ZeroPadding1D, -1, "the `padding` argument cannot be negative. Received padding=-1, including negative values [-1]."),
        (ZeroPadding2D, (1, 2, 3), "must be an int, 2 ints, or 2 (begin, end) pairs of non-negative ints. Received padding=(1, 2, 3)."),
        (ZeroPadding2D, ((1, 2), (3, 4, 5)), "Received padding=((1, 2), (3, 4, 5))."),
        (ZeroPadding2D, -3, "cannot be negative. Received padding=-3"),
        (ZeroPadding3D, (1,), "Received padding=(1,)."),
        (ZeroPadding3D, (1, 2), "Received padding=(1, 2)."),
        (ZeroPadding3D, (1, 2, 3, 4), "Received padding=(1, 2, 3, 4)."),
        (ZeroPadding3D, "1", "Received padding='1'."),
        (ZeroPadding3D, ((1, 2), (3, 4), (5, 6, 7)), "Received padding=((1, 2), (3, 4), (5, 6, 7))."),
        (ZeroPadding3D, ((1, 2), (3, 4), (5, -6)), "cannot be negative. Received padding=((1, 2), (3, 4), (5, -6))"),
        (ZeroPadding3D, ((1, 2), (3, 4), "5"), "Received padding=((1, 2), (3, 4), '5')."),
        (ZeroPadding3D, 2.0, "Received padding=2.0."),
    ],
)
def test_invalid_forms_raise_value_error_naming_layer_and_value(cls, value, message):
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        cls(value, name="zp")
    assert str(info.value).startswith(f"{cls.__name__} 'zp': ")


# -- values ---------------------------------------------------------------------------------------
def _cases():
    rng = np.random.default_rng(11)
    for rank in (1, 2, 3):
        for data_format in ("channels_last", "channels_first"):
            for _ in range(3):
                padding = tuple((int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in range(rank))
                yield rank, data_format, padding


@pytest.mark.parametrize("rank, data_format, padding", list(_cases()))
def test_values_against_np_pad(rank, data_format, padding):
    rng = np.random.default_rng(0)
    x_cf = rng.standard_normal((2, 3) + (4, 3, 5)[:rank]).astype(np.float32)
    x = x_cf if data_format == "channels_first" else to_channels_last(x_cf)
    layer = ZERO_PADDING[rank](padding[0] if rank == 1 else padding, data_format=data_format)
    y = layer(x)
    expected = np_pad(x_cf, padding)
    if data_format == "channels_last":
        expected = to_channels_last(expected)
    assert y.shape == expected.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_array_equal(y, expected)


def test_zero_padding_1d_channels_first_pads_the_last_axis():
    x = np.arange(6, dtype=np.float32).reshape(1, 2, 3)  # (batch, features, steps)
    y = ZeroPadding1D((1, 2), data_format="channels_first")(x)
    np.testing.assert_array_equal(y, np.pad(x, [(0, 0), (0, 0), (1, 2)]))


@pytest.mark.parametrize(
    "dtype, layer_dtype, out_dtype",
    [
        (np.int64, "float32", np.int64),  # integers and bools are kept, as in Keras
        (np.int32, "float32", np.int32),
        (np.uint8, "float32", np.uint8),
        (np.bool_, "float32", np.bool_),
        (np.float64, "float32", np.float32),  # floats take the layer's dtype (Keras's autocast)
        (np.float32, "float16", np.float16),
    ],
)
def test_dtypes_follow_keras_autocast(dtype, layer_dtype, out_dtype):
    x = (np.arange(2 * 3 * 4 * 2).reshape(2, 3, 4, 2) % 5).astype(dtype)
    y = ZeroPadding2D(((1, 0), (0, 2)), dtype=layer_dtype)(x)
    assert y.dtype == out_dtype
    np.testing.assert_array_equal(y, to_channels_last(np_pad(to_channels_first(x), ((1, 0), (0, 2)))).astype(out_dtype))


def test_tensor_in_tensor_out_with_gradient():
    x = torch.randn(1, 2, 3, 4, requires_grad=True)
    y = ZeroPadding2D(((1, 2), (0, 1)), data_format="channels_first")(x)
    assert isinstance(y, torch.Tensor) and y.shape == (1, 2, 6, 5)
    (y * 2).sum().backward()
    assert torch.equal(x.grad, torch.full_like(x, 2.0))


# -- shapes and errors -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "layer, input_shape, output_shape",
    [
        (ZeroPadding1D((1, 2)), (1, None, 3), (1, None, 3)),
        (ZeroPadding1D((1, 2)), (1, 2, 3), (1, 5, 3)),
        (ZeroPadding1D((1, 2), data_format="channels_first"), (None, 3, 2), (None, 3, 5)),
        (ZeroPadding3D(((1, 2), (3, 4), (5, 6))), (1, 2, None, 4, 5), (1, 5, None, 15, 5)),
        (ZeroPadding3D(((1, 2), (3, 4), (5, 6)), data_format="channels_first"), (1, 5, 2, None, 4), (1, 5, 5, None, 15)),
    ],
)
def test_compute_output_shape_propagates_unknown_sizes(layer, input_shape, output_shape):
    assert layer.compute_output_shape(input_shape) == output_shape


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_input_rank_must_be_exact(rank):
    layer = ZERO_PADDING[rank](1, name="zp")
    shape = (2,) * (rank + 3)
    message = f"ZeroPadding{rank}D 'zp': expected an input of rank {rank + 2} "
    with pytest.raises(ValueError, match=re.escape(message)):
        layer(np.zeros(shape, "float32"))
    with pytest.raises(ValueError, match=re.escape(message)):
        layer.compute_output_shape(shape)


# -- protocol ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "layer, expected",
    [
        (ZeroPadding1D((1, 2), name="z1"), {"padding": (1, 2), "data_format": "channels_last"}),
        (ZeroPadding1D(name="z1"), {"padding": (1, 1), "data_format": "channels_last"}),
        (ZeroPadding2D((1, 2), name="z2"), {"padding": ((1, 1), (2, 2)), "data_format": "channels_last"}),
        (
            ZeroPadding3D((1, 2, 3), data_format="channels_first", name="z3"),
            {"padding": ((1, 1), (2, 2), (3, 3)), "data_format": "channels_first"},
        ),
    ],
)
def test_config_has_keras_keys_and_round_trips(layer, expected):
    config = layer.get_config()
    assert list(config) == ["name", "trainable", "dtype", *expected]
    assert {k: config[k] for k in expected} == expected
    rebuilt = type(layer).from_config(json.loads(json.dumps(config)))
    assert rebuilt.get_config() == config


def test_weightless_protocol():
    layer = ZeroPadding3D()
    layer.build((1, 2, 2, 2, 1))
    layer.set_weights([])
    assert layer.get_weights() == [] and layer.count_params() == 0
    with pytest.raises(ValueError, match=re.escape("set_weights expects 0 arrays [].")):
        layer.set_weights([np.zeros(1)])


def test_padded_sizes_sweep_against_np_pad():
    for n, begin, end in itertools.product(range(0, 6), range(4), range(4)):
        expected = np.pad(np.zeros(n), (begin, end)).shape[0]
        assert padded_sizes((None, n), ((0, 0), (begin, end))) == (None, expected)


@pytest.mark.parametrize(
    "cls, config",
    [  # as saved by Keras 3.15.1 in ../shared/fixtures/keras-files (dtype left out)
        (ZeroPadding2D, {"name": "pad_e", "trainable": True, "padding": [[1, 2], [0, 1]], "data_format": "channels_last"}),
        (ZeroPadding3D, {"name": "v4", "trainable": True, "padding": [[1, 1], [0, 0], [2, 2]], "data_format": "channels_last"}),
    ],
)
def test_keras_saved_config_is_reproduced(cls, config):
    saved = {k: v for k, v in json.loads(json.dumps(cls.from_config(config).get_config())).items() if k != "dtype"}
    assert saved == config
