"""N-d convolution in the user's layout with explicit per-side padding."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from .. import activations
from ..geometry import Pads, conv_output_size
from .layout import narrow_fault, static_sizes, torch_pad_order
from .lowering import backend, plan, runs_onednn
from .memo import per_shape
from .precision import full_float32

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_MKLDNN = torch.backends.mkldnn.is_available()  # read once: torch.compile cannot trace the query

#: Activations (by Keras name) that oneDNN applies inside the convolution, with bit for bit the numbers of
#: applying them afterwards, as ``_convolution_pointwise``'s ``(attr, scalars)``. Inference only: it has
#: no backward. The output is written once instead of twice (relu, N8, ms: 3x3 64->64 @56x56 11.6 -> 8.8,
#: groups 8 17.9 -> 9.8, depthwise 2.8 -> 1.7, s2 5.4 -> 5.2). Not fused: gelu (1.2e-6
#: apart near zero, where Keras's erfc form is exact), sigmoid, tanh, silu (3e-7 apart, 1.02x),
#: hard_sigmoid and hard_silu (1e-3 apart near zero); elu is refused by this oneDNN. Nor where torch runs
#: its own kernels (:func:`~.lowering.runs_onednn`; 1x1 unstrided kernels may run as a GEMM), whose sums
#: round differently.
_FUSED = {
    "relu": ("relu", []),
    "relu6": ("hardtanh", [0.0, 6.0]),
    "hard_tanh": ("hardtanh", [-1.0, 1.0]),
    "leaky_relu": ("leaky_relu", [0.2]),
}

#: Below this bound on every ``|output|``, float32 sums of products cannot overflow (float32's largest
#: value is 3.4e38; the margin covers the rounding of the partial sums).
_FINITE_SUMS = 1e38


def conv(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    *,
    pads: Pads,
    strides: tuple[int, ...],
    dilation_rate: tuple[int, ...],
    groups: int,
    channels_last: bool,
    activation: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> torch.Tensor:
    """Cross-correlate ``x`` with ``weight`` (PyTorch layout ``(F, C/groups, *k)``), then apply ``activation``.

    ``x`` is ``(N, *spatial, C)`` when ``channels_last`` else ``(N, C, *spatial)``;
    the output is in the same layout. ``pads`` holds one ``(begin, end)`` pair
    per spatial dim. How torch computes it is :func:`~.lowering.plan`'s choice,
    run by :func:`conv_call`. ``activation`` is elementwise; one whose ``name``
    is in :data:`_FUSED` runs inside oneDNN's kernel when no gradient is needed.

    >>> y = conv(torch.ones(1, 5, 5, 2), torch.ones(4, 2, 3, 3), None, pads=((1, 1), (1, 1)),
    ...          strides=(1, 1), dilation_rate=(1, 1), groups=1, channels_last=True)
    >>> tuple(y.shape), y[0, 2, 2, 0].item(), y[0, 0, 0, 0].item()
    ((1, 5, 5, 4), 18.0, 8.0)
    """
    run = conv_call(
        static_sizes(x.shape[:1] + (x.shape[1:-1] if channels_last else x.shape[2:])),
        tuple(weight.shape), pads, strides, dilation_rate, groups, channels_last, x.device.type, x.dtype,
    )
    return run(x, weight, bias, activation)


#: A convolution specialised to one input shape: ``(x, weight, bias, activation) -> y``, in the user's layout.
ConvCall = Callable[
    [torch.Tensor, torch.Tensor, "torch.Tensor | None", "Callable[[torch.Tensor], torch.Tensor] | None"], torch.Tensor
]


@per_shape(maxsize=1024)
def conv_call(
    sizes: tuple[int, ...],
    weight_shape: tuple[int, ...],
    pads: Pads,
    strides: tuple[int, ...],
    dilation_rate: tuple[int, ...],
    groups: int,
    channels_last: bool,
    device: str,
    dtype: torch.dtype,
) -> ConvCall:
    """:func:`conv` for inputs of ``sizes`` (batch, then spatial) on ``device`` (a type) in ``dtype``, resolved once.

    Everything that depends only on the shapes (the lowering plan, torch's
    pad order, the output window, oneDNN's narrow-fault dodge, whether fusing
    an activation can pay) is decided here; the returned function only runs
    the torch ops, so a layer keeps it and calls it again for the same shape.
    On CUDA (:func:`~.lowering.backend`) none of the CPU detours apply; half
    precision runs from channels-last memory, float32 with TF32 off.

    >>> run = conv_call((1, 5, 5), (4, 2, 3, 3), ((1, 1), (1, 1)), (1, 1), (1, 1), 1, True, "cpu", torch.float32)
    >>> run(torch.ones(1, 5, 5, 2), torch.ones(4, 2, 3, 3), None, None)[0, 2, 2, 0].item()
    18.0
    """
    batch, spatial, kernel = sizes[0], sizes[1:], weight_shape[2:]
    rank = len(strides)
    cpu_float32 = device == "cpu" and dtype == torch.float32
    onednn = runs_onednn(batch, weight_shape[1] * groups, spatial, kernel, groups)
    dtype_name = str(dtype).removeprefix("torch.")
    kernels = backend(device, dtype_name)
    p = plan(
        spatial, kernel, pads, strides, dilation_rate, groups, channels_last, device, dtype_name,
        cpu_float32 and not onednn,  # native: torch runs its own kernel
    )
    lifted = p.rank > rank
    if lifted:
        # (N, C, L) as (N, C, 1, L): a view, in channels_last memory when the user's layout is.
        strides, dilation_rate, kernel = (1,) + strides, (1,) + dilation_rate, (1,) + kernel
    input_pads = None if p.input_pads is None else torch_pad_order(p.input_pads)
    padded_width = spatial[-1] + (0 if p.input_pads is None else sum(p.input_pads[-1]))
    width = conv_output_size(padded_width, kernel[-1], strides[-1], dilation_rate[-1], (p.padding[-1],) * 2)
    # oneDNN's fault, so CPU only (the re-striding is a free view at every CPU dtype, kept as measured).
    narrow = device == "cpu" and narrow_fault(weight_shape[1] * groups, width, strides[-1])
    window = None if p.window is None else (
        (slice(None), slice(None)) + tuple(slice(start, start + size) for start, size in p.window)
    )
    # 1x1 unstrided: torch may run those as a GEMM (one thread, batch < 16), whose sums round differently
    fusable = cpu_float32 and _MKLDNN and onednn and not all(n == 1 for n in kernel + strides + dilation_rate)
    convolve, padding = _CONV[p.rank], p.padding
    to_first, to_last = (0, rank + 1, *range(1, rank + 1)), (0, *range(2, rank + 2), 1)
    # torch's own CPU kernel (small inputs) copies a channels-last input to channels-first anyway; copying
    # first is cheaper than letting it (~0.5 us of a 10 us call at 1x8x8x4). oneDNN prefers channels-last.
    compact = channels_last and device == "cpu" and not onednn
    # cuDNN's tensor-core kernels for half precision read channels-last memory; a channels-last user layout is
    # that already (a view), a channels-first one is copied once here rather than by torch around each kernel.
    memory_format = {2: torch.channels_last, 3: torch.channels_last_3d}.get(p.rank)
    to_channels_last = kernels.channels_last and not channels_last and memory_format is not None

    def run(
        x: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor | None,
        activation: Callable[[torch.Tensor], torch.Tensor] | None,
    ) -> torch.Tensor:
        if channels_last:
            x = x.permute(to_first)
            if compact:
                x = x.contiguous()
        if to_channels_last:
            x = x.contiguous(memory_format=memory_format)
        if lifted:
            x, weight = x.unsqueeze(2), weight.unsqueeze(2)
        if input_pads is not None:
            x = F.pad(x, input_pads)
        if narrow:  # one channel: the same bytes, re-strided as plain channels-first memory
            x = x.squeeze(1).unsqueeze(1)
        fused = _fused(activation, x, weight, bias) if fusable and activation is not None else None
        if fused is not None:
            y = torch.ops.mkldnn._convolution_pointwise(x, weight, bias, padding, strides, dilation_rate, groups, *fused, None)
        else:
            y = convolve(x, weight, bias, strides, padding, dilation_rate, groups)
        if window is not None:
            y = y[window]
        if lifted:
            y = y.squeeze(2)
        if activation is not None and fused is None:
            y = activation(y)
        return y.permute(to_last) if channels_last else y

    return full_float32(run) if kernels.full_float32 else run


def _fused(
    activation: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
) -> tuple[str, list[float]] | None:
    """``_convolution_pointwise``'s ``(attr, scalars)`` for ``activation``, or ``None`` where it must not run.

    The checks that depend on the call, not the shapes (:func:`conv_call` makes those once).
    """
    name = getattr(activation, "name", None)
    fused = _FUSED.get(name)
    # Only the built-in activation of that name: a user function may share the name, not the math.
    if fused is None or activation is not activations.get(name):
        return None
    if torch.compiler.is_compiling():  # a compiler fuses on its own terms
        return None
    if torch.jit.is_tracing():  # TorchScript has no schema for the fused op's optional scalars
        return None
    if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (x, weight, bias)):
        return None
    if not _outputs_finite(x, weight, bias):
        return None
    return fused


def _outputs_finite(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> bool:
    """Whether every output of the convolution is certainly finite, so no NaN can meet a fused clamp.

    oneDNN's fused relu and hardtanh turn NaN into 0 (or the clamp's bound),
    where relu afterwards, as in Keras and PyTorch, keeps it. NaN arises only
    from a NaN or infinite input, weight or bias, or from sums that overflow;
    ``|y| <= max|x| * max over filters of sum|w| + max|b|`` rules out all of
    them at once (NaN and inf propagate into the bound and fail the test). One
    pass over ``x`` (0.14 ms at 8x56x56x64) against the fusion's 2.8 ms gain.
    """
    if x.numel() == 0:  # nothing to gain, and aminmax has no identity
        return False
    low, high = torch.aminmax(x)
    bound = torch.maximum(-low, high) * weight.abs().flatten(1).sum(1).amax()
    if bias is not None:
        bound = bound + bias.abs().amax()
    return bool(bound < _FINITE_SUMS)
