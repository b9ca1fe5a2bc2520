"""Transposed convolutions that keep requested output sizes (Keras 1's ``Deconvolution2D(output_shape=...)``)."""

from __future__ import annotations

import numpy as np
import pytest

import convlayers
from convlayers.geometry import OutputSize


def _natural(x, kernel, stride):
    """The uncropped transposed convolution of one-channel ``x`` (1-D), by scattering: the oracle."""
    out = np.zeros((len(x) - 1) * stride + len(kernel))
    for i, value in enumerate(x):
        out[i * stride: i * stride + len(kernel)] += value * kernel
    return out


@pytest.mark.parametrize(
    "n, k, s, size, placement, begin",
    [
        (5, 3, 2, 11, "valid", 0),      # the natural output
        (5, 3, 2, 12, "valid", 0),      # one past it: a zero
        (5, 3, 2, 9, "same", 1),        # TF: P = 11 - 9 = 2, begin 1
        (5, 3, 2, 10, "same", 0),       # P = 1, begin 0
        (4, 4, 2, 8, "same", 1),        # natural 10, P = 2
        (5, 3, 2, 9, "theano_same", 1), # kd // 2
        (5, 2, 2, 10, "theano_same", 1),
        (5, 3, 1, 7, "theano_full", 2), # kd - 1
        (5, 3, 2, 8, "onnx_upper", 1),  # onnxruntime: P = 11 - 8 = 3, the smaller half first
        (5, 3, 2, 8, "onnx_lower", 2),  # the larger half first
        (5, 3, 2, 12, "onnx_lower", 0), # past the natural output: zeros, no size check
    ],
)
def test_kept_window_matches_the_scatter_oracle(n, k, s, size, placement, begin):
    rng = np.random.default_rng(n * 100 + k * 10 + s)
    x = rng.standard_normal(n).astype(np.float32)
    kernel = rng.standard_normal(k).astype(np.float32)
    layer = convlayers.Conv1DTranspose(1, k, strides=s, padding=OutputSize((size,), placement), use_bias=False)
    layer.build((1, n, 1))
    layer.set_weights([kernel.reshape(k, 1, 1)])
    natural = np.concatenate([_natural(x, kernel, s), np.zeros(size)])
    np.testing.assert_allclose(layer(x.reshape(1, n, 1))[0, :, 0], natural[begin: begin + size], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("placement, n, sizes_ok, size_bad", [("valid", 12, (25, 26), 27), ("same", 12, (23, 24), 22)])
def test_tensorflow_placements_check_the_size_as_conv2d_transpose_does(placement, n, sizes_ok, size_bad):
    for size in sizes_ok:
        layer = convlayers.Conv1DTranspose(1, 3, strides=2, padding=OutputSize((size,), placement))
        assert layer.compute_output_shape((None, n, 1)) == (None, size, 1)
    layer = convlayers.Conv1DTranspose(1, 3, strides=2, padding=OutputSize((size_bad,), placement))
    with pytest.raises(ValueError, match=rf"requested output size {size_bad} along spatial dim 1 does not fit"):
        layer(np.zeros((1, n, 1), np.float32))


def test_theano_placements_keep_any_size():
    layer = convlayers.Conv1DTranspose(1, 3, strides=2, padding=OutputSize((40,), "theano_same"))
    assert layer(np.zeros((1, 12, 1), np.float32)).shape == (1, 40, 1)


def test_output_size_round_trips_and_refuses_output_padding():
    layer = convlayers.Conv2DTranspose(2, 3, strides=2, padding=OutputSize((9, 8), "same"))
    config = layer.get_config()
    assert config["padding"] == {"class_name": "OutputSize", "config": {"sizes": [9, 8], "placement": "same"}}
    assert convlayers.Conv2DTranspose.from_config(config).spec.padding == OutputSize((9, 8), "same")
    with pytest.raises(ValueError, match="`output_padding` cannot be combined with requested output sizes"):
        convlayers.Conv2DTranspose(2, 3, strides=2, padding=OutputSize((9, 8), "same"), output_padding=1)
    with pytest.raises(ValueError, match="OutputSize placement must be one of"):
        convlayers.Conv1DTranspose(2, 3, padding=OutputSize((9,), "middle"))
    with pytest.raises(TypeError, match="padding"):
        convlayers.Conv1D(2, 3, padding=OutputSize((9,), "same"))  # only transposed convolutions keep sizes
