"""Zero padding (Keras's): :class:`~.padding.Padding` pinned to zeros; ``ZeroPadding1D``/``2D``/``3D`` pin the rank and Keras's default."""

from __future__ import annotations

from typing import Any

from ..geometry import PaddingLike
from .padding import Padding


class ZeroPadding(Padding):
    """Pad the spatial dims of N-d inputs with zeros (Keras ``ZeroPadding1D/2D/3D`` semantics).

    Args:
        padding: zeros to add at the beginning and end of each spatial dim: an
            int (every side), ``rank`` ints (both sides of each dim), or ``rank``
            items that are each an int or a ``(begin, end)`` pair, e.g.
            ``((1, 2), 3)``; the 1-D layer takes an int or one ``(begin, end)``
            pair. ``None`` gives the rank's Keras default (1 on every side).
            Negative values are refused here (Keras refuses a negative int only
            when called).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input ``(batch, *spatial, channels)`` (or channels first), of exactly rank
    ``rank + 2``; output ``(batch, *padded, channels)``; integer inputs keep
    their dtype and floating ones take the layer's, as Keras autocasts.
    """

    rank: int
    #: Keras's default ``padding`` for this rank.
    default_padding: PaddingLike

    def __init__(self, padding: PaddingLike | None = None, *, data_format: str | None = None, **kwargs: Any) -> None:
        value = self.default_padding if padding is None else padding
        super().__init__(value, data_format=data_format, **kwargs)

    def _config(self) -> dict[str, Any]:
        # Keras keeps ZeroPadding1D's padding as one flat (begin, end) pair.
        padding = self.padding[0] if self.rank == 1 else self.padding
        return {"padding": padding, "data_format": self.data_format}

    def extra_repr(self) -> str:
        return f"name={self.name!r}, padding={self.padding}, data_format={self.data_format!r}"


class ZeroPadding1D(ZeroPadding):
    """Pad the steps of ``(batch, steps, features)`` (Keras ``ZeroPadding1D``, default ``1``).

    >>> import numpy as np
    >>> ZeroPadding1D((1, 2))(np.ones((1, 2, 1), "int64")).ravel().tolist()
    [0, 1, 1, 0, 0]
    """

    rank = 1
    default_padding = 1


class ZeroPadding2D(ZeroPadding):
    """Pad rows and columns (Keras ``ZeroPadding2D``, default ``(1, 1)``); see :class:`ZeroPadding`.

    >>> import numpy as np
    >>> ZeroPadding2D(((1, 2), 3))(np.zeros((2, 5, 5, 3), "float32")).shape
    (2, 8, 11, 3)
    """

    rank = 2
    default_padding = (1, 1)


class ZeroPadding3D(ZeroPadding):
    """Pad depth, rows and columns (Keras ``ZeroPadding3D``, default 1 per side); see :class:`ZeroPadding`.

    >>> import numpy as np
    >>> ZeroPadding3D(data_format="channels_first")(np.zeros((1, 2, 4, 5, 6), "float32")).shape
    (1, 2, 6, 7, 8)
    """

    rank = 3
    default_padding = ((1, 1), (1, 1), (1, 1))
