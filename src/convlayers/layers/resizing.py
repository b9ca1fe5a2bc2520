"""``Resizing``: rows and columns to any target size (Keras 3's ``keras.layers.Resizing``)."""

from __future__ import annotations

from typing import Any

import torch

from .. import ops
from ..geometry import normalize_positive_int
from .base import Shape
from .reshaping import ReshapingLayer

#: Each ``interpolation`` name and the :func:`convlayers.ops.resize` method that computes it.
INTERPOLATIONS = {"nearest": "nearest", "bilinear": "linear"}


class Resizing(ReshapingLayer):
    """Resize images to ``(height, width)`` (Keras ``Resizing``; any factor, up or down).

    Args:
        height, width: the output's rows and columns (positive ints).
        interpolation: ``'bilinear'`` (default) or ``'nearest'``, Keras's and
            TF's: half-pixel centres, no antialiasing; ``'nearest'`` takes input
            ``floor((o + 1/2) * in / out)``, so an integer upscaling repeats.
        align_corners: beyond Keras, for ``'bilinear'`` only: sample output ``o``
            at input ``o * (in - 1) / (out - 1)``, so the corner pixels map onto
            each other (PyTorch's ``align_corners=True``, Wolfram's ``ResizeLayer``).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input ``(batch, rows, cols, channels)`` (or channels first); output
    ``(batch, height, width, channels)``, in the layer's floating dtype. Not
    provided: Keras's ``crop_to_aspect_ratio``, ``pad_to_aspect_ratio`` and
    ``antialias``.

    >>> import numpy as np
    >>> x = np.array([[[[0.0], [3.0]]]], "float32")  # (batch, 1 row, 2 cols, 1 channel)
    >>> Resizing(1, 4)(x).ravel().tolist()
    [0.0, 0.75, 2.25, 3.0]
    >>> Resizing(1, 4, align_corners=True)(x).ravel().tolist()
    [0.0, 1.0, 2.0, 3.0]
    """

    rank = 2
    # Keras's Resizing outputs floats whatever its input: integer inputs are cast too.
    casts_inputs = True

    def __init__(
        self,
        height: int,
        width: int,
        interpolation: str = "bilinear",
        *,
        align_corners: bool = False,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        owner = self.owner
        self.size = (normalize_positive_int(height, "height", owner), normalize_positive_int(width, "width", owner))
        if interpolation not in INTERPOLATIONS:
            raise ValueError(
                f"{owner}: invalid value for argument `interpolation`. Expected one of {tuple(INTERPOLATIONS)}. "
                f"Received interpolation={interpolation!r}."
            )
        if align_corners and interpolation != "bilinear":
            raise ValueError(
                f"{owner}: `align_corners` applies to interpolation='bilinear' only. "
                f"Received interpolation={interpolation!r}, align_corners=True."
            )
        self.interpolation, self.align_corners = interpolation, bool(align_corners)

    def call(self, x: torch.Tensor) -> torch.Tensor:
        method = INTERPOLATIONS[self.interpolation]
        return ops.resize(x, self.size, method=method, align_corners=self.align_corners, channels_last=self.channels_last)

    def output_sizes(self, spatial: Shape) -> Shape:
        return self.size

    def _config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "height": self.size[0], "width": self.size[1], "interpolation": self.interpolation,
            "data_format": self.data_format,
        }
        # Beyond Keras: written only when set, so Keras's own configs stay Keras's.
        if self.align_corners:
            config["align_corners"] = True
        return config

    def extra_repr(self) -> str:
        return (
            f"name={self.name!r}, size={self.size}, interpolation={self.interpolation!r}, "
            f"align_corners={self.align_corners}, data_format={self.data_format!r}"
        )
