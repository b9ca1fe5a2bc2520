"""``Functional``: a model over any graph of layers, made by ``convlayers.Model(inputs, outputs)`` (Keras's functional API).

The graph is found once, at construction (:mod:`~convlayers.models.graph`), and turned
into a plan: each call runs the layers' modules in order, with no graph search. The
layers are submodules under their names (``state_dict`` keys read ``"conv2d.kernel"``),
so the model trains in a plain torch loop, compiles with ``torch.compile`` and exports to
ONNX; it is also a :class:`~convlayers.models.training.Trainer` (``compile``/``fit``...).
"""

from __future__ import annotations

import json
from typing import Any, Sequence

import numpy as np
import torch

from .. import arrays
from ..layers import symbolic
from ..layers.base import Shape, training_mode, unique_name
from ..layers.core import InputLayer
from ..layers.symbolic import KerasTensor, flatten, pack_as
from .functional_config import (
    FUNCTIONAL_CLASSES,
    LayerFactory,
    check_config_keys,
    default_layer_factory,
    functional_config,
    layer_entry,
    replay_graph,
)
from .graph import Plan, map_graph
from .model import Model
from .sequential import Sequential
from .summary import format_shape, render_summary, summary_row


def _unpack_singleton(structure: Any) -> Any:
    """A one-element list or tuple as its element, as Keras returns a model's single output or shape."""
    return structure[0] if isinstance(structure, (list, tuple)) and len(structure) == 1 else structure


def _is_shape(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(d is None or isinstance(d, int) for d in value)


def _flatten_shapes(structure: Any) -> list[Shape]:
    """The shapes of a structure of shapes, flat (a shape is a tuple of ints and ``None``; dicts by sorted key)."""
    if _is_shape(structure):
        return [tuple(structure)]
    if isinstance(structure, dict):
        return [s for key in sorted(structure) for s in _flatten_shapes(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [s for item in structure for s in _flatten_shapes(item)]
    raise ValueError(f"Expected a shape (a tuple of ints and None) or a list or dict of shapes. Received: {structure!r}.")


class Functional(Model):
    """A model over a graph of layers, from its input and output KerasTensors (Keras's ``Functional``).

    Args:
        inputs: the KerasTensors made by :func:`~convlayers.Input` (one, or a list, tuple or dict).
        outputs: KerasTensors computed from them by calling layers (one, or a list, tuple or dict).
        name: the model's name (``"functional"``, ``"functional_1"``... by default).
        trainable: ``False`` freezes every layer.

    Any graph of layer calls works: layers whose output feeds several layers, merge
    layers, a layer called several times (shared weights), models (a ``Sequential``
    or another functional model) called as layers. The model is called with one
    tensor, a list/tuple (inputs in order) or a dict keyed by input names, and gives
    its outputs in the structure of ``outputs`` (a one-element list as its element).
    Tensors give tensors (autograd intact; ``training`` as in :meth:`forward`); NumPy
    arrays give NumPy arrays, in inference mode.

    >>> import numpy as np, convlayers
    >>> x = convlayers.Input((8, 8, 3), name="image")
    >>> y = convlayers.Conv2D(3, 3, padding="same", name="conv")(x)
    >>> y = convlayers.Activation("relu", name="relu")(convlayers.Add(name="add")([x, y]))
    >>> model = convlayers.Model(x, y, name="residual")
    >>> type(model).__name__, [layer.name for layer in model.layers]
    ('Functional', ['image', 'conv', 'add', 'relu'])
    >>> model.output_shape, list(model.state_dict())
    ((None, 8, 8, 3), ['conv.kernel', 'conv.bias'])
    >>> model(np.zeros((2, 8, 8, 3), "float32")).shape
    (2, 8, 8, 3)
    """

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None, trainable: bool = True) -> None:
        super().__init__(name=name or unique_name("functional"))
        owner = self.owner
        for argument, structure in (("inputs", inputs), ("outputs", outputs)):
            leaves = flatten(structure)
            if not leaves:
                raise ValueError(f"{owner}: `{argument}` cannot be empty. Received: {argument}={structure!r}.")
            for leaf in leaves:
                if not isinstance(leaf, KerasTensor) or leaf.keras_history is None:
                    raise ValueError(
                        f"{owner}: all `{argument}` values must be KerasTensors (from convlayers.Input and layer calls). "
                        f"Received: {argument}={structure!r} including invalid value {leaf!r} of type {type(leaf).__name__}."
                    )
        for x in flatten(inputs):
            if not isinstance(x.keras_history.operation, InputLayer):
                raise ValueError(
                    f"{owner}: every input must come from convlayers.Input (an InputLayer); {x!r} was made by "
                    f"{x.keras_history.operation.name!r}. (A model from intermediate tensors is not supported.)"
                )
        self._inputs_struct = symbolic.map_structure(lambda x: x, inputs)
        self._outputs_struct = symbolic.map_structure(lambda x: x, outputs)
        self._input_tensors: list[KerasTensor] = flatten(inputs)
        self._output_tensors: list[KerasTensor] = flatten(outputs)
        graph = map_graph(self._input_tensors, self._output_tensors, owner)
        self._nodes = graph.nodes
        self._nodes_by_depth = graph.nodes_by_depth
        self._operations = graph.operations
        for layer in self._operations:
            try:
                self.add_module(layer.name, layer)
            except (KeyError, TypeError) as error:
                raise ValueError(
                    f"{owner}: the layer name {layer.name!r} cannot name a submodule ({error}); pass another `name`."
                ) from None
        self._plan = Plan(self._input_tensors, self._output_tensors, self._nodes)
        if not trainable:
            self.trainable = False

    # -- structure ---------------------------------------------------------------------------------
    @property
    def layers(self) -> list[Any]:
        """The layers, ``InputLayer``s first, in Keras's order (by depth from the outputs, then as first reached)."""
        return list(self._operations)

    @property
    def inputs(self) -> list[KerasTensor]:
        """The input KerasTensors, flat (a dict's by sorted key)."""
        return list(self._input_tensors)

    @property
    def outputs(self) -> list[KerasTensor]:
        """The output KerasTensors, flat (a dict's by sorted key)."""
        return list(self._output_tensors)

    @property
    def input(self) -> Any:
        """The inputs in the structure the model was made with."""
        return self._inputs_struct

    @property
    def output(self) -> Any:
        """The outputs in the structure the model was made with."""
        return self._outputs_struct

    @property
    def input_names(self) -> list[str]:
        """The names of the input layers, in :attr:`inputs` order (the keys a dict of inputs may use)."""
        return [x.keras_history.operation.name for x in self._input_tensors]

    @property
    def output_names(self) -> list[str]:
        """The names of the layers that make the outputs, in :attr:`outputs` order."""
        return [x.keras_history.operation.name for x in self._output_tensors]

    @property
    def input_shape(self) -> Any:
        """The input shape (batch dim included), or a list of them for several inputs."""
        return _unpack_singleton([x.shape for x in self._input_tensors])

    @property
    def output_shape(self) -> Any:
        """The output shape (batch dim included), or a list of them for several outputs."""
        return _unpack_singleton([x.shape for x in self._output_tensors])

    @property
    def build_input_shape(self) -> Any:
        """The input shape(s), as a layer's build shape (for the model's entry in an outer model's config)."""
        return self.input_shape

    @property
    def built(self) -> bool:
        """Always: every layer is built when the graph is made."""
        return True

    def build(self, input_shape: Any, device: torch.device | str | None = None) -> None:
        """Nothing to build (the layers were built for the inputs' shapes); ``input_shape`` is checked."""
        self.compute_output_shape(input_shape)

    @property
    def compute_dtype(self) -> str:
        """The dtype of the (first) output."""
        return self._output_tensors[0].dtype

    # -- calling -----------------------------------------------------------------------------------
    def forward(self, inputs: Any, training: bool | None = None) -> Any:
        """Run the graph on ``inputs``: a tensor, a list/tuple in input order, or a dict keyed by input names.

        Tensors give tensors (autograd intact); NumPy arrays give NumPy arrays, without
        gradients, in inference mode. ``training``: ``True``/``False`` runs this call in
        training/inference mode and restores the mode; ``None`` follows it. KerasTensors
        give KerasTensors: the model is then a layer of another functional model.
        """
        if symbolic.is_symbolic(inputs):
            kwargs = {} if training is None else {"training": training}
            return symbolic.call_symbolic(self, inputs, kwargs, self._symbolic_outputs)
        flat = self._flat_inputs(inputs)
        if all(isinstance(x, torch.Tensor) for x in flat):
            self._check_shapes([tuple(x.shape) for x in flat])
            if training is None:
                return self._pack(self._plan.run(flat))
            with training_mode(self, training):
                return self._pack(self._plan.run(flat))
        device = self._device()
        tensors = [
            arrays.to_tensor(x, self.owner).to(device=device, dtype=getattr(torch, ref.dtype))
            for x, ref in zip(flat, self._input_tensors)
        ]
        self._check_shapes([tuple(x.shape) for x in tensors])
        with training_mode(self, bool(training)), torch.no_grad():
            outputs = self._plan.run(tensors)
        return self._pack([arrays.to_numpy(y) for y in outputs])

    def _pack(self, flat_outputs: list[Any]) -> Any:
        return _unpack_singleton(pack_as(self._outputs_struct, flat_outputs))

    def _flat_inputs(self, inputs: Any) -> list[Any]:
        """``inputs`` as a flat list in :attr:`inputs` order, or Keras's error for a structure that does not fit."""
        names, count = self.input_names, len(self._input_tensors)
        if isinstance(inputs, dict):
            if isinstance(self._inputs_struct, dict) and set(inputs) == set(self._inputs_struct):
                flat = flatten(inputs)
            elif all(name in inputs for name in names):
                flat = [inputs[name] for name in names]
            else:
                raise ValueError(
                    f"{self.owner}: the structure of `inputs` doesn't match the expected structure. Expected a dict "
                    f"with keys {sorted(self._inputs_struct) if isinstance(self._inputs_struct, dict) else names}. "
                    f"Received: keys {sorted(inputs)}."
                )
            return flat
        if isinstance(inputs, (list, tuple)):
            flat = flatten(inputs)
            if len(flat) == count and all(isinstance(x, (torch.Tensor, np.ndarray)) for x in flat):
                return flat
            if count == 1:
                return [inputs]  # nested lists of numbers: one array
            raise ValueError(
                f"{self.owner}: expects {count} inputs {names}, as a list in that order or a dict keyed by name. "
                f"Received a {type(inputs).__name__} of {len(flat)} values."
            )
        if count != 1:
            raise ValueError(
                f"{self.owner}: expects {count} inputs {names}, as a list in that order or a dict keyed by name. "
                f"Received one {type(inputs).__name__}."
            )
        return [inputs]

    def _check_shapes(self, shapes: Sequence[Shape]) -> None:
        for shape, ref in zip(shapes, self._input_tensors):
            if len(shape) != len(ref.shape) or any(r is not None and d != r for d, r in zip(shape, ref.shape)):
                raise ValueError(
                    f"{self.owner} was passed incompatible inputs. For input {ref.name!r}, expected shape {ref.shape}, "
                    f"but received instead a tensor with shape {tuple(shape)}."
                )

    def _symbolic_outputs(self, inputs: Any) -> Any:
        flat = self._flat_inputs(inputs)
        shapes = [x.shape for x in flat]
        self._check_shapes(shapes)
        if shapes == [x.shape for x in self._input_tensors]:
            out_shapes = [x.shape for x in self._output_tensors]
        else:
            out_shapes = self._output_shapes(shapes)
        outputs = [KerasTensor(shape, dtype=ref.dtype) for shape, ref in zip(out_shapes, self._output_tensors)]
        return self._pack(outputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape(s) for ``input_shape`` (one shape, or a list or dict of them), through each layer's.

        >>> import convlayers
        >>> x = convlayers.Input((None, 3))
        >>> convlayers.Model(x, convlayers.Dense(2)(x)).compute_output_shape((4, 7, 3))
        (4, 7, 2)
        """
        shapes = _flatten_shapes(input_shape)
        if len(shapes) != len(self._input_tensors):
            raise ValueError(f"{self.owner}: expects {len(self._input_tensors)} input shapes. Received: {input_shape!r}.")
        self._check_shapes(shapes)
        return self._pack(self._output_shapes(shapes))

    def _output_shapes(self, shapes: list[Shape]) -> list[Shape]:
        def shape_of(layer: Any, x: Any, **kwargs: Any) -> Any:
            shape = layer.compute_output_shape(x)
            flat = _flatten_shapes(shape)
            return flat[0] if len(flat) == 1 else flat

        return [tuple(s) for s in self._plan.run(shapes, call=shape_of)]

    # -- description -------------------------------------------------------------------------------
    def _own_nodes(self, layer: Any) -> list[symbolic.Node]:
        return sorted((n for n in self._nodes if n.operation is layer), key=lambda n: n.index)

    def _sequential_like(self) -> bool:
        """Keras's test for the plain summary: one node per depth, none with several inputs, no shared layer."""
        for nodes in self._nodes_by_depth.values():
            if len(nodes) > 1 or (len(nodes) == 1 and len(nodes[0].input_tensors) > 1):
                return False
        return all(len(self._own_nodes(layer)) <= 1 for layer in self._operations)

    def summary_text(self, line_length: int | None = None, positions: Sequence[float] | None = None) -> str:
        """Keras 3's functional summary: with a "Connected to" column unless the graph is a plain chain.

        A layer's output shape is its last call's in this model; "Connected to" lists the
        inputs of each of its calls as ``layer[node][tensor]``.
        """
        plain = self._sequential_like()
        rows = []
        for layer in self._operations:
            own = self._own_nodes(layer)
            shapes = [format_shape(x.shape) for x in own[-1].outputs]
            shape = shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]"
            links = [
                f"{x.keras_history.operation.name}[{x.keras_history.node_index}][{x.keras_history.tensor_index}]"
                for node in own
                for x in node.input_tensors
            ]
            rows.append(summary_row(layer, shape, None if plain else ", ".join(links) or "-"))
        return render_summary(self, rows, line_length, positions)

    # -- configuration -----------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Keras 3's functional config: ``name``, ``trainable``, ``layers`` (each with its ``inbound_nodes``),
        ``input_layers``, ``output_layers`` (see :mod:`~convlayers.models.functional_config`).

        >>> import convlayers
        >>> x = convlayers.Input((3,), name="x")
        >>> config = convlayers.Model(x, convlayers.Dense(2, name="d")(x), name="m").get_config()
        >>> config["input_layers"], config["output_layers"], config["layers"][1]["inbound_nodes"][0]["args"][0]["config"]
        (['x', 0, 0], ['d', 0, 0], {'shape': [None, 3], 'dtype': 'float32', 'keras_history': ['x', 0, 0]})
        """
        return functional_config(self, self._nodes)


def functional_from_config(config: dict[str, Any], layer_factory: LayerFactory | None = None) -> Functional:
    """A functional model from its config (``Model.from_config``): see :meth:`Model.from_config`."""
    owner = "Model.from_config"
    if not isinstance(config, dict):
        raise ValueError(f"{owner}: expected a functional model config (a dict). Received: {type(config).__name__}.")
    check_config_keys(config, owner)
    inputs, outputs, _ = replay_graph(config, layer_factory or default_layer_factory, owner)
    trainable = config.get("trainable")
    return Functional(inputs, outputs, name=config.get("name"), trainable=True if trainable is None else bool(trainable))


def model_json(model: Any, **kwargs: Any) -> str:
    """A model's Keras JSON (``to_json``): its entry ``{"module", "class_name", "config", ...}``.

    >>> import convlayers
    >>> x = convlayers.Input((3,))
    >>> text = convlayers.Model(x, convlayers.Dense(2)(x)).to_json()
    >>> json.loads(text)["class_name"]
    'Functional'
    """
    return json.dumps(layer_entry(model), **kwargs)


def model_from_json(json_string: str, layer_factory: LayerFactory | None = None) -> Any:
    """The model a :meth:`to_json` string describes (a ``Sequential`` or a functional model), not built from data.

    >>> import convlayers
    >>> model = convlayers.Sequential([convlayers.Input((3,)), convlayers.Dense(2)])
    >>> model_from_json(model.to_json()).output_shape
    (None, 2)
    """
    entry = json.loads(json_string)
    if not isinstance(entry, dict) or entry.get("class_name") not in FUNCTIONAL_CLASSES + ("Sequential",):
        raise ValueError(
            f"model_from_json: expected a Sequential or Functional model's JSON. Received class_name="
            f"{entry.get('class_name') if isinstance(entry, dict) else None!r}."
        )
    if entry["class_name"] == "Sequential":
        return Sequential.from_config(entry.get("config") or {})
    return Model.from_config(entry.get("config") or {}, layer_factory=layer_factory)

