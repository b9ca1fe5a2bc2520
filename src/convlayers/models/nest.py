"""Nested data for multi-input/multi-output models: a leaf, or a list, tuple or dict of leaves.

Keras's rules for ``x``, ``y`` and ``sample_weight`` of models with several inputs or
outputs: a list or tuple maps positionally, a dict by name. Dicts flatten in sorted key
order, as Keras's ``tree`` does. One level of nesting is what models take (their inputs and
outputs are flat lists or dicts); deeper structures are walked the same way.

A Python list of numbers (``[[1.0], [2.0]]``) is one array, not a structure: a list or tuple
is a structure only when it holds arrays, tensors or dicts.

>>> import numpy as np
>>> flatten({"b": np.zeros(2), "a": [np.ones(1)]})
[array([1.]), array([0., 0.])]
>>> map_structure(len, (np.zeros(3), {"k": np.zeros(2)}))
(3, {'k': 2})
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

_ARRAY_TYPES = (np.ndarray, torch.Tensor)


def is_nested(value: Any) -> bool:
    """Whether ``value`` is a structure (a dict, or a list/tuple holding arrays or structures).

    >>> is_nested([np.zeros(2), np.zeros(2)]), is_nested([[1.0], [2.0]]), is_nested({"a": 1})
    (True, False, True)
    """
    if isinstance(value, dict):
        return True
    if isinstance(value, (list, tuple)) and value:
        return any(isinstance(item, _ARRAY_TYPES + (dict,)) or is_nested(item) for item in value)
    return False


def flatten(value: Any) -> list[Any]:
    """The leaves of ``value`` in Keras's order (dicts by sorted key).

    >>> flatten([np.zeros(1), (np.ones(1), {"z": np.zeros(2), "a": np.ones(2)})])[-1]
    array([0., 0.])
    """
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in flatten(value[key])]
    if is_nested(value):
        return [leaf for item in value for leaf in flatten(item)]
    return [value]


def map_structure(fn: Callable[[Any], Any], value: Any) -> Any:
    """``value`` with ``fn`` applied to each leaf; lists, tuples and dicts keep their kind.

    >>> map_structure(lambda a: a * 2, {"a": 1, "b": [np.ones(1), np.ones(1)]})
    {'a': 2, 'b': [array([2.]), array([2.])]}
    """
    if isinstance(value, dict):
        return {key: map_structure(fn, item) for key, item in value.items()}
    if is_nested(value):
        return type(value)(map_structure(fn, item) for item in value)
    return fn(value)


def pack_as(structure: Any, leaves: list[Any]) -> Any:
    """``leaves`` (in :func:`flatten` order) put back into the shape of ``structure``.

    >>> pack_as({"b": None, "a": None}, [1, 2])  # "a" sorts first
    {'b': 2, 'a': 1}
    """
    remaining = iter(leaves)
    if isinstance(structure, dict):
        # Fill in sorted order, keep the dict's own order.
        filled = {key: pack_as(structure[key], [next(remaining) for _ in flatten(structure[key])]) for key in sorted(structure)}
        return {key: filled[key] for key in structure}
    if is_nested(structure):
        return type(structure)(pack_as(item, [next(remaining) for _ in flatten(item)]) for item in structure)
    return next(remaining)


def shape_of(value: Any) -> Any:
    """The structure with each leaf replaced by its shape (for error messages).

    >>> shape_of([np.zeros((2, 3)), np.zeros(2)])
    [(2, 3), (2,)]
    """
    return map_structure(lambda leaf: tuple(getattr(leaf, "shape", ())), value)


def structure(value: Any) -> Any:
    """The structure alone, each leaf ``None``: equal for structures of the same kinds and keys.

    >>> structure({"a": np.zeros(2), "b": np.zeros(3)}) == structure({"b": 0, "a": 1})
    True
    """
    return map_structure(lambda leaf: None, value)
