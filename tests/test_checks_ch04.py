"""The chapter 4 checks accept correct answers written in different ways and
reject the usual wrong ones (one-sided differences, a wrong sign, a missing
factor 2, ddof = 1, sequential updates, reshuffling once) with a message that
says what went wrong; the references reproduce the notes' numbers."""

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
