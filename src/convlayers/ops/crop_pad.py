"""Cropping and zero padding of the spatial dims, in the user's layout, any dtype."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..geometry import Pads
from .layout import torch_pad_order


def spatial_axes(rank: int, channels_last: bool) -> range:
    """The axes of the ``rank`` spatial dims of a batched tensor in the user's layout."""
    start = 1 if channels_last else 2
    return range(start, start + rank)


def crop(x: torch.Tensor, cropping: Pads, *, channels_last: bool) -> torch.Tensor:
    """Drop ``begin`` leading and ``end`` trailing entries of each spatial dim (a view).

    Every pair must leave at least one entry (the layer checks, with its name).

    >>> crop(torch.arange(6).reshape(1, 6, 1), ((1, 2),), channels_last=True).flatten().tolist()
    [1, 2, 3]
    """
    index = [slice(None)] * x.ndim
    for axis, (begin, end) in zip(spatial_axes(len(cropping), channels_last), cropping):
        index[axis] = slice(begin, x.shape[axis] - end)
    return x[tuple(index)]


def zero_pad(x: torch.Tensor, padding: Pads, *, channels_last: bool) -> torch.Tensor:
    """Add ``begin`` zeros before and ``end`` zeros after each spatial dim; the dtype is kept.

    >>> zero_pad(torch.ones(1, 2, 1, dtype=torch.int64), ((1, 2),), channels_last=True).flatten().tolist()
    [0, 1, 1, 0, 0]
    """
    # F.pad counts dims from the last one: channels_last needs a (0, 0) pair for the channels.
    pairs = tuple(padding) + (((0, 0),) if channels_last else ())
    return F.pad(x, torch_pad_order(pairs))
