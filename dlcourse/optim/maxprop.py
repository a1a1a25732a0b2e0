"""MaxProp: RMSprop with the max norm in place of the mean square (the notes' variant)."""

import numpy as np

from dlcourse.optim.optimizer import Optimizer, check_lr, check_nonnegative, check_unit_interval


def maxprop_step(param, grad, state, *, lr=1e-2, beta=0.9, eps=1e-8, weight_decay=0.0,
                 maximize=False):
    """One MaxProp step on one parameter; returns ``(new_param, new_state)``.

    ``param`` and ``grad`` are arrays of one shape (any); ``state`` holds
    ``"step"`` and ``"max_norm"`` (v, shaped like ``param``; zero before the
    first step). Nothing passed in is modified.
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    v = np.maximum(beta * state.get("max_norm", np.zeros_like(param)), np.abs(g))
    new_state = {"step": state.get("step", 0) + 1, "max_norm": v}
    return param - lr * (g / (v + eps)), new_state


class MaxProp(Optimizer):
    r"""MaxProp (chapter: adaptive learning rates).

    Algorithm::

        input: lr η, θ_0, f(θ), β ∈ [0, 1), ε, weight decay λ
        v_0 = 0
        for t = 1, 2, ...
            g_t = ∇f(θ_{t-1}) (+ λ θ_{t-1})    (−∇f if maximize)
            v_t = max(β v_{t-1}, |g_t|)
            θ_t = θ_{t-1} − η g_t / (v_t + ε)

    Elementwise, like RMSprop, but the running scale is a decaying maximum of
    |g| instead of a mean of g². One noisy mini-batch with a zero gradient
    cannot shrink v_t (and so blow up the step) the way it shrinks RMSprop's
    average; v_t only decays by the factor β per step. Because v is already
    in the units of g, no square root is taken (the notes' scan keeps a
    √(v_t + ε) in the formula but says in the margin that the root is
    removed). Adamax is this scale combined with Adam's first moment.
    """

    rule = staticmethod(maxprop_step)

    def __init__(self, params, lr=1e-2, beta=0.9, eps=1e-8, weight_decay=0, *, maximize=False):
        defaults = dict(lr=lr, beta=beta, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_unit_interval("beta", group["beta"])
        check_nonnegative("epsilon", group["eps"])
        check_nonnegative("weight_decay", group["weight_decay"])
