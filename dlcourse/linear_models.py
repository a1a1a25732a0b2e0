"""Linear models: least squares, ridge regression, polynomial features and
logistic regression (chapter 1 notes on linear regression and regularisation;
unit 1 notes on the insurance example). The interface follows scikit-learn:
``fit(X, y)`` returns the model, then ``predict``, ``coef_``, ``intercept_``.

With X̃ = [1, X] (a column of ones for the bias w0):

    least squares   w̃ = argmin ||X̃ w − y||²        solves  X̃ᵀX̃ w = X̃ᵀy
    ridge (L2)      w̃ = argmin ||X̃ w − y||² + α ||w_{1:}||²
                       solves (X̃ᵀX̃ + α D) w = X̃ᵀy,   D = diag(0, 1, …, 1)

The bias is not penalised (D has a 0 in its corner), as the notes advise.

    logistic        p = σ(X w + b),  σ(z) = 1 / (1 + e^−z)
                    L = −(1/N) Σ [y log p + (1 − y) log(1 − p)]
                    ∂L/∂w = (1/N) Xᵀ (p − y),   ∂L/∂b = (1/N) Σ (p − y)

    lasso (L1)      w = argmin (1/(2N)) ||X w − y||² + α ||w||₁   (no bias; scikit-learn's
                    ``Lasso(alpha=α, fit_intercept=False)``), by ISTA from w = 0:
                    w ← S(w − η (1/N) Xᵀ(X w − y), η α),  S(v, t) = sign(v) max(|v| − t, 0)
"""

import itertools

import numpy as np

from dlcourse.regularization import soft_threshold

__all__ = ["LinearRegression", "Ridge", "polynomial_features", "LogisticRegression", "sigmoid", "lasso_ista"]


def _as_float(a, who, name):
    a = np.asarray(a)
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise TypeError(f"{who}: {name} must be numeric, got dtype {a.dtype}")
    return a if np.issubdtype(a.dtype, np.floating) else a.astype(np.float64)


def _check_X(X, who, n_features=None):
    X = _as_float(X, who, "X")
    if X.ndim != 2:
        raise ValueError(f"{who}: X must be 2-D (N, d), got shape {X.shape}; use x[:, None] for one feature")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{who}: X has {X.shape[1]} features, the model was fit with {n_features}")
    return X


def _check_Xy(X, y, who):
    X = _check_X(X, who)
    y = _as_float(y, who, "y")
    if y.ndim not in (1, 2) or len(y) != len(X):
        raise ValueError(f"{who}: y must be (N,) or (N, k) with N = {len(X)} rows of X, got shape {y.shape}")
    return X, y.astype(X.dtype, copy=False)


def _augment(X):
    return np.concatenate([np.ones((len(X), 1), dtype=X.dtype), X], axis=1)


class _LinearPredictor:
    """predict(X) = X @ coef_.T + intercept_ (shared by the regressors)."""

    def predict(self, X):
        if not hasattr(self, "coef_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet: call fit(X, y) first")
        X = _check_X(X, type(self).__name__, self.n_features_in_)
        return X @ self.coef_.T + self.intercept_

    def score(self, X, y):
        """R² of the predictions on (X, y)."""
        from dlcourse.metrics import r2_score

        return r2_score(y, self.predict(X))

    def _store(self, w, fit_intercept):
        # w: (d + 1, k) with the bias in row 0 (or (d, k) without intercept)
        if fit_intercept:
            bias, weights = w[0], w[1:]
        else:
            bias, weights = np.zeros(w.shape[1], dtype=w.dtype), w
        if self._y_1d:
            self.coef_, self.intercept_ = weights[:, 0], float(bias[0])
        else:
            self.coef_, self.intercept_ = weights.T, bias


_NORMAL_EQUATIONS_MAX_COND = 1e6


class LinearRegression(_LinearPredictor):
    """Ordinary least squares.

    ``solver="normal"`` solves the normal equations X̃ᵀX̃ w = X̃ᵀy (the notes'
    w̃ = (X̃ᵀX̃)⁻¹ X̃ᵀ y, computed without forming the inverse);
    ``solver="lstsq"`` uses ``numpy.linalg.lstsq`` (SVD based), which also
    handles a rank-deficient X̃ (fewer samples than features, duplicated or
    collinear columns) by returning the minimum-norm solution.
    ``solver="auto"`` (default) uses the normal equations when X̃ has full
    column rank and is well conditioned (κ(X̃) < 1e6: forming X̃ᵀX̃ squares the
    condition number, so a κ of 1e8, as for high-degree polynomial features,
    would leave no correct digit), and lstsq otherwise; ``solver_``,
    ``rank_`` and ``cond_`` say what was found. No warning is raised either way.

    ``coef_`` is (d,) for a 1-D y and (k, d) for y of shape (N, k);
    ``intercept_`` is a float or (k,).
    """

    def __init__(self, fit_intercept=True, solver="auto"):
        if solver not in ("auto", "normal", "lstsq"):
            raise ValueError(f"solver must be 'auto', 'normal' or 'lstsq', got {solver!r}")
        self.fit_intercept = fit_intercept
        self.solver = solver

    def fit(self, X, y):
        X, y = _check_Xy(X, y, "LinearRegression")
        self._y_1d = y.ndim == 1
        A = _augment(X) if self.fit_intercept else X
        Y = y.reshape(len(y), -1)
        singular = np.linalg.svd(A, compute_uv=False)
        tolerance = singular.max(initial=0.0) * max(A.shape) * np.finfo(A.dtype).eps
        self.rank_ = int(np.sum(singular > tolerance))   # as numpy.linalg.matrix_rank
        full_rank = self.rank_ == A.shape[1]
        self.cond_ = float(singular[0] / singular[-1]) if full_rank else np.inf
        solver = self.solver
        if solver == "auto":
            solver = "normal" if full_rank and self.cond_ < _NORMAL_EQUATIONS_MAX_COND else "lstsq"
        if solver == "normal":
            singular_message = (
                f"LinearRegression(solver='normal'): X̃ᵀX̃ is singular (X̃ of shape {A.shape} "
                f"has rank {self.rank_}, condition number {self.cond_:.3g}); "
                "use solver='lstsq' or 'auto', or Ridge"
            )
            if not full_rank:
                raise np.linalg.LinAlgError(singular_message)
            try:
                w = np.linalg.solve(A.T @ A, A.T @ Y)
            except np.linalg.LinAlgError:
                raise np.linalg.LinAlgError(singular_message) from None
        else:
            w = np.linalg.lstsq(A, Y, rcond=None)[0]
        self.solver_ = solver
        self.n_features_in_ = X.shape[1]
        self._store(w, self.fit_intercept)
        return self

    def __repr__(self):
        return f"LinearRegression(fit_intercept={self.fit_intercept}, solver={self.solver!r})"


class Ridge(_LinearPredictor):
    """Least squares with an L2 penalty α ||w||² on the weights, not the bias.

    Closed form (X̃ᵀX̃ + α D) w̃ = X̃ᵀ y with D = diag(0, 1, …, 1). For α > 0
    the matrix is positive definite (vᵀ(X̃ᵀX̃ + αD)v = ||X̃v||² + α||v_{1:}||²,
    and the ones column makes ||X̃v|| > 0 when only v0 ≠ 0), so the solution
    is unique. α = 0 is ordinary least squares (solved with lstsq). Matches
    ``sklearn.linear_model.Ridge(alpha)`` (loss ||y − Xw − b||² + α||w||²).
    """

    def __init__(self, alpha=1.0, fit_intercept=True):
        if not np.isscalar(alpha) or alpha < 0:
            raise ValueError(f"alpha must be a number >= 0, got {alpha!r}")
        self.alpha = alpha
        self.fit_intercept = fit_intercept

    def fit(self, X, y):
        X, y = _check_Xy(X, y, "Ridge")
        self._y_1d = y.ndim == 1
        A = _augment(X) if self.fit_intercept else X
        Y = y.reshape(len(y), -1)
        penalty = np.full(A.shape[1], float(self.alpha), dtype=A.dtype)
        if self.fit_intercept:
            penalty[0] = 0.0
        if self.alpha > 0:
            w = np.linalg.solve(A.T @ A + np.diag(penalty), A.T @ Y)
        else:
            w = np.linalg.lstsq(A, Y, rcond=None)[0]
        self.n_features_in_ = X.shape[1]
        self._store(w, self.fit_intercept)
        return self

    def __repr__(self):
        return f"Ridge(alpha={self.alpha}, fit_intercept={self.fit_intercept})"


def polynomial_features(x, degree, include_bias=False):
    """All monomials of the input features up to ``degree``.

    For one feature x: columns x, x², …, x^degree (the notes' polynomial
    regression f(x) = w0 + w1 x + … + wm x^m, linear in w). For d features:
    every product x_i x_j … of 1 to ``degree`` factors, in scikit-learn's
    ``PolynomialFeatures`` order. ``include_bias`` prepends a column of ones
    (leave it False when the model fits its own intercept).

    ``x``: (N,) or (N, d). Returns (N, n_output_features), dtype of x
    (float64 for integer input).
    """
    x = _as_float(x, "polynomial_features", "x")
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"polynomial_features: x must be (N,) or (N, d), got shape {x.shape}")
    if not isinstance(degree, (int, np.integer)) or degree < 1:
        raise ValueError(f"degree must be an integer >= 1, got {degree!r}")
    columns = [np.ones(len(x), dtype=x.dtype)] if include_bias else []
    for order in range(1, degree + 1):
        for combo in itertools.combinations_with_replacement(range(x.shape[1]), order):
            columns.append(np.prod(x[:, list(combo)], axis=1))
    return np.stack(columns, axis=1)


def sigmoid(z):
    """σ(z) = 1 / (1 + e^−z), computed without overflow for large |z|."""
    z = np.asarray(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _log_loss_from_logits(z, y):
    """Mean binary cross-entropy from logits: mean(log(1 + e^z) − y z), stable."""
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


class LogisticRegression:
    """Binary logistic regression trained by batch gradient descent.

    Each epoch uses the whole training set (the notes' update, with the
    gradients above)::

        w <- w − lr · (1/N) Xᵀ (p − y)
        b <- b − lr · (1/N) Σ (p − y)

    starting from w = 0, b = 0. ``loss_history_`` holds the log loss before
    each update; training stops early once every gradient component is
    below ``tol`` in absolute value (``n_iter_`` epochs were run). There is
    no penalty, so the optimum is scikit-learn's
    ``LogisticRegression(C=inf)``; on separable data it does not exist and
    the weights grow for as long as training runs.

    Gradient descent is slow when features have very different scales
    (e.g. raw ages): standardise X first or use a larger ``epochs``.

    The two class labels may be any values; ``classes_`` lists them sorted
    and the second is the positive class, as scikit-learn.
    """

    def __init__(self, lr=0.1, epochs=1000, tol=1e-8, fit_intercept=True):
        if lr <= 0:
            raise ValueError(f"lr must be positive, got {lr}")
        if epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {epochs}")
        self.lr = lr
        self.epochs = int(epochs)
        self.tol = tol
        self.fit_intercept = fit_intercept

    def fit(self, X, y):
        X = _check_X(X, "LogisticRegression")
        y = np.asarray(y)
        if y.shape != (len(X),):
            raise ValueError(f"LogisticRegression: y must have shape ({len(X)},), got {y.shape}")
        self.classes_ = np.unique(y)
        if self.classes_.size != 2:
            raise ValueError(
                f"LogisticRegression is binary: y must hold exactly 2 classes, got {self.classes_.tolist()}"
            )
        t = (y == self.classes_[1]).astype(X.dtype)
        n = len(X)
        w = np.zeros(X.shape[1], dtype=X.dtype)
        b = X.dtype.type(0)
        self.loss_history_ = []
        self.n_iter_ = 0
        for _ in range(self.epochs):
            z = X @ w + b
            self.loss_history_.append(_log_loss_from_logits(z, t))
            error = sigmoid(z).astype(X.dtype) - t
            grad_w = X.T @ error / n
            grad_b = error.mean() if self.fit_intercept else X.dtype.type(0)
            if max(np.abs(grad_w).max(initial=0.0), abs(grad_b)) < self.tol:
                break
            w = w - self.lr * grad_w
            b = b - self.lr * grad_b
            self.n_iter_ += 1
        self.coef_ = w[None, :]
        self.intercept_ = np.array([b], dtype=X.dtype)
        self.n_features_in_ = X.shape[1]
        return self

    def _check_fitted(self):
        if not hasattr(self, "coef_"):
            raise RuntimeError("this LogisticRegression is not fitted yet: call fit(X, y) first")

    def decision_function(self, X):
        """Logits z = X @ coef_[0] + intercept_[0], shape (N,)."""
        self._check_fitted()
        X = _check_X(X, "LogisticRegression", self.n_features_in_)
        return X @ self.coef_[0] + self.intercept_[0]

    def predict_proba(self, X):
        """Columns P(classes_[0] | x), P(classes_[1] | x): shape (N, 2)."""
        p = sigmoid(self.decision_function(X))
        return np.stack([1.0 - p, p], axis=1)

    def predict(self, X):
        """classes_[1] where P(classes_[1] | x) >= 0.5 (z >= 0), else classes_[0]."""
        return np.where(self.decision_function(X) >= 0, self.classes_[1], self.classes_[0])

    def loss(self, X, y):
        """Mean log loss of the fitted model on (X, y)."""
        t = (np.asarray(y) == self.classes_[1]).astype(np.float64)
        return _log_loss_from_logits(self.decision_function(X), t)

    def __repr__(self):
        return f"LogisticRegression(lr={self.lr}, epochs={self.epochs}, tol={self.tol})"


def lasso_ista(X, y, alpha, lr=None, n_steps=1000, w0=None):
    """LASSO by proximal gradient descent (ISTA), ``n_steps`` steps from ``w0`` (default 0).

    Minimises (1/(2N)) ||X w − y||² + α ||w||₁ (no intercept), scikit-learn's Lasso objective.
    ``lr`` defaults to 1 / L with L = ||X||₂² / N, the gradient's Lipschitz constant, for which
    every step lowers the objective. Returns w, shape (d,).
    """
    X, y = _check_Xy(X, y, "lasso_ista")
    if y.ndim != 1:
        raise ValueError(f"lasso_ista: y must be 1-D (N,), got shape {y.shape}")
    if alpha < 0:
        raise ValueError(f"lasso_ista: alpha must be >= 0, got {alpha}")
    n = len(X)
    if lr is None:
        lipschitz = np.linalg.norm(X, 2) ** 2 / n
        lr = 1.0 / lipschitz if lipschitz > 0 else 1.0
    if lr <= 0:
        raise ValueError(f"lasso_ista: lr must be > 0, got {lr}")
    w = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=np.float64)
    for _ in range(int(n_steps)):
        w = soft_threshold(w - lr * (X.T @ (X @ w - y)) / n, lr * alpha)
    return w
