"""Constraints: Keras's projections against independent NumPy formulas (int and list axes), names, errors."""

import doctest
import json

import numpy as np
import pytest
import torch

from convlayers import constraints
from convlayers.constraints import CallableConstraint, Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm

EPSILON = 1e-7
KERNEL = np.random.default_rng(4).standard_normal((3, 3, 4, 8))  # Conv2D kernel, Keras layout
AXES = [0, 3, -1, [0, 1, 2], [0, 1], (1, 2, 3)]
KERAS_NAMES = {
    "max_norm": (MaxNorm, {"max_value": 2, "axis": 0}), "MaxNorm": (MaxNorm, {"max_value": 2, "axis": 0}),
    "min_max_norm": (MinMaxNorm, {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}),
    "MinMaxNorm": (MinMaxNorm, {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}),
    "non_neg": (NonNeg, {}), "NonNeg": (NonNeg, {}),
    "unit_norm": (UnitNorm, {"axis": 0}), "UnitNorm": (UnitNorm, {"axis": 0}),
}


def norms(w, axis):
    axis = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    return np.sqrt(np.sum(w * w, axis=axis, keepdims=True))


def apply(constraint, w=KERNEL):
    return constraint(torch.tensor(w)).numpy()


@pytest.mark.parametrize("axis", AXES, ids=str)
def test_max_norm(axis):
    n = norms(KERNEL, axis)
    max_value = float(np.median(n))  # some slices are rescaled, some are not
    expected = KERNEL * np.clip(n, 0, max_value) / (EPSILON + n)
    np.testing.assert_allclose(apply(MaxNorm(max_value, axis)), expected, rtol=1e-12)
    assert norms(apply(MaxNorm(max_value, axis)), axis).max() <= max_value


@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("rate", [1.0, 0.3])
def test_min_max_norm(axis, rate):
    n = norms(KERNEL, axis)
    low, high = np.quantile(n, [0.25, 0.75])
    expected = KERNEL * (rate * np.clip(n, low, high) + (1 - rate) * n) / (EPSILON + n)
    np.testing.assert_allclose(apply(MinMaxNorm(low, high, rate, axis)), expected, rtol=1e-12)


@pytest.mark.parametrize("axis", AXES, ids=str)
def test_unit_norm(axis):
    result = apply(UnitNorm(axis))
    np.testing.assert_allclose(result, KERNEL / (EPSILON + norms(KERNEL, axis)), rtol=1e-12)
    np.testing.assert_allclose(norms(result, axis), 1.0, rtol=1e-6)


def test_non_neg_and_float32():
    np.testing.assert_array_equal(apply(NonNeg()), np.maximum(KERNEL, 0))
    result = MaxNorm(1.0, [0, 1, 2])(torch.tensor(KERNEL, dtype=torch.float32))
    assert result.dtype == torch.float32
    np.testing.assert_allclose(result.numpy(), apply(MaxNorm(1.0, [0, 1, 2])), rtol=1e-5)


def test_zero_slices_stay_zero():
    w = np.zeros((2, 3))
    for constraint in (MaxNorm(), MinMaxNorm(0.5, 1.0), UnitNorm()):
        np.testing.assert_array_equal(apply(constraint, w), w)


@pytest.mark.parametrize("name", sorted(KERAS_NAMES))
def test_every_keras_name_builds_its_class_and_round_trips(name):
    cls, config = KERAS_NAMES[name]
    constraint = constraints.get(name)
    assert type(constraint) is cls and constraint.get_config() == config
    serialized = json.loads(json.dumps(constraints.serialize(constraint)))
    assert serialized == {"module": "keras.constraints", "class_name": cls.__name__, "config": config, "registered_name": None}
    again = constraints.get(serialized)
    assert type(again) is cls and again.get_config() == config


def test_axis_lists_survive_serialization():
    config = json.loads(json.dumps(constraints.serialize(MaxNorm(3.0, axis=[0, 1, 2]))))
    assert config["config"] == {"max_value": 3.0, "axis": [0, 1, 2]}
    again = constraints.get(config)
    np.testing.assert_allclose(apply(again), apply(MaxNorm(3.0, axis=[0, 1, 2])))


def test_none_passes_through_and_instances_are_kept():
    assert constraints.get(None) is None and constraints.serialize(None) is None
    unit = UnitNorm(axis=1)
    assert constraints.get(unit) is unit
    assert type(constraints.get({"class_name": "NonNeg", "config": {}})) is NonNeg


def test_errors_are_pinned():
    for axis in ("0", 1.5, [0, "1"], True, None):
        with pytest.raises(ValueError, match=r"Invalid value for argument `axis`: expected an int or a list of ints. Received: axis="):
            MaxNorm(axis=axis)
    with pytest.raises(ValueError, match=r"Unknown constraint 'radial_constraint'. Allowed names: MaxNorm, MinMaxNorm, NonNeg, UnitNorm, max_norm, min_max_norm, non_neg, unit_norm"):
        constraints.get("radial_constraint")  # a tf.keras 2 name
    with pytest.raises(ValueError, match=r"Unknown constraint 'Max_Norm'. Did you mean 'max_norm'\?"):
        constraints.get("Max_Norm")
    with pytest.raises(ValueError, match=r"Could not interpret constraint identifier \[0\]: expected a name, a Keras config dict, an instance of Constraint, or a callable. Received: type list"):
        constraints.get([0])
    with pytest.raises(ValueError, match=r"Unknown config keys for constraint 'NonNeg': axis. Expected keys among: none. Received: config=\{'axis': 0\}"):
        constraints.get({"class_name": "NonNeg", "config": {"axis": 0}})


def clip_unit(w):
    return w.clamp(-1.0, 1.0)


def test_callables_are_wrapped_and_serialized_by_name():
    constraint = constraints.get(clip_unit)
    assert isinstance(constraint, CallableConstraint) and isinstance(constraint, Constraint)
    assert constraint(torch.tensor([-3.0, 0.5])).tolist() == [-1.0, 0.5]
    config = constraints.serialize(clip_unit)
    assert config == {"module": __name__, "class_name": "function", "config": "clip_unit", "registered_name": "clip_unit"}
    with pytest.raises(ValueError, match=r"Unknown constraint 'clip_unit'"):
        constraints.get(config)
    constraints.register("clip_unit", clip_unit)
    assert constraints.get(config).fn is clip_unit


def test_docstring_examples_run():
    assert doctest.testmod(constraints, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0
