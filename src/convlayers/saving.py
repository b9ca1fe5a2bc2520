"""Keras's ``keras.saving`` (also ``keras.models``) entry points: ``load_model`` and ``save_model``.

They take Keras's signatures over :mod:`convlayers.io`, which does the work: ``.keras``/``.h5``
files as Keras 3.15 writes them, and convlayers' own ``.safetensors``.

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


def load_model(filepath: PathLike, custom_objects: Any = None, compile: bool = True, safe_mode: bool = True) -> nn.Module:
    """The model in ``filepath`` (Keras's ``load_model``): a ``.keras``/``.h5`` Keras file or a ``.safetensors`` one.

    Args:
        filepath: the file.
        custom_objects: must be ``None``: a Keras custom class is a convlayers layer class,
            registered once with :func:`convlayers.layers.register_layer_class`.
        compile: ``True`` (Keras's default): a Keras file's model comes back compiled with the
            settings the file holds (:func:`~convlayers.io.load_keras_model`: the optimizer's
            config but not its state; what convlayers cannot rebuild warns and loads
            uncompiled). ``False``: uncompiled, the settings not even read.
        safe_mode: accepted for Keras's signature; convlayers never runs code from a file
            (a ``Lambda`` layer is refused whatever its value).
    """
    if custom_objects:
        raise ValueError(
            "load_model(): `custom_objects` is not supported: register each custom layer class once with "
            f"convlayers.layers.register_layer_class(cls) instead. Received: custom_objects={custom_objects!r}."
        )
    if not isinstance(compile, bool) or not isinstance(safe_mode, bool):
        raise TypeError(f"load_model(): `compile` and `safe_mode` must be bools. Received: compile={compile!r}, safe_mode={safe_mode!r}.")
    return _load_file(filepath, compile=compile)


def save_model(model: nn.Module, filepath: PathLike, overwrite: bool = True) -> None:
    """Save ``model`` (Keras's ``save_model``): the extension picks the format (``.keras``, ``.h5``, ``.safetensors``).

    ``overwrite=False`` refuses an existing file instead of replacing it.
    """
    if not overwrite and Path(filepath).exists():
        raise FileExistsError(f"save_model(): {str(filepath)!r} exists and overwrite=False.")
    _save_file(model, filepath)
