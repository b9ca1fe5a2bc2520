"""Independent NumPy references for the tests: direct loops over kernel taps, no torch."""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np


def pad(x: np.ndarray, pads) -> np.ndarray:
    """Zero-pad the spatial dims (axes 2..) of a channels-first array."""
    return np.pad(x, [(0, 0), (0, 0)] + [tuple(p) for p in pads])


def conv(x, kernel, bias, *, pads, strides, dilation, groups=1):
    """Cross-correlation of channels-first ``x`` with a Keras-layout kernel ``k + (C/g, F)``.

    Each output element is the sum over kernel taps ``t`` of
    ``x_padded[n, c, o * s + t * d] * kernel[t, c, f]`` within each group.
    """
    x = pad(x.astype(np.float64), pads)
    rank = x.ndim - 2
    ksize = kernel.shape[:rank]
    n, c = x.shape[:2]
    filters = kernel.shape[-1]
    cg, fg = c // groups, filters // groups
    out_sizes = [
        (x.shape[2 + i] - ((ksize[i] - 1) * dilation[i] + 1)) // strides[i] + 1 for i in range(rank)
    ]
    y = np.zeros((n, filters, *out_sizes))
    for tap in itertools.product(*[range(k) for k in ksize]):
        window = tuple(
            slice(tap[i] * dilation[i], tap[i] * dilation[i] + (out_sizes[i] - 1) * strides[i] + 1, strides[i])
            for i in range(rank)
        )
        patch = x[(slice(None), slice(None)) + window]  # (n, c, *out)
        for g in range(groups):
            w = kernel[tap][:, g * fg : (g + 1) * fg].astype(np.float64)  # (cg, fg)
            y[:, g * fg : (g + 1) * fg] += np.einsum("nc...,cf->nf...", patch[:, g * cg : (g + 1) * cg], w)
    if bias is not None:
        y += bias.reshape((1, -1) + (1,) * rank)
    return y


def same_pads(size, k, s, d):
    """TF 'same' in the form Keras's own tests use: based on ``size % stride``."""
    eff = (k - 1) * d + 1
    total = max(eff - s, 0) if size % s == 0 else max(eff - size % s, 0)
    return (total // 2, total - total // 2)


def to_channels_first(x):
    return np.moveaxis(x, -1, 1)


def to_channels_last(x):
    return np.moveaxis(x, 1, -1)


def pool(x, kind, *, pool_size, strides, pads, dilation=None, p=None):
    """Max, average, sum or p-norm pooling of channels-first ``x`` by direct loops over output positions.

    Padding is NaN, so ``nanmax`` never picks it, ``nanmean`` divides by the
    number of real elements in each window (TF's divisor) and ``nansum`` adds nothing for it
    (a p-norm is ``nansum(|x|^p) ** (1/p)``). Window taps are ``dilation`` apart.
    """
    rank = x.ndim - 2
    dilation = dilation or (1,) * rank
    padded = np.pad(x.astype(np.float64), [(0, 0), (0, 0)] + [tuple(p) for p in pads], constant_values=np.nan)
    spans = [(k - 1) * d + 1 for k, d in zip(pool_size, dilation)]
    out_sizes = [(padded.shape[2 + i] - spans[i]) // strides[i] + 1 for i in range(rank)]
    reduce = {"max": np.nanmax, "average": np.nanmean, "sum": np.nansum,
              "pnorm": lambda w, axis: np.nansum(np.abs(w) ** p, axis=axis) ** (1 / p)}[kind]
    y = np.empty(x.shape[:2] + tuple(out_sizes))
    for position in itertools.product(*[range(n) for n in out_sizes]):
        window = tuple(slice(o * s, o * s + span, d) for o, s, span, d in zip(position, strides, spans, dilation))
        y[(slice(None), slice(None)) + position] = reduce(padded[(slice(None), slice(None)) + window], axis=tuple(range(2, 2 + rank)))
    return y


def space_to_depth(x, block):
    """TF's space_to_depth of channels-first ``(N, C, H, W)``: output channel ``(i * b + j) * C + c``."""
    n, c, h, w = x.shape
    y = np.empty((n, c * block * block, h // block, w // block), x.dtype)
    for i, j, ch in itertools.product(range(block), range(block), range(c)):
        y[:, (i * block + j) * c + ch] = x[:, ch, i::block, j::block]
    return y


def space_to_batch(x, block_shape, paddings):
    """TF's space_to_batch_nd of channels-first ``(N, C, H, W)``: output example ``(i * b1 + j) * N + n``."""
    b0, b1 = block_shape
    padded = np.pad(x, [(0, 0), (0, 0)] + [tuple(p) for p in paddings])
    n = x.shape[0]
    y = np.empty((n * b0 * b1, x.shape[1], padded.shape[2] // b0, padded.shape[3] // b1), x.dtype)
    for i, j, example in itertools.product(range(b0), range(b1), range(n)):
        y[(i * b1 + j) * n + example] = padded[example, :, i::b0, j::b1]
    return y


def depthwise_conv(x, kernel, bias, *, pads, strides, dilation):
    """Depthwise cross-correlation of channels-first ``x`` with a Keras kernel ``k + (C, dm)``.

    Output channel ``c * dm + m`` at position ``o`` is the sum over taps ``t`` of
    ``x_padded[n, c, o * s + t * d] * kernel[t, c, m]``: a loop over output
    positions and input channels, independent of :func:`conv`.
    """
    x = pad(x.astype(np.float64), pads)
    rank = x.ndim - 2
    n, channels = x.shape[:2]
    multiplier = kernel.shape[-1]
    span = [(k - 1) * d + 1 for k, d in zip(kernel.shape[:rank], dilation)]
    out_sizes = [(x.shape[2 + i] - span[i]) // strides[i] + 1 for i in range(rank)]
    y = np.zeros((n, channels * multiplier, *out_sizes))
    for position in itertools.product(*[range(o) for o in out_sizes]):
        window = tuple(slice(o * s, o * s + e, d) for o, s, e, d in zip(position, strides, span, dilation))
        for c in range(channels):
            patch = x[(slice(None), c) + window]  # (n, *k)
            taps = kernel[..., c, :].astype(np.float64)  # (*k, dm)
            y[(slice(None), slice(c * multiplier, (c + 1) * multiplier)) + position] = np.tensordot(patch, taps, axes=rank)
    if bias is not None:
        y += bias.reshape((1, -1) + (1,) * rank)
    return y


def conv_transpose(x, kernel, bias, *, strides, dilation, groups=1, windows=None):
    """Transposed convolution of channels-first ``x`` with a Keras kernel ``k + (F/groups, C)``, as a scatter-add.

    Input position ``i`` of channel ``c`` adds ``x[n, c, i] * kernel[t, f, c]`` at
    natural output position ``i * s + t * d`` for every tap ``t`` (within each
    group). ``windows`` (one ``(begin, size)`` per dim) then keeps
    ``[begin, begin + size)`` of that natural output, zeros past its end; the
    bias is added last.
    """
    x = x.astype(np.float64)
    rank = x.ndim - 2
    ksize = kernel.shape[:rank]
    n, channels = x.shape[:2]
    fg = kernel.shape[-2]
    cg = channels // groups
    natural = [(x.shape[2 + i] - 1) * strides[i] + (ksize[i] - 1) * dilation[i] + 1 for i in range(rank)]
    y = np.zeros((n, fg * groups, *natural))
    for position in itertools.product(*[range(size) for size in x.shape[2:]]):
        for tap in itertools.product(*[range(k) for k in ksize]):
            out = tuple(p * s + t * d for p, t, s, d in zip(position, tap, strides, dilation))
            for g in range(groups):
                inputs = x[(slice(None), slice(g * cg, (g + 1) * cg)) + position]  # (n, cg)
                weights = kernel[tap][:, g * cg : (g + 1) * cg].astype(np.float64)  # (fg, cg)
                y[(slice(None), slice(g * fg, (g + 1) * fg)) + out] += inputs @ weights.T
    if windows is not None:
        reach = [max(begin + size - full, 0) for (begin, size), full in zip(windows, natural)]
        y = np.pad(y, [(0, 0), (0, 0)] + [(0, r) for r in reach])
        y = y[(slice(None), slice(None)) + tuple(slice(begin, begin + size) for begin, size in windows)]
    if bias is not None:
        y = y + bias.reshape((1, -1) + (1,) * rank)
    return y


# -- reshaping: cropping and upsampling (zero padding is `pad` above) ------------------------


def crop(x, cropping):
    """Slice ``[begin : size - end]`` on each spatial dim (axes 2..) of a channels-first array."""
    index = tuple(slice(b, x.shape[2 + i] - e) for i, (b, e) in enumerate(cropping))
    return x[(slice(None), slice(None)) + index]


def _keys(t, a=-0.5):
    t = abs(t)
    if t < 1:
        return (a + 2) * t**3 - (a + 3) * t**2 + 1
    if t < 2:
        return a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a
    return 0.0


def _mitchell(t):
    # Mitchell-Netravali with B = C = 1/3, written from the paper's general form.
    b = c = 1 / 3
    t = abs(t)
    if t < 1:
        return ((12 - 9 * b - 6 * c) * t**3 + (-18 + 12 * b + 6 * c) * t**2 + (6 - 2 * b)) / 6
    if t < 2:
        return ((-b - 6 * c) * t**3 + (6 * b + 30 * c) * t**2 + (-12 * b - 48 * c) * t + (8 * b + 24 * c)) / 6
    return 0.0


def _lanczos(n):
    return lambda t: 1.0 if t == 0 else (np.sinc(t) * np.sinc(t / n) if abs(t) < n else 0.0)


_KERNELS = {
    "bilinear": (lambda t: max(0.0, 1 - abs(t)), 1),
    "trilinear": (lambda t: max(0.0, 1 - abs(t)), 1),
    "keys": (_keys, 2),
    "lanczos3": (_lanczos(3), 3),
    "lanczos5": (_lanczos(5), 5),
    "gaussian": (lambda t: float(np.exp(-2 * t * t)) if abs(t) < 1.5 else 0.0, 2),
    "mitchellcubic": (_mitchell, 2),
}


@functools.lru_cache(maxsize=None)
def _tf_cubic_table():
    """TF's ``resize_bicubic`` coefficient table: 1025 fractional offsets, float32."""
    table = np.zeros((1025, 2), np.float32)
    for i in range(1025):
        t = i / 1024
        table[i] = (_keys(t), _keys(t + 1))
    return table


def _tf_bicubic_taps(o, n, out):
    """TF's table lookup for output ``o``: float32 half-pixel position, offset rounded to 1/1024."""
    table = _tf_cubic_table()
    scale = np.float32(n) / np.float32(out)
    position = (np.float32(o) + np.float32(0.5)) * scale - np.float32(0.5)
    base = int(np.floor(position))
    offset = int(np.rint((position - np.float32(base)) * np.float32(1024)))
    weights = [table[offset, 1], table[offset, 0], table[1024 - offset, 0], table[1024 - offset, 1]]
    return [(base - 1 + k, float(w)) for k, w in enumerate(weights)]


def _area_taps(o, n, out):
    """A box over ``[o, o + 1) * n / out`` in input pixels, each input weighted by its overlap."""
    lo, hi = o * n / out, (o + 1) * n / out
    return [(i, min(hi, i + 1) - max(lo, i)) for i in range(n) if min(hi, i + 1) > max(lo, i)]


def axis_taps(o, n, factor, method):
    """``[(input index, weight), ...]`` of output ``o`` of an axis of ``n`` upsampled by ``factor``.

    Half-pixel centre ``(o + 0.5) / factor - 0.5``; taps outside ``[0, n)`` are
    dropped and the remaining weights renormalised to sum to 1.
    """
    out = n * factor
    if method == "nearest":
        return [(o // factor, 1.0)]
    if method == "area":
        taps = _area_taps(o, n, out)
    elif method == "bicubic":
        taps = _tf_bicubic_taps(o, n, out)
    else:
        kernel, radius = _KERNELS[method]
        centre = (o + 0.5) / factor - 0.5
        first = int(np.floor(centre)) - radius
        taps = [(i, kernel(i - centre)) for i in range(first, first + 2 * radius + 2)]
    taps = [(i, w) for i, w in taps if 0 <= i < n]
    total = sum(w for _, w in taps)
    return [(i, w / total) for i, w in taps]


def upsample(x, factors, method):
    """Upsample the spatial dims (axes 2..) of channels-first ``x``, one output element at a time.

    Each output is the sum, over every combination of per-axis taps, of the
    input times the product of the per-axis weights (TF's separable resize).
    """
    x = x.astype(np.float64)
    sizes = x.shape[2:]
    y = np.zeros(x.shape[:2] + tuple(n * f for n, f in zip(sizes, factors)))
    for position in itertools.product(*[range(n * f) for n, f in zip(sizes, factors)]):
        per_axis = [axis_taps(o, n, f, method) for o, n, f in zip(position, sizes, factors)]
        for combo in itertools.product(*per_axis):
            weight = np.prod([w for _, w in combo])
            y[(slice(None), slice(None)) + position] += weight * x[(slice(None), slice(None)) + tuple(i for i, _ in combo)]
    return y


def mode_pads(padding, sizes, kernel, strides, dilation):
    """Explicit (begin, end) pairs for a padding mode, from the formulas of keras.md section 2 (explicit pairs pass through)."""
    if padding == "valid":
        return [(0, 0)] * len(sizes)
    if padding == "same":
        return [same_pads(n, k, s, d) for n, k, s, d in zip(sizes, kernel, strides, dilation)]
    if padding == "causal":
        return [((k - 1) * d, 0) for k, d in zip(kernel, dilation)]
    if padding == "full":
        return [((k - 1) * d,) * 2 for k, d in zip(kernel, dilation)]
    if padding == ("theano_same",):  # wolfram-and-keras1.md B2.2: k_eff // 2 first, ceil(n / s) outputs
        pads = []
        for n, k, s, d in zip(sizes, kernel, strides, dilation):
            span, out = (k - 1) * d + 1, -(-n // s)
            pads.append((span // 2, max(0, (out - 1) * s + span - n - span // 2)))
        return pads
    if padding and padding[0] in ("strict", "truncate"):  # DL4J: symmetric pads
        return [(p, p) for p in padding[1]]
    return padding


def strict_refuses(padding, sizes, kernel, strides, dilation):
    """Whether DL4J's Strict mode refuses these sizes: some ``(n + 2p - k_eff) / s`` is not a whole number."""
    if not (padding and padding[0] == "strict"):
        return False
    return any(
        n + 2 * p >= (k - 1) * d + 1 and (n + 2 * p - (k - 1) * d - 1) % s
        for n, k, s, d, p in zip(sizes, kernel, strides, dilation, padding[1])
    )


def window_configs(seed, repeats=2):
    """The rank-parametrised spread of sliding-window configurations the value tests share.

    Every rank x padding form (the four modes and explicit pairs) x data format,
    ``repeats`` random (kernel, strides, dilation) draws each; strides and dilation
    may combine. Yields ``(rank, kernel, strides, dilation, padding, data_format,
    rng)``; callers draw family-specific arguments (groups, depth multiplier) from
    ``rng`` so the sequence stays deterministic.
    """
    rng = np.random.default_rng(seed)
    paddings = ("valid", "same", "causal", "full", "explicit")
    for rank, padding, data_format in itertools.product((1, 2, 3), paddings, ("channels_last", "channels_first")):
        for _ in range(repeats):
            k = tuple(int(v) for v in rng.integers(1, 4, rank))
            s = tuple(int(v) for v in rng.integers(1, 4, rank))
            d = tuple(int(v) for v in rng.integers(1, 3, rank))
            if padding == "explicit":
                padding_arg = tuple((int(a), int(b)) for a, b in rng.integers(0, 3, (rank, 2)))
            else:
                padding_arg = padding
            yield rank, k, s, d, padding_arg, data_format, rng


# -- additions for the property tests (tests/test_properties.py) ------------------------------


def conv_output_sizes(sizes, kernel, strides, dilation, pads):
    """keras.md 2.1 with explicit pads: ``floor((n + begin + end - K) / s) + 1``, ``K = (k - 1) * d + 1``; may be ``<= 0``."""
    return [(n + b + e - ((k - 1) * d + 1)) // s + 1 for n, k, s, d, (b, e) in zip(sizes, kernel, strides, dilation, pads)]


def transpose_windows(sizes, kernel, strides, dilation, padding, output_padding):
    """``(left crop, length)`` of a transposed convolution's output inside its natural output, per dim.

    Keras modes: the table of keras.md 2.5 (``K = (k - 1) * d + 1``); explicit
    ``(begin, end)`` pairs crop the natural output ``(n - 1) * s + K`` and
    ``output_padding`` (``None``: 0) lengthens it. Lengths may be ``<= 0``.
    """
    windows = []
    for i, (n, k, s, d) in enumerate(zip(sizes, kernel, strides, dilation)):
        big_k = (k - 1) * d + 1
        p = None if output_padding is None else output_padding[i]
        if padding == "valid":
            windows.append((0, (n - 1) * s + (max(big_k, s) if p is None else big_k + p)))
        elif padding == "same" and p is None:
            windows.append((max(big_k - s, 0) // 2, n * s))
        elif padding == "same":
            windows.append((max(big_k - big_k % 2 - p, 0) // 2, (n - 1) * s + big_k % 2 + p))
        else:
            begin, end = padding[i]
            windows.append((begin, (n - 1) * s + big_k - begin - end + (p or 0)))
    return windows


def separable_conv(x, depthwise_kernel, pointwise_kernel, bias, *, pads, strides, dilation):
    """Keras's separable convolution: :func:`depthwise_conv` (no bias), then a 1x1 :func:`conv` plus the bias."""
    rank = x.ndim - 2
    y = depthwise_conv(x, depthwise_kernel, None, pads=pads, strides=strides, dilation=dilation)
    return conv(y, pointwise_kernel, bias, pads=[(0, 0)] * rank, strides=(1,) * rank, dilation=(1,) * rank)


def global_pool(x, kind):
    """Max or mean over every spatial dim of channels-first ``x``, spatial dims kept with size 1."""
    reduce = {"max": np.max, "average": np.mean}[kind]
    return reduce(x.astype(np.float64), axis=tuple(range(2, x.ndim)), keepdims=True)


def _erf(z):
    return np.vectorize(math.erf, otypes=[np.float64])(z)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


#: Keras 3's activations in float64, each with its derivative (``None`` is linear).
ELEMENTWISE_ACTIVATIONS = {
    None: (lambda z: z, lambda z: np.ones_like(z)),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(np.float64)),
    "relu6": (lambda z: np.clip(z, 0.0, 6.0), lambda z: ((z > 0) & (z < 6)).astype(np.float64)),
    "hard_tanh": (lambda z: np.clip(z, -1.0, 1.0), lambda z: ((z > -1) & (z < 1)).astype(np.float64)),
    "leaky_relu": (lambda z: np.where(z > 0, z, 0.2 * z), lambda z: np.where(z > 0, 1.0, 0.2)),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
    "elu": (lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))), lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0)))),
    "gelu": (
        lambda z: 0.5 * z * (1 + _erf(z / np.sqrt(2))),
        lambda z: 0.5 * (1 + _erf(z / np.sqrt(2))) + z * np.exp(-z * z / 2) / np.sqrt(2 * np.pi),
    ),
}
#: Where each piecewise-linear activation's derivative jumps.
ACTIVATION_KINKS = {"relu": (0.0,), "relu6": (0.0, 6.0), "hard_tanh": (-1.0, 1.0), "leaky_relu": (0.0,)}


def activation(name, z):
    """Keras's activation ``name`` on ``z`` (``'softmax'`` over the last axis, as Keras applies it)."""
    if name == "softmax":
        return _softmax(z)
    return ELEMENTWISE_ACTIVATIONS[name][0](z)


def activation_vjp(name, z, upstream):
    """The gradient reaching the pre-activation ``z`` from ``upstream`` at the output."""
    if name == "softmax":
        s = _softmax(z)
        return s * (upstream - (s * upstream).sum(axis=-1, keepdims=True))
    return ELEMENTWISE_ACTIVATIONS[name][1](z) * upstream
