"""Wolfram's functions on nets: ``NetInitialize``, ``NetExtract`` and ``Information``.

Nets are values in the Wolfram Language: ``NetInitialize`` returns an initialised
copy and leaves its argument as it was. Array paths are tuples: ``"Weights"`` (or
``("Weights",)``) in a layer, ``(i, "Weights")`` in a chain, ``i`` counting from 1.
Byte counts assume 4 bytes per element, as Wolfram's (float32); sizes are
decimal (``1.792 kB``).

>>> from convlayers.wolfram import ConvolutionLayer, Information
>>> layer = ConvolutionLayer(16, (3, 3), Input=(3, 32, 32))
>>> Information(layer, "ArraysTotalElementCount"), Information(layer, "ArraysTotalByteCount")
(448, 1792)
>>> Information(layer, "ArraysTotalSize")
'1.792 kB'
"""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any, Callable

import numpy as np

from .net import Net, Path

BYTES_PER_ELEMENT = 4


def NetInitialize(net: Net) -> Net:
    """A copy of ``net`` with every array that had no value initialised (explicit arrays are kept).

    >>> from convlayers.wolfram import ConvolutionLayer, NetExtract, NetInitialize
    >>> layer = ConvolutionLayer(2, 3, Biases=[1, 2], Input=(1, 5))
    >>> NetExtract(layer, "Weights") is None
    True
    >>> initialised = NetInitialize(layer)
    >>> NetExtract(initialised, "Weights").shape, NetExtract(initialised, "Biases").tolist()
    ((2, 1, 3), [1.0, 2.0])
    """
    copied = copy.deepcopy(net)
    for layer in _layers(copied):
        layer.initialize()
    return copied


def _layers(net: Net) -> list[Any]:
    return list(getattr(net, "layers", [net]))


def _parameter(layer: Any, name: str) -> Any:
    """A layer's parameter by Wolfram's internal name (reference A1.2)."""
    values: dict[str, Callable[[], Any]] = {
        "Input": lambda: layer.input_dims,
        "Output": lambda: layer.output_dims,
        "OutputChannels": lambda: layer.n,
        "KernelSize": lambda: layer.kernel,
        "Stride": lambda: layer.stride,
        "Dilation": lambda: layer.dilation,
        "PaddingSize": lambda: layer.resolved_padding(),
        "ChannelGroups": lambda: layer.channel_groups,
        "Dimensionality": lambda: layer.rank,
        "Interleaving": lambda: layer.interleaving,
    }
    if name in getattr(layer, "arrays", ()):
        return layer.array(name)
    if name in values:
        try:
            return values[name]()
        except AttributeError:
            pass
    raise ValueError(f"NetExtract: {layer.head} has no part named {name!r}.")


def NetExtract(net: Net, spec: Any) -> Any:
    """A part of ``net``: an array (``None`` while unspecified), a port's dims or a parameter.

    ``spec``: ``"Weights"``, ``"Biases"``, ``"Input"``, ``"Output"``, a parameter by its internal name
    (``"PaddingSize"`` resolved to ``((b, e), ...)``, ``"Stride"``...), an index ``i`` (a chain's
    ``i``-th layer, from 1), or a path ``(i, "Weights")``.

    >>> from convlayers.wolfram import ConvolutionLayer, NetExtract
    >>> NetExtract(ConvolutionLayer(2, 3, PaddingSize="Same", Stride=2, Input=(1, 8)), "PaddingSize")
    ((0, 1),)
    """
    path = spec if isinstance(spec, tuple) else (spec,)
    part: Any = net
    for key in path:
        if isinstance(key, int) and not isinstance(key, bool):
            layers = getattr(part, "layers", None)
            if layers is None or not 1 <= key <= len(layers):
                raise ValueError(f"NetExtract: {part.head} has no layer {key} (it has {len(layers or [])}).")
            part = layers[key - 1]
        elif key in ("Input", "Output") and hasattr(part, "layers"):
            part = part.input_dims if key == "Input" else part.output_dims
        else:
            part = _parameter(part, key)
    return part


# -- Information ----------------------------------------------------------------------------------
def _arrays(net: Net) -> dict[Path, np.ndarray | None]:
    return {path: layer.array(name) for path, layer, name in net.array_slots()}


def _array_dims(net: Net) -> dict[Path, tuple[int, ...] | None]:
    return {path: layer.array_dims(name) for path, layer, name in net.array_slots()}


def _count(dims: tuple[int, ...] | None) -> int | None:
    return None if dims is None else int(np.prod(dims, dtype=np.int64))


def _total(net: Net) -> int:
    counts = [_count(dims) for dims in _array_dims(net).values()]
    if None in counts:
        raise ValueError(f"Information: the arrays of {net.head} are not fully specified (give its \"Input\").")
    return sum(counts)  # type: ignore[arg-type]


def _size(byte_count: int) -> str:
    """Wolfram's ``Quantity`` of bytes, as text: bytes, kB, MB or GB (decimal)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if byte_count >= scale:
            return f"{byte_count / scale:g} {unit}"
    return f"{byte_count} bytes"


def _summary_graphic(net: Net) -> Any:
    if not hasattr(net, "layers"):
        raise ValueError("Information: can only produce a summary graphic for a NetChain or NetGraph object.")
    return net.summary()  # type: ignore[attr-defined]


_PROPERTIES: dict[str, Callable[[Net], Any]] = {
    "Arrays": _arrays,
    "ArraysList": lambda net: list(_arrays(net).values()),
    "ArraysCount": lambda net: len(_array_dims(net)),
    "ArraysDimensions": _array_dims,
    "ArraysElementCounts": lambda net: {path: _count(dims) for path, dims in _array_dims(net).items()},
    "ArraysByteCounts": lambda net: {path: _count(d) and _count(d) * BYTES_PER_ELEMENT for path, d in _array_dims(net).items()},
    "ArraysSizes": lambda net: {path: _size(_count(d) * BYTES_PER_ELEMENT) for path, d in _array_dims(net).items()},
    "ArraysTotalElementCount": _total,
    "ArraysTotalByteCount": lambda net: _total(net) * BYTES_PER_ELEMENT,
    "ArraysTotalSize": lambda net: _size(_total(net) * BYTES_PER_ELEMENT),
    "ArraysPositionList": lambda net: list(_array_dims(net)),
    "SharedArraysCount": lambda net: 0,
    "Layers": lambda net: {(i,) if hasattr(net, "layers") else (): layer for i, layer in enumerate(_layers(net), 1)},
    "LayersList": _layers,
    "LayersCount": lambda net: len(_layers(net)),
    "LayerTypeCounts": lambda net: dict(Counter(layer.head for layer in _layers(net))),
    "InputPorts": lambda net: {"Input": net.input_dims},
    "OutputPorts": lambda net: {"Output": net.output_dims},
    "InputPortNames": lambda net: ["Input"],
    "OutputPortNames": lambda net: ["Output"],
    "RecurrentStatesCount": lambda net: 0,
    "RecurrentStatesPositionList": lambda net: [],
    "SummaryGraphic": _summary_graphic,
}
_PANEL = ("LayersCount", "ArraysCount", "SharedArraysCount", "InputPortNames", "OutputPortNames",
          "ArraysTotalElementCount", "ArraysTotalSize")


def Information(net: Net, prop: str | None = None) -> Any:
    """Property ``prop`` of ``net`` (reference A5); with no property, the default panel's properties.

    ``"Properties"`` lists the properties. A ``"Varying"`` port dim reads ``"Varying"``.

    >>> from convlayers.wolfram import ConvolutionLayer, Information
    >>> layer = ConvolutionLayer(6, (3, 3), ChannelGroups=2, Biases=None, Input=(4, 32, 32))
    >>> Information(layer, "ArraysDimensions"), Information(layer, "InputPorts")
    ({('Weights',): (6, 2, 3, 3)}, {'Input': (4, 32, 32)})
    """
    if prop is None:
        return {name: _PROPERTIES[name](net) for name in _PANEL}
    if prop == "Properties":
        return sorted(_PROPERTIES) + ["Properties"]
    if prop not in _PROPERTIES:
        raise ValueError(f"Information: {prop!r} is not a known property. Known: {', '.join(sorted(_PROPERTIES))}.")
    return _PROPERTIES[prop](net)
