"""Pure integer geometry of convolution-family layers: no torch, no floats.

Everything here works on Python ints (or ``None`` for a size that is not known
yet). Layers canonicalise their arguments through :mod:`.arguments`, resolve
every padding mode to explicit per-side pairs through :mod:`.padding`, and
predict shapes through :mod:`.sizes`.
"""

from .arguments import (
    DATA_FORMATS,
    normalize_data_format,
    normalize_positive_int,
    normalize_tuple,
)
from .conv import WindowGeometry
from .padding import (
    PADDING_MODES,
    Pads,
    PaddingLike,
    normalize_padding,
    normalize_pads,
    resolve_padding,
    same_pads,
)
from .sizes import (
    conv_output_size,
    conv_transpose_crop,
    conv_transpose_natural_size,
    conv_transpose_output_size,
)

__all__ = [
    "DATA_FORMATS",
    "PADDING_MODES",
    "Pads",
    "PaddingLike",
    "WindowGeometry",
    "conv_output_size",
    "conv_transpose_crop",
    "conv_transpose_natural_size",
    "conv_transpose_output_size",
    "normalize_data_format",
    "normalize_padding",
    "normalize_pads",
    "normalize_positive_int",
    "normalize_tuple",
    "resolve_padding",
    "same_pads",
]
