"""A ``MultiLayerNetwork.save`` zip: its ``configuration.json`` as a neutral description, and its coefficients.

DL4J's ``configuration.json`` comes in two dialects:

* **class records** (1.0.0-beta and later): ``{"layer": {"@class": "org...ConvolutionLayer", ...}}``,
  activations ``{"@class": "org...ActivationReLU"}``, losses ``{"@class": "org...LossMAE"}``;
* **wrapper objects** (1.0.0-alpha and earlier): ``{"layer": {"convolution": {...}}}``,
  ``{"TanH": {}}``, ``{"MSE": {...}}``, preprocessors ``{"cnnToFeedForward": {...}}``.

Both become the same :class:`NetworkDescription`: a tuple of :class:`LayerRecord` (one per
layer, in DL4J's order) and the input preprocessors by layer index. Records carry values
as ``configuration.json`` stores them, *resolved* (activations, modes and strides DL4J
filled in from the global configuration), so nothing is re-derived from defaults.

The archive is untrusted: members are read with :mod:`convlayers.io.zip_reader`'s caps,
JSON with :func:`convlayers.io.limits.parse_json`'s bounds, and the coefficients are
refused unless they are exactly what the configuration's layers need.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Union

import numpy as np

from ..io.container import ModelFileError
from ..io.limits import MAX_JSON_BYTES, check_expansion, parse_json
from ..io.zip_reader import open_archive, read_member
from .nd4j import ND4JFileError, read_ndarray

__all__ = [
    "ConfigurationError",
    "LayerRecord",
    "NetworkDescription",
    "NetworkFile",
    "PreprocessorRecord",
    "UnsupportedLayerError",
    "parse_configuration",
    "read_network_zip",
]

PathLike = Union[str, "os.PathLike[str]"]

#: 1.0.0-alpha's wrapper names (Jackson subtype names) of the layer classes read here.
_WRAPPED_LAYERS = {
    "convolution": "ConvolutionLayer", "convolution1d": "Convolution1DLayer", "output": "OutputLayer",
    "dense": "DenseLayer", "subsampling": "SubsamplingLayer", "subsampling1d": "Subsampling1DLayer",
    "zeroPadding": "ZeroPaddingLayer", "zeroPadding1d": "ZeroPadding1DLayer",
}
#: Subclasses that are only other names (DL4J's aliases) -> the class they alias.
_ALIASES = {
    "Convolution2D": "ConvolutionLayer", "Convolution1D": "Convolution1DLayer",
    "Pooling2D": "SubsamplingLayer", "Pooling1D": "Subsampling1DLayer",
}
#: Every layer class read, and its spatial rank (0: not spatial).
RANKS = {
    "ConvolutionLayer": 2, "Convolution1DLayer": 1, "Convolution3D": 3,
    "Deconvolution2D": 2, "Deconvolution3D": 3, "DepthwiseConvolution2D": 2, "SeparableConvolution2D": 2,
    "SubsamplingLayer": 2, "Subsampling1DLayer": 1, "Subsampling3DLayer": 3,
    "Upsampling1D": 1, "Upsampling2D": 2, "Upsampling3D": 3,
    "ZeroPaddingLayer": 2, "ZeroPadding1DLayer": 1, "ZeroPadding3DLayer": 3,
    "Cropping1D": 1, "Cropping2D": 2, "Cropping3D": 3,
    "SpaceToDepthLayer": 2, "SpaceToBatchLayer": 2,
    "DenseLayer": 0, "OutputLayer": 0, "CnnLossLayer": 2,
}
#: ``LayerRecord`` field -> the ``configuration.json`` key DL4J stores it under (both dialects). The parser reads
#: and the writer (:mod:`.written_configuration`) writes through this one table; ``size``, ``blocks``, the data
#: format and the functions (``activationFn``, ``lossFn``) have per-kind forms, handled beside it.
JSON_KEYS = {
    "name": "layerName", "n_in": "nin", "n_out": "nout", "kernel": "kernelSize", "stride": "stride",
    "padding": "padding", "dilation": "dilation", "convolution_mode": "convolutionMode", "has_bias": "hasBias",
    "depth_multiplier": "depthMultiplier", "pooling_type": "poolingType", "pnorm": "pnorm", "eps": "eps",
    "avg_pool_include_pad": "avgPoolIncludePadInDivisor", "cropping": "cropping", "size": "size",
}
#: The key of ``blocks``: ``SpaceToBatchLayer`` stores ``blocks`` (an array), ``SpaceToDepthLayer`` ``blockSize`` (an int).
BLOCK_KEYS = {"SpaceToBatchLayer": "blocks", "SpaceToDepthLayer": "blockSize"}
#: Each rank's default data format, what a record holds when the JSON names none (beta4/beta6 never do).
DEFAULT_FORMATS = {0: None, 1: "NCW", 2: "NCHW", 3: "NCDHW"}
#: The JSON keys DL4J versions used for a layer's data format.
_FORMAT_KEYS = ("dataFormat", "cnn2dDataFormat", "rnnDataFormat", "format")
#: Activation implementations (class name after ``Activation``; alpha wrappers are the same names) -> ``Activation``
#: enum. Read case-insensitively; written as spelled here.
ACTIVATION_CLASSES = {
    "Cube": "CUBE", "ELU": "ELU", "HardSigmoid": "HARDSIGMOID", "HardTanH": "HARDTANH", "Identity": "IDENTITY",
    "LReLU": "LEAKYRELU", "RationalTanh": "RATIONALTANH", "RectifiedTanh": "RECTIFIEDTANH", "ReLU": "RELU",
    "ReLU6": "RELU6", "RReLU": "RRELU", "SELU": "SELU", "Sigmoid": "SIGMOID", "Softmax": "SOFTMAX",
    "SoftPlus": "SOFTPLUS", "SoftSign": "SOFTSIGN", "Swish": "SWISH", "TanH": "TANH", "GELU": "GELU",
    "Mish": "MISH", "ThresholdedReLU": "THRESHOLDEDRELU",
}
_ACTIVATIONS = {name.lower(): member for name, member in ACTIVATION_CLASSES.items()}
#: Loss implementations (class name after ``Loss``, or alpha wrapper name) read; the record keeps that name.
_LOSSES = {
    "BinaryXENT", "CosineProximity", "Hinge", "KLD", "MAE", "L1", "MAPE", "MCXENT", "MSE", "L2", "MSLE",
    "NegativeLogLikelihood", "Poisson", "SquaredHinge", "SparseMCXENT", "Wasserstein",
}
_LOSS_LAYERS = ("OutputLayer", "CnnLossLayer")
_PREPROCESSORS = {
    "cnnToFeedForward": "CnnToFeedForwardPreProcessor", "feedForwardToCnn": "FeedForwardToCnnPreProcessor",
    "cnnToRnn": "CnnToRnnPreProcessor", "rnnToCnn": "RnnToCnnPreProcessor",
    "feedForwardToRnn": "FeedForwardToRnnPreProcessor", "rnnToFeedForward": "RnnToFeedForwardPreProcessor",
}
_CLASS = "@class"
_NETWORK = "a DL4J network"


class ConfigurationError(ValueError):
    """A ``configuration.json`` that is not a readable ``MultiLayerConfiguration``; the message says where and why."""


class UnsupportedLayerError(ConfigurationError):
    """A layer class convlayers does not read (named in the message, with the classes it does read)."""


@dataclass(frozen=True)
class LayerRecord:
    """One layer of a ``MultiLayerConfiguration``, as ``configuration.json`` stores it, in either dialect.

    Fields a layer kind lacks are ``None``. Arrays are tuples of ints in DL4J's order:

    * ``kernel``, ``stride``, ``dilation``: per spatial dim (``Convolution1DLayer`` and
      ``Subsampling1DLayer`` store ``[k, 1]``, ``[s, 1]``... as DL4J does internally);
    * ``padding``: convolution and pooling layers: one symmetric pad per dim;
      ``ZeroPaddingLayer``: ``(top, bottom, left, right)``; ``ZeroPadding1DLayer``:
      ``(left, right)``; ``ZeroPadding3DLayer``: six values; ``SpaceToBatchLayer``:
      ``((top, bottom), (left, right))``;
    * ``cropping``: ``(top, bottom, left, right)`` (2-D), ``(start, end)`` (1-D), six values (3-D);
    * ``size``: upsampling factor per spatial dim (the alpha dialect's scalar expanded);
    * ``blocks``: ``SpaceToBatchLayer``'s two block sizes, ``SpaceToDepthLayer``'s one.

    Attributes:
        kind: DL4J's class name (aliases resolved: ``Convolution2D`` -> ``ConvolutionLayer``).
        name: ``layerName``.
        n_in, n_out: ``nIn``, ``nOut`` (``None`` for layers without them; 0 where DL4J stores 0).
        convolution_mode: ``'Strict'``, ``'Truncate'``, ``'Same'`` or ``'Causal'``.
        activation: the ``Activation`` enum name (``'RELU'``, ``'TANH'``, ``'IDENTITY'``...).
        activation_args: the activation's stored settings (LeakyReLU's ``alpha``...).
        has_bias, depth_multiplier, pooling_type (``'MAX'``, ``'AVG'``, ``'PNORM'``, ``'SUM'``),
        pnorm, eps, avg_pool_include_pad (``avgPoolIncludePadInDivisor``; ``None`` where
        unstored: beta4 and earlier, whose behaviour is ``True``).
        data_format: ``'NCHW'``/``'NHWC'``, ``'NCW'``/``'NWC'``, ``'NCDHW'``/``'NDHWC'``; the
            rank's default where the JSON names none.
        loss: output layers' loss class name after ``Loss`` (``'MSE'``, ``'MAE'``, ``'MCXENT'``...).
        loss_args: the loss's stored settings.
        config: the layer's whole JSON object (for what no field covers: initialisers, updaters).

    >>> LayerRecord("Upsampling2D", size=(2, 2)).n_in is None
    True
    """

    kind: str
    name: str | None = None
    n_in: int | None = None
    n_out: int | None = None
    kernel: tuple[int, ...] | None = None
    stride: tuple[int, ...] | None = None
    padding: tuple[Any, ...] | None = None
    dilation: tuple[int, ...] | None = None
    convolution_mode: str | None = None
    activation: str | None = None
    activation_args: Mapping[str, Any] = field(default_factory=dict)
    has_bias: bool | None = None
    depth_multiplier: int | None = None
    pooling_type: str | None = None
    pnorm: int | None = None
    eps: float | None = None
    avg_pool_include_pad: bool | None = None
    cropping: tuple[int, ...] | None = None
    size: tuple[int, ...] | None = None
    blocks: tuple[int, ...] | None = None
    data_format: str | None = None
    loss: str | None = None
    loss_args: Mapping[str, Any] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class PreprocessorRecord:
    """An input preprocessor (``inputPreProcessors``): its class name and stored fields.

    ``CnnToFeedForwardPreProcessor`` has ``inputHeight``, ``inputWidth``, ``numChannels``
    and flattens NCHW activations in C order (channel, row, column).

    >>> PreprocessorRecord("CnnToFeedForwardPreProcessor", {"numChannels": 3}).config["numChannels"]
    3
    """

    kind: str
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NetworkDescription:
    """A ``MultiLayerConfiguration``: its layers in order, its preprocessors by layer index, and its dialect.

    Attributes:
        layers: one :class:`LayerRecord` per layer.
        preprocessors: layer index -> the :class:`PreprocessorRecord` applied to that layer's input.
        dialect: ``'class-records'`` (``@class``, 1.0.0-beta and later) or ``'wrapper-objects'`` (1.0.0-alpha).
        data_type: the network's ``dataType`` (``'FLOAT'``...), ``None`` where unstored (alpha).
        seed: the first layer's ``seed`` (DL4J stores the network's in every ``confs`` entry), ``None`` where unstored.

    The JSON stores no input type (``setInputType`` leaves its traces in ``nIn`` and the
    preprocessors only).
    """

    layers: tuple[LayerRecord, ...]
    preprocessors: Mapping[int, PreprocessorRecord]
    dialect: str
    data_type: str | None = None
    seed: int | None = None


@dataclass(frozen=True)
class NetworkFile:
    """What :func:`read_network_zip` reads: the description, the flat coefficients, and whether updater state is there.

    ``coefficients`` is 1-D, in the file's dtype (float32 for DL4J's default), in DL4J's flat
    order (split it with :func:`convlayers.dl4j.parameters.split_coefficients`).
    """

    description: NetworkDescription
    coefficients: np.ndarray
    has_updater_state: bool


def parse_configuration(config: str | bytes | Mapping[str, Any]) -> NetworkDescription:
    """The :class:`NetworkDescription` of a ``MultiLayerConfiguration``'s JSON (either dialect).

    Raises :class:`UnsupportedLayerError` for a layer class not read here and
    :class:`ConfigurationError` for anything else malformed; both name the layer.

    >>> conf = {"confs": [{"layer": {"Upsampling2D": {"layerName": "up", "size": 2}}}], "inputPreProcessors": {}}
    >>> parse_configuration(conf).layers[0].size
    (2, 2)
    >>> parse_configuration({"confs": [{"layer": {"@class": "org.deeplearning4j.nn.conf.layers.LSTM"}}]})
    Traceback (most recent call last):
    ...
    convlayers.dl4j.saved_configuration.UnsupportedLayerError: layer 0 is org.deeplearning4j.nn.conf.layers.LSTM, which convlayers does not read; it reads CnnLossLayer, Convolution1DLayer, Convolution3D, ConvolutionLayer, Cropping1D, Cropping2D, Cropping3D, Deconvolution2D, Deconvolution3D, DenseLayer, DepthwiseConvolution2D, OutputLayer, SeparableConvolution2D, SpaceToBatchLayer, SpaceToDepthLayer, Subsampling1DLayer, Subsampling3DLayer, SubsamplingLayer, Upsampling1D, Upsampling2D, Upsampling3D, ZeroPadding1DLayer, ZeroPadding3DLayer, ZeroPaddingLayer.
    """
    if isinstance(config, (str, bytes)):
        try:
            config = parse_json(config, "configuration.json")
        except ValueError as error:
            raise ConfigurationError(str(error)) from None
    if not isinstance(config, Mapping) or not isinstance(config.get("confs"), list) or not config["confs"]:
        raise ConfigurationError("configuration.json is not a MultiLayerConfiguration: it has no non-empty 'confs' list.")
    layers, dialects = [], set()
    for index, conf in enumerate(config["confs"]):
        layer = conf.get("layer") if isinstance(conf, Mapping) else None
        if not isinstance(layer, Mapping):
            raise ConfigurationError(f"layer {index}: its 'confs' entry has no 'layer' object.")
        kind, fields, dialect = _unwrap(layer, index)
        dialects.add(dialect)
        layers.append(_record(kind, fields, f"layer {index} ({fields.get('layerName', kind)!s:.60})"))
    if len(dialects) > 1:
        raise ConfigurationError("configuration.json mixes '@class' records and wrapper objects; DL4J writes one or the other.")
    data_type, seed = config.get("dataType"), config["confs"][0].get("seed")
    return NetworkDescription(
        layers=tuple(layers),
        preprocessors=_preprocessors(config.get("inputPreProcessors") or {}, len(layers)),
        dialect=dialects.pop(),
        data_type=data_type if isinstance(data_type, str) else None,
        seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
    )


def read_network_zip(path: PathLike) -> NetworkFile:
    """Read a ``MultiLayerNetwork.save`` / ``ModelSerializer.writeModel`` zip: configuration, coefficients, updater presence.

    The coefficients are refused unless they are exactly as many as the configuration's
    layers have parameters; ``updaterState.bin`` is not read, only noted.

    Raises:
        ModelFileError: (a ``ValueError``) naming the file and the reason, for anything
            unreadable, inconsistent or unsupported; nothing is half-read.

    >>> import io, json, tempfile, zipfile
    >>> conf = {"confs": [{"layer": {"Upsampling2D": {"size": 2}}}]}
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with zipfile.ZipFile(f"{d}/net.zip", "w") as archive:
    ...         archive.writestr("configuration.json", json.dumps(conf))
    ...     read_network_zip(f"{d}/net.zip")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    convlayers.io.container.ModelFileError: Cannot load a DL4J network from '.../net.zip': it has no coefficients.bin (it holds ['configuration.json']).
    """
    from .parameters import parameter_count  # parameters reads this module's records

    source = Path(path)
    try:
        size = source.stat().st_size
        with open_archive(source) as archive:
            names = archive.namelist()
            for member in ("configuration.json", "coefficients.bin"):
                if member not in names:
                    raise ValueError(f"it has no {member} (it holds {names[:10]}).")
            description = parse_configuration(read_member(archive, "configuration.json", MAX_JSON_BYTES))
            count = parameter_count(description)
            check_expansion(8 * count, size)
            # A float64 vector of `count` values and a shape header of a few dozen bytes.
            raw = read_member(archive, "coefficients.bin", 8 * count + 1024)
            has_updater = "updaterState.bin" in names
        coefficients = read_ndarray(raw, name="coefficients.bin")
    except ND4JFileError as error:
        raise ModelFileError(source, _NETWORK, f"its coefficients.bin is not an ND4J array: {error.reason}") from None
    except (OSError, ValueError) as error:
        raise ModelFileError(source, _NETWORK, getattr(error, "strerror", None) or str(error)) from None
    if coefficients.ndim > 2 or (coefficients.ndim == 2 and coefficients.shape[0] != 1) or coefficients.size != count:
        raise ModelFileError(
            source, _NETWORK,
            f"its coefficients.bin holds an array of shape {coefficients.shape}; its layers need a row vector of {count} values.",
        )
    if coefficients.dtype.kind != "f":
        raise ModelFileError(source, _NETWORK, f"its coefficients.bin holds {coefficients.dtype} values, not floating point.")
    return NetworkFile(description, coefficients.reshape(-1), has_updater)


def _unwrap(layer: Mapping[str, Any], index: int) -> tuple[str, Mapping[str, Any], str]:
    """(kind, fields, dialect) of a layer object in either dialect."""
    if _CLASS in layer:
        name = layer[_CLASS]
        if not isinstance(name, str):
            raise ConfigurationError(f"layer {index}: its '@class' is {name!r}, not a class name.")
        return _kind(name.rsplit(".", 1)[-1], name, index), layer, "class-records"
    if len(layer) != 1 or not isinstance(next(iter(layer.values())), Mapping):
        raise ConfigurationError(f"layer {index}: it is neither an '@class' record nor a one-key wrapper object ({sorted(layer)[:5]}).")
    (wrapper, fields), = layer.items()
    return _kind(_WRAPPED_LAYERS.get(wrapper, wrapper), wrapper, index), fields, "wrapper-objects"


def _kind(simple: str, stored: str, index: int) -> str:
    kind = _ALIASES.get(simple, simple)
    if kind not in RANKS:
        raise UnsupportedLayerError(
            f"layer {index} is {stored:.120}, which convlayers does not read; it reads {', '.join(sorted(RANKS))}."
        )
    return kind


def _record(kind: str, fields: Mapping[str, Any], where: str) -> LayerRecord:
    rank = RANKS[kind]
    read = _Fields(fields, where)
    size = read.integers(JSON_KEYS["size"])
    if size is not None and len(size) == 1 and rank > 1:  # the alpha dialect's scalar
        size = size * rank
    if kind == "Upsampling1D" and size is not None and len(size) == 2 and size[0] == size[1]:
        size = size[:1]  # stored internally as {s, s}
    data_format = next((fields[key] for key in _FORMAT_KEYS if isinstance(fields.get(key), str)), None)
    activation, activation_args = _function(fields.get("activationFn"), "Activation", where, "activation")
    loss, loss_args = _function(fields.get("lossFn"), "Loss", where, "loss") if kind in _LOSS_LAYERS else (None, {})
    padding = read.pairs(JSON_KEYS["padding"]) if kind == "SpaceToBatchLayer" else read.integers(JSON_KEYS["padding"])
    keys = JSON_KEYS
    return LayerRecord(
        kind=kind,
        name=read.text(keys["name"]),
        n_in=read.integer(keys["n_in"]),
        n_out=read.integer(keys["n_out"]),
        kernel=read.integers(keys["kernel"]),
        stride=read.integers(keys["stride"]),
        padding=padding,
        dilation=read.integers(keys["dilation"]),
        convolution_mode=read.text(keys["convolution_mode"]),
        activation=activation,
        activation_args=activation_args,
        has_bias=read.flag(keys["has_bias"]),
        depth_multiplier=read.integer(keys["depth_multiplier"]),
        pooling_type=read.text(keys["pooling_type"]),
        pnorm=read.integer(keys["pnorm"]),
        eps=read.number(keys["eps"]),
        avg_pool_include_pad=read.flag(keys["avg_pool_include_pad"]),
        cropping=read.integers(keys["cropping"]),
        size=size,
        blocks=read.integers(BLOCK_KEYS.get(kind, "blockSize")),
        data_format=data_format or DEFAULT_FORMATS[rank],
        loss=loss,
        loss_args=loss_args,
        config=fields,
    )


class _Fields:
    """Typed access to one layer's JSON fields; a wrong type is a :class:`ConfigurationError` naming the field."""

    def __init__(self, fields: Mapping[str, Any], where: str) -> None:
        self.fields, self.where = fields, where

    def _wrong(self, key: str, expected: str) -> ConfigurationError:
        return ConfigurationError(f"{self.where}: '{key}' must be {expected}. Received {self.fields[key]!r:.80}.")

    def integer(self, key: str) -> int | None:
        value = self.fields.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self._wrong(key, "a non-negative integer")
        return value

    def integers(self, key: str) -> tuple[int, ...] | None:
        value = self.fields.get(key)
        if value is None:
            return None
        value = [value] if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(value, list) or not value or len(value) > 6 or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value
        ):
            raise self._wrong(key, "a non-negative integer or a list of 1 to 6 of them")
        return tuple(value)

    def pairs(self, key: str) -> tuple[tuple[int, ...], ...] | None:
        value = self.fields.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not 1 <= len(value) <= 3 or not all(
            isinstance(row, list) and 1 <= len(row) <= 2 and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in row)
            for row in value
        ):
            raise self._wrong(key, "a list of lists of non-negative integers")
        return tuple(tuple(row) for row in value)

    def text(self, key: str) -> str | None:
        value = self.fields.get(key)
        if value is not None and not isinstance(value, str):
            raise self._wrong(key, "a string")
        return value

    def flag(self, key: str) -> bool | None:
        value = self.fields.get(key)
        if value is not None and not isinstance(value, bool):
            raise self._wrong(key, "true or false")
        return value

    def number(self, key: str) -> float | None:
        value = self.fields.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._wrong(key, "a number")
        return float(value)


def _function(value: Any, prefix: str, where: str, what: str) -> tuple[str | None, dict[str, Any]]:
    """(name, settings) of an activation or loss in either dialect: ``{"@class": "...ActivationReLU"}`` or ``{"ReLU": {}}``."""
    if value is None:
        return None, {}
    if isinstance(value, Mapping) and isinstance(value.get(_CLASS), str):
        simple = value[_CLASS].rsplit(".", 1)[-1]
        name = simple[len(prefix):] if simple.startswith(prefix) else simple
        settings = {k: v for k, v in value.items() if k != _CLASS}
    elif isinstance(value, Mapping) and len(value) == 1 and isinstance(next(iter(value.values())), Mapping):
        (name, settings), = value.items()
        settings = dict(settings)
    else:
        raise ConfigurationError(f"{where}: its {what} is {value!r:.80}, neither an '@class' record nor a wrapper object.")
    if what == "activation":
        known = _ACTIVATIONS.get(name.lower())
        if known is None:
            raise ConfigurationError(f"{where}: activation {name!r:.60} is not one convlayers reads ({', '.join(sorted(set(_ACTIVATIONS.values())))}).")
        return known, settings
    if name not in _LOSSES:
        raise ConfigurationError(f"{where}: loss {name!r:.60} is not one convlayers reads ({', '.join(sorted(_LOSSES))}).")
    return name, settings


def _preprocessors(value: Any, count: int) -> dict[int, PreprocessorRecord]:
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"'inputPreProcessors' must be an object of layer index -> preprocessor. Received {value!r:.80}.")
    records = {}
    for key, spec in value.items():
        if not (isinstance(key, str) and key.isdigit() and int(key) < count):
            raise ConfigurationError(f"'inputPreProcessors' names layer {key!r:.20}; the network has layers 0 to {count - 1}.")
        if isinstance(spec, Mapping) and isinstance(spec.get(_CLASS), str):
            kind, fields = spec[_CLASS].rsplit(".", 1)[-1], {k: v for k, v in spec.items() if k != _CLASS}
        elif isinstance(spec, Mapping) and len(spec) == 1 and isinstance(next(iter(spec.values())), Mapping):
            (wrapper, fields), = spec.items()
            kind = _PREPROCESSORS.get(wrapper, wrapper)
        else:
            raise ConfigurationError(f"'inputPreProcessors' entry {key}: {spec!r:.80} is neither an '@class' record nor a wrapper object.")
        records[int(key)] = PreprocessorRecord(kind, dict(fields))
    return records
