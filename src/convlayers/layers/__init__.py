"""Layer classes: Keras-style, N-d, each family written once."""

from .base import Layer
from .conv import Conv, Conv1D, Conv2D, Conv3D, Convolution1D, Convolution2D, Convolution3D
from .spatial import SpatialLayer

__all__ = [
    "Conv",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Convolution1D",
    "Convolution2D",
    "Convolution3D",
    "Layer",
    "SpatialLayer",
]
