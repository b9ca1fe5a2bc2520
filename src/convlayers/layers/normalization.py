"""Batch normalization with Keras's moving statistics (Keras ``BatchNormalization``)."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, Callable, Sequence

import torch

from .. import constraints, initializers, regularizers
from .base import Shape
from .core import TrainingDependentLayer


class BatchNormalization(TrainingDependentLayer):
    """Normalizes each feature along ``axis`` (Keras ``BatchNormalization``).

    ``y = gamma * (x - mean) / sqrt(var + epsilon) + beta``. In training mode
    (``module.train()``, as ``fit`` sets) ``mean`` and ``var`` are the batch's (over every axis
    but ``axis``; the variance divides by ``n``, not ``n - 1``), and the moving statistics
    follow ``moving = moving * momentum + batch * (1 - momentum)``. In inference mode, for
    NumPy calls, and whenever ``trainable`` is false (Keras's rule), the moving statistics are
    used and left unchanged.

    Args:
        axis: the feature axis (``-1`` for channels last, ``1`` after a channels-first conv).
        momentum: the moving statistics' decay.
        epsilon: added to the variance.
        center, scale: learn ``beta`` / ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
        moving_variance_initializer: Keras initializers.
        beta_regularizer, gamma_regularizer: Keras regularizers.
        beta_constraint, gamma_constraint: Keras constraints.
        synchronized: must be false (Keras supports it on TensorFlow only).

    Weights in Keras's order: ``gamma``, ``beta`` (trainable), ``moving_mean``,
    ``moving_variance`` (non-trainable; stored as torch buffers, so optimizers never see
    them and ``state_dict`` holds them).

    >>> import torch
    >>> bn = BatchNormalization(momentum=0.5)
    >>> y = bn(torch.tensor([[1.0], [3.0]]))  # training mode: batch mean 2, variance 1
    >>> [round(v, 4) for v in y.detach().flatten().tolist()], bn.get_weights()[2:]
    ([-0.9995, 0.9995], [array([1.], dtype=float32), array([1.], dtype=float32)])
    """

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer: Any = "zeros",
        gamma_initializer: Any = "ones",
        moving_mean_initializer: Any = "zeros",
        moving_variance_initializer: Any = "ones",
        beta_regularizer: Any = None,
        gamma_regularizer: Any = None,
        beta_constraint: Any = None,
        gamma_constraint: Any = None,
        synchronized: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # tf.keras 2 configs store the axis as a one-element list.
        if isinstance(axis, (list, tuple)) and len(axis) == 1:
            axis = axis[0]
        if not isinstance(axis, Integral) or isinstance(axis, bool):
            raise TypeError(f"{self.owner}: `axis` must be an int. Received: axis={axis!r}.")
        for argument, value in (("momentum", momentum), ("epsilon", epsilon)):
            if not isinstance(value, Real) or isinstance(value, bool):
                raise TypeError(f"{self.owner}: `{argument}` must be a float. Received: {argument}={value!r}.")
        if not epsilon > 0:
            raise ValueError(f"{self.owner}: `epsilon` must be > 0. Received: epsilon={epsilon!r}.")
        if synchronized:
            raise ValueError(
                f"{self.owner}: synchronized=True is only supported by Keras's TensorFlow backend; "
                f"use torch.nn.SyncBatchNorm for multi-device statistics. Received: synchronized={synchronized!r}."
            )
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        options = {
            "beta_initializer": (initializers, beta_initializer),
            "gamma_initializer": (initializers, gamma_initializer),
            "moving_mean_initializer": (initializers, moving_mean_initializer),
            "moving_variance_initializer": (initializers, moving_variance_initializer),
            "beta_regularizer": (regularizers, beta_regularizer),
            "gamma_regularizer": (regularizers, gamma_regularizer),
            "beta_constraint": (constraints, beta_constraint),
            "gamma_constraint": (constraints, gamma_constraint),
        }
        for argument, (registry, value) in options.items():
            setattr(self, argument, self.resolve_option(registry, argument, value))
        self.register_parameter("gamma", None)
        self.register_parameter("beta", None)

    def _feature_axis(self, ndim: int) -> int:
        if not -ndim <= self.axis < ndim:
            raise ValueError(
                f"{self.owner}: axis={self.axis} is out of range for an input of rank {ndim} "
                f"(allowed: {-ndim} to {ndim - 1})."
            )
        return self.axis % ndim

    def _check_input_shape(self, shape: Shape) -> None:
        axis = self._feature_axis(len(shape))
        if shape[axis] is None:
            raise ValueError(f"{self.owner}: the feature axis {self.axis} of the input must be known. Received input shape {shape}.")
        if self.built and (len(shape) != len(self._build_input_shape) or shape[axis] != self.features):
            raise ValueError(
                f"{self.owner}: the layer was built for inputs of rank {len(self._build_input_shape)} with "
                f"{self.features} features on axis {self.axis}; received an input of shape {shape}."
            )

    def _build(self, input_shape: Shape) -> None:
        self.features = input_shape[self._feature_axis(len(input_shape))]
        shape = (self.features,)
        if self.scale:
            self.add_weight(
                "gamma", shape, initializer=self.gamma_initializer, regularizer=self.gamma_regularizer, constraint=self.gamma_constraint
            )
        if self.center:
            self.add_weight(
                "beta", shape, initializer=self.beta_initializer, regularizer=self.beta_regularizer, constraint=self.beta_constraint
            )
        for name, initializer in (("moving_mean", self.moving_mean_initializer), ("moving_variance", self.moving_variance_initializer)):
            self.add_weight(name, shape, initializer=initializer, trainable=False)

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return self._plan_call(tuple(x.shape), x.dtype, x.device)(x)

    def _plan_call(self, shape: Shape, dtype: torch.dtype, device: torch.device) -> Callable[[torch.Tensor], torch.Tensor]:
        """The normalization of inputs of rank ``len(shape)``: the axes resolved once; mode and weights read per call."""
        ndim = len(shape)
        axis = self._feature_axis(ndim)
        reduce = [d for d in range(ndim) if d != axis]
        broadcast = [1] * ndim
        broadcast[axis] = -1
        weights, buffers = self._parameters, self._buffers  # read at each call: new weights take effect

        def step(x: torch.Tensor) -> torch.Tensor:
            moving_mean, moving_variance = buffers["moving_mean"], buffers["moving_variance"]
            if self.training and self.trainable:
                variance, mean = torch.var_mean(x, dim=reduce, correction=0)
                with torch.no_grad():
                    for moving, batch in ((moving_mean, mean), (moving_variance, variance)):
                        moving.copy_(moving * self.momentum + batch.to(moving.dtype) * (1.0 - self.momentum))
            else:
                mean, variance = moving_mean, moving_variance
            gamma, beta = weights["gamma"], weights["beta"]
            factor = torch.rsqrt(variance + self.epsilon)
            if gamma is not None:
                factor = factor * gamma
            y = (x - mean.reshape(broadcast)) * factor.reshape(broadcast)
            return y + beta.reshape(broadcast) if beta is not None else y

        return step

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """The input shape, unchanged."""
        return tuple(input_shape)

    def _config(self) -> dict[str, Any]:
        return {
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": False,
        }
