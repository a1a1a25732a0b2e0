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
    ch05.sigmoid_backward(sigmoid_backward, hidden=hidden)
    ch05.sigmoid_backward(sigmoid_backward_other, hidden=hidden)
    ch05.softmax_cross_entropy(softmax_cross_entropy, hidden=hidden)
    ch05.softmax_cross_entropy(softmax_cross_entropy_other, hidden=hidden)
    ch05.tower(tower, hidden=hidden)
    ch05.tower(tower_other, hidden=hidden)
    assert "\u2713" in capsys.readouterr().out


@pytest.mark.parametrize("hidden", [False, True])
def test_full_marks_for_the_parts(hidden, capsys):
    assert repr(ch05.numerical_gradient(numerical_gradient, relative_error, hidden=hidden)) == "2"
    assert float(ch05.numerical_gradient(numerical_gradient_other, relative_error_other, hidden=hidden)) == 2
    assert float(ch05.linear_layer(linear_forward, linear_backward, hidden=hidden)) == 3
    assert float(ch05.linear_layer(linear_forward_other, linear_backward_other, hidden=hidden)) == 3
    assert float(ch05.mlp_forward_backward(mlp_forward_backward, hidden=hidden)) == 4
    assert float(ch05.mlp_forward_backward(mlp_forward_backward_other, hidden=hidden)) == 4


def test_noisy_but_correct_answers_pass(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the checks capture the overflow warnings themselves
        ch05.sigmoid_backward(sigmoid_backward_naive_sigmoid, hidden=True)

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


def test_sigmoid_backward_naive_derivative_fails():
    def naive(dout, a):
        return dout * np.exp(-a) / (1 + np.exp(-a)) ** 2

    _fails(ch05.sigmoid_backward, naive, fragments=("nan or inf", "inf / inf"))


def test_sigmoid_backward_at_the_output_fails():
    _fails(ch05.sigmoid_backward, lambda dout, a: dout * _sigmoid(_sigmoid(a)) * (1 - _sigmoid(_sigmoid(a))),
           fragments=("not at s",))


def test_sigmoid_backward_forgetting_dout_fails():
    _fails(ch05.sigmoid_backward, lambda dout, a: _sigmoid(a) * (1 - _sigmoid(a)),
           fragments=("times dout = 2",))


def test_cross_entropy_with_log_of_softmax_fails():
    def log_of_softmax(logits, labels):
        z = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        n = len(logits)
        grad = p.copy()
        grad[np.arange(n), labels] -= 1
        return -np.log(p[np.arange(n), labels]).mean(), grad / n

    _fails(ch05.softmax_cross_entropy, log_of_softmax, fragments=("huge logits", "nan or inf", "never log of a 0"))


def test_cross_entropy_gradient_not_divided_by_n_fails():
    def summed(logits, labels):
        loss, grad = softmax_cross_entropy(logits, labels)
        return loss, grad * len(logits)

    _fails(ch05.softmax_cross_entropy, summed, fragments=("value 2", "divided by N = 2", "/ N"))


def test_cross_entropy_sign_flipped_gradient_fails():
    def flipped(logits, labels):
        loss, grad = softmax_cross_entropy(logits, labels)
        return loss, -grad

    _fails(ch05.softmax_cross_entropy, flipped, fragments=("value 2", "softmax(z) - one_hot"))


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
    (ch05.sigmoid_backward, 1), (ch05.softmax_cross_entropy, 1), (ch05.mlp_forward_backward, 1),
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
    _fails(ch05.sigmoid_backward, lambda dout, a: dout * F.sigmoid_grad(a), fragments=("reference implementation",))

    def via_module(dout, a):
        layer = nn.Sigmoid()
        layer(a)
        return layer.backward(dout)

    _fails(ch05.sigmoid_backward, via_module, fragments=("reference implementation",))
    _fails(ch05.softmax_cross_entropy,
           lambda z, y: (F.cross_entropy(z, y), F.cross_entropy_backward(z, y)),
           fragments=("reference implementation",))
    _fails(ch05.softmax_cross_entropy,
           lambda z, y: (-np.mean(F.log_softmax(z)[np.arange(len(y)), y]), None),
           fragments=("reference implementation",))

    def mlp_with_library(X, y, params):
        loss_fn = nn.CrossEntropyLoss()
        loss = loss_fn(_sigmoid(X @ params["W1"].T + params["b1"]) @ params["W2"].T + params["b2"], y)
        return loss, {}

    _fails(ch05.mlp_forward_backward, mlp_with_library, fragments=("reference implementation",))
    _fails(ch05.two_path_gradient, lambda w: ch05._ref_two_path_gradient(w), fragments=("reference implementation",))
    _fails(ch05.tower, lambda *a: ch05._ref_tower(*a), fragments=("reference implementation",))


def test_the_forward_sigmoid_of_the_library_is_allowed_in_sigmoid_backward(capsys):
    import dlcourse.functional as F

    ch05.sigmoid_backward(lambda dout, a: dout * F.sigmoid(a) * F.sigmoid(-a), hidden=True)


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
        ch05.sigmoid_backward(sigmoid_backward, hidden=True)
        ch05.softmax_cross_entropy(softmax_cross_entropy, hidden=True)
        assert float(ch05.mlp_forward_backward(mlp_forward_backward, hidden=True)) == 4
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
