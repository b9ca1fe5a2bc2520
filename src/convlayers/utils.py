"""Keras's ``keras.utils``: ``to_categorical``, ``normalize``, ``set_random_seed`` here, and the rest re-exported.

``PyDataset``/``Sequence``, ``clear_session``, ``clone_model``, ``is_keras_tensor``,
``get_source_inputs``, ``pack_x_y_sample_weight``/``unpack_x_y_sample_weight``, ``Progbar``
and Keras's custom-object registry live in their own modules.

>>> to_categorical([0, 2], num_classes=3)
array([[1., 0., 0.],
       [0., 0., 1.]])
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch

from .data_utils import pack_x_y_sample_weight, unpack_x_y_sample_weight
from .models.cloning import clone_model
from .models.progbar import Progbar
from .models.symbolic_tensors import get_source_inputs, is_keras_tensor
from .object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from .py_dataset import PyDataset, Sequence
from .saving import deserialize_keras_object, serialize_keras_object
from .session import clear_session

__all__ = [
    "CustomObjectScope",
    "Progbar",
    "PyDataset",
    "Sequence",
    "clear_session",
    "clone_model",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "get_source_inputs",
    "is_keras_tensor",
    "normalize",
    "pack_x_y_sample_weight",
    "register_keras_serializable",
    "serialize_keras_object",
    "set_random_seed",
    "to_categorical",
    "unpack_x_y_sample_weight",
]


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray | torch.Tensor:
    """One-hot encode integer class labels, as Keras does.

    A trailing axis of size 1 is dropped first (labels shaped ``(n, 1)`` give ``(n, classes)``);
    ``num_classes`` defaults to ``max(x) + 1``. NumPy arrays and lists give a **float64** NumPy
    array, as Keras 3's NumPy path does (``np.zeros``); a torch tensor gives a float32 tensor,
    as Keras's backend-tensor path (``one_hot``) does.

    Args:
        x: integer labels, any shape.
        num_classes: the number of classes.

    >>> to_categorical([[1], [0]]).shape
    (2, 2)
    >>> to_categorical(torch.tensor([1, 0]), 3)
    tensor([[0., 1., 0.],
            [1., 0., 0.]])
    """
    if isinstance(x, torch.Tensor):
        if x.dim() > 1 and x.shape[-1] == 1:
            x = x.reshape(x.shape[:-1])
        return torch.nn.functional.one_hot(x.long(), -1 if not num_classes else num_classes).to(torch.float32)
    labels = np.array(x, dtype="int64")
    shape = labels.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    labels = labels.reshape(-1)
    if not num_classes:
        num_classes = int(np.max(labels)) + 1
    categorical = np.zeros((labels.shape[0], num_classes))
    categorical[np.arange(labels.shape[0]), labels] = 1
    return categorical.reshape(shape + (num_classes,))


def normalize(x: Any, axis: int | None = -1, order: int = 2) -> np.ndarray | torch.Tensor:
    """Divide ``x`` by its ``order``-norm along ``axis`` (zero norms left as 1), as Keras does.

    For NumPy input this is Keras 3.15's NumPy path exactly: ``np.linalg.norm(x, order, axis)``,
    expanded on the **last** axis (Keras's ``axis or -1``), so ``axis`` should be the last
    axis. A torch tensor follows Keras's tensor path (``ops.normalize``): ``x * min(rsqrt(sum(x**2)), 1/1e-7)``
    for ``order=2``, else ``x / max(norm, 1e-7)``, along ``axis`` (keeping it).

    >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    if isinstance(x, torch.Tensor):
        if not isinstance(order, int) or not order >= 1:
            raise ValueError(f"normalize: argument `order` must be an int >= 1. Received: order={order}")
        if x.dim() == 0:
            x = x.unsqueeze(0)
        epsilon = 1e-7
        if order == 2:
            inverse = torch.rsqrt(torch.sum(torch.square(x), dim=axis, keepdim=True))
            return x * torch.clamp(inverse, max=1.0 / epsilon)
        norm = torch.linalg.vector_norm(x, ord=order, dim=axis, keepdim=True)
        return x / torch.clamp(norm, min=epsilon)
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis or -1)


def set_random_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and CUDA), as Keras's ``set_random_seed``.

    >>> set_random_seed(7); a = torch.rand(2); set_random_seed(7)
    >>> torch.equal(a, torch.rand(2))
    True
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"Expected `seed` argument to be an integer. Received: seed={seed} (of type {type(seed)})")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
