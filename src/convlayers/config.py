"""Library-wide settings, in the spirit of ``keras.config``: TF32 for float32 on CUDA.

convlayers computes float32 exactly on every device. On NVIDIA GPUs since
Ampere, torch lets cuDNN run float32 convolutions in TF32 by default (inputs
rounded to a 10-bit mantissa, about 1e-3 relative error; on an H200, 105 of
1,064 Keras parity cases missed 1e-4, by up to 1.1e-3). So convlayers' own
convolutions and matrix products run with TF32 off, whatever torch's global
flags say, and leave those flags as they found them for the rest of the
program. :func:`enable_tf32` trades that accuracy for speed (tensor cores;
several times faster float32 convolutions), in convlayers' calls only. The
environment variable ``CONVLAYERS_TF32=1`` enables it at import.

The setting is process-wide, as Keras's are; it has no effect on CPUs, on
other dtypes (float16 and bfloat16 use tensor cores anyway), or inside
``torch.compile``, whose compiled code follows torch's own flags.

>>> from convlayers import config
>>> config.is_tf32_enabled()
False
>>> with config.tf32():
...     config.is_tf32_enabled()
True
>>> config.is_tf32_enabled()
False
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator

#: Whether float32 convolutions and matrix products on CUDA may use TF32 (read by ``convlayers.ops.precision``).
_tf32 = os.environ.get("CONVLAYERS_TF32", "").strip().lower() in ("1", "true", "yes", "on")


def enable_tf32() -> None:
    """Let convlayers' float32 convolutions and matrix products on CUDA use TF32: faster, ~1e-3 relative error.

    >>> from convlayers import config
    >>> config.enable_tf32(); config.is_tf32_enabled()
    True
    >>> config.disable_tf32()
    """
    global _tf32
    _tf32 = True


def disable_tf32() -> None:
    """Run convlayers' float32 convolutions and matrix products on CUDA in full float32 (the default).

    >>> from convlayers import config
    >>> config.disable_tf32(); config.is_tf32_enabled()
    False
    """
    global _tf32
    _tf32 = False


def is_tf32_enabled() -> bool:
    """Whether convlayers' float32 convolutions and matrix products on CUDA may use TF32.

    >>> from convlayers import config
    >>> config.is_tf32_enabled()
    False
    """
    return _tf32


@contextmanager
def tf32(enabled: bool = True) -> Iterator[None]:
    """Within the block, :func:`enable_tf32` (or, with ``enabled=False``, :func:`disable_tf32`); then as before.

    >>> from convlayers import config
    >>> with config.tf32(False):
    ...     config.is_tf32_enabled()
    False
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"convlayers.config.tf32: `enabled` must be True or False; received {enabled!r}.")
    global _tf32
    before, _tf32 = _tf32, enabled
    try:
        yield
    finally:
        _tf32 = before
