"""Interleaved timing with medians, and a measure of how busy the rest of the machine was.

Timings on a shared CPU are noisy in one direction (another process steals a
core and torch's spinning threads stall), so every engine runs in interleaved
rounds and reports the median. :class:`Load` reads ``/proc`` to tell how much
CPU *other* processes used meanwhile, so a table says how far to trust it.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Callable

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _busy_ticks() -> int | None:
    """CPU ticks spent busy by the whole machine (``/proc/stat``), or ``None`` off Linux."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return sum(fields[:8]) - idle


def _own_ticks() -> int:
    """CPU ticks spent by this process and its waited-for children."""
    t = os.times()
    return round((t.user + t.system + t.children_user + t.children_system) * _TICK)


class Load:
    """Share of the machine's cores used by *other* processes between ``start`` and ``stop``.

    Peer processes that report their own CPU time through :meth:`add_own` are not
    counted as foreign.

    >>> load = Load(); load.start(); load.stop() >= 0.0
    True
    """

    def __init__(self) -> None:
        self.cores = os.cpu_count() or 1
        self._begin: tuple[int | None, int, float] | None = None
        self._extra = 0.0

    def start(self) -> None:
        self._begin = (_busy_ticks(), _own_ticks(), time.monotonic())
        self._extra = 0.0

    def add_own(self, cpu_seconds: float) -> None:
        self._extra += cpu_seconds

    def stop(self) -> float:
        busy0, own0, t0 = self._begin or (None, 0, 0.0)
        busy1, own1, t1 = _busy_ticks(), _own_ticks(), time.monotonic()
        if busy0 is None or busy1 is None or t1 <= t0:
            return 0.0
        foreign = (busy1 - busy0) - (own1 - own0) - self._extra * _TICK
        return max(foreign / _TICK / (t1 - t0) / self.cores, 0.0)


def wait_for_quiet(threshold: float = 0.15, window: float = 0.5, timeout: float = 20.0) -> float:
    """Wait (at most ``timeout`` s) until other processes use under ``threshold`` of the cores.

    Returns the foreign load of the last window observed.
    """
    deadline = time.monotonic() + timeout
    load = Load()
    while True:
        load.start()
        time.sleep(window)
        share = load.stop()
        if share < threshold or time.monotonic() > deadline:
            return share


def time_call(fn: Callable[[], object]) -> float:
    """Seconds taken by one call of ``fn``."""
    begin = time.perf_counter()
    fn()
    return time.perf_counter() - begin


def cuda_time_call(fn: Callable[[], object]) -> float:
    """Seconds the GPU took for the work one call of ``fn`` queued: CUDA events around it, then a wait for the end.

    Kernels run asynchronously, so the host's clock would time the launches only.
    The start event is recorded after everything queued before (earlier calls'
    kernels do not count); the time includes host gaps between the call's kernels,
    as a user's step would see them. torch is imported here only: the peer
    processes (TensorFlow, JAX) share this module and have no torch.
    """
    import torch

    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    fn()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / 1e3


def timer(device: str) -> Callable[[Callable[[], object]], float]:
    """How one call is timed on ``device``: the host clock on CPU, CUDA events on a GPU.

    >>> timer("cpu") is time_call, timer("cuda") is cuda_time_call
    (True, True)
    >>> timer("tpu")
    Traceback (most recent call last):
    ...
    ValueError: bench timing: no timer for device 'tpu'; expected 'cpu' or 'cuda'.
    """
    timers = {"cpu": time_call, "cuda": cuda_time_call}
    if device not in timers:
        raise ValueError(f"bench timing: no timer for device {device!r}; expected 'cpu' or 'cuda'.")
    return timers[device]


def turn(
    fn: Callable[[], object], calls: int, warm: float, time_one: Callable[[Callable[[], object]], float] = time_call
) -> list[float]:
    """One engine's turn in a round: untimed calls for ``warm`` seconds (at least one), then ``calls`` timed.

    An engine coming back from idle runs slow for a few calls (its thread pool
    parks, another engine's threads still spin, its data left the caches): TF
    measured 1.8x slower on its first call after a torch turn, 1.1x on its sixth.

    ``time_one`` times one call (:func:`timer`).

    >>> len(turn(lambda: None, calls=3, warm=0.0))
    3
    """
    deadline = time.perf_counter() + warm
    fn()
    while time.perf_counter() < deadline:
        fn()
    return [time_one(fn) for _ in range(calls)]


def median_ms(samples: list[float]) -> float:
    """The median of ``samples`` (seconds), in milliseconds.

    >>> median_ms([0.003, 0.001, 0.002])
    2.0
    """
    return statistics.median(samples) * 1e3


def interleave(fns: dict[str, Callable[[], object]], rounds: int, per_round: int = 1) -> dict[str, list[float]]:
    """Time every callable in turn, ``rounds`` times, ``per_round`` calls a turn; seconds per call.

    >>> out = interleave({"a": lambda: None, "b": lambda: None}, rounds=3)
    >>> sorted(out), len(out["a"])
    (['a', 'b'], 3)
    """
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            for _ in range(per_round):
                samples[name].append(time_call(fn))
    return samples
