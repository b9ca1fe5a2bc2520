"""Keras 1.2.2's convolutional layers and the companions a Keras 1 CNN needs, as translations into the core.

Each class is a core layer (``Convolution2D`` is a :class:`~convlayers.Conv2D`)
that takes Keras 1's arguments, writes Keras 1's config and shows its weights in
Keras 1's layouts (reference B1, B5): ``th`` kernels ``(out, in, *kernel)``, ``tf``
kernels ``(*kernel, in, out)``, ``Convolution1D``'s ``(length, 1, in, out)``. On the
Theano backend a convolution is a true convolution (the stored kernel reversed
along every spatial axis), ``'same'`` puts the odd pad at the beginning and
``'full'`` exists (reference B2).

>>> import numpy as np
>>> from convlayers import keras1
>>> layer = keras1.Convolution1D(1, 2, border_mode="same", bias=False, weights=[np.array([1, 2], "float32").reshape(2, 1, 1, 1)],
...                              input_shape=(5, 1))
>>> layer(np.arange(1, 6, dtype="float32").reshape(1, 5, 1))[0, :, 0].tolist()  # TensorFlow: correlation, pads (0, 1)
[5.0, 8.0, 11.0, 14.0, 5.0]
>>> theano = keras1.Convolution1D(1, 2, border_mode="same", bias=False, backend="theano",
...                               weights=[np.array([1, 2], "float32").reshape(2, 1, 1, 1)], input_shape=(5, 1))
>>> theano(np.arange(1, 6, dtype="float32").reshape(1, 5, 1))[0, :, 0].tolist()  # Theano: convolution, pads (1, 0)
[1.0, 4.0, 7.0, 10.0, 13.0]
"""

from __future__ import annotations

from typing import Any, Mapping

from .. import activations
from .. import layers as core
from ..geometry import Full, OutputSize, Same, Valid
from ..layers.spec import WeightSpec
from ..layers.weights import Permuted, Reshaped
from . import initializations, options
from .backend import check_dim_ordering
from .translation import DATA_FORMATS, DIM_ORDERINGS, REQUIRED, Keras1Layer, present

_CONV_OPTIONS = (
    ("init", "glorot_uniform"),
    ("activation", None),
    ("weights", None),
    ("border_mode", "valid"),
)
_REGULARIZATION = (
    ("W_regularizer", None),
    ("b_regularizer", None),
    ("activity_regularizer", None),
    ("W_constraint", None),
    ("b_constraint", None),
    ("bias", True),
)
_REGULARIZATION_KEYS = tuple(name for name, _ in _REGULARIZATION)


def _padding(border_mode: Any, backend: str, owner: str, modes: tuple[str, ...] = ("valid", "same", "full")) -> Any:
    """The core padding rule of a Keras 1 ``border_mode`` on ``backend``."""
    if border_mode not in modes:
        raise ValueError(f"Invalid border mode for {owner}: {border_mode!r}. Keras 1 allows {modes}.")
    if border_mode == "full" and backend != "theano":
        raise ValueError(f"{owner}: border_mode='full' exists only on the Theano backend (TensorFlow: Invalid border mode: full).")
    if border_mode == "same":
        return Same(extra_at="begin") if backend == "theano" else Same()
    return Full() if border_mode == "full" else Valid()


def _border_mode(rule: Any) -> str:
    """Keras 1's ``border_mode`` of a core padding rule."""
    if isinstance(rule, OutputSize):
        return {"valid": "valid", "same": "same", "theano_same": "same", "theano_full": "full"}[rule.placement]
    return {Valid: "valid", Same: "same", Full: "full"}[type(rule)]


def _ordering(value: Any, owner: str) -> tuple[str, str]:
    """``(dim_ordering, data_format)`` of a Keras 1 ``dim_ordering`` argument."""
    ordering = check_dim_ordering(value, owner)
    return ordering, DATA_FORMATS[ordering]


def _weight_options(values: dict[str, Any], fan_ordering: str, kernel_roles: tuple[str, ...]) -> dict[str, Any]:
    """The core's activation, bias and per-role options from Keras 1's (the bias starts at zero, always)."""
    init = initializations.get(values["init"], fan_ordering)
    core: dict[str, Any] = {
        "activation": options.activation(values["activation"]),
        "use_bias": bool(values["bias"]),
        "bias_initializer": "zeros",
        "bias_regularizer": options.regularizer(values["b_regularizer"]),
        "bias_constraint": options.constraint(values["b_constraint"]),
        "activity_regularizer": options.regularizer(values["activity_regularizer"]),
    }
    for role in kernel_roles:
        prefix = "W" if kernel_roles == ("kernel",) else role
        core[f"{role}_initializer"] = init
        core[f"{role}_regularizer"] = options.regularizer(values[f"{prefix}_regularizer"])
        core[f"{role}_constraint"] = options.constraint(values[f"{prefix}_constraint"])
    return core


class _Convolution(Keras1Layer):
    """What Keras 1's convolutions share: options, border modes, kernel layouts and Theano's flip."""

    #: The core roles Keras 1's ``init`` initialises (``W_*`` options for a plain kernel).
    kernel_roles: tuple[str, ...] = ("kernel",)
    border_modes: tuple[str, ...] = ("valid", "same", "full")
    spec: Any

    @property
    def dim_ordering(self) -> str:
        return DIM_ORDERINGS[self.spec.data_format]

    def _options(self, values: dict[str, Any], fan_ordering: str) -> dict[str, Any]:
        return _weight_options(values, fan_ordering, self.kernel_roles)

    def keras1_layout(self, weight: WeightSpec) -> Permuted | Reshaped | None:
        """How Keras 1 lays out ``weight`` relative to the core (``None``: as the core does)."""
        if self.dim_ordering == "tf":
            return None
        rank = len(weight.keras_shape) - 2
        return Permuted(tuple(range(2, rank + 2)) + (1, 0))  # th: (out, in, *kernel)

    def dialect_weight(self, weight: WeightSpec) -> WeightSpec:
        if weight.role == "bias":
            return weight
        flip = tuple(range(self.spec.rank)) if self.backend == "theano" else ()
        return present(weight, self.keras1_layout(weight), flip)

    def _options_back(self) -> dict[str, Any]:
        spec = self.spec
        kernel = spec.option(self.kernel_roles[0])
        values = {
            "init": initializations.name_of(kernel.initializer),
            "activation": activations.serialize(spec.activation),
            "border_mode": _border_mode(spec.padding),
            "dim_ordering": self.dim_ordering,
            "activity_regularizer": options.regularizer_config(self.activity_regularizer),  # type: ignore[attr-defined]
            "b_regularizer": options.regularizer_config(spec.option("bias").regularizer),
            "b_constraint": options.constraint_config(spec.option("bias").constraint),
            "bias": spec.use_bias,
        }
        for role in self.kernel_roles:
            prefix = "W" if self.kernel_roles == ("kernel",) else role
            values[f"{prefix}_regularizer"] = options.regularizer_config(spec.option(role).regularizer)
            values[f"{prefix}_constraint"] = options.constraint_config(spec.option(role).constraint)
        return values


class _Convolution1D(_Convolution, core.Conv1D):
    """Keras 1's 1-D convolutions: a ``'tf'``-ordered 2-D convolution over ``(steps, 1)`` (reference B1)."""

    def _extra_kwargs(self) -> tuple[str, ...]:
        return ("input_dim", "input_length")

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        owner = type(self).__name__
        core: dict[str, Any] = {
            "filters": values["nb_filter"],
            "kernel_size": values["filter_length"],
            "strides": values["subsample_length"],
            "dilation_rate": values.get("atrous_rate", 1),
            "padding": _padding(values["border_mode"], backend, owner),
            # Keras 1 initialises this tf-layout (length, 1, in, out) kernel with 'th' fans (reference B6).
            **self._options(values, "th"),
        }
        if values.get("input_dim") is not None:
            core["input_shape"] = (values.get("input_length"), values["input_dim"])
        return core

    def keras1_layout(self, weight: WeightSpec) -> Reshaped:
        length, inputs, outputs = weight.keras_shape
        return Reshaped((length, 1, inputs, outputs), weight.keras_shape)

    def keras1_values(self) -> Mapping[str, Any]:
        declared = self.declared_input_shape
        return {
            **self._options_back(),
            "nb_filter": self.spec.filters,
            "filter_length": self.spec.kernel_size[0],
            "subsample_length": self.spec.strides[0],
            "atrous_rate": self.spec.dilation_rate[0],
            "input_dim": None if declared is None else declared[-1],
            "input_length": None if declared is None else declared[-2],
        }


class Convolution1D(_Convolution1D):
    """Keras 1's ``Convolution1D(nb_filter, filter_length, ...)`` over ``(batch, steps, input_dim)``.

    >>> from convlayers import keras1
    >>> keras1.Sequential([keras1.Convolution1D(64, 3, border_mode="same", input_shape=(10, 32))]).output_shape
    (None, 10, 64)
    """

    keras1_arguments = (("nb_filter", REQUIRED), ("filter_length", REQUIRED), *_CONV_OPTIONS,
                        ("subsample_length", 1), *_REGULARIZATION)
    keras1_config_keys = ("nb_filter", "filter_length", "init", "activation", "border_mode", "subsample_length",
                          *_REGULARIZATION_KEYS, "input_dim", "input_length")


class AtrousConvolution1D(_Convolution1D):
    """Keras 1's dilated ``AtrousConvolution1D(nb_filter, filter_length, atrous_rate=1, ...)``.

    >>> from convlayers import keras1
    >>> keras1.AtrousConvolution1D(64, 3, atrous_rate=2, input_shape=(10, 32)).compute_output_shape((None, 10, 32))
    (None, 6, 64)
    """

    keras1_arguments = (("nb_filter", REQUIRED), ("filter_length", REQUIRED), *_CONV_OPTIONS,
                        ("subsample_length", 1), ("atrous_rate", 1), *_REGULARIZATION)
    keras1_config_keys = Convolution1D.keras1_config_keys[:6] + ("atrous_rate",) + Convolution1D.keras1_config_keys[6:]


class _ConvolutionND(_Convolution):
    """Keras 1's 2-D and 3-D convolutions (``dim_ordering``; the kernel size as separate ints)."""

    #: Keras 1's names of the kernel size's ints.
    kernel_arguments: tuple[str, ...] = ("nb_row", "nb_col")

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        owner = type(self).__name__
        ordering, data_format = _ordering(values["dim_ordering"], owner)
        return {
            "filters": values["nb_filter"],
            "kernel_size": tuple(values[name] for name in self.kernel_arguments),
            "strides": values["subsample"],
            "padding": _padding(values["border_mode"], backend, owner, self.border_modes),
            "data_format": data_format,
            **self._options(values, ordering),
            # Only the atrous classes have Keras 1's rate; the others keep the core's default.
            **({"dilation_rate": values["atrous_rate"]} if "atrous_rate" in values else {}),
        }

    def keras1_values(self) -> Mapping[str, Any]:
        spec = self.spec
        return {
            **self._options_back(),
            "nb_filter": spec.filters,
            **dict(zip(self.kernel_arguments, spec.kernel_size)),
            "subsample": spec.strides,
            "atrous_rate": spec.dilation_rate,
        }


_ND_CONFIG_KEYS = ("init", "activation", "border_mode", "subsample", "dim_ordering", *_REGULARIZATION_KEYS)


class Convolution2D(_ConvolutionND, core.Conv2D):
    """Keras 1's ``Convolution2D(nb_filter, nb_row, nb_col, ...)``.

    >>> from convlayers import keras1
    >>> with keras1.backend.settings(image_dim_ordering="th"):
    ...     keras1.Sequential([keras1.Convolution2D(64, 3, 3, border_mode="same", input_shape=(3, 256, 256))]).output_shape
    (None, 64, 256, 256)
    """

    keras1_arguments = (("nb_filter", REQUIRED), ("nb_row", REQUIRED), ("nb_col", REQUIRED), *_CONV_OPTIONS,
                        ("subsample", (1, 1)), ("dim_ordering", "default"), *_REGULARIZATION)
    keras1_config_keys = ("nb_filter", "nb_row", "nb_col", *_ND_CONFIG_KEYS)


class AtrousConvolution2D(_ConvolutionND, core.Conv2D):
    """Keras 1's dilated ``AtrousConvolution2D(nb_filter, nb_row, nb_col, atrous_rate=(1, 1), ...)``.

    >>> from convlayers import keras1
    >>> layer = keras1.AtrousConvolution2D(64, 3, 3, atrous_rate=(2, 2), dim_ordering="th", input_shape=(3, 256, 256))
    >>> layer.compute_output_shape((None, 3, 256, 256))  # the 3x3 kernel dilated to 5x5
    (None, 64, 252, 252)
    """

    keras1_arguments = (("nb_filter", REQUIRED), ("nb_row", REQUIRED), ("nb_col", REQUIRED), *_CONV_OPTIONS,
                        ("subsample", (1, 1)), ("atrous_rate", (1, 1)), ("dim_ordering", "default"), *_REGULARIZATION)
    keras1_config_keys = Convolution2D.keras1_config_keys + ("atrous_rate",)


class Convolution3D(_ConvolutionND, core.Conv3D):
    """Keras 1's ``Convolution3D(nb_filter, kernel_dim1, kernel_dim2, kernel_dim3, ...)``.

    >>> from convlayers import keras1
    >>> keras1.Convolution3D(4, 2, 3, 2, border_mode="same", dim_ordering="tf").compute_output_shape((None, 6, 7, 5, 2))
    (None, 6, 7, 5, 4)
    """

    kernel_arguments = ("kernel_dim1", "kernel_dim2", "kernel_dim3")
    keras1_arguments = (("nb_filter", REQUIRED), ("kernel_dim1", REQUIRED), ("kernel_dim2", REQUIRED),
                        ("kernel_dim3", REQUIRED), *_CONV_OPTIONS, ("subsample", (1, 1, 1)),
                        ("dim_ordering", "default"), *_REGULARIZATION)
    keras1_config_keys = ("nb_filter", "kernel_dim1", "kernel_dim2", "kernel_dim3", "dim_ordering", "init",
                          "activation", "border_mode", "subsample", *_REGULARIZATION_KEYS)


class SeparableConvolution2D(_ConvolutionND, core.SeparableConv2D):
    """Keras 1's ``SeparableConvolution2D(nb_filter, nb_row, nb_col, depth_multiplier=1, ...)`` (TensorFlow only).

    >>> from convlayers import keras1
    >>> layer = keras1.SeparableConvolution2D(5, 3, 3, subsample=(2, 2), border_mode="same", depth_multiplier=2,
    ...                                       dim_ordering="th")
    >>> layer.build((None, 3, 9, 8))
    >>> [w.shape for w in layer.get_weights()]  # depthwise (dm, stack, r, c), pointwise (nb_filter, stack*dm, 1, 1)
    [(2, 3, 3, 3), (5, 6, 1, 1), (5,)]
    """

    kernel_roles = ("depthwise", "pointwise")
    border_modes = ("valid", "same")
    keras1_arguments = (("nb_filter", REQUIRED), ("nb_row", REQUIRED), ("nb_col", REQUIRED), *_CONV_OPTIONS,
                        ("subsample", (1, 1)), ("depth_multiplier", 1), ("dim_ordering", "default"),
                        ("depthwise_regularizer", None), ("pointwise_regularizer", None), ("b_regularizer", None),
                        ("activity_regularizer", None), ("depthwise_constraint", None), ("pointwise_constraint", None),
                        ("b_constraint", None), ("bias", True))
    keras1_config_keys = ("nb_filter", "nb_row", "nb_col", "init", "activation", "border_mode", "subsample",
                          "depth_multiplier", "dim_ordering", "depthwise_regularizer", "pointwise_regularizer",
                          "b_regularizer", "activity_regularizer", "depthwise_constraint", "pointwise_constraint",
                          "b_constraint", "bias")

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        if backend == "theano":
            raise ValueError(f"{type(self).__name__}: Keras 1 has separable convolutions on the TensorFlow backend only.")
        return {**super().translate(values, backend), "depth_multiplier": values["depth_multiplier"]}

    def keras1_layout(self, weight: WeightSpec) -> Permuted | None:
        # th: depthwise (dm, stack, r, c) and pointwise (nb_filter, stack * dm, 1, 1).
        return None if self.dim_ordering == "tf" else Permuted((2, 3, 1, 0))

    def keras1_values(self) -> Mapping[str, Any]:
        values = super().keras1_values()
        return {**values, "depth_multiplier": self.spec.depth_multiplier}


class Deconvolution2D(_ConvolutionND, core.Conv2DTranspose):
    """Keras 1's ``Deconvolution2D(nb_filter, nb_row, nb_col, output_shape, ...)``: the transpose of its convolution.

    ``output_shape`` fixes the rows and columns (its batch and channel entries are not
    used, as in Keras 1); the TensorFlow backend checks them as ``conv2d_transpose`` does.

    >>> from convlayers import keras1
    >>> layer = keras1.Deconvolution2D(3, 3, 3, output_shape=(None, 3, 25, 25), subsample=(2, 2), dim_ordering="th")
    >>> layer.compute_output_shape((None, 3, 12, 12))
    (None, 3, 25, 25)
    """

    keras1_arguments = (("nb_filter", REQUIRED), ("nb_row", REQUIRED), ("nb_col", REQUIRED), ("output_shape", REQUIRED),
                        *_CONV_OPTIONS, ("subsample", (1, 1)), ("dim_ordering", "default"), *_REGULARIZATION)
    keras1_config_keys = Convolution2D.keras1_config_keys + ("output_shape",)

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        owner = type(self).__name__
        core = super().translate(values, backend)
        ordering = DIM_ORDERINGS[core["data_format"]]
        shape = values["output_shape"]
        if not isinstance(shape, (tuple, list)) or len(shape) != 4:
            raise ValueError(
                f"{owner}: `output_shape` must be (batch, nb_filter, rows, cols) ('th') or (batch, rows, cols, nb_filter) "
                f"('tf'). Received output_shape={shape!r}."
            )
        sizes = tuple(shape[2:]) if ordering == "th" else tuple(shape[1:3])
        rule = core["padding"]
        placement = {Valid: "valid", Same: "same", Full: "theano_full"}[type(rule)]
        if backend == "theano" and placement == "same":
            placement = "theano_same"
        return {**core, "padding": OutputSize(sizes, placement)}

    def keras1_layout(self, weight: WeightSpec) -> Permuted:
        # th (nb_filter, stack, r, c), tf (r, c, stack, nb_filter); the core's is (r, c, nb_filter, stack).
        return Permuted((2, 3, 0, 1)) if self.dim_ordering == "th" else Permuted((0, 1, 3, 2))

    def keras1_values(self) -> Mapping[str, Any]:
        values = super().keras1_values()
        sizes = list(self.spec.padding.sizes)
        shape = [None, self.spec.filters, *sizes] if self.dim_ordering == "th" else [None, *sizes, self.spec.filters]
        return {**values, "output_shape": shape}
