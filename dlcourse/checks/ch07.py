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
  η_min + (η_0 − η_min)(1 + cos(π (t − W) / (T − W))) / 2 up to T, then η_min,
* the run of exercises 6-7: gradient descent on ½ Σ a_i w_i² from w = 1,
  w ← w − η_t a ⊙ w, its final loss under each schedule, the smallest chosen.

The scheduler class reaches the check through ``run_scheduler`` and the line
search's losses are this module's functions, so that a grader can rebuild every
call from plain data. A wrong answer that matches a typical mistake is told which.
"""

import copy

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
    "choose_schedule",
    "exponential_decay",
    "gd_losses",
    "inverse_time_decay",
    "line_search_step",
    "step_decay",
    "run_scheduler",
    "warmup_cosine",
]

#: the training run of the last exercise: f(w) = ½ Σ_i a_i w_i², from w_0 = 1
CURVATURES = np.array([1.0, 4.0, 16.0, 60.0])
RUN_STEPS = 100
RUN_LR0 = 0.04
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
        "constant": np.full(RUN_STEPS, RUN_LR0),
        "step": RUN_LR0 * 0.5 ** (t // 25),
        "cosine": 0.001 + (RUN_LR0 - 0.001) * (1 + np.cos(np.pi * t / RUN_STEPS)) / 2,
    }


_SCHEDULER_MODULES = ("base", "closed_form", "cosine", "cyclic", "decay", "multiplicative", "notes",
                      "plateau", "sequential")


def _references():
    return (_ref_step_decay, _ref_exponential_decay, _ref_inverse_time_decay,
            _ref_line_search_step, _ref_gd_losses,
            *library_functions(*(f"dlcourse.optim.lr_scheduler.{name}" for name in _SCHEDULER_MODULES),
                               "dlcourse.optim.line_search"))


# -- the losses the line-search check passes (module functions, so a grader can name them) --


def bowl_weights(n):
    """The curvatures of :func:`bowl` in n dimensions: 1 up to 100, evenly on a log scale."""
    return np.geomspace(1.0, 100.0, n) if n > 1 else np.ones(1)


def bowl(x):
    """f(x) = ½ Σ a_i x_i², a_i from 1 to 100: an ill-conditioned bowl."""
    x = np.asarray(x, dtype=np.float64)
    return float(0.5 * np.sum(bowl_weights(x.size) * x.ravel() ** 2))


def bowl_grad(x):
    x = np.asarray(x, dtype=np.float64)
    return bowl_weights(x.size).reshape(x.shape) * x


def rosenbrock(x):
    """f(x, y) = (1 − x)² + 100 (y − x²)², minimum 0 at (1, 1)."""
    x = np.asarray(x, dtype=np.float64)
    return float((1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2)


def rosenbrock_grad(x):
    x = np.asarray(x, dtype=np.float64)
    return np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)])


def log_cosh(x):
    """f(x) = Σ log cosh(x_i − 1): quadratic near its minimum at 1, linear far from it."""
    x = np.asarray(x, dtype=np.float64)
    return float(np.sum(np.logaddexp(x - 1, 1 - x) - np.log(2)))


def log_cosh_grad(x):
    return np.tanh(np.asarray(x, dtype=np.float64) - 1)


LINE_SEARCH_LOSSES = {"bowl": (bowl, bowl_grad), "rosenbrock": (rosenbrock, rosenbrock_grad),
                      "log_cosh": (log_cosh, log_cosh_grad)}
CANDIDATE_RATES = [1.0, 0.5, 0.3, 0.2, 0.1, 0.05, 0.01, 0.003, 0.001]


def line_search_case(rng):
    """A loss of :data:`LINE_SEARCH_LOSSES`, a random point, its gradient and 4 candidates."""
    name = str(rng.choice(sorted(LINE_SEARCH_LOSSES)))
    loss, grad = LINE_SEARCH_LOSSES[name]
    x = rng.normal(size=2 if name == "rosenbrock" else int(rng.integers(1, 5)))
    lrs = np.sort(rng.choice(CANDIDATE_RATES, size=4, replace=False))[::-1]
    return Case((x, grad(x), loss, lrs.tolist()), label=f"{name} at a random point")


# -- naming a typical mistake ------------------------------------------------------------


def _same(got, want):
    """True when ``got`` has the values of ``want`` (arrays, numbers, or tuples of them)."""
    if isinstance(want, tuple):
        return (isinstance(got, (tuple, list)) and len(got) == len(want)
                and all(_same(g, w) for g, w in zip(got, want)))
    try:
        got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    with np.errstate(all="ignore"):
        return got.shape == want.shape and bool(np.allclose(got, want, rtol=1e-7, atol=1e-10, equal_nan=True))


def _relatively_same(got, want):
    """``got`` equals the number ``want`` to 1e-9 relative, however small both are."""
    try:
        return bool(np.isclose(float(got), float(want), rtol=1e-9, atol=0.0))
    except (TypeError, ValueError):
        return False


def _checked(student, reference, cases, mistakes, **options):
    """:func:`check_function`, and on a wrong value the typical mistake the answer matches.

    ``mistakes`` lists ``(wrong_version, what_it_means)``; the answer to the case that
    failed is compared with each wrong version on the same input, and a match adds its
    explanation. The student's function is called exactly as often as without it: once
    per case, in order.
    """
    __tracebackhide__ = True
    answers = []  # (inputs, answer) of each call, None for a call that raised

    def remembered(*args, **kwargs):
        answers.append(None)
        inputs = copy.deepcopy((args, kwargs))
        got = student(*args, **kwargs)
        answers[-1] = (inputs, got)
        return got

    try:
        return check_function(remembered, reference, cases, **options)
    except CheckFailure as failure:
        index = next((i for i, case in enumerate(cases) if case is getattr(failure, "case", None)), None)
        if index is None or index >= len(answers) or answers[index] is None:
            raise
        (args, kwargs), got = answers[index]
        for wrong, meaning in mistakes:
            with np.errstate(all="ignore"):
                try:
                    typical = wrong(*copy.deepcopy(args), **copy.deepcopy(kwargs))
                except Exception:  # a wrong version undefined on this input
                    continue
            if _same(got, typical):
                raise CheckFailure(f"{failure}\n  your answer matches a typical mistake: {meaning}") from None
        raise


STEP_DECAY_MISTAKES = [
    (lambda t, lr0, drop, every: lr0 * drop ** (np.asarray(t) / every),
     "the exponent is t / every, a fraction; it must be the whole number of completed periods t // every"),
    (lambda t, lr0, drop, every: lr0 * drop ** ((np.asarray(t) + 1) // every),
     "the periods are counted from t = 1; the first drop is at t = every, so use t // every"),
    (lambda t, lr0, drop, every: lr0 * drop * (np.asarray(t) // every),
     "drop is multiplied by the number of periods; it must be raised to that power"),
]
EXPONENTIAL_MISTAKES = [
    (lambda t, lr0, k: lr0 * np.exp(k * np.asarray(t, dtype=np.float64)),
     "the exponent has lost its minus sign: the rate must decay, e^(−k t)"),
    (lambda t, lr0, k: lr0 * (1 - k) ** np.asarray(t, dtype=np.float64),
     "(1 − k)^t is a step-by-step factor, close to but not e^(−k t): use np.exp(-k * t)"),
    (lambda t, lr0, k: np.exp(-k * np.asarray(t, dtype=np.float64)),
     "η_0 is missing: the schedule starts at lr0 and multiplies it by e^(−k t)"),
]
INVERSE_TIME_MISTAKES = [
    (lambda t, lr0, k: lr0 / (1 + np.asarray(t, dtype=np.float64)),
     "k is missing: the denominator is 1 + k·t"),
    (lambda t, lr0, k: lr0 * (1 - k * np.asarray(t, dtype=np.float64)),
     "that is a linear decay η_0 (1 − k t); 1/t decay divides: η_0 / (1 + k t)"),
    (lambda t, lr0, k: lr0 / (1 + k * (np.asarray(t, dtype=np.float64) + 1)),
     "t is counted from 1; at t = 0 the rate must be η_0"),
]


def _line_search_variant(x, grad, loss, lrs, pick):
    x, grad = np.asarray(x, dtype=np.float64), np.asarray(grad, dtype=np.float64)
    losses = np.array([loss(x - lr * grad) for lr in lrs])
    best = float(lrs[pick(losses)])
    return x - best * grad, best


LINE_SEARCH_MISTAKES = [
    (lambda *a: _line_search_variant(*a, pick=lambda v: int(np.argmax(v))),
     "it keeps the candidate of the LARGEST loss; keep the smallest"),
    (lambda *a: _line_search_variant(*a, pick=lambda v: len(v) - 1 - int(np.argmin(v[::-1]))),
     "on a tie it keeps the last of the equal candidates; keep the first, as np.argmin does"),
    (lambda *a: _ref_line_search_step(*a)[::-1],
     "the two values are returned in the other order: return (new_x, best_lr)"),
    (lambda *a: _line_search_variant(*a, pick=lambda v: 0),
     "it always takes the first candidate; try every candidate and compare their losses"),
]


def _gd_variant(rates, curvatures, half=0.5, gradient_scale=True):
    a = np.asarray(curvatures, dtype=np.float64)
    w = np.ones_like(a)
    losses = [half * np.sum(a * w ** 2)]
    for lr in rates:
        w = w - lr * (a * w if gradient_scale else w)
        losses.append(half * np.sum(a * w ** 2))
    return np.array(losses)


GD_LOSSES_MISTAKES = [
    (lambda rates, a: _gd_variant(rates, a)[1:],
     "the loss before the first step is missing: entry 0 is f(w_0), so the result has len(rates) + 1 entries"),
    (lambda rates, a: _gd_variant(rates, a, half=1.0),
     "the ½ of f(w) = ½ Σ a_i w_i² is missing"),
    (lambda rates, a: _gd_variant(rates, a, gradient_scale=False),
     "the step uses w as the gradient; the gradient of ½ Σ a_i w_i² is a ⊙ w"),
]


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
    _checked(student, _ref_step_decay, cases, STEP_DECAY_MISTAKES, name="step_decay", forbidden=_references(),
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
    _checked(student, _ref_exponential_decay, cases, EXPONENTIAL_MISTAKES, name="exponential_decay",
                   forbidden=_references(),
                   hint="η_0 · exp(−k · t): the minus sign and the product k·t are both inside "
                        "the exponent, and η_0 multiplies it")


def inverse_time_decay(student, hidden=False):
    """``inverse_time_decay(t, lr0, k)``: η_0 / (1 + k t)."""
    cases = [
        Case((10, 0.1, 0.01), label="the notes' example, t = 10 (notes: 0.0909)"),
        Case((10, 0.1, 0.1), label="k = 0.1, t = 10: half the start"),
        Case((T_ALL, 0.5, 0.2), label="t = 0..59"),
    ]
    if hidden:
        cases += hidden_part("inverse_time_decay")
    _checked(student, _ref_inverse_time_decay, cases, INVERSE_TIME_MISTAKES, name="inverse_time_decay",
                   forbidden=_references(),
                   hint="η_0 / (1 + k·t): the 1 keeps η_0 at t = 0, and k multiplies t")


# -- exercise 5: a scheduler class -------------------------------------------------


def run_scheduler(scheduler_class, lrs, warmup, total, eta_min, steps):
    """Drive ``scheduler_class`` over an SGD with one parameter group per rate of ``lrs``.

    Builds the optimizer, then ``scheduler_class(optimizer, warmup, total, eta_min)``; row t
    of each result is read after t calls of ``step()``. Returns ``(last_lrs, group_lrs)``, two
    arrays of shape (steps, len(lrs)): what ``get_last_lr()`` returned and each group's ``"lr"``.
    """
    from dlcourse.nn import Parameter
    from dlcourse.optim import SGD

    optimizer = SGD([{"params": [Parameter(np.zeros(2))], "lr": float(lr)} for lr in lrs], lr=float(lrs[0]))
    scheduler = scheduler_class(optimizer, warmup, total, eta_min)
    last, in_groups = [], []
    for t in range(steps):
        if t > 0:
            scheduler.step()
        last.append(np.asarray(scheduler.get_last_lr(), dtype=np.float64))
        in_groups.append([group["lr"] for group in optimizer.param_groups])
    return np.array(last), np.array(in_groups, dtype=np.float64)


def _ref_warmup_cosine_trace(lrs, warmup, total, eta_min, steps):
    rates = np.array([[warmup_cosine_rate(t, lr, warmup, total, eta_min) for lr in lrs]
                      for t in range(steps)])
    return rates, rates.copy()


def _warmup_variant(lrs, warmup, total, eta_min, steps, variant):
    def rate(t, lr0):
        if variant == "unset" and t == 0:
            return lr0
        if t < warmup:
            return lr0 * (t if variant == "from zero" else t + 1) / warmup
        if t > total and variant != "no floor":
            return eta_min
        span = total if variant == "whole span" else total - warmup
        return eta_min + (lr0 - eta_min) * (1 + np.cos(np.pi * (t - warmup) / span)) / 2
    rates = np.array([[rate(t, lr) for lr in lrs] for t in range(steps)])
    return rates, rates.copy()


WARMUP_MISTAKES = [
    (lambda *a: _warmup_variant(*a, "from zero"),
     "the warm-up starts at 0: the rate of step t < warmup is η_0 (t + 1) / warmup, so step 0 already moves"),
    (lambda *a: _warmup_variant(*a, "whole span"),
     "the cosine is spread over total steps; it runs from t = warmup to t = total, over total − warmup steps"),
    (lambda *a: _warmup_variant(*a, "no floor"),
     "after t = total the cosine climbs again; from there the rate stays at eta_min"),
    (lambda *a: _warmup_variant(*a, "unset"),
     "the constructor leaves the groups' 'lr' at η_0; it must already set the rate of t = 0"),
]


def warmup_cosine(student, hidden=False):
    """``warmup_cosine_trace(lrs, warmup, total, eta_min, steps)``: the student's
    ``WarmupCosine`` class driven by :func:`run_scheduler` (given in the notebook)."""
    cases = [
        Case(([0.1], 10, 200, 0.0, 12), label="the warm-up: 10 steps up to 0.1"),
        Case(([0.1, 0.05], 10, 200, 0.0, 300), label="two groups, warm-up 10, cosine to step 200, then flat"),
        Case(([1.0, 0.3], 1, 50, 0.01, 120), label="warmup = 1 (no ramp), eta_min = 0.01"),
        Case(([0.5], 5, 5 + 40, 0.002, 60), label="eta_min = 0.002 after the cosine"),
    ]
    if hidden:
        cases += hidden_part("warmup_cosine")
    _checked(student, _ref_warmup_cosine_trace, cases, WARMUP_MISTAKES, name="warmup_cosine_trace",
                   forbidden=_references(),
                   hint="value 1 is get_last_lr() and value 2 each group's 'lr', row t after t calls of "
                        "step(); the constructor must already set the rate of t = 0, η_0 / warmup; the "
                        "warm-up rate of step t is η_0 (t + 1) / warmup, the cosine starts at t = warmup "
                        "with η_0 and ends at t = total with eta_min, after which the rate stays eta_min; "
                        "η_0 is each group's own 'lr' at construction")


# -- exercise 4: line search ---------------------------------------------------------


def line_search_step(student, hidden=False):
    """``line_search_step(x, grad, loss, lrs) -> (new_x, best_lr)``."""
    x = np.array([1.0, 1.0])
    cases = [
        Case((x, bowl_grad(x), bowl, [0.001, 0.1, 0.01]), label="the bowl ½(x² + 100y²) from (1, 1)"),
        Case((x, bowl_grad(x), bowl, [0.01, 0.01, 0.001]), label="a tie: keep the first of equal losses"),
        Case((np.array([1.0]), np.array([0.0]), log_cosh, [0.5, 0.2]),
             label="zero gradient: every candidate ties"),
        Case((np.array([-1.0, 1.0]), rosenbrock_grad(np.array([-1.0, 1.0])), rosenbrock,
              [0.01, 0.001, 0.0001]), label="Rosenbrock from (-1, 1): the largest rate overshoots"),
    ] + random_cases(7, 4, line_search_case)
    if hidden:
        cases += hidden_part("line_search_step")
    _checked(student, _ref_line_search_step, cases, LINE_SEARCH_MISTAKES, name="line_search_step",
                   forbidden=_references(), keeps_inputs=True,
                   hint="try every candidate η, evaluate loss(x − η·grad), keep the smallest "
                        "loss (the first one on a tie, as np.argmin does), and return the new "
                        "point and the η chosen; do not change x in place")


# -- exercises 6-7: choosing a schedule-----------------------------------------------


def gd_losses(student, hidden=False):
    """``gd_losses(rates, curvatures)``: the loss before and after each step, length len(rates) + 1."""
    schedules = run_schedules()
    cases = [Case((schedules[name], CURVATURES), label=f"the {name} schedule of the run")
             for name in SCHEDULE_NAMES]
    cases.append(Case((np.array([0.5, 0.25]), np.array([2.0])), label="two steps, one weight"))
    if hidden:
        cases += hidden_part("gd_losses")
    _checked(student, _ref_gd_losses, cases, GD_LOSSES_MISTAKES, name="gd_losses", forbidden=_references(),
                   hint="start from w = 1 for every weight, record f(w) = ½ Σ a_i w_i² first, "
                        "then after each step w ← w − η_t a w; the result has len(rates) + 1 "
                        "entries")


def _ref_choose_schedule(schedules, curvatures=CURVATURES):
    finals = {name: float(_ref_gd_losses(rates, curvatures)[-1]) for name, rates in schedules.items()}
    return finals, min(finals, key=finals.get)


def choose_schedule(student, hidden=False):
    """``choose_schedule(schedules, curvatures) -> (final_losses, best)``: the final loss of
    each schedule of the dict and the name of the smallest. The check recomputes them."""
    cases = [Case((run_schedules(), CURVATURES), label=f"the run of the chapter: {RUN_STEPS} steps "
                                                        f"from η_0 = {RUN_LR0}")]
    t = np.arange(40)
    cases.append(Case(({"slow": np.full(40, 0.01), "fast": np.full(40, 0.2), "decay": 0.2 / (1 + 0.5 * t)},
                       np.array([1.0, 5.0])), label="three schedules, curvatures 1 and 5"))
    if hidden:
        cases += hidden_part("choose_schedule")
    for case in cases:
        got, noise = call_student(student, *case.args, name="choose_schedule", case=case,
                                  forbidden=_references())
        finals, best = _ref_choose_schedule(*case.args)
        if not isinstance(got, (tuple, list)) or len(got) != 2 or not isinstance(got[0], dict):
            raise CheckFailure("`choose_schedule` should return a tuple (final_losses, best): a dict "
                               f"{{name: final loss}} and a name, got {got!r}"
                               f"\n  input: {case.describe()}")
        losses, chosen = got
        if set(losses) != set(finals):
            raise CheckFailure(f"final_losses must have one entry per schedule, the keys {sorted(finals)}, "
                               f"got the keys {sorted(losses)}\n  input: {case.describe()}")
        for name in finals:
            curve = _ref_gd_losses(case.args[0][name], *case.args[1:])
            slip = None
            if _relatively_same(losses[name], curve.min()) and not _relatively_same(curve.min(), curve[-1]):
                slip = "that is the lowest loss along the run, not the loss after the last step"
            elif _relatively_same(losses[name], curve[-2]) and not _relatively_same(curve[-2], curve[-1]):
                slip = "that is the loss before the last step: take the last entry of gd_losses"
            if slip:
                raise CheckFailure(f"final_losses[{name!r}] = {losses[name]:.6g}, expected {finals[name]:.6g}: "
                                   f"{slip}\n  input: {case.describe()}")
            expect_close(losses[name], finals[name], f"final_losses[{name!r}]", case, rtol=1e-6,
                         atol=0.0, noise=noise,
                         hint="the final loss is the last entry of gd_losses(rates, curvatures), after "
                              "every step of the schedule; if your gd_losses passed its check, use it")
        if chosen != best and chosen == max(finals, key=finals.get):
            raise CheckFailure(f"best = {chosen!r} has the LARGEST final loss ({finals[chosen]:.4g}); the best "
                               f"schedule is the one of the smallest, {best!r} ({finals[best]:.4g})"
                               f"\n  input: {case.describe()}")
        if chosen != best:
            raise CheckFailure(f"best = {chosen!r}, but the smallest final loss is {best!r} "
                               f"({finals[best]:.4g}); pick the schedule your numbers favour"
                               f"\n  input: {case.describe()}")
    print(f"\u2713 choose_schedule: all {len(cases)} runs recomputed and agree")
