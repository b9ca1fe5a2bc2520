"""Padding1D/2D/3D (constant, edge, reflect): values against np.pad, dtypes, errors, config; the index geometry."""

import itertools
import re

import numpy as np
import pytest

from convlayers import Padding, Padding1D, Padding2D, Padding3D, ZeroPadding2D
from convlayers.geometry import pad_sources

PADDING = {1: Padding1D, 2: Padding2D, 3: Padding3D}


@pytest.mark.parametrize("mode", ["edge", "reflect"])
@pytest.mark.parametrize("size, begin, end", list(itertools.product((1, 2, 3, 5), (0, 1, 4, 9), (0, 2, 7))))
def test_pad_sources_sweep_against_np_pad(mode, size, begin, end):
    # np.pad on the indices themselves gives the index each padded position copies.
    expected = np.pad(np.arange(size), (begin, end), mode=mode).tolist()
    assert list(pad_sources(size, begin, end, mode)) == expected


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_values_against_np_pad(mode, rank, data_format):
    rng = np.random.default_rng(rank)
    spatial = (3, 1, 4)[:rank]
    pads = ((2, 0), (3, 1), (0, 5))[:rank]  # longer than the dim, a dim of 1, one-sided pads
    channels_last = data_format == "channels_last"
    x = rng.standard_normal((2,) + spatial + (3,) if channels_last else (2, 3) + spatial).astype("float32")
    options = {"value": 1.5} if mode == "constant" else {}
    # Padding1D takes one flat (begin, end) pair, as ZeroPadding1D does.
    y = PADDING[rank](pads[0] if rank == 1 else pads, mode=mode, data_format=data_format, **options)(x)
    full = ((0, 0),) + pads + ((0, 0),) if channels_last else ((0, 0), (0, 0)) + pads
    expected = np.pad(x, full, mode=mode, **({"constant_values": 1.5} if mode == "constant" else {}))
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
@pytest.mark.parametrize("dtype", ["int8", "int64", "bool"])
def test_integer_and_bool_inputs_keep_their_dtype(mode, dtype):
    x = (np.arange(12).reshape(1, 3, 4, 1) % 2).astype(dtype)
    y = Padding2D(((1, 2), (3, 0)), mode=mode)(x)
    assert y.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(y, np.pad(x, ((0, 0), (1, 2), (3, 0), (0, 0)), mode=mode))


def test_zero_padding_is_padding_pinned_to_zeros_with_keras_config():
    layer = ZeroPadding2D((1, 2))
    assert isinstance(layer, Padding) and (layer.mode, layer.value) == ("constant", 0.0)
    assert layer.get_config()["padding"] == ((1, 1), (2, 2)) and "mode" not in layer.get_config()


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
def test_config_round_trip_and_output_shape(mode):
    layer = Padding2D(((1, 0), 2), mode=mode, data_format="channels_first", name="p")
    again = Padding2D.from_config(layer.get_config())
    assert (again.padding, again.mode, again.value, again.data_format) == (((1, 0), (2, 2)), mode, 0.0, "channels_first")
    assert layer.compute_output_shape((None, 3, 4, None)) == (None, 3, 5, None)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"padding": 1, "mode": "symmetric"}, "Padding2D 'p': invalid value for argument `mode`. Expected one of "
         "('constant', 'edge', 'reflect'). Received mode='symmetric'."),
        ({"padding": 1, "value": "0"}, "Padding2D 'p': the `value` argument must be a real number. Received value='0'."),
        ({"padding": 1, "mode": "edge", "value": 2}, "Padding2D 'p': `value` is the fill of mode='constant' only. "
         "Received mode='edge', value=2."),
        ({"padding": -1}, "Padding2D 'p': the `padding` argument cannot be negative."),
    ],
)
def test_errors(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        Padding2D(**kwargs, name="p")
