"""DL4J's ``InputType``: what a layer receives, and the core's batch shape for it.

>>> InputType.convolutional(28, 28, 3).shape
(None, 3, 28, 28)
>>> InputType.convolutional(28, 28, 3, CNN2DFormat.NHWC).shape, InputType.recurrent(10, 6).shape
((None, 28, 28, 3), (None, 10, 6))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .enums import CNN2DFormat, DataFormat3D, RNNFormat, enum_value


@dataclass(frozen=True)
class InputType:
    """One of DL4J's input types: ``kind`` (``'ff'``, ``'rnn'``, ``'cnn'``, ``'cnnflat'``, ``'cnn3d'``), the
    example's sizes in DL4J's order (``ff``: ``(n,)``; ``rnn``: ``(size, length)``; ``cnn``: ``(h, w, c)``;
    ``cnn3d``: ``(d, h, w, c)``; ``None``: unknown) and the data ``format``."""

    kind: str
    sizes: tuple[int | None, ...]
    format: Any = None

    @staticmethod
    def feedForward(size: int) -> "InputType":
        return InputType("ff", (size,))

    @staticmethod
    def recurrent(size: int, length: int | None = None, format: Any = RNNFormat.NCW) -> "InputType":
        """``length`` ``None`` (or DL4J's -1): unknown."""
        return InputType("rnn", (size, None if length in (None, -1) else length),
                         enum_value(RNNFormat, format, "format", "InputType.recurrent"))

    @staticmethod
    def convolutional(height: int, width: int, depth: int, format: Any = CNN2DFormat.NCHW) -> "InputType":
        return InputType("cnn", (height, width, depth), enum_value(CNN2DFormat, format, "format", "InputType.convolutional"))

    @staticmethod
    def convolutionalFlat(height: int, width: int, depth: int) -> "InputType":
        """Row vectors of ``c * h * w`` values, reshaped to NCHW images for the first layer."""
        return InputType("cnnflat", (height, width, depth), CNN2DFormat.NCHW)

    @staticmethod
    def convolutional3D(*args: Any) -> "InputType":
        """``convolutional3D(format, d, h, w, c)``, or the deprecated ``(d, h, w, c)`` (tagged NDHWC, as DL4J does)."""
        if len(args) == 5:
            fmt, *sizes = args
        else:
            fmt, sizes = DataFormat3D.NDHWC, list(args)
        return InputType("cnn3d", tuple(sizes), enum_value(DataFormat3D, fmt, "format", "InputType.convolutional3D"))

    @property
    def channels(self) -> int | None:
        """The feature count a layer's ``nIn`` takes from this type."""
        return self.sizes[0] if self.kind in ("ff", "rnn") else self.sizes[-1]

    @property
    def shape(self) -> tuple[int | None, ...]:
        """The core's batch shape (batch dim ``None``) of arrays of this type."""
        first = self.format in (RNNFormat.NCW, CNN2DFormat.NCHW, DataFormat3D.NCDHW)
        if self.kind == "ff":
            return (None, self.sizes[0])
        if self.kind == "cnnflat":
            h, w, c = self.sizes
            return (None, h * w * c)
        if self.kind == "rnn":
            size, length = self.sizes
            return (None, size, length) if first else (None, length, size)
        *spatial, c = self.sizes
        return (None, c, *spatial) if first else (None, *spatial, c)

    @classmethod
    def of_shape(cls, kind: str, shape: tuple[int | None, ...], format: Any) -> "InputType":
        """The type of arrays of core batch ``shape`` (inverse of :attr:`shape`)."""
        first = format in (RNNFormat.NCW, CNN2DFormat.NCHW, DataFormat3D.NCDHW)
        if kind == "ff":
            return cls("ff", (shape[1],))
        channels, spatial = (shape[1], shape[2:]) if first else (shape[-1], shape[1:-1])
        if kind == "rnn":
            return cls("rnn", (channels, spatial[0]), format)
        return cls(kind, (*spatial, channels), format)
