"""Output sizes of convolution and transposed convolution, one spatial dim at a time.

``None`` (an unknown size) propagates. Sizes may come out ``<= 0``: callers
decide how to report that, with the layer's name and the dims involved.
"""

from __future__ import annotations


def conv_output_size(
    size: int | None, kernel: int, stride: int, dilation: int, pads: tuple[int, int] | None
) -> int | None:
    """Length of a convolution's output along one dim, given explicit padding.

    ``floor((size + begin + end - ((kernel - 1) * dilation + 1)) / stride) + 1``

    >>> conv_output_size(28, 3, 1, 1, (0, 0))
    26
    >>> conv_output_size(224, 7, 2, 1, (2, 3))
    112
    >>> conv_output_size(None, 3, 1, 1, (1, 1)) is None
    True
    """
    if size is None or pads is None:
        return None
    effective = (kernel - 1) * dilation + 1
    return (size + pads[0] + pads[1] - effective) // stride + 1


def reads_only_padding(size: int, kernel: int, stride: int, dilation: int, pads: tuple[int, int]) -> bool:
    """Whether, along one dim, some output's window or some kernel tap meets nothing but padding.

    Output ``o``'s taps sit at ``o * stride - begin + t * dilation`` for
    ``t < kernel``; the input is ``[0, size)``. An output whose taps all miss
    it depends on the bias alone; a tap that misses it at every output never
    meets the input. Padding wider than the window, or dilation stepping over
    a small input, does that.

    >>> reads_only_padding(1, 1, 2, 2, (1, 1))  # outputs at -1 and 1: both in the padding
    True
    >>> reads_only_padding(1, 2, 2, 1, (1, 1))  # one output, taps at -1 and 0: tap 0 never meets the input
    True
    >>> reads_only_padding(56, 3, 2, 1, (0, 1)), reads_only_padding(2, 5, 1, 1, (2, 2))  # TF 'same'
    (False, True)
    """
    begin = pads[0]
    outputs = conv_output_size(size, kernel, stride, dilation, pads)

    def output_meets_input(o: int) -> bool:
        start = o * stride - begin
        first = max(0, -(start // dilation))  # the first tap at or past position 0
        return first < kernel and start + first * dilation < size

    def tap_meets_input(t: int) -> bool:
        start = t * dilation - begin
        first = max(0, -(start // stride))  # the first output whose tap t is at or past position 0
        return first < outputs and start + first * stride < size

    # Outputs whose window starts inside the input meet it with their first tap: only those
    # starting in the padding, at either end, need looking at.
    before = range(min(outputs, -(-begin // stride)))
    after = range(max(len(before), -(-(size + begin) // stride)), outputs)
    edges = (o for window in (before, after) for o in window)
    return not all(map(output_meets_input, edges)) or not all(map(tap_meets_input, range(kernel)))


def conv_transpose_natural_size(size: int | None, kernel: int, stride: int, dilation: int) -> int | None:
    """Length of the full (uncropped) transposed-convolution output.

    ``(size - 1) * stride + (kernel - 1) * dilation + 1``: the scatter-add of
    the kernel at every input position, PyTorch's ``conv_transpose`` with no
    padding.

    >>> conv_transpose_natural_size(4, 3, 2, 1)
    9
    """
    if size is None:
        return None
    return (size - 1) * stride + (kernel - 1) * dilation + 1


def conv_transpose_output_size(
    size: int | None,
    kernel: int,
    stride: int,
    dilation: int,
    padding: str,
    output_padding: int | None,
) -> int | None:
    """Keras's transposed-convolution output length (keras.md section 2.5).

    With ``K = (kernel - 1) * dilation + 1``:

    ============  ================  ==============================
    padding       output_padding    length
    ============  ================  ==============================
    valid         None              ``(size - 1) * stride + max(K, stride)``
    valid         p                 ``(size - 1) * stride + K + p``
    same          None              ``size * stride``
    same          p                 ``(size - 1) * stride + K % 2 + p``
    ============  ================  ==============================

    >>> conv_transpose_output_size(4, 3, 2, 1, "same", None)
    8
    >>> conv_transpose_output_size(3, 3, 2, 1, "valid", 1)
    8
    """
    if size is None:
        return None
    effective = (kernel - 1) * dilation + 1
    if padding == "valid":
        tail = max(effective, stride) if output_padding is None else effective + output_padding
        return (size - 1) * stride + tail
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + effective % 2 + output_padding


def conv_transpose_crop(kernel: int, stride: int, dilation: int, padding: str, output_padding: int | None) -> int:
    """Where Keras's transposed output starts inside the natural output.

    ``0`` for ``'valid'``; for ``'same'``: ``max(K - stride, 0) // 2`` without
    output padding, ``max(K - K % 2 - p, 0) // 2`` with it.

    >>> conv_transpose_crop(3, 2, 1, "same", None)
    0
    >>> conv_transpose_crop(5, 1, 1, "same", None)
    2
    """
    if padding == "valid":
        return 0
    effective = (kernel - 1) * dilation + 1
    if output_padding is None:
        return max(effective - stride, 0) // 2
    return max(effective - effective % 2 - output_padding, 0) // 2
