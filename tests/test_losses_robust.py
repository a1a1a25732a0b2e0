"""L1, Huber and negative log-likelihood losses against torch.nn's: value and dL/dpred,
for every reduction and option, in float64 and float32, and their errors."""

import warnings

import numpy as np
import pytest
import torch

import dlcourse.functional as F
import dlcourse.nn as nn
from dlcourse.gradcheck import check_loss

REDUCTIONS = ["mean", "sum", "none"]
# float64 agrees to rounding; float32 to a few units of its 1.2e-7 epsilon, summed over the batch
TOLERANCE = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-6)}


def compare(ours, theirs, pred, target, dtype=np.float64, seed=0):
    """Value and gradient of the same loss in both libraries (a random upstream for 'none')."""
    pred = pred.astype(dtype)
    if np.issubdtype(target.dtype, np.floating):
        target = target.astype(dtype)
    tol = TOLERANCE[dtype]
    loss = ours(pred, target)
    tp = torch.tensor(pred, requires_grad=True)
    tl = theirs(tp, torch.tensor(target))
    np.testing.assert_allclose(loss, tl.detach().numpy(), **tol)
    assert np.asarray(loss).dtype == dtype
    if ours.reduction == "none":
        upstream = np.random.default_rng(seed).normal(size=np.shape(loss)).astype(dtype)
        grad = ours.backward(upstream)
        tl.backward(torch.tensor(upstream))
    else:
        grad = ours.backward()
        tl.backward()
    np.testing.assert_allclose(grad, tp.grad.numpy(), **tol)
    assert grad.shape == pred.shape and grad.dtype == dtype


DTYPES = [np.float64, np.float32]
SHAPES = [(1, 1), (6, 3), (2, 3, 4)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_l1_matches_torch(reduction, shape, dtype):
    rng = np.random.default_rng(0)
    compare(nn.L1Loss(reduction=reduction), torch.nn.L1Loss(reduction=reduction),
            rng.normal(size=shape), rng.normal(size=shape), dtype)


def test_l1_gradient_at_a_tie_is_zero_as_in_torch():
    pred, target = np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 4.0])
    compare(nn.L1Loss(reduction="sum"), torch.nn.L1Loss(reduction="sum"), pred, target)
    np.testing.assert_array_equal(F.l1_loss_backward(pred, target, "sum"), [0.0, 1.0, -1.0])


@pytest.mark.parametrize("delta", [1.0, 0.3, 2.5])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_huber_matches_torch(reduction, dtype, delta):
    rng = np.random.default_rng(1)
    pred, target = rng.normal(scale=2.0, size=(7, 3)), rng.normal(size=(7, 3))
    compare(nn.HuberLoss(reduction=reduction, delta=delta),
            torch.nn.HuberLoss(reduction=reduction, delta=delta), pred, target, dtype)


def test_huber_at_and_around_delta_matches_torch():
    # |d| exactly delta, just inside and just outside, both signs, and d = 0
    target = np.zeros(7)
    pred = np.array([0.5, -0.5, 0.5 - 1e-9, 0.5 + 1e-9, -0.5 - 1e-9, 0.0, 40.0])
    compare(nn.HuberLoss(reduction="none", delta=0.5), torch.nn.HuberLoss(reduction="none", delta=0.5),
            pred, target)


def test_huber_is_half_the_squared_error_near_and_delta_times_l1_far():
    small, large = np.array([0.2, -0.4]), np.array([3.0, -5.0])
    zeros = np.zeros(2)
    np.testing.assert_allclose(F.huber_loss(small, zeros, "none"), 0.5 * small**2)
    np.testing.assert_allclose(F.huber_loss(large, zeros, "none", delta=2.0), 2.0 * (np.abs(large) - 1.0))
    np.testing.assert_allclose(F.huber_loss_backward(large, zeros, "sum", delta=2.0), [2.0, -2.0])


def _nll_inputs(rng, shape_in, shape_labels, n_classes):
    log_p = F.log_softmax(rng.normal(size=shape_in), dim=1 if len(shape_in) > 1 else 0)
    return log_p, rng.integers(0, n_classes, size=shape_labels)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("options", [{}, {"weight": True}, {"ignore_index": 1}, {"weight": True, "ignore_index": 0}])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_matches_torch(reduction, options, dtype):
    rng = np.random.default_rng(2)
    log_p, labels = _nll_inputs(rng, (8, 4), (8,), 4)
    weight = rng.uniform(0.5, 2.0, size=4).astype(dtype) if options.get("weight") else None
    ignore = options.get("ignore_index", -100)
    compare(nn.NLLLoss(weight=weight, ignore_index=ignore, reduction=reduction),
            torch.nn.NLLLoss(weight=None if weight is None else torch.tensor(weight), ignore_index=ignore,
                             reduction=reduction), log_p, labels, dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_other_layouts_match_torch(reduction):
    rng = np.random.default_rng(3)
    weight = rng.uniform(0.5, 2.0, size=3)
    for shape_in, shape_labels in [((2, 3, 4, 5), (2, 4, 5)), ((3,), ())]:
        log_p, labels = _nll_inputs(rng, shape_in, shape_labels, 3)
        compare(nn.NLLLoss(weight=weight, reduction=reduction),
                torch.nn.NLLLoss(weight=torch.tensor(weight), reduction=reduction), log_p, np.asarray(labels))


def test_nll_after_log_softmax_is_the_cross_entropy():
    rng = np.random.default_rng(4)
    logits, labels = rng.normal(size=(5, 4)), rng.integers(0, 4, size=5)
    weight = rng.uniform(0.5, 2.0, size=4)
    for reduction in REDUCTIONS:
        np.testing.assert_allclose(
            F.nll_loss(F.log_softmax(logits, dim=1), labels, weight, reduction=reduction),
            F.cross_entropy(logits, labels, weight, reduction=reduction), rtol=1e-12)


def test_nll_with_every_label_ignored_is_nan_with_a_zero_gradient_as_in_torch():
    log_p, labels = F.log_softmax(np.zeros((2, 3)), dim=1), np.array([1, 1])
    loss = nn.NLLLoss(ignore_index=1)
    tp = torch.tensor(log_p, requires_grad=True)
    expected = torch.nn.NLLLoss(ignore_index=1)(tp, torch.tensor(labels))
    expected.backward()
    assert np.isnan(loss(log_p, labels)) and torch.isnan(expected)
    np.testing.assert_array_equal(loss.backward(), tp.grad.numpy())


def test_nll_accepts_log_of_zero_probabilities_away_from_the_label():
    log_p = np.log(np.array([[0.0, 1.0], [0.5, 0.5]]), where=np.array([[False, True], [True, True]]),
                   out=np.full((2, 2), -np.inf))
    labels = np.array([1, 0])
    compare(nn.NLLLoss(), torch.nn.NLLLoss(), log_p, labels)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an ignored label on log 0 is 0, computed without 0 * inf
        compare(nn.NLLLoss(ignore_index=0, reduction="none"), torch.nn.NLLLoss(ignore_index=0, reduction="none"),
                log_p, np.array([0, 1]))


@pytest.mark.parametrize("loss, pred, target", [
    (nn.L1Loss(), np.array([[0.3, -1.2], [2.0, 0.7]]), np.array([[0.0, 0.5], [1.0, -1.0]])),
    (nn.HuberLoss(delta=0.8), np.array([[0.3, -1.2], [2.0, 0.7]]), np.array([[0.0, 0.5], [1.0, -1.0]])),
    (nn.HuberLoss(reduction="none"), np.random.default_rng(5).normal(size=(3, 2)), np.zeros((3, 2))),
    (nn.NLLLoss(weight=np.array([1.0, 2.0, 0.5]), ignore_index=2),
     F.log_softmax(np.random.default_rng(6).normal(size=(4, 3)), dim=1), np.array([0, 1, 2, 1])),
])
def test_new_losses_pass_gradcheck(loss, pred, target):
    # every |pred - target| is far from 0 and from delta, where the gradients have kinks
    check_loss(loss, pred, target)


def test_functional_forms_equal_the_modules():
    rng = np.random.default_rng(7)
    pred, target = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    for module, value, grad in [(nn.L1Loss("sum"), F.l1_loss(pred, target, "sum"),
                                 F.l1_loss_backward(pred, target, "sum")),
                                (nn.HuberLoss("none", 0.5), F.huber_loss(pred, target, "none", 0.5),
                                 F.huber_loss_backward(pred, target, "none", 0.5))]:
        np.testing.assert_array_equal(module(pred, target), value)
        np.testing.assert_array_equal(module.backward(), grad)
    log_p, labels = F.log_softmax(pred, dim=1), np.array([0, 2, 1, 1])
    module = nn.NLLLoss()
    np.testing.assert_array_equal(module(log_p, labels), F.nll_loss(log_p, labels))
    np.testing.assert_array_equal(module.backward(), F.nll_loss_backward(log_p, labels))


def test_new_loss_errors_name_the_problem():
    a, b = np.zeros((2, 3)), np.zeros((3, 2))
    for loss in (F.l1_loss, F.huber_loss, F.l1_loss_backward, F.huber_loss_backward):
        with pytest.raises(ValueError, match=r"same shape.*\(2, 3\).*\(3, 2\)"):
            loss(a, b)
        with pytest.raises(ValueError, match="reduction must be one of"):
            loss(a, a, reduction="average")
        with pytest.raises(ValueError, match="non-finite values in input"):
            loss(np.array([np.nan]), np.array([0.0]))
    for delta in (0.0, -1.0, np.inf):
        with pytest.raises(ValueError, match="positive, finite delta"):
            nn.HuberLoss(delta=delta)
        with pytest.raises(ValueError, match="positive, finite delta"):
            F.huber_loss(a, a, delta=delta)
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.NLLLoss(reduction="avg")
    log_p = F.log_softmax(np.zeros((2, 5)), dim=1)
    with pytest.raises(ValueError, match="label 7 out of range for 5 classes"):
        F.nll_loss(log_p, np.array([0, 7]))
    with pytest.raises(ValueError, match="label -1 out of range for 5 classes"):
        F.nll_loss_backward(log_p, np.array([-1, 0]))
    with pytest.raises(TypeError, match="integer class labels"):
        F.nll_loss(log_p, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"labels of shape \(2,\), got \(3,\)"):
        F.nll_loss(log_p, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"weight must have one entry per class, shape \(5,\)"):
        F.nll_loss(log_p, np.array([0, 1]), weight=np.ones(3))
    with pytest.raises(ValueError, match="non-finite values in input"):
        F.nll_loss(np.array([[np.nan, 0.0]]), np.array([0]))
    with pytest.raises(ValueError, match="log-probabilities of shape"):
        F.nll_loss(np.float64(0.0), np.array(0))
    with pytest.raises(RuntimeError, match="before forward"):
        nn.L1Loss().backward()


def test_new_loss_reprs():
    assert repr(nn.L1Loss()) == "L1Loss()"
    assert repr(nn.HuberLoss(reduction="sum", delta=0.5)) == "HuberLoss(reduction='sum', delta=0.5)"
    assert repr(nn.HuberLoss()) == "HuberLoss()"
    assert repr(nn.NLLLoss()) == "NLLLoss()"
