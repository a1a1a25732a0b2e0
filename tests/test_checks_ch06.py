"""The chapter 6 checks accept correct optimizers written in different ways and reject
the usual wrong ones with a message that says what went wrong."""

import numpy as np
import pytest

from dlcourse.checks import ch06, core
from dlcourse.checks.core import CheckFailure
from tests.conftest import ROOT

HIDDEN = ROOT / "solutions" / "ch06-optimizers" / "hidden_cases.py"


def _fails(check, student, *fragments, hidden=False):
    with pytest.raises(CheckFailure) as failure:
        check(student, hidden=hidden)
    message = str(failure.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def _stub(*args, **kwargs):
    raise NotImplementedError()


# -- momentum and Nesterov -----------------------------------------------------------------


def momentum_solution(A, b, w0, lr, beta, steps):
    w = np.array(w0, dtype=float)
    u = np.zeros_like(w)
    path = [w.copy()]
    for _ in range(steps):
        u = beta * u + (A @ w - b)
        w = w - lr * u
        path.append(w.copy())
    return np.array(path)


def momentum_unrolled(A, b, w0, lr, beta, steps):
    # the notes' expansion: w_(t+1) = w_t - lr * sum_k beta^(t-k) grad_k
    path, grads = [np.asarray(w0, dtype=float)], []
    for t in range(steps):
        grads.append(A @ path[-1] - b)
        weights = beta ** np.arange(t, -1, -1.0)
        path.append(path[-1] - lr * np.tensordot(weights, np.array(grads), axes=1))
    return np.vstack(path)


def momentum_preallocated(A, b, w0, lr, beta, steps):
    path = np.empty((steps + 1, len(w0)))
    path[0] = w0
    velocity = 0.0
    for t in range(steps):
        velocity = beta * velocity + np.dot(A, path[t]) - b
        path[t + 1] = path[t] - lr * velocity
    return path


def nesterov_solution(A, b, w0, lr, beta, steps):
    w = np.array(w0, dtype=float)
    v = np.zeros_like(w)
    path = [w.copy()]
    for _ in range(steps):
        v = beta * v + lr * (A @ (w - beta * v) - b)
        w = w - v
        path.append(w.copy())
    return np.array(path)


def nesterov_unscaled_velocity(A, b, w0, lr, beta, steps):
    # the notes' U form: U_t = grad f(w_t - lr * beta * U_(t-1)) + beta * U_(t-1), w_(t+1) = w_t - lr * U_t
    w, U = np.asarray(w0, dtype=float), np.zeros(len(w0))
    path = [w]
    for _ in range(steps):
        U = np.dot(A, w - lr * beta * U) - b + beta * U
        w = w - lr * U
        path.append(w)
    return np.stack(path)


def nesterov_lists(A, b, w0, lr, beta, steps):
    w, v, path = list(w0), [0.0] * len(w0), [list(w0)]
    for _ in range(steps):
        ahead = [wi - beta * vi for wi, vi in zip(w, v)]
        g = [sum(a * x for a, x in zip(row, ahead)) - bi for row, bi in zip(A, b)]
        v = [beta * vi + lr * gi for vi, gi in zip(v, g)]
        w = [wi - vi for wi, vi in zip(w, v)]
        path.append(list(w))
    return np.array(path)


# -- AdaGrad and RMSProp -------------------------------------------------------------------


def adagrad_solution(w, grad, sum_sq, lr=0.01, eps=1e-10):
    sum_sq = sum_sq + grad ** 2
    return w - lr * grad / (np.sqrt(sum_sq) + eps), sum_sq


def adagrad_inplace_on_copies(w, grad, sum_sq, lr=0.01, eps=1e-10):
    G = sum_sq.copy()
    G += grad * grad
    new = w.copy()
    new -= lr * grad / (G ** 0.5 + eps)
    return new, G


def adagrad_rate_form(w, grad, sum_sq, lr=0.01, eps=1e-10):
    G = np.add(sum_sq, np.square(grad))
    rate = lr / (np.sqrt(G) + eps)  # one learning rate per coordinate
    return w - rate * grad, G


def rmsprop_solution(w, grad, avg_sq, lr=0.01, beta=0.99, eps=1e-8):
    v = beta * avg_sq + (1 - beta) * grad ** 2
    return w - lr * grad / (np.sqrt(v) + eps), v


def rmsprop_lerp(w, grad, avg_sq, lr=0.01, beta=0.99, eps=1e-8):
    v = avg_sq + (1 - beta) * (grad * grad - avg_sq)
    return w - lr * grad / (np.sqrt(v) + eps), v


def rmsprop_rate_form(w, grad, avg_sq, lr=0.01, beta=0.99, eps=1e-8):
    v = np.multiply(beta, avg_sq) + np.multiply(1 - beta, np.square(grad))
    return w - (lr / (np.sqrt(v) + eps)) * grad, v


# -- Adam as a class ---------------------------------------------------------------------


class AdamSolution:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        self.params, self.lr, self.betas, self.eps = list(params), lr, betas, eps
        self.weight_decay, self.amsgrad = weight_decay, amsgrad
        self.state = {id(p): {"step": 0, "m": np.zeros_like(p.data), "v": np.zeros_like(p.data),
                              "v_max": np.zeros_like(p.data)} for p in self.params}

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        beta1, beta2 = self.betas
        for p in self.params:
            if p.grad is None:
                continue
            s = self.state[id(p)]
            g = p.grad + self.weight_decay * p.data
            s["step"] += 1
            s["m"] = beta1 * s["m"] + (1 - beta1) * g
            s["v"] = beta2 * s["v"] + (1 - beta2) * g ** 2
            s["v_max"] = np.maximum(s["v_max"], s["v"])
            v = s["v_max"] if self.amsgrad else s["v"]
            m_hat = s["m"] / (1 - beta1 ** s["step"])
            v_hat = v / (1 - beta2 ** s["step"])
            p.data = p.data - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamInPlace(AdamSolution):
    """Lazy state, in-place updates, PyTorch's step_size / denom arrangement."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
        self.state = {}

    def step(self):
        b1, b2 = self.betas
        for p in self.params:
            if p.grad is None:
                continue
            s = self.state.setdefault(id(p), {"t": 0, "m": np.zeros_like(p.data), "v": np.zeros_like(p.data),
                                              "vmax": np.zeros_like(p.data)})
            g = p.grad + self.weight_decay * p.data if self.weight_decay else p.grad
            s["t"] += 1
            s["m"] *= b1
            s["m"] += (1 - b1) * g
            s["v"] *= b2
            s["v"] += (1 - b2) * g * g
            np.maximum(s["vmax"], s["v"], out=s["vmax"])
            v = s["vmax"] if self.amsgrad else s["v"]
            denom = np.sqrt(v) / np.sqrt(1 - b2 ** s["t"]) + self.eps
            p.data -= self.lr / (1 - b1 ** s["t"]) * s["m"] / denom


class AdamFunctional:
    """The state as a tuple per parameter, updated by a pure function."""

    def __init__(self, params, **hyper):
        self.params, self.hyper = list(params), {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8,
                                                  "weight_decay": 0.0, "amsgrad": False, **hyper}
        self.state = [None] * len(self.params)

    @staticmethod
    def _rule(w, g, state, lr, betas, eps, weight_decay, amsgrad):
        t, m, v, vmax = state or (0, 0.0, 0.0, 0.0)
        g = g + weight_decay * w
        t, m, v = t + 1, betas[0] * m + (1 - betas[0]) * g, betas[1] * v + (1 - betas[1]) * g * g
        vmax = np.maximum(vmax, v)
        used = vmax if amsgrad else v
        return w - lr * (m / (1 - betas[0] ** t)) / (np.sqrt(used / (1 - betas[1] ** t)) + eps), (t, m, v, vmax)

    def zero_grad(self):
        for p in self.params:
            p.grad = np.zeros_like(p.data)

    def step(self):
        for i, p in enumerate(self.params):
            if p.grad is not None:
                p.data, self.state[i] = self._rule(p.data, p.grad, self.state[i], **self.hyper)


def _trajectory(cls):
    def adam_trajectory(starts, grads, **hyper):
        return ch06.run_optimizer(cls, starts, grads, **hyper)
    return adam_trajectory


# -- correct answers pass -------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("check, students", [
    (ch06.momentum_path, [momentum_solution, momentum_unrolled, momentum_preallocated]),
    (ch06.nesterov_path, [nesterov_solution, nesterov_unscaled_velocity, nesterov_lists]),
    (ch06.adagrad_update, [adagrad_solution, adagrad_inplace_on_copies, adagrad_rate_form]),
    (ch06.rmsprop_update, [rmsprop_solution, rmsprop_lerp, rmsprop_rate_form]),
    (ch06.adam_class, [_trajectory(AdamSolution), _trajectory(AdamInPlace), _trajectory(AdamFunctional)]),
])
def test_correct_answers_pass(check, students, hidden, capsys):
    for student in students:
        check(student, hidden=hidden)
    assert "\u2713" in capsys.readouterr().out


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("check", [ch06.momentum_path, ch06.nesterov_path, ch06.adagrad_update,
                                   ch06.rmsprop_update, ch06.adam_class])
def test_stub_fails(check, hidden):
    _fails(check, _stub, "not implemented yet", hidden=hidden)


def test_the_library_adam_is_the_reference_of_the_class_check():
    from dlcourse import optim
    _fails(ch06.adam_class, _trajectory(optim.Adam), "reference implementation")


def test_calling_the_reference_fails():
    _fails(ch06.momentum_path, lambda A, b, w0, lr, beta, steps: ch06._ref_momentum_path(A, b, w0, lr, beta, steps),
           "reference implementation")


# -- typical wrong answers ------------------------------------------------------------------


def test_momentum_rate_only_on_the_new_gradient_fails():
    def ema_of_steps(A, b, w0, lr, beta, steps):
        w, u, path = np.array(w0, float), 0.0, [np.array(w0, float)]
        for _ in range(steps):
            u = beta * u + lr * (A @ w - b)
            w = w - lr * u
            path.append(w)
        return np.array(path)
    _fails(ch06.momentum_path, ema_of_steps, "beta = 0 is gradient descent", "multiplies the whole velocity")


def test_momentum_without_the_start_fails():
    _fails(ch06.momentum_path, lambda *a: momentum_solution(*a)[1:], "wrong shape", "steps + 1 rows")


def test_momentum_ema_instead_of_heavy_ball_fails():
    def ema(A, b, w0, lr, beta, steps):
        w, u, path = np.array(w0, float), 0.0, [np.array(w0, float)]
        for _ in range(steps):
            u = beta * u + (1 - beta) * (A @ w - b)
            w = w - lr * u
            path.append(w)
        return np.array(path)
    _fails(ch06.momentum_path, ema, "beta = 0.5", "u_t = beta * u_(t-1) + grad f(w_t)")


def test_momentum_changing_w0_in_place_fails():
    def in_place(A, b, w0, lr, beta, steps):
        u, path = 0.0, [w0.copy()]
        for _ in range(steps):
            u = beta * u + (A @ w0 - b)
            w0 -= lr * u
            path.append(w0.copy())
        return np.array(path)
    _fails(ch06.momentum_path, in_place, "changed its argument `w0` in place")


def test_nesterov_gradient_at_the_current_point_fails():
    def no_lookahead(A, b, w0, lr, beta, steps):
        w, v, path = np.array(w0, float), 0.0, [np.array(w0, float)]
        for _ in range(steps):
            v = beta * v + lr * (A @ w - b)
            w = w - v
            path.append(w)
        return np.array(path)
    _fails(ch06.nesterov_path, no_lookahead, "beta = 0.5", "look-ahead point")


def test_nesterov_stepping_from_the_lookahead_point_fails():
    def from_ahead(A, b, w0, lr, beta, steps):
        w, v, path = np.array(w0, float), np.zeros(len(w0)), [np.array(w0, float)]
        for _ in range(steps):
            ahead = w - beta * v
            v = beta * v + lr * (A @ ahead - b)
            w = ahead - v
            path.append(w)
        return np.array(path)
    _fails(ch06.nesterov_path, from_ahead, "beta = 0.5", "not from the look-ahead point")


def test_nesterov_gradient_sign_slip_fails():
    def plus_b(A, b, w0, lr, beta, steps):
        return nesterov_solution(A, -b, w0, lr, beta, steps)
    _fails(ch06.nesterov_path, plus_b, "linear term b", "A @ w - b")


def test_adagrad_mean_instead_of_sum_fails():
    def mean(w, grad, sum_sq, lr=0.01, eps=1e-10):
        G = (sum_sq + grad ** 2) / 2
        return w - lr * grad / (np.sqrt(G) + eps), G
    _fails(ch06.adagrad_update, mean, "first step", "a sum, not a mean")


def test_adagrad_old_sum_in_the_step_fails():
    def stale(w, grad, sum_sq, lr=0.01, eps=1e-10):
        return w - lr * grad / (np.sqrt(sum_sq) + eps), sum_sq + grad ** 2
    _fails(ch06.adagrad_update, stale, "first step", "add the square of the new gradient to the running sum first")


def test_adagrad_eps_inside_the_root_fails():
    def inside(w, grad, sum_sq, lr=0.01, eps=1e-10):
        G = sum_sq + grad ** 2
        return w - lr * grad / np.sqrt(G + eps), G
    _fails(ch06.adagrad_update, inside, "very different sizes", "eps outside")


def test_adagrad_in_place_fails():
    def in_place(w, grad, sum_sq, lr=0.01, eps=1e-10):
        sum_sq += grad ** 2
        return w - lr * grad / (np.sqrt(sum_sq) + eps), sum_sq
    _fails(ch06.adagrad_update, in_place, "changed its argument `sum_sq` in place")


def test_rmsprop_swapped_weights_fails():
    def swapped(w, grad, avg_sq, lr=0.01, beta=0.99, eps=1e-8):
        v = (1 - beta) * avg_sq + beta * grad ** 2
        return w - lr * grad / (np.sqrt(v) + eps), v
    _fails(ch06.rmsprop_update, swapped, "first step from v = 0", "beta weighs the old average")


def test_rmsprop_without_decay_fails():
    def adagrad_like(w, grad, avg_sq, lr=0.01, beta=0.99, eps=1e-8):
        v = avg_sq + grad ** 2
        return w - lr * grad / (np.sqrt(v) + eps), v
    _fails(ch06.rmsprop_update, adagrad_like, "first step from v = 0", "the average decays")


def test_rmsprop_bias_corrected_fails():
    def corrected(w, grad, avg_sq, lr=0.01, beta=0.99, eps=1e-8):
        v = beta * avg_sq + (1 - beta) * grad ** 2
        return w - lr * grad / (np.sqrt(v / (1 - beta)) + eps), v
    _fails(ch06.rmsprop_update, corrected, "value 1 returned by `rmsprop_update`")


class AdamNoBiasCorrection(AdamSolution):
    def step(self):
        b1, b2 = self.betas
        for p in self.params:
            if p.grad is None:
                continue
            s = self.state[id(p)]
            s["m"] = b1 * s["m"] + (1 - b1) * p.grad
            s["v"] = b2 * s["v"] + (1 - b2) * p.grad ** 2
            p.data = p.data - self.lr * s["m"] / (np.sqrt(s["v"]) + self.eps)


class AdamSharedStep(AdamSolution):
    """One step counter for the whole optimizer, not one per parameter."""

    def step(self):
        self.t = getattr(self, "t", 0) + 1
        for p in self.params:
            if p.grad is not None:
                self.state[id(p)]["step"] = self.t - 1
        super().step()


class AdamDecoupledDecay(AdamSolution):
    def step(self):
        decay, self.weight_decay = self.weight_decay, 0.0
        for p in self.params:
            if p.grad is not None:
                p.data = p.data * (1 - self.lr * decay)
        super().step()
        self.weight_decay = decay


class AdamNoZeroGrad(AdamSolution):
    def zero_grad(self):
        pass


class AdamIgnoresAmsgrad(AdamSolution):
    def __init__(self, params, amsgrad=False, **hyper):
        super().__init__(params, **hyper)


@pytest.mark.parametrize("cls, fragments", [
    (AdamNoBiasCorrection, ["one step: bias correction", "divide by (1 - beta1**t)"]),
    (AdamSharedStep, ["every other step", "that parameter's own steps"]),
    (AdamDecoupledDecay, ["weight_decay = 0.1 (L2, added to the gradient)", "g = grad + weight_decay * param"]),
    (AdamNoZeroGrad, ["non-zero gradient"]),
    (AdamIgnoresAmsgrad, ["amsgrad = True", "running maximum of v"]),
])
def test_typical_wrong_adam_classes_fail(cls, fragments):
    _fails(ch06.adam_class, _trajectory(cls), *fragments)


# -- hidden cases -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_the_hidden_cases_of_every_seed_are_well_posed(seed, capsys):
    with core.hidden_source(HIDDEN, seed):
        for check, student in [(ch06.momentum_path, momentum_solution), (ch06.nesterov_path, nesterov_solution),
                               (ch06.adagrad_update, adagrad_solution), (ch06.rmsprop_update, rmsprop_solution),
                               (ch06.adam_class, _trajectory(AdamSolution)),
                               (ch06.optimizer_race, race_solution)]:
            check(student, hidden=True)
        for name in ("momentum_path", "nesterov_path"):
            for case in core.hidden(name):
                path = ch06._ref_momentum_path(*case.args)
                assert np.all(np.isfinite(path)), case.label


def test_each_seed_has_its_own_hidden_random_cases():
    def first(seed):
        with core.hidden_source(HIDDEN, seed):
            return core.hidden("adagrad_update")[0].args[0]
    assert np.array_equal(first(1), first(1))
    assert first(1).shape != first(2).shape or not np.array_equal(first(1), first(2))


def _labels(path):
    import ast
    tree = ast.parse(path.read_text())
    return {kw.value.value for node in ast.walk(tree) if isinstance(node, ast.Call)
            for kw in node.keywords if kw.arg == "label" and isinstance(kw.value, ast.Constant)}


def test_no_hidden_case_reaches_a_student():
    labels = _labels(HIDDEN)
    assert len(labels) >= 10
    shipped = [p for p in (ROOT / "dlcourse").rglob("*") if p.is_file() and p.suffix in (".py", ".json", ".txt", ".md")]
    release = ROOT / "course" / "ch06-optimizers" / "ch06-optimizers.ipynb"
    if release.exists():
        shipped.append(release)
    for path in shipped:
        text = path.read_text(errors="replace")
        leaked = [label for label in labels if label in text]
        assert not leaked, f"{path.relative_to(ROOT)} holds hidden case labels {leaked}"
    assert not (ROOT / "course" / "ch06-optimizers" / "hidden_cases.py").exists()


# -- the experiment -----------------------------------------------------------------------------


def _race(X, y, threshold, epochs, seed, fresh=True, count_after_step=False, never=-1):
    from dlcourse import nn, optim
    result, model = {}, None
    for name, (cls, kwargs) in ch06.RACE.items():
        if fresh or model is None:
            model = nn.Sequential(nn.Linear(2, 16, rng=seed), nn.Tanh(), nn.Linear(16, 2, rng=seed + 1))
        loss_fn = nn.CrossEntropyLoss()
        opt = getattr(optim, cls)(model.parameters(), **kwargs)
        result[name] = never
        for epoch in range(epochs + 1):
            loss = loss_fn(model(X), y)
            if loss < threshold:
                result[name] = epoch + (1 if count_after_step else 0)
                break
            if epoch < epochs:
                opt.zero_grad()
                model.backward(loss_fn.backward())
                opt.step()
    return result


def race_solution(X, y, threshold, epochs, seed):
    return _race(X, y, threshold, epochs, seed)


def race_with_histories(X, y, threshold, epochs, seed):
    # records the whole loss curve first, then reads off the first epoch below the threshold
    from dlcourse import nn, optim
    out = {}
    for name in ["adam", "rmsprop", "momentum"]:
        cls, kwargs = ch06.RACE[name]
        model = nn.Sequential(nn.Linear(2, 16, rng=seed), nn.Tanh(), nn.Linear(16, 2, rng=seed + 1))
        loss_fn, losses = nn.CrossEntropyLoss(), []
        opt = getattr(optim, cls)(model.parameters(), **kwargs)
        for epoch in range(epochs + 1):
            losses.append(float(loss_fn(model(X), y)))
            if losses[-1] < threshold or epoch == epochs:
                break
            opt.zero_grad()
            model.backward(loss_fn.backward())
            opt.step()
        below = np.flatnonzero(np.array(losses) < threshold)
        out[name] = int(below[0]) if below.size else -1
    return out


def race_while_loop(X, y, threshold, epochs, seed):
    from dlcourse import nn, optim
    answers = {}
    for name, (cls, kwargs) in ch06.RACE.items():
        net = nn.Sequential(nn.Linear(2, 16, rng=seed), nn.Tanh(), nn.Linear(16, 2, rng=seed + 1))
        criterion = nn.CrossEntropyLoss()
        opt = getattr(optim, cls)(net.parameters(), **kwargs)
        epoch = 0
        while criterion(net(X), y) >= threshold and epoch < epochs:
            opt.zero_grad()
            net.backward(criterion.backward())
            opt.step()
            epoch += 1
        answers[name] = epoch if criterion(net(X), y) < threshold else -1
    return answers


@pytest.mark.parametrize("hidden", [False, True])
def test_race_correct_answers_pass(hidden, capsys):
    for student in (race_solution, race_with_histories, race_while_loop):
        ch06.optimizer_race(student, hidden=hidden)
    assert "\u2713 optimizer_race" in capsys.readouterr().out


@pytest.mark.parametrize("student, fragments", [
    (lambda *a: _race(*a, fresh=False), ["fresh network from the same seed"]),
    (lambda *a: _race(*a, count_after_step=True), ["threshold 0.3", "epoch 0 is before any step"]),
    (lambda *a: _race(*a, never=None), ["never reached in 20 epochs", "-1 when the loss never drops"]),
    (lambda *a: list(race_solution(*a).values()), ["should return a dict"]),
])
def test_race_wrong_answers_fail(student, fragments):
    _fails(ch06.optimizer_race, student, *fragments)


def test_race_stub_fails():
    _fails(ch06.optimizer_race, _stub, "not implemented yet")
