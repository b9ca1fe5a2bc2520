"""Sliding-window layers (convolution, pooling): the window from the spec, the check that it fits the input."""

from __future__ import annotations

from typing import Any

from ..geometry import WindowGeometry
from .base import Shape
from .spatial import SpatialLayer


class WindowLayer(SpatialLayer):
    """A spatial layer with a sliding window, described by its ``spec``: validates that the window fits the input."""

    spec: Any
    geometry: WindowGeometry = property(lambda self: self.spec.geometry)  # type: ignore[assignment]
    #: Keras's spelling of the padding (``'same'``, explicit pairs), or the rule where Keras has none;
    #: ``geometry.padding`` (and ``spec.padding``) is always the :class:`~convlayers.geometry.PaddingRule`.
    padding = property(lambda self: self.spec.padding.spelling)

    def _window_text(self, axis: int) -> str:
        """How the error names the window's arguments along ``axis``."""
        return (
            f"kernel_size={self.geometry.kernel_size[axis]}, "
            f"dilation_rate={self.geometry.dilation_rate[axis]}"
        )

    def _check_window_fits(self, shape: Shape) -> None:
        _, spatial, _ = self.split_shape(shape)
        try:
            outputs = self.geometry.output_sizes(spatial)
        except ValueError as error:  # a rule that refuses this input size (DL4J's Strict)
            raise ValueError(f"{self.owner}: {error} Received input shape {shape}.") from None
        for axis, (size, out) in enumerate(zip(spatial, outputs)):
            if out is not None and out <= 0:
                span = self.geometry.effective_kernel_size[axis]
                raise ValueError(
                    f"{self.owner}: the window does not fit the input along spatial dim {axis + 1}: "
                    f"input size {size} with padding {self.geometry.pads(spatial)[axis]} is smaller than the effective "
                    f"window {span} ({self._window_text(axis)}); computed output size "
                    f"would be {out}. Received input shape {shape}, padding={self.geometry.padding!r}."
                )

    def _check_input_shape(self, shape: Shape) -> None:
        super()._check_input_shape(shape)
        self._check_window_fits(shape)
