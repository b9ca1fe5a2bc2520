"""One whole-model ``fit`` measurement in its own process: ``python -m bench.fit_run ENGINE ...``; one JSON line out.

Engines: ``convlayers`` (``--jit`` for ``jit_compile=True``) and ``keras`` (Keras 3, its backend
from ``KERAS_BACKEND``: ``jax``, ``tensorflow``; run with the peers' interpreter). Each trains
the demo's CNN (:func:`convlayers.demo.build_model`, rebuilt layer for layer in Keras) with
``Adam(2e-3)`` and sparse categorical cross-entropy on the arrays of ``--data``, and times
every epoch (the end of an epoch waits for its steps). The reply: ``first_epoch_s`` (with
the tracing and compilation), ``steps_per_s`` over the epochs after ``--warm``, ``info``.

A process of its own for each: compiled code and caches from one run do not speed up the
next, and every engine starts cold (inductor's on-disk cache is turned off by the parent).

>>> steady_rate([9.0, 1.0, 1.0], warm=1, steps_per_epoch=10)
10.0
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time

import numpy as np


def steady_rate(durations: list[float], warm: int, steps_per_epoch: int) -> float:
    """Steps per second over the epochs after the first ``warm``."""
    timed = durations[warm:]
    return steps_per_epoch * len(timed) / sum(timed)


def _convlayers(x, y, batch: int, epochs: int, jit: bool, threads: int):
    import torch

    import convlayers
    from convlayers.demo import build_model
    from convlayers.models import optimizers
    from convlayers.models.callbacks import Callback

    torch.set_num_threads(threads)
    durations: list[float] = []

    class Clock(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.begun = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            durations.append(time.perf_counter() - self.begun)

    torch.manual_seed(0)
    model = build_model()
    model.compile(optimizers.Adam(2e-3), "sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=jit)
    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, callbacks=[Clock()])
    info = f"convlayers {convlayers.__version__}, torch {torch.__version__}, " + ("jit_compile=True" if jit else "eager")
    return durations, info


def _keras(x, y, batch: int, epochs: int, jit: bool, threads: int):
    import keras
    from keras import layers as L

    durations: list[float] = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.begun = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            durations.append(time.perf_counter() - self.begun)

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            L.Conv2D(32, 3, padding="same", activation="relu"),
            L.SeparableConv2D(64, 3, padding="same", activation="relu"),
            L.MaxPooling2D(2),
            L.SeparableConv2D(128, 3, padding="same", activation="relu"),
            L.MaxPooling2D(2),
            L.Flatten(),
            L.Dropout(0.3),
            L.Dense(10, activation="softmax"),
        ]
    )
    model.compile(keras.optimizers.Adam(2e-3), "sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=jit or "auto")
    model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, callbacks=[Clock()])
    backend = keras.backend.backend()
    compiled = {"jax": "jax.jit", "tensorflow": "tf.function" + (" + XLA" if model.jit_compile else "")}.get(backend, "")
    return durations, f"keras {keras.__version__} on {backend} ({compiled})"


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.fit_run")
    p.add_argument("engine", choices=["convlayers", "keras"])
    p.add_argument("--data", required=True, help="an .npz with x (n, 8, 8, 1) and y (n,)")
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--warm", type=int, default=2, help="epochs not counted in steps_per_s (the first among them)")
    p.add_argument("--timed", type=int, default=3, help="epochs counted in steps_per_s")
    p.add_argument("--jit", action="store_true", help="jit_compile=True")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    args = p.parse_args()
    with np.load(args.data) as arrays:
        x, y = arrays["x"], arrays["y"]
    run = _convlayers if args.engine == "convlayers" else _keras
    durations, info = run(x, y, args.batch, args.warm + args.timed, args.jit, args.threads)
    steps = math.ceil(len(x) / args.batch)
    reply = {"first_epoch_s": durations[0], "steps_per_s": steady_rate(durations, args.warm, steps),
             "epoch_s": durations, "steps_per_epoch": steps, "info": info}
    print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
