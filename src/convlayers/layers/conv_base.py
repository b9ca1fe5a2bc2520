"""What every convolution-family layer shares: canonicalisation, the call, the shapes.

Each concrete family (``Conv``, ``DepthwiseConv``, ``SeparableConv``,
``ConvTranspose``) states only its geometry, its weights and its compute; the
per-weight Keras options come from :class:`~.options.WeightOptions`.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import torch

from .. import activations, ops
from ..geometry import PADDING_MODES, PaddingRule, normalize_padding, normalize_positive_int, normalize_tuple
from .base import Shape
from .channels import check_input_channels
from .options import WeightOptions
from .window import WindowLayer


#: A convolution resolved for one input shape: ``(x, activation) -> y`` (see :meth:`ConvBase.convolver`).
Convolve = Callable[[torch.Tensor, "activations.Activation | None"], torch.Tensor]


class ConvBase(WeightOptions, WindowLayer):
    """Base of ``Conv``, ``DepthwiseConv``, ``SeparableConv`` and ``ConvTranspose``.

    Subclasses set ``weight_roles`` (in Keras's config order), create their
    weights in ``_add_weights(channels)``, resolve their computation on a
    ``rank + 2``-d input of a given shape in ``convolver(sizes, dtype, device)``,
    and map input to output channels in ``output_channels``.
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
