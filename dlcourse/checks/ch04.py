"""Checks for chapter 4, *Gradient descent*: a central-difference derivative,
gradient descent on a curve (the notes' x² examples), the notes' single-weight
update, feature standardisation, batch gradient descent for linear regression
and mini-batch gradient descent with a fixed shuffling protocol.

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
* mini-batch: ``order = rng.permutation(m)`` at the start of every epoch,
  batches ``order[0:B], order[B:2B], ...`` (the last may be smaller), the
  gradient of the mean squared error over the batch.
"""

import numpy as np

from dlcourse.checks.core import (
    Case,
    Part,
    check_function,
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
    "single_weight_step",
    "standardize",
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


_OWN = (_ref_numerical_derivative, _ref_gradient_descent_1d, _ref_single_weight_step,
        _ref_standardize, _ref_linear_regression_gd, _ref_minibatch_gd)


def _references():
    """This chapter's references plus the library's gradient descent: the
    finite differences of ``gradcheck``, the descent runner, SGD, the test
    functions (their gradients), the training loop, the linear models and the feature scalers."""
    return tuple(_OWN) + tuple(library_functions(
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
                   forbidden=_references(), rtol=1e-7, atol=1e-9,
                   hint="start from w = 0 (one weight per column of X) and b = 0; with r = X w + b - y the "
                        "gradients are dL/dw = (2/m) X^T r and dL/db = (2/m) sum(r) (mind the 2 and the mean); "
                        "compute both at the current (w, b) before changing either; losses holds epochs + 1 "
                        "values, the loss before training first")


# -- exercise 6: mini-batch gradient descent -------------------------------------------------


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
    """Exercise 6: ``minibatch_gd(X, y, lr, epochs, batch_size, rng) -> (w, b, losses)`` (partial credit).

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
                       rtol=1e-7, atol=1e-9, hint=hint)

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
