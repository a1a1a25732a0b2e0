"""The chapter 4 checks accept correct answers written in different ways and
reject the usual wrong ones (one-sided differences, a wrong sign, a missing
factor 2, ddof = 1, sequential updates, reshuffling once, np.cov's m - 1, eigh's
order and signs, the last epoch's weights instead of the best) with a message
that says what went wrong; the references reproduce the notes' numbers and agree
with PyTorch and scikit-learn."""

import contextlib
import warnings

import numpy as np
import pytest
import torch

from dlcourse.checks import ch04, core
from tests.check_tools import fails as _fails
from tests.check_tools import stub as _stub
from tests.conftest import ROOT
from tests.hidden_case_tools import hidden_labels, hidden_literals, leaks


# -- solutions as the notebook writes them, and other correct ways ----------------------------


def numerical_derivative(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_derivative_other(f, x, h=1e-5):
    x = np.asarray(x, dtype=float)
    return 0.5 * (f(x + h) - f(x - h)) / h


def gradient_descent_1d(grad, x0, lr, steps):
    xs = [x0]
    for _ in range(steps):
        xs.append(xs[-1] - lr * grad(xs[-1]))
    return np.array(xs, dtype=float)


def gradient_descent_1d_other(grad, x0, lr, steps):
    out = np.empty(steps + 1)
    out[0] = x0
    for k in range(steps):
        out[k + 1] = out[k] + (-lr) * grad(out[k])
    return list(out)


def single_weight_step(w, x, y, lr):
    gradient = -2 * x * (y - w * x)
    return gradient, w - lr * gradient


def single_weight_step_other(w, x, y, lr):
    error = w * x - y                       # prediction minus target
    gradient = 2 * error * x
    return np.float64(gradient), w + lr * (-gradient)


def standardize(X):
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std[std <= 1e-10 * np.abs(X).max(axis=0)] = 1.0
    return (X - mean) / std, mean, std


def standardize_other(X):
    X = np.asarray(X, dtype=float)
    mean = np.mean(X, axis=0, keepdims=True)
    std = np.sqrt(np.mean((X - mean) ** 2, axis=0, keepdims=True))
    scale = np.max(np.abs(X), axis=0, keepdims=True)
    std = np.where(std > 1e-10 * scale, std, 1.0)
    return (X - mean) / std, mean.ravel(), std.ravel()


def standardize_loop(X):
    X = np.array(X, dtype=float)
    out, means, stds = np.empty_like(X), [], []
    for j in range(X.shape[1]):
        column = X[:, j]
        mu = sum(column) / len(column)
        sigma = np.sqrt(np.mean((column - mu) ** 2))
        if sigma <= 1e-10 * max(abs(column)):
            sigma = 1.0
        out[:, j] = (column - mu) / sigma
        means.append(mu)
        stds.append(sigma)
    return out, np.array(means), np.array(stds)


def linear_regression_gd(X, y, lr, epochs):
    m, n = X.shape
    w, b = np.zeros(n), 0.0
    losses = [np.mean((X @ w + b - y) ** 2)]
    for _ in range(epochs):
        r = X @ w + b - y
        w, b = w - lr * 2 * X.T @ r / m, b - lr * 2 * r.mean()
        losses.append(np.mean((X @ w + b - y) ** 2))
    return w, b, np.array(losses)


def linear_regression_gd_augmented(X, y, lr, epochs):
    # the bias as a weight on a column of ones, and the loss as a norm
    A = np.hstack([np.ones((len(X), 1)), X])
    theta = np.zeros(A.shape[1])
    losses = []
    for _ in range(epochs + 1):
        r = A @ theta - y
        losses.append(r @ r / len(y))
        if len(losses) <= epochs:
            theta = theta - lr * (2 / len(y)) * A.T @ r
    return theta[1:], theta[0], losses


def minibatch_gd(X, y, lr, epochs, batch_size, rng):
    m, n = X.shape
    w, b = np.zeros(n), 0.0
    losses = [np.mean((X @ w + b - y) ** 2)]
    for _ in range(epochs):
        order = rng.permutation(m)
        for start in range(0, m, batch_size):
            rows = order[start:start + batch_size]
            r = X[rows] @ w + b - y[rows]
            w, b = w - lr * 2 * X[rows].T @ r / len(rows), b - lr * 2 * r.mean()
        losses.append(np.mean((X @ w + b - y) ** 2))
    return w, b, np.array(losses)


def minibatch_gd_other(X, y, lr, epochs, batch_size, rng):
    # batches by np.array_split of the shuffled rows would differ; this slices the same way
    m = len(X)
    theta = np.zeros(X.shape[1] + 1)
    A = np.column_stack([X, np.ones(m)])
    history = [float(np.mean((A @ theta - y) ** 2))]
    for _ in range(epochs):
        order = rng.permutation(m)
        batches = [order[i:i + batch_size] for i in range(0, m, batch_size)]
        for rows in batches:
            grad = 2 * np.mean((A[rows] @ theta - y[rows])[:, None] * A[rows], axis=0)
            theta -= lr * grad
        history.append(float(np.mean((A @ theta - y) ** 2)))
    return theta[:-1], theta[-1], history


# -- correct answers pass -------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True])
def test_correct_answers_pass(hidden, capsys):
    for nd in (numerical_derivative, numerical_derivative_other):
        ch04.numerical_derivative(nd, hidden=hidden)
    for gd in (gradient_descent_1d, gradient_descent_1d_other):
        ch04.gradient_descent_1d(gd, hidden=hidden)
    for step in (single_weight_step, single_weight_step_other):
        ch04.single_weight_step(step, hidden=hidden)
    for st in (standardize, standardize_other, standardize_loop):
        ch04.standardize(st, hidden=hidden)
    for lr_gd in (linear_regression_gd, linear_regression_gd_augmented):
        ch04.linear_regression_gd(lr_gd, hidden=hidden)
    assert "\u2713" in capsys.readouterr().out


@pytest.mark.parametrize("hidden", [False, True])
def test_minibatch_full_marks(hidden, capsys):
    assert float(ch04.minibatch_gd(minibatch_gd, hidden=hidden)) == 3.0
    score = ch04.minibatch_gd(minibatch_gd_other, hidden=hidden)
    assert repr(score) == "3"


def test_divergent_descent_with_overflow_warnings_passes():
    def noisy(grad, x0, lr, steps):
        with np.errstate(over="warn"):
            np.exp(np.array([1000.0]))          # a stray overflow warning, answer still right
        return gradient_descent_1d(grad, x0, lr, steps)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ch04.gradient_descent_1d(noisy, hidden=True)


# -- the references reproduce the notes and agree with PyTorch --------------------------------


def test_notes_numbers():
    hiker = ch04._ref_gradient_descent_1d(ch04._square_grad, 3.0, 0.1, 2)
    np.testing.assert_allclose(hiker, [3.0, 2.4, 1.92], rtol=1e-15)
    path = ch04._ref_gradient_descent_1d(ch04._square_grad, -4.0, 0.8, 30)
    np.testing.assert_allclose(path[:6], [-4.0, 2.4, -1.44, 0.864, -0.5184, 0.31104], rtol=1e-12)
    assert f"{path[30]:.5e}" == "-8.84296e-07"
    gradient, w_new = ch04._ref_single_weight_step(2.0, 3.0, 10.0, 0.1)
    assert gradient == -24.0 and np.isclose(w_new, 4.4, rtol=1e-15)


def test_numerical_derivative_reference_is_second_order():
    x = np.array([0.3, 1.7])
    exact = 3 * x**2
    for h in (1e-2, 1e-3):
        err = np.abs(ch04._ref_numerical_derivative(ch04._cube, x, h) - exact)
        np.testing.assert_allclose(err, h**2, rtol=1e-6)   # x^3: the error is exactly h^2


def test_regression_references_match_torch_sgd():
    rng = np.random.default_rng(0)
    X, y = ch04.regression_data(rng, m=13, n=3)
    for batch_size in (13, 1, 4):
        w, b, losses = ch04._ref_minibatch_gd(X, y, 0.05, 3, batch_size, np.random.default_rng(7))
        order_rng = np.random.default_rng(7)
        model = torch.nn.Linear(3, 1, dtype=torch.float64)
        torch.nn.init.zeros_(model.weight)
        torch.nn.init.zeros_(model.bias)
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        Xt, yt = torch.tensor(X), torch.tensor(y)
        for _ in range(3):
            order = order_rng.permutation(13)
            for start in range(0, 13, batch_size):
                rows = torch.tensor(order[start:start + batch_size])
                opt.zero_grad()
                torch.nn.functional.mse_loss(model(Xt[rows])[:, 0], yt[rows]).backward()
                opt.step()
        np.testing.assert_allclose(w, model.weight.detach().numpy()[0], rtol=1e-12)
        np.testing.assert_allclose(b, model.bias.item(), rtol=1e-12)
        final = torch.nn.functional.mse_loss(model(Xt)[:, 0], yt).item()
        np.testing.assert_allclose(losses[-1], final, rtol=1e-12)
    full = ch04._ref_linear_regression_gd(X, y, 0.05, 3)
    mini = ch04._ref_minibatch_gd(X, y, 0.05, 3, 13, np.random.default_rng(1))
    for a, c in zip(full, mini):
        np.testing.assert_allclose(a, c, rtol=1e-12)


def test_standardize_reference():
    X = np.array([[1.0, 5.0], [3.0, 5.0]])
    scaled, mean, std = ch04._ref_standardize(X)
    np.testing.assert_array_equal(scaled, [[-1.0, 0.0], [1.0, 0.0]])
    np.testing.assert_array_equal(mean, [2.0, 5.0])
    np.testing.assert_array_equal(std, [1.0, 1.0])


# -- typical wrong answers fail with a useful message ------------------------------------


def test_forward_difference_fails():
    _fails(ch04.numerical_derivative, lambda f, x, h=1e-5: (f(x + h) - f(x)) / h,
           fragments=("numerical_derivative", "one-sided"))


def test_ignoring_h_fails():
    _fails(ch04.numerical_derivative, lambda f, x, h=1e-5: numerical_derivative(f, x),
           fragments=("h = 0.1", "with the h you are given"))


def test_descent_uphill_fails():
    def uphill(grad, x0, lr, steps):
        xs = [x0]
        for _ in range(steps):
            xs.append(xs[-1] + lr * grad(xs[-1]))
        return np.array(xs)

    _fails(ch04.gradient_descent_1d, uphill, fragments=("3 -> 2.4 -> 1.92", "downhill"))


def test_descent_without_start_fails():
    _fails(ch04.gradient_descent_1d, lambda *a: gradient_descent_1d(*a)[1:],
           fragments=("wrong shape", "x0 first"))


def test_descent_returning_last_point_only_fails():
    _fails(ch04.gradient_descent_1d, lambda *a: gradient_descent_1d(*a)[-1], fragments=("wrong shape",))


def test_single_weight_without_factor_two_fails():
    def no_two(w, x, y, lr):
        gradient = -x * (y - w * x)
        return gradient, w - lr * gradient

    _fails(ch04.single_weight_step, no_two, fragments=("expected -24", "factor 2"))


def test_single_weight_wrong_sign_fails():
    def wrong_sign(w, x, y, lr):
        gradient = 2 * x * (y - w * x)
        return gradient, w - lr * gradient

    _fails(ch04.single_weight_step, wrong_sign, fragments=("expected -24, got 24", "minus sign"))


def test_single_weight_swapped_order_fails():
    _fails(ch04.single_weight_step, lambda *a: single_weight_step(*a)[::-1], fragments=("in that order",))


def test_standardize_with_ddof_one_fails():
    def sample_std(X):
        mean, std = X.mean(axis=0), X.std(axis=0, ddof=1)
        return (X - mean) / std, mean, std

    _fails(ch04.standardize, sample_std, fragments=("ddof=0",))


def test_standardize_over_the_whole_array_fails():
    _fails(ch04.standardize, lambda X: ((X - X.mean()) / X.std(), X.mean(), X.std()), fragments=("axis=0",))


def test_standardize_constant_column_fails():
    def divide_by_zero(X):
        X = np.asarray(X, dtype=float)
        with np.errstate(all="ignore"):
            return (X - X.mean(axis=0)) / X.std(axis=0), X.mean(axis=0), X.std(axis=0)

    _fails(ch04.standardize, divide_by_zero, fragments=("constant column", "use 1 instead"))


def test_regression_without_factor_two_fails():
    def no_two(X, y, lr, epochs):
        return linear_regression_gd(X, y, lr / 2, epochs)

    _fails(ch04.linear_regression_gd, no_two, fragments=("mind the 2",))


def test_regression_sequential_update_fails():
    def sequential(X, y, lr, epochs):
        m, n = X.shape
        w, b = np.zeros(n), 0.0
        losses = [np.mean((X @ w + b - y) ** 2)]
        for _ in range(epochs):
            w = w - lr * 2 * X.T @ (X @ w + b - y) / m
            b = b - lr * 2 * np.mean(X @ w + b - y)          # uses the new w
            losses.append(np.mean((X @ w + b - y) ** 2))
        return w, b, np.array(losses)

    _fails(ch04.linear_regression_gd, sequential, fragments=("before changing either",))


def test_regression_history_without_start_fails():
    _fails(ch04.linear_regression_gd,
           lambda *a: (lambda w, b, L: (w, b, L[1:]))(*linear_regression_gd(*a)),
           fragments=("wrong shape", "epochs + 1"))


def test_minibatch_shuffling_once_scores_partially(capsys):
    def shuffle_once(X, y, lr, epochs, batch_size, rng):
        class SameOrder:                    # the first epoch's order, every epoch
            order = rng.permutation(len(X))

            def permutation(self, m):
                return self.order

        return minibatch_gd(X, y, lr, epochs, batch_size, SameOrder())

    score = ch04.minibatch_gd(shuffle_once)
    assert float(score) == 1.0          # only the full batch, where the order does not matter
    assert "once per epoch" in capsys.readouterr().out


def test_minibatch_dividing_by_batch_size_scores_partially(capsys):
    def by_nominal_size(X, y, lr, epochs, batch_size, rng):
        m, n = X.shape
        w, b = np.zeros(n), 0.0
        losses = [np.mean((X @ w + b - y) ** 2)]
        for _ in range(epochs):
            order = rng.permutation(m)
            for start in range(0, m, batch_size):
                rows = order[start:start + batch_size]
                r = X[rows] @ w + b - y[rows]
                size = min(batch_size, m)
                w, b = w - lr * 2 * X[rows].T @ r / size, b - lr * 2 * r.sum() / size
            losses.append(np.mean((X @ w + b - y) ** 2))
        return w, b, np.array(losses)

    assert float(ch04.minibatch_gd(by_nominal_size)) == 2.0
    assert "divide by its own size" in capsys.readouterr().out


def test_minibatch_sum_instead_of_mean_fails():
    def summed(X, y, lr, epochs, batch_size, rng):
        return minibatch_gd(X, y, lr * min(batch_size, len(X)), epochs, batch_size, rng)

    score = ch04.minibatch_gd(summed)
    assert float(score) == 1.0          # batch_size = 1 is the only part where sum = mean


# -- stubs and the reference implementation ------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("check", [
    ch04.numerical_derivative, ch04.gradient_descent_1d, ch04.single_weight_step,
    ch04.standardize, ch04.linear_regression_gd, ch04.minibatch_gd,
])
def test_stub_fails(check, hidden):
    _fails(check, _stub, fragments=("not implemented yet",), hidden=hidden)


def test_calling_the_library_fails():
    from dlcourse import gradcheck, nn, optim, train
    from dlcourse.descent.paths import GradientDescent, run_descent
    from dlcourse.descent.objectives import SingleWeightSquaredError

    def via_gradcheck(f, x, h=1e-5):
        x = np.array(x, dtype=float)
        return gradcheck.numerical_gradient(lambda v: np.sum(f(v)), x, eps=h)

    _fails(ch04.numerical_derivative, via_gradcheck, fragments=("dlcourse.gradcheck.numerical_gradient",))

    def via_sgd(grad, x0, lr, steps):
        p = nn.Parameter(np.array([float(x0)]))
        opt, xs = optim.SGD([p], lr=lr), [float(x0)]
        for _ in range(steps):
            opt.zero_grad()
            p.grad = np.asarray(grad(p.data), dtype=float)
            opt.step()
            xs.append(float(p.data[0]))
        return np.array(xs)

    _fails(ch04.gradient_descent_1d, via_sgd, fragments=("reference implementation",))

    def via_runner(grad, x0, lr, steps):
        return run_descent("square", lambda p: GradientDescent(p, lr), steps, start=[x0]).points[:, 0]

    _fails(ch04.gradient_descent_1d, via_runner, fragments=("reference implementation",))

    def via_objective(w, x, y, lr):
        g = float(SingleWeightSquaredError(x, y).grad([w])[0])
        return g, w - lr * g

    _fails(ch04.single_weight_step, via_objective, fragments=("reference implementation",))

    def via_fit(X, y, lr, epochs, batch_size, rng):
        model = nn.Linear(X.shape[1], 1, rng=0)
        model.weight.data[:] = 0.0
        model.bias.data[:] = 0.0
        train.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=lr), X, y[:, None],
                  epochs=epochs, batch_size=batch_size, rng=rng, progress=False)
        return model.weight.data[0], float(model.bias.data[0]), np.zeros(epochs + 1)

    _fails(ch04.minibatch_gd, via_fit, fragments=("reference implementation",))
    _fails(ch04.linear_regression_gd, lambda X, y, lr, e: ch04._ref_linear_regression_gd(X, y, lr, e),
           fragments=("reference implementation",))
    _fails(ch04.standardize, lambda X: ch04._ref_standardize(X), fragments=("reference implementation",))

    def via_scaler(X):
        from dlcourse.preprocessing import StandardScaler

        scaler = StandardScaler().fit(X)
        return scaler.transform(X), scaler.mean_, scaler.scale_

    _fails(ch04.standardize, via_scaler, fragments=("reference implementation", "StandardScaler"))


# -- the spec's edge cases: a constant column up to rounding, the caller's X left alone ----------


def test_a_column_of_tenths_is_constant_for_the_reference():
    X = np.array([[0.1], [0.1], [0.1]])
    assert 0 < X.std(axis=0)[0] < 1e-16  # np.std does not give exactly 0
    scaled, mean, std = ch04._ref_standardize(X)
    np.testing.assert_array_equal(std, [1.0])
    np.testing.assert_allclose(scaled, 0.0, atol=1e-16)
    np.testing.assert_allclose(mean, [0.1], rtol=1e-15)


def test_standardize_testing_std_equal_to_zero_fails():
    def exact_zero(X):
        X = np.asarray(X, dtype=float)
        mean, std = X.mean(axis=0), X.std(axis=0)
        std = np.where(std == 0, 1.0, std)
        return (X - mean) / std, mean, std

    _fails(ch04.standardize, exact_zero, fragments=("a column of 0.1s", "never test std == 0"))


def test_standardize_in_place_fails_and_names_x():
    def in_place(X):
        mean, std = X.mean(axis=0), X.std(axis=0)
        std[std <= 1e-10 * np.abs(X).max(axis=0)] = 1.0
        X -= mean
        X /= std
        return X, mean, std

    _fails(ch04.standardize, in_place, fragments=("changed its argument `X` in place",))


# -- hidden cases: the instructor's, different for each student ------------------------------

HIDDEN = ROOT / "solutions" / "ch04-gradient-descent" / "hidden_cases.py"


@pytest.mark.parametrize("seed", range(20))
def test_the_hidden_cases_of_every_seed_are_well_posed(seed, capsys):
    with core.hidden_source(HIDDEN, seed):
        ch04.numerical_derivative(numerical_derivative, hidden=True)
        ch04.gradient_descent_1d(gradient_descent_1d, hidden=True)
        ch04.single_weight_step(single_weight_step, hidden=True)
        ch04.standardize(standardize, hidden=True)
        ch04.linear_regression_gd(linear_regression_gd, hidden=True)
        assert float(ch04.minibatch_gd(minibatch_gd, hidden=True)) == 3.0


def _hidden_inputs(seed, exercise):
    with core.hidden_source(HIDDEN, seed):
        return core.hidden(exercise)


def test_each_seed_has_its_own_hidden_random_cases_and_keeps_them():
    first, again, other = (_hidden_inputs(s, "standardize")[-1].args[0] for s in (1, 1, 2))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    parts = [_hidden_inputs(s, "minibatch_gd")["general"][0].args[0] for s in (1, 1, 2)]
    np.testing.assert_array_equal(parts[0], parts[1])
    assert parts[0].shape != parts[2].shape or not np.array_equal(parts[0], parts[2])


def test_no_hidden_case_reaches_a_student():
    assert len(hidden_labels(HIDDEN)) >= 15 and len(hidden_literals(HIDDEN)) >= 3
    assert leaks(HIDDEN, "ch04-gradient-descent") == {}
    assert not (ROOT / "course" / "ch04-gradient-descent" / "hidden_cases.py").exists()


# -- exercise 6: min-max scaling and whitening ------------------------------------------------------


def min_max_scale(X, low=0.0, high=1.0):
    X = np.asarray(X, dtype=float)
    col_min, col_max = X.min(axis=0), X.max(axis=0)
    span = np.where(col_max > col_min, col_max - col_min, 1.0)
    return low + (X - col_min) / span * (high - low), col_min, col_max


def min_max_scale_other(X, low=0.0, high=1.0):
    X = np.array(X, dtype=np.float64)
    lo, hi = np.min(X, axis=0, keepdims=True), np.max(X, axis=0, keepdims=True)
    unit = np.zeros_like(X)
    varying = (hi > lo)[0]
    unit[:, varying] = (X[:, varying] - lo[:, varying]) / (hi - lo)[:, varying]
    return unit * (high - low) + low, lo[0], hi[0]


def min_max_scale_loop(X, low=0.0, high=1.0):
    X = np.array(X, dtype=float)
    out, mins, maxs = np.empty_like(X), [], []
    for j in range(X.shape[1]):
        column = X[:, j]
        lo, hi = min(column), max(column)
        out[:, j] = [low + (v - lo) / (hi - lo) * (high - low) if hi > lo else low for v in column]
        mins.append(lo)
        maxs.append(hi)
    return out, np.array(mins), np.array(maxs)


def whiten(X, eps=1e-5):
    X = np.asarray(X, dtype=float)
    mean = X.mean(axis=0)
    centred = X - mean
    eigenvalues, U = np.linalg.eigh(centred.T @ centred / len(X))
    eigenvalues, U = eigenvalues[::-1], U[:, ::-1]
    U = U * np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(U.shape[1])])
    W = U.T / np.sqrt(eigenvalues + eps)[:, None]
    return centred @ W.T, mean, W


def whiten_svd(X, eps=1e-5):
    # the right singular vectors of the centred data are the covariance's eigenvectors, sorted already
    X = np.asarray(X, dtype=float)
    mean = X.mean(axis=0)
    _, s, Vt = np.linalg.svd(X - mean, full_matrices=False)
    rows = np.arange(len(Vt))
    Vt = Vt * np.sign(Vt[rows, np.argmax(np.abs(Vt), axis=1)])[:, None]
    W = np.diag(1 / np.sqrt(s**2 / len(X) + eps)) @ Vt
    return (X - mean) @ W.T, mean, W


def whiten_cov_loop(X, eps=1e-5):
    X = np.array(X, dtype=float)
    mean = X.mean(axis=0)
    C = np.cov(X, rowvar=False, bias=True).reshape(X.shape[1], X.shape[1])
    eigenvalues, U = np.linalg.eigh(C)
    rows = []
    for j in np.argsort(-eigenvalues):
        u = U[:, j]
        if u[np.argmax(np.abs(u))] < 0:
            u = -u
        rows.append(u / np.sqrt(eigenvalues[j] + eps))
    W = np.array(rows)
    return np.array([W @ (x - mean) for x in X]), mean, W


@pytest.mark.parametrize("hidden", [False, True])
def test_scaling_correct_answers_pass(hidden, capsys):
    for mm, wh in ((min_max_scale, whiten), (min_max_scale_other, whiten_svd), (min_max_scale_loop, whiten_cov_loop)):
        assert float(ch04.scaling(mm, wh, hidden=hidden)) == 3.0
    assert "\u2713 whiten (2/2)" in capsys.readouterr().out


def test_min_max_reference_is_sklearns_min_max_scaler():
    from sklearn.preprocessing import MinMaxScaler

    rng = np.random.default_rng(3)
    X = np.column_stack([rng.normal(size=(20, 3)) * [1.0, 100.0, 1e-3], np.full(20, 0.1)])   # and a constant
    for low, high in ((0.0, 1.0), (-1.0, 1.0), (2.0, 5.0)):
        scaled, col_min, col_max = ch04._ref_min_max_scale(X, low, high)
        scaler = MinMaxScaler(feature_range=(low, high)).fit(X)
        np.testing.assert_allclose(scaled, scaler.transform(X), rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(col_min, scaler.data_min_)
        np.testing.assert_array_equal(col_max, scaler.data_max_)
    assert np.all(ch04._ref_min_max_scale(X, 2.0, 5.0)[0][:, 3] == 2.0)   # the constant column becomes low


def test_whiten_reference_is_sklearns_pca_whitening_up_to_the_conventions():
    from sklearn.decomposition import PCA

    X = ch04.correlated_table(np.random.default_rng(8), m=50, n=4)
    Z, mean, W = ch04._ref_whiten(X, eps=0.0)
    Z_pca = PCA(whiten=True).fit_transform(X)           # divides by m - 1 and signs the vectors its own way
    scale = np.sqrt(len(X) / (len(X) - 1))              # unit variance over m rather than m - 1
    signs = np.sign(np.sum(Z * Z_pca, axis=0))
    np.testing.assert_allclose(Z, Z_pca * signs * scale, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(mean, X.mean(axis=0), rtol=1e-14)
    top = np.argmax(np.abs(W), axis=1)
    assert np.all(W[np.arange(4), top] > 0)             # the sign convention of the spec


def test_whitening_makes_the_loss_surface_round():
    from dlcourse.datasets import house_prices

    houses, price = house_prices()
    for X in (houses, ch04.correlated_table(np.random.default_rng(9), m=60, n=5)):
        Z, _, _ = ch04._ref_whiten(X)
        np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-10)
        np.testing.assert_allclose(Z.T @ Z / len(Z), np.eye(X.shape[1]), atol=1e-4)
        A = np.column_stack([Z, np.ones(len(Z))])
        curvatures = np.linalg.eigvalsh(2 * A.T @ A / len(A))
        assert curvatures[-1] / curvatures[0] < 1.001          # round: every curvature is 2
        standardised = np.column_stack([ch04._ref_standardize(X)[0], np.ones(len(X))])
        s = np.linalg.eigvalsh(2 * standardised.T @ standardised / len(X))
        assert s[-1] / s[0] > 2                                  # correlated features: still elliptical
    # gradient descent at lr = 1/2 lands on the least-squares fit in one step
    Z, _, _ = ch04._ref_whiten(houses)
    _, _, losses = ch04._ref_linear_regression_gd(Z, price, 0.5, 1)
    best = np.linalg.lstsq(np.column_stack([houses, np.ones(6)]), price, rcond=None)[0]
    np.testing.assert_allclose(losses[1], np.mean((np.column_stack([houses, np.ones(6)]) @ best - price) ** 2),
                               rtol=1e-4)


MIN_MAX_SLIPS = {
    "whole array": (lambda X, low=0.0, high=1.0: ch04._ref_min_max_scale(X, low, high, per_column=False),
                    "per column (axis=0), not of the whole array"),
    "no shift": (lambda X, low=0.0, high=1.0: ch04._ref_min_max_scale(X, low, high, shift=False),
                 "add low"),
    "constant column": (lambda X, low=0.0, high=1.0: (
        low + (np.asarray(X, float) - np.min(X, 0)) / (np.max(X, 0) - np.min(X, 0)) * (high - low),
        np.min(X, 0).astype(float), np.max(X, 0).astype(float)), "divide by 1 instead"),
    "unit interval": (lambda X, low=0.0, high=1.0: min_max_scale(X), "stretch to [low, high]"),
}


@pytest.mark.parametrize("slip", MIN_MAX_SLIPS)
def test_min_max_typical_slips_fail_with_their_own_hint(slip, capsys):
    wrong, fragment = MIN_MAX_SLIPS[slip]

    def quiet(*args, **kwargs):
        with np.errstate(all="ignore"):
            return wrong(*args, **kwargs)

    with _unguarded(ch04._ref_min_max_scale):
        assert float(ch04.scaling(quiet, whiten)) == 2.0
    out = capsys.readouterr().out
    assert "\u2717 min_max_scale (0/1)" in out and fragment in out, out


WHITEN_SLIPS = {
    "np.cov": (dict(ddof=1), "np.cov divides by m - 1"),
    "ascending": (dict(descending=False), "increasing order"),
    "signs": (dict(fix_signs=False), "an eigenvector's sign is arbitrary"),
    "no eps": ("no eps", "add eps to every eigenvalue under the square root"),
    "eps outside": (dict(eps_inside=False), "not 1 / (sqrt(lambda) + eps)"),
    "W transposed": ("transposed", "W's ROWS are the scaled eigenvectors"),
}


@pytest.mark.parametrize("slip", WHITEN_SLIPS)
def test_whiten_typical_slips_fail_with_their_own_hint(slip, capsys):
    flags, fragment = WHITEN_SLIPS[slip]

    def wrong(X, eps=1e-5):
        if flags == "no eps":
            return ch04._ref_whiten(X, 0.0)
        if flags == "transposed":
            Z, mean, W = ch04._ref_whiten(X, eps)
            return Z, mean, W.T
        return ch04._ref_whiten(X, eps, **flags)

    with _unguarded(ch04._ref_whiten):
        assert float(ch04.scaling(min_max_scale, wrong)) == 1.0
    out = capsys.readouterr().out
    assert "\u2717 whiten (0/2)" in out and fragment in out, out


@contextlib.contextmanager
def _unguarded(*functions):
    """While the block runs, ``functions`` are not among the references the checks refuse: a test's
    wrong answer is the reference with one slip."""
    saved = ch04._references
    ch04._references = lambda: tuple(f for f in saved() if f not in functions)
    try:
        yield
    finally:
        ch04._references = saved


def test_whiten_centred_wrongly_and_in_place_fail(capsys):
    def uncentred(X, eps=1e-5):
        Z, mean, W = whiten(X, eps)
        return np.asarray(X, float) @ W.T, mean, W

    assert float(ch04.scaling(min_max_scale, uncentred)) == 1.0
    out = capsys.readouterr().out
    assert "Z (value 1 returned by `whiten`) is wrong" in out and "centre X first" in out

    def in_place(X, eps=1e-5):
        X -= X.mean(axis=0)
        return whiten(X, eps)

    assert float(ch04.scaling(min_max_scale, in_place)) == 1.0
    assert "`whiten` changed its argument `X` in place" in capsys.readouterr().out


@pytest.mark.parametrize("hidden", [False, True])
def test_scaling_stubs_fail(hidden):
    _fails(lambda s, hidden=False: ch04.scaling(s, s, hidden=hidden), _stub, fragments=("not implemented yet",),
           hidden=hidden)


# -- exercise 8: training with a validation split -------------------------------------------------


def train_validate(X, y, n_val, lr, epochs, batch_size, rng):
    m, n = X.shape
    order = rng.permutation(m)
    X_val, y_val, X_tr, y_tr = X[order[:n_val]], y[order[:n_val]], X[order[n_val:]], y[order[n_val:]]
    w, b = np.zeros(n), 0.0
    train_loss = [np.mean((X_tr @ w + b - y_tr) ** 2)]
    val_loss = [np.mean((X_val @ w + b - y_val) ** 2)]
    best = (0, w, b)
    for epoch in range(1, epochs + 1):
        shuffle = rng.permutation(len(X_tr))
        for start in range(0, len(shuffle), batch_size):
            rows = shuffle[start:start + batch_size]
            r = X_tr[rows] @ w + b - y_tr[rows]
            w, b = w - lr * 2 * X_tr[rows].T @ r / len(rows), b - lr * 2 * r.mean()
        train_loss.append(np.mean((X_tr @ w + b - y_tr) ** 2))
        val_loss.append(np.mean((X_val @ w + b - y_val) ** 2))
        if val_loss[-1] < val_loss[best[0]]:
            best = (epoch, w, b)
    return best[1], best[2], {"train_loss": np.array(train_loss), "val_loss": np.array(val_loss),
                              "best_epoch": best[0]}


def train_validate_theta(X, y, n_val, lr, epochs, batch_size, rng):
    # the bias as a weight on a column of ones, the history as lists, the best copy kept by value
    A = np.column_stack([X, np.ones(len(X))])
    order = rng.permutation(len(A))
    val, train = order[:n_val], order[n_val:]
    theta = np.zeros(A.shape[1])
    history = {"train_loss": [], "val_loss": [], "best_epoch": 0}
    best_theta = theta.copy()
    for epoch in range(epochs + 1):
        if epoch:
            shuffled = train[rng.permutation(len(train))]
            for rows in [shuffled[i:i + batch_size] for i in range(0, len(shuffled), batch_size)]:
                theta -= lr * 2 * A[rows].T @ (A[rows] @ theta - y[rows]) / len(rows)
        history["train_loss"].append(float(np.mean((A[train] @ theta - y[train]) ** 2)))
        history["val_loss"].append(float(np.mean((A[val] @ theta - y[val]) ** 2)))
        if history["val_loss"][-1] < min(history["val_loss"][:-1], default=np.inf):
            history["best_epoch"], best_theta = epoch, theta.copy()
    return best_theta[:-1], best_theta[-1], history


def train_validate_from_minibatch_steps(X, y, n_val, lr, epochs, batch_size, rng):
    # one helper per epoch, the argmin found at the end from stored weights
    def epoch_of(w, b, X_tr, y_tr, shuffle):
        for start in range(0, len(shuffle), batch_size):
            rows = shuffle[start:start + batch_size]
            r = X_tr[rows] @ w + b - y_tr[rows]
            w, b = w - lr * 2 * X_tr[rows].T @ r / len(rows), b - lr * 2 * np.mean(r)
        return w, b

    order = rng.permutation(len(X))
    parts = {"val": order[:n_val], "train": order[n_val:]}
    weights = [(np.zeros(X.shape[1]), 0.0)]
    for _ in range(epochs):
        weights.append(epoch_of(*weights[-1], X[parts["train"]], y[parts["train"]],
                                rng.permutation(len(parts["train"]))))
    losses = {key: np.array([np.mean((X[rows] @ w + b - y[rows]) ** 2) for w, b in weights])
              for key, rows in parts.items()}
    best = int(np.argmin(losses["val"]))
    return (*weights[best], {"train_loss": losses["train"], "val_loss": losses["val"], "best_epoch": best})


@pytest.mark.parametrize("hidden", [False, True])
def test_train_validate_correct_answers_pass(hidden):
    for student in (train_validate, train_validate_theta, train_validate_from_minibatch_steps):
        assert float(ch04.train_validate(student, hidden=hidden)) == 3.0


def test_train_validate_reference_is_a_torch_loop():
    X, y = ch04.overfitting_data(np.random.default_rng(5))
    w, b, train_loss, val_loss, best = ch04._ref_train_validate(X, y, 20, 0.05, 30, 5, np.random.default_rng(2))
    rng = np.random.default_rng(2)
    order = rng.permutation(40)
    Xv, yv = torch.tensor(X[order[:20]]), torch.tensor(y[order[:20]])
    Xt, yt = torch.tensor(X[order[20:]]), torch.tensor(y[order[20:]])
    model = torch.nn.Linear(24, 1, dtype=torch.float64)
    torch.nn.init.zeros_(model.weight)
    torch.nn.init.zeros_(model.bias)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    mse = torch.nn.functional.mse_loss
    history = [(mse(model(Xt)[:, 0], yt).item(), mse(model(Xv)[:, 0], yv).item(),
                model.weight.detach().numpy()[0].copy(), model.bias.item())]
    for _ in range(30):
        shuffle = rng.permutation(20)
        for start in range(0, 20, 5):
            rows = torch.tensor(shuffle[start:start + 5])
            opt.zero_grad()
            mse(model(Xt[rows])[:, 0], yt[rows]).backward()
            opt.step()
        with torch.no_grad():
            history.append((mse(model(Xt)[:, 0], yt).item(), mse(model(Xv)[:, 0], yv).item(),
                            model.weight.numpy()[0].copy(), model.bias.item()))
    np.testing.assert_allclose(train_loss, [h[0] for h in history], rtol=1e-10)
    np.testing.assert_allclose(val_loss, [h[1] for h in history], rtol=1e-10)
    torch_best = int(np.argmin([h[1] for h in history]))
    assert best == torch_best and 0 < best < 30                 # the validation loss turns up
    np.testing.assert_allclose(w, history[best][2], rtol=1e-10)
    np.testing.assert_allclose(b, history[best][3], rtol=1e-10)
    with pytest.raises(ValueError, match="n_val must be between 1 and m - 1 = 39; got 40"):
        ch04._ref_train_validate(X, y, 40, 0.05, 3, 5, np.random.default_rng(0))


VALIDATE_SLIPS = {
    "validation last": (dict(val_last=True), 0, "order[:n_val]"),
    "shuffled once": (dict(reshuffle=False), 0, "at the start of every epoch, not once"),
    "best by training loss": (dict(best_by="train"), 2, "lowest VALIDATION loss"),
    "last weights": (dict(keep_best=False), 2, "not those after the last epoch"),
    "batch losses": (dict(batch_losses=True), 2, "not the mean of the batch losses"),
}


@pytest.mark.parametrize("slip", VALIDATE_SLIPS)
def test_train_validate_typical_slips_fail_with_their_own_hint(slip, capsys):
    flags, points, fragment = VALIDATE_SLIPS[slip]
    reference = ch04._ref_train_validate_result

    def wrong(X, y, n_val, lr, epochs, batch_size, rng):
        return reference(X, y, n_val, lr, epochs, batch_size, rng, **flags)

    with _unguarded(ch04._ref_train_validate):
        if points == 0:
            message = _fails(ch04.train_validate, wrong, fragments=(fragment,))
            assert "no part passes yet" in message
        else:
            assert float(ch04.train_validate(wrong)) == points
            assert fragment in capsys.readouterr().out


def test_train_validate_shape_mistakes_and_in_place_fail():
    def no_dict(*args):
        w, b, history = train_validate(*args)
        return w, b, history["train_loss"]

    _fails(ch04.train_validate, no_dict, fragments=("should be the history dict",))

    def wrong_key(*args):
        w, b, history = train_validate(*args)
        return w, b, {"train": history["train_loss"], "val_loss": history["val_loss"], "best_epoch": 0}

    _fails(ch04.train_validate, wrong_key, fragments=("no key 'train_loss'",))

    def in_place(X, y, *rest):
        X -= X.mean(axis=0)
        return train_validate(X, y, *rest)

    _fails(ch04.train_validate, in_place, fragments=("changed its argument `X` in place",))


@pytest.mark.parametrize("hidden", [False, True])
def test_train_validate_stub_and_library_fail(hidden):
    _fails(ch04.train_validate, _stub, fragments=("not implemented yet",), hidden=hidden)
    from dlcourse import nn, optim, train

    def via_fit(X, y, n_val, lr, epochs, batch_size, rng):
        order = rng.permutation(len(X))
        model = nn.Linear(X.shape[1], 1, rng=0)
        model.weight.data[:] = 0.0
        model.bias.data[:] = 0.0
        train.fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=lr), X[order[n_val:]],
                  y[order[n_val:], None], epochs=epochs, batch_size=batch_size, rng=rng, progress=False)
        return model.weight.data[0], float(model.bias.data[0]), {}

    _fails(ch04.train_validate, via_fit, fragments=("reference implementation",), hidden=hidden)


# -- float32 answers: the message names the dtype ------------------------------------------------


def test_float32_answers_are_told_the_dtype(capsys):
    def standardize32(X):
        X = np.asarray(X, dtype=np.float32)
        return standardize_other(X)[0].astype(np.float32), X.mean(axis=0), X.std(axis=0)

    _fails(ch04.standardize, standardize32, fragments=("your result is float32", "compute in float64"))

    def regression32(X, y, lr, epochs):
        w, b, losses = linear_regression_gd(np.asarray(X, np.float32), np.asarray(y, np.float32),
                                            np.float32(lr), epochs)
        return w.astype(np.float32), np.float32(b), np.asarray(losses, np.float32)

    _fails(ch04.linear_regression_gd, regression32, fragments=("your result is float32",))

    def whiten32(X, eps=1e-5):
        return tuple(np.asarray(v, np.float32) for v in whiten(np.asarray(X, np.float32), eps))

    assert float(ch04.scaling(min_max_scale, whiten32)) == 1.0
    assert "your result is float32" in capsys.readouterr().out


@pytest.mark.parametrize("seed", range(12))
def test_the_new_exercises_hidden_cases_of_every_seed_are_well_posed(seed, capsys):
    with core.hidden_source(HIDDEN, seed):
        assert float(ch04.scaling(min_max_scale, whiten, hidden=True)) == 3.0
        assert float(ch04.scaling(min_max_scale_loop, whiten_svd, hidden=True)) == 3.0
        assert float(ch04.train_validate(train_validate, hidden=True)) == 3.0
        assert float(ch04.train_validate(train_validate_theta, hidden=True)) == 3.0


def test_min_max_scale_on_arrays_only_is_told_a_list_is_allowed(capsys):
    def arrays_only(X, low=0.0, high=1.0):
        col_min, col_max = X.min(axis=0), X.max(axis=0)       # a list has no .min
        span = np.where(col_max > col_min, col_max - col_min, 1.0)
        return low + (X - col_min) / span * (high - low), col_min, col_max

    assert float(ch04.scaling(arrays_only, whiten)) == 2.0
    out = capsys.readouterr().out
    assert "raised AttributeError" in out and "X may be a list of rows" in out


def test_whiten_with_several_slips_at_once_is_told_each(capsys):
    def np_cov_and_raw_eigh(X, eps=1e-5):
        X = np.asarray(X, dtype=float)
        mean = X.mean(axis=0)
        eigenvalues, U = np.linalg.eigh(np.cov(X - mean, rowvar=False))       # m - 1, ascending, any sign
        W = U.T / np.sqrt(eigenvalues + eps)[:, None]
        return (X - mean) @ W.T, mean, W

    assert float(ch04.scaling(min_max_scale, np_cov_and_raw_eigh)) == 1.0
    out = capsys.readouterr().out
    for fragment in ("np.cov divides by m - 1", "increasing order", "an eigenvector's sign is arbitrary"):
        assert fragment in out, out


# -- the grader's verdict: the calls replayed in a kernel, the answers judged outside ----------------


def test_the_new_exercises_are_judged_by_the_grader_with_partial_credit():
    from tests.check_tools import judged_outside

    source = "from dlcourse.checks import ch04\nch04.train_validate(train_validate, hidden=True)"

    def last_weights(X, y, n_val, lr, epochs, batch_size, rng):
        # the right losses, but the weights after the last epoch instead of the best one
        w_last = np.zeros(X.shape[1])
        order = rng.permutation(len(X))
        X_tr, y_tr = X[order[n_val:]], y[order[n_val:]]
        b_last = 0.0
        _, _, history = train_validate(X, y, n_val, lr, epochs, batch_size, _Replay(order, rng))
        for shuffle in _Replay.drawn:
            for start in range(0, len(shuffle), batch_size):
                rows = shuffle[start:start + batch_size]
                r = X_tr[rows] @ w_last + b_last - y_tr[rows]
                w_last, b_last = w_last - lr * 2 * X_tr[rows].T @ r / len(rows), b_last - lr * 2 * r.mean()
        return w_last, b_last, history

    verdict = judged_outside(source, {"train_validate": last_weights}, points=3,
                             answers_from={"train_validate": train_validate}, hidden_path=HIDDEN, seed=4)
    assert verdict.points == 2, verdict.message
    assert "not those after the last epoch" in verdict.message
    honest = judged_outside(source, {"train_validate": train_validate_theta}, points=3,
                            answers_from={"train_validate": train_validate}, hidden_path=HIDDEN, seed=4)
    assert honest.points == 3, honest.message
    scaling_source = "from dlcourse.checks import ch04\nch04.scaling(min_max_scale, whiten, hidden=True)"
    both = judged_outside(scaling_source, {"min_max_scale": min_max_scale_loop, "whiten": whiten_svd},
                          answers_from={"min_max_scale": min_max_scale, "whiten": whiten},
                          points=3, hidden_path=HIDDEN, seed=4)
    assert both.points == 3, both.message


class _Replay:
    """A generator that hands out ``order`` first, then draws from ``rng`` and remembers each draw."""

    drawn = []

    def __init__(self, order, rng):
        self.order, self.rng = order, rng
        _Replay.drawn = []

    def permutation(self, n):
        if self.order is not None:
            order, self.order = self.order, None
            return order
        _Replay.drawn.append(self.rng.permutation(n))
        return _Replay.drawn[-1]
