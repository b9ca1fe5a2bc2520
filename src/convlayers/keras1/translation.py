"""How a Keras 1 layer class speaks: its signature, names, configs and weight layouts, over a core layer.

A Keras 1 class is a core class (``Conv2D``, ``MaxPooling2D``...) with this mixin
in front. The mixin binds Keras 1's arguments (its own signature, in Keras 1's
order and defaults), the class translates them into the core's keywords
(``translate``) and reads them back from the core's spec for ``get_config``
(``keras1_values``); weights are presented in Keras 1's layouts
(``keras1_layout``), with Theano's kernels reversed. Nothing here computes.
"""

from __future__ import annotations

import inspect
import itertools
from collections import defaultdict
from typing import Any, ClassVar, Mapping

from ..layers.base import dtype_name
from ..layers.spec import WeightSpec
from ..layers.weights import Composed, Flipped, Permuted, Reshaped, WeightLayout
from .backend import check_backend

REQUIRED = inspect.Parameter.empty
#: Keras 1 spells data layouts as ``dim_ordering``.
DATA_FORMATS = {"th": "channels_first", "tf": "channels_last"}
DIM_ORDERINGS = {value: key for key, value in DATA_FORMATS.items()}
#: What Keras 1 layers take besides their own arguments (``input_dtype`` is Keras 1's ``dtype``).
_LAYER_KWARGS = frozenset({"name", "trainable", "input_shape", "batch_input_shape", "input_dtype", "weights"})
_name_counters: defaultdict[str, itertools.count] = defaultdict(lambda: itertools.count(1))


def default_name(cls: type) -> str:
    """Keras 1's default layer name: the lower-cased class name and a counter from 1 (``convolution2d_1``)."""
    prefix = cls.__name__.lower()
    return f"{prefix}_{next(_name_counters[prefix])}"


class _Keras1Signature:
    """``inspect.signature(Convolution2D)`` is Keras 1's; instances keep ``forward``'s."""

    def __get__(self, instance: Any, owner: type) -> inspect.Signature:
        if instance is not None:
            raise AttributeError("__signature__")
        return owner.keras1_signature()


class Keras1Layer:
    """Mixin: a core layer class spoken in Keras 1.

    Subclasses set ``keras1_arguments`` (``(name, default)`` in Keras 1's order),
    ``keras1_config_keys`` (the config's keys after ``name`` and ``trainable``,
    in Keras 1's order) and implement ``translate(values, backend)`` -> core
    keywords and ``keras1_values()`` -> every config value. ``backend``
    (``'tensorflow'`` or ``'theano'``; ``None``: :func:`~.backend.backend`) is beyond
    Keras 1, which took it from ``keras.json``.
    """

    keras1_arguments: ClassVar[tuple[tuple[str, Any], ...]] = ()
    keras1_config_keys: ClassVar[tuple[str, ...]] = ()
    #: What a model entry's ``module`` says, so that ``deserialize_layer`` rebuilds a Keras 1 layer.
    serialized_module: ClassVar[str] = "convlayers.keras1"
    __signature__ = _Keras1Signature()
    backend: str

    @classmethod
    def keras1_signature(cls) -> inspect.Signature:
        parameters = [
            inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default)
            for name, default in cls.keras1_arguments
        ]
        parameters.append(inspect.Parameter("backend", inspect.Parameter.KEYWORD_ONLY, default=None))
        parameters.append(inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD))
        return inspect.Signature(parameters)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        signature = cls.keras1_signature()
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError(f"{cls.__name__}: {error}. Signature: {cls.__name__}{signature}.") from None
        bound.apply_defaults()
        values = dict(bound.arguments)
        extra = values.pop("kwargs")
        backend = check_backend(values.pop("backend"), cls.__name__)
        unknown = sorted(set(extra) - _LAYER_KWARGS - set(self._extra_kwargs()))
        if unknown:
            raise TypeError(
                f"{cls.__name__}: unexpected keyword arguments {unknown}. Keras 1 layers also take "
                f"{', '.join(sorted(_LAYER_KWARGS | set(self._extra_kwargs())))}."
            )
        layer = {key: value for key, value in extra.items() if key in _LAYER_KWARGS}
        layer.setdefault("name", default_name(cls))
        if "input_dtype" in layer:
            layer["dtype"] = layer.pop("input_dtype")
        if "weights" in values:
            layer["weights"] = values.pop("weights")
        core = self.translate(values | {key: extra[key] for key in self._extra_kwargs() if key in extra}, backend)
        super().__init__(**{**layer, **core})  # type: ignore[call-arg]
        self.backend = backend

    def _extra_kwargs(self) -> tuple[str, ...]:
        """Keyword arguments this class takes through ``**kwargs`` in Keras 1 (``input_dim``...)."""
        return ()

    def translate(self, values: dict[str, Any], backend: str) -> dict[str, Any]:
        """The core constructor's keywords for Keras 1's ``values``."""
        raise NotImplementedError

    def keras1_values(self) -> Mapping[str, Any]:
        """Every Keras 1 argument of this layer, read back from the core layer."""
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2.2's config: ``name``, ``trainable``, the declared input, then the layer's arguments.

        ``backend`` is added (beyond Keras 1) when it is Theano, so the config rebuilds the same layer.
        """
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable}  # type: ignore[attr-defined]
        declared = self.declared_input_shape  # type: ignore[attr-defined]
        if declared is not None:
            config["batch_input_shape"] = list(declared)
            config["input_dtype"] = dtype_name(self.dtype)  # type: ignore[attr-defined]
        values = self.keras1_values()
        config.update((key, values[key]) for key in self.keras1_config_keys)
        if self.backend != "tensorflow":
            config["backend"] = self.backend
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        """The layer a Keras 1 config describes."""
        return cls(**config)


def present(weight: WeightSpec, to_core: WeightLayout | None, flip: tuple[int, ...] = ()) -> WeightSpec:
    """``weight`` in a framework's layout: ``to_core`` maps it to the core's (Keras 3) layout; ``flip``
    reverses those axes of the core layout (Theano's true-convolution kernels).

    >>> from convlayers.layers.weights import SpatialFirstKernel
    >>> kernel = WeightSpec("kernel", "kernel", (3, 3, 4, 8), SpatialFirstKernel(2))
    >>> present(kernel, Permuted((2, 3, 1, 0)), flip=(0, 1)).keras_shape  # Keras 1 'th': (out, in, rows, cols)
    (8, 4, 3, 3)
    """
    layout = weight.layout
    if flip:
        layout = Composed(Flipped(flip), layout)
    shape = weight.keras_shape
    if isinstance(to_core, Permuted):
        shape = to_core.framework_shape(shape)
    elif isinstance(to_core, Reshaped):
        shape = to_core.shape
    if to_core is not None:
        layout = Composed(to_core, layout)
    return WeightSpec(weight.role, weight.name, shape, layout)
