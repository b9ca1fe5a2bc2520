"""Keras 3's thresholded confusion-matrix metrics: counts, Precision, Recall, AUC and the ``...At...`` family.

A prediction is positive at a threshold when ``y_pred > threshold``; a label is positive when
non-zero. Counts are accumulated per threshold, weighted by ``sample_weight``. Thresholds
evenly spread over ``[0, 1]`` (AUC's, and the ``...At...`` metrics') are counted Keras's
bucketed way: a prediction ``p`` (clipped to ``[0, 1]``) falls in bucket
``ceil(p (n - 1)) - 1`` in float32, and counts as positive at every threshold up to its bucket.

>>> import torch
>>> m = Precision()
>>> m.update_state(torch.tensor([0, 1, 1, 1]), torch.tensor([1.0, 0.0, 1.0, 1.0]))
>>> m.result()
0.6666666666666666
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import Tensor

from .losses import EPSILON, squeeze_or_expand_to_same_rank
from .metrics import Metric

NEG_INF = -1e10  # Keras's stand-in for predictions outside the top k


def _divide_no_nan(x: Tensor, y: Tensor) -> Tensor:
    return torch.where(y == 0, torch.zeros_like(x), x / torch.where(y == 0, torch.ones_like(y), y))


def _is_evenly_distributed(thresholds: Sequence[float]) -> bool:
    n = len(thresholds)
    if n < 3:
        return False
    even = torch.arange(n, dtype=torch.float32) / (n - 1)
    return bool(torch.allclose(torch.tensor(thresholds, dtype=torch.float64), even.double(), rtol=1e-5, atol=EPSILON))


def _parse_thresholds(owner: str, thresholds: Any, default: float) -> list[float]:
    if thresholds is None:
        return [default]
    values = [float(t) for t in (thresholds if isinstance(thresholds, (list, tuple)) else [thresholds])]
    bad = [t for t in values if not 0.0 <= t <= 1.0]
    if bad:
        raise ValueError(f"{owner}: threshold values must be in [0, 1]. Received: thresholds={thresholds!r}")
    return values


def _top_k_filter(y_pred: Tensor, k: int) -> Tensor:
    index = y_pred.topk(min(k, y_pred.shape[-1]), dim=-1).indices
    keep = torch.zeros_like(y_pred, dtype=torch.bool).scatter_(-1, index, True)
    return torch.where(keep, y_pred, torch.full_like(y_pred, NEG_INF))


def confusion_counts(
    y_true: Any,
    y_pred: Any,
    thresholds: Sequence[float],
    *,
    evenly: bool = False,
    top_k: int | None = None,
    class_id: int | None = None,
    sample_weight: Any = None,
    multi_label: bool = False,
    label_weights: Tensor | None = None,
) -> dict[str, Tensor]:
    """One batch's weighted ``tp``, ``fp``, ``tn``, ``fn`` per threshold (Keras's ``update_confusion_matrix_variables``).

    Each count has shape ``(len(thresholds),)``, or ``(len(thresholds), labels)`` with ``multi_label``.

    >>> import torch
    >>> {k: v.tolist() for k, v in confusion_counts(torch.tensor([1, 0]), torch.tensor([0.7, 0.6]), [0.5, 0.65]).items()}
    {'tp': [1.0, 1.0], 'fp': [1.0, 0.0], 'tn': [0.0, 1.0], 'fn': [0.0, 0.0]}
    """
    y_pred = torch.as_tensor(y_pred).detach().to(torch.float32)
    y_true = torch.as_tensor(y_true).detach().to(device=y_pred.device, dtype=torch.float32)
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    weight = None
    if sample_weight is not None:
        weight = torch.as_tensor(sample_weight).detach().to(device=y_pred.device, dtype=torch.float32).unsqueeze(-1)
        # Keras: a trailing axis is dropped rather than added when reconciling with y_true.
        if weight.ndim == y_true.ndim + 1 and weight.shape[-1] == 1:
            weight = weight.squeeze(-1)
    if top_k is not None:
        y_pred = _top_k_filter(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                f"When class_id is provided, y_pred must be a 2D array with shape (num_samples, num_classes), found shape: {tuple(y_pred.shape)}"
            )
        y_true, y_pred = y_true[..., class_id, None], y_pred[..., class_id, None]
    weights = torch.ones_like(y_pred) if weight is None else weight.broadcast_to(y_pred.shape)
    if label_weights is not None and not multi_label:
        weights = weights * torch.as_tensor(label_weights, dtype=torch.float32, device=y_pred.device).broadcast_to(y_pred.shape)
    positive = y_true != 0
    if multi_label:
        positive, predictions, weights = positive.reshape(y_pred.shape[0], -1), y_pred.reshape(y_pred.shape[0], -1), weights.reshape(y_pred.shape[0], -1)
    else:
        positive, predictions, weights = positive.reshape(-1, 1), y_pred.reshape(-1, 1), weights.reshape(-1, 1)
    true_w = positive.to(torch.float64) * weights.double()
    false_w = (~positive).to(torch.float64) * weights.double()
    n = len(thresholds)
    if evenly:
        # Keras's bucketed counting (thresholds i / (n - 1), the first one possibly below 0).
        bucket = torch.ceil(predictions.clamp(0.0, 1.0) * torch.tensor(n - 1, dtype=torch.float32)) - 1
        if thresholds[0] < 0.0 or thresholds[-1] > 1.0:
            bucket = bucket.clamp_min(0)
        bucket = bucket.long()
        valid = bucket >= 0
        index = torch.where(valid, bucket, torch.zeros_like(bucket))
        per_bucket_tp = torch.zeros(n, predictions.shape[1], dtype=torch.float64).scatter_add_(0, index, true_w * valid)
        per_bucket_fp = torch.zeros(n, predictions.shape[1], dtype=torch.float64).scatter_add_(0, index, false_w * valid)
        tp = per_bucket_tp.flip(0).cumsum(0).flip(0)
        fp = per_bucket_fp.flip(0).cumsum(0).flip(0)
    else:
        above = predictions.unsqueeze(0) > torch.tensor(thresholds, dtype=torch.float32).reshape(-1, 1, 1)
        tp = (above * true_w).sum(1)
        fp = (above * false_w).sum(1)
    tn = false_w.sum(0) - fp
    fn = true_w.sum(0) - tp
    counts = {"tp": tp, "fp": fp, "tn": tn, "fn": fn}
    return counts if multi_label else {key: value.squeeze(1) for key, value in counts.items()}


def _one_or_list(values: Tensor) -> float | list[float]:
    return float(values[0]) if values.numel() == 1 else values.tolist()


class _ConfusionMetric(Metric):
    """Running confusion counts per threshold; subclasses read them in ``result``."""

    def __init__(self, name: str, thresholds: list[float], evenly: bool, top_k: int | None = None, class_id: int | None = None) -> None:
        self.thresholds = thresholds
        self._evenly = evenly
        self.top_k = top_k
        self.class_id = class_id
        super().__init__(name, "up")

    def reset_state(self) -> None:
        self.counts = {key: torch.zeros(len(self.thresholds), dtype=torch.float64) for key in ("tp", "fp", "tn", "fn")}

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        batch = confusion_counts(
            y_true, y_pred, self.thresholds, evenly=self._evenly, top_k=self.top_k, class_id=self.class_id, sample_weight=sample_weight
        )
        for key, value in batch.items():
            self.counts[key] = self.counts[key] + value.cpu()


class _ConditionCount(_ConfusionMetric):
    condition = "tp"

    def __init__(self, thresholds: float | Sequence[float] | None = None, name: str | None = None) -> None:
        self.init_thresholds = thresholds
        values = _parse_thresholds(type(self).__name__, thresholds, 0.5)
        super().__init__(name or _DEFAULT_NAMES[type(self).__name__], values, _is_evenly_distributed(values))

    def result(self) -> float | list[float]:
        return _one_or_list(self.counts[self.condition])

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": "float32", "thresholds": self.init_thresholds}


class TruePositives(_ConditionCount):
    """Keras ``TruePositives``: the weighted count of ``y_pred > threshold`` where ``y_true`` is positive.

    >>> import torch
    >>> m = TruePositives(); m.update_state(torch.tensor([0, 1, 1, 1]), torch.tensor([1.0, 0.0, 1.0, 1.0])); m.result()
    2.0
    """

    condition = "tp"


class FalsePositives(_ConditionCount):
    """Keras ``FalsePositives``.

    >>> import torch
    >>> m = FalsePositives(); m.update_state(torch.tensor([0, 1, 0, 0]), torch.tensor([0.0, 0.0, 1.0, 1.0])); m.result()
    2.0
    """

    condition = "fp"


class TrueNegatives(_ConditionCount):
    """Keras ``TrueNegatives``.

    >>> import torch
    >>> m = TrueNegatives(); m.update_state(torch.tensor([0, 1, 0, 0]), torch.tensor([0.0, 0.0, 1.0, 0.0])); m.result()
    2.0
    """

    condition = "tn"


class FalseNegatives(_ConditionCount):
    """Keras ``FalseNegatives``.

    >>> import torch
    >>> m = FalseNegatives(); m.update_state(torch.tensor([0, 1, 1, 1]), torch.tensor([0.0, 1.0, 0.0, 0.0])); m.result()
    2.0
    """

    condition = "fn"


_DEFAULT_NAMES = {
    "TruePositives": "true_positives", "FalsePositives": "false_positives", "TrueNegatives": "true_negatives",
    "FalseNegatives": "false_negatives",
}


class _PrecisionRecall(_ConfusionMetric):
    default_name = ""

    def __init__(
        self, thresholds: float | Sequence[float] | None = None, top_k: int | None = None, class_id: int | None = None, name: str | None = None
    ) -> None:
        self.init_thresholds = thresholds
        values = _parse_thresholds(type(self).__name__, thresholds, 0.5 if top_k is None else NEG_INF)
        super().__init__(name or self.default_name, values, _is_evenly_distributed(values), top_k, class_id)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": "float32", "thresholds": self.init_thresholds, "top_k": self.top_k, "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """Keras ``Precision``: ``tp / (tp + fp)`` per threshold (one float, or a list for several thresholds).

    ``top_k`` counts only each sample's ``k`` largest predictions as candidates; ``class_id``
    restricts to one class of a ``(N, classes)`` output.

    >>> import torch
    >>> m = Precision(top_k=1); m.update_state(torch.tensor([[0, 0, 1, 1]]), torch.tensor([[1.0, 1.0, 1.0, 0.0]])); m.result()
    0.0
    """

    default_name = "precision"

    def result(self) -> float | list[float]:
        return _one_or_list(_divide_no_nan(self.counts["tp"], self.counts["tp"] + self.counts["fp"]))


class Recall(_PrecisionRecall):
    """Keras ``Recall``: ``tp / (tp + fn)`` per threshold.

    >>> import torch
    >>> m = Recall(); m.update_state(torch.tensor([0, 1, 1, 1]), torch.tensor([1.0, 0.0, 1.0, 1.0])); m.result()
    0.6666666666666666
    """

    default_name = "recall"

    def result(self) -> float | list[float]:
        return _one_or_list(_divide_no_nan(self.counts["tp"], self.counts["tp"] + self.counts["fn"]))


class _AtMetric(_ConfusionMetric):
    """Keras's ``SensitivitySpecificityBase``: the best ``dependent`` over thresholds where ``constrained >= value``."""

    argument = ""
    default_name = ""

    def __init__(self, value: float, num_thresholds: int = 200, class_id: int | None = None, name: str | None = None) -> None:
        owner = type(self).__name__
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{owner}: argument `{self.argument}` must be in the range [0, 1]. Received: {self.argument}={value}")
        if not isinstance(num_thresholds, int) or num_thresholds <= 0:
            raise ValueError(f"{owner}: argument `num_thresholds` must be an integer > 0. Received: num_thresholds={num_thresholds}")
        self.value = value
        self.num_thresholds = num_thresholds
        if num_thresholds == 1:
            thresholds, evenly = [0.5], False
        else:
            thresholds = [0.0] + [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1.0]
            evenly = True
        super().__init__(name or self.default_name, thresholds, evenly, None, class_id)

    def _rates(self) -> dict[str, Tensor]:
        c = self.counts
        return {
            "recall": _divide_no_nan(c["tp"], c["tp"] + c["fn"]),
            "precision": _divide_no_nan(c["tp"], c["tp"] + c["fp"]),
            "specificity": _divide_no_nan(c["tn"], c["tn"] + c["fp"]),
        }

    def _best(self, constrained: Tensor, dependent: Tensor) -> float:
        return float(torch.where(constrained >= self.value, dependent, torch.zeros_like(dependent)).max().clamp_min(0.0))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": "float32", "class_id": self.class_id, "num_thresholds": self.num_thresholds, self.argument: self.value}


class SensitivityAtSpecificity(_AtMetric):
    """Keras ``SensitivityAtSpecificity``: the best recall where specificity >= ``specificity``.

    >>> import torch
    >>> m = SensitivityAtSpecificity(0.5); m.update_state(torch.tensor([0, 0, 0, 1, 1]), torch.tensor([0.0, 0.3, 0.8, 0.3, 0.8])); m.result()
    0.5
    """

    argument, default_name = "specificity", "sensitivity_at_specificity"

    def __init__(self, specificity: float, num_thresholds: int = 200, class_id: int | None = None, name: str | None = None) -> None:
        super().__init__(specificity, num_thresholds, class_id, name)

    def result(self) -> float:
        rates = self._rates()
        return self._best(rates["specificity"], rates["recall"])


class SpecificityAtSensitivity(_AtMetric):
    """Keras ``SpecificityAtSensitivity``: the best specificity where recall >= ``sensitivity``.

    >>> import torch
    >>> m = SpecificityAtSensitivity(0.5); m.update_state(torch.tensor([0, 0, 0, 1, 1]), torch.tensor([0.0, 0.3, 0.8, 0.3, 0.8])); m.result()
    0.6666666666666666
    """

    argument, default_name = "sensitivity", "specificity_at_sensitivity"

    def __init__(self, sensitivity: float, num_thresholds: int = 200, class_id: int | None = None, name: str | None = None) -> None:
        super().__init__(sensitivity, num_thresholds, class_id, name)

    def result(self) -> float:
        rates = self._rates()
        return self._best(rates["recall"], rates["specificity"])


class PrecisionAtRecall(_AtMetric):
    """Keras ``PrecisionAtRecall``: the best precision where recall >= ``recall``.

    >>> import torch
    >>> m = PrecisionAtRecall(0.5); m.update_state(torch.tensor([0, 0, 0, 1, 1]), torch.tensor([0.0, 0.3, 0.8, 0.3, 0.8])); m.result()
    0.5
    """

    argument, default_name = "recall", "precision_at_recall"

    def __init__(self, recall: float, num_thresholds: int = 200, class_id: int | None = None, name: str | None = None) -> None:
        super().__init__(recall, num_thresholds, class_id, name)

    def result(self) -> float:
        rates = self._rates()
        return self._best(rates["recall"], rates["precision"])


class RecallAtPrecision(_AtMetric):
    """Keras ``RecallAtPrecision``: the best recall where precision >= ``precision``.

    >>> import torch
    >>> m = RecallAtPrecision(0.8); m.update_state(torch.tensor([0, 0, 1, 1]), torch.tensor([0.0, 0.5, 0.3, 0.9])); m.result()
    0.5
    """

    argument, default_name = "precision", "recall_at_precision"

    def __init__(self, precision: float, num_thresholds: int = 200, class_id: int | None = None, name: str | None = None) -> None:
        super().__init__(precision, num_thresholds, class_id, name)

    def result(self) -> float:
        rates = self._rates()
        return self._best(rates["precision"], rates["recall"])


CURVES = ("ROC", "PR", "PRGAIN")
SUMMATION_METHODS = ("interpolation", "minoring", "majoring")


class AUC(Metric):
    """Keras ``AUC``: the area under the ROC or PR curve from ``num_thresholds`` confusion counts.

    Thresholds are ``-eps, 1/(n-1), ..., (n-2)/(n-1), 1 + eps`` (or ``-eps``, the sorted
    ``thresholds``, ``1 + eps``). ``summation_method="interpolation"`` uses the trapezoidal
    rule for ROC and Davis & Goadrich's interpolation for PR (Keras's ``interpolate_pr_auc``);
    ``"minoring"``/``"majoring"`` use the lower/upper Riemann sums. ``multi_label`` computes one
    curve per label and averages them (weighted by ``label_weights`` when given).

    >>> import torch
    >>> m = AUC(num_thresholds=3); m.update_state(torch.tensor([0, 0, 1, 1]), torch.tensor([0.0, 0.5, 0.3, 0.9])); m.result()
    0.75
    """

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        thresholds: Sequence[float] | None = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: Any = None,
        from_logits: bool = False,
    ) -> None:
        if str(curve).upper() not in CURVES:
            raise ValueError(f'AUC: invalid AUC curve value: "{curve}". Expected values are {list(CURVES)}')
        if str(summation_method).lower() not in SUMMATION_METHODS:
            raise ValueError(
                f'AUC: invalid AUC summation method value: "{summation_method}". Expected values are {list(SUMMATION_METHODS)}'
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
            self.num_thresholds = len(inner) + 2
            self._evenly = _is_evenly_distributed([0.0] + inner + [1.0])
        else:
            if not isinstance(num_thresholds, int) or num_thresholds <= 1:
                raise ValueError(f"AUC: argument `num_thresholds` must be an integer > 1. Received: num_thresholds={num_thresholds}")
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self.thresholds = [0.0 - EPSILON] + inner + [1.0 + EPSILON]
        self.curve = str(curve).upper()
        self.summation_method = str(summation_method).lower()
        self.multi_label = bool(multi_label)
        if num_labels and not multi_label:
            raise ValueError("AUC: `num_labels` is needed only when `multi_label` is True.")
        self.num_labels = num_labels
        # float32, as Keras keeps them (and writes them in get_config).
        self.label_weights = None if label_weights is None else torch.as_tensor(label_weights, dtype=torch.float32)
        self.from_logits = bool(from_logits)
        super().__init__(name or "auc", "up")

    def reset_state(self) -> None:
        self.counts: dict[str, Tensor] | None = None

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = torch.as_tensor(y_pred)
        if self.multi_label and y_pred.ndim != 2:
            raise ValueError(f"AUC: `y_pred` must have rank 2 when `multi_label=True`. Found rank {y_pred.ndim}. Full shape received for `y_pred`: {tuple(y_pred.shape)}")
        if self.from_logits:
            y_pred = torch.sigmoid(y_pred.float())
        batch = confusion_counts(
            y_true, y_pred, self.thresholds, evenly=self._evenly, sample_weight=sample_weight, multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
        )
        batch = {key: value.cpu() for key, value in batch.items()}
        self.counts = batch if self.counts is None else {key: self.counts[key] + batch[key] for key in batch}

    def _by_label(self, terms: Tensor) -> float:
        if not self.multi_label:
            return float(terms.sum())
        per_label = terms.sum(0)
        if self.label_weights is None:
            return float(per_label.mean())
        weights = self.label_weights.double()
        return float(_divide_no_nan((per_label * weights).sum(), weights.sum()))

    def _interpolate_pr_auc(self) -> float:
        tp, fp, fn = self.counts["tp"], self.counts["fp"], self.counts["fn"]
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, dp.clamp_min(0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = torch.where(both, _divide_no_nan(p[:-1], p[1:].clamp_min(0)), torch.ones_like(p[1:]))
        increments = _divide_no_nan(slope * (dtp + intercept * torch.log(ratio)), (tp[1:] + fn[1:]).clamp_min(0))
        return self._by_label(increments)

    def result(self) -> float:
        if self.counts is None:
            return 0.0
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        tp, fp, tn, fn = (self.counts[key] for key in ("tp", "fp", "tn", "fn"))
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _divide_no_nan(tp, tp + fp)
        else:
            scale = _divide_no_nan(tp + fn, tn + fp)
            recall_gain = torch.where(tp == 0, torch.zeros_like(tp), 1.0 - scale * _divide_no_nan(fn, tp)).clamp_min(0.0)
            precision_gain = torch.where(tp == 0, torch.ones_like(tp), 1.0 - scale * _divide_no_nan(fp, tp))
            x, y = recall_gain, precision_gain
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[:-1], y[1:])
        else:
            heights = torch.maximum(y[:-1], y[1:])
        return self._by_label((x[:-1] - x[1:]) * heights)

    def get_config(self) -> dict[str, Any]:
        config = {
            "name": self.name, "dtype": "float32", "num_thresholds": self.num_thresholds, "curve": self.curve,
            "summation_method": self.summation_method, "multi_label": self.multi_label, "num_labels": self.num_labels,
            "label_weights": None if self.label_weights is None else self.label_weights.tolist(), "from_logits": self.from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


CLASSES: dict[str, type[Metric]] = {
    cls.__name__: cls
    for cls in (
        TruePositives, FalsePositives, TrueNegatives, FalseNegatives, Precision, Recall, AUC, SensitivityAtSpecificity,
        SpecificityAtSensitivity, PrecisionAtRecall, RecallAtPrecision,
    )
}
