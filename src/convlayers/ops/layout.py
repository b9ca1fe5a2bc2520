"""Layout plumbing: channel axis moves, ``F.pad`` order, extra leading batch dims."""

from __future__ import annotations

import torch

from ..geometry import Pads


def torch_pad_order(pads: Pads) -> tuple[int, ...]:
    """Convert natural-order ``(begin, end)`` pairs to ``F.pad``'s reversed flat order.

    >>> torch_pad_order(((1, 2), (3, 4)))
    (3, 4, 1, 2)
    """
    return tuple(v for pair in reversed(pads) for v in pair)


def channels_first(x: torch.Tensor, channels_last: bool) -> torch.Tensor:
    """A view of ``x`` with channels on axis 1 (zero-copy)."""
    return x.movedim(-1, 1) if channels_last else x


def user_layout(y: torch.Tensor, channels_last: bool) -> torch.Tensor:
    """A view of a channels-first ``y`` in the user's layout (zero-copy)."""
    return y.movedim(1, -1) if channels_last else y


def flatten_batch(x: torch.Tensor, example_rank: int) -> tuple[torch.Tensor, tuple[int, ...]]:
    """Fold any leading batch dims into one, keeping the last ``example_rank`` dims.

    Returns the folded tensor and the leading dims to restore with
    :func:`unflatten_batch`.

    >>> x, lead = flatten_batch(torch.zeros(4, 7, 5, 3), 2)
    >>> tuple(x.shape), lead
    ((28, 5, 3), (4, 7))
    """
    lead = tuple(x.shape[: x.ndim - example_rank])
    if len(lead) == 1:
        return x, lead
    return x.reshape((-1,) + tuple(x.shape[x.ndim - example_rank :])), lead


def unflatten_batch(y: torch.Tensor, lead: tuple[int, ...]) -> torch.Tensor:
    """Undo :func:`flatten_batch` on an output."""
    if len(lead) == 1:
        return y
    return y.reshape(lead + tuple(y.shape[1:]))
