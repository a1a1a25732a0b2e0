"""Checks for chapter 3, *Regression*: least squares for one feature and in
matrix form (with the minimum-norm solution when XᵀX is singular), the
regression metrics MSE / RMSE / R², polynomial features, ridge regression
with an unpenalised bias, the logistic log loss and its gradient computed
from the logits, and softmax cross-entropy with its gradient ŷ − y.

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
    check_function,
    graded_parts,
    hidden as hidden_part,
    library_functions,
    random_cases,
)

__all__ = [
    "collinear_regression",
    "fit_line",
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
    "random_ridge",
    "regression_metrics",
    "ridge",
    "ridge_data",
    "softmax_cross_entropy",
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


# -- exercise 7: softmax cross-entropy ---------------------------------------------------------------


def random_batch(rng):
    """A random batch of 1 to 19 rows of 2 to 7 logits and a label per row."""
    n, c = int(rng.integers(1, 20)), int(rng.integers(2, 8))
    return rng.normal(scale=3, size=(n, c)), rng.integers(0, c, size=n)


def softmax_cross_entropy(student, hidden=False):
    """Exercise 7: ``softmax_cross_entropy(logits, labels) -> (loss, grad)`` (partial credit)."""
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
