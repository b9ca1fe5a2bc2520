"""A Keras file's compile settings as a convlayers ``model.compile(...)``, as Keras's ``load_model(compile=True)``.

Keras 3 ``.keras`` files hold them as ``compile_config`` in ``config.json`` (the optimizer
as Keras's serialized dict); legacy ``.h5`` files as the ``training_config`` attribute
(the optimizer apart, as ``optimizer_config``), in the forms Keras 3, tf.keras 2 and
Keras 1 wrote. The optimizer, loss, ``loss_weights``, ``metrics`` and
``weighted_metrics`` are rebuilt (by :func:`~convlayers.models.optimizers.deserialize`,
:func:`~convlayers.models.losses.deserialize` and
:func:`~convlayers.models.metrics.deserialize`); ``run_eagerly``, ``steps_per_execution``
and ``jit_compile`` are Keras's execution choices, with no meaning over torch. As Keras's
legacy loader does, an ``.h5`` file's metric names log as the functions they name
(``"mae"`` as ``mean_absolute_error``), ``"accuracy"`` and ``"acc"`` apart. The
optimizer's **state** (the slot variables a file may hold) is not restored: training goes
on from a fresh optimizer with the file's settings.

What convlayers cannot rebuild (an unknown optimizer, loss or metric, an argument it
does not take) leaves the model uncompiled, with a warning saying what and why.
"""

from __future__ import annotations

import warnings
from types import MappingProxyType
from typing import Any, Callable, Mapping

from ..models import losses, metrics, optimizers

#: Optimizer config keys of Keras 1 and tf.keras 2, by what Keras 3 calls them (``None``: dropped when harmless).
LEGACY_OPTIMIZER_KEYS: Mapping[str, str | None] = MappingProxyType(
    {
        "lr": "learning_rate",  # Keras 1 and tf.keras 2's legacy optimizers
        "is_legacy_optimizer": None,  # tf.keras 2.11+: which optimizer family wrote it
        "jit_compile": None,  # tf.keras 2.11+: XLA, no meaning over torch
    }
)


def keras_compile_arguments(config: Mapping[str, Any]) -> dict[str, Any]:
    """The ``model.compile`` arguments a ``compile_config`` or a ``training_config`` describes.

    Raises ``ValueError``/``TypeError``/``NotImplementedError`` naming what cannot be rebuilt.

    >>> arguments = keras_compile_arguments({"optimizer": {"class_name": "SGD", "config": {"learning_rate": 0.1}},
    ...                                      "loss": "mse", "loss_weights": 2, "metrics": ["mae"]})
    >>> arguments["optimizer"], arguments["loss"], arguments["loss_weights"], arguments["metrics"]
    (SGD(learning_rate=0.1, momentum=0.0, nesterov=False), 'mse', 2.0, ['mae'])
    >>> keras_compile_arguments({"optimizer_config": {"class_name": "SGD", "config": {"lr": 0.1, "decay": 0.0}},
    ...                          "loss": "mse", "metrics": ["acc", "mae"], "loss_weights": None})["metrics"]  # an .h5 file's
    ['acc', 'mean_absolute_error']
    """
    optimizer = config.get("optimizer", config.get("optimizer_config"))
    if optimizer is None:
        raise ValueError("it names no optimizer (no `optimizer` or `optimizer_config`).")
    # A legacy training_config (told by its `optimizer_config`): Keras turns its metric names into
    # the functions they name, which log under the functions' names ("mae" logs as mean_absolute_error).
    metric = _legacy_metric if "optimizer_config" in config else metrics.deserialize
    return {
        "optimizer": _optimizer(optimizer),
        "loss": _nested(losses.deserialize, config.get("loss")),
        "loss_weights": _floats(config.get("loss_weights")),
        "metrics": _nested(metric, config.get("metrics")),
        "weighted_metrics": _nested(metric, config.get("weighted_metrics")),
    }


def compile_from_keras(model: Any, config: Any, where: str) -> bool:
    """Compile ``model`` as ``config`` says; if convlayers cannot, warn (naming ``where`` and why) and leave it uncompiled.

    An empty or missing config (an uncompiled Keras model) compiles nothing, silently.
    Returns whether the model was compiled.

    >>> import convlayers
    >>> model = convlayers.Sequential([convlayers.Input((2,)), convlayers.Dense(1)])
    >>> compile_from_keras(model, {"optimizer": "adam", "loss": "mse"}, "m.keras"), model.compiled
    (True, True)
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     compile_from_keras(convlayers.Sequential([convlayers.Input((2,))]), {"optimizer": "adam", "loss": "focal"}, "m.keras")
    False
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    m.keras: the model was loaded uncompiled, as convlayers cannot rebuild its compile settings: Unknown loss 'focal'... Call model.compile(...) to train it.
    """
    if not config:
        return False
    try:
        if not isinstance(config, Mapping):
            raise ValueError(f"it is not a dict. Received: {config!r}.")
        model.compile(**keras_compile_arguments(config))
    except (ValueError, TypeError, NotImplementedError) as error:
        warnings.warn(
            f"{where}: the model was loaded uncompiled, as convlayers cannot rebuild its compile settings: {error} "
            f"Call model.compile(...) to train it.",
            stacklevel=3,
        )
        return False
    return True


def _optimizer(config: Any) -> optimizers.Optimizer:
    """A Keras optimizer from its serialized form, Keras 1 and tf.keras 2 keys translated."""
    if isinstance(config, str):
        return optimizers.deserialize({"class_name": config, "config": {}})
    if not isinstance(config, Mapping) or not isinstance(config.get("config", {}), Mapping):
        raise ValueError(f"its optimizer is not a serialized Keras optimizer. Received: {config!r}.")
    arguments = {}
    for key, value in (config.get("config") or {}).items():
        if key == "decay" and not value:
            continue  # Keras 1 and tf.keras 2 wrote decay=0.0: no decay, which is Keras 3's only kind
        renamed = LEGACY_OPTIMIZER_KEYS.get(key, key)
        if renamed is not None:
            arguments[renamed] = value
    optimizer = optimizers.deserialize({**config, "config": arguments})
    if not isinstance(optimizer, optimizers.Optimizer):
        raise ValueError(f"its optimizer {config.get('class_name')!r} is not a Keras optimizer.")
    return optimizer


def _legacy_metric(config: Any) -> Any:
    """A metric of a legacy ``training_config``: a name other than Keras's shape-dependent ones by its function's name."""
    metric = metrics.deserialize(config)
    if isinstance(metric, str) and metric not in _SHAPE_DEPENDENT:
        return losses.ALIASES.get(metric, metric)
    return metric


#: Metric names Keras's legacy loader keeps as names: their kind depends on the data's shapes.
_SHAPE_DEPENDENT = ("accuracy", "acc")


def _nested(deserialize: Callable[[Any], Any], spec: Any) -> Any:
    """``spec`` with each of its entries deserialized: one entry, or lists and dicts of them (per output)."""
    if spec is None or isinstance(spec, str) or isinstance(spec, Mapping) and "class_name" in spec:
        return None if spec is None else deserialize(spec)
    if isinstance(spec, Mapping):
        return {key: _nested(deserialize, value) for key, value in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_nested(deserialize, value) for value in spec]
    raise ValueError(f"an entry is neither a name, a serialized Keras object, nor a list or dict of them: {spec!r}.")


def _floats(weights: Any) -> Any:
    """``loss_weights`` with JSON's integers as the floats ``compile`` takes."""
    if isinstance(weights, bool) or weights is None:
        return weights
    if isinstance(weights, (int, float)):
        return float(weights)
    if isinstance(weights, Mapping):
        return {key: _floats(value) for key, value in weights.items()}
    if isinstance(weights, (list, tuple)):
        return [_floats(value) for value in weights]
    return weights  # compile names anything else
