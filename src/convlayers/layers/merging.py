"""Keras's merge layers: ``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum``, ``Minimum``, ``Concatenate``, ``Dot``.

Each takes a list of tensors (torch tensors, NumPy arrays or KerasTensors) and returns
one, with Keras 3's shape rules and errors (``keras/src/layers/merging``):

- the elementwise layers broadcast the non-batch dims NumPy's way (right-aligned; an
  input of lower rank gets size-1 dims inserted after the batch dim), refuse inputs
  with different known batch sizes, and refuse sizes that do not broadcast;
- ``Concatenate`` needs inputs of one rank whose sizes agree, where known, off the axis;
- ``Dot`` is Keras's ``batch_dot`` of two inputs over one axis each, optionally of the
  L2-normalized inputs (cosine proximity).

The lowercase functions (``add``, ``concatenate``...) make the layer and call it, as Keras's do.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch

from .. import arrays
from . import symbolic
from .base import Layer, Shape, _recording
from .values import is_int

__all__ = [
    "Add",
    "Average",
    "Concatenate",
    "Dot",
    "Maximum",
    "Minimum",
    "Multiply",
    "Subtract",
    "add",
    "average",
    "concatenate",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]

#: Keras's ``backend.epsilon()``: the floor of the norm ``Dot(normalize=True)`` divides by.
_EPSILON = 1e-7


class Merge(Layer):
    """Base of the merge layers: a list of tensors in, one tensor out (Keras's ``Merge``).

    Subclasses implement ``_merge(tensors)`` (tensors of one rank, cast to the compute
    dtype) and, where Keras's rules differ from the elementwise ones,
    ``_check_shapes(shapes)`` and ``compute_output_shape(shapes)``.
    """

    #: Elementwise layers give a lower-rank input size-1 dims after the batch dim, as Keras reshapes them.
    aligns_ranks = True

    def forward(self, inputs: Any, training: bool | None = None) -> Any:
        """Merge a list of tensors (a tensor out, autograd intact), arrays (an array out) or KerasTensors."""
        if isinstance(inputs, (list, tuple)) and inputs and all(isinstance(x, torch.Tensor) for x in inputs):
            return self._merge_tensors(list(inputs))
        if isinstance(inputs, torch.Tensor):
            self._shapes(inputs)  # the error for a lone tensor
        return self._forward_other(inputs, training)

    def _forward_array(self, inputs: Any) -> np.ndarray:
        if not isinstance(inputs, (list, tuple)):
            self._shapes(inputs)
        xs = [arrays.to_tensor(x, self.owner) for x in inputs]
        with torch.no_grad():
            y = self._merge_tensors(xs)
        if any(y.untyped_storage().data_ptr() == x.untyped_storage().data_ptr() for x in xs):
            y = y.clone()  # a single input comes back as itself: a NumPy caller gets a new array
        return arrays.to_numpy(y)

    def _symbolic_outputs(self, inputs: Any) -> symbolic.KerasTensor:
        shapes = self._shapes(inputs)
        self.build(shapes)
        return symbolic.KerasTensor(self.compute_output_shape(shapes), dtype=self.compute_dtype)

    def _merge_tensors(self, xs: list[torch.Tensor]) -> torch.Tensor:
        key = (tuple(x.shape for x in xs), tuple(x.dtype for x in xs), self._dtype_policy)
        if _recording() or key not in self._call_plans:
            shapes = [tuple(int(d) for d in x.shape) for x in xs]
            if not self.built:
                self.build(shapes)
            else:
                self._check_shapes(shapes)
            if not _recording():
                self._call_plans[key] = self._merge  # the shapes were checked; the step is the same for all
        compute = self._dtype_policy.compute_torch_dtype
        for x in xs:
            if x.dtype != compute:
                arrays.check_real(x, self.owner)
        xs = [x if x.dtype == compute else x.to(compute) for x in xs]
        if self.aligns_ranks:
            rank = max(x.ndim for x in xs)
            xs = [x if x.ndim == rank else x.reshape(x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:]) for x in xs]
        y = self._merge(xs)
        if self.activity_regularizer:
            self._activity_losses = [self.activity_loss(y)]
        return y

    def _merge(self, xs: list[torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    # -- shapes -------------------------------------------------------------------------------
    def _shapes(self, input_shape: Any) -> list[Shape]:
        """``input_shape`` (a list of shapes, or of KerasTensors) as a list of tuples, or Keras's error."""
        if isinstance(input_shape, (list, tuple)) and input_shape and all(
            isinstance(x, symbolic.KerasTensor) for x in input_shape
        ):
            return [x.shape for x in input_shape]
        if (
            not isinstance(input_shape, (list, tuple))
            or not input_shape
            or not all(isinstance(s, (list, tuple)) for s in input_shape)
        ):
            received = getattr(input_shape, "shape", input_shape)
            raise ValueError(
                f"{self.owner}: a merge layer should be called on a list of at least 1 input. "
                f"Received: input_shape={tuple(received) if isinstance(received, torch.Size) else received!r} "
                f"(not a list of shapes)."
            )
        return [tuple(None if d is None else int(d) for d in s) for s in input_shape]

    def build(self, input_shape: Any, device: torch.device | str | None = None) -> None:
        """Check the input shapes (a list, one per input); merge layers have no weights."""
        shapes = self._shapes(input_shape)
        self._check_shapes(shapes)
        if not self.built:
            self.built = True
            self._build_input_shape = shapes

    def _check_shapes(self, shapes: list[Shape]) -> None:
        """Keras's ``Merge.build``: one known batch size, and non-batch dims that broadcast."""
        batch_sizes = {s[0] for s in shapes if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f"{self.owner}: cannot merge tensors with different batch sizes. Received tensors with shapes {shapes}."
            )
        self._broadcast(shapes)

    def _broadcast(self, shapes: list[Shape]) -> Shape:
        """The broadcast of the non-batch dims of ``shapes`` (Keras's ``_compute_elemwise_op_output_shape``)."""
        output = shapes[0][1:]
        for shape in shapes[1:]:
            output = self._elementwise(output, shape[1:])
        return output

    def _elementwise(self, shape1: Shape, shape2: Shape) -> Shape:
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        if not shape2:
            return shape1
        output = list(shape1[: len(shape1) - len(shape2)])
        for i, j in zip(shape1[len(shape1) - len(shape2) :], shape2):
            if i is None or j is None:
                output.append(None)
            elif i == 1 or j == 1:
                output.append(j if i == 1 else i)
            elif i != j:
                raise ValueError(f"{self.owner}: inputs have incompatible shapes. Received shapes {shape1} and {shape2}.")
            else:
                output.append(i)
        return tuple(output)

    def compute_output_shape(self, input_shape: Any) -> Shape:
        """The broadcast shape, the batch dim the one known batch size (else ``None``).

        >>> Add().compute_output_shape([(None, 4, 1), (8, 3)])
        (8, 4, 3)
        """
        shapes = self._shapes(input_shape)
        self._check_shapes(shapes)
        batch_sizes = {s[0] for s in shapes if s} - {None}
        return (batch_sizes.pop() if len(batch_sizes) == 1 else None,) + self._broadcast(shapes)


class Add(Merge):
    """Adds a list of tensors (Keras ``Add``): ``x1 + x2 + ...``, broadcast as NumPy broadcasts.

    >>> import numpy as np
    >>> Add()([np.ones((2, 3), "float32"), np.full((2, 3), 2.0, "float32")])
    array([[3., 3., 3.],
           [3., 3., 3.]], dtype=float32)
    """

    def _merge(self, xs: list[torch.Tensor]) -> torch.Tensor:
        y = xs[0]
        for x in xs[1:]:
            y = y + x
        return y


class Subtract(Merge):
    """Subtracts two tensors (Keras ``Subtract``): ``x1 - x2``.

    >>> import numpy as np
    >>> Subtract()([np.ones((1, 2), "float32"), np.full((1, 2), 3.0, "float32")])
    array([[-2., -2.]], dtype=float32)
    """

    def _check_shapes(self, shapes: list[Shape]) -> None:
        super()._check_shapes(shapes)
        if len(shapes) != 2:
            raise ValueError(f"{self.owner}: a `Subtract` layer should be called on exactly 2 inputs. Received: input_shape={shapes}.")

    def _merge(self, xs: list[torch.Tensor]) -> torch.Tensor:
        return xs[0] - xs[1]


class Multiply(Merge):
    """Multiplies a list of tensors elementwise (Keras ``Multiply``).

    >>> import numpy as np
    >>> Multiply()([np.full((1, 2), 2.0, "float32"), np.full((1, 2), 3.0, "float32")])
    array([[6., 6.]], dtype=float32)
    """

    def _merge(self, xs: list[torch.Tensor]) -> torch.Tensor:
        y = xs[0]
        for x in xs[1:]:
            y = y * x
        return y


class Average(Merge):
    """Averages a list of tensors elementwise (Keras ``Average``): their sum divided by their count.

    >>> import numpy as np
    >>> Average()([np.zeros((1, 2), "float32"), np.full((1, 2), 3.0, "float32")])
    array([[1.5, 1.5]], dtype=float32)
    """

    def _merge(self, xs: list[torch.Tensor]) -> torch.Tensor:
        y = xs[0]
        for x in xs[1:]:
            y = y + x
        return y / len(xs)


class Maximum(Merge):
    """The elementwise maximum of a list of tensors (Keras ``Maximum``).

    >>> import numpy as np
    >>> Maximum()([np.array([[1.0, 5.0]], "float32"), np.array([[3.0, 2.0]], "float32")])
    array([[3., 5.]], dtype=float32)
    """

    def _merge(self, xs: list[torch.Tensor]) -> torch.Tensor:
        y = xs[0]
        for x in xs[1:]:
            y = torch.maximum(y, x)
        return y


class Minimum(Merge):
    """The elementwise minimum of a list of tensors (Keras ``Minimum``).

    >>> import numpy as np
    >>> Minimum()([np.array([[1.0, 5.0]], "float32"), np.array([[3.0, 2.0]], "float32")])
    array([[1., 2.]], dtype=float32)
    """

    def _merge(self, xs: list[torch.Tensor]) -> torch.Tensor:
        y = xs[0]
        for x in xs[1:]:
            y = torch.minimum(y, x)
        return y


class Concatenate(Merge):
    """Concatenates a list of tensors along ``axis`` (Keras ``Concatenate``).

    Args:
        axis: the axis to join along (negative counts from the end; the batch axis is 0).

    The inputs need one rank, and equal sizes (where known) on every other axis.

    >>> import numpy as np
    >>> Concatenate(axis=1)([np.zeros((2, 2, 5)), np.ones((2, 1, 5))]).shape
    (2, 3, 5)
    """

    aligns_ranks = False

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not is_int(axis):
            raise TypeError(f"{self.owner}: `axis` must be an int. Received: axis={axis!r}.")
        self.axis = int(axis)

    def _axis(self, rank: int, shapes: list[Shape]) -> int:
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"{self.owner}: `axis` {self.axis} is out of range for inputs of rank {rank}. Received: input_shape={shapes}."
            )
        return self.axis % rank

    def _check_shapes(self, shapes: list[Shape]) -> None:
        """Keras's ``Concatenate.build``: one rank, and matching known sizes off the concatenation axis."""
        mismatch = ValueError(
            f"{self.owner}: a `Concatenate` layer requires inputs with matching shapes except for the "
            f"concatenation axis. Received: input_shape={shapes}."
        )
        if len({len(s) for s in shapes}) != 1:
            raise mismatch
        axis = self._axis(len(shapes[0]), shapes)
        for dim in range(len(shapes[0])):
            if dim != axis and len({s[dim] for s in shapes} - {None}) > 1:
                raise mismatch

    def compute_output_shape(self, input_shape: Any) -> Shape:
        """The first input's shape, with the sizes along ``axis`` summed (``None`` if any is unknown).

        >>> Concatenate().compute_output_shape([(None, 4), (None, 3)])
        (None, 7)
        """
        shapes = self._shapes(input_shape)
        self._check_shapes(shapes)
        axis = self._axis(len(shapes[0]), shapes)
        sizes = [s[axis] for s in shapes]
        output = list(shapes[0])
        output[axis] = None if None in sizes else sum(sizes)
        return tuple(output)

    def _merge(self, xs: list[torch.Tensor]) -> torch.Tensor:
        return torch.cat(xs, dim=self.axis)

    def _config(self) -> dict[str, Any]:
        return {"axis": self.axis}


class Dot(Merge):
    """The dot product of two tensors over one axis each, per sample (Keras ``Dot``, Keras's ``batch_dot``).

    Args:
        axes: an int (the same axis of both inputs) or a pair ``(axis1, axis2)``; negative
            axes count from the end; the batch axis 0 cannot be one.
        normalize: L2-normalize both inputs along their axes first, so that the result
            is the cosine proximity.

    Inputs ``(batch, *a)`` and ``(batch, *b)`` of rank >= 2 whose sizes agree on the two
    axes; the output is the first input's dims without its axis, then the second's
    without the batch dim and its axis, ``(batch, 1)`` if that leaves only the batch dim.

    >>> import numpy as np
    >>> x, y = np.arange(10.0).reshape(1, 5, 2), np.arange(10.0, 20.0).reshape(1, 2, 5)
    >>> Dot(axes=(1, 2))([x, y])
    array([[[260., 360.],
            [320., 445.]]], dtype=float32)
    """

    aligns_ranks = False

    def __init__(self, axes: int | Sequence[int], normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not is_int(axes):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(f"{self.owner}: invalid type for argument `axes`: it should be a list or an int. Received: axes={axes!r}.")
            if len(axes) != 2:
                raise ValueError(f"{self.owner}: invalid format for argument `axes`: it should contain two elements. Received: axes={axes!r}.")
            if not all(is_int(a) for a in axes):
                raise ValueError(f"{self.owner}: invalid format for argument `axes`: list elements should be integers. Received: axes={axes!r}.")
            axes = tuple(int(a) for a in axes)
        self.axes = axes
        self.normalize = bool(normalize)

    def _pair(self, shapes: list[Shape]) -> tuple[int, int]:
        """The two axes, non-negative, checked against the ranks."""
        axes = (self.axes, self.axes) if is_int(self.axes) else self.axes
        pair = []
        for axis, shape in zip(axes, shapes):
            if not -len(shape) <= axis < len(shape):
                raise ValueError(f"{self.owner}: `axes` {self.axes!r} is out of range for input shapes {shapes[0]}, {shapes[1]}.")
            pair.append(axis % len(shape))
        if 0 in pair:
            raise ValueError(
                f"{self.owner}: cannot perform batch_dot over axis 0. If your inputs are not batched, add a dummy "
                f"batch dimension to your inputs. Received: axes={self.axes!r}, input shapes {shapes[0]}, {shapes[1]}."
            )
        return pair[0], pair[1]

    def _check_shapes(self, shapes: list[Shape]) -> None:
        """Keras's ``Dot.build`` and ``batch_dot`` checks: two inputs of rank >= 2, one batch size, equal axis sizes."""
        if len(shapes) != 2:
            raise ValueError(f"{self.owner}: a `Dot` layer should be called on a list of 2 inputs. Received: input_shape={shapes}.")
        shape1, shape2 = shapes
        if len(shape1) < 2 or len(shape2) < 2:
            raise ValueError(f"{self.owner}: cannot do batch_dot on inputs with rank < 2. Received inputs with shapes {shape1} and {shape2}.")
        if None not in (shape1[0], shape2[0]) and shape1[0] != shape2[0]:
            raise ValueError(
                f"{self.owner}: cannot do batch_dot on inputs with different batch sizes. Received inputs with shapes "
                f"{shape1} and {shape2}."
            )
        a1, a2 = self._pair(shapes)
        # As Keras: an unknown size against a known one is refused too; the message names the axes as given.
        if shape1[a1] != shape2[a2]:
            named = (a1, a2) if is_int(self.axes) else self.axes
            raise ValueError(
                f"{self.owner}: incompatible input shapes: axis values {shape1[a1]} (at axis {named[0]}) != "
                f"{shape2[a2]} (at axis {named[1]}). Full input shapes: {shape1}, {shape2}."
            )

    def compute_output_shape(self, input_shape: Any) -> Shape:
        """The first shape without its axis, then the second without its batch dim and axis (at least rank 2).

        >>> Dot(axes=(1, 2)).compute_output_shape([(None, 3, 5), (None, 10, 3)])
        (None, 5, 10)
        """
        shapes = self._shapes(input_shape)
        self._check_shapes(shapes)
        a1, a2 = self._pair(shapes)
        first = [d for i, d in enumerate(shapes[0]) if i != a1]
        second = [d for i, d in enumerate(shapes[1]) if i not in (0, a2)]
        output = first + second
        return tuple(output + [1] if len(output) == 1 else output)

    def _merge(self, xs: list[torch.Tensor]) -> torch.Tensor:
        x, y = xs
        a1, a2 = self._pair([tuple(x.shape), tuple(y.shape)])
        if self.normalize:
            x, y = _l2_normalize(x, a1), _l2_normalize(y, a2)
        x, y = x.movedim(a1, -1), y.movedim(a2, 1)  # (batch, *rest_x, k) and (batch, k, *rest_y)
        batch, k = x.shape[0], x.shape[-1]
        out = torch.bmm(x.reshape(batch, -1, k), y.reshape(batch, k, -1))
        out = out.reshape(x.shape[:-1] + y.shape[2:])
        return out.unsqueeze(-1) if out.ndim == 1 else out

    def _config(self) -> dict[str, Any]:
        return {"axes": self.axes, "normalize": self.normalize}


def _l2_normalize(x: torch.Tensor, axis: int) -> torch.Tensor:
    """Keras's ``ops.normalize(order=2)``: ``x * min(rsqrt(sum(x**2)), 1 / epsilon)`` along ``axis``."""
    return x * torch.rsqrt(x.square().sum(dim=axis, keepdim=True)).clamp(max=1.0 / _EPSILON)


# -- Keras's functional interface --------------------------------------------------------------
def add(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """``Add(**kwargs)(inputs)``: the sum of the inputs.

    >>> import numpy as np
    >>> add([np.ones((1, 2), "float32"), np.ones((1, 2), "float32")])
    array([[2., 2.]], dtype=float32)
    """
    return Add(**kwargs)(inputs)


def subtract(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """``Subtract(**kwargs)(inputs)``: the first input minus the second.

    >>> import numpy as np
    >>> subtract([np.ones((1, 2), "float32"), np.ones((1, 2), "float32")])
    array([[0., 0.]], dtype=float32)
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """``Multiply(**kwargs)(inputs)``: the elementwise product of the inputs.

    >>> import numpy as np
    >>> multiply([np.full((1, 2), 2.0, "float32"), np.full((1, 2), 2.0, "float32")])
    array([[4., 4.]], dtype=float32)
    """
    return Multiply(**kwargs)(inputs)


def average(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """``Average(**kwargs)(inputs)``: the elementwise mean of the inputs.

    >>> import numpy as np
    >>> average([np.zeros((1, 2), "float32"), np.ones((1, 2), "float32")])
    array([[0.5, 0.5]], dtype=float32)
    """
    return Average(**kwargs)(inputs)


def maximum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """``Maximum(**kwargs)(inputs)``: the elementwise maximum of the inputs.

    >>> import numpy as np
    >>> maximum([np.zeros((1, 2), "float32"), np.ones((1, 2), "float32")])
    array([[1., 1.]], dtype=float32)
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """``Minimum(**kwargs)(inputs)``: the elementwise minimum of the inputs.

    >>> import numpy as np
    >>> minimum([np.zeros((1, 2), "float32"), np.ones((1, 2), "float32")])
    array([[0., 0.]], dtype=float32)
    """
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: Sequence[Any], axis: int = -1, **kwargs: Any) -> Any:
    """``Concatenate(axis, **kwargs)(inputs)``: the inputs joined along ``axis``.

    >>> import numpy as np
    >>> concatenate([np.zeros((1, 2), "float32"), np.ones((1, 1), "float32")])
    array([[0., 0., 1.]], dtype=float32)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: Sequence[Any], axes: int | Sequence[int] = -1, **kwargs: Any) -> Any:
    """``Dot(axes, **kwargs)(inputs)``: the per-sample dot product of two inputs (``normalize=`` in kwargs).

    >>> import numpy as np
    >>> dot([np.ones((2, 3), "float32"), np.ones((2, 3), "float32")])
    array([[3.],
           [3.]], dtype=float32)
    """
    return Dot(axes=axes, **kwargs)(inputs)
