"""Keras 3's intersection-over-union metrics for segmentation: ``IoU``, ``MeanIoU``, ``BinaryIoU``, ``OneHotIoU``, ``OneHotMeanIoU``.

They accumulate a ``(num_classes, num_classes)`` confusion matrix (rows true class, columns
predicted) over every pixel seen. As in Keras its default dtype is an integer: float
``sample_weight`` values are truncated to integers. Labels outside ``[0, num_classes)``,
and ``ignore_class``, are left out. ``IoU = tp / (tp + fp + fn)`` per target class,
averaged over the target classes that occurred.

>>> import torch
>>> m = MeanIoU(num_classes=2)
>>> m.update_state(torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 0, 1]))
>>> round(m.result(), 4)
0.3333
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from ..layers.base import snake_case
from .losses import EPSILON
from .metrics import Metric


class IoU(Metric):
    """Keras ``IoU``: the mean IoU over ``target_class_ids``.

    Args:
        num_classes: the number of classes.
        target_class_ids: the classes whose IoU is averaged.
        ignore_class: a label left out of the counts (e.g. a "void" class).
        sparse_y_true / sparse_y_pred: ``False`` for one-hot/probability inputs (argmax over ``axis``).

    >>> import torch
    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state(torch.tensor([0, 0, 1, 1]), torch.tensor([0, 1, 0, 1]))
    >>> round(m.result(), 4)
    0.3333
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: str | None = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ) -> None:
        if max(target_class_ids) >= num_classes:
            raise ValueError(f"{type(self).__name__}: target class id {max(target_class_ids)} is out of range, which is [0, {num_classes}).")
        self.num_classes = num_classes
        self.target_class_ids = list(target_class_ids)
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        super().__init__(name or snake_case(type(self).__name__), "up")

    def reset_state(self) -> None:
        self.total_cm = torch.zeros(self.num_classes, self.num_classes, dtype=torch.int64)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true, y_pred = torch.as_tensor(y_true).detach(), torch.as_tensor(y_pred).detach()
        if not self.sparse_y_true:
            y_true = y_true.argmax(self.axis)
        if not self.sparse_y_pred:
            y_pred = y_pred.argmax(self.axis)
        y_true, y_pred = y_true.reshape(-1).to(torch.int64), y_pred.reshape(-1).to(torch.int64)
        weight = torch.ones((), dtype=torch.int64) if sample_weight is None else torch.as_tensor(sample_weight).reshape(-1).to(torch.int64)
        weight = weight.broadcast_to(y_true.shape)
        keep = (y_true >= 0) & (y_true < self.num_classes) & (y_pred >= 0) & (y_pred < self.num_classes)
        if self.ignore_class is not None:
            keep &= y_true != self.ignore_class
        index = torch.where(keep, y_true, 0) * self.num_classes + torch.where(keep, y_pred, 0)
        counts = torch.zeros(self.num_classes**2, dtype=torch.int64).index_add_(0, index.cpu(), torch.where(keep, weight, 0).cpu())
        self.total_cm += counts.reshape(self.num_classes, self.num_classes)

    def result(self) -> float:
        cm = self.total_cm.double()
        tp = cm.diag()
        denominator = cm.sum(0) + cm.sum(1) - tp
        ids = torch.tensor(self.target_class_ids)
        tp, denominator = tp[ids], denominator[ids]
        valid = denominator > 1e-9
        iou = torch.where(valid, tp / (denominator + EPSILON), torch.zeros_like(tp))
        return float(iou.sum() / (valid.sum() + EPSILON))

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name, "dtype": "int32", "num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred, "axis": self.axis,
        }


class BinaryIoU(IoU):
    """Keras ``BinaryIoU``: IoU of ``y_pred >= threshold`` against binary labels.

    >>> import torch
    >>> m = BinaryIoU(target_class_ids=[1]); m.update_state(torch.tensor([0, 1, 1]), torch.tensor([0.2, 0.6, 0.4])); round(m.result(), 6)
    0.5
    """

    def __init__(self, target_class_ids: Sequence[int] = (0, 1), threshold: float = 0.5, name: str | None = None) -> None:
        super().__init__(2, target_class_ids, name)
        self.threshold = threshold

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        super().update_state(y_true, torch.as_tensor(y_pred).to(torch.float32) >= self.threshold, sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold, "name": self.name, "dtype": "int32"}


class MeanIoU(IoU):
    """Keras ``MeanIoU``: the IoU averaged over every class.

    >>> MeanIoU(3).target_class_ids
    [0, 1, 2]
    """

    def __init__(
        self, num_classes: int, name: str | None = None, ignore_class: int | None = None, sparse_y_true: bool = True,
        sparse_y_pred: bool = True, axis: int = -1,
    ) -> None:
        super().__init__(num_classes, list(range(num_classes)), name, ignore_class, sparse_y_true, sparse_y_pred, axis)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["target_class_ids"]
        return config


class OneHotIoU(IoU):
    """Keras ``OneHotIoU``: ``IoU`` for one-hot ``y_true`` (and probability ``y_pred`` unless ``sparse_y_pred``).

    >>> OneHotIoU(3, [0, 2]).sparse_y_true
    False
    """

    def __init__(
        self, num_classes: int, target_class_ids: Sequence[int], name: str | None = None, ignore_class: int | None = None,
        sparse_y_pred: bool = False, axis: int = -1,
    ) -> None:
        super().__init__(num_classes, target_class_ids, name, ignore_class, False, sparse_y_pred, axis)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """Keras ``OneHotMeanIoU``: ``MeanIoU`` for one-hot ``y_true``.

    >>> OneHotMeanIoU(3).name
    'one_hot_mean_io_u'
    """

    def __init__(self, num_classes: int, name: str | None = None, ignore_class: int | None = None, sparse_y_pred: bool = False, axis: int = -1) -> None:
        super().__init__(num_classes, name, ignore_class, False, sparse_y_pred, axis)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["sparse_y_true"]
        return config


CLASSES: dict[str, type[Metric]] = {cls.__name__: cls for cls in (IoU, MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU)}
