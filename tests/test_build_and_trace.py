"""Layers as torch users expect: built when the input is declared, loadable, traceable, compilable quietly."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import convlayers as cl


@pytest.mark.parametrize(
    "make, shapes",
    [
        (lambda: cl.Conv2D(4, 3, input_shape=(6, 6, 1)), [(4, 1, 3, 3), (4,)]),
        (lambda: cl.Conv1D(2, 3, batch_input_shape=(8, None, 5), use_bias=False), [(2, 5, 3)]),
        (lambda: cl.Dense(3, input_dim=7), [(3, 7), (3,)]),
        (lambda: cl.SeparableConv2D(4, 3, input_shape=(None, None, 2)), [(2, 1, 3, 3), (4, 2, 1, 1), (4,)]),
        (lambda: cl.BatchNormalization(input_shape=(5, 3)), [(3,), (3,)]),
    ],
)
def test_declaring_the_input_builds_at_construction(make, shapes):
    layer = make()
    assert layer.built and [tuple(p.shape) for p in layer.parameters()] == shapes
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.1)  # sees every weight at once
    assert sum(len(group["params"]) for group in optimizer.param_groups) == len(shapes)


def test_initial_weights_apply_at_construction_and_a_second_build_keeps_them():
    kernel, bias = np.ones((1, 2, 3), np.float32), np.full(3, 0.5, np.float32)
    layer = cl.Conv1D(3, 1, input_shape=(4, 2), weights=[kernel, bias])
    layer.build((None, 4, 2))  # built already: only checks the shape
    assert len(layer.weights) == 2
    np.testing.assert_array_equal(layer(np.ones((1, 4, 2), np.float32)), np.full((1, 4, 3), 2.5, np.float32))
    with pytest.raises(ValueError, match="Conv1D"):
        layer.build((None, 4, 5))  # channels that do not fit its kernel


def test_a_model_takes_its_first_layers_declared_input():
    model = cl.Sequential([cl.Conv2D(2, 3, input_shape=(5, 5, 1)), cl.Flatten(), cl.Dense(1)])
    assert all(layer.built for layer in model.layers) and model.layer_output_shapes[-1] == (None, 1)


def test_load_state_dict_into_an_unbuilt_layer_says_to_build_first():
    source = cl.Conv2D(4, 3, input_shape=(6, 6, 2))
    with pytest.raises(ValueError, match=r"Conv2D 'target': cannot load \['kernel', 'bias'\] into a layer that is not built"):
        cl.Conv2D(4, 3, name="target").load_state_dict(source.state_dict())
    target = cl.Conv2D(4, 3, input_shape=(6, 6, 2))
    target.load_state_dict(source.state_dict())
    x = torch.randn(1, 6, 6, 2)
    torch.testing.assert_close(target(x), source(x))


TRACED = [
    cl.Conv1D(3, 2, padding="causal", dilation_rate=2, activation="relu"),
    cl.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
    cl.Conv3D(2, 2, activation="relu6"),
    cl.DepthwiseConv2D(3, depth_multiplier=2, activation="relu6"),
    cl.SeparableConv2D(4, 3, padding="same", activation="leaky_relu"),
    cl.Conv2DTranspose(2, 3, strides=2, padding="same"),
    cl.Conv2DTranspose(2, 3, padding=((1, 0), (0, 2)), data_format="channels_first"),
    cl.Conv1DTranspose(2, 3, strides=2, output_padding=1),
    cl.MaxPooling2D(2, padding="same"),
    cl.AveragePooling3D(2),
    cl.UpSampling2D(2, interpolation="bicubic"),
    cl.BatchNormalization(),
    cl.Dense(3, activation="relu"),
]


@pytest.mark.parametrize("layer", TRACED, ids=lambda layer: f"{type(layer).__name__}-{layer.name}")
def test_torch_jit_trace_reproduces_the_layer(layer):
    rank = getattr(layer, "rank", 2)
    x = torch.randn((2, 7, 3) if rank == 1 else (2, 6, 6, 3) if rank == 2 else (2, 4, 4, 4, 3))
    with torch.no_grad():
        expected = layer(x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", torch.jit.TracerWarning)  # shape arithmetic is fixed per trace
            warnings.simplefilter("ignore", DeprecationWarning)  # torch's own advice to move to torch.export
            traced = torch.jit.trace(layer, x)
        torch.testing.assert_close(traced(x), expected)


def test_torch_compile_traces_the_shape_caches_without_warnings():
    layer = cl.Sequential([cl.Input((9, 3)), cl.Conv1D(2, 3, padding="causal"), cl.UpSampling1D(2)])
    x = torch.randn(2, 9, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.testing.assert_close(torch.compile(layer, backend="aot_eager", fullgraph=True)(x), layer(x))
    assert not [w for w in caught if "lru_cache" in str(w.message)], [str(w.message) for w in caught]


def test_checked_shapes_are_remembered_but_bad_shapes_are_refused_every_time():
    layer = cl.Conv2D(2, 3, padding=cl.geometry.Strict(0), strides=2)
    good, bad = torch.zeros(1, 7, 7, 1), torch.zeros(1, 6, 7, 1)  # (6 - 3) / 2 + 1 is not whole
    for _ in range(2):
        assert layer(good).shape == (1, 3, 3, 2)
        with pytest.raises(ValueError, match="Conv2D .*spatial dim 1"):
            layer(bad)
    with pytest.raises(ValueError, match="Conv2D"):
        layer(torch.zeros(1, 7, 7, 3))  # channels its kernel does not take, after a valid call
    with pytest.raises(TypeError, match="must be real numbers"):
        layer(torch.zeros(1, 7, 7, 1, dtype=torch.complex64))


def test_public_accessors_describe_the_build_and_the_weights():
    layer = cl.SeparableConv1D(4, 3, batch_input_shape=(None, 10, 2))
    assert layer.declared_input_shape == (None, 10, 2) and layer.build_input_shape == (None, 10, 2)
    specs = layer.weight_specs
    assert [spec.name for spec in specs] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert [spec.keras_shape for spec in specs] == [w.shape for w in layer.get_weights()]
    fresh = cl.Conv2D(1, 3)
    assert fresh.declared_input_shape is None and fresh.build_input_shape is None and fresh.weight_specs == ()
