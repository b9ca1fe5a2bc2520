"""Keras's ``sample_weight`` and ``class_weight`` rules for in-memory data.

- ``class_weight`` (a dict ``class -> weight``) becomes one weight per sample: the class of a
  sample is the argmax of a one-hot target, or the (rounded) label of a sparse one (with or
  without a trailing axis of 1); classes missing from the dict weigh 1. Only for models
  with one output, and not together with ``sample_weight``.
- ``sample_weight`` for a model with several outputs is one array per output (the
  structure of ``y``), or one per-sample array (``(N,)`` or ``(N, 1)``) shared by all outputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .. import arrays
from . import nest


def class_weight_to_sample_weight(y: torch.Tensor, class_weight: dict[Any, float], owner: str) -> torch.Tensor:
    """One float32 weight per sample of ``y`` from ``class_weight`` (Keras's rule, see the module docs).

    >>> class_weight_to_sample_weight(torch.tensor([0, 2, 1]), {0: 0.5, 2: 3.0}, "fit").tolist()
    [0.5, 3.0, 1.0]
    >>> class_weight_to_sample_weight(torch.tensor([[0.0, 1.0], [1.0, 0.0]]), {1: 2.0}, "fit").tolist()
    [2.0, 1.0]
    """
    check_class_weight(class_weight, owner)
    labels = arrays.to_numpy(y)
    if labels.ndim > 1:
        labels = labels.argmax(axis=-1) if labels.shape[-1] != 1 else labels.squeeze(-1)
    if labels.ndim != 1:
        raise ValueError(
            f"{owner}: `class_weight` needs one class per sample: targets of shape (N,), (N, 1) or one-hot (N, classes). "
            f"Received y of shape {tuple(y.shape)}."
        )
    labels = np.round(labels).astype(np.int64)
    weights = np.array([class_weight.get(int(label), 1.0) for label in labels], dtype=np.float32)
    return torch.from_numpy(weights)


def check_class_weight(class_weight: Any, owner: str) -> None:
    """A ``TypeError`` unless ``class_weight`` is a dict of int classes to numbers.

    >>> check_class_weight({0: 1.0, 1: 3}, "fit")
    >>> check_class_weight([1.0], "fit")
    Traceback (most recent call last):
    ...
    TypeError: fit: `class_weight` must be a dict mapping class indices (ints) to weights (numbers). Received: class_weight=[1.0].
    """
    if not isinstance(class_weight, dict) or not all(
        isinstance(key, (int, np.integer)) and not isinstance(key, bool) and isinstance(value, (int, float, np.number))
        for key, value in class_weight.items()
    ):
        raise TypeError(
            f"{owner}: `class_weight` must be a dict mapping class indices (ints) to weights (numbers). "
            f"Received: class_weight={class_weight!r}."
        )


def resolve(y: Any, sample_weight: Any, class_weight: Any, owner: str) -> Any:
    """The sample weights to train with, from ``sample_weight`` or ``class_weight`` (tensors in, tensors out).

    >>> resolve(torch.tensor([1, 0]), None, {1: 4.0}, "fit").tolist()
    [4.0, 1.0]
    >>> [w.tolist() for w in resolve([torch.zeros(2), torch.zeros(2)], torch.tensor([1.0, 2.0]), None, "fit")]
    [[1.0, 2.0], [1.0, 2.0]]
    """
    if sample_weight is not None:
        if class_weight is not None:
            raise ValueError(f"{owner}: you cannot pass `class_weight` and `sample_weight` at the same time.")
        if nest.is_nested(y):
            if nest.is_nested(sample_weight):
                if nest.structure(sample_weight) != nest.structure(y):
                    raise ValueError(
                        f"{owner}: you should provide one `sample_weight` array per output in `y`. The two structures "
                        f"did not match: y has shapes {nest.shape_of(y)}, sample_weight {nest.shape_of(sample_weight)}."
                    )
            else:
                if not (sample_weight.ndim == 1 or sample_weight.ndim == 2 and sample_weight.shape[1] == 1):
                    raise ValueError(
                        f"{owner}: for a model with multiple outputs, a single `sample_weight` array must have one weight "
                        f"per sample (shape (num_samples,)). Received shape {tuple(sample_weight.shape)}; pass one "
                        f"array per output for non-scalar weights."
                    )
                sample_weight = nest.map_structure(lambda _: sample_weight, y)
        return sample_weight
    if class_weight is not None:
        if nest.is_nested(y):
            raise ValueError(f"{owner}: `class_weight` is only supported for models with a single output.")
        if y is None:
            raise ValueError(f"{owner}: `class_weight` needs the targets `y`.")
        return class_weight_to_sample_weight(y, class_weight, owner)
    return None
