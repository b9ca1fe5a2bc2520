"""Block rearrangements in TF's order: space-to-depth and space-to-batch, N-d, either layout.

Both cut every spatial dim ``n`` into ``n / b`` blocks of ``b`` and move the
within-block offsets ``(i, j, ...)`` (row-major) out of space: into the
channels (``(i * b1 + j) * C + c``, TF's ``space_to_depth``, not
``pixel_unshuffle``'s ``c * b0 * b1 + i * b1 + j``) or into the batch
(``(i * b1 + j) * N + n``, TF's ``space_to_batch_nd``). One reshape, one
permute, one copy; the sizes must divide (callers check).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..geometry import Pads
from .layout import channels_first, torch_pad_order, user_layout


def _split_blocks(
    x: torch.Tensor, block_shape: tuple[int, ...], channels_last: bool
) -> tuple[torch.Tensor, tuple[int, ...], tuple[int, ...], int, tuple[int, ...]]:
    """View ``x`` with each spatial dim ``n`` split into ``(n / b, b)``.

    Returns the view, the axes of the block indices, the axes of the offsets
    within blocks, the channel axis, and the blocked spatial sizes.
    """
    rank = len(block_shape)
    first = 1 if channels_last else 2
    spatial = x.shape[first : first + rank]
    sizes = tuple(n // b for n, b in zip(spatial, block_shape))
    split = (*x.shape[:first], *(v for pair in zip(sizes, block_shape) for v in pair), *x.shape[first + rank :])
    outer = tuple(first + 2 * i for i in range(rank))
    offsets = tuple(first + 2 * i + 1 for i in range(rank))
    channel_axis = len(split) - 1 if channels_last else 1
    return x.reshape(split), outer, offsets, channel_axis, sizes


def space_to_depth(x: torch.Tensor, *, block_shape: tuple[int, ...], channels_last: bool) -> torch.Tensor:
    """Move each ``block_shape`` block of space into the channels, TF's channel order.

    ``(N, *spatial, C) -> (N, *spatial / b, prod(b) * C)`` (or channels first);
    output channel ``(i * b1 + j) * C + c`` holds ``x[c, h * b0 + i, w * b1 + j]``.

    >>> x = torch.arange(1.0, 9.0).reshape(1, 2, 2, 2)  # NCHW, DL4J's SpaceToDepthTest
    >>> space_to_depth(x, block_shape=(2, 2), channels_last=False).flatten().tolist()
    [1.0, 5.0, 2.0, 6.0, 3.0, 7.0, 4.0, 8.0]
    """
    blocks, outer, offsets, channel_axis, sizes = _split_blocks(x, block_shape, channels_last)
    depth = math.prod(block_shape) * blocks.shape[channel_axis]
    if channels_last:
        return blocks.permute(0, *outer, *offsets, channel_axis).reshape(x.shape[0], *sizes, depth)
    return blocks.permute(0, *offsets, channel_axis, *outer).reshape(x.shape[0], depth, *sizes)


def space_to_batch(x: torch.Tensor, *, block_shape: tuple[int, ...], pads: Pads, channels_last: bool) -> torch.Tensor:
    """Zero-pad space, then move each block's offsets into the batch, TF's batch order.

    ``(N, *spatial, C) -> (prod(b) * N, *(spatial + pads) / b, C)`` (or channels
    first); output example ``(i * b1 + j) * N + n`` holds
    ``padded[n, h * b0 + i, w * b1 + j]``.

    >>> x = torch.arange(1.0, 5.0).reshape(1, 2, 2, 1)  # NHWC
    >>> space_to_batch(x, block_shape=(2, 2), pads=((0, 0), (0, 0)), channels_last=True).flatten().tolist()
    [1.0, 2.0, 3.0, 4.0]
    """
    if any(v for pair in pads for v in pair):
        x = user_layout(F.pad(channels_first(x, channels_last), torch_pad_order(pads)), channels_last)
    blocks, outer, offsets, channel_axis, sizes = _split_blocks(x, block_shape, channels_last)
    batch = math.prod(block_shape) * x.shape[0]
    channels = blocks.shape[channel_axis]
    if channels_last:
        return blocks.permute(*offsets, 0, *outer, channel_axis).reshape(batch, *sizes, channels)
    return blocks.permute(*offsets, 0, channel_axis, *outer).reshape(batch, channels, *sizes)
