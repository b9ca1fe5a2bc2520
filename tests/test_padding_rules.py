"""Padding rules: every framework's padding as an object, against tables, brute force and values.

Oracles: the TF / Theano table and worked values of ../shared/reference/wolfram-and-keras1.md
(B2.2), DL4J's ConvolutionMode definitions (dl4j.md), and window positions enumerated here.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from convlayers import (
    AveragePooling1D,
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    DepthwiseConv2D,
    Input,
    MaxPooling1D,
    MaxPooling2D,
    SeparableConv1D,
    Sequential,
)
from convlayers.geometry import (
    Causal,
    Ceil,
    Explicit,
    Full,
    Same,
    SameAtEnd,
    SameLower,
    Strict,
    Truncate,
    Valid,
    conv_output_size,
    normalize_padding,
    serialize_padding,
)
from convlayers.io import load_model, save_model
from convlayers.layers import deserialize_layer, serialize_layer
from reference import conv as np_conv


# (n, k, s, d) -> TF (out, begin, end) and Theano (out, begin, effective end): the reference's table.
THEANO_VS_TF = [
    ((5, 3, 1, 1), (5, 1, 1), (5, 1, 1)),
    ((5, 2, 1, 1), (5, 0, 1), (5, 1, 0)),
    ((6, 4, 1, 1), (6, 1, 2), (6, 2, 1)),
    ((4, 3, 2, 1), (2, 0, 1), (2, 1, 0)),
    ((5, 3, 2, 1), (3, 1, 1), (3, 1, 1)),
    ((6, 3, 2, 1), (3, 0, 1), (3, 1, 0)),
    ((7, 2, 2, 1), (4, 0, 1), (4, 1, 0)),
    ((8, 4, 2, 1), (4, 1, 1), (4, 2, 0)),
    ((10, 5, 3, 1), (4, 2, 2), (4, 2, 2)),
    ((7, 3, 1, 2), (7, 2, 2), (7, 2, 2)),
    ((9, 2, 1, 2), (9, 1, 1), (9, 1, 1)),
]


@pytest.mark.parametrize("dims, tf, theano", THEANO_VS_TF)
def test_same_at_the_end_is_tf_and_at_the_beginning_is_theano(dims, tf, theano):
    n, k, s, d = dims
    for rule, (out, begin, end) in ((Same(), tf), (Same(extra_at="begin"), theano)):
        assert rule.pads((n,), (k,), (s,), (d,)) == ((begin, end),), rule
        assert rule.output_sizes((n,), (k,), (s,), (d,)) == (out,), rule


def test_theano_same_places_windows_centred_on_every_stride_step():
    """Brute force: Theano's windows start at ``i * stride - span // 2`` for ``i < ceil(n / stride)``."""
    rule = Same(extra_at="begin")
    for n, k, s, d in itertools.product(range(1, 14), range(1, 6), range(1, 5), range(1, 3)):
        span = (k - 1) * d + 1
        starts = [i * s - span // 2 for i in range(-(-n // s))]
        ((begin, end),) = rule.pads((n,), (k,), (s,), (d,))
        assert begin == span // 2 and rule.output_sizes((n,), (k,), (s,), (d,)) == (len(starts),)
        assert end == max(0, starts[-1] + span - n), (n, k, s, d)  # just what the last window needs


def test_same_upper_and_lower_are_onnx_auto_pad():
    """Sweep against ONNX's auto_pad definition (Operators.md, Conv): the total pad of
    ``(ceil(n / s) - 1) * s + ((k - 1) * d + 1) - n`` (onnxruntime clamps it at 0), split
    ``total // 2`` first for SAME_UPPER and ``total - total // 2`` first for SAME_LOWER."""
    for n, k, s, d in itertools.product(range(1, 14), range(1, 7), range(1, 5), range(1, 4)):
        total = max(0, (-(-n // s) - 1) * s + ((k - 1) * d + 1) - n)
        upper, lower = (total // 2, total - total // 2), (total - total // 2, total // 2)
        assert Same().pads((n,), (k,), (s,), (d,)) == (upper,), (n, k, s, d)
        assert SameLower().pads((n,), (k,), (s,), (d,)) == (lower,), (n, k, s, d)
        assert SameLower().output_sizes((n,), (k,), (s,), (d,)) == (-(-n // s),)
        if s == 1:  # Theano's centred windows agree with SAME_LOWER only at stride 1
            assert Same(extra_at="begin").pads((n,), (k,), (s,), (d,)) == (lower,)
    assert Same(extra_at="begin").pair(0, 8, 4, 2, 1) != SameLower().pair(0, 8, 4, 2, 1)
    assert SameLower().pads((None,), (3,), (2,), (1,)) == (None,)


def test_ceil_is_torch_ceil_mode():
    """Sizes against torch's own ``ceil_mode`` pooling (an independent implementation; symmetric pads only), values by pooling."""
    import torch

    for n, k, s, p, d in itertools.product(range(1, 10), range(1, 5), range(1, 5), range(3), range(1, 3)):
        if p > k // 2 or n + 2 * p < (k - 1) * d + 1:  # torch's limits
            continue
        expected = torch.nn.functional.max_pool1d(torch.zeros(1, 1, n), k, s, padding=p, dilation=d, ceil_mode=True)
        assert Ceil(p).for_rank(1, "MaxPooling1D").output_sizes((n,), (k,), (s,), (d,)) == (expected.shape[-1],), (n, k, s, p, d)
    x = np.arange(1.0, 7.0, dtype=np.float32).reshape(1, 6, 1)
    assert MaxPooling1D(2, strides=3, padding=Ceil(0))(x).ravel().tolist() == [2, 5]  # no window from 6 on
    assert MaxPooling1D(2, strides=2, padding=Ceil(0))(x[:, :5]).ravel().tolist() == [2, 4, 5]
    assert AveragePooling1D(3, strides=2, padding=Ceil(((1, 1),)))(x).ravel().tolist() == [1.5, 3, 5, 6]
    assert Ceil(0).for_rank(1, "MaxPooling1D").pads((None,), (2,), (2,), (1,)) == (None,)


def test_same_lower_pads_a_layer_exactly():
    x = np.arange(1.0, 6.0, dtype=np.float32).reshape(1, 5, 1)
    layer = Conv1D(1, 2, padding=SameLower(), use_bias=False)
    layer.build(x.shape)
    layer.set_weights([np.array([[[1.0]], [[0.0]]], np.float32)])  # picks each window's first element
    assert layer(x).ravel().tolist() == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("extra_at, expected", [("end", [1, 2, 3]), ("begin", [0, 1, 2])])
def test_even_kernel_same_values(extra_at, expected):
    """The issue's example: a kernel ``[1, 0]`` on ``[1, 2, 3]``."""
    layer = Conv1D(1, 2, padding=Same(extra_at=extra_at), use_bias=False)
    layer.build((1, 3, 1))
    layer.set_weights([np.array([1.0, 0.0], np.float32).reshape(2, 1, 1)])
    assert layer(np.array([1, 2, 3], np.float32).reshape(1, 3, 1)).ravel().tolist() == expected


@pytest.mark.parametrize(
    "x, stored, strides, theano, tf",
    [
        ([1, 2, 3, 4, 5], [1, 2], 1, [1, 4, 7, 10, 13], [5, 8, 11, 14, 5]),
        ([1, 2, 3, 4], [1, 10, 100], 2, [12, 234], [321, 43]),
    ],
)
def test_reference_worked_values(x, stored, strides, theano, tf):
    """The reference's values: Theano convolves (the stored kernel flipped) with its own 'same' placement."""
    for rule, kernel, expected in ((Same(extra_at="begin"), stored[::-1], theano), (Same(), stored, tf)):
        layer = Conv1D(1, len(kernel), strides=strides, padding=rule, use_bias=False)
        layer.build((1, len(x), 1))
        layer.set_weights([np.array(kernel, np.float32).reshape(-1, 1, 1)])
        assert layer(np.array(x, np.float32).reshape(1, -1, 1)).ravel().tolist() == expected


@pytest.mark.parametrize(
    "rule, n, k, s, d, pads, out",
    [
        (Valid(), 7, 3, 2, 1, (0, 0), 3),
        (Causal(), 7, 3, 2, 2, (4, 0), 4),
        (Full(), 5, 3, 1, 2, (4, 4), 9),
        (Explicit(((2, 1),)), 6, 3, 2, 1, (2, 1), 4),
        (Strict(1), 7, 3, 2, 1, (1, 1), 4),
        (Truncate(1), 8, 3, 2, 1, (1, 1), 4),  # (8 + 2 - 3) / 2 + 1 = 4.5, floored
        (Truncate(0), 6, 3, 2, 1, (0, 0), 2),
    ],
)
def test_rule_table(rule, n, k, s, d, pads, out):
    rule = rule.for_rank(1, "Conv1D")
    assert rule.pads((n,), (k,), (s,), (d,)) == (pads,)
    assert rule.output_sizes((n,), (k,), (s,), (d,)) == (out,)


def test_strict_refuses_fractional_sizes_naming_the_layer_dim_and_size():
    layer = Conv2D(1, 3, strides=(1, 2), padding=Strict((1, 0)))
    assert layer(np.zeros((1, 5, 7, 1), np.float32)).shape == (1, 5, 3, 1)
    with pytest.raises(ValueError, match=r"Conv2D .*spatial dim 2 .*\(6 \+ 2\*0 - 3\) / 2 \+ 1 = 2.5 is not a whole number"):
        layer(np.zeros((1, 5, 6, 1), np.float32))
    with pytest.raises(ValueError, match="Conv2D.*spatial dim 2"):
        layer.compute_output_shape((None, 5, 6, 1))
    assert layer.compute_output_shape((None, None, None, 1)) == (None, None, None, 1)


@pytest.mark.parametrize("rule", [Strict(1), Truncate(1), Explicit(1)])
def test_symmetric_rules_compute_what_explicit_pads_do(rule):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 9, 3)).astype(np.float32)
    layer = Conv1D(2, 3, strides=2, padding=rule)
    y = layer(x)
    kernel, bias = layer.get_weights()
    expected = np_conv(x.transpose(0, 2, 1), kernel, bias, pads=((1, 1),), strides=(2,), dilation=(1,), groups=1)
    np.testing.assert_allclose(y, expected.transpose(0, 2, 1), rtol=1e-5, atol=1e-5)


def test_keras_strings_map_to_rules_and_back():
    for text, rule in (("valid", Valid()), ("same", Same()), ("causal", Causal()), ("full", Full())):
        assert normalize_padding(text.upper(), 1, "Conv1D") == rule
        layer = Conv1D(1, 3, padding=text)
        assert layer.padding == text and layer.geometry.padding == rule and layer.get_config()["padding"] == text
    layer = Conv2D(1, 3, padding=((1, 0), 2))
    assert layer.padding == ((1, 0), (2, 2)) and layer.get_config()["padding"] == [[1, 0], [2, 2]]


@pytest.mark.parametrize(
    "make",
    [
        lambda p: Conv2D(2, 3, strides=2, padding=p),
        lambda p: DepthwiseConv2D(3, strides=2, padding=p),
        lambda p: MaxPooling2D(2, padding=p),
    ],
)
@pytest.mark.parametrize("rule", [Same(extra_at="begin"), SameLower(), Ceil(((1, 0), 0)), Strict((1, 0)), Truncate(1)])
def test_rules_without_keras_names_round_trip_through_configs(make, rule):
    layer = make(rule)
    assert layer.padding == layer.geometry.padding and type(layer.padding) is type(rule)
    config = serialize_layer(layer)
    assert config["config"]["padding"]["class_name"] == type(rule).__name__
    restored = deserialize_layer(config)
    assert restored.geometry.padding == layer.geometry.padding


def test_a_model_with_a_theano_same_layer_saves_and_loads(tmp_path):
    model = Sequential([Input((9, 2)), SeparableConv1D(3, 4, strides=2, padding=Same(extra_at="begin"))])
    x = np.random.default_rng(1).standard_normal((2, 9, 2)).astype(np.float32)
    save_model(model, tmp_path / "m.safetensors")
    loaded = load_model(tmp_path / "m.safetensors")
    assert loaded.layers[-1].geometry.padding == Same(extra_at="begin")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_pooling_with_theano_same_and_its_bounds():
    x = np.array([1, 5, 2, 4, 3], np.float32).reshape(1, 5, 1)
    # windows of 2 at stride 2 start at -1, 1, 3: [pad, 1], [5, 2], [4, 3]
    assert MaxPooling1D(2, padding=Same(extra_at="begin"))(x).ravel().tolist() == [1, 5, 4]
    assert AveragePooling1D(2, padding=Same(extra_at="begin"))(x).ravel().tolist() == [1, 3.5, 3.5]
    with pytest.raises(ValueError, match="MaxPooling1D.*smaller than the window.s span"):
        MaxPooling1D(2, padding=Strict(2))


def test_transposed_convolutions_take_only_their_own_padding():
    assert Conv2DTranspose(1, 3, padding=Same()).padding == "same"
    assert Conv2DTranspose(1, 3, padding=Explicit(1)).padding == ((1, 1), (1, 1))
    for rule in (Same(extra_at="begin"), Strict(0), Truncate(0), Causal()):
        with pytest.raises(ValueError, match=r"Conv2DTranspose .*`padding` argument must be one of \('valid', 'same'\)"):
            Conv2DTranspose(1, 3, padding=rule)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: Same(extra_at="middle"), r"Same: `extra_at` must be 'end' \(TF\) or 'begin' \(Theano\)"),
        (lambda: Conv2D(1, 3, padding=Strict(-1)), r"Conv2D .*Strict padding takes a non-negative int or 2 of them"),
        (lambda: Conv2D(1, 3, padding=Truncate((1, 2, 3))), r"Conv2D .*Truncate padding.*Received padding=\(1, 2, 3\)"),
        (lambda: Conv2D(1, 3, padding=Explicit((1, 2, 3))), r"Conv2D .*`padding` argument must be"),
        (lambda: Conv2D(1, 3, padding={"class_name": "Strict", "config": {"width": 1}}), r"Conv2D .*invalid `padding`"),
    ],
)
def test_invalid_rules_are_refused_clearly(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize(
    "size, kernel, stride, pads",
    # reference dl4j.md 1.3's worked Same splits: a tail of one unread element is accepted, two refused
    [(3, 3, 2, (1, 1)), (4, 3, 2, (0, 1)), (5, 3, 2, (1, 1)), (6, 2, 1, (0, 1)), (16, 2, 2, (0, 0)),
     (16, 3, 2, (0, 1)), (16, 3, 3, (1, 1)), (6, 2, 3, (0, 0)), (7, 1, 4, None)],
)
def test_same_max_unread_is_dl4j_same(size, kernel, stride, pads):
    rule = Same(max_unread=1)
    if pads is None:
        with pytest.raises(ValueError, match="leave the input's last 2 elements unread; at most 1 may be"):
            rule.output_sizes((size,), (kernel,), (stride,), (1,))
        with pytest.raises(ValueError, match="unread"):
            rule.pair(0, size, kernel, stride, 1)
        assert Same().output_sizes((size,), (kernel,), (stride,), (1,)) == (2,)  # Keras's Same has no such limit
    else:
        assert rule.pair(0, size, kernel, stride, 1) == pads == Same().pair(0, size, kernel, stride, 1)
        assert rule.output_sizes((size,), (kernel,), (stride,), (1,)) == (-(-size // stride),)


def test_same_max_unread_is_not_keras_same():
    assert Same(max_unread=1).keras is None and repr(Same(max_unread=1)) == "Same(extra_at='end', max_unread=1)"
    assert serialize_padding(Same(max_unread=1)) == {"class_name": "Same", "config": {"extra_at": "end", "max_unread": 1}}
    assert normalize_padding(serialize_padding(Same(max_unread=1)), 1, "Conv1D") == Same(max_unread=1)
    with pytest.raises(ValueError, match="max_unread"):
        Same(max_unread=-1)


def test_same_at_end_windows_start_inside_and_end_pad_only():
    """DL4J's Causal pooling rule: ceil(n/s) windows at i*s, each starting in the input, all padding at the end."""
    for n, k, s, d in itertools.product(range(1, 10), range(1, 4), range(1, 4), range(1, 3)):
        (begin, end), = SameAtEnd().pads((n,), (k,), (s,), (d,))
        out = -(-n // s)
        span = (k - 1) * d + 1
        assert begin == 0 and 0 <= end < span and (out - 1) * s < n
        assert SameAtEnd().output_sizes((n,), (k,), (s,), (d,)) == (out,) == (conv_output_size(n, k, s, d, (0, end)),)
    assert SameAtEnd().pads((None,), (3,), (1,), (2,)) == ((0, 4),) and SameAtEnd().pads((None,), (3,), (2,), (1,)) == (None,)
    layer = MaxPooling1D(3, strides=2, padding=SameAtEnd())
    assert deserialize_layer(serialize_layer(layer)).spec == layer.spec
