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
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import torch
from torch import Tensor

from ..registry import Registry, Wrapped
from .base import _TRUNCATED_STD, Initializer, Shape, _Random, compute_fans
from .stft import STFT

__all__ = [
    "STFT", "CallableInitializer", "Constant", "GlorotNormal", "GlorotUniform", "HeNormal",
    "HeUniform", "Identity", "Initializer", "LecunNormal", "LecunUniform", "Ones", "Orthogonal",
    "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling", "Zeros",
    "compute_fans", "get", "register", "serialize",
    "IdentityInitializer", "OrthogonalInitializer", "STFTInitializer", "constant", "glorot_normal", "glorot_uniform",
    "he_normal", "he_uniform", "identity", "lecun_normal", "lecun_uniform", "ones", "orthogonal", "random_normal",
    "random_uniform", "truncated_normal", "variance_scaling", "zeros",
]

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

# Keras's other spellings are the classes themselves (keras.initializers.he_normal is HeNormal).
# ``stft`` is not one of them here: it names the module that defines STFT.
IdentityInitializer, OrthogonalInitializer, STFTInitializer = Identity, Orthogonal, STFT
constant, identity, ones, orthogonal, zeros = Constant, Identity, Ones, Orthogonal, Zeros
glorot_normal, glorot_uniform, he_normal, he_uniform = GlorotNormal, GlorotUniform, HeNormal, HeUniform
lecun_normal, lecun_uniform, variance_scaling = LecunNormal, LecunUniform, VarianceScaling
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal


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


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Initializer:
    """Keras's ``deserialize``: the initializer a name or a :func:`serialize`'d dict describes.

    ``custom_objects`` (``{name: class or function}``) is looked up before the built-in names.

    >>> deserialize(serialize("he_normal"))
    HeNormal(seed=None, input_axes=None, output_axes=None)
    """
    return _REGISTRY.deserialize(config, custom_objects)


def register(name: str, obj: Callable[..., Any] | type[Initializer] | Initializer) -> None:
    """Make ``get(name)`` (and configs naming it) resolve to a custom initializer or function.

    >>> def halves(shape, dtype): return torch.full(shape, 0.5, dtype=dtype)
    >>> register("halves", halves)
    >>> get(serialize(halves))((1,))
    tensor([0.5000])
    """
    _REGISTRY.register(name, obj)
