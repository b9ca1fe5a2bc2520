"""Keras 3 optimizers and learning-rate schedules against Keras's own numbers
(tests/fixtures/optimizers, written by its generate.py with Keras 3.15), and their torch side:
GradScaler, lr_scheduler, state_dict, compile/fit."""

import copy
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

import convlayers
from convlayers import Dense, Input, Sequential, optimizers
schedules = optimizers.schedules

FIXTURES = Path(__file__).parent / "fixtures" / "optimizers"
ARRAYS = np.load(FIXTURES / "keras_optimizers.npz")
CASES = json.loads((FIXTURES / "keras_optimizers.json").read_text())
#: Updates written here in Keras's form: equal to Keras's up to float32 rounding.
KERAS_FORM = ("SGD", "RMSprop", "Lion")


def _variables():
    return [torch.nn.Parameter(torch.tensor(ARRAYS[f"initial_{i}"])) for i in range(len(CASES["shapes"]))]


def _run(optimizer, variables):
    trajectory, rates = [], []
    for t in range(CASES["steps"]):
        rates.append(optimizer.learning_rate)
        for i, variable in enumerate(variables):
            variable.grad = torch.tensor(ARRAYS[f"grad_{t}_{i}"])
        optimizer.step()
        trajectory.append(np.concatenate([v.detach().numpy().ravel() for v in variables]))
    return trajectory, rates


# -- Keras's numbers ---------------------------------------------------------------------------------
@pytest.mark.parametrize("key", sorted(CASES["optimizers"]))
def test_updates_match_keras(key):
    case = CASES["optimizers"][key]
    optimizer = optimizers.deserialize(case["serialized"])  # Keras's own serialized config
    assert type(optimizer).__name__ == case["class_name"]
    variables = _variables()
    trajectory, rates = _run(optimizer.build(variables), variables)
    if optimizer.use_ema:
        optimizer.finalize_variable_values()
        trajectory.append(np.concatenate([v.detach().numpy().ravel() for v in variables]))
    np.testing.assert_allclose(rates, case["rates"], rtol=1e-7)  # Keras's float32 rates: the schedule is exact
    if case["class_name"] in KERAS_FORM:
        np.testing.assert_allclose(np.stack(trajectory), ARRAYS[f"trajectory_{key}"], rtol=1e-6, atol=1e-7)
    else:
        # torch's Adam family adds epsilon after the bias correction (module docstring): on gradients
        # of 1e-2 that moves a step by about 1e-4 of itself, 1e-6 on these weights after six steps.
        np.testing.assert_allclose(np.stack(trajectory), ARRAYS[f"trajectory_{key}"], rtol=1e-5, atol=2e-6)
    assert optimizer.iterations == CASES["steps"] // (optimizer.gradient_accumulation_steps or 1)


@pytest.mark.parametrize("key", sorted(CASES["optimizers"]))
def test_configs_are_keras_configs(key):
    keras_config = CASES["optimizers"][key]["serialized"]
    ours = optimizers.serialize(optimizers.deserialize(keras_config))
    assert list(ours) == list(keras_config) and list(ours["config"]) == list(keras_config["config"])
    for name, value in keras_config["config"].items():
        if name == "learning_rate" and isinstance(value, float):
            assert ours["config"][name] == pytest.approx(value, rel=1e-7)  # Keras holds it in float32
        elif name != "name":
            assert ours["config"][name] == value, name


@pytest.mark.parametrize("key", sorted(CASES["schedules"]))
def test_schedules_match_keras_over_200_steps(key):
    schedule = schedules.deserialize(CASES["schedules"][key])
    assert schedules.serialize(schedule) == CASES["schedules"][key]
    values = [schedule(step) for step in range(200)]
    np.testing.assert_allclose(values, ARRAYS[f"schedule_{key}"], rtol=3e-7)


def test_default_names_are_keras_snake_case():
    names = {cls: getattr(optimizers, cls)().name for cls in ("SGD", "Adam", "AdamW", "RMSprop", "Nadam", "Lion")}
    assert names == {"SGD": "sgd", "Adam": "adam", "AdamW": "adam_w", "RMSprop": "rm_sprop", "Nadam": "nadam", "Lion": "lion"}
    assert optimizers.Adam(name="mine").get_config()["name"] == "mine"


# -- Keras's errors ---------------------------------------------------------------------------------
def test_keras_argument_errors():
    with pytest.raises(ValueError, match="SGD: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match=r"`gradient_accumulation_steps` must be an integer >= 2. Received: gradient_accumulation_steps=1"):
        optimizers.Adam(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match=r"`ema_momentum` must be in the range \[0, 1\]"):
        optimizers.Adam(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="argument `learning_rate` should be float.*Received instead: learning_rate=1$"):
        optimizers.SGD(1)
    with pytest.raises(ValueError, match=r"SGD: `momentum` must be a float between \[0, 1\]"):
        optimizers.SGD(momentum=2.0)
    with pytest.raises(ValueError, match="AdamW: argument `weight_decay` must be a float. Received: weight_decay=None"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="Lion: argument `beta_1` must be in the"):
        optimizers.Lion(beta_1=0.0)
    with pytest.warns(UserWarning, match="`decay` is no longer supported"):
        optimizers.SGD(decay=0.1)
    for name in ("Ftrl", "Adafactor", "Lamb"):
        with pytest.raises(NotImplementedError, match=f"convlayers does not implement Keras's {name} optimizer"):
            optimizers.get(name.lower())
    with pytest.raises(ValueError, match="Unknown optimizer 'adamm'"):
        optimizers.get("adamm")


def test_get_accepts_names_objects_and_configs():
    adam = optimizers.Adam(1e-3, clipnorm=1.0)
    assert optimizers.get(adam) is adam
    assert type(optimizers.get("ADAMW")) is optimizers.AdamW and optimizers.get("adamw").weight_decay == 0.004
    assert optimizers.get({"class_name": "Lion", "config": {"beta_2": 0.5}}).beta_2 == 0.5
    assert optimizers.AdamW is convlayers.models.optimizers.AdamW and convlayers.optimizers.Lion is optimizers.Lion


# -- the learning rate ----------------------------------------------------------------------------------
def test_learning_rate_setter_writes_the_groups_and_refuses_to_replace_a_schedule():
    w = torch.nn.Parameter(torch.zeros(2))
    optimizer = optimizers.SGD(0.1).build([w])
    optimizer.learning_rate = 0.5
    assert optimizer.param_groups[0]["lr"] == 0.5 and optimizer.learning_rate == 0.5
    optimizer.param_groups[0]["lr"] = 0.25  # a torch lr_scheduler writes here
    assert optimizer.learning_rate == 0.25 and optimizer.get_config()["learning_rate"] == 0.25
    scheduled = optimizers.SGD(schedules.ExponentialDecay(1.0, 1, 0.5)).build([torch.nn.Parameter(torch.zeros(1))])
    with pytest.raises(TypeError, match="created with a `LearningRateSchedule`.*not settable"):
        scheduled.learning_rate = 0.1
    callable_rate = optimizers.SGD(lambda: 0.3)
    assert callable_rate.learning_rate == 0.3


def test_torch_lr_scheduler_and_grad_scaler_drive_a_keras_optimizer():
    w = torch.nn.Parameter(torch.tensor([3.0, 4.0]))
    optimizer = optimizers.SGD(1.0, clipnorm=1.0).build([w])
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    scaler.scale((w * torch.tensor([3.0, 4.0])).sum()).backward()  # gradient (3, 4): norm 5
    scaler.step(optimizer)  # unscaled first, then clipped to norm 1: (0.6, 0.8)
    scaler.update()
    scheduler.step()
    np.testing.assert_allclose(w.detach().numpy(), [2.4, 3.2], rtol=1e-6)
    assert optimizer.learning_rate == 0.5 and optimizer.iterations == 1


# -- state -------------------------------------------------------------------------------------------------
def _trained(optimizer, steps):
    variables = _variables()
    optimizer.build(variables)
    for t in range(steps):
        for i, variable in enumerate(variables):
            variable.grad = torch.tensor(ARRAYS[f"grad_{t}_{i}"])
        optimizer.step()
    return variables


def test_state_dict_round_trip_keeps_iterations_ema_and_accumulators():
    make = lambda: optimizers.Adam(0.01, use_ema=True, gradient_accumulation_steps=2)  # noqa: E731
    first = make()
    variables = _trained(first, 3)
    second = make().build(variables)
    second.load_state_dict(first.state_dict())
    assert second._iterations == 3 and second.iterations == 1
    for mine, theirs in zip(second._averages + second._accumulators, first._averages + first._accumulators):
        assert torch.equal(mine, theirs)
    assert torch.equal(second.state[variables[0]]["exp_avg"], first.state[variables[0]]["exp_avg"])


def test_pickle_and_deepcopy_keep_keras_attributes():
    optimizer = optimizers.RMSprop(0.01, momentum=0.5)
    _trained(optimizer, 2)
    for clone in (pickle.loads(pickle.dumps(optimizer)), copy.deepcopy(optimizer)):
        assert clone.iterations == 2 and clone.momentum == 0.5 and clone.learning_rate == 0.01
    assert pickle.loads(pickle.dumps(optimizers.Adam(0.1))).learning_rate == 0.1  # unbuilt too


def test_build_binds_once_and_apply_gradients():
    w = torch.nn.Parameter(torch.ones(2))
    optimizer = optimizers.SGD(0.5)
    assert optimizer.apply_gradients([(torch.tensor([1.0, 2.0]), w)]) == 1
    np.testing.assert_allclose(w.detach().numpy(), [0.5, 0.0])
    assert optimizer.build([w]) is optimizer
    with pytest.raises(ValueError, match="was already built over other parameters"):
        optimizer.build([torch.nn.Parameter(torch.ones(2))])
    with pytest.raises(RuntimeError, match=r"Adam 'adam'.step\(\): the optimizer is not built"):
        optimizers.Adam().step()


# -- with compile and fit --------------------------------------------------------------------------------
def _model():
    torch.manual_seed(0)
    return Sequential([Input((3,)), Dense(2)])


def _xy():
    rng = np.random.default_rng(1)
    return rng.standard_normal((16, 3)).astype("float32"), rng.standard_normal((16, 2)).astype("float32")


def test_compile_keeps_the_keras_object_as_model_optimizer():
    model = _model()
    optimizer = optimizers.Adam(1e-3, clipnorm=1.0)
    model.compile(optimizer, "mse")
    assert model.optimizer is optimizer and isinstance(model.optimizer, torch.optim.Optimizer)
    model.fit(*_xy(), batch_size=4, epochs=2, verbose=0)
    assert model.optimizer.iterations == 8
    model.compile("adam", "mse")
    assert type(model.optimizer) is optimizers.Adam and model.optimizer.iterations == 0


def test_loss_scale_factor_scales_the_loss_and_not_the_update():
    x, y = _xy()
    weights = []
    for factor in (None, 1024.0):
        model = _model()
        model.compile(optimizers.SGD(0.1, loss_scale_factor=factor), "mse")
        model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_fit_ends_with_the_ema_weights():
    x, y = _xy()
    model = _model()
    start = [w.copy() for w in model.get_weights()]
    model.compile(optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5), "mse")
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    # NumPy: two plain SGD steps, the EMA starts at the first step's weights.
    kernel, bias = (w.astype(np.float64) for w in start)
    averages = None
    for _ in range(2):
        d = 2 * (x @ kernel + bias - y) / y.size
        kernel, bias = kernel - 0.1 * x.T @ d, bias - 0.1 * d.sum(axis=0)
        averages = [kernel, bias] if averages is None else [0.5 * a + 0.5 * w for a, w in zip(averages, (kernel, bias))]
    for got, expected in zip(model.get_weights(), averages):
        np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_compile_on_an_unbuilt_model_gives_the_keras_object_at_once():
    model = Sequential([Dense(2)])  # built by fit, from the data
    optimizer = optimizers.SGD(0.1)
    model.compile(optimizer, "mse")
    assert model.optimizer is optimizer and not optimizer.built
    optimizer.learning_rate = 0.05  # before any step, as Keras allows
    model.summary(print_fn=lambda line, **kwargs: None)  # reads the (empty) optimizer state
    model.fit(*_xy(), batch_size=16, epochs=1, verbose=0)
    assert model.optimizer is optimizer and optimizer.built and optimizer.param_groups[0]["lr"] == 0.05


def test_schedule_argument_errors_and_custom_schedules():
    with pytest.raises(ValueError, match="ExponentialDecay: argument `decay_steps` must be > 0. Received: decay_steps=0"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="CosineDecayRestarts: argument `first_decay_steps` must be > 0"):
        schedules.CosineDecayRestarts(0.1, -1)
    with pytest.raises(ValueError, match="the length of boundaries should be 1 less than the length of values"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0, 0.5])

    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 1.0 / 2**step

        def get_config(self):
            return {}

    w = torch.nn.Parameter(torch.zeros(1))
    optimizer = optimizers.SGD(Halving()).build([w])
    for _ in range(3):
        w.grad = torch.ones(1)
        optimizer.step()
    assert w.item() == -(1 + 0.5 + 0.25) and optimizer.learning_rate == 0.125
    config = optimizers.serialize(optimizer)["config"]["learning_rate"]
    assert config["class_name"] == "Halving" and type(schedules.deserialize(config, {"Halving": Halving})) is Halving
