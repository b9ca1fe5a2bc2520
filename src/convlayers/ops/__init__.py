"""Functional kernels on tensors: the only place that calls torch's convolution kernels.

Inputs and outputs are in the user's layout (``channels_last`` or
``channels_first``); padding arrives as explicit per-side pairs. How each
operation is lowered onto torch (layout, padding, algorithm) is decided here
and nowhere else.
"""

from .conv import conv
from .layout import flatten_batch, torch_pad_order, unflatten_batch

__all__ = ["conv", "flatten_batch", "torch_pad_order", "unflatten_batch"]
