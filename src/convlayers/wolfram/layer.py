"""A Wolfram layer over a core layer: shape inference, the core layer it becomes, its arrays.

A Wolfram layer may be stated before its input is known (``ConvolutionLayer(16,
3)``: not even the rank is); it is *inferred* when its ``Input`` is given or when
a :class:`~.chain.NetChain` connects it. Inference validates the input with
Wolfram's rules and messages, computes the output dims and, once the input
channels are known, makes the core layer (from a canonical spec) that holds the
arrays and computes. Arrays are shown in Wolfram's layouts; an array is
*specified* once given explicitly or initialised by ``NetInitialize``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Iterator

import numpy as np
import torch

from ..layers import Layer
from ..layers.weights import WeightLayout
from . import ports
from .encoders import NetEncoder
from .net import Net, Path, numeric
from .options import learning_rate_multipliers
from .ports import Dims


class NetLayer(Net):
    """Base of the Wolfram layers.

    Subclasses set ``arrays`` (names, in Wolfram's order) and implement
    :meth:`infer_output` (validate, return the output dims), :meth:`make_core`
    (the core layer for an input) and, for layers with arrays,
    :meth:`array_layouts`.
    """

    arrays: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, Input: Any = None, Output: Any = None, LearningRateMultipliers: Any = None) -> None:
        super().__init__()
        if isinstance(Input, NetEncoder):
            self.encoder, Input = Input, Input.dims
        self.core: Layer | None = None
        self.declared_output = None if Output is None else ports.normalize(Output, self.head)
        self.learning_rate_multipliers = learning_rate_multipliers(LearningRateMultipliers, self.arrays, self.head)
        #: Arrays given before the core exists (Wolfram layout), set into it when it is made.
        self._pending: dict[str, np.ndarray] = {}
        self._specified: set[str] = set()
        self._input_spec = Input

    def _finish_init(self) -> None:
        """Infer from a declared ``Input`` (subclasses call this once their options are stored)."""
        if self._input_spec is not None:
            self.infer(self._input_spec)

    interleaving: bool = False

    # -- inference ----------------------------------------------------------------------------
    def infer(self, input_dims: Any) -> Dims:
        """Connect an input of ``input_dims``: validate, make the core layer, return the output dims."""
        dims = ports.normalize(input_dims, self.head)
        if self.input_dims is not None and dims != self.input_dims:
            raise ValueError(
                f"Validation failed for {self.head}: the input {list(dims)} is incompatible with its \"Input\" "
                f"{list(self.input_dims)}."
            )
        output = self.infer_output(dims)
        if self.declared_output is not None and self.declared_output != output:
            raise ValueError(
                f"Validation failed for {self.head}: the inferred output {list(output)} is incompatible with its "
                f"\"Output\" {list(self.declared_output)}."
            )
        if self.core is None:
            self.core = self.make_core(dims)
            self.core.build(self.core_input_shape(dims))
            for name, value in self._pending.items():
                self._store(name, value)
            self._pending.clear()
        self.input_dims, self.output_dims = dims, output
        return output

    def infer_output(self, dims: Dims) -> Dims:
        """The output dims for an input of ``dims``, or Wolfram's validation error."""
        raise NotImplementedError

    def make_core(self, dims: Dims) -> Layer:
        """The core layer computing this layer for inputs of ``dims``."""
        raise NotImplementedError

    def core_input_shape(self, dims: Dims) -> tuple[int | None, ...]:
        """The batch shape the core layer takes for examples of ``dims``."""
        return (None,) + ports.to_core(dims)

    def core_layers(self) -> list[Layer]:
        """The core layers this layer runs, in order (what a core model of a chain strings together)."""
        return [self.core]  # type: ignore[list-item]

    def fail(self, message: str) -> ValueError:
        """Wolfram's validation error: ``Validation failed for ConvolutionLayer: <message>``."""
        return ValueError(f"Validation failed for {self.head}: {message}")

    # -- arrays -------------------------------------------------------------------------------
    def array_layouts(self) -> dict[str, tuple[int, WeightLayout]]:
        """For each array: its index in the core's ``get_weights()`` and the layout from Wolfram's to that one."""
        return {}

    def array_slots(self) -> Iterator[tuple[Path, Any, str]]:
        for name in self.arrays:
            yield (name,), self, name

    def specified(self, name: str) -> bool:
        """Whether array ``name`` holds a value (given, or initialised)."""
        return name in self._specified

    def array(self, name: str) -> np.ndarray | None:
        """Array ``name`` in Wolfram's layout; ``None`` while unspecified (Wolfram's ``Automatic``)."""
        if name not in self._specified:
            return None
        if self.core is None:
            return self._pending[name].copy()
        index, layout = self.array_layouts()[name]
        keras = torch.as_tensor(self.core.get_weights()[index])
        return layout.to_keras(keras).numpy().copy()

    def array_dims(self, name: str) -> tuple[int, ...] | None:
        """The dims of array ``name`` (``None`` while they cannot be known)."""
        if self.core is None:
            return tuple(self._pending[name].shape) if name in self._pending else None
        index, layout = self.array_layouts()[name]
        keras = torch.empty(self.core.get_weights()[index].shape, device="meta")
        return tuple(layout.to_keras(keras).shape)

    def set_array(self, name: str, value: Any) -> None:
        """Give array ``name`` a value in Wolfram's layout (checked against the layer's dims once known)."""
        array = np.asarray(value, dtype=np.float32)
        self._specified.add(name)
        if self.core is None:
            self._pending[name] = array
        else:
            self._store(name, array)

    def _store(self, name: str, array: np.ndarray) -> None:
        index, layout = self.array_layouts()[name]
        expected = self.array_dims(name)
        if tuple(array.shape) != expected:
            raise self.fail(f"the value of \"{name}\" has dims {list(array.shape)}; {list(expected)} expected.")
        weights = self.core.get_weights()  # type: ignore[union-attr]
        weights[index] = layout.to_storage(torch.as_tensor(array)).numpy()
        self.core.set_weights(weights)  # type: ignore[union-attr]

    def initialize(self) -> None:
        """Give every unspecified array the core's initial value (NetInitialize); explicit arrays are kept."""
        if self.core is None and self.arrays:
            raise ValueError(
                f"Cannot initialize net: {self.head} is not fully specified (its input dims are not known; give "
                f"\"Input\")."
            )
        self._specified.update(self.arrays)

    # -- computing ----------------------------------------------------------------------------
    def run(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.core_layers():
            x = layer(x)
        return x

    def forward(self, data: Any) -> Any:
        """Apply the layer; a layer with no ``Input`` takes its dims from the data (one example, or a batch)."""
        if self.input_dims is None:
            x = numeric(data)  # symbols are refused before their dims are read
            self.infer(x.shape[1:] if self._data_is_batch(x) else x.shape)
        return super().forward(data)

    def _data_is_batch(self, data: Any) -> bool:
        """Whether data given to a layer with no ``Input`` is a batch (its rank says so, where the rank is known)."""
        rank = self.known_input_rank()
        return rank is not None and np.ndim(data) == rank + 1

    def known_input_rank(self) -> int | None:
        """The rank of the input port, where the options already fix it."""
        return None
