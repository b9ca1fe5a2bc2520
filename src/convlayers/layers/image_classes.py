"""The image, adaptive pooling and wrapper layers as Keras 3 files know them, for the Keras export tables.

``Lambda`` is among them (Keras files hold Lambda layers) so that saving one reaches its
own refusal (its function is code) rather than a claim that Keras lacks the class.
"""

from __future__ import annotations

#: Keras 3 class names (every one is Keras's own class, arguments and config).
CLASS_NAMES: list[str] = [
    "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomCrop", "RandomContrast",
    "RandomBrightness", "CenterCrop",
    *[f"Adaptive{kind}Pooling{rank}D" for kind in ("Average", "Max") for rank in (1, 2, 3)],
    "TimeDistributed", "Lambda",
]
