"""DL4J's saved networks through the dialect's own classes: ``MultiLayerNetwork.load`` / ``ModelSerializer``."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from conftest import SHARED_FIXTURES
from convlayers import dl4j
from convlayers.dl4j.saved_configuration import LayerRecord, parse_configuration
from convlayers.dl4j.serializer import _CLASSES, dl4j_kind, layer_record, layer_settings, preprocessor_record
from convlayers.dl4j.written_configuration import layer_json
from convlayers.io import ModelFileError

DL4J = SHARED_FIXTURES / "external" / "dl4j"
external = pytest.mark.skipif(not DL4J.is_dir(), reason=f"external DL4J files not found under {DL4J}")


def _beta(kind, **fields):
    return {"@class": f"org.deeplearning4j.nn.conf.layers.{kind}", **fields}


def _activation(name):
    return {"@class": f"org.nd4j.linalg.activations.impl.Activation{name}"}


CONFIGURATION = {
    "confs": [
        {"layer": _beta("ConvolutionLayer", layerName="conv", nin=2, nout=3, kernelSize=[3, 3], stride=[2, 1],
                        padding=[0, 0], dilation=[1, 1], convolutionMode="Truncate", hasBias=True,
                        activationFn=_activation("ReLU"))},
        {"layer": _beta("SubsamplingLayer", layerName="pool", kernelSize=[2, 2], stride=[1, 1], padding=[0, 0],
                        poolingType="MAX", convolutionMode="Truncate")},
        {"layer": _beta("OutputLayer", layerName="out", nin=3 * 2 * 3, nout=4, hasBias=True,
                        activationFn=_activation("Softmax"),
                        lossFn={"@class": "org.nd4j.linalg.lossfunctions.impl.LossMCXENT"})},
    ],
    "inputPreProcessors": {"2": {"@class": "org.deeplearning4j.nn.conf.preprocessor.CnnToFeedForwardPreProcessor",
                                 "inputHeight": 2, "inputWidth": 3, "numChannels": 3}},
}


def _built_in_code():
    """The network CONFIGURATION describes, configured with the builders: the loader's oracle."""
    conf = (dl4j.NeuralNetConfiguration.Builder().seed(1).list()
            .layer(dl4j.ConvolutionLayer.Builder(3, 3).stride(2, 1).nIn(2).nOut(3).activation(dl4j.Activation.RELU)
                   .convolutionMode(dl4j.ConvolutionMode.Truncate).build())
            .layer(dl4j.SubsamplingLayer.Builder(dl4j.PoolingType.MAX).kernelSize(2, 2).stride(1, 1).build())
            .layer(dl4j.OutputLayer.Builder(dl4j.LossFunction.MCXENT).nOut(4).activation(dl4j.Activation.SOFTMAX).build())
            .setInputType(dl4j.InputType.convolutional(7, 6, 2)).build())
    network = dl4j.MultiLayerNetwork(conf)
    network.init()
    return network


@pytest.fixture
def saved(tmp_path):
    """A zip in MultiLayerNetwork.save's layout, with the parameters of a network built in code."""
    reference = _built_in_code()
    path = tmp_path / "net.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("configuration.json", json.dumps(CONFIGURATION))
        archive.writestr("coefficients.bin", dl4j.ndarray_bytes(reference.params()))
    return path, reference


def test_a_saved_network_loads_and_computes_as_the_one_configured_in_code(saved):
    path, reference = saved
    for load in (dl4j.MultiLayerNetwork.load, dl4j.ModelSerializer.restoreMultiLayerNetwork):
        network = load(path)
        assert isinstance(network, dl4j.MultiLayerNetwork) and network.getnLayers() == 3
        np.testing.assert_array_equal(network.params(), reference.params())
        np.testing.assert_array_equal(network.getLayer(0).getParam("W"), reference.getLayer(0).getParam("W"))
        x = np.random.default_rng(0).standard_normal((2, 2, 7, 6)).astype(np.float32)
        np.testing.assert_allclose(network.output(x), reference.output(x), rtol=1e-6, atol=1e-7)


def test_stored_fields_become_builder_settings():
    record = LayerRecord("SubsamplingLayer", name="p", kernel=(3, 3), stride=(2, 2), padding=(1, 1),
                         convolution_mode="Same", pooling_type="AVG", data_format="NHWC", n_in=4)
    assert layer_settings(record) == {"name": "p", "kernelSize": (3, 3), "stride": (2, 2), "padding": (1, 1),
                                      "convolutionMode": "Same", "poolingType": "AVG", "dataFormat": "NHWC"}
    loss = LayerRecord("OutputLayer", n_in=3, n_out=2, loss="NegativeLogLikelihood")
    assert layer_settings(loss)["lossFunction"] == "NEGATIVELOGLIKELIHOOD"
    with pytest.raises(ValueError, match="loss function LossCosineProximity is not supported"):
        layer_settings(LayerRecord("OutputLayer", n_in=3, n_out=2, loss="CosineProximity"))


def test_parameters_that_do_not_fit_are_refused_whole(saved, tmp_path):
    path, reference = saved
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("configuration.json", json.dumps(CONFIGURATION))
        archive.writestr("coefficients.bin", dl4j.ndarray_bytes(reference.params()[:, :-1]))
    with pytest.raises(ModelFileError, match="broken.zip"):
        dl4j.MultiLayerNetwork.load(broken)


@external
@pytest.mark.parametrize("tag", ["b4", "b6"])
def test_synthetic_cnn_networks_reproduce_dl4j_outputs(tag):
    network = dl4j.MultiLayerNetwork.load(DL4J / f"SyntheticCNN_100{tag}.bin")
    x = dl4j.read_ndarray(DL4J / f"SyntheticCNN_Input_100{tag}.bin")
    expected = dl4j.read_ndarray(DL4J / f"SyntheticCNN_Output_100{tag}.bin")
    np.testing.assert_allclose(network.output(x), expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@external
def test_upsampling_alpha_network_reproduces_dl4j_output_and_gradient():
    network = dl4j.ModelSerializer.restoreMultiLayerNetwork(DL4J / "upsampling_100a_net.bin")
    x = dl4j.read_ndarray(DL4J / "upsampling_100a_in.bin")
    expected = dl4j.read_ndarray(DL4J / "upsampling_100a_out.bin")
    np.testing.assert_allclose(network.output(x), expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    network.computeGradientAndScore(x, dl4j.read_ndarray(DL4J / "upsampling_100a_labels.bin"))
    gradient, saved_gradient = network.gradient().ravel(), dl4j.read_ndarray(DL4J / "upsampling_100a_gradient.bin").ravel()
    np.testing.assert_allclose(gradient, saved_gradient, rtol=1e-4, atol=1e-4 * np.abs(saved_gradient).max())


# -- writing: MultiLayerNetwork.save / ModelSerializer.writeModel ------------------------------------
def _network(input_type, *layers, seed=5):
    builder = dl4j.NeuralNetConfiguration.Builder().seed(seed).activation(dl4j.Activation.TANH).list()
    for layer in layers:
        builder.layer(layer)
    network = dl4j.MultiLayerNetwork(builder.setInputType(input_type).build())
    network.init()
    return network


def _networks():
    """Every layer kind the builders have, in networks that run (each is saved, reloaded and run)."""
    conv = dl4j.InputType.convolutional
    return {
        "2d": _network(
            conv(12, 11, 2),
            dl4j.ConvolutionLayer.Builder(3, 3).stride(2, 1).padding(1, 1).dilation(1, 1).nOut(3).build(),
            dl4j.SeparableConvolution2D.Builder(2, 2).depthMultiplier(2).nOut(4).convolutionMode(dl4j.ConvolutionMode.Same)
            .activation(dl4j.Activation.RELU).build(),
            dl4j.DepthwiseConvolution2D.Builder(2, 2).depthMultiplier(2).hasBias(False).build(),
            dl4j.SubsamplingLayer.Builder(dl4j.PoolingType.PNORM).kernelSize(2, 2).stride(1, 1).pnorm(3).build(),
            dl4j.SubsamplingLayer.Builder(dl4j.PoolingType.AVG).kernelSize(2, 2).stride(1, 1).dilation(2, 1).build(),
            dl4j.Upsampling2D.Builder(2).build(),
            dl4j.ZeroPaddingLayer.Builder(1, 0, 2, 1).build(),
            dl4j.Cropping2D.Builder(1, 2).build(),
            dl4j.Deconvolution2D.Builder(2, 2).stride(2, 2).nOut(2).activation(dl4j.Activation.LEAKYRELU).build(),
            dl4j.SpaceToDepthLayer.Builder(2).build(),
            dl4j.SpaceToBatchLayer.Builder((1, 1), ((0, 1), (1, 0))).build(),
            dl4j.DenseLayer.Builder().nOut(5).activation(dl4j.Activation.SIGMOID).build(),
            dl4j.OutputLayer.Builder(dl4j.LossFunction.MCXENT).nOut(3).activation(dl4j.Activation.SOFTMAX).build(),
        ),
        "cnn-loss": _network(
            conv(6, 6, 1),
            dl4j.Convolution2D.Builder(3, 3).nOut(2).convolutionMode(dl4j.ConvolutionMode.Same).build(),
            dl4j.Pooling2D.Builder(dl4j.PoolingType.MAX).kernelSize(2, 2).build(),
            dl4j.CnnLossLayer.Builder(dl4j.LossFunction.MEAN_ABSOLUTE_ERROR).activation(dl4j.Activation.SIGMOID).build(),
        ),
        "1d": _network(
            dl4j.InputType.recurrent(3, 16),
            dl4j.Convolution1DLayer.Builder(3).stride(1).padding(1).nOut(4).build(),
            dl4j.Subsampling1DLayer.Builder(dl4j.PoolingType.MAX).kernelSize(2).stride(2).build(),
            dl4j.Upsampling1D.Builder(2).build(),
            dl4j.ZeroPadding1DLayer.Builder(1, 2).build(),
            dl4j.Cropping1D.Builder(2, 1).build(),
            dl4j.Convolution1D.Builder(2).dilation(2).nOut(2).convolutionMode(dl4j.ConvolutionMode.Causal).build(),
        ),
        "3d": _network(
            dl4j.InputType.convolutional3D(dl4j.Convolution3D.DataFormat.NCDHW, 6, 6, 6, 2),
            dl4j.Convolution3D.Builder().kernelSize(2, 2, 2).nOut(3).build(),
            dl4j.Subsampling3DLayer.Builder(dl4j.PoolingType.AVG).kernelSize(2, 2, 2).build(),
            dl4j.Upsampling3D.Builder(2).build(),
            dl4j.ZeroPadding3DLayer.Builder(1).build(),
            dl4j.Cropping3D.Builder(1, 0, 0, 1, 1, 0).build(),
            dl4j.Deconvolution3D.Builder().kernelSize(2, 2, 2).stride(2, 2, 2).nOut(2).build(),
        ),
    }


NETWORKS = _networks()


def _kinds(networks):
    return {dl4j_kind(layer) for network in networks.values() for layer in network.dl4j_layers}


def test_the_saved_networks_cover_every_layer_kind_the_loader_reads():
    assert _kinds(NETWORKS) == set(_CLASSES)


def _input(network, seed=0):
    shape = network.conf.input_type.shape
    return np.random.default_rng(seed).standard_normal((2,) + tuple(shape[1:])).astype(np.float32)


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_a_saved_network_loads_with_the_same_parameters_and_outputs(name, tmp_path):
    network = NETWORKS[name]
    x = _input(network)
    for save in (network.save, lambda path: dl4j.ModelSerializer.writeModel(network, path, False)):
        path = tmp_path / f"{name}.zip"
        save(path)
        loaded = dl4j.MultiLayerNetwork.load(path)
        assert [dl4j_kind(layer) for layer in loaded.dl4j_layers] == [dl4j_kind(layer) for layer in network.dl4j_layers]
        np.testing.assert_array_equal(loaded.params(), network.params())
        np.testing.assert_allclose(loaded.output(x), network.output(x), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_the_written_configuration_parses_to_the_layers_records(name, tmp_path):
    network = NETWORKS[name]
    network.save(tmp_path / "net.zip")
    with zipfile.ZipFile(tmp_path / "net.zip") as archive:
        assert sorted(archive.namelist()) == ["coefficients.bin", "configuration.json"]
        description = parse_configuration(archive.read("configuration.json"))
    assert description.dialect == "class-records" and description.data_type == "FLOAT"
    assert description.layers == tuple(layer_record(layer) for layer in network.dl4j_layers)
    assert description.preprocessors == {index: preprocessor_record(index, p) for index, p in network.conf.preprocessors.items()}


def test_records_carry_dl4j_stored_forms():
    one_d = NETWORKS["1d"].dl4j_layers
    assert (layer_record(one_d[0]).kernel, layer_record(one_d[0]).padding, layer_record(one_d[0]).stride) == ((3, 1), (1, 0), (1, 1))
    depthwise = layer_record(NETWORKS["2d"].dl4j_layers[2])
    assert (depthwise.n_in, depthwise.n_out, depthwise.depth_multiplier, depthwise.has_bias) == (4, 8, 2, False)
    pnorm, avg = (layer_record(layer) for layer in NETWORKS["2d"].dl4j_layers[3:5])
    assert (pnorm.pooling_type, pnorm.pnorm, avg.pnorm, avg.dilation, avg.avg_pool_include_pad) == ("PNORM", 3, 0, (2, 1), False)
    loss = layer_record(NETWORKS["cnn-loss"].dl4j_layers[-1])
    assert (loss.n_in, loss.n_out, loss.loss, loss.activation) == (0, 0, "MAE", "SIGMOID")
    written = layer_json(layer_record(NETWORKS["1d"].dl4j_layers[2]))
    assert written["size"] == [2, 2]  # DL4J keeps a 1-D size as {s, s}
    assert layer_json(layer_record(NETWORKS["2d"].dl4j_layers[9]))["blockSize"] == 2


def test_a_non_default_data_format_is_written_and_read_back(tmp_path):
    network = _network(dl4j.InputType.convolutional(5, 5, 2, dl4j.CNN2DFormat.NHWC),
                       dl4j.ConvolutionLayer.Builder(2, 2).nOut(3).build(),
                       dl4j.CnnLossLayer.Builder(dl4j.LossFunction.MSE).build())
    network.save(tmp_path / "nhwc.zip")
    config = json.loads(zipfile.ZipFile(tmp_path / "nhwc.zip").read("configuration.json"))
    assert config["confs"][0]["layer"]["cnn2dDataFormat"] == "NHWC"
    x = np.random.default_rng(1).standard_normal((2, 5, 5, 2)).astype(np.float32)
    np.testing.assert_allclose(dl4j.MultiLayerNetwork.load(tmp_path / "nhwc.zip").output(x), network.output(x), rtol=1e-6, atol=1e-6)


def test_what_the_file_cannot_describe_is_refused_naming_the_layer(tmp_path):
    network = NETWORKS["cnn-loss"]
    with pytest.raises(ValueError, match="saveUpdater=True is not supported"):
        network.save(tmp_path / "u.zip", saveUpdater=True)
    squared = _network(dl4j.InputType.feedForward(3),
                       dl4j.OutputLayer.Builder(dl4j.LossFunction.SQUARED_LOSS).nOut(2).name("scores").build())
    with pytest.raises(ValueError, match="OutputLayer 'scores': loss function SQUARED_LOSS has no DL4J loss class"):
        squared.save(tmp_path / "s.zip")
    nhwc_dense = _network(dl4j.InputType.convolutional(2, 2, 1, dl4j.CNN2DFormat.NHWC),
                          dl4j.OutputLayer.Builder(dl4j.LossFunction.MSE).nOut(2).build())
    with pytest.raises(ValueError, match="layer 0's input preprocessor CnnToFeedForwardPreProcessor flattens activations"):
        nhwc_dense.save(tmp_path / "f.zip")
    unknown = dl4j.MultiLayerNetwork(dl4j.NeuralNetConfiguration.Builder().list()
                                     .layer(dl4j.DenseLayer.Builder().nOut(2).name("d").build()).build())
    unknown.init((None, 3))
    with pytest.raises(ValueError, match="DenseLayer 'd': nIn is unknown"):
        unknown.save(tmp_path / "n.zip")
    assert not list(tmp_path.iterdir())  # nothing written, not even a temporary file


def test_saving_replaces_a_file_atomically(tmp_path):
    path = tmp_path / "net.zip"
    path.write_bytes(b"old")
    NETWORKS["cnn-loss"].save(path)
    assert zipfile.is_zipfile(path) and [p.name for p in tmp_path.iterdir()] == ["net.zip"]
    with pytest.raises(IsADirectoryError):
        NETWORKS["cnn-loss"].save(tmp_path)


@external
def test_a_dl4j_network_saved_again_still_reproduces_dl4j_output(tmp_path):
    network = dl4j.MultiLayerNetwork.load(DL4J / "SyntheticCNN_100b6.bin")
    network.save(tmp_path / "again.zip")
    again = dl4j.MultiLayerNetwork.load(tmp_path / "again.zip")
    x = dl4j.read_ndarray(DL4J / "SyntheticCNN_Input_100b6.bin")
    expected = dl4j.read_ndarray(DL4J / "SyntheticCNN_Output_100b6.bin")
    np.testing.assert_array_equal(again.params(), network.params())
    np.testing.assert_allclose(again.output(x), expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def _without_layer_settings(conf):
    """A ``confs`` entry without its layer."""
    return {key: value for key, value in conf.items() if key != "layer"}


@external
def test_the_written_json_matches_dl4j_beta6_on_every_field(tmp_path):
    """Key by key against DL4J 1.0.0-beta6's own configuration.json of the same network.

    Every key DL4J wrote is written, with DL4J's value, except two the loader does not read: ``iupdater``
    (DL4J: Adam 5e-3) and ``regularization`` (L2 1e-4), which a loaded network has at its defaults
    (Sgd, no L2), so a re-saved file states those.
    """
    with zipfile.ZipFile(DL4J / "SyntheticCNN_100b6.bin") as archive:
        theirs = json.loads(archive.read("configuration.json"))
    dl4j.MultiLayerNetwork.load(DL4J / "SyntheticCNN_100b6.bin").save(tmp_path / "ours.zip")
    with zipfile.ZipFile(tmp_path / "ours.zip") as archive:
        ours = json.loads(archive.read("configuration.json"))
    # What the parser reads: identical records, preprocessors and data type.
    assert parse_configuration(ours) == parse_configuration(theirs)
    # The network's keys and each conf's, as DL4J writes them.
    assert {k: v for k, v in ours.items() if k != "confs"} == {k: v for k, v in theirs.items() if k != "confs"}
    assert [_without_layer_settings(c) for c in ours["confs"]] == [_without_layer_settings(c) for c in theirs["confs"]]
    untransferred = {"iupdater", "regularization"}
    for index, (mine, dl4js) in enumerate(zip(ours["confs"], theirs["confs"])):
        mine, dl4js = mine["layer"], dl4js["layer"]
        assert sorted(mine) == sorted(dl4js), index
        for key in sorted(set(dl4js) - untransferred):
            assert mine[key] == dl4js[key], (index, key)
