"""How a DL4J layer class speaks: its settings table, its ``Builder``, its parameters, over a core layer.

A DL4J class is a core class (``ConvolutionLayer`` is a :class:`~convlayers.Conv2D`)
with :class:`DL4JLayer` in front. The class declares ``settings`` (DL4J's setter
names, each with a default and a normaliser), the ``Builder`` constructor overloads
(``positional``) and ``translate(values)`` -> the core's keywords; its parameters
(``params``: DL4J key, core weight name, DL4J layout) are shown in DL4J's layouts.

The entry point for anything that has DL4J's settings (a ``configuration.json``
parser): ``LayerClass(**settings)`` / ``LayerClass.from_dl4j(settings)``, with the
setter names as keys; a setting left out (or ``None``) takes the network's global
value, else DL4J's default.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from numbers import Integral, Real
from typing import Any, Callable, ClassVar, Mapping

import numpy as np

from .. import initializers, regularizers
from ..layers.spec import WeightSpec
from ..layers.weights import Composed, Permuted, Reshaped, WeightLayout
from .enums import Activation, ConvolutionMode, WeightInit, enum_value
from .errors import DL4JInvalidInputException
from .initializers import Fans, WeightInitializer

#: What DL4J's global ``NeuralNetConfiguration.Builder`` gives a layer that sets none (reference 2.0).
GLOBAL_DEFAULTS: dict[str, Any] = {
    "convolutionMode": ConvolutionMode.Truncate,
    "activation": Activation.SIGMOID,
    "weightInit": WeightInit.XAVIER,
    "biasInit": 0.0,
    "l2": 0.0,
}


@dataclass(frozen=True)
class Setting:
    """One DL4J setting: its default (``None``: inherited from the network, else :data:`GLOBAL_DEFAULTS`) and
    ``normalize(value, name, owner) -> canonical value``."""

    default: Any = None
    normalize: Callable[[Any, str, str], Any] = lambda value, name, owner: value


def _is_int(value: Any) -> bool:
    return isinstance(value, (Integral, np.integer)) and not isinstance(value, bool)


def ints(*counts: int, expand: Mapping[int, Callable[[tuple[int, ...]], tuple[int, ...]]] | None = None,
         positive: bool = False) -> Callable[[Any, str, str], tuple[int, ...]]:
    """A normaliser of int arrays of ``counts`` values (``expand``: a count -> the full form), ``>= 0``
    (``positive``: ``> 0``), with DL4J's messages.

    >>> ints(1, 3, expand={1: lambda v: v * 3})(2, "kernelSize", "Convolution3D")
    (2, 2, 2)
    >>> ints(2)((3, 3, 3), "kernelSize", "ConvolutionLayer")
    Traceback (most recent call last):
    ...
    ValueError: ConvolutionLayer: Need 2 kernelSize values, got 3 values: [3, 3, 3]
    """
    expand = dict(expand or {})

    def normalize(value: Any, name: str, owner: str) -> tuple[int, ...]:
        values = (value,) if _is_int(value) else tuple(value) if isinstance(value, (tuple, list, np.ndarray)) else None
        if values is None or not all(_is_int(v) for v in values):
            raise TypeError(f"{owner}: `{name}` takes ints. Received {name}={value!r}.")
        values = tuple(int(v) for v in values)
        if len(values) not in counts:
            need = " or ".join(map(str, counts)) if len(counts) < 3 else ", ".join(map(str, counts[:-1])) + f", or {counts[-1]}"
            raise ValueError(f"{owner}: Need {'either ' if len(counts) > 1 else ''}{need} {name} values, got "
                             f"{len(values)} values: {list(values)}")
        if any(v < 0 or (positive and v == 0) for v in values):
            bound = "> 0" if positive else ">= 0"
            raise ValueError(f"{owner}: Values for {name} must be {bound}, got: {list(values)}")
        return expand[len(values)](values) if len(values) in expand else values

    return normalize


def enum(cls: type[Enum]) -> Callable[[Any, str, str], Any]:
    """A normaliser of a DL4J enum setting (a member or DL4J's spelling)."""
    return lambda value, name, owner: enum_value(cls, value, name, owner)


def number(value: Any, name: str, owner: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (Real, np.number)):
        raise TypeError(f"{owner}: `{name}` takes a number. Received {name}={value!r}.")
    return float(value)


def count(value: Any, name: str, owner: str) -> int | None:
    if value is None:
        return None
    if not _is_int(value) or value <= 0:
        raise ValueError(f"{owner}: `{name}` must be an int > 0. Received {name}={value!r}.")
    return int(value)


def flag(value: Any, name: str, owner: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: `{name}` takes True or False. Received {name}={value!r}.")
    return bool(value)


#: Settings every weighted layer has, inherited from the network where unset.
WEIGHT_SETTINGS = {
    "nIn": Setting(None, count),
    "nOut": Setting(None, count),
    "activation": Setting(None, enum(Activation)),
    "weightInit": Setting(None, enum(WeightInit)),
    "biasInit": Setting(None, number),
    "l2": Setting(None, number),
    "hasBias": Setting(True, flag),
}


@dataclass(frozen=True)
class Param:
    """One DL4J parameter: its key (``W``, ``b``, ``pW``), the core weight it is, its DL4J layout
    (``layout(core_shape) -> (dl4j_shape, dl4j->core WeightLayout or None)``), its ``Fans`` and the order
    (``'C'``/``'F'``) of its segment of the flattened parameter vector."""

    key: str
    core_name: str
    layout: Callable[[tuple[int, ...]], tuple[tuple[int, ...], WeightLayout | None]] = lambda shape: (shape, None)
    order: str = "C"


def permuted(axes: tuple[int, ...]) -> Callable[[tuple[int, ...]], tuple[tuple[int, ...], WeightLayout]]:
    """A DL4J layout whose axes permuted by ``axes`` give the core's (Keras) layout."""
    def layout(shape: tuple[int, ...]) -> tuple[tuple[int, ...], WeightLayout]:
        to_core = Permuted(axes)
        return to_core.framework_shape(shape), to_core
    return layout


def reshaped(dl4j_shape: Callable[[tuple[int, ...]], tuple[int, ...]]) -> Callable[[tuple[int, ...]], tuple[tuple[int, ...], WeightLayout]]:
    """A DL4J shape over the core's buffer (the same elements in the same C order)."""
    def layout(shape: tuple[int, ...]) -> tuple[tuple[int, ...], WeightLayout]:
        return dl4j_shape(shape), Reshaped(dl4j_shape(shape), shape)
    return layout


class Builder:
    """DL4J's fluent builder: ``Builder(*overload)``, a setter per setting (``.kernelSize(3, 3)``), ``.build()``.

    Each DL4J layer class has its own ``Builder`` subclass (made by :class:`DL4JLayer`), whose setters are
    the class's settings; a setter with several values stores them as a tuple.
    """

    layer: ClassVar[type["DL4JLayer"]]

    def __init__(self, *args: Any) -> None:
        self.values: dict[str, Any] = dict(self.layer.positional(args))

    def build(self) -> "DL4JLayer":
        """The layer the settings describe."""
        return self.layer(**self.values)


def _setter(name: str) -> Callable[..., Builder]:
    def set_value(self: Builder, *values: Any) -> Builder:
        if not values:
            raise TypeError(f"{self.layer.__name__}.Builder.{name}() needs a value.")
        self.values[name] = values[0] if len(values) == 1 else values
        return self
    set_value.__name__ = name
    set_value.__doc__ = f"Set ``{name}``; returns the builder."
    return set_value


class DL4JLayer:
    """Mixin: a core layer class spoken in DL4J. See the module docstring.

    Subclasses set ``settings`` (``{name: Setting}``), ``params`` (in DL4J's flattened order), ``input_kind``
    (``'cnn'``, ``'cnn3d'``, ``'rnn'``, ``'ff'``: what :mod:`.configuration` feeds the layer) and implement
    ``translate``; ``positional(args)`` maps ``Builder(*args)`` to settings.
    """

    settings: ClassVar[dict[str, Setting]] = {}
    params: ClassVar[tuple[Param, ...]] = ()
    input_kind: ClassVar[str] = "cnn"
    Builder: ClassVar[type[Builder]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        members = {name: _setter(name) for name in ("name", *cls.settings)}
        cls.Builder = type("Builder", (Builder,), {"layer": cls, "__qualname__": f"{cls.__name__}.Builder", **members})

    def __init__(self, name: str | None = None, **settings: Any) -> None:
        owner = type(self).__name__
        unknown = sorted(set(settings) - set(self.settings))
        if unknown:
            raise TypeError(f"{owner}: unknown settings {unknown}; {owner} has {', '.join(self.settings)}.")
        #: The settings given (the others are inherited from the network, or DL4J's defaults).
        self.dl4j_settings = {key: value for key, value in settings.items() if value is not None}
        values = {}
        for key, setting in self.settings.items():
            value = self.dl4j_settings.get(key, setting.default)
            if value is None:
                value = GLOBAL_DEFAULTS.get(key)
            values[key] = None if value is None else setting.normalize(value, key, owner)
        self.dl4j = values
        self.check(values, owner)
        super().__init__(name=name, **self.translate(values))  # type: ignore[call-arg]

    @classmethod
    def from_dl4j(cls, settings: Mapping[str, Any]) -> "DL4JLayer":
        """The layer of DL4J ``settings`` (setter names as keys, ``name`` too; missing: inherited/default)."""
        return cls(**settings)

    def with_network(self, inherited: Mapping[str, Any], **resolved: Any) -> "DL4JLayer":
        """This layer as a network configures it: ``inherited`` (the global settings) where it sets none,
        ``resolved`` (``nIn`` from the input type) always."""
        mine = {key: value for key, value in inherited.items() if key in self.settings and value is not None}
        return type(self)(name=self.name, **{**mine, **self.dl4j_settings, **resolved})  # type: ignore[attr-defined]

    @classmethod
    def positional(cls, args: tuple[Any, ...]) -> dict[str, Any]:
        """The settings of ``Builder(*args)``."""
        if args:
            raise TypeError(f"{cls.__name__}.Builder() takes no arguments. Received {args!r}.")
        return {}

    def check(self, values: dict[str, Any], owner: str) -> None:
        """Refuse settings DL4J's ``build()`` refuses."""

    def translate(self, values: dict[str, Any]) -> dict[str, Any]:
        """The core constructor's keywords for the resolved DL4J ``values``."""
        raise NotImplementedError

    # -- weights in DL4J's layouts ---------------------------------------------------------------
    def weight_options(self, values: dict[str, Any], fans: Mapping[str, Fans]) -> dict[str, Any]:
        """The core's initializer and regularizer keywords: ``weightInit`` with each role's DL4J ``fans``,
        ``biasInit`` for the bias, ``l2`` (DL4J's ``0.5 * l2 * sum(w^2)``) on the weights only."""
        l2 = values["l2"]
        options: dict[str, Any] = {"bias_initializer": initializers.Constant(values["biasInit"])}
        for role, role_fans in fans.items():
            options[f"{role}_initializer"] = WeightInitializer(values["weightInit"], role_fans)
            options[f"{role}_regularizer"] = regularizers.L2(l2 / 2) if l2 else None
        return options

    def dialect_weight(self, weight: WeightSpec) -> WeightSpec:
        param = self._param(core_name=weight.name)
        shape, to_core = param.layout(weight.keras_shape)
        layout = weight.layout if to_core is None else Composed(to_core, weight.layout)
        return WeightSpec(weight.role, weight.name, shape, layout)

    def _param(self, *, key: str | None = None, core_name: str | None = None) -> Param:
        for param in self.params:
            if param.key == key or param.core_name == core_name:
                return param
        keys = [param.key for param in self.params]
        raise ValueError(f"{type(self).__name__} {self.name!r} has no parameter {key!r}; its parameters are {keys}.")  # type: ignore[attr-defined]

    def present_params(self) -> list[Param]:
        """The DL4J parameters this built layer has, in DL4J's flattened order (no ``b`` without a bias)."""
        built = {weight.name for weight in self.weight_specs}  # type: ignore[attr-defined]
        return [param for param in self.params if param.core_name in built]

    def getParam(self, key: str) -> np.ndarray:
        """Parameter ``key`` (``'W'``, ``'b'``, ``'pW'``) in DL4J's layout."""
        param = self._param(key=key)
        weights = dict(zip((w.name for w in self.weight_specs), self.get_weights()))  # type: ignore[attr-defined]
        if param.core_name not in weights:
            raise ValueError(f"{type(self).__name__} {self.name!r}: parameter {key!r} does not exist (not built, or no bias).")  # type: ignore[attr-defined]
        return weights[param.core_name]

    def setParam(self, key: str, value: Any) -> None:
        """Set parameter ``key`` from an array in DL4J's layout."""
        param = self._param(key=key)
        names = [w.name for w in self.weight_specs]  # type: ignore[attr-defined]
        weights = self.get_weights()  # type: ignore[attr-defined]
        weights[names.index(param.core_name)] = np.asarray(value, dtype=weights[names.index(param.core_name)].dtype)
        self.set_weights(weights)  # type: ignore[attr-defined]

    def check_channels(self, shape: tuple[int | None, ...], channels_axis: int) -> None:
        """DL4J's refusal of an input whose channels are not ``nIn``."""
        expected, channels = self.dl4j.get("nIn"), shape[channels_axis] if len(shape) > channels_axis else None
        if expected is not None and channels is not None and channels != expected:
            raise DL4JInvalidInputException(
                f"Cannot do forward pass in {type(self).__name__} layer (layer name = {self.name}): input array "  # type: ignore[attr-defined]
                f"channels does not match CNN layer configuration (data input channels = {channels}, input shape "
                f"{list(shape)}; expected input channels = {expected})"
            )
