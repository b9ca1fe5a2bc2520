"""convlayers.distribution: a 2-process data-parallel ``fit`` (torchrun, gloo) trains as one process does."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import convlayers
from convlayers import distribution
from convlayers.distribution import DataParallel, list_devices, set_distribution, shard_bounds

import distributed_fit

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def two_process_run(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    env.update(PYTHONPATH=str(ROOT / "src"), OMP_NUM_THREADS="1")
    # --standalone: a rendezvous on a free local port.
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
               str(ROOT / "tests" / "distributed_fit.py"), str(tmp_path)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (tmp_path / "stdout.txt").write_text(done.stdout)
    return tmp_path


def test_two_processes_train_as_one(two_process_run, tmp_path_factory):
    reference_weights, reference_history = distributed_fit.train(tmp_path_factory.mktemp("one") / "log.csv")
    for rank in (0, 1):
        with np.load(two_process_run / f"rank{rank}.npz") as saved:
            weights = [saved[f"arr_{i}"] for i in range(len(saved.files))]
        report = json.loads((two_process_run / f"rank{rank}.json").read_text())
        assert report["world"] == 2
        assert len(weights) == len(reference_weights)
        for got, expected in zip(weights, reference_weights):
            np.testing.assert_allclose(got, expected, atol=1e-5)
        history = report["history"]
        assert sorted(history) == sorted(reference_history)
        for name, values in reference_history.items():
            np.testing.assert_allclose(history[name], values, rtol=1e-6, atol=1e-7, err_msg=name)
    # Only process 0 printed its progress (verbose=2: "Epoch i/3", then a line with the logs).
    printed = (two_process_run / "stdout.txt").read_text()
    assert printed.count("Epoch 1/3") == 1 and printed.count("ms/step") == 3, printed
    # Only process 0 ran its CSVLogger (process 1's would have written log1.csv).
    assert sorted(p.name for p in two_process_run.glob("*.csv")) == ["log.csv"]
    rows = (two_process_run / "log.csv").read_text().splitlines()
    assert rows[0] == "epoch,accuracy,loss,val_accuracy,val_loss,val_weighted_accuracy,weighted_accuracy" and len(rows) == 4


@pytest.mark.parametrize("size", range(0, 12))
@pytest.mark.parametrize("world", [1, 2, 3, 4])
def test_shard_bounds_are_numpy_array_splits(size, world):
    pieces = np.array_split(np.arange(size), world)
    for rank, piece in enumerate(pieces):
        begin, end = shard_bounds(size, rank, world)
        assert np.arange(size)[begin:end].tolist() == piece.tolist()


def test_keras_api_round_trip():
    assert distribution.distribution() is None
    strategy = DataParallel()
    set_distribution(strategy)
    try:
        assert distribution.distribution() is strategy
        assert strategy.devices == list_devices() and strategy.auto_shard_dataset
    finally:
        set_distribution(None)
    assert distribution.distribution() is None


def test_list_devices():
    assert list_devices("cpu") == ["cpu:0"]
    assert list_devices("gpu") == [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    with pytest.raises(ValueError, match=r"list_devices: `device_type` must be 'cpu', 'gpu' or 'cuda'. Received: device_type='tpu'."):
        list_devices("tpu")


def test_bad_arguments_are_refused():
    with pytest.raises(TypeError, match=r"set_distribution: expected a DataParallel or None. Received: 'data' of type str."):
        set_distribution("data")
    with pytest.raises(ValueError, match=r"DataParallel: `device_mesh` is not supported"):
        DataParallel(device_mesh=object())
    with pytest.raises(TypeError, match=r"DataParallel: `devices` must be a list of device strings"):
        DataParallel(devices="cpu:0")


def test_one_process_trains_as_usual_with_a_distribution_set(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    results = []
    for strategy in (None, DataParallel()):
        set_distribution(strategy)
        try:
            torch.manual_seed(0)
            model = convlayers.Sequential([convlayers.Input((2,)), convlayers.Dense(1)])
            model.compile("sgd", "mse")
            model.fit(np.ones((6, 2)), np.zeros((6, 1)), batch_size=4, epochs=2, verbose=0)
            results.append(model.get_weights())
        finally:
            set_distribution(None)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
