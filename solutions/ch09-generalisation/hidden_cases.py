"""Chapter 9's hidden cases: the instructor's side only (the release never contains them).

Each function is named after its check in :mod:`dlcourse.checks.ch09`, takes the grading
Generator ``rng`` (seeded per student, see :func:`dlcourse.checks.core.hidden`) and returns
what the check adds to its visible cases.
"""

import numpy as np

from dlcourse.checks.ch09 import (
    bagging_case,
    bias_variance_case,
    dropout_case,
    early_stopping_case,
    lasso_case,
    line_fit_predict,
    nearest_neighbour,
    wave,
)
from dlcourse.checks.core import Case, random_cases


def _seed(rng):
    return {"seed": int(rng.integers(0, 10_000))}


def bias_variance(rng):
    x = np.sort(rng.uniform(-1, 1, 20))
    return random_cases(rng, 4, bias_variance_case, label="hidden random experiment") + [
        Case((wave, x, x[::3], list(range(10)), 0.4, 25), _seed(rng), label="hidden every degree 0 to 9"),
        Case((np.cos, x, np.linspace(-1, 1, 7), [2], 2.0, 60), _seed(rng), label="hidden loud noise, one degree"),
    ]


def lasso_ista(rng):
    return random_cases(rng, 5, lasso_case, label="hidden random lasso") + [
        Case((rng.normal(size=(3, 6)), rng.normal(size=3), 0.05, 0.1, 30), label="hidden more features than rows"),
    ] + random_cases(rng, 1, lambda r: lasso_case(r, n_steps=500), label="hidden long run")


def dropout(rng):
    return random_cases(rng, 4, dropout_case, label="hidden random dropout") + \
        random_cases(rng, 2, lambda r: dropout_case(r, training=False), label="hidden evaluation mode") + [
            Case((rng.normal(size=(50, 20)), 0.9), _seed(rng) | {"training": True}, label="hidden p = 0.9 on a batch"),
        ]


def fit_early_stopping(rng):
    return random_cases(rng, 4, early_stopping_case, label="hidden random over-fitting problem") + [
        Case(early_stopping_case(rng, patience=1).args, label="hidden patience 1"),
        Case(early_stopping_case(rng, start="truth", patience=3).args, label="hidden start near the truth"),
        Case(early_stopping_case(rng, max_epochs=3, patience=5, lr_scale=0.05).args, label="hidden three epochs only"),
    ]


def bagging_predict(rng):
    X = rng.uniform(-1, 1, size=(12, 1))
    y = np.sin(3 * X[:, 0]) + rng.normal(scale=0.3, size=12)
    return random_cases(rng, 4, bagging_case, label="hidden random bagging") + [
        Case((nearest_neighbour, X, y, X[:5], 40), _seed(rng), label="hidden 40 neighbour models on training inputs"),
        Case((line_fit_predict, X[:2], y[:2], X, 6), _seed(rng), label="hidden two points only"),
    ]
