"""Checks for chapter 10, *Evaluation and resampling*: the confusion matrix and the binary
metrics, the area under the ROC curve, k-fold indices and a cross-validation score, the .632
bootstrap, and a random search over a learning rate and a weight decay whose reported result
is rerun.

Every check takes the student's function and ``hidden=False``; the hidden variant (run by
the grader) adds the instructor's cases from ``solutions/ch10-evaluation/hidden_cases.py``
(see :func:`dlcourse.checks.core.hidden`), which the release never contains. The
references follow the chapter's conventions:

* labels are integers; in a binary problem 1 is the positive class;
* every ratio whose denominator is 0 (precision when nothing is predicted positive, ...)
  is 0.0, scikit-learn's ``zero_division=0``;
* k-fold: fold i tests a consecutive block, the first N % k folds one item longer;
* bootstrap sample b: ``rng.integers(0, N, size=N)``; its out-of-bag items test it;
* AUC: the fraction of (positive, negative) pairs with the positive scored higher, ties 1/2;
* random search: per trial ``lr`` then ``weight_decay``, each ``10 ** rng.uniform(log10 low,
  log10 high)``.
"""

import math

import numpy as np

from dlcourse.checks.core import (
    Case,
    CheckFailure,
    call_student,
    expect_close,
    hidden as hidden_part,
    library_functions,
    random_cases,
)

__all__ = [
    # the checks, in the chapter's order
    "confusion_matrix", "binary_metrics", "roc_auc", "kfold_indices", "cross_val_score", "bootstrap_632",
    "random_search", "search_report",
    # what the notebook is given
    "METRIC_KEYS", "LR_RANGE", "WD_RANGE", "SCORE_BAR", "nearest_centroid", "validation_accuracy",
    "final_test_accuracy", "search_data",
    # case makers, for the instructor's hidden cases
    "labels_case", "binary_case", "scores_case", "blobs_case", "bootstrap_case", "search_case", "bowl_score",
]

METRIC_KEYS = ("TP", "FP", "FN", "TN", "accuracy", "sensitivity", "specificity", "precision", "f1")


# -- reference computations ----------------------------------------------------------------


def _ratio(num, den):
    return float(num / den) if den else 0.0


def _ref_confusion_matrix(y_true, y_pred, n_classes):
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    return np.bincount(y_true * n_classes + y_pred, minlength=n_classes ** 2).reshape(n_classes, n_classes)


def _ref_binary_metrics(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true) == 1, np.asarray(y_pred) == 1
    tp, fp = int(np.sum(y_true & y_pred)), int(np.sum(~y_true & y_pred))
    fn, tn = int(np.sum(y_true & ~y_pred)), int(np.sum(~y_true & ~y_pred))
    return {"TP": tp, "FP": fp, "FN": fn, "TN": tn, "accuracy": (tp + tn) / len(y_true),
            "sensitivity": _ratio(tp, tp + fn), "specificity": _ratio(tn, tn + fp),
            "precision": _ratio(tp, tp + fp), "f1": _ratio(2 * tp, 2 * tp + fp + fn)}


def _ref_roc_auc(y_true, scores):
    positive = np.asarray(y_true) == 1
    scores = np.asarray(scores, dtype=np.float64)
    pos, neg = scores[positive], scores[~positive]
    wins = np.sum(pos[:, None] > neg[None, :]) + 0.5 * np.sum(pos[:, None] == neg[None, :])
    return float(wins / (pos.size * neg.size))


def _ref_kfold_indices(n_samples, k):
    sizes = np.full(k, n_samples // k)
    sizes[: n_samples % k] += 1
    stops = np.cumsum(sizes)
    everything = np.arange(n_samples)
    return [(np.r_[everything[:stop - size], everything[stop:]], everything[stop - size:stop])
            for size, stop in zip(sizes, stops)]


def _ref_cross_val_score(fit_predict, X, y, k):
    X, y = np.asarray(X), np.asarray(y)
    return np.array([np.mean(fit_predict(X[train], y[train], X[test]) == y[test])
                     for train, test in _ref_kfold_indices(len(y), k)])


def _ref_bootstrap_632(fit_predict, X, y, n_bootstraps, rng):
    X, y = np.asarray(X), np.asarray(y)
    n = len(y)
    err_train = float(np.mean(fit_predict(X, y, X) != y))
    errors = []
    for _ in range(n_bootstraps):
        drawn = rng.integers(0, n, size=n)
        oob = np.setdiff1d(np.arange(n), drawn)
        if oob.size:
            errors.append(np.mean(fit_predict(X[drawn], y[drawn], X[oob]) != y[oob]))
    err_oob = float(np.mean(errors))
    return err_train, err_oob, 0.368 * err_train + 0.632 * err_oob


def _ref_random_search(score_fn, n_trials, lr_range, wd_range, rng):
    rows = []
    for _ in range(n_trials):
        lr = 10 ** rng.uniform(math.log10(lr_range[0]), math.log10(lr_range[1]))
        wd = 10 ** rng.uniform(math.log10(wd_range[0]), math.log10(wd_range[1]))
        rows.append((lr, wd, float(score_fn(lr, wd))))
    return np.array(rows)


def _references():
    """What a student must not call: these references and the library's metrics,
    resampling and search (the reference implementation of this chapter)."""
    return (_ref_confusion_matrix, _ref_binary_metrics, _ref_roc_auc, _ref_kfold_indices, _ref_cross_val_score,
            _ref_bootstrap_632, _ref_random_search,
            *library_functions("dlcourse.metrics", "dlcourse.resampling", "dlcourse.search"))


# -- given to the student: a tiny classifier and the experiment of exercise 8 ----------------


def nearest_centroid(X_train, y_train, X_test):
    """Predict for each row of ``X_test`` the class whose training mean is nearest
    (Euclidean); ties go to the smaller label. Returns int64 labels (len(X_test),)."""
    X_train, X_test = np.asarray(X_train, dtype=np.float64), np.asarray(X_test, dtype=np.float64)
    classes = np.unique(y_train)
    centroids = np.stack([X_train[np.asarray(y_train) == c].mean(axis=0) for c in classes])
    distances = ((X_test[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=-1)
    return classes[np.argmin(distances, axis=1)].astype(np.int64)


LR_RANGE = (1e-3, 1.0)
WD_RANGE = (1e-6, 1e-1)
SCORE_BAR = 0.9
_EPOCHS, _BATCH = 15, 50


def search_data():
    """The digits (8×8, flattened, in [0, 1]) as the chapter splits them:
    ``(X_train, y_train, X_val, y_val, X_test, y_test)`` with 500 training, 300
    validation and 450 test images (``load_digits_split(seed=0)``'s test set)."""
    from dlcourse.datasets import load_digits_split

    X_rest, X_test, y_rest, y_test = load_digits_split(test_size=0.25, seed=0, flat=True)
    return X_rest[:500], y_rest[:500], X_rest[500:800], y_rest[500:800], X_test, y_test


def _train_network(lr, weight_decay, X, y, seed=0):
    from dlcourse import nn, optim

    model = nn.Sequential(nn.Linear(64, 32, rng=seed), nn.ReLU(), nn.Linear(32, 10, rng=seed + 1))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    order_rng = np.random.default_rng(seed)
    with np.errstate(all="ignore"):  # a diverging rate scores at chance level, without warnings
        _epochs(model, loss_fn, optimizer, X, y, order_rng)
    return model.eval()


def _epochs(model, loss_fn, optimizer, X, y, order_rng):
    for _ in range(_EPOCHS):
        order = order_rng.permutation(len(X))
        for start in range(0, len(X), _BATCH):
            batch = order[start:start + _BATCH]
            loss_fn(model(X[batch]), y[batch])
            optimizer.zero_grad()
            model.backward(loss_fn.backward())
            optimizer.step()


def validation_accuracy(lr, weight_decay):
    """Train the chapter's network (64-32-10, ReLU, SGD with momentum 0.9 and the given
    ``lr`` and ``weight_decay``, 15 epochs of mini-batches of 50, seed 0) on the 500
    training digits; return its accuracy on the 300 validation digits."""
    lr, weight_decay = float(lr), float(weight_decay)
    X_train, y_train, X_val, y_val, _, _ = search_data()
    model = _train_network(lr, weight_decay, X_train, y_train)
    with np.errstate(all="ignore"):
        return float(np.mean(model(X_val).argmax(axis=1) == y_val))


def final_test_accuracy(lr, weight_decay):
    """The same network trained the same way, scored once on the 450 test digits."""
    return _test_accuracy(lr, weight_decay, np.arange(450))


def _test_accuracy(lr, weight_decay, rows):
    X_train, y_train, _, _, X_test, y_test = search_data()
    model = _train_network(float(lr), float(weight_decay), X_train, y_train)
    with np.errstate(all="ignore"):
        return float(np.mean(model(X_test[rows]).argmax(axis=1) == y_test[rows]))


# -- comparing, with a hint chosen by what came back ---------------------------------------


def _compare(got, expected, what, case, diagnose, noise=(), rtol=1e-9, atol=1e-12):
    """expect_close, with the hint that ``diagnose(got_array, expected)`` picks."""
    __tracebackhide__ = True
    hint = None
    try:
        got_array = np.asarray(got, dtype=np.float64)
        if got_array.shape == np.shape(expected) and not np.allclose(got_array, expected, rtol=rtol, atol=atol,
                                                                       equal_nan=False):
            hint = diagnose(got_array, np.asarray(expected, dtype=np.float64))
    except (TypeError, ValueError):
        pass
    expect_close(got, expected, what, case, rtol=rtol, atol=atol, hint=hint, noise=noise)


# -- case makers (the hidden file draws from these with the grading generator) ---------------


def labels_case(rng, n_classes=None, n=None):
    """Random integer labels in 0..n_classes-1 and predictions that are right ~60 % of the time."""
    k = int(rng.integers(2, 6)) if n_classes is None else n_classes
    n = int(rng.integers(5, 40)) if n is None else n
    y_true = rng.integers(0, k, size=n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, k, size=n))
    return Case((y_true, y_pred, k))


def binary_case(rng, n=None, positive_share=None):
    """Random 0/1 labels (a given share of positives) and predictions right ~75 % of the time."""
    n = int(rng.integers(4, 60)) if n is None else n
    share = float(rng.uniform(0.05, 0.6)) if positive_share is None else positive_share
    y_true = (rng.random(n) < share).astype(np.int64)
    y_pred = np.where(rng.random(n) < 0.75, y_true, 1 - y_true)
    return Case((y_true, y_pred))


def blobs_case(rng, n=None, n_classes=None, spread=None):
    """Gaussian blobs in 2-D: ``(X, y)`` with every class present."""
    n = int(rng.integers(20, 60)) if n is None else n
    k = int(rng.integers(2, 4)) if n_classes is None else n_classes
    y = np.r_[np.arange(k), rng.integers(0, k, size=n - k)]
    centres = rng.normal(scale=3.0, size=(k, 2))
    X = centres[y] + rng.normal(scale=float(rng.uniform(1.0, 3.0)) if spread is None else spread, size=(n, 2))
    return X, y.astype(np.int64)


# -- exercise 1: the confusion matrix --------------------------------------------------------


def _diagnose_confusion(got, expected):
    if np.array_equal(got, expected.T):
        return "rows are the true classes and columns the predictions: C[i, j] counts true i predicted j"
    if got.sum() != expected.sum():
        return f"the entries must add up to the number of samples, {int(expected.sum())}; yours add up to {got.sum():g}"
    return ("C[i, j] is the number of samples with y_true == i and y_pred == j; a class that never occurs "
            "still has its row and column of zeros (the size is n_classes, not the number of labels seen)")


def confusion_matrix(student, hidden=False):
    """Exercise 1: ``confusion_matrix(y_true, y_pred, n_classes) -> (n_classes, n_classes)`` ints."""
    cases = [
        Case((np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0]), np.array([1, 1, 1, 0, 1, 1, 0, 0, 0, 0]), 2),
             label="TP = 3, FN = 1, FP = 2, TN = 4"),
        Case((np.array([0, 1, 2, 2, 1]), np.array([0, 2, 2, 2, 0]), 3), label="three classes, class 1 never predicted"),
        Case((np.array([0, 0, 1]), np.array([0, 0, 1]), 4), label="four classes, two never seen"),
        Case((np.array([2, 0, 1, 1]), np.array([0, 1, 2, 0]), 3), label="every prediction wrong"),
    ]
    cases += random_cases(101, 3, labels_case)
    if hidden:
        cases += hidden_part("confusion_matrix")
    for case in cases:
        got, noise = call_student(student, *case.args, name="confusion_matrix", case=case,
                                  forbidden=_references(), keeps_inputs=True, arg_names=("y_true", "y_pred"))
        _compare(got, _ref_confusion_matrix(*case.args), "`confusion_matrix`", case, _diagnose_confusion, noise)
    print(f"\u2713 confusion_matrix: all {len(cases)} cases pass")


# -- exercise 2: the binary metrics ------------------------------------------------------------


def _metric_hint(key, got, expected, counts):
    tp, fp, fn, tn = (counts[k] for k in ("TP", "FP", "FN", "TN"))
    if isinstance(got, float) and math.isnan(got):
        return (f"{key} is 0/0 here (e.g. nothing predicted positive, so TP + FP = 0); the spec says "
                "return 0.0 for every ratio whose denominator is 0")
    swaps = {"sensitivity": ("specificity", _ratio(tn, tn + fp)), "specificity": ("sensitivity", _ratio(tp, tp + fn)),
             "precision": ("sensitivity", _ratio(tp, tp + fn))}
    if key in swaps and math.isclose(got, swaps[key][1]) and not math.isclose(got, expected):
        return f"you returned the {swaps[key][0]} as the {key}"
    if key in ("TP", "FP", "FN", "TN") and got in (counts[o] for o in ("TP", "FP", "FN", "TN") if o != key):
        return ("1 is the positive class: TP = true 1 predicted 1, FP = true 0 predicted 1 (type I error), "
                "FN = true 1 predicted 0 (type II error), TN = true 0 predicted 0")
    return {"accuracy": "(TP + TN) / N", "sensitivity": "TP / (TP + FN)", "specificity": "TN / (TN + FP)",
            "precision": "TP / (TP + FP)", "f1": "2 TP / (2 TP + FP + FN), 0.0 when the denominator is 0"}.get(
        key, "count the samples of each kind")


def binary_metrics(student, hidden=False):
    """Exercise 2: ``binary_metrics(y_true, y_pred) -> dict`` with the keys ``METRIC_KEYS``."""
    cases = [
        Case((np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0]), np.array([1, 1, 1, 0, 1, 1, 0, 0, 0, 0])),
             label="TP = 3, FN = 1, FP = 2, TN = 4"),
        Case((np.r_[np.ones(5, int), np.zeros(95, int)], np.zeros(100, int)),
             label="5 % positives, always predicting 0 (the positive class is never predicted)"),
        Case((np.zeros(6, int), np.zeros(6, int)), label="no positive sample at all"),
        Case((np.array([1, 0, 1, 0]), np.array([0, 1, 0, 1])), label="every prediction wrong"),
    ]
    cases += random_cases(102, 4, binary_case)
    if hidden:
        cases += hidden_part("binary_metrics")
    for case in cases:
        got, noise = call_student(student, *case.args, name="binary_metrics", case=case,
                                  forbidden=_references(), keeps_inputs=True, arg_names=("y_true", "y_pred"))
        expected = _ref_binary_metrics(*case.args)
        if not isinstance(got, dict) or set(got) != set(METRIC_KEYS):
            keys = sorted(got) if isinstance(got, dict) else None
            raise CheckFailure(f"`binary_metrics` should return a dict with exactly the keys {list(METRIC_KEYS)}, "
                               f"got {'keys ' + str(keys) if keys is not None else repr(got)[:200]}"
                               f"\n  input: {case.describe()}")
        for key in METRIC_KEYS:
            value = got[key]
            hint = None
            if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
                if not math.isclose(float(value), expected[key], rel_tol=1e-9, abs_tol=1e-12):
                    hint = _metric_hint(key, float(value), expected[key], expected)
            expect_close(value, expected[key], f"binary_metrics(...)[{key!r}]", case, rtol=1e-9, atol=1e-12,
                         hint=hint, noise=noise)
    print(f"\u2713 binary_metrics: all {len(cases)} cases pass")


# -- exercise 3: the area under the ROC curve -------------------------------------------------------


def scores_case(rng, n=None, ties=None):
    """Random 0/1 labels (both present) and scores that rank the positives higher on average;
    ``ties``: round the scores to one decimal, so that some are equal."""
    n = int(rng.integers(4, 50)) if n is None else n
    y = np.r_[0, 1, rng.integers(0, 2, size=n - 2)]
    rng.shuffle(y)
    scores = y * float(rng.uniform(0, 2)) + rng.normal(size=n)
    if bool(rng.integers(0, 2)) if ties is None else ties:
        scores = np.round(scores, 1)
    return Case((y.astype(np.int64), scores))


def roc_auc(student, hidden=False):
    """Exercise 3: ``roc_auc(y_true, scores) -> float``, ties counted one half."""
    cases = [
        Case((np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])), label="one pair in four ranked wrong"),
        Case((np.array([0, 1, 0, 1]), np.array([0.2, 0.9, 0.3, 0.7])), label="a perfect ranking"),
        Case((np.array([1, 1, 0, 0]), np.array([0.2, 0.3, 0.8, 0.9])), label="a ranking exactly backwards"),
        Case((np.array([0, 1, 1, 0, 1]), np.full(5, 0.5)), label="every score equal: all pairs tied"),
        Case((np.array([0, 0, 1, 1, 1]), np.array([1.0, 2.0, 2.0, 3.0, 2.0])), label="ties between the classes"),
    ]
    cases += random_cases(103, 4, scores_case)
    if hidden:
        cases += hidden_part("roc_auc")

    def diagnose(got, expected, case):
        y, scores = (np.asarray(a) for a in case.args)
        pos, neg = scores[y == 1], scores[y == 0]
        strict = np.mean(pos[:, None] > neg[None, :])
        loose = np.mean(pos[:, None] >= neg[None, :])
        if np.isclose(got, strict) or np.isclose(got, loose):
            return "a tie between a positive and a negative score counts one half, not 0 or 1"
        if np.isclose(got, 1 - expected):
            return "1 is the positive class: count the pairs where the positive sample has the higher score"
        return ("AUC = (number of (positive, negative) pairs with the positive scored higher + half the tied pairs) "
                "/ (number of positives * number of negatives)")

    for case in cases:
        got, noise = call_student(student, *case.args, name="roc_auc", case=case, forbidden=_references(),
                                  keeps_inputs=True, arg_names=("y_true", "scores"))
        _compare(got, _ref_roc_auc(*case.args), "`roc_auc`", case,
                 lambda g, e, case=case: diagnose(float(g), float(e), case), noise)
    print(f"\u2713 roc_auc: all {len(cases)} cases pass")


# -- exercise 4: k-fold indices -------------------------------------------------------------------


def _fold_hint(i, got_test, expected_test, n, k):
    if len(got_test) != len(expected_test):
        return (f"with N = {n} and k = {k} the fold sizes are {n // k + 1} for the first {n % k} folds and "
                f"{n // k} for the others (as np.array_split); every item is tested exactly once")
    return "fold i tests a consecutive block of indices, fold 0 the first block; do not shuffle"


def _fold_list(got, name, case, k):
    if not isinstance(got, (list, tuple)) or len(got) != k:
        raise CheckFailure(f"`{name}` should return a list of k = {k} pairs (train, test), got "
                           f"{type(got).__name__} {str(got)[:150]}\n  input: {case.describe()}")
    for pair in got:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise CheckFailure(f"each element returned by `{name}` should be a pair (train, test) of index "
                               f"arrays, got {str(pair)[:150]}\n  input: {case.describe()}")
    return got


def _check_folds(student, cases, name="kfold_indices"):
    __tracebackhide__ = True
    for case in cases:
        n, k = case.args
        got, noise = call_student(student, *case.args, name=name, case=case, forbidden=_references())
        folds = _fold_list(got, name, case, k)
        for i, ((train, test), (want_train, want_test)) in enumerate(zip(folds, _ref_kfold_indices(n, k))):
            expect_close(test, want_test, f"the test indices of fold {i}", case,
                         hint=_fold_hint(i, np.ravel(test), want_test, n, k), noise=noise, rtol=0, atol=0)
            expect_close(train, want_train, f"the training indices of fold {i}", case, rtol=0, atol=0, noise=noise,
                         hint="the training indices are all the others, in increasing order, without the test block")


def kfold_indices(student, hidden=False):
    """Exercise 4: ``kfold_indices(n_samples, k) -> [(train, test), ...]`` (k pairs)."""
    cases = [Case((10, 10), label="leave-one-out: N = k = 10"), Case((10, 5), label="N = 10, k = 5"),
             Case((23, 10), label="N = 23, k = 10: the first 3 folds get 3 items, the others 2"),
             Case((7, 2), label="N = 7, k = 2"), Case((100, 3), label="N = 100, k = 3")]
    if hidden:
        cases += hidden_part("kfold_indices")
    _check_folds(student, cases)
    print(f"\u2713 kfold_indices: all {len(cases)} cases pass")


# -- exercise 5: the cross-validation score ---------------------------------------------------------


def _cv_cases(seed, count):
    return random_cases(seed, count, lambda rng: Case((nearest_centroid, *blobs_case(rng),
                                                       int(rng.integers(2, 11)))))


def cross_val_score(student, kfold=None, hidden=False):
    """Exercise 5: ``cross_val_score(fit_predict, X, y, k) -> (k,)`` fold accuracies.

    ``kfold`` is the student's ``kfold_indices``, which the function reuses: when given and
    wrong, the failure says to fix exercise 4 first."""
    if kfold is not None:
        try:
            _check_folds(kfold, [Case((10, 5), label="N = 10, k = 5"), Case((23, 10), label="N = 23, k = 10")])
        except CheckFailure as failure:
            raise CheckFailure("`cross_val_score` uses your `kfold_indices`, which does not pass its own check "
                               f"yet: fix exercise 4 first.\n{failure}") from None
    X, y = blobs_case(np.random.default_rng(104), n=30, n_classes=3)
    cases = [Case((nearest_centroid, X, y, 10), label="30 points of 3 blobs, 10 folds"),
             Case((nearest_centroid, X[:12], y[:12], 12), label="leave-one-out on 12 points")]
    cases += _cv_cases(105, 3)
    if hidden:
        cases += hidden_part("cross_val_score")

    def diagnose(got, expected):
        return ("each score is the accuracy on one fold's test items of a model fit on that fold's training "
                "items only: fit_predict(X[train], y[train], X[test]) compared with y[test]; return the k scores "
                "(accuracy, not error), not their mean")

    for case in cases:
        got, noise = call_student(student, *case.args, name="cross_val_score", case=case,
                                  forbidden=_references(), keeps_inputs=True, **case.kwargs)
        expected = _ref_cross_val_score(*case.args, **case.kwargs)
        hint = None
        if np.ndim(got) == 0:
            hint = "return the array of the k fold accuracies, not their mean"
        elif np.shape(got) == expected.shape and np.allclose(np.asarray(got, dtype=float), 1 - expected):
            hint = "that is the error of each fold: return the accuracy, the fraction of right predictions"
        if hint:
            expect_close(got, expected, "`cross_val_score`", case, hint=hint, noise=noise)
        _compare(got, expected, "`cross_val_score`", case, diagnose, noise)
    print(f"\u2713 cross_val_score: all {len(cases)} cases pass")


# -- exercise 6: the .632 bootstrap --------------------------------------------------------------------


def bootstrap_case(rng):
    """Blobs, a number of bootstrap samples and the seed of the Generator passed in."""
    X, y = blobs_case(rng)
    return Case((nearest_centroid, X, y, int(rng.integers(5, 40))), {"seed": int(rng.integers(0, 10_000))})


def bootstrap_632(student, hidden=False):
    """Exercise 6: ``bootstrap_632(fit_predict, X, y, n_bootstraps, rng) -> (err_train, err_oob, err_632)``.

    A case's ``seed`` keyword builds the Generator handed to the student and, afresh, to the
    reference."""
    X, y = blobs_case(np.random.default_rng(106), n=40, n_classes=2, spread=2.5)
    cases = [Case((nearest_centroid, X, y, 1), {"seed": 0}, label="40 points of 2 blobs, one bootstrap sample"),
             Case((nearest_centroid, X, y, 50), {"seed": 1}, label="the same points, 50 bootstrap samples"),
             Case((nearest_centroid, X[:4], y[:4], 30), {"seed": 2},
                  label="4 points, 30 samples: some samples leave nothing out of bag")]
    cases += random_cases(107, 3, bootstrap_case)
    if hidden:
        cases += hidden_part("bootstrap_632")
    for case in cases:
        fit_predict, X_case, y_case, n_boot = case.args
        seed = case.kwargs["seed"]
        shown = Case(case.args + (f"np.random.default_rng({seed})",), label=case.label)
        got, noise = call_student(student, fit_predict, X_case, y_case, n_boot, np.random.default_rng(seed),
                                  name="bootstrap_632", case=shown, forbidden=_references(), keeps_inputs=True,
                                  arg_names=("fit_predict", "X", "y"))
        expected = _ref_bootstrap_632(fit_predict, X_case, y_case, n_boot, np.random.default_rng(seed))
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            raise CheckFailure(f"`bootstrap_632` should return 3 values (err_train, err_oob, err_632), got "
                               f"{str(got)[:150]}\n  input: {shown.describe()}")
        hints = {
            0: "err_train is the error rate on all of (X, y) of a model fit on all of (X, y): "
               "fit_predict(X, y, X) != y, averaged",
            1: "draw each sample with rng.integers(0, N, size=N) (no other call on rng), test it on the items it "
               "never drew (out of bag), skip a sample whose out-of-bag set is empty, and average the error rates",
            2: "err_632 = 0.368 * err_train + 0.632 * err_oob: the out-of-bag error gets the larger weight",
        }
        for index, name in enumerate(("err_train", "err_oob", "err_632")):
            hint = hints[index]
            if index == 1 and np.isclose(float(got[1]), 1 - expected[1]):
                hint = "that is the out-of-bag accuracy: return error rates (the fraction of wrong predictions)"
            if index == 2 and np.isclose(float(got[2]), 0.632 * expected[0] + 0.368 * expected[1]):
                hint = "the weights are swapped: " + hints[2]
            expect_close(got[index], expected[index], f"{name} returned by `bootstrap_632`", shown,
                         rtol=1e-9, atol=1e-12, hint=hint, noise=noise)
    print(f"\u2713 bootstrap_632: all {len(cases)} cases pass")


# -- exercise 7: random search in log space --------------------------------------------------------------


def bowl_score(lr, weight_decay):
    """A cheap stand-in for a validation score: best at lr = 0.03, weight_decay = 1e-4."""
    return -((math.log10(lr) + 1.5) ** 2 + 0.2 * (math.log10(weight_decay) + 4) ** 2)


def search_case(rng):
    """Random log ranges and a number of trials, with the seed of the Generator passed in."""
    lo = float(10 ** rng.uniform(-5, -1))
    wlo = float(10 ** rng.uniform(-7, -3))
    return Case((bowl_score, int(rng.integers(1, 25)), (lo, lo * 10 ** rng.uniform(1, 4)),
                 (wlo, wlo * 10 ** rng.uniform(1, 4))), {"seed": int(rng.integers(0, 10_000))})


def random_search(student, hidden=False):
    """Exercise 7: ``random_search(score_fn, n_trials, lr_range, wd_range, rng) -> (n_trials, 3)``."""
    cases = [Case((bowl_score, 1, (1e-3, 1.0), (1e-6, 1e-1)), {"seed": 0}, label="one trial"),
             Case((bowl_score, 9, (1e-3, 1.0), (1e-6, 1e-1)), {"seed": 1}, label="nine trials"),
             Case((bowl_score, 20, (1e-4, 1e-2), (1e-3, 1.0)), {"seed": 2}, label="twenty trials, other ranges")]
    cases += random_cases(108, 3, search_case)
    if hidden:
        cases += hidden_part("random_search")
    for case in cases:
        seed = case.kwargs["seed"]
        shown = Case(case.args + (f"np.random.default_rng({seed})",), label=case.label)
        got, noise = call_student(student, *case.args, np.random.default_rng(seed), name="random_search",
                                  case=shown, forbidden=_references())
        expected = _ref_random_search(*case.args, np.random.default_rng(seed))

        def diagnose(g, e, case=case, seed=seed):
            (_, n, (lo, hi), (wlo, whi)) = case.args
            draws = np.random.default_rng(seed).random(2 * n).reshape(n, 2)
            linear = np.c_[lo + (hi - lo) * draws[:, 0], wlo + (whi - wlo) * draws[:, 1]]
            if np.allclose(g[:, :2], linear):
                return ("those values are uniform between the bounds: draw the exponent uniformly, "
                        "10 ** rng.uniform(log10(low), log10(high)), so that every decade is tried equally often")
            logs = np.log10([lo, hi, wlo, whi])
            wd_first = np.c_[10 ** (logs[0] + (logs[1] - logs[0]) * draws[:, 1]),
                             10 ** (logs[2] + (logs[3] - logs[2]) * draws[:, 0])]
            if np.allclose(g[:, :2], wd_first, rtol=1e-9):
                return "draw lr first, then weight_decay, in every trial (the order of the draws matters)"
            if np.allclose(g[:, :2], e[:, :2], rtol=1e-9):
                return "the configurations are right: column 2 is score_fn(lr, weight_decay) of that row"
            return ("one trial = lr = 10 ** rng.uniform(log10(lr_low), log10(lr_high)), then weight_decay the same "
                    "way from wd_range, then its score; one row [lr, weight_decay, score] per trial, in order")

        if np.shape(got) != expected.shape:
            expect_close(got, expected, "`random_search`", shown,
                         hint="return an array of shape (n_trials, 3): one row [lr, weight_decay, score] per trial",
                         noise=noise)
        _compare(got, expected, "`random_search`", shown, diagnose, noise)
    print(f"\u2713 random_search: all {len(cases)} cases pass")


# -- exercise 8: the search on the digits, as reported ----------------------------------------------------


def _search_forbidden():
    # the experiment itself (validation_accuracy) uses the library's split, so only the
    # search is refused here
    return (_ref_random_search, *library_functions("dlcourse.search"))


def _unpack_report(result):
    __tracebackhide__ = True
    if not isinstance(result, (tuple, list)) or len(result) != 4:
        raise CheckFailure("`search_report` should return 4 values (search_rows, best_lr, best_weight_decay, "
                           f"best_score), got {str(result)[:200]}")
    rows, *best = result
    rows = np.asarray(rows, dtype=np.float64) if isinstance(rows, (np.ndarray, list, tuple)) else None
    if rows is None or rows.ndim != 2 or rows.shape[1] != 3 or len(rows) < 9:
        raise CheckFailure("`search_rows` should be the array your random_search returned, shape (n_trials, 3) "
                           f"with n_trials >= 9, got {str(result[0])[:150]}")
    for name, value in zip(("best_lr", "best_weight_decay", "best_score"), best):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not math.isfinite(float(value)):
            raise CheckFailure(f"`{name}` should be a finite number, got {value!r:.100}")
    return rows, *(float(v) for v in best)


def search_report(student, hidden=False):
    """Exercise 8: ``search_report() -> (search_rows, best_lr, best_weight_decay, best_score)``.

    The check calls the student's ``search_report`` (which runs the student's search) and reruns
    ``validation_accuracy`` on the reported configuration: it must be the best row of
    ``search_rows``, lie in ``LR_RANGE`` x ``WD_RANGE``, give exactly the reported score, and
    reach ``SCORE_BAR``. The hidden part (a dict ``{"rows", "bar"}``) retrains it and measures
    its accuracy on the grader's own rows of the test set, which the search never looked at."""
    result, _ = call_student(student, name="search_report", forbidden=_search_forbidden())
    rows, lr, wd, score = _unpack_report(result)
    best_row = rows[np.argmax(rows[:, 2])]
    if not np.allclose(best_row, [lr, wd, score], rtol=1e-12, atol=0):
        raise CheckFailure(
            f"you report lr = {lr:.6g}, weight_decay = {wd:.6g}, score = {score:.6g}, but the best row of your "
            f"search_rows is {best_row.tolist()}\n  hint: report the row with the largest score (column 2), "
            "its three values unrounded")
    for name, value, (low, high) in (("best_lr", lr, LR_RANGE), ("best_weight_decay", wd, WD_RANGE)):
        if not low <= value <= high:
            raise CheckFailure(f"`{name}` = {value:.6g} is outside the search range [{low:g}, {high:g}]")
    rerun = validation_accuracy(lr, wd)
    if not math.isclose(rerun, score, rel_tol=0, abs_tol=1e-9):
        raise CheckFailure(
            f"you report a validation accuracy of {score:.6g} for lr = {lr:.6g}, weight_decay = {wd:.6g}, but "
            f"validation_accuracy({lr:.6g}, {wd:.6g}) gives {rerun:.6g}\n  hint: the scores of search_rows must "
            "come from ch10.validation_accuracy(lr, weight_decay) itself, called on the row's own lr and weight decay")
    if rerun < SCORE_BAR:
        raise CheckFailure(
            f"the reported configuration reaches a validation accuracy of {rerun:.4f}; the exercise asks for at "
            f"least {SCORE_BAR}\n  hint: run more trials (or another seed) and keep the best; the grid above shows "
            "where the good learning rates are")
    print(f"\u2713 search_report: lr = {lr:.4g}, weight_decay = {wd:.3g} gives validation accuracy "
          f"{rerun:.4f}, as reported")
    if hidden:
        held_out = hidden_part("search_report")
        test = _test_accuracy(lr, wd, held_out["rows"])
        if test < held_out["bar"]:
            raise CheckFailure(f"on the grader's held-out digits the reported configuration reaches {test:.4f}, "
                               f"below {held_out['bar']}: the validation score was a lucky one")
        print(f"\u2713 search_report: {test:.4f} on the grader's held-out digits")
