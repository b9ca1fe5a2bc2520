"""``python -m bench``: run the workloads on every engine, print the tables, save the results."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

from . import report
from .peers import DEFAULT_PYTHON, PeerError, start_peers
from .timing import Load, median_ms, timer, turn, wait_for_quiet
from .workloads import WORKLOADS, Workload, select

RESULTS = Path(__file__).resolve().parent / "results"


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("-k", "--filter", help="comma-separated substrings of workload names (default: all): "
                   + ", ".join(w.name for w in WORKLOADS))
    p.add_argument("--rounds", type=int, default=15, help="interleaved rounds per mode (default 15)")
    p.add_argument("--calls", type=int, default=3, help="timed calls per engine per round (default 3)")
    p.add_argument("--warm", type=float, default=0.03, help="seconds of untimed calls (at least one) before each "
                   "engine's timed calls in a round (default 0.03)")
    p.add_argument("--budget", type=float, default=20.0, help="seconds of timed calls per engine and mode after "
                   "which its later rounds are skipped, once it has 3 samples (default 20)")
    p.add_argument("--modes", default="forward,train", help="forward, train or both (default)")
    p.add_argument("--engines", default="convlayers,torch_nchw,torch_cl", help="in-process engines to run")
    p.add_argument("--peers", default="tensorflow,jax", help="peer engines, in their own processes ('' for none)")
    p.add_argument("--no-peers", action="store_true", help="same as --peers ''")
    p.add_argument("--peer-python", default=str(DEFAULT_PYTHON), help="interpreter with the peers installed (make bench-peers)")
    p.add_argument("--threads", type=int, default=os.cpu_count(), help="threads per engine (default: all cores)")
    p.add_argument("--quiet-wait", type=float, default=20.0, help="seconds to wait for other processes to go quiet before each mode (0: don't)")
    p.add_argument("--nominal-peak", type=float, help="the machine's FP32 peak in GFLOP/s, if known, to report against")
    p.add_argument("--no-overhead", action="store_true", help="skip the per-call overhead table (bench/overhead.py)")
    p.add_argument("--no-mixed", action="store_true", help="skip the mixed_bfloat16 against float32 table (bench/mixed.py)")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where the torch engines and JAX run "
                   "(default cpu); on cuda, CUDA events time each call and float32 runs in full float32")
    p.add_argument("--batch", type=_positive_int, help="batch size of every workload (default: each workload's own)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--fit", action="store_true", help="only the whole-model table: the demo's CNN trained with fit, eager, "
                   "jit_compile and the Keras 3 peers (bench/fit.py)")
    p.add_argument("--fit-batches", default="32,256", help="batch sizes of --fit (default 32,256)")
    p.add_argument("--fit-warm", type=int, default=2, help="--fit: epochs before the timed ones (default 2)")
    p.add_argument("--fit-timed", type=int, default=3, help="--fit: timed epochs (default 3)")
    p.add_argument("--out", default=str(RESULTS), help="where to save the JSON and Markdown (default bench/results)")
    return p.parse_args(argv)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; received {text}")
    return value


def cuda_refusal(device: str, cuda_available: bool, torch_version: str) -> str | None:
    """The one line ``--device cuda`` exits with where torch sees no CUDA device, else ``None``.

    >>> cuda_refusal("cuda", False, "2.13.0+cpu")
    'python -m bench: --device cuda needs a CUDA device, and torch 2.13.0+cpu sees none (torch.cuda.is_available() is False).'
    >>> cuda_refusal("cuda", True, "2.13.0"), cuda_refusal("cpu", False, "2.13.0")
    (None, None)
    """
    if device == "cuda" and not cuda_available:
        return (f"python -m bench: --device cuda needs a CUDA device, and torch {torch_version} sees none "
                "(torch.cuda.is_available() is False).")
    return None


def with_batch(workloads: list[Workload], batch: int | None) -> list[Workload]:
    """The workloads with ``batch`` examples each (``None``: as defined).

    >>> [w.batch for w in with_batch(select("1x1,conv3d"), 64)], [w.batch for w in with_batch(select("conv3d"), None)]
    ([64, 64], [4])
    """
    return workloads if batch is None else [dataclasses.replace(w, batch=batch) for w in workloads]


def _relative_error(value: np.ndarray, reference: np.ndarray) -> float:
    if value.shape != reference.shape:
        return float("inf")
    return float(np.abs(value.astype(np.float64) - reference).max() / max(np.abs(reference).max(), 1e-30))


def run_workload(w: Workload, args: argparse.Namespace, engines: dict, peers: dict, scratch: Path) -> dict:
    from .engines_torch import Unavailable

    time_one = timer(args.device)
    arrays = w.data(args.seed)
    data = scratch / "data.npz"
    np.savez(data, **arrays)
    item = {"name": w.name, "description": w.describe(), "workload": w.to_json(), "flops": w.flops,
            "train_flops": w.train_flops, "engines": {}, "skipped": {}, "foreign_load": {}}
    runners: dict[str, Callable[[str, int, float], list[float]]] = {}
    results: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, prepare in engines.items():
        try:
            prepared = prepare(w, arrays)
        except Unavailable as why:
            item["skipped"][name] = str(why)
            continue
        entry = item["engines"][name] = {}
        for mode in report.MODES:
            entry[f"first_{mode}_ms"] = time_one(getattr(prepared, mode)) * 1e3
        results[name] = (prepared.result(False), prepared.result(True))
        runners[name] = lambda mode, calls, warm, p=prepared: turn(getattr(p, mode), calls, warm, time_one)
    for name, peer in peers.items():
        try:
            reply = peer.request(cmd="setup", workload=w.to_json(), data=str(data), out=str(scratch))
        except PeerError as why:
            item["skipped"][name] = str(why).splitlines()[0][:300]
            continue
        item["engines"][name] = {"first_forward_ms": reply["first_ms"]["forward"],
                                 "first_train_ms": reply["first_ms"]["train"], "info": reply["info"]}
        results[name] = (np.load(reply["result"]["forward"]), np.load(reply["result"]["train"]))
        runners[name] = lambda mode, calls, warm, peer=peer: peer.request(cmd="time", mode=mode, calls=calls, warm=warm)["seconds"]

    reference = results.get("convlayers") or next(iter(results.values()), None)
    for name, (y, grad) in results.items():
        item["engines"][name]["error_forward"] = _relative_error(y, reference[0])
        item["engines"][name]["error_train"] = _relative_error(grad, reference[1])

    names = list(runners)
    for mode in args.modes:
        if args.quiet_wait:
            wait_for_quiet(timeout=args.quiet_wait)
        load = Load()
        peer_cpu = sum(p.cpu for p in peers.values())
        load.start()
        samples: dict[str, list[float]] = {n: [] for n in names}
        for r in range(args.rounds):
            for name in names[r % len(names):] + names[: r % len(names)]:  # rotate: no engine always goes first
                if name in item["skipped"] or (len(samples[name]) >= 3 and sum(samples[name]) > args.budget):
                    continue
                try:
                    samples[name] += runners[name](mode, args.calls, args.warm)
                except PeerError as why:
                    item["skipped"][name] = f"failed while timing {mode}: {why}"
        load.add_own(sum(p.cpu for p in peers.values()) - peer_cpu)
        item["foreign_load"][mode] = load.stop()
        for name in names:
            if not samples[name]:
                continue
            item["engines"][name][f"{mode}_ms"] = median_ms(samples[name])
            item["engines"][name][f"{mode}_samples_ms"] = [round(s * 1e3, 4) for s in samples[name]]
    return item


def progress(item: dict, modes: list[str]) -> str:
    cells = []
    for name, e in item["engines"].items():
        cells.append(f"{name} " + "/".join(f"{e[f'{m}_ms']:.2f}" for m in modes if f"{m}_ms" in e))
    load = "/".join(f"{item['foreign_load'][m]:.0%}" for m in modes if m in item["foreign_load"])
    return f"{item['name']:26s} ms {'/'.join(modes)}: " + ", ".join(cells) + f"  [foreign load {load}]"


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.fit:
        from . import fit

        return fit.main(args)
    args.modes = [m for m in args.modes.split(",") if m]
    workloads = with_batch(select(args.filter), args.batch)
    if not workloads:
        print(f"no workload matches {args.filter!r}", file=sys.stderr)
        return 2
    import torch

    refusal = cuda_refusal(args.device, torch.cuda.is_available(), torch.__version__)
    if refusal:
        print(refusal, file=sys.stderr)
        return 2

    import convlayers

    from .engines_torch import ENGINES, gemm_gflops, warm_up

    torch.set_num_threads(args.threads)
    warm_up(args.device)
    engines = {n: functools.partial(ENGINES[n], device=args.device) for n in args.engines.split(",") if n}
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    peer_names = [] if args.no_peers else [n for n in args.peers.split(",") if n]
    peers, peer_skips = start_peers(peer_names, args.peer_python, out / f"peers-{stamp}.log", args.threads, args.device)
    notes = [f"peer {n} not run: {why}" for n, why in peer_skips.items()]
    gpu = f"{torch.cuda.get_device_name()} (float32 in full float32, no TF32); " if args.device == "cuda" else ""
    machine = "; ".join([
        f"{gpu}{_cpu_name()}, {os.cpu_count()} cores, {args.threads} threads per engine",
        ", ".join([f"python {platform.python_version()}", f"torch {torch.__version__}",
                   f"convlayers {convlayers.__version__}"] + [p.version for p in peers.values()]),
    ])
    print(machine)
    for line in notes:
        print(line)
    if args.quiet_wait:
        wait_for_quiet(timeout=args.quiet_wait)
    run = {"stamp": stamp, "machine": machine, "args": {k: v for k, v in vars(args).items()},
           "engines": list(engines) + list(peers), "workloads": [], "notes": notes,
           "peak": {"gemm_gflops": gemm_gflops(device=args.device), "nominal_gflops": args.nominal_peak}}
    print(f"FP32 GEMM: {run['peak']['gemm_gflops']:.0f} GFLOP/s")
    try:
        with tempfile.TemporaryDirectory(prefix="convlayers-bench-") as scratch:
            for w in workloads:
                item = run_workload(w, args, engines, peers, Path(scratch))
                run["workloads"].append(item)
                print(progress(item, args.modes), flush=True)
                for name, why in item["skipped"].items():
                    print(f"  skipped {name}: {why}")
    finally:
        for peer in peers.values():
            peer.close()
    if not args.no_overhead:
        from . import overhead

        run["overhead"] = overhead.measure(device=args.device)
    if not args.no_mixed:
        from . import mixed

        units = mixed.gpu_units() if args.device == "cuda" else mixed.cpu_units()
        rows = mixed.measure(workloads, seed=args.seed, device=args.device, time_one=timer(args.device))
        run["mixed"] = {"units": units, "rows": rows}
    # A GEMM at the start and at the end: the faster one is the less disturbed.
    run["peak"]["gemm_gflops"] = max(run["peak"]["gemm_gflops"], gemm_gflops(device=args.device))
    print()
    print(report.sections(run, report.text))
    paths = report.save(run, out)
    print(f"\nsaved {paths[0]} and {paths[1]}")
    return 0
