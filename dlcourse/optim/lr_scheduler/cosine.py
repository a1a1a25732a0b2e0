"""Cosine annealing, with and without warm restarts, as PyTorch."""

import math
import numbers

from dlcourse.optim.lr_scheduler import closed_form as cf
from dlcourse.optim.lr_scheduler.base import LRScheduler


class CosineAnnealingLR(LRScheduler):
    """η_t = η_min + (η_0 − η_min) · (1 + cos(π t / T_max)) / 2 (Loshchilov & Hutter, 2017).

    Half a cosine from η_0 down to η_min over ``T_max`` steps: slow at both
    ends, fastest in the middle. Updated recursively, as PyTorch, so it
    composes with other schedulers; closed form
    :func:`.closed_form.cosine_annealing_lr`.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if T_max <= 0:
            raise ValueError(f"T_max must be positive, got {T_max}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._group_lrs()
        if self._step_count == 1 and t > 0:  # resumed with last_epoch > 0
            return [eta_min + (base - eta_min) * (1 + math.cos(t * math.pi / T)) / 2
                    for base in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:  # at the bottom, where the ratio below is 0/0
            return [lr + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base, lr in zip(self.base_lrs, self._group_lrs())]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - eta_min) + eta_min for lr in self._group_lrs()]

    def closed_form_lr(self):
        return [float(cf.cosine_annealing_lr(self.last_epoch, base, self.T_max, self.eta_min))
                for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR (Loshchilov & Hutter, 2017): cosine annealing that restarts.

    η_t = η_min + (η_0 − η_min) · (1 + cos(π T_cur / T_i)) / 2, where T_cur
    is the number of steps since the last restart and the cycle length T_i
    starts at ``T_0`` and is multiplied by ``T_mult`` at each restart. The
    jump back to η_0 can kick the parameters out of a poor basin (the notes'
    "warm restart"). Closed form :func:`.closed_form.cosine_warm_restarts_lr`.
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if not isinstance(T_0, numbers.Integral) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if not isinstance(T_mult, numbers.Integral) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min!r}")
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [self.eta_min + (base - self.eta_min)
                * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base in self.base_lrs]

    def closed_form_lr(self):
        return [float(cf.cosine_warm_restarts_lr(self.last_epoch, base, self.T_0, self.T_mult,
                                                 self.eta_min)) for base in self.base_lrs]

    def step(self):
        self._step_count += 1
        if self.last_epoch < 0:
            self.last_epoch, self.T_cur = 0, 0
        else:
            self.last_epoch += 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur -= self.T_i
                self.T_i *= self.T_mult
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = self._group_lrs()
