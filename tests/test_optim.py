"""The torch-named optimizers against ``torch.optim`` on the same problems."""

import numpy as np
import pytest
import torch

import dlcourse.optim as optim
from dlcourse.nn import Parameter
from dlcourse.optim import functional as F

STEPS = 200


@pytest.fixture(autouse=True)
def torch_float64():
    """PyTorch keeps scalar state (NAdam's mu_product) in the default dtype."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


class Problem:
    """f(W, b) = ½·mean((X Wᵀ + b − Y)²) + 0.1·Σ sin(W): a bumpy least squares.

    ``grad`` returns the exact gradients computed in NumPy, so both libraries
    can be fed the gradient of their own current parameters.
    """

    def __init__(self, seed=0, n=20, d_in=4, d_out=3):
        rng = np.random.default_rng(seed)
        self.X = rng.normal(size=(n, d_in))
        self.Y = rng.normal(size=(n, d_out))
        self.W0 = rng.normal(size=(d_out, d_in))
        self.b0 = rng.normal(size=d_out)

    def grad(self, W, b, sign=1.0):
        r = self.X @ W.T + b - self.Y
        n = r.size
        gW = r.T @ self.X / n + 0.1 * np.cos(W)
        gb = r.sum(axis=0) / n
        return sign * gW, sign * gb


def _ours(problem, cls, kwargs, groups=None):
    W, b, unused = Parameter(problem.W0), Parameter(problem.b0), Parameter(np.ones(2))
    params = [W, b, unused] if groups is None else [
        {"params": [W, unused], **groups[0]}, {"params": [b], **groups[1]}]
    return (W, b, unused), cls(params, **kwargs)


def _theirs(problem, name, kwargs, groups=None):
    W, b, unused = (torch.tensor(a, requires_grad=True)
                    for a in (problem.W0, problem.b0, np.ones(2)))
    params = [W, b, unused] if groups is None else [
        {"params": [W, unused], **groups[0]}, {"params": [b], **groups[1]}]
    return (W, b, unused), getattr(torch.optim, name)(params, foreach=False, **kwargs)


def _run_both(name, kwargs, groups=None, steps=STEPS, seed=0):
    problem = Problem(seed)
    sign = -1.0 if kwargs.get("maximize") else 1.0
    (W, b, unused), opt = _ours(problem, getattr(optim, name), kwargs, groups)
    (tW, tb, tunused), topt = _theirs(problem, name, kwargs, groups)
    for _ in range(steps):
        W.grad, b.grad = problem.grad(W.data, b.data, sign)
        opt.step()
        gW, gb = problem.grad(tW.detach().numpy(), tb.detach().numpy(), sign)
        tW.grad, tb.grad = torch.from_numpy(gW), torch.from_numpy(gb)
        topt.step()
    return (W, b, unused, opt), (tW, tb, tunused, topt)


def assert_rel_close(ours, theirs, rel=1e-10):
    theirs = np.asarray(theirs, dtype=np.float64)
    err = np.max(np.abs(np.asarray(ours) - theirs))
    scale = max(np.max(np.abs(theirs)), 1e-300)
    assert err <= rel * scale, f"relative difference {err / scale:.3g} > {rel}"


# The learning rates keep each run short of the minimum for 200 steps: around
# it, the sign-like steps of RMSprop and Adamax oscillate chaotically and
# magnify last-bit rounding differences by ~1.7x per step, which would say
# nothing about the formulas.
CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.02, momentum=0.8, weight_decay=0.1, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.05, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.05)),
    ("Adagrad", dict(lr=0.05, initial_accumulator_value=0.5, eps=1e-6, maximize=True)),
    ("RMSprop", dict(lr=0.002)),
    ("RMSprop", dict(lr=0.001, momentum=0.9)),
    ("RMSprop", dict(lr=0.002, centered=True)),
    ("RMSprop", dict(lr=0.001, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=5e-4, alpha=0.9, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.95, weight_decay=0.1)),
    ("Adadelta", dict(eps=1e-4, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.99), amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.002, betas=(0.8, 0.99), weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.01, momentum_decay=1e-2, maximize=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.005, betas=(0.9, 0.9), maximize=True)),
]
NAMES = ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "Adamax", "NAdam", "RAdam"]


def _id(case):
    name, kwargs = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_trajectory_matches_torch(case):
    name, kwargs = case
    (W, b, unused, opt), (tW, tb, tunused, topt) = _run_both(name, kwargs)
    assert_rel_close(W.data, tW.detach().numpy())
    assert_rel_close(b.data, tb.detach().numpy())
    # a parameter that never had a gradient is skipped, as in PyTorch
    np.testing.assert_array_equal(unused.data, np.ones(2))
    assert opt.state.get(unused, {}).get("step", 0) == 0
    assert int(topt.state.get(tunused, {}).get("step", 0)) == 0


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_state_matches_torch(case):
    name, kwargs = case
    (W, b, _, opt), (tW, tb, _, topt) = _run_both(name, kwargs, steps=7)
    for ours, theirs in ((opt.state[W], topt.state[tW]), (opt.state[b], topt.state[tb])):
        assert set(ours) == set(theirs)
        for key, value in theirs.items():
            value = value.detach().numpy() if torch.is_tensor(value) else value
            assert_rel_close(np.asarray(ours[key], dtype=np.float64), value)


@pytest.mark.parametrize("name", NAMES)
def test_param_groups_with_their_own_learning_rates(name):
    extra = {"betas": (0.85, 0.995)} if name in ("Adam", "AdamW", "Adamax", "NAdam") else {}
    adaptive = name in ("RMSprop", "Adam", "AdamW", "Adamax", "NAdam")
    groups = [{"lr": 0.001 if adaptive else 0.01}, {"lr": 0.003 if adaptive else 0.03, **extra}]
    kwargs = {"momentum": 0.9} if name == "SGD" else {}
    (W, b, _, opt), (tW, tb, _, topt) = _run_both(name, kwargs, groups=groups)
    assert [g["lr"] for g in opt.param_groups] == [groups[0]["lr"], groups[1]["lr"]]
    assert_rel_close(W.data, tW.detach().numpy())
    assert_rel_close(b.data, tb.detach().numpy())


# Two groups that differ in every hyperparameter the rule has; the constructor's
# own keywords are the defaults a group does not override.
GROUP_SETTINGS = {
    "SGD": (dict(lr=0.01), [dict(momentum=0.9, weight_decay=0.01),
                            dict(lr=0.03, momentum=0.5, dampening=0.2, maximize=False)]),
    "Adagrad": (dict(lr=0.1, initial_accumulator_value=0.1),
                [dict(lr=0.05, lr_decay=0.01, initial_accumulator_value=0.5),
                 dict(weight_decay=0.05, eps=1e-6)]),
    "RMSprop": (dict(lr=0.001), [dict(alpha=0.95, momentum=0.9),
                                 dict(lr=0.002, centered=True, weight_decay=0.1, eps=1e-6)]),
    "Adadelta": (dict(), [dict(lr=0.5, rho=0.95), dict(weight_decay=0.1, eps=1e-5)]),
    "Adam": (dict(lr=0.01), [dict(betas=(0.8, 0.99), amsgrad=True),
                             dict(lr=0.005, weight_decay=0.1, eps=1e-6)]),
    "AdamW": (dict(lr=0.01), [dict(weight_decay=0.05),
                              dict(lr=0.005, betas=(0.85, 0.995), amsgrad=True)]),
    "Adamax": (dict(lr=0.01), [dict(betas=(0.8, 0.99)), dict(lr=0.002, weight_decay=0.1)]),
    "NAdam": (dict(lr=0.01), [dict(momentum_decay=1e-2, betas=(0.85, 0.99)),
                              dict(lr=0.005, weight_decay=0.1, decoupled_weight_decay=True)]),
    "RAdam": (dict(lr=0.01), [dict(betas=(0.8, 0.99)),
                              dict(lr=0.005, weight_decay=0.1, decoupled_weight_decay=True)]),
}


@pytest.mark.parametrize("name", NAMES)
def test_param_groups_with_their_own_settings_match_torch(name):
    kwargs, groups = GROUP_SETTINGS[name]
    (W, b, _, opt), (tW, tb, _, topt) = _run_both(name, kwargs, groups=groups)
    for ours, theirs in zip(opt.param_groups, topt.param_groups):
        for key, value in ours.items():
            if key in theirs and key != "params":
                assert value == theirs[key], key
    assert_rel_close(W.data, tW.detach().numpy())
    assert_rel_close(b.data, tb.detach().numpy())
    for ours, theirs in ((opt.state[W], topt.state[tW]), (opt.state[b], topt.state[tb])):
        for key, value in theirs.items():
            value = value.detach().numpy() if torch.is_tensor(value) else value
            assert_rel_close(np.asarray(ours[key], dtype=np.float64), value)


def test_adagrad_accumulator_starts_from_the_constructor_value_in_every_group():
    """PyTorch fills the sum from the constructor's value, not the group's (0.9 after a step, not 0.9293)."""
    p, q = Parameter(np.array([1.0])), Parameter(np.array([1.0]))
    opt = optim.Adagrad([{"params": [p], "initial_accumulator_value": 5.0}, {"params": [q]}],
                        lr=0.1)
    tp, tq = torch.ones(1, requires_grad=True), torch.ones(1, requires_grad=True)
    topt = torch.optim.Adagrad([{"params": [tp], "initial_accumulator_value": 5.0},
                                {"params": [tq]}], lr=0.1)
    p.grad, tp.grad = np.array([1.0]), torch.ones(1)
    opt.step()
    topt.step()
    assert p.data[0] == pytest.approx(1 - 0.1 / (1 + 1e-10), rel=1e-15)  # 0.9 up to eps
    assert_rel_close(p.data, tp.detach().numpy(), rel=1e-15)
    np.testing.assert_array_equal(opt.state[p]["sum"], [1.0])


def test_radam_takes_momentum_steps_until_the_variance_is_rectifiable():
    from dlcourse.optim.radam import radam_rectification
    rhos = [radam_rectification(t, 0.999)[0] for t in range(1, 8)]
    assert [r > 5 for r in rhos] == [False] * 5 + [True] * 2
    p = Parameter(np.array([1.0]))
    opt = optim.RAdam([p], lr=0.1)
    p.grad = np.array([2.0])
    opt.step()
    # m̂_1 = g, so the first step is lr·g whatever v is
    assert p.data[0] == pytest.approx(1.0 - 0.1 * 2.0, rel=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_defaults_match_torch(name):
    p, tp = Parameter(np.zeros(2)), torch.zeros(2, requires_grad=True)
    ours = getattr(optim, name)([p]).param_groups[0]
    theirs = getattr(torch.optim, name)([tp]).param_groups[0]
    for key, value in ours.items():
        if key in theirs and key != "params":
            assert value == theirs[key], key


# -- saving and resuming ------------------------------------------------------


def _train(opt, params, problem, steps):
    W, b = params
    for _ in range(steps):
        W.grad, b.grad = problem.grad(W.data, b.data)
        opt.step()


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_resume_from_state_dict_is_bit_for_bit(case):
    name, kwargs = case
    if kwargs.get("maximize"):
        kwargs = {k: v for k, v in kwargs.items() if k != "maximize"}
    cls, problem = getattr(optim, name), Problem(1)

    straight = [Parameter(problem.W0), Parameter(problem.b0)]
    opt = cls(straight, **kwargs)
    _train(opt, straight, problem, 200)

    first = [Parameter(problem.W0), Parameter(problem.b0)]
    opt1 = cls(first, **kwargs)
    _train(opt1, first, problem, 100)
    saved_optimizer = opt1.state_dict()
    saved_params = [p.data.copy() for p in first]  # the model saves its own parameters
    _train(opt1, first, problem, 5)  # later steps must not change the snapshot

    resumed = [Parameter(data) for data in saved_params]
    opt2 = cls(resumed, lr=123.0)  # hyperparameters come back from the snapshot
    opt2.load_state_dict(saved_optimizer)
    _train(opt2, resumed, problem, 100)

    for p, q in zip(resumed, straight):
        np.testing.assert_array_equal(p.data, q.data)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


def test_state_dict_layout_is_torch_like():
    W, b = Parameter(np.ones((2, 2))), Parameter(np.ones(2))
    opt = optim.Adam([{"params": [W]}, {"params": [b], "lr": 0.1}])
    W.grad, b.grad = np.ones((2, 2)), np.ones(2)
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.1
    assert sorted(sd["state"]) == [0, 1]
    assert sd["state"][0]["step"] == 1
    with pytest.raises(ValueError, match="parameter groups"):
        optim.Adam([W]).load_state_dict(sd)
    with pytest.raises(ValueError, match=r"'exp_avg' of parameter 0 has shape \(2, 2\), but "
                                         r"the parameter has shape \(3,\)"):
        optim.Adam([{"params": [Parameter(np.ones(3))]}, {"params": [b]}]).load_state_dict(sd)


# -- functional forms ---------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_functional_rule_gives_the_class_trajectory(case):
    name, kwargs = case
    cls, problem = getattr(optim, name), Problem(2)
    W, b = Parameter(problem.W0), Parameter(problem.b0)
    opt = cls([W, b], **kwargs)
    hyper = opt.hyperparameters(opt.param_groups[0])
    rule = cls.rule
    assert rule is getattr(F, rule.__name__)
    theta_W, theta_b, sW, sb = problem.W0.copy(), problem.b0.copy(), {}, {}
    sign = -1.0 if kwargs.get("maximize") else 1.0
    for _ in range(50):
        W.grad, b.grad = problem.grad(W.data, b.data, sign)
        opt.step()
        gW, gb = problem.grad(theta_W, theta_b, sign)
        theta_W, sW = rule(theta_W, gW, sW, **hyper)
        theta_b, sb = rule(theta_b, gb, sb, **hyper)
    np.testing.assert_array_equal(W.data, theta_W)
    np.testing.assert_array_equal(b.data, theta_b)


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_functional_rule_does_not_modify_its_inputs(case):
    name, kwargs = case
    cls = getattr(optim, name)
    opt = cls([Parameter(np.zeros(3))], **kwargs)
    hyper = opt.hyperparameters(opt.param_groups[0])
    rng = np.random.default_rng(3)
    param, grad = rng.normal(size=3), rng.normal(size=3)
    _, state = cls.rule(param, grad, {}, **hyper)
    copies = (param.copy(), grad.copy(), {k: np.copy(v) for k, v in state.items()})
    cls.rule(param, grad, state, **hyper)
    np.testing.assert_array_equal(param, copies[0])
    np.testing.assert_array_equal(grad, copies[1])
    for key, value in copies[2].items():
        np.testing.assert_array_equal(state[key], value)


@pytest.mark.parametrize("name", NAMES)
def test_float32_parameters_stay_float32(name):
    p = Parameter(np.ones(4, dtype=np.float32))
    opt = getattr(optim, name)([p], lr=0.01)
    for _ in range(3):
        p.grad = np.full(4, 0.5, dtype=np.float32)
        opt.step()
    assert p.data.dtype == np.float32
    for value in opt.state[p].values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32


def test_zero_grad_and_closure():
    p = Parameter(np.array([1.0, 2.0]))
    opt = optim.SGD([p], lr=0.5)

    def closure():
        opt.zero_grad()
        p.grad = 2 * p.data
        return float(np.sum(p.data ** 2))

    assert opt.step(closure) == 5.0
    np.testing.assert_array_equal(p.data, [0.0, 0.0])
    opt.zero_grad()
    assert p.grad is None
    p.grad = np.ones(2)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad, [0.0, 0.0])


def test_two_vector_descent_path_as_the_plots_use_it():
    """Adam on f(x, y) = x² + 4y², the notes' elliptical bowl."""
    p = Parameter(np.array([-2.0, 1.5]))
    tp = torch.tensor([-2.0, 1.5], requires_grad=True)
    opt, topt = optim.Adam([p], lr=0.1), torch.optim.Adam([tp], lr=0.1, foreach=False)
    for _ in range(300):
        p.grad = np.array([2.0, 8.0]) * p.data
        opt.step()
        tp.grad = torch.tensor([2.0, 8.0]) * tp.detach()
        topt.step()
    assert_rel_close(p.data, tp.detach().numpy())
    assert np.linalg.norm(p.data) < 0.05


# -- errors -------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lr", [-1, float("nan")])
def test_invalid_learning_rate(name, lr):
    with pytest.raises(ValueError, match=f"Invalid learning rate: {lr}"):
        getattr(optim, name)([Parameter(np.zeros(2))], lr=lr)


def test_invalid_learning_rate_in_a_group():
    with pytest.raises(ValueError, match="Invalid learning rate: -0.5"):
        optim.SGD([{"params": [Parameter(np.zeros(2))], "lr": -0.5}], lr=0.1)


@pytest.mark.parametrize("name", ["Adam", "AdamW", "Adamax", "NAdam"])
@pytest.mark.parametrize("betas, index", [((1.0, 0.999), 0), ((0.9, -0.1), 1), ((0.9, 1.5), 1)])
def test_invalid_betas(name, betas, index):
    with pytest.raises(ValueError, match=f"Invalid beta parameter at index {index}"):
        getattr(optim, name)([Parameter(np.zeros(2))], betas=betas)


def test_nesterov_needs_momentum_and_no_dampening():
    p = Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="zero dampening"):
        optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)


def test_bad_parameter_lists():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="can only optimize Parameters.*numpy.ndarray"):
        optim.Adam([Parameter(np.zeros(2)), np.zeros(2)])
    with pytest.raises(TypeError, match="single Parameter"):
        optim.Adam(Parameter(np.zeros(2)))
    with pytest.raises(TypeError, match="single dict; wrap it in a list"):
        optim.Adam({"params": [Parameter(np.zeros(2))]})
    p = Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.Adam([{"params": [p]}, {"params": [p]}])
    with pytest.raises(ValueError, match=r"Invalid momentum value: -0.5"):
        optim.SGD([p], momentum=-0.5)
    with pytest.raises(ValueError, match=r"Invalid weight_decay value: -1"):
        optim.AdamW([p], weight_decay=-1)


def test_gradient_of_the_wrong_shape():
    p = Parameter(np.zeros((2, 3)))
    p.grad = np.zeros(3)
    with pytest.raises(ValueError, match=r"\(3,\) does not match parameter of shape \(2, 3\)"):
        optim.SGD([p], lr=0.1).step()


@pytest.mark.parametrize("make, rule, hyper", [
    (optim.Adam, "adam_step", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                                   amsgrad=False, maximize=False, decoupled_weight_decay=False)),
    (optim.Adam, "adam_step", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1,
                                   amsgrad=True, maximize=True, decoupled_weight_decay=False)),
    (optim.AdamW, "adam_step", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05,
                                    amsgrad=False, maximize=False, decoupled_weight_decay=True)),
    (optim.SGD, "sgd_step", dict(lr=0.05, momentum=0.9, dampening=0.0, weight_decay=0.0,
                                 nesterov=True, maximize=False)),
    (optim.SGD, "sgd_step", dict(lr=0.05, momentum=0.5, dampening=0.3, weight_decay=0.01,
                                 nesterov=False, maximize=True)),
], ids=["adam", "adam-amsgrad-l2-maximize", "adamw", "sgd-nesterov", "sgd-dampening-wd"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_optimizer_in_place_gives_the_functional_rule_bit_for_bit(make, rule, hyper, dtype):
    rng = np.random.default_rng(3)
    start = rng.normal(size=(4, 3)).astype(dtype)
    p = Parameter(start.copy())
    keywords = {k: v for k, v in hyper.items() if k != "decoupled_weight_decay"}
    opt = make([p], **keywords)
    step = getattr(F, rule)
    theta, state = start.copy(), {}
    buffer_ids = None
    for _ in range(25):
        grad = rng.normal(size=start.shape).astype(dtype)
        p.grad = grad.copy()
        opt.step()
        theta, state = step(theta, grad, state, **hyper)
        ids = {k: id(v) for k, v in opt.state[p].items() if isinstance(v, np.ndarray)}
        assert buffer_ids in (None, ids), "the optimizer re-allocated its state buffers"
        buffer_ids = ids
    np.testing.assert_array_equal(p.data, theta)
    assert p.data.dtype == dtype
    for key, value in state.items():
        np.testing.assert_array_equal(opt.state[p][key], value)
