"""The convlayers file: a safetensors file whose metadata says it is ours.

One file holds the tensors (a model's ``state_dict``) and, in the safetensors
metadata, a small header: the format name, its version, what the file contains
(``"model"``: architecture and weights; ``"weights"``: weights only) and, for a
model, the JSON architecture. Writing is atomic; reading validates the whole
file and explains, naming the file, why it cannot be used.
"""

from __future__ import annotations

import json
import os
import secrets
import struct
from pathlib import Path
from typing import Any, Union

import safetensors
import safetensors.torch
import torch

PathLike = Union[str, "os.PathLike[str]"]

FORMAT = "convlayers"
VERSION = 1
CONTENTS = ("model", "weights")
_HEADER_SIZE_BYTES = 8  # safetensors starts with the header's length, a little-endian u64


class ModelFileError(ValueError):
    """A file exists but cannot be loaded: truncated, corrupt, foreign, or for another architecture."""

    def __init__(self, path: Path, what: str, reason: str) -> None:
        super().__init__(f"Cannot load {what} from '{path}': {reason}")
        self.path, self.what, self.reason = path, what, reason

    def __reduce__(self) -> tuple[type, tuple[Path, str, str]]:
        # Rebuild from the three parts, not from ``args`` (the message), e.g. across processes.
        return type(self), (self.path, self.what, self.reason)


def as_path(path: Any, argument: str = "path") -> Path:
    """``path`` as a :class:`~pathlib.Path`; a ``TypeError`` for anything not path-like.

    >>> as_path("model.safetensors").name
    'model.safetensors'
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"`{argument}` must be a str or os.PathLike. Received {argument}={path!r} of type {type(path).__name__}.")
    return Path(path)


def write_file(path: PathLike, tensors: dict[str, torch.Tensor], header: dict[str, Any]) -> Path:
    """Write ``tensors`` and ``header`` to ``path`` atomically; return the path.

    The bytes go to a fresh temporary file in the same directory, which then
    replaces ``path`` in one ``os.replace``: a reader never sees a half-written
    file, and a failed save leaves any previous file untouched.

    >>> import tempfile, torch
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = write_file(f"{d}/w.safetensors", {"w": torch.ones(2)}, {"contents": "weights"})
    ...     read_file(path, "weights")[1]["contents"]
    'weights'
    """
    target = as_path(path)
    if not target.parent.is_dir():
        raise FileNotFoundError(f"Cannot save to '{target}': the directory '{target.parent}' does not exist.")
    metadata = {"format": FORMAT, "format_version": str(VERSION)}
    metadata.update({key: value if isinstance(value, str) else json.dumps(value) for key, value in header.items()})
    data = safetensors.torch.save(tensors, metadata)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    # O_EXCL: never clobber a stranger's file; mode 0o666 lets the umask decide permissions.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def read_file(path: PathLike, what: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read and validate a convlayers file: ``(tensors, header)``.

    ``what`` names what the caller loads (``"a model"``, ``"weights"``) in error
    messages. Raises ``FileNotFoundError`` for a missing file and
    :class:`ModelFileError` for one that is empty, truncated, corrupt, not
    safetensors, or not written by convlayers.

    >>> read_file("no/such/file.safetensors", "a model")
    Traceback (most recent call last):
    ...
    FileNotFoundError: Cannot load a model from 'no/such/file.safetensors': no such file.
    """
    source = as_path(path)
    if not source.exists():
        raise FileNotFoundError(f"Cannot load {what} from '{source}': no such file.")
    if source.is_dir():
        raise ModelFileError(source, what, "it is a directory, not a file.")
    data = source.read_bytes()
    metadata = _safetensors_metadata(data, source, what)
    header = _our_header(metadata, source, what)
    try:
        tensors = safetensors.torch.load(data)
    except safetensors.SafetensorError as error:
        raise ModelFileError(source, what, f"the tensor data is corrupt or truncated ({error}).") from error
    return tensors, header


def _safetensors_metadata(data: bytes, source: Path, what: str) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors header, checking the header's framing first."""
    if not data:
        raise ModelFileError(source, what, "the file is empty (0 bytes).")
    not_ours = "it is not a safetensors file, or it is truncated"
    if len(data) < _HEADER_SIZE_BYTES:
        raise ModelFileError(source, what, f"{not_ours}: {len(data)} bytes is too short for a safetensors header.")
    (header_size,) = struct.unpack("<Q", data[:_HEADER_SIZE_BYTES])
    available = len(data) - _HEADER_SIZE_BYTES
    if header_size > available:
        raise ModelFileError(
            source, what, f"{not_ours}: the header claims {header_size} bytes but only {available} follow."
        )
    try:
        header = json.loads(data[_HEADER_SIZE_BYTES : _HEADER_SIZE_BYTES + header_size])
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(source, what, f"{not_ours}: its header is not valid JSON ({error}).") from error
    if not isinstance(header, dict):
        raise ModelFileError(source, what, f"{not_ours}: its header is not a JSON object.")
    metadata = header.get("__metadata__") or {}
    return metadata if isinstance(metadata, dict) else {}


def _our_header(metadata: dict[str, str], source: Path, what: str) -> dict[str, Any]:
    """Check the format name and version and decode our header entries."""
    if metadata.get("format") != FORMAT:
        raise ModelFileError(
            source,
            what,
            f"it is a safetensors file but was not written by convlayers (its metadata has "
            f"format={metadata.get('format')!r}, expected {FORMAT!r}).",
        )
    version = metadata.get("format_version", "")
    if not version.isdigit() or int(version) > VERSION:
        raise ModelFileError(
            source,
            what,
            f"it has format_version={version!r}; this convlayers reads versions up to {VERSION}. "
            f"Upgrade convlayers to read it.",
        )
    contents = metadata.get("contents")
    if contents not in CONTENTS:
        raise ModelFileError(source, what, f"its metadata has contents={contents!r}, expected one of {list(CONTENTS)}.")
    header: dict[str, Any] = {"contents": contents}
    if "model" in metadata:
        try:
            header["model"] = json.loads(metadata["model"])
        except json.JSONDecodeError as error:
            raise ModelFileError(source, what, f"its architecture (JSON) is corrupt ({error}).") from error
    return header
