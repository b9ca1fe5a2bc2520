"""Models and training: ``Sequential``, ``Model`` (functional or subclassed), Keras's ``compile``/``fit``/``evaluate``/``predict``,
with Keras's losses, metrics, optimizers and callbacks (each in its own module here, and at
the top level as ``convlayers.losses``, ``convlayers.metrics``, ``convlayers.optimizers``,
``convlayers.callbacks``, as in Keras).
"""

from . import callbacks, losses, metrics, optimizers
from .sequential import Sequential
from .model import Model
from .functional import Functional, model_from_json
from .cloning import clone_model

__all__ = ["Functional", "Model", "Sequential", "callbacks", "clone_model", "load_model", "losses", "metrics", "model_from_json", "optimizers", "save_model"]


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    """``load_model``/``save_model`` as Keras's ``keras.models`` has them, from :mod:`convlayers.saving`.

    Resolved on first use: the file formats (:mod:`convlayers.io`) are built on this package.
    """
    if name in ("load_model", "save_model"):
        from .. import saving

        return getattr(saving, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
