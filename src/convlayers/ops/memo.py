"""Memoising the pure per-shape computations of the ops, in a way ``torch.compile`` traces quietly."""

from __future__ import annotations

import functools
from typing import Callable, TypeVar

import torch

F = TypeVar("F", bound=Callable)


def per_shape(maxsize: int) -> Callable[[F], F]:
    """``functools.lru_cache(maxsize)``, bypassed while ``torch.compile`` traces.

    Dynamo cannot use an ``lru_cache`` (it traces the function inside and warns
    that results might be stale); a traced graph computes the value once when
    it is built anyway. ``cache_info`` and ``cache_clear`` are the cache's.

    >>> @per_shape(8)
    ... def area(h: int, w: int) -> int:
    ...     return h * w
    >>> area(2, 3), area(2, 3), area.cache_info().hits
    (6, 6, 1)
    """

    def decorate(function: F) -> F:
        cached = functools.lru_cache(maxsize=maxsize)(function)

        @functools.wraps(function)
        def call(*args):  # type: ignore[no-untyped-def]
            return function(*args) if torch.compiler.is_compiling() else cached(*args)

        call.cache_info, call.cache_clear = cached.cache_info, cached.cache_clear  # type: ignore[attr-defined]
        return call  # type: ignore[return-value]

    return decorate
