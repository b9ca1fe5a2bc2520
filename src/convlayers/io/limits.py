"""The bounds every model file is held to before anything in it is trusted.

A file states sizes (a safetensors header, zip members, HDF5 datasets) and the
model it describes states what it needs. Readers compare the two *before*
reading or allocating, so a hostile file costs at most what the model it
describes needs, and that need is itself bounded by the file's size: a few
kilobytes cannot ask for gigabytes. JSON is parsed only after a linear scan
has bounded its nesting.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

#: The largest JSON document read (a Keras ``config.json``, an ``.h5`` ``model_config``).
MAX_JSON_BYTES = 64 * 2**20
#: The deepest JSON nesting read; real configs nest under 20 levels.
MAX_JSON_DEPTH = 100
#: The largest safetensors header (its JSON: tensor index and metadata, the architecture included).
MAX_HEADER_BYTES = MAX_JSON_BYTES + 16 * 2**20
#: How many times its own size a Keras file may expand to in weights. Keras stores weights
#: uncompressed (ratio <= 1); a file compressed by other tools rarely passes 10.
MAX_EXPANSION = 100
#: Bytes any model may need regardless of the file's size (so tiny files of zeros still load).
EXPANSION_ALLOWANCE = 2**20
#: A Keras weights file holds the weights, up to three optimizer slots per weight (Adam with
#: AMSGrad), and HDF5's own structure: at most this much per layer, plus a fixed allowance.
OPTIMIZER_SLOTS = 3
HDF5_LAYER_OVERHEAD = 16 * 2**10
HDF5_OVERHEAD = 2**20

# Strings, matched possessively (no backtracking: linear in the text), and the brackets between them.
_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]++")
_FINITE_BLOCK = 2**20
_DEPTH_STEP = np.zeros(256, np.int8)
_DEPTH_STEP[[ord("["), ord("{")]] = 1
_DEPTH_STEP[[ord("]"), ord("}")]] = -1


def json_depth(text: str) -> int:
    """The deepest nesting of ``[`` and ``{`` in JSON ``text``, brackets inside strings ignored.

    Linear in the text, without recursion, so it is safe on any input.

    >>> json_depth('{"a": [1, {"b": "[[[["}]}')
    3
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text)).encode("ascii")
    if not brackets:
        return 0
    return int(np.cumsum(_DEPTH_STEP[np.frombuffer(brackets, np.uint8)], dtype=np.int64).max())


def parse_json(text: str | bytes, where: str, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """``json.loads(text)`` for untrusted text, bounded in size and depth; a ``ValueError`` saying why otherwise.

    >>> parse_json('{"units": 3}', "config.json")
    {'units': 3}
    >>> parse_json("[" * 1000 + "]" * 1000, "config.json")
    Traceback (most recent call last):
    ...
    ValueError: config.json nests 1000 levels deep; at most 100 are read.
    """
    if len(text) > max_bytes:
        raise ValueError(f"{where} has {len(text)} bytes; at most {max_bytes} are read.")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"{where} is not valid JSON ({error}).") from None
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"{where} nests {depth} levels deep; at most {MAX_JSON_DEPTH} are read.")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"{where} is not valid JSON ({error}).") from None
    except (ValueError, RecursionError) as error:  # e.g. an integer of more digits than Python converts
        raise ValueError(f"{where} cannot be read as JSON ({error}).") from None


def check_expansion(needed: int, file_size: int) -> None:
    """Refuse a model needing more weight bytes than a file of ``file_size`` bytes can plausibly hold.

    >>> check_expansion(10 * 2**30, 1000)
    Traceback (most recent call last):
    ...
    ValueError: its architecture needs 10737418240 bytes of weights, more than a file of 1000 bytes can hold (at most 1048576 + 100 x its size).
    """
    if needed > EXPANSION_ALLOWANCE + MAX_EXPANSION * file_size:
        raise ValueError(
            f"its architecture needs {needed} bytes of weights, more than a file of {file_size} bytes can hold "
            f"(at most {EXPANSION_ALLOWANCE} + {MAX_EXPANSION} x its size)."
        )


def hdf5_weights_cap(weight_bytes: int, layers: int) -> int:
    """The most bytes a Keras HDF5 weights file for a model of ``layers`` layers and ``weight_bytes`` may have.

    >>> hdf5_weights_cap(1000, 2)
    1085344
    """
    return (1 + OPTIMIZER_SLOTS) * weight_bytes + HDF5_LAYER_OVERHEAD * layers + HDF5_OVERHEAD


def all_finite(array: np.ndarray) -> bool:
    """Whether every value of a float array is finite, checked in blocks (no full-size temporary).

    >>> all_finite(np.array([1.0, np.nan])), all_finite(np.ones(3, "float32"))
    (False, True)
    """
    flat = array.reshape(-1)
    return all(np.isfinite(flat[start : start + _FINITE_BLOCK]).all() for start in range(0, flat.size, _FINITE_BLOCK))
