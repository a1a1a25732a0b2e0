"""Softmax and log-softmax along one axis, numerically stable (output layers, cross-entropy).

softmax(v)_i = e^{v_i} / Σ_j e^{v_j}. Subtracting m = max_j v_j first changes
nothing mathematically (the factor e^{-m} cancels) but keeps every exponent
<= 0, so nothing overflows even for |v| ~ 1e4:

    log_softmax(v)_i = (v_i − m) − log Σ_j e^{v_j − m}

``dim`` selects the axis (default the last one), as in ``torch.softmax``.
"""

import numpy as np

from dlcourse.functional.activations import _as_float

__all__ = ["softmax", "log_softmax", "softmax_backward", "log_softmax_backward"]


def _shifted(x, dim):
    x = _as_float(x)
    if x.ndim == 0:
        raise ValueError("softmax needs an array with at least one axis, got a scalar")
    if not -x.ndim <= dim < x.ndim:
        raise ValueError(f"dim {dim} is out of range for an input of shape {x.shape}")
    return x - x.max(axis=dim, keepdims=True)


def softmax(x, dim=-1):
    """Probabilities along ``dim``: positive, summing to 1; same shape as ``x``."""
    e = np.exp(_shifted(x, dim))
    return e / e.sum(axis=dim, keepdims=True)


def log_softmax(x, dim=-1):
    """log(softmax(x)) computed as (x − m) − log Σ e^{x − m}, finite for any finite x."""
    z = _shifted(x, dim)
    return z - np.log(np.exp(z).sum(axis=dim, keepdims=True))


def softmax_backward(grad_output, y, dim=-1):
    """dL/dx for y = softmax(x): the Jacobian ∂y_i/∂x_j = y_i (δ_ij − y_j) applied
    to dL/dy without building it: dL/dx = y ⊙ (g − Σ_j g_j y_j)."""
    g = np.asarray(grad_output)
    return y * (g - (g * y).sum(axis=dim, keepdims=True))


def log_softmax_backward(grad_output, y, dim=-1):
    """dL/dx for y = log_softmax(x): dL/dx = g − softmax(x) Σ_j g_j, with softmax(x) = e^y."""
    g = np.asarray(grad_output)
    return g - np.exp(y) * g.sum(axis=dim, keepdims=True)
