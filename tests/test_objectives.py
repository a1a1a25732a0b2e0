"""Test functions (dlcourse.descent.objectives) and the descent runner (dlcourse.descent).

Gradients are checked against central differences and against PyTorch's
autograd on the same formula; the runner against torch.optim on the same
function, and against the notes' worked numbers.
"""

import numpy as np
import pytest
import torch

from dlcourse import optim
from dlcourse.datasets import house_prices
from dlcourse.descent.paths import DescentPath, GradientDescent, run_descent
from dlcourse.descent.presets import compare_optimizers, default_lr, make_optimizer
from dlcourse.descent.objectives import OBJECTIVES, SQUARE, HousePriceMSE, SingleWeightSquaredError, get_objective

ALL = list(OBJECTIVES.values())


def random_points(objective, shape, seed=0):
    rng = np.random.default_rng(seed)
    low = np.array([lo for lo, _ in objective.domain])
    high = np.array([hi for _, hi in objective.domain])
    return low + (high - low) * rng.random(shape + (objective.dim,))


def central_difference(objective, points, h=1e-6):
    grad = np.zeros_like(points)
    for i in range(objective.dim):
        step = np.zeros(objective.dim)
        step[i] = h
        grad[..., i] = (objective.f(points + step) - objective.f(points - step)) / (2 * h)
    return grad


@pytest.mark.parametrize("objective", ALL, ids=lambda o: o.name)
def test_gradient_matches_central_differences(objective):
    points = random_points(objective, (6, 5))
    numeric = central_difference(objective, points)
    analytic = objective.grad(points)
    assert analytic.shape == points.shape
    scale = np.maximum(1.0, np.abs(analytic))
    assert np.max(np.abs(analytic - numeric) / scale) < 1e-6


# the same formulas written for torch, so autograd is an independent reference
TORCH_FORMULAS = {
    "square": lambda x: x[0] ** 2,
    "half-square": lambda x: 0.5 * x[0] ** 2,
    "double-well": lambda x: x[0] ** 4 / 4 - x[0] ** 3 / 3 - x[0] ** 2,
    "single-weight": lambda w: (10 - 3 * w[0]) ** 2,
    "bowl": lambda p: p[0] ** 2 + 4 * p[1] ** 2,
    "ravine": lambda p: 0.1 * p[0] ** 2 + 12 * p[1] ** 2,
    "saddle": lambda p: p[0] ** 2 - p[1] ** 2,
    "rosenbrock": lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2,
    "beale": lambda p: sum((c - p[0] + p[0] * p[1] ** i) ** 2 for i, c in ((1, 1.5), (2, 2.25), (3, 2.625))),
    "himmelblau": lambda p: (p[0] ** 2 + p[1] - 11) ** 2 + (p[0] + p[1] ** 2 - 7) ** 2,
}


def torch_house(p):
    area, price = house_prices()
    area = torch.tensor(area[:, 0])
    z = (area - area.mean()) / area.std(unbiased=False)
    return torch.mean((p[0] * z + p[1] - torch.tensor(price)) ** 2)


TORCH_FORMULAS["house"] = torch_house


@pytest.mark.parametrize("objective", ALL, ids=lambda o: o.name)
def test_value_and_gradient_match_torch_autograd(objective):
    for point in random_points(objective, (4,), seed=1):
        p = torch.tensor(point, requires_grad=True)
        value = TORCH_FORMULAS[objective.name](p)
        value.backward()
        np.testing.assert_allclose(objective.f(point), value.item(), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(objective.grad(point), p.grad.numpy(), rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("objective", ALL, ids=lambda o: o.name)
def test_evaluates_a_grid_at_once_like_point_by_point(objective):
    grid = random_points(objective, (3, 4), seed=2)
    values, grads = objective.f(grid), objective.grad(grid)
    assert values.shape == (3, 4) and grads.shape == (3, 4, objective.dim)
    for index in np.ndindex(3, 4):
        assert values[index] == pytest.approx(float(objective.f(grid[index])), rel=1e-14)
        np.testing.assert_allclose(grads[index], objective.grad(grid[index]), rtol=1e-14)


@pytest.mark.parametrize("objective", ALL, ids=lambda o: o.name)
def test_known_minima_have_the_minimum_value_and_zero_gradient(objective):
    for point in objective.minimizers:
        assert np.max(np.abs(objective.grad(point))) < 1e-9
    if objective.min_value is None:
        assert objective.name == "saddle"
        return
    values = objective.f(objective.minimizers)
    assert values.min() == pytest.approx(objective.min_value, abs=1e-12)
    # nothing on a fine grid of the domain goes below the minimum
    assert objective.f(random_points(objective, (20000,), seed=3)).min() >= objective.min_value - 1e-12
    assert objective.f(objective.start_point) > objective.min_value


def test_specific_minima():
    well = get_objective("double-well")
    assert well.f([2.0]) == pytest.approx(-8 / 3) and well.f([-1.0]) == pytest.approx(-5 / 12)
    assert well.grad([0.0]) == 0.0  # the local maximum between the two minima
    himmelblau = get_objective("himmelblau")
    assert len(himmelblau.minimizers) == 4
    assert np.all(himmelblau.f(himmelblau.minimizers) < 1e-25)
    assert get_objective("rosenbrock").f([1.0, 1.0]) == 0.0
    assert get_objective("beale").f([3.0, 0.5]) == 0.0
    saddle = get_objective("saddle")
    np.testing.assert_array_equal(saddle.grad([0.0, 0.0]), [0.0, 0.0])
    assert saddle.f([0.0, 1.0]) < 0 < saddle.f([1.0, 0.0])


def test_house_loss_is_least_squares_on_the_notes_table():
    house = get_objective("house")
    np.testing.assert_array_equal(house.area, [1200, 1500, 2100, 1100, 1300, 900])
    np.testing.assert_array_equal(house.price, [70, 120, 230, 105, 90, 55])
    z = (house.area - house.area.mean()) / house.area.std()
    slope, intercept = np.polyfit(z, house.price, 1)
    np.testing.assert_allclose(house.minimizers[0], [slope, intercept], rtol=1e-10)
    assert intercept == pytest.approx(house.price.mean())
    assert house.min_value == pytest.approx(np.mean((slope * z + intercept - house.price) ** 2))
    custom = HousePriceMSE(area=[1.0, 2.0, 3.0], price=[2.0, 4.0, 6.0])
    assert custom.min_value == pytest.approx(0.0, abs=1e-20)
    with pytest.raises(ValueError, match=r"\(3,\) and \(2,\)"):
        HousePriceMSE(area=[1.0, 2.0, 3.0], price=[1.0, 2.0])


def test_dtype_is_kept_and_integers_become_float64():
    for objective in ALL:
        point32 = objective.start_point.astype(np.float32)
        assert objective.f(point32).dtype == np.float32
        assert objective.grad(point32).dtype == np.float32
    assert SQUARE.f(np.array([3])).dtype == np.float64
    assert SQUARE.grad([3]).dtype == np.float64


def test_bad_input_names_the_shape_and_the_valid_names():
    with pytest.raises(ValueError, match=r"rosenbrock takes points of shape \(\.\.\., 2\).*\(3, 3\)"):
        get_objective("rosenbrock").f(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"shape \(\)"):
        SQUARE.grad(3.0)
    with pytest.raises(ValueError, match="unknown objective 'banana'.*rosenbrock"):
        get_objective("banana")


# -- the notes' worked numbers ------------------------------------------------
def test_hiker_on_x_squared_from_3_with_rate_0_1():
    path = run_descent(SQUARE, lambda params: GradientDescent(params, lr=0.1), 2, start=[3.0])
    np.testing.assert_allclose(path.points[:, 0], [3.0, 2.4, 1.92], rtol=1e-15)
    np.testing.assert_allclose(path.losses, [9.0, 5.76, 3.6864], rtol=1e-14)
    assert SQUARE.grad([3.0])[0] == 6.0 and SQUARE.grad([2.4])[0] == pytest.approx(4.8)


@pytest.mark.parametrize("factory", [
    lambda params: GradientDescent(params, lr=0.8),
    lambda params: optim.SGD(params, lr=0.8),
], ids=["plain", "optim.SGD"])
def test_step_size_0_8_from_minus_4(factory):
    path = run_descent(SQUARE, factory, 30, start=[-4.0])
    np.testing.assert_allclose(path.points[:6, 0], [-4, 2.4, -1.44, 0.864, -0.5184, 0.31104], rtol=1e-13)
    assert path.points[30, 0] == pytest.approx(-8.84296e-07, rel=1e-5)
    assert path.points[30, 0] == pytest.approx(-4 * (-0.6) ** 30, rel=1e-12)


def test_single_weight_example_gradient_minus_24_and_new_weight_4_4():
    loss = SingleWeightSquaredError(x=3, y=10)
    assert loss.f([2.0]) == 16.0
    assert loss.grad([2.0])[0] == -24.0
    path = run_descent(loss, lambda params: optim.SGD(params, lr=0.1), 1, start=[2.0])
    assert path.points[1, 0] == pytest.approx(4.4, rel=1e-15)
    assert loss.minimizers[0, 0] == pytest.approx(10 / 3)


# -- the runner ----------------------------------------------------------------
def torch_path(name, start, steps, make):
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make([p])
    points = [p.detach().numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        TORCH_FORMULAS[name](p).backward()
        opt.step()
        points.append(p.detach().numpy().copy())
    return np.array(points)


@pytest.mark.parametrize("name, ours, theirs", [
    ("rosenbrock", lambda ps: optim.SGD(ps, lr=1e-3, momentum=0.9),
     lambda ps: torch.optim.SGD(ps, lr=1e-3, momentum=0.9)),
    ("rosenbrock", lambda ps: optim.SGD(ps, lr=1e-3, momentum=0.9, nesterov=True),
     lambda ps: torch.optim.SGD(ps, lr=1e-3, momentum=0.9, nesterov=True)),
    ("beale", lambda ps: optim.Adam(ps, lr=0.1), lambda ps: torch.optim.Adam(ps, lr=0.1)),
    ("himmelblau", lambda ps: optim.RMSprop(ps, lr=0.05), lambda ps: torch.optim.RMSprop(ps, lr=0.05)),
    ("ravine", lambda ps: optim.Adagrad(ps, lr=0.5), lambda ps: torch.optim.Adagrad(ps, lr=0.5)),
], ids=["momentum", "nesterov", "adam", "rmsprop", "adagrad"])
def test_runner_follows_the_same_path_as_torch_optim(name, ours, theirs):
    objective = get_objective(name)
    path = run_descent(objective, ours, 100)
    expected = torch_path(name, objective.start, 100, theirs)
    assert path.points.shape == (101, 2) and path.losses.shape == (101,)
    np.testing.assert_allclose(path.points, expected, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(path.losses, objective.f(expected), rtol=1e-9, atol=1e-12)
    assert not path.diverged


def test_divergence_stops_with_a_flag_and_no_warnings():
    # |x| grows by 2 at every step: 3, -6, 12, ...; |x| > 1e6 after about 19 steps
    path = run_descent(SQUARE, lambda ps: GradientDescent(ps, lr=1.5), 1000, start=[3.0])
    assert path.diverged
    assert 15 < path.steps < 25
    assert np.all(np.isfinite(path.points)) and np.max(np.abs(path.points)) <= 1e6
    np.testing.assert_allclose(path.points[:4, 0], [3, -6, 12, -24])
    # Rosenbrock's quartic blows up within a few steps at a silly rate
    banana = run_descent("rosenbrock", lambda ps: optim.SGD(ps, lr=0.1), 500)
    assert banana.diverged and banana.steps < 10
    # a loss that falls without bound (the saddle) stops on the loss limit
    saddle = run_descent("saddle", lambda ps: GradientDescent(ps, lr=0.5), 1000, start=[1.0, 1.0],
                         max_abs=1e300, max_loss=1e10)
    assert saddle.diverged and abs(saddle.losses[-1]) <= 1e10


def test_runner_inputs_and_outputs():
    path = run_descent("bowl", lambda ps: GradientDescent(ps, lr=0.1), 0)
    assert path.steps == 0 and len(path) == 1
    np.testing.assert_array_equal(path.points[0], [-4.0, 2.0])
    path32 = run_descent("bowl", lambda ps: optim.SGD(ps, lr=0.1), 5, start=np.array([1.0, 1.0], np.float32))
    assert path32.points.dtype == np.float32 and path32.losses.dtype == np.float32
    assert path32.lr == 0.1 and isinstance(path32, DescentPath)
    assert path32.final_loss == pytest.approx(0.8**10 + 4 * 0.2**10, rel=1e-5)
    with pytest.raises(ValueError, match="steps must be a non-negative integer; got -1"):
        run_descent("bowl", lambda ps: GradientDescent(ps, lr=0.1), -1)
    with pytest.raises(ValueError, match=r"start must have 2 coordinate\(s\) for bowl; got shape \(3,\)"):
        run_descent("bowl", lambda ps: GradientDescent(ps, lr=0.1), 3, start=[1, 2, 3])
    with pytest.raises(ValueError, match="start must be finite"):
        run_descent("bowl", lambda ps: GradientDescent(ps, lr=0.1), 3, start=[np.nan, 0])


def test_steps_to_tolerance():
    path = run_descent(SQUARE, lambda ps: GradientDescent(ps, lr=0.25), 10, start=[1.0])
    # x is halved at every step, f = x² is quartered: 1, 1/4, 1/16, ...
    assert path.steps_to(1e-2) == 4
    assert path.steps_to(1e-12) is None


def test_ravine_momentum_and_adam_beat_plain_gradient_descent():
    """At the same rate 0.05, momentum and Adam reach a loss below 1e-6 in
    fewer steps than plain gradient descent on the long narrow valley."""
    steps = {}
    for name in ("sgd", "momentum", "adam"):
        path = run_descent("ravine", make_optimizer(name, 0.05), 2000)
        steps[name] = path.steps_to(1e-6)
    print(f"steps to loss < 1e-6 at lr 0.05: {steps}; speed-up over plain gradient descent: "
          f"momentum {steps['sgd'] / steps['momentum']:.2f}x, adam {steps['sgd'] / steps['adam']:.2f}x")
    assert None not in steps.values()
    # x shrinks by 1 − 0.05·0.2 = 0.99 per plain step: about 780 steps from x = −8
    assert 700 < steps["sgd"] < 850
    assert steps["sgd"] / steps["momentum"] > 5.0
    assert steps["sgd"] / steps["adam"] > 1.4


def test_presets():
    assert default_lr("rosenbrock", "sgd") == 1e-3
    assert default_lr("rosenbrock", "adagrad") == 1.0  # an override wins over the family
    assert default_lr("rosenbrock", "adam") == 0.1
    paths = compare_optimizers("bowl", ["sgd", "nesterov"], lr={"sgd": 0.2}, steps=5)
    assert list(paths) == ["sgd (lr 0.2)", "nesterov (lr 0.03)"]
    assert all(p.steps == 5 for p in paths.values())
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'; choose from: sgd, momentum"):
        make_optimizer("lbfgs", 0.1)
    for bad in (0, -1.0, float("nan"), float("inf"), "0.1"):
        with pytest.raises(ValueError, match="learning rate must be"):
            make_optimizer("sgd", bad)


@pytest.mark.parametrize("objective", ALL, ids=lambda o: o.name)
def test_default_settings_make_progress_on_every_function(objective):
    """What ``dlcourse plot FUNCTION`` draws by default: no run diverges, and
    every run ends lower than it started."""
    paths = compare_optimizers(objective)
    assert len(paths) == (5 if objective.dim == 2 else 1)
    for label, path in paths.items():
        assert not path.diverged, label
        assert path.final_loss < path.losses[0], label
