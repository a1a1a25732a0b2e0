"""F.dropout, as torch.nn.functional.dropout: inverted scaling, the identity out of training,
the extremes p = 0 and p = 1, the same mask as nn.Dropout for the same generator."""

import numpy as np
import pytest
import torch

import dlcourse.functional as F
import dlcourse.nn as nn


def test_eval_mode_is_the_identity_and_a_new_array():
    x = np.random.default_rng(0).normal(size=(4, 5))
    y = F.dropout(x, p=0.5, training=False, rng=0)
    np.testing.assert_array_equal(y, x)
    assert y is not x and not np.shares_memory(y, x)
    np.testing.assert_array_equal(y, torch.nn.functional.dropout(torch.tensor(x), 0.5, training=False).numpy())


def test_p_zero_is_the_identity_and_p_one_gives_zeros_as_in_torch():
    x = np.random.default_rng(1).normal(size=(3, 7))
    for p in (0.0, 1.0):
        expected = torch.nn.functional.dropout(torch.tensor(x), p, training=True).numpy()
        np.testing.assert_array_equal(F.dropout(x, p, rng=0), expected)
    np.testing.assert_array_equal(F.dropout(x, 1.0), np.zeros_like(x))


def test_kept_elements_are_scaled_by_the_keep_probability_as_in_torch():
    x = np.random.default_rng(2).uniform(1, 2, size=(50, 40))
    y = F.dropout(x, p=0.3, rng=3)
    ratio = torch.nn.functional.dropout(torch.ones(50, 40, dtype=torch.float64), 0.3).numpy()
    # torch's survivors are 1 / (1 - p), as ours: the same two values, only the mask differs
    np.testing.assert_array_equal(np.unique(ratio), np.unique(F.dropout(np.ones((50, 40)), 0.3, rng=3)))
    kept = y != 0
    np.testing.assert_allclose(y[kept], x[kept] / 0.7, rtol=1e-15)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_inverted_scaling_keeps_the_mean(p):
    n = 1_000_000
    y = F.dropout(np.ones(n), p=p, rng=np.random.default_rng(7))
    # each y_i is 0 or 1/(1 - p), mean 1 and variance p/(1 - p), so the mean of n of them has
    # standard deviation sqrt(p / ((1 - p) n)): 0.0005 to 0.002 here. Five of them bound a
    # fixed seed's draw with room to spare, and still catch a missing 1/(1 - p) (mean 1 - p).
    sigma = np.sqrt(p / ((1 - p) * n))
    assert abs(y.mean() - 1.0) < 5 * sigma
    assert abs((y != 0).mean() - (1 - p)) < 5 * np.sqrt(p * (1 - p) / n)


def test_same_generator_same_mask_as_the_module():
    x = np.random.default_rng(4).normal(size=(6, 8))
    layer = nn.Dropout(0.4, rng=np.random.default_rng(11))
    functional = F.dropout(x, 0.4, rng=np.random.default_rng(11))
    np.testing.assert_array_equal(layer(x), functional)
    # a seed works as a generator seeded with it, and the module's generator moves on
    np.testing.assert_array_equal(nn.Dropout(0.4, rng=11)(x), F.dropout(x, 0.4, rng=11))
    rng = np.random.default_rng(11)
    F.dropout(x, 0.4, rng=rng)
    np.testing.assert_array_equal(layer(x), F.dropout(x, 0.4, rng=rng))


def test_forward_and_backward_pair_use_one_mask():
    x = np.random.default_rng(5).normal(size=(5, 4))
    g = np.random.default_rng(6).normal(size=(5, 4))
    y, scale = F.dropout_forward(x, 0.5, rng=1)
    np.testing.assert_array_equal(y, F.dropout(x, 0.5, rng=1))
    tx = torch.tensor(x, requires_grad=True)
    (tx * torch.tensor(scale)).backward(torch.tensor(g))
    np.testing.assert_allclose(F.dropout_backward(g, scale), tx.grad.numpy(), rtol=1e-15)
    assert F.dropout_forward(x, 0.5, training=False)[1] is None
    np.testing.assert_array_equal(F.dropout_backward(g, None), g)


def test_input_is_not_changed_unless_inplace():
    x = np.random.default_rng(8).normal(size=(4, 4))
    before = x.copy()
    y = F.dropout(x, 0.5, rng=2)
    np.testing.assert_array_equal(x, before)
    z = F.dropout(x, 0.5, inplace=True, rng=2)
    assert z is x
    np.testing.assert_array_equal(x, y)
    with pytest.raises(TypeError, match="writable floating-point NumPy array"):
        F.dropout(np.arange(4), 0.5, inplace=True)
    with pytest.raises(TypeError, match="writable floating-point NumPy array"):
        F.dropout([1.0, 2.0], 0.5, inplace=True)


def test_dtypes():
    x = np.ones((3, 3), dtype=np.float32)
    assert F.dropout(x, 0.5, rng=0).dtype == np.float32
    assert F.dropout(np.ones(3, dtype=int), 0.5, rng=0).dtype == np.float64


@pytest.mark.parametrize("p", [-0.1, 1.5, np.nan, "0.5", None, True])
def test_bad_p_raises(p):
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got"):
        F.dropout(np.ones(3), p)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(p)
