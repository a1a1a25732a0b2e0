"""Chapter 8's hidden cases: the instructor's side only (the release never contains them).

Each function is named after its check in :mod:`dlcourse.checks.ch08`, takes the grading
Generator ``rng`` (seeded per student, see :func:`dlcourse.checks.core.hidden`) and returns
what the check adds to its visible cases.
"""

import numpy as np

from dlcourse.checks.ch08 import (
    random_backward_case,
    random_batchnorm_case,
    random_clip_case,
    random_init_case,
    random_network_case,
)
from dlcourse.checks.core import Case, random_cases


def init_weights(rng):
    seed = int(rng.integers(2**31))
    return [
        Case(((1, 1), "he_notes", "uniform", np.random.default_rng(seed)), label="a single weight, the notes' He"),
        Case(((128, 784), "he", "normal", np.random.default_rng(seed + 1)), label="an MNIST-sized first layer"),
        Case(((4, 2, 3, 3), "he_notes", "normal", np.random.default_rng(seed + 2)),
             label="hidden convolution weight, He as the notes write it"),
    ] + random_cases(rng, 6, random_init_case, label="hidden random initialisation")


def batchnorm_forward(rng):
    x = rng.normal(size=(6, 3)) * 1e3 + 1e4
    return [
        Case((x, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), True), {"momentum": 1.0},
             label="momentum 1: the running statistics become the batch's"),
        Case((x, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), True), {"momentum": 0.0},
             label="momentum 0: the running statistics stay"),
        Case((np.full((3, 2), 7.0), np.ones(2), np.zeros(2), np.zeros(2), np.ones(2), True),
             label="a constant batch: zero variance, eps keeps it finite"),
    ] + random_cases(rng, 4, lambda r: random_batchnorm_case(r, training=True), label="hidden training batch") \
      + random_cases(rng, 3, lambda r: random_batchnorm_case(r, training=False), label="hidden evaluation batch")


def batchnorm_backward(rng):
    return [
        Case((rng.normal(size=(5, 3)), rng.normal(size=(5, 3)) * 1e3 + 1e4, rng.normal(size=3)),
             label="hidden large offset and scale"),
        Case((rng.normal(size=(3, 2)), np.full((3, 2), 2.0), np.ones(2)), label="hidden constant batch"),
    ] + random_cases(rng, 6, random_backward_case, label="hidden random batch")


def layer_gradient_norms(rng):
    return [
        Case(random_network_case(rng, depth=12).args[:4] + ("tanh",), label="hidden 12 tanh layers"),
        Case(random_network_case(rng, depth=10).args[:4] + ("relu",), label="hidden 10 relu layers"),
        Case(random_network_case(rng, depth=1).args, label="hidden single layer"),
    ] + random_cases(rng, 6, random_network_case, label="hidden random network")


def clip_grad_norm(rng):
    return [
        Case(([rng.normal(size=(3, 4)) * 1e3, rng.normal(size=2)], 0.5), label="hidden huge gradient"),
        Case(([rng.normal(size=5) * 1e-3], 1.0), {"norm_type": 2.0}, label="hidden tiny gradient, untouched"),
    ] + random_cases(rng, 6, random_clip_case, label="hidden random gradients")


def train_digits(rng):
    """A held-out split of the 1797 digits (a quarter of them), and the seed given to the student."""
    order = rng.permutation(1797)
    return {"splits": [(np.sort(order[450:]), np.sort(order[:450]))], "seeds": [int(rng.integers(2**31))]}
