"""Keras 2 files written on the Theano backend: kernels reversed at load, Theano's ``'same'`` placement.

Theano convolves (``y[i] = sum_t x[i + t] * w[k - 1 - t]``) where the core correlates,
and its ``'same'`` pads ``span // 2`` at the beginning (reference B2.2, B3). The oracle
is :func:`theano_conv`, a NumPy true convolution by direct loops over the file's kernels
as stored. Synthetic files are built here with h5py in Keras 2.1's ``model.save`` layout;
the third-party files under ``../shared/fixtures/external`` are skipped where absent.
"""

import itertools
import json

import h5py
import numpy as np
import pytest

import convlayers
from conftest import FIXTURES, SHARED_FIXTURES
from convlayers.geometry import Same
from convlayers.io import ModelFileError, load_keras_model, load_keras_weights

LEGACY = SHARED_FIXTURES / "external" / "keras-legacy-files"
CORPUS = FIXTURES / "keras-files"
external = pytest.mark.skipif(not LEGACY.is_dir(), reason=f"external Keras files not found under {LEGACY}")


def theano_conv(x, kernel, strides, padding, dilation=None, flip=True):
    """Keras 2 on Theano, channels last: a true convolution (``flip``) of ``x`` by ``kernel`` ``(*k, in, out)``.

    ``'same'``: windows start at ``i * s - span // 2`` (zeros outside), ``ceil(n / s)`` of them;
    ``'valid'``: at ``i * s``, ``(n - span) // s + 1`` of them. ``flip=False``: a correlation.
    """
    rank = kernel.ndim - 2
    dilation = dilation or (1,) * rank
    sizes, ks = x.shape[1:-1], kernel.shape[:rank]
    spans = [(k - 1) * d + 1 for k, d in zip(ks, dilation)]
    if padding == "same":
        outs, starts = [-(-n // s) for n, s in zip(sizes, strides)], [span // 2 for span in spans]
    else:
        outs, starts = [(n - span) // s + 1 for n, span, s in zip(sizes, spans, strides)], [0] * rank
    y = np.zeros((x.shape[0], *outs, kernel.shape[-1]))
    for b, position in itertools.product(range(x.shape[0]), itertools.product(*map(range, outs))):
        for taps in itertools.product(*map(range, ks)):
            where = [p * s - start + t * d for p, s, start, t, d in zip(position, strides, starts, taps, dilation)]
            if all(0 <= w < n for w, n in zip(where, sizes)):
                tap = tuple(k - 1 - t for k, t in zip(ks, taps)) if flip else taps
                y[(b, *position)] += x[(b, *where)] @ kernel[tap]
    return y


def keras2_file(path, layers, weights, backend="theano"):
    """A Keras 2.1 ``model.save`` file: ``layers`` are ``(class_name, config)``, ``weights`` name -> ``[(weight, array)]``."""
    config = {"class_name": "Sequential", "config": [{"class_name": cls, "config": cfg} for cls, cfg in layers]}
    with h5py.File(path, "w") as f:
        f.attrs.update(keras_version="2.1.3", backend=backend, model_config=json.dumps(config))
        group = f.create_group("model_weights")
        names = [cfg["name"] for _, cfg in layers]
        group.attrs.update(keras_version="2.1.3", backend=backend, layer_names=np.array(names, dtype="S"))
        for name in names:
            layer = group.create_group(name)
            scoped = [f"{name}/{weight}" for weight, _ in weights.get(name, [])]
            for weight_name, (_, array) in zip(scoped, weights.get(name, [])):
                layer[weight_name] = np.asarray(array, "float32")
            layer.attrs["weight_names"] = np.array(scoped, dtype="S")
    return path


def conv_config(name, filters, kernel_size, strides, padding, input_shape=None, **extra):
    config = {"name": name, "filters": filters, "kernel_size": kernel_size, "strides": strides, "padding": padding,
              "dilation_rate": [1] * len(kernel_size), "use_bias": False, **extra}
    return config if input_shape is None else {**config, "batch_input_shape": [None, *input_shape]}


# -- synthetic files: the numbers of reference B2.2 -------------------------------------------------
def test_reference_example_same_stride_2(tmp_path):
    # Reference B2.2: x = [1, 2, 3, 4], stored w = [1, 10, 100], 'same', stride 2: Theano [12, 234], TF [321, 43].
    layers = [("Conv1D", conv_config("c", 1, [3], [2], "same", input_shape=(4, 1)))]
    kernel = [("kernel", np.array([1, 10, 100]).reshape(3, 1, 1))]
    x = np.array([1, 2, 3, 4], "float32").reshape(1, 4, 1)
    theano = load_keras_model(keras2_file(tmp_path / "th.h5", layers, {"c": kernel}))
    assert theano(x).ravel().tolist() == [12, 234]
    tensorflow = load_keras_model(keras2_file(tmp_path / "tf.h5", layers, {"c": kernel}, backend="tensorflow"))
    assert tensorflow(x).ravel().tolist() == [321, 43]
    # backend= overrides the file's attribute, either way.
    assert load_keras_model(tmp_path / "th.h5", backend="tensorflow")(x).ravel().tolist() == [321, 43]
    assert load_keras_model(tmp_path / "tf.h5", backend="theano")(x).ravel().tolist() == [12, 234]


@pytest.mark.parametrize(("kernel_size", "strides"), [((2, 4), (2, 2)), ((3, 2), (2, 1)), ((3, 3), (1, 1)), ((2, 2), (1, 1))])
def test_even_kernels_and_strides_same_match_a_numpy_true_convolution(kernel_size, strides, tmp_path):
    rng = np.random.default_rng(0)
    kernel = rng.standard_normal((*kernel_size, 3, 2)).astype("float32")
    layers = [("Conv2D", conv_config("c", 2, list(kernel_size), list(strides), "same", input_shape=(7, 8, 3)))]
    model = load_keras_model(keras2_file(tmp_path / "th.h5", layers, {"c": [("kernel", kernel)]}))
    x = rng.standard_normal((2, 7, 8, 3)).astype("float32")
    np.testing.assert_allclose(model(x), theano_conv(x, kernel, strides, "same"), rtol=1e-5, atol=1e-5)


def test_dilated_conv1d_same_and_causal(tmp_path):
    rng = np.random.default_rng(1)
    kernels = {name: rng.standard_normal((2, 2, 2)).astype("float32") for name in ("a", "b")}
    layers = [("Conv1D", conv_config("a", 2, [2], [1], "same", input_shape=(9, 2), dilation_rate=[3])),
              ("Conv1D", conv_config("b", 2, [2], [1], "causal", dilation_rate=[2]))]
    model = load_keras_model(keras2_file(tmp_path / "th.h5", layers, {n: [("kernel", k)] for n, k in kernels.items()}))
    x = rng.standard_normal((1, 9, 2)).astype("float32")
    hidden = theano_conv(x, kernels["a"], (1,), "same", dilation=(3,))
    causal = theano_conv(np.pad(hidden, ((0, 0), (2, 0), (0, 0))), kernels["b"], (1,), "valid", dilation=(2,))
    np.testing.assert_allclose(model(x), causal, rtol=1e-5, atol=1e-5)


def test_depthwise_kernels_are_not_flipped(tmp_path):
    # Keras 2.1.6+ reverses depthwise kernels before Theano's flip: a correlation, with Theano's 'same' placement.
    rng = np.random.default_rng(2)
    kernel = rng.standard_normal((2, 3, 2, 1)).astype("float32")
    config = {"name": "d", "kernel_size": [2, 3], "strides": [2, 2], "padding": "same", "use_bias": False,
              "batch_input_shape": [None, 6, 7, 2]}
    model = load_keras_model(keras2_file(tmp_path / "th.h5", [("DepthwiseConv2D", config)], {"d": [("depthwise_kernel", kernel)]}))
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], kernel)
    x = rng.standard_normal((1, 6, 7, 2)).astype("float32")
    expected = np.concatenate([theano_conv(x[..., c:c + 1], kernel[:, :, c:c + 1], (2, 2), "same", flip=False)
                               for c in range(2)], axis=-1)
    np.testing.assert_allclose(model(x), expected, rtol=1e-5, atol=1e-5)


def test_transposed_kernels_are_flipped(tmp_path):
    rng = np.random.default_rng(3)
    kernel = rng.standard_normal((3, 2, 2, 1)).astype("float32")  # (*k, out, in)
    config = conv_config("t", 2, [3, 2], [2, 2], "valid", input_shape=(3, 3, 1))
    model = load_keras_model(keras2_file(tmp_path / "th.h5", [("Conv2DTranspose", config)], {"t": [("kernel", kernel)]}))
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], kernel[::-1, ::-1])


# -- load_keras_weights into a core model ----------------------------------------------------------
def test_weights_into_a_core_model_need_theanos_placement(tmp_path):
    layers = [("Conv1D", conv_config("c", 1, [3], [2], "same", input_shape=(4, 1)))]
    path = keras2_file(tmp_path / "th.h5", layers, {"c": [("kernel", np.array([1, 10, 100]).reshape(3, 1, 1))]})
    x = np.array([1, 2, 3, 4], "float32").reshape(1, 4, 1)
    tensorflow_same = convlayers.Sequential([convlayers.Input((4, 1)), convlayers.Conv1D(1, 3, strides=2, padding="same",
                                                                                          use_bias=False, name="c")])
    before = tensorflow_same.get_weights()
    message = (r"trained on Theano, and layer 'c' \(Conv1D\) has padding 'same' with kernel_size=\(3,\), strides=\(2,\), "
               r"dilation_rate=\(1,\), TensorFlow's placement, where Theano's differs .*load the whole file with "
               r"load_keras_model, or build the layer with padding=convlayers.geometry.Same\(extra_at='begin'\)")
    with pytest.raises(ModelFileError, match=message):
        load_keras_weights(tensorflow_same, path)
    for old, new in zip(before, tensorflow_same.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    theano_same = convlayers.Sequential([convlayers.Input((4, 1)), convlayers.Conv1D(1, 3, strides=2, use_bias=False,
                                                                                      padding=Same(extra_at="begin"))])
    load_keras_weights(theano_same, path)
    assert theano_same(x).ravel().tolist() == [12, 234]
    # Trusted as TensorFlow's, the same file loads as stored into TensorFlow's placement.
    load_keras_weights(tensorflow_same, path, backend="tensorflow")
    assert tensorflow_same(x).ravel().tolist() == [321, 43]


def test_stride_1_odd_same_agrees_with_tensorflows_placement(tmp_path):
    layers = [("Conv1D", conv_config("c", 1, [3], [1], "same", input_shape=(4, 1)))]
    path = keras2_file(tmp_path / "th.h5", layers, {"c": [("kernel", np.array([1, 10, 100]).reshape(3, 1, 1))]})
    model = convlayers.Sequential([convlayers.Input((4, 1)), convlayers.Conv1D(1, 3, padding="same", use_bias=False)])
    load_keras_weights(model, path)
    x = np.array([1, 2, 3, 4], "float32").reshape(1, 4, 1)
    np.testing.assert_allclose(model(x), theano_conv(x, np.array([1, 10, 100.0]).reshape(3, 1, 1), (1,), "same"))


# -- what Theano computed that the core cannot ------------------------------------------------------
def _separable(kernel_size):
    config = {"name": "s", "filters": 2, "kernel_size": kernel_size, "padding": "same", "use_bias": False,
              "batch_input_shape": [None, 6, 6, 1]}
    weights = {"s": [("depthwise_kernel", np.ones((*kernel_size, 1, 1))), ("pointwise_kernel", np.ones((1, 1, 1, 2)))]}
    return [("SeparableConv2D", config)], weights


@pytest.mark.parametrize(
    ("layers", "weights", "message"),
    [
        (*_separable([2, 3]), r"layer 's' \(SeparableConv2D\) has padding 'same' with kernel_size=\(2, 3\).*for an even "
                              r"kernel span Theano computed floor\(n / stride\) \+ 1 outputs"),
        ([("MaxPooling2D", {"name": "p", "pool_size": [2, 2], "padding": "same", "batch_input_shape": [None, 4, 4, 1]})], {},
         r"layer 'p' \(MaxPooling2D\) has padding 'same', which Theano computed with its own pads and crop"),
        ([("Conv2DTranspose", conv_config("t", 1, [3, 3], [2, 2], "same", input_shape=(3, 3, 1)))],
         {"t": [("kernel", np.ones((3, 3, 1, 1)))]},
         r"layer 't' \(Conv2DTranspose\) has padding 'same' with kernel_size=\(3, 3\), strides=\(2, 2\).*they agree at "
         r"stride 1 with odd kernels"),
    ],
)
def test_what_the_core_cannot_compute_as_theano_is_refused(layers, weights, message, tmp_path):
    path = keras2_file(tmp_path / "th.h5", layers, weights)
    with pytest.raises(ModelFileError, match="its weights were trained on Theano, and " + message):
        load_keras_model(path)
    load_keras_model(path, backend="tensorflow")  # the same file trusted as TensorFlow's loads


def test_odd_separable_same_loads_with_theanos_placement(tmp_path):
    layers, weights = _separable([3, 3])
    model = load_keras_model(keras2_file(tmp_path / "th.h5", layers, weights))
    assert model.layers[0].spec.padding == Same(extra_at="begin")


def test_a_tf_keras_2_file_relabelled_theano_names_the_layer(tmp_path):
    # seq1d_tfkeras2.h5 has a stride-2 'same' Conv1DTranspose: Theano's placement there has no core rule.
    path = tmp_path / "seq1d.h5"
    path.write_bytes((CORPUS / "seq1d_tfkeras2.h5").read_bytes())
    with h5py.File(path, "r+") as f:
        f.attrs["backend"] = "theano"
    with pytest.raises(ModelFileError, match=r"layer 'k6' \(Conv1DTranspose\) has padding 'same'"):
        load_keras_model(path)


def test_backend_argument_is_checked(tmp_path):
    layers = [("Conv1D", conv_config("c", 1, [3], [1], "valid", input_shape=(4, 1)))]
    path = keras2_file(tmp_path / "th.h5", layers, {"c": [("kernel", np.ones((3, 1, 1)))]})
    with pytest.raises(ValueError, match=r"`backend` must be one of \('tensorflow', 'theano'\) or None \(the file's\). "
                                         r"Received backend='cntk'"):
        load_keras_model(path, backend="cntk")


# -- third-party Keras 2.1.3 Theano files ----------------------------------------------------------
def _stored(path):
    """The file's datasets per layer name, in ``weight_names`` order."""
    with h5py.File(path) as f:
        weights = f["model_weights"]
        return {
            name.decode(): [weights[name.decode()][n][()] for n in weights[name.decode()].attrs["weight_names"]]
            for name in weights.attrs["layer_names"]
        }


@external
@pytest.mark.parametrize("name", ["conv2d_theano_2.h5", "conv2d_reshape_theano_2.h5", "batch_to_conv2d_theano_2.h5"])
def test_theano_files_load_every_weight_where_it_belongs_with_kernels_flipped(name):
    model = load_keras_model(LEGACY / name)
    stored = _stored(LEGACY / name)
    for layer in model.layers:
        flipped = isinstance(layer, convlayers.layers.Conv)
        for record, ours, theirs in zip(layer.weight_specs, layer.get_weights(), stored.get(layer.name, []), strict=True):
            expected = theirs[::-1, ::-1] if flipped and record.name == "kernel" else theirs  # reference B3
            np.testing.assert_array_equal(ours, expected)


@external
def test_conv2d_theano_2_computes_a_true_convolution():
    model = load_keras_model(LEGACY / "conv2d_theano_2.h5")
    kernel, bias = _stored(LEGACY / "conv2d_theano_2.h5")["conv2d_1"]
    x = np.random.default_rng(4).standard_normal((2, 5, 5, 5)).astype("float32")
    expected = theano_conv(x, kernel, (1, 1), "valid") + bias
    # The file's kernels reach ~1e3 (outputs too): float32 rounding is relative to the largest output.
    np.testing.assert_allclose(model(x), expected, rtol=1e-5, atol=1e-6 * np.abs(expected).max())
    assert not np.allclose(model(x), theano_conv(x, kernel, (1, 1), "valid", flip=False) + bias, rtol=1e-3)


@external
def test_conv2d_reshape_theano_2_computes_as_theano():
    # A 3x2 kernel (so the flip's axes are checked), a reshape, a 1x1 conv, then a Dense.
    model = load_keras_model(LEGACY / "conv2d_reshape_theano_2.h5")
    stored = _stored(LEGACY / "conv2d_reshape_theano_2.h5")
    x = np.random.default_rng(5).standard_normal((2, 5, 5, 5)).astype("float32")
    hidden = theano_conv(x, stored["conv2d_1"][0], (1, 1), "valid") + stored["conv2d_1"][1]
    hidden = theano_conv(hidden.reshape(2, 6, 4, 3), stored["conv2d_2"][0], (1, 1), "valid") + stored["conv2d_2"][1]
    expected = hidden.reshape(2, -1) @ stored["dense_1"][0] + stored["dense_1"][1]
    np.testing.assert_allclose(model(x), expected, rtol=1e-5, atol=1e-6 * np.abs(expected).max())


@external
def test_theano_weights_into_the_tensorflow_twins_architecture():
    # The TF twin has the same architecture: its model takes the Theano file's weights, converted.
    model = load_keras_model(LEGACY / "conv2d_tensorflow_2.h5")
    load_keras_weights(model, LEGACY / "conv2d_theano_2.h5")
    kernel, bias = _stored(LEGACY / "conv2d_theano_2.h5")["conv2d_1"]
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], kernel[::-1, ::-1])
    np.testing.assert_array_equal(model.layers[0].get_weights()[1], bias)
