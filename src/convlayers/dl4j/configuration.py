"""``NeuralNetConfiguration.Builder()`` ... ``.list()`` ... ``.build()``: DL4J's network configuration.

The global settings (``seed``, ``convolutionMode``, ``activation``, ``weightInit``,
``biasInit``, ``l2``, ``updater``) reach every layer that does not set them; with
``setInputType`` each layer's ``nIn`` is inferred (M1: always overwritten) and DL4J's
preprocessors inserted: CNN -> dense flattens each example in its memory order (NCHW:
channels, rows, cols), ``convolutionalFlat`` rows are reshaped to NCHW images. Shape
errors are raised here, as DL4J's ``setInputType`` raises them.

>>> from convlayers import dl4j
>>> conf = (dl4j.NeuralNetConfiguration.Builder().seed(1).activation(dl4j.Activation.RELU).list()
...         .layer(dl4j.ConvolutionLayer.Builder(5, 5).nOut(20).build())
...         .layer(dl4j.SubsamplingLayer.Builder(dl4j.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
...         .layer(dl4j.OutputLayer.Builder(dl4j.LossFunction.MCXENT).nOut(10).activation(dl4j.Activation.SOFTMAX).build())
...         .setInputType(dl4j.InputType.convolutionalFlat(28, 28, 1)).build())
>>> [layer.dl4j["nIn"] for layer in conf.layers if "nIn" in layer.dl4j], conf.layers[0].dl4j["activation"].value
([1, 2880], 'RELU')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .. import layers as core
from .enums import Activation, CNN2DFormat, ConvolutionMode, WeightInit, enum_value
from .errors import DL4JException, DL4JInvalidConfigException
from .input_types import InputType
from .modes import check_strict
from .translation import DL4JLayer
from .updaters import Sgd


class CnnToFeedForwardPreProcessor(core.Reshape):
    """DL4J's ``CnnToFeedForwardPreProcessor``: each example flattened in its memory order (NCHW: c, h, w).

    ``(inputHeight, inputWidth, numChannels)``, as DL4J's constructor takes them, fix the flat size,
    so the layers after it build before the spatial sizes are known (a loaded network).
    """

    def __init__(self, height: int | None = None, width: int | None = None, channels: int | None = None, **kwargs: Any) -> None:
        sizes = (height, width, channels)
        #: ``(inputHeight, inputWidth, numChannels)``, what ``configuration.json`` stores (``None``: unknown).
        self.sizes = None if None in sizes else sizes
        super().__init__((-1,) if None in sizes else (height * width * channels,), **kwargs)  # type: ignore[operator]


class FeedForwardToCnnPreProcessor(core.Reshape):
    """DL4J's ``FeedForwardToCnnPreProcessor(h, w, c)``: rows of ``c*h*w`` values as NCHW images."""

    def __init__(self, height: int, width: int, channels: int, **kwargs: Any) -> None:
        #: ``(inputHeight, inputWidth, numChannels)``, what ``configuration.json`` stores.
        self.sizes = (height, width, channels)
        super().__init__((channels, height, width), **kwargs)


@dataclass
class MultiLayerConfiguration:
    """A built configuration: the layers as the network sets them, the preprocessors before them (by layer
    index), the input type (``None``: shapes known on the first call) and each layer's output type."""

    layers: list[DL4JLayer]
    preprocessors: dict[int, core.Layer] = field(default_factory=dict)
    input_type: InputType | None = None
    output_types: list[InputType] = field(default_factory=list)
    seed: int | None = None
    updater: Any = Sgd()

    def __post_init__(self) -> None:
        if not self.layers:
            raise DL4JInvalidConfigException("MultiLayerConfiguration: no layers (add them with .layer(...)).")


class NeuralNetConfiguration:
    """DL4J's ``NeuralNetConfiguration``; use its :class:`Builder`."""

    class Builder:
        """Global settings, then ``.list()``."""

        def __init__(self) -> None:
            self.globals: dict[str, Any] = {}
            self._seed: int | None = None
            self._updater: Any = Sgd()

        def seed(self, seed: int) -> "NeuralNetConfiguration.Builder":
            self._seed = int(seed)
            return self

        def updater(self, updater: Any) -> "NeuralNetConfiguration.Builder":
            self._updater = updater
            return self

        def convolutionMode(self, mode: Any) -> "NeuralNetConfiguration.Builder":
            self.globals["convolutionMode"] = enum_value(ConvolutionMode, mode, "convolutionMode", "NeuralNetConfiguration")
            return self

        def activation(self, value: Any) -> "NeuralNetConfiguration.Builder":
            self.globals["activation"] = enum_value(Activation, value, "activation", "NeuralNetConfiguration")
            return self

        def weightInit(self, value: Any) -> "NeuralNetConfiguration.Builder":
            self.globals["weightInit"] = enum_value(WeightInit, value, "weightInit", "NeuralNetConfiguration")
            return self

        def biasInit(self, value: float) -> "NeuralNetConfiguration.Builder":
            self.globals["biasInit"] = float(value)
            return self

        def l2(self, value: float) -> "NeuralNetConfiguration.Builder":
            self.globals["l2"] = float(value)
            return self

        def list(self) -> "ListBuilder":
            return ListBuilder(self)


class ListBuilder:
    """``.layer(layer)`` (or ``.layer(index, layer)``), ``.inputPreProcessor(index, p)``, ``.setInputType(t)``, ``.build()``."""

    def __init__(self, network: NeuralNetConfiguration.Builder) -> None:
        self.network = network
        self.layers: list[DL4JLayer] = []
        self.preprocessors: dict[int, core.Layer] = {}
        self.input_type: InputType | None = None

    def layer(self, *args: Any) -> "ListBuilder":
        index, layer = (len(self.layers), args[0]) if len(args) == 1 else args
        if not isinstance(layer, DL4JLayer):
            raise TypeError(f"ListBuilder.layer: expected a convlayers.dl4j layer (Builder(...).build()). Received {layer!r}.")
        if index != len(self.layers):
            raise ValueError(f"ListBuilder.layer: layers are added in order; expected index {len(self.layers)}, got {index}.")
        self.layers.append(layer)
        return self

    def inputPreProcessor(self, index: int, preprocessor: core.Layer) -> "ListBuilder":
        self.preprocessors[index] = preprocessor
        return self

    def setInputType(self, input_type: InputType) -> "ListBuilder":
        self.input_type = input_type
        return self

    def build(self) -> MultiLayerConfiguration:
        """Resolve every layer's settings (globals, ``nIn``, data format) and, with an input type, its shapes."""
        inherited = self.network.globals
        if self.input_type is None:
            layers = [layer.with_network(inherited) for layer in self.layers]
            return MultiLayerConfiguration(layers, dict(self.preprocessors), None, [], self.network._seed, self.network._updater)
        layers, preprocessors, types = [], dict(self.preprocessors), []
        current = self.input_type
        if current.kind == "cnnflat":
            preprocessors.setdefault(0, FeedForwardToCnnPreProcessor(*current.sizes))
            current = InputType.convolutional(*current.sizes)
        for index, layer in enumerate(self.layers):
            current = _preprocess(index, layer, current, preprocessors)
            resolved = _resolve(index, layer, current, inherited)
            current = _output_type(index, resolved, current)
            layers.append(resolved)
            types.append(current)
        return MultiLayerConfiguration(layers, preprocessors, self.input_type, types, self.network._seed, self.network._updater)


def _where(index: int, layer: Any) -> str:
    return f"layer {index} (name={layer.name}, type={type(layer).__name__})"


def _preprocess(index: int, layer: DL4JLayer, current: InputType, preprocessors: dict[int, core.Layer]) -> InputType:
    """The preprocessor DL4J inserts before ``layer`` (if the user set none), and the type after it."""
    wanted = layer.input_kind
    if index in preprocessors:
        shape = preprocessors[index].compute_output_shape(current.shape)
        return InputType.of_shape("ff" if len(shape) == 2 else current.kind, shape, current.format)
    if wanted == "ff" and current.kind in ("cnn", "cnn3d"):
        # DL4J's CnnToFeedForwardPreProcessor records NCHW sizes (a saved network needs them); other layouts
        # flatten here too, but DL4J has no sizes of theirs to record.
        nchw = current.kind == "cnn" and current.format is CNN2DFormat.NCHW
        preprocessors[index] = CnnToFeedForwardPreProcessor(*current.sizes) if nchw else CnnToFeedForwardPreProcessor()
        return InputType.feedForward(math.prod(current.sizes))
    if wanted != current.kind:
        raise DL4JInvalidConfigException(
            f"Invalid input for {_where(index, layer)}: Expected {wanted.upper()} input, got {current.kind.upper()} "
            f"input type {current}."
        )
    return current


def _resolve(index: int, layer: DL4JLayer, current: InputType, inherited: dict[str, Any]) -> DL4JLayer:
    """``layer`` with the network's settings: globals where unset, ``nIn`` and the data format from ``current``."""
    resolved: dict[str, Any] = {}
    if "nIn" in layer.settings:
        resolved["nIn"] = current.channels
    fmt = getattr(layer, "format_setting", "dataFormat")
    if fmt in layer.settings and current.format is not None and fmt not in layer.dl4j_settings:
        resolved[fmt] = current.format
    try:
        return layer.with_network(inherited, **resolved)
    except DL4JException:
        raise
    except ValueError as error:
        raise DL4JInvalidConfigException(f"Invalid configuration for {_where(index, layer)}: {error}") from None


def _output_type(index: int, layer: DL4JLayer, current: InputType) -> InputType:
    """The layer's output type, with DL4J's Strict refusal and every shape error as ``DL4JInvalidConfigException``."""
    values = layer.dl4j
    if values.get("convolutionMode") is ConvolutionMode.Strict and getattr(layer, "enforce_strict", False) \
            and "kernelSize" in values and getattr(layer, "same_takes_no_padding", True):
        check_strict(current.sizes[:-1], values["kernelSize"], values["stride"], values["dilation"], values["padding"],
                     _where(index, layer))
    try:
        shape = layer.compute_output_shape(current.shape)  # type: ignore[attr-defined]
    except DL4JException:
        raise
    except ValueError as error:
        raise DL4JInvalidConfigException(f"Invalid configuration for {_where(index, layer)}: {error}") from None
    if len(shape) == 2:
        return InputType.of_shape("ff", shape, None)
    fmt = values.get(getattr(layer, "format_setting", "dataFormat"), current.format)
    return InputType.of_shape(current.kind, shape, fmt)
