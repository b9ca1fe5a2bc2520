"""DL4J's loss functions, scored as DL4J scores: per output row, then summed over an example's rows.

A dense output has one row per example; a ``CnnLossLayer``'s has one per pixel (its
channels are the row). ``MSE`` and ``MEAN_ABSOLUTE_ERROR`` average over the row, ``L2``,
``SQUARED_LOSS``, ``L1``, ``MCXENT``/``NEGATIVELOGLIKELIHOOD`` and ``XENT`` sum over it.
The network's score is the mean of the examples' scores (the gradient DL4J reports,
:meth:`~.network.MultiLayerNetwork.computeGradientAndScore`, is that of their sum).

>>> import torch
>>> per_example_score(LossFunction.MSE, torch.zeros(2, 4), torch.ones(2, 4), channel_axis=1).tolist()
[1.0, 1.0]
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from .enums import LossFunction

_EPS = 1e-10  # log's floor for probabilities of exactly 0 (DL4J clips its cross-entropies the same way)


def _xent(y: Tensor, p: Tensor) -> Tensor:
    p = p.clamp(_EPS, 1 - _EPS)
    return -(y * p.log() + (1 - y) * (1 - p).log())


#: ``loss -> (elementwise loss(y, p), reduce over the row: 'mean' or 'sum')``.
ROW_LOSSES: dict[LossFunction, tuple[Callable[[Tensor, Tensor], Tensor], str]] = {
    LossFunction.MSE: (lambda y, p: (p - y) ** 2, "mean"),
    LossFunction.L2: (lambda y, p: (p - y) ** 2, "sum"),
    LossFunction.SQUARED_LOSS: (lambda y, p: (p - y) ** 2, "sum"),
    LossFunction.MEAN_ABSOLUTE_ERROR: (lambda y, p: (p - y).abs(), "mean"),
    LossFunction.L1: (lambda y, p: (p - y).abs(), "sum"),
    LossFunction.MCXENT: (lambda y, p: -y * p.clamp_min(_EPS).log(), "sum"),
    LossFunction.NEGATIVELOGLIKELIHOOD: (lambda y, p: -y * p.clamp_min(_EPS).log(), "sum"),
    LossFunction.XENT: (_xent, "sum"),
}


def per_example_score(loss: LossFunction, labels: Tensor, output: Tensor, channel_axis: int) -> Tensor:
    """Each example's score: ``loss`` over each row (the ``channel_axis`` values of one position), summed
    over the example's positions. ``labels`` has ``output``'s shape."""
    labels = torch.as_tensor(labels, dtype=output.dtype, device=output.device)
    if labels.shape != output.shape:
        raise ValueError(f"Labels and output shapes differ: labels {list(labels.shape)}, output {list(output.shape)}.")
    elementwise, reduce = ROW_LOSSES[loss]
    values = elementwise(labels, output)
    rows = values.mean(dim=channel_axis) if reduce == "mean" else values.sum(dim=channel_axis)
    return rows.reshape(len(rows), -1).sum(dim=1)
