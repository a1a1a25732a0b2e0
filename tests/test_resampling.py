import numpy as np
import pytest
from sklearn.model_selection import KFold, LeaveOneOut

from dlcourse.linear_models import LinearRegression
from dlcourse.metrics import mse
from dlcourse.resampling import (
    balanced_bootstrap_indices,
    bootstrap_632,
    bootstrap_error_632,
    bootstrap_indices,
    cross_validate,
    holdout_indices,
    kfold_indices,
    leave_one_out_indices,
    random_subsampling,
    random_subsampling_indices,
    train_test_split,
)


def test_holdout_partitions_and_is_seeded():
    train, test = holdout_indices(10, test_size=0.25, rng=3)
    assert len(test) == 3 and len(train) == 7  # ceil(2.5) test items, as scikit-learn
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(10))
    again = holdout_indices(10, test_size=0.25, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(train, again[0])
    other = holdout_indices(10, test_size=0.25, rng=4)
    assert not np.array_equal(test, other[1])


def test_holdout_without_shuffle_takes_the_tail():
    train, test = holdout_indices(5, test_size=2, shuffle=False)
    np.testing.assert_array_equal(train, [0, 1, 2])
    np.testing.assert_array_equal(test, [3, 4])


def test_train_test_split_keeps_rows_together():
    X = np.arange(40).reshape(20, 2)
    y = X[:, 0] * 10
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.3, rng=0)
    assert X_tr.shape == (14, 2) and X_te.shape == (6, 2)
    np.testing.assert_array_equal(y_tr, X_tr[:, 0] * 10)
    np.testing.assert_array_equal(y_te, X_te[:, 0] * 10)


def test_stratified_split_keeps_class_shares():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    _, _, y_tr, y_te = train_test_split(np.zeros((100, 1)), y, test_size=0.2, stratify=y, rng=1)
    np.testing.assert_array_equal(np.bincount(y_te), [10, 6, 4])
    np.testing.assert_array_equal(np.bincount(y_tr), [40, 24, 16])


def test_stratified_split_rounds_to_the_test_size():
    y = np.repeat([0, 1, 2], [7, 7, 7])
    train, test = holdout_indices(21, test_size=0.5, stratify=y, rng=0)
    assert len(test) == 11 and len(train) == 10
    assert np.abs(np.bincount(y[test]) - 11 / 3).max() < 1


def test_split_errors():
    with pytest.raises(ValueError, match="different lengths"):
        train_test_split(np.zeros(5), np.zeros(4))
    with pytest.raises(ValueError, match="test_size"):
        holdout_indices(10, test_size=1.5)
    with pytest.raises(ValueError, match="both sets must be non-empty"):
        holdout_indices(3, test_size=3)
    with pytest.raises(ValueError, match=r"stratify must have shape \(10,\)"):
        holdout_indices(10, stratify=np.zeros(9))


@pytest.mark.parametrize("n, k", [(10, 5), (11, 3), (7, 7)])
def test_kfold_equals_sklearn(n, k):
    ours = list(kfold_indices(n, k))
    theirs = list(KFold(n_splits=k).split(np.zeros(n)))
    assert len(ours) == k
    for (tr, te), (str_, ste) in zip(ours, theirs):
        np.testing.assert_array_equal(tr, str_)
        np.testing.assert_array_equal(te, ste)


def test_shuffled_kfold_tests_every_item_once():
    tests = [te for _, te in kfold_indices(23, 4, shuffle=True, rng=0)]
    np.testing.assert_array_equal(np.sort(np.concatenate(tests)), np.arange(23))
    for tr, te in kfold_indices(23, 4, shuffle=True, rng=0):
        assert np.intersect1d(tr, te).size == 0 and len(tr) + len(te) == 23


def test_leave_one_out_equals_sklearn():
    for (tr, te), (str_, ste) in zip(leave_one_out_indices(6), LeaveOneOut().split(np.zeros(6))):
        np.testing.assert_array_equal(tr, str_)
        np.testing.assert_array_equal(te, ste)


def test_kfold_errors():
    with pytest.raises(ValueError, match="n_splits"):
        list(kfold_indices(10, 1))
    with pytest.raises(ValueError, match="larger than the number of samples"):
        list(kfold_indices(3, 4))


def test_bootstrap_out_of_bag_is_the_complement():
    for in_bag, oob in bootstrap_indices(50, n_bootstraps=20, rng=0):
        assert len(in_bag) == 50
        np.testing.assert_array_equal(oob, np.setdiff1d(np.arange(50), in_bag))


def test_bootstrap_leaves_out_about_36_8_percent():
    n = 2000
    fractions = [len(oob) / n for _, oob in bootstrap_indices(n, n_bootstraps=50, rng=1)]
    assert np.mean(fractions) == pytest.approx((1 - 1 / n) ** n, abs=0.005)  # ≈ e^-1 = 0.368


def test_bootstrap_is_seeded():
    a = [b for b, _ in bootstrap_indices(10, 3, rng=5)]
    b = [b for b, _ in bootstrap_indices(10, 3, rng=np.random.default_rng(5))]
    np.testing.assert_array_equal(a, b)


def test_632_formula():
    assert bootstrap_632(0.1, 0.3) == pytest.approx(0.368 * 0.1 + 0.632 * 0.3)
    assert bootstrap_632(0.2, 0.2) == pytest.approx(0.2)


def test_632_estimate_with_a_linear_model():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = X @ [1.0, -2.0] + 0.5 + rng.normal(scale=0.5, size=60)
    result = bootstrap_error_632(LinearRegression, X, y, mse, n_bootstraps=30, rng=0)
    assert result["err_train"] < result["err_632"] < result["err_oob"]
    assert result["err_632"] == pytest.approx(bootstrap_632(result["err_train"], result["err_oob"]))
    assert 0.15 < result["err_632"] < 0.4  # the noise variance is 0.25


def test_cross_validate_returns_one_score_per_fold():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 1))
    y = 3 * X[:, 0] + 1
    scores = cross_validate(LinearRegression, X, y, mse, n_splits=5, rng=0)
    assert scores.shape == (5,)
    np.testing.assert_allclose(scores, 0.0, atol=1e-20)


# -- random subsampling and the class-balanced bootstrap ---------------------------------


def test_random_subsampling_splits_have_sklearn_sizes_and_differ():
    from sklearn.model_selection import ShuffleSplit

    splits = list(random_subsampling_indices(23, n_repeats=6, test_size=0.3, rng=1))
    theirs = next(ShuffleSplit(n_splits=1, test_size=0.3, random_state=0).split(np.zeros(23)))
    assert len(splits) == 6
    for train, test in splits:
        assert (len(train), len(test)) == (len(theirs[0]), len(theirs[1]))
        np.testing.assert_array_equal(np.sort(np.r_[train, test]), np.arange(23))
    assert len({tuple(np.sort(test)) for _, test in splits}) == 6


def test_random_subsampling_is_repeated_holdout_from_one_generator():
    rng = np.random.default_rng(5)
    expected = [holdout_indices(30, test_size=0.2, rng=rng) for _ in range(4)]
    got = list(random_subsampling_indices(30, n_repeats=4, test_size=0.2, rng=5))
    for (a, b), (c, d) in zip(expected, got):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_stratified_random_subsampling_keeps_class_shares():
    y = np.array([0] * 40 + [1] * 10)
    for _, test in random_subsampling_indices(50, n_repeats=5, test_size=0.2, rng=2, stratify=y):
        assert np.bincount(y[test]).tolist() == [8, 2]


def test_random_subsampling_score_is_the_mean_of_the_holdout_scores():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = X @ np.array([1.0, -2.0]) + 0.3 * rng.normal(size=40)
    scores = random_subsampling(LinearRegression, X, y, mse, n_repeats=7, test_size=0.25, rng=3)
    by_hand = []
    for train, test in random_subsampling_indices(40, n_repeats=7, test_size=0.25, rng=3):
        model = LinearRegression().fit(X[train], y[train])
        by_hand.append(mse(y[test], model.predict(X[test])))
    np.testing.assert_allclose(scores, by_hand)
    assert scores.std() > 0


def test_random_subsampling_errors():
    with pytest.raises(ValueError, match="n_repeats"):
        list(random_subsampling_indices(10, n_repeats=0))
    with pytest.raises(ValueError, match="X has 3 samples but y has 2"):
        random_subsampling(LinearRegression, np.zeros((3, 1)), np.zeros(2), mse)


def test_balanced_bootstrap_draws_the_same_number_from_every_class():
    y = np.array([0] * 90 + [1] * 10 + [2] * 5)
    for in_bag, oob in balanced_bootstrap_indices(y, n_bootstraps=20, rng=4):
        assert np.bincount(y[in_bag]).tolist() == [90, 90, 90]
        assert (np.diff(y[in_bag]) >= 0).all()  # class after class
        drawn = np.zeros(len(y), bool)
        drawn[in_bag] = True
        np.testing.assert_array_equal(oob, np.flatnonzero(~drawn))
    in_bag, _ = next(balanced_bootstrap_indices(y, n_bootstraps=1, n_per_class=7, rng=0))
    assert np.bincount(y[in_bag]).tolist() == [7, 7, 7]


def test_balanced_bootstrap_is_uniform_within_a_class_and_seeded():
    from scipy.stats import chisquare

    y = np.array([1] * 6 + [0] * 30)
    counts = np.zeros(len(y))
    for in_bag, _ in balanced_bootstrap_indices(y, n_bootstraps=2000, rng=8):
        counts += np.bincount(in_bag, minlength=len(y))
    assert chisquare(counts[:6]).pvalue > 1e-3 and chisquare(counts[6:]).pvalue > 1e-3
    assert counts[:6].sum() == counts[6:].sum() == 2000 * 30
    first = [b for b, _ in balanced_bootstrap_indices(y, 3, rng=1)]
    again = [b for b, _ in balanced_bootstrap_indices(y, 3, rng=1)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))


def test_balanced_bootstrap_errors():
    with pytest.raises(ValueError, match="1-D"):
        next(balanced_bootstrap_indices(np.zeros((2, 2))))
    with pytest.raises(ValueError, match="n_per_class"):
        next(balanced_bootstrap_indices([0, 1], n_per_class=0))
