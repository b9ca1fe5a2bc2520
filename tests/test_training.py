"""compile/fit/evaluate/predict: losses and metrics against NumPy, optimizers, regularization,
constraints, callbacks, History, validation split, progress output, and a Keras-style script
that learns scikit-learn's digits."""

import re

import numpy as np
import pytest
import torch

import convlayers as keras
from convlayers import BatchNormalization, Dense, Dropout, Input, Sequential, callbacks, losses, metrics, optimizers

RNG = np.random.default_rng(0)


def _linear(units=1, features=3, **dense):
    return Sequential([Input((features,)), Dense(units, **dense)])


def _data(n=8, features=3, units=1):
    return RNG.standard_normal((n, features)).astype(np.float32), RNG.standard_normal((n, units)).astype(np.float32)


def _mse(x, y, kernel, bias):
    return float(np.mean((x.astype(np.float64) @ kernel + bias - y) ** 2))


# -- losses against NumPy -------------------------------------------------------------------------
def test_probability_losses_clip_and_renormalize_as_keras():
    eps = 1e-7
    p = np.array([[0.2, 0.3, 0.5], [0.0, 2.0, 2.0]], np.float32)  # the second row sums to 4
    labels = np.array([2, 0])
    q = p / p.sum(axis=1, keepdims=True)
    expected = np.mean(-np.log(np.clip(q[[0, 1], labels], eps, 1 - eps)))  # row 2: -log(1e-7)
    got = losses.get("sparse_categorical_crossentropy")(torch.tensor(labels), torch.tensor(p))
    np.testing.assert_allclose(float(got), expected, rtol=1e-5)
    onehot = np.eye(3, dtype=np.float32)[labels]
    np.testing.assert_allclose(float(losses.get("categorical_crossentropy")(torch.tensor(onehot), torch.tensor(p))), expected, rtol=1e-5)
    t = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    b = np.array([[1.0, 0.3], [0.6, 0.9]], np.float32)
    bc = np.clip(b, eps, 1 - eps)
    bce = np.mean(np.mean(-(t * np.log(bc) + (1 - t) * np.log(1 - bc)), axis=-1))
    np.testing.assert_allclose(float(losses.get("binary_crossentropy")(torch.tensor(t), torch.tensor(b))), bce, rtol=1e-5)


def test_logit_losses_and_label_smoothing():
    z = RNG.standard_normal((4, 5))
    labels = np.array([0, 3, 4, 1])
    log_softmax = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)(torch.tensor(labels), torch.tensor(z))
    np.testing.assert_allclose(float(loss), -log_softmax[np.arange(4), labels].mean(), rtol=1e-10)
    smoothed = np.eye(5)[labels] * 0.8 + 0.2 / 5
    loss = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2)(torch.tensor(np.eye(5)[labels]), torch.tensor(z))
    np.testing.assert_allclose(float(loss), -(smoothed * log_softmax).sum(axis=1).mean(), rtol=1e-10)
    t = (RNG.random((4, 2)) > 0.5).astype(np.float64)
    sig = 1 / (1 + np.exp(-z[:, :2]))
    bce = -(t * np.log(sig) + (1 - t) * np.log(1 - sig)).mean()
    np.testing.assert_allclose(float(losses.BinaryCrossentropy(from_logits=True)(torch.tensor(t), torch.tensor(z[:, :2]))), bce, rtol=1e-10)


def test_regression_losses_and_rank_matching():
    y = RNG.standard_normal((6, 2))
    p = RNG.standard_normal((6, 2)) * 2
    e = y - p
    np.testing.assert_allclose(float(losses.get("mse")(torch.tensor(y), torch.tensor(p))), np.mean(e**2))
    np.testing.assert_allclose(float(losses.get("MAE")(torch.tensor(y), torch.tensor(p))), np.mean(np.abs(e)))
    huber = np.where(np.abs(e) <= 1.5, 0.5 * e**2, 1.5 * np.abs(e) - 0.5 * 1.5**2).mean()
    np.testing.assert_allclose(float(losses.Huber(delta=1.5)(torch.tensor(y), torch.tensor(p))), huber)
    np.testing.assert_allclose(float(losses.get("log_cosh")(torch.tensor(y), torch.tensor(p))), np.mean(np.log(np.cosh(p - y))))
    # y_true (N,) against y_pred (N, 1): Keras expands y_true, it does not broadcast to (N, N).
    np.testing.assert_allclose(float(losses.get("mse")(torch.tensor(y[:, 0]), torch.tensor(p[:, :1]))), np.mean(e[:, 0] ** 2))


def test_loss_identifiers():
    assert losses.get("mean_squared_error").name == "mean_squared_error"
    assert isinstance(losses.get("SparseCategoricalCrossentropy"), losses.SparseCategoricalCrossentropy)
    torch_loss = losses.get(torch.nn.MSELoss())
    assert float(torch_loss(torch.tensor([1.0]), torch.tensor([3.0]))) == 4.0
    assert float(losses.get(lambda t, p: (t - p).abs())(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 0.0]))) == 1.5
    with pytest.raises(ValueError, match=r"Unknown loss 'msee'\. Allowed names: .*mean_squared_error"):
        losses.get("msee")
    with pytest.raises(TypeError, match="Could not interpret loss 3"):
        losses.get(3)
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: `y_true` must hold one integer label per row of `y_pred`. Received: y_true.shape=\(3,\), y_pred.shape=\(2, 4\)"):
        losses.get("sparse_categorical_crossentropy")(torch.zeros(3), torch.ones(2, 4))


# -- metrics ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "y_true, y_pred, kind",
    [
        (np.zeros((4, 1)), np.zeros((4, 1)), "BinaryAccuracy"),
        (np.zeros(4), np.zeros((4, 3)), "SparseCategoricalAccuracy"),
        (np.zeros((4, 1)), np.zeros((4, 3)), "SparseCategoricalAccuracy"),
        (np.zeros((4, 3)), np.zeros((4, 3)), "CategoricalAccuracy"),
    ],
)
def test_accuracy_is_picked_from_shapes_as_keras(y_true, y_pred, kind):
    metric = metrics.get("acc", torch.tensor(y_true), torch.tensor(y_pred))
    assert type(metric).__name__ == kind and metric.name == "acc" and metric.direction == "up"


def test_metric_values_accumulate_over_batches():
    p = np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3], [0.3, 0.3, 0.4]], np.float32)
    labels = np.array([1, 2, 2])
    metric = metrics.get("accuracy", torch.tensor(labels), torch.tensor(p))
    metric.update_state(torch.tensor(labels[:2]), torch.tensor(p[:2]))
    metric.update_state(torch.tensor(labels[2:]), torch.tensor(p[2:]))
    assert metric.result() == pytest.approx(np.mean(p.argmax(1) == labels))
    binary = metrics.BinaryAccuracy()
    binary.update_state(torch.tensor([[1.0], [0.0], [1.0]]), torch.tensor([[0.7], [0.6], [0.2]]))
    assert binary.result() == pytest.approx(1 / 3)
    mae = metrics.get("mae", None, None)
    mae.update_state(torch.tensor([[1.0, 2.0]]), torch.tensor([[0.0, 0.0]]))
    assert (mae.name, mae.result(), mae.direction) == ("mae", 1.5, "down")
    with pytest.raises(ValueError, match=r"Unknown metric 'acuracy'\. Allowed names: accuracy, acc"):
        metrics.get("acuracy", None, None)


# -- optimizers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, keras_class, torch_class, expected",
    [
        ("adam", "Adam", torch.optim.Adam, {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-7}),
        ("sgd", "SGD", None, {"lr": 0.01, "momentum": 0.0, "nesterov": False}),
        ("RMSprop", "RMSprop", None, {"lr": 1e-3, "alpha": 0.9, "eps": 1e-7, "centered": False}),
        ("adamw", "AdamW", torch.optim.Adam, {"lr": 1e-3, "weight_decay": 0.0, "eps": 1e-7}),  # Keras's decay, not torch's
        ("adagrad", "Adagrad", torch.optim.Adagrad, {"lr": 1e-3, "initial_accumulator_value": 0.1, "eps": 1e-7}),
        ("adadelta", "Adadelta", torch.optim.Adadelta, {"lr": 1e-3, "rho": 0.95, "eps": 1e-7}),
        ("adamax", "Adamax", torch.optim.Adamax, {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-7}),
        ("nadam", "Nadam", torch.optim.NAdam, {"lr": 1e-3, "momentum_decay": 1.0, "eps": 1e-7}),
    ],
)
def test_keras_optimizer_names_and_defaults(name, keras_class, torch_class, expected):
    model = _linear()
    model.compile(name, "mse")
    assert type(model.optimizer).__name__ == keras_class
    assert isinstance(model.optimizer, torch_class or torch.optim.Optimizer)
    assert {key: model.optimizer.defaults[key] for key in expected} == expected


def test_optimizer_specs_instances_and_factories():
    model = _linear()
    model.compile(optimizers.Adam(0.05, beta_1=0.8), "mse")
    assert model.optimizer.defaults["lr"] == 0.05 and model.optimizer.defaults["betas"] == (0.8, 0.999)
    ready = torch.optim.SGD(model.parameters(), lr=0.3)
    model.compile(ready, "mse")
    assert model.optimizer is ready
    model.compile(torch.optim.Adagrad, "mse")
    assert type(model.optimizer) is torch.optim.Adagrad
    with pytest.raises(ValueError, match=r"Adam: argument\(s\) not recognized: \{'momentum': 0.9\}. Allowed: learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay"):
        optimizers.Adam(momentum=0.9)
    with pytest.raises(ValueError, match="Unknown optimizer 'adamm'. Allowed names: sgd, adam"):
        model.compile("adamm", "mse")
    with pytest.raises(TypeError, match="must return a torch.optim.Optimizer. Received int"):
        optimizers.get(lambda params: 3).build([])


def test_nadam_follows_keras_update_rule_exactly():
    # Keras 3 Nadam (keras/src/optimizers/nadam.py), step by step in NumPy float64.
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    w = RNG.standard_normal(5)
    target = RNG.standard_normal(5)
    param = torch.nn.Parameter(torch.tensor(w))
    optimizer = optimizers.Nadam(lr).build([param])
    m, v, u_product = np.zeros(5), np.zeros(5), 1.0
    for t in range(6):
        grad = 2 * (w - target)
        u_product *= b1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_t, u_next = b1 * (1 - 0.5 * 0.96 ** (t + 1)), b1 * (1 - 0.5 * 0.96 ** (t + 2))
        m += (grad - m) * (1 - b1)
        v += (grad**2 - v) * (1 - b2)
        m_hat = u_next * m / (1 - u_product * u_next) + (1 - u_t) * grad / (1 - u_product)
        w = w - lr * m_hat / (np.sqrt(v / (1 - b2 ** (t + 1))) + eps)
        optimizer.zero_grad()
        ((param - torch.tensor(target)) ** 2).sum().backward()
        optimizer.step()
    # torch keeps Nadam's momentum product in float32, hence 1e-7 and not float64's 1e-15;
    # torch's default momentum_decay (0.004) would move the weights about 2% differently.
    np.testing.assert_allclose(param.detach().numpy(), w, rtol=1e-7)


# -- one training step by hand -----------------------------------------------------------------------
def test_regularization_joins_the_loss_by_exactly_its_terms():
    x, y = _data(8, 3, 2)
    kernel = RNG.standard_normal((3, 2)).astype(np.float32)
    bias = np.array([0.5, -0.25], np.float32)
    model = _linear(2, kernel_regularizer=keras.regularizers.L2(0.1), bias_regularizer=keras.regularizers.L1(0.05))
    model.set_weights([kernel, bias])
    model.compile(optimizers.SGD(0.1), "mse")
    k, b = kernel.astype(np.float64), bias.astype(np.float64)
    penalty = 0.1 * np.sum(k**2) + 0.05 * np.sum(np.abs(b))
    history = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(_mse(x, y, k, b) + penalty, rel=1e-6)
    # The step follows the gradient of mse + penalty: d/dpred = 2 (pred - y) / (N * units).
    d_pred = 2 * (x @ k + b - y) / y.size
    k_new = k - 0.1 * (x.T @ d_pred + 0.2 * k)
    b_new = b - 0.1 * (d_pred.sum(axis=0) + 0.05 * np.sign(b))
    got_k, got_b = model.get_weights()
    np.testing.assert_allclose(got_k, k_new, rtol=1e-5)
    np.testing.assert_allclose(got_b, b_new, rtol=1e-5)
    penalty_new = 0.1 * np.sum(k_new**2) + 0.05 * np.sum(np.abs(b_new))
    assert model.evaluate(x, y, verbose=0) == pytest.approx(_mse(x, y, k_new, b_new) + penalty_new, rel=1e-5)


def test_activity_regularizer_joins_the_loss():
    x, y = _data(4, 3, 2)
    model = _linear(2, activity_regularizer=keras.regularizers.L2(0.5))
    kernel, bias = model.get_weights()
    model.compile("sgd", "mse")
    out = x.astype(np.float64) @ kernel + bias
    assert model.evaluate(x, y, verbose=0) == pytest.approx(np.mean((out - y) ** 2) + 0.5 * np.sum(out**2) / len(x), rel=1e-5)  # per sample (Keras 3)


def test_constraints_hold_after_each_step():
    x, y = _data(16, 3, 4)
    y = y * 50  # large targets drive large, partly negative weights
    results = {}
    for constrained in (False, True):
        torch.manual_seed(1)
        extra = {"kernel_constraint": keras.constraints.MaxNorm(1.0), "bias_constraint": "non_neg"} if constrained else {}
        model = _linear(4, **extra)
        model.compile(optimizers.SGD(0.5), "mse")
        model.fit(x, y, batch_size=4, epochs=2, verbose=0)
        results[constrained] = model.get_weights()
    kernel, bias = results[True]
    assert np.all(np.linalg.norm(kernel, axis=0) <= 1.0 + 1e-6) and np.all(bias >= 0)
    free_kernel, free_bias = results[False]
    assert np.any(np.linalg.norm(free_kernel, axis=0) > 1.0) and np.any(free_bias < 0)  # the constraints mattered


def test_training_reduces_the_loss_and_is_deterministic():
    x = RNG.standard_normal((64, 2)).astype(np.float32)
    y = (x[:, :1] * 2 - x[:, 1:] + 0.5).astype(np.float32)
    runs = []
    for _ in range(2):
        torch.manual_seed(3)
        model = Sequential([Input((2,)), Dense(8, activation="tanh"), Dense(1)])
        model.compile(optimizers.Adam(0.05), "mse", metrics=["mae"])
        runs.append((model.fit(x, y, batch_size=16, epochs=15, verbose=0).history, model.get_weights()))
    history = runs[0][0]
    assert history["loss"][-1] < 0.05 * history["loss"][0]
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)


# -- fit's bookkeeping --------------------------------------------------------------------------------
def test_logged_loss_is_the_sample_mean_and_validation_split_takes_the_end():
    x, y = _data(10)
    y[7:] += 100.0  # the last 3 samples are very different
    model = _linear()
    kernel, bias = model.get_weights()
    model.compile(optimizers.SGD(0.0), "mse", metrics=["mae"])  # no learning: logs are exact
    history = model.fit(x, y, batch_size=3, epochs=2, validation_split=0.3, verbose=0)
    k, b = kernel.astype(np.float64), bias.astype(np.float64)
    # floor(10 * 0.7) = 7 samples train (batches of 3, 3, 1), the last 3 validate.
    assert history.history["loss"] == pytest.approx([_mse(x[:7], y[:7], k, b)] * 2, rel=1e-6)
    assert history.history["val_loss"] == pytest.approx([_mse(x[7:], y[7:], k, b)] * 2, rel=1e-6)
    assert history.history["val_mae"][0] == pytest.approx(np.mean(np.abs(x[7:] @ k + b - y[7:])), rel=1e-6)
    assert history.params == {"epochs": 2, "steps": 3, "verbose": 0}


def test_history_contents():
    x, y = _data(12)
    model = _linear()
    model.compile("sgd", "mse", metrics=["mae", "acc"])
    history = model.fit(x, y, epochs=3, initial_epoch=1, validation_data=(x[:4], y[:4]), verbose=0)
    assert history is model.history
    assert list(history.history) == ["acc", "loss", "mae", "val_acc", "val_loss", "val_mae"]
    assert history.epoch == [1, 2] and all(len(v) == 2 for v in history.history.values())
    assert history.history["val_loss"][-1] == pytest.approx(model.evaluate(x[:4], y[:4], verbose=0, return_dict=True)["loss"], rel=1e-6)


def test_evaluate_and_predict():
    x, y = _data(9, 3, 3)
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2])
    model = Sequential([Input((3,)), Dense(3, activation="softmax"), Dropout(0.5)])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    loss, accuracy = model.evaluate(x, labels, batch_size=4, verbose=0)
    logs = model.evaluate(x, labels, verbose=0, return_dict=True)
    assert list(logs) == ["accuracy", "loss"] and logs["loss"] == pytest.approx(loss)
    p = model.predict(x, batch_size=4, verbose=0)
    kernel, bias = model.get_weights()
    z = x.astype(np.float64) @ kernel + bias
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)  # no dropout: inference
    np.testing.assert_allclose(p, expected, rtol=1e-5)
    assert accuracy == pytest.approx(np.mean(expected.argmax(1) == labels))
    assert loss == pytest.approx(np.mean(-np.log(expected[np.arange(9), labels])), rel=1e-5)
    assert model.training  # evaluate and predict restore the mode
    model.compile("adam", "mse")
    assert isinstance(model.evaluate(x, y, verbose=0), float)


def test_batchnorm_statistics_move_in_fit_only():
    x = RNG.standard_normal((32, 2)).astype(np.float32) * 3 + 5
    model = Sequential([Input((2,)), BatchNormalization(momentum=0.5), Dense(1)])
    model.compile("sgd", "mse")
    model.evaluate(x, x[:, :1], verbose=0)
    model.predict(x, verbose=0)
    np.testing.assert_array_equal(model[0].get_weights()[2], [0.0, 0.0])
    model.fit(x, x[:, :1], batch_size=32, epochs=1, verbose=0)
    np.testing.assert_allclose(model[0].get_weights()[2], 0.5 * x.mean(axis=0), rtol=1e-5)


def test_fit_builds_a_lazy_model_and_takes_torch_losses():
    torch.manual_seed(0)
    x, _ = _data(30, 4)
    labels = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 0)
    model = Sequential([Dense(16, activation="relu"), Dense(3)])
    model.compile(optimizers.Adam(0.05), torch.nn.CrossEntropyLoss(), metrics=["accuracy"])
    history = model.fit(x, labels, batch_size=10, epochs=20, verbose=0)
    assert model.built and model.output_shape == (None, 3)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    z = model.predict(x, verbose=0).astype(np.float64)
    log_softmax = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    assert model.evaluate(x, labels, verbose=0)[0] == pytest.approx(-log_softmax[np.arange(30), labels].mean(), rel=1e-5)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda m, x, y: m.fit(x, y[:5], verbose=0), ValueError, r"`x` and `y` must have the same number of samples. Received x with 8 samples \(shape \(8, 3\)\) and y with 5"),
        (lambda m, x, y: m.fit(x, y, validation_split=1.5, verbose=0), ValueError, r"`validation_split` must be a float in \[0, 1\). Received: validation_split=1.5"),
        (lambda m, x, y: m.fit(x, y, validation_split=0.95, verbose=0), ValueError, "the data has 8 samples, too few to split"),
        (lambda m, x, y: m.fit(x, y, batch_size=0, verbose=0), ValueError, "`batch_size` must be a positive int or None. Received: batch_size=0"),
        (lambda m, x, y: m.fit(x, y, verbose=3), ValueError, "`verbose` must be 'auto', 0, 1 or 2. Received: verbose=3"),
        (lambda m, x, y: m.fit(x, y, epochs=-1, verbose=0), ValueError, "`epochs` must be a non-negative int. Received: epochs=-1"),
        (lambda m, x, y: m.fit(x, y, callbacks=[print], verbose=0), TypeError, "every entry of `callbacks` must be a convlayers Callback"),
        (lambda m, x, y: m.fit(x, y, validation_data=(x,), verbose=0), ValueError, r"`validation_data` must be a tuple \(x_val, y_val\)"),
        (lambda m, x, y: m.fit(None, y, verbose=0), ValueError, "`x` is required"),
    ],
)
def test_fit_argument_errors_name_the_model_and_argument(call, error, message):
    model = _linear()
    model.name = "reg"
    model.compile("sgd", "mse")
    x, y = _data()
    with pytest.raises(error, match=r"Sequential 'reg'\.fit\(\)") as info:
        call(model, x, y)
    assert re.search(message, str(info.value))


def test_compile_errors():
    model = _linear()
    model.name = "m"
    x, y = _data()
    with pytest.raises(RuntimeError, match=r"Sequential 'm'\.fit\(\): the model must be compiled first"):
        model.fit(x, y)
    model.compile("sgd")
    with pytest.raises(ValueError, match=r"Sequential 'm'\.evaluate\(\): no loss to compute; pass `loss` to compile\(\)"):
        model.evaluate(x, y)
    with pytest.raises(TypeError, match=r"Sequential 'm'\.compile\(\): `metrics` must be a list, tuple or dict. Received: metrics='mae'"):
        model.compile("sgd", "mse", metrics="mae")


# -- callbacks ----------------------------------------------------------------------------------------
class _Script(callbacks.Callback):
    """Overwrites a logged value with a scripted sequence and records the weights each epoch."""

    def __init__(self, key, values):
        super().__init__()
        self.key, self.values, self.weights = key, values, []

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]
        self.weights.append(self.model.get_weights())


def _scripted_fit(key, values, stopper, metrics_=None, epochs=None):
    x, y = _data(16)
    model = _linear()
    model.compile(optimizers.SGD(0.05), "mse", metrics=metrics_)
    script = _Script(key, values)
    history = model.fit(x, y, batch_size=4, epochs=epochs or len(values), validation_data=(x, y), callbacks=[script, stopper], verbose=0)
    return model, script, history


def test_early_stopping_stops_and_restores_the_best_weights():
    stopper = callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    model, script, history = _scripted_fit("val_loss", [3.0, 2.0, 2.5, 2.6, 1.0, 0.5], stopper)
    # Best at epoch 1; epochs 2 and 3 do not improve: patience 2 is spent at epoch 3.
    assert history.epoch == [0, 1, 2, 3] and stopper.stopped_epoch == 3 and stopper.best_epoch == 1
    for got, want in zip(model.get_weights(), script.weights[1]):
        np.testing.assert_array_equal(got, want)
    plain = callbacks.EarlyStopping(patience=2)
    model, script, history = _scripted_fit("val_loss", [3.0, 2.0, 2.5, 2.6, 1.0], plain)
    for got, want in zip(model.get_weights(), script.weights[3]):
        np.testing.assert_array_equal(got, want)


def test_early_stopping_min_delta_and_auto_max_mode(capsys):
    stopper = callbacks.EarlyStopping(monitor="loss", min_delta=0.1, patience=1, verbose=1)
    _, _, history = _scripted_fit("loss", [1.0, 0.95, 0.9], stopper)
    assert history.epoch == [0, 1]  # 0.95 is not 0.1 better than 1.0
    assert "Epoch 2: early stopping" in capsys.readouterr().out
    stopper = callbacks.EarlyStopping(monitor="val_accuracy", patience=2)  # accuracy: higher is better
    _, _, history = _scripted_fit("val_accuracy", [0.5, 0.6, 0.55, 0.54, 0.9], stopper, metrics_=["accuracy"])
    assert history.epoch == [0, 1, 2, 3] and stopper.best == 0.6


def test_early_stopping_needs_a_direction_and_warns_on_missing_metric():
    with pytest.raises(ValueError, match="EarlyStopping received monitor='val_foo', but cannot tell whether that metric should be maximized or minimized"):
        _scripted_fit("val_foo", [1.0, 2.0], callbacks.EarlyStopping(monitor="val_foo"))
    with pytest.raises(ValueError, match="`mode` must be 'auto', 'min' or 'max'. Received: mode='up'"):
        callbacks.EarlyStopping(mode="up")
    x, y = _data()
    model = _linear()
    model.compile("sgd", "mse")
    with pytest.warns(UserWarning, match="EarlyStopping is conditioned on metric `val_loss` which is not available. Available metrics are: loss"):
        model.fit(x, y, epochs=1, callbacks=[callbacks.EarlyStopping()], verbose=0)


def test_model_checkpoint_saves_best_and_formats_paths(monkeypatch):
    saved = []
    stopper = callbacks.ModelCheckpoint("ckpt-{epoch:02d}-{val_loss:.1f}.weights.h5", save_best_only=True, save_weights_only=True)
    monkeypatch.setattr(Sequential, "save_weights", lambda self, path: saved.append(("weights", path)))
    monkeypatch.setattr(Sequential, "save", lambda self, path: saved.append(("model", path)))
    _scripted_fit("val_loss", [3.0, 2.0, 2.5, 1.0], stopper)
    assert saved == [("weights", "ckpt-01-3.0.weights.h5"), ("weights", "ckpt-02-2.0.weights.h5"), ("weights", "ckpt-04-1.0.weights.h5")]
    saved.clear()
    _scripted_fit("val_loss", [3.0, 4.0], callbacks.ModelCheckpoint("model-{epoch}.keras"))
    assert saved == [("model", "model-1.keras"), ("model", "model-2.keras")]


def test_lambda_callback_and_stop_training():
    events = []
    stop = callbacks.LambdaCallback(
        on_train_begin=lambda logs: events.append("begin"),
        on_batch_end=lambda batch, logs: events.append(("batch", batch, sorted(logs))),
        on_epoch_end=lambda epoch, logs: setattr(stop.model, "stop_training", epoch == 1),
        on_train_end=lambda logs: events.append(("end", sorted(logs))),
    )
    x, y = _data(4)
    model = _linear()
    model.compile("sgd", "mse")
    history = model.fit(x, y, batch_size=2, epochs=5, callbacks=[stop], verbose=0)
    assert history.epoch == [0, 1]
    assert events == ["begin", ("batch", 0, ["loss"]), ("batch", 1, ["loss"]), ("batch", 0, ["loss"]), ("batch", 1, ["loss"]), ("end", ["loss"])]
    with pytest.raises(ValueError, match=r"LambdaCallback: unknown hooks \['on_epoch_finish'\]"):
        callbacks.LambdaCallback(on_epoch_finish=print)


# -- progress output ----------------------------------------------------------------------------------
def test_progress_output_follows_verbose(capsys):
    x, y = _data(8)
    model = _linear()
    model.compile("sgd", "mse", metrics=["mae"])
    model.fit(x, y, batch_size=4, epochs=2, validation_split=0.25, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr() == ("", "")
    model.fit(x, y, batch_size=4, epochs=2, validation_split=0.25)  # verbose="auto": a bar
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    final = [line for line in re.split(r"[\r\n]", out) if line.startswith("2/2 ") and "val_loss" in line]
    assert len(final) == 2 and "ETA" in final[0] and re.search(r"loss: \d\.\d{4} - mae: \d\.\d{4} - val_loss: \d", final[0])
    model.fit(x, y, batch_size=4, epochs=1, verbose=2)
    line = capsys.readouterr().out.strip()
    assert re.fullmatch(r"2/2 - \d+s - \d+ms/step - loss: \S+ - mae: \S+", line)
    model.evaluate(x, y, verbose=1)
    assert "loss: " in capsys.readouterr().out


# -- a Keras script ---------------------------------------------------------------------------------
def test_keras_style_script_learns_digits():
    from sklearn.datasets import load_digits

    torch.manual_seed(0)
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    x_train, y_train, x_test, y_test = x[:1500], y[:1500], x[1500:], y[1500:]

    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
        keras.layers.SeparableConv2D(32, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=10, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy >= 0.97, (loss, accuracy)
    assert np.mean(model.predict(x_test, verbose=0).argmax(axis=1) == y_test) == pytest.approx(accuracy)


def test_a_torch_loss_module_reads_back_and_is_not_a_submodule():
    model = Sequential([Input((2,)), Dense(1)])
    loss = torch.nn.MSELoss()
    model.compile("sgd", loss)
    assert model.loss is loss and all(child is not loss for child in model.modules())
    model.fit(np.ones((4, 2), "float32"), np.zeros((4, 1), "float32"), epochs=1, verbose=0)
