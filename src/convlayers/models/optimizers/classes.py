"""Keras 3's optimizers: Keras's constructors and configs, updates by torch or written here.

SGD, RMSprop and Lion update in Keras's own form (SGD's and RMSprop's momentum hold
``lr``-scaled steps in Keras but raw gradients in torch, which differs once the learning
rate changes; RMSprop's epsilon goes inside the square root). The Adam family, Adagrad and
Adadelta use torch's updates, which differ from Keras's only in where ``epsilon`` enters
(see :mod:`convlayers.optimizers`). Keras's ``weight_decay`` is applied by the base class
for all of them, torch's own (L2) decay is left at 0.
"""

from __future__ import annotations

from typing import Any

import torch

from .base import LearningRate, Optimizer


class SGD(Optimizer):
    """Gradient descent with momentum (Keras ``SGD``): ``m = momentum * m - lr * g``; ``w += m``.

    With ``nesterov``, ``w += momentum * m - lr * g``. Plus the common arguments of
    :class:`~convlayers.optimizers.Optimizer`.

    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> optimizer = SGD(0.1, momentum=0.5).build([w])
    >>> for _ in range(2):
    ...     w.grad = torch.tensor([1.0])
    ...     _ = optimizer.step()
    >>> round(w.item(), 6), optimizer.iterations   # 1 - 0.1 - (0.05 + 0.1)
    (0.75, 2)
    """

    _own = ("momentum", "nesterov")

    def __init__(self, learning_rate: LearningRate = 0.01, momentum: float = 0.0, nesterov: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        if not isinstance(momentum, float) or momentum < 0 or momentum > 1:
            raise ValueError(f"SGD: `momentum` must be a float between [0, 1]. Received: momentum={momentum!r}")
        self.momentum = momentum
        self.nesterov = nesterov

    def _torch_arguments(self) -> dict[str, Any]:
        return {"momentum": self.momentum, "nesterov": self.nesterov}

    def _update(self) -> None:
        for group in self.param_groups:
            lr, momentum = group["lr"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if momentum == 0:
                    p.sub_(p.grad * lr)
                    continue
                m = self.state[p].setdefault("momentum", torch.zeros_like(p))
                m.copy_(m * momentum - p.grad * lr)
                p.add_(m * momentum - p.grad * lr if group["nesterov"] else m)


class RMSprop(Optimizer):
    """Keras ``RMSprop``: ``v = rho * v + (1 - rho) * g**2``; ``w -= lr * g / sqrt(v + epsilon)``.

    ``centered`` subtracts the squared running mean gradient inside the root; ``momentum``
    accumulates the steps (``m = momentum * m + step``; ``w -= m``).

    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> optimizer = RMSprop(0.1, rho=0.0).build([w])
    >>> w.grad = torch.tensor([2.0])
    >>> _ = optimizer.step()
    >>> round(w.item(), 5)   # 1 - 0.1 * 2 / sqrt(4 + 1e-7)
    0.9
    """

    _own = ("rho", "momentum", "epsilon", "centered")

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def _torch_arguments(self) -> dict[str, Any]:
        return {"alpha": self.rho, "momentum": self.momentum, "eps": self.epsilon, "centered": self.centered}

    def _update(self) -> None:
        for group in self.param_groups:
            lr, rho, eps = group["lr"], group["alpha"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g, state = p.grad, self.state[p]
                v = state.setdefault("velocity", torch.zeros_like(p))
                v.copy_(rho * v + (1 - rho) * torch.square(g))
                if group["centered"]:
                    a = state.setdefault("average_gradient", torch.zeros_like(p))
                    a.copy_(rho * a + (1 - rho) * g)
                    denominator = v - torch.square(a) + eps
                else:
                    denominator = v + eps
                increment = lr * g / torch.sqrt(denominator)
                if group["momentum"] > 0:
                    m = state.setdefault("momentum", torch.zeros_like(p))
                    m.copy_(group["momentum"] * m + increment)
                    p.sub_(m)
                else:
                    p.sub_(increment)


class Lion(Optimizer):
    """Keras ``Lion``: ``w -= lr * sign(beta_1 * m + (1 - beta_1) * g)``; ``m = beta_2 * m + (1 - beta_2) * g``.

    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0, 1.0]))
    >>> optimizer = Lion(0.1).build([w])
    >>> w.grad = torch.tensor([3.0, -0.01])
    >>> _ = optimizer.step()
    >>> [round(v, 6) for v in w.tolist()]
    [0.9, 1.1]
    """

    _own = ("beta_1", "beta_2")

    def __init__(self, learning_rate: LearningRate = 0.001, beta_1: float = 0.9, beta_2: float = 0.99, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Lion: argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer degenerates to "
                f"SignSGD. Received: beta_1={beta_1}."
            )
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def _torch_arguments(self) -> dict[str, Any]:
        return {"betas": (self.beta_1, self.beta_2)}

    def _update(self) -> None:
        for group in self.param_groups:
            lr, (beta_1, beta_2) = group["lr"], group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                m = self.state[p].setdefault("momentum", torch.zeros_like(p))
                p.sub_(lr * torch.sign(m * beta_1 + p.grad * (1 - beta_1)))
                m.copy_(m * beta_2 + p.grad * (1 - beta_2))


class _AdamLike(Optimizer):
    """Keras's ``beta_1``, ``beta_2``, ``epsilon`` as torch's ``betas`` and ``eps``."""

    def __init__(self, learning_rate: LearningRate, beta_1: float, beta_2: float, epsilon: float, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _torch_arguments(self) -> dict[str, Any]:
        return {"betas": (self.beta_1, self.beta_2), "eps": self.epsilon, "weight_decay": 0.0}


class Adam(_AdamLike, torch.optim.Adam):
    """Keras ``Adam`` (torch's update; ``epsilon`` enters after the bias correction there).

    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> optimizer = Adam(0.1).build([w])
    >>> w.grad = torch.tensor([5.0])
    >>> _ = optimizer.step()
    >>> round(w.item(), 5)   # the first Adam step is lr * sign(g)
    0.9
    """

    _own = ("beta_1", "beta_2", "epsilon", "amsgrad")
    _torch_class = torch.optim.Adam

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)
        self.amsgrad = amsgrad

    def _torch_arguments(self) -> dict[str, Any]:
        return {**super()._torch_arguments(), "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Keras ``AdamW``: Adam with Keras's decoupled ``weight_decay`` (default 0.004; ``None`` refused).

    >>> AdamW().get_config()["weight_decay"]
    0.004
    """

    def __init__(
        self,
        learning_rate: LearningRate = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay=weight_decay, **kwargs)
        if self.weight_decay is None:
            raise ValueError("AdamW: argument `weight_decay` must be a float. Received: weight_decay=None")


class Adamax(_AdamLike, torch.optim.Adamax):
    """Keras ``Adamax`` (torch's update; ``epsilon`` enters inside the max there).

    >>> Adamax(0.002).get_config()["learning_rate"]
    0.002
    """

    _own = ("beta_1", "beta_2", "epsilon")
    _torch_class = torch.optim.Adamax

    def __init__(self, learning_rate: LearningRate = 0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)


class Nadam(_AdamLike, torch.optim.NAdam):
    """Keras ``Nadam``: torch's NAdam with ``momentum_decay=1``, Keras's momentum schedule ``beta_1 * (1 - 0.5 * 0.96**t)``.

    >>> Nadam().get_config()["epsilon"]
    1e-07
    """

    _own = ("beta_1", "beta_2", "epsilon")
    _torch_class = torch.optim.NAdam

    def __init__(self, learning_rate: LearningRate = 0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)

    def _torch_arguments(self) -> dict[str, Any]:
        return {**super()._torch_arguments(), "momentum_decay": 1.0}


class Adagrad(Optimizer, torch.optim.Adagrad):
    """Keras ``Adagrad`` (torch's update; ``epsilon`` outside the square root there).

    >>> Adagrad().get_config()["initial_accumulator_value"]
    0.1
    """

    _own = ("initial_accumulator_value", "epsilon")
    _torch_class = torch.optim.Adagrad

    def __init__(self, learning_rate: LearningRate = 0.001, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _torch_arguments(self) -> dict[str, Any]:
        return {"initial_accumulator_value": self.initial_accumulator_value, "eps": self.epsilon, "weight_decay": 0.0}


class Adadelta(Optimizer, torch.optim.Adadelta):
    """Keras ``Adadelta`` (torch's update, the same formula).

    >>> Adadelta().get_config()["rho"]
    0.95
    """

    _own = ("rho", "epsilon")
    _torch_class = torch.optim.Adadelta

    def __init__(self, learning_rate: LearningRate = 0.001, rho: float = 0.95, epsilon: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(learning_rate, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def _torch_arguments(self) -> dict[str, Any]:
        return {"rho": self.rho, "eps": self.epsilon, "weight_decay": 0.0}


class _Refused:
    """A Keras optimizer convlayers does not implement: constructing it says so and what to use."""

    _alternative = "Adam or AdamW"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            f"convlayers does not implement Keras's {type(self).__name__} optimizer. Use one of SGD, Adam, AdamW, "
            f"RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion, or pass a torch.optim.Optimizer (or a factory "
            f"params -> optimizer) to compile()."
        )


class Ftrl(_Refused):
    """Keras ``Ftrl``: not implemented here; constructing it raises ``NotImplementedError``.

    >>> Ftrl()
    Traceback (most recent call last):
    NotImplementedError: convlayers does not implement Keras's Ftrl optimizer. Use one of SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion, or pass a torch.optim.Optimizer (or a factory params -> optimizer) to compile().
    """


class Adafactor(_Refused):
    """Keras ``Adafactor``: not implemented here; constructing it raises ``NotImplementedError``.

    >>> Adafactor()
    Traceback (most recent call last):
    NotImplementedError: convlayers does not implement Keras's Adafactor optimizer. Use one of SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion, or pass a torch.optim.Optimizer (or a factory params -> optimizer) to compile().
    """


class Lamb(_Refused):
    """Keras ``Lamb``: not implemented here; constructing it raises ``NotImplementedError``.

    >>> Lamb()
    Traceback (most recent call last):
    NotImplementedError: convlayers does not implement Keras's Lamb optimizer. Use one of SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam, Lion, or pass a torch.optim.Optimizer (or a factory params -> optimizer) to compile().
    """
