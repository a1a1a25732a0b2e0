"""Chapter 5's hidden cases: the instructor's side only (the release never contains them).

Each function is named after its check in :mod:`dlcourse.checks.ch05`, takes the grading
Generator ``rng`` (seeded per student, see :func:`dlcourse.checks.core.hidden`) and returns
what the check adds to its visible cases.
"""

import numpy as np

from dlcourse.checks.ch05 import (
    _cube_sum,
    _exp_sum,
    _tanh_layer,
    logit_case,
    mlp_case,
    random_layer,
)
from dlcourse.checks.core import Case, random_cases


def two_path_gradient(rng):
    return [
        Case((np.sqrt(np.pi / 4),), label="w = sqrt(pi/4): both paths cancel"),
        Case((np.array([7.0, -9.5]),), label="w far from 0: |w| = 7 and 9.5"),
    ] + random_cases(rng, 3, lambda r: (r.normal(scale=2.0, size=(2, 3)),))


def numerical_gradient(rng):
    return {
        "numerical_gradient": [
            Case((_cube_sum, np.arange(24.0).reshape(2, 3, 4) / 10), label="sum(x^3) at a 3-D x"),
            Case((_exp_sum, np.array([[0.0]])), {"h": 0.1}, label="sum(exp(2x)) at x of shape (1, 1), h = 0.1"),
            Case((_cube_sum, np.array([3.0, -1.0])), {"h": 0.05}, label="h = 0.05: f(x) = sum(x^3)"),
        ] + random_cases(rng, 2, lambda r: Case(
            (_tanh_layer, r.normal(size=(int(r.integers(1, 4)), 3))), label="f(X) = sum(tanh(X @ A)), random X")),
        "relative_error": [
            Case((np.array([1e-20]), np.array([2e-20])), label="tiny numbers: the floor 1e-12 applies"),
            Case((np.array(2.0), np.array(2.5)), label="relative error of 0-d arrays"),
        ] + random_cases(rng, 3, lambda r: Case((r.normal(size=4) * 100, r.normal(size=4) * 100))),
    }


def linear_layer(rng):
    return [random_layer(rng, *shape) for shape in ((1, 1, 1), (20, 7, 9), (8, 5, 5))]


def sigmoid_backward(rng):
    return [
        Case((np.full(6, -3.0), np.array([-800.0, -711.0, -708.0, 708.0, 711.0, 800.0])),
             label="pre-activations where exp(-a) or exp(a) overflows"),
        Case((np.linspace(-2, 2, 24).reshape(2, 3, 4), np.linspace(-30, 30, 24).reshape(2, 3, 4)),
             label="a 3-D batch of pre-activations"),
    ] + random_cases(rng, 3, lambda r: (r.normal(size=(3, 4)), r.normal(scale=30, size=(3, 4))))


def softmax_cross_entropy(rng):
    return [
        Case((np.array([[-800.0, 800.0]]), np.array([0])), label="logits -800 and 800: loss 1600"),
        Case((np.full((3, 5), -1e4), np.array([0, 4, 2])), label="very negative equal logits"),
        Case((np.array([[0.3, -0.3]]), np.array([1])), label="two classes, logits 0.3 and -0.3"),
    ] + random_cases(rng, 4, lambda r: logit_case(r, scale=300.0))


def mlp_forward_backward(rng):
    return [
        mlp_case(rng, scale=8.0, label="large weights: saturated units and large logits"),
        mlp_case(rng, n=40, d=5, h=16, c=6, label="a bigger batch: N=40, D=5, H=16, C=6"),
    ] + [mlp_case(rng) for _ in range(4)]


def tower(rng):
    return [
        Case((np.array([-1e3, -5.0, 0.0, 5.0, 1e3]), 0.0, 1.0, 1.0, 1e4), label="extremely steep, far x"),
        Case((np.array([2.0]), 2.0, 0.1, 4.0, 10.0), label="a narrow gentle tower: height is not reached"),
    ] + random_cases(rng, 3, lambda r: (
        r.uniform(-3, 3, size=(2, 3)), float(r.uniform(-1, 1)), float(r.uniform(0.1, 2)),
        float(r.normal()), float(r.uniform(1, 500))))
