"""Keras 3's ``Optimizer`` API (learning rate or schedule, clipping, decoupled weight decay,
EMA, gradient accumulation, loss scale factor, ``iterations``, configs) over a torch optimizer.

An :class:`Optimizer` is built over parameters lazily, as Keras's is: ``compile`` keeps the
object, ``fit`` (or :meth:`Optimizer.build`) binds it to the model's parameters. Once built
it **is** a ``torch.optim.Optimizer`` (``param_groups``, ``state``, ``state_dict``,
``zero_grad``, ``step``), so ``GradScaler.step``, torch's ``lr_scheduler``\\ s and plain
torch loops drive it. Each :meth:`~Optimizer.step` does what Keras's ``apply`` does, in its
order: evaluate the learning rate at ``iterations`` (a schedule), divide the gradients by
``loss_scale_factor``, accumulate them (``gradient_accumulation_steps``), clip them
(``clipnorm`` per tensor, ``global_clipnorm``, ``clipvalue``), decay the weights
(``w -= w * weight_decay * lr``), apply the optimizer's own update, update the weights' EMA,
and count the step. ``GradScaler`` unscales the gradients before calling ``step``, so the
clipping sees the true gradients.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict, defaultdict
from typing import Any, Callable, Iterable

import torch

from ...layers.base import snake_case
from .schedules import LearningRateSchedule, serialize as serialize_schedule

LearningRate = float | LearningRateSchedule | Callable[[], float]
_HOOK_TABLES = tuple(
    f"_optimizer_{kind}_{when}_hooks" for kind in ("step", "state_dict", "load_state_dict") for when in ("pre", "post")
)


class Optimizer(torch.optim.Optimizer):
    """Base of Keras's optimizers: the arguments every Keras optimizer takes.

    Args:
        learning_rate: a float, a :class:`~convlayers.optimizers.schedules.LearningRateSchedule`
            (evaluated at ``iterations`` before each step), or a callable without
            arguments returning the rate.
        weight_decay: Keras's decoupled decay: before each update, ``w -= w * weight_decay * lr``.
        clipnorm: clip each gradient tensor to this L2 norm.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients together to this global L2 norm (at most one of
            the three clipping arguments).
        use_ema: keep an exponential moving average of the weights; :meth:`finalize_variable_values`
            (called by ``fit`` at its end) writes it into the weights.
        ema_momentum: the EMA's momentum (the first step copies the weights).
        ema_overwrite_frequency: with ``use_ema``, write the EMA into the weights every so many steps.
        loss_scale_factor: ``scale_loss`` multiplies the loss by it; the step divides the
            gradients by it.
        gradient_accumulation_steps: apply the mean gradient of this many steps once every
            so many steps (an int >= 2); ``iterations`` counts the applied updates.
        name: the optimizer's name (default: the class name in snake case, ``"adam"``).

    Subclasses set ``_own`` (their own argument names, in Keras's config order) and
    ``_torch_arguments`` (a parameter group's hyperparameters), and either ``_torch_class``
    (a torch optimizer does the update) or ``_update`` (the update written here, in Keras's form).

    >>> import torch
    >>> from convlayers.models.optimizers import SGD
    >>> w = torch.nn.Parameter(torch.tensor([3.0, 4.0]))
    >>> optimizer = SGD(1.0, clipnorm=1.0, weight_decay=0.5).build([w])
    >>> w.grad = torch.tensor([3.0, 4.0])    # norm 5: clipped to (0.6, 0.8)
    >>> _ = optimizer.step()                  # w - 0.5 * w, then minus the clipped gradient
    >>> [round(v, 6) for v in w.tolist()], optimizer.iterations
    ([0.9, 1.2], 1)
    """

    _own: tuple[str, ...] = ()
    _torch_class: type[torch.optim.Optimizer] | None = None

    def __init__(
        self,
        learning_rate: LearningRate,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.", stacklevel=3)
        if kwargs:
            raise ValueError(
                f"{owner}: argument(s) not recognized: {kwargs}. Allowed: learning_rate, {', '.join(self._own)}, "
                "weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum, ema_overwrite_frequency, "
                "loss_scale_factor, gradient_accumulation_steps, name."
            )
        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError(
                f"{owner}: `gradient_accumulation_steps` must be an integer >= 2. "
                f"Received: gradient_accumulation_steps={gradient_accumulation_steps}"
            )
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError(f"{owner}: `ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1):
                raise ValueError(
                    f"{owner}: `ema_overwrite_frequency` must be an integer >= 1 or None. "
                    f"Received: ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                f"{owner}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        if not isinstance(learning_rate, (float, LearningRateSchedule)) and not callable(learning_rate):
            raise ValueError(
                f"{owner}: argument `learning_rate` should be float, or an instance of LearningRateSchedule, or a "
                f"callable (that takes no arguments and returns the learning rate). Received instead: learning_rate={learning_rate!r}"
            )
        self.name = snake_case(owner) if name is None else name
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self._learning_rate: LearningRate = learning_rate
        self._iterations = 0
        self.built = False
        # Until build, an empty torch optimizer: torch's step wrapper reads the hook tables (then
        # step says it is not built), and model summaries read `state`.
        for hooks in _HOOK_TABLES:
            setattr(self, hooks, OrderedDict())
        self.defaults: dict[str, Any] = {}
        self.state: defaultdict[torch.Tensor, Any] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []

    # -- Keras's attributes -----------------------------------------------------------------
    @property
    def iterations(self) -> int:
        """The updates applied so far (with gradient accumulation, the accumulated ones)."""
        if self.gradient_accumulation_steps:
            return self._iterations // self.gradient_accumulation_steps
        return self._iterations

    @property
    def learning_rate(self) -> float:
        """The current learning rate: a schedule's value at ``iterations``, or the rate the optimizer holds.

        Setting a float writes it into every parameter group (a torch ``lr_scheduler``'s writes
        are seen the same way); setting a schedule or callable replaces the rate. A float
        cannot replace a schedule (Keras's ``TypeError``).
        """
        rate = self._learning_rate
        if isinstance(rate, LearningRateSchedule):
            return float(rate(self._iterations))
        if callable(rate):
            return float(rate())
        return float(self.param_groups[0]["lr"]) if self.built else float(rate)

    @learning_rate.setter
    def learning_rate(self, value: LearningRate) -> None:
        if isinstance(value, LearningRateSchedule) or callable(value):
            self._learning_rate = value
            return
        if isinstance(self._learning_rate, LearningRateSchedule):
            raise TypeError(
                f"{type(self).__name__}: this optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not settable. If you need the "
                "learning rate to be settable, you should instantiate the optimizer with a float `learning_rate` argument."
            )
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{type(self).__name__}: `learning_rate` must be a number, a schedule or a callable. Received: {value!r}.")
        self._learning_rate = float(value)
        if self.built:
            for group in self.param_groups:
                group["lr"] = float(value)

    def scale_loss(self, loss: torch.Tensor) -> torch.Tensor:
        """``loss * loss_scale_factor`` (the loss unchanged without one); ``step`` divides the gradients back."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def get_config(self) -> dict[str, Any]:
        """Keras's config: the common arguments, then the optimizer's own (a schedule serialized)."""
        rate = self._learning_rate
        if isinstance(rate, LearningRateSchedule):
            learning_rate: Any = serialize_schedule(rate)
        elif callable(rate):
            learning_rate = rate
        else:
            learning_rate = self.learning_rate
        config = {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }
        return {**config, **{key: getattr(self, key) for key in self._own}}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict[str, type] | None = None) -> "Optimizer":
        """The optimizer a :meth:`get_config` dict describes (a serialized schedule deserialized)."""
        from .schedules import deserialize

        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = deserialize(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        own = ", ".join(f"{key}={getattr(self, key)!r}" for key in self._own)
        return f"{type(self).__name__}(learning_rate={self._learning_rate!r}{', ' if own else ''}{own})"

    # -- binding to parameters ------------------------------------------------------------------
    def build(self, params: Iterable[torch.Tensor] | Iterable[dict[str, Any]]) -> "Optimizer":
        """Bind the optimizer to ``params`` (tensors or torch parameter groups); returns ``self``.

        Building again over the same parameters keeps the state; other parameters are a
        ``ValueError``, as Keras refuses variables an optimizer was not built with.
        """
        params = list(params)
        if self.built:
            known = {id(p) for group in self.param_groups for p in group["params"]}
            given = {id(p) for entry in params for p in (entry["params"] if isinstance(entry, dict) else [entry])}
            if given != known:
                raise ValueError(
                    f"{type(self).__name__} {self.name!r} was already built over other parameters; an optimizer can "
                    "only update the variables it was built with. Create a new optimizer for this model."
                )
            return self
        rate = self.learning_rate
        if self._torch_class is not None:
            self._torch_class.__init__(self, params, lr=rate, **self._torch_arguments())
        else:
            torch.optim.Optimizer.__init__(self, params, {"lr": rate, **self._torch_arguments()})
        trainable = [p for group in self.param_groups for p in group["params"] if p.requires_grad]
        self._index = {id(p): i for i, p in enumerate(trainable)}
        self._trainable = trainable
        self._averages = [p.detach().clone() for p in trainable] if self.use_ema else []
        self._accumulators = [torch.zeros_like(p) for p in trainable] if self.gradient_accumulation_steps else []
        self.built = True
        return self

    def _torch_arguments(self) -> dict[str, Any]:
        """The hyperparameters of a parameter group, in the update's (torch's) names, ``lr`` apart."""
        return {}

    def _require_built(self, method: str) -> None:
        if not self.built:
            raise RuntimeError(
                f"{type(self).__name__} {self.name!r}.{method}(): the optimizer is not built; call "
                "optimizer.build(params) (fit and compile on a built model do)."
            )

    # -- one step ---------------------------------------------------------------------------------
    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """One Keras update from the parameters' ``.grad`` (see the module docstring for the order)."""
        self._require_built("step")
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        if not isinstance(self._learning_rate, float):
            rate = self.learning_rate  # a schedule at `iterations`, or the callable's value
            for group in self.param_groups:
                group["lr"] = rate
        hyper = self._torch_arguments()
        for group in self.param_groups:
            group.update(hyper)  # attributes set since (optimizer.beta_1 = ...) take effect, as in Keras
        params = [p for group in self.param_groups for p in group["params"] if p.grad is not None]
        if not params:
            raise ValueError(f"{type(self).__name__} {self.name!r}.step(): no gradients provided for any variable.")
        grads = [p.grad for p in params]
        if self.loss_scale_factor is not None:
            for grad in grads:
                grad.div_(self.loss_scale_factor)
        if self._accumulate(params, grads):
            self._clip(grads)
            self._decay()
            self._update()
        self._moving_average()
        self._iterations += 1
        return loss

    def _accumulate(self, params: list[torch.Tensor], grads: list[torch.Tensor]) -> bool:
        """Whether this step updates; with accumulation, the gradients become the steps' mean."""
        steps = self.gradient_accumulation_steps
        if not steps:
            return True
        accumulators = [self._accumulators[self._index[id(p)]] for p in params]
        if (self._iterations + 1) % steps != 0:
            for accumulator, grad in zip(accumulators, grads):
                accumulator.add_(grad)
            return False
        for accumulator, grad in zip(accumulators, grads):
            grad.add_(accumulator).div_(steps)
            accumulator.zero_()
        return True

    def _clip(self, grads: list[torch.Tensor]) -> None:
        """Keras's clipping, in place (``GradScaler`` has unscaled the gradients already)."""
        if self.clipnorm and self.clipnorm > 0:
            for grad in grads:
                norm = torch.sqrt(torch.sum(torch.square(grad)))
                grad.mul_(self.clipnorm).div_(torch.clamp(norm, min=self.clipnorm))
        elif self.global_clipnorm and self.global_clipnorm > 0:
            norm = torch.sqrt(torch.stack([torch.sum(torch.square(g.float())) for g in grads]).sum())
            # A non-finite norm makes the scale NaN, as in Keras, instead of silently skipping.
            scale = self.global_clipnorm * torch.clamp(1.0 / norm, max=1.0 / self.global_clipnorm) + (norm - norm)
            for grad in grads:
                grad.mul_(scale.to(grad.dtype))
        elif self.clipvalue and self.clipvalue > 0:
            for grad in grads:
                grad.clamp_(-self.clipvalue, self.clipvalue)

    def _decay(self) -> None:
        if self.weight_decay is None:
            return
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.sub_(p * self.weight_decay * group["lr"])

    def _update(self) -> None:
        """The optimizer's own update, from ``p.grad`` and each group's ``lr``."""
        step = self._torch_class.step  # type: ignore[union-attr]
        # torch wraps a class's step with its hooks once one is built; ours already ran them.
        step = step.__wrapped__ if getattr(step, "hooked", False) else step
        step(self)

    def _moving_average(self) -> None:
        if not self.use_ema:
            return
        momentum = self.ema_momentum if self.iterations != 0 else 0.0
        for average, p in zip(self._averages, self._trainable):
            average.mul_(momentum).add_(p.detach() * (1 - momentum))
        frequency = self.ema_overwrite_frequency
        if frequency and (self.iterations + 1) % frequency == 0:
            self.finalize_variable_values()

    def finalize_variable_values(self, var_list: Iterable[torch.Tensor] | None = None) -> None:
        """With ``use_ema``, write the moving averages into the weights (``fit`` calls it at its end)."""
        if self.use_ema and self.built:
            with torch.no_grad():
                for p, average in zip(self._trainable, self._averages):
                    p.copy_(average)

    def apply_gradients(self, grads_and_vars: Iterable[tuple[torch.Tensor, torch.Tensor]]) -> int:
        """Keras's ``apply_gradients``: set each variable's ``.grad`` and :meth:`step`; returns ``iterations``."""
        pairs = list(grads_and_vars)
        if not self.built:
            self.build([v for _, v in pairs])
        for grad, variable in pairs:
            if id(variable) not in self._index:
                raise ValueError(
                    f"{type(self).__name__} {self.name!r}: unknown variable of shape {tuple(variable.shape)}; this "
                    "optimizer can only be called for the variables it was originally built with."
                )
            variable.grad = None if grad is None else torch.as_tensor(grad, dtype=variable.dtype, device=variable.device).clone()
        self.step()
        return self._iterations

    # -- state ------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """torch's state dict plus Keras's: ``iterations``, the EMA and the gradient accumulators."""
        self._require_built("state_dict")
        state = super().state_dict()
        state["keras"] = {
            "iterations": self._iterations,
            "averages": [a.clone() for a in self._averages],
            "accumulators": [a.clone() for a in self._accumulators],
        }
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._require_built("load_state_dict")
        state_dict = dict(state_dict)
        keras = state_dict.pop("keras", None)
        super().load_state_dict(state_dict)
        if keras is not None:
            self._iterations = int(keras["iterations"])
            for mine, saved in zip(self._averages + self._accumulators, keras["averages"] + keras["accumulators"]):
                mine.copy_(saved)

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("built"):
            super().__setstate__(state)  # torch's hooks and group defaults
        else:
            self.__dict__.update(state)

