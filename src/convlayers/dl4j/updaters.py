"""DL4J's updaters (``Sgd``, ``Adam``, ``Nesterovs``) with DL4J's defaults, as the core's optimizers.

>>> Sgd().optimizer().get_config()["learning_rate"], Adam().optimizer().get_config()["epsilon"]
(0.001, 1e-08)
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import optimizers


@dataclass(frozen=True)
class Sgd:
    """Plain gradient descent; DL4J's default learning rate is 1e-3."""

    learningRate: float = 1e-3

    def optimizer(self) -> optimizers.Optimizer:
        return optimizers.SGD(float(self.learningRate))


@dataclass(frozen=True)
class Adam:
    """Adam with DL4J's defaults (learning rate 1e-3, betas 0.9 and 0.999, epsilon 1e-8)."""

    learningRate: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    epsilon: float = 1e-8

    def optimizer(self) -> optimizers.Optimizer:
        return optimizers.Adam(float(self.learningRate), beta_1=self.beta1, beta_2=self.beta2, epsilon=self.epsilon)


@dataclass(frozen=True)
class Nesterovs:
    """SGD with Nesterov momentum (DL4J's defaults: learning rate 0.1, momentum 0.9)."""

    learningRate: float = 0.1
    momentum: float = 0.9

    def optimizer(self) -> optimizers.Optimizer:
        return optimizers.SGD(float(self.learningRate), momentum=float(self.momentum), nesterov=True)
