"""Cropping1D/2D/3D: accepted forms, values against NumPy slicing, errors, protocol; cropping undoes zero padding."""

import itertools
import json
import re

import numpy as np
import pytest
import torch

from convlayers import Cropping1D, Cropping2D, Cropping3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D
from convlayers.geometry import cropped_sizes
from reference import crop as np_crop
from reference import to_channels_last

CROPPING = {1: Cropping1D, 2: Cropping2D, 3: Cropping3D}
ZERO_PADDING = {1: ZeroPadding1D, 2: ZeroPadding2D, 3: ZeroPadding3D}
FORMATS = {1: ("channels_last",), 2: ("channels_last", "channels_first"), 3: ("channels_last", "channels_first")}


def _format_kwargs(rank, data_format):
    # Cropping1D has no data_format argument in Keras, so none is passed.
    return {} if rank == 1 else {"data_format": data_format}


# -- accepted forms ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls, value, expected",
    [
        (Cropping1D, None, ((1, 1),)),  # Keras's default
        (Cropping1D, 2, ((2, 2),)),
        (Cropping1D, (1, 2), ((1, 2),)),
        (Cropping1D, [0, 3], ((0, 3),)),
        (Cropping1D, (np.int64(1), 0), ((1, 0),)),
        (Cropping2D, None, ((0, 0), (0, 0))),
        (Cropping2D, 1, ((1, 1), (1, 1))),
        (Cropping2D, (1, 2), ((1, 1), (2, 2))),
        (Cropping2D, ((1, 2), (3, 4)), ((1, 2), (3, 4))),
        (Cropping2D, ((1, 2), 3), ((1, 2), (3, 3))),
        (Cropping2D, [2, [0, 1]], ((2, 2), (0, 1))),
        (Cropping3D, None, ((1, 1), (1, 1), (1, 1))),
        (Cropping3D, 0, ((0, 0), (0, 0), (0, 0))),
        (Cropping3D, (0, 0, 2), ((0, 0), (0, 0), (2, 2))),
        (Cropping3D, ((0, 2), 1, (2, 0)), ((0, 2), (1, 1), (2, 0))),
    ],
)
def test_accepted_forms(cls, value, expected):
    layer = cls() if value is None else cls(value)
    assert layer.cropping == expected


@pytest.mark.parametrize(
    "cls, value, message",
    [
        (Cropping1D, (1,), "the `cropping` argument must be an int or a tuple of 2 ints (begin, end). Received cropping=(1,)."),
        (Cropping1D, (1, 2, 3), "must be an int or a tuple of 2 ints (begin, end). Received cropping=(1, 2, 3)."),
        (Cropping1D, "1", "must be an int or a tuple of 2 ints (begin, end). Received cropping='1'."),
        (Cropping1D, ((1, 2),), "Received cropping=((1, 2),)."),
        (Cropping1D, 1.5, "Received cropping=1.5."),
        (Cropping1D, -1, "the `cropping` argument cannot be negative. Received cropping=-1, including negative values [-1]."),
        (Cropping1D, (2, -1), "cannot be negative. Received cropping=(2, -1)"),
        (Cropping2D, (1,), "must be an int, 2 ints, or 2 (begin, end) pairs of non-negative ints. Received cropping=(1,)."),
        (Cropping2D, (1, 2, 3), "Received cropping=(1, 2, 3)."),
        (Cropping2D, "1", "must be an int, a tuple of 2 ints, or a tuple of 2 items that are each an int or a (begin, end) pair. Received cropping='1'."),
        (Cropping2D, ((1, 2), (3, 4, 5)), "Received cropping=((1, 2), (3, 4, 5))."),
        (Cropping2D, ((1, 2), (3, -4)), "cannot be negative. Received cropping=((1, 2), (3, -4)), including negative values [-4]."),
        (Cropping2D, ((1, 2), "3"), "Received cropping=((1, 2), '3')."),
        (Cropping2D, -2, "cannot be negative. Received cropping=-2"),
        (Cropping3D, (1, 2), "must be an int, 3 ints, or 3 (begin, end) pairs of non-negative ints. Received cropping=(1, 2)."),
        (Cropping3D, ((1, 2), (3, 4), (5, 6, 7)), "Received cropping=((1, 2), (3, 4), (5, 6, 7))."),
    ],
)
def test_invalid_forms_raise_value_error_naming_layer_and_value(cls, value, message):
    # Keras raises ValueError for every malformed cropping (its own tests pin the type).
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        cls(value, name="crop")
    assert str(info.value).startswith(f"{cls.__name__} 'crop': ")


def test_cropping1d_has_no_data_format():
    with pytest.raises(ValueError, match=re.escape("Unrecognized keyword arguments passed to Cropping1D: ['data_format']")):
        Cropping1D(1, data_format="channels_first")


def test_bad_data_format():
    with pytest.raises(ValueError, match=re.escape("Received: data_format='nchw'")):
        Cropping2D(1, data_format="nchw")


# -- values ---------------------------------------------------------------------------------------
def _cases():
    rng = np.random.default_rng(7)
    for rank in (1, 2, 3):
        for data_format in FORMATS[rank]:
            for _ in range(3):
                cropping = tuple((int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in range(rank))
                yield rank, data_format, cropping


@pytest.mark.parametrize("rank, data_format, cropping", list(_cases()))
def test_values_against_numpy_slicing(rank, data_format, cropping):
    rng = np.random.default_rng(0)
    x_cf = rng.standard_normal((2, 3) + (6, 5, 7)[:rank]).astype(np.float32)
    x = x_cf if data_format == "channels_first" else to_channels_last(x_cf)
    value = cropping[0] if rank == 1 else cropping
    layer = CROPPING[rank](value, **_format_kwargs(rank, data_format))
    y = layer(x)
    expected = np_crop(x_cf, cropping)
    if data_format == "channels_last":
        expected = to_channels_last(expected)
    assert isinstance(y, np.ndarray)
    assert y.shape == expected.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize(
    "dtype, layer_dtype, out_dtype",
    [
        (np.int64, "float32", np.int64),  # integers are kept, as in Keras
        (np.int32, "float32", np.int32),
        (np.uint8, "float64", np.uint8),
        (np.float64, "float32", np.float32),  # floats take the layer's dtype (Keras's autocast)
        (np.float32, "float64", np.float64),
    ],
)
def test_dtypes_follow_keras_autocast(dtype, layer_dtype, out_dtype):
    x = np.arange(2 * 5 * 4 * 3).reshape(2, 5, 4, 3).astype(dtype)
    y = Cropping2D(((1, 2), (0, 1)), dtype=layer_dtype)(x)
    assert y.dtype == out_dtype
    np.testing.assert_array_equal(y, x[:, 1:3, 0:3, :])


def test_tensor_in_tensor_out_with_gradient():
    x = torch.randn(1, 5, 6, 2, requires_grad=True)
    y = Cropping2D(((1, 1), (2, 0)))(x)
    assert isinstance(y, torch.Tensor) and y.shape == (1, 3, 4, 2)
    y.sum().backward()
    mask = torch.zeros(1, 5, 6, 2)
    mask[:, 1:4, 2:6] = 1
    assert torch.equal(x.grad, mask)


# -- shapes and errors -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "layer, input_shape, output_shape",
    [
        (Cropping1D((1, 2)), (None, None, 7), (None, None, 7)),
        (Cropping1D((1, 2)), (3, 10, None), (3, 7, None)),
        (Cropping2D(((1, 2), (3, 4)), data_format="channels_last"), (1, 7, None, 5), (1, 4, None, 5)),
        (Cropping2D(((1, 2), (3, 4)), data_format="channels_first"), (1, 5, 7, None), (1, 5, 4, None)),
        (Cropping3D(1, data_format="channels_first"), (None, 2, None, 5, 6), (None, 2, None, 3, 4)),
    ],
)
def test_compute_output_shape_propagates_unknown_sizes(layer, input_shape, output_shape):
    assert layer.compute_output_shape(input_shape) == output_shape


@pytest.mark.parametrize(
    "cropping, data_format, shape, axis, pair, size",
    [
        (((4, 5), (0, 0)), "channels_last", (3, 8, 9, 5), 1, (4, 5), 8),
        (((0, 0), (5, 4)), "channels_last", (3, 8, 9, 5), 2, (5, 4), 9),  # removes all of it
        (((6, 3), (0, 0)), "channels_first", (3, 5, 8, 9), 1, (6, 3), 8),
        (((0, 0), (7, 3)), "channels_first", (3, 5, 8, 9), 2, (7, 3), 9),
    ],
)
def test_cropping_everything_raises_with_the_dims(cropping, data_format, shape, axis, pair, size):
    layer = Cropping2D(cropping, data_format=data_format, name="c")
    message = (
        f"Cropping2D 'c': the `cropping` values must sum to less than each spatial dim of the input, "
        f"but along spatial dim {axis} cropping {pair} removes {sum(pair)} of its {size} entries. "
        f"Received input shape {shape} (data_format={data_format!r}), cropping={cropping}."
    )
    for attempt in (layer.compute_output_shape, layer.build, lambda s: layer(np.zeros(s, "float32"))):
        with pytest.raises(ValueError, match=re.escape(message)):
            attempt(shape)


def test_too_much_cropping_is_checked_on_every_call_after_build():
    layer = Cropping1D((2, 3), name="c")
    layer(np.zeros((1, 6, 2), "float32"))
    with pytest.raises(ValueError, match=re.escape("cropping (2, 3) removes 5 of its 5 entries")):
        layer(np.zeros((1, 5, 2), "float32"))


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_input_rank_must_be_exact(rank):
    layer = CROPPING[rank](0, name="c")
    for ndim in (rank + 1, rank + 3):
        shape = (2,) * ndim
        with pytest.raises(ValueError, match=re.escape(f"expected an input of rank {rank + 2} ")):
            layer(np.zeros(shape, "float32"))
        with pytest.raises(ValueError, match=re.escape(f"received an input of shape {shape} (rank {ndim})")):
            layer.compute_output_shape(shape)


# -- protocol ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "layer, expected",
    [
        (Cropping1D((1, 2), name="c1"), {"cropping": (1, 2)}),
        (Cropping1D(name="c1"), {"cropping": (1, 1)}),
        (Cropping2D(((1, 2), 3), name="c2"), {"cropping": ((1, 2), (3, 3)), "data_format": "channels_last"}),
        (Cropping3D(data_format="channels_first", name="c3"), {"cropping": ((1, 1),) * 3, "data_format": "channels_first"}),
    ],
)
def test_config_has_keras_keys_and_round_trips(layer, expected):
    config = layer.get_config()
    assert list(config) == ["name", "trainable", "dtype", *expected]
    assert {k: config[k] for k in expected} == expected
    rebuilt = type(layer).from_config(json.loads(json.dumps(config)))
    assert rebuilt.get_config() == config
    assert rebuilt.cropping == layer.cropping


def test_weightless_protocol():
    layer = Cropping2D(1)
    layer.build((1, 4, 4, 2))
    layer.set_weights([])
    assert layer.get_weights() == [] and layer.count_params() == 0 and layer.losses == []
    assert list(layer.parameters()) == []


# -- property: cropping undoes zero padding --------------------------------------------------------------
@pytest.mark.parametrize("rank, data_format", [(rank, f) for rank in (1, 2, 3) for f in FORMATS[rank]])
def test_cropping_undoes_zero_padding(rank, data_format):
    rng = np.random.default_rng(rank)
    # Every third combination of per-dim pairs (all of them for rank 1).
    for pads in itertools.islice(itertools.product([(0, 0), (1, 0), (0, 2), (2, 1)], repeat=rank), 0, None, 3 if rank > 1 else 1):
        value = pads[0] if rank == 1 else pads
        x = rng.standard_normal((2, 3) + (4, 3, 5)[:rank]).astype(np.float32)
        padded = ZERO_PADDING[rank](value, **_format_kwargs(rank, data_format))(x)
        restored = CROPPING[rank](value, **_format_kwargs(rank, data_format))(padded)
        np.testing.assert_array_equal(restored, x)


def test_cropped_sizes_sweep_against_slicing():
    for n, begin, end in itertools.product(range(1, 9), range(5), range(5)):
        expected = len(range(n)[begin : n - end]) if begin + end < n else n - begin - end
        assert cropped_sizes((n, None), ((begin, end), (begin, end))) == (expected, None)


@pytest.mark.parametrize(
    "cls, config",
    [  # as saved by Keras 3.15.1 in ../shared/fixtures/keras-files (dtype left out)
        (Cropping1D, {"name": "k5", "trainable": True, "cropping": [1, 2]}),
        (Cropping2D, {"name": "crop_f", "trainable": True, "cropping": [[2, 0], [1, 1]], "data_format": "channels_last"}),
        (Cropping3D, {"name": "v5", "trainable": True, "cropping": [[0, 1], [2, 0], [1, 1]], "data_format": "channels_last"}),
    ],
)
def test_keras_saved_config_is_reproduced(cls, config):
    saved = {k: v for k, v in json.loads(json.dumps(cls.from_config(config).get_config())).items() if k != "dtype"}
    assert saved == config
