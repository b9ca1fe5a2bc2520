"""What every convolution-family layer shares: its spec, its weights, the call, the shapes.

Each concrete family (``Conv``, ``DepthwiseConv``, ``SeparableConv``,
``ConvTranspose``) states its arguments (an :class:`~.arguments.ArgumentTable`)
and its compute; what it is lives in its :class:`~.spec.ConvSpec`, which also
lists its weights.
"""

from __future__ import annotations

from typing import Any

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


class ConvBase(SpecWeights, DeclaredArguments, WindowLayer):
    """Base of ``Conv``, ``DepthwiseConv``, ``SeparableConv`` and ``ConvTranspose``.

    Subclasses set ``arguments`` and ``spec_kind``, and compute the
    pre-activation output of a ``rank + 2``-d input in ``convolve(x)``.
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

    def convolve(self, x: torch.Tensor, activation: activations.Activation | None) -> torch.Tensor:
        """The output for a ``rank + 2``-d input in the user's layout, ``activation`` applied (``None``: not).

        ``ops.conv`` fuses some elementwise activations into the kernel, so the
        activation travels with the convolution instead of following it.
        """
        raise NotImplementedError

    def call(self, x: torch.Tensor) -> torch.Tensor:
        x, lead = ops.flatten_batch(x, self.rank + 1)
        # Softmax-like activations work on the user's last axis of the whole output: applied here.
        elementwise = self.activation if self.activation.elementwise else None
        y = self.convolve(x, elementwise)
        return ops.unflatten_batch(y if elementwise else self.activation(y), lead)
