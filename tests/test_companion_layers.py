"""The companion layers of Keras CNNs against Keras 3.15 itself, plus their errors, configs and training behaviour.

Expected numbers come from ``tests/fixtures/keras3-companions`` (written by Keras with
``make_companion_fixtures.py``) or from NumPy formulas written here.
"""

from __future__ import annotations

import json
import math
import pickle
import warnings
import zipfile

import numpy as np
import pytest
import torch

import convlayers as cl
from conftest import FIXTURES

ROOT = FIXTURES / "keras3-companions"
CASES = {case["id"]: case for case in json.loads((ROOT / "cases.json").read_text())["cases"]}
_NPZ = np.load(ROOT / "arrays.npz")
ARRAYS = {case_id: {k.split("/", 1)[1]: _NPZ[k] for k in _NPZ.files if k.startswith(case_id + "/")} for case_id in CASES}
LAYERS = sorted({case["layer"] for case in CASES.values()})
TRAINING_NOISE = ["SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout"]


def _close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-6)


def _layer_for(case_id):
    """The layer of a case, built and given Keras's weights (or adapted to Keras's data)."""
    case, arrays = CASES[case_id], ARRAYS[case_id]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LeakyReLU(alpha=) and rms_scaling warn, as in Keras
        layer = getattr(cl, case["layer"])(**case["config"])
    if "adapt" in arrays:
        layer.adapt(arrays["adapt"])
    elif "adapt0" in arrays:
        layer.adapt([arrays[name] for name in case["extra"]])
    else:
        layer.build(arrays["x"].shape)
        layer.set_weights([arrays[name] for name in case["weights"]])
    return layer


# -- parity with Keras ---------------------------------------------------------------------------
def test_corpus_covers_every_companion_layer():
    assert set(LAYERS) == set(cl.layers.keras_companions.CLASS_NAMES)
    assert len(CASES) >= 70


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_matches_keras(case_id):
    case, arrays = CASES[case_id], ARRAYS[case_id]
    layer = _layer_for(case_id)
    y = layer(arrays["x"], mask=arrays["mask"]) if "mask" in arrays else layer(arrays["x"])
    assert y.shape == tuple(case["output_shape"]) == layer.compute_output_shape(arrays["x"].shape)
    _close(y, arrays["y"])
    # Adapted statistics are Keras's too (its weights: mean, variance and the int32 count).
    for name, value in zip(case["weights"], layer.get_weights()):
        assert value.dtype == arrays[name].dtype
        _close(value, arrays[name])


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_config_is_the_one_keras_writes(case_id):
    """The same keys and values as Keras's get_config (names aside), and Keras's config loads here."""
    case = CASES[case_id]
    ours = json.loads(json.dumps(_layer_for(case_id).get_config()))
    keras_config = case["keras_config"]
    assert list(ours) == list(keras_config)
    assert {k: v for k, v in ours.items() if k != "name"} == {k: v for k, v in keras_config.items() if k != "name"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rms_scaling=True warns, as in Keras
        from_keras = getattr(cl, case["layer"]).from_config(dict(keras_config))
    assert json.loads(json.dumps(from_keras.get_config())).keys() == keras_config.keys()


# -- Keras model files ---------------------------------------------------------------------------
def _without_object_ids(value):
    if isinstance(value, dict):
        return {k: _without_object_ids(v) for k, v in value.items() if k != "shared_object_id"}
    if isinstance(value, list):
        return [_without_object_ids(v) for v in value]
    return value


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_keras_saved_cnn_loads_and_reproduces_keras(suffix):
    model = cl.load_keras_model(ROOT / f"companions_cnn{suffix}")
    expected = np.load(ROOT / "companions_cnn.npz")
    _close(model(expected["x"]), expected["y"])
    normalization = model.layers[1]
    assert isinstance(normalization, cl.Normalization) and normalization.count.dtype == torch.int32


def test_saved_cnn_has_the_config_keras_writes(tmp_path):
    model = cl.load_keras_model(ROOT / "companions_cnn.keras")
    model.save(tmp_path / "ours.keras")
    model.save(tmp_path / "ours.h5")
    ours = json.loads(zipfile.ZipFile(tmp_path / "ours.keras").read("config.json"))
    keras_config = _without_object_ids(json.loads(zipfile.ZipFile(ROOT / "companions_cnn.keras").read("config.json")))
    assert ours.keys() == keras_config.keys()
    for mine, theirs in zip(ours["config"]["layers"], keras_config["config"]["layers"], strict=True):
        for key in theirs.keys() | mine.keys():
            assert mine.get(key) == theirs.get(key), (theirs["class_name"], key)
    import h5py

    with h5py.File(tmp_path / "ours.h5") as ours_h5, h5py.File(ROOT / "companions_cnn.h5") as keras_h5:
        legacy = json.loads(ours_h5.attrs["model_config"])
        assert legacy == _without_object_ids(json.loads(keras_h5.attrs["model_config"]))
    expected = np.load(ROOT / "companions_cnn.npz")
    for name in ("ours.keras", "ours.h5"):
        _close(cl.load_keras_model(tmp_path / name)(expected["x"]), expected["y"])


def test_a_model_we_build_round_trips_through_keras_files(tmp_path):
    model = cl.Sequential([
        cl.Input((6, 6, 2)), cl.Rescaling(0.5), cl.Normalization(), cl.Conv2D(3, 3), cl.GroupNormalization(3),
        cl.PReLU(alpha_initializer="random_uniform"), cl.SpatialDropout2D(0.3), cl.Flatten(), cl.RepeatVector(2),
        cl.Masking(), cl.LayerNormalization(axis=[1, 2]), cl.Softmax(),
    ])
    model.layers[1].adapt(np.random.rand(10, 6, 6, 2).astype("float32"))
    x = np.random.rand(2, 6, 6, 2).astype("float32")
    for suffix in (".keras", ".h5"):
        model.save(tmp_path / f"m{suffix}")
        loaded = cl.load_keras_model(tmp_path / f"m{suffix}")
        np.testing.assert_array_equal(loaded(x), model(x))
        assert [layer.get_config() for layer in loaded.layers] == [layer.get_config() for layer in model.layers]


# -- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: cl.ReLU(max_value=-1.0), ValueError, "ReLU 're_lu.*`max_value`.*>= 0.0.*max_value=-1.0"),
        (lambda: cl.ReLU(negative_slope=None), TypeError, "`negative_slope`.*negative_slope=None"),
        (lambda: cl.ReLU(threshold=-0.5), ValueError, "`threshold`.*threshold=-0.5"),
        (lambda: cl.LeakyReLU(-0.1), ValueError, "LeakyReLU.*`negative_slope`.*negative_slope=-0.1"),
        (lambda: cl.ELU("a"), TypeError, "ELU.*`alpha`"),
        (lambda: cl.Softmax(axis="last"), TypeError, "Softmax.*`axis`.*an int or a list/tuple of ints"),
        (lambda: cl.PReLU(shared_axes="1"), TypeError, "PReLU.*`shared_axes`"),
        (lambda: cl.PReLU(alpha_initializer="nope"), ValueError, "PReLU.*`alpha_initializer`"),
        (lambda: cl.Rescaling("big"), TypeError, "Rescaling.*`scale`.*scale='big'"),
        (lambda: cl.Normalization(mean=1.0), ValueError, "both `mean` and `variance`"),
        (lambda: cl.Normalization(mean=[1.0, 2.0], variance=[1.0]), ValueError, "same shape"),
        (lambda: cl.Normalization(axis=-1, mean=[[1.0]], variance=[[1.0]]), ValueError, "rank of `mean`"),
        (lambda: cl.Normalization(axis="x"), TypeError, "Normalization.*`axis`"),
        (lambda: cl.SpatialDropout2D(1.5), ValueError, "SpatialDropout2D.*`rate`.*rate=1.5"),
        (lambda: cl.SpatialDropout2D(0.5, data_format="nhwc"), ValueError, "`data_format`"),
        (lambda: cl.SpatialDropout1D(0.5, trainable=False), TypeError, "trainable"),
        (lambda: cl.GaussianNoise(1.5), ValueError, "GaussianNoise.*`stddev`.*between 0.0 and 1.0.*stddev=1.5"),
        (lambda: cl.GaussianNoise(0.1, seed=1.5), TypeError, "`seed` must be an int"),
        (lambda: cl.GaussianDropout(-0.1), ValueError, "GaussianDropout.*`rate`"),
        (lambda: cl.AlphaDropout(2.0), ValueError, "AlphaDropout.*`rate`"),
        (lambda: cl.LayerNormalization(axis=1.0), TypeError, "LayerNormalization.*`axis`"),
        (lambda: cl.GroupNormalization(0), ValueError, "GroupNormalization.*`groups`.*-1 for instance.*groups=0"),
        (lambda: cl.GroupNormalization(2, axis=[1]), TypeError, "GroupNormalization.*`axis`.*an int"),
        (lambda: cl.UnitNormalization(axis=None), TypeError, "UnitNormalization.*`axis`"),
        (lambda: cl.Permute((1, 3)), ValueError, "Permute.*consecutive and start from 1.*dims=\\(1, 3\\)"),
        (lambda: cl.RepeatVector(2.0), TypeError, "RepeatVector.*`n` must be an int"),
        (lambda: cl.RepeatVector(0), ValueError, "RepeatVector.*positive integer.*n=0"),
        (lambda: cl.Masking("x"), TypeError, "Masking.*`mask_value`"),
        (lambda: cl.ActivityRegularization(l1=-1.0), ValueError, "ActivityRegularization.*`l1`"),
    ],
)
def test_bad_arguments_name_the_layer_the_argument_and_the_value(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize(
    "layer, shape, message",
    [
        (lambda: cl.PReLU(shared_axes=[0]), (2, 3, 4), "`shared_axes`.*from 1 to 2"),
        (lambda: cl.PReLU(), (2, None, 4), "axes \\[1\\] must have known sizes"),
        (lambda: cl.Softmax(axis=3), (2, 3, 4), "axis 3 is out of bounds for an input of rank 3"),
        (lambda: cl.Normalization(axis=2), (4, 3), "axis 2 is out of bounds"),
        (lambda: cl.Normalization(mean=[1.0, 2.0], variance=[1.0, 2.0]), (4, 3), "cannot be broadcast"),
        (lambda: cl.SpatialDropout2D(0.5), (2, 3, 4), "rank 4"),
        (lambda: cl.LayerNormalization(axis=[1, 4]), (2, 3, 4), "axis 4 is out of bounds"),
        (lambda: cl.GroupNormalization(4), (2, 3, 6), "groups \\(4\\) must divide the number of channels \\(6\\)"),
        (lambda: cl.GroupNormalization(8), (2, 3, 6), "groups \\(8\\) must divide"),
        (lambda: cl.Permute((2, 1)), (2, 3, 4, 5), "rank 3"),
        (lambda: cl.RepeatVector(2), (2, 3, 4), "rank 2"),
    ],
)
def test_bad_input_shapes_are_refused_at_build(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer().build(shape)


def test_a_built_layer_refuses_another_shape():
    layer = cl.PReLU()
    layer(np.zeros((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match="built for inputs of shape"):
        layer(np.zeros((2, 3, 5), "float32"))
    norm = cl.Normalization()
    norm.adapt(np.ones((4, 3)))
    with pytest.raises(ValueError, match="built for inputs of shape"):
        norm.adapt(np.ones((4, 2)))


def test_softmax_mask_must_broadcast():
    with pytest.raises(ValueError, match="Softmax.*`mask` must be broadcastable.*mask.shape=\\(2, 3\\)"):
        cl.Softmax()(np.zeros((2, 4), "float32"), mask=np.ones((2, 3), bool))


def test_normalization_given_statistics_has_nothing_to_adapt_and_no_weights():
    layer = cl.Normalization(mean=1.0, variance=4.0)
    with pytest.raises(ValueError, match="nothing to adapt"):
        layer.adapt(np.ones((3, 2)))
    np.testing.assert_allclose(layer(np.array([[3.0, 5.0]], "float32")), [[1.0, 2.0]])
    assert layer.get_weights() == [] and dict(layer.state_dict()) == {}
    with pytest.raises(ValueError, match="empty iterable"):
        cl.Normalization().adapt([])
    with pytest.raises(TypeError, match="adapt\\(\\) takes"):
        cl.Normalization().adapt(3.0)


# -- formulas the fixtures do not pin ------------------------------------------------------------
def test_normalization_floors_the_standard_deviation_and_adapts_from_tensors_and_pairs():
    layer = cl.Normalization(axis=None)
    layer.adapt([(torch.tensor([2.0, 2.0]), torch.zeros(2))])  # (x, y) batches: x is taken; variance 0
    y = layer(np.array([3.0], "float32"))
    np.testing.assert_allclose(y, [1.0 / 1e-7], rtol=1e-6)  # (x - mean) / max(sqrt(0), 1e-7)
    tensor = cl.Normalization()
    tensor.adapt(torch.tensor([[1.0, 10.0], [3.0, 30.0]]))
    np.testing.assert_allclose(tensor.get_weights()[0], [2.0, 20.0])
    np.testing.assert_allclose(tensor.get_weights()[1], [1.0, 100.0])
    assert tensor.get_weights()[2] == 0  # Keras 3 never updates `count`


def test_layer_normalization_rms_scaling_warns_and_has_no_beta():
    with pytest.warns(UserWarning, match="deprecated"):
        layer = cl.LayerNormalization(rms_scaling=True, epsilon=0.0)
    x = np.array([[1.0, 3.0]], "float32")
    y = layer(x)
    assert [w.name for w in layer.weight_specs] == ["gamma"]
    np.testing.assert_allclose(y, x / np.sqrt(x.var()), rtol=1e-6)


def test_leaky_relu_takes_keras_deprecated_alpha():
    with pytest.warns(UserWarning, match="`alpha` is deprecated"):
        layer = cl.LeakyReLU(alpha=0.5)
    assert layer.get_config()["negative_slope"] == 0.5 and "alpha" not in layer.get_config()


def test_config_forms_keras_changes_at_build():
    """Keras sorts LayerNormalization's axes into a list at build, and resolves GroupNormalization's -1."""
    layer = cl.LayerNormalization(axis=(2, 1))
    assert layer.get_config()["axis"] == [2, 1]
    layer.build((2, 3, 4))
    assert layer.get_config()["axis"] == [1, 2]
    group = cl.GroupNormalization(-1)
    group.build((2, 3, 5))
    assert group.get_config()["groups"] == 5
    assert cl.SpatialDropout2D(0.5, dtype="mixed_bfloat16").get_config()["dtype"] == "float32"  # Keras: the variable dtype
    assert list(cl.ELU().get_config()) == ["name", "alpha", "trainable", "dtype"]


def test_masking_zeroes_whole_steps_only_and_keeps_integers():
    x = np.array([[[0, 0], [0, 5], [7, 0]]], "int32")
    y = cl.Masking(dtype="mixed_bfloat16")(x)
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y, x)
    nan_step = np.array([[[np.inf, 0.0], [0.0, 0.0]]], "float32")
    np.testing.assert_array_equal(cl.Masking()(nan_step), nan_step)  # a select, not a product (inf * 0 is nan)


def test_activity_regularization_adds_its_term():
    layer = cl.ActivityRegularization(l1=0.1, l2=0.2)
    x = torch.tensor([[1.0, -2.0], [0.5, 0.0]])
    assert torch.equal(layer(x), x)
    expected = 0.1 * 3.5 + 0.2 * (1 + 4 + 0.25)
    assert float(layer.losses[0]) == pytest.approx(expected)
    assert "activity_regularizer" not in layer.get_config()
    with pytest.raises(TypeError, match="not `activity_regularizer`"):
        cl.ActivityRegularization(activity_regularizer="l1")


def test_prelu_regularizer_and_constraint_apply_to_alpha():
    layer = cl.PReLU(alpha_initializer="ones", alpha_regularizer=cl.regularizers.L2(0.5), alpha_constraint="non_neg")
    layer.build((2, 3))
    assert float(layer.losses[0].detach()) == pytest.approx(0.5 * 3)
    with torch.no_grad():
        layer.alpha.fill_(-1.0)
    layer.apply_constraints()
    assert layer.get_weights()[0].tolist() == [0.0, 0.0, 0.0]


# -- training behaviour --------------------------------------------------------------------------
@pytest.mark.parametrize("name", TRAINING_NOISE)
def test_noise_is_the_identity_at_inference_and_for_numpy(name):
    layer = getattr(cl, name)(0.4)
    x = torch.randn({"SpatialDropout1D": (2, 3, 4), "SpatialDropout2D": (2, 3, 4, 5)}.get(name, (2, 3, 4, 5, 2)))
    assert torch.equal(layer.eval()(x), x)
    np.testing.assert_array_equal(layer.train()(x.numpy()), x.numpy())


@pytest.mark.parametrize("rank, data_format", [(1, None), (2, "channels_last"), (2, "channels_first"), (3, "channels_first")])
def test_spatial_dropout_drops_whole_channels_and_scales_the_rest(rank, data_format):
    cls = {1: cl.SpatialDropout1D, 2: cl.SpatialDropout2D, 3: cl.SpatialDropout3D}[rank]
    layer = cls(0.25, seed=3) if rank == 1 else cls(0.25, data_format=data_format, seed=3)
    x = torch.rand((400, 8) + (3,) * rank) + 1.0 if data_format == "channels_first" else torch.rand((400,) + (3,) * rank + (8,)) + 1.0
    y = layer(x)
    ratio = y / x
    channel_axis = 1 if data_format == "channels_first" else -1
    spatial = [d for d in range(1, rank + 2) if d != channel_axis % (rank + 2)]
    per_channel = ratio.amax(dim=spatial)
    # Every element of a (example, channel) map shares the draw: all dropped or all scaled by 1 / (1 - rate).
    torch.testing.assert_close(ratio.amin(dim=spatial), per_channel)
    kept = per_channel[per_channel != 0]
    torch.testing.assert_close(kept, torch.full_like(kept, 1 / 0.75))
    assert abs(float((per_channel == 0).float().mean()) - 0.25) < 0.03


def test_seeded_noise_repeats_its_sequence():
    for make in (lambda: cl.GaussianNoise(0.5, seed=7), lambda: cl.AlphaDropout(0.5, seed=7), lambda: cl.SpatialDropout2D(0.5, seed=7)):
        a, b = make(), make()
        x = torch.ones(2, 3, 3, 4)
        assert torch.equal(a(x), b(x)) and not torch.equal(a(x), a(x))


def test_gaussian_noise_and_dropout_statistics():
    x = torch.full((200000,), 2.0)
    noisy = cl.GaussianNoise(0.3, seed=1)(x) - x
    assert abs(float(noisy.mean())) < 0.005 and abs(float(noisy.std()) - 0.3) < 0.005
    factor = cl.GaussianDropout(0.2, seed=1)(x) / x
    assert abs(float(factor.mean()) - 1.0) < 0.005 and abs(float(factor.std()) - math.sqrt(0.2 / 0.8)) < 0.005
    with pytest.raises(ValueError, match="rate=1"):
        cl.GaussianDropout(1.0)(x)


def test_alpha_dropout_maps_values_by_keras_formula_and_shares_its_mask():
    rate = 0.3
    alpha_p = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946
    a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
    b = -a * alpha_p * rate
    layer = cl.AlphaDropout(rate, noise_shape=(None, 1, 4), seed=0)
    x = torch.randn(500, 6, 4)
    y = layer(x)
    kept = torch.isclose(y, a * x + b)
    dropped = torch.isclose(y, torch.full_like(y, a * alpha_p + b))
    assert bool((kept | dropped).all())
    assert bool((kept == kept[:, :1]).all())  # the mask is shared along the noise_shape's 1
    assert abs(float(dropped.double().mean()) - rate) < 0.03
    selu = cl.AlphaDropout(0.2, seed=1)(torch.randn(400000))
    assert abs(float(selu.mean())) < 0.01 and abs(float(selu.std()) - 1.0) < 0.01


def test_dropout_noise_shape_shares_draws():
    y = cl.Dropout(0.5, noise_shape=(None, 1, None), seed=0)(torch.ones(50, 6, 3))
    assert bool((y == y[:, :1]).all())
    assert cl.Dropout(0.5, noise_shape=[None, 1]).get_config()["noise_shape"] == (None, 1)


# -- tensors, autograd, models, pickling -----------------------------------------------------------
GRADIENT_LAYERS = {
    "ReLU": (lambda: cl.ReLU(max_value=1.0, negative_slope=0.2, threshold=0.3), (3, 5)),
    "PReLU": (lambda: cl.PReLU(alpha_initializer="random_uniform", shared_axes=1), (2, 3, 4)),
    "ELU": (lambda: cl.ELU(0.6), (3, 4)),
    "Softmax": (lambda: cl.Softmax(axis=[1, 2]), (2, 3, 4)),
    "Rescaling": (lambda: cl.Rescaling([1.0, 2.0, 3.0], offset=1.0), (2, 3)),
    "Normalization": (lambda: cl.Normalization(axis=None, mean=1.0, variance=2.0, invert=True), (2, 3)),
    "LayerNormalization": (lambda: cl.LayerNormalization(axis=[1, 2], beta_initializer="random_normal"), (2, 3, 4)),
    "GroupNormalization": (lambda: cl.GroupNormalization(2, axis=1, gamma_initializer="random_normal"), (2, 4, 3)),
    "UnitNormalization": (lambda: cl.UnitNormalization(), (3, 4)),
    "Permute": (lambda: cl.Permute((2, 1)), (2, 3, 4)),
    "RepeatVector": (lambda: cl.RepeatVector(2), (2, 3)),
}


@pytest.mark.parametrize("name", sorted(GRADIENT_LAYERS))
def test_gradients_are_exact_in_float64(name):
    make, shape = GRADIENT_LAYERS[name]
    layer = make()
    layer.build(shape)
    layer.double()
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(layer, (x,), eps=1e-6, atol=1e-6)
    assert all(p.grad is None for p in layer.parameters())
    layer(x).sum().backward()
    assert all(p.grad is not None for p in layer.parameters())


@pytest.mark.parametrize("name", sorted(GRADIENT_LAYERS))
def test_pickled_layers_compute_the_same(name):
    make, shape = GRADIENT_LAYERS[name]
    layer = make()
    x = np.random.rand(*shape).astype("float32")
    y = layer(x)
    clone = pickle.loads(pickle.dumps(layer))
    np.testing.assert_array_equal(clone(x), y)
    assert clone.get_config() == layer.get_config()


def test_adapted_normalization_pickles_and_keeps_its_int_count_through_conversions():
    layer = cl.Normalization()
    layer.adapt(np.random.rand(5, 3))
    clone = pickle.loads(pickle.dumps(layer))
    np.testing.assert_array_equal(clone.get_weights()[0], layer.get_weights()[0])
    layer.double()
    assert layer.count.dtype == torch.int32 and layer.mean.dtype == torch.float64
    assert list(layer.state_dict()) == ["mean", "variance", "count"]


def test_a_sequential_cnn_of_companions_trains():
    model = cl.Sequential([
        cl.Input((6, 6, 2)), cl.Rescaling(2.0, offset=-1.0), cl.Conv2D(4, 3), cl.LayerNormalization(), cl.PReLU(shared_axes=[1, 2]),
        cl.SpatialDropout2D(0.2), cl.GaussianNoise(0.05), cl.GroupNormalization(2), cl.ReLU(max_value=6.0), cl.Flatten(),
        cl.AlphaDropout(0.1), cl.Dense(3), cl.Softmax(),
    ])
    assert model.output_shape == (None, 3)
    x, y = np.random.rand(16, 6, 6, 2).astype("float32"), np.eye(3, dtype="float32")[np.arange(16) % 3]
    model.compile("adam", "categorical_crossentropy")
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0)
    assert all(math.isfinite(v) for v in history.history["loss"])
    out = model.predict(x, verbose=0)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(model(x), model(x))  # inference: the noise layers are the identity


def test_layer_and_group_normalization_compute_in_float32_under_mixed_policies():
    x = torch.randn(2, 5, 4) * 100 + 1000  # bfloat16 statistics would lose these digits
    for make in (lambda **kw: cl.LayerNormalization(**kw), lambda **kw: cl.GroupNormalization(2, **kw)):
        mixed, full = make(dtype="mixed_bfloat16"), make()
        y = mixed(x)
        assert y.dtype == torch.bfloat16
        torch.testing.assert_close(y, full(x).to(torch.bfloat16))  # the float32 result, rounded once
