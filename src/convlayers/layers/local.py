"""Locally connected layers: a convolution whose weights are not shared across positions (tf.keras 2's)."""

from __future__ import annotations

from typing import Any, Callable

import torch

from .. import ops
from .arguments import DATA_FORMAT, Argument, ArgumentTable, Context, DeclaredArguments, padding, weight_options
from .base import Shape
from .channels import check_input_channels
from .conv_base import FILTERS, KERNEL_SIZE, STRIDES
from .options import SpecWeights
from .spec import LocalSpec
from .window import WindowLayer


def _implementation(value: Any, c: Context) -> int:
    # Keras's 2 (a dense masked kernel) and 3 (a sparse one) store other weight shapes; 1 is the only
    # layout kept here, so a config asking for another is refused rather than silently re-laid out.
    if value != 1 or isinstance(value, bool):
        raise ValueError(
            f"{c.owner}: only `implementation=1` (Keras's per-position kernel layout "
            f"(positions, prod(kernel_size) * channels, filters)) is supported. Received implementation={value!r}."
        )
    return 1


class LocallyConnected(SpecWeights, DeclaredArguments, WindowLayer):
    """N-d locally connected layer: a convolution with a different kernel and bias at every output position.

    Args:
        filters: number of output channels.
        kernel_size: int or ``rank`` ints.
        strides: int or ``rank`` ints.
        padding: ``'valid'`` (Keras's only choice for implementation 1), or any padding of
            :class:`Conv` (``'same'``, explicit pairs, DL4J's ``Same`` rule...): the positions, and so
            the kernel's rows, follow the padded output.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint: as :class:`Conv`'s.
        implementation: ``1``, Keras's per-position kernels (the others store other weights).

    Weights (Keras 2's layout): ``kernel (positions, prod(kernel_size) * channels, filters)``, positions
    in row-major order, each row's features in the input's C order (``(*kernel_size, channels)``
    channels last, ``(channels, *kernel_size)`` channels first); ``bias (*out_spatial, filters)``.
    The spatial input sizes must be known when the layer builds, and stay those.

    Input ``(batch, *spatial, channels)`` (or channels first); output ``(batch, *out_spatial, filters)``.
    """

    spec_type = LocalSpec
    spec: LocalSpec
    arguments = ArgumentTable(
        FILTERS, KERNEL_SIZE, STRIDES, padding(), DATA_FORMAT,
        *weight_options(("kernel", "glorot_uniform"), ("bias", "zeros")),
        Argument("implementation", 1, _implementation),
    )

    def spec_from_arguments(self, values: dict[str, Any]) -> LocalSpec:
        return LocalSpec.from_values(values, ("kernel", "bias"), rank=self.rank)

    def _build(self, input_shape: Shape) -> None:
        _, spatial, channels = self.split_shape(input_shape)
        self.input_channels = channels
        self._add_spec_weights(self.spec.weights(channels, spatial))  # type: ignore[arg-type]

    def _check_input_shape(self, shape: Shape) -> None:
        self._check_rank(shape)
        check_input_channels(self, shape)
        _, spatial, _ = self.split_shape(shape)
        if None in spatial:
            raise ValueError(
                f"{self.owner}: the spatial sizes of its input must be known (it has weights for each output "
                f"position). Received input shape {shape}."
            )
        if self.built:
            _, built, _ = self.split_shape(self.build_input_shape)  # type: ignore[arg-type]
            if spatial != built:
                raise ValueError(
                    f"{self.owner}: it was built for spatial sizes {built} (its weights are per position). "
                    f"Received input shape {shape}."
                )
        self._check_window_fits(shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The output shape for ``input_shape``."""
        shape = tuple(input_shape)
        self._check_rank(shape)
        self._check_window_fits(shape)
        lead, spatial, _ = self.split_shape(shape)
        return self.join_shape(lead, self.geometry.output_sizes(spatial), self.filters)

    def _plan_call(self, shape: Shape, dtype: torch.dtype, device: torch.device) -> Callable[[torch.Tensor], torch.Tensor]:
        _, spatial, _ = self.split_shape(shape)
        pads = self.geometry.pads(spatial)
        window = dict(kernel_size=self.spec.kernel_size, strides=self.spec.strides, pads=pads, channels_last=self.channels_last)
        weights = self._parameters  # read at each call: set_weights and load_state_dict take effect

        def step(x: torch.Tensor) -> torch.Tensor:
            return self.activation(ops.locally_connected(x, weights["kernel"], weights["bias"], **window))

        return ops.precision.where_needed(device.type, dtype, step)  # no TF32 on CUDA unless enabled


class LocallyConnected1D(LocallyConnected):
    """Locally connected layer over ``(batch, steps, channels)`` (tf.keras 2's ``LocallyConnected1D``).

    See :class:`LocallyConnected`.

    >>> import numpy as np
    >>> layer = LocallyConnected1D(4, 3, strides=2)
    >>> layer(np.zeros((2, 9, 5), "float32")).shape, [w.shape for w in layer.get_weights()]
    ((2, 4, 4), [(4, 15, 4), (4, 4)])
    """

    rank = 1


class LocallyConnected2D(LocallyConnected):
    """Locally connected layer over ``(batch, rows, cols, channels)`` (tf.keras 2's ``LocallyConnected2D``).

    See :class:`LocallyConnected`.

    >>> import numpy as np
    >>> layer = LocallyConnected2D(8, 3, data_format="channels_first")
    >>> layer(np.zeros((1, 2, 6, 5), "float32")).shape, [w.shape for w in layer.get_weights()]
    ((1, 8, 4, 3), [(12, 18, 8), (4, 3, 8)])
    """

    rank = 2
