"""convlayers: the convolutional layers of Keras, DL4J and Wolfram, exact and fast, on PyTorch.

>>> import numpy as np, convlayers
>>> convlayers.Conv2D(8, 3, padding="same")(np.zeros((2, 28, 28, 1), "float32")).shape
(2, 28, 28, 8)
"""

from . import activations, config, constraints, geometry, initializers, mixed_precision, ops, regularizers, saving, utils
from .layers import *  # noqa: F401,F403  (the public layer classes)
from .layers import __all__ as _layer_names
from .io import load_keras_model, load_model, load_onnx
from . import models
from .models import Model, Sequential, callbacks, losses, metrics, optimizers

__version__ = "0.1.0"
__all__ = ["activations", "config", "constraints", "geometry", "initializers", "mixed_precision", "ops", "regularizers", "saving", "utils", "load_keras_model", "load_model", "load_onnx", "models", "Model", "Sequential", "callbacks", "losses", "metrics", "optimizers", *_layer_names]
