"""The chapter 7 checks accept correct schedules, line searches and experiments written in
different ways and reject the usual wrong ones with a message that says what went wrong."""

import math

import numpy as np
import pytest

from dlcourse.checks import ch07, core
from dlcourse.optim import lr_scheduler
from tests.check_tools import fails, judged_outside, stub
from tests.conftest import ROOT
from tests.hidden_case_tools import hidden_labels, leaks

CHAPTER = "ch07-learning-rates"
HIDDEN = ROOT / "solutions" / CHAPTER / "hidden_cases.py"


# -- closed forms ------------------------------------------------------------------------------


def step_solution(t, lr0, drop, every):
    return lr0 * drop ** (np.asarray(t) // every)


def step_floor(t, lr0, drop, every):
    return lr0 * np.power(drop, np.floor(np.asarray(t, dtype=float) / every))


def step_loop(t, lr0, drop, every):
    ts = np.atleast_1d(t)
    out = np.empty(ts.shape)
    for i, ti in enumerate(ts.flat):
        rate = lr0
        for _ in range(int(ti) // every):
            rate *= drop
        out.flat[i] = rate
    return out.reshape(np.shape(t))


def exp_solution(t, lr0, k):
    return lr0 * np.exp(-k * np.asarray(t, dtype=float))


def exp_as_power(t, lr0, k):
    return lr0 * math.e ** (-k * np.asarray(t))


def exp_vectorised_ufunc(t, lr0, k):
    return np.multiply(lr0, np.exp(np.negative(np.multiply(k, t))))


def exp_loop(t, lr0, k):
    return np.array([lr0 * math.exp(-k * float(ti)) for ti in np.ravel(t)]).reshape(np.shape(t))


def inverse_solution(t, lr0, k):
    return lr0 / (1 + k * np.asarray(t, dtype=float))


def inverse_reciprocal(t, lr0, k):
    return lr0 * np.reciprocal(1.0 + np.multiply(k, t))


def inverse_loop(t, lr0, k):
    return np.array([lr0 / (1 + k * float(ti)) for ti in np.ravel(t)]).reshape(np.shape(t))


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("check, students", [
    (ch07.step_decay, [step_solution, step_floor, step_loop]),
    (ch07.exponential_decay, [exp_solution, exp_as_power, exp_vectorised_ufunc, exp_loop]),
    (ch07.inverse_time_decay, [inverse_solution, inverse_reciprocal, inverse_loop]),
])
def test_closed_forms_written_in_other_styles_pass(check, students, hidden, capsys):
    for student in students:
        check(student, hidden=hidden)
    assert capsys.readouterr().out.count("\u2713") == len(students)


def test_the_references_equal_the_library_and_the_notes():
    t = np.arange(60)
    assert np.allclose(ch07._ref_step_decay(t, 0.1, 0.5, 5), lr_scheduler.step_lr(t, 0.1, 5, 0.5))
    assert np.allclose(ch07._ref_exponential_decay(t, 0.1, 0.01), lr_scheduler.exponential_decay_lr(t, 0.1, 0.01))
    assert np.allclose(ch07._ref_inverse_time_decay(t, 0.1, 0.01), lr_scheduler.inverse_time_lr(t, 0.1, 0.01))
    assert round(float(ch07._ref_exponential_decay(10, 0.1, 0.01)), 4) == 0.0905
    assert round(float(ch07._ref_inverse_time_decay(10, 0.1, 0.01)), 4) == 0.0909
    assert ch07._ref_step_decay(5, 0.1, 0.5, 5) == 0.05 and ch07._ref_step_decay(10, 0.1, 0.5, 5) == 0.025


@pytest.mark.parametrize("check, student, fragments", [
    (ch07.step_decay, lambda t, lr0, drop, every: lr0 * drop ** (np.asarray(t) / every), ["a fraction", "t // every"]),
    (ch07.step_decay, lambda t, lr0, drop, every: lr0 * drop ** ((np.asarray(t) + 1) // every), ["counted from t = 1"]),
    (ch07.step_decay, lambda t, lr0, drop, every: lr0 * drop * (np.asarray(t) // every), ["raised to that power"]),
    (ch07.exponential_decay, lambda t, lr0, k: lr0 * np.exp(k * np.asarray(t)), ["lost its minus sign"]),
    (ch07.exponential_decay, lambda t, lr0, k: lr0 * (1 - k) ** np.asarray(t), ["(1 − k)^t"]),
    (ch07.exponential_decay, lambda t, lr0, k: np.exp(-k * np.asarray(t)), ["η_0 is missing"]),
    (ch07.inverse_time_decay, lambda t, lr0, k: lr0 / (1 + np.asarray(t)), ["k is missing"]),
    (ch07.inverse_time_decay, lambda t, lr0, k: lr0 * (1 - k * np.asarray(t)), ["linear decay"]),
    (ch07.inverse_time_decay, lambda t, lr0, k: lr0 / (1 + k * (np.asarray(t) + 1)), ["counted from 1"]),
])
def test_typical_closed_form_mistakes_are_named(check, student, fragments):
    message = fails(check, student, fragments=fragments)
    assert "expected" in message and "got" in message and "input" in message


def test_an_unnamed_wrong_closed_form_still_fails_with_the_general_hint():
    message = fails(ch07.step_decay, lambda t, lr0, drop, every: 0 * np.asarray(t) + lr0,
                    fragments=["the exponent is the whole number of completed periods"])
    assert "typical mistake" not in message


def test_calling_the_library_closed_form_fails():
    fails(ch07.exponential_decay, lambda t, lr0, k: lr_scheduler.exponential_decay_lr(t, lr0, k),
          fragments=["reference implementation"])


# -- the scheduler class -------------------------------------------------------------------------


class WarmupCosineSolution:
    def __init__(self, optimizer, warmup, total, eta_min=0.0):
        self.optimizer, self.warmup, self.total, self.eta_min = optimizer, warmup, total, eta_min
        self.base = [g["lr"] for g in optimizer.param_groups]
        self.t = 0
        self._write()

    def _rate(self, lr0):
        if self.t < self.warmup:
            return lr0 * (self.t + 1) / self.warmup
        if self.t > self.total:
            return self.eta_min
        x = (self.t - self.warmup) / (self.total - self.warmup)
        return self.eta_min + (lr0 - self.eta_min) * (1 + np.cos(np.pi * x)) / 2

    def _write(self):
        for g, lr0 in zip(self.optimizer.param_groups, self.base):
            g["lr"] = self._rate(lr0)

    def step(self):
        self.t += 1
        self._write()

    def get_last_lr(self):
        return [g["lr"] for g in self.optimizer.param_groups]


class WarmupCosineTable:
    """The whole schedule computed up front, one array per group."""

    def __init__(self, optimizer, warmup, total, eta_min=0.0):
        self.groups = optimizer.param_groups
        t = np.arange(total + 1)
        ramp = (t + 1) / warmup
        cosine = (1 + np.cos(np.pi * np.clip(t - warmup, 0, None) / (total - warmup))) / 2
        self.tables = [np.where(t < warmup, g["lr"] * ramp, eta_min + (g["lr"] - eta_min) * cosine)
                       for g in self.groups]
        self.eta_min, self.t = eta_min, 0
        self.step(advance=False)

    def step(self, advance=True):
        self.t += advance
        for g, table in zip(self.groups, self.tables):
            g["lr"] = float(table[self.t]) if self.t < table.size else self.eta_min

    def get_last_lr(self):
        return [g["lr"] for g in self.groups]


class WarmupCosineClosedForm:
    """A rate function of the step count; get_last_lr keeps its own list."""

    def __init__(self, optimizer, warmup, total, eta_min=0.0):
        self.opt, self.w, self.T, self.m = optimizer, warmup, total, eta_min
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self.step()

    def step(self):
        self.last_epoch += 1
        t, w, T, m = min(self.last_epoch, self.total_or_more()), self.w, self.T, self.m
        self._last = []
        for group, lr0 in zip(self.opt.param_groups, self.base_lrs):
            lr = lr0 * (t + 1) / w if t < w else m + 0.5 * (lr0 - m) * (1 + math.cos(math.pi * (t - w) / (T - w)))
            group["lr"] = lr
            self._last.append(lr)

    def total_or_more(self):
        return self.T

    def get_last_lr(self):
        return list(self._last)


def _trace(cls):
    def warmup_cosine_trace(lrs, warmup, total, eta_min, steps):
        return ch07.run_scheduler(cls, lrs, warmup, total, eta_min, steps)
    return warmup_cosine_trace


@pytest.mark.parametrize("hidden", [False, True])
def test_scheduler_classes_in_other_styles_pass(hidden, capsys):
    for cls in (WarmupCosineSolution, WarmupCosineTable, WarmupCosineClosedForm):
        ch07.warmup_cosine(_trace(cls), hidden=hidden)
    assert capsys.readouterr().out.count("\u2713 warmup_cosine_trace") == 3


def test_the_reference_schedule_equals_the_library_warmup_then_cosine():
    # LinearLR from 1/W to 1 over W - 1 steps, then CosineAnnealingLR over total - warmup steps
    warmup, total, steps = 10, 200, 250
    ours = ch07._ref_warmup_cosine_trace([0.1], warmup, total, 0.0, steps)[0][:, 0]
    library = lr_scheduler.lr_schedule(lambda o: lr_scheduler.SequentialLR(
        o, [lr_scheduler.LinearLR(o, start_factor=1 / warmup, total_iters=warmup - 1),
            lr_scheduler.CosineAnnealingLR(o, T_max=total - warmup)], milestones=[warmup]), total + 1, lr=0.1)
    assert np.allclose(ours[:total + 1], library, rtol=1e-12, atol=1e-15)
    assert np.all(ours[total:] == 0.0)


class FromZero(WarmupCosineSolution):
    def _rate(self, lr0):
        return lr0 * self.t / self.warmup if self.t < self.warmup else super()._rate(lr0)


class WholeSpan(WarmupCosineSolution):
    def _rate(self, lr0):
        if self.t < self.warmup or self.t > self.total:
            return super()._rate(lr0)
        return self.eta_min + (lr0 - self.eta_min) * (1 + np.cos(np.pi * (self.t - self.warmup) / self.total)) / 2


class NoFloor(WarmupCosineSolution):
    def _rate(self, lr0):
        if self.t > self.total:
            x = (self.t - self.warmup) / (self.total - self.warmup)
            return self.eta_min + (lr0 - self.eta_min) * (1 + np.cos(np.pi * x)) / 2
        return super()._rate(lr0)


class Unset(WarmupCosineSolution):
    def __init__(self, optimizer, warmup, total, eta_min=0.0):
        self.optimizer, self.warmup, self.total, self.eta_min = optimizer, warmup, total, eta_min
        self.base = [g["lr"] for g in optimizer.param_groups]
        self.t = 0


class OneBaseForAll(WarmupCosineSolution):
    def __init__(self, optimizer, warmup, total, eta_min=0.0):
        super().__init__(optimizer, warmup, total, eta_min)
        self.base = [self.base[0]] * len(self.base)
        self._write()


class ForgetsTheGroups(WarmupCosineSolution):
    def _write(self):
        self.last = [self._rate(lr0) for lr0 in self.base]

    def get_last_lr(self):
        return self.last


@pytest.mark.parametrize("cls, fragments", [
    (FromZero, ["the warm-up starts at 0"]),
    (WholeSpan, ["spread over total steps"]),
    (NoFloor, ["climbs again"]),
    (Unset, ["constructor leaves the groups' 'lr'"]),
    (OneBaseForAll, ["two groups", "each group's own 'lr'"]),
    (ForgetsTheGroups, ["value 2 returned", "each group's 'lr'"]),
])
def test_typical_wrong_scheduler_classes_fail(cls, fragments):
    fails(ch07.warmup_cosine, _trace(cls), fragments=fragments)


def test_a_subclass_of_the_library_scheduler_fails():
    class Library(lr_scheduler.CosineAnnealingLR):
        def __init__(self, optimizer, warmup, total, eta_min=0.0):
            super().__init__(optimizer, T_max=total, eta_min=eta_min)
    fails(ch07.warmup_cosine, _trace(Library), fragments=["reference implementation"])


# -- line search -----------------------------------------------------------------------------------


def line_search_solution(x, grad, loss, lrs):
    x, grad = np.asarray(x, dtype=float), np.asarray(grad, dtype=float)
    losses = [loss(x - lr * grad) for lr in lrs]
    best = float(lrs[int(np.argmin(losses))])
    return x - best * grad, best


def line_search_loop(x, grad, loss, lrs):
    best_lr, best_loss = None, None
    for lr in lrs:
        value = loss(np.subtract(x, np.multiply(lr, grad)))
        if best_loss is None or value < best_loss:
            best_lr, best_loss = lr, value
    return np.asarray(x, dtype=float) - best_lr * np.asarray(grad, dtype=float), float(best_lr)


def line_search_min_key(x, grad, loss, lrs):
    # min() keeps the first of equal keys, as argmin does
    best = min(lrs, key=lambda lr: loss(x - lr * grad))
    return x - best * grad, best


@pytest.mark.parametrize("hidden", [False, True])
def test_line_searches_in_other_styles_pass(hidden, capsys):
    for student in (line_search_solution, line_search_loop, line_search_min_key):
        ch07.line_search_step(student, hidden=hidden)
    assert capsys.readouterr().out.count("\u2713 line_search_step") == 3


def test_the_reference_line_search_equals_the_library_step_rule():
    from dlcourse.optim.line_search import line_search_step
    for case in core.random_cases(3, 10, ch07.line_search_case):
        ours, theirs = ch07._ref_line_search_step(*case.args), line_search_step(*case.args)
        assert np.array_equal(ours[0], theirs[0]) and ours[1] == theirs[1]


def _largest(x, grad, loss, lrs):
    losses = [loss(x - lr * grad) for lr in lrs]
    best = lrs[int(np.argmax(losses))]
    return x - best * grad, best


def _last_of_ties(x, grad, loss, lrs):
    losses = np.array([loss(x - lr * grad) for lr in lrs])
    best = lrs[int(np.flatnonzero(losses == losses.min())[-1])]
    return x - best * grad, best


def _swapped(x, grad, loss, lrs):
    new_x, best = line_search_solution(x, grad, loss, lrs)
    return best, new_x


def _in_place(x, grad, loss, lrs):
    _, best = line_search_solution(x, grad, loss, lrs)
    x -= best * grad
    return x, best


@pytest.mark.parametrize("student, fragments", [
    (_largest, ["LARGEST loss"]),
    (_last_of_ties, ["a tie", "keep the first"]),
    (_swapped, ["the other order"]),
    (lambda x, grad, loss, lrs: (x - lrs[0] * grad, lrs[0]), ["always takes the first candidate"]),
    (_in_place, ["changed its argument `x` in place"]),
])
def test_typical_wrong_line_searches_fail(student, fragments):
    fails(ch07.line_search_step, student, fragments=fragments)


def test_the_losses_the_check_passes_have_the_gradients_it_passes():
    rng = np.random.default_rng(0)
    for loss, grad in ch07.LINE_SEARCH_LOSSES.values():
        x = rng.normal(size=2)
        numeric = np.array([(loss(x + h) - loss(x - h)) / 2e-6 for h in np.eye(2) * 1e-6])
        assert np.allclose(numeric, grad(x), rtol=1e-5, atol=1e-6)


# -- the experiment ----------------------------------------------------------------------------------


def gd_solution(rates, curvatures):
    a = np.asarray(curvatures, dtype=float)
    w, losses = np.ones_like(a), []
    losses.append(0.5 * np.sum(a * w ** 2))
    for lr in rates:
        w = w - lr * a * w
        losses.append(0.5 * np.sum(a * w ** 2))
    return np.array(losses)


def gd_closed_form(rates, curvatures):
    # each weight is multiplied by (1 - lr_t a_i) at step t: a cumulative product
    a = np.asarray(curvatures, dtype=float)
    factors = np.vstack([np.ones_like(a), 1 - np.outer(rates, a)])
    return 0.5 * (np.cumprod(factors, axis=0) ** 2) @ a


def gd_preallocated(rates, curvatures):
    w = np.ones(len(curvatures))
    out = np.zeros(len(rates) + 1)
    out[0] = np.dot(curvatures, w * w) / 2
    for t, lr in enumerate(rates):
        w *= 1 - lr * np.asarray(curvatures)
        out[t + 1] = np.dot(curvatures, w * w) / 2
    return out


@pytest.mark.parametrize("hidden", [False, True])
def test_gd_losses_in_other_styles_pass(hidden, capsys):
    for student in (gd_solution, gd_closed_form, gd_preallocated):
        ch07.gd_losses(student, hidden=hidden)
    assert capsys.readouterr().out.count("\u2713 gd_losses") == 3


@pytest.mark.parametrize("student, fragments", [
    (lambda rates, a: gd_solution(rates, a)[1:], ["wrong shape", "len(rates) + 1 entries"]),
    (lambda rates, a: 2 * gd_solution(rates, a), ["the ½ of f(w)"]),
    (lambda rates, a: ch07._gd_variant(rates, a, gradient_scale=False), ["uses w as the gradient"]),
])
def test_typical_wrong_gd_losses_fail(student, fragments):
    fails(ch07.gd_losses, student, fragments=fragments)


def choose_solution(schedules, curvatures):
    finals = {name: float(gd_solution(rates, curvatures)[-1]) for name, rates in schedules.items()}
    return finals, min(finals, key=finals.get)


def choose_sorted(schedules, curvatures):
    ranked = sorted((gd_closed_form(r, curvatures)[-1], name) for name, r in schedules.items())
    return {name: value for value, name in ranked}, ranked[0][1]


def choose_lists(schedules, curvatures):
    names = list(schedules)
    finals = [gd_preallocated(schedules[n], curvatures)[-1] for n in names]
    return dict(zip(names, finals)), names[int(np.argmin(finals))]


@pytest.mark.parametrize("hidden", [False, True])
def test_choosing_in_other_styles_passes(hidden, capsys):
    for student in (choose_solution, choose_sorted, choose_lists):
        ch07.choose_schedule(student, hidden=hidden)
    assert capsys.readouterr().out.count("\u2713 choose_schedule") == 3


def test_the_chapters_run_is_won_by_the_cosine_and_the_constant_diverges():
    finals, best = ch07._ref_choose_schedule(ch07.run_schedules())
    assert best == "cosine"
    assert finals["constant"] > 1e20 and finals["step"] > finals["cosine"]


def _largest_pick(schedules, curvatures):
    finals, _ = choose_solution(schedules, curvatures)
    return finals, max(finals, key=finals.get)


def _lowest_along(schedules, curvatures):
    finals = {n: float(gd_solution(r, curvatures).min()) for n, r in schedules.items()}
    return finals, min(finals, key=finals.get)


def _one_step_early(schedules, curvatures):
    finals = {n: float(gd_solution(r, curvatures)[-2]) for n, r in schedules.items()}
    return finals, min(finals, key=finals.get)


@pytest.mark.parametrize("student, fragments", [
    (_largest_pick, ["LARGEST final loss", "'cosine'"]),
    (_lowest_along, ["lowest loss along the run"]),
    (_one_step_early, ["before the last step"]),
    (lambda s, a: list(choose_solution(s, a)[0].values()), ["should return a tuple (final_losses, best)"]),
    (lambda s, a: ({n: v for n, v in list(choose_solution(s, a)[0].items())[:2]}, "cosine"), ["one entry per schedule"]),
])
def test_typical_wrong_choices_fail(student, fragments):
    fails(ch07.choose_schedule, student, fragments=fragments)


# -- every check ---------------------------------------------------------------------------------------


ALL_CHECKS = [ch07.step_decay, ch07.exponential_decay, ch07.inverse_time_decay, ch07.warmup_cosine,
              ch07.line_search_step, ch07.gd_losses, ch07.choose_schedule]


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("check", ALL_CHECKS)
def test_stub_fails(check, hidden):
    fails(check, stub, fragments=["not implemented yet"], hidden=hidden)


def test_a_stub_class_fails_through_its_trace():
    class Stub:
        def __init__(self, *args):
            raise NotImplementedError()
    fails(ch07.warmup_cosine, _trace(Stub), fragments=["not implemented yet"])


@pytest.mark.parametrize("seed", range(20))
def test_the_hidden_cases_of_every_seed_are_well_posed(seed, capsys):
    with core.hidden_source(HIDDEN, seed):
        for check, student in [(ch07.step_decay, step_solution), (ch07.exponential_decay, exp_solution),
                               (ch07.inverse_time_decay, inverse_solution),
                               (ch07.warmup_cosine, _trace(WarmupCosineSolution)),
                               (ch07.line_search_step, line_search_solution), (ch07.gd_losses, gd_solution),
                               (ch07.choose_schedule, choose_solution)]:
            check(student, hidden=True)
        for case in core.hidden("warmup_cosine"):
            lrs, warmup, total, _, steps = case.args
            assert 1 <= warmup < total < steps
        for case in core.hidden("choose_schedule"):
            finals, best = ch07._ref_choose_schedule(*case.args)
            ranked = sorted(finals.values())
            assert ranked[1] > ranked[0] * (1 + 1e-3), "the best schedule must be clear"
        for case in core.hidden("line_search_step"):
            x, grad, loss, lrs = case.args
            assert np.all(np.isfinite([loss(x - lr * grad) for lr in lrs]))
    assert "\u2713" in capsys.readouterr().out


def test_each_seed_has_its_own_hidden_random_cases():
    def random_inputs(seed):
        with core.hidden_source(HIDDEN, seed):
            return core.hidden("gd_losses")[0].args[0]
    assert np.array_equal(random_inputs(1), random_inputs(1))
    assert not np.array_equal(random_inputs(1), random_inputs(2))


def test_no_hidden_case_reaches_a_student():
    assert len(hidden_labels(HIDDEN)) >= 7
    assert leaks(HIDDEN, CHAPTER) == {}
    assert not (ROOT / "course" / CHAPTER / "hidden_cases.py").exists()


# -- the grader's verdicts, from the kernel's answers ------------------------------------------------


GRADED = {"step_decay": step_floor, "exponential_decay": exp_loop, "inverse_time_decay": inverse_reciprocal,
          "warmup_cosine_trace": _trace(WarmupCosineTable), "line_search_step": line_search_loop,
          "gd_losses": gd_closed_form, "choose_schedule": choose_sorted}
CHECK_OF = {"warmup_cosine_trace": "warmup_cosine"}


@pytest.mark.parametrize("name", list(GRADED))
def test_the_grader_passes_correct_answers_from_the_kernel(name):
    source = f"from dlcourse.checks import ch07\nch07.{CHECK_OF.get(name, name)}({name}, hidden=True)"
    verdict = judged_outside(source, {name: GRADED[name]}, points=2, hidden_path=HIDDEN, seed=3)
    assert (verdict.points, verdict.outcome) == (2, "pass"), verdict.message


@pytest.mark.parametrize("name, wrong, answer, fragment", [
    ("line_search_step", _largest, line_search_solution, "LARGEST loss"),
    ("warmup_cosine_trace", _trace(NoFloor), _trace(WarmupCosineSolution), "climbs again"),
    ("choose_schedule", _lowest_along, choose_solution, "lowest loss along the run"),
])
def test_the_grader_names_the_typical_mistake(name, wrong, answer, fragment):
    source = f"from dlcourse.checks import ch07\nch07.{CHECK_OF.get(name, name)}({name}, hidden=True)"
    verdict = judged_outside(source, {name: wrong}, answers_from={name: answer}, hidden_path=HIDDEN, seed=3)
    assert verdict.points == 0 and fragment in verdict.message, verdict.message
