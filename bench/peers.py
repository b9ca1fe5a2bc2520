"""The parent's side of a peer process (:mod:`bench.peer`): spawn, request, read the reply."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PYTHON = ROOT / ".venv-peers" / "bin" / "python"


class PeerError(RuntimeError):
    """The peer failed a request; the message is its error."""


class Peer:
    """A running ``python -m bench.peer NAME`` with its interpreter; its stderr goes to ``log``."""

    def __init__(self, name: str, python: str | os.PathLike, log: Path, threads: int, device: str = "cpu") -> None:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "OMP_NUM_THREADS": str(threads),
            # Same thread budget as torch; XLA's CPU client reads the Eigen pool size from here.
            "XLA_FLAGS": f"--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads={threads}",
            "TF_NUM_INTRAOP_THREADS": str(threads),
            # JAX on the benchmark's device; on a GPU it allocates as it goes, beside torch's own allocator.
            "JAX_PLATFORMS": "cuda" if device == "cuda" else "cpu",
            "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
        }
        self.name = name
        self._log = open(log, "a")
        self._proc = subprocess.Popen(
            [str(python), "-m", "bench.peer", name],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True, bufsize=1,
        )
        self.cpu = 0.0
        self.version = self._read()["ready"]

    def _read(self) -> dict:
        line = self._proc.stdout.readline()
        if not line:
            raise PeerError(f"{self.name} exited (code {self._proc.poll()}); see {self._log.name}")
        reply = json.loads(line)
        self.cpu += reply.get("cpu", 0.0)
        if "error" in reply:
            raise PeerError(reply["error"])
        return reply

    def request(self, **payload) -> dict:
        self._proc.stdin.write(json.dumps(payload) + "\n")
        return self._read()

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                self._proc.stdin.write('{"cmd": "quit"}\n')
                self._proc.stdin.flush()
                self._proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
        self._log.close()


#: Peers that run on a GPU (``make bench-peers`` installs tensorflow-cpu: no GPU peer).
GPU_PEERS = ("jax",)


def start_peers(
    names: list[str], python: str | os.PathLike, log: Path, threads: int, device: str = "cpu"
) -> tuple[dict[str, Peer], dict[str, str]]:
    """Start each peer that its interpreter can import (on ``device``); the others come back with the reason.

    >>> start_peers(["tensorflow"], "/nonexistent/python", Path("peers.log"), 1, "cuda")
    ({}, {'tensorflow': 'not a GPU peer here (tensorflow-cpu); the GPU peers are: jax'})
    """
    peers, skipped = {}, {}
    if device == "cuda":
        for name in [n for n in names if n not in GPU_PEERS]:
            skipped[name] = f"not a GPU peer here (tensorflow-cpu); the GPU peers are: {', '.join(GPU_PEERS)}"
        names = [n for n in names if n in GPU_PEERS]
    if not names:
        return peers, skipped
    if not Path(python).exists():
        return {}, {**skipped, **{n: f"no interpreter at {python} (run `make bench-peers`)" for n in names}}
    for name in names:
        try:
            peers[name] = Peer(name, python, log, threads, device)
        except (PeerError, OSError, json.JSONDecodeError) as err:
            skipped[name] = f"did not start: {err}"
    return peers, skipped
