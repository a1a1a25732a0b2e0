"""The bias–variance decomposition, measured (chapter 9).

Training sets are drawn again and again from a known truth, ``y = f(x) + ε`` with
``ε ~ N(0, σ²)``; a model fitted on training set ``r`` predicts ``f̂_r(x)`` at fixed test
inputs. Over the R training sets and the M test inputs:

    bias²     = mean_x ( E_r[f̂_r(x)] − f(x) )²
    variance  = mean_x E_r[ (f̂_r(x) − E_r[f̂_r(x)])² ]          (ddof = 0)
    E[(y − f̂(x))²] = bias² + variance + σ²                       (a fresh noisy y at x)

:func:`polynomial_bias_variance` runs the chapter's experiment: least-squares polynomials
of each degree on the same R noisy copies of one training design.
"""

import numpy as np

__all__ = ["decompose", "polynomial_fit_predict", "polynomial_bias_variance"]


def decompose(predictions, f_true):
    """``(bias², variance)`` of ``predictions`` (R, M), one row per training set, against the
    truth ``f_true`` (M,) at the same test inputs."""
    predictions = np.asarray(predictions, dtype=np.float64)
    f_true = np.asarray(f_true, dtype=np.float64)
    if predictions.ndim != 2 or f_true.shape != predictions.shape[1:]:
        raise ValueError(f"decompose: predictions must be (R, M) and f_true (M,), got shapes "
                         f"{predictions.shape} and {f_true.shape}")
    mean = predictions.mean(axis=0)
    return float(np.mean((mean - f_true) ** 2)), float(np.mean((predictions - mean) ** 2))


def polynomial_fit_predict(x_train, y_train, x_test, degree):
    """Least-squares polynomial of ``degree`` fitted on (x_train, y_train), evaluated at x_test."""
    x_train, x_test = np.asarray(x_train, dtype=np.float64), np.asarray(x_test, dtype=np.float64)
    if degree < 0 or degree >= len(x_train):
        raise ValueError(f"polynomial_fit_predict: degree must be in 0 .. {len(x_train) - 1} for "
                         f"{len(x_train)} training points, got {degree}")
    V = np.vander(x_train, degree + 1, increasing=True)
    coef, *_ = np.linalg.lstsq(V, np.asarray(y_train, dtype=np.float64), rcond=None)
    return np.vander(x_test, degree + 1, increasing=True) @ coef


def polynomial_bias_variance(f, x_train, x_test, degrees, noise_std, n_datasets, rng):
    """Bias² and variance of least-squares polynomials of each degree in ``degrees``.

    Training set r (r = 0 … R−1) is ``y_r = f(x_train) + noise_std * rng.standard_normal(N)``,
    one draw per set, shared by every degree. Returns ``(bias2, variance)``, two float arrays
    of shape ``(len(degrees),)``.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"polynomial_bias_variance: rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if n_datasets < 2:
        raise ValueError(f"polynomial_bias_variance: n_datasets must be at least 2, got {n_datasets}")
    x_train, x_test = np.asarray(x_train, dtype=np.float64), np.asarray(x_test, dtype=np.float64)
    clean = f(x_train)
    ys = [clean + noise_std * rng.standard_normal(len(x_train)) for _ in range(n_datasets)]
    f_test = f(x_test)
    result = np.array([decompose([polynomial_fit_predict(x_train, y, x_test, d) for y in ys], f_test)
                       for d in degrees])
    return result[:, 0].copy(), result[:, 1].copy()
