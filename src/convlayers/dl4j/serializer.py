"""DL4J's saved networks as ``MultiLayerNetwork`` s: ``MultiLayerNetwork.load`` and ``ModelSerializer``.

A ``MultiLayerNetwork.save`` zip holds ``configuration.json`` (each layer's resolved
settings) and ``coefficients.bin`` (every parameter in one flat vector, DL4J's order).
Loading translates each stored layer into the builder settings of its dialect class
(:meth:`~convlayers.dl4j.translation.DL4JLayer.from_dl4j`), rebuilds the configuration
with the stored preprocessors, and sets the vector with ``setParams``: the same path a
network configured in code takes, so a loaded network computes, trains and reports its
parameters exactly as one built by hand.
"""

from __future__ import annotations

from typing import Any

from ..io.container import ModelFileError, PathLike, as_path
from . import companions, layers
from .configuration import CnnToFeedForwardPreProcessor, FeedForwardToCnnPreProcessor, NeuralNetConfiguration
from .network import MultiLayerNetwork
from .saved_configuration import LayerRecord, NetworkDescription, PreprocessorRecord, read_network_zip

#: The dialect class of each stored layer kind (aliases are resolved by the parser).
_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        layers.ConvolutionLayer, layers.Convolution1DLayer, layers.Convolution3D, layers.Deconvolution2D,
        layers.Deconvolution3D, layers.DepthwiseConvolution2D, layers.SeparableConvolution2D,
        companions.SubsamplingLayer, companions.Subsampling1DLayer, companions.Subsampling3DLayer,
        companions.Upsampling1D, companions.Upsampling2D, companions.Upsampling3D, companions.ZeroPaddingLayer,
        companions.ZeroPadding1DLayer, companions.ZeroPadding3DLayer, companions.Cropping1D, companions.Cropping2D,
        companions.Cropping3D, companions.SpaceToBatchLayer, companions.SpaceToDepthLayer, companions.DenseLayer,
        companions.OutputLayer, companions.CnnLossLayer,
    )
}
#: Stored fields -> builder setters (the data format's setter is the class's own).
_SETTERS = {
    "n_in": "nIn", "n_out": "nOut", "kernel": "kernelSize", "stride": "stride", "padding": "padding",
    "dilation": "dilation", "convolution_mode": "convolutionMode", "activation": "activation", "has_bias": "hasBias",
    "depth_multiplier": "depthMultiplier", "pooling_type": "poolingType", "pnorm": "pnorm", "cropping": "cropping",
    "size": "size", "blocks": "blocks", "loss": "lossFunction",
}
#: ``configuration.json`` names a loss by its class (``LossMAE``); the builders by ``LossFunction``.
_LOSS_FUNCTIONS = {
    "MSE": "MSE", "MAE": "MEAN_ABSOLUTE_ERROR", "L1": "L1", "L2": "L2", "MCXENT": "MCXENT",
    "NegativeLogLikelihood": "NEGATIVELOGLIKELIHOOD", "BinaryXENT": "XENT",
}
#: 1-D layers: DL4J keeps their windows as ``[k, 1]`` internally, the builders take ``k``.
_ONE_D = {"Convolution1DLayer", "Subsampling1DLayer"}


def layer_settings(record: LayerRecord) -> dict[str, Any]:
    """The builder settings of a stored layer: what ``from_dl4j`` takes.

    >>> layer_settings(LayerRecord("Convolution1DLayer", name="c", n_in=2, n_out=3, kernel=(4, 1), stride=(2, 1),
    ...                            activation="RELU", data_format="NCW"))
    {'name': 'c', 'nIn': 2, 'nOut': 3, 'kernelSize': 4, 'stride': 2, 'activation': 'RELU', 'rnnDataFormat': 'NCW'}
    """
    cls = _CLASSES[record.kind]
    settings: dict[str, Any] = {"name": record.name} if record.name else {}
    for field, setter in _SETTERS.items():
        value = getattr(record, field)
        if value is None or setter not in cls.settings:
            continue
        if record.kind in _ONE_D and field in ("kernel", "stride", "padding", "dilation"):
            value = value[0]
        if field == "loss":
            if value not in _LOSS_FUNCTIONS:
                raise ValueError(f"layer {record.name or record.kind}: loss function Loss{value} is not supported "
                                 f"(supported: {', '.join('Loss' + name for name in _LOSS_FUNCTIONS)}).")
            value = _LOSS_FUNCTIONS[value]
        settings[setter] = value
    format_setter = next((key for key in ("dataFormat", "rnnDataFormat") if key in cls.settings), None)
    if format_setter and record.data_format is not None:
        settings[format_setter] = record.data_format
    return settings


def _preprocessor(index: int, record: PreprocessorRecord) -> Any:
    config = record.config
    if record.kind == "CnnToFeedForwardPreProcessor":
        sizes = (config.get("inputHeight"), config.get("inputWidth"), config.get("numChannels"))
        return CnnToFeedForwardPreProcessor(*sizes) if all(isinstance(n, int) and n > 0 for n in sizes) else (
            CnnToFeedForwardPreProcessor()
        )
    if record.kind == "FeedForwardToCnnPreProcessor":
        return FeedForwardToCnnPreProcessor(config["inputHeight"], config["inputWidth"], config["numChannels"])
    raise ValueError(f"layer {index}'s input preprocessor {record.kind} is not supported.")


def _input_shape(description: NetworkDescription) -> tuple[int | None, ...]:
    """The network's input shape as far as the file tells: the first layer's channels (``nIn``) and layout.

    Spatial sizes are unknown (DL4J stores no input type): parameters do not depend on them.
    """
    first = description.layers[0]
    cls = _CLASSES[first.kind]
    channels = first.n_in
    if cls in (companions.DenseLayer, companions.OutputLayer):
        return (None, channels)
    rank = 1 if first.kind in _ONE_D else 3 if "3D" in first.kind else 2
    channels_last = (first.data_format or "").endswith("C") and first.data_format not in ("NC",)
    spatial = (None,) * rank
    return (None,) + spatial + (channels,) if channels_last else (None, channels) + spatial


def network_from_description(description: NetworkDescription) -> MultiLayerNetwork:
    """The (uninitialised) network a stored configuration describes."""
    builder = NeuralNetConfiguration.Builder().list()
    for index, record in enumerate(description.layers):
        builder.layer(_CLASSES[record.kind].from_dl4j(layer_settings(record)))
    for index, record in description.preprocessors.items():
        builder.inputPreProcessor(index, _preprocessor(index, record))
    return MultiLayerNetwork(builder.build())


def restore_multi_layer_network(path: PathLike) -> MultiLayerNetwork:
    """A ``MultiLayerNetwork.save`` zip as a network with its parameters (DL4J's ``restoreMultiLayerNetwork``).

    Raises ``FileNotFoundError`` or a :class:`~convlayers.io.ModelFileError` (a ``ValueError``)
    naming the file and the reason; nothing is half-loaded.
    """
    source = as_path(path)
    stored = read_network_zip(source)
    try:
        network = network_from_description(stored.description)
        network.init(_input_shape(stored.description))
        network.setParams(stored.coefficients)
    except ModelFileError:
        raise
    except (ValueError, TypeError) as error:
        raise ModelFileError(source, "a DL4J network", str(error)) from error
    return network


class ModelSerializer:
    """DL4J's ``ModelSerializer``: ``restoreMultiLayerNetwork(path)``."""

    @staticmethod
    def restoreMultiLayerNetwork(path: PathLike) -> MultiLayerNetwork:  # noqa: N802 (DL4J's name)
        return restore_multi_layer_network(path)
