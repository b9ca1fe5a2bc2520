"""Whole-model files: architecture (JSON config) and weights (state_dict) in one safetensors file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from torch import nn

from ..layers import Layer, deserialize_layer, serialize_layer
from .architecture import build_checked, check_entry, dry_run
from .atomic import writable_target
from .container import ModelFileError, PathLike, as_path, open_file, write_file
from .keras_writer import KERAS_MODEL_SUFFIXES, save_keras_model
from .limits import parse_json
from .state import assign_state, check_fits, check_model, state_tensors

_WHAT = "a model"


def save_model(model: nn.Module, path: PathLike) -> Path:
    """Save a built model (or layer): its config and every parameter and buffer, in one file.

    The extension chooses the format. ``.safetensors``, convlayers' own: a safetensors
    file (tensors: the model's ``state_dict``) whose metadata holds the architecture as
    JSON; :func:`load_model` rebuilds the model from it, bit for bit, whatever it holds.
    ``.keras``, ``.h5`` or ``.hdf5``: the files Keras 3 writes, for a ``Sequential`` or
    functional model that Keras can express (:func:`~convlayers.io.keras_writer.save_keras_model`); read back
    with :func:`~convlayers.io.load_keras_model` or Keras's ``load_model``. Any other
    extension is a ``ValueError`` listing these. The write is atomic. Returns the path written.

    >>> import tempfile, numpy as np, convlayers
    >>> layer = convlayers.Conv2D(4, 3)
    >>> layer.build((None, 8, 8, 1))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = save_model(layer, f"{d}/conv.safetensors")
    ...     loaded = load_model(path)
    >>> x = np.random.rand(2, 8, 8, 1).astype("float32")
    >>> bool((loaded(x) == layer(x)).all())
    True
    >>> save_model(layer, "conv.pt")
    Traceback (most recent call last):
    ...
    ValueError: Cannot save a model to 'conv.pt': the extension must be one of .safetensors (convlayers' own format), .keras, .h5 or .hdf5 (Keras 3's files).
    """
    as_path(path)  # a TypeError for what is not a path
    writable_target(path)  # a directory is refused as such, before its name is read as a file name
    if check_model_suffix(path) in KERAS_MODEL_SUFFIXES:
        return save_keras_model(model, path)
    check_model(model, "save")
    architecture = _architecture(model)
    try:
        architecture_json = json.dumps(architecture)
    except TypeError as error:
        raise TypeError(
            f"Cannot save {type(model).__name__} {getattr(model, 'name', '')!r}: its config is not "
            f"JSON-serializable ({error}). Register custom objects by name so their config is plain data."
        ) from error
    return write_file(path, state_tensors(model), {"contents": "model", "model": architecture_json})


def check_model_suffix(path: PathLike) -> str:
    """The extension of a model file :func:`save_model` can write, or a ``ValueError`` listing those it can.

    >>> check_model_suffix("best.keras"), check_model_suffix("ckpt-{epoch:02d}.safetensors")
    ('.keras', '.safetensors')
    """
    name = as_path(path).name.lower()
    for suffix in (".safetensors",) + KERAS_MODEL_SUFFIXES:
        if name.endswith(suffix):
            return suffix
    raise ValueError(
        f"Cannot save a model to '{path}': the extension must be one of .safetensors (convlayers' own format), "
        f"{', '.join(KERAS_MODEL_SUFFIXES[:-1])} or {KERAS_MODEL_SUFFIXES[-1]} (Keras 3's files)."
    )


def load_model(path: PathLike, *, compile: bool = True) -> nn.Module:
    """Rebuild a model saved with :func:`save_model`: architecture, weights and buffers.

    A Keras file (a ``.keras`` zip or an HDF5 ``.h5``, told by its first bytes) is read by
    :func:`~convlayers.io.load_keras_model`; with ``compile=True`` (Keras's default) it
    comes back compiled with the settings the file holds, as Keras's ``load_model``
    does (``compile=False``: uncompiled).

    Raises ``FileNotFoundError`` if there is no such file and
    :class:`~convlayers.io.ModelFileError` (a ``ValueError``) naming the file and
    the reason if it is empty, truncated, corrupt, not a convlayers model file,
    if its tensors do not fit its architecture (checked before the model takes any
    memory) or hold NaN or infinity.

    >>> load_model("missing.safetensors")
    Traceback (most recent call last):
    ...
    FileNotFoundError: Cannot load a model from 'missing.safetensors': no such file.
    """
    source = as_path(path)
    if _is_keras_file(source):
        from .keras_files import load_keras_model  # a .keras zip or an HDF5 file: Keras's formats

        return load_keras_model(source, compile=compile)
    stored = open_file(source, _WHAT)
    if stored.contents != "model" or stored.architecture is None:
        raise ModelFileError(
            source,
            _WHAT,
            "it holds weights only, with no architecture. Build the model in code, then call "
            "`model.load_weights(path)` (or `convlayers.io.load_weights(model, path)`).",
        )
    try:
        architecture = parse_json(stored.architecture, "its architecture")
    except ValueError as error:
        raise ModelFileError(source, _WHAT, str(error)) from None
    # Built first without memory: the file's tensors must fit it before the real one is made.
    check_fits(_rebuild(architecture, source, dry_run), stored)
    tensors = stored.read()
    model = _rebuild(architecture, source, build_checked)
    assign_state(model, tensors)
    return model


def _is_keras_file(source: Path) -> bool:
    """Whether ``source`` starts as a zip archive or an HDF5 file does (a safetensors file starts with its header size)."""
    if not source.is_file():
        return False
    with source.open("rb") as handle:
        start = handle.read(8)
    return start.startswith(b"PK\x03\x04") or start == b"\x89HDF\r\n\x1a\n"


def _architecture(model: nn.Module) -> dict[str, Any]:
    """A layer as Keras 3 serializes one (its build shape included); a model by its own config."""
    if isinstance(model, Layer):
        return serialize_layer(model)
    return {"module": type(model).__module__, "class_name": type(model).__name__, "config": model.get_config()}


def _rebuild(architecture: Any, source: Path, builder: Callable[[Callable[[], nn.Module]], nn.Module]) -> nn.Module:
    """The model ``architecture`` describes, made by ``builder`` (:func:`dry_run` or :func:`build_checked`)."""
    if not isinstance(architecture, dict) or not isinstance(architecture.get("class_name"), str):
        raise ModelFileError(source, _WHAT, "its architecture has no `class_name`.")
    class_name = architecture["class_name"]
    config = architecture.get("config") or {}
    try:
        if class_name == "Sequential":
            # Keras 1 stored a Sequential config as the bare list of layers.
            layers = config if isinstance(config, list) else config.get("layers") if isinstance(config, dict) else None
            for index, entry in enumerate(layers if isinstance(layers, list) else []):
                check_entry(entry, f"layer {index}")
        else:
            check_entry(architecture, "its architecture")
    except ValueError as error:
        raise ModelFileError(source, _WHAT, str(error)) from None
    try:
        if class_name == "Sequential" and architecture.get("module") == "convlayers.keras1.models":
            from .. import keras1  # the dialect imports this package

            return builder(lambda: keras1.model_from_config({"class_name": "Sequential", "config": config}))
        if class_name == "Sequential":
            # Imported here: ``models`` imports this package for its ``save`` methods.
            from ..models import Sequential

            return builder(lambda: Sequential.from_config(config))
        if class_name == "Functional":
            from ..models import Model

            return builder(lambda: Model.from_config(config))
        return builder(lambda: deserialize_layer(architecture))
    except (TypeError, ValueError) as error:
        raise ModelFileError(source, _WHAT, f"its architecture does not build a {class_name}: {error}") from error
