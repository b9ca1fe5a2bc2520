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


def test_fit_logs_metrics_by_their_keras_names() -> None:
    import convlayers

    torch.manual_seed(0)
    x = torch.randn(32, 4)
    y = (x[:, :1] > 0).float()
    model = convlayers.Sequential([convlayers.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["precision", metrics.AUC(), "recall", "f1_score"])
    history = model.fit(x, y, batch_size=8, epochs=1, validation_data=(x, y), verbose=0)
    # Keras 3.15 logs these keys for the same compile call (in a fresh session).
    assert sorted(history.history) == sorted(
        ["loss", "precision", "auc", "recall", "f1_score", "val_loss", "val_precision", "val_auc", "val_recall", "val_f1_score"]
    )
    # The validation entries are the metrics over the whole validation set.
    prediction = torch.as_tensor(model.predict(x, verbose=0))
    precision, auc = metrics.Precision(), metrics.AUC()
    precision.update_state(y, prediction)
    auc.update_state(y, prediction)
    assert history.history["val_precision"][-1] == pytest.approx(precision.result(), rel=1e-5)
    assert history.history["val_auc"][-1] == pytest.approx(auc.result(), rel=1e-5)


@pytest.mark.parametrize(
    ("identifier", "cls", "name"),
    [
        ("precision", "Precision", "precision"), ("auc", "AUC", "auc"), ("AUC", "AUC", "AUC"), ("r2_score", "R2Score", "r2_score"),
        ("root_mean_squared_error", "RootMeanSquaredError", "root_mean_squared_error"), ("log_cosh_error", "LogCoshError", "log_cosh_error"),
        ("true_positives", "TruePositives", "true_positives"), ("f1_score", "F1Score", "f1_score"),
    ],
)
def test_metric_names_resolve_as_keras(identifier: str, cls: str, name: str) -> None:
    metric = metrics.get(identifier, torch.zeros(2, 1), torch.zeros(2, 1))
    assert type(metric).__name__ == cls and metric.name == name


@pytest.mark.parametrize("identifier", ["dice", "tversky", "binary_focal_crossentropy", "Dice", "BinaryFocalCrossentropy", "LogCosh", "Hinge"])
def test_loss_names_resolve(identifier: str) -> None:
    loss = losses.get(identifier)
    assert loss.name == identifier or type(loss).__name__ == identifier
    assert torch.isfinite(loss(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.3, 0.6]])))


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match=r"Dice: invalid value for argument `reduction`.*Received: reduction='avg'"):
        losses.Dice(reduction="avg")
    with pytest.raises(ValueError, match=r"Precision: threshold values must be in \[0, 1\]. Received: thresholds=\[0.5, 1.5\]"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match=r"AUC: argument `num_thresholds` must be an integer > 1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match=r"AUC: invalid AUC curve value"):
        metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match=r"PrecisionAtRecall: argument `recall` must be in the range \[0, 1\]"):
        metrics.PrecisionAtRecall(1.5)
    with pytest.raises(ValueError, match=r"F1Score: invalid `average`"):
        metrics.F1Score(average="mean")
    with pytest.raises(ValueError, match=r"IoU: target class id 3 is out of range"):
        metrics.IoU(num_classes=3, target_class_ids=[3])
    with pytest.raises(ValueError, match=r"R2Score: invalid value for argument `class_aggregation`"):
        metrics.R2Score(class_aggregation="median")


def test_reset_state_forgets_everything() -> None:
    y, p = torch.tensor([0.0, 1.0, 1.0]), torch.tensor([0.2, 0.9, 0.4])
    for metric in (metrics.AUC(), metrics.Precision(), metrics.R2Score(), metrics.MeanIoU(2), metrics.F1Score(threshold=0.5)):
        fresh = type(metric)(**({"num_classes": 2} if isinstance(metric, metrics.MeanIoU) else {"threshold": 0.5} if isinstance(metric, metrics.F1Score) else {}))
        args = (y.reshape(-1, 1), p.reshape(-1, 1)) if isinstance(metric, (metrics.R2Score, metrics.F1Score)) else (y, p if not isinstance(metric, metrics.MeanIoU) else (p > 0.5).long())
        metric.update_state(*args)
        metric.update_state(*args)
        metric.reset_state()
        metric.update_state(*args)
        fresh.update_state(*args)
        assert metric.result() == fresh.result()
