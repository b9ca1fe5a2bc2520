"""Run a reader of untrusted bytes in a forked child, so that a crash in C is an error, not the end.

h5py wraps the HDF5 C library, which trusts the files it opens: a few mutated bytes in an
``.h5`` file can make it read out of bounds and kill the interpreter with SIGSEGV (about one
random mutation in two hundred does, with h5py 3.16). No check in Python can rule that out
before HDF5 parses the file, so the parsing happens in a child made with ``fork``: it
inherits the parent's memory (the imported h5py, the bytes to read), so it starts in
milliseconds, runs the reader, and sends back plain JSON over a pipe (bulk data goes through
a shared memory map its caller prepares). A child that dies by a signal, runs out of its
memory allowance or time, becomes a ``ValueError`` saying so, and the caller's process goes
on. Where ``fork`` does not exist (Windows) the reader runs in-process: same checks, no
crash protection.

Cost, measured on a 2-core machine with torch imported (a 220 MB parent): a child's round
trip (fork, run, JSON back, exit) takes about 17 ms. A Keras load uses two (index, then
data), so loading one of the test corpus's small files takes about 60 ms instead of 22 ms
in-process; for large files the reading itself dominates, and is the same either way. That
is the price of a load that cannot take the interpreter down, which we judge worth paying.
"""

from __future__ import annotations

import faulthandler
import json
import os
import select
import signal
import time
import warnings
from typing import Any, Callable

try:
    import resource  # imported here, not in the child, where each import would cost every fork
except ImportError:  # Windows: no fork either
    resource = None  # type: ignore[assignment]

#: The largest result a child may send (the index of a file, its ``model_config`` included).
MAX_RESULT_BYTES = 256 * 2**20
_CHUNK = 2**20


def guarded(task: Callable[[], Any], reader: str) -> Any:
    """``task()``, with every failure of a library parsing untrusted bytes turned into a ``ValueError``.

    ``ValueError``s (the reader's own refusals) pass unchanged; anything else the library
    raises (``OSError``, ``KeyError``, ``RuntimeError``... the set is open) is named.

    >>> guarded(lambda: {}["key"], "h5py")
    Traceback (most recent call last):
    ...
    ValueError: h5py could not read it (KeyError: 'key').
    """
    try:
        return task()
    except ValueError:
        raise
    except MemoryError:
        raise ValueError(f"{reader} ran out of memory reading it.") from None
    except RecursionError:
        raise ValueError(f"{reader} could not read it: its structure nests too deep.") from None
    except Exception as error:  # the boundary to a C library on hostile bytes: any failure is the file's
        raise ValueError(f"{reader} could not read it ({type(error).__name__}: {error}).") from None


def run_isolated(task: Callable[[], Any], *, reader: str, timeout: float, memory: int) -> Any:
    """``task()``'s JSON-serialisable result, computed in a forked child where ``fork`` exists.

    The child may use at most ``memory`` bytes of address space more than it inherits and
    ``timeout`` seconds. Raises ``ValueError`` with the task's own message when it fails, or
    saying that ``reader`` crashed (the signal), ran out of memory or time.

    >>> run_isolated(lambda: {"sum": 1 + 2}, reader="arithmetic", timeout=10, memory=2**26)
    {'sum': 3}
    >>> import os, signal
    >>> run_isolated(lambda: os.kill(os.getpid(), signal.SIGSEGV), reader="h5py", timeout=10, memory=2**26)
    Traceback (most recent call last):
    ...
    ValueError: h5py crashed reading it (signal 11, SIGSEGV); the file is corrupt.
    """
    if not hasattr(os, "fork"):
        return guarded(task, reader)
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a threaded process may deadlock the child. The child
        # only runs the reader and exits; a deadlock would end in the timeout below.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's stack
        status = 1
        try:
            os.close(read_end)
            # The parent reports the crash; a traceback dumped from the child would only be noise.
            faulthandler.disable()
            _limit_address_space(memory)
            try:
                message = {"result": guarded(task, reader)}
            except ValueError as error:
                message = {"error": str(error)}
            _write_all(write_end, json.dumps(message).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        data = _read_all(read_end, timeout, reader)
    except BaseException:  # past the time or size allowed, or interrupted: the child goes too
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    finally:
        os.close(read_end)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        raise ValueError(f"{reader} crashed reading it (signal {number}, {_signal_name(number)}); the file is corrupt.")
    if not data or os.WEXITSTATUS(status) != 0:
        raise ValueError(f"{reader} failed reading it (its process exited with status {os.WEXITSTATUS(status)}).")
    message = json.loads(data)
    if "error" in message:
        raise ValueError(message["error"])
    return message["result"]


def _read_all(descriptor: int, timeout: float, reader: str) -> bytes:
    """Everything the child writes, until it closes the pipe; a ``ValueError`` past ``timeout`` or the size cap."""
    deadline = time.monotonic() + timeout
    chunks, size = [], 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([descriptor], [], [], remaining)[0]:
            raise ValueError(f"{reader} did not finish reading it within {timeout:.0f} s.")
        chunk = os.read(descriptor, _CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_RESULT_BYTES:
            raise ValueError(f"{reader} sent more than {MAX_RESULT_BYTES} bytes describing it.")


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view[:_CHUNK]) :]


def _limit_address_space(memory: int) -> None:
    """Cap the child's address space at what it inherited plus ``memory`` (Linux; elsewhere no cap)."""
    try:
        with open("/proc/self/statm") as handle:
            inherited = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = inherited + memory
        if soft != resource.RLIM_INFINITY:
            limit = min(limit, soft)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (AttributeError, OSError, ValueError):
        pass  # no /proc or no RLIMIT_AS: the child runs without a cap, as in-process reading would


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown signal"
