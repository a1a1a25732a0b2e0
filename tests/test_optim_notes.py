"""The notes' own optimizers and schedules, on the notes' numbers and hand-computed steps."""

import math

import numpy as np
import pytest
import torch

import dlcourse.optim as optim
from dlcourse.nn import Parameter
from dlcourse.optim import functional as F
from dlcourse.optim import lr_scheduler as sched


@pytest.fixture(autouse=True)
def torch_float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _steps(opt, p, grads):
    path = []
    for g in grads:
        p.grad = np.asarray(g, dtype=np.float64)
        opt.step()
        path.append(p.data.copy())
    return path


# -- MaxProp ------------------------------------------------------------------


def test_maxprop_by_hand():
    p = Parameter(np.array([1.0, -2.0]))
    opt = optim.MaxProp([p], lr=0.1, beta=0.5, eps=0.0)
    path = _steps(opt, p, [[2.0, -1.0], [0.5, 3.0], [0.0, 0.0]])
    # v1 = |g1| = [2, 1]: θ1 = θ0 − 0.1 g1 / v1
    np.testing.assert_allclose(path[0], [0.9, -1.9], rtol=1e-15)
    # v2 = max(0.5 v1, |g2|) = max([1, 0.5], [0.5, 3]) = [1, 3]
    np.testing.assert_allclose(opt.state[p]["max_norm"], [0.5, 1.5], rtol=1e-15)
    np.testing.assert_allclose(path[1], [0.9 - 0.1 * 0.5, -1.9 - 0.1], rtol=1e-15)
    # a zero gradient leaves θ where it is and only decays v by β
    np.testing.assert_array_equal(path[2], path[1])


def test_maxprop_a_zero_gradient_does_not_inflate_the_next_step():
    """The notes' argument for the max norm, against RMSprop's mean square."""
    grads = [[1.0], [1.0], [1.0], [0.0], [1.0]]
    steps = {}
    for name, cls, kwargs in [("maxprop", optim.MaxProp, dict(beta=0.9)),
                              ("rmsprop", optim.RMSprop, dict(alpha=0.5))]:
        p = Parameter(np.zeros(1))
        path = _steps(cls([p], lr=0.1, **kwargs), p, grads)
        steps[name] = abs(path[4][0] - path[3][0]) / abs(path[2][0] - path[1][0])
    assert steps["maxprop"] == pytest.approx(1.0)  # max(β·1, |1|) = 1 again
    # RMSprop: v = 0.875 before, 0.4375 after the zero, 0.71875 at the next step
    assert steps["rmsprop"] == pytest.approx(math.sqrt(0.875 / 0.71875))


# -- delta-bar-delta ----------------------------------------------------------


def test_delta_bar_delta_by_hand():
    p = Parameter(np.array([1.0, 1.0]))
    opt = optim.DeltaBarDelta([p], lr=0.1, kappa=0.05, phi=0.5, theta=0.5)
    path = _steps(opt, p, [[1.0, 1.0], [2.0, -1.0], [1.0, -1.0]])
    # step 1: δ̄ = 0, so no rate changes; δ̄ becomes 0.5 g1
    np.testing.assert_allclose(path[0], [0.9, 0.9], rtol=1e-15)
    # step 2: δ̄·g = [1, −0.5]: rate 0 grows by κ, rate 1 shrinks by the factor (1 − φ)
    np.testing.assert_allclose(path[1], [0.9 - 0.15 * 2, 0.9 + 0.05], rtol=1e-14)
    # δ̄ = 0.5 g2 + 0.5 δ̄ = [1.25, −0.25]; step 3: δ̄·g = [1.25, 0.25] > 0: both grow
    np.testing.assert_allclose(opt.state[p]["rates"], [0.2, 0.1], rtol=1e-14)
    np.testing.assert_allclose(path[2], [0.6 - 0.2, 0.95 + 0.1], rtol=1e-14)
    np.testing.assert_allclose(opt.state[p]["delta_bar"], [1.125, -0.625], rtol=1e-15)


def test_delta_bar_delta_calms_the_zigzag_of_the_notes_bowl():
    """f(x, y) = x² + 4y²: y zig-zags at rate 0.2, x does not."""
    p = Parameter(np.array([-2.0, 1.5]))
    opt = optim.DeltaBarDelta([p], lr=0.2, kappa=0.01, phi=0.3, theta=0.5)
    for _ in range(10):
        p.grad = np.array([2.0, 8.0]) * p.data
        opt.step()
    rates = opt.state[p]["rates"]
    assert rates[0] > 0.2 > rates[1]
    assert abs(p.data[1]) < 1e-3


# -- momentum as the notes write it -------------------------------------------


def _quadratic(seed=0):
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(3, 3))
    A = M @ M.T / 3 + 0.5 * np.eye(3)
    b = rng.normal(size=3)
    return A, b, rng.normal(size=3)


def test_heavy_ball_of_the_notes_is_torch_sgd_momentum():
    """v_t = γ v_{t-1} + α ∇L(θ_t), θ_{t+1} = θ_t − v_t, written out by hand."""
    A, b, theta0 = _quadratic()
    alpha, gamma = 0.05, 0.9
    theta, v = theta0.copy(), np.zeros(3)
    p = Parameter(theta0)
    opt = optim.SGD([p], lr=alpha, momentum=gamma)
    for _ in range(100):
        v = gamma * v + alpha * (A @ theta - b)
        theta = theta - v
        p.grad = A @ p.data - b
        opt.step()
    np.testing.assert_allclose(p.data, theta, rtol=1e-12, atol=1e-14)


def test_momentum_ema_and_torch_dampening_differ_by_beta_to_the_t_times_g1():
    beta, rng = 0.8, np.random.default_rng(5)
    grads = rng.normal(size=(30, 4))
    p, tp = Parameter(np.zeros(4)), torch.zeros(4, requires_grad=True)
    ours = optim.MomentumEMA([p], lr=0.1, momentum=beta)
    theirs = torch.optim.SGD([tp], lr=0.1, momentum=beta, dampening=beta, foreach=False)
    for t, g in enumerate(grads, start=1):
        p.grad, tp.grad = g, torch.from_numpy(g)
        ours.step()
        theirs.step()
        b = theirs.state[tp]["momentum_buffer"].numpy()
        np.testing.assert_allclose(b - ours.state[p]["velocity"], beta ** t * grads[0],
                                   rtol=1e-9, atol=1e-14)


def test_momentum_ema_is_heavy_ball_with_a_scaled_rate():
    A, b, theta0 = _quadratic(4)
    lr, beta = 0.2, 0.9
    p, tp = Parameter(theta0), torch.tensor(theta0, requires_grad=True)
    ours = optim.MomentumEMA([p], lr=lr, momentum=beta)
    theirs = torch.optim.SGD([tp], lr=lr * (1 - beta), momentum=beta, foreach=False)
    for _ in range(200):
        p.grad = A @ p.data - b
        ours.step()
        tp.grad = torch.from_numpy(A @ tp.detach().numpy() - b)
        theirs.step()
    np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-10)


def test_momentum_ema_by_hand():
    p = Parameter(np.array([0.0]))
    path = _steps(optim.MomentumEMA([p], lr=1.0, momentum=0.5), p, [[1.0], [1.0], [-2.0]])
    # v = 0.5, 0.75, −0.625
    np.testing.assert_allclose(np.ravel(path), [-0.5, -1.25, -0.625], rtol=1e-15)


def test_nesterov_lookahead_is_torch_nesterov_read_at_the_lookahead_point():
    A, b, theta0 = _quadratic(1)
    lr, gamma = 0.05, 0.9
    p = Parameter(theta0)
    opt = optim.NesterovMomentum([p], lr=lr, momentum=gamma)
    tp = torch.tensor(theta0, requires_grad=True)
    topt = torch.optim.SGD([tp], lr=lr, momentum=gamma, nesterov=True, foreach=False)

    def closure():
        p.grad = A @ p.data - b
        return 0.5 * p.data @ A @ p.data - b @ p.data

    for _ in range(150):
        velocity_before = opt.state.get(p, {}).get("velocity", np.zeros(3))
        lookahead_loss = opt.step(closure)
        phi = p.data - gamma * opt.state[p]["velocity"]
        assert np.isfinite(lookahead_loss)
        assert velocity_before is not opt.state[p]["velocity"]
        tp.grad = torch.from_numpy(A @ tp.detach().numpy() - b)
        topt.step()
        np.testing.assert_allclose(phi, tp.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert np.linalg.norm(p.data - np.linalg.solve(A, b)) < 1e-3


def test_nesterov_functional_on_a_function_with_a_gradient():
    A, b, theta0 = _quadratic(2)
    grad_fn = lambda theta: A @ theta - b  # noqa: E731
    theta, state = theta0.copy(), {}
    p = Parameter(theta0)
    opt = optim.NesterovMomentum([p], lr=0.05, momentum=0.8)
    for _ in range(40):
        theta, state = F.nesterov_step(theta, grad_fn, state, lr=0.05, momentum=0.8)
        opt.step(lambda: setattr(p, "grad", grad_fn(p.data)))
    np.testing.assert_array_equal(p.data, theta)
    # the first step is plain gradient descent (no velocity yet)
    first, _ = F.nesterov_step(theta0, grad_fn, {}, lr=0.05, momentum=0.8)
    np.testing.assert_allclose(first, theta0 - 0.05 * grad_fn(theta0), rtol=1e-15)


def test_nesterov_needs_a_closure():
    opt = optim.NesterovMomentum([Parameter(np.zeros(2))])
    with pytest.raises(RuntimeError, match="needs a closure"):
        opt.step()


# -- ε inside the square root ---------------------------------------------------


def test_eps_inside_sqrt_by_hand():
    for cls, kwargs, v in [(optim.Adagrad, {}, 4.0), (optim.RMSprop, {"alpha": 0.9}, 0.4)]:
        inside, outside = Parameter(np.array([1.0])), Parameter(np.array([1.0]))
        _steps(cls([inside], lr=0.1, eps=1e-2, eps_inside_sqrt=True, **kwargs), inside, [[2.0]])
        _steps(cls([outside], lr=0.1, eps=1e-2, **kwargs), outside, [[2.0]])
        np.testing.assert_allclose(inside.data, 1 - 0.1 * 2 / math.sqrt(v + 1e-2), rtol=1e-15)
        np.testing.assert_allclose(outside.data, 1 - 0.1 * 2 / (math.sqrt(v) + 1e-2), rtol=1e-15)


# -- the notes' classes share the machinery -----------------------------------

NOTES_CASES = [
    (optim.MomentumEMA, dict(lr=0.05, momentum=0.9, weight_decay=0.01)),
    (optim.MaxProp, dict(lr=0.01, beta=0.95, maximize=False)),
    (optim.DeltaBarDelta, dict(lr=0.01, kappa=1e-3, phi=0.2, theta=0.6)),
    (optim.Adagrad, dict(lr=0.1, eps_inside_sqrt=True, eps=1e-8)),
    (optim.RMSprop, dict(lr=0.01, eps_inside_sqrt=True, centered=True)),
]


@pytest.mark.parametrize("cls, kwargs", NOTES_CASES, ids=[c.__name__ for c, _ in NOTES_CASES])
def test_functional_and_class_agree_and_resume(cls, kwargs):
    A, b, theta0 = _quadratic(3)
    grad_fn = lambda theta: A @ theta - b  # noqa: E731
    p = Parameter(theta0)
    opt = cls([p], **kwargs)
    hyper = opt.hyperparameters(opt.param_groups[0])
    theta, state = theta0.copy(), {}
    for t in range(60):
        p.grad = grad_fn(p.data)
        opt.step()
        theta, state = cls.rule(theta, grad_fn(theta), state, **hyper)
        if t == 29:
            saved, saved_theta = opt.state_dict(), p.data.copy()
    np.testing.assert_array_equal(p.data, theta)

    q = Parameter(saved_theta)
    resumed = cls([q])
    resumed.load_state_dict(saved)
    for _ in range(30):
        q.grad = grad_fn(q.data)
        resumed.step()
    np.testing.assert_array_equal(q.data, p.data)


@pytest.mark.parametrize("cls", [optim.MomentumEMA, optim.MaxProp, optim.DeltaBarDelta])
def test_notes_optimizers_keep_float32(cls):
    p = Parameter(np.ones(3, dtype=np.float32))
    opt = cls([p], lr=0.01)
    for _ in range(3):
        p.grad = np.full(3, 0.5, dtype=np.float32)
        opt.step()
    assert p.data.dtype == np.float32


def test_notes_optimizers_reject_bad_values():
    p = Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.MaxProp([p], lr=-1)
    with pytest.raises(ValueError, match="Invalid beta value: 1.0"):
        optim.MaxProp([p], beta=1.0)
    with pytest.raises(ValueError, match="Invalid phi value: 1.5"):
        optim.DeltaBarDelta([p], phi=1.5)
    with pytest.raises(ValueError, match="Invalid momentum value: 1"):
        optim.MomentumEMA([p], momentum=1)


# -- the notes' schedules -------------------------------------------------------


def _sgd(lr=0.1):
    return optim.SGD([Parameter(np.zeros(1))], lr=lr)


def _rates(scheduler, steps):
    rates = []
    for _ in range(steps):
        rates.append(scheduler.get_last_lr()[0])
        scheduler.optimizer.step()
        scheduler.step()
    return np.array(rates)


def test_the_notes_worked_decay_examples():
    # α_0 = 0.1, k = 0.01, after 10 epochs
    assert sched.exponential_decay_lr(10, 0.1, 0.01) == pytest.approx(0.0905, abs=5e-5)
    assert sched.inverse_time_lr(10, 0.1, 0.01) == pytest.approx(0.0909, abs=5e-5)
    exponential = _rates(sched.ExponentialDecayLR(_sgd(), k=0.01), 11)
    assert exponential[10] == pytest.approx(0.0905, abs=5e-5)
    assert _rates(sched.InverseTimeLR(_sgd(), k=0.01), 11)[10] == pytest.approx(0.0909, abs=5e-5)
    # halve every 5 epochs from 0.1: 0.05 after 5, 0.025 after 10
    rates = _rates(sched.StepLR(_sgd(), step_size=5, gamma=0.5), 11)
    assert rates[5] == 0.05 and rates[10] == 0.025 and rates[4] == 0.1
    assert sched.step_lr(5, 0.1, 5, 0.5) == 0.05 and sched.step_lr(10, 0.1, 5, 0.5) == 0.025


def test_notes_schedules_equal_torch_equivalents():
    k, steps = 0.02, 300
    ours = _rates(sched.ExponentialDecayLR(_sgd(), k=k), steps)
    tp = torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([tp], lr=0.1)
    texp = torch.optim.lr_scheduler.ExponentialLR(topt, gamma=math.exp(-k))
    theirs = []
    for _ in range(steps):
        theirs.append(texp.get_last_lr()[0])
        topt.step()
        texp.step()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)

    ours = _rates(sched.InverseTimeLR(_sgd(), k=k), steps)
    lam = _rates(sched.LambdaLR(_sgd(), lambda t: 1 / (1 + k * t)), steps)
    np.testing.assert_allclose(ours, lam, rtol=1e-15)
    np.testing.assert_allclose(ours, sched.inverse_time_lr(np.arange(steps), 0.1, k), rtol=1e-15)


def test_diminishing_step_sizes():
    t = np.arange(1, 6)
    np.testing.assert_allclose(sched.diminishing_lr(t, a=1.0, b=1.0), 1 / (1 + t))
    np.testing.assert_allclose(sched.inverse_sqrt_lr(t, a=2.0), 2 / np.sqrt(t))
    assert sched.inverse_sqrt_lr(4, 2.0) == 1.0
    # a/(b+t) is inverse-time decay with a = α0/k, b = 1/k
    np.testing.assert_allclose(sched.diminishing_lr(t, a=0.1 / 0.01, b=1 / 0.01),
                               sched.inverse_time_lr(t, 0.1, 0.01), rtol=1e-14)
    np.testing.assert_allclose(_rates(sched.InverseSqrtLR(_sgd(0.3)), 5), 0.3 / np.sqrt(t))
    with pytest.raises(ValueError, match="needs t >= 1, got t=0"):
        sched.inverse_sqrt_lr(0, 1.0)
    with pytest.raises(ValueError, match="a > 0 and b >= 0"):
        sched.diminishing_lr(1, a=-1.0)


def test_the_notes_momentum_schedule():
    t = np.array([0, 1, 349, 350, 699, 700, 1050, 100_000])
    expected = [0.5, 0.5, 0.5, 0.75, 0.75, 1 - 1 / 6, 0.875, 0.99]
    np.testing.assert_allclose(sched.momentum_schedule(t, beta_max=0.99), expected, rtol=1e-15)
    assert sched.momentum_schedule(700, beta_max=0.8) == 0.8
    assert sched.momentum_schedule(5000, beta_max=0.0) == 0.0

    opt = optim.SGD([Parameter(np.zeros(1))], lr=0.1, momentum=0.1)
    adam = optim.Adam([Parameter(np.zeros(1))])
    schedules = [sched.MomentumSchedule(opt, beta_max=0.9), sched.MomentumSchedule(adam, 0.995)]
    assert opt.param_groups[0]["momentum"] == 0.5 and adam.param_groups[0]["betas"] == (0.5, 0.999)
    for _ in range(700):
        for s in schedules:
            s.step()
    assert opt.param_groups[0]["momentum"] == pytest.approx(1 - 1 / 6)
    assert schedules[1].get_last_momentum() == [pytest.approx(1 - 1 / 6)]
    with pytest.raises(ValueError, match="no momentum or betas"):
        sched.MomentumSchedule(optim.Adagrad([Parameter(np.zeros(1))]))


def test_the_notes_triangular_cycle_of_20_steps():
    t = np.array([0, 10, 20, 30, 40])
    np.testing.assert_allclose(sched.cyclic_lr(t, 0.01, 0.1, step_size_up=20),
                               [0.01, 0.055, 0.1, 0.055, 0.01], rtol=1e-14)
    scheduler = sched.CyclicLR(_sgd(), base_lr=0.01, max_lr=0.1, step_size_up=20,
                               cycle_momentum=False)
    np.testing.assert_allclose(_rates(scheduler, 41)[t], [0.01, 0.055, 0.1, 0.055, 0.01],
                               rtol=1e-14)
