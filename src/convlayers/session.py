"""Keras's ``clear_session``: forget the global state that naming and the dtype policy keep.

>>> import convlayers
>>> _ = convlayers.Conv2D(2, 3); clear_session()
>>> convlayers.Conv2D(2, 3).name
'conv2d'
"""

from __future__ import annotations

import gc

from . import mixed_precision
from .layers import base, symbolic

__all__ = ["clear_session"]


def clear_session(free_memory: bool = True) -> None:
    """Reset the automatic names (``conv2d``, ``conv2d_1``... start over) and the global dtype policy, as Keras does.

    Keras's ``clear_session`` drops all its global state: the name counters of layers,
    models and ``KerasTensor``s, and the policy :func:`~convlayers.mixed_precision.set_dtype_policy`
    set (back to ``"float32"``). Registered custom objects stay.

    Args:
        free_memory: also run Python's garbage collector (and empty torch's CUDA cache).

    >>> import convlayers
    >>> convlayers.mixed_precision.set_global_policy("mixed_float16"); clear_session(free_memory=False)
    >>> convlayers.mixed_precision.global_policy().name
    'float32'
    """
    base._name_counters.clear()
    symbolic.reset_tensor_ids()
    mixed_precision.set_global_policy("float32")
    if free_memory:
        gc.collect()
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
