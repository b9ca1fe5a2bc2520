"""The Deeplearning4j dialect: DL4J's layer builders, ``ConvolutionMode``, input types and networks over the core.

Write DL4J configurations in Python (``from convlayers import dl4j``) and get DL4J's
shapes, errors and numbers: each layer class (``dl4j.ConvolutionLayer``) is a core layer
(a :class:`~convlayers.Conv2D`) built by its nested ``Builder`` with DL4J's overloads,
setters and defaults, showing its parameters in DL4J's layouts (``getParam("W")``).

>>> import numpy as np
>>> from convlayers import dl4j
>>> conf = (dl4j.NeuralNetConfiguration.Builder().seed(42).convolutionMode(dl4j.ConvolutionMode.Same)
...         .activation(dl4j.Activation.RELU).weightInit(dl4j.WeightInit.XAVIER).list()
...         .layer(dl4j.ConvolutionLayer.Builder(3, 3).stride(2, 2).nOut(16).build())
...         .layer(dl4j.SubsamplingLayer.Builder(dl4j.PoolingType.MAX).kernelSize(2, 2).build())
...         .layer(dl4j.OutputLayer.Builder(dl4j.LossFunction.MCXENT).nOut(10).activation(dl4j.Activation.SOFTMAX).build())
...         .setInputType(dl4j.InputType.convolutional(28, 28, 3)).build())
>>> net = dl4j.MultiLayerNetwork(conf)
>>> net.init()
>>> net.output(np.zeros((2, 3, 28, 28), "float32")).shape, [t.sizes for t in conf.output_types[:2]]
((2, 10), [(14, 14, 16), (7, 7, 16)])

**Entry point for loaders** (a ``configuration.json`` parser, ``coefficients.bin``):

1. each layer: ``LayerClass.from_dl4j(settings)`` (e.g. ``dl4j.ConvolutionLayer.from_dl4j({"kernelSize": [3, 3],
   "stride": [2, 1], "convolutionMode": "Truncate", "nIn": 1, "nOut": 4, "activation": "RELU", "name": "c0"})``):
   keys are the ``Builder``'s setter names (see each class's ``settings``), enum values DL4J's
   spellings; a key left out takes the network's global value, else DL4J's default;
2. ``dl4j.NeuralNetConfiguration.Builder().seed(s)...list()``, ``.layer(layer)`` per layer,
   ``.inputPreProcessor(i, dl4j.CnnToFeedForwardPreProcessor())`` for the stored preprocessors, and
   ``.setInputType(...)`` when the input is known, then ``.build()``;
3. ``net = dl4j.MultiLayerNetwork(conf)``, ``net.init()`` (``net.init(input_shape)`` without an input
   type), then ``net.setParams(coefficients)`` with the flattened vector.
"""

from .companions import (
    CnnLossLayer,
    Cropping1D,
    Cropping2D,
    Cropping3D,
    DenseLayer,
    OutputLayer,
    Pooling1D,
    Pooling2D,
    SpaceToBatchLayer,
    SpaceToDepthLayer,
    Subsampling1DLayer,
    Subsampling3DLayer,
    SubsamplingLayer,
    Upsampling1D,
    Upsampling2D,
    Upsampling3D,
    ZeroPadding1DLayer,
    ZeroPadding3DLayer,
    ZeroPaddingLayer,
)
from .configuration import (
    CnnToFeedForwardPreProcessor,
    FeedForwardToCnnPreProcessor,
    ListBuilder,
    MultiLayerConfiguration,
    NeuralNetConfiguration,
)
from .enums import (
    Activation,
    CNN2DFormat,
    ConvolutionMode,
    LossFunction,
    LossFunctions,
    PoolingType,
    RNNFormat,
    WeightInit,
)
from .errors import DL4JException, DL4JInvalidConfigException, DL4JInvalidInputException
from .input_types import InputType
from .layers import (
    Convolution1D,
    Convolution1DLayer,
    Convolution2D,
    Convolution3D,
    ConvolutionLayer,
    Deconvolution2D,
    Deconvolution3D,
    DepthwiseConvolution2D,
    SeparableConvolution2D,
)
from .local import LocallyConnected1D, LocallyConnected2D
from .nd4j import ND4JFileError, ndarray_bytes, read_ndarray, write_ndarray
from .network import MultiLayerNetwork
from .parameters import ParamSpec, join_coefficients, parameter_count, parameter_layout, split_coefficients
from .saved_configuration import (
    ConfigurationError,
    LayerRecord,
    NetworkDescription,
    NetworkFile,
    PreprocessorRecord,
    UnsupportedLayerError,
    parse_configuration,
    read_network_zip,
)
from .serializer import ModelSerializer, restore_multi_layer_network
from .updaters import Adam, Nesterovs, Sgd

__all__ = [
    "Activation", "Adam", "CNN2DFormat", "CnnLossLayer", "CnnToFeedForwardPreProcessor", "Convolution1D",
    "Convolution1DLayer", "Convolution2D", "Convolution3D", "ConvolutionLayer", "ConvolutionMode", "Cropping1D",
    "Cropping2D", "Cropping3D", "DL4JException", "DL4JInvalidConfigException", "DL4JInvalidInputException",
    "Deconvolution2D", "Deconvolution3D", "DenseLayer", "DepthwiseConvolution2D", "FeedForwardToCnnPreProcessor",
    "InputType", "ListBuilder", "LocallyConnected1D", "LocallyConnected2D", "LossFunction", "LossFunctions", "MultiLayerConfiguration", "MultiLayerNetwork",
    "Nesterovs", "NeuralNetConfiguration", "OutputLayer", "Pooling1D", "Pooling2D", "PoolingType", "RNNFormat",
    "SeparableConvolution2D", "Sgd", "SpaceToBatchLayer", "SpaceToDepthLayer", "Subsampling1DLayer",
    "Subsampling3DLayer", "SubsamplingLayer", "Upsampling1D", "Upsampling2D", "Upsampling3D", "WeightInit",
    "ZeroPadding1DLayer", "ZeroPadding3DLayer", "ZeroPaddingLayer",
    # DL4J's files: ND4J arrays, configuration.json, the flat parameter vector
    "ConfigurationError", "LayerRecord", "ND4JFileError", "NetworkDescription", "NetworkFile", "ParamSpec",
    "PreprocessorRecord", "UnsupportedLayerError", "join_coefficients", "ndarray_bytes", "parameter_count",
    "parameter_layout", "parse_configuration", "read_ndarray", "read_network_zip", "split_coefficients",
    "write_ndarray", "ModelSerializer", "restore_multi_layer_network",
]
