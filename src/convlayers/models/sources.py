"""Where ``fit``/``evaluate``/``predict`` get their batches, and how many per epoch (Keras 3's rules).

Sources (:func:`source_for`):

- arrays (NumPy, tensors, lists; or lists/tuples/dicts of them for several inputs or
  outputs) with ``y`` and ``sample_weight``: batches of ``batch_size`` (32 by default, or
  ``ceil(n / steps)`` when only the steps are given), reshuffled each pass when ``shuffle``;
- a ``torch.utils.data.Dataset`` whose items are ``x``, ``(x, y)`` or ``(x, y, sample_weight)``:
  batched the same way (torch's ``default_collate``), ``class_weight`` applied per batch;
- a ``torch.utils.data.DataLoader``: its batches as given;
- a :class:`~convlayers.py_dataset.PyDataset` (Keras's ``keras.utils.PyDataset``): its
  batches by index, every one each epoch (in a new random order when ``shuffle``), its
  ``on_epoch_begin``/``on_epoch_end`` called around each epoch (and around ``evaluate``
  and ``predict``); ``class_weight`` applied per batch;
- a Python generator or iterator yielding ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``
  batches. Keras reads its first two batches ahead and replays them each time the data
  restarts; a finite generator is therefore exhausted during the first epoch, and each
  later epoch (without ``steps_per_epoch``) sees only those two batches again.

For a DataLoader, a PyDataset or a generator, ``y`` and ``sample_weight`` belong in the
batches and ``batch_size`` must be ``None``; only a PyDataset takes ``class_weight``, as in Keras.

:class:`EpochIterator` hands out each epoch's steps: all batches of one pass, or exactly
``steps`` batches continuing where the last epoch stopped (a new pass starts when one
ends); running out of data ends the epoch early with Keras's warning.
"""

from __future__ import annotations

import itertools
import math
import types
import warnings
from typing import Any, Iterable, Iterator

import torch  # noqa: F401  (the docstrings' examples use it)
from torch.utils.data import DataLoader, Dataset, IterableDataset, default_collate

from ..py_dataset import PyDataset
from ..data_utils import unpack_x_y_sample_weight
from . import data, sample_weights

Batch = tuple[Any, Any, Any]  # (x, y, sample_weight); y and sample_weight may be None

OUT_OF_DATA = (
    "Your input ran out of data; interrupting training. Make sure that your dataset or generator can generate at "
    "least `steps_per_epoch * epochs` batches."
)
# Keras reads this many batches of a generator ahead (to learn their specs) and replays them.
PEEKED_BATCHES = 2


def unpack(batch: Any, owner: str) -> Batch:
    """``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` as ``(x, y, sample_weight)`` (Keras's rule).

    >>> unpack(("x", "y"), "fit")
    ('x', 'y', None)
    """
    try:
        return unpack_x_y_sample_weight(batch)
    except ValueError:  # Keras's rule and message; here the message names the caller and the count
        raise ValueError(
            f"{owner}: data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`; "
            f"found a {type(batch).__name__} of {len(batch)} elements."
        ) from None


class ArraySource:
    """In-memory arrays, batched by index (see the module docs).

    >>> [batch[0].tolist() for batch in ArraySource(torch.arange(5), None, None, 2, None, False, "fit")]
    [[0, 1], [2, 3], [4]]
    """

    def __init__(self, x: Any, y: Any, sample_weight: Any, batch_size: int | None, steps: int | None, shuffle: bool, owner: str) -> None:
        self.arrays = (x, y, sample_weight)
        self.n = data.num_samples({"x": x, "y": y, "sample_weight": sample_weight}, owner)
        if batch_size is None:
            batch_size = math.ceil(self.n / steps) if steps else 32
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.num_batches: int | None = math.ceil(self.n / batch_size)

    def __iter__(self) -> Iterator[Batch]:
        for index in data.batches(self.n, self.batch_size, self.shuffle):
            yield tuple(data.take(part, index) for part in self.arrays)  # type: ignore[misc]


class LoaderSource:
    """A DataLoader's batches, unpacked; with ``class_weight``, weights made per batch.

    >>> from torch.utils.data import TensorDataset
    >>> loader = DataLoader(TensorDataset(torch.zeros(3, 2), torch.tensor([0, 1, 1])), batch_size=2)
    >>> [batch[2].tolist() for batch in LoaderSource(loader, "fit", {1: 5.0})]
    [[1.0, 5.0], [5.0]]
    """

    def __init__(self, loader: DataLoader, owner: str, class_weight: dict | None = None) -> None:
        self.loader = loader
        self.owner = owner
        self.class_weight = class_weight
        self.num_batches: int | None = len(loader) if hasattr(loader.dataset, "__len__") else None

    def __iter__(self) -> Iterator[Batch]:
        for batch in self.loader:
            yield _with_class_weight(unpack(batch, self.owner), self.class_weight, self.owner)


class GeneratorSource:
    """A generator or iterator of batches, its first batches read ahead and replayed (Keras).

    >>> source = GeneratorSource(((i,) for i in range(3)), "fit")
    >>> [x for x, _, _ in source], [x for x, _, _ in source]  # exhausted: the two read ahead remain
    ([0, 1, 2], [0, 1])
    """

    num_batches = None

    def __init__(self, generator: Iterator[Any], owner: str) -> None:
        self.first = list(itertools.islice(generator, PEEKED_BATCHES))
        self.rest = generator
        self.owner = owner
        if not self.first:
            raise ValueError(f"{owner}: the generator must yield at least one batch. Received an empty generator.")
        if not isinstance(self.first[0], tuple):
            raise ValueError(
                f"{owner}: the generator must yield tuples, either (inputs,), (inputs, targets) or "
                f"(inputs, targets, sample_weights). Received a {type(self.first[0]).__name__}."
            )

    def __iter__(self) -> Iterator[Batch]:
        for batch in itertools.chain(self.first, self.rest):
            yield unpack(batch, self.owner)


class PyDatasetSource:
    """A :class:`~convlayers.py_dataset.PyDataset`'s batches by index, shuffled per pass when asked (Keras's adapter).

    >>> class Numbers(PyDataset):
    ...     def __len__(self): return 3
    ...     def __getitem__(self, index): return torch.tensor([index]), torch.tensor([0])
    >>> [x.tolist() for x, _, _ in PyDatasetSource(Numbers(), "fit", shuffle=False)]
    [[0], [1], [2]]
    """

    def __init__(self, dataset: PyDataset, owner: str, shuffle: bool = False, class_weight: dict | None = None) -> None:
        self.dataset = dataset
        self.owner = owner
        self.class_weight = class_weight
        self.num_batches: int | None = dataset.num_batches
        self.shuffle = bool(shuffle) and self.num_batches is not None
        dataset.workers  # Keras's warning, now, for a subclass that skipped super().__init__()

    def __iter__(self) -> Iterator[Batch]:
        if self.num_batches is None:
            indices: Iterable[int] = itertools.count()
        elif self.shuffle:
            indices = torch.randperm(self.num_batches).tolist()  # torch's global RNG, as arrays are shuffled
        else:
            indices = range(self.num_batches)
        for index in indices:
            yield _with_class_weight(self._standardize(self.dataset[index]), self.class_weight, self.owner)

    def _standardize(self, batch: Any) -> Batch:
        if isinstance(batch, dict):
            return batch, None, None
        if hasattr(batch, "shape"):  # one array or tensor: the inputs alone
            return batch, None, None
        if isinstance(batch, list):
            batch = tuple(batch)
        if not isinstance(batch, tuple) or len(batch) not in (1, 2, 3):
            raise ValueError(
                f"{self.owner}: PyDataset.__getitem__() must return a tuple or a dict. If a tuple, it must be ordered "
                f"either (input,) or (inputs, targets) or (inputs, targets, sample_weights). Received: "
                f"{str(batch)[:100]}... of type {type(batch).__name__}."
            )
        return unpack(batch, self.owner)

    def on_epoch_begin(self) -> None:
        """The dataset's ``on_epoch_begin``."""
        self.dataset.on_epoch_begin()

    def on_epoch_end(self) -> None:
        """The dataset's ``on_epoch_end``."""
        self.dataset.on_epoch_end()


Source = ArraySource | LoaderSource | PyDatasetSource | GeneratorSource


def _with_class_weight(batch: Batch, class_weight: dict | None, owner: str) -> Batch:
    x, y, sample_weight = batch
    if class_weight is None:
        return batch
    if sample_weight is not None:
        raise ValueError(f"{owner}: you cannot pass `class_weight` when the data has sample weights too.")
    return x, y, sample_weights.resolve(data.as_tensors(y, "y", owner), None, class_weight, owner)


def _refuse(argument: str, kind: str, owner: str) -> None:
    described = {"y": "the targets", "sample_weight": "the sample weights"}[argument]
    raise ValueError(
        f"{owner}: when providing `x` as a {kind}, `{argument}` should not be passed. Instead, {described} "
        f"should be included as part of the {kind}."
    )


def kind_of(x: Any) -> str | None:
    """``"DataLoader"``, ``"Dataset"``, ``"PyDataset"`` or ``"generator"`` for a data object; ``None`` for arrays.

    >>> kind_of(iter([])), kind_of([[1.0]])
    ('generator', None)
    """
    if isinstance(x, DataLoader):
        return "DataLoader"
    if isinstance(x, PyDataset):
        return "PyDataset"
    if isinstance(x, Dataset):
        return "Dataset"
    if isinstance(x, (types.GeneratorType, Iterator)):
        return "generator"
    return None


def source_for(
    x: Any,
    y: Any = None,
    sample_weight: Any = None,
    *,
    batch_size: int | None,
    steps: int | None,
    shuffle: bool,
    class_weight: Any = None,
    owner: str,
) -> Source:
    """The batch source for ``x`` (arrays, Dataset, DataLoader or generator); a clear error for each misuse.

    >>> type(source_for([[1.0], [2.0]], [[0.0], [1.0]], batch_size=None, steps=None, shuffle=False, owner="fit")).__name__
    'ArraySource'
    >>> source_for(iter([]), batch_size=8, steps=None, shuffle=False, owner="Sequential 'm'.fit()")
    Traceback (most recent call last):
    ...
    ValueError: Sequential 'm'.fit(): `batch_size` must be None when `x` is a generator: its batches are used as given. Received: batch_size=8.
    """
    kind = kind_of(x)
    if kind is None:
        if x is None:
            raise ValueError(f"{owner}: `x` is required.")
        x_t, y_t, sw_t = (data.as_tensors(value, name, owner) for value, name in ((x, "x"), (y, "y"), (sample_weight, "sample_weight")))
        sw_t = sample_weights.resolve(y_t, sw_t, class_weight, owner)
        return ArraySource(x_t, y_t, sw_t, batch_size, steps, shuffle, owner)
    if y is not None:
        _refuse("y", kind if kind in ("generator", "PyDataset") else f"torch {kind}", owner)
    if sample_weight is not None:
        _refuse("sample_weight", kind if kind in ("generator", "PyDataset") else f"torch {kind}", owner)
    if class_weight is not None:
        sample_weights.check_class_weight(class_weight, owner)
    if kind == "Dataset":
        iterable = isinstance(x, IterableDataset)
        if iterable and shuffle:
            warnings.warn(f"{owner}: `shuffle=True` is ignored for an IterableDataset, which cannot be indexed.", stacklevel=3)
        loader = DataLoader(x, batch_size=batch_size or 32, shuffle=bool(shuffle) and not iterable, collate_fn=default_collate)
        return LoaderSource(loader, owner, class_weight)
    if kind == "PyDataset":
        if batch_size is not None:
            raise ValueError(
                f"{owner}: `batch_size` must be None when `x` is a PyDataset: its batches are used as given. "
                f"Received: batch_size={batch_size}."
            )
        if shuffle and x.num_batches is None:
            warnings.warn(
                f"{owner}: `shuffle=True` was passed, but will be ignored since the data `x` was provided as an infinite "
                f"PyDataset. The PyDataset is expected to already be shuffled.",
                stacklevel=3,
            )
        return PyDatasetSource(x, owner, shuffle, class_weight)
    if batch_size is not None:
        raise ValueError(
            f"{owner}: `batch_size` must be None when `x` is a {'torch DataLoader' if kind == 'DataLoader' else kind}: "
            f"its batches are used as given. Received: batch_size={batch_size}."
        )
    if class_weight is not None:
        raise ValueError(
            f"{owner}: `class_weight` is not supported when `x` is a {'torch DataLoader' if kind == 'DataLoader' else kind}; "
            f"yield (x, y, sample_weight) batches instead. Received: class_weight={class_weight!r}."
        )
    if shuffle:
        warnings.warn(
            f"{owner}: `shuffle=True` was passed, but will be ignored since the data `x` was provided as a "
            f"{'torch DataLoader' if kind == 'DataLoader' else kind}, which is expected to yield already-shuffled data.",
            stacklevel=3,
        )
    if kind == "DataLoader":
        return LoaderSource(x, owner)
    return GeneratorSource(x, owner)


class EpochIterator:
    """The steps of each epoch over a source, with Keras's ``steps_per_epoch`` semantics (module docs).

    >>> epochs = EpochIterator(ArraySource(torch.arange(4), None, None, 2, None, False, "fit"), steps=1)
    >>> [[batch[0].tolist() for _, batch in epochs.epoch()] for _ in range(3)]
    [[[0, 1]], [[2, 3]], [[0, 1]]]
    """

    def __init__(self, source: Source, steps: int | None = None) -> None:
        self.source = source
        self.steps = steps
        self.reset()

    def reset(self) -> None:
        """Start over from a fresh pass (evaluate does, each time it runs)."""
        self._iterator: Iterator[Batch] | None = None
        self._seen = 0
        self._num_batches = self.source.num_batches

    @property
    def num_batches(self) -> int | None:
        """The steps of an epoch, when known in advance."""
        return self.steps or self._num_batches

    def _out_of_data(self) -> None:
        if self._num_batches is None:
            self._num_batches = self._seen
        warnings.warn(OUT_OF_DATA, stacklevel=4)
        self._iterator = None

    def epoch(self) -> Iterable[tuple[int, Batch]]:
        """``(step, batch)`` for each step of one epoch, between the source's epoch hooks (a PyDataset's).

        The end hook runs once the epoch's steps are done, not when a loop stops early (Keras's order).
        """
        hooks = isinstance(self.source, PyDatasetSource)
        if hooks:
            self.source.on_epoch_begin()
        yield from self._steps()
        if hooks:
            self.source.on_epoch_end()

    def _steps(self) -> Iterable[tuple[int, Batch]]:
        steps = self.steps or self._num_batches
        if not steps:
            # Unknown length: until the data runs out; the count seen then bounds later epochs.
            iterator = iter(self.source)
            for step in itertools.count():
                self._seen = step + 1
                try:
                    batch = next(iterator)
                except StopIteration:
                    self._out_of_data()
                    return
                yield step, batch
        if self._iterator is None or self.steps is None:
            self._iterator = iter(self.source)
            self._seen = 0
        for step in range(steps):
            if self._num_batches and self._seen >= self._num_batches:
                if self.steps:
                    warnings.warn(OUT_OF_DATA, stacklevel=3)
                break
            self._seen += 1
            try:
                batch = next(self._iterator)
            except StopIteration:
                self._out_of_data()
                return
            yield step, batch
        if self._num_batches and self._seen >= self._num_batches:
            self._iterator = iter(self.source)
            self._seen = 0
