"""Legacy Keras files: which Keras wrote them, and on which backend (reference B3, B5).

Keras 1 files say their version (``keras_version`` ``'1.x'``) in ``model.save`` files
and nothing at all in ``save_weights`` files; their model configs are Keras 1's
(``{"class_name": "Sequential", "config": [...]}``). Neither records the backend:
TensorFlow names its variables ``<layer>_W:0``, Theano ``<layer>_W``, and that suffix
is the only trace. Theano convolves (kernels reversed) where TensorFlow correlates,
so the backend decides how a file's kernels compute.
"""

from __future__ import annotations

from typing import Any

from .hdf5_reader import Hdf5Index
from .keras_h5 import read_legacy_layers


def is_keras1(index: Hdf5Index, config: Any) -> bool:
    """Whether a ``model.save`` file was written by Keras 1: by its version, else by its config's form."""
    version = index.text("/", "keras_version")
    if version is not None:
        return version.startswith("1.")
    return isinstance(config, dict) and isinstance(config.get("config"), list) and config.get("class_name") == "Sequential"


def weights_backend(index: Hdf5Index, group: str) -> str | None:
    """``'tensorflow'`` or ``'theano'``: the file's ``backend`` attribute, else what its weight names say.

    ``None`` when nothing tells (no attribute, no weights). Raises ``ValueError`` when
    some names carry TensorFlow's ``:0`` and others do not.
    """
    stated = index.text(group, "backend") or index.text("/", "backend")
    if stated is not None:
        return stated
    names = [name for layer in read_legacy_layers(index, group) for name, _ in layer.weights]
    suffixed = {name.endswith(":0") for name in names}
    if not suffixed:
        return None
    if len(suffixed) == 2:
        raise ValueError(
            "its weight names mix TensorFlow's ':0' suffix with names without it, so the backend that trained "
            "it cannot be told; pass backend='tensorflow' or backend='theano'."
        )
    return "tensorflow" if suffixed == {True} else "theano"


def check_backend_matches(layers: list[Any], file_backend: str | None, backend: str | None) -> None:
    """Refuse Keras 1 layers that compute as another backend than the file's weights were trained on.

    ``backend``: the caller's override (trusted as the file's); ``None``: ``file_backend``.
    """
    trained = backend or file_backend
    if trained is None:
        return
    wrong = [layer.name for layer in layers if getattr(layer, "backend", trained) != trained and layer.weights]
    if wrong:
        raise ValueError(
            f"its weights were trained on {trained} (by {'the backend argument' if backend else 'their names'}) but "
            f"layers {wrong} compute as another backend; build the model with keras1.model_from_json(..., "
            f"backend={trained!r}), or pass backend= to override."
        )
