"""Evaluation metrics (chapter 1, "Evaluating models"; regression metrics from
the linear-regression notes). Names and arguments follow ``sklearn.metrics``.

Classification, from the confusion counts of a class (TP, FP, FN, TN)::

    accuracy    = (TP + TN) / (TP + FP + FN + TN)
    precision   = TP / (TP + FP)              positive predictive value
    recall      = TP / (TP + FN)              = sensitivity, true positive rate
    specificity = TN / (TN + FP)              true negative rate
    F1          = 2·TP / (2·TP + FP + FN)     harmonic mean of precision and recall

Ranking (a score per sample, higher meaning "more positive")::

    TPR(t) = TP(t) / P,   FPR(t) = FP(t) / N     predicting positive when score >= t
    ROC    = the curve (FPR(t), TPR(t)) as t falls from +inf to the lowest score
    AUC    = area under it = P(score of a random positive > score of a random negative),
             ties counted one half

Regression::

    MSE  = (1/N) Σ (ŷ − y)²,   RMSE = √MSE
    R²   = 1 − Σ (ŷ − y)² / Σ (ȳ − y)²        = 1 − MSE / variance

``average`` for the multi-class scores, as scikit-learn: "binary" (only the
class ``pos_label``), "micro" (pool the counts of all classes), "macro"
(plain mean over classes), "weighted" (mean weighted by each class's number
of true samples) or None (one score per class, in ``labels`` order).

0/0 convention: a ratio whose denominator is 0 (e.g. precision when nothing
was predicted positive) is ``zero_division`` (0.0 by default, which is what
scikit-learn returns, without its warning). R² of a constant target is 1.0
for a perfect prediction and 0.0 otherwise, as scikit-learn.
"""

import numpy as np

__all__ = [
    "confusion_matrix",
    "accuracy",
    "precision",
    "recall",
    "sensitivity",
    "specificity",
    "f1_score",
    "roc_curve",
    "auc",
    "roc_auc_score",
    "mse",
    "rmse",
    "mae",
    "r2_score",
    "accuracy_score",
    "precision_score",
    "recall_score",
    "mean_squared_error",
]

_AVERAGES = ("binary", "micro", "macro", "weighted", None)


def _pair(y_true, y_pred, who):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{who}: y_true and y_pred must have the same shape, got {y_true.shape} and {y_pred.shape}"
        )
    if y_true.size == 0:
        raise ValueError(f"{who}: got empty arrays")
    return y_true, y_pred


def _labels_1d(y_true, y_pred, who):
    y_true, y_pred = _pair(y_true, y_pred, who)
    if y_true.ndim != 1:
        raise ValueError(f"{who}: labels must be 1-D arrays (N,), got shape {y_true.shape}")
    return y_true, y_pred


def _ratio(num, den, zero_division):
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    safe = np.where(den == 0, 1.0, den)
    return np.where(den == 0, zero_division, num / safe)


def confusion_matrix(y_true, y_pred, labels=None):
    """C[i, j] = number of samples of true class labels[i] predicted as labels[j].

    Rows are true classes, columns predicted, in ``labels`` order (default:
    sorted union of the values seen). For 0/1 labels this is
    [[TN, FP], [FN, TP]], scikit-learn's layout; the notes draw the same
    table with the positive class first. Samples whose label is not in
    ``labels`` are ignored. Returns an int64 array (k, k).
    """
    y_true, y_pred = _labels_1d(y_true, y_pred, "confusion_matrix")
    if labels is None:
        labels = np.union1d(y_true, y_pred)
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"labels must be a non-empty 1-D list, got {labels!r}")
    if np.unique(labels).size != labels.size:
        raise ValueError(f"labels must be distinct, got {labels.tolist()}")
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    k = labels.size

    def positions(values):
        idx = np.clip(np.searchsorted(sorted_labels, values), 0, k - 1)
        return order[idx], sorted_labels[idx] == values

    t, t_ok = positions(y_true)
    p, p_ok = positions(y_pred)
    keep = t_ok & p_ok
    return np.bincount(t[keep] * k + p[keep], minlength=k * k).reshape(k, k).astype(np.int64)


def accuracy(y_true, y_pred, normalize=True):
    """Fraction (or, with ``normalize=False``, number) of exact matches."""
    y_true, y_pred = _pair(y_true, y_pred, "accuracy")
    correct = y_true == y_pred
    if correct.ndim > 1:  # multi-label rows count only when entirely right
        correct = correct.reshape(len(correct), -1).all(axis=1)
    return float(correct.mean()) if normalize else int(correct.sum())


def _class_counts(y_true, y_pred, labels):
    """Per-class (TP, FP, FN, TN), each class against all other samples."""
    labels = np.union1d(y_true, y_pred) if labels is None else np.asarray(labels)
    is_true = y_true[:, None] == labels[None, :]
    is_pred = y_pred[:, None] == labels[None, :]
    tp = (is_true & is_pred).sum(axis=0)
    fp = (~is_true & is_pred).sum(axis=0)
    fn = (is_true & ~is_pred).sum(axis=0)
    tn = len(y_true) - tp - fp - fn
    return tp, fp, fn, tn


def _score(num_fn, den_fn, y_true, y_pred, average, pos_label, labels, zero_division, who):
    """Shared body of precision / recall / specificity / F1 for every ``average``."""
    if average not in _AVERAGES:
        raise ValueError(f"{who}: average must be one of {_AVERAGES}, got {average!r}")
    y_true, y_pred = _labels_1d(y_true, y_pred, who)
    if average == "binary":
        present = np.union1d(y_true, y_pred)
        if present.size > 2:
            raise ValueError(
                f"{who}: average='binary' needs two classes but the labels are {present.tolist()}; "
                "choose average='micro', 'macro', 'weighted' or None"
            )
        if present.size == 2 and pos_label not in present:
            raise ValueError(f"{who}: pos_label={pos_label!r} is not one of the labels {present.tolist()}")
        labels = [pos_label]
    tp, fp, fn, tn = _class_counts(y_true, y_pred, labels)
    if average == "micro":
        tp, fp, fn, tn = tp.sum(), fp.sum(), fn.sum(), tn.sum()
    per_class = _ratio(num_fn(tp, fp, fn, tn), den_fn(tp, fp, fn, tn), zero_division)
    if average is None:
        return per_class
    if average == "macro":
        return float(per_class.mean())
    if average == "weighted":
        support = tp + fn
        if support.sum() == 0:
            return float(zero_division)
        return float(np.average(per_class, weights=support))
    return float(per_class.reshape(-1)[0]) if per_class.ndim else float(per_class)


def precision(y_true, y_pred, average="binary", pos_label=1, labels=None, zero_division=0.0):
    """TP / (TP + FP): of the samples predicted positive, the fraction that are."""
    return _score(lambda tp, fp, fn, tn: tp, lambda tp, fp, fn, tn: tp + fp,
                  y_true, y_pred, average, pos_label, labels, zero_division, "precision")


def recall(y_true, y_pred, average="binary", pos_label=1, labels=None, zero_division=0.0):
    """TP / (TP + FN): of the positive samples, the fraction found (sensitivity)."""
    return _score(lambda tp, fp, fn, tn: tp, lambda tp, fp, fn, tn: tp + fn,
                  y_true, y_pred, average, pos_label, labels, zero_division, "recall")


sensitivity = recall


def specificity(y_true, y_pred, average="binary", pos_label=1, labels=None, zero_division=0.0):
    """TN / (TN + FP): of the negative samples, the fraction recognised as such.

    Not in scikit-learn; for two classes it equals the recall of the other class.
    """
    return _score(lambda tp, fp, fn, tn: tn, lambda tp, fp, fn, tn: tn + fp,
                  y_true, y_pred, average, pos_label, labels, zero_division, "specificity")


def f1_score(y_true, y_pred, average="binary", pos_label=1, labels=None, zero_division=0.0):
    """2·TP / (2·TP + FP + FN), the harmonic mean of precision and recall."""
    return _score(lambda tp, fp, fn, tn: 2 * tp, lambda tp, fp, fn, tn: 2 * tp + fp + fn,
                  y_true, y_pred, average, pos_label, labels, zero_division, "f1_score")


# ---------------------------------------------------------------------------
# Ranking: the ROC curve and the area under it
# ---------------------------------------------------------------------------


def _binary_scores(y_true, y_score, pos_label, who):
    y_true, y_score = _labels_1d(y_true, y_score, who)
    y_score = np.asarray(y_score, dtype=np.float64)
    if not np.isfinite(y_score).all():
        raise ValueError(f"{who}: y_score must be finite numbers")
    classes = np.unique(y_true)
    if classes.size > 2:
        raise ValueError(f"{who}: y_true must hold two classes, got {classes.tolist()}")
    positive = y_true == pos_label
    if positive.all() or not positive.any():
        raise ValueError(
            f"{who}: y_true needs both positive (== {pos_label!r}) and negative samples; "
            "with one class the rates TP/P or FP/N are 0/0"
        )
    return positive, y_score


def roc_curve(y_true, y_score, pos_label=1, drop_intermediate=True):
    """The ROC curve ``(fpr, tpr, thresholds)``, as ``sklearn.metrics.roc_curve``.

    ``thresholds`` are the distinct scores from the highest down, preceded by
    +inf (nothing predicted positive: the point (0, 0)); at threshold t a
    sample is predicted positive when its score is >= t, and
    ``fpr = FP / N``, ``tpr = TP / P`` there. ``drop_intermediate`` removes
    the points that lie on a straight segment between their neighbours
    (they change neither the curve nor its area).
    """
    positive, y_score = _binary_scores(y_true, y_score, pos_label, "roc_curve")
    order = np.argsort(-y_score, kind="stable")
    score, hit = y_score[order], positive[order]
    last_of_each_score = np.r_[np.flatnonzero(np.diff(score)), score.size - 1]
    tps = np.cumsum(hit)[last_of_each_score]
    fps = 1 + last_of_each_score - tps
    thresholds = score[last_of_each_score]
    if drop_intermediate and fps.size > 2:
        corner = np.r_[True, (np.diff(fps, 2) != 0) | (np.diff(tps, 2) != 0), True]
        fps, tps, thresholds = fps[corner], tps[corner], thresholds[corner]
    fps, tps = np.r_[0, fps], np.r_[0, tps]
    return fps / fps[-1], tps / tps[-1], np.r_[np.inf, thresholds]


def auc(x, y):
    """Area under a curve through the points (x, y) by the trapezoidal rule;
    ``x`` must be monotonic (increasing or decreasing)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or x.size < 2:
        raise ValueError(f"auc needs two 1-D arrays of the same length >= 2, got shapes {x.shape} and {y.shape}")
    dx = np.diff(x)
    if (dx < 0).any() and (dx > 0).any():
        raise ValueError("auc: x is neither increasing nor decreasing")
    area = float(np.sum(dx * (y[1:] + y[:-1]) / 2))
    return -area if (dx <= 0).all() and (dx < 0).any() else area


def roc_auc_score(y_true, y_score, pos_label=1):
    """Area under the ROC curve of a binary problem (``sklearn.metrics.roc_auc_score``).

    Equal to the fraction of (positive, negative) pairs whose positive has the
    higher score, a tie counting one half (the Mann–Whitney statistic):
    0.5 for scores that carry no information, 1 for a perfect ranking.
    """
    fpr, tpr, _ = roc_curve(y_true, y_score, pos_label=pos_label, drop_intermediate=False)
    return auc(fpr, tpr)


# ---------------------------------------------------------------------------
# Regression
# ---------------------------------------------------------------------------

_MULTIOUTPUT = ("uniform_average", "raw_values")


def _regression_pair(y_true, y_pred, multioutput, who):
    if multioutput not in _MULTIOUTPUT:
        raise ValueError(f"{who}: multioutput must be one of {_MULTIOUTPUT}, got {multioutput!r}")
    y_true, y_pred = _pair(y_true, y_pred, who)
    if y_true.ndim > 2:
        raise ValueError(f"{who}: targets must be (N,) or (N, outputs), got shape {y_true.shape}")
    y_true = y_true.reshape(len(y_true), -1).astype(np.result_type(y_true.dtype, np.float64))
    return y_true, y_pred.reshape(len(y_pred), -1)


def _reduce(per_output, multioutput):
    return per_output if multioutput == "raw_values" else float(per_output.mean())


def mse(y_true, y_pred, multioutput="uniform_average"):
    """Mean squared error (1/N) Σ (ŷ − y)² (per output column, then averaged)."""
    y_true, y_pred = _regression_pair(y_true, y_pred, multioutput, "mse")
    return _reduce(((y_pred - y_true) ** 2).mean(axis=0), multioutput)


def rmse(y_true, y_pred, multioutput="uniform_average"):
    """Root mean squared error √MSE (per output column, then averaged)."""
    y_true, y_pred = _regression_pair(y_true, y_pred, multioutput, "rmse")
    return _reduce(np.sqrt(((y_pred - y_true) ** 2).mean(axis=0)), multioutput)


def mae(y_true, y_pred, multioutput="uniform_average"):
    """Mean absolute error (1/N) Σ |ŷ − y|."""
    y_true, y_pred = _regression_pair(y_true, y_pred, multioutput, "mae")
    return _reduce(np.abs(y_pred - y_true).mean(axis=0), multioutput)


def r2_score(y_true, y_pred, multioutput="uniform_average"):
    """Coefficient of determination 1 − Σ (ŷ − y)² / Σ (ȳ − y)².

    1 is a perfect fit, 0 is as good as always predicting the mean, and it
    is negative for worse models. A constant target gives 1.0 if predicted
    exactly and 0.0 otherwise.
    """
    y_true, y_pred = _regression_pair(y_true, y_pred, multioutput, "r2_score")
    residual = ((y_true - y_pred) ** 2).sum(axis=0)
    total = ((y_true - y_true.mean(axis=0)) ** 2).sum(axis=0)
    constant = total == 0
    safe_total = np.where(constant, 1.0, total)
    r2 = np.where(constant, np.where(residual == 0, 1.0, 0.0), 1.0 - residual / safe_total)
    return _reduce(r2, multioutput)


# scikit-learn's names for the same functions
accuracy_score = accuracy
precision_score = precision
recall_score = recall
mean_squared_error = mse
