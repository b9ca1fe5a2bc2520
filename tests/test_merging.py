"""Merge layers against Keras 3.15's outputs and errors (tests/fixtures/functional/generate.py), and a NumPy reference."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import convlayers as cl

FIXTURES = Path(__file__).parent / "fixtures" / "functional"
RECORD = json.loads((FIXTURES / "merging.json").read_text())
ARRAYS = np.load(FIXTURES / "merging.npz")
CASES = {case["name"]: case for case in RECORD["cases"]}
ALIASES = {"Add": "add", "Subtract": "subtract", "Multiply": "multiply", "Average": "average",
           "Maximum": "maximum", "Minimum": "minimum", "Concatenate": "concatenate", "Dot": "dot"}


def _inputs(case):
    return [ARRAYS[f"{case['name']}/x{i}"] for i in range(case["count"])]


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras(name):
    case = CASES[name]
    layer = getattr(cl, case["class_name"])(**case["kwargs"])
    expected = ARRAYS[f"{name}/y"]
    y = layer(_inputs(case))
    assert isinstance(y, np.ndarray) and y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    # Tensors in, a tensor out with autograd; the symbolic shape is the real one.
    xs = [torch.tensor(x, requires_grad=True) for x in _inputs(case)]
    out = layer(xs)
    out.sum().backward()
    assert all(x.grad is not None for x in xs)
    symbolic = layer([cl.Input(batch_shape=x.shape) for x in _inputs(case)])
    assert symbolic.shape == expected.shape
    assert layer.compute_output_shape([x.shape for x in _inputs(case)]) == expected.shape
    # The functional alias makes the same layer.
    alias = getattr(cl, ALIASES[case["class_name"]])
    np.testing.assert_allclose(alias(_inputs(case), **case["kwargs"]), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(RECORD["errors"]))
def test_keras_errors_before_data(name):
    case = RECORD["errors"][name]
    layer = getattr(cl, case["class_name"])(**case["kwargs"])
    inputs = [cl.Input(batch_shape=shape) for shape in case["shapes"]]
    with pytest.raises(ValueError) as info:
        layer(inputs)
    message = str(info.value)
    assert message.startswith(f"{case['class_name']} '{layer.name}': ")
    assert case["message"].lower() in message.lower()


def test_numpy_reference_broadcasting():
    rng = np.random.default_rng(0)
    a, b, c = rng.random((2, 3, 1)), rng.random((2, 4)), rng.random((2, 1, 4))
    np.testing.assert_allclose(cl.Add()([a, b, c]), a + b[:, None] + c, rtol=1e-6)
    np.testing.assert_allclose(cl.Maximum()([a, c]), np.maximum(a, c), rtol=1e-6)
    np.testing.assert_allclose(cl.Average()([a, c]), (a + c) / 2, rtol=1e-6)


def test_dot_against_numpy():
    rng = np.random.default_rng(1)
    x, y = rng.random((2, 3, 5)).astype("float32"), rng.random((2, 4, 3)).astype("float32")
    expected = np.einsum("bik,bji->bkj", x, y)
    np.testing.assert_allclose(cl.Dot(axes=(1, 2))([x, y]), expected, rtol=1e-5)
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    yn = y / np.linalg.norm(y, axis=2, keepdims=True)
    np.testing.assert_allclose(cl.Dot(axes=(1, 2), normalize=True)([x, y]), np.einsum("bik,bji->bkj", xn, yn), rtol=1e-5)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: cl.Dot(axes="1"), TypeError, "invalid type for argument `axes`: it should be a list or an int. Received: axes='1'"),
        (lambda: cl.Dot(axes=(1, 2, 3)), ValueError, "it should contain two elements. Received: axes=(1, 2, 3)"),
        (lambda: cl.Dot(axes=(1, 1.5)), ValueError, "list elements should be integers. Received: axes=(1, 1.5)"),
        (lambda: cl.Concatenate(axis="x"), TypeError, "`axis` must be an int. Received: axis='x'"),
    ],
)
def test_argument_errors(make, error, message):
    with pytest.raises(error, match="Dot|Concatenate") as info:
        make()
    assert message in str(info.value)


def test_call_errors():
    add = cl.Add(name="plus")
    with pytest.raises(ValueError, match="Add 'plus': a merge layer should be called on a list"):
        add(torch.ones(2, 3))
    with pytest.raises(ValueError, match="cannot perform batch_dot over axis 0"):
        cl.Dot(axes=0)([np.ones((2, 3)), np.ones((2, 3))])
    with pytest.raises(ValueError, match="`axis` 3 is out of range for inputs of rank 2"):
        cl.Concatenate(axis=3)([np.ones((2, 3)), np.ones((2, 3))])
    with pytest.raises(ValueError, match="cannot merge tensors with different batch sizes"):
        add([torch.ones(2, 3), torch.ones(4, 3)])  # data is checked too, not only KerasTensors


def test_config_round_trip_and_serialization():
    for layer in (cl.Concatenate(axis=1, name="c"), cl.Dot(axes=[1, 2], normalize=True, name="d"), cl.Add(name="a")):
        config = layer.get_config()
        json.dumps(config)
        clone = type(layer).from_config(config)
        assert clone.get_config() == config
    entry = cl.layers.serialize_layer(cl.Concatenate(name="c2"))
    assert entry["class_name"] == "Concatenate" and cl.layers.deserialize_layer(entry).axis == -1


def test_dtype_policy_and_single_input_copy():
    layer = cl.Add(dtype="mixed_bfloat16")
    x = torch.ones(2, 3)
    assert layer([x, x]).dtype == torch.bfloat16
    assert layer([cl.Input((3,))]).dtype == "bfloat16"
    array = np.ones((2, 3), "float32")
    out = cl.Add()([array])
    out[0, 0] = 5.0
    assert array[0, 0] == 1.0  # a NumPy caller gets a new array, never its own back
