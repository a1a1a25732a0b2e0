"""RMSprop: a moving average of squared gradients, as ``torch.optim.RMSprop``."""

import numpy as np

from dlcourse.optim.optimizer import Optimizer, check_lr, check_nonnegative


def rmsprop_step(param, grad, state, *, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                 momentum=0.0, centered=False, maximize=False, eps_inside_sqrt=False):
    """One RMSprop step on one parameter; returns ``(new_param, new_state)``.

    ``param`` and ``grad`` are arrays of one shape (any); ``state`` holds
    ``"step"``, ``"square_avg"``, and ``"momentum_buffer"`` (if momentum > 0)
    and ``"grad_avg"`` (if centered), shaped like ``param``; ``{}`` at first.
    Nothing passed in is modified.
    """
    g = -grad if maximize else grad
    new = {"step": state.get("step", 0) + 1}
    if weight_decay != 0:
        g = g + weight_decay * param
    square_avg = state.get("square_avg", np.zeros_like(param))
    square_avg = alpha * square_avg + (1 - alpha) * g * g
    new["square_avg"] = square_avg
    variance = square_avg
    if centered:
        grad_avg = state.get("grad_avg", np.zeros_like(param))
        grad_avg = alpha * grad_avg + (1 - alpha) * g
        new["grad_avg"] = grad_avg
        variance = square_avg - grad_avg * grad_avg
    denom = np.sqrt(variance + eps) if eps_inside_sqrt else np.sqrt(variance) + eps
    if momentum > 0:
        buf = state.get("momentum_buffer", np.zeros_like(param))
        buf = momentum * buf + g / denom
        new["momentum_buffer"] = buf
        return param - lr * buf, new
    return param - lr * (g / denom), new


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, 2012; chapter: adaptive learning rates).

    Algorithm (as PyTorch)::

        input: lr γ, θ_0, f(θ), smoothing α, ε, weight decay λ,
               momentum μ, centered
        v_0 = 0, b_0 = 0, g^ave_0 = 0
        for t = 1, 2, ...
            g_t = ∇f(θ_{t-1})                    (−∇f if maximize)
            if λ ≠ 0:  g_t = g_t + λ θ_{t-1}
            v_t = α v_{t-1} + (1 − α) g_t²
            ṽ_t = v_t
            if centered:
                g^ave_t = α g^ave_{t-1} + (1 − α) g_t
                ṽ_t = v_t − (g^ave_t)²
            if μ > 0:
                b_t = μ b_{t-1} + g_t / (√ṽ_t + ε)
                θ_t = θ_{t-1} − γ b_t
            else:
                θ_t = θ_{t-1} − γ g_t / (√ṽ_t + ε)

    The notes call α the decay factor β (typically 0.9; PyTorch's default
    is 0.99) and put ε inside the root, √(v_t + ε): ``eps_inside_sqrt=True``.
    """

    rule = staticmethod(rmsprop_step)

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False, eps_inside_sqrt=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize,
                        eps_inside_sqrt=eps_inside_sqrt)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_nonnegative("epsilon", group["eps"])
        check_nonnegative("momentum", group["momentum"])
        check_nonnegative("weight_decay", group["weight_decay"])
        check_nonnegative("alpha", group["alpha"])
