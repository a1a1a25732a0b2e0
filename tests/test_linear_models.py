import warnings

import numpy as np
import pytest
from sklearn import linear_model as sk
from sklearn.preprocessing import PolynomialFeatures

from dlcourse.datasets import house_prices, insurance_by_age, line_points
from dlcourse.linear_models import (
    LinearRegression,
    LogisticRegression,
    Ridge,
    polynomial_features,
    sigmoid,
)


def _regression(seed=0, n=50, d=3, k=None):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w = rng.normal(size=(d,) if k is None else (d, k))
    y = X @ w + 0.7 + rng.normal(scale=0.1, size=(n,) if k is None else (n, k))
    return X, y


# -- least squares -------------------------------------------------------------


def test_linear_regression_recovers_notes_line():
    x, y = line_points()
    model = LinearRegression().fit(x, y)
    np.testing.assert_allclose(model.coef_, [0.5], atol=1e-12)
    assert model.intercept_ == pytest.approx(-1.5, abs=1e-12)
    assert model.solver_ == "normal"


def test_linear_regression_equals_lstsq():
    X, y = _regression()
    model = LinearRegression().fit(X, y)
    A = np.column_stack([np.ones(len(X)), X])
    w = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(model.intercept_, w[0], rtol=1e-10)
    np.testing.assert_allclose(model.coef_, w[1:], rtol=1e-10)
    np.testing.assert_allclose(model.predict(X), A @ w, rtol=1e-10)


def test_linear_regression_2x2_normal_equations_of_the_notes():
    # d = 1: [[N, Σx], [Σx, Σx²]] [w0, w1] = [Σy, Σxy]
    X, price = house_prices()
    x = X[:, 0]
    A = np.array([[len(x), x.sum()], [x.sum(), (x**2).sum()]])
    b = np.array([price.sum(), (x * price).sum()])
    w0, w1 = np.linalg.solve(A, b)
    model = LinearRegression().fit(x[:, None], price)
    assert model.intercept_ == pytest.approx(w0)
    assert model.coef_[0] == pytest.approx(w1)


def test_linear_regression_equals_sklearn_multi_output():
    X, Y = _regression(k=2)
    ours = LinearRegression().fit(X, Y)
    theirs = sk.LinearRegression().fit(X, Y)
    assert ours.coef_.shape == theirs.coef_.shape == (2, 3)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-10)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-10)


def test_linear_regression_without_intercept():
    X, y = _regression()
    ours = LinearRegression(fit_intercept=False).fit(X, y)
    theirs = sk.LinearRegression(fit_intercept=False).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-10)
    assert ours.intercept_ == 0.0


def test_rank_deficient_falls_back_to_minimum_norm_lstsq_without_warning():
    X, y = _regression(n=20, d=2)
    X = np.column_stack([X, X[:, 0]])  # a duplicated column
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = LinearRegression().fit(X, y)
    assert model.solver_ == "lstsq" and model.rank_ == 3
    A = np.column_stack([np.ones(len(X)), X])
    w = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(model.coef_, w[1:], rtol=1e-9)
    assert model.coef_[0] == pytest.approx(model.coef_[2])  # the weight is shared equally
    with pytest.raises(np.linalg.LinAlgError, match="singular .* rank 3"):
        LinearRegression(solver="normal").fit(X, y)


def test_ill_conditioned_full_rank_features_use_lstsq():
    # degree-14 polynomial features of 15 points: full rank, but κ(X̃) ~ 1e12, so the
    # normal equations (κ²) are numerically singular; auto mode must not use them
    x = np.linspace(18, 62, 15)
    y = np.sin(x / 7)
    X = polynomial_features((x - x.mean()) / x.std(), 14)
    model = LinearRegression().fit(X, y)
    assert model.rank_ == 15 and model.cond_ > 1e6 and model.solver_ == "lstsq"
    np.testing.assert_allclose(model.predict(X), y, atol=1e-6)  # 15 points, 15 weights: interpolates
    well = LinearRegression().fit(*_regression(n=30, d=3))
    assert well.solver_ == "normal" and well.cond_ < 1e6


def test_more_features_than_samples_interpolates():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(4, 10)), rng.normal(size=4)
    model = LinearRegression().fit(X, y)
    np.testing.assert_allclose(model.predict(X), y, atol=1e-10)


def test_linear_regression_keeps_float32():
    X, y = _regression()
    model = LinearRegression().fit(X.astype(np.float32), y.astype(np.float32))
    assert model.coef_.dtype == np.float32
    assert model.predict(X.astype(np.float32)).dtype == np.float32


def test_regression_input_errors():
    with pytest.raises(ValueError, match=r"X must be 2-D .* got shape \(5,\)"):
        LinearRegression().fit(np.zeros(5), np.zeros(5))
    with pytest.raises(ValueError, match=r"N = 5 rows .* got shape \(4,\)"):
        LinearRegression().fit(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(RuntimeError, match="not fitted"):
        LinearRegression().predict(np.zeros((1, 1)))
    model = LinearRegression().fit(np.eye(3), np.arange(3.0))
    with pytest.raises(ValueError, match="X has 2 features, the model was fit with 3"):
        model.predict(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="solver"):
        LinearRegression(solver="qr")


# -- ridge ---------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [0.0, 0.1, 1.0, 25.0])
def test_ridge_equals_sklearn(alpha):
    X, y = _regression(seed=2)
    ours = Ridge(alpha=alpha).fit(X, y)
    theirs = sk.Ridge(alpha=alpha, solver="cholesky").fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-9)
    assert ours.intercept_ == pytest.approx(theirs.intercept_, rel=1e-9)


def test_ridge_multi_output_and_no_intercept_equal_sklearn():
    X, Y = _regression(seed=3, k=2)
    ours, theirs = Ridge(alpha=2.0).fit(X, Y), sk.Ridge(alpha=2.0).fit(X, Y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-9)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-9)
    ours, theirs = Ridge(alpha=2.0, fit_intercept=False).fit(X, Y), sk.Ridge(alpha=2.0, fit_intercept=False).fit(X, Y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-9)


def test_ridge_closed_form_and_unpenalised_bias():
    X, y = _regression(seed=4)
    alpha = 3.0
    A = np.column_stack([np.ones(len(X)), X])
    D = np.diag([0.0, 1.0, 1.0, 1.0])
    w = np.linalg.solve(A.T @ A + alpha * D, A.T @ y)
    model = Ridge(alpha).fit(X, y)
    np.testing.assert_allclose(np.r_[model.intercept_, model.coef_], w, rtol=1e-10)
    # shifting y shifts only the bias, because the bias is not penalised
    shifted = Ridge(alpha).fit(X, y + 100.0)
    np.testing.assert_allclose(shifted.coef_, model.coef_, rtol=1e-10)
    assert shifted.intercept_ == pytest.approx(model.intercept_ + 100.0)


def test_ridge_shrinks_weights_and_solves_singular_problems():
    X, y = _regression(seed=5)
    norms = [np.linalg.norm(Ridge(a).fit(X, y).coef_) for a in (0.0, 1.0, 10.0, 100.0)]
    assert norms == sorted(norms, reverse=True)
    Xd = np.column_stack([X, X[:, 0]])
    model = Ridge(1.0).fit(Xd, y)
    assert np.isfinite(model.coef_).all()
    with pytest.raises(ValueError, match="alpha must be a number >= 0, got -1"):
        Ridge(-1)


# -- polynomial features -------------------------------------------------------


def test_polynomial_features_one_input():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(polynomial_features(x, 3), [[1, 1, 1], [2, 4, 8], [3, 9, 27]])
    np.testing.assert_array_equal(polynomial_features(x, 1, include_bias=True), [[1, 1], [1, 2], [1, 3]])


@pytest.mark.parametrize("degree", [1, 2, 3])
@pytest.mark.parametrize("include_bias", [False, True])
def test_polynomial_features_equal_sklearn(degree, include_bias):
    X = np.random.default_rng(0).normal(size=(7, 3))
    theirs = PolynomialFeatures(degree, include_bias=include_bias).fit_transform(X)
    np.testing.assert_allclose(polynomial_features(X, degree, include_bias=include_bias), theirs)


def test_polynomial_regression_fits_a_cubic_exactly():
    x = np.linspace(-2, 2, 20)
    y = 1 - 2 * x + 0.5 * x**3
    model = LinearRegression().fit(polynomial_features(x, 3), y)
    np.testing.assert_allclose(model.coef_, [-2, 0, 0.5], atol=1e-10)
    assert model.intercept_ == pytest.approx(1.0)


def test_polynomial_features_errors():
    with pytest.raises(ValueError, match="degree must be an integer >= 1, got 0"):
        polynomial_features(np.ones(3), 0)


# -- logistic regression -------------------------------------------------------


def test_sigmoid_is_stable_and_matches_definition():
    z = np.array([-1000.0, -3.0, 0.0, 3.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sigmoid(z)
    np.testing.assert_allclose(s[1:4], 1 / (1 + np.exp(-z[1:4])))
    assert s[0] == 0.0 and s[-1] == 1.0
    assert sigmoid(np.float32(2.0)).dtype == np.float32


def _classification(seed=0, n=300):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    p = 1 / (1 + np.exp(-(X @ [1.5, -1.0] + 0.3)))
    y = (rng.random(n) < p).astype(int)
    return X, y


def test_logistic_regression_equals_unpenalised_sklearn():
    X, y = _classification()
    ours = LogisticRegression(lr=1.0, epochs=20000, tol=1e-10).fit(X, y)
    theirs = sk.LogisticRegression(C=np.inf, tol=1e-12, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-6)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-7)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.n_iter_ < 20000  # stopped on tol


def test_logistic_loss_history_decreases_and_starts_at_log2():
    X, y = _classification(1)
    model = LogisticRegression(lr=0.5, epochs=200).fit(X, y)
    assert model.loss_history_[0] == pytest.approx(np.log(2))
    assert np.all(np.diff(model.loss_history_) <= 1e-15)
    assert model.loss(X, y) < model.loss_history_[-1] + 1e-12


def test_logistic_gradient_matches_torch():
    import torch

    X, y = _classification(2, n=20)
    model = LogisticRegression(lr=0.3, epochs=1).fit(X, y)
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(
        torch.from_numpy(X) @ w + b, torch.from_numpy(y.astype(float))
    )
    loss.backward()
    assert model.loss_history_[0] == pytest.approx(loss.item())
    np.testing.assert_allclose(model.coef_[0], -0.3 * w.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(model.intercept_[0], -0.3 * b.grad.item(), rtol=1e-12)


def test_logistic_insurance_boundary_matches_notes():
    age, bought = insurance_by_age()
    model = LogisticRegression(lr=1.0, epochs=100000, tol=1e-9).fit(age / 100, bought)
    boundary = -model.intercept_[0] / model.coef_[0, 0] * 100
    # the notes: "any one with age above 42 will buy insurance". The log-loss optimum on the
    # full table puts the boundary at 46 years, between the youngest buyer (46) and the
    # oldest non-buyer below the overlap (29); it classifies the table like the age-42 rule.
    assert 29 < boundary < 46.5
    assert boundary == pytest.approx(45.97, abs=0.05)
    np.testing.assert_array_equal(model.predict(age / 100), (age[:, 0] > 42).astype(int))
    theirs = sk.LogisticRegression(C=np.inf, tol=1e-12, max_iter=10000).fit(age / 100, bought)
    np.testing.assert_allclose(model.coef_, theirs.coef_, rtol=1e-5)


def test_linear_fit_of_insurance_crosses_half_near_42():
    # the notes' first attempt: a straight line through the 0/1 labels, thresholded at 0.5
    age, bought = insurance_by_age()
    line = LinearRegression().fit(age, bought)
    crossing = (0.5 - line.intercept_) / line.coef_[0]
    assert 42 <= crossing <= 45


def test_logistic_with_string_classes_and_float32():
    X, y = _classification(3)
    labels = np.where(y == 1, "buy", "skip")
    model = LogisticRegression(epochs=300).fit(X.astype(np.float32), labels)
    assert model.classes_.tolist() == ["buy", "skip"]
    assert model.coef_.dtype == np.float32
    assert set(model.predict(X.astype(np.float32))) <= {"buy", "skip"}
    assert model.predict_proba(X.astype(np.float32)).shape == (len(X), 2)


def test_logistic_errors():
    with pytest.raises(ValueError, match=r"exactly 2 classes, got \[0, 1, 2\]"):
        LogisticRegression().fit(np.zeros((3, 1)), [0, 1, 2])
    with pytest.raises(RuntimeError, match="not fitted"):
        LogisticRegression().predict(np.zeros((1, 1)))
    with pytest.raises(ValueError, match="lr must be positive"):
        LogisticRegression(lr=0)
