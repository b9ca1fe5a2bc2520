"""``compile(jit_compile=True)``: the training, test and prediction steps through ``torch.compile``.

What is compiled, per model:

- the training step's forward pass, the compiled loss and the regularization terms, and (by
  AOTAutograd) their backward pass. The optimizer step, the loss scaling of ``mixed_float16``
  and the constraints stay eager: a Keras optimizer object keeps Python-side state (its
  ``iterations``, schedules, EMA) that would guard and recompile every step, and eager they
  give the update bit for bit;
- the test step (forward, loss) and the prediction step (forward), each its own graph, in
  inference mode.

The metrics are updated eagerly from the step's detached outputs (they read floats, which
would break the graph). The first batch of each ``compile`` runs eagerly, as Keras resolves
the losses and metrics from it; the steps after it are compiled.

The numbers are eager's: random ops (``Dropout``) draw from torch's own generator
(inductor's ``fallback_random``), so a seed gives the same masks; the fused kernels may
round differently in the last bits of float32.

**Recompiles are bounded.** The batch size changes at the last, partial batch (and between
training and validation data). Each step uses torch's automatic dynamic shapes: the first
batch size compiles a static graph, the first *other* size one graph with a symbolic batch
dimension that serves every later size, so a step compiles at most three times (torch
specialises a batch of exactly 1). Padding the last batch to the full size was the other
way; it was not taken, as the padded rows would enter the loss, the metrics and the
statistics of ``BatchNormalization`` unless every one of them were masked.
A batch sliced from in-memory arrays is a view into them, at an offset that the symbolic
graph would guard on too (offsets 0 and 1 specialised, like sizes); the compiled steps are
given such batches as copies at offset 0 (:func:`unviewed`, a copy of one batch).
Each model's steps are compiled from their own copies of the step functions: dynamo keeps
its graphs and its recompile limit (8) per code object, and would otherwise share them with
every other model trained in the process.

On CUDA the steps also run as CUDA graphs (inductor's ``triton.cudagraphs``, torch's
``mode="reduce-overhead"``), which removes the launch overhead of many small kernels;
:meth:`CompiledSteps.step_begin` marks each step so that a graph's outputs are not
overwritten while still read. On the CPU there are no CUDA graphs.

``jit_compile="auto"`` (Keras's default) means eager, as in Keras 3's torch backend.
"""

from __future__ import annotations

import types
import weakref
from typing import Any, Callable

import torch

from . import nest


def resolve(jit_compile: Any, owner: str) -> bool:
    """Whether ``compile``'s ``jit_compile`` asks for compiled steps: ``True``, or ``False``/``"auto"`` (eager).

    >>> resolve("auto", "compile"), resolve(True, "compile")
    (False, True)
    >>> resolve("xla", "Sequential 'm'.compile()")
    Traceback (most recent call last):
    ...
    ValueError: Sequential 'm'.compile(): `jit_compile` must be True, False or 'auto'. Received: jit_compile='xla'.
    """
    if jit_compile == "auto":
        return False  # Keras 3's torch backend: "auto" is eager
    if isinstance(jit_compile, bool):
        return jit_compile
    raise ValueError(f"{owner}: `jit_compile` must be True, False or 'auto'. Received: jit_compile={jit_compile!r}.")


def unviewed(structure: Any) -> Any:
    """The tensors of a batch (a structure of them, ``None`` kept) with storage offset 0, copied where they are views at another.

    >>> whole = torch.arange(6.0)
    >>> [t.storage_offset() for t in unviewed([whole[:2], whole[2:]])]
    [0, 0]
    """
    return nest.map_structure(lambda t: t.clone() if isinstance(t, torch.Tensor) and t.storage_offset() else t, structure)


def _train_loss(model: Any, x: Any, y: Any, sample_weight: Any, owner: str, forward: Any) -> Any:
    return model._loss_on(x, y, sample_weight, owner, forward)


def _test_loss(model: Any, x: Any, y: Any, sample_weight: Any, owner: str, forward: Any) -> Any:
    return model._loss_on(x, y, sample_weight, owner, forward)


def _predict(model: Any, x: Any) -> Any:
    return model(x)


def _own_copy(function: Callable) -> Callable:
    """``function`` with a code object of its own, hence its own dynamo cache (see the module docs)."""
    return types.FunctionType(function.__code__.replace(), function.__globals__, function.__name__, function.__defaults__)


class CompiledSteps:
    """The compiled train, test and predict steps of one model on one kind of device.

    Each takes the model first: ``train(model, x, y, sample_weight, owner, forward)`` and
    ``test(...)`` return what ``model._loss_on`` returns; ``predict(model, x)`` the outputs.

    >>> steps = CompiledSteps(torch.device("cpu"))
    >>> steps.device_type, steps.cuda_graphs
    ('cpu', False)
    """

    def __init__(self, device: torch.device) -> None:
        self.device_type = device.type
        self.cuda_graphs = device.type == "cuda"
        # Eager's random numbers; on CUDA, CUDA graphs as mode="reduce-overhead" would (mode and
        # options cannot both be given).
        options: dict[str, Any] = {"fallback_random": True}
        if self.cuda_graphs:
            options["triton.cudagraphs"] = True
        self.train = torch.compile(_own_copy(_train_loss), options=options)
        self.test = torch.compile(_own_copy(_test_loss), options=options)
        self.predict = torch.compile(_own_copy(_predict), options=options)

    def step_begin(self) -> None:
        """Mark a new step: a CUDA graph may then reuse the memory of the previous step's outputs."""
        if self.cuda_graphs:
            torch.compiler.cudagraph_mark_step_begin()


# Kept beside the model rather than on it: compiled functions neither pickle nor deep-copy.
_STEPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def for_model(model: torch.nn.Module, device: torch.device) -> CompiledSteps:
    """The model's compiled steps for ``device``'s kind, made on first use.

    >>> model = torch.nn.Linear(1, 1)
    >>> for_model(model, torch.device("cpu")) is for_model(model, torch.device("cpu"))
    True
    """
    steps = _STEPS.get(model)
    if steps is None or steps.device_type != device.type:
        steps = _STEPS[model] = CompiledSteps(device)
    return steps


def forget(model: torch.nn.Module) -> None:
    """Drop the model's compiled steps (``compile`` does: a new loss means new graphs).

    >>> model = torch.nn.Linear(1, 1)
    >>> steps = for_model(model, torch.device("cpu")); forget(model)
    >>> for_model(model, torch.device("cpu")) is steps
    False
    """
    _STEPS.pop(model, None)
