"""Checks for chapter 7, *Learning rates*: three closed-form schedules, a
warm-up-then-cosine scheduler class, line search as an optimizer step, and a
schedule chosen for a training run on the numbers the student computes.

Every check takes the student's answer and ``hidden=False``; the hidden
variant (run by the grader) adds the instructor's cases from
``solutions/ch07-learning-rates/hidden_cases.py``. The references follow the
notes:

* step decay η_t = η_0 · drop^⌊t / every⌋,
* exponential decay η_t = η_0 · e^(−k t),
* 1/t decay η_t = η_0 / (1 + k t),
* line search: η* = argmin over the candidates of f(x − η g), ties to the first,
* warm-up then cosine: η_t = η_0 (t + 1) / W for t < W, then
  η_min + (η_0 − η_min)(1 + cos(π (t − W) / (T − W))) / 2 up to T, then η_min.
"""

import numpy as np

from dlcourse.checks.core import (
    Case,
    CheckFailure,
    call_student,
    check_function,
    expect_close,
    hidden as hidden_part,
    library_functions,
    random_cases,
)

__all__ = [
    "chosen_schedule",
    "exponential_decay",
    "gd_losses",
    "inverse_time_decay",
    "line_search_step",
    "step_decay",
    "warmup_cosine",
]

#: the training run of the last exercise: f(w) = ½ Σ_i a_i w_i², from w_0 = 1
CURVATURES = np.array([1.0, 4.0, 16.0, 60.0])
RUN_STEPS = 100
SCHEDULE_NAMES = ("constant", "step", "cosine")


# -- reference computations -------------------------------------------------------


def _ref_step_decay(t, lr0, drop, every):
    return lr0 * drop ** (np.asarray(t) // every)


def _ref_exponential_decay(t, lr0, k):
    return lr0 * np.exp(-k * np.asarray(t, dtype=np.float64))


def _ref_inverse_time_decay(t, lr0, k):
    return lr0 / (1 + k * np.asarray(t, dtype=np.float64))


def _ref_line_search_step(x, grad, loss, lrs):
    x, grad = np.asarray(x, dtype=np.float64), np.asarray(grad, dtype=np.float64)
    losses = [loss(x - lr * grad) for lr in lrs]
    best = float(lrs[int(np.argmin(losses))])
    return x - best * grad, best


def warmup_cosine_rate(t, lr0, warmup, total, eta_min=0.0):
    """The warm-up-then-cosine rate at step t (a scalar)."""
    if t < warmup:
        return lr0 * (t + 1) / warmup
    if t > total:
        return eta_min
    return eta_min + (lr0 - eta_min) * (1 + np.cos(np.pi * (t - warmup) / (total - warmup))) / 2


def _ref_gd_losses(rates, curvatures=CURVATURES):
    a = np.asarray(curvatures, dtype=np.float64)
    w = np.ones_like(a)
    losses = np.empty(len(rates) + 1)
    losses[0] = 0.5 * np.sum(a * w ** 2)
    for t, lr in enumerate(rates):
        w = w - lr * a * w
        losses[t + 1] = 0.5 * np.sum(a * w ** 2)
    return losses


def run_schedules():
    """The three rate sequences of the last exercise (RUN_STEPS steps each)."""
    t = np.arange(RUN_STEPS)
    return {
        "constant": np.full(RUN_STEPS, 0.03),
        "step": 0.033 * 0.5 ** (t // 25),
        "cosine": 0.001 + (0.033 - 0.001) * (1 + np.cos(np.pi * t / RUN_STEPS)) / 2,
    }


def _references():
    return (_ref_step_decay, _ref_exponential_decay, _ref_inverse_time_decay,
            _ref_line_search_step, _ref_gd_losses,
            *library_functions("dlcourse.optim.lr_scheduler.closed_form",
                               "dlcourse.optim.line_search"))


class Quadratic:
    """f(x) = ½ Σ a_i x_i² − Σ b_i x_i, shown by its coefficients in messages."""

    def __init__(self, a, b):
        self.a, self.b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)

    def __call__(self, x):
        x = np.asarray(x, dtype=np.float64)
        return float(0.5 * np.sum(self.a * x ** 2) - np.sum(self.b * x))

    def grad(self, x):
        return self.a * np.asarray(x, dtype=np.float64) - self.b

    def __repr__(self):
        return f"Quadratic(a={np.round(self.a, 3).tolist()}, b={np.round(self.b, 3).tolist()})"


def quadratic_case(rng):
    """A random quadratic, a point, its gradient and a list of candidate rates."""
    f = Quadratic(rng.uniform(0.5, 10, size=3), rng.normal(size=3))
    x = rng.normal(size=3)
    lrs = np.sort(rng.choice([1.0, 0.5, 0.3, 0.2, 0.1, 0.05, 0.01], size=4, replace=False))[::-1]
    return (x, f.grad(x), f, lrs.tolist())


# -- exercises 1-3: closed forms --------------------------------------------------

T_ALL = np.arange(0, 60)


def step_decay(student, hidden=False):
    """``step_decay(t, lr0, drop, every)``: η_0 · drop^⌊t / every⌋, for int or array t."""
    cases = [
        Case((T_ALL, 0.1, 0.5, 5), label="the notes' halve every 5 epochs, t = 0..59"),
        Case((10, 0.1, 0.5, 5), label="t = 10 as a plain int (notes: 0.025)"),
        Case((np.array([0, 4, 5, 9, 10]), 1.0, 0.1, 5), label="each side of a drop"),
    ]
    if hidden:
        cases += hidden_part("step_decay")
    check_function(student, _ref_step_decay, cases, name="step_decay", forbidden=_references(),
                   hint="the rate drops at t = every, 2·every, ...: the exponent is the whole "
                        "number of completed periods t // every (not t / every, not counting "
                        "from 1)")


def exponential_decay(student, hidden=False):
    """``exponential_decay(t, lr0, k)``: η_0 · e^(−k t)."""
    cases = [
        Case((10, 0.1, 0.01), label="the notes' example, t = 10 (notes: 0.0905)"),
        Case((T_ALL, 0.1, 0.05), label="t = 0..59"),
        Case((np.array([0.0, 1.0, 100.0]), 2.0, 0.3), label="float t"),
    ]
    if hidden:
        cases += hidden_part("exponential_decay")
    check_function(student, _ref_exponential_decay, cases, name="exponential_decay",
                   forbidden=_references(),
                   hint="η_0 · exp(−k · t): the minus sign and the product k·t are both inside "
                        "the exponent, and η_0 multiplies it")


def inverse_time_decay(student, hidden=False):
    """``inverse_time_decay(t, lr0, k)``: η_0 / (1 + k t)."""
    cases = [
        Case((10, 0.1, 0.01), label="the notes' example, t = 10 (notes: 0.0909)"),
        Case((10, 0.1, 0.1), label="k = 0.1, t = 10 (notes: 0.05)"),
        Case((T_ALL, 0.5, 0.2), label="t = 0..59"),
    ]
    if hidden:
        cases += hidden_part("inverse_time_decay")
    check_function(student, _ref_inverse_time_decay, cases, name="inverse_time_decay",
                   forbidden=_references(),
                   hint="η_0 / (1 + k·t): the 1 keeps η_0 at t = 0, and k multiplies t")


# -- exercise 4: a scheduler class -------------------------------------------------


def _two_group_optimizer(lrs):
    from dlcourse.nn import Parameter
    from dlcourse.optim import SGD

    return SGD([{"params": [Parameter(np.zeros(2))], "lr": lr} for lr in lrs], lr=lrs[0])


def _one_run(student_class, config, steps):
    lrs, warmup, total, eta_min = config["lrs"], config["warmup"], config["total"], config["eta_min"]
    label = (f"groups with lr {lrs}, warmup={warmup}, total={total}, eta_min={eta_min}, "
             f"{steps} steps")
    case = Case(label=label)
    optimizer = _two_group_optimizer(lrs)
    scheduler, noise = call_student(student_class, optimizer, warmup, total, eta_min,
                                    name="WarmupCosine", case=case, forbidden=_references())
    for t in range(steps):
        expected = [warmup_cosine_rate(t, lr, warmup, total, eta_min) for lr in lrs]
        if t > 0:
            _, noise = call_student(scheduler.step, name="WarmupCosine.step", case=case,
                                    forbidden=_references())
        got, noise = call_student(scheduler.get_last_lr, name="WarmupCosine.get_last_lr",
                                  case=case, forbidden=_references())
        hint = ("get_last_lr() must return one rate per parameter group, after t calls of "
                "step(); the warm-up rate of step t is η_0 (t + 1) / warmup, so the first rate "
                "is η_0 / warmup, and the cosine starts at t = warmup with η_0")
        expect_close(np.asarray(got, dtype=np.float64), expected,
                     f"get_last_lr() after {t} step() calls", case, hint=hint, noise=noise)
        in_groups = [g["lr"] for g in optimizer.param_groups]
        expect_close(in_groups, expected, f"the groups' 'lr' after {t} step() calls", case,
                     hint="step() (and the constructor, for t = 0) must write the new rate "
                          "into every group's 'lr', so the optimizer uses it")


def warmup_cosine(student_class, hidden=False):
    """``WarmupCosine(optimizer, warmup, total, eta_min=0.0)`` with ``step()`` and
    ``get_last_lr()``; each group's η_0 is its ``lr`` at construction."""
    configs = [
        {"lrs": [0.1, 0.05], "warmup": 10, "total": 200, "eta_min": 0.0, "steps": 300},
        {"lrs": [1.0, 0.3], "warmup": 1, "total": 50, "eta_min": 0.01, "steps": 120},
    ]
    if hidden:
        configs += hidden_part("warmup_cosine")
    for config in configs:
        _one_run(student_class, config, config["steps"])
    print(f"\u2713 WarmupCosine: {len(configs)} runs match step by step")
    return True


# -- exercise 5: line search ---------------------------------------------------------


def line_search_step(student, hidden=False):
    """``line_search_step(x, grad, loss, lrs) -> (new_x, best_lr)``."""
    f = Quadratic([1.0, 10.0], [0.0, 0.0])
    x = np.array([1.0, 1.0])
    cases = [
        Case((x, f.grad(x), f, [1.0, 0.1, 0.01]), label="ill-conditioned bowl, start (1, 1)"),
        Case((x, f.grad(x), f, [0.1, 0.1, 0.01]), label="a tie: keep the first of equal losses"),
        Case((np.array([2.0]), np.array([0.0]), Quadratic([1.0], [0.0]), [0.5, 0.2]),
             label="zero gradient: every candidate ties"),
    ] + random_cases(7, 4, quadratic_case)
    if hidden:
        cases += hidden_part("line_search_step")
    check_function(student, _ref_line_search_step, cases, name="line_search_step",
                   forbidden=_references(), keeps_inputs=True,
                   hint="try every candidate η, evaluate loss(x − η·grad), keep the smallest "
                        "loss (the first one on a tie, as np.argmin does), and return the new "
                        "point and the η chosen; do not change x in place")


# -- exercise 6: choosing a schedule --------------------------------------------------


def gd_losses(student, hidden=False):
    """``gd_losses(rates, curvatures)``: the loss before and after each step, length len(rates) + 1."""
    schedules = run_schedules()
    cases = [Case((schedules[name], CURVATURES), label=f"the {name} schedule of the run")
             for name in SCHEDULE_NAMES]
    cases.append(Case((np.array([0.5, 0.25]), np.array([2.0])), label="two steps, one weight"))
    if hidden:
        cases += hidden_part("gd_losses")
    check_function(student, _ref_gd_losses, cases, name="gd_losses", forbidden=_references(),
                   hint="start from w = 1 for every weight, record f(w) = ½ Σ a_i w_i² first, "
                        "then after each step w ← w − η_t a w; the result has len(rates) + 1 "
                        "entries")


def chosen_schedule(final_losses, best, hidden=False):
    """The student's final loss of each schedule (a dict) and the name of the best one.

    The check recomputes every number from the run itself.
    """
    schedules = run_schedules()
    if not isinstance(final_losses, dict) or set(final_losses) != set(SCHEDULE_NAMES):
        raise CheckFailure(f"final_losses must be a dict with the keys {list(SCHEDULE_NAMES)}, "
                           f"got {final_losses!r}")
    expected = {name: float(_ref_gd_losses(rates)[-1]) for name, rates in schedules.items()}
    for name in SCHEDULE_NAMES:
        expect_close(final_losses[name], expected[name],
                     f"final_losses[{name!r}]", Case(label=f"the {name} schedule, {RUN_STEPS} steps"),
                     rtol=1e-6, atol=1e-12,
                     hint="the final loss is the last entry of gd_losses(rates, CURVATURES), "
                          "after all the steps")
    winner = min(expected, key=expected.get)
    if best != winner:
        raise CheckFailure(f"best = {best!r}, but the smallest final loss is {winner!r} "
                           f"({expected[winner]:.3g}); pick the schedule your numbers favour")
    if hidden:
        hidden_part("chosen_schedule")
    print(f"\u2713 chosen_schedule: {best} gives the smallest final loss")
    return True
