"""Property-based differential tests: every layer family, rank, data format and padding form against tests/reference.py.

Configurations come from one generator (strategies.layer_cases); values come
from the NumPy references in float64; shapes from independent formulas. The
hypothesis profile is set in conftest.py: ``ci`` (fixed, derandomized: what
``make test`` runs) or ``fuzz`` (``make fuzz``: seeded rounds against a time
budget).

Tolerances: the float32 layer is compared with float64 numbers, so each
element is allowed ``ULPS`` float32 epsilons of its *magnitude*, the same sum
taken over absolute values (for a convolution: the reference run on ``|x|``,
``|kernel|`` and ``|bias|``). Cancellation cannot hide a wrong term that way,
and a tolerance never grows with an unrelated large element elsewhere.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import reference as ref
from strategies import (
    CONVOLUTIONS,
    FUSABLE_ACTIVATIONS,
    GLOBAL_POOLINGS,
    MAX_REDUCTIONS,
    POOLINGS,
    Case,
    expected_output_shape,
    expected_weight_shapes,
    has_output,
    invalid_argument_cases,
    layer_cases,
    window_pads,
)

EPS32 = float(np.finfo(np.float32).eps)
#: float32 epsilons of the magnitude allowed per element: sums here have at most ~200 terms, and oneDNN
#: blocks them; a wrong tap, a shifted window or garbage is off by O(magnitude), not O(eps).
ULPS = 64


def examples(weight: float) -> settings:
    """``weight`` times the profile's example count (conftest.py): cheap properties get more examples than dear ones."""
    return settings(max_examples=max(1, round(weight * settings.default.max_examples)))


# -- the reference side ------------------------------------------------------------------------


def to_reference_layout(case: Case, x: np.ndarray) -> np.ndarray:
    """``x`` (the layer's layout, any leading batch dims) as float64 ``(N, C, *spatial)``."""
    x = x.reshape((-1,) + x.shape[x.ndim - case.rank - 1 :]).astype(np.float64)
    return np.moveaxis(x, -1, 1) if case.channels_last else x


def to_layer_layout(case: Case, y: np.ndarray) -> np.ndarray:
    """The inverse of :func:`to_reference_layout` for a reference output."""
    lead, _, _ = case.split_input_shape()
    if case.channels_last:
        y = np.moveaxis(y, 1, -1)
    if case.family in GLOBAL_POOLINGS and not case.spec["keepdims"]:
        y = y.reshape(y.shape[0], -1)
    if len(lead) > 1:
        y = y.reshape(lead + y.shape[1:])
    return y


def reference_output(case: Case, x: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    """The pre-activation output of the NumPy reference for channels-first ``x`` and Keras-layout ``weights``."""
    s, family = case.spec, case.family
    spatial = x.shape[2:]
    if family in CONVOLUTIONS:
        weights = list(weights)
        bias = weights.pop() if s["use_bias"] else None
        window = dict(strides=s["strides"], dilation=s["dilation"])
        if family == "transpose":
            windows = ref.transpose_windows(spatial, s["kernel"], s["strides"], s["dilation"], s["padding"], s["output_padding"])
            return ref.conv_transpose(x, weights[0], bias, groups=s["groups"], windows=windows, **window)
        pads = window_pads(case, spatial)
        if family == "conv":
            return ref.conv(x, weights[0], bias, pads=pads, groups=s["groups"], **window)
        if family == "depthwise":
            return ref.depthwise_conv(x, weights[0], bias, pads=pads, **window)
        return ref.separable_conv(x, *weights, bias, pads=pads, **window)
    if family in POOLINGS:
        kind = "max" if family == "max_pooling" else "average"
        return ref.pool(x, kind, pool_size=s["kernel"], strides=s["strides"], pads=window_pads(case, spatial))
    if family in GLOBAL_POOLINGS:
        return ref.global_pool(x, "max" if family == "global_max_pooling" else "average")
    if family == "cropping":
        return ref.crop(x.astype(np.float64), s["pairs"])
    if family == "zero_padding":
        return ref.pad(x.astype(np.float64), s["pairs"])
    if family == "upsampling":
        return ref.upsample(x, s["factors"], s["interpolation"])
    if family == "space_to_depth":
        return ref.space_to_depth(x.astype(np.float64), s["block"])
    return ref.space_to_batch(x.astype(np.float64), s["block"], s["pairs"])


def reference_magnitude(case: Case, x: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    """Per output element, the sum the reference takes with every term's absolute value (channels first).

    Every family sums nonnegative coefficients times inputs except upsampling,
    whose filters (cubic, Lanczos) have negative lobes: there twice the largest
    input bounds any output.
    """
    if case.family == "upsampling":
        return np.full_like(reference_output(case, x, weights), 2 * np.abs(x).max())
    return reference_output(case, np.abs(x), [np.abs(w) for w in weights])


def activation_name(case: Case) -> str | None:
    return case.spec.get("activation")


def arrays(case: Case) -> tuple[np.ndarray, list[np.ndarray], np.random.Generator]:
    """The case's float32 input and Keras-layout weights (standard normal), and the generator for anything more."""
    rng = np.random.default_rng(case.seed)
    x = rng.standard_normal(case.input_shape).astype(np.float32)
    weights = [rng.standard_normal(shape).astype(np.float32) for shape in expected_weight_shapes(case)]
    return x, weights, rng


def expected_values(case: Case, x: np.ndarray, weights: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(output, pre-activation output, magnitude of the pre-activation)`` in the layer's layout, float64."""
    x_cf = to_reference_layout(case, x)
    pre = to_layer_layout(case, reference_output(case, x_cf, weights))
    magnitude = to_layer_layout(case, reference_magnitude(case, x_cf, weights))
    return ref.activation(activation_name(case), pre), pre, magnitude


def value_tolerance(case: Case, expected: np.ndarray, magnitude: np.ndarray, epsilons: float = ULPS * EPS32) -> np.ndarray:
    """Per element: ``epsilons`` of the pre-activation's magnitude carried through the activation.

    Every activation drawn is 1.2-Lipschitz at most (gelu's slope peaks at
    1.13); a softmax output moves by at most twice the largest change along its axis.
    """
    if activation_name(case) == "softmax":
        magnitude = 2 * magnitude.max(axis=-1, keepdims=True)
    return epsilons * (1.2 * magnitude + np.abs(expected))


def assert_close(what: str, got: np.ndarray, expected: np.ndarray, tolerance: np.ndarray, case: Case) -> None:
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, expected {expected.shape} for {case}"
    error = np.abs(got.astype(np.float64) - expected)
    bad = ~(error <= tolerance)  # NaN counts as bad
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {bad.size} elements differ from the float64 reference, e.g. at {index}: "
            f"got {got[index]!r}, expected {expected[index]!r} (tolerance {tolerance[index]:.3g}); "
            f"largest error {np.nanmax(error):.3g}, for {case}"
        )


# -- the layer side ----------------------------------------------------------------------------


def built_layer(case: Case, weights: list[np.ndarray], *, dtype: str = "float32", linear: bool = False):
    """The case's layer in ``dtype``, built for the case's input and holding ``weights`` (``linear``: no activation)."""
    overrides: dict = {"dtype": dtype}
    if linear and case.family in CONVOLUTIONS:
        overrides["activation"] = None
    layer = case.layer(**overrides)
    layer.build(case.input_shape)
    layer.set_weights(weights)
    return layer


def vjp(layer, x: np.ndarray, upstream: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """``layer(x)``, and the gradients of ``sum(layer(x) * upstream)`` for the input and every weight (storage layout)."""
    x = torch.tensor(x, dtype=layer.dtype, requires_grad=True)
    weights = list(layer.weights)
    y = layer(x)
    gradients = torch.autograd.grad(y, [x] + weights, torch.as_tensor(upstream, dtype=layer.dtype), allow_unused=True)
    return y.detach().numpy(), [np.zeros(tuple(t.shape)) if g is None else g.double().numpy() for g, t in zip(gradients, [x] + weights)]


def assert_refused(case: Case, x: np.ndarray) -> None:
    """An input the layer cannot process: a ``ValueError`` naming the layer from every entry point, no raw torch error."""
    name = case.layer_class.__name__
    attempts = {
        "compute_output_shape": lambda: case.layer().compute_output_shape(case.input_shape),
        "build": lambda: case.layer().build(case.input_shape),
        "call": lambda: case.layer()(x),
    }
    for entry, attempt in attempts.items():
        with pytest.raises(ValueError) as error:
            attempt()
        assert name in str(error.value), f"{entry} raised a ValueError that does not name {name}: {error.value} ({case})"


# -- properties --------------------------------------------------------------------------------


def check_values(case: Case) -> None:
    """Shape, and values in inference (NumPy in, NumPy out) and with autograd on, against the reference."""
    x, weights, _ = arrays(case)
    shape = expected_output_shape(case)
    if shape is None:
        assert_refused(case, x)
        return
    layer = case.layer()
    assert layer.compute_output_shape(case.input_shape) == shape, case
    assert layer.compute_output_shape((None,) + case.input_shape[1:]) == (None,) + shape[1:], f"unknown batch, {case}"
    layer.build(case.input_shape)
    assert [w.shape for w in layer.get_weights()] == [w.shape for w in weights], case
    layer.set_weights(weights)
    expected, _, magnitude = expected_values(case, x, weights)
    tolerance = value_tolerance(case, expected, magnitude)
    y = layer(x)
    assert_close("inference output", y, expected, tolerance, case)
    assert_close("training output", layer(torch.tensor(x, requires_grad=True)).detach().numpy(), expected, tolerance, case)
    # The same layer again from its JSON config, with its weights: the same numbers, bit for bit.
    clone = type(layer).from_config(json.loads(json.dumps(layer.get_config())))
    clone.build(case.input_shape)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(x), y, err_msg=f"from_config(get_config()) computes otherwise, for {case}")


def check_gradients(case: Case) -> None:
    """Input and weight gradients: float32 against the float64 layer, and the float64 layer against the reference.

    Both layers get the same weights, input and upstream gradient ``g``.
    Outputs whose pre-activation sits within float32 error of a kink of the
    activation get no upstream gradient: there either side's derivative is right.
    """
    x, weights, rng = arrays(case)
    expected, pre, magnitude = expected_values(case, x, weights)
    g = rng.standard_normal(expected.shape)
    for kink in ref.ACTIVATION_KINKS.get(activation_name(case), ()):
        g = np.where(np.abs(pre - kink) <= ULPS * EPS32 * magnitude, 0.0, g)

    _, grads32 = vjp(built_layer(case, weights), x, g.astype(np.float32))
    y64, grads64 = vjp(built_layer(case, weights, dtype="float64"), x.astype(np.float64), g)
    # The float64 layer is the yardstick below: first its own values. (The reference's bicubic table is TF's
    # float32 one, and a float64 layer may compute the filters in float64: 1e-6 for upsampling.)
    epsilons = 1e-6 if case.family == "upsampling" else 1e3 * np.finfo(np.float64).eps
    assert_close("float64 output", y64, expected, value_tolerance(case, expected, magnitude, epsilons), case)

    scales = gradient_magnitudes(case, x, weights, g, magnitude)
    names = ["input gradient"] + [f"gradient of weight {i} {w.shape}" for i, w in enumerate(weights)]
    for what, got, want, scale in zip(names, grads32, grads64, scales):
        assert_close(f"float32 {what}", got, want, ULPS * EPS32 * scale + 1e-30, case)
    assert_adjoint_of_the_reference(case, x, weights, g, pre, grads64, rng)


def gradient_magnitudes(case: Case, x: np.ndarray, weights: list[np.ndarray], g: np.ndarray,
                        magnitude: np.ndarray) -> list[np.ndarray]:
    """Per gradient element, the same gradient summed over absolute values: the scale of its float32 error.

    The upstream gradient is bounded through the activation: its slope (at
    most 1.2), plus, for curved activations, the slope's own change over the
    pre-activation's float32 error; a softmax mixes its whole axis.
    """
    name = activation_name(case)
    if name is None:
        upstream = np.abs(g)
    elif name == "softmax":
        upstream = 2 * np.abs(g).max(axis=-1, keepdims=True) * (1 + magnitude.max(axis=-1, keepdims=True)) * np.ones(g.shape)
    else:
        upstream = np.abs(g) * (1.2 + (0 if name in ref.ACTIVATION_KINKS else magnitude))
    abs_weights = [np.abs(w) for w in weights]
    # The input gradient at x itself (a max routes by position), the weight gradients at |x|.
    _, (input_scale, *_) = vjp(built_layer(case, abs_weights, dtype="float64", linear=True), x.astype(np.float64), upstream)
    _, (_, *weight_scales) = vjp(built_layer(case, abs_weights, dtype="float64", linear=True), np.abs(x).astype(np.float64), upstream)
    if case.family == "upsampling":  # negative filter lobes: bound by all of the upstream gradient
        input_scale = np.full_like(input_scale, 2 * upstream.sum())
    return [input_scale] + weight_scales


def assert_adjoint_of_the_reference(case: Case, x: np.ndarray, weights: list[np.ndarray], g: np.ndarray,
                                    pre: np.ndarray, grads64: list[np.ndarray], rng: np.random.Generator) -> None:
    """The float64 gradients are the adjoint of the NumPy reference ``R`` (pre-activation), along random directions.

    ``<dx, v> = <g', (R(x + v) - R(x - v)) / 2>`` with ``g'`` the upstream
    gradient through the activation's derivative (reference.py): exact for a
    reference affine in ``x``, which every family is but the max reductions;
    likewise for each weight, in which every family is affine.
    """
    g_pre = ref.activation_vjp(activation_name(case), pre, g)
    x_cf = to_reference_layout(case, x)

    def derivative(plus: tuple, minus: tuple) -> float:
        change = (reference_output(case, *plus) - reference_output(case, *minus)) / 2
        return float(np.sum(g_pre * to_layer_layout(case, change)))

    checks = []
    if case.family not in MAX_REDUCTIONS:
        v = rng.standard_normal(x.shape)
        v_cf = to_reference_layout(case, v)
        checks.append(("input", float(np.sum(grads64[0] * v)), derivative((x_cf + v_cf, weights), (x_cf - v_cf, weights))))
    for i in range(len(weights)):
        u = [rng.standard_normal(w.shape) if j == i else np.zeros(w.shape) for j, w in enumerate(weights)]
        u_stored = built_layer(case, u, dtype="float64").weights[i].detach().numpy()  # in the layer's storage layout
        plus, minus = [w + d for w, d in zip(weights, u)], [w - d for w, d in zip(weights, u)]
        checks.append((f"weight {i}", float(np.sum(grads64[1 + i] * u_stored)), derivative((x_cf, plus), (x_cf, minus))))
    for what, got, want in checks:
        # float64 on both sides, but the reference's bicubic table is TF's float32 one: 1e-6, not 1e-12.
        assert abs(got - want) <= 1e-6 * (abs(got) + abs(want)) + 1e-9, (
            f"float64 gradient of the {what} is not the adjoint of the reference: <grad, direction> = {got!r}, "
            f"reference derivative {want!r}, for {case}"
        )


# -- failures `make fuzz` found, pinned as plain tests (a pinned hypothesis example would stop its whole property)
# torch 2.13's oneDNN dies (SIGSEGV) on float32 inputs in channels-last memory one wide, with a width stride and
# a width dilation above 1 and width padding: in 2-D under a fused activation (inference with relu...), in 3-D
# with a bias alone (fuzz seeds 10 and 3; plain F.conv3d with a bias does it too).
FUSED_CONV2D_SEGFAULT = Case(
    "conv", 2, dict(filters=1, kernel_size=1, strides=(1, 2), padding=(0, 1), dilation_rate=(1, 2), activation="relu"),
    dict(kernel=(1, 1), strides=(1, 2), dilation=(1, 2), padding=((0, 0), (1, 1)), groups=1, filters=1,
         activation="relu", use_bias=True),
    "channels_last", (1, 3, 1, 1), seed=0,
)
BIASED_DEPTHWISE3D_SEGFAULT = Case(
    "depthwise", 3, dict(kernel_size=(3, 3, 1), strides=(1, 1, 2), padding=(3, 3, 1), dilation_rate=2),
    dict(kernel=(3, 3, 1), strides=(1, 1, 2), dilation=(2, 2, 2), padding=((3, 3), (3, 3), (1, 1)), groups=1,
         depth_multiplier=1, activation=None, use_bias=True),
    "channels_last", (2, 3, 2, 1, 1), seed=0,
)

# A transposed convolution whose kept window lies wholly past its natural output (zeros, then the bias): the
# forward is right, the backward raises torch's "narrow(): length must be non-negative" (fuzz seed 102).
TRANSPOSE_WINDOW_PAST_THE_END = Case(
    "transpose", 1, dict(filters=1, kernel_size=1, strides=3, padding=((2, 0),), output_padding=2, use_bias=False),
    dict(kernel=(1,), strides=(3,), dilation=(1,), padding=((2, 0),), output_padding=(2,), groups=1, filters=1,
         activation=None, use_bias=False),
    "channels_last", (1, 1, 1), seed=0,
)

# The float32 weight gradient of a 3-D convolution: zeros and garbage (up to 1e36, often a later SIGSEGV or heap
# corruption) when the depth padding exceeds a depth stride above 1, here kernel 4, padding 3, stride 2 on a
# depth of 2 (fuzz seed 201; F.conv3d alone does it, in either layout, batch 2 or more).
CONV3D_WEIGHT_GRADIENT = Case(
    "conv", 3, dict(data_format="channels_first", filters=1, kernel_size=(4, 2, 2), strides=(2, 1, 2), padding="full",
                    use_bias=False),
    dict(kernel=(4, 2, 2), strides=(2, 1, 2), dilation=(1, 1, 1), padding="full", groups=1, filters=1, activation=None,
         use_bias=False),
    "channels_first", (2, 1, 2, 1, 1), seed=4279,
)


@examples(3)
@given(layer_cases())
def test_every_layer_matches_the_numpy_reference(case):
    """Every family, rank, format and padding form: the output shape and values, or a clear refusal."""
    check_values(case)


@examples(1.2)
@given(layer_cases().filter(has_output))
def test_gradients_match_float64_and_the_reference(case):
    """Input and weight gradients of every family: float32 against float64, float64 against the reference's derivative."""
    check_gradients(case)


# oneDNN's float32 channels-last kernel has read garbage for one input channel, an output one wide and a width
# stride above 1 (forward, and the input gradient of Conv2DTranspose, whose upstream gradient has `filters`
# channels); 2-D and 3-D (1-D is lowered to 2-D with a unit height). The region is narrow, so it gets its own
# examples: one channel, one or two filters, widths 1 to 3 under width strides 2 to 4 (mostly width-1 outputs),
# kernels 2 to 4 (a window of one reads no neighbours), channels-last twice as often as the layout that avoided
# the fault. Measured on the code before the fix: 10 of 480 such examples were wrong (2 of 480 with kernels of 1).
narrow_strided_cases = layer_cases(
    CONVOLUTIONS, ranks=(2, 3), data_formats=("channels_last", "channels_last", "channels_first"), channels=st.just(1),
    filters_per_group=st.sampled_from([1, 1, 2]), width=st.integers(1, 3), kernel_size=st.integers(2, 4),
    stride=st.integers(1, 2), width_stride=st.integers(2, 4),
).filter(has_output)


@examples(1.2)
@given(narrow_strided_cases)
def test_one_channel_narrow_strided_convolutions_forward_and_backward(case):
    """Values and gradients of the convolutions where oneDNN's float32 kernels have failed."""
    check_values(case)
    check_gradients(case)


@examples(1)
@given(layer_cases(CONVOLUTIONS, activations=(None,) + FUSABLE_ACTIVATIONS).filter(has_output), st.data())
def test_nan_reaches_exactly_the_outputs_it_feeds(case, data):
    """A NaN input pixel gives NaN in every output whose window holds it, and nowhere else, in inference and training alike.

    Which outputs depend on the pixel comes from the reference on a one-hot
    input with all-ones kernels and a zero bias: positive exactly there.
    """
    x, weights, _ = arrays(case)
    position = tuple(data.draw(st.integers(0, n - 1), label=f"axis {i}") for i, n in enumerate(x.shape))
    one_hot = np.zeros(x.shape)
    one_hot[position] = 1
    ones = [np.ones(w.shape) for w in weights]
    if case.spec["use_bias"]:
        ones[-1] = np.zeros(ones[-1].shape)
    depends = to_layer_layout(case, reference_output(case, to_reference_layout(case, one_hot), ones)) > 0
    x[position] = np.nan
    layer = built_layer(case, weights)
    with torch.no_grad():
        under_no_grad = layer(torch.from_numpy(x)).numpy()
    outputs = {
        "NumPy input": layer(x),
        "no_grad": under_no_grad,
        "autograd": layer(torch.tensor(x, requires_grad=True)).detach().numpy(),
    }
    for path, y in outputs.items():
        missing, extra = depends & ~np.isnan(y), ~depends & np.isnan(y)
        assert not missing.any() and not extra.any(), (
            f"{path}: NaN at input {position} should reach {int(depends.sum())} outputs; {int(missing.sum())} of them "
            f"are not NaN (e.g. {tuple(np.argwhere(missing)[0]) if missing.any() else None}) and {int(extra.sum())} "
            f"others are, for {case}"
        )


@examples(1)
@given(invalid_argument_cases())
def test_invalid_arguments_raise_a_clear_error(drawn):
    """One argument out of its domain: a ValueError or TypeError at construction that names the layer and the argument."""
    case, argument, value = drawn
    name = case.layer_class.__name__
    with pytest.raises((ValueError, TypeError)) as error:
        case.layer(**{argument: value})
    message = str(error.value)
    assert name in message and argument in message, f"{name}({argument}={value!r}) raised {error.value!r}"


@pytest.mark.parametrize(
    "check, case",
    [
        pytest.param(check_values, FUSED_CONV2D_SEGFAULT, id="fused-conv2d-width-1-segfault"),
        pytest.param(check_values, BIASED_DEPTHWISE3D_SEGFAULT, id="biased-depthwise3d-width-1-segfault"),
        pytest.param(check_gradients, TRANSPOSE_WINDOW_PAST_THE_END, id="transpose-window-past-the-end-backward"),
        pytest.param(check_gradients, CONV3D_WEIGHT_GRADIENT, id="conv3d-width-1-weight-gradient"),
    ],
)
def test_fuzz_finding(check, case):
    """Each minimal failure `make fuzz` found, replayed on every run (the cases and their causes are above)."""
    check(case)
