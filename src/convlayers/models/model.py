"""Keras's ``Model``: ``Model(inputs, outputs)`` makes a functional model; a subclass with ``call`` is a custom one.

What every model here shares (the layer-list API: weights in Keras's order, ``trainable``,
``losses``, ``get_weights``/``set_weights``, ``count_params``, ``get_layer``, files) lives
in :class:`Model`; the graph of a functional model is :class:`~convlayers.models.functional.Functional`'s.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn

from .. import arrays, mixed_precision
from ..layers import Layer
from ..layers import symbolic
from ..layers.base import snake_case, training_mode, unique_name
from .summary import render_summary, summary_row
from .training import Trainer


def _unique(tensors: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """``tensors`` without repeats (a layer reached twice, through a nested model), in order."""
    seen: set[int] = set()
    return [t for t in tensors if not (id(t) in seen or seen.add(id(t)))]


def _weight_records(layer: Any) -> list[tuple[Layer, Any]]:
    """``(layer, weight record)`` for each array of ``layer.get_weights()``, through nested models, in order."""
    if isinstance(layer, Model):
        return [pair for inner in layer.layers for pair in _weight_records(inner)]
    return [(layer, record) for record in layer.weight_specs]


class Model(Trainer, nn.Module):
    """A Keras model: ``Model(inputs, outputs)`` for a graph of layers, or a subclass that defines ``call``.

    ``Model(inputs, outputs, name=None, trainable=True)`` returns a
    :class:`~convlayers.models.functional.Functional` (Keras's class for it): see there.

    Subclassing, as in Keras: ``__init__`` makes the layers (attributes, so they are
    submodules), ``call(self, inputs)`` (optionally with ``training``) computes with
    them. The model builds on its first call; it trains with ``compile``/``fit`` and in
    any torch loop, and NumPy inputs give NumPy outputs in inference mode.

    >>> import numpy as np, convlayers
    >>> class TwoLayers(convlayers.Model):
    ...     def __init__(self):
    ...         super().__init__(name="two")
    ...         self.hidden = convlayers.Dense(4, activation="relu")
    ...         self.out = convlayers.Dense(1)
    ...     def call(self, x):
    ...         return self.out(self.hidden(x))
    >>> model = TwoLayers()
    >>> model(np.zeros((3, 2), "float32")).shape, model.count_params()
    ((3, 1), 17)
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from .functional import Functional  # the subclass, defined on top of this module

            return super().__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *, name: str | None = None, trainable: bool = True) -> None:
        super().__init__()
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: `name` must be a string. Received: name={name!r}.")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._dtype_policy = mixed_precision.global_policy()
        #: The model's calls on KerasTensors, as a layer of a functional model.
        self._inbound_nodes: list[symbolic.Node] = []
        self._frozen = not trainable

    @property
    def owner(self) -> str:
        """How error messages name this model: class and name."""
        return f"{type(self).__name__} {self.name!r}"

    @property
    def dtype(self) -> torch.dtype:
        """The weights' dtype (the policy's variable dtype), as a layer's: a ``Sequential`` whose first layer is this model takes it."""
        return self._dtype_policy.variable_torch_dtype

    @property
    def dtype_policy(self) -> mixed_precision.DTypePolicy:
        """The model's own policy (its layers have theirs): the global policy when it was made."""
        return self._dtype_policy

    # -- layers ---------------------------------------------------------------------------------
    @property
    def layers(self) -> list[Any]:
        """The layers (and nested models) the model holds as attributes, in the order they were set."""
        return [m for m in self.children() if isinstance(m, (Layer, Model))]

    def get_layer(self, name: str | None = None, index: int | None = None) -> Any:
        """The layer called ``name``, or at ``index`` of :attr:`layers` (Keras ``get_layer``)."""
        layers = self.layers
        if (name is None) == (index is None):
            raise ValueError(f"{self.owner}.get_layer(): pass exactly one of `name` or `index`.")
        if index is not None:
            if not isinstance(index, int) or not -len(layers) <= index < len(layers):
                raise ValueError(f"{self.owner}: was asked to retrieve layer at index {index!r} but the model only has {len(layers)} layers.")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"{self.owner}: no such layer: {name!r}. Existing layers are: {[layer.name for layer in layers]}.")

    @property
    def built(self) -> bool:
        """Whether every layer has its weights."""
        layers = self.layers
        return bool(layers) and all(layer.built for layer in layers)

    def build(self, input_shape: Sequence[int | None], device: torch.device | str | None = None) -> None:
        """Build by one call on zeros of ``input_shape`` (unknown sizes taken as 1), in inference mode."""
        shape = tuple(1 if d is None else int(d) for d in input_shape)
        with training_mode(self, False), torch.no_grad():
            self(torch.zeros(shape, device=device))

    # -- calling --------------------------------------------------------------------------------
    def call(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{self.owner}: a subclass of Model computes in `call(self, inputs)`; define it.")

    def forward(self, inputs: Any, training: bool | None = None, **kwargs: Any) -> Any:
        """``call(inputs)`` in the mode ``training`` asks for; NumPy in gives NumPy out, in inference mode."""
        if symbolic.is_symbolic(inputs):
            raise TypeError(
                f"{self.owner}: a subclassed model cannot be called on KerasTensors (its `call` is Python code, not a "
                f"graph); call it on data, or build the outer model with convlayers.Model(inputs, outputs)."
            )
        if "training" in inspect.signature(self.call).parameters:
            kwargs["training"] = self.training if training is None else bool(training)
        leaves = symbolic.flatten(inputs)
        if all(isinstance(x, torch.Tensor) for x in leaves):
            with training_mode(self, training):
                return self.call(inputs, **kwargs)
        device = self._device()
        tensors = symbolic.map_structure(lambda x: arrays.to_tensor(x, self.owner).to(device), inputs)
        with training_mode(self, bool(training)), torch.no_grad():
            outputs = self.call(tensors, **kwargs)
        return symbolic.map_structure(arrays.to_numpy, outputs)

    # -- weights --------------------------------------------------------------------------------
    def _require_built(self, what: str) -> None:
        if not self.built:
            raise ValueError(
                f"{self.owner}: cannot {what} before the model is built; call `build(input_shape)`, or call it on data first."
            )

    @property
    def weights(self) -> list[torch.Tensor]:
        """Every layer's weights, layer after layer (Keras's order), each once."""
        return _unique([w for layer in self.layers for w in layer.weights])

    @property
    def trainable_weights(self) -> list[torch.Tensor]:
        return _unique([w for layer in self.layers for w in layer.trainable_weights])

    @property
    def non_trainable_weights(self) -> list[torch.Tensor]:
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    @property
    def trainable(self) -> bool:
        """``False`` once every layer is frozen; setting it sets every layer's."""
        return not self._frozen

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._frozen = not value
        for layer in self.layers:
            layer.trainable = value

    @property
    def losses(self) -> list[torch.Tensor]:
        """Every layer's regularization terms (weights now; activities of the last call)."""
        return [term for layer in self.layers for term in layer.losses]

    def apply_constraints(self) -> None:
        """Every layer's ``apply_constraints()`` (a training loop calls this after each optimizer step)."""
        for layer in self.layers:
            layer.apply_constraints()

    def get_weights(self) -> list[np.ndarray]:
        """All weights as NumPy arrays in Keras layout, in the order of :attr:`weights`."""
        self._require_built("get weights")
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set all weights from :meth:`get_weights`-style arrays; nothing changes unless all fit."""
        self._require_built("set weights")
        if isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence):
            raise TypeError(f"{self.owner}: set_weights expects a list of arrays. Received {type(weights).__name__}.")
        per_layer = [_weight_records(layer) for layer in self.layers]
        records = [pair for pairs in per_layer for pair in pairs]
        if len(weights) != len(records):
            raise ValueError(
                f"{self.owner}: set_weights expects {len(records)} arrays (the model's weights in order), "
                f"received {len(weights)}."
            )
        given = [np.asarray(w) for w in weights]
        for (layer, record), array in zip(records, given):
            if tuple(array.shape) != record.keras_shape:
                raise ValueError(
                    f"{self.owner}: weight `{record.name}` of layer {layer.name!r} must have shape {record.keras_shape} "
                    f"(Keras layout). Received an array of shape {tuple(array.shape)}."
                )
        start = 0
        for layer, pairs in zip(self.layers, per_layer):
            if pairs:
                layer.set_weights(given[start : start + len(pairs)])
            start += len(pairs)

    def count_params(self) -> int:
        """The number of scalars in all weights (moving statistics included, as Keras counts)."""
        self._require_built("count its parameters")
        return sum(w.numel() for w in self.weights)

    # -- as a layer of another model -------------------------------------------------------------
    @property
    def compute_dtype(self) -> str:
        """The dtype of the model's outputs: the global compute dtype when it was made."""
        return self._dtype_policy.compute_dtype

    casts_inputs = True

    # -- description ------------------------------------------------------------------------------
    def summary(
        self,
        line_length: int | None = None,
        positions: Sequence[float] | None = None,
        print_fn: Callable[[str], Any] | None = None,
    ) -> None:
        """Print Keras 3's summary table (each layer, its output shape, its parameter count), then totals."""
        (print_fn or print)(self.summary_text(line_length, positions))

    def summary_text(self, line_length: int | None = None, positions: Sequence[float] | None = None) -> str:
        """What :meth:`summary` prints."""
        rows = [summary_row(layer, None) for layer in self.layers]
        return render_summary(self, rows, line_length, positions)

    @classmethod
    def from_config(
        cls,
        config: dict[str, Any],
        custom_objects: dict[str, Any] | None = None,
        layer_factory: Callable[[dict[str, Any]], Any] | None = None,
    ) -> Any:
        """A functional model from :meth:`get_config`'s output, or from Keras 3's or tf.keras 2's functional config.

        ``layer_factory(entry)`` makes each layer (or nested model) from its config entry;
        by default convlayers' own (:func:`~convlayers.models.functional_config.default_layer_factory`).
        The graph is replayed by :func:`~convlayers.models.functional_config.replay_graph`,
        which reads both Keras 3's ``inbound_nodes`` and tf.keras 2's.
        ``custom_objects``: ``{name: class}`` for custom layers the config names (Keras's).

        >>> import numpy as np, convlayers
        >>> x = convlayers.Input((3,), name="x")
        >>> model = convlayers.Model(x, convlayers.Dense(2, name="d")(x))
        >>> clone = convlayers.Model.from_config(model.get_config())
        >>> clone.set_weights(model.get_weights())
        >>> data = np.ones((1, 3), "float32")
        >>> bool((clone(data) == model(data)).all())
        True
        """
        from .functional import functional_from_config

        from ..object_registration import CustomObjectScope

        with CustomObjectScope(custom_objects):
            return functional_from_config(config, layer_factory)

    def to_json(self, **kwargs: Any) -> str:
        """The model's config as Keras's JSON: ``{"module", "class_name", "config"}`` (``kwargs`` go to ``json.dumps``)."""
        from .functional import model_json

        return model_json(self, **kwargs)

    def extra_repr(self) -> str:
        return f"name={self.name!r}"

    # -- files (convlayers.io) ---------------------------------------------------------------------
    def save(self, filepath: str | Path) -> None:
        """Save architecture and weights with :func:`convlayers.io.save_model`: ``.safetensors``, ``.keras`` or ``.h5``."""
        from .. import io

        io.save_model(self, filepath)

    def save_weights(self, filepath: str | Path) -> None:
        """Save the weights with :func:`convlayers.io.save_weights`: ``.safetensors`` or Keras 3's ``.weights.h5``."""
        from .. import io

        io.save_weights(self, filepath)

    def load_weights(self, filepath: str | Path) -> None:
        """Load weights saved by :meth:`save_weights` with :func:`convlayers.io.load_weights`."""
        from .. import io

        io.load_weights(self, filepath)

