"""Weight records: a parameter, its Keras name and layout, and how to map between layouts.

Keras stores kernels spatial-first (``kernel_size + (in, out)``); PyTorch's
kernels want ``(out, in, *kernel_size)``. Parameters are stored in the layout
``ops`` consumes; :class:`WeightLayout` converts at the boundary (``get_weights``,
``set_weights``, regularizers, constraints, initializers), never in the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch


@dataclass(frozen=True)
class WeightLayout:
    """The identity mapping: the Keras layout is the storage layout (biases)."""

    def to_storage(self, keras: torch.Tensor) -> torch.Tensor:
        return keras

    def to_keras(self, stored: torch.Tensor) -> torch.Tensor:
        return stored


@dataclass(frozen=True)
class SpatialFirstKernel(WeightLayout):
    """Keras ``kernel_size + (a, b)`` <-> PyTorch ``(b, a) + kernel_size``.

    Serves convolution kernels ``(k, in/groups, filters)`` -> ``(filters, in/groups, k)``
    and transposed ones ``(k, filters, in)`` -> ``(in, filters, k)``.

    >>> SpatialFirstKernel(2).to_storage(torch.zeros(3, 5, 4, 8)).shape
    torch.Size([8, 4, 3, 5])
    """

    rank: int

    def to_storage(self, keras: torch.Tensor) -> torch.Tensor:
        return keras.permute(self.rank + 1, self.rank, *range(self.rank))

    def to_keras(self, stored: torch.Tensor) -> torch.Tensor:
        return stored.permute(*range(2, self.rank + 2), 1, 0)


@dataclass(frozen=True)
class DepthwiseKernel(WeightLayout):
    """Keras ``kernel_size + (C, depth_multiplier)`` <-> PyTorch ``(C * dm, 1) + kernel_size``.

    Output channel ``c * dm + m`` is input channel ``c``'s ``m``-th filter, as in Keras.

    >>> DepthwiseKernel(1, 2).to_storage(torch.zeros(3, 4, 2)).shape
    torch.Size([8, 1, 3])
    """

    rank: int
    depth_multiplier: int

    def to_storage(self, keras: torch.Tensor) -> torch.Tensor:
        spatial = tuple(keras.shape[: self.rank])
        flat = keras.reshape(spatial + (-1,))
        return flat.permute(self.rank, *range(self.rank)).unsqueeze(1)

    def to_keras(self, stored: torch.Tensor) -> torch.Tensor:
        spatial = tuple(stored.shape[2:])
        flat = stored.squeeze(1).permute(*range(1, self.rank + 1), 0)
        return flat.reshape(spatial + (-1, self.depth_multiplier))


@dataclass(frozen=True)
class Permuted(WeightLayout):
    """A framework's layout whose axes, permuted by ``axes``, give the storage (``x.permute(axes)``).

    >>> Permuted((2, 3, 1, 0)).to_storage(torch.zeros(8, 4, 3, 5)).shape
    torch.Size([3, 5, 4, 8])
    """

    axes: tuple[int, ...]

    def to_storage(self, keras: torch.Tensor) -> torch.Tensor:
        return keras.permute(self.axes)

    def to_keras(self, stored: torch.Tensor) -> torch.Tensor:
        inverse = sorted(range(len(self.axes)), key=self.axes.__getitem__)
        return stored.permute(inverse)

    def framework_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The framework's shape of a weight stored as ``shape``."""
        framework = [0] * len(self.axes)
        for position, axis in enumerate(self.axes):
            framework[axis] = shape[position]
        return tuple(framework)


@dataclass(frozen=True)
class Flipped(WeightLayout):
    """A kernel reversed along ``axes``: a true convolution's kernel stored for a cross-correlation.

    >>> Flipped((0,)).to_storage(torch.tensor([[1.0], [2.0]])).ravel().tolist()
    [2.0, 1.0]
    """

    axes: tuple[int, ...]

    def to_storage(self, keras: torch.Tensor) -> torch.Tensor:
        return keras.flip(self.axes)

    def to_keras(self, stored: torch.Tensor) -> torch.Tensor:
        return stored.flip(self.axes)


@dataclass(frozen=True)
class Reshaped(WeightLayout):
    """A framework's shape ``shape`` for a weight stored as ``stored_shape`` (same elements, same order).

    >>> Reshaped((3, 1, 4, 8), (3, 4, 8)).to_storage(torch.zeros(3, 1, 4, 8)).shape
    torch.Size([3, 4, 8])
    """

    shape: tuple[int, ...]
    stored_shape: tuple[int, ...]

    def to_storage(self, keras: torch.Tensor) -> torch.Tensor:
        return keras.reshape(self.stored_shape)

    def to_keras(self, stored: torch.Tensor) -> torch.Tensor:
        return stored.reshape(self.shape)


@dataclass(frozen=True)
class Composed(WeightLayout):
    """``first`` then ``then`` on the way to storage (and back in reverse).

    >>> layout = Composed(Flipped((0,)), Permuted((1, 0)))
    >>> layout.to_storage(torch.tensor([[1.0, 2.0], [3.0, 4.0]])).tolist()
    [[3.0, 1.0], [4.0, 2.0]]
    >>> layout.to_keras(layout.to_storage(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))).tolist()
    [[1.0, 2.0], [3.0, 4.0]]
    """

    first: WeightLayout
    then: WeightLayout

    def to_storage(self, keras: torch.Tensor) -> torch.Tensor:
        return self.then.to_storage(self.first.to_storage(keras))

    def to_keras(self, stored: torch.Tensor) -> torch.Tensor:
        return self.first.to_keras(self.then.to_keras(stored))


@dataclass
class Weight:
    """One weight of a layer, in the order Keras lists it."""

    name: str
    keras_shape: tuple[int, ...]
    layout: WeightLayout
    regularizer: Callable[[torch.Tensor], torch.Tensor] | None = None
    constraint: Callable[[torch.Tensor], torch.Tensor] | None = None
    #: False for state the layer updates itself (moving statistics): a buffer, never a parameter.
    trainable: bool = True

    def describe(self) -> str:
        return f"{self.name} {self.keras_shape}"


def initial_value(
    initializer: Any, weight: Weight, dtype: torch.dtype, device: torch.device | str | None = None
) -> torch.Tensor:
    """Draw an initial value in Keras layout (Keras's fans) and store it in storage layout, on ``device``.

    Initializers draw on the CPU, from their own CPU generator when seeded and from
    torch's global CPU generator otherwise, and the value then moves to ``device`` in
    one copy: a seed (or ``torch.manual_seed``) gives the same weights on every device,
    which drawing on the device would not (CUDA's generator is another stream). The
    copy happens once per weight, at build.

    On the meta device (``convlayers.io`` sizing a file's architecture, or
    ``build(..., device="meta")``) there is nothing to draw: the shape is all, and the
    initializer's arithmetic on meta tensors is slow.

    >>> from convlayers.initializers import GlorotUniform
    >>> w = Weight("kernel", (3, 2), WeightLayout())
    >>> initial_value(GlorotUniform(seed=1), w, torch.float32, "meta").device
    device(type='meta')
    >>> torch.equal(initial_value(GlorotUniform(seed=1), w, torch.float32),
    ...             initial_value(GlorotUniform(seed=1), w, torch.float32, "cpu"))
    True
    """
    target = torch.get_default_device() if device is None else torch.device(device)
    if target.type == "meta":
        return weight.layout.to_storage(torch.empty(weight.keras_shape, dtype=dtype, device=target)).contiguous()
    keras_value = torch.as_tensor(initializer(weight.keras_shape, dtype=dtype), dtype=dtype)
    return weight.layout.to_storage(keras_value).contiguous().to(target)
