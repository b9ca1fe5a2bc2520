"""The frozen geometry of a transposed convolution: which window of its natural output it keeps.

A transposed convolution scatters the kernel at every input position, ``stride``
apart; the result, before any cropping, is the *natural* output of length
``N = (L - 1) * stride + (kernel - 1) * dilation + 1`` (PyTorch's
``conv_transpose`` with no padding). Every padding form keeps one window
``[begin, begin + size)`` of it, zero-filled past ``N`` (keras.md section 2.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Sequence

from .arguments import normalize_tuple
from .padding import Explicit, Same, Valid, normalize_padding
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


Placement = Literal["valid", "same", "theano_same", "theano_full", "onnx_upper", "onnx_lower"]


@dataclass(frozen=True)
class OutputSize:
    """Keep ``sizes`` positions of the natural output: Keras 1's ``Deconvolution2D(output_shape=...)``.

    ``placement`` says where the kept window starts, with ``kd = (k - 1) * d + 1``
    and ``N`` the natural length: ``'valid'`` at 0; ``'same'`` (TensorFlow's
    ``conv2d_transpose``) at ``P // 2`` with ``P = max(0, N - size)``;
    ``'theano_same'`` at ``kd // 2``; ``'theano_full'`` at ``kd - 1``;
    ``'onnx_upper'`` at ``P // 2`` and ``'onnx_lower'`` at ``P - P // 2``
    (ONNX's ``ConvTranspose(output_shape=...)`` with ``auto_pad="SAME_UPPER"``,
    and otherwise, as onnxruntime places it). Positions past the natural output
    hold zeros. TensorFlow checks that the size is one its forward convolution
    maps back onto the input (``check``); Theano and ONNX do not.

    >>> OutputSize((8,), "same").begin(0, natural=9, kernel=3, dilation=1)
    0
    >>> OutputSize((14,), "theano_full").begin(0, natural=14, kernel=3, dilation=1)
    2
    >>> OutputSize((8,), "onnx_lower").begin(0, natural=11, kernel=3, dilation=1)
    2
    >>> OutputSize((12,), "same").check(0, 5, 3, 2, 1, "Deconvolution2D")
    Traceback (most recent call last):
    ...
    ValueError: Deconvolution2D: the requested output size 12 along spatial dim 1 does not fit an input of size 5 (kernel 3, stride 2, 'same'): TensorFlow's conv2d_transpose accepts 9..10 there.
    """

    sizes: tuple[int, ...]
    placement: Placement = "valid"
    keras: ClassVar[None] = None
    PLACEMENTS: ClassVar[tuple[str, ...]] = ("valid", "same", "theano_same", "theano_full", "onnx_upper", "onnx_lower")

    @property
    def spelling(self) -> OutputSize:
        return self

    def for_rank(self, rank: int, owner: str) -> OutputSize:
        sizes = normalize_tuple(self.sizes, rank, "output_shape", owner)
        if self.placement not in self.PLACEMENTS:
            raise ValueError(
                f"{owner}: OutputSize placement must be one of {self.PLACEMENTS}. Received placement={self.placement!r}."
            )
        return OutputSize(sizes, self.placement)

    def begin(self, dim: int, natural: int, kernel: int, dilation: int) -> int:
        """Where the kept window of spatial dim ``dim`` starts in a natural output of length ``natural``."""
        span, total = (kernel - 1) * dilation + 1, max(0, natural - self.sizes[dim])
        if self.placement in ("same", "onnx_upper"):
            return total // 2
        if self.placement == "onnx_lower":
            return total - total // 2
        return {"valid": 0, "theano_same": span // 2, "theano_full": span - 1}[self.placement]

    def check(self, dim: int, size: int | None, kernel: int, stride: int, dilation: int, owner: str) -> None:
        """TensorFlow's check: the requested size must be one its forward convolution maps back onto ``size`` inputs.

        Theano's and ONNX's placements are not checked (they keep whatever is asked for).
        """
        if size is None or self.placement not in ("valid", "same"):
            return
        out, span = self.sizes[dim], (kernel - 1) * dilation + 1
        if self.placement == "valid":
            low, high = (size - 1) * stride + span, (size - 1) * stride + span + stride - 1
        else:
            low, high = (size - 1) * stride + 1, size * stride
        if not low <= out <= high:
            raise ValueError(
                f"{owner}: the requested output size {out} along spatial dim {dim + 1} does not fit an input of "
                f"size {size} (kernel {kernel}, stride {stride}, {self.placement!r}): TensorFlow's conv2d_transpose "
                f"accepts {low}..{high} there."
            )

    def config(self) -> dict[str, Any]:
        return {"sizes": list(self.sizes), "placement": self.placement}


@dataclass(frozen=True)
class TransposeGeometry:
    """Kernel, strides, dilation, padding and output padding of an N-d transposed convolution.

    ``padding`` is :class:`Valid` or :class:`Same` (Keras's exact lengths and
    alignment), :class:`Explicit`: ``(begin, end)`` counts cropped from
    each end of the natural output (``padding=p`` is PyTorch's
    ``ConvTranspose(padding=p)``), or :class:`OutputSize` (Keras 1's requested sizes). ``output_padding`` (``None`` or one int per
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
    padding: Valid | Same | Explicit | OutputSize
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

    def crop_begins(self, sizes: Sequence[int]) -> tuple[int, ...]:
        """Where the kept window starts in the natural output of an input of ``sizes``.

        Keras modes: :func:`conv_transpose_crop`; explicit pairs: ``begin``;
        :class:`OutputSize`: its placement (TensorFlow's ``'same'`` depends on the input size).
        """
        if isinstance(self.padding, Explicit):
            return tuple(begin for begin, _ in self.padding.pairs)
        if isinstance(self.padding, OutputSize):
            return tuple(
                self.padding.begin(dim, natural, k, d)
                for dim, (natural, (k, _, d, _)) in enumerate(zip(self.natural_sizes(sizes), self._per_dim()))
            )
        return tuple(conv_transpose_crop(k, s, d, self.padding.keras, p) for k, s, d, p in self._per_dim())

    def output_sizes(self, sizes: Sequence[int | None]) -> tuple[int | None, ...]:
        """Output size per dim; ``None`` stays ``None``; may be ``<= 0`` for explicit crops (caller reports).

        Keras modes: :func:`conv_transpose_output_size`; explicit pairs:
        ``N - begin - end + output_padding``; :class:`OutputSize`: its sizes.
        """
        if isinstance(self.padding, OutputSize):
            return self.padding.sizes
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

    def check_sizes(self, sizes: Sequence[int | None], owner: str) -> None:
        """Refuse input ``sizes`` the padding cannot take (requested sizes TensorFlow would not map back onto them)."""
        if isinstance(self.padding, OutputSize):
            for dim, (size, (k, s, d, _)) in enumerate(zip(sizes, self._per_dim())):
                self.padding.check(dim, size, k, s, d, owner)

    def windows(self, sizes: Sequence[int]) -> Windows:
        """``(begin, size)`` of the kept window of the natural output, per dim, for known ``sizes``."""
        return tuple(zip(self.crop_begins(sizes), self.output_sizes(sizes)))  # type: ignore[arg-type]


def normalize_transpose_padding(value: Any, rank: int, owner: str) -> Valid | Same | Explicit | OutputSize:
    """A transposed convolution's ``padding``: ``'valid'``, ``'same'``, explicit crops, or an :class:`OutputSize`.

    >>> normalize_transpose_padding({"class_name": "OutputSize", "config": {"sizes": [9], "placement": "same"}}, 1, "T")
    OutputSize(sizes=(9,), placement='same')
    """
    if isinstance(value, dict) and value.get("class_name") == "OutputSize" and isinstance(value.get("config"), dict):
        try:
            value = OutputSize(**value["config"])
        except TypeError as error:
            raise ValueError(f"{owner}: invalid `padding` {value!r}: {error}.") from None
    if isinstance(value, OutputSize):
        return value.for_rank(rank, owner)
    return normalize_padding(value, rank, owner, modes=TRANSPOSE_PADDING_MODES, dialect_rules=False)  # type: ignore[return-value]
