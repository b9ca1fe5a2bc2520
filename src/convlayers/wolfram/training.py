"""``NetTrain``: a Wolfram net trained through the core's training loop, learning-rate multipliers honoured.

The net's core layers are strung into a core :class:`~convlayers.Sequential`,
trained with ``fit``; each array's learning rate is the method's times its
layer's ``LearningRateMultipliers`` entry, and an array with multiplier 0 is left
out of the optimizer (frozen). As in Wolfram, the net given is unchanged: the
trained copy is returned (unspecified arrays initialised first).

>>> import numpy as np
>>> from convlayers.wolfram import LinearLayer, NetExtract, NetTrain
>>> net = LinearLayer(1, Weights=[[0.0]], Biases=[0.0], Input=(1,), LearningRateMultipliers={"Biases": 0})
>>> x = np.linspace(-1, 1, 16).reshape(16, 1)
>>> trained = NetTrain(net, (x, 2 * x), Method="SGD", LearningRate=0.5, MaxTrainingRounds=100)
>>> round(float(NetExtract(trained, "Weights")[0, 0]), 1), NetExtract(trained, "Biases").tolist()
(2.0, [0.0])
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import torch

from .. import models
from .functions import NetInitialize
from .net import Net, numeric

#: Wolfram's loss names and the core's losses.
LOSSES = {"MeanSquaredLoss": "mse", "MeanAbsoluteLoss": "mae", "CrossEntropyLoss": "categorical_crossentropy"}
#: Wolfram's ``Method`` names and torch's optimizers.
METHODS = {"ADAM": torch.optim.Adam, "SGD": torch.optim.SGD, "RMSProp": torch.optim.RMSprop}


def _pairs(data: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(inputs, targets)`` from a pair of batches or a list of ``(input, target)`` examples."""
    if isinstance(data, tuple) and len(data) == 2:
        inputs, targets = data
    elif isinstance(data, list) and all(isinstance(pair, tuple) and len(pair) == 2 for pair in data):
        inputs, targets = [pair[0] for pair in data], [pair[1] for pair in data]
    else:
        raise ValueError("NetTrain: data should be (inputs, targets) or a list of (input, target) pairs.")
    return numeric(inputs), numeric(targets)


def _parameter_groups(net: Net, learning_rate: float) -> list[dict[str, Any]]:
    """One optimizer group per array that learns (multiplier above 0), at its own learning rate."""
    groups = []
    for _, layer, name in net.array_slots():
        multiplier = layer.learning_rate_multipliers[name]
        if multiplier > 0:
            index, _ = layer.array_layouts()[name]
            groups.append({"params": [layer.core.weights[index]], "lr": learning_rate * multiplier})
    return groups


def NetTrain(
    net: Net,
    data: Any,
    *,
    LossFunction: str = "MeanSquaredLoss",
    Method: str = "ADAM",
    LearningRate: float = 0.001,
    BatchSize: int = 64,
    MaxTrainingRounds: int = 10,
) -> Net:
    """A copy of ``net`` trained on ``data`` (``(inputs, targets)`` batches, or ``(input, target)`` pairs).

    Args:
        LossFunction: ``"MeanSquaredLoss"``, ``"MeanAbsoluteLoss"`` or ``"CrossEntropyLoss"`` (probabilities).
        Method: ``"ADAM"``, ``"SGD"`` or ``"RMSProp"``.
        LearningRate: the base rate, times each array's learning-rate multiplier.
        BatchSize: examples per step.
        MaxTrainingRounds: passes over the data.
    """
    if LossFunction not in LOSSES or Method not in METHODS:
        raise ValueError(
            f"NetTrain: LossFunction should be one of {', '.join(LOSSES)} and Method one of {', '.join(METHODS)}. "
            f"Received {LossFunction!r}, {Method!r}."
        )
    trained = NetInitialize(net)
    inputs, targets = _pairs(data)
    if trained.input_dims is None or inputs.ndim != len(trained.input_dims) + 1:
        raise ValueError(f"NetTrain: the inputs should be a batch of examples of dims {trained.input_dims}.")
    layers = [core for layer in getattr(trained, "layers", [trained]) for core in layer.core_layers()]
    model = models.Sequential(layers)
    groups = _parameter_groups(trained, LearningRate)
    # A net whose every array is frozen trains nothing: the loop still runs, over an empty optimizer's steps.
    factory = functools.partial(METHODS[Method], groups or [{"params": [], "lr": LearningRate}])
    model.compile(optimizer=lambda _: factory(), loss=LOSSES[LossFunction])
    model.fit(inputs, targets, batch_size=BatchSize, epochs=MaxTrainingRounds, verbose=0)
    return trained
