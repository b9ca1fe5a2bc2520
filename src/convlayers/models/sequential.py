"""``Sequential``: a linear stack of layers, Keras's model and an ordinary ``nn.Module``."""

from __future__ import annotations

from typing import Any, Iterator, Sequence

import torch

from .. import arrays, mixed_precision
from .. import object_registration
from ..layers import InputLayer, Layer
from ..layers import symbolic
from ..layers.base import Shape, training_mode, unique_name
from .functional_config import LayerFactory, default_layer_factory, layer_entry
from .model import Model
from .summary import summary_text


class Sequential(Model):
    """Layers applied in order (Keras ``Sequential``), trainable with ``compile``/``fit``.

    When the input shape is known, every layer is built at once, so ``output_shape``,
    per-layer shapes (``summary()``) and weights exist before any data. It is known from an
    :func:`~convlayers.Input` first, from a first layer made with Keras's ``input_shape=``/
    ``batch_input_shape=``/``input_dim=`` arguments, or from :meth:`build`; otherwise the
    model builds on its first call.

    As a module, the layers are submodules ``"0"``, ``"1"``... (so ``state_dict`` keys read
    ``"0.kernel"``), parameters are ordinary ``nn.Parameter`` objects and the model moves with
    ``.to(device)``. Calling it on a tensor follows the module's train/eval mode and keeps
    autograd; calling it on a NumPy array runs in inference mode without gradients and
    returns an array, as Keras's ``model(x)``.

    ``layer_output_shapes`` lists each layer's output shape (``None`` while unknown).

    ``dtype_policy`` is the global :mod:`~convlayers.mixed_precision` policy when the model
    is made, as in Keras; ``'mixed_float16'`` there (or on any layer) makes ``fit`` scale
    the loss. Each layer computes by its own policy.

    Args:
        layers: the initial layers (an ``Input`` may come first).
        trainable: ``False`` freezes every layer.
        name: the model's name (``"sequential"``, ``"sequential_1"``... by default).

    >>> import numpy as np, convlayers
    >>> model = convlayers.Sequential([
    ...     convlayers.Input((8, 8, 1)),
    ...     convlayers.Conv2D(4, 3, activation="relu"),
    ...     convlayers.Flatten(),
    ...     convlayers.Dense(10, activation="softmax"),
    ... ])
    >>> model.output_shape, model.count_params()
    ((None, 10), 1490)
    >>> model(np.zeros((2, 8, 8, 1), "float32")).shape
    (2, 10)
    """

    def __init__(self, layers: Sequence[Layer] | None = None, *, trainable: bool = True, name: str | None = None) -> None:
        # "sequential" for subclasses too (a DL4J network, Keras 1's Sequential), as Keras names it.
        super().__init__(name=unique_name("sequential") if name is None or name == "" else name)
        self._stack: list[Layer] = []
        # Held in a list so that nn.Module does not register it: it has no weights and is
        # not one of `layers`, as in Keras.
        self._inputs: list[InputLayer] = []
        self.layer_output_shapes: list[Shape | None] = []
        self._add_all(layers or [])
        self._build_known()
        if not trainable:
            self.trainable = False

    @property
    def owner(self) -> str:
        """How error messages name this model: ``Sequential model 'name'``."""
        return f"Sequential model {self.name!r}"

    # -- the stack ----------------------------------------------------------------------------
    @property
    def layers(self) -> list[Layer]:
        """The layers in order (without the ``InputLayer``)."""
        return list(self._stack)

    @property
    def input_layer(self) -> InputLayer | None:
        """The ``InputLayer`` that fixes the input shape, if any."""
        return self._inputs[0] if self._inputs else None

    def __len__(self) -> int:
        return len(self._stack)

    def __getitem__(self, index: int) -> Layer:
        return self._stack[index]

    def __iter__(self) -> Iterator[Layer]:
        return iter(self._stack)

    def add(self, layer: Layer | symbolic.KerasTensor, rebuild: bool = True) -> None:
        """Append ``layer``; an :func:`~convlayers.Input` (first only) sets the input shape."""
        self._append(layer, {existing.name for existing in self._stack})
        if rebuild:
            self._build_known()

    def _add_all(self, layers: Sequence[Layer]) -> None:
        """Append ``layers`` without building, their names checked in one pass: linear in the layer count."""
        names = {existing.name for existing in self._stack}
        for layer in layers:
            self._append(layer, names)

    def _append(self, layer: Layer, names: set[str]) -> None:
        """Append ``layer`` if its name is not in ``names`` (the stack's names), and add its name to them."""
        if isinstance(layer, symbolic.KerasTensor):
            # `Input(...)` is a KerasTensor: its InputLayer is what the model takes, as Keras's Sequential does.
            origin = layer.keras_history.operation if layer.keras_history else None
            if not isinstance(origin, InputLayer):
                raise ValueError(
                    f"Sequential {self.name!r}: a KerasTensor can only be added as the model's Input (made by "
                    f"convlayers.Input); add layers, not the tensors they returned. Received {layer!r}."
                )
            layer = origin
        if isinstance(layer, InputLayer):
            if self._stack or self._inputs:
                configured = f"input shape {self._inputs[0].batch_shape}" if self._inputs else "layers"
                raise ValueError(
                    f"Sequential {self.name!r}: an Input must come first, and only once; the model already has "
                    f"{configured}. Received {layer.name!r} with batch_shape={layer.batch_shape}."
                )
            self._inputs.append(layer)
            return
        if not isinstance(layer, (Layer, Model)):
            raise TypeError(
                f"Sequential {self.name!r}: only convlayers layers can be added (and models; wrap other modules in a "
                f"Layer subclass). Received {layer!r} of type {type(layer).__name__}."
            )
        if layer is self:
            raise ValueError(f"Sequential {self.name!r}: a model cannot be added to itself.")
        if layer.name in names:
            raise ValueError(
                f"Sequential {self.name!r}: all layers must have unique names; {layer.name!r} is already the name "
                f"of a layer in this model. Pass another `name`."
            )
        if not self._stack and not self._inputs:
            declared = getattr(layer, "declared_input_shape", None)  # a nested model declares none, as in Keras
            if declared is not None:
                self._inputs.append(InputLayer(batch_shape=declared, dtype=layer.dtype))
        self.add_module(str(len(self._stack)), layer)
        self._stack.append(layer)
        self.layer_output_shapes.append(None)
        names.add(layer.name)

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._stack:
            raise ValueError(f"Sequential {self.name!r}: there are no layers to pop.")
        layer = self._stack.pop()
        self.layer_output_shapes.pop()
        del self._modules[str(len(self._stack))]
        return layer

    # -- building -------------------------------------------------------------------------------
    def _build_known(self) -> None:
        if self._inputs and self._stack:
            self._build_from(self._inputs[0].batch_shape)

    def _build_from(self, input_shape: Shape, device: torch.device | str | None = None) -> None:
        shape: Shape | None = tuple(input_shape)
        for i, layer in enumerate(self._stack):
            if shape is None:
                self.layer_output_shapes[i] = None
                continue
            layer.build(shape, device=device)  # a built layer only checks the shape
            try:
                shape = tuple(layer.compute_output_shape(shape))
            except NotImplementedError:
                shape = None
            self.layer_output_shapes[i] = shape

    def build(self, input_shape: Sequence[int | None], device: torch.device | str | None = None) -> None:
        """Build every layer for inputs of ``input_shape`` (batch dim included, e.g. ``(None, 28, 28, 1)``).

        New weights are created on ``device`` (torch's default device when ``None``).
        """
        shape = tuple(None if d is None else int(d) for d in input_shape)
        if not self._stack:
            raise ValueError(f"{self.owner} cannot be built because it has no layers. Call `model.add(layer)`.")
        if self._inputs and self._inputs[0].batch_shape != shape:
            raise ValueError(
                f"{self.owner} has already been configured to use input shape "
                f"{self._inputs[0].batch_shape}. You cannot build it with input_shape {shape}."
            )
        if not self._inputs:
            self._inputs.append(InputLayer(batch_shape=shape, dtype=self._stack[0].dtype))
        self._build_from(shape, device)

    @property
    def input_shape(self) -> Shape:
        """The input shape with the batch dim (``None`` when free)."""
        if not self._inputs:
            raise ValueError(f"{self.owner} has no defined input shape yet.")
        return self._inputs[0].batch_shape

    @property
    def output_shape(self) -> Shape:
        """The output shape with the batch dim, known once the input shape is."""
        if not self._stack or self.layer_output_shapes[-1] is None:
            raise ValueError(f"{self.owner} has no defined output shape yet.")
        return self.layer_output_shapes[-1]

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """The output shape for ``input_shape``, through every layer's ``compute_output_shape``."""
        shape = tuple(input_shape)
        for layer in self._stack:
            shape = tuple(layer.compute_output_shape(shape))
        return shape

    # -- calling --------------------------------------------------------------------------------
    def forward(self, inputs: Any, training: bool | None = None) -> Any:
        """Apply the layers: a tensor gives a tensor (autograd intact), an array gives an array.

        A KerasTensor gives a KerasTensor (the model is a layer of a functional model).
        ``training``: ``True``/``False`` runs this call in training/inference mode, then
        restores the mode; ``None`` follows it (NumPy calls run in inference mode).
        """
        if isinstance(inputs, torch.Tensor):
            if training is None:
                return self._run(inputs)
            with training_mode(self, training):
                return self._run(inputs)
        if symbolic.is_symbolic(inputs):
            kwargs = {} if training is None else {"training": training}
            return symbolic.call_symbolic(self, inputs, kwargs, self._symbolic_outputs)
        with training_mode(self, bool(training)), torch.no_grad():
            x = arrays.to_tensor(inputs, self.owner)
            return arrays.to_numpy(self._run(x.to(self._device())))

    def _symbolic_outputs(self, inputs: Any) -> symbolic.KerasTensor:
        """Build the model for a KerasTensor's shape (if not built yet) and return its output KerasTensor."""
        if not isinstance(inputs, symbolic.KerasTensor):
            raise TypeError(f"{self.owner}: expected one input tensor. Received: {inputs!r}.")
        if not self.built:
            self.build(inputs.shape)
        dtype = self.compute_dtype if self.casts_inputs else inputs.dtype
        return symbolic.KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    def _run(self, x: torch.Tensor) -> torch.Tensor:
        if not self._stack:
            raise ValueError(f"{self.owner} has no layers to call. Call `model.add(layer)`.")
        if not self.built:
            self.build((None,) + tuple(x.shape[1:]), device=x.device)
        for layer in self._stack:
            x = layer(x)
        return x

    @property
    def compute_dtype(self) -> str:
        """The dtype the model's output comes in: its last computing layer's (as a layer of another model)."""
        return next((layer.compute_dtype for layer in reversed(self._stack) if layer.casts_inputs), "float32")

    @property
    def casts_inputs(self) -> bool:
        """Whether any layer casts its inputs (then the output comes in :attr:`compute_dtype`)."""
        return any(layer.casts_inputs for layer in self._stack)

    @property
    def build_input_shape(self) -> Shape | None:
        """The input shape the model was built for (``None`` before), as a layer's."""
        return self._inputs[0].batch_shape if self._inputs else None

    # -- description ----------------------------------------------------------------------------
    def summary_text(self, line_length: int | None = None, positions: Sequence[float] | None = None) -> str:
        """What :meth:`summary` prints: each layer's output shape and parameter count, then totals."""
        return summary_text(self, line_length, positions)

    def get_config(self) -> dict[str, Any]:
        """Keras 3's Sequential config: ``name``, ``trainable``, ``dtype``, ``layers``, ``build_input_shape``.

        ``layers`` lists the ``InputLayer`` first when the input shape is known, then each
        layer as ``{"module", "class_name", "config", "registered_name", "build_config"}``.
        """
        entries = [layer_entry(layer) for layer in self._inputs + self._stack]
        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": mixed_precision.serialize(self._dtype_policy),
            "layers": entries,
            "build_input_shape": self._inputs[0].batch_shape if self._inputs else None,
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None, layer_factory: LayerFactory | None = None
    ) -> "Sequential":
        """A new model from :meth:`get_config`'s output (or a Keras 2/3 Sequential config).

        ``custom_objects``: ``{name: class}`` for custom layers the config names (Keras's).
        ``layer_factory(entry)`` makes each layer (or nested model) from its entry; by
        default :func:`~convlayers.models.functional_config.default_layer_factory`.

        >>> import convlayers
        >>> model = convlayers.Sequential([convlayers.Input((3,)), convlayers.Dense(2, name="d")])
        >>> clone = Sequential.from_config(model.get_config())
        >>> clone.output_shape, clone[0].name
        ((None, 2), 'd')
        """
        # Keras 1/2 could store a Sequential config as the bare list of layers.
        if isinstance(config, list):
            config = {"layers": config}
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError(f"Sequential.from_config: expected a dict with a 'layers' list. Received: {config!r}.")
        unknown = sorted(set(config) - {"name", "trainable", "dtype", "layers", "build_input_shape"})
        if unknown:
            raise ValueError(
                f"Sequential.from_config: unknown keys {unknown}. Allowed: name, trainable, dtype (the model's "
                f"own dtype policy), layers, build_input_shape."
            )
        model = cls(name=config.get("name"))
        # A config without one (Keras 1/2) leaves the global policy, as a new model takes.
        model._dtype_policy = mixed_precision.get(config.get("dtype"), "Sequential.from_config")
        with object_registration.CustomObjectScope(custom_objects):
            model._add_all([(layer_factory or default_layer_factory)(entry) for entry in config["layers"]])
        build_shape = config.get("build_input_shape")
        if model._inputs:
            model._build_known()
        elif build_shape is not None:
            model.build(build_shape)
        if config.get("trainable") is False:
            model.trainable = False
        return model
