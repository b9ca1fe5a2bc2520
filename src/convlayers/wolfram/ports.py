"""Port dims in Wolfram's terms: channels first or interleaved (last), and ``"Varying"`` dims.

A port's dims are those of one example (no batch axis), with ``"Varying"``
for a dim whose length is only known at run time (reference A2.4); the core
writes that ``None``. With ``Interleaving -> False`` the channels come first
(``{c, d1, ..., dk}``), with ``True`` last (``{d1, ..., dk, c}``).

>>> split(("Varying", 5, 3), interleaving=True)
(3, (None, 5))
>>> join(2, (None, 4), interleaving=True)
('Varying', 4, 2)
"""

from __future__ import annotations

from numbers import Integral
from typing import Any, Sequence

VARYING = "Varying"
#: One example's dims, Wolfram's way (``"Varying"`` where unknown) or the core's (``None``).
Dims = tuple[Any, ...]


def to_core(dims: Sequence[Any]) -> tuple[int | None, ...]:
    """``"Varying"`` dims as ``None``."""
    return tuple(None if d == VARYING else int(d) for d in dims)


def to_wolfram(dims: Sequence[int | None]) -> Dims:
    """``None`` dims as ``"Varying"``."""
    return tuple(VARYING if d is None else int(d) for d in dims)


def normalize(dims: Any, owner: str) -> Dims:
    """A port spec: a list of positive integers, each possibly ``"Varying"``; a bare integer is a vector."""
    dims = (dims,) if isinstance(dims, Integral) else dims
    if not isinstance(dims, (list, tuple)) or not all(
        d == VARYING or (isinstance(d, Integral) and not isinstance(d, bool) and d > 0) for d in dims
    ):
        raise ValueError(
            f"{owner}: a port should be a list of positive integers or \"Varying\" (the dims of one example). "
            f"Received {dims!r}."
        )
    return tuple(d if d == VARYING else int(d) for d in dims)


def split(dims: Sequence[Any], interleaving: bool) -> tuple[int | None, tuple[int | None, ...]]:
    """``(channels, spatial dims)`` of a port, in the core's terms."""
    core = to_core(dims)
    return (core[-1], core[:-1]) if interleaving else (core[0], core[1:])


def join(channels: int | None, spatial: Sequence[int | None], interleaving: bool) -> Dims:
    """The inverse of :func:`split`, in Wolfram's terms."""
    dims = tuple(spatial) + (channels,) if interleaving else (channels,) + tuple(spatial)
    return to_wolfram(dims)


def times(dims: Sequence[Any]) -> str:
    """Dims as Wolfram prints them in messages: joined with ``×``.

    >>> times((5, 3))
    '5×3'
    """
    return "×".join(str(d) for d in dims)
