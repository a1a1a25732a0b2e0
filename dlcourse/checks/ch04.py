"""Checks for chapter 4, *Gradient descent*: a central-difference derivative,
gradient descent on a curve (the notes' x² examples), the notes' single-weight
update, feature standardisation, batch gradient descent for linear regression,
min-max scaling and PCA whitening, mini-batch gradient descent with a fixed
shuffling protocol, and mini-batch training with a validation split.

Every check takes the student's function and ``hidden=False``; the hidden
variant (run by the grader) adds the instructor's cases from
``solutions/ch04-gradient-descent/hidden_cases.py`` (see
:func:`dlcourse.checks.core.hidden`), which the release never contains. Values
are compared with the reference within a tolerance, so any correct way of
writing the computation passes. Where the student's function takes a
function (``f`` or ``grad``), the checks pass the small NumPy functions
defined below.

Conventions the reference computations follow (the notebook states them):

* numerical derivative: ``(f(x + h) - f(x - h)) / (2h)``;
* gradient descent: ``x_(k+1) = x_k - lr * grad(x_k)``, all iterates returned,
  ``x_0`` first;
* single weight: ``L(w) = (y - w x)^2``, ``dL/dw = -2 x (y - w x)``;
* standardisation per column with the population standard deviation
  (``ddof = 0``); a column whose std is at most ``CONSTANT_TOL`` times its
  largest absolute value (constant up to rounding) is centred and divided
  by 1; the input is not modified;
* linear regression: ``L(w, b) = mean((X w + b - y)^2)``, start at
  ``w = 0, b = 0``, both gradients taken at the current point;
* min-max scaling: ``low + (X - min) / (max - min) * (high - low)`` per
  column, a constant column divided by 1 (so it becomes ``low``);
* whitening: ``C = Xc^T Xc / m = U diag(lambda) U^T``, eigenvalues from largest
  to smallest, each eigenvector signed so that its entry of largest absolute
  value is positive, ``W = diag(1 / sqrt(lambda + eps)) U^T``, ``Z = Xc W^T``;
* mini-batch: ``order = rng.permutation(m)`` at the start of every epoch,
  batches ``order[0:B], order[B:2B], ...`` (the last may be smaller), the
  gradient of the mean squared error over the batch;
* validation split: ``order = rng.permutation(m)`` once, validation rows
  ``order[:n_val]``, then every epoch ``rng.permutation(m - n_val)`` over the
  training rows; losses on both parts after every epoch; the weights of the
  first epoch with the lowest validation loss.

Every check compares in float64; a float32 answer is named as such in the
failure (see :func:`dlcourse.checks.core.expect_close`).
"""

import copy

import numpy as np

from dlcourse.checks.core import (
    Case,
    CheckFailure,
    Part,
    call_student,
    check_function,
    expect_close,
    graded_parts,
    hidden as hidden_part,
    library_functions,
    random_cases,
)

__all__ = [
    "gradient_descent_1d",
    "linear_regression_gd",
    "minibatch_gd",
    "numerical_derivative",
    "scaling",
    "single_weight_step",
    "standardize",
    "train_validate",
]


# -- the functions the checks pass to the student's code ------------------------------


def _square(x):
    return x * x


def _square_grad(x):
    return 2 * x


def _half_square_grad(x):
    return x


def _cube(x):
    return x * x * x


def _double_well(x):
    return x**4 / 4 - x**3 / 3 - x * x


def _double_well_grad(x):
    return x**3 - x * x - 2 * x


def _sin(x):
    return np.sin(x)


def _exp(x):
    return np.exp(x)


def _log_cosh(x):
    return np.logaddexp(x, -x) - np.log(2.0)


def _log_cosh_grad(x):
    return np.tanh(x)


def _quartic_grad(x):
    return 4 * x**3


def _cos(x):
    return np.cos(x)


# -- reference computations ----------------------------------------------------------


def _ref_numerical_derivative(f, x, h=1e-5):
    x = np.asarray(x, dtype=np.float64)
    return (f(x + h) - f(x - h)) / (2 * h)


def _ref_gradient_descent_1d(grad, x0, lr, steps):
    xs = [float(x0)]
    for _ in range(steps):
        xs.append(xs[-1] - lr * float(grad(xs[-1])))
    return np.array(xs)


def _ref_single_weight_step(w, x, y, lr):
    gradient = -2.0 * x * (y - w * x)
    return gradient, w - lr * gradient


CONSTANT_TOL = 1e-10


def _ref_standardize(X):
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)
    std = X.std(axis=0)
    # [[0.1], [0.1], [0.1]] has std 1.4e-17, not 0: compare with the column's scale
    std = np.where(std <= CONSTANT_TOL * np.abs(X).max(axis=0), 1.0, std)
    return (X - mean) / std, mean, std


def _mse(X, y, w, b):
    r = X @ w + b - y
    return float(np.mean(r * r))


def _ref_linear_regression_gd(X, y, lr, epochs):
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    m, n = X.shape
    w, b = np.zeros(n), 0.0
    losses = [_mse(X, y, w, b)]
    for _ in range(epochs):
        r = X @ w + b - y
        grad_w, grad_b = 2.0 / m * (X.T @ r), 2.0 * np.mean(r)
        w, b = w - lr * grad_w, b - lr * grad_b
        losses.append(_mse(X, y, w, b))
    return w, b, np.array(losses)


def _ref_minibatch_gd(X, y, lr, epochs, batch_size, rng):
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    m, n = X.shape
    w, b = np.zeros(n), 0.0
    losses = [_mse(X, y, w, b)]
    for _ in range(epochs):
        order = rng.permutation(m)
        for start in range(0, m, batch_size):
            rows = order[start:start + batch_size]
            r = X[rows] @ w + b - y[rows]
            grad_w, grad_b = 2.0 / len(rows) * (X[rows].T @ r), 2.0 * np.mean(r)
            w, b = w - lr * grad_w, b - lr * grad_b
        losses.append(_mse(X, y, w, b))
    return w, b, np.array(losses)


def _own():
    return (_ref_numerical_derivative, _ref_gradient_descent_1d, _ref_single_weight_step, _ref_standardize,
            _ref_linear_regression_gd, _ref_minibatch_gd, _ref_min_max_scale, _ref_whiten, _ref_train_validate)


def _references():
    """This chapter's references plus the library's gradient descent: the
    finite differences of ``gradcheck``, the descent runner, SGD, the test
    functions (their gradients), the training loop, the linear models and the feature scalers."""
    return _own() + tuple(library_functions(
        "dlcourse.gradcheck", "dlcourse.descent.paths", "dlcourse.optim.sgd", "dlcourse.optim.optimizer",
        "dlcourse.optim.functional", "dlcourse.descent.objectives", "dlcourse.train", "dlcourse.linear_models",
        "dlcourse.nn.linear", "dlcourse.nn.loss", "dlcourse.functional.losses", "dlcourse.preprocessing"))


# -- exercise 1: a numerical derivative -------------------------------------------------

FUNCTIONS = (_square, _cube, _exp, _sin, _double_well, _log_cosh)
GRADIENTS = (_square_grad, _half_square_grad, _double_well_grad, _log_cosh_grad, _cos)


def numerical_derivative(student, hidden=False):
    """Exercise 1: ``numerical_derivative(f, x, h=1e-5)`` by central differences."""
    cases = [
        Case((_square, 3.0), label="f(x) = x^2 at x = 3 (slope 6)"),
        Case((_square, 0.0), label="f(x) = x^2 at its minimum x = 0 (slope 0)"),
        Case((_cube, np.array([-2.0, 0.5, 1.0, 4.0])), label="f(x) = x^3 on an array"),
        Case((_cube, 2.0), {"h": 0.1}, label="f(x) = x^3 with h = 0.1 (central difference: 12 + h^2)"),
        Case((_exp, np.array([-1.0, 0.0, 2.0])), label="f(x) = e^x"),
        Case((_sin, np.array([[0.0, np.pi / 2], [np.pi, 1.0]])), label="sin on a 2-D array"),
        Case((_double_well, np.array([-1.0, 0.0, 2.0, 0.7])),
             label="the double well at its stationary points and at 0.7"),
    ]
    cases += random_cases(41, 3, lambda rng: Case(
        (FUNCTIONS[int(rng.integers(0, len(FUNCTIONS)))], rng.uniform(-2, 2, size=int(rng.integers(1, 6)))),
        {"h": float(10 ** rng.uniform(-4, -2))}))
    if hidden:
        cases += hidden_part("numerical_derivative")
    check_function(student, _ref_numerical_derivative, cases, name="numerical_derivative",
                   forbidden=_references(), rtol=1e-7, atol=1e-8,
                   hint="use the central difference (f(x + h) - f(x - h)) / (2h) with the h you are given; "
                        "the one-sided (f(x + h) - f(x)) / h is off by about h f''(x) / 2, and f applies "
                        "elementwise, so x may be a whole array")


# -- exercise 2: gradient descent on a curve ---------------------------------------------


def descent_case(rng, start, max_lr, max_steps, bound=1e6):
    """A random (grad, x0, lr, steps) with |x0| < start and lr < max_lr whose iterates stay
    below ``bound`` in size (drawn again otherwise: a path that overflows tests nothing)."""
    while True:
        case = (GRADIENTS[int(rng.integers(0, len(GRADIENTS)))], float(rng.uniform(-start, start)),
                float(rng.uniform(0.01, max_lr)), int(rng.integers(1, max_steps)))
        with np.errstate(all="ignore"):
            try:
                path = _ref_gradient_descent_1d(*case)
            except OverflowError:
                continue
        if np.all(np.abs(path) < bound):
            return case


def gradient_descent_1d(student, hidden=False):
    """Exercise 2: ``gradient_descent_1d(grad, x0, lr, steps)`` returns all ``steps + 1`` iterates."""
    cases = [
        Case((_square_grad, 3.0, 0.1, 2), label="the hiker: x^2 from x = 3, lr = 0.1 (3 -> 2.4 -> 1.92)"),
        Case((_square_grad, -4.0, 0.8, 30),
             label="x^2 from x = -4, step size 0.8 (2.4, -1.44, 0.864, ..., x(30) = -8.84296e-07)"),
        Case((_half_square_grad, 3.0, 0.5, 6), label="the notes' x^2 / 2 (gradient x)"),
        Case((_double_well_grad, -2.0, 0.1, 25), label="the double well from x = -2"),
        Case((_square_grad, 1.0, 1.05, 12), label="lr = 1.05 on x^2: divergent"),
        Case((_square_grad, 2.5, 0.1, 0), label="zero steps: just x0"),
    ]
    cases += random_cases(51, 3, lambda rng: descent_case(rng, start=3.0, max_lr=0.4, max_steps=20))
    if hidden:
        cases += hidden_part("gradient_descent_1d")
    check_function(student, _ref_gradient_descent_1d, cases, name="gradient_descent_1d",
                   forbidden=_references(), rtol=1e-9, atol=1e-12,
                   hint="return a 1-D array of steps + 1 numbers, x0 first; each step is "
                        "x_new = x - lr * grad(x) (minus: downhill), using the gradient at the current x")


# -- exercise 3: the notes' single-weight step -------------------------------------------


def single_weight_step(student, hidden=False):
    """Exercise 3: ``single_weight_step(w, x, y, lr) -> (dL/dw, new w)`` for L = (y - w x)^2."""
    cases = [
        Case((2.0, 3.0, 10.0, 0.1), label="the notes: w = 2, x = 3, y = 10, lr = 0.1 (gradient -24, w = 4.4)"),
        Case((4.4, 3.0, 10.0, 0.1), label="the next step from w = 4.4"),
        Case((10.0 / 3.0, 3.0, 10.0, 0.1), label="already at the minimum w = y / x"),
        Case((1.0, -2.0, 4.0, 0.05), label="a negative input x"),
        Case((0.0, 0.0, 5.0, 0.1), label="x = 0: the weight has no effect, gradient 0"),
    ]
    cases += random_cases(61, 4, lambda rng: tuple(
        float(v) for v in (rng.normal(scale=3), rng.normal(scale=3), rng.normal(scale=10),
                           rng.uniform(0.001, 0.2))))
    if hidden:
        cases += hidden_part("single_weight_step")
    check_function(student, _ref_single_weight_step, cases, name="single_weight_step",
                   forbidden=_references(), rtol=1e-9, atol=1e-12,
                   hint="the chain rule gives dL/dw = 2 (y - w x) * (-x) = -2 x (y - w x); do not drop the "
                        "factor 2 or the minus sign, then w_new = w - lr * dL/dw. Return the pair "
                        "(gradient, new weight), in that order")


# -- exercise 4: standardisation -----------------------------------------------------------


def random_table(rng):
    """A random data matrix (2 to 29 rows, 1 to 4 columns) around a random mean and scale."""
    return (rng.normal(loc=rng.uniform(-100, 100), scale=rng.uniform(0.1, 50),
                       size=(int(rng.integers(2, 30)), int(rng.integers(1, 5)))),)


def standardize(student, hidden=False):
    """Exercise 4: ``standardize(X) -> (X_scaled, mean, std)`` column by column."""
    from dlcourse.datasets import house_prices, line_points

    houses, _ = house_prices()
    line_x, _ = line_points()
    cases = [
        Case((houses,), label="the notes' house table (area, bedrooms)"),
        Case((line_x,), label="one column, shape (5, 1)"),
        Case((np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]]),), label="a constant column (std 0: divide by 1)"),
        Case((np.array([[0.1, 1.0], [0.1, 2.0], [0.1, 4.0]]),),
             label="a column of 0.1s: np.std gives 1.4e-17, not 0, yet the column is constant"),
        Case((np.array([[1, 10], [3, 30], [5, 70], [7, 90]]),), label="integer input"),
    ]
    cases += random_cases(71, 3, random_table)
    if hidden:
        cases += hidden_part("standardize")
    check_function(student, _ref_standardize, cases, name="standardize", forbidden=_references(),
                   rtol=1e-9, atol=1e-12, keeps_inputs=True,
                   hint="work per column (axis=0) on a new array, leaving X as it is: mean and std each have "
                        "one value per column; use the population standard deviation (np.std's default "
                        "ddof=0, not ddof=1); where a column's std is at most 1e-10 times its largest "
                        "absolute value (constant up to rounding, so never test std == 0) use 1 instead "
                        "(and return that 1)")


# -- exercise 5: batch gradient descent for linear regression --------------------------------


def regression_data(rng, m=None, n=None, scale=1.0):
    """Random (X, y) with y linear in X plus noise; m samples and n features (random if None)."""
    m = int(rng.integers(5, 40)) if m is None else m
    n = int(rng.integers(1, 5)) if n is None else n
    X = rng.normal(scale=scale, size=(m, n))
    y = X @ rng.normal(scale=2.0, size=n) + rng.normal(scale=3.0) + rng.normal(scale=0.3, size=m)
    return X, y


def linear_regression_gd(student, hidden=False):
    """Exercise 5: ``linear_regression_gd(X, y, lr, epochs) -> (w, b, losses)``."""
    from dlcourse.datasets import house_prices, line_points

    houses, price = house_prices()
    scaled = _ref_standardize(houses)[0]
    line_x, line_y = line_points()
    cases = [
        Case((scaled, price, 0.1, 100), label="the house table, standardised, lr = 0.1, 100 epochs"),
        Case((line_x, line_y, 0.01, 50), label="the notes' five points on y = 0.5 x - 1.5, lr = 0.01"),
        Case((scaled, price, 0.3, 0), label="zero epochs: w = 0, b = 0 and one loss"),
        Case((np.array([[1.0], [2.0]]), np.array([3.0, 5.0]), 0.2, 3), label="two points, three epochs"),
    ]
    cases += random_cases(81, 3, lambda rng: (
        *regression_data(rng), float(rng.uniform(0.01, 0.2)), int(rng.integers(1, 60))))
    if hidden:
        cases += hidden_part("linear_regression_gd")
    check_function(student, _ref_linear_regression_gd, cases, name="linear_regression_gd",
                   forbidden=_references(), rtol=1e-7, atol=1e-9, keeps_inputs=True,
                   hint="start from w = 0 (one weight per column of X) and b = 0; with r = X w + b - y the "
                        "gradients are dL/dw = (2/m) X^T r and dL/db = (2/m) sum(r) (mind the 2 and the mean); "
                        "compute both at the current (w, b) before changing either; losses holds epochs + 1 "
                        "values, the loss before training first")


# -- exercise 7: mini-batch gradient descent -------------------------------------------------


def gen(seed):
    """The shuffling Generator handed to the student's ``minibatch_gd``."""
    return np.random.default_rng(seed)


def full_batch_case(rng):
    """12 random samples in one batch of 12, for 1 to 14 epochs."""
    return (*regression_data(rng, m=12), 0.05, int(rng.integers(1, 15)), 12, gen(int(rng.integers(100))))


def stochastic_case(rng):
    """3 to 19 random samples, batch_size = 1, for 1 to 5 epochs."""
    return (*regression_data(rng, m=int(rng.integers(3, 20))), 0.02, int(rng.integers(1, 6)), 1,
            gen(int(rng.integers(100))))


def minibatch_case(rng):
    """10 to 49 random samples in batches of 2 to 8, for 1 to 7 epochs."""
    return (*regression_data(rng, m=int(rng.integers(10, 50))), float(rng.uniform(0.01, 0.05)),
            int(rng.integers(1, 8)), int(rng.integers(2, 9)), gen(int(rng.integers(100))))


def minibatch_gd(student, hidden=False):
    """Exercise 7: ``minibatch_gd(X, y, lr, epochs, batch_size, rng) -> (w, b, losses)`` (partial credit).

    The hidden part gives ``{"full_batch", "stochastic", "general"}``: the cases each part adds."""
    from dlcourse.datasets import house_prices

    houses, price = house_prices()
    scaled = _ref_standardize(houses)[0]
    refs = _references()
    hint = ("at the start of every epoch draw order = rng.permutation(m) (once per epoch, from the rng "
            "you are given, and no other random numbers); take the batches order[0:B], order[B:2B], ... "
            "with a smaller last batch when B does not divide m; for each batch use the gradient of the "
            "MEAN squared error over the rows of that batch (divide by its own size) and update w and b "
            "at once; record the loss on the whole training set after each epoch")

    more = hidden_part("minibatch_gd") if hidden else {}

    def run(cases):
        check_function(student, _ref_minibatch_gd, cases, name="minibatch_gd", forbidden=refs,
                       rtol=1e-7, atol=1e-9, hint=hint, keeps_inputs=True)

    def full_batch():
        cases = [
            Case((scaled, price, 0.1, 20, 6, gen(1)), label="the house table, batch_size = m = 6"),
            Case((scaled, price, 0.1, 5, 100, gen(2)), label="batch_size = 100 > m: still one batch"),
        ]
        cases += random_cases(91, 2, full_batch_case)
        run(cases + more.get("full_batch", []))

    def stochastic():
        cases = [
            Case((scaled, price, 0.02, 3, 1, gen(3)), label="the house table, batch_size = 1, 3 epochs"),
        ]
        cases += random_cases(93, 2, stochastic_case)
        run(cases + more.get("stochastic", []))

    def general():
        cases = [
            Case((scaled, price, 0.05, 4, 4, gen(4)), label="the house table, batch_size = 4 (batches of 4 and 2)"),
            Case((scaled, price, 0.05, 4, 3, gen(5)), label="the house table, batch_size = 3"),
        ]
        cases += random_cases(95, 3, minibatch_case)
        run(cases + more.get("general", []))

    return graded_parts([
        Part("batch_size >= m is batch gradient descent", 1, full_batch),
        Part("batch_size = 1 is stochastic gradient descent", 1, stochastic),
        Part("mini-batches, the last one possibly smaller", 1, general),
    ])


# -- answers first, comparisons after, and hints that name the slip --------------------------


def _answers(student, cases, name, arg_names):
    """``[(case, failure, result)]``: the student's answer on every case, each input left as it was.

    Every call is made before anything is compared, so that the grader, which replays the
    calls of the answer key in order, sees the same calls whatever the answers are."""
    found = []
    for case in cases:
        try:
            result, _ = call_student(student, *case.args, name=name, case=case, forbidden=_references(),
                                     keeps_inputs=True, arg_names=arg_names, **case.kwargs)
        except CheckFailure as failure:
            found.append((case, failure, None))
        else:
            found.append((case, None, result))
    return found


def _values(result, count, name, case):
    """The ``count`` values of a returned tuple, or a CheckFailure saying what came back."""
    if not isinstance(result, (tuple, list)) or len(result) != count:
        raise CheckFailure(f"`{name}` should return {count} values (a tuple), got {_short_value(result)}"
                           f"\n  input: {case.describe()}")
    return tuple(result)


def _short_value(value):
    from dlcourse.checks.core import _short

    return _short(value)


def _matches(got, wrong):
    """Whether the returned ``got`` equals the value ``wrong`` a slip would give."""
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    wrong = np.asarray(wrong, dtype=np.float64)
    return got.shape == wrong.shape and bool(np.all(np.isclose(got, wrong, rtol=1e-6, atol=1e-9)
                                                    | (np.isnan(got) & np.isnan(wrong))))


def _slip_hint(got, slips, general):
    """The hints of the slips whose value ``got`` matches (``slips``: ``[(value, hint)]``), or ``general``."""
    found = [hint for wrong, hint in slips if _matches(got, wrong)]
    return "; or: ".join(dict.fromkeys(found)) if found else general


def _compare_values(answers, reference, name, count, picks, what, slips, general, rtol, atol):
    """A part's ``run``: values ``picks`` (indices into the returned tuple) of every answer against the
    reference; the first difference raised with the hint of the slip it matches. ``slips(case, index)``
    gives ``[(value, hint)]`` for value ``index`` of that case."""

    def run():
        for case, failure, result in answers:
            if failure is not None:
                unfinished = "not implemented yet" in str(failure)
                raise CheckFailure(f"{failure}" + ("" if unfinished else f"\n  hint: {general}")) from None
            got = _values(result, count, name, case)
            with np.errstate(all="ignore"):
                expected = reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
            for index in picks:
                try:
                    expect_close(got[index], expected[index], f"{what[index]} (value {index + 1} returned by "
                                 f"`{name}`)", case, rtol=rtol, atol=atol)
                except CheckFailure as failure:
                    with np.errstate(all="ignore"):
                        hint = _slip_hint(got[index], slips(case, index), general)
                    raise CheckFailure(f"{failure}\n  hint: {hint}") from None
        print(f"\u2713 {name}: {', '.join(what[i] for i in picks)} right in all {len(answers)} cases")

    return run


# -- exercise 6: min-max scaling and whitening ---------------------------------------------------

#: the whitening epsilon of the spec, added to every eigenvalue under the square root
WHITEN_EPS = 1e-5


def _ref_min_max_scale(X, low=0.0, high=1.0, *, per_column=True, shift=True):
    """``low + (X - min) / (max - min) * (high - low)`` per column; a constant column maps to ``low``.
    The flags give the typical slips: one min and max for the whole array, no shift by ``low``."""
    X = np.asarray(X, dtype=np.float64)
    col_min = X.min(axis=0) if per_column else np.full(X.shape[1], X.min())
    col_max = X.max(axis=0) if per_column else np.full(X.shape[1], X.max())
    span = np.where(col_max > col_min, col_max - col_min, 1.0)
    scaled = (X - col_min) / span * (high - low) + (low if shift else 0.0)
    return scaled, col_min, col_max


def _ref_whiten(X, eps=WHITEN_EPS, *, ddof=0, descending=True, fix_signs=True, eps_inside=True):
    """PCA whitening ``Z = (X - mean) @ W.T`` with ``W = diag(1 / sqrt(lambda + eps)) U^T``.

    ``C = (X - mean)^T (X - mean) / m = U diag(lambda) U^T``; the eigenvalues in decreasing order,
    each eigenvector (a column of ``U``, a row of ``W``) signed so that its entry of largest absolute
    value is positive. The flags give the typical slips."""
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(axis=0)
    centred = X - mean
    cov = centred.T @ centred / (len(X) - ddof)
    eigenvalues, U = np.linalg.eigh(cov)                  # ascending
    if descending:
        eigenvalues, U = eigenvalues[::-1], U[:, ::-1]
    if fix_signs:
        largest = np.argmax(np.abs(U), axis=0)
        U = U * np.sign(U[largest, np.arange(U.shape[1])])
    scale = 1.0 / np.sqrt(eigenvalues + eps) if eps_inside else 1.0 / (np.sqrt(eigenvalues) + eps)
    W = scale[:, None] * U.T
    return centred @ W.T, mean, W


def correlated_table(rng, m=None, n=None):
    """``m`` samples of ``n`` correlated features (a random mixing of independent ones, shifted and
    scaled), whose covariance has well separated eigenvalues."""
    m = int(rng.integers(8, 40)) if m is None else m
    n = int(rng.integers(2, 5)) if n is None else n
    while True:
        mixing = rng.normal(size=(n, n)) * rng.uniform(0.5, 20, size=n)
        X = rng.normal(size=(m, n)) @ mixing + rng.uniform(-50, 50, size=n)
        eigenvalues = np.linalg.eigvalsh(np.cov(X.T, bias=True).reshape(n, n))
        gaps = np.diff(eigenvalues) / eigenvalues[-1]
        if eigenvalues[0] > 1e-6 * eigenvalues[-1] and (n == 1 or gaps.min() > 0.05):
            return X


def min_max_case(rng):
    X = correlated_table(rng, n=int(rng.integers(1, 5)))
    low = float(rng.uniform(-3, 1))
    return Case((X,), {"low": low, "high": low + float(rng.uniform(0.5, 4))})


MIN_MAX_HINT = ("work per column (axis=0): X_scaled = low + (X - min) / (max - min) * (high - low), with the "
                "column's own min and max; a constant column (max == min) becomes low; X may be a list of rows "
                "(np.asarray(X, dtype=float) first); return (X_scaled, col_min, col_max), float64")


def _min_max_slips(case, index):
    X = case.args[0]
    low, high = case.kwargs.get("low", 0.0), case.kwargs.get("high", 1.0)
    slips = [(_ref_min_max_scale(X, low, high, per_column=False)[index],
              "the min and max are per column (axis=0), not of the whole array"),
             (_ref_min_max_scale(X, low, high, shift=False)[index],
              "after scaling to [0, high - low], add low: the result must lie in [low, high]")]
    if index == 0:
        with np.errstate(all="ignore"):
            raw = np.asarray(X, dtype=np.float64)
            span = raw.max(axis=0) - raw.min(axis=0)
            slips.append((low + (raw - raw.min(axis=0)) / span * (high - low),
                          "a constant column (max == min) has no range to divide by: divide by 1 instead, "
                          "so that it becomes low"))
            slips.append(((raw - raw.min(axis=0)) / np.where(span > 0, span, 1.0),
                          "this is [0, 1]: stretch to [low, high] with low + (...) * (high - low)"))
    return slips


#: the typical slips of ``whiten`` (keyword flags of ``_ref_whiten``) and what each one's hint says
_WHITEN_SLIPS = (
    ("ddof", 1, "the covariance divides by m (np.cov divides by m - 1 unless bias=True): "
                "C = (X - mean)^T (X - mean) / m"),
    ("descending", False, "np.linalg.eigh returns the eigenvalues in increasing order: reverse them (and the "
                          "eigenvectors' columns) so that column 0 of Z has the largest variance"),
    ("fix_signs", False, "an eigenvector's sign is arbitrary: flip each one so that its entry of largest "
                         "absolute value is positive"),
    ("eps", 0.0, "add eps to every eigenvalue under the square root: 1 / sqrt(lambda + eps)"),
    ("eps_inside", False, "eps goes under the square root: 1 / sqrt(lambda + eps), not 1 / (sqrt(lambda) + eps)"),
)


def _whiten_slips(case, index):
    """Every combination of the typical slips, each with the hints of the slips it makes (a whitening
    can get the covariance, the order and the signs wrong at once)."""
    import itertools

    X = case.args[0]
    eps = case.kwargs.get("eps", WHITEN_EPS)
    slips = []
    for chosen in itertools.product((False, True), repeat=len(_WHITEN_SLIPS)):
        if not any(chosen) or (chosen[3] and chosen[4]):        # the reference; eps both left out and moved
            continue
        flags = {name: value for (name, value, _), on in zip(_WHITEN_SLIPS, chosen) if on}
        eps_used = flags.pop("eps", eps)
        hints = [hint for (_, _, hint), on in zip(_WHITEN_SLIPS, chosen) if on]
        slips.append((_ref_whiten(X, eps_used, **flags)[index], "; and ".join(hints)))
    Z, _, W = _ref_whiten(X, eps)
    if index == 2:
        slips.append((W.T, "W's ROWS are the scaled eigenvectors, W = diag(1 / sqrt(lambda + eps)) U^T, so that "
                           "Z = (X - mean) @ W.T"))
    if index == 0:
        slips.append((np.asarray(X, dtype=np.float64) @ W.T, "centre X first: Z = (X - mean) @ W.T"))
    return slips


WHITEN_HINT = ("mean per column; C = (X - mean)^T (X - mean) / m; C = U diag(lambda) U^T by np.linalg.eigh, "
               "eigenvalues from largest to smallest, each eigenvector signed so that its entry of largest "
               "absolute value is positive; W = diag(1 / sqrt(lambda + eps)) U^T (n, n); Z = (X - mean) @ W.T")


def scaling(min_max_scale, whiten, hidden=False):
    """Exercise 6: ``min_max_scale(X, low=0.0, high=1.0) -> (X_scaled, col_min, col_max)`` (1 point) and
    ``whiten(X, eps=1e-5) -> (Z, mean, W)`` (2 points), neither changing ``X``.

    The hidden part gives ``{"min_max_scale": [Case], "whiten": [Case]}``."""
    from dlcourse.datasets import house_prices

    houses, _ = house_prices()
    more = hidden_part("scaling") if hidden else {}
    min_max_cases = [
        Case((houses,), label="the notes' house table (area, bedrooms) to [0, 1]"),
        Case((houses,), {"low": -1.0, "high": 1.0}, label="the house table to [-1, 1]"),
        Case((np.array([[1.0, 5.0], [2.0, 5.0], [4.0, 5.0]]),), {"low": 2.0, "high": 3.0},
             label="a constant column (max == min) becomes low"),
        Case((np.array([[3, -1], [0, 2], [6, 8]]),), label="integer input"),
        Case(([[3.0, -1.0], [0.0, 2.0], [6.0, 8.5]],), {"low": -1.0, "high": 1.0},
             label="X given as a list of rows (the spec allows it: np.asarray(X, dtype=float) first)"),
    ] + random_cases(101, 3, min_max_case) + more.get("min_max_scale", [])
    whiten_cases = [
        Case((houses,), label="the notes' house table (area, bedrooms)"),
        Case((np.array([[2.0, 0.0], [0.0, 1.0], [-2.0, 0.0], [0.0, -1.0]]),),
             label="uncorrelated columns of variance 2 and 0.5"),
        Case((np.array([[1.0, 1.0], [2.0, 2.5], [3.0, 2.0], [4.0, 4.5], [5.0, 5.0]]),), {"eps": 0.1},
             label="five correlated points, eps = 0.1"),
    ] + random_cases(103, 3, lambda rng: (correlated_table(rng),)) + more.get("whiten", [])
    min_max_answers = _answers(min_max_scale, min_max_cases, "min_max_scale", ("X", "low", "high"))
    whiten_answers = _answers(whiten, whiten_cases, "whiten", ("X", "eps"))
    return graded_parts([
        Part("min_max_scale", 1, _compare_values(
            min_max_answers, _ref_min_max_scale, "min_max_scale", 3, (0, 1, 2), ("X_scaled", "col_min", "col_max"),
            _min_max_slips, MIN_MAX_HINT, rtol=1e-9, atol=1e-12)),
        Part("whiten", 2, _compare_values(
            whiten_answers, _ref_whiten, "whiten", 3, (1, 2, 0), ("Z", "mean", "W"),
            _whiten_slips, WHITEN_HINT, rtol=1e-6, atol=1e-9)),
    ])


# -- exercise 8: mini-batch training with a validation split --------------------------------------


def _ref_train_validate(X, y, n_val, lr, epochs, batch_size, rng, *, val_last=False, reshuffle=True,
                        best_by="val", keep_best=True, batch_losses=False):
    """The protocol of exercise 8; the keyword flags give the typical slips (a failure's hint names
    the one the answer matches)."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    m, n = X.shape
    if not 1 <= n_val < m:
        raise ValueError(f"n_val must be between 1 and m - 1 = {m - 1}; got {n_val}")
    order = rng.permutation(m)
    val_rows, train_rows = (order[m - n_val:], order[:m - n_val]) if val_last else (order[:n_val], order[n_val:])
    X_tr, y_tr, X_val, y_val = X[train_rows], y[train_rows], X[val_rows], y[val_rows]
    w, b = np.zeros(n), 0.0
    train_loss, val_loss = [_mse(X_tr, y_tr, w, b)], [_mse(X_val, y_val, w, b)]
    best = (0, w, b)
    shuffle = rng.permutation(len(train_rows))
    for epoch in range(1, epochs + 1):
        if reshuffle and epoch > 1:
            shuffle = rng.permutation(len(train_rows))
        seen = []
        for start in range(0, len(shuffle), batch_size):
            rows = shuffle[start:start + batch_size]
            r = X_tr[rows] @ w + b - y_tr[rows]
            seen.append(float(np.mean(r * r)) * len(rows))
            w, b = w - lr * 2.0 / len(rows) * (X_tr[rows].T @ r), b - lr * 2.0 * np.mean(r)
        train_loss.append(sum(seen) / len(shuffle) if batch_losses else _mse(X_tr, y_tr, w, b))
        val_loss.append(_mse(X_val, y_val, w, b))
        watched = val_loss if best_by == "val" else train_loss
        if watched[-1] < watched[best[0]]:
            best = (epoch, w, b)
    if not keep_best:
        best = (best[0], w, b)
    return best[1], best[2], np.array(train_loss), np.array(val_loss), best[0]


def _ref_train_validate_result(*args, **kwargs):
    """The reference in the returned layout: ``(w, b, history)``."""
    w, b, train_loss, val_loss, best_epoch = _ref_train_validate(*args, **kwargs)
    return w, b, {"train_loss": train_loss, "val_loss": val_loss, "best_epoch": best_epoch}


def validation_case(rng):
    """12 to 59 random samples of 1 to 5 features, a fifth to a half of them for validation."""
    X, y = regression_data(rng, m=int(rng.integers(12, 60)), n=int(rng.integers(1, 6)))
    n_val = int(rng.integers(max(2, len(X) // 5), len(X) // 2 + 1))
    return (X, y, n_val, float(rng.uniform(0.01, 0.08)), int(rng.integers(1, 12)), int(rng.integers(1, 9)),
            gen(int(rng.integers(1000))))


def overfitting_data(rng, m=40, n=24, noise=1.0):
    """``m`` samples of ``n`` features of which three matter, with noisy targets: a linear model fitted
    on half of them over-fits, so that the validation loss turns up."""
    X = rng.normal(size=(m, n))
    true_w = np.zeros(n)
    true_w[:3] = (2.0, -1.0, 0.5)
    return X, X @ true_w + 1.0 + rng.normal(scale=noise, size=m)


TRAIN_VALIDATE_HINT = (
    "draw order = rng.permutation(m) once: validation rows order[:n_val], training rows train_rows = order[n_val:]; "
    "start from w = 0, b = 0; every epoch draw shuffle = rng.permutation(number of training rows) and take "
    "the batches train_rows[shuffle[0:B]], train_rows[shuffle[B:2B]], ... (mean squared error of each batch); "
    "after each epoch record the MSE on the whole training part and on the validation part; return the "
    "(w, b) of the epoch with the lowest validation loss (the first one on a tie; epoch 0 is w = 0, b = 0) "
    "and history = {'train_loss', 'val_loss', 'best_epoch'}")

_VALIDATE_SLIPS = [
    (dict(val_last=True), "the validation rows are the FIRST n_val of order = rng.permutation(m), "
                          "order[:n_val]; the training rows the rest"),
    (dict(reshuffle=False), "draw a new shuffle = rng.permutation(number of training rows) at the start of "
                            "every epoch, not once"),
    (dict(best_by="train"), "the best epoch is the one with the lowest VALIDATION loss: the training loss "
                            "keeps falling while the model over-fits"),
    (dict(keep_best=False), "return the weights of the best epoch (keep a copy when the validation loss "
                            "reaches a new low), not those after the last epoch"),
    (dict(batch_losses=True), "train_loss[e] is the loss of the weights at the END of epoch e on the whole "
                              "training part, not the mean of the batch losses seen during the epoch"),
]


def _history(result, case):
    """``(w, b, train_loss, val_loss, best_epoch)`` from a returned ``(w, b, history)``."""
    w, b, history = _values(result, 3, "train_validate", case)
    if not isinstance(history, dict):
        raise CheckFailure(f"value 3 returned by `train_validate` should be the history dict, got "
                           f"{_short_value(history)}\n  input: {case.describe()}")
    missing = [key for key in ("train_loss", "val_loss", "best_epoch") if key not in history]
    if missing:
        raise CheckFailure(f"the history returned by `train_validate` has no key {missing[0]!r}: it needs "
                           f"'train_loss', 'val_loss' and 'best_epoch'\n  input: {case.describe()}")
    return w, b, history["train_loss"], history["val_loss"], history["best_epoch"]


def train_validate(student, hidden=False):
    """Exercise 8: ``train_validate(X, y, n_val, lr, epochs, batch_size, rng) -> (w, b, history)``.

    Partial credit: 1 point for the training losses, 1 for the validation losses, 1 for the best
    epoch and its weights. The hidden part gives a list of cases."""
    from dlcourse.datasets import house_prices

    houses, price = house_prices()
    scaled = _ref_standardize(houses)[0]
    X_over, y_over = overfitting_data(np.random.default_rng(5))
    cases = [
        Case((scaled, price, 2, 0.1, 6, 2, gen(1)), label="the house table, 2 houses for validation, batches of 2"),
        Case((X_over, y_over, 20, 0.05, 40, 5, gen(2)),
             label="40 samples of 24 features, half for validation: the validation loss turns up"),
        Case((scaled, price, 3, 0.05, 0, 1, gen(3)), label="zero epochs: the history of w = 0, b = 0"),
    ] + random_cases(111, 3, validation_case)
    if hidden:
        cases += hidden_part("train_validate")
    answers = []
    for case in cases:
        try:
            result, _ = call_student(student, *case.args, name="train_validate", case=case, forbidden=_references(),
                                     keeps_inputs=True, arg_names=("X", "y", "n_val", "lr", "epochs",
                                                                   "batch_size", "rng"))
            answers.append((case, None, result))
        except CheckFailure as failure:
            answers.append((case, failure, None))

    def slips(case, index):
        return [(_ref_train_validate(*copy.deepcopy(case.args), **flags)[index], hint)
                for flags, hint in _VALIDATE_SLIPS]

    def compare(picks, what):
        def run():
            for case, failure, result in answers:
                if failure is not None:
                    unfinished = "not implemented yet" in str(failure)
                    raise CheckFailure(f"{failure}" + ("" if unfinished else f"\n  hint: {TRAIN_VALIDATE_HINT}"))
                got = _history(result, case)
                expected = _ref_train_validate(*copy.deepcopy(case.args))
                for index in picks:
                    try:
                        expect_close(got[index], expected[index], f"{NAMES[index]} returned by `train_validate`",
                                     case, rtol=1e-7, atol=1e-9)
                    except CheckFailure as failure:
                        hint = _slip_hint(got[index], slips(case, index), TRAIN_VALIDATE_HINT)
                        raise CheckFailure(f"{failure}\n  hint: {hint}") from None
            print(f"\u2713 train_validate: {what} right in all {len(answers)} cases")
        return run

    NAMES = ("w", "b", "history['train_loss']", "history['val_loss']", "history['best_epoch']")
    return graded_parts([
        Part("the training loss after each epoch", 1, compare((2,), "history['train_loss']")),
        Part("the validation loss after each epoch", 1, compare((3,), "history['val_loss']")),
        Part("the best epoch and its weights", 1, compare((4, 0, 1), "the best epoch, w and b")),
    ])
