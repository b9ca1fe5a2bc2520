"""What every Wolfram net shares: ports, arrays and application to data.

A net (a layer or a :class:`~.chain.NetChain`) has an ``"Input"`` and an
``"Output"`` port, each the dims of one example, and arrays by path
(``("Weights",)`` for a layer, ``(1, "Weights")`` in a chain). Applying it follows
reference A2.3: data of the input port's rank is one example, one rank more is a
batch (an array, or a list of examples), NumPy in, NumPy out, integers accepted
and the output always real. An array never initialised refuses to evaluate,
as in Wolfram ("unspecified value for Weights").
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np
import torch

from . import ports
from .encoders import NetEncoder, is_image
from .ports import Dims

#: An array's path: ``("Weights",)`` in a layer, ``(i, "Weights")`` in a chain (``i`` from 1, as in Wolfram).
Path = tuple[Any, ...]


def path_text(path: Path) -> str:
    """An array path as messages print it: ``Weights``, ``(1, 'Weights')``."""
    return str(path[0]) if len(path) == 1 else repr(path)


class Net(torch.nn.Module):
    """Base of Wolfram layers and chains: the ports, the arrays, and ``net(data)``.

    Subclasses keep ``input_dims`` and ``output_dims`` (``None`` until inferred)
    and implement :meth:`array_slots` and :meth:`run` (a batch tensor in the
    core's layout, which is the example's with a batch axis in front).
    """

    input_dims: Dims | None = None
    output_dims: Dims | None = None
    #: The ``Input`` port's image encoder, if any: images are encoded before anything else.
    encoder: NetEncoder | None = None

    @property
    def head(self) -> str:
        """How messages name the net (``ConvolutionLayer``, ``NetChain``)."""
        return type(self).__name__

    def array_slots(self) -> Iterator[tuple[Path, Any, str]]:
        """``(path, layer, name)`` for every array, in order."""
        raise NotImplementedError

    def run(self, x: torch.Tensor) -> torch.Tensor:
        """The outputs for a batch ``x`` of inputs (autograd intact)."""
        raise NotImplementedError

    # -- application --------------------------------------------------------------------------
    def forward(self, data: Any) -> Any:
        """Apply the net to one example or a batch of them (see the module's notes)."""
        data = self._encoded(data)
        if isinstance(data, list) and data and not _uniform(data):
            return [self.forward(example) for example in data]  # a batch of different lengths: each alone
        x = numeric(data)
        dims = self._require_ready()
        if x.ndim == len(dims):
            return self._apply(x[None])[0]
        if x.ndim == len(dims) + 1:
            return self._apply(x)
        raise ValueError(
            f"Data provided to port \"Input\" should be an array of rank {len(dims)} (one example) or "
            f"{len(dims) + 1} (a batch), but was an array of rank {x.ndim}."
        )

    def _encoded(self, data: Any) -> Any:
        """Images (one, or a list) through the input's encoder; anything else as it is."""
        if self.encoder is None:
            return data
        if is_image(data):
            return self.encoder.encode(data)
        if isinstance(data, list) and data and all(is_image(item) for item in data):
            return np.stack([self.encoder.encode(item) for item in data])
        return data

    def _require_ready(self) -> Dims:
        if self.input_dims is None:
            raise ValueError(f"Cannot evaluate net: {self.head} is not fully specified (give its \"Input\" dims).")
        for path, layer, name in self.array_slots():
            if not layer.specified(name):
                raise ValueError(
                    f"Cannot evaluate net: unspecified value for {path_text(path)}. Initialise it with "
                    f"NetInitialize(net), or give \"{name}\" explicitly."
                )
        return self.input_dims

    def _apply(self, batch: np.ndarray) -> np.ndarray:
        expected = self.input_dims
        given = batch.shape[1:]
        if any(e != ports.VARYING and e != g for e, g in zip(expected, given)):
            raise ValueError(
                f"Data provided to port \"Input\" has the wrong dimensions ({ports.times(given)} instead of "
                f"{ports.times(expected)})."
            )
        with torch.no_grad():
            y = self.run(torch.as_tensor(batch, dtype=torch.float32))
        return y.numpy()


def _uniform(data: list[Any]) -> bool:
    """Whether a list of examples stacks into one array (every example the same dims)."""
    shapes = {np.shape(example) for example in data}
    return len(shapes) == 1


def numeric(data: Any) -> np.ndarray:
    """``data`` as a real float32 array; anything else (symbols, strings, complex numbers) is refused."""
    if is_image(data) or (isinstance(data, list) and data and is_image(data[0])):
        # NumPy would read an image as its pixel array: Wolfram wants an encoder to say how.
        raise ValueError(
            "Data provided to port \"Input\" should be a numeric array, but was an image; give the net an image "
            "encoder: Input=NetEncoder(\"Image\", (w, h))."
        )
    if isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    try:
        x = np.asarray(data)
    except ValueError:
        x = np.asarray(None)
    if x.dtype.kind not in "biuf" or x.size == 0:
        raise ValueError("Input to network is not a numeric array: data provided to port \"Input\" should be real numbers.")
    return x.astype(np.float32)
