"""The chapter 8 checks accept correct answers written in different ways and reject the
usual wrong ones with a message that says what went wrong."""

import math

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from dlcourse import init, nn, optim
from dlcourse.checks import ch08, core
from dlcourse.nn.utils import clip_grad_norm_
from tests.check_tools import assert_no_hidden_case_ships, fails, stub
from tests.conftest import ROOT

HIDDEN = ROOT / "solutions" / "ch08-deep-networks" / "hidden_cases.py"


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """The networks here are small: one BLAS thread trains them faster than several (the
    grading workers run with one too)."""
    with threadpool_limits(limits=1):
        yield


def _fails(check, student, *fragments, hidden=False):
    return fails(check, student, fragments=fragments, hidden=hidden)


# -- exercise 1: initialisation ------------------------------------------------------------


def init_solution(shape, scheme, distribution, rng):
    receptive = int(np.prod(shape[2:]))
    fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
    variance = {"xavier": 2 / (fan_in + fan_out), "he": 2 / fan_in, "he_notes": 4 / (fan_in + fan_out)}[scheme]
    if distribution == "normal":
        return rng.normal(0.0, np.sqrt(variance), size=shape)
    bound = np.sqrt(3 * variance)
    return rng.uniform(-bound, bound, size=shape)


def init_other(shape, scheme, distribution, rng):
    # the notes' closed forms, written case by case
    k = math.prod(shape) // (shape[0] * shape[1])
    n_in, n_out = shape[1] * k, shape[0] * k
    if scheme == "xavier":
        std, bound = math.sqrt(2 / (n_in + n_out)), math.sqrt(6 / (n_in + n_out))
    elif scheme == "he":
        std, bound = math.sqrt(2 / n_in), math.sqrt(6 / n_in)
    else:
        std, bound = math.sqrt(4 / (n_in + n_out)), math.sqrt(12 / (n_in + n_out))
    return rng.normal(scale=std, size=tuple(shape)) if distribution == "normal" else \
        rng.uniform(low=-bound, high=bound, size=tuple(shape))


def init_third(shape, scheme, distribution, rng):
    # a unit draw scaled afterwards: normal(0, s) = s * normal(0, 1) draw for draw
    fan_in = shape[1] * int(np.prod(shape[2:], dtype=int))
    fan_out = shape[0] * int(np.prod(shape[2:], dtype=int))
    var = 2 / fan_in if scheme == "he" else (2 if scheme == "xavier" else 4) / (fan_in + fan_out)
    if distribution == "normal":
        return np.sqrt(var) * rng.normal(size=shape)
    return rng.uniform(-np.sqrt(3 * var), np.sqrt(3 * var), size=shape)


# -- exercises 2 and 3: batch normalisation -------------------------------------------------


def bn_forward_solution(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    if training:
        n = x.shape[0]
        mean, var = x.mean(axis=0), x.var(axis=0)
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var * n / (n - 1)
    else:
        mean, var = running_mean, running_var
        running_mean, running_var = running_mean.copy(), running_var.copy()
    x_hat = (x - mean) / np.sqrt(var + eps)
    return gamma * x_hat + beta, running_mean, running_var


def bn_forward_other(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    # a loop over the features, statistics by hand
    x = np.asarray(x, dtype=float)
    y = np.empty_like(x)
    new_mean, new_var = np.array(running_mean, dtype=float), np.array(running_var, dtype=float)
    m = len(x)
    for j in range(x.shape[1]):
        col = x[:, j]
        if training:
            mu = sum(col) / m
            var = sum((col - mu) ** 2) / m
            new_mean[j] += momentum * (mu - new_mean[j])
            new_var[j] += momentum * (sum((col - mu) ** 2) / (m - 1) - new_var[j])
        else:
            mu, var = running_mean[j], running_var[j]
        y[:, j] = gamma[j] * (col - mu) / math.sqrt(var + eps) + beta[j]
    return y, new_mean, new_var


def bn_forward_third(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    # unbiased variance via ddof, biased one derived from it
    if not training:
        return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta, 1.0 * running_mean, 1.0 * running_var
    m = x.shape[0]
    unbiased = np.var(x, axis=0, ddof=1)
    mu = np.mean(x, axis=0)
    y = gamma * (x - mu) / np.sqrt(unbiased * (m - 1) / m + eps) + beta
    return y, momentum * mu + (1 - momentum) * running_mean, momentum * unbiased + (1 - momentum) * running_var


def bn_backward_solution(dout, x, gamma, eps=1e-5):
    n = x.shape[0]
    mean, var = x.mean(axis=0), x.var(axis=0)
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    g = gamma * dout
    dx = inv_std / n * (n * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def bn_backward_other(dout, x, gamma, eps=1e-5):
    # the computational graph step by step (CS231n's staged form)
    n = x.shape[0]
    mu = x.mean(axis=0)
    xc = x - mu
    var = (xc ** 2).mean(axis=0)
    std = np.sqrt(var + eps)
    x_hat = xc / std
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat * xc * -0.5 * std ** -3, axis=0)
    dmu = np.sum(-dx_hat / std, axis=0) + dvar * np.mean(-2 * xc, axis=0)
    dx = dx_hat / std + dvar * 2 * xc / n + dmu / n
    return dx, np.sum(dout * x_hat, axis=0), np.sum(dout, axis=0)


def bn_backward_third(dout, x, gamma, eps=1e-5):
    # the Jacobian of each feature's column, written out
    n, d = x.shape
    dx = np.zeros_like(x, dtype=float)
    x_hat = (x - x.mean(0)) / np.sqrt(x.var(0) + eps)
    for j in range(d):
        s = np.sqrt(x[:, j].var() + eps)
        jac = (np.eye(n) - 1 / n - np.outer(x_hat[:, j], x_hat[:, j]) / n) / s
        dx[:, j] = jac.T @ (gamma[j] * dout[:, j])
    return dx, (dout * x_hat).sum(0), dout.sum(0)


# -- exercise 4: per-layer gradient norms --------------------------------------------------------

_F = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}


def _derivative(activation, z):
    if activation == "sigmoid":
        s = 1 / (1 + np.exp(-z))
        return s * (1 - s)
    if activation == "tanh":
        return 1 - np.tanh(z) ** 2
    return (z > 0).astype(float)


def norms_solution(weights, biases, X, Y, activation):
    hs, zs = [X], []
    for l, (W, b) in enumerate(zip(weights, biases)):
        z = hs[-1] @ W.T + b
        zs.append(z)
        hs.append(z if l == len(weights) - 1 else _F[activation](z))
    delta = (hs[-1] - Y) / len(X)
    norms = np.zeros(len(weights))
    for l in range(len(weights) - 1, -1, -1):
        norms[l] = np.linalg.norm(delta.T @ hs[l])
        if l > 0:
            delta = (delta @ weights[l]) * _derivative(activation, zs[l - 1])
    return norms


def norms_other(weights, biases, X, Y, activation):
    # derivatives from the activations' outputs, a list built back to front
    f = _F[activation]
    outs = [np.asarray(X, float)]
    for W, b in zip(weights[:-1], biases[:-1]):
        outs.append(f(outs[-1] @ W.T + b))
    out = outs[-1] @ weights[-1].T + biases[-1]
    delta = (out - Y) / X.shape[0]
    result = []
    for W, h in zip(weights[::-1], outs[::-1]):
        result.append(np.sqrt(np.sum((delta.T @ h) ** 2)))
        slope = {"sigmoid": h * (1 - h), "tanh": 1 - h ** 2, "relu": (h > 0) * 1.0}[activation]
        delta = delta @ W * slope
    return np.array(result[::-1])


def norms_third(weights, biases, X, Y, activation):
    # the library's layers are not allowed, so a tiny layer class of our own
    class Layer:
        def __init__(self, W, b, last):
            self.W, self.b, self.last = W, b, last

        def forward(self, h):
            self.h, self.z = h, h @ self.W.T + self.b
            return self.z if self.last else _F[activation](self.z)

        def backward(self, g):
            if not self.last:
                g = g * _derivative(activation, self.z)
            self.norm = np.linalg.norm(g.T @ self.h, "fro")
            return g @ self.W

    layers = [Layer(W, b, i == len(weights) - 1) for i, (W, b) in enumerate(zip(weights, biases))]
    h = X
    for layer in layers:
        h = layer.forward(h)
    g = (h - Y) / len(X)
    for layer in reversed(layers):
        g = layer.backward(g)
    return np.array([layer.norm for layer in layers])


# -- exercise 5: clipping --------------------------------------------------------------------------


def clip_solution(grads, max_norm, norm_type=2.0):
    if np.isinf(norm_type):
        total = max(np.max(np.abs(g)) for g in grads)
    else:
        total = np.sum([np.sum(np.abs(g) ** norm_type) for g in grads]) ** (1 / norm_type)
    coef = min(1.0, max_norm / (total + 1e-6))
    return [g * coef for g in grads], total


def clip_other(grads, max_norm, norm_type=2.0):
    # one flat vector of everything, then split back
    flat = np.concatenate([np.ravel(g) for g in grads])
    total = np.linalg.norm(flat, ord=norm_type)
    scale = max_norm / (total + 1e-6)
    if scale < 1:
        flat = flat * scale
    pieces, start = [], 0
    for g in grads:
        pieces.append(flat[start:start + np.size(g)].reshape(np.shape(g)))
        start += np.size(g)
    return pieces, float(total)


def clip_third(grads, max_norm, norm_type=2.0):
    # in place on copies, as torch's clip_grad_norm_ does on .grad
    out = [np.array(g, dtype=float) for g in grads]
    norms = [np.linalg.norm(g.ravel(), norm_type) for g in out]
    total = max(norms) if norm_type == float("inf") else np.linalg.norm(norms, norm_type)
    if total > max_norm:
        for g in out:
            g *= max_norm / (total + 1e-6)
    return tuple(out), total


# -- exercise 6: the digits ---------------------------------------------------------------------


def train_solution(X_train, y_train, X_test, rng):
    sizes = [64, 128, 128, 64, 10]
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        linear = nn.Linear(a, b, rng=rng)
        init.kaiming_normal_(linear.weight, rng=rng)
        linear.bias.data[...] = 0
        layers.append(linear)
        if i < len(sizes) - 2:
            layers += [nn.BatchNorm1d(b), nn.ReLU()]
    model = nn.Sequential(*layers)
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.Adam(model.parameters(), lr=5e-3)
    for _ in range(15):
        order = rng.permutation(len(X_train))
        for start in range(0, len(order), 128):
            batch = order[start:start + 128]
            if len(batch) < 2:
                continue
            opt.zero_grad()
            loss_fn(model(X_train[batch]), y_train[batch])
            model.backward(loss_fn.backward())
            opt.step()
    model.eval()
    return model(X_test).argmax(axis=1)


def _softmax_regression(X_train, y_train, X_test, iterations, lr):
    W, b = np.zeros((64, 10)), np.zeros(10)
    Y = np.eye(10)[y_train]
    for _ in range(iterations):
        scores = X_train @ W + b
        p = np.exp(scores - scores.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        W -= lr * X_train.T @ (p - Y) / len(X_train)
        b -= lr * (p - Y).mean(axis=0)
    return np.argmax(X_test @ W + b, axis=1)


def train_shallow(X_train, y_train, X_test, rng):
    # softmax regression by plain gradient descent: a different model, still above 0.95
    return _softmax_regression(X_train, y_train, X_test, 1000, 1.0)


# -- correct answers pass -------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("check, students", [
    (ch08.init_weights, [init_solution, init_other, init_third]),
    (ch08.batchnorm_forward, [bn_forward_solution, bn_forward_other, bn_forward_third]),
    (ch08.batchnorm_backward, [bn_backward_solution, bn_backward_other, bn_backward_third]),
    (ch08.layer_gradient_norms, [norms_solution, norms_other, norms_third]),
    (ch08.clip_grad_norm, [clip_solution, clip_other, clip_third]),
])
def test_correct_answers_pass(check, students, hidden, capsys):
    for student in students:
        check(student, hidden=hidden)
    assert "\u2713" in capsys.readouterr().out


@pytest.mark.parametrize("hidden", [False, True])
def test_train_digits_full_marks_for_a_deep_network(hidden, capsys):
    assert float(ch08.train_digits(train_solution, hidden=hidden)) == 4.0
    assert "test accuracy on" in capsys.readouterr().out


def test_train_digits_grades_the_accuracy_whatever_the_model(capsys):
    assert float(ch08.train_digits(train_shallow, hidden=True)) == 4.0
    # labels in a list are an answer too
    assert float(ch08.train_digits(lambda *args: train_shallow(*args).tolist())) == 4.0


@pytest.mark.parametrize("check", [ch08.init_weights, ch08.batchnorm_forward, ch08.batchnorm_backward,
                                   ch08.layer_gradient_norms, ch08.clip_grad_norm, ch08.train_digits])
@pytest.mark.parametrize("hidden", [False, True])
def test_stub_fails(check, hidden):
    _fails(check, stub, "not implemented yet", hidden=hidden)


# -- typical wrong answers fail with their own hint -------------------------------------------------


def test_init_with_the_variance_as_the_scale_fails():
    def variance_as_std(shape, scheme, distribution, rng):
        fan_in, fan_out = shape[1], shape[0]
        var = {"xavier": 2 / (fan_in + fan_out), "he": 2 / fan_in, "he_notes": 4 / (fan_in + fan_out)}[scheme]
        return rng.normal(0.0, var, size=shape) if distribution == "normal" else \
            rng.uniform(-np.sqrt(3 * var), np.sqrt(3 * var), size=shape)

    _fails(ch08.init_weights, variance_as_std, "xavier, normal", "not the variance")


def test_init_he_with_fan_out_fails():
    def fan_out_he(shape, scheme, distribution, rng):
        if scheme == "he":
            std = np.sqrt(2 / (shape[0] * int(np.prod(shape[2:]))))
            return rng.normal(0, std, size=shape) if distribution == "normal" else \
                rng.uniform(-np.sqrt(3) * std, np.sqrt(3) * std, size=shape)
        return init_solution(shape, scheme, distribution, rng)

    _fails(ch08.init_weights, fan_out_he, "he, normal: a (64, 32) layer", "not fan_out")


def test_init_ignoring_the_kernel_in_the_fans_fails():
    def no_kernel(shape, scheme, distribution, rng):
        return init_solution(tuple(shape[:2]), scheme, distribution, rng).reshape(shape) if len(shape) == 2 else \
            init_solution(tuple(shape[:2]), scheme, distribution, rng).repeat(np.prod(shape[2:])).reshape(shape)

    _fails(ch08.init_weights, no_kernel, "convolution weight", "times the kernel size")


def test_init_xavier_uniform_with_the_normal_bound_fails():
    def sqrt2_bound(shape, scheme, distribution, rng):
        if scheme == "xavier" and distribution == "uniform":
            b = np.sqrt(2 / (shape[0] + shape[1]))
            return rng.uniform(-b, b, size=shape)
        return init_solution(shape, scheme, distribution, rng)

    _fails(ch08.init_weights, sqrt2_bound, "xavier, uniform", "sqrt(3 * variance)")


def test_init_from_a_fresh_generator_fails():
    def own_seed(shape, scheme, distribution, rng):
        return init_solution(shape, scheme, distribution, np.random.default_rng(0))

    _fails(ch08.init_weights, own_seed, "exactly one call rng.normal")


def test_batchnorm_biased_running_variance_fails():
    def biased(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
        y, m, v = bn_forward_solution(x, gamma, beta, running_mean, running_var, training, momentum, eps)
        if training:
            v = (1 - momentum) * running_var + momentum * x.var(axis=0)
        return y, m, v

    _fails(ch08.batchnorm_forward, biased, "value 3", "unbiased variance N/(N - 1)")


def test_batchnorm_momentum_on_the_old_statistics_fails():
    def swapped(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
        return bn_forward_solution(x, gamma, beta, running_mean, running_var, training, 1 - momentum, eps)

    _fails(ch08.batchnorm_forward, swapped, "value 2", "momentum weighs the new")


def test_batchnorm_batch_statistics_in_evaluation_fails():
    def always_batch(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
        return bn_forward_solution(x, gamma, beta, running_mean, running_var, True, momentum, eps) if len(x) > 1 \
            else bn_forward_solution(x, gamma, beta, running_mean, running_var, False, momentum, eps)

    _fails(ch08.batchnorm_forward, always_batch, "evaluation: the running statistics", "in evaluation use")


def test_batchnorm_eps_outside_the_root_fails():
    def eps_outside(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
        y, m, v = bn_forward_solution(x, gamma, beta, running_mean, running_var, training, momentum, eps)
        mean, var = (x.mean(0), x.var(0)) if training else (running_mean, running_var)
        return gamma * (x - mean) / (np.sqrt(var) + eps) + beta, m, v

    _fails(ch08.batchnorm_forward, eps_outside, "eps inside the square root")


def test_batchnorm_updating_the_running_mean_in_place_fails():
    def in_place(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
        y, m, v = bn_forward_solution(x, gamma, beta, running_mean, running_var, training, momentum, eps)
        running_mean[...] = m
        return y, running_mean, v

    _fails(ch08.batchnorm_forward, in_place, "changed its argument `running_mean` in place")


def test_batchnorm_backward_treating_the_statistics_as_constants_fails():
    def constant_stats(dout, x, gamma, eps=1e-5):
        dx, dg, db = bn_backward_solution(dout, x, gamma, eps)
        return gamma * dout / np.sqrt(x.var(0) + eps), dg, db

    _fails(ch08.batchnorm_backward, constant_stats, "constant upstream gradient", "not just gamma * dout")


def test_batchnorm_backward_forgetting_gamma_fails():
    def no_gamma(dout, x, gamma, eps=1e-5):
        return bn_backward_solution(dout, x, np.ones_like(gamma), eps)[0], *bn_backward_solution(dout, x, gamma, eps)[1:]

    _fails(ch08.batchnorm_backward, no_gamma, "gamma = [2, -0.5]", "g = gamma * dout")


def test_batchnorm_backward_dgamma_without_x_hat_fails():
    def raw_x(dout, x, gamma, eps=1e-5):
        dx, _, db = bn_backward_solution(dout, x, gamma, eps)
        return dx, (dout * x).sum(0), db

    _fails(ch08.batchnorm_backward, raw_x, "value 2", "dgamma = sum(dout * x_hat)")


def test_norms_with_an_activation_on_the_last_layer_fails():
    def squashed_output(weights, biases, X, Y, activation):
        extra = [np.eye(len(weights[-1]))]
        return norms_solution(weights + extra, biases + [np.zeros(len(weights[-1]))], X, Y, activation)[:-1]

    _fails(ch08.layer_gradient_norms, squashed_output, "which stays linear")


def test_norms_with_the_derivative_at_the_wrong_layer_fails():
    def shifted(weights, biases, X, Y, activation):
        hs, zs = [X], []
        for l, (W, b) in enumerate(zip(weights, biases)):
            zs.append(hs[-1] @ W.T + b)
            hs.append(zs[-1] if l == len(weights) - 1 else _F[activation](zs[-1]))
        delta = (hs[-1] - Y) / len(X)
        norms = np.zeros(len(weights))
        for l in range(len(weights) - 1, -1, -1):
            norms[l] = np.linalg.norm(delta.T @ hs[l])
            if l > 0:
                delta = (delta @ weights[l]) * _derivative(activation, zs[l])[:, :weights[l].shape[1]].mean()
        return norms

    _fails(ch08.layer_gradient_norms, shifted, "f'(z_(l-1))")


def test_norms_without_the_mean_over_the_batch_fails():
    def summed(weights, biases, X, Y, activation):
        return norms_solution(weights, biases, X, Y, activation) * len(X)

    _fails(ch08.layer_gradient_norms, summed, "(out - Y) / N")


def test_norms_output_side_first_fails():
    def reversed_order(weights, biases, X, Y, activation):
        return norms_solution(weights, biases, X, Y, activation)[::-1]

    _fails(ch08.layer_gradient_norms, reversed_order, "input side first")


def test_norms_through_the_library_layers_fails():
    def library(weights, biases, X, Y, activation):
        return ch08._ref_layer_gradient_norms(weights, biases, X, Y, activation)

    _fails(ch08.layer_gradient_norms, library, "reference implementation")

    def library_layers(weights, biases, X, Y, activation):
        linear = nn.Linear(2, 3)
        linear(X[:, :2])
        return norms_solution(weights, biases, X, Y, activation)

    _fails(ch08.layer_gradient_norms, library_layers, "reference implementation", "Linear")


def test_clip_each_gradient_on_its_own_fails():
    def per_gradient(grads, max_norm, norm_type=2.0):
        clipped = [g * min(1, max_norm / (np.linalg.norm(g) + 1e-6)) for g in grads]
        return clipped, clip_solution(grads, max_norm, norm_type)[1]

    _fails(ch08.clip_grad_norm, per_gradient, "total norm 3 (not the norm of each)", "same")


def test_clip_always_scaling_to_max_norm_fails():
    def always(grads, max_norm, norm_type=2.0):
        clipped, total = clip_solution(grads, max_norm, norm_type)
        return [g * max_norm / (total + 1e-6) for g in grads], total

    _fails(ch08.clip_grad_norm, always, "below max_norm 10: unchanged", "min(1")


def test_clip_returning_the_norm_after_clipping_fails():
    def after(grads, max_norm, norm_type=2.0):
        clipped, total = clip_solution(grads, max_norm, norm_type)
        return clipped, min(total, max_norm)

    _fails(ch08.clip_grad_norm, after, "the total norm returned", "before clipping")


def test_clip_ignoring_norm_type_fails():
    def always_two(grads, max_norm, norm_type=2.0):
        return clip_solution(grads, max_norm, 2.0)

    _fails(ch08.clip_grad_norm, always_two, "norm_type inf", "p = inf")


def test_clip_returning_a_single_array_fails():
    def one_array(grads, max_norm, norm_type=2.0):
        return np.concatenate([g.ravel() for g in clip_solution(grads, max_norm, norm_type)[0]])

    _fails(ch08.clip_grad_norm, one_array, "should return a tuple (clipped, total_norm)")


def test_clip_through_the_library_fails():
    def library(grads, max_norm, norm_type=2.0):
        params = [nn.Parameter(np.zeros_like(g)) for g in grads]
        for p, g in zip(params, grads):
            p.grad = g.copy()
        return [p.grad for p in params], clip_grad_norm_(params, max_norm, norm_type)

    _fails(ch08.clip_grad_norm, library, "reference implementation", "clip_grad_norm_")


def test_train_digits_scores_by_the_accuracy_reached(capsys):
    def untrained(X_train, y_train, X_test, rng):
        return rng.integers(0, 10, size=len(X_test))

    _fails(ch08.train_digits, untrained, "no part passes", "below 0.90", hidden=True)

    def weak(X_train, y_train, X_test, rng):
        # softmax regression stopped after 40 steps: about 0.91 on the digits, short of the target
        return _softmax_regression(X_train, y_train, X_test, 40, 0.5)

    score = ch08.train_digits(weak, hidden=True)
    assert float(score) == 2.0
    assert "below 0.95" in capsys.readouterr().out


def test_train_digits_names_an_unfinished_earlier_exercise():
    def uses_init(X_train, y_train, X_test, rng):
        stub((64, 10), "he", "normal", rng)

    _fails(ch08.train_digits, uses_init, "not implemented yet", "such as `init_weights`")


def test_train_digits_returning_scores_or_probabilities_fails():
    def scores(X_train, y_train, X_test, rng):
        return np.zeros((len(X_test), 10))

    _fails(ch08.train_digits, scores, "integer array of shape (450,)")

    def fractions(X_train, y_train, X_test, rng):
        return np.full(len(X_test), 0.5)

    _fails(ch08.train_digits, fractions, "outside 0 ... 9")


def test_calling_the_library_initialisers_fails():
    def library(shape, scheme, distribution, rng):
        return init.xavier_normal(shape, rng=rng)

    _fails(ch08.init_weights, library, "reference implementation", "xavier_normal")


def test_calling_the_library_batchnorm_fails():
    def library(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
        return ch08._ref_batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum, eps)

    _fails(ch08.batchnorm_forward, library, "reference implementation")


# -- hidden cases: the instructor's, different for each student -----------------------------------


@pytest.mark.parametrize("seed", range(10))
def test_the_hidden_cases_of_every_seed_are_well_posed(seed, capsys):
    with core.hidden_source(HIDDEN, seed):
        for check, student in [(ch08.init_weights, init_solution), (ch08.batchnorm_forward, bn_forward_solution),
                               (ch08.batchnorm_backward, bn_backward_solution),
                               (ch08.layer_gradient_norms, norms_solution), (ch08.clip_grad_norm, clip_solution)]:
            check(student, hidden=True)
        more = core.hidden("train_digits")
        for train, test in more["splits"]:
            assert len(test) == 450 and len(train) == 1347
            assert len(np.intersect1d(train, test)) == 0 and len(np.union1d(train, test)) == 1797
            assert len(np.unique(ch08.digits_data()[1][test])) == 10


def test_the_hidden_digit_splits_differ_between_students_and_from_the_chapters():
    with core.hidden_source(HIDDEN, 1):
        first = core.hidden("train_digits")["splits"][0][1]
    with core.hidden_source(HIDDEN, 1):
        again = core.hidden("train_digits")["splits"][0][1]
    with core.hidden_source(HIDDEN, 2):
        other = core.hidden("train_digits")["splits"][0][1]
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    X_test_visible = ch08._visible_split()[2]
    X = ch08.digits_data()[0]
    assert not np.array_equal(np.sort(X[first], axis=0), np.sort(X_test_visible, axis=0))


def test_no_hidden_case_reaches_a_student():
    assert_no_hidden_case_ships(ROOT, "ch08-deep-networks", HIDDEN)


# -- judged by the grader: the calls cross as plain data ------------------------------------------


def test_the_grader_judges_clipping_and_the_digits_from_plain_data():
    from tests.check_tools import judged_outside

    source = "from dlcourse.checks import ch08\nch08.clip_grad_norm(clip_grad_norm, hidden=True)"
    verdict = judged_outside(source, {"clip_grad_norm": clip_other},
                             answers_from={"clip_grad_norm": clip_solution}, hidden_path=HIDDEN, seed=3)
    assert verdict.points == 1, verdict.message
    wrong = judged_outside(source, {"clip_grad_norm": lambda grads, max_norm, norm_type=2.0: (grads, 0.0)},
                           answers_from={"clip_grad_norm": clip_solution}, hidden_path=HIDDEN, seed=3)
    assert wrong.points == 0 and "total norm" in wrong.message

    source = "from dlcourse.checks import ch08\nch08.train_digits(train_digits, hidden=True)"
    verdict = judged_outside(source, {"train_digits": train_shallow}, points=4,
                             answers_from={"train_digits": train_shallow}, hidden_path=HIDDEN, seed=3)
    assert verdict.points == 4, verdict.message


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_target_accuracy_is_reachable_on_every_seeds_split(seed, capsys):
    with core.hidden_source(HIDDEN, seed):
        assert float(ch08.train_digits(train_solution, hidden=True)) == 4.0


# -- the references the checks compare with are PyTorch's numbers ---------------------------------


def test_the_batchnorm_references_equal_torch():
    import torch

    rng = np.random.default_rng(20)
    x, gamma, beta = rng.normal(3, 2, size=(6, 4)), rng.normal(size=4), rng.normal(size=4)
    mean0, var0, dout = rng.normal(size=4), rng.uniform(0.5, 2, size=4), rng.normal(size=(6, 4))
    layer = torch.nn.BatchNorm1d(4, momentum=0.3, eps=1e-3, dtype=torch.float64)
    layer.weight.data, layer.bias.data = torch.tensor(gamma), torch.tensor(beta)
    layer.running_mean.data, layer.running_var.data = torch.tensor(mean0), torch.tensor(var0)
    xt = torch.tensor(x, requires_grad=True)
    yt = layer(xt)
    yt.backward(torch.tensor(dout))
    y, mean1, var1 = ch08._ref_batchnorm_forward(x, gamma, beta, mean0, var0, True, momentum=0.3, eps=1e-3)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mean1, layer.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(var1, layer.running_var.numpy(), rtol=1e-12)
    dx, dgamma, dbeta = ch08._ref_batchnorm_backward(dout, x, gamma, eps=1e-3)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dgamma, layer.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(dbeta, layer.bias.grad.numpy(), rtol=1e-10)
    layer.eval()
    y_eval, mean2, _ = ch08._ref_batchnorm_forward(x, gamma, beta, mean1, var1, False, eps=1e-3)
    np.testing.assert_allclose(y_eval, layer(torch.tensor(x)).detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(mean2, mean1)


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.0, float("inf")])
def test_the_clipping_reference_equals_torch(norm_type):
    import torch

    rng = np.random.default_rng(21)
    grads = [rng.normal(size=(3, 4)) * 5, rng.normal(size=7)]
    params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g)
    total = torch.nn.utils.clip_grad_norm_(params, 2.0, norm_type=norm_type)
    clipped, ours = ch08._ref_clip_grad_norm(grads, 2.0, norm_type=norm_type)
    assert ours == pytest.approx(float(total), rel=1e-12)
    for mine, p in zip(clipped, params):
        np.testing.assert_allclose(mine, p.grad.numpy(), rtol=1e-12)


def test_the_init_references_have_torchs_bounds_and_the_notes_variances():
    import torch

    shape = (40, 30)
    for scheme, variance in [("xavier", 2 / 70), ("he", 2 / 30), ("he_notes", 4 / 70)]:
        w = ch08._ref_init_weights(shape, scheme, "uniform", np.random.default_rng(0))
        assert np.abs(w).max() <= np.sqrt(3 * variance)
        big = ch08._ref_init_weights((400, 300), scheme, "normal", np.random.default_rng(1))
        fan_in, fan_out = 300, 400
        expected = {"xavier": 2 / (fan_in + fan_out), "he": 2 / fan_in, "he_notes": 4 / (fan_in + fan_out)}[scheme]
        assert big.var() == pytest.approx(expected, rel=0.02)
    torch.manual_seed(0)
    t = torch.empty((400, 300), dtype=torch.float64)
    for scheme, distribution, fill in [("he", "normal", lambda: torch.nn.init.kaiming_normal_(t, nonlinearity="relu")),
                                       ("he", "uniform", lambda: torch.nn.init.kaiming_uniform_(t, nonlinearity="relu")),
                                       ("xavier", "normal", lambda: torch.nn.init.xavier_normal_(t)),
                                       ("xavier", "uniform", lambda: torch.nn.init.xavier_uniform_(t))]:
        fill()
        ours = ch08._ref_init_weights((400, 300), scheme, distribution, np.random.default_rng(2))
        assert ours.var() == pytest.approx(t.var().item(), rel=0.03), (scheme, distribution)
        if distribution == "uniform":
            assert np.abs(ours).max() == pytest.approx(t.abs().max().item(), rel=1e-3)


def test_batchnorm_forward_and_backward_are_judged_by_the_grader_as_in_the_notebook(capsys):
    # two test cells, one function each: a wrong forward costs only its own cell's point
    from tests.check_tools import judged_outside

    def eps_outside(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
        y, m, v = bn_forward_solution(x, gamma, beta, running_mean, running_var, training, momentum, eps)
        mean, var = (x.mean(0), x.var(0)) if training else (running_mean, running_var)
        return gamma * (x - mean) / (np.sqrt(var) + eps) + beta, m, v

    forward = "from dlcourse.checks import ch08\nch08.batchnorm_forward(batchnorm_forward, hidden=True)"
    backward = "from dlcourse.checks import ch08\nch08.batchnorm_backward(batchnorm_backward, hidden=True)"
    wrong = judged_outside(forward, {"batchnorm_forward": eps_outside},
                           answers_from={"batchnorm_forward": bn_forward_solution}, hidden_path=HIDDEN, seed=3)
    assert wrong.points == 0 and "eps inside the square root" in wrong.message, wrong.message
    right = judged_outside(backward, {"batchnorm_backward": bn_backward_other},
                           answers_from={"batchnorm_backward": bn_backward_solution}, hidden_path=HIDDEN, seed=3)
    assert right.points == 1, right.message
