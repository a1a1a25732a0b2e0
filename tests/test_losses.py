"""The losses against torch.nn's: value, and dL/dpred for every reduction and option."""

import warnings

import numpy as np
import pytest
import torch

import dlcourse.functional as F
import dlcourse.nn as nn
from dlcourse.gradcheck import check_loss

RTOL, ATOL = 1e-10, 1e-12


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


def compare(ours, theirs, pred, target, seed=0):
    """Loss value and gradient (with a random upstream for reduction='none') in both."""
    loss = ours(pred, target)
    tp = torch.tensor(pred, requires_grad=True)
    tt = torch.tensor(target)
    tl = theirs(tp, tt)
    close(loss, tl.detach().numpy())
    if ours.reduction == "none":
        upstream = np.random.default_rng(seed).normal(size=np.shape(loss))
        grad = ours.backward(upstream)
        tl.backward(torch.tensor(upstream))
        # with no argument the upstream gradient is all ones
        close(ours.backward(), _torch_grad(theirs, pred, target, torch.ones_like(tl)))
    else:
        grad = ours.backward()
        tl.backward()
    close(grad, tp.grad.numpy())
    assert grad.shape == pred.shape


def _torch_grad(theirs, pred, target, upstream):
    tp = torch.tensor(pred, requires_grad=True)
    theirs(tp, torch.tensor(target)).backward(upstream)
    return tp.grad.numpy()


REDUCTIONS = ["mean", "sum", "none"]
SHAPES = [(1, 1), (6, 3), (2, 3, 4)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_matches_torch(reduction, shape):
    rng = np.random.default_rng(0)
    compare(nn.MSELoss(reduction=reduction), torch.nn.MSELoss(reduction=reduction),
            rng.normal(size=shape), rng.normal(size=shape))


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_matches_torch(reduction, shape, weighted):
    rng = np.random.default_rng(1)
    pred = rng.uniform(0.01, 0.99, size=shape)
    target = rng.uniform(0, 1, size=shape)
    target.reshape(-1)[::2] = np.round(target.reshape(-1)[::2])
    weight = rng.uniform(0.5, 2.0, size=shape[-1]) if weighted else None
    compare(nn.BCELoss(weight=weight, reduction=reduction),
            torch.nn.BCELoss(weight=None if weight is None else torch.tensor(weight), reduction=reduction),
            pred, target)


def test_bce_clamps_the_log_at_minus_100_like_torch():
    pred = np.array([0.0, 1.0, 1e-300, 0.5])
    target = np.array([1.0, 0.0, 1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compare(nn.BCELoss(reduction="none"), torch.nn.BCELoss(reduction="none"), pred, target)
        compare(nn.BCELoss(), torch.nn.BCELoss(), pred, target)
    np.testing.assert_allclose(nn.BCELoss(reduction="none")(pred, target)[:2], [100.0, 100.0])


@pytest.mark.parametrize("pos_weight", [None, "per-class"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_torch(reduction, shape, weighted, pos_weight):
    rng = np.random.default_rng(2)
    logits = rng.normal(scale=4.0, size=shape)
    target = rng.integers(0, 2, size=shape).astype(np.float64)
    weight = rng.uniform(0.5, 2.0, size=shape[-1]) if weighted else None
    pos = rng.uniform(0.5, 3.0, size=shape[-1]) if pos_weight else None
    compare(
        nn.BCEWithLogitsLoss(weight=weight, reduction=reduction, pos_weight=pos),
        torch.nn.BCEWithLogitsLoss(
            weight=None if weight is None else torch.tensor(weight), reduction=reduction,
            pos_weight=None if pos is None else torch.tensor(pos),
        ),
        logits, target,
    )


def test_bce_with_logits_is_stable_at_huge_logits():
    logits = np.array([-1e4, 1e4, -1e4, 1e4])
    target = np.array([0.0, 1.0, 1.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses = nn.BCEWithLogitsLoss(reduction="none")(logits, target)
        compare(nn.BCEWithLogitsLoss(pos_weight=np.array([2.0])),
                torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0])), logits, target)
    np.testing.assert_array_equal(losses, [0.0, 0.0, 1e4, 1e4])


CE_OPTIONS = [
    {},
    {"weight": "random"},
    {"ignore_index": 1},
    {"label_smoothing": 0.2},
    {"weight": "random", "ignore_index": 2, "label_smoothing": 0.1},
    {"ignore_index": -100, "label_smoothing": 1.0},
]


def _ce_modules(options, reduction, n_classes, rng):
    options = dict(options)
    if options.get("weight") == "random":
        options["weight"] = rng.uniform(0.2, 3.0, size=n_classes)
    theirs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in options.items()}
    return nn.CrossEntropyLoss(reduction=reduction, **options), \
        torch.nn.CrossEntropyLoss(reduction=reduction, **theirs)


@pytest.mark.parametrize("options", CE_OPTIONS)
@pytest.mark.parametrize("batch", [1, 7])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_matches_torch(reduction, batch, options):
    rng = np.random.default_rng(3)
    logits = rng.normal(scale=3.0, size=(batch, 5))
    labels = rng.integers(0, 5, size=batch)
    if batch > 1:
        labels[:3] = [1, 2, 0]  # make sure ignore_index actually ignores something
    ours, theirs = _ce_modules(options, reduction, 5, rng)
    compare(ours, theirs, logits, labels)


@pytest.mark.parametrize("options", CE_OPTIONS[:5])
def test_cross_entropy_other_layouts_match_torch(options):
    rng = np.random.default_rng(4)
    # (N, C, d) with labels (N, d), and an unbatched (C,) with a scalar label
    for logits, labels in ((rng.normal(size=(3, 4, 2)), rng.integers(0, 4, size=(3, 2))),
                           (rng.normal(size=4), np.array(2))):
        for reduction in REDUCTIONS:
            ours, theirs = _ce_modules(options, reduction, 4, rng)
            compare(ours, theirs, logits, labels)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_probability_targets_matches_torch(reduction, label_smoothing):
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(6, 4))
    probs = F.softmax(rng.normal(size=(6, 4)))
    weight = rng.uniform(0.5, 2, size=4)
    compare(nn.CrossEntropyLoss(weight=weight, reduction=reduction, label_smoothing=label_smoothing),
            torch.nn.CrossEntropyLoss(weight=torch.tensor(weight), reduction=reduction,
                                      label_smoothing=label_smoothing),
            logits, probs)


def test_cross_entropy_gradient_is_the_notes_yhat_minus_y_over_n():
    rng = np.random.default_rng(6)
    logits = rng.normal(size=(4, 3))
    labels = np.array([0, 2, 1, 2])
    loss = nn.CrossEntropyLoss()
    value = loss(logits, labels)
    onehot = np.eye(3)[labels]
    close(loss.backward(), (F.softmax(logits) - onehot) / 4)
    # L = −log ŷ_t for one point: the notes' loss for the true class t
    close(value, np.mean(-np.log(F.softmax(logits)[np.arange(4), labels])))


def test_cross_entropy_is_stable_at_huge_logits():
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = nn.CrossEntropyLoss()
        assert loss(logits, np.array([1, 1])) == pytest.approx(1e4)
        assert np.all(np.isfinite(loss.backward()))


@pytest.mark.parametrize("loss, pred, target", [
    (nn.MSELoss(), np.random.default_rng(0).normal(size=(3, 2)),
     np.random.default_rng(1).normal(size=(3, 2))),
    (nn.MSELoss(reduction="none"), np.random.default_rng(0).normal(size=(3, 2)), np.zeros((3, 2))),
    (nn.BCELoss(), np.random.default_rng(0).uniform(0.1, 0.9, size=(3, 2)), np.array([[0, 1.0]] * 3)),
    (nn.BCEWithLogitsLoss(pos_weight=np.array([2.0, 0.5])),
     np.random.default_rng(0).normal(size=(3, 2)), np.array([[0, 1.0]] * 3)),
    (nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 0.5]), label_smoothing=0.1, ignore_index=0),
     np.random.default_rng(0).normal(size=(4, 3)), np.array([0, 1, 2, 1])),
])
def test_losses_pass_gradcheck(loss, pred, target):
    check_loss(loss, pred, target)


def test_loss_errors_name_the_problem():
    with pytest.raises(ValueError, match="label 7 out of range for 5 classes"):
        nn.CrossEntropyLoss()(np.zeros((2, 5)), np.array([0, 7]))
    with pytest.raises(ValueError, match="label -1 out of range for 5 classes"):
        nn.CrossEntropyLoss()(np.zeros((2, 5)), np.array([-1, 0]))
    with pytest.raises(TypeError, match="integer class labels"):
        nn.CrossEntropyLoss()(np.zeros((2, 5)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"labels of shape \(2,\), got \(3,\)"):
        nn.CrossEntropyLoss()(np.zeros((2, 5)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="predictions in \\[0, 1\\].*got 1.5"):
        nn.BCELoss()(np.array([0.5, 1.5]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="targets in \\[0, 1\\], got -1.0"):
        nn.BCELoss()(np.array([0.5, 0.5]), np.array([0.0, -1.0]))
    with pytest.raises(ValueError, match="non-finite values in input.*index \\(1,\\)"):
        nn.MSELoss()(np.array([0.0, np.nan]), np.zeros(2))
    with pytest.raises(ValueError, match="non-finite values in input"):
        nn.CrossEntropyLoss()(np.array([[0.0, np.inf]]), np.array([0]))
    with pytest.raises(ValueError, match="non-finite values in target"):
        nn.BCEWithLogitsLoss()(np.zeros(2), np.array([0.0, np.inf]))
    with pytest.raises(ValueError, match="same shape.*\\(3,\\).*\\(2,\\)"):
        nn.MSELoss()(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.MSELoss(reduction="average")
    with pytest.raises(RuntimeError, match="before forward"):
        nn.CrossEntropyLoss().backward()


def test_losses_keep_float32():
    pred = np.full((3, 2), 0.3, dtype=np.float32)
    target = np.zeros((3, 2), dtype=np.float32)
    for loss in (nn.MSELoss(), nn.BCELoss(), nn.BCEWithLogitsLoss()):
        assert loss(pred, target).dtype == np.float32
        assert loss.backward().dtype == np.float32
    ce = nn.CrossEntropyLoss(label_smoothing=0.1)
    assert ce(pred, np.array([0, 1, 1])).dtype == np.float32
    assert ce.backward().dtype == np.float32


def test_loss_reprs():
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.CrossEntropyLoss(reduction="sum")) == "CrossEntropyLoss(reduction='sum')"
