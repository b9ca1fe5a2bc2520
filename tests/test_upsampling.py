"""UpSampling1D/2D/3D: every interpolation mode against an independent NumPy resampler, torch equivalences, gradients, protocol, errors."""

import itertools
import json
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from convlayers import UpSampling1D, UpSampling2D, UpSampling3D
from convlayers.geometry import upsampled_sizes
from reference import to_channels_last
from reference import upsample as np_upsample

UPSAMPLING = {1: UpSampling1D, 2: UpSampling2D, 3: UpSampling3D}
MODES_2D = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area", "gaussian", "mitchellcubic")


def _run(layer, x_cf, data_format):
    """Call ``layer`` on channels-first ``x_cf`` given in ``data_format``; return the output channels first."""
    x = x_cf if data_format == "channels_first" else to_channels_last(x_cf)
    y = layer(x)
    assert y.shape == layer.compute_output_shape(x.shape)
    return y if data_format == "channels_first" else np.moveaxis(y, -1, 1)


# -- values against the NumPy reference -----------------------------------------------------------
@pytest.mark.parametrize("interpolation", MODES_2D)
@pytest.mark.parametrize("size", [(2, 2), (3, 2), (1, 3), (4, 1)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_upsampling2d_against_reference(interpolation, size, data_format):
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 3)).astype(np.float32)
    layer = UpSampling2D(size, data_format=data_format, interpolation=interpolation)
    y = _run(layer, x, data_format)
    np.testing.assert_allclose(y, np_upsample(x, size, interpolation), rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("interpolation", ["nearest", "trilinear"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_upsampling3d_against_reference(interpolation, data_format):
    x = np.random.default_rng(2).standard_normal((2, 2, 3, 2, 3)).astype(np.float32)
    layer = UpSampling3D((2, 1, 3), data_format=data_format, interpolation=interpolation)
    y = _run(layer, x, data_format)
    np.testing.assert_allclose(y, np_upsample(x, (2, 1, 3), interpolation), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("size", [1, 2, 5])
def test_upsampling1d_repeats_steps(size):
    x = np.random.default_rng(3).standard_normal((2, 4, 3)).astype(np.float32)  # (batch, steps, features)
    np.testing.assert_array_equal(UpSampling1D(size)(x), np.repeat(x, size, axis=1))


def test_bicubic_is_tf_table_quantised_at_x3():
    # TF rounds each sample's fractional offset to 1/1024 (1/3 and 2/3 are not representable).
    x = np.random.default_rng(4).standard_normal((1, 1, 5, 4)).astype(np.float32)
    y = _run(UpSampling2D((3, 3), data_format="channels_first", interpolation="bicubic"), x, "channels_first")
    np.testing.assert_allclose(y, np_upsample(x, (3, 3), "bicubic"), rtol=1e-5, atol=1e-6)
    unquantised = F.interpolate(torch.from_numpy(x), scale_factor=3, mode="bicubic", antialias=True).numpy()
    assert np.abs(y - unquantised).max() > 1e-4


@pytest.mark.parametrize("size", [(2, 2), (4, 4), (2, 4)])
def test_bicubic_equals_torch_antialiased_bicubic_at_x2_x4(size):
    # Keys a = -0.5 with out-of-range taps dropped and renormalised, which is JAX's bicubic and
    # torch's antialias=True; TF's 1/1024 table is exact for offsets 1/4 and 3/4.
    x = torch.randn(2, 3, 5, 4)
    y = UpSampling2D(size, data_format="channels_first", interpolation="bicubic")(x)
    expected = F.interpolate(x, scale_factor=size, mode="bicubic", align_corners=False, antialias=True)
    torch.testing.assert_close(y, expected, rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("size", [(2, 2), (3, 1), (4, 3)])
def test_bilinear_equals_torch_bilinear_half_pixel(size):
    x = torch.randn(2, 4, 5, 3)
    y = UpSampling2D(size, interpolation="bilinear")(x)
    expected = F.interpolate(x.movedim(-1, 1), scale_factor=size, mode="bilinear", align_corners=False).movedim(1, -1)
    torch.testing.assert_close(y, expected, rtol=1e-6, atol=1e-6)


def test_area_is_nearest_for_integer_factors():
    x = torch.randn(1, 3, 4, 2)
    area = UpSampling2D((2, 3), interpolation="area")(x)
    assert torch.equal(area, UpSampling2D((2, 3))(x))


def test_matrices_follow_the_input_size():
    layer = UpSampling2D(2, interpolation="lanczos3", data_format="channels_first")
    for shape in [(1, 1, 3, 4), (1, 1, 6, 2), (1, 1, 3, 4)]:
        x = np.random.default_rng(sum(shape)).standard_normal(shape).astype(np.float32)
        np.testing.assert_allclose(layer(x), np_upsample(x, (2, 2), "lanczos3"), rtol=1e-5, atol=1e-6)


# -- nearest: properties and dtypes ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "rank, data_format, size",
    [
        (1, "channels_last", (41,)),  # torch's plain 'nearest' mis-indexes this factor
        (2, "channels_last", (3, 2)),
        (2, "channels_first", (1, 4)),
        (3, "channels_last", (2, 3, 1)),
        (3, "channels_first", (47, 1, 2)),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_nearest_then_every_sth_element_is_identity(rank, data_format, size, dtype):
    shape = (2, 3) + (3, 2, 4)[:rank]
    x = (np.random.default_rng(5).standard_normal(shape) * 10).astype(dtype)
    kwargs = {} if rank == 1 else {"data_format": data_format}
    layer = UPSAMPLING[rank](size[0] if rank == 1 else size, **kwargs)
    y = _run(layer, x, data_format)
    assert y.dtype == dtype
    sub = y[(slice(None), slice(None)) + tuple(slice(None, None, s) for s in size)]
    np.testing.assert_array_equal(sub, x)
    np.testing.assert_array_equal(y, np_upsample(x, size, "nearest").astype(dtype))


@pytest.mark.parametrize(
    "interpolation, dtype, layer_dtype, out_dtype",
    [
        ("nearest", np.int32, "float32", torch.int32),  # Keras repeats: integers are kept
        ("nearest", np.float64, "float32", torch.float32),  # floats are autocast
        ("nearest", np.float32, "bfloat16", torch.bfloat16),
        ("area", np.int32, "float32", torch.float32),  # Keras resizes: floats out
        ("area", np.float64, "float64", torch.float64),
    ],
)
def test_repeating_modes_dtypes(interpolation, dtype, layer_dtype, out_dtype):
    x = torch.from_numpy(np.arange(12).reshape(1, 3, 4, 1).astype(dtype))
    y = UpSampling2D(2, interpolation=interpolation, dtype=layer_dtype)(x)
    assert y.dtype == out_dtype
    assert torch.equal(y, x.repeat_interleave(2, 1).repeat_interleave(2, 2).to(y.dtype))


def test_filtering_modes_compute_in_the_layer_dtype():
    x = np.arange(12, dtype=np.int64).reshape(1, 3, 4, 1)
    y = UpSampling2D(2, interpolation="bilinear")(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, to_channels_last(np_upsample(np.moveaxis(x, -1, 1), (2, 2), "bilinear")), rtol=1e-6)
    assert UpSampling2D(2, interpolation="bicubic", dtype="float64")(x.astype(np.float32)).dtype == np.float64


# -- gradients -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "layer",
    [UpSampling1D(3, dtype="float64")]
    + [UpSampling2D((2, 3), interpolation=mode, dtype="float64") for mode in MODES_2D]
    + [UpSampling3D((2, 1, 2), interpolation=mode, data_format="channels_first", dtype="float64") for mode in ("nearest", "trilinear")],
    ids=lambda layer: f"{type(layer).__name__}-{layer.interpolation}",
)
def test_gradcheck(layer):
    shape = (1, 3, 2) if layer.rank == 1 else (1, 3, 2, 2) if layer.rank == 2 else (1, 2, 2, 2, 2)
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(layer, (x,))


# -- arguments and errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, exc, message",
    [
        (0, ValueError, "UpSampling1D 'up': invalid value for argument `size`. Expected a value > 0. Received size=0."),
        (-2, ValueError, "Received size=-2."),
        (2.5, TypeError, "UpSampling1D 'up': the `size` argument must be an integer. Received size=2.5 of type float."),
        ("2", TypeError, "Received size='2' of type str."),
        (True, TypeError, "Received size=True of type bool."),
        ((2,), TypeError, "Received size=(2,) of type tuple."),
    ],
)
def test_upsampling1d_size_must_be_a_positive_int(value, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        UpSampling1D(value, name="up")


@pytest.mark.parametrize(
    "cls, value, message",
    [
        (UpSampling2D, (2, 0), "including values {0} that do not satisfy `value > 0`"),
        (UpSampling2D, (2, 2, 2), "must be an integer or a tuple of 2 integers. Received size=(2, 2, 2) of length 3."),
        (UpSampling3D, -1, "including values {-1} that do not satisfy `value > 0`"),
    ],
)
def test_size_errors(cls, value, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        cls(value)


@pytest.mark.parametrize(
    "cls, value",
    [(UpSampling2D, "cubic"), (UpSampling2D, "trilinear"), (UpSampling2D, None), (UpSampling3D, "bilinear"), (UpSampling1D, "bilinear")],
)
def test_interpolation_is_validated_in_the_constructor(cls, value):
    message = (
        f"{cls.__name__} 'up': invalid value for argument `interpolation`. "
        f"Expected one of {cls.interpolations}. Received interpolation={value!r}."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        cls(interpolation=value, name="up")


def test_interpolation_names_per_rank():
    assert UpSampling1D.interpolations == ("nearest",)
    assert UpSampling2D.interpolations == MODES_2D
    assert UpSampling3D.interpolations == ("nearest", "trilinear")
    assert UpSampling2D(interpolation="BiCubic").interpolation == "bicubic"


def test_upsampling1d_has_no_data_format():
    with pytest.raises(ValueError, match=re.escape("Unrecognized keyword arguments passed to UpSampling1D: ['data_format']")):
        UpSampling1D(2, data_format="channels_last")


@pytest.mark.parametrize(
    "layer, input_shape, output_shape",
    [
        (UpSampling1D(3), (None, None, 2), (None, None, 2)),
        (UpSampling1D(3), (4, 5, None), (4, 15, None)),
        (UpSampling2D((2, 3), data_format="channels_first"), (1, 3, None, 4), (1, 3, None, 12)),
        (UpSampling3D((2, 1, 3)), (None, 2, 3, None, 5), (None, 4, 3, None, 5)),
    ],
)
def test_compute_output_shape_propagates_unknown_sizes(layer, input_shape, output_shape):
    assert layer.compute_output_shape(input_shape) == output_shape


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_input_rank_must_be_exact(rank):
    layer = UPSAMPLING[rank](name="up")
    for shape in [(2,) * (rank + 1), (2,) * (rank + 3)]:
        with pytest.raises(ValueError, match=re.escape(f"UpSampling{rank}D 'up': expected an input of rank {rank + 2} ")):
            layer(np.zeros(shape, "float32"))


# -- protocol ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "layer, expected",
    [
        (UpSampling1D(3, name="u"), {"size": 3}),
        (UpSampling2D(name="u"), {"size": (2, 2), "data_format": "channels_last", "interpolation": "nearest"}),
        (
            UpSampling2D((1, 3), data_format="channels_first", interpolation="LANCZOS5", name="u"),
            {"size": (1, 3), "data_format": "channels_first", "interpolation": "lanczos5"},
        ),
        (UpSampling3D(name="u"), {"size": (2, 2, 2), "data_format": "channels_last"}),
        (UpSampling3D(3, interpolation="trilinear", name="u"), {"size": (3, 3, 3), "data_format": "channels_last", "interpolation": "trilinear"}),
    ],
)
def test_config_has_keras_keys_and_round_trips(layer, expected):
    config = layer.get_config()
    assert list(config) == ["name", "trainable", "dtype", *expected]
    assert {k: config[k] for k in expected} == expected
    rebuilt = type(layer).from_config(json.loads(json.dumps(config)))
    assert rebuilt.get_config() == config


def test_weightless_protocol():
    layer = UpSampling2D(interpolation="bicubic")
    layer.build((1, 3, 3, 2))
    layer.set_weights([])
    assert layer.get_weights() == [] and layer.count_params() == 0 and list(layer.parameters()) == []


def test_upsampled_sizes_sweep_against_np_repeat():
    for n, factor in itertools.product(range(0, 6), range(1, 5)):
        assert upsampled_sizes((n, None), (factor, 3)) == (np.repeat(np.zeros(n), factor).shape[0], None)


@pytest.mark.parametrize(
    "cls, config",
    [  # as saved by Keras 3.15.1 in ../shared/fixtures/keras-files (dtype left out)
        (UpSampling1D, {"name": "k4", "trainable": True, "size": 2}),
        (UpSampling2D, {"name": "up_g", "trainable": True, "size": [2, 1], "data_format": "channels_last", "interpolation": "bilinear"}),
        (UpSampling3D, {"name": "v6", "trainable": True, "size": [1, 2, 1], "data_format": "channels_last"}),
    ],
)
def test_keras_saved_config_is_reproduced(cls, config):
    saved = {k: v for k, v in json.loads(json.dumps(cls.from_config(config).get_config())).items() if k != "dtype"}
    assert saved == config
