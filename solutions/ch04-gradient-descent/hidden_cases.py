"""Chapter 4's hidden cases: the instructor's side only (the release never contains them).

Each function is named after its check in :mod:`dlcourse.checks.ch04`, takes the grading
Generator ``rng`` (seeded per student, see :func:`dlcourse.checks.core.hidden`) and returns
what the check adds to its visible cases.
"""

import numpy as np

from dlcourse.checks.ch04 import (
    FUNCTIONS,
    _double_well_grad,
    _exp,
    _log_cosh,
    _quartic_grad,
    _ref_standardize,
    _sin,
    _square,
    _square_grad,
    correlated_table,
    descent_case,
    full_batch_case,
    gen,
    min_max_case,
    minibatch_case,
    overfitting_data,
    regression_data,
    stochastic_case,
    validation_case,
)
from dlcourse.checks.core import Case, random_cases


def numerical_derivative(rng):
    return [
        Case((_log_cosh, np.array([-30.0, -1.0, 0.0, 1.0, 30.0])), label="log cosh, flat near 0, slope ±1 far out"),
        Case((_sin, np.array(0.25)), {"h": 1e-3}, label="sin at a 0-d array"),
        Case((_square, np.array([100.0])), {"h": 1e-2}, label="shape (1,), x = 100"),
        Case((_exp, -3.0), {"h": 0.5}, label="e^x with a large h = 0.5"),
    ] + random_cases(rng, 4, lambda r: Case(
        (FUNCTIONS[int(r.integers(0, len(FUNCTIONS)))], r.uniform(-3, 3, size=(2, 3))),
        {"h": float(10 ** r.uniform(-5, -1))}))


def gradient_descent_1d(rng):
    return [
        Case((_square_grad, 3.0, 0.5, 3), label="lr = 0.5 on x^2 lands on 0 in one step"),
        Case((_square_grad, 0.0, 0.1, 5), label="descent that starts at the minimum"),
        Case((_quartic_grad, 1.5, 0.01, 40), label="x^4: a gradient that fades near the minimum"),
        Case((_square_grad, -4, 0.8, 5), label="an integer start x0 = -4"),
        Case((_double_well_grad, 0.5, 0.2, 30), label="the double well from x = 0.5 (global minimum)"),
    ] + random_cases(rng, 4, lambda r: descent_case(r, start=5.0, max_lr=0.9, max_steps=40))


def single_weight_step(rng):
    return [
        Case((-1e3, 20.0, 1e4, 1e-4), label="large numbers: w = -1000, y = 10000"),
        Case((2, 3, 10, 1), label="integer arguments, lr = 1"),
    ] + random_cases(rng, 4, lambda r: tuple(
        float(v) for v in (r.normal(scale=30), r.normal(scale=10), r.normal(scale=100), r.uniform(0.0001, 0.01))))


def standardize(rng):
    return [
        Case((np.array([[3.0, -1.0, 2.0]]),), label="a single row: every column is constant"),
        Case((np.array([[1e6, 1e-3], [2e6, 3e-3], [4e6, 2e-3]]),), label="columns of very different scales"),
        Case((np.zeros((4, 2)),), label="a table of zeros"),
        Case((np.array([[1e8 + 1e-3], [1e8 + 1e-3], [1e8 + 1e-3]]),), label="a constant column near 1e8"),
        Case((np.full((5, 3), -2.7) + np.array([0.0, 1.0, 0.0]) * np.arange(5)[:, None],),
             label="two columns of -2.7s around a varying one"),
    ] + random_cases(rng, 3, lambda r: (r.uniform(-1e4, 1e4, size=(50, 6)),))


def linear_regression_gd(rng):
    from dlcourse.datasets import house_prices

    houses, price = house_prices()
    scaled = _ref_standardize(houses)[0]
    return [
        Case((houses, price, 2e-7, 30), label="the raw house table (no scaling), lr = 2e-7"),
        Case((scaled[:1], price[:1], 0.1, 5), label="regression on one sample"),
        Case((np.ones((4, 1)), np.array([1.0, 2.0, 3.0, 4.0]), 0.1, 20), label="a feature equal to the constant 1"),
    ] + random_cases(rng, 3, lambda r: (*regression_data(r, m=100, n=6), float(r.uniform(0.01, 0.1)), 200))


def minibatch_gd(rng):
    from dlcourse.datasets import house_prices

    houses, price = house_prices()
    scaled = _ref_standardize(houses)[0]
    return {
        "full_batch": random_cases(rng, 2, full_batch_case),
        "stochastic": random_cases(rng, 2, stochastic_case),
        "general": random_cases(rng, 3, minibatch_case) + [
            Case((scaled, price, 0.05, 0, 2, gen(int(rng.integers(100)))), label="mini-batches for zero epochs")],
    }


def scaling(rng):
    from dlcourse.datasets import house_prices

    houses, _ = house_prices()
    return {
        "min_max_scale": [
            Case((np.array([[4.0, -2.0, 7.0]]),), {"low": -1.0, "high": 1.0},
                 label="a single row: every column is constant"),
            Case((np.array([[1e6, 1e-3], [3e6, 2e-3], [2e6, 5e-3]]),), label="columns of very different scales"),
            Case((houses[:, ::-1],), {"low": 10.0, "high": 20.0},
                 label="the house table, columns swapped, to [10, 20]"),
        ] + random_cases(rng, 3, min_max_case),
        "whiten": [
            Case((houses * np.array([1e-3, 1.0]),), {"eps": 1e-3},
                 label="the house table, area in 1000 sq ft, eps = 1e-3"),
            Case((np.array([[0.0], [1.0], [3.0], [4.0]]),), label="one feature: whitening is standardising"),
        ] + random_cases(rng, 3, lambda r: (
            correlated_table(r, m=int(r.integers(30, 80)), n=int(r.integers(2, 6))),)),
    }


def train_validate(rng):
    from dlcourse.datasets import house_prices

    houses, price = house_prices()
    scaled = _ref_standardize(houses)[0]
    X_over, y_over = overfitting_data(rng, m=30, n=18)
    return [
        Case((scaled, price, 1, 0.05, 5, 10, gen(int(rng.integers(1000)))),
             label="one validation house, batch_size larger than the training part"),
        Case((X_over, y_over, 12, 0.05, 25, 3, gen(int(rng.integers(1000)))),
             label="30 samples of 18 features, 12 for validation"),
    ] + random_cases(rng, 3, validation_case)
