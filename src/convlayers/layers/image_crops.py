"""Keras's ``CenterCrop`` and ``RandomCrop``: images cut (or, when too small, resized) to ``(height, width)``."""

from __future__ import annotations

from typing import Any, Sequence

import torch

from .. import ops
from ..geometry import normalize_positive_int
from .base import Shape
from .image import ImageLayer, RandomImageLayer


def aspect_window(rows: int, cols: int, height: int, width: int) -> tuple[int, int, int, int]:
    """Keras's ``smart_resize`` window: the largest centred ``(top, left, rows, cols)`` box of aspect ``height : width``.

    >>> aspect_window(6, 8, 4, 4)  # the centred 6 x 6 square
    (0, 1, 6, 6)
    """
    box_rows = max(min(rows, int(float(cols * height) / width)), 1)
    box_cols = max(min(cols, int(float(rows * width) / height)), 1)
    return int(float(rows - box_rows) / 2), int(float(cols - box_cols) / 2), box_rows, box_cols


class _Cropping:
    """Shape rules and window cuts shared by the two crop layers (mixed into an image layer)."""

    size: tuple[int, int]
    channels_last: bool

    def _sizes(self, owner: str, height: Any, width: Any) -> tuple[int, int]:
        return normalize_positive_int(height, "height", owner), normalize_positive_int(width, "width", owner)

    def cut(self, images: torch.Tensor, top: int, left: int, rows: int, cols: int) -> torch.Tensor:
        """The ``rows x cols`` window at ``(top, left)`` of a batch (slices clip at the image's edge, as Keras's)."""
        if self.channels_last:
            return images[:, top : top + rows, left : left + cols, :]
        return images[:, :, top : top + rows, left : left + cols]

    def resized(self, images: torch.Tensor) -> torch.Tensor:
        """``images`` resized bilinearly (half-pixel centres, no antialiasing) to the target size, if not that size."""
        rows, cols = self.image_size(images)
        if (rows, cols) == self.size:
            return images
        return ops.resize(images, self.size, method="linear", channels_last=self.channels_last)

    def image_size(self, images: torch.Tensor) -> tuple[int, int]:
        return (images.shape[1], images.shape[2]) if self.channels_last else (images.shape[2], images.shape[3])

    def smart_resize(self, images: torch.Tensor) -> torch.Tensor:
        """Keras's ``smart_resize``: cut the centred window of the target aspect ratio, then resize it to the target."""
        return self.resized(self.cut(images, *aspect_window(*self.image_size(images), *self.size)))

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """The input shape with rows and columns replaced by ``(height, width)``."""
        shape = list(input_shape)
        self._check_input_shape(tuple(shape))  # type: ignore[attr-defined]
        rows, cols = (-3, -2) if self.channels_last else (-2, -1)
        shape[rows], shape[cols] = self.size
        return tuple(shape)


class CenterCrop(_Cropping, ImageLayer):
    """Crops the centre ``(height, width)`` of each image (Keras ``CenterCrop``), in training and inference alike.

    An image at least that large in both dims is cut at ``((rows - height) // 2, (cols - width) // 2)``;
    a smaller one goes through Keras's ``smart_resize`` (the largest centred window of
    aspect ``height : width``, resized bilinearly to ``(height, width)``).

    Args:
        height, width: the output's rows and columns.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    >>> import torch
    >>> CenterCrop(2, 2)(torch.arange(16.0).reshape(1, 4, 4, 1))[0, :, :, 0].tolist()
    [[5.0, 6.0], [9.0, 10.0]]
    """

    def __init__(self, height: int, width: int, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.size = self._sizes(self.owner, height, width)

    def call(self, x: torch.Tensor) -> torch.Tensor:
        images = self.batched(x)
        rows, cols = self.image_size(images)
        if rows >= self.size[0] and cols >= self.size[1]:
            y = self.cut(images, (rows - self.size[0]) // 2, (cols - self.size[1]) // 2, *self.size)
        else:
            y = self.smart_resize(images)
        return y if x.ndim == 4 else y.squeeze(0)

    def _config(self) -> dict[str, Any]:
        return {**super()._config(), "height": self.size[0], "width": self.size[1]}


class RandomCrop(_Cropping, RandomImageLayer):
    """Crops a random ``(height, width)`` window in training mode (Keras ``RandomCrop``); one window for the whole batch.

    Training mode: from images larger than the target in both dims, a window at a random
    ``(top, left)``; otherwise, as Keras 3.15 computes it, the target-sized slice at the
    start of the centred :func:`aspect_window`, resized bilinearly to the target.
    Inference mode (and NumPy calls): Keras's documented rule, ``smart_resize`` (the
    largest centred window of aspect ``height : width``, resized), so the output has the
    target size as ``compute_output_shape`` says. (Keras 3.15 on JAX returns the input
    unchanged there, contradicting its own ``compute_output_shape``.)

    Args:
        height, width: the output's rows and columns.
        seed: an int for reproducible draws, or ``None``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    >>> import torch
    >>> layer = RandomCrop(2, 2, seed=0)
    >>> layer(torch.zeros(3, 5, 5, 1)).shape
    torch.Size([3, 2, 2, 1])
    >>> layer.eval()(torch.arange(16.0).reshape(1, 4, 4, 1))[0, :, :, 0].tolist()  # 4 x 4 resized to 2 x 2
    [[2.5, 4.5], [10.5, 12.5]]
    """

    def __init__(self, height: int, width: int, seed: int | None = None, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(seed, data_format=data_format, **kwargs)
        self.size = self._sizes(self.owner, height, width)

    def call(self, x: torch.Tensor) -> torch.Tensor:
        images = self.batched(x)
        if not self.training:
            y = self.smart_resize(images)
        else:
            y = self.augment(images)
        return y if x.ndim == 4 else y.squeeze(0)

    def augment(self, images: torch.Tensor) -> torch.Tensor:
        rows, cols = self.image_size(images)
        height, width = self.size
        if rows > height and cols > width:
            top = int(self.uniform(1, 0.0, float(rows - height + 1), images.device))
            left = int(self.uniform(1, 0.0, float(cols - width + 1), images.device))
        else:
            top, left, _, _ = aspect_window(rows, cols, height, width)
        return self.resized(self.cut(images, top, left, height, width))

    def _config(self) -> dict[str, Any]:
        return {**super()._config(), "height": self.size[0], "width": self.size[1]}
