"""Where each layer of a model, nested models included, keeps its weights in Keras's files.

A model is a tree: its ``layers`` are layers or models, which have layers of their own.
Weights belong to the leaves. Keras 3 saves leaf ``conv2d`` of nested ``Sequential``
``inner`` at ``layers/sequential/layers/conv2d/vars`` (each level's key the snake_case
class name, numbered on repeats: :func:`~convlayers.io.keras_h5.keras3_weight_keys`);
a Functional model's ``layers`` include its ``InputLayer``\\ s, a Sequential's do not. The
legacy ``.h5`` layout keeps one group per top-level layer, a nested model's group holding
all its leaves' weights in leaf order.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..layers import Layer, TimeDistributed
from ..models import Model, Sequential
from .keras_h5 import keras3_weight_keys


def is_model(layer: Any) -> bool:
    """Whether ``layer`` is a model (it has layers of its own) rather than a layer.

    >>> import convlayers
    >>> is_model(convlayers.Sequential()), is_model(convlayers.Dense(2))
    (True, False)
    """
    return isinstance(layer, Model)  # a Sequential is one


def keras_class_name(layer: Any) -> str:
    """The class name Keras 3 gives ``layer`` in files: ``Sequential``, ``Functional``, or the layer's class.

    >>> import convlayers
    >>> keras_class_name(convlayers.Sequential()), keras_class_name(convlayers.Conv2D(2, 3))
    ('Sequential', 'Conv2D')
    """
    if isinstance(layer, Sequential):
        return "Sequential"
    if is_model(layer):
        return "Functional"
    return type(layer).__name__


def keras3_children(model: Any) -> list[tuple[str, Any]]:
    """``(key, layer)`` for each of ``model.layers``: the group names Keras 3 gives them at this level.

    >>> import convlayers
    >>> model = convlayers.Sequential([convlayers.Input((4,)), convlayers.Dense(2), convlayers.Dense(2)])
    >>> [key for key, _ in keras3_children(model)]
    ['dense', 'dense_1']
    """
    layers = list(model.layers)
    return list(zip(keras3_weight_keys([keras_class_name(layer) for layer in layers]), layers))


def keras3_paths(model: Any, prefix: str = "") -> Iterator[tuple[str, Layer]]:
    """``(path, layer)`` for every leaf layer of ``model``, in Keras's weight order, path as Keras 3 saves it.

    >>> import convlayers
    >>> inputs = convlayers.Input((4, 4, 1))
    >>> inner = convlayers.Sequential([convlayers.Conv2D(2, 1)], name="inner")
    >>> model = convlayers.Model(inputs, inner(convlayers.Conv2D(1, 1)(inputs)))
    >>> [path for path, _ in keras3_paths(model)]
    ['layers/input_layer', 'layers/conv2d', 'layers/sequential/layers/conv2d']
    """
    for key, layer in keras3_children(model):
        path = f"{prefix}layers/{key}"
        if is_model(layer):
            yield from keras3_paths(layer, f"{path}/")
        elif isinstance(layer, TimeDistributed):
            yield f"{path}/layer", layer.layer  # Keras 3 keeps a wrapper's weights with its inner layer
        else:
            yield path, layer


def leaf_layers(model: Any) -> list[Layer]:
    """The leaf layers of ``model`` (a layer inside nested models too), each once, in Keras's weight order."""
    return [layer for _, layer in keras3_paths(model)]


def own_leaves(layer: Any) -> list[Layer]:
    """The leaf layers holding ``layer``'s weights: a model's leaves, a wrapper's inner layer, or the layer itself.

    >>> import convlayers
    >>> inner = convlayers.Dense(2)
    >>> own_leaves(convlayers.TimeDistributed(inner)) == [inner]
    True
    """
    if is_model(layer):
        return leaf_layers(layer)
    return [layer.layer if isinstance(layer, TimeDistributed) else layer]


def weight_count(layer: Any) -> int:
    """How many weights ``layer`` has, a nested model counting all its leaves'."""
    if is_model(layer):
        return sum(len(leaf.weight_specs) for leaf in leaf_layers(layer))
    return len(layer.weight_specs)


def legacy_weight_order(layer: Any) -> list[tuple[Layer, int]]:
    """``(leaf, index in its weights)`` in the order a legacy ``.h5`` keeps ``layer``'s weights.

    Keras lists a layer's (or nested model's) trainable weights first, then the others,
    each part in leaf order; a frozen layer's weights are all "others".
    """
    leaves = own_leaves(layer)
    frozen = not getattr(layer, "trainable", True)
    pairs = [
        (leaf, index, record.trainable and leaf.trainable and not frozen)
        for leaf in leaves
        for index, record in enumerate(leaf.weight_specs)
    ]
    return [(leaf, index) for leaf, index, trainable in pairs if trainable] + [
        (leaf, index) for leaf, index, trainable in pairs if not trainable
    ]
