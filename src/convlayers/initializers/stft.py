"""Keras's STFT initializer: windowed DFT kernels, with scipy's window formulas."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from .base import Initializer, Shape

def _general_cosine(*coefficients: float) -> Callable[[int], np.ndarray]:
    def window(length: int) -> np.ndarray:
        fac = np.linspace(-np.pi, np.pi, length)
        return sum(a * np.cos(k * fac) for k, a in enumerate(coefficients))
    return window


def _bartlett(length: int) -> np.ndarray:
    n = np.arange(length)
    return np.where(n <= (length - 1) / 2.0, 2.0 * n / (length - 1), 2.0 - 2.0 * n / (length - 1))


# scipy.signal.windows formulas, evaluated in float64 as scipy does (symmetric form).
_WINDOWS: dict[str, Callable[[int], np.ndarray]] = {
    "bartlett": _bartlett,
    "blackman": _general_cosine(0.42, 0.50, 0.08),
    "blackmanharris": _general_cosine(0.35875, 0.48829, 0.14128, 0.01168),
    "boxcar": np.ones,
    "flattop": _general_cosine(0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368),
    "hamming": _general_cosine(0.54, 1.0 - 0.54),
    "hann": _general_cosine(0.5, 1.0 - 0.5),
    "nuttall": _general_cosine(0.3635819, 0.4891775, 0.1365995, 0.0106411),
}


def _window(name: str, length: int, periodic: bool) -> np.ndarray:
    """``scipy.signal.get_window(name, length, fftbins=periodic)``."""
    if length <= 1:
        return np.ones(length)
    return _WINDOWS[name](length + 1)[:length] if periodic else _WINDOWS[name](length)


class STFT(Initializer):
    """Keras's STFT kernel of shape ``(frame_length, 1, fft_length // 2 + 1)``: a windowed DFT.

    Args:
        side: ``"real"`` (cosines) or ``"imag"`` (sines).
        window: a window name (those of ``scipy.signal.windows`` listed in ``_WINDOWS``), the
            window's values, or ``None``.
        scaling: ``"density"`` (divide by the window's L2 norm), ``"spectrum"`` (its L1 norm)
            or ``None``.
        periodic: use the periodic (DFT-even) form of a named window.

    >>> STFT(window=None)((4, 1, 3))[:, 0, 0]
    tensor([1., 1., 1., 1.])
    """

    def __init__(self, side: str = "real", window: str | Sequence[float] | None = "hann",
                 scaling: str | None = "density", periodic: bool = False) -> None:
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side!r}")
        if isinstance(window, str) and window not in _WINDOWS:
            raise ValueError(f"Unknown STFT window {window!r}. Supported windows: {', '.join(_WINDOWS)}, "
                             "the window's values, or None.")
        if scaling not in (None, "density", "spectrum"):
            raise ValueError(f"Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received scaling={scaling!r}")
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, periodic

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> Tensor:
        shape = tuple(shape)
        if len(shape) != 3 or shape[1] != 1:
            raise ValueError(f"STFT kernels have shape (frame_length, 1, fft_length // 2 + 1). Received: shape={shape}")
        frame_length, _, bins = shape
        freq = torch.arange(bins, dtype=dtype).reshape(1, 1, bins) / ((bins - 1) * 2)
        time = torch.arange(frame_length, dtype=dtype).reshape(frame_length, 1, 1)
        args = (-2 * time) * freq * torch.arccos(torch.tensor(-1.0, dtype=dtype))
        kernel = torch.cos(args) if self.side == "real" else torch.sin(args)
        if self.window is None:
            return kernel
        values = _window(self.window, frame_length, self.periodic) if isinstance(self.window, str) else self.window
        win = torch.as_tensor(np.asarray(values), dtype=dtype)
        if win.shape != (frame_length,):
            raise ValueError(f"The shape of `window` must be equal to [frame_length]. Received: window shape={tuple(win.shape)}")
        win = win.reshape(frame_length, 1, 1)
        if self.scaling == "density":
            return kernel * win / torch.sqrt(torch.sum(win * win))
        if self.scaling == "spectrum":
            return kernel * win / torch.sum(win.abs())
        return kernel * win

    def get_config(self) -> dict[str, Any]:
        return {"side": self.side, "window": self.window, "periodic": self.periodic, "scaling": self.scaling}
