"""LayerNorm and the per-layer gradient norms, each against the same computation in PyTorch."""

import numpy as np
import pytest
import torch

from dlcourse import nn
from dlcourse.nn.utils import grad_norms


@pytest.mark.parametrize("shape, normalized", [((5, 7), 7), ((3, 4, 6), (4, 6)), ((2, 3, 5), 5)])
@pytest.mark.parametrize("affine, bias", [(True, True), (True, False), (False, False)])
def test_layernorm_forward_and_backward_match_torch(shape, normalized, affine, bias):
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, size=shape)
    g = rng.normal(size=shape)
    ours = nn.LayerNorm(normalized, elementwise_affine=affine, bias=bias)
    theirs = torch.nn.LayerNorm(normalized, elementwise_affine=affine, bias=bias, dtype=torch.float64)
    if affine:
        gamma = rng.normal(size=ours.weight.data.shape)
        ours.weight.data[...] = gamma
        theirs.weight.data = torch.tensor(gamma)
    if bias:
        beta = rng.normal(size=ours.bias.data.shape)
        ours.bias.data[...] = beta
        theirs.bias.data = torch.tensor(beta)
    xt = torch.tensor(x, requires_grad=True)
    yt = theirs(xt)
    yt.backward(torch.tensor(g))
    y = ours(x)
    dx = ours.backward(g)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    if affine:
        np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
    if bias:
        np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_layernorm_is_the_same_in_training_and_evaluation():
    x = np.random.default_rng(1).normal(size=(4, 8))
    layer = nn.LayerNorm(8)
    train_out = layer(x)
    layer.eval()
    np.testing.assert_array_equal(layer(x), train_out)
    np.testing.assert_allclose(train_out.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(train_out.var(axis=1), 1, rtol=1e-4)


def test_layernorm_refuses_a_wrong_shape_and_keeps_float32():
    with pytest.raises(ValueError, match="last dimensions are \\(5,\\)"):
        nn.LayerNorm(5)(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="positive integers"):
        nn.LayerNorm(0)
    out = nn.LayerNorm(4, dtype=np.float32)(np.ones((2, 4), dtype=np.float32))
    assert out.dtype == np.float32


def test_grad_norms_are_the_per_layer_norms_torch_computes():
    rng = np.random.default_rng(2)
    sizes = [6, 5, 4, 3]
    ours = nn.Sequential(*[m for a, b in zip(sizes, sizes[1:]) for m in (nn.Linear(a, b, rng=rng), nn.Tanh())][:-1])
    layers = [torch.nn.Linear(a, b, dtype=torch.float64) for a, b in zip(sizes, sizes[1:])]
    for mine, theirs in zip([m for m in ours if isinstance(m, nn.Linear)], layers):
        theirs.weight.data = torch.tensor(mine.weight.data)
        theirs.bias.data = torch.tensor(mine.bias.data)
    theirs = torch.nn.Sequential(layers[0], torch.nn.Tanh(), layers[1], torch.nn.Tanh(), layers[2])
    x, target = rng.normal(size=(8, 6)), rng.normal(size=(8, 3))
    loss = nn.MSELoss()
    loss(ours(x), target)
    ours.backward(loss.backward())
    torch.nn.functional.mse_loss(theirs(torch.tensor(x)), torch.tensor(target)).backward()
    expected = [torch.linalg.vector_norm(layer.weight.grad).item() for layer in layers]
    norms = grad_norms(ours)
    assert list(norms) == ["0.weight", "2.weight", "4.weight"]
    np.testing.assert_allclose(list(norms.values()), expected, rtol=1e-12)
    with_bias = grad_norms(ours, norm_type=1.0, weights_only=False)
    expected_l1 = [torch.linalg.vector_norm(p.grad, ord=1).item() for p in theirs.parameters()]
    np.testing.assert_allclose(list(with_bias.values()), expected_l1, rtol=1e-12)


def test_grad_norms_give_zero_before_any_backward():
    assert grad_norms(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))) == {"0.weight": 0.0, "2.weight": 0.0}
