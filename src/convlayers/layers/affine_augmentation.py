"""Keras's geometric data augmentation: ``RandomRotation``, ``RandomZoom``, ``RandomTranslation``.

Each draws one affine map per image in training mode and resamples the image through
:func:`convlayers.ops.affine.affine_transform` (Keras's ``affine_transform``: its fill modes
and interpolations); in inference mode each is the identity.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ..ops.affine import FILL_MODES, INTERPOLATIONS, affine_transform
from .image import RandomImageLayer, choice, factor_range
from .values import real


class AffineAugmentation(RandomImageLayer):
    """A random affine augmentation: subclasses give each image's Keras transform vector.

    Args (shared):
        fill_mode: how points outside the image read: ``'reflect'`` (default), ``'wrap'``,
            ``'constant'`` (``fill_value``) or ``'nearest'``.
        interpolation: ``'bilinear'`` (default) or ``'nearest'``.
        seed: an int for reproducible draws, or ``None``.
        fill_value: the value ``'constant'`` fills with.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """

    def __init__(self, *, fill_mode: str = "reflect", interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(seed, data_format=data_format, **kwargs)
        self.fill_mode = choice(fill_mode, "fill_mode", self.owner, FILL_MODES)
        self.interpolation = choice(interpolation, "interpolation", self.owner, INTERPOLATIONS)
        self.fill_value = real(fill_value, "fill_value", self.owner)

    def transforms(self, batch: int, rows: int, cols: int, device: torch.device) -> torch.Tensor:
        """``(batch, 8)`` Keras transform vectors, one drawn per image."""
        raise NotImplementedError

    def augment(self, images: torch.Tensor) -> torch.Tensor:
        rows, cols = (images.shape[1], images.shape[2]) if self.channels_last else (images.shape[2], images.shape[3])
        transforms = self.transforms(images.shape[0], rows, cols, images.device)
        return affine_transform(images, transforms, interpolation=self.interpolation, fill_mode=self.fill_mode,
                                fill_value=self.fill_value, channels_last=self.channels_last)

    def _config(self) -> dict[str, Any]:
        return {**super()._config(), "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                "interpolation": self.interpolation}


def _vectors(*columns: torch.Tensor) -> torch.Tensor:
    """Stack six per-image coefficient columns into ``(batch, 8)`` transforms (``c0 = c1 = 0``)."""
    zeros = torch.zeros_like(columns[0])
    return torch.stack([*columns, zeros, zeros], dim=1)


class RandomRotation(AffineAugmentation):
    """Rotates each image about its centre by a random angle in training mode (Keras ``RandomRotation``).

    Args:
        factor: ``(lower, upper)`` or ``f`` (``(-f, f)``), fractions of a full turn in
            ``[-1, 1]``: the angle is drawn from ``[lower * 360, upper * 360]`` degrees
            (positive: counter-clockwise).
        fill_mode, interpolation, seed, fill_value, data_format: see :class:`AffineAugmentation`.

    >>> import torch
    >>> x = torch.arange(9.0).reshape(1, 3, 3, 1)
    >>> RandomRotation((0.25, 0.25), interpolation="nearest")(x)[0, :, :, 0].tolist()  # a quarter turn
    [[2.0, 5.0, 8.0], [1.0, 4.0, 7.0], [0.0, 3.0, 6.0]]
    """

    def __init__(self, factor: Any, fill_mode: str = "reflect", interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.factor = factor_range(factor, "factor", self.owner, -1.0, 1.0)

    def transforms(self, batch: int, rows: int, cols: int, device: torch.device) -> torch.Tensor:
        degrees = self.uniform(batch, self.factor[0] * 360.0, self.factor[1] * 360.0, device)
        angle = degrees * torch.tensor(math.pi / 180.0, dtype=torch.float32)
        cos, sin = torch.cos(angle), torch.sin(angle)
        cx, cy = 0.5 * (cols - 1), 0.5 * (rows - 1)
        return _vectors(cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos)

    def _config(self) -> dict[str, Any]:
        return {**super()._config(), "factor": self.factor, "seed": self.seed}


class RandomZoom(AffineAugmentation):
    """Zooms each image in or out about its centre by a random factor in training mode (Keras ``RandomZoom``).

    Output pixel ``(y, x)`` reads the input at ``((y - cy) * zy + cy, (x - cx) * zx + cx)``
    with ``zy = 1 + h`` and ``zx = 1 + w``: a positive factor zooms out (the image shrinks),
    a negative one zooms in.

    Args:
        height_factor: ``(lower, upper)`` or ``f`` (``(-f, f)``), each in ``(-1, 1]``: ``h`` is
            drawn from that range.
        width_factor: likewise for ``w``; ``None`` (default) zooms both axes by ``h``.
        fill_mode, interpolation, seed, fill_value, data_format: see :class:`AffineAugmentation`.

    >>> import torch
    >>> x = torch.arange(5.0).reshape(1, 1, 5, 1)
    >>> RandomZoom(0, (-0.5, -0.5), interpolation="nearest")(x).flatten().tolist()  # twice as wide; halves round away from 0
    [1.0, 2.0, 2.0, 3.0, 3.0]
    """

    def __init__(self, height_factor: Any, width_factor: Any = None, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None, fill_value: float = 0.0,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.height_factor, self.width_factor = _plain(height_factor), _plain(width_factor)
        self.height_range = factor_range(height_factor, "height_factor", self.owner, -1.0, 1.0, open_low=True)
        self.width_range = None if width_factor is None else factor_range(
            width_factor, "width_factor", self.owner, -1.0, 1.0, open_low=True)

    def transforms(self, batch: int, rows: int, cols: int, device: torch.device) -> torch.Tensor:
        zy = self.uniform(batch, 1.0 + self.height_range[0], 1.0 + self.height_range[1], device)
        zx = zy if self.width_range is None else self.uniform(batch, 1.0 + self.width_range[0], 1.0 + self.width_range[1], device)
        zeros = torch.zeros_like(zx)
        return _vectors(zx, zeros, (cols - 1.0) / 2.0 * (1.0 - zx), zeros, zy, (rows - 1.0) / 2.0 * (1.0 - zy))

    def _config(self) -> dict[str, Any]:
        return {**super()._config(), "height_factor": self.height_factor, "width_factor": self.width_factor,
                "seed": self.seed}


class RandomTranslation(AffineAugmentation):
    """Shifts each image by a random offset in training mode (Keras ``RandomTranslation``).

    The image moves down by ``h * rows`` and right by ``w * cols`` pixels (fractional
    shifts interpolate).

    Args:
        height_factor: ``(lower, upper)`` or ``f`` (``(-f, f)``), each in ``[-1, 1]``: ``h`` is
            drawn from that range.
        width_factor: likewise for ``w``.
        fill_mode, interpolation, seed, fill_value, data_format: see :class:`AffineAugmentation`.

    >>> import torch
    >>> x = torch.arange(4.0).reshape(1, 1, 4, 1)
    >>> RandomTranslation(0, (0.25, 0.25), fill_mode="constant")(x).flatten().tolist()
    [0.0, 0.0, 1.0, 2.0]
    """

    def __init__(self, height_factor: Any, width_factor: Any, fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: int | None = None, fill_value: float = 0.0, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value,
                         data_format=data_format, **kwargs)
        self.height_factor, self.width_factor = _plain(height_factor), _plain(width_factor)
        self.height_range = factor_range(height_factor, "height_factor", self.owner, -1.0, 1.0)
        self.width_range = factor_range(width_factor, "width_factor", self.owner, -1.0, 1.0)

    def transforms(self, batch: int, rows: int, cols: int, device: torch.device) -> torch.Tensor:
        dy = self.uniform(batch, *self.height_range, device) * rows
        dx = self.uniform(batch, *self.width_range, device) * cols
        ones, zeros = torch.ones_like(dx), torch.zeros_like(dx)
        return _vectors(ones, zeros, -dx, zeros, ones, -dy)

    def _config(self) -> dict[str, Any]:
        return {**super()._config(), "height_factor": self.height_factor, "width_factor": self.width_factor,
                "seed": self.seed}


def _plain(factor: Any) -> Any:
    """A factor as Keras's config holds it: the number, or the pair as a tuple."""
    return tuple(factor) if isinstance(factor, list) else factor
