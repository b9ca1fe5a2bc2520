"""Keras's custom objects: registration, scopes, serialize/deserialize, and loading custom layers from files.

The Keras side is tests/fixtures/custom_objects/ (make_custom_objects.py wrote it in Keras 3.15):
a Sequential with a registered custom ``ScaledDense`` saved as ``.keras``, its outputs, and
the dicts Keras's ``serialize_keras_object`` gave.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

import convlayers
from convlayers import initializers, saving
from convlayers.layers import Layer, get_layer_class

HERE = os.path.join(os.path.dirname(__file__), "fixtures", "custom_objects")
KERAS_FILE = os.path.join(HERE, "scaled_dense.keras")


class ScaledDense(Layer):
    """The fixture's custom layer, written for convlayers: ``factor * x @ kernel + bias``."""

    def __init__(self, units, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.factor = factor

    def _build(self, input_shape):
        self.add_weight("kernel", (input_shape[-1], self.units), initializer=initializers.get("glorot_uniform"))
        self.add_weight("bias", (self.units,), initializer=initializers.get("random_normal"))

    def call(self, x):
        return self.factor * x @ self.kernel + self.bias

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def _config(self):
        return {"units": self.units, "factor": self.factor}


@pytest.fixture
def registry_restored():
    """Each test's registrations are undone after it (the registry is global, as in Keras)."""
    from convlayers import object_registration

    objects, names = dict(object_registration._GLOBAL_OBJECTS), dict(object_registration._GLOBAL_NAMES)
    yield
    object_registration._GLOBAL_OBJECTS.clear()
    object_registration._GLOBAL_OBJECTS.update(objects)
    object_registration._GLOBAL_NAMES.clear()
    object_registration._GLOBAL_NAMES.update(names)


def _keras_outputs():
    data = np.load(os.path.join(HERE, "scaled_dense.npz"))
    return data["x"], data["y"]


def test_keras_file_with_a_custom_layer_loads_with_custom_objects():
    x, expected = _keras_outputs()
    model = saving.load_model(KERAS_FILE, custom_objects={"Probe>ScaledDense": ScaledDense})
    assert isinstance(model.layers[0], ScaledDense) and model.layers[0].factor == 0.5
    np.testing.assert_allclose(model(x), expected, rtol=1e-5, atol=1e-6)


def test_custom_objects_may_also_name_the_class():
    # Keras itself wants the registered name here; convlayers accepts the class name as well.
    x, expected = _keras_outputs()
    model = saving.load_model(KERAS_FILE, custom_objects={"ScaledDense": ScaledDense})
    np.testing.assert_allclose(model(x), expected, rtol=1e-5, atol=1e-6)


def test_keras_file_with_a_custom_layer_loads_once_registered(registry_restored):
    x, expected = _keras_outputs()
    saving.register_keras_serializable(package="Probe")(ScaledDense)
    np.testing.assert_allclose(saving.load_model(KERAS_FILE)(x), expected, rtol=1e-5, atol=1e-6)


def test_without_the_class_the_file_is_refused_naming_it():
    with pytest.raises(ValueError, match="Probe>ScaledDense"):
        saving.load_model(KERAS_FILE)


def test_the_scope_ends_with_load_model():
    saving.load_model(KERAS_FILE, custom_objects={"Probe>ScaledDense": ScaledDense})
    assert saving.get_registered_object("Probe>ScaledDense") is None


@pytest.mark.parametrize("suffix", [".keras", ".h5", ".safetensors"])
def test_convlayers_file_with_a_registered_custom_layer_round_trips(tmp_path, registry_restored, suffix):
    saving.register_keras_serializable(package="Probe")(ScaledDense)
    model = convlayers.Sequential([convlayers.Input((4,)), ScaledDense(3, factor=0.5, name="scaled"), convlayers.Dense(2)])
    path = tmp_path / f"m{suffix}"
    saving.save_model(model, path)
    x = np.random.default_rng(1).normal(size=(2, 4)).astype("float32")
    np.testing.assert_allclose(saving.load_model(path)(x), model(x), rtol=1e-6)


def test_convlayers_keras_file_entry_is_as_keras_writes_it(tmp_path, registry_restored):
    import zipfile

    saving.register_keras_serializable(package="Probe")(ScaledDense)
    model = convlayers.Sequential([convlayers.Input((4,)), ScaledDense(3, name="scaled")])
    saving.save_model(model, tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        entry = json.loads(archive.read("config.json"))["config"]["layers"][1]
    keras_entry = json.loads(zipfile.ZipFile(KERAS_FILE).read("config.json"))["config"]["layers"][1]
    assert (entry["module"], entry["class_name"], entry["registered_name"]) == (
        keras_entry["module"], keras_entry["class_name"], keras_entry["registered_name"]
    )


def test_unregistered_custom_file_loads_with_custom_objects_by_class_name(tmp_path):
    model = convlayers.Sequential([convlayers.Input((4,)), ScaledDense(3, name="scaled")])
    saving.save_model(model, tmp_path / "m.keras")
    x = np.ones((1, 4), "float32")
    np.testing.assert_allclose(saving.load_model(tmp_path / "m.keras", custom_objects={"ScaledDense": ScaledDense})(x), model(x))


def test_serialize_keras_object_matches_keras(registry_restored):
    keras = json.load(open(os.path.join(HERE, "serialized.json")))
    saving.register_keras_serializable(package="Probe")(ScaledDense)
    assert saving.get_registered_name(ScaledDense) == keras["registered_name"]
    ours = saving.serialize_keras_object(ScaledDense(3, name="s"))
    for key in ("module", "class_name", "registered_name"):
        assert ours[key] == keras["layer"][key]
    assert set(ours) == set(keras["layer"])
    assert {k: ours["config"][k] for k in ("units", "factor", "name", "trainable")} == {
        k: keras["layer"]["config"][k] for k in ("units", "factor", "name", "trainable")
    }
    dense = saving.serialize_keras_object(convlayers.Dense(2, name="d"))
    assert (dense["module"], dense["class_name"], dense["registered_name"]) == ("keras.layers", "Dense", None)


def test_deserialize_keras_object_rebuilds_registered_layer(registry_restored):
    saving.register_keras_serializable(package="Probe")(ScaledDense)
    layer = saving.deserialize_keras_object(saving.serialize_keras_object(ScaledDense(4, factor=3.0, name="s")))
    assert type(layer) is ScaledDense and (layer.units, layer.factor, layer.name) == (4, 3.0, "s")


def test_deserialize_keras_object_with_custom_objects_and_plain_values():
    entry = {"class_name": "ScaledDense", "config": {"units": 2}, "module": None, "registered_name": "X>ScaledDense"}
    assert type(saving.deserialize_keras_object(entry, custom_objects={"X>ScaledDense": ScaledDense})) is ScaledDense
    assert saving.deserialize_keras_object("relu") == "relu" and saving.deserialize_keras_object(None) is None
    with pytest.raises(TypeError, match="Could not locate class 'ScaledDense'"):
        saving.deserialize_keras_object(entry)


def test_register_keras_serializable_names_and_refusals(registry_restored):
    saving.register_keras_serializable(package="P", name="N")(ScaledDense)
    assert saving.get_registered_name(ScaledDense) == "P>N"
    assert saving.get_custom_objects()["P>N"] is ScaledDense
    assert get_layer_class("P>N") is ScaledDense
    with pytest.raises(ValueError, match=r"Cannot register a class that does not have a get_config\(\) method"):
        saving.register_keras_serializable(package="P")(int)
    assert saving.get_registered_name(convlayers.Dense) == "Dense"


def test_get_custom_objects_is_the_registry(registry_restored):
    saving.get_custom_objects()["ScaledDense"] = ScaledDense
    assert get_layer_class("ScaledDense") is ScaledDense


def test_custom_object_scope_nests_and_restores():
    class Other(ScaledDense):
        pass

    assert saving.custom_object_scope is saving.CustomObjectScope
    with saving.custom_object_scope({"S": ScaledDense}):
        with saving.CustomObjectScope({"S": Other}, None):
            assert get_layer_class("S") is Other
        assert get_layer_class("S") is ScaledDense
    assert saving.get_registered_object("S") is None
    with pytest.raises(TypeError, match="CustomObjectScope: each argument must be a dict"):
        saving.CustomObjectScope(["S"])


def test_get_registered_object_order():
    with saving.custom_object_scope({"A": 1}):
        assert saving.get_registered_object("A", custom_objects={"A": 2}) == 1
    assert saving.get_registered_object("A", custom_objects={"A": 2}, module_objects={"A": 3}) == 2
    assert saving.get_registered_object("A", module_objects={"A": 3}) == 3


def test_from_config_custom_objects_for_sequential_and_functional():
    model = convlayers.Sequential([convlayers.Input((4,)), ScaledDense(3, name="scaled")])
    clone = convlayers.Sequential.from_config(model.get_config(), custom_objects={"ScaledDense": ScaledDense})
    assert type(clone.layers[0]) is ScaledDense
    x = convlayers.Input((4,))
    functional = convlayers.Model(x, ScaledDense(2, name="s")(x))
    rebuilt = convlayers.Model.from_config(functional.get_config(), custom_objects={"ScaledDense": ScaledDense})
    assert type(rebuilt.layers[-1]) is ScaledDense
    with pytest.raises(ValueError, match="ScaledDense"):
        convlayers.Sequential.from_config(model.get_config())


def test_load_model_refuses_non_dict_custom_objects():
    with pytest.raises(TypeError, match="`custom_objects` must be a dict"):
        saving.load_model(KERAS_FILE, custom_objects=[ScaledDense])
