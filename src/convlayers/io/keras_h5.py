"""The weights inside Keras HDF5 files, found in Keras's order (``../shared/reference/keras.md`` §4.2-4.3).

Two layouts exist. Keras 3 (``model.weights.h5`` in a ``.keras`` zip, and
``*.weights.h5``) keeps layer ``i``'s variables at ``layers/<key>/vars/<i>``, where
the key is the snake_case class name made unique in ``model.layers`` order
(:func:`keras3_weight_keys`). The legacy layout (``.h5`` from ``model.save`` or
tf.keras 2 ``save_weights``) lists the layers in a ``layer_names`` attribute and
each layer's datasets in a ``weight_names`` attribute; those lists, never HDF5's
alphabetical order (which puts ``bias`` before ``kernel``), give the order.

Everything here reads an :class:`~convlayers.io.hdf5_reader.Hdf5Index`, never the file:
it finds which datasets hold which weights, with their declared shapes and dtypes, so
they can be checked before a byte of them is read.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..layers.base import snake_case
from .hdf5_reader import Dataset, Hdf5Index, join


@dataclass(frozen=True)
class SavedLayer:
    """One layer's weights as a file holds them: where (for messages), and ``(name, dataset)`` in order."""

    where: str
    weights: list[tuple[str, Dataset]]


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


def read_keras3_layers(index: Hdf5Index) -> dict[str, SavedLayer]:
    """Every layer group of a Keras 3 weights file: its path -> its variables ``0, 1, ...`` in order.

    Paths read ``layers/conv2d``, and a nested model's layers ``layers/sequential/layers/conv2d``
    (Keras saves a model inside a model under its own ``layers`` group). Raises
    ``ValueError`` if the file has no ``layers`` group, a layer group that cannot be read
    (a link), or a ``vars`` group whose datasets are not numbered ``0`` to ``n - 1``.
    """
    if not index.is_group("/layers"):
        raise ValueError("it has no `layers` group, so it is not a Keras 3 weights file.")
    saved = {}
    # Breadth first over the `layers` groups found in the index, so depth costs no recursion.
    pending = ["/layers"]
    while pending:
        layers = pending.pop(0)
        keys = [join(layers, key) for key in index.members[layers]]
        # A wrapper (TimeDistributed) keeps its inner layer's variables at `<group>/layer/vars`.
        groups = [g for key in keys for g in (key, join(key, "layer")) if g == key or index.is_group(join(g, "vars"))]
        for group in groups:
            variables = join(group, "vars")
            for path in (group, variables, join(group, "layers")):
                if path in index.unreadable:
                    raise ValueError(f"{path} is {index.unreadable[path]}")
            if index.is_group(join(group, "layers")):
                pending.append(join(group, "layers"))
            if not index.is_group(variables):
                continue
            where = variables.lstrip("/")
            names = [str(i) for i in range(len(index.members[variables]))]
            if set(index.members[variables]) != set(names):
                found = sorted(index.members[variables])
                raise ValueError(f"{where} holds {found}; Keras numbers a layer's variables 0 to n - 1.")
            datasets = [(f"{where}/{name}", index.dataset(join(variables, name))) for name in names]
            saved[group.lstrip("/")] = SavedLayer(where, datasets)
    return saved


def read_legacy_layers(index: Hdf5Index, group: str) -> list[SavedLayer]:
    """The layers of a legacy weights group that hold weights, in ``layer_names`` order.

    ``group`` is an ``.h5`` file's ``/model_weights`` group, or the root of a
    ``save_weights`` file. Raises ``ValueError`` for a missing ``layer_names``
    attribute, layer group or dataset.
    """
    layer_names = index.names(group, "layer_names")
    if layer_names is None:
        raise ValueError("it has no `layer_names` attribute, so it is not a Keras weights file.")
    saved = []
    for layer_name in layer_names:
        path = join(group, layer_name)
        if path in index.unreadable:
            raise ValueError(f"{path} is {index.unreadable[path]}")
        if not index.is_group(path):
            raise ValueError(f"`layer_names` lists {layer_name!r} but the file has no group {path}.")
        weight_names = index.names(path, "weight_names") or []
        missing = [name for name in weight_names if join(path, name) not in index.datasets and join(path, name) not in index.unreadable]
        if missing:
            raise ValueError(f"layer {layer_name!r} lists weights {missing} that the file does not hold.")
        if weight_names:
            saved.append(SavedLayer(repr(layer_name), [(name, index.dataset(join(path, name))) for name in weight_names]))
    return saved


def check_writer(index: Hdf5Index, group: str) -> str | None:
    """The ``backend`` attribute of a Keras 2 or 3 legacy file; Keras 1 files, whose layouts differ, are refused.

    ``None`` when the file does not say (Keras 3's legacy ``.h5`` says ``'tensorflow'``,
    ``'jax'``...). What a Theano backend means for the kernels is :mod:`.legacy`'s business.
    """
    version = index.text(group, "keras_version") or index.text("/", "keras_version")
    if version is None or version.startswith("1."):
        raise ValueError(
            f"it was written by Keras 1 (keras_version={version!r}), whose layer configs and kernel layouts "
            f"differ; load_keras_model and load_keras_weights read Keras 2 and 3 files."
        )
    return index.text(group, "backend") or index.text("/", "backend")
