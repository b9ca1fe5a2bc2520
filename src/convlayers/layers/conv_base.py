"""What every convolution-family layer shares: its spec, its weights, the call, the shapes.

Each concrete family (``Conv``, ``DepthwiseConv``, ``SeparableConv``,
``ConvTranspose``) states its arguments (an :class:`~.arguments.ArgumentTable`)
and its compute; what it is lives in its :class:`~.spec.ConvSpec`, which also
lists its weights.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import torch

from .. import activations, ops
from .arguments import DATA_FORMAT, DeclaredArguments, int_tuple, padding, positive_int
from .base import Shape
from .channels import check_input_channels
from .options import SpecWeights
from .spec import CONV_ROLES, ConvSpec
from .window import WindowLayer

FILTERS = positive_int("filters")
KERNEL_SIZE = int_tuple("kernel_size")
STRIDES = int_tuple("strides", 1)
DILATION_RATE = int_tuple("dilation_rate", 1, in_repr=False)
#: The leading rows of ``Conv`` and ``SeparableConv``: Keras's ``filters`` through ``dilation_rate``.
FILTERS_AND_WINDOW = (FILTERS, KERNEL_SIZE, STRIDES, padding(), DATA_FORMAT, DILATION_RATE)

#: A convolution resolved for one input shape: ``(x, activation) -> y`` (see :meth:`ConvBase.convolver`).
Convolve = Callable[[torch.Tensor, "activations.Activation | None"], torch.Tensor]


class ConvBase(SpecWeights, DeclaredArguments, WindowLayer):
    """Base of ``Conv``, ``DepthwiseConv``, ``SeparableConv`` and ``ConvTranspose``.

    Subclasses set ``arguments`` and ``spec_kind``, and resolve their
    computation on a ``rank + 2``-d input of a given shape in
    ``convolver(sizes, dtype, device)``.
    """

    extra_batch_dims = True
    spec_type = ConvSpec
    spec: ConvSpec

    #: Keras's ``groups``: input channels must split evenly into this many groups (1 for the depthwise kinds).
    groups = property(lambda self: self.spec.groups)

    def spec_from_arguments(self, values: dict[str, Any]) -> ConvSpec:
        return ConvSpec.from_values(values, CONV_ROLES[self.spec_kind], kind=self.spec_kind, rank=self.rank)

    def _build(self, input_shape: Shape) -> None:
        _, _, channels = self.split_shape(input_shape)
        self.input_channels = channels
        self._add_spec_weights(self.spec.weights(channels))

    # -- shapes and calling ------------------------------------------------------------------
    def output_channels(self, channels: int | None) -> int | None:
        """The number of output channels for ``channels`` input channels."""
        return self.spec.output_channels(channels)

    def _check_fits(self, shape: Shape) -> None:
        self._check_window_fits(shape)

    def _check_input_shape(self, shape: Shape) -> None:
        self._check_rank(shape)
        check_input_channels(self, shape, groups=self.groups)
        self._check_fits(shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The output shape for ``input_shape`` (``None`` dims stay unknown)."""
        shape = tuple(input_shape)
        self._check_rank(shape)
        self._check_fits(shape)
        lead, spatial, channels = self.split_shape(shape)
        return self.join_shape(lead, self.geometry.output_sizes(spatial), self.output_channels(channels))

    def convolver(self, sizes: tuple[int, ...], dtype: torch.dtype, device: torch.device) -> Convolve:
        """The convolution of ``rank + 2``-d inputs of ``sizes`` (batch, then spatial) in the user's layout.

        It is resolved once per shape (pads, lowering) and returns a function
        ``(x, activation) -> y`` that reads the weights when it runs and applies
        ``activation`` (``None``: none): ``ops.conv`` fuses some elementwise
        activations into the kernel, so the activation travels with the
        convolution instead of following it.
        """
        raise NotImplementedError

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return self._plan_call(ops.static_sizes(x.shape), x.dtype, x.device)(x)

    def _plan_call(self, shape: Shape, dtype: torch.dtype, device: torch.device) -> Callable[[torch.Tensor], torch.Tensor]:
        """Fold extra leading batch dims, convolve (as :meth:`convolver` resolved it), apply the activation."""
        lead, spatial, _ = self.split_shape(shape)
        example = shape[len(lead):]
        convolve = self.convolver((math.prod(lead),) + spatial, dtype, device)
        linear = activations.get(None)

        def step(x: torch.Tensor) -> torch.Tensor:
            if len(lead) != 1:
                x = x.reshape((-1,) + example)
            activation = self.activation
            if activation is linear:  # the identity, skipped
                y = convolve(x, None)
            elif activation.elementwise:
                y = convolve(x, activation)
            else:  # softmax-like activations work on the user's last axis of the whole output: applied here
                y = activation(convolve(x, None))
            return y if len(lead) == 1 else y.reshape(lead + y.shape[1:])

        return step
