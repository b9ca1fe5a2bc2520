"""The core's seam: canonical specs, argument tables, and layers rebuilt from specs."""

from __future__ import annotations

import dataclasses
import inspect
import json

import numpy as np
import pytest
import torch

import convlayers
from convlayers import geometry, layers
from convlayers.layers import ConvSpec, DenseSpec, PoolSpec, RoleOptions, layer_from_spec

# Keras 3.15's constructor signatures (keras/src/layers/*), in order, without **kwargs.
KERAS3_SIGNATURES = {
    "Conv2D": "filters kernel_size strides padding data_format dilation_rate groups activation use_bias "
    "kernel_initializer bias_initializer kernel_regularizer bias_regularizer activity_regularizer "
    "kernel_constraint bias_constraint",
    "DepthwiseConv2D": "kernel_size strides padding depth_multiplier data_format dilation_rate activation use_bias "
    "depthwise_initializer bias_initializer depthwise_regularizer bias_regularizer activity_regularizer "
    "depthwise_constraint bias_constraint",
    "SeparableConv2D": "filters kernel_size strides padding data_format dilation_rate depth_multiplier activation "
    "use_bias depthwise_initializer pointwise_initializer bias_initializer depthwise_regularizer "
    "pointwise_regularizer bias_regularizer activity_regularizer depthwise_constraint pointwise_constraint "
    "bias_constraint",
    "Conv2DTranspose": "filters kernel_size strides padding output_padding data_format dilation_rate activation "
    "use_bias kernel_initializer bias_initializer kernel_regularizer bias_regularizer activity_regularizer "
    "kernel_constraint bias_constraint",
    "MaxPooling2D": "pool_size strides padding data_format",
    "Dense": "units activation use_bias kernel_initializer bias_initializer kernel_regularizer bias_regularizer "
    "activity_regularizer kernel_constraint bias_constraint",
}

# One layer of every table-driven class, with non-default arguments where the class has them.
EXAMPLES = [
    lambda: convlayers.Conv1D(4, 3, strides=2, padding="causal", dilation_rate=1, groups=2, activation="relu",
                              kernel_regularizer="l2", bias_constraint="non_neg"),
    lambda: convlayers.Conv2D(6, (3, 2), padding=geometry.Same(extra_at="begin"), data_format="channels_first"),
    lambda: convlayers.Conv3D(2, 2, padding=geometry.Strict(1), use_bias=False),
    lambda: convlayers.DepthwiseConv1D(3, padding=geometry.Truncate(1), depth_multiplier=2),
    lambda: convlayers.DepthwiseConv2D(3, strides=2, padding="same", depthwise_initializer="he_normal"),
    lambda: convlayers.DepthwiseConv3D(2),
    lambda: convlayers.SeparableConv1D(5, 3, depth_multiplier=3, pointwise_regularizer="l1"),
    lambda: convlayers.SeparableConv2D(4, 3, padding="full"),
    lambda: convlayers.SeparableConv3D(2, 2),
    lambda: convlayers.Conv1DTranspose(4, 3, strides=2, output_padding=1, groups=2),
    lambda: convlayers.Conv2DTranspose(3, 3, strides=2, padding="same"),
    lambda: convlayers.Conv3DTranspose(2, 2, padding=((1, 0), 0, 1)),
    lambda: convlayers.MaxPooling1D(3, strides=1, padding="same"),
    lambda: convlayers.AveragePooling2D((2, 3)),
    lambda: convlayers.MaxPooling3D(2, padding=geometry.Same(extra_at="begin")),
    lambda: convlayers.AveragePooling1D(2, strides=1, dilation_rate=2, padding="causal"),
    lambda: convlayers.LPPooling2D(3, (2, 3), strides=1, padding="same", dilation_rate=(2, 1)),
    lambda: convlayers.Dense(7, activation="tanh", kernel_constraint="unit_norm", activity_regularizer="l2"),
]
# Arguments beyond Keras 3, after Keras's own so its positional places hold.
EXTENSIONS = {"Conv2DTranspose": ["groups"], "MaxPooling2D": ["dilation_rate"]}
INPUTS = {1: (2, 9, 4), 2: (2, 8, 9, 4), 3: (1, 6, 7, 5, 4)}


def _input_shape(layer):
    shape = INPUTS[layer.rank] if getattr(layer, "rank", None) else (3, 5)
    if getattr(layer, "data_format", "channels_last") == "channels_first":
        shape = (shape[0], shape[-1]) + shape[1:-1]
    return shape


@pytest.mark.parametrize("name", sorted(KERAS3_SIGNATURES))
def test_signatures_are_keras3s(name):
    parameters = list(inspect.signature(getattr(convlayers, name)).parameters.values())
    assert [p.name for p in parameters[:-1]] == KERAS3_SIGNATURES[name].split() + EXTENSIONS.get(name, [])
    assert parameters[-1].kind is inspect.Parameter.VAR_KEYWORD


def test_positional_arguments_take_keras_places():
    layer = convlayers.Conv2D(4, 3, 2, "same", "channels_first", 1, 1, "relu", False)
    assert (layer.strides, layer.padding, layer.data_format, layer.activation.name, layer.use_bias) == (
        (2, 2), "same", "channels_first", "relu", False
    )
    transposed = convlayers.Conv2DTranspose(4, 3, 2, "valid", 1, None, 1, "relu")
    assert transposed.output_padding == (1, 1) and transposed.activation.name == "relu" and transposed.groups == 1


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: convlayers.Conv2D(kernel_size=3), r"Conv2D: missing a required argument: 'filters'"),
        (lambda: convlayers.Conv2D(4, 3, filters=5), r"Conv2D: multiple values for argument 'filters'"),
        (lambda: convlayers.MaxPooling2D(2, 2, "valid", None, 1, 7), r"MaxPooling2D: too many positional arguments"),
    ],
)
def test_binding_errors_name_the_class_and_the_signature(make, message):
    with pytest.raises(TypeError, match=message) as error:
        make()
    assert "Signature:" in str(error.value)


@pytest.mark.parametrize("make", EXAMPLES)
def test_from_spec_rebuilds_the_same_layer(make):
    layer = make()
    clone = type(layer).from_spec(layer.spec, activity_regularizer=layer.activity_regularizer)
    assert clone.spec == layer.spec and clone is not layer
    assert layer_from_spec(layer.spec).spec == layer.spec
    config, clone_config = layer.get_config(), clone.get_config()
    del config["name"], clone_config["name"]
    assert json.dumps(clone_config) == json.dumps(config)


@pytest.mark.parametrize("make", EXAMPLES)
def test_spec_weights_are_what_the_layer_creates(make):
    layer = make()
    shape = _input_shape(layer)
    layer.build(shape)
    channels = shape[1] if getattr(layer, "data_format", None) == "channels_first" else shape[-1]
    expected = layer.spec.weights(channels) if hasattr(layer.spec, "weights") else ()
    assert [(w.name, w.keras_shape) for w in layer.weight_specs] == [(w.name, w.keras_shape) for w in expected]
    assert [w.shape for w in layer.get_weights()] == [w.keras_shape for w in expected]
    for record, weight in zip(layer.weight_specs, expected):
        options = layer.spec.option(weight.role)
        assert (record.regularizer, record.constraint, record.layout) == (
            options.regularizer, options.constraint, weight.layout
        )


@pytest.mark.parametrize("make", EXAMPLES)
def test_every_argument_reads_back_from_the_spec(make):
    layer = make()
    for name in type(layer).arguments.names:
        if name == "activity_regularizer":
            continue
        value = getattr(layer, name)
        if name == "padding":  # the attribute is Keras's spelling; the spec holds the rule
            assert value == layer.spec.padding.spelling
        elif name == "data_format":
            assert value == layer.spec.data_format
        else:
            assert value is layer.spec.value(name)


def test_specs_are_frozen_values():
    spec = convlayers.Conv2D(4, 3).spec
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.filters = 5
    assert dataclasses.replace(spec, filters=5).filters == 5 and spec.filters == 4


def test_a_dialect_can_build_a_spec_and_get_the_layer_and_its_numbers():
    """A DL4J-style Strict convolution stated as a spec computes as the Keras-keyword layer does."""
    from convlayers import initializers

    options = (("kernel", RoleOptions(initializers.get("ones"))), ("bias", RoleOptions(initializers.get("zeros"))))
    spec = ConvSpec(kind="conv", rank=1, filters=1, kernel_size=(3,), strides=(2,), dilation_rate=(1,),
                    padding=geometry.Strict(1), options=options)
    layer = layer_from_spec(spec, name="dl4j_conv")
    assert isinstance(layer, convlayers.Conv1D) and layer.name == "dl4j_conv"
    x = np.arange(7, dtype=np.float32).reshape(1, 7, 1)
    # pads 1 each side: [0, 0..6, 0]; windows at 0, 2, 4, 6 of width 3
    np.testing.assert_array_equal(layer(x)[0, :, 0], [0 + 0 + 1, 1 + 2 + 3, 3 + 4 + 5, 5 + 6 + 0])
    with pytest.raises(ValueError, match="spatial dim 1"):
        layer(np.zeros((1, 8, 1), np.float32))  # (8 + 2 - 3) / 2 + 1 is not an integer: Strict refuses


@pytest.mark.parametrize(
    "cls, spec, message",
    [
        (convlayers.Conv2D, convlayers.Conv1D(2, 3).spec, r"Conv2D.from_spec: expected a ConvSpec of kind 'conv' and rank 2"),
        (convlayers.Conv2D, convlayers.DepthwiseConv2D(3).spec, r"kind 'depthwise'"),
        (convlayers.Dense, convlayers.MaxPooling2D().spec, r"expected a DenseSpec"),
    ],
)
def test_from_spec_refuses_a_spec_of_another_family(cls, spec, message):
    with pytest.raises(ValueError, match=message):
        cls.from_spec(spec)


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"kind": "dilated"}, r"kind must be one of"),
        ({"kind": "depthwise"}, r"a depthwise convolution has no `filters`"),
        ({"filters": None}, r"a conv convolution needs `filters`"),
        ({"kind": "separable"}, r"has options for roles \('depthwise', 'pointwise', 'bias'\)"),
    ],
)
def test_conv_spec_refuses_inconsistent_fields(fields, message):
    base = dataclasses.asdict(convlayers.Conv2D(4, 3).spec) | {"options": convlayers.Conv2D(4, 3).spec.options}
    with pytest.raises(ValueError, match=message):
        ConvSpec(**(base | fields))


def test_unknown_spec_argument_is_a_key_error():
    with pytest.raises(KeyError, match="ConvSpec has no argument 'units'"):
        convlayers.Conv2D(4, 3).spec.value("units")


@pytest.mark.parametrize("kind, channels, expected", [("conv", 4, 8), ("depthwise", 4, 12), ("separable", 4, 8)])
def test_output_channels(kind, channels, expected):
    make = {"conv": lambda: convlayers.Conv2D(8, 3), "depthwise": lambda: convlayers.DepthwiseConv2D(3, depth_multiplier=3),
            "separable": lambda: convlayers.SeparableConv2D(8, 3)}[kind]
    assert make().spec.output_channels(channels) == expected


def test_pool_and_dense_specs():
    pool = convlayers.AveragePooling1D(3, padding="same").spec
    assert isinstance(pool, PoolSpec) and (pool.kind, pool.pool_size, pool.strides) == ("average", (3,), (3,))
    dense = convlayers.Dense(3, use_bias=False).spec
    assert isinstance(dense, DenseSpec) and [w.keras_shape for w in dense.weights(5)] == [(5, 3)]


def test_table_rows_are_not_loose_attributes():
    """The canonical values live in the spec only: a layer's __dict__ holds none of them."""
    layer = convlayers.SeparableConv2D(4, 3, depth_multiplier=2)
    loose = set(vars(layer)) & set(type(layer).arguments.names)
    assert loose == {"data_format", "activity_regularizer"}  # kept by SpatialLayer and Layer for every layer
    assert layer.data_format == layer.spec.data_format


def test_repr_shows_the_table_rows():
    text = repr(convlayers.Conv2D(4, 3, padding=geometry.Same(extra_at="begin"), activation="relu", name="c"))
    assert text.startswith("Conv2D(name='c', filters=4, kernel_size=(3, 3), strides=(1, 1), padding=Same(extra_at='begin'),")
    assert "activation='relu'" in text


def test_layers_compute_the_same_after_a_spec_round_trip():
    layer = convlayers.SeparableConv2D(4, 3, padding="same", depth_multiplier=2)
    x = torch.randn(2, 6, 6, 3)
    y = layer(x)
    clone = layer_from_spec(layer.spec)
    clone.build(x.shape)
    clone.set_weights(layer.get_weights())
    torch.testing.assert_close(clone(x), y, rtol=0, atol=0)
    assert isinstance(layers.get_layer_class("SeparableConv2D")(4, 3), convlayers.SeparableConv2D)


def test_activation_may_be_replaced_as_keras_users_do_and_other_arguments_may_not():
    """``model.layers[-1].activation = None`` (logits for Grad-CAM and the like) is a Keras idiom."""
    layer = convlayers.Dense(3, activation="softmax")
    x = torch.randn(2, 4)
    assert torch.allclose(layer(x).sum(1), torch.ones(2))
    layer.activation = None
    assert layer.spec.activation.name == "linear" and not torch.allclose(layer(x).sum(1), torch.ones(2))
    with pytest.raises(ValueError, match="Dense 'dense.*': invalid `activation`"):
        layer.activation = "no_such_activation"
    with pytest.raises(AttributeError):
        layer.units = 5
