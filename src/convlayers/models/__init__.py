"""Models and training: ``Sequential``, ``Model`` (functional or subclassed), Keras's ``compile``/``fit``/``evaluate``/``predict``,
with Keras's losses, metrics, optimizers and callbacks (each in its own module here, and at
the top level as ``convlayers.losses``, ``convlayers.metrics``, ``convlayers.optimizers``,
``convlayers.callbacks``, as in Keras).
"""

from . import callbacks, losses, metrics, optimizers
from .sequential import Sequential
from .model import Model
from .functional import Functional, model_from_json

__all__ = ["Functional", "Model", "Sequential", "callbacks", "losses", "metrics", "model_from_json", "optimizers"]
