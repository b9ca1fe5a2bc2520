"""The small companions a CNN needs: ``InputLayer``/``Input``, ``Dense``, ``Activation``, ``Dropout``."""

from __future__ import annotations

from numbers import Real
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F

from .. import activations, ops
from ..geometry import normalize_positive_int
from . import symbolic
from .base import Layer, Shape, dtype_name
from .arguments import ArgumentTable, DeclaredArguments, positive_int, weight_options
from .options import SpecWeights
from .spec import DenseSpec
from .values import is_int

__all__ = ["Activation", "Dense", "Dropout", "Input", "InputLayer", "TrainingDependentLayer"]


class InputLayer(Layer):
    """Declares a model's input shape and dtype (Keras ``InputLayer``); the identity when called.

    Its symbolic output (``output``, a :class:`~convlayers.layers.symbolic.KerasTensor`
    named after the layer) is what :func:`Input` returns: functional models start from it.
    A :class:`~convlayers.Sequential` that starts with one builds every layer at once, so
    output shapes and parameter counts are known before any data.

    Args:
        shape: the shape of one example, without the batch dim (``None`` for unknown sizes).
        batch_size: the batch size, or ``None`` (unknown).
        dtype: the input dtype (``'float32'`` default).
        sparse: must be false: sparse inputs are not supported.
        batch_shape: the full shape with the batch dim, instead of ``shape`` + ``batch_size``.
        name: the layer's name (``'input_layer'``, ``'input_layer_1'``... by default).
        input_tensor: a KerasTensor the layer takes as its output (its shape and dtype
            are the layer's; the other arguments, if given, must agree with them).

    >>> InputLayer(shape=(28, 28, 1)).batch_shape
    (None, 28, 28, 1)
    """

    def __init__(
        self,
        shape: Sequence[int | None] | None = None,
        batch_size: int | None = None,
        dtype: Any = None,
        sparse: bool | None = None,
        batch_shape: Sequence[int | None] | None = None,
        name: str | None = None,
        input_tensor: symbolic.KerasTensor | None = None,
        **kwargs: Any,
    ) -> None:
        # tf.keras 2 configs spell the full shape `batch_input_shape`.
        legacy_batch_shape = kwargs.pop("batch_input_shape", None)
        if input_tensor is not None:
            dtype, batch_shape = self._adopted(input_tensor, shape, batch_size, dtype, batch_shape)
            shape = batch_size = None
        super().__init__(name=name, dtype=dtype, **kwargs)
        if batch_shape is None:
            batch_shape = legacy_batch_shape
        if sparse:
            raise ValueError(f"{self.owner}: sparse inputs are not supported. Received: sparse={sparse!r}.")
        if shape is not None and batch_shape is not None:
            raise ValueError(
                f"{self.owner}: pass either `shape` or `batch_shape`, not both. "
                f"Received: shape={shape!r}, batch_shape={batch_shape!r}."
            )
        if shape is None and batch_shape is None:
            raise ValueError(f"{self.owner}: the `shape` argument is required (the shape of one example, without the batch dim).")
        if batch_shape is None:
            if batch_size is not None:
                normalize_positive_int(batch_size, "batch_size", self.owner)
            batch_shape = (batch_size,) + tuple(_shape_tuple(shape, "shape", self.owner))
        self.batch_shape: Shape = _shape_tuple(batch_shape, "batch_shape", self.owner)
        if not self.batch_shape:
            raise ValueError(f"{self.owner}: `batch_shape` needs at least the batch dim. Received: batch_shape={batch_shape!r}.")
        self.built = True
        self.output = (
            input_tensor if input_tensor is not None else symbolic.KerasTensor(self.batch_shape, dtype_name(self.dtype), name=self.name)
        )
        symbolic.Node(self, (), {}, [self.output])

    @staticmethod
    def _adopted(tensor: Any, shape: Any, batch_size: Any, dtype: Any, batch_shape: Any) -> tuple[Any, Shape]:
        """The dtype and batch shape of ``input_tensor``, checked against the arguments given with it."""
        if not isinstance(tensor, symbolic.KerasTensor):
            raise ValueError(
                f"InputLayer: `input_tensor` must be a KerasTensor. Received: input_tensor={tensor!r} "
                f"of type {type(tensor).__name__}."
            )
        given = {
            "batch_size": batch_size is not None and tensor.shape[:1] != (batch_size,),
            "shape": shape is not None and tuple(shape) != tensor.shape[1:],
            "batch_shape": batch_shape is not None and tuple(batch_shape) != tensor.shape,
            "dtype": dtype is not None and str(dtype).removeprefix("torch.") != tensor.dtype,
        }
        for argument, conflicts in given.items():
            if conflicts:
                raise ValueError(
                    f"InputLayer: when providing the `input_tensor` argument, you cannot provide an incompatible "
                    f"`{argument}` argument. Received: input_tensor={tensor!r}."
                )
        return tensor.dtype, tensor.shape

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """The input shape, unchanged."""
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        """Keras 3's ``InputLayer`` config: ``batch_shape``, ``dtype``, ``sparse``, ``name``."""
        return {"batch_shape": self.batch_shape, "dtype": dtype_name(self.dtype), "sparse": False, "name": self.name}


def Input(
    shape: Sequence[int | None] | None = None,
    batch_size: int | None = None,
    dtype: Any = None,
    sparse: bool | None = None,
    batch_shape: Sequence[int | None] | None = None,
    name: str | None = None,
    tensor: symbolic.KerasTensor | None = None,
) -> symbolic.KerasTensor:
    """Keras's ``keras.Input``: a symbolic input tensor, the output of a new :class:`InputLayer`.

    Layers called on it return KerasTensors; ``convlayers.Model(inputs, outputs)`` makes
    a model of what lies between. A ``Sequential`` takes one as its first entry.
    Arguments as :class:`InputLayer`'s (``tensor``: an existing KerasTensor to wrap).

    >>> import convlayers
    >>> x = Input((4,), name="features")
    >>> x.shape, x.name
    ((None, 4), 'features')
    >>> model = convlayers.Model(x, convlayers.Dense(3)(x))
    >>> model.output_shape
    (None, 3)
    >>> convlayers.Sequential([Input((4,)), convlayers.Dense(3)]).output_shape
    (None, 3)
    """
    layer = InputLayer(
        shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, batch_shape=batch_shape, name=name, input_tensor=tensor
    )
    return layer.output


def _shape_tuple(value: Any, argument: str, owner: str) -> Shape:
    """A shape argument as a tuple of positive ints and ``None`` (an int ``n`` means ``(n,)``)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        if is_int(value):
            value = (value,)
        else:
            raise TypeError(f"{owner}: `{argument}` must be a tuple of ints or None. Received: {argument}={value!r}.")
    if not all(d is None or (is_int(d) and d > 0) for d in value):
        raise ValueError(
            f"{owner}: every entry of `{argument}` must be a positive int or None. Received: {argument}={value!r}."
        )
    return tuple(None if d is None else int(d) for d in value)


class TrainingDependentLayer(Layer):
    """A layer that computes differently in training mode (``module.train()``).

    Tensors follow the module's mode, as in PyTorch. A NumPy call always runs in inference
    mode, as Keras's ``layer(x)`` does: NumPy calls cannot train (no gradients), so batch
    statistics or dropout there would only corrupt results or state.
    """

    def forward(self, inputs: Any, training: bool | None = None) -> Any:
        if training is None and not isinstance(inputs, torch.Tensor) and not symbolic.is_symbolic(inputs):
            training = False
        return super().forward(inputs, training)


class SeededLayer(TrainingDependentLayer):
    """A layer drawing noise in training mode: from its own generator when ``seed`` is an int, else torch's global one.

    One generator per device, made on first use, so a seeded layer draws the same sequence
    wherever it runs.
    """

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if seed is not None and not is_int(seed):
            raise TypeError(f"{self.owner}: `seed` must be an int or None. Received: seed={seed!r}.")
        self.seed = None if seed is None else int(seed)
        self._generators: dict[torch.device, torch.Generator] = {}

    def _generator(self, device: torch.device) -> torch.Generator | None:
        if self.seed is None:
            return None
        if device not in self._generators:
            self._generators[device] = torch.Generator(device=device).manual_seed(self.seed)
        return self._generators[device]


class Dense(SpecWeights, DeclaredArguments, Layer):
    """A densely connected layer (Keras ``Dense``): ``activation(x @ kernel + bias)`` on the last axis.

    Args:
        units: the size of the output's last axis.
        activation: a Keras activation name, a callable, or ``None``.
        use_bias: add a learned bias.
        kernel_initializer, bias_initializer: Keras initializer names, configs or callables.
        kernel_regularizer, bias_regularizer, activity_regularizer: Keras regularizers.
        kernel_constraint, bias_constraint: Keras constraints.

    Input ``(batch, ..., features)`` of any rank >= 2; output ``(batch, ..., units)``. The
    kernel is ``(features, units)`` in Keras layout.

    >>> import numpy as np
    >>> Dense(4, activation="relu")(np.ones((2, 3, 5), "float32")).shape
    (2, 3, 4)
    """

    spec_type = DenseSpec
    spec: DenseSpec
    arguments = ArgumentTable(
        positive_int("units"),
        *weight_options(("kernel", "glorot_uniform"), ("bias", "zeros"), activity_in_config=False),
    )

    def spec_from_arguments(self, values: dict[str, Any]) -> DenseSpec:
        return DenseSpec.from_values(values, ("kernel", "bias"))

    def _check_input_shape(self, shape: Shape) -> None:
        if len(shape) < 2 or shape[-1] is None:
            raise ValueError(
                f"{self.owner}: expected an input of rank >= 2 (batch, ..., features) with a known "
                f"last dim. Received input shape {shape}."
            )
        if self.built and shape[-1] != self.input_dim:
            raise ValueError(
                f"{self.owner}: the layer was built for inputs with {self.input_dim} features (last axis) "
                f"but received an input of shape {shape}."
            )

    def _build(self, input_shape: Shape) -> None:
        self.input_dim = input_shape[-1]
        self._add_spec_weights(self.spec.weights(self.input_dim))

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return self._plan_call(tuple(x.shape), x.dtype, x.device)(x)

    def _plan_call(self, shape: Shape, dtype: torch.dtype, device: torch.device) -> Callable[[torch.Tensor], torch.Tensor]:
        """``activation(x @ kernel + bias)``, the weights and the activation read at each call."""
        weights, linear = self._parameters, activations.get(None)

        def step(x: torch.Tensor) -> torch.Tensor:
            y = F.linear(x, weights["kernel"], weights["bias"])
            activation = self.activation
            return y if activation is linear else activation(y)  # the identity, skipped

        return ops.precision.where_needed(device.type, dtype, step)  # no TF32 on CUDA unless enabled

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """``input_shape`` with the last axis replaced by ``units``."""
        shape = tuple(input_shape)
        self._check_input_shape(shape)
        return shape[:-1] + (self.units,)


class Activation(Layer):
    """Applies an activation function (Keras ``Activation``); the shape is unchanged.

    >>> import numpy as np
    >>> Activation("relu")(np.array([[-1.0, 2.0]], "float32"))
    array([[0., 2.]], dtype=float32)
    """

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = self.resolve_option(activations, "activation", activation)

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(x)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """The input shape, unchanged."""
        return tuple(input_shape)

    def _config(self) -> dict[str, Any]:
        return {"activation": activations.serialize(self.activation)}


class Dropout(SeededLayer):
    """Randomly zeroes inputs with probability ``rate`` in training mode (Keras ``Dropout``).

    Kept values are scaled by ``1 / (1 - rate)`` so the expected sum is unchanged. Active only
    in training mode (``module.train()``, as ``fit`` sets); otherwise, and for NumPy calls,
    the identity.

    Args:
        rate: the fraction of inputs to drop, in ``[0, 1]``.
        noise_shape: the shape of the keep mask, broadcast against the input; ``None`` entries
            take the input's size (``(None, 1, 1, None)`` drops whole feature maps).
        seed: an int makes the sequence of masks reproducible; ``None`` draws from torch's
            global generator (so ``torch.manual_seed`` fixes it).

    >>> import torch
    >>> layer = Dropout(0.5, seed=1)
    >>> sorted(set(layer(torch.ones(100)).tolist()))  # training mode: dropped or doubled
    [0.0, 2.0]
    >>> layer.eval()(torch.ones(3))
    tensor([1., 1., 1.])
    """

    def __init__(
        self, rate: float, noise_shape: Sequence[int | None] | None = None, seed: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(seed, **kwargs)
        if not isinstance(rate, Real) or isinstance(rate, bool) or not 0 <= rate <= 1:
            raise ValueError(
                f"{self.owner}: invalid value for argument `rate`. Expected a float between 0 and 1. "
                f"Received: rate={rate!r}."
            )
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else _shape_tuple(noise_shape, "noise_shape", self.owner)

    def _mask_shape(self, shape: Shape) -> Shape:
        if self.noise_shape is None:
            return shape
        if len(self.noise_shape) != len(shape):
            raise ValueError(
                f"{self.owner}: `noise_shape` must have one entry per input dim. "
                f"Received noise_shape={self.noise_shape} for an input of shape {shape}."
            )
        return tuple(size if n is None else n for n, size in zip(self.noise_shape, shape))

    def call(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.rate == 0:
            return x
        keep = 1.0 - self.rate
        if keep == 0:
            return x * 0.0
        mask_shape = self._mask_shape(tuple(x.shape))
        mask = torch.empty(mask_shape, dtype=x.dtype, device=x.device).bernoulli_(keep, generator=self._generator(x.device))
        return x * (mask / keep)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """The input shape, unchanged."""
        return tuple(input_shape)

    def _config(self) -> dict[str, Any]:
        return {"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape}

