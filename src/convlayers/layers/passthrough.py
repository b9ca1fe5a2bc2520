"""Layers that move or pass values without arithmetic of their own (Keras ``Permute``, ``RepeatVector``,
``Masking``, ``Identity``, ``ActivityRegularization``).

As Keras does, floating inputs take the layer's compute dtype and integer inputs keep theirs.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from .. import regularizers
from .base import Layer, Shape
from .values import float_autocast, is_int

__all__ = ["ActivityRegularization", "Identity", "Masking", "Permute", "RepeatVector"]


class _PassesValues(Layer):
    """Keeps integer inputs (the base class would cast every input); floating ones are cast in ``call``."""

    casts_inputs = False

    def _autocast(self, x: torch.Tensor) -> torch.Tensor:
        return float_autocast(x, self.dtype_policy.compute_torch_dtype)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """The input shape, unchanged."""
        return tuple(input_shape)


class Identity(_PassesValues):
    """Returns its input (Keras ``Identity``).

    >>> import numpy as np
    >>> Identity()(np.array([1, 2], "int32"))
    array([1, 2], dtype=int32)
    """

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return self._autocast(x)


class ActivityRegularization(_PassesValues):
    """Returns its input and adds ``l1 * sum(|x|) + l2 * sum(x ** 2)`` of it to :attr:`losses` (Keras ``ActivityRegularization``).

    The term is this layer's activity regularizer, computed as every convlayers layer
    computes one (see :attr:`Layer.losses`); the config holds ``l1`` and ``l2`` only.

    Args:
        l1, l2: non-negative factors.

    >>> import torch
    >>> layer = ActivityRegularization(l1=0.5)
    >>> y = layer(torch.tensor([[1.0, -3.0]]))
    >>> layer.losses
    [tensor(2.)]
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        if "activity_regularizer" in kwargs:
            raise TypeError(
                f"ActivityRegularization: its regularizer is given by `l1` and `l2`, not `activity_regularizer`. "
                f"Received: activity_regularizer={kwargs['activity_regularizer']!r}."
            )
        try:
            regularizer = regularizers.L1L2(l1=l1, l2=l2)
        except ValueError as error:
            raise ValueError(f"ActivityRegularization: {error}") from None
        super().__init__(activity_regularizer=regularizer, **kwargs)
        self.l1, self.l2 = l1, l2

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return self._autocast(x)

    def get_config(self) -> dict[str, Any]:
        """The base keys and ``l1``, ``l2`` (Keras writes no ``activity_regularizer`` here)."""
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {**config, "l1": self.l1, "l2": self.l2}


class Masking(_PassesValues):
    """Zeroes every timestep whose features all equal ``mask_value`` (Keras ``Masking``).

    The output is Keras 3's: ``x`` where any feature on the last axis differs from
    ``mask_value``, 0 elsewhere. Keras also attaches the mask to the output so that later
    mask-aware layers (RNNs, attention) skip those timesteps; convlayers has no such layers
    and does not propagate masks, so only these values are produced.

    Args:
        mask_value: the value marking a timestep to mask.

    >>> import numpy as np
    >>> Masking()(np.array([[[0.0, 0.0], [1.0, 0.0]]], "float32"))
    array([[[0., 0.],
            [1., 0.]]], dtype=float32)
    >>> Masking(mask_value=1.0)(np.array([[[1.0, 1.0], [1.0, 2.0]]], "float32"))
    array([[[0., 0.],
            [1., 2.]]], dtype=float32)
    """

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float)):
            raise TypeError(f"{self.owner}: `mask_value` must be a number. Received: mask_value={mask_value!r}.")
        self.mask_value = mask_value

    def _check_input_shape(self, shape: Shape) -> None:
        if len(shape) < 1:
            raise ValueError(f"{self.owner}: expected an input of rank >= 1. Received input shape {shape}.")

    def call(self, x: torch.Tensor) -> torch.Tensor:
        x = self._autocast(x)
        keep = torch.any(x != self.mask_value, dim=-1, keepdim=True)
        return torch.where(keep, x, torch.zeros((), dtype=x.dtype, device=x.device))

    def _config(self) -> dict[str, Any]:
        return {"mask_value": self.mask_value}


class Permute(_PassesValues):
    """Permutes the non-batch axes (Keras ``Permute``): output axis ``i`` is input axis ``dims[i - 1]``.

    Args:
        dims: a permutation of ``1, ..., n`` (the batch axis, 0, stays first).

    >>> import numpy as np
    >>> Permute((2, 1))(np.zeros((4, 10, 64), "float32")).shape
    (4, 64, 10)
    """

    def __init__(self, dims: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        valid = isinstance(dims, (list, tuple)) and all(is_int(d) for d in dims)
        if not valid or sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                f"{self.owner}: invalid permutation argument `dims`: the set of indices must be consecutive and start "
                f"from 1. Received: dims={dims!r}."
            )
        self.dims = tuple(int(d) for d in dims)

    def _check_input_shape(self, shape: Shape) -> None:
        if len(shape) != len(self.dims) + 1:
            raise ValueError(
                f"{self.owner}: expected an input of rank {len(self.dims) + 1} (batch and the {len(self.dims)} axes "
                f"of dims={self.dims}). Received input shape {shape}."
            )

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return self._autocast(x).permute(0, *self.dims)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """``(batch,) + tuple(input_shape[d] for d in dims)``."""
        shape = tuple(input_shape)
        self._check_input_shape(shape)
        return (shape[0],) + tuple(shape[d] for d in self.dims)

    def _config(self) -> dict[str, Any]:
        return {"dims": self.dims}


class RepeatVector(_PassesValues):
    """Repeats a ``(batch, features)`` input ``n`` times: ``(batch, n, features)`` (Keras ``RepeatVector``).

    >>> import numpy as np
    >>> RepeatVector(3)(np.array([[1.0, 2.0]], "float32"))
    array([[[1., 2.],
            [1., 2.],
            [1., 2.]]], dtype=float32)
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not is_int(n):
            raise TypeError(f"{self.owner}: `n` must be an int. Received: n={n!r} of type {type(n).__name__}.")
        if n <= 0:
            raise ValueError(f"{self.owner}: argument `n` should be a positive integer. Received: n={n!r}.")
        self.n = int(n)

    def _check_input_shape(self, shape: Shape) -> None:
        if len(shape) != 2:
            raise ValueError(f"{self.owner}: expected an input of rank 2 (batch, features). Received input shape {shape}.")

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return self._autocast(x).unsqueeze(1).expand(-1, self.n, -1).contiguous()

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """``(batch, n, features)``."""
        shape = tuple(input_shape)
        self._check_input_shape(shape)
        return (shape[0], self.n, shape[1])

    def _config(self) -> dict[str, Any]:
        return {"n": self.n}
