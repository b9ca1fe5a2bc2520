"""Sequential: eager building and shapes, summary text, configs, weights, calling, errors."""

import json
import pickle
import re

import numpy as np
import pytest
import torch

import convlayers
from convlayers import (
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Input,
    MaxPooling2D,
    Sequential,
)


def _cnn(**names):
    return Sequential(
        [
            Input((8, 8, 1)),
            Conv2D(8, 3, name="conv"),
            BatchNormalization(name="bn"),
            MaxPooling2D(2, name="pool"),
            Flatten(name="flat"),
            Dense(10, activation="softmax", name="out"),
        ],
        **names,
    )


# -- building and shapes ------------------------------------------------------------------------
def test_shapes_and_weights_are_known_before_any_data():
    model = _cnn()
    assert model.built
    assert model.input_shape == (None, 8, 8, 1)
    assert model.layer_output_shapes == [(None, 6, 6, 8), (None, 6, 6, 8), (None, 3, 3, 8), (None, 72), (None, 10)]
    assert model.output_shape == (None, 10)
    # By hand: conv 3*3*1*8 + 8 = 80; bn 4 * 8 = 32; dense 72*10 + 10 = 730.
    assert [layer.count_params() for layer in model] == [80, 32, 0, 0, 730]
    assert model.count_params() == 842
    assert len(model.trainable_weights) == 6 and len(model.non_trainable_weights) == 2


@pytest.mark.parametrize(
    "first",
    [
        lambda: Dense(4, input_shape=(3,)),
        lambda: Dense(4, batch_input_shape=(None, 3)),
        lambda: Dense(4, input_dim=3),
    ],
)
def test_keras_input_shape_arguments_on_the_first_layer(first):
    model = Sequential([first(), Dense(2)])
    assert model.built and model.input_shape == (None, 3) and model.output_shape == (None, 2)


def test_add_builds_incrementally_and_build_builds_all():
    model = Sequential()
    model.add(Input((5,)))
    model.add(Dense(3))
    assert model.output_shape == (None, 3)
    model.add(Dense(2))
    assert model.output_shape == (None, 2) and model[1].built
    lazy = Sequential([Dense(3), Dense(1)])
    assert not lazy.built
    with pytest.raises(ValueError, match="has no defined output shape yet"):
        lazy.output_shape
    lazy.build((None, 4))
    assert lazy.built and lazy.output_shape == (None, 1) and lazy.input_shape == (None, 4)


def test_model_builds_on_first_call_without_an_input():
    model = Sequential([Conv2D(2, 3), Flatten(), Dense(1)])
    y = model(np.zeros((3, 5, 5, 1), np.float32))
    assert y.shape == (3, 1) and model.built
    assert model.input_shape == (None, 5, 5, 1) and model.output_shape == (None, 1)


def test_build_errors():
    with pytest.raises(ValueError, match="Sequential model 'empty' cannot be built because it has no layers"):
        Sequential(name="empty").build((None, 3))
    model = Sequential([Input((3,)), Dense(2)], name="m")
    with pytest.raises(ValueError, match=r"Sequential model 'm' has already been configured to use input shape \(None, 3\)\. You cannot build it with input_shape \(None, 4\)"):
        model.build((None, 4))
    with pytest.raises(ValueError, match=r"Conv2D 'c': expected an input of rank at least 4 .* received an input of shape \(None, 3\)"):
        Sequential([Input((3,)), Conv2D(2, 3, name="c")])


def test_add_errors():
    model = Sequential([Dense(2, name="a")], name="m")
    with pytest.raises(TypeError, match=r"Sequential 'm': only convlayers layers can be added.*Received Linear\(in_features=2"):
        model.add(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="Sequential 'm': all layers must have unique names; 'a' is already the name"):
        model.add(Dense(3, name="a"))
    with pytest.raises(ValueError, match="Sequential 'm': an Input must come first, and only once"):
        model.add(Input((2,)))
    with pytest.raises(TypeError, match="`name` must be a string"):
        Sequential(name=3)


def test_container_protocol_and_pop():
    model = _cnn()
    assert len(model) == 5 and model[0].name == "conv" and model[-1].name == "out"
    assert [layer.name for layer in model] == ["conv", "bn", "pool", "flat", "out"]
    assert model.get_layer("bn") is model[1] and model.get_layer(index=2) is model[2]
    with pytest.raises(ValueError, match="Sequential model '\\w+': no such layer: 'zz'"):
        model.get_layer("zz")
    assert model.pop().name == "out" and len(model) == 4 and "4" not in dict(model.named_children())


# -- calling -------------------------------------------------------------------------------------------
def test_numpy_in_numpy_out_and_tensor_in_tensor_out():
    model = _cnn()
    x = np.random.default_rng(0).standard_normal((2, 8, 8, 1)).astype(np.float32)
    y = model(x)
    assert isinstance(y, np.ndarray) and y.shape == (2, 10)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)
    model.eval()
    t = model(torch.from_numpy(x).requires_grad_())
    assert isinstance(t, torch.Tensor) and t.requires_grad
    np.testing.assert_allclose(t.detach().numpy(), y, rtol=1e-6)


def test_numpy_calls_run_in_inference_mode():
    model = Sequential([Input((50,)), Dropout(0.5), BatchNormalization()])
    assert model.training
    x = np.ones((4, 50), np.float32)
    np.testing.assert_allclose(model(x), x / np.sqrt(1 + 1e-3), rtol=1e-6)  # no dropout, moving stats
    np.testing.assert_array_equal(model[1].get_weights()[2], np.zeros(50))  # not updated
    assert model.training and model[0].training


def test_layers_are_submodules_for_torch():
    model = _cnn()
    keys = sorted(model.state_dict())
    assert keys == ["0.bias", "0.kernel", "1.beta", "1.gamma", "1.moving_mean", "1.moving_variance", "4.bias", "4.kernel"]
    assert sum(p.numel() for p in model.parameters()) == 842 - 16  # moving statistics are buffers
    assert model.to(torch.float64)[0].kernel.dtype == torch.float64


def test_a_plain_torch_loop_trains_the_model():
    torch.manual_seed(0)
    model = Sequential([Input((2,)), Dense(8, activation="tanh"), Dense(1)])
    x = torch.randn(64, 2)
    y = x[:, :1] * 2 - x[:, 1:] + 0.5
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(60):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.05 * losses[0]


# -- weights ------------------------------------------------------------------------------------------
def test_get_and_set_weights_in_keras_layout():
    model = _cnn()
    shapes = [w.shape for w in model.get_weights()]
    assert shapes == [(3, 3, 1, 8), (8,), (8,), (8,), (8,), (8,), (72, 10), (10,)]
    rng = np.random.default_rng(1)
    new = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    new[5] = np.abs(new[5]) + 0.5  # a variance
    model.set_weights(new)
    for got, want in zip(model.get_weights(), new):
        np.testing.assert_array_equal(got, want)


def test_set_weights_validates_everything_before_changing_anything():
    model = _cnn(name="m")
    before = model.get_weights()
    bad = [w.copy() + 1 for w in before]
    bad[-2] = np.zeros((71, 10), np.float32)
    with pytest.raises(ValueError, match=r"Sequential model 'm': weight `kernel` of layer 'out' must have shape \(72, 10\) \(Keras layout\)\. Received an array of shape \(71, 10\)"):
        model.set_weights(bad)
    with pytest.raises(ValueError, match="set_weights expects 8 arrays .* received 7"):
        model.set_weights(before[:-1])
    with pytest.raises(TypeError, match="set_weights expects a list of arrays. Received str"):
        model.set_weights("weights")
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="Sequential model 'lazy': cannot get weights before the model is built"):
        Sequential([Dense(2)], name="lazy").get_weights()


def test_trainable_flag_freezes_every_layer():
    model = Sequential([Input((3,)), Dense(2), BatchNormalization()], trainable=False)
    assert not model.trainable and model.trainable_weights == []
    assert len(model.non_trainable_weights) == 6
    assert not any(p.requires_grad for p in model.parameters())


# -- configuration ------------------------------------------------------------------------------------
def test_config_roundtrip_rebuilds_the_same_model():
    model = _cnn(name="digits")
    config = model.get_config()
    assert set(config) == {"name", "trainable", "dtype", "layers", "build_input_shape"}
    assert config["build_input_shape"] == (None, 8, 8, 1)
    assert [entry["class_name"] for entry in config["layers"]] == [
        "InputLayer", "Conv2D", "BatchNormalization", "MaxPooling2D", "Flatten", "Dense",
    ]
    assert config["layers"][1]["build_config"] == {"input_shape": (None, 8, 8, 1)}
    text = json.dumps(config)
    clone = Sequential.from_config(json.loads(text))
    assert json.dumps(clone.get_config()) == text
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(2).standard_normal((3, 8, 8, 1)).astype(np.float32)
    np.testing.assert_array_equal(clone(x), model(x))


def test_from_config_accepts_keras2_style_configs():
    config = {
        "name": "k2",
        "layers": [
            {"class_name": "Dense", "config": {"name": "d1", "units": 4, "batch_input_shape": [None, 3]}},
            {"class_name": "Dense", "config": {"name": "d2", "units": 1}},
        ],
    }
    model = Sequential.from_config(config)
    assert model.built and model.output_shape == (None, 1)
    assert Sequential.from_config(config["layers"]).output_shape == (None, 1)  # a bare list
    with pytest.raises(ValueError, match=r"Sequential.from_config: unknown keys \['bogus'\]"):
        Sequential.from_config({"layers": [], "bogus": 1})
    with pytest.raises(ValueError, match="Unknown layer class 'Nope'"):
        Sequential.from_config({"layers": [{"class_name": "Nope", "config": {}}]})


def test_lazy_model_config_records_the_shape_it_was_built_for():
    model = Sequential([Dense(2)])
    assert model.get_config()["build_input_shape"] is None
    model(np.zeros((5, 3), np.float32))
    clone = Sequential.from_config(model.get_config())
    assert clone.input_shape == (None, 3) and clone.built


# -- summary ------------------------------------------------------------------------------------------
def _line(left, fill, mid, right):
    # Keras's columns at line_length=76 are 34, 26 and 16 wide; rich adds a space of
    # padding per side, then takes back the 10 columns of overflow as 3, 4 and 3:
    # cells 33, 24 and 15 wide, i.e. text widths 31, 22 and 13.
    return left + fill * 33 + mid + fill * 24 + mid + fill * 15 + right


def _cells(edge, name, shape, params):
    return f"{edge} {name:<31} {edge} {shape:<22} {edge} {params:>13} {edge}"


def test_summary_matches_keras_layout_and_counts():
    lines = []
    _cnn(name="digits").summary(line_length=76, print_fn=lines.append)
    separator = _line("├", "─", "┼", "┤")
    expected = [
        'Model: "digits"',
        _line("┏", "━", "┳", "┓"),
        _cells("┃", "Layer (type)", "Output Shape", "Param #"),
        _line("┡", "━", "╇", "┩"),
        _cells("│", "conv (Conv2D)", "(None, 6, 6, 8)", "80"),
        separator,
        _cells("│", "bn (BatchNormalization)", "(None, 6, 6, 8)", "32"),
        separator,
        _cells("│", "pool (MaxPooling2D)", "(None, 3, 3, 8)", "0"),
        separator,
        _cells("│", "flat (Flatten)", "(None, 72)", "0"),
        separator,
        _cells("│", "out (Dense)", "(None, 10)", "730"),
        _line("└", "─", "┴", "┘"),
        # 842 float32 = 3368 B = 3.289 KB; 826 trainable = 3304 B; 16 moving statistics = 64 B.
        " Total params: 842 (3.29 KB)",
        " Trainable params: 826 (3.23 KB)",
        " Non-trainable params: 16 (64.00 B)",
    ]
    assert len(lines) == 1  # the whole table at once, as Keras 3 does
    assert lines[0].split("\n") == expected
    assert all(len(line) == 76 for line in expected[1:14])


def test_summary_of_unbuilt_model_and_wrapping():
    lines = []
    Sequential([Dense(3, name="x")], name="lazy").summary(line_length=76, print_fn=lines.append)
    text = lines[0].split("\n")
    assert _cells("│", "x (Dense)", "?", "0 (unbuilt)") in text
    assert " Total params: 0 (0.00 B)" in text
    lines.clear()
    Sequential([Input((3,)), Dense(1234567, name="a_rather_long_layer_name")]).summary(line_length=76, print_fn=lines.append)
    text = lines[0].split("\n")
    row = text.index(_cells("│", "a_rather_long_layer_name", "(None, 1234567)", "4,938,268"))
    assert text[row + 1] == _cells("│", "(Dense)", "", "")


def test_summary_with_default_print(capsys):
    Sequential([Input((2,)), Dense(1)]).summary(line_length=60)
    out = capsys.readouterr().out
    assert 'Model: "sequential' in out and " Trainable params: 3 (12.00 B)" in out


def test_summary_rejects_too_narrow_lines():
    with pytest.raises(ValueError, match="insufficient console width to print the summary. Received line_length=6"):
        Sequential([Input((2,)), Dense(1)]).summary(line_length=6)


# -- files ----------------------------------------------------------------------------------------------
def test_save_methods_delegate_to_convlayers_io(monkeypatch, tmp_path):
    calls = []
    for name in ("save_model", "save_weights", "load_weights"):
        monkeypatch.setattr(convlayers.io, name, lambda model, path, name=name: calls.append((name, model, path)))
    model = Sequential([Input((2,)), Dense(1)])
    model.save(tmp_path / "m")
    model.save_weights(tmp_path / "w")
    model.load_weights(tmp_path / "w")
    assert calls == [("save_model", model, tmp_path / "m"), ("save_weights", model, tmp_path / "w"), ("load_weights", model, tmp_path / "w")]


@pytest.mark.parametrize("base", ["Layer", "SpatialLayer", "Conv", "ConvTranspose", "Pooling", "UpSampling"])
def test_layer_registry_refuses_abstract_bases(base):
    with pytest.raises(ValueError, match=f"Unknown layer class '{base}'"):
        convlayers.layers.get_layer_class(base)


# -- a Sequential is a Model, and holds models as layers ---------------------------------------------------
def test_sequential_is_a_model_and_model_new_leaves_it_alone():
    from convlayers import Model

    model = Sequential([Input((3,)), Dense(2, name="d")], name="s")
    assert isinstance(model, Model) and type(model) is Sequential
    assert list(model.state_dict()) == ["0.kernel", "0.bias"]
    restored = pickle.loads(pickle.dumps(model))
    assert type(restored) is Sequential and restored.get_layer("d").units == 2 and restored.output_shape == (None, 2)


def test_a_nested_model_is_one_layer_of_a_sequential():
    inner = Sequential([Dense(3, name="a"), Dense(3, name="b")], name="inner")
    model = Sequential([Input((4,)), inner, Dense(2, name="out")], name="outer")
    assert [layer.name for layer in model.layers] == ["inner", "out"] and model.get_layer("inner") is inner
    assert list(model.state_dict()) == ["0.0.kernel", "0.0.bias", "0.1.kernel", "0.1.bias", "1.kernel", "1.bias"]
    assert model.layer_output_shapes == [(None, 3), (None, 2)] and model.count_params() == 15 + 12 + 8
    x = np.random.default_rng(0).standard_normal((2, 4)).astype("float32")
    w = model.get_weights()
    np.testing.assert_allclose(model(x), ((x @ w[0] + w[1]) @ w[2] + w[3]) @ w[4] + w[5], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"weight `kernel` of layer 'b' must have shape \(3, 3\)"):
        model.set_weights(w[:2] + [np.zeros((2, 3), "float32")] + w[3:])
    assert re.search(r"│ inner \(Sequential\)\s+│ \(None, 3\)\s+│\s+27 │", model.summary_text())
    entry = model.get_config()["layers"][1]
    assert (entry["module"], entry["class_name"], entry["build_config"]) == ("keras", "Sequential", {"input_shape": (None, 4)})
    clone = Sequential.from_config(model.get_config())
    assert type(clone[0]) is Sequential and [layer.name for layer in clone[0].layers] == ["a", "b"]
    clone.set_weights(w)
    np.testing.assert_array_equal(clone(x), model(x))
    model.trainable = False
    assert not inner.trainable and not inner[0].trainable and model.trainable_weights == []
    with pytest.raises(ValueError, match="a model cannot be added to itself"):
        model.add(model)
