"""The lowering chosen for CUDA, tested on CPU: the plan is a pure function, and its calls run on any tensors.

A call resolved for device ``"cuda"`` runs here on CPU tensors in float64 (torch's
own kernels, none of oneDNN's faults), so its geometry (no 1-D lift, no padded
copies, torch's autograd for transposed windows) is checked against the NumPy
reference, values and gradients.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.overrides import TorchFunctionMode

import reference
from convlayers import ops
from convlayers.ops.lowering import Backend, Plan, backend, plan


@pytest.mark.parametrize(
    "device, dtype, expected",
    [
        ("cpu", "float32", Backend(onednn=True, lift_1d=True, channels_last=False, full_float32=False)),
        ("cpu", "bfloat16", Backend(onednn=True, lift_1d=True, channels_last=False, full_float32=False)),
        ("cpu", "float64", Backend(onednn=False, lift_1d=True, channels_last=False, full_float32=False)),
        ("cuda", "float32", Backend(onednn=False, lift_1d=False, channels_last=False, full_float32=True)),
        ("cuda", "float16", Backend(onednn=False, lift_1d=False, channels_last=True, full_float32=False)),
        ("cuda", "bfloat16", Backend(onednn=False, lift_1d=False, channels_last=True, full_float32=False)),
        ("cuda", "float64", Backend(onednn=False, lift_1d=False, channels_last=False, full_float32=False)),
        ("meta", "float32", Backend(onednn=False, lift_1d=True, channels_last=False, full_float32=False)),
    ],
)
def test_backend_per_device_and_dtype(device, dtype, expected):
    assert backend(device, dtype) == expected


def test_cuda_keeps_1d_as_1d_with_the_same_padding_choice():
    causal = ((4096,), (3,), ((8, 0),), (1,), (4,), 1, True)
    assert plan(*causal, "cpu") == Plan(2, (0, 8), None, ((0, 1), (0, 4096)))
    assert plan(*causal, "cuda") == Plan(1, (8,), None, ((0, 4096),))
    same_s2 = ((56, 56), (3, 3), ((0, 1), (0, 1)), (2, 2), (1, 1), 1, True)  # 7% overcompute: a padded copy
    assert plan(*same_s2, "cuda") == plan(*same_s2, "cpu") == Plan(2, (0, 0), ((0, 1), (0, 1)), None)


def test_cuda_takes_no_detour_around_onednn_faults():
    spec = ((2, 5, 5), (4, 1, 1), ((3, 3), (0, 0), (0, 0)), (2, 1, 1), (1, 1, 1), 1, True)  # a 3-D kernel-gradient fault
    assert plan(*spec, "cpu").input_pads == ((3, 3), (0, 0), (0, 0))
    assert plan(*spec, "cuda") == Plan(3, (3, 0, 0), None, None)
    assert plan(*spec, "cuda", "float16") == plan(*spec, "cuda", "bfloat16") == plan(*spec, "cuda")


CONV_CASES = [
    # spatial, kernel, pads, strides, dilation, groups, channels, filters
    ((9,), (3,), ((4, 0),), (1,), (2,), 1, 2, 3),  # causal, dilated
    ((8,), (2,), ((0, 1),), (2,), (1,), 1, 2, 2),  # TF 'same', even kernel
    ((1,), (1,), ((1, 1),), (2,), (2,), 1, 1, 2),  # both outputs in the padding
    ((6, 5), (3, 2), ((1, 1), (0, 1)), (1, 2), (1, 1), 2, 4, 2),  # grouped, asymmetric
    ((1, 3), (2, 2), ((0, 1), (1, 0)), (1, 2), (1, 1), 1, 1, 2),  # one channel, one output wide (oneDNN's narrow fault)
    ((3, 4, 4), (2, 3, 1), ((1, 0), (1, 1), (0, 0)), (2, 1, 1), (1, 1, 1), 1, 2, 2),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: f"{len(c[0])}d-{c[0]}")
@pytest.mark.parametrize("channels_last", [True, False])
def test_a_cuda_conv_call_computes_the_reference(case, channels_last):
    spatial, kernel, pads, strides, dilation, groups, channels, filters = case
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, channels) + spatial)
    w = rng.standard_normal(kernel + (channels // groups, filters))  # Keras layout
    b = rng.standard_normal(filters)
    expected = reference.conv(x, w, b, pads=pads, strides=strides, dilation=dilation, groups=groups)
    rank = len(spatial)
    weight = torch.from_numpy(np.ascontiguousarray(np.moveaxis(w, (rank, rank + 1), (1, 0)))).requires_grad_()
    xt = torch.from_numpy(reference.to_channels_last(x) if channels_last else x).requires_grad_()
    run = ops.conv_call((2,) + spatial, tuple(weight.shape), pads, strides, dilation, groups, channels_last, "cuda",
                        torch.float32)
    y = run(xt, weight, torch.from_numpy(b), None)
    got = y.detach().numpy()
    np.testing.assert_allclose(reference.to_channels_first(got) if channels_last else got, expected, rtol=1e-12, atol=1e-12)
    # Gradients: the convolution is linear in x, so <dy, conv(x)> = <x, grad>; check against the reference adjoint.
    dy = rng.standard_normal(got.shape)
    y.backward(torch.from_numpy(dy))
    grad_x = xt.grad.numpy()
    probe = rng.standard_normal(xt.shape)
    probe_cf = reference.to_channels_first(probe) if channels_last else probe
    conv_probe = reference.conv(probe_cf, w, None, pads=pads, strides=strides, dilation=dilation, groups=groups)
    dy_cf = reference.to_channels_first(dy) if channels_last else dy
    np.testing.assert_allclose(np.sum(grad_x * probe), np.sum(conv_probe * dy_cf), rtol=1e-10)


@pytest.mark.parametrize("channels_last", [True, False])
@pytest.mark.parametrize(
    "spatial, kernel, windows, strides",
    [((6,), (3,), ((0, 12),), (2,)), ((6,), (3,), ((1, 12),), (2,)), ((4, 3), (3, 2), ((0, 8), (1, 6)), (2, 2))],
)
def test_a_cuda_transposed_window_computes_the_reference_through_torch_autograd(channels_last, spatial, kernel, windows, strides):
    rank = len(spatial)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3) + spatial)
    w = rng.standard_normal(kernel + (2, 3))  # Keras layout (k..., filters, channels)
    dilation = (1,) * rank
    expected = reference.conv_transpose(x, w, None, strides=strides, dilation=dilation, windows=windows)
    weight = torch.from_numpy(np.ascontiguousarray(np.moveaxis(w, (rank + 1, rank), (0, 1)))).requires_grad_()
    xt = torch.from_numpy(reference.to_channels_last(x) if channels_last else x).requires_grad_()
    run = ops.conv_transpose_call(spatial, tuple(weight.shape), windows, strides, dilation, 1, channels_last, "cuda",
                                  torch.float32)
    y = run(xt, weight, None)
    assert "Window" not in type(y.grad_fn).__name__ and y.grad_fn is not None
    got = y.detach().numpy()
    np.testing.assert_allclose(reference.to_channels_first(got) if channels_last else got, expected, rtol=1e-12, atol=1e-12)
    # The same gradients as the CPU plan's custom backward (float64 runs it through the same reference adjoint).
    cpu = ops.conv_transpose_call(spatial, tuple(weight.shape), windows, strides, dilation, 1, channels_last)
    dy = torch.from_numpy(rng.standard_normal(got.shape))
    grads = torch.autograd.grad(y, (xt, weight), dy)
    expected_grads = torch.autograd.grad(cpu(xt, weight, None), (xt, weight), dy)
    torch.testing.assert_close(grads, expected_grads, rtol=1e-12, atol=1e-12)


class _ConvInputs(TorchFunctionMode):
    """Records whether each ``conv2d`` input is in channels-last memory (and not also plain contiguous)."""

    def __init__(self) -> None:
        super().__init__()
        self.channels_last: list[bool] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func is torch.nn.functional.conv2d:
            x = args[0]
            self.channels_last.append(x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous())
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float32])
def test_half_precision_on_cuda_reads_channels_last_memory(dtype):
    """cuDNN's tensor cores want NHWC: a channels-first bfloat16 input is copied there; float32 keeps its layout."""
    run = ops.conv_call((2, 6, 6), (4, 3, 3, 3), ((1, 1), (1, 1)), (1, 1), (1, 1), 1, False, "cuda", dtype)
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((3, 3, 3, 4))
    weight = torch.from_numpy(np.ascontiguousarray(np.moveaxis(w, (2, 3), (1, 0)))).to(dtype)
    with _ConvInputs() as spy:
        y = run(torch.from_numpy(x).to(dtype), weight, None, None)
    assert spy.channels_last == [dtype == torch.bfloat16]
    expected = reference.conv(x, w, None, pads=((1, 1), (1, 1)), strides=(1, 1), dilation=(1, 1))
    np.testing.assert_allclose(y.float().numpy(), expected, rtol=0.05, atol=0.15 if dtype == torch.bfloat16 else 1e-5)


def test_the_cuda_parity_helper_finds_no_miss_on_cpu():
    """``test_cuda.parity_misses`` (what the GPU check counts) is right where the CPU tests already pass."""
    import test_cuda

    count, misses = test_cuda.parity_misses("cpu")
    assert count >= 300 and misses == []
