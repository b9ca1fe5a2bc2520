"""N-d convolution in the user's layout with explicit per-side padding."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..geometry import Pads
from .layout import channels_first, torch_pad_order, user_layout
from .lowering import plan

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
    per spatial dim. How torch computes it is :func:`~.lowering.plan`'s choice.

    >>> y = conv(torch.ones(1, 5, 5, 2), torch.ones(4, 2, 3, 3), None, pads=((1, 1), (1, 1)),
    ...          strides=(1, 1), dilation_rate=(1, 1), groups=1, channels_last=True)
    >>> tuple(y.shape), y[0, 2, 2, 0].item(), y[0, 0, 0, 0].item()
    ((1, 5, 5, 4), 18.0, 8.0)
    """
    rank = len(strides)
    spatial = tuple(x.shape[1:-1] if channels_last else x.shape[2:])
    p = plan(spatial, tuple(weight.shape[2:]), pads, strides, dilation_rate, groups, channels_last)
    x = channels_first(x, channels_last)
    if p.rank > rank:
        # (N, C, L) as (N, C, 1, L): a view, in channels_last memory when the user's layout is.
        x, weight = x.unsqueeze(2), weight.unsqueeze(2)
        strides, dilation_rate = (1,) + strides, (1,) + dilation_rate
    if p.input_pads is not None:
        x = F.pad(x, torch_pad_order(p.input_pads))
    y = _CONV[p.rank](x, weight, bias, stride=strides, padding=p.padding, dilation=dilation_rate, groups=groups)
    if p.window is not None:
        y = y[(slice(None), slice(None)) + tuple(slice(start, start + size) for start, size in p.window)]
    if p.rank > rank:
        y = y.squeeze(2)
    return user_layout(y, channels_last)
