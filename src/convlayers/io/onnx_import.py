"""ONNX import: a ``.onnx`` file (``torch.onnx.export``, tf2onnx, Mathematica's ``Export``) as core layers.

Each node is translated by one entry of :data:`TRANSLATIONS` into a core layer
(``Conv*D`` channels first with a :mod:`convlayers.geometry` padding rule, pooling,
``BatchNormalization``, ``Dense``...) or a parameter-free torch function, and
the graph runs in an :class:`~.onnx_graph.OnnxGraph`. Padding is exact for every
``auto_pad``: ``SAME_UPPER`` is :class:`~convlayers.geometry.Same`, ``SAME_LOWER``
:class:`~convlayers.geometry.SameLower`, explicit pads :class:`~convlayers.geometry.Explicit`
(``ceil_mode``: :class:`~convlayers.geometry.Ceil`).

The file is untrusted: external data is read only from files beside it, every
initializer's declared size is checked against its bytes and against the file's size
before it is converted, and the graph is sorted with cycles refused; every layer is
built on the meta device first, so the weights it needs are bounded before memory is
taken. Every refusal is a :class:`~.container.ModelFileError` naming the node, its op,
the attribute and the value.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .. import ops
from ..geometry import Ceil, Explicit, OutputSize, Same, SameLower, Valid
from ..layers import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    BatchNormalization,
    Conv1D,
    Conv1DTranspose,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Conv3DTranspose,
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Dense,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
    Padding1D,
    Padding2D,
    Padding3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from .architecture import dry_run, state_bytes
from .container import ModelFileError, PathLike, existing_file
from .limits import check_expansion
from .onnx_graph import OnnxGraph, Step

_CONV = {1: Conv1D, 2: Conv2D, 3: Conv3D}
_CONV_TRANSPOSE = {1: Conv1DTranspose, 2: Conv2DTranspose, 3: Conv3DTranspose}
_POOL = {"MaxPool": {1: MaxPooling1D, 2: MaxPooling2D, 3: MaxPooling3D},
         "AveragePool": {1: AveragePooling1D, 2: AveragePooling2D, 3: AveragePooling3D}}
_ZERO_PADDING = {1: ZeroPadding1D, 2: ZeroPadding2D, 3: ZeroPadding3D}
_PADDING = {1: Padding1D, 2: Padding2D, 3: Padding3D}
_CROPPING = {1: Cropping1D, 2: Cropping2D, 3: Cropping3D}
_WHAT = "an ONNX model"
#: The ONNX element types read as weights and constants.
_DTYPES = {1: np.float32, 11: np.float64, 10: np.float16, 7: np.int64, 6: np.int32}


class NodeError(ValueError):
    """A node that cannot be translated; :func:`load_onnx` adds the file."""


def _require_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError(
            "convlayers.load_onnx needs the `onnx` package: pip install 'convlayers[onnx]'."
        ) from None
    return onnx


def load_onnx(path: PathLike) -> OnnxGraph:
    """The model in ONNX file ``path`` as an :class:`~.onnx_graph.OnnxGraph` of core layers.

    Supported ops: see :data:`TRANSLATIONS`; any other raises a ``ModelFileError`` naming it.

    >>> import tempfile, numpy as np, onnx
    >>> from onnx import helper, TensorProto
    >>> node = helper.make_node("Relu", ["x"], ["y"], name="relu")
    >>> graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
    ...                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     onnx.save(helper.make_model(graph), f"{d}/relu.onnx")
    ...     model = load_onnx(f"{d}/relu.onnx")
    >>> model(np.array([[-1.0, 0.0, 2.0]], "float32")).tolist()
    [[0.0, 0.0, 2.0]]
    """
    onnx = _require_onnx()
    source = existing_file(path, _WHAT)
    size = source.stat().st_size
    try:
        # onnx would follow external-data paths anywhere: they are read here, checked, instead.
        model = onnx.load(str(source), load_external_data=False)
    except Exception as error:  # protobuf's DecodeError and friends: the file's fault
        raise ModelFileError(source, _WHAT, f"it is not an ONNX model, or it is truncated ({type(error).__name__}: {error}).") from None
    try:
        size += _read_external_data(model, source.parent)
        return _translate(model, size)
    except ValueError as error:
        raise ModelFileError(source, _WHAT, str(error)) from None


def _read_external_data(model: Any, folder: Path) -> int:
    """Read initializers stored beside the model (``torch.onnx.export`` writes ``model.onnx.data``) into it.

    Only files inside the model's own folder are read, each byte range checked
    against the file's size before reading; returns the bytes read.
    """
    read = 0
    for tensor in model.graph.initializer:
        if tensor.data_location != 1:
            continue
        entries = {entry.key: entry.value for entry in tensor.external_data}
        location = entries.get("location", "")
        target = (folder / location).resolve()
        if not location or Path(location).is_absolute() or target.parent != folder.resolve() or not target.is_file():
            raise ValueError(
                f"the initializer {tensor.name!r} names external data at {location!r}; only files beside the model are read."
            )
        try:
            offset, length = int(entries.get("offset", 0)), int(entries.get("length", target.stat().st_size))
        except ValueError:
            raise ValueError(f"the initializer {tensor.name!r} has an external offset or length that is not an int.") from None
        if offset < 0 or length < 0 or offset + length > target.stat().st_size:
            raise ValueError(
                f"the initializer {tensor.name!r} reads bytes {offset}..{offset + length} of {location!r}, "
                f"which has {target.stat().st_size}."
            )
        with target.open("rb") as handle:
            handle.seek(offset)
            tensor.raw_data = handle.read(length)
        tensor.data_location = 0
        del tensor.external_data[:]
        read += length
    return read


def _opset(model: Any) -> int:
    versions = [entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx")]
    return versions[0] if versions else 1


def _translate(model: Any, file_size: int) -> OnnxGraph:
    graph = model.graph
    constants = _initializers(graph, file_size)
    inputs = [value.name for value in graph.input if value.name not in constants]
    context = _Context(constants, _opset(model), _ranks(onnx_module(), model))
    steps: list[Step] = []
    for node in _sorted_nodes(graph, set(inputs) | set(constants)):
        translate = TRANSLATIONS.get(node.op_type) if node.domain in ("", "ai.onnx") else None
        where = _describe(node)
        if translate is None:
            raise ValueError(
                f"{where}: the op {node.domain + '.' if node.domain else ''}{node.op_type} is not supported; "
                f"supported ops: {', '.join(sorted(TRANSLATIONS))}."
            )
        try:
            steps.extend(translate(_Node(node, where, context), context))
        except NodeError:
            raise
        except (ValueError, TypeError) as error:  # a core layer refusing the node's values
            raise NodeError(f"{where}: {error}") from None
    check_expansion(context.dry_run(), file_size)
    graph_constants = {name: torch.as_tensor(value) for name, value in context.used_constants.items()}
    module = OnnxGraph(context.materialize(), graph_constants, steps, inputs, [value.name for value in graph.output])
    return module.eval()


def onnx_module() -> Any:
    return _require_onnx()


def _ranks(onnx: Any, model: Any) -> dict[str, int]:
    """The rank of every tensor ONNX's shape inference knows (BatchNormalization's layer is built for one)."""
    try:
        graph = onnx.shape_inference.infer_shapes(model).graph
    except Exception:  # inference refuses malformed graphs; the translation then reports what it cannot read
        graph = model.graph
    return {
        value.name: len(value.type.tensor_type.shape.dim)
        for value in (*graph.input, *graph.value_info, *graph.output)
        if value.type.tensor_type.HasField("shape")
    }


def _describe(node: Any) -> str:
    return f"node {node.name!r} ({node.op_type})" if node.name else f"the {node.op_type} node making {list(node.output)}"


def _initializers(graph: Any, file_size: int) -> dict[str, np.ndarray]:
    """Every initializer as a NumPy array, its size checked against its bytes and the file's size first."""
    from onnx import numpy_helper

    arrays: dict[str, np.ndarray] = {}
    total = 0
    for tensor in graph.initializer:
        name = repr(tensor.name)
        if tensor.data_type not in _DTYPES:
            raise ValueError(f"the initializer {name} has ONNX data type {tensor.data_type}; read are {sorted(_DTYPES)}.")
        dims = list(tensor.dims)
        if any(d < 0 for d in dims):
            raise ValueError(f"the initializer {name} has negative dims {dims}.")
        count = math.prod(dims)
        itemsize = np.dtype(_DTYPES[tensor.data_type]).itemsize
        total += count * itemsize
        check_expansion(total, file_size)  # before anything is allocated
        held = len(tensor.raw_data) // itemsize if tensor.raw_data else max(
            len(tensor.float_data), len(tensor.double_data), len(tensor.int64_data), len(tensor.int32_data)
        )
        if held != count:
            raise ValueError(f"the initializer {name} declares dims {dims} ({count} values) but holds {held}.")
        arrays[tensor.name] = numpy_helper.to_array(tensor).copy()
        if arrays[tensor.name].dtype.kind == "f" and not np.isfinite(arrays[tensor.name]).all():
            raise ValueError(f"the initializer {name} holds NaN or infinity.")
    return arrays


def _sorted_nodes(graph: Any, available: set[str]) -> list[Any]:
    """The nodes in an order where each reads only what is computed before it (Kahn's algorithm); cycles refused."""
    nodes = list(graph.node)
    producers: dict[str, int] = {}
    for index, node in enumerate(nodes):
        for output in node.output:
            if output in producers or output in available:
                raise ValueError(f"{_describe(node)}: the tensor {output!r} is produced twice.")
            producers[output] = index
    waiting = [0] * len(nodes)
    readers: list[list[int]] = [[] for _ in nodes]
    for index, node in enumerate(nodes):
        for name in node.input:
            if not name or name in available:
                continue
            if name not in producers:
                raise ValueError(f"{_describe(node)}: its input {name!r} is neither a graph input, an initializer nor a node's output.")
            waiting[index] += 1
            readers[producers[name]].append(index)
    ready = [index for index, count in enumerate(waiting) if count == 0]
    order = []
    while ready:
        index = ready.pop()
        order.append(nodes[index])
        for reader in readers[index]:
            waiting[reader] -= 1
            if waiting[reader] == 0:
                ready.append(reader)
    if len(order) != len(nodes):
        stuck = [_describe(node) for node, count in zip(nodes, waiting) if count][:5]
        raise ValueError(f"the graph has a cycle: {', '.join(stuck)} wait on each other's outputs.")
    return order


class _Context:
    """What translations share: constant tensors (initializers and ``Constant`` outputs), the layers to build."""

    def __init__(self, constants: dict[str, np.ndarray], opset: int, ranks: dict[str, int]) -> None:
        self.constants = constants
        self.opset = opset
        self.ranks = ranks
        self.used_constants: dict[str, np.ndarray] = {}
        self.builders: dict[str, tuple[Callable[[], nn.Module], tuple[Any, ...], list[np.ndarray]]] = {}

    def add_layer(self, op: str, make: Callable[[], nn.Module], input_shape: tuple[Any, ...], weights: list[np.ndarray]) -> str:
        """Note a layer to build for ``input_shape`` with ``weights`` (Keras layout); return its submodule name."""
        name = f"{len(self.builders)}_{op}"
        self.builders[name] = (make, input_shape, weights)
        return name

    def dry_run(self) -> int:
        """The bytes the layers' weights need, every layer built on the meta device (no memory taken)."""
        return sum(state_bytes(dry_run(lambda: _built(make, shape))) for make, shape, _ in self.builders.values())

    def materialize(self) -> dict[str, nn.Module]:
        """The real layers, built and given their weights (``set_weights`` checks every shape)."""
        layers = {}
        for name, (make, shape, weights) in self.builders.items():
            layers[name] = _built(make, shape)
            if weights:
                layers[name].set_weights([w.astype(np.float32) for w in weights])
        return layers

    def constant(self, name: str) -> np.ndarray | None:
        return self.constants.get(name)


def _built(make: Callable[[], nn.Module], input_shape: tuple[Any, ...]) -> nn.Module:
    layer = make()
    if input_shape:
        layer.build(input_shape)
    return layer


class _Node:
    """One ONNX node's attributes (read with defaults, checked), inputs and outputs."""

    def __init__(self, node: Any, where: str, context: _Context) -> None:
        from onnx import helper

        self.op, self.where = node.op_type, where
        self.inputs = tuple(node.input)
        self.outputs = tuple(node.output)
        self.attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        self.context = context
        self._read: set[str] = set()

    def fail(self, attribute: str, value: Any, expected: str) -> NodeError:
        return NodeError(f"{self.where}: the attribute `{attribute}`={value!r} is not supported; {expected}.")

    def get(self, name: str, default: Any = None) -> Any:
        self._read.add(name)
        value = self.attributes.get(name, default)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, list):
            value = [v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in value]
        return value

    def refuse_unread(self, ignored: tuple[str, ...] = ()) -> None:
        """Refuse every attribute the translation did not read: silently ignoring one would change the numbers."""
        for name in sorted(set(self.attributes) - self._read - set(ignored)):
            raise self.fail(name, self.get(name), "this translation does not read it")

    def weight(self, index: int, what: str) -> np.ndarray:
        """Input ``index`` as a constant array; refused when the graph computes it."""
        if index >= len(self.inputs) or not self.inputs[index]:
            raise NodeError(f"{self.where}: the {what} (input {index}) is missing.")
        value = self.context.constant(self.inputs[index])
        if value is None:
            raise NodeError(f"{self.where}: the {what} {self.inputs[index]!r} is computed by the graph; only constant {what}s are read.")
        return value

    def optional(self, index: int) -> np.ndarray | None:
        if index >= len(self.inputs) or not self.inputs[index]:
            return None
        return self.weight(index, f"input {index}")

    def function(self, function: Callable[..., Any], inputs: tuple[str, ...] | None = None) -> list[Step]:
        """A step computing ``function`` of the tensors ``inputs`` (the node's own by default; constants become buffers)."""
        inputs = tuple(name for name in (self.inputs if inputs is None else inputs))
        for name in inputs:
            if name in self.context.constants:
                self.context.used_constants[name] = self.context.constants[name]
        return [Step(self.where, inputs, self.outputs, function=function)]

    def layer(self, make: Callable[[], nn.Module], input_shape: tuple[Any, ...] = (), weights: list[np.ndarray] = ()) -> list[Step]:
        """A step running the layer ``make()`` builds (for ``input_shape``, given ``weights`` in Keras's layout)."""
        name = self.context.add_layer(self.op, make, input_shape, list(weights))
        return [Step(self.where, self.inputs[:1], self.outputs[:1], layer=name)]


def _ints(node: _Node, name: str, rank: int, default: int) -> tuple[int, ...]:
    value = node.get(name)
    if value is None:
        return (default,) * rank
    if len(value) != rank:
        raise node.fail(name, value, f"expected {rank} values, one per spatial dim")
    return tuple(int(v) for v in value)


def _explicit_pads(node: _Node, rank: int) -> tuple[tuple[int, int], ...]:
    """ONNX's ``pads`` ``[b1, ..., bn, e1, ..., en]`` as ``(begin, end)`` pairs."""
    pads = node.get("pads")
    if pads is None:
        return ((0, 0),) * rank
    if len(pads) != 2 * rank or any(p < 0 for p in pads):
        raise node.fail("pads", pads, f"expected {2 * rank} non-negative values (all begins, then all ends)")
    return tuple((int(pads[i]), int(pads[i + rank])) for i in range(rank))


def _window_padding(node: _Node, rank: int) -> Any:
    """The padding rule of ``auto_pad`` (and ``pads``): ONNX's definitions, exactly."""
    auto_pad = node.get("auto_pad", "NOTSET")
    rules = {"SAME_UPPER": Same(), "SAME_LOWER": SameLower(), "VALID": Valid()}
    if auto_pad == "NOTSET":
        return Explicit(_explicit_pads(node, rank))
    if auto_pad not in rules:
        raise node.fail("auto_pad", auto_pad, "expected NOTSET, SAME_UPPER, SAME_LOWER or VALID")
    node.get("pads")  # ONNX ignores pads under auto_pad
    return rules[auto_pad]


def _rank(node: _Node, rank: int) -> int:
    if rank not in (1, 2, 3):
        raise NodeError(f"{node.where}: {rank} spatial dims; convlayers has 1-, 2- and 3-D layers.")
    return rank


def _kernel(node: _Node) -> tuple[np.ndarray, np.ndarray | None, int, tuple[int, ...], int]:
    """A Conv or ConvTranspose node's ``(kernel, bias, rank, kernel_size, group)``, ``kernel_shape`` checked."""
    kernel = node.weight(1, "weight")
    bias = node.optional(2)
    rank = _rank(node, kernel.ndim - 2)
    kernel_size = tuple(kernel.shape[2:])
    if node.get("kernel_shape") is not None and tuple(node.get("kernel_shape")) != kernel_size:
        raise node.fail("kernel_shape", node.get("kernel_shape"), f"the weight's kernel is {kernel_size}")
    return kernel, bias, rank, kernel_size, int(node.get("group", 1))


def _conv(node: _Node, context: _Context) -> list[Step]:
    kernel, bias, rank, kernel_size, groups = _kernel(node)
    arguments = dict(
        filters=kernel.shape[0], kernel_size=kernel_size, strides=_ints(node, "strides", rank, 1),
        padding=_window_padding(node, rank), dilation_rate=_ints(node, "dilations", rank, 1), groups=groups,
        data_format="channels_first", use_bias=bias is not None,
    )
    node.refuse_unread()
    # set_weights takes Keras's layout (kernel_size + (in // groups, filters)): the layer checks every shape.
    weights = [np.moveaxis(kernel, (0, 1), (-1, -2))] + ([bias] if bias is not None else [])
    return node.layer(lambda: _CONV[rank](**arguments), (None, kernel.shape[1] * groups) + (None,) * rank, weights)


def _conv_transpose(node: _Node, context: _Context) -> list[Step]:
    kernel, bias, rank, kernel_size, groups = _kernel(node)
    strides, dilations = _ints(node, "strides", rank, 1), _ints(node, "dilations", rank, 1)
    output_padding = _ints(node, "output_padding", rank, 0)
    auto_pad, output_shape = node.get("auto_pad", "NOTSET"), node.get("output_shape")
    if output_shape is not None:
        output_shape = tuple(int(v) for v in output_shape)[-rank:]  # some writers include batch and channels
        if any(output_padding):
            raise node.fail("output_padding", list(output_padding), "it is read only without `output_shape`")
        # onnxruntime crops the smaller half first for SAME_UPPER, the larger otherwise (NOTSET included).
        padding: Any = OutputSize(output_shape, "onnx_upper" if auto_pad == "SAME_UPPER" else "onnx_lower")
        node.get("pads")
    elif auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        # Output ``size * stride``: the natural output plus output_padding, cropped by a total independent of the size.
        pairs = []
        for k, s, d, p in zip(kernel_size, strides, dilations, output_padding):
            total = (k - 1) * d + 1 + p - s
            if total < 0:
                raise node.fail("auto_pad", auto_pad, f"the dilated kernel plus output_padding is shorter than the stride {s}")
            pairs.append((total // 2, total - total // 2) if auto_pad == "SAME_UPPER" else (total - total // 2, total // 2))
        padding = Explicit(tuple(pairs))
        node.get("pads")
    elif auto_pad in ("NOTSET", "VALID"):
        padding = Explicit(_explicit_pads(node, rank) if auto_pad == "NOTSET" else 0)
    else:
        raise node.fail("auto_pad", auto_pad, "expected NOTSET, SAME_UPPER, SAME_LOWER or VALID")
    arguments = dict(
        filters=kernel.shape[1] * groups, kernel_size=kernel_size, strides=strides, padding=padding,
        output_padding=output_padding if any(output_padding) else None, dilation_rate=dilations, groups=groups,
        data_format="channels_first", use_bias=bias is not None,
    )
    node.refuse_unread()
    # ONNX's (in, out // groups, *k) is PyTorch's layout; Keras's is kernel_size + (out // groups, in).
    weights = [np.moveaxis(kernel, (0, 1), (-1, -2))] + ([bias] if bias is not None else [])
    return node.layer(lambda: _CONV_TRANSPOSE[rank](**arguments), (None, kernel.shape[0]) + (None,) * rank, weights)


def _pool(node: _Node, context: _Context) -> list[Step]:
    kernel_size = node.get("kernel_shape")
    if not kernel_size:
        raise node.fail("kernel_shape", kernel_size, "it is required")
    rank = _rank(node, len(kernel_size))
    kernel_size = tuple(int(k) for k in kernel_size)
    if len(node.outputs) > 1:
        raise NodeError(f"{node.where}: its second output (Indices) is not supported.")
    node.get("storage_order")  # orders only the Indices output
    dilations = _ints(node, "dilations", rank, 1)
    strides = _ints(node, "strides", rank, 1)
    padding = _window_padding(node, rank)
    ceil_mode = int(node.get("ceil_mode", 0))
    count_pads = node.op == "AveragePool" and int(node.get("count_include_pad", 0)) == 1
    pads = padding.pads((None,) * rank, kernel_size, strides, dilations)
    if ceil_mode and isinstance(padding, (Explicit, Valid)):  # under SAME, ONNX's size is ceil(n / s) regardless
        padding = Ceil(pads)
    layers: list[Callable[[], nn.Module]] = []
    if count_pads and any(pair != (0, 0) for pair in pads):
        # Padding that counts in the divisor is zeros the average sees: zero-pad, then pool (a
        # ceil_mode window past the pads still divides by its real elements only, as onnxruntime does).
        if any(pair is None for pair in pads):
            raise node.fail("count_include_pad", 1, f"it is read with explicit pads or stride 1, not with auto_pad={node.get('auto_pad')!r} at strides {strides}")
        layers.append(lambda: _ZERO_PADDING[rank](pads, data_format="channels_first"))
        padding = Ceil(0) if isinstance(padding, Ceil) else Valid()
    layers.append(lambda: _POOL[node.op][rank](kernel_size, strides=strides, padding=padding, data_format="channels_first",
                                               dilation_rate=dilations))
    node.refuse_unread()
    return node.layer(lambda: nn.Sequential(*(make() for make in layers)) if len(layers) > 1 else layers[0]())


def _global_pool(node: _Node, context: _Context) -> list[Step]:
    node.refuse_unread()
    pool = ops.global_average_pool if node.op == "GlobalAveragePool" else ops.global_max_pool
    return node.function(lambda x: pool(x, rank=x.ndim - 2, keepdims=True, channels_last=False), node.inputs[:1])


def _batch_norm(node: _Node, context: _Context) -> list[Step]:
    scale, bias, mean, var = (node.weight(i, what) for i, what in enumerate(("scale", "bias", "mean", "variance"), 1))
    if len(node.outputs) > 1:
        raise NodeError(f"{node.where}: its training outputs (running mean and variance) are not supported.")
    epsilon, momentum = float(node.get("epsilon", 1e-5)), float(node.get("momentum", 0.9))
    if int(node.get("training_mode", 0)):
        raise node.fail("training_mode", 1, "imported models run in inference mode")
    node.get("spatial")  # opset < 9; 1 (its default) is the only form writers emit
    node.refuse_unread()
    rank = context.ranks.get(node.inputs[0])
    if rank is None:
        raise NodeError(f"{node.where}: the rank of its input {node.inputs[0]!r} is unknown (the file does not state it).")
    return node.layer(
        lambda: BatchNormalization(axis=1, epsilon=epsilon, momentum=momentum),
        (None, len(scale)) + (None,) * (rank - 2), [scale, bias, mean, var],
    )


def _gemm(node: _Node, context: _Context) -> list[Step]:
    weight = node.weight(1, "B")
    alpha, beta = float(node.get("alpha", 1.0)), float(node.get("beta", 1.0))
    trans_a, trans_b = int(node.get("transA", 0)), int(node.get("transB", 0))
    node.refuse_unread()
    kernel = alpha * (weight.T if trans_b else weight)
    c = node.optional(2)
    units = kernel.shape[1]
    bias = None if c is None else beta * np.broadcast_to(c, (1, units)).reshape(units) if c.size in (1, units) and c.ndim <= 2 and (c.ndim < 2 or c.shape[0] == 1) else None
    if c is not None and bias is None:
        raise NodeError(f"{node.where}: its C of shape {list(c.shape)} is not a bias of {units} values.")
    weights = [kernel] + ([bias] if bias is not None else [])
    dense = node.layer(lambda: Dense(units, use_bias=bias is not None), (None, kernel.shape[0]), weights)
    if not trans_a:
        return dense
    # A transposed: the step transposes its input, then the Dense runs.
    transposed = f"{node.outputs[0]}/A^T"
    return [Step(node.where, node.inputs[:1], (transposed,), function=lambda a: a.transpose(0, 1)),
            Step(node.where, (transposed,), dense[0].outputs, layer=dense[0].layer)]


def _matmul(node: _Node, context: _Context) -> list[Step]:
    node.refuse_unread()
    weight = context.constant(node.inputs[1])
    if weight is None or weight.ndim != 2:  # two computed operands, or a batched constant: torch's matmul
        return node.function(torch.matmul)
    return node.layer(lambda: Dense(weight.shape[1], use_bias=False), (None, weight.shape[0]), [weight])


def _elementwise(function: Callable[..., Any]) -> Callable[[_Node, _Context], list[Step]]:
    def translate(node: _Node, context: _Context) -> list[Step]:
        node.refuse_unread()
        return node.function(function)

    return translate


def _leaky_relu(node: _Node, context: _Context) -> list[Step]:
    alpha = float(node.get("alpha", 0.01))
    node.refuse_unread()
    return node.function(lambda x: F.leaky_relu(x, alpha))


def _elu(node: _Node, context: _Context) -> list[Step]:
    alpha = float(node.get("alpha", 1.0))
    node.refuse_unread()
    return node.function(lambda x: F.elu(x, alpha))


def _softmax(node: _Node, context: _Context) -> list[Step]:
    axis = int(node.get("axis", -1 if context.opset >= 13 else 1))
    node.refuse_unread()
    if context.opset >= 13:
        return node.function(lambda x: torch.softmax(x, axis), node.inputs[:1])
    # Before opset 13, Softmax flattens to 2-D at `axis` and normalises each row.
    return node.function(lambda x: torch.softmax(x.flatten(axis % x.ndim if x.ndim else 0), -1).reshape(x.shape), node.inputs[:1])


def _clip(node: _Node, context: _Context) -> list[Step]:
    if context.opset < 11:
        low, high = node.get("min"), node.get("max")
    else:
        low, high = (None if v is None else float(v) for v in (node.optional(1), node.optional(2)))
    node.refuse_unread()
    return node.function(lambda x: torch.clamp(x, low, high), node.inputs[:1])


def _concat(node: _Node, context: _Context) -> list[Step]:
    axis = node.get("axis")
    if axis is None:
        raise node.fail("axis", None, "it is required")
    node.refuse_unread()
    return node.function(lambda *xs: torch.cat(xs, int(axis)))


def _flatten(node: _Node, context: _Context) -> list[Step]:
    axis = int(node.get("axis", 1))
    node.refuse_unread()
    return node.function(lambda x: x.reshape(math.prod(x.shape[: axis % (x.ndim + 1) if axis < 0 else axis]), -1))


def _reshape(node: _Node, context: _Context) -> list[Step]:
    shape = node.weight(1, "shape") if context.opset >= 5 else np.array(node.get("shape"))
    allow_zero = int(node.get("allowzero", 0))
    node.refuse_unread()
    target = [int(v) for v in shape.reshape(-1)]

    def reshape(x: torch.Tensor) -> torch.Tensor:
        # ONNX's 0 copies the input's dim there (unless allowzero); -1 is inferred, as torch does.
        return x.reshape([x.shape[i] if v == 0 and not allow_zero else v for i, v in enumerate(target)])

    return node.function(reshape, node.inputs[:1])


_PAD_MODES = ("constant", "edge", "reflect")


def _pad(node: _Node, context: _Context) -> list[Step]:
    """``Pad`` of the spatial dims through the core's ``Padding*D``; negative pads crop, through ``Cropping*D``."""
    mode = node.get("mode", "constant")
    if context.opset < 11:
        pads, value, axes = node.get("pads"), float(node.get("value", 0.0)), None
    else:
        pads = node.weight(1, "pads").reshape(-1).tolist()
        constant = node.optional(2)
        value = 0.0 if constant is None else float(constant.reshape(-1)[0])
        axes = node.optional(3)
    node.refuse_unread()
    if mode not in _PAD_MODES:
        raise node.fail("mode", mode, f"expected one of {list(_PAD_MODES)} ('wrap' is not provided)")
    if mode != "constant":
        value = 0.0  # ONNX ignores the constant outside 'constant' mode
    pads = [int(p) for p in pads]
    rank = len(pads) // 2 if axes is None else context.ranks.get(node.inputs[0])
    if rank is None:
        raise NodeError(f"{node.where}: it pads `axes` of an input {node.inputs[0]!r} whose rank is unknown (the file does not state it).")
    axes = list(range(rank)) if axes is None else [int(a) % rank for a in axes.reshape(-1)]
    if 2 * len(axes) != len(pads):
        raise NodeError(f"{node.where}: pads {pads} are not a begin and an end for each of the axes {axes}.")
    pairs = {axis: (pads[i], pads[i + len(axes)]) for i, axis in enumerate(axes)}
    if any(pairs.get(axis, (0, 0)) != (0, 0) for axis in (0, 1)):
        raise NodeError(f"{node.where}: pads {pads} change the batch or channel dim (axes 0 and 1); convlayers pads the spatial dims of (batch, channels, *spatial).")
    if not 1 <= rank - 2 <= 3:
        raise NodeError(f"{node.where}: an input of rank {rank}; convlayers pads 1, 2 or 3 spatial dims.")
    spatial = [pairs.get(axis, (0, 0)) for axis in range(2, rank)]
    grows, cuts = any(b > 0 or e > 0 for b, e in spatial), any(b < 0 or e < 0 for b, e in spatial)
    grow = tuple((max(b, 0), max(e, 0)) for b, e in spatial)
    cut = tuple((max(-b, 0), max(-e, 0)) for b, e in spatial)
    if rank == 3:  # the 1-D layers take one (begin, end) pair
        grow, cut = grow[0], cut[0]
    layers: list[Callable[[], nn.Module]] = []
    if grows or not cuts:
        layers.append(lambda: _PADDING[rank - 2](grow, mode=mode, value=value, data_format="channels_first"))
    if cuts:
        # ONNX pads, then removes the negative amounts: a crop of the padded tensor.
        layers.append(lambda: _CROPPING[rank - 2](cut, data_format="channels_first"))
    return node.layer(lambda: nn.Sequential(*(make() for make in layers)) if len(layers) > 1 else layers[0]())


#: ONNX's coordinate transformations the core's resize reproduces, as its keywords.
#: ``pytorch_half_pixel`` is ``half_pixel`` except that an output dim of 1 samples input 0
#: (the step narrows those dims first); ``tf_half_pixel_for_nn`` samples ``(o + 1/2) / scale``,
#: which floored is ``half_pixel`` rounded half up, so it is read with ``nearest_mode='floor'`` only.
_RESIZE_COORDINATES: dict[str, dict[str, Any]] = {
    "half_pixel": {}, "pytorch_half_pixel": {}, "align_corners": {"align_corners": True},
    "asymmetric": {"asymmetric": True}, "tf_half_pixel_for_nn": {},
}
#: ONNX's ``nearest_mode`` as the core's ``rounding``.
_NEAREST_ROUNDINGS = {"round_prefer_floor": "round_half_down", "round_prefer_ceil": "round_half_up", "floor": "floor", "ceil": "ceil"}
_RESIZE_METHODS = {"nearest": "nearest", "linear": "linear"}


def _resize(node: _Node, context: _Context) -> list[Step]:
    """``Resize`` (opsets 10, 11 and 13+) and ``Upsample`` to ``sizes`` or by any ``scales``, through :func:`convlayers.ops.resize`.

    The output is ``sizes``, or ``floor(in * scale)`` per dim; the coordinates use the
    given ``scales`` (``out / in`` under ``sizes``), exactly: nearest indices are rationals.
    """
    mode = node.get("mode", "nearest")
    scales = sizes = None
    legacy = node.op == "Upsample" or context.opset == 10
    if legacy:
        # Upsample and Resize-10 sample at o / scale; onnxruntime floors upscaled and ceils downscaled dims.
        scales = node.get("scales") if node.op == "Upsample" and context.opset < 9 else node.weight(1, "scales")
        transform = "asymmetric"
        nearest_mode = None
    else:
        scales, sizes = node.optional(2), node.optional(3)
        if scales is not None and scales.size == 0:  # opset 11 makes scales an input even when sizes are given
            scales = None
        transform = node.get("coordinate_transformation_mode", "half_pixel")
        nearest_mode = node.get("nearest_mode", "round_prefer_floor")
        node.get("cubic_coeff_a"), node.get("exclude_outside")  # cubic only, which is refused below
        node.get("extrapolation_value")  # tf_crop_and_resize only, which is refused below
        if int(node.get("antialias", 0)):
            raise node.fail("antialias", 1, "convlayers resizes without antialiasing; 0 is read")
        if node.get("axes") is not None:
            raise node.fail("axes", node.get("axes"), "scales or sizes for every dim are read")
        if node.get("keep_aspect_ratio_policy", "stretch") != "stretch":
            raise node.fail("keep_aspect_ratio_policy", node.get("keep_aspect_ratio_policy"), "'stretch' is read")
    node.refuse_unread()
    if (scales is None) == (sizes is None):
        raise NodeError(f"{node.where}: it needs exactly one of `scales` and `sizes`; it has {'both' if sizes is not None else 'neither'}.")
    given = [float(v) for v in np.asarray(scales).reshape(-1)] if scales is not None else [int(v) for v in sizes.reshape(-1)]
    what = "scales" if scales is not None else "sizes"
    rank = len(given) - 2
    if rank < 1 or (scales is not None and (given[:2] != [1.0, 1.0] or any(not s > 0 for s in given[2:]))) or (sizes is not None and any(s < 1 for s in given[2:])):
        raise NodeError(f"{node.where}: {what} {given} are not supported; convlayers resizes the spatial dims of (batch, channels, *spatial) by positive {what}.")
    if mode not in _RESIZE_METHODS:
        raise node.fail("mode", mode, f"expected one of {sorted(_RESIZE_METHODS)} (cubic is not provided)")
    if legacy and mode != "nearest":
        raise node.fail("mode", mode, f"{node.op}-{context.opset} interpolates at asymmetric coordinates, which convlayers does not; 'nearest' is read")
    if mode == "linear" and not 1 <= rank <= 3:
        raise NodeError(f"{node.where}: linear resizing of {rank} spatial dims; convlayers interpolates 1, 2 or 3.")
    if transform not in _RESIZE_COORDINATES or (mode == "linear" and transform in ("asymmetric", "tf_half_pixel_for_nn")):
        supported = [t for t in _RESIZE_COORDINATES if mode == "nearest" or t not in ("asymmetric", "tf_half_pixel_for_nn")]
        raise node.fail("coordinate_transformation_mode", transform, f"mode={mode!r} reads {supported}")
    options = dict(_RESIZE_COORDINATES[transform])
    if mode == "nearest":
        if nearest_mode is None:  # Upsample and Resize-10: per dim, floor when upscaling and ceil when downscaling
            if any(s < 1 for s in given[2:]) and any(s > 1 for s in given[2:]):
                raise NodeError(f"{node.where}: scales {given} both up- and downscale; onnxruntime rounds those dims differently, which convlayers does not.")
            nearest_mode = "ceil" if any(s < 1 for s in given[2:]) else "floor"
        elif transform == "tf_half_pixel_for_nn":
            if nearest_mode != "floor":
                raise node.fail("nearest_mode", nearest_mode, "coordinate_transformation_mode='tf_half_pixel_for_nn' is read with 'floor'")
            nearest_mode = "round_prefer_ceil"
        if nearest_mode not in _NEAREST_ROUNDINGS:
            raise node.fail("nearest_mode", nearest_mode, f"expected one of {sorted(_NEAREST_ROUNDINGS)}")
        options["rounding"] = _NEAREST_ROUNDINGS[nearest_mode]
    first_sample = transform == "pytorch_half_pixel"
    where = node.where

    def resize(x: torch.Tensor) -> torch.Tensor:
        if x.ndim != rank + 2 or (sizes is not None and list(x.shape[:2]) != given[:2]):
            raise ValueError(f"{where}: {what} {given} do not fit its input of shape {list(x.shape)}.")
        spatial = x.shape[2:]
        out = tuple(given[2:]) if sizes is not None else tuple(math.floor(n * s) for n, s in zip(spatial, given[2:]))
        coordinate_scales = None if scales is None else list(given[2:])
        if first_sample:  # an output dim of 1 samples input 0: keep only it, at scale 1
            for axis, size in enumerate(out):
                if size == 1:
                    x = x.narrow(axis + 2, 0, 1)
                    if coordinate_scales is not None:
                        coordinate_scales[axis] = 1.0
        return ops.resize(x, out, method=_RESIZE_METHODS[mode], scales=coordinate_scales, channels_last=False, **options)

    return node.function(resize, node.inputs[:1])


def _identity(node: _Node, context: _Context) -> list[Step]:
    node.get("ratio"), node.get("seed"), node.get("is_test")  # Dropout: inference passes through
    node.refuse_unread()
    if len(node.outputs) > 1 and node.outputs[1]:
        raise NodeError(f"{node.where}: its mask output is not supported.")
    return [Step(node.where, node.inputs[:1], node.outputs[:1], function=lambda x: x)]


def _constant(node: _Node, context: _Context) -> list[Step]:
    from onnx import numpy_helper

    value = node.get("value")
    node.refuse_unread()
    if value is None:
        raise node.fail("value", None, "a Constant is read from its `value` tensor")
    array = numpy_helper.to_array(value)
    context.constants[node.outputs[0]] = array
    return []


#: One translation per ONNX op (``Upsample`` and ``Resize`` share theirs).
TRANSLATIONS: dict[str, Callable[[_Node, _Context], list[Step]]] = {
    "Conv": _conv,
    "ConvTranspose": _conv_transpose,
    "MaxPool": _pool,
    "AveragePool": _pool,
    "GlobalAveragePool": _global_pool,
    "GlobalMaxPool": _global_pool,
    "BatchNormalization": _batch_norm,
    "Gemm": _gemm,
    "MatMul": _matmul,
    "Add": _elementwise(torch.add),
    "Sub": _elementwise(torch.sub),
    "Mul": _elementwise(torch.mul),
    "Div": _elementwise(torch.div),
    "Concat": _concat,
    "Relu": _elementwise(torch.relu),
    "LeakyRelu": _leaky_relu,
    "Sigmoid": _elementwise(torch.sigmoid),
    "Tanh": _elementwise(torch.tanh),
    "Elu": _elu,
    "Softmax": _softmax,
    "Clip": _clip,
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Pad": _pad,
    "Resize": _resize,
    "Upsample": _resize,
    "Identity": _identity,
    "Dropout": _identity,
    "Constant": _constant,
}
