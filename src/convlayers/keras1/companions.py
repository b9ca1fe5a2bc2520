"""Keras 1.2.2's pooling, padding, cropping and upsampling layers, and ``Dense``, ``Flatten``, ``Activation``, ``Dropout``.

Translations into the core layers (reference B4): Keras 1's argument names
(``pool_length``, ``stride``, ``border_mode``, ``length``, ``output_dim``, ``p``), its
padding forms (``ZeroPadding2D``'s 4-tuple and dict) and its configs.

>>> import numpy as np
>>> from convlayers import keras1
>>> keras1.ZeroPadding2D({"top_pad": 2, "left_pad": 1}, dim_ordering="tf")(np.ones((1, 2, 2, 1), "float32")).shape
(1, 4, 3, 1)
"""

from __future__ import annotations

from numbers import Integral
from typing import Any, Mapping

from .. import activations
from .. import layers as core
from ..geometry import Same
from ..layers.spec import WeightSpec
from . import initializations, options
from .layers import _border_mode, _ordering
from .translation import DIM_ORDERINGS, REQUIRED, Keras1Layer


def _int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _pairs(value: Any, count: int, argument: str, owner: str) -> tuple[tuple[int, int], ...]:
    """``count`` ``(begin, end)`` pairs of ints, as Keras 1's cropping arguments hold them."""
    try:
        pairs = tuple((int(begin), int(end)) for begin, end in value)
        if len(pairs) == count and all(_int(v) for pair in value for v in pair):
            return pairs
    except (TypeError, ValueError):
        pass
    raise ValueError(f"{owner}: `{argument}` must be {count} (begin, end) pairs of ints. Received {argument}={value!r}.")


def _dict_pads(value: Mapping[str, Any], keys: tuple[str, ...], owner: str) -> tuple[int, ...]:
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise ValueError(f"{owner}: unexpected key(s) {unknown} in `padding`; Keras 1 allows {keys} (missing ones are 0).")
    return tuple(int(value.get(key, 0)) for key in keys)


class _Pooling(Keras1Layer):
    """Keras 1's pooling: ``border_mode`` valid or same (Theano's ``'same'`` pooling has rules of its own, not provided)."""

    spec: Any

    def _padding(self, border_mode: Any, backend: str) -> Any:
        owner = type(self).__name__
        if border_mode not in ("valid", "same"):
            raise ValueError(f"Invalid border mode for {owner}: {border_mode!r}. Keras 1 allows ('valid', 'same').")
        if border_mode == "same" and backend == "theano":
            raise ValueError(
                f"{owner}: Theano's 'same' pooling pads and crops by rules of its own (reference B2.4) that "
                f"convlayers does not reproduce; use border_mode='valid' or the TensorFlow backend."
            )
        return Same() if border_mode == "same" else "valid"


class _Pooling1D(_Pooling):
    keras1_arguments = (("pool_length", 2), ("stride", None), ("border_mode", "valid"))
    keras1_config_keys = ("pool_length", "stride", "border_mode")

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        return {
            "pool_size": values["pool_length"],
            "strides": values["stride"],
            "padding": self._padding(values["border_mode"], backend),
        }

    def keras1_values(self) -> Mapping[str, Any]:
        spec = self.spec
        return {"pool_length": spec.pool_size[0], "stride": spec.strides[0], "border_mode": _border_mode(spec.padding)}


class _PoolingND(_Pooling):
    keras1_config_keys = ("pool_size", "border_mode", "strides", "dim_ordering")

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        _, data_format = _ordering(values["dim_ordering"], type(self).__name__)
        return {
            "pool_size": values["pool_size"],
            "strides": values["strides"],
            "padding": self._padding(values["border_mode"], backend),
            "data_format": data_format,
        }

    def keras1_values(self) -> Mapping[str, Any]:
        spec = self.spec
        return {
            "pool_size": spec.pool_size,
            "border_mode": _border_mode(spec.padding),
            "strides": spec.strides,
            "dim_ordering": DIM_ORDERINGS[spec.data_format],
        }


_POOL_2D = (("pool_size", (2, 2)), ("strides", None), ("border_mode", "valid"), ("dim_ordering", "default"))
_POOL_3D = (("pool_size", (2, 2, 2)), ("strides", None), ("border_mode", "valid"), ("dim_ordering", "default"))


class MaxPooling1D(_Pooling1D, core.MaxPooling1D):
    """Keras 1's ``MaxPooling1D(pool_length=2, stride=None, border_mode='valid')``."""


class AveragePooling1D(_Pooling1D, core.AveragePooling1D):
    """Keras 1's ``AveragePooling1D(pool_length=2, stride=None, border_mode='valid')``."""


class MaxPooling2D(_PoolingND, core.MaxPooling2D):
    """Keras 1's ``MaxPooling2D(pool_size=(2, 2), strides=None, border_mode='valid', dim_ordering='default')``."""

    keras1_arguments = _POOL_2D


class AveragePooling2D(_PoolingND, core.AveragePooling2D):
    """Keras 1's ``AveragePooling2D(pool_size=(2, 2), strides=None, border_mode='valid', dim_ordering='default')``."""

    keras1_arguments = _POOL_2D


class MaxPooling3D(_PoolingND, core.MaxPooling3D):
    """Keras 1's ``MaxPooling3D(pool_size=(2, 2, 2), strides=None, border_mode='valid', dim_ordering='default')``."""

    keras1_arguments = _POOL_3D


class AveragePooling3D(_PoolingND, core.AveragePooling3D):
    """Keras 1's ``AveragePooling3D(pool_size=(2, 2, 2), strides=None, border_mode='valid', dim_ordering='default')``."""

    keras1_arguments = _POOL_3D


class _GlobalPooling(Keras1Layer):
    """Keras 1's global pooling; 2-D and 3-D take ``dim_ordering``."""

    keras1_arguments = (("dim_ordering", "default"),)
    keras1_config_keys = ("dim_ordering",)

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        return {"data_format": _ordering(values["dim_ordering"], type(self).__name__)[1]}

    def keras1_values(self) -> Mapping[str, Any]:
        return {"dim_ordering": DIM_ORDERINGS[self.data_format]}  # type: ignore[attr-defined]


class _GlobalPooling1D(_GlobalPooling):
    keras1_arguments = ()
    keras1_config_keys = ()

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        return {}


class GlobalMaxPooling1D(_GlobalPooling1D, core.GlobalMaxPooling1D):
    """Keras 1's ``GlobalMaxPooling1D()``: the maximum over steps."""


class GlobalAveragePooling1D(_GlobalPooling1D, core.GlobalAveragePooling1D):
    """Keras 1's ``GlobalAveragePooling1D()``: the mean over steps."""


class GlobalMaxPooling2D(_GlobalPooling, core.GlobalMaxPooling2D):
    """Keras 1's ``GlobalMaxPooling2D(dim_ordering='default')``."""


class GlobalAveragePooling2D(_GlobalPooling, core.GlobalAveragePooling2D):
    """Keras 1's ``GlobalAveragePooling2D(dim_ordering='default')``."""


class GlobalMaxPooling3D(_GlobalPooling, core.GlobalMaxPooling3D):
    """Keras 1's ``GlobalMaxPooling3D(dim_ordering='default')``."""


class GlobalAveragePooling3D(_GlobalPooling, core.GlobalAveragePooling3D):
    """Keras 1's ``GlobalAveragePooling3D(dim_ordering='default')``."""


class _Reshaping(Keras1Layer):
    """Keras 1's padding, cropping and upsampling layers (2-D and 3-D take ``dim_ordering``)."""

    #: The core argument Keras 1's first argument becomes.
    core_argument: str

    def keras1_values(self) -> Mapping[str, Any]:
        values = {"dim_ordering": DIM_ORDERINGS[self.data_format]}  # type: ignore[attr-defined]
        return values | self.keras1_own()

    def keras1_own(self) -> dict[str, Any]:
        raise NotImplementedError

    def _with_ordering(self, values: dict[str, Any], core_value: Any) -> dict[str, Any]:
        core_values = {self.core_argument: core_value}
        if "dim_ordering" in values:
            core_values["data_format"] = _ordering(values["dim_ordering"], type(self).__name__)[1]
        return core_values


class ZeroPadding1D(_Reshaping, core.ZeroPadding1D):
    """Keras 1's ``ZeroPadding1D(padding=1)``: an int, ``(left, right)``, or a dict of ``left_pad``, ``right_pad``.

    >>> import numpy as np
    >>> ZeroPadding1D({"left_pad": 2})(np.ones((1, 3, 1), "float32")).shape
    (1, 5, 1)
    """

    core_argument = "padding"
    keras1_arguments = (("padding", 1),)
    keras1_config_keys = ("padding",)

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        padding, owner = values["padding"], type(self).__name__
        if isinstance(padding, dict):
            padding = _dict_pads(padding, ("left_pad", "right_pad"), owner)
        elif _int(padding):
            padding = (padding, padding)
        return self._with_ordering(values, _pairs([padding], 1, "padding", owner)[0])

    def keras1_own(self) -> dict[str, Any]:
        return {"padding": list(self.padding[0])}  # type: ignore[attr-defined]


class ZeroPadding2D(_Reshaping, core.ZeroPadding2D):
    """Keras 1's ``ZeroPadding2D(padding=(1, 1), dim_ordering='default')``.

    ``padding``: ``(rows, cols)`` on both sides, ``(top, bottom, left, right)``, or a
    dict of ``top_pad``, ``bottom_pad``, ``left_pad``, ``right_pad`` (missing: 0). An int
    is refused, as Keras 1 refuses it.
    """

    core_argument = "padding"
    keras1_arguments = (("padding", (1, 1)), ("dim_ordering", "default"))
    keras1_config_keys = ("padding", "dim_ordering")

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        padding, owner = values["padding"], type(self).__name__
        if isinstance(padding, dict):
            top, bottom, left, right = _dict_pads(padding, ("top_pad", "bottom_pad", "left_pad", "right_pad"), owner)
        elif isinstance(padding, (tuple, list)) and len(padding) == 4 and all(map(_int, padding)):
            top, bottom, left, right = padding
        elif isinstance(padding, (tuple, list)) and len(padding) == 2 and all(map(_int, padding)):
            (top, bottom), (left, right) = (padding[0],) * 2, (padding[1],) * 2
        else:
            raise TypeError(
                f"{owner}: `padding` must be a tuple of 2 ints (rows, cols), of 4 ints (top, bottom, left, right), "
                f"or a dict of top_pad, bottom_pad, left_pad, right_pad. Received padding={padding!r}."
            )
        return self._with_ordering(values, ((top, bottom), (left, right)))

    def keras1_own(self) -> dict[str, Any]:
        (top, bottom), (left, right) = self.padding  # type: ignore[attr-defined]
        return {"padding": [top, bottom, left, right]}


class ZeroPadding3D(_Reshaping, core.ZeroPadding3D):
    """Keras 1's ``ZeroPadding3D(padding=(1, 1, 1), dim_ordering='default')``: symmetric pads only."""

    core_argument = "padding"
    keras1_arguments = (("padding", (1, 1, 1)), ("dim_ordering", "default"))
    keras1_config_keys = ("padding", "dim_ordering")

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        padding = values["padding"]
        if not (isinstance(padding, (tuple, list)) and len(padding) == 3 and all(map(_int, padding))):
            raise ValueError(f"{type(self).__name__}: `padding` must be 3 ints (symmetric pads). Received padding={padding!r}.")
        return self._with_ordering(values, tuple((p, p) for p in padding))

    def keras1_own(self) -> dict[str, Any]:
        return {"padding": [begin for begin, _ in self.padding]}  # type: ignore[attr-defined]


class _Cropping(_Reshaping):
    core_argument = "cropping"
    keras1_config_keys = ("cropping", "dim_ordering")

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        cropping, rank = values["cropping"], self.rank  # type: ignore[attr-defined]
        pairs = _pairs([cropping] if rank == 1 else cropping, rank, "cropping", type(self).__name__)
        return self._with_ordering(values, pairs[0] if rank == 1 else pairs)

    def keras1_own(self) -> dict[str, Any]:
        pairs = [list(pair) for pair in self.cropping]  # type: ignore[attr-defined]
        return {"cropping": pairs[0] if self.rank == 1 else pairs}  # type: ignore[attr-defined]


class Cropping1D(_Cropping, core.Cropping1D):
    """Keras 1's ``Cropping1D(cropping=(1, 1))``."""

    keras1_arguments = (("cropping", (1, 1)),)
    keras1_config_keys = ("cropping",)


class Cropping2D(_Cropping, core.Cropping2D):
    """Keras 1's ``Cropping2D(cropping=((0, 0), (0, 0)), dim_ordering='default')``: rows first, then columns.

    >>> from convlayers import keras1
    >>> with keras1.backend.settings(image_dim_ordering="th"):
    ...     model = keras1.Sequential([keras1.Cropping2D(cropping=((2, 2), (4, 4)), input_shape=(3, 28, 28))])
    ...     model.output_shape
    (None, 3, 24, 20)
    """

    keras1_arguments = (("cropping", ((0, 0), (0, 0))), ("dim_ordering", "default"))


class Cropping3D(_Cropping, core.Cropping3D):
    """Keras 1's ``Cropping3D(cropping=((1, 1), (1, 1), (1, 1)), dim_ordering='default')``."""

    keras1_arguments = (("cropping", ((1, 1), (1, 1), (1, 1))), ("dim_ordering", "default"))


class UpSampling1D(_Reshaping, core.UpSampling1D):
    """Keras 1's ``UpSampling1D(length=2)``: each step repeated ``length`` times."""

    core_argument = "size"
    keras1_arguments = (("length", 2),)
    keras1_config_keys = ("length",)

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        return {"size": values["length"]}

    def keras1_own(self) -> dict[str, Any]:
        return {"length": self.size[0]}  # type: ignore[attr-defined]


class _UpSampling(_Reshaping):
    core_argument = "size"
    keras1_config_keys = ("size", "dim_ordering")

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        return self._with_ordering(values, values["size"])

    def keras1_own(self) -> dict[str, Any]:
        return {"size": list(self.size)}  # type: ignore[attr-defined]


class UpSampling2D(_UpSampling, core.UpSampling2D):
    """Keras 1's ``UpSampling2D(size=(2, 2), dim_ordering='default')``: rows and columns repeated."""

    keras1_arguments = (("size", (2, 2)), ("dim_ordering", "default"))


class UpSampling3D(_UpSampling, core.UpSampling3D):
    """Keras 1's ``UpSampling3D(size=(2, 2, 2), dim_ordering='default')``."""

    keras1_arguments = (("size", (2, 2, 2)), ("dim_ordering", "default"))


class Flatten(Keras1Layer, core.Flatten):
    """Keras 1's ``Flatten()``: the tensor's own order (``(channels, rows, cols)`` for ``'th'`` inputs)."""

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        return {}

    def keras1_values(self) -> Mapping[str, Any]:
        return {}


class Dense(Keras1Layer, core.Dense):
    """Keras 1's ``Dense(output_dim, init='glorot_uniform', activation=None, ..., input_dim=None)``.

    >>> import numpy as np
    >>> Dense(3, input_dim=4)(np.ones((2, 4), "float32")).shape
    (2, 3)
    """

    keras1_arguments = (("output_dim", REQUIRED), ("init", "glorot_uniform"), ("activation", None), ("weights", None),
                        ("W_regularizer", None), ("b_regularizer", None), ("activity_regularizer", None),
                        ("W_constraint", None), ("b_constraint", None), ("bias", True))
    keras1_config_keys = ("output_dim", "init", "activation", "W_regularizer", "b_regularizer", "activity_regularizer",
                          "W_constraint", "b_constraint", "bias", "input_dim")

    def _extra_kwargs(self) -> tuple[str, ...]:
        return ("input_dim",)

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        core_values = {
            "units": values["output_dim"],
            "activation": options.activation(values["activation"]),
            "use_bias": bool(values["bias"]),
            "kernel_initializer": initializations.get(values["init"]),
            "bias_initializer": "zeros",
            "kernel_regularizer": options.regularizer(values["W_regularizer"]),
            "bias_regularizer": options.regularizer(values["b_regularizer"]),
            "activity_regularizer": options.regularizer(values["activity_regularizer"]),
            "kernel_constraint": options.constraint(values["W_constraint"]),
            "bias_constraint": options.constraint(values["b_constraint"]),
        }
        if values.get("input_dim") is not None:
            core_values["input_dim"] = values["input_dim"]
        return core_values

    def dialect_weight(self, weight: WeightSpec) -> WeightSpec:
        return weight  # Keras 1's (input_dim, output_dim) is the core's layout

    def keras1_values(self) -> Mapping[str, Any]:
        spec = self.spec
        return {
            "output_dim": spec.units,
            "init": initializations.name_of(spec.option("kernel").initializer),
            "activation": activations.serialize(spec.activation),
            "W_regularizer": options.regularizer_config(spec.option("kernel").regularizer),
            "b_regularizer": options.regularizer_config(spec.option("bias").regularizer),
            "activity_regularizer": options.regularizer_config(self.activity_regularizer),
            "W_constraint": options.constraint_config(spec.option("kernel").constraint),
            "b_constraint": options.constraint_config(spec.option("bias").constraint),
            "bias": spec.use_bias,
            "input_dim": self.input_dim if self.built else (self.declared_input_shape or (None,))[-1],
        }


class Reshape(Keras1Layer, core.Reshape):
    """Keras 1's ``Reshape(target_shape)``: each example reshaped (the batch dim kept)."""

    keras1_arguments = (("target_shape", REQUIRED),)
    keras1_config_keys = ("target_shape",)

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        return {"target_shape": values["target_shape"]}

    def keras1_values(self) -> Mapping[str, Any]:
        return {"target_shape": list(self.target_shape)}  # type: ignore[attr-defined]


class BatchNormalization(Keras1Layer, core.BatchNormalization):
    """Keras 1's ``BatchNormalization(epsilon=1e-3, mode=0, axis=-1, momentum=0.99, ...)``, mode 0 (feature-wise).

    Weights ``[gamma, beta, running_mean, running_std]``; Keras 1's ``running_std``
    holds the moving *variance* (Keras 2 renamed it ``moving_variance``). Modes 1
    (per sample) and 2 (batch statistics at test time too) are refused.
    """

    keras1_arguments = (("epsilon", 1e-3), ("mode", 0), ("axis", -1), ("momentum", 0.99), ("weights", None),
                        ("beta_init", "zero"), ("gamma_init", "one"), ("gamma_regularizer", None),
                        ("beta_regularizer", None))
    keras1_config_keys = ("epsilon", "mode", "axis", "gamma_regularizer", "beta_regularizer", "momentum")

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        if values["mode"] != 0:
            raise ValueError(
                f"{type(self).__name__}: only mode=0 (feature-wise, moving statistics at test time) is supported; "
                f"Keras 1's modes 1 and 2 normalize by per-sample or per-batch statistics always. "
                f"Received mode={values['mode']!r}."
            )
        return {
            "axis": values["axis"],
            "momentum": values["momentum"],
            "epsilon": values["epsilon"],
            "beta_initializer": initializations.get(values["beta_init"]),
            "gamma_initializer": initializations.get(values["gamma_init"]),
            "beta_regularizer": options.regularizer(values["beta_regularizer"]),
            "gamma_regularizer": options.regularizer(values["gamma_regularizer"]),
        }

    def keras1_values(self) -> Mapping[str, Any]:
        return {
            "epsilon": self.epsilon,  # type: ignore[attr-defined]
            "mode": 0,
            "axis": self.axis,  # type: ignore[attr-defined]
            "gamma_regularizer": options.regularizer_config(self.gamma_regularizer),  # type: ignore[attr-defined]
            "beta_regularizer": options.regularizer_config(self.beta_regularizer),  # type: ignore[attr-defined]
            "momentum": self.momentum,  # type: ignore[attr-defined]
        }


class Activation(Keras1Layer, core.Activation):
    """Keras 1's ``Activation(activation)`` (``hard_sigmoid`` is Keras 1's ``0.2 x + 0.5``, clipped)."""

    keras1_arguments = (("activation", REQUIRED),)
    keras1_config_keys = ("activation",)

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        return {"activation": options.activation(values["activation"])}

    def keras1_values(self) -> Mapping[str, Any]:
        return {"activation": activations.serialize(self.activation)}


class Dropout(Keras1Layer, core.Dropout):
    """Keras 1's ``Dropout(p)``: drops a fraction ``p`` of the inputs while training."""

    keras1_arguments = (("p", REQUIRED),)
    keras1_config_keys = ("p",)

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        return {"rate": values["p"]}

    def keras1_values(self) -> Mapping[str, Any]:
        return {"p": self.rate}
