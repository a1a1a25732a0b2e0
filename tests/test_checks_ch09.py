"""The chapter 9 checks accept correct answers written in different ways and reject the
usual wrong ones with a message that says what went wrong."""

import numpy as np
import pytest

from dlcourse.checks import ch09, core
from dlcourse.ensemble import bagging_predict as library_bagging
from dlcourse.linear_models import lasso_ista as library_lasso
from tests.check_tools import assert_no_hidden_case_ships, fails, judged_outside, stub
from tests.conftest import ROOT

HIDDEN = ROOT / "solutions" / "ch09-generalisation" / "hidden_cases.py"


def _fails(check, *students, fragments=(), hidden=False):
    return fails(check, *students, fragments=fragments, hidden=hidden)


# -- exercise 1: bias and variance ----------------------------------------------------------------


def bv_solution(f, x_train, x_test, degrees, noise_std, n_datasets, rng):
    clean = f(x_train)
    ys = [clean + noise_std * rng.standard_normal(len(x_train)) for _ in range(n_datasets)]
    truth = f(x_test)
    bias2, variance = [], []
    for d in degrees:
        preds = np.array([np.polyval(np.polyfit(x_train, y, d), x_test) for y in ys])
        mean = preds.mean(axis=0)
        bias2.append(np.mean((mean - truth) ** 2))
        variance.append(np.mean((preds - mean) ** 2))
    return np.array(bias2), np.array(variance)


def bv_matrix(f, x_train, x_test, degrees, noise_std, n_datasets, rng):
    # all training sets in one draw, one least-squares solve per degree for every set at once
    Y = f(x_train)[None, :] + rng.normal(0.0, noise_std, size=(n_datasets, len(x_train)))
    out = np.zeros((2, len(degrees)))
    for i, d in enumerate(degrees):
        V = np.vander(x_train, d + 1)
        coef = np.linalg.lstsq(V, Y.T, rcond=None)[0]
        preds = (np.vander(x_test, d + 1) @ coef).T
        out[0, i] = np.mean((preds.mean(0) - f(x_test)) ** 2)
        out[1, i] = np.var(preds, axis=0).mean()
    return out[0], out[1]


def bv_loops(f, x_train, x_test, degrees, noise_std, n_datasets, rng):
    # the definitions written with explicit sums, lists returned
    sets = [f(x_train) + noise_std * rng.standard_normal(x_train.shape) for _ in range(n_datasets)]
    result_b, result_v = [], []
    for d in degrees:
        fits = [np.poly1d(np.polyfit(x_train, y, d)) for y in sets]
        b = v = 0.0
        for x in x_test:
            values = [p(x) for p in fits]
            m = sum(values) / len(values)
            b += (m - f(np.array([x]))[0]) ** 2
            v += sum((val - m) ** 2 for val in values) / len(values)
        result_b.append(b / len(x_test))
        result_v.append(v / len(x_test))
    return result_b, result_v


def bv_draws_per_degree(f, x_train, x_test, degrees, noise_std, n_datasets, rng):
    bias2, variance = [], []
    for d in degrees:
        ys = [f(x_train) + noise_std * rng.standard_normal(len(x_train)) for _ in range(n_datasets)]
        preds = np.array([np.polyval(np.polyfit(x_train, y, d), x_test) for y in ys])
        bias2.append(np.mean((preds.mean(0) - f(x_test)) ** 2))
        variance.append(np.mean(preds.var(0)))
    return np.array(bias2), np.array(variance)


def _student_with_variance(rule):
    def student(f, x_train, x_test, degrees, noise_std, n_datasets, rng):
        ys = [f(x_train) + noise_std * rng.standard_normal(len(x_train)) for _ in range(n_datasets)]
        preds = [np.array([np.polyval(np.polyfit(x_train, y, d), x_test) for y in ys]) for d in degrees]
        return (np.array([np.mean((p.mean(0) - f(x_test)) ** 2) for p in preds]),
                np.array([rule(p) for p in preds]))
    return student


def _student_with_bias(rule):
    def student(f, x_train, x_test, degrees, noise_std, n_datasets, rng):
        ys = [f(x_train) + noise_std * rng.standard_normal(len(x_train)) for _ in range(n_datasets)]
        preds = [np.array([np.polyval(np.polyfit(x_train, y, d), x_test) for y in ys]) for d in degrees]
        return (np.array([rule(p, f(x_test)) for p in preds]),
                np.array([np.mean(p.var(0)) for p in preds]))
    return student


def test_bias_variance_drawing_new_sets_for_every_degree_fails():
    _fails(ch09.bias_variance, bv_draws_per_degree, fragments=["draw the n_datasets training sets once"])


def test_bias_variance_with_ddof_one_fails():
    _fails(ch09.bias_variance, _student_with_variance(lambda p: np.mean(np.var(p, axis=0, ddof=1))),
           fragments=["ddof = 0"])


def test_bias_variance_pooling_every_prediction_fails():
    _fails(ch09.bias_variance, _student_with_variance(np.var), fragments=["at each test input (axis 0)"])


def test_bias_variance_squaring_the_averaged_bias_fails():
    _fails(ch09.bias_variance, _student_with_bias(lambda p, f: np.mean(p.mean(0) - f) ** 2),
           fragments=["square the bias at each test input"])


def test_bias_variance_taking_the_mse_as_the_bias_fails():
    _fails(ch09.bias_variance, _student_with_bias(lambda p, f: np.mean((p - f) ** 2)),
           fragments=["bias² + variance"])


def test_bias_variance_returning_one_array_fails():
    _fails(ch09.bias_variance, lambda *args: np.stack(bv_solution(*args)), fragments=["should return 2 values"])


# -- exercise 2: the lasso --------------------------------------------------------------------------


def lasso_solution(X, y, lam, lr, n_steps):
    w = np.zeros(X.shape[1])
    for _ in range(n_steps):
        v = w - lr * X.T @ (X @ w - y) / len(X)
        w = np.sign(v) * np.maximum(np.abs(v) - lr * lam, 0.0)
    return w


def lasso_clip(X, y, lam, lr, n_steps):
    # soft thresholding as v minus its clipped part
    w = np.zeros(X.shape[1])
    t = lr * lam
    for _ in range(n_steps):
        v = w - (lr / len(y)) * (X.T @ X @ w - X.T @ y)
        w = v - np.clip(v, -t, t)
    return w


def lasso_loop(X, y, lam, lr, n_steps):
    # one coordinate at a time, the threshold written as three cases; a list returned
    n, d = X.shape
    w = [0.0] * d
    for _ in range(n_steps):
        r = X @ np.array(w) - y
        new = []
        for j in range(d):
            v = w[j] - lr * float(X[:, j] @ r) / n
            new.append(v - lr * lam if v > lr * lam else v + lr * lam if v < -lr * lam else 0.0)
        w = new
    return w


def _lasso_variant(grad_scale=1.0, hard=False):
    def student(X, y, lam, lr, n_steps):
        w = np.zeros(X.shape[1])
        for _ in range(n_steps):
            v = w - lr * grad_scale * X.T @ (X @ w - y) / len(X)
            w = np.where(np.abs(v) > lr * lam, v, 0.0) if hard else np.sign(v) * np.maximum(np.abs(v) - lr * lam, 0)
        return w
    return student


def test_lasso_threshold_lam_instead_of_lr_lam_fails():
    def student(X, y, lam, lr, n_steps):
        w = np.zeros(X.shape[1])
        for _ in range(n_steps):
            v = w - lr * X.T @ (X @ w - y) / len(X)
            w = np.sign(v) * np.maximum(np.abs(v) - lam, 0.0)
        return w

    _fails(ch09.lasso_ista, student, fragments=["lr * lam (the step size times λ)"])


def test_lasso_gradient_without_the_mean_fails():
    def student(X, y, lam, lr, n_steps):
        w = np.zeros(X.shape[1])
        for _ in range(n_steps):
            v = w - lr * X.T @ (X @ w - y)
            w = np.sign(v) * np.maximum(np.abs(v) - lr * lam, 0.0)
        return w

    _fails(ch09.lasso_ista, student, fragments=["divide by N"])


def test_lasso_gradient_of_the_mse_fails():
    _fails(ch09.lasso_ista, _lasso_variant(grad_scale=2.0), fragments=["without a 2"])


def test_lasso_hard_thresholding_fails():
    _fails(ch09.lasso_ista, _lasso_variant(hard=True), fragments=["hard thresholding"])


def test_lasso_by_subgradient_descent_fails():
    def student(X, y, lam, lr, n_steps):
        w = np.zeros(X.shape[1])
        for _ in range(n_steps):
            w = w - lr * (X.T @ (X @ w - y) / len(X) + lam * np.sign(w))
        return w

    _fails(ch09.lasso_ista, student, fragments=["no weight was shrunk", "subgradient"])


def test_lasso_calling_the_library_fails():
    _fails(ch09.lasso_ista, lambda X, y, lam, lr, n: library_lasso(X, y, lam, lr=lr, n_steps=n),
           fragments=["reference implementation"])


# -- exercise 3: dropout ----------------------------------------------------------------------------


def drop_forward(x, p, rng, training=True):
    if not training:
        return x.copy(), np.ones(x.shape, dtype=bool)
    mask = rng.random(x.shape) >= p
    return (np.zeros_like(x) if p == 1 else x * mask / (1 - p)), mask


def drop_forward_where(x, p, rng, training=True):
    # the mask as 0/1 floats, np.where for the output
    if not training:
        return np.array(x, copy=True), np.ones_like(x)
    keep = (rng.random(size=np.shape(x)) >= p).astype(float)
    return np.where(keep > 0, x / max(1 - p, 1e-300), 0.0), keep


def drop_forward_uniform(x, p, rng, training=True):
    # rng.uniform(0, 1) draws the same numbers as rng.random
    keep = rng.uniform(0, 1, size=x.shape) >= p if training else np.full(x.shape, True)
    scale = 0.0 if p == 1 else 1 / (1 - p)
    return x * keep * (scale if training else 1.0), keep


def drop_backward(grad, mask, p):
    return np.zeros_like(grad) if p == 1 else grad * mask / (1 - p)


def drop_backward_where(grad, mask, p):
    return np.where(np.asarray(mask, dtype=bool), grad, 0.0) * (0.0 if p == 1 else 1 / (1 - p))


def drop_backward_loop(grad, mask, p):
    flat = [g / (1 - p) if m and p < 1 else 0.0 for g, m in zip(np.ravel(grad), np.ravel(mask))]
    return np.array(flat).reshape(np.shape(grad))


def _forward_fails(forward, fragment):
    """The forward part loses its point with ``fragment`` in its message; backward keeps its own."""
    import contextlib
    import io

    shown = io.StringIO()
    with contextlib.redirect_stdout(shown):
        score = ch09.dropout(forward, drop_backward)
    assert score == 1
    lines = shown.getvalue()
    assert "\u2717 dropout_forward" in lines and fragment in lines, lines
    _fails(ch09.dropout, forward, stub, fragments=[fragment, "no part passes yet"])


def test_dropout_scaled_at_test_time_fails():
    def student(x, p, rng, training=True):
        if not training:
            return x.copy(), np.ones(x.shape, dtype=bool)
        mask = rng.random(x.shape) >= p
        return x * mask * (1 - p), mask

    _forward_fails(student, "dropout scaled at test time")


def test_dropout_without_scaling_fails():
    def student(x, p, rng, training=True):
        mask = rng.random(x.shape) >= p if training else np.ones(x.shape, dtype=bool)
        return x * mask, mask

    _forward_fails(student, "divide the kept values by the keep probability")


def test_dropout_keeping_with_probability_p_fails():
    def student(x, p, rng, training=True):
        if not training:
            return x.copy(), np.ones(x.shape, dtype=bool)
        mask = rng.random(x.shape) < p
        return (x * mask / p if p > 0 else 0 * x), mask

    _forward_fails(student, "marks the units to KEEP")


def test_dropout_in_evaluation_mode_too_fails():
    def student(x, p, rng, training=True):
        mask = rng.random(x.shape) >= p
        return (np.zeros_like(x) if p == 1 else x * mask / (1 - p)), mask

    _forward_fails(student, "in evaluation mode return a copy of x")


def test_dropout_calling_the_library_fails():
    from dlcourse import functional as F

    def student(x, p, rng, training=True):
        y = F.dropout(x, p, training=training, rng=rng)  # the same draws as the spec's
        return y, (y != 0) | (x == 0) if training else np.ones(x.shape, dtype=bool)

    _forward_fails(student, "reference implementation")


def test_dropout_backward_unscaled_loses_only_its_point(capsys):
    score = ch09.dropout(drop_forward, lambda grad, mask, p: grad * mask)
    assert score == 1
    assert "scale their gradient too" in capsys.readouterr().out


# -- exercise 4: early stopping -----------------------------------------------------------------------


def _mse(X, y, w):
    return np.mean((X @ w - y) ** 2)


def es_solution(w0, X_train, y_train, X_val, y_val, lr, max_epochs, patience):
    w = np.array(w0, dtype=float)
    history = [[_mse(X_train, y_train, w), _mse(X_val, y_val, w)]]
    best_w, best_epoch, best, wait = w.copy(), 0, history[0][1], 0
    for epoch in range(1, max_epochs + 1):
        w -= lr * 2 * X_train.T @ (X_train @ w - y_train) / len(X_train)
        history.append([_mse(X_train, y_train, w), _mse(X_val, y_val, w)])
        if history[-1][1] < best:
            best, best_w, best_epoch, wait = history[-1][1], w.copy(), epoch, 0
        else:
            wait += 1
            if wait >= patience:
                break
    return best_w, best_epoch, np.array(history)


def es_argmin(w0, X_train, y_train, X_val, y_val, lr, max_epochs, patience):
    # keep every epoch's weights, pick the best with argmin at the end; a list history
    weights, history = [np.asarray(w0, dtype=float)], []
    for epoch in range(max_epochs + 1):
        w = weights[-1]
        history.append((float(np.mean((X_train @ w - y_train) ** 2)), float(np.mean((X_val @ w - y_val) ** 2))))
        vals = [h[1] for h in history]
        if epoch - int(np.argmin(vals)) >= patience or epoch == max_epochs:
            break
        weights.append(w - 2 * lr / len(y_train) * X_train.T @ (X_train @ w - y_train))
    best = int(np.argmin([h[1] for h in history]))
    return weights[best], best, history


def es_while(w0, X_train, y_train, X_val, y_val, lr, max_epochs, patience):
    # a while loop and a counter of epochs since the best
    w = w0.astype(float)
    n = len(y_train)
    rows = [[_mse(X_train, y_train, w), _mse(X_val, y_val, w)]]
    best = (rows[0][1], 0, w)
    epoch, since = 0, 0
    while epoch < max_epochs and since < patience:
        epoch += 1
        w = w + (2 * lr / n) * X_train.T @ (y_train - X_train @ w)     # a new array each epoch
        rows.append([_mse(X_train, y_train, w), _mse(X_val, y_val, w)])
        if rows[-1][1] < best[0]:
            best, since = (rows[-1][1], epoch, w), 0
        else:
            since += 1
    return best[2], np.int64(best[1]), np.array(rows)


def test_early_stopping_returning_the_last_weights_fails():
    def student(*args):
        w, epoch, history = es_solution(*args)
        last = np.array(args[0], dtype=float)
        X, y, lr = args[1], args[2], args[5]
        for _ in range(len(history) - 1):
            last -= lr * 2 * X.T @ (X @ last - y) / len(X)
        return last, epoch, history

    _fails(ch09.fit_early_stopping, student, fragments=["those are the weights of the last epoch", "w.copy()"])


def test_early_stopping_saving_an_alias_of_the_weights_fails():
    def student(w0, X_train, y_train, X_val, y_val, lr, max_epochs, patience):
        w = np.array(w0, dtype=float)
        history = [[_mse(X_train, y_train, w), _mse(X_val, y_val, w)]]
        best_w, best_epoch, best, wait = w, 0, history[0][1], 0
        for epoch in range(1, max_epochs + 1):
            w -= lr * 2 * X_train.T @ (X_train @ w - y_train) / len(X_train)
            history.append([_mse(X_train, y_train, w), _mse(X_val, y_val, w)])
            if history[-1][1] < best:
                best, best_w, best_epoch, wait = history[-1][1], w, epoch, 0     # no copy
            else:
                wait += 1
                if wait >= patience:
                    break
        return best_w, best_epoch, np.array(history)

    _fails(ch09.fit_early_stopping, student, fragments=["best_w = w"])


def test_early_stopping_one_epoch_too_late_fails():
    def student(w0, X_train, y_train, X_val, y_val, lr, max_epochs, patience):
        return es_solution(w0, X_train, y_train, X_val, y_val, lr, max_epochs, patience + 1)

    _fails(ch09.fit_early_stopping, student, fragments=["training ran", "strictly lower validation loss"])


def test_early_stopping_without_the_row_of_w0_fails():
    def student(*args):
        w, epoch, history = es_solution(*args)
        return w, epoch, history[1:]

    _fails(ch09.fit_early_stopping, student, fragments=["row 0 of the history holds the losses of w0"])


def test_early_stopping_with_swapped_columns_fails():
    def student(*args):
        w, epoch, history = es_solution(*args)
        return w, epoch, history[:, ::-1]

    _fails(ch09.fit_early_stopping, student, fragments=["the columns the other way round"])


def test_early_stopping_reporting_the_last_epoch_fails():
    def student(*args):
        w, _, history = es_solution(*args)
        return w, len(history) - 1, history

    _fails(ch09.fit_early_stopping, student, fragments=["that is the last epoch run"])


# -- exercise 5: bagging --------------------------------------------------------------------------------


def bag_solution(fit_predict, X, y, X_test, n_models, rng):
    preds = []
    for _ in range(n_models):
        idx = rng.integers(0, len(X), size=len(X))
        preds.append(fit_predict(X[idx], y[idx], X_test))
    return np.mean(preds, axis=0)


def bag_one_draw(fit_predict, X, y, X_test, n_models, rng):
    # every sample in one call: the same numbers as n_models calls of size N
    samples = rng.integers(0, len(X), size=(n_models, len(X)))
    return sum(fit_predict(X[s], y[s], X_test) for s in samples) / n_models


def bag_choice(fit_predict, X, y, X_test, n_models, rng):
    # rng.choice with replacement draws the same indices as rng.integers
    total = np.zeros(len(X_test))
    for _ in range(n_models):
        idx = rng.choice(len(X), size=len(X), replace=True)
        total += fit_predict(X[idx], y[idx], X_test)
    return list(total / n_models)


def test_bagging_with_permutations_fails():
    def student(fit_predict, X, y, X_test, n_models, rng):
        return np.mean([fit_predict(X[i], y[i], X_test) for i in (rng.permutation(len(X)) for _ in range(n_models))],
                       axis=0)

    _fails(ch09.bagging_predict, student, fragments=["with replacement"])


def test_bagging_with_the_median_fails():
    def student(fit_predict, X, y, X_test, n_models, rng):
        draws = [rng.integers(0, len(X), size=len(X)) for _ in range(n_models)]
        return np.median([fit_predict(X[i], y[i], X_test) for i in draws], axis=0)

    _fails(ch09.bagging_predict, student, fragments=["not their median"])


def test_bagging_returning_the_last_model_fails():
    def student(fit_predict, X, y, X_test, n_models, rng):
        for _ in range(n_models):
            idx = rng.integers(0, len(X), size=len(X))
            pred = fit_predict(X[idx], y[idx], X_test)
        return pred

    _fails(ch09.bagging_predict, student, fragments=["the last model's prediction"])


def test_bagging_calling_the_library_fails():
    _fails(ch09.bagging_predict, library_bagging, fragments=["reference implementation"])


# -- every check: correct answers pass, the stub fails -------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("check, students", [
    (ch09.bias_variance, [bv_solution, bv_matrix, bv_loops]),
    (ch09.lasso_ista, [lasso_solution, lasso_clip, lasso_loop]),
    (ch09.fit_early_stopping, [es_solution, es_argmin, es_while]),
    (ch09.bagging_predict, [bag_solution, bag_one_draw, bag_choice]),
])
def test_correct_answers_pass(check, students, hidden, capsys):
    for student in students:
        check(student, hidden=hidden)
    assert "\u2713" in capsys.readouterr().out


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("forward, backward", [(drop_forward, drop_backward), (drop_forward_where, drop_backward_where),
                                               (drop_forward_uniform, drop_backward_loop)])
def test_correct_dropout_answers_pass_with_full_marks(forward, backward, hidden):
    assert ch09.dropout(forward, backward, hidden=hidden) == 2


@pytest.mark.parametrize("hidden", [False, True])
def test_stub_fails(hidden):
    for check in (ch09.bias_variance, ch09.lasso_ista, ch09.fit_early_stopping, ch09.bagging_predict):
        _fails(check, stub, fragments=["not implemented yet"], hidden=hidden)
    _fails(ch09.dropout, stub, stub, fragments=["no part passes yet", "not implemented yet"], hidden=hidden)


def test_changing_the_callers_array_fails():
    def student(X, y, lam, lr, n_steps):
        X -= X.mean(axis=0)
        return lasso_solution(X, y, lam, lr, n_steps)

    _fails(ch09.lasso_ista, student, fragments=["changed its argument `X` in place"])


# -- the grader's verdict, outside the student's kernel ----------------------------------------------


def test_the_grader_judges_bias_variance_and_early_stopping():
    source = "from dlcourse.checks import ch09\nch09.bias_variance(bias_variance, hidden=True)"
    right = judged_outside(source, {"bias_variance": bv_matrix}, answers_from={"bias_variance": bv_solution},
                           hidden_path=HIDDEN, seed=4)
    assert right.points == 1, right.message
    wrong = judged_outside(source, {"bias_variance": bv_draws_per_degree},
                           answers_from={"bias_variance": bv_solution}, hidden_path=HIDDEN, seed=4)
    assert wrong.points == 0 and "draw the n_datasets training sets once" in wrong.message
    source = "from dlcourse.checks import ch09\nch09.fit_early_stopping(fit_early_stopping, hidden=True)"
    right = judged_outside(source, {"fit_early_stopping": es_while},
                           answers_from={"fit_early_stopping": es_solution}, hidden_path=HIDDEN, seed=4)
    assert right.points == 1, right.message


def test_the_grader_gives_dropout_partial_credit():
    source = "from dlcourse.checks import ch09\nch09.dropout(dropout_forward, dropout_backward, hidden=True)"
    half = judged_outside(source, {"dropout_forward": drop_forward, "dropout_backward": lambda g, m, p: g * m},
                          answers_from={"dropout_forward": drop_forward, "dropout_backward": drop_backward},
                          points=2, hidden_path=HIDDEN, seed=6)
    assert half.points == 1, half.message


# -- hidden cases: the instructor's, different for each student ----------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_the_hidden_cases_of_every_seed_are_well_posed(seed, capsys):
    with core.hidden_source(HIDDEN, seed):
        ch09.bias_variance(bv_solution, hidden=True)
        ch09.lasso_ista(lasso_solution, hidden=True)
        assert ch09.dropout(drop_forward, drop_backward, hidden=True) == 2
        ch09.fit_early_stopping(es_solution, hidden=True)
        ch09.bagging_predict(bag_solution, hidden=True)


def _hidden_inputs(seed):
    with core.hidden_source(HIDDEN, seed):
        return [c.args[1] for c in core.hidden("lasso_ista")]


def test_each_seed_has_its_own_hidden_random_cases_and_keeps_them():
    first, again, other = _hidden_inputs(1), _hidden_inputs(1), _hidden_inputs(2)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], other[0])


def test_no_hidden_case_reaches_a_student():
    assert_no_hidden_case_ships(ROOT, "ch09-generalisation", HIDDEN)
