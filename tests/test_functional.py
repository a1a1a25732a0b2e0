"""dlcourse.functional: every activation and its derivative against PyTorch, and the notes' facts."""

import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import dlcourse.functional as F

RTOL, ATOL = 1e-10, 1e-12

# name -> (our function kwargs, torch function); the torch derivative comes from autograd
ELEMENTWISE = {
    "identity": ({}, lambda t: t * 1),
    "sigmoid": ({}, torch.sigmoid),
    "tanh": ({}, torch.tanh),
    "arctan": ({}, torch.atan),
    "softsign": ({}, TF.softsign),
    "relu": ({}, torch.relu),
    "leaky_relu": ({}, TF.leaky_relu),
    "leaky_relu-0.2": ({"negative_slope": 0.2}, lambda t: TF.leaky_relu(t, 0.2)),
    "elu": ({}, TF.elu),
    "elu-0.5": ({"alpha": 0.5}, lambda t: TF.elu(t, 0.5)),
    "selu": ({}, TF.selu),
    "softplus": ({}, TF.softplus),
    "softplus-beta": ({"beta": 2.0, "threshold": 5.0}, lambda t: TF.softplus(t, 2.0, 5.0)),
    "gelu": ({}, TF.gelu),
    "gelu-tanh": ({"approximate": "tanh"}, lambda t: TF.gelu(t, approximate="tanh")),
    "silu": ({}, TF.silu),
    "hardtanh": ({}, TF.hardtanh),
    "hardtanh-0-6": ({"min_val": 0.0, "max_val": 6.0}, lambda t: TF.hardtanh(t, 0.0, 6.0)),
}


def _ours(name):
    base = name.split("-")[0]
    return getattr(F, base), getattr(F, base + "_grad")


def _inputs(seed, shape):
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=3.0, size=shape)
    # the kinks and the softplus threshold, where the choice of one-sided derivative shows
    special = np.array([0.0, -1.0, 1.0, 6.0, 10.0, 2.5, 20.0, -20.0, 30.0])
    flat = x.reshape(-1)
    flat[: min(len(special), flat.size)] = special[: flat.size]
    return x


def _torch_value_and_grad(fn, x):
    t = torch.tensor(x, requires_grad=True)
    y = fn(t)
    y.backward(torch.ones_like(y))
    return y.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("shape", [(1,), (7,), (4, 5), (2, 3, 4)])
def test_activation_and_derivative_match_torch(name, shape):
    kwargs, torch_fn = ELEMENTWISE[name]
    f, f_grad = _ours(name)
    x = _inputs(hash(name) % 1000, shape)
    expected_y, expected_grad = _torch_value_and_grad(torch_fn, x)
    np.testing.assert_allclose(f(x, **kwargs), expected_y, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(f_grad(x, **kwargs), expected_grad, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("shape, num_parameters", [((5,), 1), ((4, 3), 1), ((4, 3), 3), ((2, 3, 5), 3)])
def test_prelu_and_its_two_gradients_match_torch(shape, num_parameters):
    rng = np.random.default_rng(3)
    x = rng.normal(size=shape)
    x.reshape(-1)[0] = 0.0
    weight = rng.uniform(0.05, 0.5, size=num_parameters)
    upstream = rng.normal(size=shape)
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(weight, requires_grad=True)
    ty = TF.prelu(tx, tw)
    ty.backward(torch.tensor(upstream))
    np.testing.assert_allclose(F.prelu(x, weight), ty.detach().numpy(), rtol=RTOL, atol=ATOL)
    grad_x, grad_w = F.prelu_backward(upstream, x, weight)
    np.testing.assert_allclose(grad_x, tx.grad.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(grad_w, tw.grad.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(grad_x, upstream * F.prelu_grad(x, weight), rtol=RTOL, atol=ATOL)


def test_prelu_rejects_a_weight_per_channel_that_does_not_fit():
    with pytest.raises(ValueError, match="3 parameters.*shape \\(4, 5\\)"):
        F.prelu(np.zeros((4, 5)), np.ones(3))


def test_binary_step_is_the_notes_threshold_unit():
    x = np.array([-2.0, -1e-12, 0.0, 1e-12, 3.0])
    np.testing.assert_array_equal(F.binary_step(x), [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(F.binary_step_grad(x), np.zeros(5))


@pytest.mark.parametrize("dim", [0, 1, -1, 2, -3])
def test_softmax_and_log_softmax_match_torch_along_any_dim(dim):
    rng = np.random.default_rng(dim + 10)
    x = rng.normal(scale=4.0, size=(3, 4, 5))
    upstream = rng.normal(size=x.shape)
    for ours, backward, theirs in (
        (F.softmax, F.softmax_backward, torch.softmax),
        (F.log_softmax, F.log_softmax_backward, torch.log_softmax),
    ):
        t = torch.tensor(x, requires_grad=True)
        ty = theirs(t, dim)
        ty.backward(torch.tensor(upstream))
        y = ours(x, dim=dim)
        np.testing.assert_allclose(y, ty.detach().numpy(), rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(backward(upstream, y, dim=dim), t.grad.numpy(), rtol=RTOL, atol=ATOL)


def test_softmax_rows_sum_to_one_and_the_notes_derivative_holds():
    v = np.array([1.0, 2.0, 3.0])
    o = F.softmax(v)
    np.testing.assert_allclose(o, np.exp(v) / np.exp(v).sum(), rtol=1e-15)
    # ∂o_i/∂v_i = o_i (1 − o_i): the diagonal of the Jacobian
    for i in range(3):
        g = np.zeros(3)
        g[i] = 1.0
        assert math.isclose(F.softmax_backward(g, o)[i], o[i] * (1 - o[i]), rel_tol=1e-14)


@pytest.mark.parametrize("fn", [F.sigmoid, F.softplus, F.log_softmax, F.softmax, F.silu, F.elu, F.selu,
                                F.gelu, F.sigmoid_grad, F.softplus_grad, F.elu_grad, F.silu_grad,
                                F.gelu_grad, F.tanh, F.tanh_grad, F.softsign, F.arctan_grad])
def test_huge_inputs_are_finite_and_warning_free(fn):
    x = np.array([-1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
            y = fn(x)
    assert np.all(np.isfinite(y))


def test_stable_values_at_huge_inputs_are_the_limits():
    x = np.array([-1e4, 1e4])
    np.testing.assert_array_equal(F.sigmoid(x), [0.0, 1.0])
    np.testing.assert_array_equal(F.softplus(x), [0.0, 1e4])
    np.testing.assert_array_equal(F.log_softmax(x), [-2e4, 0.0])


def test_tanh_is_twice_sigmoid_of_twice_x_minus_one():
    x = np.linspace(-30, 30, 601)
    np.testing.assert_allclose(F.tanh(x), 2 * F.sigmoid(2 * x) - 1, rtol=1e-12, atol=1e-15)


def test_notes_derivative_identities():
    x = np.linspace(-5, 5, 101)
    np.testing.assert_allclose(F.sigmoid_grad(x), F.sigmoid(x) * (1 - F.sigmoid(x)), rtol=1e-14)
    np.testing.assert_allclose(F.tanh_grad(x), 1 - np.tanh(x) ** 2, rtol=1e-12)
    # softplus' derivative is the logistic function; ELU's is elu(x) + α for x < 0
    np.testing.assert_allclose(F.softplus_grad(x), F.sigmoid(x), rtol=1e-14)
    neg = x[x < 0]
    np.testing.assert_allclose(F.elu_grad(neg, 1.5), F.elu(neg, 1.5) + 1.5, rtol=1e-12)
    # SELU = λ ELU(x) with the self-normalising α
    np.testing.assert_allclose(F.selu(x), F.SELU_SCALE * F.elu(x, F.SELU_ALPHA), rtol=1e-15)


@pytest.mark.parametrize("name", sorted(set(n.split("-")[0] for n in ELEMENTWISE) | {"binary_step"}))
def test_float32_stays_float32(name):
    f, f_grad = _ours(name)
    x = np.linspace(-3, 3, 13, dtype=np.float32)
    assert f(x).dtype == np.float32
    assert f_grad(x).dtype == np.float32


def test_float32_for_the_other_functions():
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    w = np.array([0.25], dtype=np.float32)
    assert F.prelu(x, w).dtype == np.float32
    assert F.prelu_backward(np.ones_like(x), x, w)[1].dtype == np.float32
    assert F.softmax(x).dtype == np.float32 and F.log_softmax(x).dtype == np.float32
    assert F.maxout(x, 2).dtype == np.float32


def test_integer_inputs_are_computed_in_float64():
    assert F.sigmoid(np.array([0, 1])).dtype == np.float64
    np.testing.assert_array_equal(F.relu([-2, 3]), [0.0, 3.0])


def test_maxout_takes_the_max_of_consecutive_pieces_and_routes_the_gradient():
    x = np.array([[1.0, 5.0, -2.0, 3.0, 3.0, 0.0]])
    np.testing.assert_array_equal(F.maxout(x, 2), [[5.0, 3.0, 3.0]])
    np.testing.assert_array_equal(F.maxout(x, 3), [[5.0, 3.0]])
    g = np.array([[10.0, 20.0, 30.0]])
    # the tie (3, 3) sends the gradient to the first piece
    np.testing.assert_array_equal(F.maxout_backward(g, x, 2), [[0, 10, 0, 20, 30, 0]])


def test_maxout_along_another_axis_equals_torch_max_over_groups():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 6, 3))
    t = torch.tensor(x, requires_grad=True)
    ty = t.reshape(2, 3, 2, 3).amax(dim=2)
    upstream = rng.normal(size=(2, 3, 3))
    ty.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(F.maxout(x, 2, dim=1), ty.detach().numpy())
    np.testing.assert_allclose(F.maxout_backward(upstream, x, 2, dim=1), t.grad.numpy(), rtol=RTOL)


def test_maxout_rejects_a_width_that_is_not_a_multiple():
    with pytest.raises(ValueError, match="shape \\(2, 5\\).*multiple of 2"):
        F.maxout(np.zeros((2, 5)), 2)


def test_get_activation_by_name():
    assert F.get_activation("relu") is F.relu
    assert F.get_activation("ReLU", derivative=True) is F.relu_grad
    assert F.get_activation("swish") is F.silu
    with pytest.raises(ValueError, match="unknown activation 'rleu'.*relu.*sigmoid"):
        F.get_activation("rleu")


def test_bad_options_are_named():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', got 'erf'"):
        F.gelu(np.zeros(2), approximate="erf")
    with pytest.raises(ValueError, match="max_val > min_val"):
        F.hardtanh(np.zeros(2), 1.0, -1.0)
    with pytest.raises(ValueError, match="dim 3 is out of range"):
        F.softmax(np.zeros((2, 3)), dim=3)
