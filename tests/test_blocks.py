"""Inception and residual blocks (and BatchNorm2d inside them), checked against the same blocks in PyTorch."""

import numpy as np
import pytest
import torch
from torch import nn as tnn

from dlcourse.gradcheck import check_module, numerical_gradient
from dlcourse.nn import (
    AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, Flatten, InceptionBlock, MaxPool2d, ResidualBlock,
)


def _copy_parameters(ours, ref):
    """Give the torch module our parameters (same registration order, same shapes)."""
    ours_params, ref_params = list(ours.parameters()), list(ref.parameters())
    assert [p.shape for p in ours_params] == [tuple(q.shape) for q in ref_params]
    with torch.no_grad():
        for p, q in zip(ours_params, ref_params):
            q.copy_(torch.from_numpy(p.data))


def _check_against_torch(ours, ref, x, atol=1e-10):
    y = ours(x)
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    assert y.shape == tuple(yt.shape) and y.dtype == x.dtype
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=0, atol=atol)
    grad = np.random.default_rng(9).normal(size=y.shape).astype(x.dtype)
    grad_before = grad.copy()
    dx = ours.backward(grad)
    yt.backward(torch.from_numpy(grad))
    np.testing.assert_array_equal(grad, grad_before)
    assert dx.dtype == x.dtype
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=atol)
    for (name, p), q in zip(ours.named_parameters(), ref.parameters()):
        assert p.grad.dtype == x.dtype, name
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=0, atol=atol, err_msg=name)


# -- torch twins of our blocks -----------------------------------------------------

class TorchInception(tnn.Module):
    def __init__(self, c_in, c1, c3r, c3, c5r, c5, cp):
        super().__init__()
        self.b1 = tnn.Sequential(tnn.Conv2d(c_in, c1, 1), tnn.ReLU())
        self.b2 = tnn.Sequential(tnn.Conv2d(c_in, c3r, 1), tnn.ReLU(), tnn.Conv2d(c3r, c3, 3, padding=1), tnn.ReLU())
        self.b3 = tnn.Sequential(tnn.Conv2d(c_in, c5r, 1), tnn.ReLU(), tnn.Conv2d(c5r, c5, 5, padding=2), tnn.ReLU())
        self.b4 = tnn.Sequential(tnn.MaxPool2d(3, 1, 1), tnn.Conv2d(c_in, cp, 1), tnn.ReLU())

    def forward(self, x):
        return torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], dim=1)


class TorchBasicBlock(tnn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.conv1 = tnn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(c_out)
        self.conv2 = tnn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(c_out)
        self.shortcut = None
        if stride != 1 or c_in != c_out:
            self.shortcut = tnn.Sequential(tnn.Conv2d(c_in, c_out, 1, stride, bias=False), tnn.BatchNorm2d(c_out))

    def forward(self, x):
        out = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(out + (x if self.shortcut is None else self.shortcut(x)))


# -- inception -----------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(2, 5, 7, 6), (1, 3, 4, 4)])
def test_inception_block_matches_torch(shape):
    ours = InceptionBlock(shape[1], 4, 3, 5, 2, 3, 2, rng=0)
    ref = TorchInception(shape[1], 4, 3, 5, 2, 3, 2).double()
    _copy_parameters(ours, ref)
    x = np.random.default_rng(1).normal(size=shape)
    _check_against_torch(ours, ref, x)
    assert ours(x).shape == (shape[0], 4 + 5 + 3 + 2, *shape[2:])


def test_inception_block_float32():
    ours = InceptionBlock(3, 2, 2, 3, 1, 2, 2, rng=0, dtype=np.float32)
    ref = TorchInception(3, 2, 2, 3, 1, 2, 2)
    _copy_parameters(ours, ref)
    x = np.random.default_rng(1).normal(size=(2, 3, 6, 6)).astype(np.float32)
    _check_against_torch(ours, ref, x, atol=1e-5)


def test_inception_reductions_save_weights():
    # the notes' point: a 1x1 reduction to 16 channels before 5x5 filters on a deep input
    direct = 5 * 5 * 192 * 32
    block = InceptionBlock(192, 64, 96, 128, 16, 32, 32, rng=0)
    reduced = block.branch3[0].weight.data.size + block.branch3[2].weight.data.size
    assert reduced == 192 * 16 + 5 * 5 * 16 * 32 and reduced < direct / 8
    assert block.out_channels == 256


def test_inception_refuses_wrong_channels():
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3, H, W\), got \(1, 4, 5, 5\)"):
        InceptionBlock(3, 1, 1, 1, 1, 1, 1)(np.zeros((1, 4, 5, 5)))


# -- residual -------------------------------------------------------------------------

@pytest.mark.parametrize("c_in, c_out, stride, shape", [
    (4, 4, 1, (3, 4, 6, 5)),     # identity shortcut
    (3, 6, 2, (2, 3, 7, 8)),     # projection: more channels, half the size
    (4, 4, 2, (2, 4, 6, 6)),     # projection because of the stride alone
    (2, 3, 1, (1, 2, 5, 5)),     # batch 1
])
def test_residual_block_matches_torch_in_training_and_evaluation(c_in, c_out, stride, shape):
    ours = ResidualBlock(c_in, c_out, stride, rng=0)
    ref = TorchBasicBlock(c_in, c_out, stride).double()
    _copy_parameters(ours, ref)
    assert (ours.shortcut is None) == (ref.shortcut is None)
    rng = np.random.default_rng(2)
    for _ in range(2):
        _check_against_torch(ours, ref, rng.normal(size=shape))
        ours.zero_grad()
        ref.zero_grad()
    np.testing.assert_allclose(ours.bn1.running_mean, ref.bn1.running_mean.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.bn2.running_var, ref.bn2.running_var.numpy(), rtol=0, atol=1e-12)
    ours.eval()
    ref.eval()
    _check_against_torch(ours, ref, rng.normal(size=shape))


def test_residual_block_float32():
    ours = ResidualBlock(3, 4, 2, rng=0, dtype=np.float32)
    ref = TorchBasicBlock(3, 4, 2)
    _copy_parameters(ours, ref)
    _check_against_torch(ours, ref, np.random.default_rng(3).normal(size=(2, 3, 6, 6)).astype(np.float32),
                         atol=1e-4)


def test_identity_residual_block_starts_near_identity():
    # with the second batch norm's gamma at zero, the block is ReLU(x): the skip alone
    block = ResidualBlock(3, 3, rng=0)
    block.bn2.weight.data[...] = 0
    x = np.random.default_rng(4).normal(size=(2, 3, 5, 5))
    np.testing.assert_allclose(block(x), np.maximum(x, 0))


# -- numerical gradients ---------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: InceptionBlock(2, 1, 1, 2, 1, 1, 1, rng=0),
    lambda: ResidualBlock(2, 3, 2, rng=0),
    lambda: ResidualBlock(2, 2, 1, rng=0),
    lambda: BatchNorm2d(2),
])
def test_blocks_pass_numerical_gradient_check(make):
    block = make()
    x = np.random.default_rng(5).normal(size=(2, 2, 4, 4))
    g = np.random.default_rng(6).normal(size=block(x).shape)

    def loss():
        return float(np.sum(block.forward(x) * g))

    block.zero_grad()
    block(x)
    dx = block.backward(g)
    np.testing.assert_allclose(dx, numerical_gradient(lambda _: loss(), x), rtol=1e-5, atol=1e-7)
    for name, p in block.named_parameters():
        np.testing.assert_allclose(p.grad, numerical_gradient(lambda _: loss(), p.data), rtol=1e-5, atol=1e-7,
                                   err_msg=name)


# -- BatchNorm2d on its own ---------------------------------------------------------------

@pytest.mark.parametrize("shape", [(4, 3, 5, 6), (1, 2, 3, 3), (8, 1, 2, 2)])
def test_batchnorm2d_matches_torch(shape):
    ours = BatchNorm2d(shape[1], momentum=0.2)
    ref = tnn.BatchNorm2d(shape[1], momentum=0.2).double()
    rng = np.random.default_rng(7)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(rng.normal(size=shape[1])))
        ref.bias.copy_(torch.from_numpy(rng.normal(size=shape[1])))
    ours.weight.data[...] = ref.weight.detach().numpy()
    ours.bias.data[...] = ref.bias.detach().numpy()
    for _ in range(3):
        _check_against_torch(ours, ref, 3 + 2 * rng.normal(size=shape))
        ours.zero_grad()
        ref.zero_grad()
    np.testing.assert_allclose(ours.running_mean, ref.running_mean.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(ours.running_var, ref.running_var.numpy(), rtol=0, atol=1e-12)
    ours.eval()
    ref.eval()
    _check_against_torch(ours, ref, rng.normal(size=shape))


# -- every layer through the library's own gradient checker ---------------------------------

@pytest.mark.parametrize("make, shape", [
    (lambda: Conv2d(2, 3, 3, stride=2, padding=1, rng=0), (2, 2, 5, 5)),
    (lambda: Conv2d(2, 2, (2, 3), dilation=2, bias=False, rng=0), (1, 2, 6, 7)),
    (lambda: MaxPool2d(3, 2, 1), (2, 2, 5, 5)),
    (lambda: AvgPool2d(2, 1, 1), (2, 2, 4, 5)),
    (lambda: AdaptiveAvgPool2d((2, 3)), (2, 2, 5, 4)),
    (lambda: Flatten(), (2, 2, 3, 3)),
    (lambda: InceptionBlock(2, 1, 1, 2, 1, 1, 1, rng=1), (1, 2, 4, 4)),
    (lambda: ResidualBlock(2, 3, 2, rng=1), (2, 2, 4, 4)),
    (lambda: BatchNorm2d(3), (2, 3, 3, 3)),
])
def test_every_layer_passes_check_module(make, shape):
    x = np.random.default_rng(8).normal(size=shape)
    errors = check_module(make(), x)
    assert max(errors.values()) < 1e-6
