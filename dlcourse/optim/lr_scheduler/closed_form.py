"""Closed forms: the learning rate (or momentum) at step t, as plain functions.

Each function takes the step ``t`` (an int, or an array of ints for a whole
curve at once) and the schedule's constants, and returns the rate. ``t`` is
the scheduler's ``last_epoch``: the number of ``scheduler.step()`` calls so
far, 0 for the rate used by the very first optimizer step.

The scheduler classes follow PyTorch and update rates recursively; these
functions are what that recursion equals when the scheduler runs alone, and
the tests check that they agree.
"""

import numpy as np


def _t(t):
    return np.asarray(t)


# -- PyTorch's schedules ------------------------------------------------------


def step_lr(t, base_lr, step_size, gamma=0.1):
    """η_t = η_0 · γ^⌊t / step_size⌋ (``StepLR``; the notes' step decay)."""
    return base_lr * gamma ** (_t(t) // step_size)


def multistep_lr(t, base_lr, milestones, gamma=0.1):
    """η_t = η_0 · γ^(number of milestones ≤ t) (``MultiStepLR``)."""
    return base_lr * gamma ** np.searchsorted(np.sort(milestones), _t(t), side="right")


def exponential_lr(t, base_lr, gamma):
    """η_t = η_0 · γ^t (``ExponentialLR``)."""
    return base_lr * gamma ** _t(t)


def linear_lr(t, base_lr, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
    """η_t = η_0 · (s + (e − s) · min(t, T) / T): a linear warm-up (``LinearLR``)."""
    return base_lr * (start_factor + (end_factor - start_factor)
                      * np.minimum(total_iters, _t(t)) / total_iters)


def constant_lr(t, base_lr, factor=1.0 / 3, total_iters=5):
    """η_t = η_0 · factor for t < total_iters, then η_0 (``ConstantLR``)."""
    return base_lr * np.where(_t(t) < total_iters, factor, 1.0)


def polynomial_lr(t, base_lr, total_iters=5, power=1.0):
    """η_t = η_0 · (1 − min(t, T) / T)^p (``PolynomialLR``)."""
    return base_lr * (1.0 - np.minimum(total_iters, _t(t)) / total_iters) ** power


def cosine_annealing_lr(t, base_lr, T_max, eta_min=0.0):
    """η_t = η_min + (η_0 − η_min) · (1 + cos(π t / T_max)) / 2 (``CosineAnnealingLR``).

    Past T_max the cosine keeps going, so the rate climbs back up (as PyTorch).
    """
    return eta_min + (base_lr - eta_min) * (1 + np.cos(np.pi * _t(t) / T_max)) / 2


def cosine_warm_restarts_lr(t, base_lr, T_0, T_mult=1, eta_min=0.0):
    """SGDR (``CosineAnnealingWarmRestarts``): cosine annealing restarted every cycle.

    η_t = η_min + (η_0 − η_min) · (1 + cos(π T_cur / T_i)) / 2, where T_cur
    counts the steps since the last restart and the cycle length T_i starts
    at T_0 and is multiplied by T_mult after each restart.
    """
    t = _t(t)
    if T_mult == 1:
        t_cur, t_i = t % T_0, np.full_like(t, T_0)
    else:
        t_cur, t_i = np.array(t, copy=True), np.full_like(t, T_0)
        while np.any(done := t_cur >= t_i):  # one pass per completed cycle
            t_cur = np.where(done, t_cur - t_i, t_cur)
            t_i = np.where(done, t_i * T_mult, t_i)
    return eta_min + (base_lr - eta_min) * (1 + np.cos(np.pi * t_cur / t_i)) / 2


def _cyclic_position(t, step_size_up, step_size_down, mode, gamma):
    """(fraction of the way up the triangle, amplitude scale) at step t."""
    t = _t(t)
    step_size_down = step_size_up if step_size_down is None else step_size_down
    total = float(step_size_up + step_size_down)
    ratio = step_size_up / total
    cycle = np.floor(1 + t / total)
    x = 1.0 + t / total - cycle
    height = np.where(x <= ratio, x / ratio, (x - 1) / (ratio - 1))
    if mode == "triangular":
        scale = np.ones_like(height)
    elif mode == "triangular2":
        scale = 1 / 2.0 ** (cycle - 1)
    elif mode == "exp_range":
        scale = gamma ** t
    else:
        raise ValueError(f"mode must be 'triangular', 'triangular2' or 'exp_range', got {mode!r}")
    return height, scale


def cyclic_lr(t, base_lr, max_lr, step_size_up=2000, step_size_down=None,
              mode="triangular", gamma=1.0):
    """Cyclical learning rate (Smith, 2017; ``CyclicLR``).

    The rate climbs linearly from ``base_lr`` to ``max_lr`` in
    ``step_size_up`` steps, falls back in ``step_size_down`` steps, and
    repeats. ``triangular2`` halves the amplitude every cycle, ``exp_range``
    multiplies it by γ^t. With x the position inside the current cycle::

        η_t = η_min + (η_max − η_min) · height(x) · scale

    The notes' triangular schedule, "from minimum to maximum every 20 steps",
    is ``cyclic_lr(t, η_min, η_max, step_size_up=20)``.
    """
    height, scale = _cyclic_position(t, step_size_up, step_size_down, mode, gamma)
    return base_lr + (max_lr - base_lr) * height * scale


def cyclic_momentum(t, base_momentum, max_momentum, step_size_up=2000, step_size_down=None,
                    mode="triangular", gamma=1.0):
    """The momentum ``CyclicLR`` sets alongside: high when the rate is low, and back."""
    height, scale = _cyclic_position(t, step_size_up, step_size_down, mode, gamma)
    return max_momentum - (max_momentum - base_momentum) * height * scale


def _anneal(start, end, pct, strategy):
    if strategy == "cos":
        return end + (start - end) / 2.0 * (np.cos(np.pi * pct) + 1)
    return (end - start) * pct + start


def one_cycle_phases(total_steps, pct_start=0.3, three_phase=False):
    """The (end step, start key, end key) of each phase of ``OneCycleLR``."""
    if three_phase:
        return [
            (float(pct_start * total_steps) - 1, "initial", "max"),
            (float(2 * pct_start * total_steps) - 2, "max", "initial"),
            (total_steps - 1, "initial", "min"),
        ]
    return [
        (float(pct_start * total_steps) - 1, "initial", "max"),
        (total_steps - 1, "max", "min"),
    ]


def one_cycle_lr(t, max_lr, total_steps, pct_start=0.3, anneal_strategy="cos",
                 div_factor=25.0, final_div_factor=1e4, three_phase=False):
    """The 1cycle policy (Smith & Topin, 2018; ``OneCycleLR``), for a scalar step t.

    Warm up from max_lr/div_factor to max_lr over the first ``pct_start`` of
    the run, then anneal (cosine or linear) down to
    max_lr/(div_factor · final_div_factor).
    """
    rates = {"initial": max_lr / div_factor, "max": max_lr}
    rates["min"] = rates["initial"] / final_div_factor
    phases = one_cycle_phases(total_steps, pct_start, three_phase)
    start_step = 0.0
    for i, (end_step, start, end) in enumerate(phases):
        if t <= end_step or i == len(phases) - 1:
            pct = (t - start_step) / (end_step - start_step)
            return _anneal(rates[start], rates[end], pct, anneal_strategy)
        start_step = end_step


# -- the notes' schedules -----------------------------------------------------


def exponential_decay_lr(t, lr0, k):
    """α_t = α_0 · e^(−k t). Example from the notes: α_0 = 0.1, k = 0.01 → α_10 ≈ 0.0905."""
    return lr0 * np.exp(-k * _t(t))


def inverse_time_lr(t, lr0, k):
    """α_t = α_0 / (1 + k t) ("1/t decay"). Notes: α_0 = 0.1, k = 0.01 → α_10 ≈ 0.0909."""
    return lr0 / (1 + k * _t(t))


def diminishing_lr(t, a, b=0.0):
    """γ_t = a / (b + t), a > 0, b ≥ 0: a diminishing step size (Σγ_t = ∞, Σγ_t² < ∞).

    The same family as :func:`inverse_time_lr`, with a = α_0/k and b = 1/k.
    """
    t = _t(t)
    if a <= 0 or b < 0:
        raise ValueError(f"diminishing_lr needs a > 0 and b >= 0, got a={a}, b={b}")
    if np.any(b + t <= 0):
        raise ValueError(f"a / (b + t) is undefined for b + t <= 0 (b={b}, smallest t={np.min(t)})")
    return a / (b + t)


def inverse_sqrt_lr(t, a):
    """γ_t = a / √t for t ≥ 1: the slower diminishing step size."""
    t = _t(t)
    if np.any(t < 1):
        raise ValueError(f"a / sqrt(t) needs t >= 1, got t={np.min(t)}")
    return a / np.sqrt(t)


def momentum_schedule(t, beta_max, period=350):
    """β_t = min(1 − 2^(−1 − log2(⌊t / period⌋ + 1)), β_max) (notes; Sutskever et al., 2013).

    Equivalently β_t = min(1 − 1 / (2 (⌊t / period⌋ + 1)), β_max): 0.5 for
    the first ``period`` steps, then 0.75, 0.833, 0.875, ... capped at
    β_max (the notes pick β_max from {0.999, 0.995, 0.99, 0.9, 0}).
    """
    k = _t(t) // period
    return np.minimum(1 - 2.0 ** (-1 - np.log2(k + 1)), beta_max)
