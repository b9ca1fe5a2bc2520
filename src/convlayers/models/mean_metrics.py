"""Keras 3's mean-of-a-function metrics (regression, probabilistic, hinge, accuracy), ``Sum``, RMSE and ``R2Score``.

Each ``MeanMetricWrapper`` class averages its function's per-sample values over everything
seen since ``reset_state``, weighted by ``sample_weight`` (Keras's ``Mean``). Names, defaults
and ``get_config`` are Keras's.

>>> import torch
>>> m = RootMeanSquaredError()
>>> m.update_state(torch.tensor([[0.0, 1.0], [1.0, 1.0]]), torch.tensor([[1.0, 1.0], [1.0, 3.0]]))
>>> m.result(), m.name
(1.118033988749895, 'root_mean_squared_error')
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import torch
from torch import Tensor

from . import losses
from .metrics import MeanMetricWrapper, Metric, top_k_categorical_accuracy, sparse_top_k_categorical_accuracy


def accuracy(y_true: Tensor, y_pred: Tensor) -> Tensor:
    """Keras's ``accuracy``: ``y_true == y_pred`` elementwise, as floats.

    >>> import torch
    >>> accuracy(torch.tensor([1, 2, 3]), torch.tensor([1.0, 2.0, 4.0]))
    tensor([1., 1., 0.])
    """
    y_pred = torch.as_tensor(y_pred)
    y_true, y_pred = losses.squeeze_or_expand_to_same_rank(torch.as_tensor(y_true).to(y_pred.dtype), y_pred)
    return (y_true == y_pred).to(torch.float32)


def cosine_similarity(y_true: Tensor, y_pred: Tensor, axis: int = -1) -> Tensor:
    """Keras's metric ``cosine_similarity``: ``sum(l2_normalize(t) * l2_normalize(p), axis)`` (1 when aligned).

    >>> import torch
    >>> cosine_similarity(torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 1.0]]))
    tensor([0.7071])
    """
    y_true = torch.as_tensor(y_true).to(y_pred.dtype)
    y_true, y_pred = losses.squeeze_or_expand_to_same_rank(y_true, y_pred)
    # Keras's normalize: x / sqrt(max(sum(x ** 2), 1e-12)).
    norm = lambda x: x / torch.sqrt(x.square().sum(axis, keepdim=True).clamp_min(1e-12))  # noqa: E731
    return (norm(y_true) * norm(y_pred)).sum(axis)


class _Wrapped(MeanMetricWrapper):
    """A Keras ``MeanMetricWrapper`` class: ``config_keys`` are the arguments its ``get_config`` adds."""

    fn: Any = None
    direction = "down"
    config_keys: tuple[str, ...] = ()

    def __init__(self, name: str, **kwargs: Any) -> None:
        super().__init__(type(self).fn, name, type(self).direction, **kwargs)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": "float32", **{key: self.kwargs[key] for key in self.config_keys}}


def _simple(class_name: str, fn: Any, default_name: str, direction: str = "down", doc: str = "") -> type[_Wrapped]:
    """A wrapped metric class whose only argument is ``name``."""

    def __init__(self: _Wrapped, name: str = default_name) -> None:
        _Wrapped.__init__(self, name)

    return type(class_name, (_Wrapped,), {"fn": staticmethod(fn), "direction": direction, "__init__": __init__, "__doc__": doc, "__module__": __name__})


MeanSquaredError = _simple("MeanSquaredError", losses.mean_squared_error, "mean_squared_error", doc="Keras ``MeanSquaredError`` metric.\n\n    >>> MeanSquaredError().name\n    'mean_squared_error'\n    ")
MeanAbsoluteError = _simple("MeanAbsoluteError", losses.mean_absolute_error, "mean_absolute_error", doc="Keras ``MeanAbsoluteError`` metric.\n\n    >>> MeanAbsoluteError().name\n    'mean_absolute_error'\n    ")
MeanAbsolutePercentageError = _simple(
    "MeanAbsolutePercentageError", losses.mean_absolute_percentage_error, "mean_absolute_percentage_error",
    doc="Keras ``MeanAbsolutePercentageError`` metric.\n\n    >>> MeanAbsolutePercentageError().name\n    'mean_absolute_percentage_error'\n    ",
)
MeanSquaredLogarithmicError = _simple(
    "MeanSquaredLogarithmicError", losses.mean_squared_logarithmic_error, "mean_squared_logarithmic_error",
    doc="Keras ``MeanSquaredLogarithmicError`` metric.\n\n    >>> MeanSquaredLogarithmicError().name\n    'mean_squared_logarithmic_error'\n    ",
)
LogCoshError = _simple("LogCoshError", losses.log_cosh, "logcosh", doc="Keras ``LogCoshError`` (logged as ``logcosh``).\n\n    >>> LogCoshError().name\n    'logcosh'\n    ")
KLDivergence = _simple("KLDivergence", losses.kl_divergence, "kl_divergence", doc="Keras ``KLDivergence`` metric.\n\n    >>> KLDivergence().name\n    'kl_divergence'\n    ")
Poisson = _simple("Poisson", losses.poisson, "poisson", doc="Keras ``Poisson`` metric.\n\n    >>> Poisson().name\n    'poisson'\n    ")
Hinge = _simple("Hinge", losses.hinge, "hinge", doc="Keras ``Hinge`` metric.\n\n    >>> Hinge().name\n    'hinge'\n    ")
SquaredHinge = _simple("SquaredHinge", losses.squared_hinge, "squared_hinge", doc="Keras ``SquaredHinge`` metric.\n\n    >>> SquaredHinge().name\n    'squared_hinge'\n    ")
CategoricalHinge = _simple(
    "CategoricalHinge", losses.categorical_hinge, "categorical_hinge",
    doc="Keras ``CategoricalHinge`` metric.\n\n    >>> CategoricalHinge().name\n    'categorical_hinge'\n    ",
)
Accuracy = _simple("Accuracy", accuracy, "accuracy", "up", doc="Keras ``Accuracy``: how often ``y_pred == y_true`` exactly.\n\n    >>> Accuracy().name\n    'accuracy'\n    ")


class CosineSimilarity(_Wrapped):
    """Keras ``CosineSimilarity`` metric: the mean cosine similarity (higher is better).

    >>> import torch
    >>> m = CosineSimilarity(); m.update_state(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.0, 3.0]])); m.result()
    1.0
    """

    fn, direction = staticmethod(cosine_similarity), "up"

    def __init__(self, name: str = "cosine_similarity", axis: int = -1) -> None:
        super().__init__(name, axis=axis)


class TopKCategoricalAccuracy(_Wrapped):
    """Keras ``TopKCategoricalAccuracy``: how often the one-hot target is among the ``k`` largest predictions.

    >>> import torch
    >>> m = TopKCategoricalAccuracy(k=1); m.update_state(torch.tensor([[0, 1]]), torch.tensor([[0.2, 0.8]])); m.result()
    1.0
    """

    fn, direction, config_keys = staticmethod(top_k_categorical_accuracy), "up", ("k",)

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy") -> None:
        super().__init__(name, k=k)


class SparseTopKCategoricalAccuracy(_Wrapped):
    """Keras ``SparseTopKCategoricalAccuracy``: how often the integer label is among the ``k`` largest predictions.

    >>> import torch
    >>> m = SparseTopKCategoricalAccuracy(k=1); m.update_state(torch.tensor([0]), torch.tensor([[0.2, 0.8]])); m.result()
    0.0
    """

    fn, direction, config_keys = staticmethod(sparse_top_k_categorical_accuracy), "up", ("k",)

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy") -> None:
        super().__init__(name, k=k)


class BinaryCrossentropy(_Wrapped):
    """Keras ``BinaryCrossentropy`` metric.

    >>> BinaryCrossentropy(from_logits=True).get_config()
    {'name': 'binary_crossentropy', 'dtype': 'float32', 'from_logits': True, 'label_smoothing': 0}
    """

    fn, config_keys = staticmethod(losses.binary_crossentropy), ("from_logits", "label_smoothing")

    def __init__(self, name: str = "binary_crossentropy", from_logits: bool = False, label_smoothing: float = 0) -> None:
        super().__init__(name, from_logits=from_logits, label_smoothing=label_smoothing)


class CategoricalCrossentropy(_Wrapped):
    """Keras ``CategoricalCrossentropy`` metric.

    >>> CategoricalCrossentropy().name
    'categorical_crossentropy'
    """

    fn, config_keys = staticmethod(losses.categorical_crossentropy), ("from_logits", "label_smoothing", "axis")

    def __init__(self, name: str = "categorical_crossentropy", from_logits: bool = False, label_smoothing: float = 0, axis: int = -1) -> None:
        super().__init__(name, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_Wrapped):
    """Keras ``SparseCategoricalCrossentropy`` metric (``ignore_class`` is not supported).

    >>> SparseCategoricalCrossentropy().name
    'sparse_categorical_crossentropy'
    """

    fn = staticmethod(losses.sparse_categorical_crossentropy)

    def __init__(self, name: str = "sparse_categorical_crossentropy", from_logits: bool = False, ignore_class: int | None = None, axis: int = -1) -> None:
        if ignore_class is not None:
            raise ValueError(f"SparseCategoricalCrossentropy: `ignore_class` is not supported by convlayers. Received: ignore_class={ignore_class!r}")
        super().__init__(name, from_logits=from_logits, axis=axis)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": "float32", "from_logits": self.kwargs["from_logits"], "ignore_class": None, "axis": self.kwargs["axis"]}


class Sum(Metric):
    """Keras ``Sum``: the (weighted) sum of every value given to ``update_state``.

    >>> import torch
    >>> m = Sum(); m.update_state(torch.tensor([1.0, 3.0, 5.0, 7.0])); m.result()
    16.0
    """

    def __init__(self, name: str = "sum") -> None:
        super().__init__(name, "up")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:  # type: ignore[override]
        values = torch.as_tensor(values).detach().double()
        if sample_weight is not None:
            weight = torch.as_tensor(sample_weight).double()
            values, weight = losses.squeeze_or_expand_to_same_rank(values, weight)
            if values.ndim > weight.ndim:
                values = values.sum(tuple(range(weight.ndim, values.ndim)))
            values = values * weight.broadcast_to(values.shape)
        self._total += float(values.sum())

    def result(self) -> float:
        return self._total

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": "float32"}


class RootMeanSquaredError(Metric):
    """Keras ``RootMeanSquaredError``: ``sqrt`` of the (weighted) mean squared error."""

    def __init__(self, name: str = "root_mean_squared_error") -> None:
        super().__init__(name, "down")

    def update_state(self, y_true: Any, y_pred: Tensor, sample_weight: Any = None) -> None:
        y_pred = torch.as_tensor(y_pred)
        y_true, y_pred = losses.squeeze_or_expand_to_same_rank(torch.as_tensor(y_true).to(y_pred.dtype), y_pred)
        self._accumulate((y_pred - y_true).square(), sample_weight)

    def result(self) -> float:
        return math.sqrt(super().result())

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": "float32"}


class R2Score(Metric):
    """Keras ``R2Score``: the coefficient of determination per output column, aggregated.

    Args:
        class_aggregation: ``"uniform_average"`` (mean over columns), ``"variance_weighted_average"``
            or ``None`` (one score per column, as a list).
        num_regressors: ``p`` for the adjusted R2 ``1 - (1 - R2)(n - 1)/(n - p - 1)``.

    Inputs are ``(batch, outputs)``.

    >>> import torch
    >>> m = R2Score(); m.update_state(torch.tensor([[1.0], [4.0], [3.0]]), torch.tensor([[2.0], [4.0], [4.0]])); round(m.result(), 6)
    0.571429
    """

    AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")

    def __init__(self, class_aggregation: str | None = "uniform_average", num_regressors: int = 0, name: str = "r2_score") -> None:
        if class_aggregation not in self.AGGREGATIONS:
            raise ValueError(
                f"R2Score: invalid value for argument `class_aggregation`. Expected one of {self.AGGREGATIONS}. "
                f"Received: class_aggregation={class_aggregation!r}"
            )
        if num_regressors < 0:
            raise ValueError(f"R2Score: invalid value for argument `num_regressors`. Expected a value >= 0. Received: num_regressors={num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        super().__init__(name, "up")

    def reset_state(self) -> None:
        self.sums: dict[str, Tensor] | None = None
        self.num_samples = 0

    def update_state(self, y_true: Any, y_pred: Tensor, sample_weight: Any = None) -> None:
        y_pred = torch.as_tensor(y_pred).detach().double()
        y_true, y_pred = losses.squeeze_or_expand_to_same_rank(torch.as_tensor(y_true).double(), y_pred)
        if y_true.ndim != 2 or y_pred.ndim != 2:
            raise ValueError(
                f"R2Score expects 2D inputs with shape (batch_size, output_dim). Received input shapes: "
                f"y_pred.shape={tuple(y_pred.shape)} and y_true.shape={tuple(y_true.shape)}."
            )
        weight = torch.ones(()) if sample_weight is None else torch.as_tensor(sample_weight).double()
        if weight.ndim == 1:
            weight = weight.unsqueeze(1)
        weight = weight.double().broadcast_to(y_true.shape)
        batch = {
            "sum": (y_true * weight).sum(0), "squared_sum": (y_true * y_true * weight).sum(0),
            "residual": ((y_true - y_pred).square() * weight).sum(0), "count": weight.sum(0),
        }
        self.sums = batch if self.sums is None else {key: self.sums[key] + batch[key] for key in batch}
        self.num_samples += y_true.numel()

    def result(self) -> float | list[float]:
        if self.sums is None:
            return 0.0
        s = self.sums
        mean = s["sum"] / s["count"]
        total = s["squared_sum"] - s["sum"] * mean
        raw = 1.0 - s["residual"] / total
        raw = torch.where(torch.isinf(raw), torch.zeros_like(raw), raw)
        if self.class_aggregation is None:
            score: Tensor = raw
        elif self.class_aggregation == "uniform_average":
            score = raw.mean()
        else:
            score = (total * raw).sum() / total.sum()
        n, p = self.num_samples, self.num_regressors
        if p:
            if p > n - 1:
                warnings.warn("More independent predictors than datapoints in adjusted R2 score. Falling back to standard R2 score.", stacklevel=2)
            elif p == n - 1:
                warnings.warn("Division by zero in Adjusted R2 score. Falling back to standard R2 score.", stacklevel=2)
            else:
                score = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        return score.tolist() if score.ndim else float(score)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": "float32", "class_aggregation": self.class_aggregation, "num_regressors": self.num_regressors}


CLASSES: dict[str, type[Metric]] = {
    cls.__name__: cls
    for cls in (
        MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, LogCoshError, KLDivergence,
        Poisson, Hinge, SquaredHinge, CategoricalHinge, Accuracy, CosineSimilarity, TopKCategoricalAccuracy,
        SparseTopKCategoricalAccuracy, BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, Sum,
        RootMeanSquaredError, R2Score,
    )
}
