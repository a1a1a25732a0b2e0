"""MinMaxScaler and StandardScaler against scikit-learn's: fitted statistics, transform,
inverse, constant columns, float32, and inputs left as they were."""

import numpy as np
import pytest
from sklearn import preprocessing as sk

from dlcourse.preprocessing import MinMaxScaler, NotFittedError, StandardScaler


def _data(rng, n=30, d=4):
    # columns of very different scales and offsets, the case scaling is for
    return rng.normal(size=(n, d)) * np.array([1.0, 1e3, 1e-3, 50.0])[:d] + np.array([0.0, -5e3, 2.0, 7.0])[:d]


def _both(ours, theirs, train, test, attributes):
    np.testing.assert_allclose(ours.fit_transform(train), theirs.fit_transform(train), rtol=1e-12, atol=1e-12)
    for name in attributes:
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-12, atol=0, err_msg=name)
    np.testing.assert_allclose(ours.transform(test), theirs.transform(test), rtol=1e-12, atol=1e-12)
    back = ours.inverse_transform(ours.transform(test))
    np.testing.assert_allclose(back, theirs.inverse_transform(theirs.transform(test)), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(back, test, rtol=1e-12, atol=1e-9)


MINMAX_ATTRIBUTES = ("data_min_", "data_max_", "data_range_", "scale_", "min_", "n_samples_seen_")
STANDARD_ATTRIBUTES = ("mean_", "var_", "scale_", "n_samples_seen_")


@pytest.mark.parametrize("feature_range", [(0, 1), (-1, 1), (2.5, 10.0)])
def test_min_max_matches_sklearn(feature_range):
    rng = np.random.default_rng(0)
    train, test = _data(rng), _data(rng, n=9)
    _both(MinMaxScaler(feature_range), sk.MinMaxScaler(feature_range=feature_range), train, test,
          MINMAX_ATTRIBUTES)
    scaled = MinMaxScaler(feature_range).fit_transform(train)
    np.testing.assert_allclose(scaled.min(axis=0), feature_range[0], atol=1e-12)
    np.testing.assert_allclose(scaled.max(axis=0), feature_range[1], atol=1e-12)


def test_min_max_clip_matches_sklearn():
    rng = np.random.default_rng(1)
    train, test = _data(rng), 3 * _data(rng, n=9)
    ours = MinMaxScaler(clip=True).fit(train)
    theirs = sk.MinMaxScaler(clip=True).fit(train)
    np.testing.assert_allclose(ours.transform(test), theirs.transform(test), rtol=1e-12, atol=1e-12)
    assert ours.transform(test).min() == 0.0 and ours.transform(test).max() == 1.0


@pytest.mark.parametrize("with_mean, with_std", [(True, True), (False, True), (True, False), (False, False)])
def test_standard_matches_sklearn(with_mean, with_std):
    rng = np.random.default_rng(2)
    train, test = _data(rng), _data(rng, n=9)
    ours, theirs = StandardScaler(with_mean, with_std), sk.StandardScaler(with_mean=with_mean, with_std=with_std)
    _both(ours, theirs, train, test, ["n_samples_seen_"])
    for name in ("mean_", "var_", "scale_"):  # None exactly where scikit-learn's is None
        assert (getattr(ours, name) is None) == (getattr(theirs, name) is None), name
        if getattr(theirs, name) is not None:
            np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-12, err_msg=name)
    if with_mean and with_std:
        scaled = StandardScaler().fit_transform(train)
        np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-12)
        np.testing.assert_allclose(scaled.std(axis=0), 1, rtol=1e-12)


CONSTANT_COLUMNS = [
    np.array([[0.1], [0.1], [0.1]]),                      # a variance of rounding error, not 0
    np.array([[3.0, 1.0], [3.0, 2.0], [3.0, 4.0]]),       # an exactly constant column beside another
    np.array([[1e8 + 0.1, 0.0]] * 7),                     # a large constant: larger rounding error
    np.array([[-2.5, 1.0]]),                              # a single sample: every column constant
]


@pytest.mark.parametrize("X", CONSTANT_COLUMNS, ids=["0.1 three times", "exact", "large", "one sample"])
def test_constant_columns_are_handled_as_sklearn_does(X):
    test = X + np.array([1.0, -1.0])[: X.shape[1]]
    _both(MinMaxScaler(), sk.MinMaxScaler(), X, test, MINMAX_ATTRIBUTES)
    _both(StandardScaler(), sk.StandardScaler(), X, test, STANDARD_ATTRIBUTES)
    constant = np.ptp(X, axis=0) == 0
    assert np.all(StandardScaler().fit(X).scale_[constant] == 1.0)
    assert np.all(MinMaxScaler().fit(X).scale_[constant] == 1.0)
    assert np.all(np.abs(StandardScaler().fit_transform(X)[:, constant]) < 1e-6)  # centred, not blown up


def test_a_tiny_but_real_spread_is_scaled_not_taken_for_a_constant():
    X = np.array([[0.0], [1e-10], [2e-10]])
    _both(StandardScaler(), sk.StandardScaler(), X, X, STANDARD_ATTRIBUTES)
    _both(MinMaxScaler(), sk.MinMaxScaler(), X, X, MINMAX_ATTRIBUTES)
    np.testing.assert_allclose(MinMaxScaler().fit_transform(X).ravel(), [0.0, 0.5, 1.0])


def test_float32_stays_float32_and_agrees_with_sklearn():
    X = _data(np.random.default_rng(3)).astype(np.float32)
    for ours, theirs in ((MinMaxScaler(), sk.MinMaxScaler()), (StandardScaler(), sk.StandardScaler())):
        got, expected = ours.fit_transform(X), theirs.fit_transform(X)
        assert got.dtype == np.float32 and ours.inverse_transform(got).dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_integers_are_scaled_as_floats():
    X = np.array([[1, 10], [2, 20], [4, 40]])
    np.testing.assert_allclose(MinMaxScaler().fit_transform(X), sk.MinMaxScaler().fit_transform(X))
    np.testing.assert_allclose(StandardScaler().fit_transform(X), sk.StandardScaler().fit_transform(X))


@pytest.mark.parametrize("scaler", [MinMaxScaler, StandardScaler])
def test_no_method_changes_its_input(scaler):
    rng = np.random.default_rng(4)
    train, test = _data(rng), _data(rng, n=5)
    kept_train, kept_test = train.copy(), test.copy()
    fitted = scaler().fit(train)
    outputs = [fitted.transform(test), fitted.inverse_transform(test), scaler().fit_transform(train)]
    np.testing.assert_array_equal(train, kept_train)
    np.testing.assert_array_equal(test, kept_test)
    assert not any(np.shares_memory(out, array) for out in outputs for array in (train, test))
    # a scaler that only centres, or only divides, still returns a new array
    for options in ({"with_mean": False}, {"with_std": False}) if scaler is StandardScaler else ():
        partial = scaler(**options).fit(train)
        assert not np.shares_memory(partial.transform(test), test)
        assert not np.shares_memory(partial.inverse_transform(test), test)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="Minimum of desired feature range must be smaller"):
        MinMaxScaler((1, 1))
    with pytest.raises(ValueError, match=r"2-D array.*reshape\(-1, 1\)"):
        MinMaxScaler().fit(np.arange(3.0))
    with pytest.raises(ValueError, match="at least one sample"):
        StandardScaler().fit(np.zeros((0, 2)))
    with pytest.raises(ValueError, match="non-finite value nan at row 1, column 0"):
        StandardScaler().fit(np.array([[1.0], [np.nan]]))
    with pytest.raises(TypeError, match="numeric array"):
        MinMaxScaler().fit(np.array([["a"], ["b"]]))
    with pytest.raises(NotFittedError, match="not fitted yet"):
        MinMaxScaler().transform(np.ones((2, 2)))
    with pytest.raises(NotFittedError, match="not fitted yet"):
        StandardScaler().inverse_transform(np.ones((2, 2)))
    with pytest.raises(ValueError, match="X has 3 features, but the scaler was fitted on 2"):
        StandardScaler().fit(np.ones((4, 2))).transform(np.ones((4, 3)))
