"""The frozen geometry of a sliding-window layer (convolution, depthwise, pooling)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .padding import PaddingRule, Same


@dataclass(frozen=True)
class WindowGeometry:
    """Kernel, strides, dilation and padding rule of an N-d sliding window.

    >>> g = WindowGeometry(kernel_size=(3, 3), strides=(2, 2), dilation_rate=(1, 1), padding=Same())
    >>> g.pads((5, 6))
    ((1, 1), (0, 1))
    >>> g.output_sizes((5, None))
    (3, None)
    """

    kernel_size: tuple[int, ...]
    strides: tuple[int, ...]
    dilation_rate: tuple[int, ...]
    padding: PaddingRule

    @property
    def rank(self) -> int:
        return len(self.kernel_size)

    @property
    def effective_kernel_size(self) -> tuple[int, ...]:
        """``(k - 1) * d + 1`` per dim: the span a dilated kernel covers."""
        return tuple((k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation_rate))

    def pads(self, sizes: Sequence[int | None]) -> tuple[tuple[int, int] | None, ...]:
        """Explicit ``(begin, end)`` padding per dim for an input of ``sizes``."""
        return self.padding.pads(sizes, self.kernel_size, self.strides, self.dilation_rate)

    def output_sizes(self, sizes: Sequence[int | None]) -> tuple[int | None, ...]:
        """Output size per dim; ``None`` stays ``None``; may be ``<= 0`` (caller reports)."""
        return self.padding.output_sizes(sizes, self.kernel_size, self.strides, self.dilation_rate)
