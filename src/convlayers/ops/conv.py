"""N-d convolution in the user's layout with explicit per-side padding."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from .. import activations
from ..geometry import Pads, conv_output_size
from .layout import channels_first, dodge_narrow_fault, static_sizes, torch_pad_order, user_layout
from .lowering import plan

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_MKLDNN = torch.backends.mkldnn.is_available()  # read once: torch.compile cannot trace the query

#: Activations (by Keras name) that oneDNN applies inside the convolution, with bit for bit the numbers of
#: applying them afterwards, as ``_convolution_pointwise``'s ``(attr, scalars)``. Inference only: it has
#: no backward. The output is written once instead of twice (relu, N8, ms: 3x3 64->64 @56x56 11.6 -> 8.8,
#: groups 8 17.9 -> 9.8, depthwise 2.8 -> 1.7, s2 5.4 -> 5.2). Not fused: gelu (1.2e-6
#: apart near zero, where Keras's erfc form is exact), sigmoid, tanh, silu (3e-7 apart, 1.02x),
#: hard_sigmoid and hard_silu (1e-3 apart near zero); elu is refused by this oneDNN. Nor 1x1 unstrided
#: kernels: torch may run those as a GEMM (one thread, batch < 16), whose sums round differently.
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
    per spatial dim. How torch computes it is :func:`~.lowering.plan`'s choice.
    ``activation`` is elementwise; one whose ``name`` is in :data:`_FUSED` runs
    inside oneDNN's kernel when no gradient is needed.

    >>> y = conv(torch.ones(1, 5, 5, 2), torch.ones(4, 2, 3, 3), None, pads=((1, 1), (1, 1)),
    ...          strides=(1, 1), dilation_rate=(1, 1), groups=1, channels_last=True)
    >>> tuple(y.shape), y[0, 2, 2, 0].item(), y[0, 0, 0, 0].item()
    ((1, 5, 5, 4), 18.0, 8.0)
    """
    rank = len(strides)
    spatial = static_sizes(x.shape[1:-1] if channels_last else x.shape[2:])
    dtype = str(x.dtype).removeprefix("torch.")
    p = plan(spatial, tuple(weight.shape[2:]), pads, strides, dilation_rate, groups, channels_last, x.device.type, dtype)
    x = channels_first(x, channels_last)
    if p.rank > rank:
        # (N, C, L) as (N, C, 1, L): a view, in channels_last memory when the user's layout is.
        x, weight = x.unsqueeze(2), weight.unsqueeze(2)
        strides, dilation_rate = (1,) + strides, (1,) + dilation_rate
    if p.input_pads is not None:
        x = F.pad(x, torch_pad_order(p.input_pads))
    width = conv_output_size(int(x.shape[-1]), weight.shape[-1], strides[-1], dilation_rate[-1], (p.padding[-1],) * 2)
    x = dodge_narrow_fault(x, width, strides[-1])
    fused = _fused(activation, x, weight, bias, strides + dilation_rate)
    if fused is not None:
        y = torch.ops.mkldnn._convolution_pointwise(x, weight, bias, p.padding, strides, dilation_rate, groups, *fused, None)
    else:
        y = _CONV[p.rank](x, weight, bias, stride=strides, padding=p.padding, dilation=dilation_rate, groups=groups)
    if p.window is not None:
        y = y[(slice(None), slice(None)) + tuple(slice(start, start + size) for start, size in p.window)]
    if p.rank > rank:
        y = y.squeeze(2)
    if activation is not None and fused is None:
        y = activation(y)
    return user_layout(y, channels_last)


def _fused(
    activation: Callable[[torch.Tensor], torch.Tensor] | None,
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    steps: tuple[int, ...],
) -> tuple[str, list[float]] | None:
    """``_convolution_pointwise``'s ``(attr, scalars)`` for ``activation``, or ``None`` where it must not run.

    ``steps``: the strides and dilation rates.
    """
    name = getattr(activation, "name", None)
    fused = _FUSED.get(name)
    # Only the built-in activation of that name: a user function may share the name, not the math.
    if fused is None or activation is not activations.get(name) or x.device.type != "cpu" or x.dtype != torch.float32:
        return None
    if not _MKLDNN or torch.compiler.is_compiling():  # a compiler fuses on its own terms
        return None
    if torch.jit.is_tracing():  # TorchScript has no schema for the fused op's optional scalars
        return None
    if all(n == 1 for n in tuple(weight.shape[2:]) + steps):  # 1x1 unstrided
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
