"""Keras 3's image augmentation and cropping layers, adaptive pooling, TimeDistributed and Lambda.

Numbers come from Keras 3.15 (tests/fixtures/image-layers, written by
make_image_layer_fixtures.py with collapsed factor ranges so training mode is deterministic)
or from NumPy references written here; the random parts are checked by structure and seeds.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

import convlayers as cl

FIXTURES = Path(__file__).parent / "fixtures" / "image-layers"
CASES = json.loads((FIXTURES / "cases.json").read_text())["cases"]
ARRAYS = np.load(FIXTURES / "arrays.npz")
LAYER_CASES = [c for c in CASES if c["class_name"] not in ("TimeDistributed", "Lambda")]


def _make(case: dict) -> cl.layers.Layer:
    arguments = dict(case["arguments"])
    if case["class_name"].startswith("Random"):
        arguments["seed"] = 0
    return getattr(cl.layers, case["class_name"])(**arguments)


def _plain(config: dict) -> dict:
    """A config as JSON holds it (tuples as lists), without the per-instance name."""
    return {k: v for k, v in json.loads(json.dumps(config)).items() if k != "name"}


# -- Keras's numbers -------------------------------------------------------------------------
def _jax_bins_agree(n: int, m: int) -> np.ndarray:
    """Which of Keras-on-JAX's adaptive windows are the exact ``[floor(i n / m), ceil((i + 1) n / m))``.

    XLA divides by ``m`` as a float32 multiplication by ``1 / m``, so ``3 * 7 / 7`` comes out
    ``3.0000002`` and its ceiling 4: a window one too long (a NaN where it runs off the end).
    Keras's torch backend calls torch's adaptive pooling, the exact windows convlayers computes.
    """
    i = np.arange(m, dtype=np.float32)
    reciprocal = np.float32(1) / np.float32(m)
    starts = np.floor(i * np.float32(n) * reciprocal)
    ends = np.ceil((i + 1) * np.float32(n) * reciprocal)
    exact = np.array(_bins(n, m))
    return (starts == exact[:, 0]) & (ends == exact[:, 1])


@pytest.mark.parametrize("case", LAYER_CASES, ids=lambda c: c["name"])
def test_matches_keras(case):
    layer = _make(case).train(case["training"])
    x = ARRAYS[f"{case['name']}/x"]
    y = layer(torch.from_numpy(x)).detach().numpy()
    expected = ARRAYS[f"{case['name']}/y"]
    assert layer.compute_output_shape(x.shape) == y.shape
    if case["class_name"] == "AdaptiveAveragePooling1D" or case["class_name"] == "AdaptiveMaxPooling1D":
        steps = _jax_bins_agree(x.shape[1] if layer.channels_last else x.shape[2], layer.output_size[0])
        y, expected = (y[:, steps], expected[:, steps]) if layer.channels_last else (y[..., steps], expected[..., steps])
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=2e-6)


@pytest.mark.parametrize("case", LAYER_CASES, ids=lambda c: c["name"])
def test_config_is_keras_and_round_trips(case):
    layer = _make(case)
    assert _plain(layer.get_config()) == _plain(case["config"])
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    entry = cl.layers.serialize_layer(layer)
    assert type(cl.layers.deserialize_layer(entry)) is type(layer)


def test_keras_random_crop_is_the_identity_at_inference_but_convlayers_resizes():
    # Keras 3.15 (JAX) returns the input unchanged at inference although its compute_output_shape
    # says (height, width); convlayers follows the documented rule: smart_resize to the target.
    x = ARRAYS["random-crop-same/x"]
    layer = cl.RandomCrop(4, 6).eval()
    y = layer(torch.from_numpy(x))
    assert tuple(y.shape) == layer.compute_output_shape(x.shape) == (2, 4, 6, 2)
    # 7 x 9 at aspect 4 : 6 is the centred 6 x 9 window, resized.
    expected = cl.Resizing(4, 6)(torch.from_numpy(x[:, :6, :, :]))
    torch.testing.assert_close(y, expected)


# -- random parts: structure, statistics, seeds -----------------------------------------------
def _batch(n=64, rows=5, cols=6, channels=2, seed=0):
    return torch.randn(n, rows, cols, channels, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("mode, axes", [("horizontal", [2]), ("vertical", [1]), ("horizontal_and_vertical", [1, 2])])
def test_random_flip_flips_about_half_the_images(mode, axes):
    x = _batch()
    y = cl.RandomFlip(mode, seed=1)(x)
    flipped = [bool(torch.equal(y[i], x[i].flip([a - 1 for a in axes]))) for i in range(len(x))]
    kept = [bool(torch.equal(y[i], x[i])) for i in range(len(x))]
    assert all(f != k for f, k in zip(flipped, kept))
    assert 16 < sum(flipped) < 48


def test_seeds_reproduce_and_differ_per_image():
    x = _batch(8)
    a, b = cl.RandomRotation(0.2, seed=7), cl.RandomRotation(0.2, seed=7)
    torch.testing.assert_close(a(x), b(x))
    torch.testing.assert_close(a(x), b(x))  # the sequences go on in step
    y = cl.RandomZoom(0.3, seed=3)(x)
    assert not torch.allclose(y[0], cl.RandomZoom(0.3, seed=3)(x[1:2].expand(8, -1, -1, -1))[0])
    torch.manual_seed(0)
    u = cl.RandomTranslation(0.2, 0.2)(x)
    torch.manual_seed(0)
    torch.testing.assert_close(cl.RandomTranslation(0.2, 0.2)(x), u)  # seed=None: torch's global generator


def test_random_draws_cover_their_range():
    x = torch.ones(400, 2, 2, 1) * 0.5
    y = cl.RandomBrightness((-0.2, 0.3), value_range=(0, 1), seed=0)(x)[:, 0, 0, 0]
    assert -0.2 <= float(y.min() - 0.5) < -0.15 and 0.25 < float(y.max() - 0.5) <= 0.3
    z = torch.tensor([0.0, 1.0]).view(1, 1, 2, 1).expand(400, 1, 2, 1)
    c = cl.RandomContrast(0.5, value_range=(-9, 9), seed=0)(z)  # Keras 3.15: 0.5 means c in [1, 1.5]
    spread = c[:, 0, 1, 0] - c[:, 0, 0, 0]
    assert 1.0 <= float(spread.min()) < 1.05 and 1.45 < float(spread.max()) <= 1.5


def test_random_crop_training_cuts_one_window_per_batch():
    x = torch.arange(2 * 6 * 7, dtype=torch.float32).reshape(2, 6, 7, 1)
    layer = cl.RandomCrop(3, 4, seed=5)
    tops = set()
    for _ in range(30):
        y = layer(x)
        top, left = divmod(int(y[0, 0, 0, 0]), 7)
        torch.testing.assert_close(y, x[:, top : top + 3, left : left + 4])
        tops.add(top)
    assert tops == {0, 1, 2, 3}


@pytest.mark.parametrize("layer", [
    cl.RandomFlip(), cl.RandomRotation(0.3), cl.RandomZoom(0.3), cl.RandomTranslation(0.2, 0.2),
    cl.RandomContrast(0.3), cl.RandomBrightness(0.3),
], ids=lambda layer: type(layer).__name__)
def test_augmentation_is_the_identity_at_inference(layer):
    x = _batch(4)
    torch.testing.assert_close(layer.eval()(x), x)
    layer.train()
    np.testing.assert_array_equal(layer(x.numpy()), x.numpy())  # NumPy calls run in inference mode
    torch.testing.assert_close(layer(x, training=False), x)


def test_unbatched_images_and_integer_inputs():
    image = torch.randint(0, 255, (5, 6, 3), dtype=torch.uint8)
    y = cl.RandomRotation((0.1, 0.1), seed=0)(image)
    assert y.shape == (5, 6, 3) and y.dtype == torch.float32
    batched = cl.RandomRotation((0.1, 0.1), seed=0)(image[None].float())[0]
    torch.testing.assert_close(y, batched)
    assert cl.CenterCrop(2, 3)(image).shape == (2, 3, 3)


def test_gradients_flow_through_the_affine_resampling():
    x = torch.randn(2, 5, 5, 1, dtype=torch.float64, requires_grad=True)
    layer = cl.RandomRotation((0.1, 0.1), fill_mode="constant", dtype="float64")
    assert torch.autograd.gradcheck(layer, (x,))


# -- argument errors ---------------------------------------------------------------------------
@pytest.mark.parametrize("make, message", [
    (lambda: cl.RandomRotation(1.5), r"RandomRotation '[a-z_0-9]+': the `factor` argument should be a number .* \[-1.0, 1.0\]. Received: factor=1.5"),
    (lambda: cl.RandomRotation((0.1, 0.2, 0.3)), "Received: factor=\\(0.1, 0.2, 0.3\\)"),
    (lambda: cl.RandomZoom(-1.0), r"`height_factor` .* \(-1.0, 1.0\]. Received: height_factor=-1.0"),
    (lambda: cl.RandomZoom(0.1, "x"), "Received: width_factor='x'"),
    (lambda: cl.RandomTranslation(0.1, 1.2), "Received: width_factor=1.2"),
    (lambda: cl.RandomRotation(0.1, fill_mode="mirror"), "`fill_mode`. Expected one of .*'reflect'.* Received: fill_mode='mirror'"),
    (lambda: cl.RandomZoom(0.1, interpolation="bicubic"), "Received: interpolation='bicubic'"),
    (lambda: cl.RandomFlip("diagonal"), "Received: mode='diagonal'"),
    (lambda: cl.RandomBrightness(0.1, value_range=(0, 1, 2)), "`value_range` argument should be a list of two numbers"),
    (lambda: cl.RandomContrast(1.5), r"\[0.0, 1.0\]. Received: factor=1.5"),
    (lambda: cl.RandomCrop(0, 3), "height"),
    (lambda: cl.CenterCrop(3, 3, data_format="nhwc"), "data_format"),
    (lambda: cl.AdaptiveAveragePooling2D((2, 2, 2)), r"tuple of 2 ints \(height, width\). Received: output_size=\(2, 2, 2\)"),
    (lambda: cl.AdaptiveMaxPooling1D(0), "output_size"),
])
def test_bad_arguments_name_the_layer_argument_and_value(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_types_and_shapes():
    with pytest.raises(TypeError, match="AdaptiveMaxPooling3D.*`output_size` must be an int or a tuple of 3 ints"):
        cl.AdaptiveMaxPooling3D(2.5)
    with pytest.raises(ValueError, match="CenterCrop 'c': expected images of rank 4 .* received|Received an input of shape"):
        cl.CenterCrop(2, 2, name="c")(torch.zeros(2, 3, 4, 5, 1))
    with pytest.raises(ValueError, match="AdaptiveAveragePooling1D .*rank 3"):
        cl.AdaptiveAveragePooling1D(2)(torch.zeros(2, 3, 4, 5))


# -- adaptive pooling against a NumPy reference --------------------------------------------------
def _bins(n: int, m: int) -> list[tuple[int, int]]:
    return [(int(np.floor(i * n / m)), int(np.ceil((i + 1) * n / m))) for i in range(m)]


@pytest.mark.parametrize("reduce", ["average", "max"])
@pytest.mark.parametrize("size, out", [((11,), (4,)), ((7, 5), (3, 4)), ((4, 5, 6), (2, 3, 7))])
def test_adaptive_pooling_against_numpy(reduce, size, out):
    x = np.random.default_rng(3).standard_normal((2, *size, 3)).astype("float32")
    cls = getattr(cl.layers, f"Adaptive{'Average' if reduce == 'average' else 'Max'}Pooling{len(size)}D")
    expected = np.zeros((2, *out, 3), "float32")
    for index in np.ndindex(*out):
        window = x[(slice(None),) + tuple(slice(*_bins(n, m)[i]) for n, m, i in zip(size, out, index)) + (slice(None),)]
        axes = tuple(range(1, len(size) + 1))
        expected[(slice(None),) + index] = window.mean(axes) if reduce == "average" else window.max(axes)
    np.testing.assert_allclose(cls(out)(x), expected, rtol=1e-5, atol=1e-6)
    channels_first = cls(out, data_format="channels_first")(np.moveaxis(x, -1, 1))
    np.testing.assert_allclose(np.moveaxis(channels_first, 1, -1), expected, rtol=1e-5, atol=1e-6)


# -- TimeDistributed ---------------------------------------------------------------------------
TD_CASES = [c for c in CASES if c["class_name"] == "TimeDistributed"]


@pytest.mark.parametrize("case", TD_CASES, ids=lambda c: c["name"])
def test_time_distributed_matches_keras(case):
    from convlayers.io.keras_config import translate_model_config

    entry = {"class_name": "TimeDistributed", "config": case["config"]}
    translated = translate_model_config({"class_name": "Sequential", "config": {"layers": [entry]}})
    layer = cl.layers.deserialize_layer(translated["config"]["layers"][0])
    x = ARRAYS[f"{case['name']}/x"]
    weights = [ARRAYS[f"{case['name']}/w{i}"] for i in range(len([k for k in ARRAYS.files if k.startswith(case["name"] + "/w")]))]
    layer.build(x.shape)
    layer.set_weights(weights)
    np.testing.assert_allclose(layer(x), ARRAYS[f"{case['name']}/y"], rtol=1e-5, atol=1e-5)
    assert list(layer.compute_output_shape(x.shape)) == case["output_shape"]
    assert [w.shape for w in layer.get_weights()] == [w.shape for w in weights]
    config = _plain(layer.get_config())
    keras = _plain(case["config"])
    assert config["layer"]["class_name"] == keras["layer"]["class_name"]
    ours, theirs = _plain(config["layer"]["config"]), _plain(keras["layer"]["config"])
    assert set(theirs) - set(ours) <= {"quantization_config"}  # Keras 3.15's addition, written by the file writer
    assert ours == {key: theirs[key] for key in ours}


def test_time_distributed_weights_are_the_inner_layers():
    inner = cl.Conv2D(2, 3, kernel_regularizer=cl.regularizers.L2(0.1))
    layer = cl.TimeDistributed(inner)
    layer.build((None, 4, 6, 6, 1))
    assert inner.built and inner.build_input_shape == (None, 6, 6, 1)
    assert layer.count_params() == inner.count_params() == 20
    assert [id(w) for w in layer.weights] == [id(w) for w in inner.weights]
    assert sorted(layer.state_dict()) == ["layer.bias", "layer.kernel"]
    assert len(layer.losses) == 1
    layer.set_weights([np.ones((3, 3, 1, 2)), np.zeros(2)])
    assert float(inner.kernel.detach().sum()) == 18
    layer.trainable = False
    assert layer.trainable_weights == [] and not inner.trainable
    with pytest.raises(ValueError, match="TimeDistributed .*must be a convlayers layer"):
        cl.TimeDistributed(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="rank at least 3"):
        cl.TimeDistributed(cl.Dense(2))(torch.zeros(2, 3))


def test_time_distributed_in_models_and_batch_norm_per_slice():
    model = cl.Sequential([cl.Input((3, 8, 8, 1)), cl.TimeDistributed(cl.Conv2D(2, 3)), cl.TimeDistributed(cl.Flatten()),
                           cl.TimeDistributed(cl.Dense(4))])
    assert model.output_shape == (None, 3, 4)
    inputs = cl.Input((3, 5))
    functional = cl.Model(inputs, cl.TimeDistributed(cl.Dense(2))(inputs))
    x = np.random.default_rng(0).standard_normal((2, 3, 5)).astype("float32")
    assert functional(x).shape == (2, 3, 2)
    # Training-mode batch statistics are per time slice, as Keras computes them.
    bn = cl.TimeDistributed(cl.BatchNormalization(momentum=0.0))
    v = torch.randn(4, 3, 2) * torch.tensor([1.0, 5.0, 9.0]).view(1, 3, 1)
    y = bn(v)
    assert torch.allclose(y.mean(0), torch.zeros(3, 2), atol=1e-5)
    clone = cl.Sequential.from_config(model.get_config())
    assert [type(layer.layer).__name__ for layer in clone] == ["Conv2D", "Flatten", "Dense"]


# -- Lambda ------------------------------------------------------------------------------------
def test_lambda_calls_torch_functions_and_infers_shapes():
    layer = cl.Lambda(lambda t, scale: t.mean(dim=1) * scale, arguments={"scale": 3.0})
    x = torch.ones(2, 4, 5, requires_grad=True)
    y = layer(x)
    assert y.shape == (2, 5) and torch.equal(y, torch.full((2, 5), 3.0))
    y.sum().backward()
    assert x.grad is not None
    assert layer.compute_output_shape((None, 4, 5)) == (None, 5)
    assert cl.Lambda(lambda t: t, output_shape=(7,)).compute_output_shape((None, 3)) == (None, 7)
    assert cl.Lambda(lambda t: t, output_shape=lambda s: (s[0], 9)).compute_output_shape((2, 3)) == (2, 9)
    assert cl.Lambda(lambda t: t.sum().item() + t).compute_output_shape((None, 3)) == (None, 3)  # meta fails, zeros work
    modes = []
    cl.Lambda(lambda t, training: modes.append(training) or t).eval()(torch.ones(1))
    assert modes == [False]


def test_lambda_in_a_model_and_its_errors(tmp_path):
    inputs = cl.Input((6,))
    model = cl.Model(inputs, cl.Dense(2)(cl.Lambda(lambda t: torch.nn.functional.relu(t) * 2, name="twice")(inputs)))
    assert model.output_shape == (None, 2)
    assert model(np.ones((3, 6), "float32")).shape == (3, 2)
    for path in ("m.keras", "m.safetensors", "m.h5"):
        with pytest.raises(ValueError, match="Lambda 'twice': a Lambda layer holds Python code"):
            model.save(tmp_path / path)
    with pytest.raises(TypeError, match="Lambda .*`function` must be callable"):
        cl.Lambda(3)
    with pytest.raises(ValueError, match="could not infer the output shape.*Pass `output_shape`"):
        cl.Lambda(lambda t: t.reshape(7)).compute_output_shape((None, 3))
    keras_keys = next(c for c in CASES if c["class_name"] == "Lambda")["config_keys"]
    assert set(keras_keys) >= {"function", "output_shape", "arguments"}


# -- pickling, dtypes, registries --------------------------------------------------------------
PICKLED = [
    lambda: cl.RandomRotation(0.1, seed=3), lambda: cl.RandomFlip(seed=1), lambda: cl.CenterCrop(3, 3),
    lambda: cl.RandomCrop(3, 3, seed=2), lambda: cl.AdaptiveMaxPooling2D(2),
    lambda: cl.TimeDistributed(cl.Conv2D(2, 2)),
]


@pytest.mark.parametrize("make", PICKLED, ids=lambda make: type(make()).__name__)
def test_layers_pickle_and_compute_the_same(make):
    layer = make().eval()
    x = torch.randn(2, 3, 5, 5, 2) if isinstance(layer, cl.TimeDistributed) else torch.randn(2, 5, 5, 2)
    y = layer(x)
    clone = pickle.loads(pickle.dumps(layer))
    torch.testing.assert_close(clone(x), y, rtol=0, atol=0)
    assert clone.get_config() == layer.get_config()


def test_keras_class_tables():
    from convlayers.io.keras_export import KERAS_LAYER_CLASSES

    for name in ("RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomCrop", "RandomContrast",
                 "RandomBrightness", "CenterCrop", "AdaptiveAveragePooling2D", "AdaptiveMaxPooling3D", "TimeDistributed"):
        assert name in KERAS_LAYER_CLASSES and cl.layers.get_layer_class(name).__name__ == name


def test_a_sequential_with_augmentation_saves_to_keras_files(tmp_path):
    model = cl.Sequential([cl.Input((8, 8, 3)), cl.RandomFlip("horizontal", seed=1), cl.RandomRotation(0.1, seed=2),
                           cl.CenterCrop(6, 6), cl.Conv2D(2, 3), cl.AdaptiveAveragePooling2D(2)])
    x = np.random.default_rng(0).standard_normal((2, 8, 8, 3)).astype("float32")
    for path in ("m.keras", "m.h5"):
        model.save(tmp_path / path)
        loaded = cl.load_model(tmp_path / path)
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


@pytest.mark.parametrize("file", ["time_distributed.keras", "time_distributed.h5"])
def test_keras_saved_time_distributed_models_load(file):
    model = cl.load_model(FIXTURES / file)
    assert [type(layer.layer).__name__ for layer in model] == ["Conv2D", "Flatten", "Dense"]
    x = ARRAYS["time-distributed-model/x"]
    np.testing.assert_allclose(model.predict(x, verbose=0), ARRAYS["time-distributed-model/y"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("path", ["m.keras", "m.h5"])
def test_time_distributed_models_save_where_keras_keeps_their_weights(tmp_path, path):
    model = cl.Sequential([cl.Input((3, 6, 6, 2)), cl.TimeDistributed(cl.Conv2D(2, 3)), cl.TimeDistributed(cl.Flatten()),
                           cl.TimeDistributed(cl.Dense(2))])
    model.save(tmp_path / path)
    if path.endswith(".keras"):
        import io
        import zipfile

        import h5py

        with h5py.File(io.BytesIO(zipfile.ZipFile(tmp_path / path).read("model.weights.h5"))) as f:
            assert f["layers/time_distributed/layer/vars/0"].shape == (3, 3, 2, 2)
            assert f["layers/time_distributed_2/layer/vars/1"].shape == (2,)
    x = np.random.default_rng(1).standard_normal((2, 3, 6, 6, 2)).astype("float32")
    np.testing.assert_array_equal(cl.load_model(tmp_path / path).predict(x, verbose=0), model.predict(x, verbose=0))
