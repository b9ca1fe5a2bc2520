"""The convlayers file: a safetensors file whose metadata says it is ours.

One file holds the tensors (a model's ``state_dict``) and, in the safetensors
metadata, a small header: the format name, its version, what the file contains
(``"model"``: architecture and weights; ``"weights"``: weights only) and, for a
model, the JSON architecture. Writing is atomic (:mod:`.atomic`).

Reading trusts nothing: :func:`open_file` reads only the header, bounded, and checks
every tensor entry (a known dtype, a shape whose size matches its byte range, ranges
inside the file that do not overlap) before a byte of data is read, so the caller can
compare the entries with its model first; :meth:`StoredFile.read` then reads exactly
those bytes and refuses NaN and infinity. Every failure names the file and the reason.
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import safetensors.torch
import torch

from .architecture import short
from .atomic import writable_target, write_atomically
from .limits import MAX_HEADER_BYTES, parse_json

PathLike = Union[str, "os.PathLike[str]"]

FORMAT = "convlayers"
VERSION = 1
CONTENTS = ("model", "weights")
_HEADER_SIZE_BYTES = 8  # safetensors starts with the header's length, a little-endian u64
_VERSION = re.compile(r"[0-9]{1,9}")
#: safetensors dtype names -> torch dtypes (those a convlayers state can hold).
_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}
_MAX_RANK = 32
_FINITE_BLOCK = 2**20


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

    >>> import tempfile, torch
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = write_file(f"{d}/w.safetensors", {"w": torch.ones(2)}, {"contents": "weights"})
    ...     open_file(path, "weights").contents
    'weights'
    """
    as_path(path)  # a TypeError for what is not a path
    target = writable_target(path)  # the path as given: a trailing "/" names a directory
    metadata = {"format": FORMAT, "format_version": str(VERSION)}
    metadata.update({key: value if isinstance(value, str) else json.dumps(value) for key, value in header.items()})
    return write_atomically(target, safetensors.torch.save(tensors, metadata))


@dataclass(frozen=True)
class TensorEntry:
    """One tensor as the header declares it: dtype, shape, and its byte range in the data."""

    dtype: torch.dtype
    shape: tuple[int, ...]
    begin: int
    end: int


@dataclass(frozen=True)
class StoredFile:
    """A convlayers file whose header has been read and checked; its tensors are not read yet."""

    path: Path
    what: str
    contents: str
    architecture: str | None  # the model's JSON architecture, unparsed
    entries: dict[str, TensorEntry]
    data_start: int

    def read(self) -> dict[str, torch.Tensor]:
        """Every tensor, read from its byte range; a :class:`ModelFileError` if the file changed or holds NaN/inf."""
        tensors = {}
        with self.path.open("rb") as handle:
            for name, entry in sorted(self.entries.items(), key=lambda item: item[1].begin):
                raw = torch.empty(entry.end - entry.begin, dtype=torch.uint8)
                handle.seek(self.data_start + entry.begin)
                if handle.readinto(raw.numpy()) != raw.numel():
                    raise ModelFileError(self.path, self.what, f"the tensor data is corrupt or truncated: {name!r} ends early.")
                tensor = raw.view(entry.dtype).reshape(entry.shape)
                if tensor.is_floating_point() and not _all_finite(tensor):
                    raise ModelFileError(self.path, self.what, f"the tensor {name!r} holds NaN or infinity.")
                tensors[name] = tensor
        return tensors


def existing_file(path: PathLike, what: str) -> Path:
    """``path`` as a ``Path`` to a file that exists: else ``FileNotFoundError``, or a :class:`ModelFileError` for a directory.

    >>> existing_file("no/such/file.onnx", "an ONNX model")
    Traceback (most recent call last):
    ...
    FileNotFoundError: Cannot load an ONNX model from 'no/such/file.onnx': no such file.
    """
    source = as_path(path)
    if not source.exists():
        raise FileNotFoundError(f"Cannot load {what} from '{source}': no such file.")
    if source.is_dir():
        raise ModelFileError(source, what, "it is a directory, not a file.")
    return source


def open_file(path: PathLike, what: str) -> StoredFile:
    """Read and check the header of a convlayers file; no tensor data is read.

    ``what`` names what the caller loads (``"a model"``, ``"weights"``) in error
    messages. Raises ``FileNotFoundError`` for a missing file and
    :class:`ModelFileError` for one that is empty, truncated, corrupt, not
    safetensors, or not written by convlayers.

    >>> open_file("no/such/file.safetensors", "a model")
    Traceback (most recent call last):
    ...
    FileNotFoundError: Cannot load a model from 'no/such/file.safetensors': no such file.
    """
    source = existing_file(path, what)
    size = source.stat().st_size
    if size == 0:
        raise ModelFileError(source, what, "the file is empty (0 bytes).")
    not_ours = "it is not a safetensors file, or it is truncated"
    if size < _HEADER_SIZE_BYTES:
        raise ModelFileError(source, what, f"{not_ours}: {size} bytes is too short for a safetensors header.")
    with source.open("rb") as handle:
        (header_size,) = struct.unpack("<Q", handle.read(_HEADER_SIZE_BYTES))
        available = size - _HEADER_SIZE_BYTES
        if header_size > available:
            raise ModelFileError(source, what, f"{not_ours}: the header claims {header_size} bytes but only {available} follow.")
        if header_size > MAX_HEADER_BYTES:
            raise ModelFileError(source, what, f"its header has {header_size} bytes; at most {MAX_HEADER_BYTES} are read.")
        text = handle.read(header_size)
    try:
        header = parse_json(text, "its header", max_bytes=MAX_HEADER_BYTES)
    except ValueError as error:
        raise ModelFileError(source, what, f"{not_ours}: {error}") from None
    if not isinstance(header, dict):
        raise ModelFileError(source, what, f"{not_ours}: its header is not a JSON object.")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(value, str) for value in metadata.values()):
        raise ModelFileError(source, what, "its `__metadata__` is not a dict of strings.")
    contents = _check_metadata(metadata, source, what)
    data_size = available - header_size
    try:
        entries = {name: _entry(name, spec, data_size) for name, spec in header.items()}
        _check_no_overlap(entries)
    except ValueError as error:
        raise ModelFileError(source, what, str(error)) from None
    return StoredFile(source, what, contents, metadata.get("model"), entries, _HEADER_SIZE_BYTES + header_size)


def _check_metadata(metadata: dict[str, str], source: Path, what: str) -> str:
    """Check the format name, version and contents; return the contents."""
    if metadata.get("format") != FORMAT:
        raise ModelFileError(
            source,
            what,
            f"it is a safetensors file but was not written by convlayers (its metadata has "
            f"format={metadata.get('format')!r}, expected {FORMAT!r}).",
        )
    version = metadata.get("format_version", "")
    if not _VERSION.fullmatch(version) or int(version) > VERSION:
        shown = version if len(version) <= 20 else f"{version[:20]}... ({len(version)} characters)"
        raise ModelFileError(
            source,
            what,
            f"it has format_version={shown!r}; this convlayers reads versions up to {VERSION}. "
            f"Upgrade convlayers to read it.",
        )
    contents = metadata.get("contents")
    if contents not in CONTENTS:
        raise ModelFileError(source, what, f"its metadata has contents={contents!r}, expected one of {list(CONTENTS)}.")
    return contents


def _entry(name: str, spec: Any, data_size: int) -> TensorEntry:
    """A header entry, checked: a known dtype, a shape, and a byte range of exactly that size inside the data."""
    tensor = f"the tensor {short(name)}"
    if not isinstance(spec, dict) or set(spec) != {"dtype", "shape", "data_offsets"}:
        raise ValueError(f"{tensor} has the header entry {short(spec)}; expected keys dtype, shape and data_offsets.")
    dtype, shape, offsets = spec["dtype"], spec["shape"], spec["data_offsets"]
    if dtype not in _DTYPES:
        raise ValueError(f"{tensor} has dtype {short(dtype)}, expected one of {sorted(_DTYPES)}.")
    if not _ints(shape) or len(shape) > _MAX_RANK:
        raise ValueError(f"{tensor} has shape {short(shape)}, expected a list of at most {_MAX_RANK} non-negative ints.")
    if not _ints(offsets) or len(offsets) != 2 or offsets[0] > offsets[1]:
        raise ValueError(f"{tensor} has data_offsets {short(offsets)}, expected [begin, end] with begin <= end.")
    begin, end = offsets
    size = math.prod(shape) * _DTYPES[dtype].itemsize
    if end - begin != size:
        raise ValueError(f"{tensor} of dtype {dtype} and shape {tuple(shape)} needs {size} bytes, but its data_offsets give {end - begin}.")
    if end > data_size:
        raise ValueError(f"the tensor data is corrupt or truncated: {tensor} ends at byte {end} of the data, which has {data_size} bytes.")
    return TensorEntry(_DTYPES[dtype], tuple(shape), begin, end)


def _ints(values: Any) -> bool:
    return isinstance(values, list) and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values)


def _check_no_overlap(entries: dict[str, TensorEntry]) -> None:
    ranges = sorted((entry.begin, entry.end, name) for name, entry in entries.items())
    for (_, end, first), (begin, _, second) in zip(ranges, ranges[1:]):
        if begin < end:
            raise ValueError(f"the tensors {first!r} and {second!r} overlap in the file's data.")


def _all_finite(tensor: torch.Tensor) -> bool:
    flat = tensor.reshape(-1)
    return all(bool(torch.isfinite(flat[start : start + _FINITE_BLOCK]).all()) for start in range(0, flat.numel(), _FINITE_BLOCK))
