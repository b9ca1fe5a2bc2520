"""How a convolution spec is lowered onto torch's kernels: pure integer planning, cached per shape.

A :class:`Plan` says which torch call computes a convolution given in the
user's terms (layout, explicit per-side pads), so that :func:`~.conv.conv`
only executes it. The choices, each measured with ``python -m bench`` on a
2-core AVX-512 CPU (torch 2.13, oneDNN 3.12), are:

- **Layout.** A channels-last input stays channels-last: ``movedim`` gives a
  tensor in torch's ``channels_last`` memory format without a copy, which is
  what oneDNN's fastest (brgemm) kernels want, forward and backward; the output
  and the gradients come back in the same format, again without copies.
- **Rank 1 runs as rank 2.** ``(N, L, C)`` becomes ``(N, C, 1, L)`` in
  ``channels_last`` memory (a view); torch's own ``conv1d`` copies such an input
  to ``(N, C, L)`` and runs oneDNN's channels-first kernel: 2.4x slower forward
  and 2.3x slower in training (k3, dilation 4, 64 channels, length 4096).
  Except where torch runs its native kernel (:func:`runs_onednn`): that one
  copies either way, and the lift only adds ops (``1x8x4``, k3 to 8
  channels: 10.5 us lifted, 8.9 us as ``conv1d``).
- **Asymmetric pads** (TF's ``'same'`` with an even window, ``'causal'``,
  explicit pairs) without a padded copy where that is cheaper: torch pads each
  side by ``p`` and a slice of the output keeps the requested window. That is
  exact when ``p`` is the begin pad plus a whole number of strides (the output
  grid stays aligned) and torch's output covers the requested one. The extra
  outputs cost forward and backward (and the slice's backward writes a
  zero-filled gradient), so the slice is taken only while they stay under
  :data:`MAX_OVERCOMPUTE`: a causal 1-D conv (0.2% extra) runs 1.6x faster
  forward and 1.15x in training than with a padded copy; TF's 'same' at
  stride 2 on 56x56 (7% extra) is as fast forward and 1.3x slower in training,
  so it pads a copy. When the end pad never reaches an output, it is dropped.
- **Not taken, measured:** a 1x1 conv as ``addmm`` over the channel axis
  (oneDNN's 1x1 kernel is 5-15% faster, forward and training); depthwise as
  nine fused multiply-add taps under ``torch.compile`` (1.6x slower forward,
  4.7x slower training than oneDNN's channels-last depthwise kernel, plus
  ~20 s of compilation); the weight in ``channels_last`` memory (no difference
  beyond noise: oneDNN reorders weights into its blocked format either way).

On CUDA (:func:`backend`) cuDNN runs its own kernels with none of the oneDNN
detours: 1-D stays 1-D (torch hands cuDNN a 2-D view itself), no padded copies
around oneDNN's faults, no re-striding, no custom transposed backward; half
precision goes to channels-last memory, where cuDNN's tensor-core kernels are,
and float32 runs with TF32 off (:mod:`.precision`). The padding choices
(symmetric pads, output windows) stand for every device until measured there.

>>> plan((56, 56), (3, 3), ((0, 1), (0, 1)), (2, 2), (1, 1), 1, True).input_pads  # TF 'same', stride 2
((0, 1), (0, 1))
"""

from __future__ import annotations

import math
from typing import NamedTuple

from ..geometry import Pads, conv_output_size, reads_only_padding
from .memo import per_shape

#: Largest ratio of computed to requested outputs for which an output slice
#: replaces a padded copy of the input (measured: 1.002 wins, 1.07 loses).
MAX_OVERCOMPUTE = 1.05


class Backend(NamedTuple):
    """What runs a device's convolutions in a dtype, and so which detours and guards apply around them.

    ``onednn``: oneDNN may run them (CPU below float64), so the detours around its
    faults apply (:func:`_mishandled_by_onednn`, the one-channel re-striding of
    :func:`~.layout.narrow_fault`, the transposed convolution's own backward).
    ``lift_1d``: a 1-D convolution runs as 2-D in channels-last memory (oneDNN's
    fast kernels; measured on CPUs only). ``channels_last``: copy channels-first
    inputs to channels-last memory first (cuDNN's tensor-core kernels for float16
    and bfloat16 read NHWC; float32 keeps the user's layout, a free view).
    ``full_float32``: the kernels would use TF32 under torch's default flags
    (cuDNN, cuBLAS), so the call runs under :func:`~.precision.full_float32`.
    """

    onednn: bool
    lift_1d: bool
    channels_last: bool
    full_float32: bool


def backend(device: str, dtype: str) -> Backend:
    """The :class:`Backend` for a device type and a dtype name.

    >>> backend("cpu", "float32")
    Backend(onednn=True, lift_1d=True, channels_last=False, full_float32=False)
    >>> backend("cuda", "float32"), backend("cuda", "bfloat16").channels_last
    (Backend(onednn=False, lift_1d=False, channels_last=False, full_float32=True), True)
    """
    cpu, cuda = device == "cpu", device == "cuda"
    return Backend(
        onednn=cpu and dtype != "float64",  # float64 runs torch's own kernels
        lift_1d=not cuda,  # every other device keeps the measured CPU choice; torch lifts 1-D for cuDNN itself
        channels_last=cuda and dtype in ("float16", "bfloat16"),
        full_float32=cuda and dtype == "float32",
    )


class Plan(NamedTuple):
    """A torch call computing one convolution spec.

    ``rank``: the rank torch runs (1-D specs run as 2-D). ``padding``: torch's
    symmetric padding per dim (of ``rank``). ``input_pads``: per-side zeros to
    copy into the input first (``None``: none). ``window``: ``(start, size)``
    per dim to keep from torch's output (``None``: all of it).
    """

    rank: int
    padding: tuple[int, ...]
    input_pads: Pads | None
    window: tuple[tuple[int, int], ...] | None


def aligned_padding(size: int, kernel: int, stride: int, dilation: int, pads: tuple[int, int]) -> tuple[int, int]:
    """The symmetric pad ``p`` and output offset ``o`` that reproduce ``pads`` by slicing.

    Padding both sides by ``p`` and keeping outputs ``[o, o + n)`` equals padding
    by ``pads = (begin, end)``: ``p = begin + o * stride`` keeps the output grid
    aligned, and ``p`` is the smallest such value whose output is long enough.

    >>> aligned_padding(4096, 3, 1, 4, (8, 0))  # causal: pad 8 both sides, keep the first 4096
    (8, 0)
    >>> aligned_padding(56, 3, 2, 1, (0, 1))  # TF 'same', stride 2: pad 2, drop the first output
    (2, 1)
    """
    begin = pads[0]
    wanted = conv_output_size(size, kernel, stride, dilation, pads)
    p = begin
    while True:
        offset = (p - begin) // stride
        if conv_output_size(size, kernel, stride, dilation, (p, p)) >= offset + wanted:
            return p, offset
        p += stride


@per_shape(maxsize=1024)
def plan(
    spatial: tuple[int, ...],
    kernel_size: tuple[int, ...],
    pads: Pads,
    strides: tuple[int, ...],
    dilation_rate: tuple[int, ...],
    groups: int,
    channels_last: bool,
    device: str = "cpu",
    dtype: str = "float32",
    native: bool = False,
) -> Plan:
    """The :class:`Plan` for a convolution of inputs with ``spatial`` sizes, on ``device`` (a type) in ``dtype``.

    ``native``: torch runs its own kernel for this call, not oneDNN's (see
    :func:`runs_onednn`); then 1-D stays 1-D.

    The choices above were measured on CPUs, and stand for every device until
    measured elsewhere, but for :func:`backend`'s: the detours around oneDNN's
    faults apply only where oneDNN runs (CPU, below float64, which runs torch's
    own kernels), and 1-D runs as 2-D everywhere but on CUDA, where torch gives
    cuDNN a 2-D view of its own.

    >>> plan((4096,), (3,), ((8, 0),), (1,), (4,), 1, True)  # causal, dilation 4
    Plan(rank=2, padding=(0, 8), input_pads=None, window=((0, 1), (0, 4096)))
    >>> plan((1,), (1,), ((1, 1),), (2,), (2,), 1, True)  # both outputs in the padding: padded copy
    Plan(rank=2, padding=(0, 0), input_pads=((0, 0), (1, 1)), window=None)
    >>> plan((1,), (1,), ((1, 1),), (2,), (2,), 1, True, "cuda")  # no oneDNN: torch pads, 1-D stays 1-D
    Plan(rank=1, padding=(1,), input_pads=None, window=None)
    """
    rank = len(spatial)
    kernels = backend(device, dtype)
    if rank == 1 and channels_last and not native and kernels.lift_1d:
        lifted = ((1,) + spatial, (1,) + kernel_size, ((0, 0),) + pads, (1,) + strides, (1,) + dilation_rate)
        return plan(*lifted, groups, True, device, dtype)
    fastest = _fastest(spatial, kernel_size, pads, strides, dilation_rate)
    if kernels.onednn and _mishandled_by_onednn(fastest, spatial, kernel_size, strides, dilation_rate):
        return Plan(rank, (0,) * rank, pads, None)  # zeros it reads as data are always safe
    return fastest


def _mishandled_by_onednn(
    call: Plan,
    spatial: tuple[int, ...],
    kernel_size: tuple[int, ...],
    strides: tuple[int, ...],
    dilation_rate: tuple[int, ...],
) -> bool:
    """Whether oneDNN 3.12 (torch 2.13, float32) gets ``call``'s own padding wrong.

    Found by the property tests and swept shape by shape (each in a forked
    process, 1, 2 and 4 threads): it crashes (SIGSEGV) or returns a wrong
    kernel gradient when a window or a kernel tap meets only its padding
    (padding wider than the window, dilation stepping over a small input). Its
    3-D kernel gradient also comes out wrong, often corrupting the heap, when
    the depth padding exceeds a depth stride above 1 (batch 2 or more, depths
    up to about twice the kernel; seen at stride 2 pad 3 and stride 3 pad 4,
    never at stride 1): the rule takes every such shape, a copy of the input
    costing far less than the convolution.

    >>> _mishandled_by_onednn(Plan(3, (3, 0, 0), None, None), (2, 5, 5), (4, 1, 1), (2, 1, 1), (1, 1, 1))
    True
    >>> _mishandled_by_onednn(Plan(3, (1, 1, 1), None, None), (16, 32, 32), (3, 3, 3), (2, 2, 2), (1, 1, 1))
    False
    """
    if call.rank == 3 and strides[0] > 1 and call.padding[0] > strides[0]:
        return True
    padded = call.input_pads or ((0, 0),) * call.rank
    return any(
        reads_only_padding(n + b + e, k, s, d, (p, p))
        for n, (b, e), k, s, d, p in zip(spatial, padded, kernel_size, strides, dilation_rate, call.padding)
    )


def _fastest(
    spatial: tuple[int, ...],
    kernel_size: tuple[int, ...],
    pads: Pads,
    strides: tuple[int, ...],
    dilation_rate: tuple[int, ...],
) -> Plan:
    """The fastest torch call (the module's measured choices) for a rank-``len(spatial)`` convolution."""
    rank = len(spatial)
    outputs = [conv_output_size(n, k, s, d, p) for n, k, s, d, p in zip(spatial, kernel_size, strides, dilation_rate, pads)]
    if all(b == e for b, e in pads):
        return Plan(rank, tuple(b for b, _ in pads), None, None)
    aligned = [aligned_padding(n, k, s, d, p) for n, k, s, d, p in zip(spatial, kernel_size, strides, dilation_rate, pads)]
    computed = [conv_output_size(n, k, s, d, (p, p)) for (p, _), n, k, s, d in zip(aligned, spatial, kernel_size, strides, dilation_rate)]
    if math.prod(computed) <= MAX_OVERCOMPUTE * math.prod(outputs):
        window = tuple((offset, n) for (_, offset), n in zip(aligned, outputs))
        exact = computed == outputs  # the pad beyond the last window never reached the output
        return Plan(rank, tuple(p for p, _ in aligned), None, None if exact else window)
    symmetric = tuple(min(pair) for pair in pads)
    extra = tuple((b - m, e - m) for (b, e), m in zip(pads, symmetric))
    return Plan(rank, symmetric, extra, None)


def runs_onednn(batch: int, channels: int, spatial: tuple[int, ...], kernel_size: tuple[int, ...], groups: int) -> bool:
    """Whether torch's own CPU float32 convolution of this shape runs oneDNN rather than its native kernel.

    torch (``use_mkldnn`` in ATen's ``Convolution.cpp``) keeps one-example,
    ungrouped convolutions with windows at most 3 wide in a dim and inputs of
    at most 20480 elements (counting ``N * C`` and the first two spatial dims;
    1-D runs as ``(1, L)``) on its native kernel, which is faster there. A
    fused activation always runs oneDNN, so it is only taken where torch would
    run oneDNN anyway: elsewhere it costs more than it saves (``1x8x8x4``, 3x3
    to 8 channels: 6 us native, 35 us fused), and its sums would round
    differently from the unfused call's.

    >>> runs_onednn(1, 4, (8, 8), (3, 3), 1), runs_onednn(2, 4, (8, 8), (3, 3), 1), runs_onednn(1, 64, (56, 56), (3, 3), 1)
    (False, True, True)
    """
    if len(spatial) == 1:
        spatial, kernel_size = (1,) + spatial, (1,) + kernel_size
    return (
        groups > 1
        or batch > 1
        or (kernel_size[-1] > 3 and kernel_size[-2] > 3)
        or batch * channels * spatial[0] * spatial[1] > 20480
    )
