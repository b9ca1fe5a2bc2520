"""The functional API: Input -> KerasTensors -> convlayers.Model(inputs, outputs), against NumPy and Keras 3.15's fixtures."""

import copy
import json
import pickle

import numpy as np
import pytest
import torch

import convlayers as cl
from convlayers.io.keras_config import sequential_from_keras_config, translate_layer_config
from convlayers.models.functional_config import default_layer_factory, replay_graph

FIXTURES = __import__("pathlib").Path(__file__).parent / "fixtures" / "functional"
KERAS = json.loads((FIXTURES / "models.json").read_text())
KERAS_ARRAYS = np.load(FIXTURES / "models.npz")
RNG = np.random.default_rng(0)


def _rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


# -- the models of the Keras fixtures, built here the same way --------------------------------------
def graph_model():
    a, b = cl.Input((4,), name="a"), cl.Input((4,), name="b")
    shared = cl.Dense(4, name="shared")
    x, y = shared(a), shared(b)
    s = cl.Add(name="add")([x, y])
    h = cl.Dense(3, activation="relu", name="hidden")(s)
    out = cl.Dense(2, name="out")(cl.Concatenate(name="cat")([h, x]))
    return cl.Model([a, b], [out, s], name="graph")


def nested_model():
    a = cl.Input((4,), name="a")
    inner_seq = cl.Sequential([cl.Input((4,)), cl.Dense(3, name="seq_dense")], name="inner_seq")
    i2 = cl.Input((3,), name="i2")
    inner = cl.Model(i2, cl.Dense(2, name="inner_dense")(i2), name="inner_model")
    h = cl.Dense(4, name="first")(a)
    return cl.Model(a, {"z": inner(inner_seq(h)), "h": h}, name="nested")


def chain_model():
    x = cl.Input((8, 8, 1), name="image")
    y = cl.Flatten(name="flat")(cl.Conv2D(2, 3, name="conv")(x))
    return cl.Model(x, cl.Dense(3, name="head")(y), name="chain")


MAKERS = {"graph": graph_model, "nested": nested_model, "chain": chain_model}


def _keras_arrays(name, kind):
    return [KERAS_ARRAYS[k] for k in sorted((k for k in KERAS_ARRAYS.files if k.startswith(f"{name}/{kind}")), key=lambda k: int(k.split(kind)[-1]))]


def _flat_outputs(outputs):
    if isinstance(outputs, dict):
        return [outputs[k] for k in sorted(outputs)]
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def keras_factory(entry):
    """Keras 3's layer entries as convlayers layers (what the Keras-file importer does)."""
    class_name = entry["class_name"]
    if class_name == "Functional":
        return cl.Model.from_config(entry["config"], layer_factory=keras_factory)
    if class_name == "Sequential":
        return sequential_from_keras_config({"class_name": "Sequential", "config": entry["config"]})[0]
    return cl.layers.deserialize_layer(
        {"class_name": class_name, "config": translate_layer_config(class_name, entry["config"]), "build_config": entry.get("build_config")}
    )


# -- Keras parity ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(MAKERS))
def test_keras_weights_give_keras_outputs(name):
    """Same layers in Keras's order, same weight order: Keras's weights give Keras's outputs."""
    model = MAKERS[name]()
    assert [layer.name for layer in model.layers] == KERAS[name]["layers"]
    assert model.output_names == KERAS[name]["output_names"]
    model.set_weights(_keras_arrays(name, "w"))
    assert model.count_params() == KERAS[name]["count_params"]
    xs = _keras_arrays(name, "x")
    outputs = _flat_outputs(model(xs if len(xs) > 1 else xs[0]))
    for got, expected in zip(outputs, _keras_arrays(name, "y"), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def _graph_part(config):
    """What both configs must agree on: names, classes, inbound nodes (Keras records a nested model's mask=None)."""

    def node(n):
        return {"args": n["args"], "kwargs": {k: v for k, v in n["kwargs"].items() if not (k == "mask" and v is None)}}

    return {
        "name": config["name"],
        "layers": [(e["name"], e["class_name"], [node(n) for n in e["inbound_nodes"]]) for e in config["layers"]],
        "input_layers": config["input_layers"],
        "output_layers": config["output_layers"],
    }


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_config_matches_keras(name):
    ours = json.loads(json.dumps(MAKERS[name]().get_config()))
    assert sorted(ours) == sorted(KERAS[name]["config"])
    assert _graph_part(ours) == _graph_part(KERAS[name]["config"])


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_reads_keras_config(name):
    model = cl.Model.from_config(copy.deepcopy(KERAS[name]["config"]), layer_factory=keras_factory)
    assert [layer.name for layer in model.layers] == KERAS[name]["layers"]
    model.set_weights(_keras_arrays(name, "w"))
    xs = _keras_arrays(name, "x")
    for got, expected in zip(_flat_outputs(model(xs if len(xs) > 1 else xs[0])), _keras_arrays(name, "y"), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_summary_matches_keras(name):
    model = MAKERS[name]()
    text = model.summary_text(line_length=88 if name == "chain" else 108)
    assert text + "\n" == KERAS[name]["summary"]


# -- graphs ----------------------------------------------------------------------------------------
def test_residual_block_against_numpy():
    x = cl.Input((5, 5, 2), name="x")
    y = cl.Conv2D(2, 1, name="conv")(x)
    model = cl.Model(x, cl.Activation("relu", name="relu")(cl.Add(name="add")([x, y])))
    kernel, bias = _rand(1, 1, 2, 2), _rand(2)
    model.get_layer("conv").set_weights([kernel, bias])
    data = _rand(3, 5, 5, 2)
    expected = np.maximum(data + data @ kernel[0, 0] + bias, 0)
    np.testing.assert_allclose(model(data), expected, rtol=1e-5, atol=1e-6)
    assert isinstance(model, cl.Model) and type(model).__name__ == "Functional"
    assert list(model.state_dict()) == ["conv.kernel", "conv.bias"]


def test_two_inputs_concatenate_list_and_dict():
    a, b = cl.Input((3,), name="left"), cl.Input((2,), name="right")
    model = cl.Model([a, b], cl.Dense(1, name="d")(cl.concatenate([a, b])))
    w, c = _rand(5, 1), _rand(1)
    model.get_layer("d").set_weights([w, c])
    xa, xb = _rand(4, 3), _rand(4, 2)
    expected = np.concatenate([xa, xb], axis=1) @ w + c
    np.testing.assert_allclose(model([xa, xb]), expected, rtol=1e-5)
    np.testing.assert_allclose(model({"right": xb, "left": xa}), expected, rtol=1e-5)
    out = model([torch.tensor(xa), torch.tensor(xb)])
    assert isinstance(out, torch.Tensor) and out.requires_grad
    assert model.input_names == ["left", "right"] and model.input_shape == [(None, 3), (None, 2)]
    with pytest.raises(ValueError, match=r"expects 2 inputs \['left', 'right'\]"):
        model(xa)
    with pytest.raises(ValueError, match="doesn't match the expected structure"):
        model({"left": xa})
    with pytest.raises(ValueError, match="incompatible inputs. For input 'right', expected shape \\(None, 2\\)"):
        model([xa, xa])


def test_multiple_outputs_and_dict_structures():
    x = cl.Input((4,), name="x")
    h = cl.Dense(3, name="h")(x)
    model = cl.Model({"x": x}, {"logits": cl.Dense(2, name="logits")(h), "hidden": h})
    out = model({"x": _rand(5, 4)})
    assert set(out) == {"logits", "hidden"} and out["logits"].shape == (5, 2) and out["hidden"].shape == (5, 3)
    assert model.output_names == ["h", "logits"]  # flat outputs: dict keys sorted, as Keras's tree
    listed = cl.Model(x, [h, model.get_layer("logits").output if False else cl.Dense(1, name="one")(h)])
    first, second = listed(_rand(2, 4))
    assert first.shape == (2, 3) and second.shape == (2, 1)
    assert listed.output_shape == [(None, 3), (None, 1)]


def test_shared_layer_and_fan_out():
    x = cl.Input((3,), name="x")
    dense = cl.Dense(3, name="dense")
    twice = dense(dense(x))
    model = cl.Model(x, cl.Add(name="add")([twice, dense(x)]))
    assert [layer.name for layer in model.layers] == ["x", "dense", "add"]
    assert list(model.state_dict()) == ["dense.kernel", "dense.bias"] and model.count_params() == 12
    w, b = dense.get_weights()
    data = _rand(2, 3)
    once = data @ w + b
    np.testing.assert_allclose(model(data), (once @ w + b) + once, rtol=1e-5)
    text = model.summary_text(line_length=120)  # not a chain: a Connected to column
    assert "x[0][0], dense[0][0], x[0][0]" in text and "dense[1][0], dense[2][0]" in text


def test_nested_models_compose():
    model = nested_model()
    data = _rand(3, 4)
    inner_seq, inner = model.get_layer("inner_seq"), model.get_layer("inner_model")
    h = model.get_layer("first")(data)
    out = model(data)
    np.testing.assert_allclose(out["h"], h, rtol=1e-6)
    np.testing.assert_allclose(out["z"], inner(inner_seq(h)), rtol=1e-5)
    assert list(model.state_dict()) == [
        "first.kernel", "first.bias", "inner_seq.0.kernel", "inner_seq.0.bias",
        "inner_model.inner_dense.kernel", "inner_model.inner_dense.bias",
    ]
    assert len(model.weights) == 6 and len(model.trainable_weights) == 6


def test_shape_errors_come_before_data():
    x = cl.Input((8, 8, 3), name="x")
    with pytest.raises(ValueError, match="Conv2D 'c'"):
        cl.Conv2D(2, 9, name="c")(x)  # a 9x9 kernel on 8x8 without padding
    flat = cl.Flatten()(x)
    with pytest.raises(ValueError, match="Dense 'd'.*built for inputs with 192 features"):
        dense = cl.Dense(2, name="d")
        dense(flat)
        dense(cl.Input((5,)))
    with pytest.raises(ValueError, match="inputs have incompatible shapes"):
        cl.Add()([flat, cl.Input((7,))])
    with pytest.raises(TypeError, match="merge layers \\(Add, Concatenate...\\) take lists"):
        cl.Dense(2)([flat, flat])


def test_graph_errors():
    a, b = cl.Input((2,), name="a"), cl.Input((2,), name="b")
    y = cl.Add()([a, b])
    with pytest.raises(ValueError, match="graph disconnected: cannot find parent for tensor .*name=b"):
        cl.Model(a, y)
    with pytest.raises(ValueError, match="all `outputs` values must be KerasTensors"):
        cl.Model(a, np.zeros(2))
    with pytest.raises(ValueError, match="every input must come from convlayers.Input"):
        cl.Model(cl.Dense(2)(a), y)
    with pytest.raises(ValueError, match="the name 'same' is used 2 times"):
        cl.Model(a, cl.Dense(2, name="same")(cl.Dense(2, name="same")(a)))
    with pytest.raises(TypeError, match="no truth value"):
        bool(a)


# -- configs and files -----------------------------------------------------------------------------
def _same_outputs(model, clone, inputs):
    for got, expected in zip(_flat_outputs(clone(inputs)), _flat_outputs(model(inputs)), strict=True):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_config_round_trip(name):
    model = MAKERS[name]()
    config = model.get_config()
    clone = cl.Model.from_config(json.loads(json.dumps(config)))
    assert json.loads(json.dumps(clone.get_config())) == json.loads(json.dumps(config))
    clone.set_weights(model.get_weights())
    xs = _keras_arrays(name, "x")
    _same_outputs(model, clone, xs if len(xs) > 1 else xs[0])
    inputs, outputs, layers = replay_graph(config, default_layer_factory)
    assert sorted(layers) == sorted(layer.name for layer in model.layers)


def test_to_json_and_model_from_json():
    model = graph_model()
    entry = json.loads(model.to_json())
    assert (entry["module"], entry["class_name"]) == ("keras.src.models.functional", "Functional")
    clone = cl.models.model_from_json(model.to_json())
    assert clone.to_json() == model.to_json()
    sequential = cl.Sequential([cl.Input((3,)), cl.Dense(2, name="d")], name="s")
    assert json.loads(sequential.to_json())["class_name"] == "Sequential"
    assert cl.models.model_from_json(sequential.to_json()).to_json() == sequential.to_json()


def test_legacy_tf_keras_2_config():
    """tf.keras 2's inbound nodes ([[name, node, tensor, kwargs], ...]), a nested model counted from node 1."""
    inner = {
        "name": "inner", "layers": [
            {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3], "name": "i"}, "name": "i", "inbound_nodes": []},
            {"class_name": "Dense", "config": {"units": 2, "name": "id"}, "name": "id", "inbound_nodes": [[["i", 0, 0, {}]]]},
        ], "input_layers": [["i", 0, 0]], "output_layers": [["id", 0, 0]],
    }
    config = {
        "name": "legacy", "layers": [
            {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 3], "name": "in"}, "name": "in", "inbound_nodes": []},
            {"class_name": "Dense", "config": {"units": 3, "name": "d1"}, "name": "d1", "inbound_nodes": [[["in", 0, 0, {}]]]},
            {"class_name": "Add", "config": {"name": "add"}, "name": "add", "inbound_nodes": [[["d1", 0, 0, {}], ["in", 0, 0, {}]]]},
            {"class_name": "Functional", "config": inner, "name": "inner", "inbound_nodes": [[["add", 0, 0, {}]]]},
            {"class_name": "Dense", "config": {"units": 1, "name": "d2"}, "name": "d2", "inbound_nodes": [[["inner", 1, 0, {}]]]},
        ], "input_layers": [["in", 0, 0]], "output_layers": [["d2", 0, 0], ["inner", 1, 0]],
    }
    model = cl.Model.from_config(config)
    assert [layer.name for layer in model.layers] == ["in", "d1", "add", "inner", "d2"]
    assert model.output_shape == [(None, 1), (None, 2)]
    x = _rand(2, 3)
    d1, inner_model, d2 = (model.get_layer(n) for n in ("d1", "inner", "d2"))
    hidden = inner_model(d1(x) + x)
    first, second = model(x)
    np.testing.assert_allclose(second, hidden, rtol=1e-5)
    np.testing.assert_allclose(first, d2(hidden), rtol=1e-5)


def test_from_config_errors():
    config = graph_model().get_config()
    config["layers"][2]["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = ["nowhere", 0, 0]
    with pytest.raises(ValueError, match="layer 'shared' is called on the output of 'nowhere'"):
        cl.Model.from_config(config)
    with pytest.raises(ValueError, match="no `output_layers`"):
        cl.Model.from_config({"layers": [], "input_layers": []})
    loop = {"name": "m", "layers": [
        {"class_name": "Dense", "config": {"units": 2, "name": "a"}, "name": "a", "inbound_nodes": [[["b", 0, 0]]]},
        {"class_name": "Dense", "config": {"units": 2, "name": "b"}, "name": "b", "inbound_nodes": [[["a", 0, 0]]]},
    ], "input_layers": [], "output_layers": ["a", 0, 0]}
    with pytest.raises(ValueError, match="the graph has loops or disconnected nodes"):
        cl.Model.from_config(loop)


def test_safetensors_round_trip(tmp_path):
    model = graph_model()
    model.save(tmp_path / "graph.safetensors")
    loaded = cl.load_model(tmp_path / "graph.safetensors")
    assert type(loaded).__name__ == "Functional"
    _same_outputs(model, loaded, _keras_arrays("graph", "x"))
    model.save_weights(tmp_path / "graph.weights.safetensors")
    fresh = graph_model()
    fresh.load_weights(tmp_path / "graph.weights.safetensors")
    _same_outputs(model, fresh, _keras_arrays("graph", "x"))


def test_pickle_and_deepcopy():
    model = nested_model()
    data = _rand(2, 4)
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        _same_outputs(model, clone, data)
        assert clone.get_config() == model.get_config()


# -- torch -----------------------------------------------------------------------------------------
def test_plain_torch_training_loop():
    torch.manual_seed(0)
    model = graph_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    xa, xb = torch.randn(16, 4), torch.randn(16, 4)
    target = torch.randn(16, 2)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        out, _ = model([xa, xb])
        loss = torch.nn.functional.mse_loss(out, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 2


def test_torch_compile_equality():
    model = graph_model().eval()
    xs = [torch.tensor(x) for x in _keras_arrays("graph", "x")]
    compiled = torch.compile(model, backend="eager", fullgraph=True)
    for got, expected in zip(compiled(xs), model(xs)):
        torch.testing.assert_close(got, expected)


def test_onnx_export_equality(tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    x = cl.Input((6, 6, 2), name="x")
    y = cl.Conv2D(2, 3, padding="same", name="conv")(x)
    y = cl.Activation("relu")(cl.Add()([x, y]))
    model = cl.Model(x, cl.Dense(3)(cl.Flatten()(y))).eval()
    data = torch.randn(2, 6, 6, 2)
    path = tmp_path / "model.onnx"
    torch.onnx.export(model, (data,), str(path), input_names=["x"], output_names=["y"])  # torch.export-based
    session = onnxruntime.InferenceSession(str(path))
    (out,) = session.run(None, {"x": data.numpy()})
    np.testing.assert_allclose(out, model(data).detach().numpy(), rtol=1e-5, atol=1e-5)


def test_fit_evaluate_predict():
    torch.manual_seed(0)
    x = cl.Input((2,), name="x")
    model = cl.Model(x, cl.Dense(1, name="d")(cl.Dense(8, activation="tanh")(x)))
    model.compile(optimizer="adam", loss="mse")
    data = np.random.default_rng(0).random((64, 2)).astype("float32")
    target = data.sum(axis=1, keepdims=True)
    history = model.fit(data, target, batch_size=16, epochs=40, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 4
    assert model.predict(data, verbose=0).shape == (64, 1)
    assert model.evaluate(data, target, verbose=0) == pytest.approx(history.history["loss"][-1], rel=0.5)


def test_training_argument_with_dropout_and_batch_normalization():
    x = cl.Input((4,), name="x")
    y = cl.BatchNormalization(name="bn")(cl.Dropout(0.5, name="drop")(x))
    model = cl.Model(x, y)
    data = torch.randn(32, 4) + 3.0
    model.train()
    before = model.get_layer("bn").moving_mean.clone()
    out = model(data, training=False)
    assert model.training and model.get_layer("drop").training  # the mode is restored
    torch.testing.assert_close(model.get_layer("bn").moving_mean, before)  # no statistics update
    bn = model.get_layer("bn")
    gamma, beta, mean, var = bn.get_weights()
    expected = (data.numpy() - mean) / np.sqrt(var + bn.epsilon) * gamma + beta  # no dropout
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-5)
    model.eval()
    trained = model(data, training=True)
    assert not model.training
    assert not torch.equal(model.get_layer("bn").moving_mean, before)  # training mode updated them
    assert not torch.allclose(trained, model(data))  # batch statistics, not the moving ones
    dropping = cl.Model(x, cl.Dropout(0.5)(x)).eval()
    assert (dropping(data, training=True) == 0).any() and not dropping.training
    # Layers take `training` too, and NumPy calls run in inference mode.
    drop = cl.Dropout(0.5)
    assert torch.equal(drop(torch.ones(10), training=False), torch.ones(10))
    np.testing.assert_array_equal(model(data.numpy()), model(data, training=False).detach().numpy())


def test_sequential_input_tensor_and_training_argument():
    model = cl.Sequential(name="s")
    model.add(cl.Input((3,)))
    model.add(cl.Dropout(0.9))
    assert model.input_shape == (None, 3)
    assert torch.equal(model(torch.ones(2, 3), training=False), torch.ones(2, 3))
    with pytest.raises(ValueError, match="a KerasTensor can only be added as the model's Input"):
        model.add(cl.Dense(2)(cl.Input((3,))))


def test_subclassed_model():
    class Residual(cl.Model):
        def __init__(self):
            super().__init__(name="residual")
            self.dense = cl.Dense(3, name="dense")
            self.drop = cl.Dropout(0.5)

        def call(self, x, training=None):
            return x + self.drop(self.dense(x))

    model = Residual()
    data = _rand(2, 3)
    out = model(data)
    w, b = model.dense.get_weights()
    np.testing.assert_allclose(out, data + data @ w + b, rtol=1e-5)
    assert [layer.name for layer in model.layers][0] == "dense" and model.count_params() == 12
    with pytest.raises(TypeError, match="cannot be called on KerasTensors"):
        model(cl.Input((3,)))


def test_trainable_losses_and_layer_access():
    x = cl.Input((3,), name="x")
    h = cl.Dense(2, kernel_regularizer="l2", name="reg")(x)
    model = cl.Model(x, cl.BatchNormalization(name="bn")(h), trainable=False)
    assert not model.trainable and model.trainable_weights == [] and len(model.non_trainable_weights) == 6
    model.trainable = True
    assert [tuple(w.shape) for w in model.trainable_weights] == [(2, 3), (2,), (2,), (2,)]
    assert len(model.non_trainable_weights) == 2  # the moving statistics
    kernel = model.get_layer("reg").get_weights()[0]
    assert len(model.losses) == 1 and model.losses[0].item() == pytest.approx(0.01 * (kernel**2).sum(), rel=1e-5)
    assert model.get_layer(index=0).name == "x" and model.input is x and model.output.shape == (None, 2)
    with pytest.raises(ValueError, match="no such layer: 'nope'"):
        model.get_layer("nope")
    assert model.compute_output_shape((5, 3)) == (5, 2)
