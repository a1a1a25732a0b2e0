"""Adagrad: per-parameter rates from the sum of squared gradients, as ``torch.optim.Adagrad``."""

import numpy as np

from dlcourse.optim.optimizer import Optimizer, check_lr, check_nonnegative


def adagrad_step(param, grad, state, *, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False,
                 eps_inside_sqrt=False):
    """One Adagrad step on one parameter; returns ``(new_param, new_state)``.

    ``param`` and ``grad`` are arrays of one shape (any); ``state`` holds
    ``"step"`` (int) and ``"sum"`` (the running G_t, shaped like ``param``).
    Nothing passed in is modified.
    """
    g = -grad if maximize else grad
    step = state.get("step", 0) + 1
    total = state.get("sum")
    if total is None:
        total = np.full_like(param, initial_accumulator_value)
    if weight_decay != 0:
        g = g + weight_decay * param
    clr = lr / (1 + (step - 1) * lr_decay)
    total = total + g * g
    denom = np.sqrt(total + eps) if eps_inside_sqrt else np.sqrt(total) + eps
    return param - clr * (g / denom), {"step": step, "sum": total}


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011; chapter: adaptive learning rates).

    Algorithm (as PyTorch)::

        input: lr γ, θ_0, f(θ), weight decay λ, lr decay η, initial
               accumulator value G_0, ε
        for t = 1, 2, ...
            g_t = ∇f(θ_{t-1})                (−∇f if maximize)
            if λ ≠ 0:  g_t = g_t + λ θ_{t-1}
            γ̃  = γ / (1 + (t − 1) η)
            G_t = G_{t-1} + g_t²
            θ_t = θ_{t-1} − γ̃ g_t / (√G_t + ε)

    The notes write the denominator as √(G_t + ε), with ε inside the root;
    ``eps_inside_sqrt=True`` selects that form (then ε ≈ 1e-8 plays the part
    ε² would in PyTorch's form). Everything is elementwise: each coordinate
    gets its own effective rate γ / √G_t, small for coordinates whose
    gradients have been large, large for rarely updated (sparse) ones.
    """

    rule = staticmethod(adagrad_step)

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, *, maximize=False,
                 eps_inside_sqrt=False):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps,
                        maximize=maximize, eps_inside_sqrt=eps_inside_sqrt)
        super().__init__(params, defaults)
        # as PyTorch, the accumulator exists from the start, not from the first step,
        # and starts at the optimizer's initial_accumulator_value even in a group
        # that names its own (PyTorch fills it from the constructor's argument)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = {
                    "step": 0,
                    "sum": np.full_like(p.data, initial_accumulator_value),
                }

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_nonnegative("lr_decay", group["lr_decay"])
        check_nonnegative("weight_decay", group["weight_decay"])
        check_nonnegative("initial_accumulator_value", group["initial_accumulator_value"])
        check_nonnegative("epsilon", group["eps"])
