"""Keras 3 files written: the ``.keras`` zip, the legacy ``.h5`` of ``model.save``, and ``*.weights.h5``.

Each mirrors what Keras 3.15 writes (``../shared/reference/keras.md`` §4.2-4.3; the tests
compare with files Keras wrote), so ``keras.models.load_model`` gives the model's outputs
and :func:`~convlayers.io.load_keras_model` reads it back:

- ``.keras``: a zip of ``metadata.json`` (``keras_version``, ``date_saved``),
  ``config.json`` (:func:`~convlayers.io.keras_export.keras_model_config`) and
  ``model.weights.h5``, the weights-file layout below.
- ``*.weights.h5`` (and ``model.weights.h5``): group ``vars`` for the model's own
  variables (it has none), then ``layers/<key>/vars/0, 1...`` per layer in the layer's
  weight order, the key being the snake_case class name made unique (``conv2d``,
  ``conv2d_1``...); each ``vars`` group has attribute ``name``, the layer's name.
- ``.h5``: root attributes ``keras_version``, ``backend``, ``model_config`` (and
  ``training_config`` when compiled); group ``model_weights`` listing ``layer_names``,
  one group per layer whose ``weight_names`` (``<model>/<layer>/<variable>``) name its
  datasets, and an empty ``top_level_model_weights``.

Weights are in Keras layout (``layer.get_weights()``). Optimizer state is not written
(Keras then starts a loaded model's optimizer afresh, with a warning). The file is built
in memory and written atomically (:mod:`.atomic`).
"""

from __future__ import annotations

import datetime
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ..layers import TimeDistributed
from ..models import Sequential
from ..models.functional import Functional
from .atomic import writable_target, write_atomically
from .container import PathLike, as_path
from .hdf5_reader import h5py_module
from .keras_export import KERAS_VERSION, check_keras_model, keras_model_config, legacy_model_config, legacy_training_config
from .keras_layout import is_model, keras3_children, legacy_weight_order
from .state import check_model

#: What the legacy ``.h5`` records as the backend: the layouts are TensorFlow's, as on every Keras 3 backend.
BACKEND = "tensorflow"
#: Model-file extensions that hold Keras files: ``.keras``, and the legacy HDF5 of ``model.save``.
KERAS_MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
#: Keras 3's weights-file suffix (``model.save_weights`` takes no other).
KERAS_WEIGHTS_SUFFIX = ".weights.h5"
#: HDF5 keeps an attribute in its object header, which holds at most this many bytes; longer lists are split.
_HDF5_OBJECT_HEADER_LIMIT = 64512


def save_keras_model(model: Sequential | Functional, path: PathLike) -> Path:
    """Save a built ``Sequential`` or functional ``Model`` as Keras 3 does: ``.keras`` (zip) or legacy ``.h5``/``.hdf5``, by the extension.

    Nested models are written as Keras nests them (their config inside the outer one, their
    weights under their own groups), so ``keras.saving.load_model`` reads the file back.

    Raises ``ValueError`` naming the layer and argument when Keras cannot express the model
    (a convlayers extension: save those as ``.safetensors``), ``TypeError`` for what is not
    a convlayers Sequential or functional model, and ``ImportError`` without h5py. Returns the path written.

    >>> import tempfile, numpy as np, convlayers
    >>> model = convlayers.Sequential([convlayers.Input((6, 6, 1)), convlayers.Conv2D(2, 3), convlayers.Flatten()])
    >>> x = np.random.rand(2, 6, 6, 1).astype("float32")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     loaded = [convlayers.load_keras_model(save_keras_model(model, f"{d}/m{suffix}")) for suffix in (".keras", ".h5")]
    >>> [bool((m(x) == model(x)).all()) for m in loaded]
    [True, True]
    """
    as_path(path)
    suffix = _suffix(path, KERAS_MODEL_SUFFIXES, "a Keras model")
    h5py = h5py_module("Writing")
    check_model(model, "save")
    check_keras_model(model)
    target = writable_target(path)
    data = _keras_zip(model, h5py) if suffix == ".keras" else _legacy_h5(model, h5py)
    return write_atomically(target, data)


def save_keras_weights(model: Sequential | Functional, path: PathLike) -> Path:
    """Save a built ``Sequential``'s or functional ``Model``'s weights as Keras 3's ``model.save_weights("x.weights.h5")`` does.

    :func:`~convlayers.io.load_keras_weights` (and Keras's ``load_weights``) read them
    back into a model of the same architecture. Returns the path written.

    >>> import tempfile, convlayers
    >>> model = convlayers.Sequential([convlayers.Input((3,)), convlayers.Dense(2)])
    >>> other = convlayers.Sequential([convlayers.Input((3,)), convlayers.Dense(2)])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     convlayers.io.load_keras_weights(other, save_keras_weights(model, f"{d}/w.weights.h5"))
    >>> all((a == b).all() for a, b in zip(other.get_weights(), model.get_weights()))
    True
    """
    as_path(path)
    _suffix(path, (KERAS_WEIGHTS_SUFFIX,), "Keras weights")
    h5py = h5py_module("Writing")
    check_model(model, "save")
    check_keras_model(model)
    return write_atomically(writable_target(path), _weights_h5(model, h5py))


def _suffix(path: PathLike, allowed: tuple[str, ...], what: str) -> str:
    name = Path(path).name.lower()
    for suffix in allowed:
        if name.endswith(suffix):
            return suffix
    raise ValueError(f"Cannot save {what} to '{path}': the file name must end in {' or '.join(allowed)}.")


def _keras_zip(model: Sequential | Functional, h5py: Any) -> bytes:
    metadata = {"keras_version": KERAS_VERSION, "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # As Keras writes them: the two JSON members through open() (so dated 1980-01-01, as in its
        # files), the weights through writestr(), uncompressed.
        with archive.open("metadata.json", "w") as member:
            member.write(json.dumps(metadata).encode())
        with archive.open("config.json", "w") as member:
            member.write(json.dumps(keras_model_config(model)).encode())
        archive.writestr("model.weights.h5", _weights_h5(model, h5py))
    return buffer.getvalue()


def _weights_h5(model: Sequential | Functional, h5py: Any) -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.create_group("vars").attrs["name"] = model.name
        _write_layers(f, model, "")
    return buffer.getvalue()


def _write_layers(f: Any, model: Any, prefix: str) -> None:
    """Each of ``model.layers`` at ``<prefix>layers/<key>/vars``; a nested model's layers under its own group."""
    for key, layer in keras3_children(model):
        variables = f.create_group(f"{prefix}layers/{key}/vars")
        variables.attrs["name"] = layer.name
        if is_model(layer):
            _write_layers(f, layer, f"{prefix}layers/{key}/")
            continue
        if isinstance(layer, TimeDistributed):  # Keras 3 keeps a wrapper's weights with its inner layer
            variables = f.create_group(f"{prefix}layers/{key}/layer/vars")
            variables.attrs["name"] = layer.layer.name
        for index, array in enumerate(layer.get_weights()):
            variables[str(index)] = array


def _legacy_h5(model: Sequential | Functional, h5py: Any) -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        # Keras stores the version and backend as text, the JSON configs as UTF-8 bytes.
        f.attrs["keras_version"] = KERAS_VERSION
        f.attrs["backend"] = BACKEND
        f.attrs["model_config"] = json.dumps(legacy_model_config(model)).encode("utf8")
        if model.compiled:
            f.attrs["training_config"] = json.dumps(legacy_training_config(model)).encode("utf8")
        weights = f.create_group("model_weights")
        _names_attribute(weights, "layer_names", [layer.name for layer in model.layers])
        weights.attrs["backend"] = BACKEND.encode("utf8")
        weights.attrs["keras_version"] = KERAS_VERSION.encode("utf8")
        for layer in sorted(model.layers, key=lambda layer: layer.name):
            group = weights.create_group(layer.name)
            # A nested model's group holds all its layers' weights, in Keras's legacy order (trainable first).
            order = legacy_weight_order(layer)
            values = {id(leaf): leaf.get_weights() for leaf in {id(leaf): leaf for leaf, _ in order}.values()}
            names = [f"{model.name}/{layer.name}/{leaf.name}/{leaf.weight_specs[index].name}" if leaf is not layer
                     else f"{model.name}/{layer.name}/{leaf.weight_specs[index].name}" for leaf, index in order]
            _names_attribute(group, "weight_names", names)
            for name, (leaf, index) in zip(names, order):
                group[name] = values[id(leaf)][index]
        _names_attribute(weights.create_group("top_level_model_weights"), "weight_names", [])
    return buffer.getvalue()


def _names_attribute(group: Any, name: str, names: list[str]) -> None:
    """Store a list of names as Keras does: UTF-8 bytes, split into ``name0``, ``name1``... past HDF5's header limit."""
    data = [item.encode("utf8") for item in names]
    too_long = [item for item in data if len(item) > _HDF5_OBJECT_HEADER_LIMIT]
    if too_long:
        raise ValueError(f"Cannot save the name {too_long[0][:80]!r}...: HDF5 keeps at most {_HDF5_OBJECT_HEADER_LIMIT} bytes per name.")
    chunks = 1
    while any(chunk.nbytes > _HDF5_OBJECT_HEADER_LIMIT for chunk in np.array_split(np.asarray(data), chunks)):
        chunks += 1
    if chunks == 1:
        group.attrs[name] = data
    else:
        for index, chunk in enumerate(np.array_split(np.asarray(data), chunks)):
            group.attrs[f"{name}{index}"] = chunk
