"""What every convolution-family layer shares: canonicalisation, the call, the shapes.

Each concrete family (``Conv``, ``DepthwiseConv``, ``SeparableConv``,
``ConvTranspose``) states only its geometry, its weights and its compute; the
per-weight Keras options come from :class:`~.options.WeightOptions`.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from .. import activations, ops
from ..geometry import PADDING_MODES, PaddingRule, normalize_padding, normalize_positive_int, normalize_tuple
from .base import Shape
from .channels import check_input_channels
from .options import WeightOptions
from .window import WindowLayer


class ConvBase(WeightOptions, WindowLayer):
    """Base of ``Conv``, ``DepthwiseConv``, ``SeparableConv`` and ``ConvTranspose``.

    Subclasses set ``weight_roles`` (in Keras's config order), create their
    weights in ``_add_weights(channels)``, compute the pre-activation output of
    a ``rank + 2``-d input in ``convolve(x)``, and map input to output channels
    in ``output_channels``.
    """

    extra_batch_dims = True
    #: Keras's ``groups``: input channels must split evenly into this many groups.
    groups = 1

    kernel_size = property(lambda self: self.geometry.kernel_size)
    strides = property(lambda self: self.geometry.strides)
    dilation_rate = property(lambda self: self.geometry.dilation_rate)
    #: Keras's spelling of the padding (``'same'``, explicit pairs), or the rule where Keras has none;
    #: ``geometry.padding`` is always the :class:`~convlayers.geometry.PaddingRule`.
    padding = property(lambda self: self.geometry.padding.spelling)

    # -- canonicalisation (called from subclasses' __init__) ---------------------------------
    def _normalize_filters(self, filters: Any, groups: Any = 1) -> tuple[int, int]:
        filters = normalize_positive_int(filters, "filters", self.owner)
        groups = normalize_positive_int(groups, "groups", self.owner)
        if filters % groups:
            raise ValueError(
                f"{self.owner}: the number of filters must be evenly divisible by the number of groups. "
                f"Received: groups={groups}, filters={filters}."
            )
        return filters, groups

    def _normalize_window(
        self,
        kernel_size: Any,
        strides: Any,
        dilation_rate: Any,
        padding: Any,
        modes: Sequence[str] = PADDING_MODES,
        dialect_rules: bool = True,
    ) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], PaddingRule]:
        owner, rank = self.owner, self.rank
        return (
            normalize_tuple(kernel_size, rank, "kernel_size", owner),
            normalize_tuple(strides, rank, "strides", owner),
            normalize_tuple(dilation_rate, rank, "dilation_rate", owner),
            normalize_padding(padding, rank, owner, modes=modes, dialect_rules=dialect_rules),
        )

    def _build(self, input_shape: Shape) -> None:
        _, _, channels = self.split_shape(input_shape)
        self.input_channels = channels
        self._add_weights(channels)
        if self.use_bias:
            self._add_role_weight("bias", "bias", (self.output_channels(channels),))

    def _add_weights(self, channels: int) -> None:
        raise NotImplementedError

    # -- shapes and calling ------------------------------------------------------------------
    def output_channels(self, channels: int | None) -> int | None:
        """The number of output channels for ``channels`` input channels."""
        return self.filters

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
