"""``compile(jit_compile=True)``: torch.compile'd steps give eager's numbers, with a bounded number of graphs."""

import numpy as np
import pytest
import torch
from torch._dynamo.utils import counters

import convlayers
from convlayers import layers as L
from convlayers.demo import build_model
from convlayers.models import compiled_steps, optimizers


def _graphs() -> int:
    return counters["stats"]["unique_graphs"]


def _digits(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 8, 8, 1), dtype=np.float32), rng.integers(0, 10, n)


def _train_demo(jit_compile):
    x, y = _digits(80)
    x_val, y_val = _digits(20, seed=1)
    torch.manual_seed(0)  # the same initial weights and dropout masks
    model = build_model()
    model.compile(optimizers.SGD(0.05, momentum=0.9), "sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=jit_compile)
    before = _graphs()
    # 80 samples in batches of 32: the last batch (16) has another size.
    history = model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0, validation_data=(x_val, y_val))
    fit_graphs = _graphs() - before
    evaluation = model.evaluate(x_val, y_val, verbose=0)
    predictions = model.predict(x[:40], batch_size=16, verbose=0)
    return history.history, model.get_weights(), evaluation, predictions, fit_graphs, model


def test_jit_compile_trains_the_demo_cnn_as_eager_does():
    eager = _train_demo(False)
    jit = _train_demo(True)
    assert jit[5].jit_compile and not eager[5].jit_compile
    assert sorted(jit[0]) == sorted(eager[0]) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    for name in eager[0]:
        np.testing.assert_allclose(jit[0][name], eager[0][name], rtol=1e-5, atol=1e-6, err_msg=name)
    for compiled_weight, eager_weight in zip(jit[1], eager[1]):
        np.testing.assert_allclose(compiled_weight, eager_weight, atol=1e-5)
    np.testing.assert_allclose(jit[2], eager[2], rtol=1e-5)
    np.testing.assert_allclose(jit[3], eager[3], atol=1e-5)
    # Graphs: training at 32 (static), then at 16 (one symbolic-batch graph for every other size);
    # validation at 20: one. Eager compiles nothing.
    assert eager[4] == 0
    assert jit[4] == 3


def test_a_second_fit_of_the_same_shapes_compiles_nothing_new():
    x, y = _digits(40)
    model = build_model()
    model.compile("sgd", "sparse_categorical_crossentropy", jit_compile=True)
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)  # 16, 16, then 8
    before = _graphs()
    model.fit(x, y, batch_size=16, epochs=2, shuffle=True, verbose=0)
    model.fit(x[:30], y[:30], batch_size=16, epochs=1, verbose=0)  # a new size: the symbolic graph serves it
    assert _graphs() == before


def _functional():
    inputs = convlayers.Input((6, 2), name="series")
    extra = convlayers.Input((3,), name="extra")
    h = L.Conv1D(4, 3, padding="causal", activation="relu", kernel_regularizer="l2")(inputs)
    h = L.GlobalAveragePooling1D()(h)
    h = L.Concatenate()([h, extra])
    out = L.Dense(2, activity_regularizer="l1", name="out")(h)
    return convlayers.Model([inputs, extra], out)


def test_jit_compile_trains_a_functional_model_as_eager_does():
    rng = np.random.default_rng(2)
    x = [rng.standard_normal((24, 6, 2)).astype("float32"), rng.standard_normal((24, 3)).astype("float32")]
    y = rng.standard_normal((24, 2)).astype("float32")
    weights = rng.random(24).astype("float32")
    results = []
    for jit in (False, True):
        torch.manual_seed(0)
        model = _functional()
        model.compile(optimizers.Adam(0.01), "mse", metrics=["mae"], weighted_metrics=["mse"], jit_compile=jit)
        history = model.fit(x, y, sample_weight=weights, batch_size=10, epochs=4, shuffle=False, verbose=0)
        results.append((history.history, model.get_weights(), model.predict(x, verbose=0)))
    (eager_history, eager_weights, eager_pred), (jit_history, jit_weights, jit_pred) = results
    for name in eager_history:
        np.testing.assert_allclose(jit_history[name], eager_history[name], rtol=1e-5, err_msg=name)
    for compiled_weight, eager_weight in zip(jit_weights, eager_weights):
        np.testing.assert_allclose(compiled_weight, eager_weight, atol=1e-5)
    np.testing.assert_allclose(jit_pred, eager_pred, atol=1e-5)


@pytest.mark.parametrize("value", ["auto", False])
def test_auto_and_false_are_eager(value):
    model = convlayers.Sequential([convlayers.Input((1,)), convlayers.Dense(1)])
    model.compile("sgd", "mse", jit_compile=value)
    before = _graphs()
    model.fit(np.ones((4, 1)), np.ones((4, 1)), verbose=0)
    assert model.jit_compile is False and _graphs() == before


def test_a_bad_jit_compile_is_refused():
    model = convlayers.Sequential([convlayers.Input((1,)), convlayers.Dense(1)], name="m")
    with pytest.raises(ValueError, match=r"Sequential 'm'.compile\(\): `jit_compile` must be True, False or 'auto'. Received: jit_compile='xla'."):
        model.compile("sgd", "mse", jit_compile="xla")


def test_recompiling_drops_the_compiled_steps():
    model = convlayers.Sequential([convlayers.Input((1,)), convlayers.Dense(1)])
    model.compile("sgd", "mse", jit_compile=True)
    steps = compiled_steps.for_model(model, torch.device("cpu"))
    model.compile("sgd", "mae", jit_compile=True)
    assert compiled_steps.for_model(model, torch.device("cpu")) is not steps


@pytest.mark.parametrize(
    "layer, shape",
    [
        (lambda: L.Conv1D(4, 3, padding="causal", dilation_rate=2), (2, 10, 3)),
        (lambda: L.Conv2D(4, 3, strides=2, padding="same"), (2, 9, 9, 3)),
        (lambda: L.Conv2D(4, 3, data_format="channels_first"), (2, 3, 8, 8)),
        (lambda: L.Conv3D(2, 2, padding="same"), (2, 5, 5, 5, 2)),
        (lambda: L.DepthwiseConv2D(3, padding="same", depth_multiplier=2), (2, 8, 8, 3)),
        (lambda: L.SeparableConv2D(4, 3, padding="same"), (2, 8, 8, 3)),
        (lambda: L.Conv2DTranspose(4, 3, strides=2, padding="same"), (2, 5, 5, 3)),
        (lambda: L.MaxPooling2D(2), (2, 8, 8, 3)),
        (lambda: L.AveragePooling2D(3, strides=2, padding="same"), (2, 8, 8, 3)),
        (lambda: L.UpSampling2D(2, interpolation="bilinear"), (2, 4, 4, 3)),
        (lambda: L.ZeroPadding2D(1), (2, 4, 4, 3)),
        (lambda: L.Cropping2D(1), (2, 4, 4, 3)),
        (lambda: L.BatchNormalization(), (2, 4, 4, 3)),
        (lambda: L.Dense(3, kernel_regularizer="l2", activity_regularizer="l1"), (2, 5)),
        (lambda: L.Dropout(0.5), (2, 5)),
    ],
)
def test_convlayers_layers_trace_without_graph_breaks(layer, shape):
    layer = layer()
    x = torch.rand(shape)
    layer(x)  # built
    explanation = torch._dynamo.explain(layer)(x)
    assert (explanation.graph_count, explanation.graph_break_count) == (1, 0), explanation.break_reasons


def test_the_demo_training_loss_traces_as_one_graph():
    x, y = _digits(8)
    model = build_model()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.train_on_batch(x, y)  # the first batch resolves the losses
    x_t, y_t = torch.as_tensor(x), torch.as_tensor(y)
    explanation = torch._dynamo.explain(model._loss_on)(x_t, y_t, None, "fit", None)
    assert (explanation.graph_count, explanation.graph_break_count) == (1, 0), explanation.break_reasons


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA graphs need a CUDA device")
def test_on_cuda_the_steps_run_as_cuda_graphs_with_eager_numbers():
    x, y = _digits(64)
    results = []
    for jit in (False, True):
        torch.manual_seed(0)
        model = build_model().to("cuda")
        model.compile(optimizers.SGD(0.05), "sparse_categorical_crossentropy", jit_compile=jit)
        history = model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
        results.append((history.history["loss"], model.get_weights()))
    assert compiled_steps.for_model(model, torch.device("cuda")).cuda_graphs
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-4)
    for compiled_weight, eager_weight in zip(results[1][1], results[0][1]):
        np.testing.assert_allclose(compiled_weight, eager_weight, atol=1e-4)
