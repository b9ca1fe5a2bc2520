"""ND4J's binary array format (``Nd4j.write`` / ``Nd4j.read``): DL4J's saved inputs, outputs and ``coefficients.bin``.

A file is two buffers, shape information then data, each written as

* a Java modified-UTF string (2-byte big-endian length, then the bytes): the allocation
  mode, ``HEAP``, ``JAVACPP`` or ``DIRECT`` (before 1.0.0-beta) or ``LONG_SHAPE`` /
  ``MIXED_DATA_TYPES`` (since);
* the number of values, a big-endian int32 for the first three modes, an int64 for the last two;
* a Java-UTF string naming the values' type (``FLOAT``, ``DOUBLE``, ``LONG``, ``INT``, ...);
* the values, big-endian.

The shape buffer holds ``[rank, *shape, *strides, extras, element-wise stride, order]``
(the order as its character code, ``99`` for ``'c'``, ``102`` for ``'f'``). Values are
placed by the stored strides, not by the order flag: DL4J writes some arrays (a permuted
output) with NHWC strides and the flag ``'c'``.

Reading trusts nothing: every length is checked against the bytes left before anything is
allocated, the array may not have more elements than the data buffer holds, and every
failure is an :class:`ND4JFileError` (a ``ValueError``) naming the file and the reason.
"""

from __future__ import annotations

import math
import os
import struct
from pathlib import Path
from typing import Any, Union

import numpy as np

from ..io.atomic import writable_target, write_atomically
from ..io.container import ModelFileError

__all__ = ["ND4JFileError", "ndarray_bytes", "read_ndarray", "write_ndarray"]

PathLike = Union[str, "os.PathLike[str]"]

#: Big-endian NumPy dtypes of ND4J's data types (BFLOAT16: raw 16-bit patterns, widened on reading).
_DTYPES = {
    "DOUBLE": ">f8", "FLOAT": ">f4", "HALF": ">f2", "BFLOAT16": ">u2",
    "LONG": ">i8", "INT": ">i4", "SHORT": ">i2", "BYTE": "i1",
    "UINT64": ">u8", "UINT32": ">u4", "UINT16": ">u2", "UBYTE": "u1", "BOOL": "u1",
}
#: ND4J's names of the NumPy dtypes written (the inverse of ``_DTYPES``, bfloat16 aside: NumPy has none).
_NAMES = {
    np.dtype("float64"): "DOUBLE", np.dtype("float32"): "FLOAT", np.dtype("float16"): "HALF",
    np.dtype("int64"): "LONG", np.dtype("int32"): "INT", np.dtype("int16"): "SHORT", np.dtype("int8"): "BYTE",
    np.dtype("uint64"): "UINT64", np.dtype("uint32"): "UINT32", np.dtype("uint16"): "UINT16",
    np.dtype("uint8"): "UBYTE", np.dtype("bool"): "BOOL",
}
#: The data-type bit of the shape buffer's ``extras`` (libnd4j ``ArrayOptions``), which ND4J reads the type from.
_TYPE_BITS = {
    "HALF": 4096, "BFLOAT16": 2048, "FLOAT": 8192, "DOUBLE": 16384, "INT": 131072, "LONG": 262144,
    "BOOL": 524288, "BYTE": 32768, "SHORT": 65536,
}
_UNSIGNED_BIT = 8388608
_UNSIGNED = {"UINT64": "LONG", "UINT32": "INT", "UINT16": "SHORT", "UBYTE": "BYTE"}
#: Modes whose lengths are int32; the others (LONG_SHAPE, MIXED_DATA_TYPES) write int64.
_INT32_MODES = ("HEAP", "JAVACPP", "DIRECT")
_MODES = _INT32_MODES + ("LONG_SHAPE", "MIXED_DATA_TYPES")
_ORDERS = {ord("c"): "c", ord("f"): "f"}
#: libnd4j's MAX_RANK; a larger claimed rank is not an ND4J array.
MAX_RANK = 32
_WHAT = "an ND4J array"


class ND4JFileError(ModelFileError):
    """An ND4J binary array that cannot be read: truncated, foreign, or inconsistent."""


def read_ndarray(source: PathLike | bytes, *, name: str | None = None) -> np.ndarray:
    """The array of an ND4J binary file (``Nd4j.write``), values placed by its stored strides.

    Args:
        source: a path, or the file's bytes (a zip member's, say).
        name: what errors call the source (default: the path, or ``'<bytes>'``).

    Returns:
        A NumPy array of the stored shape and dtype (``BFLOAT16`` widened to ``float32``),
        laid out in the stored order: Fortran-contiguous for ``'f'``, C-contiguous otherwise.

    Raises:
        ND4JFileError: the bytes are not a whole, consistent ND4J array (the message says why).

    >>> import numpy as np
    >>> data = ndarray_bytes(np.arange(6, dtype="float32").reshape(2, 3), order="f")
    >>> array = read_ndarray(data)
    >>> array, array.flags.f_contiguous
    (array([[0., 1., 2.],
           [3., 4., 5.]], dtype=float32), True)
    >>> read_ndarray(data[:-1], name="out.bin")
    Traceback (most recent call last):
    ...
    convlayers.dl4j.nd4j.ND4JFileError: Cannot load an ND4J array from 'out.bin': its data buffer claims 6 FLOAT values (24 bytes), but only 23 bytes follow.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _parse(bytes(source), name or "<bytes>")
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ND4JFileError(name or path, _WHAT, f"it cannot be read ({error.strerror or error}).") from None
    return _parse(data, name or path)


def ndarray_bytes(array: Any, *, order: str = "c") -> bytes:
    """``array`` in ND4J's binary format, as DL4J 1.0.0-beta and later write it.

    The modern form: both buffers in ``MIXED_DATA_TYPES`` mode (int64 lengths), the shape
    buffer as ``LONG`` values with the data type's bit in ``extras`` (where ND4J reads the
    type from), contiguous strides of ``order``, and element-wise stride 1.

    Args:
        array: array-like of a dtype ND4J has (float64/32/16, int64/32/16/8, uint64/32/16/8, bool), not empty.
        order: ``'c'`` (row-major, DL4J's default) or ``'f'`` (column-major).

    >>> ndarray_bytes(np.float32([1.5]))[:20]
    b'\\x00\\x10MIXED_DATA_TYPES\\x00\\x00'
    >>> ndarray_bytes(np.array(["a"]))
    Traceback (most recent call last):
    ...
    TypeError: ND4J has no data type for NumPy dtype <U1; supported: bool, float16, float32, float64, int16, int32, int64, int8, uint16, uint32, uint64, uint8.
    """
    array = np.asarray(array)
    if order not in ("c", "f"):
        raise ValueError(f"`order` must be 'c' or 'f'. Received order={order!r}.")
    type_name = _NAMES.get(array.dtype.newbyteorder("="))
    if type_name is None:
        supported = ", ".join(sorted(str(dtype) for dtype in _NAMES))
        raise TypeError(f"ND4J has no data type for NumPy dtype {array.dtype}; supported: {supported}.")
    if array.size == 0:
        raise ValueError(f"ND4J writes no data buffer for an empty array. Received shape {array.shape}.")
    if array.ndim > MAX_RANK:
        raise ValueError(f"ND4J arrays have at most {MAX_RANK} dimensions. Received {array.ndim}.")
    extras = _TYPE_BITS[_UNSIGNED.get(type_name, type_name)] | (_UNSIGNED_BIT if type_name in _UNSIGNED else 0)
    info = [array.ndim, *array.shape, *_contiguous_strides(array.shape, order), extras, 1, ord(order)]
    values = array.astype(_DTYPES[type_name], copy=False).ravel(order=order.upper())
    return b"".join(
        (_header(len(info), "LONG"), np.asarray(info, ">i8").tobytes(), _header(array.size, type_name), values.tobytes())
    )


def write_ndarray(array: Any, path: PathLike, *, order: str = "c") -> Path:
    """Write ``array`` to ``path`` in ND4J's binary format (:func:`ndarray_bytes`), atomically; return the path.

    DL4J reads it with ``Nd4j.read(new DataInputStream(new FileInputStream(path)))``.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     read_ndarray(write_ndarray(np.eye(2), f"{d}/eye.bin", order="f"))
    array([[1., 0.],
           [0., 1.]])
    """
    return write_atomically(writable_target(path), ndarray_bytes(array, order=order))


def _header(length: int, type_name: str) -> bytes:
    return _utf("MIXED_DATA_TYPES") + struct.pack(">q", length) + _utf(type_name)


def _utf(text: str) -> bytes:
    # Java's writeUTF; the names written are ASCII, where modified UTF-8 is plain ASCII.
    return struct.pack(">H", len(text)) + text.encode("ascii")


def _contiguous_strides(shape: tuple[int, ...], order: str) -> list[int]:
    dims = list(shape) if order == "c" else list(shape)[::-1]
    strides, step = [], 1
    for size in reversed(dims):
        strides.append(step)
        step *= size
    strides.reverse()
    return strides if order == "c" else strides[::-1]


class _Cursor:
    """Reads ``data`` front to back; every read checked against the bytes left."""

    def __init__(self, data: bytes, fail: Any) -> None:
        self.data, self.at, self.fail = data, 0, fail

    def left(self) -> int:
        return len(self.data) - self.at

    def take(self, count: int, what: str) -> bytes:
        if count > self.left():
            self.fail(f"it ends after {len(self.data)} bytes, inside {what}.")
        chunk = self.data[self.at : self.at + count]
        self.at += count
        return chunk

    def number(self, fmt: str, what: str) -> int:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), what))[0]

    def name(self, what: str, allowed: Any) -> str:
        raw = self.take(self.number(">H", what), what)
        text = raw.decode("ascii", errors="replace")
        if text not in allowed:
            self.fail(f"its {what} is {text[:40]!r}, not one of {', '.join(allowed)}.")
        return text

    def buffer(self, what: str) -> tuple[str, np.ndarray]:
        """One buffer's header and values (big-endian, as stored), its length checked before reading."""
        mode = self.name(f"{what}'s allocation mode", _MODES)
        length = self.number(">i" if mode in _INT32_MODES else ">q", f"{what}'s length")
        type_name = self.name(f"{what}'s data type", _DTYPES)
        dtype = np.dtype(_DTYPES[type_name])
        if length < 0:
            self.fail(f"its {what} claims a negative length ({length}).")
        if length * dtype.itemsize > self.left():
            self.fail(
                f"its {what} claims {length} {type_name} values ({length * dtype.itemsize} bytes), "
                f"but only {self.left()} bytes follow."
            )
        return type_name, np.frombuffer(self.take(length * dtype.itemsize, what), dtype)


def _parse(data: bytes, source: Any) -> np.ndarray:
    def fail(reason: str) -> None:
        raise ND4JFileError(source, _WHAT, reason)

    if data[:4] == b"PK\x03\x04":
        fail("it is a zip archive (a MultiLayerNetwork.save file?), not an ND4J array.")
    cursor = _Cursor(data, fail)
    shape_type, info = cursor.buffer("shape buffer")
    if shape_type not in ("INT", "LONG"):
        fail(f"its shape buffer holds {shape_type} values; ND4J writes INT or LONG.")
    if info.size < 4:
        fail(f"its shape buffer has {info.size} values; even a scalar's has 4.")
    rank = int(info[0])
    if not 0 <= rank <= MAX_RANK:
        fail(f"it claims rank {rank}; ND4J arrays have 0 to {MAX_RANK} dimensions.")
    if info.size != 2 * rank + 4:
        fail(f"its shape buffer has {info.size} values; rank {rank} needs 2 * {rank} + 4 = {2 * rank + 4}.")
    shape = [int(n) for n in info[1 : 1 + rank]]
    strides = [int(s) for s in info[1 + rank : 1 + 2 * rank]]
    order = _ORDERS.get(int(info[-1]))
    if order is None:
        fail(f"its order flag is {int(info[-1])}; ND4J writes {ord('c')} ('c') or {ord('f')} ('f').")
    if any(n < 0 for n in shape) or any(s < 0 for s in strides):
        fail(f"it claims shape {shape} with strides {strides}; sizes and strides must be >= 0.")
    type_name, values = cursor.buffer("data buffer")
    if cursor.left():
        fail(f"{cursor.left()} bytes follow the data buffer; an ND4J array ends there.")
    size = math.prod(shape)
    # Python ints: no overflow. Every element must exist, and the furthest one be inside the buffer.
    reach = 1 + sum((n - 1) * s for n, s in zip(shape, strides)) if size else 0
    if size > values.size or reach > values.size:
        fail(
            f"its shape {shape} with strides {strides} reaches {max(size, reach)} values, "
            f"but its data buffer holds {values.size}."
        )
    native = _native(values, type_name)
    placed = np.lib.stride_tricks.as_strided(
        native, shape=shape, strides=[s * native.itemsize for s in strides], writeable=False
    )
    return np.array(placed, order=order.upper())


def _native(values: np.ndarray, type_name: str) -> np.ndarray:
    if type_name == "BFLOAT16":  # the high half of a float32
        return (values.astype(np.uint32) << 16).view(np.float32)
    if type_name == "BOOL":
        return values != 0
    return values.astype(values.dtype.newbyteorder("="))
