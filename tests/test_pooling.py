"""Pooling layers and Flatten, checked against PyTorch, hand-worked windows and numerical gradients."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import dlcourse.functional as F
from dlcourse.gradcheck import numerical_gradient
from dlcourse.nn import AdaptiveAvgPool2d, AvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, Sequential


def _compare_with_torch(layer, torch_fn, x, seed=0):
    x_before = x.copy()
    y = layer(x)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch_fn(xt)
    assert y.shape == tuple(yt.shape) and y.dtype == x.dtype
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=0, atol=1e-10)
    grad = np.random.default_rng(seed).normal(size=y.shape).astype(x.dtype)
    grad_before = grad.copy()
    dx = layer.backward(grad)
    yt.backward(torch.from_numpy(grad))
    np.testing.assert_array_equal(grad, grad_before)
    assert dx.shape == x.shape and dx.dtype == x.dtype
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_array_equal(x, x_before)         # the input is never modified


def _inputs(shape, seed=1):
    x = np.random.default_rng(seed).normal(size=shape)
    return [x, np.round(x)]          # rounding makes ties inside the windows


# kernel_size, stride, padding, dilation
MAX_CASES = [(2, None, 0, 1), (3, 2, 1, 1), ((3, 2), (1, 2), (1, 0), (2, 1)), (3, 1, 1, 1), (5, 3, 2, 1)]


@pytest.mark.parametrize("case", MAX_CASES)
@pytest.mark.parametrize("shape", [(2, 3, 9, 7), (1, 1, 6, 6), (3, 5, 10, 11)])
def test_max_pool_matches_torch_including_ties(case, shape):
    k, s, p, d = case
    for x in _inputs(shape):
        _compare_with_torch(MaxPool2d(k, s, p, d), lambda t: TF.max_pool2d(t, k, s, p, d), x)


# kernel_size, stride, padding, count_include_pad, divisor_override
AVG_CASES = [(2, None, 0, True, None), (3, 2, 1, True, None), (3, 2, 1, False, None),
             ((3, 2), (1, 2), (1, 0), False, None), (3, 1, 1, True, 5), (4, 3, 2, False, None)]


@pytest.mark.parametrize("case", AVG_CASES)
@pytest.mark.parametrize("shape", [(2, 3, 9, 7), (1, 1, 6, 6)])
def test_avg_pool_matches_torch(case, shape):
    k, s, p, cip, div = case
    layer = AvgPool2d(k, s, p, count_include_pad=cip, divisor_override=div)
    _compare_with_torch(layer, lambda t: TF.avg_pool2d(t, k, s, p, count_include_pad=cip,
                                                        divisor_override=div), _inputs(shape)[0])


@pytest.mark.parametrize("size", [1, (1, 1), (3, 2), (4, None), (9, 7), 5, (2, 3)])
def test_adaptive_avg_pool_matches_torch(size):
    for shape in [(2, 3, 9, 7), (1, 2, 4, 6)]:
        x = _inputs(shape)[0]
        _compare_with_torch(AdaptiveAvgPool2d(size), lambda t: TF.adaptive_avg_pool2d(t, size), x)


def test_global_average_pooling_gives_one_number_per_channel():
    x = np.arange(2 * 3 * 4 * 5, dtype=float).reshape(2, 3, 4, 5)
    y = AdaptiveAvgPool2d(1)(x)
    assert y.shape == (2, 3, 1, 1)
    np.testing.assert_allclose(y[:, :, 0, 0], x.mean(axis=(2, 3)))


def test_max_pool_worked_example():
    x = np.array([[1, 1, 2, 4],
                  [5, 6, 7, 8],
                  [3, 2, 1, 0],
                  [1, 2, 3, 4]], dtype=float)[None, None]
    layer = MaxPool2d(2, stride=2)
    np.testing.assert_array_equal(layer(x)[0, 0], [[6, 8], [3, 4]])
    dx = layer.backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]))
    expected = np.zeros((4, 4))
    expected[1, 1], expected[1, 3], expected[2, 0], expected[3, 3] = 10, 20, 30, 40
    np.testing.assert_array_equal(dx[0, 0], expected)
    np.testing.assert_array_equal(AvgPool2d(2)(x)[0, 0], [[13 / 4, 21 / 4], [2, 2]])


def test_max_pool_ties_go_to_the_first_maximum():
    x = np.ones((1, 1, 2, 2))
    layer = MaxPool2d(2)
    layer(x)
    np.testing.assert_array_equal(layer.backward(np.ones((1, 1, 1, 1)))[0, 0], [[1, 0], [0, 0]])


@pytest.mark.parametrize("kernel, stride", [(2, 2), (3, 1)])
def test_max_pool_nan_and_infinite_gradients_as_torch(kernel, stride):
    x = np.random.default_rng(4).normal(size=(2, 2, 6, 6))
    x[0, 0, 1, 1] = x[0, 0, 1, 2] = x[1, 1, 4, 3] = np.nan        # a NaN wins its windows
    grad = np.random.default_rng(5).normal(size=F.max_pool2d(x, kernel, stride).shape)
    grad[0, 1, 0, 0], grad[1, 0, 1, 1] = np.inf, -np.inf           # non-finite gradients stay put
    layer = MaxPool2d(kernel, stride)
    y = layer(x)
    dx = layer.backward(grad)
    xt = torch.tensor(x, requires_grad=True)
    yt = TF.max_pool2d(xt, kernel, stride)
    yt.backward(torch.from_numpy(grad))
    np.testing.assert_array_equal(y, yt.detach().numpy())
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=1e-12)   # sums may differ in order
    assert np.isinf(dx).sum() == np.isinf(xt.grad.numpy()).sum() == 2


@pytest.mark.parametrize("layer", [MaxPool2d(3, 2, 1), MaxPool2d(2), AvgPool2d(3, 2, 1, count_include_pad=False),
                                   AdaptiveAvgPool2d((2, 3)), AdaptiveAvgPool2d(1), Flatten()])
def test_numerical_gradient_check(layer):
    x = np.random.default_rng(2).normal(size=(2, 2, 5, 6))   # distinct values: max is differentiable
    g = np.random.default_rng(3).normal(size=layer(x).shape)

    def loss():
        return float(np.sum(layer.forward(x) * g))

    layer(x)
    dx = layer.backward(g)
    np.testing.assert_allclose(dx, numerical_gradient(lambda _: loss(), x), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("layer", [MaxPool2d(2), AvgPool2d(3, 1, 1), AdaptiveAvgPool2d(1), AdaptiveAvgPool2d(3),
                                   Flatten()])
def test_float32_stays_float32(layer):
    x = np.random.default_rng(0).normal(size=(2, 3, 6, 6)).astype(np.float32)
    y = layer(x)
    assert y.dtype == np.float32
    assert layer.backward(np.ones_like(y)).dtype == np.float32


def test_pooling_errors_are_clear():
    with pytest.raises(ValueError, match=r"4-D input.*\(3, 8, 8\)"):
        MaxPool2d(2)(np.zeros((3, 8, 8)))
    with pytest.raises(ValueError, match="padding .* at most half of kernel_size"):
        MaxPool2d(2, padding=2)(np.zeros((1, 1, 8, 8)))
    with pytest.raises(ValueError, match="larger than the padded input"):
        AvgPool2d(5)(np.zeros((1, 1, 3, 3)))
    with pytest.raises(NotImplementedError, match="ceil_mode"):
        MaxPool2d(2, ceil_mode=True)(np.zeros((1, 1, 5, 5)))
    with pytest.raises(TypeError, match="kernel_size must be an int or a pair"):
        MaxPool2d(2.5)
    with pytest.raises(NotImplementedError, match="return_indices"):
        MaxPool2d(2, return_indices=True)
    with pytest.raises(ValueError, match="output_size must be >= 1"):
        AdaptiveAvgPool2d(0)(np.zeros((1, 1, 4, 4)))
    with pytest.raises(RuntimeError, match="before forward"):
        MaxPool2d(2).backward(np.zeros((1, 1, 1, 1)))


def test_notes_pooling_halves_the_feature_maps():
    # 28x28x6 after the first convolution, 2x2 max pooling with stride 2 -> 14x14x6
    assert MaxPool2d(2, stride=2)(np.zeros((1, 6, 28, 28))).shape == (1, 6, 14, 14)
    assert F.conv_output_shape(28, 2, S=2) == 14


# -- Flatten ----------------------------------------------------------------------

@pytest.mark.parametrize("dims", [(1, -1), (0, -1), (2, 3), (1, 2), (-3, -2), (0, 0)])
def test_flatten_matches_torch(dims):
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 5))
    _compare_with_torch(Flatten(*dims), lambda t: torch.flatten(t, *dims), x)


def test_flatten_errors_name_the_shape():
    with pytest.raises(IndexError, match=r"start_dim=4.*\(2, 3\)"):
        Flatten(4)(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="comes after end_dim"):
        Flatten(2, 1)(np.zeros((2, 3, 4)))


def test_lenet_style_stack_matches_torch():
    """The notes' network: conv 6@5x5 -> max pool -> conv 16@5x5 -> max pool -> flatten -> linear."""
    ours = Sequential(Conv2d(1, 6, 5, rng=0), MaxPool2d(2), Conv2d(6, 16, 5, rng=1), MaxPool2d(2),
                      Flatten(), Linear(16 * 5 * 5, 10, rng=2))
    ref = torch.nn.Sequential(torch.nn.Conv2d(1, 6, 5), torch.nn.MaxPool2d(2), torch.nn.Conv2d(6, 16, 5),
                              torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(400, 10)).double()
    with torch.no_grad():
        for p, q in zip(ours.parameters(), ref.parameters()):
            q.copy_(torch.from_numpy(p.data))
    x = np.random.default_rng(5).normal(size=(3, 1, 32, 32))
    _compare_with_torch(ours, ref, x)
    for p, q in zip(ours.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=0, atol=1e-10)
