"""The chapter 10 checks accept correct answers written in different ways and
reject the usual wrong ones with a message that says what went wrong."""

import math

import numpy as np
import pytest

from dlcourse.checks import ch10, core
from dlcourse.checks.core import CheckFailure
from dlcourse.search import LogUniform, random_search as library_random_search
from tests.check_tools import assert_no_hidden_case_ships, judged_outside
from tests.conftest import ROOT


def _fails(check, *students, fragments=(), hidden=False):
    with pytest.raises(CheckFailure) as failure:
        check(*students, hidden=hidden)
    message = str(failure.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def _stub(*args, **kwargs):
    raise NotImplementedError()


# -- solutions as the notebook writes them, and in other styles ------------------------------


def confusion_solution(y_true, y_pred, n_classes):
    C = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(C, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return C


def confusion_loop(y_true, y_pred, n_classes):
    C = [[0] * n_classes for _ in range(n_classes)]
    for t, p in zip(y_true, y_pred):
        C[t][p] += 1
    return np.array(C)


def confusion_onehot(y_true, y_pred, n_classes):
    eye = np.eye(n_classes, dtype=int)
    return eye[y_true].T @ eye[y_pred]


def metrics_solution(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    tp = int(np.sum((y_true == 1) & (y_pred == 1)))
    fp = int(np.sum((y_true == 0) & (y_pred == 1)))
    fn = int(np.sum((y_true == 1) & (y_pred == 0)))
    tn = int(np.sum((y_true == 0) & (y_pred == 0)))

    def ratio(a, b):
        return a / b if b else 0.0

    return {"TP": tp, "FP": fp, "FN": fn, "TN": tn, "accuracy": (tp + tn) / len(y_true),
            "sensitivity": ratio(tp, tp + fn), "specificity": ratio(tn, tn + fp),
            "precision": ratio(tp, tp + fp), "f1": ratio(2 * tp, 2 * tp + fp + fn)}


def metrics_from_confusion(y_true, y_pred):
    (tn, fp), (fn, tp) = confusion_solution(y_true, y_pred, 2)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"TP": tp, "FP": fp, "FN": fn, "TN": tn, "accuracy": np.mean(np.asarray(y_true) == y_pred),
            "sensitivity": r, "specificity": tn / (tn + fp) if tn + fp else 0.0, "precision": p,
            "f1": 2 * p * r / (p + r) if p + r else 0.0}  # the harmonic mean: the same number


def metrics_loop(y_true, y_pred):
    counts = {"TP": 0, "FP": 0, "FN": 0, "TN": 0}
    for t, p in zip(y_true, y_pred):
        counts[("T" if t == p else "F") + ("P" if p == 1 else "N")] += 1
    tp, fp, fn, tn = counts["TP"], counts["FP"], counts["FN"], counts["TN"]
    with np.errstate(invalid="ignore", divide="ignore"):
        safe = lambda a, b: float(np.nan_to_num(np.float64(a) / b))  # noqa: E731
        return {**counts, "accuracy": (tp + tn) / (tp + fp + fn + tn), "sensitivity": safe(tp, tp + fn),
                "specificity": safe(tn, tn + fp), "precision": safe(tp, tp + fp),
                "f1": safe(2 * tp, 2 * tp + fp + fn)}


def auc_solution(y_true, scores):
    pos, neg = scores[y_true == 1], scores[y_true == 0]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return wins / (len(pos) * len(neg))


def auc_loop(y_true, scores):
    total, pairs = 0.0, 0
    for yi, si in zip(y_true, scores):
        for yj, sj in zip(y_true, scores):
            if yi == 1 and yj == 0:
                pairs += 1
                total += 1.0 if si > sj else 0.5 if si == sj else 0.0
    return total / pairs


def auc_ranks(y_true, scores):
    # Mann–Whitney: the sum of the positives' average ranks
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[inverse]
    P, N = np.sum(y_true == 1), np.sum(y_true == 0)
    return (ranks[y_true == 1].sum() - P * (P + 1) / 2) / (P * N)


def kfold_solution(n_samples, k):
    sizes = np.full(k, n_samples // k)
    sizes[: n_samples % k] += 1
    folds, start = [], 0
    for size in sizes:
        test = np.arange(start, start + size)
        train = np.r_[np.arange(start), np.arange(start + size, n_samples)]
        folds.append((train, test))
        start += size
    return folds


def kfold_array_split(n_samples, k):
    everything = np.arange(n_samples)
    return [(np.setdiff1d(everything, test), test) for test in np.array_split(everything, k)]


def kfold_lists(n_samples, k):
    folds, start = [], 0
    for i in range(k):
        size = n_samples // k + (1 if i < n_samples % k else 0)
        test = list(range(start, start + size))
        folds.append(([j for j in range(n_samples) if not start <= j < start + size], test))
        start += size
    return folds


def cv_solution(fit_predict, X, y, k):
    scores = []
    for train, test in kfold_solution(len(y), k):
        scores.append(np.mean(fit_predict(X[train], y[train], X[test]) == y[test]))
    return np.array(scores)


def cv_other(fit_predict, X, y, k):
    return [float(sum(p == t for p, t in zip(fit_predict(X[tr], y[tr], X[te]), y[te]))) / len(te)
            for tr, te in kfold_array_split(len(y), k)]


def cv_masks(fit_predict, X, y, k):
    fold = np.repeat(np.arange(k), [len(t) for _, t in kfold_solution(len(y), k)])
    return np.array([(fit_predict(X[fold != i], y[fold != i], X[fold == i]) == y[fold == i]).mean()
                     for i in range(k)])


def bootstrap_solution(fit_predict, X, y, n_bootstraps, rng):
    n = len(y)
    err_train = np.mean(fit_predict(X, y, X) != y)
    errors = []
    for _ in range(n_bootstraps):
        drawn = rng.integers(0, n, size=n)
        oob = np.setdiff1d(np.arange(n), drawn)
        if len(oob) > 0:
            errors.append(np.mean(fit_predict(X[drawn], y[drawn], X[oob]) != y[oob]))
    err_oob = np.mean(errors)
    return err_train, err_oob, 0.368 * err_train + 0.632 * err_oob


def bootstrap_mask(fit_predict, X, y, n_bootstraps, rng):
    n = len(y)
    draws = [rng.integers(0, n, size=n) for _ in range(n_bootstraps)]
    errors = []
    for drawn in draws:
        out = np.ones(n, bool)
        out[drawn] = False
        if out.any():
            errors.append(1 - np.mean(fit_predict(X[drawn], y[drawn], X[out]) == y[out]))
    err_train = 1 - np.mean(fit_predict(X, y, X) == y)
    err_oob = sum(errors) / len(errors)
    return [err_train, err_oob, err_train + 0.632 * (err_oob - err_train)]


def bootstrap_accuracies(fit_predict, X, y, n_bootstraps, rng):
    # the notes' form: combine the accuracies, then turn the result into an error
    n = len(y)
    acc_all = np.mean(fit_predict(X, y, X) == y)
    combined = []
    for _ in range(n_bootstraps):
        drawn = rng.integers(0, n, size=n)
        oob = np.array(sorted(set(range(n)) - set(drawn.tolist())), dtype=int)
        if oob.size:
            combined.append(0.632 * np.mean(fit_predict(X[drawn], y[drawn], X[oob]) == y[oob]) + 0.368 * acc_all)
    acc_oob = (np.mean(combined) - 0.368 * acc_all) / 0.632
    return 1 - acc_all, 1 - acc_oob, 1 - np.mean(combined)


def search_solution(score_fn, n_trials, lr_range, wd_range, rng):
    rows = []
    for _ in range(n_trials):
        lr = 10 ** rng.uniform(np.log10(lr_range[0]), np.log10(lr_range[1]))
        wd = 10 ** rng.uniform(np.log10(wd_range[0]), np.log10(wd_range[1]))
        rows.append([lr, wd, score_fn(lr, wd)])
    return np.array(rows)


def search_natural_log(score_fn, n_trials, lr_range, wd_range, rng):
    out = np.empty((n_trials, 3))
    for i in range(n_trials):
        out[i, 0] = math.exp(rng.uniform(math.log(lr_range[0]), math.log(lr_range[1])))
        out[i, 1] = math.exp(rng.uniform(math.log(wd_range[0]), math.log(wd_range[1])))
        out[i, 2] = score_fn(out[i, 0], out[i, 1])
    return out


def search_from_random(score_fn, n_trials, lr_range, wd_range, rng):
    trials = []
    for _ in range(n_trials):
        a, b = np.log10(lr_range)
        lr = 10 ** (a + (b - a) * rng.random())
        c, d = np.log10(wd_range)
        wd = 10 ** (c + (d - c) * rng.random())
        trials.append((lr, wd, score_fn(lr, wd)))
    return trials


# -- the reference solutions and the other styles pass ----------------------------------------


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("check, students", [
    (ch10.confusion_matrix, [confusion_solution, confusion_loop, confusion_onehot]),
    (ch10.binary_metrics, [metrics_solution, metrics_from_confusion, metrics_loop]),
    (ch10.roc_auc, [auc_solution, auc_loop, auc_ranks]),
    (ch10.kfold_indices, [kfold_solution, kfold_array_split, kfold_lists]),
    (ch10.bootstrap_632, [bootstrap_solution, bootstrap_mask, bootstrap_accuracies]),
    (ch10.random_search, [search_solution, search_natural_log, search_from_random]),
])
def test_correct_answers_pass(check, students, hidden, capsys):
    for student in students:
        check(student, hidden=hidden)
    assert "\u2713" in capsys.readouterr().out


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("student", [cv_solution, cv_other, cv_masks])
def test_cross_val_score_answers_pass(student, hidden):
    ch10.cross_val_score(student, kfold_solution, hidden=hidden)
    ch10.cross_val_score(student, hidden=hidden)


@pytest.mark.parametrize("hidden", [False, True])
def test_stub_fails(hidden):
    for check in (ch10.confusion_matrix, ch10.binary_metrics, ch10.roc_auc, ch10.kfold_indices, ch10.bootstrap_632,
                  ch10.random_search):
        _fails(check, _stub, fragments=["not implemented yet"], hidden=hidden)
    _fails(ch10.cross_val_score, _stub, kfold_solution, fragments=["not implemented yet"], hidden=hidden)
    _fails(ch10.cross_val_score, cv_solution, _stub, fragments=["fix exercise 4 first", "not implemented"],
           hidden=hidden)


# -- typical wrong answers, each with its own hint ------------------------------------------------


def test_confusion_transposed_fails():
    _fails(ch10.confusion_matrix, lambda t, p, k: confusion_solution(p, t, k),
           fragments=["TP = 3, FN = 1", "rows are the true classes"])


def test_confusion_sized_by_the_labels_seen_fails():
    def seen(y_true, y_pred, n_classes):
        k = len(np.unique(np.r_[y_true, y_pred]))
        C = np.zeros((k, k), int)
        np.add.at(C, (y_true, y_pred), 1)
        return C

    _fails(ch10.confusion_matrix, seen, fragments=["four classes, two never seen", "wrong shape"])


def test_confusion_counting_only_the_diagonal_fails():
    def diagonal(y_true, y_pred, n_classes):
        return np.diag(np.bincount(np.asarray(y_true)[np.asarray(y_true) == y_pred], minlength=n_classes))

    _fails(ch10.confusion_matrix, diagonal, fragments=["add up to the number of samples"])


def test_confusion_changing_the_callers_labels_fails():
    def sorts(y_true, y_pred, n_classes):
        result = confusion_solution(y_true, y_pred, n_classes)
        y_true.sort()
        return result

    _fails(ch10.confusion_matrix, sorts, fragments=["changed its argument `y_true` in place"])


def test_metrics_nan_for_a_class_never_predicted_fails():
    def nan_precision(y_true, y_pred):
        result = metrics_solution(y_true, y_pred)
        if result["TP"] + result["FP"] == 0:
            result["precision"] = float("nan")
        return result

    _fails(ch10.binary_metrics, nan_precision, fragments=["always predicting 0", "precision is 0/0", "return 0.0"])


def test_metrics_swapped_sensitivity_and_specificity_fails():
    def swapped(y_true, y_pred):
        result = metrics_solution(y_true, y_pred)
        result["sensitivity"], result["specificity"] = result["specificity"], result["sensitivity"]
        return result

    _fails(ch10.binary_metrics, swapped, fragments=["you returned the specificity as the sensitivity"])


def test_metrics_positive_class_zero_fails():
    def zero_positive(y_true, y_pred):
        return metrics_solution(1 - np.asarray(y_true), 1 - np.asarray(y_pred))

    _fails(ch10.binary_metrics, zero_positive, fragments=["1 is the positive class", "type I error"])


def test_metrics_precision_as_recall_fails():
    def recall_twice(y_true, y_pred):
        result = metrics_solution(y_true, y_pred)
        result["precision"] = result["sensitivity"]
        return result

    _fails(ch10.binary_metrics, recall_twice, fragments=["you returned the sensitivity as the precision"])


def test_metrics_missing_key_fails():
    def no_f1(y_true, y_pred):
        result = metrics_solution(y_true, y_pred)
        del result["f1"]
        return result

    _fails(ch10.binary_metrics, no_f1, fragments=["exactly the keys", "'f1'"])


def test_auc_ignoring_ties_fails():
    def strict(y_true, scores):
        pos, neg = scores[y_true == 1], scores[y_true == 0]
        return np.mean(pos[:, None] > neg[None, :])

    _fails(ch10.roc_auc, strict, fragments=["every score equal", "counts one half"])


def test_auc_with_the_classes_swapped_fails():
    _fails(ch10.roc_auc, lambda y, s: auc_solution(1 - y, s), fragments=["one pair in four", "1 is the positive class"])


def test_auc_over_all_pairs_fails():
    def all_pairs(y_true, scores):
        pos, neg = scores[y_true == 1], scores[y_true == 0]
        return ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / len(y_true) ** 2

    _fails(ch10.roc_auc, all_pairs, fragments=["number of positives * number of negatives"])


def test_auc_calling_the_library_fails():
    from dlcourse import metrics

    _fails(ch10.roc_auc, lambda y, s: metrics.roc_auc_score(y, s), fragments=["reference implementation"])


def test_kfold_remainder_in_the_last_fold_fails():
    def last_longer(n_samples, k):
        size = n_samples // k
        folds = []
        for i in range(k):
            stop = n_samples if i == k - 1 else (i + 1) * size
            test = np.arange(i * size, stop)
            folds.append((np.setdiff1d(np.arange(n_samples), test), test))
        return folds

    _fails(ch10.kfold_indices, last_longer, fragments=["N = 23, k = 10", "the first 3 folds"])


def test_kfold_shuffled_fails():
    def shuffled(n_samples, k):
        order = np.random.default_rng(0).permutation(n_samples)
        return [(np.setdiff1d(order, t), np.sort(t)) for t in np.array_split(order, k)]

    _fails(ch10.kfold_indices, shuffled, fragments=["consecutive block", "do not shuffle"])


def test_kfold_training_set_holding_the_test_block_fails():
    def everything(n_samples, k):
        return [(np.arange(n_samples), test) for _, test in kfold_solution(n_samples, k)]

    _fails(ch10.kfold_indices, everything, fragments=["the training indices of fold 0", "without the test block"])


def test_kfold_returning_only_the_test_folds_fails():
    _fails(ch10.kfold_indices, lambda n, k: np.array_split(np.arange(n), k), fragments=["pair (train, test)"])


def test_cv_returning_the_mean_fails():
    _fails(ch10.cross_val_score, lambda *a: float(np.mean(cv_solution(*a))), kfold_solution,
           fragments=["not their mean"])


def test_cv_returning_errors_fails():
    _fails(ch10.cross_val_score, lambda *a: 1 - cv_solution(*a), kfold_solution,
           fragments=["that is the error of each fold"])


def test_cv_fitting_on_everything_fails():
    def leaky(fit_predict, X, y, k):
        return np.array([np.mean(fit_predict(X, y, X[test]) == y[test]) for _, test in kfold_solution(len(y), k)])

    _fails(ch10.cross_val_score, leaky, kfold_solution, fragments=["fit on that fold's training items only"])


def test_cv_with_a_wrong_kfold_says_to_fix_exercise_3():
    _fails(ch10.cross_val_score, cv_solution, lambda n, k: kfold_solution(n, k)[::-1],
           fragments=["fix exercise 4 first"])


def test_bootstrap_swapped_weights_fails():
    def swapped(*args):
        err_train, err_oob, _ = bootstrap_solution(*args)
        return err_train, err_oob, 0.632 * err_train + 0.368 * err_oob

    _fails(ch10.bootstrap_632, swapped, fragments=["the weights are swapped"])


def test_bootstrap_keeping_empty_out_of_bag_sets_fails():
    def keeps_empty(fit_predict, X, y, n_bootstraps, rng):
        n = len(y)
        err_train = np.mean(fit_predict(X, y, X) != y)
        errors = []
        for _ in range(n_bootstraps):
            drawn = rng.integers(0, n, size=n)
            oob = np.setdiff1d(np.arange(n), drawn)
            errors.append(np.mean(fit_predict(X[drawn], y[drawn], X[oob]) != y[oob]) if oob.size else 0.0)
        return err_train, np.mean(errors), 0.368 * err_train + 0.632 * np.mean(errors)

    _fails(ch10.bootstrap_632, keeps_empty, fragments=["4 points, 30 samples", "skip a sample whose out-of-bag set"])


def test_bootstrap_drawn_another_way_fails():
    def from_random(fit_predict, X, y, n_bootstraps, rng):
        n = len(y)
        err_train = np.mean(fit_predict(X, y, X) != y)
        errors = []
        for _ in range(n_bootstraps):
            drawn = (rng.random(n) * n).astype(int)
            oob = np.setdiff1d(np.arange(n), drawn)
            if oob.size:
                errors.append(np.mean(fit_predict(X[drawn], y[drawn], X[oob]) != y[oob]))
        return err_train, np.mean(errors), 0.368 * err_train + 0.632 * np.mean(errors)

    _fails(ch10.bootstrap_632, from_random, fragments=["err_oob", "rng.integers(0, N, size=N)"])


def test_bootstrap_tested_on_its_own_sample_fails():
    def in_bag(fit_predict, X, y, n_bootstraps, rng):
        n = len(y)
        err_train = np.mean(fit_predict(X, y, X) != y)
        errors = [np.mean(fit_predict(X[d], y[d], X[d]) != y[d])
                  for d in (rng.integers(0, n, size=n) for _ in range(n_bootstraps))]
        return err_train, np.mean(errors), 0.368 * err_train + 0.632 * np.mean(errors)

    _fails(ch10.bootstrap_632, in_bag, fragments=["out of bag"])


def test_bootstrap_returning_accuracies_fails():
    def accuracies(*args):
        err_train, err_oob, _ = bootstrap_solution(*args)
        return 1 - err_train, 1 - err_oob, 1 - (0.368 * err_train + 0.632 * err_oob)

    _fails(ch10.bootstrap_632, accuracies, fragments=["err_train returned by", "error rate on all of (X, y)"])


def test_bootstrap_one_value_fails():
    _fails(ch10.bootstrap_632, lambda *a: bootstrap_solution(*a)[2], fragments=["should return 3 values"])


def test_search_on_a_linear_scale_fails():
    def linear(score_fn, n_trials, lr_range, wd_range, rng):
        rows = []
        for _ in range(n_trials):
            lr, wd = rng.uniform(*lr_range), rng.uniform(*wd_range)
            rows.append([lr, wd, score_fn(lr, wd)])
        return np.array(rows)

    _fails(ch10.random_search, linear, fragments=["uniform between the bounds", "every decade"])


def test_search_drawing_weight_decay_first_fails():
    def wd_first(score_fn, n_trials, lr_range, wd_range, rng):
        rows = []
        for _ in range(n_trials):
            wd = 10 ** rng.uniform(*np.log10(wd_range))
            lr = 10 ** rng.uniform(*np.log10(lr_range))
            rows.append([lr, wd, score_fn(lr, wd)])
        return np.array(rows)

    _fails(ch10.random_search, wd_first, fragments=["draw lr first"])


def test_search_with_the_score_of_another_row_fails():
    def shifted(*args):
        rows = search_solution(*args)
        rows[:, 2] = np.roll(rows[:, 2], 1)
        return rows

    _fails(ch10.random_search, shifted, fragments=["nine trials", "column 2 is score_fn"])


def test_search_returning_only_the_best_row_fails():
    def best_only(*args):
        rows = search_solution(*args)
        return rows[np.argmax(rows[:, 2])]

    _fails(ch10.random_search, best_only, fragments=["shape (n_trials, 3)"])


def test_search_calling_the_library_fails():
    from dlcourse.search import LogUniform

    def library(score_fn, n_trials, lr_range, wd_range, rng):
        rows = []
        for _ in range(n_trials):
            lr, wd = LogUniform(*lr_range).sample(rng), LogUniform(*wd_range).sample(rng)
            rows.append([lr, wd, score_fn(lr, wd)])
        return np.array(rows)

    _fails(ch10.random_search, library, fragments=["reference implementation", "dlcourse.search"])


def test_confusion_calling_the_library_fails():
    from dlcourse import metrics

    _fails(ch10.confusion_matrix, lambda t, p, k: metrics.confusion_matrix(t, p, labels=np.arange(k)),
           fragments=["reference implementation", "confusion_matrix"])


def test_kfold_calling_the_library_fails():
    from dlcourse import resampling

    _fails(ch10.kfold_indices, lambda n, k: list(resampling.kfold_indices(n, k)),
           fragments=["reference implementation"])


# -- exercise 8: the reported search ------------------------------------------------------------


def _report(rows):
    best = rows[np.argmax(rows[:, 2])]
    return rows, float(best[0]), float(best[1]), float(best[2])


@pytest.fixture(scope="module")
def searched():
    rows = search_solution(ch10.validation_accuracy, 12, ch10.LR_RANGE, ch10.WD_RANGE, np.random.default_rng(10))
    return rows


def test_the_reported_best_row_passes(searched, capsys):
    ch10.search_report(lambda: _report(searched))
    ch10.search_report(lambda: [searched.tolist(), *_report(searched)[1:]], hidden=True)
    assert "held-out digits" in capsys.readouterr().out


def test_reports_from_other_honest_searches_pass(searched, capsys):
    def longer_search():
        rows = search_natural_log(ch10.validation_accuracy, 10, ch10.LR_RANGE, ch10.WD_RANGE,
                                  np.random.default_rng(4))
        return _report(rows)

    def as_lists():
        rows = [tuple(row) for row in searched.tolist()]
        best = max(rows, key=lambda row: row[2])
        return rows, *(np.float64(v) for v in best)

    def by_hand_grid():
        rows = [[lr, wd, ch10.validation_accuracy(lr, wd)] for lr in (0.03, 0.1, 0.3) for wd in (1e-6, 1e-5, 1e-4)]
        return _report(np.array(rows))

    for student in (longer_search, as_lists, by_hand_grid):
        ch10.search_report(student, hidden=True)
    assert capsys.readouterr().out.count("held-out digits") == 3


def test_reporting_another_row_than_the_best_fails(searched):
    worst = searched[np.argmin(searched[:, 2])]
    _fails(ch10.search_report, lambda: (searched, *worst), fragments=["the best row", "largest score"])


def test_a_rounded_score_fails(searched):
    rows, lr, wd, score = _report(searched)
    _fails(ch10.search_report, lambda: (rows, round(lr, 2), wd, score), fragments=["unrounded"])


def test_scores_that_are_not_the_configurations_fail(searched):
    rows = searched.copy()
    rows[:, 2] = np.round(rows[:, 2] + 0.01, 3)  # a score from somewhere else
    _fails(ch10.search_report, lambda: _report(rows), fragments=["must come from ch10.validation_accuracy"])


def test_a_configuration_below_the_bar_fails():
    rows = search_solution(ch10.validation_accuracy, 9, (1e-3, 2e-3), ch10.WD_RANGE, np.random.default_rng(0))
    _fails(ch10.search_report, lambda: _report(rows), fragments=["at least 0.9", "run more trials"])


def test_a_configuration_outside_the_ranges_or_a_wrong_shape_fails(searched):
    rows = searched.copy()
    rows[np.argmax(rows[:, 2]), 0] = 3.0
    _fails(ch10.search_report, lambda: _report(rows), fragments=["outside the search range"])
    _fails(ch10.search_report, lambda: _report(searched)[1:], fragments=["should return 4 values"])
    _fails(ch10.search_report, lambda: (searched[:5], *_report(searched)[1:]), fragments=["n_trials >= 9"])
    _fails(ch10.search_report, lambda: (searched, 0.1, None, 0.95), fragments=["`best_weight_decay` should be"])


def test_a_search_by_the_library_fails():
    def library_report():
        result = library_random_search(ch10.validation_accuracy, {"lr": LogUniform(*ch10.LR_RANGE),
                                                                  "wd": LogUniform(*ch10.WD_RANGE)}, n_iter=9)
        rows = np.array([[p["lr"], p["wd"], s] for p, s in zip(result.params, result.scores)])
        return _report(rows)

    _fails(ch10.search_report, library_report, fragments=["reference implementation"])


# -- the grader's verdict, outside the student's kernel ------------------------------------------


def test_the_grader_judges_the_report_from_the_students_own_search(searched):
    source = "from dlcourse.checks import ch10\nch10.search_report(search_report, hidden=True)"
    honest = judged_outside(source, {"search_report": lambda: _report(searched)}, hidden_path=HIDDEN, seed=3)
    assert honest.points == 1, honest.message
    worst = searched[np.argmin(searched[:, 2])]
    verdict = judged_outside(source, {"search_report": lambda: (searched, *worst)},
                             answers_from={"search_report": lambda: _report(searched)}, hidden_path=HIDDEN, seed=3)
    assert verdict.points == 0 and "the best row" in verdict.message


def test_the_grader_judges_the_bootstrap_and_the_cross_validation():
    source = "from dlcourse.checks import ch10\nch10.bootstrap_632(bootstrap_632, hidden=True)"
    right = judged_outside(source, {"bootstrap_632": bootstrap_mask},
                           answers_from={"bootstrap_632": bootstrap_solution}, hidden_path=HIDDEN, seed=5)
    assert right.points == 1, right.message

    def swapped(*args):
        err_train, err_oob, _ = bootstrap_solution(*args)
        return err_train, err_oob, 0.632 * err_train + 0.368 * err_oob

    wrong = judged_outside(source, {"bootstrap_632": swapped},
                           answers_from={"bootstrap_632": bootstrap_solution}, hidden_path=HIDDEN, seed=5)
    assert wrong.points == 0 and "the weights are swapped" in wrong.message
    source = "from dlcourse.checks import ch10\nch10.cross_val_score(cross_val_score, kfold_indices, hidden=True)"
    broken_folds = judged_outside(source, {"cross_val_score": cv_solution,
                                           "kfold_indices": lambda n, k: kfold_solution(n, k)[::-1]},
                                  answers_from={"cross_val_score": cv_solution, "kfold_indices": kfold_solution},
                                  hidden_path=HIDDEN, seed=5)
    assert broken_folds.points == 0 and "fix exercise 4 first" in broken_folds.message


# -- hidden cases: the instructor's, different for each student ----------------------------------

HIDDEN = ROOT / "solutions" / "ch10-evaluation" / "hidden_cases.py"


@pytest.mark.parametrize("seed", range(8))
def test_the_hidden_cases_of_every_seed_are_well_posed(seed, capsys):
    with core.hidden_source(HIDDEN, seed):
        ch10.confusion_matrix(confusion_solution, hidden=True)
        ch10.binary_metrics(metrics_solution, hidden=True)
        ch10.roc_auc(auc_solution, hidden=True)
        ch10.kfold_indices(kfold_solution, hidden=True)
        ch10.cross_val_score(cv_solution, kfold_solution, hidden=True)
        ch10.bootstrap_632(bootstrap_solution, hidden=True)
        ch10.random_search(search_solution, hidden=True)
        held_out = core.hidden("search_report")
        assert len(np.unique(held_out["rows"])) == 300 and held_out["rows"].max() < 450


def test_the_notebooks_search_passes_the_hidden_bar_for_every_seed(searched, capsys):
    for seed in range(8):
        with core.hidden_source(HIDDEN, seed):
            ch10.search_report(lambda: _report(searched), hidden=True)


def _hidden_inputs(seed):
    with core.hidden_source(HIDDEN, seed):
        return [c.args for c in core.hidden("binary_metrics")]


def test_each_seed_has_its_own_hidden_random_cases_and_keeps_them():
    first, again, other = _hidden_inputs(1), _hidden_inputs(1), _hidden_inputs(2)
    assert all(np.array_equal(a, b) for x, y in zip(first, again) for a, b in zip(x, y))
    assert not np.array_equal(first[0][0], other[0][0])


def test_no_hidden_case_reaches_a_student():
    assert_no_hidden_case_ships(ROOT, "ch10-evaluation", HIDDEN)
