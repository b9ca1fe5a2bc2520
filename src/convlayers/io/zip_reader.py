"""Members of an untrusted zip archive (a Keras ``.keras`` file), each read within a cap.

A zip member declares its uncompressed size, and a zip bomb declares gigabytes in a few
kilobytes. Each member is checked before it is opened (not encrypted, a compression the
standard library streams, a declared size within the caller's cap) and then read in
chunks, the cap enforced on the bytes actually produced, in case the declaration lies.

>>> import io, zipfile
>>> buffer = io.BytesIO()
>>> with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
...     archive.writestr("config.json", "{}")
...     archive.writestr("model.weights.h5", bytes(10_000_000))
>>> with open_archive(buffer) as archive:
...     read_member(archive, "config.json", cap=64)
...     read_member(archive, "model.weights.h5", cap=2**20)
Traceback (most recent call last):
...
ValueError: its member model.weights.h5 declares 10000000 bytes, more than the 1048576 this model can need.
"""

from __future__ import annotations

import zipfile
from contextlib import contextmanager
from typing import IO, Any, Iterator, Union

from .sandbox import guarded

#: The compressions the standard library reads as a stream.
_COMPRESSIONS = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
}
_CHUNK = 2**20


@contextmanager
def open_archive(source: Union[str, Any, IO[bytes]]) -> Iterator[zipfile.ZipFile]:
    """The archive at ``source`` (a path or a binary file); a ``ValueError`` if its directory cannot be read."""
    archive = _guarded_zip(lambda: zipfile.ZipFile(source))
    try:
        yield archive
    finally:
        archive.close()


def read_member(archive: zipfile.ZipFile, name: str, cap: int) -> bytes:
    """The bytes of member ``name``, refused unless they are plainly readable and at most ``cap``."""
    members = archive.namelist()
    if name not in members:
        raise ValueError(f"it is a zip archive without {name}, so it is not a Keras .keras file (it holds {members[:10]}).")
    info = archive.getinfo(name)
    if info.flag_bits & 0x1:
        raise ValueError(f"its member {name} is encrypted; Keras never encrypts, and convlayers reads no encrypted member.")
    if info.compress_type not in _COMPRESSIONS:
        raise ValueError(
            f"its member {name} uses zip compression method {info.compress_type}; readable methods are "
            f"{sorted(_COMPRESSIONS.values())}."
        )
    if info.file_size > cap:
        raise ValueError(f"its member {name} declares {info.file_size} bytes, more than the {cap} this model can need.")
    return _guarded_zip(lambda: _read_capped(archive, info, cap))


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    # zipfile stops at the declared size (and then fails the CRC); the cap does not rely on that.
    chunks, size = [], 0
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > cap:
                raise ValueError(f"its member {info.filename} inflates past {cap} bytes, more than it declares.")
            chunks.append(chunk)
    return b"".join(chunks)


def _guarded_zip(task: Any) -> Any:
    def named() -> Any:
        try:
            return task()
        except zipfile.BadZipFile as error:  # a bad CRC, a damaged header or directory
            raise ValueError(f"it is a damaged zip archive ({error}).") from None

    return guarded(named, "zipfile")
