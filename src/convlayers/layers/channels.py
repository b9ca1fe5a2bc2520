"""The input-channel checks shared by every layer whose weights depend on the channel count."""

from __future__ import annotations

from .base import Shape
from .spatial import SpatialLayer


def check_input_channels(layer: SpatialLayer, shape: Shape, *, groups: int = 1) -> int:
    """Return the channel count of ``shape``; raise if it is unknown, differs from the built one, or splits unevenly.

    ``layer.input_channels`` (set at build) is the count the weights were made for.

    >>> from convlayers import Conv2D
    >>> check_input_channels(Conv2D(4, 3), (1, 5, 5, 6), groups=2)
    6
    """
    _, _, channels = layer.split_shape(shape)
    if channels is None:
        raise ValueError(f"{layer.owner}: the channel dimension of the input must be known. Received input shape {shape}.")
    if layer.built and channels != layer.input_channels:
        raise ValueError(
            f"{layer.owner}: the layer was built for inputs with {layer.input_channels} channels "
            f"but received an input of shape {shape} with {channels} channels "
            f"(data_format={layer.data_format!r})."
        )
    if channels % groups:
        raise ValueError(
            f"{layer.owner}: the number of input channels must be evenly divisible by the number "
            f"of groups. Received groups={groups}, but the input has {channels} channels "
            f"(full input shape is {shape})."
        )
    return channels
