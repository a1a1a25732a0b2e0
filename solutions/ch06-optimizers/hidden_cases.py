"""Chapter 6's hidden cases: the instructor's side only (the release never contains them).

Each function is named after its check in :mod:`dlcourse.checks.ch06`, takes the grading
Generator ``rng`` (seeded per student, see :func:`dlcourse.checks.core.hidden`) and returns
the cases the check adds to its visible ones.
"""

import numpy as np

from dlcourse.checks.ch06 import race_case, random_adam_case, random_quadratic_case, random_rule_case
from dlcourse.checks.core import Case, random_cases


def _paths(rng):
    return random_cases(rng, 4, random_quadratic_case, label="hidden random quadratic") + [
        Case((np.diag([1.0, 100.0]), np.array([0.5, 0.5]), np.array([2.0, 2.0]), 0.009, 0.95, 40),
             label="a very narrow valley, beta = 0.95, 40 steps"),
        Case((np.eye(3), np.ones(3), np.ones(3), 0.5, 0.5, 6), label="starting at the minimum of a sphere"),
        Case((np.array([[4.0]]), np.array([-2.0]), np.array([10.0]), 0.2, 0.99, 1), label="one hidden step with beta = 0.99"),
    ] + random_cases(rng, 2, lambda r: random_quadratic_case(r, d=6), label="hidden 6-dimensional bowl")


def momentum_path(rng):
    return _paths(rng)


def nesterov_path(rng):
    return _paths(rng)


def adagrad_update(rng):
    return random_cases(rng, 5, random_rule_case, label="hidden random AdaGrad step") + [
        Case((np.array([3.0]), np.array([0.0]), np.array([0.0])), {"lr": 0.1},
             label="zero gradient on an empty sum"),
        Case((np.ones((2, 2)), np.full((2, 2), 1e-6), np.full((2, 2), 1e6)), {"lr": 1.0},
             label="a huge sum stalls the step"),
    ]


def rmsprop_update(rng):
    return random_cases(rng, 5, lambda r: random_rule_case(r, ("lr", "beta", "eps")),
                        label="hidden random RMSProp step") + [
        Case((np.array([3.0]), np.array([0.0]), np.array([0.0])), {"lr": 0.1, "beta": 0.9},
             label="zero gradient on an empty average"),
        Case((np.ones((2, 2)), np.full((2, 2), 5.0), np.full((2, 2), 1e6)), {"lr": 1.0, "beta": 0.0},
             label="beta = 0 forgets the old average"),
    ]


def adam_class(rng):
    return random_cases(rng, 3, random_adam_case, label="hidden random Adam run") + [
        Case(([np.zeros(3)], [[np.full(3, 1e-9)]] * 4), {"lr": 0.01, "eps": 1e-8},
             label="tiny gradients, where eps matters"),
        Case(([np.ones(2), np.ones(1)], [[np.ones(2), None]] * 3 + [[np.ones(2), np.ones(1)]] * 3),
             {"lr": 0.1, "betas": (0.8, 0.99)}, label="a parameter that starts late"),
    ] + random_cases(rng, 1, lambda r: random_adam_case(r, steps=120), label="hidden long Adam run")


def optimizer_race(rng):
    return random_cases(rng, 2, race_case, label="hidden random moons race")
