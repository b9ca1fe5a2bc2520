"""Full float32 on CUDA for convlayers' own calls: TF32 off around them, torch's flags as they were afterwards.

torch decides whether a float32 kernel may use TF32 when it launches it, from
process-wide flags: ``torch.backends.cudnn.conv.fp32_precision`` for cuDNN's
convolutions (``'tf32'`` by default) and ``torch.backends.cuda.matmul.fp32_precision``
for cuBLAS (``'ieee'`` by default, ``'tf32'`` after
``torch.set_float32_matmul_precision('high')``). No per-call or thread-local switch
reaches Python (ATen's ``NoTF32Guard`` is C++ only), so :func:`full_float32` sets the
flags to ``'ieee'`` for the duration of a call and puts them back.

Putting them back exactly takes care: torch keeps a precision per (backend, op)
(``generic/all``, ``cuda/all``, ``cuda/conv``, ``cuda/matmul``, ...), a key left at
its default inherits from its parent (``cuda/conv`` from ``cuda/all`` from
``generic/all``), and the getters return the *resolved* value: writing back what a
getter said would pin an inheriting key, and a later
``torch.backends.fp32_precision = 'ieee'`` would no longer reach it. So
:func:`_ieee` sets the root (``generic/all``, whose getter gives its own value) to
``'ieee'``, then only the keys that still resolve otherwise (they hold a value of
their own, which their getter therefore gave), and :func:`_restore` writes the saved
values back in reverse. The legacy flags (``torch.backends.cudnn.allow_tf32``,
``torch.get_float32_matmul_precision()``) are never written; torch's kernels read
the per-op precision (``allowTF32CuDNN(CONV)``), not them.

Cost, measured on CPU (the flags are settable without a GPU; torch 2.13):
:func:`_ieee` plus :func:`_restore` 0.8 us (six C calls); for comparison
``torch.backends.cudnn.flags(allow_tf32=False)`` costs 7.4 us and also resets
``benchmark`` and ``deterministic`` inside it, and assigning
``torch.backends.cudnn.conv.fp32_precision`` through its property 1.5 us.

The backward pass runs later, on autograd's device thread, under whatever the
flags are then; so the convolution and matrix-product nodes a guarded call
created get a pre-hook that sets the flags and a hook that restores them
(1.5 us a registration, only when a gradient is being recorded). A depth count
under a lock keeps the flags at ``'ieee'`` while any guarded call (or node) runs,
from any thread, and restores them once, when the last one ends. Limits: a
backward node that raises (out of memory) skips its restoring hook, so the flags
stay ``'ieee'`` (exact, slower) for the rest of the process; a second-order
backward (``create_graph=True``) follows torch's flags; ``torch.compile`` follows
torch's flags (its graphs are built once, not per call).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Iterator

import torch

from .. import config
from .lowering import backend

_get = torch._C._get_fp32_precision_getter
_set = torch._C._set_fp32_precision_setter

#: The keys, root first, whose resolved precision must be ``'ieee'`` for exact float32 on CUDA.
_KEYS = (("generic", "all"), ("cuda", "all"), ("cuda", "conv"), ("cuda", "matmul"))

#: Names of the autograd nodes whose backward runs convolutions or matrix products (TF32-capable kernels).
_COMPUTING_NODES = ("Convolution", "CudnnConvolution", "Addmm", "Mm", "Bmm", "Baddbmm", "Addbmm", "Addmv", "Mv", "Linear")

_lock = threading.Lock()
_depth = 0
_saved: list[tuple[str, str, str]] = []


def _ieee() -> list[tuple[str, str, str]]:
    """Make every key of :data:`_KEYS` resolve to ``'ieee'``; returns what to write back, in order.

    >>> undo = _ieee()
    >>> torch.backends.cudnn.conv.fp32_precision, torch.backends.cuda.matmul.fp32_precision
    ('ieee', 'ieee')
    >>> _restore(undo); torch.backends.cudnn.conv.fp32_precision
    'tf32'
    """
    undo = []
    for library, op in _KEYS:
        value = _get(library, op)
        if value != "ieee":  # the root, or a key holding a value of its own (an inheriting one says 'ieee' by now)
            _set(library, op, "ieee")
            undo.append((library, op, value))
    return undo


def _restore(undo: list[tuple[str, str, str]]) -> None:
    """Write back what :func:`_ieee` changed, the last change first."""
    for library, op, value in reversed(undo):
        _set(library, op, value)


def enter() -> None:
    """Begin a span with TF32 off (nested and concurrent spans share one; the first one sets the flags).

    >>> enter(); torch.backends.cudnn.conv.fp32_precision
    'ieee'
    >>> leave(); torch.backends.cudnn.conv.fp32_precision
    'tf32'
    """
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = _ieee()
        _depth += 1


def leave() -> None:
    """End a span begun by :func:`enter`; the last one to end restores torch's flags."""
    global _depth, _saved
    with _lock:
        _depth -= 1
        if _depth == 0:
            _restore(_saved)
            _saved = []


@contextmanager
def span() -> Iterator[None]:
    """:func:`enter` and :func:`leave` around a block: TF32 off for torch's own calls in it (forward only).

    >>> with span():
    ...     torch.backends.cuda.matmul.fp32_precision
    'ieee'
    """
    enter()
    try:
        yield
    finally:
        leave()


def computing_nodes(y: torch.Tensor, inputs: tuple[object, ...]) -> list[torch.autograd.graph.Node]:
    """The autograd nodes between ``inputs`` and ``y`` whose backward runs convolutions or matrix products.

    The walk stops at the tensor inputs' own nodes (their history is not this call's); other
    arguments (an activation) are passed over.

    >>> w = torch.ones(3, 2, requires_grad=True)
    >>> [type(n).__name__ for n in computing_nodes(torch.nn.functional.linear(torch.ones(4, 2), w).relu(), (w,))]
    ['MmBackward0']
    """
    stop = {t.grad_fn for t in inputs if isinstance(t, torch.Tensor) and t.grad_fn is not None}
    found, seen, todo = [], set(), [y.grad_fn]
    while todo:
        node = todo.pop()
        if node is None or node in seen or node in stop:
            continue
        seen.add(node)
        if type(node).__name__.startswith(_COMPUTING_NODES):
            found.append(node)
        todo.extend(next_node for next_node, _ in node.next_functions)
    return found


def _pre_hook(grad_outputs: tuple[torch.Tensor | None, ...]) -> None:
    enter()


def _post_hook(grad_inputs: tuple[torch.Tensor | None, ...], grad_outputs: tuple[torch.Tensor | None, ...]) -> None:
    leave()


def full_float32(run: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    """``run`` (a call on float32 CUDA tensors) with TF32 off, forward and backward, unless TF32 is enabled.

    :func:`convlayers.config.enable_tf32` lets the call run under torch's own flags;
    so does ``torch.compile`` while it traces. The tensor arguments bound where the
    backward walk stops (:func:`computing_nodes`). The callers apply it only where
    the plan says so (:func:`~.lowering.backend`: CUDA, float32): elsewhere no kernel
    reads these flags and the call runs as it is.

    >>> seen = []
    >>> def conv(x, w):
    ...     seen.append(torch.backends.cudnn.conv.fp32_precision)
    ...     return torch.nn.functional.conv1d(x, w)
    >>> y = full_float32(conv)(torch.ones(1, 1, 4), torch.ones(1, 1, 2))
    >>> seen, torch.backends.cudnn.conv.fp32_precision
    (['ieee'], 'tf32')
    """

    def guarded(*args: object, **kwargs: object) -> torch.Tensor:
        if config._tf32 or torch.compiler.is_compiling():
            return run(*args, **kwargs)
        enter()
        try:
            y = run(*args, **kwargs)
        finally:
            leave()
        if y.grad_fn is not None:
            for node in computing_nodes(y, args + tuple(kwargs.values())):
                node.register_prehook(_pre_hook)
                node.register_hook(_post_hook)
        return y

    return guarded


def where_needed(device: str, dtype: torch.dtype, run: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
    """:func:`full_float32` of ``run`` where :func:`~.lowering.backend` says its kernels would use TF32, else ``run``.

    ``device`` is a device type; only CUDA float32 is guarded, so CPU calls run exactly as before.

    >>> step = lambda x: x @ x.T
    >>> where_needed("cpu", torch.float32, step) is step, where_needed("cuda", torch.float32, step) is step
    (True, False)
    """
    return full_float32(run) if backend(device, str(dtype).removeprefix("torch.")).full_float32 else run
