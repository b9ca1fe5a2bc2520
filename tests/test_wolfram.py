"""The Wolfram Language dialect against reference Part A: conformance tables A3, A3.1, A4.1, errors, values."""

from __future__ import annotations

import numpy as np
import pytest

from convlayers.wolfram import (
    ConvolutionLayer,
    DeconvolutionLayer,
    Information,
    NetExtract,
    NetInitialize,
)

X = 10  # the concrete length the paclet's varying-length tests used

# Reference A3: (n, kernel, options, input, output, weights dims); rows 1-20 and the docs' row 32.
A3 = [
    (3, (3, 2, 3), dict(Stride=(2, 1, 2), PaddingSize=(2, 1, 0)), (3, 7, 5, 8), (3, 5, 6, 3), (3, 3, 3, 2, 3)),
    (2, 3, {}, (3, 5, 5, 5), (2, 3, 3, 3), (2, 3, 3, 3, 3)),
    (2, (2, 3, 4), {}, (3, 3, 4, 6), (2, 2, 2, 3), (2, 3, 2, 3, 4)),
    (6, (2, 2, 2), dict(ChannelGroups=2), (2, 3, 4, 6), (6, 2, 3, 5), (6, 1, 2, 2, 2)),
    (3, 2, dict(PaddingSize=((1, 2), (0, 1), (2, 4))), (2, 3, 4, 5), (3, 5, 4, 10), (3, 2, 2, 2, 2)),
    (3, (3, 2), dict(Stride=(2, 1), PaddingSize=(2, 1), Dilation=(2, 1)), (3, 7, 5), (3, 4, 6), (3, 3, 3, 2)),
    (2, 2, {}, (2, 4, 4), (2, 3, 3), (2, 2, 2, 2)),
    (1, 3, {}, (2, 4, 4), (1, 2, 2), (1, 2, 3, 3)),
    (2, 2, dict(Stride=2), (2, 8, 8), (2, 4, 4), (2, 2, 2, 2)),
    (2, 2, dict(Dilation=2), (2, 8, 8), (2, 6, 6), (2, 2, 2, 2)),
    (6, 2, dict(Dilation=2, ChannelGroups=3), (3, 3, 3), (6, 1, 1), (6, 1, 2, 2)),
    (3, 2, dict(PaddingSize=((1, 2), (2, 1))), (2, 3, 4), (3, 5, 6), (3, 2, 2, 2)),
    (2, (2,), {}, (1, 16), (2, 15), (2, 1, 2)),
    (3, (3,), dict(Stride=2, PaddingSize=2, Dilation=2), (3, 7), (3, 4), (3, 3, 3)),
    (3, (3,), dict(Stride=2, ChannelGroups=3, Dilation=2), (3, 7), (3, 2), (3, 1, 3)),
    (1, (2, 2), dict(Interleaving=True, PaddingSize=(1, 0)), (X, 5, 1), (11, 4, 1), (1, 1, 2, 2)),
    (3, 2, dict(PaddingSize=((1, 2),)), (2, 3), (3, 5), (3, 2, 2)),
    (3, 5, dict(Interleaving=True), (X, 1), (6, 3), (3, 1, 5)),
    (1, 2, dict(Dilation=2, Interleaving=True), (X, 1), (8, 1), (1, 1, 2)),
    (1, (2, 3), dict(Stride=2, Dilation=(3, 4), PaddingSize=(1, 2)), (1, 256, 252), (1, 128, 124), (1, 1, 2, 3)),
]


@pytest.mark.parametrize("n, kernel, options, input_dims, output_dims, weights_dims", A3)
def test_a3_output_and_weights_dims(n, kernel, options, input_dims, output_dims, weights_dims):
    layer = ConvolutionLayer(n, kernel, Input=input_dims, **options)
    assert NetExtract(layer, "Output") == output_dims
    assert Information(layer, "ArraysDimensions") == {("Weights",): weights_dims, ("Biases",): (n,)}
    initialised = NetInitialize(layer)
    assert NetExtract(initialised, "Weights").shape == weights_dims
    assert initialised(np.ones(input_dims)).shape == output_dims


def test_a3_varying_first_spatial_dim_stays_varying():
    layer = ConvolutionLayer(1, (2, 2), Interleaving=True, PaddingSize=(1, 0), Input=("Varying", 5, 1))
    assert NetExtract(layer, "Output") == ("Varying", 4, 1)
    initialised = NetInitialize(layer)
    assert initialised(np.ones((7, 5, 1))).shape == (8, 4, 1)
    assert [y.shape for y in initialised([np.ones((7, 5, 1)), np.ones((3, 5, 1))])] == [(8, 4, 1), (4, 4, 1)]


A3_ERRORS = [
    (5, 3, dict(Stride=2, Dilation=3, Interleaving=True), (3, 1), "output with non-positive dimensions was inferred"),
    (3, 5, {}, (1, 1), "kernel size 5 cannot exceed input size 1 plus padding size 0."),
    (3, (5, 2), dict(PaddingSize=((1, 0), 0)), (1, 3, 4), "kernel size 5×2 cannot exceed input size 3×4 plus padding size 1×0."),
    (3, 2, dict(ChannelGroups=2), (3, 5), "number of input channels 3 is not divisible by the group number 2."),
    (3, 2, dict(ChannelGroups=2), (4, 5), "number of output channels 3 is not divisible by the group number 2."),
    (3, 2, {}, ("Varying", 5), "number of input channels cannot be a \"Varying\" dimension"),
    (3, 2, dict(Dimensionality=4), None, "dimensionality must be either 1, 2 or 3."),
]


@pytest.mark.parametrize("n, kernel, options, input_dims, message", A3_ERRORS)
def test_a3_validation_errors(n, kernel, options, input_dims, message):
    with pytest.raises(ValueError, match="Validation failed for ConvolutionLayer: .*" + _escaped(message)):
        ConvolutionLayer(n, kernel, Input=input_dims, **options)


def _escaped(text: str) -> str:
    import re

    return re.escape(text)


A31 = [
    ([[[0.5, 0.5]]], 2, [[1.5, 3.5, 5.5, 7.5]]),
    ([[[0.5, 0.5]]], 4, [[1.5, 5.5]]),
    ([[[0.25] * 4]], 2, [[2.5, 4.5, 6.5]]),
    ([[[0.25] * 4]], 4, [[2.5, 6.5]]),
]


@pytest.mark.parametrize("weights, stride, expected", A31)
def test_a31_values(weights, stride, expected):
    layer = ConvolutionLayer(1, len(weights[0][0]), Weights=weights, Biases=None, Stride=stride, Input=(1, 8))
    assert NetExtract(layer, "Output") == np.shape(expected)
    np.testing.assert_allclose(layer(np.arange(1, 9).reshape(1, 8)), expected)


def test_correlation_not_convolution_and_same_puts_the_extra_pad_at_the_end():
    assert ConvolutionLayer(1, 3, Weights=[[[1, 2, 3]]], Biases=None)([[0, 0, 1, 0, 0]]).tolist() == [[3.0, 2.0, 1.0]]
    same = ConvolutionLayer(1, (2,), PaddingSize="Same", Weights=[[[1, 0]]], Biases=None, Input=(1, 3))
    assert same([[1, 2, 3]]).tolist() == [[1.0, 2.0, 3.0]]
    assert NetExtract(same, "PaddingSize") == ((0, 1),)


# Reference A4.1: DeconvolutionLayer's internal tests.
A41 = [
    (2, (2,), {}, (1, 16), (2, 17)),
    (3, (3,), dict(Stride=2, PaddingSize=2), (3, 7), (3, 11)),
    (5, 3, dict(Stride=2, Interleaving=True), (3, 1), (7, 5)),
    (3, (3,), dict(Stride=2, ChannelGroups=3), (3, 7), (3, 15)),
    (3, (3, 2), dict(Stride=(2, 1), PaddingSize=(2, 1)), (3, 7, 5), (3, 11, 4)),
    (2, 2, {}, (2, 4, 4), (2, 5, 5)),
    (1, 3, {}, (2, 4, 4), (1, 6, 6)),
    (2, 2, dict(Stride=2), (2, 8, 8), (2, 16, 16)),
    (2, 3, dict(ChannelGroups=2), (4, 5, 5), (2, 7, 7)),
]


@pytest.mark.parametrize("n, kernel, options, input_dims, output_dims", A41)
def test_a41_deconvolution_output_dims(n, kernel, options, input_dims, output_dims):
    layer = DeconvolutionLayer(n, kernel, Input=input_dims, **options)
    assert NetExtract(layer, "Output") == output_dims
    assert NetInitialize(layer)(np.ones(input_dims)).shape == output_dims


def test_deconvolution_weights_are_inputs_first_and_zero_output_is_refused():
    layer = DeconvolutionLayer(2, 3, ChannelGroups=2, Input=(4, 5, 5))
    assert Information(layer, "ArraysDimensions")[("Weights",)] == (4, 1, 3, 3)
    with pytest.raises(ValueError, match="Validation failed for DeconvolutionLayer: choice of parameters results in a zero-size output tensor."):
        DeconvolutionLayer(1, 2, PaddingSize=1, Input=(1, 1))
