"""Keras's ``PyDataset`` (old name ``Sequence``): a dataset of batches written in Python, by index.

A subclass implements ``__len__`` (the number of batches) and ``__getitem__(index)``
(the batch ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``), and may implement
``on_epoch_begin``/``on_epoch_end``. ``fit``, ``evaluate`` and ``predict`` take one as ``x``
(:class:`~convlayers.models.sources.PyDatasetSource`): an epoch is every batch once, in a
new random order each epoch when ``fit`` shuffles (its default), ``batch_size`` must be
``None`` and ``y``/``sample_weight`` belong in the batches.

``workers``, ``use_multiprocessing`` and ``max_queue_size`` are accepted and kept, as in
Keras, but convlayers reads the batches in the training process, one at a time: a
``__getitem__`` that is slow should prefetch itself (or become a ``torch.utils.data.Dataset``
behind a ``DataLoader`` with workers).

>>> import numpy as np
>>> class Squares(PyDataset):
...     def __len__(self): return 2
...     def __getitem__(self, index):
...         x = np.arange(3, dtype="float32")[:, None] + 3 * index
...         return x, x ** 2
>>> [batch[1].ravel().tolist() for batch in Squares()]
[[0.0, 1.0, 4.0], [9.0, 16.0, 25.0]]
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any, Iterator

__all__ = ["PyDataset", "Sequence"]


class PyDataset:
    """Base class of a dataset of batches by index (Keras's ``keras.utils.PyDataset``); see the module docs.

    Args:
        workers: how many workers Keras would read batches with (kept; convlayers reads in-process).
        use_multiprocessing: whether Keras would use processes for them (kept; see ``workers``).
        max_queue_size: how many batches Keras would read ahead (kept; see ``workers``).

    A subclass's ``__init__`` should call ``super().__init__(**kwargs)``; one that does not
    gets Keras's warning when these settings are read. ``num_batches`` is ``len(self)``;
    an infinite dataset overrides it to return ``None`` (then ``fit`` needs ``steps_per_epoch``).

    >>> class Ones(PyDataset):
    ...     def __init__(self, **kwargs):
    ...         super().__init__(**kwargs)
    ...     def __len__(self): return 3
    ...     def __getitem__(self, index): return [1.0, 1.0]
    >>> data = Ones(workers=4)
    >>> data.num_batches, data.workers, data.use_multiprocessing, data.max_queue_size
    (3, 4, False, 10)
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10) -> None:
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _warn_if_super_not_called(self) -> None:
        defaults = {"_workers": 1, "_use_multiprocessing": False, "_max_queue_size": 10}
        missing = [name for name in defaults if name not in self.__dict__]
        for name in missing:
            setattr(self, name, defaults[name])
        if missing:
            warnings.warn(
                "Your `PyDataset` class should call `super().__init__(**kwargs)` in its constructor. `**kwargs` can "
                "include `workers`, `use_multiprocessing`, `max_queue_size`. Do not pass these arguments to `fit()`, "
                "as they will be ignored.",
                stacklevel=3,
            )

    @property
    def workers(self) -> int:
        """The ``workers`` setting (convlayers reads batches in-process whatever its value)."""
        self._warn_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value: int) -> None:
        self._workers = value

    @property
    def use_multiprocessing(self) -> bool:
        """The ``use_multiprocessing`` setting (kept, as ``workers``)."""
        self._warn_if_super_not_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value: bool) -> None:
        self._use_multiprocessing = value

    @property
    def max_queue_size(self) -> int:
        """The ``max_queue_size`` setting (kept, as ``workers``)."""
        self._warn_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value: int) -> None:
        self._max_queue_size = value

    def __getitem__(self, index: int) -> Any:
        """The batch at position ``index``: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``."""
        raise NotImplementedError(f"{type(self).__name__} must implement `__getitem__(self, index)`, returning a batch.")

    @property
    def num_batches(self) -> int | None:
        """The number of batches (``len(self)``), or ``None`` for an infinite dataset."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__len__` (or the `num_batches` property, returning the number of "
            f"batches, or None when the dataset is infinite)."
        )

    def __iter__(self) -> Iterator[Any]:
        """Every batch in order (forever when ``num_batches`` is ``None``)."""
        try:
            indices: Any = range(self.num_batches) if self.num_batches is not None else itertools.count()
        except NotImplementedError:
            indices = itertools.count()
        for index in indices:
            yield self[index]

    def on_epoch_begin(self) -> None:
        """Called before each epoch's first batch (and before ``evaluate``/``predict`` read)."""

    def on_epoch_end(self) -> None:
        """Called after each epoch's last batch (shuffle your data here, for instance)."""


#: Keras 2's name for :class:`PyDataset`, kept by Keras 3.
Sequence = PyDataset
