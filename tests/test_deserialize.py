"""Keras's ``deserialize(config, custom_objects=None)`` for regularizers, initializers, constraints and activations."""

import pytest
import torch

from convlayers import activations, constraints, initializers, regularizers


@pytest.mark.parametrize(
    "module, obj",
    [
        (regularizers, regularizers.L1L2(l1=0.1, l2=0.2)),
        (regularizers, regularizers.OrthogonalRegularizer(factor=0.3, mode="columns")),
        (initializers, initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="uniform", seed=3)),
        (initializers, initializers.Constant(0.5)),
        (constraints, constraints.MinMaxNorm(min_value=0.5, max_value=2.0, rate=0.5, axis=1)),
    ],
)
def test_deserialize_inverts_serialize(module, obj):
    again = module.deserialize(module.serialize(obj))
    assert type(again) is type(obj) and again.get_config() == obj.get_config()


def test_activations_deserialize_names_and_function_dicts():
    assert activations.deserialize("gelu").name == "gelu"
    assert activations.deserialize({"class_name": "function", "config": "relu6", "module": "keras.activations"}).name == "relu6"


def test_none_stays_none_where_keras_allows_it():
    assert regularizers.deserialize(None) is None and constraints.deserialize(None) is None


def test_custom_objects_come_first():
    class Doubling(regularizers.Regularizer):
        def __init__(self, factor=2.0):
            self.factor = factor

        def __call__(self, w):
            return self.factor * w.sum()

        def get_config(self):
            return {"factor": self.factor}

    made = regularizers.deserialize({"class_name": "Doubling", "config": {"factor": 3.0}}, custom_objects={"Doubling": Doubling})
    assert isinstance(made, Doubling) and float(made(torch.ones(2))) == 6.0
    halved = activations.deserialize({"class_name": "function", "config": "half"}, custom_objects={"half": lambda x: x / 2})
    assert torch.equal(halved(torch.tensor([2.0])), torch.tensor([1.0]))


@pytest.mark.parametrize("module", [regularizers, initializers, constraints, activations])
def test_what_is_not_a_config_is_refused(module):
    with pytest.raises(TypeError, match="expected a name or a Keras config dict"):
        module.deserialize(42)
    with pytest.raises(ValueError, match="Unknown"):
        module.deserialize({"class_name": "NoSuchThing", "config": {}})
