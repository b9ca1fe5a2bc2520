"""N-d convolution in the user's layout with explicit per-side padding."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..geometry import Pads
from .layout import channels_first, torch_pad_order, user_layout

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def conv(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    *,
    pads: Pads,
    strides: tuple[int, ...],
    dilation_rate: tuple[int, ...],
    groups: int,
    channels_last: bool,
) -> torch.Tensor:
    """Cross-correlate ``x`` with ``weight`` (PyTorch layout ``(F, C/groups, *k)``).

    ``x`` is ``(N, *spatial, C)`` when ``channels_last`` else ``(N, C, *spatial)``;
    the output is in the same layout. ``pads`` holds one ``(begin, end)`` pair
    per spatial dim.

    >>> y = conv(torch.ones(1, 5, 5, 2), torch.ones(4, 2, 3, 3), None, pads=((1, 1), (1, 1)),
    ...          strides=(1, 1), dilation_rate=(1, 1), groups=1, channels_last=True)
    >>> tuple(y.shape), y[0, 2, 2, 0].item(), y[0, 0, 0, 0].item()
    ((1, 5, 5, 4), 18.0, 8.0)
    """
    rank = len(strides)
    x = channels_first(x, channels_last)
    symmetric = tuple(min(p) for p in pads)
    extra = tuple((b - m, e - m) for (b, e), m in zip(pads, symmetric))
    if any(v for pair in extra for v in pair):
        x = F.pad(x, torch_pad_order(extra))
    y = _CONV[rank](x, weight, bias, stride=strides, padding=symmetric, dilation=dilation_rate, groups=groups)
    return user_layout(y, channels_last)
