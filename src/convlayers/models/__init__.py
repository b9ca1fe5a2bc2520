"""Models and training: ``Sequential``, Keras's ``compile``/``fit``/``evaluate``/``predict``,
with Keras's losses, metrics, optimizers and callbacks (each in its own module here, and at
the top level as ``convlayers.losses``, ``convlayers.metrics``, ``convlayers.optimizers``,
``convlayers.callbacks``, as in Keras).
"""

from . import callbacks, losses, metrics, optimizers
from .sequential import Sequential

__all__ = ["Sequential", "callbacks", "losses", "metrics", "optimizers"]
