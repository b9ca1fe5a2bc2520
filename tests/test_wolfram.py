"""The Wolfram Language dialect against reference Part A: conformance tables A3, A3.1, A4.1, errors, values."""

from __future__ import annotations

import re

import numpy as np
import pytest

from convlayers.wolfram import (
    ConvolutionLayer,
    DeconvolutionLayer,
    ElementwiseLayer,
    FlattenLayer,
    Information,
    LinearLayer,
    LogisticSigmoid,
    NetChain,
    NetExtract,
    NetInitialize,
    NetTrain,
    PoolingLayer,
    Ramp,
    SoftmaxLayer,
    Tanh,
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


# -- values against an independent NumPy reference -------------------------------------------------
def _np_conv(x, w, b, stride, pads, dilation, groups):
    """Channels-first single-example cross-correlation by direct loops (no torch)."""
    x = np.pad(x.astype(np.float64), [(0, 0)] + list(pads))
    n, per_group = w.shape[0], w.shape[1]
    k = w.shape[2:]
    out = [(x.shape[1 + i] - (dilation[i] * (k[i] - 1) + 1)) // stride[i] + 1 for i in range(len(k))]
    y = np.zeros((n,) + tuple(out))
    for o in range(n):
        g = o // (n // groups)
        for position in np.ndindex(*out):
            for tap in np.ndindex(*k):
                index = tuple(p * s + t * d for p, s, t, d in zip(position, stride, tap, dilation))
                y[(o,) + position] += np.dot(w[(o, slice(None)) + tap], x[(slice(g * per_group, (g + 1) * per_group),) + index])
        y[o] += b[o]
    return y


@pytest.mark.parametrize(
    "n, kernel, options, input_dims",
    [
        (4, (3, 2), dict(Stride=(2, 1), PaddingSize=((1, 2), (0, 1)), Dilation=(1, 2), ChannelGroups=2), (2, 7, 6)),
        (2, 3, dict(PaddingSize="Same", Stride=2), (3, 8)),
        (3, 2, dict(ChannelGroups=3), (3, 3, 4, 3)),
    ],
)
def test_convolution_values_against_numpy(n, kernel, options, input_dims):
    layer = NetInitialize(ConvolutionLayer(n, kernel, Biases=np.arange(n), Input=input_dims, **options))
    x = np.random.default_rng(0).standard_normal(input_dims)
    w = NetExtract(layer, "Weights")
    pads = NetExtract(layer, "PaddingSize")
    rank = len(input_dims) - 1
    stride = np.broadcast_to(options.get("Stride", 1), rank)
    dilation = np.broadcast_to(options.get("Dilation", 1), rank)
    expected = _np_conv(x, w, np.arange(n), stride, pads, dilation, options.get("ChannelGroups", 1))
    np.testing.assert_allclose(layer(x), expected, rtol=1e-5, atol=1e-5)


def test_interleaving_moves_the_channels_last_with_the_same_weights():
    first = NetInitialize(ConvolutionLayer(3, 2, Input=(2, 5, 4)))
    last = ConvolutionLayer(3, 2, Interleaving=True, Weights=NetExtract(first, "Weights"), Biases=NetExtract(first, "Biases"),
                            Input=(5, 4, 2))
    x = np.random.default_rng(1).standard_normal((2, 5, 4))
    np.testing.assert_allclose(last(np.moveaxis(x, 0, -1)), np.moveaxis(first(x), 0, -1), rtol=1e-6)


def test_deconvolution_is_the_adjoint_of_the_convolution():
    rng = np.random.default_rng(2)
    w = rng.standard_normal((3, 2, 3, 2))
    conv = ConvolutionLayer(Weights=w, Biases=None, Stride=2, PaddingSize=1, Input=(2, 7, 6))
    deconv = DeconvolutionLayer(2, (3, 2), Weights=w, Biases=None, Stride=2, PaddingSize=1, Input=conv.output_dims)
    x, y = rng.standard_normal((2, 7, 6)), rng.standard_normal(conv.output_dims)
    assert NetExtract(conv, "OutputChannels") == 3 and NetExtract(conv, "KernelSize") == (3, 2)
    np.testing.assert_allclose(np.sum(conv(x) * y), np.sum(x * deconv(y)[:, :7, :6]), rtol=1e-4)


def test_weights_only_form_infers_n_and_kernel():
    layer = ConvolutionLayer(Weights=np.ones((4, 2, 3)), Input=(2, 9))
    assert (layer.n, layer.kernel, layer.output_dims) == (4, (3,), (4, 7))
    assert Information(layer, "ArraysCount") == 2 and not layer.specified("Biases")


# -- applying ------------------------------------------------------------------------------------
def test_single_example_batch_and_list_of_examples():
    layer = NetInitialize(ConvolutionLayer(2, 3, Input=(1, 6)))
    x = np.random.default_rng(3).integers(0, 9, (4, 1, 6))
    batch = layer(x)
    assert batch.dtype == np.float32 and batch.shape == (4, 2, 4)
    np.testing.assert_allclose(layer(x[0]), batch[0], rtol=1e-6)
    np.testing.assert_allclose(layer(list(x)), batch, rtol=1e-6)


@pytest.mark.parametrize(
    "data, message",
    [
        ([[["a", "b", "c", "d", "e", "f"]]], "Input to network is not a numeric array"),
        (np.zeros((1, 5)), "Data provided to port \"Input\" has the wrong dimensions (1×5 instead of 1×6)."),
        (np.zeros(6), "should be an array of rank 2 (one example) or 3 (a batch), but was an array of rank 1"),
    ],
)
def test_application_errors(data, message):
    layer = NetInitialize(ConvolutionLayer(2, 3, Input=(1, 6)))
    with pytest.raises(ValueError, match=_escaped(message)):
        layer(data)


def test_uninitialised_net_refuses_data_naming_the_array():
    with pytest.raises(ValueError, match="Cannot evaluate net: unspecified value for Weights"):
        ConvolutionLayer(2, 3, Input=(1, 6))(np.zeros((1, 6)))
    chain = NetChain([ConvolutionLayer(2, 3, Weights=np.ones((2, 1, 3))), LinearLayer(2)], Input=(1, 6))
    with pytest.raises(ValueError, match=_escaped("unspecified value for (1, 'Biases')")):
        chain(np.zeros((1, 6)))


# -- pooling and companions ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "function, reduce",
    [("Max", np.max), ("Mean", np.mean), ("Total", np.sum)],
)
def test_pooling_functions_against_numpy(function, reduce):
    x = np.random.default_rng(4).standard_normal((2, 6, 5))
    layer = PoolingLayer((2, 3), Stride=(2, 1), Function=function, Input=(2, 6, 5))
    expected = np.array([[[reduce(x[c, 2 * i:2 * i + 2, j:j + 3]) for j in range(3)] for i in range(3)] for c in range(2)])
    assert NetExtract(layer, "Output") == (2, 3, 3)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-5)


def test_pooling_stride_defaults_to_one_and_errors():
    assert NetExtract(PoolingLayer(2, Input=(1, 5, 5)), "Output") == (1, 4, 4)
    with pytest.raises(ValueError, match="Validation failed for PoolingLayer: kernel size 3 cannot exceed input size 2 plus padding size 0."):
        PoolingLayer(3, Input=(1, 2))
    with pytest.raises(ValueError, match="padding size 2 must be smaller than KernelSize 2"):
        PoolingLayer(2, PaddingSize=2, Input=(1, 5))


def test_companions_values():
    x = np.array([-2.0, 0.5, 3.0])
    assert ElementwiseLayer(Ramp)(x).tolist() == [0.0, 0.5, 3.0]
    np.testing.assert_allclose(ElementwiseLayer(Tanh)(x), np.tanh(x), rtol=1e-6)
    np.testing.assert_allclose(ElementwiseLayer(LogisticSigmoid)(x), 1 / (1 + np.exp(-x)), rtol=1e-6)
    np.testing.assert_allclose(SoftmaxLayer()(x), np.exp(x) / np.exp(x).sum(), rtol=1e-6)
    assert FlattenLayer()(np.arange(6).reshape(1, 2, 3)).tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    w = np.arange(12.0).reshape(2, 6)
    linear = LinearLayer(Weights=w, Biases=[1, -1], Input=(2, 3))
    np.testing.assert_allclose(linear(np.ones((2, 3))), w.sum(axis=1) + [1, -1])


# -- NetChain, NetExtract, Information, NetTrain ---------------------------------------------------
def test_netchain_infers_shapes_through_the_chain():
    chain = NetChain([ConvolutionLayer(8, 3, PaddingSize=1), Ramp, PoolingLayer(2, 2), FlattenLayer(), LinearLayer(10), SoftmaxLayer()],
                     Input=(3, 16, 16))
    assert [layer.output_dims for layer in chain.layers] == [(8, 16, 16), (8, 16, 16), (8, 8, 8), (512,), (10,), (10,)]
    assert NetExtract(chain, "Output") == (10,) and NetExtract(chain, (5, "Input")) == (512,)
    net = NetInitialize(chain)
    y = net(np.zeros((2, 3, 16, 16)))
    assert y.shape == (2, 10) and np.allclose(y.sum(axis=1), 1)
    with pytest.raises(ValueError, match="Validation failed for ConvolutionLayer: kernel size 5×5 cannot exceed input size 4×4 plus padding size 0×0."):
        NetChain([PoolingLayer(4, 4), ConvolutionLayer(2, 5)], Input=(1, 16, 16))


def test_netchain_varying_dims_with_interleaving():
    chain = NetChain([ConvolutionLayer(4, 3, Interleaving=True), PoolingLayer(2, 2, Interleaving=True)], Input=("Varying", 3))
    assert chain.output_dims == ("Varying", 4)
    assert NetInitialize(chain)(np.zeros((11, 3))).shape == (4, 4)


def test_netinitialize_keeps_explicit_arrays_and_leaves_its_argument_alone():
    layer = ConvolutionLayer(2, 3, Weights=np.ones((2, 1, 3)), Input=(1, 5))
    initialised = NetInitialize(layer)
    np.testing.assert_array_equal(NetExtract(initialised, "Weights"), np.ones((2, 1, 3)))
    assert NetExtract(initialised, "Biases").tolist() == [0.0, 0.0]
    assert NetExtract(layer, "Biases") is None


def test_information_properties():
    layer = ConvolutionLayer(16, (3, 3), Input=(3, 32, 32))
    assert Information(layer, "ArraysCount") == 2
    assert Information(ConvolutionLayer(16, (3, 3), Biases=None, Input=(3, 32, 32)), "ArraysCount") == 1
    assert Information(layer, "ArraysTotalElementCount") == 448
    assert Information(layer, "ArraysTotalByteCount") == 1792
    assert Information(layer, "ArraysTotalSize") == "1.792 kB"
    assert Information(ConvolutionLayer(6, (3, 3), ChannelGroups=2, Input=(4, 32, 32)), "ArraysTotalElementCount") == 114
    assert Information(layer, "InputPorts") == {"Input": (3, 32, 32)}
    assert Information(layer, "OutputPorts") == {"Output": (16, 30, 30)}
    assert Information(layer, "LayersCount") == 1
    assert Information(layer, "ArraysPositionList") == [("Weights",), ("Biases",)]
    chain = NetChain([layer, Ramp, ConvolutionLayer(2, 1)])
    assert Information(chain, "LayersCount") == 3
    assert Information(chain, "ArraysPositionList") == [(1, "Weights"), (1, "Biases"), (3, "Weights"), (3, "Biases")]
    assert Information(chain, "LayerTypeCounts") == {"ConvolutionLayer": 2, "ElementwiseLayer": 1}
    assert set(Information(chain)) >= {"LayersCount", "ArraysTotalElementCount"}
    assert "ArraysTotalSize" in Information(layer, "Properties")
    with pytest.raises(ValueError, match="can only produce a summary graphic for a NetChain or NetGraph object"):
        Information(layer, "SummaryGraphic")


def test_nettrain_zero_multiplier_freezes_those_arrays():
    rng = np.random.default_rng(5)
    net = NetInitialize(NetChain([ConvolutionLayer(2, 3, LearningRateMultipliers={"Weights": 0}), Ramp,
                                  LinearLayer(1, LearningRateMultipliers=0)], Input=(1, 8)))
    x, y = rng.standard_normal((32, 1, 8)), rng.standard_normal((32, 1))
    trained = NetTrain(net, (x, y), LearningRate=0.05, MaxTrainingRounds=3)
    for path in [(1, "Weights"), (3, "Weights"), (3, "Biases")]:
        np.testing.assert_array_equal(NetExtract(trained, path), NetExtract(net, path))
    assert not np.array_equal(NetExtract(trained, (1, "Biases")), NetExtract(net, (1, "Biases")))
