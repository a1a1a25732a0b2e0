"""Constant, polynomial and multiplicative schedules, and chaining schedulers, as PyTorch."""

import numbers
import types

from dlcourse.optim.lr_scheduler import closed_form as cf
from dlcourse.optim.lr_scheduler.base import LRScheduler, check_optimizer
from dlcourse.optim.lr_scheduler.plateau import ReduceLROnPlateau


class ConstantLR(LRScheduler):
    """η_t = η_0 · factor for t < ``total_iters``, then η_0: a constant warm-up.

    Closed form: :func:`.closed_form.constant_lr`.
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if factor > 1.0 or factor < 0:
            raise ValueError(
                f"Constant multiplicative factor expected to be between 0 and 1, got {factor}"
            )
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._group_lrs()]
        if self.last_epoch != self.total_iters:
            return self._group_lrs()
        return [lr * (1.0 / self.factor) for lr in self._group_lrs()]

    def closed_form_lr(self):
        return [float(cf.constant_lr(self.last_epoch, base, self.factor, self.total_iters))
                for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """η_t = η_0 · (1 − min(t, T) / T)^p: decay to 0 in T = ``total_iters`` steps.

    ``power=1`` is a straight line to zero. Closed form: :func:`.closed_form.polynomial_lr`.
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        if not isinstance(total_iters, numbers.Integral) or total_iters <= 0:
            raise ValueError(f"total_iters must be a positive integer, got {total_iters!r}")
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._group_lrs()
        decay = ((1.0 - self.last_epoch / self.total_iters)
                 / (1.0 - (self.last_epoch - 1) / self.total_iters)) ** self.power
        return [lr * decay for lr in self._group_lrs()]

    def closed_form_lr(self):
        return [float(cf.polynomial_lr(self.last_epoch, base, self.total_iters, self.power))
                for base in self.base_lrs]


class MultiplicativeLR(LRScheduler):
    """η_t = η_(t−1) · λ(t): multiply the current rate by λ(t) at every step.

    ``MultiplicativeLR(opt, lambda t: 0.95)`` is ``ExponentialLR(opt, 0.95)``.
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.optimizer = optimizer
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != len(optimizer.param_groups):
                raise ValueError(
                    f"Expected {len(optimizer.param_groups)} lr_lambdas, but got {len(lr_lambda)}"
                )
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * len(optimizer.param_groups)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._group_lrs()
        return [lr * fn(self.last_epoch) for fn, lr in zip(self.lr_lambdas, self._group_lrs())]

    def state_dict(self):
        """Functions are not saved, only the attributes of callable objects (as PyTorch)."""
        state = self._state_without("lr_lambdas")
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        saved = state_dict.pop("lr_lambdas")
        super().load_state_dict(state_dict)
        for fn, attributes in zip(self.lr_lambdas, saved):
            if attributes is not None:
                fn.__dict__.update(attributes)


class ChainedScheduler(LRScheduler):
    """Step several schedulers of one optimizer together: their factors multiply.

    ``ChainedScheduler([ConstantLR(opt, 0.1, total_iters=2), ExponentialLR(opt, 0.9)])``
    runs both at every ``step()``, each acting on the rate the other left.
    """

    def __init__(self, schedulers, optimizer=None):
        schedulers = list(schedulers)
        if len(schedulers) < 1:
            raise ValueError("ChainedScheduler expects at least one scheduler, but got none")
        optimizer = optimizer if optimizer is not None else schedulers[0].optimizer
        check_optimizer(optimizer)
        for i, scheduler in enumerate(schedulers):
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(
                    f"ChainedScheduler does not support ReduceLROnPlateau (index {i}): its step "
                    "needs a metric"
                )
            if getattr(scheduler, "optimizer", None) is not optimizer:
                raise ValueError(
                    "ChainedScheduler expects all schedulers to belong to the same optimizer, but "
                    f"scheduler {type(scheduler).__name__} at index {i} has a different one"
                )
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = self._group_lrs()

    def step(self):
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = self._group_lrs()

    def state_dict(self):
        state = self._state_without("_schedulers")
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        inner = state_dict.pop("_schedulers")
        super().load_state_dict(state_dict)
        for scheduler, saved in zip(self._schedulers, inner):
            scheduler.load_state_dict(saved)

    def __repr__(self):
        return f"ChainedScheduler({[type(s).__name__ for s in self._schedulers]})"
