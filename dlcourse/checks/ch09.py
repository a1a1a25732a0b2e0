"""Checks for chapter 9, *Generalisation and regularisation*: bias and variance measured on
resampled training sets, the lasso by proximal gradient (ISTA), inverted dropout forward and
backward, a training loop with early stopping that restores the best weights, and bagging.

Every check takes the student's function(s) and ``hidden=False``; the hidden variant (run by
the grader) adds the instructor's cases from ``solutions/ch09-generalisation/hidden_cases.py``
(see :func:`dlcourse.checks.core.hidden`), which the release never contains. The references
follow the chapter's conventions:

* bias–variance: training set r is ``f(x_train) + noise_std * rng.standard_normal(N)``, one draw
  per set in turn, the same sets for every degree; least-squares polynomials; bias² and variance
  averaged over the test inputs, the variance with ddof = 0;
* lasso: J(w) = (1/(2N)) ||X w − y||² + λ ||w||₁ (scikit-learn's ``Lasso(alpha=λ,
  fit_intercept=False)``), ISTA from w = 0, w ← S(w − lr ∇, lr λ);
* dropout: keep = ``rng.random(x.shape) >= p``, out = x * keep / (1 − p) in training;
* early stopping: full-batch gradient descent on the mean squared error of a linear model,
  patience counted in epochs without a strictly lower validation loss, best weights restored;
* bagging: bootstrap sample b is ``rng.integers(0, N, size=N)``, one call per model in turn.
"""

import numpy as np

from dlcourse.checks.core import (
    Case,
    CheckFailure,
    Part,
    call_student,
    expect_close,
    graded_parts,
    hidden as hidden_part,
    library_functions,
    random_cases,
)

__all__ = [
    # the checks, in the chapter's order
    "bias_variance", "lasso_ista", "dropout", "fit_early_stopping", "bagging_predict",
    # what the notebook and the cases are given
    "wave", "nearest_neighbour", "line_fit_predict", "early_stopping_data",
    # case makers, for the instructor's hidden cases
    "bias_variance_case", "lasso_case", "dropout_case", "early_stopping_case", "bagging_case",
]


# -- given to the student: a truth to sample from and models to bag ---------------------------


def wave(x):
    """The chapter's true function on [-1, 1]: f(x) = sin(π x)."""
    return np.sin(np.pi * np.asarray(x, dtype=np.float64))


def nearest_neighbour(X_train, y_train, X_test):
    """1-nearest-neighbour regression: each row of ``X_test`` gets the target of its nearest
    training row (Euclidean; ties go to the first). Returns float64 (len(X_test),)."""
    X_train, X_test = np.asarray(X_train, dtype=np.float64), np.asarray(X_test, dtype=np.float64)
    distances = ((X_test[:, None, :] - X_train[None, :, :]) ** 2).sum(axis=-1)
    return np.asarray(y_train, dtype=np.float64)[np.argmin(distances, axis=1)]


def line_fit_predict(X_train, y_train, X_test):
    """Least squares with a bias, ŷ = [1, x] w̃, fitted on the training rows; float64 (len(X_test),)."""
    X_train, X_test = np.asarray(X_train, dtype=np.float64), np.asarray(X_test, dtype=np.float64)
    A = np.c_[np.ones(len(X_train)), X_train]
    coef, *_ = np.linalg.lstsq(A, np.asarray(y_train, dtype=np.float64), rcond=None)
    return np.c_[np.ones(len(X_test)), X_test] @ coef


# -- reference computations ------------------------------------------------------------------


def _ref_bias_variance(f, x_train, x_test, degrees, noise_std, n_datasets, rng):
    from dlcourse.bias_variance import polynomial_bias_variance

    return polynomial_bias_variance(f, x_train, x_test, list(degrees), noise_std, n_datasets, rng)


def _ista(X, y, lam, lr, n_steps, threshold_scale=1.0, grad_scale=1.0, hard=False):
    """ISTA with the usual mistakes as switches (the reference has none of them)."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    w = np.zeros(X.shape[1])
    t = lr * lam * threshold_scale
    for _ in range(n_steps):
        v = w - lr * grad_scale * X.T @ (X @ w - y) / len(X)
        w = np.where(np.abs(v) > t, v, 0.0) if hard else np.sign(v) * np.maximum(np.abs(v) - t, 0.0)
    return w


def _ref_lasso_ista(X, y, lam, lr, n_steps):
    from dlcourse.linear_models import lasso_ista

    return lasso_ista(X, y, lam, lr=lr, n_steps=n_steps)


def _sklearn_lasso(X, y, lam):
    from sklearn.linear_model import Lasso

    return Lasso(alpha=lam, fit_intercept=False, tol=1e-13, max_iter=200_000).fit(X, y).coef_


_SKLEARN_ANSWERS = {}


def _sklearn_lasso_once(X, y, lam):
    """scikit-learn's answer for the check's fixed problem, computed once per process."""
    key = (X.tobytes(), y.tobytes(), lam)
    if key not in _SKLEARN_ANSWERS:
        _SKLEARN_ANSWERS[key] = _sklearn_lasso(X, y, lam)
    return _SKLEARN_ANSWERS[key].copy()


def _ref_dropout_forward(x, p, rng, training=True):
    from dlcourse.functional.inverted_dropout import dropout_forward

    out, scale = dropout_forward(np.asarray(x, dtype=np.float64), p, bool(training), rng)
    return out, (np.ones(out.shape, dtype=bool) if scale is None else scale != 0)


def _ref_dropout_backward(grad, mask, p):
    if p == 1.0:
        return np.zeros(np.shape(grad))
    return np.asarray(grad, dtype=np.float64) * np.asarray(mask, dtype=np.float64) / (1 - p)


def _mse(X, y, w):
    return float(np.mean((X @ w - y) ** 2))


def _ref_fit_early_stopping(w0, X_train, y_train, X_val, y_val, lr, max_epochs, patience):
    X_train, X_val = np.asarray(X_train, dtype=np.float64), np.asarray(X_val, dtype=np.float64)
    w = np.array(w0, dtype=np.float64)
    history = [(_mse(X_train, y_train, w), _mse(X_val, y_val, w))]
    best_w, best_epoch, best = w.copy(), 0, history[0][1]
    for epoch in range(1, max_epochs + 1):
        w = w - lr * 2 * X_train.T @ (X_train @ w - y_train) / len(X_train)
        history.append((_mse(X_train, y_train, w), _mse(X_val, y_val, w)))
        if history[-1][1] < best:
            best_w, best_epoch, best = w.copy(), epoch, history[-1][1]
        elif epoch - best_epoch >= patience:
            break
    return best_w, best_epoch, np.array(history)


def _ref_bagging_predict(fit_predict, X, y, X_test, n_models, rng):
    from dlcourse.ensemble import bagging_predict

    return bagging_predict(fit_predict, X, y, X_test, n_models, rng)


def _references():
    """What a student must not call: these references and the library's implementations of the
    chapter (bias–variance, bagging, penalties, augmentation, the lasso, dropout, the training loop)."""
    from dlcourse import linear_models

    return (_ref_bias_variance, _ref_lasso_ista, _ref_dropout_forward, _ref_dropout_backward,
            _ref_fit_early_stopping, _ref_bagging_predict, _ista, _sklearn_lasso, linear_models.lasso_ista,
            *library_functions("dlcourse.bias_variance", "dlcourse.ensemble", "dlcourse.regularization",
                               "dlcourse.augment", "dlcourse.nn.dropout", "dlcourse.functional.inverted_dropout",
                               "dlcourse.train"))


def _generator_shown(case, seed, position):
    """The case as the message shows it: the Generator written as the call that makes it."""
    args = list(case.args)
    args.insert(position, f"np.random.default_rng({seed})")
    return Case(tuple(args), label=case.label)


def _pair(got, name, case, what):
    __tracebackhide__ = True
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise CheckFailure(f"`{name}` should return 2 values ({what}), got {str(got)[:200]}"
                           f"\n  input: {case.describe()}")
    return got


def _close(a, b, rtol=1e-7, atol=1e-10):
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return a.shape == np.shape(b) and bool(np.allclose(a, b, rtol=rtol, atol=atol))


# -- case makers (the hidden file draws from these with the grading generator) -----------------


def bias_variance_case(rng):
    """Random training inputs on [-1, 1], test inputs, a few degrees, a noise level, a number of
    training sets and the seed of the Generator passed in."""
    n = int(rng.integers(12, 30))
    x_train = np.sort(rng.uniform(-1, 1, n))
    x_test = np.linspace(-0.9, 0.9, int(rng.integers(5, 25)))
    degrees = sorted({int(d) for d in rng.integers(0, min(10, n - 2), size=int(rng.integers(1, 5)))})
    f = wave if rng.random() < 0.5 else np.cos
    return Case((f, x_train, x_test, degrees, float(rng.uniform(0.05, 1.0)), int(rng.integers(2, 40))),
                {"seed": int(rng.integers(0, 10_000))})


def lasso_case(rng, n_steps=None):
    """A sparse linear problem: X (N, d), y with noise, λ, a stable step size and a step count."""
    n, d = int(rng.integers(5, 40)), int(rng.integers(1, 9))
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 2, size=d)
    w = np.where(rng.random(d) < 0.5, 0.0, rng.normal(scale=2, size=d))
    y = X @ w + rng.normal(scale=0.3, size=n)
    lipschitz = np.linalg.norm(X, 2) ** 2 / n
    lr = float(rng.uniform(0.3, 1.0) / lipschitz)
    return Case((X, y, float(10 ** rng.uniform(-2, 0.3)), lr, int(rng.integers(1, 60)) if n_steps is None else n_steps))


def dropout_case(rng, training=True):
    """A random array of 1 to 3 dimensions, a dropout rate and the Generator's seed."""
    shape = tuple(int(s) for s in rng.integers(1, 7, size=int(rng.integers(1, 4))))
    return Case((rng.normal(size=shape), float(rng.choice([0.1, 0.25, 0.5, 0.8, float(rng.uniform(0, 1))]))),
                {"seed": int(rng.integers(0, 10_000)), "training": training})


def early_stopping_case(rng, n_train=None, d=None, patience=None, max_epochs=None, start="zero", lr_scale=0.5):
    """Linear regression that over-fits: fewer noisy training rows than features, a larger
    validation set from the same model, a stable rate (``lr_scale`` / L, L the gradient's
    Lipschitz constant), a patience and a limit."""
    n_train = int(rng.integers(8, 16)) if n_train is None else n_train
    d = int(rng.integers(n_train + 2, n_train + 10)) if d is None else d
    w_true = rng.normal(size=d) / np.sqrt(d)
    X_train, X_val = rng.normal(size=(n_train, d)), rng.normal(size=(60, d))
    y_train = X_train @ w_true + rng.normal(scale=0.8, size=n_train)
    y_val = X_val @ w_true + rng.normal(scale=0.8, size=60)
    lr = float(lr_scale / (2 * np.linalg.norm(X_train, 2) ** 2 / n_train))
    w0 = np.zeros(d) if start == "zero" else w_true + rng.normal(scale=0.01, size=d)
    return Case((w0, X_train, y_train, X_val, y_val, lr,
                 int(rng.integers(50, 400)) if max_epochs is None else max_epochs,
                 int(rng.integers(1, 15)) if patience is None else patience))


def early_stopping_data():
    """The data of the chapter's early-stopping demo (a case of the visible check)."""
    return early_stopping_case(np.random.default_rng(2), n_train=12, d=20, patience=20, max_epochs=400,
                               lr_scale=0.1).args


def bagging_case(rng):
    """Noisy 1-D or 2-D regression points, test points, a model to bag, k and the Generator's seed."""
    n, d = int(rng.integers(3, 30)), int(rng.integers(1, 3))
    X = rng.uniform(-1, 1, size=(n, d))
    y = np.sin(3 * X[:, 0]) + rng.normal(scale=0.3, size=n)
    fit = nearest_neighbour if rng.random() < 0.5 else line_fit_predict
    return Case((fit, X, y, rng.uniform(-1, 1, size=(int(rng.integers(1, 20)), d)), int(rng.integers(1, 25))),
                {"seed": int(rng.integers(0, 10_000))})


# -- exercise 1: bias and variance, measured ------------------------------------------------------


def _bias_variance_hint(got, case, seed):
    """Name the mistake that reproduces ``got`` (bias², variance), or give the recipe."""
    f, x_train, x_test, degrees, noise_std, n_datasets = case.args
    from dlcourse.bias_variance import polynomial_fit_predict

    def predictions(per_degree_draws):
        rng = np.random.default_rng(seed)
        clean = f(x_train)
        shared = None if per_degree_draws else [clean + noise_std * rng.standard_normal(len(x_train))
                                                for _ in range(n_datasets)]
        out = []
        for d in degrees:
            ys = shared or [clean + noise_std * rng.standard_normal(len(x_train)) for _ in range(n_datasets)]
            out.append(np.array([polynomial_fit_predict(x_train, y, x_test, d) for y in ys]))
        return out

    bias2, variance = np.asarray(got[0], dtype=np.float64), np.asarray(got[1], dtype=np.float64)
    shared = predictions(False)
    f_test = f(x_test)
    if not np.allclose(bias2, [np.mean((p.mean(0) - f_test) ** 2) for p in shared], rtol=1e-6, atol=1e-9):
        if np.allclose(bias2, [np.mean(p.mean(0) - f_test) ** 2 for p in shared], rtol=1e-6, atol=1e-9):
            return ("square the bias at each test input, then average over the inputs: "
                    "mean_x (E_r f_hat(x) - f(x))**2, not (mean_x (E_r f_hat(x) - f(x)))**2")
        if np.allclose(bias2, [np.mean((p - f_test) ** 2) for p in shared], rtol=1e-6, atol=1e-9):
            return ("that is the mean squared error against f, bias² + variance: the bias uses the average "
                    "prediction E_r f_hat(x) over the training sets, before squaring")
    if not np.allclose(variance, [np.mean((p - p.mean(0)) ** 2) for p in shared], rtol=1e-6, atol=1e-9):
        if np.allclose(variance, [np.mean(np.var(p, axis=0, ddof=1)) for p in shared], rtol=1e-6, atol=1e-9):
            return "the variance here divides by R (ddof = 0), the number of training sets, not by R - 1"
        if np.allclose(variance, [np.var(p) for p in shared], rtol=1e-6, atol=1e-9):
            return ("take the variance over the training sets at each test input (axis 0), then average over the "
                    "inputs; np.var of all the predictions together also counts how f_hat varies along x")
    separate = predictions(True)
    if np.allclose(bias2, [np.mean((p.mean(0) - f_test) ** 2) for p in separate], rtol=1e-6, atol=1e-9) and \
            np.allclose(variance, [np.mean((p - p.mean(0)) ** 2) for p in separate], rtol=1e-6, atol=1e-9):
        return ("draw the n_datasets training sets once, before the loop over the degrees, and fit every degree "
                "on the same sets (each degree drawing its own sets gives other numbers)")
    return ("training set r is y_r = f(x_train) + noise_std * rng.standard_normal(N), drawn for r = 0 ... R-1 "
            "with no other call on rng; fit each degree by least squares on every y_r (np.polyfit), predict at "
            "x_test; bias² = mean over x_test of (mean_r f_hat_r - f)**2, variance = mean over x_test of "
            "mean_r (f_hat_r - mean_r f_hat_r)**2")


def bias_variance(student, hidden=False):
    """Exercise 1: ``bias_variance(f, x_train, x_test, degrees, noise_std, n_datasets, rng)
    -> (bias2, variance)``, two float arrays of shape (len(degrees),)."""
    grid, test = np.linspace(-1, 1, 15), np.linspace(-0.9, 0.9, 10)
    cases = [
        Case((wave, grid, test, [0, 1, 3, 5, 9], 0.3, 50), {"seed": 0},
             label="f = sin(pi x), 15 points, degrees 0 to 9, 50 training sets"),
        Case((wave, grid, test, [3], 0.0, 4), {"seed": 1}, label="no noise: the variance is 0"),
        Case((np.cos, grid[::2], test, [0, 2], 1.0, 2), {"seed": 2}, label="two training sets only, f = cos"),
        Case((wave, grid, np.array([0.25]), [1, 7], 0.5, 30), {"seed": 3}, label="a single test input"),
    ]
    cases += random_cases(91, 3, bias_variance_case)
    if hidden:
        cases += hidden_part("bias_variance")
    for case in cases:
        seed = case.kwargs["seed"]
        shown = _generator_shown(case, seed, 6)
        got, noise = call_student(student, *case.args, np.random.default_rng(seed), name="bias_variance",
                                  case=shown, forbidden=_references(), keeps_inputs=True,
                                  arg_names=("f", "x_train", "x_test"))
        expected = _ref_bias_variance(*case.args, np.random.default_rng(seed))
        got = _pair(got, "bias_variance", shown, "bias2, variance")
        wrong = not (_close(got[0], expected[0], 1e-6, 1e-9) and _close(got[1], expected[1], 1e-6, 1e-9))
        hint = _bias_variance_hint(got, case, seed) if wrong and all(
            np.shape(g) == e.shape for g, e in zip(got, expected)) else None
        for index, name in enumerate(("bias2", "variance")):
            expect_close(got[index], expected[index], f"{name} returned by `bias_variance`", shown,
                         rtol=1e-6, atol=1e-9, noise=noise,
                         hint=hint or "return two arrays, one value per degree, in the order of `degrees`")
    print(f"\u2713 bias_variance: all {len(cases)} cases pass")


# -- exercise 2: the lasso by ISTA ------------------------------------------------------------------


def _lasso_hint(got, case):
    X, y, lam, lr, n_steps = case.args
    variants = [
        (dict(threshold_scale=1 / lr), "the threshold of each step is lr * lam (the step size times λ), not lam"),
        (dict(grad_scale=len(X)), "the gradient of (1/(2N)) ||X w - y||² is X.T @ (X w - y) / N: divide by N"),
        (dict(grad_scale=2.0), "the objective has 1/(2N), so its gradient is X.T @ (X w - y) / N, without a 2"),
        (dict(threshold_scale=0.0), "no weight was shrunk: after each gradient step apply the soft threshold "
                                    "sign(v) * max(|v| - lr * lam, 0) (a subgradient term lam * sign(w) does "
                                    "nothing at w = 0 and never lands a weight on 0)"),
        (dict(hard=True), "that is hard thresholding (keep v or set 0); soft thresholding also shrinks what it "
                          "keeps: sign(v) * max(|v| - lr * lam, 0)"),
    ]
    for switches, hint in variants:
        if _close(got, _ista(X, y, lam, lr, n_steps, **switches), 1e-9, 1e-12):
            return hint
    expected = _ista(X, y, lam, lr, n_steps)
    got = np.asarray(got, dtype=np.float64)
    if np.any(expected == 0) and not np.any(got == 0):
        return ("the lasso's answer has weights that are exactly 0, yours has none: a subgradient step cannot "
                "land on 0, the soft threshold sets |v| <= lr * lam to exactly 0")
    return ("start from w = 0 and repeat n_steps times: v = w - lr * X.T @ (X @ w - y) / N, then "
            "w = sign(v) * max(|v| - lr * lam, 0)")


def lasso_ista(student, hidden=False):
    """Exercise 2: ``lasso_ista(X, y, lam, lr, n_steps) -> w`` of shape (d,).

    Besides the step-by-step comparison with the reference, one case runs long enough to converge
    and is compared with scikit-learn's ``Lasso(alpha=lam, fit_intercept=False)``: the same weights
    (to 1e-6) and the same weights exactly 0."""
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, -1.0]])
    y = np.array([1.0, 0.1, 1.2, 2.1])
    cases = [
        Case((X, y, 0.3, 0.3, 1), label="one step from w = 0: the second weight lands on 0"),
        Case((X, y, 0.1, 0.3, 25), label="25 steps"),
        Case((X, y, 0.0, 0.3, 40), label="lam = 0: gradient descent on the squared error"),
        Case((X, y, 5.0, 0.3, 10), label="a lam so large that every weight is 0"),
    ]
    cases += random_cases(92, 4, lasso_case)
    if hidden:
        cases += hidden_part("lasso_ista")
    hint_missing = "return the weights as an array of shape (d,), one per column of X"
    for case in cases:
        got, noise = call_student(student, *case.args, name="lasso_ista", case=case, forbidden=_references(),
                                  keeps_inputs=True, arg_names=("X", "y"))
        expected = _ref_lasso_ista(*case.args)
        hint = _lasso_hint(got, case) if np.shape(got) == expected.shape and not _close(got, expected, 1e-9, 1e-12) \
            else hint_missing
        expect_close(got, expected, "`lasso_ista`", case, rtol=1e-9, atol=1e-12, hint=hint, noise=noise)
    rng = np.random.default_rng(93)
    X_long = rng.normal(size=(50, 8))
    y_long = X_long @ np.array([2.0, 0, 0, -1.5, 0, 0.5, 0, 0]) + 0.2 * rng.normal(size=50)
    lr = float(1 / (np.linalg.norm(X_long, 2) ** 2 / 50))
    case = Case((X_long, y_long, 0.2, lr, 4000), label="4000 steps on 50 rows, 8 features, 3 of them in the model")
    got, noise = call_student(student, *case.args, name="lasso_ista", case=case, forbidden=_references(),
                              keeps_inputs=True, arg_names=("X", "y"))
    sklearn_w = _sklearn_lasso_once(X_long, y_long, 0.2)
    expect_close(got, sklearn_w, "`lasso_ista` after convergence, against scikit-learn's Lasso", case,
                 rtol=0, atol=1e-6, noise=noise, hint="scikit-learn minimises (1/(2N)) ||X w - y||² + alpha ||w||₁")
    zeros_got = np.asarray(got, dtype=np.float64) == 0
    if not np.array_equal(zeros_got, sklearn_w == 0):
        raise CheckFailure(f"`lasso_ista` after convergence has its zero weights at {np.flatnonzero(zeros_got)}, "
                           f"scikit-learn's Lasso at {np.flatnonzero(sklearn_w == 0)}\n  input: {case.describe()}"
                           "\n  hint: a weight the lasso drops must be exactly 0.0 (the soft threshold makes it so)")
    print(f"\u2713 lasso_ista: all {len(cases) + 1} cases pass, the last one equal to scikit-learn's Lasso "
          f"with the same {int(zeros_got.sum())} weights at 0")


# -- exercise 5: inverted dropout ---------------------------------------------------------------------


def _dropout_cases(hidden):
    x = np.arange(1.0, 13.0).reshape(3, 4)
    cases = [
        Case((x, 0.5), {"seed": 0, "training": True}, label="a (3, 4) batch, p = 0.5"),
        Case((x, 0.2), {"seed": 1, "training": True}, label="p = 0.2: the kept values are scaled by 1.25"),
        Case((x, 0.5), {"seed": 0, "training": False}, label="evaluation: nothing is dropped or scaled"),
        Case((x[0], 0.0), {"seed": 2, "training": True}, label="p = 0: nothing dropped"),
        Case((x, 1.0), {"seed": 3, "training": True}, label="p = 1: everything dropped, no division by 0"),
        Case((np.ones((2, 3, 4)), 0.75), {"seed": 4, "training": True}, label="a 3-D array, p = 0.75"),
    ]
    cases += random_cases(95, 3, dropout_case)
    if hidden:
        cases += hidden_part("dropout")
    return cases


def _dropout_forward_hint(out, mask, case, seed):
    x, p = case.args
    if not case.kwargs["training"]:
        return "in evaluation mode return a copy of x and a mask of all True, without drawing from rng"
    keep = np.random.default_rng(seed).random(np.shape(x)) >= p
    out = np.asarray(out, dtype=np.float64)
    if p < 1 and _close(out, x * keep * (1 - p)):
        return "that is dropout scaled at test time; inverted dropout divides the kept values by 1 - p in training"
    if p < 1 and _close(out, x * keep):
        return "divide the kept values by the keep probability 1 - p (inverted dropout), so E[out] = x"
    if 0 < p < 1 and _close(out, x * ~keep / p):
        return "rng.random(x.shape) >= p marks the units to KEEP (each is kept with probability 1 - p)"
    return ("draw keep = rng.random(x.shape) >= p (one call, nothing else drawn), return "
            "(x * keep / (1 - p), keep); for p = 1 return zeros and an all-False mask")


def dropout(forward, backward, hidden=False):
    """Exercise 5: ``dropout_forward(x, p, rng, training=True) -> (out, mask)`` and
    ``dropout_backward(grad, mask, p) -> grad_x``; one point each (partial credit)."""
    cases = _dropout_cases(hidden)

    def forward_part():
        for case in cases:
            seed, training = case.kwargs["seed"], case.kwargs["training"]
            shown = Case(case.args + (f"np.random.default_rng({seed})",), {"training": training}, label=case.label)
            got, noise = call_student(forward, *case.args, np.random.default_rng(seed), training=training,
                                      name="dropout_forward", case=shown, forbidden=_references(),
                                      keeps_inputs=True, arg_names=("x",))
            out, mask = _ref_dropout_forward(*case.args, np.random.default_rng(seed), training)
            got = _pair(got, "dropout_forward", shown, "out, mask")
            hint = None if _close(got[0], out) else _dropout_forward_hint(got[0], got[1], case, seed)
            expect_close(got[0], out, "the output of `dropout_forward`", shown, hint=hint, noise=noise)
            expect_close(got[1], mask, "the mask returned by `dropout_forward`", shown, noise=noise,
                         hint="the mask is the boolean array keep = rng.random(x.shape) >= p (True where kept); "
                              "all True in evaluation mode and for p = 0, all False for p = 1")

    def backward_part():
        for case in cases:
            x, p = case.args
            seed, training = case.kwargs["seed"], case.kwargs["training"]
            _, mask = _ref_dropout_forward(x, p, np.random.default_rng(seed), training)
            grad = np.random.default_rng(seed + 1).normal(size=np.shape(x))
            shown = Case((grad, mask, p), label=case.label + ", backward")
            got, noise = call_student(backward, grad, mask, p, name="dropout_backward", case=shown,
                                      forbidden=_references(), keeps_inputs=True, arg_names=("grad", "mask"))
            expected = _ref_dropout_backward(grad, mask, p)
            hint = ("the forward pass multiplied x by mask / (1 - p), so the gradient is grad * mask / (1 - p); "
                    "for p = 1 it is all zeros")
            if p < 1 and _close(got, grad * mask):
                hint = "the kept units were scaled by 1 / (1 - p) on the way forward: scale their gradient too"
            expect_close(got, expected, "`dropout_backward`", shown, hint=hint, noise=noise)

    return graded_parts([Part(f"dropout_forward on {len(cases)} cases", 1, forward_part),
                         Part(f"dropout_backward on {len(cases)} cases", 1, backward_part)])


# -- exercise 3: early stopping with patience -----------------------------------------------------------


def _early_stopping_cases(hidden):
    data = early_stopping_data()
    cases = [
        Case(data, label="the chapter's problem: 12 rows, 20 features, patience 20"),
        Case((*data[:7], 1), label="the same with patience 1"),
        Case((*data[:6], 8, 20), label="max_epochs 8: the limit comes before the patience runs out"),
        Case(early_stopping_case(np.random.default_rng(96), n_train=10, d=14, patience=4, max_epochs=300,
                                 start="truth").args,
             label="starting at the true weights: training only makes the validation loss worse"),
    ]
    cases += random_cases(97, 3, early_stopping_case)
    if hidden:
        cases += hidden_part("fit_early_stopping")
    return cases


def _unpack_early(got, case):
    __tracebackhide__ = True
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise CheckFailure("`fit_early_stopping` should return 3 values (best_w, best_epoch, history), got "
                           f"{str(got)[:200]}\n  input: {case.describe()}")
    best_epoch = got[1]
    if isinstance(best_epoch, (bool, np.bool_)) or not isinstance(best_epoch, (int, np.integer, float, np.floating)) \
            or float(best_epoch) != int(best_epoch):
        raise CheckFailure(f"`best_epoch` should be a whole number of epochs, got {best_epoch!r:.100}"
                           f"\n  input: {case.describe()}")
    return got[0], int(best_epoch), got[2]


def fit_early_stopping(student, hidden=False):
    """Exercise 3: ``fit_early_stopping(w0, X_train, y_train, X_val, y_val, lr, max_epochs, patience)
    -> (best_w, best_epoch, history)`` with history of shape (epochs_run + 1, 2)."""
    cases = _early_stopping_cases(hidden)
    for case in cases:
        got, noise = call_student(student, *case.args, name="fit_early_stopping", case=case,
                                  forbidden=_references(), keeps_inputs=True,
                                  arg_names=("w0", "X_train", "y_train", "X_val", "y_val"))
        best_w, best_epoch, history = _unpack_early(got, case)
        want_w, want_epoch, want_history = _ref_fit_early_stopping(*case.args)
        patience, epochs_run = case.args[7], len(want_history) - 1
        shape = np.shape(history)
        if len(shape) == 2 and shape[1] == 2 and shape[0] != want_history.shape[0]:
            got_run = shape[0] - 1
            if _close(np.asarray(history)[: min(shape[0], len(want_history))],
                      want_history[: min(shape[0], len(want_history))]):
                hint = (f"training ran {got_run} epochs, the reference {epochs_run}: stop after the epoch at which "
                        f"`patience` = {patience} epochs in a row have passed without a strictly lower validation "
                        "loss than the best so far (or at max_epochs)")
            elif _close(np.asarray(history)[:1], want_history[1:2]):
                hint = "row 0 of the history holds the losses of w0, before the first step"
            else:
                hint = "one row per epoch, plus row 0 for w0: history has shape (epochs_run + 1, 2)"
            expect_close(history, want_history, "the history returned by `fit_early_stopping`", case, hint=hint,
                         noise=noise)
        swapped = np.asarray(history, dtype=np.float64)[:, ::-1] if len(shape) == 2 and shape[1] == 2 else None
        expect_close(history, want_history, "the history returned by `fit_early_stopping`", case, noise=noise,
                     hint="you wrote the columns the other way round: [training loss, validation loss]"
                     if swapped is not None and _close(swapped, want_history) else
                     "each row is [training MSE, validation MSE] of the weights after that epoch's step, "
                     "MSE = mean((X @ w - y)**2); a step is w <- w - lr * 2 X_train.T (X_train w - y_train) / N")
        if best_epoch != want_epoch:
            hint = ("best_epoch is the epoch of the lowest validation loss (0 if it is w0's), the first one if "
                    "several tie")
            if best_epoch == epochs_run:
                hint = "that is the last epoch run; return the epoch whose validation loss was lowest"
            raise CheckFailure(f"`best_epoch` is wrong: expected {want_epoch}, got {best_epoch}"
                               f"\n  input: {case.describe()}\n  hint: {hint}")
        hint = ("return the weights of the best epoch, restored: keep a copy (w.copy()) when the validation loss "
                "improves")
        if epochs_run != want_epoch:
            last = np.array(case.args[0], dtype=np.float64)
            X, y, lr = case.args[1], case.args[2], case.args[5]
            for _ in range(epochs_run):
                last = last - lr * 2 * X.T @ (X @ last - y) / len(X)
            if _close(best_w, last):
                hint = ("those are the weights of the last epoch: restore the best ones; if you saved them with "
                        "best_w = w, an in-place update (w -= ...) changed them too: save w.copy()")
        expect_close(best_w, want_w, "the best weights returned by `fit_early_stopping`", case, hint=hint,
                     noise=noise)
    print(f"\u2713 fit_early_stopping: all {len(cases)} cases pass")


# -- exercise 4: bagging ---------------------------------------------------------------------------------


def _bagging_hint(got, case, seed):
    fit, X, y, X_test, k = case.args
    n = len(X)
    whole = fit(X, y, X_test)
    rng = np.random.default_rng(seed)
    perms = [rng.permutation(n) for _ in range(k)]
    if _close(got, np.mean([fit(X[i], y[i], X_test) for i in perms], axis=0)) or _close(got, whole):
        return ("that is what one model fit on all the data predicts: a bootstrap sample draws N indices with "
                "replacement, rng.integers(0, N, size=N) (not a permutation), and one model is fit per sample")
    rng = np.random.default_rng(seed)
    drawn = [rng.integers(0, n, size=n) for _ in range(k)]
    preds = np.array([fit(X[i], y[i], X_test) for i in drawn])
    if _close(got, np.median(preds, axis=0)):
        return "average the models' predictions (the mean), not their median"
    if _close(got, preds[-1]):
        return "that is the last model's prediction: average the predictions of all n_models models"
    return ("for b = 1 ... n_models: idx = rng.integers(0, N, size=N) (no other call on rng), "
            "pred_b = fit_predict(X[idx], y[idx], X_test); return the mean of the predictions over b")


def bagging_predict(student, hidden=False):
    """Exercise 4: ``bagging_predict(fit_predict, X, y, X_test, n_models, rng) -> (len(X_test),)``."""
    X = np.linspace(-1, 1, 8)[:, None]
    y = np.array([0.1, 0.5, -0.2, 0.9, 1.1, 0.3, -0.4, 0.0])
    X_test = np.array([[-0.8], [0.05], [0.7]])
    cases = [
        Case((nearest_neighbour, X, y, X_test, 1), {"seed": 0}, label="one bootstrap model, 1-nearest neighbour"),
        Case((line_fit_predict, X, y, X_test, 10), {"seed": 2}, label="10 bootstrap least-squares lines"),
        Case((nearest_neighbour, X, y, X_test, 20), {"seed": 1}, label="20 bootstrap models, 1-nearest neighbour"),
    ]
    cases += random_cases(98, 3, bagging_case)
    if hidden:
        cases += hidden_part("bagging_predict")
    for case in cases:
        seed = case.kwargs["seed"]
        shown = _generator_shown(case, seed, 5)
        with np.errstate(all="ignore"):
            got, noise = call_student(student, *case.args, np.random.default_rng(seed), name="bagging_predict",
                                      case=shown, forbidden=_references(), keeps_inputs=True,
                                      arg_names=("fit_predict", "X", "y", "X_test"))
            expected = _ref_bagging_predict(*case.args, np.random.default_rng(seed))
            hint = _bagging_hint(got, case, seed) if np.shape(got) == expected.shape and not _close(got, expected) \
                else "return the averaged predictions, one per row of X_test"
        expect_close(got, expected, "`bagging_predict`", shown, rtol=1e-9, atol=1e-12, hint=hint, noise=noise)
    print(f"\u2713 bagging_predict: all {len(cases)} cases pass")
