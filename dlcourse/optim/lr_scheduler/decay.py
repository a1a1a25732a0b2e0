"""Step, multi-step, exponential, lambda and linear (warm-up) schedules, as PyTorch."""

import numbers
import types
from bisect import bisect_right
from collections import Counter

from dlcourse.optim.lr_scheduler import closed_form as cf
from dlcourse.optim.lr_scheduler.base import LRScheduler


class LambdaLR(LRScheduler):
    """η_t = η_0 · λ(t) for a function λ of the step (one per group, or shared).

    ``LambdaLR(opt, lambda t: 1 / (1 + 0.01 * t))`` is the notes' inverse-time decay.
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
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]

    closed_form_lr = get_lr

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


class StepLR(LRScheduler):
    """η_t = η_0 · γ^⌊t / step_size⌋: multiply by γ every ``step_size`` steps.

    The notes' "halve the learning rate every 5 epochs" is
    ``StepLR(opt, step_size=5, gamma=0.5)``. Closed form: :func:`.closed_form.step_lr`.
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if not isinstance(step_size, numbers.Integral) or step_size <= 0:
            raise ValueError(f"step_size must be a positive integer, got {step_size!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._group_lrs()
        return [lr * self.gamma for lr in self._group_lrs()]

    def closed_form_lr(self):
        return [float(cf.step_lr(self.last_epoch, base, self.step_size, self.gamma))
                for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """η_t = η_0 · γ^(number of milestones ≤ t): multiply by γ at each milestone."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._group_lrs()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._group_lrs()]

    def closed_form_lr(self):
        milestones = sorted(self.milestones.elements())
        return [base * self.gamma ** bisect_right(milestones, self.last_epoch)
                for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """η_t = η_0 · γ^t: multiply by γ every step.

    The notes' α_0 e^(−kt) is ``ExponentialLR(opt, gamma=exp(-k))``, or
    :class:`~dlcourse.optim.lr_scheduler.ExponentialDecayLR` with k itself.
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._group_lrs()
        return [lr * self.gamma for lr in self._group_lrs()]

    def closed_form_lr(self):
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Linear warm-up: η_t = η_0 · (s + (e − s) · min(t, T) / T).

    The factor moves linearly from ``start_factor`` s to ``end_factor`` e over
    ``total_iters`` T steps, then stays. Starting small lets the first,
    poorly informed gradient steps do little harm (the notes' "warm start").
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(
                "Starting multiplicative factor expected to be greater than 0 and less or "
                f"equal to 1, got start_factor={start_factor}"
            )
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError(
                f"Ending multiplicative factor expected to be between 0 and 1, got {end_factor}"
            )
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._group_lrs()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._group_lrs()
        slope = self.end_factor - self.start_factor
        ratio = 1.0 + slope / (self.total_iters * self.start_factor
                               + (self.last_epoch - 1) * slope)
        return [lr * ratio for lr in self._group_lrs()]

    def closed_form_lr(self):
        return [float(cf.linear_lr(self.last_epoch, base, self.start_factor, self.end_factor,
                                   self.total_iters)) for base in self.base_lrs]
