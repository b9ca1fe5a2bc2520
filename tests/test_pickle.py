"""Layers and models pickle (multiprocessing, joblib and torch.save of whole modules need it) and compute the same."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

import convlayers as cl
from convlayers import keras1
from test_module_dtypes import KINDS, _built


@pytest.mark.parametrize("make", KINDS, ids=lambda make: type(make()).__name__)
def test_every_layer_kind_pickles_and_computes_the_same(make):
    layer, x = _built(make)
    layer.eval()
    clone = pickle.loads(pickle.dumps(layer))
    torch.testing.assert_close(clone(x), layer(x), rtol=0, atol=0)
    assert clone.get_config() == layer.get_config()
    assert clone.activation is layer.activation if hasattr(layer, "activation") else True  # built-ins by name


def test_models_pickle_and_keep_training_state():
    model = cl.Sequential([cl.Input((6, 6, 1)), cl.Conv2D(2, 3, activation="relu"), cl.Flatten(), cl.Dense(3)])
    x = np.random.default_rng(0).random((2, 6, 6, 1)).astype(np.float32)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone(x), model(x))
    clone.layers[0].kernel.data.add_(1.0)  # its own weights, not the original's
    assert not np.array_equal(clone(x), model(x))


def test_keras1_models_pickle_with_their_own_activations():
    model = keras1.Sequential([keras1.Convolution2D(2, 3, 3, activation="hard_sigmoid", backend="theano",
                                                    input_shape=(6, 6, 1))])
    x = np.random.default_rng(1).random((2, 6, 6, 1)).astype(np.float32)
    clone = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(clone.predict(x), model.predict(x))
    assert clone.layers[0].backend == "theano"


def test_a_user_activation_pickles_when_its_function_does():
    act = cl.activations.Activation("square", torch.square, elementwise=True)
    assert pickle.loads(pickle.dumps(act)).fn is torch.square
    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(cl.activations.Activation("lambda", lambda x: x))
