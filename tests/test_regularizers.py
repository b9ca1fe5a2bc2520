"""Regularizers: Keras's penalties against independent NumPy formulas, gradients, names, configs, errors."""

import doctest
import json

import numpy as np
import pytest
import torch

from convlayers import regularizers
from convlayers.regularizers import L1, L1L2, L2, CallableRegularizer, OrthogonalRegularizer, Regularizer

KERNEL = np.random.default_rng(1).standard_normal((3, 3, 4, 8))
KERAS_NAMES = {  # name -> (class, config of the object it builds)
    "l1": (L1, {"l1": 0.01}), "L1": (L1, {"l1": 0.01}), "l2": (L2, {"l2": 0.01}), "L2": (L2, {"l2": 0.01}),
    "l1l2": (L1L2, {"l1": 0.0, "l2": 0.0}), "L1L2": (L1L2, {"l1": 0.0, "l2": 0.0}),
    "l1_l2": (L1L2, {"l1": 0.01, "l2": 0.01}),  # tf.keras 2's name and defaults
    "orthogonal_regularizer": (OrthogonalRegularizer, {"factor": 0.01, "mode": "rows"}),
    "OrthogonalRegularizer": (OrthogonalRegularizer, {"factor": 0.01, "mode": "rows"}),
}


def orthogonal_penalty(matrix, factor, mode):
    """Keras's formula with explicit loops: mean |cosine| over distinct pairs of rows (or columns), halved."""
    vectors = matrix if mode == "rows" else matrix.T
    unit = [v * (min(1 / np.sqrt(np.sum(v * v)), 1e7) if np.any(v) else 1e7) for v in vectors]
    n = len(unit)
    total = sum(abs(np.dot(unit[i], unit[j])) for i in range(n) for j in range(n) if i != j)
    return factor * 0.5 * total / (n * (n - 1) / 2)


@pytest.mark.parametrize("regularizer, expected", [
    (L1(0.3), 0.3 * np.sum(np.abs(KERNEL))),
    (L2(0.2), 0.2 * np.sum(KERNEL**2)),
    (L1L2(0.1, 0.4), 0.1 * np.sum(np.abs(KERNEL)) + 0.4 * np.sum(KERNEL**2)),
    (L1L2(l2=0.5), 0.5 * np.sum(KERNEL**2)),
    (L1L2(), 0.0),
    (regularizers.get("l1"), 0.01 * np.sum(np.abs(KERNEL))),
    (regularizers.get("l2"), 0.01 * np.sum(KERNEL**2)),
    (regularizers.get("l1_l2"), 0.01 * np.sum(np.abs(KERNEL)) + 0.01 * np.sum(KERNEL**2)),
], ids=["L1", "L2", "L1L2", "L1L2-l2-only", "L1L2-zero", "l1", "l2", "l1_l2"])
def test_norm_penalties_match_numpy(regularizer, expected):
    for dtype, rtol in [(torch.float64, 1e-12), (torch.float32, 1e-5)]:
        value = regularizer(torch.tensor(KERNEL, dtype=dtype))
        assert value.shape == () and value.dtype == dtype
        assert value.item() == pytest.approx(expected, rel=rtol, abs=1e-12)


@pytest.mark.parametrize("mode", ["rows", "columns"])
@pytest.mark.parametrize("shape", [(6, 5), (5, 6), (3, 3, 4, 8)])
def test_orthogonal_penalty_matches_the_keras_formula(mode, shape):
    w = np.random.default_rng(2).standard_normal(shape)
    value = OrthogonalRegularizer(0.5, mode)(torch.tensor(w))
    # Rank > 2 is flattened to (-1, shape[-1]) first (Keras accepts rank 2 only).
    assert value.item() == pytest.approx(orthogonal_penalty(w.reshape(-1, shape[-1]), 0.5, mode), rel=1e-12)


def test_orthogonal_penalty_is_zero_for_orthogonal_vectors_and_finite_for_zero_rows():
    assert OrthogonalRegularizer(1.0)(torch.eye(4)).item() == 0.0
    w = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])
    assert OrthogonalRegularizer(1.0)(w).item() == pytest.approx(orthogonal_penalty(w.numpy().astype(np.float64), 1.0, "rows"), rel=1e-6)


@pytest.mark.parametrize("regularizer", [L1(0.3), L2(0.2), L1L2(0.1, 0.4), OrthogonalRegularizer(0.5, "rows"),
                                         OrthogonalRegularizer(0.5, "columns")], ids=repr)
def test_penalties_are_differentiable(regularizer):
    w = torch.tensor(np.random.default_rng(3).standard_normal((3, 2, 4)), requires_grad=True)
    assert torch.autograd.gradcheck(regularizer, (w,))


@pytest.mark.parametrize("name", sorted(KERAS_NAMES))
def test_every_keras_name_builds_its_class_and_round_trips(name):
    cls, config = KERAS_NAMES[name]
    regularizer = regularizers.get(name)
    assert type(regularizer) is cls and regularizer.get_config() == config
    serialized = json.loads(json.dumps(regularizers.serialize(regularizer)))
    assert serialized == {"module": "keras.regularizers", "class_name": cls.__name__, "config": config, "registered_name": None}
    again = regularizers.get(serialized)
    assert type(again) is cls and again.get_config() == config


def test_none_passes_through_and_instances_are_kept():
    assert regularizers.get(None) is None and regularizers.serialize(None) is None
    l2 = L2(0.5)
    assert regularizers.get(l2) is l2
    assert regularizers.get({"class_name": "L1L2", "config": {"l1": 0.2}}).get_config() == {"l1": 0.2, "l2": 0.0}
    assert L1(None).l1 == 0.01 and L1L2(None, None).get_config() == {"l1": 0.0, "l2": 0.0}


def test_errors_are_pinned():
    with pytest.raises(ValueError, match=r"Invalid value for argument `l1`: expected a non-negative float. Received: l1=-0.1"):
        L1(-0.1)
    with pytest.raises(ValueError, match=r"Invalid value for argument `factor`: expected a non-negative float. Received: factor=nan"):
        OrthogonalRegularizer(float("nan"))
    with pytest.raises(ValueError, match=r"Invalid value for argument `l2`: expected a non-negative float. Received: l2='0.1'"):
        L2("0.1")
    with pytest.raises(ValueError, match=r'Invalid value for argument `mode`. Expected one of \{"rows", "columns"\}. Received: mode=\'cols\''):
        OrthogonalRegularizer(mode="cols")
    with pytest.raises(ValueError, match=r"Inputs to OrthogonalRegularizer must have rank >= 2. Received: inputs.shape=\(4,\)"):
        OrthogonalRegularizer()(torch.ones(4))
    with pytest.raises(ValueError, match=r"Unknown regularizer 'L1_L2'. Did you mean 'l1_l2'\?.* Allowed names: L1, L1L2, L2, OrthogonalRegularizer, l1, l1_l2, l1l2, l2, orthogonal_regularizer"):
        regularizers.get("L1_L2")
    with pytest.raises(ValueError, match=r"Could not interpret regularizer identifier 0.01: expected a name, a Keras config dict, an instance of Regularizer, or a callable"):
        regularizers.get(0.01)
    with pytest.raises(ValueError, match=r"Unknown config keys for regularizer 'L2': l1. Expected keys among: l2."):
        regularizers.get({"class_name": "L2", "config": {"l1": 0.1}})


def weight_sum(w):
    return w.sum()


def test_callables_are_wrapped_and_serialized_by_name():
    regularizer = regularizers.get(weight_sum)
    assert isinstance(regularizer, CallableRegularizer) and isinstance(regularizer, Regularizer)
    assert regularizer(torch.ones(2, 3)).item() == 6.0
    config = regularizers.serialize(regularizer)
    assert config["class_name"] == "function" and config["config"] == "weight_sum"
    with pytest.raises(ValueError, match=r"Unknown regularizer 'weight_sum'"):
        regularizers.get(config)
    regularizers.register("weight_sum", weight_sum)
    assert regularizers.get(config).fn is weight_sum


def test_docstring_examples_run():
    assert doctest.testmod(regularizers, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0
