"""Keras's image affine transform: each output pixel samples the input at an affinely mapped point.

The transform is Keras's 8-vector per image ``[a0, a1, a2, b0, b1, b2, c0, c1]``, which maps
output pixel ``(row y, column x)`` to input point ``(b0*x + b1*y + b2, a0*x + a1*y + a2)``
(``c0 = c1 = 0``: no projective part). The point is read with SciPy/JAX ``map_coordinates``
semantics (Keras's JAX backend calls ``jax.scipy.ndimage.map_coordinates``):

- interpolation ``'nearest'`` rounds the point half away from zero; ``'bilinear'`` blends the
  four surrounding pixels by the point's fractional part.
- each *pixel index* read (not the point) outside the image is folded back by ``fill_mode``:
  ``'reflect'`` (``d c b a | a b c d | d c b a``, the edge repeated), ``'wrap'``
  (``a b c d | a b c d``), ``'nearest'`` (``a a a a | a b c d | d d d d``) or ``'constant'``
  (an outside pixel reads ``fill_value``; a bilinear point near the edge blends it in).
"""

from __future__ import annotations

import torch

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def _fold(index: torch.Tensor, size: int, fill_mode: str) -> torch.Tensor:
    """Fold integer pixel indices into ``[0, size)`` as ``fill_mode`` extends the image."""
    if fill_mode == "wrap":
        return torch.remainder(index, size)
    if fill_mode == "reflect":
        # Period 2 * size: the image, then its mirror image (edge pixels repeated).
        folded = torch.remainder(index, 2 * size)
        return torch.where(folded < size, folded, 2 * size - 1 - folded)
    return index.clamp(0, size - 1)  # 'nearest', and 'constant' (whose outside reads are masked)


def _round_half_away(t: torch.Tensor) -> torch.Tensor:
    return torch.sign(t) * torch.floor(t.abs() + 0.5)


def affine_transform(
    x: torch.Tensor,
    transforms: torch.Tensor,
    *,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
    fill_value: float = 0.0,
    channels_last: bool = True,
) -> torch.Tensor:
    """Apply one Keras affine transform per image of the batch ``x`` (``(batch, rows, cols, channels)`` or channels first).

    ``transforms``: ``(batch, 8)`` (or ``(8,)`` for all), Keras's layout (see the module doc).
    The sample points are computed in float32, as Keras computes them.

    >>> x = torch.arange(4.0).reshape(1, 1, 4, 1)  # one row: 0 1 2 3
    >>> shift = torch.tensor([1.0, 0, -1.5, 0, 1, 0, 0, 0])  # output x reads input x - 1.5
    >>> affine_transform(x, shift, fill_mode="constant").flatten().tolist()
    [0.0, 0.0, 0.5, 1.5]
    >>> affine_transform(x, shift, fill_mode="wrap", interpolation="nearest").flatten().tolist()
    [2.0, 3.0, 1.0, 2.0]
    """
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"affine_transform: `interpolation` must be one of {INTERPOLATIONS}. Received: {interpolation!r}.")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"affine_transform: `fill_mode` must be one of {FILL_MODES}. Received: {fill_mode!r}.")
    images = x if channels_last else x.movedim(1, -1)
    batch, rows, cols, channels = images.shape
    t = transforms.to(device=x.device, dtype=torch.float32).reshape(-1, 8).expand(batch, 8)
    ys = torch.arange(rows, device=x.device, dtype=torch.float32).view(1, rows, 1)
    xs = torch.arange(cols, device=x.device, dtype=torch.float32).view(1, 1, cols)
    coef = [t[:, i].view(batch, 1, 1) for i in range(6)]
    src_x = coef[0] * xs + coef[1] * ys + coef[2]
    src_y = coef[3] * xs + coef[4] * ys + coef[5]
    if interpolation == "nearest":
        taps = [(_round_half_away(src_y), _round_half_away(src_x), None)]
    else:
        y0, x0 = torch.floor(src_y), torch.floor(src_x)
        wy, wx = src_y - y0, src_x - x0
        taps = [
            (y0, x0, (1 - wy) * (1 - wx)), (y0, x0 + 1, (1 - wy) * wx),
            (y0 + 1, x0, wy * (1 - wx)), (y0 + 1, x0 + 1, wy * wx),
        ]
    flat = images.reshape(batch, rows * cols, channels)
    fill = torch.as_tensor(fill_value, dtype=x.dtype, device=x.device)
    out = None
    for ty, tx, weight in taps:
        iy, ix = ty.long(), tx.long()
        index = _fold(iy, rows, fill_mode) * cols + _fold(ix, cols, fill_mode)
        value = torch.gather(flat, 1, index.reshape(batch, -1, 1).expand(-1, -1, channels)).reshape(batch, rows, cols, channels)
        if fill_mode == "constant":
            inside = ((iy >= 0) & (iy < rows) & (ix >= 0) & (ix < cols)).unsqueeze(-1)
            value = torch.where(inside, value, fill)
        term = value if weight is None else value * weight.unsqueeze(-1).to(x.dtype)
        out = term if out is None else out + term
    return out if channels_last else out.movedim(-1, 1)
