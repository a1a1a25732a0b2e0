"""The notes' own schedules: exponential and inverse-time decay, a/√t, and momentum steps."""

import copy

from dlcourse.optim.lr_scheduler import closed_form as cf
from dlcourse.optim.lr_scheduler.base import LRScheduler, check_optimizer


class ExponentialDecayLR(LRScheduler):
    """α_t = α_0 · e^(−k t), as the notes write it (α_0 is each group's initial rate).

    The same curve as ``ExponentialLR(gamma=e^(−k))``, parametrised by the
    decay constant k. Notes' example: α_0 = 0.1, k = 0.01 gives α_10 ≈ 0.0905.
    """

    def __init__(self, optimizer, k, last_epoch=-1):
        if not k >= 0:
            raise ValueError(f"the decay constant k must be >= 0, got {k}")
        self.k = k
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [float(cf.exponential_decay_lr(self.last_epoch, base, self.k))
                for base in self.base_lrs]

    closed_form_lr = get_lr


class InverseTimeLR(LRScheduler):
    """α_t = α_0 / (1 + k t), the notes' inverse-time ("1/t") decay.

    Notes' example: α_0 = 0.1, k = 0.01 gives α_10 ≈ 0.0909. It is also the
    diminishing step size a / (b + t) with a = α_0 / k and b = 1 / k.
    """

    def __init__(self, optimizer, k, last_epoch=-1):
        if not k >= 0:
            raise ValueError(f"the decay constant k must be >= 0, got {k}")
        self.k = k
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [float(cf.inverse_time_lr(self.last_epoch, base, self.k)) for base in self.base_lrs]

    closed_form_lr = get_lr


class InverseSqrtLR(LRScheduler):
    """γ_t = a / √t with a each group's initial rate, t = 1, 2, ... the step number.

    The first optimizer step (``last_epoch`` 0) is t = 1 and uses the full
    rate a; the rate after s scheduler steps is a / √(s + 1).
    """

    def get_lr(self):
        return [float(cf.inverse_sqrt_lr(self.last_epoch + 1, base)) for base in self.base_lrs]

    closed_form_lr = get_lr


class MomentumSchedule:
    """β_t = min(1 − 2^(−1 − log2(⌊t / period⌋ + 1)), β_max), the notes' momentum schedule.

    Sets each group's ``momentum`` (or β1, for optimizers with ``betas``) at
    every ``step()``; t = ``last_epoch`` counts the steps, 0 at construction.
    The momentum is 0.5 for the first ``period`` = 350 steps, then 0.75,
    0.833, ... capped at β_max. Closed form
    :func:`.closed_form.momentum_schedule`.
    """

    def __init__(self, optimizer, beta_max=0.99, period=350, last_epoch=-1):
        check_optimizer(optimizer)
        if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
            raise ValueError(
                f"{type(optimizer).__name__} has no momentum or betas for MomentumSchedule to set"
            )
        if not 0 <= beta_max < 1:
            raise ValueError(f"beta_max must be in [0, 1), got {beta_max}")
        if not isinstance(period, int) or period <= 0:
            raise ValueError(f"period must be a positive integer, got {period!r}")
        self.optimizer = optimizer
        self.beta_max = beta_max
        self.period = period
        self.use_beta1 = "betas" in optimizer.defaults
        self.last_epoch = last_epoch
        self.step()

    def get_momentum(self):
        return float(cf.momentum_schedule(self.last_epoch, self.beta_max, self.period))

    def step(self):
        self.last_epoch += 1
        beta = self.get_momentum()
        for group in self.optimizer.param_groups:
            if self.use_beta1:
                group["betas"] = (beta, *group["betas"][1:])
            else:
                group["momentum"] = beta
        self._last_momentum = [beta] * len(self.optimizer.param_groups)

    def get_last_momentum(self):
        return list(self._last_momentum)

    def state_dict(self):
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(copy.deepcopy(state_dict))
