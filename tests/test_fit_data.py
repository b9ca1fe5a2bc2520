"""The fit/evaluate/predict data path: weighted losses and metrics against Keras's own numbers
(tests/fixtures/fit_data, written by its generate.py), multi-output compile, every data source
(arrays, structures, Dataset, DataLoader, generators) with Keras's steps rules, callbacks'
test/predict hooks, the single-batch methods, and the misuse errors."""

import json
import re
import warnings

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from conftest import FIXTURES
from convlayers import Dense, Input, Sequential, callbacks, mixed_precision, optimizers
from convlayers.models.training import Trainer

KERAS = json.loads((FIXTURES / "fit_data" / "keras.json").read_text())["cases"]
ARRAYS = np.load(FIXTURES / "fit_data" / "keras.npz")
RTOL = 1e-5


def _a(case, name):
    return ARRAYS[f"{case}/{name}"]


def _close_logs(got, want):
    assert list(got) == sorted(want), (list(got), list(want))
    for name, value in want.items():
        np.testing.assert_allclose(got[name], value, rtol=RTOL, err_msg=name)


def _close_weights(model, case, tag):
    for i, got in enumerate(model.get_weights()):
        np.testing.assert_allclose(got, _a(case, f"{tag}_w{i}"), rtol=RTOL, atol=1e-6, err_msg=f"weight {i}")


def _dense_model(case, units, features, **dense):
    model = Sequential([Input((features,)), Dense(units, **dense)])
    model.set_weights([_a(case, "w0"), _a(case, "w1")])
    return model


# -- Keras's numbers: sample weights -------------------------------------------------------------
def _dense_sample_weight_model():
    model = _dense_model("dense_sample_weight", 2, 3)
    model.compile(optimizers.SGD(0.1), "mse", metrics=["mae"], weighted_metrics=["mae", "mse"])
    return model


def test_sample_weighted_loss_and_weighted_metrics_match_keras():
    case, keras = "dense_sample_weight", KERAS["dense_sample_weight"]
    x, y, sw = _a(case, "x"), _a(case, "y"), _a(case, "sw")
    model = _dense_sample_weight_model()
    for want in keras["train_on_batch"]:
        _close_logs(model.train_on_batch(x, y, sample_weight=sw, return_dict=True), want)
    _close_weights(model, case, "after_train")
    # Keras's list order: loss, then the metrics by their own names (a weighted "mae" repeats "mae"), the rest by name.
    np.testing.assert_allclose(model.train_on_batch(x[:4], y[:4], sample_weight=sw[:4]), keras["train_on_batch_list"], rtol=RTOL)
    _close_weights(model, case, "after_list")
    _close_logs(model.test_on_batch(x, y, sample_weight=sw, return_dict=True), keras["test_on_batch"])
    _close_logs(model.evaluate(x, y, sample_weight=sw, batch_size=3, verbose=0, return_dict=True), keras["evaluate"])
    np.testing.assert_allclose(model.evaluate(x, y, sample_weight=sw, batch_size=3, verbose=0), keras["evaluate_list"], rtol=RTOL)


def test_sum_over_batch_size_divides_by_the_number_of_losses_not_the_weights():
    # NumPy reference: sum(w * per-sample mse) / N, with zero weights counted in N.
    case = "dense_sample_weight"
    x, y, sw = _a(case, "x"), _a(case, "y"), _a(case, "sw")
    model = _dense_model(case, 2, 3)
    model.compile("sgd", "mse")
    per_sample = np.mean((x.astype(np.float64) @ _a(case, "w0") + _a(case, "w1") - y) ** 2, axis=1)
    assert model.evaluate(x, y, sample_weight=sw, verbose=0) == pytest.approx(np.sum(sw * per_sample) / len(x), rel=1e-6)
    assert model.evaluate(x, y, sample_weight=sw * 10, verbose=0) == pytest.approx(10 * np.sum(sw * per_sample) / len(x), rel=1e-6)


def _fit_sample_weight_case(x, **fit):
    model = _dense_sample_weight_model()
    case = "dense_sample_weight"
    for _ in range(2):
        model.train_on_batch(_a(case, "x"), _a(case, "y"), sample_weight=_a(case, "sw"))
    model.train_on_batch(_a(case, "x")[:4], _a(case, "y")[:4], sample_weight=_a(case, "sw")[:4])
    history = model.fit(x, epochs=2, verbose=0, **fit)
    return model, history


def _keras_history_check(model, history):
    keras = KERAS["dense_sample_weight"]["fit"]
    assert sorted(history.history) == sorted(keras)
    for name, values in keras.items():
        np.testing.assert_allclose(history.history[name], values, rtol=RTOL, err_msg=name)
    _close_weights(model, "dense_sample_weight", "after_fit")


def test_fit_with_sample_weight_and_weighted_validation_matches_keras():
    case = "dense_sample_weight"
    x, y, sw = _a(case, "x"), _a(case, "y"), _a(case, "sw")
    model, history = _fit_sample_weight_case(
        x, y=y, sample_weight=sw, batch_size=3, shuffle=False, validation_data=(x[:5], y[:5], sw[:5])
    )
    _keras_history_check(model, history)


class _Triples(Dataset):
    """Items (x, y, sample_weight), as a user's Dataset would give them."""

    def __init__(self, x, y, sw):
        self.x, self.y, self.sw = x, y, sw

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i], self.sw[i]


def test_dataset_dataloader_and_generator_feed_the_same_keras_run():
    case = "dense_sample_weight"
    x, y, sw = _a(case, "x"), _a(case, "y"), _a(case, "sw")
    validation = (x[:5], y[:5], sw[:5])
    model, history = _fit_sample_weight_case(_Triples(x, y, sw), batch_size=3, shuffle=False, validation_data=validation)
    _keras_history_check(model, history)
    loader = DataLoader(TensorDataset(*map(torch.tensor, (x, y, sw))), batch_size=3)
    model, history = _fit_sample_weight_case(loader, shuffle=False, validation_data=DataLoader(TensorDataset(*map(torch.tensor, validation)), batch_size=3))
    _keras_history_check(model, history)

    def batches():
        while True:
            for start in range(0, 8, 3):
                yield x[start : start + 3], y[start : start + 3], sw[start : start + 3]

    model, history = _fit_sample_weight_case(batches(), steps_per_epoch=3, shuffle=False, validation_data=validation, batch_size=None)
    _keras_history_check(model, history)


# -- Keras's numbers: class weights and per-pixel weights ------------------------------------------
@pytest.mark.parametrize("as_dataset", [False, True])
def test_class_weight_matches_keras_for_sparse_and_one_hot_targets(as_dataset):
    case, keras = "dense_class_weight", KERAS["dense_class_weight"]
    x, labels = _a(case, "x"), _a(case, "labels")
    class_weight = {int(k): v for k, v in keras["class_weight"].items()}
    model = _dense_model(case, 3, 4, activation="softmax")
    model.compile(optimizers.SGD(0.5), "sparse_categorical_crossentropy", metrics=["accuracy"], weighted_metrics=["accuracy"])
    for want in keras["train_on_batch"]:
        _close_logs(model.train_on_batch(x, labels, class_weight=class_weight, return_dict=True), want)
    _close_weights(model, case, "after_train")
    # A Dataset of (x, label) items gets its class weights batch by batch: the same run.
    data = (TensorDataset(torch.tensor(x), torch.tensor(labels)),) if as_dataset else (x, labels)
    history = model.fit(*data, class_weight=class_weight, batch_size=4, epochs=2, shuffle=False, verbose=0)
    for name, values in keras["fit"].items():
        np.testing.assert_allclose(history.history[name], values, rtol=RTOL, err_msg=name)
    _close_weights(model, case, "after_fit")
    onehot = np.eye(3, dtype="float32")[labels]
    model = _dense_model(case, 3, 4, activation="softmax")
    model.compile(optimizers.SGD(0.5), "categorical_crossentropy", weighted_metrics=["categorical_accuracy"])
    _close_logs(model.train_on_batch(x, onehot, class_weight=class_weight, return_dict=True), keras["onehot_train_on_batch"])
    _close_weights(model, case, "after_onehot")


def test_per_pixel_sample_weights_match_keras():
    case, keras = "conv_pixel_weight", KERAS["conv_pixel_weight"]
    from convlayers import Conv2D

    model = Sequential([Input((5, 5, 1)), Conv2D(2, 3, padding="same")])
    model.set_weights([_a(case, "w0"), _a(case, "w1")])
    model.compile(optimizers.SGD(0.05), "mse", weighted_metrics=["mae"])
    x, y, sw = _a(case, "x"), _a(case, "y"), _a(case, "sw")
    for want in keras["train_on_batch"]:
        _close_logs(model.train_on_batch(x, y, sample_weight=sw, return_dict=True), want)
    _close_weights(model, case, "after_train")
    _close_logs(model.evaluate(x, y, sample_weight=sw, batch_size=3, verbose=0, return_dict=True), keras["evaluate"])
    # One weight per sample does not broadcast against per-pixel losses: Keras refuses it too.
    with pytest.raises(ValueError, match=r"Sequential '.*'\.evaluate\(\): Loss 'mse': `sample_weight` of shape \(4,\) does not match the per-sample losses of shape \(4, 5, 5\)"):
        model.evaluate(x, y, sample_weight=np.ones(4, "float32"), verbose=0)


# -- multi-output models ------------------------------------------------------------------------------
class TwoHeads(Trainer, nn.Module):
    """A test-only model on the Trainer: Dense(4, tanh) then heads "a" (2 units) and "b" (1 unit).

    Returns a list (or a dict) of outputs, as a functional Model does; inputs may be a list/dict.
    """

    output_names = ["a", "b"]

    def __init__(self, as_dict=False, inputs=None):
        super().__init__()
        self.name = "two_heads"
        self.as_dict = as_dict
        self.inputs = inputs  # None: one tensor; "list"/"dict": two inputs of 2 and 1 features
        self.hidden, self.a, self.b = Dense(4, activation="tanh"), Dense(2), Dense(1)
        for layer, features in ((self.hidden, 3), (self.a, 4), (self.b, 4)):
            layer.build((None, features))
        self.dtype_policy = mixed_precision.global_policy()
        self.built = True

    @property
    def layers(self):
        return [self.hidden, self.a, self.b]

    def get_weights(self):
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights):
        for i, layer in enumerate(self.layers):
            layer.set_weights(weights[2 * i : 2 * i + 2])

    def forward(self, x):
        if self.inputs == "list":
            x = torch.cat(list(x), dim=1)
        elif self.inputs == "dict":
            x = torch.cat([x["p"], x["q"]], dim=1)
        h = self.hidden(x)
        outputs = [self.a(h), self.b(h)]
        return dict(zip(self.output_names, outputs)) if self.as_dict else outputs


def _two_heads(as_dict=False, inputs=None):
    case = "multi_output"
    model = TwoHeads(as_dict, inputs)
    model.set_weights([_a(case, f"w{i}") for i in range(6)])
    model.compile(
        optimizers.SGD(0.1),
        loss={"a": "mse", "b": "mae"},
        loss_weights={"a": 1.0, "b": 0.5},
        metrics={"a": ["mae"], "b": ["mse", "mae"]},
        weighted_metrics={"b": ["mse"]},
    )
    return model


@pytest.mark.parametrize("as_dict", [False, True])
def test_multi_output_losses_metrics_and_log_names_match_keras(as_dict):
    case, keras = "multi_output", KERAS["multi_output"]
    x, ya, yb, sw = _a(case, "x"), _a(case, "ya"), _a(case, "yb"), _a(case, "sw")
    model = _two_heads(as_dict)
    for want in keras["train_on_batch"]:
        _close_logs(model.train_on_batch(x, {"a": ya, "b": yb}, sample_weight=sw, return_dict=True), want)
    np.testing.assert_allclose(model.train_on_batch(x, [ya, yb], sample_weight=sw), keras["train_on_batch_list"], rtol=RTOL)
    _close_weights(model, case, "after_train")
    _close_logs(model.evaluate(x, [ya, yb], sample_weight=sw, batch_size=4, verbose=0, return_dict=True), keras["evaluate"])
    np.testing.assert_allclose(model.evaluate(x, [ya, yb], sample_weight=sw, batch_size=4, verbose=0), keras["evaluate_list"], rtol=RTOL)


def test_multi_output_sample_weight_per_output_and_predict_structure():
    case = "multi_output"
    x, ya, yb, sw = _a(case, "x"), _a(case, "ya"), _a(case, "yb"), _a(case, "sw")
    model = _two_heads(as_dict=True)
    shared = model.evaluate(x, {"a": ya, "b": yb}, sample_weight=sw, verbose=0, return_dict=True)
    per_output = model.evaluate(x, {"a": ya, "b": yb}, sample_weight={"a": sw, "b": sw}, verbose=0, return_dict=True)
    assert per_output == pytest.approx(shared)
    only_b = model.evaluate(x, {"a": ya, "b": yb}, sample_weight={"a": np.ones(6, "float32"), "b": sw}, verbose=0, return_dict=True)
    assert only_b["b_loss"] == pytest.approx(shared["b_loss"]) and only_b["a_loss"] != pytest.approx(shared["a_loss"])
    predicted = model.predict(x, batch_size=4, verbose=0)
    assert set(predicted) == {"a", "b"} and predicted["a"].shape == (6, 2) and predicted["b"].shape == (6, 1)
    on_batch = model.predict_on_batch(x)
    np.testing.assert_allclose(on_batch["b"], predicted["b"], rtol=1e-6)
    assert isinstance(_two_heads().predict(x, verbose=0), list)


@pytest.mark.parametrize("inputs, make", [("list", lambda x: [x[:, :2], x[:, 2:]]), ("dict", lambda x: {"q": x[:, 2:], "p": x[:, :2]})])
def test_multi_input_structures_split_into_batches(inputs, make):
    case, keras = "multi_output", KERAS["multi_output"]
    x, ya, yb, sw = _a(case, "x"), _a(case, "ya"), _a(case, "yb"), _a(case, "sw")
    model = _two_heads(inputs=inputs)
    # Keras's first train_on_batch logs the untrained model's values: those of this evaluation.
    _close_logs(model.evaluate(make(x), [ya, yb], sample_weight=sw, batch_size=4, verbose=0, return_dict=True), keras["train_on_batch"][0])
    history = model.fit(make(x), [ya, yb], batch_size=4, epochs=2, verbose=0, validation_split=0.5)
    assert "val_a_loss" in history.history and len(history.history["val_loss"]) == 2
    assert [p.shape for p in model.predict(make(x), batch_size=4, verbose=0)] == [(6, 2), (6, 1)]


def test_one_loss_for_every_output_and_loss_lists():
    x, ya, yb = _a("multi_output", "x"), _a("multi_output", "ya"), _a("multi_output", "yb")
    model = _two_heads()
    model.compile("sgd", "mse")
    logs = model.evaluate(x, [ya, yb], verbose=0, return_dict=True)
    pa, pb = model.predict(x, verbose=0)
    np.testing.assert_allclose([logs["a_loss"], logs["b_loss"]], [np.mean((pa - ya) ** 2), np.mean((pb - yb) ** 2)], rtol=1e-5)
    assert logs["loss"] == pytest.approx(logs["a_loss"] + logs["b_loss"], rel=1e-6)
    model.compile("sgd", ["mse", None], metrics=[["mae"], None])
    logs = model.evaluate(x, [ya], verbose=0, return_dict=True)  # targets for the outputs with a loss only
    assert list(logs) == ["a_mae", "loss"] and logs["loss"] == pytest.approx(np.mean((pa - ya) ** 2), rel=1e-5)
    model.compile("sgd", ["mse", "mae"], loss_weights=[2.0, 0.0])
    assert model.evaluate(x, [ya, yb], verbose=0) == pytest.approx([2 * np.mean((pa - ya) ** 2), np.mean((pa - ya) ** 2), np.mean(np.abs(pb - yb))], rel=1e-5)


@pytest.mark.parametrize(
    "compile_args, message",
    [
        ({"loss": ["mse"]}, r"`loss` has 1 entries but the model has outputs \['a', 'b'\]"),
        ({"loss": {"a": "mse"}}, r"expected keys \['a', 'b'\] in `loss`, but found loss.keys\(\)=\['a'\]"),
        ({"loss": "mse", "metrics": ["mae"]}, r"invalid `metrics` for a model with outputs \['a', 'b'\]: give a list with one entry"),
        ({"loss": "mse", "loss_weights": [1.0, 2.0]}, r"`loss_weights` must match the number of losses, got 1 loss and 2 weights"),
    ],
)
def test_multi_output_compile_misuse(compile_args, message):
    model = TwoHeads()
    model.compile("sgd", **compile_args)
    for _ in range(2):  # refused again, not skipped, on a second call
        with pytest.raises(ValueError, match=r"TwoHeads 'two_heads'\.evaluate\(\): " + message):
            model.evaluate(_a("multi_output", "x"), [_a("multi_output", "ya"), _a("multi_output", "yb")], verbose=0)


def test_multi_output_data_misuse():
    model = _two_heads()
    x, ya, yb = _a("multi_output", "x"), _a("multi_output", "ya"), _a("multi_output", "yb")
    with pytest.raises(ValueError, match=r"evaluate\(\): the model has outputs \['a', 'b'\], so `y` must be a list or dict of one array per output"):
        model.evaluate(x, ya, verbose=0)
    with pytest.raises(ValueError, match=r"`y` has keys \['c'\] that are not output names; the outputs are \['a', 'b'\]"):
        model.evaluate(x, {"a": ya, "c": yb}, verbose=0)
    with pytest.raises(ValueError, match=r"fit\(\): `class_weight` is only supported for models with a single output"):
        model.fit(x, [ya, yb], class_weight={0: 1.0}, verbose=0)
    with pytest.raises(ValueError, match=r"fit\(\): for a model with multiple outputs, a single `sample_weight` array must have one weight per sample"):
        model.fit(x, [ya, yb], sample_weight=np.ones((6, 2)), verbose=0)
    with pytest.raises(ValueError, match=r"fit\(\): you should provide one `sample_weight` array per output in `y`"):
        model.fit(x, [ya, yb], sample_weight=[np.ones(6)], verbose=0)
    with pytest.raises(ValueError, match=r"`loss_weights` must be a float \(single output\) or a list, tuple or dict.*Received: loss_weights=2 of type int"):
        model.compile("sgd", "mse", loss_weights=2)


# -- data sources and steps -------------------------------------------------------------------------
def _linear(name="lin"):
    model = Sequential([Input((3,)), Dense(1)], name=name)
    model.compile(optimizers.SGD(0.0), "mse")  # no learning: the data path alone is observed
    return model


class _Batches(callbacks.Callback):
    """Records the hooks fit/evaluate/predict call, with their step indices."""

    def __init__(self):
        super().__init__()
        self.events = []

    def __getattribute__(self, name):
        if name.startswith("on_") and name not in ("on_batch_begin", "on_batch_end"):
            events = object.__getattribute__(self, "events")
            return lambda *args: events.append((name,) + tuple(a for a in args if isinstance(a, int)))
        return object.__getattribute__(self, name)


def _steps_per_epoch(events):
    counts, current = [], None
    for event in events:
        if event[0] == "on_epoch_begin":
            current = 0
        elif event[0] == "on_train_batch_end":
            current += 1
        elif event[0] == "on_epoch_end":
            counts.append(current)
    return counts


def test_finite_generator_runs_out_then_replays_its_first_two_batches_as_keras():
    x, y = np.ones((5, 3), "float32"), np.zeros((5, 1), "float32")
    recorder = _Batches()
    with pytest.warns(UserWarning) as caught:
        _linear().fit(((x[i : i + 1], y[i : i + 1]) for i in range(5)), epochs=3, verbose=0, callbacks=[recorder])
    # Keras 3.15 (checked with the JAX backend): 5 batches, then the 2 it read ahead, each epoch warning.
    assert _steps_per_epoch(recorder.events) == [5, 2, 2]
    messages = [str(w.message) for w in caught]
    assert sum("ran out of data" in m for m in messages) == 3
    assert any("`shuffle=True` was passed, but will be ignored" in m for m in messages)


def test_infinite_generator_needs_steps_per_epoch_and_steps_bound_evaluate_and_predict():
    def forever():
        while True:
            yield np.ones((4, 3), "float32"), np.ones((4, 1), "float32")

    recorder = _Batches()
    model = _linear()
    history = model.fit(forever(), steps_per_epoch=3, epochs=2, shuffle=False, verbose=0, callbacks=[recorder])
    assert _steps_per_epoch(recorder.events) == [3, 3] and history.params["steps"] == 3
    kernel, bias = model.get_weights()
    expected = float(np.mean((np.ones((4, 3)) @ kernel + bias - 1) ** 2))
    assert model.evaluate(forever(), steps=2, verbose=0) == pytest.approx(expected, rel=1e-6)
    assert model.predict(((x,) for x, _ in forever()), steps=3, verbose=0).shape == (12, 1)


def test_steps_per_epoch_on_arrays_continues_across_epochs():
    recorder = _Batches()
    seen = []
    model = _linear()
    model.forward = lambda inputs, _f=model.forward: (seen.append(inputs[:, 0].tolist()), _f(inputs))[1]
    x = np.arange(12, dtype="float32").reshape(4, 3)
    with pytest.warns(UserWarning, match="Your input ran out of data"):
        model.fit(x, np.zeros((4, 1), "float32"), batch_size=1, steps_per_epoch=3, epochs=2, shuffle=False, verbose=0, callbacks=[recorder])
    # Keras: epoch 2 takes the last batch of the pass and stops there (the pass ended), warning.
    assert seen == [[0.0], [3.0], [6.0], [9.0]] and _steps_per_epoch(recorder.events) == [3, 1]


def test_arrays_without_batch_size_take_it_from_steps():
    seen = []
    model = _linear()
    model.forward = lambda inputs, _f=model.forward: (seen.append(len(inputs)), _f(inputs))[1]
    model.fit(np.zeros((10, 3), "float32"), np.zeros((10, 1), "float32"), steps_per_epoch=3, verbose=0)
    assert seen == [4, 4, 2]


def test_dataset_items_of_x_and_y_are_batched_and_shuffled():
    x = np.arange(30, dtype="float32").reshape(10, 3)
    dataset = TensorDataset(torch.tensor(x), torch.zeros(10, 1))
    seen = []
    model = _linear()
    model.forward = lambda inputs, _f=model.forward: (seen.append(inputs[:, 0].tolist()), _f(inputs))[1]
    model.fit(dataset, batch_size=4, epochs=1, verbose=0)
    assert [len(batch) for batch in seen] == [4, 4, 2] and sorted(sum(seen, [])) == x[:, 0].tolist()
    assert sum(seen, []) != x[:, 0].tolist()  # shuffled
    assert model.predict(dataset, batch_size=4, verbose=0).shape == (10, 1)


def test_validation_freq_steps_and_batch_size():
    x, y = np.ones((8, 3), "float32"), np.ones((8, 1), "float32")
    seen = []
    model = _linear()
    model.forward = lambda inputs, _f=model.forward: (seen.append((model.training, len(inputs))), _f(inputs))[1]
    history = model.fit(
        x, y, batch_size=4, epochs=4, verbose=0, validation_data=(x, y), validation_batch_size=3, validation_steps=2, validation_freq=2
    )
    assert len(history.history["loss"]) == 4 and len(history.history["val_loss"]) == 2
    assert [n for training, n in seen if not training] == [3, 3, 3, 3]
    history = model.fit(x, y, epochs=4, verbose=0, validation_data=(x, y), validation_freq=[1, 4])
    assert len(history.history["val_loss"]) == 2
    with pytest.raises(ValueError, match=r"Sequential 'lin'\.fit\(\): expected `validation_freq` to be a list or int. Received: validation_freq='2' of the type str"):
        model.fit(x, y, validation_data=(x, y), validation_freq="2", verbose=0)


def test_validation_split_takes_sample_weights_along():
    case = "dense_sample_weight"
    x, y, sw = _a(case, "x"), _a(case, "y"), _a(case, "sw")
    model = _dense_model(case, 2, 3)
    model.compile(optimizers.SGD(0.0), "mse")
    history = model.fit(x, y, sample_weight=sw, validation_split=0.25, epochs=1, verbose=0)
    per_sample = np.mean((x.astype(np.float64) @ _a(case, "w0") + _a(case, "w1") - y) ** 2, axis=1)
    assert history.history["val_loss"][0] == pytest.approx(np.sum(sw[6:] * per_sample[6:]) / 2, rel=1e-6)
    assert history.history["loss"][0] == pytest.approx(np.sum(sw[:6] * per_sample[:6]) / 6, rel=1e-6)


def test_callbacks_get_test_and_predict_hooks():
    x, y = np.ones((4, 3), "float32"), np.ones((4, 1), "float32")
    model = _linear()
    recorder = _Batches()
    model.fit(x, y, batch_size=2, epochs=1, verbose=0, validation_data=(x, y), callbacks=[recorder])
    assert [e for e in recorder.events] == [
        ("on_train_begin",), ("on_epoch_begin", 0),
        ("on_train_batch_begin", 0), ("on_train_batch_end", 0), ("on_train_batch_begin", 1), ("on_train_batch_end", 1),
        ("on_test_begin",), ("on_test_batch_begin", 0), ("on_test_batch_end", 0), ("on_test_batch_begin", 1),
        ("on_test_batch_end", 1), ("on_test_end",), ("on_epoch_end", 0), ("on_train_end",),
    ]
    recorder.events.clear()
    model.evaluate(x, y, batch_size=3, verbose=0, callbacks=[recorder])
    model.predict(x, batch_size=3, verbose=0, callbacks=[recorder])
    assert recorder.events == [
        ("on_test_begin",), ("on_test_batch_begin", 0), ("on_test_batch_end", 0), ("on_test_batch_begin", 1),
        ("on_test_batch_end", 1), ("on_test_end",),
        ("on_predict_begin",), ("on_predict_batch_begin", 0), ("on_predict_batch_end", 0), ("on_predict_batch_begin", 1),
        ("on_predict_batch_end", 1), ("on_predict_end",),
    ]
    outputs = []
    model.predict(x, batch_size=3, verbose=0, callbacks=[callbacks.LambdaCallback()])  # the base hooks are no-ops
    grab = callbacks.Callback()
    grab.on_predict_batch_end = lambda batch, logs: outputs.append(logs["outputs"].shape)
    model.predict(x, batch_size=3, verbose=0, callbacks=[grab])
    assert outputs == [(3, 1), (1, 1)]


def test_single_batch_methods():
    x, y = np.ones((4, 3), "float32"), np.full((4, 1), 2.0, "float32")
    model = Sequential([Input((3,)), Dense(1, kernel_initializer="zeros")])
    model.compile(optimizers.SGD(0.1), "mse", metrics=["mae"])
    assert model.train_on_batch(x, y) == pytest.approx([4.0, 2.0])  # before the step: predictions 0
    assert model.test_on_batch(x, y, return_dict=True) == pytest.approx({"loss": (2 - 1.6) ** 2, "mae": 0.4})
    np.testing.assert_allclose(model.predict_on_batch(x), np.full((4, 1), 1.6), rtol=1e-6)
    assert isinstance(model.predict_on_batch(x), np.ndarray) and model.training
    model.compile("sgd", "mse")
    assert isinstance(model.test_on_batch(x, y), float)


# -- misuse -------------------------------------------------------------------------------------------
def _loader():
    return DataLoader(TensorDataset(torch.ones(4, 3), torch.ones(4, 1)), batch_size=2)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m, x, y: m.fit(_loader(), batch_size=2, verbose=0), r"`batch_size` must be None when `x` is a torch DataLoader: its batches are used as given. Received: batch_size=2"),
        (lambda m, x, y: m.fit(_loader(), y, verbose=0), r"when providing `x` as a torch DataLoader, `y` should not be passed. Instead, the targets should be included as part of the torch DataLoader"),
        (lambda m, x, y: m.fit(iter([(x, y)]), sample_weight=np.ones(4), verbose=0), r"when providing `x` as a generator, `sample_weight` should not be passed"),
        (lambda m, x, y: m.fit(iter([(x, y)]), class_weight={0: 1.0}, shuffle=False, verbose=0), r"`class_weight` is not supported when `x` is a generator"),
        (lambda m, x, y: m.fit(iter([]), verbose=0), r"the generator must yield at least one batch"),
        (lambda m, x, y: m.fit(iter([x]), shuffle=False, verbose=0), r"the generator must yield tuples, either \(inputs,\), \(inputs, targets\) or \(inputs, targets, sample_weights\). Received a ndarray"),
        (lambda m, x, y: m.fit(iter([(x, y, y, y)]), shuffle=False, verbose=0), r"data is expected to be in format `x`, `\(x,\)`, `\(x, y\)`, or `\(x, y, sample_weight\)`; found a tuple of 4 elements"),
        (lambda m, x, y: m.fit(_loader(), validation_split=0.5, shuffle=False, verbose=0), r"`validation_split` is only supported for arrays and tensors; `x` is a DataLoader"),
        (lambda m, x, y: m.fit(x, y, sample_weight=np.ones(4), class_weight={0: 1.0}, verbose=0), r"you cannot pass `class_weight` and `sample_weight` at the same time"),
        (lambda m, x, y: m.fit(x, y, sample_weight=np.ones(3), verbose=0), r"`x`, `y` and `sample_weight` must have the same number of samples. Received x with 4 samples"),
        (lambda m, x, y: m.fit(x, y, steps_per_epoch=0, verbose=0), r"`steps_per_epoch` must be a positive int or None. Received: steps_per_epoch=0"),
        (lambda m, x, y: m.fit(x, y, validation_data=(x, y, y, y), verbose=0), r"`validation_data` must be a tuple \(x_val, y_val\) or \(x_val, y_val, val_sample_weight\)"),
        (lambda m, x, y: m.evaluate(x, y, steps=-1, verbose=0), r"evaluate\(\): `steps` must be a positive int or None. Received: steps=-1"),
        (lambda m, x, y: m.predict(iter([]), verbose=0), r"predict\(\): the generator must yield at least one batch"),
        (lambda m, x, y: m.train_on_batch(x, y, sample_weight=np.ones(4), class_weight={0: 1.0}), r"train_on_batch\(\): arguments `sample_weight` and `class_weight` cannot be specified at the same time"),
        (lambda m, x, y: m.test_on_batch(x, y[:2]), r"test_on_batch\(\): `x` and `y` must have the same number of samples"),
    ],
)
def test_misuse_errors_name_the_model_and_method(call, message):
    model = _linear("m")
    x, y = np.ones((4, 3), "float32"), np.ones((4, 1), "float32")
    with pytest.raises(ValueError, match=r"^Sequential 'm'\.\w+\(\): ") as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        call(model, x, y)
    assert re.search(message, str(info.value)), str(info.value)
    assert "Trainer" not in str(info.value)


def test_class_weight_must_be_a_dict_of_classes():
    model = _linear("m")
    with pytest.raises(TypeError, match=r"Sequential 'm'\.fit\(\): `class_weight` must be a dict mapping class indices \(ints\) to weights \(numbers\). Received: class_weight=\[1.0, 2.0\]"):
        model.fit(np.ones((4, 3)), np.ones((4, 1)), class_weight=[1.0, 2.0], verbose=0)
    with pytest.raises(ValueError, match=r"`class_weight` needs one class per sample: targets of shape \(N,\), \(N, 1\) or one-hot"):
        model.train_on_batch(np.ones((4, 3)), np.ones((4, 2, 2)), class_weight={0: 2.0})


def test_sample_weight_with_a_trailing_axis_of_one_and_missing_targets():
    case = "dense_sample_weight"
    x, y, sw = _a(case, "x"), _a(case, "y"), _a(case, "sw")
    model = _dense_model(case, 2, 3)
    model.name = "m"
    model.compile("sgd", "mse", weighted_metrics=["mae"])
    flat = model.evaluate(x, y, sample_weight=sw, verbose=0)
    assert model.evaluate(x, y, sample_weight=sw[:, None], verbose=0) == pytest.approx(flat, rel=1e-6)
    with pytest.raises(ValueError, match=r"Sequential 'm'\.evaluate\(\): no target for the loss 'mse'; pass `y`"):
        model.evaluate(x, verbose=0)


def test_torch_loss_modules_refuse_sample_weights():
    model = Sequential([Input((3,)), Dense(1)], name="t")
    model.compile("sgd", nn.MSELoss())
    with pytest.raises(ValueError, match=r"Sequential 't'\.fit\(\): The torch loss MSELoss reduces its batch itself, so it cannot take `sample_weight`"):
        model.fit(np.ones((4, 3)), np.ones((4, 1)), sample_weight=np.ones(4), verbose=0)
