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

from enum import Enum
import io
import json
import zipfile
from typing import Any

from ..io.atomic import writable_target, write_atomically
from ..io.container import ModelFileError, PathLike, as_path
from . import companions, layers
from .configuration import CnnToFeedForwardPreProcessor, FeedForwardToCnnPreProcessor, NeuralNetConfiguration
from .nd4j import ndarray_bytes
from .network import MultiLayerNetwork
from .saved_configuration import DEFAULT_FORMATS, RANKS, LayerRecord, NetworkDescription, PreprocessorRecord, read_network_zip
from .translation import DL4JLayer

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
#: The builders' ``LossFunction`` -> the loss class ``configuration.json`` names (``_LOSS_FUNCTIONS`` inverted).
_LOSS_CLASSES = {function: name for name, function in _LOSS_FUNCTIONS.items()}
#: 1-D layers: DL4J keeps their windows as ``[k, 1]`` internally (padding ``[p, 0]``), the builders take ``k``.
_ONE_D = {"Convolution1DLayer", "Subsampling1DLayer"}
_WINDOW = ("kernel", "stride", "padding", "dilation")
#: Settings DL4J stores as one-element arrays in the builders and as plain ints in ``configuration.json``.
_SCALARS = {"depth_multiplier"}
#: What DL4J 1.0.0-beta6 stores for pooling settings convlayers has no setter for: the p-norm's
#: unused ``pnorm`` 0 (MAX/AVG), ``eps`` 1e-8, and AVG's divisor without the padding (how the core pools).
_POOLING_STORED = {"pnorm": 0, "eps": 1e-8, "avg_pool_include_pad": False}


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


def dl4j_kind(layer: DL4JLayer) -> str:
    """The DL4J class name ``configuration.json`` stores for ``layer`` (aliases such as ``Convolution2D`` resolved).

    >>> dl4j_kind(layers.Convolution2D.Builder(2, 2).nOut(1).build())
    'ConvolutionLayer'
    """
    return next(cls.__name__ for cls in type(layer).__mro__ if _CLASSES.get(cls.__name__) is cls)


def layer_record(layer: DL4JLayer) -> LayerRecord:
    """The :class:`LayerRecord` ``configuration.json`` stores for a configured layer: :func:`layer_settings` inverted.

    Values are the layer's resolved settings (the network's globals filled in), as DL4J stores them.
    Raises ``ValueError`` naming the layer for what ``configuration.json`` cannot say (an unknown
    ``nIn``, a loss with no DL4J class here).

    >>> layer_record(layers.Convolution1DLayer.Builder(4).stride(2).nIn(2).nOut(3).build()).kernel
    (4, 1)
    """
    kind, values = dl4j_kind(layer), layer.dl4j
    where = f"{kind} {layer.name!r}"  # type: ignore[attr-defined]
    fields: dict[str, Any] = {"name": layer.name}  # type: ignore[attr-defined]
    for field, setter in _SETTERS.items():
        value = values.get(setter) if setter in layer.settings else None
        if value is None:
            if setter == "nIn" and setter in layer.settings:
                raise ValueError(f"{where}: nIn is unknown; set it or configure the network with setInputType before saving.")
            continue
        value = value.value if isinstance(value, Enum) else value
        if field == "loss":
            value = _LOSS_CLASSES.get(value)
            if value is None:
                raise ValueError(f"{where}: loss function {values[setter].value} has no DL4J loss class convlayers writes "
                                 f"(it writes {', '.join(_LOSS_CLASSES)}).")
        if kind in _ONE_D and field in _WINDOW:
            value = (value[0], 0 if field == "padding" else 1)
        fields[field] = value[0] if field in _SCALARS else value
    if kind == "DepthwiseConvolution2D":  # DL4J stores the nOut it derives
        fields["n_out"] = values["nIn"] * values["depthMultiplier"][0]
    if kind == "CnnLossLayer":  # a FeedForwardLayer in DL4J, whose unused nIn/nOut it stores as 0
        fields["n_in"] = fields["n_out"] = 0
    if kind in ("SubsamplingLayer", "Subsampling1DLayer"):
        fields = {**_POOLING_STORED, **fields}
    format_setter = next((key for key in ("dataFormat", "rnnDataFormat") if key in layer.settings), None)
    fields["data_format"] = values[format_setter].value if format_setter else DEFAULT_FORMATS[RANKS[kind]]
    return LayerRecord(kind, **fields)


def preprocessor_record(index: int, preprocessor: Any) -> PreprocessorRecord:
    """The :class:`PreprocessorRecord` of an input preprocessor (``_preprocessor`` inverted).

    Raises ``ValueError`` naming the layer where DL4J's preprocessor would need sizes convlayers does not
    know (a flattening of NHWC or 3-D activations, which beta6's ``CnnToFeedForwardPreProcessor`` cannot say).
    """
    sizes = getattr(preprocessor, "sizes", None)
    if sizes is None:
        raise ValueError(f"layer {index}'s input preprocessor {type(preprocessor).__name__} flattens activations that are "
                         f"not NCHW images of known size; DL4J's CnnToFeedForwardPreProcessor records only those.")
    return PreprocessorRecord(type(preprocessor).__name__, dict(zip(("inputHeight", "inputWidth", "numChannels"), sizes)))


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
    network = NeuralNetConfiguration.Builder()
    if description.seed is not None:
        network.seed(description.seed)
    builder = network.list()
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


def write_model(network: MultiLayerNetwork, path: PathLike, save_updater: bool = False) -> None:
    """Write ``network`` as a ``MultiLayerNetwork.save`` zip (DL4J's ``writeModel``), atomically.

    The zip holds ``configuration.json`` (:func:`~.written_configuration.configuration_json`) and
    ``coefficients.bin`` (``params()`` in ND4J's format). ``save_updater=True`` is refused: the
    optimizer's state has no DL4J ``updaterState.bin`` layout here.

    Raises ``ValueError`` naming the layer the file cannot describe (nothing is written then).

    >>> import tempfile
    >>> from convlayers import dl4j
    >>> conf = (dl4j.NeuralNetConfiguration.Builder().seed(3).list()
    ...         .layer(dl4j.ConvolutionLayer.Builder(2, 2).nOut(2).build())
    ...         .layer(dl4j.CnnLossLayer.Builder(dl4j.LossFunction.MSE).build())
    ...         .setInputType(dl4j.InputType.convolutional(4, 4, 1)).build())
    >>> net = dl4j.MultiLayerNetwork(conf); net.init()
    >>> with tempfile.TemporaryDirectory() as d:
    ...     net.save(f"{d}/net.zip")
    ...     bool((dl4j.MultiLayerNetwork.load(f"{d}/net.zip").params() == net.params()).all())
    True
    """
    from .written_configuration import configuration_json  # it reads this module's records

    if save_updater:
        raise ValueError("MultiLayerNetwork.save: saveUpdater=True is not supported (the optimizer's state has no "
                         "DL4J updaterState.bin layout here); save with saveUpdater=False.")
    target = writable_target(path)
    network._require_init("save")
    config = json.dumps(configuration_json(network), indent=2, sort_keys=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("configuration.json", config)
        archive.writestr("coefficients.bin", ndarray_bytes(network.params()))
    write_atomically(target, buffer.getvalue())


class ModelSerializer:
    """DL4J's ``ModelSerializer``: ``restoreMultiLayerNetwork(path)`` and ``writeModel(net, path, saveUpdater)``."""

    @staticmethod
    def writeModel(network: MultiLayerNetwork, path: PathLike, saveUpdater: bool) -> None:  # noqa: N802, N803 (DL4J's names)
        write_model(network, path, saveUpdater)

    @staticmethod
    def restoreMultiLayerNetwork(path: PathLike) -> MultiLayerNetwork:  # noqa: N802 (DL4J's name)
        return restore_multi_layer_network(path)
