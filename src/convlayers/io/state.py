"""A model's state (parameters and buffers) to tensors and back, all or nothing."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .container import ModelFileError

_LISTED = 5  # how many names an error message lists before "..."


def check_model(model: object, action: str) -> nn.Module:
    """``model`` if it is a built convlayers model or layer, else a ``TypeError``/``ValueError``.

    >>> check_model(3, "save")
    Traceback (most recent call last):
    ...
    TypeError: Cannot save 3: expected a convlayers model or layer (a torch.nn.Module with get_config), received int.
    """
    if not isinstance(model, nn.Module) or not hasattr(model, "get_config"):
        raise TypeError(
            f"Cannot {action} {model!r}: expected a convlayers model or layer "
            f"(a torch.nn.Module with get_config), received {type(model).__name__}."
        )
    if not getattr(model, "built", True):
        raise ValueError(
            f"Cannot {action} {type(model).__name__} {getattr(model, 'name', '')!r}: it is not built yet, "
            f"so it has no weights. Build it first (call it on data, or `build(input_shape)`)."
        )
    return model


def state_tensors(model: nn.Module) -> dict[str, torch.Tensor]:
    """The ``state_dict`` (parameters and buffers) as private contiguous CPU copies.

    Copies, because safetensors refuses tensors that share memory and a caller
    may keep training while the file is written.

    >>> state_tensors(torch.nn.Linear(2, 1)).keys()
    dict_keys(['weight', 'bias'])
    """
    return {name: value.detach().to("cpu", copy=True).contiguous() for name, value in model.state_dict().items()}


def assign_state(model: nn.Module, tensors: dict[str, torch.Tensor], source: Path, what: str) -> None:
    """Load ``tensors`` into ``model`` after checking every name, shape and dtype.

    Nothing is assigned unless everything fits, so a failed load leaves the
    model exactly as it was. Raises :class:`ModelFileError` listing the missing,
    unexpected, mis-shaped and mis-typed tensors.

    >>> from pathlib import Path
    >>> layer = torch.nn.Linear(2, 1)
    >>> assign_state(layer, {"weight": torch.zeros(1, 3)}, Path("w.safetensors"), "weights")
    Traceback (most recent call last):
    ...
    convlayers.io.container.ModelFileError: Cannot load weights from 'w.safetensors': the file does not match the model's architecture: missing tensors ['bias']; tensors with the wrong shape: 'weight' is (1, 3) in the file but (1, 2) in the model.
    """
    expected = model.state_dict()
    problems = []
    missing = sorted(name for name in expected if name not in tensors)
    unexpected = sorted(name for name in tensors if name not in expected)
    if missing:
        problems.append(f"missing tensors {_listing(missing)}")
    if unexpected:
        problems.append(f"unexpected tensors {_listing(unexpected)}")
    shared = [name for name in expected if name in tensors]
    shapes = [
        f"{name!r} is {tuple(tensors[name].shape)} in the file but {tuple(expected[name].shape)} in the model"
        for name in shared
        if tensors[name].shape != expected[name].shape
    ]
    dtypes = [
        f"{name!r} is {tensors[name].dtype} in the file but {expected[name].dtype} in the model"
        for name in shared
        if tensors[name].dtype != expected[name].dtype
    ]
    if shapes:
        problems.append(f"tensors with the wrong shape: {_listing(shapes, quote=False)}")
    if dtypes:
        problems.append(f"tensors with the wrong dtype: {_listing(dtypes, quote=False)}")
    if problems:
        raise ModelFileError(source, what, "the file does not match the model's architecture: " + "; ".join(problems) + ".")
    model.load_state_dict(tensors, strict=True)


def _listing(items: list[str], quote: bool = True) -> str:
    shown = items[:_LISTED]
    more = f" and {len(items) - _LISTED} more" if len(items) > _LISTED else ""
    return (repr(shown) if quote else ", ".join(shown)) + more
