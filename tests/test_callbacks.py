"""Keras 3's learning-rate, logging and backup callbacks: against Keras's files and logs
(tests/fixtures/optimizers, from its generate.py), and an interrupted fit resumed exactly."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from convlayers import Dense, Input, Sequential, callbacks, optimizers

FIXTURES = Path(__file__).parent / "fixtures" / "optimizers"
KERAS = json.loads((FIXTURES / "keras_optimizers.json").read_text())["callbacks"]
# A stationary point: the loss and mae stay 1.0 whatever the learning rate, in Keras and here.
X, Y = np.zeros((2, 1), "float32"), np.array([[1.0], [-1.0]], "float32")


def _fit(callback_list, optimizer=None, **kwargs):
    model = Sequential([Input((1,)), Dense(1, kernel_initializer="zeros")])
    model.compile(optimizer or optimizers.SGD(0.5), "mse", metrics=["mae"])
    return model.fit(X, Y, batch_size=2, epochs=3, verbose=0, callbacks=callback_list, **kwargs).history


# -- learning rate ------------------------------------------------------------------------------------
def test_learning_rate_scheduler_logs_as_keras():
    history = _fit([callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)])
    assert history == KERAS["scheduler_history"]


def test_learning_rate_scheduler_one_argument_form_torch_optimizers_and_errors(capsys):
    model = Sequential([Input((1,)), Dense(1)])
    model.compile(torch.optim.SGD, "mse")  # a bare torch optimizer: its groups' lr
    model.compile(lambda params: torch.optim.SGD(params, lr=1.0), "mse")
    history = model.fit(X, Y, epochs=2, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1), verbose=1)])
    assert history.history["learning_rate"] == [0.1, 0.05] and model.optimizer.param_groups[0]["lr"] == 0.05
    assert "\nEpoch 2: LearningRateScheduler setting learning rate to 0.05.\n" in capsys.readouterr().out
    with pytest.raises(ValueError, match="The output of the `schedule` function should be a float. Got: 1"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda epoch: 1)])


def test_reduce_lr_on_plateau_logs_and_prints_as_keras(capsys):
    history = _fit([callbacks.ReduceLROnPlateau("loss", factor=0.5, patience=1, verbose=1)])
    assert history == KERAS["plateau_history"]
    assert capsys.readouterr().out == (
        "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.25.\n\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.125.\n"
    )


def test_reduce_lr_on_plateau_cooldown_min_lr_and_errors():
    reduce = callbacks.ReduceLROnPlateau("loss", factor=0.5, patience=0, cooldown=1, min_lr=0.2)
    optimizer = optimizers.SGD(0.5)
    history = _fit([reduce], optimizer)
    # Epoch 0 sets the best; epoch 1 reduces to 0.25 and starts a one-epoch cooldown; epoch 2 ends
    # it (Keras counts down before comparing) and reduces again, to min_lr rather than 0.125.
    assert history["learning_rate"] == [0.5, 0.5, 0.25] and optimizer.learning_rate == 0.2
    with pytest.raises(ValueError, match="ReduceLROnPlateau does not support a factor >= 1.0. Received factor=1.5"):
        callbacks.ReduceLROnPlateau(factor=1.5)
    with pytest.warns(UserWarning, match="conditioned on metric `val_loss` which is not available"):
        _fit([callbacks.ReduceLROnPlateau()])


# -- CSVLogger ----------------------------------------------------------------------------------------------
def test_csv_logger_writes_keras_files_byte_for_byte(tmp_path):
    _fit([callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5), callbacks.CSVLogger(tmp_path / "plain.csv")])
    _fit([callbacks.CSVLogger(tmp_path / "validation.csv", separator=";")], validation_data=(X, Y))
    for _ in range(2):
        _fit([callbacks.CSVLogger(tmp_path / "append.csv", append=True)])
    for name in ("plain", "validation", "append"):
        assert (tmp_path / f"{name}.csv").read_bytes() == (FIXTURES / f"keras_{name}.csv").read_bytes(), name


# -- TerminateOnNaN ----------------------------------------------------------------------------------------
def test_terminate_on_nan_stops_or_raises(capsys):
    x = np.array([[1.0], [math.inf]], "float32")
    model = Sequential([Input((1,)), Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(x, Y, batch_size=1, epochs=4, shuffle=False, verbose=0, callbacks=[callbacks.TerminateOnNaN()])
    assert history.epoch == [0] and capsys.readouterr().out == "Batch 1: Invalid loss, terminating training\n"
    model = Sequential([Input((1,)), Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 1. Loss value: (nan|inf)"):
        model.fit(x, Y, batch_size=1, epochs=4, shuffle=False, verbose=0, callbacks=[callbacks.TerminateOnNaN(raise_error=True)])


# -- BackupAndRestore ----------------------------------------------------------------------------------
class _Interrupt(callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt("simulated interruption")


def _regression():
    torch.manual_seed(3)
    model = Sequential([Input((4,)), Dense(8, activation="relu"), Dense(2)])
    model.compile(optimizers.Adam(0.01, clipnorm=1.0), "mse")
    rng = np.random.default_rng(3)
    return model, rng.standard_normal((32, 4)).astype("float32"), rng.standard_normal((32, 2)).astype("float32")


def test_an_interrupted_fit_resumes_to_the_same_weights(tmp_path):
    model, x, y = _regression()
    reference = model.fit(x, y, batch_size=8, epochs=5, shuffle=False, verbose=0)
    expected = model.get_weights()

    model, x, y = _regression()
    backup = callbacks.BackupAndRestore(tmp_path / "backup")
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=8, epochs=5, shuffle=False, verbose=0, callbacks=[backup, _Interrupt(2)])
    assert json.loads((tmp_path / "backup" / "training_metadata.json").read_text()) == {"epoch": 3, "batch": 0}

    model, x, y = _regression()  # a fresh process would start here: new model, same backup folder
    history = model.fit(x, y, batch_size=8, epochs=5, shuffle=False, verbose=0,
                        callbacks=[callbacks.BackupAndRestore(tmp_path / "backup")])
    assert history.epoch == [3, 4] and model.optimizer.iterations == 20
    for got, want in zip(model.get_weights(), expected):
        np.testing.assert_array_equal(got, want)
    assert history.history["loss"] == reference.history["loss"][3:]
    assert not (tmp_path / "backup").exists()  # delete_checkpoint
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)  # the resumed epoch does not stick to the model
    assert model.optimizer.iterations == 24


def test_backup_every_few_batches_records_the_finished_epochs_as_keras(tmp_path):
    # Keras counts an epoch once its end is reached: a save at an epoch's last batch records the
    # epochs before it, so a resumed run repeats that epoch (from the weights saved at its end).
    model, x, y = _regression()
    backup = callbacks.BackupAndRestore(tmp_path / "backup", save_freq=3)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=8, epochs=5, shuffle=False, verbose=0, callbacks=[backup, _Interrupt(2)])
    # 12 batches seen, saves after the 3rd, 6th, 9th and 12th: epoch 2's batch 3 (0-based) last.
    assert json.loads((tmp_path / "backup" / "training_metadata.json").read_text()) == {"epoch": 2, "batch": 3}
    model, x, y = _regression()
    resumed = callbacks.BackupAndRestore(tmp_path / "backup", save_freq=3)
    history = model.fit(x, y, batch_size=8, epochs=5, shuffle=False, verbose=0, callbacks=[resumed])
    assert history.epoch == [2, 3, 4]
    assert model.optimizer.iterations == 12 + 3 * 4  # the saved optimizer's 12 steps, then three epochs


def test_backup_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    model, x, y = _regression()
    backup = callbacks.BackupAndRestore(tmp_path, double_checkpoint=True, delete_checkpoint=False)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[backup])
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "latest.weights.pt", "latest.weights.pt.bkp", "training_metadata.json", "training_metadata.json.bkp"]
    (tmp_path / "latest.weights.pt").write_bytes(b"corrupted")
    model, x, y = _regression()
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path)])
    assert history.epoch == [1, 2]  # the previous backup is of epoch 1


def test_backup_argument_errors():
    with pytest.raises(ValueError, match="empty `backup_dir`"):
        callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="invalid value for argument `save_freq`. Received: save_freq='batch'"):
        callbacks.BackupAndRestore("b", save_freq="batch")
