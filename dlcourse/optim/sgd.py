"""Stochastic gradient descent with momentum, as ``torch.optim.SGD``."""

import numpy as np

from dlcourse.optim.optimizer import Optimizer, check_lr, check_nonnegative


def sgd_step(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
             weight_decay=0.0, nesterov=False, maximize=False):
    """One SGD step on one parameter; returns ``(new_param, new_state)``.

    ``param`` and ``grad`` are arrays of one shape (any); ``state`` is a dict
    (``{}`` before the first step) holding ``"momentum_buffer"`` (shaped like
    ``param``) once momentum is used. Nothing passed in is modified.
    """
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    state = dict(state)
    if momentum != 0:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = np.array(g, copy=True)
        elif dampening == 0:
            buf = momentum * buf + g
        else:
            buf = momentum * buf + (1 - dampening) * g
        state["momentum_buffer"] = buf
        g = g + momentum * buf if nesterov else buf
    return param - lr * g, state


def sgd_step_(param, grad, state, *, lr=1e-3, momentum=0.0, dampening=0.0,
              weight_decay=0.0, nesterov=False, maximize=False):
    """:func:`sgd_step` in place: updates ``param`` and the momentum buffer in ``state``
    (the same operations in the same order, so the same numbers)."""
    g = -grad if maximize else grad
    if weight_decay != 0:
        g = g + weight_decay * param
    if momentum != 0:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = np.array(g, copy=True)
        else:
            buf *= momentum
            buf += g if dampening == 0 else (1 - dampening) * g
        g = g + momentum * buf if nesterov else buf
    param -= lr * g


class SGD(Optimizer):
    r"""Gradient descent with optional momentum (chapter: optimisation).

    The same rule serves batch, stochastic and mini-batch gradient descent:
    which one it is depends only on how many examples the gradient in
    ``p.grad`` was computed from (the whole set, one example, or a mini-batch
    of k), which the training loop decides (``dlcourse.train.fit(batch_size=...)``).

    Algorithm (as PyTorch)::

        input: lr γ, θ_0, f(θ), weight decay λ, momentum μ, dampening τ,
               nesterov, maximize
        for t = 1, 2, ...
            g_t = ∇f(θ_{t-1})                 (−∇f if maximize)
            if λ ≠ 0:  g_t = g_t + λ θ_{t-1}
            if μ ≠ 0:
                b_t = g_t                      if t = 1
                b_t = μ b_{t-1} + (1 − τ) g_t  otherwise
                g_t = g_t + μ b_t              if nesterov
                g_t = b_t                      otherwise
            θ_t = θ_{t-1} − γ g_t

    How this reads against the notes' formulations:

    * Heavy-ball momentum, v_t = γ v_{t-1} + α ∇L(θ_t), θ_{t+1} = θ_t − v_t
      (or V ← βV − α ∂L/∂W, W ← W + V), is ``SGD(momentum=γ)`` with
      v_t = α b_t, exactly, as long as the learning rate is constant;
      U_t = ∇w_t + β U_{t-1}, w_{t+1} = w_t − η U_t is the same with U = b.
    * Momentum as an exponential moving average, v_t = β v_{t-1} + (1 − β) g_t
      from v_0 = 0 (:class:`~dlcourse.optim.MomentumEMA`), takes exactly the
      steps of ``SGD(lr=α(1 − β), momentum=β)``. ``SGD(momentum=β,
      dampening=β)`` runs the same average but starts the buffer at
      b_1 = g_1 instead of v_1 = (1 − β) g_1, so the two differ by β^t g_1.
    * Nesterov's look-ahead form takes the gradient at θ_t − γ v_{t-1};
      ``nesterov=True`` is the same algorithm rewritten in the look-ahead
      point φ_t = θ_t − γ v_{t-1}, so that it needs only the gradient at the
      stored parameter. :class:`~dlcourse.optim.NesterovMomentum` implements
      the look-ahead form itself and its docstring gives the derivation.
    """

    rule = staticmethod(sgd_step)
    inplace_rule = staticmethod(sgd_step_)

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_nonnegative("momentum", group["momentum"])
        check_nonnegative("weight_decay", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "Nesterov momentum requires a momentum and zero dampening "
                f"(got momentum={group['momentum']}, dampening={group['dampening']})"
            )
