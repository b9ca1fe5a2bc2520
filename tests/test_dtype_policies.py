"""Keras 3 dtype policies (``convlayers.mixed_precision``) on every layer kind, in configs and in ``fit``."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

import convlayers as cl
from convlayers import mixed_precision
from convlayers.io.keras_config import sequential_from_keras_config
from convlayers.layers.weights import Weight, WeightLayout, initial_value

SHAPES = {1: (2, 7, 3), 2: (2, 6, 6, 3), 3: (2, 4, 4, 4, 3)}

#: One instance of every concrete public layer class (aliases share a class), on a small input.
KINDS = {
    "Conv1D": (lambda **kw: cl.Conv1D(3, 2, padding="causal", dilation_rate=2, **kw), 1),
    "Conv2D": (lambda **kw: cl.Conv2D(4, 3, strides=2, padding="same", activation="relu", **kw), 2),
    "Conv3D": (lambda **kw: cl.Conv3D(2, 2, **kw), 3),
    "Conv1DTranspose": (lambda **kw: cl.Conv1DTranspose(2, 3, strides=2, padding="same", **kw), 1),
    "Conv2DTranspose": (lambda **kw: cl.Conv2DTranspose(2, 3, strides=2, padding="same", **kw), 2),
    "Conv3DTranspose": (lambda **kw: cl.Conv3DTranspose(2, 2, strides=2, **kw), 3),
    "DepthwiseConv1D": (lambda **kw: cl.DepthwiseConv1D(3, depth_multiplier=2, **kw), 1),
    "DepthwiseConv2D": (lambda **kw: cl.DepthwiseConv2D(3, depth_multiplier=2, **kw), 2),
    "DepthwiseConv3D": (lambda **kw: cl.DepthwiseConv3D(2, **kw), 3),
    "SeparableConv1D": (lambda **kw: cl.SeparableConv1D(4, 3, padding="same", **kw), 1),
    "SeparableConv2D": (lambda **kw: cl.SeparableConv2D(4, 3, activation="tanh", **kw), 2),
    "SeparableConv3D": (lambda **kw: cl.SeparableConv3D(2, 2, **kw), 3),
    "MaxPooling1D": (lambda **kw: cl.MaxPooling1D(2, **kw), 1),
    "MaxPooling2D": (lambda **kw: cl.MaxPooling2D(2, padding="same", **kw), 2),
    "MaxPooling3D": (lambda **kw: cl.MaxPooling3D(2, **kw), 3),
    "AveragePooling1D": (lambda **kw: cl.AveragePooling1D(3, strides=2, **kw), 1),
    "AveragePooling2D": (lambda **kw: cl.AveragePooling2D(2, padding="same", **kw), 2),
    "AveragePooling3D": (lambda **kw: cl.AveragePooling3D(2, **kw), 3),
    "SumPooling1D": (lambda **kw: cl.layers.SumPooling1D(3, strides=2, **kw), 1),
    "SumPooling2D": (lambda **kw: cl.layers.SumPooling2D(2, padding="same", **kw), 2),
    "SumPooling3D": (lambda **kw: cl.layers.SumPooling3D(2, **kw), 3),
    "LPPooling1D": (lambda **kw: cl.LPPooling1D(2, 3, strides=2, **kw), 1),
    "LPPooling2D": (lambda **kw: cl.LPPooling2D(3, 2, padding="same", dilation_rate=2, **kw), 2),
    "LPPooling3D": (lambda **kw: cl.LPPooling3D(1.5, 2, **kw), 3),
    "GlobalAveragePooling1D": (lambda **kw: cl.GlobalAveragePooling1D(**kw), 1),
    "GlobalAveragePooling2D": (lambda **kw: cl.GlobalAveragePooling2D(**kw), 2),
    "GlobalAveragePooling3D": (lambda **kw: cl.GlobalAveragePooling3D(**kw), 3),
    "GlobalMaxPooling1D": (lambda **kw: cl.GlobalMaxPooling1D(**kw), 1),
    "GlobalMaxPooling2D": (lambda **kw: cl.GlobalMaxPooling2D(keepdims=True, **kw), 2),
    "GlobalMaxPooling3D": (lambda **kw: cl.GlobalMaxPooling3D(**kw), 3),
    "UpSampling1D": (lambda **kw: cl.UpSampling1D(2, **kw), 1),
    "UpSampling2D": (lambda **kw: cl.UpSampling2D(2, interpolation="bilinear", **kw), 2),
    "UpSampling3D": (lambda **kw: cl.UpSampling3D(2, **kw), 3),
    "Padding1D": (lambda **kw: cl.Padding1D(1, mode="reflect", **kw), 1),
    "Padding2D": (lambda **kw: cl.Padding2D(1, mode="edge", **kw), 2),
    "Padding3D": (lambda **kw: cl.Padding3D(1, value=2.0, **kw), 3),
    "Resizing": (lambda **kw: cl.Resizing(3, 5, **kw), 2),
    "LocallyConnected1D": (lambda **kw: cl.LocallyConnected1D(3, 2, strides=2, **kw), 1),
    "LocallyConnected2D": (lambda **kw: cl.LocallyConnected2D(2, 3, activation="relu", **kw), 2),
    "ZeroPadding1D": (lambda **kw: cl.ZeroPadding1D(1, **kw), 1),
    "ZeroPadding2D": (lambda **kw: cl.ZeroPadding2D(1, **kw), 2),
    "ZeroPadding3D": (lambda **kw: cl.ZeroPadding3D(1, **kw), 3),
    "Cropping1D": (lambda **kw: cl.Cropping1D(1, **kw), 1),
    "Cropping2D": (lambda **kw: cl.Cropping2D(1, **kw), 2),
    "Cropping3D": (lambda **kw: cl.Cropping3D(1, **kw), 3),
    "BatchNormalization": (lambda **kw: cl.BatchNormalization(**kw), 2),
    "Dense": (lambda **kw: cl.Dense(3, activation="tanh", **kw), 2),
    "Dropout": (lambda **kw: cl.Dropout(0.5, **kw), 2),
    "Activation": (lambda **kw: cl.Activation("softmax", **kw), 2),
    "Flatten": (lambda **kw: cl.Flatten(**kw), 2),
    "Reshape": (lambda **kw: cl.Reshape((36, 3), **kw), 2),
    "SpaceToDepth": (lambda **kw: cl.SpaceToDepth(2, **kw), 2),
    "SpaceToBatch": (lambda **kw: cl.SpaceToBatch(2, **kw), 2),
}
# The companion layers of Keras CNNs; RepeatVector takes (batch, features), the rank-0 entry.
SHAPES[0] = (2, 5)
KINDS.update({
    "ReLU": (lambda **kw: cl.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.2, **kw), 2),
    "LeakyReLU": (lambda **kw: cl.LeakyReLU(0.2, **kw), 1),
    "PReLU": (lambda **kw: cl.PReLU(alpha_initializer="random_uniform", shared_axes=[1, 2], **kw), 2),
    "ELU": (lambda **kw: cl.ELU(0.7, **kw), 2),
    "Softmax": (lambda **kw: cl.Softmax(axis=[1, 2], **kw), 2),
    "Rescaling": (lambda **kw: cl.Rescaling(0.5, offset=-1.0, **kw), 2),
    "Normalization": (lambda **kw: cl.Normalization(mean=[0.5, -1.0, 2.0], variance=[1.0, 4.0, 2.0], **kw), 2),
    "SpatialDropout1D": (lambda **kw: cl.SpatialDropout1D(0.5, **kw), 1),
    "SpatialDropout2D": (lambda **kw: cl.SpatialDropout2D(0.5, **kw), 2),
    "SpatialDropout3D": (lambda **kw: cl.SpatialDropout3D(0.5, **kw), 3),
    "GaussianNoise": (lambda **kw: cl.GaussianNoise(0.1, **kw), 2),
    "GaussianDropout": (lambda **kw: cl.GaussianDropout(0.3, **kw), 2),
    "AlphaDropout": (lambda **kw: cl.AlphaDropout(0.3, **kw), 2),
    "LayerNormalization": (lambda **kw: cl.LayerNormalization(axis=[1, 3], gamma_initializer="random_normal", **kw), 2),
    "GroupNormalization": (lambda **kw: cl.GroupNormalization(3, beta_initializer="random_normal", **kw), 1),
    "UnitNormalization": (lambda **kw: cl.UnitNormalization(axis=[1, 2], **kw), 2),
    "Permute": (lambda **kw: cl.Permute((3, 1, 2), **kw), 2),
    "RepeatVector": (lambda **kw: cl.RepeatVector(3, **kw), 0),
    "Masking": (lambda **kw: cl.Masking(**kw), 2),
    "Identity": (lambda **kw: cl.Identity(**kw), 2),
    "ActivityRegularization": (lambda **kw: cl.ActivityRegularization(l1=0.1, **kw), 2),
})
# Image layers, adaptive pooling and wrappers (tests in eval mode: the augmentations are the identity).
KINDS.update({
    "RandomFlip": (lambda **kw: cl.RandomFlip(**kw), 2),
    "RandomRotation": (lambda **kw: cl.RandomRotation(0.1, **kw), 2),
    "RandomZoom": (lambda **kw: cl.RandomZoom(0.2, **kw), 2),
    "RandomTranslation": (lambda **kw: cl.RandomTranslation(0.1, 0.1, **kw), 2),
    "RandomCrop": (lambda **kw: cl.RandomCrop(4, 5, **kw), 2),
    "RandomContrast": (lambda **kw: cl.RandomContrast(0.3, **kw), 2),
    "RandomBrightness": (lambda **kw: cl.RandomBrightness(0.3, **kw), 2),
    "CenterCrop": (lambda **kw: cl.CenterCrop(4, 5, **kw), 2),
    "AdaptiveAveragePooling1D": (lambda **kw: cl.AdaptiveAveragePooling1D(3, **kw), 1),
    "AdaptiveAveragePooling2D": (lambda **kw: cl.AdaptiveAveragePooling2D((4, 3), **kw), 2),
    "AdaptiveAveragePooling3D": (lambda **kw: cl.AdaptiveAveragePooling3D(3, **kw), 3),
    "AdaptiveMaxPooling1D": (lambda **kw: cl.AdaptiveMaxPooling1D(4, **kw), 1),
    "AdaptiveMaxPooling2D": (lambda **kw: cl.AdaptiveMaxPooling2D((2, 4), **kw), 2),
    "AdaptiveMaxPooling3D": (lambda **kw: cl.AdaptiveMaxPooling3D(2, **kw), 3),
    "TimeDistributed": (lambda **kw: cl.TimeDistributed(cl.Conv1D(2, 3, **kw), **kw), 2),
    "Lambda": (lambda **kw: cl.Lambda(lambda t: torch.tanh(t) * 2, **kw), 2),
})
#: They move data and never change it, so they keep their input's dtype under every policy (blocks.py).
KEEP_INPUT_DTYPE = {"SpaceToDepth", "SpaceToBatch"}


def _input(kind: str, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.randn(SHAPES[KINDS[kind][1]], generator=torch.Generator().manual_seed(1), dtype=dtype)


def _layer(kind: str, **kwargs) -> cl.layers.Layer:
    layer = KINDS[kind][0](**kwargs).eval()  # eval: Dropout is the identity, BatchNormalization uses its statistics
    layer.build(SHAPES[KINDS[kind][1]])
    return layer


@pytest.fixture
def policy():
    """``mixed_precision``, its global policy restored after the test."""
    before = mixed_precision.global_policy()
    yield mixed_precision
    mixed_precision.set_global_policy(before)


def test_every_public_layer_class_is_covered():
    """A new layer class must join KINDS, so every test here runs on it."""
    families = {cl.layers.Layer, cl.layers.SpatialLayer, cl.layers.InputLayer, cl.layers.Conv, cl.layers.ConvTranspose,
                cl.layers.DepthwiseConv, cl.layers.SeparableConv, cl.layers.Pooling, cl.layers.GlobalPooling,
                cl.layers.UpSampling, cl.layers.LocallyConnected, cl.layers.Padding, cl.layers.ZeroPadding, cl.layers.Cropping}
    public = {getattr(cl.layers, name) for name in cl.layers.__all__}
    concrete = {cls.__name__ for cls in public if inspect.isclass(cls) and issubclass(cls, cl.layers.Layer)} - {
        cls.__name__ for cls in families}
    # Merge layers take lists of tensors: test_merging covers their dtype policies.
    concrete -= {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot"}
    assert concrete == set(KINDS)


# -- policies ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, variable, compute",
    [("float32", "float32", "float32"), ("float64", "float64", "float64"), ("float16", "float16", "float16"),
     ("bfloat16", "bfloat16", "bfloat16"), ("mixed_float16", "float32", "float16"),
     ("mixed_bfloat16", "float32", "bfloat16")],
)
def test_policy_names_and_dtypes(name, variable, compute):
    policy = mixed_precision.DTypePolicy(name)
    assert (policy.name, policy.variable_dtype, policy.compute_dtype) == (name, variable, compute)
    assert policy.variable_torch_dtype == getattr(torch, variable) and policy.compute_torch_dtype == getattr(torch, compute)
    # Keras 3.15: dtype_policy/set_dtype_policy are the global getter/setter; Policy is the class.
    assert mixed_precision.dtype_policy is mixed_precision.global_policy
    assert mixed_precision.set_dtype_policy is mixed_precision.set_global_policy
    assert mixed_precision.Policy is mixed_precision.DTypePolicy
    assert mixed_precision.DTypePolicy.from_config(policy.get_config()) == policy
    layer = cl.Conv2D(2, 3, dtype=name)
    assert (layer.variable_dtype, layer.compute_dtype, layer.dtype) == (variable, compute, getattr(torch, variable))
    assert layer.dtype_policy == policy


@pytest.mark.parametrize(
    "dtype",
    [
        "mixed_bfloat16",
        mixed_precision.DTypePolicy("mixed_bfloat16"),
        {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_bfloat16"}, "registered_name": None},
        {"class_name": "DTypePolicy", "config": {"name": "mixed_bfloat16"}},
        {"module": "keras", "class_name": "FloatDTypePolicy", "config": {"name": "mixed_bfloat16"}, "registered_name": None},
        {"class_name": "Policy", "config": {"name": "mixed_bfloat16"}},  # tf.keras 2
    ],
    ids=["name", "policy", "keras3", "keras3-short", "keras3.0-float", "tf.keras2"],
)
def test_every_form_of_a_policy(dtype):
    assert cl.Dense(2, dtype=dtype).dtype_policy == mixed_precision.DTypePolicy("mixed_bfloat16")


def test_torch_dtypes_are_plain_policies():
    assert cl.Dense(2, dtype=torch.float64).dtype_policy.name == "float64"
    assert cl.Dense(2, dtype=torch.bfloat16).compute_dtype == "bfloat16"


@pytest.mark.parametrize(
    "dtype",
    ["int8", "float", "mixed_float64", 32, torch.int32, {"class_name": "DTypePolicy", "config": {"name": "float8"}},
     {"class_name": "QuantizedDTypePolicy", "config": {"name": "int8_from_float32"}}, {"name": "float32"}],
)
def test_bad_policies_name_the_layer_and_what_is_allowed(dtype):
    with pytest.raises(ValueError) as error:
        cl.Conv2D(2, 3, dtype=dtype, name="stem")
    message = str(error.value)
    assert message.startswith("Conv2D 'stem': invalid `dtype`") and repr(dtype) in message
    assert all(name in message for name in mixed_precision.POLICY_NAMES)
    with pytest.raises(ValueError, match="DTypePolicy: invalid policy name"):
        mixed_precision.DTypePolicy("float8")
    with pytest.raises(ValueError, match="set_global_policy: invalid `dtype`"):
        mixed_precision.set_global_policy(dtype)


def test_global_policy_is_taken_at_construction(policy):
    assert policy.global_policy().name == "float32"
    policy.set_global_policy("mixed_bfloat16")
    assert policy.global_policy() == policy.DTypePolicy("mixed_bfloat16")
    layer, explicit = cl.Conv2D(2, 3), cl.Conv2D(2, 3, dtype="float64")
    model = cl.Sequential([cl.Input((4,)), cl.Dense(2)])
    assert layer.dtype_policy.name == "mixed_bfloat16" and explicit.dtype_policy.name == "float64"
    assert model.dtype_policy.name == "mixed_bfloat16" and model[0].compute_dtype == "bfloat16"
    assert mixed_precision.DTypePolicy().name == "mixed_bfloat16"  # None: the global policy's name, as Keras
    policy.set_global_policy(policy.DTypePolicy("mixed_float16"))
    assert layer.dtype_policy.name == "mixed_bfloat16"  # made before: keeps its policy
    assert cl.Dense(1).dtype_policy.name == "mixed_float16"
    policy.set_global_policy({"class_name": "DTypePolicy", "config": {"name": "float64"}})
    assert cl.Dense(1).dtype == torch.float64
    policy.set_global_policy(None)
    assert policy.global_policy().name == "float32" and cl.Dense(1).dtype == torch.float32


# -- values ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_mixed_bfloat16_stores_float32_and_computes_in_bfloat16(kind):
    mixed = _layer(kind, dtype="mixed_bfloat16")
    reference = _layer(kind, dtype="float32")
    reference.set_weights(mixed.get_weights())
    assert all(p.dtype == torch.float32 for p in list(mixed.parameters()) + list(mixed.buffers()))
    x = _input(kind).requires_grad_()
    y = mixed(x)
    assert y.dtype == (torch.float32 if kind in KEEP_INPUT_DTYPE else torch.bfloat16)
    expected = reference(x.detach()).detach()
    scale = 1 + float(expected.detach().abs().max())
    assert float((y.detach().double() - expected.double()).abs().max()) / scale < 3e-2
    y.float().square().sum().backward()
    assert x.grad.dtype == torch.float32
    assert all(p.grad is not None and p.grad.dtype == torch.float32 for p in mixed.parameters())
    assert all(type(p) is torch.nn.Parameter for p in mixed.parameters())  # the call put back the float32 weights


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_float64_policy_has_exact_gradients(kind):
    layer = _layer(kind, dtype="float64")
    assert all(p.dtype == torch.float64 for p in layer.parameters())
    x = _input(kind, torch.float64).requires_grad_()
    assert layer(x).dtype == torch.float64
    assert torch.autograd.gradcheck(layer, (x,), eps=1e-6, atol=1e-5)


def test_mixed_policies_keep_integer_inputs_where_keras_does():
    x = torch.arange(2 * 4 * 4 * 1).reshape(2, 4, 4, 1)
    assert cl.ZeroPadding2D(1, dtype="mixed_bfloat16")(x).dtype == torch.int64
    assert cl.UpSampling2D(2, dtype="mixed_bfloat16")(x).dtype == torch.int64  # 'nearest' repeats
    assert cl.UpSampling2D(2, interpolation="bilinear", dtype="mixed_bfloat16")(x).dtype == torch.bfloat16
    assert cl.Cropping2D(1, dtype="mixed_float16")(x.double()).dtype == torch.float16


def test_numpy_callers_of_a_bfloat16_computing_layer_get_float32():
    y = cl.Dense(2, dtype="mixed_bfloat16")(np.ones((1, 3), "float32"))
    assert isinstance(y, np.ndarray) and y.dtype == np.float32


def test_torch_conversions_replace_the_policy_and_moves_keep_it():
    layer = _layer("Conv2D", dtype="mixed_bfloat16")
    layer.to("cpu")
    layer.float()  # the variables are float32 already
    assert layer.dtype_policy.name == "mixed_bfloat16"
    layer.double()
    assert layer.dtype_policy.name == "float64" and layer(_input("Conv2D")).dtype == torch.float64
    weightless = cl.MaxPooling2D(2, dtype="mixed_float16").to(torch.bfloat16)
    assert weightless.dtype_policy.name == "bfloat16"


def test_torch_compile_of_a_mixed_layer():
    # Dynamo's caches are process-wide: after other tests compiled layers on other shapes, inductor's
    # dynamic-shape path can fail inside torch ("Exponent must be non-negative"); start from a clean cache.
    torch._dynamo.reset()
    layer = _layer("Conv2D", dtype="mixed_bfloat16")
    x = _input("Conv2D")
    torch.testing.assert_close(torch.compile(layer)(x), layer(x))


# -- configs -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", mixed_precision.POLICY_NAMES)
@pytest.mark.parametrize("kind", ["Conv2D", "SeparableConv1D", "Conv3DTranspose", "BatchNormalization", "MaxPooling2D"])
def test_config_round_trip_keeps_the_policy(kind, name):
    layer = _layer(kind, dtype=name)
    config = layer.get_config()
    assert config["dtype"] == {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name}, "registered_name": None}
    clone = type(layer).from_config(config)
    assert clone.dtype_policy == layer.dtype_policy
    restored = cl.layers.deserialize_layer(cl.layers.serialize_layer(layer)).eval()
    assert restored.dtype_policy.name == name
    restored.set_weights(layer.get_weights())
    x = _input(kind)
    torch.testing.assert_close(restored(x), layer(x))


def test_sequential_config_carries_its_policy_and_its_layers(policy):
    policy.set_global_policy("mixed_float16")
    model = cl.Sequential([cl.Input((4,)), cl.Dense(3, dtype="mixed_bfloat16"), cl.Dense(2, dtype="float32")])
    config = model.get_config()
    assert config["dtype"]["config"] == {"name": "mixed_float16"}
    policy.set_global_policy(None)
    clone = cl.Sequential.from_config(config)
    assert clone.dtype_policy.name == "mixed_float16"
    assert [layer.dtype_policy.name for layer in clone] == ["mixed_bfloat16", "float32"]
    assert cl.Sequential.from_config({"layers": config["layers"]}).dtype_policy.name == "float32"
    with pytest.raises(ValueError, match="Sequential.from_config: invalid `dtype`"):
        cl.Sequential.from_config(dict(config, dtype="int4"))


def test_saved_model_keeps_the_policies(tmp_path):
    model = cl.Sequential([cl.Input((5, 5, 2)), cl.Conv2D(3, 3, dtype="mixed_bfloat16"), cl.Flatten(), cl.Dense(2)])
    model.save(tmp_path / "m.keras")
    loaded = cl.load_model(tmp_path / "m.keras")
    assert [layer.dtype_policy.name for layer in loaded] == ["mixed_bfloat16", "float32", "float32"]
    x = np.random.default_rng(0).standard_normal((2, 5, 5, 2)).astype("float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize(
    "dtype",
    ["mixed_float16", {"class_name": "Policy", "config": {"name": "mixed_float16"}},
     {"module": "keras", "class_name": "FloatDTypePolicy", "config": {"name": "mixed_float16"}, "registered_name": None}],
    ids=["string", "tf.keras2", "keras3.0"],
)
def test_keras_files_configs_carry_the_policy(dtype):
    model, _ = sequential_from_keras_config({"class_name": "Sequential", "config": {"dtype": dtype, "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3]}},
        {"class_name": "Dense", "config": {"units": 2, "name": "out", "dtype": dtype}}]}})
    assert model.dtype_policy.name == "mixed_float16" and model[0].dtype_policy.name == "mixed_float16"


# -- training ----------------------------------------------------------------------------------
def _regression(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((64, 6, 6, 1)).astype("float32")
    return x, x.mean(axis=(1, 2, 3))[:, None] * 3


def _fit_losses(x: np.ndarray, y: np.ndarray) -> tuple[cl.Sequential, list[float]]:
    torch.manual_seed(0)
    model = cl.Sequential([cl.Input((6, 6, 1)), cl.Conv2D(4, 3, activation="relu"), cl.Flatten(), cl.Dense(1)])
    model.compile(optimizer=cl.optimizers.Adam(0.01), loss="mse")
    return model, model.fit(x, y, batch_size=16, epochs=8, verbose=0).history["loss"]


def test_mixed_float16_fit_scales_the_loss_and_learns_as_float32_does(policy):
    x, y = _regression()
    _, float32_losses = _fit_losses(x, y)
    policy.set_global_policy("mixed_float16")
    model, losses = _fit_losses(x, y)
    assert losses[-1] < 0.25 * losses[0]
    np.testing.assert_allclose(losses, float32_losses, rtol=0.05)
    assert model.loss_scaler is not None and model.loss_scaler.get_scale() == 2.0**15  # no step overflowed
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert model(torch.from_numpy(x[:2])).dtype == torch.float16


def test_a_mixed_float16_layer_makes_fit_scale_and_bfloat16_does_not():
    x, y = _regression()
    for policy, scaled in (("mixed_float16", True), ("mixed_bfloat16", False), ("float16", False)):
        model = cl.Sequential([cl.Input((6, 6, 1)), cl.Flatten(), cl.Dense(1, dtype=policy)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, y, batch_size=32, epochs=1, verbose=0)
        assert (model.loss_scaler is not None) == scaled, policy


def test_the_loss_scale_skips_a_step_whose_gradients_overflow():
    model = cl.Sequential([cl.Input((6, 6, 1)), cl.Flatten(), cl.Dense(1, dtype="mixed_float16")])
    # Finite in float32, but not once multiplied by the initial scale 2**15: the gradients are inf.
    model.compile(optimizer="sgd", loss=lambda y_true, y_pred: (y_pred.float() * 1e35).mean())
    before = [w.copy() for w in model.get_weights()]
    x, y = _regression()
    model.fit(x[:8], y[:8], batch_size=8, epochs=1, verbose=0)
    assert model.loss_scaler.get_scale() == 2.0**14
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


# -- devices -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["Conv2D", "SeparableConv2D", "DepthwiseConv1D", "Conv3DTranspose", "BatchNormalization", "Dense"])
def test_build_creates_the_weights_on_the_device_asked(kind):
    layer = KINDS[kind][0](dtype="mixed_bfloat16")
    layer.build(SHAPES[KINDS[kind][1]], device="meta")
    tensors = list(layer.parameters()) + list(layer.buffers())
    assert tensors and all(t.device.type == "meta" and t.dtype == torch.float32 for t in tensors)


def test_a_first_call_builds_on_the_input_device():
    layer = cl.Dense(3)
    y = layer(torch.empty(2, 4, device="meta"))
    assert y.device.type == "meta" and layer.kernel.device.type == "meta" and layer.bias.device.type == "meta"
    model = cl.Sequential([cl.Dense(3), cl.Dense(2)])
    model(torch.empty(2, 4, device="meta"))
    assert {p.device.type for p in model.parameters()} == {"meta"}


def test_initial_values_are_drawn_on_the_cpu_then_moved():
    weight = Weight("kernel", (3, 4), WeightLayout())
    init = cl.initializers.GlorotUniform(seed=3)
    on_meta = initial_value(init, weight, torch.float32, "meta")
    assert on_meta.device.type == "meta" and on_meta.shape == (3, 4)
    torch.testing.assert_close(initial_value(init, weight, torch.float32, torch.device("cpu")), init((3, 4)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device; CI machines have none")
def test_a_first_call_on_cuda_builds_there_with_the_cpu_numbers():
    seeded = dict(kernel_initializer=cl.initializers.GlorotUniform(seed=5))
    on_gpu, on_cpu = cl.Conv2D(4, 3, **seeded), cl.Conv2D(4, 3, **seeded)
    x = torch.randn(2, 6, 6, 3)
    y = on_gpu(x.cuda())
    on_cpu(x)
    assert all(p.device.type == "cuda" for p in on_gpu.parameters())
    torch.testing.assert_close(on_gpu.kernel.cpu(), on_cpu.kernel)
    torch.testing.assert_close(y.cpu(), on_cpu(x), rtol=1e-4, atol=1e-4)
