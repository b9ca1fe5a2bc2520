"""Max/average/sum pooling and global pooling: values against NumPy references and hand tables, gradients, protocol, errors."""

import itertools
import json

import numpy as np
import pytest
import torch

import convlayers
from convlayers import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    LPPooling1D,
    LPPooling2D,
    LPPooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
    SumPooling1D,
    SumPooling2D,
    SumPooling3D,
)
from convlayers.geometry import window_counts
from reference import pool as np_pool
from reference import mode_pads, to_channels_first, to_channels_last

POOL = {
    ("max", 1): MaxPooling1D, ("max", 2): MaxPooling2D, ("max", 3): MaxPooling3D,
    ("average", 1): AveragePooling1D, ("average", 2): AveragePooling2D, ("average", 3): AveragePooling3D,
    ("sum", 1): SumPooling1D, ("sum", 2): SumPooling2D, ("sum", 3): SumPooling3D,
}
LP = {1: LPPooling1D, 2: LPPooling2D, 3: LPPooling3D}


def make_pool(kind, rank, *args, p=2, **kwargs):
    """The layer of ``kind`` (``'pnorm'``: :class:`LPPooling1D`... with exponent ``p``)."""
    return LP[rank](p, *args, **kwargs) if kind == "pnorm" else POOL[kind, rank](*args, **kwargs)
GLOBAL = {
    ("max", 1): GlobalMaxPooling1D, ("max", 2): GlobalMaxPooling2D, ("max", 3): GlobalMaxPooling3D,
    ("average", 1): GlobalAveragePooling1D, ("average", 2): GlobalAveragePooling2D, ("average", 3): GlobalAveragePooling3D,
}


def _configs():
    """A deterministic spread over kind, rank, padding form, data format, pool sizes and strides."""
    rng = np.random.default_rng(3)
    paddings = ["valid", "same", "causal", "full", "explicit"]
    for kind, rank, padding, data_format in itertools.product(("max", "average", "sum"), (1, 2, 3), paddings, ("channels_last", "channels_first")):
        for _ in range(2):
            k = tuple(int(v) for v in rng.integers(1, 4, rank))
            s = None if rng.random() < 0.25 else tuple(int(v) for v in rng.integers(1, 4, rank))
            pad_arg = tuple((int(rng.integers(0, ki)), int(rng.integers(0, ki))) for ki in k) if padding == "explicit" else padding
            yield kind, rank, k, s, pad_arg, data_format


@pytest.mark.parametrize("kind, rank, k, s, padding, data_format", list(_configs()))
def test_values_against_numpy_reference(kind, rank, k, s, padding, data_format):
    rng = np.random.default_rng(0)
    sizes = tuple(int(v) for v in rng.integers(5, 9, rank))
    x_cf = rng.standard_normal((2, 3) + sizes).astype(np.float32)
    x = x_cf if data_format == "channels_first" else to_channels_last(x_cf)
    layer = POOL[kind, rank](k, strides=s, padding=padding, data_format=data_format)
    y = layer(x)
    strides = k if s is None else s
    expected = np_pool(x_cf, kind, pool_size=k, strides=strides, pads=mode_pads(padding, sizes, k, strides, (1,) * rank))
    if data_format == "channels_last":
        expected = to_channels_last(expected)
    assert y.shape == expected.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["max", "average", "sum"])
def test_exhaustive_1d_sweep_of_sizes_pools_strides_and_pads(kind):
    # covers both lowerings: torch's own pooling (symmetric pad, ceil_mode, sliced) and pad-then-pool
    rng = np.random.default_rng(7)
    for size, k, s in itertools.product(range(1, 8), range(1, 5), range(1, 4)):
        x = rng.standard_normal((1, 2, size))
        for pads in itertools.product(range(k), repeat=2):
            if size + sum(pads) < k:
                continue
            y = POOL[kind, 1](k, strides=s, padding=(pads,), data_format="channels_first", dtype="float64")(x)
            np.testing.assert_allclose(y, np_pool(x, kind, pool_size=(k,), strides=(s,), pads=(pads,)), rtol=1e-12, atol=1e-12)


def _lp_configs():
    """p-norm pooling over rank, padding form, data format, exponents (odd ones on signed inputs) and dilation."""
    rng = np.random.default_rng(5)
    for rank, padding, data_format in itertools.product((1, 2, 3), ["valid", "same", "causal", "explicit"], ("channels_last", "channels_first")):
        k = tuple(int(v) for v in rng.integers(1, 4, rank))
        s = tuple(int(v) for v in rng.integers(1, 3, rank))
        d = tuple(int(v) for v in rng.integers(1, 3, rank))
        pad_arg = tuple((int(rng.integers(0, ki)), int(rng.integers(0, ki))) for ki in k) if padding == "explicit" else padding
        yield rank, k, s, d, pad_arg, data_format, [1, 2, 3, 2.5][int(rng.integers(0, 4))]


@pytest.mark.parametrize("rank, k, s, d, padding, data_format, p", list(_lp_configs()))
def test_lp_pooling_values_against_numpy_reference(rank, k, s, d, padding, data_format, p):
    rng = np.random.default_rng(1)
    sizes = tuple(int(v) for v in rng.integers(5, 9, rank))
    x_cf = rng.standard_normal((2, 3) + sizes)
    x = x_cf if data_format == "channels_first" else to_channels_last(x_cf)
    layer = LP[rank](p, k, strides=s, padding=padding, data_format=data_format, dilation_rate=d, dtype="float64")
    expected = np_pool(x_cf, "pnorm", pool_size=k, strides=s, pads=mode_pads(padding, sizes, k, s, d), dilation=d, p=p)
    if data_format == "channels_last":
        expected = to_channels_last(expected)
    y = layer(x)
    assert y.shape == expected.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["max", "average", "sum", "pnorm"])
def test_exhaustive_1d_sweep_of_dilated_windows(kind):
    rng = np.random.default_rng(9)
    for size, k, s, d in itertools.product(range(1, 9), range(1, 4), range(1, 3), range(1, 4)):
        x = rng.standard_normal((1, 2, size))
        span = (k - 1) * d + 1
        for pads in itertools.product(range(span), repeat=2):
            if size + sum(pads) < span or 0 in window_counts(size, k, s, pads, d):
                continue
            layer = make_pool(kind, 1, k, p=3, strides=s, padding=(pads,), dilation_rate=d, data_format="channels_first", dtype="float64")
            expected = np_pool(x, kind, pool_size=(k,), strides=(s,), pads=(pads,), dilation=(d,), p=3)
            np.testing.assert_allclose(layer(x), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["max", "average", "sum"])
@pytest.mark.parametrize("rank", [2, 3])
def test_dilated_pooling_values_against_numpy_reference(kind, rank):
    rng = np.random.default_rng(rank)
    x = rng.standard_normal((2, 3) + (9, 8, 7)[:rank])
    k, d, s = (3, 2, 2)[:rank], (2, 3, 1)[:rank], (1, 2, 1)[:rank]
    for padding in ("valid", "same", ((1, 3), (0, 2), (1, 0))[:rank]):
        layer = POOL[kind, rank](k, strides=s, padding=padding, dilation_rate=d, data_format="channels_first", dtype="float64")
        expected = np_pool(x, kind, pool_size=k, strides=s, pads=mode_pads(padding, x.shape[2:], k, s, d), dilation=d)
        np.testing.assert_allclose(layer(x), expected, rtol=1e-12, atol=1e-12)


def test_lp_pooling_hand_values_padding_adds_nothing():
    # [3, -4, 12], p=2, pool 2, stride 1, 'same' pads (0, 1): sqrt(9+16), sqrt(16+144), sqrt(144)
    y = LPPooling1D(2, 2, strides=1, padding="same", data_format="channels_first")(np.array([[[3.0, -4.0, 12.0]]], np.float32))
    np.testing.assert_allclose(y.ravel(), [5.0, np.sqrt(160.0), 12.0], rtol=1e-6)
    # p = 1 sums magnitudes; a large p tends to the max magnitude
    assert LPPooling1D(1, 3)(np.array([[[1.0], [-2.0], [3.0]]], np.float32)).ravel().tolist() == [6.0]
    np.testing.assert_allclose(LPPooling1D(200, 3, dtype="float64")(np.array([[[1.0], [-5.0], [3.0]]])).ravel(), [5.0], rtol=1e-6)


def test_lp_pooling_against_torch_lppool_and_where_they_differ():
    x = torch.rand(2, 3, 6, 7, dtype=torch.float64) + 0.1
    ours = LPPooling2D(3, (2, 3), strides=(2, 1), data_format="channels_first", dtype="float64")
    torch.testing.assert_close(ours(x), torch.nn.LPPool2d(3, (2, 3), stride=(2, 1))(x))  # positive inputs: the same
    torch.testing.assert_close(ours(-x), ours(x))  # a norm of |x|
    # torch raises the signed sum of x^3 to 1/3: NaN for negative windows
    assert torch.isnan(torch.nn.LPPool2d(3, (2, 3), stride=(2, 1))(-x)).all()


def test_lp_pooling_gradient_of_an_all_zero_window_is_zero():
    x = torch.zeros(1, 1, 4, dtype=torch.float64, requires_grad=True)
    with torch.no_grad():
        x[0, 0, 2:] = torch.tensor([3.0, 4.0], dtype=torch.float64)
    y = LPPooling1D(2, 2, data_format="channels_first", dtype="float64")(x)
    y.sum().backward()
    assert y.detach().ravel().tolist() == [0.0, 5.0]
    np.testing.assert_allclose(x.grad.ravel(), [0.0, 0.0, 0.6, 0.8])


def test_dilated_window_stepping_over_a_short_input_is_refused():
    with pytest.raises(ValueError, match=r"MaxPooling1D 'p': along spatial dim 1 some window's taps all fall in the padding \(input size 2, padding \(2, 2\), pool_size=2, dilation_rate=4, strides=1\): a dilated window steps over an input this short. Received input shape \(1, 2, 2\)"):
        MaxPooling1D(2, strides=1, padding=2, dilation_rate=4, name="p")(np.zeros((1, 2, 2), np.float32))
    assert MaxPooling1D(2, strides=1, padding=2, dilation_rate=4)(np.zeros((1, 5, 2), np.float32)).shape == (1, 5, 2)


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("kind", ["max", "average"])
def test_tf_same_on_inputs_smaller_than_the_pool(kind, rank):
    """'same' pooling over dims shorter than the window (AveragePooling3D raised torch's RuntimeError)."""
    rng = np.random.default_rng(11)
    for sizes in itertools.product((1, 2, 4), repeat=rank):
        for k in (2, 3):
            x = rng.standard_normal((1, 2) + sizes)
            y = POOL[kind, rank](k, padding="same", data_format="channels_first", dtype="float64")(x)
            pads = mode_pads("same", sizes, (k,) * rank, (k,) * rank, (1,) * rank)
            np.testing.assert_allclose(y, np_pool(x, kind, pool_size=(k,) * rank, strides=(k,) * rank, pads=pads),
                                       rtol=1e-12, atol=1e-12)


# -- hand-computed tables -------------------------------------------------------------------
def test_tf_same_average_divisor_1d():
    # length 6, pool 3, stride 2, 'same': pads (0, 1); windows [1,2,3], [3,4,5], [5,6,pad]
    y = AveragePooling1D(3, strides=2, padding="same")(np.arange(1, 7, dtype=np.float32).reshape(1, 6, 1))
    assert y[0, :, 0].tolist() == [2.0, 4.0, 5.5]


def test_tf_same_average_divisor_2d_symmetric_pads():
    # 5x5, pool 3, stride 2, 'same': pads (1, 1); windows hold 2, 3, 2 rows (cols alike)
    x = np.arange(25, dtype=np.float32).reshape(1, 5, 5, 1)
    y = AveragePooling2D(3, strides=2, padding="same")(x)[0, :, :, 0]
    np.testing.assert_allclose(y, [[3.0, 4.5, 6.0], [10.5, 12.0, 13.5], [18.0, 19.5, 21.0]])
    ones = AveragePooling2D(3, strides=2, padding="same")(np.ones((1, 5, 5, 1), np.float32))
    np.testing.assert_array_equal(ones, 1.0)  # a divisor of 9 would give 4/9 and 6/9 at the borders


def test_tf_same_average_divisor_2d_extra_pixel_at_the_end():
    # 3x3, pool 2, stride 1, 'same': pads (0, 1) per dim; the last row/col windows hold 2 or 1 elements
    x = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3)
    y = AveragePooling2D(2, strides=1, padding="same", data_format="channels_first")(x)[0, 0]
    np.testing.assert_allclose(y, [[2.0, 3.0, 3.5], [5.0, 6.0, 6.5], [6.5, 7.5, 8.0]])


def test_tf_same_max_never_picks_the_padding():
    x = -np.arange(1, 10, dtype=np.float32).reshape(1, 3, 3, 1)  # all negative: a zero pad would win
    y = MaxPooling2D(2, strides=1, padding="same")(x)[0, :, :, 0]
    np.testing.assert_array_equal(y, [[-1.0, -2.0, -3.0], [-4.0, -5.0, -6.0], [-7.0, -8.0, -9.0]])


# DL4J SubsamplingLayerTest (dl4j.md table rows 34 and 35): NCHW [1, 2, 4, 4], pool 2, stride 2
DL4J_INPUT = np.array(
    [[[1, 1, 3, 7], [5, 1, 3, 3], [2, 2, 8, 4], [2, 6, 4, 4]],
     [[3, 3, 6, 7], [4, 4, 6, 7], [5, 5, 9, 8], [4, 4, 9, 8]]], np.float32
)[None]


@pytest.mark.parametrize(
    "layer, expected",
    [
        (MaxPooling2D(2, data_format="channels_first"), [5, 7, 6, 8, 4, 7, 5, 9]),
        (AveragePooling2D(2, data_format="channels_first"), [2, 4, 3, 5, 3.5, 6.5, 4.5, 8.5]),
    ],
)
def test_dl4j_subsampling_tables(layer, expected):
    assert layer(DL4J_INPUT).ravel().tolist() == expected


@pytest.mark.parametrize(
    "size, pool, stride, pads, expected",
    [
        (6, 3, 2, (0, 1), (3, 3, 2)),
        (5, 3, 2, (1, 1), (2, 3, 2)),
        (3, 2, 1, (0, 1), (2, 2, 1)),
        (4, 3, 1, (2, 2), (1, 2, 3, 3, 2, 1)),
        (7, 2, 3, (0, 0), (2, 2)),
        (5, 1, 4, (0, 0), (1, 1)),
    ],
)
def test_window_counts_table(size, pool, stride, pads, expected):
    assert window_counts(size, pool, stride, pads) == expected


def test_window_counts_sweep_against_set_counting():
    for size, pool, stride in itertools.product(range(1, 8), range(1, 5), range(1, 4)):
        for begin, end in itertools.product(range(pool), repeat=2):
            positions = range(-begin, size + end - pool + 1, stride)
            expected = tuple(len(set(range(p, p + pool)) & set(range(size))) for p in positions)
            assert window_counts(size, pool, stride, (begin, end)) == expected


# -- properties ---------------------------------------------------------------------------------
@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("kind", ["max", "average"])
def test_nearest_upsampling_then_pooling_is_the_identity(rank, kind):
    rng = np.random.default_rng(rank)
    s = (2, 3, 2)[:rank]
    x = rng.standard_normal((2,) + (3, 4, 2)[:rank] + (3,)).astype(np.float32)
    up = x
    for axis, factor in enumerate(s):
        up = np.repeat(up, factor, axis=1 + axis)
    y = POOL[kind, rank](s, strides=s)(up)
    np.testing.assert_allclose(y, x, rtol=1e-6)


@pytest.mark.parametrize("kind, rank, data_format, keepdims", list(itertools.product(("max", "average"), (1, 2, 3), ("channels_last", "channels_first"), (False, True))))
def test_global_pooling_is_a_reduction_over_spatial_axes(kind, rank, data_format, keepdims):
    x = np.random.default_rng(0).standard_normal((2,) + (4, 3, 5)[:rank] + (3,)).astype(np.float32)
    if data_format == "channels_first":
        x = to_channels_first(x)
    axes = tuple(range(1, 1 + rank)) if data_format == "channels_last" else tuple(range(2, 2 + rank))
    layer = GLOBAL[kind, rank](data_format=data_format, keepdims=keepdims)
    y = layer(x)
    expected = {"max": np.max, "average": np.mean}[kind](x.astype(np.float64), axis=axes, keepdims=keepdims)
    assert y.shape == expected.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-7)


# -- gradients ----------------------------------------------------------------------------------
def _no_ties(shape):
    """Distinct values, so max pooling's gradient is well defined everywhere."""
    n = int(np.prod(shape))
    return (torch.randperm(n, dtype=torch.float64) / n).reshape(shape).requires_grad_(True)


@pytest.mark.parametrize(
    "cls, kwargs, shape",
    [
        (MaxPooling1D, dict(pool_size=3, strides=2, padding="same"), (2, 6, 3)),
        (MaxPooling2D, dict(pool_size=(2, 3), strides=1, padding=((0, 1), (2, 1)), data_format="channels_first"), (1, 2, 5, 4)),
        (MaxPooling3D, dict(pool_size=2, padding="causal"), (1, 4, 3, 5, 2)),
        (AveragePooling1D, dict(pool_size=3, strides=2, padding="same"), (2, 6, 3)),
        (AveragePooling2D, dict(pool_size=(3, 2), strides=(2, 1), padding=((2, 0), (0, 1))), (1, 5, 4, 2)),
        (AveragePooling2D, dict(pool_size=3, strides=2, padding="same", data_format="channels_first"), (1, 2, 5, 5)),
        (AveragePooling3D, dict(pool_size=2, padding="full"), (1, 3, 4, 3, 2)),
        (LPPooling1D, dict(p=2, pool_size=3, strides=2, padding="same"), (2, 6, 3)),
        (LPPooling2D, dict(p=3, pool_size=(2, 3), strides=1, padding=((1, 0), (2, 1)), data_format="channels_first"), (1, 2, 5, 4)),
        (LPPooling3D, dict(p=1.5, pool_size=2, dilation_rate=(1, 2, 1), padding="causal"), (1, 3, 5, 3, 2)),
        (MaxPooling2D, dict(pool_size=2, strides=1, dilation_rate=(2, 1), padding="same"), (1, 5, 4, 2)),
        (AveragePooling2D, dict(pool_size=(3, 2), strides=(1, 2), dilation_rate=2, padding=((2, 1), (0, 1))), (1, 6, 5, 2)),
        (SumPooling1D, dict(pool_size=2, dilation_rate=3, padding=((1, 2),)), (2, 5, 3)),
        (GlobalMaxPooling2D, dict(), (2, 3, 4, 2)),
        (GlobalAveragePooling3D, dict(keepdims=True, data_format="channels_first"), (2, 2, 3, 2, 3)),
    ],
)
def test_gradcheck(cls, kwargs, shape):
    layer = cls(dtype="float64", **kwargs)
    assert torch.autograd.gradcheck(layer, (_no_ties(shape),))


# -- the layer protocol -----------------------------------------------------------------------------
def test_compute_output_shape_with_unknown_dims():
    assert MaxPooling2D(3, strides=2, padding="same").compute_output_shape((None, 7, None, 4)) == (None, 4, None, 4)
    assert AveragePooling1D(3, data_format="channels_first").compute_output_shape((None, None, 9)) == (None, None, 3)
    assert MaxPooling3D(2, padding=1).compute_output_shape((1, 4, None, 5, 2)) == (1, 3, None, 3, 2)
    assert GlobalAveragePooling2D(keepdims=True, data_format="channels_first").compute_output_shape((None, 3, None, None)) == (None, 3, 1, 1)
    assert GlobalMaxPooling1D().compute_output_shape((None, None, 5)) == (None, 5)


def test_numpy_in_numpy_out_tensor_in_tensor_out():
    layer = AveragePooling2D(2, padding="same")
    x = np.random.default_rng(0).standard_normal((2, 5, 5, 3))
    y = layer(x)
    assert isinstance(y, np.ndarray) and y.dtype == np.float32 and y.shape == (2, 3, 3, 3)
    t = layer(torch.tensor(x, dtype=torch.float32, requires_grad=True))
    assert isinstance(t, torch.Tensor) and t.requires_grad
    np.testing.assert_allclose(t.detach().numpy(), y)
    g = GlobalMaxPooling1D()
    assert isinstance(g(x[:, 0]), np.ndarray) and g(torch.randn(2, 4, 3, requires_grad=True)).requires_grad


def test_layers_without_weights():
    for layer in (MaxPooling2D(), GlobalAveragePooling1D()):
        layer.build((1, 4, 4, 2) if layer.rank == 2 else (1, 4, 2))
        assert layer.weights == [] and layer.get_weights() == [] and layer.count_params() == 0
        layer.set_weights([])
        assert dict(layer.state_dict()) == {}


@pytest.mark.parametrize(
    "layer",
    [
        MaxPooling2D((3, 2), strides=(1, 2), padding="same", data_format="channels_first", name="p"),
        AveragePooling1D(3, padding=((2, 0),), name="p"),
        AveragePooling3D(2, strides=None, padding=((1, 0), 1, (0, 1)), dtype="float64", name="p"),
        GlobalMaxPooling3D(keepdims=True, data_format="channels_first", name="p"),
        GlobalAveragePooling1D(name="p"),
        LPPooling2D(3, (2, 3), strides=1, padding="same", name="p"),
        LPPooling1D(2.5, 2, dilation_rate=2, name="p"),
        MaxPooling3D(2, dilation_rate=(1, 2, 3), name="p"),
    ],
)
def test_config_round_trip_is_exact_and_json(layer):
    text = json.dumps(layer.get_config())
    clone = type(layer).from_config(json.loads(text))
    assert json.dumps(clone.get_config()) == text


def test_config_matches_keras_keys_and_order():
    config = MaxPooling2D(3, name="p").get_config()
    assert list(config) == ["name", "trainable", "dtype", "pool_size", "padding", "strides", "data_format"]
    assert config["pool_size"] == (3, 3) and config["strides"] == (3, 3) and config["padding"] == "valid"
    assert AveragePooling1D(2, padding=((1, 0),)).get_config()["padding"] == [[1, 0]]
    assert list(GlobalAveragePooling2D(name="g").get_config())[3:] == ["data_format", "keepdims"]
    # beyond Keras: dilation only where a window is dilated; the exponent first, as torch's LPPool2d takes it
    assert MaxPooling2D(dilation_rate=(1, 2)).get_config()["dilation_rate"] == (1, 2)
    assert list(LPPooling2D(2, name="p").get_config())[3:] == ["p", "pool_size", "padding", "strides", "data_format"]


def test_keras_config_dict_is_accepted():
    config = {
        "name": "max_pooling2d", "trainable": True,
        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None},
        "pool_size": [2, 2], "padding": "same", "strides": [2, 2], "data_format": "channels_last",
    }
    layer = MaxPooling2D.from_config(config)
    assert layer.pool_size == (2, 2) and layer.padding == "same" and layer(np.zeros((1, 5, 5, 1))).shape == (1, 3, 3, 1)


def test_defaults_and_auto_names():
    assert MaxPooling1D().pool_size == (2,) and MaxPooling2D().pool_size == (2, 2) and AveragePooling3D().pool_size == (2, 2, 2)
    assert AveragePooling2D(3).strides == (3, 3) and AveragePooling2D(3, strides=1).strides == (1, 1)
    assert MaxPooling2D().padding == "valid" and MaxPooling2D(padding="SAME").padding == "same"
    assert MaxPooling2D().data_format == "channels_last" and not GlobalMaxPooling2D().keepdims
    assert MaxPooling2D().name.startswith("max_pooling2d") and GlobalAveragePooling1D().name.startswith("global_average_pooling1d")


def test_aliases_are_the_same_classes():
    c = convlayers
    assert (c.MaxPool1D, c.MaxPool2D, c.MaxPool3D) == (MaxPooling1D, MaxPooling2D, MaxPooling3D)
    assert (c.LPPool1D, c.LPPool2D, c.LPPool3D) == (LPPooling1D, LPPooling2D, LPPooling3D)
    assert (c.AvgPool1D, c.AvgPool2D, c.AvgPool3D) == (AveragePooling1D, AveragePooling2D, AveragePooling3D)
    assert (c.GlobalMaxPool1D, c.GlobalMaxPool2D, c.GlobalMaxPool3D) == (GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D)
    assert (c.GlobalAvgPool1D, c.GlobalAvgPool2D, c.GlobalAvgPool3D) == (GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D)


def test_float64_layer_and_half_input():
    y = AveragePooling2D(3, strides=2, padding="same", dtype="float64")(torch.randn(1, 5, 6, 2))
    assert y.dtype == torch.float64
    assert MaxPooling1D()(torch.randn(1, 4, 2, dtype=torch.float64)).dtype == torch.float32


# -- errors ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls, kwargs, error, message",
    [
        (MaxPooling2D, dict(pool_size=0), ValueError, r"MaxPooling2D 'p': the `pool_size` argument must be an integer or a tuple of 2 integers. Received pool_size=0, including values \{0\}"),
        (MaxPooling2D, dict(pool_size=(2, 2, 2)), ValueError, r"Received pool_size=\(2, 2, 2\) of length 3"),
        (AveragePooling1D, dict(pool_size=2.0), TypeError, r"AveragePooling1D 'p': the `pool_size` argument must be an integer or a tuple of 1 integers. Received pool_size=2.0"),
        (AveragePooling2D, dict(strides=(1, 0)), ValueError, r"`strides` argument .* Received strides=\(1, 0\)"),
        (MaxPooling3D, dict(padding="wrap"), ValueError, r"MaxPooling3D 'p': the `padding` argument must be one of \('valid', 'same', 'causal', 'full'\).*Received: padding='wrap'"),
        (MaxPooling1D, dict(pool_size=2, padding=2), ValueError, r"MaxPooling1D 'p': the `padding` must be smaller than the window's span \(\(pool_size - 1\) \* dilation_rate \+ 1\) on each side, so that every window holds at least one input element. Received padding=\(\(2, 2\),\) with pool_size=\(2,\), dilation_rate=\(1,\)"),
        (AveragePooling2D, dict(pool_size=(3, 2), padding=((2, 2), (0, 2))), ValueError, r"Received padding=\(\(2, 2\), \(0, 2\)\) with pool_size=\(3, 2\)"),
        (MaxPooling2D, dict(data_format="NHWC"), ValueError, r"MaxPooling2D 'p': the `data_format` argument must be one of .*Received: data_format='NHWC'"),
        (AveragePooling2D, dict(pool_sizes=2), ValueError, r"Unrecognized keyword arguments passed to AveragePooling2D: \['pool_sizes'\]"),
        (GlobalMaxPooling2D, dict(keepdims="False"), TypeError, r"GlobalMaxPooling2D 'p': the `keepdims` argument must be a boolean. Received keepdims='False' of type str"),
        (GlobalAveragePooling1D, dict(data_format="channels_middle"), ValueError, r"Received: data_format='channels_middle'"),
        (LPPooling2D, dict(p=0.5), ValueError, r"LPPooling2D 'p': the `p` argument \(the p-norm's exponent\) must be a number >= 1. Received p=0.5"),
        (LPPooling1D, dict(p="2"), ValueError, r"Received p='2'"),
        (LPPooling1D, dict(), TypeError, r"LPPooling1D: missing a required argument: 'p'"),
        (MaxPooling2D, dict(dilation_rate=(1, 0)), ValueError, r"`dilation_rate` argument .* Received dilation_rate=\(1, 0\)"),
        (MaxPooling1D, dict(pool_size=2, dilation_rate=2, padding=((3, 0),)), ValueError, r"Received padding=\(\(3, 0\),\) with pool_size=\(2,\), dilation_rate=\(2,\)"),
    ],
)
def test_constructor_errors(cls, kwargs, error, message):
    with pytest.raises(error, match=message):
        cls(name="p", **kwargs)


def test_shape_errors():
    with pytest.raises(ValueError, match=r"MaxPooling2D 'p': the window does not fit the input along spatial dim 2: input size 2 with padding \(0, 0\) is smaller than the effective window 3 \(pool_size=3\); computed output size would be 0. Received input shape \(1, 5, 2, 1\)"):
        MaxPooling2D(3, name="p")(np.zeros((1, 5, 2, 1), np.float32))
    with pytest.raises(ValueError, match=r"AveragePooling1D 'p': the window does not fit .* input size 2 with padding \(1, 0\) is smaller than the effective window 4 \(pool_size=4\)"):
        AveragePooling1D(4, padding=((1, 0),), name="p").compute_output_shape((None, 2, 3))
    with pytest.raises(ValueError, match=r"MaxPooling2D 'p': expected an input of rank 4 \(batch, spatial_1, spatial_2, channels\) with data_format='channels_last'; received an input of shape \(1, 7, 5, 5, 3\) \(rank 5\)"):
        MaxPooling2D(name="p")(np.zeros((1, 7, 5, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r"GlobalAveragePooling1D 'p': expected an input of rank 3 \(batch, channels, spatial_1\)"):
        GlobalAveragePooling1D(data_format="channels_first", name="p")(np.zeros((4, 3), np.float32))
    with pytest.raises(ValueError, match=r"GlobalMaxPooling2D 'p': global pooling needs at least one element along every spatial dim. Received input shape \(2, 0, 3, 1\)"):
        GlobalMaxPooling2D(name="p").compute_output_shape((2, 0, 3, 1))
    with pytest.raises(ValueError, match=r"window does not fit"):
        MaxPooling1D(padding="same", name="p")(np.zeros((1, 0, 2), np.float32))
