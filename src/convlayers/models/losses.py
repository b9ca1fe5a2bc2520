"""Keras 3 losses on torch tensors: ``loss(y_true, y_pred)`` is a scalar, Keras's numbers.

Each loss function returns one value per sample (the mean over the last axis, as Keras's
``keras.losses.*`` functions do); a :class:`Loss` averages those over the batch (Keras's
``"sum_over_batch_size"`` reduction). Probabilities are expected unless ``from_logits=True``;
they are clipped to ``[1e-7, 1 - 1e-7]`` before the log, as Keras does, and categorical
outputs are renormalized to sum to 1 first.

Names (``get``): ``binary_crossentropy``/``bce``, ``categorical_crossentropy``,
``sparse_categorical_crossentropy``, ``mean_squared_error``/``mse``,
``mean_absolute_error``/``mae``, ``mean_absolute_percentage_error``/``mape``,
``mean_squared_logarithmic_error``/``msle``, ``huber``, ``log_cosh``/``logcosh``,
``kl_divergence``/``kld``, ``poisson``, ``hinge``, ``squared_hinge``, ``categorical_hinge``,
``cosine_similarity``, in lower case, upper-case short forms (``"MSE"``) or Keras class names
(``"MeanSquaredError"``).

>>> import torch
>>> get("sparse_categorical_crossentropy")(torch.tensor([0, 1]), torch.tensor([[0.5, 0.5], [0.2, 0.8]]))
tensor(0.4581)
"""

from __future__ import annotations

import math
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import Tensor

EPSILON = 1e-7  # keras.config.epsilon()

LossFn = Callable[[Tensor, Tensor], Tensor]


def match_ranks(y_true: Tensor, y_pred: Tensor) -> tuple[Tensor, Tensor]:
    """Keras's ``squeeze_or_expand_to_same_rank``: reconcile a trailing size-1 axis.

    >>> [tuple(t.shape) for t in match_ranks(torch.zeros(4), torch.zeros(4, 1))]
    [(4, 1), (4, 1)]
    """
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        return (y_true, y_pred.unsqueeze(-1)) if y_pred.ndim == 1 else (y_true.squeeze(-1), y_pred)
    if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        return (y_true.unsqueeze(-1), y_pred) if y_true.ndim == 1 else (y_true, y_pred.squeeze(-1))
    return y_true, y_pred


def _float(y_true: Tensor, y_pred: Tensor) -> Tensor:
    return y_true.to(device=y_pred.device, dtype=y_pred.dtype)


def mean_squared_error(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """``mean((y_true - y_pred) ** 2, axis=-1)``."""
    return (_float(y_true, y_pred) - y_pred).square().mean(-1)


def mean_absolute_error(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """``mean(|y_true - y_pred|, axis=-1)``."""
    return (_float(y_true, y_pred) - y_pred).abs().mean(-1)


def mean_absolute_percentage_error(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """``100 * mean(|(y_true - y_pred) / max(|y_true|, eps)|, axis=-1)``."""
    y_true = _float(y_true, y_pred)
    return 100.0 * ((y_true - y_pred) / y_true.abs().clamp_min(EPSILON)).abs().mean(-1)


def mean_squared_logarithmic_error(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """``mean((log(max(y_true, eps) + 1) - log(max(y_pred, eps) + 1)) ** 2, axis=-1)``."""
    y_true = _float(y_true, y_pred)
    return (torch.log1p(y_true.clamp_min(EPSILON)) - torch.log1p(y_pred.clamp_min(EPSILON))).square().mean(-1)


def huber(y_true: Tensor, y_pred: Tensor, delta: float = 1.0) -> Tensor:
    """``mean(0.5 e**2 if |e| <= delta else delta * |e| - 0.5 delta**2, axis=-1)``."""
    error = (_float(y_true, y_pred) - y_pred).abs()
    return torch.where(error <= delta, 0.5 * error.square(), delta * error - 0.5 * delta**2).mean(-1)


def log_cosh(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed without overflow."""
    x = y_pred - _float(y_true, y_pred)
    return (x + F.softplus(-2.0 * x) - math.log(2.0)).mean(-1)


def kl_divergence(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """``sum(t * log(t / p), axis=-1)`` with both clipped to ``[eps, 1]``."""
    y_true = _float(y_true, y_pred).clamp(EPSILON, 1.0)
    y_pred = y_pred.clamp(EPSILON, 1.0)
    return (y_true * torch.log(y_true / y_pred)).sum(-1)


def poisson(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``."""
    return (y_pred - _float(y_true, y_pred) * torch.log(y_pred + EPSILON)).mean(-1)


def _signed_labels(y_true: Tensor) -> Tensor:
    # Keras maps {0, 1} labels to {-1, 1} for the hinge losses.
    is_binary = torch.all((y_true == 0) | (y_true == 1))
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """``mean(max(1 - t * p, 0), axis=-1)``, labels in {-1, 1} (or {0, 1}, converted)."""
    return F.relu(1.0 - _signed_labels(_float(y_true, y_pred)) * y_pred).mean(-1)


def squared_hinge(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """``mean(max(1 - t * p, 0) ** 2, axis=-1)``."""
    return F.relu(1.0 - _signed_labels(_float(y_true, y_pred)) * y_pred).square().mean(-1)


def categorical_hinge(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """``max(0, 1 + max((1 - t) * p) - sum(t * p))`` with one-hot ``t``."""
    y_true = _float(y_true, y_pred)
    positive = (y_true * y_pred).sum(-1)
    negative = ((1.0 - y_true) * y_pred).amax(-1)
    return F.relu(1.0 + negative - positive)


def cosine_similarity(y_true: Tensor, y_pred: Tensor, axis: int = -1) -> Tensor:
    """``-sum(l2_normalize(t) * l2_normalize(p), axis)``: -1 for identical directions."""
    y_true = F.normalize(_float(y_true, y_pred), dim=axis, eps=1e-12)
    return -(y_true * F.normalize(y_pred, dim=axis, eps=1e-12)).sum(axis)


def binary_crossentropy(
    y_true: Tensor, y_pred: Tensor, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
) -> Tensor:
    """``mean(-(t log p + (1 - t) log(1 - p)), axis)`` with ``p`` clipped to ``[eps, 1 - eps]``."""
    y_true = _float(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        elementwise = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
    else:
        p = y_pred.clamp(EPSILON, 1.0 - EPSILON)
        elementwise = -(y_true * torch.log(p) + (1.0 - y_true) * torch.log(1.0 - p))
    return elementwise.mean(axis)


def categorical_crossentropy(
    y_true: Tensor, y_pred: Tensor, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
) -> Tensor:
    """``-sum(t * log(p), axis)`` with one-hot (or soft) targets ``t``."""
    y_true = _float(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "categorical_crossentropy: `y_true` and `y_pred` must have the same shape (one-hot targets; "
            f"use sparse_categorical_crossentropy for integer labels). Received: y_true.shape={tuple(y_true.shape)}, "
            f"y_pred.shape={tuple(y_pred.shape)}."
        )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[axis]
    return -(y_true * _log_probabilities(y_pred, from_logits, axis)).sum(axis)


def sparse_categorical_crossentropy(y_true: Tensor, y_pred: Tensor, from_logits: bool = False, axis: int = -1) -> Tensor:
    """``-log(p[label])`` with integer labels of shape ``y_pred.shape[:-1]`` (or with a trailing 1)."""
    labels = y_true.to(device=y_pred.device)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = labels.squeeze(-1)
    if tuple(labels.shape) != tuple(y_pred.shape[:-1]):
        raise ValueError(
            "sparse_categorical_crossentropy: `y_true` must hold one integer label per row of `y_pred`. "
            f"Received: y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}."
        )
    log_p = _log_probabilities(y_pred, from_logits, axis)
    return -log_p.gather(-1, labels.long().unsqueeze(-1)).squeeze(-1)


def _log_probabilities(y_pred: Tensor, from_logits: bool, axis: int) -> Tensor:
    if from_logits:
        return F.log_softmax(y_pred, dim=axis)
    p = y_pred / y_pred.sum(axis, keepdim=True)
    return torch.log(p.clamp(EPSILON, 1.0 - EPSILON))


REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def squeeze_or_expand_to_same_rank(x1: Tensor, x2: Tensor) -> tuple[Tensor, Tensor]:
    """Keras's rank reconciliation of losses and sample weights: drop, or add, a trailing size-1 axis.

    When the ranks differ by one and the longer has a last axis of size 1, that axis goes,
    unless the shorter is rank 1, which gains one instead.

    >>> [tuple(t.shape) for t in squeeze_or_expand_to_same_rank(torch.zeros(4), torch.zeros(4, 1))]
    [(4, 1), (4, 1)]
    >>> [tuple(t.shape) for t in squeeze_or_expand_to_same_rank(torch.zeros(4, 3, 1), torch.zeros(4, 3))]
    [(4, 3), (4, 3)]
    """
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        return (x1, x2.unsqueeze(-1)) if x2.ndim == 1 else (x1.squeeze(-1), x2)
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        return (x1.unsqueeze(-1), x2) if x1.ndim == 1 else (x1, x2.squeeze(-1))
    return x1, x2


def reduce_weighted_values(values: Tensor, sample_weight: Any = None, reduction: str | None = "sum_over_batch_size", name: str = "loss") -> Tensor:
    """Keras's ``reduce_weighted_values``: weight the per-sample losses, then reduce them.

    ``sample_weight`` has one weight per sample (``(N,)``), or one per loss value (``(N, T)``
    for losses of shape ``(N, T)``, e.g. per timestep); it must broadcast against the losses
    once a trailing size-1 axis is reconciled. Reductions: ``"sum_over_batch_size"`` and
    ``"mean"`` divide the weighted sum by the number of loss values; ``"sum"`` does not
    divide; ``"mean_with_sample_weight"`` divides by the sum of the weights; ``"none"``/``None``
    returns the weighted values. A scalar loss is returned as is when unweighted.

    >>> values = torch.tensor([1.0, 2.0, 3.0, 4.0])
    >>> reduce_weighted_values(values, torch.tensor([1.0, 1.0, 0.0, 0.0]))
    tensor(0.7500)
    >>> reduce_weighted_values(values, torch.tensor([1.0, 1.0, 0.0, 0.0]), "mean_with_sample_weight")
    tensor(1.5000)
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"Loss {name!r}: `reduction` must be one of {REDUCTIONS}. Received: reduction={reduction!r}.")
    if sample_weight is not None:
        weight = torch.as_tensor(sample_weight).to(device=values.device, dtype=values.dtype)
        values, weight = squeeze_or_expand_to_same_rank(values, weight)
        try:
            shape = torch.broadcast_shapes(values.shape, weight.shape)
        except RuntimeError:
            shape = None
        if shape != values.shape:
            raise ValueError(
                f"Loss {name!r}: `sample_weight` of shape {tuple(weight.shape)} does not match the per-sample losses of "
                f"shape {tuple(values.shape)}: give one weight per sample, or one per loss value (the target's leading dims)."
            )
        values = values * weight
        sample_weight = weight
    if reduction in (None, "none") or values.ndim == 0 or values.numel() == 0 and values.ndim == 1:
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        divisor = sample_weight.sum()
    else:
        divisor = torch.tensor(float(values.numel()), dtype=total.dtype, device=total.device)
    # Keras's divide_no_nan: an empty batch, or all-zero weights here, gives 0.
    return torch.where(divisor == 0, torch.zeros_like(total), total / torch.where(divisor == 0, torch.ones_like(divisor), divisor))


class Loss:
    """A loss: ``loss(y_true, y_pred, sample_weight=None)`` reduces a per-sample loss function, as Keras.

    With ``sample_weight``, the per-sample losses are multiplied by it and Keras's
    ``"sum_over_batch_size"`` reduction divides their sum by their **number** (not by the
    sum of the weights): a weight of 0 still counts the sample.

    Args:
        fn: ``(y_true, y_pred, **kwargs) -> per-sample losses``.
        name: the name logs and configs use.
        **kwargs: fixed arguments for ``fn`` (``from_logits``, ``delta``...).

    >>> import torch
    >>> Loss(mean_absolute_error, "mae")(torch.tensor([[1.0], [2.0]]), torch.tensor([[0.0], [0.0]]))
    tensor(1.5000)
    >>> Loss(mean_absolute_error, "mae")(torch.tensor([[1.0], [2.0]]), torch.zeros(2, 1), torch.tensor([0.0, 1.0]))
    tensor(1.)
    """

    #: How the weighted per-sample losses become one value (see :func:`reduce_weighted_values`).
    reduction = "sum_over_batch_size"

    def __init__(self, fn: Callable[..., Tensor], name: str, **kwargs: Any) -> None:
        self.fn = fn
        self.name = name
        self.kwargs = kwargs

    def __call__(self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None) -> Tensor:
        y_true, y_pred = match_ranks(torch.as_tensor(y_true), y_pred)
        values = torch.as_tensor(self.fn(y_true, y_pred, **self.kwargs))
        return reduce_weighted_values(values, sample_weight, self.reduction, self.name)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, **self.kwargs}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MeanSquaredError(Loss):
    """Keras ``MeanSquaredError``."""

    def __init__(self, name: str = "mean_squared_error") -> None:
        super().__init__(mean_squared_error, name)


class MeanAbsoluteError(Loss):
    """Keras ``MeanAbsoluteError``."""

    def __init__(self, name: str = "mean_absolute_error") -> None:
        super().__init__(mean_absolute_error, name)


class Huber(Loss):
    """Keras ``Huber(delta=1.0)``."""

    def __init__(self, delta: float = 1.0, name: str = "huber_loss") -> None:
        super().__init__(huber, name, delta=float(delta))


class BinaryCrossentropy(Loss):
    """Keras ``BinaryCrossentropy``: probabilities by default, logits with ``from_logits=True``."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1, name: str = "binary_crossentropy") -> None:
        super().__init__(binary_crossentropy, name, from_logits=bool(from_logits), label_smoothing=float(label_smoothing), axis=axis)


class CategoricalCrossentropy(Loss):
    """Keras ``CategoricalCrossentropy`` (one-hot targets)."""

    def __init__(
        self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1, name: str = "categorical_crossentropy"
    ) -> None:
        super().__init__(categorical_crossentropy, name, from_logits=bool(from_logits), label_smoothing=float(label_smoothing), axis=axis)


class SparseCategoricalCrossentropy(Loss):
    """Keras ``SparseCategoricalCrossentropy`` (integer labels).

    >>> import torch
    >>> SparseCategoricalCrossentropy(from_logits=True)(torch.tensor([1]), torch.tensor([[0.0, 0.0]]))
    tensor(0.6931)
    """

    def __init__(self, from_logits: bool = False, axis: int = -1, name: str = "sparse_categorical_crossentropy") -> None:
        super().__init__(sparse_categorical_crossentropy, name, from_logits=bool(from_logits), axis=axis)


FUNCTIONS: dict[str, Callable[..., Tensor]] = {
    fn.__name__: fn
    for fn in (
        binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy, mean_squared_error,
        mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error, huber, log_cosh,
        kl_divergence, poisson, hinge, squared_hinge, categorical_hinge, cosine_similarity,
    )
}
ALIASES = {
    "bce": "binary_crossentropy", "BCE": "binary_crossentropy",
    "mse": "mean_squared_error", "MSE": "mean_squared_error",
    "mae": "mean_absolute_error", "MAE": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error", "MAPE": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error", "MSLE": "mean_squared_logarithmic_error",
    "kld": "kl_divergence", "KLD": "kl_divergence", "kullback_leibler_divergence": "kl_divergence",
    "logcosh": "log_cosh",
}
CLASSES: dict[str, type[Loss]] = {
    cls.__name__: cls
    for cls in (MeanSquaredError, MeanAbsoluteError, Huber, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy)
}

# Keras's other loss classes and functions live in their own module, built on Loss above.
from .loss_classes import (  # noqa: E402
    BinaryFocalCrossentropy, CategoricalFocalCrossentropy, CategoricalHinge, CosineSimilarity, Dice, Hinge, KLDivergence,
    LogCosh, LossFunctionWrapper, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, Poisson, SquaredHinge, Tversky,
    binary_focal_crossentropy, categorical_focal_crossentropy, dice, tversky,
)
from . import loss_classes as _loss_classes  # noqa: E402

FUNCTIONS.update(_loss_classes.FUNCTIONS)
CLASSES.update(_loss_classes.CLASSES)


class TorchLoss(Loss):
    """A ``torch.nn`` loss module, called torch-style as ``module(y_pred, y_true)``.

    >>> import torch
    >>> TorchLoss(torch.nn.L1Loss())(torch.tensor([1.0]), torch.tensor([3.0]))
    tensor(2.)
    """

    def __init__(self, module: torch.nn.Module) -> None:
        super().__init__(module, type(module).__name__)

    def __call__(self, y_true: Tensor, y_pred: Tensor, sample_weight: Tensor | None = None) -> Tensor:
        if sample_weight is not None:
            raise ValueError(
                f"The torch loss {self.name} reduces its batch itself, so it cannot take `sample_weight` or "
                f"`class_weight`. Use a Keras loss (a name such as 'mse', or a convlayers.losses class)."
            )
        return self.fn(y_pred, torch.as_tensor(y_true, device=y_pred.device))


def get(identifier: Any) -> Loss:
    """The :class:`Loss` for a Keras name, a ``Loss``, a ``torch.nn`` loss module or a callable.

    A plain callable is called Keras-style as ``fn(y_true, y_pred)``; a non-scalar result is
    averaged, as Keras averages per-sample losses.

    >>> get("mse").name, get("MeanSquaredError").name, get(lambda t, p: (t - p).sum()).name
    ('mse', 'mean_squared_error', '<lambda>')
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, torch.nn.Module):
        return TorchLoss(identifier)
    if isinstance(identifier, str):
        name = ALIASES.get(identifier, identifier)
        if name in FUNCTIONS:
            return Loss(FUNCTIONS[name], identifier)
        if name in CLASSES:
            return CLASSES[name]()
        allowed = sorted(FUNCTIONS) + sorted(ALIASES) + sorted(CLASSES)
        raise ValueError(f"Unknown loss {identifier!r}. Allowed names: {', '.join(allowed)}; or pass a callable (y_true, y_pred) -> loss.")
    if callable(identifier):
        return Loss(identifier, getattr(identifier, "__name__", type(identifier).__name__))
    raise TypeError(
        f"Could not interpret loss {identifier!r}: expected a Keras loss name, a Loss, a torch.nn loss module "
        f"or a callable (y_true, y_pred) -> loss. Received type {type(identifier).__name__}."
    )


#: Keras's serialized function (``keras.saving.serialize_keras_object(keras.losses.mse)``), by module.
_FUNCTION_MODULES = ("builtins", "keras.losses", "keras.metrics")


def serialize(loss: Any) -> str | dict[str, Any]:
    """A loss as Keras 3 writes it in a ``compile_config``: a name as given, a loss class as Keras's serialized dict.

    Raises ``ValueError`` for what Keras cannot name (a torch loss module, a callable).

    >>> serialize("mse")
    'mse'
    >>> serialize(SparseCategoricalCrossentropy(from_logits=True))["config"]
    {'name': 'sparse_categorical_crossentropy', 'reduction': 'sum_over_batch_size', 'from_logits': True, 'axis': -1, 'ignore_class': None}
    """
    if isinstance(loss, str):
        return loss
    if type(loss) in CLASSES.values():
        config = {"name": loss.name, "reduction": loss.reduction, **loss.kwargs}
        if isinstance(loss, SparseCategoricalCrossentropy):
            config["ignore_class"] = None  # Keras's key; convlayers has no ignored class
        return {"module": "keras.losses", "class_name": type(loss).__name__, "config": config, "registered_name": None}
    raise ValueError(
        f"losses.serialize: Keras names a loss by a name ('mse'...) or a class ({', '.join(CLASSES)}). Received: {loss!r}."
    )


def deserialize(config: Any) -> str | Loss:
    """The loss a Keras ``compile_config`` (or a tf.keras 2 ``training_config``) names: a name, or a :class:`Loss`.

    Takes a name (kept as a name, checked), Keras's serialized function
    (``{"class_name": "function", "config": "mean_squared_error"}``) and a serialized loss
    class (``module``/``registered_name`` optional, as tf.keras 2 writes them; tf.keras 2's
    ``reduction="auto"`` is Keras 3's ``"sum_over_batch_size"``). Raises ``ValueError``
    naming what convlayers cannot rebuild: an unknown name or class, an ``ignore_class``,
    an argument the class does not take.

    >>> deserialize({"module": "keras.losses", "class_name": "SparseCategoricalCrossentropy",
    ...              "config": {"name": "scce", "reduction": "sum_over_batch_size", "from_logits": True, "ignore_class": None}})
    SparseCategoricalCrossentropy(name='scce', from_logits=True, axis=-1)
    >>> deserialize({"module": "builtins", "class_name": "function", "config": "mean_squared_error"})
    'mean_squared_error'
    """
    if isinstance(config, str):
        get(config)  # an unknown name is refused here
        return config
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"losses.deserialize: expected a loss name or a dict with 'class_name'. Received: {config!r}.")
    class_name, arguments = config["class_name"], config.get("config")
    if class_name == "function" and isinstance(arguments, str) and config.get("module", "builtins") in _FUNCTION_MODULES:
        return deserialize(arguments)
    cls = CLASSES.get(class_name)
    if cls is None:
        raise ValueError(f"Unknown loss class {class_name!r}. convlayers rebuilds {', '.join(CLASSES)}, or loss names.")
    arguments = dict(arguments or {})
    reduction = arguments.pop("reduction", Loss.reduction)
    reduction = Loss.reduction if reduction == "auto" else reduction  # tf.keras 2's default
    if reduction not in REDUCTIONS:
        raise ValueError(f"Loss {class_name}: `reduction` must be one of {REDUCTIONS}. Received: reduction={reduction!r}.")
    dtype = arguments.pop("dtype", None)
    if dtype not in (None, "float32"):
        raise ValueError(f"Loss {class_name}: convlayers computes losses in float32. Received: dtype={dtype!r}.")
    if arguments.pop("ignore_class", None) is not None:
        raise ValueError(f"Loss {class_name}: convlayers has no `ignore_class`. Received: ignore_class={config['config']['ignore_class']!r}.")
    try:
        loss = cls(**arguments)
    except TypeError as error:
        raise ValueError(f"Loss {class_name}: {error}. Received config: {arguments!r}.") from None
    if reduction != Loss.reduction:
        loss.reduction = reduction
    return loss
