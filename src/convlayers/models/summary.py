"""Keras 3's ``model.summary()`` table, drawn as Keras draws it (rich's heavy-head box).

Column widths follow Keras and rich exactly: the columns get ``positions`` (default
``[0.45, 0.80, 1.0]``) of ``line_length`` (default ``min(88, terminal width - 4)``), each plus
one space of padding per side, and the 10 columns of overflow (padding and borders) are taken
back as rich's ``ratio_reduce`` does. Text too long for its cell wraps, as in rich.

Below the table: total, trainable and non-trainable parameter counts with their sizes in
bytes (``"136.04 KB"``, base 1024), and, once an optimizer holds state, its parameters, as
Keras prints them. (The optimizer count is torch's state tensors: for Adam two per weight
plus a step counter per weight, where Keras has two per weight plus two scalars.)
"""

from __future__ import annotations

import shutil
import textwrap
from typing import Any, Iterable, Sequence

import torch

HEADER = ("Layer (type)", "Output Shape", "Param #", "Connected to")
ALIGN = ("left", "left", "right", "left")


def readable_size(num_bytes: float) -> str:
    """Keras's ``readable_memory_size``: two decimals in B, KB, MB... (base 1024).

    >>> readable_size(0), readable_size(139304), readable_size(3 * 1024**3)
    ('0.00 B', '136.04 KB', '3.00 GB')
    """
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if num_bytes / 1024 < 1:
            return f"{num_bytes:.2f} {unit}"
        num_bytes /= 1024
    return f"{num_bytes:.2f} PB"


def column_widths(line_length: int, positions: Sequence[float]) -> list[int]:
    """The content width of each column, as Keras sizes them and rich then fits them.

    >>> column_widths(88, [0.45, 0.80, 1.0]), column_widths(76, [0.45, 0.80, 1.0])
    ([36, 27, 15], [31, 22, 13])
    """
    requested, current = [], 0
    for position in positions:
        width = int(position * line_length) - current
        if width < 4:
            raise ValueError(f"summary: insufficient console width to print the summary. Received line_length={line_length}.")
        requested.append(width)
        current += width
    # rich: each cell is its width plus 2 of padding; the table must fit line_length minus
    # its len + 1 borders, and the excess comes off the columns evenly (ratio_reduce).
    cells = [w + 2 for w in requested]
    excess = sum(cells) - (line_length - (len(cells) + 1))
    remaining, ratio, fitted = excess, len(cells), []
    for cell in cells:
        taken = min(cell, round(remaining / ratio)) if excess > 0 else 0
        fitted.append(cell - taken - 2)
        remaining -= taken
        ratio -= 1
    return fitted


def wrap_cell(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width``, as Keras's table (rich, overflow "ellipsis") lays out a cell.

    Lines break between words; a word longer than the width keeps a line of its own, cut
    to fit with an ellipsis.

    >>> wrap_cell("global_average_pooling2d[0][0], dense[0][0]", 17)
    ['global_average_p…', 'dense[0][0]']
    """
    lines = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]
    return [line if len(line) <= width else line[: width - 1] + "…" for line in lines]


def _row(cells: Sequence[str], widths: Sequence[int], edge: str) -> list[str]:
    wrapped = [wrap_cell(text, width) for text, width in zip(cells, widths)]
    lines = []
    for i in range(max(len(w) for w in wrapped)):
        parts = []
        for lines_of_cell, width, align in zip(wrapped, widths, ALIGN):
            text = lines_of_cell[i] if i < len(lines_of_cell) else ""
            parts.append(" " + (text.rjust(width) if align == "right" else text.ljust(width)) + " ")
        lines.append(edge + edge.join(parts) + edge)
    return lines


def _rule(widths: Sequence[int], left: str, fill: str, middle: str, right: str) -> str:
    return left + middle.join(fill * (w + 2) for w in widths) + right


def format_shape(shape: Any) -> str:
    """``(None, 26, 26, 32)``; ``?`` when unknown.

    >>> format_shape((None, 10)), format_shape(None)
    ('(None, 10)', '?')
    """
    return "?" if shape is None else "(" + ", ".join(str(d) for d in shape) + ")"


def _count(weights: Iterable[torch.Tensor]) -> tuple[int, int]:
    unique = {id(w): w for w in weights}.values()
    return sum(w.numel() for w in unique), sum(w.numel() * w.element_size() for w in unique)


def summary_row(layer: Any, shape: str | Any, connected: str | None = None) -> tuple[str, ...]:
    """A layer's cells: ``name (Class)``, its output shape (formatted, or a shape), its parameter count, and
    the "Connected to" cell when given.

    >>> from convlayers import Dense
    >>> layer = Dense(2, name="d")
    >>> summary_row(layer, (None, 2)), summary_row(layer, "(None, 2)", "x[0][0]")
    (('d (Dense)', '(None, 2)', '0 (unbuilt)'), ('d (Dense)', '(None, 2)', '0 (unbuilt)', 'x[0][0]'))
    """
    params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
    # A functional model is named "Functional", as Keras names its class.
    cells = (f"{layer.name} ({type(layer).__name__})", shape if isinstance(shape, str) else format_shape(shape), params)
    return cells if connected is None else cells + (connected,)


def summary_text(model: Any, line_length: int | None = None, positions: Sequence[float] | None = None) -> str:
    """The summary of a Sequential-like ``model`` (``name``, ``layers``, ``layer_output_shapes``...)."""
    rows = [summary_row(layer, shape) for layer, shape in zip(model.layers, model.layer_output_shapes)]
    return render_summary(model, rows, line_length, positions)


def render_summary(
    model: Any, rows: Sequence[tuple[str, ...]], line_length: int | None = None, positions: Sequence[float] | None = None
) -> str:
    """The table of ``rows`` (3 cells each, or 4 with Keras's "Connected to" column), then ``model``'s totals.

    With the fourth column, Keras's defaults are wider: 108 characters, positions
    ``[0.3, 0.56, 0.74, 1.0]``.
    """
    connected = bool(rows) and len(rows[0]) == 4
    default_length, default_positions = (108, [0.3, 0.56, 0.74, 1.0]) if connected else (88, [0.45, 0.80, 1.0])
    line_length = line_length or min(default_length, shutil.get_terminal_size().columns - 4)
    widths = column_widths(line_length, positions or default_positions)
    header = HEADER[: len(widths)]
    lines = [f'Model: "{model.name}"', _rule(widths, "┏", "━", "┳", "┓"), *_row(header, widths, "┃"), _rule(widths, "┡", "━", "╇", "┩")]
    rows = [_row(cells, widths, "│") for cells in rows]
    separator = _rule(widths, "├", "─", "┼", "┤")
    for i, row in enumerate(rows):
        lines += ([separator] if i else []) + row
    lines.append(_rule(widths, "└", "─", "┴", "┘"))

    trainable, trainable_bytes = _count(model.trainable_weights)
    frozen, frozen_bytes = _count(model.non_trainable_weights)
    optimizer = getattr(model, "optimizer", None)
    state = [t for s in optimizer.state.values() for t in s.values() if torch.is_tensor(t)] if optimizer is not None else []
    held, held_bytes = _count(state)
    lines.append(f" Total params: {trainable + frozen + held:,} ({readable_size(trainable_bytes + frozen_bytes + held_bytes)})")
    lines.append(f" Trainable params: {trainable:,} ({readable_size(trainable_bytes)})")
    lines.append(f" Non-trainable params: {frozen:,} ({readable_size(frozen_bytes)})")
    if state:
        lines.append(f" Optimizer params: {held:,} ({readable_size(held_bytes)})")
    return "\n".join(lines)
