"""N-d transposed convolution in the user's layout, keeping any window of its natural output."""

from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import torch
import torch.nn.functional as F

from ..geometry import Windows, conv_transpose_natural_size
from .layout import channels_first, dodge_narrow_fault, narrow_fault, static_sizes, torch_pad_order, user_layout
from .lowering import backend
from .memo import per_shape
from .precision import full_float32

_CONV_TRANSPOSE = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
_CONV = {2: F.conv2d, 3: F.conv3d}


class TorchTranspose(NamedTuple):
    """How a window of the natural output is obtained from torch's ``conv_transpose``.

    Torch crops ``padding`` from both ends of the natural output and then
    lengthens it by ``output_padding`` at the end (zeros past the natural
    end); ``slices`` (``(start, size)`` per dim) and ``zeros`` (appended per
    dim) finish the window when torch's symmetric crop cannot express it.
    """

    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    slices: tuple[tuple[int, int], ...]
    zeros: tuple[int, ...]
    torch_sizes: tuple[int, ...]

    @property
    def exact(self) -> bool:
        """Torch's output is the window itself: no slice, no copy, bias fused."""
        return all(z == 0 for z in self.zeros) and all(
            start == 0 and size == full for (start, size), full in zip(self.slices, self.torch_sizes)
        )


def lowering(
    natural: Sequence[int], windows: Windows, strides: Sequence[int], dilation_rate: Sequence[int]
) -> TorchTranspose:
    """Plan the torch call that yields each window ``(begin, size)`` of the natural output.

    Torch's output spans natural positions ``[p, N - p + q)`` with ``q`` below
    ``max(stride, dilation)``. When ``p = begin`` and ``q = begin - end`` (with
    ``end = N - begin - size``) are both legal, torch computes exactly the
    window. Otherwise torch crops ``min(begin, end)`` from both ends, extends
    as far as it may, and the rest is a slice (a view) or zero-filling.

    >>> lowering((9,), ((1, 8),), (2,), (1,)).exact  # k3 s2 'same' output_padding=1
    True
    >>> lowering((9,), ((0, 8),), (2,), (1,))  # k3 s2 'same': would need q = -1
    TorchTranspose(padding=(0,), output_padding=(0,), slices=((0, 8),), zeros=(0,), torch_sizes=(9,))
    """
    padding, output_padding, slices, zeros, torch_sizes = [], [], [], [], []
    for n, (begin, size), s, d in zip(natural, windows, strides, dilation_rate):
        limit = max(s, d)
        end = n - begin - size
        if 0 <= begin - end < limit:
            p, q = begin, begin - end
        else:
            p = max(min(begin, end), 0)
            q = min(max(begin + size - (n - p), 0), limit - 1)
        full = n - 2 * p + q
        start = min(begin - p, full)
        kept = min(size, full - start)
        padding.append(p)
        output_padding.append(q)
        slices.append((start, kept))
        zeros.append(size - kept)
        torch_sizes.append(full)
    return TorchTranspose(tuple(padding), tuple(output_padding), tuple(slices), tuple(zeros), tuple(torch_sizes))


def conv_transpose(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    *,
    windows: Windows,
    strides: tuple[int, ...],
    dilation_rate: tuple[int, ...],
    groups: int,
    channels_last: bool,
) -> torch.Tensor:
    """Transposed convolution of ``x`` with ``weight`` (PyTorch layout ``(C, F/groups, *k)``).

    ``x`` is ``(N, *spatial, C)`` when ``channels_last`` else ``(N, C, *spatial)``;
    the output is in the same layout. Along each spatial dim the output is the
    window ``(begin, size)`` of the natural (uncropped) output, zero-filled
    past its end, plus ``bias``.

    >>> y = conv_transpose(torch.ones(1, 1, 2), torch.ones(1, 1, 3), torch.tensor([0.5]),
    ...                    windows=((0, 6),), strides=(2,), dilation_rate=(1,), groups=1,
    ...                    channels_last=False)
    >>> y.flatten().tolist()  # natural [1, 1, 2, 1, 1], then a zero past its end
    [1.5, 1.5, 2.5, 1.5, 1.5, 0.5]
    """
    spatial = static_sizes(x.shape[1:-1] if channels_last else x.shape[2:])
    run = conv_transpose_call(
        spatial, tuple(weight.shape), windows, strides, dilation_rate, groups, channels_last, x.device.type, x.dtype
    )
    return run(x, weight, bias)


#: A transposed convolution specialised to one input shape: ``(x, weight, bias) -> y``, in the user's layout.
ConvTransposeCall = Callable[[torch.Tensor, torch.Tensor, "torch.Tensor | None"], torch.Tensor]


@per_shape(maxsize=1024)
def conv_transpose_call(
    spatial: tuple[int, ...],
    weight_shape: tuple[int, ...],
    windows: Windows,
    strides: tuple[int, ...],
    dilation_rate: tuple[int, ...],
    groups: int,
    channels_last: bool,
    device: str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> ConvTransposeCall:
    """:func:`conv_transpose` for inputs of ``spatial`` sizes, resolved once: the returned function runs the torch ops.

    On ``device`` (a type) in ``dtype``: on CUDA (:func:`~.lowering.backend`)
    torch's own autograd differentiates the window (the custom backward is a
    oneDNN detour), half precision runs from channels-last memory and float32
    with TF32 off.

    >>> run = conv_transpose_call((2,), (1, 1, 3), ((0, 6),), (2,), (1,), 1, False)
    >>> run(torch.ones(1, 1, 2), torch.ones(1, 1, 3), torch.tensor([0.5])).flatten().tolist()
    [1.5, 1.5, 2.5, 1.5, 1.5, 0.5]
    """
    natural = [
        conv_transpose_natural_size(n, k, s, d) for n, k, s, d in zip(spatial, weight_shape[2:], strides, dilation_rate)
    ]
    plan = lowering(natural, windows, strides, dilation_rate)
    kernels = backend(device, str(dtype).removeprefix("torch."))
    # The input gradient is a forward convolution of the upstream gradient into x's shape; where
    # oneDNN's kernel would get that wrong, the custom backward routes around it. It also routes around
    # oneDNN's layout copies (see _Window), so it is a CPU detour: elsewhere torch differentiates the window.
    own = plan.exact and not narrow_fault(weight_shape[1] * groups, spatial[-1], strides[-1])
    custom_backward = not own and device == "cpu"
    memory_format = {2: torch.channels_last, 3: torch.channels_last_3d}.get(len(spatial))
    to_channels_last = kernels.channels_last and not channels_last and memory_format is not None

    def run(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        x = channels_first(x, channels_last)
        if to_channels_last:  # cuDNN's half-precision kernels read channels-last memory
            x = x.contiguous(memory_format=memory_format)
        if own:
            y = _torch_conv_transpose(x, weight, bias, plan, strides, dilation_rate, groups)
        elif not custom_backward or torch.jit.is_tracing():  # TorchScript cannot record a custom Function with non-tensor arguments
            y = _window(x, weight, bias, plan, strides, dilation_rate, groups)
        else:
            y = _Window.apply(x, weight, bias, plan, natural, windows, strides, dilation_rate, groups)
        return user_layout(y, channels_last)

    return full_float32(run) if kernels.full_float32 else run


def _window(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    plan: TorchTranspose,
    strides: tuple[int, ...],
    dilation_rate: tuple[int, ...],
    groups: int,
) -> torch.Tensor:
    """``plan``'s window of torch's ``conv_transpose`` output (zeros past its end), then the bias."""
    y = _torch_conv_transpose(x, weight, None, plan, strides, dilation_rate, groups)
    y = y[(slice(None), slice(None)) + tuple(slice(start, start + size) for start, size in plan.slices)]
    if any(plan.zeros):
        y = F.pad(y, torch_pad_order(tuple((0, z) for z in plan.zeros)))
    if bias is not None:
        y = y + bias.view((-1,) + (1,) * len(strides))
    return y


class _Window(torch.autograd.Function):
    """A window of torch's ``conv_transpose`` output that is not torch's own, differentiated as a convolution.

    Through autograd, the window's slice hands torch's backward a zero-filled
    gradient of the natural size in channels-first memory, which it copies to
    channels-last before oneDNN's backward kernels. Here the upstream gradient
    is padded once to the natural size in its own (channels-last) memory; the
    input gradient is the forward convolution of it and only the kernel
    gradient needs a backward kernel. Training step, N8, 3x3 s2 Keras 'same'
    (one past torch's window): 64->32 @28x28 6.6 -> 5.4 ms, and 2.1-2.5x with
    groups=4 (13.8 -> 6.0 ms); 1-D 1.02x. Where torch's output is the window
    itself its own backward stays faster (4x4 s2 'same': 8.3 ms against 12.0),
    so only windows take this path.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, plan, natural, windows, strides, dilation_rate, groups):
        ctx.save_for_backward(x, weight)
        # The window's part inside the natural output: its first `kept` positions, `begin` in (a window
        # may reach past the natural end, or lie wholly past it, where it is zeros that depend on nothing).
        ctx.inside = tuple(
            (min(begin, n), max(0, min(size, n - begin)), n) for n, (begin, size) in zip(natural, windows)
        )
        ctx.strides, ctx.dilation_rate, ctx.groups = strides, dilation_rate, groups
        return _window(x, weight, bias, plan, strides, dilation_rate, groups)

    @staticmethod
    def backward(ctx, dy):
        x, weight = ctx.saved_tensors
        strides, dilation_rate, rank = ctx.strides, ctx.dilation_rate, len(ctx.strides)
        db = dy.sum([0] + list(range(2, dy.ndim))) if ctx.needs_input_grad[2] else None
        # The gradient of the natural output: the window's gradient where it lies inside, zeros around it.
        dy = dy[(slice(None), slice(None)) + tuple(slice(0, kept) for _, kept, _ in ctx.inside)]
        dy = F.pad(dy, torch_pad_order(tuple((begin, n - begin - kept) for begin, kept, n in ctx.inside)))
        if rank == 1:  # as 2-D, like the forward: oneDNN's fast kernels
            x, weight, dy = x.unsqueeze(2), weight.unsqueeze(2), dy.unsqueeze(2)
            strides, dilation_rate = (1,) + strides, (1,) + dilation_rate
        if dy.device.type == "cpu" and dy.dtype == torch.float32:
            memory_format = torch.channels_last if dy.ndim == 4 else torch.channels_last_3d
            x, dy = x.contiguous(memory_format=memory_format), dy.contiguous(memory_format=memory_format)
        dx = dw = None
        if ctx.needs_input_grad[0]:
            dy_safe = dodge_narrow_fault(dy, x.shape[-1], strides[-1])
            dx = _CONV[dy.ndim - 2](dy_safe, weight, None, stride=strides, dilation=dilation_rate, groups=ctx.groups)
            dx = dx.squeeze(2) if rank == 1 else dx
        if ctx.needs_input_grad[1]:  # the kernel gradient of the convolution dy -> x, whose upstream gradient is x
            zeros = (0,) * len(strides)
            dw = torch.ops.aten.convolution_backward(
                x, dy, weight, None, strides, zeros, dilation_rate, False, zeros, ctx.groups, (False, True, False)
            )[1]
            dw = dw.squeeze(2) if rank == 1 else dw
        return dx, dw, db, None, None, None, None, None, None


def _torch_conv_transpose(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    plan: TorchTranspose,
    strides: tuple[int, ...],
    dilation_rate: tuple[int, ...],
    groups: int,
) -> torch.Tensor:
    """Torch's ``conv_transpose`` for ``plan``, in the memory layout its fastest CPU kernel wants.

    On CPU, float32 transposed convolutions run in oneDNN only from channels-last
    memory; from channels-first memory (and always in 1-D) torch falls back to a
    kernel about 10x slower (torch 2.13, 8x32x32x32 -> 64x64: 30 ms vs 2 ms,
    one thread). So float32 CPU inputs go channels-last, 1-D lifted to 2-D.
    Elsewhere (float64, GPUs) torch's own choice is kept.
    """
    rank = x.ndim - 2
    if x.device.type != "cpu" or x.dtype != torch.float32:
        return _CONV_TRANSPOSE[rank](
            x, weight, bias, stride=strides, padding=plan.padding, output_padding=plan.output_padding,
            groups=groups, dilation=dilation_rate,
        )
    if rank == 1:
        y = F.conv_transpose2d(
            x.unsqueeze(2).contiguous(memory_format=torch.channels_last),
            weight.unsqueeze(2),
            bias,
            stride=(1, strides[0]),
            padding=(0, plan.padding[0]),
            output_padding=(0, plan.output_padding[0]),
            groups=groups,
            dilation=(1, dilation_rate[0]),
        )
        return y.squeeze(2)
    memory_format = torch.channels_last if rank == 2 else torch.channels_last_3d
    return _CONV_TRANSPOSE[rank](
        x.contiguous(memory_format=memory_format), weight, bias, stride=strides, padding=plan.padding,
        output_padding=plan.output_padding, groups=groups, dilation=dilation_rate,
    )
