"""Input preprocessing inside a model (Keras ``Rescaling`` and ``Normalization``)."""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, Iterable, Sequence

import numpy as np
import torch

from .. import initializers
from .base import Layer, Shape
from .values import is_int, resolve_axes
from .weights import Weight, WeightLayout

__all__ = ["Normalization", "Rescaling"]

#: Keras's ``backend.epsilon()``: the floor of the standard deviation Normalization divides by.
EPSILON = 1e-7


def _real_values(value: Any, argument: str, owner: str) -> float | list[Any]:
    """A float, or nested lists of floats (an array's ``tolist()``), as Keras's config holds them."""
    array = np.asarray(value) if not isinstance(value, (str, bytes)) else None
    if array is None or array.dtype.kind not in "iuf":
        raise TypeError(f"{owner}: `{argument}` must be a float or an array of floats. Received: {argument}={value!r}.")
    return float(array) if array.ndim == 0 else array.astype(float).tolist()


class Rescaling(Layer):
    """Rescales inputs: ``x * scale + offset`` (Keras ``Rescaling``), in training and inference alike.

    Integer inputs (images as ``uint8``) are cast to the compute dtype first.

    Args:
        scale: a float, or an array of floats broadcast against the input's last axes
            (one per channel, for channels-last inputs).
        offset: a float, or an array like ``scale``.

    >>> import numpy as np
    >>> Rescaling(1 / 127.5, offset=-1)(np.array([[0, 255]], "uint8"))
    array([[-1.,  1.]], dtype=float32)
    """

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = _real_values(scale, "scale", self.owner)
        self.offset = _real_values(offset, "offset", self.owner)

    def call(self, x: torch.Tensor) -> torch.Tensor:
        scale = torch.as_tensor(self.scale, dtype=x.dtype, device=x.device)
        offset = torch.as_tensor(self.offset, dtype=x.dtype, device=x.device)
        return x * scale + offset

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """The input shape, unchanged."""
        return tuple(input_shape)

    def _config(self) -> dict[str, Any]:
        return {"scale": self.scale, "offset": self.offset}


class Normalization(Layer):
    """Shifts and scales inputs by a fixed mean and variance (Keras ``Normalization``).

    ``y = (x - mean) / max(sqrt(variance), 1e-7)`` (``invert=True``: ``mean + x * max(sqrt(variance), 1e-7)``),
    with one mean and variance per index of the kept ``axis`` and broadcast along the others.

    The statistics are given at construction (``mean`` and ``variance``, broadcast to the
    kept axes' shape, right-aligned) or learned from data with :meth:`adapt`. Adapted
    statistics are the layer's weights, as Keras stores them: ``mean`` and ``variance``
    (float, the kept axes' shape) and ``count`` (an int32 scalar; Keras 3 never updates it,
    so it stays 0). A layer given ``mean`` and ``variance`` has no weights, as in Keras:
    its config holds them.

    Args:
        axis: an int, a tuple of ints, or ``None``: the axes that keep their own statistics
            (``None``: one scalar mean and variance for everything).
        mean, variance: floats or arrays, both or neither.
        invert: apply the inverse transformation (de-normalize).

    >>> import numpy as np
    >>> layer = Normalization(axis=None)
    >>> layer.adapt(np.array([1.0, 2.0, 3.0, 4.0, 5.0], "float32"))
    >>> layer(np.array([1.0, 2.0, 3.0], "float32"))
    array([-1.4142135 , -0.70710677,  0.        ], dtype=float32)
    """

    def __init__(
        self, axis: int | Sequence[int] | None = -1, mean: Any = None, variance: Any = None, invert: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif is_int(axis):
            axis = (axis,)
        if not isinstance(axis, (list, tuple)) or not all(is_int(a) for a in axis):
            raise TypeError(f"{self.owner}: `axis` must be an int, a tuple of ints or None. Received: axis={axis!r}.")
        self.axis = tuple(int(a) for a in axis)
        if (mean is None) != (variance is None):
            raise ValueError(
                f"{self.owner}: when setting values directly, both `mean` and `variance` must be set. "
                f"Received: mean={mean!r} and variance={variance!r}."
            )
        self.input_mean = None if mean is None else _real_values(mean, "mean", self.owner)
        self.input_variance = None if variance is None else _real_values(variance, "variance", self.owner)
        if mean is not None:
            if np.shape(self.input_mean) != np.shape(self.input_variance):
                raise ValueError(
                    f"{self.owner}: `mean` and `variance` must have the same shape. Received: mean shape "
                    f"{np.shape(self.input_mean)} and variance shape {np.shape(self.input_variance)}."
                )
            if np.ndim(self.input_mean) > len(self.axis):
                raise ValueError(
                    f"{self.owner}: the rank of `mean` must be at most the number of axes ({len(self.axis)}). "
                    f"Received: mean shape {np.shape(self.input_mean)} for axis={self.axis}."
                )
        self.invert = bool(invert)

    # -- shapes ---------------------------------------------------------------------------
    def _keep_axes(self, ndim: int) -> tuple[int, ...]:
        return tuple(sorted(resolve_axes(list(self.axis), ndim, self.owner)))

    def _check_input_shape(self, shape: Shape) -> None:
        keep = self._keep_axes(len(shape))
        unknown = [d for d in keep if shape[d] is None]
        if unknown:
            raise ValueError(
                f"{self.owner}: every kept axis must have a known size; axes {unknown} do not. Received input shape "
                f"{shape} with axis={self.axis}."
            )
        built = self._build_input_shape
        if self.built and (len(shape) != len(built) or any(shape[d] != built[d] for d in keep)):
            raise ValueError(
                f"{self.owner}: the layer was built for inputs of shape {built} (axis={self.axis}); received an "
                f"input of shape {shape}."
            )

    def _statistics_shape(self, shape: Shape) -> tuple[int, ...]:
        return tuple(shape[d] for d in self._keep_axes(len(shape)))

    def _broadcast_shape(self, shape: Shape) -> list[int]:
        keep = self._keep_axes(len(shape))
        return [shape[d] if d in keep else 1 for d in range(len(shape))]

    # -- building -------------------------------------------------------------------------
    def _build(self, input_shape: Shape) -> None:
        statistics_shape = self._statistics_shape(input_shape)
        if self.input_mean is None:
            self.add_weight("mean", statistics_shape, initializer=initializers.get("zeros"), trainable=False)
            self.add_weight("variance", statistics_shape, initializer=initializers.get("ones"), trainable=False)
            # Keras's int32 `count` (a weight a float policy must not convert): registered by hand.
            self.register_buffer("count", torch.zeros((), dtype=torch.int32, device=self._weights_device))
            self._weight_records.append(Weight("count", (), WeightLayout(), trainable=False))
        else:
            broadcast = self._broadcast_shape(input_shape)
            given = []
            for values in (self.input_mean, self.input_variance):
                array = np.asarray(values, dtype="float64")
                if array.ndim:
                    # Right-aligned onto the kept axes, as Keras reshapes them.
                    expanded = [1] * len(input_shape)
                    keep = self._keep_axes(len(input_shape))
                    for i in range(1, array.ndim + 1):
                        expanded[keep[-i]] = array.shape[-i]
                    array = array.reshape(expanded)
                try:
                    given.append(np.broadcast_to(array, broadcast))
                except ValueError:
                    raise ValueError(
                        f"{self.owner}: `mean` and `variance` of shape {np.shape(values)} cannot be broadcast to the "
                        f"kept axes' shape {tuple(self._statistics_shape(input_shape))}. Received input shape {input_shape}."
                    ) from None
            # Constants of the configuration, not weights (Keras keeps them out of its weights too).
            for name, array in zip(("given_mean", "given_variance"), given):
                self.register_buffer(name, torch.tensor(array, dtype=self.dtype, device=self._weights_device), persistent=False)

    # -- adapting -------------------------------------------------------------------------
    def adapt(self, data: Any) -> None:
        """Learn ``mean`` and ``variance`` from ``data``, as Keras's ``adapt``.

        ``data``: a NumPy array or tensor (the statistics over every axis but the kept
        ones, the variance dividing by ``n``), or an iterable of batches (arrays, tensors,
        or ``(x, y)`` tuples whose ``x`` is taken), merged batch by batch with Keras's
        running formulas. The layer is built for the data's shape if it is not built yet.

        >>> import numpy as np
        >>> layer = Normalization()
        >>> layer.adapt([np.array([[0.0], [2.0]]), np.array([[4.0]])])
        >>> layer.get_weights()[:2]
        [array([2.], dtype=float32), array([2.6666667], dtype=float32)]
        """
        if self.input_mean is not None:
            raise ValueError(
                f"{self.owner}: this layer was given `mean` and `variance`, so it has nothing to adapt; build one "
                f"without them to learn the statistics from data."
            )
        batches = [data] if isinstance(data, (np.ndarray, torch.Tensor)) else self._batches(data)
        total_mean = total_var = None
        total_count = 0
        for index, batch in enumerate(batches):
            array = self._array(batch)
            if index == 0 and not self.built:
                self.build(array.shape)
            self._check_input_shape(tuple(array.shape))
            reduce = tuple(d for d in range(array.ndim) if d not in self._keep_axes(array.ndim))
            batch_mean, batch_var = array.mean(axis=reduce), array.var(axis=reduce)
            if total_mean is None:
                total_mean, total_var, total_count = batch_mean, batch_var, math.prod(array.shape[d] for d in reduce)
                continue
            # Keras's merge of a batch into the running statistics.
            batch_count = math.prod(array.shape[d] for d in reduce)
            total_count += batch_count
            batch_weight = batch_count / total_count
            existing_weight = 1.0 - batch_weight
            new_mean = total_mean * existing_weight + batch_mean * batch_weight
            total_var = (total_var + (total_mean - new_mean) ** 2) * existing_weight + (
                batch_var + (batch_mean - new_mean) ** 2
            ) * batch_weight
            total_mean = new_mean
        with torch.no_grad():
            for name, value in (("mean", total_mean), ("variance", total_var)):
                target = getattr(self, name)
                target.copy_(torch.as_tensor(np.asarray(value), dtype=target.dtype).reshape(target.shape))

    def _batches(self, data: Any) -> Iterable[Any]:
        if isinstance(data, (str, bytes)) or not isinstance(data, Iterable):
            raise TypeError(
                f"{self.owner}: adapt() takes a NumPy array, a tensor or an iterable of batches. "
                f"Received {type(data).__name__}."
            )
        empty = True
        for batch in data:
            empty = False
            yield batch[0] if isinstance(batch, tuple) else batch
        if empty:
            raise ValueError(f"{self.owner}: adapt() received an empty iterable; expected at least one batch.")

    def _array(self, batch: Any) -> np.ndarray:
        if isinstance(batch, torch.Tensor):
            batch = batch.detach().cpu().double().numpy()
        array = np.asarray(batch)
        if array.dtype.kind not in "iuf":
            raise TypeError(f"{self.owner}: adapt() takes numbers. Received a batch of dtype {array.dtype}.")
        return array.astype("float64")

    # -- calling --------------------------------------------------------------------------
    def _plan_call(self, shape: Shape, dtype: torch.dtype, device: torch.device) -> Any:
        broadcast = self._broadcast_shape(shape)
        names = ("mean", "variance") if self.input_mean is None else ("given_mean", "given_variance")
        buffers = self._buffers  # read at each call: adapt() and set_weights take effect

        def step(x: torch.Tensor) -> torch.Tensor:
            mean = buffers[names[0]].to(x.dtype).reshape(broadcast)
            std = torch.sqrt(buffers[names[1]].to(x.dtype).reshape(broadcast)).clamp(min=EPSILON)
            return mean + x * std if self.invert else (x - mean) / std

        return step

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return self._plan_call(tuple(x.shape), x.dtype, x.device)(x)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """The input shape, unchanged."""
        return tuple(input_shape)

    def _config(self) -> dict[str, Any]:
        return {"axis": self.axis, "invert": self.invert, "mean": self.input_mean, "variance": self.input_variance}
