"""Keras's everyday helpers: clone_model, clear_session, is_keras_tensor, get_source_inputs, pack/unpack, Progbar.

Expected values are Keras 3.15's (checked there: names after clear_session, pack/unpack results
and messages) or follow from the definitions.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import convlayers
from convlayers import mixed_precision, utils


def _functional():
    a, b = convlayers.Input((4,), name="a"), convlayers.Input((4,), name="b")
    hidden = convlayers.Dense(3, name="h")(convlayers.Add(name="add")([a, b]))
    return convlayers.Model([a, b], convlayers.Dense(2, name="out")(hidden), name="two_inputs")


def test_clone_sequential_has_new_weights_same_architecture():
    torch.manual_seed(0)
    model = convlayers.Sequential([convlayers.Input((4,)), convlayers.Dense(3, name="d"), convlayers.Dense(1)], name="m")
    clone = utils.clone_model(model)
    assert clone.name == "m" and [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    assert not np.allclose(clone.get_weights()[0], model.get_weights()[0])
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(0).normal(size=(2, 4)).astype("float32")
    np.testing.assert_array_equal(clone(x), model(x))


def test_clone_functional_replays_the_graph():
    model = _functional()
    clone = convlayers.models.clone_model(model)
    assert clone.name == "two_inputs" and len(clone.inputs) == 2
    clone.set_weights(model.get_weights())
    x = [np.ones((2, 4), "float32"), np.full((2, 4), 2.0, "float32")]
    np.testing.assert_array_equal(clone(x), model(x))
    assert all(a is not b for a, b in zip(clone.layers, model.layers))


def test_clone_function_replaces_layers():
    model = _functional()
    seen = []

    def relu_dense(layer):
        seen.append(layer.name)
        config = layer.get_config()
        if isinstance(layer, convlayers.Dense):
            config["activation"] = "relu"
        return type(layer).from_config(config)

    clone = utils.clone_model(model, clone_function=relu_dense)
    assert seen == ["add", "h", "out"]
    assert clone.get_layer("out").get_config()["activation"] == "relu"


def test_clone_on_input_tensors():
    model = convlayers.Sequential([convlayers.Input((4,)), convlayers.Dense(3, name="d")])
    clone = utils.clone_model(model, input_tensors=convlayers.Input((4,), name="new"))
    assert clone.output_shape == (None, 3)


def test_clone_refusals():
    with pytest.raises(ValueError, match="clone_model: expected a Sequential or functional Model"):
        utils.clone_model(convlayers.Dense(2))
    with pytest.raises(TypeError, match="`clone_function` must be callable"):
        utils.clone_model(_functional(), clone_function=3)


def test_clear_session_restarts_names_and_the_policy():
    convlayers.Conv2D(2, 3)
    assert convlayers.Conv2D(2, 3).name != "conv2d"
    mixed_precision.set_global_policy("mixed_float16")
    utils.clear_session()
    assert convlayers.Conv2D(2, 3).name == "conv2d" and convlayers.Conv2D(2, 3).name == "conv2d_1"
    assert convlayers.Sequential().name == "sequential"
    assert mixed_precision.global_policy().name == "float32"


def test_is_keras_tensor_and_get_source_inputs():
    model = _functional()
    a, b = model.inputs
    assert utils.is_keras_tensor(a) and not utils.is_keras_tensor(np.zeros(2))
    sources = utils.get_source_inputs(model.outputs[0])
    assert len(sources) == 2 and sources[0] is a and sources[1] is b
    assert utils.get_source_inputs(a) == [a]
    with pytest.raises(ValueError, match="get_source_inputs: expected a KerasTensor"):
        utils.get_source_inputs(np.zeros(2))


def test_pack_and_unpack_as_keras():
    assert utils.pack_x_y_sample_weight([1, 2]) == ([1, 2],)
    assert utils.pack_x_y_sample_weight(1) == 1
    assert utils.pack_x_y_sample_weight(1, 2) == (1, 2)
    assert utils.pack_x_y_sample_weight(1, 2, 3) == (1, 2, 3)
    assert utils.unpack_x_y_sample_weight([1, 2]) == (1, 2, None)
    assert utils.unpack_x_y_sample_weight((1,)) == (1, None, None)
    assert utils.unpack_x_y_sample_weight("x") == ("x", None, None)
    with pytest.raises(ValueError, match=r"Data is expected to be in format .* found: \(1, 2, 3, 4\)"):
        utils.unpack_x_y_sample_weight((1, 2, 3, 4))


def test_progbar_averages_weighted_by_steps(capsys):
    bar = utils.Progbar(10, verbose=2, stateful_metrics=["lr"])
    bar.update(2, [("loss", 1.0), ("lr", 0.1)])  # 2 steps of 1.0
    bar.add(3, [("loss", 6.0), ("lr", 0.2)])  # 3 steps of 6.0
    assert bar.averages() == {"loss": (2 * 1.0 + 3 * 6.0) / 5, "lr": 0.2}
    assert capsys.readouterr().out == ""
    bar.update(10, [("loss", 0.0)])
    assert capsys.readouterr().out.startswith("10/10 - loss:")


def test_progbar_live_bar_and_bad_verbose(capsys):
    bar = utils.Progbar(2)
    bar.add(1, [("loss", 2.0)])
    bar.add(1, [("loss", 4.0)])
    assert "loss: 3.0000" in capsys.readouterr().out
    with pytest.raises(ValueError, match="Progbar: `verbose` must be 0, 1 or 2"):
        utils.Progbar(2, verbose=3)


def test_keras_utils_names_are_there():
    for name in ("PyDataset", "Sequence", "clear_session", "custom_object_scope", "CustomObjectScope", "get_custom_objects",
                 "get_registered_name", "get_registered_object", "register_keras_serializable", "serialize_keras_object",
                 "deserialize_keras_object", "get_source_inputs", "is_keras_tensor", "pack_x_y_sample_weight",
                 "unpack_x_y_sample_weight", "Progbar", "to_categorical", "normalize", "set_random_seed"):
        assert hasattr(utils, name), name


def test_keras_spellings_of_constraints_and_policies():
    from convlayers import constraints

    assert (constraints.max_norm, constraints.min_max_norm, constraints.non_neg, constraints.unit_norm) == (
        constraints.MaxNorm, constraints.MinMaxNorm, constraints.NonNeg, constraints.UnitNorm
    )
    policy = mixed_precision.Policy("mixed_bfloat16")
    assert (policy.compute_dtype, policy.variable_dtype) == ("bfloat16", "float32")  # Keras 3.15's values
    mixed_precision.set_dtype_policy("mixed_float16")
    try:
        assert mixed_precision.dtype_policy().name == "mixed_float16"
    finally:
        mixed_precision.set_dtype_policy(None)
