"""The executor of an imported ONNX graph: core layers as submodules, run in topological order.

Each ONNX node became one :class:`Step`: a core layer (a submodule, so ``state_dict``,
``.to()``, optimizers and training see its weights) or a parameter-free torch
function (``Add``, ``Concat``, ``Relu``...). Constant operands of those functions
are buffers, so they follow the module to another device or dtype.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn


@dataclass(frozen=True)
class Step:
    """One node: what runs (``layer``: a submodule name, or ``function`` of the input tensors), its inputs and outputs.

    ``inputs`` name tensors of the graph: its inputs, earlier outputs, or constants
    (buffers); ``node`` names the ONNX node, for errors.
    """

    node: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    layer: str | None = None
    function: Callable[..., Any] | None = None


class OnnxGraph(nn.Module):
    """An ONNX graph as a module: call it with the graph's inputs, get its outputs.

    Args:
        layers: the core layers, by submodule name.
        constants: constant tensors the functions read, by ONNX name (kept as buffers).
        steps: the nodes, in an order where every input is computed before it is read.
        inputs, outputs: the graph's input and output names.

    One output is returned as a tensor, several as a tuple. NumPy arrays in give
    NumPy arrays out, as a layer does.

    >>> import torch, convlayers
    >>> graph = OnnxGraph(
    ...     {"conv": convlayers.Conv1D(1, 1, data_format="channels_first", use_bias=False, kernel_initializer="ones")},
    ...     {"two": torch.tensor(2.0)},
    ...     [Step("c", ("x",), ("h",), layer="conv"), Step("m", ("h", "two"), ("y",), function=torch.mul)],
    ...     ["x"], ["y"])
    >>> graph(torch.ones(1, 1, 3)).tolist()
    [[[2.0, 2.0, 2.0]]]
    """

    def __init__(
        self,
        layers: dict[str, nn.Module],
        constants: dict[str, torch.Tensor],
        steps: Sequence[Step],
        inputs: Sequence[str],
        outputs: Sequence[str],
    ) -> None:
        super().__init__()
        self.layers = nn.ModuleDict(layers)
        # Buffer names may not hold "."; ONNX names may, so buffers are numbered and mapped.
        self._constant_names = {}
        for index, (name, value) in enumerate(constants.items()):
            self.register_buffer(f"constant_{index}", value)
            self._constant_names[name] = f"constant_{index}"
        self.steps = tuple(steps)
        self.input_names, self.output_names = tuple(inputs), tuple(outputs)

    def forward(self, *inputs: Any) -> Any:
        if len(inputs) != len(self.input_names):
            raise TypeError(
                f"OnnxGraph: the graph takes {len(self.input_names)} inputs {list(self.input_names)}; "
                f"received {len(inputs)}."
            )
        as_numpy = any(isinstance(x, np.ndarray) for x in inputs)
        values = {name: torch.as_tensor(x) for name, x in zip(self.input_names, inputs)}
        values.update({name: getattr(self, buffer) for name, buffer in self._constant_names.items()})
        for step in self.steps:
            args = [values[name] for name in step.inputs]
            result = self.layers[step.layer](*args) if step.layer is not None else step.function(*args)
            results = result if isinstance(result, tuple) else (result,)
            values.update(zip(step.outputs, results))
        outputs = tuple(values[name] for name in self.output_names)
        if as_numpy:
            outputs = tuple(y.detach().cpu().numpy() for y in outputs)
        return outputs[0] if len(outputs) == 1 else outputs
