"""Penalties on the weights and noise at the inputs (chapter 9).

    L1:  Ω(w) = λ Σ |w_i|,        a subgradient λ sign(w)   (0 where w = 0, as torch.sign)
    L2:  Ω(w) = (λ/2) Σ w_i²,     gradient λ w

With the L2 term, one gradient step on L + Ω is plain weight decay:

    w ← w − η (∇L + λ w) = (1 − ηλ) w − η ∇L

Noise at the inputs of a linear model ŷ = w·x + b, x̃ = x + e with e ~ N(0, σ² I):

    E_e[(w·x̃ + b − y)²] = (ŷ − y)² + σ² Σ w_i²

so, on average, training on noisy inputs adds an L2 penalty σ² ||w||² to the squared error.
"""

import numpy as np

__all__ = ["l1_penalty", "l1_subgradient", "l2_penalty", "l2_gradient", "soft_threshold",
           "weight_decay_step", "add_input_noise", "expected_noisy_mse"]


def _float(a):
    return np.asarray(a, dtype=np.float64)


def l1_penalty(w, lam):
    """λ Σ |w_i| over every element of ``w``."""
    return float(lam * np.sum(np.abs(_float(w))))


def l1_subgradient(w, lam):
    """λ sign(w), with 0 at w = 0 (the subgradient PyTorch's autograd gives |w|)."""
    return lam * np.sign(_float(w))


def l2_penalty(w, lam):
    """(λ/2) Σ w_i²."""
    return float(0.5 * lam * np.sum(_float(w) ** 2))


def l2_gradient(w, lam):
    """λ w, the gradient of :func:`l2_penalty`."""
    return lam * _float(w)


def soft_threshold(v, t):
    """sign(v) max(|v| − t, 0): the proximal step of t·||·||₁ (ISTA's shrinkage)."""
    if np.any(np.asarray(t) < 0):
        raise ValueError(f"soft_threshold: the threshold must be >= 0, got {t}")
    v = _float(v)
    return np.sign(v) * np.maximum(np.abs(v) - t, 0.0)


def weight_decay_step(w, grad, lr, weight_decay):
    """(1 − η λ) w − η ∇L, the weight-decay form of a gradient step on L + (λ/2)||w||²."""
    return (1 - lr * weight_decay) * _float(w) - lr * _float(grad)


def add_input_noise(X, sigma, rng):
    """X + σ e, e ~ N(0, 1) drawn as ``rng.standard_normal(X.shape)``; a new array."""
    if sigma < 0:
        raise ValueError(f"add_input_noise: sigma must be >= 0, got {sigma}")
    X = _float(X)
    return X + sigma * rng.standard_normal(X.shape)


def expected_noisy_mse(X, y, w, b, sigma):
    """mean (Xw + b − y)² + σ² Σ w_i², the mean squared error expected under input noise σ."""
    X, w = _float(X), _float(w)
    return float(np.mean((X @ w + b - _float(y)) ** 2) + sigma ** 2 * np.sum(w ** 2))
