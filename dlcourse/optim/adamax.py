"""Adamax: Adam with the infinity norm, as ``torch.optim.Adamax``."""

import numpy as np

from dlcourse.optim.optimizer import Optimizer, check_betas, check_lr, check_nonnegative


def adamax_step(param, grad, state, *, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                maximize=False):
    """One Adamax step on one parameter; returns ``(new_param, new_state)``.

    ``param`` and ``grad`` are arrays of one shape (any); ``state`` holds
    ``"step"``, ``"exp_avg"`` (m) and ``"exp_inf"`` (u), shaped like
    ``param``; ``{}`` before the first step. Nothing passed in is modified.
    """
    beta1, beta2 = betas
    g = -grad if maximize else grad
    step = state.get("step", 0) + 1
    if weight_decay != 0:
        g = g + weight_decay * param
    m = beta1 * state.get("exp_avg", np.zeros_like(param)) + (1 - beta1) * g
    u = np.maximum(beta2 * state.get("exp_inf", np.zeros_like(param)), np.abs(g) + eps)
    clr = lr / (1 - beta1 ** step)
    return param - clr * (m / u), {"step": step, "exp_avg": m, "exp_inf": u}


class Adamax(Optimizer):
    r"""Adamax (Kingma & Ba, 2015, section 7; chapter: adaptive learning rates).

    Algorithm (as PyTorch)::

        input: lr γ, θ_0, f(θ), β1, β2, ε, weight decay λ
        m_0 = 0, u_0 = 0
        for t = 1, 2, ...
            g_t = ∇f(θ_{t-1})                (−∇f if maximize)
            if λ ≠ 0:  g_t = g_t + λ θ_{t-1}
            m_t = β1 m_{t-1} + (1 − β1) g_t
            u_t = max(β2 u_{t-1}, |g_t| + ε)
            θ_t = θ_{t-1} − γ m_t / ((1 − β1^t) u_t)

    As the notes say, u_t (the max norm) needs no bias correction; only m_t
    is corrected. Compare :class:`~dlcourse.optim.MaxProp`, the same max
    norm without the first moment.
    """

    rule = staticmethod(adamax_step)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *,
                 maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_nonnegative("epsilon", group["eps"])
        check_betas(group["betas"])
        check_nonnegative("weight_decay", group["weight_decay"])
