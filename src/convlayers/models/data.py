"""Arrays for training: conversion, Keras's validation split, and batch indices."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any, Iterator

import torch

from .. import arrays


def as_tensor(value: Any, argument: str, owner: str) -> torch.Tensor:
    """``value`` (an array, a tensor, nested lists) as a tensor with a batch dim.

    >>> as_tensor([[1, 2], [3, 4]], "x", "fit").shape
    torch.Size([2, 2])
    """
    if value is None:
        raise ValueError(f"{owner}: `{argument}` is required.")
    tensor = value.detach() if isinstance(value, torch.Tensor) else arrays.to_tensor(value, owner, argument)
    arrays.check_real(tensor, owner, argument)
    if tensor.ndim == 0:
        raise ValueError(f"{owner}: `{argument}` needs a batch dim. Received a scalar {argument}={value!r}.")
    return tensor


def xy(x: Any, y: Any, owner: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``x`` and ``y`` as tensors with the same number of samples."""
    x_t, y_t = as_tensor(x, "x", owner), as_tensor(y, "y", owner)
    if len(x_t) != len(y_t):
        raise ValueError(
            f"{owner}: `x` and `y` must have the same number of samples. "
            f"Received x with {len(x_t)} samples (shape {tuple(x_t.shape)}) and y with {len(y_t)} (shape {tuple(y_t.shape)})."
        )
    return x_t, y_t


def validation_pair(validation_data: Any, owner: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Keras's ``validation_data=(x_val, y_val)``."""
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
        raise ValueError(
            f"{owner}: `validation_data` must be a tuple (x_val, y_val) (sample weights are not supported). "
            f"Received: {type(validation_data).__name__}"
            + (f" of length {len(validation_data)}." if isinstance(validation_data, (tuple, list)) else ".")
        )
    return xy(validation_data[0], validation_data[1], owner)


def split_validation(
    x: torch.Tensor, y: torch.Tensor, fraction: float, owner: str
) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """The first ``floor(n * (1 - fraction))`` samples train; the rest validate (before shuffling, as Keras).

    >>> (xt, _), (xv, _) = split_validation(torch.arange(10), torch.arange(10), 0.25, "fit")
    >>> xt.tolist(), xv.tolist()
    ([0, 1, 2, 3, 4, 5, 6], [7, 8, 9])
    """
    if not isinstance(fraction, Real) or isinstance(fraction, bool) or not 0 < fraction < 1:
        raise ValueError(f"{owner}: `validation_split` must be a float in [0, 1). Received: validation_split={fraction!r}.")
    split_at = math.floor(len(x) * (1.0 - fraction))
    if split_at in (0, len(x)):
        raise ValueError(
            f"{owner}: the data has {len(x)} samples, too few to split into training and validation sets with "
            f"validation_split={fraction}. Provide more data or another validation_split."
        )
    return (x[:split_at], y[:split_at]), (x[split_at:], y[split_at:])


def check_batch_size(batch_size: Any, owner: str) -> int:
    """Keras's default of 32 for ``None``; otherwise a positive int.

    >>> check_batch_size(None, "fit")
    32
    """
    if batch_size is None:
        return 32
    if not isinstance(batch_size, Integral) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"{owner}: `batch_size` must be a positive int or None. Received: batch_size={batch_size!r}.")
    return int(batch_size)


def batches(n: int, batch_size: int, shuffle: bool) -> Iterator[torch.Tensor | slice]:
    """Indices of each batch: consecutive slices, or a fresh permutation (torch's global RNG).

    >>> list(batches(5, 2, shuffle=False))
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    order = torch.randperm(n) if shuffle else None
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        yield slice(start, stop) if order is None else order[start:stop]
