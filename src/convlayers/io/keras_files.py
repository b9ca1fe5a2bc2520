"""Real Keras files as convlayers models: ``load_keras_model`` and ``load_keras_weights``.

Reads what Keras 3 and tf.keras 2 write: the ``.keras`` zip (``config.json`` and
``model.weights.h5``), the legacy ``.h5`` of ``model.save`` (``model_config`` and
``model_weights``), and weights-only files (Keras 3 ``*.weights.h5``, tf.keras 2
``save_weights`` ``.h5``). Each weight goes through its layer's ``set_weights`` in
Keras layout, so nothing is permuted here; every count and shape is checked before
anything is assigned.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from ..layers import Layer
from ..models import Sequential
from .container import ModelFileError, PathLike, as_path
from .keras_config import sequential_from_keras_config
from .keras_h5 import (
    SavedLayer,
    h5py_module,
    keras3_weight_keys,
    read_keras3_layers,
    read_legacy_layers,
    read_name_list,
    read_text_attribute,
)
from .state import check_model

_MODEL = "a Keras model"
_WEIGHTS = "Keras weights"
_WEIGHTS_MEMBER = "model.weights.h5"


def load_keras_model(path: PathLike) -> Sequential:
    """Rebuild a Keras Sequential model file as a convlayers ``Sequential``, weights included.

    Reads ``.keras`` files and legacy ``.h5`` files written by Keras 3 or tf.keras 2:
    the same layers (by :func:`~convlayers.layers.get_layer_class`), configs, data
    formats and weights, so ``model(x)`` gives Keras's output. Raises
    ``FileNotFoundError`` for a missing file and :class:`~convlayers.io.ModelFileError`
    (a ``ValueError``) naming the file and the reason otherwise: not a Keras file, a
    Functional model, a layer class convlayers lacks (named), a Keras 1 or Theano
    file, or weights that do not fit (which layer, which weight, which shapes).

    >>> import io, json, tempfile, zipfile, numpy as np, h5py
    >>> config = {"class_name": "Sequential", "config": {"name": "tiny", "layers": [
    ...     {"class_name": "InputLayer", "config": {"batch_shape": [None, 2]}},
    ...     {"class_name": "Dense", "config": {"units": 1, "name": "out"}}]}}
    >>> weights = io.BytesIO()
    >>> with h5py.File(weights, "w") as f:
    ...     f["layers/dense/vars/0"] = np.array([[2.0], [3.0]], "float32")  # kernel
    ...     f["layers/dense/vars/1"] = np.array([1.0], "float32")  # bias
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with zipfile.ZipFile(f"{d}/tiny.keras", "w") as archive:
    ...         archive.writestr("config.json", json.dumps(config))
    ...         archive.writestr("model.weights.h5", weights.getvalue())
    ...     model = load_keras_model(f"{d}/tiny.keras")
    >>> model(np.array([[1.0, 1.0]], "float32"))
    array([[6.]], dtype=float32)
    """
    source = as_path(path)
    kind = _kind(source, _MODEL)
    try:
        if kind == "zip":
            model, class_names = sequential_from_keras_config(_json(_zip_member(source, "config.json"), "config.json"))
            with _h5_from_bytes(_zip_member(source, _WEIGHTS_MEMBER)) as root:
                pairs = _match_by_key(model.layers, keras3_weight_keys(class_names), read_keras3_layers(root))
        else:
            with h5py_module().File(source, "r") as root:
                model_config = read_text_attribute(root, "model_config")
                if model_config is None:
                    raise ValueError(
                        "it is an HDF5 file without a `model_config` attribute, so it holds no architecture. "
                        "If it holds weights only, build the model, then call load_keras_weights(model, path)."
                    )
                _check_writer(root)
                model, _ = sequential_from_keras_config(_json(model_config, "its `model_config` attribute"))
                if "model_weights" not in root:
                    raise ValueError("it has a `model_config` but no `model_weights` group.")
                pairs = _match_in_order(model.layers, read_legacy_layers(root["model_weights"]))
        _assign(pairs)
    except ModelFileError:
        raise
    except (ValueError, TypeError) as error:
        raise ModelFileError(source, _MODEL, str(error)) from error
    return model


def load_keras_weights(model: Sequential, path: PathLike) -> None:
    """Load a Keras weights file into a built convlayers ``Sequential`` of the same architecture.

    Takes a Keras 3 ``*.weights.h5`` (or ``.keras``) file, matched to the model's
    layers by Keras's group names (snake_case class names, numbered on repeats), or a
    tf.keras 2 / legacy ``.h5`` (from ``save_weights`` or ``model.save``), matched in
    order: the n-th saved layer with weights to the n-th model layer with weights, as
    Keras does. Every count and shape is checked first: on any mismatch a
    :class:`~convlayers.io.ModelFileError` names the file, layer, weight and shapes,
    and the model is left exactly as it was.

    >>> import tempfile, numpy as np, h5py, convlayers
    >>> model = convlayers.Sequential([convlayers.Input((2,)), convlayers.Dense(1, name="out")])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     with h5py.File(f"{d}/w.h5", "w") as f:  # the layout of tf.keras 2's save_weights
    ...         f.attrs.update(keras_version="2.15.0", backend="tensorflow", layer_names=["out"])
    ...         f["out/out/kernel:0"] = np.array([[2.0], [3.0]], "float32")
    ...         f["out/out/bias:0"] = np.array([1.0], "float32")
    ...         f["out"].attrs["weight_names"] = ["out/kernel:0", "out/bias:0"]
    ...     load_keras_weights(model, f"{d}/w.h5")
    >>> model(np.array([[1.0, 1.0]], "float32"))
    array([[6.]], dtype=float32)
    """
    if not isinstance(model, Sequential):
        raise TypeError(
            f"load_keras_weights loads into a convlayers Sequential. Received {model!r} of type {type(model).__name__}."
        )
    check_model(model, "load Keras weights into")
    source = as_path(path)
    kind = _kind(source, _WEIGHTS)
    keys = keras3_weight_keys([type(layer).__name__ for layer in model.layers])
    try:
        if kind == "zip":
            with _h5_from_bytes(_zip_member(source, _WEIGHTS_MEMBER)) as root:
                pairs = _match_by_key(model.layers, keys, read_keras3_layers(root))
        else:
            with h5py_module().File(source, "r") as root:
                if "layers" in root:
                    pairs = _match_by_key(model.layers, keys, read_keras3_layers(root))
                else:
                    group = _legacy_weights_group(root)
                    _check_writer(group)
                    pairs = _match_in_order(model.layers, read_legacy_layers(group))
        _assign(pairs)
    except ModelFileError:
        raise
    except (ValueError, TypeError) as error:
        raise ModelFileError(source, _WEIGHTS, str(error)) from error


def _kind(source: Path, what: str) -> str:
    """``"zip"`` (a ``.keras`` file) or ``"hdf5"``, by content rather than by extension."""
    if not source.exists():
        raise FileNotFoundError(f"Cannot load {what} from '{source}': no such file.")
    if source.is_dir():
        raise ModelFileError(source, what, "it is a directory, not a file.")
    if zipfile.is_zipfile(source):
        return "zip"
    if h5py_module().is_hdf5(source):
        return "hdf5"
    with source.open("rb") as handle:
        start = handle.read(16)
    raise ModelFileError(
        source,
        what,
        f"it is neither a .keras file (a zip archive) nor an HDF5 file (.h5); it has "
        f"{source.stat().st_size} bytes, starting {start!r}.",
    )


def _zip_member(source: Path, member: str) -> bytes:
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.namelist()
            if member not in members:
                raise ValueError(
                    f"it is a zip archive without {member}, so it is not a Keras .keras file (it holds {members[:10]})."
                )
            return archive.read(member)
    except zipfile.BadZipFile as error:
        raise ValueError(f"it is a damaged zip archive ({error}).") from error


def _json(text: str | bytes, where: str) -> Any:
    try:
        return json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{where} is not valid JSON ({error}).") from error


def _h5_from_bytes(data: bytes) -> Any:
    try:
        return h5py_module().File(io.BytesIO(data), "r")
    except OSError as error:
        raise ValueError(f"its {_WEIGHTS_MEMBER} is not a readable HDF5 file ({error}).") from error


def _legacy_weights_group(root: Any) -> Any:
    """The group listing ``layer_names``: a ``save_weights`` file's root, a ``model.save`` file's ``model_weights``."""
    if read_name_list(root, "layer_names") is not None:
        return root
    if "model_weights" in root:
        return root["model_weights"]
    raise ValueError(
        "it is an HDF5 file with no Keras weights: no `layers` group (Keras 3), no `layer_names` "
        "attribute (save_weights) and no `model_weights` group (model.save)."
    )


def _check_writer(node: Any) -> None:
    """Refuse legacy files whose kernels need converting: Keras 1 layouts and Theano's flipped kernels."""
    version = read_text_attribute(node, "keras_version") or read_text_attribute(node.file, "keras_version")
    if version is None or version.startswith("1."):
        raise ValueError(
            f"it was written by Keras 1 (keras_version={version!r}), whose layer configs and kernel layouts "
            f"differ; load_keras_model and load_keras_weights read Keras 2 and 3 files."
        )
    backend = read_text_attribute(node, "backend") or read_text_attribute(node.file, "backend")
    if backend == "theano":
        raise ValueError(
            "it was written on the Theano backend, whose convolution kernels are stored flipped (Theano "
            "convolves, TensorFlow correlates); convlayers does not convert them."
        )


def _match_by_key(layers: list[Layer], keys: list[str], saved: dict[str, SavedLayer]) -> list[tuple[Layer, SavedLayer]]:
    """Pair each layer with the group Keras 3 saved it under; every group with weights must be used."""
    pairs = []
    for layer, key in zip(layers, keys):
        entry = saved.get(key, SavedLayer(f"layers/{key}/vars", []))
        if layer.weights or entry.weights:
            pairs.append((layer, entry))
    unused = sorted(entry.where for key, entry in saved.items() if key not in keys and entry.weights)
    if unused:
        raise ValueError(
            f"it holds weights for layers the model does not have: {unused} (the model's layers are {keys})."
        )
    return pairs


def _match_in_order(layers: list[Layer], saved: list[SavedLayer]) -> list[tuple[Layer, SavedLayer]]:
    """Pair the model's layers that have weights with the saved ones, in order (Keras's topological loading)."""
    with_weights = [layer for layer in layers if layer.weights]
    if len(with_weights) != len(saved):
        raise ValueError(
            f"it holds weights for {len(saved)} layers ({', '.join(entry.where for entry in saved)}) but the model "
            f"has {len(with_weights)} layers with weights ({', '.join(repr(layer.name) for layer in with_weights)})."
        )
    return list(zip(with_weights, saved))


def _assign(pairs: list[tuple[Layer, SavedLayer]]) -> None:
    """Check every pair's weight count and shapes, then (only if all fit) set them."""
    problems = []
    for layer, entry in pairs:
        records = layer._weight_records
        owner = f"layer {layer.name!r} ({type(layer).__name__})"
        if len(records) != len(entry.weights):
            problems.append(
                f"{owner} has {len(records)} weights [{', '.join(record.describe() for record in records)}] but the "
                f"file has {len(entry.weights)} at {entry.where}: {[name for name, _ in entry.weights]}"
            )
            continue
        problems += [
            f"{owner} weight `{record.name}` must have shape {record.keras_shape} (Keras layout) but the file's "
            f"{name!r} has shape {tuple(array.shape)}"
            for record, (name, array) in zip(records, entry.weights)
            if tuple(array.shape) != record.keras_shape
        ]
    if problems:
        raise ValueError("its weights do not fit the model: " + "; ".join(problems) + ". Nothing was loaded.")
    for layer, entry in pairs:
        layer.set_weights([array for _, array in entry.weights])
