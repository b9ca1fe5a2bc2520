"""Keras's run-keeping callbacks: ``CSVLogger``, ``TerminateOnNaN`` and ``BackupAndRestore``."""

from __future__ import annotations

import collections
import csv
import json
import math
import os
import pickle
import shutil
from typing import Any

import numpy as np
import torch

from .callbacks import Callback, Logs


class CSVLogger(Callback):
    """Write each epoch's logs as a CSV row (Keras ``CSVLogger``, the same file byte for byte).

    The columns are ``epoch`` then the first epoch's log keys sorted; without validation
    entries, a ``val_`` column per key is added and filled with ``NA``. Rows end with
    ``\\r\\n`` (the csv module's Excel dialect), as Keras writes them.

    Args:
        filename: the CSV file.
        separator: the column separator.
        append: add to an existing file (its header kept; written only if the file is empty).

    >>> import os, tempfile, convlayers
    >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
    >>> model = convlayers.Sequential([convlayers.Input((1,)), convlayers.Dense(1, kernel_initializer="zeros")])
    >>> model.compile(convlayers.optimizers.SGD(0.5), "mse")
    >>> _ = model.fit([[0.0], [0.0]], [[1.0], [-1.0]], epochs=2, verbose=0, callbacks=[CSVLogger(path)])
    >>> open(path, newline="").read()
    'epoch,loss,val_loss\\r\\n0,1.0,NA\\r\\n1,1.0,NA\\r\\n'
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer: csv.DictWriter | None = None
        self.keys: list[str] | None = None
        self.append_header = True
        self.csv_file: Any = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename) as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            mode = "w"
        if self.csv_file and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode)  # noqa: SIM115 (open across epochs, closed at the end)
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys.extend([f"val_{key}" for key in self.keys])
        if self.writer is None:
            dialect = type("Dialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys, dialect=dialect)
            if self.append_header:
                self.writer.writeheader()
        row = collections.OrderedDict({"epoch": epoch})
        row.update((key, _csv_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.csv_file and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


def _csv_value(value: Any) -> Any:
    """A list-like value as ``"[a, b]"`` (quoted), anything else as is, as Keras writes it."""
    if isinstance(value, str) or (isinstance(value, np.ndarray) and value.ndim == 0):
        return value
    if isinstance(value, collections.abc.Iterable):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class TerminateOnNaN(Callback):
    """Stop training when a batch's loss is NaN or infinite (Keras ``TerminateOnNaN``).

    Args:
        raise_error: raise a ``RuntimeError`` at once instead of stopping after the batch.

    >>> import math, convlayers
    >>> model = convlayers.Sequential([convlayers.Input((1,)), convlayers.Dense(1)])
    >>> model.compile("sgd", "mse")
    >>> history = model.fit([[math.nan]], [[1.0]], epochs=5, verbose=0, callbacks=[TerminateOnNaN()])
    Batch 0: Invalid loss, terminating training
    >>> len(history.epoch)
    1
    """

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and (math.isnan(loss) or math.isinf(loss)):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. Terminating training immediately."
                )
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class BackupAndRestore(Callback):
    """Back up the training state to ``backup_dir`` and resume from it after an interruption (Keras ``BackupAndRestore``).

    At the start of ``fit``, a backup found in ``backup_dir`` restores the model's weights,
    the optimizer's state (moments, ``iterations``, learning rate) and the epoch count, and
    training continues from the first unfinished epoch. A backup holds
    ``latest.weights.pt`` (the model's and optimizer's torch state dicts; Keras writes a
    ``.weights.h5`` there) and Keras's ``training_metadata.json`` (``{"epoch", "batch"}``).

    Args:
        backup_dir: the folder of the backup (made when needed).
        save_freq: ``"epoch"`` (after each epoch), or an int: every so many batches.
        double_checkpoint: keep the previous backup as ``*.bkp``, used if the latest cannot be read.
        delete_checkpoint: delete ``backup_dir`` when training ends normally.

    >>> import os, tempfile, convlayers
    >>> folder = os.path.join(tempfile.mkdtemp(), "backup")
    >>> model = convlayers.Sequential([convlayers.Input((1,)), convlayers.Dense(1)])
    >>> model.compile("adam", "mse")
    >>> _ = model.fit([[1.0]], [[2.0]], epochs=2, verbose=0, callbacks=[BackupAndRestore(folder, delete_checkpoint=False)])
    >>> sorted(os.listdir(folder)), json.load(open(os.path.join(folder, "training_metadata.json")))
    (['latest.weights.pt', 'training_metadata.json'], {'epoch': 2, 'batch': 0})
    """

    def __init__(
        self,
        backup_dir: str | os.PathLike,
        save_freq: str | int = "epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: empty `backup_dir` argument passed")
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)):
            raise ValueError(
                f"BackupAndRestore: invalid value for argument `save_freq`. Received: save_freq={save_freq!r}. "
                "Expected either 'epoch' or an integer value."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.pt")
        self._metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0

    # -- restoring ---------------------------------------------------------------------------
    def on_train_begin(self, logs: Logs | None = None) -> None:
        try:
            self._load()
        except (OSError, RuntimeError, EOFError, ValueError, pickle.UnpicklingError):
            previous = self._weights_path + ".bkp"
            if not os.path.exists(previous):
                raise
            shutil.copy(previous, self._weights_path)
            if os.path.exists(self._metadata_path + ".bkp"):
                shutil.copy(self._metadata_path + ".bkp", self._metadata_path)
            elif os.path.exists(self._metadata_path):
                os.remove(self._metadata_path)
            self._load()

    def _load(self) -> None:
        if not self.model.built:
            raise ValueError(
                "To use the BackupAndRestore callback, your model must be built before you call `fit()`. "
                f"Model {self.model.name!r} is unbuilt."
            )
        if os.path.exists(self._weights_path):
            state = torch.load(self._weights_path, map_location="cpu", weights_only=True)
            self.model.load_state_dict(state["model"])
            if state.get("optimizer") is not None and self.model.optimizer is not None:
                self.model.optimizer.load_state_dict(state["optimizer"])
        if os.path.exists(self._metadata_path):
            with open(self._metadata_path) as f:
                epoch = json.loads(f.read())["epoch"]
            self._current_epoch = epoch
            self.model._initial_epoch = epoch  # this fit starts there

    # -- saving ------------------------------------------------------------------------------
    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save()

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if self._should_save_on_batch(batch):
            self._save()

    def _should_save_on_batch(self, batch: int) -> bool:
        if self.save_freq == "epoch":
            return False
        added = batch + 1 if batch <= self._last_batch_seen else batch - self._last_batch_seen  # a new epoch restarts at 0
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save(self) -> None:
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint:
            for path in (self._weights_path, self._metadata_path):
                if os.path.exists(path):
                    shutil.copy(path, path + ".bkp")
        optimizer = self.model.optimizer
        state = {"model": self.model.state_dict(), "optimizer": None if optimizer is None else optimizer.state_dict()}
        torch.save(state, self._weights_path)
        with open(self._metadata_path, "w") as f:
            f.write(json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen}))

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)
