"""Chapter 1's hidden cases: the instructor's side only (the release never contains them).

Each function is named after its check in :mod:`dlcourse.checks.ch01`, takes the grading
Generator ``rng`` (seeded per student, see :func:`dlcourse.checks.core.hidden`) and returns
what the check adds to its visible cases.
"""

import numpy as np

from dlcourse.checks.ch01 import noisy_case, random_update_case, separable_case, separator_case, truth_inputs
from dlcourse.checks.core import Case, random_cases


def mcculloch_pitts(rng):
    table4 = truth_inputs(4).astype(np.int64)
    return [
        Case((table4, 4), label="4-input AND, theta = 4"),
        Case((table4, 3, np.array([True, False, False, False])), label="4 inputs, x1 inhibitory, theta = 3"),
        Case((np.array([[1, 1, 1]]), 3, np.array([False, False, False])), label="one row, all excitatory"),
        Case((np.array([0, 0]), 0), label="theta = 0 fires even on all-zero input"),
    ] + random_cases(rng, 6, lambda r: (
        r.integers(0, 2, size=(7, 5)), int(r.integers(0, 5)), r.random(5) < 0.3)) + random_cases(
        rng, 3, lambda r: (r.integers(0, 2, size=(6, 4)), int(r.integers(0, 4)), (r.random(4) < 0.4).tolist()),
        label="random batch, mask given as a list")


def perceptron_predict(rng):
    table2 = truth_inputs(2)
    return random_cases(rng, 4, lambda r: (r.normal(size=(6, 3)), r.normal(size=4))) + [
        Case((table2, np.array([1.0, 0.0, 0.0])), label="bias only: w0 = 1 fires everywhere"),
        Case((table2, np.array([-1e-12, 0.0, 0.0])), label="tiny negative bias never fires"),
        Case((np.array([[1e200, -1e200]]), np.array([0.0, 1.0, 1.0])), label="huge equal and opposite inputs"),
    ] + random_cases(rng, 4, lambda r: (r.normal(size=(20, 7)) * 100, r.normal(size=8)),
                     label="random wide inputs")


def perceptron_update(rng):
    return random_cases(rng, 4, random_update_case) + [
        Case((np.array([0.0, 0.0]), np.array([0.0]), 0), {"lr": 2.0}, label="one input, boundary, lr = 2"),
        Case((np.array([-3.0, 1.0, 1.0, 1.0]), np.array([1.0, 1.0, 1.0]), 1), label="3-input AND on (1,1,1)"),
    ]


def train_perceptron(rng):
    table2 = truth_inputs(2)
    return random_cases(rng, 3, separable_case, label="hidden random separable data") + [
        Case((truth_inputs(3), np.array([0, 0, 0, 0, 0, 0, 0, 1]), np.zeros(4)), {"epochs": 20},
             label="3-input AND"),
        Case((table2, np.array([1, 1, 1, 0]), np.zeros(3)), {"lr": 0.25, "epochs": 30}, label="NAND from w = 0, lr = 0.25, 30 epochs"),
        Case((table2, np.array([0, 0, 0, 1]), np.zeros(3)), {"epochs": 1}, label="a single epoch"),
    ] + random_cases(rng, 3, separable_case, label="more hidden random separable data")


def mistake_bound(rng):
    return random_cases(rng, 4, separator_case, label="hidden separable data") + [
        Case((truth_inputs(3), np.array([0, 0, 0, 0, 0, 0, 0, 1]), np.array([-2.5, 1.0, 1.0, 1.0])),
             label="3-input AND, w_star = [-2.5, 1, 1, 1]"),
        Case((truth_inputs(2), np.array([0, 0, 0, 1]), np.array([-2.0, 1.0, 1.0])),
             label="AND with (1, 1) on the line: gamma = 0"),
    ]


def pocket_perceptron(rng):
    table3 = truth_inputs(3)
    parity3 = table3.sum(axis=1).astype(np.int64) % 2
    return random_cases(rng, 4, noisy_case, label="hidden noisy data") + [
        Case((table3, parity3, np.zeros(4)), {"epochs": 10}, label="3-input parity from w = 0"),
        Case((truth_inputs(2), np.array([1, 0, 0, 1]), np.array([0.25, -0.5, 0.5])), {"lr": 0.5, "epochs": 7},
             label="XNOR, lr = 0.5"),
        Case((truth_inputs(2), np.array([1, 1, 1, 0]), np.zeros(3)), {"epochs": 1}, label="NAND from w = 0, a single epoch"),
    ] + random_cases(rng, 3, noisy_case, label="more hidden noisy data")


def boolean_network(rng):
    return {"sizes": (3, 4, 5), "rounds": 4, "rng": rng}
