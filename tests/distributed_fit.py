"""A data-parallel ``fit`` for tests/test_distribution.py: ``torchrun ... tests/distributed_fit.py OUT``.

Each process writes ``OUT/rank<r>.npz`` (weights) and ``OUT/rank<r>.json`` (history); process
0 also writes ``OUT/log.csv`` (its CSVLogger), the others must not. Without torchrun (or
called as :func:`train`), it trains in one process: the reference.

>>> callable(train)
True
"""

import json
import os
import sys

import numpy as np
import torch


def data():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((22, 6, 6, 2)).astype("float32")
    y = rng.integers(0, 3, 22)
    weights = rng.random(22).astype("float32")
    return x, y, weights


def train(csv_path):
    """Train the test model; ``(weights, history)``. 22 samples in batches of 7: 7, 7, 7 and 1."""
    import convlayers
    from convlayers import layers as L
    from convlayers.models import optimizers
    from convlayers.models.run_callbacks import CSVLogger

    torch.manual_seed(0)
    model = convlayers.Sequential(
        [
            convlayers.Input((6, 6, 2)),
            L.Conv2D(4, 3, activation="relu", kernel_regularizer="l2"),
            L.SeparableConv2D(3, 2, activation="relu"),
            L.MaxPooling2D(2),
            L.Flatten(),
            L.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"], weighted_metrics=["accuracy"])
    x, y, weights = data()
    history = model.fit(
        x, y, sample_weight=weights, batch_size=7, epochs=3, shuffle=False, verbose=2,
        validation_data=(x[:5], y[:5]), callbacks=[CSVLogger(csv_path)],
    )
    return model.get_weights(), history.history


def main(out):
    from convlayers import distribution

    torch.set_num_threads(1)
    distribution.set_distribution(distribution.DataParallel())
    rank = int(os.environ["RANK"])
    weights, history = train(os.path.join(out, f"log{rank}.csv") if rank else os.path.join(out, "log.csv"))
    np.savez(os.path.join(out, f"rank{rank}.npz"), *weights)
    with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
        json.dump({"history": history, "world": distribution.world_size()}, f)


if __name__ == "__main__":
    main(sys.argv[1])
