"""``NetChain``: Wolfram layers in sequence, with shape inference from the input through the chain.

``NetChain([layer1, layer2, ...], Input=dims)`` connects each layer's output to
the next one's input, inferring every layer (rank, channels, ``"Varying"`` dims)
and validating it with Wolfram's messages. ``Ramp``, ``Tanh`` and
``LogisticSigmoid`` in the list stand for ``ElementwiseLayer`` of themselves.
Layers are indexed from 1, as in Wolfram (``NetExtract(chain, (1, "Weights"))``).

>>> from convlayers.wolfram import ConvolutionLayer, LinearLayer, NetChain, NetExtract, Ramp
>>> chain = NetChain([ConvolutionLayer(16, 3), Ramp, LinearLayer(10)], Input=(1, 8, 8))
>>> [layer.output_dims for layer in chain.layers]
[(16, 6, 6), (16, 6, 6), (10,)]
>>> NetExtract(chain, (3, "Weights")) is None  # not initialised yet
True
"""

from __future__ import annotations

from typing import Any, Iterator, Sequence

import torch

from . import ports
from .companions import FUNCTIONS, ElementwiseLayer
from .encoders import NetEncoder
from .layer import NetLayer
from .net import Net, Path
from .ports import Dims


def _as_layer(entry: Any, position: int) -> NetLayer:
    if isinstance(entry, NetLayer):
        return entry
    if isinstance(entry, str) and entry in FUNCTIONS:
        return ElementwiseLayer(entry)
    raise ValueError(f"NetChain: element {position} is not a layer: {entry!r}.")


class NetChain(Net):
    """Wolfram's ``NetChain[{layer1, layer2, ...}, "Input" -> dims]``.

    Args:
        layers: Wolfram layers (or ``Ramp``, ``Tanh``, ``LogisticSigmoid``).
        Input: the dims of one example, or a :class:`~.encoders.NetEncoder` (the chain then takes images);
            ``None`` takes the first layer's ``Input`` (and encoder) if it has one.
        Output: the expected output dims (checked).

    >>> from convlayers.wolfram import ConvolutionLayer, NetChain, PoolingLayer
    >>> NetChain([ConvolutionLayer(4, 3, Interleaving=True), PoolingLayer(2, 2, Interleaving=True)],
    ...          Input=("Varying", 3)).output_dims
    ('Varying', 4)
    """

    def __init__(self, layers: Sequence[Any], *, Input: Any = None, Output: Any = None) -> None:
        super().__init__()
        self.layers = torch.nn.ModuleList([_as_layer(entry, i) for i, entry in enumerate(layers, 1)])
        if not len(self.layers):
            raise ValueError("NetChain: a chain needs at least one layer.")
        self.declared_output = None if Output is None else ports.normalize(Output, self.head)
        if isinstance(Input, NetEncoder):
            self.encoder, Input = Input, Input.dims
        elif Input is None:
            self.encoder = self.layers[0].encoder
        first = self.layers[0].input_dims
        if Input is not None or first is not None:
            self.infer(first if Input is None else Input)

    def infer(self, input_dims: Any) -> Dims:
        """Connect an input of ``input_dims`` through every layer; returns the chain's output dims."""
        dims = ports.normalize(input_dims, self.head)
        output = dims
        for layer in self.layers:
            output = layer.infer(output)
        if self.declared_output is not None and self.declared_output != output:
            raise ValueError(
                f"NetChain: the inferred output {list(output)} is incompatible with its \"Output\" "
                f"{list(self.declared_output)}."
            )
        self.input_dims, self.output_dims = dims, output
        return output

    def array_slots(self) -> Iterator[tuple[Path, Any, str]]:
        for index, layer in enumerate(self.layers, 1):
            for (name,), owner, array in layer.array_slots():
                yield (index, name), owner, array

    def run(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer.run(x)
        return x

    def summary(self) -> str:
        """One line per layer: its index, type and output dims (Wolfram's summary graphic, as text).

        >>> from convlayers.wolfram import FlattenLayer, NetChain
        >>> print(NetChain([FlattenLayer()], Input=(2, 3)).summary())
        Input   port   (2, 3)
        1       FlattenLayer   (6,)
        Output  port   (6,)
        """
        lines = [f"Input   port   {self.input_dims}"]
        lines += [f"{i:<7} {layer.head}   {layer.output_dims}" for i, layer in enumerate(self.layers, 1)]
        lines.append(f"Output  port   {self.output_dims}")
        return "\n".join(lines)
