"""The main job (``make demo``): a CNN of convlayers layers learns scikit-learn's handwritten digits.

The 1,797 8x8 grayscale digits ship inside scikit-learn, so nothing is
downloaded. A stratified fifth is held out; the rest trains a small network of
``Conv2D``, ``SeparableConv2D`` and ``MaxPooling2D`` layers. The demo then
plots the training history and the first layer's kernels, saves the model,
reloads it and checks that the reloaded model predicts exactly the same numbers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from . import layers
from .io import load_model, save_model
from .io.container import PathLike, as_path
from .models import Sequential, optimizers

EPOCHS = 25
BATCH_SIZE = 32
LEARNING_RATE = 2e-3
TEST_FRACTION = 0.2
VALIDATION_SPLIT = 0.1
TARGET_ACCURACY = 0.97


@dataclass(frozen=True)
class DemoResult:
    """What :func:`run_demo` measured and wrote."""

    test_accuracy: float
    train_seconds: float
    total_seconds: float
    history: dict[str, list[float]]
    model_file: Path
    history_plot: Path
    kernel_plot: Path
    reload_identical: bool


def load_digit_split(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(x_train, y_train, x_test, y_test)``: images ``(n, 8, 8, 1)`` in ``[0, 1]``, labels 0-9.

    A stratified split: the held-out fifth has every digit in proportion.

    >>> x_train, y_train, x_test, y_test = load_digit_split()
    >>> x_train.shape, x_test.shape, sorted(set(y_test.tolist())) == list(range(10))
    ((1437, 8, 8, 1), (360, 8, 8, 1), True)
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[..., np.newaxis]  # pixel values are 0..16
    labels = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=TEST_FRACTION, random_state=seed, stratify=labels
    )
    return x_train, y_train, x_test, y_test


def build_model() -> Sequential:
    """The demo's network: conv, separable conv and pooling blocks, then a softmax classifier.

    >>> build_model().output_shape
    (None, 10)
    """
    return Sequential(
        [
            layers.Input((8, 8, 1)),
            layers.Conv2D(32, 3, padding="same", activation="relu", name="conv"),
            layers.SeparableConv2D(64, 3, padding="same", activation="relu", name="separable_1"),
            layers.MaxPooling2D(2, name="pool_1"),
            layers.SeparableConv2D(128, 3, padding="same", activation="relu", name="separable_2"),
            layers.MaxPooling2D(2, name="pool_2"),
            layers.Flatten(name="flatten"),
            layers.Dropout(0.3, name="dropout"),
            layers.Dense(10, activation="softmax", name="classifier"),
        ],
        name="digits_cnn",
    )


def run_demo(
    *,
    epochs: int = EPOCHS,
    out: PathLike = "demo-output",
    seed: int = 0,
    threads: int = 1,
    verbose: int = 1,
    print_fn: Callable[[str], Any] = print,
) -> DemoResult:
    """Train, evaluate, plot, save, reload and check; print as it goes; return what it measured.

    Args:
        epochs: passes over the training digits.
        out: folder for ``history.png``, ``kernels.png`` and ``digits_cnn.safetensors``
            (created if missing).
        seed: seeds the split, the initial weights, the shuffling and dropout.
        threads: torch's intra-op threads while the demo runs (restored after). One is
            the default: on tensors this small, more threads cost more in hand-offs than
            they gain (and stall badly on a busy machine), and a fixed count keeps the
            float sums, hence the run, identical from one machine to the next.
        verbose: ``fit``'s verbosity (1: live progress bars, 2: a line per epoch, 0: none).
        print_fn: receives every line the demo prints.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     result = run_demo(epochs=1, out=d, verbose=0, print_fn=lambda line: None)
    >>> result.reload_identical, len(result.history["loss"])
    (True, 1)
    """
    for argument, value in (("epochs", epochs), ("threads", threads)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"run_demo: `{argument}` must be a positive int. Received {argument}={value!r}.")
    folder = _writable_folder(as_path(out, "out"))
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return _run(epochs, folder, seed, verbose, print_fn)
    finally:
        torch.set_num_threads(previous_threads)


def _writable_folder(folder: Path) -> Path:
    """``folder``, created if missing; a ``ValueError`` saying why when the demo could not write its files there.

    Checked before training, so a bad ``out`` costs nothing.
    """
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"run_demo: `out` must be a folder; {str(folder)!r} is an existing file.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"run_demo: cannot create the output folder {str(folder)!r}: {error.strerror or error}.") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"run_demo: cannot write into the output folder {str(folder)!r} (permission denied).")
    return folder


def _run(epochs: int, folder: Path, seed: int, verbose: int, print_fn: Callable[[str], Any]) -> DemoResult:
    started = time.perf_counter()
    torch.manual_seed(seed)
    x_train, y_train, x_test, y_test = load_digit_split(seed)
    print_fn(
        f"scikit-learn digits: {len(x_train)} training and {len(x_test)} held-out 8x8 images, 10 classes "
        f"({VALIDATION_SPLIT:.0%} of the training images validate each epoch)."
    )

    model = build_model()
    model.summary(print_fn=print_fn)
    model.compile(
        optimizer=optimizers.Adam(learning_rate=LEARNING_RATE),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    fit_started = time.perf_counter()
    history = model.fit(
        x_train, y_train, batch_size=BATCH_SIZE, epochs=epochs, validation_split=VALIDATION_SPLIT, verbose=verbose
    ).history
    train_seconds = time.perf_counter() - fit_started
    _, test_accuracy = model.evaluate(x_test, y_test, verbose=0)

    from .plots import plot_history, plot_kernels  # matplotlib only once there is something to draw

    history_plot = plot_history(history, folder / "history.png", title="Digits CNN: training history")
    kernel_plot = plot_kernels(model, folder / "kernels.png")
    model_file = save_model(model, folder / "digits_cnn.safetensors")
    reloaded = load_model(model_file)
    reload_identical = bool(np.array_equal(reloaded.predict(x_test, verbose=0), model.predict(x_test, verbose=0)))
    total_seconds = time.perf_counter() - started

    verdict = "meets" if test_accuracy >= TARGET_ACCURACY else "is below"
    print_fn(f"Held-out accuracy: {test_accuracy:.2%} on {len(x_test)} digits ({verdict} the {TARGET_ACCURACY:.0%} target)")
    print_fn(f"Training: {epochs} epochs in {train_seconds:.1f} s; whole demo {total_seconds:.1f} s")
    print_fn(f"Wrote {history_plot}, {kernel_plot}, {model_file}")
    check = "PASSED: predictions are identical" if reload_identical else "FAILED: predictions differ"
    print_fn(f"Reload check (load_model, predict {len(x_test)} digits): {check}")
    return DemoResult(
        test_accuracy=float(test_accuracy),
        train_seconds=train_seconds,
        total_seconds=total_seconds,
        history=history,
        model_file=model_file,
        history_plot=history_plot,
        kernel_plot=kernel_plot,
        reload_identical=reload_identical,
    )
