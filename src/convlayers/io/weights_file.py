"""Weights-only files: a model's state_dict, for a model rebuilt in code."""

from __future__ import annotations

from pathlib import Path

from torch import nn

from .atomic import writable_target
from .container import PathLike, as_path, open_file, write_file
from .keras_writer import KERAS_WEIGHTS_SUFFIX, save_keras_weights
from .state import assign_state, check_fits, check_model, state_tensors


def save_weights(model: nn.Module, path: PathLike) -> Path:
    """Save a built model's parameters and buffers (no architecture) to ``path``, atomically.

    The extension chooses the format: ``.safetensors`` (convlayers' own, for any model or
    layer, read by :func:`load_weights`) or ``.weights.h5``, Keras 3's weights file, for a
    ``Sequential`` that Keras can express (:func:`~convlayers.io.keras_writer.save_keras_weights`,
    read by :func:`~convlayers.io.load_keras_weights`); any other is a ``ValueError``.

    >>> import tempfile, convlayers
    >>> layer = convlayers.Conv1D(2, 3)
    >>> layer.build((None, 10, 1))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = save_weights(layer, f"{d}/conv.weights.safetensors")
    ...     twin = convlayers.Conv1D(2, 3)
    ...     twin.build((None, 10, 1))
    ...     load_weights(twin, path)
    >>> all((a == b).all() for a, b in zip(twin.get_weights(), layer.get_weights()))
    True
    >>> save_weights(layer, "conv.h5")
    Traceback (most recent call last):
    ...
    ValueError: Cannot save weights to 'conv.h5': the extension must be .safetensors (convlayers' own format) or .weights.h5 (Keras 3's weights file).
    """
    as_path(path)  # a TypeError for what is not a path
    writable_target(path)  # a directory is refused as such, before its name is read as a file name
    if check_weights_suffix(path) == KERAS_WEIGHTS_SUFFIX:
        return save_keras_weights(model, path)
    check_model(model, "save the weights of")
    return write_file(path, state_tensors(model), {"contents": "weights", "class_name": type(model).__name__})


def check_weights_suffix(path: PathLike) -> str:
    """The extension of a weights file :func:`save_weights` can write, or a ``ValueError`` naming those it can.

    >>> check_weights_suffix("w.weights.h5"), check_weights_suffix("w.safetensors")
    ('.weights.h5', '.safetensors')
    """
    name = as_path(path).name.lower()
    for suffix in (".safetensors", KERAS_WEIGHTS_SUFFIX):
        if name.endswith(suffix):
            return suffix
    raise ValueError(
        f"Cannot save weights to '{path}': the extension must be .safetensors (convlayers' own format) or "
        f"{KERAS_WEIGHTS_SUFFIX} (Keras 3's weights file)."
    )


def load_weights(model: nn.Module, path: PathLike) -> None:
    """Load into a built ``model`` the weights of a file from :func:`save_weights` or :func:`~convlayers.io.save_model`.

    Every tensor must match the model by name, shape and dtype, and be finite; if
    anything does not, a :class:`~convlayers.io.ModelFileError` names the file and
    the problems, and the model is left exactly as it was.

    >>> import convlayers
    >>> layer = convlayers.Conv1D(2, 3)
    >>> layer.build((None, 10, 1))
    >>> load_weights(layer, "missing.safetensors")
    Traceback (most recent call last):
    ...
    FileNotFoundError: Cannot load weights from 'missing.safetensors': no such file.
    """
    check_model(model, "load weights into")
    stored = open_file(as_path(path), "weights")
    check_fits(model, stored)
    assign_state(model, stored.read())
