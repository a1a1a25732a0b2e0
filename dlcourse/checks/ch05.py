"""Checks for chapter 5, *Backpropagation*: the notes' two-path chain-rule
example, numerical gradients and the relative error of a gradient check, the
backward pass of a linear layer, the notes' backward table (sigmoid, tanh, ReLU
and the max gate), the forward and backward pass of a two-layer network and of
a network of any depth (both built on the student's chapter-3
``softmax_cross_entropy``, whose failures they point out), and the "tower" of
two steep sigmoids behind the universal approximation picture.

Every check takes the student's function(s) and ``hidden=False``; the hidden
variant (run by the grader) adds the instructor's cases from
``solutions/ch05-backprop/hidden_cases.py`` (see
:func:`dlcourse.checks.core.hidden`), which the release never contains. Values
are compared with the reference within a tolerance, so any correct formula
passes. The reference implementations are private functions of this module;
the library's implementations of the same thing (``dlcourse.nn``'s layers and
losses, ``dlcourse.functional``'s losses and softmax, ``dlcourse.gradcheck``)
are refused while the student's function runs.
"""

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
    "backward_table",
    "deep_forward_backward",
    "linear_layer",
    "mlp_forward_backward",
    "numerical_gradient",
    "tower",
    "two_path_gradient",
]


# -- reference computations ----------------------------------------------------------


def _sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _ref_two_path_gradient(w):
    # o = K(p, q) = p + q, p = cos(y), q = sin(z), y = z = w^2:
    # do/dw = 1 * (-sin y) * 2w + 1 * cos z * 2w
    w = np.asarray(w, dtype=np.float64)
    return -2 * w * np.sin(w**2) + 2 * w * np.cos(w**2)


def _ref_numerical_gradient(f, x, h=1e-6):
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = float(f(x))
        x[index] = original - h
        f_minus = float(f(x))
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def _ref_relative_error(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(a) + np.abs(b))), 1e-12))


def _ref_linear_forward(X, W, b):
    return np.asarray(X, dtype=np.float64) @ np.asarray(W, dtype=np.float64).T + b


def _ref_linear_backward(dout, X, W):
    dout, X, W = (np.asarray(v, dtype=np.float64) for v in (dout, X, W))
    return dout @ W, dout.T @ X, dout.sum(axis=0)


def _ref_sigmoid_backward(dout, a):
    return np.asarray(dout, dtype=np.float64) * _sigmoid(a) * _sigmoid(-np.asarray(a, dtype=np.float64))


def _ref_tanh_backward(dout, a):
    t = np.tanh(np.asarray(a, dtype=np.float64))
    return np.asarray(dout, dtype=np.float64) * (1 - t * t)


def _ref_relu_backward(dout, a):
    return np.asarray(dout, dtype=np.float64) * (np.asarray(a) > 0)


def _ref_max_backward(dout, X):
    X = np.asarray(X, dtype=np.float64)
    grad = np.zeros_like(X)
    grad[np.arange(len(X)), np.argmax(X, axis=1)] = dout
    return grad


def _log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _ref_softmax_cross_entropy(logits, labels):
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels)
    n = logits.shape[0]
    log_p = _log_softmax(logits)
    loss = -log_p[np.arange(n), labels].mean()
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1.0
    return float(loss), grad / n


def _ref_mlp_forward_backward(X, y, params):
    X = np.asarray(X, dtype=np.float64)
    W1, b1, W2, b2 = (np.asarray(params[k], dtype=np.float64) for k in ("W1", "b1", "W2", "b2"))
    a1 = X @ W1.T + b1
    h1 = _sigmoid(a1)
    a2 = h1 @ W2.T + b2
    loss, delta2 = _ref_softmax_cross_entropy(a2, y)
    delta1 = (delta2 @ W2) * _sigmoid(a1) * _sigmoid(-a1)
    grads = {"W1": delta1.T @ X, "b1": delta1.sum(axis=0), "W2": delta2.T @ h1, "b2": delta2.sum(axis=0)}
    return loss, grads


_DERIVATIVES = {
    "sigmoid": lambda a, h: h * (1 - h),
    "tanh": lambda a, h: 1 - h * h,
    "relu": lambda a, h: (a > 0).astype(np.float64),
}
_ACTIVATIONS = {"sigmoid": _sigmoid, "tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0)}


def _ref_deep_forward_backward(X, y, weights, biases, activation):
    h = np.asarray(X, dtype=np.float64)
    weights = [np.asarray(W, dtype=np.float64) for W in weights]
    inputs, pre = [], []
    for W, b in zip(weights[:-1], biases[:-1]):
        inputs.append(h)
        pre.append(h @ W.T + b)
        h = _ACTIVATIONS[activation](pre[-1])
    inputs.append(h)
    loss, delta = _ref_softmax_cross_entropy(h @ weights[-1].T + biases[-1], y)
    d_weights, d_biases = [None] * len(weights), [None] * len(weights)
    for layer in range(len(weights) - 1, -1, -1):
        d_weights[layer], d_biases[layer] = delta.T @ inputs[layer], delta.sum(axis=0)
        if layer > 0:
            a = pre[layer - 1]
            delta = (delta @ weights[layer]) * _DERIVATIVES[activation](a, inputs[layer])
    return loss, d_weights, d_biases


def _ref_tower(x, center, width, height, steepness):
    x = np.asarray(x, dtype=np.float64)
    left, right = center - width / 2, center + width / 2
    return height * (_sigmoid(steepness * (x - left)) - _sigmoid(steepness * (x - right)))


_OWN = (_sigmoid, _ref_two_path_gradient, _ref_numerical_gradient, _ref_relative_error,
        _ref_linear_forward, _ref_linear_backward, _ref_sigmoid_backward, _ref_tanh_backward,
        _ref_relu_backward, _ref_max_backward, _log_softmax, _ref_softmax_cross_entropy,
        _ref_mlp_forward_backward, _ref_deep_forward_backward, _ref_tower)


def _references(*modules, keep=None):
    return tuple(_OWN) + tuple(library_functions(*modules, keep=keep))


def _backward_only(name):
    return name.endswith(("_grad", "_backward")) or name == "backward"


# -- exercise 1: the notes' two-path example -----------------------------------------------


def two_path_gradient(student, hidden=False):
    """Exercise 1: ``two_path_gradient(w)`` = do/dw for o = cos(w²) + sin(w²)."""
    cases = [
        Case((1.0,), label="w = 1"),
        Case((0.0,), label="w = 0"),
        Case((-0.5,), label="w = -0.5"),
        Case((np.array([0.5, 1.0, 1.5, 2.0]),), label="an array of w: one derivative per entry"),
        Case((np.array([[0.1, -0.3], [2.5, -1.2]]),), label="a 2-D array keeps its shape"),
    ]
    cases += random_cases(11, 3, lambda rng: (rng.uniform(-3, 3, size=int(rng.integers(1, 6))),))
    if hidden:
        cases += hidden_part("two_path_gradient")
    check_function(student, _ref_two_path_gradient, cases, name="two_path_gradient",
                   forbidden=_OWN, rtol=1e-9, atol=1e-12,
                   hint="sum the two paths: path p gives 1 * (-sin y) * 2w, path q gives 1 * cos z * 2w, "
                        "with y = z = w^2; do not forget the inner derivative 2w, and use np.sin / np.cos "
                        "so that an array w works too")


# -- exercise 2: numerical gradient and relative error -------------------------------------


def _cube_sum(x):
    return float(np.sum(x**3))


def _two_path(x):
    w = x.reshape(-1)[0]
    return float(np.cos(w**2) + np.sin(w**2))


def _mixed(x):
    return float(np.sin(x[0]) * np.exp(x[1]) + x[0] * x[1] ** 2)


_A = np.array([[0.5, -1.0], [2.0, 0.3], [-0.7, 1.1]])


def _tanh_layer(X):
    return float(np.sum(np.tanh(X @ _A)))


def _exp_sum(x):
    return float(np.sum(np.exp(2 * x)))


def _log_sum_exp(x):
    return float(np.log(np.sum(np.exp(x))))


def numerical_gradient(student_gradient, student_relative_error, hidden=False):
    """Exercise 2: ``numerical_gradient(f, x, h=1e-6)`` and ``relative_error(a, b)`` (partial credit).

    The hidden part gives ``{"numerical_gradient", "relative_error"}``: the cases each part adds."""
    refs = _references("dlcourse.gradcheck")
    more = hidden_part("numerical_gradient") if hidden else {}

    def gradient_part():
        cases = [
            Case((_two_path, np.array([1.0])), label="the notes' o(w) = cos(w^2) + sin(w^2) at w = 1"),
            Case((_cube_sum, np.array([1.0, -2.0, 0.5])), label="f(x) = sum(x^3)"),
            Case((_mixed, np.array([0.3, -0.8])), label="f(x) = sin(x0) exp(x1) + x0 x1^2"),
            Case((_tanh_layer, np.array([[0.2, -0.4, 1.0], [0.7, 0.1, -0.3]])),
                 label="x of shape (2, 3): f(X) = sum(tanh(X @ A))"),
            Case((_exp_sum, np.array([0.4, -0.1])), {"h": 1e-2},
                 label="h = 1e-2 given: f(x) = sum(exp(2x))"),
        ]
        cases += random_cases(21, 2, lambda rng: Case(
            (_log_sum_exp, rng.normal(size=int(rng.integers(1, 6)))), label="f(x) = log(sum(exp(x)))"))
        cases += more.get("numerical_gradient", [])
        check_function(student_gradient, _ref_numerical_gradient, cases, name="numerical_gradient",
                       forbidden=refs, rtol=1e-6, atol=1e-8, keeps_inputs=True,
                       hint="use centred differences (f(x + h e_i) - f(x - h e_i)) / (2h) for every entry i of x "
                            "(np.ndindex(x.shape) visits them all, whatever the shape), with the h that is "
                            "passed in; put x[i] back after each one, and return an array of x's shape. "
                            "A one-sided difference (f(x + h) - f(x)) / h is not accurate enough")

    def relative_error_part():
        cases = [
            Case((np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0])), label="equal arrays"),
            Case((np.array([1.0, 2.0]), np.array([1.1, 2.0])), label="one entry off by 0.1"),
            Case((np.array([[1e-3, -2e-3], [0.0, 5e-4]]), np.array([[1.1e-3, -2e-3], [0.0, 5e-4]])),
                 label="small gradients: the error is relative to their size"),
            Case((np.array([0.0, 0.0]), np.array([0.0, 0.0])), label="both zero: no division by zero"),
            Case((np.array([3.0]), np.array([-3.0])), label="opposite signs"),
        ]
        cases += random_cases(24, 3, lambda rng: Case(
            (a := rng.normal(size=(2, 3)), a + rng.normal(scale=1e-6, size=(2, 3)))))
        cases += more.get("relative_error", [])
        check_function(student_relative_error, _ref_relative_error, cases, name="relative_error",
                       forbidden=refs, rtol=1e-9, atol=1e-15,
                       hint="max over all entries of |a - b|, divided by max(max over all entries of (|a| + |b|), "
                            "1e-12): two maxima over the whole arrays, not one ratio per entry")

    return graded_parts([Part("numerical_gradient", 1, gradient_part),
                         Part("relative_error", 1, relative_error_part)])


# -- exercise 3: the linear layer --------------------------------------------------------------


def random_layer(rng, n=None, d_in=None, d_out=None):
    """Random (X, W, b, dout) for a linear layer of n samples, d_in inputs, d_out outputs."""
    n = int(rng.integers(1, 7)) if n is None else n
    d_in = int(rng.integers(1, 6)) if d_in is None else d_in
    d_out = int(rng.integers(1, 6)) if d_out is None else d_out
    return rng.normal(size=(n, d_in)), rng.normal(size=(d_out, d_in)), rng.normal(size=d_out), \
        rng.normal(size=(n, d_out))


def linear_layer(student_forward, student_backward, hidden=False):
    """Exercise 3: ``linear_forward(X, W, b)`` and ``linear_backward(dout, X, W) -> (dX, dW, db)``.

    The hidden part gives more layers ``(X, W, b, dout)``, both parts use them."""
    refs = _references("dlcourse.nn.linear", "dlcourse.nn.container", "dlcourse.gradcheck")
    rng = np.random.default_rng(30)
    shapes = [(3, 4, 4), (4, 3, 2), (1, 3, 5), (5, 1, 1), (6, 2, 3)]
    layers = [random_layer(rng, *s) for s in shapes]
    if hidden:
        layers += hidden_part("linear_layer")
    worked = (np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([[0.5, -1.0], [2.0, 0.0], [1.0, 1.0]]),
              np.array([0.1, -0.2, 0.3]), np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 1.0]]))

    def forward_part():
        cases = [Case(layer[:3], label=f"X {layer[0].shape}, W {layer[1].shape}") for layer in layers]
        cases.insert(1, Case(worked[:3], label="2 samples, 2 inputs, 3 outputs"))
        check_function(student_forward, _ref_linear_forward, cases, name="linear_forward", forbidden=refs,
                       rtol=1e-10, atol=1e-12,
                       hint="one row per sample: X @ W.T + b, of shape (N, out); W has one row per output unit")

    def backward_part():
        cases = [Case((worked[3], worked[0], worked[1]), label="2 samples, 2 inputs, 3 outputs")]
        cases += [Case((layer[3], layer[0], layer[1]), label=f"dout {layer[3].shape}, X {layer[0].shape}, "
                       f"W {layer[1].shape}") for layer in layers]
        check_function(student_backward, _ref_linear_backward, cases, name="linear_backward", forbidden=refs,
                       rtol=1e-10, atol=1e-12,
                       hint="dX = dout @ W (N, in), dW = dout.T @ X (out, in), the shape of W, and db = the SUM "
                            "of dout over the samples (out,); each sample adds its own contribution")

    return graded_parts([Part("linear_forward", 1, forward_part), Part("linear_backward", 2, backward_part)])


# -- answers first, comparisons after ------------------------------------------------------


def _answers(student, cases, name, forbidden, keeps_inputs=False, arg_names=()):
    """``[(case, failure, result, noise)]``: the student's answer on every case.

    Every call is made before anything is compared, so that the grader, which replays the
    calls of the answer key in order, sees the same calls whatever the answers are."""
    found = []
    for case in cases:
        try:
            result, noise = call_student(student, *case.args, name=name, case=case, forbidden=forbidden,
                                         keeps_inputs=keeps_inputs, arg_names=arg_names, **case.kwargs)
        except CheckFailure as failure:
            found.append((case, failure, None, ()))
        else:
            found.append((case, None, result, noise))
    return found


def _compare(answers, reference, name, rtol, atol, hint, note=""):
    """A part's ``run``: every answer against the reference, the first difference raised."""

    def run():
        for case, failure, got, noise in answers:
            if failure is not None:
                unfinished = "not implemented yet" in str(failure)
                raise CheckFailure(f"{failure}" + ("" if unfinished else f"\n  hint: {hint}") + note) from None
            with np.errstate(all="ignore"):
                expected = reference(*case.args, **case.kwargs)
            try:
                expect_close(got, expected, f"`{name}`", case, rtol=rtol, atol=atol, hint=hint, noise=noise)
            except CheckFailure as wrong:
                raise CheckFailure(f"{wrong}{note}") from None

    return run


# -- exercise 4: the notes' backward table ----------------------------------------------------




def elementwise_case(rng, scale=4.0):
    """Random (dout, a) of one shape for an elementwise layer."""
    shape = (int(rng.integers(1, 6)), int(rng.integers(1, 5)))
    return rng.normal(size=shape), rng.normal(scale=scale, size=shape)


def max_case(rng):
    """Random (dout, X) for a max gate over the k entries of each of N rows."""
    n, k = int(rng.integers(1, 6)), int(rng.integers(1, 6))
    return Case((rng.normal(size=n), rng.normal(size=(n, k))), label=f"random rows ({n}, {k})")


_LANDMARKS = np.array([-1000.0, -50.0, -20.0, -3.0, -1.0, 0.0, 1.0, 3.0, 20.0, 50.0, 1000.0])
_BATCH = (np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]]), np.array([[0.5, -1.0, 2.0], [0.0, 4.0, -3.0]]))


def _backward_table_cases(hidden):
    more = hidden_part("backward_table") if hidden else {}
    sigmoid = [
        Case((np.ones(11), _LANDMARKS), label="dout = 1: the derivative itself, from -1000 to 1000"),
        Case((np.array([2.0]), np.array([0.0])), label="sigma'(0) = 1/4, times dout = 2"),
        Case(_BATCH, label="a batch (2, 3): elementwise"),
    ] + random_cases(41, 3, elementwise_case)
    tanh = [
        Case((np.ones(11), _LANDMARKS), label="dout = 1: the derivative itself, from -1000 to 1000"),
        Case((np.array([2.0]), np.array([0.0])), label="tanh'(0) = 1, times dout = 2"),
        Case((np.array([1.0, 1.0]), np.array([0.5, -2.0])), label="tanh'(0.5) = 0.7864, tanh'(-2) = 0.0707"),
        Case(_BATCH, label="a batch (2, 3): elementwise"),
    ] + random_cases(42, 3, elementwise_case)
    relu = [
        Case((np.array([3.0, 3.0, 3.0]), np.array([-1.0, 0.0, 2.0])),
             label="a < 0, a = 0 and a > 0: the gradient at exactly 0 is 0 (as in PyTorch)"),
        Case((np.array([-2.0, -2.0]), np.array([-1.0, 1.0])), label="a negative dout passes where a > 0"),
        Case(_BATCH, label="a batch (2, 3): elementwise"),
    ] + random_cases(43, 3, elementwise_case)
    maximum = [
        Case((np.array([2.0]), np.array([[1.0, 5.0, 3.0]])), label="one row: the largest input gets dout"),
        Case((np.array([1.0, -3.0]), np.array([[0.2, -0.1], [-4.0, -2.0]])),
             label="two rows, negative inputs"),
        Case((np.array([1.5, 1.0]), np.array([[2.0, 2.0, 1.0], [0.0, 7.0, 7.0]])),
             label="ties: only the first largest entry of a row gets dout"),
        Case((np.array([0.5, -1.0, 2.0]), np.array([[4.0], [-1.0], [0.0]])), label="k = 1: the identity"),
        Case((np.array([1.0, 2.0, 3.0]), np.array([[3.0, 1.0, 0.0], [0.0, 2.0, 1.0], [0.0, 1.0, 5.0]])),
             label="N = k = 3: dout goes along the rows"),
    ] + random_cases(44, 3, max_case)
    return {"sigmoid_backward": sigmoid + more.get("sigmoid_backward", []),
            "tanh_backward": tanh + more.get("tanh_backward", []),
            "relu_backward": relu + more.get("relu_backward", []),
            "max_backward": maximum + more.get("max_backward", [])}


_BACKWARD_TABLE = {
    "sigmoid_backward": (_ref_sigmoid_backward, 1e-7,
                         "multiply the incoming gradient by sigma'(a) = s (1 - s) with s = sigma(a), elementwise, "
                         "at the pre-activation a (not at s); compute s stably (exp(-|a|)), since "
                         "exp(-a) / (1 + exp(-a))^2 gives inf / inf = nan for very negative a"),
    "tanh_backward": (_ref_tanh_backward, 1e-7,
                      "dout * (1 - t^2) with t = tanh(a), the layer's OUTPUT: the notes' row g (1 - z^2) "
                      "squares the output, not the input a; np.tanh is stable, (e^a - e^-a) / (e^a + e^-a) "
                      "gives inf / inf = nan for large |a|"),
    "relu_backward": (_ref_relu_backward, 1e-12,
                      "dout where a > 0 and 0 elsewhere, at a = 0 too (the notes' I(z > 0)): the gate is the "
                      "sign of the input a, not of dout; build a new array (dout * (a > 0)) instead of "
                      "zeroing entries of dout"),
    "max_backward": (_ref_max_backward, 1e-12,
                     "the max gate routes: the whole dout[n] goes to the largest entry of row n "
                     "(np.argmax, the first one on a tie) and every other input gets 0; nothing is spread "
                     "over the row, and dout[n] belongs to row n (index rows with np.arange(N))"),
}


def backward_table(student_sigmoid, student_tanh, student_relu, student_max, hidden=False):
    """Exercise 4: the backward rows of the notes' table, one point each (partial credit):
    ``sigmoid_backward(dout, a)``, ``tanh_backward(dout, a)``, ``relu_backward(dout, a)``
    and ``max_backward(dout, X)``.

    The hidden part gives ``{name: [Case, ...]}`` for any of the four names."""
    refs = _references("dlcourse.nn.activation", "dlcourse.nn.container", "dlcourse.nn.pooling",
                       "dlcourse.gradcheck", "dlcourse.functional.activations", keep=_backward_only)
    students = {"sigmoid_backward": student_sigmoid, "tanh_backward": student_tanh,
                "relu_backward": student_relu, "max_backward": student_max}
    cases = _backward_table_cases(hidden)
    answers = {name: _answers(students[name], cases[name], name, refs, keeps_inputs=True,
                              arg_names=("dout", "X" if name == "max_backward" else "a"))
               for name in students}
    return graded_parts([
        Part(name, 1, _compare(answers[name], reference, name, rtol=rtol, atol=1e-12, hint=hint))
        for name, (reference, rtol, hint) in _BACKWARD_TABLE.items()])


# -- the student's softmax_cross_entropy from chapter 3 ------------------------------------------


def logit_case(rng, scale=3.0):
    """Random logits (N, C) of the given scale and labels, 1 <= N <= 6, 2 <= C <= 5."""
    n, c = int(rng.integers(1, 7)), int(rng.integers(2, 6))
    return Case((rng.normal(scale=scale, size=(n, c)), rng.integers(0, c, size=n)),
                label=f"random logits ({n}, {c})")


_EARLIER_CE_CASES = [
    Case((np.array([[2.0, 1.0, 0.1]]), np.array([0])), label="one sample, true class 0"),
    Case((np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]), np.array([2, 0])), label="two samples"),
    Case((np.array([[1000.0, 0.0, -1000.0], [5.0, 1005.0, 0.0]]), np.array([2, 1])), label="huge logits"),
] + random_cases(51, 2, logit_case)


def _earlier_note(student_ce, refs):
    """The calls that try the student's chapter-3 ``softmax_cross_entropy``, and what to add
    to a later failure when it is wrong (an empty string when it is right, or not given)."""
    if student_ce is None:
        return ""
    answers = _answers(student_ce, _EARLIER_CE_CASES, "softmax_cross_entropy", refs)
    for case, failure, got, noise in answers:
        if failure is None:
            expected = _ref_softmax_cross_entropy(*case.args)
            if not isinstance(got, (tuple, list)) or len(got) != 2:
                failure = CheckFailure(f"`softmax_cross_entropy` should return 2 values (loss, dlogits), got "
                                       f"{type(got).__name__}\n  input: {case.describe()}")
            else:
                try:
                    for index, (g, e) in enumerate(zip(got, expected)):
                        expect_close(g, e, f"value {index + 1} returned by `softmax_cross_entropy`", case,
                                     rtol=1e-7, atol=1e-12)
                except CheckFailure as wrong:
                    failure = wrong
        if failure is not None:
            first = str(failure).split("\n  hint:")[0]
            return ("\n  note: this may come from your chapter 3 `softmax_cross_entropy` (the cell you pasted), "
                    "which is wrong itself; fix it first (its own check is in chapter 3):\n    "
                    + first.replace("\n", "\n    "))
    return ""


# -- exercise 5: a two-layer network, forward and backward ------------------------------------------


_PARAM_SHAPES = {"W1": "(H, D)", "b1": "(H,)", "W2": "(C, H)", "b2": "(C,)"}
_NETWORK_REFS = ("dlcourse.nn.linear", "dlcourse.nn.activation", "dlcourse.nn.loss", "dlcourse.nn.container",
                 "dlcourse.nn.module", "dlcourse.functional.losses", "dlcourse.functional.softmax",
                 "dlcourse.gradcheck")


def mlp_case(rng, n=None, d=None, h=None, c=None, scale=1.0, label=None):
    """A random batch (X, y) and parameters of a D-H-C network (sizes random if None)."""
    n = int(rng.integers(1, 9)) if n is None else n
    d = int(rng.integers(1, 5)) if d is None else d
    h = int(rng.integers(1, 7)) if h is None else h
    c = int(rng.integers(2, 5)) if c is None else c
    params = {"W1": rng.normal(scale=scale, size=(h, d)), "b1": rng.normal(scale=scale, size=h),
              "W2": rng.normal(scale=scale, size=(c, h)), "b2": rng.normal(scale=scale, size=c)}
    return Case((rng.normal(size=(n, d)), rng.integers(0, c, size=n), params),
                label=label or f"N={n}, D={d}, H={h}, C={c}")


def _mlp_cases(hidden):
    xor = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    xor_params = {"W1": np.array([[20.0, 20.0], [-20.0, -20.0]]), "b1": np.array([-10.0, 30.0]),
                  "W2": np.array([[-10.0, -10.0], [10.0, 10.0]]), "b2": np.array([10.0, -10.0])}
    rng = np.random.default_rng(61)
    cases = [
        Case((xor, np.array([0, 1, 1, 0]), xor_params), label="XOR with hand-set weights (OR and NAND units)"),
        mlp_case(rng, n=5, d=3, h=4, c=3),
        mlp_case(rng, n=1, d=2, h=3, c=2, label="a single sample"),
        mlp_case(rng, n=6, d=2, h=1, c=4, label="one hidden unit"),
    ]
    cases += [mlp_case(rng) for _ in range(3)]
    if hidden:
        cases += hidden_part("mlp_forward_backward")
    return cases


def _unpack_mlp(result, case):
    where = f"\n  input: {case.describe()}"
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailure(f"`mlp_forward_backward` should return 2 values (loss, grads), got "
                           f"{type(result).__name__}" + where)
    loss, grads = result
    if not isinstance(grads, dict):
        raise CheckFailure(f"the second value returned by `mlp_forward_backward` should be a dict of gradients "
                           f"with keys 'W1', 'b1', 'W2', 'b2'; got a {type(grads).__name__}" + where)
    missing = [k for k in _PARAM_SHAPES if not dict.__contains__(grads, k)]
    if missing:
        raise CheckFailure(f"the gradients dict returned by `mlp_forward_backward` has no key(s) {missing}; "
                           f"it has {sorted(map(str, dict.keys(grads)))}" + where)
    return {"loss": loss, **{k: dict.__getitem__(grads, k) for k in _PARAM_SHAPES}}


def _network_parts(answers, unpack, reference, what, parts, note):
    """The graded parts of a network exercise: ``parts`` is ``[(label, points, keys, hint)]``
    with ``keys(case)`` the values a part compares, ``unpack(result, case)`` gives
    ``{key: value}``, ``what(key)`` names a value and ``note`` is added to every failure."""
    unpacked = []
    for case, failure, result, noise in answers:
        if failure is None:
            try:
                result = unpack(result, case)
            except CheckFailure as wrong:
                failure = wrong
        unpacked.append((case, failure, result, noise))
    if all(failure is not None for _, failure, *_ in unpacked):
        raise CheckFailure(f"{unpacked[0][1]}{note}")

    def compare(keys, hint):
        def run():
            for case, failure, got, noise in unpacked:
                if failure is not None:
                    raise CheckFailure(f"{failure}{note}")
                expected = reference(*case.args)
                for key in keys(case):
                    try:
                        expect_close(got[key], expected[key], what(key), case, rtol=1e-7, atol=1e-10,
                                     hint=hint, noise=noise)
                    except CheckFailure as wrong:
                        raise CheckFailure(f"{wrong}{note}") from None
        return run

    return graded_parts([Part(label, points, compare(keys, hint)) for label, points, keys, hint in parts])


def mlp_forward_backward(student, student_ce=None, hidden=False):
    """Exercise 5: ``mlp_forward_backward(X, y, params) -> (loss, grads)`` (partial credit).

    ``student_ce`` is the student's chapter-3 ``softmax_cross_entropy`` (which the exercise
    builds on): when it is wrong, a failure says that it may be the cause."""
    refs = _references(*_NETWORK_REFS)
    note = _earlier_note(student_ce, refs)
    answers = _answers(student, _mlp_cases(hidden), "mlp_forward_backward", refs)

    def reference(*args):
        loss, grads = _ref_mlp_forward_backward(*args)
        return {"loss": loss, **grads}

    def what(key):
        return "the loss" if key == "loss" else f"grads['{key}'] (shape {_PARAM_SHAPES[key]})"

    return _network_parts(answers, _unpack_mlp, reference, lambda k: what(k) + " returned by `mlp_forward_backward`", [
        ("the loss (forward pass)", 1, lambda case: ["loss"],
         "a1 = X @ W1.T + b1, h1 = sigmoid(a1), a2 = h1 @ W2.T + b2, then the mean over samples of "
         "-log softmax(a2)[label] (computed stably)"),
        ("output layer: W2 and b2", 1, lambda case: ["W2", "b2"],
         "delta2 = (softmax(a2) - one_hot(y)) / N; dW2 = delta2.T @ h1 and db2 = delta2.sum(axis=0)"),
        ("hidden layer: W1 and b1", 2, lambda case: ["W1", "b1"],
         "delta1 = (delta2 @ W2) * sigma'(a1), with sigma'(a1) = h1 (1 - h1) at the hidden "
         "pre-activation; dW1 = delta1.T @ X and db1 = delta1.sum(axis=0)"),
    ], note)


# -- exercise 6: a network of any depth ------------------------------------------------------------


def deep_case(rng, sizes=None, activation=None, n=None, scale=1.0, label=None):
    """A random batch (X, y), layer sizes ``[n_0, ..., n_L]`` and activation of a deep network."""
    if sizes is None:
        sizes = [int(v) for v in rng.integers(1, 6, size=int(rng.integers(2, 6)))]
        sizes[-1] = max(sizes[-1], 2)
    activation = activation or str(rng.choice(["sigmoid", "tanh", "relu"]))
    n = int(rng.integers(1, 8)) if n is None else n
    weights = [rng.normal(scale=scale / np.sqrt(fan_in), size=(fan_out, fan_in))
               for fan_in, fan_out in zip(sizes[:-1], sizes[1:])]
    biases = [rng.normal(scale=0.5 * scale, size=fan_out) for fan_out in sizes[1:]]
    return Case((rng.normal(size=(n, sizes[0])), rng.integers(0, sizes[-1], size=n), weights, biases, activation),
                label=label or f"sizes {sizes}, {activation}, N={n}")


def _deep_cases(hidden):
    rng = np.random.default_rng(62)
    xor = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    cases = [
        Case((xor, np.array([0, 1, 1, 0]), [np.array([[20.0, 20.0], [-20.0, -20.0]]),
                                              np.array([[-10.0, -10.0], [10.0, 10.0]])],
              [np.array([-10.0, 30.0]), np.array([10.0, -10.0])], "sigmoid"),
             label="exercise 5's XOR network: 2 layers, sigmoid"),
        deep_case(rng, [3, 4, 3], "tanh", n=5),
        deep_case(rng, [2, 5, 4, 3, 2], "relu", n=6, label="four layers, relu"),
        deep_case(rng, [4, 3], "sigmoid", n=3, label="one layer: no hidden layer (softmax regression)"),
        deep_case(rng, [2, 3, 3, 3, 3, 3, 2], "sigmoid", n=4, label="six layers, sigmoid"),
        deep_case(rng, [3, 2, 4], "relu", n=1, label="a single sample, relu"),
    ]
    cases += [deep_case(rng) for _ in range(3)]
    if hidden:
        cases += hidden_part("deep_forward_backward")
    return cases


def _deep_unpack(result, case):
    layers = len(case.args[2])
    where = f"\n  input: {case.describe()}"
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        raise CheckFailure("`deep_forward_backward` should return 3 values (loss, d_weights, d_biases), got "
                           f"{type(result).__name__}" + where)
    loss, d_weights, d_biases = result
    for what, grads in (("d_weights", d_weights), ("d_biases", d_biases)):
        if not isinstance(grads, (list, tuple)) or len(grads) != layers:
            size = f"{len(grads)} entries" if isinstance(grads, (list, tuple)) else type(grads).__name__
            raise CheckFailure(f"`{what}` returned by `deep_forward_backward` should be a list of {layers} "
                               f"arrays (one per layer, in the order of `weights`), got {size}" + where)
    found = {"loss": loss}
    for layer in range(layers):
        found[("W", layer)], found[("b", layer)] = d_weights[layer], d_biases[layer]
    return found


def _ref_deep_values(*args):
    loss, d_weights, d_biases = _ref_deep_forward_backward(*args)
    found = {"loss": loss}
    for layer, (dW, db) in enumerate(zip(d_weights, d_biases)):
        found[("W", layer)], found[("b", layer)] = dW, db
    return found


def _last(case):
    return len(case.args[2]) - 1


def deep_forward_backward(student, student_ce=None, hidden=False):
    """Exercise 6: ``deep_forward_backward(X, y, weights, biases, activation)
    -> (loss, d_weights, d_biases)`` for any number of layers (partial credit).

    ``student_ce`` is the student's chapter-3 ``softmax_cross_entropy``, as in exercise 5."""
    refs = _references(*_NETWORK_REFS) + tuple(
        library_functions("dlcourse.functional.activations", keep=_backward_only))
    note = _earlier_note(student_ce, refs)
    answers = _answers(student, _deep_cases(hidden), "deep_forward_backward", refs)

    def what(key):
        if key == "loss":
            return "the loss returned by `deep_forward_backward`"
        kind, layer = key
        return f"{'d_weights' if kind == 'W' else 'd_biases'}[{layer}] returned by `deep_forward_backward`"

    return _network_parts(answers, _deep_unpack, _ref_deep_values, what, [
        ("the loss (forward pass)", 1, lambda case: ["loss"],
         "h = X; for every layer but the last: a = h @ W.T + b, h = g(a) with the `activation` named; "
         "the last layer gives the logits h @ W.T + b, and the loss is their mean softmax cross-entropy"),
        ("the last layer's gradients", 1, lambda case: [("W", _last(case)), ("b", _last(case))],
         "delta = (softmax(logits) - one_hot(y)) / N; d_weights[-1] = delta.T @ h and d_biases[-1] = "
         "delta.sum(axis=0), with h the input of the last layer (the last hidden activation, or X)"),
        ("the hidden layers' gradients", 2,
         lambda case: [(kind, layer) for layer in range(_last(case)) for kind in ("W", "b")],
         "going backwards, dh = delta @ W (the weights of the layer above), then delta = dh * g'(a) at "
         "THIS layer's pre-activation a (keep every a and h of the forward pass in a list); then "
         "d_weights[l] = delta.T @ (the layer's input) and d_biases[l] = delta.sum(axis=0); g' is the "
         "`activation`'s: sigmoid h (1 - h), tanh 1 - h^2, relu 1 where a > 0"),
    ], note)


# -- exercise 7: a tower from two sigmoids ------------------------------------------------------------


def tower(student, hidden=False):
    """Exercise 7: ``tower(x, center, width, height, steepness)``."""
    refs = _references("dlcourse.nn.activation", "dlcourse.nn.linear", "dlcourse.nn.container")
    grid = np.linspace(-2, 4, 13)
    cases = [
        Case((grid, 1.0, 2.0, 1.0, 50.0), label="center 1, width 2, height 1, steepness 50"),
        Case((np.array([0.0, 1.0, 2.0]), 1.0, 2.0, 3.0, 1000.0),
             label="at the two edges a very steep tower is half its height"),
        Case((grid, 0.5, 1.0, -2.0, 5.0), label="a negative height, gentle steepness 5"),
        Case((np.array([[0.0, 0.25], [0.5, 3.0]]), 0.25, 0.5, 1.5, 20.0), label="x of shape (2, 2)"),
    ]
    cases += random_cases(71, 3, lambda rng: (
        rng.uniform(-3, 3, size=int(rng.integers(1, 8))), float(rng.uniform(-1, 1)), float(rng.uniform(0.1, 2)),
        float(rng.normal()), float(rng.uniform(1, 100))))
    if hidden:
        cases += hidden_part("tower")
    check_function(student, _ref_tower, cases, name="tower", forbidden=refs, rtol=1e-7, atol=1e-9,
                   hint="height * (sigmoid(steepness * (x - left)) - sigmoid(steepness * (x - right))) with the "
                        "edges left = center - width / 2 and right = center + width / 2; the rising sigmoid is "
                        "the left one")
