"""The learning-rate schedulers against ``torch.optim.lr_scheduler``, step by step."""

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from matplotlib.axes import Axes

import dlcourse.optim as optim
from dlcourse.nn import Parameter
from dlcourse.optim import lr_scheduler as sched

STEPS = 300


def _optimizer(lib, kind):
    """Two parameter groups with different rates, in ``lib`` (dlcourse or torch)."""
    if lib is torch:
        make, opt_lib = (lambda: torch.zeros(2, requires_grad=True)), torch.optim
    else:
        make, opt_lib = (lambda: Parameter(np.zeros(2))), optim
    groups = [{"params": [make()], "lr": 0.1}, {"params": [make()], "lr": 0.05}]
    if kind == "adam":
        return opt_lib.Adam(groups)
    if kind == "adagrad":
        return opt_lib.Adagrad(groups)
    return opt_lib.SGD(groups, lr=0.1, momentum=0.9)


def _lib(lib):
    return torch.optim.lr_scheduler if lib is torch else sched


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum", 0.0) for g in opt.param_groups]


def _trace(lib, factory, kind, steps, metrics=None):
    """Rates (from get_last_lr and from the groups) and momenta of ``steps`` steps."""
    opt = _optimizer(lib, kind)
    scheduler = factory(_lib(lib), opt)
    rates, group_rates, momenta = [], [], []
    for t in range(steps):
        rates.append(list(scheduler.get_last_lr()))
        group_rates.append([g["lr"] for g in opt.param_groups])
        momenta.append(_momenta(opt))
        opt.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[t])
    return np.array(rates), np.array(group_rates), np.array(momenta)


def _warmup_then_decay(lib, opt):
    warmup = lib.LinearLR(opt, start_factor=0.1, total_iters=10)
    decay = lib.ExponentialLR(opt, gamma=0.98)
    return lib.SequentialLR(opt, [warmup, decay], milestones=[10])


def _three_stages(lib, opt):
    stages = [lib.LinearLR(opt, start_factor=0.25, total_iters=8),
              lib.CosineAnnealingLR(opt, T_max=100, eta_min=0.001),
              lib.StepLR(opt, step_size=40, gamma=0.5)]
    return lib.SequentialLR(opt, stages, milestones=[8, 108])


def _warmup_then_cycle(lib, opt):
    warmup = lib.LinearLR(opt, start_factor=0.2, total_iters=15)
    cycle = lib.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=25)
    return lib.SequentialLR(opt, [warmup, cycle], milestones=[15])


CASES = {
    "StepLR": (lambda lib, o: lib.StepLR(o, step_size=30), "sgd"),
    "StepLR-halve-every-5": (lambda lib, o: lib.StepLR(o, step_size=5, gamma=0.5), "sgd"),
    "MultiStepLR": (lambda lib, o: lib.MultiStepLR(o, [30, 80, 80, 150], gamma=0.5), "sgd"),
    "ExponentialLR": (lambda lib, o: lib.ExponentialLR(o, gamma=0.99), "sgd"),
    "LambdaLR": (lambda lib, o: lib.LambdaLR(o, lambda t: 1 / (1 + 0.05 * t)), "sgd"),
    "LambdaLR-per-group": (lambda lib, o: lib.LambdaLR(
        o, [lambda t: 0.97 ** t, lambda t: 1 / math.sqrt(t + 1)]), "adam"),
    "LinearLR-warmup": (lambda lib, o: lib.LinearLR(o, start_factor=0.1, total_iters=20), "sgd"),
    "LinearLR-decay": (lambda lib, o: lib.LinearLR(
        o, start_factor=1.0, end_factor=0.2, total_iters=100), "adagrad"),
    "CosineAnnealingLR": (lambda lib, o: lib.CosineAnnealingLR(o, T_max=50, eta_min=0.001), "sgd"),
    "CosineAnnealingLR-zero-min": (lambda lib, o: lib.CosineAnnealingLR(o, T_max=70), "adam"),
    "WarmRestarts": (lambda lib, o: lib.CosineAnnealingWarmRestarts(o, T_0=25), "sgd"),
    "WarmRestarts-Tmult": (lambda lib, o: lib.CosineAnnealingWarmRestarts(
        o, T_0=10, T_mult=2, eta_min=1e-4), "sgd"),
    "CyclicLR-triangular": (lambda lib, o: lib.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=20), "sgd"),
    "CyclicLR-triangular2": (lambda lib, o: lib.CyclicLR(
        o, base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=20, step_size_down=30,
        mode="triangular2"), "sgd"),
    "CyclicLR-exp_range-adam": (lambda lib, o: lib.CyclicLR(
        o, base_lr=0.001, max_lr=0.01, step_size_up=15, mode="exp_range", gamma=0.995,
        base_momentum=0.85, max_momentum=0.95), "adam"),
    "CyclicLR-no-momentum": (lambda lib, o: lib.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=7, cycle_momentum=False), "adagrad"),
    "CyclicLR-scale_fn": (lambda lib, o: lib.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=10, scale_fn=lambda x: 0.9 ** x,
        scale_mode="iterations"), "sgd"),
    "OneCycleLR": (lambda lib, o: lib.OneCycleLR(o, max_lr=[0.1, 0.2], total_steps=STEPS), "sgd"),
    "OneCycleLR-three-phase-linear": (lambda lib, o: lib.OneCycleLR(
        o, max_lr=0.05, epochs=10, steps_per_epoch=30, pct_start=0.25,
        anneal_strategy="linear", three_phase=True), "adam"),
    "SequentialLR": (_warmup_then_decay, "sgd"),
    "SequentialLR-three": (_three_stages, "adam"),
    "SequentialLR-cyclic": (_warmup_then_cycle, "sgd"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_rates_match_torch(name):
    factory, kind = CASES[name]
    ours = _trace(optim, factory, kind, STEPS)
    theirs = _trace(torch, factory, kind, STEPS)
    for a, b in zip(ours, theirs):  # get_last_lr, group "lr", momentum / beta1
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


PLATEAU_METRICS = np.concatenate([
    np.linspace(1.0, 0.5, 40), np.full(30, 0.5), 0.5 - 1e-6 * np.arange(30),
    np.linspace(0.5, 0.2, 50), 0.2 + 0.01 * np.sin(np.arange(150)),
])

PLATEAU_CASES = {
    "min-rel": lambda lib, o: lib.ReduceLROnPlateau(o, patience=3),
    "min-abs-cooldown": lambda lib, o: lib.ReduceLROnPlateau(
        o, factor=0.5, patience=2, threshold=1e-3, threshold_mode="abs", cooldown=4,
        min_lr=[1e-3, 1e-4]),
    "max-rel": lambda lib, o: lib.ReduceLROnPlateau(o, mode="max", factor=0.3, patience=5),
    "max-abs": lambda lib, o: lib.ReduceLROnPlateau(
        o, mode="max", threshold=0.05, threshold_mode="abs", patience=1, min_lr=0.01),
}


@pytest.mark.parametrize("name", list(PLATEAU_CASES))
def test_reduce_on_plateau_matches_torch(name):
    metrics = -PLATEAU_METRICS if name.startswith("max") else PLATEAU_METRICS
    ours = _trace(optim, PLATEAU_CASES[name], "sgd", STEPS, metrics)
    theirs = _trace(torch, PLATEAU_CASES[name], "sgd", STEPS, metrics)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
    assert ours[0][-1, 0] < ours[0][0, 0]  # it did reduce


# -- closed forms -------------------------------------------------------------

CLOSED_FORMS = {
    "StepLR": lambda t, b: sched.step_lr(t, b, 30),
    "MultiStepLR": lambda t, b: sched.multistep_lr(t, b, [30, 80, 80, 150], 0.5),
    "ExponentialLR": lambda t, b: sched.exponential_lr(t, b, 0.99),
    "LinearLR-warmup": lambda t, b: sched.linear_lr(t, b, 0.1, 1.0, 20),
    "CosineAnnealingLR": lambda t, b: sched.cosine_annealing_lr(t, b, 50, 0.001),
    "WarmRestarts": lambda t, b: sched.cosine_warm_restarts_lr(t, b, 25),
    "WarmRestarts-Tmult": lambda t, b: sched.cosine_warm_restarts_lr(t, b, 10, 2, 1e-4),
    "CyclicLR-triangular": lambda t, b: sched.cyclic_lr(t, 0.01, 0.1, 20),
}


@pytest.mark.parametrize("name", list(CLOSED_FORMS))
def test_closed_form_equals_the_recursive_scheduler(name):
    rates, _, _ = _trace(optim, CASES[name][0], CASES[name][1], STEPS)
    t = np.arange(STEPS)
    for g, base in enumerate((0.1, 0.05)):
        np.testing.assert_allclose(CLOSED_FORMS[name](t, base), rates[:, g], rtol=1e-12, atol=1e-15)
        scalar = [float(CLOSED_FORMS[name](int(s), base)) for s in (0, 7, 123, 299)]
        np.testing.assert_allclose(scalar, rates[[0, 7, 123, 299], g], rtol=1e-12, atol=1e-15)


def test_cyclic_and_one_cycle_closed_forms():
    t = np.arange(STEPS)
    rates, _, momenta = _trace(optim, CASES["CyclicLR-triangular2"][0], "sgd", STEPS)
    np.testing.assert_allclose(sched.cyclic_lr(t, 0.02, 0.3, 20, 30, "triangular2"), rates[:, 1],
                               rtol=1e-12)
    np.testing.assert_allclose(sched.cyclic_momentum(t, 0.8, 0.9, 20, 30, "triangular2"),
                               momenta[:, 1], rtol=1e-12)
    rates, _, _ = _trace(optim, CASES["OneCycleLR-three-phase-linear"][0], "adam", STEPS)
    expected = [sched.one_cycle_lr(s, 0.05, 300, 0.25, "linear", three_phase=True) for s in t]
    np.testing.assert_allclose(expected, rates[:, 0], rtol=1e-12)


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "LinearLR-warmup",
                                  "CosineAnnealingLR", "WarmRestarts", "LambdaLR"])
def test_closed_form_method_at_an_epoch(name):
    factory, kind = CASES[name]
    rates, _, _ = _trace(optim, factory, kind, STEPS)
    scheduler = factory(sched, _optimizer(optim, kind))
    for t in (0, 1, 49, 150, 299):
        scheduler.last_epoch = t
        np.testing.assert_allclose(scheduler.closed_form_lr(), rates[t], rtol=1e-12, atol=1e-15)


# -- saving and resuming ------------------------------------------------------


@pytest.mark.parametrize("name", list(CASES) + ["plateau"])
def test_resume_from_state_dicts(name):
    if name == "plateau":
        factory, kind, metrics = PLATEAU_CASES["min-abs-cooldown"], "sgd", PLATEAU_METRICS
    else:
        (factory, kind), metrics = CASES[name], None
    straight, _, straight_momenta = _trace(optim, factory, kind, STEPS, metrics)

    opt = _optimizer(optim, kind)
    scheduler = factory(sched, opt)
    for t in range(150):
        opt.step()
        scheduler.step() if metrics is None else scheduler.step(metrics[t])
    saved_opt, saved_sched = opt.state_dict(), scheduler.state_dict()
    for t in range(3):  # later steps must not change the snapshots
        opt.step()
        scheduler.step() if metrics is None else scheduler.step(metrics[150 + t])

    opt2 = _optimizer(optim, kind)
    scheduler2 = factory(sched, opt2)
    opt2.load_state_dict(saved_opt)
    scheduler2.load_state_dict(saved_sched)
    for t in range(150, STEPS):
        np.testing.assert_array_equal(scheduler2.get_last_lr(), straight[t])
        np.testing.assert_array_equal(_momenta(opt2), straight_momenta[t])
        opt2.step()
        scheduler2.step() if metrics is None else scheduler2.step(metrics[t])


def test_initial_lr_and_last_epoch_like_torch():
    opt = _optimizer(optim, "sgd")
    scheduler = sched.StepLR(opt, step_size=3, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    assert scheduler.last_epoch == 0 and scheduler.base_lrs == [0.1, 0.05]
    for _ in range(4):
        opt.step()
        scheduler.step()
    assert scheduler.last_epoch == 4
    assert scheduler.get_last_lr() == [0.05, 0.025]
    # resuming with last_epoch needs initial_lr in the groups
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(_optimizer(optim, "sgd"), step_size=3, last_epoch=4)
    resumed = sched.StepLR(opt, step_size=3, gamma=0.5, last_epoch=4)
    assert resumed.last_epoch == 5


def test_state_dict_is_picklable_data():
    import pickle

    opt = _optimizer(optim, "sgd")
    scheduler = _warmup_then_decay(sched, opt)
    opt.step()
    scheduler.step()
    state = pickle.loads(pickle.dumps(scheduler.state_dict()))
    assert state["last_epoch"] == 1
    assert "optimizer" not in state and all("optimizer" not in s for s in state["_schedulers"])


# -- errors -------------------------------------------------------------------


def test_bad_arguments():
    opt = _optimizer(optim, "sgd")
    with pytest.raises(TypeError, match="is not an Optimizer"):
        sched.StepLR(torch.optim.SGD([torch.zeros(1, requires_grad=True)]), step_size=2)
    with pytest.raises(ValueError, match="step_size must be a positive integer, got 0"):
        sched.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="one value per parameter group: got 3 values for 2"):
        sched.CyclicLR(opt, base_lr=[0.1, 0.2, 0.3], max_lr=1.0)
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        sched.CyclicLR(_optimizer(optim, "adagrad"), base_lr=0.01, max_lr=0.1)
    with pytest.raises(ValueError, match="mode must be"):
        sched.CyclicLR(opt, base_lr=0.01, max_lr=0.1, mode="square")
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        sched.ReduceLROnPlateau(opt, factor=2.0)
    with pytest.raises(ValueError, match="mode must be 'min' or 'max', got 'best'"):
        sched.ReduceLROnPlateau(opt, mode="best")
    with pytest.raises(ValueError, match="positive integer T_0"):
        sched.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="one milestone fewer"):
        sched.SequentialLR(opt, [sched.StepLR(opt, 2), sched.StepLR(opt, 3)], milestones=[])
    with pytest.raises(ValueError, match="either total_steps OR"):
        sched.OneCycleLR(opt, max_lr=0.1)
    one_cycle = sched.OneCycleLR(_optimizer(optim, "sgd"), max_lr=0.1, total_steps=3)
    for _ in range(3):
        one_cycle.step()
    with pytest.raises(ValueError, match="Tried to step 4 times"):
        one_cycle.step()


# -- plotting -----------------------------------------------------------------


def test_lr_schedule_and_plot():
    t = np.arange(100)
    rates = sched.lr_schedule(lambda o: sched.CosineAnnealingLR(o, T_max=100), 100, lr=0.2)
    np.testing.assert_allclose(rates, sched.cosine_annealing_lr(t, 0.2, 100), rtol=1e-12)

    opt = _optimizer(optim, "sgd")
    scheduler = sched.StepLR(opt, step_size=10, gamma=0.5)
    ax = sched.plot_lr_schedule(scheduler, 50)
    assert isinstance(ax, Axes)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), sched.step_lr(t[:50], 0.1, 10, 0.5))
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "learning rate"
    assert scheduler.last_epoch == 0 and opt.param_groups[0]["lr"] == 0.1  # left alone

    same_ax = sched.plot_lr_schedule(lambda o: sched.InverseTimeLR(o, k=0.1), 50, ax=ax,
                                     label="1/t")
    assert same_ax is ax and len(ax.lines) == 2
    with pytest.raises(TypeError, match="ReduceLROnPlateau needs a metric"):
        sched.plot_lr_schedule(lambda o: sched.ReduceLROnPlateau(o), 10)


@pytest.mark.parametrize("name", ["StepLR", "ExponentialLR", "CosineAnnealingLR", "WarmRestarts",
                                  "LinearLR-warmup"])
def test_constructing_with_last_epoch_resumes_like_torch(name):
    factory, kind = CASES[name]
    traces = []
    for lib in (optim, torch):
        opt = _optimizer(lib, kind)
        factory(_lib(lib), opt)  # sets initial_lr
        for group in opt.param_groups:
            group["lr"] = group["initial_lr"] * 0.7
        resumed = {
            "StepLR": lambda s: s.StepLR(opt, step_size=30, last_epoch=40),
            "ExponentialLR": lambda s: s.ExponentialLR(opt, gamma=0.99, last_epoch=40),
            "CosineAnnealingLR": lambda s: s.CosineAnnealingLR(opt, T_max=50, eta_min=0.001,
                                                               last_epoch=40),
            "WarmRestarts": lambda s: s.CosineAnnealingWarmRestarts(opt, T_0=25, last_epoch=40),
            "LinearLR-warmup": lambda s: s.LinearLR(opt, start_factor=0.1, total_iters=20,
                                                    last_epoch=10),
        }[name](_lib(lib))
        rates = []
        for _ in range(60):
            rates.append(resumed.get_last_lr())
            opt.step()
            resumed.step()
        traces.append((np.array(rates), resumed.last_epoch))
    np.testing.assert_allclose(traces[0][0], traces[1][0], rtol=1e-12, atol=1e-15)
    assert traces[0][1] == traces[1][1]


# -- ConstantLR, PolynomialLR, MultiplicativeLR, ChainedScheduler ----------------------


def _chained(lib, opt):
    return lib.ChainedScheduler([lib.ConstantLR(opt, factor=0.1, total_iters=7),
                                 lib.ExponentialLR(opt, gamma=0.99),
                                 lib.StepLR(opt, step_size=50, gamma=0.5)])


def _chained_warmup_cosine(lib, opt):
    return lib.ChainedScheduler([lib.LinearLR(opt, start_factor=0.2, total_iters=20),
                                 lib.CosineAnnealingLR(opt, T_max=120, eta_min=0.0)], opt)


class _Halving:
    """A callable object: its attribute is saved by state_dict, as in PyTorch."""

    def __init__(self):
        self.rate = 0.995

    def __call__(self, t):
        return self.rate if t % 3 else 0.98


NEW_CASES = {
    "ConstantLR": (lambda lib, o: lib.ConstantLR(o), "sgd"),
    "ConstantLR-long": (lambda lib, o: lib.ConstantLR(o, factor=0.25, total_iters=40), "adam"),
    "PolynomialLR": (lambda lib, o: lib.PolynomialLR(o, total_iters=200, power=2.0), "sgd"),
    "PolynomialLR-linear": (lambda lib, o: lib.PolynomialLR(o, total_iters=150), "adagrad"),
    "PolynomialLR-sqrt": (lambda lib, o: lib.PolynomialLR(o, total_iters=250, power=0.5), "adam"),
    "MultiplicativeLR": (lambda lib, o: lib.MultiplicativeLR(o, lambda t: 0.99), "sgd"),
    "MultiplicativeLR-per-group": (lambda lib, o: lib.MultiplicativeLR(
        o, [lambda t: 1 - 0.5 / (t + 10), _Halving()]), "adam"),
    "ChainedScheduler": (_chained, "sgd"),
    "ChainedScheduler-warmup-cosine": (_chained_warmup_cosine, "adam"),
}
CASES.update(NEW_CASES)


@pytest.mark.parametrize("name", list(NEW_CASES))
def test_new_schedulers_resume_from_state_dicts(name):
    test_resume_from_state_dicts(name)


@pytest.mark.parametrize("name", list(NEW_CASES))
def test_new_schedulers_match_torch(name):
    factory, kind = NEW_CASES[name]
    ours = _trace(optim, factory, kind, STEPS)
    theirs = _trace(torch, factory, kind, STEPS)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ["ConstantLR", "ConstantLR-long", "PolynomialLR",
                                  "PolynomialLR-linear", "PolynomialLR-sqrt"])
def test_new_closed_forms(name):
    rates, _, _ = _trace(optim, *NEW_CASES[name], STEPS)
    scheduler = NEW_CASES[name][0](sched, _optimizer(optim, NEW_CASES[name][1]))
    t = np.arange(STEPS)
    if name.startswith("Constant"):
        factor, total = (1 / 3, 5) if name == "ConstantLR" else (0.25, 40)
        closed = [sched.constant_lr(t, b, factor, total) for b in (0.1, 0.05)]
    else:
        total, power = {"PolynomialLR": (200, 2.0), "PolynomialLR-linear": (150, 1.0),
                        "PolynomialLR-sqrt": (250, 0.5)}[name]
        closed = [sched.polynomial_lr(t, b, total, power) for b in (0.1, 0.05)]
    np.testing.assert_allclose(np.stack(closed, axis=1), rates, rtol=1e-12, atol=1e-15)
    for s in (0, 4, 5, 39, 40, 199, 200, 299):
        scheduler.last_epoch = s
        np.testing.assert_allclose(scheduler.closed_form_lr(), rates[s], rtol=1e-12, atol=1e-15)


def test_new_scheduler_errors():
    opt = _optimizer(optim, "sgd")
    with pytest.raises(ValueError, match="between 0 and 1, got 2"):
        sched.ConstantLR(opt, factor=2)
    with pytest.raises(ValueError, match="total_iters must be a positive integer, got 0"):
        sched.PolynomialLR(opt, total_iters=0)
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        sched.MultiplicativeLR(opt, [lambda t: 0.9])
    with pytest.raises(TypeError, match="lr_lambda should be a function"):
        sched.MultiplicativeLR(opt, 0.9)
    with pytest.raises(ValueError, match="at least one scheduler"):
        sched.ChainedScheduler([])
    with pytest.raises(ValueError, match="does not support ReduceLROnPlateau"):
        sched.ChainedScheduler([sched.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="same optimizer"):
        sched.ChainedScheduler([sched.StepLR(opt, 2), sched.StepLR(_optimizer(optim, "sgd"), 2)])


# -- line search ----------------------------------------------------------------------


def _quadratic(A, b):
    return lambda x: 0.5 * x @ A @ x - b @ x


def test_line_search_step_is_the_best_candidate():
    rng = np.random.default_rng(3)
    M = rng.normal(size=(4, 4))
    A, b = M @ M.T + np.eye(4), rng.normal(size=4)
    loss, lrs = _quadratic(A, b), [1.0, 0.5, 0.2, 0.1, 0.05, 0.01]
    x = rng.normal(size=4)
    for _ in range(200):
        g = A @ x - b
        if np.linalg.norm(g) < 1e-9:  # converged: further steps only move by rounding
            break
        trials = [loss(x - lr * g) for lr in lrs]
        new_x, best = optim.line_search_step(x, g, loss, lrs)
        assert best == lrs[int(np.argmin(trials))]
        np.testing.assert_array_equal(new_x, x - best * g)
        assert loss(new_x) == min(trials)
        assert loss(new_x) <= loss(x) + 1e-14 * abs(loss(x))  # never worse, up to rounding
        x = new_x
    np.testing.assert_allclose(x, np.linalg.solve(A, b), atol=1e-6)


def test_line_search_optimizer_equals_the_step_rule():
    rng = np.random.default_rng(4)
    M = rng.normal(size=(5, 5))
    A, b = M @ M.T + np.eye(5), rng.normal(size=5)
    loss, lrs = _quadratic(A, b), (0.3, 0.1, 0.03)
    x0 = rng.normal(size=5)
    w1, w2 = Parameter(x0[:2].copy()), Parameter(x0[2:].copy())  # two groups, one vector
    opt = optim.LineSearch([{"params": [w1]}, {"params": [w2]}], lrs=lrs)
    x = x0.copy()
    for _ in range(100):
        g = A @ x - b
        w1.grad, w2.grad = g[:2].copy(), g[2:].copy()
        returned = opt.step(lambda: loss(np.concatenate([w1.data, w2.data])))
        assert returned == loss(x)
        x, best = optim.line_search_step(x, g, loss, lrs)
        assert opt.last_lr == best
        np.testing.assert_allclose(np.concatenate([w1.data, w2.data]), x, rtol=0, atol=1e-15)


def test_line_search_errors():
    with pytest.raises(ValueError, match="at least one candidate"):
        optim.line_search_step(np.zeros(2), np.zeros(2), np.sum, [])
    with pytest.raises(ValueError, match="finite and >= 0"):
        optim.LineSearch([Parameter(np.zeros(2))], lrs=[0.1, -1.0])
    with pytest.raises(ValueError, match="does not match x of shape"):
        optim.line_search_step(np.zeros(2), np.zeros(3), np.sum, [0.1])
    with pytest.raises(ValueError, match="needs a closure"):
        optim.LineSearch([Parameter(np.zeros(2))]).step()
