"""One-channel and tiny-width shapes, float32 against float64, forward and backward, every convolution family.

torch 2.13's oneDNN (3.12) brgemm convolution kernel returns garbage for one
input channel, an output width of 1 and a width stride above 1 (ops/layout.py
says exactly when); float64 never runs that kernel. These shapes are where
such faults live, so the sweep covers them densely: every family and rank, both
data formats, channels and filters 1 or 2, spatial sizes 1 to 4, strides 1 to
3, even and odd kernels, 'valid' and 'same'. The float64 twin of each layer has
the same weights and sees the same input and upstream gradient.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

import convlayers as cl
import reference

FAMILIES = {
    "conv": {1: cl.Conv1D, 2: cl.Conv2D, 3: cl.Conv3D},
    "depthwise": {1: cl.DepthwiseConv1D, 2: cl.DepthwiseConv2D, 3: cl.DepthwiseConv3D},
    "separable": {1: cl.SeparableConv1D, 2: cl.SeparableConv2D, 3: cl.SeparableConv3D},
    "transpose": {1: cl.Conv1DTranspose, 2: cl.Conv2DTranspose, 3: cl.Conv3DTranspose},
}
CASES_PER_FAMILY_AND_RANK = 80


def narrow_cases(family: str, rank: int) -> list[dict]:
    """Seeded, buildable configs of ``family`` at ``rank`` whose shapes are one channel wide or a few pixels small.

    Half of them are aimed at the fault's region: one channel, a width of 1 to
    4, a width stride above 1, unit strides elsewhere, kernels of 2 to 5 and
    heights up to 8 (the fault needs a few rows of work to split).
    """
    rng = random.Random(f"{family}-{rank}")
    cases = []
    while len(cases) < CASES_PER_FAMILY_AND_RANK:
        aimed = rng.random() < 0.5
        kernel = tuple(rng.choice((2, 3, 4, 5) if aimed else (1, 2, 3)) for _ in range(rank))
        strides = tuple(rng.choice((1,) if aimed else (1, 2, 3)) for _ in range(rank))
        spatial = tuple(rng.choice((3, 4, 6, 8) if aimed else (1, 2, 3, 4)) for _ in range(rank))
        if aimed:
            kernel = kernel[:-1] + (rng.choice((2, 3)),)
            spatial = spatial[:-1] + (rng.choice((1, 2, 3, 4)),)
            strides = strides[:-1] + (rng.choice((2, 3)),)
        kwargs = dict(kernel_size=kernel, strides=strides, padding=rng.choice(("valid", "same")),
                      use_bias=rng.random() < 0.5, data_format=rng.choice(("channels_last", "channels_first")))
        if family in ("depthwise", "separable"):
            kwargs["depth_multiplier"] = rng.choice((1, 2))
        if family != "depthwise":
            kwargs["filters"] = rng.choice((1, 2))
        if family == "transpose" and rng.random() < 0.5:
            kwargs["output_padding"] = tuple(rng.randrange(s) for s in strides)
        channels = 1 if aimed else rng.choice((1, 2))
        batch = rng.choice((1, 2, 3, 4))
        layout = spatial + (channels,) if kwargs["data_format"] == "channels_last" else (channels,) + spatial
        case = dict(kwargs=kwargs, input_shape=(batch,) + layout)
        try:  # kernels larger than the input, empty transposed windows: refused at build, tested elsewhere
            FAMILIES[family][rank](**kwargs).build(case["input_shape"])
        except ValueError:
            continue
        cases.append(case)
    return cases


def run(layer_class, kwargs, weights, x, upstream_seed):
    """The output and the gradients of ``sum(output * upstream)`` for the input and each weight, by name."""
    layer = layer_class(**kwargs)
    layer.build(x.shape)
    layer.set_weights(weights)
    x = x.clone().requires_grad_(True)
    y = layer(x)
    upstream = torch.randn(y.shape, generator=torch.Generator().manual_seed(upstream_seed), dtype=torch.float64)
    y.backward(upstream.to(y.dtype))
    results = {"output": y.detach(), "input gradient": x.grad}
    results.update((f"{name} gradient", weight.grad) for name, weight in layer.named_parameters())
    return results


@pytest.fixture
def two_threads():
    """The fault depends on how oneDNN splits the work: two threads (CI's cores) meet it far more often than one."""
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(threads)


@pytest.mark.usefixtures("two_threads")
@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_float32_matches_float64_on_narrow_shapes(family, rank):
    layer_class = FAMILIES[family][rank]
    failures = []
    for index, case in enumerate(narrow_cases(family, rank)):
        probe = layer_class(**case["kwargs"])
        probe.build(case["input_shape"])
        weights = [np.random.default_rng(index).standard_normal(w.shape) for w in probe.get_weights()]
        x64 = torch.from_numpy(np.random.default_rng(1000 + index).standard_normal(case["input_shape"]))
        got = run(layer_class, case["kwargs"], [w.astype(np.float32) for w in weights], x64.float(), index)
        want = run(layer_class, dict(case["kwargs"], dtype="float64"), weights, x64, index)
        for what, w in want.items():
            g = got[what]
            scale = max(1.0, w.abs().max().item())
            if g.shape != w.shape or not torch.allclose(g.double(), w, rtol=1e-4, atol=1e-4 * scale):
                failures.append(f"{case}: {what} differs by {(g.double() - w).abs().max().item():.3g}")
    assert not failures, f"{len(failures)} float32 results differ from float64:\n" + "\n".join(failures[:10])


@pytest.mark.usefixtures("two_threads")
def test_issue_example_one_channel_width_stride():
    """Conv2D over one channel, output one wide, width stride 2: garbage (up to 1e32) before the routing."""
    x = np.random.default_rng(0).random((2, 4, 1, 1))
    layer = cl.Conv2D(1, 3, strides=(1, 2), padding="same", use_bias=False)
    layer.build(x.shape)
    kernel = layer.get_weights()[0].astype(np.float64)
    want = reference.conv(reference.to_channels_first(x), kernel, None, pads=((1, 1), (1, 1)), strides=(1, 2), dilation=(1, 1))
    for _ in range(3):  # the garbage changed from call to call
        np.testing.assert_allclose(layer(x.astype(np.float32)), reference.to_channels_last(want), rtol=1e-5, atol=1e-6)


@pytest.mark.usefixtures("two_threads")
def test_issue_example_transposed_input_gradient():
    """Conv2DTranspose with one filter into an input one wide: the input gradient had entries of -2e28."""
    kwargs = dict(filters=1, kernel_size=(5, 4), strides=(1, 4), output_padding=(0, 3), use_bias=False)
    x64 = torch.from_numpy(np.random.default_rng(0).random((1, 4, 1, 2)))
    probe = cl.Conv2DTranspose(**kwargs)
    probe.build(x64.shape)
    weights = [w.astype(np.float64) for w in probe.get_weights()]
    got = run(cl.Conv2DTranspose, kwargs, [w.astype(np.float32) for w in weights], x64.float(), 0)
    want = run(cl.Conv2DTranspose, dict(kwargs, dtype="float64"), weights, x64, 0)
    torch.testing.assert_close(got["input gradient"].double(), want["input gradient"], rtol=1e-5, atol=1e-5)
