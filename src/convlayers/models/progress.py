"""Training progress on stdout, as Keras prints it, drawn with tqdm.

``verbose=1``: ``Epoch i/n`` (when there are several), then a live bar per epoch with steps,
elapsed time, ETA, speed and the running metrics; the epoch's final logs (validation
included) stay on the finished bar. ``verbose=2``: one line per epoch. ``verbose=0``:
nothing. ``"auto"`` means 1, as in Keras.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from tqdm import tqdm

from .callbacks import Callback, Logs

BAR_FORMAT = "{n_fmt}/{total_fmt} {bar:20} {elapsed}, ETA {remaining}, {rate_fmt}{postfix}"


def normalize_verbose(verbose: Any, owner: str) -> int:
    """``0``, ``1`` or ``2`` from Keras's ``verbose`` values (``"auto"`` is 1).

    >>> normalize_verbose("auto", "fit"), normalize_verbose(2, "fit")
    (1, 2)
    """
    if verbose == "auto":
        return 1
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise ValueError(f"{owner}: `verbose` must be 'auto', 0, 1 or 2. Received: verbose={verbose!r}.")
    return int(verbose)


def format_logs(logs: Logs | None) -> str:
    """Keras's ``name: value`` list: 4 decimals, or scientific notation below 1e-3.

    >>> format_logs({"loss": 0.25, "accuracy": 1.0, "lr": 1e-5})
    'loss: 0.2500 - accuracy: 1.0000 - lr: 1.0000e-05'
    """
    return " - ".join(f"{name}: {value:.4f}" if abs(value) > 1e-3 else f"{name}: {value:.4e}" for name, value in (logs or {}).items())


def new_bar(steps: int | None) -> tqdm:
    """A live progress bar over ``steps`` batches on stdout (a count alone when ``None``)."""
    return tqdm(total=steps, file=sys.stdout, unit="step", bar_format=BAR_FORMAT, leave=True)


class ProgressBar(Callback):
    """The callback ``fit`` adds for ``verbose`` 1 (bar) or 2 (a line per epoch)."""

    def __init__(self, verbose: int) -> None:
        super().__init__()
        self.verbose = verbose
        self.bar: tqdm | None = None
        self.started = 0.0
        self.seen = 0

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        epochs = self.params["epochs"]
        if epochs > 1:
            print(f"Epoch {epoch + 1}/{epochs}", file=sys.stdout, flush=True)
        self.started = time.perf_counter()
        self.seen = 0
        if self.verbose == 1:
            self.bar = new_bar(self.params["steps"])

    def on_train_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        self.seen += 1
        if self.bar is not None:
            self.bar.set_postfix_str(format_logs(logs), refresh=False)
            self.bar.update(1)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(format_logs(logs), refresh=False)
            self.bar.close()  # draws the final state once
            self.bar = None
            return
        steps = self.seen  # the params' steps are unknown (None) for a generator
        elapsed = time.perf_counter() - self.started
        print(
            f"{steps}/{steps} - {elapsed:.0f}s - {1000 * elapsed / max(steps, 1):.0f}ms/step - {format_logs(logs)}",
            file=sys.stdout,
            flush=True,
        )
