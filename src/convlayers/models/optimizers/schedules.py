"""Keras 3's learning-rate schedules: ``step -> learning rate``, Keras's formulas and configs.

An optimizer given a schedule as ``learning_rate`` evaluates it at ``optimizer.iterations``
(the steps taken so far) before each step. Values are computed in float32, as Keras
computes them (its ``initial_learning_rate`` is a float32 tensor), so the restart points
of :class:`CosineDecayRestarts` fall where Keras's do.

>>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> round(schedule(10), 6), round(schedule(20), 6)
(0.05, 0.025)
>>> deserialize(serialize(schedule)).get_config() == schedule.get_config()
True
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

_F = np.float32


def _check_steps(owner: str, argument: str, value: Any) -> None:
    if value <= 0:
        raise ValueError(f"{owner}: argument `{argument}` must be > 0. Received: {argument}={value}")


class LearningRateSchedule:
    """Base class: ``__call__(step)`` gives the learning rate at ``step``; ``get_config`` its arguments.

    A subclass overrides both; ``from_config(config)`` is ``cls(**config)``, as in Keras.

    >>> class Halving(LearningRateSchedule):
    ...     def __call__(self, step):
    ...         return 1.0 / 2**step
    ...     def get_config(self):
    ...         return {}
    >>> Halving()(3)
    0.125
    """

    def __call__(self, step: int) -> float:
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`.")

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` in order to be serializable."
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "LearningRateSchedule":
        return cls(**config)

    def __repr__(self) -> str:
        try:
            arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            arguments = ""
        return f"{type(self).__name__}({arguments})"


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (the exponent floored with ``staircase``).

    >>> round(ExponentialDecay(1.0, 4, 0.5, staircase=True)(7), 6)
    0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ) -> None:
        _check_steps("ExponentialDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: int) -> float:
        p = _F(step) / _F(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return float(_F(self.initial_learning_rate) * np.power(_F(self.decay_rate), p))

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` for ``boundaries[i-1] < step <= boundaries[i]``, then ``values[-1]``.

    >>> schedule = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    >>> [round(schedule(step), 6) for step in (10, 11, 21)]
    [1.0, 0.5, 0.1]
    """

    def __init__(self, boundaries: Sequence[int], values: Sequence[float], name: str = "PiecewiseConstant") -> None:
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay: the length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and values={values} of length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step: int) -> float:
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return float(_F(value))
        return float(_F(self.values[-1]))

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """From ``initial_learning_rate`` to ``end_learning_rate`` over ``decay_steps`` as ``(1 - step/decay_steps) ** power``.

    With ``cycle``, ``decay_steps`` grows to the first multiple above ``step`` and decay restarts.

    >>> round(PolynomialDecay(1.0, 10, end_learning_rate=0.0)(5), 6), PolynomialDecay(1.0, 10, 0.0)(50)
    (0.5, 0.0)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ) -> None:
        _check_steps("PolynomialDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step: int) -> float:
        step_f, decay_steps = _F(step), _F(self.decay_steps)
        if self.cycle:
            decay_steps = decay_steps * (_F(1.0) if step == 0 else np.ceil(step_f / _F(self.decay_steps)))
        else:
            step_f = min(step_f, decay_steps)
        p = step_f / decay_steps
        initial, end = _F(self.initial_learning_rate), _F(self.end_learning_rate)
        return float((initial - end) * np.power(_F(1) - p, _F(self.power)) + end)

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (the ratio floored with ``staircase``).

    >>> InverseTimeDecay(1.0, 1, 0.5)(2)
    0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ) -> None:
        _check_steps("InverseTimeDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: int) -> float:
        p = _F(step) / _F(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return float(_F(self.initial_learning_rate) / (_F(1) + _F(self.decay_rate) * p))

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


def _cosine(fraction: np.float32, alpha: float) -> np.float32:
    decayed = _F(0.5) * (_F(1) + np.cos(_F(math.pi) * fraction))
    return _F(1 - alpha) * decayed + _F(alpha)


class CosineDecay(LearningRateSchedule):
    """Cosine decay from the initial rate (or ``warmup_target``) to ``alpha`` times it over ``decay_steps``.

    With ``warmup_target``, the rate first rises linearly from ``initial_learning_rate`` to
    ``warmup_target`` over ``warmup_steps``, then decays from there.

    >>> schedule = CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=4)
    >>> schedule(2), schedule(4), round(schedule(9), 6), schedule(100)
    (0.5, 1.0, 0.5, 0.0)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ) -> None:
        _check_steps("CosineDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step: int) -> float:
        initial, decay_steps, step_f = _F(self.initial_learning_rate), _F(self.decay_steps), _F(step)
        if self.warmup_target is None:
            step_f = min(step_f, decay_steps)
            return float(initial * _cosine(step_f / decay_steps, self.alpha))
        target, warmup_steps = _F(self.warmup_target), _F(self.warmup_steps)
        step_f = min(step_f, decay_steps + warmup_steps)
        if step_f < warmup_steps:
            return float((target - initial) * (step_f / warmup_steps) + initial)
        return float(target * _cosine((step_f - warmup_steps) / decay_steps, self.alpha))

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps, "alpha": self.alpha,
                "name": self.name, "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): periods grow by ``t_mul``, restart rates by ``m_mul``.

    >>> schedule = CosineDecayRestarts(1.0, first_decay_steps=4, t_mul=1.0)
    >>> [round(schedule(step), 6) for step in (0, 2, 4)]
    [1.0, 0.5, 1.0]
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ) -> None:
        _check_steps("CosineDecayRestarts", "first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step: int) -> float:
        fraction = _F(step) / _F(self.first_decay_steps)
        t_mul = _F(self.t_mul)
        if t_mul == 1:
            restart = np.floor(fraction)
            fraction = fraction - restart
        else:
            restart = np.floor(np.log(_F(1) - fraction * (_F(1) - t_mul)) / np.log(t_mul))
            done = (_F(1) - np.power(t_mul, restart)) / (_F(1) - t_mul)
            fraction = (fraction - done) / np.power(t_mul, restart)
        decayed = _F(0.5) * np.power(_F(self.m_mul), restart) * (_F(1) + np.cos(_F(math.pi) * fraction))
        return float(_F(self.initial_learning_rate) * ((_F(1) - _F(self.alpha)) * decayed + _F(self.alpha)))

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate, "first_decay_steps": self.first_decay_steps,
                "t_mul": self.t_mul, "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


CLASSES: dict[str, type[LearningRateSchedule]] = {
    cls.__name__: cls
    for cls in (ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay, CosineDecay, CosineDecayRestarts)
}


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    """Keras's serialized form: ``{"module", "class_name", "config", "registered_name"}``.

    >>> serialize(InverseTimeDecay(0.1, 10, 0.5))["class_name"]
    'InverseTimeDecay'
    """
    if not isinstance(schedule, LearningRateSchedule):
        raise TypeError(f"schedules.serialize: expected a LearningRateSchedule. Received: {schedule!r}.")
    builtin = CLASSES.get(type(schedule).__name__) is type(schedule)
    return {"module": "keras.optimizers.schedules" if builtin else type(schedule).__module__,
            "class_name": type(schedule).__name__, "config": schedule.get_config(),
            "registered_name": None if builtin else type(schedule).__name__}


def deserialize(config: dict[str, Any], custom_objects: dict[str, type] | None = None) -> LearningRateSchedule:
    """The schedule a :func:`serialize` dict (Keras's) describes; ``custom_objects`` adds classes by name.

    >>> round(deserialize({"class_name": "PolynomialDecay", "config": {"initial_learning_rate": 1.0, "decay_steps": 2}})(1), 6)
    0.50005
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"schedules.deserialize: expected a dict with 'class_name' and 'config'. Received: {config!r}.")
    known = {**CLASSES, **(custom_objects or {})}
    name = config.get("registered_name") or config["class_name"]
    cls = known.get(name) or known.get(config["class_name"])
    if cls is None:
        raise ValueError(f"schedules.deserialize: unknown schedule {config['class_name']!r}. Known: {', '.join(known)}.")
    return cls.from_config(dict(config.get("config", {})))
