"""``TimeDistributed``: one layer applied to every temporal slice of its input (Keras ``TimeDistributed``)."""

from __future__ import annotations

from typing import Any, Sequence

import torch

from .base import Layer, Shape
from .normalization import BatchNormalization
from .weights import Weight


class TimeDistributed(Layer):
    """Applies ``layer`` to every slice ``x[:, t]`` of a ``(batch, time, ...)`` input (Keras ``TimeDistributed``).

    ``TimeDistributed(Conv2D(8, 3))`` on videos ``(batch, frames, rows, cols, channels)``
    convolves every frame with the same kernel. The inner layer is built for one slice,
    ``(batch, ...)``; its weights are this layer's (``weights``, ``get_weights``,
    ``set_weights``, ``count_params``, ``losses`` all are the inner layer's), and it is a
    submodule, so ``parameters()`` and ``state_dict()`` (``layer.kernel``...) hold them.

    The slices run as one batch of ``batch * time`` examples (the same numbers as slice by
    slice for layers that treat examples independently); in training mode a layer whose
    training computation mixes examples (``BatchNormalization``'s batch statistics) runs
    slice by slice, as Keras runs it.

    Args:
        layer: a convlayers layer.

    Input ``(batch, time, *slice)``; output ``(batch, time, *layer_output_slice)``.

    >>> import torch, convlayers
    >>> video = torch.zeros(2, 5, 8, 8, 3)
    >>> layer = TimeDistributed(convlayers.Conv2D(4, 3))
    >>> layer(video).shape, layer.count_params()
    (torch.Size([2, 5, 6, 6, 4]), 112)
    """

    # The inner layer casts (or keeps) its inputs by its own policy.
    casts_inputs = False

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(layer, Layer):
            raise ValueError(
                f"{self.owner}: the layer supplied to TimeDistributed must be a convlayers layer. "
                f"Received: layer={layer!r} of type {type(layer).__name__}."
            )
        self.layer = layer

    @staticmethod
    def slice_shape(shape: Sequence[int | None]) -> Shape:
        """The inner layer's input shape: ``(batch, time, *rest)`` -> ``(batch, *rest)``."""
        return (shape[0], *shape[2:])

    def _check_input_shape(self, shape: Shape) -> None:
        if len(shape) < 3:
            raise ValueError(
                f"{self.owner}: expected an input of rank at least 3 (batch, time, ...). "
                f"Received an input of shape {shape} (rank {len(shape)})."
            )

    def _build(self, input_shape: Shape) -> None:
        self.layer.build(self.slice_shape(input_shape), device=self._weights_device)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> Shape:
        """``(batch, time, *inner_output[1:])``, the inner layer's output shape for one slice."""
        shape = tuple(input_shape)
        self._check_input_shape(shape)
        inner = self.layer.compute_output_shape(self.slice_shape(shape))
        return (inner[0], shape[1], *inner[1:])

    def _mixes_examples(self) -> bool:
        return self.training and any(isinstance(m, BatchNormalization) for m in self.layer.modules())

    def call(self, x: torch.Tensor) -> torch.Tensor:
        if self._mixes_examples():
            return torch.stack([self.layer(x[:, t]) for t in range(x.shape[1])], dim=1)
        batch, time = x.shape[:2]
        y = self.layer(x.reshape(batch * time, *x.shape[2:]))
        return y.reshape(batch, time, *y.shape[1:])

    # -- the inner layer's weights are this layer's -----------------------------------------
    @property
    def weight_specs(self) -> tuple[Weight, ...]:
        return self.layer.weight_specs

    def _parameters_in_order(self) -> list[tuple[Weight, torch.Tensor]]:
        return self.layer._parameters_in_order()

    def set_weights(self, weights: Sequence[Any]) -> None:
        """The inner layer's ``set_weights`` (Keras layout)."""
        self._require_built("set weights")
        self.layer.set_weights(weights)

    @property
    def losses(self) -> list[torch.Tensor]:
        """The inner layer's regularization terms, then this layer's activity term."""
        return self.layer.losses + list(self._activity_losses)

    @Layer.trainable.setter  # type: ignore[attr-defined]
    def trainable(self, value: bool) -> None:
        Layer.trainable.fset(self, value)  # type: ignore[attr-defined]
        self.layer.trainable = value

    def _config(self) -> dict[str, Any]:
        from .registry import serialize_layer  # the registry knows every class, this one included

        return {"layer": serialize_layer(self.layer)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "TimeDistributed":
        """Rebuild from :meth:`get_config`: the inner layer from its nested entry."""
        from .registry import deserialize_layer

        config = dict(config)
        return cls(deserialize_layer(config.pop("layer")), **config)

    def extra_repr(self) -> str:
        return f"name={self.name!r}"
