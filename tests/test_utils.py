"""convlayers.utils (to_categorical, normalize, set_random_seed) against Keras 3.15's outputs
(tests/fixtures/optimizers), and Keras's lower-case spellings of regularizers, initializers and activations."""

import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch

import convlayers
from convlayers import activations, initializers, regularizers, utils

FIXTURES = Path(__file__).parent / "fixtures" / "optimizers"
ARRAYS = np.load(FIXTURES / "keras_optimizers.npz")
UTILS = json.loads((FIXTURES / "keras_optimizers.json").read_text())["utils"]


@pytest.mark.parametrize("key", ["flat", "column", "grid"])
def test_to_categorical_matches_keras(key):
    case = UTILS[f"to_categorical_{key}"]
    got = utils.to_categorical(case["input"])
    expected = ARRAYS[f"to_categorical_{key}"]
    assert got.dtype == np.dtype(case["dtype"]) == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


def test_to_categorical_num_classes_and_tensors():
    np.testing.assert_array_equal(utils.to_categorical([1, 0], num_classes=5), ARRAYS["to_categorical_num_classes"])
    got = utils.to_categorical(torch.tensor([[2], [0]]), num_classes=3)
    assert got.dtype == torch.float32 and got.tolist() == [[0, 0, 1], [1, 0, 0]]
    assert utils.to_categorical(torch.tensor([1, 3])).shape == (2, 4)
    assert convlayers.utils is utils


def test_normalize_matches_keras():
    x = ARRAYS["normalize_input"]  # its second row is all zeros
    np.testing.assert_allclose(utils.normalize(x), ARRAYS["normalize_l2"], rtol=1e-12)
    np.testing.assert_allclose(utils.normalize(x, axis=-1, order=1), ARRAYS["normalize_l1"], rtol=1e-12)
    np.testing.assert_allclose(utils.normalize(x, axis=1), ARRAYS["normalize_axis1"], rtol=1e-12)


def test_normalize_tensors_follow_keras_ops_normalize():
    x = torch.tensor([[3.0, 4.0], [0.0, 0.0], [1.0, -1.0]])
    np.testing.assert_allclose(utils.normalize(x).numpy(), [[0.6, 0.8], [0, 0], [2**-0.5, -(2**-0.5)]], rtol=1e-6)
    np.testing.assert_allclose(utils.normalize(x, axis=0, order=1).numpy(), x.numpy() / np.array([4.0, 5.0]), rtol=1e-6)
    with pytest.raises(ValueError, match="argument `order` must be an int >= 1. Received: order=0"):
        utils.normalize(x, order=0)


def test_set_random_seed_seeds_python_numpy_and_torch():
    draws = []
    for _ in range(2):
        utils.set_random_seed(11)
        draws.append((random.random(), np.random.rand(), torch.rand(1).item()))
    assert draws[0] == draws[1]
    with pytest.raises(ValueError, match=r"Expected `seed` argument to be an integer. Received: seed=1.5"):
        utils.set_random_seed(1.5)


# -- Keras's lower-case spellings ------------------------------------------------------------------------
def test_regularizer_spellings_are_the_classes():
    assert (regularizers.l1, regularizers.l2, regularizers.l1_l2, regularizers.orthogonal_regularizer) == (
        regularizers.L1, regularizers.L2, regularizers.L1L2, regularizers.OrthogonalRegularizer)
    assert float(regularizers.l2(0.5)(torch.tensor([2.0]))) == 2.0


def test_initializer_spellings_are_the_classes():
    keras_spellings = {  # keras.initializers' lower-case and *Initializer names (Keras 3.15), stft apart
        "constant": "Constant", "glorot_normal": "GlorotNormal", "glorot_uniform": "GlorotUniform",
        "he_normal": "HeNormal", "he_uniform": "HeUniform", "identity": "Identity", "lecun_normal": "LecunNormal",
        "lecun_uniform": "LecunUniform", "ones": "Ones", "orthogonal": "Orthogonal", "random_normal": "RandomNormal",
        "random_uniform": "RandomUniform", "truncated_normal": "TruncatedNormal", "variance_scaling": "VarianceScaling",
        "zeros": "Zeros", "IdentityInitializer": "Identity", "OrthogonalInitializer": "Orthogonal", "STFTInitializer": "STFT",
    }
    for spelling, name in keras_spellings.items():
        assert getattr(initializers, spelling) is getattr(initializers, name), spelling
    assert initializers.he_normal(seed=1)((4, 4)).shape == (4, 4)


def test_activation_functions_by_name():
    keras_names = [  # dir(keras.activations) in Keras 3.15, without get/serialize/deserialize
        "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
        "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish", "relu", "relu6", "selu", "sigmoid",
        "silu", "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax",
        "squareplus", "swish", "tanh", "tanh_shrink", "threshold",
    ]
    for name in keras_names:
        assert getattr(activations, name) is activations.get(name), name
    assert activations.relu(torch.tensor([-1.0, 2.0])).tolist() == [0.0, 2.0]
    np.testing.assert_allclose(activations.softmax(torch.tensor([0.0, np.log(3.0)])).numpy(), [0.25, 0.75], rtol=1e-6)
