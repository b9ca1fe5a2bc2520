"""``python -m bench --device cuda`` and ``--batch``, on a machine without a GPU: arguments, the refusal, the timer choice."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's bench/ package

from bench import cli, mixed, peers, report, timing  # noqa: E402
from bench.workloads import WORKLOADS  # noqa: E402


def test_device_and_batch_are_parsed():
    args = cli.parse(["--device", "cuda", "--batch", "64", "--no-peers"])
    assert (args.device, args.batch, args.no_peers) == ("cuda", 64, True)
    defaults = cli.parse([])
    assert (defaults.device, defaults.batch) == ("cpu", None)


@pytest.mark.parametrize("argv", [["--device", "tpu"], ["--batch", "0"], ["--batch", "-2"], ["--batch", "x"]])
def test_bad_device_or_batch_is_refused_by_the_parser(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.parse(argv)
    assert exit_info.value.code == 2
    assert f"argument {argv[0]}:" in capsys.readouterr().err


def test_batch_replaces_every_workload_batch_and_nothing_else():
    resized = cli.with_batch(list(WORKLOADS), 64)
    assert [w.batch for w in resized] == [64] * len(WORKLOADS)
    assert [w.name for w in resized] == [w.name for w in WORKLOADS]
    assert resized[0].input_shape == (64, 56, 56, 64) and resized[0].data(0)["x"].shape == (64, 56, 56, 64)
    assert cli.with_batch(list(WORKLOADS), None) == list(WORKLOADS)


def test_the_refusal_is_one_line():
    line = cli.cuda_refusal("cuda", False, "2.13.0+cpu")
    assert line == ("python -m bench: --device cuda needs a CUDA device, and torch 2.13.0+cpu sees none "
                    "(torch.cuda.is_available() is False).")
    assert cli.cuda_refusal("cuda", True, "2.13.0") is None and cli.cuda_refusal("cpu", False, "2.13.0") is None


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA device: the bench would run")
def test_device_cuda_without_cuda_exits_2_with_one_clear_line(tmp_path, capsys):
    assert cli.main(["--device", "cuda", "--out", str(tmp_path), "--no-peers"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [cli.cuda_refusal("cuda", False, torch.__version__)]
    assert not list(tmp_path.iterdir()), "nothing is written before the refusal"


def test_the_timer_is_chosen_by_device():
    assert timing.timer("cpu") is timing.time_call
    assert timing.timer("cuda") is timing.cuda_time_call
    with pytest.raises(ValueError, match="no timer for device 'mps'; expected 'cpu' or 'cuda'"):
        timing.timer("mps")


def test_turn_times_with_the_timer_it_is_given():
    calls = []
    samples = timing.turn(lambda: calls.append(1), calls=3, warm=0.0, time_one=lambda fn: fn() or 0.5)
    assert samples == [0.5, 0.5, 0.5] and len(calls) == 4  # one untimed warm call, three timed


def test_the_cpu_timer_measures_the_call():
    assert 0.009 < timing.time_call(lambda: time.sleep(0.01)) < 1.0


def test_on_cuda_only_gpu_peers_start():
    started, skipped = peers.start_peers(["tensorflow", "jax"], "/nonexistent/python", Path("unused.log"), 1, "cuda")
    assert started == {}
    assert skipped["tensorflow"].startswith("not a GPU peer here")
    assert skipped["jax"] == "no interpreter at /nonexistent/python (run `make bench-peers`)"


def test_the_mixed_units_line_names_the_gpu():
    assert mixed.units_line({"gpu": "NVIDIA H200", "capability": "9.0"}) == (
        "GPU: NVIDIA H200, compute capability 9.0 (bfloat16 tensor cores from 8.0)"
    )
    run = {"engines": [], "workloads": [], "peak": {"gemm_gflops": 100.0},
           "mixed": {"units": {"gpu": "NVIDIA H200", "capability": "9.0"}, "rows": []}}
    assert "GPU: NVIDIA H200" in report.sections(run, report.text)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device; CI machines have none")
def test_the_cuda_timer_times_gpu_work():
    x = torch.randn(2048, 2048, device="cuda")
    assert timing.cuda_time_call(lambda: x @ x) > 0
