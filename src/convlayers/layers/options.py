"""Weights a spec lists: created by role, with Keras's per-role options.

Keras gives each weight of a layer three options named after the weight's
role (``kernel`` and ``bias``; ``depthwise``, ``pointwise`` and ``bias`` for
separable convolutions). A family's spec holds them per role
(:class:`~.spec.RoleOptions`) and lists the weights for a given input
(:class:`~.spec.WeightSpec`); :class:`SpecWeights` creates them, for the
convolution families and ``Dense`` alike.
"""

from __future__ import annotations

from typing import Any, Iterable

from .spec import WeightSpec


class SpecWeights:
    """Mixin for a :class:`~convlayers.layers.Layer` whose weights its ``spec`` lists, a ``bias`` among them."""

    spec: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The optional bias reads as None until (and unless) the layer creates it.
        self.register_parameter("bias", None)  # type: ignore[attr-defined]

    def dialect_weight(self, weight: WeightSpec) -> WeightSpec:
        """How this layer presents ``weight``: the spec's Keras 3 layout here; a dialect's layer maps it to its
        framework's (name kept, shape and layout changed), so ``get_weights``, initializers (and their fans),
        regularizers and constraints all see that framework's layout."""
        return weight

    def _add_spec_weights(self, weights: Iterable[WeightSpec]) -> None:
        for weight in map(self.dialect_weight, weights):
            options = self.spec.option(weight.role)
            self.add_weight(  # type: ignore[attr-defined]
                weight.name,
                weight.keras_shape,
                initializer=options.initializer,
                layout=weight.layout,
                regularizer=options.regularizer,
                constraint=options.constraint,
            )
