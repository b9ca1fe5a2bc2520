"""In-memory data for training: conversion, sample counts, Keras's validation split, batch indices.

``x``, ``y`` and ``sample_weight`` are arrays, tensors or nested lists of numbers, or, for
models with several inputs or outputs, lists/tuples/dicts of those (:mod:`.nest`).
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any, Iterator

import torch

from .. import arrays
from . import nest


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


def as_tensors(value: Any, argument: str, owner: str) -> Any:
    """Each array of a (possibly nested) ``value`` as a tensor; ``None`` stays ``None``.

    >>> import numpy as np
    >>> [tuple(t.shape) for t in as_tensors([np.zeros((2, 3)), np.zeros(2)], "x", "fit")]
    [(2, 3), (2,)]
    """
    if value is None:
        return None
    return nest.map_structure(lambda leaf: as_tensor(leaf, argument, owner), value)


def num_samples(data: dict[str, Any], owner: str) -> int:
    """The common number of samples of the named structures (``None`` entries skipped).

    Raises ``ValueError`` listing each argument's sample counts and shapes when they differ.

    >>> num_samples({"x": torch.zeros(4, 2), "y": [torch.zeros(4), torch.zeros(4, 1)]}, "fit")
    4
    """
    counts = {name: [len(leaf) for leaf in nest.flatten(value)] for name, value in data.items() if value is not None}
    distinct = {count for sizes in counts.values() for count in sizes}
    if len(distinct) > 1:
        names = [f"`{name}`" for name in counts]
        joined = " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " and " + names[-1]
        received = " and ".join(
            f"{name} with {sizes[0] if len(set(sizes)) == 1 else sizes} samples (shape {nest.shape_of(data[name])})"
            for name, sizes in counts.items()
        )
        raise ValueError(f"{owner}: {joined} must have the same number of samples. Received {received}.")
    return distinct.pop()


def take(value: Any, index: slice | torch.Tensor) -> Any:
    """The samples at ``index`` of every tensor of ``value`` (``None`` stays ``None``).

    >>> take({"a": torch.arange(4), "b": torch.arange(4) * 10}, slice(1, 3))
    {'a': tensor([1, 2]), 'b': tensor([10, 20])}
    """
    if value is None:
        return None
    return nest.map_structure(lambda leaf: leaf[index], value)


def split_validation(data: tuple[Any, ...], fraction: Any, owner: str) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The first ``floor(n * (1 - fraction))`` samples of each of ``data`` train; the rest validate.

    Before any shuffling, as Keras does; ``data`` is ``(x, y, sample_weight)``, ``None``s kept.

    >>> train, val = split_validation((torch.arange(10), torch.arange(10), None), 0.25, "fit")
    >>> train[0].tolist(), val[0].tolist(), val[2]
    ([0, 1, 2, 3, 4, 5, 6], [7, 8, 9], None)
    """
    if not isinstance(fraction, Real) or isinstance(fraction, bool) or not 0 < fraction < 1:
        raise ValueError(f"{owner}: `validation_split` must be a float in [0, 1). Received: validation_split={fraction!r}.")
    n = num_samples(dict(zip(("x", "y", "sample_weight"), data)), owner)
    split_at = math.floor(n * (1.0 - fraction))
    if split_at in (0, n):
        raise ValueError(
            f"{owner}: the data has {n} samples, too few to split into training and validation sets with "
            f"validation_split={fraction}. Provide more data or another validation_split."
        )
    return tuple(take(part, slice(0, split_at)) for part in data), tuple(take(part, slice(split_at, n)) for part in data)


def check_batch_size(batch_size: Any, owner: str, argument: str = "batch_size") -> int | None:
    """``None`` (the caller's default) or a positive int.

    >>> check_batch_size(8, "fit"), check_batch_size(None, "fit")
    (8, None)
    """
    if batch_size is None:
        return None
    if not isinstance(batch_size, Integral) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"{owner}: `{argument}` must be a positive int or None. Received: {argument}={batch_size!r}.")
    return int(batch_size)


def check_steps(steps: Any, owner: str, argument: str) -> int | None:
    """``None``, or a positive int number of steps.

    >>> check_steps(None, "fit", "steps_per_epoch"), check_steps(3, "fit", "steps_per_epoch")
    (None, 3)
    """
    if steps is None:
        return None
    if not isinstance(steps, Integral) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"{owner}: `{argument}` must be a positive int or None. Received: {argument}={steps!r}.")
    return int(steps)


def batches(n: int, batch_size: int, shuffle: bool) -> Iterator[torch.Tensor | slice]:
    """Indices of each batch: consecutive slices, or a fresh permutation (torch's global RNG).

    >>> list(batches(5, 2, shuffle=False))
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    order = torch.randperm(n) if shuffle else None
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        yield slice(start, stop) if order is None else order[start:stop]
