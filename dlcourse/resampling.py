"""Resampling: estimating how well a model generalises (chapter 1, "Resampling
methods" and "Evaluating models").

- Holdout: split the data once into a training and a test set.
- Random subsampling: repeat the holdout k times with fresh random splits and
  average, acc_sub = (1/k) Σ acc_i; some items are tested more often than others.
- k-fold cross-validation: k disjoint folds; each serves once as the test set
  while the model trains on the other k − 1. Leave-one-out is k = N.
- Bootstrap: draw N samples *with replacement* to train; the samples never
  drawn ("out of bag", about 36.8 % of them since (1 − 1/N)^N → e^−1) test.
  A class-balanced bootstrap draws the same number from every class, for
  data sets whose classes are very unequal. The .632 bootstrap blends the optimistic training error with the
  pessimistic out-of-bag error::

      err_.632 = 0.368 · err_train + 0.632 · err_oob

Index generators return integer index arrays, so they work for any array
type. Randomness comes from ``rng``: a ``numpy.random.Generator`` or an
integer seed (default 0, so results are reproducible unless you ask otherwise).
"""

import math

import numpy as np

__all__ = [
    "train_test_split",
    "holdout_indices",
    "random_subsampling_indices",
    "random_subsampling",
    "kfold_indices",
    "leave_one_out_indices",
    "bootstrap_indices",
    "balanced_bootstrap_indices",
    "bootstrap_632",
    "bootstrap_error_632",
    "cross_validate",
]


def _generator(rng):
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        raise ValueError("pass rng= a numpy.random.Generator or an integer seed")
    return np.random.default_rng(rng)


def _check_xy(X, y):
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    return X, y


def _n_test(n_samples, test_size):
    if isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool):
        n_test = int(test_size)
    elif isinstance(test_size, float) and 0.0 < test_size < 1.0:
        n_test = math.ceil(test_size * n_samples)
    else:
        raise ValueError(
            f"test_size must be a float in (0, 1) or an int number of samples, got {test_size!r}"
        )
    if not 0 < n_test < n_samples:
        raise ValueError(
            f"test_size={test_size!r} leaves {n_test} test and {n_samples - n_test} training "
            f"samples out of {n_samples}; both sets must be non-empty"
        )
    return n_test


def holdout_indices(n_samples, test_size=0.25, rng=0, shuffle=True, stratify=None):
    """Indices ``(train, test)`` of a holdout split of ``n_samples`` items.

    ``test_size``: fraction (the test set gets ceil(test_size · N) items, as
    scikit-learn) or a count. ``shuffle=False`` takes the last items as the
    test set. ``stratify``: class labels (N,); each class then keeps its
    share in both sets (test counts per class are proportional, rounded by
    largest remainder so that they add up to the test size).
    """
    n_test = _n_test(n_samples, test_size)
    if stratify is None:
        if not shuffle:
            return np.arange(n_samples - n_test), np.arange(n_samples - n_test, n_samples)
        order = _generator(rng).permutation(n_samples)
        return order[n_test:], order[:n_test]
    if not shuffle:
        raise ValueError("stratify requires shuffle=True")
    labels = np.asarray(stratify)
    if labels.shape != (n_samples,):
        raise ValueError(f"stratify must have shape ({n_samples},), got {labels.shape}")
    rng = _generator(rng)
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    ideal = n_test * counts / n_samples
    per_class = np.floor(ideal).astype(np.int64)
    leftover = n_test - per_class.sum()
    per_class[np.argsort(-(ideal - per_class), kind="stable")[:leftover]] += 1
    test = []
    for k in range(len(classes)):  # a loop over classes, not samples
        members = np.flatnonzero(inverse == k)
        test.append(rng.choice(members, size=per_class[k], replace=False))
    test = np.concatenate(test)
    is_test = np.zeros(n_samples, dtype=bool)
    is_test[test] = True
    train = np.flatnonzero(~is_test)
    return rng.permutation(train), rng.permutation(test)


def train_test_split(*arrays, test_size=0.25, rng=0, shuffle=True, stratify=None):
    """Holdout split of several arrays of the same length, like scikit-learn's.

    Returns ``[a_train, a_test, b_train, b_test, ...]``: for
    ``train_test_split(X, y)`` that is ``X_train, X_test, y_train, y_test``.
    See ``holdout_indices`` for the arguments.
    """
    if not arrays:
        raise ValueError("train_test_split needs at least one array")
    arrays = [np.asarray(a) for a in arrays]
    n = len(arrays[0])
    lengths = [len(a) for a in arrays]
    if any(length != n for length in lengths):
        raise ValueError(f"arrays have different lengths {lengths}; they must all have the same")
    train, test = holdout_indices(n, test_size=test_size, rng=rng, shuffle=shuffle, stratify=stratify)
    out = []
    for a in arrays:
        out += [a[train], a[test]]
    return out


def random_subsampling_indices(n_samples, n_repeats=10, test_size=0.25, rng=0, stratify=None):
    """Yield ``n_repeats`` holdout splits ``(train, test)``, each drawn afresh
    from the one generator ``rng`` (scikit-learn's ``ShuffleSplit``, or
    ``StratifiedShuffleSplit`` with ``stratify``). See ``holdout_indices``
    for ``test_size`` and ``stratify``."""
    if not isinstance(n_repeats, (int, np.integer)) or n_repeats < 1:
        raise ValueError(f"n_repeats must be an integer >= 1, got {n_repeats!r}")
    rng = _generator(rng)
    for _ in range(n_repeats):
        yield holdout_indices(n_samples, test_size=test_size, rng=rng, stratify=stratify)


def random_subsampling(make_model, X, y, score, n_repeats=10, test_size=0.25, rng=0, stratify=None):
    """Random subsampling: ``score(y_test, model.predict(X_test))`` for each of
    ``n_repeats`` random holdout splits, a fresh ``make_model()`` fit on each
    training part. Returns the k scores as an array: their mean is the notes'
    acc_sub = Σ acc_i / k, their standard deviation the spread of one holdout."""
    X, y = _check_xy(X, y)
    scores = []
    for train, test in random_subsampling_indices(len(X), n_repeats, test_size, rng, stratify):
        model = make_model().fit(X[train], y[train])
        scores.append(float(score(y[test], model.predict(X[test]))))
    return np.array(scores)


def kfold_indices(n_samples, n_splits=5, shuffle=False, rng=0):
    """Yield ``(train, test)`` index arrays for k-fold cross-validation.

    The folds are consecutive blocks (of a random permutation when
    ``shuffle``); the first ``N % k`` folds get one extra item, as
    scikit-learn's ``KFold``. Every item is tested exactly once.
    """
    if not isinstance(n_splits, (int, np.integer)) or n_splits < 2:
        raise ValueError(f"n_splits must be an integer >= 2, got {n_splits!r}")
    if n_splits > n_samples:
        raise ValueError(f"n_splits={n_splits} is larger than the number of samples {n_samples}")
    order = _generator(rng).permutation(n_samples) if shuffle else np.arange(n_samples)
    sizes = np.full(n_splits, n_samples // n_splits)
    sizes[: n_samples % n_splits] += 1
    stops = np.cumsum(sizes)
    for start, stop in zip(stops - sizes, stops):
        yield np.concatenate([order[:start], order[stop:]]), order[start:stop]


def leave_one_out_indices(n_samples):
    """Yield ``(train, test)`` with each item alone in the test set (k = N)."""
    if n_samples < 2:
        raise ValueError(f"leave-one-out needs at least 2 samples, got {n_samples}")
    yield from kfold_indices(n_samples, n_splits=n_samples)


def bootstrap_indices(n_samples, n_bootstraps=100, rng=0):
    """Yield ``(in_bag, out_of_bag)`` for ``n_bootstraps`` bootstrap samples.

    ``in_bag`` (N,) is drawn uniformly with replacement; ``out_of_bag`` holds
    the sorted indices never drawn (possibly empty).
    """
    if n_samples < 1 or n_bootstraps < 1:
        raise ValueError(
            f"need n_samples >= 1 and n_bootstraps >= 1, got {n_samples} and {n_bootstraps}"
        )
    rng = _generator(rng)
    for _ in range(n_bootstraps):
        in_bag = rng.integers(0, n_samples, size=n_samples)
        drawn = np.zeros(n_samples, dtype=bool)
        drawn[in_bag] = True
        yield in_bag, np.flatnonzero(~drawn)


def balanced_bootstrap_indices(y, n_bootstraps=100, n_per_class=None, rng=0):
    """Yield ``(in_bag, out_of_bag)`` for bootstrap samples balanced by class.

    Each sample draws ``n_per_class`` items (default: the size of the largest
    class) with replacement from every class of the labels ``y`` (N,), so
    that each class makes up the same share of it; ``in_bag`` lists them class
    after class, in the order of the sorted class values. ``out_of_bag``
    holds the sorted indices never drawn.
    """
    labels = np.asarray(y)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError(f"y must be a non-empty 1-D array of labels, got shape {labels.shape}")
    if not isinstance(n_bootstraps, (int, np.integer)) or n_bootstraps < 1:
        raise ValueError(f"n_bootstraps must be an integer >= 1, got {n_bootstraps!r}")
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    size = int(counts.max()) if n_per_class is None else n_per_class
    if not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"n_per_class must be an integer >= 1, got {n_per_class!r}")
    members = np.argsort(inverse, kind="stable")  # indices grouped by class
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    rng = _generator(rng)
    for _ in range(n_bootstraps):
        offsets = np.floor(rng.random((counts.size, size)) * counts[:, None]).astype(np.int64)
        in_bag = members[(starts[:, None] + offsets).reshape(-1)]
        drawn = np.zeros(labels.size, dtype=bool)
        drawn[in_bag] = True
        yield in_bag, np.flatnonzero(~drawn)


def bootstrap_632(err_train, err_oob):
    """The .632 bootstrap estimate: 0.368 · err_train + 0.632 · err_oob."""
    return 0.368 * err_train + 0.632 * err_oob


def bootstrap_error_632(make_model, X, y, error, n_bootstraps=50, rng=0):
    """Estimate a model's error with the .632 bootstrap.

    ``make_model()`` returns a fresh model with ``fit(X, y)`` and
    ``predict(X)``; ``error(y_true, y_pred)`` returns a number (e.g. the
    misclassification rate ``1 − accuracy`` or ``mse``).

    err_train: error on (X, y) of a model fit on all of (X, y).
    err_oob:   mean over bootstrap samples of the error on the out-of-bag
               items of a model fit on the bootstrap sample (samples with no
               out-of-bag item are skipped).

    Returns a dict with "err_train", "err_oob" and "err_632".
    """
    X, y = _check_xy(X, y)
    err_train = float(error(y, make_model().fit(X, y).predict(X)))
    oob_errors = []
    for in_bag, oob in bootstrap_indices(len(X), n_bootstraps, rng):
        if oob.size:
            model = make_model().fit(X[in_bag], y[in_bag])
            oob_errors.append(float(error(y[oob], model.predict(X[oob]))))
    if not oob_errors:
        raise ValueError("no bootstrap sample left any item out of bag; use more bootstraps")
    err_oob = float(np.mean(oob_errors))
    return {"err_train": err_train, "err_oob": err_oob, "err_632": bootstrap_632(err_train, err_oob)}


def cross_validate(make_model, X, y, score, n_splits=5, shuffle=True, rng=0):
    """k-fold cross-validation: ``score(y_test, model.predict(X_test))`` for
    each fold, with a fresh ``make_model()`` fit on the other folds.

    Returns the k fold scores as an array (their mean is the CV estimate).
    """
    X, y = _check_xy(X, y)
    scores = []
    for train, test in kfold_indices(len(X), n_splits, shuffle=shuffle, rng=rng):
        model = make_model().fit(X[train], y[train])
        scores.append(float(score(y[test], model.predict(X[test]))))
    return np.array(scores)
