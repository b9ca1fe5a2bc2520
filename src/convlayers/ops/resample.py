"""N-d resampling in the user's layout: upsampling by integer factors (nearest, linear, separable filters), resizing to any size."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .crop_pad import spatial_axes
from ..geometry import resize_nearest_sources
from .filters import resize_matrix
from .layout import channels_first, user_layout
from .memo import per_shape
from .precision import where_needed

_LINEAR_MODES = {1: "linear", 2: "bilinear", 3: "trilinear"}
_CHANNELS_LAST_MEMORY = {4: torch.channels_last, 5: torch.channels_last_3d}


def _interpolate(
    x: torch.Tensor,
    factors: tuple[float, ...] | None,
    mode: str,
    channels_last: bool,
    *,
    sizes: tuple[int, ...] | None = None,
    align_corners: bool = False,
    recompute_scale_factor: bool | None = None,
) -> torch.Tensor:
    """``F.interpolate`` by ``factors`` or to ``sizes``, on channels-last memory, whatever the user's layout."""
    x = channels_first(x, channels_last)
    if x.ndim in _CHANNELS_LAST_MEMORY:
        # torch's CPU upsampling kernels run 10-20x slower on NC(D)HW-contiguous memory than
        # on channels-last memory (measured with torch 2.13, 2-D and 3-D), copy included.
        x = x.contiguous(memory_format=_CHANNELS_LAST_MEMORY[x.ndim])
    corners = {"align_corners": align_corners} if mode in _LINEAR_MODES.values() else {}
    y = F.interpolate(x, size=sizes, scale_factor=factors, mode=mode, recompute_scale_factor=recompute_scale_factor, **corners)
    return user_layout(y, channels_last)


def _repeat(x: torch.Tensor, factors: tuple[int, ...], channels_last: bool) -> torch.Tensor:
    """Repeat every element ``factor`` times along each spatial axis (any dtype)."""
    if x.is_floating_point():
        # 'nearest-exact' picks floor((o + 0.5) / f): exact for every integer f, whereas
        # 'nearest' rounds o * float32(1 / f) and misses for factors such as 41 or 47.
        return _interpolate(x, factors, "nearest-exact", channels_last)
    # Integer tensors (kept as in Keras) have no interpolate kernel: give every axis a
    # size-1 neighbour, broadcast it to the axis's factor and fold it in, one copy in all.
    per_axis = dict(zip(spatial_axes(len(factors), channels_last), factors))
    view, expanded, out_shape = [], [], []
    for axis, size in enumerate(x.shape):
        factor = per_axis.get(axis, 1)
        view += [size, 1]
        expanded += [size, factor]
        out_shape.append(size * factor)
    return x.reshape(view).expand(expanded).reshape(out_shape)


def _apply_along(x: torch.Tensor, matrix: torch.Tensor, axis: int) -> torch.Tensor:
    """Contract ``x``'s ``axis`` with ``matrix`` ``(out, in)``, as one matmul on a free reshape."""
    before, size, after = math.prod(x.shape[:axis]), x.shape[axis], math.prod(x.shape[axis + 1 :])
    if after == 1:
        y = x.reshape(before, size) @ matrix.T
    else:
        y = torch.matmul(matrix, x.reshape(before, size, after))
    return y.reshape(x.shape[:axis] + (matrix.shape[0],) + x.shape[axis + 1 :])


def upsample(x: torch.Tensor, factors: tuple[int, ...], *, method: str, channels_last: bool) -> torch.Tensor:
    """Upsample the spatial dims of ``x`` by integer ``factors``, with half-pixel centres.

    ``method``: ``'nearest'`` (repeat; any dtype), ``'linear'`` (bi/trilinear),
    or a filter of :data:`~convlayers.ops.filters.FILTERS` (``'cubic'`` is TF's
    table-quantised Keys cubic, ``'lanczos3'``, ``'lanczos5'``, ``'gaussian'``,
    ``'mitchellcubic'``). Filtering methods need a floating ``x``; out-of-range
    taps are dropped and the rest renormalised (TF's and JAX's borders).

    >>> x = torch.tensor([[[0.0], [1.0]]])  # (batch, steps, channels)
    >>> upsample(x, (2,), method="nearest", channels_last=True).flatten().tolist()
    [0.0, 0.0, 1.0, 1.0]
    >>> upsample(x, (2,), method="linear", channels_last=True).flatten().tolist()
    [0.0, 0.25, 0.75, 1.0]
    """
    if method == "nearest":
        return _repeat(x, factors, channels_last)
    if method == "linear":
        # torch's kernel is the triangle filter with half-pixel centres and clamped edges,
        # identical to the renormalised one when upsampling, and much faster than a matmul.
        return _interpolate(x, factors, _LINEAR_MODES[len(factors)], channels_last)
    # Factor-1 axes are resampled too: 'gaussian' and 'mitchellcubic' are not interpolating
    # (their weight at distance 1 is not 0), so TF smooths along those axes as well.
    # A matmul: on CUDA in float32 it would use TF32 under torch's flags (CPU calls stay as they are).
    apply = where_needed(x.device.type, x.dtype, _apply_along) if x.is_cuda else _apply_along
    for axis, factor in zip(spatial_axes(len(factors), channels_last), factors):
        matrix = _resize_matrix_on(method, int(x.shape[axis]), factor, x.dtype, x.device)
        x = apply(x, matrix, axis)
    return x


@per_shape(maxsize=256)
def _resize_matrix_on(method: str, in_size: int, factor: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """:func:`~.filters.resize_matrix` in ``dtype`` on ``device``, kept: neither rebuilt nor copied to a device per call."""
    return resize_matrix(method, in_size, factor).to(dtype=dtype, device=device)


def resize(
    x: torch.Tensor,
    sizes: tuple[int, ...],
    *,
    method: str,
    align_corners: bool = False,
    asymmetric: bool = False,
    rounding: str = "round_half_up",
    scales: tuple[float, ...] | None = None,
    channels_last: bool,
) -> torch.Tensor:
    """Resize the spatial dims of ``x`` to ``sizes`` (any sizes, up or down, no antialiasing).

    ``method``: ``'nearest'`` (any dtype) or ``'linear'`` (bi/trilinear). Output
    ``o`` samples input ``(o + 1/2) / scale - 1/2`` (half-pixel centres, Keras's
    and TF's), or with ``align_corners`` ``o * (in - 1) / (out - 1)`` (the corner
    pixels' centres coincide: Wolfram's ``ResizeLayer``, PyTorch's
    ``align_corners=True``), or with ``asymmetric`` (nearest only) ``o / scale``.
    ``scale`` is ``out / in`` per dim unless ``scales`` gives it (ONNX's
    ``scales``, PyTorch's ``scale_factor`` with ``recompute_scale_factor=False``).
    Linear clamps the coordinate to the input; nearest rounds it by ``rounding``
    (``'round_half_up'``, ``'round_half_down'``, ``'floor'``, ``'ceil'``), exactly:
    see :func:`~convlayers.geometry.resize_nearest_sources`.

    >>> x = torch.tensor([[[0.0], [3.0]]])  # (batch, steps, channels)
    >>> resize(x, (4,), method="linear", channels_last=True).flatten().tolist()
    [0.0, 0.75, 2.25, 3.0]
    >>> resize(x, (4,), method="linear", align_corners=True, channels_last=True).flatten().tolist()
    [0.0, 1.0, 2.0, 3.0]
    >>> resize(x, (3,), method="nearest", channels_last=True).flatten().tolist()
    [0.0, 3.0, 3.0]
    >>> resize(x, (3,), method="nearest", asymmetric=True, rounding="floor", scales=(1.5,), channels_last=True).flatten().tolist()
    [0.0, 0.0, 3.0]
    """
    if align_corners and asymmetric:
        raise ValueError("resize: `align_corners` and `asymmetric` are two coordinate mappings; pass one. Received both True.")
    if scales is not None and len(scales) != len(sizes):
        raise ValueError(f"resize: `scales` needs one scale per size {tuple(sizes)}. Received scales={tuple(scales)}.")
    if method == "nearest":
        coordinates = "align_corners" if align_corners else "asymmetric" if asymmetric else "half_pixel"
        for i, (axis, size) in enumerate(zip(spatial_axes(len(sizes), channels_last), sizes)):
            scale = None if scales is None else scales[i]
            sources = resize_nearest_sources(x.shape[axis], size, coordinates=coordinates, rounding=rounding, scale=scale)
            x = x.index_select(axis, torch.tensor(sources, device=x.device))
        return x
    if asymmetric or rounding != "round_half_up":
        raise ValueError(
            f"resize: `asymmetric` and `rounding` apply to method='nearest' only. "
            f"Received method={method!r}, asymmetric={asymmetric}, rounding={rounding!r}."
        )
    if scales is None or align_corners:  # align_corners ignores the scale
        return _interpolate(x, None, _LINEAR_MODES[len(sizes)], channels_last, sizes=sizes, align_corners=align_corners)
    y = _interpolate(x, tuple(float(s) for s in scales), _LINEAR_MODES[len(sizes)], channels_last, recompute_scale_factor=False)
    got = tuple(y.shape[axis] for axis in spatial_axes(len(sizes), channels_last))
    if got != tuple(sizes):
        raise ValueError(f"resize: scales {tuple(scales)} give sizes {got} of input {tuple(x.shape)}, not the sizes {tuple(sizes)} asked for.")
    return y
