"""Momentum as an exponential moving average of gradients (the notes' form)."""

import numpy as np

from dlcourse.optim.optimizer import Optimizer, check_lr, check_nonnegative, check_unit_interval


def momentum_ema_step(param, grad, state, *, lr=1e-2, momentum=0.9, weight_decay=0.0,
                      maximize=False):
    """One step of EMA momentum on one parameter; returns ``(new_param, new_state)``.

    ``param`` and ``grad`` are arrays of one shape (any); ``state`` holds
    ``"velocity"`` (v, shaped like ``param``; zero before the first step).
    Nothing passed in is modified.
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    v = momentum * state.get("velocity", np.zeros_like(param)) + (1 - momentum) * g
    return param - lr * v, {"velocity": v}


class MomentumEMA(Optimizer):
    r"""Gradient descent on a moving average of the gradients (chapter: momentum).

    Algorithm::

        input: lr α, θ_0, f(θ), momentum β ∈ [0, 1), weight decay λ
        v_0 = 0
        for t = 1, 2, ...
            g_t = ∇f(θ_{t-1}) (+ λ θ_{t-1})    (−∇f if maximize)
            v_t = β v_{t-1} + (1 − β) g_t
            θ_t = θ_{t-1} − α v_t

    Unrolled, v_t = (1 − β) Σ_i β^(t−i) g_i: recent gradients weigh most and
    old ones fade geometrically, which averages out the zig-zag across a
    narrow valley.

    Relation to PyTorch: v_t / (1 − β) obeys u_t = β u_{t-1} + g_t with
    u_1 = g_1, which is exactly heavy-ball momentum, so this optimizer takes
    the same steps as ``SGD(lr=α(1 − β), momentum=β)``. PyTorch's
    ``SGD(momentum=β, dampening=β)`` looks closer, b_t = β b_{t-1} + (1 − β) g_t,
    but starts from b_1 = g_1 instead of v_1 = (1 − β) g_1, so
    b_t − v_t = β^t g_1: it takes a larger first step, and the difference
    fades geometrically.
    """

    rule = staticmethod(momentum_ema_step)

    def __init__(self, params, lr=1e-2, momentum=0.9, weight_decay=0, *, maximize=False):
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_unit_interval("momentum", group["momentum"])
        check_nonnegative("weight_decay", group["weight_decay"])
