"""Geometry: tables of known values, and exhaustive sweeps against independent formulas."""

import itertools

import pytest

from convlayers.geometry import (
    Causal,
    Same,
    WindowGeometry,
    conv_output_size,
    conv_transpose_crop,
    conv_transpose_output_size,
    normalize_data_format,
    normalize_padding,
    normalize_pads,
    normalize_tuple,
    reads_only_padding,
    same_pads,
)
from reference import same_pads as keras_test_same_pads


@pytest.mark.parametrize(
    "size, k, s, d, expected",
    [
        (224, 7, 2, 1, (2, 3)),  # keras.md 2.2 examples
        (225, 7, 2, 1, (3, 3)),
        (10, 2, 1, 1, (0, 1)),
        (10, 1, 2, 1, (0, 0)),
        (5, 3, 1, 2, (2, 2)),
        (7, 4, 1, 2, (3, 3)),
        (7, 4, 1, 1, (1, 2)),
        (1, 5, 3, 1, (2, 2)),
        (6, 3, 3, 1, (0, 0)),
    ],
)
def test_same_pads_table(size, k, s, d, expected):
    assert same_pads(size, k, s, d) == expected


def test_same_pads_sweep_matches_keras_test_formula():
    for size, k, s, d in itertools.product(range(1, 30), range(1, 8), range(1, 5), range(1, 4)):
        assert same_pads(size, k, s, d) == keras_test_same_pads(size, k, s, d), (size, k, s, d)


def _brute_force_outputs(size, k, s, d, pads):
    """Count window positions over an explicitly padded index line."""
    padded = pads[0] + size + pads[1]
    span = (k - 1) * d + 1
    return sum(1 for start in range(0, padded, s) if start + span <= padded)


def test_conv_output_size_sweep_against_brute_force():
    for size, k, s, d, b, e in itertools.product(range(1, 14), range(1, 5), range(1, 4), range(1, 3), range(3), range(3)):
        expected = _brute_force_outputs(size, k, s, d, (b, e))
        got = conv_output_size(size, k, s, d, (b, e))
        assert max(got, 0) == expected, (size, k, s, d, b, e)


@pytest.mark.parametrize("mode", ["valid", "same", "causal", "full"])
def test_window_geometry_sizes_agree_with_resolved_pads(mode):
    for size, k, s, d in itertools.product(range(1, 16), range(1, 5), range(1, 4), range(1, 3)):
        g = WindowGeometry((k,), (s,), (d,), normalize_padding(mode, 1, "Conv1D"))
        (pads,) = g.pads((size,))
        (out,) = g.output_sizes((size,))
        assert out == conv_output_size(size, k, s, d, pads)
        if mode in ("same", "causal"):
            assert out == -(-size // s)


def test_keras_modes_resolve_to_pads():
    pads = lambda mode, *args: normalize_padding(mode, len(args[0]), "Conv").pads(*args)
    assert pads("valid", (5, 5), (3, 3), (1, 1), (1, 1)) == ((0, 0), (0, 0))
    assert pads("causal", (5, 9), (3, 2), (1, 2), (2, 3)) == ((4, 0), (3, 0))
    assert pads("full", (5,), (3,), (1,), (2,)) == ((4, 4),)
    assert pads("same", (None,), (4,), (1,), (1,)) == ((1, 2),)
    assert pads("same", (None,), (4,), (2,), (1,)) == (None,)
    assert pads(((1, 2), (0, 3)), (5, 5), (3, 3), (1, 1), (1, 1)) == ((1, 2), (0, 3))


def test_unknown_sizes_propagate():
    g = WindowGeometry((3, 3), (2, 1), (1, 1), normalize_padding("same", 2, "Conv2D"))
    assert g.output_sizes((None, None)) == (None, None)
    assert WindowGeometry((3,), (1,), (1,), normalize_padding("valid", 1, "Conv1D")).output_sizes((None,)) == (None,)
    assert conv_transpose_output_size(None, 3, 2, 1, "same", None) is None


@pytest.mark.parametrize(
    "value, rank, expected",
    [
        (1, 2, ((1, 1), (1, 1))),
        ((1, 2), 2, ((1, 1), (2, 2))),
        (((1, 2), 3), 2, ((1, 2), (3, 3))),
        ([[0, 1], [2, 3], [4, 5]], 3, ((0, 1), (2, 3), (4, 5))),
        ((0, 2), 1, ((0, 2),)),
        ((3,), 1, ((3, 3),)),
        (((1, 2),), 1, ((1, 2),)),
    ],
)
def test_normalize_pads_forms(value, rank, expected):
    assert normalize_pads(value, rank, "padding", "Conv") == expected


@pytest.mark.parametrize(
    "value, rank, message",
    [
        (-1, 2, r"Conv: the `padding` argument must be an int, 2 ints, or 2 \(begin, end\) pairs .* Received padding=-1"),
        ((1, 2, 3), 2, r"Received padding=\(1, 2, 3\)"),
        (((1, 2, 3), 1), 2, r"Received padding=\(\(1, 2, 3\), 1\)"),
        ((1.5, 1), 2, r"Received padding=\(1.5, 1\)"),
    ],
)
def test_normalize_pads_errors(value, rank, message):
    with pytest.raises(ValueError, match=message):
        normalize_pads(value, rank, "padding", "Conv")


def test_normalize_padding_modes_and_errors():
    assert normalize_padding("Same", 2, "Conv2D") == Same()
    assert normalize_padding("CAUSAL", 3, "Conv3D") == Causal()
    with pytest.raises(ValueError, match=r"Conv2D: the `padding` argument must be one of .*Received: padding='reflect'"):
        normalize_padding("reflect", 2, "Conv2D")
    with pytest.raises(TypeError, match=r"Received padding=1.5"):
        normalize_padding(1.5, 2, "Conv2D")
    with pytest.raises(ValueError, match="one of \\('valid', 'same'\\)"):
        normalize_padding("causal", 2, "Conv2DTranspose", modes=("valid", "same"))


def test_normalize_tuple():
    assert normalize_tuple(3, 3, "kernel_size", "Conv3D") == (3, 3, 3)
    assert normalize_tuple([2, 1], 2, "strides", "Conv2D") == (2, 1)
    assert normalize_tuple((0, 1), 2, "output_padding", "X", allow_zero=True) == (0, 1)
    with pytest.raises(
        ValueError,
        match=r"Conv2D: the `kernel_size` argument must be an integer or a tuple of 2 integers. "
        r"Received kernel_size=\(3, 0\), including values \{0\} that do not satisfy `value > 0`",
    ):
        normalize_tuple((3, 0), 2, "kernel_size", "Conv2D")
    with pytest.raises(ValueError, match=r"Received strides=\(1, 2, 3\) of length 3"):
        normalize_tuple((1, 2, 3), 2, "strides", "Conv2D")
    with pytest.raises(TypeError, match=r"Received kernel_size=3.0"):
        normalize_tuple(3.0, 2, "kernel_size", "Conv2D")
    with pytest.raises(TypeError, match=r"Received kernel_size=True"):
        normalize_tuple(True, 2, "kernel_size", "Conv2D")


def test_normalize_data_format():
    assert normalize_data_format(None, "X") == "channels_last"
    assert normalize_data_format("Channels_First", "X") == "channels_first"
    with pytest.raises(ValueError, match=r"X: the `data_format` argument must be one of .*Received: data_format='nchw'"):
        normalize_data_format("nchw", "X")


@pytest.mark.parametrize(
    "size, k, s, d, padding, op, expected_size, expected_crop",
    [
        # keras.md 2.5 and the Keras test suite's shapes
        (8, 2, 2, 1, "valid", None, 16, 0),
        (8, 2, 3, 1, "same", 2, 23, 0),
        (14, 7, 16, 1, "valid", None, 224, 0),
        (3, 3, 2, 1, "valid", 1, 8, 0),
        (3, 1, 3, 1, "same", None, 9, 0),
        (2, 4, 2, 1, "same", 0, 2, 2),
        (5, 5, 1, 1, "same", None, 5, 2),
    ],
)
def test_conv_transpose_table(size, k, s, d, padding, op, expected_size, expected_crop):
    assert conv_transpose_output_size(size, k, s, d, padding, op) == expected_size
    assert conv_transpose_crop(k, s, d, padding, op) == expected_crop


def test_conv_transpose_same_inverts_forward_same():
    """A 'same' transposed conv without output_padding gives size*stride, which 'same' conv maps back."""
    for size, k, s, d in itertools.product(range(1, 12), range(1, 6), range(1, 4), range(1, 3)):
        out = conv_transpose_output_size(size, k, s, d, "same", None)
        assert out == size * s
        assert -(-out // s) == size


def test_reads_only_padding_against_brute_force():
    """Every output window and every kernel tap, enumerated: does any meet only padding?"""
    for size, k, s, d, begin, end in itertools.product(range(1, 6), range(1, 5), range(1, 4), range(1, 4), range(4), range(4)):
        outputs = (size + begin + end - (k - 1) * d - 1) // s + 1
        if outputs <= 0:
            continue
        meets = [[0 <= o * s - begin + t * d < size for t in range(k)] for o in range(outputs)]
        expected = not all(any(row) for row in meets) or not all(any(column) for column in zip(*meets))
        assert reads_only_padding(size, k, s, d, (begin, end)) == expected, (size, k, s, d, begin, end)
