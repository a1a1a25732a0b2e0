"""RAdam: Adam with a rectified variance estimate, as ``torch.optim.RAdam``."""

import math

import numpy as np

from dlcourse.optim.optimizer import Optimizer, check_betas, check_lr, check_nonnegative


def radam_rectification(step, beta2):
    """``(ρ_t, r_t)`` of RAdam at step ``t`` (``r_t`` is ``None`` while ρ_t ≤ 5).

    ρ_∞ = 2/(1 − β2) − 1 and ρ_t = ρ_∞ − 2t β2^t / (1 − β2^t) is the length of
    the simple moving average the exponential one approximates;
    r_t = √((ρ_t − 4)(ρ_t − 2) ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2) ρ_t)).
    """
    rho_inf = 2 / (1 - beta2) - 1
    bias_correction2 = 1 - beta2 ** step
    rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
    if rho_t <= 5.0:
        return rho_t, None
    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    return rho_t, rect


def radam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
               decoupled_weight_decay=False, maximize=False):
    """One RAdam step on one parameter; returns ``(new_param, new_state)``.

    ``param`` and ``grad`` are arrays of one shape (any); ``state`` holds
    ``"step"`` (int), ``"exp_avg"`` (m) and ``"exp_avg_sq"`` (v), shaped like
    ``param``; ``{}`` before the first step. Nothing passed in is modified.
    """
    beta1, beta2 = betas
    g = -grad if maximize else grad
    step = state.get("step", 0) + 1
    if weight_decay != 0:
        if decoupled_weight_decay:
            param = param * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * param
    m = state.get("exp_avg", np.zeros_like(param))
    m = m + (1 - beta1) * (g - m)  # torch's lerp
    v = beta2 * state.get("exp_avg_sq", np.zeros_like(param)) + (1 - beta2) * g * g
    m_hat = m / (1 - beta1 ** step)
    _, rect = radam_rectification(step, beta2)
    if rect is None:
        update = m_hat * lr  # variance not yet trustworthy: momentum SGD
    else:
        adaptive = (1 - beta2 ** step) ** 0.5 / (np.sqrt(v) + eps)
        update = m_hat * lr * adaptive * rect
    return param - update, {"step": step, "exp_avg": m, "exp_avg_sq": v}


class RAdam(Optimizer):
    r"""RAdam (Liu et al., 2020): Adam whose adaptive step waits for a reliable variance.

    Algorithm (as PyTorch)::

        input: lr γ, θ_0, f(θ), β1, β2, ε, weight decay λ, decoupled_weight_decay
        m_0 = 0, v_0 = 0, ρ_∞ = 2/(1 − β2) − 1
        for t = 1, 2, ...
            g_t = ∇f(θ_{t-1})                (−∇f if maximize)
            if λ ≠ 0:
                θ_{t-1} = θ_{t-1} (1 − γλ)   if decoupled_weight_decay
                g_t = g_t + λ θ_{t-1}        otherwise
            m_t = β1 m_{t-1} + (1 − β1) g_t
            v_t = β2 v_{t-1} + (1 − β2) g_t²
            m̂_t = m_t / (1 − β1^t)
            ρ_t = ρ_∞ − 2t β2^t / (1 − β2^t)
            if ρ_t > 5:
                l_t = √(1 − β2^t) / (√v_t + ε)
                r_t = √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t))
                θ_t = θ_{t-1} − γ m̂_t l_t r_t
            else:
                θ_t = θ_{t-1} − γ m̂_t

    With β2 = 0.999 the first five steps are plain bias-corrected momentum:
    the variance of v_t from so few gradients is too large to divide by.
    """

    rule = staticmethod(radam_step)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_nonnegative("epsilon", group["eps"])
        check_betas(group["betas"])
        check_nonnegative("weight_decay", group["weight_decay"])
