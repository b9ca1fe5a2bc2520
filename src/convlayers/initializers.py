"""Keras 3 initializers by name: ``init(shape, dtype)`` gives a new tensor in Keras layout.

Shapes are Keras's (a conv kernel is ``kernel_size + (in_channels // groups, filters)``), so the
fans, and every variance-scaling limit, are Keras's (``compute_fans``). ``get(None)`` is
``GlorotUniform()``: Keras documents ``None`` as zeros, but its ``add_weight`` falls back to
glorot_uniform for float weights.

Seeding: an ``int`` seed gives the same values on every call (a private ``torch.Generator``);
``seed=None`` draws from torch's global generator, so ``torch.manual_seed`` makes runs
reproducible. (Keras instead fixes a random seed per unseeded initializer.) Random streams differ
between frameworks: distributions match Keras, individual draws do not.

>>> w = get("he_uniform")((3, 3, 32, 64))
>>> bool(w.abs().max() <= (6 / (3 * 3 * 32)) ** 0.5)
True
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor

from .registry import Configurable, Registry, Wrapped

__all__ = [
    "STFT", "CallableInitializer", "Constant", "GlorotNormal", "GlorotUniform", "HeNormal",
    "HeUniform", "Identity", "Initializer", "LecunNormal", "LecunUniform", "Ones", "Orthogonal",
    "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling", "Zeros",
    "compute_fans", "get", "register", "serialize",
]

Shape = Sequence[int]
_TRUNCATED_STD = 0.87962566103423978  # std of a standard normal truncated to [-2, 2]
_PHI_MINUS_2 = 0.5 * math.erfc(math.sqrt(2.0))  # P(Z < -2) for a standard normal Z


def compute_fans(shape: Shape, input_axes: Sequence[int] | None = None,
                 output_axes: Sequence[int] | None = None) -> tuple[int, int]:
    """Keras's ``(fan_in, fan_out)`` of a Keras-layout weight shape.

    Rank >= 3 (conv kernels): ``receptive = prod(shape[:-2])``, ``fan_in = shape[-2] * receptive``,
    ``fan_out = shape[-1] * receptive``. Rank 2: ``shape``. Rank 1: ``(shape[0], shape[0])``.
    Scalar: ``(1, 1)``. When both ``input_axes`` and ``output_axes`` are given, each fan is the
    product of the sizes on those axes instead.

    >>> compute_fans((3, 3, 32, 64)), compute_fans((3, 3, 32, 1)), compute_fans((10,))
    ((288, 576), (288, 9), (10, 10))
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer(Configurable, ABC):
    """Base class: ``init(shape, dtype)`` returns a new tensor of ``shape`` (Keras layout).

    >>> Ones()((2,), torch.float64)
    tensor([1., 1.], dtype=torch.float64)
    """

    @abstractmethod
    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> Tensor:
        """A new tensor of ``shape`` and ``dtype``."""


class _Random(Initializer):
    """Seed handling shared by the random initializers."""

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and not isinstance(seed, int):
            raise ValueError(f"Invalid value for argument `seed`: expected an int or None. Received: seed={seed!r}")
        self.seed = seed

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}

    def _draw(self, sampler: Callable[..., Tensor], shape: Shape, dtype: torch.dtype) -> Tensor:
        """``sampler`` (``torch.rand``/``torch.randn``) in at least float32, from the seed's generator."""
        if not dtype.is_floating_point:
            raise ValueError(f"{type(self).__name__} draws floats: dtype must be a floating torch dtype. Received: dtype={dtype}")
        generator = None if self.seed is None else torch.Generator().manual_seed(self.seed)
        return sampler(tuple(shape), generator=generator, dtype=torch.promote_types(dtype, torch.float32))

    def _normal(self, shape: Shape, mean: float, stddev: float, dtype: torch.dtype) -> Tensor:
        return (self._draw(torch.randn, shape, dtype) * stddev + mean).to(dtype)

    def _truncated_normal(self, shape: Shape, mean: float, stddev: float, dtype: torch.dtype) -> Tensor:
        # Inverse-CDF sampling of a standard normal restricted to [-2, 2], as Keras truncates.
        u = self._draw(torch.rand, shape, dtype)
        z = torch.special.ndtri(_PHI_MINUS_2 + u * (1.0 - 2.0 * _PHI_MINUS_2)).clamp(-2.0, 2.0)
        return (z * stddev + mean).to(dtype)

    def _uniform(self, shape: Shape, low: float, high: float, dtype: torch.dtype) -> Tensor:
        return (low + (high - low) * self._draw(torch.rand, shape, dtype)).to(dtype)


class RandomNormal(_Random):
    """Normal draws, ``N(mean, stddev**2)``.

    >>> RandomNormal(stddev=1.0, seed=3)((2, 2)).shape
    torch.Size([2, 2])
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> Tensor:
        return self._normal(shape, self.mean, self.stddev, dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(_Random):
    """Normal draws truncated to ``mean +- 2 * stddev``.

    >>> bool(TruncatedNormal(stddev=1.0, seed=0)((1000,)).abs().max() <= 2.0)
    True
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> Tensor:
        return self._truncated_normal(shape, self.mean, self.stddev, dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(_Random):
    """Uniform draws in ``[minval, maxval)``.

    >>> bool(RandomUniform(0.0, 1.0, seed=0)((100,)).min() >= 0.0)
    True
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> Tensor:
        return self._uniform(shape, self.minval, self.maxval, dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


class VarianceScaling(_Random):
    """Draws scaled to the weight's fans: ``scale /= max(1, fan)`` for ``mode``'s fan.

    ``distribution``: ``"uniform"`` in ``+-sqrt(3 * scale)``; ``"truncated_normal"`` (alias
    ``"normal"``) with stddev ``sqrt(scale) / 0.8796...`` cut at 2 stddev, so the realised std is
    ``sqrt(scale)``; ``"untruncated_normal"`` with stddev ``sqrt(scale)``. ``mode`` is
    ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``; ``input_axes``/``output_axes`` override the fans
    (see ``compute_fans``).

    >>> VarianceScaling(2.0, "fan_in", "normal").get_config()["distribution"]
    'truncated_normal'
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                 seed: int | None = None, input_axes: Sequence[int] | None = None,
                 output_axes: Sequence[int] | None = None) -> None:
        super().__init__(seed)
        if not scale > 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale!r}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid `mode` argument: expected one of fan_in, fan_out, fan_avg. Received: mode={mode!r}")
        canonical = {"normal": "truncated_normal"}.get(str(distribution).lower(), str(distribution).lower())
        if canonical not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(
                "Invalid `distribution` argument: expected one of uniform, truncated_normal, "
                f"untruncated_normal (or normal). Received: distribution={distribution!r}"
            )
        self.scale, self.mode, self.distribution = scale, mode, canonical
        self.input_axes, self.output_axes = input_axes, output_axes

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> Tensor:
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * scale)
            return self._uniform(shape, -limit, limit, dtype)
        if self.distribution == "truncated_normal":
            return self._truncated_normal(shape, 0.0, math.sqrt(scale) / _TRUNCATED_STD, dtype)
        return self._normal(shape, 0.0, math.sqrt(scale), dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "input_axes": self.input_axes, "output_axes": self.output_axes}


class _Preset(VarianceScaling):
    """A VarianceScaling with fixed ``(scale, mode, distribution)``; its config is the seed and axes."""

    preset: ClassVar[tuple[float, str, str]]

    def __init__(self, seed: int | None = None, input_axes: Sequence[int] | None = None,
                 output_axes: Sequence[int] | None = None) -> None:
        super().__init__(*self.preset, seed=seed, input_axes=input_axes, output_axes=output_axes)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_Preset):
    """Glorot (Xavier) uniform: limit ``sqrt(6 / (fan_in + fan_out))``.

    >>> GlorotUniform.preset
    (1.0, 'fan_avg', 'uniform')
    """

    preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_Preset):
    """Glorot (Xavier) normal: truncated normal, realised std ``sqrt(2 / (fan_in + fan_out))``.

    >>> GlorotNormal.preset
    (1.0, 'fan_avg', 'truncated_normal')
    """

    preset = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_Preset):
    """He normal: truncated normal, realised std ``sqrt(2 / fan_in)``.

    >>> HeNormal.preset
    (2.0, 'fan_in', 'truncated_normal')
    """

    preset = (2.0, "fan_in", "truncated_normal")


class HeUniform(_Preset):
    """He uniform: limit ``sqrt(6 / fan_in)``.

    >>> HeUniform.preset
    (2.0, 'fan_in', 'uniform')
    """

    preset = (2.0, "fan_in", "uniform")


class LecunNormal(_Preset):
    """LeCun normal: truncated normal, realised std ``sqrt(1 / fan_in)``.

    >>> LecunNormal.preset
    (1.0, 'fan_in', 'truncated_normal')
    """

    preset = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_Preset):
    """LeCun uniform: limit ``sqrt(3 / fan_in)``.

    >>> LecunUniform.preset
    (1.0, 'fan_in', 'uniform')
    """

    preset = (1.0, "fan_in", "uniform")


class Orthogonal(_Random):
    """An orthogonal matrix (times ``gain``) of shape ``(prod(shape[:-1]), shape[-1])``, reshaped.

    As Keras: QR of a normal matrix, columns signed by ``diag(R)``; orthonormal columns when
    there are at least as many rows as columns, orthonormal rows otherwise.

    >>> q = Orthogonal(seed=0)((4, 3))
    >>> torch.allclose(q.T @ q, torch.eye(3), atol=1e-6)
    True
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> Tensor:
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(
                f"The tensor to initialize must be at least two-dimensional. Received: shape={shape} of rank {len(shape)}."
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        q, r = torch.linalg.qr(self._draw(torch.randn, (max(rows, cols), min(rows, cols)), dtype))
        q = q * torch.sign(torch.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).to(dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gain": self.gain}


class Constant(Initializer):
    """Every element equal to the scalar ``value``.

    >>> Constant(0.5)((2,))
    tensor([0.5000, 0.5000])
    """

    def __init__(self, value: float = 0.0) -> None:
        if not isinstance(value, numbers.Real):
            raise ValueError(f"Constant takes a scalar value. Received: value={value!r}")
        self.value = value

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> Tensor:
        return torch.full(tuple(shape), self.value, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


class Zeros(Initializer):
    """All zeros.

    >>> Zeros()((2,), torch.int64)
    tensor([0, 0])
    """

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> Tensor:
        return torch.zeros(tuple(shape), dtype=dtype)


class Ones(Initializer):
    """All ones.

    >>> Ones()((1, 2))
    tensor([[1., 1.]])
    """

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> Tensor:
        return torch.ones(tuple(shape), dtype=dtype)


class Identity(Initializer):
    """``gain`` times the (possibly rectangular) identity matrix; 2-D shapes only, as in Keras.

    >>> Identity(2.0)((2, 3))
    tensor([[2., 0., 0.],
            [0., 2., 0.]])
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> Tensor:
        shape = tuple(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        return self.gain * torch.eye(*shape, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


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


class CallableInitializer(Wrapped, Initializer):
    """A user function ``fn(shape, dtype) -> array-like``, checked to return ``shape``.

    >>> init = get(lambda shape, dtype: torch.full(shape, 7.0, dtype=dtype))
    >>> init((2,))
    tensor([7., 7.])
    """

    def __call__(self, shape: Shape, dtype: torch.dtype = torch.float32) -> Tensor:
        value = torch.as_tensor(self.fn(tuple(shape), dtype)).to(dtype)
        if tuple(value.shape) != tuple(shape):
            raise ValueError(f"Initializer {self.name!r} returned shape {tuple(value.shape)}; expected {tuple(shape)}.")
        return value


_CLASSES = (Constant, GlorotNormal, GlorotUniform, HeNormal, HeUniform, Identity, LecunNormal, LecunUniform, Ones,
            Orthogonal, RandomNormal, RandomUniform, STFT, TruncatedNormal, VarianceScaling, Zeros)
_NAMES: dict[str, type[Initializer]] = {
    **{cls.__name__: cls for cls in _CLASSES},
    "IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal, "STFTInitializer": STFT,
    "constant": Constant, "glorot_normal": GlorotNormal, "glorot_uniform": GlorotUniform, "he_normal": HeNormal,
    "he_uniform": HeUniform, "identity": Identity, "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform,
    "normal": RandomNormal, "one": Ones, "ones": Ones, "orthogonal": Orthogonal, "random_normal": RandomNormal,
    "random_uniform": RandomUniform, "stft": STFT, "truncated_normal": TruncatedNormal, "uniform": RandomUniform,
    "variance_scaling": VarianceScaling, "zero": Zeros, "zeros": Zeros,
}
_REGISTRY: Registry[Initializer] = Registry("initializer", "keras.initializers", Initializer, _NAMES, CallableInitializer)


def get(identifier: Any) -> Initializer:
    """The initializer for ``identifier``: ``None`` (glorot_uniform), a Keras name, a config, an
    instance or a callable ``(shape, dtype) -> array-like``.

    >>> get("GlorotUniform"), get({"class_name": "Constant", "config": {"value": 2.0}})
    (GlorotUniform(seed=None, input_axes=None, output_axes=None), Constant(value=2.0))
    """
    return GlorotUniform() if identifier is None else _REGISTRY.get(identifier)


def serialize(identifier: Any) -> dict[str, Any] | None:
    """Keras 3's dict form of an initializer (``None`` stays ``None``).

    >>> serialize("zeros")
    {'module': 'keras.initializers', 'class_name': 'Zeros', 'config': {}, 'registered_name': None}
    """
    return None if identifier is None else _REGISTRY.serialize(get(identifier))


def register(name: str, obj: Callable[..., Any] | type[Initializer] | Initializer) -> None:
    """Make ``get(name)`` (and configs naming it) resolve to a custom initializer or function.

    >>> def halves(shape, dtype): return torch.full(shape, 0.5, dtype=dtype)
    >>> register("halves", halves)
    >>> get(serialize(halves))((1,))
    tensor([0.5000])
    """
    _REGISTRY.register(name, obj)
