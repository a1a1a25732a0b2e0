"""Hyperparameter search (chapter 10, "Tuning hyperparameters"): try
configurations, score each on a validation set (never the test set), keep the best.

- Grid search tries every combination of a few values per hyperparameter:
  with 3 values for each of 2 hyperparameters, 9 trials but only 3 distinct
  values of each one.
- Random search draws each trial's values independently, so 9 trials try 9
  distinct values of every hyperparameter; when only one of them matters,
  random search explores it three times as finely for the same cost.
- Learning rates and regularisation weights are drawn in logarithmic space,
  log-uniformly: ``value = exp(U(log low, log high))``, so that each decade
  (1e-4..1e-3, 1e-3..1e-2, ...) gets the same share of the trials
  (``scipy.stats.loguniform``).

A search space is a dict ``{name: values}``: a list or array of values to try
(grid search; random search picks one uniformly), or a distribution
(``LogUniform``, ``Uniform``) with a ``sample(rng)`` method (random search).
Randomness comes from ``rng``: a ``numpy.random.Generator`` or an integer seed.
"""

import itertools
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["LogUniform", "Uniform", "parameter_grid", "sample_parameters", "grid_search",
           "random_search", "SearchResult"]


def _generator(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _bounds(low, high, who):
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"{who} needs finite bounds low < high, got low={low!r}, high={high!r}")


@dataclass(frozen=True)
class Uniform:
    """Uniform on [low, high)."""

    low: float
    high: float

    def __post_init__(self):
        _bounds(self.low, self.high, "Uniform")

    def sample(self, rng, size=None):
        return _generator(rng).uniform(self.low, self.high, size=size)


@dataclass(frozen=True)
class LogUniform:
    """Log-uniform on [low, high): exp(U(log low, log high)), as ``scipy.stats.loguniform``."""

    low: float
    high: float

    def __post_init__(self):
        _bounds(self.low, self.high, "LogUniform")
        if self.low <= 0:
            raise ValueError(f"LogUniform needs low > 0 (a logarithm is taken), got low={self.low!r}")

    def sample(self, rng, size=None):
        return np.exp(_generator(rng).uniform(math.log(self.low), math.log(self.high), size=size))


def _check_space(space, who):
    if not isinstance(space, dict) or not space:
        raise ValueError(f"{who}: the search space must be a non-empty dict {{name: values}}, got {space!r}")


def parameter_grid(grid):
    """Every combination of ``grid = {name: values}`` as a list of dicts, in
    ``sklearn.model_selection.ParameterGrid``'s order (names sorted, the last
    name varying fastest)."""
    _check_space(grid, "parameter_grid")
    names = sorted(grid)
    for name in names:
        if not hasattr(grid[name], "__len__") or len(grid[name]) == 0:
            raise ValueError(f"parameter_grid: {name!r} needs a non-empty list of values, got {grid[name]!r}")
    return [dict(zip(names, values)) for values in itertools.product(*(grid[n] for n in names))]


def sample_parameters(space, n_iter, rng=0):
    """``n_iter`` configurations drawn from ``space``: for each trial, the
    names in sorted order, each from its distribution (``.sample(rng)``) or
    uniformly from its list of values."""
    _check_space(space, "sample_parameters")
    if not isinstance(n_iter, (int, np.integer)) or n_iter < 1:
        raise ValueError(f"n_iter must be an integer >= 1, got {n_iter!r}")
    rng = _generator(rng)
    names = sorted(space)
    trials = []
    for _ in range(n_iter):
        trial = {}
        for name in names:
            values = space[name]
            if hasattr(values, "sample"):
                trial[name] = float(values.sample(rng))
            else:
                trial[name] = values[int(rng.integers(len(values)))]
        trials.append(trial)
    return trials


@dataclass
class SearchResult:
    """The configurations tried, their scores, and the best of them."""

    params: list
    scores: np.ndarray
    best_index: int

    @property
    def best_params(self):
        return self.params[self.best_index]

    @property
    def best_score(self):
        return float(self.scores[self.best_index])


def _search(evaluate, configurations, mode):
    if mode not in ("max", "min"):
        raise ValueError(f"mode must be 'max' (a score) or 'min' (an error), got {mode!r}")
    scores = np.array([float(evaluate(**params)) for params in configurations])
    if np.isnan(scores).all():
        raise ValueError("every configuration scored nan")
    best = int(np.nanargmax(scores) if mode == "max" else np.nanargmin(scores))
    return SearchResult(configurations, scores, best)


def grid_search(evaluate, grid, mode="max"):
    """``evaluate(**params) -> score`` on every combination of ``grid``; the
    first best one wins a tie. ``mode="min"`` for an error or a loss."""
    return _search(evaluate, parameter_grid(grid), mode)


def random_search(evaluate, space, n_iter=10, rng=0, mode="max"):
    """``evaluate(**params) -> score`` on ``n_iter`` configurations drawn from
    ``space`` (see ``sample_parameters``); the first best one wins a tie."""
    return _search(evaluate, sample_parameters(space, n_iter, rng), mode)
