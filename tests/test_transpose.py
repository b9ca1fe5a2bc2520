"""Conv1D/2D/3DTranspose: Keras's lengths and alignment, values against a NumPy scatter-add, the adjoint property,
gradients, Keras's own external cases, protocol and errors."""

import itertools
import json

import numpy as np
import pytest
import torch

import convlayers
from conftest import SHARED_FIXTURES
from convlayers import Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose
from convlayers.geometry import Explicit, TransposeGeometry, normalize_padding
from convlayers.ops.conv_transpose import TorchTranspose, conv_transpose, lowering
from reference import conv_transpose as np_conv_transpose
from reference import to_channels_last

TRANSPOSE = {1: Conv1DTranspose, 2: Conv2DTranspose, 3: Conv3DTranspose}
CONV = {1: Conv1D, 2: Conv2D, 3: Conv3D}
DECONV = SHARED_FIXTURES / "external" / "keras-deconv"


def keras_window(size, k, s, d, padding, output_padding):
    """``(begin, length)`` of Keras's output inside the natural output, from Keras-JAX's explicit pads.

    keras.md 2.5: JAX dilates the input by ``s``, pads ``left``/``right`` and correlates
    with the flipped kernel. ``'same'``: ``pad_len = s + K - 2`` (no output padding) or
    ``K + K % 2 - 2 + p``, ``left = min(ceil(pad_len / 2), K - 1)``; ``'valid'``: ``K - 1``
    on the left and ``K - 1 + (max(s - K, 0) or p)`` on the right. Padding ``K - 1`` on
    both sides gives the natural output, so the crop is ``K - 1 - left``.
    """
    K = (k - 1) * d + 1
    if padding == "valid":
        left = K - 1
        right = K - 1 + (max(s - K, 0) if output_padding is None else output_padding)
    else:
        pad_len = s + K - 2 if output_padding is None else K + K % 2 - 2 + output_padding
        left = min(-(-pad_len // 2), K - 1)
        right = pad_len - left
    return K - 1 - left, (size - 1) * s + 1 + left + right - K + 1


def reference_windows(sizes, k, s, d, padding, output_padding):
    if isinstance(padding, str):
        ops_ = output_padding or (None,) * len(sizes)
        return [keras_window(*args, padding, p) for args, p in zip(zip(sizes, k, s, d), ops_)]
    ops_ = output_padding or (0,) * len(sizes)
    natural = [(n - 1) * si + (ki - 1) * di + 1 for n, ki, si, di in zip(sizes, k, s, d)]
    return [(b, full - b - e + p) for full, (b, e), p in zip(natural, padding, ops_)]


def run_layer(layer, x_cf, kernel, bias, data_format):
    x = x_cf if data_format == "channels_first" else to_channels_last(x_cf)
    layer.build(x.shape)
    layer.set_weights([kernel] + ([bias] if bias is not None else []))
    return layer(x), x


# -- Keras's worked examples (keras.md 2.5) ------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, size, kernel, expected",
    [
        (dict(kernel_size=3, strides=2, padding="valid", output_padding=1), 2, [1, 2, 3], [1, 2, 4, 2, 3, 0]),
        (dict(kernel_size=1, strides=3, padding="same"), 2, [1], [1, 0, 0, 1, 0, 0]),
        # 'same', output_padding=0, even kernel: TF refuses, Keras-JAX keeps the window at K // 2.
        (dict(kernel_size=4, strides=2, padding="same", output_padding=0), 2, [1, 2, 3, 4], [4, 6]),
    ],
)
def test_keras_worked_examples(kwargs, size, kernel, expected):
    layer = Conv1DTranspose(1, use_bias=False, **kwargs)
    layer.build((1, size, 1))
    layer.set_weights([np.array(kernel, np.float32).reshape(-1, 1, 1)])
    np.testing.assert_array_equal(layer(np.ones((1, size, 1), np.float32)).ravel(), expected)


# -- geometry: an exhaustive sweep against Keras-JAX's pad formulation ---------------------------
def test_geometry_windows_sweep():
    for size, k, s, d, padding in itertools.product(range(1, 7), range(1, 6), range(1, 5), range(1, 4), ("valid", "same")):
        for output_padding in (None, *range(s)):
            rule = normalize_padding(padding, 1, "Conv1DTranspose")
            geometry = TransposeGeometry((k,), (s,), (d,), rule, None if output_padding is None else (output_padding,))
            begin, length = keras_window(size, k, s, d, padding, output_padding)
            assert geometry.crop_begins((size,)) == (begin,)
            assert geometry.output_sizes((size,)) == (length,)
            if length > 0:
                assert geometry.windows((size,)) == ((begin, length),)
            assert geometry.output_sizes((None,)) == (None,)


def test_geometry_explicit_crops_sweep():
    for size, k, s, begin, end in itertools.product(range(1, 6), range(1, 5), range(1, 4), range(3), range(3)):
        for output_padding in range(s):
            geometry = TransposeGeometry((k,), (s,), (2,), Explicit(((begin, end),)), (output_padding,))
            natural = (size - 1) * s + (k - 1) * 2 + 1
            assert geometry.natural_sizes((size,)) == (natural,)
            assert geometry.windows((size,)) == ((begin, natural - begin - end + output_padding),)


# -- values against the NumPy scatter-add ----------------------------------------------------------
def _configs():
    """A deterministic spread over ranks, padding forms, formats, output padding, groups, strides with dilation."""
    rng = np.random.default_rng(3)
    for rank, padding, data_format in itertools.product((1, 2, 3), ("valid", "same", "explicit"), ("channels_last", "channels_first")):
        for _ in range(2):
            k = tuple(int(v) for v in rng.integers(1, 5, rank))
            s = tuple(int(v) for v in rng.integers(1, 4, rank))
            d = tuple(int(v) for v in rng.integers(1, 3, rank))  # strides with dilation: beyond Keras
            output_padding = tuple(int(rng.integers(0, si)) for si in s) if rng.random() < 0.5 else None
            groups = int(rng.choice([1, 2]))
            pad_arg = tuple((int(a), int(b)) for a, b in rng.integers(0, 2, (rank, 2))) if padding == "explicit" else padding
            yield rank, k, s, d, pad_arg, output_padding, data_format, groups


CONFIGS = list(_configs())


@pytest.mark.parametrize("rank, k, s, d, padding, output_padding, data_format, groups", CONFIGS)
def test_values_against_numpy_reference(rank, k, s, d, padding, output_padding, data_format, groups):
    rng = np.random.default_rng(0)
    sizes = tuple(int(v) for v in rng.integers(3, 6 if rank < 3 else 4, rank))
    channels, filters = 2 * groups, 3 * groups
    x_cf = rng.standard_normal((2, channels) + sizes).astype(np.float32)
    kernel = rng.standard_normal(k + (filters // groups, channels)).astype(np.float32)
    bias = rng.standard_normal(filters).astype(np.float32)
    layer = TRANSPOSE[rank](filters, k, s, padding, output_padding=output_padding, data_format=data_format,
                            dilation_rate=d, groups=groups)
    y, x = run_layer(layer, x_cf, kernel, bias, data_format)
    windows = reference_windows(sizes, k, s, d, padding, output_padding)
    expected = np_conv_transpose(x_cf, kernel, bias, strides=s, dilation=d, groups=groups, windows=windows)
    if data_format == "channels_last":
        expected = to_channels_last(expected)
    assert y.shape == expected.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


def test_sweep_covers_both_lowerings():
    """The sweep above reaches both torch-exact windows and windows finished by slicing."""
    exact = []
    for rank, k, s, d, padding, output_padding, _, _ in CONFIGS:
        sizes = (4,) * rank
        natural = [(n - 1) * si + (ki - 1) * di + 1 for n, ki, si, di in zip(sizes, k, s, d)]
        windows = reference_windows(sizes, k, s, d, padding, output_padding)
        exact.append(lowering(natural, windows, s, d).exact)
    assert any(exact) and not all(exact)


def test_keras_conv1d_transpose_consistency_sweep():
    """Keras's own consistency sweep (keras.md 5.3): k 1-4, s 1-4, same/valid, every output padding < s.

    Input ``ones(1, 3, 1)``, kernel ``1..k``; plus output_padding=0 (the even-kernel 'same' edge).
    """
    for k, s, padding in itertools.product(range(1, 5), range(1, 5), ("same", "valid")):
        for output_padding in (None, *range(s)):
            layer = Conv1DTranspose(1, k, s, padding, output_padding=output_padding, use_bias=False)
            layer.build((1, 3, 1))
            kernel = np.arange(1, k + 1, dtype=np.float32).reshape(k, 1, 1)
            layer.set_weights([kernel])
            window = keras_window(3, k, s, 1, padding, output_padding)
            expected = np_conv_transpose(np.ones((1, 1, 3)), kernel, None, strides=(s,), dilation=(1,), windows=[window])
            y = layer(np.ones((1, 3, 1), np.float32))
            np.testing.assert_allclose(y, to_channels_last(expected), err_msg=f"k={k} s={s} {padding} op={output_padding}")


# -- the lowering onto torch: exact torch arguments when they exist, slicing or zero-filling otherwise
@pytest.mark.parametrize(
    "natural, window, s, d, plan",
    [
        # k3 s2 'same' output_padding=1 on L=4: torch padding=1, output_padding=1 give the window.
        (9, (1, 8), 2, 1, TorchTranspose((1,), (1,), ((0, 8),), (0,), (8,))),
        # k3 s2 'same' on L=4: would need output_padding=-1; torch keeps all 9, a view drops the last.
        (9, (0, 8), 2, 1, TorchTranspose((0,), (0,), ((0, 8),), (0,), (9,))),
        # k5 s1 'same': symmetric crop 2.
        (9, (2, 5), 1, 1, TorchTranspose((2,), (0,), ((0, 5),), (0,), (5,))),
        # k1 s3 'valid' on L=2: 2 zeros past the natural end, within torch's output_padding range.
        (4, (0, 6), 3, 1, TorchTranspose((0,), (2,), ((0, 6),), (0,), (6,))),
        # even-kernel 'same' output_padding=0 (k4 s2 L2): a symmetric crop of 2, torch's padding=2.
        (6, (2, 2), 2, 1, TorchTranspose((2,), (0,), ((0, 2),), (0,), (2,))),
        # A window reaching 4 past the natural end (an op-level window no Keras mode produces): torch
        # adds the first 2 zeros through output_padding, F.pad the other 2.
        (5, (1, 8), 3, 1, TorchTranspose((0,), (2,), ((1, 6),), (2,), (7,))),
        # dilation widens torch's output_padding range.
        (7, (0, 9), 1, 3, TorchTranspose((0,), (2,), ((0, 9),), (0,), (9,))),
    ],
)
def test_lowering_table(natural, window, s, d, plan):
    assert lowering((natural,), (window,), (s,), (d,)) == plan


def test_lowering_is_exact_when_torch_can_express_the_window():
    assert lowering((9,), ((1, 8),), (2,), (1,)).exact
    assert lowering((9,), ((2, 5),), (1,), (1,)).exact
    assert not lowering((9,), ((0, 8),), (2,), (1,)).exact
    assert not lowering((9, 9), ((1, 8), (0, 8)), (2, 2), (1, 1)).exact


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])  # torch's NCHW kernel, and oneDNN's channels-last
@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize(
    "windows",
    [((1, 8), (2, 5)), ((0, 8), (1, 5)), ((1, 10), (0, 12)), ((3, 2), (0, 1))],  # inside, beyond the end, tiny
)
def test_functional_op_against_numpy_for_any_window(windows, channels_last, dtype):
    rng = np.random.default_rng(1)
    x_cf = rng.standard_normal((2, 4, 4, 3))
    kernel = rng.standard_normal((3, 2, 3, 4))  # Keras layout k + (F/groups, C), groups=2
    bias = rng.standard_normal(6)
    weight = torch.tensor(kernel, dtype=dtype).permute(3, 2, 0, 1)
    x = torch.tensor(to_channels_last(x_cf) if channels_last else x_cf, dtype=dtype)
    y = conv_transpose(x, weight, torch.tensor(bias, dtype=dtype), windows=windows, strides=(2, 1), dilation_rate=(1, 3),
                       groups=2, channels_last=channels_last)
    expected = np_conv_transpose(x_cf, kernel, bias, strides=(2, 1), dilation=(1, 3), groups=2, windows=windows)
    tolerance = 1e-10 if dtype == torch.float64 else 1e-5
    np.testing.assert_allclose(y.numpy(), to_channels_last(expected) if channels_last else expected, rtol=tolerance, atol=tolerance)


# -- shapes: Keras's own test shapes (keras.md 5.3) and unknown dims --------------------------------
@pytest.mark.parametrize(
    "cls, kwargs, input_shape, output_shape",
    [
        (Conv1DTranspose, dict(filters=5, kernel_size=2, strides=2), (2, 8, 4), (2, 16, 5)),
        (Conv1DTranspose, dict(filters=6, kernel_size=2, strides=3, padding="same", output_padding=2), (2, 8, 4), (2, 23, 6)),
        (Conv1DTranspose, dict(filters=6, kernel_size=(2,), strides=(2,)), (2, 8, 4), (2, 16, 6)),
        (Conv2DTranspose, dict(filters=5, kernel_size=2, strides=2), (2, 8, 8, 4), (2, 16, 16, 5)),
        (Conv2DTranspose, dict(filters=6, kernel_size=2, strides=3, padding="same", output_padding=2), (2, 8, 8, 4), (2, 23, 23, 6)),
        (Conv2DTranspose, dict(filters=6, kernel_size=(2, 3), strides=(2, 1), data_format="channels_first"), (2, 4, 8, 8), (2, 6, 16, 10)),
        (Conv2DTranspose, dict(filters=2, kernel_size=7, strides=16), (1, 14, 14, 2), (1, 224, 224, 2)),
        (Conv2DTranspose, dict(filters=6, kernel_size=7, strides=16, padding="same", output_padding=2), (2, 14, 14, 4), (2, 211, 211, 6)),
        (Conv3DTranspose, dict(filters=5, kernel_size=2, strides=2), (2, 8, 8, 8, 4), (2, 16, 16, 16, 5)),
        (Conv3DTranspose, dict(filters=6, kernel_size=2, strides=3, padding="same", output_padding=2), (2, 8, 8, 8, 4), (2, 23, 23, 23, 6)),
        (Conv3DTranspose, dict(filters=6, kernel_size=(2, 2, 3), strides=(2, 1, 2)), (2, 8, 8, 8, 4), (2, 16, 9, 17, 6)),
    ],
)
def test_keras_test_shapes(cls, kwargs, input_shape, output_shape):
    layer = cls(**kwargs)
    assert layer.compute_output_shape(input_shape) == output_shape
    assert layer(np.zeros(input_shape, np.float32)).shape == output_shape
    assert len(layer.trainable_weights) == 2 and layer.losses == []


def test_unknown_dims_propagate():
    for k, s, padding in itertools.product(range(1, 5), range(1, 5), ("same", "valid")):
        for output_padding in (None, *range(s)):
            layer = Conv2DTranspose(2, k, s, padding, output_padding=output_padding)
            assert layer.compute_output_shape((None, None, None, 3)) == (None, None, None, 2)
    assert Conv2DTranspose(2, 3, 2, ((1, 0), 0)).compute_output_shape((None, 4, None, 3)) == (None, 8, None, 2)


# -- the adjoint property: <conv(x), y> == <x, conv_transpose(y)> with the same kernel -----------
def _adjoint_cases():
    rng = np.random.default_rng(7)
    for rank in (1, 2, 3):
        for _ in range(4):
            k = tuple(int(v) for v in rng.integers(1, 4, rank))
            s = tuple(int(v) for v in rng.integers(1, 4, rank))
            d = tuple(int(v) for v in rng.integers(1, 3, rank))
            pads = tuple((int(a), int(b)) for a, b in rng.integers(0, 3, (rank, 2)))
            yield rank, k, s, d, pads, int(rng.choice([1, 2]))


@pytest.mark.parametrize("rank, k, s, d, pads, groups", list(_adjoint_cases()))
def test_transpose_is_the_adjoint_of_conv_explicit(rank, k, s, d, pads, groups):
    rng = np.random.default_rng(0)
    sizes = tuple(int(v) for v in rng.integers(6, 9 if rank < 3 else 7, rank))
    channels, filters = 2 * groups, 3 * groups
    conv = CONV[rank](filters, k, s, pads, dilation_rate=d, groups=groups, use_bias=False, dtype="float64")
    x = torch.randn((2,) + sizes + (channels,), dtype=torch.float64)
    y_shape = conv.compute_output_shape(x.shape)
    # The transposed layer crops the natural output back onto the conv's input: begin = pad begin,
    # and whatever the conv's stride skipped at the end comes back as output_padding.
    natural = [(m - 1) * si + (ki - 1) * di + 1 for m, ki, si, di in zip(y_shape[1:-1], k, s, d)]
    ends = [full - b - n for full, (b, _), n in zip(natural, pads, sizes)]
    crops = tuple((b, max(e, 0)) for (b, _), e in zip(pads, ends))
    extra = tuple(max(-e, 0) for e in ends)
    transpose = TRANSPOSE[rank](channels, k, s, crops, output_padding=extra, dilation_rate=d, groups=groups,
                                use_bias=False, dtype="float64")
    _check_adjoint(conv, transpose, x)


@pytest.mark.parametrize(
    "rank, k, s, padding, size",
    [(1, 3, 2, "same", 8), (2, (4, 3), (2, 3), "same", 12), (3, 2, (1, 2, 3), "same", 6),
     (1, 4, 2, "valid", 10), (2, (3, 3), (3, 1), "valid", 9), (3, 3, 1, "valid", 5)],
)
def test_transpose_is_the_adjoint_of_conv_keras_modes(rank, k, s, padding, size):
    """Keras's 'same' (input size divisible by the stride) and 'valid' (window tiles the input) pair up."""
    conv = CONV[rank](3, k, s, padding, use_bias=False, dtype="float64")
    transpose = TRANSPOSE[rank](2, k, s, padding, use_bias=False, dtype="float64")
    _check_adjoint(conv, transpose, torch.randn((2,) + (size,) * rank + (2,), dtype=torch.float64))


def _check_adjoint(conv, transpose, x):
    y = torch.randn(conv.compute_output_shape(x.shape), dtype=torch.float64)
    conv.build(x.shape)
    transpose.build(y.shape)
    transpose.set_weights(conv.get_weights())
    back = transpose(y)
    assert back.shape == x.shape
    torch.testing.assert_close((conv(x) * y).sum(), (x * back).sum(), rtol=1e-10, atol=1e-10)


# -- gradients -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "rank, kwargs",
    [
        (1, dict(kernel_size=3, strides=2, padding="same")),  # slicing path
        (1, dict(kernel_size=3, strides=2, padding="valid", output_padding=1)),  # zeros past the end
        (2, dict(kernel_size=(2, 3), strides=(2, 1), padding="same", output_padding=(1, 0), data_format="channels_first")),
        (2, dict(kernel_size=3, strides=2, dilation_rate=2, padding=((2, 0), (0, 1)), groups=2)),
        (3, dict(kernel_size=2, strides=(1, 2, 1), padding="same", groups=2)),
    ],
)
def test_gradcheck(rank, kwargs):
    layer = TRANSPOSE[rank](2, activation="tanh", dtype="float64", **kwargs)
    shape = (1,) + (3,) * rank + (2,) if layer.channels_last else (1, 2) + (3,) * rank
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    layer.build(shape)
    with torch.no_grad():
        layer.bias.normal_()
    assert torch.autograd.gradcheck(lambda x, *params: layer(x), (x, *layer.weights))


def test_gradcheck_functional_zero_fill():
    x = torch.randn(1, 2, 3, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(2, 1, 2, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(1, dtype=torch.float64, requires_grad=True)
    plan = lowering((8,), ((2, 10),), (3,), (1,))  # natural (3 - 1) * 3 + 2 = 8
    assert any(plan.zeros) and not plan.exact
    assert torch.autograd.gradcheck(
        lambda x, w, b: conv_transpose(x, w, b, windows=((2, 10),), strides=(3,), dilation_rate=(1,), groups=1,
                                       channels_last=False),
        (x, weight, bias),
    )


@pytest.mark.parametrize("rank, channels_last", [(1, False), (1, True), (2, False), (3, False)])
def test_float32_channels_last_lowering_has_the_float64_gradients(rank, channels_last):
    """float32 on CPU runs torch in channels-last memory (1-D lifted to 2-D); its gradients match float64's plain path."""
    rng = np.random.default_rng(5)
    spatial = (5, 4, 3)[:rank]
    x64 = torch.tensor(rng.standard_normal((2,) + spatial + (4,) if channels_last else (2, 4) + spatial), requires_grad=True)
    w64 = torch.tensor(rng.standard_normal((4, 3) + (3,) * rank), requires_grad=True)
    b64 = torch.tensor(rng.standard_normal(6), requires_grad=True)
    kwargs = dict(windows=((1, 8),) * rank, strides=(2,) * rank, dilation_rate=(1,) * rank, groups=2, channels_last=channels_last)
    x32, w32, b32 = (t.detach().float().requires_grad_() for t in (x64, w64, b64))
    grads = []
    for x, w, b in ((x64, w64, b64), (x32, w32, b32)):
        (conv_transpose(x, w, b, **kwargs) ** 2).sum().backward()
        grads.append([t.grad.double() for t in (x, w, b)])
    for g32, g64 in zip(grads[1], grads[0]):
        torch.testing.assert_close(g32, g64, rtol=1e-4, atol=1e-4)


# -- Keras's own Conv2DTranspose cases (external, written by Keras) ------------------------------
def _deconv_cases():
    if not DECONV.is_dir():
        return []
    return sorted({p.name.rsplit("_", 1)[0] for p in DECONV.glob("*_W.npy")})


#: Written by an older Keras 2 whose 'valid' length was ``(n - 1) * s + k`` even when ``k < s``
#: (the natural output); Keras 3 appends ``s - k`` zeros (external/README.md).
OLD_WRITER = {"mb3_k1_sz8_s3_valid_d1_nchw", "mb3_k2_sz3_s3_valid_d1_nchw"}


def _load_deconv(case):
    _, k, _, s, padding, d, layout = case.split("_")
    W, b, x, y = (np.load(DECONV / f"{case}_{part}.npy") for part in ("W", "b", "in", "out"))
    data_format = "channels_first" if layout == "nchw" else "channels_last"
    return W, b, x.astype(np.float32), y, int(s[1:]), padding, int(d[1:]), data_format


@pytest.mark.skipif(not DECONV.is_dir(), reason=f"external Keras fixtures not found at {DECONV}")
def test_external_keras_deconv_corpus_is_complete():
    assert len(_deconv_cases()) == 28 and OLD_WRITER <= set(_deconv_cases())


@pytest.mark.skipif(not DECONV.is_dir(), reason=f"external Keras fixtures not found at {DECONV}")
@pytest.mark.parametrize("case", sorted(set(_deconv_cases()) - OLD_WRITER) or ["absent"])
def test_external_keras_deconv(case):
    W, b, x, y, s, padding, d, data_format = _load_deconv(case)
    layer = Conv2DTranspose(W.shape[2], W.shape[:2], s, padding, data_format=data_format, dilation_rate=d)
    layer.build(x.shape)
    layer.set_weights([W, b])
    np.testing.assert_allclose(layer(x), y, rtol=1e-4, atol=1e-4 * max(1.0, np.abs(y).max()))


@pytest.mark.skipif(not DECONV.is_dir(), reason=f"external Keras fixtures not found at {DECONV}")
@pytest.mark.parametrize("case", sorted(OLD_WRITER))
def test_external_old_keras2_deconv_is_the_uncropped_output(case):
    """The older writer's output is the natural output: explicit zero cropping reproduces it, and
    Keras 3's 'valid' is it followed by bias-only positions."""
    W, b, x, y, s, padding, d, data_format = _load_deconv(case)
    natural = Conv2DTranspose(W.shape[2], W.shape[:2], s, 0, data_format=data_format, dilation_rate=d)
    keras3 = Conv2DTranspose(W.shape[2], W.shape[:2], s, padding, data_format=data_format, dilation_rate=d)
    for layer in (natural, keras3):
        layer.build(x.shape)
        layer.set_weights([W, b])
    np.testing.assert_allclose(natural(x), y, rtol=1e-4, atol=1e-4 * np.abs(y).max())
    out = keras3(x)
    n = y.shape[-1]
    assert out.shape[-1] == x.shape[-1] * s > n
    np.testing.assert_allclose(out[..., :n, :n], y, rtol=1e-4, atol=1e-4 * np.abs(y).max())
    np.testing.assert_allclose(out[..., n:], np.broadcast_to(b.reshape(1, -1, 1, 1), out[..., n:].shape), rtol=1e-6)
    # Every Keras 2 tag (2.0.0-2.3.1) sizes 'valid' as n * s + max(k - s, 0) unless `output_padding` is
    # given: with output_padding=0 (Keras >= 2.2.2, kept in its configs) the length is (n - 1) * s + k,
    # this writer's. So a config that says so reproduces it; no version rule is needed.
    explicit = Conv2DTranspose(W.shape[2], W.shape[:2], s, padding, output_padding=0, data_format=data_format,
                               dilation_rate=d)
    explicit.build(x.shape)
    explicit.set_weights([W, b])
    np.testing.assert_allclose(explicit(x), y, rtol=1e-4, atol=1e-4 * np.abs(y).max())


# -- PyTorch's padding / output_padding, through the explicit cropping form ----------------------
@pytest.mark.parametrize("padding, output_padding, stride, dilation", [(1, 1, 2, 1), (2, 0, 3, 1), (0, 2, 3, 2), (3, 1, 2, 2)])
def test_explicit_cropping_is_pytorch_padding(padding, output_padding, stride, dilation):
    torch_layer = torch.nn.ConvTranspose2d(4, 6, 3, stride=stride, padding=padding, output_padding=output_padding,
                                           dilation=dilation, groups=2)
    layer = Conv2DTranspose(6, 3, stride, padding, output_padding=output_padding, dilation_rate=dilation, groups=2,
                            data_format="channels_first")
    layer.build((1, 4, 5, 5))
    with torch.no_grad():
        layer.kernel.copy_(torch_layer.weight)
        layer.bias.copy_(torch_layer.bias)
    x = torch.randn(1, 4, 5, 5)
    torch.testing.assert_close(layer(x), torch_layer(x))


# -- the layer protocol ---------------------------------------------------------------------------
def test_weights_layout_and_round_trip():
    layer = Conv2DTranspose(6, (2, 3), groups=2)
    layer.build((1, 5, 5, 4))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (2, 3, 3, 4) and bias.shape == (6,)  # kernel_size + (filters // groups, in)
    assert tuple(layer.kernel.shape) == (4, 3, 2, 3)  # PyTorch's (in, filters // groups, *k)
    new = [np.arange(kernel.size, dtype=np.float32).reshape(kernel.shape), np.arange(6, dtype=np.float32)]
    layer.set_weights(new)
    for got, want in zip(layer.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    assert layer.kernel[3, 1, 0, 2].item() == new[0][0, 2, 1, 3]
    assert set(layer.state_dict()) == {"kernel", "bias"} and layer.count_params() == 72 + 6


def test_initializer_sees_keras_transposed_fans():
    """he_uniform's limit uses fan_in = prod(k) * filters (Keras's fans of k + (filters, in))."""
    layer = Conv2DTranspose(64, 3, kernel_initializer="he_uniform")
    layer.build((1, 4, 4, 32))
    limit = (6 / (9 * 64)) ** 0.5
    assert 0.97 * limit < np.abs(layer.get_weights()[0]).max() <= limit


def test_config_round_trip_is_exact_and_json():
    layer = Conv3DTranspose(
        4, (3, 2, 2), strides=(2, 1, 3), padding="same", output_padding=(1, 0, 2), data_format="channels_first",
        activation="relu", use_bias=False, kernel_initializer="he_normal", kernel_regularizer="l2",
        activity_regularizer="l1", kernel_constraint="max_norm", name="t1",
    )
    config = layer.get_config()
    assert list(config) == [
        "name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding", "output_padding", "data_format",
        "dilation_rate", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer",
        "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint",
    ]
    text = json.dumps(config)
    clone = Conv3DTranspose.from_config(json.loads(text))
    assert json.dumps(clone.get_config()) == text and clone.geometry == layer.geometry


def test_config_of_extensions_round_trips():
    layer = Conv2DTranspose(4, 3, 2, ((1, 0), 2), output_padding=1, dilation_rate=2, groups=2, name="t2")
    config = layer.get_config()
    assert config["padding"] == [[1, 0], [2, 2]] and config["groups"] == 2 and config["output_padding"] == (1, 1)
    assert list(config)[-1] == "groups"  # beyond Keras: after Keras's own keys, which keep their order
    text = json.dumps(config)
    clone = Conv2DTranspose.from_config(json.loads(text))
    assert json.dumps(clone.get_config()) == text and clone.geometry == layer.geometry and clone.groups == 2


def test_keras3_config_is_accepted():
    """A Conv2DTranspose config as Keras 3.15.1 wrote it into a .keras file."""
    config = {
        "name": "tr_d", "trainable": True,
        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None},
        "filters": 6, "kernel_size": [3, 3], "strides": [2, 2], "padding": "same", "output_padding": [1, 1],
        "data_format": "channels_last", "dilation_rate": [1, 1], "activation": "linear", "use_bias": True,
        "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                               "config": {"seed": None, "input_axes": None, "output_axes": None}, "registered_name": None},
        "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": None},
        "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
        "kernel_constraint": None, "bias_constraint": None,
    }
    layer = Conv2DTranspose.from_config(config)
    assert layer(np.zeros((1, 5, 5, 3), np.float32)).shape == (1, 10, 10, 6)
    assert list(layer.get_config()) == list(config)


def test_numpy_and_tensor_io_extra_batch_dims_and_float64():
    layer = Conv1DTranspose(3, 2, strides=2)
    x = np.random.default_rng(0).standard_normal((2, 5, 4))
    y = layer(x)
    assert isinstance(y, np.ndarray) and y.dtype == np.float32 and y.shape == (2, 10, 3)
    t = layer(torch.tensor(x, dtype=torch.float32, requires_grad=True))
    assert isinstance(t, torch.Tensor) and t.requires_grad
    np.testing.assert_allclose(t.detach().numpy(), y)
    big = torch.randn(4, 7, 6, 6, 3)
    layer2 = Conv2DTranspose(2, 3, strides=2, padding="same")
    out = layer2(big)
    assert tuple(out.shape) == (4, 7, 12, 12, 2) == layer2.compute_output_shape(big.shape)
    torch.testing.assert_close(out.reshape(28, 12, 12, 2), layer2(big.reshape(28, 6, 6, 3)))
    assert Conv2DTranspose(2, 3, dtype="float64")(torch.randn(1, 4, 4, 1)).dtype == torch.float64


def test_losses_and_constraints_in_keras_layout():
    layer = Conv1DTranspose(2, 2, kernel_regularizer=convlayers.regularizers.L2(0.5), bias_regularizer="l1",
                            kernel_constraint="non_neg")
    layer.build((1, 4, 3))
    kernel = np.random.default_rng(0).standard_normal((2, 2, 3)).astype(np.float32)
    layer.set_weights([kernel, np.array([1.0, -2.0], np.float32)])
    kernel_term, bias_term = (t.item() for t in layer.losses)
    assert kernel_term == pytest.approx(0.5 * np.sum(kernel.astype(np.float64) ** 2), rel=1e-6)
    assert bias_term == pytest.approx(0.03, rel=1e-6)
    layer.apply_constraints()
    np.testing.assert_array_equal(layer.get_weights()[0], np.maximum(kernel, 0))


def test_aliases():
    assert convlayers.Conv2DTranspose is convlayers.Convolution2DTranspose is convlayers.Deconvolution2D
    assert convlayers.Conv3DTranspose is convlayers.Convolution3DTranspose is convlayers.Deconvolution3D
    assert convlayers.Convolution1DTranspose is Conv1DTranspose
    assert Conv2DTranspose(1, 1).name.startswith("conv2d_transpose")


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(filters=0, kernel_size=1), ValueError, r"Conv2DTranspose 't': invalid value for argument `filters`. Expected a value > 0. Received filters=0."),
        (dict(filters=2, kernel_size=(1, 0)), ValueError, r"`kernel_size` argument must be an integer or a tuple of 2 integers. Received kernel_size=\(1, 0\), including values \{0\}"),
        (dict(filters=2, kernel_size=2, strides=(1, 0)), ValueError, r"Received strides=\(1, 0\)"),
        (dict(filters=2, kernel_size=2, strides=2, output_padding=2), ValueError,
         r"Conv2DTranspose 't': `output_padding` must be strictly less than `strides` for all dimensions. At dimension 0, "
         r"`output_padding` is 2 but `strides` is 2. Received: output_padding=\(2, 2\), strides=\(2, 2\)."),
        (dict(filters=2, kernel_size=2, output_padding=1), ValueError, r"At dimension 0, `output_padding` is 1 but `strides` is 1"),
        (dict(filters=2, kernel_size=2, strides=(3, 2), output_padding=(1, 2)), ValueError, r"At dimension 1, `output_padding` is 2 but `strides` is 2"),
        (dict(filters=2, kernel_size=2, strides=2, output_padding=-1), ValueError, r"`output_padding` argument .* including values \{-1\} that do not satisfy `value >= 0`"),
        (dict(filters=2, kernel_size=2, padding="causal"), ValueError, r"Conv2DTranspose 't': the `padding` argument must be one of \('valid', 'same'\).*Received: padding='causal'"),
        (dict(filters=2, kernel_size=2, padding="full"), ValueError, r"Received: padding='full'"),
        (dict(filters=2, kernel_size=2, padding=((1, -1), 0)), ValueError, r"`padding` argument must be an int, 2 ints, or 2 \(begin, end\) pairs"),
        (dict(filters=3, kernel_size=2, groups=2), ValueError, r"number of filters must be evenly divisible by the number of groups. Received: groups=2, filters=3"),
        (dict(filters=2, kernel_size=2, bogus=1), ValueError, r"Unrecognized keyword arguments passed to Conv2DTranspose: \['bogus'\]"),
    ],
)
def test_constructor_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        Conv2DTranspose(name="t", **kwargs)


def test_shape_errors():
    with pytest.raises(ValueError, match=r"Conv2DTranspose 't': expected an input of rank at least 4 \(batch, spatial_1, spatial_2, channels\)"):
        Conv2DTranspose(2, 3, name="t").build((5, 5, 3))
    with pytest.raises(ValueError, match=r"number of input channels must be evenly divisible by the number of groups. Received groups=2, but the input has 3 channels"):
        Conv2DTranspose(2, 3, groups=2, name="t").build((1, 5, 5, 3))
    with pytest.raises(ValueError, match=r"channel dimension of the input must be known"):
        Conv2DTranspose(2, 3, name="t").build((1, 5, 5, None))
    with pytest.raises(
        ValueError,
        match=r"Conv1DTranspose 't': the output would be empty along spatial dim 1: input size 1 gives a natural "
        r"output of 2 \(kernel_size=2, strides=1, dilation_rate=1\), and padding=\(\(1, 1\),\) with "
        r"output_padding=None leaves 0. Received input shape \(1, 1, 3\).",
    ):
        Conv1DTranspose(2, 2, padding=1, name="t").build((1, 1, 3))
    with pytest.raises(ValueError, match=r"along spatial dim 2: .* padding='same' with output_padding=\(0, 0\) leaves 0"):
        Conv2DTranspose(2, 2, padding="same", output_padding=0, name="t").build((1, 3, 1, 3))
    layer = Conv2DTranspose(2, 3, name="t")
    layer.build((1, 5, 5, 3))
    with pytest.raises(ValueError, match=r"built for inputs with 3 channels but received an input of shape \(1, 5, 5, 4\) with 4 channels"):
        layer(np.zeros((1, 5, 5, 4), np.float32))
    with pytest.raises(ValueError, match=r"the output would be empty"):
        Conv1DTranspose(2, 2, padding=(3, 0)).compute_output_shape((None, 2, 3))


# -- the window lowering's own backward (the adjoint convolution of the padded upstream gradient) ---
@pytest.mark.parametrize("channels_last", [False, True])
# None is torch's own; the last two reach past the natural end (9), or lie wholly past it (torch's narrow() failed).
@pytest.mark.parametrize("windows", [((0, 8), (1, 5)), ((1, 10), (0, 12)), ((3, 2), (0, 1)), ((7, 5), (8, 2)),
                                     ((10, 3), (0, 9))])
def test_window_backward_gradcheck(windows, channels_last):
    natural = [(n - 1) * s + (k - 1) * d + 1 for n, k, s, d in zip((4, 3), (3, 3), (2, 1), (1, 3))]
    assert not lowering(natural, windows, (2, 1), (1, 3)).exact
    rng = np.random.default_rng(2)
    shape = (2, 4, 3, 4) if channels_last else (2, 4, 4, 3)
    x, weight, bias = (torch.tensor(rng.standard_normal(s), requires_grad=True) for s in (shape, (4, 3, 3, 3), (6,)))
    assert torch.autograd.gradcheck(
        lambda x, w, b: conv_transpose(x, w, b, windows=windows, strides=(2, 1), dilation_rate=(1, 3), groups=2,
                                       channels_last=channels_last),
        (x, weight, bias),
    )


@pytest.mark.parametrize("needs", [(True, False, False), (False, True, False), (False, False, True)])
def test_window_backward_computes_only_the_gradients_asked_for(needs):
    """Each gradient alone, without a bias, in float32 (oneDNN, channels-last) against float64."""
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s) for s in ((2, 6, 5, 4), (4, 2, 3, 3), (4,))]
    grads = {}
    for dtype in (torch.float64, torch.float32):
        x, w, b = (torch.tensor(a, dtype=dtype, requires_grad=n) for a, n in zip(arrays, needs))
        bias = b if needs[2] else None
        y = conv_transpose(x, w, bias, windows=((0, 12), (0, 10)), strides=(2, 2), dilation_rate=(1, 1), groups=2,
                           channels_last=True)  # Keras's 'same', k3 s2: torch's output is one longer
        y.backward(torch.linspace(-1, 1, y.numel(), dtype=dtype).reshape(y.shape))
        grads[dtype] = [t.grad for t, n in zip((x, w, b), needs) if n]
        assert all(t.grad is None for t, n in zip((x, w, b), needs) if not n)
    torch.testing.assert_close(grads[torch.float32][0].double(), grads[torch.float64][0], rtol=1e-4, atol=1e-4)
