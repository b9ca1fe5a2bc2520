"""Layout plumbing: channel axis moves, ``F.pad`` order, extra leading batch dims."""

from __future__ import annotations

from typing import Any, Sequence

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


def narrow_fault(channels: int, output_width: int, width_stride: int) -> bool:
    """Whether a convolution of this shape would meet oneDNN's one-channel narrow-output fault.

    torch 2.13's oneDNN (3.12) brgemm forward convolution kernel, which runs
    float32 inputs in channels-last memory on AVX-512 CPUs, reads the wrong
    input rows (garbage, run-to-run different, up to 1e32) when the input has
    **one channel**, the output is **one wide** (last spatial dim) and the
    **width stride is above 1**. Measured over 2-D and 3-D sweeps (float32
    against float64, forward and gradients): only then, and there only with a
    unit height stride and kernels above 1 in height and width, any batch; the
    input gradient of a transposed convolution is such a forward convolution
    (its one-channel upstream gradient into an input one wide). Channels-first
    memory runs another oneDNN kernel, which is right, so such calls get it
    (:func:`dodge_narrow_fault`); the test is kept a little wider than the
    fault (any kernel, any height stride) because those outputs are tiny and
    the other kernel costs nothing there.

    >>> narrow_fault(1, 1, 2), narrow_fault(2, 1, 2), narrow_fault(1, 3, 2), narrow_fault(1, 1, 1)
    (True, False, False, False)
    """
    return channels == 1 and output_width == 1 and width_stride > 1


def dodge_narrow_fault(x: torch.Tensor, output_width: int, width_stride: int) -> torch.Tensor:
    """A channels-first ``x`` re-strided as plain channels-first memory when :func:`narrow_fault` holds.

    With one channel both layouts hold the same bytes, so this is a view: only
    the strides oneDNN reads its layout from change.

    >>> x = torch.zeros(2, 4, 1, 1).movedim(-1, 1)  # (N, C=1, H, W) in channels-last memory
    >>> x.stride(), dodge_narrow_fault(x, 1, 2).stride()
    ((4, 1, 1, 1), (4, 4, 1, 1))
    """
    if narrow_fault(x.shape[1], output_width, width_stride):
        return x.squeeze(1).unsqueeze(1)
    return x


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


def static_sizes(sizes: Sequence[Any]) -> tuple[int, ...]:
    """A tensor's sizes as Python ints, for the shape arithmetic of a call.

    While ``torch.jit.trace`` records, sizes read from a tensor are traced
    tensors, and arithmetic on them is replayed with TorchScript's truncating
    ``floor_divide``: a stride-2 'same' convolution replayed to the wrong
    shape. A trace is made for one input shape, so plain ints (constants in
    the trace) are what it must hold.

    >>> static_sizes(torch.zeros(2, 3, 4).shape[1:])
    (3, 4)
    """
    return tuple(map(int, sizes))
