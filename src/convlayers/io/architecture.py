"""Architectures from untrusted configs: type-checked, then built once without memory to size them.

A file's architecture decides how much memory its model takes, so it is built first on
PyTorch's ``meta`` device (every parameter has its shape and dtype, and no storage): the
shapes are compared with what the file holds, and the real model, with real memory, is built
only once they fit.

>>> import convlayers
>>> entry = {"class_name": "Dense", "config": {"units": 20000}, "build_config": {"input_shape": [None, 20000]}}
>>> layer = dry_run(lambda: convlayers.layers.deserialize_layer(entry))
>>> layer.kernel.device.type, state_bytes(layer)
('meta', 1600080000)
"""

from __future__ import annotations

import reprlib
from typing import Any, Callable, TypeVar

import torch
from torch import nn

T = TypeVar("T")

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 4, 120, 120


def dry_run(build: Callable[[], T]) -> T:
    """``build()`` with every tensor it creates on the meta device, each failure a ``ValueError``.

    Layer constructors validate their own arguments with ``ValueError``/``TypeError``;
    values no constructor expects (a list where a dict belongs deep inside a config, a
    number too large for a shape) can raise anything else, and are the file's fault too.
    """
    with torch.device("meta"):
        return build_checked(build)


def build_checked(build: Callable[[], T]) -> T:
    """``build()``, with the errors a malformed config can cause turned into ``ValueError``s.

    >>> build_checked(lambda: [].pop())
    Traceback (most recent call last):
    ...
    ValueError: IndexError: pop from empty list.
    """
    try:
        return build()
    except (ValueError, TypeError):
        raise
    except RecursionError:
        raise ValueError("it nests too deep to build.") from None
    except (AttributeError, KeyError, IndexError, OverflowError, MemoryError, RuntimeError) as error:
        raise ValueError(f"{type(error).__name__}: {error}.") from None


def state_bytes(model: nn.Module) -> int:
    """The bytes of a model's parameters and buffers (its ``state_dict``), on any device."""
    return sum(value.numel() * value.element_size() for value in model.state_dict().values())


def check_entry(entry: Any, where: str) -> None:
    """Refuse a layer entry ``{"class_name", "config", "build_config"...}`` whose parts have the wrong types.

    >>> check_entry({"class_name": "Dense", "config": [1]}, "layer 2")
    Traceback (most recent call last):
    ...
    ValueError: layer 2: `config` must be a dict. Received: [1].
    >>> check_entry({"class_name": "Add", "build_config": {"input_shape": [[None, 4], [None, "4"]]}}, "layer 3")
    Traceback (most recent call last):
    ...
    ValueError: layer 3: `build_config.input_shape` must be a list of ints and None. Received: [None, '4'].
    """
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be a dict with a `class_name`. Received: {short(entry)}.")
    if not isinstance(entry.get("class_name"), str):
        raise ValueError(f"{where}: `class_name` must be a string. Received: {short(entry.get('class_name'))}.")
    for key in ("config", "build_config"):
        if entry.get(key) is not None and not isinstance(entry[key], dict):
            raise ValueError(f"{where}: `{key}` must be a dict. Received: {short(entry[key])}.")
    for key in ("module", "registered_name"):
        if entry.get(key) is not None and not isinstance(entry[key], str):
            raise ValueError(f"{where}: `{key}` must be a string. Received: {short(entry[key])}.")
    shape = (entry.get("build_config") or {}).get("input_shape")
    # A layer of several inputs (a merge layer) records one shape per input.
    shapes = shape if isinstance(shape, list) and shape and all(isinstance(item, list) for item in shape) else [shape]
    for item in shapes:
        check_shape(item, f"{where}: `build_config.input_shape`")


def check_shape(shape: Any, where: str) -> None:
    """Refuse an input shape that is not ``None`` or a list of ``None``/non-negative ints.

    >>> check_shape([None, "8"], "`batch_shape`")
    Traceback (most recent call last):
    ...
    ValueError: `batch_shape` must be a list of ints and None. Received: [None, '8'].
    """
    if shape is None:
        return
    if not isinstance(shape, (list, tuple)) or not all(
        d is None or (isinstance(d, int) and not isinstance(d, bool) and d >= 0) for d in shape
    ):
        raise ValueError(f"{where} must be a list of ints and None. Received: {short(shape)}.")


def short(value: Any) -> str:
    """``repr(value)`` bounded in length and depth: a config from a file can be huge or deeply nested.

    >>> short(list(range(100)))
    '[0, 1, 2, 3, 4, 5, ...]'
    """
    return _REPR.repr(value)
