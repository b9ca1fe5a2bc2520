"""Hostile and broken files: every one a ModelFileError, in bounded memory and time, reading nothing outside the file.

The corpus (``hostile.py``) is generated here, never committed. Memory is measured in a child
process (``hostile_probe.py``) whose address space is capped, so a regression that inflates a
zip bomb fails a test instead of the machine. Truncations and seeded byte mutations of each
format must end in a ModelFileError (or, for a mutation inside weight bytes, a clean load).
"""

import cProfile
import functools
import io
import json
import os
import pstats
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

import convlayers
import hostile
from conftest import FIXTURES
from convlayers import Dense, Input, Sequential
from convlayers.io import ModelFileError, load_keras_model, load_keras_weights, load_model, load_weights

KERAS_FILES = FIXTURES / "keras-files"
PROBE = Path(__file__).parent / "hostile_probe.py"
PEAK_MIB = 64  # per load, over the resident memory before it
SECONDS = 2.0  # per load


def test_every_hostile_file_is_refused_quickly_in_bounded_memory(tmp_path):
    run = subprocess.run([sys.executable, str(PROBE), str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    table, failures = [], []
    for case in report["cases"]:
        name, reason = case["name"], case["reason"]
        table.append(f"{name:<62} {case['peak_mib']:6.1f} MiB {1000 * case['seconds']:6.0f} ms  {reason}")
        if case["error"] != "ModelFileError" or not re.search(case["expected"], reason):
            failures.append(f"{name}: expected a ModelFileError matching {case['expected']!r}, got {case['error']}: {reason}")
        if case["peak_mib"] > PEAK_MIB or case["seconds"] > SECONDS:
            failures.append(f"{name}: {case['peak_mib']:.0f} MiB and {case['seconds']:.2f} s, bounds {PEAK_MIB} MiB, {SECONDS} s")
    print("\n".join(table))
    assert not failures, "\n".join(failures)
    assert len(report["cases"]) >= 45
    # The reader children inherit the parent's pages; what they add must stay within the reader's allowance.
    assert report["children_peak_mib"] < report["rss_mib"] + 512


# -- truncations and mutations of each format ------------------------------------------------------
def _own_model_bytes(tmp_path):
    model = Sequential([Input((6, 6, 2)), convlayers.Conv2D(3, 3), convlayers.BatchNormalization(), convlayers.Flatten(), Dense(2)])
    return convlayers.io.save_model(model, tmp_path / "valid.safetensors").read_bytes()


@functools.lru_cache(maxsize=None)
def _seq1d_model():
    """A model to load weights into (built once: a refused load leaves it as it was)."""
    return load_keras_model(KERAS_FILES / "seq1d_keras3.keras")


FORMATS = {
    "safetensors": (_own_model_bytes, load_model),
    "keras": (lambda tmp_path: (KERAS_FILES / "seq1d_keras3.keras").read_bytes(), load_keras_model),
    "h5": (lambda tmp_path: (KERAS_FILES / "seq1d_tfkeras2.h5").read_bytes(), load_keras_model),
    "weights.h5": (
        lambda tmp_path: zipfile.ZipFile(KERAS_FILES / "seq1d_keras3.keras").read("model.weights.h5"),
        lambda path: load_keras_weights(_seq1d_model(), path),
    ),
}


@pytest.mark.parametrize("form", FORMATS)
def test_every_truncation_is_a_model_file_error(form, tmp_path):
    make, load = FORMATS[form]
    path = tmp_path / f"truncated.{form}"
    for data in hostile.truncations(make(tmp_path), 40):
        path.write_bytes(data)
        with pytest.raises(ModelFileError, match=re.escape(str(path))):
            load(path)


@pytest.mark.parametrize("form", FORMATS)
def test_byte_mutations_load_or_raise_a_model_file_error(form, tmp_path):
    make, load = FORMATS[form]
    path = tmp_path / f"mutated.{form}"
    refused = 0
    for data in hostile.mutations(make(tmp_path), 40, seed=1000):
        path.write_bytes(data)
        try:
            load(path)  # a mutation inside weight bytes is undetectable: the load may succeed
        except ModelFileError:
            refused += 1
    assert refused >= 10


#: Mutations of seq1d_tfkeras2.h5 (``hostile.mutate(data, seed)``) that crash h5py 3.16 / HDF5 2.0 with SIGSEGV.
CRASHING_SEEDS = [68, 289]


@pytest.mark.parametrize("seed", CRASHING_SEEDS)
def test_a_file_that_crashes_h5py_is_an_error_and_the_process_survives(seed, tmp_path):
    path = tmp_path / "crashing.h5"
    path.write_bytes(hostile.mutate((KERAS_FILES / "seq1d_tfkeras2.h5").read_bytes(), seed))
    with pytest.raises(ModelFileError) as error:
        load_keras_model(path)
    if h5py.__version__ == "3.16.0":  # other versions may refuse it without crashing
        assert error.value.reason == "h5py crashed reading it (signal 11, SIGSEGV); the file is corrupt."


# -- the child process that reads HDF5 -------------------------------------------------------------
def test_the_reader_child_is_bounded_in_time_and_memory():
    from convlayers.io import sandbox

    with pytest.raises(ValueError, match=r"^slow did not finish reading it within 1 s\.$"):
        sandbox.run_isolated(lambda: time.sleep(30), reader="slow", timeout=1, memory=2**28)
    with pytest.raises(ValueError, match=r"^greedy ran out of memory reading it\.$"):
        sandbox.run_isolated(lambda: bytearray(2**31), reader="greedy", timeout=30, memory=2**28)
    with pytest.raises(ValueError, match=r"^h5py could not read it \(OSError: truncated\)\.$"):
        sandbox.run_isolated(_raise_truncated, reader="h5py", timeout=30, memory=2**28)
    with pytest.raises(ValueError, match=r"^h5py crashed reading it \(signal 6, SIGABRT\)"):
        sandbox.run_isolated(lambda: os.abort(), reader="h5py", timeout=30, memory=2**28)


def _raise_truncated():
    raise OSError("truncated")


def test_without_fork_the_reader_runs_in_process(monkeypatch):
    from convlayers.io import sandbox

    monkeypatch.delattr(os, "fork")
    assert sandbox.run_isolated(lambda: os.getpid(), reader="x", timeout=1, memory=1) == os.getpid()
    model = load_keras_model(KERAS_FILES / "seq1d_keras3.keras")
    x, y = np.load(KERAS_FILES / "seq1d_keras3.npz").values()
    np.testing.assert_allclose(model(x), y, rtol=1e-4, atol=1e-6)


# -- nothing half-loaded --------------------------------------------------------------------------
def test_non_finite_weights_leave_the_model_untouched(tmp_path):
    model = Sequential([Input((4,)), Dense(3, name="d")])
    before = [w.copy() for w in model.get_weights()]
    tensors = {name: value.clone() for name, value in model.state_dict().items()}
    tensors["0.bias"][0] = float("nan")
    path = convlayers.io.container.write_file(tmp_path / "nan.safetensors", tensors, {"contents": "weights"})
    with pytest.raises(ModelFileError, match=r"the tensor '0.bias' holds NaN or infinity"):
        load_weights(model, path)
    inf = tmp_path / "inf.h5"
    inf.write_bytes(hostile.legacy_h5(lambda f: f["model_weights/d/d/kernel:0"].__setitem__((0, 0), np.inf)))
    with pytest.raises(ModelFileError, match=r"its weights hold NaN or infinity: layer 'd' \(Dense\) weight `kernel`"):
        load_keras_weights(model, inf)
    for now, then in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(now, then)


def test_a_file_that_fits_loads_with_its_values(tmp_path):
    path = tmp_path / "fine.keras"
    path.write_bytes(hostile.keras_zip())
    model = load_keras_model(path)
    np.testing.assert_array_equal(model.get_layer("d").get_weights()[0], hostile.dense_weights()["kernel"])
    legacy = tmp_path / "fine.h5"
    legacy.write_bytes(hostile.legacy_h5())
    np.testing.assert_array_equal(load_keras_model(legacy).get_layer("d").get_weights()[0], hostile.dense_weights()["kernel"])


# -- loading is linear in the number of layers ------------------------------------------------------
def _calls(load):
    """How many Python and C function calls ``load()`` makes: deterministic, unlike a time."""
    profile = cProfile.Profile()
    profile.runcall(load)
    return sum(stat[1] for stat in pstats.Stats(profile).stats.values())


def _dense_stack_files(n, folder):
    model = Sequential([Input((1,))] + [Dense(1) for _ in range(n)])
    own = convlayers.io.save_model(model, folder / f"stack{n}.safetensors")
    layers = [{"class_name": "InputLayer", "config": {"batch_shape": [None, 1]}}]
    layers += [{"class_name": "Dense", "config": {"units": 1, "name": f"d{i}"}} for i in range(n)]
    weights = io.BytesIO()
    with h5py.File(weights, "w") as f:
        for i in range(n):
            f[f"layers/{'dense' if i == 0 else f'dense_{i}'}/vars/0"] = np.ones((1, 1), "float32")
            f[f"layers/{'dense' if i == 0 else f'dense_{i}'}/vars/1"] = np.ones(1, "float32")
    keras = folder / f"stack{n}.keras"
    keras.write_bytes(hostile.keras_zip({"class_name": "Sequential", "config": {"name": "s", "layers": layers}}, weights.getvalue()))
    return own, keras


def test_loading_is_linear_in_the_number_of_layers(tmp_path):
    # 100 -> 400 layers: 4x the calls when linear. Before the fix, Sequential's name check and
    # torch's load_state_dict (which filters the whole state per submodule) made it 5.7x.
    small, large = _dense_stack_files(100, tmp_path), _dense_stack_files(400, tmp_path)
    for load, small_file, large_file in zip((load_model, load_keras_model), small, large):
        load(small_file)  # first-call costs (imports, caches) out of the count
        ratio = _calls(lambda: load(large_file)) / _calls(lambda: load(small_file))
        assert ratio < 4.1, (load.__name__, ratio)
