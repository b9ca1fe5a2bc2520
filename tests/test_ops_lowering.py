"""Every lowering of ``ops.conv`` against the NumPy reference and gradcheck, for every kind it serves.

Each case names the lowering it must take (the plan is asserted, so a change of
thresholds cannot silently leave a path untested), then checks values in
float32 (oneDNN's kernels) and float64, and gradients with gradcheck.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch

from convlayers import activations
from convlayers.ops import conv
from convlayers.ops.conv import _fused
from convlayers.ops.lowering import aligned_padding, plan
from reference import conv as np_conv
from reference import to_channels_last

conv_module = importlib.import_module("convlayers.ops.conv")  # the package's `conv` is the function


def _case(path, rank, spatial, kernel, *, strides=1, dilation=1, groups=1, channels=2, filters=3, pads=None, channels_last=True):
    expand = lambda v: (v,) * rank if isinstance(v, int) else tuple(v)
    kernel, strides, dilation = expand(kernel), expand(strides), expand(dilation)
    pads = tuple(pads) if pads is not None else ((0, 0),) * rank
    return pytest.param(
        dict(path=path, spatial=tuple(spatial), kernel=kernel, strides=strides, dilation=dilation, groups=groups,
             channels=channels, filters=filters, pads=pads, channels_last=channels_last),
        id=f"{path}-{rank}d-{'cl' if channels_last else 'cf'}-k{kernel}-s{strides}-d{dilation}-g{groups}-p{pads}",
    )


CASES = [
    # 1x1, stride 1, unpadded: oneDNN's 1x1 kernel in either layout
    _case("rank1", 1, (6,), 1, channels=4, filters=3),
    _case("symmetric", 2, (4, 5), 1, channels=4, filters=3),
    _case("symmetric", 3, (3, 4, 2), 1, channels=3, filters=2),
    # symmetric padding: torch pads, nothing else
    _case("symmetric", 2, (6, 7), 3, pads=((1, 1), (1, 1))),
    _case("symmetric", 2, (6, 7), 3, pads=((1, 1), (1, 1)), channels_last=False),
    _case("symmetric", 2, (5, 4), 1, channels_last=False),  # 1x1 channels first stays a convolution
    _case("symmetric", 2, (9, 8), (3, 2), strides=(2, 1), dilation=(1, 2), groups=2, channels=4, filters=4),
    _case("symmetric", 2, (7, 7), 3, groups=4, channels=4, filters=8, pads=((1, 1), (1, 1))),  # depthwise, multiplier 2
    _case("symmetric", 3, (4, 5, 4), 2, groups=2, channels=4, filters=2, channels_last=False),
    _case("symmetric", 3, (4, 5, 4), (2, 3, 3), strides=(1, 2, 1), pads=((1, 1), (0, 0), (1, 1))),
    # 1-D through the 2-D channels-last path
    _case("rank1", 1, (9,), 3, pads=((1, 1),)),
    _case("rank1", 1, (11,), 3, strides=2, dilation=2, groups=2, channels=4, filters=2),
    _case("rank1", 1, (10,), 3, groups=3, channels=3, filters=3),  # depthwise
    _case("rank1-window", 1, (96,), 3, dilation=2, pads=((4, 0),)),  # causal
    _case("rank1-window", 1, (96,), 3, strides=2, pads=((2, 0),), groups=2, channels=2, filters=2),
    _case("rank1", 1, (9,), 3, strides=2, pads=((0, 1),)),  # the end pad is never reached
    _case("rank1-pad", 1, (8,), 3, strides=2, pads=((0, 1),)),  # too short for a cheap slice
    _case("symmetric", 1, (9,), 3, strides=2, pads=((1, 1),), channels_last=False),
    _case("pad", 1, (9,), 3, dilation=2, pads=((4, 0),), channels_last=False),
    # asymmetric pads: an output slice while the extra work is small, else a padded copy
    _case("window", 2, (5, 64), 3, pads=((1, 1), (2, 0))),
    _case("window", 2, (5, 64), 3, pads=((1, 1), (2, 0)), channels_last=False),
    _case("window", 2, (5, 48), 3, strides=(1, 2), pads=((1, 1), (0, 1))),  # aligned by dropping the first output
    _case("window", 2, (5, 88), 3, strides=(1, 3), dilation=(1, 2), groups=2, channels=4, filters=2, pads=((0, 0), (4, 2))),
    _case("pad", 2, (5, 24), 3, strides=(1, 2), pads=((1, 1), (0, 1))),  # TF 'same', stride 2: 8% extra is too much
    _case("pad", 2, (8, 8), 3, strides=2, pads=((0, 1), (0, 1))),
    _case("pad", 2, (7, 6), (3, 2), strides=(1, 2), dilation=(2, 1), groups=2, channels=4, filters=4, pads=((2, 1), (0, 3))),
    _case("pad", 3, (4, 5, 4), 2, groups=2, channels=2, filters=2, pads=((0, 1), (1, 0), (1, 1)), channels_last=False),
    _case("pad", 3, (4, 5, 6), 3, strides=(1, 1, 2), pads=((1, 1), (2, 0), (0, 1))),
    # a window or a kernel tap that meets only padding (oneDNN crashes or errs there): a padded copy
    _case("pad", 3, (4, 5, 4), (2, 3, 1), strides=(1, 2, 1), pads=((1, 1), (0, 0), (2, 2))),
    _case("pad", 2, (3, 1), (2, 1), strides=(2, 4), dilation=(1, 2), channels=1, filters=1, pads=((3, 3), (3, 3))),
    _case("pad", 3, (2, 1, 1), (4, 2, 2), strides=(2, 1, 2), channels=1, filters=1, pads=((3, 3), (1, 1), (1, 1)),
          channels_last=False),
    _case("rank1-pad", 1, (2,), 1, strides=2, dilation=2, channels=1, filters=1, pads=((1, 1),)),
    # 3-D depth padding beyond a depth stride above 1 (oneDNN's kernel gradient is garbage there): a padded copy
    _case("pad", 3, (3, 2, 2), (4, 1, 1), strides=(2, 1, 1), channels=1, filters=2, pads=((3, 3), (0, 0), (0, 0))),
    _case("pad", 3, (4, 2, 2), (5, 1, 1), strides=(3, 1, 1), channels=4, filters=2, pads=((4, 4), (0, 0), (0, 0)),
          channels_last=False),
    _case("pad", 3, (2, 3, 2), (4, 2, 1), strides=(2, 1, 1), channels=1, filters=1, pads=((3, 3), (1, 1), (0, 0)),
          channels_last=False),
]


def _expected_path(c: dict) -> str:
    p = plan(c["spatial"], c["kernel"], c["pads"], c["strides"], c["dilation"], c["groups"], c["channels_last"])
    kind = "window" if p.window is not None else "pad" if p.input_pads is not None else "symmetric"
    if p.rank > len(c["spatial"]):
        return "rank1" if kind == "symmetric" else f"rank1-{kind}"
    return kind


def _inputs(c: dict, dtype: torch.dtype, seed: int = 0):
    rng = np.random.default_rng(seed)
    x_cf = rng.standard_normal((2, c["channels"]) + c["spatial"])
    kernel = rng.standard_normal(c["kernel"] + (c["channels"] // c["groups"], c["filters"]))
    bias = rng.standard_normal(c["filters"])
    rank = len(c["spatial"])
    x = to_channels_last(x_cf) if c["channels_last"] else x_cf
    weight = torch.tensor(kernel, dtype=dtype).permute(rank + 1, rank, *range(rank)).contiguous()
    return x_cf, kernel, bias, torch.tensor(x, dtype=dtype), weight, torch.tensor(bias, dtype=dtype)


def _call(c: dict, x, weight, bias):
    return conv(x, weight, bias, pads=c["pads"], strides=c["strides"], dilation_rate=c["dilation"],
                groups=c["groups"], channels_last=c["channels_last"])


@pytest.mark.parametrize("case", CASES)
def test_takes_the_named_lowering(case):
    assert _expected_path(case) == case["path"]


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-4), (torch.float64, 1e-10)])
@pytest.mark.parametrize("case", CASES)
def test_values_against_numpy_reference(case, dtype, tol):
    x_cf, kernel, bias, x, weight, b = _inputs(case, dtype)
    for bias_array, bias_tensor in ((bias, b), (None, None)):
        expected = np_conv(x_cf, kernel, bias_array, pads=case["pads"], strides=case["strides"],
                           dilation=case["dilation"], groups=case["groups"])
        if case["channels_last"]:
            expected = to_channels_last(expected)
        y = _call(case, x, weight, bias_tensor)
        assert y.dtype == dtype and tuple(y.shape) == expected.shape
        np.testing.assert_allclose(y.numpy(), expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("case", CASES)
def test_gradcheck(case):
    _, _, _, x, weight, bias = _inputs(case, torch.float64)
    inputs = [t.requires_grad_() for t in (x, weight, bias)]
    assert torch.autograd.gradcheck(lambda *t: _call(case, *t), inputs)


@pytest.mark.parametrize("case", CASES)
def test_float32_gradients_match_float64(case):
    """The float32 backward runs oneDNN's kernels (float64 runs torch's own): same numbers."""
    grads = {}
    for dtype in (torch.float32, torch.float64):
        _, _, _, x, weight, bias = _inputs(case, dtype)
        inputs = [t.requires_grad_() for t in (x, weight, bias)]
        y = _call(case, *inputs)
        y.backward(torch.linspace(-1, 1, y.numel(), dtype=dtype).reshape(y.shape))
        grads[dtype] = [t.grad.double() for t in inputs]
    for got, want in zip(grads[torch.float32], grads[torch.float64]):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("rank, fmt", [(2, torch.channels_last), (3, torch.channels_last_3d)])
def test_channels_last_stays_channels_last_without_copies(rank, fmt):
    """A contiguous channels-last input gives a contiguous channels-last output and input gradient."""
    x = torch.randn((2,) + (6,) * rank + (4,), requires_grad=True)
    weight = torch.randn((5, 4) + (3,) * rank, requires_grad=True)
    y = conv(x, weight, None, pads=((1, 1),) * rank, strides=(1,) * rank, dilation_rate=(1,) * rank, groups=1, channels_last=True)
    assert y.is_contiguous() and y.movedim(-1, 1).is_contiguous(memory_format=fmt)
    y.backward(torch.ones_like(y))
    assert x.grad.is_contiguous()


def test_aligned_padding_is_the_smallest_aligned_symmetric_pad():
    for size in range(1, 12):
        for k in (1, 2, 3, 4):
            for s in (1, 2, 3):
                for d in (1, 2):
                    for pads in ((0, 1), (1, 0), (0, 3), (2, 1), (1, 4)):
                        span = (k - 1) * d + 1
                        wanted = (size + sum(pads) - span) // s + 1
                        if wanted <= 0:
                            continue
                        p, offset = aligned_padding(size, k, s, d, pads)
                        assert p == pads[0] + offset * s
                        assert (size + 2 * p - span) // s + 1 >= offset + wanted
                        if offset:
                            q = p - s
                            assert (size + 2 * q - span) // s + 1 < offset - 1 + wanted


FUSED_ACTIVATIONS = ["relu", "relu6", "hard_tanh", "leaky_relu"]


@pytest.mark.parametrize("name", FUSED_ACTIVATIONS)
@pytest.mark.parametrize("case", CASES)
def test_fused_activation_matches_activation_after(case, name, monkeypatch):
    """Without a gradient, oneDNN applies the activation inside the kernel: the numbers of applying it after."""
    act = activations.get(name)
    x_cf, kernel, bias, x, weight, b = _inputs(case, torch.float32)
    pointwise = set(case["kernel"] + case["strides"] + case["dilation"]) == {1}  # torch may run it as a GEMM
    decisions = []
    monkeypatch.setattr(conv_module, "_fused", lambda *args: decisions.append(_fused(*args)) or decisions[-1])
    with torch.no_grad():
        fused = conv(x, weight, b, pads=case["pads"], strides=case["strides"], dilation_rate=case["dilation"],
                     groups=case["groups"], channels_last=case["channels_last"], activation=act)
        after = act(_call(case, x, weight, b))
    assert (decisions != [] and decisions[0] is not None) == (not pointwise)
    torch.testing.assert_close(fused, after, rtol=1e-6, atol=0)
    expected = act(torch.tensor(np_conv(x_cf, kernel, bias, pads=case["pads"], strides=case["strides"],
                                        dilation=case["dilation"], groups=case["groups"]))).numpy()
    np.testing.assert_allclose(fused.numpy(), to_channels_last(expected) if case["channels_last"] else expected,
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("case", CASES[:3] + CASES[-3:])
def test_activation_falls_back_where_a_gradient_flows(case):
    act = activations.get("relu")
    _, _, _, x, weight, bias = _inputs(case, torch.float64)
    inputs = [t.requires_grad_() for t in (x, weight, bias)]
    assert _fused(act, x.float(), weight.float(), bias.float()) is None  # float32 with grad: kernel, then act
    run = lambda *t: conv(*t, pads=case["pads"], strides=case["strides"], dilation_rate=case["dilation"],
                          groups=case["groups"], channels_last=case["channels_last"], activation=act)
    assert torch.autograd.gradcheck(run, inputs)
    sigmoid = activations.get("sigmoid")  # oneDNN's is 3e-7 off
    assert _fused(sigmoid, x.detach().float(), weight.detach().float(), None) is None


def _poisoned(where: str):
    """A 3x3 'same' conv whose inputs make some outputs NaN or infinite: ``(x, weight, bias)``, channels last.

    Before the activation: infinite where the fused kernel's clamps would hide it (``"overflow"``), NaN elsewhere.
    """
    x, weight, bias = torch.ones(2, 6, 6, 3), torch.full((4, 3, 3, 3), 0.5), torch.zeros(4)
    if where == "nan input":
        x[0, 2, 3, 1] = float("nan")
    elif where == "inf input":  # inf * 0.5 - inf * 0.5 is NaN where both windows meet
        x[1, 1, 1, 0], x[1, 1, 2, 0] = float("inf"), float("-inf")
    elif where == "nan weight":
        weight[2, 1, 0, 0] = float("nan")
    elif where == "nan bias":
        bias[1] = float("nan")
    elif where == "overflow":  # finite inputs whose sums overflow to +-inf
        x[0, 3, 3, 0], x[0, 3, 4, 0] = 3e38, -3e38
        weight *= 4.0
    return x, weight, bias


@pytest.mark.parametrize("name", FUSED_ACTIVATIONS)
@pytest.mark.parametrize("where", ["nan input", "inf input", "nan weight", "nan bias", "overflow"])
def test_non_finite_values_propagate_through_fused_activations(name, where):
    """NaN stays NaN as in Keras and PyTorch: inference (where fusion would run) equals training, bit for bit.

    oneDNN's fused relu/hardtanh clamp NaN to a number, so fusion is refused
    whenever an output could be NaN or infinite.
    """
    act = activations.get(name)
    x, weight, bias = _poisoned(where)
    run = lambda *t: conv(*t, pads=((1, 1), (1, 1)), strides=(1, 1), dilation_rate=(1, 1), groups=1,
                          channels_last=True, activation=act)
    with torch.no_grad():
        inference = run(x, weight, bias)
    training = run(*(t.clone().requires_grad_() for t in (x, weight, bias))).detach()
    before = conv(x, weight, bias, pads=((1, 1), (1, 1)), strides=(1, 1), dilation_rate=(1, 1), groups=1,
                  channels_last=True)
    assert not before.isfinite().all(), "the poison must reach the output, or the test proves nothing"
    torch.testing.assert_close(inference, training, rtol=0, atol=0, equal_nan=True)
    torch.testing.assert_close(inference, act(before), rtol=0, atol=0, equal_nan=True)


def test_fusion_still_runs_on_finite_inputs():
    """The finiteness check must not switch the fast path off where it is safe."""
    x, weight, bias = _poisoned("none")
    assert _fused(activations.get("relu"), x, weight, bias) == ("relu", [])
    assert _fused(activations.get("relu"), _poisoned("nan input")[0], weight, bias) is None


def test_onednn_detours_apply_only_where_onednn_runs():
    """The padded copy around oneDNN's faults is for CPU below float64; torch's own kernels pad for themselves."""
    args = ((3, 1), (2, 1), ((3, 3), (3, 3)), (2, 4), (1, 2), 1, True)  # windows meeting only padding
    assert plan(*args).input_pads == ((3, 3), (3, 3))
    assert plan(*args, "cpu", "bfloat16").input_pads == ((3, 3), (3, 3))
    assert plan(*args, "cpu", "float64") == plan(*args, "cuda", "float32") == (2, (3, 3), None, None)


def test_per_shape_tensors_are_kept_per_device_and_dtype():
    from convlayers.ops.pool import _real_counts
    from convlayers.ops.resample import _resize_matrix_on

    cpu = torch.device("cpu")
    counts = _real_counts((5, 3), (2, 2), (2, 2), ((0, 1), (0, 1)), torch.float32, cpu, (1, 1))
    assert counts is _real_counts((5, 3), (2, 2), (2, 2), ((0, 1), (0, 1)), torch.float32, cpu, (1, 1))
    assert counts.tolist() == [[4.0, 2.0], [4.0, 2.0], [2.0, 1.0]]  # (2, 2, 1) x (2, 1) real elements
    assert _real_counts((5, 3), (2, 2), (2, 2), ((0, 1), (0, 1)), torch.float64, cpu, (1, 1)).dtype == torch.float64
    matrix = _resize_matrix_on("cubic", 3, 2, torch.float32, cpu)
    assert matrix is _resize_matrix_on("cubic", 3, 2, torch.float32, cpu) and matrix.dtype == torch.float32
