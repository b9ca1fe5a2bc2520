"""Keras's ``keras.models.clone_model``: the same architecture with new layers (and new weights).

>>> import convlayers
>>> model = convlayers.Sequential([convlayers.Input((3,)), convlayers.Dense(2, name="d")])
>>> clone = clone_model(model)
>>> clone.layers[0] is model.layers[0], clone.layers[0].name, clone.output_shape
(False, 'd', (None, 2))
"""

from __future__ import annotations

from typing import Any, Callable

from ..layers import InputLayer, Layer, deserialize_layer
from . import symbolic_tensors
from .functional import Functional
from .sequential import Sequential

__all__ = ["clone_model"]


def _new_layer(layer: Any) -> Any:
    """Keras's default ``clone_function``: a new layer from the old one's config (fresh weights)."""
    return type(layer).from_config(layer.get_config())


def clone_model(
    model: Sequential | Functional,
    input_tensors: Any = None,
    clone_function: Callable[[Layer], Layer] | None = None,
    **kwargs: Any,
) -> Sequential | Functional:
    """A new model with the architecture of ``model``: each layer rebuilt by ``clone_function``, the graph replayed.

    The new layers keep their names and configs; their weights are drawn anew by their
    initializers (copy them with ``clone.set_weights(model.get_weights())``), as in Keras.

    Args:
        model: a :class:`~convlayers.Sequential` or functional :class:`~convlayers.Model`
            (a subclassed model holds Python code and cannot be cloned).
        input_tensors: ``Input`` tensors to build the clone on, instead of new ones of the
            model's input shapes; a functional clone on them wraps the cloned graph as
            one layer of the new model.
        clone_function: ``layer -> new layer`` for every layer (default:
            ``type(layer).from_config(layer.get_config())``). It must return a new layer: a
            functional clone cannot share the original's layers yet (Keras allows returning ``layer``).

    >>> import numpy as np, convlayers
    >>> x = convlayers.Input((4,), name="x")
    >>> model = convlayers.Model(x, convlayers.Dense(2, name="d")(x))
    >>> clone = clone_model(model)
    >>> clone.set_weights(model.get_weights())
    >>> data = np.ones((1, 4), "float32")
    >>> bool((clone(data) == model(data)).all()), clone.layers[-1] is model.layers[-1]
    (True, False)
    """
    if kwargs:
        raise ValueError(
            f"clone_model: unexpected keyword arguments {sorted(kwargs)}; it takes model, input_tensors and "
            f"clone_function."
        )
    if clone_function is None:
        clone_function = _new_layer
    elif not callable(clone_function):
        raise TypeError(f"clone_model: `clone_function` must be callable. Received: clone_function={clone_function!r}.")
    if isinstance(model, Sequential):
        clone = _clone_sequential(model, clone_function)
    elif isinstance(model, Functional):
        clone = _clone_functional(model, clone_function)
    else:
        raise ValueError(
            f"clone_model: expected a Sequential or functional Model (a subclassed model's call is Python code that "
            f"cannot be cloned). Received: model={model!r} of type {type(model).__name__}."
        )
    if input_tensors is None:
        return clone
    if not all(symbolic_tensors.is_keras_tensor(x) for x in symbolic_tensors.flatten(input_tensors)):
        raise ValueError(f"clone_model: `input_tensors` must be KerasTensors made by Input(). Received: {input_tensors!r}.")
    if isinstance(clone, Sequential):
        return Sequential([input_tensors if not isinstance(input_tensors, (list, tuple)) else input_tensors[0], *clone.layers], name=model.name)
    return Functional(input_tensors, clone(input_tensors), name=model.name)


def _clone_sequential(model: Sequential, clone_function: Callable[[Layer], Layer]) -> Sequential:
    clone = Sequential(name=model.name, trainable=model.trainable)
    if model.input_layer is not None:
        clone.add(InputLayer.from_config(model.input_layer.get_config()))
    for layer in model.layers:
        clone.add(clone_function(layer))
    return clone


def _clone_functional(model: Functional, clone_function: Callable[[Layer], Layer]) -> Functional:
    originals = {layer.name: layer for layer in model.layers}

    def factory(entry: dict[str, Any]) -> Any:
        original = originals[entry.get("name") or entry["config"]["name"]]
        if isinstance(original, InputLayer):
            return deserialize_layer(entry)  # a new input of the same shape, dtype and name
        return clone_function(original)

    return Functional.from_config(model.get_config(), layer_factory=factory)
