"""HDF5 files read defensively: an index of what the file holds, then only the datasets asked for.

Reading happens in two passes, each in a child process (:mod:`.sandbox`), because h5py can
crash on a corrupt file. :func:`index_hdf5` walks the file once and returns an
:class:`Hdf5Index`: every group's Keras attributes and members, every dataset's shape,
dtype and storage, and why any object cannot be read. Nothing is followed but hard links:
soft and external links, and datasets whose bytes live elsewhere (external storage, virtual
datasets) or pass through filters we do not know, are recorded as unreadable, never opened.
The caller checks shapes and dtypes against the model, then :func:`read_datasets` reads just
those datasets, re-checked, into one shared buffer sized by the caller.

>>> import io, h5py, numpy as np
>>> buffer = io.BytesIO()
>>> with h5py.File(buffer, "w") as f:
...     f["layers/dense/vars/0"] = np.ones((2, 1), "float32")
...     f["layers/dense/vars/1"] = h5py.ExternalLink("/etc/passwd", "/")
>>> index = index_hdf5(buffer.getvalue())
>>> index.dataset("/layers/dense/vars/0")
Dataset(path='/layers/dense/vars/0', shape=(2, 1), dtype='<f4', problem=None)
>>> index.dataset("/layers/dense/vars/1")
Traceback (most recent call last):
...
ValueError: /layers/dense/vars/1 is an external link (to '/' in file '/etc/passwd'), which is not followed.
>>> read_datasets(buffer.getvalue(), [index.dataset("/layers/dense/vars/0")])[0].ravel()
array([1., 1.], dtype=float32)
"""

from __future__ import annotations

import io
import mmap
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import numpy as np

from .limits import MAX_JSON_BYTES
from .sandbox import run_isolated

Source = Union[Path, bytes]
Attribute = Union[str, list[str]]

#: Attributes Keras readers need; no other attribute is read.
_KERAS_ATTRIBUTES = re.compile(r"(model_config|training_config|keras_version|backend|layer_names\d*|weight_names\d*)")
#: The filters h5py writes; any other (a plugin HDF5 would load at read time) is refused.
_KNOWN_FILTERS = {1: "deflate", 2: "shuffle", 3: "fletcher32", 32000: "lzf"}
#: Bounds on the walk: objects visited, and path depth (Keras nests five levels).
MAX_OBJECTS = 2_000_000
MAX_DEPTH = 64
#: The reader's allowance beyond the bytes it is asked to read: HDF5's caches and the index.
_READER_MEMORY = 512 * 2**20
_TIMEOUT_S = 120.0
_TIMEOUT_S_PER_GIB = 60.0


@dataclass(frozen=True)
class Dataset:
    """One dataset as the file declares it; ``problem`` says why it cannot be read (``None`` if it can)."""

    path: str
    shape: tuple[int, ...] | None  # None: a dataset with no dataspace (H5S_NULL)
    dtype: str  # numpy's spelling ('<f4'); '|O', '|V8'... for types that are not numbers
    problem: str | None


@dataclass(frozen=True)
class Hdf5Index:
    """What :func:`index_hdf5` found: groups (members and Keras attributes), datasets, unreadable objects."""

    members: dict[str, list[str]]
    attributes: dict[str, dict[str, Attribute]]
    datasets: dict[str, Dataset]
    unreadable: dict[str, str]

    def is_group(self, path: str) -> bool:
        return path in self.members

    def dataset(self, path: str) -> Dataset:
        """The dataset at ``path``, or a ``ValueError`` saying why there is none that can be read."""
        if path in self.unreadable:
            raise ValueError(f"{path} is {self.unreadable[path]}")
        if path not in self.datasets:
            kind = "a group" if path in self.members else "no such object"
            raise ValueError(f"{path} is {kind}, not a dataset.")
        found = self.datasets[path]
        if found.problem is not None:
            raise ValueError(f"{path} cannot be read: {found.problem}")
        return found

    def text(self, path: str, name: str) -> str | None:
        """A text attribute (``model_config``, ``keras_version``...), ``None`` if absent."""
        value = self.attributes.get(path, {}).get(name)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"the attribute {name!r} of {path} is a list, expected text.")
        return value

    def names(self, path: str, name: str) -> list[str] | None:
        """A list-of-names attribute, joined from ``name0``, ``name1``... when Keras split it; ``None`` if absent."""
        attributes = self.attributes.get(path, {})
        if name in attributes:
            chunks = [name]
        else:
            chunks = []
            while f"{name}{len(chunks)}" in attributes:
                chunks.append(f"{name}{len(chunks)}")
            if not chunks:
                return None
        names = []
        for chunk in chunks:
            if not isinstance(attributes[chunk], list):
                raise ValueError(f"the attribute {chunk!r} of {path} is text, expected a list of names.")
            names += attributes[chunk]
        return names


def join(*parts: str) -> str:
    """An absolute HDF5 path from parts that may hold ``/``-separated names (as Keras's ``weight_names`` do).

    >>> join("/model_weights/conv", "conv/kernel:0")
    '/model_weights/conv/conv/kernel:0'
    """
    names = [name for part in parts for name in part.split("/") if name not in ("", ".")]
    return "/" + "/".join(names)


def index_hdf5(source: Source) -> Hdf5Index:
    """Walk an HDF5 file (a path, or the bytes of one) in a child process: see the module docstring."""
    h5py_module()  # imported here, so the child inherits it (and a missing h5py is an ImportError)
    found = run_isolated(lambda: _with_file(source, _index), reader="h5py", timeout=_TIMEOUT_S, memory=_READER_MEMORY)
    return Hdf5Index(
        members=found["members"],
        attributes=found["attributes"],
        datasets={path: Dataset(path, None if shape is None else tuple(shape), dtype, problem)
                  for path, (shape, dtype, problem) in found["datasets"].items()},
        unreadable=found["unreadable"],
    )


def read_datasets(source: Source, datasets: list[Dataset]) -> list[np.ndarray]:
    """The values of ``datasets`` (entries of an index of ``source``), each re-checked in the child before it is read.

    Each array has the dtype of its entry in native byte order. The child writes them into one
    shared memory map of exactly their total size, and the arrays returned are views of it (it
    is freed with the last of them): the bytes cross between the processes without a copy.
    """
    h5py_module()  # imported here, so the child inherits it (and a missing h5py is an ImportError)
    dtypes = [np.dtype(dataset.dtype).newbyteorder("=") for dataset in datasets]
    counts = [int(np.prod(dataset.shape)) for dataset in datasets]
    offsets = np.cumsum([0] + [count * dtype.itemsize for count, dtype in zip(counts, dtypes)]).tolist()
    buffer = mmap.mmap(-1, max(offsets[-1], 1))
    timeout = _TIMEOUT_S + _TIMEOUT_S_PER_GIB * offsets[-1] / 2**30
    task = lambda: _with_file(source, lambda f: _read_into(f, datasets, dtypes, offsets, buffer))  # noqa: E731
    run_isolated(task, reader="h5py", timeout=timeout, memory=_READER_MEMORY)
    return [
        np.frombuffer(buffer, dtype, count=count, offset=offset).reshape(dataset.shape)
        for dataset, dtype, count, offset in zip(datasets, dtypes, counts, offsets)
    ]


def h5py_module(action: str = "Reading") -> Any:
    """The ``h5py`` module, imported on first use: only Keras files need it.

    ``action`` (``"Reading"``, ``"Writing"``) starts the ``ImportError``'s message when h5py is missing.

    >>> h5py_module().__name__
    'h5py'
    """
    try:
        import h5py as module
    except ImportError as error:
        raise ImportError(
            f"{action} Keras .h5 and .keras files needs h5py: pip install 'convlayers[keras]' (or h5py)."
        ) from error
    return module


def _with_file(source: Source, action: Any) -> Any:
    with h5py_module().File(io.BytesIO(source) if isinstance(source, bytes) else source, "r") as f:
        return action(f)


def _index(f: Any) -> dict[str, Any]:
    """The walk, in the child: plain data only, so it crosses the pipe as JSON."""
    import h5py

    members: dict[str, list[str]] = {}
    attributes: dict[str, dict[str, Attribute]] = {}
    datasets: dict[str, Any] = {}
    unreadable: dict[str, str] = {}
    seen = set()
    stack = [("/", f["/"])]
    visited = 0
    while stack:
        path, group = stack.pop()
        if group.id in seen:
            unreadable[path] = "a second link to a group already read (a cycle, or a shared group)."
            continue
        seen.add(group.id)
        attributes[path] = _keras_attributes(group, path)
        names = list(group)
        members[path] = names
        visited += len(names)
        if visited > MAX_OBJECTS:
            raise ValueError(f"it holds more than {MAX_OBJECTS} objects.")
        for name in names:
            member = join(path, name)
            link = group.get(name, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                unreadable[member] = f"an external link (to {link.path!r} in file {link.filename!r}), which is not followed."
            elif isinstance(link, h5py.SoftLink):
                unreadable[member] = f"a soft link (to {link.path!r}), which is not followed."
            elif not isinstance(link, h5py.HardLink):
                unreadable[member] = "a user-defined link, which is not followed."
            elif member.count("/") > MAX_DEPTH:
                unreadable[member] = f"nested more than {MAX_DEPTH} groups deep."
            else:
                node = group[name]
                if isinstance(node, h5py.Group):
                    stack.append((member, node))
                elif isinstance(node, h5py.Dataset):
                    datasets[member] = [node.shape, node.dtype.str, _storage_problem(node)]
                else:
                    unreadable[member] = "a named datatype, not data."
    return {"members": members, "attributes": attributes, "datasets": datasets, "unreadable": unreadable}


def _storage_problem(dataset: Any) -> str | None:
    """Why ``dataset``'s bytes cannot be read from this file alone, through filters we know; ``None`` if they can."""
    import h5py

    plist = dataset.id.get_create_plist()
    if plist.get_layout() not in (h5py.h5d.CONTIGUOUS, h5py.h5d.CHUNKED, h5py.h5d.COMPACT):
        return "it is a virtual dataset (its data is read from other datasets or files)."
    if plist.get_external_count():
        files = [plist.get_external(i)[0].decode("utf8", "replace") for i in range(min(plist.get_external_count(), 3))]
        return f"its data is in external storage (the files {files}), not in this file."
    for i in range(plist.get_nfilters()):
        code = plist.get_filter(i)[0]
        if code not in _KNOWN_FILTERS:
            return f"it is stored through HDF5 filter {code}, not one of {sorted(_KNOWN_FILTERS.values())}."
    return None


def _keras_attributes(node: Any, path: str) -> dict[str, Attribute]:
    """The attributes Keras readers use, decoded; each checked for size before it is read."""
    found: dict[str, Attribute] = {}
    for name in node.attrs:
        if not _KERAS_ATTRIBUTES.fullmatch(name):
            continue
        declared = node.attrs.get_id(name)
        count = int(np.prod(declared.shape or (), dtype=object))
        if count * max(declared.dtype.itemsize, 1) > MAX_JSON_BYTES:
            raise ValueError(f"the attribute {name!r} of {path} declares {count} x {declared.dtype} values; too large.")
        found[name] = _text(node.attrs[name], f"the attribute {name!r} of {path}")
    return found


def _text(value: Any, where: str) -> Attribute:
    """An attribute's value as text, or a list of texts; a ``ValueError`` for anything else."""
    import h5py

    if isinstance(value, h5py.Empty):
        return []
    if isinstance(value, np.ndarray) and value.ndim == 1:
        return [_decode(item, where) for item in value]
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    return _decode(value, where)


def _decode(value: Any, where: str) -> str:
    if isinstance(value, (bytes, np.bytes_)):
        try:
            return bytes(value).decode("utf8")
        except UnicodeDecodeError as error:
            raise ValueError(f"{where} is not UTF-8 text ({error}).") from None
    if isinstance(value, str):
        return str(value)
    raise ValueError(f"{where} holds {type(value).__name__} values, expected text.")


def _read_into(f: Any, datasets: list[Dataset], dtypes: list[np.dtype], offsets: list[int], buffer: mmap.mmap) -> None:
    """In the child: open each dataset by hard links only, re-check it against its entry, read it into ``buffer``."""
    import h5py

    for dataset, dtype, offset in zip(datasets, dtypes, offsets):
        node = f
        for name in dataset.path.strip("/").split("/"):
            if not isinstance(node.get(name, getlink=True), h5py.HardLink):
                raise ValueError(f"{dataset.path} changed while it was read: it is no longer a plain dataset.")
            node = node[name]
        if not isinstance(node, h5py.Dataset) or (node.shape, node.dtype.str) != (dataset.shape, dataset.dtype):
            raise ValueError(f"{dataset.path} changed while it was read: it is no longer a {dataset.dtype} {dataset.shape} dataset.")
        problem = _storage_problem(node)
        if problem is not None:
            raise ValueError(f"{dataset.path} cannot be read: {problem}")
        count = int(np.prod(dataset.shape))
        if count:
            target = np.frombuffer(buffer, dtype, count=count, offset=offset).reshape(dataset.shape)
            node.read_direct(target)
