"""Grid and random search against scikit-learn's ParameterGrid, GridSearchCV and
scipy's log-uniform distribution."""

import numpy as np
import pytest
from scipy import stats
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold, ParameterGrid

from dlcourse.search import LogUniform, Uniform, grid_search, parameter_grid, random_search, sample_parameters


def test_parameter_grid_equals_sklearns_order():
    grid = {"lr": [1e-3, 1e-2, 1e-1], "weight_decay": [0.0, 1e-4], "act": ["relu", "tanh"]}
    assert parameter_grid(grid) == list(ParameterGrid(grid))


def test_log_uniform_equals_scipys_loguniform_draw_for_draw():
    ours = LogUniform(1e-4, 1e-1).sample(np.random.default_rng(3), size=1000)
    theirs = stats.loguniform(1e-4, 1e-1).rvs(size=1000, random_state=np.random.default_rng(3))
    np.testing.assert_allclose(ours, theirs, rtol=1e-14)
    decades = np.histogram(np.log10(ours), bins=[-4, -3, -2, -1])[0]
    assert decades.min() > 280  # each decade gets about a third of the draws


def test_uniform_equals_scipys_uniform():
    ours = Uniform(2.0, 5.0).sample(np.random.default_rng(1), size=50)
    theirs = stats.uniform(2.0, 3.0).rvs(size=50, random_state=np.random.default_rng(1))
    np.testing.assert_allclose(ours, theirs, rtol=1e-14)


def test_sample_parameters_draws_each_trial_name_by_name():
    space = {"weight_decay": LogUniform(1e-5, 1e-2), "lr": LogUniform(1e-3, 1.0), "width": [8, 16, 32]}
    trials = sample_parameters(space, 5, rng=7)
    rng = np.random.default_rng(7)
    for trial in trials:
        assert list(trial) == ["lr", "weight_decay", "width"]
        assert trial["lr"] == pytest.approx(np.exp(rng.uniform(np.log(1e-3), np.log(1.0))))
        assert trial["weight_decay"] == pytest.approx(np.exp(rng.uniform(np.log(1e-5), np.log(1e-2))))
        assert trial["width"] == [8, 16, 32][rng.integers(3)]


def _cv_score(X, y, alpha):
    from dlcourse.linear_models import Ridge as OurRidge
    from dlcourse.metrics import mse
    from dlcourse.resampling import cross_validate

    return -cross_validate(lambda: OurRidge(alpha=alpha), X, y, mse, n_splits=5, shuffle=False).mean()


def test_grid_search_picks_what_gridsearchcv_picks():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 8))
    y = X[:, :2] @ np.array([1.0, -1.0]) + rng.normal(size=40)
    alphas = [0.01, 0.1, 1.0, 10.0, 100.0]
    ours = grid_search(lambda alpha: _cv_score(X, y, alpha), {"alpha": alphas})
    theirs = GridSearchCV(Ridge(), {"alpha": alphas}, cv=KFold(5), scoring="neg_mean_squared_error").fit(X, y)
    assert ours.best_params == theirs.best_params_
    np.testing.assert_allclose(ours.scores, theirs.cv_results_["mean_test_score"], rtol=1e-9)
    assert ours.best_score == pytest.approx(theirs.best_score_)


def test_random_search_tries_more_distinct_values_than_a_grid_of_the_same_cost():
    # only lr matters: a 3 x 3 grid tries 3 learning rates, 9 random trials try 9
    def score(lr, weight_decay):
        return -(np.log10(lr) + 1.5) ** 2  # best between two grid points

    grid = grid_search(score, {"lr": [1e-3, 1e-2, 1e-1], "weight_decay": [1e-5, 1e-4, 1e-3]})
    rand = random_search(score, {"lr": LogUniform(1e-3, 1e-1), "weight_decay": LogUniform(1e-5, 1e-3)},
                         n_iter=9, rng=0)
    assert len({p["lr"] for p in grid.params}) == 3 and len({p["lr"] for p in rand.params}) == 9
    assert grid.best_score == pytest.approx(-0.25)
    bests = [random_search(score, {"lr": LogUniform(1e-3, 1e-1), "weight_decay": LogUniform(1e-5, 1e-3)},
                           n_iter=9, rng=seed).best_score for seed in range(50)]
    assert np.mean(np.array(bests) > grid.best_score) > 0.9


def test_search_modes_and_errors():
    result = grid_search(lambda x: (x - 2) ** 2, {"x": [0, 1, 2, 3]}, mode="min")
    assert result.best_params == {"x": 2} and result.best_score == 0.0
    with pytest.raises(ValueError, match="mode"):
        grid_search(lambda x: x, {"x": [1]}, mode="best")
    with pytest.raises(ValueError, match="low > 0"):
        LogUniform(0.0, 1.0)
    with pytest.raises(ValueError, match="low < high"):
        Uniform(1.0, 1.0)
    with pytest.raises(ValueError, match="non-empty list"):
        parameter_grid({"x": []})
    with pytest.raises(ValueError, match="n_iter"):
        sample_parameters({"x": [1]}, 0)
