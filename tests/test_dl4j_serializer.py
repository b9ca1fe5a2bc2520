"""DL4J's saved networks through the dialect's own classes: ``MultiLayerNetwork.load`` / ``ModelSerializer``."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from conftest import SHARED_FIXTURES
from convlayers import dl4j
from convlayers.dl4j.saved_configuration import LayerRecord
from convlayers.dl4j.serializer import layer_settings
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
