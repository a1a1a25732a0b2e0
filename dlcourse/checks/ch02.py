"""Checks for chapter 2, *Activation functions*: ReLU, sigmoid, ELU/SELU,
softplus and their derivatives, a numerically stable softmax, a maxout layer's
forward and backward pass, the product of derivatives through depth (vanishing
gradients), the signal's statistics through a deep random stack, and dead ReLU units.

Every check takes the student's function(s) and ``hidden=False``; the hidden
variant (run by the grader) adds the instructor's cases from
``solutions/ch02-activations/hidden_cases.py`` (see :func:`dlcourse.checks.core.hidden`),
which the release never contains. Values
are compared with the reference within a tolerance, so any correct formula
passes. At a kink (x = 0 for ReLU and ELU) the derivative does not exist and
either one-sided value is accepted: the gradient checks avoid x = 0.
"""

import copy

import numpy as np

from dlcourse.checks.core import (
    Case,
    CheckFailure,
    Part,
    call_student,
    check_function,
    expect_close,
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
    "depth_activation",
    "elu_selu",
    "maxout",
    "random_maxout_case",
    "random_signal_case",
    "signal_through_depth",
    "random_activation_input",
    "random_chain",
    "random_layer",
    "random_logits",
    "relu",
    "relu_and_sigmoid",
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


def _ref_maxout_forward(x, W, b, num_pieces):
    z = np.asarray(x, dtype=np.float64) @ np.asarray(W, dtype=np.float64).T + b
    return z.reshape(len(z), -1, num_pieces).max(axis=2)


def _ref_maxout_backward(grad_out, x, W, b, num_pieces):
    x, W = np.asarray(x, dtype=np.float64), np.asarray(W, dtype=np.float64)
    z = (x @ W.T + b).reshape(len(x), -1, num_pieces)
    winner = z.argmax(axis=2)[..., None]                     # the first piece on a tie
    dz = np.zeros_like(z)
    np.put_along_axis(dz, winner, np.asarray(grad_out, dtype=np.float64)[..., None], axis=2)
    dz = dz.reshape(len(x), -1)
    return dz @ W, dz.T @ x, dz.sum(axis=0)


def _signal(f, f_grad, rng, depth, width, batch, gain, slip=None):
    """The deep stack's statistics; ``slip`` gives a typical mistake (for a failure's hint)."""
    rng = copy.deepcopy(rng)
    h = rng.standard_normal((batch, width))
    if slip == "upstream_first":
        upstream = rng.standard_normal((batch, width))
    scale = gain / width if slip == "scale" else gain / np.sqrt(width)
    weights = [rng.standard_normal((width, width)) * scale for _ in range(depth)]
    if slip != "upstream_first":
        upstream = rng.standard_normal((batch, width))
    pre, means, stds = [], np.zeros(depth), np.zeros(depth)
    for layer, W in enumerate(weights):
        pre.append(h @ W)
        h = f(pre[-1])
        seen = pre[-1] if slip == "pre_activation" else h
        means[layer], stds[layer] = seen.mean(), seen.std(ddof=1 if slip == "ddof" else 0)
    delta_rms, grad = np.zeros(depth), upstream
    for layer in reversed(range(depth)):
        delta = grad * f_grad(f(pre[layer]) if slip == "grad_at_output" else pre[layer])
        delta_rms[layer] = np.sqrt(np.mean(delta ** 2))
        grad = delta @ (weights[layer] if slip == "no_transpose" else weights[layer].T)
    return means, stds, delta_rms


def _ref_signal_through_depth(f, f_grad, rng, depth=30, width=128, batch=200, gain=1.0):
    return _signal(f, f_grad, rng, depth, width, batch, gain)


_OWN = (_ref_relu, _ref_relu_grad, _ref_sigmoid, _ref_sigmoid_grad, _ref_elu, _ref_elu_grad,
        _ref_selu, _ref_softplus, _ref_softmax, _ref_chain_gradient, _ref_dead_units,
        _ref_maxout_forward, _ref_maxout_backward, _ref_signal_through_depth)


def _activation_references():
    return tuple(_OWN) + tuple(library_functions(
        "dlcourse.functional.activations", "dlcourse.functional.softmax", "dlcourse.nn.activation"))


def _layer_references():
    """The activations, and the library's layers (a maxout is a Linear layer and a max)."""
    return _activation_references() + tuple(library_functions("dlcourse.nn.linear", "dlcourse.nn.container"))


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


# -- exercise 1, first pair: ReLU ------------------------------------------------------------


def relu(student_relu, student_relu_grad, hidden=False):
    """Exercise 1, first pair: ``relu(x)`` and ``relu_grad(x)``."""
    refs, more = _activation_references(), _hidden_functions("relu", hidden)
    _check_pair(student_relu, _ref_relu, "relu", _elementwise_cases(20, more.get("relu", ())),
                "relu(x) = max(0, x) elementwise; keep the shape of x (np.maximum, not max)", refs)
    _check_pair(student_relu_grad, _ref_relu_grad, "relu_grad",
                _elementwise_cases(21, more.get("relu_grad", ()), with_zero=False),
                "the slope is 1 where x > 0 and 0 where x < 0, an array of the same shape as x", refs)


# -- exercise 1, second pair: sigmoid ----------------------------------------------------------


def sigmoid(student_sigmoid, student_sigmoid_grad, hidden=False):
    """Exercise 1, second pair: ``sigmoid(x)`` and ``sigmoid_grad(x)``."""
    refs, more = _activation_references(), _hidden_functions("sigmoid", hidden)
    _check_pair(student_sigmoid, _ref_sigmoid, "sigmoid", _elementwise_cases(22, more.get("sigmoid", ())),
                "sigmoid(x) = 1 / (1 + exp(-x)); for very negative x, exp(-x) overflows: use "
                "exp(x) / (1 + exp(x)) there (np.where), or exp(-|x|)", refs)
    _check_pair(student_sigmoid_grad, _ref_sigmoid_grad, "sigmoid_grad",
                _elementwise_cases(23, more.get("sigmoid_grad", ())),
                "sigmoid'(x) = s (1 - s) with s = sigmoid(x); the form exp(-x) / (1 + exp(-x))^2 "
                "gives inf / inf = nan for very negative x", refs)


def relu_and_sigmoid(student_relu, student_relu_grad, student_sigmoid, student_sigmoid_grad, hidden=False):
    """Exercise 1: both pairs, a point each (partial credit): :func:`relu`, then :func:`sigmoid`."""
    return graded_parts([
        Part("ReLU and its derivative", 1, lambda: relu(student_relu, student_relu_grad, hidden=hidden)),
        Part("sigmoid and its derivative", 1, lambda: sigmoid(student_sigmoid, student_sigmoid_grad, hidden=hidden)),
    ])


# -- exercise 2: ELU and SELU ------------------------------------------------------------------


def with_alpha(cases, rng):
    """Each case twice: with the default alpha, then with a random alpha in [0.1, 3)."""
    alphas = rng.uniform(0.1, 3.0, size=len(cases))
    out = []
    for case, alpha in zip(cases, alphas):
        out.append(case)
        out.append(Case(case.args, {"alpha": float(alpha)}, label=f"{case.label}, alpha = {alpha:.3f}"))
    return out


def elu_selu(student_elu, student_elu_grad, student_selu, hidden=False):
    """Exercise 2: ``elu(x, alpha=1.0)``, ``elu_grad(x, alpha=1.0)``, ``selu(x)`` (partial credit).

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


# -- exercise 3: softplus ----------------------------------------------------------------------


def softplus(student_softplus, student_softplus_grad, hidden=False):
    """Exercise 3: a softplus that never overflows, and its derivative."""
    refs, more = _activation_references(), _hidden_functions("softplus", hidden)
    _check_pair(student_softplus, _ref_softplus, "softplus", _elementwise_cases(27, more.get("softplus", ())),
                "log(1 + e^x) overflows for large x: write it as max(x, 0) + log1p(exp(-|x|))", refs)
    _check_pair(student_softplus_grad, _ref_sigmoid, "softplus_grad",
                _elementwise_cases(28, more.get("softplus_grad", ())),
                "the derivative of softplus is the logistic sigmoid; e^x / (1 + e^x) gives inf / inf "
                "for large x", refs)


# -- exercise 4: softmax ------------------------------------------------------------------------


def random_logits(rng):
    """A random batch of 1 to 4 rows of 2 to 6 logits."""
    return (rng.normal(scale=5.0, size=(int(rng.integers(1, 5)), int(rng.integers(2, 7)))),)


def softmax(student, hidden=False):
    """Exercise 4: ``softmax(x, axis=-1)``, numerically stable."""
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


# -- exercise 5: the product of derivatives through depth ---------------------------------------


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
    """Exercise 5: ``chain_gradient(x, w, f, f_grad)`` returns dh_l/dx for l = 1..L, shape (L, m)."""
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


# -- exercise 6: the signal through a deep random stack ----------------------------------------


# The activations the check hands to the student's function: written here on their own, since
# the student's code runs them while every reference above is off limits to it.


def _depth_sigmoid(a):
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def _depth_sigmoid_grad(a):
    e = np.exp(-np.abs(a))
    return e / (1 + e) ** 2


def _depth_tanh(a):
    return np.tanh(a)


def _depth_tanh_grad(a):
    return 1.0 - np.tanh(a) ** 2


def _depth_relu(a):
    return np.maximum(a, 0.0)


def _depth_relu_grad(a):
    return (a > 0).astype(np.float64)


def _depth_selu(a):
    return SELU_SCALE * np.where(a > 0, a, SELU_ALPHA * np.expm1(np.minimum(a, 0.0)))


def _depth_selu_grad(a):
    return SELU_SCALE * np.where(a > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(a, 0.0)))


_DEPTH_ACTIVATIONS = {
    "sigmoid": (_depth_sigmoid, _depth_sigmoid_grad),
    "tanh": (_depth_tanh, _depth_tanh_grad),
    "relu": (_depth_relu, _depth_relu_grad),
    "selu": (_depth_selu, _depth_selu_grad),
}


def depth_activation(name):
    """``(f, f_grad)`` of one of the deep stack's activations: sigmoid, tanh, relu, selu."""
    return _DEPTH_ACTIVATIONS[name]


def random_signal_case(rng):
    """A random activation, stack shape and gain, with a generator of its own."""
    name = list(_DEPTH_ACTIVATIONS)[int(rng.integers(0, len(_DEPTH_ACTIVATIONS)))]
    depth, width, batch = int(rng.integers(1, 12)), int(rng.integers(2, 40)), int(rng.integers(2, 50))
    gain = float(rng.uniform(0.5, 2.0))
    return Case((*_DEPTH_ACTIVATIONS[name], np.random.default_rng(int(rng.integers(2 ** 32)))),
                {"depth": depth, "width": width, "batch": batch, "gain": gain},
                label=f"{name}, depth {depth}, width {width}, batch {batch}, gain {gain:.3f}")


_SIGNAL_SLIPS = {
    "ddof": "np.std with its default ddof = 0 (the population standard deviation), not ddof = 1",
    "pre_activation": "the statistics are those of the activations h_l = f(a_l), not of the "
                      "pre-activations a_l",
    "scale": "each weight is standard normal times gain / sqrt(width) (a standard deviation, "
             "not gain / width)",
    "upstream_first": "draw in the order the spec gives: the input batch, then the depth weight "
                      "matrices, then the upstream gradient",
    "grad_at_output": "f_grad is evaluated at the pre-activation a_l (kept from the forward pass), "
                      "not at h_l = f(a_l)",
    "no_transpose": "the gradient reaching h_(l-1) is delta_l @ W_l.T (transposed: a_l = h_(l-1) @ W_l)",
}
_SIGNAL_VALUES = ("means", "stds", "delta_rms")


def _signal_hint(case, got, index):
    """The hint for a wrong value ``index`` of ``got``: the slip it matches, if any."""
    f, f_grad, rng = case.args
    settings = dict(depth=30, width=128, batch=200, gain=1.0, **case.kwargs)
    for slip, hint in _SIGNAL_SLIPS.items():
        wrong = _signal(f, f_grad, rng, slip=slip, **settings)[index]
        try:
            value = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            break
        if value.shape == wrong.shape and np.allclose(value, wrong, rtol=1e-6, atol=1e-300):
            return hint
    return ("means[l-1] and stds[l-1] are h_l.mean() and h_l.std() over the whole batch; delta_rms[l-1] "
            "is sqrt(mean(delta_l ** 2)) with delta_l = dL/da_l = (dL/dh_l) * f_grad(a_l), going "
            "backwards from the upstream gradient; each an array of shape (depth,)")


def signal_through_depth(student, hidden=False):
    """Exercise 6: ``signal_through_depth(f, f_grad, rng, depth=30, width=128, batch=200, gain=1.0)
    -> (means, stds, delta_rms)``, each of shape (depth,)."""
    def case(name, seed, label, **settings):
        return Case((*_DEPTH_ACTIVATIONS[name], np.random.default_rng(seed)), settings, label=label)

    cases = [
        case("selu", 0, "selu, the defaults: depth 30, width 128, batch 200, gain 1"),
        case("relu", 1, "relu, gain 1: the signal halves its square every layer", depth=12, width=64, batch=50),
        case("relu", 2, "relu, gain sqrt(2) (He)", depth=12, width=64, batch=50, gain=float(np.sqrt(2))),
        case("tanh", 3, "tanh, depth 3, width 4, batch 5", depth=3, width=4, batch=5),
        case("sigmoid", 4, "sigmoid, a single layer", depth=1, width=6, batch=3),
    ]
    cases += random_cases(81, 3, random_signal_case)
    if hidden:
        cases += hidden_part("signal_through_depth")
    refs = _activation_references()
    for case in cases:
        got, noise = call_student(student, *case.args, name="signal_through_depth", case=case, forbidden=refs,
                                  arg_names=("f", "f_grad", "rng"), **case.kwargs)
        expected = _ref_signal_through_depth(*case.args, **case.kwargs)
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            raise CheckFailure(f"`signal_through_depth` should return 3 values (means, stds, delta_rms), "
                               f"got {got!r:.200}\n  input: {case.describe()}")
        for index, (g, e) in enumerate(zip(got, expected)):
            what = f"{_SIGNAL_VALUES[index]} (value {index + 1} returned by `signal_through_depth`)"
            try:
                expect_close(g, e, what, case, rtol=1e-6, atol=1e-300, noise=noise)
            except CheckFailure as failure:
                raise CheckFailure(f"{failure}\n  hint: {_signal_hint(case, g, index)}") from None
    print(f"\u2713 signal_through_depth: all {len(cases)} cases pass")


# -- exercise 8: a maxout layer, forward and backward -----------------------------------------


def random_maxout_case(rng):
    """A random batch, maxout layer (units, pieces, inputs) and upstream gradient."""
    m, n = int(rng.integers(1, 8)), int(rng.integers(1, 5))
    units, pieces = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    x = rng.normal(size=(m, n))
    W, b = rng.normal(size=(units * pieces, n)), rng.normal(size=units * pieces)
    return Case((rng.normal(size=(m, units)), x, W, b, pieces), label=f"random layer: {units} units of {pieces} pieces")


def _maxout_cases(seed, more=()):
    """Backward cases ``(grad_out, x, W, b, num_pieces)``; the forward check drops grad_out."""
    x3 = np.array([[-2.0], [-0.5], [0.0], [1.5]])
    x_batch = np.array([[1.0, -1.0], [0.5, 2.0], [-1.5, 0.25], [0.0, 0.0]])
    W_two = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0], [2.0, -1.0], [-0.5, 1.0], [1.0, 1.0]])
    b_two = np.array([0.0, 0.5, -0.25, 0.1, 0.0, -1.0])
    cases = [
        Case((np.ones((4, 1)), x3, np.array([[1.0], [0.0]]), np.zeros(2), 2),
             label="ReLU as a maxout: max(x, 0), pieces w = [1, 0], b = [0, 0] (at x = 0 both tie: x wins)"),
        Case((np.array([[1.0], [-2.0], [0.5], [3.0]]), x3, np.array([[1.0], [-1.0]]), np.zeros(2), 2),
             label="|x| = max(x, -x), with an upstream gradient"),
        Case((np.arange(8.0).reshape(4, 2) - 3, x_batch, W_two, b_two, 3),
             label="2 units of 3 pieces: unit 0 takes rows 0-2 of W, unit 1 rows 3-5"),
        Case((np.array([[1.0, -1.0, 2.0]]), np.array([[0.3, -0.7]]), W_two, b_two, 2),
             label="3 units of 2 pieces on one sample"),
        Case((np.array([[2.0], [1.0]]), np.zeros((2, 3)), np.ones((3, 3)), np.zeros(3), 3),
             label="every piece ties at 0: the first piece wins (as np.argmax)"),
        Case((np.ones((3, 2)), x_batch[:3], W_two[:2], b_two[:2], 1),
             label="one piece per unit: a plain linear layer"),
    ]
    return cases + random_cases(seed, 3, random_maxout_case) + list(more)


def maxout(student_forward, student_backward, hidden=False):
    """Exercise 8: ``maxout_forward(x, W, b, num_pieces)`` and
    ``maxout_backward(grad_out, x, W, b, num_pieces) -> (dx, dW, db)`` (partial credit).

    The hidden part gives a list of backward cases; the forward check drops their grad_out."""
    refs = _layer_references()
    cases = _maxout_cases(91, hidden_part("maxout") if hidden else ())

    def forward_part():
        forward_cases = [Case(c.args[1:], label=c.label) for c in cases]
        check_function(student_forward, _ref_maxout_forward, forward_cases, name="maxout_forward",
                       forbidden=refs, keeps_inputs=True,
                       hint="z = x @ W.T + b has units * num_pieces columns; unit j's pieces are the "
                            "consecutive columns j*k .. j*k + k - 1 (z.reshape(m, units, k)), and its "
                            "output is their maximum: shape (m, units)")

    def backward_part():
        check_function(student_backward, _ref_maxout_backward, cases, name="maxout_backward",
                       forbidden=refs, keeps_inputs=True,
                       hint="dz (m, units * k) is zero except at each unit's winning piece, which receives "
                            "that unit's grad_out (only one piece per unit and sample, the first on a tie); "
                            "then dx = dz @ W (m, n), dW = dz.T @ x (same shape as W), db = dz summed over "
                            "the batch (same shape as b)")

    return graded_parts([Part("maxout forward", 1, forward_part), Part("maxout backward", 2, backward_part)])
