"""A network's ``configuration.json`` as DL4J 1.0.0-beta6 writes it: the ``@class`` dialect that
:mod:`.saved_configuration` reads.

Each layer becomes the :class:`~.saved_configuration.LayerRecord` the parser would read
(:func:`~.serializer.layer_record`), written through the parser's own key table
(:data:`~.saved_configuration.JSON_KEYS`), inside the ``confs`` entry and network keys beta6
writes. Settings convlayers does not model (cuDNN algorithms, gradient normalisation, weight
noise) are written at DL4J's defaults, as DL4J's builders leave them, so that a JVM reading the
file builds the same objects. Keys are sorted, as DL4J's Jackson mapper writes them.

Known differences from a beta6 file (none in a field the parser reads):

* a layer's data format is written only when it is not the rank's default (beta6 has NCHW
  only and writes none), under the key of DL4J 1.0.0-beta7 and later (``cnn2dDataFormat``,
  ``rnnDataFormat``, ``dataFormat``); beta6 cannot run such a network;
* ``CnnLossLayer``'s ``weightInitFn``, ``biasInit`` and ``regularization`` are DL4J's defaults,
  not the network's (the layer has no parameters, so nothing depends on them);
* a network without a ``seed`` is written with seed 0 (DL4J would store the time it was built).

>>> from convlayers import dl4j
>>> conf = (dl4j.NeuralNetConfiguration.Builder().seed(7).list()
...         .layer(dl4j.ConvolutionLayer.Builder(2, 2).nOut(2).build())
...         .layer(dl4j.OutputLayer.Builder(dl4j.LossFunction.MSE).nOut(3).build())
...         .setInputType(dl4j.InputType.convolutional(4, 4, 1)).build())
>>> net = dl4j.MultiLayerNetwork(conf); net.init()
>>> written = configuration_json(net)
>>> written["confs"][0]["layer"]["@class"], written["confs"][0]["layer"]["kernelSize"], written["inputPreProcessors"]["1"]["numChannels"]
('org.deeplearning4j.nn.conf.layers.ConvolutionLayer', [2, 2], 2)
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .. import layers as core
from .enums import WeightInit
from .nd4j import _NAMES as ND4J_TYPES
from .saved_configuration import (
    ACTIVATION_CLASSES, BLOCK_KEYS, DEFAULT_FORMATS, JSON_KEYS, RANKS, LayerRecord, PreprocessorRecord,
)
from .serializer import layer_record, preprocessor_record
from .translation import GLOBAL_DEFAULTS

__all__ = ["configuration_json", "layer_json"]

_LAYERS = "org.deeplearning4j.nn.conf.layers."
#: Layer classes outside ``_LAYERS`` (DL4J's package of each).
_PACKAGES = {kind: _LAYERS + "convolutional." for kind in ("Cropping1D", "Cropping2D", "Cropping3D")}
_ACTIVATION = "org.nd4j.linalg.activations.impl.Activation"
_LOSS = "org.nd4j.linalg.lossfunctions.impl.Loss"
_PREPROCESSOR = "org.deeplearning4j.nn.conf.preprocessor."
_UPDATER = "org.nd4j.linalg.learning.config."
_WEIGHT_INIT = "org.deeplearning4j.nn.weights.WeightInit"
#: ``WeightInit`` -> DL4J's ``IWeightInit`` class after ``WeightInit`` (``ZERO`` and ``ONES`` are constants).
_WEIGHT_INITS = {
    WeightInit.NORMAL: "Normal", WeightInit.UNIFORM: "Uniform", WeightInit.XAVIER: "Xavier",
    WeightInit.XAVIER_UNIFORM: "XavierUniform", WeightInit.XAVIER_FAN_IN: "XavierFanIn", WeightInit.RELU: "Relu",
    WeightInit.RELU_UNIFORM: "ReluUniform", WeightInit.LECUN_NORMAL: "LecunNormal",
    WeightInit.LECUN_UNIFORM: "LecunUniform", WeightInit.SIGMOID_UNIFORM: "SigmoidUniform",
}
_CONSTANT_INITS = {WeightInit.ZERO: 0.0, WeightInit.ONES: 1.0}
#: The data-format key of DL4J 1.0.0-beta7+ per kind (written only for a non-default format).
_FORMAT_KEYS = {"Convolution1DLayer": "rnnDataFormat", "Subsampling1DLayer": "rnnDataFormat",
                **{kind: "cnn2dDataFormat" for kind in ("ConvolutionLayer", "Deconvolution2D", "DepthwiseConvolution2D",
                                                         "SeparableConvolution2D", "SubsamplingLayer")}}
#: What every layer stores for settings convlayers does not model, at DL4J's defaults.
_EVERY_LAYER = {"constraints": None, "gradientNormalization": "None", "gradientNormalizationThreshold": 0.0,
                "idropout": None}
_PARAMETRISED = {"biasUpdater": None, "gainInit": 1.0, "gradientNormalizationThreshold": 1.0,
                 "regularizationBias": [], "weightNoise": None}
_CUDNN = {"cudnnAlgoMode": "PREFER_FASTEST", "cudnnAllowFallback": True, "cudnnBwdDataAlgo": None,
          "cudnnBwdFilterAlgo": None, "cudnnFwdAlgo": None}
_CONF = {"cacheMode": "NONE", "epochCount": 0, "iterationCount": 0, "maxNumLineSearchIterations": 5, "miniBatch": True,
         "minimize": True, "optimizationAlgo": "STOCHASTIC_GRADIENT_DESCENT", "stepFunction": None}
_NETWORK = {"backpropType": "Standard", "cacheMode": "NONE", "epochCount": 0, "inferenceWorkspaceMode": "ENABLED",
            "iterationCount": 0, "tbpttBackLength": 20, "tbpttFwdLength": 20, "trainingWorkspaceMode": "ENABLED",
            "validateOutputLayerConfig": True}
#: ``Activation`` enum -> its class name after ``Activation`` (the parser's table inverted).
_ACTIVATION_NAMES = {member: name for name, member in ACTIVATION_CLASSES.items()}


def layer_json(record: LayerRecord) -> dict[str, Any]:
    """The ``layer`` object of a record, in the fields the parser reads (``@class`` dialect).

    >>> layer_json(LayerRecord("Upsampling1D", name="up", size=(2,), data_format="NCW"))
    {'@class': 'org.deeplearning4j.nn.conf.layers.Upsampling1D', 'layerName': 'up', 'size': [2, 2]}
    """
    body: dict[str, Any] = {"@class": _PACKAGES.get(record.kind, _LAYERS) + record.kind}
    for field, key in JSON_KEYS.items():
        value = getattr(record, field)
        if value is not None:
            body[key] = _json_value(value)
    if record.kind == "Upsampling1D":  # DL4J keeps a 1-D size as {s, s}
        body[JSON_KEYS["size"]] *= 2
    if record.blocks is not None:
        blocks = list(record.blocks)
        body[BLOCK_KEYS.get(record.kind, "blockSize")] = blocks if record.kind == "SpaceToBatchLayer" else blocks[0]
    if record.data_format != DEFAULT_FORMATS[RANKS[record.kind]]:
        body[_FORMAT_KEYS.get(record.kind, "dataFormat")] = record.data_format
    if record.activation is not None:
        body["activationFn"] = {"@class": _ACTIVATION + _ACTIVATION_NAMES[record.activation], **record.activation_args}
    if record.loss is not None:
        body["lossFn"] = {"@class": _LOSS + record.loss, **record.loss_args}
    return body


def configuration_json(network: Any) -> dict[str, Any]:
    """The ``configuration.json`` object of a ``MultiLayerNetwork`` (initialised: its data type is its parameters').

    Raises ``ValueError`` naming the layer for a layer or preprocessor the file cannot describe.
    """
    conf = network.conf
    data_type = ND4J_TYPES[network.params().dtype]
    confs = []
    for layer in conf.layers:
        record = layer_record(layer)
        body = {**_EVERY_LAYER, **_unmodelled(layer, record.kind, conf.updater), **layer_json(record)}
        variables = [param.key for param in layer.present_params() if param.key != "b"]
        variables += ["b"] if any(param.key == "b" for param in layer.present_params()) else []
        confs.append({**_CONF, "dataType": data_type, "layer": body, "seed": conf.seed or 0, "variables": variables})
    preprocessors = {str(index): _preprocessor_json(preprocessor_record(index, preprocessor))
                     for index, preprocessor in sorted(conf.preprocessors.items())}
    return {**_NETWORK, "confs": confs, "dataType": data_type, "inputPreProcessors": preprocessors}


def _json_value(value: Any) -> Any:
    return [_json_value(v) for v in value] if isinstance(value, tuple) else value


def _unmodelled(layer: Any, kind: str, updater: Any) -> dict[str, Any]:
    """The settings a kind stores that no record field covers: initialiser, regulariser, updater, cuDNN's."""
    values = layer.dl4j
    fields: dict[str, Any] = {}
    if "weightInit" in layer.settings or kind == "CnnLossLayer":
        init = values.get("weightInit", GLOBAL_DEFAULTS["weightInit"])
        l2 = values.get("l2", GLOBAL_DEFAULTS["l2"])
        fields = {
            **_PARAMETRISED,
            "biasInit": values.get("biasInit", GLOBAL_DEFAULTS["biasInit"]),
            "weightInitFn": ({"@class": _WEIGHT_INIT + "Constant", "value": _CONSTANT_INITS[init]} if init in _CONSTANT_INITS
                             else {"@class": _WEIGHT_INIT + _WEIGHT_INITS[init]}),
            "regularization": [{"@class": "org.nd4j.linalg.learning.regularization.L2Regularization",
                                "l2": {"@class": "org.nd4j.linalg.schedule.FixedSchedule", "value": l2}}] if l2 else [],
            "iupdater": {"@class": _UPDATER + type(updater).__name__, **dataclasses.asdict(updater)},
        }
    if isinstance(layer, (core.Conv1D, core.Conv2D, core.Conv3D, core.Conv2DTranspose, core.Conv3DTranspose,
                          core.DepthwiseConv2D, core.SeparableConv2D)):
        fields.update(_CUDNN)
    elif kind in ("SubsamplingLayer", "Subsampling1DLayer", "Subsampling3DLayer"):
        fields["cudnnAllowFallback"] = True
    return fields


def _preprocessor_json(record: PreprocessorRecord) -> dict[str, Any]:
    return {"@class": _PREPROCESSOR + record.kind, **record.config}
