"""Nesterov momentum in the notes' look-ahead form: the gradient is taken ahead."""

import numpy as np

from dlcourse.optim.optimizer import Optimizer, check_lr, check_nonnegative


def nesterov_lookahead(param, state, *, momentum=0.9):
    """The point θ_t − γ v_{t-1} where the next gradient is taken (a new array)."""
    velocity = state.get("velocity")
    return np.array(param, copy=True) if velocity is None else param - momentum * velocity


def nesterov_update(param, lookahead_grad, state, *, lr=1e-2, momentum=0.9):
    """Given ∇L at the look-ahead point, return ``(new_param, new_state)``."""
    velocity = momentum * state.get("velocity", np.zeros_like(param)) + lr * lookahead_grad
    return param - velocity, {"velocity": velocity}


def nesterov_step(param, grad_fn, state, *, lr=1e-2, momentum=0.9):
    """One look-ahead Nesterov step; ``grad_fn(theta)`` returns ∇L at ``theta``.

    Returns ``(new_param, new_state)``; ``state`` holds ``"velocity"``.
    Example, on f(x, y) = x² + 4y²::

        theta, state = np.array([-2.0, 1.5]), {}
        for t in range(50):
            theta, state = nesterov_step(theta, lambda p: np.array([2, 8]) * p,
                                         state, lr=0.05, momentum=0.9)
    """
    point = nesterov_lookahead(param, state, momentum=momentum)
    return nesterov_update(param, grad_fn(point), state, lr=lr, momentum=momentum)


class NesterovMomentum(Optimizer):
    r"""Nesterov accelerated gradient, "look before you leap" (chapter: momentum).

    Algorithm, as in the notes (Sutskever et al., 2013)::

        input: lr α, momentum γ, θ_0
        v_{-1} = 0
        for t = 0, 1, ...
            θ̃_t     = θ_t − γ v_{t-1}            (look ahead along the momentum)
            v_t     = γ v_{t-1} + α ∇L(θ̃_t)
            θ_{t+1} = θ_t − v_t

    The gradient is needed at θ̃_t, not at the stored θ_t, so ``step`` needs
    a ``closure`` that recomputes the gradients: ``step`` moves every
    parameter to its look-ahead point, clears the gradients, calls
    ``closure()`` (which must fill ``p.grad``, e.g. by a forward and backward
    pass, and may return the loss, which ``step`` returns), moves the
    parameters back and updates them. For a plain function with a known
    gradient, :func:`nesterov_step` does the same without a closure.

    One set of notes writes U_t = ∇L(W_t − βU_{t-1}) + βU_{t-1},
    W_{t+1} = W_t − ηU_t, having dropped η from the look-ahead "for
    simplicity"; with v = ηU the look-ahead point is W_t − ηβU_{t-1}, the
    form used here.

    Relation to ``SGD(momentum=γ, nesterov=True)`` (PyTorch's form): write
    v_t = α b_t and follow the look-ahead point φ_t = θ_t − γ v_{t-1}
    instead of θ_t. Then b_t = γ b_{t-1} + ∇L(φ_t) and

        φ_{t+1} = φ_t + γ v_{t-1} − (1 + γ) v_t = φ_t − α (∇L(φ_t) + γ b_t),

    which is exactly PyTorch's update of its parameter, with the gradient at
    the parameter itself. The two runs coincide (with a constant α) once one
    reads PyTorch's parameter as the look-ahead point: θ_t = φ_t + γ α b_{t-1}.
    """

    def __init__(self, params, lr=1e-2, momentum=0.9):
        super().__init__(params, dict(lr=lr, momentum=momentum))

    def _check_hyperparameters(self, group):
        check_lr(group["lr"])
        check_nonnegative("momentum", group["momentum"])

    def step(self, closure=None):
        """Take the gradient at the look-ahead points (via ``closure``), then update."""
        if closure is None:
            raise RuntimeError(
                "NesterovMomentum.step needs a closure that recomputes the gradients "
                "(the gradient is taken at the look-ahead point θ − γv, not at θ)"
            )
        stored = {}
        for group in self.param_groups:
            for p in group["params"]:
                stored[p] = p.data.copy()
                p.data[...] = nesterov_lookahead(p.data, self.state.get(p, {}),
                                                 momentum=group["momentum"])
        try:
            self.zero_grad()
            loss = closure()
        finally:
            for p, data in stored.items():
                p.data[...] = data
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                new_data, self.state[p] = nesterov_update(
                    p.data, self._checked_grad(p), self.state.get(p, {}),
                    lr=group["lr"], momentum=group["momentum"])
                p.data[...] = new_data
        return loss
