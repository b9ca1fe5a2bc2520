"""A model's state (parameters and buffers) to tensors and back: checked first, then assigned."""

from __future__ import annotations

import torch
from torch import nn

from .container import ModelFileError, StoredFile

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


def check_fits(model: nn.Module, stored: StoredFile) -> None:
    """Check every tensor entry of ``stored`` against ``model``'s state (names, shapes, dtypes), before any is read.

    ``model`` may be built on the meta device: only shapes and dtypes are compared. Raises
    :class:`ModelFileError` listing the missing, unexpected, mis-shaped and mis-typed tensors.

    >>> from pathlib import Path
    >>> from convlayers.io.container import StoredFile, TensorEntry
    >>> stored = StoredFile(Path("w.safetensors"), "weights", "weights", None, {"weight": TensorEntry(torch.float32, (1, 3), 0, 12)}, 8)
    >>> check_fits(torch.nn.Linear(2, 1), stored)
    Traceback (most recent call last):
    ...
    convlayers.io.container.ModelFileError: Cannot load weights from 'w.safetensors': the file does not match the model's architecture: missing tensors ['bias']; tensors with the wrong shape: 'weight' is (1, 3) in the file but (1, 2) in the model.
    """
    expected = model.state_dict()
    entries = stored.entries
    problems = []
    missing = sorted(name for name in expected if name not in entries)
    unexpected = sorted(name for name in entries if name not in expected)
    if missing:
        problems.append(f"missing tensors {_listing(missing)}")
    if unexpected:
        problems.append(f"unexpected tensors {_listing(unexpected)}")
    shared = [name for name in expected if name in entries]
    shapes = [
        f"{name!r} is {entries[name].shape} in the file but {tuple(expected[name].shape)} in the model"
        for name in shared
        if entries[name].shape != tuple(expected[name].shape)
    ]
    dtypes = [
        f"{name!r} is {entries[name].dtype} in the file but {expected[name].dtype} in the model"
        for name in shared
        if entries[name].dtype != expected[name].dtype
    ]
    if shapes:
        problems.append(f"tensors with the wrong shape: {_listing(shapes, quote=False)}")
    if dtypes:
        problems.append(f"tensors with the wrong dtype: {_listing(dtypes, quote=False)}")
    if problems:
        raise ModelFileError(stored.path, stored.what, "the file does not match the model's architecture: " + "; ".join(problems) + ".")


def assign_state(model: nn.Module, tensors: dict[str, torch.Tensor]) -> None:
    """Copy ``tensors`` (checked by :func:`check_fits`) into ``model``'s parameters and buffers.

    One pass over the state, so linear in its size: ``load_state_dict`` filters the whole
    state once per submodule, quadratic in the number of layers.

    >>> layer = torch.nn.Linear(2, 1)
    >>> assign_state(layer, {"weight": torch.ones(1, 2), "bias": torch.zeros(1)})
    >>> layer.weight.tolist()
    [[1.0, 1.0]]
    """
    with torch.no_grad():
        for name, target in model.state_dict(keep_vars=True).items():
            target.copy_(tensors[name])


def _listing(items: list[str], quote: bool = True) -> str:
    shown = items[:_LISTED]
    more = f" and {len(items) - _LISTED} more" if len(items) > _LISTED else ""
    return (repr(shown) if quote else ", ".join(shown)) + more
