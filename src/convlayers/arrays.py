"""NumPy arrays at the API's edge: what a NumPy caller may pass in, and what it gets back.

Layers and models take NumPy arrays (or anything ``np.asarray`` takes) and
return NumPy arrays. Every conversion goes through here, so the rules are one:
real numbers only (bool and integers are numbers; complex is refused rather
than silently losing its imaginary part), any strides (NumPy's negative-stride
views, such as ``x[:, ::-1]``, included), and outputs NumPy can hold
(bfloat16, which NumPy has no type for, comes back as float32, exactly).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def check_real(x: torch.Tensor, owner: str, argument: str = "inputs") -> None:
    """A ``TypeError`` if ``x`` is complex: the layers compute in real arithmetic.

    >>> check_real(torch.zeros(2, dtype=torch.complex64), "Conv2D 'conv'")
    Traceback (most recent call last):
    ...
    TypeError: Conv2D 'conv': `inputs` must be real numbers; received complex64 values. Pass the real part (x.real), or the real and imaginary parts as separate channels.
    """
    if x.is_complex():
        raise TypeError(
            f"{owner}: `{argument}` must be real numbers; received {str(x.dtype).removeprefix('torch.')} values. "
            f"Pass the real part (x.real), or the real and imaginary parts as separate channels."
        )


def to_tensor(value: Any, owner: str, argument: str = "inputs") -> torch.Tensor:
    """``value`` (an array, nested lists, a scalar) as a CPU tensor sharing its memory where it can.

    Raises ``TypeError`` naming ``owner`` for values that are not numbers
    (strings, objects). Complex numbers pass: layers that compute refuse them
    with :func:`check_real`, layers that only move values keep them.

    >>> to_tensor(np.arange(6.0).reshape(2, 3)[:, ::-1], "Flatten").tolist()  # a negative-stride view
    [[2.0, 1.0, 0.0], [5.0, 4.0, 3.0]]
    >>> to_tensor(["a", "b"], "Conv2D 'conv'")
    Traceback (most recent call last):
    ...
    TypeError: Conv2D 'conv': `inputs` must be numbers (a NumPy array, a torch tensor or nested lists of numbers); received an array of dtype <U1.
    """
    try:
        array = np.asarray(value)
    except ValueError as error:  # ragged nested lists
        raise TypeError(f"{owner}: `{argument}` must be a rectangular array of numbers ({error}).") from error
    if any(stride < 0 for stride in array.strides):  # torch cannot view memory walked backwards
        array = array.copy()
    try:
        if array.dtype.kind not in "biufc":
            raise TypeError(array.dtype)
        tensor = torch.as_tensor(array)
    except TypeError as error:  # strings, objects, and number types torch lacks (float128)
        raise TypeError(
            f"{owner}: `{argument}` must be numbers (a NumPy array, a torch tensor or nested lists of numbers); "
            f"received an array of dtype {array.dtype}."
        ) from error
    return tensor


def to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """A tensor's values as a NumPy array; bfloat16, which NumPy lacks, as float32 (every value exact).

    >>> to_numpy(torch.tensor([1.5, -2.0], dtype=torch.bfloat16)).dtype
    dtype('float32')
    """
    tensor = tensor.detach().cpu()
    if tensor.dtype == torch.bfloat16:
        tensor = tensor.float()
    return tensor.numpy()
