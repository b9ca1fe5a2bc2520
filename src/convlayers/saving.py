"""Keras's ``keras.saving`` (also ``keras.models``): ``load_model``, ``save_model`` and custom objects.

``load_model``/``save_model`` take Keras's signatures over :mod:`convlayers.io`, which does
the work: ``.keras``/``.h5`` files as Keras 3.15 writes them, and convlayers' own
``.safetensors``. Custom layer classes are found through Keras's registry
(:mod:`convlayers.object_registration`: ``register_keras_serializable``,
``custom_object_scope``, ``get_custom_objects``...), re-exported here as in ``keras.saving``;
``serialize_keras_object``/``deserialize_keras_object`` turn layers into Keras's config
dicts and back.

>>> import os, tempfile, numpy as np, convlayers
>>> model = convlayers.Sequential([convlayers.Input((3,)), convlayers.Dense(2)])
>>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
>>> save_model(model, path)
>>> same = load_model(path)
>>> x = np.ones((1, 3), "float32")
>>> bool((same(x) == model(x)).all())
True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torch import nn

from .io import load_model as _load_file
from .io import save_model as _save_file
from .io.container import PathLike
from .object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)

__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "register_keras_serializable",
    "save_model",
    "serialize_keras_object",
]


def load_model(filepath: PathLike, custom_objects: Any = None, compile: bool = True, safe_mode: bool = True) -> nn.Module:
    """The model in ``filepath`` (Keras's ``load_model``): a ``.keras``/``.h5`` Keras file or a ``.safetensors`` one.

    Args:
        filepath: the file.
        custom_objects: ``{name: class}`` for custom layers the file names, by their
            registered name (``"package>Name"``, as Keras writes a registered class) or class
            name; in effect while the model is rebuilt, ahead of the global registry.
        compile: ``True`` (Keras's default): a Keras file's model comes back compiled with the
            settings the file holds (:func:`~convlayers.io.load_keras_model`: the optimizer's
            config but not its state; what convlayers cannot rebuild warns and loads
            uncompiled). ``False``: uncompiled, the settings not even read.
        safe_mode: accepted for Keras's signature; convlayers never runs code from a file
            (a ``Lambda`` layer is refused whatever its value).
    """
    if custom_objects is not None and not isinstance(custom_objects, dict):
        raise TypeError(
            f"load_model(): `custom_objects` must be a dict of {{name: class}}. Received: custom_objects={custom_objects!r}."
        )
    if not isinstance(compile, bool) or not isinstance(safe_mode, bool):
        raise TypeError(f"load_model(): `compile` and `safe_mode` must be bools. Received: compile={compile!r}, safe_mode={safe_mode!r}.")
    with CustomObjectScope(custom_objects):
        return _load_file(filepath, compile=compile)


def save_model(model: nn.Module, filepath: PathLike, overwrite: bool = True) -> None:
    """Save ``model`` (Keras's ``save_model``): the extension picks the format (``.keras``, ``.h5``, ``.safetensors``).

    ``overwrite=False`` refuses an existing file instead of replacing it.
    """
    if not overwrite and Path(filepath).exists():
        raise FileExistsError(f"save_model(): {str(filepath)!r} exists and overwrite=False.")
    _save_file(model, filepath)


def serialize_keras_object(obj: Any) -> Any:
    """Keras's config dict for a layer (``module``, ``class_name``, ``config``, ``registered_name``[, ``build_config``]).

    ``None``, strings, numbers, lists and dicts of them come back as they are; a custom class
    registered with :func:`register_keras_serializable` gets its ``"package>Name"`` and no
    module, as Keras writes it.

    >>> import convlayers
    >>> entry = serialize_keras_object(convlayers.Dense(2, name="d"))
    >>> entry["module"], entry["class_name"], entry["registered_name"], "build_config" in entry
    ('keras.layers', 'Dense', None, False)
    """
    from .layers import Layer, serialize_layer

    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, Layer):
        entry = serialize_layer(obj)
        if entry["build_config"] is None:
            del entry["build_config"]  # Keras writes one only for a built layer
        return entry
    raise TypeError(
        f"serialize_keras_object: convlayers serializes layers (and plain values). Received: {obj!r} of type "
        f"{type(obj).__name__}."
    )


def deserialize_keras_object(config: Any, custom_objects: dict[str, Any] | None = None, safe_mode: bool = True, **kwargs: Any) -> Any:
    """The layer a :func:`serialize_keras_object` dict describes; ``custom_objects`` name custom classes.

    Plain values (``None``, strings, numbers) come back as they are, as in Keras.

    >>> deserialize_keras_object({"class_name": "Dense", "config": {"units": 3}, "module": "keras.layers"}).units
    3
    >>> deserialize_keras_object({"class_name": "Zzz", "config": {}, "module": None})
    Traceback (most recent call last):
    ...
    TypeError: Could not locate class 'Zzz'. Make sure custom classes are decorated with `@convlayers.saving.register_keras_serializable()` or passed in `custom_objects`. Full object config: {'class_name': 'Zzz', 'config': {}, 'module': None}
    """
    from .layers import deserialize_layer, get_layer_class

    if config is None or isinstance(config, (str, int, float, bool)):
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(f"deserialize_keras_object: expected a dict with a 'class_name'. Received: {config!r}.")
    with CustomObjectScope(custom_objects):
        for name in (config.get("registered_name"), config["class_name"]):
            try:
                get_layer_class(name)
                break
            except (TypeError, ValueError):
                continue
        else:
            raise TypeError(
                f"Could not locate class {config['class_name']!r}. Make sure custom classes are decorated with "
                f"`@convlayers.saving.register_keras_serializable()` or passed in `custom_objects`. Full object "
                f"config: {config}"
            )
        return deserialize_layer(config)
