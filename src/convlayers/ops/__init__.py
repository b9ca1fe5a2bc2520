"""Functional kernels on tensors: the only place that calls torch's convolution kernels.

Inputs and outputs are in the user's layout (``channels_last`` or
``channels_first``); padding arrives as explicit per-side pairs. How each
operation is lowered onto torch (layout, padding, algorithm) is decided here
and nowhere else.
"""

from . import precision
from .blocks import space_to_batch, space_to_depth
from .conv import ConvCall, conv, conv_call
from .crop_pad import crop, pad
from .conv_transpose import ConvTransposeCall, conv_transpose, conv_transpose_call
from .local import locally_connected
from .layout import flatten_batch, static_sizes, torch_pad_order, unflatten_batch
from .pool import average_pool, global_average_pool, global_max_pool, max_pool, pool_call
from .resample import resize, upsample

__all__ = [
    "crop",
    "pad",
    "resize",
    "upsample",
    "average_pool",
    "conv",
    "conv_call",
    "ConvCall",
    "conv_transpose",
    "conv_transpose_call",
    "ConvTransposeCall",
    "flatten_batch",
    "global_average_pool",
    "global_max_pool",
    "locally_connected",
    "max_pool",
    "pool_call",
    "precision",
    "space_to_batch",
    "space_to_depth",
    "static_sizes",
    "torch_pad_order",
    "unflatten_batch",
]
