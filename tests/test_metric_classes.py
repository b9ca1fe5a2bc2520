"""Keras 3's loss and metric classes against Keras's own numbers (tests/fixtures/make_metric_fixtures.py)."""

from __future__ import annotations

import json
import re
import pathlib

import numpy as np
import pytest
import torch

from convlayers.models import losses, metrics

CASES = json.loads((pathlib.Path(__file__).parent / "fixtures" / "metrics" / "keras_metric_cases.json").read_text())["cases"]


def _id(case: dict) -> str:
    return f"{case['kind']}-{case['class']}-{json.dumps(case['kwargs'], sort_keys=True)}-{case['label']}"


def _tensor(value):
    return None if value is None else torch.tensor(value)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_matches_keras(case: dict) -> None:
    module = losses if case["kind"] == "loss" else metrics
    obj = getattr(module, case["class"])(**case["kwargs"])
    expected_config = dict(case["config"])
    # Keras numbers each further instance of a class in one session (precision_1); ours keep the plain name.
    expected_config["name"] = re.sub(r"_\d+$", "", expected_config["name"])
    assert obj.get_config() == expected_config
    for (y_true, y_pred, weight), expected in zip(case["batches"], case["expected"]):
        if case["kind"] == "loss":
            got = obj(_tensor(y_true), _tensor(y_pred), _tensor(weight)).numpy()
        else:
            if y_true is None:
                obj.update_state(_tensor(y_pred), sample_weight=_tensor(weight))
            else:
                obj.update_state(_tensor(y_true), _tensor(y_pred), sample_weight=_tensor(weight))
            got = obj.result()
        np.testing.assert_allclose(np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64), rtol=1e-5, atol=1e-6)
