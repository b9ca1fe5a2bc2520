"""The frozen geometry of a transposed convolution: which window of its natural output it keeps.

A transposed convolution scatters the kernel at every input position, ``stride``
apart; the result, before any cropping, is the *natural* output of length
``N = (L - 1) * stride + (kernel - 1) * dilation + 1`` (PyTorch's
``conv_transpose`` with no padding). Every padding form keeps one window
``[begin, begin + size)`` of it, zero-filled past ``N`` (keras.md section 2.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from .arguments import normalize_tuple
from .padding import Explicit, Same, Valid
from .sizes import conv_transpose_crop, conv_transpose_natural_size, conv_transpose_output_size

#: ``(begin, size)`` of the kept window inside the natural output, per spatial dim.
Windows = tuple[tuple[int, int], ...]

TRANSPOSE_PADDING_MODES = ("valid", "same")


def normalize_output_padding(value: Any, strides: tuple[int, ...], owner: str) -> tuple[int, ...] | None:
    """``None``, or one int ``>= 0`` per dim, each strictly less than its stride (Keras's rule).

    >>> normalize_output_padding(1, (2, 3), "Conv2DTranspose")
    (1, 1)
    >>> normalize_output_padding(None, (2,), "Conv1DTranspose") is None
    True
    """
    if value is None:
        return None
    padding = normalize_tuple(value, len(strides), "output_padding", owner, allow_zero=True)
    for axis, (p, s) in enumerate(zip(padding, strides)):
        if p >= s:
            raise ValueError(
                f"{owner}: `output_padding` must be strictly less than `strides` for all dimensions. "
                f"At dimension {axis}, `output_padding` is {p} but `strides` is {s}. "
                f"Received: output_padding={padding}, strides={strides}."
            )
    return padding


@dataclass(frozen=True)
class TransposeGeometry:
    """Kernel, strides, dilation, padding and output padding of an N-d transposed convolution.

    ``padding`` is :class:`Valid` or :class:`Same` (Keras's exact lengths and
    alignment), or :class:`Explicit`: ``(begin, end)`` counts cropped from
    each end of the natural output (``padding=p`` is PyTorch's
    ``ConvTranspose(padding=p)``). ``output_padding`` (``None`` or one int per
    dim) lengthens the output at the end, as in Keras and PyTorch.

    >>> g = TransposeGeometry((3,), (2,), (1,), Same(), None)
    >>> g.natural_sizes((4,)), g.output_sizes((4,)), g.windows((4,))
    ((9,), (8,), ((0, 8),))
    >>> TransposeGeometry((3, 3), (2, 2), (1, 1), Explicit(((1, 1), (0, 2))), (1, 0)).windows((4, 4))
    ((1, 8), (0, 7))
    """

    kernel_size: tuple[int, ...]
    strides: tuple[int, ...]
    dilation_rate: tuple[int, ...]
    padding: Valid | Same | Explicit
    output_padding: tuple[int, ...] | None

    @property
    def rank(self) -> int:
        return len(self.kernel_size)

    def _per_dim(self) -> list[tuple[int, int, int, int | None]]:
        """``(kernel, stride, dilation, output_padding)`` per dim."""
        extra = self.output_padding or (None,) * self.rank
        return list(zip(self.kernel_size, self.strides, self.dilation_rate, extra))

    def natural_sizes(self, sizes: Sequence[int | None]) -> tuple[int | None, ...]:
        """``(L - 1) * s + (k - 1) * d + 1`` per dim: the uncropped output."""
        return tuple(
            conv_transpose_natural_size(n, k, s, d) for n, (k, s, d, _) in zip(sizes, self._per_dim())
        )

    def crop_begins(self) -> tuple[int, ...]:
        """Where the kept window starts in the natural output (independent of the input size).

        Keras modes: :func:`conv_transpose_crop`; explicit pairs: ``begin``.
        """
        if isinstance(self.padding, Explicit):
            return tuple(begin for begin, _ in self.padding.pairs)
        return tuple(conv_transpose_crop(k, s, d, self.padding.keras, p) for k, s, d, p in self._per_dim())

    def output_sizes(self, sizes: Sequence[int | None]) -> tuple[int | None, ...]:
        """Output size per dim; ``None`` stays ``None``; may be ``<= 0`` for explicit crops (caller reports).

        Keras modes: :func:`conv_transpose_output_size`; explicit pairs:
        ``N - begin - end + output_padding``.
        """
        if not isinstance(self.padding, Explicit):
            return tuple(
                conv_transpose_output_size(n, k, s, d, self.padding.keras, p)
                for n, (k, s, d, p) in zip(sizes, self._per_dim())
            )
        extra = self.output_padding or (0,) * self.rank
        return tuple(
            None if natural is None else natural - begin - end + p
            for natural, (begin, end), p in zip(self.natural_sizes(sizes), self.padding.pairs, extra)
        )

    def windows(self, sizes: Sequence[int]) -> Windows:
        """``(begin, size)`` of the kept window of the natural output, per dim, for known ``sizes``."""
        return tuple(zip(self.crop_begins(), self.output_sizes(sizes)))  # type: ignore[arg-type]
