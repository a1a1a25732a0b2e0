"""Delta-bar-delta: per-parameter learning rates driven by gradient signs (Jacobs, 1988)."""

import numpy as np

from dlcourse.optim.optimizer import Optimizer, check_lr, check_nonnegative, check_unit_interval


def delta_bar_delta_step(param, grad, state, *, lr=1e-2, kappa=1e-3, phi=0.1, theta=0.7,
                         maximize=False):
    """One delta-bar-delta step on one parameter; returns ``(new_param, new_state)``.

    ``param`` and ``grad`` are arrays of one shape (any); ``state`` holds
    ``"step"``, ``"rates"`` (one learning rate per entry of ``param``,
    starting at ``lr``) and ``"delta_bar"`` (the running average of past
    gradients, starting at zero). Nothing passed in is modified.
    """
    g = -grad if maximize else grad
    rates = state.get("rates")
    if rates is None:
        rates = np.full_like(param, lr)
    delta_bar = state.get("delta_bar", np.zeros_like(param))
    agreement = delta_bar * g
    rates = np.where(agreement > 0, rates + kappa,
                     np.where(agreement < 0, rates * (1 - phi), rates))
    new_param = param - rates * g
    delta_bar = (1 - theta) * g + theta * delta_bar
    new_state = {"step": state.get("step", 0) + 1, "rates": rates, "delta_bar": delta_bar}
    return new_param, new_state


class DeltaBarDelta(Optimizer):
    r"""Delta-bar-delta (Jacobs, 1988; chapter: parameter-specific learning rates).

    Every entry θ_i of every parameter has its own learning rate ε_i.
    Algorithm (δ is the gradient, δ̄ its running average)::

        input: initial rate ε_0 (lr), increment κ, decay φ ∈ [0, 1),
               averaging weight θ ∈ [0, 1)
        ε_i = ε_0, δ̄_i = 0
        for t = 1, 2, ...
            δ_i(t) = ∂f/∂θ_i                     (negated if maximize)
            Δε_i  = +κ          if δ̄_i(t−1) δ_i(t) > 0   (sign agrees: grow additively)
                    −φ ε_i      if δ̄_i(t−1) δ_i(t) < 0   (sign flipped: shrink by a factor)
                    0           otherwise
            ε_i   = ε_i + Δε_i
            θ_i   = θ_i − ε_i δ_i(t)
            δ̄_i(t) = (1 − θ) δ_i(t) + θ δ̄_i(t−1)

    (Here θ, Jacobs' name for the averaging weight, is the argument ``theta``,
    not a parameter.) Rates grow slowly and shrink fast, so a coordinate that
    zig-zags is calmed at once while a steady one speeds up. Being driven by
    gradient signs, it suits full-batch gradient descent; the noise of
    mini-batch gradients flips signs at random and defeats it (as the notes
    point out), which is what Adagrad, RMSprop and Adam address.
    """

    rule = staticmethod(delta_bar_delta_step)

    def __init__(self, params, lr=1e-2, kappa=1e-3, phi=0.1, theta=0.7, *, maximize=False):
        defaults = dict(lr=lr, kappa=kappa, phi=phi, theta=theta, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_nonnegative("kappa", group["kappa"])
        check_unit_interval("phi", group["phi"])
        check_unit_interval("theta", group["theta"])
