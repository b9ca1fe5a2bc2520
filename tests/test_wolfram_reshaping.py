"""Wolfram's PaddingLayer and ResizeLayer (reference A4.3, A4.4): dims, values against NumPy, errors."""

import re

import numpy as np
import pytest

from convlayers.wolfram import (
    All, ConvolutionLayer, NetChain, NetExtract, NetInitialize, PaddingLayer, ResizeLayer, Scaled, VARYING,
)
from test_resizing import linear_matrix


# -- PaddingLayer -----------------------------------------------------------------------------
@pytest.mark.parametrize("padding, np_options", [
    (0, {"mode": "constant"}), (-2.5, {"mode": "constant", "constant_values": -2.5}),
    ("Fixed", {"mode": "edge"}), ("Reflected", {"mode": "reflect"}),  # Reflected does not repeat the edge
])
@pytest.mark.parametrize("spec, dims", [
    (((1, 2),), (4,)),
    (((0, 0), (1, 1), (1, 1)), (3, 4, 5)),  # spatial-only padding of {c, h, w}
    (((1, 0), (0, 3)), (2, 3, 4)),  # the channel level too; a level beyond the spec is kept
    (((0, 0), (5, 0)), (2, 3)),  # longer than the level: reflection goes on
    (((0, 0), (0, 0), (2, 1), (1, 1)), (2, 3, 4, 2)),  # rank 4: the leading levels ride as batch
    (((0, 0), (0, 0)), (2, 3)),
])
def test_padding_layer_values_against_np_pad(padding, np_options, spec, dims):
    x = np.random.default_rng(len(dims)).standard_normal(dims).astype("float32")
    layer = PaddingLayer(spec, Padding=padding, Input=dims)
    full = list(spec) + [(0, 0)] * (len(dims) - len(spec))
    expected = np.pad(x, full, **np_options)
    assert NetExtract(layer, "Output") == expected.shape
    np.testing.assert_array_equal(layer(x), expected)
    np.testing.assert_array_equal(layer(np.stack([x, 2 * x])), np.stack([expected, np.pad(2 * x, full, **np_options)]))


def test_padding_layer_corners_copy_the_corner_and_varying_dims_stay_varying():
    assert PaddingLayer(((1, 1), (1, 1)), Padding="Fixed")(np.array([[1, 2], [3, 4]])).tolist() == [
        [1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    chain = NetChain([PaddingLayer(((2, 1), (0, 0))), ConvolutionLayer(2, 3, Interleaving=True)], Input=(VARYING, 3))
    assert chain.output_dims == (VARYING, 2)
    assert NetInitialize(chain)(np.zeros((5, 3))).shape == (6, 2)


@pytest.mark.parametrize("spec, options, dims, message", [
    (((1, -1),), {}, None, "Validation failed for PaddingLayer: the specification should be a list of pairs "
     "{begin, end} of non-negative integers, one per level; received ((1, -1),)."),
    ((1, 1), {}, None, "the specification should be a list of pairs"),
    (((1, 1),), {"Padding": "Periodic"}, None, "Validation failed for PaddingLayer: the value of Padding should be a "
     "number, \"Fixed\" or \"Reflected\"; received 'Periodic'."),
    (((1, 1),) * 4, {}, None, "Validation failed for PaddingLayer: the padded levels 1 to 4 span 4 levels; at most 3 "
     "consecutive levels can be padded."),
    (((1, 1),) * 3, {}, (2, 3), "Validation failed for PaddingLayer: the specification pads 3 levels, but the input "
     "[2, 3] has only 2."),
])
def test_padding_layer_errors(spec, options, dims, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        PaddingLayer(spec, Input=dims, **options)


# -- ResizeLayer ------------------------------------------------------------------------------
@pytest.mark.parametrize("spec, options, dims, output", [
    ((10,), {}, (2, 3), (2, 10)),  # the paclet's internal tests (reference A4.4)
    ((Scaled(3.5),), {}, (2, 3), (2, 11)),
    ((10, Scaled(2.5)), {}, (1, 2, 3), (1, 10, 8)),
    ((Scaled(2), Scaled(2)), {"Resampling": "Nearest"}, (1, 2, 3), (1, 4, 6)),
    ((5,), {}, (3, 4, 6), (3, 4, 5)),  # one entry resizes the last spatial dim only
    ((All, 7), {}, (3, 4, 6), (3, 4, 7)),
    ((Scaled(0.5), 3), {"Interleaving": True}, (9, 4, 2), (5, 3, 2)),
    ((Scaled(0.1),), {}, (1, 30), (1, 3)),  # ceil of the decimal, not of 0.1's binary value
])
def test_resize_layer_output_dims(spec, options, dims, output):
    layer = ResizeLayer(spec, Input=dims, **options)
    assert NetExtract(layer, "Output") == output
    assert layer(np.zeros(dims)).shape == output


@pytest.mark.parametrize("scheme, align_corners", [("Automatic", True), ("Point", True), ("Bin", False)])
@pytest.mark.parametrize("interleaving", [False, True])
def test_resize_layer_linear_values_against_numpy(scheme, align_corners, interleaving):
    x = np.random.default_rng(0).standard_normal((2, 4, 5))  # (c, h, w)
    mh, mw = linear_matrix(4, 7, align_corners), linear_matrix(5, 3, align_corners)
    expected = np.einsum("oh,chw,pw->cop", mh, x, mw)
    data = x.transpose(1, 2, 0) if interleaving else x
    layer = ResizeLayer((7, Scaled(0.5)), Scheme=scheme, Interleaving=interleaving, Input=data.shape)
    got = layer(data)
    np.testing.assert_allclose(got.transpose(2, 0, 1) if interleaving else got, expected, rtol=1e-5, atol=1e-6)


def test_resize_layer_point_scheme_keeps_the_corners_and_nearest_replicates():
    # Corner-aligned: the first and last outputs are the first and last inputs, evenly spaced between.
    np.testing.assert_allclose(ResizeLayer((7,))(np.array([[0.0, 3.0, 6.0]])), [[0, 1, 2, 3, 4, 5, 6]], atol=1e-6)
    np.testing.assert_allclose(ResizeLayer((4,), Input=(1, 3))(np.array([[0.0, 3.0, 6.0]])), [[0, 2, 4, 6]], atol=1e-6)
    x = np.arange(6.0).reshape(1, 2, 3)
    np.testing.assert_array_equal(
        ResizeLayer((Scaled(3), Scaled(2)), Resampling="Nearest")(x), x.repeat(3, axis=1).repeat(2, axis=2))


@pytest.mark.parametrize("spec, options, dims, message", [
    ((0,), {}, None, "Validation failed for ResizeLayer: specification should be a list containing integers, "
     "Scaled[r], or All. Received (0,)."),
    ((Scaled(-1),), {}, None, "specification should be a list containing integers, Scaled[r], or All."),
    ((2, 3, 4), {}, None, "specification should be a list containing integers, Scaled[r], or All."),
    ((4,), {"Resampling": "Nearest"}, None, "Validation failed for ResizeLayer: layer specification should be "
     "{Scaled[n], ...} when using \"Resampling\" -> \"Nearest\"."),
    ((Scaled(2),), {"Resampling": "Nearest", "Scheme": "Point"}, None, "Validation failed for ResizeLayer: with "
     "\"Resampling\" -> \"Nearest\", \"Scheme\" should be \"Bin\"; received 'Point'."),
    ((4,), {"Resampling": "Cubic"}, None, "the value of Resampling should be \"Linear\" or \"Nearest\"; received 'Cubic'."),
    ((1,), {}, (2, 3), "Validation failed for ResizeLayer: layer would produce an output of size 2×1, which is not "
     "supported."),
    ((Scaled(0.2), All), {}, (2, 3, 4), "layer would produce an output of size 2×1×4, which is not supported."),
    ((4, 4), {}, (2, 3), "Validation failed for ResizeLayer: the input should be an array of rank 3 to 3"),
    ((4,), {"Interleaving": True}, (VARYING, 3), "Validation failed for ResizeLayer: a \"Varying\" dimension cannot be "
     "resized."),
])
def test_resize_layer_errors(spec, options, dims, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        ResizeLayer(spec, Input=dims, **options)
