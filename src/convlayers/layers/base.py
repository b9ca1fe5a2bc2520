"""The Keras layer protocol on a plain ``torch.nn.Module``.

A layer canonicalises its arguments once in ``__init__``, creates its
parameters in ``build`` (explicitly, or lazily on the first call, when the
input shape is known), and then behaves as an ordinary module: its weights are
``nn.Parameter`` objects, so ``state_dict``, optimizers, ``torch.compile`` and
DDP see them. On top of that it speaks Keras: ``get_weights``/``set_weights`` in
Keras layout, ``get_config``/``from_config``, ``compute_output_shape``,
``count_params``, ``losses`` and ``apply_constraints``.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from .. import arrays, mixed_precision, ops, regularizers
from . import symbolic
from .weights import Weight, WeightLayout, initial_value

Shape = tuple[int | None, ...]

_KERAS_KWARGS = frozenset({"input_shape", "batch_input_shape", "batch_size", "input_dim", "weights", "autocast"})
_name_counters: defaultdict[str, itertools.count] = defaultdict(itertools.count)
#: How many call steps (one per input shape, dtype and device) a layer keeps (see ``Layer._prepare_call``).
_PLANS_KEPT = 16


def _recording() -> bool:
    """Whether ``torch.compile`` or ``torch.jit.trace`` is recording the current call (then no step is cached)."""
    return torch.compiler.is_compiling() or torch.jit.is_tracing()


def snake_case(name: str) -> str:
    """Keras's ``to_snake_case``: ``'Conv2DTranspose'`` -> ``'conv2d_transpose'``.

    >>> snake_case("DepthwiseConv2D"), snake_case("UpSampling2D"), snake_case("MeanIoU"), snake_case("RMSprop")
    ('depthwise_conv2d', 'up_sampling2d', 'mean_io_u', 'rm_sprop')
    """
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", re.sub(r"\W+", "", name))
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base: str) -> str:
    """``base``, then ``base_1``, ``base_2``... as Keras names layers."""
    index = next(_name_counters[base])
    return base if index == 0 else f"{base}_{index}"


@contextmanager
def training_mode(module: nn.Module, training: bool | None) -> Iterator[None]:
    """Run the block with ``module`` in training (``True``) or inference (``False``) mode, then restore its mode.

    ``None`` leaves the mode alone. This is Keras's ``training=`` call argument on a module.

    >>> layer = torch.nn.Dropout(0.5)
    >>> with training_mode(layer, False):
    ...     layer.training
    False
    >>> layer.training
    True
    """
    if training is None or bool(training) == module.training:
        yield
        return
    modes = [(m, m.training) for m in module.modules()]
    module.train(bool(training))
    try:
        yield
    finally:
        for m, mode in modes:
            m.training = mode


def dtype_name(dtype: torch.dtype) -> str:
    """``torch.float32`` -> ``'float32'``.

    >>> dtype_name(torch.bfloat16)
    'bfloat16'
    """
    return str(dtype).removeprefix("torch.")


class _BuildsWhenTheShapeIsKnown(type(nn.Module)):  # type: ignore[misc]
    """Builds a layer right after its construction when Keras's ``input_shape`` & co. declare its input.

    So ``list(Conv2D(4, 3, input_shape=(6, 6, 1)).parameters())`` is complete
    at once, and an optimizer made next sees every weight.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        layer = super().__call__(*args, **kwargs)
        shape = layer.declared_input_shape
        if shape is not None and not layer.built:
            layer.build(shape)
        return layer


class Layer(nn.Module, metaclass=_BuildsWhenTheShapeIsKnown):
    """Base class of every convlayers layer.

    Subclasses implement ``_build(input_shape)`` (create weights with
    :meth:`add_weight`), ``call(x)`` (tensor in, tensor out),
    ``compute_output_shape(input_shape)``, ``_check_input_shape(shape)`` and
    ``_config()`` (their own constructor arguments).

    Keyword arguments every layer accepts: ``name``, ``trainable``, ``dtype``
    (a :mod:`~convlayers.mixed_precision` policy: ``'float32'``, ``'float64'``, ``'float16'``,
    ``'bfloat16'``, ``'mixed_float16'``, ``'mixed_bfloat16'``, a ``torch.dtype``, a
    ``DTypePolicy`` or its Keras config dict; ``None``, the default, takes the global
    policy), ``activity_regularizer``, and Keras's ``input_shape``,
    ``batch_input_shape``, ``batch_size``, ``input_dim`` (the layer builds at once
    for that input, and a model starting with it takes it as its input) and
    ``weights`` (initial weights in Keras layout, set at build).

    >>> from convlayers import Conv2D
    >>> [tuple(p.shape) for p in Conv2D(4, 3, input_shape=(6, 6, 1)).parameters()]
    [(4, 1, 3, 3), (4,)]
    """

    #: Floating layers cast their inputs to the policy's compute dtype, as Keras autocasts.
    casts_inputs = True

    def __init__(
        self,
        *,
        name: str | None = None,
        trainable: bool = True,
        dtype: Any = None,
        activity_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        unknown = sorted(set(kwargs) - _KERAS_KWARGS)
        if unknown:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {unknown}. "
                f"Allowed beyond the layer's own arguments: name, trainable, dtype, "
                f"activity_regularizer, {', '.join(sorted(_KERAS_KWARGS))}."
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: `name` must be a string. Received name={name!r}.")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._dtype_policy = mixed_precision.get(dtype, self.owner)
        self.activity_regularizer = self.resolve_option(regularizers, "activity_regularizer", activity_regularizer)
        self.built = False
        self._trainable = bool(trainable)
        self._weight_records: list[Weight] = []
        self._activity_losses: list[torch.Tensor] = []
        self._build_input_shape: Shape | None = None
        #: Where `add_weight` creates weights while `build` runs (None: torch's default device).
        self._weights_device: torch.device | None = None
        self._call_plans: dict[tuple[Any, ...], Callable[[torch.Tensor], torch.Tensor]] = {}
        self._keras_kwargs = {k: v for k, v in kwargs.items() if k != "weights"}
        self._initial_weights = kwargs.get("weights")
        #: The calls on KerasTensors (:class:`~convlayers.layers.symbolic.Node`), in order.
        self._inbound_nodes: list[symbolic.Node] = []

    @property
    def build_input_shape(self) -> Shape | None:
        """The input shape the layer was built for (``None`` before it is built)."""
        return self._build_input_shape

    @property
    def weight_specs(self) -> tuple[Weight, ...]:
        """What each weight is (name, Keras shape, storage layout, regularizer, ...), in Keras's order."""
        return tuple(self._weight_records)

    @property
    def declared_input_shape(self) -> Shape | None:
        """The batch shape Keras's ``batch_input_shape``, ``input_shape`` or ``input_dim`` declared, if any."""
        kwargs = self._keras_kwargs
        if kwargs.get("batch_input_shape") is not None:
            return tuple(kwargs["batch_input_shape"])
        if kwargs.get("input_shape") is not None:
            return (kwargs.get("batch_size"),) + tuple(kwargs["input_shape"])
        if kwargs.get("input_dim") is not None:
            return (kwargs.get("batch_size"), kwargs["input_dim"])
        return None

    # -- dtypes ---------------------------------------------------------------------------
    @property
    def dtype_policy(self) -> mixed_precision.DTypePolicy:
        """The layer's :class:`~convlayers.mixed_precision.DTypePolicy`."""
        return self._dtype_policy

    @property
    def dtype(self) -> torch.dtype:
        """The weights' dtype (the policy's variable dtype) as a ``torch.dtype``."""
        return self._dtype_policy.variable_torch_dtype

    @property
    def variable_dtype(self) -> str:
        """The weights' dtype by name, as Keras: ``'float32'`` under ``'mixed_bfloat16'``."""
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self) -> str:
        """The dtype inputs are cast to and outputs come in, by name: ``'bfloat16'`` under ``'mixed_bfloat16'``."""
        return self._dtype_policy.compute_dtype

    # -- identity -------------------------------------------------------------------------
    @property
    def owner(self) -> str:
        """How error messages name this layer: class and name."""
        return f"{type(self).__name__} {getattr(self, 'name', None) or ''!r}".replace(" ''", "")

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for parameter in self.parameters():
            parameter.requires_grad_(self._trainable)

    def resolve_option(self, registry: Any, argument: str, value: Any) -> Any:
        """``registry.get(value)``, or its error naming this layer and ``argument``.

        ``registry``: :mod:`~convlayers.activations`, :mod:`~convlayers.initializers`,
        :mod:`~convlayers.regularizers` or :mod:`~convlayers.constraints`.
        """
        try:
            return registry.get(value)
        except (ValueError, TypeError) as error:
            raise type(error)(f"{self.owner}: invalid `{argument}`: {error}") from None

    # -- building ---------------------------------------------------------------------------
    def build(self, input_shape: Sequence[int | None], device: torch.device | str | None = None) -> None:
        """Create the weights for inputs of ``input_shape`` (batch dims included); once: a built layer only checks it.

        The weights are created on ``device`` (torch's default device when ``None``); a
        first call builds the layer on its input's device.

        >>> from convlayers import Dense
        >>> layer = Dense(3)
        >>> layer.build((None, 4), device="meta")
        >>> layer.kernel.device, layer.kernel.shape
        (device(type='meta'), torch.Size([3, 4]))
        """
        shape = tuple(None if d is None else int(d) for d in input_shape)
        self._check_input_shape(shape)
        if self.built:
            return
        # `_build` creates the weights through `add_weight`, which reads the device here;
        # subclasses' `_build(input_shape)` need not pass it along.
        self._weights_device = None if device is None else torch.device(device)
        try:
            self._build(shape)
        finally:
            self._weights_device = None
        self.built = True
        self._build_input_shape = shape
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def _apply(self, fn: Callable[[torch.Tensor], torch.Tensor], *args: Any, **kwargs: Any) -> Layer:
        """As ``nn.Module``'s (``.double()``, ``.half()``, ``.to(dtype)``, ``.cuda()``), and the layer's policy follows.

        The layer casts its inputs to its compute dtype and creates weights in its
        variable dtype, so a module converted the torch way takes the plain policy
        of its new dtype and computes in it; a move to a device, or a conversion to
        the dtype it already stores (``.float()`` of a ``mixed_bfloat16`` layer),
        keeps the policy.
        """
        super()._apply(fn, *args, **kwargs)
        tensors = [t for t in itertools.chain(self.parameters(recurse=False), self.buffers(recurse=False)) if t.is_floating_point()]
        converted = tensors[0].dtype if tensors else fn(torch.empty(0, dtype=self.dtype)).dtype
        name = dtype_name(converted)
        if converted != self.dtype and name in mixed_precision.POLICY_NAMES:
            self._dtype_policy = mixed_precision.DTypePolicy(name)
        return self

    def _load_from_state_dict(self, state_dict: Mapping[str, Any], prefix: str, *args: Any) -> None:
        """As ``nn.Module``'s, but an unbuilt layer given weights says to build it first (it has nowhere to put them)."""
        own = [key for key in state_dict if key.startswith(prefix) and "." not in key[len(prefix):]]
        if own and not self.built:
            raise ValueError(
                f"{self.owner}: cannot load {own} into a layer that is not built yet (its weights' shapes come from "
                f"its input). Build it first: `layer.build(input_shape)`, one call on an input, or `input_shape=` "
                f"at construction."
            )
        super()._load_from_state_dict(state_dict, prefix, *args)

    def _build(self, input_shape: Shape) -> None:
        """Create weights; layers without weights need nothing here."""

    def _check_input_shape(self, shape: Shape) -> None:
        """Raise a ``ValueError`` naming the layer if ``shape`` cannot be processed."""

    def add_weight(
        self,
        name: str,
        keras_shape: tuple[int, ...],
        *,
        initializer: Callable[..., Any],
        layout: WeightLayout = WeightLayout(),
        regularizer: Callable[[torch.Tensor], torch.Tensor] | None = None,
        constraint: Callable[[torch.Tensor], torch.Tensor] | None = None,
        trainable: bool = True,
    ) -> torch.Tensor:
        """Create, register and return a weight; Keras sees it as ``keras_shape``.

        A trainable weight is an ``nn.Parameter``; a non-trainable one (state the
        layer updates itself, such as moving statistics) is a buffer, so
        optimizers never see it while ``state_dict`` still holds it.
        """
        record = Weight(name, tuple(keras_shape), layout, regularizer, constraint, trainable)
        value = initial_value(initializer, record, self.dtype, self._weights_device)
        # A placeholder registered as None in __init__ (an optional bias) would keep its
        # early slot; re-inserting puts state_dict in Keras's weight order.
        self._parameters.pop(name, None)
        if trainable:
            self.register_parameter(name, nn.Parameter(value, requires_grad=self._trainable))
        else:
            self.register_buffer(name, value)
        self._weight_records.append(record)
        return getattr(self, name)

    # -- calling ----------------------------------------------------------------------------
    def forward(self, inputs: Any, training: bool | None = None) -> Any:
        """Apply the layer: a tensor gives a tensor (autograd intact), an array gives an array.

        A KerasTensor (from :func:`~convlayers.Input` or another layer's symbolic call)
        gives a KerasTensor: the layer is built for its shape, the output shape inferred
        and the call recorded, with no data (see :mod:`~convlayers.layers.symbolic`).

        ``training``: ``True`` or ``False`` runs this call in training or inference mode
        and then restores the module's mode; ``None`` (the default) follows the mode
        (``module.train()``/``.eval()``), as in PyTorch. NumPy calls run in inference
        mode unless ``training=True``.

        A layer that computes refuses complex inputs with a ``TypeError``. A
        bfloat16 layer returns NumPy callers float32 arrays (NumPy has no bfloat16;
        every value is exact).

        The first call on an input shape, dtype and device checks the input,
        builds the layer if needed and resolves the call into a step (cast,
        pads, lowering: :meth:`_plan_call`); later calls look the step up and
        run it.
        """
        if not isinstance(inputs, torch.Tensor):
            return self._forward_other(inputs, training)
        if training is not None:
            with training_mode(self, training):
                return self.forward(inputs)
        key = (inputs.shape, inputs.dtype, inputs.device, self._dtype_policy)
        step = None if _recording() else self._call_plans.get(key)
        if step is None:
            step = self._prepare_call(inputs)
        y = step(inputs)
        if self.activity_regularizer:
            self._activity_losses = [self.activity_loss(y)]
        elif self._activity_losses:  # assigning through nn.Module costs a few microseconds: only on change
            self._activity_losses = []
        return y

    def activity_loss(self, y: torch.Tensor) -> torch.Tensor:
        """The activity regularizer's term for the output ``y``, divided by the batch size as Keras 3 does.

        Keras 3 divides it so that its strength does not depend on the batch size.

        >>> import torch, convlayers
        >>> layer = convlayers.Activation("linear", activity_regularizer=convlayers.regularizers.L1(0.5))
        >>> float(layer.activity_loss(torch.ones(4, 3)))  # 0.5 * 12 / 4
        1.5
        """
        term = self.activity_regularizer(y)
        return term / y.shape[0] if y.ndim > 0 and y.shape[0] > 0 else term

    def _forward_other(self, inputs: Any, training: bool | None) -> Any:
        """:meth:`forward` for what is not a tensor: KerasTensors (a symbolic call), else NumPy arrays."""
        if symbolic.is_symbolic(inputs):
            kwargs = {} if training is None else {"training": training}
            return symbolic.call_symbolic(self, inputs, kwargs, self._symbolic_outputs)
        with training_mode(self, training):
            return self._forward_array(inputs)

    def _symbolic_outputs(self, inputs: Any) -> Any:
        """Build the layer for a KerasTensor's shape and return its output KerasTensor (no data: a bad shape raises here)."""
        if not isinstance(inputs, symbolic.KerasTensor):
            raise TypeError(
                f"{self.owner}: expected one input tensor; merge layers (Add, Concatenate...) take lists. "
                f"Received: {inputs!r}."
            )
        self.build(inputs.shape)  # a built layer only checks the shape
        dtype = self.compute_dtype if self.casts_inputs else inputs.dtype
        return symbolic.KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    def _forward_array(self, inputs: Any) -> np.ndarray:
        """:meth:`forward` for a NumPy array (or nested lists): no gradient, a new array out."""
        x = arrays.to_tensor(inputs, self.owner)
        with torch.no_grad():
            y = self.forward(x)
        # A layer may return a view of its input (cropping does); a NumPy caller gets a
        # new array, as from Keras, never one that aliases the array it passed in.
        if y.untyped_storage().data_ptr() == x.untyped_storage().data_ptr():
            y = y.clone()
        return arrays.to_numpy(y)

    def _prepare_call(self, x: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
        """Check ``x``'s shape (building the layer on the first call) and return the step that computes it.

        The step is remembered under ``x``'s shape, dtype and device and the
        layer's dtype policy, except while ``torch.jit.trace`` or ``torch.compile``
        records: a trace records the step's torch ops for its own input and
        keeps nothing. A few steps are kept (a model sees one or two shapes);
        beyond that the cache starts over, bounding its memory. A bad shape
        raises here, every time: it is never remembered.
        """
        policy = self._dtype_policy
        key = (x.shape, x.dtype, x.device, policy)
        compute = policy.compute_torch_dtype
        cast = self.casts_inputs and x.dtype != compute
        if cast:
            arrays.check_real(x, self.owner)
        shape = ops.static_sizes(x.shape)
        if not self.built:
            self.build(shape, device=x.device)
        else:
            self._check_input_shape(shape)
        dtype = compute if cast else x.dtype
        run = self._plan_call(shape, dtype, x.device)
        if policy.is_mixed and self.casts_inputs:
            run = self._in_policy(run, compute)
        step = (lambda t: run(t.to(dtype))) if cast else run
        if not _recording():
            if len(self._call_plans) >= _PLANS_KEPT:
                self._call_plans.clear()
            self._call_plans[key] = step
        return step

    def _plan_call(self, shape: Shape, dtype: torch.dtype, device: torch.device) -> Callable[[torch.Tensor], torch.Tensor]:
        """The computation of :meth:`call` for inputs of ``shape`` (checked), ``dtype`` and ``device``.

        Layers whose call resolves pads, layouts or a lowering per shape
        override this to do that work once and return a function that only
        runs the torch ops. The step may keep only what ``shape``, ``dtype``,
        ``device`` and the layer's fixed configuration determine: weights,
        ``training`` and ``activation`` are read when it runs, so new weights
        (``set_weights``, ``load_state_dict``) and mode switches take effect.
        """
        return self.call

    def _in_policy(
        self, run: Callable[[torch.Tensor], torch.Tensor], compute: torch.dtype
    ) -> Callable[[torch.Tensor], torch.Tensor]:
        """``run`` (a step of :meth:`_plan_call`) under a mixed policy computing in ``compute``.

        Under a mixed policy the weights are stored in float32 and ``call`` reads them
        in the compute dtype, as Keras reads variables inside ``call``: each floating
        parameter is cast for the call's duration (autograd carries the gradient back
        to the float32 parameter). ``torch.autocast`` alone would not do: on CPU it
        leaves elementwise work (a bias add) in float32, and a custom autograd
        function (ops' windowed transposed conv) saves the float32 weight, which then
        meets a low-precision gradient in its backward, and oneDNN refuses the pair.
        The call still runs under autocast, for the ops without low-precision CPU
        kernels that autocast computes in float32 (``avg_pool3d`` has no bfloat16 one).
        Buffers keep their dtype: BatchNormalization updates its moving statistics in
        place and computes against them in float32, as Keras's does under mixed
        policies. So the output is cast to the compute dtype, as Keras returns it.
        Layers that do not cast their inputs (they move data, or cast in their own
        ``call``) keep their own dtype rules.
        """
        stored = self._parameters

        def run_in_policy(x: torch.Tensor) -> torch.Tensor:
            # Only real parameters are swapped, and only those are put back: a concurrent call
            # that finds this call's casts in place leaves them alone instead of keeping them.
            originals = {name: p for name, p in stored.items() if isinstance(p, nn.Parameter) and p.is_floating_point()}
            try:
                for name, parameter in originals.items():
                    stored[name] = parameter.to(compute)
                with torch.autocast(x.device.type, dtype=compute):
                    y = run(x)
            finally:
                stored.update(originals)
            return y.to(compute) if y.is_floating_point() else y

        return run_in_policy

    def __getstate__(self) -> dict[str, Any]:
        """As ``nn.Module``'s, without the call steps (they close over this layer, not over a copy) or symbolic calls."""
        state = super().__getstate__()
        # A copy is a new, unconnected layer (as a Keras clone is): its calls on KerasTensors
        # stay with the original, and would otherwise drag the graph upstream of it along.
        # An InputLayer's own node (no inputs) is kept: its output tensor is part of it.
        return {**state, "_call_plans": {}, "_inbound_nodes": [n for n in self._inbound_nodes if n.is_input]}

    def call(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        raise NotImplementedError

    # -- weights ---------------------------------------------------------------------------
    def _require_built(self, what: str) -> None:
        if not self.built:
            raise ValueError(
                f"{self.owner}: cannot {what} before the layer is built; call it on data "
                f"or call `build(input_shape)` first."
            )

    def _parameters_in_order(self) -> list[tuple[Weight, torch.Tensor]]:
        return [(record, getattr(self, record.name)) for record in self._weight_records]

    @property
    def weights(self) -> list[torch.Tensor]:
        """Every weight (parameters and state buffers) in Keras's weight order."""
        return [value for _, value in self._parameters_in_order()]

    @property
    def trainable_weights(self) -> list[nn.Parameter]:
        """The weights an optimizer updates (none while the layer is frozen)."""
        if not self.trainable:
            return []
        return [value for record, value in self._parameters_in_order() if record.trainable]

    @property
    def non_trainable_weights(self) -> list[torch.Tensor]:
        """State weights, and every weight while the layer is frozen."""
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in trainable]

    def get_weights(self) -> list[np.ndarray]:
        """The weights as NumPy arrays in Keras layout and order (e.g. ``[kernel, bias]``); bfloat16 as float32."""
        return [
            arrays.to_numpy(record.layout.to_keras(parameter)).copy()
            for record, parameter in self._parameters_in_order()
        ]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set every weight from arrays in Keras layout; nothing changes unless all fit."""
        self._require_built("set weights")
        records = self._weight_records
        expected = "[" + ", ".join(r.describe() for r in records) + "]"
        if isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence):
            raise TypeError(f"{self.owner}: set_weights expects a list of arrays {expected}. Received {type(weights).__name__}.")
        if len(weights) != len(records):
            raise ValueError(
                f"{self.owner}: set_weights expects {len(records)} arrays {expected}. "
                f"Received {len(weights)} arrays."
            )
        arrays = [np.asarray(w) for w in weights]
        for record, array in zip(records, arrays):
            if tuple(array.shape) != record.keras_shape:
                raise ValueError(
                    f"{self.owner}: weight `{record.name}` must have shape {record.keras_shape} "
                    f"(Keras layout). Received an array of shape {tuple(array.shape)}."
                )
        with torch.no_grad():
            for (record, parameter), array in zip(self._parameters_in_order(), arrays):
                value = torch.as_tensor(array, dtype=parameter.dtype, device=parameter.device)
                parameter.copy_(record.layout.to_storage(value))

    def count_params(self) -> int:
        """The number of scalars in the layer's weights."""
        self._require_built("count its parameters")
        return sum(p.numel() for p in self.weights)

    # -- regularization and constraints -----------------------------------------------------
    @property
    def losses(self) -> list[torch.Tensor]:
        """Weight-regularization terms (from the current weights), then the activity terms of the last call."""
        terms = [
            record.regularizer(record.layout.to_keras(parameter))
            for record, parameter in self._parameters_in_order()
            if record.regularizer is not None
        ]
        return terms + list(self._activity_losses)

    def apply_constraints(self) -> None:
        """Project constrained weights back onto their sets (call after each optimizer step)."""
        with torch.no_grad():
            for record, parameter in self._parameters_in_order():
                if record.constraint is not None:
                    keras_value = record.constraint(record.layout.to_keras(parameter))
                    parameter.copy_(record.layout.to_storage(keras_value))

    # -- configuration ----------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Keras-3-style config: ``name``, ``trainable``, ``dtype``, then the layer's arguments."""
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": mixed_precision.serialize(self._dtype_policy),
        }
        config.update(self._config())
        if self.activity_regularizer is not None and "activity_regularizer" not in config:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    def _config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Layer":
        """Rebuild a layer from :meth:`get_config`'s output."""
        return cls(**config)

    def extra_repr(self) -> str:
        return f"name={self.name!r}"
