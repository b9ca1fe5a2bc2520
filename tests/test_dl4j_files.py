"""DL4J's files: ND4J binary arrays, ``MultiLayerNetwork.save`` zips, the flat parameter order.

The networks DL4J saved (``../shared/fixtures/external/dl4j``, third-party data never copied
here) are reproduced by a reference forward pass of plain core layers, built from the
neutral description and the coefficients cut by :mod:`convlayers.dl4j.parameters`:
independent of the dialect's own network API.
"""

import json
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest
import torch

import convlayers as cl
from conftest import SHARED_FIXTURES
from convlayers.dl4j import (
    ConfigurationError,
    LayerRecord,
    ND4JFileError,
    NetworkDescription,
    ParamSpec,
    UnsupportedLayerError,
    join_coefficients,
    ndarray_bytes,
    parameter_count,
    parameter_layout,
    parse_configuration,
    read_ndarray,
    read_network_zip,
    split_coefficients,
    write_ndarray,
)
from convlayers.geometry import Same, Strict, Truncate
from convlayers.io import ModelFileError

DL4J = SHARED_FIXTURES / "external" / "dl4j"
external = pytest.mark.skipif(not DL4J.is_dir(), reason=f"external DL4J files not found under {DL4J}")


# -- ND4J arrays: the files DL4J wrote ------------------------------------------------------------------------------
@external
@pytest.mark.parametrize(
    "name, shape, order",
    [
        ("SyntheticCNN_Input_100b4.bin", (4, 1, 28, 28), "c"),
        ("SyntheticCNN_Input_100b6.bin", (4, 1, 28, 28), "c"),
        ("SyntheticCNN_Output_100b4.bin", (4, 4, 11, 22), "c"),
        ("SyntheticCNN_Output_100b6.bin", (4, 4, 11, 22), "c"),
        ("upsampling_100a_in.bin", (3, 1, 28, 28), "c"),
        ("upsampling_100a_out.bin", (3, 10), "f"),
        ("upsampling_100a_labels.bin", (3, 10), "c"),
        ("upsampling_100a_gradient.bin", (1, 94178), "f"),
    ],
)
def test_read_ndarray_reads_every_array_dl4j_wrote(name, shape, order):
    array = read_ndarray(DL4J / name)
    assert array.shape == shape and array.dtype == np.float32 and np.isfinite(array).all()
    assert array.flags.f_contiguous if order == "f" else array.flags.c_contiguous


@external
def test_values_are_placed_by_the_stored_strides_not_the_order_flag():
    # beta4 wrote its output NHWC in memory with the flag 'c'; beta6 wrote it plainly. Same network, same numbers.
    raw = DL4J.joinpath("SyntheticCNN_Output_100b4.bin").read_bytes()
    nhwc = read_ndarray(DL4J / "SyntheticCNN_Output_100b4.bin")
    np.testing.assert_allclose(nhwc, read_ndarray(DL4J / "SyntheticCNN_Output_100b6.bin"), rtol=1e-5)
    buffer = np.frombuffer(raw[-nhwc.size * 4:], ">f4")
    np.testing.assert_array_equal(buffer.reshape(4, 11, 22, 4), nhwc.transpose(0, 2, 3, 1))
    assert not np.array_equal(buffer, nhwc.ravel())


@external
def test_a_network_zip_passed_as_an_array_is_named():
    with pytest.raises(ND4JFileError, match="SyntheticCNN_100b4.bin': it is a zip archive"):
        read_ndarray(DL4J / "SyntheticCNN_100b4.bin")


# -- ND4J arrays: writing, and reading back ---------------------------------------------------------------------------
DTYPES = ["float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint64", "uint32", "uint16", "uint8", "bool"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("order", ["c", "f"])
@pytest.mark.parametrize("shape", [(), (5,), (2, 3), (2, 1, 3, 4), (1, 2, 1, 2, 3)])
def test_write_then_read_round_trips_every_dtype_and_order(dtype, order, shape, tmp_path):
    array = (np.random.default_rng(0).standard_normal(shape) * 50).astype(dtype)
    back = read_ndarray(write_ndarray(array, tmp_path / "a.bin", order=order))
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)
    if len(shape) > 1:
        assert back.flags.f_contiguous if order == "f" else back.flags.c_contiguous


def test_the_written_form_is_modern_nd4j_with_the_type_in_extras():
    data = ndarray_bytes(np.arange(6, dtype="float32").reshape(2, 3), order="f")
    assert data[:18] == b"\x00\x10MIXED_DATA_TYPES" and data[18:26] == struct.pack(">q", 8) and data[26:32] == b"\x00\x04LONG"
    info = np.frombuffer(data[32:96], ">i8")
    # rank, shape, F strides, extras = FLOAT's bit (8192), element-wise stride 1, order 'f'
    assert info.tolist() == [2, 2, 3, 1, 2, 8192, 1, ord("f")]
    assert data[96:129] == b"\x00\x10MIXED_DATA_TYPES" + struct.pack(">q", 6) + b"\x00\x05FLOAT"
    assert np.frombuffer(data[129:], ">f4").tolist() == [0, 3, 1, 4, 2, 5]
    unsigned = np.frombuffer(ndarray_bytes(np.uint16([1]))[32:80], ">i8")
    assert unsigned[3] == 65536 | 8388608  # SHORT's bit and the unsigned bit


def test_legacy_int32_buffers_read():
    # 1.0.0-alpha's form: JAVACPP mode, int32 lengths, the shape as INT values; a 2x2 'f' array.
    def buffer(type_name, fmt, values):
        return b"\x00\x07JAVACPP" + struct.pack(">i", len(values)) + struct.pack(">H", len(type_name)) + type_name + struct.pack(f">{len(values)}{fmt}", *values)

    data = buffer(b"INT", "i", [2, 2, 2, 1, 2, 0, 1, ord("f")]) + buffer(b"DOUBLE", "d", [1, 2, 3, 4])
    np.testing.assert_array_equal(read_ndarray(data), [[1, 3], [2, 4]])


def test_bfloat16_reads_as_float32():
    shape = b"\x00\x10MIXED_DATA_TYPES" + struct.pack(">q", 6) + b"\x00\x04LONG" + np.asarray([1, 2, 1, 2048, 1, 99], ">i8").tobytes()
    values = (np.float32([1.5, -2.0]).view(np.uint32) >> 16).astype(">u2")
    data = shape + b"\x00\x10MIXED_DATA_TYPES" + struct.pack(">q", 2) + b"\x00\x08BFLOAT16" + values.tobytes()
    back = read_ndarray(data)
    assert back.dtype == np.float32 and back.tolist() == [1.5, -2.0]


def test_writing_refuses_what_nd4j_cannot_hold(tmp_path):
    with pytest.raises(TypeError, match="ND4J has no data type for NumPy dtype complex64"):
        ndarray_bytes(np.zeros(2, "complex64"))
    with pytest.raises(ValueError, match=r"ND4J writes no data buffer for an empty array. Received shape \(0, 3\)"):
        ndarray_bytes(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="`order` must be 'c' or 'f'. Received order='k'"):
        ndarray_bytes(np.zeros(2), order="k")
    with pytest.raises(IsADirectoryError):
        write_ndarray(np.zeros(2), tmp_path)


# -- ND4J arrays: hostile bytes ---------------------------------------------------------------------------------------
def _header(mode, length, type_name, wide=True):
    return struct.pack(">H", len(mode)) + mode + struct.pack(">q" if wide else ">i", length) + struct.pack(">H", len(type_name)) + type_name


def _array(info, values=b"", length=None, type_name=b"FLOAT"):
    shape = _header(b"MIXED_DATA_TYPES", len(info), b"LONG") + np.asarray(info, ">i8").tobytes()
    return shape + _header(b"MIXED_DATA_TYPES", len(values) // 4 if length is None else length, type_name) + values


GOOD = _array([2, 2, 2, 2, 1, 8192, 1, 99], np.arange(4, dtype=">f4").tobytes())


def test_the_hostile_cases_start_from_a_valid_array():
    np.testing.assert_array_equal(read_ndarray(GOOD), [[0, 1], [2, 3]])


def test_every_truncation_is_a_clear_error():
    for end in range(len(GOOD)):
        with pytest.raises(ND4JFileError, match=r"Cannot load an ND4J array from 'cut.bin': it(s \w+ buffer claims| ends after)"):
            read_ndarray(GOOD[:end], name="cut.bin")


@pytest.mark.parametrize(
    "data, reason",
    [
        (_array([2, 2, 2, 2, 1, 8192, 1, 99], length=2**62), r"its data buffer claims 4611686018427387904 FLOAT values \(18446744073709551616 bytes\), but only 0 bytes follow"),
        (_header(b"MIXED_DATA_TYPES", 2**63 - 1, b"LONG"), "its shape buffer claims 9223372036854775807 LONG values"),
        (_header(b"JAVACPP", -5, b"INT", wide=False), r"its shape buffer claims a negative length \(-5\)"),
        (_array([-1, 0, 0, 1]), "it claims rank -1; ND4J arrays have 0 to 32 dimensions"),
        (_array([1000] + [1] * 2004), "it claims rank 1000"),
        (_array([2, 2, 2, 2, 1, 8192, 1]), r"its shape buffer has 7 values; rank 2 needs 2 \* 2 \+ 4 = 8"),
        (_array([1]), "its shape buffer has 1 values; even a scalar's has 4"),
        (_array([1, 3, 1, 0, 1, ord("x")]), r"its order flag is 120; ND4J writes 99 \('c'\) or 102 \('f'\)"),
        (_array([1, -3, 1, 0, 1, 99]), r"it claims shape \[-3\] with strides \[1\]; sizes and strides must be >= 0"),
        (_array([1, 3, 2, 0, 1, 99], np.zeros(3, ">f4").tobytes()), r"its shape \[3\] with strides \[2\] reaches 5 values, but its data buffer holds 3"),
        (_array([2, 10**9, 10**9, 0, 0, 0, 0, 99], np.zeros(1, ">f4").tobytes()), r"reaches 1000000000000000000 values, but its data buffer holds 1"),
        (GOOD + b"\x00", "1 bytes follow the data buffer; an ND4J array ends there"),
        (b"\x00\x03FOO" + GOOD[18:], "its shape buffer's allocation mode is 'FOO', not one of HEAP, JAVACPP, DIRECT, LONG_SHAPE, MIXED_DATA_TYPES"),
        (b"\x00\x04\xff\xfe\x00\x01" + GOOD[18:], "its shape buffer's allocation mode is '\ufffd\ufffd\\\\x00\\\\x01'"),
        (_array([1, 1, 1, 0, 1, 99], b"x", type_name=b"UTF8"), "its data buffer's data type is 'UTF8', not one of DOUBLE"),
        (_header(b"MIXED_DATA_TYPES", 4, b"FLOAT") + np.zeros(4, ">f4").tobytes(), "its shape buffer holds FLOAT values; ND4J writes INT or LONG"),
    ],
)
def test_hostile_arrays_are_refused_within_bounded_memory(data, reason):
    tracemalloc.start()
    try:
        with pytest.raises(ND4JFileError, match=reason) as caught:
            read_ndarray(data, name="evil.bin")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(caught.value).startswith("Cannot load an ND4J array from 'evil.bin': ")
    assert peak < 2**20 + 10 * len(data)


def test_an_unreadable_path_is_named(tmp_path):
    with pytest.raises(ND4JFileError, match=r"missing.bin': it cannot be read \(No such file or directory\)"):
        read_ndarray(tmp_path / "missing.bin")


# -- configuration.json --------------------------------------------------------------------------------------------------
@external
@pytest.mark.parametrize("name", ["SyntheticCNN_100b4.bin", "SyntheticCNN_100b6.bin"])
def test_the_beta_class_record_configurations_read(name):
    network = read_network_zip(DL4J / name)
    layers = network.description.layers
    assert network.description.dialect == "class-records" and network.description.data_type == "FLOAT"
    assert [layer.kind for layer in layers] == [
        "ConvolutionLayer", "SeparableConvolution2D", "SubsamplingLayer", "ZeroPaddingLayer", "Upsampling2D",
        "DepthwiseConvolution2D", "SubsamplingLayer", "Cropping2D", "ConvolutionLayer", "CnnLossLayer",
    ]
    assert layers[0] == LayerRecord(
        "ConvolutionLayer", name="layer0", n_in=1, n_out=4, kernel=(3, 3), stride=(2, 1), padding=(0, 0), dilation=(1, 1),
        convolution_mode="Truncate", activation="RELU", has_bias=True, data_format="NCHW",
    )
    assert layers[1].convolution_mode == "Same" and layers[1].depth_multiplier == 1
    assert (layers[2].pooling_type, layers[2].kernel, layers[2].stride) == ("MAX", (3, 3), (2, 2))
    assert layers[3].padding == (4, 4, 4, 4) and layers[4].size == (3, 3) and layers[7].cropping == (3, 3, 2, 2)
    assert (layers[5].depth_multiplier, layers[5].n_out) == (2, 16)
    assert layers[8].activation == "SIGMOID" and (layers[9].activation, layers[9].loss) == ("IDENTITY", "MAE")
    # beta4 did not store avgPoolIncludePadInDivisor (its behaviour was true); beta6 stores false.
    assert layers[2].avg_pool_include_pad is (None if name.endswith("b4.bin") else False)
    assert network.has_updater_state and network.coefficients.shape == (1304,) and network.description.preprocessors == {}


@external
def test_the_alpha_wrapper_object_configuration_reads():
    network = read_network_zip(DL4J / "upsampling_100a_net.bin")
    conv, up, conv2, out = network.description.layers
    assert network.description.dialect == "wrapper-objects" and network.description.data_type is None
    assert (conv.kind, conv.convolution_mode, conv.activation, conv.kernel, conv.n_out) == ("ConvolutionLayer", "Same", "TANH", (2, 2), 5)
    assert (up.kind, up.size) == ("Upsampling2D", (2, 2))  # stored as the scalar 2
    assert (out.kind, out.n_in, out.n_out, out.activation, out.loss, out.loss_args) == ("OutputLayer", 9408, 10, "TANH", "MSE", {"configProperties": False})
    (index, pre), = network.description.preprocessors.items()
    assert index == 3 and pre.kind == "CnnToFeedForwardPreProcessor"
    assert pre.config == {"inputHeight": 56, "inputWidth": 56, "numChannels": 3}
    assert not network.has_updater_state and network.coefficients.shape == (94178,)


def _conf(*layers, **network):
    return {"confs": [{"layer": layer} for layer in layers], **network}


def _beta(kind, **fields):
    return {"@class": f"org.deeplearning4j.nn.conf.layers.{kind}", **fields}


def test_both_dialects_give_the_same_records():
    beta = parse_configuration(_conf(
        _beta("ConvolutionLayer", nin=2, nout=3, kernelSize=[2, 2], activationFn={"@class": "org.nd4j.linalg.activations.impl.ActivationLReLU", "alpha": 0.1}),
        _beta("OutputLayer", nin=3, nout=1, lossFn={"@class": "org.nd4j.linalg.lossfunctions.impl.LossMCXENT"}),
    ))
    alpha = parse_configuration(json.dumps(_conf(
        {"convolution": {"nin": 2, "nout": 3, "kernelSize": [2, 2], "activationFn": {"LReLU": {"alpha": 0.1}}}},
        {"output": {"nin": 3, "nout": 1, "lossFn": {"MCXENT": {}}}},
    )))
    assert beta.layers == alpha.layers and beta.dialect != alpha.dialect
    assert beta.layers[0].activation == "LEAKYRELU" and beta.layers[0].activation_args == {"alpha": 0.1}
    assert beta.layers[1].loss == "MCXENT"


@pytest.mark.parametrize(
    "layer, field, value",
    [
        (_beta("Convolution2D"), "kind", "ConvolutionLayer"),  # aliases resolve
        (_beta("convolutional.Cropping2D", cropping=[1, 2, 3, 4]), "cropping", (1, 2, 3, 4)),
        (_beta("Upsampling1D", size=[3, 3]), "size", (3,)),
        (_beta("Upsampling3D", size=[1, 2, 3]), "size", (1, 2, 3)),
        (_beta("SpaceToBatchLayer", blocks=[2, 2], padding=[[0, 1], [1, 0]]), "padding", ((0, 1), (1, 0))),
        (_beta("SpaceToBatchLayer", blocks=[2, 2]), "blocks", (2, 2)),
        (_beta("SpaceToDepthLayer", blockSize=2, dataFormat="NHWC"), "blocks", (2,)),
        (_beta("SpaceToDepthLayer", blockSize=2, dataFormat="NHWC"), "data_format", "NHWC"),
        (_beta("Convolution1DLayer", rnnDataFormat="NWC"), "data_format", "NWC"),
        (_beta("Convolution3D"), "data_format", "NCDHW"),
        (_beta("DenseLayer"), "data_format", None),
        (_beta("SubsamplingLayer", poolingType="PNORM", pnorm=3), "pnorm", 3),
    ],
)
def test_layer_fields_are_normalised(layer, field, value):
    assert getattr(parse_configuration(_conf(layer)).layers[0], field) == value


@pytest.mark.parametrize(
    "config, error, message",
    [
        (_conf(_beta("LSTM")), UnsupportedLayerError, "layer 0 is org.deeplearning4j.nn.conf.layers.LSTM, which convlayers does not read; it reads CnnLossLayer, "),
        (_conf({"gravesLSTM": {}}), UnsupportedLayerError, "layer 0 is gravesLSTM, which convlayers does not read"),
        (_conf(_beta("DenseLayer"), {"dense": {}}), ConfigurationError, "mixes '@class' records and wrapper objects"),
        ({"confs": []}, ConfigurationError, "it has no non-empty 'confs' list"),
        ([1, 2], ConfigurationError, "it has no non-empty 'confs' list"),
        ({"confs": [{"nolayer": 1}]}, ConfigurationError, "layer 0: its 'confs' entry has no 'layer' object"),
        (_conf({"a": {}, "b": {}}), ConfigurationError, r"layer 0: it is neither an '@class' record nor a one-key wrapper object \(\['a', 'b'\]\)"),
        (_conf({"@class": 5}), ConfigurationError, "layer 0: its '@class' is 5, not a class name"),
        (_conf(_beta("DenseLayer", nin="3")), ConfigurationError, r"layer 0 \(DenseLayer\): 'nin' must be a non-negative integer. Received '3'"),
        (_conf(_beta("DenseLayer", nin=-1)), ConfigurationError, "'nin' must be a non-negative integer"),
        (_conf(_beta("ConvolutionLayer", layerName="c", kernelSize=[2, True])), ConfigurationError, r"layer 0 \(c\): 'kernelSize' must be a non-negative integer or a list of 1 to 6 of them"),
        (_conf(_beta("ConvolutionLayer", hasBias="yes")), ConfigurationError, "'hasBias' must be true or false"),
        (_conf(_beta("SubsamplingLayer", eps="small")), ConfigurationError, "'eps' must be a number"),
        (_conf(_beta("SubsamplingLayer", poolingType=1)), ConfigurationError, "'poolingType' must be a string"),
        (_conf(_beta("SpaceToBatchLayer", padding=[1, 2])), ConfigurationError, "'padding' must be a list of lists of non-negative integers"),
        (_conf(_beta("DenseLayer", activationFn={"@class": "x.ActivationBogus"})), ConfigurationError, "activation 'Bogus' is not one convlayers reads"),
        (_conf(_beta("DenseLayer", activationFn="relu")), ConfigurationError, "its activation is 'relu', neither an '@class' record nor a wrapper object"),
        (_conf(_beta("OutputLayer", lossFn={"Bogus": {}})), ConfigurationError, "loss 'Bogus' is not one convlayers reads"),
        (_conf(_beta("DenseLayer"), inputPreProcessors={"1": {}}), ConfigurationError, "'inputPreProcessors' names layer '1'; the network has layers 0 to 0"),
        (_conf(_beta("DenseLayer"), inputPreProcessors={"0": 3}), ConfigurationError, "'inputPreProcessors' entry 0: 3 is neither"),
        (_conf(_beta("DenseLayer"), inputPreProcessors=[1]), ConfigurationError, "'inputPreProcessors' must be an object"),
        ("[" * 500 + "]" * 500, ConfigurationError, "configuration.json nests 500 levels deep"),
        ("{", ConfigurationError, "configuration.json is not valid JSON"),
    ],
)
def test_malformed_configurations_are_named(config, error, message):
    with pytest.raises(error, match=message):
        parse_configuration(config)


def test_beta_preprocessors_read():
    pre = {"@class": "org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor", "inputHeight": 2, "inputWidth": 2, "numChannels": 1}
    (record,) = parse_configuration(_conf(_beta("DenseLayer"), inputPreProcessors={"0": pre})).preprocessors.values()
    assert record.kind == "CnnToFeedForwardPreProcessor" and record.config == {"inputHeight": 2, "inputWidth": 2, "numChannels": 1}


# -- network zips: hostile archives ---------------------------------------------------------------------------------------
DENSE = _conf(_beta("DenseLayer", nin=3, nout=2))


def _zip(path, members, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_a_written_zip_reads_back(tmp_path):
    coefficients = np.arange(8, dtype="float32")
    path = _zip(tmp_path / "net.zip", {"configuration.json": json.dumps(DENSE), "coefficients.bin": ndarray_bytes(coefficients[None])})
    network = read_network_zip(path)
    np.testing.assert_array_equal(network.coefficients, coefficients)
    assert not network.has_updater_state and network.description.layers[0].n_in == 3


@pytest.mark.parametrize(
    "members, reason",
    [
        ({"configuration.json": json.dumps(DENSE)}, r"it has no coefficients.bin \(it holds \['configuration.json'\]\)"),
        ({"coefficients.bin": b""}, "it has no configuration.json"),
        ({"configuration.json": json.dumps(DENSE), "coefficients.bin": ndarray_bytes(np.zeros((1, 7), "float32"))}, r"shape \(1, 7\); its layers need a row vector of 8 values"),
        ({"configuration.json": json.dumps(DENSE), "coefficients.bin": ndarray_bytes(np.zeros((2, 4), "float32"))}, r"shape \(2, 4\)"),
        ({"configuration.json": json.dumps(DENSE), "coefficients.bin": ndarray_bytes(np.zeros(8, "int32"))}, "holds int32 values, not floating point"),
        ({"configuration.json": json.dumps(DENSE), "coefficients.bin": bytes(2**20)}, r"its member coefficients.bin declares 1048576 bytes, more than the 1088 this model can need"),
        ({"configuration.json": json.dumps(_conf(_beta("DenseLayer", nin=10**6, nout=10**6))), "coefficients.bin": b""}, "its architecture needs 8000008000000 bytes of weights, more than a file of"),
        ({"configuration.json": json.dumps(_conf(_beta("LSTM"))), "coefficients.bin": b""}, "layer 0 is org.deeplearning4j.nn.conf.layers.LSTM"),
        ({"configuration.json": json.dumps(DENSE), "coefficients.bin": b"\x00\x01"}, "its coefficients.bin is not an ND4J array: it ends after 2 bytes, inside shape buffer's allocation mode"),
    ],
)
def test_hostile_network_zips_are_refused(members, reason, tmp_path):
    path = _zip(tmp_path / "evil.zip", members)
    with pytest.raises(ModelFileError, match=reason) as caught:
        read_network_zip(path)
    assert f"'{path}" in str(caught.value)


def test_a_file_that_is_not_a_zip_is_named(tmp_path):
    (tmp_path / "net.zip").write_bytes(GOOD)
    with pytest.raises(ModelFileError, match=r"Cannot load a DL4J network from '.*net.zip': it is a damaged zip archive"):
        read_network_zip(tmp_path / "net.zip")
    with pytest.raises(ModelFileError, match=r"absent.zip': No such file or directory"):
        read_network_zip(tmp_path / "absent.zip")


# -- the flat parameter order ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "layer, specs",
    [
        (LayerRecord("ConvolutionLayer", n_in=2, n_out=3, kernel=(4, 5)), [("b", (3,), "c"), ("W", (3, 2, 4, 5), "c")]),
        (LayerRecord("ConvolutionLayer", n_in=2, n_out=3, kernel=(4, 5), has_bias=False), [("W", (3, 2, 4, 5), "c")]),
        (LayerRecord("Convolution1DLayer", n_in=2, n_out=3, kernel=(4, 1)), [("b", (3,), "c"), ("W", (3, 2, 4, 1), "c")]),
        (LayerRecord("Convolution3D", n_in=2, n_out=3, kernel=(1, 2, 3)), [("b", (3,), "c"), ("W", (3, 2, 1, 2, 3), "c")]),
        (LayerRecord("Deconvolution2D", n_in=2, n_out=3, kernel=(4, 5)), [("b", (3,), "c"), ("W", (2, 3, 4, 5), "c")]),
        (LayerRecord("Deconvolution3D", n_in=2, n_out=3, kernel=(1, 2, 3)), [("b", (3,), "c"), ("W", (1, 2, 3, 3, 2), "c")]),
        (LayerRecord("DepthwiseConvolution2D", n_in=2, n_out=99, kernel=(4, 5), depth_multiplier=3), [("b", (6,), "c"), ("W", (4, 5, 2, 3), "c")]),
        (LayerRecord("DepthwiseConvolution2D", n_in=2, kernel=(1, 1), depth_multiplier=1, has_bias=False), [("W", (1, 1, 2, 1), "c")]),
        (LayerRecord("SeparableConvolution2D", n_in=2, n_out=7, kernel=(4, 5), depth_multiplier=3), [("b", (7,), "c"), ("W", (3, 2, 4, 5), "c"), ("pW", (7, 6, 1, 1), "c")]),
        (LayerRecord("DenseLayer", n_in=2, n_out=3), [("W", (2, 3), "f"), ("b", (3,), "c")]),
        (LayerRecord("OutputLayer", n_in=2, n_out=3, has_bias=False), [("W", (2, 3), "f")]),
        (LayerRecord("SubsamplingLayer", kernel=(2, 2)), []),
        (LayerRecord("CnnLossLayer", n_in=0, n_out=0), []),
    ],
)
def test_parameter_layouts_per_kind(layer, specs):
    assert parameter_layout(layer) == tuple(ParamSpec(*spec) for spec in specs)


def test_split_and_join_are_inverse_and_check_lengths():
    layers = (
        LayerRecord("SeparableConvolution2D", n_in=2, n_out=3, kernel=(2, 2), depth_multiplier=2),
        LayerRecord("Upsampling2D", size=(2, 2)),
        LayerRecord("DenseLayer", n_in=4, n_out=3),
    )
    description = NetworkDescription(layers, {}, "class-records")
    vector = np.arange(parameter_count(description), dtype="float32")
    assert vector.size == 3 + 16 + 12 + 12 + 3
    params = split_coefficients(description, vector)
    assert [list(p) for p in params] == [["b", "W", "pW"], [], ["W", "b"]]
    np.testing.assert_array_equal(params[0]["b"], [0, 1, 2])
    np.testing.assert_array_equal(params[0]["W"].ravel(), np.arange(3, 19))
    np.testing.assert_array_equal(params[2]["W"][:, 0], np.arange(31, 35))  # F order: a column is contiguous
    np.testing.assert_array_equal(join_coefficients(description, params), vector)
    params[0]["b"][0] = 99  # copies, not views of the vector
    assert vector[0] == 0
    with pytest.raises(ValueError, match=r"The network's layers have 46 parameters; the vector has shape \(45,\)"):
        split_coefficients(description, vector[:-1])
    with pytest.raises(ValueError, match=r"Layer 2 \(DenseLayer\) parameter W has shape \(4, 3\); received \(3, 4\)"):
        join_coefficients(description, params[:2] + [{"W": np.zeros((3, 4)), "b": np.zeros(3)}])
    with pytest.raises(ValueError, match=r"Layer 0 \(SeparableConvolution2D\) has parameters \['b', 'W', 'pW'\]; received \['W', 'b'\]"):
        join_coefficients(description, [{"W": 0, "b": 0}, {}, params[2]])
    with pytest.raises(ValueError, match="The network has 3 layers; received parameters for 1"):
        join_coefficients(description, params[:1])
    with pytest.raises(ConfigurationError, match="DenseLayer d: its configuration has no n_in"):
        parameter_layout(LayerRecord("DenseLayer", name="d", n_out=3))


# -- DL4J's saved networks, reproduced by a reference forward pass of core layers ----------------------------------------
_ACTIVATIONS = {"RELU": "relu", "TANH": "tanh", "SIGMOID": "sigmoid", "IDENTITY": None}


def _rule(layer):
    return {"Truncate": Truncate, "Strict": Strict}[layer.convolution_mode](layer.padding) if layer.convolution_mode != "Same" else Same()


def _reference_layers(description, params):
    """Core layers (channels_first) for each DL4J layer, weights converted from DL4J's layouts to Keras's."""
    first = dict(data_format="channels_first")
    built = []
    for index, (layer, p) in enumerate(zip(description.layers, params)):
        conv = dict(strides=layer.stride, dilation_rate=layer.dilation, padding=_rule(layer) if layer.kernel else None,
                    activation=_ACTIVATIONS.get(layer.activation), **first)
        kind = layer.kind
        if kind == "ConvolutionLayer":
            core, weights = cl.Conv2D(layer.n_out, layer.kernel, **conv), [p["W"].transpose(2, 3, 1, 0), p["b"]]
        elif kind == "SeparableConvolution2D":
            core = cl.SeparableConv2D(layer.n_out, layer.kernel, depth_multiplier=layer.depth_multiplier, **conv)
            weights = [p["W"].transpose(2, 3, 1, 0), p["pW"].transpose(2, 3, 1, 0), p["b"]]
        elif kind == "DepthwiseConvolution2D":
            core, weights = cl.DepthwiseConv2D(layer.kernel, depth_multiplier=layer.depth_multiplier, **conv), [p["W"], p["b"]]
        elif kind == "SubsamplingLayer":
            assert layer.pooling_type == "MAX"
            core, weights = cl.MaxPooling2D(layer.kernel, strides=layer.stride, padding=_rule(layer), **first), []
        elif kind == "ZeroPaddingLayer":
            t, b, l, r = layer.padding
            core, weights = cl.ZeroPadding2D(((t, b), (l, r)), **first), []
        elif kind == "Cropping2D":
            t, b, l, r = layer.cropping
            core, weights = cl.Cropping2D(((t, b), (l, r)), **first), []
        elif kind == "Upsampling2D":
            core, weights = cl.UpSampling2D(layer.size, **first), []
        elif kind == "OutputLayer":
            core, weights = cl.Dense(layer.n_out, activation=_ACTIVATIONS[layer.activation]), [p["W"], p["b"]]
        elif kind == "CnnLossLayer":
            assert layer.activation == "IDENTITY"
            continue
        else:
            raise AssertionError(kind)
        built.append((index, core, weights))
    return built


def _reference_forward(description, params, x):
    x = torch.as_tensor(x)
    layers = _reference_layers(description, params)
    for index, core, weights in layers:
        if index in description.preprocessors:  # CnnToFeedForward: NCHW flattened in C order
            assert description.preprocessors[index].kind == "CnnToFeedForwardPreProcessor"
            x = x.reshape(x.shape[0], -1)
        if not core.built:
            core.build(tuple(x.shape))
        if weights:
            core.set_weights(weights)
        x = core(x)
    return x, layers


@external
@pytest.mark.parametrize("tag", ["b4", "b6"])
def test_synthetic_cnn_reproduces_dl4j_output(tag):
    network = read_network_zip(DL4J / f"SyntheticCNN_100{tag}.bin")
    params = split_coefficients(network.description, network.coefficients)
    np.testing.assert_array_equal(join_coefficients(network.description, params), network.coefficients)
    x = read_ndarray(DL4J / f"SyntheticCNN_Input_100{tag}.bin")
    expected = read_ndarray(DL4J / f"SyntheticCNN_Output_100{tag}.bin")
    with torch.no_grad():
        got = _reference_forward(network.description, params, x)[0].numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)


@external
def test_upsampling_alpha_network_reproduces_dl4j_output_and_gradient():
    network = read_network_zip(DL4J / "upsampling_100a_net.bin")
    description = network.description
    params = split_coefficients(description, network.coefficients)
    x = read_ndarray(DL4J / "upsampling_100a_in.bin")
    labels = torch.as_tensor(read_ndarray(DL4J / "upsampling_100a_labels.bin"))
    got, layers = _reference_forward(description, params, x)
    np.testing.assert_allclose(got.detach().numpy(), read_ndarray(DL4J / "upsampling_100a_out.bin"), rtol=1e-4, atol=1e-6)
    # computeGradientAndScore with MSE: the gradient of the per-example mean over outputs, summed over the batch.
    ((got - labels) ** 2).mean(dim=1).sum().backward()
    grads = [{} for _ in description.layers]
    for index, core, weights in filter(lambda built: built[2], layers):
        kernel = dict(core.named_parameters())["kernel"].grad
        # torch-side kernels: Conv2D's [out, in, kH, kW] is DL4J's W; Dense's [out, in] is DL4J's W transposed.
        grads[index] = {"W": (kernel.T if description.layers[index].kind == "OutputLayer" else kernel).numpy(),
                        "b": dict(core.named_parameters())["bias"].grad.numpy()}
    expected = read_ndarray(DL4J / "upsampling_100a_gradient.bin").ravel()
    np.testing.assert_allclose(join_coefficients(description, grads), expected, rtol=1e-4, atol=1e-6 * np.abs(expected).max())
