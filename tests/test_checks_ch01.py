"""The chapter 1 checks accept correct answers written in different ways and
reject the usual wrong ones with a message that says what went wrong."""

import itertools

import numpy as np
import pytest

from dlcourse.checks import ch01, core
from dlcourse.checks.core import CheckFailure
from tests.check_tools import assert_no_hidden_case_ships, judged_outside
from tests.conftest import ROOT


def _fails(check, student, *fragments, hidden=False):
    with pytest.raises(CheckFailure) as failure:
        check(student, hidden=hidden)
    message = str(failure.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def _stub(*args, **kwargs):
    raise NotImplementedError()


# -- solutions as the notebook writes them ------------------------------------------------


def mp_solution(x, theta, inhibitory=None):
    x = np.asarray(x)
    if inhibitory is None:
        inhibitory = np.zeros(x.shape[-1], dtype=bool)
    inhibitory = np.asarray(inhibitory, dtype=bool)
    blocked = np.any(x[..., inhibitory] == 1, axis=-1)
    g = np.sum(x[..., ~inhibitory], axis=-1)
    return np.where(blocked, 0, (g >= theta).astype(int))


def mp_other(x, theta, inhibitory=None):
    # weighted sums: +1 for excitatory inputs, a veto count for inhibitory ones
    mask = np.zeros(np.shape(x)[-1]) if inhibitory is None else np.asarray(inhibitory, dtype=float)
    excitation = np.asarray(x) @ (1 - mask)
    vetoes = np.asarray(x) @ mask
    return ((excitation >= theta) * (vetoes == 0)).astype(np.int8)


def predict_solution(X, w):
    return (w[0] + X @ w[1:] >= 0).astype(int)


def predict_other(X, w):
    X1 = np.hstack([np.ones((len(X), 1)), X])
    return np.array([1 if np.dot(row, w) >= 0 else 0 for row in X1])


def update_solution(w, x, y, lr=1.0):
    y_hat = 1.0 if w[0] + x @ w[1:] >= 0 else 0.0
    return w + lr * (y - y_hat) * np.concatenate(([1.0], x))


def update_other(w, x, y, lr=1.0):
    new = w.copy()
    fired = np.dot(w[1:], x) + w[0] >= 0
    if fired and y == 0:
        new[0] -= lr
        new[1:] -= lr * x
    elif not fired and y == 1:
        new[0] += lr
        new[1:] += lr * x
    return new


def train_solution(X, y, w_init, lr=1.0, epochs=10):
    w = np.array(w_init, dtype=float)
    errors = np.zeros(epochs, dtype=int)
    for epoch in range(epochs):
        for xi, yi in zip(X, y):
            y_hat = 1 if w[0] + xi @ w[1:] >= 0 else 0
            if y_hat != yi:
                w = w + lr * (yi - y_hat) * np.concatenate(([1.0], xi))
                errors[epoch] += 1
    return w, errors


def train_other(X, y, w_init, lr=1.0, epochs=10):
    Xb = np.column_stack([np.ones(len(X)), X])
    w = list(w_init)
    history = []
    for _ in range(epochs):
        mistakes = 0
        for xi, yi in zip(Xb, y):
            out = int(sum(a * b for a, b in zip(w, xi)) >= 0)
            if out != yi:
                w = [a + lr * (yi - out) * b for a, b in zip(w, xi)]
                mistakes += 1
        history.append(mistakes)
    return np.array(w), history


def xor_solution():
    W = np.array([[1.0, -1.0], [-1.0, 1.0]])  # z1 = x1 AND NOT x2, z2 = x2 AND NOT x1
    b = np.array([-1.0, -1.0])
    v = np.array([1.0, 1.0])  # y = z1 OR z2
    return W, b, v, -1.0


def xor_other():
    # z1 = x1 OR x2, z2 = NAND(x1, x2), y = z1 AND z2
    return [[1, 1], [-1, -1]], [-0.5, 1.5], [1, 1], -1.5


def boolean_solution(truth):
    truth = np.asarray(truth)
    n = int(np.log2(len(truth)))
    W = np.array(list(itertools.product((-1, 1), repeat=n)), dtype=float)
    b = np.full(2 ** n, -float(n))
    v = truth.astype(float)
    return W, b, v, -1.0


def boolean_other(truth):
    # the same idea with a strict margin and a different output scale
    n = len(truth).bit_length() - 1
    W = np.array([[1 if (k >> (n - 1 - i)) & 1 else -1 for i in range(n)] for k in range(2 ** n)])
    b = -(n - 0.5) * np.ones(2 ** n)
    v = np.where(np.asarray(truth) == 1, 3.0, -3.0)
    return W, b, v, -0.5


# -- correct answers pass -------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("check, students", [
    (ch01.mcculloch_pitts, [mp_solution, mp_other]),
    (ch01.perceptron_predict, [predict_solution, predict_other]),
    (ch01.perceptron_update, [update_solution, update_other]),
    (ch01.train_perceptron, [train_solution, train_other]),
    (ch01.xor_network, [xor_solution, xor_other]),
])
def test_correct_answers_pass(check, students, hidden, capsys):
    for student in students:
        check(student, hidden=hidden)
    assert "\u2713" in capsys.readouterr().out


def mp_loop(x, theta, inhibitory=None):
    x = np.asarray(x)
    rows = x.reshape(-1, x.shape[-1])
    mask = np.zeros(x.shape[-1], bool) if inhibitory is None else np.asarray(inhibitory, bool)
    out = np.empty(len(rows), dtype=int)
    for i, row in enumerate(rows):
        out[i] = 0 if (row[mask] > 0).any() else int(row[~mask].sum() >= theta)
    return out.reshape(x.shape[:-1])


@pytest.mark.parametrize("hidden", [False, True])
def test_mcculloch_pitts_written_as_a_loop_passes(hidden):
    ch01.mcculloch_pitts(mp_loop, hidden=hidden)


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("student", [boolean_solution, boolean_other])
def test_boolean_network_full_marks(student, hidden, capsys):
    score = ch01.boolean_network(student, hidden=hidden)
    assert float(score) == 3.0
    assert repr(score) == "3"


# -- typical wrong answers fail with a useful message ------------------------------------


def test_mcculloch_pitts_strict_threshold_fails():
    def strict(x, theta, inhibitory=None):
        x = np.asarray(x)
        mask = np.zeros(x.shape[-1], bool) if inhibitory is None else np.asarray(inhibitory, bool)
        return ((x[..., ~mask].sum(-1) > theta) & ~(x[..., mask] > 0).any(-1)).astype(int)

    message = _fails(ch01.mcculloch_pitts, strict, "AND: theta = 2", "expected 1", "got 0")
    assert "not >" in message


def test_mcculloch_pitts_ignoring_inhibition_fails():
    def no_veto(x, theta, inhibitory=None):
        return (np.asarray(x).sum(-1) >= theta).astype(int)

    _fails(ch01.mcculloch_pitts, no_veto, "NOR", "inhibitory")


def test_mcculloch_pitts_shape_slip_fails():
    def column(x, theta, inhibitory=None):
        return mp_solution(x, theta, inhibitory).reshape(-1, 1)

    _fails(ch01.mcculloch_pitts, column, "wrong shape", "expected (4,)", "got (4, 1)")


def test_perceptron_predict_strict_inequality_fails():
    def strict(X, w):
        return (w[0] + X @ w[1:] > 0).astype(int)

    _fails(ch01.perceptron_predict, strict, "AND: w = [-2, 1, 1]", "boundary itself fires")


def test_perceptron_predict_without_bias_fails():
    def no_bias(X, w):
        return (X @ w[1:] >= 0).astype(int)

    _fails(ch01.perceptron_predict, no_bias, "expected 0", "got 1", "w[0] is the bias")


def test_perceptron_predict_off_by_one_weights_fails():
    def shifted(X, w):
        return (w[-1] + X @ w[:-1] >= 0).astype(int)

    _fails(ch01.perceptron_predict, shifted, "wrong")


def test_perceptron_predict_shape_slip_fails():
    def keepdims(X, w):
        return (w[0] + X @ w[1:, None] >= 0).astype(int)

    _fails(ch01.perceptron_predict, keepdims, "wrong shape", "same number of values")


def test_perceptron_update_wrong_sign_fails():
    def backwards(w, x, y, lr=1.0):
        y_hat = float(w[0] + x @ w[1:] >= 0)
        return w + lr * (y_hat - y) * np.concatenate(([1.0], x))

    _fails(ch01.perceptron_update, backwards, "w = 0 fires on (0, 0)", "(target - prediction)")


def test_perceptron_update_forgetting_the_bias_fails():
    def no_bias(w, x, y, lr=1.0):
        y_hat = float(w[0] + x @ w[1:] >= 0)
        return np.concatenate(([w[0]], w[1:] + lr * (y - y_hat) * x))

    _fails(ch01.perceptron_update, no_bias, "index (0,)", "constant input 1")


def test_train_perceptron_off_by_one_epoch_fails():
    def one_short(X, y, w_init, lr=1.0, epochs=10):
        w, errors = train_solution(X, y, w_init, lr, epochs - 1)
        return w, np.append(errors, 0)

    _fails(ch01.train_perceptron, one_short, "XOR never converges", "expected 4, got 0")


def test_train_perceptron_wrong_sign_fails():
    def backwards(X, y, w_init, lr=1.0, epochs=10):
        w = np.array(w_init, dtype=float)
        errors = np.zeros(epochs, dtype=int)
        for e in range(epochs):
            for xi, yi in zip(X, y):
                y_hat = int(w[0] + xi @ w[1:] >= 0)
                if y_hat != yi:
                    w = w - lr * (yi - y_hat) * np.concatenate(([1.0], xi))
                    errors[e] += 1
        return w, errors

    _fails(ch01.train_perceptron, backwards, "AND from w = 0", "errors[e] counts")


def test_train_perceptron_errors_counted_after_epoch_fails():
    def after(X, y, w_init, lr=1.0, epochs=10):
        w = np.array(w_init, dtype=float)
        errors = []
        for _ in range(epochs):
            for xi, yi in zip(X, y):
                w = update_solution(w, xi, yi, lr)
            errors.append(int(np.sum(predict_solution(X, w) != y)))
        return w, np.array(errors)

    _fails(ch01.train_perceptron, after, "value 2 returned by `train_perceptron`")


def test_train_perceptron_single_value_fails():
    def only_w(X, y, w_init, lr=1.0, epochs=10):
        return train_solution(X, y, w_init, lr, epochs)[0]

    _fails(ch01.train_perceptron, only_w, "should return 2 values")


def test_xor_with_a_single_layer_idea_fails():
    def or_network():
        return np.eye(2), np.array([-1.0, -1.0]), np.array([1.0, 1.0]), -1.0

    _fails(ch01.xor_network, or_network, "expected 0", "got 1", "x = (1, 1) -> z = (1, 1) -> y = 1")


def test_xor_wrong_shapes_fail():
    def flat():
        return np.array([1.0, -1.0, -1.0, 1.0]), np.array([-1.0, -1.0]), np.ones(2), -1.0

    _fails(ch01.xor_network, flat, "should have shape (2, 2)")

    def three_values():
        return xor_solution()[:3]

    _fails(ch01.xor_network, three_values, "should return 4 values")


def test_boolean_network_wrong_hidden_bias_fails(capsys):
    def bias_off_by_one(truth):
        W, b, v, c = boolean_solution(truth)
        return W, b + 2.0, v, c  # units fire on neighbouring patterns too

    with pytest.raises(CheckFailure) as failure:
        ch01.boolean_network(bias_off_by_one)
    assert "number of hidden units firing" in str(failure.value)


def test_boolean_network_wrong_row_order_scores_partially(capsys):
    def reversed_rows(truth):
        W, b, v, c = boolean_solution(truth)
        return W, b, v[::-1], c

    score = ch01.boolean_network(reversed_rows)
    assert float(score) == 1.0
    out = capsys.readouterr().out
    assert "\u2713 hidden layer" in out and "\u2717 all 16" in out and "order of the rows" in out


def test_boolean_network_missing_output_bias_scores_partially(capsys):
    def no_output_bias(truth):
        W, b, v, _ = boolean_solution(truth)
        return W, b, v, 0.0  # fires on every input, whatever the table says

    score = ch01.boolean_network(no_output_bias)
    assert float(score) == 1.0
    assert "keeps y = 0" in capsys.readouterr().out


# -- stubs and the reference implementation ------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("check", [
    ch01.mcculloch_pitts, ch01.perceptron_predict, ch01.perceptron_update,
    ch01.train_perceptron, ch01.xor_network, ch01.boolean_network,
])
def test_stub_fails(check, hidden):
    _fails(check, _stub, "not implemented yet", hidden=hidden)


@pytest.mark.parametrize("check, delegate", [
    (ch01.mcculloch_pitts, lambda x, theta, inhibitory=None: ch01._ref_mcculloch_pitts(x, theta, inhibitory)),
    (ch01.perceptron_predict, lambda X, w: ch01._ref_perceptron_predict(X, w)),
    (ch01.perceptron_update, lambda w, x, y, lr=1.0: ch01._ref_perceptron_update(w, x, y, lr)),
    (ch01.train_perceptron, lambda X, y, w, lr=1.0, epochs=10: ch01._ref_train_perceptron(X, y, w, lr, epochs)),
])
def test_calling_the_reference_fails(check, delegate):
    _fails(check, delegate, "reference implementation")


def test_failure_message_names_input_expected_and_got():
    def always_one(X, w):
        return np.ones(len(X), dtype=int)

    message = _fails(ch01.perceptron_predict, always_one)
    assert "input:" in message and "expected" in message and "got" in message


def test_noise_from_a_correct_answer_does_not_fail(capsys):
    import warnings

    def noisy(X, w):
        warnings.warn("just saying", RuntimeWarning)
        return predict_solution(X, w)

    ch01.perceptron_predict(noisy, hidden=True)


def _library_delegates():
    from dlcourse import neurons

    def mp(x, theta, inhibitory=None):
        mask = np.zeros(np.shape(x)[-1], bool) if inhibitory is None else np.asarray(inhibitory, bool)
        unit = neurons.McCullochPitts(theta, np.shape(x)[-1], inhibitory=np.flatnonzero(mask))
        return unit(x)

    def predict(X, w):
        return neurons.step(w[0] + X @ w[1:])

    def train(X, y, w_init, lr=1.0, epochs=10):
        model = neurons.Perceptron(lr=lr, epochs=epochs).fit(X, y)
        return model.weights, np.pad(model.errors_, (0, epochs - len(model.errors_)))

    def xor():
        net = neurons.xor_network()
        return net.hidden_weights, net.hidden_bias, net.output_weights, net.output_bias

    def boolean(truth):
        net = neurons.boolean_function_network(truth)
        return net.hidden_weights, net.hidden_bias, net.output_weights, net.output_bias

    return [
        (ch01.mcculloch_pitts, mp, "McCullochPitts"),
        (ch01.perceptron_predict, predict, "neurons.step"),
        (ch01.train_perceptron, train, "Perceptron"),
        (ch01.xor_network, xor, "xor_network"),
        (ch01.boolean_network, boolean, "boolean_function_network"),
    ]


@pytest.mark.parametrize("index", range(5))
def test_calling_the_library_neurons_fails(index):
    check, delegate, name = _library_delegates()[index]
    _fails(check, delegate, "reference implementation", name)


# -- hidden cases: the instructor's, different for each student ------------------------------

HIDDEN = ROOT / "solutions" / "ch01-neurons" / "hidden_cases.py"


@pytest.mark.parametrize("seed", range(20))
def test_the_hidden_cases_of_every_seed_are_well_posed(seed, capsys):
    with core.hidden_source(HIDDEN, seed):
        for check, student in [(ch01.mcculloch_pitts, mp_solution), (ch01.perceptron_predict, predict_solution),
                               (ch01.perceptron_update, update_solution), (ch01.train_perceptron, train_solution),
                               (ch01.xor_network, xor_solution)]:
            check(student, hidden=True)
        assert float(ch01.boolean_network(boolean_solution, hidden=True)) == 3.0


def _hidden_inputs(seed):
    with core.hidden_source(HIDDEN, seed):
        return [c.args for c in core.hidden("perceptron_update")]


def test_each_seed_has_its_own_hidden_random_cases_and_keeps_them():
    first, again, other = _hidden_inputs(1), _hidden_inputs(1), _hidden_inputs(2)
    assert all(np.array_equal(a, b) for x, y in zip(first, again) for a, b in zip(x, y))
    assert not np.array_equal(first[0][0], other[0][0])


def test_without_the_instructors_file_the_hidden_part_says_where_it_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with core.hidden_source(None, 0):
        with pytest.raises(CheckFailure, match="only when the instructor grades"):
            ch01.mcculloch_pitts(mp_solution, hidden=True)


def test_no_hidden_case_reaches_a_student():
    assert_no_hidden_case_ships(ROOT, "ch01-neurons", HIDDEN)


# -- the caller's arrays are left alone --------------------------------------------------------


def train_in_place(X, y, w_init, lr=1.0, epochs=10):
    w = np.asarray(w_init)  # no copy: the updates below change the caller's array
    errors = np.zeros(epochs, dtype=int)
    for epoch in range(epochs):
        for xi, yi in zip(X, y):
            y_hat = 1 if w[0] + xi @ w[1:] >= 0 else 0
            if y_hat != yi:
                w += lr * (yi - y_hat) * np.concatenate(([1.0], xi))
                errors[epoch] += 1
    return w.copy(), errors


def test_changing_the_callers_array_fails_and_names_it():
    message = _fails(ch01.train_perceptron, train_in_place, "changed its argument `w_init` in place")
    assert "AND from w = 0" in message


def test_changing_the_callers_array_fails_when_judged_by_the_grader():
    source = "from dlcourse.checks import ch01\nch01.train_perceptron(train_perceptron, hidden=True)"
    verdict = judged_outside(source, {"train_perceptron": train_in_place},
                             answers_from={"train_perceptron": train_solution}, hidden_path=HIDDEN, seed=7)
    assert verdict.points == 0 and "changed its argument `w_init` in place" in verdict.message
    honest = judged_outside(source, {"train_perceptron": train_other},
                            answers_from={"train_perceptron": train_solution}, hidden_path=HIDDEN, seed=7)
    assert honest.points == 1, honest.message


# -- what the specs allow and forbid ------------------------------------------------------------


def mp_without_conversion(x, theta, inhibitory=None):
    # right for a NumPy mask, but `~` on a list of booleans raises
    x = np.asarray(x)
    if inhibitory is None:
        inhibitory = np.zeros(x.shape[-1], dtype=bool)
    vetoed = np.any(x[..., inhibitory] == 1, axis=-1)
    return np.where(vetoed, 0, (x[..., ~inhibitory].sum(axis=-1) >= theta).astype(int))


@pytest.mark.parametrize("hidden", [False, True])
def test_mcculloch_pitts_failing_on_a_list_mask_is_told_why(hidden):
    message = _fails(ch01.mcculloch_pitts, mp_without_conversion, "given as a list", "raised TypeError",
                     "np.asarray(inhibitory, dtype=bool)", hidden=hidden)
    assert "input:" in message


def update_in_place(w, x, y, lr=1.0):
    y_hat = 1.0 if w[0] + x @ w[1:] >= 0 else 0.0
    w += lr * (y - y_hat) * np.concatenate(([1.0], x))
    return w


def test_perceptron_update_changing_w_in_place_fails_and_names_it():
    message = _fails(ch01.perceptron_update, update_in_place, "changed its argument `w` in place")
    assert "w = 0 fires on (0, 0)" in message


def test_perceptron_update_in_place_loses_when_judged_by_the_grader():
    source = "from dlcourse.checks import ch01\nch01.perceptron_update(perceptron_update, hidden=True)"
    verdict = judged_outside(source, {"perceptron_update": update_in_place},
                             answers_from={"perceptron_update": update_solution}, hidden_path=HIDDEN, seed=3)
    assert verdict.points == 0 and "changed its argument `w` in place" in verdict.message
    honest = judged_outside(source, {"perceptron_update": update_other},
                            answers_from={"perceptron_update": update_solution}, hidden_path=HIDDEN, seed=3)
    assert honest.points == 1, honest.message


# -- exercise 5: the margin, the radius and Novikoff's bound ------------------------------------


def bound_solution(X, y, w_star):
    X_tilde = np.column_stack([np.ones(len(X)), X])
    u = w_star / np.linalg.norm(w_star)
    gamma = np.min((2 * y - 1) * (X_tilde @ u))
    R = np.max(np.linalg.norm(X_tilde, axis=1))
    return gamma, R, (R / gamma) ** 2 if gamma > 0 else np.inf


def bound_loop(X, y, w_star):
    norm = sum(v * v for v in w_star) ** 0.5
    gamma, R = float("inf"), 0.0
    for x, label in zip(X, y):
        x_tilde = [1.0, *x]
        score = sum(a * b for a, b in zip(w_star, x_tilde)) / norm
        gamma = min(gamma, score if label == 1 else -score)
        R = max(R, sum(v * v for v in x_tilde) ** 0.5)
    return gamma, R, (R / gamma) ** 2 if gamma > 0 else float("inf")


def bound_squared_norms(X, y, w_star):
    # the margin from the sign of each side, the radius from squared norms
    scores = (w_star[0] + X @ w_star[1:]) / np.sqrt(w_star @ w_star)
    gamma = min(scores[y == 1].min(initial=np.inf), (-scores[y == 0]).min(initial=np.inf))
    R = np.sqrt(1 + (X ** 2).sum(axis=1).max())
    return [gamma, R, np.inf if gamma <= 0 else R ** 2 / gamma ** 2]


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("student", [bound_solution, bound_loop, bound_squared_norms])
def test_mistake_bound_correct_styles_pass(student, hidden, capsys):
    ch01.mistake_bound(student, hidden=hidden)
    assert "\u2713 mistake_bound" in capsys.readouterr().out


def test_mistake_bound_stub_and_reference_fail():
    _fails(ch01.mistake_bound, _stub, "not implemented yet")
    _fails(ch01.mistake_bound, lambda X, y, w: ch01._ref_mistake_bound(X, y, w), "reference implementation")


def test_mistake_bound_without_normalising_fails():
    def unnormalised(X, y, w_star):
        X_tilde = np.column_stack([np.ones(len(X)), X])
        gamma = np.min((2 * y - 1) * (X_tilde @ w_star))
        R = np.max(np.linalg.norm(X_tilde, axis=1))
        return gamma, R, (R / gamma) ** 2 if gamma > 0 else np.inf

    _fails(ch01.mistake_bound, unnormalised, "norm 2.06, not 1", "value 1", "/ ||w_star||")


def test_mistake_bound_with_0_1_labels_as_signs_fails():
    def zero_one(X, y, w_star):
        X_tilde = np.column_stack([np.ones(len(X)), X])
        gamma = np.min(y * (X_tilde @ (w_star / np.linalg.norm(w_star))))
        R = np.max(np.linalg.norm(X_tilde, axis=1))
        return gamma, R, (R / gamma) ** 2 if gamma > 0 else np.inf

    _fails(ch01.mistake_bound, zero_one, "AND with w_star", "value 1", "s_i = 2 y_i - 1")


def test_mistake_bound_radius_without_the_bias_input_fails():
    def no_bias_in_R(X, y, w_star):
        gamma, _, _ = bound_solution(X, y, w_star)
        R = np.max(np.linalg.norm(X, axis=1))
        return gamma, R, (R / gamma) ** 2 if gamma > 0 else np.inf

    _fails(ch01.mistake_bound, no_bias_in_R, "value 2", "in R too")


def test_mistake_bound_without_the_infinite_case_fails():
    def always_a_number(X, y, w_star):
        gamma, R, _ = bound_solution(X, y, w_star)
        return gamma, R, (R / gamma) ** 2

    _fails(ch01.mistake_bound, always_a_number, "XOR: w_star does not separate", "value 3", "inf when gamma <= 0")


@pytest.mark.parametrize("seed", range(20))
def test_mistake_bound_hidden_cases_are_well_posed(seed, capsys):
    with core.hidden_source(HIDDEN, seed):
        cases = core.hidden("mistake_bound")
        ch01.mistake_bound(bound_solution, hidden=True)
    separable = [c for c in cases if c.label.startswith("hidden separable")]
    assert len(separable) == 4
    for case in separable:  # labels come from w_star, so it separates them with a positive margin
        gamma, R, bound = ch01._ref_mistake_bound(*case.args)
        assert 0 < gamma <= R and np.isfinite(bound)


# -- exercise 6: the pocket algorithm ---------------------------------------------------------------


def pocket_solution(X, y, w_init, lr=1.0, epochs=10):
    X_tilde = np.column_stack([np.ones(len(X)), X])

    def errors_of(w):
        return int(np.sum((X_tilde @ w >= 0).astype(int) != y))

    w = np.array(w_init, dtype=float)
    pocket, best = w.copy(), errors_of(w)
    history = np.zeros(epochs, dtype=int)
    for epoch in range(epochs):
        for x_tilde, target in zip(X_tilde, y):
            y_hat = 1 if x_tilde @ w >= 0 else 0
            if y_hat != target:
                w = w + lr * (target - y_hat) * x_tilde
                if errors_of(w) < best:
                    pocket, best = w.copy(), errors_of(w)
        history[epoch] = best
    return pocket, history


def pocket_reusing_earlier_exercises(X, y, w_init, lr=1.0, epochs=10):
    # the student's own perceptron_predict and perceptron_update, and a list for the history
    w = np.array(w_init, dtype=float)
    pocket, best, history = w, int(np.sum(predict_solution(X, w) != y)), []
    for _ in range(epochs):
        for xi, yi in zip(X, y):
            new = update_solution(w, xi, yi, lr)
            if not np.array_equal(new, w):
                w = new
                wrong = int(np.sum(predict_solution(X, w) != y))
                if wrong < best:
                    pocket, best = w, wrong
        history.append(best)
    return pocket, history


def pocket_loop(X, y, w_init, lr=1.0, epochs=10):
    # plain Python lists and loops throughout
    rows = [[1.0, *map(float, x)] for x in X]
    labels = [int(t) for t in y]

    def fires(w, row):
        return int(sum(a * b for a, b in zip(w, row)) >= 0)

    def wrong(w):
        return sum(fires(w, row) != t for row, t in zip(rows, labels))

    w = [float(v) for v in w_init]
    pocket, best, history = list(w), wrong(w), []
    for _ in range(epochs):
        for row, t in zip(rows, labels):
            out = fires(w, row)
            if out != t:
                w = [a + lr * (t - out) * b for a, b in zip(w, row)]
                if wrong(w) < best:
                    pocket, best = list(w), wrong(w)
        history.append(best)
    return np.array(pocket), np.array(history)


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("student", [pocket_solution, pocket_reusing_earlier_exercises, pocket_loop])
def test_pocket_correct_styles_score_full_marks(student, hidden, capsys):
    score = ch01.pocket_perceptron(student, hidden=hidden)
    assert float(score) == 3.0 and repr(score) == "3"


def test_pocket_reference_agrees_with_the_plain_rule_on_separable_data():
    # once the rule separates the data the pocket holds those weights: E = 0
    X = ch01.truth_inputs(2)
    for y in ([0, 0, 0, 1], [0, 1, 1, 1], [1, 1, 1, 0]):
        w_rule, _ = ch01._ref_train_perceptron(X, np.array(y), np.zeros(3), 1.0, 10)
        w_pocket, errors = ch01._ref_pocket_perceptron(X, np.array(y), np.zeros(3), epochs=10)
        np.testing.assert_array_equal(w_pocket, w_rule)
        assert errors[-1] == 0


def test_pocket_on_xor_keeps_only_what_the_rule_visits():
    # from w = 0 the rule cycles through weights with two errors each: the pocket keeps w = 0;
    # from another start it meets a weight vector with one error, the best a perceptron can do
    X, y = ch01.truth_inputs(2), np.array([0, 1, 1, 0])
    w, errors = ch01._ref_pocket_perceptron(X, y, np.zeros(3), epochs=10)
    np.testing.assert_array_equal(w, np.zeros(3))
    assert np.all(errors == 2)
    w, errors = ch01._ref_pocket_perceptron(X, y, np.array([0.1, 0.2, -0.3]), lr=0.3, epochs=10)
    assert errors[-1] == 1 and np.all(np.diff(errors) <= 0)
    assert int(np.sum(ch01._ref_perceptron_predict(X, w) != y)) == 1


def test_pocket_stub_and_reference_fail():
    _fails(ch01.pocket_perceptron, _stub, "not implemented yet")
    _fails(ch01.pocket_perceptron, lambda X, y, w, lr=1.0, epochs=10: ch01._ref_pocket_perceptron(X, y, w, lr, epochs),
           "reference implementation")


def _pocket_score(student, capsys):
    """The points and the printed report (or the failure's message when no part passes)."""
    try:
        score = float(ch01.pocket_perceptron(student))
    except CheckFailure as failure:
        return 0.0, capsys.readouterr().out + str(failure)
    return score, capsys.readouterr().out


def test_pocket_returning_the_last_weights_keeps_only_the_error_history(capsys):
    def last_weights(X, y, w_init, lr=1.0, epochs=10):
        w_last, _ = train_solution(X, y, w_init, lr, epochs)
        return w_last, pocket_solution(X, y, w_init, lr, epochs)[1]

    score, out = _pocket_score(last_weights, capsys)
    assert score == 1.0 and "weights after the last update" in out


def test_pocket_replacing_on_ties_fails_with_its_hint(capsys):
    def on_ties(X, y, w_init, lr=1.0, epochs=10):
        return ch01._pocket(X, y, w_init, lr, epochs, ties=True)

    score, out = _pocket_score(on_ties, capsys)
    assert score < 3.0 and "strictly fewer" in out


def test_pocket_without_w_init_in_it_fails_with_its_hint(capsys):
    def empty_pocket(X, y, w_init, lr=1.0, epochs=10):
        X_tilde = np.column_stack([np.ones(len(X)), X])
        w = np.array(w_init, dtype=float)
        pocket, best = w.copy(), np.inf  # w_init is never counted
        history = np.zeros(epochs, dtype=int)
        for epoch in range(epochs):
            for x_tilde, target in zip(X_tilde, y):
                y_hat = int(x_tilde @ w >= 0)
                if y_hat != target:
                    w = w + lr * (target - y_hat) * x_tilde
                    wrong = int(np.sum((X_tilde @ w >= 0) != y))
                    if wrong < best:
                        pocket, best = w.copy(), wrong
            history[epoch] = best if np.isfinite(best) else int(np.sum((X_tilde @ w >= 0) != y))
        return pocket, history

    score, out = _pocket_score(empty_pocket, capsys)
    assert score < 3.0 and "XOR from the OR weights" in out and "starts out holding w_init" in out


def test_pocket_looking_once_per_epoch_fails_with_its_hint(capsys):
    def per_epoch(X, y, w_init, lr=1.0, epochs=10):
        w, best_w = np.array(w_init, dtype=float), np.array(w_init, dtype=float)
        best = int(np.sum(predict_solution(X, w) != y))
        history = []
        for _ in range(epochs):
            w, _ = train_solution(X, y, w, lr, 1)
            wrong = int(np.sum(predict_solution(X, w) != y))
            if wrong < best:
                best_w, best = w.copy(), wrong
            history.append(best)
        return best_w, np.array(history)

    with pytest.raises(CheckFailure) as failure:
        ch01.pocket_perceptron(per_epoch)
    assert "after every update, not once per epoch" in str(failure.value)


def test_pocket_reporting_the_mistakes_per_epoch_loses_that_point(capsys):
    def mistakes(X, y, w_init, lr=1.0, epochs=10):
        return pocket_solution(X, y, w_init, lr, epochs)[0], train_solution(X, y, w_init, lr, epochs)[1]

    score, out = _pocket_score(mistakes, capsys)
    assert score == 2.0 and "mistakes made during each epoch" in out


def test_pocket_changing_w_init_in_place_fails_and_names_it():
    def in_place(X, y, w_init, lr=1.0, epochs=10):
        w_init += 0.0 * w_init + 1e-3  # a stray update of the caller's array
        return pocket_solution(X, y, w_init - 1e-3, lr, epochs)

    _fails(ch01.pocket_perceptron, in_place, "changed its argument `w_init` in place")


def test_pocket_returning_one_value_fails():
    _fails(ch01.pocket_perceptron, lambda X, y, w, lr=1.0, epochs=10: pocket_solution(X, y, w, lr, epochs)[0],
           "should return 2 values")


def test_pocket_is_judged_by_the_grader_with_partial_credit():
    source = "from dlcourse.checks import ch01\nch01.pocket_perceptron(pocket_perceptron, hidden=True)"

    def last_weights(X, y, w_init, lr=1.0, epochs=10):
        return train_solution(X, y, w_init, lr, epochs)[0], pocket_solution(X, y, w_init, lr, epochs)[1]

    verdict = judged_outside(source, {"pocket_perceptron": last_weights}, points=3,
                             answers_from={"pocket_perceptron": pocket_solution}, hidden_path=HIDDEN, seed=5)
    assert verdict.points == 1, verdict.message
    honest = judged_outside(source, {"pocket_perceptron": pocket_loop}, points=3,
                            answers_from={"pocket_perceptron": pocket_solution}, hidden_path=HIDDEN, seed=5)
    assert honest.points == 3, honest.message


@pytest.mark.parametrize("seed", range(20))
def test_pocket_hidden_cases_are_well_posed(seed, capsys):
    with core.hidden_source(HIDDEN, seed):
        cases = core.hidden("pocket_perceptron")
        assert float(ch01.pocket_perceptron(pocket_solution, hidden=True)) == 3.0
    for case in cases:  # a data set, 0/1 labels and a start of matching shapes; the pocket never gets worse
        X, y, w_init = case.args
        assert len(X) == len(y) and w_init.shape == (X.shape[1] + 1,)
        assert set(np.unique(y)) <= {0, 1}
        w, errors = ch01._ref_pocket_perceptron(*case.args, **case.kwargs)
        assert np.all(np.diff(errors) <= 0)
        assert errors[-1] == int(np.sum(ch01._ref_perceptron_predict(X, w) != y))
