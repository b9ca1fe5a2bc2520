"""Keras 1's global settings: ``image_dim_ordering`` and the backend, as ``~/.keras/keras.json`` held them.

Keras 1 read ``{"image_dim_ordering": "tf", "backend": "tensorflow", ...}`` from
``keras.json``; layers with ``dim_ordering='default'`` take the ordering, and the
backend decides how convolutions compute: TensorFlow cross-correlates, Theano
truly convolves (kernels reversed) and places ``'same'`` padding its own way.
Here the settings are process-wide values with setters and a context manager;
each layer also takes ``backend=`` (beyond Keras 1) to fix its own.

>>> with settings(image_dim_ordering="th", backend="theano"):
...     image_dim_ordering(), backend()
('th', 'theano')
>>> image_dim_ordering(), backend()
('tf', 'tensorflow')
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

DIM_ORDERINGS = ("th", "tf")
BACKENDS = ("tensorflow", "theano")
_settings = {"image_dim_ordering": "tf", "backend": "tensorflow"}


def image_dim_ordering() -> str:
    """``'tf'`` (channels last; Keras 1.1-1.2's built-in default) or ``'th'`` (channels first)."""
    return _settings["image_dim_ordering"]


def backend() -> str:
    """``'tensorflow'`` (Keras 1's built-in default) or ``'theano'``."""
    return _settings["backend"]


def check_dim_ordering(value: Any, owner: str) -> str:
    """``'th'`` or ``'tf'``; ``'default'`` (or ``None``) is :func:`image_dim_ordering`."""
    if value in (None, "default"):
        return image_dim_ordering()
    if value not in DIM_ORDERINGS:
        raise ValueError(f"{owner}: dim_ordering must be in {{tf, th}} (or 'default'). Received dim_ordering={value!r}.")
    return value


def check_backend(value: Any, owner: str) -> str:
    """``'tensorflow'`` or ``'theano'``; ``None`` is :func:`backend`."""
    if value is None:
        return backend()
    if value not in BACKENDS:
        raise ValueError(f"{owner}: `backend` must be one of {BACKENDS}. Received backend={value!r}.")
    return value


def set_image_dim_ordering(value: str) -> None:
    """Set the ordering ``dim_ordering='default'`` means, as ``keras.backend.set_image_dim_ordering``."""
    if value not in DIM_ORDERINGS:
        raise ValueError(f"set_image_dim_ordering: expected one of {DIM_ORDERINGS}. Received {value!r}.")
    _settings["image_dim_ordering"] = value


def set_backend(value: str) -> None:
    """Set the backend Keras 1 layers compute as (``keras.json``'s ``"backend"``)."""
    _settings["backend"] = check_backend(value, "set_backend")


@contextmanager
def settings(*, image_dim_ordering: str | None = None, backend: str | None = None) -> Iterator[None]:
    """Use these settings inside the ``with`` block, then restore the previous ones."""
    saved = dict(_settings)
    try:
        if image_dim_ordering is not None:
            set_image_dim_ordering(image_dim_ordering)
        if backend is not None:
            set_backend(backend)
        yield
    finally:
        _settings.update(saved)
