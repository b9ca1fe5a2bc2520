"""Padding rules: every framework's way of padding a sliding window, as pure-integer objects.

A window layer's padding is a :class:`PaddingRule`. Each rule gives the
``(begin, end)`` pads and the output size of each spatial dim (natural D, H, W
order) from the input size, kernel, stride and dilation:

- :class:`Valid`, :class:`Same` (TF's, extra pixel at the end, or Theano's,
  windows centred with the extra at the beginning), :class:`Causal`,
  :class:`Full`: Keras's ``'valid'``, ``'same'``, ``'causal'``, ``'full'``;
- :class:`SameLower`: ONNX's ``SAME_LOWER``, TF's total pad with the odd
  pixel at the beginning; :class:`SameAtEnd`: ``ceil(n / s)`` windows with
  all padding at the end (DL4J's Causal pooling);
- :class:`Explicit`: ``(begin, end)`` pairs per dim; :class:`Ceil`: the same
  with the output size rounded up (PyTorch's and ONNX's ``ceil_mode``);
- :class:`Strict` and :class:`Truncate`: DL4J's ``ConvolutionMode``, symmetric
  pads whose output size must divide exactly, or is floored.

The strings and pairs Keras accepts map to these (:func:`normalize_padding`);
a rule whose pads depend on the input size (``Same`` at a stride above 1)
resolves them when the size is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar, Literal, Sequence, Union

from .arguments import _is_int
from .sizes import conv_output_size

Pads = tuple[tuple[int, int], ...]

PADDING_MODES = ("valid", "same", "causal", "full")


def normalize_pads(value: Any, rank: int, name: str, owner: str) -> Pads:
    """Canonicalise explicit padding to one ``(begin, end)`` pair per dim.

    Accepted: an int (all sides); ``rank`` ints (both sides of each dim);
    ``rank`` items that are each an int or a ``(begin, end)`` pair. For
    ``rank == 1`` a flat pair ``(begin, end)`` is the only reading of two ints.
    All values must be ``>= 0``.

    >>> normalize_pads(1, 2, "padding", "Conv2D")
    ((1, 1), (1, 1))
    >>> normalize_pads(((1, 2), 3), 2, "padding", "Conv2D")
    ((1, 2), (3, 3))
    >>> normalize_pads((0, 2), 1, "padding", "Conv1D")
    ((0, 2),)
    """
    allowed = (
        f"an int, {rank} ints, or {rank} (begin, end) pairs of non-negative ints"
    )

    def fail(exc: type[Exception] = ValueError) -> Exception:
        return exc(f"{owner}: the `{name}` argument must be {allowed}. Received {name}={value!r}.")

    def pair(item: Any) -> tuple[int, int]:
        if _is_int(item):
            return (int(item), int(item))
        if isinstance(item, (tuple, list)) and len(item) == 2 and all(_is_int(v) for v in item):
            return (int(item[0]), int(item[1]))
        raise fail()

    if _is_int(value):
        pads = ((int(value), int(value)),) * rank
    elif isinstance(value, (tuple, list)):
        items = list(value)
        if rank == 1 and len(items) == 2 and all(_is_int(v) for v in items):
            items = [tuple(items)]
        if len(items) != rank:
            raise fail()
        pads = tuple(pair(item) for item in items)
    else:
        raise fail(TypeError)
    if any(v < 0 for p in pads for v in p):
        raise fail()
    return pads


@dataclass(frozen=True)
class PaddingRule:
    """How a sliding window pads each spatial dim. Subclasses define :meth:`pair`.

    ``keras``: the Keras string for this rule (``None``: Keras has none).
    """

    keras: ClassVar[str | None] = None

    def pair(self, dim: int, size: int | None, kernel: int, stride: int, dilation: int) -> tuple[int, int] | None:
        """``(begin, end)`` pads of spatial dim ``dim``; ``None`` while they depend on an unknown ``size``."""
        raise NotImplementedError

    def pads(
        self,
        sizes: Sequence[int | None],
        kernel_size: Sequence[int],
        strides: Sequence[int],
        dilation_rate: Sequence[int],
    ) -> tuple[tuple[int, int] | None, ...]:
        """:meth:`pair` for every dim.

        >>> Same().pads((5, 6), (3, 3), (2, 2), (1, 1))
        ((1, 1), (0, 1))
        """
        return tuple(
            self.pair(dim, n, k, s, d) for dim, (n, k, s, d) in enumerate(zip(sizes, kernel_size, strides, dilation_rate))
        )

    def output_sizes(
        self,
        sizes: Sequence[int | None],
        kernel_size: Sequence[int],
        strides: Sequence[int],
        dilation_rate: Sequence[int],
    ) -> tuple[int | None, ...]:
        """Output size per dim (``None`` for an unknown input size); may be ``<= 0`` (the layer reports it).

        >>> Valid().output_sizes((7, None), (3, 3), (2, 1), (1, 1))
        (3, None)
        """
        pads = self.pads(sizes, kernel_size, strides, dilation_rate)
        return tuple(
            None if n is None or p is None else conv_output_size(n, k, s, d, p)
            for n, k, s, d, p in zip(sizes, kernel_size, strides, dilation_rate, pads)
        )

    def for_rank(self, rank: int, owner: str) -> PaddingRule:
        """This rule for a layer of ``rank`` spatial dims: per-dim pads checked and expanded."""
        return self

    @property
    def spelling(self) -> str | Pads | PaddingRule:
        """What Keras calls this rule (a string, or explicit pairs); the rule itself where Keras has no name."""
        return self.keras if self.keras is not None else self

    def config(self) -> dict[str, Any]:
        """The rule's arguments, JSON-friendly (for layer configs)."""
        return {}


@dataclass(frozen=True)
class Valid(PaddingRule):
    """No padding: windows lie wholly inside the input (Keras ``'valid'``).

    >>> Valid().pads((5,), (3,), (1,), (1,))
    ((0, 0),)
    """

    keras: ClassVar[str | None] = "valid"

    def pair(self, dim: int, size: int | None, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
        return (0, 0)


@dataclass(frozen=True)
class Same(PaddingRule):
    """``ceil(size / stride)`` outputs, the window padded around the input.

    ``extra_at="end"`` (TF's ``'SAME'``, Keras 2 and 3): total pad
    ``max((out - 1) * stride + span - size, 0)`` split evenly, the odd pixel at
    the end. ``extra_at="begin"`` (Theano's ``'half'``, Keras 1 on Theano):
    ``span // 2`` at the beginning, windows at ``i * stride - span // 2``, the
    end padded as far as the last window needs. ``span = (kernel - 1) *
    dilation + 1``. A kernel ``[1, 0]`` on ``[1, 2, 3]`` gives ``[1, 2, 3]``
    with the extra at the end and ``[0, 1, 2]`` at the beginning.

    ``max_unread``: when a stride steps over the input's tail, the last window
    may end before the input does; ``None`` accepts any such tail, an int
    refuses a tail longer than that. DL4J's ``Same`` is ``max_unread=1``: its
    top pad ``total / 2`` (Java division) is negative from a tail of 2, which
    it refuses (``in=7, k=1, s=4`` reads inputs 0 and 4 and leaves 5, 6 unread).

    >>> Same().pair(0, 10, 2, 1, 1), Same(extra_at="begin").pair(0, 10, 2, 1, 1)
    ((0, 1), (1, 0))
    >>> Same().pair(0, 8, 4, 2, 1), Same(extra_at="begin").pair(0, 8, 4, 2, 1)  # stride 2: windows differ
    ((1, 1), (2, 0))
    >>> Same(max_unread=1).output_sizes((7,), (1,), (4,), (1,))
    Traceback (most recent call last):
    ...
    ValueError: Same padding: along spatial dim 1 the windows (input size 7, output size 2, kernel 1, stride 4, dilation 1) leave the input's last 2 elements unread; at most 1 may be.
    """

    extra_at: Literal["end", "begin"] = "end"
    max_unread: int | None = None

    def __post_init__(self) -> None:
        if self.extra_at not in ("end", "begin"):
            raise ValueError(f"Same: `extra_at` must be 'end' (TF) or 'begin' (Theano). Received extra_at={self.extra_at!r}.")
        if self.max_unread is not None and not (_is_int(self.max_unread) and self.max_unread >= 0):
            raise ValueError(f"Same: `max_unread` must be None or an int >= 0. Received max_unread={self.max_unread!r}.")

    def __repr__(self) -> str:
        # max_unread shows only where set: Keras's and Theano's Same read as they always have
        tail = "" if self.max_unread is None else f", max_unread={self.max_unread}"
        return f"Same(extra_at={self.extra_at!r}{tail})"

    def _check_tail(self, dim: int, size: int, kernel: int, stride: int, dilation: int) -> None:
        """Refuse windows that leave more than ``max_unread`` trailing input elements unread."""
        out = -(-size // stride)
        unread = size - ((out - 1) * stride + (kernel - 1) * dilation + 1)
        if self.max_unread is not None and unread > self.max_unread:
            raise ValueError(
                f"Same padding: along spatial dim {dim + 1} the windows (input size {size}, output size {out}, "
                f"kernel {kernel}, stride {stride}, dilation {dilation}) leave the input's last {unread} elements "
                f"unread; at most {self.max_unread} may be."
            )

    @property
    def keras(self) -> str | None:  # type: ignore[override]
        return "same" if self.extra_at == "end" and self.max_unread is None else None

    def pair(self, dim: int, size: int | None, kernel: int, stride: int, dilation: int) -> tuple[int, int] | None:
        if size is None:
            if stride != 1:
                return None
            size = 1  # at stride 1 every size pads alike
        self._check_tail(dim, size, kernel, stride, dilation)
        if self.extra_at == "end":
            return same_pads(size, kernel, stride, dilation)
        span = (kernel - 1) * dilation + 1
        needed = (-(-size // stride) - 1) * stride + span - size  # the last window's reach past the input
        return (span // 2, max(needed - span // 2, 0))

    def output_sizes(
        self, sizes: Sequence[int | None], kernel_size: Sequence[int], strides: Sequence[int], dilation_rate: Sequence[int]
    ) -> tuple[int | None, ...]:
        for dim, (n, k, s, d) in enumerate(zip(sizes, kernel_size, strides, dilation_rate)):
            if n is not None:
                self._check_tail(dim, n, k, s, d)
        return tuple(None if n is None else -(-n // s) for n, s in zip(sizes, strides))

    def config(self) -> dict[str, Any]:
        return {"extra_at": self.extra_at} | ({} if self.max_unread is None else {"max_unread": self.max_unread})


@dataclass(frozen=True)
class SameLower(PaddingRule):
    """ONNX's ``auto_pad="SAME_LOWER"``: TF's ``'same'`` total pad, the odd pixel at the beginning.

    ``out = ceil(size / stride)``, ``total = max((out - 1) * stride + span - size, 0)``,
    pads ``(total - total // 2, total // 2)``. At stride 1 this is Theano's
    ``Same(extra_at="begin")``; at larger strides the two differ (Theano centres
    the windows, ``span // 2`` before the input, whatever the stride).

    >>> SameLower().pair(0, 10, 2, 1, 1), SameLower().pair(0, 8, 4, 2, 1)
    ((1, 0), (1, 1))
    """

    def pair(self, dim: int, size: int | None, kernel: int, stride: int, dilation: int) -> tuple[int, int] | None:
        if size is None:
            if stride != 1:
                return None
            size = 1  # at stride 1 every size pads alike
        end, begin = same_pads(size, kernel, stride, dilation)
        return (begin, end)

    def output_sizes(
        self, sizes: Sequence[int | None], kernel_size: Sequence[int], strides: Sequence[int], dilation_rate: Sequence[int]
    ) -> tuple[int | None, ...]:
        return tuple(None if n is None else -(-n // s) for n, s in zip(sizes, strides))


@dataclass(frozen=True)
class Causal(PaddingRule):
    """All of ``span - 1`` at the beginning: output ``t`` sees inputs up to ``t`` (Keras ``'causal'``).

    >>> Causal().pads((None,), (3,), (1,), (2,))
    ((4, 0),)
    """

    keras: ClassVar[str | None] = "causal"

    def pair(self, dim: int, size: int | None, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
        return ((kernel - 1) * dilation, 0)


@dataclass(frozen=True)
class SameAtEnd(PaddingRule):
    """``ceil(size / stride)`` windows starting at ``i * stride``, all padding at the end (DL4J's Causal pooling).

    The end pad is ``max((out - 1) * stride + span - size, 0)``: the last window
    starts inside the input and is clipped at its end. Output ``t`` reads inputs
    ``t * stride`` onwards, so despite DL4J's name this is not causal (reference
    dl4j.md 2.9, quirk 7).

    >>> SameAtEnd().pads((5, None), (3, 2), (2, 1), (1, 2))
    ((0, 2), (0, 2))
    >>> SameAtEnd().output_sizes((5, 7), (3, 2), (2, 1), (1, 1))
    (3, 7)
    """

    def pair(self, dim: int, size: int | None, kernel: int, stride: int, dilation: int) -> tuple[int, int] | None:
        span = (kernel - 1) * dilation + 1
        if size is None:
            return (0, span - 1) if stride == 1 else None  # at stride 1 the last window starts at the last element
        return (0, max((-(-size // stride) - 1) * stride + span - size, 0))

    def output_sizes(
        self, sizes: Sequence[int | None], kernel_size: Sequence[int], strides: Sequence[int], dilation_rate: Sequence[int]
    ) -> tuple[int | None, ...]:
        return tuple(None if n is None else -(-n // s) for n, s in zip(sizes, strides))


@dataclass(frozen=True)
class Full(PaddingRule):
    """``span - 1`` on both sides: every window meeting the input counts (Keras 3 ``'full'``, Theano's ``'full'``).

    >>> Full().output_sizes((5,), (3,), (1,), (1,))
    (7,)
    """

    keras: ClassVar[str | None] = "full"

    def pair(self, dim: int, size: int | None, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
        span = (kernel - 1) * dilation
        return (span, span)


@dataclass(frozen=True)
class Explicit(PaddingRule):
    """Given ``(begin, end)`` pads per dim (Keras 3's and PyTorch's explicit padding).

    ``pairs``: an int (all sides), one int per dim (both sides), or one int or
    ``(begin, end)`` pair per dim; expanded by the layer to its rank.

    >>> Explicit(((1, 2), 0)).for_rank(2, "Conv2D").pairs
    ((1, 2), (0, 0))
    """

    pairs: Any = 0

    def pair(self, dim: int, size: int | None, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
        return self.pairs[dim]

    def for_rank(self, rank: int, owner: str) -> Explicit:
        return Explicit(normalize_pads(self.pairs, rank, "padding", owner))

    @property
    def spelling(self) -> Pads:
        return self.pairs

    def config(self) -> dict[str, Any]:
        return {"pairs": [list(pair) for pair in self.pairs]}


@dataclass(frozen=True)
class Ceil(PaddingRule):
    """Explicit ``(begin, end)`` pads with the output size rounded up: PyTorch's and ONNX's ``ceil_mode``.

    ``out = ceil((size + begin + end - span) / stride) + 1``, less one when the
    last window would start past the input and its begin pad (onnxruntime and
    PyTorch drop that window). The end pad grows by what the last window
    reaches past ``size + begin + end``, so every rule-following layer (and a
    pooling average, which never counts padding) sees exactly those windows.

    >>> Ceil(0).for_rank(1, "MaxPooling1D").pads((5,), (2,), (2,), (1,))
    ((0, 1),)
    >>> Ceil(0).for_rank(1, "MaxPooling1D").output_sizes((6,), (2,), (3,), (1,))  # a third window would start at 6
    (2,)
    """

    pairs: Any = 0

    def pair(self, dim: int, size: int | None, kernel: int, stride: int, dilation: int) -> tuple[int, int] | None:
        begin, end = self.pairs[dim]
        if size is None:
            return None
        span = (kernel - 1) * dilation + 1
        reach = size + begin + end - span
        if reach < 0:
            return (begin, end)  # no window fits: the layer reports the empty output
        out = -(-reach // stride) + 1
        if (out - 1) * stride >= size + begin:
            out -= 1
        return (begin, max(end, (out - 1) * stride + span - size - begin))

    def for_rank(self, rank: int, owner: str) -> Ceil:
        return Ceil(normalize_pads(self.pairs, rank, "padding", owner))

    def config(self) -> dict[str, Any]:
        return {"pairs": [list(pair) for pair in self.pairs]}


def _per_dim_pads(value: Any, rank: int, rule: str, owner: str) -> tuple[int, ...]:
    """One non-negative pad per dim from an int or ``rank`` ints."""
    if _is_int(value) and value >= 0:
        return (int(value),) * rank
    if isinstance(value, (tuple, list)) and len(value) == rank and all(_is_int(v) and v >= 0 for v in value):
        return tuple(int(v) for v in value)
    raise ValueError(
        f"{owner}: {rule} padding takes a non-negative int or {rank} of them (one per spatial dim, both sides). "
        f"Received padding={value!r}."
    )


@dataclass(frozen=True)
class Strict(PaddingRule):
    """DL4J's ``ConvolutionMode.Strict``: ``padding`` on both sides, and the windows must tile the input exactly.

    An input whose ``(size + 2 * pad - span) / stride + 1`` is not a whole
    number is refused, naming the dim and the fractional size.

    >>> Strict(1).for_rank(1, "Conv1D").output_sizes((7,), (3,), (2,), (1,))
    (4,)
    >>> Strict(0).for_rank(1, "Conv1D").output_sizes((6,), (3,), (2,), (1,))
    Traceback (most recent call last):
    ...
    ValueError: Strict padding: along spatial dim 1 the output size (6 + 2*0 - 3) / 2 + 1 = 2.5 is not a whole number; use Truncate padding to drop the input's trailing elements, or change the input size, pads or stride.
    """

    padding: Any = 0

    def pair(self, dim: int, size: int | None, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
        return (self.padding[dim], self.padding[dim])

    def for_rank(self, rank: int, owner: str) -> Strict:
        return Strict(_per_dim_pads(self.padding, rank, "Strict", owner))

    def output_sizes(
        self, sizes: Sequence[int | None], kernel_size: Sequence[int], strides: Sequence[int], dilation_rate: Sequence[int]
    ) -> tuple[int | None, ...]:
        for dim, (n, k, s, d, p) in enumerate(zip(sizes, kernel_size, strides, dilation_rate, self.padding)):
            span = (k - 1) * d + 1
            if n is not None and n + 2 * p >= span and (n + 2 * p - span) % s:
                size = Fraction(n + 2 * p - span, s) + 1
                raise ValueError(
                    f"Strict padding: along spatial dim {dim + 1} the output size ({n} + 2*{p} - {span}) / {s} + 1 = "
                    f"{float(size):g} is not a whole number; use Truncate padding to drop the input's trailing "
                    f"elements, or change the input size, pads or stride."
                )
        return super().output_sizes(sizes, kernel_size, strides, dilation_rate)

    def config(self) -> dict[str, Any]:
        return {"padding": list(self.padding)}


@dataclass(frozen=True)
class Truncate(PaddingRule):
    """DL4J's ``ConvolutionMode.Truncate``: ``padding`` on both sides, the output size floored.

    Trailing input elements no window reaches are left unused.

    >>> Truncate(0).for_rank(1, "Conv1D").output_sizes((6,), (3,), (2,), (1,))
    (2,)
    """

    padding: Any = 0

    def pair(self, dim: int, size: int | None, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
        return (self.padding[dim], self.padding[dim])

    def for_rank(self, rank: int, owner: str) -> Truncate:
        return Truncate(_per_dim_pads(self.padding, rank, "Truncate", owner))

    def config(self) -> dict[str, Any]:
        return {"padding": list(self.padding)}


#: Every rule by class name (layer configs name them so), and Keras's strings.
RULES: dict[str, type[PaddingRule]] = {cls.__name__: cls for cls in (Valid, Same, SameLower, SameAtEnd, Causal, Full, Explicit, Ceil, Strict, Truncate)}
_BY_KERAS_NAME: dict[str, PaddingRule] = {"valid": Valid(), "same": Same(), "causal": Causal(), "full": Full()}

PaddingLike = Union[str, int, Sequence[int], Sequence[Sequence[int]], PaddingRule]


def normalize_padding(
    value: Any, rank: int, owner: str, *, modes: Sequence[str] = PADDING_MODES, dialect_rules: bool = True
) -> PaddingRule:
    """The :class:`PaddingRule` a ``padding`` argument names, for a layer of ``rank`` spatial dims.

    Accepted: a rule; a Keras mode name in ``modes`` (any case); explicit pads
    (:func:`normalize_pads`); a serialized rule (``{"class_name", "config"}``,
    :func:`serialize_padding`). ``dialect_rules``: whether rules Keras has no
    string for (Theano's ``Same``, ``Strict``, ``Truncate``) are accepted.

    >>> normalize_padding("SAME", 2, "Conv2D")
    Same(extra_at='end')
    >>> normalize_padding(2, 1, "Conv1D")
    Explicit(pairs=((2, 2),))
    >>> normalize_padding({"class_name": "Strict", "config": {"padding": [1, 0]}}, 2, "Conv2D")
    Strict(padding=(1, 0))
    """
    allowed = f"one of {tuple(modes)}, an int, per-dim ints, per-dim (begin, end) pairs" + (
        ", or a padding rule (convlayers.geometry: Valid, Same, SameLower, SameAtEnd, Causal, Full, Explicit, Ceil, Strict, Truncate)"
        if dialect_rules else ""
    )
    if isinstance(value, dict) and value.get("class_name") in RULES and isinstance(value.get("config", {}), dict):
        try:
            value = RULES[value["class_name"]](**value.get("config", {}))
        except TypeError as error:
            raise ValueError(f"{owner}: invalid `padding` {value!r}: {error}.") from None
    if isinstance(value, str):
        rule = _BY_KERAS_NAME.get(value.lower())
        if rule is None or rule.keras not in modes:
            raise ValueError(f"{owner}: the `padding` argument must be {allowed}. Received: padding={value!r}.")
        return rule
    if not isinstance(value, PaddingRule):
        return Explicit(normalize_pads(value, rank, "padding", owner))
    # Keras-named rules as the modes allow; explicit pads always; the others (Theano, DL4J) where asked for.
    accepted = value.keras in modes if value.keras is not None else isinstance(value, Explicit) or dialect_rules
    if not accepted:
        raise ValueError(f"{owner}: the `padding` argument must be {allowed}. Received: padding={value!r}.")
    return value.for_rank(rank, owner)


def serialize_padding(rule: PaddingRule) -> Any:
    """The rule as a layer config holds it: Keras's string or pairs where Keras has them, else a named dict.

    >>> serialize_padding(Same()), serialize_padding(Explicit(((1, 0), (2, 2))))
    ('same', [[1, 0], [2, 2]])
    >>> serialize_padding(Same(extra_at="begin"))
    {'class_name': 'Same', 'config': {'extra_at': 'begin'}}
    """
    if isinstance(rule, Explicit):
        return [list(pair) for pair in rule.pairs]
    if rule.keras is not None:
        return rule.keras
    return {"class_name": type(rule).__name__, "config": rule.config()}


def same_pads(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TF's ``'same'`` split of one dim: the odd pixel goes at the end.

    ``out = ceil(size / stride)``;
    ``total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)``;
    ``(total // 2, total - total // 2)``.

    >>> same_pads(224, 7, 2, 1)
    (2, 3)
    >>> same_pads(10, 2, 1, 1)
    (0, 1)
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return (total // 2, total - total // 2)


