"""The library behind chapter 9: bias and variance measured, bagging, image augmentation,
the L1 and L2 penalties, input noise and ISTA's lasso, against scikit-learn, PyTorch and
the formulas' own closed forms."""

import numpy as np
import pytest
import torch
from sklearn.linear_model import Lasso

from dlcourse import augment, bias_variance, ensemble, regularization
from dlcourse.linear_models import lasso_ista


# -- bias and variance ---------------------------------------------------------------------


def test_decompose_matches_the_definitions_written_as_loops():
    rng = np.random.default_rng(0)
    predictions, truth = rng.normal(size=(7, 5)), rng.normal(size=5)
    bias2 = sum((predictions[:, j].mean() - truth[j]) ** 2 for j in range(5)) / 5
    variance = sum(((predictions[r, j] - predictions[:, j].mean()) ** 2) for r in range(7) for j in range(5)) / 35
    assert np.allclose(bias_variance.decompose(predictions, truth), (bias2, variance), rtol=1e-12)


def test_polynomial_fit_matches_numpy_polyfit():
    rng = np.random.default_rng(1)
    x, y, x_test = rng.uniform(-1, 1, 20), rng.normal(size=20), np.linspace(-1, 1, 9)
    for degree in (0, 1, 4, 9):
        expected = np.polyval(np.polyfit(x, y, degree), x_test)
        assert np.allclose(bias_variance.polynomial_fit_predict(x, y, x_test, degree), expected, rtol=1e-8, atol=1e-10)


def test_bias_variance_and_noise_add_up_to_the_measured_test_error():
    # E over training sets and fresh test noise of (y - f_hat)^2 equals bias^2 + variance + sigma^2 exactly
    # when the test noise is averaged out analytically; measured here with many fresh test draws
    rng = np.random.default_rng(2)
    x_train, x_test, sigma = np.linspace(-1, 1, 25), np.linspace(-0.9, 0.9, 15), 0.3
    bias2, var = bias_variance.polynomial_bias_variance(np.sin, x_train, x_test, [1, 3, 8], sigma, 400,
                                                        np.random.default_rng(3))
    check = np.random.default_rng(3)
    ys = [np.sin(x_train) + sigma * check.standard_normal(25) for _ in range(400)]
    for i, degree in enumerate([1, 3, 8]):
        preds = np.array([np.polyval(np.polyfit(x_train, y, degree), x_test) for y in ys])
        y_test = np.sin(x_test) + sigma * rng.standard_normal((400, 15))
        measured = np.mean((y_test - preds) ** 2)
        spread = np.std((y_test - preds) ** 2) / np.sqrt(preds.size)
        assert abs(measured - (bias2[i] + var[i] + sigma ** 2)) < 5 * spread
    assert bias2[0] > bias2[1] and var[2] > var[1]


def test_bias_variance_refuses_bad_input():
    with pytest.raises(TypeError, match="Generator"):
        bias_variance.polynomial_bias_variance(np.sin, [0, 1, 2], [0.5], [1], 0.1, 5, 0)
    with pytest.raises(ValueError, match="degree"):
        bias_variance.polynomial_fit_predict([0, 1, 2], [0, 1, 2], [0.5], 3)


# -- bagging -----------------------------------------------------------------------------------


def _mean_fit(X, y, X_test):
    return np.full(len(X_test), y.mean())


def test_bagging_averages_the_models_of_the_bootstrap_samples():
    X, y = np.arange(10.0)[:, None], np.arange(10.0) ** 2
    draws = np.random.default_rng(4)
    means = [y[draws.integers(0, 10, size=10)].mean() for _ in range(6)]
    got = ensemble.bagging_predict(_mean_fit, X, y, np.zeros((3, 1)), 6, np.random.default_rng(4))
    assert np.allclose(got, np.mean(means), rtol=1e-12)


def test_averaged_variance_matches_correlated_draws():
    rng, k, rho, sigma2 = np.random.default_rng(5), 8, 0.3, 2.0
    cov = sigma2 * (rho * np.ones((k, k)) + (1 - rho) * np.eye(k))
    draws = rng.multivariate_normal(np.zeros(k), cov, size=200_000).mean(axis=1)
    assert np.isclose(draws.var(), ensemble.averaged_variance(sigma2, rho, k), rtol=0.02)
    assert ensemble.averaged_variance(sigma2, 1.0, k) == sigma2


def test_bootstrap_refuses_a_seed_instead_of_a_generator():
    with pytest.raises(TypeError, match="Generator"):
        ensemble.bootstrap_samples(5, 2, 0)


# -- augmentation --------------------------------------------------------------------------------


def _shift_loop(images, dy, dx):
    out = np.zeros_like(images)
    n, h, w = images.shape
    for k in range(n):
        for i in range(h):
            for j in range(w):
                if 0 <= i - dy[k] < h and 0 <= j - dx[k] < w:
                    out[k, i, j] = images[k, i - dy[k], j - dx[k]]
    return out


def test_shift_equals_the_loop_and_torch_roll_away_from_the_edges():
    rng = np.random.default_rng(6)
    images = rng.random((5, 8, 8))
    dy, dx = np.array([0, 1, -2, 3, -1]), np.array([2, 0, -1, -3, 1])
    got = augment.shift(images, dy, dx)
    assert np.array_equal(got, _shift_loop(images, dy, dx))
    rolled = torch.roll(torch.from_numpy(images[1]), shifts=(1, 0), dims=(0, 1)).numpy()
    assert np.array_equal(got[1, 1:], rolled[1:]) and not got[1, 0].any()


def test_flips_match_torch_flip():
    images = np.random.default_rng(7).random((3, 8, 8))
    assert np.array_equal(augment.flip_horizontal(images), torch.flip(torch.from_numpy(images), dims=(2,)).numpy())
    assert np.array_equal(augment.flip_vertical(images), torch.flip(torch.from_numpy(images), dims=(1,)).numpy())


def test_random_crop_is_a_padded_window_at_the_drawn_offsets():
    images = np.random.default_rng(8).random((4, 8, 8))
    got = augment.random_crop(images, 2, np.random.default_rng(9))
    offsets = np.random.default_rng(9).integers(0, 5, size=(4, 2))
    padded = torch.nn.functional.pad(torch.from_numpy(images), (2, 2, 2, 2)).numpy()
    for k, (top, left) in enumerate(offsets):
        assert np.array_equal(got[k], padded[k, top:top + 8, left:left + 8])
    # a crop at offset (2, 2) of the padding is the image itself; one at (0, 0) a shift by (2, 2)
    assert np.array_equal(augment.crop(padded, [2] * 4, [2] * 4, (8, 8)), images)
    assert np.array_equal(augment.crop(padded, [0] * 4, [0] * 4, (8, 8)), augment.shift(images, 2, 2))


def test_random_shift_draws_one_offset_pair_per_image():
    images = np.random.default_rng(10).random((6, 8, 8))
    offsets = np.random.default_rng(11).integers(-2, 3, size=(6, 2))
    got = augment.random_shift(images, 2, np.random.default_rng(11))
    assert np.array_equal(got, augment.shift(images, offsets[:, 0], offsets[:, 1]))


def test_augmentation_refuses_a_single_image_and_leaves_its_input_alone():
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        augment.flip_horizontal(np.zeros((8, 8)))
    images = np.random.default_rng(12).random((2, 8, 8))
    kept = images.copy()
    augment.shift(images, 1, 1), augment.flip_vertical(images), augment.random_crop(images, 1, np.random.default_rng(0))
    assert np.array_equal(images, kept)
    with pytest.raises(ValueError, match="does not fit"):
        augment.crop(images, 1, 0, (8, 8))


# -- penalties, input noise, lasso ---------------------------------------------------------------


def test_penalties_and_their_gradients_match_torch_autograd():
    w = np.array([[-1.5, 0.0, 2.0], [0.25, -0.0, 3.0]])
    t = torch.tensor(w, requires_grad=True)
    (0.3 * t.abs().sum()).backward()
    assert np.isclose(regularization.l1_penalty(w, 0.3), 0.3 * np.abs(w).sum())
    assert np.allclose(regularization.l1_subgradient(w, 0.3), t.grad.numpy())
    t.grad = None
    (0.5 * 0.7 * (t ** 2).sum()).backward()
    assert np.isclose(regularization.l2_penalty(w, 0.7), 0.35 * (w ** 2).sum())
    assert np.allclose(regularization.l2_gradient(w, 0.7), t.grad.numpy())


def test_soft_threshold_matches_torch_softshrink():
    v = np.linspace(-3, 3, 25)
    assert np.allclose(regularization.soft_threshold(v, 0.8),
                       torch.nn.functional.softshrink(torch.from_numpy(v), 0.8).numpy())


def test_weight_decay_step_equals_torch_sgd_weight_decay():
    w, g = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.1, -0.2])
    p = torch.nn.Parameter(torch.tensor(w))
    opt = torch.optim.SGD([p], lr=0.1, weight_decay=0.01)
    p.grad = torch.tensor(g)
    opt.step()
    assert np.allclose(regularization.weight_decay_step(w, g, 0.1, 0.01), p.detach().numpy(), rtol=1e-14)


def test_input_noise_adds_sigma_squared_times_the_squared_weights_on_average():
    rng = np.random.default_rng(13)
    X, w, b, sigma = rng.normal(size=(30, 4)), np.array([1.0, -2.0, 0.5, 0.0]), 0.3, 0.4
    y = X @ w + b + rng.normal(size=30)
    draws = np.array([np.mean((regularization.add_input_noise(X, sigma, rng) @ w + b - y) ** 2)
                      for _ in range(4000)])
    expected = regularization.expected_noisy_mse(X, y, w, b, sigma)
    assert np.isclose(expected, np.mean((X @ w + b - y) ** 2) + sigma ** 2 * 5.25)
    assert abs(draws.mean() - expected) < 5 * draws.std() / np.sqrt(len(draws))


def test_lasso_ista_converges_to_sklearns_lasso_with_its_zeros():
    rng = np.random.default_rng(14)
    X = rng.normal(size=(60, 8))
    y = X @ np.array([3.0, 0, 0, -2.0, 0, 0, 0.5, 0]) + 0.1 * rng.normal(size=60)
    for alpha in (0.05, 0.3, 1.0):
        ours = lasso_ista(X, y, alpha, n_steps=5000)
        theirs = Lasso(alpha=alpha, fit_intercept=False, tol=1e-12, max_iter=100_000).fit(X, y).coef_
        assert np.allclose(ours, theirs, atol=1e-8)
        assert np.array_equal(ours == 0, theirs == 0)


def test_lasso_ista_with_alpha_zero_is_least_squares_and_refuses_bad_input():
    rng = np.random.default_rng(15)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    assert np.allclose(lasso_ista(X, y, 0.0, n_steps=3000), np.linalg.lstsq(X, y, rcond=None)[0], atol=1e-10)
    with pytest.raises(ValueError, match="alpha"):
        lasso_ista(X, y, -1.0)
    with pytest.raises(ValueError, match="1-D"):
        lasso_ista(X, np.c_[y, y], 0.1)
