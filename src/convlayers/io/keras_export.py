"""A convlayers ``Sequential`` as Keras 3 describes it: the configs that ``.keras`` and ``.h5`` files hold.

Keras 3.15 reads back only what it can express, so a model is first checked against
:data:`KERAS_LIMITS`, one row per argument convlayers takes beyond Keras (a padding
rule, ``groups`` on a transposed convolution...), and refused with a ``ValueError``
naming the layer, the argument and its value rather than written wrong. The configs
are then the layers' own ``get_config()`` (Keras 3's keys and forms already, see
``../shared/reference/keras.md`` §4) plus what Keras 3.15 adds that convlayers has no
use for (:data:`KERAS_ADDED_KEYS`), and the model's compile settings as Keras names.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable, Mapping

from ..layers import (
    Activation,
    BatchNormalization,
    ConvTranspose,
    Dense,
    Dropout,
    GlobalPooling,
    Layer,
    Pooling,
    Reshape,
    SpatialLayer,
    UpSampling,
    serialize_layer,
)
from ..layers.conv import Conv
from ..layers.keras_companions import BUILT_AT_INIT as COMPANIONS_BUILT_AT_INIT, CLASS_NAMES as COMPANION_CLASSES
from ..layers.window import WindowLayer
from ..layers.image_classes import CLASS_NAMES as IMAGE_CLASSES
from ..layers import InputLayer
from ..models import Model, Sequential
from ..models import losses, metrics, optimizers
from ..models.functional import Functional

#: The Keras whose files these configs mirror.
KERAS_VERSION = "3.15.1"

#: The layer classes of Keras 3 that convlayers implements, by their Keras class name.
KERAS_LAYER_CLASSES = frozenset(
    [f"{family}{rank}D" for rank in (1, 2, 3) for family in ("Conv", "Cropping", "ZeroPadding", "UpSampling",
                                                               "MaxPooling", "AveragePooling", "GlobalMaxPooling",
                                                               "GlobalAveragePooling")]
    + [f"Conv{rank}DTranspose" for rank in (1, 2, 3)]
    + ["SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D", "DepthwiseConv2D"]
    + ["BatchNormalization", "Dense", "Dropout", "Activation", "Flatten", "Reshape"]
    + COMPANION_CLASSES
    + ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot"]
    + IMAGE_CLASSES
)

#: Keras 3.15's activation names (``../shared/reference/keras.md`` §3.3); others are convlayers' own.
KERAS_ACTIVATIONS = frozenset(
    "celu elu exponential gelu glu hard_shrink hard_sigmoid hard_silu hard_swish hard_tanh leaky_relu linear "
    "log_sigmoid log_softmax mish relu relu6 selu sigmoid silu soft_shrink softmax softplus softsign sparse_plus "
    "sparse_sigmoid sparsemax squareplus swish tanh tanh_shrink threshold".split()
)

#: UpSampling2D's interpolations in Keras 3 (``gaussian`` and ``mitchellcubic`` are tf.keras 2's).
_KERAS_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area")


@dataclass(frozen=True)
class KerasLimit:
    """One argument whose convlayers values reach beyond Keras 3's.

    Attributes:
        family: the layer classes the row applies to.
        argument: the config key.
        allowed: ``(layer, config) -> bool``, given the layer's ``get_config()``.
        expected: what Keras accepts, for the message.
    """

    family: type[Layer]
    argument: str
    allowed: Callable[[Layer, dict[str, Any]], bool]
    expected: str


def _keras_padding(layer: Layer, config: dict[str, Any]) -> bool:
    modes = ("valid", "same", "causal") if type(layer).__name__ == "Conv1D" else ("valid", "same")
    return config["padding"] in modes


def _no_dilated_strides(layer: Layer, config: dict[str, Any]) -> bool:
    return max(config["strides"]) == 1 or max(config["dilation_rate"]) == 1


def _keras_interpolation(layer: Layer, config: dict[str, Any]) -> bool:
    value = config.get("interpolation", "nearest")
    return value == "nearest" or (layer.rank == 2 and value in _KERAS_INTERPOLATIONS)


#: Every convlayers extension Keras 3 cannot express, as (family, argument, test, what Keras takes).
KERAS_LIMITS: tuple[KerasLimit, ...] = (
    KerasLimit(WindowLayer, "padding", _keras_padding,
               "'valid' or 'same' ('causal' on Conv1D only), not pairs, ints, 'full' or padding rules"),
    # Keras 3's Conv and ConvTranspose refuse the pair; its depthwise and separable layers take it.
    KerasLimit(Conv, "strides", _no_dilated_strides, "strides of 1 wherever dilation_rate > 1"),
    KerasLimit(ConvTranspose, "strides", _no_dilated_strides, "strides of 1 wherever dilation_rate > 1"),
    # convlayers writes a pooling's `dilation_rate` only where a window is dilated.
    KerasLimit(Pooling, "dilation_rate", lambda layer, config: "dilation_rate" not in config, "no `dilation_rate` (undilated windows)"),
    # convlayers writes `groups` on a transposed convolution only when it is not 1.
    KerasLimit(ConvTranspose, "groups", lambda layer, config: "groups" not in config, "no `groups` (always 1)"),
    KerasLimit(UpSampling, "interpolation", _keras_interpolation,
               f"one of {list(_KERAS_INTERPOLATIONS)} on UpSampling2D, 'nearest' on UpSampling1D and 3D"),
    KerasLimit(Layer, "activation", lambda layer, config: config.get("activation", "linear") in KERAS_ACTIVATIONS,
               "one of its activation names (a custom activation does not load in Keras)"),
)

#: Keys Keras 3.15 writes that convlayers' configs leave out, with the value that means "not used".
KERAS_ADDED_KEYS: Mapping[type[Layer], Mapping[str, Any]] = MappingProxyType(
    {
        Dense: {"quantization_config": None},
        BatchNormalization: {"renorm": False, "renorm_clipping": None, "renorm_momentum": 0.99},
    }
)

#: Keras 3 builds these at construction (they have no ``build``), so it writes no ``build_config`` for them.
_BUILT_AT_INIT = (Activation, Dropout, Pooling, GlobalPooling, Reshape) + COMPANIONS_BUILT_AT_INIT

def check_keras_model(model: Any) -> Sequential | Functional:
    """``model`` if Keras 3 can express it, else a ``TypeError``/``ValueError`` saying what it cannot.

    Sequential and functional models, models nested in them included; every layer is checked.

    >>> import convlayers
    >>> model = convlayers.Sequential([convlayers.Input((8, 8, 1)), convlayers.Conv2D(2, 3, padding="causal", name="c")])
    >>> check_keras_model(model)
    Traceback (most recent call last):
    ...
    ValueError: Keras cannot express layer 'c' (Conv2D): padding='causal'; Keras 3 takes 'valid' or 'same' ('causal' on Conv1D only), not pairs, ints, 'full' or padding rules. Save as .safetensors to keep it.
    """
    if not isinstance(model, (Sequential, Functional)):
        raise TypeError(
            f"Keras model files hold models: pass a convlayers Sequential or functional Model (a single layer can be "
            f"wrapped in one), or save as .safetensors. Received {type(model).__name__}."
        )
    for layer in model.layers:
        if isinstance(layer, Model):
            check_keras_model(layer)
        elif not isinstance(layer, InputLayer):
            _check_layer(layer)
    return model


def _check_layer(layer: Layer) -> None:
    owner = f"layer {layer.name!r} ({type(layer).__name__})"
    if getattr(type(layer), "serialized_module", "keras.layers") != "keras.layers":  # a dialect's layer
        raise ValueError(
            f"Keras cannot express {owner}: it speaks {type(layer).serialized_module}, whose arguments and weight "
            f"layouts Keras 3 files do not hold. Save as .safetensors to keep it."
        )
    # A user's own class is written as Keras writes a custom layer (Keras loads it once the class is registered there).
    if type(layer).__name__ not in KERAS_LAYER_CLASSES and type(layer).__module__.split(".")[0] == "convlayers":
        raise ValueError(
            f"Keras cannot express {owner}: Keras 3 has no {type(layer).__name__} layer. Save as .safetensors to keep it."
        )
    config = layer.get_config()
    for limit in KERAS_LIMITS:
        if isinstance(layer, limit.family) and not limit.allowed(layer, config):
            raise ValueError(
                f"Keras cannot express {owner}: {limit.argument}={config.get(limit.argument)!r}; Keras 3 takes "
                f"{limit.expected}. Save as .safetensors to keep it."
            )
    shape = layer.build_input_shape
    if isinstance(layer, SpatialLayer) and shape is not None and len(shape) != layer.rank + 2:
        raise ValueError(
            f"Keras cannot express {owner}: its input {tuple(shape)} has extra leading batch dims, which Keras 3 "
            f"layers do not take (inputs of rank {layer.rank + 2}). Save as .safetensors to keep it."
        )


def keras_layer_entry(layer: Layer, *, legacy: bool = False) -> dict[str, Any]:
    """A layer's entry in a Keras 3 model config; ``legacy``: the ``{"class_name", "config"}`` of an ``.h5`` file.

    >>> import convlayers
    >>> entry = keras_layer_entry(convlayers.Dense(2, name="d"))
    >>> entry["config"]["quantization_config"], keras_layer_entry(convlayers.Dense(2), legacy=True).keys()
    (None, dict_keys(['class_name', 'config']))
    """
    entry = serialize_layer(layer)
    for family, added in KERAS_ADDED_KEYS.items():
        if isinstance(layer, family):
            entry["config"].update(added)
    if legacy:
        # Keras's legacy format names a custom class by its registered name ("package>Name").
        return {"class_name": entry["registered_name"] or entry["class_name"], "config": entry["config"]}
    if entry["build_config"] is None or isinstance(layer, _BUILT_AT_INIT):
        del entry["build_config"]
    return entry


def _input_entry(input_layer: InputLayer, *, legacy: bool) -> dict[str, Any]:
    """Keras 3.15's InputLayer entry: its six config keys in Keras's order, and no build config."""
    own = input_layer.get_config()
    config = {"batch_shape": own["batch_shape"], "dtype": own["dtype"], "sparse": own["sparse"], "ragged": False,
              "name": own["name"], "optional": False}
    if legacy:
        return {"class_name": "InputLayer", "config": config}
    return {"module": "keras.layers", "class_name": "InputLayer", "config": config, "registered_name": None}


def sequential_config(model: Sequential, *, legacy: bool = False) -> dict[str, Any]:
    """The ``config`` of Keras 3's Sequential: name, trainable, dtype, layers (InputLayer first), build_input_shape."""
    config = model.get_config()
    config["layers"] = [_input_entry(model.input_layer, legacy=legacy)] + [
        _model_entry(layer, legacy=legacy) for layer in model.layers  # a nested model as Keras writes it
    ]
    return config


def functional_keras_config(model: Functional, *, legacy: bool = False) -> dict[str, Any]:
    """The ``config`` of Keras 3's Functional: name, trainable, layers (with their inbound nodes), input and output layers.

    The graph is the model's own :meth:`~convlayers.models.Model.get_config` (Keras 3's
    format); each layer's entry is made as Keras writes it, a nested model's recursively.
    """
    config = model.get_config()
    config["layers"] = [
        {**_model_entry(layer, legacy=legacy), "name": entry["name"], "inbound_nodes": entry["inbound_nodes"]}
        for layer, entry in zip(model.layers, config["layers"])
    ]
    return config


def _model_entry(layer: Any, *, legacy: bool) -> dict[str, Any]:
    """A model's entry for one of its layers: an input, a layer, or a nested model as Keras writes it."""
    if isinstance(layer, InputLayer):
        return _input_entry(layer, legacy=legacy)
    if not isinstance(layer, (Sequential, Functional)):
        return keras_layer_entry(layer, legacy=legacy)
    if isinstance(layer, Sequential):
        entry = {"module": "keras", "class_name": "Sequential", "config": sequential_config(layer, legacy=legacy),
                 "registered_name": None, "build_config": {"input_shape": layer.input_shape}}
    else:
        entry = {"module": "keras.src.models.functional", "class_name": "Functional",
                 "config": functional_keras_config(layer, legacy=legacy), "registered_name": "Functional",
                 "build_config": {"input_shape": None}}
    if legacy:
        # Keras's legacy format names a custom class by its registered name ("package>Name").
        return {"class_name": entry["registered_name"] or entry["class_name"], "config": entry["config"]}
    return {**entry, "compile_config": {}}


def keras_model_config(model: Sequential | Functional) -> dict[str, Any]:
    """The ``config.json`` of a ``.keras`` file, as Keras 3.15 writes it for this model.

    >>> import convlayers
    >>> model = convlayers.Sequential([convlayers.Input((3,)), convlayers.Dense(2)], name="tiny")
    >>> config = keras_model_config(model)
    >>> list(config), [entry["class_name"] for entry in config["config"]["layers"]], config["compile_config"]
    (['module', 'class_name', 'config', 'registered_name', 'build_config', 'compile_config'], ['InputLayer', 'Dense'], {})
    """
    check_keras_model(model)
    compile_config = keras_compile_config(model) if model.compiled else {}
    if isinstance(model, Functional):
        return _plain(
            {
                "module": "keras.src.models.functional",
                "class_name": "Functional",
                "config": functional_keras_config(model),
                "registered_name": "Functional",
                "build_config": {"input_shape": None},  # Keras rebuilds a functional model from its graph
                "compile_config": compile_config,
            }
        )
    return _plain(
        {
            "module": "keras",
            "class_name": "Sequential",
            "config": sequential_config(model),
            "registered_name": None,
            "build_config": {"input_shape": model.input_shape},
            "compile_config": compile_config,
        }
    )


def legacy_model_config(model: Sequential | Functional) -> dict[str, Any]:
    """The ``model_config`` attribute of a legacy ``.h5`` file, as Keras 3.15's ``model.save("x.h5")`` writes it."""
    check_keras_model(model)
    if isinstance(model, Functional):
        return _plain({"class_name": "Functional", "config": functional_keras_config(model, legacy=True)})
    return _plain({"class_name": "Sequential", "config": sequential_config(model, legacy=True)})


def keras_compile_config(model: Sequential) -> dict[str, Any]:
    """A compiled model's Keras 3 ``compile_config``: optimizer, loss and metrics as Keras serializes them.

    Raises ``ValueError`` for what Keras cannot name: a torch optimizer or loss, a callable.

    >>> import convlayers
    >>> model = convlayers.Sequential([convlayers.Input((3,)), convlayers.Dense(2)])
    >>> model.compile("adam", "mse", metrics=["mae"])
    >>> config = keras_compile_config(model)
    >>> config["optimizer"]["class_name"], config["optimizer"]["config"]["learning_rate"], config["loss"], config["metrics"]
    ('Adam', 0.001, 'mse', ['mae'])
    """
    arguments = model.compile_arguments
    spec = arguments["optimizer"]
    owner = f"{type(model).__name__} {model.name!r}"
    if not isinstance(spec, optimizers.Optimizer):
        raise ValueError(
            f"Keras cannot express {owner}'s optimizer {getattr(spec, 'optimizer', spec)!r}: a Keras file names a "
            f"Keras optimizer ({', '.join(cls.__name__ for cls in optimizers.IMPLEMENTED)}). Compile with one of those, or save as .safetensors."
        )
    return {
        "optimizer": optimizers.serialize(spec),  # Keras's full config, defaults filled in
        "loss": _keras_loss(arguments["loss"], owner),
        "loss_weights": arguments["loss_weights"],
        "metrics": _keras_metrics(arguments["metrics"], owner),
        "weighted_metrics": _keras_metrics(arguments["weighted_metrics"], owner),
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": False,
    }


def legacy_training_config(model: Sequential) -> dict[str, Any]:
    """The ``training_config`` attribute of a legacy ``.h5`` file: the compile config, the optimizer apart."""
    config = keras_compile_config(model)
    optimizer = config.pop("optimizer")
    config["optimizer_config"] = {"class_name": optimizer["class_name"], "config": optimizer["config"]}
    return _plain(config)


def _keras_loss(loss: Any, owner: str) -> Any:
    if isinstance(loss, dict):
        return {key: _keras_loss(value, owner) for key, value in loss.items()}
    if isinstance(loss, (list, tuple)):
        return [_keras_loss(value, owner) for value in loss]
    try:
        return None if loss is None else losses.serialize(loss)  # a name compile() accepted, or a Keras class
    except ValueError:
        raise ValueError(
            f"Keras cannot express {owner}'s loss {loss!r}: a Keras file names a Keras loss (a name such as 'mse', or "
            f"a convlayers.models.losses class). Compile with one of those, or save as .safetensors."
        ) from None


def _keras_metrics(spec: Any, owner: str) -> Any:
    """``metrics``/``weighted_metrics`` as Keras writes them: ``None`` when empty, else names and serialized metrics."""
    if not spec:
        return None
    if isinstance(spec, dict):
        return {key: _keras_metrics(value, owner) for key, value in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_keras_metrics(value, owner) if isinstance(value, (list, tuple, dict)) else _keras_metric(value, owner)
                for value in spec]
    return _keras_metric(spec, owner)


def _keras_metric(metric: Any, owner: str) -> Any:
    try:
        return metrics.serialize(metric)
    except ValueError:
        raise ValueError(
            f"Keras cannot express {owner}'s metric {metric!r}: a Keras file names metrics by Keras names "
            f"('accuracy', 'mae'...) or metric classes. Compile with those, or save as .safetensors."
        ) from None


def _plain(value: Any) -> Any:
    """``value`` as JSON has it (tuples become lists), so what is written is what a reader gets."""
    return json.loads(json.dumps(value))

