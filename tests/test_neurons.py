import itertools

import numpy as np
import pytest

from dlcourse.datasets import truth_table
from dlcourse.neurons import (
    McCullochPitts,
    Perceptron,
    and_unit,
    boolean_function_network,
    nor_unit,
    not_unit,
    or_unit,
    step,
    xor_network,
)

BITS = np.array(list(itertools.product((0, 1), repeat=2)))


# -- McCulloch–Pitts ---------------------------------------------------------


def test_mp_units_compute_and_or_nor():
    np.testing.assert_array_equal(and_unit()(BITS), [0, 0, 0, 1])
    np.testing.assert_array_equal(or_unit()(BITS), [0, 1, 1, 1])
    np.testing.assert_array_equal(nor_unit()(BITS), [1, 0, 0, 0])


def test_mp_not():
    np.testing.assert_array_equal(not_unit()(np.array([[0], [1]])), [1, 0])


def test_mp_units_with_three_inputs():
    bits = np.array(list(itertools.product((0, 1), repeat=3)))
    np.testing.assert_array_equal(and_unit(3)(bits), bits.all(axis=1))
    np.testing.assert_array_equal(or_unit(3)(bits), bits.any(axis=1))
    np.testing.assert_array_equal(nor_unit(3)(bits), ~bits.any(axis=1))


def test_mp_threshold_is_inclusive_and_inhibition_vetoes():
    unit = McCullochPitts(threshold=2, n_inputs=3, inhibitory=[2])
    assert unit([1, 1, 0]) == 1  # sum 2 >= θ = 2
    assert unit([1, 0, 0]) == 0
    assert unit([1, 1, 1]) == 0  # the inhibitory input wins
    assert unit(np.array([True, True, False])) == 1


def test_mp_rejects_bad_input():
    with pytest.raises(ValueError, match="boolean"):
        and_unit()([0.5, 1])
    with pytest.raises(ValueError, match="expects 2 inputs"):
        and_unit()([1, 1, 1])
    with pytest.raises(ValueError, match="out of range"):
        McCullochPitts(1, n_inputs=2, inhibitory=[2])


def test_step_is_one_at_zero():
    np.testing.assert_array_equal(step([-0.1, 0.0, 2.0]), [0, 1, 1])


# -- Perceptron --------------------------------------------------------------


@pytest.mark.parametrize("name", ["and", "or", "nand", "nor"])
@pytest.mark.parametrize("encoding", ["binary", "bipolar"])
def test_perceptron_converges_on_linearly_separable(name, encoding):
    X, y = truth_table(name, encoding=encoding)
    p = Perceptron(lr=1.0, epochs=50).fit(X, y)
    assert p.converged_
    assert p.errors_[-1] == 0
    np.testing.assert_array_equal(p.predict(X), y)


def test_perceptron_and_matches_hand_trace():
    # w starts at 0; samples (0,0),(0,1),(1,0),(1,1), x0 = 1, lr = 1.
    # epoch 1: (0,0): w·x = 0 >= 0 fires, target 0 -> w = (-1, 0, 0)
    #          (0,1),(1,0): -1 < 0 correct; (1,1): -1 < 0, target 1 -> w = (0, 1, 1)
    p = Perceptron(lr=1.0, epochs=1).fit(*truth_table("and"))
    np.testing.assert_array_equal(p.weights, [0.0, 1.0, 1.0])
    assert p.errors_ == [2]
    assert not p.converged_


def test_perceptron_never_converges_on_xor():
    X, y = truth_table("xor")
    p = Perceptron(lr=1.0, epochs=100).fit(X, y)
    assert not p.converged_
    assert len(p.errors_) == 100
    assert min(p.errors_) > 0


def test_fit_overrides_epochs_and_lr():
    p = Perceptron(lr=1.0, epochs=100).fit(*truth_table("xor"), epochs=7, lr=0.5)
    assert len(p.errors_) == 7 and p.lr == 0.5
    with pytest.raises(ValueError, match="epochs must be at least 1, got 0"):
        Perceptron().fit(*truth_table("and"), epochs=0)


def test_perceptron_never_converges_on_xor_shuffled():
    X, y = truth_table("xor", encoding="bipolar")
    p = Perceptron(lr=0.5, epochs=200, rng=np.random.default_rng(3)).fit(X, y)
    assert not p.converged_ and min(p.errors_) > 0


def test_perceptron_bipolar_and_binary_learn_same_weights():
    Xb, yb = truth_table("or", encoding="binary")
    Xp, yp = truth_table("or", encoding="bipolar")
    binary = Perceptron().fit(Xb, yb)
    bipolar = Perceptron(labels="bipolar").fit(Xb, yp)
    np.testing.assert_array_equal(binary.weights, bipolar.weights)
    np.testing.assert_array_equal(bipolar.predict(Xb), yp)
    assert set(np.unique(bipolar.predict(Xb))) <= {-1, 1}


def test_perceptron_bias_is_minus_threshold():
    p = Perceptron().fit(*truth_table("and"))
    theta = -p.weights[0]
    X, y = truth_table("and")
    np.testing.assert_array_equal((X @ p.weights[1:] >= theta).astype(int), y)


def test_perceptron_separates_random_separable_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    w_true = np.array([0.5, 1.0, -2.0, 0.7])
    margin = w_true[0] + X @ w_true[1:]
    keep = np.abs(margin) > 0.3
    X, y = X[keep], (margin[keep] >= 0).astype(int)
    p = Perceptron(lr=0.1, epochs=500, rng=np.random.default_rng(1)).fit(X, y)
    assert p.converged_
    np.testing.assert_array_equal(p.predict(X), y)


def test_perceptron_keeps_float32():
    X, y = truth_table("and")
    p = Perceptron().fit(X.astype(np.float32), y)
    assert p.weights.dtype == np.float32


def test_perceptron_errors():
    with pytest.raises(ValueError, match="labels"):
        Perceptron(labels="ternary")
    with pytest.raises(ValueError, match=r"targets in \(0, 1\)"):
        Perceptron(labels="binary").fit(*truth_table("and", encoding="bipolar"))
    with pytest.raises(ValueError, match="shape"):
        Perceptron().fit(np.zeros((4, 2)), np.zeros(3))
    with pytest.raises(RuntimeError, match="not fitted"):
        Perceptron().predict(np.zeros((1, 2)))


# -- networks of perceptrons -------------------------------------------------


def test_xor_network_hidden_table_matches_notes():
    net = xor_network()
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(net.hidden(X), [[0, 0], [0, 1], [1, 0], [0, 0]])
    np.testing.assert_array_equal(net.predict(X), [0, 1, 1, 0])


@pytest.mark.parametrize("n", [1, 2, 3])
def test_boolean_network_represents_every_function(n):
    patterns = np.array(list(itertools.product((-1, 1), repeat=n)))
    for outputs in itertools.product((0, 1), repeat=2**n):
        net = boolean_function_network(outputs)
        hidden = net.hidden(patterns)
        np.testing.assert_array_equal(hidden, np.eye(2**n, dtype=int))  # one unit per pattern
        np.testing.assert_array_equal(net.predict(patterns), np.where(np.array(outputs) == 1, 1, -1))


def test_boolean_network_has_the_notes_weights():
    net = boolean_function_network(truth_table("xor", encoding="bipolar")[1])
    np.testing.assert_array_equal(net.hidden_weights, [[-1, -1], [-1, 1], [1, -1], [1, 1]])
    np.testing.assert_array_equal(net.hidden_bias, [-2, -2, -2, -2])
    # the notes' check: (−1, −1) into the first unit gives 1 + 1 − 2 = 0 >= 0
    assert net.hidden_weights[0] @ [-1, -1] + net.hidden_bias[0] == 0


def test_boolean_network_rejects_wrong_length():
    with pytest.raises(ValueError, match="2\\^n"):
        boolean_function_network([0, 1, 1])
