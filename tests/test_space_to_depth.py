"""SpaceToDepth and SpaceToBatch: TF's order against NumPy references and DL4J's example, inverses, protocol, errors."""

import itertools
import json

import numpy as np
import pytest
import torch

from convlayers import SpaceToBatch, SpaceToDepth
from reference import space_to_batch as np_space_to_batch
from reference import space_to_depth as np_space_to_depth
from reference import to_channels_first, to_channels_last


def depth_to_space(y, block):
    """TF's depth_to_space of channels-first ``(N, C * b * b, H, W)``, written with reshapes."""
    n, depth, h, w = y.shape
    c = depth // (block * block)
    return y.reshape(n, block, block, c, h, w).transpose(0, 3, 4, 1, 5, 2).reshape(n, c, h * block, w * block)


def batch_to_space(y, block_shape, paddings):
    """TF's batch_to_space_nd of channels-first ``(N * b0 * b1, C, H, W)``, then crop the paddings."""
    b0, b1 = block_shape
    nb, c, h, w = y.shape
    n = nb // (b0 * b1)
    x = y.reshape(b0, b1, n, c, h, w).transpose(2, 3, 4, 0, 5, 1).reshape(n, c, h * b0, w * b1)
    (top, bottom), (left, right) = paddings
    return x[:, :, top : h * b0 - bottom, left : w * b1 - right]


# DL4J SpaceToDepthTest (dl4j.md section 2.15): NCHW [1, 2, 2, 2] holding 1..8
DL4J_INPUT = np.arange(1, 9, dtype=np.float32).reshape(1, 2, 2, 2)
DL4J_OUTPUT = [1, 5, 2, 6, 3, 7, 4, 8]


def test_dl4j_example_channels_first():
    y = SpaceToDepth(2, data_format="channels_first")(DL4J_INPUT)
    assert y.shape == (1, 8, 1, 1) and y.ravel().tolist() == DL4J_OUTPUT


def test_dl4j_example_channels_last_has_the_same_channel_order():
    y = SpaceToDepth(2)(to_channels_last(DL4J_INPUT))
    assert y.shape == (1, 1, 1, 8) and y.ravel().tolist() == DL4J_OUTPUT


def test_not_pixel_unshuffle_order():
    x = torch.arange(1.0, 9.0).reshape(1, 2, 2, 2)
    assert torch.nn.functional.pixel_unshuffle(x, 2).flatten().tolist() != DL4J_OUTPUT


@pytest.mark.parametrize("block, data_format", list(itertools.product((1, 2, 3), ("channels_last", "channels_first"))))
def test_space_to_depth_against_reference_and_round_trip(block, data_format):
    rng = np.random.default_rng(block)
    x_cf = rng.standard_normal((2, 3, 2 * block, 3 * block)).astype(np.float32)
    x = x_cf if data_format == "channels_first" else to_channels_last(x_cf)
    layer = SpaceToDepth(block, data_format=data_format)
    y = layer(x)
    y_cf = y if data_format == "channels_first" else to_channels_first(y)
    assert y.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_array_equal(y_cf, np_space_to_depth(x_cf, block))
    np.testing.assert_array_equal(depth_to_space(y_cf, block), x_cf)


@pytest.mark.parametrize(
    "block_shape, paddings, data_format",
    [
        ((2, 2), ((0, 0), (0, 0)), "channels_last"),
        ((2, 3), ((1, 1), (0, 2)), "channels_first"),
        ((3, 1), ((2, 0), (1, 1)), "channels_last"),
        ((1, 2), ((0, 0), (1, 0)), "channels_first"),
    ],
)
def test_space_to_batch_against_reference_and_round_trip(block_shape, paddings, data_format):
    rng = np.random.default_rng(0)
    sizes = tuple(3 * b - sum(p) for b, p in zip(block_shape, paddings))
    x_cf = rng.standard_normal((2, 3) + sizes).astype(np.float32)
    x = x_cf if data_format == "channels_first" else to_channels_last(x_cf)
    layer = SpaceToBatch(block_shape, paddings=paddings, data_format=data_format)
    y = layer(x)
    y_cf = y if data_format == "channels_first" else to_channels_first(y)
    assert y.shape == layer.compute_output_shape(x.shape)
    np.testing.assert_array_equal(y_cf, np_space_to_batch(x_cf, block_shape, paddings))
    np.testing.assert_array_equal(batch_to_space(y_cf, block_shape, paddings), x_cf)


def test_space_to_batch_tf_example():
    # tf.space_to_batch_nd docs: [1, 2, 2, 1] holding [[1, 2], [3, 4]], block [2, 2] -> [4, 1, 1, 1] = 1, 2, 3, 4
    y = SpaceToBatch((2, 2))(np.array([[[[1], [2]], [[3], [4]]]], np.float32))
    assert y.shape == (4, 1, 1, 1) and y.ravel().tolist() == [1, 2, 3, 4]


def test_space_to_batch_paddings_are_zeros_and_batch_order_is_offset_major():
    x = np.ones((2, 1, 1, 1), np.float32) * np.array([1, 2], np.float32).reshape(2, 1, 1, 1)
    y = SpaceToBatch(2, paddings=((1, 0), (0, 1)))(x)  # padded to 2x2 per example: [[0, 0], [v, 0]]
    assert y.shape == (8, 1, 1, 1)
    assert y.ravel().tolist() == [0, 0, 0, 0, 1, 2, 0, 0]  # offset (1, 0) of examples 0 and 1


@pytest.mark.parametrize(
    "layer, shape",
    [(SpaceToDepth(2, dtype="float64"), (1, 4, 6, 2)), (SpaceToBatch(2, paddings=((1, 1), (0, 2)), dtype="float64"), (2, 2, 4, 3))],
)
def test_gradcheck(layer, shape):
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(layer, (x,))


def test_compute_output_shape_with_unknown_dims():
    assert SpaceToDepth(2).compute_output_shape((None, 4, None, 3)) == (None, 2, None, 12)
    assert SpaceToDepth(3, data_format="channels_first").compute_output_shape((5, None, 6, 9)) == (5, None, 2, 3)
    assert SpaceToBatch((2, 3), paddings=((0, 1), (1, 1))).compute_output_shape((None, 5, None, 2)) == (None, 3, None, 2)
    assert SpaceToBatch((2, 3), data_format="channels_first").compute_output_shape((4, None, 2, 6)) == (24, None, 1, 2)


def test_data_is_moved_not_cast():
    ints = np.arange(16, dtype=np.int64).reshape(1, 4, 4, 1)
    y = SpaceToDepth(2)(ints)
    assert y.dtype == np.int64 and sorted(y.ravel().tolist()) == list(range(16))
    assert SpaceToBatch(2)(torch.zeros(1, 2, 2, 1, dtype=torch.float64)).dtype == torch.float64
    t = SpaceToDepth(2)(torch.randn(1, 2, 2, 1, requires_grad=True))
    assert isinstance(t, torch.Tensor) and t.requires_grad


@pytest.mark.parametrize(
    "layer",
    [
        SpaceToDepth(3, data_format="channels_first", name="s"),
        SpaceToBatch((2, 3), paddings=((1, 0), 2), name="s"),
        SpaceToBatch(2, name="s"),
    ],
)
def test_config_round_trip_is_exact_and_json(layer):
    text = json.dumps(layer.get_config())
    clone = type(layer).from_config(json.loads(text))
    assert json.dumps(clone.get_config()) == text


def test_config_contents():
    assert SpaceToDepth(2, name="s").get_config()["block_size"] == 2
    config = SpaceToBatch((2, 3), paddings=1, name="s").get_config()
    assert config["block_shape"] == (2, 3) and config["paddings"] == [[1, 1], [1, 1]] and config["data_format"] == "channels_last"
    layer = SpaceToBatch(2)
    layer.build((1, 2, 2, 1))
    assert layer.get_weights() == [] and layer.count_params() == 0


@pytest.mark.parametrize(
    "cls, kwargs, error, message",
    [
        (SpaceToDepth, dict(block_size=0), ValueError, r"SpaceToDepth 's': invalid value for argument `block_size`. Expected a value > 0. Received block_size=0."),
        (SpaceToDepth, dict(block_size=(2, 2)), TypeError, r"SpaceToDepth 's': the `block_size` argument must be an integer. Received block_size=\(2, 2\)"),
        (SpaceToBatch, dict(block_shape=(2, 0)), ValueError, r"SpaceToBatch 's': the `block_shape` argument must be an integer or a tuple of 2 integers. Received block_shape=\(2, 0\)"),
        (SpaceToBatch, dict(block_shape=2, paddings=-1), ValueError, r"SpaceToBatch 's': the `paddings` argument must be an int, 2 ints, or 2 \(begin, end\) pairs of non-negative ints. Received paddings=-1."),
        (SpaceToBatch, dict(block_shape=2, paddings=((1, 2, 3), 0)), ValueError, r"Received paddings=\(\(1, 2, 3\), 0\)"),
        (SpaceToDepth, dict(block_size=2, data_format="NCHW"), ValueError, r"SpaceToDepth 's': the `data_format` argument must be one of .*Received: data_format='NCHW'"),
    ],
)
def test_constructor_errors(cls, kwargs, error, message):
    with pytest.raises(error, match=message):
        cls(name="s", **kwargs)


def test_shape_errors():
    with pytest.raises(ValueError, match=r"SpaceToDepth 's': the input's spatial dims must be divisible by block_size=2. Spatial dim 2 has size 5, which 2 does not divide. Received input shape \(1, 4, 5, 3\)."):
        SpaceToDepth(2, name="s")(np.zeros((1, 4, 5, 3), np.float32))
    with pytest.raises(ValueError, match=r"SpaceToDepth 's': .* Spatial dim 1 has size 3, which 2 does not divide. Received input shape \(1, 2, 3, 4\)"):
        SpaceToDepth(2, data_format="channels_first", name="s").compute_output_shape((1, 2, 3, 4))
    with pytest.raises(ValueError, match=r"SpaceToBatch 's': the input's spatial dims must be divisible by block_shape=\(2, 3\) once padded by paddings=\(\(0, 0\), \(1, 0\)\). Spatial dim 2 has size 4, 5 once padded, which 3 does not divide. Received input shape \(1, 2, 4, 1\)."):
        SpaceToBatch((2, 3), paddings=((0, 0), (1, 0)), name="s")(np.zeros((1, 2, 4, 1), np.float32))
    with pytest.raises(ValueError, match=r"SpaceToBatch 's': expected an input of rank 4 \(batch, spatial_1, spatial_2, channels\)"):
        SpaceToBatch(2, name="s")(np.zeros((1, 2, 2), np.float32))
