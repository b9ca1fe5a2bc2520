"""Per-example normalizations (Keras ``LayerNormalization``, ``GroupNormalization``, ``UnitNormalization``).

Layer and group normalization compute their statistics in at least float32, whatever
the input's dtype, and return the policy's compute dtype: under ``mixed_bfloat16`` a
float32 input is normalized in float32 (Keras does not autocast these layers' inputs)
and comes out in bfloat16.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, Sequence

import torch

from .. import arrays
from .base import Layer, Shape
from .values import axes, is_int, real, resolve_axes, serialize_options, weight_options

__all__ = ["GroupNormalization", "LayerNormalization", "UnitNormalization"]

_ROLES = ("beta", "gamma")


def _statistics_dtype(dtype: torch.dtype) -> torch.dtype:
    """Keras's ``result_type(x.dtype, 'float32')``: float64 stays, anything narrower computes in float32."""
    return torch.float64 if dtype == torch.float64 else torch.float32


class _AffineNormalization(Layer):
    """Shared by layer and group normalization: ``epsilon``, ``center``, ``scale`` and the beta/gamma options."""

    # Keras does not autocast these layers' inputs; they compute in float32 or wider (see the module).
    casts_inputs = False

    def _init_affine(self, epsilon: Any, center: Any, scale: Any, options: dict[str, Any]) -> None:
        self.epsilon = real(epsilon, "epsilon", self.owner)
        self.center = bool(center)
        self.scale = bool(scale)
        self._options = weight_options(self.resolve_option, _ROLES, options)
        self.register_parameter("gamma", None)
        self.register_parameter("beta", None)

    def _add_affine(self, shape: tuple[int, ...], gamma: bool, beta: bool) -> None:
        for role, wanted in (("gamma", gamma), ("beta", beta)):
            if wanted:
                self.add_weight(
                    role, shape, initializer=self._options[f"{role}_initializer"],
                    regularizer=self._options[f"{role}_regularizer"], constraint=self._options[f"{role}_constraint"],
                )

    def _plan_call(self, shape: Shape, dtype: torch.dtype, device: torch.device) -> Callable[[torch.Tensor], torch.Tensor]:
        if dtype.is_complex:
            arrays.check_real(torch.empty(0, dtype=dtype), self.owner)
        statistics = _statistics_dtype(dtype)
        output = self.dtype_policy.compute_torch_dtype
        normalize = self._normalizer(shape)
        weights = self._parameters  # read at each call: new weights take effect

        def step(x: torch.Tensor) -> torch.Tensor:
            gamma, beta = weights["gamma"], weights["beta"]
            y = normalize(
                x.to(statistics),
                None if gamma is None else gamma.to(statistics),
                None if beta is None else beta.to(statistics),
            )
            return y.to(output)

        return step

    def _normalizer(self, shape: Shape) -> Callable[..., torch.Tensor]:
        raise NotImplementedError

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return self._plan_call(tuple(x.shape), x.dtype, x.device)(x)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """The input shape, unchanged (checked)."""
        shape = tuple(input_shape)
        self._check_input_shape(shape)
        return shape

    def _affine_config(self) -> dict[str, Any]:
        """``epsilon``, ``center``, ``scale`` and the options, as Keras writes them after the layer's own keys."""
        return {"epsilon": self.epsilon, "center": self.center, "scale": self.scale, **serialize_options(self._options)}


def _normalized(x: torch.Tensor, dims: list[int], epsilon: float, gamma: torch.Tensor | None,
                beta: torch.Tensor | None) -> torch.Tensor:
    """``(x - mean) * rsqrt(var + epsilon) * gamma + beta`` over ``dims``, arranged as Keras arranges it."""
    variance, mean = torch.var_mean(x, dim=dims, correction=0, keepdim=True)
    inv = torch.rsqrt(variance + epsilon)
    if gamma is not None:
        inv = inv * gamma
    shift = -mean * inv
    if beta is not None:
        shift = shift + beta
    return x * inv + shift


class LayerNormalization(_AffineNormalization):
    """Normalizes each example over ``axis`` (Keras ``LayerNormalization``).

    ``y = (x - mean) / sqrt(var + epsilon) * gamma + beta``, the statistics over the axes in
    ``axis`` of each example (the variance divides by ``n``). Same in training and inference.

    Args:
        axis: an int or a list of ints: the axes normalized over (and that ``gamma`` and
            ``beta`` span, in sorted order).
        epsilon: added to the variance.
        center, scale: learn ``beta`` / ``gamma``.
        rms_scaling: Keras's deprecated flag (it warns): ``y = x * rsqrt(var + epsilon) * gamma``,
            no centering and no ``beta`` (it scales by the variance, not the root mean square).
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
        beta_constraint, gamma_constraint: the weights' Keras options.

    Weights: ``gamma`` then ``beta``, each of shape ``input_shape[a] for a in sorted(axis)``.
    As Keras does, the config's ``axis`` is the sorted list once the layer is built.

    >>> import numpy as np
    >>> LayerNormalization()(np.array([[1.0, 3.0]], "float32")).round(4)
    array([[-0.9995,  0.9995]], dtype=float32)
    """

    def __init__(
        self,
        axis: int | Sequence[int] = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        *,
        rms_scaling: bool = False,
        **kwargs: Any,
    ) -> None:
        if rms_scaling:
            warnings.warn(
                "You passed `rms_scaling=True`, which is deprecated in Keras 3: it scales the input by the variance, "
                "not the root mean square.",
                stacklevel=2,
            )
        super().__init__(**kwargs)
        self.axis = axes(axis, "axis", self.owner)
        self.rms_scaling = bool(rms_scaling)
        self._init_affine(epsilon, center, scale, {
            "beta_initializer": beta_initializer, "gamma_initializer": gamma_initializer,
            "beta_regularizer": beta_regularizer, "gamma_regularizer": gamma_regularizer,
            "beta_constraint": beta_constraint, "gamma_constraint": gamma_constraint,
        })

    @property
    def _keras_axes(self) -> list[int]:
        """The axes as Keras keeps them once built: the given ints, sorted (negative ones first)."""
        return sorted([self.axis] if isinstance(self.axis, int) else self.axis)

    def _check_input_shape(self, shape: Shape) -> None:
        resolve_axes(self.axis, len(shape), self.owner)
        unknown = [a for a in self._keras_axes if shape[a] is None]
        if unknown:
            raise ValueError(f"{self.owner}: the normalized axes {unknown} must have known sizes. Received input shape {shape}.")
        if self.built and self._weight_shape(shape) != self._weight_shape(self._build_input_shape):
            raise ValueError(
                f"{self.owner}: the layer was built for inputs of shape {self._build_input_shape}; received an "
                f"input of shape {shape}."
            )

    def _weight_shape(self, shape: Shape) -> tuple[int, ...]:
        return tuple(shape[a] for a in self._keras_axes)

    def _build(self, input_shape: Shape) -> None:
        self._add_affine(
            self._weight_shape(input_shape),
            gamma=self.scale or self.rms_scaling,
            beta=self.center and not self.rms_scaling,
        )

    def _normalizer(self, shape: Shape) -> Callable[..., torch.Tensor]:
        ndim = len(shape)
        keras_axes = self._keras_axes
        dims = [a % ndim for a in keras_axes]
        broadcast = [1] * ndim
        for a in keras_axes:
            broadcast[a] = shape[a]
        epsilon = self.epsilon

        def normalize(x: torch.Tensor, gamma: torch.Tensor | None, beta: torch.Tensor | None) -> torch.Tensor:
            # Keras reshapes (not transposes) the weights onto the input's axes.
            gamma = None if gamma is None else gamma.reshape(broadcast)
            beta = None if beta is None else beta.reshape(broadcast)
            if self.rms_scaling:
                y = x * torch.rsqrt(torch.var(x, dim=dims, correction=0, keepdim=True) + epsilon)
                return y if gamma is None else y * gamma
            return _normalized(x, dims, epsilon, gamma, beta)

        return normalize

    def _config(self) -> dict[str, Any]:
        return {"axis": self._keras_axes if self.built else self.axis, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale, "rms_scaling": self.rms_scaling, **serialize_options(self._options)}


class GroupNormalization(_AffineNormalization):
    """Normalizes groups of channels of each example (Keras ``GroupNormalization``).

    The ``C`` channels on ``axis`` are split into ``groups`` consecutive groups of ``C / groups``;
    each example's group is normalized over its channels and every other non-batch axis,
    then scaled by ``gamma`` and shifted by ``beta`` (one per channel). ``groups=-1`` makes a
    group of each channel (instance normalization); ``groups=1`` is layer normalization over
    all non-batch axes.

    Args:
        groups: a positive int dividing the channel count, or ``-1``.
        axis: the channel axis (an int).
        epsilon, center, scale, and the beta/gamma options: as for :class:`LayerNormalization`.

    As Keras does, a built layer's config has ``groups`` resolved (``-1`` becomes ``C``).

    >>> import numpy as np
    >>> x = np.array([[1.0, 3.0, 10.0, 30.0]], "float32")
    >>> GroupNormalization(groups=2, epsilon=0.0)(x)
    array([[-1.,  1., -1.,  1.]], dtype=float32)
    """

    def __init__(
        self,
        groups: int = 32,
        axis: int = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not is_int(groups) or (groups <= 0 and groups != -1):
            raise ValueError(
                f"{self.owner}: invalid value for argument `groups`: expected a positive int (or -1 for instance "
                f"normalization). Received: groups={groups!r}."
            )
        if not is_int(axis):
            raise TypeError(f"{self.owner}: invalid value for argument `axis`: expected an int. Received: axis={axis!r}.")
        self.groups = int(groups)
        self.axis = int(axis)
        self._init_affine(epsilon, center, scale, {
            "beta_initializer": beta_initializer, "gamma_initializer": gamma_initializer,
            "beta_regularizer": beta_regularizer, "gamma_regularizer": gamma_regularizer,
            "beta_constraint": beta_constraint, "gamma_constraint": gamma_constraint,
        })

    def _check_input_shape(self, shape: Shape) -> None:
        channels = shape[resolve_axes(self.axis, len(shape), self.owner)[0]]
        if channels is None:
            raise ValueError(f"{self.owner}: the channel axis {self.axis} must have a known size. Received input shape {shape}.")
        groups = channels if self.groups == -1 else self.groups
        if channels < groups or channels % groups:
            raise ValueError(
                f"{self.owner}: the number of groups ({groups}) must divide the number of channels ({channels}) on "
                f"axis {self.axis}. Received input shape {shape}."
            )
        if self.built and (len(shape) != len(self._build_input_shape) or channels != self._channels):
            raise ValueError(
                f"{self.owner}: the layer was built for inputs of shape {self._build_input_shape}; received an "
                f"input of shape {shape}."
            )

    def _build(self, input_shape: Shape) -> None:
        self._channels = input_shape[self.axis]
        if self.groups == -1:
            self.groups = self._channels
        self._add_affine((self._channels,), gamma=self.scale, beta=self.center)

    def _normalizer(self, shape: Shape) -> Callable[..., torch.Tensor]:
        ndim = len(shape)
        axis = self.axis % ndim
        channels, groups = shape[axis], self.groups
        # (batch, ..., groups, channels // groups, ...): the statistics over everything but batch and group.
        grouped = list(shape[:axis]) + [groups, channels // groups] + list(shape[axis + 1 :])
        grouped[0] = -1
        dims = [d for d in range(1, ndim + 1) if d != axis]
        broadcast = [1] * (ndim + 1)
        broadcast[axis], broadcast[axis + 1] = groups, channels // groups
        epsilon = self.epsilon

        def normalize(x: torch.Tensor, gamma: torch.Tensor | None, beta: torch.Tensor | None) -> torch.Tensor:
            y = _normalized(
                x.reshape(grouped), dims, epsilon,
                None if gamma is None else gamma.reshape(broadcast),
                None if beta is None else beta.reshape(broadcast),
            )
            return y.reshape(x.shape)

        return normalize

    def _config(self) -> dict[str, Any]:
        return {"groups": self.groups, "axis": self.axis, **self._affine_config()}


class UnitNormalization(Layer):
    """Scales each example to unit L2 norm over ``axis`` (Keras ``UnitNormalization``).

    ``y = x * min(1 / sqrt(sum(x ** 2)), 1e12)``: an all-zero vector stays zero.

    Args:
        axis: an int or a list of ints, the axes the norm is taken over.

    >>> import numpy as np
    >>> UnitNormalization()(np.array([[3.0, 4.0], [0.0, 0.0]], "float32"))
    array([[0.6, 0.8],
           [0. , 0. ]], dtype=float32)
    """

    def __init__(self, axis: int | Sequence[int] = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axes(axis, "axis", self.owner)

    def _check_input_shape(self, shape: Shape) -> None:
        resolve_axes(self.axis, len(shape), self.owner)

    def call(self, x: torch.Tensor) -> torch.Tensor:
        dims = resolve_axes(self.axis, x.ndim, self.owner)
        inverse = torch.rsqrt(torch.sum(x * x, dim=dims, keepdim=True)).clamp(max=1e12)
        return x * inverse

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """The input shape, unchanged (checked)."""
        shape = tuple(input_shape)
        self._check_input_shape(shape)
        return shape

    def _config(self) -> dict[str, Any]:
        return {"axis": self.axis}
