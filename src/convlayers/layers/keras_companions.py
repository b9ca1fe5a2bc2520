"""The companion layers as Keras 3 files know them: their class names, and which Keras builds at construction.

Kept beside the layers so that the Keras export tables (:mod:`convlayers.io.keras_export`)
take them in one line each.
"""

from __future__ import annotations

from .activation_layers import ELU, LeakyReLU, ReLU, Softmax
from .feature_normalization import UnitNormalization
from .noise import AlphaDropout, GaussianDropout, GaussianNoise
from .passthrough import ActivityRegularization, Identity, Masking

#: Keras 3 class names of the companion layers (every one is Keras's own class, arguments and config).
CLASS_NAMES: list[str] = [
    "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Rescaling", "Normalization",
    "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
    "LayerNormalization", "GroupNormalization", "UnitNormalization",
    "Permute", "RepeatVector", "Masking", "Identity", "ActivityRegularization",
]

#: Those Keras 3 builds in ``__init__`` (so its files hold no ``build_config`` for them); the spatial
#: dropouts are ``Dropout`` subclasses, already covered by it.
BUILT_AT_INIT: tuple[type, ...] = (
    ReLU, LeakyReLU, ELU, Softmax, UnitNormalization, GaussianNoise, GaussianDropout, AlphaDropout,
    Masking, Identity, ActivityRegularization,
)
