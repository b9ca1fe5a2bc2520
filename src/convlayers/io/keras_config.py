"""A Keras Sequential config (Keras 3 or tf.keras 2) as a convlayers ``Sequential``.

Configs that tf.keras 2 writes carry keys that Keras 3, and so convlayers, does not
take (``../shared/reference/keras.md`` §4.1): they are translated by one declarative
table, :data:`KERAS_CONFIG_RULES`, so every quirk lives in one place. The other
tf.keras 2 forms (a dtype as a string or a policy dict, BatchNormalization's
``axis`` as a one-element list, ``batch_input_shape`` on a first layer, a
Conv3DTranspose config without ``dilation_rate``) are Keras's own accepted forms,
which the layers themselves take.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from ..layers import (
    BatchNormalization,
    ConvTranspose,
    Dense,
    DepthwiseConv,
    InputLayer,
    Layer,
    LeakyReLU,
    SeparableConv,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
    deserialize_layer,
    get_layer_class,
)
from ..layers.registry import lookup_name
from ..models import Sequential
from ..models.functional import functional_from_config
from ..models.functional_config import FUNCTIONAL_CLASSES
from .architecture import check_entry, check_shape, short


@dataclass(frozen=True)
class KeyRule:
    """How one layer family's saved config keys become constructor arguments.

    Args:
        rename: old key -> new key.
        drop: keys the writer saves but that have no effect (tf.keras 2 writes them, never reads them).
        inert: key -> the one value convlayers takes for it; the key is dropped when it
            holds that value and the file is refused when it holds any other.
    """

    rename: Mapping[str, str] = field(default_factory=dict)
    drop: frozenset[str] = frozenset()
    inert: Mapping[str, Any] = field(default_factory=dict)


#: Per layer family (every rank and alias of it): the keys a Keras file's config needs translated.
KERAS_CONFIG_RULES: Mapping[type[Layer], KeyRule] = MappingProxyType(
    {
        # tf.keras 2 spells the full input shape `batch_input_shape`; Keras 3 adds flags for
        # ragged and optional inputs, which a dense, required input leaves false.
        InputLayer: KeyRule(rename={"batch_input_shape": "batch_shape"}, inert={"ragged": False, "optional": False}),
        # tf.keras 2 saves its base Conv's `groups` (and, for separable, `kernel_*`), which these
        # layers never use: Keras 3 rejects them.
        DepthwiseConv: KeyRule(drop=frozenset({"groups"})),
        SeparableConv: KeyRule(
            drop=frozenset({"groups", "kernel_initializer", "kernel_regularizer", "kernel_constraint"})
        ),
        ConvTranspose: KeyRule(drop=frozenset({"groups"})),
        # Keras 3.13+ saves Dense's quantization settings; None means a plain float layer.
        Dense: KeyRule(inert={"quantization_config": None}),
        # Keras 3.15 saves batch renormalization's settings; without renorm the other two do nothing.
        BatchNormalization: KeyRule(drop=frozenset({"renorm_clipping", "renorm_momentum"}), inert={"renorm": False}),
        # tf.keras 2's SpatialDropout layers save their Dropout base's config: `noise_shape` there is
        # always None (the layer sets its own), and `trainable`, meaningless on a layer without weights;
        # Keras 3 takes neither.
        **{
            cls: KeyRule(drop=frozenset({"trainable"}), inert={"noise_shape": None})
            for cls in (SpatialDropout1D, SpatialDropout2D, SpatialDropout3D)
        },
        # tf.keras 2 names LeakyReLU's slope `alpha` (Keras 3 takes it with a deprecation warning).
        LeakyReLU: KeyRule(rename={"alpha": "negative_slope"}),
    }
)


def translate_layer_config(class_name: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """The constructor arguments for a Keras layer config, by :data:`KERAS_CONFIG_RULES`.

    >>> translate_layer_config("SeparableConv2D", {"filters": 4, "kernel_size": [3, 3], "groups": 1,
    ...                                            "kernel_initializer": None})
    {'filters': 4, 'kernel_size': [3, 3]}
    >>> translate_layer_config("InputLayer", {"batch_input_shape": [None, 8], "ragged": True})
    Traceback (most recent call last):
    ...
    ValueError: convlayers takes `ragged` only as False on InputLayer. Received: ragged=True.
    """
    cls = get_layer_class(class_name)
    translated = dict(config)
    for family, rule in KERAS_CONFIG_RULES.items():
        if not issubclass(cls, family):
            continue
        for key, value in rule.inert.items():
            if key in translated and translated.pop(key) != value:
                raise ValueError(
                    f"convlayers takes `{key}` only as {value!r} on {class_name}. Received: {key}={config[key]!r}."
                )
        for key in rule.drop:
            translated.pop(key, None)
        for old, new in rule.rename.items():
            if old in translated:
                if new in translated:
                    raise ValueError(f"the {class_name} config has both `{old}` and `{new}`; expected one of them.")
                translated[new] = translated.pop(old)
    return translated


def sequential_from_keras_config(model_config: Any) -> tuple[Sequential, list[str]]:
    """A built ``Sequential`` from a Keras model config, and the Keras class name of each layer.

    ``model_config`` is the parsed ``config.json`` of a ``.keras`` file or the
    ``model_config`` attribute of an ``.h5`` file. The class names (``InputLayer``
    excluded, in ``model.layers`` order) are what Keras named the layers' weight
    groups after. Raises ``ValueError`` naming the class for a non-Sequential model
    or a layer class convlayers does not implement, and when the config does not
    give the input shape (without which the weights have no shapes).

    >>> model, classes = sequential_from_keras_config({"class_name": "Sequential", "config": {"layers": [
    ...     {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3]}},
    ...     {"class_name": "Dense", "config": {"units": 2, "name": "out"}}]}})
    >>> model.output_shape, classes
    ((None, 2), ['Dense'])
    """
    if isinstance(model_config, dict) and model_config.get("class_name") not in (None, "Sequential"):
        raise ValueError(
            f"the model's class is {model_config['class_name']!r}; only Sequential models (a plain stack of layers) "
            f"can be rebuilt, not Functional or subclassed models."
        )
    translated = translate_model_config(model_config)
    model = _sequential(translated)
    entries = translated["config"]["layers"]
    return model, [entry["class_name"] for entry in entries if entry["class_name"] != "InputLayer"]


def model_from_keras_config(model_config: Any) -> Any:
    """A built convlayers model from a Keras model config: a ``.keras`` file's ``config.json`` or an ``.h5``'s ``model_config``.

    Sequential, Functional (Keras 3's and tf.keras 2's inbound-node formats) and models
    nested in either. Every layer config is translated by :data:`KERAS_CONFIG_RULES`
    first (:func:`translate_model_config`). A Sequential comes back as a ``Sequential``,
    holding its nested models as Keras's does.
    Raises ``ValueError`` naming the layer and class for what convlayers cannot rebuild,
    and when a Sequential's config does not give its input shape.

    >>> model = model_from_keras_config({"class_name": "Functional", "config": {
    ...     "name": "m", "input_layers": [["x", 0, 0]], "output_layers": [["out", 0, 0]], "layers": [
    ...     {"class_name": "InputLayer", "name": "x", "config": {"batch_shape": [None, 3], "name": "x"},
    ...      "inbound_nodes": []},
    ...     {"class_name": "Dense", "name": "out", "config": {"units": 2, "name": "out"},
    ...      "inbound_nodes": [[["x", 0, 0, {}]]]}]}})
    >>> type(model).__name__, model.output_shape
    ('Functional', (None, 2))
    """
    if not isinstance(model_config, dict) or not isinstance(model_config.get("class_name"), str):
        raise ValueError(f"the model config is not a dict with a `class_name`. Received: {short(model_config)}.")
    if model_config["class_name"] not in KERAS_MODEL_CLASSES:
        raise ValueError(
            f"the model's class is {model_config['class_name']!r}; Sequential and Functional models can be rebuilt, "
            f"not subclassed models (their call is Python code the file does not hold)."
        )
    return _model_from_entry(translate_model_config(model_config))


def _model_from_entry(entry: dict[str, Any]) -> Any:
    """A layer, or a model from its (already translated) entry, nested models built the same way."""
    class_name, config = entry["class_name"], entry.get("config")
    if class_name in FUNCTIONAL_CLASSES:
        return functional_from_config(config, layer_factory=_model_from_entry)
    if class_name == "Sequential":
        return _sequential(entry)
    return deserialize_layer(entry)


def _sequential(entry: dict[str, Any]) -> Sequential:
    config = entry["config"]
    config = {"layers": config} if isinstance(config, list) else config
    model = Sequential.from_config(
        {
            "name": config.get("name"),
            "trainable": config.get("trainable", True),
            "dtype": config.get("dtype"),
            # A layer's entry without Keras's bookkeeping (the model builds it from its input shape);
            # a nested model's whole, for its own input shape.
            "layers": [
                item if item["class_name"] in KERAS_MODEL_CLASSES else {"class_name": item["class_name"], "registered_name": item.get("registered_name"), "config": item.get("config") or {}}
                for item in config["layers"]
            ],
            "build_input_shape": _input_shape(entry, config),
        },
        layer_factory=_model_from_entry,
    )
    if not model.built:
        raise ValueError(
            "the config does not record the model's input shape (no InputLayer, `batch_input_shape` or "
            "`build_input_shape`), so its weights have no shapes to load into."
        )
    return model


#: Keras's model classes: an entry of one of these inside a model's ``layers`` is a nested model.
KERAS_MODEL_CLASSES = frozenset({"Sequential", "Functional", "Model"})


def translate_model_config(model_config: Any, where: str | None = None) -> dict[str, Any]:
    """A Keras model config with every layer config translated by :data:`KERAS_CONFIG_RULES`.

    Works through nested models (a ``Sequential`` or ``Functional`` among the layers) and
    leaves everything but the layers' ``config`` dicts as the file has it (a Functional
    model's ``inbound_nodes``, ``input_layers``...). Raises ``ValueError`` saying where, for
    a class convlayers does not rebuild: a ``Lambda`` (Python code), a custom class
    registered in Keras, or a Keras layer convlayers lacks (:func:`unknown_class_reason`).

    >>> translated = translate_model_config({"class_name": "Sequential", "config": {"layers": [
    ...     {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3]}},
    ...     {"class_name": "Sequential", "config": {"name": "inner", "layers": [
    ...         {"class_name": "DepthwiseConv1D", "config": {"kernel_size": 3, "groups": 1}}]}}]}})
    >>> translated["config"]["layers"][1]["config"]["layers"][0]["config"]
    {'kernel_size': 3}
    >>> translate_model_config({"class_name": "Functional", "config": {"layers": [
    ...     {"class_name": "Lambda", "name": "double", "config": {"function": "..."}}]}})
    Traceback (most recent call last):
    ...
    ValueError: layer 0 'double' (Lambda): a Lambda layer holds Python code (a marshalled function), \
which convlayers never runs from a model file; rebuild that step in code (or register a layer class that does it).
    """
    if not isinstance(model_config, dict) or not isinstance(model_config.get("class_name"), str):
        raise ValueError(f"the model config is not a dict with a `class_name`. Received: {short(model_config)}.")
    config = model_config.get("config")
    # Keras 1 and early Keras 2 stored a Sequential config as the bare list of layers.
    config = {"layers": config} if isinstance(config, list) else config
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError(
            f"the {model_config['class_name']} config{f' of {where}' if where else ''} has no `layers` list. "
            f"Received: {short(config)}."
        )
    if config.get("name") is not None and not isinstance(config["name"], str):
        raise ValueError(f"the {model_config['class_name']} config's `name` must be a string. Received: {short(config['name'])}.")
    layers = [_translated_entry(index, entry, where) for index, entry in enumerate(config["layers"])]
    return {**model_config, "config": {**config, "layers": layers}}


def unknown_class_reason(class_name: str, entry: Mapping[str, Any]) -> str | None:
    """Why convlayers cannot rebuild a layer entry of class ``class_name``, or ``None`` when it can.

    >>> unknown_class_reason("Conv2D", {})
    >>> unknown_class_reason("MyBlock", {"module": "my_package.blocks", "registered_name": "my_package>MyBlock"})[:48]
    'a custom class registered in Keras (my_package>M'
    >>> unknown_class_reason("LSTM", {"module": "keras.layers"})
    "convlayers has no layer class 'LSTM' (a Keras layer it does not implement; a layer of your own can be \
added with convlayers.layers.register_layer_class)"
    """
    if class_name == "Lambda":
        return (
            "a Lambda layer holds Python code (a marshalled function), which convlayers never runs from a model "
            "file; rebuild that step in code (or register a layer class that does it)"
        )
    try:
        get_layer_class(lookup_name(class_name, entry.get("registered_name")))
        return None
    except ValueError:
        pass
    module, registered = entry.get("module"), entry.get("registered_name")
    if registered or (isinstance(module, str) and module.split(".")[0] not in ("keras", "tf_keras", "tensorflow")):
        return (
            f"a custom class registered in Keras ({registered or f'{module}.{class_name}'}), whose code the file "
            f"does not hold; convlayers rebuilds it once a layer class of that name is registered with "
            f"convlayers.layers.register_layer_class"
        )
    return (
        f"convlayers has no layer class {class_name!r} (a Keras layer it does not implement; a layer of your own "
        f"can be added with convlayers.layers.register_layer_class)"
    )


def _translated_entry(index: int, entry: Any, model: str | None) -> dict[str, Any]:
    """One layer entry translated; ``model`` names the nested model holding it (``None``: the file's model)."""
    owner = f" of {model}" if model else ""
    check_entry(entry, f"layer {index}{owner or ' of the config'}")
    class_name, config = entry["class_name"], entry.get("config") or {}
    name = config.get("name", entry.get("name"))
    where = f"layer {index} {name if isinstance(name, str) else ''!r} ({class_name}){owner}".replace(" ''", "")
    if class_name in KERAS_MODEL_CLASSES:
        return translate_model_config(entry, where)
    reason = unknown_class_reason(class_name, entry)
    if reason is not None:
        raise ValueError(f"{where}: {reason}.")
    if class_name == "TimeDistributed" and isinstance(config.get("layer"), dict):
        # A wrapper's inner layer is an entry of its own: translated (or refused) as one.
        config = {**config, "layer": _translated_entry(0, config["layer"], where)}
    try:
        return {**entry, "config": translate_layer_config(lookup_name(class_name, entry.get("registered_name")), config)}
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def _input_shape(model_config: dict[str, Any], config: dict[str, Any]) -> Any:
    """Where Keras 3 and tf.keras ``.keras`` files record a Sequential's input shape without an InputLayer."""
    first_layer = config["layers"][0] if config["layers"] else {}
    build_config = model_config.get("build_config")
    if build_config is not None and not isinstance(build_config, dict):
        raise ValueError(f"the model's `build_config` must be a dict. Received: {short(build_config)}.")
    candidates = {
        "the Sequential's `build_input_shape`": config.get("build_input_shape"),
        "the model's `build_config.input_shape`": (build_config or {}).get("input_shape"),
        "the first layer's `build_config.input_shape`": (first_layer.get("build_config") or {}).get("input_shape"),
    }
    for where, shape in candidates.items():
        check_shape(shape, where)
    return next((shape for shape in candidates.values() if shape is not None), None)
