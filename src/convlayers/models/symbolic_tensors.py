"""Keras's helpers for symbolic tensors: ``is_keras_tensor`` and ``get_source_inputs``.

>>> import convlayers
>>> x = convlayers.Input((3,))
>>> y = convlayers.Dense(2)(x)
>>> is_keras_tensor(y), get_source_inputs(y)[0] is x
(True, True)
"""

from __future__ import annotations

from typing import Any

from ..layers import InputLayer
from ..layers.symbolic import KerasTensor, flatten

__all__ = ["flatten", "get_source_inputs", "is_keras_tensor"]


def is_keras_tensor(x: Any) -> bool:
    """Whether ``x`` is a symbolic ``KerasTensor`` (made by ``Input`` or a layer called on one), as Keras's.

    >>> import torch
    >>> is_keras_tensor(torch.zeros(1))
    False
    """
    return isinstance(x, KerasTensor)


def get_source_inputs(tensor: Any) -> list[KerasTensor]:
    """The ``Input`` tensors that ``tensor`` was computed from, in the order met walking back its graph (Keras's).

    A tensor made by ``Input`` is its own source.

    >>> import convlayers
    >>> a, b = convlayers.Input((2,), name="a"), convlayers.Input((2,), name="b")
    >>> [t.name for t in get_source_inputs(convlayers.Add()([a, b]))]
    ['a', 'b']
    """
    if not is_keras_tensor(tensor):
        raise ValueError(f"get_source_inputs: expected a KerasTensor. Received: {tensor!r} of type {type(tensor).__name__}.")
    history = tensor._keras_history
    operation = history.operation
    if isinstance(operation, InputLayer) or not operation._inbound_nodes:
        return [tensor]
    node = operation._inbound_nodes[history.node_index]
    sources: list[KerasTensor] = []
    for parent in flatten(node.input_tensors):
        for source in get_source_inputs(parent):
            if not any(source is seen for seen in sources):
                sources.append(source)
    return sources
