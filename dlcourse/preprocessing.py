"""Feature scaling, as scikit-learn's ``MinMaxScaler`` and ``StandardScaler`` (the
chapter on gradient descent: features of very different ranges make the loss surface
a narrow valley, and scaling them makes it round).

Both learn one pair of numbers per column (feature) on the training data with ``fit``
and apply them with ``transform``; ``inverse_transform`` undoes the scaling. The test
data is transformed with the *training* statistics. X has shape (n_samples, n_features).

* min-max scaling to ``feature_range`` (a, b):  x' = a + (x − min) (b − a) / (max − min)
* standardisation:                              x' = (x − mean) / std   (std with 1/n,
                                                 by the corrected two-pass algorithm)

A constant column would divide by zero: as in scikit-learn its scale is set to 1 (its
range below 10·eps for min-max scaling; its variance within the rounding error of
computing a variance, for standardisation), so it maps to a (min-max) or to 0.
No method changes the array it is given.
"""

import numpy as np

__all__ = ["MinMaxScaler", "StandardScaler", "NotFittedError"]

_EPS = np.finfo(np.float64).eps


class NotFittedError(ValueError, AttributeError):
    """``transform`` or ``inverse_transform`` before ``fit`` (scikit-learn's exception)."""


def _as_data(X, who):
    """``X`` as a 2-D floating array (float32 kept), finite, with at least one sample."""
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise TypeError(f"{who} needs a numeric array, got dtype {X.dtype}")
    if X.ndim != 2:
        raise ValueError(
            f"{who} needs a 2-D array of shape (n_samples, n_features), got shape {X.shape}"
            + ("; reshape a single feature with X.reshape(-1, 1)" if X.ndim == 1 else ""))
    if X.shape[0] == 0:
        raise ValueError(f"{who} needs at least one sample, got shape {X.shape}")
    if not np.issubdtype(X.dtype, np.floating):
        X = X.astype(np.float64)
    if not np.all(np.isfinite(X)):
        row, col = (int(i) for i in np.argwhere(~np.isfinite(X))[0])
        raise ValueError(f"{who} got a non-finite value {X[row, col]} at row {row}, column {col}")
    return X


def _ones_where(scale, constant):
    """``scale`` with its constant columns set to 1, so that nothing is divided by ~0."""
    scale = np.array(scale, copy=True)
    scale[constant] = 1.0
    return scale


class _Scaler:
    _fitted_attribute = ""

    def fit_transform(self, X, y=None):
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def _checked(self, X, method):
        who = f"{type(self).__name__}.{method}"
        if not hasattr(self, self._fitted_attribute):
            raise NotFittedError(f"{who}: this {type(self).__name__} is not fitted yet; call fit(X) first")
        X = _as_data(X, who)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"{who}: X has {X.shape[1]} features, but the scaler was fitted on "
                             f"{self.n_features_in_}")
        return X


class MinMaxScaler(_Scaler):
    """x' = x · scale_ + min_ with scale_ = (b − a) / (max − min), min_ = a − min · scale_,
    so that each training column spans ``feature_range`` = (a, b) exactly.

    After ``fit``: ``data_min_``, ``data_max_``, ``data_range_``, ``scale_``, ``min_``,
    ``n_samples_seen_``, ``n_features_in_``. ``clip=True`` clips transformed values to
    (a, b) (test data may fall outside the training range).
    """

    _fitted_attribute = "scale_"

    def __init__(self, feature_range=(0, 1), clip=False):
        low, high = feature_range
        if not low < high:
            raise ValueError("Minimum of desired feature range must be smaller than maximum. "
                             f"Got {tuple(feature_range)}.")
        self.feature_range = (low, high)
        self.clip = clip

    def fit(self, X, y=None):
        """Learn each column's minimum and maximum from ``X`` (n_samples, n_features)."""
        X = _as_data(X, "MinMaxScaler.fit")
        low, high = (X.dtype.type(v) for v in self.feature_range)
        self.data_min_, self.data_max_ = X.min(axis=0), X.max(axis=0)
        self.data_range_ = self.data_max_ - self.data_min_
        constant = self.data_range_ < 10 * np.finfo(X.dtype).eps
        self.scale_ = (high - low) / _ones_where(self.data_range_, constant)
        self.min_ = low - self.data_min_ * self.scale_
        self.n_samples_seen_, self.n_features_in_ = X.shape
        return self

    def transform(self, X):
        """x · scale_ + min_, a new array."""
        X = self._checked(X, "transform")
        out = X * self.scale_ + self.min_
        if self.clip:
            out = np.clip(out, *self.feature_range)
        return out

    def inverse_transform(self, X):
        """(x' − min_) / scale_: the original units back, a new array."""
        X = self._checked(X, "inverse_transform")
        return (X - self.min_) / self.scale_


class StandardScaler(_Scaler):
    """x' = (x − mean_) / scale_ with scale_ the column's standard deviation (1/n, as
    NumPy's ``std`` and scikit-learn), so each training column has mean 0 and variance 1.

    After ``fit``: ``mean_``, ``var_``, ``scale_``, ``n_samples_seen_``, ``n_features_in_``
    (``var_`` and ``scale_`` None without the division, ``mean_`` None with neither).
    ``with_mean=False`` / ``with_std=False`` skip the centring / the division.
    """

    _fitted_attribute = "n_samples_seen_"

    def __init__(self, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X, y=None):
        """Learn each column's mean and standard deviation from ``X`` (n_samples, n_features)."""
        X = _as_data(X, "StandardScaler.fit")
        n = X.shape[0]
        # the corrected two-pass variance (Chan, Golub, LeVeque), accumulated in float64 as in
        # scikit-learn: Σ(x − m)² less the rounding error of m, (Σ(x − m))² / n
        mean = X.sum(axis=0, dtype=np.float64) / n
        centred = X - mean
        var = ((centred**2).sum(axis=0, dtype=np.float64) - centred.sum(axis=0, dtype=np.float64) ** 2 / n) / n
        self.n_samples_seen_, self.n_features_in_ = X.shape
        # as in scikit-learn: mean_ is kept unless neither option needs it, var_ only with_std
        self.mean_ = mean.astype(X.dtype) if self.with_mean or self.with_std else None
        self.var_ = var.astype(X.dtype) if self.with_std else None
        if self.with_std:
            # a constant column's computed variance is rounding error, not 0 (e.g. [0.1, 0.1, 0.1]):
            # the two-pass algorithm's error bound, n eps var + (n mean eps)^2 (Chan, Golub, LeVeque)
            constant = var <= n * _EPS * var + (n * mean * _EPS) ** 2
            self.scale_ = _ones_where(np.sqrt(var), constant).astype(X.dtype)
        else:
            self.scale_ = None
        return self

    def transform(self, X):
        """(x − mean_) / scale_, a new array."""
        X = self._checked(X, "transform")
        out = X - self.mean_ if self.with_mean else X.copy()
        return out / self.scale_ if self.with_std else out

    def inverse_transform(self, X):
        """x' · scale_ + mean_: the original units back, a new array."""
        X = self._checked(X, "inverse_transform")
        out = X * self.scale_ if self.with_std else X.copy()
        return out + self.mean_ if self.with_mean else out
