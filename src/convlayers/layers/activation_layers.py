"""Activation layers with arguments (Keras ``ReLU``, ``LeakyReLU``, ``PReLU``, ``ELU``, ``Softmax``).

Each computes in the layer's compute dtype (inputs are cast, as Keras autocasts) and
keeps the input's shape.
"""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .. import arrays
from .base import Layer, Shape
from .values import axes, real, resolve_axes, serialize_options, weight_options

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]


class _ElementwiseActivation(Layer):
    """An activation layer: same shape out as in."""

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """The input shape, unchanged."""
        return tuple(input_shape)


class ReLU(_ElementwiseActivation):
    """Rectified linear unit with a ceiling, a threshold and a negative slope (Keras ``ReLU``).

    ``f(x) = min(x, max_value)`` for ``x > threshold``, ``0 - negative_slope * (threshold - x)``
    otherwise (so ``negative_slope * (x - threshold)`` below the threshold).

    Args:
        max_value: a float ``>= 0`` capping the output, or ``None`` (no cap).
        negative_slope: a float ``>= 0``, the slope below ``threshold``.
        threshold: a float ``>= 0``; values at or below it are "off".

    >>> import numpy as np
    >>> ReLU(max_value=2.0, negative_slope=0.5, threshold=1.0)(np.array([-1.0, 0.5, 1.5, 4.0], "float32"))
    array([-1.  , -0.25,  1.5 ,  2.  ], dtype=float32)
    """

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0, threshold: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_value = None if max_value is None else real(max_value, "max_value", self.owner, low=0.0)
        self.negative_slope = real(negative_slope, "negative_slope", self.owner, low=0.0)
        self.threshold = real(threshold, "threshold", self.owner, low=0.0)

    def call(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.where(x > self.threshold, x, torch.zeros((), dtype=x.dtype, device=x.device))
        if self.max_value is not None:
            y = y.clamp(max=self.max_value)
        if self.negative_slope:
            y = y - self.negative_slope * F.relu(self.threshold - x)
        return y

    def _config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(_ElementwiseActivation):
    """Leaky rectified linear unit (Keras ``LeakyReLU``): ``x`` for ``x >= 0``, ``negative_slope * x`` below.

    Args:
        negative_slope: a float ``>= 0``. Keras 3's deprecated spelling ``alpha=`` is
            accepted too (with Keras's warning) and wins over ``negative_slope``, as in Keras.

    >>> import numpy as np
    >>> LeakyReLU()(np.array([-1.0, 2.0], "float32"))
    array([-0.3,  2. ], dtype=float32)
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.", stacklevel=2)
        super().__init__(**kwargs)
        self.negative_slope = real(negative_slope, "negative_slope", self.owner, low=0.0)

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def _config(self) -> dict[str, Any]:
        return {"negative_slope": self.negative_slope}


class ELU(_ElementwiseActivation):
    """Exponential linear unit (Keras ``ELU``): ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Keras 3 writes ``name`` and ``alpha`` first in the config; so does this layer.

    >>> import numpy as np
    >>> ELU(alpha=0.5)(np.array([-100.0, 2.0], "float32"))
    array([-0.5,  2. ], dtype=float32)
    """

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha = real(alpha, "alpha", self.owner)

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return F.elu(x, self.alpha)

    def get_config(self) -> dict[str, Any]:
        """Keras 3.15's ELU config, in its order: ``name``, ``alpha``, ``trainable``, ``dtype``."""
        config = super().get_config()
        return {"name": config.pop("name"), "alpha": self.alpha, **config}


def _large_negative(dtype: torch.dtype) -> float:
    """What a masked logit becomes: Keras uses -3e4 in float16 (its range ends at 65504), -1e9 otherwise."""
    return -3e4 if dtype == torch.float16 else -1e9


class Softmax(_ElementwiseActivation):
    """Softmax along ``axis`` (Keras ``Softmax``), optionally masked.

    Args:
        axis: an int, or a list of ints: the softmax is then taken over all of them at once
            (``exp(x - logsumexp(x, axis))``).

    Call with ``layer(x, mask=m)`` to give Keras's ``mask``: broadcastable to ``x`` (each
    dim 1 or equal, no more dims than ``x``), true (or ``> 0.5``) where a logit counts.
    Masked logits are replaced by a large negative number before the softmax and their
    outputs set to 0 after, as in Keras.

    >>> import numpy as np
    >>> Softmax()(np.array([[1.0, 2.0, 1.0]], "float32")).round(4)
    array([[0.2119, 0.5761, 0.2119]], dtype=float32)
    >>> Softmax()(np.array([[1.0, 2.0, 1.0]], "float32"), mask=np.array([[True, False, True]])).round(4)
    array([[0.5, 0. , 0.5]], dtype=float32)
    """

    def __init__(self, axis: int | Sequence[int] = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axes(axis, "axis", self.owner)

    def _check_input_shape(self, shape: Shape) -> None:
        resolve_axes(self.axis, len(shape), self.owner)

    def forward(self, inputs: Any, mask: Any = None) -> Any:
        """As :meth:`Layer.forward`, with Keras's optional ``mask``."""
        if mask is None:
            return super().forward(inputs)
        if not isinstance(inputs, torch.Tensor):
            x = arrays.to_tensor(inputs, self.owner)
            with torch.no_grad():
                return arrays.to_numpy(self.forward(x, torch.as_tensor(np.asarray(mask)))).copy()
        mask = torch.as_tensor(mask, device=inputs.device)
        self._check_mask(tuple(inputs.shape), tuple(mask.shape))
        keep = mask if mask.dtype == torch.bool else mask > 0.5
        compute = self.dtype_policy.compute_torch_dtype
        arrays.check_real(inputs, self.owner)
        x = inputs.to(compute)
        x = torch.where(keep, x, torch.tensor(_large_negative(x.dtype), dtype=x.dtype, device=x.device))
        y = super().forward(x)
        return torch.where(keep, y, torch.zeros((), dtype=y.dtype, device=y.device))

    def _check_mask(self, shape: Shape, mask_shape: Shape) -> None:
        fits = len(mask_shape) <= len(shape) and all(
            m in (1, i) for m, i in zip(reversed(mask_shape), reversed(shape))
        )
        if not fits:
            raise ValueError(
                f"{self.owner}: the `mask` must be broadcastable to the inputs, each of its dims 1 or the input's, "
                f"with no more dims. Received: inputs.shape={shape}, mask.shape={mask_shape}."
            )

    def call(self, x: torch.Tensor) -> torch.Tensor:
        dims = resolve_axes(self.axis, x.ndim, self.owner)
        if len(dims) == 1:
            return torch.softmax(x, dim=dims[0])
        return torch.exp(x - torch.logsumexp(x, dim=dims, keepdim=True))

    def _config(self) -> dict[str, Any]:
        return {"axis": self.axis}


class PReLU(_ElementwiseActivation):
    """Parametric ReLU (Keras ``PReLU``): ``x`` for ``x >= 0``, ``alpha * x`` below, ``alpha`` learned.

    Args:
        alpha_initializer: a Keras initializer (default ``'Zeros'``).
        alpha_regularizer: a Keras regularizer, or ``None``.
        alpha_constraint: a Keras constraint, or ``None``.
        shared_axes: an int or a list of ints, the axes (counted with the batch axis as 0,
            from 1 to rank - 1) along which ``alpha`` is shared: ``[1, 2]`` after a
            channels-last 2-D convolution gives one ``alpha`` per channel.

    The weight ``alpha`` has the input's shape without the batch dim, with 1 on the shared
    axes. The sizes of the other axes must be known at build.

    >>> import numpy as np
    >>> layer = PReLU(alpha_initializer="ones", shared_axes=[1])
    >>> layer(np.array([[[-2.0, 3.0]]], "float32")), layer.get_weights()[0].shape
    (array([[[-2.,  3.]]], dtype=float32), (1, 2))
    """

    def __init__(
        self,
        alpha_initializer: Any = "Zeros",
        alpha_regularizer: Any = None,
        alpha_constraint: Any = None,
        shared_axes: int | Sequence[int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        given = {"alpha_initializer": alpha_initializer, "alpha_regularizer": alpha_regularizer,
                 "alpha_constraint": alpha_constraint}
        self._options = weight_options(self.resolve_option, ("alpha",), given)
        if shared_axes is None:
            self.shared_axes = None
        else:
            listed = axes(shared_axes, "shared_axes", self.owner)
            self.shared_axes = [listed] if isinstance(listed, int) else listed
        self.register_parameter("alpha", None)

    def _check_input_shape(self, shape: Shape) -> None:
        shared = self.shared_axes or []
        bad = [a for a in shared if not 1 <= a < len(shape)]
        if bad:
            raise ValueError(
                f"{self.owner}: every entry of `shared_axes` must be an axis from 1 to {len(shape) - 1} of the input "
                f"(the batch axis is 0). Received: shared_axes={self.shared_axes} for an input of shape {shape}."
            )
        unknown = [d for d in range(1, len(shape)) if d not in shared and shape[d] is None]
        if unknown:
            raise ValueError(
                f"{self.owner}: the input's axes {unknown} must have known sizes (or be in `shared_axes`). "
                f"Received input shape {shape}."
            )
        if self.built and self._alpha_shape(shape) != self.weight_specs[0].keras_shape:
            raise ValueError(
                f"{self.owner}: the layer was built for inputs of shape {self._build_input_shape}; "
                f"received an input of shape {shape}."
            )

    def _alpha_shape(self, shape: Shape) -> tuple[int, ...]:
        return tuple(1 if d in (self.shared_axes or []) else shape[d] for d in range(1, len(shape)))

    def _build(self, input_shape: Shape) -> None:
        options = self._options
        self.add_weight(
            "alpha", self._alpha_shape(input_shape), initializer=options["alpha_initializer"],
            regularizer=options["alpha_regularizer"], constraint=options["alpha_constraint"],
        )

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x) - self.alpha * F.relu(-x)

    def _config(self) -> dict[str, Any]:
        return {**serialize_options(self._options), "shared_axes": self.shared_axes}
