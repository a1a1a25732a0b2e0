"""dlcourse.gradcheck: the checker finds right gradients right and wrong ones wrong."""

import numpy as np
import pytest

import dlcourse.nn as nn
from dlcourse.gradcheck import GradcheckError, check_loss, check_module, numerical_gradient, relative_error


def test_numerical_gradient_of_known_functions():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sum(v ** 3), x), 3 * x ** 2, rtol=1e-8)
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sin(v).sum(), x), np.cos(x), rtol=1e-8)
    np.testing.assert_array_equal(x, [[1.0, -2.0], [0.5, 3.0]])  # x is restored


def test_centred_differences_error_shrinks_like_h_squared():
    x = np.array([0.7])
    f = lambda v: float(np.exp(v[0]))  # noqa: E731
    errors = [abs(numerical_gradient(f, x.copy(), eps=h)[0] - np.exp(0.7)) for h in (1e-2, 1e-3)]
    assert 80 < errors[0] / errors[1] < 120


def test_relative_error_is_cs231n_definition():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([1.0, 0.0], [1.1, 0.0]) == pytest.approx(0.1 / 2.1)
    assert relative_error([0.0], [0.0]) == 0.0
    with pytest.raises(ValueError, match="same shape"):
        relative_error(np.zeros(2), np.zeros(3))


class WrongLinear(nn.Linear):
    """A Linear whose bias gradient forgets to sum over the batch (a classic mistake)."""

    def backward(self, grad_output):
        grad_x = nn.Linear.backward(self, grad_output)
        self.bias.grad = grad_output[0].copy()
        return grad_x


class WrongSigmoid(nn.Sigmoid):
    """dσ/dx written as σ(x) instead of σ(x)(1 − σ(x))."""

    def backward(self, grad_output):
        (x,) = self._saved()
        return grad_output / (1 + np.exp(-x))


def test_check_module_reports_every_gradient():
    report = check_module(nn.Linear(3, 2, rng=0), np.random.default_rng(0).normal(size=(4, 3)))
    assert set(report) == {"input", "weight", "bias"}
    assert max(report.values()) < 1e-7


def test_check_module_names_the_wrong_parameter():
    with pytest.raises(GradcheckError, match="gradient of 'bias' is wrong, relative error"):
        check_module(WrongLinear(3, 2, rng=0), np.random.default_rng(0).normal(size=(4, 3)))


def test_check_module_catches_a_wrong_input_gradient_inside_a_network():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), WrongSigmoid(), nn.Linear(4, 2, rng=1))
    with pytest.raises(GradcheckError, match="'input' is wrong.*0.weight: [1-9]"):
        check_module(model, np.random.default_rng(0).normal(size=(5, 3)))


def test_check_module_leaves_the_module_as_it_was():
    model = nn.Sequential(nn.Linear(3, 4, rng=0), nn.BatchNorm1d(4), nn.Dropout(0.5, rng=1))
    x = np.random.default_rng(0).normal(size=(5, 3))
    model(x)
    model[0].weight.grad = None
    before = model.state_dict()
    model[2].rng = np.random.default_rng(1)
    next_mask = model[2](np.ones((5, 4)))
    model[2].rng = np.random.default_rng(1)
    check_module(model, x)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
    assert model[0].weight.grad is None
    # the dropout generator is where it was: the next mask is the one it would have drawn
    np.testing.assert_array_equal(model[2](np.ones((5, 4))), next_mask)


def test_check_module_needs_float64():
    with pytest.raises(TypeError, match="float64"):
        check_module(nn.ReLU(), np.ones(3, dtype=np.float32))


def test_check_loss_finds_a_wrong_loss_gradient():
    class HalfMSE(nn.MSELoss):
        def backward(self, grad_output=None):
            return nn.MSELoss.backward(self, grad_output) / 2

    pred, target = np.random.default_rng(0).normal(size=(2, 3, 4))
    assert check_loss(nn.MSELoss(), pred, target)["input"] < 1e-7
    with pytest.raises(GradcheckError, match="HalfMSE.*'input' is wrong"):
        check_loss(HalfMSE(), pred, target)
