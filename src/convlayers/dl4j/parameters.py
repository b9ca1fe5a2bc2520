"""DL4J's flat parameter vector (``params()``, ``coefficients.bin``, ``gradient()``): which slice is which weight.

DL4J keeps every parameter of a network in one row vector, layer after layer; each layer's
parameter initializer carves its slice into views. The order and layouts differ by kind
(checked against DL4J's own files, ``reference/dl4j.md`` section 8):

======================================  ==============================================================
kind                                    slice, in order (C order unless marked)
======================================  ==============================================================
ConvolutionLayer, Convolution1DLayer,   ``b [nOut]``, ``W [nOut, nIn, *kernel]``
Convolution3D
Deconvolution2D                         ``b [nOut]``, ``W [nIn, nOut, kH, kW]``
Deconvolution3D                         ``b [nOut]``, ``W [kD, kH, kW, nOut, nIn]``
DepthwiseConvolution2D                  ``b [nIn*dm]``, ``W [kH, kW, nIn, dm]``
SeparableConvolution2D                  ``b [nOut]``, ``W [dm, nIn, kH, kW]``, ``pW [nOut, nIn*dm, 1, 1]``
DenseLayer, OutputLayer                 ``W [nIn, nOut]`` **in F order**, then ``b [nOut]``
======================================  ==============================================================

``b`` is absent where ``hasBias`` is false; other kinds have no parameters. Biases are
returned 1-D (DL4J's ``[1, nOut]`` row view holds the same values).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from .saved_configuration import ConfigurationError, LayerRecord, NetworkDescription

__all__ = ["ParamSpec", "join_coefficients", "parameter_count", "parameter_layout", "split_coefficients"]

_CONVOLUTIONS = ("ConvolutionLayer", "Convolution1DLayer", "Convolution3D")
_DENSE = ("DenseLayer", "OutputLayer")


@dataclass(frozen=True)
class ParamSpec:
    """One parameter's place in the flat vector: its key, its DL4J shape, and the order its slice fills that shape.

    >>> ParamSpec("W", (3, 2), "f").size
    6
    """

    name: str
    shape: tuple[int, ...]
    order: str = "c"

    @property
    def size(self) -> int:
        """The number of values (the slice's length)."""
        return math.prod(self.shape)


def parameter_layout(layer: LayerRecord) -> tuple[ParamSpec, ...]:
    """The parameters of ``layer`` in DL4J's flat order (empty for layers without parameters).

    >>> parameter_layout(LayerRecord("ConvolutionLayer", n_in=1, n_out=4, kernel=(3, 3), has_bias=True))
    (ParamSpec(name='b', shape=(4,), order='c'), ParamSpec(name='W', shape=(4, 1, 3, 3), order='c'))
    >>> parameter_layout(LayerRecord("OutputLayer", n_in=9408, n_out=10, has_bias=True))
    (ParamSpec(name='W', shape=(9408, 10), order='f'), ParamSpec(name='b', shape=(10,), order='c'))
    """
    kind = layer.kind
    if kind not in _CONVOLUTIONS + _DENSE + (
        "Deconvolution2D", "Deconvolution3D", "DepthwiseConvolution2D", "SeparableConvolution2D"
    ):
        return ()
    n_in, has_bias = _needed(layer, "n_in"), layer.has_bias is not False  # unstored hasBias: DL4J's default, true
    if kind == "DepthwiseConvolution2D":  # nOut is nIn * depthMultiplier whatever the JSON says
        multiplier = _needed(layer, "depth_multiplier")
        bias = (ParamSpec("b", (n_in * multiplier,)),) if has_bias else ()
        return bias + (ParamSpec("W", (*_needed(layer, "kernel"), n_in, multiplier)),)
    n_out = _needed(layer, "n_out")
    bias = (ParamSpec("b", (n_out,)),) if has_bias else ()
    if kind in _DENSE:
        return (ParamSpec("W", (n_in, n_out), "f"),) + bias
    kernel = _needed(layer, "kernel")
    if kind in _CONVOLUTIONS:
        return bias + (ParamSpec("W", (n_out, n_in, *kernel)),)
    if kind == "Deconvolution2D":
        return bias + (ParamSpec("W", (n_in, n_out, *kernel)),)
    if kind == "Deconvolution3D":
        return bias + (ParamSpec("W", (*kernel, n_out, n_in)),)
    multiplier = _needed(layer, "depth_multiplier")
    return bias + (ParamSpec("W", (multiplier, n_in, *kernel)), ParamSpec("pW", (n_out, n_in * multiplier, 1, 1)))


def parameter_count(description: NetworkDescription) -> int:
    """The length of the network's flat parameter vector.

    >>> parameter_count(NetworkDescription((LayerRecord("DenseLayer", n_in=3, n_out=2, has_bias=True),), {}, "class-records"))
    8
    """
    return sum(spec.size for layer in description.layers for spec in parameter_layout(layer))


def split_coefficients(description: NetworkDescription, vector: Any) -> list[dict[str, np.ndarray]]:
    """The flat vector cut into each layer's parameters, in DL4J's layouts (see the module's table).

    Returns one dict per layer (empty for layers without parameters), keys in flat order,
    each array a copy of its slice shaped as DL4J shapes it. A vector of the wrong length
    is a ``ValueError`` saying how many values the layers need.

    >>> layers = (LayerRecord("DenseLayer", n_in=3, n_out=2, has_bias=True), LayerRecord("Upsampling2D", size=(2, 2)))
    >>> params = split_coefficients(NetworkDescription(layers, {}, "class-records"), np.arange(8.0))
    >>> params[0]["W"], params[0]["b"], params[1]
    (array([[0., 3.],
           [1., 4.],
           [2., 5.]]), array([6., 7.]), {})
    """
    vector = np.asarray(vector)
    count = parameter_count(description)
    if vector.size != count or vector.ndim > 2:
        raise ValueError(f"The network's layers have {count} parameters; the vector has shape {vector.shape}.")
    flat, at, layers = vector.reshape(-1), 0, []
    for layer in description.layers:
        params = {}
        for spec in parameter_layout(layer):
            params[spec.name] = flat[at : at + spec.size].reshape(spec.shape, order=spec.order.upper()).copy(order="C")
            at += spec.size
        layers.append(params)
    return layers


def join_coefficients(
    description: NetworkDescription, params: Sequence[Mapping[str, Any]], dtype: Any = None
) -> np.ndarray:
    """The flat vector of per-layer parameters in DL4J's layouts: the inverse of :func:`split_coefficients`.

    Args:
        description: the network.
        params: one mapping per layer, name -> array of exactly the shape :func:`parameter_layout` gives.
        dtype: of the result (default: the parameters' common type).

    >>> layers = (LayerRecord("DenseLayer", n_in=3, n_out=2, has_bias=True),)
    >>> description = NetworkDescription(layers, {}, "class-records")
    >>> join_coefficients(description, split_coefficients(description, np.arange(8.0)))
    array([0., 1., 2., 3., 4., 5., 6., 7.])
    """
    if len(params) != len(description.layers):
        raise ValueError(f"The network has {len(description.layers)} layers; received parameters for {len(params)}.")
    pieces = []
    for index, (layer, given) in enumerate(zip(description.layers, params)):
        specs = parameter_layout(layer)
        if set(given) != {spec.name for spec in specs}:
            raise ValueError(
                f"Layer {index} ({layer.kind}) has parameters {[spec.name for spec in specs]}; received {sorted(given)}."
            )
        for spec in specs:
            array = np.asarray(given[spec.name])
            if array.shape != spec.shape:
                raise ValueError(
                    f"Layer {index} ({layer.kind}) parameter {spec.name} has shape {spec.shape}; received {array.shape}."
                )
            pieces.append(array.ravel(order=spec.order.upper()))
    if not pieces:
        return np.zeros(0, dtype or np.float32)
    return np.concatenate(pieces).astype(dtype or np.result_type(*pieces), copy=False)


def _needed(layer: LayerRecord, attribute: str) -> Any:
    value = getattr(layer, attribute)
    if value is None:
        raise ConfigurationError(
            f"{layer.kind} {layer.name or ''}: its configuration has no {attribute}, which its parameters' shapes need."
        )
    return value
