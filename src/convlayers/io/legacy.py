"""Legacy Keras files: which Keras wrote them, and on which backend (reference B3, B5).

Keras 1 files say their version (``keras_version`` ``'1.x'``) in ``model.save`` files
and nothing at all in ``save_weights`` files; their model configs are Keras 1's
(``{"class_name": "Sequential", "config": [...]}``). Neither records the backend:
TensorFlow names its variables ``<layer>_W:0``, Theano ``<layer>_W``, and that suffix
is the only trace. Theano convolves (kernels reversed) where TensorFlow correlates,
so the backend decides how a file's kernels compute.

Keras 2 files state their backend (a ``backend`` attribute) and store every kernel in
Keras 2's layout on either backend, so a Theano file loads into core layers once
translated by :data:`THEANO_RULES`: its true-convolution kernels reversed at load, as
Keras 2's own loader does (``convert_kernel``), and ``'same'`` given Theano's placement
(reference B2.2). What the core cannot compute as Theano did is refused, by layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, Mapping

import numpy as np

from ..geometry import Same
from ..keras1.backend import BACKENDS
from ..layers import Conv, ConvTranspose, DepthwiseConv, Layer, Pooling, SeparableConv, get_layer_class
from .hdf5_reader import Hdf5Index
from .keras_h5 import read_legacy_layers

#: ``padding='same'`` on Theano, as a layer config holds the core rule (Theano's ``'half'``, cropped).
THEANO_SAME = {"class_name": "Same", "config": {"extra_at": "begin"}}


def is_keras1(index: Hdf5Index, config: Any) -> bool:
    """Whether a ``model.save`` file was written by Keras 1: by its version, else by its config's form."""
    version = index.text("/", "keras_version")
    if version is not None:
        return version.startswith("1.")
    return isinstance(config, dict) and isinstance(config.get("config"), list) and config.get("class_name") == "Sequential"


def weights_backend(index: Hdf5Index, group: str) -> str | None:
    """``'tensorflow'`` or ``'theano'``: the file's ``backend`` attribute, else what its weight names say.

    ``None`` when nothing tells (no attribute, no weights). Raises ``ValueError`` when
    some names carry TensorFlow's ``:0`` and others do not.
    """
    stated = index.text(group, "backend") or index.text("/", "backend")
    if stated is not None:
        return stated
    names = [name for layer in read_legacy_layers(index, group) for name, _ in layer.weights]
    suffixed = {name.endswith(":0") for name in names}
    if not suffixed:
        return None
    if len(suffixed) == 2:
        raise ValueError(
            "its weight names mix TensorFlow's ':0' suffix with names without it, so the backend that trained "
            "it cannot be told; pass backend='tensorflow' or backend='theano'."
        )
    return "tensorflow" if suffixed == {True} else "theano"


def check_backend_matches(layers: list[Any], file_backend: str | None, backend: str | None) -> None:
    """Refuse Keras 1 layers that compute as another backend than the file's weights were trained on.

    ``backend``: the caller's override (trusted as the file's); ``None``: ``file_backend``.
    """
    trained = backend or file_backend
    if trained is None:
        return
    wrong = [layer.name for layer in layers if getattr(layer, "backend", trained) != trained and layer.weights]
    if wrong:
        raise ValueError(
            f"its weights were trained on {trained} (by {'the backend argument' if backend else 'their names'}) but "
            f"layers {wrong} compute as another backend; build the model with keras1.model_from_json(..., "
            f"backend={trained!r}), or pass backend= to override."
        )


@dataclass(frozen=True)
class TheanoRule:
    """How one layer family computed on Keras 2's Theano backend, relative to the core (TensorFlow's arithmetic).

    Args:
        flipped: the weights (by name) Theano used in a true convolution; reversed along every
            spatial axis at load, the core's correlation gives the same numbers.
        same: what ``padding='same'`` computed. ``'begin'``: Theano's ``'half'`` (``span // 2``
            on both sides) cropped to ``ceil(n / s)``, exactly ``Same(extra_at="begin")``.
            ``'begin_odd'``: that for odd spans, while an even span kept ``floor(n / s) + 1``
            outputs, more than the layer declares. ``'agreeing'``: reproducible only where
            it equals TensorFlow's (stride 1, odd spans). ``None``: no core rule reproduces it.
    """

    flipped: tuple[str, ...] = ()
    same: Literal["begin", "begin_odd", "agreeing"] | None = "begin"


#: Keras 2.0-2.3's Theano backend (``keras/backend/theano_backend.py``), per layer family.
THEANO_RULES: Mapping[type[Layer], TheanoRule] = MappingProxyType(
    {
        # conv1d/2d/3d: T.nnet.conv2d/conv3d with Theano's default filter_flip, cropped for even kernels.
        Conv: TheanoRule(flipped=("kernel",)),
        # The input gradient of a true convolution, padded span // 2 where TensorFlow's transposed 'same'
        # keeps its output from (span - stride) // 2. Keras 2's loader leaves Conv3DTranspose unflipped,
        # but Theano flipped it as it did Conv2DTranspose: both are reversed here.
        ConvTranspose: TheanoRule(flipped=("kernel",), same="agreeing"),
        # Keras 2.1.6+ reverses the depthwise kernel before Theano's flip: a correlation, as on TensorFlow.
        DepthwiseConv: TheanoRule(),
        # Keras 2.2+: as depthwise, but the output is cropped by the 1x1 pointwise kernel's parity, so never.
        SeparableConv: TheanoRule(same="begin_odd"),
        # pool2d/pool3d pad pool_size - 1 (or - 2) on both sides, crop, and average without the pads.
        Pooling: TheanoRule(same=None),
    }
)


def trained_backend(stated: str | None, backend: str | None) -> str | None:
    """The backend a Keras 2 file's weights were trained on: ``backend`` if given, else the file's attribute.

    >>> trained_backend("theano", None), trained_backend("theano", "tensorflow")
    ('theano', 'tensorflow')
    """
    if backend is not None and backend not in BACKENDS:
        raise ValueError(f"`backend` must be one of {BACKENDS} or None (the file's). Received backend={backend!r}.")
    return backend or stated


def theano_model_config(model_config: Any) -> Any:
    """A Keras 2 Theano model config with Theano's placement for ``'same'`` wherever the core has it.

    Given to every ``'same'`` layer of those families, not only where TensorFlow's
    placement differs: where they agree (stride 1, odd spans) the two rules pad alike,
    and where they differ at stride > 1 depends on input sizes a config may leave unknown.
    Entries it cannot read are left for the config's own checks.

    >>> theano_model_config({"class_name": "Sequential", "config": [
    ...     {"class_name": "Conv1D", "config": {"filters": 1, "kernel_size": 2, "padding": "same"}}]})["config"]
    [{'class_name': 'Conv1D', 'config': {'filters': 1, 'kernel_size': 2, 'padding': {'class_name': 'Same', 'config': {'extra_at': 'begin'}}}}]
    """
    if not isinstance(model_config, dict):
        return model_config
    config = model_config.get("config")
    entries = config if isinstance(config, list) else config.get("layers") if isinstance(config, dict) else None
    if not isinstance(entries, list):
        return model_config
    translated = [_theano_entry(entry) for entry in entries]
    config = translated if isinstance(config, list) else {**config, "layers": translated}
    return {**model_config, "config": config}


def _theano_entry(entry: Any) -> Any:
    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        return entry
    try:
        rule = _rule_of(get_layer_class(entry.get("class_name")))
    except (ValueError, TypeError):
        return entry
    padding = entry["config"].get("padding")
    if rule is None or rule.same not in ("begin", "begin_odd") or not isinstance(padding, str) or padding.lower() != "same":
        return entry
    return {**entry, "config": {**entry["config"], "padding": THEANO_SAME}}


def check_theano_layers(layers: list[Layer]) -> None:
    """Refuse layers that cannot compute as Keras 2 did on Theano, naming each and what to do.

    A ``'same'`` layer needs Theano's placement (``Same(extra_at="begin")``) where it
    differs from TensorFlow's: at a stride above 1 or an even span.
    """
    problems = [problem for layer in layers if (problem := _theano_problem(layer))]
    if problems:
        raise ValueError(f"its weights were trained on Theano, and {'; '.join(problems)}.")


def _theano_problem(layer: Layer) -> str | None:
    rule = _rule_of(type(layer))
    padding = getattr(getattr(layer, "spec", None), "padding", None)
    if rule is None or not isinstance(padding, Same):
        return None
    owner = f"layer {layer.name!r} ({type(layer).__name__})"
    if rule.same is None:
        return (
            f"{owner} has padding 'same', which Theano computed with its own pads and crop (averages excluding the "
            f"pads): no convlayers padding reproduces it"
        )
    spec = layer.spec
    spans = tuple((k - 1) * d + 1 for k, d in zip(spec.kernel_size, spec.dilation_rate))
    agrees = all(s == 1 for s in spec.strides) and all(span % 2 for span in spans)
    window = f"kernel_size={spec.kernel_size}, strides={spec.strides}, dilation_rate={spec.dilation_rate}"
    if rule.same == "agreeing" and not agrees:
        return (
            f"{owner} has padding 'same' with {window}: Theano kept its output from span // 2, TensorFlow from "
            f"(span - stride) // 2, and convlayers has only TensorFlow's; they agree at stride 1 with odd kernels"
        )
    if rule.same == "begin_odd" and not all(span % 2 for span in spans):
        return (
            f"{owner} has padding 'same' with {window}: for an even kernel span Theano computed floor(n / stride) + 1 "
            f"outputs where the layer declares ceil(n / stride), which no convlayers padding reproduces"
        )
    if padding.extra_at == "end" and not agrees:
        return (
            f"{owner} has padding 'same' with {window}, TensorFlow's placement, where Theano's differs (windows from "
            f"span // 2); load the whole file with load_keras_model, or build the layer with "
            f"padding=convlayers.geometry.Same(extra_at='begin')"
        )
    return None


def from_theano(layer: Layer, weights: list[np.ndarray]) -> list[np.ndarray]:
    """``layer``'s weights as Keras 2 on Theano saved them, with the true-convolution kernels reversed for the core.

    Keras 2's layouts end in the two channel axes, so every axis before them is
    spatial (Keras 2's ``convert_kernel``).

    >>> import convlayers
    >>> layer = convlayers.Conv1D(1, 3, use_bias=False)
    >>> layer.build((None, 4, 1))
    >>> from_theano(layer, [np.array([1.0, 10.0, 100.0]).reshape(3, 1, 1)])[0].ravel().tolist()
    [100.0, 10.0, 1.0]
    """
    rule = _rule_of(type(layer))
    flipped = rule.flipped if rule is not None else ()
    return [
        np.flip(array, tuple(range(array.ndim - 2))).copy() if record.name in flipped else array
        for record, array in zip(layer.weight_specs, weights)
    ]


def _rule_of(cls: type) -> TheanoRule | None:
    return next((rule for family, rule in THEANO_RULES.items() if issubclass(cls, family)), None)
