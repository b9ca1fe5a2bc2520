"""Activations: every Keras 3 name against an independent NumPy formula, flags, names and errors."""

import doctest
import math

import numpy as np
import pytest
import torch

from convlayers import activations
from convlayers.activations import Activation

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _sparsemax(x):
    """Euclidean projection of each last-axis vector onto the simplex, by bisection on tau."""
    out = np.empty_like(x)
    for index in np.ndindex(x.shape[:-1]):
        z = x[index]
        low, high = z.min() - 1.0, z.max()
        for _ in range(200):
            tau = (low + high) / 2
            low, high = (tau, high) if np.maximum(z - tau, 0).sum() > 1 else (low, tau)
        out[index] = np.maximum(z - (low + high) / 2, 0)
    return out


def _glu(x):
    a, b = np.split(x, 2, axis=-1)
    return a * _sigmoid(b)


REFERENCE = {
    "celu": lambda x: np.maximum(x, 0) + np.expm1(np.minimum(x, 0)),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "exponential": np.exp,
    "gelu": lambda x: x * 0.5 * np.vectorize(math.erfc)(-x / math.sqrt(2)),
    "glu": _glu,
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0.0),
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "hard_silu": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "hard_swish": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "linear": lambda x: x,
    "log_sigmoid": lambda x: -np.logaddexp(0, -x),
    "log_softmax": lambda x: np.log(_softmax(x)),
    "mish": lambda x: x * np.tanh(np.logaddexp(0, x)),
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))),
    "sigmoid": _sigmoid,
    "silu": lambda x: x * _sigmoid(x),
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0.0)),
    "softmax": _softmax,
    "softplus": lambda x: np.logaddexp(0, x),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "sparse_plus": lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
    "sparse_sigmoid": lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, 1.0, (x + 1) / 2)),
    "sparsemax": _sparsemax,
    "squareplus": lambda x: (x + np.sqrt(x * x + 4)) / 2,
    "swish": lambda x: x * _sigmoid(x),
    "tanh": np.tanh,
    "tanh_shrink": lambda x: x - np.tanh(x),
}
KERAS_NAMES = sorted([*REFERENCE, "threshold"])
ALONG_LAST_AXIS = {"glu", "log_softmax", "softmax", "sparsemax"}
# Breakpoints of the piecewise activations, then a sweep: last axis 8 (even, for glu).
X = np.concatenate([[-6, -3, -1, -0.5, 0, 0.5, 1, 3], np.linspace(-6, 6, 32)]).reshape(5, 8)


def test_the_names_are_exactly_keras_3():
    assert len(KERAS_NAMES) == 32
    for name in KERAS_NAMES:
        act = activations.get(name)
        assert isinstance(act, Activation) and callable(act)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_values_match_numpy(name):
    for dtype, rtol, atol in [(torch.float64, 1e-10, 1e-12), (torch.float32, 2e-6, 2e-6)]:
        y = activations.get(name)(torch.tensor(X, dtype=dtype))
        assert y.dtype == dtype
        np.testing.assert_allclose(y.numpy(), REFERENCE[name](X), rtol=rtol, atol=atol)


def test_keras_defaults_at_chosen_points():
    x = torch.tensor([-2.0, -0.5, 0.5, 2.0], dtype=torch.float64)
    assert activations.get("leaky_relu")(x).tolist() == [-0.4, -0.1, 0.5, 2.0]
    assert activations.get("hard_sigmoid")(torch.tensor([-3.0, 0.0, 3.0])).tolist() == [0.0, 0.5, 1.0]
    assert activations.get("hard_shrink")(x).tolist() == [-2.0, 0.0, 0.0, 2.0]
    assert activations.get("soft_shrink")(x).tolist() == [-1.5, 0.0, 0.0, 1.5]
    assert activations.get("squareplus")(torch.tensor([0.0])).tolist() == [1.0]  # b = 4


def test_elementwise_flags():
    flags = {name: activations.get(name).elementwise for name in KERAS_NAMES}
    assert {name for name, flag in flags.items() if not flag} == ALONG_LAST_AXIS


@pytest.mark.parametrize("name", sorted(set(REFERENCE) - ALONG_LAST_AXIS))
def test_elementwise_activations_commute_with_any_layout(name):
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    act = activations.get(name)
    torch.testing.assert_close(act(x.permute(0, 3, 1, 2)), act(x).permute(0, 3, 1, 2))


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "sparsemax"])
def test_normalising_activations_work_along_the_last_axis(name):
    x = torch.randn(2, 3, 6, dtype=torch.float64)
    y = activations.get(name)(x)
    for i, j in np.ndindex(2, 3):
        np.testing.assert_allclose(y[i, j].numpy(), REFERENCE[name](x[i, j].numpy()), rtol=1e-10, atol=1e-12)
    if name != "log_softmax":
        torch.testing.assert_close(y.sum(-1), torch.ones(2, 3, dtype=torch.float64))


def test_sparsemax_is_a_projection_with_a_support_of_several_entries():
    # Keras 3.15 returns [0, 0, 0.25] here (keras-team/keras#23425); the projection is [0, 0.25, 0.75].
    y = activations.get("sparsemax")(torch.tensor([[0.0, 0.5, 1.0], [0.1, 0.2, 0.3]], dtype=torch.float64))
    torch.testing.assert_close(y, torch.tensor([[0.0, 0.25, 0.75], [0.7 / 3, 1 / 3, 1.3 / 3]], dtype=torch.float64))


def test_glu_halves_the_last_axis_and_needs_it_even():
    glu = activations.get("glu")
    assert glu(torch.randn(2, 5, 5, 6)).shape == (2, 5, 5, 3)
    with pytest.raises(ValueError, match=r"axis size must be divisible by 2. Received: x.shape=\(2, 5\) with axis=-1"):
        glu(torch.randn(2, 5))


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_gradients_match_finite_differences(name):
    x = (torch.rand(3, 6, dtype=torch.float64) * 8 - 4).requires_grad_()
    assert torch.autograd.gradcheck(activations.get(name), (x,))


def test_threshold_is_accepted_but_needs_arguments_keras_has_no_default_for():
    act = activations.get("threshold")
    assert act.name == "threshold" and act.elementwise
    with pytest.raises(TypeError, match="needs `threshold` and `default_value`"):
        act(torch.zeros(2))


def test_none_is_linear_and_aliases_serialize_to_their_keras_name():
    assert activations.get(None) is activations.get("linear")
    assert activations.serialize(None) == "linear"
    assert activations.get("swish") is activations.get("silu") and activations.serialize("swish") == "silu"
    assert activations.get("hard_swish") is activations.get("hard_silu")
    assert activations.serialize(activations.get("hard_swish")) == "hard_silu"


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_serialize_get_round_trip(name):
    act = activations.get(name)
    assert activations.get(activations.serialize(act)) is act
    assert act.get_config() == {"name": activations.serialize(act)}


def test_keras_function_config_dict_and_instances_are_accepted():
    relu = activations.get("relu")
    keras_form = {"module": "keras.activations", "class_name": "function", "config": "relu", "registered_name": "relu"}
    assert activations.get(keras_form) is relu
    assert activations.get(relu) is relu


def test_unknown_names_are_case_sensitive_like_keras():
    with pytest.raises(ValueError, match=r"Unknown activation 'RELU'. Did you mean 'relu'\? Names are case-sensitive") as info:
        activations.get("RELU")
    assert "Allowed names: celu, elu, exponential," in str(info.value)
    assert "Received: activation='RELU'" in str(info.value)
    with pytest.raises(ValueError, match=r"Unknown activation 'crelu'. Allowed names:"):
        activations.get("crelu")


def test_wrong_types_are_rejected():
    with pytest.raises(ValueError, match=r"Could not interpret activation identifier 3: expected a name, a Keras config dict, an instance of Activation, or a callable. Received: type int"):
        activations.get(3)
    with pytest.raises(ValueError, match=r"Activation config dicts need a 'class_name' key"):
        activations.get({"config": "relu"})
    with pytest.raises(ValueError, match=r"The activation 'relu' takes no config. Received: config=\{'alpha': 1\}"):
        activations.get({"class_name": "relu", "config": {"alpha": 1}})
    with pytest.raises(ValueError, match=r"A registered activation name must be a non-empty string. Received: name=''"):
        activations.register("", cube)


def cube(x):
    return x**3


def test_user_callables_serialize_by_name_and_load_once_registered():
    act = activations.get(cube)
    assert act.name == "cube" and not act.elementwise
    torch.testing.assert_close(act(torch.tensor([2.0])), torch.tensor([8.0]))
    assert activations.serialize(cube) == "cube"
    with pytest.raises(ValueError, match=r"Unknown activation 'cube'.*register"):
        activations.get("cube")
    activations.register("cube", cube)
    assert activations.get("cube").fn is cube


def test_register_keeps_an_elementwise_flag_and_refuses_builtin_or_mismatched_names():
    activations.register("test_triple", Activation("test_triple", lambda x: 3 * x, elementwise=True))
    assert activations.get({"class_name": "function", "config": "test_triple"}).elementwise
    with pytest.raises(ValueError, match=r"Cannot register activation 'relu': it is a built-in Keras name."):
        activations.register("relu", cube)
    with pytest.raises(ValueError, match=r"Cannot register activation 'other' under a different name: it is named 'cubed'."):
        activations.register("other", Activation("cubed", cube))


def test_docstring_examples_run():
    assert doctest.testmod(activations, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0
