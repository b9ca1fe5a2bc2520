"""``ConvolutionLayer`` and ``DeconvolutionLayer``: Wolfram's forms, translated into the core's ``ConvSpec``.

Both are stated as in the Wolfram Language (reference A1, A4.1): ``n`` output
channels and a kernel (an integer for every spatial dim, or one per dim), with
``PaddingSize``, ``"Stride"``, ``"Dilation"``, ``"ChannelGroups"``,
``Interleaving``, ``"Weights"``, ``"Biases"``, ``"Dimensionality"``,
``LearningRateMultipliers``, ``"Input"`` and ``"Output"``. The rank comes from
whichever of those states it, else from the input. Weights are ``(n, m/g, k...)``
for a convolution and ``(m, n/g, k...)`` for a deconvolution, as PyTorch's;
either computes a cross-correlation (no kernel flip, reference A1.5).

>>> import numpy as np
>>> layer = ConvolutionLayer(1, 2, Stride=2, Weights=[[[0.5, 0.5]]], Biases=None, Input=(1, 8))
>>> layer.output_dims
(1, 4)
>>> layer(np.arange(1, 9).reshape(1, 8)).tolist()
[[1.5, 3.5, 5.5, 7.5]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import initializers
from ..geometry import Explicit, TransposeGeometry, WindowGeometry
from ..layers import Layer, layer_from_spec
from ..layers.spec import ConvSpec, RoleOptions
from ..layers.weights import Permuted, WeightLayout
from . import ports
from .layer import NetLayer
from .options import padding_rank, padding_rule, per_dim, rank_of
from .ports import Dims

AUTOMATIC = "Automatic"


class _Convolutional(NetLayer):
    """What convolutions and deconvolutions share: options, rank, arrays, channel groups."""

    arrays = ("Weights", "Biases")
    #: The core's kind of convolution (``ConvSpec.kind``).
    kind: str = "conv"
    dimensionalities: tuple[int, ...] = (1, 2, 3)

    def __init__(
        self,
        n: int | None = None,
        kernel: Any = None,
        *,
        PaddingSize: Any = 0,
        Stride: Any = 1,
        Dilation: Any = 1,
        ChannelGroups: int = 1,
        Interleaving: bool = False,
        Weights: Any = None,
        Biases: Any = AUTOMATIC,
        Dimensionality: int | None = None,
        LearningRateMultipliers: Any = None,
        Input: Any = None,
        Output: Any = None,
    ) -> None:
        if Biases is None:
            self.arrays = ("Weights",)
        super().__init__(Input=Input, Output=Output, LearningRateMultipliers=LearningRateMultipliers)
        weights = None if Weights is None or isinstance(Weights, str) and Weights == AUTOMATIC else np.asarray(Weights, dtype=np.float32)
        if weights is not None and weights.ndim < 3:
            raise self.fail(f"\"Weights\" should be an array of rank 3, 4 or 5; received dims {list(weights.shape)}.")
        if not (isinstance(ChannelGroups, int) and ChannelGroups > 0):
            raise self.fail(f"\"ChannelGroups\" should be a positive integer; received {ChannelGroups!r}.")
        self.channel_groups = ChannelGroups
        n, kernel = self._from_weights(n, kernel, weights)
        if not (isinstance(n, int) and n > 0):
            raise self.fail(f"the number of output channels should be a positive integer; received {n!r}.")
        if kernel is None:
            raise self.fail("a kernel size (or \"Weights\") is required.")
        self.n, self.kernel = n, kernel
        self.padding, self.stride, self.dilation = PaddingSize, Stride, Dilation
        self.interleaving = bool(Interleaving)
        stated = {rank_of(kernel), rank_of(Stride), rank_of(Dilation), padding_rank(PaddingSize), Dimensionality}
        stated |= {weights.ndim - 2} if weights is not None else set()
        stated.discard(None)
        if len(stated) > 1:
            raise self.fail(f"the options state different numbers of spatial dimensions: {sorted(stated)}.")
        self.rank: int | None = stated.pop() if stated else None
        if self.rank is not None:
            self._check_rank(self.rank)
        if weights is not None:
            self.set_array("Weights", weights)
        if Biases is not None and not (isinstance(Biases, str) and Biases == AUTOMATIC):
            self.set_array("Biases", np.asarray(Biases, dtype=np.float32).reshape(-1))
        self._finish_init()

    def _from_weights(self, n: Any, kernel: Any, weights: np.ndarray | None) -> tuple[Any, Any]:
        """``n`` and the kernel, read from explicit weights where not given (and checked against them)."""
        if weights is None:
            return n, kernel
        stated_n, stated_kernel = self.weights_channels(weights.shape), tuple(weights.shape[2:])
        if n is not None and n != stated_n or kernel is not None and per_dim(kernel, len(stated_kernel), "kernel", self.head) != stated_kernel:
            raise self.fail(
                f"\"Weights\" of dims {list(weights.shape)} do not match {n} output channels and kernel {kernel!r}."
            )
        return stated_n, stated_kernel

    def weights_channels(self, dims: tuple[int, ...]) -> int:
        """The output channels that weights of ``dims`` give."""
        raise NotImplementedError

    def _check_rank(self, rank: int) -> None:
        if rank not in self.dimensionalities:
            allowed = ", ".join(map(str, self.dimensionalities[:-1])) + f" or {self.dimensionalities[-1]}"
            raise self.fail(f"dimensionality must be either {allowed}.")

    def known_input_rank(self) -> int | None:
        return None if self.rank is None else self.rank + 1

    # -- canonical values for a rank ----------------------------------------------------------
    def window(self, rank: int) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], Any]:
        """``(kernel, stride, dilation, padding rule)`` for ``rank`` spatial dims."""
        return (
            per_dim(self.kernel, rank, "the kernel size", self.head),
            per_dim(self.stride, rank, "\"Stride\"", self.head),
            per_dim(self.dilation, rank, "\"Dilation\"", self.head),
            self.padding_rule(rank),
        )

    def padding_rule(self, rank: int) -> Any:
        return padding_rule(self.padding, rank, self.head)

    def spec(self, rank: int) -> ConvSpec:
        """The core's spec of this layer for ``rank`` spatial dims (Wolfram's initial values: Glorot, zero biases)."""
        kernel, stride, dilation, rule = self.window(rank)
        return ConvSpec(
            kind=self.kind,  # type: ignore[arg-type]
            rank=rank,
            filters=self.n,
            kernel_size=kernel,
            strides=stride,
            dilation_rate=dilation,
            padding=rule,
            data_format="channels_last" if self.interleaving else "channels_first",
            groups=self.channel_groups,
            use_bias="Biases" in self.arrays,
            options=(("kernel", RoleOptions(initializers.get("glorot_uniform"))),
                     ("bias", RoleOptions(initializers.get("zeros")))),
        )

    def make_core(self, dims: Dims) -> Layer:
        return layer_from_spec(self.spec(len(dims) - 1))

    def array_layouts(self) -> dict[str, tuple[int, WeightLayout]]:
        # Wolfram's (n, m/g, k...) (deconvolution: (m, n/g, k...)) is the core's Keras (k..., m/g, n) permuted.
        rank = self.rank or 0
        layouts: dict[str, tuple[int, WeightLayout]] = {"Weights": (0, Permuted(tuple(range(2, rank + 2)) + (1, 0)))}
        if "Biases" in self.arrays:
            layouts["Biases"] = (1, WeightLayout())
        return layouts

    # -- inference ------------------------------------------------------------------------------
    def infer_output(self, dims: Dims) -> Dims:
        rank = len(dims) - 1
        if self.rank is not None and rank != self.rank:
            raise self.fail(f"the input should be an array of rank {self.rank + 1}; received dims {list(dims)}.")
        self._check_rank(rank)
        self.rank = rank
        channels, spatial = ports.split(dims, self.interleaving)
        out = self.spatial_output(spatial)  # Wolfram checks the window before the channels
        if channels is None:
            raise self.fail(
                "the number of input channels cannot be a \"Varying\" dimension. Use Interleaving -> True to have a "
                "varying spatial dimension."
            )
        for label, count in (("input", channels), ("output", self.n)):
            if count % self.channel_groups:
                raise self.fail(
                    f"number of {label} channels {count} is not divisible by the group number {self.channel_groups}."
                )
        weights = self._pending.get("Weights")
        if weights is not None and self.weights_inputs(weights.shape) != channels:
            raise self.fail(
                f"\"Weights\" of dims {list(weights.shape)} expect {self.weights_inputs(weights.shape)} input channels; "
                f"the input has {channels}."
            )
        return ports.join(self.n, out, self.interleaving)

    def weights_inputs(self, dims: tuple[int, ...]) -> int:
        """The input channels that weights of ``dims`` take."""
        raise NotImplementedError

    def spatial_output(self, spatial: tuple[int | None, ...]) -> tuple[int | None, ...]:
        raise NotImplementedError

    def resolved_padding(self) -> tuple[tuple[int, int], ...] | None:
        """``PaddingSize`` as ``((b, e), ...)``, resolved for the input (``"Same"`` needs it); ``None`` while unknown."""
        if self.rank is None:
            return None
        rule = self.padding_rule(self.rank)
        if isinstance(rule, Explicit):
            return rule.pairs
        if self.input_dims is None:
            return None
        _, spatial = ports.split(self.input_dims, self.interleaving)
        pads = WindowGeometry(*self.window(self.rank)).pads(spatial)
        return None if None in pads else tuple(pads)  # type: ignore[arg-type]


class ConvolutionLayer(_Convolutional):
    """Wolfram's ``ConvolutionLayer[n, kernel, opts]``: a trainable convolution with ``n`` output channels.

    Args:
        n: output channels (read from ``Weights`` when omitted).
        kernel: an integer (every spatial dim) or one integer per dim.
        PaddingSize: ``p``, ``(p1, p2, ...)``, ``((b1, e1), ...)`` or ``"Same"`` (``ceil(d / s)``
            outputs; an odd total pad puts the extra element at the end).
        Stride, Dilation: an integer or one per dim.
        ChannelGroups: ``g`` dividing both the input and output channels.
        Interleaving: ``False`` for channels first ``(c, d1, ...)``, ``True`` for channels last.
        Weights: ``(n, m/g, k1, ...)``; ``None`` (Automatic) until ``NetInitialize``.
        Biases: ``"Automatic"``, ``None`` (no biases) or a length-``n`` vector.
        Dimensionality: 1, 2 or 3 spatial dims.
        LearningRateMultipliers: a number, or ``{"Weights": r, "Biases": r}`` (0 freezes).
        Input, Output: port dims of one example (``"Varying"`` allowed for the first spatial dim with
            ``Interleaving=True``).

    Output size per spatial dim: ``floor((d + b + e - (dil * (k - 1) + 1)) / s) + 1``.

    >>> from convlayers.wolfram import ConvolutionLayer, NetExtract
    >>> layer = ConvolutionLayer(3, (3, 2), Stride=(2, 1), PaddingSize=(2, 1), Dilation=(2, 1), Input=(3, 7, 5))
    >>> NetExtract(layer, "Output"), NetExtract(layer, "PaddingSize")
    ((3, 4, 6), ((2, 2), (1, 1)))
    >>> ConvolutionLayer(3, 5, Input=(1, 1))
    Traceback (most recent call last):
    ...
    ValueError: Validation failed for ConvolutionLayer: kernel size 5 cannot exceed input size 1 plus padding size 0.
    """

    kind = "conv"

    def weights_channels(self, dims: tuple[int, ...]) -> int:
        return dims[0]

    def weights_inputs(self, dims: tuple[int, ...]) -> int:
        return dims[1] * self.channel_groups

    def spatial_output(self, spatial: tuple[int | None, ...]) -> tuple[int | None, ...]:
        kernel, stride, dilation, rule = self.window(len(spatial))
        geometry = WindowGeometry(kernel, stride, dilation, rule)
        pads = geometry.pads(spatial)
        known = [i for i, d in enumerate(spatial) if d is not None and pads[i] is not None]
        if any(spatial[i] + sum(pads[i]) < kernel[i] for i in known):  # type: ignore[operator]
            raise self.fail(
                f"kernel size {ports.times(kernel[i] for i in known)} cannot exceed input size "
                f"{ports.times(spatial[i] for i in known)} plus padding size "
                f"{ports.times(sum(pads[i]) for i in known)}."  # type: ignore[arg-type]
            )
        out = geometry.output_sizes(spatial)
        if any(o is not None and o < 1 for o in out):
            raise self.fail("output with non-positive dimensions was inferred.")
        return out


class DeconvolutionLayer(_Convolutional):
    """Wolfram's ``DeconvolutionLayer[n, kernel, opts]``: the adjoint of a convolution, ``n`` output channels.

    Takes ``ConvolutionLayer``'s options; ``PaddingSize`` (``p``, ``(p1, ...)`` or ``((b1, e1), ...)``) is what
    is cropped from the output, and weights are ``(m, n/g, k1, ...)``. Output size per spatial dim:
    ``s * (d - 1) + dil * (k - 1) + 1 - b - e``. The paclet read allowed only 1-D and 2-D and symmetric
    padding; the core computes 3-D and asymmetric crops too, so both are accepted.

    >>> from convlayers.wolfram import DeconvolutionLayer, NetExtract
    >>> NetExtract(DeconvolutionLayer(3, (3, 2), Stride=(2, 1), PaddingSize=(2, 1), Input=(3, 7, 5)), "Output")
    (3, 11, 4)
    """

    kind = "transpose"

    def weights_channels(self, dims: tuple[int, ...]) -> int:
        return dims[1] * self.channel_groups

    def weights_inputs(self, dims: tuple[int, ...]) -> int:
        return dims[0]

    def padding_rule(self, rank: int) -> Any:
        if self.padding == "Same":
            raise self.fail("PaddingSize should be an integer, a list of integers, or a list of pairs {b, e}.")
        return super().padding_rule(rank)

    def spatial_output(self, spatial: tuple[int | None, ...]) -> tuple[int | None, ...]:
        out = TransposeGeometry(*self.window(len(spatial)), output_padding=None).output_sizes(spatial)
        if any(o is not None and o < 1 for o in out):
            raise self.fail("choice of parameters results in a zero-size output tensor.")
        return out
