"""convlayers on a CUDA device: Keras parity, gradients against the CPU, one layer per family, TF32 scoping.

Every test here is marked ``cuda`` and skips, once per test function, where torch
sees no CUDA device (CI). Each loops over its cases and reports all failures at
once. ``bench/gpu_check.py`` runs this file and :func:`parity_misses` with TF32
at its default and enabled.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import torch

import convlayers as cl
import test_companion_layers as companions
import test_keras3_fixtures as keras3
from convlayers import config

pytestmark = pytest.mark.cuda

RTOL = 1e-4  # the CPU parity tests' tolerance


def parity_misses(device: str | torch.device = "cuda") -> tuple[int, list[tuple[str, float]]]:
    """Run every Keras parity case (layers and companions) on ``device``; the count and the misses.

    A miss is a case whose output differs from Keras's by more than the CPU tests
    allow (``rtol=1e-4`` and a small absolute floor), with its largest relative error.
    """
    misses, count = [], 0
    for case_id in sorted(i for i, c in keras3.CASES.items() if c["layer"] in keras3.KINDS):
        case, arrays = keras3.CASES[case_id], keras3.ARRAYS[case_id]
        layer = getattr(cl, case["layer"])(**case["config"])
        layer.build(arrays["x"].shape, device=device)
        layer.set_weights([arrays[name] for name in case["weights"]])
        with torch.no_grad():
            y = layer(torch.from_numpy(arrays["x"]).to(device)).cpu().numpy()
        count += 1
        atol = 1e-5 * max(1.0, np.abs(arrays["y"]).max())
        _record(misses, case_id, y, arrays["y"], atol)
    for case_id in sorted(companions.CASES):
        case, arrays = companions.CASES[case_id], companions.ARRAYS[case_id]
        layer = companions._layer_for(case_id).to(device).eval()  # inference, as the NumPy calls of the CPU tests
        x = torch.from_numpy(arrays["x"]).to(device)
        with torch.no_grad():
            y = layer(x, mask=torch.from_numpy(arrays["mask"]).to(device)) if "mask" in arrays else layer(x)
        count += 1
        _record(misses, case_id, y.cpu().numpy(), arrays["y"], 1e-6)
    return count, misses


def _record(misses: list, case_id: str, y: np.ndarray, expected: np.ndarray, atol: float) -> None:
    if y.shape != expected.shape:
        misses.append((case_id, float("inf")))
    elif not np.allclose(y, expected, rtol=RTOL, atol=atol):
        misses.append((case_id, float(np.max(np.abs(y - expected) / np.maximum(np.abs(expected), atol)))))


def test_keras_parity_on_cuda_with_tf32_at_its_default(cuda_device):
    assert not config.is_tf32_enabled()
    count, misses = parity_misses(cuda_device)
    assert count >= 300
    assert misses == [], f"{len(misses)} of {count} cases miss Keras on CUDA: {misses[:20]}"


#: One layer per family, with an input (channels last) that exercises its CUDA plan.
FAMILIES = {
    "Conv1D causal dilated": (lambda: cl.Conv1D(8, 3, padding="causal", dilation_rate=2), (4, 33, 5)),
    "Conv2D same s2": (lambda: cl.Conv2D(8, 3, strides=2, padding="same"), (4, 17, 16, 6)),
    "Conv2D channels_first groups": (lambda: cl.Conv2D(8, 3, groups=2, data_format="channels_first"), (4, 6, 12, 12)),
    "Conv3D": (lambda: cl.Conv3D(4, 3, padding="same"), (2, 7, 8, 9, 3)),
    "DepthwiseConv2D": (lambda: cl.DepthwiseConv2D(3, depth_multiplier=2, padding="same"), (4, 12, 12, 5)),
    "SeparableConv1D": (lambda: cl.SeparableConv1D(6, 5, padding="same"), (4, 20, 3)),
    "Conv1DTranspose same s2": (lambda: cl.Conv1DTranspose(4, 3, strides=2, padding="same"), (4, 9, 3)),
    "Conv2DTranspose output_padding": (lambda: cl.Conv2DTranspose(4, 3, strides=2, output_padding=1), (3, 6, 7, 5)),
    "Conv3DTranspose": (lambda: cl.Conv3DTranspose(3, 2, strides=2, padding="same"), (2, 4, 5, 3, 2)),
    "LocallyConnected2D": (lambda: cl.LocallyConnected2D(4, 3), (3, 8, 7, 2)),
    "Dense": (lambda: cl.Dense(16, activation="relu"), (5, 7, 33)),
    "MaxPooling2D same": (lambda: cl.MaxPooling2D(3, strides=2, padding="same"), (4, 11, 10, 3)),
    "AveragePooling1D": (lambda: cl.AveragePooling1D(2), (4, 10, 3)),
    "UpSampling2D bilinear": (lambda: cl.UpSampling2D(2, interpolation="bilinear"), (2, 5, 6, 3)),
    "ZeroPadding2D": (lambda: cl.ZeroPadding2D(((1, 2), (0, 3))), (2, 5, 6, 3)),
    "Cropping3D": (lambda: cl.Cropping3D(1), (2, 5, 6, 7, 3)),
    "BatchNormalization": (lambda: cl.BatchNormalization(), (4, 6, 6, 3)),
}


def _cpu_and_cuda(make, shape, device):
    cpu = make()
    cpu.build(shape)
    with torch.no_grad():
        for p in cpu.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    return cpu, copy.deepcopy(cpu).to(device)


def test_every_family_runs_on_cuda_with_the_cpu_numbers(cuda_device):
    failures = []
    for name, (make, shape) in FAMILIES.items():
        cpu, gpu = _cpu_and_cuda(make, shape, cuda_device)
        x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            expected, got = cpu.eval()(x), gpu.eval()(x.to(cuda_device))
        if got.device.type != cuda_device.type or got.shape != expected.shape:
            failures.append(f"{name}: {got.device} {tuple(got.shape)} vs {tuple(expected.shape)}")
        elif not torch.allclose(got.cpu(), expected, rtol=RTOL, atol=1e-5):
            failures.append(f"{name}: max diff {(got.cpu() - expected).abs().max().item():.2e}")
    assert failures == []


def test_gradients_on_cuda_match_the_cpu(cuda_device):
    failures = []
    for name, (make, shape) in FAMILIES.items():
        cpu, gpu = _cpu_and_cuda(make, shape, cuda_device)
        x = torch.randn(shape, generator=torch.Generator().manual_seed(1), requires_grad=True)
        x_gpu = x.detach().to(cuda_device).requires_grad_()
        y = cpu.train()(x)
        dy = torch.randn(y.shape, generator=torch.Generator().manual_seed(2))
        y.backward(dy)
        gpu.train()(x_gpu).backward(dy.to(cuda_device))
        pairs = [("input", x.grad, x_gpu.grad)] + [
            (n, p.grad, q.grad) for (n, p), q in zip(cpu.named_parameters(), gpu.parameters()) if p.requires_grad
        ]
        for what, expected, got in pairs:
            if not torch.allclose(got.cpu(), expected, rtol=RTOL, atol=1e-4):
                failures.append(f"{name} d{what}: max diff {(got.cpu() - expected).abs().max().item():.2e}")
    assert failures == []


def _torch_flags() -> tuple:
    return (
        torch.backends.fp32_precision, torch.backends.cudnn.conv.fp32_precision,
        torch.backends.cuda.matmul.fp32_precision, torch.backends.cudnn.allow_tf32,
        torch.backends.cuda.matmul.allow_tf32, torch.get_float32_matmul_precision(),
    )


def test_layer_calls_leave_torch_flags_as_they_were(cuda_device):
    before = _torch_flags()
    layer = cl.Conv2D(8, 3).to(cuda_device)
    x = torch.randn(2, 9, 9, 4, device=cuda_device, requires_grad=True)
    layer(x).sum().backward()
    cl.Dense(4).to(cuda_device)(torch.randn(3, 5, device=cuda_device))
    assert _torch_flags() == before


def test_a_user_who_asked_torch_for_tf32_matmuls_still_gets_exact_dense(cuda_device):
    """torch.set_float32_matmul_precision('high') pins the legacy flag; convlayers' matmul must neither raise nor round."""
    before = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("high")
    try:
        layer = cl.Dense(256)
        layer.build((64, 1024))
        x = torch.randn(64, 1024)
        kernel = layer.kernel.detach().double()  # stored as F.linear's (units, features)
        expected = (x.double() @ kernel.T + layer.bias.detach().double()).float()
        got = copy.deepcopy(layer).to(cuda_device)(x.to(cuda_device)).cpu()
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
        assert torch.get_float32_matmul_precision() == "high"
    finally:
        torch.set_float32_matmul_precision(before)


def test_tf32_opt_in_reaches_cudnn_and_stays_scoped(cuda_device):
    """With TF32 enabled a wide convolution rounds its inputs to 10-bit mantissas: visibly less exact than by default."""
    layer = cl.Conv2D(64, 3, padding="same")
    layer.build((8, 32, 32, 256))
    x = torch.randn(8, 32, 32, 256)
    with torch.no_grad():
        expected = layer.double()(x.double()).float()
        gpu = copy.deepcopy(layer).float().to(cuda_device)
        exact = (gpu(x.to(cuda_device)).cpu() - expected).abs().max().item()
        with config.tf32():
            fast = (gpu(x.to(cuda_device)).cpu() - expected).abs().max().item()
    scale = expected.abs().max().item()
    assert exact < 1e-5 * scale
    if torch.cuda.get_device_capability() >= (8, 0):  # TF32 exists from Ampere on
        assert fast > 10 * exact, (fast, exact)


def test_half_precision_policies_run_on_cuda(cuda_device):
    for policy in ("mixed_bfloat16", "mixed_float16"):
        for data_format, shape in (("channels_last", (2, 8, 8, 4)), ("channels_first", (2, 4, 8, 8))):
            layer = cl.Conv2D(8, 3, padding="same", dtype=policy, data_format=data_format).to(cuda_device)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                y = layer(torch.randn(shape, device=cuda_device))
            assert y.dtype == layer.dtype_policy.compute_torch_dtype and y.isfinite().all()
