"""Keras 3's loss classes beyond the basic ones, and the loss functions it exports that were missing.

Every class takes Keras's ``reduction`` (``"sum_over_batch_size"``, ``"sum"``, ``"mean"``,
``"mean_with_sample_weight"``, ``"none"`` or ``None``) and ``name``, and reduces its per-sample
values with ``sample_weight`` through :func:`convlayers.models.losses.reduce_weighted_values`,
as Keras's ``Loss.__call__`` does. ``get_config`` holds exactly the keys Keras writes.

>>> import torch
>>> Dice(reduction=None, axis=(1, 2))(torch.ones(2, 2, 2), torch.full((2, 2, 2), 0.5))
tensor([0.3333, 0.3333])
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from . import losses
from .losses import EPSILON

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def binary_focal_crossentropy(
    y_true: Tensor,
    y_pred: Tensor,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Keras's ``binary_focal_crossentropy``: ``mean((1 - p_t) ** gamma * bce, axis)``.

    ``p_t = t p + (1 - t)(1 - p)``; with ``apply_class_balancing`` each value is also
    weighted ``alpha`` for class 1 and ``1 - alpha`` for class 0.

    >>> import torch
    >>> binary_focal_crossentropy(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.6, 0.4]]), gamma=2.0)
    tensor([0.3299])
    """
    y_true = y_true.to(device=y_pred.device, dtype=y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = torch.sigmoid(y_pred)
    p = y_pred.clamp(EPSILON, 1.0 - EPSILON)
    bce = -(y_true * torch.log(p) + (1.0 - y_true) * torch.log(1.0 - p))
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal = (1.0 - p_t).pow(gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1.0 - y_true) * (1.0 - alpha)) * focal
    return focal.mean(axis)


def categorical_focal_crossentropy(
    y_true: Tensor,
    y_pred: Tensor,
    alpha: float | Sequence[float] = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Keras's ``categorical_focal_crossentropy``: ``sum(alpha (1 - p) ** gamma * -t log p, axis)``.

    ``p`` is renormalized to sum to 1 and clipped to ``[eps, 1 - eps]``; ``alpha`` may be one
    weight per class.

    >>> import torch
    >>> categorical_focal_crossentropy(torch.tensor([[0.0, 1.0, 0.0]]), torch.tensor([[0.05, 0.9, 0.05]]))
    tensor([0.0003])
    """
    if isinstance(axis, bool):
        raise ValueError(f"categorical_focal_crossentropy: `axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")
    y_true = y_true.to(device=y_pred.device, dtype=y_pred.dtype)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if from_logits:
        y_pred = torch.softmax(y_pred, dim=axis)
    p = (y_pred / y_pred.sum(axis, keepdim=True)).clamp(EPSILON, 1.0 - EPSILON)
    weight = torch.as_tensor(alpha, dtype=p.dtype, device=p.device) * (1.0 - p).pow(gamma)
    return (weight * -y_true * torch.log(p)).sum(axis)


def dice(y_true: Tensor, y_pred: Tensor, axis: int | Sequence[int] | None = None) -> Tensor:
    """Keras's ``dice``: ``1 - 2 sum(t p) / (sum(t) + sum(p) + eps)`` over ``axis`` (all axes if ``None``).

    >>> import torch
    >>> dice(torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 1.0]]))
    tensor(0.3333)
    """
    y_true = y_true.to(device=y_pred.device, dtype=y_pred.dtype)
    dims = _dims(axis)
    intersection = _sum(y_true * y_pred, dims)
    return 1.0 - 2.0 * intersection / (_sum(y_true, dims) + _sum(y_pred, dims) + EPSILON)


def tversky(y_true: Tensor, y_pred: Tensor, alpha: float = 0.5, beta: float = 0.5, axis: int | Sequence[int] | None = None) -> Tensor:
    """Keras's ``tversky``: ``1 - TP / (TP + alpha FP + beta FN + eps)``, soft counts over ``axis``.

    Keras's soft counts: ``FP = sum((1 - p) t)`` and ``FN = sum(p (1 - t))``.

    >>> import torch
    >>> tversky(torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 1.0]]), alpha=0.3, beta=0.7)
    tensor(0.4118)
    """
    y_true = y_true.to(device=y_pred.device, dtype=y_pred.dtype)
    dims = _dims(axis)
    intersection = _sum(y_true * y_pred, dims)
    fp = _sum((1.0 - y_pred) * y_true, dims)
    fn = _sum(y_pred * (1.0 - y_true), dims)
    return 1.0 - intersection / (intersection + fp * alpha + fn * beta + EPSILON)


def _dims(axis: int | Sequence[int] | None) -> tuple[int, ...] | None:
    if axis is None:
        return None
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _sum(x: Tensor, dims: tuple[int, ...] | None) -> Tensor:
    return x.sum() if dims is None else x.sum(dims)


class LossFunctionWrapper(losses.Loss):
    """A Keras loss class: ``fn``'s per-sample values, weighted and reduced by ``reduction``.

    Subclasses list in ``config_keys`` the constructor arguments Keras writes in ``get_config``
    (after ``name`` and ``reduction``).

    >>> import torch
    >>> loss = LossFunctionWrapper(losses.mean_absolute_error, reduction="sum", name="mae")
    >>> loss(torch.tensor([[1.0], [2.0]]), torch.zeros(2, 1)), loss.get_config()
    (tensor(3.), {'name': 'mae', 'reduction': 'sum'})
    """

    config_keys: tuple[str, ...] = ()

    def __init__(self, fn: Callable[..., Tensor], reduction: str | None = "sum_over_batch_size", name: str | None = None, **kwargs: Any) -> None:
        if reduction not in REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: invalid value for argument `reduction`. Expected one of {REDUCTIONS}. "
                f"Received: reduction={reduction!r}"
            )
        super().__init__(fn, name or getattr(fn, "__name__", type(self).__name__), **kwargs)
        self.reduction = reduction

    def __call__(self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None) -> Tensor:
        y_true, y_pred = losses.match_ranks(torch.as_tensor(y_true), y_pred)
        values = torch.as_tensor(self.fn(y_true, y_pred, **self.kwargs))
        if values.ndim == 0 and sample_weight is not None:
            # Keras weighs a whole-batch value (Dice or Tversky with axis=None) by each weight, then reduces those.
            values = values.expand(torch.as_tensor(sample_weight).shape)
        return losses.reduce_weighted_values(values, sample_weight, self.reduction, self.name)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reduction": self.reduction, **{key: self.kwargs[key] for key in self.config_keys}}


class Hinge(LossFunctionWrapper):
    """Keras ``Hinge``: ``mean(max(1 - t p, 0))``, labels in {-1, 1} (or {0, 1}).

    >>> import torch
    >>> Hinge()(torch.tensor([[1.0, -1.0]]), torch.tensor([[0.5, 0.5]]))
    tensor(1.)
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "hinge") -> None:
        super().__init__(losses.hinge, reduction, name)


class SquaredHinge(LossFunctionWrapper):
    """Keras ``SquaredHinge``: ``mean(max(1 - t p, 0) ** 2)``.

    >>> import torch
    >>> SquaredHinge()(torch.tensor([[1.0, -1.0]]), torch.tensor([[0.5, 0.5]]))
    tensor(1.2500)
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "squared_hinge") -> None:
        super().__init__(losses.squared_hinge, reduction, name)


class CategoricalHinge(LossFunctionWrapper):
    """Keras ``CategoricalHinge``: ``max(0, 1 + max((1 - t) p) - sum(t p))``.

    >>> import torch
    >>> CategoricalHinge()(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.6, 0.4]]))
    tensor(1.2000)
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "categorical_hinge") -> None:
        super().__init__(losses.categorical_hinge, reduction, name)


class KLDivergence(LossFunctionWrapper):
    """Keras ``KLDivergence``: ``sum(t log(t / p))`` with both clipped to ``[eps, 1]``.

    >>> import torch
    >>> KLDivergence()(torch.tensor([[0.5, 0.5]]), torch.tensor([[0.25, 0.75]]))
    tensor(0.1438)
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "kl_divergence") -> None:
        super().__init__(losses.kl_divergence, reduction, name)


class LogCosh(LossFunctionWrapper):
    """Keras ``LogCosh``: ``mean(log(cosh(p - t)))``.

    >>> import torch
    >>> LogCosh()(torch.tensor([[0.0]]), torch.tensor([[1.0]]))
    tensor(0.4338)
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "log_cosh") -> None:
        super().__init__(losses.log_cosh, reduction, name)


class Poisson(LossFunctionWrapper):
    """Keras ``Poisson``: ``mean(p - t log(p + eps))``.

    >>> import torch
    >>> Poisson()(torch.tensor([[1.0]]), torch.tensor([[1.0]]))
    tensor(1.0000)
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "poisson") -> None:
        super().__init__(losses.poisson, reduction, name)


class CosineSimilarity(LossFunctionWrapper):
    """Keras ``CosineSimilarity`` loss: ``-cos(t, p)`` along ``axis`` (-1 when aligned).

    Keras's ``get_config`` leaves ``axis`` out; so does this one.

    >>> import torch
    >>> CosineSimilarity()(torch.tensor([[1.0, 0.0]]), torch.tensor([[2.0, 0.0]]))
    tensor(-1.)
    """

    def __init__(self, axis: int = -1, reduction: str | None = "sum_over_batch_size", name: str = "cosine_similarity") -> None:
        super().__init__(losses.cosine_similarity, reduction, name, axis=axis)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Keras ``MeanAbsolutePercentageError``: ``100 mean(|(t - p) / max(|t|, eps)|)``.

    >>> import torch
    >>> MeanAbsolutePercentageError()(torch.tensor([[2.0]]), torch.tensor([[1.0]]))
    tensor(50.)
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "mean_absolute_percentage_error") -> None:
        super().__init__(losses.mean_absolute_percentage_error, reduction, name)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Keras ``MeanSquaredLogarithmicError``: ``mean((log(1 + t) - log(1 + p)) ** 2)``.

    >>> import torch
    >>> MeanSquaredLogarithmicError()(torch.tensor([[0.0]]), torch.tensor([[1.0]]))
    tensor(0.4805)
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "mean_squared_logarithmic_error") -> None:
        super().__init__(losses.mean_squared_logarithmic_error, reduction, name)


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Keras ``BinaryFocalCrossentropy`` (see :func:`binary_focal_crossentropy`).

    >>> import torch
    >>> BinaryFocalCrossentropy(gamma=2.0)(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.6, 0.4]]))
    tensor(0.3299)
    """

    config_keys = ("from_logits", "label_smoothing", "axis", "apply_class_balancing", "alpha", "gamma")

    def __init__(
        self,
        apply_class_balancing: bool = False,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "binary_focal_crossentropy",
    ) -> None:
        super().__init__(
            binary_focal_crossentropy, reduction, name, apply_class_balancing=apply_class_balancing, alpha=alpha,
            gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
        )


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Keras ``CategoricalFocalCrossentropy`` (see :func:`categorical_focal_crossentropy`).

    >>> import torch
    >>> CategoricalFocalCrossentropy()(torch.tensor([[0.0, 1.0, 0.0]]), torch.tensor([[0.1, 0.85, 0.05]]))
    tensor(0.0009)
    """

    config_keys = ("from_logits", "label_smoothing", "axis", "alpha", "gamma")

    def __init__(
        self,
        alpha: float | Sequence[float] = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_focal_crossentropy",
    ) -> None:
        super().__init__(
            categorical_focal_crossentropy, reduction, name, alpha=alpha, gamma=gamma, from_logits=from_logits,
            label_smoothing=label_smoothing, axis=axis,
        )


class Dice(LossFunctionWrapper):
    """Keras ``Dice`` (see :func:`dice`); ``axis=None`` gives one value for the whole batch.

    >>> import torch
    >>> Dice()(torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 1.0]]))
    tensor(0.3333)
    """

    config_keys = ("axis",)

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "dice", axis: int | Sequence[int] | None = None) -> None:
        super().__init__(dice, reduction, name, axis=axis)


class Tversky(LossFunctionWrapper):
    """Keras ``Tversky`` (see :func:`tversky`); ``alpha = beta = 0.5`` is the Dice loss.

    >>> import torch
    >>> Tversky(alpha=0.3, beta=0.7)(torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 1.0]]))
    tensor(0.4118)
    """

    config_keys = ("alpha", "beta", "axis")

    def __init__(
        self,
        alpha: float = 0.5,
        beta: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str = "tversky",
        axis: int | Sequence[int] | None = None,
    ) -> None:
        super().__init__(tversky, reduction, name, alpha=alpha, beta=beta, axis=axis)


FUNCTIONS: dict[str, Callable[..., Tensor]] = {
    fn.__name__: fn for fn in (binary_focal_crossentropy, categorical_focal_crossentropy, dice, tversky)
}
CLASSES: dict[str, type[LossFunctionWrapper]] = {
    cls.__name__: cls
    for cls in (
        Hinge, SquaredHinge, CategoricalHinge, KLDivergence, LogCosh, Poisson, CosineSimilarity, MeanAbsolutePercentageError,
        MeanSquaredLogarithmicError, BinaryFocalCrossentropy, CategoricalFocalCrossentropy, Dice, Tversky,
    )
}
