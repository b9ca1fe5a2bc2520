"""Keras's ``keras.utils.Progbar`` over convlayers' progress bar (tqdm on stdout).

>>> bar = Progbar(4, verbose=0)
>>> bar.update(2, values=[("loss", 1.0)]); bar.update(4, values=[("loss", 3.0)])
>>> bar.averages()
{'loss': 2.0}
"""

from __future__ import annotations

import sys
from typing import Any, Iterable

from .progress import format_logs, new_bar

__all__ = ["Progbar"]


class Progbar:
    """A progress bar with running averages of named values (Keras's API; convlayers' bar draws it).

    Args:
        target: the total number of steps (``None`` when unknown).
        width: Keras's bar width (kept; the bar takes its own).
        verbose: 1 a live bar, 2 one line when finished, 0 nothing.
        interval: Keras's minimum seconds between redraws (kept; tqdm limits its own).
        stateful_metrics: names whose value is shown as given instead of averaged over steps.
        unit_name: what a step is called.

    Each ``update(current, values)`` weighs a value by the steps since the last update, as
    Keras does, so a value per batch gives the average per step.

    >>> bar = Progbar(None, verbose=0, stateful_metrics=["acc"])
    >>> bar.add(1, [("acc", 0.5), ("loss", 4.0)]); bar.add(3, [("acc", 0.9), ("loss", 0.0)])
    >>> bar.averages()
    {'acc': 0.9, 'loss': 1.0}
    """

    def __init__(
        self,
        target: int | None,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: Iterable[str] | None = None,
        unit_name: str = "step",
    ) -> None:
        if verbose not in (0, 1, 2):
            raise ValueError(f"Progbar: `verbose` must be 0, 1 or 2. Received: verbose={verbose!r}.")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.stateful_metrics = set(stateful_metrics or ())
        self.unit_name = unit_name
        self._values: dict[str, list[float]] = {}
        self._seen_so_far = 0
        self._bar = new_bar(target) if verbose == 1 else None
        if self._bar is not None:
            self._bar.unit = unit_name

    def update(self, current: int, values: Iterable[tuple[str, float]] | None = None, finalize: bool | None = None) -> None:
        """Move to step ``current``, folding in ``values`` (``[(name, value), ...]``); ``finalize`` ends the bar.

        ``finalize`` defaults to reaching ``target``.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            value = float(value)
            if name in self.stateful_metrics:
                self._values[name] = [value, 1]
            else:
                steps = max(current - self._seen_so_far, 1)
                total, count = self._values.get(name, [0.0, 0])
                self._values[name] = [total + value * steps, count + steps]
        advanced = current - self._seen_so_far
        self._seen_so_far = current
        text = format_logs(self.averages())
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)
            self._bar.update(advanced)
            if finalize:
                self._bar.close()
                self._bar = None
        elif self.verbose == 2 and finalize:
            print(f"{current}/{self.target if self.target is not None else current} - {text}", file=sys.stdout, flush=True)

    def add(self, n: int, values: Iterable[tuple[str, float]] | None = None) -> None:
        """Advance ``n`` steps (``update(seen + n, values)``)."""
        self.update(self._seen_so_far + n, values)

    def averages(self) -> dict[str, float]:
        """Each value's running average (a stateful metric's last value)."""
        return {name: total / max(count, 1) for name, (total, count) in self._values.items()}
