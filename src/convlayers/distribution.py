"""Data-parallel training across processes: Keras 3's ``keras.distribution`` API on ``torch.distributed``.

Start one process per device with ``torchrun --nproc-per-node N script.py``; in the script,
``set_distribution(DataParallel())`` before ``fit``. Then ``fit``:

- initialises the process group from torchrun's variables if it is not already (``gloo``
  for a model on the CPU, ``nccl`` on CUDA; move each process's model to
  ``cuda:LOCAL_RANK`` first) and leaves it initialised;
- wraps the model in ``torch.nn.parallel.DistributedDataParallel`` for its training steps
  (the model object is unchanged; the wrapper broadcasts process 0's weights when made, so
  every process starts from them), which averages the gradients;
- reads the same global batches in every process (``batch_size`` is the **global** batch,
  as in Keras) and trains each process on its slice: ``numpy.array_split``'s, so a batch
  not divisible by the number of processes gives the first processes one sample more.
  Each process's loss is weighted by its share of the batch before the gradients are
  averaged, so the update is the one-process update on the whole batch (for Keras's
  losses, means over the samples); a process whose slice is empty (a last batch smaller
  than the number of processes) steps with a weight of zero on a stand-in sample;
- gathers every slice's outputs, targets, weights and losses for the metrics, so the
  logs (and ``History``) are the whole batch's, identical in every process, as callbacks
  such as ``EarlyStopping`` need;
- shows progress, and runs the saving callbacks (``ModelCheckpoint``, ``CSVLogger``,
  ``BackupAndRestore``), in process 0 only; a run restored by ``BackupAndRestore`` is
  sent from process 0 to the others (epoch, optimizer state; the weights by the wrapper);
- validates on the whole validation data in every process, unsharded: the same
  ``val_*`` logs everywhere without communication, at the cost of no speed-up there.
  ``evaluate`` and ``predict`` are not distributed either: each process computes all of it.

As in one process, ``shuffle`` draws from torch's global generator: seed every process
alike (``torch.manual_seed``) so that they read the same batches. Random layers
(``Dropout``) draw per process, and ``BatchNormalization`` normalises each slice with its
own statistics, so models with them train well but not bit for bit as in one process.
With one process (no torchrun, or ``--nproc-per-node 1``) ``fit`` trains as usual.
"""

from __future__ import annotations

import os
from typing import Any

import torch
import torch.distributed as dist

_DEVICE_TYPES = {"cpu": "cpu", "gpu": "cuda", "cuda": "cuda"}


def list_devices(device_type: str | None = None) -> list[str]:
    """This machine's devices of one kind, as torch names them (``"cuda:0"``, ``"cpu:0"``).

    Args:
        device_type: ``"cpu"``, or ``"gpu"``/``"cuda"``; ``None``: the GPUs if there are
            any, else the CPU (never a mix, as in Keras). The CPU counts as one device.

    >>> list_devices("cpu")
    ['cpu:0']
    """
    if device_type is None:
        device_type = "cuda" if torch.cuda.is_available() else "cpu"
    if not isinstance(device_type, str) or device_type.lower() not in _DEVICE_TYPES:
        raise ValueError(f"list_devices: `device_type` must be 'cpu', 'gpu' or 'cuda'. Received: device_type={device_type!r}.")
    kind = _DEVICE_TYPES[device_type.lower()]
    count = torch.cuda.device_count() if kind == "cuda" else 1
    return [f"{kind}:{index}" for index in range(count)]


class DataParallel:
    """Data parallelism: the model replicated in each process, each global batch split among them (module docs).

    Args:
        device_mesh: not supported (Keras's meshes place arrays on devices of one process;
            here the processes are torchrun's); must be ``None``.
        devices: the devices, as strings; :func:`list_devices` when ``None``. Informational:
            each process trains on its model's device.
        auto_shard_dataset: ``True`` (Keras's default): each process trains on its slice of
            every global batch. ``False``: the data is already split per process, and each
            process trains on all of its batches, and each process's loss counts equally.

    >>> strategy = DataParallel(devices=["cpu:0"])
    >>> strategy.devices, strategy.auto_shard_dataset
    (['cpu:0'], True)
    """

    def __init__(self, device_mesh: Any = None, devices: list[str] | None = None, auto_shard_dataset: bool = True) -> None:
        if device_mesh is not None:
            raise ValueError(
                "DataParallel: `device_mesh` is not supported; the processes are torchrun's (pass `devices` or nothing). "
                f"Received: device_mesh={device_mesh!r}."
            )
        if devices is not None and (isinstance(devices, str) or not all(isinstance(d, str) for d in devices)):
            raise TypeError(f"DataParallel: `devices` must be a list of device strings such as 'cuda:0'. Received: devices={devices!r}.")
        self.devices = list(devices) if devices else list_devices()
        self.auto_shard_dataset = bool(auto_shard_dataset)

    def __repr__(self) -> str:
        return f"DataParallel(devices={self.devices!r}, auto_shard_dataset={self.auto_shard_dataset})"


_current: DataParallel | None = None


def set_distribution(value: DataParallel | None) -> None:
    """Make ``value`` the distribution ``fit`` uses (``None``: none).

    >>> set_distribution(DataParallel()); distribution()
    DataParallel(devices=['cpu:0'], auto_shard_dataset=True)
    >>> set_distribution(None)
    """
    global _current
    if value is not None and not isinstance(value, DataParallel):
        raise TypeError(f"set_distribution: expected a DataParallel or None. Received: {value!r} of type {type(value).__name__}.")
    _current = value


def distribution() -> DataParallel | None:
    """The distribution set by :func:`set_distribution` (``None`` when none).

    >>> distribution() is None
    True
    """
    return _current


def world_size() -> int:
    """The number of processes: the process group's, else torchrun's ``WORLD_SIZE``, else 1.

    >>> world_size()
    1
    """
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return int(os.environ.get("WORLD_SIZE", "1"))


def shard_bounds(batch_size: int, rank: int, world: int) -> tuple[int, int]:
    """``[begin, end)`` of process ``rank``'s slice of a global batch (``numpy.array_split``'s).

    >>> [shard_bounds(7, rank, 2) for rank in range(2)], [shard_bounds(1, rank, 2) for rank in range(2)]
    ([(0, 4), (4, 7)], [(0, 1), (1, 1)])
    """
    base, extra = divmod(batch_size, world)
    begin = rank * base + min(rank, extra)
    return begin, begin + base + (rank < extra)


def _saving_callback(callback: Any) -> bool:
    from .models.callbacks import ModelCheckpoint
    from .models.run_callbacks import BackupAndRestore, CSVLogger

    return isinstance(callback, (ModelCheckpoint, CSVLogger, BackupAndRestore))


def _slice(structure: Any, begin: int, end: int) -> Any:
    from .models import nest

    return nest.map_structure(lambda t: t[begin:end] if isinstance(t, torch.Tensor) else t, structure)


class ParallelFit:
    """One ``fit`` across the processes: the wrapped model, the slices, the gathered logs (module docs).

    Made by :func:`parallel_fit`; ``fit`` calls it at each step.
    """

    def __init__(self, model: torch.nn.Module, strategy: DataParallel) -> None:
        self.model = model
        self.strategy = strategy
        self.rank = dist.get_rank()
        self.world = dist.get_world_size()
        self._wrapped: torch.nn.parallel.DistributedDataParallel | None = None
        self.share = 1.0

    # -- set-up ---------------------------------------------------------------------------
    def callbacks(self, callbacks: list[Any]) -> list[Any]:
        """The callbacks this process runs: all in process 0, all but the saving ones elsewhere."""
        return list(callbacks) if self.rank == 0 else [c for c in callbacks if not _saving_callback(c)]

    def verbose(self, verbose: int) -> int:
        return verbose if self.rank == 0 else 0

    def start(self, initial_epoch: int, callbacks: list[Any]) -> int:
        """After ``on_train_begin``: process 0's starting epoch (and, with a ``BackupAndRestore``, its optimizer state) for every process."""
        from .models.run_callbacks import BackupAndRestore

        restored = any(isinstance(c, BackupAndRestore) for c in callbacks)
        box = [initial_epoch]
        dist.broadcast_object_list(box, src=0)
        optimizer = getattr(self.model, "optimizer", None)
        if restored and optimizer is not None:
            state = [optimizer.state_dict() if self.rank == 0 else None]
            dist.broadcast_object_list(state, src=0)
            if self.rank != 0:
                optimizer.load_state_dict(state[0])
        return box[0]

    def forward(self) -> torch.nn.parallel.DistributedDataParallel:
        """The model wrapped for gradient averaging (made at the first step, once the model is built)."""
        if self._wrapped is None:
            device = next(self.model.parameters()).device
            device_ids = [device.index] if device.type == "cuda" else None
            self._wrapped = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=device_ids)
        return self._wrapped

    # -- each step ------------------------------------------------------------------------
    def slice(self, batch: tuple[Any, Any, Any]) -> tuple[Any, Any, Any]:
        """This process's slice of a global batch ``(x, y, sample_weight)``; sets the weight of its loss."""
        from .models import nest

        if not self.strategy.auto_shard_dataset:
            self.share = 1.0
            return batch
        total = len(nest.flatten(batch[0])[0])
        begin, end = shard_bounds(total, self.rank, self.world)
        # Weighted by the slice's share of the batch; the average over processes is then the batch's mean.
        self.share = (end - begin) * self.world / total
        if begin == end:  # an empty slice: a stand-in sample, weighted zero, keeps the collective backward
            begin, end = 0, 1
        return tuple(_slice(part, begin, end) if part is not None else None for part in batch)  # type: ignore[return-value]

    def scaled(self, loss: torch.Tensor) -> torch.Tensor:
        """The loss to differentiate: weighted by this process's share (see :meth:`slice`)."""
        return loss * self.share

    def gathered(self, loss: torch.Tensor, step: Any) -> tuple[torch.Tensor, Any]:
        """The whole batch's loss and metric inputs, from every process's slice (process order)."""
        mine = None
        if self.share > 0:
            detach = lambda t: t.detach().cpu() if isinstance(t, torch.Tensor) else t  # noqa: E731
            mine = (
                step.batch_size,
                float(loss.detach()),
                [float(v) for v in step.loss_values],
                [detach(t) for t in step.y_true],
                [detach(t) for t in step.y_pred],
                [detach(t) for t in step.sample_weight],
            )
        every = [None] * self.world
        dist.all_gather_object(every, mine)
        parts = [part for part in every if part is not None]
        total = sum(part[0] for part in parts)
        # Each slice's loss is a mean over its samples: the batch's is their size-weighted mean.
        batch_loss = sum(part[0] * part[1] for part in parts) / total
        values = [sum(part[0] * part[2][i] for part in parts) / total for i in range(len(parts[0][2]))]
        device = loss.device
        columns = [[_concatenated([part[k][i] for part in parts], device) for i in range(len(parts[0][k]))] for k in (3, 4, 5)]
        whole = type(step)(total, *columns, [torch.tensor(v) for v in values])
        return torch.tensor(batch_loss, dtype=loss.dtype), whole

    def finish(self) -> None:
        self._wrapped = None  # the process group stays, for later fits


def _concatenated(pieces: list[Any], device: torch.device) -> Any:
    if any(piece is None for piece in pieces):
        return None
    return torch.cat(pieces).to(device)


def parallel_fit(model: torch.nn.Module) -> ParallelFit | None:
    """The data-parallel run for this ``fit``: with a :class:`DataParallel` set and more than one process, else ``None``.

    Initialises the process group from torchrun's environment when it is not already.

    >>> parallel_fit(torch.nn.Linear(1, 1)) is None  # no distribution set
    True
    """
    strategy = distribution()
    if strategy is None or world_size() < 2:
        return None
    if not dist.is_initialized():
        parameter = next(iter(model.parameters()), None)
        on_cuda = parameter is not None and parameter.device.type == "cuda"
        dist.init_process_group("nccl" if on_cuda else "gloo")
    return ParallelFit(model, strategy)


__all__ = ["DataParallel", "distribution", "list_devices", "set_distribution"]
