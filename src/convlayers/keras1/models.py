"""Keras 1's ``Sequential`` and ``model_from_json`` / ``model_from_config``, over the core ``Sequential``.

The model computes and trains as the core one; what changes is Keras 1's
spelling: ``fit(..., nb_epoch=10)`` (Keras 1's defaults: 10 epochs, batch 32,
a progress bar), ``predict(x, batch_size=32)``, and configs and JSON as Keras
1.2.2 writes them (``{"class_name": "Sequential", "config": [layer entries]}``).

>>> from convlayers import keras1
>>> model = keras1.Sequential()
>>> model.add(keras1.Convolution1D(64, 3, border_mode="same", input_shape=(10, 32)))
>>> model.output_shape
(None, 10, 64)
>>> model.add(keras1.Convolution1D(32, 3, border_mode="same"))
>>> model.output_shape
(None, 10, 32)
>>> keras1.model_from_json(model.to_json()).output_shape
(None, 10, 32)
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..layers import Layer
from ..models import Sequential as CoreSequential
from ..models.training import History
from . import layers as _conv_layers
from . import companions as _companions
from .backend import check_backend, settings
from .translation import Keras1Layer

KERAS_VERSION = "1.2.2"
#: Every Keras 1 layer class convlayers speaks, by Keras 1's class name.
LAYER_CLASSES: dict[str, type[Keras1Layer]] = {
    name: cls
    for module in (_conv_layers, _companions)
    for name, cls in vars(module).items()
    if isinstance(cls, type) and issubclass(cls, Keras1Layer) and not name.startswith("_") and cls.__module__ == module.__name__
}


class Sequential(CoreSequential):
    """Keras 1's ``Sequential``: ``add``, ``compile``, ``fit(nb_epoch=)``, ``predict``, ``evaluate``, ``summary``.

    Layers may be Keras 1 layers (:mod:`convlayers.keras1`) or core ones; ``get_config``
    and ``to_json`` write Keras 1's format, which needs Keras 1 layers.
    """

    def __init__(self, layers: Sequence[Layer] | None = None, name: str | None = None) -> None:
        super().__init__(layers, name=name)

    def fit(  # type: ignore[override]
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int = 32,
        nb_epoch: int = 10,
        verbose: int = 1,
        callbacks: list[Any] | None = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool = True,
        class_weight: Any = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
    ) -> History:
        """Train for ``nb_epoch`` epochs (Keras 1's name and defaults); returns the ``History``.

        ``class_weight`` and ``sample_weight`` are not supported yet (a ``ValueError`` says so).
        """
        for name, value in (("class_weight", class_weight), ("sample_weight", sample_weight)):
            if value is not None:
                raise ValueError(f"Sequential.fit: `{name}` is not supported yet. Received {name}={value!r}.")
        return super().fit(
            x, y, batch_size=batch_size, epochs=nb_epoch, verbose=verbose, callbacks=callbacks,
            validation_split=validation_split, validation_data=validation_data, shuffle=shuffle,
            initial_epoch=initial_epoch,
        )

    def predict(self, x: Any, batch_size: int = 32, verbose: int = 0) -> Any:  # type: ignore[override]
        """The outputs for ``x``, in batches of ``batch_size`` (Keras 1's defaults: 32, silent)."""
        return super().predict(x, batch_size=batch_size, verbose=verbose)

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int = 32, verbose: int = 1) -> Any:  # type: ignore[override]
        """The loss (and metrics) over ``(x, y)`` (Keras 1's defaults: batches of 32, a progress bar)."""
        return super().evaluate(x, y, batch_size=batch_size, verbose=verbose)

    def get_config(self) -> list[dict[str, Any]]:  # type: ignore[override]
        """Keras 1's Sequential config: one ``{"class_name", "config"}`` entry per layer."""
        entries = []
        for layer in self.layers:
            if not isinstance(layer, Keras1Layer):
                raise ValueError(
                    f"Sequential.get_config: layer {layer.name!r} ({type(layer).__name__}) is not a Keras 1 layer; "
                    f"Keras 1's config format describes only convlayers.keras1 layers."
                )
            entries.append({"class_name": type(layer).__name__, "config": layer.get_config()})
        return entries

    def to_json(self, **kwargs: Any) -> str:
        """The model as Keras 1's ``to_json`` writes it (``kwargs`` go to ``json.dumps``)."""
        return json.dumps({"class_name": "Sequential", "config": self.get_config(), "keras_version": KERAS_VERSION}, **kwargs)


def layer_from_config(entry: Any, backend: str | None = None) -> Layer:
    """The Keras 1 layer a ``{"class_name", "config"}`` entry describes (``backend``: for every layer)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        raise ValueError(f"A Keras 1 layer entry is a dict with 'class_name' and a 'config' dict. Received {entry!r}.")
    class_name = entry.get("class_name")
    if class_name == "Lambda":
        raise ValueError(
            "a Lambda layer holds Python code (a marshalled function), which convlayers never runs from a model "
            "description; rebuild that step in code."
        )
    if class_name not in LAYER_CLASSES:
        raise ValueError(
            f"Unknown Keras 1 layer class {class_name!r}. convlayers.keras1 has: {', '.join(sorted(LAYER_CLASSES))}."
        )
    config = dict(entry["config"])
    config.pop("build_config", None)
    if backend is not None:
        config["backend"] = backend
    return LAYER_CLASSES[class_name].from_config(config)


def model_from_config(config: Any, backend: str | None = None, image_dim_ordering: str | None = None) -> Sequential:
    """The Keras 1 ``Sequential`` a config describes (``{"class_name": "Sequential", "config": [...]}``).

    ``backend`` (``'tensorflow'`` or ``'theano'``) is the one the weights were trained on
    (default: :func:`~.backend.backend`). ``image_dim_ordering`` is what ``dim_ordering='default'``
    means (Keras 1 did not store it for padding, cropping and upsampling layers); by
    default, the ordering every layer that states one agrees on, else the global setting.
    """
    if not isinstance(config, dict) or config.get("class_name") != "Sequential":
        kind = config.get("class_name") if isinstance(config, dict) else type(config).__name__
        raise ValueError(
            f"model_from_config reads Keras 1 Sequential configs; Keras 1 functional models are not supported. "
            f"Received a {kind!r} config."
        )
    if not isinstance(config.get("config"), list):
        raise ValueError(
            f"a Keras 1 Sequential config lists its layers ({{'class_name': 'Sequential', 'config': [...]}}); this one "
            f"holds a {type(config.get('config')).__name__} (a Keras 2 or 3 config?)."
        )
    entries = config["config"]
    if backend is not None:
        check_backend(backend, "model_from_config")
    if image_dim_ordering is None:
        stated = {entry.get("config", {}).get("dim_ordering") for entry in entries if isinstance(entry, dict)}
        stated.discard(None)
        stated.discard("default")
        image_dim_ordering = stated.pop() if len(stated) == 1 else None
    with settings(image_dim_ordering=image_dim_ordering):
        return Sequential([layer_from_config(entry, backend) for entry in entries])


def model_from_json(json_string: str, backend: str | None = None, image_dim_ordering: str | None = None) -> Sequential:
    """The Keras 1 ``Sequential`` a ``to_json`` string describes; see :func:`model_from_config`."""
    try:
        config = json.loads(json_string)
    except (TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"model_from_json: not a JSON string: {error}.") from None
    return model_from_config(config, backend=backend, image_dim_ordering=image_dim_ordering)
