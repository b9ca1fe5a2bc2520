"""Keras files load compiled, as Keras's ``load_model(compile=True)``: optimizer, loss, metrics and Keras's evaluate numbers.

The files and Keras's numbers come from tests/fixtures/keras-compiled/make_compiled_fixtures.py (Keras 3.15.1).
"""

from __future__ import annotations

import json
import re
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import convlayers
from convlayers.io import load_keras_model, save_model
from convlayers.io.keras_compile import compile_from_keras, keras_compile_arguments
from convlayers.io.keras_export import keras_compile_config
from convlayers.models import losses, metrics, optimizers

FIXTURES = Path(__file__).parent / "fixtures" / "keras-compiled"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text())
DATA = np.load(FIXTURES / "data.npz")
UNKNOWN = {"unknown_optimizer": "Ftrl"}


def _plain(value):
    return json.loads(json.dumps(value))


def _loss_name(loss):
    """The name a Keras loss entry (a name, a serialized function or class) logs as."""
    if isinstance(loss, str):
        return loss
    return loss["config"] if loss["class_name"] == "function" else loss["config"]["name"]


def _evaluate(model, target):
    return model.evaluate(DATA["x"], DATA[target], batch_size=8, verbose=0, return_dict=True)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_keras_files_load_compiled_as_keras_loads_them(name):
    expected = EXPECTED[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every setting is rebuilt: no warning
        model = load_keras_model(FIXTURES / name)
    assert model.compiled
    assert type(model.optimizer).__name__ == expected["optimizer"]["class_name"]
    assert _plain(model.optimizer.get_config()) == expected["optimizer"]["config"]
    loss = losses.serialize(model.compile_arguments["loss"])
    assert _loss_name(loss) in (_loss_name(expected["loss"]), losses.ALIASES.get(_loss_name(expected["loss"])))
    if isinstance(expected["loss"], dict) and expected["loss"]["class_name"] != "function":
        assert loss["class_name"] == expected["loss"]["class_name"]
        assert {key: loss["config"][key] for key in expected["loss"]["config"]} == expected["loss"]["config"]
    result = _evaluate(model, expected["target"])
    assert sorted(result) == sorted(expected["evaluate"])  # loss and metric names, as Keras logs them
    for key, value in expected["evaluate"].items():
        assert result[key] == pytest.approx(value, rel=1e-5), key


def test_a_loaded_model_goes_on_training_with_its_optimizer():
    model = convlayers.load_model(FIXTURES / "adam_schedule_logits.keras")
    assert isinstance(model.optimizer, optimizers.Adam) and model.optimizer.clipnorm == 1.0
    assert isinstance(model.optimizer.get_config()["learning_rate"], dict)  # the schedule, serialized
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(DATA["x"], DATA["labels"], batch_size=8, epochs=2, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss", "sca"]
    assert model.optimizer.iterations == 4
    assert not np.allclose(before[0], model.get_weights()[0])


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_compile_false_loads_uncompiled_without_a_warning(suffix):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for load in (load_keras_model, convlayers.load_model, convlayers.saving.load_model):
            model = load(FIXTURES / f"unknown_optimizer{suffix}", compile=False)
            assert not model.compiled and model.optimizer is None
    assert convlayers.load_model(FIXTURES / f"sgd_categorical{suffix}").compiled


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras_load_model_returns_the_model_compiled(tmp_path, suffix):
    model = convlayers.Sequential([convlayers.Input((3,)), convlayers.Dense(2, name="d")], name="m")
    model.compile(optimizers.Adam(0.01), "mse", metrics=["mae"])
    convlayers.saving.save_model(model, tmp_path / f"m{suffix}")
    loaded = convlayers.models.load_model(tmp_path / f"m{suffix}")
    assert loaded.compiled and loaded.optimizer.learning_rate == 0.01
    x = np.ones((4, 3), "float32")
    assert sorted(loaded.fit(x, np.zeros((4, 2), "float32"), verbose=0).history) == ["loss", "mean_absolute_error" if suffix == ".h5" else "mae"]


@pytest.mark.parametrize("name", sorted(UNKNOWN))
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_what_convlayers_cannot_rebuild_warns_and_loads_uncompiled(name, suffix):
    path = FIXTURES / f"{name}{suffix}"
    with pytest.warns(UserWarning, match=r"unknown_\w+\.(keras|h5): the model was loaded uncompiled, as convlayers cannot "
                                         r"rebuild its compile settings: .*" + UNKNOWN[name]) as caught:
        model = load_keras_model(path)
    assert len(caught) == 1 and "Call model.compile(...) to train it." in str(caught[0].message)
    assert not model.compiled
    assert model.predict(DATA["x"][:2], verbose=0).shape[0] == 2  # the weights loaded all the same


@pytest.mark.parametrize("name", ["adam_schedule_logits.keras", "sgd_categorical.keras", "rmsprop_regression.keras"])
@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_loaded_model_saved_again_keeps_its_compile_settings(tmp_path, name, suffix):
    model = load_keras_model(FIXTURES / name)
    save_model(model, tmp_path / f"m{suffix}")
    again = load_keras_model(tmp_path / f"m{suffix}")
    written, reread = keras_compile_config(model), keras_compile_config(again)
    assert reread["optimizer"] == written["optimizer"] and reread["loss"] == written["loss"]
    assert reread["loss_weights"] == written["loss_weights"]
    if suffix == ".keras":
        assert reread["metrics"] == written["metrics"] and reread["weighted_metrics"] == written["weighted_metrics"]
    target = EXPECTED[name]["target"]
    assert list(_evaluate(again, target).values()) == pytest.approx(list(_evaluate(model, target).values()), rel=1e-6)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_convlayers_model_written_and_reloaded_keeps_its_compile_settings(tmp_path, suffix):
    model = convlayers.Sequential([convlayers.Input((4,)), convlayers.Dense(2, name="out")], name="m")
    optimizer = optimizers.SGD(optimizers.schedules.PiecewiseConstantDecay([2], [0.1, 0.01]), momentum=0.5, clipnorm=2.0)
    model.compile(optimizer, losses.Huber(delta=2.0), loss_weights=0.5,
                  metrics=["mae", metrics.MeanSquaredError(name="m2")], weighted_metrics=["mae"])
    save_model(model, tmp_path / f"m{suffix}")
    again = convlayers.load_model(tmp_path / f"m{suffix}")
    assert again.compiled
    arguments = again.compile_arguments
    assert _plain(arguments["optimizer"].get_config()) == _plain(optimizer.get_config())
    assert arguments["loss"].kwargs == {"delta": 2.0} and arguments["loss_weights"] == 0.5
    names = ["mean_absolute_error", "m2"] if suffix == ".h5" else ["mae", "m2"]  # Keras's legacy naming of "mae"
    assert [m if isinstance(m, str) else m.name for m in arguments["metrics"]] == names
    assert list(_evaluate(again, "regression").values()) == pytest.approx(list(_evaluate(model, "regression").values()))


def test_keras_1_and_tf_keras_2_optimizer_keys_are_translated():
    # Keras 1.2.2's model.save (a committed fixture): SGD(lr=0.01, momentum=0.9, decay=0.0).
    model = convlayers.load_model(Path(__file__).parent / "fixtures" / "keras1-files" / "tf_th_cnn2d_model.h5")
    assert model.compiled and type(model.optimizer).__name__ == "SGD"
    assert model.optimizer.learning_rate == pytest.approx(0.01) and model.optimizer.momentum == pytest.approx(0.9)
    # tf.keras 2.11+'s training_config of an Adam.
    training = {"optimizer_config": {"class_name": "Adam", "config": {
        "name": "Adam", "learning_rate": 0.002, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07,
        "amsgrad": False, "is_legacy_optimizer": False, "jit_compile": True, "clipnorm": None}},
        "loss": {"class_name": "CategoricalCrossentropy", "config": {"reduction": "auto", "name": "categorical_crossentropy",
                                                                      "from_logits": True, "label_smoothing": 0.0, "axis": -1}},
        "metrics": [[{"class_name": "MeanMetricWrapper", "config": {"name": "accuracy", "dtype": "float32", "fn": "categorical_accuracy"}}]],
        "weighted_metrics": None, "loss_weights": None}
    arguments = keras_compile_arguments(training)
    assert arguments["optimizer"].learning_rate == 0.002
    assert arguments["loss"].kwargs["from_logits"] is True and arguments["loss"].reduction == "sum_over_batch_size"
    [[accuracy]] = arguments["metrics"]
    assert accuracy.name == "accuracy" and accuracy.fn is metrics.categorical_accuracy and accuracy.direction == "up"


@pytest.mark.parametrize("config, message", [
    ({"optimizer": {"class_name": "SGD", "config": {"lr": 0.1, "centered": True}}, "loss": "mse"}, r"SGD: argument\(s\) not recognized: {.centered.: True}"),
    ({"optimizer": "sgd", "loss": {"class_name": "SparseCategoricalCrossentropy", "config": {"ignore_class": 0}}},
     "Loss SparseCategoricalCrossentropy: convlayers has no `ignore_class`. Received: ignore_class=0."),
    ({"optimizer": "sgd", "loss": {"class_name": "MeanSquaredError", "config": {"reduction": "max"}}}, "`reduction` must be one of"),
    ({"optimizer": "sgd", "loss": {"class_name": "Huber", "config": {"beta": 1}}}, "Loss Huber: .*beta"),
    ({"optimizer": "sgd", "loss": "mse", "metrics": ["crossentropy"]}, "Unknown metric 'crossentropy'"),
    ({"optimizer": "sgd", "loss": "mse", "metrics": [{"class_name": "MeanSquaredError", "config": {"dtype": "float16"}}]},
     "Metric MeanSquaredError: convlayers metrics are float32. Received: dtype='float16'."),
    ({"optimizer": "sgd", "loss": "mse", "metrics": [{"class_name": "MeanMetricWrapper", "config": {"fn": "my_metric"}}]},
     "Metric MeanMetricWrapper: convlayers rebuilds wrappers of"),
    ({"loss": "mse"}, "it names no optimizer"),
    (["sgd", "mse"], "it is not a dict"),
])
def test_unrebuildable_settings_warn_with_the_reason(config, message):
    model = convlayers.Sequential([convlayers.Input((2,)), convlayers.Dense(1)])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert compile_from_keras(model, config, "f.keras") is False
    assert not model.compiled
    assert len([w for w in caught if "loaded uncompiled" in str(w.message)]) == 1
    assert re.search(message, " ".join(str(w.message) for w in caught))


def test_a_legacy_decay_is_ignored_with_keras_3s_warning():
    model = convlayers.Sequential([convlayers.Input((2,)), convlayers.Dense(1)])
    with pytest.warns(UserWarning, match=r"Argument `decay` is no longer supported and will be ignored"):
        assert compile_from_keras(model, {"optimizer_config": {"class_name": "SGD", "config": {"lr": 0.1, "decay": 0.1}},
                                          "loss": "mse"}, "f.h5")
    assert model.optimizer.learning_rate == 0.1


def test_an_uncompiled_keras_file_loads_uncompiled_silently(tmp_path):
    model = convlayers.Sequential([convlayers.Input((2,)), convlayers.Dense(1)])
    save_model(model, tmp_path / "m.keras")
    assert json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))["compile_config"] == {}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not load_keras_model(tmp_path / "m.keras").compiled


LOSSES = [losses.MeanSquaredError(), losses.MeanAbsoluteError(name="l1"), losses.Huber(delta=0.5),
          losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2), losses.CategoricalCrossentropy(axis=1),
          losses.SparseCategoricalCrossentropy(from_logits=True)]
METRICS = [metrics.BinaryAccuracy(threshold=0.3), metrics.CategoricalAccuracy(), metrics.SparseCategoricalAccuracy(name="s"),
           metrics.MeanAbsoluteError(), metrics.MeanSquaredError(),
           metrics.MeanMetricWrapper(metrics.top_k_categorical_accuracy, "top", "up")]


@pytest.mark.parametrize("loss", LOSSES, ids=lambda loss: type(loss).__name__)
def test_losses_serialize_as_keras_and_round_trip(loss):
    config = losses.serialize(loss)
    assert config["module"] == "keras.losses" and config["config"]["reduction"] == "sum_over_batch_size"
    again = losses.deserialize(config)
    assert type(again) is type(loss) and again.get_config() == loss.get_config()


@pytest.mark.parametrize("metric", METRICS, ids=lambda metric: metric.name)
def test_metrics_serialize_as_keras_and_round_trip(metric):
    config = metrics.serialize(metric)
    assert config["module"] == "keras.metrics" and config["config"]["dtype"] == "float32"
    again = metrics.deserialize(config)
    assert type(again) is type(metric) and again.name == metric.name and again.kwargs == metric.kwargs
    assert again.direction == metric.direction


def test_what_keras_cannot_name_is_refused_by_serialize():
    with pytest.raises(ValueError, match=r"losses.serialize: Keras names a loss by a name"):
        losses.serialize(losses.Loss(lambda t, p: t - p, "mine"))
    with pytest.raises(ValueError, match=r"metrics.serialize: Keras names a metric by a name"):
        metrics.serialize(metrics.MeanMetricWrapper(lambda t, p: t - p, "mine"))
