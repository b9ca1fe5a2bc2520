"""Weights-only files: a model's state_dict, for a model rebuilt in code."""

from __future__ import annotations

from pathlib import Path

from torch import nn

from .container import PathLike, as_path, open_file, write_file
from .state import assign_state, check_fits, check_model, state_tensors


def save_weights(model: nn.Module, path: PathLike) -> Path:
    """Save a built model's parameters and buffers (no architecture) to ``path``, atomically.

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
    """
    check_model(model, "save the weights of")
    return write_file(path, state_tensors(model), {"contents": "weights", "class_name": type(model).__name__})


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
