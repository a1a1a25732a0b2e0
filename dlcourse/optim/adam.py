"""Adam and AdamW: bias-corrected moment estimates, as ``torch.optim.Adam`` / ``AdamW``."""

import numpy as np

from dlcourse.optim.optimizer import Optimizer, check_betas, check_lr, check_nonnegative


def adam_step(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
              amsgrad=False, maximize=False, decoupled_weight_decay=False):
    """One Adam step on one parameter; returns ``(new_param, new_state)``.

    ``param`` and ``grad`` are arrays of one shape (any); ``state`` holds
    ``"step"`` (int), ``"exp_avg"`` (m), ``"exp_avg_sq"`` (v) and, with
    amsgrad, ``"max_exp_avg_sq"``, shaped like ``param``; ``{}`` before the
    first step. Nothing passed in is modified.
    """
    beta1, beta2 = betas
    g = -grad if maximize else grad
    step = state.get("step", 0) + 1
    if weight_decay != 0:
        if decoupled_weight_decay:
            param = param * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * param
    m = beta1 * state.get("exp_avg", np.zeros_like(param)) + (1 - beta1) * g
    v = beta2 * state.get("exp_avg_sq", np.zeros_like(param)) + (1 - beta2) * g * g
    new_state = {"step": step, "exp_avg": m, "exp_avg_sq": v}
    if amsgrad:
        v = np.maximum(state.get("max_exp_avg_sq", np.zeros_like(param)), v)
        new_state["max_exp_avg_sq"] = v
    step_size = lr / (1 - beta1 ** step)
    denom = np.sqrt(v) / (1 - beta2 ** step) ** 0.5 + eps
    return param - step_size * (m / denom), new_state


def adam_step_(param, grad, state, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
               amsgrad=False, maximize=False, decoupled_weight_decay=False):
    """:func:`adam_step` in place: updates ``param`` and the buffers in ``state``.

    The same operations in the same order (so the same numbers, bit for bit),
    with one temporary array instead of a new array per operation.
    """
    beta1, beta2 = betas
    g = -grad if maximize else grad
    if weight_decay != 0:
        if decoupled_weight_decay:
            param *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * param
    if "exp_avg" not in state:
        state.update(step=0, exp_avg=np.zeros_like(param), exp_avg_sq=np.zeros_like(param))
    if amsgrad and "max_exp_avg_sq" not in state:
        state["max_exp_avg_sq"] = np.zeros_like(param)
    state["step"] += 1
    step, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
    tmp = np.multiply(g, 1 - beta1, dtype=m.dtype)
    m *= beta1
    m += tmp
    np.multiply(g, 1 - beta2, out=tmp, casting="same_kind")
    tmp *= g
    v *= beta2
    v += tmp
    if amsgrad:
        v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
    np.sqrt(v, out=tmp)
    tmp /= (1 - beta2 ** step) ** 0.5
    tmp += eps
    np.divide(m, tmp, out=tmp)
    tmp *= lr / (1 - beta1 ** step)
    param -= tmp


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015; chapter: adaptive learning rates).

    Algorithm (as PyTorch)::

        input: lr γ, θ_0, f(θ), β1, β2, ε, weight decay λ, amsgrad,
               maximize, decoupled_weight_decay
        m_0 = 0, v_0 = 0, v̂max_0 = 0
        for t = 1, 2, ...
            g_t = ∇f(θ_{t-1})                (−∇f if maximize)
            if λ ≠ 0:
                θ_{t-1} = θ_{t-1} (1 − γλ)   if decoupled_weight_decay (AdamW)
                g_t = g_t + λ θ_{t-1}        otherwise (L2 penalty)
            m_t = β1 m_{t-1} + (1 − β1) g_t
            v_t = β2 v_{t-1} + (1 − β2) g_t²
            if amsgrad:  v_t ← v̂max_t = max(v̂max_{t-1}, v_t)
            θ_t = θ_{t-1} − γ/(1 − β1^t) · m_t / (√v_t / √(1 − β2^t) + ε)

    The last line is m̂_t / (√v̂_t + ε) with m̂_t = m_t/(1 − β1^t) and
    v̂_t = v_t/(1 − β2^t), the bias-corrected estimates of the notes. (The
    notes' scanned update, γ m̂_t / √(v_t + ε), mixes the uncorrected v and ε
    inside the root; the correct formula is the one above.)
    """

    rule = staticmethod(adam_step)
    inplace_rule = staticmethod(adam_step_)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_nonnegative("epsilon", group["eps"])
        check_betas(group["betas"])
        check_nonnegative("weight_decay", group["weight_decay"])


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    The rule is :func:`adam_step` with ``decoupled_weight_decay=True``: the
    parameters shrink by a factor (1 − γλ) each step, separately from the
    adaptive gradient step, instead of adding λθ to the gradient (where the
    adaptive denominator would rescale it). Default λ = 1e-2, as PyTorch.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=True)
