"""Symbolic tensors: what ``Input(...)`` returns and what calling a layer on one records (Keras's functional API).

A :class:`KerasTensor` holds a shape (``None`` for unknown sizes, the batch first), a dtype
name and its *history*: the layer that made it, which of that layer's calls (its *node*)
and which of that call's outputs it is. Calling a layer on KerasTensors (or a list, tuple
or dict of them) builds the layer for their shapes, infers the output shapes, records a
:class:`Node` on the layer and returns new KerasTensors; no data is involved, so shape
errors come here, before any data. A functional :class:`~convlayers.Model` walks these
histories once to find its graph.

Structures (nested lists, tuples and dicts of tensors) are flattened as Keras's ``tree``
does: dicts by sorted key.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, NamedTuple

__all__ = ["KerasHistory", "KerasTensor", "Node", "call_symbolic", "flatten", "is_symbolic", "map_structure", "pack_as"]


def _counter() -> Iterator[int]:
    index = 0
    while True:
        yield index
        index += 1


_tensor_ids = _counter()


def reset_tensor_ids() -> None:
    """Number new KerasTensors from 0 again (``clear_session``)."""
    global _tensor_ids
    _tensor_ids = _counter()


class KerasHistory(NamedTuple):
    """Where a :class:`KerasTensor` comes from: ``(operation, node_index, tensor_index)``, as Keras names them.

    ``operation`` is the layer (or model) that made the tensor (also ``.layer``),
    ``node_index`` which of its calls, ``tensor_index`` which output of that call.
    """

    operation: Any
    node_index: int
    tensor_index: int

    @property
    def layer(self) -> Any:
        """The layer (or model) that made the tensor: ``operation`` by its convlayers name."""
        return self.operation


class KerasTensor:
    """A symbolic tensor: a shape (batch dim first, ``None`` where unknown), a dtype name and a history.

    Made by :func:`~convlayers.Input` and by calling layers on KerasTensors; never holds data.

    >>> import convlayers
    >>> x = convlayers.Input((8, 8, 3), name="image")
    >>> x
    <KerasTensor shape=(None, 8, 8, 3), dtype=float32, sparse=False, name=image>
    >>> y = convlayers.Conv2D(4, 3, name="conv")(x)
    >>> y.shape, y.dtype, y.keras_history.layer.name, y.keras_history[1:]
    ((None, 6, 6, 4), 'float32', 'conv', (0, 0))
    """

    def __init__(self, shape: Any, dtype: str = "float32", name: str | None = None) -> None:
        self.shape: tuple[int | None, ...] = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype
        self.name = name if name is not None else f"keras_tensor_{next(_tensor_ids)}"
        self._keras_history: KerasHistory | None = None

    @property
    def ndim(self) -> int:
        """The rank, batch dim included."""
        return len(self.shape)

    @property
    def sparse(self) -> bool:
        """Always false: convlayers has no sparse tensors."""
        return False

    @property
    def keras_history(self) -> KerasHistory | None:
        """The ``(operation, node_index, tensor_index)`` that made this tensor (``None`` for a free one)."""
        return self._keras_history

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse=False, name={self.name}>"

    def __bool__(self) -> bool:
        # Python would take any object as true; a symbolic tensor has no truth value, and an `if` on
        # one is a bug in the model's code.
        raise TypeError(f"A symbolic KerasTensor {self.name!r} has no truth value: it holds no data. Received: {self!r}.")

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"A symbolic KerasTensor {self.name!r} cannot be converted to a NumPy array: it holds no data. Call "
            f"convlayers layers on it to build a model, then call the model on data."
        )


class Node:
    """One call of a layer (or model) on KerasTensors: its arguments, and the KerasTensors it returned.

    Creating it appends it to ``operation._inbound_nodes`` and sets each output's history.
    ``arguments`` is ``(args, kwargs)`` as the call got them (KerasTensors inside).
    """

    def __init__(self, operation: Any, args: tuple[Any, ...], kwargs: dict[str, Any], outputs: list[KerasTensor]) -> None:
        self.operation = operation
        self.arguments = (args, kwargs)
        self.input_tensors = [x for x in flatten((args, kwargs)) if isinstance(x, KerasTensor)]
        self.outputs = list(outputs)
        self.index = len(operation._inbound_nodes)
        operation._inbound_nodes.append(self)
        for tensor_index, tensor in enumerate(self.outputs):
            tensor._keras_history = KerasHistory(operation, self.index, tensor_index)

    @property
    def output_tensors(self) -> list[KerasTensor]:
        """The call's outputs, flat (Keras's name)."""
        return self.outputs

    @property
    def is_input(self) -> bool:
        """Whether this is an ``InputLayer``'s node (no inputs)."""
        return not self.input_tensors

    @property
    def parent_nodes(self) -> list[Node]:
        """The nodes that made this node's inputs."""
        return [x._keras_history.operation._inbound_nodes[x._keras_history.node_index] for x in self.input_tensors]

    def __repr__(self) -> str:
        return f"<Node operation={getattr(self.operation, 'name', self.operation)}, index={self.index}>"


# -- structures ---------------------------------------------------------------------------------
def flatten(structure: Any) -> list[Any]:
    """The leaves of nested lists, tuples and dicts (dicts by sorted key), as Keras's ``tree.flatten``.

    >>> flatten({"b": [1, 2], "a": (3, {"z": 4})})
    [3, 4, 1, 2]
    """
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def pack_as(structure: Any, leaves: list[Any]) -> Any:
    """``leaves`` (as :func:`flatten` gives them) put back into the shape of ``structure``.

    >>> pack_as({"b": [0, 0], "a": 0}, [1, 2, 3])
    {'b': [2, 3], 'a': 1}
    """
    remaining = iter(leaves)

    def fill(item: Any) -> Any:
        if isinstance(item, dict):
            values = {key: fill(item[key]) for key in sorted(item)}
            return {key: values[key] for key in item}
        if isinstance(item, (list, tuple)):
            return type(item)(fill(x) for x in item)
        return next(remaining)

    return fill(structure)


def map_structure(function: Callable[[Any], Any], structure: Any) -> Any:
    """``function`` applied to every leaf, the structure kept.

    >>> map_structure(lambda x: x * 10, [1, (2, {"a": 3})])
    [10, (20, {'a': 30})]
    """
    return pack_as(structure, [function(leaf) for leaf in flatten(structure)])


def is_symbolic(inputs: Any) -> bool:
    """Whether ``inputs`` is a KerasTensor, or a list/tuple/dict holding one (then it is a symbolic call).

    >>> import convlayers
    >>> is_symbolic([convlayers.Input((2,)), 1.0]), is_symbolic([[1.0]])
    (True, False)
    """
    if isinstance(inputs, KerasTensor):
        return True
    if isinstance(inputs, (list, tuple, dict)):
        return any(isinstance(leaf, KerasTensor) for leaf in flatten(inputs))
    return False


def call_symbolic(operation: Any, inputs: Any, kwargs: dict[str, Any], outputs_for: Callable[[Any], Any]) -> Any:
    """Record ``operation(inputs, **kwargs)`` on KerasTensors and return its symbolic outputs.

    ``outputs_for(inputs)`` builds the operation for the inputs' shapes and returns
    its outputs as fresh KerasTensors, in any structure: this is where a bad
    shape raises. Every leaf of ``inputs`` must be a KerasTensor with a history.
    """
    for leaf in flatten(inputs):
        if not isinstance(leaf, KerasTensor):
            raise TypeError(
                f"{_owner(operation)}: a call on KerasTensors takes KerasTensors only (a model's constants belong "
                f"in a layer). Received {leaf!r} of type {type(leaf).__name__} among the inputs."
            )
        if leaf._keras_history is None:
            raise ValueError(
                f"{_owner(operation)}: the KerasTensor {leaf.name!r} has no history; make inputs with "
                f"convlayers.Input(...) and call layers on them."
            )
    outputs = outputs_for(inputs)
    Node(operation, (inputs,), dict(kwargs), flatten(outputs))
    return outputs


def _owner(operation: Any) -> str:
    return getattr(operation, "owner", None) or f"{type(operation).__name__} {getattr(operation, 'name', '')!r}"
