"""``ConvolutionMode`` as core padding rules, and DL4J's configuration-time checks and messages (reference 1).

=========  ==========================================  =====================================
mode       convolution, pooling                        deconvolution
=========  ==========================================  =====================================
Strict     ``Strict(p)`` (1-D layers: ``Truncate(p)``,  ``Explicit(p)``: no check (1.4)
           M1 does not enforce it there, 2.2)
Truncate   ``Truncate(p)``                              ``Explicit(p)``
Same       ``Same(max_unread=1)``: TF's split, DL4J's   ``'same'``: ``s * in``, the extra
           refusal of a negative top pad (1.3)          crop at the end
Causal     1-D layers only: ``Causal()``; pooling:        refused
           ``SameAtEnd()`` (not causal: 2.9, quirk 7)
=========  ==========================================  =====================================

>>> padding_rule(ConvolutionMode.Strict, (0, 0), rank=2, owner="ConvolutionLayer")
Strict(padding=(0, 0))
>>> padding_rule(ConvolutionMode.Causal, (0, 0), rank=2, owner="ConvolutionLayer")
Traceback (most recent call last):
...
convlayers.dl4j.errors.DL4JInvalidConfigException: ConvolutionLayer: Causal convolution mode can only be used with 1D convolutional neural network layers
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..geometry import Causal, Explicit, PaddingRule, Same, SameAtEnd, Strict, Truncate
from .enums import ConvolutionMode
from .errors import DL4JInvalidConfigException

#: DL4J's Same: TF's split, refusing the negative top pad a tail of two unread elements gives.
DL4J_SAME = Same(max_unread=1)
#: DL4J's Causal: a convolution pads ``(k-1)*d`` at the start; Subsampling1D's runtime pads nothing there (its
#: windows start at ``t*s`` and are clipped at the end, ``ceil(L/s)`` of them), so DL4J's pooling is not causal.
DL4J_CAUSAL = {"convolution": Causal(), "pooling": SameAtEnd()}
_DIMS = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def padding_rule(
    mode: ConvolutionMode, padding: Sequence[int], *, rank: int, owner: str, enforce_strict: bool = True,
    family: str = "convolution",
) -> PaddingRule:
    """The core rule of ``mode`` with the layer's symmetric ``padding``; ``enforce_strict=False`` where DL4J
    sizes Strict as Truncate (1-D layers in M1); ``family``: ``'convolution'`` or ``'pooling'`` (their Causal
    differs, :data:`DL4J_CAUSAL`).

    >>> padding_rule(ConvolutionMode.Causal, (0,), rank=1, owner="Subsampling1DLayer", family="pooling")
    SameAtEnd()
    """
    if mode is ConvolutionMode.Causal:
        if rank != 1:
            raise DL4JInvalidConfigException(
                f"{owner}: Causal convolution mode can only be used with 1D convolutional neural network layers"
            )
        return DL4J_CAUSAL[family]
    if mode is ConvolutionMode.Same:
        return DL4J_SAME
    if mode is ConvolutionMode.Strict and enforce_strict:
        return Strict(tuple(padding))
    return Truncate(tuple(padding))


def deconvolution_padding(mode: ConvolutionMode, padding: Sequence[int], *, owner: str) -> Any:
    """A deconvolution's core padding: ``'same'`` (output ``s * in``) or explicit crops ``p`` (``s(in-1)+eK-2p``)."""
    if mode is ConvolutionMode.Causal:
        raise DL4JInvalidConfigException(
            f"{owner}: Causal convolution mode can only be used with 1D convolutional neural network layers"
        )
    return "same" if mode is ConvolutionMode.Same else Explicit(tuple(padding))


def check_same_padding(mode: ConvolutionMode, padding: Sequence[int], owner: str) -> None:
    """``validateConvolutionModePadding``: a layer set to Same takes no padding of its own."""
    if mode is ConvolutionMode.Same and any(padding):
        raise DL4JInvalidConfigException(
            f"{owner}: Padding cannot be used when using the `same' convolution mode. Received padding={list(padding)}."
        )


def check_strict(
    sizes: Sequence[int | None], kernel: Sequence[int], strides: Sequence[int], dilation: Sequence[int],
    padding: Sequence[int], where: str,
) -> None:
    """DL4J's Strict refusal at ``setInputType`` (``InputTypeUtil``), with its message: the fractional size
    to 2 decimals and the Truncate and Same alternatives. ``where`` names the layer.

    >>> check_strict((3, 4), (3, 3), (2, 2), (1, 1), (0, 0), "layer 0 (ConvolutionLayer)")
    Traceback (most recent call last):
    ...
    convlayers.dl4j.errors.DL4JInvalidConfigException: Invalid input configuration for layer 0 (ConvolutionLayer) for width dimension: Combination of kernel size, stride and padding are not valid for given input width, using ConvolutionMode.Strict
    ConvolutionMode.Strict requires: output width = (input width - kernelSize + 2*padding)/stride + 1 to be an integer. Got: (4 - 3 + 2*0)/2 + 1 = 1.50
    To truncate/crop the input, such that output width = floor(1.50) = 1, use ConvolutionMode.Truncate.
    Alternatively use ConvolutionMode.Same, which will use padding to give an output width of ceil(4/2)=2
    """
    names = _DIMS[len(sizes)]
    for name, n, k, s, d, p in zip(names, sizes, kernel, strides, dilation, padding):
        span = k + (k - 1) * (d - 1)
        if n is None or (n - span + 2 * p) % s == 0:
            continue
        size = (n - span + 2 * p) / s + 1
        raise DL4JInvalidConfigException(
            f"Invalid input configuration for {where} for {name} dimension: Combination of kernel size, stride and "
            f"padding are not valid for given input {name}, using ConvolutionMode.Strict\n"
            f"ConvolutionMode.Strict requires: output {name} = (input {name} - kernelSize + 2*padding)/stride + 1 to be "
            f"an integer. Got: ({n} - {span} + 2*{p})/{s} + 1 = {size:.2f}\n"
            f"To truncate/crop the input, such that output {name} = floor({size:.2f}) = {math.floor(size)}, use "
            f"ConvolutionMode.Truncate.\n"
            f"Alternatively use ConvolutionMode.Same, which will use padding to give an output {name} of "
            f"ceil({n}/{s})={-(-n // s)}"
        )
