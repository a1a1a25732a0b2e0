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
    deep_case,
    elementwise_case,
    max_case,
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


def backward_table(rng):
    overflowing = np.array([-800.0, -711.0, -708.0, 708.0, 711.0, 800.0])
    return {
        "sigmoid_backward": [
            Case((np.full(6, -3.0), overflowing), label="pre-activations where exp(-a) or exp(a) overflows"),
            Case((np.linspace(-2, 2, 24).reshape(2, 3, 4), np.linspace(-30, 30, 24).reshape(2, 3, 4)),
                 label="a 3-D batch of pre-activations"),
        ] + random_cases(rng, 3, lambda r: elementwise_case(r, scale=30.0)),
        "tanh_backward": [
            Case((np.full(6, 0.5), overflowing), label="pre-activations where exp(a) overflows"),
            Case((np.linspace(-1, 1, 12).reshape(3, 4), np.linspace(-3, 3, 12).reshape(3, 4)),
                 label="a (3, 4) batch around 0"),
        ] + random_cases(rng, 3, lambda r: elementwise_case(r, scale=3.0)),
        "relu_backward": [
            Case((np.arange(1.0, 7.0).reshape(2, 3), np.array([[0.0, -0.0, 1e-300], [-1e-300, 5.0, 0.0]])),
                 label="zeros of both signs and the tiniest numbers"),
        ] + random_cases(rng, 3, elementwise_case),
        "max_backward": [
            Case((np.array([1.5, -2.0, 0.25]), np.array([[5.0, 5.0, 5.0], [-1.0, -1.0, -2.0], [0.0, 3.0, 3.0]])),
                 label="rows of equal entries: the first largest only"),
            Case((np.array([-4.0]), np.array([[1e-9, 0.0, -1e-9, 2e-9]])), label="almost equal inputs"),
        ] + random_cases(rng, 3, max_case),
    }


def mlp_forward_backward(rng):
    return [
        mlp_case(rng, scale=8.0, label="large weights: saturated units and large logits"),
        mlp_case(rng, n=40, d=5, h=16, c=6, label="a bigger batch: N=40, D=5, H=16, C=6"),
    ] + [mlp_case(rng) for _ in range(4)]


def deep_forward_backward(rng):
    return [
        deep_case(rng, [3, 8, 8, 8, 8, 8, 8, 8, 3], "sigmoid", n=10, label="eight layers of sigmoids"),
        deep_case(rng, [4, 6, 6, 2], "relu", n=12, scale=4.0, label="large relu weights"),
        deep_case(rng, [2, 5, 5, 4], "tanh", n=7, scale=5.0, label="saturated tanh units"),
    ] + [deep_case(rng) for _ in range(3)]


def tower(rng):
    return [
        Case((np.array([-1e3, -5.0, 0.0, 5.0, 1e3]), 0.0, 1.0, 1.0, 1e4), label="extremely steep, far x"),
        Case((np.array([2.0]), 2.0, 0.1, 4.0, 10.0), label="a narrow gentle tower: height is not reached"),
    ] + random_cases(rng, 3, lambda r: (
        r.uniform(-3, 3, size=(2, 3)), float(r.uniform(-1, 1)), float(r.uniform(0.1, 2)),
        float(r.normal()), float(r.uniform(1, 500))))
