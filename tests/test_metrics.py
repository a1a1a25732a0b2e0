import numpy as np
import pytest
from sklearn import metrics as skm

from dlcourse import metrics as m

AVERAGES = ["micro", "macro", "weighted", None]


def _binary(seed=0, n=200):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, n)
    y_pred = np.where(rng.random(n) < 0.8, y_true, 1 - y_true)
    return y_true, y_pred


def _multiclass(seed=0, n=300, k=4):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, k, n))
    return y_true, y_pred


def test_confusion_matrix_equals_sklearn():
    for y_true, y_pred in (_binary(), _multiclass()):
        np.testing.assert_array_equal(m.confusion_matrix(y_true, y_pred), skm.confusion_matrix(y_true, y_pred))
    y_true, y_pred = _multiclass(1)
    labels = [3, 0, 2]
    np.testing.assert_array_equal(
        m.confusion_matrix(y_true, y_pred, labels=labels),
        skm.confusion_matrix(y_true, y_pred, labels=labels),
    )


def test_confusion_matrix_with_string_labels():
    y_true = np.array(["cat", "dog", "dog", "bird", "cat"])
    y_pred = np.array(["cat", "cat", "dog", "bird", "bird"])
    np.testing.assert_array_equal(m.confusion_matrix(y_true, y_pred), skm.confusion_matrix(y_true, y_pred))


def test_binary_scores_equal_sklearn():
    y_true, y_pred = _binary()
    assert m.accuracy(y_true, y_pred) == pytest.approx(skm.accuracy_score(y_true, y_pred))
    assert m.accuracy(y_true, y_pred, normalize=False) == skm.accuracy_score(y_true, y_pred, normalize=False)
    for ours, theirs in [(m.precision, skm.precision_score), (m.recall, skm.recall_score),
                         (m.f1_score, skm.f1_score)]:
        assert ours(y_true, y_pred) == pytest.approx(theirs(y_true, y_pred))
        assert ours(y_true, y_pred, pos_label=0) == pytest.approx(theirs(y_true, y_pred, pos_label=0))
    # specificity is the recall of the negative class
    assert m.specificity(y_true, y_pred) == pytest.approx(skm.recall_score(y_true, y_pred, pos_label=0))
    assert m.sensitivity is m.recall


@pytest.mark.parametrize("average", AVERAGES)
@pytest.mark.parametrize("name", ["precision", "recall", "f1_score"])
def test_multiclass_scores_equal_sklearn(name, average):
    y_true, y_pred = _multiclass()
    ours = getattr(m, name)(y_true, y_pred, average=average)
    theirs = getattr(skm, name if name == "f1_score" else name + "_score")(
        y_true, y_pred, average=average, zero_division=0.0
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("average", AVERAGES)
def test_multiclass_scores_with_labels_subset_equal_sklearn(average):
    y_true, y_pred = _multiclass(2)
    for name in ("precision", "recall", "f1_score"):
        sk = getattr(skm, name if name == "f1_score" else name + "_score")
        np.testing.assert_allclose(
            getattr(m, name)(y_true, y_pred, average=average, labels=[1, 3]),
            sk(y_true, y_pred, average=average, labels=[1, 3], zero_division=0.0),
        )


def test_multiclass_specificity_from_counts():
    y_true, y_pred = _multiclass()
    C = skm.confusion_matrix(y_true, y_pred)
    tp = np.diag(C)
    fp = C.sum(0) - tp
    tn = C.sum() - C.sum(0) - C.sum(1) + tp
    per_class = tn / (tn + fp)
    np.testing.assert_allclose(m.specificity(y_true, y_pred, average=None), per_class)
    assert m.specificity(y_true, y_pred, average="macro") == pytest.approx(per_class.mean())
    assert m.specificity(y_true, y_pred, average="micro") == pytest.approx(tn.sum() / (tn + fp).sum())


def test_micro_average_equals_accuracy_for_multiclass():
    y_true, y_pred = _multiclass()
    acc = m.accuracy(y_true, y_pred)
    for f in (m.precision, m.recall, m.f1_score):
        assert f(y_true, y_pred, average="micro") == pytest.approx(acc)


def test_hand_counts_from_the_notes_formulas():
    # TP = 3, FN = 1, FP = 2, TN = 4
    y_true = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    y_pred = np.array([1, 1, 1, 0, 1, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(m.confusion_matrix(y_true, y_pred), [[4, 2], [1, 3]])
    assert m.accuracy(y_true, y_pred) == pytest.approx(7 / 10)
    assert m.precision(y_true, y_pred) == pytest.approx(3 / 5)
    assert m.recall(y_true, y_pred) == pytest.approx(3 / 4)
    assert m.specificity(y_true, y_pred) == pytest.approx(4 / 6)
    assert m.f1_score(y_true, y_pred) == pytest.approx(6 / 9)


def test_zero_division_convention():
    y_true = np.array([0, 0, 1, 1])
    y_pred = np.zeros(4, dtype=int)  # nothing predicted positive: precision is 0/0
    assert m.precision(y_true, y_pred) == 0.0
    assert m.precision(y_true, y_pred, zero_division=1.0) == 1.0
    assert m.precision(y_true, y_pred) == skm.precision_score(y_true, y_pred, zero_division=0.0)
    assert m.f1_score(np.zeros(4), np.zeros(4)) == skm.f1_score(np.zeros(4), np.zeros(4), zero_division=0.0)


def test_binary_refuses_more_than_two_classes():
    with pytest.raises(ValueError, match=r"average='binary' needs two classes .*\[0, 1, 2\]"):
        m.precision([0, 1, 2], [0, 1, 1])
    with pytest.raises(ValueError, match="pos_label=1 is not one of the labels"):
        m.recall(["a", "b"], ["a", "b"])
    with pytest.raises(ValueError, match="average must be one of"):
        m.recall([0, 1], [0, 1], average="samples")


def test_length_mismatch_is_reported_with_shapes():
    with pytest.raises(ValueError, match=r"same shape, got \(3,\) and \(2,\)"):
        m.accuracy([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match=r"\(3,\) and \(2,\)"):
        m.f1_score([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match=r"\(3,\) and \(4,\)"):
        m.mse([0.0, 1.0, 2.0], [0.0, 1.0, 2.0, 3.0])


def test_regression_metrics_equal_sklearn():
    rng = np.random.default_rng(0)
    y = rng.normal(size=50)
    y_hat = y + rng.normal(scale=0.3, size=50)
    assert m.mse(y, y_hat) == pytest.approx(skm.mean_squared_error(y, y_hat))
    assert m.rmse(y, y_hat) == pytest.approx(np.sqrt(skm.mean_squared_error(y, y_hat)))
    assert m.mae(y, y_hat) == pytest.approx(skm.mean_absolute_error(y, y_hat))
    assert m.r2_score(y, y_hat) == pytest.approx(skm.r2_score(y, y_hat))
    Y = rng.normal(size=(40, 3))
    Y_hat = Y + rng.normal(scale=[0.1, 0.5, 1.0], size=(40, 3))
    for multioutput in ("uniform_average", "raw_values"):
        np.testing.assert_allclose(m.mse(Y, Y_hat, multioutput=multioutput),
                                   skm.mean_squared_error(Y, Y_hat, multioutput=multioutput))
        np.testing.assert_allclose(m.r2_score(Y, Y_hat, multioutput=multioutput),
                                   skm.r2_score(Y, Y_hat, multioutput=multioutput))


def test_r2_special_cases():
    y = np.array([1.0, 2.0, 3.0])
    assert m.r2_score(y, y) == 1.0
    assert m.r2_score(y, np.full(3, 2.0)) == 0.0  # predicting the mean
    assert m.r2_score(y, np.array([3.0, 2.0, 1.0])) < 0
    const = np.full(3, 5.0)
    assert m.r2_score(const, const) == skm.r2_score(const, const) == 1.0
    assert m.r2_score(const, const + 1) == skm.r2_score(const, const + 1) == 0.0


def test_r2_is_one_minus_mse_over_variance_on_notes_line():
    from dlcourse.datasets import line_points

    x, y = line_points()
    assert m.r2_score(y, 0.5 * x[:, 0] - 1.5) == 1.0
    y_hat = 0.4 * x[:, 0] - 1.0
    assert m.r2_score(y, y_hat) == pytest.approx(1 - m.mse(y, y_hat) / y.var())


# -- ROC and AUC -------------------------------------------------------------------------


def _ranked(seed=0, n=120, ties=False):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, n)
    y_score = y_true * 0.8 + rng.normal(size=n)
    return y_true, (np.round(y_score, 1) if ties else y_score)


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("drop", [True, False])
def test_roc_curve_equals_sklearn(ties, drop):
    for seed in range(3):
        y_true, y_score = _ranked(seed, ties=ties)
        ours = m.roc_curve(y_true, y_score, drop_intermediate=drop)
        theirs = skm.roc_curve(y_true, y_score, drop_intermediate=drop)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-15)


def test_roc_curve_with_another_positive_label():
    y_true = np.array(["spam", "ham", "spam", "ham", "ham"])
    y_score = np.array([0.9, 0.2, 0.4, 0.5, 0.1])
    for a, b in zip(m.roc_curve(y_true, y_score, pos_label="spam"),
                    skm.roc_curve(y_true, y_score, pos_label="spam")):
        np.testing.assert_allclose(a, b)


@pytest.mark.parametrize("ties", [False, True])
def test_roc_auc_equals_sklearn_and_the_pair_count(ties):
    for seed in range(4):
        y_true, y_score = _ranked(seed, ties=ties)
        assert m.roc_auc_score(y_true, y_score) == pytest.approx(skm.roc_auc_score(y_true, y_score), abs=1e-15)
        pos, neg = y_score[y_true == 1], y_score[y_true == 0]
        pairs = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
        assert m.roc_auc_score(y_true, y_score) == pytest.approx(pairs, abs=1e-12)


def test_auc_extremes_and_sklearn_auc():
    assert m.roc_auc_score([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == 1.0
    assert m.roc_auc_score([0, 0, 1, 1], [0.4, 0.3, 0.2, 0.1]) == 0.0
    assert m.roc_auc_score([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == 0.5
    x, y = np.array([0.0, 0.2, 0.5, 1.0]), np.array([0.0, 0.6, 0.7, 1.0])
    assert m.auc(x, y) == pytest.approx(skm.auc(x, y))
    assert m.auc(x[::-1], y[::-1]) == pytest.approx(skm.auc(x[::-1], y[::-1]))


def test_roc_errors_name_the_problem():
    with pytest.raises(ValueError, match="both positive"):
        m.roc_auc_score([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="two classes"):
        m.roc_curve([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="finite"):
        m.roc_curve([0, 1], [0.1, np.nan])
    with pytest.raises(ValueError, match="neither increasing nor decreasing"):
        m.auc([0, 1, 0.5], [0, 1, 1])
