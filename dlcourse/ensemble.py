"""Bagging: one model per bootstrap sample, predictions averaged (chapter 9).

Bootstrap sample b draws N indices with replacement, ``rng.integers(0, N, size=N)``, one
call per model in turn; model b is ``fit_predict(X[idx_b], y[idx_b], X_test)``; the bagged
prediction is their mean, ``(1/k) Σ_b f̂_b(X_test)``.

Averaging k predictions of variance σ² whose pairwise correlation is ρ gives

    Var( (1/k) Σ_b f̂_b ) = ρ σ² + (1 − ρ) σ² / k,

so uncorrelated members (ρ = 0) divide the variance by k and identical ones (ρ = 1) do not
help at all (:func:`averaged_variance`).
"""

import numpy as np

from dlcourse.resampling import bootstrap_indices

__all__ = ["bootstrap_samples", "bagging_predict", "averaged_variance"]


def bootstrap_samples(n_samples, n_models, rng):
    """(n_models, n_samples) int64 indices, row b = ``rng.integers(0, n_samples, size=n_samples)``."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"bootstrap_samples: rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if n_samples < 1 or n_models < 1:
        raise ValueError(f"bootstrap_samples: n_samples and n_models must be positive, got {n_samples}, {n_models}")
    return np.stack([in_bag for in_bag, _ in bootstrap_indices(n_samples, n_models, rng)])


def bagging_predict(fit_predict, X, y, X_test, n_models, rng):
    """The mean over ``n_models`` bootstrap models of ``fit_predict(X[idx], y[idx], X_test)``."""
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"bagging_predict: X has {len(X)} rows but y has {len(y)}")
    predictions = [np.asarray(fit_predict(X[idx], y[idx], X_test), dtype=np.float64)
                   for idx in bootstrap_samples(len(X), n_models, rng)]
    return np.mean(predictions, axis=0)


def averaged_variance(sigma2, rho, k):
    """Var of the mean of k predictions of variance ``sigma2`` and correlation ``rho`` (k: int or array)."""
    k = np.asarray(k)
    if np.any(k < 1):
        raise ValueError(f"averaged_variance: k must be at least 1, got {k}")
    return rho * sigma2 + (1 - rho) * sigma2 / k
