"""dlcourse.init: torch.nn.init's gains, fans and bounds, and the notes' variances."""

import math

import numpy as np
import pytest
import torch

import dlcourse.init as init
from dlcourse.nn import Linear, Parameter


@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu", None),
])
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15)


@pytest.mark.parametrize("shape", [(3, 5), (8, 4, 3, 3), (2, 6, 5)])
def test_fans_match_torch(shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init.calculate_fan_in_and_fan_out(shape) == expected


def _torch_bound_or_std(fn, shape, **kwargs):
    """Run torch's initialiser on a huge tensor to read off its bound (uniform) and std."""
    t = torch.empty(shape, dtype=torch.float64)
    torch.manual_seed(0)
    fn(t, **kwargs)
    return t.abs().max().item(), t.std().item()


@pytest.mark.parametrize("ours, theirs, kwargs", [
    (init.xavier_uniform_, torch.nn.init.xavier_uniform_, {"gain": 1.0}),
    (init.xavier_uniform_, torch.nn.init.xavier_uniform_, {"gain": 5 / 3}),
    (init.xavier_normal_, torch.nn.init.xavier_normal_, {}),
    (init.kaiming_uniform_, torch.nn.init.kaiming_uniform_, {}),
    (init.kaiming_uniform_, torch.nn.init.kaiming_uniform_, {"a": math.sqrt(5)}),
    (init.kaiming_uniform_, torch.nn.init.kaiming_uniform_, {"mode": "fan_out", "nonlinearity": "relu"}),
    (init.kaiming_normal_, torch.nn.init.kaiming_normal_, {"nonlinearity": "relu"}),
    (init.kaiming_normal_, torch.nn.init.kaiming_normal_, {"a": 0.1, "mode": "fan_out"}),
])
def test_in_place_initialisers_have_torchs_distribution(ours, theirs, kwargs):
    shape = (300, 200, 3)
    w = np.empty(shape)
    assert ours(w, rng=0, **kwargs) is w
    their_max, their_std = _torch_bound_or_std(theirs, shape, **kwargs)
    np.testing.assert_allclose(w.std(), their_std, rtol=0.01)
    if "uniform" in ours.__name__:
        np.testing.assert_allclose(np.abs(w).max(), their_max, rtol=1e-3)


def test_in_place_initialisers_formulas_exactly():
    fan_in, fan_out = 200 * 3, 300 * 3
    w = np.empty((300, 200, 3))
    init.xavier_uniform_(w, rng=1)
    bound = math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    init.kaiming_uniform_(w, a=math.sqrt(5), rng=1)  # torch's Linear default: bound 1/sqrt(fan_in)
    assert np.abs(w).max() <= 1 / math.sqrt(fan_in) and np.abs(w).max() > 0.999 / math.sqrt(fan_in)
    init.kaiming_normal_(w, nonlinearity="relu", rng=1)
    np.testing.assert_allclose(w.var(), 2 / fan_in, rtol=0.01)


def test_in_place_on_a_parameter_keeps_its_dtype_and_seeds_repeat():
    p = Parameter(np.zeros((40, 30), dtype=np.float32))
    assert init.xavier_normal_(p, rng=3) is p
    assert p.data.dtype == np.float32 and p.data.std() > 0
    q = Parameter(np.zeros((40, 30), dtype=np.float32))
    init.xavier_normal_(q, rng=3)
    np.testing.assert_array_equal(p.data, q.data)
    layer = Linear(4, 3, rng=0)
    init.zeros_(layer.bias)
    init.constant_(layer.weight, 0.5)
    np.testing.assert_array_equal(layer.bias.data, 0.0)
    np.testing.assert_array_equal(layer.weight.data, 0.5)


NOTES_VARIANCES = [
    (init.xavier_normal, {}, lambda i, o: 2 / (i + o)),
    (init.xavier_uniform, {}, lambda i, o: 2 / (i + o)),
    (init.lecun_normal, {}, lambda i, o: 1 / i),
    (init.lecun_uniform, {}, lambda i, o: 1 / i),
    (init.he_normal, {}, lambda i, o: 2 / i),
    (init.he_uniform, {}, lambda i, o: 2 / i),
    # the notes' He variant: N(0, 4/(n_in + n_out)) and U(±sqrt(12/(n_in + n_out)))
    (init.he_normal, {"mode": "fan_avg"}, lambda i, o: 4 / (i + o)),
    (init.he_uniform, {"mode": "fan_avg"}, lambda i, o: 4 / (i + o)),
]


@pytest.mark.parametrize("fn, kwargs, variance", NOTES_VARIANCES)
def test_plain_initialisers_have_the_notes_variance(fn, kwargs, variance):
    n_out, n_in = 400, 600
    w = fn((n_out, n_in), rng=0, **kwargs)
    assert w.shape == (n_out, n_in) and w.dtype == np.float64
    np.testing.assert_allclose(w.var(), variance(n_in, n_out), rtol=0.01)
    assert abs(w.mean()) < 0.01 * math.sqrt(variance(n_in, n_out))
    if "uniform" in fn.__name__:
        bound = math.sqrt(3 * variance(n_in, n_out))
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound


def test_notes_uniform_bounds_are_the_stated_square_roots():
    w = init.xavier_uniform((50, 70), rng=0)
    assert np.abs(w).max() <= math.sqrt(6 / 120)
    w = init.he_uniform((50, 70), rng=0, mode="fan_avg")
    assert np.abs(w).max() <= math.sqrt(12 / 120) and np.abs(w).max() > 0.99 * math.sqrt(12 / 120)


def test_plain_initialisers_dtype_and_seed():
    a = init.he_normal((3, 4), rng=7, dtype=np.float32)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, init.he_normal((3, 4), rng=np.random.default_rng(7), dtype=np.float32))


def test_init_errors_are_clear():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_normal((5,))
    with pytest.raises(ValueError, match="Unsupported nonlinearity 'relu6'.*tanh"):
        init.calculate_gain("relu6")
    with pytest.raises(ValueError, match="mode 'fan_mean' not supported"):
        init.kaiming_normal_(np.zeros((3, 3)), mode="fan_mean")
    with pytest.raises(TypeError, match="floating NumPy array"):
        init.xavier_normal_(np.zeros((3, 3), dtype=np.int64))
