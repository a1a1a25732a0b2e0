"""NAdam: Adam with Nesterov momentum, as ``torch.optim.NAdam``."""

import numpy as np

from dlcourse.optim.optimizer import Optimizer, check_betas, check_lr, check_nonnegative


def nadam_step(param, grad, state, *, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
               momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
    """One NAdam step on one parameter; returns ``(new_param, new_state)``.

    ``param`` and ``grad`` are arrays of one shape (any); ``state`` holds
    ``"step"``, ``"mu_product"`` (∏ μ_i, a float), ``"exp_avg"`` (m) and
    ``"exp_avg_sq"`` (v), shaped like ``param``; ``{}`` before the first
    step. Nothing passed in is modified.
    """
    beta1, beta2 = betas
    g = -grad if maximize else grad
    step = state.get("step", 0) + 1
    if weight_decay != 0:
        if decoupled_weight_decay:
            param = param * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * param
    mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
    mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
    mu_product = state.get("mu_product", 1.0) * mu
    mu_product_next = mu_product * mu_next
    m = beta1 * state.get("exp_avg", np.zeros_like(param)) + (1 - beta1) * g
    v = beta2 * state.get("exp_avg_sq", np.zeros_like(param)) + (1 - beta2) * g * g
    denom = np.sqrt(v / (1 - beta2 ** step)) + eps
    param = param - (lr * (1.0 - mu) / (1.0 - mu_product)) * (g / denom)
    param = param - (lr * mu_next / (1.0 - mu_product_next)) * (m / denom)
    return param, {"step": step, "mu_product": mu_product, "exp_avg": m, "exp_avg_sq": v}


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016; chapter: adaptive learning rates).

    Algorithm (as PyTorch)::

        input: lr γ, θ_0, f(θ), β1, β2, ε, weight decay λ, momentum decay ψ
        m_0 = 0, v_0 = 0
        for t = 1, 2, ...
            g_t = ∇f(θ_{t-1})                 (−∇f if maximize)
            if λ ≠ 0:
                θ_{t-1} = θ_{t-1} (1 − γλ)    if decoupled_weight_decay
                g_t = g_t + λ θ_{t-1}         otherwise
            μ_t     = β1 (1 − ½ · 0.96^(t ψ))
            μ_{t+1} = β1 (1 − ½ · 0.96^((t+1) ψ))
            m_t = β1 m_{t-1} + (1 − β1) g_t
            v_t = β2 v_{t-1} + (1 − β2) g_t²
            v̂_t = v_t / (1 − β2^t)
            θ_t = θ_{t-1} − γ (1 − μ_t)/(1 − ∏_{i≤t} μ_i) · g_t/(√v̂_t + ε)
                          − γ μ_{t+1}/(1 − ∏_{i≤t+1} μ_i) · m_t/(√v̂_t + ε)

    The step mixes the current gradient and the momentum *one step ahead*
    (μ_{t+1} m_t), which is Nesterov's look-ahead carried into Adam. The
    momentum coefficient μ_t warms up from about β1/2 towards β1 as
    0.96^(tψ) → 0. The notes' form is Dozat's with a constant μ = β1:
    θ_t = θ_{t-1} − γ/(√v̂_t + ε) · (β1 m̂_t + (1 − β1) g_t / (1 − β1^t)).
    """

    rule = staticmethod(nadam_step)

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_nonnegative("epsilon", group["eps"])
        check_betas(group["betas"])
        check_nonnegative("weight_decay", group["weight_decay"])
        check_nonnegative("momentum_decay", group["momentum_decay"])
