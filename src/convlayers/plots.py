"""PNG plots of training histories and of convolution kernels (matplotlib's Agg backend, no screen).

Figures are drawn on an explicit Agg canvas, not through ``pyplot``: no window,
no global backend switch, and no figure left open in a global registry.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .io.container import PathLike, as_path

_VALIDATION_PREFIX = "val_"


def plot_history(history: Any, path: PathLike, *, title: str = "Training history") -> Path:
    """Plot loss and every metric per epoch, training and validation curves, to a PNG.

    Args:
        history: a ``History`` (from ``fit``) or its ``history`` dict: metric name ->
            one value per epoch; ``val_``-prefixed names are the validation curves.
        path: the PNG file to write (its directory must exist).
        title: the figure title.

    Returns the path written. One panel per metric (``loss`` first), epochs on
    the x axis.

    >>> import tempfile
    >>> log = {"loss": [1.0, 0.5, 0.3], "accuracy": [0.6, 0.8, 0.9], "val_loss": [1.1, 0.7, 0.5]}
    >>> with tempfile.TemporaryDirectory() as d:
    ...     plot_history(log, f"{d}/history.png").stat().st_size > 0
    True
    """
    curves = _history_dict(history)
    names = _metric_names(curves)
    figure = Figure(figsize=(4.5 * len(names), 3.8), layout="constrained")
    for index, name in enumerate(names):
        axes = figure.add_subplot(1, len(names), index + 1)
        for key, label, style in ((name, "training", "o-"), (_VALIDATION_PREFIX + name, "validation", "s--")):
            if key in curves:
                values = curves[key]
                axes.plot(range(1, len(values) + 1), values, style, label=label, markersize=4)
        axes.set_title(name.replace("_", " "))
        axes.set_xlabel("epoch")
        axes.set_ylabel(name)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
        axes.legend()
    figure.suptitle(title)
    return _save(figure, path)


def plot_kernels(layer_or_model: Any, path: PathLike, *, max_filters: int = 64, max_channels: int = 8) -> Path:
    """Draw the first convolution layer's kernels as a grid of tiles, to a PNG.

    One tile per filter; with several input channels, one row per input channel.
    Every tile shares one colour scale, symmetric about zero, so tiles compare.

    Args:
        layer_or_model: a built 1-D or 2-D convolution layer, or a model (anything
            with ``layers``) whose first such layer is drawn.
        path: the PNG file to write (its directory must exist).
        max_filters, max_channels: draw at most this many filters and input channels.

    >>> import tempfile, convlayers
    >>> layer = convlayers.Conv2D(6, 3)
    >>> layer.build((None, 8, 8, 2))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     plot_kernels(layer, f"{d}/kernels.png").stat().st_size > 0
    True
    """
    for argument, value in (("max_filters", max_filters), ("max_channels", max_channels)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"plot_kernels: `{argument}` must be a positive int. Received {argument}={value!r}.")
    layer = _first_conv_layer(layer_or_model)
    kernel = layer.get_weights()[0]  # Keras layout: kernel_size + (input channels, filters)
    title = _kernel_title(layer, kernel.shape, min(kernel.shape[-2], max_channels), min(kernel.shape[-1], max_filters))
    if kernel.ndim == 3:  # a 1-D kernel (k, in, out) becomes a one-row image
        kernel = kernel[np.newaxis]
    in_channels, filters = kernel.shape[-2:]
    shown_in, shown_out = min(in_channels, max_channels), min(filters, max_filters)
    tiles = [[kernel[:, :, c, f] for f in range(shown_out)] for c in range(shown_in)]
    limit = float(np.abs(kernel[:, :, :shown_in, :shown_out]).max()) or 1.0
    if shown_in == 1:  # one channel: wrap the filters into a near-square grid
        columns = math.ceil(math.sqrt(shown_out))
        rows = math.ceil(shown_out / columns)
        cells = [(f // columns, f % columns, 0, f, f"filter {f}") for f in range(shown_out)]
    else:
        rows, columns = shown_in, shown_out
        cells = [(c, f, c, f, f"f{f} / in {c}") for c in range(shown_in) for f in range(shown_out)]
    tile_height = 1.3 if kernel.shape[0] > 1 else 0.6  # 1-D kernels are one pixel tall
    figure = Figure(figsize=(1.3 * columns + 1.2, tile_height * rows + 0.9), layout="constrained")
    grid = figure.subplots(rows, columns, squeeze=False)
    for axes in grid.flat:
        axes.set_axis_off()
    for row, column, c, f, label in cells:
        axes = grid[row, column]
        image = axes.imshow(tiles[c][f], cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        axes.set_title(label, fontsize=8)
    figure.colorbar(image, ax=grid.ravel().tolist(), shrink=0.8, label="weight")
    figure.suptitle(title)
    return _save(figure, path)


def _kernel_title(layer: Any, shape: tuple[int, ...], shown_in: int, shown_out: int) -> str:
    size = "x".join(str(s) for s in shape[:-2])
    in_channels, filters = shape[-2:]
    title = f"{type(layer).__name__} {layer.name!r}: {filters} kernels of {size}, {in_channels} input channel{'s' * (in_channels > 1)}"
    if (shown_in, shown_out) != (in_channels, filters):
        title += f"\n(showing {shown_out} filters x {shown_in} channels)"
    return title


def _first_conv_layer(layer_or_model: Any) -> Any:
    candidates = list(getattr(layer_or_model, "layers", [layer_or_model]))
    for layer in candidates:
        if getattr(layer, "rank", None) in (1, 2) and getattr(layer, "built", False) and layer.get_weights():
            return layer
    names = [type(layer).__name__ for layer in candidates]
    raise ValueError(
        f"plot_kernels needs a built 1-D or 2-D convolution layer, or a model containing one. "
        f"Received {type(layer_or_model).__name__} with layers {names}."
    )


def _history_dict(history: Any) -> dict[str, list[float]]:
    curves = getattr(history, "history", history)
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError(
            f"plot_history expects a History or a non-empty dict of metric name -> per-epoch values. "
            f"Received {type(history).__name__}: {history!r}."
        )
    for name, values in curves.items():
        if not isinstance(values, Sequence) or not values:
            raise ValueError(f"plot_history: metric {name!r} must be a non-empty list of per-epoch values. Received {values!r}.")
    return {name: [float(v) for v in values] for name, values in curves.items()}


def _metric_names(curves: Mapping[str, list[float]]) -> list[str]:
    names = dict.fromkeys(key.removeprefix(_VALIDATION_PREFIX) for key in curves)
    return sorted(names, key=lambda name: name != "loss")  # stable: loss first, then as logged


def _save(figure: Figure, path: PathLike) -> Path:
    target = as_path(path)
    if not target.parent.is_dir():
        raise FileNotFoundError(f"Cannot write the plot to '{target}': the directory '{target.parent}' does not exist.")
    FigureCanvasAgg(figure).print_png(target)
    return target
