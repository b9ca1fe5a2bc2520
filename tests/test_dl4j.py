"""The DL4J dialect: reference dl4j.md section 5's conformance rows, values against NumPy with DL4J-layout
weights, modes and their errors, network configuration (inheritance, nIn, preprocessors), params order, fit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convlayers import dl4j
from convlayers.dl4j import (
    Activation, ConvolutionMode, DL4JException, DL4JInvalidConfigException, DL4JInvalidInputException, InputType,
    LossFunction, PoolingType,
)
from reference import conv as np_conv
from reference import pool as np_pool
from reference import same_pads

Mode = ConvolutionMode


def network(*layers, input_type, **globals_):
    builder = dl4j.NeuralNetConfiguration.Builder().seed(123)
    for key, value in globals_.items():
        getattr(builder, key)(value)
    lst = builder.list()
    for layer in layers:
        lst.layer(layer)
    return lst.setInputType(input_type).build()


def conv(k, s=(1, 1), p=(0, 0), mode=None, n_out=2, **setters):
    builder = dl4j.ConvolutionLayer.Builder(*k).stride(*s).padding(*p).nOut(n_out)
    if mode is not None:
        builder.convolutionMode(mode)
    for key, value in setters.items():
        getattr(builder, key)(value)
    return builder.build()


def pool(k, s, p=(0, 0), mode=None, kind=PoolingType.MAX):
    builder = dl4j.SubsamplingLayer.Builder(kind).kernelSize(*k).stride(*s).padding(*p)
    return (builder.convolutionMode(mode) if mode is not None else builder).build()


def sizes(conf):
    return [t.sizes for t in conf.output_types]


# -- section 5: ConvolutionMode rows ----------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda m: conv((3, 3), (3, 3), mode=m), lambda m: pool((3, 3), (3, 3), mode=m)])
@pytest.mark.parametrize("size, mode, expected", [
    (9, Mode.Strict, (3, 3)),  # row 1
    (10, Mode.Strict, None), (11, Mode.Strict, None),  # rows 2, 3
    (10, Mode.Truncate, (3, 3)), (11, Mode.Truncate, (3, 3)),  # rows 4, 5
])
def test_rows_1_to_5_strict_and_truncate(make, size, mode, expected):
    if expected is None:
        with pytest.raises(DL4JException, match="ConvolutionMode.Strict"):
            network(make(mode), input_type=InputType.convolutional(size, size, 3))
        return
    conf = network(make(mode), input_type=InputType.convolutional(size, size, 3))
    assert sizes(conf)[0][:2] == expected
    if size != 9:  # rows 4, 5: equal to the output on the top-left 9x9 crop
        net = dl4j.MultiLayerNetwork(conf)
        net.init()
        x = np.random.default_rng(0).normal(size=(3, 3, size, size)).astype("float32")
        np.testing.assert_allclose(net.output(x), net.output(np.ascontiguousarray(x[:, :, :9, :9])), rtol=1e-6)


@pytest.mark.parametrize("h, w, k, s, mode, expected", [
    (3, 3, 2, 1, Mode.Strict, (2, 2, 7)), (3, 3, 2, 1, Mode.Truncate, (2, 2, 7)), (3, 3, 2, 1, Mode.Same, (3, 3, 7)),  # 6-8
    (3, 4, 3, 2, Mode.Truncate, (1, 1, 7)), (3, 4, 3, 2, Mode.Same, (2, 2, 7)),  # rows 10, 11
])
def test_rows_6_to_11_input_types(h, w, k, s, mode, expected):
    conf = network(conv((k, k), (s, s), mode=mode, n_out=7), input_type=InputType.convolutional(h, w, 5))
    assert sizes(conf) == [expected]


def test_row_9_strict_message():
    with pytest.raises(DL4JInvalidConfigException) as error:
        network(conv((3, 3), (2, 2), mode=Mode.Strict, n_out=7), input_type=InputType.convolutional(3, 4, 5))
    message = str(error.value)
    assert "for width dimension" in message and "(4 - 3 + 2*0)/2 + 1 = 1.50" in message
    assert "floor(1.50) = 1, use ConvolutionMode.Truncate" in message and "ceil(4/2)=2" in message


@pytest.mark.parametrize("layer, channels", [(conv((3, 3), (2, 2), mode=Mode.Same, n_out=4), 4),
                                             (pool((3, 3), (2, 2), mode=Mode.Same), 3)])
def test_rows_12_13_same_activation_sizes(layer, channels):
    conf = network(layer, input_type=InputType.convolutional(3, 4, 3))
    net = dl4j.MultiLayerNetwork(conf)
    net.init()
    assert net.output(np.zeros((5, 3, 3, 4), "float32")).shape == (5, channels, 2, 2)


@pytest.mark.parametrize("global_mode", [Mode.Strict, Mode.Truncate, Mode.Same])
def test_row_14_global_mode_inherited_explicit_wins(global_mode):
    conf = network(conv((3, 3), (3, 3)), conv((3, 3), (3, 3), mode=Mode.Truncate), pool((3, 3), (3, 3)),
                   input_type=InputType.convolutional(81, 81, 1), convolutionMode=global_mode)
    assert [layer.dl4j["convolutionMode"] for layer in conf.layers] == [global_mode, Mode.Truncate, global_mode]
    assert network(conv((3, 3)), input_type=InputType.convolutional(9, 9, 1)).layers[0].dl4j["convolutionMode"] is Mode.Truncate


def test_row_15_causal_1d():
    layer = dl4j.Convolution1DLayer.Builder(2).dilation(4).nOut(14).convolutionMode(Mode.Causal).build()
    conf = network(layer, input_type=InputType.recurrent(64, 72))
    net = dl4j.MultiLayerNetwork(conf)
    net.init()
    assert net.output(np.zeros((1, 64, 72), "float32")).shape == (1, 14, 72)


def test_row_16_kernel_too_large():
    with pytest.raises(DL4JException, match="layer 0"):
        network(conv((20, 24)), input_type=InputType.convolutionalFlat(20, 23, 1))


def test_row_17_zero_stride():
    with pytest.raises(ValueError, match=r"ConvolutionLayer: Values for stride must be > 0, got: \[1, 0\]"):
        conv((20, 23), (1, 0))


def test_row_18_mnist_feature_map():
    assert sizes(network(conv((9, 9), n_out=20), input_type=InputType.convolutional(28, 28, 1))) == [(20, 20, 20)]


def test_row_19_activate_results():
    layer = conv((2, 2), (2, 2), activation=Activation.SIGMOID)
    layer.build((None, 1, 8, 8))
    layer.setParam("W", np.full((2, 1, 2, 2), 0.5))
    layer.setParam("b", np.ones(2))
    x = np.repeat(np.array([1, 2, 3, 4, 1, 2, 3, 4], "float32")[:, None], 8, 1)[None, None]
    y = layer(x)
    assert y.shape == (1, 2, 4, 4)
    np.testing.assert_allclose(y[0, :, ::2], 0.98201379, rtol=1e-6)
    np.testing.assert_allclose(y[0, :, 1::2], 0.99966465, rtol=1e-6)


def test_row_20_1d_input_types():
    conf = network(
        dl4j.Convolution1DLayer.Builder(2).nOut(3).build(), dl4j.Subsampling1DLayer.Builder(2).stride(2).build(),
        dl4j.Upsampling1D.Builder(2).build(), input_type=InputType.recurrent(10, 6), convolutionMode=Mode.Same)
    assert sizes(conf) == [(3, 6), (3, 3), (3, 6)]
    net = dl4j.MultiLayerNetwork(conf)
    net.init()
    assert net.output(np.zeros((2, 10, 6), "float32")).shape == (2, 3, 6)
    unknown = network(dl4j.Convolution1DLayer.Builder(2).nOut(3).build(), dl4j.Subsampling1DLayer.Builder(2).stride(2).build(),
                      dl4j.Upsampling1D.Builder(2).build(), input_type=InputType.recurrent(10), convolutionMode=Mode.Same)
    assert [t.sizes[1] for t in unknown.output_types] == [None, None, None]


@pytest.mark.parametrize("builder", [
    dl4j.ConvolutionLayer.Builder(2, 2), dl4j.Deconvolution2D.Builder(2, 2), dl4j.DepthwiseConvolution2D.Builder(2, 2),
    dl4j.SeparableConvolution2D.Builder(2, 2), dl4j.SubsamplingLayer.Builder(2, 2), dl4j.Convolution3D.Builder(),
    dl4j.Subsampling3DLayer.Builder(),
])
def test_row_21_causal_refused_on_2d_3d(builder):
    with pytest.raises(DL4JInvalidConfigException, match="Causal convolution mode can only be used with 1D"):
        builder.nOut(3).convolutionMode(Mode.Causal).build() if "nOut" in builder.layer.settings else builder.convolutionMode(Mode.Causal).build()


def test_row_22_causal_1d_builds():
    dl4j.Convolution1DLayer.Builder(2).nOut(3).convolutionMode(Mode.Causal).build()
    dl4j.Subsampling1DLayer.Builder(2).convolutionMode(Mode.Causal).build()


def test_row_23_deconv_bad_input():
    net = dl4j.MultiLayerNetwork(network(dl4j.Deconvolution2D.Builder().nIn(5).nOut(3).build(),
                                         input_type=InputType.convolutional(5, 5, 5)))
    net.init()
    with pytest.raises(DL4JInvalidInputException, match="Deconvolution2D.*input.*channels"):
        net.getLayer(0)(np.zeros((1, 10, 5, 5), "float32"))


@pytest.mark.parametrize("first, expected", [
    (dl4j.Deconvolution2D.Builder(2, 2).stride(2, 2).nOut(3).build(), [(56, 56, 3), (29, 29, 3)]),  # row 24
    (conv((2, 2), (2, 2), n_out=3), [(14, 14, 3), (8, 8, 3)]),  # row 25
    (dl4j.SeparableConvolution2D.Builder(2, 2).stride(2, 2).depthMultiplier(2).nOut(3).build(), [(14, 14, 3), (8, 8, 3)]),  # 29
])
def test_rows_24_25_29_then_padded_pool(first, expected):
    assert sizes(network(first, pool((2, 2), (2, 2), (1, 1)), input_type=InputType.convolutional(28, 28, 1))) == expected


@pytest.mark.parametrize("second, expected", [
    (dl4j.Upsampling2D.Builder(3).build(), (42, 42, 3)),  # row 26
    (dl4j.SpaceToBatchLayer.Builder([2, 2]).build(), (7, 7, 3)),  # row 27
    (dl4j.SpaceToDepthLayer.Builder(2).build(), (7, 7, 12)),  # row 28
])
def test_rows_26_to_28(second, expected):
    assert sizes(network(conv((2, 2), (2, 2), n_out=3), second, input_type=InputType.convolutional(28, 28, 1)))[1] == expected


def test_row_30_lenet_dense_nin():
    conf = network(conv((5, 5), n_out=20), pool((2, 2), (2, 2)), conv((5, 5), n_out=50), pool((2, 2), (2, 2)),
                   dl4j.DenseLayer.Builder().nOut(500).build(), input_type=InputType.convolutionalFlat(28, 28, 1))
    assert [t.sizes[:2] for t in conf.output_types[:4]] == [(24, 24), (12, 12), (8, 8), (4, 4)]
    assert conf.layers[4].dl4j["nIn"] == 800


def test_rows_31_32_33_default_pool_stride():
    conf = network(conv((5, 5), n_out=6), dl4j.SubsamplingLayer.Builder(2, 2).build(), conv((5, 5)),
                   input_type=InputType.convolutional(28, 28, 3))
    assert sizes(conf)[1] == (12, 12, 6) and conf.layers[2].dl4j["nIn"] == 6
    conf = network(conv((10, 10), (2, 2), n_out=6), dl4j.SubsamplingLayer.Builder(2, 2).build(),
                   dl4j.OutputLayer.Builder().nOut(3).build(), input_type=InputType.convolutional(28, 28, 1))
    assert conf.layers[2].dl4j["nIn"] == 150
    conf = network(conv((5, 5)), pool((2, 2), (2, 2)), conv((3, 3)), pool((2, 2), (2, 2)),
                   input_type=InputType.convolutional(76, 76, 3))
    assert [t.sizes[0] for t in conf.output_types] == [72, 36, 34, 17]


CH0 = [[1, 1, 3, 7], [5, 1, 3, 3], [2, 2, 8, 4], [2, 6, 4, 4]]
CH1 = [[3, 3, 6, 7], [4, 4, 6, 7], [5, 5, 9, 8], [4, 4, 9, 8]]


@pytest.mark.parametrize("kind, expected", [(PoolingType.MAX, [5, 7, 6, 8, 4, 7, 5, 9]),  # row 34
                                            (PoolingType.AVG, [2, 4, 3, 5, 3.5, 6.5, 4.5, 8.5])])  # row 35
def test_rows_34_35_subsampling_values(kind, expected):
    layer = dl4j.SubsamplingLayer.Builder(kind, (2, 2)).build()
    assert layer(np.array([[CH0, CH1]], "float32")).ravel().tolist() == expected


def test_row_36_37_38_subsampling():
    assert sizes(network(dl4j.SubsamplingLayer.Builder(2, 2).build(), input_type=InputType.convolutional(28, 28, 1))) == [(14, 14, 1)]
    with pytest.raises(DL4JException):
        network(conv((3, 3)), pool((19, 1), (1, 1)), input_type=InputType.convolutionalFlat(20, 23, 1))
    with pytest.raises(DL4JException, match="SUM"):
        dl4j.SubsamplingLayer.Builder(PoolingType.SUM).build()


def test_rows_39_40_41_upsampling_and_space_to_depth():
    up2 = dl4j.Upsampling2D.Builder(2).build()(np.array([[[[1, 2], [3, 4]]]], "float32"))
    assert up2[0, 0].tolist() == [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    assert dl4j.Upsampling1D.Builder(2).build()(np.array([[[1, 2, 3, 4]]], "float32")).ravel().tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    s2d = dl4j.SpaceToDepthLayer.Builder(2, dl4j.CNN2DFormat.NCHW).build()(np.arange(1, 9, dtype="float32").reshape(1, 2, 2, 2))
    assert s2d.ravel().tolist() == [1, 5, 2, 6, 3, 7, 4, 8]


def test_rows_42_43_conv3d():
    same = dl4j.Convolution3D.Builder().nOut(1).hasBias(False).convolutionMode(Mode.Same).build()
    assert same.compute_output_shape((1, 1, 2, 2, 2)) == (1, 1, 2, 2, 2)
    conf = network(dl4j.Convolution3D.Builder().nOut(1).convolutionMode(Mode.Strict).build(),
                   input_type=InputType.convolutional3D(dl4j.Convolution3D.DataFormat.NCDHW, 4, 14, 14, 1))
    assert sizes(conf) == [(3, 13, 13, 1)]


def test_row_44_locally_connected_2d():
    lc = dl4j.LocallyConnected2D.Builder().nOut(16).kernelSize(8, 8).stride(4, 4).convolutionMode(Mode.Strict).build()
    conf = network(lc, dl4j.OutputLayer.Builder().nOut(10).build(), input_type=InputType.convolutional(28, 28, 3))
    assert sizes(conf) == [(6, 6, 16), (10,)]
    net = dl4j.MultiLayerNetwork(conf)
    net.init()
    assert net.output(np.zeros((10, 3, 28, 28), "float32")).shape == (10, 10)
    assert net.getLayer(0).getParam("W").shape == (36, 8 * 8 * 3, 16)


@pytest.mark.parametrize("layers, expected", [
    ([dl4j.LocallyConnected1D.Builder().nOut(16).kernelSize(4).convolutionMode(Mode.Strict).build()], [5]),  # row 45
    ([dl4j.Convolution1DLayer.Builder(1).nOut(2).build(),
      dl4j.LocallyConnected1D.Builder().nOut(3).kernelSize(1).hasBias(False).build()], [7, 7]),  # row 49
])
def test_rows_45_49_locally_connected_1d(layers, expected):
    conf = network(*layers, input_type=InputType.recurrent(3, 8 if expected == [5] else 7), convolutionMode=Mode.Same)
    assert [t.sizes[1] for t in conf.output_types] == expected
    assert conf.layers[-1].use_bias == (expected == [5])  # row 49's LC1D has no bias


@pytest.mark.parametrize("rank, mode", [(1, Mode.Truncate), (1, Mode.Same), (2, Mode.Truncate), (2, Mode.Same)])
def test_values_locally_connected(rank, mode):
    """DL4J's W [positions, nIn*k, nOut] (features channel-major, positions row-major) and a shared b [nOut]."""
    cls = {1: dl4j.LocallyConnected1D, 2: dl4j.LocallyConnected2D}[rank]
    sizes_ = (7, 6)[:rank]
    layer = _built(cls.Builder().nIn(2).nOut(3).kernelSize(*(3, 2)[:rank]).stride(*(2, 1)[:rank]).convolutionMode(mode)
                   .activation(Activation.IDENTITY).build(), (None, 2) + sizes_)
    W, b = layer.getParam("W"), layer.getParam("b")
    assert b.shape == (3,)
    x = RNG.normal(size=(2, 2) + sizes_).astype("float32")
    k, s = (3, 2)[:rank], (2, 1)[:rank]
    pads = tuple(same_pads(n, kk, ss, 1) for n, kk, ss in zip(sizes_, k, s)) if mode is Mode.Same else ((0, 0),) * rank
    padded = np.pad(x, ((0, 0), (0, 0)) + tuple(pads))
    out = tuple((n + sum(p) - kk) // ss + 1 for n, p, kk, ss in zip(sizes_, pads, k, s))
    expected = np.zeros((2, 3) + out)
    for index, position in enumerate(np.ndindex(*out)):
        window = tuple(slice(i * ss, i * ss + kk) for i, ss, kk in zip(position, s, k))
        patch = padded[(slice(None), slice(None)) + window].reshape(2, -1)  # c * prod(k) + tap
        expected[(slice(None), slice(None)) + position] = patch @ W[index] + b
    np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-5)


def test_locally_connected_defaults_params_and_refusals():
    layer = dl4j.LocallyConnected2D.Builder().nOut(2).build()
    assert layer.dl4j["kernelSize"] == (2, 2) and layer.dl4j["convolutionMode"] is Mode.Same
    assert layer.dl4j["activation"] is Activation.TANH
    conf = network(dl4j.LocallyConnected1D.Builder().nOut(2).kernelSize(2).build(), input_type=InputType.recurrent(1, 3))
    net = dl4j.MultiLayerNetwork(conf)
    net.init()
    net.setParams(np.arange(net.numParams(), dtype="float32"))  # W [3, 2, 2] first, then b [2] (SameDiff's order)
    assert net.getLayer(0).getParam("W").ravel().tolist() == list(range(12))
    assert net.getLayer(0).getParam("b").tolist() == [12, 13]
    with pytest.raises(DL4JInvalidConfigException, match=r"LocallyConnected2D: dilation other than 1.*\[2, 1\]"):
        dl4j.LocallyConnected2D.Builder().nOut(2).dilation(2, 1).build()
    with pytest.raises(DL4JInvalidConfigException, match=r"LocallyConnected2D: only NCHW / NCW.*dataFormat=NHWC"):
        dl4j.LocallyConnected2D.Builder().nOut(2).dataFormat(dl4j.CNN2DFormat.NHWC).build()


@pytest.mark.parametrize("layers, expected", [
    ([(1, None), ("crop", 1), (2, None)], [7, 5, 5]),  # row 46
    ([(1, None), ("pad", 2), (2, None), ("pad", 0), ("pool", 4)], [7, 11, 11, 11, 11]),  # row 47
    ([(2, 1), (2, 1)], [11, 11]), ([(3, 2), (3, 2)], [6, 3]), ([(4, 2), (4, 2)], [5, 3]),  # rows 50, 51, 53
])
def test_rows_46_to_55_1d(layers, expected):
    built = []
    for first, second in layers:
        if first == "crop":
            built.append(dl4j.Cropping1D.Builder(second).build())
        elif first == "pad":
            built.append(dl4j.ZeroPadding1DLayer.Builder(second).build())
        elif first == "pool":
            built.append(dl4j.Subsampling1DLayer.Builder(second).build())
        elif second is None:
            built.append(dl4j.Convolution1DLayer.Builder(first).nOut(2).build())
        else:
            built.append(dl4j.Convolution1DLayer.Builder(first, second).nOut(2).convolutionMode(Mode.Causal).build())
    length = {7: 7, 11: 11, 6: 12, 5: 9}[expected[0]]
    conf = network(*built, input_type=InputType.recurrent(3, length), convolutionMode=Mode.Same)
    assert [t.sizes[1] for t in conf.output_types] == expected


def causal_conv1d(k, s, d, n_out):
    return dl4j.Convolution1DLayer.Builder(k, s).dilation(d).nOut(n_out).convolutionMode(Mode.Causal).build()


@pytest.mark.parametrize("length, k, s, d", [(13, 2, 1, 2), (10, 2, 1, 2), (11, 3, 1, 1)])  # rows 52, 54, 55
def test_rows_52_54_55_causal_1d_dilated(length, k, s, d):
    conf = network(causal_conv1d(k, s, d, 3), causal_conv1d(k, s, d, 4), input_type=InputType.recurrent(2, length))
    assert [t.sizes[1] for t in conf.output_types] == [length, length]
    # DL4J's causal convolution: (k-1)*d zeros at the start, output t reads inputs t*s - (k-1)*d .. t*s
    layer = _built(dl4j.Convolution1DLayer.Builder(k, s).dilation(d).nOut(3).activation(Activation.IDENTITY)
                   .convolutionMode(Mode.Causal).build(), (None, 2, length))
    buffer = layer.getParam("W").reshape(k, 2, 3)  # the M1 [k, nIn, nOut] buffer
    x = RNG.normal(size=(2, 2, length)).astype("float32")
    expected = np_conv(x, buffer, layer.getParam("b"), pads=(((k - 1) * d, 0),), strides=(s,), dilation=(d,))
    np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-5)


POOL_KINDS = {PoolingType.MAX: "max", PoolingType.AVG: "average", PoolingType.PNORM: "pnorm"}


@pytest.mark.parametrize("kind", list(POOL_KINDS))
@pytest.mark.parametrize("k", [1, 2, 4])
def test_row_48_subsampling1d_max_avg_pnorm(kind, k):
    conv1d = lambda n_out: dl4j.Convolution1DLayer.Builder().kernelSize(k).stride(1).padding(0).nOut(n_out).build()  # noqa: E731
    pool1d = dl4j.Subsampling1DLayer.Builder(kind).kernelSize(k).stride(1).padding(0).pnorm(2).build()
    conf = network(conv1d(2), conv1d(3), pool1d, input_type=InputType.recurrent(3, 7), convolutionMode=Mode.Same)
    assert [t.sizes[1] for t in conf.output_types] == [7, 7, 7]
    x = RNG.normal(size=(2, 3, 7))
    expected = np_pool(x, POOL_KINDS[kind], pool_size=(k,), strides=(1,), pads=(same_pads(7, k, 1, 1),), p=2)
    np.testing.assert_allclose(conf.layers[2](x.astype("float32")), expected, rtol=1e-5, atol=1e-6)
    net = dl4j.MultiLayerNetwork(conf)
    net.init()
    assert net.output(x.astype("float32")).shape == (2, 3, 7)


def test_pnorm_subsampling_values_and_errors():
    x = np.array([1, 1, 3, 7, 5, 1, 3, 3, 2, 2, 8, 4, 2, 6, 4, 4], "float32").reshape(1, 1, 4, 4)  # row 34's channel 0
    layer = dl4j.SubsamplingLayer.Builder(PoolingType.PNORM, (2, 2)).pnorm(2).build()
    np.testing.assert_allclose(layer(x).ravel(), np.sqrt([1 + 1 + 25 + 1, 9 + 49 + 9 + 9, 4 + 4 + 4 + 36, 64 + 16 + 16 + 16]), rtol=1e-6)
    assert layer.spec.kind == "pnorm" and layer.spec.p == 2
    with pytest.raises(DL4JInvalidConfigException, match=r"SubsamplingLayer: p-norm must be set when using PoolingType.PNORM"):
        dl4j.SubsamplingLayer.Builder(PoolingType.PNORM).build()
    with pytest.raises(DL4JInvalidConfigException, match=r"Subsampling3DLayer: PoolingType.PNORM pooling is not supported \(MAX, AVG are\)"):
        dl4j.Subsampling3DLayer.Builder(PoolingType.PNORM).pnorm(2).build()
    with pytest.raises(DL4JInvalidConfigException, match=r"SubsamplingLayer: PoolingType.SUM pooling is not supported \(MAX, AVG, PNORM are\)"):
        dl4j.SubsamplingLayer.Builder(PoolingType.SUM).build()


@pytest.mark.parametrize("kind", list(POOL_KINDS))
@pytest.mark.parametrize("mode", [Mode.Truncate, Mode.Same])
def test_dilated_subsampling_values(kind, mode):
    x = RNG.normal(size=(2, 3, 9, 8))
    layer = dl4j.SubsamplingLayer.Builder(kind).kernelSize(3, 2).stride(1, 2).dilation(2, 3).pnorm(3).convolutionMode(mode).build()
    if mode is Mode.Same:
        pads = tuple(same_pads(n, k, s, d) for n, k, s, d in zip((9, 8), (3, 2), (1, 2), (2, 3)))
    else:
        pads = ((0, 0), (0, 0))
    expected = np_pool(x, POOL_KINDS[kind], pool_size=(3, 2), strides=(1, 2), pads=pads, dilation=(2, 3), p=3)
    np.testing.assert_allclose(layer(x.astype("float32")), expected, rtol=1e-5, atol=1e-6)
    conf = network(layer, input_type=InputType.convolutional(9, 8, 3))
    assert sizes(conf) == [expected.shape[2:] + (3,)]


def test_dilated_subsampling_1d_and_3d_shapes():
    conf = network(dl4j.Subsampling1DLayer.Builder(3).dilation(2).build(), input_type=InputType.recurrent(2, 9))
    assert conf.output_types[0].sizes == (2, 5)  # effective kernel 5, stride 1: 9 - 5 + 1
    pool3d = dl4j.Subsampling3DLayer.Builder().kernelSize(2, 2, 2).stride(1, 1, 1).dilation(2).convolutionMode(Mode.Truncate).build()
    assert pool3d.compute_output_shape((1, 2, 5, 6, 7)) == (1, 2, 3, 4, 5)


def test_subsampling1d_causal_is_not_causal_as_in_dl4j():
    """Reference 2.9 / quirk 7: DL4J's Causal pooling pads nothing at the start; windows start at t*s, clipped at the end."""
    x = np.arange(1, 6, dtype="float32").reshape(1, 1, 5)
    causal = lambda kind, s: dl4j.Subsampling1DLayer.Builder(kind).kernelSize(3).stride(s).pnorm(1).convolutionMode(Mode.Causal).build()  # noqa: E731
    assert causal(PoolingType.MAX, 1)(x).ravel().tolist() == [3, 4, 5, 5, 5]  # a causal max would be [1, 2, 3, 4, 5]
    assert causal(PoolingType.AVG, 1)(x).ravel().tolist() == [2, 3, 4, 4.5, 5]  # divided by the real elements
    assert causal(PoolingType.PNORM, 2)(x).ravel().tolist() == [6, 12, 5]  # ceil(5/2) windows at 0, 2, 4
    conf = network(causal(PoolingType.MAX, 2), input_type=InputType.recurrent(1, 5))
    assert conf.output_types[0].sizes == (1, 3)


@pytest.mark.parametrize("s, mode, expected", [(1, Mode.Same, [12, 12, 12]), (2, Mode.Same, [6, 3, 2]),
                                               (1, Mode.Truncate, [11, 10, 9]), (2, Mode.Truncate, [6, 3, 1])])
def test_rows_56_to_59_1d_stack(s, mode, expected):
    conf = network(dl4j.Convolution1DLayer.Builder(2, s).nOut(2).build(), dl4j.Subsampling1DLayer.Builder(2, s).build(),
                   dl4j.Convolution1DLayer.Builder(2, s).nOut(2).build(), input_type=InputType.recurrent(3, 12),
                   convolutionMode=mode)
    assert [t.sizes[1] for t in conf.output_types] == expected


def test_row_60_upsampling_dense_nin():
    conf = network(conv((2, 2), n_out=3), dl4j.Upsampling2D.Builder(2).build(), dl4j.OutputLayer.Builder().nOut(2).build(),
                   input_type=InputType.convolutional(5, 5, 1))
    assert conf.layers[2].dl4j["nIn"] == 192


# -- values against NumPy with DL4J-layout weights --------------------------------------------------
RNG = np.random.default_rng(7)


def _built(layer, shape):
    layer.build(shape)
    for key in [p.key for p in layer.present_params()]:
        layer.setParam(key, RNG.normal(size=layer.getParam(key).shape).astype("float32"))
    return layer


def _nchw_conv(x, w_oihw, b, stride=(1, 1), pads=((0, 0), (0, 0)), groups=1):
    """NumPy conv of NCHW ``x`` with an ``[out, in, kH, kW]`` kernel (the tests' reference takes Keras kernels)."""
    y = np_conv(x, w_oihw.transpose(2, 3, 1, 0), None, pads=pads, strides=stride, dilation=(1, 1), groups=groups)
    return y + (0 if b is None else b[None, :, None, None])


def test_values_convolution_same():
    layer = _built(conv((3, 3), (2, 2), mode=Mode.Same, n_out=4, activation=Activation.IDENTITY), (None, 2, 7, 8))
    x = RNG.normal(size=(2, 2, 7, 8)).astype("float32")
    expected = _nchw_conv(x, layer.getParam("W"), layer.getParam("b"), (2, 2), ((1, 1), (0, 1)))
    np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-5)


def test_values_depthwise_and_separable():
    x = RNG.normal(size=(2, 3, 6, 6)).astype("float32")
    dw = _built(dl4j.DepthwiseConvolution2D.Builder(3, 3).depthMultiplier(2).activation(Activation.IDENTITY).build(), (None, 3, 6, 6))
    w = dw.getParam("W")  # [kH, kW, nIn, dm]: output channel c*dm + m
    torch_w = w.transpose(2, 3, 0, 1).reshape(6, 1, 3, 3)
    np.testing.assert_allclose(dw(x), _nchw_conv(x, torch_w, dw.getParam("b"), groups=3), rtol=1e-4, atol=1e-5)
    sep = _built(dl4j.SeparableConvolution2D.Builder(3, 3).depthMultiplier(2).nOut(4).activation(Activation.IDENTITY).build(),
                 (None, 3, 6, 6))
    depth = _nchw_conv(x, sep.getParam("W").transpose(1, 0, 2, 3).reshape(6, 1, 3, 3), None, groups=3)
    np.testing.assert_allclose(sep(x), _nchw_conv(depth, sep.getParam("pW"), sep.getParam("b")), rtol=1e-4, atol=1e-5)


def test_values_conv1d_buffer_and_deconvolution():
    layer = _built(dl4j.Convolution1DLayer.Builder(3).nOut(4).activation(Activation.IDENTITY).build(), (None, 2, 9))
    buffer = layer.getParam("W").reshape(3, 2, 4)  # M1: the [nOut, nIn, k, 1] array is a [k, nIn, nOut] buffer
    x = RNG.normal(size=(2, 2, 9)).astype("float32")
    expected = np.einsum("nclk,kco->nol", np.lib.stride_tricks.sliding_window_view(x, 3, axis=2), buffer)
    np.testing.assert_allclose(layer(x), expected + layer.getParam("b")[None, :, None], rtol=1e-4, atol=1e-5)
    de = _built(dl4j.Deconvolution2D.Builder(3, 3).stride(2, 2).nOut(2).activation(Activation.IDENTITY).build(), (None, 3, 4, 4))
    w = de.getParam("W")  # [nIn, nOut, kH, kW]: scatter each input pixel
    x = RNG.normal(size=(1, 3, 4, 4)).astype("float32")
    full = np.zeros((1, 2, 9, 9), "float32")
    for i in range(4):
        for j in range(4):
            full[0, :, 2 * i: 2 * i + 3, 2 * j: 2 * j + 3] += np.einsum("c,cokl->okl", x[0, :, i, j], w)
    np.testing.assert_allclose(de(x), full + de.getParam("b")[None, :, None, None], rtol=1e-4, atol=1e-5)


def test_values_padding_cropping_space_to_batch():
    x = np.arange(2 * 3 * 4, dtype="float32").reshape(1, 2, 3, 4)
    padded = dl4j.ZeroPaddingLayer.Builder(1, 2, 3, 4).build()(x)
    np.testing.assert_array_equal(padded, np.pad(x, ((0, 0), (0, 0), (1, 2), (3, 4))))
    np.testing.assert_array_equal(dl4j.Cropping2D.Builder(1, 0, 1, 2).build()(x), x[:, :, 1:, 1:2])
    s2b = dl4j.SpaceToBatchLayer.Builder([2, 2]).build()(np.arange(16, dtype="float32").reshape(1, 1, 4, 4))
    assert s2b.shape == (4, 1, 2, 2) and s2b[1, 0].tolist() == [[1, 3], [9, 11]]  # batch (i*b1 + j)*N + n: i=0, j=1


# -- errors, settings, weights ------------------------------------------------------------------------
def test_same_negative_top_pad_refused():
    with pytest.raises(DL4JInvalidConfigException, match="unread"):
        network(conv((1, 1), (4, 4), mode=Mode.Same), input_type=InputType.convolutional(7, 7, 1))
    assert sizes(network(conv((2, 2), (3, 3), mode=Mode.Same), input_type=InputType.convolutional(6, 6, 1)))[0][:2] == (2, 2)


def test_builder_errors_name_layer_and_argument():
    with pytest.raises(ValueError, match=r"ConvolutionLayer: Need 2 kernelSize values, got 3 values: \[3, 3, 3\]"):
        dl4j.ConvolutionLayer.Builder().kernelSize(3, 3, 3).nOut(2).build()
    with pytest.raises(DL4JInvalidConfigException, match="Padding cannot be used when using the `same' convolution mode"):
        conv((3, 3), p=(1, 1), mode=Mode.Same)
    with pytest.raises(ValueError, match=r"Cropping2D: Need either 1, 2, or 4 cropping values, got 3"):
        dl4j.Cropping2D.Builder(1, 2, 3).build()
    with pytest.raises(TypeError, match="unknown settings"):
        dl4j.ConvolutionLayer(kernel=3)


def test_defaults():
    layer = dl4j.ConvolutionLayer.Builder().nOut(2).build()
    assert layer.kernel_size == (5, 5) and layer.dl4j["activation"] is Activation.SIGMOID
    assert dl4j.SubsamplingLayer.Builder().build().pool_size == (1, 1) and dl4j.SubsamplingLayer.Builder().build().strides == (2, 2)
    assert dl4j.Convolution3D.Builder().nOut(1).build().kernel_size == (2, 2, 2)
    assert dl4j.Subsampling3DLayer.Builder().build().dl4j["convolutionMode"] is Mode.Same
    assert dl4j.CnnLossLayer.Builder().build().dl4j["activation"] is Activation.IDENTITY
    assert dl4j.ConvolutionLayer.Builder([3, 3], [2, 2], [1, 1]).nOut(1).build().padding.padding == (1, 1)


def test_nhwc_format():
    conf = network(conv((3, 3), n_out=4), input_type=InputType.convolutional(8, 8, 2, dl4j.CNN2DFormat.NHWC))
    assert conf.layers[0].spec.data_format == "channels_last" and sizes(conf) == [(6, 6, 4)]


def test_xavier_fans():
    layer = dl4j.ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(64).weightInit(dl4j.WeightInit.XAVIER).build()
    layer.build((None, 32, 40, 40))
    fan_in, fan_out = 32 * 9, 64 * 9 / 4
    assert abs(float(layer.getParam("W").std()) / np.sqrt(2 / (fan_in + fan_out)) - 1) < 0.05


def test_inheritance_and_nin():
    conf = network(conv((3, 3)), dl4j.OutputLayer.Builder().nOut(3).activation(Activation.SOFTMAX).build(),
                   input_type=InputType.convolutional(5, 5, 4), activation=Activation.RELU, weightInit=dl4j.WeightInit.RELU, l2=1e-3)
    first, out = conf.layers
    assert (first.dl4j["activation"], first.dl4j["weightInit"], first.dl4j["l2"]) == (Activation.RELU, dl4j.WeightInit.RELU, 1e-3)
    assert out.dl4j["activation"] is Activation.SOFTMAX and first.dl4j["nIn"] == 4 and out.dl4j["nIn"] == 18


def test_params_order_round_trip():
    conf = network(dl4j.SeparableConvolution2D.Builder(2, 2).nOut(2).build(), dl4j.DenseLayer.Builder().nOut(3).build(),
                   input_type=InputType.convolutional(3, 3, 1))
    net = dl4j.MultiLayerNetwork(conf)
    net.init()
    vector = np.arange(net.numParams(), dtype="float32")
    net.setParams(vector)
    np.testing.assert_array_equal(net.params().ravel(), vector)
    sep, dense = net.getLayer(0), net.getLayer(1)
    assert sep.getParam("b").tolist() == [0, 1] and sep.getParam("W").ravel().tolist() == [2, 3, 4, 5]
    assert sep.getParam("pW").ravel().tolist() == [6, 7]
    np.testing.assert_array_equal(dense.getParam("W"), np.arange(8, 8 + 24, dtype="float32").reshape(8, 3, order="F"))
    assert dense.getParam("b").tolist() == [32, 33, 34]
    with pytest.raises(ValueError, match="the network has 35 parameters; received a vector of 3"):
        net.setParams(np.zeros(3))


def test_gradient_is_sum_over_examples_of_mean_squared_error():
    conf = network(conv((2, 2), n_out=2), dl4j.OutputLayer.Builder(LossFunction.MSE).nOut(3).activation(Activation.IDENTITY).build(),
                   input_type=InputType.convolutional(3, 3, 1))
    net = dl4j.MultiLayerNetwork(conf)
    net.init()
    x, labels = RNG.normal(size=(4, 1, 3, 3)).astype("float32"), RNG.normal(size=(4, 3)).astype("float32")
    net.computeGradientAndScore(x, labels)
    out = net.output(x)
    assert net.score() == pytest.approx(float(((out - labels) ** 2).mean(1).mean()), rel=1e-5)
    features = net.layers[0](torch.as_tensor(x)).detach()  # the conv output, flattened below as DL4J does
    flat = features.reshape(4, -1).numpy()
    grad_w = flat.T @ (2 * (out - labels) / 3)  # d/dW of sum_n mean_j (y - t)^2
    n_conv = 2 + 8
    np.testing.assert_allclose(net.gradient().ravel()[n_conv: n_conv + 24], grad_w.ravel(order="F"), rtol=1e-4, atol=1e-5)


def test_fit_decreases_score():
    conf = (dl4j.NeuralNetConfiguration.Builder().seed(3).updater(dl4j.Adam(0.05)).list()
            .layer(conv((3, 3), n_out=4, activation=Activation.RELU))
            .layer(dl4j.CnnLossLayer.Builder(LossFunction.MSE).build())
            .setInputType(InputType.convolutional(6, 6, 1)).build())
    net = dl4j.MultiLayerNetwork(conf)
    net.init()
    x = RNG.normal(size=(8, 1, 6, 6)).astype("float32")
    labels = np.abs(RNG.normal(size=(8, 4, 4, 4))).astype("float32")
    net.computeGradientAndScore(x, labels)
    before = net.score()
    net.fit(x, labels, epochs=30)
    net.computeGradientAndScore(x, labels)
    assert net.score() < 0.5 * before


def test_seed_reproducible():
    def params():
        net = dl4j.MultiLayerNetwork(network(conv((3, 3)), input_type=InputType.convolutional(5, 5, 1)))
        net.init()
        return net.params()
    np.testing.assert_array_equal(params(), params())


def test_from_dl4j_entry_point():
    layer = dl4j.ConvolutionLayer.from_dl4j({"kernelSize": [3, 3], "stride": [2, 1], "convolutionMode": "Truncate",
                                             "nIn": 1, "nOut": 4, "activation": "RELU", "name": "c0"})
    assert (layer.name, layer.kernel_size, layer.strides, layer.dl4j["activation"]) == ("c0", (3, 3), (2, 1), Activation.RELU)
