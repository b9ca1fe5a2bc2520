"""Atomic file writes that leave nothing behind, even when the writer is killed.

A save must replace the target in one step (a reader never sees half a file; a failed save
keeps the old one) and must not litter the directory. On Linux the bytes go to an unnamed
file (``O_TMPFILE``) that gets a name only once complete, through ``/proc/self/fd``, and is
then renamed over the target: a process killed while writing leaves nothing, because the
file never had a name. Elsewhere (or on file systems without ``O_TMPFILE``) a named hidden
temporary file is used, whose name records the writer's host and process id; each save
removes the temporary files of writers on this host that are no longer running. Errors
name the target the caller gave, never the temporary file.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     write_atomically(writable_target(f"{d}/m.bin"), b"bytes").read_bytes()
b'bytes'
>>> writable_target("models/")
Traceback (most recent call last):
...
IsADirectoryError: Cannot save to 'models/': it names a directory. Give a file path, such as 'models/model.safetensors'.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import socket
from pathlib import Path
from typing import Any

#: Where O_TMPFILE is unsupported, open() fails with one of these (by kernel and file system).
_NO_TMPFILE = {errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT}
_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:64] or "host"
_STEM_BYTES = 100


def writable_target(path: Any) -> Path:
    """``path`` as the file a save will write, refused when it names a directory or its directory is missing."""
    text = os.fspath(path)
    target = Path(text)
    try:
        is_directory, has_directory = target.is_dir(), target.parent.is_dir()
    except OSError as error:  # e.g. a name too long
        raise _naming(error, target) from error
    if text.endswith(("/", os.sep)) or is_directory:
        raise IsADirectoryError(
            f"Cannot save to '{text}': it names a directory. Give a file path, such as "
            f"'{os.path.join(text, 'model.safetensors')}'."
        )
    if not has_directory:
        raise FileNotFoundError(f"Cannot save to '{target}': the directory '{target.parent}' does not exist.")
    return target


def write_atomically(target: Path, data: bytes) -> Path:
    """Replace ``target`` with a file holding ``data``, atomically; return ``target``.

    Raises the ``OSError`` of the failing step, its message naming ``target``.
    """
    try:
        _remove_stale(target)
        if not _write_unnamed(target, data):
            _write_named(target, data)
    except OSError as error:
        raise _naming(error, target) from error
    return target


def _naming(error: OSError, target: Path) -> OSError:
    """``error`` (same type and errno) with a message naming ``target`` instead of whatever file failed."""
    message = f"Cannot save to '{target}': {error.strerror or error}"
    return type(error)(error.errno, message) if error.errno is not None else type(error)(message)


def _write_unnamed(target: Path, data: bytes) -> bool:
    """Write through an O_TMPFILE file; ``False`` where the system cannot (the caller then uses a named file)."""
    if not hasattr(os, "O_TMPFILE"):
        return False
    directory = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            # Mode 0o666: the umask decides the permissions, as for any new file.
            descriptor = os.open(target.parent, os.O_TMPFILE | os.O_WRONLY, 0o666)
        except OSError as error:
            if error.errno in _NO_TMPFILE:
                return False
            raise
        temporary = target.with_name(_temporary_name(target))
        try:
            _write_all(descriptor, data)
            try:
                # A plain os.link would link the /proc symlink itself; dst_dir_fd makes it linkat(AT_SYMLINK_FOLLOW).
                os.link(f"/proc/self/fd/{descriptor}", temporary.name, dst_dir_fd=directory, follow_symlinks=True)
            except FileNotFoundError:  # no /proc
                return False
        finally:
            os.close(descriptor)
        try:
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        os.fsync(directory)
        return True
    finally:
        os.close(directory)


def _write_named(target: Path, data: bytes) -> None:
    temporary = target.with_name(_temporary_name(target))
    # O_EXCL: never clobber a stranger's file.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        try:
            _write_all(descriptor, data)
        finally:
            os.close(descriptor)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]
    os.fsync(descriptor)


def _temporary_name(target: Path) -> str:
    return f".{_stem(target)}.{_HOST}.{os.getpid()}.{secrets.token_hex(4)}.tmp"


def _stem(target: Path) -> str:
    # Cut, so that a target name near the file system's 255-byte limit still has a temporary name.
    return os.fsdecode(os.fsencode(target.name)[:_STEM_BYTES])


def _remove_stale(target: Path) -> None:
    """Delete temporary files of ``target`` left by writers on this host that are no longer running."""
    pattern = re.compile(rf"\.{re.escape(_stem(target))}\.{re.escape(_HOST)}\.(\d+)\.[0-9a-f]{{8}}\.tmp")
    with os.scandir(target.parent) as entries:
        stale = [entry.path for entry in entries if (match := pattern.fullmatch(entry.name)) and not _running(int(match[1]))]
    for path in stale:
        Path(path).unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # no such process; a pid too large to exist
        return False
    except PermissionError:  # another user's process
        return True
    return True
