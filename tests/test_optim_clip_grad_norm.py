"""``clip_grad_norm_`` against ``torch.nn.utils.clip_grad_norm_``."""

import numpy as np
import pytest
import torch

from dlcourse.nn import Parameter
from dlcourse.nn.utils import clip_grad_norm_


def _pair(grads):
    ours, theirs = [], []
    for g in grads:
        p = Parameter(np.zeros_like(g))
        t = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        p.grad, t.grad = g.copy(), torch.from_numpy(g.copy())
        ours.append(p)
        theirs.append(t)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5, float("inf"), "inf"])
@pytest.mark.parametrize("max_norm", [0.1, 1.0, 100.0])
def test_total_norm_and_clipped_gradients_match_torch(norm_type, max_norm):
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(3, 4)), rng.normal(size=5), rng.normal(size=())]
    ours, theirs = _pair(grads)
    unused = Parameter(np.ones(2))
    total = clip_grad_norm_(ours + [unused], max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, np.floating)
    assert total == pytest.approx(expected.item(), rel=1e-13)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-13, atol=0)
    assert unused.grad is None


def test_clipped_gradients_have_the_maximum_norm_and_keep_their_direction():
    p, q = Parameter(np.zeros(2)), Parameter(np.zeros(1))
    p.grad, q.grad = np.array([3.0, 0.0]), np.array([4.0])  # total norm 5
    assert clip_grad_norm_([p, q], max_norm=1.0) == 5.0
    np.testing.assert_allclose(np.concatenate([p.grad, q.grad]), np.array([3, 0, 4]) / (5 + 1e-6))


def test_a_single_parameter_and_a_generator_are_accepted():
    p = Parameter(np.zeros(2))
    p.grad = np.array([3.0, 4.0])
    assert clip_grad_norm_(p, 10.0) == 5.0
    np.testing.assert_array_equal(p.grad, [3.0, 4.0])
    assert clip_grad_norm_((x for x in [p]), 1.0) == 5.0
    assert np.linalg.norm(p.grad) == pytest.approx(1.0, rel=1e-5)


def test_no_gradients_give_a_zero_norm():
    assert clip_grad_norm_([Parameter(np.ones(3))], 1.0) == 0.0


def test_non_finite_norm_raises_only_when_asked():
    p = Parameter(np.zeros(2))
    p.grad = np.array([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    t = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    t.grad = torch.tensor([np.inf, 1.0], dtype=torch.float64)
    assert clip_grad_norm_([p], 1.0) == torch.nn.utils.clip_grad_norm_([t], 1.0).item()
    np.testing.assert_array_equal(np.isnan(p.grad), np.isnan(t.grad.numpy()))
