"""Layer classes by Keras class name, for rebuilding models from configs.

The table is every ``Layer`` class exported by :mod:`convlayers.layers` under each name it
is exported as (the package exports Keras's aliases too, so ``Convolution2D`` finds
``Conv2D`` and ``MaxPool2D`` finds ``MaxPooling2D``), plus classes registered with
:func:`register_layer_class`. It is read from the package on first use, so layers added
to the package later are found without touching this file, and once: loading a model
looks up every layer's class.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

from .base import Layer

_custom: dict[str, type[Layer]] = {}


@functools.cache
def _exported() -> dict[str, type[Layer]]:
    from .. import layers  # the package: read at call time, once every layer module is loaded

    return {
        name: obj
        for name in layers.__all__
        if inspect.isclass(obj := getattr(layers, name)) and issubclass(obj, Layer) and _is_concrete(obj)
    }


def _is_concrete(cls: type[Layer]) -> bool:
    """Not a base: ``Layer`` itself, or an N-d family class (``Conv``) whose rank a subclass pins."""
    from .spatial import SpatialLayer

    return cls is not Layer and (not issubclass(cls, SpatialLayer) or getattr(cls, "rank", None) is not None)


def layer_class_names() -> list[str]:
    """Every class name :func:`get_layer_class` accepts.

    >>> "Conv2D" in layer_class_names() and "Convolution2D" in layer_class_names()
    True
    """
    return sorted(_exported() | _custom)


def get_layer_class(class_name: str) -> type[Layer]:
    """The layer class Keras calls ``class_name`` (as in a config's ``"class_name"``).

    >>> get_layer_class("Convolution2D").__name__
    'Conv2D'
    """
    if not isinstance(class_name, str):
        raise TypeError(f"get_layer_class: `class_name` must be a string. Received: class_name={class_name!r}.")
    if class_name in _custom:
        return _custom[class_name]
    exported = _exported()
    if class_name not in exported:
        raise ValueError(
            f"Unknown layer class {class_name!r}. Known classes: {', '.join(sorted(exported | _custom))}. "
            f"Register a custom layer with convlayers.layers.register_layer_class(cls). "
            f"Received: class_name={class_name!r}."
        )
    return exported[class_name]


def layer_from_spec(spec: Any, **layer_arguments: Any) -> Layer:
    """The layer a canonical spec describes (the class found from the spec's type, kind and rank).

    ``layer_arguments``: what every layer takes besides its spec (``name``, ``dtype``, ``input_shape``...).

    >>> from convlayers.geometry import Strict
    >>> from convlayers import Conv1D
    >>> spec = Conv1D(4, 3, strides=2, padding=Strict(1)).spec
    >>> type(layer_from_spec(spec, name="c")).__name__
    'Conv1D'
    """
    for cls in _exported().values():
        if (
            isinstance(spec, getattr(cls, "spec_type", ()))
            and getattr(spec, "kind", None) == cls.spec_kind
            and getattr(spec, "rank", None) == cls.rank
        ):
            return cls.from_spec(spec, **layer_arguments)
    raise ValueError(f"layer_from_spec: no layer class is described by {spec!r}.")


def register_layer_class(cls: type[Layer], name: str | None = None) -> type[Layer]:
    """Make configs naming ``name`` (default ``cls.__name__``) load as ``cls``; usable as a decorator.

    >>> @register_layer_class
    ... class Doubling(Layer):
    ...     def call(self, x): return 2 * x
    >>> get_layer_class("Doubling") is Doubling
    True
    """
    if not (inspect.isclass(cls) and issubclass(cls, Layer)):
        raise TypeError(f"register_layer_class: expected a subclass of convlayers.layers.Layer. Received: {cls!r}.")
    name = cls.__name__ if name is None else name
    if name in _exported():
        raise ValueError(f"register_layer_class: {name!r} is a built-in layer class name; choose another name.")
    _custom[name] = cls
    return cls


def serialize_layer(layer: Layer) -> dict[str, Any]:
    """Keras 3's entry for a layer in a model config: module, class name, config, build config.

    >>> from convlayers import Dense
    >>> entry = serialize_layer(Dense(2, name="d"))
    >>> entry["class_name"], entry["config"]["units"], entry["build_config"]
    ('Dense', 2, None)
    """
    build_shape = layer.build_input_shape
    return {
        # A dialect's layer names its package, so that its own vocabulary rebuilds it.
        "module": getattr(type(layer), "serialized_module", "keras.layers"),
        "class_name": type(layer).__name__,
        "config": layer.get_config(),
        "registered_name": type(layer).__name__ if type(layer).__name__ in _custom else None,
        "build_config": None if build_shape is None else {"input_shape": build_shape},
    }


def deserialize_layer(entry: dict[str, Any]) -> Layer:
    """A new layer from a config entry ``{"class_name": ..., "config": {...}}`` (Keras 2 or 3).

    An entry's ``build_config`` (Keras 3) builds the layer for that input shape.

    >>> deserialize_layer({"class_name": "Dense", "config": {"units": 3, "name": "out"}}).units
    3
    """
    if not isinstance(entry, dict) or "class_name" not in entry or not isinstance(entry.get("config", {}), dict):
        raise ValueError(
            f"A layer config entry must be a dict with 'class_name' and a 'config' dict. Received: {entry!r}."
        )
    if entry.get("module") == "convlayers.keras1":
        from .. import keras1  # the dialect is built on this package: imported when its entries come

        layer = keras1.layer_from_config(entry)
    else:
        name = entry.get("registered_name") if entry.get("registered_name") in _custom else entry["class_name"]
        layer = get_layer_class(name).from_config(dict(entry.get("config") or {}))
    build_config = entry.get("build_config")
    if build_config and build_config.get("input_shape") is not None and not layer.built:
        layer.build(build_config["input_shape"])
    return layer
