"""Chapter 3's hidden cases: the instructor's side only (the release never contains them).

Each function is named after its check in :mod:`dlcourse.checks.ch03`, takes the grading
Generator ``rng`` (seeded per student, see :func:`dlcourse.checks.core.hidden`) and returns
what the check adds to its visible cases: a list of cases, or for ``normal_equations`` a
dict of lists, one per graded part.
"""

import numpy as np

from dlcourse.checks.ch03 import (
    collinear_regression,
    digits_pair,
    full_rank_regression,
    house_table,
    insurance_table,
    noisy_line,
    random_batch,
    random_classification,
    random_newton_problem,
    random_powers,
    random_predictions,
    random_ridge,
    random_softmax_problem,
    ridge_data,
)
from dlcourse.checks.core import Case, random_cases


def fit_line(rng):
    return random_cases(rng, 4, noisy_line, label="hidden noisy line") + [
        Case((np.array([1000.0, 1001.0, 1003.0, 1006.0]), np.array([5.0, 4.0, 2.0, -1.0])),
             label="x far from 0 (exact line, slope -1)"),
        Case((np.array([3.0, 3.0, 4.0]), np.array([1.0, 2.0, 2.0])), label="a repeated x"),
        Case((np.array([-2.0, -1.0, 0.0, 1.0, 2.0]), np.full(5, 7.0)), label="constant y"),
    ] + random_cases(rng, 4, noisy_line, label="more hidden noisy lines")


def normal_equations(rng):
    x = np.array([0.5, 1.5, 3.0, 6.0])
    y = np.array([2.0, 1.0, 4.0, 3.0])
    full_rank = random_cases(rng, 4, full_rank_regression, label="hidden full-rank X") + [
        Case((np.array([[1.0], [2.0], [3.0]]), np.array([1, 2, 4])), label="integer y"),
    ] + random_cases(rng, 4, full_rank_regression, label="more hidden full-rank X")
    rank_deficient = random_cases(rng, 3, collinear_regression, label="hidden collinear columns") + [
        Case((np.column_stack([x, np.full(4, 3.0)]), y), label="a constant column (collinear with the bias column)"),
        Case((rng.normal(size=(3, 6)), np.array([1.0, -1.0, 2.0])), label="3 samples, 6 features: more features than samples"),
    ] + random_cases(rng, 3, collinear_regression, label="more hidden collinear columns")
    return {"full_rank": full_rank, "rank_deficient": rank_deficient}


def regression_metrics(rng):
    return random_cases(rng, 4, random_predictions, label="hidden predictions") + [
        Case((np.array([0.0, 1.0]), np.array([1.0, 0.0])), label="two samples, values swapped"),
        Case((np.array([1000.0, 1001.0, 1002.0, 1004.0]), np.array([1000.5, 1001.0, 1002.5, 1003.0])),
             label="values far from 0"),
        Case((np.array([1e-6, 2e-6, 4e-6]), np.array([1.5e-6, 2e-6, 3e-6])), label="tiny values"),
    ] + random_cases(rng, 4, random_predictions, label="more hidden predictions")


def polynomial_features(rng):
    return random_cases(rng, 3, random_powers, label="hidden powers") + [
        Case((np.array([2, 3]), 3), label="integer x = [2, 3], degree 3"),
        Case((np.array([10.0, -10.0]), 15), label="degree 15: large powers"),
        Case((np.linspace(-1, 1, 7), 12), label="degree 12 on [-1, 1]"),
    ] + random_cases(rng, 3, lambda r: (r.normal(size=30), int(r.integers(1, 13))), label="hidden high powers")


def ridge(rng):
    X3, y3 = ridge_data()
    houses, price = house_table()
    return random_cases(rng, 4, random_ridge, label="hidden data and lambda") + [
        Case((houses / 1000.0, price, 3.0), label="the notes' houses (area in 1000 sq ft), lambda = 3"),
        Case((np.array([[1.0, 2.0, 0.5]]), np.array([3.0]), 0.1), label="ridge on a single sample of three features"),
        Case((X3, y3 - 100.0, 50.0), label="y around -90, lambda = 50"),
    ] + random_cases(rng, 4, random_ridge, label="more hidden data and lambda")


def logistic_loss_and_grad(rng):
    X, y = insurance_table()
    return random_cases(rng, 4, random_classification, label="hidden data and weights") + [
        Case((np.array([[1.0], [-1.0]]), np.array([0, 1]), np.array([800.0]), 0.0), label="logits of +-800, both wrong"),
        Case((np.array([[1.0], [-1.0]]), np.array([1, 0]), np.array([800.0]), 0.0), label="logits of +-800, both right"),
        Case((X, y, np.array([-1.0, -1.0]), 0.0), label="w = [-1, -1]: very negative logits"),
    ] + random_cases(rng, 4, random_classification, label="more hidden data and weights")


def _larger_newton_problem(rng):
    """50 to 199 samples of 2 to 6 features whose classes overlap, a lambda from 0.1 to 10, 25 steps."""
    n, d = int(rng.integers(50, 200)), int(rng.integers(2, 7))
    X = rng.normal(size=(n, d)) + rng.normal(scale=3, size=d)
    y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-(X - X.mean(axis=0)) @ rng.normal(size=d)))).astype(np.int64)
    return Case((X, y, 25), {"lam": float(10 ** rng.uniform(-1, 1)), "fit_intercept": bool(rng.integers(0, 2))})


def fit_logistic_newton(rng):
    """Iterates of small problems; the last iterate of larger ones, a pair of digits included."""
    first, second = (int(k) for k in rng.choice(10, size=2, replace=False))
    X_pair, y_pair = digits_pair(first, second)
    x = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
    y = np.array([0, 0, 1, 1, 0, 1, 0, 1])
    return {
        "iterates": random_cases(rng, 3, random_newton_problem, label="hidden overlapping classes") + [
            Case((x[:, None] * 1000.0, y, 5), label="a feature in the thousands, lam = 0"),
            Case((np.column_stack([x, x]), y, 4), {"lam": 0.3}, label="the same column twice, lam = 0.3"),
            Case((x[:, None], y.astype(np.float64), 3), {"lam": 2.0, "fit_intercept": False},
                 label="float labels, no intercept, lam = 2"),
        ] + random_cases(rng, 3, random_newton_problem, label="more hidden overlapping classes"),
        "sklearn": [
            Case((X_pair, y_pair, 25), {"lam": float(10 ** rng.uniform(-0.3, 1))},
                 label=f"hidden digits {first} (0) and {second} (1)"),
        ] + random_cases(rng, 3, _larger_newton_problem, label="hidden larger problem"),
    }


def softmax_cross_entropy(rng):
    return random_cases(rng, 4, random_batch, label="hidden batch") + [
        Case((np.array([[5.0], [-3.0]]), np.array([0, 0])), label="a single class: loss 0, gradient 0"),
        Case((np.full((2, 3), 1e4), np.array([1, 2])), label="every logit 1e4"),
        Case((np.array([[0.0, -800.0]]), np.array([1])), label="the true class has probability e^-800"),
    ] + random_cases(rng, 4, lambda r: (r.normal(scale=400, size=(6, 5)), r.integers(0, 5, size=6)),
                     label="random logits of spread 400")


def train_softmax(rng):
    """A held-out split of the 1797 digits (a quarter of them) and more small problems."""
    order = rng.permutation(1797)
    return {"split": (np.sort(order[450:]), np.sort(order[:450])),
            "updates": random_cases(rng, 3, random_softmax_problem, label="hidden small problem") + [
                Case((np.array([[2.0, -1.0]]), np.array([1]), 3, 0.2, 0.7, 4), label="one sample, three classes"),
            ]}
