"""Keras 3 activations by name, as callables on torch tensors.

Every name of ``keras.activations`` (Keras 3.15) is accepted, case-sensitively, with Keras's
defaults: ``leaky_relu`` slope 0.2, ``elu``/``celu`` alpha 1, exact (erf) ``gelu``,
``hard_sigmoid = relu6(x + 3) / 6``, ``hard_shrink``/``soft_shrink`` threshold 0.5,
``squareplus`` b 4. ``softmax``, ``log_softmax``, ``glu`` and ``sparsemax`` work along the last
axis, as Keras applies them; ``glu`` halves that axis. ``threshold`` needs two arguments Keras
gives no default for, so, as in Keras, a layer can name it but calling it fails.

``sparsemax`` is the true projection onto the simplex. Keras 3.15 sums the cumulative sums of
the whole support where it needs only the last one, so its outputs do not sum to 1 once two or
more entries are non-zero (keras-team/keras#23425, fixed upstream by #23469); this follows the fix.

>>> import torch
>>> get("leaky_relu")(torch.tensor([-1.0, 2.0]))
tensor([-0.2000,  2.0000])
>>> serialize("swish")
'silu'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from .registry import Registry

__all__ = ["Activation", "get", "register", "serialize"]


@dataclass(frozen=True)
class Activation:
    """A named activation: ``act(x)`` applies it, ``act.name`` is what Keras configs store.

    Args:
        name: the Keras name it serializes to.
        fn: the function, ``Tensor -> Tensor``.
        elementwise: ``True`` when each output element depends only on the same input element,
            so it may be applied in any layout; ``False`` when it works along the last axis, or
            is not known to be elementwise (the default, for user callables).

    >>> act = Activation("double", lambda x: 2 * x, elementwise=True)
    >>> act(torch.tensor([1.5]))
    tensor([3.])
    """

    name: str
    fn: Callable[[Tensor], Tensor]
    elementwise: bool = False

    def __call__(self, x: Tensor) -> Tensor:
        return self.fn(x)

    def get_config(self) -> dict[str, Any]:
        """``{"name": name}``: Keras stores an activation as its name."""
        return {"name": self.name}

    def __reduce__(self) -> Any:
        """A built-in pickles as its name (its function is a lambda), so layers and models pickle;
        other activations pickle as their parts, if their function can be."""
        if _BUILTINS.get(self.name) is self:
            return (get, (self.name,))
        return (Activation, (self.name, self.fn, self.elementwise))


def _glu(x: Tensor) -> Tensor:
    if x.shape[-1] % 2:
        raise ValueError(f"axis size must be divisible by 2. Received: x.shape={tuple(x.shape)} with axis=-1")
    return F.glu(x, dim=-1)


def _sparsemax(x: Tensor) -> Tensor:
    # Martins & Astudillo (2016): tau = (sum of the k largest - 1) / k over the support of size k.
    z = x.sort(dim=-1, descending=True).values
    k = torch.arange(1, x.shape[-1] + 1, dtype=x.dtype, device=x.device)
    cumsum = z.cumsum(dim=-1)
    support = (z - (cumsum - 1) / k) > 0
    size = support.sum(dim=-1, keepdim=True).clamp(min=1)
    tau = (cumsum.gather(-1, size - 1) - 1) / size.to(x.dtype)
    return torch.clamp(x - tau, min=0)


def _threshold(x: Tensor) -> Tensor:
    raise TypeError(
        "The 'threshold' activation needs `threshold` and `default_value`, which Keras gives no "
        "default for: keras.activations.threshold(x, threshold, default_value). Pass a callable "
        "instead, e.g. lambda x: torch.where(x > 0.5, x, -1.0)."
    )


_ELEMENTWISE: dict[str, Callable[[Tensor], Tensor]] = {
    "celu": lambda x: F.celu(x, alpha=1.0),
    "elu": lambda x: F.elu(x, alpha=1.0),
    "exponential": torch.exp,
    "gelu": lambda x: 0.5 * x * torch.special.erfc(-x * 0.7071067811865476),  # erf form, without its cancellation
    "hard_shrink": lambda x: F.hardshrink(x, lambd=0.5),
    "hard_sigmoid": lambda x: F.relu6(x + 3.0) / 6.0,
    "hard_silu": lambda x: x * (F.relu6(x + 3.0) / 6.0),
    "hard_tanh": lambda x: F.hardtanh(x, -1.0, 1.0),
    "leaky_relu": lambda x: F.leaky_relu(x, negative_slope=0.2),
    "linear": lambda x: x,
    "log_sigmoid": F.logsigmoid,
    "mish": lambda x: x * torch.tanh(F.softplus(x)),
    "relu": F.relu,
    "relu6": F.relu6,
    "selu": F.selu,
    "sigmoid": torch.sigmoid,
    "silu": F.silu,
    "soft_shrink": lambda x: F.softshrink(x, lambd=0.5),
    "softplus": F.softplus,
    "softsign": F.softsign,
    "sparse_plus": lambda x: torch.where(x <= -1.0, 0.0, torch.where(x >= 1.0, x, (x + 1.0) ** 2 / 4.0)),
    "sparse_sigmoid": lambda x: 0.5 * torch.clamp(x + 1.0, 0.0, 2.0),
    "squareplus": lambda x: (x + torch.sqrt(x * x + 4.0)) / 2.0,
    "tanh": torch.tanh,
    "tanh_shrink": lambda x: x - torch.tanh(x),
    "threshold": _threshold,
}
_ALONG_LAST_AXIS: dict[str, Callable[[Tensor], Tensor]] = {
    "glu": _glu,
    "log_softmax": lambda x: F.log_softmax(x, dim=-1),
    "softmax": lambda x: F.softmax(x, dim=-1),
    "sparsemax": _sparsemax,
}
_ALIASES = {"swish": "silu", "hard_swish": "hard_silu"}

_BUILTINS = {name: Activation(name, fn, elementwise=True) for name, fn in _ELEMENTWISE.items()}
_BUILTINS |= {name: Activation(name, fn, elementwise=False) for name, fn in _ALONG_LAST_AXIS.items()}
_BUILTINS |= {alias: _BUILTINS[name] for alias, name in _ALIASES.items()}
_REGISTRY: Registry[Activation] = Registry("activation", "keras.activations", Activation, _BUILTINS, Activation)

# Keras's activation functions by their names (``activations.relu(x)``), with Keras's defaults.
globals().update(_BUILTINS)
__all__ += sorted(_BUILTINS)


def get(identifier: Any) -> Activation:
    """The activation for ``identifier``: ``None`` (linear), a Keras name, a config, or a callable.

    >>> get(None).name, get("relu").elementwise, get("softmax").elementwise
    ('linear', True, False)
    """
    return _BUILTINS["linear"] if identifier is None else _REGISTRY.get(identifier)


def serialize(identifier: Any) -> str:
    """The name Keras stores for an activation (``"swish"`` is stored as ``"silu"``).

    >>> serialize(None), serialize(get("hard_swish"))
    ('linear', 'hard_silu')
    """
    return get(identifier).name


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Activation:
    """Keras's ``deserialize``: the activation a name or a :func:`serialize`'d dict describes (Keras stores activations by name).

    ``custom_objects`` (``{name: class or function}``) is looked up before the built-in names.

    >>> deserialize("relu").name, deserialize({"class_name": "function", "config": "swish"}).name
    ('relu', 'silu')
    """
    return _REGISTRY.deserialize(config, custom_objects)


def register(name: str, fn: Callable[[Tensor], Tensor] | Activation) -> None:
    """Make ``get(name)`` return ``fn``, so configs naming a custom activation load.

    A plain callable is registered as not elementwise; register an ``Activation`` to say it is.

    >>> register("doubled", Activation("doubled", lambda x: 2 * x, elementwise=True))
    >>> get("doubled")(torch.tensor([2.0]))
    tensor([4.])
    """
    _REGISTRY.register(name, fn)
