"""Checks for chapter 1, *Neurons*: the McCulloch–Pitts unit, the perceptron
and its learning rule, the margin and Novikoff's mistake bound, the pocket
algorithm, the XOR network and the network of 2^n perceptrons.

Every check takes the student's function and ``hidden=False``; the hidden
variant (run by the grader) adds the instructor's cases from
``solutions/ch01-neurons/hidden_cases.py`` (see :func:`dlcourse.checks.core.hidden`),
which the release never contains. The small reference computations below follow
the notes' conventions:

* McCulloch–Pitts: y = 0 if any inhibitory input is on, else y = 1 iff
  sum(x) >= theta.
* Perceptron: y = 1 iff w0 + sum_i w_i x_i >= 0, with w0 = -theta.
* Learning rule: w <- w + lr * (y - y_hat) * [1, x].
* Mistake bound: gamma = min_i s_i w*.x~_i / ||w*||, R = max_i ||x~_i||, at most
  (R / gamma)^2 mistakes from w = 0, with s_i = 2 y_i - 1 and x~_i = [1, x_i].
* Pocket algorithm (Gallant 1990): the learning rule as above, and after every update the
  new weights' training errors E(w) = #{i : [w.x~_i >= 0] != y_i}; the pocket keeps the
  weights with the fewest errors seen so far (w_init counted first, replaced only when
  strictly better).
"""

import itertools

import numpy as np

from dlcourse.checks.core import (
    Case,
    CheckFailure,
    Part,
    call_student,
    check_function,
    expect_close,
    expect_equal,
    graded_parts,
    hidden as hidden_part,
    library_functions,
    random_cases,
)

__all__ = [
    "boolean_network",
    "noisy_case",
    "mcculloch_pitts",
    "mistake_bound",
    "perceptron_predict",
    "perceptron_update",
    "pocket_perceptron",
    "train_perceptron",
    "xor_network",
]


# -- reference computations (the notes' definitions, written plainly) ------------


def _ref_mcculloch_pitts(x, theta, inhibitory=None):
    x = np.asarray(x)
    mask = np.zeros(x.shape[-1], dtype=bool) if inhibitory is None else np.asarray(inhibitory, dtype=bool)
    vetoed = (x[..., mask] != 0).any(axis=-1)
    fires = x[..., ~mask].sum(axis=-1) >= theta
    return (fires & ~vetoed).astype(np.int64)


def _ref_perceptron_predict(X, w):
    X, w = np.asarray(X, dtype=np.float64), np.asarray(w, dtype=np.float64)
    return (w[0] + X @ w[1:] >= 0).astype(np.int64)


def _ref_perceptron_update(w, x, y, lr=1.0):
    w, x = np.asarray(w, dtype=np.float64), np.asarray(x, dtype=np.float64)
    y_hat = float(w[0] + x @ w[1:] >= 0)
    return w + lr * (y - y_hat) * np.concatenate(([1.0], x))


def _ref_train_perceptron(X, y, w_init, lr=1.0, epochs=10):
    w = np.array(w_init, dtype=np.float64)
    errors = np.zeros(epochs, dtype=np.int64)
    for epoch in range(epochs):
        for xi, yi in zip(np.asarray(X, dtype=np.float64), np.asarray(y)):
            y_hat = float(w[0] + xi @ w[1:] >= 0)
            if y_hat != yi:
                errors[epoch] += 1
                w = w + lr * (yi - y_hat) * np.concatenate(([1.0], xi))
    return w, errors


def _ref_mistake_bound(X, y, w_star):
    X_tilde = np.column_stack([np.ones(len(X)), np.asarray(X, dtype=np.float64)])
    signs = 2.0 * np.asarray(y, dtype=np.float64) - 1.0
    u = np.asarray(w_star, dtype=np.float64)
    gamma = float(np.min(signs * (X_tilde @ (u / np.linalg.norm(u)))))
    radius = float(np.max(np.linalg.norm(X_tilde, axis=1)))
    return gamma, radius, (radius / gamma) ** 2 if gamma > 0 else np.inf


def _ref_pocket_perceptron(X, y, w_init, lr=1.0, epochs=10):
    return _pocket(X, y, w_init, lr, epochs)


def _pocket(X, y, w_init, lr, epochs, ties=False, start_empty=False, once_per_epoch=False):
    """The pocket algorithm; the flags give the typical slips (a failure's hint names the one
    the student's answer matches): pocketing on ties, not counting w_init, looking only at the
    end of each epoch."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    X_tilde = np.column_stack([np.ones(len(X)), X])

    def training_errors(w):
        return int(np.sum((X_tilde @ w >= 0).astype(np.int64) != y))

    def better(errors, best):
        return errors <= best if ties else errors < best

    w = np.array(w_init, dtype=np.float64)
    pocket, best = w.copy(), (np.inf if start_empty else training_errors(w))
    history = np.zeros(epochs, dtype=np.int64)
    for epoch in range(epochs):
        for x_tilde, target in zip(X_tilde, y):
            y_hat = float(x_tilde @ w >= 0)
            if y_hat != target:
                w = w + lr * (target - y_hat) * x_tilde
                if not once_per_epoch and better(training_errors(w), best):
                    pocket, best = w.copy(), training_errors(w)
        if once_per_epoch and better(training_errors(w), best):
            pocket, best = w.copy(), training_errors(w)
        history[epoch] = best if np.isfinite(best) else training_errors(pocket)
    return pocket, history


def _references():
    """The functions a student must not call: these references, plus every
    function of the library's ``dlcourse.neurons`` (the reference
    implementation of this chapter)."""
    return (_ref_mcculloch_pitts, _ref_perceptron_predict, _ref_perceptron_update,
            _ref_train_perceptron, _ref_mistake_bound, _ref_pocket_perceptron,
            *library_functions("dlcourse.neurons"))


def truth_inputs(n, low=0):
    """All 2^n inputs, in the order of ``itertools.product((low, 1), repeat=n)``."""
    return np.array(list(itertools.product((low, 1), repeat=n)), dtype=np.float64)


def _step(a):
    return (np.asarray(a, dtype=np.float64) >= 0).astype(np.int64)


# -- exercise 1: McCulloch–Pitts unit ---------------------------------------------


def mcculloch_pitts(student, hidden=False):
    """Exercise 1: ``mcculloch_pitts(x, theta, inhibitory=None)``."""
    table2 = truth_inputs(2).astype(np.int64)
    cases = [
        Case((table2, 2), label="AND: theta = 2 on the 2-input truth table"),
        Case((table2, 1), label="OR: theta = 1"),
        Case((table2, 0, np.array([True, True])), label="NOR: theta = 0, both inputs inhibitory"),
        Case((np.array([[0], [1]]), 0, np.array([True])), label="NOT: theta = 0, one inhibitory input"),
        Case((np.array([1, 1, 0]), 2), label="a single input vector of shape (3,)"),
        Case((truth_inputs(3).astype(np.int64), 2, np.array([False, False, True])),
             label="3 inputs, x3 inhibitory, theta = 2"),
        Case((table2, 0, [True, True]), label="NOR with the mask given as a list, as the spec allows"),
        Case((truth_inputs(3).astype(np.int64), 1, [False, True, False]),
             label="OR of x1 and x3 with x2 inhibitory, mask given as a list"),
    ]
    if hidden:
        cases += hidden_part("mcculloch_pitts")
    try:
        check_function(student, _ref_mcculloch_pitts, cases, name="mcculloch_pitts",
                       forbidden=_references(),
                       hint="the unit fires when the sum of the excitatory inputs reaches theta "
                            "(g(x) >= theta, not >), any active inhibitory input forces y = 0, "
                            "and the result has one value per row of x")
    except CheckFailure as failure:
        if "given as a list" in str(failure) and " raised " in str(failure):
            raise CheckFailure(f"{failure}\n  hint: the spec allows `inhibitory` as a list of booleans; "
                               "convert it with np.asarray(inhibitory, dtype=bool) before using ~ "
                               "or indexing with it") from None
        raise


# -- exercise 2: perceptron output -------------------------------------------------


def perceptron_predict(student, hidden=False):
    """Exercise 2: ``perceptron_predict(X, w)`` with ``w[0] = w0 = -theta``."""
    table2 = truth_inputs(2)
    cases = [
        Case((table2, np.array([-2.0, 1.0, 1.0])), label="AND: w = [-2, 1, 1] (boundary hit exactly at (1, 1))"),
        Case((table2, np.array([-1.0, 1.0, 1.0])), label="OR: w = [-1, 1, 1]"),
        Case((table2, np.array([0.0, -1.0, -1.0])), label="NOR: w = [0, -1, -1]"),
        Case((np.array([[0.5, -2.0, 3.0]]), np.array([0.5, 1.0, 1.0, 0.0])), label="one sample, shape (1, 3)"),
    ]
    cases += random_cases(2, 4, lambda rng: (rng.normal(size=(6, 3)), rng.normal(size=4)))
    if hidden:
        cases += hidden_part("perceptron_predict")
    check_function(student, _ref_perceptron_predict, cases, name="perceptron_predict",
                   forbidden=_references(),
                   hint="y = 1 when w0 + w1 x1 + ... + wn xn >= 0 (the boundary itself fires); "
                        "w[0] is the bias and multiplies the constant input x0 = 1; "
                        "return one 0/1 value per row, shape (m,)")


# -- exercise 3: one step of the perceptron learning rule -----------------------------


def random_update_case(rng):
    """A random weight vector, sample, target and learning rate for one update."""
    return Case((rng.normal(size=4), rng.normal(size=3), int(rng.integers(0, 2))),
                {"lr": float(rng.uniform(0.1, 2))})


def perceptron_update(student, hidden=False):
    """Exercise 3: ``perceptron_update(w, x, y, lr=1.0)`` returns the updated weights."""
    cases = [
        Case((np.zeros(3), np.array([0.0, 0.0]), 0), label="w = 0 fires on (0, 0) but y = 0"),
        Case((np.array([-1.0, 0.0, 0.0]), np.array([1.0, 1.0]), 1), label="missed positive: y = 1, y_hat = 0"),
        Case((np.array([-2.0, 1.0, 1.0]), np.array([1.0, 1.0]), 1), label="already right: no change"),
        Case((np.array([0.5, 1.0, -1.0]), np.array([1.0, 0.0]), 0),
             {"lr": 0.25}, label="false positive with lr = 0.25"),
    ]
    cases += random_cases(4, 4, random_update_case)
    if hidden:
        cases += hidden_part("perceptron_update")
    check_function(student, _ref_perceptron_update, cases, name="perceptron_update",
                   forbidden=_references(), keeps_inputs=True,
                   hint="w_new = w + lr * (y - y_hat) * [1, x1, ..., xn]: the sign is (target - prediction), "
                        "the bias w0 is updated with the constant input 1, nothing changes when "
                        "the prediction is right, and the result is a new array (w itself is left alone)")


# -- exercise 4: training loop ----------------------------------------------------------


def separable_case(rng):
    """Random linearly separable data (labels from a random perceptron), a start and a rate."""
    m, n = int(rng.integers(5, 15)), int(rng.integers(1, 4))
    X = rng.normal(size=(m, n))
    y = _ref_perceptron_predict(X, rng.normal(size=n + 1))
    return Case((X, y, rng.normal(size=n + 1)), {"lr": float(rng.uniform(0.1, 1)), "epochs": 15})


def train_perceptron(student, hidden=False):
    """Exercise 4: ``train_perceptron(X, y, w_init, lr=1.0, epochs=10) -> (w, errors)``."""
    table2 = truth_inputs(2)
    cases = [
        Case((table2, np.array([0, 0, 0, 1]), np.zeros(3)), {"epochs": 10}, label="AND from w = 0"),
        Case((table2, np.array([0, 1, 1, 1]), np.zeros(3)), {"epochs": 10}, label="OR from w = 0"),
        Case((table2, np.array([0, 1, 1, 0]), np.zeros(3)), {"epochs": 8}, label="XOR never converges"),
        Case((table2, np.array([0, 0, 0, 1]), np.array([0.5, -1.0, 0.25])), {"lr": 0.5, "epochs": 12},
             label="AND from w = [0.5, -1, 0.25], lr = 0.5"),
    ]

    cases += random_cases(6, 3, separable_case, label="random separable data")
    if hidden:
        cases += hidden_part("train_perceptron")
    check_function(student, _ref_train_perceptron, cases, name="train_perceptron",
                   forbidden=_references(), keeps_inputs=True,
                   hint="visit the samples in the given order, once per epoch; update only when the "
                        "prediction is wrong; errors[e] counts those updates in epoch e, so it is an "
                        "array of length `epochs`; start from a copy of w_init")


# -- exercise 5: the margin, the radius and Novikoff's bound --------------------------------


def separator_case(rng):
    """Random data labelled by a random separator w_star (not of unit norm), and that w_star."""
    m, n = int(rng.integers(5, 30)), int(rng.integers(1, 5))
    X = rng.normal(size=(m, n)) * float(rng.uniform(0.5, 3))
    w_star = rng.normal(size=n + 1) * float(rng.uniform(0.2, 5))
    return Case((X, _ref_perceptron_predict(X, w_star), w_star))


def mistake_bound(student, hidden=False):
    """Exercise 5: ``mistake_bound(X, y, w_star) -> (gamma, R, bound)``."""
    table2 = truth_inputs(2)
    cases = [
        Case((table2, np.array([0, 0, 0, 1]), np.array([-1.5, 1.0, 1.0])),
             label="AND with w_star = [-1.5, 1, 1] (norm 2.06, not 1)"),
        Case((table2, np.array([0, 1, 1, 1]), np.array([-0.5, 1.0, 1.0]) / np.sqrt(2.25)),
             label="OR with a unit-norm w_star"),
        Case((table2, np.array([0, 1, 1, 0]), np.array([-0.5, 1.0, 1.0])),
             label="XOR: w_star does not separate the data"),
        Case((np.array([[3.0], [-1.0], [2.0]]), np.array([1, 0, 1]), np.array([0.0, 2.0])),
             label="one input, separator through the origin"),
    ]
    cases += random_cases(7, 3, separator_case, label="random separable data")
    if hidden:
        cases += hidden_part("mistake_bound")
    check_function(student, _ref_mistake_bound, cases, name="mistake_bound",
                   forbidden=_references(), keeps_inputs=True,
                   hint="gamma = min_i s_i (w_star . x~_i) / ||w_star|| with s_i = 2 y_i - 1 (labels 0/1 "
                        "become -1/+1) and x~_i = [1, x_i] (the bias input counts, in R too: "
                        "R = max_i ||x~_i||); the bound is (R / gamma)^2, or inf when gamma <= 0")


# -- exercise 7: the two-layer XOR network --------------------------------------------


def _unpack_network(result, name, n_in, n_hidden=None):
    if not isinstance(result, (tuple, list)) or len(result) != 4:
        raise CheckFailure(f"`{name}` should return 4 values (W, b, v, c), got {result!r:.200}")
    W, b, v, c = (np.asarray(part, dtype=np.float64) for part in result)
    k = W.shape[0] if W.ndim == 2 else None
    if W.ndim != 2 or W.shape[1] != n_in or (n_hidden is not None and k != n_hidden):
        want = f"({n_hidden}, {n_in})" if n_hidden else f"(hidden, {n_in})"
        raise CheckFailure(f"the hidden weights W returned by `{name}` should have shape {want}, got {W.shape}")
    if b.shape != (k,) or v.shape != (k,) or c.size != 1:
        raise CheckFailure(
            f"`{name}` returned b with shape {b.shape}, v with shape {v.shape} and c with shape {c.shape}; "
            f"expected b and v of shape ({k},) (one value per hidden unit) and a single number c")
    return W, b, v, float(c.reshape(()))


def _network_output(W, b, v, c, X):
    hidden = _step(X @ W.T + b)
    return hidden, _step(hidden @ v + c)


def xor_network(student, hidden=False):
    """Exercise 7: ``xor_weights() -> (W, b, v, c)`` for a 2-2-1 network of perceptrons.

    The four inputs are the whole domain, so the hidden variant runs the same test."""
    result, _ = call_student(student, name="xor_weights", forbidden=_references())
    W, b, v, c = _unpack_network(result, "xor_weights", n_in=2, n_hidden=2)
    X = truth_inputs(2)
    hidden_units, y = _network_output(W, b, v, c, X)
    rows = "\n".join(f"    x = {tuple(int(t) for t in x)} -> z = {tuple(int(t) for t in z)} -> y = {int(o)}"
                     for x, z, o in zip(X, hidden_units, y))
    expect_equal(y, np.array([0, 1, 1, 0]), "the network's output on (0,0), (0,1), (1,0), (1,1)",
                 hint="each hidden perceptron should detect one of the inputs that must give 1 "
                      "(e.g. x1 AND NOT x2), and the output perceptron ORs them. Your network computes:\n"
                      + rows)
    print("\u2713 xor_weights: the network computes XOR\n" + rows)


# -- exercise 8: any boolean function with 2^n hidden perceptrons -----------------------


def boolean_network(student, hidden=False):
    """Exercise 8: ``boolean_network(truth) -> (W, b, v, c)``; inputs are ±1.

    The hidden part gives ``{"sizes", "rounds", "rng"}``: the input counts, the random
    tables per count and the generator they are drawn from."""
    more = hidden_part("boolean_network") if hidden else {}
    rng = more.get("rng", np.random.default_rng(60))
    sizes = more.get("sizes", (3, 4))
    rounds = more.get("rounds", 2)
    refs = _references()

    def build(truth):
        n = int(np.log2(len(truth)))
        result, _ = call_student(student, truth, name="boolean_network", forbidden=refs,
                                 case=Case((truth,), label=f"{n}-input truth table"))
        return _unpack_network(result, "boolean_network", n_in=n)

    def hidden_units_fire_once():
        for n in (2,) + sizes:
            truth = rng.integers(0, 2, size=2 ** n)
            W, b, v, c = build(truth)
            X = truth_inputs(n, low=-1)
            fired = _step(X @ W.T + b)
            expect_equal(fired.sum(axis=1), np.ones(2 ** n), f"number of hidden units firing on each "
                         f"of the {2 ** n} inputs (n = {n})",
                         hint="give hidden unit k the weights of input pattern k (entries ±1) and the bias "
                              "-n: then w.x + b = 0 on its own pattern and <= -2 on every other one")
            expect_equal(W.shape[0], 2 ** n, f"number of hidden units for n = {n}")

    def all_two_input_functions():
        X = truth_inputs(2, low=-1)
        for truth in truth_inputs(4).astype(np.int64):
            W, b, v, c = build(truth)
            _, y = _network_output(W, b, v, c, X)
            expect_equal(y, truth, f"the output of the network built for truth table {truth.tolist()}",
                         hint="the hidden unit of an input fires alone, so its output weight decides that "
                              "row: a positive weight where the table says 1, and an output bias that "
                              "keeps y = 0 when no chosen unit fires")

    def random_tables():
        for n in sizes:
            for _ in range(rounds):
                truth = rng.integers(0, 2, size=2 ** n)
                W, b, v, c = build(truth)
                _, y = _network_output(W, b, v, c, truth_inputs(n, low=-1))
                expect_equal(y, truth, f"the output of the network built for a random {n}-input table",
                             hint="check the order of the rows: row k of the table is input k of "
                                  "itertools.product((-1, 1), repeat=n)")

    return graded_parts([
        Part("hidden layer: exactly one unit fires per input", 1, hidden_units_fire_once),
        Part("all 16 boolean functions of 2 inputs", 1, all_two_input_functions),
        Part(f"random truth tables with n = {', '.join(map(str, sizes))} inputs", 1, random_tables),
    ])


# -- exercise 6: the pocket algorithm on data no line separates ----------------------------------


def noisy_case(rng):
    """Random data labelled by a random line, with a random fraction of the labels flipped, and a
    random start, rate and number of epochs."""
    m, n = int(rng.integers(10, 40)), int(rng.integers(1, 4))
    X = rng.normal(size=(m, n))
    y = _ref_perceptron_predict(X, rng.normal(size=n + 1))
    flipped = rng.random(m) < rng.uniform(0.1, 0.3)
    return Case((X, np.where(flipped, 1 - y, y), rng.normal(size=n + 1)),
                {"lr": float(rng.uniform(0.1, 1)), "epochs": int(rng.integers(3, 15))})


def _noisy_line(seed, m=30):
    """A fixed 2-D data set: a line's labels with every fifth one flipped."""
    X = np.random.default_rng(seed).normal(size=(m, 2))
    y = _ref_perceptron_predict(X, np.array([0.2, 1.0, -1.0]))
    y[::5] = 1 - y[::5]
    return X, y


_POCKET_SLIPS = [
    (dict(ties=True), "the pocket is replaced only when the new weights make strictly fewer errors "
                      "(<, not <=): on a tie it keeps the older weights"),
    (dict(start_empty=True), "the pocket starts out holding w_init with its own number of errors; "
                             "later weights replace it only when they do better"),
    (dict(once_per_epoch=True), "count the training errors after every update, not once per epoch: "
                                "a good w met in the middle of an epoch belongs in the pocket"),
]


def _pocket_hint(case, got_w, got_errors, which):
    """A hint naming the slips the answer matches (several can give the same numbers), if any."""
    X, y, w_init = case.args
    lr, epochs = case.kwargs.get("lr", 1.0), case.kwargs.get("epochs", 10)
    got = (got_w, got_errors)[which]
    last, mistakes = _ref_train_perceptron(X, y, w_init, lr, epochs)
    slips = [(last, "these are the weights after the last update; return the pocket's weights, the best "
                    "ones seen (the learning rule itself never settles on such data)") if which == 0 else
             (mistakes, "these are the mistakes made during each epoch (train_perceptron's errors); "
                        "pocket_errors[e] is the number of training samples the pocket's weights get wrong "
                        "at the end of epoch e")]
    slips += [(_pocket(X, y, w_init, lr, epochs, **slip)[which], hint) for slip, hint in _POCKET_SLIPS]
    matching = [hint for wrong, hint in slips if got.shape == wrong.shape and np.allclose(got, wrong)]
    if matching:
        return "; or: ".join(matching)
    return ("after every update, count the samples the new weights misclassify (w.x~ >= 0 fires); "
            "put a copy in the pocket when that count is below the pocket's") if which == 0 else (
            "pocket_errors[e] is the pocket's number of misclassified training samples after epoch e: "
            "an integer array of length `epochs` that never increases")


def pocket_perceptron(student, hidden=False):
    """Exercise 6: ``pocket_perceptron(X, y, w_init, lr=1.0, epochs=10) -> (w_pocket, pocket_errors)``.

    Partial credit: 1 point for the pocket's error history, 2 for the pocket's weights."""
    table2 = truth_inputs(2)
    X_noisy, y_noisy = _noisy_line(11)
    cases = [
        Case((table2, np.array([0, 1, 1, 0]), np.zeros(3)), {"epochs": 6}, label="XOR from w = 0"),
        Case((table2, np.array([0, 1, 1, 0]), np.array([-0.5, 1.0, 1.0])), {"epochs": 6},
             label="XOR from the OR weights [-0.5, 1, 1], already 3 of 4 right"),
        Case((table2, np.array([0, 0, 0, 1]), np.zeros(3)), {"epochs": 8},
             label="AND (separable): the pocket ends with no error"),
        Case((X_noisy, y_noisy, np.zeros(3)), {"lr": 0.5, "epochs": 12},
             label="30 points of a line, every fifth label flipped, lr = 0.5"),
        Case((X_noisy, y_noisy, np.array([1.0, -1.0, 0.5])), {"epochs": 1}, label="the same, one epoch"),
    ]
    cases += random_cases(12, 3, noisy_case, label="random noisy data")
    if hidden:
        cases += hidden_part("pocket_perceptron")
    refs = _references()
    answers = {}  # case index -> the student's (w, errors) or the failure it caused: one call per case

    def answer(index):
        case = cases[index]
        if index not in answers:
            try:
                result, _ = call_student(student, *case.args, name="pocket_perceptron", case=case,
                                         forbidden=refs, keeps_inputs=True,
                                         arg_names=("X", "y", "w_init", "lr", "epochs"), **case.kwargs)
                if not isinstance(result, (tuple, list)) or len(result) != 2:
                    raise CheckFailure(f"`pocket_perceptron` should return 2 values (w_pocket, pocket_errors), "
                                       f"got {result!r:.200}\n  input: {case.describe()}")
                answers[index] = result
            except CheckFailure as failure:
                answers[index] = failure
        if isinstance(answers[index], CheckFailure):
            raise answers[index]
        return answers[index]

    def compare(which, what):
        for index, case in enumerate(cases):
            got = answer(index)
            expected = _ref_pocket_perceptron(*case.args, **case.kwargs)[which]
            try:
                expect_close(got[which], expected, what, case, rtol=1e-9, atol=1e-12)
            except CheckFailure as failure:
                try:
                    got_w, got_errors = (np.asarray(v, dtype=np.float64) for v in got)
                    hint = _pocket_hint(case, got_w, got_errors, which)
                except (TypeError, ValueError):
                    raise failure from None
                raise CheckFailure(f"{failure}\n  hint: {hint}") from None
        print(f"\u2713 {what}: all {len(cases)} cases pass")

    return graded_parts([
        Part("the pocket's errors after each epoch", 1,
             lambda: compare(1, "pocket_errors (value 2 returned by `pocket_perceptron`)")),
        Part("the pocket's weights", 2, lambda: compare(0, "w_pocket (value 1 returned by `pocket_perceptron`)")),
    ])
