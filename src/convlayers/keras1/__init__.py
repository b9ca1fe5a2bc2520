"""The Keras 1 dialect: Keras 1.2.2's convolutional layers, models and settings, translated into the core.

Write Keras 1 code against convlayers (``from convlayers import keras1``), load Keras 1
architectures (:func:`model_from_json`, :func:`model_from_config`) and, with
:func:`convlayers.load_keras_model`, Keras 1 files. The Theano backend (per layer with
``backend='theano'``, or for all with :func:`backend.set_backend`) gives Theano's true
convolution and padding placement, for weights trained there.

>>> import numpy as np
>>> from convlayers import keras1
>>> model = keras1.Sequential([
...     keras1.Convolution2D(8, 3, 3, border_mode="same", activation="relu", dim_ordering="tf", input_shape=(28, 28, 1)),
...     keras1.MaxPooling2D(dim_ordering="tf"),
...     keras1.Flatten(),
...     keras1.Dense(10, activation="softmax"),
... ])
>>> model.output_shape
(None, 10)
>>> model.predict(np.zeros((2, 28, 28, 1), "float32")).shape
(2, 10)
"""

from . import backend, initializations
from .companions import (
    Activation,
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    BatchNormalization,
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
    Reshape,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from .layers import (
    AtrousConvolution1D,
    AtrousConvolution2D,
    Convolution1D,
    Convolution2D,
    Convolution3D,
    Deconvolution2D,
    SeparableConvolution2D,
)
from .models import Sequential, layer_from_config, model_from_config, model_from_json

__all__ = [
    "Activation", "AtrousConvolution1D", "AtrousConvolution2D", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "BatchNormalization", "Convolution1D", "Convolution2D", "Convolution3D", "Cropping1D", "Cropping2D", "Cropping3D",
    "Deconvolution2D", "Dense", "Dropout", "Flatten", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "MaxPooling1D",
    "MaxPooling2D", "MaxPooling3D", "Reshape", "SeparableConvolution2D", "Sequential", "UpSampling1D", "UpSampling2D",
    "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "backend", "initializations",
    "layer_from_config", "model_from_config", "model_from_json",
]
