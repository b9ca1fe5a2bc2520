"""``Lambda``: a function of tensors as a layer, for models built in code (Keras ``Lambda``)."""

from __future__ import annotations

import inspect
from typing import Any, Callable, Sequence

import torch

from .base import Layer, Shape


def _accepts(function: Callable[..., Any], name: str) -> bool:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return False
    return name in parameters


class Lambda(Layer):
    """Wraps ``function`` as a layer (Keras ``Lambda``): ``y = function(x, **arguments)``.

    The function receives **torch tensors** (not Keras or NumPy arrays), so write it with
    torch operations (``lambda t: t * 2``, ``torch.nn.functional.normalize``, ``t.mean(1)``);
    autograd runs through it. A floating input is first cast to the layer's compute dtype
    (integer inputs are kept), as Keras autocasts. A function with a ``training`` parameter
    receives the call's mode (``self.training``), one with a ``mask`` parameter ``None``.

    A ``Lambda`` is for models built in code: its function is Python code, so a model
    holding one is never written to a model file (saving refuses, naming the layer) and
    the file loaders refuse ``Lambda`` entries; save its weights instead, or make the step
    a layer class (:func:`~convlayers.layers.register_layer_class`).

    Args:
        function: a callable taking a tensor (the layer's input) and returning a tensor.
        output_shape: the output shape without the batch dim (a tuple), a callable
            ``input_shape -> output_shape`` (batch dim included), or ``None``: inferred by
            calling ``function`` on a tensor of the input's shape on the ``meta`` device (no
            data; unknown sizes taken as 1 and reported unknown where they are kept), or on
            zeros when the function needs data.
        mask: stored for Keras's signature and returned by :meth:`compute_mask` (a callable
            ``(inputs, mask) -> mask``, or a fixed value).
        arguments: keyword arguments passed to ``function`` on every call.

    >>> import torch
    >>> double = Lambda(lambda t, k: t * k, arguments={"k": 2.0})
    >>> double(torch.ones(1, 3))
    tensor([[2., 2., 2.]])
    >>> Lambda(lambda t: t.mean(dim=1)).compute_output_shape((None, 4, 5))
    (None, 5)
    """

    casts_inputs = False

    def __init__(
        self,
        function: Callable[..., Any],
        output_shape: Any = None,
        mask: Any = None,
        arguments: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"{self.owner}: `function` must be callable. Received: function={function!r}.")
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(f"{self.owner}: `arguments` must be a dict or None. Received: arguments={arguments!r}.")
        if output_shape is not None and not callable(output_shape):
            if isinstance(output_shape, (str, bytes)) or not isinstance(output_shape, Sequence):
                raise TypeError(
                    f"{self.owner}: `output_shape` must be a tuple (without the batch dim), a callable or None. "
                    f"Received: output_shape={output_shape!r}."
                )
            output_shape = tuple(output_shape)
        self.function = function
        self.output_shape = output_shape
        self.mask = mask
        self.arguments = dict(arguments or {})
        self._takes_training = _accepts(function, "training")
        self._takes_mask = _accepts(function, "mask")

    def call(self, x: torch.Tensor) -> torch.Tensor:
        compute = self.dtype_policy.compute_torch_dtype
        if x.is_floating_point() and x.dtype != compute:
            x = x.to(compute)
        kwargs = dict(self.arguments)
        if self._takes_training:
            kwargs["training"] = self.training
        if self._takes_mask:
            kwargs["mask"] = None
        return self.function(x, **kwargs)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """The declared ``output_shape`` (with the input's batch dim), or the shape a call on a data-free tensor gives."""
        shape = tuple(input_shape)
        if callable(self.output_shape):
            return tuple(self.output_shape(shape))
        if self.output_shape is not None:
            return (shape[0],) + self.output_shape if shape else self.output_shape
        return self._inferred_shape(shape)

    def _inferred_shape(self, shape: Shape) -> Shape:
        sizes = [1 if d is None else d for d in shape]
        dtype = self.dtype_policy.compute_torch_dtype
        errors = []
        for device in ("meta", "cpu"):
            try:
                with torch.no_grad():
                    y = self.call(torch.zeros(sizes, dtype=dtype, device=device))
                break
            except Exception as error:  # the user's function may raise anything on a data-free tensor
                errors.append(f"{device}: {type(error).__name__}: {error}")
        else:
            raise ValueError(
                f"{self.owner}: could not infer the output shape by calling the function on an input of shape "
                f"{shape} ({'; '.join(errors)}). Pass `output_shape`."
            )
        if not isinstance(y, torch.Tensor):
            raise ValueError(f"{self.owner}: the function must return a tensor. It returned {type(y).__name__}.")
        out = list(y.shape)
        # The batch dim passes through when it is unknown and the function kept it.
        if shape and shape[0] is None and out and out[0] == sizes[0]:
            out[0] = None
        return tuple(out)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """``mask(inputs, mask)`` when ``mask`` is callable, else the fixed ``mask`` (Keras's rule)."""
        return self.mask(inputs, mask) if callable(self.mask) else self.mask

    def get_config(self) -> dict[str, Any]:
        """Refused: a ``Lambda``'s function is Python code, which convlayers never writes into a config or file."""
        raise ValueError(
            f"{self.owner}: a Lambda layer holds Python code (its function), which convlayers never writes to a "
            f"config or model file (the file loaders refuse Lambda layers for the same reason). Save the weights "
            f"only (`save_weights`), or replace the Lambda by a layer class registered with "
            f"convlayers.layers.register_layer_class."
        )

    def extra_repr(self) -> str:
        return f"name={self.name!r}, function={getattr(self.function, '__name__', self.function)!r}"
