"""Checks for chapter 2, *Activation functions*: ReLU, sigmoid, ELU/SELU,
softplus and their derivatives, a numerically stable softmax, the product of
derivatives through depth (vanishing gradients) and dead ReLU units.

Every check takes the student's function(s) and ``hidden=False``; the hidden
variant (run by the grader) adds the instructor's cases from
``solutions/ch02-activations/hidden_cases.py`` (see :func:`dlcourse.checks.core.hidden`),
which the release never contains. Values
are compared with the reference within a tolerance, so any correct formula
passes. At a kink (x = 0 for ReLU and ELU) the derivative does not exist and
either one-sided value is accepted: the gradient checks avoid x = 0.
"""

import numpy as np

from dlcourse.checks.core import (
    Case,
    CheckFailure,
    Part,
    call_student,
    check_function,
    graded_parts,
    hidden as hidden_part,
    library_functions,
    random_cases,
)

__all__ = [
    "SELU_ALPHA",
    "SELU_SCALE",
    "chain_gradient",
    "dead_units",
    "chain_activation",
    "elu_selu",
    "random_activation_input",
    "random_chain",
    "random_layer",
    "random_logits",
    "relu",
    "sigmoid",
    "softmax",
    "softplus",
    "with_alpha",
]

# SELU's constants (Klambauer et al. 2017), as in PyTorch.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


# -- reference computations ----------------------------------------------------------


def _ref_relu(x):
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


def _ref_relu_grad(x):
    return (np.asarray(x, dtype=np.float64) > 0).astype(np.float64)


def _ref_sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _ref_sigmoid_grad(x):
    # sigma (1 - sigma) written as sigma(x) sigma(-x): no cancellation in 1 - sigma for large x
    x = np.asarray(x, dtype=np.float64)
    return _ref_sigmoid(x) * _ref_sigmoid(-x)


def _ref_elu(x, alpha=1.0):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def _ref_elu_grad(x, alpha=1.0):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))


def _ref_selu(x):
    return SELU_SCALE * _ref_elu(x, SELU_ALPHA)


def _ref_softplus(x):
    return np.logaddexp(0.0, np.asarray(x, dtype=np.float64))


def _ref_softmax(x, axis=-1):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _ref_chain_gradient(x, w, f, f_grad):
    h = np.asarray(x, dtype=np.float64)
    product = np.ones_like(h)
    rows = []
    for w_l in np.asarray(w, dtype=np.float64):
        a = w_l * h
        product = product * w_l * f_grad(a)
        h = f(a)
        rows.append(product)
    return np.array(rows).reshape(len(rows), *np.shape(x))


def _ref_dead_units(X, W, b):
    pre = np.asarray(X, dtype=np.float64) @ np.asarray(W, dtype=np.float64).T + b
    return (pre <= 0).all(axis=0)


_OWN = (_ref_relu, _ref_relu_grad, _ref_sigmoid, _ref_sigmoid_grad, _ref_elu, _ref_elu_grad,
        _ref_selu, _ref_softplus, _ref_softmax, _ref_chain_gradient, _ref_dead_units)


def _activation_references():
    return tuple(_OWN) + tuple(library_functions(
        "dlcourse.functional.activations", "dlcourse.functional.softmax", "dlcourse.nn.activation"))


# -- shared cases for elementwise functions ------------------------------------------------


_LANDMARKS = np.array([-1000.0, -50.0, -20.0, -3.0, -1.0, -1e-8, 1e-8, 1.0, 3.0, 20.0, 50.0, 1000.0])


def random_activation_input(rng, scale=4.0):
    """A random input array of 2 to 5 rows and 3 columns, entries of spread ``scale``."""
    return (rng.normal(scale=scale, size=(int(rng.integers(2, 6)), 3)),)


def _elementwise_cases(seed, more=(), with_zero=True):
    """The visible cases (random ones from ``seed``), then ``more`` (the hidden ones)."""
    points = _LANDMARKS if with_zero is False else np.sort(np.append(_LANDMARKS, 0.0))
    cases = [
        Case((points.copy(),), label="landmarks from -1000 to 1000"),
        Case((np.array([[-2.0, -0.5, 0.25], [0.5, 2.0, -7.0]]),), label="a 2-D array keeps its shape"),
        Case((np.array([0.7]),), label="shape (1,)"),
    ]
    cases += random_cases(seed, 3, random_activation_input) + list(more)
    return cases if with_zero else _without_zero(cases)


def _without_zero(cases):
    """The cases with every input 0 moved to 1e-3 (a derivative is not defined at a kink)."""
    return [Case(tuple(np.where(a == 0, 1e-3, a) for a in case.args), case.kwargs, label=case.label)
            for case in cases]


def _check_pair(student, reference, name, cases, hint, forbidden, rtol=1e-7, atol=1e-12):
    check_function(student, reference, cases, name=name, rtol=rtol, atol=atol, hint=hint,
                   forbidden=forbidden, keeps_inputs=True)


def _hidden_functions(exercise, hidden):
    """The hidden part of a check of several functions: ``{function name: [Case, ...]}``."""
    return hidden_part(exercise) if hidden else {}


# -- exercise 1: ReLU -------------------------------------------------------------------------


def relu(student_relu, student_relu_grad, hidden=False):
    """Exercise 1: ``relu(x)`` and ``relu_grad(x)``."""
    refs, more = _activation_references(), _hidden_functions("relu", hidden)
    _check_pair(student_relu, _ref_relu, "relu", _elementwise_cases(20, more.get("relu", ())),
                "relu(x) = max(0, x) elementwise; keep the shape of x (np.maximum, not max)", refs)
    _check_pair(student_relu_grad, _ref_relu_grad, "relu_grad",
                _elementwise_cases(21, more.get("relu_grad", ()), with_zero=False),
                "the slope is 1 where x > 0 and 0 where x < 0, an array of the same shape as x", refs)


# -- exercise 2: sigmoid ----------------------------------------------------------------------


def sigmoid(student_sigmoid, student_sigmoid_grad, hidden=False):
    """Exercise 2: ``sigmoid(x)`` and ``sigmoid_grad(x)``."""
    refs, more = _activation_references(), _hidden_functions("sigmoid", hidden)
    _check_pair(student_sigmoid, _ref_sigmoid, "sigmoid", _elementwise_cases(22, more.get("sigmoid", ())),
                "sigmoid(x) = 1 / (1 + exp(-x)); for very negative x, exp(-x) overflows: use "
                "exp(x) / (1 + exp(x)) there (np.where), or exp(-|x|)", refs)
    _check_pair(student_sigmoid_grad, _ref_sigmoid_grad, "sigmoid_grad",
                _elementwise_cases(23, more.get("sigmoid_grad", ())),
                "sigmoid'(x) = s (1 - s) with s = sigmoid(x); the form exp(-x) / (1 + exp(-x))^2 "
                "gives inf / inf = nan for very negative x", refs)


# -- exercise 3: ELU and SELU ------------------------------------------------------------------


def with_alpha(cases, rng):
    """Each case twice: with the default alpha, then with a random alpha in [0.1, 3)."""
    alphas = rng.uniform(0.1, 3.0, size=len(cases))
    out = []
    for case, alpha in zip(cases, alphas):
        out.append(case)
        out.append(Case(case.args, {"alpha": float(alpha)}, label=f"{case.label}, alpha = {alpha:.3f}"))
    return out


def elu_selu(student_elu, student_elu_grad, student_selu, hidden=False):
    """Exercise 3: ``elu(x, alpha=1.0)``, ``elu_grad(x, alpha=1.0)``, ``selu(x)`` (partial credit).

    The hidden part gives ``{"elu", "elu_grad", "selu"}``: the cases added to each, the
    ELU ones already with their alphas."""
    refs, more = _activation_references(), _hidden_functions("elu_selu", hidden)

    def elu_part():
        _check_pair(student_elu, _ref_elu, "elu",
                    with_alpha(_elementwise_cases(24), np.random.default_rng(5)) + list(more.get("elu", ())),
                    "elu(x) = x for x > 0 and alpha (e^x - 1) otherwise; the alpha argument scales only "
                    "the negative side", refs)
        _check_pair(student_elu_grad, _ref_elu_grad, "elu_grad",
                    with_alpha(_elementwise_cases(25, with_zero=False), np.random.default_rng(6))
                    + _without_zero(more.get("elu_grad", ())),
                    "elu'(x) = 1 for x > 0 and alpha e^x (= elu(x) + alpha) for x < 0", refs)

    def selu_part():
        _check_pair(student_selu, _ref_selu, "selu", _elementwise_cases(26, more.get("selu", ())),
                    "selu(x) = SELU_SCALE * elu(x, alpha=SELU_ALPHA): both branches are multiplied by "
                    "the scale, with the constants given in the notebook", refs)

    return graded_parts([Part("ELU and its derivative", 1, elu_part), Part("SELU", 1, selu_part)])


# -- exercise 4: softplus ----------------------------------------------------------------------


def softplus(student_softplus, student_softplus_grad, hidden=False):
    """Exercise 4: a softplus that never overflows, and its derivative."""
    refs, more = _activation_references(), _hidden_functions("softplus", hidden)
    _check_pair(student_softplus, _ref_softplus, "softplus", _elementwise_cases(27, more.get("softplus", ())),
                "log(1 + e^x) overflows for large x: write it as max(x, 0) + log1p(exp(-|x|))", refs)
    _check_pair(student_softplus_grad, _ref_sigmoid, "softplus_grad",
                _elementwise_cases(28, more.get("softplus_grad", ())),
                "the derivative of softplus is the logistic sigmoid; e^x / (1 + e^x) gives inf / inf "
                "for large x", refs)


# -- exercise 5: softmax ------------------------------------------------------------------------


def random_logits(rng):
    """A random batch of 1 to 4 rows of 2 to 6 logits."""
    return (rng.normal(scale=5.0, size=(int(rng.integers(1, 5)), int(rng.integers(2, 7)))),)


def softmax(student, hidden=False):
    """Exercise 5: ``softmax(x, axis=-1)``, numerically stable."""
    cases = [
        Case((np.array([1.0, 2.0, 3.0]),), label="[1, 2, 3]"),
        Case((np.array([0.0, 0.0, 0.0, 0.0]),), label="all equal"),
        Case((np.array([1000.0, 1000.0]),), label="large equal logits"),
        Case((np.array([-1000.0, 0.0, 1000.0]),), label="logits of very different sizes"),
        Case((np.array([[1.0, 2.0, 3.0], [10.0, 0.0, -10.0]]),), label="a batch: one softmax per row"),
        Case((np.array([[1.0, 2.0], [3.0, 5.0], [0.0, 0.0]]),), {"axis": 0}, label="axis = 0: one per column"),
        Case((np.array([5.0]),), label="a single logit"),
    ]
    cases += random_cases(51, 3, random_logits)
    if hidden:
        cases += hidden_part("softmax")
    check_function(student, _ref_softmax, cases, name="softmax", forbidden=_activation_references(),
                   keeps_inputs=True,
                   hint="subtract the maximum along `axis` (keepdims=True) before exp so nothing overflows, "
                        "then divide by the sum along the same axis (keepdims=True again)")


# -- exercise 6: the product of derivatives through depth ---------------------------------------


def _sig(a):
    return _ref_sigmoid(a)


def _sig_grad(a):
    return _ref_sigmoid_grad(a)


def _tanh(a):
    return np.tanh(a)


def _tanh_grad(a):
    return 1.0 - np.tanh(a) ** 2


def _ident(a):
    return np.asarray(a, dtype=np.float64)


def _ident_grad(a):
    return np.ones_like(np.asarray(a, dtype=np.float64))


def _sin_grad(a):
    return np.cos(a)


_CHAIN_ACTIVATIONS = {
    "sigmoid": (_sig, _sig_grad),
    "tanh": (_tanh, _tanh_grad),
    "relu": (_ref_relu, _ref_relu_grad),
    "identity": (_ident, _ident_grad),
    "sin": (np.sin, _sin_grad),
}


def chain_activation(name):
    """``(f, f_grad)`` of one of the chain's activations: sigmoid, tanh, relu, identity, sin."""
    return _CHAIN_ACTIVATIONS[name]


def random_chain(rng):
    """A random activation, depth, input and weights for ``chain_gradient``."""
    name = list(_CHAIN_ACTIVATIONS)[int(rng.integers(0, len(_CHAIN_ACTIVATIONS)))]
    depth, m = int(rng.integers(2, 12)), int(rng.integers(1, 6))
    x = rng.normal(size=m) + 0.1
    return Case((x, rng.normal(scale=1.5, size=depth), *_CHAIN_ACTIVATIONS[name]),
                label=f"{name}, depth {depth}")


def chain_gradient(student, hidden=False):
    """Exercise 6: ``chain_gradient(x, w, f, f_grad)`` returns dh_l/dx for l = 1..L, shape (L, m)."""
    cases = [
        Case((np.array([0.0]), np.ones(5), *_CHAIN_ACTIVATIONS["sigmoid"]),
             label="sigmoid, w = 1 through 5 layers, x = 0"),
        Case((np.array([-1.0, 0.5, 2.0]), np.array([2.0, -1.0, 0.5]), *_CHAIN_ACTIVATIONS["identity"]),
             label="identity: the product of the weights"),
        Case((np.array([0.3, -0.4]), np.array([1.5, 2.0, 0.5, 1.0]), *_CHAIN_ACTIVATIONS["tanh"]),
             label="tanh, 4 layers"),
        Case((np.array([-1.0, 1.0]), np.array([1.0, 2.0, 3.0]), *_CHAIN_ACTIVATIONS["relu"]),
             label="relu: zero for negative x, product of weights for positive x"),
        Case((np.array([0.2]), np.array([3.0]), *_CHAIN_ACTIVATIONS["sin"]), label="one layer"),
    ]
    cases += random_cases(61, 4, random_chain)
    if hidden:
        cases += hidden_part("chain_gradient")
    check_function(student, _ref_chain_gradient, cases, name="chain_gradient",
                   forbidden=(_ref_chain_gradient,), rtol=1e-9, atol=1e-300, keeps_inputs=True,
                   hint="with h_0 = x and a_l = w_l h_(l-1), h_l = f(a_l): dh_l/dx = dh_(l-1)/dx * w_l * f'(a_l). "
                        "Evaluate f_grad at the pre-activation a_l (not at h_l), include the weight, and "
                        "return one row per layer (L rows, not L + 1)")


# -- exercise 7: dead ReLU units -----------------------------------------------------------------


def random_layer(rng):
    """A random batch ``X`` and ReLU layer ``W, b`` whose biases lean negative (some units die)."""
    m, n, k = int(rng.integers(1, 30)), int(rng.integers(1, 5)), int(rng.integers(1, 8))
    return (rng.normal(size=(m, n)), rng.normal(size=(k, n)), rng.normal(scale=3.0, size=k) - 2.0)


def dead_units(student, hidden=False):
    """Exercise 7: ``dead_units(X, W, b)`` marks the ReLU units that output 0 on every sample."""
    X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, -3.0]])
    cases = [
        Case((X, np.array([[1.0, 1.0], [0.5, -0.5], [1.0, 0.0]]), np.array([-10.0, 0.0, 5.0])),
             label="a large negative bias kills unit 0"),
        Case((X, np.array([[1.0, 0.0]]), np.array([0.0])), label="one unit, alive on one sample only"),
        Case((X[:1], np.array([[-1.0, -1.0], [1.0, 1.0]]), np.array([0.0, 0.0])), label="a single sample"),
    ]
    cases += random_cases(71, 5, random_layer, label="random layer")
    if hidden:
        cases += hidden_part("dead_units")
    check_function(student, _ref_dead_units, cases, name="dead_units", forbidden=(_ref_dead_units,),
                   keeps_inputs=True,
                   hint="the pre-activations are X @ W.T + b, shape (m, units); a unit is dead when its "
                        "column is <= 0 for every sample (relu gives 0 there), so reduce over axis 0")
    got, _ = call_student(student, *cases[0].args, name="dead_units", forbidden=(_ref_dead_units,))
    if np.asarray(got).dtype != bool:
        raise CheckFailure(f"`dead_units` should return a boolean array (True = dead), got dtype "
                           f"{np.asarray(got).dtype}")
