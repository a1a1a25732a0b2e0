"""Chapter 10's hidden cases: the instructor's side only (the release never contains them).

Each function is named after its check in :mod:`dlcourse.checks.ch10`, takes the grading
Generator ``rng`` (seeded per student, see :func:`dlcourse.checks.core.hidden`) and returns
what the check adds to its visible cases.
"""

import numpy as np

from dlcourse.checks.ch10 import (
    binary_case,
    blobs_case,
    bootstrap_case,
    bowl_score,
    labels_case,
    nearest_centroid,
    scores_case,
    search_case,
)
from dlcourse.checks.core import Case, random_cases


def confusion_matrix(rng):
    return random_cases(rng, 5, labels_case, label="hidden random labels") + [
        Case((np.array([3, 3, 3]), np.array([3, 3, 0]), 5), label="only the last classes occur"),
        Case((np.zeros(7, int), np.zeros(7, int), 1), label="n_classes = 1, every label 0"),
    ] + random_cases(rng, 1, lambda r: labels_case(r, n_classes=10, n=300), label="hidden ten classes")


def binary_metrics(rng):
    return random_cases(rng, 5, binary_case, label="hidden random binary labels") + [
        Case((np.ones(5, int), np.ones(5, int)), label="only positives, all found"),
        Case((np.array([0, 0, 0, 1]), np.array([1, 1, 1, 0])), label="no true positive, no true negative"),
    ] + random_cases(rng, 2, lambda r: binary_case(r, n=500, positive_share=0.02), label="hidden rare positives")


def roc_auc(rng):
    return random_cases(rng, 5, scores_case, label="hidden random scores") + [
        Case((np.array([1, 0]), np.array([0.0, 0.0])), label="one positive, one negative, tied"),
        Case((np.r_[1, np.zeros(99, int)], np.linspace(1, 0, 100)), label="a single positive scored highest"),
    ] + random_cases(rng, 1, lambda r: scores_case(r, n=400, ties=True), label="hidden many ties")


def kfold_indices(rng):
    cases = [Case((3, 3), label="three items, three folds"), Case((2, 2), label="the smallest leave-one-out")]
    for i in range(6):
        n = int(rng.integers(2, 60))
        cases.append(Case((n, int(rng.integers(2, n + 1))), label=f"hidden random folds {i + 1}"))
    return cases


def cross_val_score(rng):
    cases = random_cases(rng, 4, lambda r: Case((nearest_centroid, *blobs_case(r), int(r.integers(2, 11)))),
                         label="hidden random blobs")
    X, y = blobs_case(rng, n=15, n_classes=2)
    return cases + [Case((nearest_centroid, X, y, 15), label="hidden leave-one-out on 15 points")]


def bootstrap_632(rng):
    X, y = blobs_case(rng, n=6, n_classes=2)
    return random_cases(rng, 4, bootstrap_case, label="hidden random bootstrap") + [
        Case((nearest_centroid, X, y, 60), {"seed": int(rng.integers(0, 10_000))},
             label="six points, sixty samples"),
    ]


def random_search(rng):
    return random_cases(rng, 5, search_case, label="hidden random search") + [
        Case((bowl_score, 3, (0.5, 0.5000001), (1e-3, 1e3)), {"seed": int(rng.integers(0, 10_000))},
             label="a learning rate range of almost one value"),
    ]


def search_report(rng):
    return {"rows": np.sort(rng.choice(450, size=300, replace=False)), "bar": 0.85}
