"""Keras's per-weight options: ``<role>_initializer``, ``<role>_regularizer``, ``<role>_constraint``.

Keras gives each weight of a layer three options named after the weight's
role (``kernel`` and ``bias``; ``depthwise``, ``pointwise`` and ``bias`` for
separable convolutions). :class:`WeightOptions` canonicalises them all at
once, creates weights by role and writes them back into the config in Keras's
order, for the convolution families and ``Dense`` alike.
"""

from __future__ import annotations

from typing import Any

import torch

from .. import activations, constraints, initializers, regularizers
from .weights import WeightLayout

_OPTION_KINDS = (("initializer", initializers), ("regularizer", regularizers), ("constraint", constraints))


class WeightOptions:
    """Mixin for a :class:`~convlayers.layers.Layer` whose weights take Keras's per-role options.

    Subclasses list ``weight_roles`` in Keras's config order.
    """

    weight_roles: tuple[str, ...] = ("kernel", "bias")

    def _set_options(self, activation: Any, use_bias: Any, **roles: tuple[Any, Any, Any]) -> None:
        """Canonicalise ``activation``, ``use_bias`` and each role's (initializer, regularizer, constraint)."""
        self.activation = self.resolve_option(activations, "activation", activation)
        self.use_bias = bool(use_bias)
        for role in self.weight_roles:
            for (kind, registry), value in zip(_OPTION_KINDS, roles[role]):
                setattr(self, f"{role}_{kind}", self.resolve_option(registry, f"{role}_{kind}", value))
        self.register_parameter("bias", None)

    def _add_role_weight(
        self, role: str, name: str, keras_shape: tuple[int, ...], layout: WeightLayout = WeightLayout()
    ) -> torch.nn.Parameter:
        return self.add_weight(
            name,
            keras_shape,
            initializer=getattr(self, f"{role}_initializer"),
            layout=layout,
            regularizer=getattr(self, f"{role}_regularizer"),
            constraint=getattr(self, f"{role}_constraint"),
        )

    def _options_config(self, *, activity_regularizer: bool = True) -> dict[str, Any]:
        """``activation``, ``use_bias`` and every role's options, in Keras's key order.

        Keras's convolutions list ``activity_regularizer`` after the weight
        regularizers; its ``Dense`` does not list it at all.
        """
        config: dict[str, Any] = {"activation": activations.serialize(self.activation), "use_bias": self.use_bias}
        for kind, registry in _OPTION_KINDS:
            for role in self.weight_roles:
                config[f"{role}_{kind}"] = registry.serialize(getattr(self, f"{role}_{kind}"))
            if kind == "regularizer" and activity_regularizer:
                config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config
