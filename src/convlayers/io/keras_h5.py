"""The weights inside Keras HDF5 files, read in Keras's order (``../shared/reference/keras.md`` §4.2-4.3).

Two layouts exist. Keras 3 (``model.weights.h5`` in a ``.keras`` zip, and
``*.weights.h5``) keeps layer ``i``'s variables at ``layers/<key>/vars/<i>``, where
the key is the snake_case class name made unique in ``model.layers`` order
(:func:`keras3_weight_keys`). The legacy layout (``.h5`` from ``model.save`` or
tf.keras 2 ``save_weights``) lists the layers in a ``layer_names`` attribute and
each layer's datasets in a ``weight_names`` attribute; those lists, never h5py's
alphabetical iteration (which puts ``bias`` before ``kernel``), give the order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..layers.base import snake_case


@dataclass(frozen=True)
class SavedLayer:
    """One layer's weights as a file holds them: where (for messages), and ``(name, array)`` in order."""

    where: str
    weights: list[tuple[str, np.ndarray]]


def h5py_module() -> Any:
    """The ``h5py`` module, imported on first use: only Keras files need it.

    >>> h5py_module().__name__
    'h5py'
    """
    try:
        import h5py as module
    except ImportError as error:
        raise ImportError(
            "Reading Keras .h5 and .keras files needs h5py: pip install 'convlayers[keras]' (or h5py)."
        ) from error
    return module


def keras3_weight_keys(class_names: list[str]) -> list[str]:
    """Keras 3's group name for each layer: its snake_case class name, ``_1``, ``_2``... on repeats.

    Keras names the groups after the class, not the layer's ``name``, so that two
    instances of one architecture save alike.

    >>> keras3_weight_keys(["Conv2D", "DepthwiseConv2D", "Conv2D", "UpSampling2D"])
    ['conv2d', 'depthwise_conv2d', 'conv2d_1', 'up_sampling2d']
    """
    seen: dict[str, int] = {}
    keys = []
    for class_name in class_names:
        key = snake_case(class_name)
        if key in seen:
            seen[key] += 1
            key = f"{key}_{seen[key]}"
        else:
            seen[key] = 0
        keys.append(key)
    return keys


def read_keras3_layers(root: Any) -> dict[str, SavedLayer]:
    """Every layer group of a Keras 3 weights file: key -> its variables ``0, 1, ...`` in order.

    Raises ``ValueError`` if the file has no ``layers`` group or a ``vars`` group
    whose datasets are not numbered ``0`` to ``n - 1``.
    """
    if "layers" not in root:
        raise ValueError("it has no `layers` group, so it is not a Keras 3 weights file.")
    saved = {}
    for key, group in root["layers"].items():
        variables = group.get("vars")
        if variables is None:
            continue
        where = f"layers/{key}/vars"
        names = [str(i) for i in range(len(variables))]
        if set(variables) != set(names):
            raise ValueError(f"{where} holds {sorted(variables)}; Keras numbers a layer's variables 0 to n - 1.")
        saved[key] = SavedLayer(where, [(f"{where}/{name}", variables[name][()]) for name in names])
    return saved


def read_legacy_layers(group: Any) -> list[SavedLayer]:
    """The layers of a legacy weights group that hold weights, in ``layer_names`` order.

    ``group`` is an ``.h5`` file's ``model_weights`` group, or the root of a
    ``save_weights`` file. Raises ``ValueError`` for a missing ``layer_names``
    attribute, layer group or dataset.
    """
    layer_names = read_name_list(group, "layer_names")
    if layer_names is None:
        raise ValueError("it has no `layer_names` attribute, so it is not a Keras weights file.")
    saved = []
    for layer_name in layer_names:
        if layer_name not in group:
            raise ValueError(f"`layer_names` lists {layer_name!r} but the file has no group {group.name}/{layer_name}.")
        layer_group = group[layer_name]
        weight_names = read_name_list(layer_group, "weight_names") or []
        missing = [name for name in weight_names if name not in layer_group]
        if missing:
            raise ValueError(f"layer {layer_name!r} lists weights {missing} that the file does not hold.")
        if weight_names:
            saved.append(SavedLayer(repr(layer_name), [(name, layer_group[name][()]) for name in weight_names]))
    return saved


def read_name_list(node: Any, attribute: str) -> list[str] | None:
    """A list-of-names attribute, joined from ``<attribute>0``, ``<attribute>1``... when Keras split it.

    Keras splits a list longer than HDF5's 64 KiB attribute limit into numbered
    chunks; h5py may return names as ``bytes``. ``None`` if neither form is there.

    >>> import io
    >>> with h5py_module().File(io.BytesIO(), "w") as f:
    ...     f.attrs["layer_names0"] = [b"conv", b"pool"]
    ...     f.attrs["layer_names1"] = [b"dense"]
    ...     read_name_list(f, "layer_names")
    ['conv', 'pool', 'dense']
    """
    if attribute in node.attrs:
        chunks = [node.attrs[attribute]]
    else:
        chunks = []
        while f"{attribute}{len(chunks)}" in node.attrs:
            chunks.append(node.attrs[f"{attribute}{len(chunks)}"])
        if not chunks:
            return None
    return [name.decode("utf8") if isinstance(name, bytes) else str(name) for chunk in chunks for name in chunk]


def read_text_attribute(node: Any, attribute: str) -> str | None:
    """A string attribute (``model_config``, ``keras_version``, ``backend``), decoded; ``None`` if absent."""
    value = node.attrs.get(attribute)
    return value.decode("utf8") if isinstance(value, bytes) else None if value is None else str(value)
