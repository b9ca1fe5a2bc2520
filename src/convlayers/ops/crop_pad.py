"""Cropping and padding (zeros, a constant, edge or reflection) of the spatial dims, in the user's layout, any dtype."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..geometry import Pads, pad_sources
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


def pad(x: torch.Tensor, padding: Pads, *, mode: str, value: float = 0.0, channels_last: bool) -> torch.Tensor:
    """Pad each spatial dim by ``(begin, end)``: with ``value`` (``'constant'``), or ``'edge'`` / ``'reflect'`` copies.

    The modes are ``np.pad``'s (``'reflect'`` does not repeat the edge element,
    and pads longer than the dim keep reflecting); the dtype is kept, and a
    ``value`` is cast to it.

    >>> x = torch.tensor([[[1], [2], [3]]])  # (batch, steps, channels)
    >>> pad(x, ((2, 1),), mode="reflect", channels_last=True).flatten().tolist()
    [3, 2, 1, 2, 3, 2]
    >>> pad(x, ((2, 1),), mode="edge", channels_last=True).flatten().tolist()
    [1, 1, 1, 2, 3, 3]
    """
    if mode == "constant":
        pairs = tuple(padding) + (((0, 0),) if channels_last else ())
        return F.pad(x, torch_pad_order(pairs), value=value)
    # A gather per padded axis, from pure-integer indices: any dtype, any rank, and pads
    # longer than the dim (torch's 'reflect' refuses those, and integer tensors).
    for axis, (begin, end) in zip(spatial_axes(len(padding), channels_last), padding):
        if begin or end:
            index = torch.tensor(pad_sources(x.shape[axis], begin, end, mode), device=x.device)
            x = x.index_select(axis, index)
    return x
