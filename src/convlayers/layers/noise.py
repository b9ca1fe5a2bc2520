"""Regularizing noise, active in training mode only (Keras ``SpatialDropout1D/2D/3D``, ``GaussianNoise``,
``GaussianDropout``, ``AlphaDropout``).

In inference mode (``module.eval()``), and for NumPy calls, each is the identity, as in
Keras. The random draws cannot match Keras's bit for bit (another generator); the
distributions, which elements share a draw, and the scaling are Keras's.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import torch

from ..geometry import normalize_data_format
from .base import Shape
from .core import Dropout, TrainingDependentLayer
from .values import real, seed

__all__ = ["AlphaDropout", "GaussianDropout", "GaussianNoise", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"]

#: SELU's constants (Klambauer et al. 2017), which AlphaDropout keeps the statistics of.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one draw per (example, channel), shared along every spatial axis."""

    rank: int
    takes_data_format = True

    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.data_format = normalize_data_format(data_format, self.owner)

    def _check_input_shape(self, shape: Shape) -> None:
        if len(shape) != self.rank + 2:
            raise ValueError(
                f"{self.owner}: expected an input of rank {self.rank + 2} (batch, {self.rank} spatial dims, channels). "
                f"Received input shape {shape}."
            )

    def _mask_shape(self, shape: Shape) -> Shape:
        ones = (1,) * self.rank
        if self.data_format == "channels_first":
            return (shape[0], shape[1]) + ones
        return (shape[0],) + ones + (shape[-1],)

    def get_config(self) -> dict[str, Any]:
        """Keras 3.15's config: ``rate``, ``seed``, ``name``, ``dtype`` (the weights' dtype by name), ``data_format``.

        Keras's spatial dropouts take no ``trainable`` and write their dtype as a plain name.
        """
        config = {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.variable_dtype}
        if self.takes_data_format:
            config["data_format"] = self.data_format
        return config


class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of ``(batch, steps, channels)`` inputs in training mode (Keras ``SpatialDropout1D``).

    Kept channels are scaled by ``1 / (1 - rate)``. Args: ``rate`` (in ``[0, 1]``), ``seed``,
    ``name``, ``dtype`` (Keras's whole signature).

    >>> import torch
    >>> y = SpatialDropout1D(0.5, seed=0)(torch.ones(1, 4, 3))  # training mode
    >>> bool((y == y[:, :1]).all())  # every step of a channel shares its draw
    True
    """

    rank = 1
    takes_data_format = False

    def __init__(self, rate: float, seed: int | None = None, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype)


class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps of 2-D inputs in training mode (Keras ``SpatialDropout2D``).

    Args: ``rate`` (in ``[0, 1]``), ``data_format`` (``channels_last`` by default), ``seed``,
    ``name``, ``dtype``. Kept maps are scaled by ``1 / (1 - rate)``.

    >>> import torch
    >>> y = SpatialDropout2D(0.5, data_format="channels_first", seed=0)(torch.ones(2, 3, 4, 4))
    >>> sorted(set(y.flatten().tolist())), bool((y == y[:, :, :1, :1]).all())
    ([0.0, 2.0], True)
    """

    rank = 2


class SpatialDropout3D(_SpatialDropout):
    """Drops whole feature maps of 3-D inputs in training mode (Keras ``SpatialDropout3D``).

    Args: ``rate`` (in ``[0, 1]``), ``data_format``, ``seed``, ``name``, ``dtype``.

    >>> import numpy as np
    >>> float(SpatialDropout3D(0.5)(np.ones((1, 2, 2, 2, 3), "float32")).sum())  # NumPy calls are inference: identity
    24.0
    """

    rank = 3


class _Seeded(TrainingDependentLayer):
    """A layer drawing noise in training mode: from its own generator when seeded, torch's global one otherwise."""

    def __init__(self, seed_value: int | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed(seed_value, self.owner)
        self._generators: dict[torch.device, torch.Generator] = {}

    def _generator(self, device: torch.device) -> torch.Generator | None:
        if self.seed is None:
            return None
        if device not in self._generators:
            self._generators[device] = torch.Generator(device=device).manual_seed(self.seed)
        return self._generators[device]

    def _normal(self, x: torch.Tensor, mean: float, stddev: float) -> torch.Tensor:
        noise = torch.empty(x.shape, dtype=x.dtype, device=x.device)
        return noise.normal_(mean, stddev, generator=self._generator(x.device))

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """The input shape, unchanged."""
        return tuple(input_shape)


class GaussianNoise(_Seeded):
    """Adds zero-mean Gaussian noise in training mode (Keras ``GaussianNoise``).

    Args:
        stddev: the noise's standard deviation, in ``[0, 1]`` (Keras's range).
        seed: an int for a reproducible sequence of draws, or ``None``.

    >>> import torch
    >>> y = GaussianNoise(0.1, seed=0)(torch.zeros(10000))
    >>> round(float(y.std()), 1), GaussianNoise(0.1).eval()(torch.ones(2)).tolist()
    (0.1, [1.0, 1.0])
    """

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed, **kwargs)
        self.stddev = real(stddev, "stddev", self.owner, low=0.0, high=1.0)

    def call(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.stddev == 0:
            return x
        return x + self._normal(x, 0.0, self.stddev)

    def _config(self) -> dict[str, Any]:
        return {"stddev": self.stddev, "seed": self.seed}


def _check_trainable_rate(layer: Any) -> None:
    """``rate=1`` drops everything: Keras's formulas divide by ``1 - rate``, so training with it is refused."""
    if layer.rate == 1:
        raise ValueError(
            f"{layer.owner}: rate=1 leaves nothing to scale (the noise's formula divides by 1 - rate); "
            f"use a rate below 1 to train. Received: rate=1.0."
        )


class GaussianDropout(_Seeded):
    """Multiplies by Gaussian noise of mean 1 in training mode (Keras ``GaussianDropout``).

    The noise's standard deviation is ``sqrt(rate / (1 - rate))``.

    Args:
        rate: in ``[0, 1]``, as for ``Dropout``.
        seed: an int for a reproducible sequence of draws, or ``None``.

    >>> import torch
    >>> y = GaussianDropout(0.5, seed=0)(torch.ones(10000))
    >>> round(float(y.mean()), 1), round(float(y.std()), 1)
    (1.0, 1.0)
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed, **kwargs)
        self.rate = real(rate, "rate", self.owner, low=0.0, high=1.0)

    def call(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0:
            return x
        _check_trainable_rate(self)
        return x * self._normal(x, 1.0, math.sqrt(self.rate / (1.0 - self.rate)))

    def _config(self) -> dict[str, Any]:
        return {"rate": self.rate, "seed": self.seed}


class AlphaDropout(Dropout):
    """Dropout that keeps the mean and variance of SELU activations (Keras ``AlphaDropout``).

    In training mode each dropped value becomes SELU's saturation ``-alpha * scale``, and
    then every value ``v`` becomes ``a * v + b`` with
    ``a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5`` and ``b = -a * alpha_p * rate``
    (``alpha_p = -alpha * scale``), so zero-mean, unit-variance inputs stay so.

    Args:
        rate: the fraction dropped, in ``[0, 1]``.
        noise_shape: the shape of the keep mask, as for ``Dropout`` (``None`` entries take the input's size).
        seed: an int for a reproducible sequence of draws, or ``None``.

    >>> import torch
    >>> y = AlphaDropout(0.2, seed=0)(torch.randn(100000))
    >>> round(float(y.mean()), 1), round(float(y.std()), 1)
    (0.0, 1.0)
    """

    def call(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0:
            return x
        _check_trainable_rate(self)
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        mask_shape = self._mask_shape(tuple(x.shape))
        draws = torch.empty(mask_shape, dtype=x.dtype, device=x.device).uniform_(generator=self._generator(x.device))
        kept = (draws >= self.rate).to(x.dtype)
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * (x * kept + alpha_p * (1 - kept)) + b
