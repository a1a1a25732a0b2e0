"""dlcourse.nn layers against torch.nn: same weights, same input, same upstream gradient."""

import numpy as np
import pytest
import torch

import dlcourse.nn as nn
from dlcourse.gradcheck import check_module

RTOL, ATOL = 1e-10, 1e-12


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


def copy_parameters(ours, theirs):
    """Give the torch module our parameter values, name by name."""
    their_params = dict(theirs.named_parameters())
    assert set(their_params) == {name for name, _ in ours.named_parameters()}
    with torch.no_grad():
        for name, param in ours.named_parameters():
            their_params[name].copy_(torch.tensor(param.data))


def compare_with_torch(ours, theirs, x, seed=0):
    """Forward and backward in both; compare the output, dL/dx and every parameter's grad."""
    theirs = theirs.double()
    copy_parameters(ours, theirs)
    upstream_rng = np.random.default_rng(seed)
    y = ours(x)
    tx = torch.tensor(x, requires_grad=True)
    ty = theirs(tx)
    close(y, ty.detach().numpy())
    upstream = upstream_rng.normal(size=y.shape)
    upstream_copy = upstream.copy()
    grad_x = ours.backward(upstream)
    np.testing.assert_array_equal(upstream, upstream_copy)  # backward never mutates its input
    ty.backward(torch.tensor(upstream))
    close(grad_x, tx.grad.numpy())
    their_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        close(param.grad, their_params[name].grad.numpy())
    return y


# (our module, the same torch module, input shapes)
ACTIVATIONS = [
    (lambda: nn.Identity(), lambda: torch.nn.Identity()),
    (lambda: nn.Sigmoid(), lambda: torch.nn.Sigmoid()),
    (lambda: nn.Tanh(), lambda: torch.nn.Tanh()),
    (lambda: nn.ReLU(), lambda: torch.nn.ReLU()),
    (lambda: nn.LeakyReLU(0.1), lambda: torch.nn.LeakyReLU(0.1)),
    (lambda: nn.ELU(alpha=0.7), lambda: torch.nn.ELU(alpha=0.7)),
    (lambda: nn.SELU(), lambda: torch.nn.SELU()),
    (lambda: nn.Softplus(beta=1.5, threshold=3.0), lambda: torch.nn.Softplus(beta=1.5, threshold=3.0)),
    (lambda: nn.GELU(), lambda: torch.nn.GELU()),
    (lambda: nn.GELU(approximate="tanh"), lambda: torch.nn.GELU(approximate="tanh")),
    (lambda: nn.SiLU(), lambda: torch.nn.SiLU()),
    (lambda: nn.Hardtanh(-2.0, 1.5), lambda: torch.nn.Hardtanh(-2.0, 1.5)),
    (lambda: nn.Softsign(), lambda: torch.nn.Softsign()),
    (lambda: nn.PReLU(), lambda: torch.nn.PReLU()),
    (lambda: nn.PReLU(num_parameters=4, init=0.1), lambda: torch.nn.PReLU(num_parameters=4, init=0.1)),
    (lambda: nn.Softmax(dim=1), lambda: torch.nn.Softmax(dim=1)),
    (lambda: nn.LogSoftmax(dim=-1), lambda: torch.nn.LogSoftmax(dim=-1)),
]
SHAPES = [(1, 4), (5, 4), (3, 4, 2)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("index", range(len(ACTIVATIONS)))
def test_activation_modules_match_torch(index, shape):
    ours, theirs = ACTIVATIONS[index]
    x = np.random.default_rng(index).normal(scale=2.0, size=shape)
    compare_with_torch(ours(), theirs(), x, seed=index)


@pytest.mark.parametrize("index", range(len(ACTIVATIONS)))
def test_activation_modules_pass_gradcheck(index):
    ours, _ = ACTIVATIONS[index]
    x = np.random.default_rng(index).normal(scale=2.0, size=(3, 4))
    x[np.abs(x) < 1e-3] = 0.5  # keep finite differences away from the kinks
    check_module(ours(), x)


@pytest.mark.parametrize("module", [nn.BinaryStep(), nn.Arctan(), nn.Maxout(3), nn.Maxout(3, dim=1)])
def test_modules_torch_lacks_pass_gradcheck(module):
    x = np.random.default_rng(1).normal(size=(2, 6, 3))
    x[np.abs(x) < 1e-3] = 0.5
    check_module(module, x)


def test_arctan_module_matches_torch_atan():
    x = np.random.default_rng(2).normal(size=(4, 3))
    module = nn.Arctan()
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.atan(tx)
    ty.backward(torch.ones_like(ty))
    close(module(x), ty.detach().numpy())
    close(module.backward(np.ones_like(x)), tx.grad.numpy())


@pytest.mark.parametrize("shape", [(1, 4), (6, 4), (2, 3, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias):
    ours = nn.Linear(4, 3, bias=bias, rng=0)
    compare_with_torch(ours, torch.nn.Linear(4, 3, bias=bias), np.random.default_rng(1).normal(size=shape))


def test_linear_passes_gradcheck():
    check_module(nn.Linear(4, 3, rng=0), np.random.default_rng(1).normal(size=(5, 4)))


def test_linear_init_is_torch_default_uniform_bound():
    layer = nn.Linear(400, 300, rng=0)
    bound = 1 / np.sqrt(400)
    for p in (layer.weight.data, layer.bias.data):
        assert np.abs(p).max() <= bound and np.abs(p).max() > 0.95 * bound
    assert layer.weight.shape == (300, 400) and layer.bias.shape == (300,)
    np.testing.assert_allclose(layer.weight.data.var(), bound**2 / 3, rtol=0.02)
    # the same seed gives the same layer
    np.testing.assert_array_equal(nn.Linear(400, 300, rng=0).weight.data, layer.weight.data)


def test_linear_repr_errors_and_dtype():
    assert repr(nn.Linear(3, 2)) == "Linear(in_features=3, out_features=2, bias=True)"
    assert repr(nn.Linear(3, 2, bias=False)) == "Linear(in_features=3, out_features=2, bias=False)"
    layer = nn.Linear(4, 2, rng=0)
    with pytest.raises(ValueError, match=r"Linear expected input with last dimension 4 \(in_features\), "
                                         r"got shape \(N, 5\)"):
        layer(np.zeros((3, 5)))
    with pytest.raises(RuntimeError, match="backward\\(\\) was called before forward\\(\\)"):
        nn.Linear(4, 2).backward(np.zeros((1, 2)))
    small = nn.Linear(4, 2, rng=0, dtype=np.float32)
    x = np.ones((3, 4), dtype=np.float32)
    assert small(x).dtype == np.float32
    assert small.backward(np.ones((3, 2), dtype=np.float32)).dtype == np.float32
    assert small.weight.grad.dtype == np.float32


def test_parameter_grads_accumulate_over_two_backward_passes():
    layer = nn.Linear(3, 2, rng=0)
    x = np.random.default_rng(0).normal(size=(4, 3))
    g = np.ones((4, 2))
    layer(x)
    layer.backward(g)
    first = layer.weight.grad.copy()
    layer(x)
    layer.backward(g)
    close(layer.weight.grad, 2 * first)


def test_prelu_module_is_learnable():
    module = nn.PReLU(3)
    assert [name for name, _ in module.named_parameters()] == ["weight"]
    assert repr(module) == "PReLU(num_parameters=3)"
    check_module(module, np.random.default_rng(0).normal(size=(4, 3, 2)))


def test_activation_reprs_follow_torch():
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(nn.ELU()) == "ELU(alpha=1.0)"
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    assert repr(nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"


def test_activation_modules_keep_float32():
    x = np.linspace(-2, 2, 8, dtype=np.float32).reshape(2, 4)
    for ours, _ in ACTIVATIONS:
        module = ours()
        assert module(x).dtype == np.float32, module
        assert module.backward(np.ones_like(x)).dtype == np.float32, module


# -- dropout -------------------------------------------------------------------
def test_dropout_is_inverted_and_backward_uses_the_same_mask():
    drop = nn.Dropout(p=0.3, rng=0)
    x = np.random.default_rng(1).uniform(1, 2, size=(200, 50))
    y = drop(x)
    kept = y != 0
    close(y[kept], x[kept] / 0.7)
    assert abs(kept.mean() - 0.7) < 0.01
    g = np.random.default_rng(2).normal(size=x.shape)
    close(drop.backward(g), np.where(kept, g / 0.7, 0.0))


def test_dropout_matches_torch_given_the_same_mask():
    drop = nn.Dropout(p=0.4, rng=3)
    x = np.random.default_rng(4).normal(size=(6, 5))
    y = drop(x)
    mask = torch.tensor((y != 0).astype(np.float64))
    tx = torch.tensor(x, requires_grad=True)
    ty = tx * mask / (1 - 0.4)  # what torch's dropout computes for this Bernoulli mask
    g = np.random.default_rng(5).normal(size=x.shape)
    ty.backward(torch.tensor(g))
    close(y, ty.detach().numpy())
    close(drop.backward(g), tx.grad.numpy())


def test_dropout_eval_is_identity_and_extremes():
    x = np.random.default_rng(0).normal(size=(3, 4))
    drop = nn.Dropout(0.5, rng=0).eval()
    close(drop(x), x)
    close(drop.backward(x), x)
    np.testing.assert_array_equal(nn.Dropout(1.0)(x), np.zeros_like(x))
    close(nn.Dropout(0.0)(x), x)
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        nn.Dropout(1.5)
    assert nn.Dropout(0.5)(x.astype(np.float32)).dtype == np.float32


def test_dropout_in_training_passes_gradcheck_with_its_mask_fixed():
    model = nn.Sequential(nn.Linear(4, 6, rng=0), nn.Dropout(0.5, rng=1), nn.Tanh())
    check_module(model, np.random.default_rng(2).normal(size=(3, 4)))


# -- batch norm ------------------------------------------------------------------
BATCHNORM_CASES = [
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (8, 3)),
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (2, 3)),
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (4, 3, 5)),
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (1, 3, 5)),
    (nn.BatchNorm2d, torch.nn.BatchNorm2d, (4, 3, 5, 2)),
    (nn.BatchNorm2d, torch.nn.BatchNorm2d, (1, 3, 2, 2)),
]
BATCHNORM_OPTIONS = [
    {},
    {"momentum": 0.3, "eps": 1e-3},
    {"momentum": None},
    {"affine": False},
    {"track_running_stats": False},
]


@pytest.mark.parametrize("options", BATCHNORM_OPTIONS)
@pytest.mark.parametrize("ours_cls, theirs_cls, shape", BATCHNORM_CASES)
def test_batchnorm_train_and_eval_match_torch_over_several_steps(ours_cls, theirs_cls, shape, options):
    rng = np.random.default_rng(7)
    ours, theirs = ours_cls(3, **options), theirs_cls(3, **options).double()
    if ours.affine:
        ours.weight.data[...] = rng.uniform(0.5, 1.5, size=3)
        ours.bias.data[...] = rng.normal(size=3)
    for step in range(4):
        x = rng.normal(loc=step, scale=1 + step, size=shape)
        for module in (ours, theirs):
            module.zero_grad()
        compare_with_torch(ours, theirs, x, seed=step)
        if ours.track_running_stats:
            close(ours.running_mean, theirs.running_mean.numpy())
            close(ours.running_var, theirs.running_var.numpy())
            assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked) == step + 1
    ours.eval()
    theirs.eval()
    for step in range(2):
        ours.zero_grad()
        theirs.zero_grad()
        compare_with_torch(ours, theirs, rng.normal(size=shape), seed=10 + step)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("make, shape", [
    (lambda: nn.BatchNorm1d(3), (5, 3)),
    (lambda: nn.BatchNorm1d(3, affine=False), (4, 3, 2)),
    (lambda: nn.BatchNorm2d(3), (4, 3, 2, 2)),
])
def test_batchnorm_passes_gradcheck(make, shape, training):
    module = make()
    if module.affine:
        module.weight.data[...] = [0.5, 1.0, 2.0]
    x = np.random.default_rng(0).normal(size=shape)
    module.train(training)
    module(np.random.default_rng(1).normal(size=shape))  # give eval non-trivial running stats
    before = module.state_dict()
    check_module(module, x)
    for name, value in module.state_dict().items():  # the check leaves the buffers as they were
        np.testing.assert_array_equal(value, before[name])


def test_batchnorm_state_dict_and_errors():
    bn = nn.BatchNorm1d(3)
    assert sorted(bn.state_dict()) == ["bias", "num_batches_tracked", "running_mean", "running_var", "weight"]
    bn(np.random.default_rng(0).normal(size=(4, 3)))
    assert bn.state_dict()["num_batches_tracked"] == 1
    with pytest.raises(ValueError, match="expected 2D or 3D input, got 4D"):
        bn(np.zeros((2, 3, 4, 4)))
    with pytest.raises(ValueError, match="expected 3 channels.*\\(4, 5\\)"):
        bn(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)(np.zeros((2, 3)))
    assert repr(nn.BatchNorm2d(4)) == (
        "BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"
    )


def test_batchnorm_keeps_float32():
    bn = nn.BatchNorm2d(3)
    x = np.random.default_rng(0).normal(size=(2, 3, 2, 2)).astype(np.float32)
    assert bn(x).dtype == np.float32
    assert bn.backward(np.ones_like(x)).dtype == np.float32
    bn.eval()
    assert bn(x).dtype == np.float32
    assert bn.backward(np.ones_like(x)).dtype == np.float32


def test_batchnorm_normalises_each_channel():
    x = np.random.default_rng(0).normal(loc=5, scale=3, size=(64, 4))
    y = nn.BatchNorm1d(4)(x)
    close(y.mean(axis=0), np.zeros(4))
    np.testing.assert_allclose(y.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-5), rtol=1e-12)


# -- residual ------------------------------------------------------------------
def test_residual_adds_the_identity_and_matches_torch():
    inner = nn.Sequential(nn.Linear(4, 4, rng=0), nn.Tanh(), nn.Linear(4, 4, rng=1))
    block = nn.Residual(inner)

    class TorchResidual(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.module = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Tanh(), torch.nn.Linear(4, 4))

        def forward(self, x):
            return x + self.module(x)

    x = np.random.default_rng(2).normal(size=(3, 4))
    compare_with_torch(block, TorchResidual(), x)
    check_module(nn.Residual(inner), x)
    assert repr(block).startswith("Residual(\n  (module): Sequential(")


def test_residual_rejects_a_shape_change():
    with pytest.raises(ValueError, match="keep the shape of its input.*\\(2, 4\\).*\\(2, 3\\)"):
        nn.Residual(nn.Linear(4, 3))(np.zeros((2, 4)))


def test_a_small_network_matches_torch_end_to_end():
    ours = nn.Sequential(nn.Linear(5, 8, rng=0), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3, rng=1))
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
                                 torch.nn.Linear(8, 3))
    compare_with_torch(ours, theirs, np.random.default_rng(3).normal(size=(6, 5)))


def _grads_after_backward(model, x, **kwargs):
    model.zero_grad()
    out = model(x)
    returned = model.backward(np.ones_like(out) / out.size, **kwargs)
    return returned, [p.grad.copy() for p in model.parameters()]


@pytest.mark.parametrize("make", [
    lambda: nn.Linear(5, 3, rng=0),
    lambda: nn.Sequential(nn.Linear(5, 4, rng=1), nn.ReLU(), nn.Linear(4, 2, rng=2)),
    lambda: nn.Sequential(nn.Sequential(nn.Linear(5, 4, rng=3), nn.Tanh()), nn.Linear(4, 2, rng=4)),
], ids=["linear", "sequential", "nested"])
def test_skipping_the_input_gradient_keeps_every_parameter_gradient(make):
    # as torch, which computes no gradient for a network input that does not require one
    x = np.random.default_rng(0).normal(size=(6, 5))
    model = make()
    full, expected = _grads_after_backward(model, x)
    skipped, got = _grads_after_backward(model, x, needs_input_grad=False)
    assert full.shape == x.shape and skipped is None
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)


def test_a_first_layer_that_cannot_skip_still_returns_the_input_gradient():
    model = nn.Sequential(nn.ReLU(), nn.Linear(5, 2, rng=0))
    x = np.random.default_rng(1).normal(size=(3, 5))
    full, _ = _grads_after_backward(model, x)
    returned, _ = _grads_after_backward(model, x, needs_input_grad=False)
    np.testing.assert_array_equal(returned, full)
