"""A layer follows its parameters' dtype: ``.double()``, ``.half()``, ``.to(torch.bfloat16)`` work on every kind."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import convlayers as cl

KINDS = [
    lambda: cl.Conv1D(3, 2, padding="causal", dilation_rate=2),
    lambda: cl.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
    lambda: cl.Conv3D(2, 2, groups=1),
    lambda: cl.DepthwiseConv2D(3, depth_multiplier=2),
    lambda: cl.SeparableConv1D(4, 3, padding="same"),
    lambda: cl.Conv2DTranspose(2, 3, strides=2, padding="same"),
    lambda: cl.Conv3DTranspose(2, 2, strides=2),
    lambda: cl.MaxPooling2D(2, padding="same"),
    lambda: cl.AveragePooling1D(3, strides=2),
    lambda: cl.GlobalAveragePooling2D(),
    lambda: cl.UpSampling2D(2, interpolation="bicubic"),
    lambda: cl.BatchNormalization(),
    lambda: cl.Dense(3, activation="tanh"),
    lambda: cl.ZeroPadding2D(1),
    lambda: cl.Cropping1D(1),
    lambda: cl.Flatten(),
]


def _built(make):
    layer = make()
    rank = getattr(layer, "rank", 2)
    shape = (2, 7, 3) if rank == 1 else (2, 6, 6, 3) if rank == 2 else (2, 4, 4, 4, 3)
    x = torch.randn(shape, generator=torch.Generator().manual_seed(0))
    layer(x)
    return layer, x


@pytest.mark.parametrize("make", KINDS, ids=lambda make: type(make()).__name__)
def test_double_computes_in_float64_with_exact_gradients(make):
    layer, x = _built(make)
    expected = layer(x).double()
    layer.double()
    assert layer.dtype == torch.float64 and all(p.dtype == torch.float64 for p in layer.parameters())
    x64 = x.double().requires_grad_()
    assert layer(x64).dtype == torch.float64
    torch.testing.assert_close(layer(x64).detach(), expected, rtol=1e-5, atol=1e-5)
    assert torch.autograd.gradcheck(layer, (x64,), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("dtype, tol", [(torch.bfloat16, 5e-2), (torch.float16, 5e-3)])
@pytest.mark.parametrize("make", KINDS, ids=lambda make: type(make()).__name__)
def test_low_precision_modules_compute_in_their_dtype(make, dtype, tol):
    layer, x = _built(make)
    layer.double()
    expected = layer(x.double()).detach()
    layer.to(dtype)
    y = layer(x).detach()  # float32 input: cast to the layer's dtype, as Keras autocasts
    assert layer.dtype == dtype and y.dtype == dtype
    scale = 1 + expected.abs().max()
    assert float((y.double() - expected).abs().max() / scale) < tol
    layer.float()
    assert layer(x).dtype == torch.float32


def test_a_model_converted_with_double_trains_and_predicts_in_float64():
    model = cl.Sequential([cl.Input((6, 6, 1)), cl.Conv2D(2, 3, activation="relu"), cl.Flatten(), cl.Dense(1)])
    model.double()
    x = np.random.default_rng(0).standard_normal((4, 6, 6, 1))
    assert model.predict(x).dtype == np.float64
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss = model(torch.from_numpy(x)).square().mean()
    loss.backward()
    optimizer.step()
    assert loss.dtype == torch.float64 and all(p.grad.dtype == torch.float64 for p in model.parameters())
    assert model.layers[0].get_config()["dtype"]["config"]["name"] == "float64"
