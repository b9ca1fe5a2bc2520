"""Resizing: bilinear (half-pixel and align-corners) and nearest against NumPy matrices, values and gradients."""

import itertools
import re
from fractions import Fraction

import numpy as np
import pytest
import torch

from convlayers import Resizing, ops
from convlayers.geometry import resize_nearest_sources


def linear_matrix(n_in, n_out, align_corners):
    """``(out, in)`` interpolation weights from the coordinate mapping, written out independently."""
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        if align_corners:
            src = o * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        else:
            src = max((o + 0.5) * n_in / n_out - 0.5, 0.0)
        i0 = min(int(np.floor(src)), n_in - 1)
        i1 = min(i0 + 1, n_in - 1)
        t = src - i0
        m[o, i0] += 1 - t
        m[o, i1] += t
    return m


def nearest_matrix(n_in, n_out):
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        m[o, min(int(np.floor((o + 0.5) * n_in / n_out)), n_in - 1)] = 1
    return m


SIZES = [(3, 7), (7, 3), (4, 10), (5, 5), (6, 9), (2, 1), (1, 4)]


@pytest.mark.parametrize("n_in, n_out", SIZES + [(6, 4), (10, 4), (7, 21)])
def test_nearest_indices_against_the_float_formula(n_in, n_out):
    assert list(resize_nearest_sources(n_in, n_out)) == list(nearest_matrix(n_in, n_out).argmax(1))


@pytest.mark.parametrize("interpolation, align_corners", [("bilinear", False), ("bilinear", True), ("nearest", False)])
@pytest.mark.parametrize("rows, cols", list(itertools.product(SIZES, SIZES[:4])))
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_values_and_gradients_against_numpy(interpolation, align_corners, rows, cols, data_format):
    (h, oh), (w, ow) = rows, cols
    rng = np.random.default_rng(h * 10 + w)
    x = rng.standard_normal((2, 3, h, w))  # channels first; moved below for channels_last
    if interpolation == "nearest":
        mh, mw = nearest_matrix(h, oh), nearest_matrix(w, ow)
    else:
        mh, mw = linear_matrix(h, oh, align_corners), linear_matrix(w, ow, align_corners)
    expected = np.einsum("oh,nchw,pw->ncop", mh, x, mw)
    last = data_format == "channels_last"
    layer = Resizing(oh, ow, interpolation, align_corners=align_corners, data_format=data_format)
    xt = torch.tensor(x.transpose(0, 2, 3, 1) if last else x, dtype=torch.float32, requires_grad=True)
    y = layer(xt)
    got = y.detach().numpy().transpose(0, 3, 1, 2) if last else y.detach().numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    # The gradient is the adjoint: M_h^T g M_w.
    g = rng.standard_normal(expected.shape)
    y.backward(torch.tensor(g.transpose(0, 2, 3, 1) if last else g, dtype=torch.float32))
    grad = xt.grad.numpy().transpose(0, 3, 1, 2) if last else xt.grad.numpy()
    np.testing.assert_allclose(grad, np.einsum("oh,ncop,pw->nchw", mh, g, mw), rtol=1e-5, atol=1e-5)


def test_integer_inputs_give_floats_and_shape_inference():
    layer = Resizing(5, 3)
    assert layer(np.arange(8, dtype="int64").reshape(1, 2, 4, 1)).dtype == np.float32
    assert layer.compute_output_shape((None, 10, None, 3)) == (None, 5, 3, 3)


def test_config_round_trip_writes_align_corners_only_when_set():
    assert "align_corners" not in Resizing(4, 5).get_config()
    again = Resizing.from_config(Resizing(4, 5, align_corners=True, data_format="channels_first").get_config())
    assert (again.size, again.interpolation, again.align_corners, again.data_format) == (
        (4, 5), "bilinear", True, "channels_first")


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        ((4, 4, "bicubic"), {}, ValueError, "Resizing 'r': invalid value for argument `interpolation`. Expected one of "
         "('nearest', 'bilinear'). Received interpolation='bicubic'."),
        ((4, 4, "nearest"), {"align_corners": True}, ValueError, "Resizing 'r': `align_corners` applies to "
         "interpolation='bilinear' only. Received interpolation='nearest', align_corners=True."),
        ((0, 4), {}, ValueError, "Resizing 'r': invalid value for argument `height`. Expected a value > 0. Received height=0."),
        ((4, 2.5), {}, TypeError, "Resizing 'r': the `width` argument must be an integer."),
    ],
)
def test_errors(args, kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        Resizing(*args, **kwargs, name="r")


# The ops-level sampling ONNX's Resize needs: every coordinate mapping and nearest rounding, and
# coordinates from a given scale rather than out / in, against float formulas written out in NumPy.
# One float division of exact integers is exact wherever the coordinate is a tie (a half-integer),
# so NumPy's floor and ceil see the ties the rational code does.
NEAREST_ROUNDING = {
    "round_half_up": lambda x: np.floor(x + 0.5), "round_half_down": lambda x: np.ceil(x - 0.5),
    "floor": np.floor, "ceil": np.ceil,
}


def nearest_sources_numpy(n_in, n_out, coordinates, rounding, scale):
    o = np.arange(n_out)
    p, q = Fraction(scale).numerator, Fraction(scale).denominator  # scale = p / q, output per input
    x = {
        "half_pixel": ((2 * o + 1) * q - p) / (2 * p),
        "asymmetric": o * q / p,
        "align_corners": o * (n_in - 1) / (n_out - 1) if n_out > 1 else np.zeros(n_out),
    }[coordinates]
    return np.clip(NEAREST_ROUNDING[rounding](x), 0, n_in - 1).astype(int).tolist()


@pytest.mark.parametrize("coordinates", ["half_pixel", "asymmetric", "align_corners"])
@pytest.mark.parametrize("rounding", list(NEAREST_ROUNDING))
def test_nearest_coordinates_and_roundings_against_numpy(coordinates, rounding):
    for n_in, n_out in itertools.product(range(1, 9), range(1, 13)):
        for scale in (Fraction(n_out, n_in), Fraction(3, 2), Fraction(5, 4), Fraction(1, 2), Fraction(7, 3)):
            given = None if scale == Fraction(n_out, n_in) else scale
            got = resize_nearest_sources(n_in, n_out, coordinates=coordinates, rounding=rounding, scale=given)
            assert list(got) == nearest_sources_numpy(n_in, n_out, coordinates, rounding, scale), (n_in, n_out, scale)


def test_nearest_ops_resize_takes_the_mapping_rounding_and_scales():
    x = torch.arange(4.0).reshape(1, 1, 4)
    y = ops.resize(x, (6,), method="nearest", asymmetric=True, rounding="ceil", scales=(1.75,), channels_last=False)
    assert y.flatten().tolist() == [float(i) for i in nearest_sources_numpy(4, 6, "asymmetric", "ceil", Fraction(7, 4))]


@pytest.mark.parametrize("n_in, scale", [(4, 1.5), (5, 1.75), (7, 0.6), (3, 2.5), (6, 0.5)])
def test_linear_with_given_scales_against_numpy(n_in, scale):
    n_out = int(np.floor(n_in * scale))
    m = np.zeros((n_out, n_in))
    for o in range(n_out):
        src = max((o + 0.5) / scale - 0.5, 0.0)
        i0 = min(int(np.floor(src)), n_in - 1)
        m[o, i0] += 1 - (src - i0)
        m[o, min(i0 + 1, n_in - 1)] += src - i0
    x = np.random.default_rng(n_in).standard_normal((2, 3, n_in, n_in))
    got = ops.resize(torch.tensor(x), (n_out, n_out), method="linear", scales=(scale, scale), channels_last=False)
    np.testing.assert_allclose(got.numpy(), np.einsum("oh,nchw,pw->ncop", m, x, m), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"method": "linear", "asymmetric": True}, "resize: `asymmetric` and `rounding` apply to method='nearest' only. "
         "Received method='linear', asymmetric=True, rounding='round_half_up'."),
        ({"method": "nearest", "asymmetric": True, "align_corners": True}, "resize: `align_corners` and `asymmetric` are two "
         "coordinate mappings; pass one. Received both True."),
        ({"method": "linear", "scales": (1.5,)}, "resize: scales (1.5,) give sizes (6,) of input (1, 1, 4), not the sizes (5,) asked for."),
        ({"method": "nearest", "rounding": "round"}, "resize_nearest_sources: `rounding` must be one of ('round_half_up', "
         "'round_half_down', 'floor', 'ceil'). Received rounding='round'."),
    ],
)
def test_ops_resize_errors(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        ops.resize(torch.zeros(1, 1, 4), (5,), channels_last=False, **kwargs)
