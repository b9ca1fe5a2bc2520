"""Pure integer geometry of convolution-family layers: no torch, no floats.

Everything here works on Python ints (or ``None`` for a size that is not known
yet). Layers canonicalise their arguments through :mod:`.arguments`, pad
through the padding rules of :mod:`.padding` (every framework's modes, as
objects that give per-side pairs and output sizes), and predict shapes
through :mod:`.sizes`.
"""

from .arguments import (
    DATA_FORMATS,
    normalize_data_format,
    normalize_positive_int,
    normalize_tuple,
)
from .blocks import blocked_sizes, indivisible_dims
from .conv import WindowGeometry
from .padding import (
    PADDING_MODES,
    RULES,
    Causal,
    Ceil,
    Explicit,
    Full,
    PaddingLike,
    PaddingRule,
    Pads,
    Same,
    SameAtEnd,
    SameLower,
    Strict,
    Truncate,
    Valid,
    normalize_padding,
    normalize_pads,
    same_pads,
    serialize_padding,
)
from .pooling import check_pool_pads, empty_windows, window_counts
from .reshaping import (
    PAD_MODES,
    cropped_sizes,
    normalize_side_pairs,
    pad_sources,
    padded_sizes,
    resize_nearest_sources,
    upsampled_sizes,
)
from .sizes import (
    conv_output_size,
    conv_transpose_crop,
    conv_transpose_natural_size,
    conv_transpose_output_size,
    reads_only_padding,
)
from .transpose import (
    TRANSPOSE_PADDING_MODES,
    OutputSize,
    TransposeGeometry,
    Windows,
    normalize_output_padding,
    normalize_transpose_padding,
)

__all__ = [
    "cropped_sizes",
    "normalize_side_pairs",
    "padded_sizes",
    "pad_sources",
    "PAD_MODES",
    "resize_nearest_sources",
    "upsampled_sizes",
    "DATA_FORMATS",
    "PADDING_MODES",
    "RULES",
    "Causal",
    "Ceil",
    "Explicit",
    "Full",
    "PaddingRule",
    "Same",
    "SameAtEnd",
    "SameLower",
    "Strict",
    "Truncate",
    "Valid",
    "Pads",
    "TRANSPOSE_PADDING_MODES",
    "OutputSize",
    "normalize_transpose_padding",
    "TransposeGeometry",
    "Windows",
    "WindowGeometry",
    "PaddingLike",
    "blocked_sizes",
    "check_pool_pads",
    "empty_windows",
    "conv_output_size",
    "conv_transpose_crop",
    "conv_transpose_natural_size",
    "conv_transpose_output_size",
    "reads_only_padding",
    "indivisible_dims",
    "normalize_data_format",
    "normalize_output_padding",
    "normalize_padding",
    "normalize_pads",
    "normalize_positive_int",
    "normalize_tuple",
    "serialize_padding",
    "same_pads",
    "window_counts",
]
