"""Canonical specs: what a layer of each family *is*, frozen, in the core's own terms.

Every front end translates into these. Keras 3 keywords are one translation
(each family's :class:`~.arguments.ArgumentTable`); a dialect (Keras 1,
Deeplearning4j, the Wolfram Language) is another: it fills a spec from its own
vocabulary and calls ``LayerClass.from_spec(spec)`` or :func:`layer_from_spec`.
A spec holds canonical values only (tuples of ints, a
:class:`~convlayers.geometry.PaddingRule`, resolved activation, initializer,
regularizer and constraint objects) and knows its geometry and its weights:
names, Keras shapes, storage layouts and options, in Keras's order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from functools import cache, cached_property
from typing import Any, Literal

from ..geometry import PaddingRule, TransposeGeometry, Valid, WindowGeometry
from .weights import Composed, DepthwiseKernel, Permuted, Reshaped, SpatialFirstKernel, WeightLayout

_OPTION_KINDS = ("initializer", "regularizer", "constraint")


@dataclass(frozen=True)
class RoleOptions:
    """Keras's options for the weights of one role (``kernel``, ``bias``, ``depthwise``, ``pointwise``)."""

    initializer: Any
    regularizer: Any = None
    constraint: Any = None


@dataclass(frozen=True)
class WeightSpec:
    """One weight a spec asks for: its role, Keras name, Keras-layout shape and storage layout."""

    role: str
    name: str
    keras_shape: tuple[int, ...]
    layout: WeightLayout = WeightLayout()


@dataclass(frozen=True)
class Spec:
    """Base of the family specs: per-role options, and reading any canonical argument by its Keras name."""

    #: ``(role, options)`` pairs in Keras's order (none for a family without weights).
    options: tuple[tuple[str, RoleOptions], ...] = ()

    def option(self, role: str) -> RoleOptions:
        """The options of the weights of ``role``."""
        return dict(self.options)[role]

    def value(self, name: str) -> Any:
        """The canonical value of Keras argument ``name`` (``'kernel_initializer'`` reads the ``kernel`` options).

        >>> from convlayers import Conv2D
        >>> Conv2D(4, 3).spec.value("kernel_initializer")
        GlorotUniform(seed=None, input_axes=None, output_axes=None)
        """
        if name in self._field_names():
            return getattr(self, name)
        role, _, kind = name.rpartition("_")
        if kind in _OPTION_KINDS and role in dict(self.options):
            return getattr(self.option(role), kind)
        raise KeyError(f"{type(self).__name__} has no argument {name!r}.")

    @classmethod
    def from_values(cls, values: dict[str, Any], roles: tuple[str, ...], **fixed: Any) -> "Spec":
        """The spec of canonical Keras-named ``values`` (extra entries ignored); ``fixed``: fields the family sets."""
        names = cls._field_names() - {"options"}
        options = tuple(
            (role, RoleOptions(*(values[f"{role}_{kind}"] for kind in _OPTION_KINDS))) for role in roles
        )
        return cls(**fixed, **{name: values[name] for name in names - set(fixed) if name in values}, options=options)

    @classmethod
    @cache
    def _field_names(cls) -> frozenset[str]:
        return frozenset(f.name for f in fields(cls))


ConvKind = Literal["conv", "depthwise", "separable", "transpose"]
#: The weight roles of each convolution kind, in Keras's order.
CONV_ROLES: dict[str, tuple[str, ...]] = {
    "conv": ("kernel", "bias"),
    "transpose": ("kernel", "bias"),
    "depthwise": ("depthwise", "bias"),
    "separable": ("depthwise", "pointwise", "bias"),
}


@dataclass(frozen=True)
class ConvSpec(Spec):
    """A convolution-family layer: plain, depthwise, separable (depthwise then 1x1) or transposed.

    ``filters`` is ``None`` for a depthwise convolution (its output has
    ``channels * depth_multiplier`` channels). ``groups`` splits the channels of a
    plain or transposed convolution; ``output_padding`` is a transposed one's.

    >>> from convlayers.geometry import Same
    >>> from convlayers import initializers
    >>> spec = ConvSpec.from_values(
    ...     {"filters": 8, "kernel_size": (3, 3), "strides": (1, 1), "dilation_rate": (1, 1), "padding": Same(),
    ...      "kernel_initializer": initializers.get("he_normal"), "kernel_regularizer": None, "kernel_constraint": None,
    ...      "bias_initializer": initializers.get("zeros"), "bias_regularizer": None, "bias_constraint": None},
    ...     CONV_ROLES["conv"], kind="conv", rank=2)
    >>> [(w.name, w.keras_shape) for w in spec.weights(channels=4)]
    [('kernel', (3, 3, 4, 8)), ('bias', (8,))]
    >>> spec.geometry.output_sizes((28, 28))
    (28, 28)
    """

    kind: ConvKind = "conv"
    rank: int = 2
    filters: int | None = None
    kernel_size: tuple[int, ...] = (1, 1)
    strides: tuple[int, ...] = (1, 1)
    dilation_rate: tuple[int, ...] = (1, 1)
    padding: PaddingRule = Valid()
    data_format: str = "channels_last"
    groups: int = 1
    depth_multiplier: int = 1
    output_padding: tuple[int, ...] | None = None
    activation: Any = None
    use_bias: bool = True

    def __post_init__(self) -> None:
        if self.kind not in CONV_ROLES:
            raise ValueError(f"ConvSpec: kind must be one of {sorted(CONV_ROLES)}. Received kind={self.kind!r}.")
        if (self.filters is None) != (self.kind == "depthwise"):
            raise ValueError(f"ConvSpec: a {self.kind} convolution {'has no' if self.kind == 'depthwise' else 'needs'} `filters`.")
        if tuple(role for role, _ in self.options) != CONV_ROLES[self.kind]:
            raise ValueError(f"ConvSpec: a {self.kind} convolution has options for roles {CONV_ROLES[self.kind]}.")

    @cached_property
    def geometry(self) -> WindowGeometry | TransposeGeometry:
        """The sliding window (a transposed convolution's: which part of its natural output it keeps)."""
        window = (self.kernel_size, self.strides, self.dilation_rate, self.padding)
        if self.kind == "transpose":
            return TransposeGeometry(*window, output_padding=self.output_padding)
        return WindowGeometry(*window)

    def output_channels(self, channels: int | None) -> int | None:
        """The number of output channels for ``channels`` input channels (``None``: unknown)."""
        if self.kind != "depthwise":
            return self.filters
        return None if channels is None else channels * self.depth_multiplier

    def weights(self, channels: int) -> tuple[WeightSpec, ...]:
        """The weights for ``channels`` input channels, in Keras's order."""
        spatial_first = SpatialFirstKernel(self.rank)
        if self.kind == "conv":
            kernels = [WeightSpec("kernel", "kernel", self.kernel_size + (channels // self.groups, self.filters), spatial_first)]
        elif self.kind == "transpose":
            kernels = [WeightSpec("kernel", "kernel", self.kernel_size + (self.filters // self.groups, channels), spatial_first)]
        else:
            depthwise = DepthwiseKernel(self.rank, self.depth_multiplier)
            name = "kernel" if self.kind == "depthwise" else "depthwise_kernel"
            kernels = [WeightSpec("depthwise", name, self.kernel_size + (channels, self.depth_multiplier), depthwise)]
            if self.kind == "separable":
                shape = (1,) * self.rank + (channels * self.depth_multiplier, self.filters)
                kernels.append(WeightSpec("pointwise", "pointwise_kernel", shape, spatial_first))
        bias = [WeightSpec("bias", "bias", (self.output_channels(channels),))] if self.use_bias else []
        return tuple(kernels + bias)


@dataclass(frozen=True)
class DenseSpec(Spec):
    """A densely connected layer: ``activation(x @ kernel + bias)`` on the last axis."""

    units: int = 1
    activation: Any = None
    use_bias: bool = True

    def weights(self, features: int) -> tuple[WeightSpec, ...]:
        """The weights for inputs of ``features`` features: the Keras kernel ``(features, units)`` is stored as
        ``F.linear``'s ``(units, features)`` (the conv-kernel layout with no spatial dims)."""
        kernel = WeightSpec("kernel", "kernel", (features, self.units), SpatialFirstKernel(0))
        return (kernel,) + ((WeightSpec("bias", "bias", (self.units,)),) if self.use_bias else ())


@dataclass(frozen=True)
class PoolSpec(Spec):
    """Pooling over sliding windows: max, average (divided by its count of real elements), sum (the real
    elements added: Wolfram's ``"Total"``) or p-norm (``(sum |x|^p)^(1/p)`` over the real elements: DL4J's
    ``PNORM``); windows may be dilated (taps ``dilation_rate`` apart, ONNX's ``dilations``).

    ``p`` is the p-norm's exponent (a number >= 1: below 1 the slope of ``|x|^p`` at 0 is infinite) and
    ``None`` for the other kinds.

    >>> from convlayers.geometry import Same
    >>> PoolSpec(kind="max", rank=1, pool_size=(2,), strides=(2,), padding=Same()).geometry.output_sizes((5,))
    (3,)
    >>> PoolSpec(kind="pnorm", rank=1, pool_size=(2,), strides=(1,), dilation_rate=(3,), p=2).geometry.output_sizes((5,))
    (2,)
    >>> PoolSpec(kind="max", rank=1, pool_size=(2,), strides=(1,), p=2)
    Traceback (most recent call last):
    ...
    ValueError: PoolSpec: `p` is the exponent of kind 'pnorm' pooling; a max pooling takes none. Received p=2.
    """

    kind: Literal["max", "average", "sum", "pnorm"] = "max"
    rank: int = 2
    pool_size: tuple[int, ...] = (2, 2)
    strides: tuple[int, ...] = (2, 2)
    padding: PaddingRule = Valid()
    data_format: str = "channels_last"
    dilation_rate: tuple[int, ...] | None = None
    p: float | None = None

    def __post_init__(self) -> None:
        if self.dilation_rate is None:  # undilated unless given: the pre-dilation specs read as before
            object.__setattr__(self, "dilation_rate", (1,) * self.rank)
        if self.kind == "pnorm" and not (isinstance(self.p, (int, float)) and not isinstance(self.p, bool) and self.p >= 1):
            raise ValueError(f"PoolSpec: kind 'pnorm' needs an exponent `p` >= 1. Received p={self.p!r}.")
        if self.kind != "pnorm" and self.p is not None:
            raise ValueError(
                f"PoolSpec: `p` is the exponent of kind 'pnorm' pooling; a {self.kind} pooling takes none. Received p={self.p!r}."
            )

    @cached_property
    def geometry(self) -> WindowGeometry:
        """The sliding window."""
        return WindowGeometry(self.pool_size, self.strides, self.dilation_rate, self.padding)


@dataclass(frozen=True)
class LocalSpec(Spec):
    """A locally connected layer: a convolution whose kernel and bias differ at every output position.

    Its weights depend on the input's spatial sizes (one kernel row per output position), so
    :meth:`weights` takes them. The kernel is Keras 2's implementation-1 layout ``(positions,
    prod(kernel_size) * channels, filters)``, each row's features in the input's C order; the bias is
    ``(*out_spatial, filters)``, which Keras adds channels first by *reshaping* it to
    ``(filters, *out_spatial)`` (its ``bias_add``), kept as Keras's storage and reordered for the op.

    >>> from convlayers import initializers
    >>> spec = LocalSpec.from_values(
    ...     {"filters": 4, "kernel_size": (3, 3), "strides": (1, 1), "padding": Valid(),
    ...      "kernel_initializer": initializers.get("glorot_uniform"), "kernel_regularizer": None,
    ...      "kernel_constraint": None, "bias_initializer": initializers.get("zeros"), "bias_regularizer": None,
    ...      "bias_constraint": None}, ("kernel", "bias"), rank=2)
    >>> [(w.name, w.keras_shape) for w in spec.weights(channels=2, spatial=(5, 6))]
    [('kernel', (12, 18, 4)), ('bias', (3, 4, 4))]
    """

    rank: int = 2
    filters: int = 1
    kernel_size: tuple[int, ...] = (1, 1)
    strides: tuple[int, ...] = (1, 1)
    padding: PaddingRule = Valid()
    data_format: str = "channels_last"
    activation: Any = None
    use_bias: bool = True
    implementation: int = 1

    @cached_property
    def geometry(self) -> WindowGeometry:
        """The sliding window (never dilated: Keras's locally connected layers have no dilation)."""
        return WindowGeometry(self.kernel_size, self.strides, (1,) * self.rank, self.padding)

    def weights(self, channels: int, spatial: tuple[int, ...]) -> tuple[WeightSpec, ...]:
        """The weights for inputs of ``channels`` channels and ``spatial`` sizes, in Keras's order."""
        out = tuple(self.geometry.output_sizes(spatial))
        kernel = WeightSpec("kernel", "kernel", (math.prod(out), math.prod(self.kernel_size) * channels, self.filters))
        if not self.use_bias:
            return (kernel,)
        keras_bias = out + (self.filters,)
        if self.data_format == "channels_last":
            return kernel, WeightSpec("bias", "bias", keras_bias)
        # Keras's channels-first bias_add reads its (*out, filters) buffer as (filters, *out).
        to_positions = Composed(Reshaped(keras_bias, (self.filters,) + out), Permuted((*range(1, self.rank + 1), 0)))
        return kernel, WeightSpec("bias", "bias", keras_bias, to_positions)
