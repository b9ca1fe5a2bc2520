"""A functional model's config, Keras 3's format, both ways; :func:`replay_graph` also reads tf.keras 2's.

Keras 3 (``Functional.get_config``)::

    {"name", "trainable",
     "layers": [{...the layer's entry..., "name": "dense",
                 "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__",
                                              "config": {"shape": [None, 4], "dtype": "float32",
                                                         "keras_history": ["input_layer", 0, 0]}}],
                                    "kwargs": {}}]}, ...],
     "input_layers": ["input_layer", 0, 0],      # the inputs' structure: a ref, or a list/dict of refs
     "output_layers": ["dense", 0, 0]}

A ref ``[layer, node, tensor]`` counts only the layer's calls inside this model. A nested
functional model's own graph counts as its first node in ``input_layers``/``output_layers``
(so its first call there is node 1), not in ``inbound_nodes``. tf.keras 2 writes
``"inbound_nodes": [[["layer", node, tensor, {kwargs}], ...], ...]`` (one list per call,
its entries the call's inputs) and counts a nested model's own graph as node 0 everywhere.
"""

from __future__ import annotations

from typing import Any, Callable

from ..layers import Layer, deserialize_layer, serialize_layer
from ..layers.symbolic import KerasTensor, Node

LayerFactory = Callable[[dict[str, Any]], Any]

#: The classes Keras writes models as (tf.keras 2 wrote "Model" before 2.4).
FUNCTIONAL_CLASSES = ("Functional", "Model")
_CONFIG_KEYS = {"name", "trainable", "layers", "input_layers", "output_layers"}


def _is_functional(layer: Any) -> bool:
    from .functional import Functional

    return isinstance(layer, Functional)


# -- writing ------------------------------------------------------------------------------------
def layer_entry(layer: Any) -> dict[str, Any]:
    """Keras 3's entry for a layer or nested model: module, class name, config, registered name, build config.

    >>> import convlayers
    >>> layer_entry(convlayers.Dense(2, name="d"))["class_name"]
    'Dense'
    """
    if isinstance(layer, Layer):
        return serialize_layer(layer)
    module = "keras.src.models.functional" if _is_functional(layer) else "keras"
    shape = layer.build_input_shape
    return {
        "module": module,
        "class_name": type(layer).__name__,
        "config": layer.get_config(),
        "registered_name": None,
        "build_config": None if shape is None else {"input_shape": shape},
    }


def functional_config(model: Any, nodes: list[Node]) -> dict[str, Any]:
    """Keras 3's config of functional ``model`` whose graph is ``nodes`` (layer entries with their inbound nodes)."""
    # Each layer's calls inside the model, renumbered from 0 in the order they were made.
    position: dict[tuple[int, int], int] = {}
    counts: dict[int, int] = {}
    for node in sorted(nodes, key=lambda n: n.index):
        position[(id(node.operation), node.index)] = counts.get(id(node.operation), 0)
        counts[id(node.operation)] = position[(id(node.operation), node.index)] + 1

    def tensor_entry(x: Any) -> Any:
        if isinstance(x, KerasTensor):
            operation, node_index, tensor_index = x.keras_history
            return {
                "class_name": "__keras_tensor__",
                "config": {
                    "shape": list(x.shape),
                    "dtype": x.dtype,
                    "keras_history": [operation.name, position[(id(operation), node_index)], tensor_index],
                },
            }
        if isinstance(x, tuple):
            return {"class_name": "__tuple__", "config": {"value": [tensor_entry(v) for v in x]}}
        if isinstance(x, list):
            return [tensor_entry(v) for v in x]
        if isinstance(x, dict):
            return {k: tensor_entry(v) for k, v in x.items()}
        return x

    layers = []
    for layer in model.layers:
        own = sorted((n for n in nodes if n.operation is layer and not n.is_input), key=lambda n: n.index)
        entry = layer_entry(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [
            {"args": tensor_entry(list(n.arguments[0])), "kwargs": tensor_entry(dict(n.arguments[1]))} for n in own
        ]
        layers.append(entry)

    def ref(x: Any) -> Any:
        if isinstance(x, KerasTensor):
            operation, node_index, tensor_index = x.keras_history
            offset = 1 if _is_functional(operation) else 0
            return [operation.name, position[(id(operation), node_index)] + offset, tensor_index]
        if isinstance(x, dict):
            return {k: ref(v) for k, v in x.items()}
        return [ref(v) for v in x]

    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layers,
        "input_layers": ref(model.input),
        "output_layers": ref(model.output),
    }


# -- reading ------------------------------------------------------------------------------------
def default_layer_factory(entry: dict[str, Any]) -> Any:
    """A layer or nested model from its entry in a convlayers (Keras 3 style) model config.

    >>> default_layer_factory({"class_name": "Dense", "config": {"units": 2, "name": "d"}}).name
    'd'
    """
    class_name = entry.get("class_name")
    if class_name in FUNCTIONAL_CLASSES:
        from .functional import Functional

        return Functional.from_config(entry.get("config") or {}, layer_factory=default_layer_factory)
    if class_name == "Sequential":
        from .sequential import Sequential

        return Sequential.from_config(entry.get("config") or {})
    return deserialize_layer(entry)


class _NotYet(Exception):
    """A node's input is made by a call not replayed yet (a layer shared at several depths)."""


def replay_graph(config: dict[str, Any], layer_factory: LayerFactory, owner: str = "Model.from_config") -> tuple[Any, Any, dict[str, Any]]:
    """Rebuild a functional model's graph from its config: ``(inputs, outputs, layers_by_name)``.

    ``config`` is Keras 3's functional config or tf.keras 2's (``inbound_nodes`` as lists of
    ``[layer, node, tensor, kwargs]``); ``layer_factory(entry)`` makes each layer (or nested
    model) from its entry. Each layer is called on the KerasTensors its inbound nodes name,
    in config order, calls whose inputs do not exist yet waiting for a later pass (a layer
    shared at several depths), as Keras replays them. ``inputs`` and ``outputs`` have the
    structures of ``input_layers`` and ``output_layers``.

    >>> import convlayers
    >>> x = convlayers.Input((3,), name="x")
    >>> model = convlayers.Model(x, convlayers.Dense(2, name="d")(x))
    >>> inputs, outputs, layers = replay_graph(model.get_config(), default_layer_factory)
    >>> outputs.shape, sorted(layers)
    ((None, 2), ['d', 'x'])
    """
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError(f"{owner}: expected a functional model config, a dict with a `layers` list. Received: {_short(config)}.")
    for key in ("input_layers", "output_layers"):
        if key not in config:
            raise ValueError(f"{owner}: the config has no `{key}`; a functional model config names its inputs and outputs.")
    created: dict[str, Any] = {}
    pending: dict[str, list[Any]] = {}
    legacy: dict[str, bool] = {}
    order = []
    for index, entry in enumerate(config["layers"]):
        if not isinstance(entry, dict):
            raise ValueError(f"{owner}: layer {index} of the config must be a dict. Received: {_short(entry)}.")
        name = entry.get("name", (entry.get("config") or {}).get("name"))
        if not isinstance(name, str):
            raise ValueError(f"{owner}: layer {index} of the config has no name. Received: {_short(entry)}.")
        if name in created:
            raise ValueError(f"{owner}: two layers of the config are named {name!r}; names must be unique.")
        layer = layer_factory(entry)
        if getattr(layer, "name", name) != name:
            raise ValueError(f"{owner}: layer {index} is named {name!r} in the model but {layer.name!r} in its config.")
        created[name] = layer
        inbound = entry.get("inbound_nodes") or []
        if not isinstance(inbound, list):
            raise ValueError(f"{owner}: `inbound_nodes` of layer {name!r} must be a list. Received: {_short(inbound)}.")
        pending[name] = list(inbound)
        legacy[name] = any(isinstance(node, list) for node in inbound)
        order.append(name)

    while any(pending.values()):
        progressed = False
        for name in order:
            while pending[name]:
                try:
                    args, kwargs = _node_arguments(pending[name][0], created, owner, name)
                except _NotYet:
                    break
                created[name](*args, **_call_kwargs(kwargs, owner, name))
                pending[name].pop(0)
                progressed = True
        if not progressed:
            unresolved = {name: len(nodes) for name, nodes in pending.items() if nodes}
            raise ValueError(
                f"{owner}: invalid functional model config: the graph has loops or disconnected nodes. "
                f"Calls that could not be resolved (layer: count): {unresolved}."
            )

    legacy_model = any(legacy.values())

    def tensor(ref: Any) -> Any:
        if isinstance(ref, list) and len(ref) == 3 and isinstance(ref[0], str):
            name, node_index, tensor_index = ref
            layer = created.get(name)
            if layer is None:
                raise ValueError(f"{owner}: the model's inputs or outputs name a layer {name!r} that is not in `layers`.")
            # Both Keras 3 and tf.keras 2 count a nested model's own graph as its node 0 here
            # (tf.keras 2 counted a Sequential's too).
            if _is_functional(layer) or (legacy_model and _is_model(layer)):
                node_index -= 1
            return _output_of(layer, node_index, tensor_index, owner, name, strict=True)
        if isinstance(ref, dict):
            return {key: tensor(value) for key, value in ref.items()}
        if isinstance(ref, (list, tuple)):
            return [tensor(value) for value in ref]
        raise ValueError(f"{owner}: an input or output reference must be [layer_name, node_index, tensor_index]. Received: {_short(ref)}.")

    return tensor(config["input_layers"]), tensor(config["output_layers"]), created


def _is_model(layer: Any) -> bool:
    from .model import Model

    return isinstance(layer, Model)


def _output_of(layer: Any, node_index: Any, tensor_index: Any, owner: str, name: str, strict: bool = False) -> KerasTensor:
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in (node_index, tensor_index)):
        raise ValueError(f"{owner}: a reference to layer {name!r} needs int node and tensor indices. Received: {node_index!r}, {tensor_index!r}.")
    nodes = layer._inbound_nodes
    if not 0 <= node_index < len(nodes):
        if strict:
            raise ValueError(f"{owner}: layer {name!r} has no call (node) {node_index}; it has {len(nodes)}.")
        raise _NotYet
    outputs = nodes[node_index].outputs
    if not 0 <= tensor_index < len(outputs):
        raise ValueError(f"{owner}: call {node_index} of layer {name!r} has no output {tensor_index}; it has {len(outputs)}.")
    return outputs[tensor_index]


def _node_arguments(node: Any, created: dict[str, Any], owner: str, name: str) -> tuple[list[Any], dict[str, Any]]:
    """The ``(args, kwargs)`` of one recorded call, KerasTensors found in ``created`` (``_NotYet`` if one is missing)."""
    if isinstance(node, list):  # tf.keras 2: [[layer, node, tensor, kwargs], ...], one entry per input
        tensors, kwargs = [], {}
        for item in node:
            if not isinstance(item, list) or len(item) not in (3, 4) or not isinstance(item[0], str):
                raise ValueError(f"{owner}: an inbound node of layer {name!r} must list [layer, node, tensor, kwargs] entries. Received: {_short(item)}.")
            source = _source(created, item[0], owner, name)
            index = item[1] - 1 if _is_model(source) and isinstance(item[1], int) else item[1]
            tensors.append(_output_of(source, index, item[2], owner, item[0]))
            if len(item) == 4:
                if not isinstance(item[3], dict):
                    raise ValueError(f"{owner}: the call arguments of layer {name!r} must be a dict. Received: {_short(item[3])}.")
                kwargs = item[3]
        return [tensors[0] if len(tensors) == 1 else tensors], kwargs
    if not isinstance(node, dict) or not isinstance(node.get("args", []), list) or not isinstance(node.get("kwargs", {}), dict):
        raise ValueError(f"{owner}: an inbound node of layer {name!r} must be {{'args': [...], 'kwargs': {{...}}}}. Received: {_short(node)}.")

    def value(item: Any) -> Any:
        if isinstance(item, dict) and item.get("class_name") == "__keras_tensor__":
            history = (item.get("config") or {}).get("keras_history")
            if not isinstance(history, list) or len(history) != 3 or not isinstance(history[0], str):
                raise ValueError(f"{owner}: a tensor in the inputs of layer {name!r} has no valid `keras_history`. Received: {_short(item)}.")
            return _output_of(_source(created, history[0], owner, name), history[1], history[2], owner, history[0])
        if isinstance(item, dict) and item.get("class_name") == "__tuple__":
            return tuple(value(v) for v in (item.get("config") or {}).get("value", []))
        if isinstance(item, list):
            return [value(v) for v in item]
        if isinstance(item, dict):
            return {k: value(v) for k, v in item.items()}
        return item

    return value(node.get("args", [])), value(node.get("kwargs", {}))


def _source(created: dict[str, Any], name: Any, owner: str, consumer: str) -> Any:
    if name not in created:
        raise ValueError(f"{owner}: layer {consumer!r} is called on the output of {name!r}, which is not a layer of the config.")
    return created[name]


def _call_kwargs(kwargs: dict[str, Any], owner: str, name: str) -> dict[str, Any]:
    """The recorded call arguments convlayers layers take: ``training``; a ``mask`` of ``None`` (Keras records it) is dropped."""
    taken = {}
    for key, value in kwargs.items():
        if key == "training":
            taken[key] = value
        elif key == "mask" and value is None:
            continue
        else:
            raise ValueError(
                f"{owner}: layer {name!r} is called with `{key}={_short(value)}`; convlayers layers take only "
                f"`training` (and no masks)."
            )
    return taken


def _short(value: Any) -> str:
    from ..io.architecture import short

    return short(value)


def check_config_keys(config: dict[str, Any], owner: str) -> None:
    """Refuse keys a functional config does not have."""
    unknown = sorted(set(config) - _CONFIG_KEYS)
    if unknown:
        raise ValueError(f"{owner}: unknown keys {unknown} in the functional config. Allowed: {', '.join(sorted(_CONFIG_KEYS))}.")

