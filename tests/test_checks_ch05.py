"""The chapter 5 checks accept correct answers written in different ways and
reject the usual wrong ones (a forgotten path, one-sided differences, a
transposed weight gradient, a mean instead of a sum, log of an underflowed
softmax, the derivative taken at the output) with a message that says what
went wrong."""

import warnings

import numpy as np
import pytest
import torch

from dlcourse.checks import ch05, core
from tests.check_tools import fails as _fails
from tests.check_tools import stub as _stub
from tests.conftest import ROOT
from tests.hidden_case_tools import hidden_labels, hidden_literals, leaks


def _sigmoid(a):
    a = np.asarray(a, dtype=float)
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


# -- solutions as the notebook writes them, and other correct ways ----------------------------


def two_path_gradient(w):
    y = z = w**2                       # forward pass
    dy_dw = dz_dw = 2 * w
    do_dp = do_dq = 1.0                # o = p + q
    return do_dp * -np.sin(y) * dy_dw + do_dq * np.cos(z) * dz_dw


def two_path_gradient_other(w):
    w = np.asarray(w, dtype=float)
    return 2 * w * np.sqrt(2) * np.cos(w**2 + np.pi / 4)   # cos u - sin u = sqrt(2) cos(u + pi/4)


def numerical_gradient(f, x, h=1e-6):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_gradient_other(f, x, h=1e-6):
    # a fresh copy for every perturbation, a flat loop
    x = np.asarray(x, dtype=float)
    grad = np.empty(x.size)
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = h
        step = step.reshape(x.shape)
        grad[k] = f(x + step) / (2 * h) - f(x - step) / (2 * h)
    return grad.reshape(x.shape)


def relative_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-12)


def relative_error_other(a, b):
    diff = np.abs(np.subtract(a, b, dtype=float)).max()
    scale = (np.abs(a) + np.abs(b)).max()
    return float(diff / scale) if scale > 1e-12 else float(diff / 1e-12)


def linear_forward(X, W, b):
    return X @ W.T + b


def linear_backward(dout, X, W):
    return dout @ W, dout.T @ X, dout.sum(axis=0)


def linear_forward_other(X, W, b):
    return np.einsum("ni,oi->no", X, W) + b[None, :]


def linear_backward_other(dout, X, W):
    dW = sum(np.outer(g, x) for g, x in zip(dout, X))     # one outer product per sample, as the notes
    return np.einsum("no,oi->ni", dout, W), dW, np.ones(len(dout)) @ dout


def sigmoid_backward(dout, a):
    s = _sigmoid(a)
    return dout * s * (1 - s)


def sigmoid_backward_other(dout, a):
    return dout * 0.25 / np.cosh(0.5 * np.asarray(a, dtype=float)) ** 2


def sigmoid_backward_naive_sigmoid(dout, a):
    s = 1 / (1 + np.exp(-a))          # overflows for a << 0 but the value is right
    return dout * s * (1 - s)


def tanh_backward(dout, a):
    t = np.tanh(a)
    return dout * (1 - t * t)


def tanh_backward_cosh(dout, a):
    return dout / np.cosh(np.asarray(a, dtype=float)) ** 2          # sech^2; cosh overflows to inf, 1/inf = 0


def tanh_backward_from_sigmoid(dout, a):
    s = _sigmoid(2 * np.asarray(a, dtype=float))                     # tanh(a) = 2 sigma(2a) - 1
    return dout * 4 * s * (1 - s)


def relu_backward(dout, a):
    return dout * (a > 0)


def relu_backward_where(dout, a):
    return np.where(np.asarray(a) > 0, dout, 0.0)


def relu_backward_copy_then_zero(dout, a):
    grad = np.array(dout, dtype=float)     # a copy: zeroing it leaves the caller's dout alone
    grad[np.asarray(a) <= 0] = 0.0
    return grad


def max_backward(dout, X):
    dX = np.zeros(X.shape)
    dX[np.arange(len(X)), np.argmax(X, axis=1)] = dout
    return dX


def max_backward_one_hot(dout, X):
    return np.eye(X.shape[1])[np.argmax(X, axis=1)] * np.asarray(dout)[:, None]


def max_backward_loop(dout, X):
    rows = []
    for g, row in zip(dout, X):
        out = [0.0] * len(row)
        best = max(range(len(row)), key=lambda k: (row[k], -k))    # the first of the largest
        out[best] = g
        rows.append(out)
    return np.array(rows, dtype=float).reshape(X.shape)


TABLE = (sigmoid_backward, tanh_backward, relu_backward, max_backward)
TABLE_OTHERS = [(sigmoid_backward_other, tanh_backward_cosh, relu_backward_where, max_backward_one_hot),
                (sigmoid_backward_naive_sigmoid, tanh_backward_from_sigmoid, relu_backward_copy_then_zero,
                 max_backward_loop),
                (sigmoid_backward_other, tanh_backward_from_sigmoid, relu_backward_where, max_backward_loop)]


def softmax_cross_entropy(logits, labels):
    n = len(logits)
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), labels].mean()
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1
    return loss, grad / n


def softmax_cross_entropy_other(logits, labels):
    logits = np.asarray(logits, dtype=float)
    one_hot = np.eye(logits.shape[1])[labels]
    log_z = np.logaddexp.reduce(logits, axis=1, keepdims=True)
    loss = float(np.sum(one_hot * (log_z - logits)) / len(logits))
    return loss, (np.exp(logits - log_z) - one_hot) / len(logits)


def mlp_forward_backward(X, y, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    a1 = linear_forward(X, W1, b1)
    h1 = _sigmoid(a1)
    a2 = linear_forward(h1, W2, b2)
    loss, delta2 = softmax_cross_entropy(a2, y)
    dh1, dW2, db2 = linear_backward(delta2, h1, W2)
    delta1 = sigmoid_backward(dh1, a1)
    _, dW1, db1 = linear_backward(delta1, X, W1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def mlp_forward_backward_other(X, y, params):
    # one sample at a time, column vectors as in the notes, gradients summed and divided by N
    grads = {k: np.zeros_like(v, dtype=float) for k, v in params.items()}
    total = 0.0
    for x, t in zip(X, y):
        a1 = params["W1"] @ x + params["b1"]
        h1 = _sigmoid(a1)
        a2 = params["W2"] @ h1 + params["b2"]
        log_p = a2 - np.logaddexp.reduce(a2)
        total -= log_p[t]
        d2 = np.exp(log_p) - np.eye(len(a2))[t]
        d1 = (params["W2"].T @ d2) * h1 * (1 - h1)
        grads["W2"] += np.outer(d2, h1)
        grads["b2"] += d2
        grads["W1"] += np.outer(d1, x)
        grads["b1"] += d1
    n = len(X)
    return total / n, {k: v / n for k, v in grads.items()}


_FORWARD = {"sigmoid": _sigmoid, "tanh": np.tanh, "relu": lambda a: np.maximum(a, 0.0)}
_BACKWARD = {"sigmoid": sigmoid_backward, "tanh": tanh_backward, "relu": relu_backward}


def deep_forward_backward(X, y, weights, biases, activation):
    inputs, pre = [], []
    h = X
    for W, b in zip(weights[:-1], biases[:-1]):
        inputs.append(h)
        pre.append(linear_forward(h, W, b))
        h = _FORWARD[activation](pre[-1])
    inputs.append(h)
    loss, delta = softmax_cross_entropy(linear_forward(h, weights[-1], biases[-1]), y)
    d_weights, d_biases = [None] * len(weights), [None] * len(weights)
    for l in reversed(range(len(weights))):
        dh, d_weights[l], d_biases[l] = linear_backward(delta, inputs[l], weights[l])
        if l > 0:
            delta = _BACKWARD[activation](dh, pre[l - 1])
    return loss, d_weights, d_biases


def deep_forward_backward_per_sample(X, y, weights, biases, activation):
    # column vectors as in the notes, one sample at a time, derivatives from the outputs h
    derivative = {"sigmoid": lambda a, h: h * (1 - h), "tanh": lambda a, h: 1 - h**2,
                  "relu": lambda a, h: (a > 0) * 1.0}[activation]
    d_weights = [np.zeros_like(W, dtype=float) for W in weights]
    d_biases = [np.zeros_like(b, dtype=float) for b in biases]
    total = 0.0
    for x, t in zip(X, y):
        hs, as_ = [x], []
        for W, b in zip(weights, biases):
            as_.append(W @ hs[-1] + b)
            hs.append(_FORWARD[activation](as_[-1]))
        logits = as_[-1]
        log_p = logits - np.logaddexp.reduce(logits)
        total -= log_p[t]
        delta = np.exp(log_p) - np.eye(len(logits))[t]
        for l in range(len(weights) - 1, -1, -1):
            d_weights[l] += np.outer(delta, hs[l])
            d_biases[l] += delta
            if l > 0:
                delta = (weights[l].T @ delta) * derivative(as_[l - 1], hs[l])
    n = len(X)
    return total / n, [g / n for g in d_weights], [g / n for g in d_biases]


def deep_forward_backward_recursive(X, y, weights, biases, activation):
    # the network as a recursion: each layer returns (loss, gradient at its input, its gradients below)
    def through(h, layer):
        a = h @ weights[layer].T + biases[layer]
        if layer == len(weights) - 1:
            loss, delta = softmax_cross_entropy(a, y)
        else:
            loss, dh, dWs, dbs = through(_FORWARD[activation](a), layer + 1)
            delta = _BACKWARD[activation](dh, a)
        rest_W, rest_b = ([], []) if layer == len(weights) - 1 else (dWs, dbs)
        return loss, delta @ weights[layer], [delta.T @ h] + rest_W, [delta.sum(axis=0)] + rest_b

    loss, _, d_weights, d_biases = through(np.asarray(X, dtype=float), 0)
    return loss, d_weights, d_biases


def deep_forward_backward_tuples(X, y, weights, biases, activation):
    loss, d_weights, d_biases = deep_forward_backward(X, y, list(weights), list(biases), activation)
    return [float(loss), tuple(d_weights), tuple(d_biases)]


def tower(x, center, width, height, steepness):
    left, right = center - width / 2, center + width / 2
    return height * (_sigmoid(steepness * (x - left)) - _sigmoid(steepness * (x - right)))


def tower_other(x, center, width, height, steepness):
    # sigma(u) - sigma(v) = (tanh(u/2) - tanh(v/2)) / 2
    x = np.asarray(x, dtype=float)
    u = steepness * (x - center + width / 2)
    v = steepness * (x - center - width / 2)
    return height * (np.tanh(u / 2) - np.tanh(v / 2)) / 2


# -- correct answers pass -------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True])
def test_correct_answers_pass(hidden, capsys):
    ch05.two_path_gradient(two_path_gradient, hidden=hidden)
    ch05.two_path_gradient(two_path_gradient_other, hidden=hidden)
    ch05.tower(tower, hidden=hidden)
    ch05.tower(tower_other, hidden=hidden)
    assert "\u2713" in capsys.readouterr().out


@pytest.mark.parametrize("hidden", [False, True])
def test_full_marks_for_the_parts(hidden, capsys):
    assert repr(ch05.numerical_gradient(numerical_gradient, relative_error, hidden=hidden)) == "2"
    assert float(ch05.numerical_gradient(numerical_gradient_other, relative_error_other, hidden=hidden)) == 2
    assert float(ch05.linear_layer(linear_forward, linear_backward, hidden=hidden)) == 3
    assert float(ch05.linear_layer(linear_forward_other, linear_backward_other, hidden=hidden)) == 3
    assert float(ch05.backward_table(*TABLE, hidden=hidden)) == 4
    for others in TABLE_OTHERS:
        assert float(ch05.backward_table(*others, hidden=hidden)) == 4
    for ce in (softmax_cross_entropy, softmax_cross_entropy_other, None):
        assert float(ch05.mlp_forward_backward(mlp_forward_backward, ce, hidden=hidden)) == 4
        assert float(ch05.mlp_forward_backward(mlp_forward_backward_other, ce, hidden=hidden)) == 4
    for deep in (deep_forward_backward, deep_forward_backward_per_sample, deep_forward_backward_recursive,
                 deep_forward_backward_tuples):
        assert float(ch05.deep_forward_backward(deep, softmax_cross_entropy, hidden=hidden)) == 4
    assert "note:" not in capsys.readouterr().out


def test_noisy_but_correct_answers_pass(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the checks capture the overflow warnings themselves
        assert float(ch05.backward_table(sigmoid_backward_naive_sigmoid, tanh_backward_cosh, relu_backward,
                                         max_backward, hidden=True)) == 4

        def naive_tower(x, center, width, height, steepness):
            s = lambda u: 1 / (1 + np.exp(-u))  # noqa: E731
            return height * (s(steepness * (x - center + width / 2)) - s(steepness * (x - center - width / 2)))

        ch05.tower(naive_tower, hidden=True)


def test_a_dict_subclass_and_a_list_are_accepted(capsys):
    from collections import OrderedDict

    def ordered(X, y, params):
        loss, grads = mlp_forward_backward(X, y, params)
        return [loss, OrderedDict(grads)]

    assert float(ch05.mlp_forward_backward(ordered)) == 4


# -- the references agree with PyTorch and with the notes ----------------------------------------


def test_two_path_reference_is_the_notes_formula_and_autograd():
    w = torch.linspace(-3, 3, 61, dtype=torch.float64, requires_grad=True)
    (torch.cos(w**2) + torch.sin(w**2)).sum().backward()
    ours = ch05._ref_two_path_gradient(w.detach().numpy())
    np.testing.assert_allclose(ours, w.grad.numpy(), rtol=1e-12, atol=1e-14)
    # the notes' last line: -2w sin(w^2) + 2w cos(w^2); at w = 1: 2 (cos 1 - sin 1)
    assert ch05._ref_two_path_gradient(1.0) == pytest.approx(2 * (np.cos(1) - np.sin(1)), rel=1e-15)


def test_layer_references_match_torch():
    rng = np.random.default_rng(0)
    X, W, b, dout = rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(5, 4))
    tx, tW, tb = (torch.tensor(v, requires_grad=True) for v in (X, W, b))
    out = torch.nn.functional.linear(tx, tW, tb)
    np.testing.assert_allclose(ch05._ref_linear_forward(X, W, b), out.detach().numpy(), rtol=1e-12)
    out.backward(torch.tensor(dout))
    for ours, theirs in zip(ch05._ref_linear_backward(dout, X, W), (tx.grad, tW.grad, tb.grad)):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-12)
    a = np.linspace(-40, 40, 81)
    ta = torch.tensor(a, requires_grad=True)
    torch.sigmoid(ta).backward(torch.ones(81, dtype=torch.float64) * 3)
    np.testing.assert_allclose(ch05._ref_sigmoid_backward(np.full(81, 3.0), a), ta.grad.numpy(),
                               rtol=1e-9, atol=1e-15)


def test_softmax_cross_entropy_reference_matches_torch():
    rng = np.random.default_rng(1)
    logits, labels = rng.normal(scale=100, size=(6, 4)), rng.integers(0, 4, size=6)
    t = torch.tensor(logits, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(t, torch.tensor(labels))
    loss.backward()
    ours_loss, ours_grad = ch05._ref_softmax_cross_entropy(logits, labels)
    assert ours_loss == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(ours_grad, t.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_mlp_reference_matches_torch_autograd():
    case = ch05.mlp_case(np.random.default_rng(5), n=7, d=3, h=5, c=4, scale=2.0)
    X, y, params = case.args
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    h1 = torch.sigmoid(torch.tensor(X) @ tp["W1"].T + tp["b1"])
    loss = torch.nn.functional.cross_entropy(h1 @ tp["W2"].T + tp["b2"], torch.tensor(y))
    loss.backward()
    ours_loss, ours = ch05._ref_mlp_forward_backward(X, y, params)
    assert ours_loss == pytest.approx(loss.item(), rel=1e-12)
    for key in ("W1", "b1", "W2", "b2"):
        np.testing.assert_allclose(ours[key], tp[key].grad.numpy(), rtol=1e-10, atol=1e-14)


def test_backward_table_references_match_torch():
    rng = np.random.default_rng(2)
    a, dout = rng.normal(scale=3, size=(5, 4)), rng.normal(size=(5, 4))
    a[0, 0] = 0.0                                           # ReLU's kink: torch's gradient there is 0
    for torch_fn, ours in ((torch.tanh, ch05._ref_tanh_backward), (torch.relu, ch05._ref_relu_backward),
                           (torch.sigmoid, ch05._ref_sigmoid_backward)):
        ta = torch.tensor(a, requires_grad=True)
        torch_fn(ta).backward(torch.tensor(dout))
        np.testing.assert_allclose(ours(dout, a), ta.grad.numpy(), rtol=1e-12, atol=1e-15)
    X, g = rng.normal(size=(6, 5)), rng.normal(size=6)      # no ties: where torch's choice is unspecified
    tX = torch.tensor(X, requires_grad=True)
    torch.max(tX, dim=1).values.backward(torch.tensor(g))
    np.testing.assert_array_equal(ch05._ref_max_backward(g, X), tX.grad.numpy())
    # the notes' rows in their own form: tanh from the output z, 1 - z^2; max routes to the winner
    z = np.tanh(a)
    np.testing.assert_allclose(ch05._ref_tanh_backward(dout, a), dout * (1 - z**2), rtol=1e-15)
    assert ch05._ref_max_backward(np.array([2.0]), np.array([[1.0, 5.0, 3.0]])).tolist() == [[0.0, 2.0, 0.0]]


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_deep_reference_matches_torch_autograd(activation):
    case = ch05.deep_case(np.random.default_rng(8), [3, 5, 4, 4, 3], activation, n=6, scale=2.0)
    X, y, weights, biases, _ = case.args
    tW = [torch.tensor(W, requires_grad=True) for W in weights]
    tb = [torch.tensor(b, requires_grad=True) for b in biases]
    g = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[activation]
    h = torch.tensor(X)
    for W, b in zip(tW[:-1], tb[:-1]):
        h = g(h @ W.T + b)
    loss = torch.nn.functional.cross_entropy(h @ tW[-1].T + tb[-1], torch.tensor(y))
    loss.backward()
    ours_loss, d_weights, d_biases = ch05._ref_deep_forward_backward(*case.args)
    assert ours_loss == pytest.approx(loss.item(), rel=1e-12)
    for ours, theirs in zip(d_weights + d_biases, tW + tb):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_deep_reference_with_two_layers_is_the_mlp_reference():
    X, y, params = ch05.mlp_case(np.random.default_rng(9), n=5, d=3, h=4, c=3).args
    loss, d_weights, d_biases = ch05._ref_deep_forward_backward(
        X, y, [params["W1"], params["W2"]], [params["b1"], params["b2"]], "sigmoid")
    mlp_loss, grads = ch05._ref_mlp_forward_backward(X, y, params)
    assert loss == pytest.approx(mlp_loss, rel=1e-14)
    for ours, key in zip(d_weights + d_biases, ("W1", "W2", "b1", "b2")):
        np.testing.assert_allclose(ours, grads[key], rtol=1e-13)


def test_numerical_gradient_reference_matches_the_library_and_calculus():
    from dlcourse import gradcheck

    x = np.array([[0.2, -0.4, 1.0], [0.7, 0.1, -0.3]])
    ours = ch05._ref_numerical_gradient(ch05._tanh_layer, x)
    np.testing.assert_allclose(ours, gradcheck.numerical_gradient(ch05._tanh_layer, x.copy()), rtol=1e-12)
    exact = (1 - np.tanh(x @ ch05._A) ** 2) @ ch05._A.T
    assert ch05._ref_relative_error(ours, exact) < 1e-8
    for a, b in [(np.ones(3), np.ones(3) * 1.01), (np.zeros(2), np.zeros(2)), (np.array([1e-20]), np.array([0.0]))]:
        assert ch05._ref_relative_error(a, b) == gradcheck.relative_error(a, b)


def test_tower_reference_is_the_difference_of_two_sigmoids():
    x = np.linspace(-3, 3, 601)
    t = ch05._ref_tower(x, 0.5, 1.0, 2.0, 200.0)
    assert t.max() == pytest.approx(2.0, rel=1e-12)
    assert t[np.abs(x - 0.5) > 0.6].max() < 1e-8           # zero away from [0, 1]
    assert ch05._ref_tower(np.array([0.0, 1.0]), 0.5, 1.0, 2.0, 200.0) == pytest.approx([1.0, 1.0])


# -- typical wrong answers fail with a useful message ------------------------------------------


def test_two_path_forgetting_a_path_fails():
    _fails(ch05.two_path_gradient, lambda w: -2 * w * np.sin(w**2), fragments=("sum the two paths",))


def test_two_path_forgetting_the_inner_derivative_fails():
    _fails(ch05.two_path_gradient, lambda w: np.cos(w**2) - np.sin(w**2), fragments=("inner derivative 2w",))


def test_two_path_with_math_functions_fails_on_arrays():
    import math

    _fails(ch05.two_path_gradient, lambda w: 2 * w * (math.cos(w**2) - math.sin(w**2)),
           fragments=("raised TypeError", "array"))


def test_one_sided_differences_fail(capsys):
    def forward_difference(f, x, h=1e-6):
        x = np.array(x, dtype=float)
        grad = np.zeros_like(x)
        f0 = f(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + h
            grad[i] = (f(x) - f0) / h
            x[i] = old
        return grad

    score = ch05.numerical_gradient(forward_difference, relative_error)
    assert float(score) == 1.0
    assert "one-sided" in capsys.readouterr().out


def test_numerical_gradient_ignoring_h_fails(capsys):
    def fixed_h(f, x, h=1e-6):
        return numerical_gradient(f, x)

    assert float(ch05.numerical_gradient(fixed_h, relative_error)) == 1.0
    assert "h = 1e-2" in capsys.readouterr().out


def test_numerical_gradient_only_for_vectors_fails(capsys):
    def flat_only(f, x, h=1e-6):
        x = np.array(x, dtype=float)
        grad = np.zeros(len(x))
        for i in range(len(x)):
            e = np.zeros_like(x)
            e[i] = h
            grad[i] = (f(x + e) - f(x - e)) / (2 * h)
        return grad

    assert float(ch05.numerical_gradient(flat_only, relative_error)) == 1.0
    assert "shape" in capsys.readouterr().out


def test_relative_error_per_entry_fails(capsys):
    def per_entry(a, b):
        return np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12))

    assert float(ch05.numerical_gradient(numerical_gradient, per_entry)) == 1.0
    assert "two maxima" in capsys.readouterr().out


def test_relative_error_division_by_zero_fails(capsys):
    def no_floor(a, b):
        return np.max(np.abs(a - b)) / np.max(np.abs(a) + np.abs(b))

    assert float(ch05.numerical_gradient(numerical_gradient, no_floor)) == 1.0
    out = capsys.readouterr().out
    assert "both zero" in out and "nan" in out


def test_linear_forward_without_transpose_fails(capsys):
    score = ch05.linear_layer(lambda X, W, b: X @ W + b, linear_backward)
    assert float(score) == 2.0
    assert "X @ W.T + b" in capsys.readouterr().out


def test_linear_backward_transposed_weight_gradient_fails(capsys):
    def transposed(dout, X, W):
        return dout @ W, X.T @ dout, dout.sum(axis=0)

    assert float(ch05.linear_layer(linear_forward, transposed)) == 1.0
    out = capsys.readouterr().out
    assert "value 2" in out and "wrong shape" in out and "dout.T @ X" in out


def test_linear_backward_mean_bias_gradient_fails(capsys):
    def mean_bias(dout, X, W):
        return dout @ W, dout.T @ X, dout.mean(axis=0)

    assert float(ch05.linear_layer(linear_forward, mean_bias)) == 1.0
    assert "the SUM" in capsys.readouterr().out


def test_linear_backward_input_gradient_with_transpose_fails(capsys):
    def wrong_dx(dout, X, W):
        return dout @ W.T if W.shape[0] == W.shape[1] else dout @ W, dout.T @ X, dout.sum(axis=0)

    assert float(ch05.linear_layer(linear_forward, wrong_dx)) == 1.0
    assert "value 1" in capsys.readouterr().out


def _table_with(**wrong):
    """The correct backward table with some functions replaced by wrong ones."""
    names = ("sigmoid_backward", "tanh_backward", "relu_backward", "max_backward")
    return [wrong.get(name, fn) for name, fn in zip(names, TABLE)]


def _table_score(capsys, fragments, **wrong):
    score = ch05.backward_table(*_table_with(**wrong))
    out = capsys.readouterr().out
    assert float(score) == 3.0, out
    for fragment in fragments:
        assert fragment in out, out
    return out


def test_sigmoid_backward_naive_derivative_fails(capsys):
    _table_score(capsys, ("nan or inf", "inf / inf"),
                 sigmoid_backward=lambda dout, a: dout * np.exp(-a) / (1 + np.exp(-a)) ** 2)


def test_sigmoid_backward_at_the_output_fails(capsys):
    _table_score(capsys, ("not at s",),
                 sigmoid_backward=lambda dout, a: dout * _sigmoid(_sigmoid(a)) * (1 - _sigmoid(_sigmoid(a))))


def test_sigmoid_backward_forgetting_dout_fails(capsys):
    _table_score(capsys, ("times dout = 2",), sigmoid_backward=lambda dout, a: _sigmoid(a) * (1 - _sigmoid(a)))


def test_tanh_backward_squaring_the_input_fails(capsys):
    # the notes' row 1 - z^2 read with the input a in place of the output z
    _table_score(capsys, ("tanh_backward", "squares the output, not the input a"),
                 tanh_backward=lambda dout, a: dout * (1 - a**2))


def test_tanh_backward_by_exponentials_overflows(capsys):
    def by_exponentials(dout, a):
        t = (np.exp(a) - np.exp(-a)) / (np.exp(a) + np.exp(-a))
        return dout * (1 - t * t)

    _table_score(capsys, ("nan or inf", "from -1000 to 1000"), tanh_backward=by_exponentials)


def test_tanh_backward_at_the_output_fails(capsys):
    _table_score(capsys, ("from -1000 to 1000", "the layer's OUTPUT"),
                 tanh_backward=lambda dout, a: dout * (1 - np.tanh(np.tanh(a)) ** 2))


def test_relu_backward_passing_at_zero_fails(capsys):
    _table_score(capsys, ("a = 0", "at a = 0 too"), relu_backward=lambda dout, a: dout * (a >= 0))


def test_relu_backward_zeroing_dout_in_place_fails_and_names_it(capsys):
    def in_place(dout, a):
        dout[a <= 0] = 0.0              # Deep Learning from Scratch's ReLU layer
        return dout

    _table_score(capsys, ("changed its argument `dout` in place",), relu_backward=in_place)


def test_relu_backward_gating_on_the_gradient_fails(capsys):
    _table_score(capsys, ("a = 0", "not of dout"),
                 relu_backward=lambda dout, a: np.maximum(dout, 0.0))


def test_max_backward_to_every_tied_entry_fails(capsys):
    _table_score(capsys, ("ties", "the first one on a tie"),
                 max_backward=lambda dout, X: (X == X.max(axis=1, keepdims=True)) * dout[:, None])


def test_max_backward_spreading_over_the_row_fails(capsys):
    _table_score(capsys, ("the largest input gets dout", "nothing is spread"),
                 max_backward=lambda dout, X: np.repeat(dout[:, None] / X.shape[1], X.shape[1], axis=1))


def test_max_backward_broadcasting_dout_along_the_row_fails(capsys):
    def along_columns(dout, X):
        mask = np.zeros(X.shape)
        mask[np.arange(len(X)), np.argmax(X, axis=1)] = 1.0
        return mask * dout                 # dout (N,) broadcast over the k columns

    _table_score(capsys, ("dout[n] belongs to row n",), max_backward=along_columns)


# -- the later exercises tell when the chapter 3 function is the cause ---------------------------


def _ce_not_divided_by_n(logits, labels):
    loss, grad = softmax_cross_entropy_other(logits, labels)
    return loss, grad * len(logits)


def _mlp_calling(ce):
    def mlp(X, y, params):
        a1 = X @ params["W1"].T + params["b1"]
        h1 = _sigmoid(a1)
        loss, delta2 = ce(h1 @ params["W2"].T + params["b2"], y)
        dh1, dW2, db2 = linear_backward(delta2, h1, params["W2"])
        _, dW1, db1 = linear_backward(sigmoid_backward(dh1, a1), X, params["W1"])
        return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    return mlp


def test_a_wrong_chapter_3_function_is_named_as_the_likely_cause(capsys):
    score = ch05.mlp_forward_backward(_mlp_calling(_ce_not_divided_by_n), _ce_not_divided_by_n)
    out = capsys.readouterr().out
    assert float(score) == 1.0, out                                   # the loss is still right
    assert "chapter 3 `softmax_cross_entropy`" in out and "two samples" in out, out


def test_an_unfinished_chapter_3_function_is_named(capsys):
    message = _fails(lambda mlp, hidden=False: ch05.mlp_forward_backward(mlp, _stub, hidden=hidden),
                     _mlp_calling(_stub), fragments=("not implemented yet", "chapter 3 `softmax_cross_entropy`"))
    assert "the cell you pasted" in message


def test_a_right_chapter_3_function_is_not_blamed(capsys):
    def wrong_hidden(X, y, params):
        loss, grads = mlp_forward_backward(X, y, params)
        return loss, {**grads, "b1": grads["b1"] * 2}

    assert float(ch05.mlp_forward_backward(wrong_hidden, softmax_cross_entropy)) == 2.0
    assert "note:" not in capsys.readouterr().out


def test_the_deep_network_names_a_wrong_chapter_3_function(capsys):
    def deep_with(X, y, weights, biases, activation):
        global softmax_cross_entropy
        saved, softmax_cross_entropy = softmax_cross_entropy, _ce_not_divided_by_n
        try:
            return deep_forward_backward(X, y, weights, biases, activation)
        finally:
            softmax_cross_entropy = saved

    assert float(ch05.deep_forward_backward(deep_with, _ce_not_divided_by_n)) == 1.0
    assert "chapter 3 `softmax_cross_entropy`" in capsys.readouterr().out


# -- exercise 6: typical mistakes in a deep network ---------------------------------------------


def test_deep_derivative_at_the_output_scores_partially(capsys):
    def at_output(X, y, weights, biases, activation):
        derivative = {"sigmoid": lambda v: _sigmoid(v) * (1 - _sigmoid(v)), "tanh": lambda v: 1 - np.tanh(v) ** 2,
                      "relu": lambda v: (v > 0) * 1.0}[activation]
        hs, h = [], X
        for W, b in zip(weights[:-1], biases[:-1]):
            hs.append(h)
            h = _FORWARD[activation](h @ W.T + b)
        hs.append(h)
        loss, delta = softmax_cross_entropy(h @ weights[-1].T + biases[-1], y)
        dWs, dbs = [None] * len(weights), [None] * len(weights)
        for l in reversed(range(len(weights))):
            dWs[l], dbs[l] = delta.T @ hs[l], delta.sum(axis=0)
            if l > 0:
                delta = (delta @ weights[l]) * derivative(hs[l])     # g' taken at the output h, not at a
        return loss, dWs, dbs

    assert float(ch05.deep_forward_backward(at_output, softmax_cross_entropy)) == 2.0
    assert "THIS layer's pre-activation" in capsys.readouterr().out


def test_deep_ignoring_the_activation_scores_partially(capsys):
    def always_sigmoid(X, y, weights, biases, activation):
        return deep_forward_backward(X, y, weights, biases, "sigmoid")

    _fails(lambda deep, hidden=False: ch05.deep_forward_backward(deep, softmax_cross_entropy, hidden=hidden),
           always_sigmoid, fragments=("no part passes", "tanh", "with the `activation` named"))


def test_deep_summed_loss_scores_partially(capsys):
    def summed(X, y, weights, biases, activation):
        loss, dWs, dbs = deep_forward_backward(X, y, weights, biases, activation)
        return loss * len(X), dWs, dbs

    assert float(ch05.deep_forward_backward(summed, softmax_cross_entropy)) == 3.0
    assert "mean softmax cross-entropy" in capsys.readouterr().out


def test_deep_gradients_in_the_wrong_container_fail():
    _fails(ch05.deep_forward_backward,
           lambda *args: (deep_forward_backward(*args)[0], {"W": deep_forward_backward(*args)[1]}, []),
           fragments=("list of 2 arrays",))
    _fails(ch05.deep_forward_backward, lambda *args: deep_forward_backward(*args)[:2], fragments=("3 values",))


def test_deep_last_layer_first_fails(capsys):
    def reversed_lists(X, y, weights, biases, activation):
        loss, dWs, dbs = deep_forward_backward(X, y, weights, biases, activation)
        return loss, dWs[::-1], dbs[::-1]

    score = ch05.deep_forward_backward(reversed_lists, softmax_cross_entropy)
    assert float(score) == 1.0
    assert "d_weights[1] returned by `deep_forward_backward` is wrong" in capsys.readouterr().out


def test_mlp_wrong_hidden_derivative_scores_partially(capsys):
    def at_output(X, y, params):
        loss, grads = mlp_forward_backward(X, y, params)
        a1 = X @ params["W1"].T + params["b1"]
        h1 = _sigmoid(a1)
        loss2, delta2 = softmax_cross_entropy(h1 @ params["W2"].T + params["b2"], y)
        delta1 = (delta2 @ params["W2"]) * _sigmoid(h1) * (1 - _sigmoid(h1))   # sigma' taken at h1
        return loss, {**grads, "W1": delta1.T @ X, "b1": delta1.sum(axis=0)}

    assert float(ch05.mlp_forward_backward(at_output)) == 2.0
    assert "hidden pre-activation" in capsys.readouterr().out


def test_mlp_without_transposed_weights_in_delta_fails_the_hidden_part(capsys):
    def no_transpose(X, y, params):
        loss, grads = mlp_forward_backward(X, y, params)
        if params["W2"].shape[0] != params["W2"].shape[1]:
            raise ValueError("shapes (N,C) and (C,H) not aligned")  # what dout @ W2.T would do
        return loss, grads

    # a failing case anywhere fails every part: the check reports it
    _fails(ch05.mlp_forward_backward, no_transpose, fragments=("raised ValueError", "not aligned"))


def test_mlp_summed_loss_scores_partially(capsys):
    def summed_loss(X, y, params):
        loss, grads = mlp_forward_backward(X, y, params)
        return loss * len(X), grads

    assert float(ch05.mlp_forward_backward(summed_loss)) == 3.0
    assert "mean over samples" in capsys.readouterr().out


def test_mlp_bad_return_types_fail():
    _fails(ch05.mlp_forward_backward, lambda X, y, p: mlp_forward_backward(X, y, p)[0],
           fragments=("2 values",))
    _fails(ch05.mlp_forward_backward, lambda X, y, p: (0.0, list(mlp_forward_backward(X, y, p)[1].values())),
           fragments=("dict",))
    _fails(ch05.mlp_forward_backward, lambda X, y, p: (0.0, {"dW1": 0}), fragments=("no key",))


def test_tower_with_full_width_fails():
    def full_width(x, center, width, height, steepness):
        return tower(x, center, 2 * width, height, steepness)

    _fails(ch05.tower, full_width, fragments=("width / 2",))


def test_tower_upside_down_fails():
    _fails(ch05.tower, lambda *a: -tower(*a), fragments=("rising sigmoid",))


# -- stubs and the reference implementation ----------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("check, n", [
    (ch05.two_path_gradient, 1), (ch05.numerical_gradient, 2), (ch05.linear_layer, 2),
    (ch05.backward_table, 4), (ch05.mlp_forward_backward, 2), (ch05.deep_forward_backward, 2),
    (ch05.tower, 1),
])
def test_stub_fails(check, n, hidden):
    _fails(check, *[_stub] * n, fragments=("not implemented yet",), hidden=hidden)


def test_calling_the_library_fails(capsys):
    import dlcourse.functional as F
    from dlcourse import gradcheck, nn

    _fails(ch05.numerical_gradient, lambda f, x, h=1e-6: gradcheck.numerical_gradient(f, np.array(x, float), h),
           lambda a, b: gradcheck.relative_error(a, b), fragments=("reference implementation",))

    def with_module(X, W, b):
        layer = nn.Linear(W.shape[1], W.shape[0])
        layer.weight.data, layer.bias.data = W, b
        return layer(X)

    _fails(ch05.linear_layer, with_module, _stub, fragments=("dlcourse.nn.linear",))
    _fails(ch05.backward_table, lambda dout, a: dout * F.sigmoid_grad(a), _stub, _stub, _stub,
           fragments=("reference implementation", "sigmoid_grad"))
    _fails(ch05.backward_table, _stub, lambda dout, a: dout * F.tanh_grad(a), _stub, _stub,
           fragments=("reference implementation", "tanh_grad"))

    def via_module(dout, a):
        layer = nn.ReLU()
        layer(a)
        return layer.backward(dout)

    _fails(ch05.backward_table, _stub, _stub, via_module, _stub, fragments=("reference implementation",))

    def pooled(dout, X):
        pool = nn.MaxPool2d((1, X.shape[1]))
        pool(X[:, None, None, :])
        return pool.backward(dout[:, None, None, None])[:, 0, 0, :]

    _fails(ch05.backward_table, _stub, _stub, _stub, pooled, fragments=("reference implementation",))

    def deep_with_library(X, y, weights, biases, activation):
        return deep_forward_backward(X, y, weights, biases, activation)[0], \
            [F.relu_grad(W) for W in weights], [F.relu_grad(b) for b in biases]

    _fails(ch05.deep_forward_backward, deep_with_library, fragments=("reference implementation", "relu_grad"))

    def mlp_with_library(X, y, params):
        loss_fn = nn.CrossEntropyLoss()
        loss = loss_fn(_sigmoid(X @ params["W1"].T + params["b1"]) @ params["W2"].T + params["b2"], y)
        return loss, {}

    _fails(ch05.mlp_forward_backward, mlp_with_library, fragments=("reference implementation",))
    _fails(ch05.two_path_gradient, lambda w: ch05._ref_two_path_gradient(w), fragments=("reference implementation",))
    _fails(ch05.tower, lambda *a: ch05._ref_tower(*a), fragments=("reference implementation",))


def test_the_forward_sigmoid_of_the_library_is_allowed_in_sigmoid_backward(capsys):
    import dlcourse.functional as F

    table = _table_with(sigmoid_backward=lambda dout, a: dout * F.sigmoid(a) * F.sigmoid(-a))
    assert float(ch05.backward_table(*table, hidden=True)) == 4


# -- the caller's x is left alone ------------------------------------------------------------


def test_numerical_gradient_that_leaves_x_perturbed_fails_and_names_it(capsys):
    def no_restore(f, x, h=1e-6):
        grad = np.zeros_like(x, dtype=float)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + h
            f_plus = f(x)
            x[i] = old - h
            f_minus = f(x)
            grad[i] = (f_plus - f_minus) / (2 * h)  # x[i] stays at old - h
        return grad

    score = ch05.numerical_gradient(no_restore, relative_error)
    assert float(score) == 1.0
    assert "changed its argument `x` in place" in capsys.readouterr().out


# -- hidden cases: the instructor's, different for each student ------------------------------

HIDDEN = ROOT / "solutions" / "ch05-backprop" / "hidden_cases.py"


@pytest.mark.parametrize("seed", range(20))
def test_the_hidden_cases_of_every_seed_are_well_posed(seed, capsys):
    with core.hidden_source(HIDDEN, seed):
        ch05.two_path_gradient(two_path_gradient, hidden=True)
        assert float(ch05.numerical_gradient(numerical_gradient, relative_error, hidden=True)) == 2
        assert float(ch05.linear_layer(linear_forward, linear_backward, hidden=True)) == 3
        assert float(ch05.backward_table(*TABLE, hidden=True)) == 4
        assert float(ch05.mlp_forward_backward(mlp_forward_backward, softmax_cross_entropy, hidden=True)) == 4
        assert float(ch05.deep_forward_backward(deep_forward_backward, softmax_cross_entropy, hidden=True)) == 4
        ch05.tower(tower, hidden=True)
    assert "\u2717" not in capsys.readouterr().out


def _hidden(seed, exercise):
    with core.hidden_source(HIDDEN, seed):
        return core.hidden(exercise)


def test_each_seed_has_its_own_hidden_random_cases_and_keeps_them():
    first, again, other = (_hidden(s, "tower")[-1].args[0] for s in (1, 1, 2))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    layers = [_hidden(s, "linear_layer")[0][0] for s in (1, 1, 2)]
    np.testing.assert_array_equal(layers[0], layers[1])
    assert not np.array_equal(layers[0], layers[2])


def test_no_hidden_case_reaches_a_student():
    assert len(hidden_labels(HIDDEN)) >= 15 and len(hidden_literals(HIDDEN)) >= 3
    assert leaks(HIDDEN, "ch05-backprop") == {}
    assert not (ROOT / "course" / "ch05-backprop" / "hidden_cases.py").exists()


# -- a notebook's print options do not change the messages ------------------------------------


def test_messages_ignore_the_notebooks_print_options(capsys):
    def off_by_a_hair(a, b):
        return np.array(relative_error(a, b) + 3e-14)  # suppress=True would print 3e-14 as 0.

    def message():
        assert float(ch05.numerical_gradient(numerical_gradient, off_by_a_hair)) == 1
        return capsys.readouterr().out

    plain = message()
    saved = np.get_printoptions()
    np.set_printoptions(precision=4, suppress=True)  # what a notebook may set in its first cell
    try:
        suppressed = message()
    finally:
        np.set_printoptions(**saved)
    assert "equal arrays" in plain and "3e-14" in plain, plain
    assert suppressed == plain


# -- the grader's verdict, reached outside the student's kernel ------------------------------------


def test_partial_credit_of_the_table_and_the_earlier_function_note_hold_for_the_grader():
    from tests.check_tools import judged_outside

    names = ("sigmoid_backward", "tanh_backward", "relu_backward", "max_backward")
    source = ("from dlcourse.checks import ch05\n"
              f"ch05.backward_table({', '.join(names)}, hidden=True)")
    key = dict(zip(names, TABLE))
    wrong = {**key, "relu_backward": lambda dout, a: dout * (a >= 0)}
    verdict = judged_outside(source, wrong, points=4, answers_from=key, hidden_path=HIDDEN, seed=3)
    assert verdict.points == 3.0 and "at a = 0 too" in verdict.message, verdict.message

    source = ("from dlcourse.checks import ch05\n"
              "ch05.mlp_forward_backward(mlp_forward_backward, softmax_cross_entropy, hidden=True)")
    key = {"mlp_forward_backward": mlp_forward_backward, "softmax_cross_entropy": softmax_cross_entropy}
    broken = {"mlp_forward_backward": _mlp_calling(_ce_not_divided_by_n),
              "softmax_cross_entropy": _ce_not_divided_by_n}
    verdict = judged_outside(source, broken, points=4, answers_from=key, hidden_path=HIDDEN, seed=3)
    assert verdict.points == 1.0 and "chapter 3 `softmax_cross_entropy`" in verdict.message, verdict.message
    honest = judged_outside(source, {"mlp_forward_backward": mlp_forward_backward_other,
                                     "softmax_cross_entropy": softmax_cross_entropy_other},
                            points=4, answers_from=key, hidden_path=HIDDEN, seed=3)
    assert honest.points == 4.0, honest.message


def _one_sided(f, x, h=1e-6):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    fx = f(x)
    for index in np.ndindex(x.shape):
        step = x.copy()
        step[index] += h
        grad[index] = (f(step) - fx) / h
    return grad


@pytest.mark.parametrize("cell, wrong, key, points", [
    ("ch05.linear_layer(linear_forward, linear_backward, hidden=True)",
     {"linear_forward": lambda X, W, b: X @ W + b, "linear_backward": linear_backward_other},
     {"linear_forward": linear_forward, "linear_backward": linear_backward}, 2.0),
    ("ch05.numerical_gradient(numerical_gradient, relative_error, hidden=True)",
     {"numerical_gradient": _one_sided, "relative_error": relative_error_other},
     {"numerical_gradient": numerical_gradient, "relative_error": relative_error}, 1.0),
], ids=["linear_layer: wrong forward, right backward", "numerical_gradient: wrong gradient, right error"])
def test_a_wrong_first_function_keeps_the_second_ones_points_under_the_grader(cell, wrong, key, points, capsys):
    # the grader replays the answer key's calls in order: the first function's wrong answers
    # must not stop its calls short, or the second function would get answers to other cases
    from tests.check_tools import judged_outside

    source = "from dlcourse.checks import ch05\n" + cell
    verdict = judged_outside(source, wrong, points=3, answers_from=key, hidden_path=HIDDEN, seed=3)
    assert verdict.points == points and "did not prepare" not in verdict.message, verdict.message
    with core.hidden_source(HIDDEN, 3):
        assert float(eval(cell, {"ch05": ch05, **wrong})) == points  # noqa: S307 (the test's own cell)
