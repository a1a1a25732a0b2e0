"""Chapter 2's hidden cases: the instructor's side only (the release never contains them).

Each function is named after its check in :mod:`dlcourse.checks.ch02`, takes the grading
Generator ``rng`` (seeded per student, see :func:`dlcourse.checks.core.hidden`) and returns
what the check adds to its visible cases: a list of cases, or for a check of several
functions a dict of lists keyed by function name.
"""

import numpy as np

from dlcourse.checks.ch02 import (
    chain_activation,
    depth_activation,
    random_activation_input,
    random_chain,
    random_layer,
    random_logits,
    random_maxout_case,
    random_signal_case,
    with_alpha,
)
from dlcourse.checks.core import Case, random_cases


def _elementwise(rng):
    """Inputs at the edges of exp's range, other shapes, and wide random arrays."""
    return [
        Case((np.array([-745.0, -740.0, -710.0, -709.0, 709.0, 710.0, 745.0]),),
             label="both edges of the range of exp"),
        Case((np.linspace(-30, 30, 24).reshape(2, 3, 4),), label="a 3-D stack of values from -30 to 30"),
        Case((np.array(1.5),), label="a 0-d array input"),
    ] + random_cases(rng, 2, random_activation_input, label="hidden random input") + random_cases(
        rng, 4, lambda r: (r.normal(scale=30.0, size=(4, 5)),), label="hidden wide random input")


def relu(rng):
    return {"relu": _elementwise(rng), "relu_grad": _elementwise(rng)}


def sigmoid(rng):
    return {"sigmoid": _elementwise(rng), "sigmoid_grad": _elementwise(rng)}


def elu_selu(rng):
    return {"elu": with_alpha(_elementwise(rng), rng), "elu_grad": with_alpha(_elementwise(rng), rng),
            "selu": _elementwise(rng)}


def softplus(rng):
    return {"softplus": _elementwise(rng), "softplus_grad": _elementwise(rng)}


def softmax(rng):
    return random_cases(rng, 3, random_logits, label="hidden random logits") + [
        Case((np.array([[800.0, -800.0, 799.0]]),), label="huge positive and negative logits"),
        Case((np.arange(24.0).reshape(2, 3, 4) * 50,), {"axis": 1}, label="3-D, axis = 1"),
        Case((np.arange(24.0).reshape(2, 3, 4) * -50,), {"axis": -1}, label="3-D, axis = -1"),
        Case((np.full((2, 3), -1e4),), label="very negative logits"),
    ] + random_cases(rng, 3, lambda r: Case((r.normal(scale=300.0, size=(3, 4)),), {"axis": int(r.integers(0, 2))}),
                     label="hidden huge random logits")


def chain_gradient(rng):
    return random_cases(rng, 4, random_chain) + [
        Case((np.linspace(-2, 2, 5), np.full(30, 1.0), *chain_activation("sigmoid")),
             label="sigmoid, 30 layers: the gradient vanishes"),
        Case((np.array([0.5]), np.full(40, 4.0), *chain_activation("identity")),
             label="identity, 40 layers of w = 4: the gradient explodes"),
    ] + random_cases(rng, 4, random_chain)


def dead_units(rng):
    X = np.array([[2.0, -1.0], [0.5, 0.5], [-3.0, 1.5], [0.0, 0.25]])
    return random_cases(rng, 5, random_layer, label="hidden random layer") + [
        Case((X, np.zeros((2, 2)), np.array([0.0, 1e-9])),
             label="zero weights: a = 0 gives relu = 0 (dead), a tiny positive bias keeps it alive"),
        Case((np.ones((4, 3)), np.array([[1.0, 1.0, -2.0]]), np.array([0.0])),
             label="pre-activation exactly 0 on every sample"),
    ] + random_cases(rng, 5, random_layer, label="more hidden random layers")


def signal_through_depth(rng):
    return random_cases(rng, 4, random_signal_case) + [
        Case((*depth_activation("tanh"), np.random.default_rng(int(rng.integers(2 ** 32)))),
             {"depth": 40, "width": 32, "batch": 16, "gain": 1.5}, label="tanh, 40 layers of gain 1.5"),
        Case((*depth_activation("sigmoid"), np.random.default_rng(int(rng.integers(2 ** 32)))),
             {"depth": 25, "width": 16, "batch": 8}, label="sigmoid, 25 layers: the gradient vanishes"),
    ]


def maxout(rng):
    ties = np.zeros((3, 2))
    return random_cases(rng, 4, random_maxout_case, label="hidden random maxout layer") + [
        Case((np.array([[1.0, 2.0], [-1.0, 0.5], [3.0, -2.0]]), ties, np.zeros((4, 2)), np.array([0.0, 0.0, 1.0, 1.0]), 2),
             label="both units tie within their pieces on every sample"),
        Case((rng.normal(size=(6, 1)), rng.normal(size=(6, 5)), rng.normal(size=(5, 5)), rng.normal(size=5), 5),
             label="one unit of 5 pieces, 5 inputs"),
    ] + random_cases(rng, 3, random_maxout_case, label="more hidden random maxout layers")
