"""Line search as a step rule: try several learning rates, keep the best.

At each step, with gradient g at the current point x, every candidate rate
η in a fixed list is tried, and the step taken is the one with the smallest
loss:

    η* = argmin_η f(x − η g),    x ← x − η* g

(the notes' definition: a step size chosen per step instead of fixed). Ties go
to the first candidate in the list. No PyTorch equivalent.
"""

import numpy as np

from dlcourse.optim.optimizer import Optimizer


def _check_lrs(lrs):
    lrs = np.asarray(lrs, dtype=np.float64).ravel()
    if lrs.size == 0:
        raise ValueError("line search needs at least one candidate learning rate, got none")
    if not np.all(np.isfinite(lrs)) or np.any(lrs < 0):
        raise ValueError(f"candidate learning rates must be finite and >= 0, got {lrs.tolist()}")
    return lrs


def line_search_step(x, grad, loss, lrs):
    """One step x − η* g with η* the candidate of ``lrs`` giving the smallest ``loss``.

    ``loss`` maps a point (an array shaped like ``x``) to a number. Returns
    ``(new_x, best_lr)``; ``x`` is left unchanged.
    """
    lrs = _check_lrs(lrs)
    x, grad = np.asarray(x, dtype=np.float64), np.asarray(grad, dtype=np.float64)
    if grad.shape != x.shape:
        raise ValueError(f"gradient of shape {grad.shape} does not match x of shape {x.shape}")
    losses = [float(loss(x - lr * grad)) for lr in lrs]
    best = float(lrs[int(np.argmin(losses))])
    return x - best * grad, best


class LineSearch(Optimizer):
    """Gradient descent whose rate is picked per step from ``lrs`` by trying each.

    ``step(closure)`` needs a ``closure()`` returning the loss at the
    parameters' current values (no gradient needed inside it). The
    gradients already stored in ``p.grad`` give the direction; every
    candidate moves all parameters by −η·grad together, the loss is
    evaluated, and the best candidate is kept. ``last_lr`` is the rate chosen
    at the last step. Returns the loss before the step.
    """

    def __init__(self, params, lrs=(1.0, 0.3, 0.1, 0.03, 0.01)):
        _check_lrs(lrs)
        super().__init__(params, {"lrs": tuple(float(v) for v in np.ravel(lrs))})
        self.last_lr = None

    def _check_hyperparameters(self, group):
        _check_lrs(group["lrs"])

    def step(self, closure=None):
        if closure is None:
            raise ValueError("LineSearch.step needs a closure that returns the loss")
        params = [p for group in self.param_groups for p in group["params"] if p.grad is not None]
        lrs = _check_lrs(self.param_groups[0]["lrs"])
        start = [p.data.copy() for p in params]
        grads = [self._checked_grad(p) for p in params]
        before = float(closure())
        losses = []
        for lr in lrs:
            for p, x, g in zip(params, start, grads):
                p.data[...] = x - lr * g
            losses.append(float(closure()))
        self.last_lr = float(lrs[int(np.argmin(losses))])
        for p, x, g in zip(params, start, grads):
            p.data[...] = x - self.last_lr * g
        return before
