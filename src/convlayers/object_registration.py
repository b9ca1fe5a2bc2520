"""Keras's custom-object registry: ``register_keras_serializable``, ``custom_object_scope`` and their look-ups.

A custom layer class is found by the name a config or a model file gives it: Keras writes
``"registered_name": "package>Name"`` for a class decorated with
:func:`register_keras_serializable`, and the class name otherwise. Names resolve, in
Keras's order, through the active :class:`CustomObjectScope` (innermost last wins, as
``load_model(custom_objects=...)`` opens one), then the global registry
(:func:`get_custom_objects`), then the ``custom_objects``/``module_objects`` passed in.
:func:`convlayers.layers.get_layer_class` asks this registry before its built-in table.

This module imports nothing of convlayers, so the layer registry can build on it.

>>> class Twice:
...     def get_config(self): return {}
>>> with custom_object_scope({"Twice": Twice}):
...     get_registered_object("Twice") is Twice
True
>>> get_registered_object("Twice") is None
True
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Mapping

__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "register_keras_serializable",
]

# name -> object (what get_custom_objects returns, and users may write into, as in Keras).
_GLOBAL_OBJECTS: dict[str, Any] = {}
# object -> the name register_keras_serializable gave it.
_GLOBAL_NAMES: dict[Any, str] = {}
# Each thread's stack of open scopes' dicts (Keras keeps its scope per thread too).
_scopes = threading.local()


def _scope_stack() -> list[dict[str, Any]]:
    if not hasattr(_scopes, "stack"):
        _scopes.stack = []
    return _scopes.stack


class CustomObjectScope:
    """A context in which the given ``{name: object}`` dicts are visible to deserialization (Keras's).

    ``custom_object_scope`` is the same class. Scopes nest; inside, names resolve to the
    latest dict that has them, then to the global registry.

    Args:
        *custom_objects: dicts of ``{name: class or function}`` (``None`` entries are skipped).

    >>> class Tanh2:
    ...     def get_config(self): return {}
    >>> with CustomObjectScope({"Tanh2": Tanh2}) as scope:
    ...     get_registered_object("Tanh2").__name__
    'Tanh2'
    """

    def __init__(self, *custom_objects: Mapping[str, Any] | None) -> None:
        merged: dict[str, Any] = {}
        for objects in custom_objects:
            if objects is None:
                continue
            if not isinstance(objects, Mapping):
                raise TypeError(
                    f"CustomObjectScope: each argument must be a dict of {{name: object}}. Received: {objects!r} "
                    f"of type {type(objects).__name__}."
                )
            merged.update(objects)
        self.custom_objects = merged

    def __enter__(self) -> "CustomObjectScope":
        _scope_stack().append(self.custom_objects)
        return self

    def __exit__(self, *exc: Any) -> None:
        _scope_stack().pop()


custom_object_scope = CustomObjectScope


def get_custom_objects() -> dict[str, Any]:
    """The global ``{registered name: object}`` dict (Keras's); writing into it registers objects.

    >>> class Halve:
    ...     def get_config(self): return {}
    >>> get_custom_objects()["Halve"] = Halve
    >>> get_registered_object("Halve") is Halve
    True
    >>> del get_custom_objects()["Halve"]
    """
    return _GLOBAL_OBJECTS


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Callable[[Any], Any]:
    """A decorator registering a class (or function) as ``"package>name"`` (``name`` defaults to its ``__name__``).

    Configs and model files naming that registered name (Keras writes it as a layer's
    ``registered_name``) rebuild the object; a class must have ``get_config``.

    >>> from convlayers.layers import Layer
    >>> @register_keras_serializable(package="Docs")
    ... class Triple(Layer):
    ...     def call(self, x): return 3 * x
    >>> get_registered_name(Triple), get_registered_object("Docs>Triple") is Triple
    ('Docs>Triple', True)
    """
    if not isinstance(package, str) or (name is not None and not isinstance(name, str)):
        raise TypeError(
            f"register_keras_serializable: `package` and `name` must be strings (name may be None). "
            f"Received: package={package!r}, name={name!r}."
        )

    def decorator(obj: Any) -> Any:
        registered_name = f"{package}>{name or obj.__name__}"
        if isinstance(obj, type) and not hasattr(obj, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _GLOBAL_OBJECTS[registered_name] = obj
        _GLOBAL_NAMES[obj] = registered_name
        return obj

    return decorator


def get_registered_name(obj: Any) -> str:
    """The name ``obj`` is registered under, else its ``__name__`` (Keras's ``get_registered_name``).

    >>> get_registered_name(dict)
    'dict'
    """
    if obj in _GLOBAL_NAMES:
        return _GLOBAL_NAMES[obj]
    return obj.__name__


def is_registered(obj: Any) -> bool:
    """Whether :func:`register_keras_serializable` registered ``obj`` (Keras then writes no ``module`` for it).

    >>> is_registered(dict)
    False
    """
    try:
        return obj in _GLOBAL_NAMES
    except TypeError:  # unhashable
        return False


def get_registered_object(
    name: str, custom_objects: Mapping[str, Any] | None = None, module_objects: Mapping[str, Any] | None = None
) -> Any:
    """The object ``name`` refers to, or ``None``: open scopes, then the global registry, then the dicts given.

    >>> get_registered_object("Mystery") is None, get_registered_object("x", custom_objects={"x": 1})
    (True, 1)
    """
    for objects in reversed(_scope_stack()):
        if name in objects:
            return objects[name]
    for objects in (_GLOBAL_OBJECTS, custom_objects, module_objects):
        if objects and name in objects:
            return objects[name]
    return None
