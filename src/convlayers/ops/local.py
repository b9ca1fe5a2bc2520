"""Locally connected (unshared-weight) convolution: every output position has its own kernel."""

from __future__ import annotations

import math

import torch

from ..geometry import Pads
from .crop_pad import pad


def locally_connected(
    x: torch.Tensor,
    kernel: torch.Tensor,
    bias: torch.Tensor | None,
    *,
    kernel_size: tuple[int, ...],
    strides: tuple[int, ...],
    pads: Pads,
    channels_last: bool,
) -> torch.Tensor:
    """``y[n, p, f] = sum_i patch(x[n], p)[i] * kernel[p, i, f] + bias``, in the user's layout.

    The patches are the windows of the zero-padded input (``pads``: ``(begin, end)`` per
    spatial dim), taken with ``Tensor.unfold`` and flattened in the input's own C order,
    as Keras's ``local_conv`` reshapes its slices: ``(k..., channels)`` channels last,
    ``(channels, k...)`` channels first. Output positions ``p`` run in row-major order.

    Args:
        x: ``(batch, *spatial, channels)`` (``channels_last``) or ``(batch, channels, *spatial)``.
        kernel: ``(positions, prod(kernel_size) * channels, filters)``.
        bias: ``None``, ``(filters,)`` (shared by all positions) or ``(*out_spatial, filters)``.

    Returns ``(batch, *out_spatial, filters)`` (``channels_last``) or ``(batch, filters, *out_spatial)``.

    >>> x = torch.arange(5.0).reshape(1, 5, 1)
    >>> kernel = torch.tensor([[[1.0], [0.0]], [[0.0], [1.0]], [[1.0], [1.0]], [[2.0], [0.0]]])
    >>> locally_connected(x, kernel, None, kernel_size=(2,), strides=(1,), pads=((0, 0),), channels_last=True).flatten().tolist()
    [0.0, 2.0, 5.0, 6.0]
    """
    rank = len(kernel_size)
    if any(begin or end for begin, end in pads):
        x = pad(x, pads, mode="constant", channels_last=channels_last)
    first = 1 if channels_last else 2
    for axis, (size, step) in enumerate(zip(kernel_size, strides)):
        x = x.unfold(first + axis, size, step)  # the window's taps go to a new last axis
    # channels last: (n, *out, c, *k) -> (n, *out, *k, c); channels first: (n, c, *out, *k) -> (n, *out, c, *k)
    if channels_last:
        x = x.permute(0, *range(1, rank + 1), *range(rank + 2, 2 * rank + 2), rank + 1)
    else:
        x = x.permute(0, *range(2, rank + 2), 1, *range(rank + 2, 2 * rank + 2))
    out_sizes = tuple(x.shape[1 : rank + 1])
    patches = x.reshape(x.shape[0], math.prod(out_sizes), -1)
    y = torch.einsum("npi,pif->npf", patches, kernel).reshape(x.shape[:1] + out_sizes + kernel.shape[-1:])
    if bias is not None:
        y = y + bias
    return y if channels_last else y.movedim(-1, 1)
