import numpy as np
import pytest

from dlcourse import datasets
from dlcourse.datasets import (
    house_prices,
    insurance_by_age,
    insurance_by_age_affordability,
    line_points,
    load_digits_split,
    make_blobs,
    make_circles,
    make_moons,
    make_spirals,
    truth_table,
)


def test_insurance_by_age_table():
    age, bought = insurance_by_age()
    assert age.shape == (15, 1) and bought.shape == (15,)
    assert age[:3, 0].tolist() == [22, 25, 47] and bought[:3].tolist() == [0, 0, 1]
    assert age[-1, 0] == 49 and bought[-1] == 1
    assert bought.sum() == 7


def test_insurance_by_age_affordability_table():
    X, y = insurance_by_age_affordability()
    assert X.shape == (13, 2) and y.shape == (13,)
    np.testing.assert_array_equal(X[0], [22, 1])  # the notes' highlighted row
    assert y[0] == 0
    np.testing.assert_array_equal(X[7], [60, 0])
    assert y[7] == 1


def test_notes_forward_pass_on_highlighted_row():
    # the notes: w1 = w2 = 1, bias 0 -> y = 22 + 1 = 23, sigmoid ≈ 0.99 (really 1 − 1e-10),
    # squared error against target 0 ≈ 0.98 (0.9801 with the rounded 0.99)
    X, y = insurance_by_age_affordability()
    z = X[0] @ [1.0, 1.0] + 0.0
    assert z == 23
    p = 1 / (1 + np.exp(-z))
    assert p > 0.99
    assert (y[0] - 0.99) ** 2 == pytest.approx(0.9801)


def test_house_prices_table():
    X, price = house_prices()
    np.testing.assert_array_equal(X[:, 0], [1200, 1500, 2100, 1100, 1300, 900])
    np.testing.assert_array_equal(X[:, 1], [2, 3, 4, 3, 2, 1])
    np.testing.assert_array_equal(price, [70, 120, 230, 105, 90, 55])


def test_line_points_lie_on_notes_line():
    x, y = line_points()
    np.testing.assert_allclose(y, 0.5 * x[:, 0] - 1.5)


@pytest.mark.parametrize(
    "name, expected",
    [("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1]), ("nand", [1, 1, 1, 0]),
     ("nor", [1, 0, 0, 0]), ("xor", [0, 1, 1, 0])],
)
def test_truth_tables(name, expected):
    X, y = truth_table(name)
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, expected)
    Xb, yb = truth_table(name.upper(), encoding="bipolar")
    np.testing.assert_array_equal(Xb, 2 * X - 1)
    np.testing.assert_array_equal(yb, 2 * np.array(expected) - 1)


def test_truth_table_three_input_xor_is_parity_and_not():
    X, y = truth_table("xor", n_inputs=3)
    assert X.shape == (8, 3)
    np.testing.assert_array_equal(y, X.sum(axis=1) % 2)
    X, y = truth_table("not")
    np.testing.assert_array_equal(X[:, 0], [0, 1])
    np.testing.assert_array_equal(y, [1, 0])


def test_truth_table_errors():
    with pytest.raises(ValueError, match="unknown boolean function 'implies'"):
        truth_table("implies")
    with pytest.raises(ValueError, match="encoding"):
        truth_table("and", encoding="ternary")


@pytest.mark.parametrize("maker", [make_moons, make_circles, make_blobs, make_spirals])
def test_toy_sets_reproducible_and_shaped(maker):
    X1, y1 = maker(n_samples=101, rng=7)
    X2, y2 = maker(n_samples=101, rng=np.random.default_rng(7))
    X3, _ = maker(n_samples=101, rng=8)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert X1.shape == (101, 2) and y1.shape == (101,)
    assert X1.dtype == np.float64 and y1.dtype == np.int64
    assert not np.array_equal(X1, X3)
    counts = np.bincount(y1)
    assert counts.max() - counts.min() <= 1


def test_moons_and_circles_geometry_without_noise():
    X, y = make_moons(n_samples=50, shuffle=False)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(X[y == 1, 0] - 1, X[y == 1, 1] - 0.5), 1.0)
    X, y = make_circles(n_samples=40, factor=0.5)
    np.testing.assert_allclose(np.hypot(*X[y == 0].T), 1.0)
    np.testing.assert_allclose(np.hypot(*X[y == 1].T), 0.5)


@pytest.mark.parametrize("n", [30, 31])
def test_moons_and_circles_match_sklearn_without_noise(n):
    from sklearn import datasets as sklearn_datasets

    X, y = make_moons(n_samples=n, shuffle=False)
    Xs, ys = sklearn_datasets.make_moons(n_samples=n, shuffle=False)
    np.testing.assert_allclose(X, Xs, atol=1e-12)
    np.testing.assert_array_equal(y, ys)
    X, y = make_circles(n_samples=n, factor=0.3, shuffle=False)
    Xs, ys = sklearn_datasets.make_circles(n_samples=n, factor=0.3, shuffle=False)
    np.testing.assert_allclose(X, Xs, atol=1e-12)
    np.testing.assert_array_equal(y, ys)


def test_blobs_cluster_around_given_centers():
    centers = np.array([[-5.0, 0.0], [5.0, 0.0], [0.0, 8.0]])
    X, y = make_blobs(n_samples=3000, centers=centers, cluster_std=0.5, rng=1)
    for k in range(3):
        np.testing.assert_allclose(X[y == k].mean(axis=0), centers[k], atol=0.05)
        np.testing.assert_allclose(X[y == k].std(axis=0), 0.5, atol=0.05)


def test_spirals_have_several_classes():
    X, y = make_spirals(n_samples=300, n_classes=3, noise=0.01, rng=0)
    assert set(y.tolist()) == {0, 1, 2}
    assert np.abs(X).max() < 1.2


def test_random_sets_refuse_global_state():
    with pytest.raises(ValueError, match="rng"):
        make_moons(rng=None)


def test_digits_split_shapes_scale_and_reproducible():
    X_tr, X_te, y_tr, y_te = load_digits_split(test_size=0.2, seed=0)
    assert X_tr.shape[1:] == (1, 8, 8) and X_tr.dtype == np.float64
    assert len(X_tr) + len(X_te) == 1797
    assert len(X_te) == 360  # ceil(0.2 * 1797)
    assert X_tr.min() >= 0.0 and X_tr.max() == 1.0
    # stratified: every class keeps its share in the test set (within one image)
    full = np.bincount(np.concatenate([y_tr, y_te]))
    np.testing.assert_allclose(np.bincount(y_te), full * 0.2, atol=1)
    again = load_digits_split(test_size=0.2, seed=0)
    np.testing.assert_array_equal(again[0], X_tr)
    flat = load_digits_split(test_size=0.2, seed=0, flat=True, dtype=np.float32)
    assert flat[0].shape == (len(X_tr), 64) and flat[0].dtype == np.float32
    np.testing.assert_allclose(flat[0], X_tr.reshape(len(X_tr), 64), rtol=1e-6)
    other = load_digits_split(test_size=0.2, seed=1)
    assert not np.array_equal(other[2], y_tr)


def test_every_loader_documents_its_source():
    for name in datasets.__all__:
        assert getattr(datasets, name).__doc__, name
