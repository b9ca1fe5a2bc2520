"""Model and weight files: one safetensors file per model, config in its metadata; Keras's files read and written.

>>> import tempfile, convlayers
>>> layer = convlayers.Conv2D(2, 3)
>>> layer.build((None, 6, 6, 1))
>>> with tempfile.TemporaryDirectory() as d:
...     convlayers.load_model(save_model(layer, f"{d}/m.safetensors")).get_config() == layer.get_config()
True
"""

from .container import ModelFileError
from .keras_files import load_keras_model, load_keras_weights
from .onnx_import import load_onnx
from .model_file import check_model_suffix, load_model, save_model
from .weights_file import check_weights_suffix, load_weights, save_weights

__all__ = [
    "ModelFileError",
    "check_model_suffix",
    "check_weights_suffix",
    "load_keras_model",
    "load_keras_weights",
    "load_model",
    "load_onnx",
    "load_weights",
    "save_model",
    "save_weights",
]
