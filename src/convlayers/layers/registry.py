"""Layer classes by Keras class name, for rebuilding models from configs.

The table is every ``Layer`` class exported by :mod:`convlayers.layers` under each name it
is exported as (the package exports Keras's aliases too, so ``Convolution2D`` finds
``Conv2D`` and ``MaxPool2D`` finds ``MaxPooling2D``), plus classes registered with
:func:`register_layer_class`. Keras's custom objects come first: a name registered with
``register_keras_serializable`` (``"package>Name"``), put in ``get_custom_objects()``, or
given to an open ``custom_object_scope`` (``load_model(custom_objects=...)``) finds its
class (:mod:`convlayers.object_registration`). It is read from the package on first use, so layers added
to the package later are found without touching this file, and once: loading a model
looks up every layer's class.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

from .. import object_registration
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
    custom = _custom_object(class_name)
    if custom is not None:
        return custom
    if class_name in _custom:
        return _custom[class_name]
    exported = _exported()
    if class_name not in exported:
        raise ValueError(
            f"Unknown layer class {class_name!r}. Known classes: {', '.join(sorted(exported | _custom))}. "
            f"Register a custom layer with @convlayers.saving.register_keras_serializable() or "
            f"convlayers.layers.register_layer_class(cls), or pass it in `custom_objects`. Received: class_name={class_name!r}."
        )
    return exported[class_name]


def _custom_object(name: str) -> type[Layer] | None:
    """The layer class Keras's custom-object registry or an open scope gives ``name``, if any."""
    found = object_registration.get_registered_object(name)
    return found if inspect.isclass(found) and issubclass(found, Layer) else None


def is_builtin(cls: type) -> bool:
    """Whether ``cls`` is one of convlayers' own layer classes (not a user's custom class).

    >>> from convlayers import Dense
    >>> is_builtin(Dense)
    True
    """
    return cls in _exported().values()


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
    cls = type(layer)
    if is_builtin(cls) or hasattr(cls, "serialized_module"):
        # A dialect's layer names its package, so that its own vocabulary rebuilds it.
        module, registered = getattr(cls, "serialized_module", "keras.layers"), None
    else:
        # A custom class, as Keras writes one: its registered name, and no module once registered.
        registered = object_registration.get_registered_name(cls)
        module = None if object_registration.is_registered(cls) else cls.__module__
    return {
        "module": module,
        "class_name": cls.__name__,
        "config": layer.get_config(),
        "registered_name": registered,
        "build_config": None if build_shape is None else {"input_shape": build_shape},
    }


def lookup_name(class_name: str, registered_name: Any = None) -> str:
    """The name a config entry's class is found by: its ``registered_name`` when that is known, else ``class_name``.

    Keras writes ``"package>Name"`` for a registered class; ``custom_objects`` may give the
    class under either name.

    >>> lookup_name("Dense", "Unknown>Dense")
    'Dense'
    """
    known = isinstance(registered_name, str) and (_custom_object(registered_name) is not None or registered_name in _custom)
    return registered_name if known else class_name


def deserialize_layer(entry: dict[str, Any]) -> Layer:
    """A new layer from a config entry ``{"class_name": ..., "config": {...}}`` (Keras 2 or 3).

    An entry's ``build_config`` (Keras 3) builds the layer for that input shape. A custom
    class is found by the entry's ``registered_name`` (``"package>Name"``), else its class name.

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
        layer = get_layer_class(lookup_name(entry["class_name"], entry.get("registered_name"))).from_config(dict(entry.get("config") or {}))
    build_config = entry.get("build_config")
    if build_config and build_config.get("input_shape") is not None and not layer.built:
        layer.build(build_config["input_shape"])
    return layer
