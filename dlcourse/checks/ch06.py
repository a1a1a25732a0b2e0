"""Checks for chapter 6, *Optimizers*: momentum and Nesterov on a quadratic, the AdaGrad
and RMSProp update rules, and an ``Adam`` class over ``Parameter``\\ s.

Every check takes the student's function and ``hidden=False``; the hidden variant (run by
the grader) adds the instructor's cases from ``solutions/ch06-optimizers/hidden_cases.py``
(see :func:`dlcourse.checks.core.hidden`), which the release never contains. The
references follow the chapter's conventions:

* heavy ball (the notes): u_t = β u_{t-1} + ∇f(w_t), w_{t+1} = w_t − η u_t, u_{-1} = 0;
* Nesterov (look-ahead): v_t = β v_{t-1} + η ∇f(w_t − β v_{t-1}), w_{t+1} = w_t − v_t;
* AdaGrad: G ← G + g², w ← w − η g / (√G + ε);
* RMSProp: v ← β v + (1 − β) g², w ← w − η g / (√v + ε);
* Adam: as ``torch.optim.Adam`` (bias correction, L2 ``weight_decay``, ``amsgrad``),

where f(w) = ½ wᵀ A w − bᵀ w, so ∇f(w) = A w − b.
"""

import numpy as np

from dlcourse.checks.core import (
    Case,
    CheckFailure,
    call_student,
    check_function,
    hidden as hidden_part,
    library_functions,
    random_cases,
)

__all__ = ["adagrad_update", "adam_class", "momentum_path", "nesterov_path", "rmsprop_update",
           "optimizer_race", "run_optimizer", "race_case", "random_quadratic_case", "random_rule_case", "random_adam_case"]


# -- reference computations --------------------------------------------------------------


def _ref_momentum_path(A, b, w0, lr, beta, steps):
    A, b = np.asarray(A, dtype=np.float64), np.asarray(b, dtype=np.float64)
    w = np.array(w0, dtype=np.float64)
    u = np.zeros_like(w)
    path = [w.copy()]
    for _ in range(steps):
        u = beta * u + (A @ w - b)
        w = w - lr * u
        path.append(w.copy())
    return np.array(path)


def _ref_nesterov_path(A, b, w0, lr, beta, steps):
    A, b = np.asarray(A, dtype=np.float64), np.asarray(b, dtype=np.float64)
    w = np.array(w0, dtype=np.float64)
    v = np.zeros_like(w)
    path = [w.copy()]
    for _ in range(steps):
        ahead = w - beta * v
        v = beta * v + lr * (A @ ahead - b)
        w = w - v
        path.append(w.copy())
    return np.array(path)


def _ref_adagrad_update(w, grad, sum_sq, lr=0.01, eps=1e-10):
    sum_sq = np.asarray(sum_sq, dtype=np.float64) + np.square(grad)
    return np.asarray(w, dtype=np.float64) - lr * grad / (np.sqrt(sum_sq) + eps), sum_sq


def _ref_rmsprop_update(w, grad, avg_sq, lr=0.01, beta=0.99, eps=1e-8):
    avg_sq = beta * np.asarray(avg_sq, dtype=np.float64) + (1 - beta) * np.square(grad)
    return np.asarray(w, dtype=np.float64) - lr * grad / (np.sqrt(avg_sq) + eps), avg_sq


def _ref_adam_trajectory(starts, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                         weight_decay=0.0, amsgrad=False):
    """The parameters after every step, one array of shape (steps, *shape) per parameter."""
    beta1, beta2 = betas
    params = [np.array(s, dtype=np.float64) for s in starts]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    v_max = [np.zeros_like(p) for p in params]
    paths = [[] for _ in params]
    for t, step_grads in enumerate(grads, start=1):
        for i, g in enumerate(step_grads):
            if g is None:
                paths[i].append(params[i].copy())
                continue
            g = np.asarray(g, dtype=np.float64) + weight_decay * params[i]
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            v_max[i] = np.maximum(v_max[i], v[i])
            v_used = v_max[i] if amsgrad else v[i]
            count = sum(1 for row in grads[:t] if row[i] is not None)
            m_hat = m[i] / (1 - beta1 ** count)
            v_hat = v_used / (1 - beta2 ** count)
            params[i] = params[i] - lr * m_hat / (np.sqrt(v_hat) + eps)
            paths[i].append(params[i].copy())
    return tuple(np.array(p) for p in paths)


_OPTIMIZER_MODULES = ("optimizer", "sgd", "adagrad", "rmsprop", "adadelta", "adam", "adamax", "nadam",
                      "radam", "momentum_ema", "nesterov", "maxprop", "delta_bar_delta")


def _references():
    """What a student must not call: these references and every rule and method of the
    library's optimizers (``dlcourse.optim``, the schedules apart)."""
    return (_ref_momentum_path, _ref_nesterov_path, _ref_adagrad_update, _ref_rmsprop_update,
            _ref_adam_trajectory,
            *library_functions(*(f"dlcourse.optim.{name}" for name in _OPTIMIZER_MODULES)))


# -- case makers (the hidden file draws from these with the grading generator) ------------


def random_quadratic_case(rng, d=None):
    """A random convex quadratic (A symmetric positive definite), start, rate, β and steps."""
    d = int(rng.integers(2, 5)) if d is None else d
    Q = rng.normal(size=(d, d))
    A = Q @ Q.T / d + 0.1 * np.eye(d)
    lr = float(rng.uniform(0.2, 0.8) / np.linalg.eigvalsh(A).max())
    return Case((A, rng.normal(size=d), rng.normal(size=d), lr, float(rng.uniform(0.3, 0.95)),
                 int(rng.integers(5, 30))))


def random_rule_case(rng, keywords=("lr", "eps")):
    """A random parameter, gradient, accumulator (non-negative) and hyperparameters."""
    shape = tuple(int(n) for n in rng.integers(1, 4, size=int(rng.integers(1, 3))))
    kwargs = {"lr": float(rng.uniform(0.001, 0.5))}
    if "beta" in keywords:
        kwargs["beta"] = float(rng.uniform(0.5, 0.999))
    if "eps" in keywords:
        kwargs["eps"] = float(10.0 ** rng.uniform(-10, -4))
    return Case((rng.normal(size=shape), rng.normal(size=shape) * 3, rng.random(shape) * 2), kwargs)


def random_adam_case(rng, steps=None):
    """Random starts for two parameters, ``steps`` rows of gradients and hyperparameters."""
    steps = int(rng.integers(10, 40)) if steps is None else steps
    shapes = [(int(rng.integers(1, 4)), int(rng.integers(1, 4))), (int(rng.integers(1, 5)),)]
    starts = [rng.normal(size=s) for s in shapes]
    grads = [[rng.normal(size=s) * 10.0 ** rng.uniform(-2, 1) for s in shapes] for _ in range(steps)]
    kwargs = {"lr": float(rng.uniform(1e-3, 0.1)),
              "betas": (float(rng.uniform(0.5, 0.95)), float(rng.uniform(0.9, 0.9999))),
              "weight_decay": float(rng.choice([0.0, rng.uniform(0, 0.2)])),
              "amsgrad": bool(rng.integers(0, 2))}
    return Case((starts, grads), kwargs)


# -- exercise 1: momentum, the heavy ball ------------------------------------------------


def _valley():
    """The narrow valley f(w) = ½(w₁² + 25 w₂²): curvature 1 along w₁, 25 along w₂."""
    return np.diag([1.0, 25.0]), np.zeros(2)


def momentum_path(student, hidden=False):
    """Exercise 1: ``momentum_path(A, b, w0, lr, beta, steps) -> path`` of shape (steps + 1, d)."""
    A, b = _valley()
    cases = [
        Case((np.array([[2.0]]), np.zeros(1), np.array([3.0]), 0.1, 0.0, 3),
             label="beta = 0 is gradient descent: f = x² from 3, lr = 0.1"),
        Case((np.array([[2.0]]), np.zeros(1), np.array([3.0]), 0.1, 0.5, 4),
             label="f = x² from 3, lr = 0.1, beta = 0.5"),
        Case((A, b, np.array([-4.0, 1.0]), 0.035, 0.9, 25), label="the narrow valley, beta = 0.9"),
        Case((np.array([[3.0, 1.0], [1.0, 2.0]]), np.array([1.0, -1.0]), np.zeros(2), 0.2, 0.7, 10),
             label="a tilted bowl with a linear term b"),
    ]
    cases += random_cases(61, 3, random_quadratic_case)
    if hidden:
        cases += hidden_part("momentum_path")
    check_function(student, _ref_momentum_path, cases, name="momentum_path",
                   forbidden=_references(), keeps_inputs=True,
                   hint="u_t = beta * u_(t-1) + grad f(w_t) with u starting at 0 and grad f(w) = A @ w - b, "
                        "then w_(t+1) = w_t - lr * u_t (the rate multiplies the whole velocity, not just "
                        "the new gradient); the path starts with w0 itself, so it has steps + 1 rows")


# -- exercise 2: Nesterov's look-ahead -----------------------------------------------------


def nesterov_path(student, hidden=False):
    """Exercise 2: ``nesterov_path(A, b, w0, lr, beta, steps) -> path`` of shape (steps + 1, d)."""
    A, b = _valley()
    cases = [
        Case((np.array([[2.0]]), np.zeros(1), np.array([3.0]), 0.1, 0.0, 3),
             label="beta = 0 is gradient descent: f = x² from 3, lr = 0.1"),
        Case((np.array([[2.0]]), np.zeros(1), np.array([3.0]), 0.1, 0.5, 4),
             label="f = x² from 3, lr = 0.1, beta = 0.5"),
        Case((A, b, np.array([-4.0, 1.0]), 0.035, 0.9, 25), label="the narrow valley, beta = 0.9"),
        Case((np.array([[3.0, 1.0], [1.0, 2.0]]), np.array([1.0, -1.0]), np.zeros(2), 0.2, 0.7, 10),
             label="a tilted bowl with a linear term b"),
    ]
    cases += random_cases(62, 3, random_quadratic_case)
    if hidden:
        cases += hidden_part("nesterov_path")
    check_function(student, _ref_nesterov_path, cases, name="nesterov_path",
                   forbidden=_references(), keeps_inputs=True,
                   hint="take the gradient at the look-ahead point w_t - beta * v_(t-1), not at w_t; "
                        "v_t = beta * v_(t-1) + lr * grad f(look-ahead) with v starting at 0 and "
                        "grad f(w) = A @ w - b; then w_(t+1) = w_t - v_t (step from w_t, not from the "
                        "look-ahead point); the path starts with w0, steps + 1 rows")


# -- exercises 3 and 4: AdaGrad and RMSProp as update rules --------------------------------


def adagrad_update(student, hidden=False):
    """Exercise 3: ``adagrad_update(w, grad, sum_sq, lr=0.01, eps=1e-10) -> (w_new, sum_sq_new)``."""
    cases = [
        Case((np.array([1.0, 1.0]), np.array([2.0, 0.0]), np.zeros(2)), {"lr": 0.1},
             label="first step: the gradient's sign times lr, a zero gradient stays put"),
        Case((np.array([1.0, -2.0]), np.array([0.5, 0.5]), np.array([4.0, 0.0])), {"lr": 0.5},
             label="a dense and a sparse coordinate"),
        Case((np.zeros(3), np.array([1e-3, 1.0, 1e3]), np.ones(3)), {"lr": 1.0, "eps": 1e-6},
             label="gradients of very different sizes"),
    ]
    cases += random_cases(63, 4, random_rule_case)
    if hidden:
        cases += hidden_part("adagrad_update")
    check_function(student, _ref_adagrad_update, cases, name="adagrad_update",
                   forbidden=_references(), keeps_inputs=True,
                   hint="add the square of the new gradient to the running sum first (G = sum_sq + grad**2, "
                        "a sum, not a mean), then step w - lr * grad / (sqrt(G) + eps) with eps outside "
                        "the root; return the new w and the new sum, without changing the arrays passed in")


def rmsprop_update(student, hidden=False):
    """Exercise 4: ``rmsprop_update(w, grad, avg_sq, lr=0.01, beta=0.99, eps=1e-8) -> (w_new, avg_sq_new)``."""
    cases = [
        Case((np.array([1.0, 1.0]), np.array([2.0, 0.0]), np.zeros(2)), {"lr": 0.1, "beta": 0.9},
             label="first step from v = 0 with beta = 0.9"),
        Case((np.array([1.0, -2.0]), np.array([0.5, 0.5]), np.array([4.0, 0.0])), {"lr": 0.5},
             label="default beta = 0.99, a large and a zero average"),
        Case((np.zeros(3), np.array([1e-3, 1.0, 1e3]), np.ones(3)), {"lr": 1.0, "beta": 0.5, "eps": 1e-6},
             label="gradients of very different sizes, beta = 0.5"),
    ]
    cases += random_cases(64, 4, lambda rng: random_rule_case(rng, ("lr", "beta", "eps")))
    if hidden:
        cases += hidden_part("rmsprop_update")
    check_function(student, _ref_rmsprop_update, cases, name="rmsprop_update",
                   forbidden=_references(), keeps_inputs=True,
                   hint="the average decays: v = beta * avg_sq + (1 - beta) * grad**2 (beta weighs the "
                        "old average, 1 - beta the new square), then w - lr * grad / (sqrt(v) + eps) with "
                        "eps outside the root; return the new w and the new average")


# -- exercise 5: an Adam class ----

def run_optimizer(optimizer_class, starts, grads, **hyper):
    """Drive ``optimizer_class`` over Parameters: the values after every step, per parameter.

    One ``Parameter`` per array of ``starts``; ``optimizer_class(params, **hyper)``; then for
    each row of ``grads`` (one gradient per parameter, ``None`` for none) set the gradients,
    call ``step()`` and ``zero_grad()``. Returns a tuple with one array of shape
    (steps, *shape) per parameter.
    """
    from dlcourse.nn import Parameter

    params = [Parameter(np.array(s, dtype=np.float64)) for s in starts]
    optimizer = optimizer_class(params, **hyper)
    paths = [[] for _ in params]
    for row in grads:
        if len(row) != len(params):
            raise ValueError(f"each row of grads needs {len(params)} gradients, got {len(row)}")
        for p, g in zip(params, row):
            p.grad = None if g is None else np.array(g, dtype=np.float64)
        optimizer.step()
        optimizer.zero_grad()
        for p, path in zip(params, paths):
            if p.grad is not None and np.any(p.grad):
                raise CheckFailure("after zero_grad() a parameter still has a non-zero gradient")
            path.append(p.data.copy())
    return tuple(np.array(path) for path in paths)



def adam_class(student, hidden=False):
    """Exercise 5: the student's ``Adam`` class, driven by ``adam_trajectory(starts, grads, **hyper)``.

    ``adam_trajectory`` (given in the notebook) builds one ``Parameter`` per start, an
    ``Adam(params, **hyper)``, and for each row of ``grads`` sets the gradients (``None``:
    no gradient this step), calls ``step()`` then ``zero_grad()``; it returns one array of
    shape (steps, *shape) per parameter, the values after every step.
    """
    rng = np.random.default_rng(65)
    starts = [np.array([1.0, -1.0]), np.array([[0.5]])]
    one = [[np.array([0.1, -10.0]), np.array([[2.0]])]]
    cases = [
        Case((starts, one), {"lr": 0.1}, label="one step: bias correction makes it lr * sign(g)"),
        Case((starts, one * 5), {"lr": 0.1, "betas": (0.5, 0.9)}, label="five equal gradients, betas = (0.5, 0.9)"),
        Case((starts, [[rng.normal(size=2), rng.normal(size=(1, 1))] for _ in range(30)]),
             {"lr": 0.05, "weight_decay": 0.1}, label="30 steps with weight_decay = 0.1 (L2, added to the gradient)"),
        Case((starts, [[rng.normal(size=2) * 3 ** -t, rng.normal(size=(1, 1))] for t in range(20)]),
             {"lr": 0.05, "amsgrad": True}, label="shrinking gradients with amsgrad = True"),
        Case((starts, [[np.ones(2), None] if t % 2 else [np.ones(2), np.ones((1, 1))] for t in range(6)]),
             {"lr": 0.1}, label="the second parameter has no gradient every other step (its own step count)"),
    ]
    cases += random_cases(66, 3, random_adam_case)
    if hidden:
        cases += hidden_part("adam_class")
    check_function(student, _ref_adam_trajectory, cases, name="adam_trajectory",
                   forbidden=_references(), rtol=1e-9, atol=1e-12,
                   hint="per parameter: m = beta1 m + (1 - beta1) g, v = beta2 v + (1 - beta2) g², "
                        "with g = grad + weight_decay * param; divide by (1 - beta1**t) and (1 - beta2**t) "
                        "where t counts that parameter's own steps (keep it in its state); with amsgrad use "
                        "the running maximum of v; step lr * m_hat / (sqrt(v_hat) + eps); skip a parameter "
                        "whose grad is None")


# -- exercise 6: the experiment, three optimizers on the chapter-5 network ----------------

#: the three contenders of the race: name -> (class name in dlcourse.optim, keyword arguments)
RACE = {
    "momentum": ("SGD", {"lr": 0.1, "momentum": 0.9}),
    "rmsprop": ("RMSprop", {"lr": 0.01}),
    "adam": ("Adam", {"lr": 0.01}),
}


def _ref_optimizer_race(X, y, threshold, epochs, seed):
    from dlcourse import nn, optim

    result = {}
    for name, (cls, kwargs) in RACE.items():
        model = nn.Sequential(nn.Linear(2, 16, rng=seed), nn.Tanh(), nn.Linear(16, 2, rng=seed + 1))
        loss_fn = nn.CrossEntropyLoss()
        opt = getattr(optim, cls)(model.parameters(), **kwargs)
        reached = -1
        for epoch in range(epochs + 1):
            loss = loss_fn(model(X), y)
            if loss < threshold:
                reached = epoch
                break
            if epoch == epochs:
                break
            opt.zero_grad()
            model.backward(loss_fn.backward())
            opt.step()
        result[name] = reached
    return result


def race_case(rng, threshold=None):
    """Two moons with a random seed, a threshold and a budget of epochs."""
    from dlcourse.datasets import make_moons

    seed = int(rng.integers(0, 1000))
    X, y = make_moons(n_samples=int(rng.integers(60, 150)), noise=0.15, rng=seed)
    threshold = float(rng.uniform(0.15, 0.35)) if threshold is None else threshold
    return Case((X, y, threshold, 300, seed))


def optimizer_race(student, hidden=False):
    """Exercise 6: ``optimizer_race(X, y, threshold, epochs, seed) -> {name: epoch or -1}``."""
    from dlcourse.datasets import make_moons

    X, y = make_moons(n_samples=100, noise=0.15, rng=0)
    cases = [Case((X, y, 0.3, 300, 0), label="two moons (100 points, rng 0), threshold 0.3"),
             Case((X, y, 0.75, 300, 0), label="a threshold reached before any step"),
             Case((X, y, 1e-6, 20, 0), label="a threshold never reached in 20 epochs")]
    if hidden:
        cases += hidden_part("optimizer_race")
    for case in cases:
        got, _ = call_student(student, *case.args, name="optimizer_race", case=case,
                              forbidden=(_ref_optimizer_race,))
        expected = _ref_optimizer_race(*case.args)
        if not isinstance(got, dict) or set(got) != set(expected):
            raise CheckFailure(f"`optimizer_race` should return a dict with the keys {sorted(expected)}, "
                               f"got {got!r:.200}\n  input: {case.describe()}")
        for name, want in expected.items():
            if got[name] != want:
                raise CheckFailure(
                    f"`optimizer_race` says {name} first reached the threshold at epoch {got[name]!r}; "
                    f"the same run gives {want}\n  input: {case.describe()}\n  hint: build a fresh "
                    "network from the same seed for every optimizer; epoch e is the loss after e "
                    "updates (epoch 0 is before any step, so check the loss before stepping); -1 "
                    "when the loss never drops below the threshold within `epochs` updates")
    print(f"\u2713 optimizer_race: all {len(cases)} cases give the reference's epochs")
