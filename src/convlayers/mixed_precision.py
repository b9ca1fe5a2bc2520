"""Keras 3's dtype policies (``keras.mixed_precision``): what dtype a layer stores and computes in.

A policy names two dtypes: the **variable** dtype the weights are stored in, and the
**compute** dtype the layer's inputs are cast to and its outputs come out in. The plain
policies (``"float32"``, ``"float64"``, ``"float16"``, ``"bfloat16"``) use one dtype for
both; the mixed ones keep float32 weights and compute in low precision:
``"mixed_bfloat16"`` (fast on CPUs with AVX-512-BF16 or AMX, and on recent GPUs) and
``"mixed_float16"`` (GPUs; ``fit`` scales the loss so float16 gradients do not underflow).

Every layer takes ``dtype=`` as a policy, a policy name, a ``torch.dtype`` or a Keras
policy config dict; ``dtype=None`` takes the global policy, set with
:func:`set_global_policy`, when the layer is made.

>>> import convlayers
>>> from convlayers import mixed_precision
>>> layer = convlayers.Dense(2, dtype="mixed_bfloat16")
>>> layer.variable_dtype, layer.compute_dtype
('float32', 'bfloat16')
>>> mixed_precision.set_global_policy("mixed_bfloat16")
>>> convlayers.Conv2D(4, 3).dtype_policy
<DTypePolicy "mixed_bfloat16">
>>> mixed_precision.set_global_policy("float32")
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = [
    "DTypePolicy",
    "POLICY_NAMES",
    "Policy",
    "dtype_policy",
    "get",
    "global_policy",
    "serialize",
    "set_dtype_policy",
    "set_global_policy",
]

_TORCH_DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
}
#: Policy name -> (variable dtype, compute dtype).
_POLICIES = {
    **{name: (name, name) for name in _TORCH_DTYPES},
    "mixed_float16": ("float32", "float16"),
    "mixed_bfloat16": ("float32", "bfloat16"),
}
#: Every policy name convlayers takes.
POLICY_NAMES: tuple[str, ...] = tuple(_POLICIES)
#: The ``class_name`` of a policy in a saved config: Keras 3 writes ``DTypePolicy`` (3.0-3.3:
#: ``FloatDTypePolicy``); tf.keras 2 writes ``Policy`` for its mixed-precision policies.
_CONFIG_CLASS_NAMES = frozenset({"DTypePolicy", "FloatDTypePolicy", "Policy"})


class DTypePolicy:
    """A dtype policy (Keras ``keras.mixed_precision.DTypePolicy``): variable and compute dtypes by name.

    Args:
        name: one of ``'float32'``, ``'float64'``, ``'float16'``, ``'bfloat16'``,
            ``'mixed_float16'``, ``'mixed_bfloat16'``; ``None`` is the global policy's name.

    ``name``, ``variable_dtype`` and ``compute_dtype`` are strings, as in Keras;
    ``variable_torch_dtype`` and ``compute_torch_dtype`` the same as ``torch.dtype``.

    >>> policy = DTypePolicy("mixed_float16")
    >>> policy.name, policy.variable_dtype, policy.compute_dtype, policy.compute_torch_dtype
    ('mixed_float16', 'float32', 'float16', torch.float16)
    >>> DTypePolicy("float8")
    Traceback (most recent call last):
    ...
    ValueError: DTypePolicy: invalid policy name; expected one of ['float32', 'float64', 'float16', 'bfloat16', 'mixed_float16', 'mixed_bfloat16']. Received name='float8'.
    """

    __slots__ = ("_name", "variable_torch_dtype", "compute_torch_dtype")

    def __init__(self, name: str | None = None) -> None:
        if name is None:
            name = global_policy().name
        if not isinstance(name, str) or name not in _POLICIES:
            raise ValueError(
                f"DTypePolicy: invalid policy name; expected one of {list(POLICY_NAMES)}. Received name={name!r}."
            )
        variable, compute = _POLICIES[name]
        self._name = name
        self.variable_torch_dtype = _TORCH_DTYPES[variable]
        self.compute_torch_dtype = _TORCH_DTYPES[compute]

    @property
    def name(self) -> str:
        return self._name

    @property
    def variable_dtype(self) -> str:
        """The weights' dtype, e.g. ``'float32'``."""
        return _POLICIES[self._name][0]

    @property
    def compute_dtype(self) -> str:
        """The dtype inputs are cast to and outputs come out in, e.g. ``'bfloat16'``."""
        return _POLICIES[self._name][1]

    @property
    def is_mixed(self) -> bool:
        """Whether the layer computes in another dtype than it stores its weights in."""
        return self.variable_torch_dtype != self.compute_torch_dtype

    def get_config(self) -> dict[str, Any]:
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "DTypePolicy":
        return cls(**config)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self._name)

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self._name}">'


#: Keras's other name for the class (``keras.mixed_precision.Policy``).
Policy = DTypePolicy

_global_policy = DTypePolicy("float32")


def global_policy() -> DTypePolicy:
    """The policy that layers made with ``dtype=None`` take (``'float32'`` unless set).

    >>> global_policy()
    <DTypePolicy "float32">
    """
    return _global_policy


def set_global_policy(policy: Any) -> None:
    """Set the policy layers made from now on with ``dtype=None`` take; existing layers keep theirs.

    ``policy``: a :class:`DTypePolicy`, a name, a ``torch.dtype`` or a Keras policy
    config dict; ``None`` restores ``'float32'``.

    >>> set_global_policy("mixed_bfloat16"); global_policy().compute_dtype
    'bfloat16'
    >>> set_global_policy(None); global_policy().name
    'float32'
    """
    global _global_policy
    _global_policy = DTypePolicy("float32") if policy is None else get(policy, "set_global_policy")


def get(identifier: Any, owner: str = "DTypePolicy") -> DTypePolicy:
    """The policy for a layer's ``dtype=`` argument; a ``ValueError`` naming ``owner`` otherwise.

    Takes ``None`` (the global policy), a :class:`DTypePolicy`, a policy name, a floating
    ``torch.dtype``, or a saved policy config as Keras 3 (``{"module": "keras", "class_name":
    "DTypePolicy", "config": {"name": ...}, "registered_name": None}``), Keras 3.0-3.3
    (``FloatDTypePolicy``) and tf.keras 2 (``Policy``) write it.

    >>> get(torch.bfloat16), get({"class_name": "Policy", "config": {"name": "mixed_float16"}})
    (<DTypePolicy "bfloat16">, <DTypePolicy "mixed_float16">)
    >>> get("int8", "Conv2D 'conv2d'")
    Traceback (most recent call last):
    ...
    ValueError: Conv2D 'conv2d': invalid `dtype`; expected a policy name (one of ['float32', 'float64', 'float16', 'bfloat16', 'mixed_float16', 'mixed_bfloat16']), a floating torch.dtype, a DTypePolicy or its Keras config dict. Received dtype='int8'.
    """
    if identifier is None:
        return _global_policy
    if isinstance(identifier, DTypePolicy):
        return identifier
    name: Any = identifier
    if isinstance(identifier, torch.dtype):
        name = str(identifier).removeprefix("torch.")
    elif isinstance(identifier, dict):
        config = identifier.get("config")
        if identifier.get("class_name") in _CONFIG_CLASS_NAMES and isinstance(config, dict):
            name = config.get("name")
    if isinstance(name, str) and name in _POLICIES:
        return DTypePolicy(name)
    raise ValueError(
        f"{owner}: invalid `dtype`; expected a policy name (one of {list(POLICY_NAMES)}), a floating torch.dtype, "
        f"a DTypePolicy or its Keras config dict. Received dtype={identifier!r}."
    )


def serialize(policy: DTypePolicy) -> dict[str, Any]:
    """The policy as Keras 3 writes it in a layer's config.

    >>> serialize(DTypePolicy("mixed_bfloat16"))["config"]
    {'name': 'mixed_bfloat16'}
    """
    return {"module": "keras", "class_name": "DTypePolicy", "config": policy.get_config(), "registered_name": None}


#: Keras 3's names of the global policy's getter and setter (``keras.mixed_precision.dtype_policy()``
#: and ``set_dtype_policy(policy)`` are ``global_policy`` and ``set_global_policy``).
dtype_policy = global_policy
set_dtype_policy = set_global_policy
