"""``NetEncoder("Image", ...)``: images into the arrays a net's ``Input`` port takes (reference A2.5).

An image encoder on a net's ``Input`` lets the net take PIL images: each is
resized to ``(w, h)`` (bilinear; Wolfram's own resampling filter is not in the
reference), converted to the colour space, and scaled to ``[0, 1]``, giving
``(3, h, w)`` (``(1, h, w)`` for ``"Grayscale"``; ``(h, w, c)`` with
``Interleaving=True``). Note the size is ``{width, height}``, as Wolfram's.
PIL (Pillow) is optional: it is imported only when an image arrives.

>>> from convlayers.wolfram import ConvolutionLayer, NetEncoder
>>> encoder = NetEncoder("Image", (32, 24), ColorSpace="Grayscale")
>>> encoder.dims, ConvolutionLayer(4, 3, Input=encoder).output_dims
((1, 24, 32), (4, 22, 30))
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

#: Wolfram's colour spaces and PIL's modes for them.
COLOR_SPACES = {"RGB": "RGB", "Grayscale": "L"}


def is_image(data: Any) -> bool:
    """Whether ``data`` is a PIL image (without importing PIL: an image's module is loaded already)."""
    module = sys.modules.get("PIL.Image")
    return module is not None and isinstance(data, module.Image)


class NetEncoder:
    """Wolfram's ``NetEncoder[{"Image", {w, h}, ColorSpace -> cs}]``; give it as a net's ``Input``.

    Args:
        kind: ``"Image"`` (the only encoder provided).
        size: ``(width, height)``, positive integers.
        ColorSpace: ``"RGB"`` (default, 3 channels) or ``"Grayscale"`` (1).
        Interleaving: channels last (``(h, w, c)``) instead of first.

    >>> NetEncoder("Image", (4, 2)).dims
    (3, 2, 4)
    >>> NetEncoder("Audio", (4, 2))
    Traceback (most recent call last):
    ...
    ValueError: NetEncoder: only the "Image" encoder is provided; received 'Audio'.
    """

    def __init__(self, kind: str, size: Any, *, ColorSpace: str = "RGB", Interleaving: bool = False) -> None:
        if kind != "Image":
            raise ValueError(f"NetEncoder: only the \"Image\" encoder is provided; received {kind!r}.")
        if not (
            isinstance(size, (list, tuple)) and len(size) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)
        ):
            raise ValueError(f"NetEncoder: the image size should be {{width, height}}, two positive integers; received {size!r}.")
        if ColorSpace not in COLOR_SPACES:
            raise ValueError(f"NetEncoder: ColorSpace should be one of {', '.join(COLOR_SPACES)}; received {ColorSpace!r}.")
        self.width, self.height = int(size[0]), int(size[1])
        self.color_space, self.interleaving = ColorSpace, bool(Interleaving)

    @property
    def dims(self) -> tuple[int, int, int]:
        """The dims of one encoded image: ``(c, h, w)``, or ``(h, w, c)`` interleaved."""
        channels = 3 if self.color_space == "RGB" else 1
        return (self.height, self.width, channels) if self.interleaving else (channels, self.height, self.width)

    def encode(self, image: Any) -> np.ndarray:
        """One PIL image as a float32 array of :attr:`dims`, values in ``[0, 1]``."""
        from PIL import Image  # optional: only an image (which needs PIL already) gets here

        converted = image.convert(COLOR_SPACES[self.color_space])
        if converted.size != (self.width, self.height):
            converted = converted.resize((self.width, self.height), Image.Resampling.BILINEAR)
        pixels = np.asarray(converted, dtype=np.float32) / 255.0  # 8-bit modes: 0..255 onto 0..1
        pixels = pixels.reshape(self.height, self.width, -1)
        return pixels if self.interleaving else pixels.transpose(2, 0, 1)

    def __repr__(self) -> str:
        return f"NetEncoder('Image', ({self.width}, {self.height}), ColorSpace={self.color_space!r})"
