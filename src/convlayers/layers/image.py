"""What Keras's image preprocessing layers share: one image or a batch, the data format, factor ranges.

Keras's image layers take a batch ``(batch, rows, cols, channels)`` or one image
``(rows, cols, channels)`` (channels first with ``data_format='channels_first'``), cast it
to the layer's compute dtype (integer images come out floating, as from Keras), and the
random ones draw one transformation per image in training mode only: in inference mode
(``module.eval()``, ``predict``, NumPy calls) they are the identity.
"""

from __future__ import annotations

from numbers import Real
from typing import Any, Sequence

import torch

from .base import Shape
from .core import SeededLayer
from .spatial import DataFormatLayer


def factor_range(value: Any, argument: str, owner: str, low: float, high: float, *, open_low: bool = False) -> tuple[float, float]:
    """Keras's factor argument as ``(lower, upper)``: a pair (sorted), or ``f`` meaning ``(-|f|, |f|)``.

    Every number must lie in ``[low, high]`` (``(low, high]`` with ``open_low``).

    >>> factor_range(0.2, "factor", "RandomRotation", -1.0, 1.0)
    (-0.2, 0.2)
    >>> factor_range((0.3, -0.1), "height_factor", "RandomZoom", -1.0, 1.0, open_low=True)
    (-0.1, 0.3)
    """
    opening = "(" if open_low else "["
    error = (
        f"{owner}: the `{argument}` argument should be a number (or a list of two numbers) in the range "
        f"{opening}{low}, {high}]. Received: {argument}={value!r}."
    )

    def number(v: Any) -> float:
        if not isinstance(v, Real) or isinstance(v, bool):
            raise ValueError(error)
        v = float(v)
        if v > high or v < low or (open_low and v == low):
            raise ValueError(error)
        return v

    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(error)
        lower, upper = sorted(number(v) for v in value)
        return lower, upper
    magnitude = abs(number(value))
    return -magnitude, magnitude


def choice(value: Any, argument: str, owner: str, allowed: Sequence[str]) -> str:
    """``value`` if it is one of ``allowed``, else a ``ValueError`` naming them.

    >>> choice("wrap", "fill_mode", "RandomZoom", ("reflect", "wrap"))
    'wrap'
    """
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(
            f"{owner}: invalid value for argument `{argument}`. Expected one of {tuple(allowed)}. "
            f"Received: {argument}={value!r}."
        )
    return value


class ImageLayer(DataFormatLayer):
    """A layer over images: ``(batch, rows, cols, channels)`` or one image ``(rows, cols, channels)`` (or channels first).

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """

    def _check_input_shape(self, shape: Shape) -> None:
        if len(shape) not in (3, 4):
            layout = "(batch, rows, cols, channels)" if self.channels_last else "(batch, channels, rows, cols)"
            raise ValueError(
                f"{self.owner}: expected images of rank 4 {layout} or one image of rank 3, with "
                f"data_format={self.data_format!r}. Received an input of shape {shape} (rank {len(shape)})."
            )

    def row_col_axes(self, ndim: int) -> tuple[int, int]:
        """The rows' and columns' axes of an input of rank ``ndim`` (negative, so one image and a batch agree)."""
        return (-3, -2) if self.channels_last else (-2, -1)

    def batched(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` with a batch dim (one image gets a batch of one)."""
        return x if x.ndim == 4 else x.unsqueeze(0)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """The input shape, unchanged."""
        shape = tuple(input_shape)
        self._check_input_shape(shape)
        return shape

    def _config(self) -> dict[str, Any]:
        return {"data_format": self.data_format}


class RandomImageLayer(SeededLayer, ImageLayer):
    """An image layer drawing one random transformation per image in training mode; the identity otherwise.

    Args:
        seed: an int for a reproducible sequence of draws (one generator per device), or ``None``
            for torch's global generator.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """

    def uniform(self, count: int, lower: float, upper: float, device: torch.device) -> torch.Tensor:
        """``count`` float32 draws from ``[lower, upper)`` (exactly ``lower`` when the range is one value)."""
        draws = torch.rand(count, generator=self._generator(device), device=device, dtype=torch.float32)
        return draws * (upper - lower) + lower

    def call(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return x
        images = self.batched(x)
        y = self.augment(images)
        return y if x.ndim == 4 else y.squeeze(0)

    def augment(self, images: torch.Tensor) -> torch.Tensor:
        """The training-mode transformation of a batch of images."""
        raise NotImplementedError

    def _config(self) -> dict[str, Any]:
        return {**super()._config(), "seed": self.seed}
