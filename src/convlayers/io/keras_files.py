"""Real Keras files as convlayers models: ``load_keras_model`` and ``load_keras_weights``.

Reads what Keras 3 and tf.keras 2 write: the ``.keras`` zip (``config.json`` and
``model.weights.h5``), the legacy ``.h5`` of ``model.save`` (``model_config`` and
``model_weights``), and weights-only files (Keras 3 ``*.weights.h5``, tf.keras 2
``save_weights`` ``.h5``). Each weight goes through its layer's ``set_weights`` in
Keras layout, so nothing is permuted here.

Files are untrusted, so a load runs in an order that bounds what a file can cost: the
architecture is built on the meta device (:mod:`.architecture`) and must need no more
bytes than the file can hold; zip members are read within caps set by that need; the HDF5
file is indexed in a child process (:mod:`.hdf5_reader`) and every dataset's count,
shape and dtype checked against the model; only then are exactly those datasets read,
checked for NaN and infinity, and the real model built and assigned.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from .. import keras1
from ..layers import Layer
from ..models import Sequential
from ..models.functional import Functional
from .architecture import build_checked, dry_run, state_bytes
from .container import ModelFileError, PathLike, as_path, existing_file
from .hdf5_reader import Hdf5Index, h5py_module, index_hdf5, read_datasets
from .keras_compile import compile_from_keras
from .keras_config import model_from_keras_config
from .keras_h5 import SavedLayer, check_writer, read_keras3_layers, read_legacy_layers
from .keras_layout import is_model, keras3_paths, leaf_layers, legacy_weight_order, own_leaves, weight_count
from .legacy import (
    check_backend_matches,
    check_theano_layers,
    from_theano,
    is_keras1,
    theano_model_config,
    trained_backend,
    weights_backend,
)
from .limits import MAX_JSON_BYTES, all_finite, check_expansion, hdf5_weights_cap, parse_json
from .state import check_model
from .zip_reader import open_archive, read_member

_MODEL = "a Keras model"
_WEIGHTS = "Keras weights"
_WEIGHTS_MEMBER = "model.weights.h5"
_ZIP_SIGNATURE = b"PK\x03\x04"
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
#: HDF5 files may start with a user block of 512, 1024, 2048... bytes; the signature follows it.
_HDF5_FIRST_OFFSETS = 512
#: The dtype each weight dtype is stored as; HDF5 has no bfloat16, so those come from float32.
_FILE_DTYPES = {
    torch.float16: np.dtype("float16"),
    torch.bfloat16: np.dtype("float32"),
    torch.float32: np.dtype("float32"),
    torch.float64: np.dtype("float64"),
    # Normalization's `count`: int32 on JAX; other Keras backends may write int64, which fits too.
    torch.int32: np.dtype("int32"),
}

Plan = list[tuple[int, SavedLayer]]  # (position in leaf_layers(model), the saved weights for it)


def load_keras_model(path: PathLike, backend: str | None = None, *, compile: bool = True) -> Sequential | Functional:
    """Rebuild a Keras model file as a convlayers ``Sequential`` or functional ``Model``, weights included.

    Reads ``.keras`` files and legacy ``.h5`` files written by Keras 3 or tf.keras 2:
    Sequential and Functional models and models nested in them (a Sequential holding a
    model comes back as the equivalent functional chain), with the same layers (by
    :func:`~convlayers.layers.get_layer_class`), configs, data formats and weights, so
    ``model(x)`` gives Keras's output. A Keras 2 file written on
    Theano (its ``backend`` attribute) comes back as core layers computing as Theano
    did: the kernels of its convolutions (true convolutions there) reversed along every
    spatial axis, and ``padding='same'`` given Theano's placement
    (``Same(extra_at="begin")``). Keras 1 ``model.save`` files come back as
    :mod:`convlayers.keras1` models computing as the backend that trained them, told by
    the weights' names. ``backend`` (``'tensorflow'`` or ``'theano'``) overrides what a
    legacy ``.h5`` file says.

    With ``compile=True`` (Keras's default) a file that holds compile settings (a
    ``.keras`` file's ``compile_config``, an ``.h5`` file's ``training_config``) comes
    back compiled with them, as Keras's ``load_model`` does, so ``model.fit`` goes on
    training: the same optimizer config, loss, ``loss_weights``, metrics and
    ``weighted_metrics`` (:mod:`~convlayers.io.keras_compile`). The optimizer's state
    (its slot variables in the file) is not restored: training resumes from a fresh
    optimizer. What convlayers cannot rebuild (an unknown optimizer, loss or metric)
    loads the model uncompiled, with a warning saying what and why. ``compile=False``
    loads it uncompiled.

    Raises ``FileNotFoundError`` for a missing file and
    :class:`~convlayers.io.ModelFileError` (a ``ValueError``) naming the file and the
    reason otherwise: not a Keras file, a subclassed model, a ``Lambda`` layer (Python
    code, never run from a file), a layer class convlayers lacks (named), a Theano layer the core cannot compute as Theano did (named: a
    ``'same'`` pooling, a ``'same'`` separable convolution with an even kernel, a
    ``'same'`` transposed convolution at a stride above 1 or with an even kernel),
    weights that do not fit (which layer, which weight, which shapes or dtypes) or hold
    NaN or infinity, or a file that asks for more memory than its model needs.

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
    compile_config: Any = None
    theano = False  # Keras 3 never ran on Theano: only a Keras 2 .h5 file can say so
    try:
        if kind == "zip":
            _no_backend_for_keras3(backend)
            with open_archive(source) as archive:
                config = parse_json(read_member(archive, "config.json", MAX_JSON_BYTES), "config.json")
                compile_config = config.get("compile_config") if isinstance(config, dict) else None
                architecture = lambda: model_from_keras_config(config)  # noqa: E731
                blueprint = dry_run(architecture)
                needed = _needed_bytes(blueprint, source)
                cap = hdf5_weights_cap(needed, len(leaf_layers(blueprint)))
                hdf5: Any = read_member(archive, _WEIGHTS_MEMBER, cap)
            index = index_hdf5(hdf5)
            plan = _match_by_path(blueprint, read_keras3_layers(index))
        else:
            hdf5 = source
            index = index_hdf5(source)
            model_config = index.text("/", "model_config")
            if model_config is None:
                raise ValueError(
                    "it is an HDF5 file without a `model_config` attribute, so it holds no architecture. "
                    "If it holds weights only, build the model, then call load_keras_weights(model, path)."
                )
            config = parse_json(model_config, "its `model_config` attribute")
            training_config = index.text("/", "training_config") if compile else None
            if training_config is not None:
                compile_config = parse_json(training_config, "its `training_config` attribute")
            if not index.is_group("/model_weights"):
                raise ValueError("it has a `model_config` but no `model_weights` group.")
            architecture, theano = _legacy_architecture(index, config, backend)
            blueprint = dry_run(architecture)
            if theano:
                check_theano_layers(leaf_layers(blueprint))
            _needed_bytes(blueprint, source)
            plan = _match_in_order(blueprint, read_legacy_layers(index, "/model_weights"))
        arrays = _read_checked(hdf5, leaf_layers(blueprint), plan)
        model = build_checked(architecture)
        _assign(leaf_layers(model), plan, arrays, theano=theano)
    except ModelFileError:
        raise
    except (ValueError, TypeError) as error:
        raise ModelFileError(source, _MODEL, str(error)) from error
    if compile:
        compile_from_keras(model, compile_config, str(source))
    return model


def load_keras_weights(model: Sequential | Functional, path: PathLike, backend: str | None = None) -> None:
    """Load a Keras weights file into a built convlayers ``Sequential`` or functional ``Model`` of the same architecture.

    Takes a Keras 3 ``*.weights.h5`` (or ``.keras``) file, matched to the model's
    layers by Keras's group names (snake_case class names, numbered on repeats; a nested
    model's layers under its own group), or a tf.keras 2 / legacy ``.h5`` (from
    ``save_weights`` or ``model.save``), matched in order: the n-th saved layer with
    weights to the n-th model layer with weights, as Keras does (a nested model's group
    holding its layers' weights in order). A Keras 2 file written on Theano (``backend`` overrides the file's
    attribute) has its convolution kernels reversed along every spatial axis on the
    way in, and is refused if a ``'same'`` layer of the model places its padding as
    TensorFlow does where Theano's placement differs (a stride above 1 or an even
    kernel): build that layer with ``padding=Same(extra_at="begin")``, or load the whole
    file with :func:`load_keras_model`. A Keras 1 file (``save_weights`` of Keras 1.x)
    loads into a :mod:`convlayers.keras1` model in Keras 1's layouts; its weights' names
    tell the backend that trained them (``backend`` overrides), which the model's layers
    must compute as. Every count, shape and dtype is checked before anything is read, and
    every value after: on any problem a :class:`~convlayers.io.ModelFileError` names
    the file, layer, weight and what was wrong, and the model is left exactly as it was.

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
    if not isinstance(model, (Sequential, Functional)):
        raise TypeError(
            f"load_keras_weights loads into a convlayers Sequential or functional Model. Received {model!r} of type "
            f"{type(model).__name__}."
        )
    check_model(model, "load Keras weights into")
    source = as_path(path)
    kind = _kind(source, _WEIGHTS)
    leaves = leaf_layers(model)
    theano = False  # Keras 3 never ran on Theano, and Keras 1 models present Theano's kernels themselves
    try:
        if kind == "zip":
            _no_backend_for_keras3(backend)
            with open_archive(source) as archive:
                cap = hdf5_weights_cap(state_bytes(model), len(leaves))
                hdf5: Any = read_member(archive, _WEIGHTS_MEMBER, cap)
            plan = _match_by_path(model, read_keras3_layers(index_hdf5(hdf5)))
        else:
            hdf5 = source
            index = index_hdf5(source)
            if index.is_group("/layers"):
                _no_backend_for_keras3(backend)
                plan = _match_by_path(model, read_keras3_layers(index))
            else:
                group = _legacy_weights_group(index)
                if isinstance(model, keras1.Sequential):
                    check_backend_matches(leaves, weights_backend(index, group), backend)
                else:
                    theano = trained_backend(check_writer(index, group), backend) == "theano"
                    if theano:
                        check_theano_layers(leaves)
                plan = _match_in_order(model, read_legacy_layers(index, group))
        _assign(leaves, plan, _read_checked(hdf5, leaves, plan), theano=theano)
    except ModelFileError:
        raise
    except (ValueError, TypeError) as error:
        raise ModelFileError(source, _WEIGHTS, str(error)) from error


def _no_backend_for_keras3(backend: str | None) -> None:
    """Refuse ``backend=`` for a Keras 3 file: Keras 3 never ran on Theano, so there is nothing to convert."""
    if backend is not None:
        raise ValueError(
            f"it is a Keras 3 file, whose weights no other backend trained; `backend` is for Keras 1 and 2 .h5 "
            f"files. Received backend={backend!r}."
        )


def _legacy_architecture(index: Hdf5Index, config: Any, backend: str | None) -> tuple[Callable[[], Sequential], bool]:
    """How to build a legacy ``.h5`` file's model, and whether its weights need converting from Keras 2 on Theano.

    A Keras 1 model computes as its training backend (its layers present Theano's
    kernels themselves); a Keras 2 model trained on Theano gets Theano's ``'same'``
    placement here and its kernels reversed at load (:mod:`.legacy`).
    """
    if is_keras1(index, config):
        trained = backend or weights_backend(index, "/model_weights")
        return (lambda: keras1.model_from_config(config, backend=trained)), False
    theano = trained_backend(check_writer(index, "/"), backend) == "theano"
    translated = theano_model_config(config) if theano else config
    return (lambda: model_from_keras_config(translated)), theano


def _kind(source: Path, what: str) -> str:
    """``"zip"`` (a ``.keras`` file) or ``"hdf5"``, by the file's signature rather than its extension."""
    existing_file(source, what)
    size = source.stat().st_size
    with source.open("rb") as handle:
        start = handle.read(16)
        if start.startswith(_ZIP_SIGNATURE):
            return "zip"
        h5py_module()  # an .h5 file needs h5py: say so before anything else
        offset = 0
        while offset < size:
            handle.seek(offset)
            if handle.read(len(_HDF5_SIGNATURE)) == _HDF5_SIGNATURE:
                return "hdf5"
            offset = max(2 * offset, _HDF5_FIRST_OFFSETS)
    raise ModelFileError(
        source,
        what,
        f"it is neither a .keras file (a zip archive) nor an HDF5 file (.h5); it has {size} bytes, starting {start!r}.",
    )


def _needed_bytes(blueprint: Sequential, source: Path) -> int:
    """The bytes the architecture's weights need, refused if more than ``source`` can hold."""
    needed = state_bytes(blueprint)
    check_expansion(needed, source.stat().st_size)
    return needed


def _legacy_weights_group(index: Hdf5Index) -> str:
    """The group listing ``layer_names``: a ``save_weights`` file's root, a ``model.save`` file's ``model_weights``."""
    if index.names("/", "layer_names") is not None:
        return "/"
    if index.is_group("/model_weights"):
        return "/model_weights"
    raise ValueError(
        "it is an HDF5 file with no Keras weights: no `layers` group (Keras 3), no `layer_names` "
        "attribute (save_weights) and no `model_weights` group (model.save)."
    )


def _match_by_path(model: Any, saved: dict[str, SavedLayer]) -> Plan:
    """Pair each leaf layer with the group Keras 3 saved it under; every group with weights must be used."""
    paths = list(keras3_paths(model))
    plan = []
    for position, (path, layer) in enumerate(paths):
        entry = saved.get(path, SavedLayer(f"{path}/vars", []))
        if layer.weights or entry.weights:
            plan.append((position, entry))
    known = {path for path, _ in paths}
    unused = sorted(entry.where for path, entry in saved.items() if path not in known and entry.weights)
    if unused:
        keys = [path.removeprefix("layers/") for path, _ in paths]
        raise ValueError(
            f"it holds weights for layers the model does not have: {unused} (the model's layers are {keys})."
        )
    return plan


def _match_in_order(model: Any, saved: list[SavedLayer]) -> Plan:
    """Pair the model's layers that have weights with the saved ones, in order (Keras's topological loading).

    A nested model is one layer there, its group holding its leaves' weights in Keras's
    legacy order (trainable first: :func:`~convlayers.io.keras_layout.legacy_weight_order`);
    they are handed to the leaves here, in each leaf's own order.
    """
    positions = {id(layer): position for position, layer in enumerate(leaf_layers(model))}
    with_weights = [layer for layer in model.layers if weight_count(layer)]
    if len(with_weights) != len(saved):
        raise ValueError(
            f"it holds weights for {len(saved)} layers ({', '.join(entry.where for entry in saved)}) but the model "
            f"has {len(with_weights)} layers with weights ({', '.join(repr(layer.name) for layer in with_weights)})."
        )
    plan = []
    for layer, entry in zip(with_weights, saved):
        order = legacy_weight_order(layer)
        if is_model(layer) and len(order) != len(entry.weights):
            raise ValueError(
                f"the nested model {layer.name!r} has {len(order)} weights but the file has {len(entry.weights)} "
                f"for it at {entry.where}. Nothing was loaded."
            )
        if len(order) != len(entry.weights):  # a single layer: counted with names by _read_checked
            plan.append((positions[id(own_leaves(layer)[0])], entry))
            continue
        per_leaf: dict[int, dict[int, tuple[str, Any]]] = {}
        for (leaf, index), weight in zip(order, entry.weights):
            per_leaf.setdefault(id(leaf), {})[index] = weight
        for leaf in own_leaves(layer):
            if id(leaf) in per_leaf:
                weights = [per_leaf[id(leaf)][index] for index in sorted(per_leaf[id(leaf)])]
                plan.append((positions[id(leaf)], SavedLayer(entry.where, weights)))
    return plan


def _read_checked(hdf5: Any, layers: list[Layer], plan: Plan) -> list[np.ndarray]:
    """Check every planned weight's count, shape and dtype against ``layers``, then read them and check their values.

    ``layers`` may be meta-device blueprints: only their weight records and dtypes are used.
    Returns the arrays in plan order; nothing is read unless every declaration fits.
    """
    problems = []
    for position, entry in plan:
        layer = layers[position]
        records = layer.weight_specs
        owner = f"layer {layer.name!r} ({type(layer).__name__})"
        if len(records) != len(entry.weights):
            problems.append(
                f"{owner} has {len(records)} weights [{', '.join(record.describe() for record in records)}] but the "
                f"file has {len(entry.weights)} at {entry.where}: {[name for name, _ in entry.weights]}"
            )
            continue
        for record, (name, dataset) in zip(records, entry.weights):
            expected = _FILE_DTYPES[getattr(layer, record.name).dtype]
            found = np.dtype(dataset.dtype)
            if dataset.shape != record.keras_shape:
                shape = "no shape (an empty dataspace)" if dataset.shape is None else f"shape {dataset.shape}"
                problems.append(
                    f"{owner} weight `{record.name}` must have shape {record.keras_shape} (Keras layout) but the "
                    f"file's {name!r} has {shape}"
                )
            elif not _dtype_fits(found, expected):
                problems.append(f"{owner} weight `{record.name}` must be {expected} but the file's {name!r} is {found}")
    if problems:
        raise ValueError("its weights do not fit the model: " + "; ".join(problems) + ". Nothing was loaded.")
    datasets = [dataset for _, entry in plan for _, dataset in entry.weights]
    arrays = read_datasets(hdf5, datasets)
    names = [(layers[position], record, name) for position, entry in plan
             for record, (name, _) in zip(layers[position].weight_specs, entry.weights)]
    bad = [
        f"layer {layer.name!r} ({type(layer).__name__}) weight `{record.name}` (the file's {name!r})"
        for (layer, record, name), array in zip(names, arrays)
        if not all_finite(array)
    ]
    if bad:
        raise ValueError(f"its weights hold NaN or infinity: {'; '.join(bad[:5])}. Nothing was loaded.")
    return arrays


def _dtype_fits(found: np.dtype, expected: np.dtype) -> bool:
    """A float weight needs a float of its width; an integer weight (a counter) takes any integer dtype."""
    if expected.kind in "iu":
        return found.kind in "iu"
    return found.kind == "f" and found.itemsize == expected.itemsize


def _assign(layers: list[Layer], plan: Plan, arrays: list[np.ndarray], *, theano: bool) -> None:
    """Set each planned layer's weights from ``arrays`` (in plan order, already checked).

    ``theano``: the arrays are Keras 2 Theano weights, converted for the core on the way in.
    """
    start = 0
    for position, entry in plan:
        count = len(entry.weights)
        weights = arrays[start : start + count]
        layers[position].set_weights(from_theano(layers[position], weights) if theano else weights)
        start += count
