"""Chapter 7's hidden cases: the instructor's side only (the release never contains them).

Each function is named after its check in :mod:`dlcourse.checks.ch07`, takes the grading
Generator ``rng`` (seeded per student) and returns what the check adds to its visible cases.
"""

import numpy as np

from dlcourse.checks.ch07 import bowl, bowl_grad, line_search_case, log_cosh, log_cosh_grad
from dlcourse.checks.core import Case, random_cases


def step_decay(rng):
    return [
        Case((np.arange(0, 31, 3), 0.2, 0.3, 7), label="every 7 steps, drop 0.3, t step 3"),
        Case((0, 0.5, 0.5, 1), label="t = 0 keeps the base rate"),
    ] + random_cases(rng, 3, lambda r: (r.integers(0, 200, size=8), float(r.uniform(0.01, 1)),
                                        float(r.uniform(0.1, 0.9)), int(r.integers(1, 30))))


def exponential_decay(rng):
    return [Case((np.arange(5), 1.0, 0.0), label="k = 0: a constant rate")] + random_cases(
        rng, 3, lambda r: (r.integers(0, 500, size=6), float(r.uniform(0.01, 1)),
                           float(r.uniform(1e-3, 0.1))))


def inverse_time_decay(rng):
    return [Case((np.array([0, 1000]), 0.3, 1.0), label="k = 1 at t = 1000")] + random_cases(
        rng, 3, lambda r: (r.integers(0, 500, size=6), float(r.uniform(0.01, 1)),
                           float(r.uniform(1e-3, 0.5))))


def warmup_cosine(rng):
    warmup = int(rng.integers(2, 20))
    total = warmup + int(rng.integers(30, 150))
    lrs = [float(rng.uniform(0.05, 1)), float(rng.uniform(0.001, 0.05))]
    return [Case((lrs, warmup, total, float(rng.uniform(0, 1e-3)), total + 40),
                 label="random warm-up and length, two groups")]


def line_search_step(rng):
    x = np.array([0.3, -2.0, 0.05])
    return [
        Case((x, bowl_grad(x), bowl, [0.02, 0.015, 0.5, 1e-4]),
             label="steep bowl: the large candidates overshoot"),
        Case((np.array([6.0]), log_cosh_grad(np.array([6.0])), log_cosh, [3.0, 5.0, 10.0]),
             label="far out on log cosh: the largest candidate wins"),
    ] + random_cases(rng, 4, line_search_case)


def gd_losses(rng):
    return random_cases(rng, 2, lambda r: (r.uniform(0.001, 0.05, size=30),
                                           r.uniform(0.5, 20, size=5)))


def choose_schedule(rng):
    def make(r):
        t = np.arange(int(r.integers(20, 60)))
        lr0 = float(r.uniform(0.01, 0.1))
        return ({"constant": np.full(t.size, lr0), "exponential": lr0 * np.exp(-0.05 * t),
                 "inverse": lr0 / (1 + 0.1 * t)}, r.uniform(0.5, 12, size=3))
    return random_cases(rng, 2, make)
