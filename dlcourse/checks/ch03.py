"""Checks for chapter 3, *Regression*: least squares for one feature and in
matrix form (with the minimum-norm solution when XᵀX is singular), the
regression metrics MSE / RMSE / R², polynomial features, ridge regression
with an unpenalised bias, the logistic log loss and its gradient computed
from the logits, logistic regression fitted by Newton's method (IRLS), softmax
cross-entropy with its gradient ŷ − y, and a softmax classifier trained by
batch gradient descent.

Every check takes the student's function and ``hidden=False``; the hidden
variant (run by the grader) adds the instructor's cases from
``solutions/ch03-regression/hidden_cases.py`` (see :func:`dlcourse.checks.core.hidden`),
which the release never contains. Values
are compared with the reference within a tolerance, so any correct formula
passes (the inverse, ``solve``, ``lstsq`` or ``pinv``; centring the data or
not). Inputs are kept well conditioned, so that a correct method is never
failed for rounding: the tolerances are loose enough for an explicit inverse.
"""

import numpy as np

from dlcourse.checks.core import (
    Case,
    CheckFailure,
    Part,
    _as_array,
    call_student,
    check_function,
    expect_close,
    graded_parts,
    hidden as hidden_part,
    library_functions,
    random_cases,
)

__all__ = [
    "collinear_regression",
    "digits_pair",
    "fit_line",
    "fit_logistic_newton",
    "full_rank_regression",
    "house_table",
    "insurance_table",
    "logistic_loss_and_grad",
    "noisy_line",
    "normal_equations",
    "polynomial_features",
    "random_batch",
    "random_classification",
    "random_powers",
    "random_predictions",
    "random_newton_problem",
    "random_ridge",
    "regression_metrics",
    "ridge",
    "ridge_data",
    "random_softmax_problem",
    "softmax_cross_entropy",
    "train_softmax",
]


# -- reference computations -------------------------------------------------------------


def _ref_fit_line(x, y):
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    dx = x - x.mean()
    slope = (dx @ (y - y.mean())) / (dx @ dx)
    return slope, y.mean() - slope * x.mean()


def _augmented(X):
    X = np.asarray(X, dtype=np.float64)
    return np.concatenate([np.ones((len(X), 1)), X], axis=1)


def _ref_normal_equations(X, y):
    return np.linalg.lstsq(_augmented(X), np.asarray(y, dtype=np.float64), rcond=None)[0]


def _ref_polynomial_features(x, degree):
    x = np.asarray(x, dtype=np.float64)
    return x[:, None] ** np.arange(1, degree + 1)


def _ref_ridge(X, y, lam):
    A = _augmented(X)
    D = np.eye(A.shape[1])
    D[0, 0] = 0.0
    return np.linalg.solve(A.T @ A + lam * D, A.T @ np.asarray(y, dtype=np.float64))


def _ref_mse(y, y_hat):
    r = np.asarray(y_hat, dtype=np.float64) - np.asarray(y, dtype=np.float64)
    return np.mean(r * r)


def _ref_rmse(y, y_hat):
    return np.sqrt(_ref_mse(y, y_hat))


def _ref_r2(y, y_hat):
    y = np.asarray(y, dtype=np.float64)
    return 1.0 - np.sum((np.asarray(y_hat, dtype=np.float64) - y) ** 2) / np.sum((y - y.mean()) ** 2)


def _ref_regression_metrics(y, y_hat):
    return _ref_mse(y, y_hat), _ref_rmse(y, y_hat), _ref_r2(y, y_hat)


def _ref_sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _logits(X, w, b):
    return np.asarray(X, dtype=np.float64) @ np.asarray(w, dtype=np.float64) + b


def _ref_logistic_loss(X, y, w, b):
    z = _logits(X, w, b)
    return np.mean(np.logaddexp(0.0, z) - np.asarray(y, dtype=np.float64) * z)


def _ref_logistic_grads(X, y, w, b):
    error = _ref_sigmoid(_logits(X, w, b)) - np.asarray(y, dtype=np.float64)
    return np.asarray(X, dtype=np.float64).T @ error / len(error), np.mean(error)


def _ref_logistic_loss_and_grad(X, y, w, b):
    return (_ref_logistic_loss(X, y, w, b), *_ref_logistic_grads(X, y, w, b))


def _log_softmax(v):
    v = np.asarray(v, dtype=np.float64)
    shifted = v - v.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _ref_softmax_ce_loss(logits, labels):
    labels = np.asarray(labels)
    return -np.mean(_log_softmax(logits)[np.arange(len(labels)), labels])


def _ref_softmax_ce_grad(logits, labels):
    labels = np.asarray(labels)
    grad = np.exp(_log_softmax(logits))
    grad[np.arange(len(labels)), labels] -= 1.0
    return grad / len(labels)


def _ref_softmax_cross_entropy(logits, labels):
    return _ref_softmax_ce_loss(logits, labels), _ref_softmax_ce_grad(logits, labels)


_OWN = (_ref_fit_line, _ref_normal_equations, _ref_polynomial_features, _ref_ridge, _ref_mse,
        _ref_rmse, _ref_r2, _ref_regression_metrics, _ref_logistic_loss, _ref_logistic_grads,
        _ref_logistic_loss_and_grad, _ref_softmax_ce_loss, _ref_softmax_ce_grad,
        _ref_softmax_cross_entropy)

# the library's implementations of what this chapter's exercises ask for
_LIBRARY = ("dlcourse.linear_models", "dlcourse.metrics", "dlcourse.functional.losses",
            "dlcourse.functional.softmax", "dlcourse.nn.loss")


def _references():
    """The functions a student must not call: these references and the library's own."""
    return tuple(_OWN) + tuple(library_functions(*_LIBRARY))


def _pick(student, name, count, indices):
    """The student's function reduced to some of the ``count`` values it returns
    (one value, or a tuple of several), so that each can be graded on its own."""

    def picked(*args, **kwargs):
        result = student(*args, **kwargs)
        if isinstance(result, np.ndarray) and result.ndim == 1 and result.shape[0] == count:
            result = tuple(result)
        if not isinstance(result, (tuple, list)) or len(result) != count:
            text = repr(result)
            raise CheckFailure(f"`{name}` should return {count} values (a tuple, a list or a 1-D "
                               f"array of {count}), got "
                               f"{text[:160]}")
        chosen = tuple(result[i] for i in indices)
        return chosen[0] if len(chosen) == 1 else chosen

    picked.__name__ = name
    return picked


def _explain_singular(student, name, hint):
    """The student's function, with a LinAlgError (a singular matrix) turned into a hint."""

    def explained(*args, **kwargs):
        try:
            return student(*args, **kwargs)
        except np.linalg.LinAlgError as error:
            raise CheckFailure(f"`{name}` raised LinAlgError: {error}\n  hint: {hint}") from None

    explained.__name__ = name
    return explained


# -- exercise 1: the d = 1 closed form ------------------------------------------------------


_LINE_X = np.array([2.0, 3.0, 5.0, 7.0, 9.0])
_LINE_Y = np.array([-0.5, 0.0, 1.0, 2.0, 3.0])


def noisy_line(rng):
    """3 to 29 points scattered around a random line."""
    n = int(rng.integers(3, 30))
    x = rng.uniform(-10, 10, size=n)
    return x, rng.normal() * x + rng.normal(scale=3) + rng.normal(size=n)


def fit_line(student, hidden=False):
    """Exercise 1: ``fit_line(x, y) -> (slope, intercept)`` by least squares."""
    cases = [
        Case((_LINE_X.copy(), _LINE_Y.copy()), label="the notes' table: y = 0.5 x - 1.5"),
        Case((np.array([0.0, 1.0]), np.array([1.0, 3.0])), label="two points: the line through them"),
        Case((np.array([-1.0, 0.0, 1.0]), np.array([1.0, 0.0, 1.0])), label="a V shape: slope 0"),
        Case((np.array([1, 2, 3, 4]), np.array([2, 1, 4, 3])), label="integer arrays"),
    ]
    cases += random_cases(31, 4, noisy_line, label="random noisy line")
    if hidden:
        cases += hidden_part("fit_line")
    check_function(_pick(student, "fit_line", 2, (0, 1)), _ref_fit_line, cases, name="fit_line",
                   forbidden=_references(), keeps_inputs=True,
                   rtol=1e-7, atol=1e-9,
                   hint="slope = sum((x - x_mean)(y - y_mean)) / sum((x - x_mean)^2) and "
                        "intercept = y_mean - slope * x_mean; return them in that order (slope first)")


# -- exercise 2: the normal equations ----------------------------------------------------------


def house_table():
    """The notes' houses: ``X`` (area in sq ft, bedrooms) and the price ``y``."""
    table = np.array([(1200, 2, 70), (1500, 3, 120), (2100, 4, 230), (1100, 3, 105), (1300, 2, 90),
                      (900, 1, 55)], dtype=np.float64)
    return table[:, :2], table[:, 2]


def full_rank_regression(rng):
    """A random full-rank ``X`` (6 to 39 samples, 1 to 4 features) and a nearly linear ``y``."""
    n, d = int(rng.integers(6, 40)), int(rng.integers(1, 5))
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 3, size=d)
    return X, X @ rng.normal(size=d) + rng.normal() + 0.1 * rng.normal(size=n)


def collinear_regression(rng):
    """A random ``X`` whose last column is a mix of the others (XᵀX singular), and a ``y``."""
    n, d = int(rng.integers(3, 10)), int(rng.integers(2, 5))
    X = rng.normal(size=(n, d))
    X = np.column_stack([X, X @ rng.normal(size=d)])
    return X, rng.normal(size=n)


def normal_equations(student, hidden=False):
    """Exercise 2: ``normal_equations(X, y) -> theta`` of shape (d + 1,), bias first (partial credit).

    The hidden part gives ``{"full_rank", "rank_deficient"}``: the cases added to each part."""
    refs = _references()
    more = hidden_part("normal_equations") if hidden else {}

    def full_rank():
        houses, price = house_table()
        cases = [
            Case((_LINE_X[:, None].copy(), _LINE_Y.copy()), label="the notes' line: theta = [-1.5, 0.5]"),
            Case((houses, price), label="the notes' houses: price from area and bedrooms"),
            Case((np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), np.array([1.0, 2.0, 4.0])),
                 label="as many samples as parameters: an exact fit"),
        ]
        cases += random_cases(41, 4, full_rank_regression, label="random full-rank X")
        cases += more.get("full_rank", [])
        check_function(student, _ref_normal_equations, cases, name="normal_equations",
                       forbidden=refs, rtol=1e-6, atol=1e-8, keeps_inputs=True,
                       hint="prepend a column of ones to X (the bias theta[0]), then solve "
                            "X~^T X~ theta = X~^T y; return a 1-D array of d + 1 values")

    def rank_deficient():
        x = np.array([1.0, 2.0, 4.0, 5.0])
        y = np.array([1.0, 3.0, 2.0, 5.0])
        cases = [
            Case((np.column_stack([x, x]), y), label="the same column twice"),
            Case((np.array([[1.0, 2.0, 0.5]]), np.array([3.0])), label="one sample, three features"),
            Case((np.column_stack([x, np.zeros(4)]), y), label="a column of zeros"),
        ]
        cases += random_cases(44, 3, collinear_regression, label="random collinear columns")
        cases += more.get("rank_deficient", [])
        hint = ("when X~^T X~ is singular, infinitely many theta fit equally well: return the one of "
                "smallest norm, theta = np.linalg.lstsq(X~, y, rcond=None)[0] (or np.linalg.pinv(X~) @ y), "
                "computed on the matrix with the ones column")
        check_function(_explain_singular(student, "normal_equations", hint), _ref_normal_equations, cases,
                       name="normal_equations", forbidden=refs, rtol=1e-6, atol=1e-8, hint=hint,
                       keeps_inputs=True)

    return graded_parts([
        Part("full-rank X (the normal equations)", 1, full_rank),
        Part("rank-deficient X (the minimum-norm solution)", 1, rank_deficient),
    ])


# -- exercise 3: MSE, RMSE and R² ----------------------------------------------------------------


def random_predictions(rng):
    """2 to 49 random true values and a noisy prediction of them."""
    n = int(rng.integers(2, 50))
    truth = rng.normal(scale=rng.uniform(0.5, 10), size=n) + rng.normal(scale=5)
    return truth, truth + rng.normal(scale=rng.uniform(0.1, 5), size=n)


def regression_metrics(student, hidden=False):
    """Exercise 3: ``regression_metrics(y, y_hat) -> (mse, rmse, r2)``, one point per metric."""
    y = np.array([3.0, -0.5, 2.0, 7.0])
    cases = [
        Case((y, np.array([2.5, 0.0, 2.0, 8.0])), label="a close prediction"),
        Case((_LINE_Y.copy(), 0.5 * _LINE_X - 1.5), label="the notes' line predicts its table exactly"),
        Case((y, np.full(4, y.mean())), label="always predicting the mean (R^2 = 0)"),
        Case((y, -y), label="worse than the mean (R^2 < 0)"),
        Case((np.array([1, 2, 3]), np.array([1, 3, 2])), label="integer arrays"),
    ]
    cases += random_cases(51, 4, random_predictions, label="random predictions")
    if hidden:
        cases += hidden_part("regression_metrics")
    refs = _references()

    def part(index, reference, hint):
        return lambda: check_function(_pick(student, "regression_metrics", 3, (index,)), reference, cases,
                                      name="regression_metrics", forbidden=refs, rtol=1e-9, atol=1e-15,
                                      keeps_inputs=True,
                                      hint=hint)

    return graded_parts([
        Part("MSE", 1, part(0, _ref_mse, "MSE = mean((y_hat - y)^2): the mean over the samples, not the sum")),
        Part("RMSE", 1, part(1, _ref_rmse, "RMSE = sqrt(MSE), the square root of the mean (not of the sum)")),
        Part("R^2", 1, part(2, _ref_r2, "R^2 = 1 - sum((y_hat - y)^2) / sum((y_mean - y)^2), with y_mean the "
                                        "mean of the true values y; both sums over the same samples (or MSE / "
                                        "np.var(y) with the population variance, ddof = 0)")),
    ])


# -- exercise 4: polynomial features -----------------------------------------------------------


def random_powers(rng):
    """1 to 19 inputs in [-2, 2] and a degree from 1 to 8."""
    return rng.uniform(-2, 2, size=int(rng.integers(1, 20))), int(rng.integers(1, 9))


def polynomial_features(student, hidden=False):
    """Exercise 4: ``polynomial_features(x, degree)`` -> columns x, x^2, ..., x^degree."""
    cases = [
        Case((np.array([1.0, 2.0, 3.0, -1.0]), 3), label="degree 3"),
        Case((np.array([-2.0, 0.0, 0.5, 4.0]), 1), label="degree 1: one column"),
        Case((np.array([-1.0, 0.0, 2.0]), 4), label="negative and zero inputs"),
        Case((np.array([0.7]), 5), label="a single sample"),
    ]
    cases += random_cases(61, 3, random_powers)
    if hidden:
        cases += hidden_part("polynomial_features")
    check_function(student, _ref_polynomial_features, cases, name="polynomial_features",
                   forbidden=_references(), rtol=1e-12, atol=1e-300, keeps_inputs=True,
                   hint="return an (N, degree) array whose column k - 1 is x**k for k = 1..degree: no column "
                        "of ones (the bias is added by the regression), one row per sample")


# -- exercise 5: ridge regression -----------------------------------------------------------------


def ridge_data():
    """The visible three-feature data: y = x1 - 2 x2 + 0.5 x3 + 10 plus a little noise."""
    rng = np.random.default_rng(70)
    X3 = rng.normal(size=(8, 3))
    return X3, X3 @ np.array([1.0, -2.0, 0.5]) + 10.0 + 0.1 * rng.normal(size=8)


def random_ridge(rng):
    """Random data (3 to 29 samples, 1 to 5 features) and a lambda from 1e-3 to 1e2."""
    n, d = int(rng.integers(3, 30)), int(rng.integers(1, 6))
    X = rng.normal(size=(n, d))
    return X, X @ rng.normal(size=d) + rng.normal(scale=5) + rng.normal(size=n), float(10 ** rng.uniform(-3, 2))


def ridge(student, hidden=False):
    """Exercise 5: ``ridge(X, y, lam) -> theta`` (d + 1,) with the bias theta[0] not penalised."""
    X3, y3 = ridge_data()
    cases = [
        Case((_LINE_X[:, None].copy(), _LINE_Y.copy(), 1.0), label="the notes' line, lambda = 1"),
        Case((X3, y3, 0.5), label="three features, y around 10, lambda = 0.5"),
        Case((X3, y3, 0.0), label="lambda = 0: ordinary least squares"),
        Case((X3, y3, 1e6), label="a huge lambda: the weights vanish, the bias tends to mean(y)"),
        Case((np.column_stack([X3[:, 0], X3[:, 0]]), y3, 2.0), label="a duplicated column: lambda > 0 still works"),
    ]
    cases += random_cases(72, 4, random_ridge, label="random data and lambda")
    if hidden:
        cases += hidden_part("ridge")
    check_function(student, _ref_ridge, cases, name="ridge", forbidden=_references(), rtol=1e-6, atol=1e-8,
                   keeps_inputs=True,
                   hint="solve (X~^T X~ + lam D) theta = X~^T y with X~ = [1, X] and D = diag(0, 1, ..., 1): "
                        "the bias theta[0] is not penalised (the notes' lam * I penalises it too, which "
                        "pulls the bias towards 0 instead of mean(y) when lam is large)")


# -- exercise 6: logistic regression's loss and gradient ------------------------------------------------


def insurance_table():
    """The notes' insurance data: ``X`` (age, a 0/1 feature) and the 0/1 label ``y``."""
    table = np.array([(22, 1, 0), (25, 0, 0), (47, 1, 1), (52, 0, 0), (46, 1, 1), (56, 1, 1), (55, 0, 0),
                      (60, 0, 1), (62, 1, 1), (61, 1, 1), (18, 1, 0), (28, 1, 0), (27, 0, 0)],
                     dtype=np.float64)
    return table[:, :2], table[:, 2].astype(np.int64)


def random_classification(rng):
    """Random data (2 to 39 samples, 1 to 4 features), 0/1 labels, weights and a bias."""
    n, d = int(rng.integers(2, 40)), int(rng.integers(1, 5))
    return (rng.normal(size=(n, d)), rng.integers(0, 2, size=n), rng.normal(scale=2, size=d),
            float(rng.normal()))


def logistic_loss_and_grad(student, hidden=False):
    """Exercise 6: ``logistic_loss_and_grad(X, y, w, b) -> (loss, grad_w, grad_b)`` (partial credit)."""
    X, y = insurance_table()
    cases = [
        Case((X, y, np.array([1.0, 1.0]), 0.0), label="the notes' start: w = [1, 1], b = 0 on raw ages"),
        Case((X / 100.0, y, np.array([1.0, 1.0]), 0.0), label="ages / 100, w = [1, 1], b = 0"),
        Case((X, y, np.zeros(2), 0.0), label="w = 0, b = 0: every p = 1/2, loss = log 2"),
        Case((np.array([[0.5]]), np.array([1]), np.array([-2.0]), 0.3), label="one sample"),
    ]
    cases += random_cases(81, 4, random_classification, label="random data and weights")
    if hidden:
        cases += hidden_part("logistic_loss_and_grad")
    refs = _references()

    def loss_part():
        check_function(_pick(student, "logistic_loss_and_grad", 3, (0,)), _ref_logistic_loss, cases,
                       name="logistic_loss_and_grad", forbidden=refs, rtol=1e-9, atol=1e-12, keeps_inputs=True,
                       hint="mean over samples of -[y log p + (1 - y) log(1 - p)] with p = sigmoid(z), "
                            "z = X @ w + b. For large |z|, p rounds to exactly 0 or 1 and a log becomes "
                            "-inf (or is clipped to a wrong value): compute it from z instead, "
                            "log(1 + e^z) - y z = np.logaddexp(0, z) - y * z")

    def grad_part():
        check_function(_pick(student, "logistic_loss_and_grad", 3, (1, 2)), _ref_logistic_grads, cases,
                       name="logistic_loss_and_grad", forbidden=refs, rtol=1e-7, atol=1e-12, keeps_inputs=True,
                       hint="grad_w = X.T @ (p - y) / N, shape (d,), and grad_b = mean(p - y), a number, "
                            "with p = sigmoid(X @ w + b); note the sign (p - y) and the division by N")

    return graded_parts([Part("the log loss", 1, loss_part), Part("its gradient", 1, grad_part)])


# -- exercise 7: logistic regression by Newton's method (IRLS) ----------------------------------------


def _ref_fit_logistic_newton(X, y, steps, lam=0.0, fit_intercept=True, *, weighted=True, direction=-1.0,
                             penalise_intercept=False, penalty=1.0, mean=False):
    """Newton's method from theta = 0 on J = sum_i [log(1 + e^z_i) - y_i z_i] + (lam / 2) theta^T D theta.

    z = X~ theta with X~ = [1, X] (bias first, D = diag(0, 1, ..., 1)) or, without an intercept,
    X~ = X and D = I. Each step solves H d = g with g = X~^T (p - y) + lam D theta and
    H = X~^T S X~ + lam D, S = diag(p (1 - p)), and sets theta <- theta - d. Returns the
    (steps + 1, columns of X~) iterates. The keywords make the usual wrong variants, named by the
    check's diagnosis: ``weighted=False`` drops S from H, ``direction=+1`` steps uphill,
    ``penalise_intercept`` puts the bias in the penalty, ``penalty=2`` differentiates
    lam ||w||^2 instead of (lam / 2) ||w||^2, ``mean`` divides the data terms by N."""
    A = _augmented(X) if fit_intercept else np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    D = np.eye(A.shape[1])
    if fit_intercept and not penalise_intercept:
        D[0, 0] = 0.0
    scale = 1.0 / len(y) if mean else 1.0
    theta = np.zeros(A.shape[1])
    iterates = [theta]
    with np.errstate(all="ignore"):
        for _ in range(steps):
            p = _ref_sigmoid(A @ theta)
            weights = p * (1.0 - p) if weighted else np.ones_like(p)
            gradient = scale * (A.T @ (p - y)) + penalty * lam * (D @ theta)
            hessian = scale * ((A.T * weights) @ A) + penalty * lam * D
            try:
                theta = theta + direction * np.linalg.solve(hessian, gradient)
            except np.linalg.LinAlgError:
                theta = np.full_like(theta, np.nan)
            iterates.append(theta)
    return np.array(iterates)


def _sklearn_fit(X, y, lam, fit_intercept=True):
    """scikit-learn's minimiser of the same objective: C = 1 / lam (C = inf: no penalty).

    Its newton-cholesky solver, run to a tolerance far below the checks' own, returns
    theta in the exercise's layout (bias first when there is one)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0 / lam if lam > 0 else np.inf, fit_intercept=fit_intercept,
                               solver="newton-cholesky", tol=1e-14, max_iter=1000)
    model.fit(np.asarray(X, dtype=np.float64), np.asarray(y))
    return np.r_[model.intercept_, model.coef_[0]] if fit_intercept else model.coef_[0].copy()


_OWN += (_ref_fit_logistic_newton, _sklearn_fit)

_NEWTON_HINT = ("start from theta = 0 (bias first: X~ = [1, X]); at each step p = sigmoid(X~ @ theta), "
                "g = X~.T @ (p - y) + lam * D @ theta, H = X~.T @ diag(p * (1 - p)) @ X~ + lam * D with "
                "D = diag(0, 1, ..., 1) (D = I without an intercept), then theta = theta - solve(H, g); "
                "return all steps + 1 iterates, theta_0 = 0 included, as rows")

_NEWTON_MISTAKES = (
    ({"weighted": False}, "the Hessian of the log loss is X~^T S X~ with S = diag(p (1 - p)): each sample's "
                          "outer product is weighted by p_i (1 - p_i), the derivative of the sigmoid"),
    ({"direction": 1.0}, "the Newton step goes DOWNHILL: theta_new = theta - H^{-1} g (solve H d = g, then "
                         "subtract d)"),
    ({"penalise_intercept": True}, "the bias theta[0] is not penalised when fit_intercept=True (as in ridge, "
                                   "exercise 5): D = diag(0, 1, ..., 1), both in g and in H"),
    ({"penalty": 2.0}, "the penalty is (lam / 2) ||w||^2, scikit-learn's convention with C = 1 / lam: it adds "
                       "lam * w to the gradient and lam * D to the Hessian, not 2 lam"),
    ({"mean": True}, "J is the SUM of the log losses over the samples (not exercise 6's mean) plus "
                     "(lam / 2) ||w||^2: do not divide g and H by N"),
)


def _diagnose_newton(got, case):
    """The hint for wrong iterates: the named mistake that produces them, or the recipe."""
    got = np.asarray(got, dtype=np.float64)
    for variant, hint in _NEWTON_MISTAKES:
        wrong = _ref_fit_logistic_newton(*case.args, **case.kwargs, **variant)
        if got.shape == wrong.shape and np.allclose(got, wrong, rtol=1e-6, atol=1e-9, equal_nan=True):
            return hint
    expected = _ref_fit_logistic_newton(*case.args, **case.kwargs)
    if got.shape == (expected.shape[0] - 1, expected.shape[1]):
        return "return steps + 1 rows: theta_0 = 0 first, then the iterate after each step"
    if got.shape == expected.shape[::-1] and (got.shape != expected.shape or np.allclose(got.T, expected)):
        return "one ROW per iterate: shape (steps + 1, number of parameters)"
    if (case.kwargs.get("fit_intercept", True) and got.shape == expected.shape
            and np.allclose(np.roll(got, 1, axis=1), expected, rtol=1e-6, atol=1e-9)):
        return "the bias comes first, theta[0], as in normal_equations and ridge"
    return _NEWTON_HINT


def random_newton_problem(rng):
    """A small problem whose classes overlap (labels drawn from a logistic model), a lambda, a few steps."""
    n, d = int(rng.integers(8, 40)), int(rng.integers(1, 5))
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 2.0, size=d)
    y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-(X @ rng.normal(size=d) + rng.normal())))).astype(np.int64)
    y[:2] = [0, 1]                                      # both classes present
    lam = float(10 ** rng.uniform(-1, 1))
    return Case((X, y, int(rng.integers(1, 7))), {"lam": lam, "fit_intercept": bool(rng.integers(0, 2))})


def digits_pair(first, second, count=None):
    """The digits ``first`` (label 0) and ``second`` (label 1), the first ``count`` of them: 64 pixels in [0, 1]."""
    X, y = _digits()
    chosen = np.flatnonzero((y == first) | (y == second))[:count]
    return X[chosen], (y[chosen] == second).astype(np.int64)


def fit_logistic_newton(student, hidden=False):
    """Exercise 7: ``fit_logistic_newton(X, y, steps, lam=0.0, fit_intercept=True)`` -> the iterates.

    2 points for the iterates on small problems (each against the reference's Newton steps), 1 for
    the last iterate against scikit-learn's ``LogisticRegression(C=1/lam)`` on larger ones. The
    hidden part gives ``{"iterates": [cases], "sklearn": [cases]}``."""
    X_ins, y_ins = insurance_table()
    ages = np.array([22, 25, 47, 52, 46, 56, 55, 60, 62, 61, 18, 28, 27, 29, 49], dtype=np.float64)
    bought = np.array([0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1])
    tiny_X, tiny_y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 1, 0, 1])
    iterate_cases = [
        Case((tiny_X, tiny_y, 1), label="four points, one step from zero"),
        Case((tiny_X, tiny_y, 4), {"lam": 0.5}, label="four points, lam = 0.5, four steps"),
        Case((ages[:, None], bought, 6), label="the insurance table by age, lam = 0, six steps"),
        Case((X_ins, y_ins, 5), {"lam": 1.0}, label="age and affordability, lam = 1, five steps"),
        Case((np.column_stack([np.ones(15), ages]), bought, 5), {"lam": 1.0, "fit_intercept": False},
             label="no intercept: a ones column in X, penalised like the rest, lam = 1"),
    ]
    iterate_cases += random_cases(121, 3, random_newton_problem, label="random overlapping classes")
    X_pair, y_pair = digits_pair(3, 8)
    sklearn_cases = [
        Case((ages[:, None], bought, 20), label="the insurance table by age, lam = 0 (C = inf)"),
        Case((X_ins, y_ins, 20), {"lam": 1.0}, label="age and affordability, lam = 1 (C = 1)"),
        Case((X_pair, y_pair, 20), {"lam": 2.0}, label="the digits 3 (0) and 8 (1), 64 pixels, lam = 2 (C = 0.5)"),
        Case((np.column_stack([np.ones(15), ages]), bought, 20), {"lam": 1.0, "fit_intercept": False},
             label="no intercept, lam = 1"),
    ]
    if hidden:
        more = hidden_part("fit_logistic_newton")
        iterate_cases += more["iterates"]
        sklearn_cases += more["sklearn"]
    refs = _references() + tuple(library_functions("sklearn.linear_model._logistic"))

    def run(case):
        return call_student(student, *case.args, name="fit_logistic_newton", case=case, forbidden=refs,
                            keeps_inputs=True, arg_names=("X", "y"), **case.kwargs)

    def iterates():
        for case in iterate_cases:
            got, noise = run(case)
            expected = _ref_fit_logistic_newton(*case.args, **case.kwargs)
            try:
                expect_close(got, expected, "the iterates returned by `fit_logistic_newton`", case,
                             rtol=1e-6, atol=1e-9, noise=noise)
            except CheckFailure as failure:
                raise CheckFailure(f"{failure}\n  hint: {_diagnose_newton(_as_array(got, 'iterates'), case)}") from None
        print(f"\u2713 fit_logistic_newton: the iterates of all {len(iterate_cases)} small problems are right")

    def against_sklearn():
        for case in sklearn_cases:
            got, noise = run(case)
            got = _as_array(got, "the iterates returned by `fit_logistic_newton`")
            X, y, _ = case.args
            expected = _sklearn_fit(X, y, case.kwargs.get("lam", 0.0), case.kwargs.get("fit_intercept", True))
            if got.ndim != 2 or got.shape[1] != expected.shape[0]:
                raise CheckFailure(f"the iterates returned by `fit_logistic_newton` should have one row per "
                                   f"iterate and {expected.shape[0]} columns, got shape {got.shape}"
                                   f"\n  input: {case.describe()}")
            expect_close(got[-1], expected, "the last iterate, against scikit-learn's LogisticRegression", case,
                         rtol=1e-6, atol=1e-8, noise=noise,
                         hint="after enough Newton steps theta minimises sum_i log-loss_i + (lam / 2) ||w||^2, "
                              "which scikit-learn's LogisticRegression(C = 1 / lam) minimises too (C = inf for "
                              "lam = 0), with theta = [intercept_, *coef_[0]]; " + _NEWTON_HINT)
        print(f"\u2713 fit_logistic_newton: the last iterate equals scikit-learn's fit on all "
              f"{len(sklearn_cases)} problems")

    return graded_parts([
        Part("the Newton iterates on small problems", 2, iterates),
        Part("the fit against scikit-learn's LogisticRegression(C = 1 / lam)", 1, against_sklearn),
    ])


# -- exercise 8: softmax cross-entropy ---------------------------------------------------------------


def random_batch(rng):
    """A random batch of 1 to 19 rows of 2 to 7 logits and a label per row."""
    n, c = int(rng.integers(1, 20)), int(rng.integers(2, 8))
    return rng.normal(scale=3, size=(n, c)), rng.integers(0, c, size=n)


def softmax_cross_entropy(student, hidden=False):
    """Exercise 8: ``softmax_cross_entropy(logits, labels) -> (loss, grad)`` (partial credit)."""
    cases = [
        Case((np.array([[1.0, 2.0, 3.0]]), np.array([2])), label="one sample, logits [1, 2, 3], label 2"),
        Case((np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.0]]), np.array([0, 2])), label="a batch of two"),
        Case((np.zeros((3, 4)), np.array([0, 1, 3])), label="all logits 0: loss = log 4"),
        Case((np.array([[1000.0, 0.0, -1000.0], [-1000.0, 0.0, 1000.0]]), np.array([0, 0])),
             label="logits of +-1000: one sure and right, one sure and wrong"),
        Case((np.array([[0.3, -1.2]]), np.array([1])), label="two classes"),
    ]
    cases += random_cases(91, 4, random_batch, label="random batch")
    if hidden:
        cases += hidden_part("softmax_cross_entropy")
    refs = _references()

    def loss_part():
        check_function(_pick(student, "softmax_cross_entropy", 2, (0,)), _ref_softmax_ce_loss, cases,
                       name="softmax_cross_entropy", forbidden=refs, rtol=1e-9, atol=1e-12, keeps_inputs=True,
                       hint="the loss is the mean over the batch of -log softmax(v)[label]; take the log of the "
                            "softmax as (v - m) - log(sum(exp(v - m))) with m the row's maximum, so that "
                            "nothing overflows and no probability that underflows to 0 is fed to log")

    def grad_part():
        check_function(_pick(student, "softmax_cross_entropy", 2, (1,)), _ref_softmax_ce_grad, cases,
                       name="softmax_cross_entropy", forbidden=refs, rtol=1e-7, atol=1e-12, keeps_inputs=True,
                       hint="dL/dv = (softmax(v) - onehot(labels)) / N, shape (N, C) like the logits: "
                            "y_hat - y per sample, divided by the batch size because the loss is a mean")

    return graded_parts([Part("the loss", 1, loss_part), Part("its gradient y_hat - y", 2, grad_part)])


# -- exercise 9: a softmax classifier trained by batch gradient descent ------------------------------

DIGITS_LAM, DIGITS_LR, DIGITS_STEPS = 1e-3, 1.0, 300   # the digits run every student makes
PASS_ACCURACY = 0.93                                     # the reference reaches 0.95 to 0.97


def _ref_train_softmax(X, y, n_classes, lam, lr, steps, *, penalty=2.0, bias_penalty=0.0, scale=1.0,
                       record_after=False, history_penalty=True):
    """Batch gradient descent on mean cross-entropy + lam ||W||^2 from W = 0, b = 0.

    The keywords make the usual wrong variants, named by the check's diagnosis: ``penalty`` the
    factor of lam W in the gradient (2 is right), ``bias_penalty`` the same for b, ``scale`` a
    factor on the data gradient (N: a sum instead of a mean), ``record_after`` the history taken
    after each update, ``history_penalty`` whether the history holds the penalty."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    W, b = np.zeros((n_classes, X.shape[1])), np.zeros(n_classes)
    rows, history = np.arange(len(y)), []

    def record(log_p, W):
        data = -np.mean(log_p[rows, y])
        history.append(data + lam * np.sum(W * W) if history_penalty else data)

    for _ in range(steps):
        log_p = _log_softmax(X @ W.T + b)
        if not record_after:
            record(log_p, W)
        G = np.exp(log_p)
        G[rows, y] -= 1.0
        G *= scale / len(y)
        W, b = W - lr * (G.T @ X + penalty * lam * W), b - lr * (G.sum(axis=0) + bias_penalty * lam * b)
        if record_after:
            record(_log_softmax(X @ W.T + b), W)
    return W, b, np.array(history)


def _softmax_objective(X, y, lam, W, b):
    return _ref_softmax_ce_loss(np.asarray(X, dtype=np.float64) @ W.T + b, y) + lam * np.sum(W * W)


_OWN += (_ref_train_softmax, _softmax_objective)

_TRAINING_HINT = ("start from W = zeros((n_classes, d)) and b = zeros(n_classes); at every step take "
                  "loss, G = softmax_cross_entropy(X @ W.T + b, y), record loss + lam * sum(W**2) in the "
                  "history, then step W -= lr * dL/dW and b -= lr * dL/db, where the chain rule through the "
                  "logits gives dL/dW from G and X (shape (n_classes, d), like nn.Linear's weight) plus the "
                  "penalty's derivative, and dL/db from G")

_TRAINING_MISTAKES = (
    ({"penalty": 0.0}, "the penalty is missing from the update: the gradient of lam * ||W||^2 is 2 lam W"),
    ({"penalty": 1.0}, "the gradient of lam * ||W||^2 is 2 lam W, not lam W (PyTorch's weight_decay "
                       "adds lam W because it stands for the penalty (lam / 2) ||W||^2)"),
    ({"bias_penalty": 2.0}, "the bias is not penalised (as in ridge, exercise 5): dL/db = sum of G over the "
                            "batch, with no lam term"),
    ({"record_after": True}, "record the objective BEFORE each update: history[0] is the loss at W = 0, "
                             "log(n_classes)"),
    ({"history_penalty": False}, "the history holds the whole objective, the cross-entropy PLUS lam * sum(W**2)"),
)


def _diagnose_training(got, case, which):
    """The hint for a wrong (W, b, history): the named mistake whose result matches, or the recipe."""
    for variant, hint in _TRAINING_MISTAKES:
        wrong = _ref_train_softmax(*case.args, **variant)
        if all(np.shape(g) == np.shape(w) and np.allclose(g, w, rtol=1e-6, atol=1e-9)
               for g, w in zip(got, wrong)):
            return hint
    n = len(case.args[1])
    scaled = _ref_train_softmax(*case.args, scale=float(n))
    if np.shape(got[0]) == scaled[0].shape and np.allclose(got[0], scaled[0], rtol=1e-6, atol=1e-9):
        return "the cross-entropy is a MEAN over the batch: G = (y_hat - y) / N already holds the 1/N"
    if which == 0 and np.shape(got[0]) == (case.args[0].shape[1], case.args[2]):
        return "W has shape (n_classes, d), one row of weights per class (nn.Linear's layout): logits = X @ W.T + b"
    return _TRAINING_HINT


def _training_result(got, case):
    """The student's (W, b, history) as float arrays, or a CheckFailure saying what came back."""
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise CheckFailure(f"`train_softmax` should return 3 values (W, b, history), got {repr(got)[:160]}"
                           f"\n  input: {case.describe()}")
    return got


def random_softmax_problem(rng):
    """A small random classification problem and training settings (a few steps)."""
    n, d, c = int(rng.integers(5, 40)), int(rng.integers(1, 7)), int(rng.integers(2, 6))
    X = rng.normal(size=(n, d))
    return (X, rng.integers(0, c, size=n), c, float(10 ** rng.uniform(-3, -0.5)), float(rng.uniform(0.1, 1.0)),
            int(rng.integers(2, 15)))


def _digits():
    from dlcourse.checks.ch08 import digits_data

    return digits_data()


def _softmax_ce_works(softmax_cross_entropy):
    """Whether the student's exercise 8 passes on its visible cases (asked unconditionally,
    so that every grading plan holds the same calls); the message when it does not."""
    if softmax_cross_entropy is None:
        return None
    cases = [Case((np.array([[1.0, 2.0, 3.0]]), np.array([2])), label="one sample, logits [1, 2, 3], label 2"),
             Case((np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.0]]), np.array([0, 2])), label="a batch of two")]
    try:
        check_function(_pick(softmax_cross_entropy, "softmax_cross_entropy", 2, (0, 1)),
                       _ref_softmax_cross_entropy, cases, name="softmax_cross_entropy", forbidden=_references(),
                       rtol=1e-7, atol=1e-12, quiet=True)
    except CheckFailure as failure:
        return str(failure).splitlines()[0]
    return None


def train_softmax(student, softmax_cross_entropy=None, hidden=False):
    """Exercise 9: ``train_softmax(X, y, n_classes, lam, lr, steps) -> (W, b, history)`` (partial credit).

    2 points for the updates on small problems (W, b and the history against the reference's),
    1 for the training objective reached on the digits, 1 for a held-out test accuracy of at least
    ``PASS_ACCURACY``, measured by the grader on the split it holds: the chapter's split in the
    visible part; in the hidden part ``{"updates": [cases], "split": (train_index, test_index)}``
    adds cases and replaces the split. ``softmax_cross_entropy``, the student's exercise 8, is
    checked first so that a failure caused by it says so."""
    broken = _softmax_ce_works(softmax_cross_entropy)
    more = hidden_part("train_softmax") if hidden else {}
    X0 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    rng = np.random.default_rng(111)
    X3 = rng.normal(size=(20, 4))
    cases = [
        Case((X0, np.array([0, 1, 1]), 2, 0.0, 0.5, 1), label="one step from zero, no penalty"),
        Case((X0, np.array([0, 1, 1]), 2, 0.1, 0.5, 3), label="three steps, lam = 0.1: the penalty acts"),
        Case((X3, rng.integers(0, 3, size=20), 3, 0.05, 0.3, 10), label="3 classes, 4 features, 10 steps"),
        Case((X0, np.array([0, 2, 2]), 4, 0.01, 1.0, 5), label="4 classes, two of them never seen"),
    ]
    cases += random_cases(112, 3, random_softmax_problem, label="random small problem")
    cases += more.get("updates", [])
    X, y = _digits()
    if hidden:
        train_index, test_index = more["split"]
        where = f"the grader's held-out split ({len(test_index)} test images)"
        X_train, y_train, X_test, y_test = X[train_index], y[train_index], X[test_index], y[test_index]
    else:
        from dlcourse.datasets import load_digits_split

        X_train, X_test, y_train, y_test = load_digits_split(flat=True)
        where = f"the chapter's split ({len(y_test)} test images)"
    refs = _references()
    after = (f"\n  (train_softmax builds on your softmax_cross_entropy, which fails exercise 8's check: "
             f"{broken}; fix that first)") if broken else ""

    def run(case):
        got, noise = call_student(student, *case.args, name="train_softmax", case=case, forbidden=refs,
                                  keeps_inputs=True, arg_names=("X", "y"))
        return _training_result(got, case), noise

    def compare(got, noise, case):
        expected = _ref_train_softmax(*case.args)
        for index, what in enumerate(("W", "b", "history")):
            try:
                expect_close(got[index], expected[index], f"{what} returned by `train_softmax`", case,
                             rtol=1e-6, atol=1e-10, noise=noise)
            except CheckFailure as failure:
                raise CheckFailure(f"{failure}\n  hint: {_diagnose_training(got, case, index)}{after}") from None

    def updates():
        for case in cases:
            compare(*run(case), case)

    digits_case = Case((X_train, y_train, 10, DIGITS_LAM, DIGITS_LR, DIGITS_STEPS), label=f"the digits, {where}")
    trained = {}

    def digits_result():
        if "result" not in trained:
            try:
                trained["result"] = run(digits_case)
            except CheckFailure as failure:
                trained["result"] = failure
        if isinstance(trained["result"], CheckFailure):
            raise CheckFailure(f"{trained['result']}{after}")
        W, b, _ = trained["result"][0]
        W, b = _as_floats(W, "W", (10, 64), digits_case), _as_floats(b, "b", (10,), digits_case)
        return W, b, trained["result"]

    def objective():
        W, b, _ = digits_result()
        reached = _softmax_objective(X_train, y_train, DIGITS_LAM, W, b)
        best = _softmax_objective(X_train, y_train, DIGITS_LAM, *_ref_train_softmax(*digits_case.args)[:2])
        print(f"  training objective on {where}: yours {reached:.6f}, the reference's {best:.6f}")
        if not np.isclose(reached, best, rtol=1e-6):
            raise CheckFailure(f"the training objective of your W, b on {where} is {reached:.8g}; "
                               f"{DIGITS_STEPS} steps of the rule reach {best:.8g} (the small problems of the first part "
                               f"show which step differs)\n  hint: {_TRAINING_HINT}{after}")

    def accuracy():
        W, b, _ = digits_result()
        score = float(np.mean(np.argmax(X_test @ W.T + b, axis=1) == y_test))
        print(f"  test accuracy on {where}: {score:.3f}")
        if score < PASS_ACCURACY:
            raise CheckFailure(f"test accuracy {score:.3f} on {where}, below {PASS_ACCURACY:.2f}: predict the "
                               f"class of largest logit, argmax(X_test @ W.T + b){after}")

    return graded_parts([
        Part("the gradient-descent updates on small problems", 2, updates),
        Part(f"the training objective after {DIGITS_STEPS} steps on the digits", 1, objective),
        Part(f"held-out test accuracy at least {PASS_ACCURACY:.2f}", 1, accuracy),
    ])


def _as_floats(value, what, shape, case):
    array = _as_array(value, f"{what} returned by `train_softmax`")
    if array.shape != shape or not np.isfinite(array).all():
        raise CheckFailure(f"{what} returned by `train_softmax` should be a finite array of shape {shape}, "
                           f"got {repr(value)[:160]}\n  input: {case.describe()}")
    return array
