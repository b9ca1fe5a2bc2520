"""The graph between a functional model's input and output KerasTensors, found once, and its execution plan.

:func:`map_graph` walks the KerasTensors' histories back from the outputs (Keras's
``map_graph``: nodes ordered by depth, deepest first; operations in Keras's order, which
``model.layers`` and configs follow), and refuses cycles, disconnected graphs and
duplicate names. :class:`Plan` turns the nodes into a list of steps over numbered
value slots, so that a call runs the layers in order with no graph search.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable, NamedTuple, Sequence

from ..layers.symbolic import KerasTensor, Node, flatten


class Graph(NamedTuple):
    """What :func:`map_graph` finds: nodes (deepest first, so each after its inputs' nodes) and operations."""

    nodes: list[Node]
    operations: list[Any]
    nodes_by_depth: dict[int, list[Node]]


def _node_of(tensor: KerasTensor) -> Node:
    operation, node_index, _ = tensor.keras_history
    return operation._inbound_nodes[node_index]


def map_graph(inputs: Sequence[KerasTensor], outputs: Sequence[KerasTensor], owner: str) -> Graph:
    """The nodes and operations between ``inputs`` and ``outputs`` (flat lists of KerasTensors), as Keras orders them.

    >>> import convlayers
    >>> x = convlayers.Input((2,), name="x")
    >>> y = convlayers.Dense(1, name="d")(convlayers.Dense(2, name="c")(x))
    >>> [op.name for op in map_graph([x], [y], "m").operations]
    ['x', 'c', 'd']
    """
    ordered: list[Node] = []  # each node after the nodes it reads from
    first_seen: dict[int, int] = {}  # id(operation) -> traversal index
    operations: dict[int, Any] = {}
    finished: set[int] = set()
    in_progress: set[int] = set()

    def visit(tensor: KerasTensor) -> None:
        node = _node_of(tensor)
        if id(node) in finished:
            return
        if id(node) in in_progress:
            raise ValueError(f"{owner}: tensor {tensor!r} from layer {node.operation.name!r} is part of a cycle.")
        first_seen.setdefault(id(node.operation), len(first_seen))
        operations[id(node.operation)] = node.operation
        in_progress.add(id(node))
        for parent in node.input_tensors:
            visit(parent)
        in_progress.discard(id(node))
        finished.add(id(node))
        ordered.append(node)

    for output in outputs:
        visit(output)

    in_graph = {id(node) for node in ordered}
    node_depth: dict[int, int] = {}
    operation_depth: dict[int, int] = {}
    for node in reversed(ordered):
        depth = max(node_depth.setdefault(id(node), 0), operation_depth.get(id(node.operation), 0))
        # A shared layer takes the depth of its deepest node.
        operation_depth[id(node.operation)] = depth
        node_depth[id(node)] = depth
        for parent in node.parent_nodes:
            if id(parent) in in_graph:
                node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
    nodes = {id(node): node for node in ordered}
    for tensor in inputs:  # inputs that no output uses are still the model's
        node = _node_of(tensor)
        if id(node.operation) not in operation_depth:
            operations[id(node.operation)] = node.operation
            operation_depth[id(node.operation)] = 0
            first_seen[id(node.operation)] = -1
            node_depth[id(node)] = 0
            nodes[id(node)] = node

    by_depth: dict[int, list[Node]] = defaultdict(list)
    for key, depth in node_depth.items():
        by_depth[depth].append(nodes[key])
    ordered_operations = sorted(operations.values(), key=lambda op: (-operation_depth[id(op)], first_seen[id(op)]))

    computable = {id(x) for x in inputs}
    accessed: list[str] = []
    for depth in sorted(by_depth, reverse=True):
        for node in by_depth[depth]:
            for tensor in node.input_tensors:
                if id(tensor) not in computable:
                    raise ValueError(
                        f"{owner}: graph disconnected: cannot find parent for tensor {tensor!r} at layer "
                        f"{node.operation.name!r}. The following previous layers were accessed without issue: {accessed}. "
                        f"Pass every Input the outputs depend on in `inputs`."
                    )
            if node.input_tensors:  # an Input's tensor is computable only if it is one of `inputs`
                accessed.append(node.operation.name)
                computable.update(id(x) for x in node.outputs)

    names = [op.name for op in ordered_operations]
    for name in names:
        if names.count(name) != 1:
            raise ValueError(
                f"{owner}: the name {name!r} is used {names.count(name)} times in the model. All layer names "
                f"should be unique (pass `name=` to the layers)."
            )
    flat_nodes = [node for depth in sorted(by_depth, reverse=True) for node in by_depth[depth]]
    return Graph(flat_nodes, ordered_operations, dict(by_depth))


class _Slot(NamedTuple):
    """Where a step's argument comes from: value slot ``index`` of the plan."""

    index: int


def _filler(template: Any) -> Callable[[list[Any]], Any]:
    """A function from the slot values to ``template`` with every :class:`_Slot` filled in (made once per step)."""
    if isinstance(template, _Slot):
        index = template.index
        return lambda values: values[index]
    if isinstance(template, dict):
        parts = {key: _filler(value) for key, value in template.items()}
        return lambda values: {key: part(values) for key, part in parts.items()}
    if isinstance(template, (list, tuple)):
        kind, items = type(template), [_filler(item) for item in template]
        return lambda values: kind(item(values) for item in items)
    return lambda values: template


def _template(structure: Any, slots: dict[int, int]) -> Any:
    if isinstance(structure, KerasTensor):
        return _Slot(slots[id(structure)])
    if isinstance(structure, dict):
        return {key: _template(value, slots) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_template(item, slots) for item in structure)
    return structure


class Step(NamedTuple):
    """One layer call of a plan: the layer, its arguments from the slots, and the slots its outputs go to."""

    layer: Any
    arguments: Callable[[list[Any]], Any]
    outputs: tuple[int, ...]


class Plan:
    """The nodes of a graph as steps over value slots: inputs in slots ``0..n-1``, each output in the next.

    Computed once; :meth:`run` then calls the layers in order. It pickles (and deep-copies)
    as the templates of its steps, from which the argument fillers are made again.
    """

    def __init__(self, inputs: Sequence[KerasTensor], outputs: Sequence[KerasTensor], nodes: Sequence[Node]) -> None:
        slots = {id(x): i for i, x in enumerate(inputs)}
        self._templates: list[tuple[Any, Any, tuple[int, ...]]] = []
        for node in nodes:
            if node.is_input:
                continue
            args, kwargs = node.arguments
            template = (_template(args, slots), _template(kwargs, slots))
            for x in node.outputs:
                slots[id(x)] = len(slots)
            self._templates.append((node.operation, template, tuple(slots[id(x)] for x in node.outputs)))
        self.size = len(slots)
        self.output_slots = [slots[id(x)] for x in outputs]
        self._make_steps()

    def _make_steps(self) -> None:
        self.steps = [Step(layer, _filler(template), outputs) for layer, template, outputs in self._templates]

    def __getstate__(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if key != "steps"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._make_steps()

    def run(self, flat_inputs: Sequence[Any], call: Callable[..., Any] | None = None) -> list[Any]:
        """The flat outputs for ``flat_inputs``; each step calls its layer.

        ``call(layer, *args, **kwargs)``, if given, replaces the layer's call (to
        propagate shapes instead of values); it returns a multi-output step's
        outputs as a flat list.
        """
        values: list[Any] = list(flat_inputs) + [None] * (self.size - len(flat_inputs))
        for layer, arguments, outputs in self.steps:
            args, kwargs = arguments(values)
            result = layer(*args, **kwargs) if call is None else call(layer, *args, **kwargs)
            if len(outputs) == 1:
                values[outputs[0]] = result
            else:
                for slot, value in zip(outputs, flatten(result) if call is None else result):
                    values[slot] = value
        return [values[i] for i in self.output_slots]
