"""The chapter 3 checks accept correct answers written in different ways and
reject the usual wrong ones (a penalised bias, a sum instead of a mean, a log
of a probability that rounded to 0, a forgotten 1/N) with a message that says
what went wrong."""

import warnings

import numpy as np
import pytest
import torch

from dlcourse.checks import ch03, core
from dlcourse.checks.core import CheckFailure
from tests.check_tools import fails as _fails
from tests.check_tools import hidden_case_texts, leaked_hidden_texts
from tests.check_tools import stub as _stub
from tests.conftest import ROOT


def _augment(X):
    X = np.asarray(X, dtype=float)
    return np.column_stack([np.ones(len(X)), X])


# -- solutions as the notebook writes them, and other correct ways ----------------------------


def fit_line(x, y):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    slope = np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2)
    return slope, y.mean() - slope * x.mean()


def fit_line_notes(x, y):
    # the notes' 2 x 2 system A w = b, solved for (w0, w1)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    A = np.array([[len(x), x.sum()], [x.sum(), (x * x).sum()]])
    w0, w1 = np.linalg.solve(A, np.array([y.sum(), (x * y).sum()]))
    return w1, w0


def fit_line_polyfit(x, y):
    return tuple(np.polyfit(np.asarray(x, dtype=float), np.asarray(y, dtype=float), 1))


def normal_equations(X, y):
    return np.linalg.lstsq(_augment(X), np.asarray(y, dtype=float), rcond=None)[0]


def normal_equations_pinv(X, y):
    return np.linalg.pinv(_augment(X)) @ y


def normal_equations_solve(X, y):
    A = _augment(X)
    return np.linalg.solve(A.T @ A, A.T @ y)


def normal_equations_inverse(X, y):
    A = _augment(X)
    return np.linalg.inv(A.T @ A) @ A.T @ y


def regression_metrics(y, y_hat):
    y, y_hat = np.asarray(y, dtype=float), np.asarray(y_hat, dtype=float)
    mse = np.mean((y_hat - y) ** 2)
    return mse, np.sqrt(mse), 1.0 - np.sum((y_hat - y) ** 2) / np.sum((y.mean() - y) ** 2)


def regression_metrics_other(y, y_hat):
    mse = float(np.square(np.subtract(y_hat, y)).mean())
    return [mse, mse ** 0.5, 1 - mse / np.var(y)]


def polynomial_features(x, degree):
    x = np.asarray(x, dtype=float)
    return np.column_stack([x ** k for k in range(1, degree + 1)])


def polynomial_features_vander(x, degree):
    return np.vander(x, degree + 1, increasing=True)[:, 1:]


def ridge(X, y, lam):
    A = _augment(X)
    D = np.eye(A.shape[1])
    D[0, 0] = 0.0
    return np.linalg.solve(A.T @ A + lam * D, A.T @ y)


def ridge_centred(X, y, lam):
    # centre the data: the bias then drops out, and is recovered from the means
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    w = np.linalg.solve(Xc.T @ Xc + lam * np.eye(X.shape[1]), Xc.T @ yc)
    return np.concatenate([[y.mean() - X.mean(axis=0) @ w], w])


def logistic_loss_and_grad(X, y, w, b):
    z = X @ w + b
    p = np.exp(-np.logaddexp(0.0, -z))
    return np.mean(np.logaddexp(0.0, z) - y * z), X.T @ (p - y) / len(y), np.mean(p - y)


def logistic_loss_and_grad_other(X, y, w, b):
    z = np.asarray(X, dtype=float) @ w + b
    # -log sigma(z) for y = 1 and -log(1 - sigma(z)) = -log sigma(-z) for y = 0, with a naive sigmoid
    loss = np.where(y == 1, np.logaddexp(0, -z), np.logaddexp(0, z)).mean()
    p = 1.0 / (1.0 + np.exp(-z))          # overflows to 1 / inf = 0 for very negative z: still right
    return float(loss), (p - y) @ X / len(y), float(np.sum(p - y) / len(y))


def _design(X, fit_intercept):
    """The design matrix X~ and the penalty's D of exercise 7."""
    A = _augment(X) if fit_intercept else np.asarray(X, dtype=float)
    D = np.eye(A.shape[1])
    if fit_intercept:
        D[0, 0] = 0.0
    return A, D


def fit_logistic_newton(X, y, steps, lam=0.0, fit_intercept=True):
    A, D = _design(X, fit_intercept)
    y = np.asarray(y, dtype=float)
    theta, iterates = np.zeros(A.shape[1]), []
    iterates.append(theta)
    for _ in range(steps):
        p = np.exp(-np.logaddexp(0.0, -(A @ theta)))
        H = A.T @ ((p * (1 - p))[:, None] * A) + lam * D
        theta = theta - np.linalg.solve(H, A.T @ (p - y) + lam * D @ theta)
        iterates.append(theta)
    return np.array(iterates)


def fit_logistic_newton_inverse(X, y, steps, lam=0.0, fit_intercept=True):
    # the explicit inverse and the diagonal matrix S written out: slower, still right
    A, D = _design(X, fit_intercept)
    theta, iterates = np.zeros(A.shape[1]), [np.zeros(A.shape[1])]
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(A @ theta)))
        S = np.diag(p * (1 - p))
        theta = theta - np.linalg.inv(A.T @ S @ A + lam * D) @ (A.T @ (p - y) + lam * D @ theta)
        iterates.append(theta.copy())
    return iterates                                      # a list of arrays


def fit_logistic_newton_irls(X, y, steps, lam=0.0, fit_intercept=True):
    # iteratively reweighted least squares: a weighted ridge problem on the working response
    A, D = _design(X, fit_intercept)
    y = np.asarray(y, dtype=float)
    theta = np.zeros(A.shape[1])
    iterates = np.zeros((steps + 1, A.shape[1]))
    for t in range(1, steps + 1):
        z = A @ theta
        p = 0.5 * (1.0 + np.tanh(0.5 * z))
        s = p * (1 - p)
        working = z + (y - p) / s
        theta = np.linalg.solve(A.T @ (s[:, None] * A) + lam * D, A.T @ (s * working))
        iterates[t] = theta
    return iterates


def fit_logistic_newton_by_sample(X, y, steps, lam=0.0, fit_intercept=True):
    # gradient and Hessian accumulated sample by sample, the bias kept apart from the weights
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    b, w = 0.0, np.zeros(d)
    rows = [np.r_[b, w] if fit_intercept else w.copy()]
    for _ in range(steps):
        k = d + 1 if fit_intercept else d
        g, H = np.zeros(k), np.zeros((k, k))
        for i in range(n):
            x = np.r_[1.0, X[i]] if fit_intercept else X[i]
            p = 1.0 / (1.0 + np.exp(-(w @ X[i] + b)))
            g += (p - y[i]) * x
            H += p * (1 - p) * np.outer(x, x)
        penalised = np.r_[0.0, np.ones(d)] if fit_intercept else np.ones(d)
        g += lam * penalised * (np.r_[b, w] if fit_intercept else w)
        H += lam * np.diag(penalised)
        step = np.linalg.solve(H, g)
        if fit_intercept:
            b, w = b - step[0], w - step[1:]
        else:
            w = w - step
        rows.append(np.r_[b, w] if fit_intercept else w.copy())
    return np.array(rows)


def softmax_cross_entropy(logits, labels):
    n = len(labels)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1.0
    return -log_p[np.arange(n), labels].mean(), grad / n


def softmax_cross_entropy_other(logits, labels):
    logits = np.asarray(logits, dtype=float)
    log_z = np.logaddexp.reduce(logits, axis=1)
    onehot = np.eye(logits.shape[1])[labels]
    loss = np.mean(log_z - np.sum(onehot * logits, axis=1))
    return loss, (np.exp(logits - log_z[:, None]) - onehot) / len(labels)


# -- correct answers pass -------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True])
def test_correct_answers_pass(hidden, capsys):
    for f in (fit_line, fit_line_notes, fit_line_polyfit):
        ch03.fit_line(f, hidden=hidden)
    for f in (polynomial_features, polynomial_features_vander):
        ch03.polynomial_features(f, hidden=hidden)
    for f in (ridge, ridge_centred):
        ch03.ridge(f, hidden=hidden)
    assert "\u2713" in capsys.readouterr().out


@pytest.mark.parametrize("hidden", [False, True])
def test_partial_credit_exercises_full_marks(hidden, capsys):
    for f in (normal_equations, normal_equations_pinv):
        assert repr(ch03.normal_equations(f, hidden=hidden)) == "2"
    for f in (regression_metrics, regression_metrics_other):
        assert repr(ch03.regression_metrics(f, hidden=hidden)) == "3"
    for f in (logistic_loss_and_grad, logistic_loss_and_grad_other):
        assert repr(ch03.logistic_loss_and_grad(f, hidden=hidden)) == "2"
    for f in (softmax_cross_entropy, softmax_cross_entropy_other):
        assert repr(ch03.softmax_cross_entropy(f, hidden=hidden)) == "3"


def test_naive_sigmoid_overflow_warnings_do_not_fail(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the check must capture them itself
        assert float(ch03.logistic_loss_and_grad(logistic_loss_and_grad_other, hidden=True)) == 2.0


def test_explicit_inverse_passes_on_full_rank_only(capsys):
    for f in (normal_equations_solve, normal_equations_inverse):
        assert float(ch03.normal_equations(f, hidden=True)) == 1.0
    out = capsys.readouterr().out
    assert "\u2713 full-rank X" in out and "minimum-norm" in out and "lstsq" in out


# -- the references agree with the notes and with PyTorch ------------------------------------


def test_references_reproduce_the_notes():
    slope, intercept = ch03._ref_fit_line(ch03._LINE_X, ch03._LINE_Y)
    assert np.isclose(slope, 0.5) and np.isclose(intercept, -1.5)
    np.testing.assert_allclose(ch03._ref_normal_equations(ch03._LINE_X[:, None], ch03._LINE_Y), [-1.5, 0.5])
    X, y = ch03.insurance_table()
    # w = [1, 1], b = 0 on raw ages: the loss of each y = 0 row is its logit z
    z = X.sum(axis=1)
    assert np.isclose(ch03._ref_logistic_loss(X, y, np.ones(2), 0.0),
                      (np.sum(z[y == 0]) + np.sum(np.log1p(np.exp(-z[y == 1])))) / len(y))
    assert np.isclose(ch03._ref_logistic_loss(X, y, np.zeros(2), 0.0), np.log(2))


def test_references_match_the_library():
    from dlcourse.datasets import house_prices, insurance_by_age_affordability, line_points
    from dlcourse.linear_models import LinearRegression, Ridge, polynomial_features as lib_poly
    from dlcourse.metrics import mse, r2_score, rmse

    houses, price = house_prices()
    np.testing.assert_array_equal(ch03.house_table()[0], houses)
    np.testing.assert_array_equal(ch03.house_table()[1], price)
    X, y = insurance_by_age_affordability()
    np.testing.assert_array_equal(ch03.insurance_table()[0], X)
    np.testing.assert_array_equal(ch03.insurance_table()[1], y)
    x, t = line_points()
    np.testing.assert_array_equal(x[:, 0], ch03._LINE_X)
    np.testing.assert_array_equal(t, ch03._LINE_Y)
    model = LinearRegression().fit(houses, price)
    np.testing.assert_allclose(ch03._ref_normal_equations(houses, price),
                               np.r_[model.intercept_, model.coef_], rtol=1e-8)
    model = Ridge(alpha=3.0).fit(houses / 1000, price)
    np.testing.assert_allclose(ch03._ref_ridge(houses / 1000, price, 3.0),
                               np.r_[model.intercept_, model.coef_], rtol=1e-10)
    v = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(ch03._ref_polynomial_features(v, 5), lib_poly(v, 5), rtol=1e-14)
    a, b = np.array([3.0, -0.5, 2.0, 7.0]), np.array([2.5, 0.0, 2.0, 8.0])
    np.testing.assert_allclose(ch03._ref_regression_metrics(a, b), (mse(a, b), rmse(a, b), r2_score(a, b)))


def test_logistic_and_softmax_references_match_torch():
    rng = np.random.default_rng(5)
    X, y, w, b = rng.normal(size=(7, 3)), rng.integers(0, 2, size=7), rng.normal(scale=30, size=3), 0.4
    tw = torch.tensor(w, requires_grad=True)
    tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(X) @ tw + tb,
                                                                torch.tensor(y, dtype=torch.float64))
    loss.backward()
    ours = ch03._ref_logistic_loss_and_grad(X, y, w, b)
    np.testing.assert_allclose(ours[0], loss.item(), rtol=1e-12)
    np.testing.assert_allclose(ours[1], tw.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(ours[2], tb.grad.item(), rtol=1e-10, atol=1e-14)

    logits, labels = rng.normal(scale=300, size=(6, 5)), rng.integers(0, 5, size=6)
    t = torch.tensor(logits, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(t, torch.tensor(labels))
    loss.backward()
    ours = ch03._ref_softmax_cross_entropy(logits, labels)
    np.testing.assert_allclose(ours[0], loss.item(), rtol=1e-12)
    np.testing.assert_allclose(ours[1], t.grad.numpy(), rtol=1e-10, atol=1e-300)


# -- typical wrong answers fail with a useful message ------------------------------------


def test_fit_line_swapped_order_fails():
    _fails(ch03.fit_line, lambda x, y: fit_line(x, y)[::-1], fragments=("notes' table", "slope first"))


def test_fit_line_uncentred_numerator_fails():
    def uncentred(x, y):
        x, y = np.asarray(x, float), np.asarray(y, float)
        slope = np.sum(x * y) / np.sum((x - x.mean()) ** 2)
        return slope, y.mean() - slope * x.mean()

    _fails(ch03.fit_line, uncentred, fragments=("value 1 returned by `fit_line`",))


def test_normal_equations_without_bias_scores_zero():
    def no_bias(X, y):
        return np.linalg.lstsq(np.asarray(X, float), y, rcond=None)[0]

    _fails(ch03.normal_equations, no_bias, fragments=("no part passes", "column of ones", "wrong shape"))


def test_normal_equations_bias_last_fails():
    def bias_last(X, y):
        theta = normal_equations(X, y)
        return np.roll(theta, -1)

    _fails(ch03.normal_equations, bias_last, fragments=("theta = [-1.5, 0.5]",))


def test_normal_equations_centred_bias_loses_the_rank_deficient_point(capsys):
    def centred(X, y):
        X, y = np.asarray(X, float), np.asarray(y, float)
        w = np.linalg.lstsq(X - X.mean(axis=0), y - y.mean(), rcond=None)[0]
        return np.concatenate([[y.mean() - X.mean(axis=0) @ w], w])

    # a valid least-squares fit, but not the minimum-norm one when the bias is not determined
    assert float(ch03.normal_equations(centred)) == 1.0
    assert float(ch03.normal_equations(centred, hidden=True)) == 1.0
    assert "smallest norm" in capsys.readouterr().out


def test_metrics_sum_instead_of_mean_scores_one_part(capsys):
    def summed(y, y_hat):
        sse = np.sum((np.asarray(y_hat) - y) ** 2)
        return sse, np.sqrt(sse), 1 - sse / np.sum((y - np.mean(y)) ** 2)

    assert float(ch03.regression_metrics(summed)) == 1.0
    out = capsys.readouterr().out
    assert "\u2717 MSE" in out and "not the sum" in out and "\u2713 R^2" in out


def test_metrics_sample_variance_loses_r2(capsys):
    def ddof1(y, y_hat):
        mse = np.mean((np.asarray(y_hat) - y) ** 2)
        return mse, np.sqrt(mse), 1 - mse / np.var(y, ddof=1)

    assert float(ch03.regression_metrics(ddof1)) == 2.0
    assert "ddof = 0" in capsys.readouterr().out


def test_metrics_wrong_count_fails():
    _fails(ch03.regression_metrics, lambda y, y_hat: regression_metrics(y, y_hat)[:2],
           fragments=("should return 3 values",))


def test_polynomial_with_bias_column_fails():
    _fails(ch03.polynomial_features, lambda x, d: np.vander(x, d + 1, increasing=True),
           fragments=("wrong shape", "no column of ones"))


def test_polynomial_transposed_fails():
    _fails(ch03.polynomial_features, lambda x, d: polynomial_features(x, d).T,
           fragments=("wrong shape", "same number of values"))


def test_polynomial_decreasing_powers_fails():
    _fails(ch03.polynomial_features, lambda x, d: np.vander(x, d + 1)[:, :-1], fragments=("x**k",))


def test_ridge_penalising_the_bias_fails():
    def notes_formula(X, y, lam):
        A = _augment(X)
        return np.linalg.solve(A.T @ A + lam * np.eye(A.shape[1]), A.T @ y)

    _fails(ch03.ridge, notes_formula, fragments=("not penalised", "mean(y)"))


def test_ridge_ignoring_lambda_fails():
    _fails(ch03.ridge, lambda X, y, lam: normal_equations(X, y), fragments=("lambda = 1",))


def test_logistic_loss_from_probabilities_loses_the_loss_point(capsys):
    def naive(X, y, w, b):
        p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
        with np.errstate(divide="ignore", invalid="ignore"):
            loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        return loss, X.T @ (p - y) / len(y), np.mean(p - y)

    assert float(ch03.logistic_loss_and_grad(naive)) == 1.0
    out = capsys.readouterr().out
    assert "nan or inf" in out and "np.logaddexp(0, z)" in out and "notes' start" in out


def test_logistic_loss_clipped_fails(capsys):
    def clipped(X, y, w, b):
        p = np.clip(1.0 / (1.0 + np.exp(-(X @ w + b))), 1e-15, 1 - 1e-15)
        loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        return loss, X.T @ (p - y) / len(y), np.mean(p - y)

    assert float(ch03.logistic_loss_and_grad(clipped)) == 1.0
    assert "\u2717 the log loss" in capsys.readouterr().out


def test_logistic_gradient_without_mean_fails(capsys):
    def summed(X, y, w, b):
        loss, gw, gb = logistic_loss_and_grad(X, y, w, b)
        return loss, gw * len(y), gb * len(y)

    assert float(ch03.logistic_loss_and_grad(summed)) == 1.0
    assert "division by N" in capsys.readouterr().out


def test_logistic_gradient_wrong_sign_fails(capsys):
    def flipped(X, y, w, b):
        loss, gw, gb = logistic_loss_and_grad(X, y, w, b)
        return loss, -gw, -gb

    assert float(ch03.logistic_loss_and_grad(flipped)) == 1.0


def test_softmax_ce_naive_log_loses_the_loss_point(capsys):
    def naive(logits, labels):
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        n = len(labels)
        with np.errstate(divide="ignore"):
            loss = -np.mean(np.log(p[np.arange(n), labels]))
        onehot = np.eye(logits.shape[1])[labels]
        return loss, (p - onehot) / n

    assert float(ch03.softmax_cross_entropy(naive)) == 2.0
    assert "no probability that underflows" in capsys.readouterr().out


def test_softmax_ce_gradient_not_averaged_fails(capsys):
    def per_sample(logits, labels):
        loss, grad = softmax_cross_entropy(logits, labels)
        return loss, grad * len(labels)

    assert float(ch03.softmax_cross_entropy(per_sample)) == 1.0
    assert "divided by the batch size" in capsys.readouterr().out


def test_softmax_ce_gradient_sign_fails(capsys):
    def flipped(logits, labels):
        loss, grad = softmax_cross_entropy(logits, labels)
        return loss, -grad

    assert float(ch03.softmax_cross_entropy(flipped)) == 1.0


# -- stubs and the reference implementation ------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("check", [
    ch03.fit_line, ch03.normal_equations, ch03.regression_metrics, ch03.polynomial_features,
    ch03.ridge, ch03.logistic_loss_and_grad, ch03.fit_logistic_newton, ch03.softmax_cross_entropy,
])
def test_stub_fails(check, hidden):
    _fails(check, _stub, fragments=("not implemented yet",), hidden=hidden)


def test_calling_the_library_fails():
    import dlcourse.functional as F
    from dlcourse import metrics
    from dlcourse.linear_models import LinearRegression, Ridge
    from dlcourse.linear_models import polynomial_features as lib_poly
    from dlcourse.nn import CrossEntropyLoss

    def via_linear_regression(X, y):
        model = LinearRegression().fit(X, y)
        return np.r_[model.intercept_, model.coef_]

    def via_ridge(X, y, lam):
        model = Ridge(alpha=lam).fit(X, y)
        return np.r_[model.intercept_, model.coef_]

    def via_line(x, y):
        model = LinearRegression().fit(np.asarray(x, float)[:, None], y)
        return model.coef_[0], model.intercept_

    def via_metrics(y, y_hat):
        return metrics.mse(y, y_hat), metrics.rmse(y, y_hat), metrics.r2_score(y, y_hat)

    def via_bce(X, y, w, b):
        z = X @ w + b
        return (F.binary_cross_entropy_with_logits(z, y.astype(float)),
                X.T @ F.binary_cross_entropy_with_logits_backward(z, y.astype(float)),
                F.binary_cross_entropy_with_logits_backward(z, y.astype(float)).sum())

    def via_cross_entropy(logits, labels):
        return F.cross_entropy(logits, labels), F.cross_entropy_backward(logits, labels)

    def via_module(logits, labels):
        criterion = CrossEntropyLoss()
        return criterion(logits, labels), criterion.backward()

    def via_log_softmax(logits, labels):
        log_p = F.log_softmax(logits)
        n = len(labels)
        grad = np.exp(log_p)
        grad[np.arange(n), labels] -= 1
        return -log_p[np.arange(n), labels].mean(), grad / n

    library = ("reference implementation",)
    _fails(ch03.fit_line, via_line, fragments=library)
    _fails(ch03.normal_equations, via_linear_regression, fragments=library)
    _fails(ch03.ridge, via_ridge, fragments=library)
    _fails(ch03.polynomial_features, lambda x, d: lib_poly(x, d), fragments=library)
    _fails(ch03.regression_metrics, via_metrics, fragments=library)
    _fails(ch03.logistic_loss_and_grad, via_bce, fragments=library)
    for cheat in (via_cross_entropy, via_module, via_log_softmax):
        _fails(ch03.softmax_cross_entropy, cheat, fragments=library)
    _fails(ch03.ridge, lambda *a: ch03._ref_ridge(*a), fragments=library)


def test_the_grader_reaches_the_same_verdicts_from_the_kernels_answers():
    # each check's calls recorded, made on the student's functions, judged outside: all pass
    from tests.check_tools import judged_outside

    students = {"fit_line": fit_line_notes, "normal_equations": normal_equations_pinv,
                "regression_metrics": regression_metrics_other,
                "polynomial_features": polynomial_features_vander, "ridge": ridge_centred,
                "logistic_loss_and_grad": logistic_loss_and_grad_other,
                "fit_logistic_newton": fit_logistic_newton_irls,
                "softmax_cross_entropy": softmax_cross_entropy_other}
    for name in students:
        verdict = judged_outside(f"from dlcourse.checks import ch03\nch03.{name}({name}, hidden=True)",
                                 students, points=2, hidden_path=HIDDEN)
        assert (verdict.points, verdict.outcome) == (2, "pass"), verdict.message


# -- hidden cases: the instructor's, different for each student ------------------------------

HIDDEN = ROOT / "solutions" / "ch03-regression" / "hidden_cases.py"
_EXERCISES = ["fit_line", "normal_equations", "regression_metrics", "polynomial_features", "ridge",
              "logistic_loss_and_grad", "fit_logistic_newton", "softmax_cross_entropy"]


@pytest.mark.parametrize("seed", range(20))
def test_the_hidden_cases_of_every_seed_are_well_posed(seed, capsys):
    with core.hidden_source(HIDDEN, seed):
        ch03.fit_line(fit_line, hidden=True)
        ch03.polynomial_features(polynomial_features, hidden=True)
        ch03.ridge(ridge, hidden=True)
        assert repr(ch03.normal_equations(normal_equations, hidden=True)) == "2"
        assert repr(ch03.regression_metrics(regression_metrics, hidden=True)) == "3"
        assert repr(ch03.logistic_loss_and_grad(logistic_loss_and_grad, hidden=True)) == "2"
        assert repr(ch03.fit_logistic_newton(fit_logistic_newton, hidden=True)) == "3"
        assert repr(ch03.softmax_cross_entropy(softmax_cross_entropy, hidden=True)) == "3"


def _hidden_inputs(seed, exercise):
    with core.hidden_source(HIDDEN, seed):
        part = core.hidden(exercise)
    cases = [c for cases in part.values() for c in cases] if isinstance(part, dict) else part
    return [a for c in cases for a in c.args if isinstance(a, np.ndarray | float | int)]


@pytest.mark.parametrize("exercise", _EXERCISES)
def test_each_seed_has_its_own_hidden_random_cases_and_keeps_them(exercise):
    first, again, other = _hidden_inputs(1, exercise), _hidden_inputs(1, exercise), _hidden_inputs(2, exercise)
    assert len(first) == len(again) and all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.shape(a) == np.shape(b) and np.array_equal(a, b) for a, b in zip(first, other))


def test_without_the_instructors_file_the_hidden_part_says_where_it_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with core.hidden_source(None, 0):
        with pytest.raises(CheckFailure, match="only when the instructor grades"):
            ch03.fit_line(fit_line, hidden=True)
        with pytest.raises(CheckFailure, match="only when the instructor grades"):
            ch03.normal_equations(normal_equations, hidden=True)


def test_no_hidden_case_reaches_a_student():
    labels, literals = hidden_case_texts(HIDDEN)
    assert len(labels) >= 10 and literals
    assert leaked_hidden_texts(HIDDEN, ROOT, ROOT / "course" / "ch03-regression" / "ch03-regression.ipynb") == {}
    assert not (ROOT / "course" / "ch03-regression" / "hidden_cases.py").exists()


# -- the caller's arrays are left alone --------------------------------------------------------


def fit_line_in_place(x, y):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    x_mean = x.mean()
    x -= x_mean   # changes the caller's float array
    slope = np.sum(x * (y - y.mean())) / np.sum(x ** 2)
    return slope, y.mean() - slope * x_mean


def ridge_in_place(X, y, lam):
    X = np.asarray(X, dtype=float)
    means = X.mean(axis=0)
    X -= means
    w = np.linalg.solve(X.T @ X + lam * np.eye(X.shape[1]), X.T @ (y - y.mean()))
    return np.concatenate(([y.mean() - means @ w], w))


def test_changing_the_callers_array_fails_and_names_it():
    _fails(ch03.fit_line, fit_line_in_place, fragments=("changed its argument `x` in place",))
    _fails(ch03.ridge, ridge_in_place, fragments=("changed its argument `X` in place",))


# -- one rule for several returned values: any sequence of the right length --------------------


def test_fit_line_and_metrics_accept_a_list_or_an_array_of_the_values(capsys):
    ch03.fit_line(lambda x, y: np.polyfit(np.asarray(x, dtype=float), np.asarray(y, dtype=float), 1))
    ch03.fit_line(lambda x, y: list(fit_line(x, y)))
    assert repr(ch03.regression_metrics(lambda y, y_hat: np.array(regression_metrics(y, y_hat)))) == "3"


def test_fit_line_with_the_wrong_number_of_values_fails():
    _fails(ch03.fit_line, lambda x, y: np.polyfit(np.asarray(x, dtype=float), np.asarray(y, dtype=float), 2),
           fragments=("should return 2 values (a tuple, a list or a 1-D array of 2)",))


# -- exercise 9: softmax regression trained by batch gradient descent --------------------------------


@pytest.fixture
def _one_blas_thread():
    """The digits' matrices are small: one BLAS thread multiplies them faster than several."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def train_softmax(X, y, n_classes, lam, lr, steps):
    X = np.asarray(X, dtype=float)
    W, b, history = np.zeros((n_classes, X.shape[1])), np.zeros(n_classes), np.empty(steps)
    for step in range(steps):
        loss, G = softmax_cross_entropy(X @ W.T + b, y)
        history[step] = loss + lam * np.sum(W * W)
        W, b = W - lr * (G.T @ X + 2 * lam * W), b - lr * G.sum(axis=0)
    return W, b, history


def train_softmax_onehot(X, y, n_classes, lam, lr, steps):
    # probabilities and one-hot targets written out; W updated in place on its own array
    onehot = np.eye(n_classes)[y]
    W, b, history = np.zeros((n_classes, X.shape[1])), np.zeros(n_classes), []
    for _ in range(steps):
        V = X @ W.T + b
        P = np.exp(V - V.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        history.append(-np.mean(np.log(np.sum(P * onehot, axis=1))) + lam * (W ** 2).sum())
        E = (P - onehot) / len(y)
        W -= lr * (np.einsum("nc,nd->cd", E, X) + 2 * lam * W)
        b -= lr * E.sum(axis=0)
    return W, b, np.array(history)


def train_softmax_augmented(X, y, n_classes, lam, lr, steps):
    # the bias as a last column of ones in an augmented weight matrix, left out of the penalty
    A = np.column_stack([X, np.ones(len(X))])
    theta = np.zeros((A.shape[1], n_classes))
    mask = np.ones_like(theta)
    mask[-1] = 0.0
    history = []
    for _ in range(steps):
        loss, G = softmax_cross_entropy_other(A @ theta, y)
        history.append(loss + lam * np.sum((theta * mask) ** 2))
        theta = theta - lr * (A.T @ G + 2 * lam * theta * mask)
    return theta[:-1].T, theta[-1], history


def _train_with(step_change):
    """``train_softmax`` with one step of the rule replaced by ``step_change(W, b, G, X, lam)``."""

    def trained(X, y, n_classes, lam, lr, steps):
        W, b, history = np.zeros((n_classes, X.shape[1])), np.zeros(n_classes), []
        for _ in range(steps):
            loss, G = softmax_cross_entropy(X @ W.T + b, y)
            history.append(loss + lam * np.sum(W * W))
            grad_W, grad_b = step_change(W, b, G, X, lam)
            W, b = W - lr * grad_W, b - lr * grad_b
        return W, b, np.array(history)

    return trained


def test_train_softmax_correct_styles_score_full_marks(_one_blas_thread, capsys):
    for f in (train_softmax, train_softmax_onehot, train_softmax_augmented):
        assert repr(ch03.train_softmax(f, softmax_cross_entropy)) == "4"
        assert repr(ch03.train_softmax(f, softmax_cross_entropy, hidden=True)) == "4"
    out = capsys.readouterr().out
    assert "test accuracy on the chapter's split (450 test images): 0.956" in out
    assert "the grader's held-out split" in out


@pytest.mark.parametrize("mistake, hint", [
    (lambda W, b, G, X, lam: (G.T @ X, G.sum(axis=0)), "the penalty is missing"),
    (lambda W, b, G, X, lam: (G.T @ X + lam * W, G.sum(axis=0)), "2 lam W, not lam W"),
    (lambda W, b, G, X, lam: (G.T @ X + 2 * lam * W, G.sum(axis=0) + 2 * lam * b), "the bias is not penalised"),
    (lambda W, b, G, X, lam: (len(G) * G.T @ X + 2 * lam * W, len(G) * G.sum(axis=0)), "a MEAN over the batch"),
])
def test_train_softmax_typical_update_mistakes_fail_with_their_own_hint(mistake, hint, _one_blas_thread, capsys):
    score = ch03.train_softmax(_train_with(mistake), softmax_cross_entropy)
    assert float(score) < 4
    out = capsys.readouterr().out
    assert "\u2717 the gradient-descent updates on small problems (0/2)" in out and hint in out


def test_train_softmax_history_mistakes_lose_the_update_points_only(_one_blas_thread, capsys):
    def no_penalty_in_history(X, y, n_classes, lam, lr, steps):
        W, b, _ = train_softmax(X, y, n_classes, lam, lr, steps)
        history = [softmax_cross_entropy(X @ Wk.T + bk, y)[0]
                   for Wk, bk in (train_softmax(X, y, n_classes, lam, lr, k)[:2] for k in range(steps))]
        return W, b, np.array(history)

    def shifted(X, y, n_classes, lam, lr, steps):
        # the objective recorded after each update
        W, b, history = np.zeros((n_classes, X.shape[1])), np.zeros(n_classes), []
        for _ in range(steps):
            _, G = softmax_cross_entropy(X @ W.T + b, y)
            W, b = W - lr * (G.T @ X + 2 * lam * W), b - lr * G.sum(axis=0)
            history.append(softmax_cross_entropy(X @ W.T + b, y)[0] + lam * np.sum(W * W))
        return W, b, np.array(history)

    assert float(ch03.train_softmax(shifted, softmax_cross_entropy)) == 2.0
    assert "BEFORE each update" in capsys.readouterr().out
    small = ch03.random_softmax_problem(np.random.default_rng(3))
    W, b, history = no_penalty_in_history(*small)
    assert np.allclose(history, ch03._ref_train_softmax(*small, history_penalty=False)[2])
    assert "PLUS lam" in ch03._diagnose_training((W, b, history), core.Case(small), 2)


def test_train_softmax_transposed_weights_are_named(_one_blas_thread, capsys):
    def transposed(X, y, n_classes, lam, lr, steps):
        W, b, history = train_softmax(X, y, n_classes, lam, lr, steps)
        return W.T, b, history

    with pytest.raises(CheckFailure) as failure:
        ch03.train_softmax(transposed, softmax_cross_entropy)
    message = str(failure.value)
    assert "nn.Linear's layout" in message and "shape (10, 64)" in message


def test_train_softmax_says_when_the_failure_comes_from_exercise_7(_one_blas_thread, capsys):
    def broken_softmax_cross_entropy(logits, labels):
        loss, grad = softmax_cross_entropy(logits, labels)
        return loss, grad * len(labels)          # exercise 8's gradient not averaged

    def built_on_it(X, y, n_classes, lam, lr, steps):
        W, b, history = np.zeros((n_classes, X.shape[1])), np.zeros(n_classes), []
        for _ in range(steps):
            loss, G = broken_softmax_cross_entropy(X @ W.T + b, y)
            history.append(loss + lam * np.sum(W * W))
            W, b = W - lr * (G.T @ X + 2 * lam * W), b - lr * G.sum(axis=0)
        return W, b, np.array(history)

    ch03.train_softmax(built_on_it, broken_softmax_cross_entropy)
    out = capsys.readouterr().out
    assert "builds on your softmax_cross_entropy, which fails exercise 8's check" in out
    ch03.train_softmax(_train_with(lambda W, b, G, X, lam: (G.T @ X, G.sum(axis=0))), softmax_cross_entropy)
    assert "fails exercise 8's check" not in capsys.readouterr().out


def test_train_softmax_stub_and_library_fail(_one_blas_thread):
    _fails(ch03.train_softmax, _stub, softmax_cross_entropy, fragments=("not implemented yet",))
    _fails(ch03.train_softmax, _stub, _stub, fragments=("fails exercise 8's check", "not implemented yet"))

    def via_library(X, y, n_classes, lam, lr, steps):
        import dlcourse.functional as F

        W, b, history = np.zeros((n_classes, X.shape[1])), np.zeros(n_classes), []
        for _ in range(steps):
            V = X @ W.T + b
            history.append(F.cross_entropy(V, y) + lam * np.sum(W * W))
            G = F.cross_entropy_backward(V, y)
            W, b = W - lr * (G.T @ X + 2 * lam * W), b - lr * G.sum(axis=0)
        return W, b, np.array(history)

    _fails(ch03.train_softmax, via_library, softmax_cross_entropy, fragments=("reference implementation",))


def test_train_softmax_reference_matches_torch():
    rng = np.random.default_rng(8)
    X, y, lam, lr = rng.normal(size=(30, 5)), rng.integers(0, 4, size=30), 0.05, 0.4
    W = torch.zeros((4, 5), dtype=torch.float64, requires_grad=True)
    b = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    history = []
    for _ in range(6):
        loss = torch.nn.functional.cross_entropy(torch.tensor(X) @ W.T + b, torch.tensor(y)) + lam * (W ** 2).sum()
        history.append(loss.item())
        loss.backward()
        with torch.no_grad():
            W -= lr * W.grad
            b -= lr * b.grad
        W.grad, b.grad = None, None
    ours = ch03._ref_train_softmax(X, y, 4, lam, lr, 6)
    np.testing.assert_allclose(ours[0], W.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours[1], b.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours[2], history, rtol=1e-12)


@pytest.mark.parametrize("seed", range(20))
def test_train_softmax_hidden_split_of_every_seed_is_well_posed(seed, _one_blas_thread, capsys):
    with core.hidden_source(HIDDEN, seed):
        split = core.hidden("train_softmax")["split"]
        assert len(np.intersect1d(*split)) == 0 and len(split[0]) + len(split[1]) == 1797
        assert repr(ch03.train_softmax(train_softmax, softmax_cross_entropy, hidden=True)) == "4"


def test_train_softmax_hidden_split_differs_from_seed_to_seed_and_stays():
    def split(seed):
        with core.hidden_source(HIDDEN, seed):
            return core.hidden("train_softmax")["split"][1]

    assert np.array_equal(split(1), split(1)) and not np.array_equal(split(1), split(2))


def test_train_softmax_the_grader_reaches_the_same_verdict_from_the_kernels_answers(_one_blas_thread):
    from tests.check_tools import judged_outside

    students = {"train_softmax": train_softmax_augmented, "softmax_cross_entropy": softmax_cross_entropy_other}
    verdict = judged_outside("from dlcourse.checks import ch03\n"
                             "ch03.train_softmax(train_softmax, softmax_cross_entropy, hidden=True)",
                             students, points=4, hidden_path=HIDDEN)
    assert (verdict.points, verdict.outcome) == (4, "pass"), verdict.message


# -- exercise 7: logistic regression by Newton's method ----------------------------------------------


@pytest.mark.parametrize("hidden", [False, True])
def test_newton_correct_styles_score_full_marks(hidden, capsys):
    for f in (fit_logistic_newton, fit_logistic_newton_inverse, fit_logistic_newton_irls,
              fit_logistic_newton_by_sample):
        assert repr(ch03.fit_logistic_newton(f, hidden=hidden)) == "3", f.__name__


def _newton_with(step):
    """``fit_logistic_newton`` whose update is ``step(A, y, theta, lam, D, p) -> new theta``."""

    def fitted(X, y, steps, lam=0.0, fit_intercept=True):
        A, D = _design(X, fit_intercept)
        y = np.asarray(y, dtype=float)
        theta, iterates = np.zeros(A.shape[1]), [np.zeros(A.shape[1])]
        for _ in range(steps):
            p = np.exp(-np.logaddexp(0.0, -(A @ theta)))
            theta = step(A, y, theta, lam, D, p)
            iterates.append(theta)
        return np.array(iterates)

    return fitted


def _gradient(A, y, theta, lam, D, p):
    return A.T @ (p - y) + lam * D @ theta


def _hessian(A, p, lam, D):
    return A.T @ ((p * (1 - p))[:, None] * A) + lam * D


@pytest.mark.parametrize("step, hint", [
    (lambda A, y, t, lam, D, p: t - np.linalg.solve(A.T @ A + lam * D, _gradient(A, y, t, lam, D, p)),
     "weighted by p_i (1 - p_i)"),
    (lambda A, y, t, lam, D, p: t + np.linalg.solve(_hessian(A, p, lam, D), _gradient(A, y, t, lam, D, p)),
     "the Newton step goes DOWNHILL"),
    (lambda A, y, t, lam, D, p: t - np.linalg.solve(_hessian(A, p, lam, np.eye(len(D))),
                                                    _gradient(A, y, t, lam, np.eye(len(D)), p)),
     "the bias theta[0] is not penalised"),
    (lambda A, y, t, lam, D, p: t - np.linalg.solve(_hessian(A, p, 2 * lam, D), _gradient(A, y, t, 2 * lam, D, p)),
     "(lam / 2) ||w||^2, scikit-learn's convention"),
    (lambda A, y, t, lam, D, p: t - np.linalg.solve(_hessian(A, p, lam * len(y), D) / len(y),
                                                    _gradient(A, y, t, lam * len(y), D, p) / len(y)),
     "the SUM of the log losses"),
])
def test_newton_typical_mistakes_fail_with_their_own_hint(step, hint, capsys):
    message = _fails(ch03.fit_logistic_newton, _newton_with(step), fragments=(hint,))
    assert "\u2717 the Newton iterates on small problems (0/2)" in message


def test_newton_shape_mistakes_are_named(capsys):
    def without_the_start(X, y, steps, lam=0.0, fit_intercept=True):
        return fit_logistic_newton(X, y, steps, lam, fit_intercept)[1:]

    def bias_last(X, y, steps, lam=0.0, fit_intercept=True):
        iterates = fit_logistic_newton(X, y, steps, lam, fit_intercept)
        return np.roll(iterates, -1, axis=1) if fit_intercept else iterates

    def only_the_fit(X, y, steps, lam=0.0, fit_intercept=True):
        return fit_logistic_newton(X, y, steps, lam, fit_intercept)[-1]

    assert repr(ch03.fit_logistic_newton(without_the_start)) == "1"     # the fit itself is right
    assert "theta_0 = 0 first" in capsys.readouterr().out
    _fails(ch03.fit_logistic_newton, bias_last, fragments=("the bias comes first",))
    _fails(ch03.fit_logistic_newton, only_the_fit, fragments=("wrong shape", "one row per iterate"))


def test_newton_stopping_before_convergence_loses_the_sklearn_point(capsys):
    def stops_after_three(X, y, steps, lam=0.0, fit_intercept=True):
        # right on the small problems (at most 6 steps), but the larger fits freeze after 3 steps
        iterates = fit_logistic_newton(X, y, steps, lam, fit_intercept)
        return iterates if steps < 20 else np.vstack([iterates[:4], np.repeat(iterates[3:4], steps - 3, axis=0)])

    assert repr(ch03.fit_logistic_newton(stops_after_three)) == "2"
    assert "against scikit-learn's LogisticRegression" in capsys.readouterr().out


def test_newton_calling_scikit_learn_or_the_reference_fails():
    from sklearn.linear_model import LogisticRegression

    def via_sklearn(X, y, steps, lam=0.0, fit_intercept=True):
        model = LogisticRegression(C=1 / lam if lam else np.inf, fit_intercept=fit_intercept).fit(X, y)
        fit = np.r_[model.intercept_, model.coef_[0]] if fit_intercept else model.coef_[0]
        return np.vstack([np.zeros_like(fit)] + [fit] * steps)

    _fails(ch03.fit_logistic_newton, via_sklearn, fragments=("scikit-learn's reference implementation",))
    _fails(ch03.fit_logistic_newton, lambda *a, **k: ch03._ref_fit_logistic_newton(*a, **k),
           fragments=("the course library's reference implementation",))


def test_newton_reference_matches_scikit_learn_and_the_notes():
    from sklearn.linear_model import LogisticRegression

    from dlcourse.datasets import insurance_by_age

    age, bought = insurance_by_age()
    mle = ch03._ref_fit_logistic_newton(age, bought, 30)[-1]
    assert -mle[0] / mle[1] == pytest.approx(45.97, abs=0.01)      # the chapter's maximum-likelihood boundary
    model = LogisticRegression(C=np.inf, solver="lbfgs", tol=1e-12, max_iter=10_000).fit(age, bought)
    np.testing.assert_allclose(mle, np.r_[model.intercept_, model.coef_[0]], rtol=1e-5)
    X, y = ch03.digits_pair(3, 8)
    for lam in (0.5, 2.0):
        ours = ch03._ref_fit_logistic_newton(X, y, 25, lam=lam)[-1]
        model = LogisticRegression(C=1 / lam, solver="lbfgs", tol=1e-12, max_iter=10_000).fit(X, y)
        np.testing.assert_allclose(ours, np.r_[model.intercept_, model.coef_[0]], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(ours, ch03._sklearn_fit(X, y, lam), rtol=1e-8, atol=1e-10)


def test_newton_reference_gradient_and_hessian_match_torch():
    rng = np.random.default_rng(5)
    X, y, lam = rng.normal(size=(25, 3)), rng.integers(0, 2, size=25).astype(float), 0.7
    theta = ch03._ref_fit_logistic_newton(X, y, 2, lam=lam)[1]          # an iterate away from 0
    A = torch.tensor(_augment(X))

    def J(t):
        z = A @ t
        return torch.sum(torch.nn.functional.softplus(z) - torch.tensor(y) * z) + 0.5 * lam * torch.sum(t[1:] ** 2)

    t = torch.tensor(theta, requires_grad=True)
    g = torch.autograd.grad(J(t), t)[0].numpy()
    H = torch.autograd.functional.hessian(J, torch.tensor(theta)).numpy()
    expected_next = theta - np.linalg.solve(H, g)
    np.testing.assert_allclose(ch03._ref_fit_logistic_newton(X, y, 3, lam=lam)[2], expected_next, rtol=1e-10)


def test_newton_quadratic_convergence_on_the_insurance_table():
    from dlcourse.datasets import insurance_by_age

    age, bought = insurance_by_age()
    iterates = ch03._ref_fit_logistic_newton(age, bought, 12)
    errors = np.linalg.norm(iterates - iterates[-1], axis=1)[3:7]     # near the minimum
    ratios = errors[1:] / errors[:-1] ** 2                             # e_{t+1} / e_t^2 stays bounded
    assert np.all(errors[1:] < errors[:-1] ** 1.8) and ratios.max() < 1.0
