"""Adadelta: rates from the ratio of two moving RMS values, as ``torch.optim.Adadelta``."""

import numpy as np

from dlcourse.optim.optimizer import Optimizer, check_lr, check_nonnegative


def adadelta_step(param, grad, state, *, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0,
                  maximize=False):
    """One Adadelta step on one parameter; returns ``(new_param, new_state)``.

    ``param`` and ``grad`` are arrays of one shape (any); ``state`` holds
    ``"step"``, ``"square_avg"`` (of gradients) and ``"acc_delta"`` (of
    updates), shaped like ``param``; ``{}`` before the first step. Nothing
    passed in is modified.
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    square_avg = state.get("square_avg", np.zeros_like(param))
    acc_delta = state.get("acc_delta", np.zeros_like(param))
    square_avg = rho * square_avg + (1 - rho) * g * g
    delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * g
    acc_delta = rho * acc_delta + (1 - rho) * delta * delta
    new_state = {"step": state.get("step", 0) + 1, "square_avg": square_avg,
                 "acc_delta": acc_delta}
    return param - lr * delta, new_state


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012; chapter: adaptive learning rates).

    Algorithm (as PyTorch)::

        input: lr γ, θ_0, f(θ), ρ, ε, weight decay λ
        v_0 = 0, u_0 = 0
        for t = 1, 2, ...
            g_t = ∇f(θ_{t-1})                 (−∇f if maximize)
            if λ ≠ 0:  g_t = g_t + λ θ_{t-1}
            v_t  = ρ v_{t-1} + (1 − ρ) g_t²
            Δθ_t = √(u_{t-1} + ε) / √(v_t + ε) · g_t
            u_t  = ρ u_{t-1} + (1 − ρ) Δθ_t²
            θ_t  = θ_{t-1} − γ Δθ_t

    The notes' version (garbled in the scan, which reuses v for both
    averages) is this rule with γ = 1: the numerator is the running RMS of
    past *updates* u, the denominator that of gradients v, so the step has
    the units of θ and no learning rate is needed.
    """

    rule = staticmethod(adadelta_step)

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        if not 0.0 <= group["rho"] <= 1.0:
            raise ValueError(f"Invalid rho value: {group['rho']} (must be in [0, 1])")
        check_nonnegative("epsilon", group["eps"])
        check_nonnegative("weight_decay", group["weight_decay"])
