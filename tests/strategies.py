"""Hypothesis strategies for the property tests: one rank-parametrised generator of layer configurations.

:func:`layer_cases` draws a :class:`Case`: a layer family and rank, constructor
arguments in every form the API accepts (an int or per-dim ints, every padding
mode, an int, per-dim ints or per-dim ``(begin, end)`` pairs), an input shape
and a seed for the arrays. The layer sees only ``kwargs``; the NumPy reference
and the shape formulas read the canonical ``spec``, which the generator writes
down from what it drew, never from the library's own normalisation. The
generator's arguments narrow it to a region (one channel, narrow widths, large
width strides) without a second copy of it.

Sizes are kept small (the references are direct loops), and small on purpose:
sizes 1 and 2 and kernels larger than the input are where the edge cases are.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from hypothesis import strategies as st

import convlayers as cl
import reference as ref

CLASSES = {
    "conv": {1: cl.Conv1D, 2: cl.Conv2D, 3: cl.Conv3D},
    "depthwise": {1: cl.DepthwiseConv1D, 2: cl.DepthwiseConv2D, 3: cl.DepthwiseConv3D},
    "separable": {1: cl.SeparableConv1D, 2: cl.SeparableConv2D, 3: cl.SeparableConv3D},
    "transpose": {1: cl.Conv1DTranspose, 2: cl.Conv2DTranspose, 3: cl.Conv3DTranspose},
    "max_pooling": {1: cl.MaxPooling1D, 2: cl.MaxPooling2D, 3: cl.MaxPooling3D},
    "average_pooling": {1: cl.AveragePooling1D, 2: cl.AveragePooling2D, 3: cl.AveragePooling3D},
    "global_max_pooling": {1: cl.GlobalMaxPooling1D, 2: cl.GlobalMaxPooling2D, 3: cl.GlobalMaxPooling3D},
    "global_average_pooling": {1: cl.GlobalAveragePooling1D, 2: cl.GlobalAveragePooling2D, 3: cl.GlobalAveragePooling3D},
    "cropping": {1: cl.Cropping1D, 2: cl.Cropping2D, 3: cl.Cropping3D},
    "zero_padding": {1: cl.ZeroPadding1D, 2: cl.ZeroPadding2D, 3: cl.ZeroPadding3D},
    "upsampling": {1: cl.UpSampling1D, 2: cl.UpSampling2D, 3: cl.UpSampling3D},
    "space_to_depth": {2: cl.SpaceToDepth},
    "space_to_batch": {2: cl.SpaceToBatch},
}
FAMILIES = tuple(CLASSES)
CONVOLUTIONS = ("conv", "depthwise", "separable", "transpose")
POOLINGS = ("max_pooling", "average_pooling")
GLOBAL_POOLINGS = ("global_max_pooling", "global_average_pooling")
#: Families whose output is piecewise linear in the input with jumps at ties (max): no exact adjoint identity.
MAX_REDUCTIONS = ("max_pooling", "global_max_pooling")
#: Families that accept extra leading batch dims, as tf.keras 2's convolutions did.
EXTRA_BATCH_DIMS = CONVOLUTIONS
#: Keras-1-D layers without a ``data_format`` argument: always ``(batch, steps, features)``.
NO_DATA_FORMAT = {("upsampling", 1), ("cropping", 1)}

ACTIVATIONS = (None, "relu", "relu6", "hard_tanh", "leaky_relu", "tanh", "sigmoid", "elu", "gelu", "softmax")
#: The activations that ``ops.conv`` may fuse into oneDNN's kernel in inference.
FUSABLE_ACTIVATIONS = ("relu", "relu6", "hard_tanh", "leaky_relu")
INTERPOLATIONS = {
    1: ("nearest",),
    2: ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area", "gaussian", "mitchellcubic"),
    3: ("nearest", "trilinear"),
}
CONV_PADDING_MODES = ("valid", "same", "causal", "full")
TRANSPOSE_PADDING_MODES = ("valid", "same")
MAX_SIZE = {1: 7, 2: 5, 3: 3}
MAX_KERNEL = {1: 4, 2: 4, 3: 3}


@dataclasses.dataclass(frozen=True)
class Case:
    """One drawn layer configuration and input.

    ``kwargs``: the constructor arguments, in the form drawn. ``spec``: the same
    configuration canonicalised by the generator for the reference (tuples per
    dim; ``padding`` a mode name or ``(begin, end)`` pairs). ``input_shape`` is in
    the layer's data format, leading batch dims first.
    """

    family: str
    rank: int
    kwargs: dict[str, Any]
    spec: dict[str, Any]
    data_format: str
    input_shape: tuple[int, ...]
    seed: int

    @property
    def layer_class(self) -> type:
        return CLASSES[self.family][self.rank]

    @property
    def channels_last(self) -> bool:
        return self.data_format == "channels_last"

    def layer(self, **overrides: Any) -> cl.layers.Layer:
        """A new layer of this configuration (``overrides`` replace constructor arguments)."""
        return self.layer_class(**{**self.kwargs, **overrides})

    def split_input_shape(self) -> tuple[tuple[int, ...], tuple[int, ...], int]:
        """``(leading batch dims, spatial sizes, channels)`` of the input."""
        example = self.input_shape[-(self.rank + 1) :]
        lead = self.input_shape[: -(self.rank + 1)]
        if self.channels_last:
            return lead, example[:-1], example[-1]
        return lead, example[1:], example[0]

    def __repr__(self) -> str:
        arguments = ", ".join(f"{name}={value!r}" for name, value in self.kwargs.items())
        return f"Case({self.layer_class.__name__}({arguments}), input_shape={self.input_shape}, seed={self.seed})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints falsifying examples with this: the constructor call, as a user would write it."""
        printer.text(repr(self))


# -- argument forms ------------------------------------------------------------------------------


def _per_dim(draw: st.DrawFn, values: tuple[int, ...]) -> int | tuple[int, ...]:
    """``values`` as the constructor may take them: one int when all are equal (sometimes), else a tuple."""
    if len(set(values)) == 1 and draw(st.booleans()):
        return values[0]
    return values


def _side_pairs(draw: st.DrawFn, rank: int, max_sides: tuple[int, ...], *, keras_1d: bool = False
                ) -> tuple[Any, tuple[tuple[int, int], ...]]:
    """Explicit per-side amounts in one of the accepted forms, and their ``(begin, end)`` pairs.

    An int (every side), per-dim ints (both sides of each dim), or per dim an
    int or a ``(begin, end)`` pair (mixed freely; for 1-D also the flat pair).
    Each side of dim ``i`` is at most ``max_sides[i]``. ``keras_1d``: Keras's
    1-D cropping and zero padding, which take only an int or the flat pair.
    """
    forms = ("int", "pairs") if keras_1d and rank == 1 else ("int", "ints", "pairs")
    form = draw(st.sampled_from(forms))
    if form == "int":
        p = draw(st.integers(0, min(max_sides)))
        return p, ((p, p),) * rank
    if form == "ints":
        values = tuple(draw(st.integers(0, m)) for m in max_sides)
        return values, tuple((p, p) for p in values)
    pairs = tuple((draw(st.integers(0, m)), draw(st.integers(0, m))) for m in max_sides)
    if rank == 1 and (keras_1d or draw(st.booleans())):
        return pairs[0], pairs  # the flat (begin, end) form
    items = tuple(b if b == e and draw(st.booleans()) else (b, e) for b, e in pairs)
    return items, pairs


def _padding(draw: st.DrawFn, rank: int, modes: tuple[str, ...], max_sides: tuple[int, ...], *, rules: bool = False
             ) -> tuple[Any, Any]:
    """A ``padding`` argument and its canonical form for the reference (:func:`reference.mode_pads`).

    A Keras mode (canonical: the mode), explicit amounts (the pairs), or with
    ``rules`` one of the padding rules Keras has no string for: Theano's
    'same' (``("theano_same",)``), DL4J's Strict and Truncate (``("strict" |
    "truncate", pads)``), each side of dim ``i`` at most ``max_sides[i]``.
    """
    form = draw(st.sampled_from(("mode", "explicit", "rule") if rules else ("mode", "explicit")))
    if form == "mode":
        mode = draw(st.sampled_from(modes))
        return mode, mode
    if form == "explicit":
        return _side_pairs(draw, rank, max_sides)
    kind = draw(st.sampled_from(("theano_same", "strict", "truncate")))
    if kind == "theano_same":
        return cl.geometry.Same(extra_at="begin"), ("theano_same",)
    pads = tuple(draw(st.integers(0, m)) for m in max_sides)
    rule = cl.geometry.Strict if kind == "strict" else cl.geometry.Truncate
    return rule(pads[0] if len(set(pads)) == 1 and draw(st.booleans()) else pads), (kind, pads)


def _window(draw: st.DrawFn, rank: int, kernel_size: st.SearchStrategy[int] | None, stride: st.SearchStrategy[int],
            width_stride: st.SearchStrategy[int] | None, max_dilation: int
            ) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    if kernel_size is None:
        kernel_size = st.integers(1, MAX_KERNEL[rank])
    kernel = tuple(draw(kernel_size) for _ in range(rank))
    strides = tuple(draw(stride) for _ in range(rank))
    if width_stride is not None:
        strides = strides[:-1] + (draw(width_stride),)
    dilation = tuple(draw(st.integers(1, max_dilation)) for _ in range(rank))
    return kernel, strides, dilation


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


# -- the generator -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Region:
    """Where in the space of configurations :func:`layer_cases` draws (see its arguments)."""

    channels: st.SearchStrategy[int]
    filters_per_group: st.SearchStrategy[int]
    kernel_size: st.SearchStrategy[int] | None
    stride: st.SearchStrategy[int]
    width_stride: st.SearchStrategy[int] | None
    activations: tuple[str | None, ...]


@st.composite
def layer_cases(
    draw: st.DrawFn,
    families: tuple[str, ...] = FAMILIES,
    *,
    ranks: tuple[int, ...] = (1, 2, 3),
    data_formats: tuple[str, ...] = ("channels_last", "channels_first"),
    channels: st.SearchStrategy[int] = st.integers(1, 3),
    filters_per_group: st.SearchStrategy[int] = st.integers(1, 2),
    width: st.SearchStrategy[int] | None = None,
    kernel_size: st.SearchStrategy[int] | None = None,
    stride: st.SearchStrategy[int] = st.integers(1, 3),
    width_stride: st.SearchStrategy[int] | None = None,
    activations: tuple[str | None, ...] = ACTIVATIONS,
) -> Case:
    """A :class:`Case` of one of ``families``, at one of ``ranks`` the family has, in one of ``data_formats``.

    ``channels``: input channels; ``filters_per_group``: output channels per
    group of the convolutions (filters, or the depth multiplier); ``width``:
    the size of the last spatial dim (default: like the others, 1 to
    ``MAX_SIZE[rank]``); ``kernel_size``: the convolutions' kernel per dim
    (default 1 to ``MAX_KERNEL[rank]``); ``stride`` and ``width_stride``: the
    window strides (``width_stride`` for the last spatial dim only);
    ``activations``: drawn for the convolutions.
    """
    region = Region(channels, filters_per_group, kernel_size, stride, width_stride, activations)
    family = draw(st.sampled_from(families))
    rank = draw(st.sampled_from([r for r in ranks if r in CLASSES[family]]))
    data_format = "channels_last"
    kwargs: dict[str, Any] = {}
    if (family, rank) not in NO_DATA_FORMAT:
        data_format = draw(st.sampled_from(data_formats))
        if data_format == "channels_first" or draw(st.booleans()):
            kwargs["data_format"] = data_format
    lead = draw(st.sampled_from(((1,), (2,), (2, 1)) if family in EXTRA_BATCH_DIMS else ((1,), (2,))))
    n_channels = draw(region.channels)
    spatial = tuple(draw(st.integers(1, MAX_SIZE[rank])) for _ in range(rank))
    if width is not None:
        spatial = spatial[:-1] + (draw(width),)
    family_kwargs, spec = _FAMILY_ARGUMENTS[family](draw, family, rank, n_channels, region)
    example = spatial + (n_channels,) if data_format == "channels_last" else (n_channels,) + spatial
    seed = draw(st.integers(0, 2**16))
    return Case(family, rank, {**kwargs, **family_kwargs}, spec, data_format, lead + example, seed)


Arguments = tuple[dict[str, Any], dict[str, Any]]  # (constructor kwargs, canonical spec)


def _convolution_arguments(draw: st.DrawFn, family: str, rank: int, channels: int, region: Region) -> Arguments:
    kernel, strides, dilation = _window(draw, rank, region.kernel_size, region.stride, region.width_stride, max_dilation=2)
    spec: dict[str, Any] = dict(kernel=kernel, strides=strides, dilation=dilation, groups=1)
    kwargs: dict[str, Any] = {}
    if family == "transpose":
        padding, spec["padding"] = _padding(draw, rank, TRANSPOSE_PADDING_MODES, (2,) * rank)
        spec["output_padding"] = None
        if draw(st.booleans()):
            spec["output_padding"] = tuple(draw(st.integers(0, s - 1)) for s in strides)
            kwargs["output_padding"] = _per_dim(draw, spec["output_padding"])
    else:
        padding, spec["padding"] = _padding(draw, rank, CONV_PADDING_MODES, (3,) * rank, rules=True)
    if family in ("conv", "transpose"):
        spec["groups"] = draw(st.sampled_from(_divisors(channels)))
        spec["filters"] = kwargs["filters"] = spec["groups"] * draw(region.filters_per_group)
        if spec["groups"] > 1:
            kwargs["groups"] = spec["groups"]
    if family == "separable":
        spec["filters"] = kwargs["filters"] = draw(region.filters_per_group)
    if family in ("depthwise", "separable"):
        spec["depth_multiplier"] = kwargs["depth_multiplier"] = draw(region.filters_per_group)
    kwargs.update(kernel_size=_per_dim(draw, kernel), strides=_per_dim(draw, strides), padding=padding,
                  dilation_rate=_per_dim(draw, dilation))
    spec["activation"] = kwargs["activation"] = draw(st.sampled_from(region.activations))
    spec["use_bias"] = kwargs["use_bias"] = draw(st.booleans())
    return kwargs, spec


def _pooling_arguments(draw: st.DrawFn, family: str, rank: int, channels: int, region: Region) -> Arguments:
    pool = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    strides = None if draw(st.booleans()) else tuple(draw(region.stride) for _ in range(rank))
    if strides is not None and region.width_stride is not None:
        strides = strides[:-1] + (draw(region.width_stride),)
    # explicit padding must leave a real element in every window: each side below the pool size
    padding, canonical = _padding(draw, rank, CONV_PADDING_MODES, tuple(k - 1 for k in pool), rules=True)
    spec = dict(kernel=pool, strides=pool if strides is None else strides, dilation=(1,) * rank, padding=canonical)
    kwargs = dict(pool_size=_per_dim(draw, pool), padding=padding)
    if strides is not None:
        kwargs["strides"] = _per_dim(draw, strides)
    return kwargs, spec


def _global_pooling_arguments(draw: st.DrawFn, family: str, rank: int, channels: int, region: Region) -> Arguments:
    keepdims = draw(st.booleans())
    return dict(keepdims=keepdims), dict(keepdims=keepdims)


def _cropping_or_padding_arguments(draw: st.DrawFn, family: str, rank: int, channels: int, region: Region) -> Arguments:
    amounts, pairs = _side_pairs(draw, rank, (2,) * rank, keras_1d=True)
    return {"cropping" if family == "cropping" else "padding": amounts}, dict(pairs=pairs)


def _upsampling_arguments(draw: st.DrawFn, family: str, rank: int, channels: int, region: Region) -> Arguments:
    factors = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    interpolation = draw(st.sampled_from(INTERPOLATIONS[rank]))
    kwargs: dict[str, Any] = dict(size=factors[0] if rank == 1 else _per_dim(draw, factors))
    if interpolation != "nearest" or draw(st.booleans()):
        kwargs["interpolation"] = interpolation
    return kwargs, dict(factors=factors, interpolation=interpolation)


def _block_arguments(draw: st.DrawFn, family: str, rank: int, channels: int, region: Region) -> Arguments:
    if family == "space_to_depth":
        block = draw(st.integers(1, 3))
        return dict(block_size=block), dict(block=block)
    block = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    paddings, pairs = _side_pairs(draw, rank, (2,) * rank)
    return dict(block_shape=_per_dim(draw, block), paddings=paddings), dict(block=block, pairs=pairs)


_FAMILY_ARGUMENTS = {
    **dict.fromkeys(CONVOLUTIONS, _convolution_arguments),
    **dict.fromkeys(POOLINGS, _pooling_arguments),
    **dict.fromkeys(GLOBAL_POOLINGS, _global_pooling_arguments),
    "cropping": _cropping_or_padding_arguments,
    "zero_padding": _cropping_or_padding_arguments,
    "upsampling": _upsampling_arguments,
    "space_to_depth": _block_arguments,
    "space_to_batch": _block_arguments,
}


# -- shapes from independent formulas -----------------------------------------------------------


def window_pads(case: Case, spatial: tuple[int, ...]) -> list[tuple[int, int]]:
    """The explicit ``(begin, end)`` pairs of a sliding-window case's padding, for inputs of ``spatial`` sizes."""
    s = case.spec
    return ref.mode_pads(s["padding"], spatial, s["kernel"], s["strides"], s["dilation"])


def expected_output_shape(case: Case) -> tuple[int, ...] | None:
    """The output shape, or ``None`` where the input cannot be processed (an empty or impossible output)."""
    lead, spatial, channels = case.split_input_shape()
    s, family = case.spec, case.family
    if family in ("conv", "depthwise", "separable") + POOLINGS:
        if ref.strict_refuses(s["padding"], spatial, s["kernel"], s["strides"], s["dilation"]):
            return None
        sizes = ref.conv_output_sizes(spatial, s["kernel"], s["strides"], s["dilation"], window_pads(case, spatial))
    elif family == "transpose":
        sizes = [size for _, size in ref.transpose_windows(spatial, s["kernel"], s["strides"], s["dilation"],
                                                           s["padding"], s["output_padding"])]
    elif family in GLOBAL_POOLINGS:
        if not s["keepdims"]:
            return lead + (channels,)
        sizes = [1] * case.rank
    elif family == "cropping":
        sizes = [n - b - e for n, (b, e) in zip(spatial, s["pairs"])]
    elif family == "zero_padding":
        sizes = [n + b + e for n, (b, e) in zip(spatial, s["pairs"])]
    elif family == "upsampling":
        sizes = [n * f for n, f in zip(spatial, s["factors"])]
    elif family == "space_to_depth":
        sizes = [n // s["block"] if n % s["block"] == 0 else 0 for n in spatial]
    elif family == "space_to_batch":
        padded = [n + b + e for n, (b, e) in zip(spatial, s["pairs"])]
        sizes = [n // k if n % k == 0 else 0 for n, k in zip(padded, s["block"])]
        lead = (lead[0] * math.prod(s["block"]),)
    if min(sizes) < 1:
        return None
    if family in ("conv", "transpose", "separable"):
        channels = s["filters"]
    elif family == "depthwise":
        channels *= s["depth_multiplier"]
    elif family == "space_to_depth":
        channels *= s["block"] ** 2
    example = tuple(sizes) + (channels,) if case.channels_last else (channels,) + tuple(sizes)
    return lead + example


def has_output(case: Case) -> bool:
    return expected_output_shape(case) is not None


def expected_weight_shapes(case: Case) -> list[tuple[int, ...]]:
    """The weights in Keras layout and order (keras.md section 4; separable: depthwise, pointwise, bias)."""
    _, _, c = case.split_input_shape()
    s, family = case.spec, case.family
    if family not in CONVOLUTIONS:
        return []
    k = s["kernel"]
    if family == "conv":
        shapes, out_channels = [k + (c // s["groups"], s["filters"])], s["filters"]
    elif family == "transpose":
        shapes, out_channels = [k + (s["filters"] // s["groups"], c)], s["filters"]
    elif family == "depthwise":
        shapes, out_channels = [k + (c, s["depth_multiplier"])], c * s["depth_multiplier"]
    else:
        pointwise = (1,) * case.rank + (c * s["depth_multiplier"], s["filters"])
        shapes, out_channels = [k + (c, s["depth_multiplier"]), pointwise], s["filters"]
    return shapes + ([(out_channels,)] if s["use_bias"] else [])


# -- invalid arguments -------------------------------------------------------------------------


def _bad_per_dim(rank: int) -> st.SearchStrategy[Any]:
    """Values no int-or-per-dim-ints argument (kernel_size, strides...) accepts."""
    return st.sampled_from([0, -1, 2.0, True, "2", None, (1,) * (rank + 1), (2,) * (rank - 1) + (0,)])


def _bad_padding(rank: int) -> st.SearchStrategy[Any]:
    return st.sampled_from(["wrap", "", -1, 1.5, ((1, -1),) * rank, ((1, 2, 3),) * rank, (1,) * (rank + 2)])


#: Keras's per-weight option prefixes of each convolution family.
WEIGHT_ROLES = {"conv": ("kernel", "bias"), "transpose": ("kernel", "bias"), "depthwise": ("depthwise", "bias"),
                "separable": ("depthwise", "pointwise", "bias")}


def _bad_arguments(family: str, rank: int, case: Case) -> dict[str, st.SearchStrategy[Any]]:
    """Per constructor argument of ``family``, values it must refuse (``dtype`` for every layer)."""
    bad = dict(dtype=st.sampled_from(["int8", "float", 32]))
    return {**bad, **_bad_family_arguments(family, rank, case)}


def _bad_family_arguments(family: str, rank: int, case: Case) -> dict[str, st.SearchStrategy[Any]]:
    per_dim, padding = _bad_per_dim(rank), _bad_padding(rank)
    count = st.sampled_from([0, -2, 2.0, "3", None])
    data_format = st.sampled_from(["NHWC", "channels_middle", 1])
    if family in CONVOLUTIONS:
        bad = dict(kernel_size=per_dim, strides=per_dim, dilation_rate=per_dim, padding=padding, data_format=data_format,
                   activation=st.sampled_from(["RELU", "no_such_activation", 3]))
        for role in WEIGHT_ROLES[family]:
            bad[f"{role}_initializer"] = st.sampled_from(["glorot", 3])
            bad[f"{role}_regularizer"] = st.just("l3")
            bad[f"{role}_constraint"] = st.just("positive")
        if family in ("conv", "transpose", "separable"):
            bad["filters"] = count
        if family in ("depthwise", "separable"):
            bad["depth_multiplier"] = count
        if family in ("conv", "transpose"):
            filters = case.spec["filters"]
            bad["groups"] = st.sampled_from([0, -1, filters + 1] if filters > 1 else [0, -1, 1.0])
        if family == "transpose":
            bad["padding"] = st.sampled_from(["causal", "full", -1, ((1, -1),) * rank])
            bad["output_padding"] = st.sampled_from([tuple(s for s in case.spec["strides"]), -1, (0,) * (rank + 1)])
        return bad
    if family in POOLINGS:
        pool = case.spec["kernel"]
        return dict(pool_size=per_dim, strides=st.sampled_from([0, -1, (1,) * (rank + 1)]), data_format=data_format,
                    padding=st.one_of(padding, st.just(max(pool)), st.just(((0, pool[0]),) + ((0, 0),) * (rank - 1))))
    if family in GLOBAL_POOLINGS:
        return dict(keepdims=st.sampled_from(["yes", 1, None]), data_format=data_format)
    if family in ("cropping", "zero_padding"):
        name = "cropping" if family == "cropping" else "padding"
        return {name: st.sampled_from([-1, ((1, -1),) * rank, "1", 1.5, (1,) * (rank + 2)])}
    if family == "upsampling":
        bad = dict(size=per_dim if rank > 1 else st.sampled_from([0, -1, 2.0, (2,), True]),
                   interpolation=st.sampled_from(["cubic", "linear" if rank != 3 else "bilinear", 3]))
        if rank == 1:
            bad["data_format"] = st.just("channels_last")  # Keras's UpSampling1D has no data_format
        return bad
    if family == "space_to_depth":
        return dict(block_size=st.sampled_from([0, -2, 2.0, (2, 2)]), data_format=data_format)
    return dict(block_shape=per_dim, paddings=st.sampled_from([-1, ((1, -1), (0, 0)), "same", 1.5]), data_format=data_format)


@st.composite
def invalid_argument_cases(draw: st.DrawFn) -> tuple[Case, str, Any]:
    """A valid case, the name of one constructor argument and a value of it that the layer must refuse."""
    case = draw(layer_cases())
    bad = _bad_arguments(case.family, case.rank, case)
    name = draw(st.sampled_from(sorted(bad)))
    return case, name, draw(bad[name])
