"""Initializers: Keras fans for every kernel layout, distributions, seeding, names, configs, errors."""

import doctest
import json
import math

import numpy as np
import pytest
import torch

from convlayers import initializers, registry
from convlayers.initializers import (
    STFT, CallableInitializer, Constant, GlorotNormal, GlorotUniform, HeNormal, HeUniform, Identity, Initializer,
    LecunNormal, LecunUniform, Ones, Orthogonal, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
    Zeros, compute_fans,
)

KERAS_NAMES = {  # keras.md §3.3: every string Keras 3.15 accepts, and the class it builds
    "constant": Constant, "glorot_normal": GlorotNormal, "glorot_uniform": GlorotUniform, "he_normal": HeNormal,
    "he_uniform": HeUniform, "identity": Identity, "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform,
    "normal": RandomNormal, "one": Ones, "ones": Ones, "orthogonal": Orthogonal, "random_normal": RandomNormal,
    "random_uniform": RandomUniform, "stft": STFT, "truncated_normal": TruncatedNormal, "uniform": RandomUniform,
    "variance_scaling": VarianceScaling, "zero": Zeros, "zeros": Zeros,
    "Constant": Constant, "GlorotNormal": GlorotNormal, "GlorotUniform": GlorotUniform, "HeNormal": HeNormal,
    "HeUniform": HeUniform, "Identity": Identity, "IdentityInitializer": Identity, "LecunNormal": LecunNormal,
    "LecunUniform": LecunUniform, "Ones": Ones, "Orthogonal": Orthogonal, "OrthogonalInitializer": Orthogonal,
    "RandomNormal": RandomNormal, "RandomUniform": RandomUniform, "STFT": STFT, "STFTInitializer": STFT,
    "TruncatedNormal": TruncatedNormal, "VarianceScaling": VarianceScaling, "Zeros": Zeros,
}
PRESETS = {  # (scale, mode, distribution), keras.md §3.2
    "glorot_uniform": (1.0, "fan_avg", "uniform"), "glorot_normal": (1.0, "fan_avg", "truncated_normal"),
    "he_normal": (2.0, "fan_in", "truncated_normal"), "he_uniform": (2.0, "fan_in", "uniform"),
    "lecun_normal": (1.0, "fan_in", "truncated_normal"), "lecun_uniform": (1.0, "fan_in", "uniform"),
}
TRUNCATED_STD = 0.87962566103423978


def fans(shape):
    """keras.md §3.1, written out independently of the library."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


FAN_TABLE = [  # (what, Keras-layout shape, fan_in, fan_out)
    ("Conv1D(16, 5) on 3 channels", (5, 3, 16), 15, 80),
    ("Conv2D(64, 3) on 32 channels", (3, 3, 32, 64), 288, 576),
    ("Conv3D(16, 3) on 8 channels", (3, 3, 3, 8, 16), 216, 432),
    ("Conv2D(64, 3, groups=4) on 32 channels", (3, 3, 8, 64), 72, 576),
    ("Conv2DTranspose(16, 3) on 32 channels", (3, 3, 16, 32), 144, 288),
    ("DepthwiseConv2D(3) on 32 channels", (3, 3, 32, 1), 288, 9),
    ("DepthwiseConv2D(3, depth_multiplier=2) on 32 channels", (3, 3, 32, 2), 288, 18),
    ("pointwise 32 -> 64", (1, 1, 32, 64), 32, 64),
    ("Dense(5) on 10 features", (10, 5), 10, 5),
    ("bias of 64 filters", (64,), 64, 64),
    ("scalar", (), 1, 1),
]


@pytest.mark.parametrize("what, shape, fan_in, fan_out", FAN_TABLE, ids=[row[0] for row in FAN_TABLE])
def test_fans_follow_keras_for_every_kernel_layout(what, shape, fan_in, fan_out):
    assert compute_fans(shape) == (fan_in, fan_out) == fans(shape)


def test_explicit_fan_axes_take_the_product_of_those_axes():
    assert compute_fans((4, 8, 16), input_axes=[0], output_axes=[1, 2]) == (4, 128)
    assert compute_fans((4, 8, 16), input_axes=[0]) == (32, 64)  # both are needed, as in Keras
    assert VarianceScaling(input_axes=[0], output_axes=[1, 2]).get_config()["input_axes"] == [0]


@pytest.mark.parametrize("shape, limit", [((3, 3, 32, 64), 0.08333), ((3, 3, 32, 1), 0.14213), ((1, 1, 32, 64), 0.25)])
def test_glorot_uniform_limits_verified_in_keras(shape, limit):
    w = initializers.get("glorot_uniform")(shape)
    assert math.sqrt(6 / sum(fans(shape))) == pytest.approx(limit, abs=1e-5)
    assert w.abs().max() <= limit + 1e-5
    if w.numel() > 1000:
        assert w.abs().max() > 0.99 * limit


@pytest.mark.parametrize("name", sorted(PRESETS))
@pytest.mark.parametrize("shape", [(3, 3, 32, 64), (128, 160)])
def test_variance_scaling_presets_have_keras_bounds_and_spread(name, shape):
    scale, mode, distribution = PRESETS[name]
    fan_in, fan_out = fans(shape)
    variance = scale / max(1.0, {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode])
    w = initializers.get(name)(shape).double()
    assert w.shape == shape and abs(w.mean()) < 0.02 * math.sqrt(variance)
    assert w.std().item() == pytest.approx(math.sqrt(variance), rel=0.02)
    bound = math.sqrt(3 * variance) if distribution == "uniform" else 2 * math.sqrt(variance) / TRUNCATED_STD
    assert bound * 0.97 < w.abs().max() <= bound * (1 + 1e-6)


def test_he_normal_matches_the_keras_measurement():
    w = HeNormal(seed=1)((3, 3, 128, 256)).double()  # keras.md §3.2: max 0.0947, std 0.04164
    assert w.abs().max() <= 0.0948 and w.abs().max() > 0.094
    assert w.std().item() == pytest.approx(math.sqrt(2 / 1152), rel=0.01)


@pytest.mark.parametrize("mode, expected_fan", [("fan_in", 288), ("fan_out", 576), ("fan_avg", 432)])
def test_variance_scaling_modes_and_untruncated_normal(mode, expected_fan):
    w = VarianceScaling(3.0, mode, "untruncated_normal", seed=0)((3, 3, 32, 64)).double()
    assert w.std().item() == pytest.approx(math.sqrt(3.0 / expected_fan), rel=0.02)
    assert w.abs().max() > 3 * math.sqrt(3.0 / expected_fan)  # the tails are kept


def within(values, low, high):
    """All values in [low, high], up to float32 rounding of the bounds."""
    slack = 1e-6 * max(abs(low), abs(high))
    return bool(values.min() >= low - slack and values.max() <= high + slack)


def test_plain_random_initializers_keep_keras_defaults():
    normal, truncated, uniform = (init((100, 200)).double() for init in (RandomNormal(), TruncatedNormal(), RandomUniform()))
    assert normal.std().item() == pytest.approx(0.05, rel=0.02) and normal.abs().max() > 0.15
    assert truncated.std().item() == pytest.approx(0.05 * TRUNCATED_STD, rel=0.02) and within(truncated, -0.1, 0.1)
    assert within(uniform, -0.05, 0.05) and uniform.std().item() == pytest.approx(0.1 / math.sqrt(12), rel=0.02)
    shifted = TruncatedNormal(mean=1.0, stddev=0.5, seed=0)((20_000,)).double()
    assert within(shifted, 0.0, 2.0) and shifted.mean().item() == pytest.approx(1.0, abs=0.01)
    ranged = RandomUniform(2.0, 3.0, seed=0)((20_000,)).double()
    assert within(ranged, 2.0, 3.0) and ranged.mean().item() == pytest.approx(2.5, abs=0.01)


@pytest.mark.parametrize("init", [GlorotNormal(seed=7), RandomUniform(seed=7), TruncatedNormal(seed=7), Orthogonal(seed=7),
                                  VarianceScaling(distribution="untruncated_normal", seed=7)])
def test_an_int_seed_gives_the_same_values_on_every_call(init):
    first = init((4, 6))
    torch.manual_seed(123)
    torch.testing.assert_close(init((4, 6)), first, rtol=0, atol=0)
    other = type(init)(**{**init.get_config(), "seed": 8})
    assert not torch.equal(other((4, 6)), first)


def test_no_seed_draws_from_torch_global_generator():
    init = GlorotUniform()
    torch.manual_seed(5)
    first, second = init((8, 8)), init((8, 8))
    torch.manual_seed(5)
    assert torch.equal(init((8, 8)), first) and not torch.equal(first, second)


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 3, 4, 8), (2, 3, 5)])
def test_orthogonal_gives_orthonormal_columns_or_rows(shape):
    q = Orthogonal(gain=2.0, seed=0)(shape, torch.float64)
    matrix = q.reshape(-1, shape[-1])
    gram = matrix.T @ matrix if matrix.shape[0] >= matrix.shape[1] else matrix @ matrix.T
    torch.testing.assert_close(gram, 4.0 * torch.eye(min(matrix.shape), dtype=torch.float64))


def test_constant_zeros_ones_identity():
    assert torch.equal(Constant(2.5)((2, 3)), torch.full((2, 3), 2.5))
    assert torch.equal(Zeros()((3,), torch.int32), torch.zeros(3, dtype=torch.int32))
    assert torch.equal(Ones()((2, 2), torch.float64), torch.ones(2, 2, dtype=torch.float64))
    assert torch.equal(Identity(3.0)((2, 4)), 3.0 * torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0]]))
    assert initializers.get("constant")((2,)).tolist() == [0.0, 0.0]  # Keras 3.15 raises KeyError here


def test_dtype_is_honoured():
    for init in (GlorotUniform(), HeNormal(), Orthogonal(), Constant(1.0), STFT()):
        assert init((4, 1, 3), torch.float64).dtype == torch.float64
    assert RandomNormal()((2,), torch.float16).dtype == torch.float16


def _hann(n):
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / (n - 1))


@pytest.mark.parametrize("side, window, scaling, periodic", [
    ("real", "hann", "density", False), ("imag", "hann", "spectrum", True), ("real", "hamming", None, False),
    ("imag", None, None, False), ("real", [0.0, 1.0, 2.0, 1.0, 0.5, 0.1, 0.2, 0.3], "density", False),
])
def test_stft_kernel_is_a_windowed_dft(side, window, scaling, periodic):
    frames, bins = 8, 5
    n_fft = 2 * (bins - 1)
    if window == "hann":
        w = _hann(frames + 1)[:frames] if periodic else _hann(frames)
    elif window == "hamming":
        w = 0.54 - 0.46 * np.cos(2 * np.pi * np.arange(frames) / (frames - 1))
    else:
        w = np.ones(frames) if window is None else np.array(window)
    norm = {"density": np.sqrt(np.sum(w**2)), "spectrum": np.sum(np.abs(w)), None: 1.0}[scaling]
    t, f = np.arange(frames)[:, None], np.arange(bins)[None, :]
    angle = -2 * np.pi * t * f / n_fft
    expected = (np.cos(angle) if side == "real" else np.sin(angle)) * w[:, None] / norm
    kernel = STFT(side, window, scaling, periodic)((frames, 1, bins), torch.float64)
    np.testing.assert_allclose(kernel[:, 0, :].numpy(), expected, atol=1e-12)


def test_stft_errors():
    with pytest.raises(ValueError, match=r"Unknown STFT window 'kaiser'. Supported windows: bartlett, blackman"):
        STFT(window="kaiser")
    with pytest.raises(ValueError, match=r"side should be 'real' or 'imag', not 'both'"):
        STFT(side="both")
    with pytest.raises(ValueError, match=r"STFT kernels have shape \(frame_length, 1, fft_length // 2 \+ 1\). Received: shape=\(8, 2, 5\)"):
        STFT()((8, 2, 5))
    with pytest.raises(ValueError, match=r"The shape of `window` must be equal to \[frame_length\]"):
        STFT(window=[1.0, 2.0])((8, 1, 5))


def test_shape_errors_are_keras_messages():
    with pytest.raises(ValueError, match=r"at least two-dimensional. Received: shape=\(3,\) of rank 1."):
        Orthogonal()((3,))
    with pytest.raises(ValueError, match=r"Identity matrix initializer can only be used for 2D matrices. Received: shape=\(3, 3, 1\) of rank 3."):
        Identity()((3, 3, 1))
    with pytest.raises(ValueError, match=r"GlorotUniform draws floats: dtype must be a floating torch dtype. Received: dtype=torch.int64"):
        GlorotUniform()((2, 2), torch.int64)


def test_argument_errors():
    with pytest.raises(ValueError, match=r"Argument `scale` must be positive float. Received: scale=0"):
        VarianceScaling(scale=0)
    with pytest.raises(ValueError, match=r"Invalid `mode` argument: expected one of fan_in, fan_out, fan_avg. Received: mode='FAN_IN'"):
        VarianceScaling(mode="FAN_IN")
    with pytest.raises(ValueError, match=r"Invalid `distribution` argument: .* Received: distribution='gaussian'"):
        VarianceScaling(distribution="gaussian")
    for seed in ("1", True, 2**64, -(2**63) - 1):  # torch's generators take none of these
        with pytest.raises(ValueError, match=rf"Invalid value for argument `seed`: expected an int in \[-2\*\*63, 2\*\*64\) or None. Received: seed={seed!r}"):
            RandomNormal(seed=seed)
    assert RandomNormal(seed=2**64 - 1)((2,), torch.float32).shape == (2,)
    with pytest.raises(ValueError, match=r"Constant takes a scalar value. Received: value=\[1, 2\]"):
        Constant([1, 2])
    assert VarianceScaling(distribution="Normal").distribution == "truncated_normal"


@pytest.mark.parametrize("name", sorted(KERAS_NAMES))
def test_every_keras_name_builds_its_class_and_round_trips(name):
    init = initializers.get(name)
    assert type(init) is KERAS_NAMES[name]
    config = json.loads(json.dumps(initializers.serialize(init)))
    assert config == {"module": "keras.initializers", "class_name": type(init).__name__,
                      "config": init.get_config(), "registered_name": None}
    again = initializers.get(config)
    assert type(again) is type(init) and again.get_config() == init.get_config()


def test_none_is_glorot_uniform_and_serializes_like_keras_3():
    init = initializers.get(None)
    assert type(init) is GlorotUniform
    assert initializers.serialize(init) == {
        "module": "keras.initializers", "class_name": "GlorotUniform",
        "config": {"seed": None, "input_axes": None, "output_axes": None}, "registered_name": None,
    }
    assert initializers.serialize(None) is None


def test_configs_round_trip_with_their_arguments():
    for init in (VarianceScaling(0.5, "fan_out", "uniform", seed=3), RandomNormal(1.0, 2.0, seed=4), Orthogonal(gain=3.0),
                 STFT("imag", [1.0, 2.0], None, True), Constant(-1), Identity(0.5), HeUniform(seed=9)):
        again = initializers.get(initializers.serialize(init))
        assert type(again) is type(init) and again.get_config() == init.get_config()


def test_older_keras_config_forms_are_accepted():
    keras2 = {"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}}
    assert initializers.get(keras2).get_config()["mode"] == "fan_avg"
    shared = {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": None, "shared_object_id": 1}
    assert type(initializers.get(shared)) is Zeros
    assert type(initializers.get({"class_name": "GlorotUniform", "config": {"seed": None}})) is GlorotUniform
    assert initializers.get({"class_name": "glorot_uniform", "config": {"seed": 2}}).seed == 2
    assert type(initializers.get(HeNormal)) is HeNormal


def test_name_and_type_errors_are_pinned():
    with pytest.raises(ValueError, match=r"Unknown initializer 'GLOROT_UNIFORM'. Did you mean 'glorot_uniform'\? Names are case-sensitive, as in Keras. Allowed names: Constant, GlorotNormal,"):
        initializers.get("GLOROT_UNIFORM")
    with pytest.raises(ValueError, match=r"Received: initializer='xavier'"):
        initializers.get("xavier")
    with pytest.raises(ValueError, match=r"Could not interpret initializer identifier 1.5: expected a name, a Keras config dict, an instance of Initializer, or a callable. Received: type float"):
        initializers.get(1.5)
    with pytest.raises(ValueError, match=r"Unknown config keys for initializer 'GlorotUniform': scale. Expected keys among: seed, input_axes, output_axes."):
        initializers.get({"class_name": "GlorotUniform", "config": {"scale": 2.0}})
    with pytest.raises(ValueError, match=r"The config of initializer 'Zeros' must be a dict. Received: config=\[1\]"):
        initializers.get({"class_name": "Zeros", "config": [1]})


def sevens(shape, dtype):
    return np.full(shape, 7)


def test_callables_are_wrapped_checked_and_serialized_by_name():
    init = initializers.get(sevens)
    assert isinstance(init, CallableInitializer) and init.name == "sevens"
    assert torch.equal(init((2, 3), torch.float64), torch.full((2, 3), 7.0, dtype=torch.float64))
    config = initializers.serialize(sevens)
    assert config == {"module": __name__, "class_name": "function", "config": "sevens", "registered_name": "sevens"}
    with pytest.raises(ValueError, match=r"Unknown initializer 'sevens'"):
        initializers.get(config)
    initializers.register("sevens", sevens)
    assert initializers.get(config).fn is sevens
    with pytest.raises(ValueError, match=r"Initializer 'bad' returned shape \(2,\); expected \(3,\)."):
        CallableInitializer("bad", lambda shape, dtype: [1.0, 2.0])((3,))


class Halves(Initializer):
    def __init__(self, sign=1.0):
        self.sign = sign

    def __call__(self, shape, dtype=torch.float32):
        return torch.full(tuple(shape), 0.5 * self.sign, dtype=dtype)

    def get_config(self):
        return {"sign": self.sign}


def test_custom_classes_serialize_with_their_registered_name():
    initializers.register("test_halves", Halves)
    config = initializers.serialize(Halves(-1.0))
    assert config == {"module": __name__, "class_name": "Halves", "config": {"sign": -1.0}, "registered_name": "test_halves"}
    assert initializers.get(config)((1,)).tolist() == [-0.5]
    with pytest.raises(ValueError, match=r"Cannot register initializer 'zeros': it is a built-in Keras name."):
        initializers.register("zeros", Halves)
    with pytest.raises(ValueError, match=r"Cannot register initializer 'seven': expected a subclass or instance of Initializer, or a callable. Received: 7"):
        initializers.register("seven", 7)


def test_docstring_examples_run():
    for module in (initializers, registry):
        assert doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0
