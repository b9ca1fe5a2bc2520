"""Keras 3's ``FBetaScore`` and ``F1Score``: F-scores from running per-class tp/fp/fn counts.

A prediction is positive when ``y_pred > threshold``, or, with ``threshold=None``, when it is
its row's largest value (and not ~0). Inputs are ``(batch, classes)``.

>>> import torch
>>> m = F1Score(average="micro", threshold=0.5)
>>> m.update_state(torch.tensor([[1, 0], [0, 1]]), torch.tensor([[0.9, 0.2], [0.6, 0.4]]))
>>> round(m.result(), 4)
0.5
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from .losses import EPSILON
from .metrics import Metric


class FBetaScore(Metric):
    """Keras ``FBetaScore``: ``(1 + b^2) P R / (b^2 P + R)`` per class, or aggregated by ``average``.

    Args:
        average: ``None`` (one score per class, a list), ``"micro"`` (global counts), ``"macro"``
            (mean over classes) or ``"weighted"`` (mean weighted by each class's true count).
        beta: a float > 0.
        threshold: a float in ``(0, 1]``, or ``None`` for the row's largest prediction.

    >>> import torch
    >>> m = FBetaScore(beta=2.0, threshold=0.5)
    >>> m.update_state(torch.tensor([[1, 0], [0, 1]]), torch.tensor([[0.9, 0.2], [0.6, 0.4]]))
    >>> [round(v, 4) for v in m.result()]
    [0.8333, 0.0]
    """

    def __init__(self, average: str | None = None, beta: float = 1.0, threshold: float | None = None, name: str = "fbeta_score") -> None:
        owner = type(self).__name__
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(f"{owner}: invalid `average` argument value. Expected one of: {{None, 'micro', 'macro', 'weighted'}}. Received: average={average!r}")
        if not isinstance(beta, float):
            raise ValueError(f"{owner}: invalid `beta` argument value. It should be a Python float. Received: beta={beta!r} of type '{type(beta)}'")
        if beta <= 0.0:
            raise ValueError(f"{owner}: invalid `beta` argument value. It should be > 0. Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(f"{owner}: invalid `threshold` argument value. It should be a Python float. Received: threshold={threshold!r} of type '{type(threshold)}'")
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(f"{owner}: invalid `threshold` argument value. It should verify 0 < threshold <= 1. Received: threshold={threshold}")
        self.average = average
        self.beta = beta
        self.threshold = threshold
        super().__init__(name, "up")

    def reset_state(self) -> None:
        self.counts: dict[str, Tensor] | None = None

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = torch.as_tensor(y_pred).detach().to(torch.float32)
        y_true = torch.as_tensor(y_true).detach().to(torch.float64)
        if y_pred.ndim != 2 or y_true.ndim != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim). Received input shapes: "
                f"y_pred.shape={tuple(y_pred.shape)} and y_true.shape={tuple(y_true.shape)}."
            )
        if self.threshold is None:
            predicted = (y_pred >= y_pred.amax(-1, keepdim=True)) & (y_pred.abs() > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.double()
        weight = None if sample_weight is None else torch.as_tensor(sample_weight).double().unsqueeze(1)
        dims = None if self.average == "micro" else 0

        def total(values: Tensor) -> Tensor:
            values = values if weight is None else values * weight
            return values.sum() if dims is None else values.sum(dims)

        batch = {
            "tp": total(predicted * y_true), "fp": total(predicted * (1 - y_true)), "fn": total((1 - predicted) * y_true),
            "support": total(y_true),
        }
        self.counts = batch if self.counts is None else {key: self.counts[key] + batch[key] for key in batch}

    def result(self) -> float | list[float]:
        if self.counts is None:
            return 0.0
        c = self.counts
        precision = c["tp"] / (c["tp"] + c["fp"] + EPSILON)
        recall = c["tp"] / (c["tp"] + c["fn"] + EPSILON)
        b2 = self.beta**2
        score = precision * recall / (b2 * precision + recall + EPSILON) * (1 + b2)
        if self.average == "weighted":
            score = (score * c["support"] / (c["support"].sum() + EPSILON)).sum()
        elif self.average is not None:
            score = score.mean()
        return score.tolist() if score.ndim else float(score)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": "float32", "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """Keras ``F1Score``: ``FBetaScore`` with ``beta=1``.

    >>> F1Score().get_config()
    {'name': 'f1_score', 'dtype': 'float32', 'average': None, 'threshold': None}
    """

    def __init__(self, average: str | None = None, threshold: float | None = None, name: str = "f1_score") -> None:
        super().__init__(average, 1.0, threshold, name)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["beta"]
        return config


CLASSES: dict[str, type[Metric]] = {"FBetaScore": FBetaScore, "F1Score": F1Score}
