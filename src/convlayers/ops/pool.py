"""N-d max, average, sum and p-norm pooling (windowed and global) in the user's layout.

Padding arrives as explicit per-side pairs, any placement. Padding never wins
a max, never counts in an average's divisor (TF's semantics) and adds nothing
to a sum or a p-norm (DL4J's PNORM). Dilated windows (taps ``dilation_rate``
apart) are pad-then-pool: torch's max pooling dilates, and window sums of a
dilated window are a per-channel convolution with ones. Torch's own
pooling does exactly that for the windows it visits: it pads symmetrically by
at most half the window, clips windows that run past the end (``ceil_mode``)
and, with ``count_include_pad=False``, divides by the real elements. So
whenever some symmetric padding, ``ceil_mode`` and a slice of torch's output
give exactly our windows (TF's ``'same'`` always), torch runs alone; otherwise
the input is padded here (``-inf`` for max; zeros for sums that are then
divided by the exact per-window count of real elements).
"""

from __future__ import annotations

import functools
from typing import Callable, Sequence

import torch
import torch.nn.functional as F

from ..geometry import Pads, conv_output_size, window_counts
from .layout import channels_first, static_sizes, torch_pad_order, user_layout
from .memo import per_shape

# torch's own kernels: F.max_pool* only adds a Python dispatch on `return_indices` (0.4 us a call)
_MAX = {1: torch.max_pool1d, 2: torch.max_pool2d, 3: torch.max_pool3d}
_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}

# (symmetric padding, ceil_mode, first output kept) for torch's own pooling
NativePlan = tuple[tuple[int, ...], bool, tuple[int, ...]]


def _torch_output_size(size: int, pool: int, stride: int, pad: int, ceil_mode: bool) -> int:
    """Torch's pooling output length, up to the window it drops when ``ceil_mode`` starts one past the input.

    That dropped window never matters here: every window of ours starts
    inside the input, before it.
    """
    return (size + 2 * pad - pool + (stride - 1 if ceil_mode else 0)) // stride + 1


def _output_sizes(sizes: Sequence[int], pool_size: tuple[int, ...], strides: tuple[int, ...], pads: Pads,
                  dilation_rate: tuple[int, ...] | None = None) -> list[int]:
    dilation_rate = dilation_rate or (1,) * len(pool_size)
    return [conv_output_size(n, k, s, d, p) for n, k, s, d, p in zip(sizes, pool_size, strides, dilation_rate, pads)]


@per_shape(maxsize=1024)
def native_plan(sizes: Sequence[int], pool_size: tuple[int, ...], strides: tuple[int, ...], pads: Pads) -> NativePlan | None:
    """How torch's own pooling computes exactly our windows, or ``None`` when it cannot.

    Torch's window ``o'`` starts at ``o' * s - p`` (``p <= k // 2``); ours
    ``o`` at ``o * s - begin``. So ``p = begin + off * s`` and ``o' = o + off``:
    torch's outputs ``[off, off + out)`` are ours if it computes that many.

    >>> native_plan((56,), (3,), (2,), ((0, 1),))  # TF 'same': extra pixel at the end
    ((0,), True, (0,))
    >>> native_plan((8,), (2,), (1,), ((0, 1),))  # even window, stride 1
    ((1,), False, (1,))
    >>> native_plan((8,), (3,), (1,), ((2, 0),)) is None  # causal: more than torch pads
    True
    >>> native_plan((1,), (2,), (2,), ((0, 1),)) is None  # TF 'same' on an input shorter than the window
    True
    """
    outs = _output_sizes(sizes, pool_size, strides, pads)
    for ceil_mode in (False, True):
        plan = []
        for n, k, s, (begin, _), out in zip(sizes, pool_size, strides, pads, outs):
            fits = [
                (begin + off * s, off)
                for off in range(k // 2 + 1)
                if begin + off * s <= k // 2
                # torch's 3-D average pooling refuses an input shorter than its window, padded or not; the
                # others take it, but such inputs are tiny, so every kind pads a copy there
                and n >= k
                and off + out <= _torch_output_size(n, k, s, begin + off * s, ceil_mode)
            ]
            if not fits:
                break
            plan.append(fits[0])
        else:
            return tuple(p for p, _ in plan), ceil_mode, tuple(off for _, off in plan)
    return None


def max_pool(
    x: torch.Tensor,
    *,
    pool_size: tuple[int, ...],
    strides: tuple[int, ...],
    pads: Pads,
    channels_last: bool,
) -> torch.Tensor:
    """Max over each window; padding is never picked (as if it held ``-inf``).

    Every window must hold at least one input element (padding below ``pool_size``).

    >>> x = torch.tensor([[[1.0], [-2.0], [-3.0]]])  # (batch, steps, channels)
    >>> max_pool(x, pool_size=(2,), strides=(2,), pads=((0, 1),), channels_last=True).flatten().tolist()
    [1.0, -3.0]
    """
    spatial = static_sizes(x.shape[1:-1] if channels_last else x.shape[2:])
    return pool_call("max", spatial, pool_size, strides, pads, channels_last, x.dtype, x.device)(x)


def average_pool(
    x: torch.Tensor,
    *,
    pool_size: tuple[int, ...],
    strides: tuple[int, ...],
    pads: Pads,
    channels_last: bool,
) -> torch.Tensor:
    """Mean over each window's real elements: padding is excluded from the divisor, as in TF.

    Every window must hold at least one input element (padding below ``pool_size``).

    >>> x = torch.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]])  # (batch, channels, steps)
    >>> average_pool(x, pool_size=(3,), strides=(2,), pads=((0, 1),), channels_last=False).flatten().tolist()
    [2.0, 4.0, 5.5]
    """
    spatial = static_sizes(x.shape[1:-1] if channels_last else x.shape[2:])
    return pool_call("average", spatial, pool_size, strides, pads, channels_last, x.dtype, x.device)(x)


@per_shape(maxsize=1024)
def pool_call(
    kind: str,
    sizes: tuple[int, ...],
    pool_size: tuple[int, ...],
    strides: tuple[int, ...],
    pads: Pads,
    channels_last: bool,
    dtype: torch.dtype,
    device: torch.device,
    dilation_rate: tuple[int, ...] | None = None,
    p: float | None = None,
) -> Callable[[torch.Tensor], torch.Tensor]:
    """:func:`max_pool` (``kind`` ``'max'``), :func:`average_pool` (``'average'``), window sums (``'sum'``,
    padding adding nothing) or p-norms (``'pnorm'``: ``(sum |x|^p)^(1/p)`` over each window's real elements)
    for inputs of spatial ``sizes``, in ``dtype`` on ``device``, with taps ``dilation_rate`` apart
    (``None``: adjacent), resolved once: the returned function only runs the torch ops.

    >>> run = pool_call("max", (3,), (2,), (2,), ((0, 1),), True, torch.float32, torch.device("cpu"))
    >>> run(torch.tensor([[[1.0], [-2.0], [-3.0]]])).flatten().tolist()
    [1.0, -3.0]
    >>> run = pool_call("pnorm", (3,), (2,), (1,), ((0, 1),), False, torch.float32, torch.device("cpu"), None, 2)
    >>> run(torch.tensor([[[3.0, -4.0, 12.0]]])).flatten().tolist()
    [5.0, 12.649110794067383, 12.0]
    """
    rank = len(pool_size)
    dilation_rate = dilation_rate or (1,) * rank
    dilated = any(d != 1 for d in dilation_rate)
    # Sums and p-norms pad with zeros and take every window whole: no plan needed. Torch's average pooling
    # has no dilation.
    plan = None if kind in ("sum", "pnorm") or dilated else native_plan(sizes, pool_size, strides, pads)
    outs = _output_sizes(sizes, pool_size, strides, pads, dilation_rate)
    if plan is not None:
        padding, ceil_mode, offsets = plan
        keep = None if all(off == 0 and _torch_output_size(n, k, s, p, ceil_mode) == out
                           for off, n, k, s, p, out in zip(offsets, sizes, pool_size, strides, padding, outs)) else (
            (slice(None), slice(None)) + tuple(slice(off, off + out) for off, out in zip(offsets, outs))
        )
        if kind == "max":
            pool = functools.partial(_MAX[rank], kernel_size=pool_size, stride=strides, padding=padding, ceil_mode=ceil_mode)
        else:
            pool = functools.partial(_AVG[rank], kernel_size=pool_size, stride=strides, padding=padding,
                                     ceil_mode=ceil_mode, count_include_pad=False)
    else:
        keep, torch_pads = None, torch_pad_order(pads)
        window_sum = functools.partial(_sum_pool, pool_size=pool_size, strides=strides, dilation_rate=dilation_rate)
        if kind == "max":
            pool = lambda x: _MAX[rank](F.pad(x, torch_pads, value=float("-inf")), pool_size, strides, 0, dilation_rate)  # noqa: E731
        elif kind == "sum":
            pool = lambda x: window_sum(F.pad(x, torch_pads))  # noqa: E731
        elif kind == "pnorm":
            pool = lambda x: _root(window_sum(F.pad(x.abs() ** p, torch_pads)), p)  # noqa: E731
        else:
            counts = _real_counts(sizes, pool_size, strides, pads, dtype, device, dilation_rate)
            pool = lambda x: window_sum(F.pad(x, torch_pads)) / counts  # noqa: E731

    def run(x: torch.Tensor) -> torch.Tensor:
        y = pool(channels_first(x, channels_last))
        return user_layout(y if keep is None else y[keep], channels_last)

    return run


def _root(total: torch.Tensor, p: float) -> torch.Tensor:
    """``total ** (1 / p)``, 0 (with gradient 0) where a window's elements are all 0.

    The root's slope is infinite at 0 and times the zero slope of ``|x|^p`` gives NaN;
    the norm is not differentiable there, and 0 is the subgradient closest to its neighbours'.
    """
    zero = total == 0
    return torch.where(zero, 0.0, torch.where(zero, 1.0, total) ** (1 / p))


def _sum_pool(x: torch.Tensor, pool_size: tuple[int, ...], strides: tuple[int, ...],
              dilation_rate: tuple[int, ...]) -> torch.Tensor:
    """Window sums; 1-d runs as 2-d because ``avg_pool1d`` has no ``divisor_override``; dilated windows as a
    per-channel convolution with ones (torch's average pooling does not dilate)."""
    if any(d != 1 for d in dilation_rate):
        ones = torch.ones((x.shape[1], 1) + pool_size, dtype=x.dtype, device=x.device)
        return _CONV[len(pool_size)](x, ones, None, strides, 0, dilation_rate, x.shape[1])
    if len(pool_size) == 1:
        return F.avg_pool2d(x.unsqueeze(-1), pool_size + (1,), strides + (1,), divisor_override=1).squeeze(-1)
    return _AVG[len(pool_size)](x, pool_size, strides, divisor_override=1)


@per_shape(maxsize=256)
def _real_counts(
    sizes: tuple[int, ...],
    pool_size: tuple[int, ...],
    strides: tuple[int, ...],
    pads: Pads,
    dtype: torch.dtype,
    device: torch.device,
    dilation_rate: tuple[int, ...],
) -> torch.Tensor:
    """The number of real elements in each window, shaped ``out_spatial``: a product of per-dim counts.

    Kept per device and dtype: built on the host, it would cross to a GPU on every call.
    """
    counts = torch.ones((), dtype=dtype, device=device)
    for axis, (n, k, s, p, d) in enumerate(zip(sizes, pool_size, strides, pads, dilation_rate)):
        shape = [1] * len(pool_size)
        shape[axis] = -1
        per_dim = torch.tensor(window_counts(n, k, s, p, d), dtype=dtype, device=device)
        counts = counts * per_dim.reshape(shape)
    return counts


def _spatial_axes(ndim: int, rank: int, channels_last: bool) -> tuple[int, ...]:
    first = ndim - rank - (1 if channels_last else 0)
    return tuple(range(first, first + rank))


def global_max_pool(x: torch.Tensor, *, rank: int, keepdims: bool, channels_last: bool) -> torch.Tensor:
    """Max over the ``rank`` spatial axes (gradient shared equally among ties, as TF's ``reduce_max``).

    >>> global_max_pool(torch.arange(12.0).reshape(1, 2, 3, 2), rank=2, keepdims=False, channels_last=True).tolist()
    [[10.0, 11.0]]
    """
    return x.amax(dim=_spatial_axes(x.ndim, rank, channels_last), keepdim=keepdims)


def global_average_pool(x: torch.Tensor, *, rank: int, keepdims: bool, channels_last: bool) -> torch.Tensor:
    """Mean over the ``rank`` spatial axes.

    >>> global_average_pool(torch.arange(12.0).reshape(1, 2, 3, 2), rank=2, keepdims=True, channels_last=False).shape
    torch.Size([1, 2, 1, 1])
    """
    return x.mean(dim=_spatial_axes(x.ndim, rank, channels_last), keepdim=keepdims)
