"""Keras's pixel-level data augmentation: ``RandomFlip``, ``RandomContrast``, ``RandomBrightness``.

Active in training mode only (see :mod:`~convlayers.layers.image`).
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from .image import RandomImageLayer, choice, factor_range

FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class RandomFlip(RandomImageLayer):
    """Flips each image with probability 1/2 in training mode (Keras ``RandomFlip``).

    Args:
        mode: ``'horizontal'`` (left-right), ``'vertical'`` (top-bottom) or
            ``'horizontal_and_vertical'`` (default; as Keras, one draw per image flips it
            both ways: it is turned by 180 degrees or left alone).
        seed: an int for reproducible draws, or ``None``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input ``(batch, rows, cols, channels)`` or one image; the output has the same shape.

    >>> import torch
    >>> layer = RandomFlip("horizontal", seed=1)
    >>> y = layer(torch.arange(8.0).reshape(4, 1, 2, 1))  # training mode: four 1 x 2 images, some flipped
    >>> y.flatten().tolist()
    [0.0, 1.0, 3.0, 2.0, 5.0, 4.0, 6.0, 7.0]
    >>> layer.eval()(torch.ones(1, 2, 2, 1)).shape  # inference: the identity
    torch.Size([1, 2, 2, 1])
    """

    def __init__(self, mode: str = "horizontal_and_vertical", seed: int | None = None, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(seed, data_format=data_format, **kwargs)
        self.mode = choice(mode, "mode", self.owner, FLIP_MODES)

    def augment(self, images: torch.Tensor) -> torch.Tensor:
        flips = (self.uniform(images.shape[0], 0.0, 1.0, images.device) <= 0.5).view(-1, 1, 1, 1)
        rows, cols = self.row_col_axes(4)
        axes = {"horizontal": [cols], "vertical": [rows], "horizontal_and_vertical": [rows, cols]}[self.mode]
        return torch.where(flips, images.flip(axes), images)

    def _config(self) -> dict[str, Any]:
        return {**super()._config(), "mode": self.mode}


class RandomContrast(RandomImageLayer):
    """Scales each image's deviation from its per-channel mean by a random factor in training mode (Keras ``RandomContrast``).

    ``y = clip((x - mean) * c + mean, *value_range)``, ``mean`` over each image's rows and
    columns per channel, ``c`` drawn per image from ``[1 - lower, 1 + upper]``.

    Args:
        factor: ``(lower, upper)`` or ``f``; as Keras 3.15, ``f`` means ``(0, f)`` (so ``c``
            lies in ``[1, 1 + f]``) and each number must lie in ``[0, 1]`` (a pair may hold
            ``(-a, a)``: ``c = 1 + a`` always).
        value_range: ``(low, high)`` the output is clipped to (``(0, 255)`` default).
        seed: an int for reproducible draws, or ``None``.

    >>> import torch
    >>> layer = RandomContrast((-0.5, 0.5), value_range=(0, 10))  # c = 1.5 always
    >>> layer(torch.tensor([[[[2.0], [4.0]]]])).flatten().tolist()
    [1.5, 4.5]
    """

    def __init__(self, factor: Any, value_range: Sequence[float] = (0, 255), seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed, **kwargs)
        lower, upper = factor_range(factor, "factor", self.owner, -1.0, 1.0) if isinstance(factor, (tuple, list)) else (
            None, None)
        if lower is None:
            # Keras clamps a single factor's lower end to its bound 0; a pair passes if it reaches into [0, 1].
            lower, upper = factor_range(factor, "factor", self.owner, 0.0, 1.0)
            lower = max(lower, 0.0)
        elif upper < 0 or lower > 1:
            raise ValueError(
                f"{self.owner}: the `factor` argument should be a number (or a list of two numbers) in the range "
                f"[0, 1]. Received: factor={factor!r}."
            )
        self.factor = (lower, upper)
        self.value_range = _value_range(value_range, self.owner, sort=False)

    def augment(self, images: torch.Tensor) -> torch.Tensor:
        lower, upper = self.factor
        c = self.uniform(images.shape[0], 1.0 - lower, 1.0 + upper, images.device).to(images.dtype).view(-1, 1, 1, 1)
        mean = images.mean(dim=self.row_col_axes(4), keepdim=True)
        return ((images - mean) * c + mean).clamp(*self.value_range)

    def _config(self) -> dict[str, Any]:
        return {**super()._config(), "factor": self.factor, "value_range": self.value_range}


class RandomBrightness(RandomImageLayer):
    """Adds a random delta to each image in training mode (Keras ``RandomBrightness``).

    ``y = clip(x + d * (high - low), low, high)``, ``d`` drawn per image from ``[lower, upper]``.

    Args:
        factor: ``(lower, upper)`` or ``f`` (``(-f, f)``), each in ``[-1, 1]``.
        value_range: ``(low, high)``, sorted (``(0, 255)`` default).
        seed: an int for reproducible draws, or ``None``.

    >>> import torch
    >>> RandomBrightness((0.1, 0.1), value_range=(0, 1))(torch.tensor([[[[0.2], [0.95]]]])).flatten().tolist()
    [0.30000001192092896, 1.0]
    """

    def __init__(self, factor: Any, value_range: Sequence[float] = (0, 255), seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed, **kwargs)
        self.factor = factor_range(factor, "factor", self.owner, -1.0, 1.0)
        self.value_range = _value_range(value_range, self.owner, sort=True)

    def augment(self, images: torch.Tensor) -> torch.Tensor:
        low, high = self.value_range
        delta = self.uniform(images.shape[0], *self.factor, images.device) * (high - low)
        return (images + delta.to(images.dtype).view(-1, 1, 1, 1)).clamp(low, high)

    def _config(self) -> dict[str, Any]:
        return {**super()._config(), "factor": self.factor, "value_range": self.value_range}


def _value_range(value: Any, owner: str, *, sort: bool) -> list[float]:
    if not isinstance(value, (tuple, list)) or len(value) != 2 or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
    ):
        raise ValueError(f"{owner}: the `value_range` argument should be a list of two numbers. Received: value_range={value!r}.")
    return sorted(value) if sort else list(value)
