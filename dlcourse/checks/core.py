"""The machinery behind every exercise check.

Three rules shape it:

* **Behaviour, not style.** Only what the student's function *returns* is
  compared with the reference, value by value with a tolerance, so any
  mathematically correct answer passes.
* **Never punished for noise.** Warnings and stderr output produced while the
  student's code runs are captured (nbgrader scores a test cell that writes
  to stderr as zero); they are mentioned only when the answer is also wrong.
* **Your own code.** While the student's function runs, a profiler trip-wire
  watches for calls into the reference implementation of the same exercise;
  a solution that merely delegates to it fails with a message saying so.

A failed check raises :class:`CheckFailure` (an ``AssertionError``) whose
message names the case, the expected and the returned values, and a hint.

**Hidden cases live on the instructor's side.** A check's hidden part comes from
``hidden_cases.py`` beside the chapter's source notebook (under ``solutions/``, never
released): see :func:`hidden`. Its random cases are drawn from a seed the grader
derives from a course secret and the student, so each student's hidden cases differ
and a regrade gives the same ones.
"""

import contextlib
import copy
import importlib
import importlib.util
import inspect
import io
import os
import sys
import threading
import warnings
import zlib
from dataclasses import dataclass, field

import numpy as np

__tracebackhide__ = True


class CheckFailure(AssertionError):
    """A check found a wrong answer; the message explains what and why.

    IPython (and so the notebook, nbgrader's Validate and feedback) shows only the
    message, not the frames of the library's code that found it."""

    def _render_traceback_(self):
        return [f"CheckFailure: {self}"] if str(self) else ["CheckFailure"]


class ReferenceCalled(Exception):
    """Raised inside the student's call when it reaches the reference implementation."""

    def __init__(self, qualname, guard=False):
        super().__init__(qualname)
        self.qualname = qualname
        self.guard = guard  # the call would have switched the trip-wire off


@dataclass
class Case:
    """One input to an exercise: positional and keyword arguments plus a label
    that the failure message shows (e.g. ``"large |x|"``)."""

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    label: str = ""

    def describe(self):
        shown = [_short(a) for a in self.args]
        shown += [f"{k}={_short(v)}" for k, v in self.kwargs.items()]
        text = ", ".join(shown)
        return f"{self.label}: ({text})" if self.label else f"({text})"


def random_cases(seed, count, make, label="random case"):
    """``count`` cases from ``make(rng) -> Case or tuple of args``; ``seed`` is a number
    (named in each label) or a ``numpy.random.Generator`` (a hidden case's, see
    :func:`hidden`, whose seed is not shown)."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    named = "" if isinstance(seed, np.random.Generator) else f" (seed {seed})"
    cases = []
    for i in range(count):
        made = make(rng)
        case = made if isinstance(made, Case) else Case(tuple(made))
        if not case.label:
            case.label = f"{label} {i + 1}{named}"
        cases.append(case)
    return cases


# -- hidden cases: on the instructor's side only ------------------------------------

HIDDEN_FILE = "hidden_cases.py"
_hidden = {"path": None, "seed": 0, "consulted": False}
_hidden_modules = {}


@contextlib.contextmanager
def hidden_source(path=None, seed=0):
    """While the block runs, :func:`hidden` reads ``path`` (default: ``hidden_cases.py``
    in the working directory) and draws random hidden cases from ``seed``."""
    saved = dict(_hidden)
    _hidden.update(path=None if path is None else os.fspath(path), seed=int(seed), consulted=False)
    try:
        yield
    finally:
        _hidden.update(saved)


def hidden_consulted(reset=False):
    """Whether a hidden part drew random cases since the last reset (the answer key asks,
    to know whether a test's plan differs from student to student)."""
    consulted = _hidden["consulted"]
    if reset:
        _hidden["consulted"] = False
    return consulted


def _hidden_path():
    """Where the hidden cases are: the path the grader set; else ``hidden_cases.py`` in the
    working directory (the source notebook's folder, or the answer key's working copy);
    else, under nbgrader's own ``autograde`` (which runs in ``.../<chapter>/``), the
    chapter's file in the ``solutions/`` folder of the course around it."""
    if _hidden["path"]:
        return _hidden["path"]
    here = os.getcwd()
    if os.path.isfile(os.path.join(here, HIDDEN_FILE)):
        return os.path.join(here, HIDDEN_FILE)
    chapter, folder = os.path.basename(here), here
    while os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
        if os.path.isfile(os.path.join(folder, "nbgrader_config.py")):
            return os.path.join(folder, "solutions", chapter, HIDDEN_FILE)
    return os.path.join(here, HIDDEN_FILE)


def _hidden_module():
    path = _hidden_path()
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        raise CheckFailure("the hidden tests run only when the instructor grades: this "
                           "notebook's hidden cases are not on this machine") from None
    key = (os.path.abspath(path), stamp)
    if key not in _hidden_modules:
        spec = importlib.util.spec_from_file_location(f"_dlcourse_hidden_{len(_hidden_modules)}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _hidden_modules[key] = module
    return _hidden_modules[key]


def hidden(exercise, *args, **kwargs):
    """The hidden part of ``exercise``: ``hidden_cases.<exercise>(rng, *args, **kwargs)``
    from the instructor's ``hidden_cases.py``, where ``rng`` is a ``numpy`` Generator
    seeded from the grading seed and the exercise's name. What it returns (a list of
    :class:`Case`, sizes, data) is whatever that exercise's check documents."""
    module = _hidden_module()
    make = getattr(module, exercise, None)
    if make is None:
        raise CheckFailure(f"{HIDDEN_FILE} defines no hidden cases for `{exercise}`")
    _hidden["consulted"] = True
    rng = np.random.default_rng([_hidden["seed"], zlib.crc32(exercise.encode())])
    return make(rng, *args, **kwargs)


# every print option set, so that a notebook's own (``suppress=True`` turns 1e-12 into 0.)
# never changes what a message shows
_PRINT_OPTIONS = dict(precision=6, threshold=12, edgeitems=3, suppress=False, nanstr="nan",
                      infstr="inf", sign="-", floatmode="maxprec", formatter=None, legacy=False)


def _short(value, limit=160):
    if isinstance(value, np.ndarray):
        with np.printoptions(linewidth=limit, **_PRINT_OPTIONS):
            text = np.array2string(value, separator=", ")
        text = f"array(shape={value.shape}, {text})" if value.size > 6 else f"array({text})"
    elif isinstance(value, np.random.Generator):
        text = "a random generator"
    elif callable(value) and hasattr(value, "__name__"):
        text = f"the function {getattr(value, '__qualname__', value.__name__)}"
    elif isinstance(value, (np.floating, float)):
        text = f"{float(value):.10g}"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _row(array, index):
    """The row of ``array`` holding ``index``, shown whole (a long array is elided)."""
    with np.printoptions(linewidth=200, **{**_PRINT_OPTIONS, "threshold": 64}):
        return np.array2string(array[index[:-1]], separator=", ")


# -- running the student's code ------------------------------------------------


def _code_objects(functions):
    codes = {}
    for fn in functions:
        fn = getattr(fn, "__func__", fn)
        code = getattr(fn, "__code__", None)
        if code is not None:
            codes[code] = f"{fn.__module__}.{fn.__qualname__}"
    return codes


_PROFILER_SETTERS = (sys.setprofile, sys.settrace, threading.setprofile, threading.settrace)


@contextlib.contextmanager
def _tripwire(forbidden):
    """Raise ReferenceCalled as soon as any function in ``forbidden`` is entered, in this
    thread or in one started meanwhile, or when the code tries to replace the trip-wire."""
    codes = _code_objects(forbidden)
    if not codes:
        yield
        return

    armed = [True]

    def profiler(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            raise ReferenceCalled(codes[frame.f_code])
        if event == "c_call" and armed[0] and any(arg is setter for setter in _PROFILER_SETTERS):
            raise ReferenceCalled(getattr(arg, "__qualname__", "setprofile"), guard=True)

    previous, previous_threads = sys.getprofile(), threading.getprofile()
    threading.setprofile(profiler)
    sys.setprofile(profiler)
    try:
        yield
    finally:
        armed[0] = False
        sys.setprofile(previous)
        threading.setprofile(previous_threads)


def library_functions(*modules, keep=None):
    """Every function defined in the named library modules, and the methods of
    their classes (those whose name passes ``keep(name)``, when given): the
    reference implementations a student's function must not call.

    A misspelt module name raises ImportError rather than silently guarding nothing.
    """
    found = []
    for name in modules:
        module = importlib.import_module(name)
        for attr, obj in inspect.getmembers(module):
            if getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj) and (keep is None or keep(attr)):
                found.append(obj)
            elif inspect.isclass(obj):
                found.extend(f for fname, f in inspect.getmembers(obj, inspect.isfunction)
                             if f.__module__ == module.__name__ and (keep is None or keep(fname)))
    return found


_forbidden_stack = []  # the forbidden functions of the call_student calls under way


def current_forbidden():
    """The library functions the student's function being called now must not call."""
    return _forbidden_stack[-1] if _forbidden_stack else ()


def call_student(fn, *args, name=None, case=None, forbidden=(), keeps_inputs=False,
                 arg_names=(), **kwargs):
    """Call the student's ``fn`` and return its result, or raise CheckFailure.

    Arguments are deep-copied so that a function that modifies its input in
    place cannot corrupt the next case; with ``keeps_inputs`` (the spec says "do
    not modify the caller's array") a function that does fails, the argument named
    (``arg_names`` gives the parameters' names). Warnings and stderr are captured
    and returned alongside the result as ``(result, noise)``.
    """
    __tracebackhide__ = True
    name = name or getattr(fn, "__name__", "your function")
    where = f"\n  input: {case.describe()}" if case is not None else ""
    if not callable(fn):
        raise CheckFailure(f"expected `{name}` to be a function, got {type(fn).__name__}: {_short(fn)}")
    args = copy.deepcopy(args)
    kwargs = copy.deepcopy(kwargs)
    pristine = copy.deepcopy((args, kwargs)) if keeps_inputs else None
    stderr = io.StringIO()
    _forbidden_stack.append(tuple(forbidden))
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn", under="ignore"):
        warnings.simplefilter("always")
        try:
            with contextlib.redirect_stderr(stderr), _tripwire(forbidden):
                result = fn(*args, **kwargs)
        except ReferenceCalled as called:
            if called.guard:
                raise CheckFailure(
                    f"`{name}` calls {called.qualname}, which would switch off the check that "
                    "your code does not call the reference implementation." + where
                ) from None
            owner = "scikit-learn's" if called.qualname.startswith("sklearn.") else "the course library's"
            raise CheckFailure(
                f"`{name}` calls {called.qualname}, {owner} reference "
                "implementation of this exercise. Write the computation yourself "
                "(NumPy is allowed)." + where
            ) from None
        except NotImplementedError:
            raise CheckFailure(
                f"`{name}` is not implemented yet: replace `raise NotImplementedError()` "
                "with your code and run its cell again." + where
            ) from None
        except CheckFailure:
            raise
        except Exception as error:  # the student's bug, reported as a failed check
            raise CheckFailure(
                f"`{name}` raised {type(error).__name__}: {error}" + where
            ) from None
        finally:
            _forbidden_stack.pop()
    if pristine is not None:
        _expect_unchanged(name, pristine, args, kwargs, arg_names, where)
    noise = [f"{w.category.__name__}: {w.message}" for w in caught]
    if stderr.getvalue().strip():
        noise.append("stderr: " + stderr.getvalue().strip()[:300])
    return result, noise


def _expect_unchanged(name, pristine, args, kwargs, arg_names, where):
    """Fail if the call changed an array argument in place."""
    __tracebackhide__ = True
    old_args, old_kwargs = pristine
    pairs = [(arg_names[i] if i < len(arg_names) else f"number {i + 1}", old, new)
             for i, (old, new) in enumerate(zip(old_args, args))]
    pairs += [(key, old_kwargs[key], kwargs[key]) for key in kwargs]
    for label, old, new in pairs:
        if isinstance(old, np.ndarray) and isinstance(new, np.ndarray) and not (
                old.shape == new.shape and np.array_equal(old, new, equal_nan=old.dtype.kind in "fc")):
            raise CheckFailure(
                f"`{name}` changed its argument `{label}` in place: the caller's array must be "
                "left as it was. Work on a copy (e.g. `w = np.array(w_init, dtype=float)`) "
                "instead of updating the argument itself." + where)


def _parameter_names(fn):
    try:
        return tuple(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return ()


# -- comparing results -----------------------------------------------------------

_PLAIN_TYPES = (np.ndarray, np.generic, int, float, bool, list, tuple)


def _as_array(value, what):
    """Convert a returned value to a float array without trusting its methods.

    Only plain numbers, NumPy arrays and (nested) lists/tuples are accepted: an
    arbitrary object could claim to equal anything.
    """
    __tracebackhide__ = True
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return np.array(value, dtype=np.float64, subok=False)
    if not isinstance(value, _PLAIN_TYPES) or type(value).__module__ not in ("builtins", "numpy"):
        raise CheckFailure(
            f"{what} returned a {type(value).__name__}; expected a number or a NumPy array"
        )
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise CheckFailure(f"{what} returned {_short(value)}, which is not numeric: {error}") from None
    return array


def expect_close(got, expected, what, case=None, rtol=1e-7, atol=1e-10, hint=None, noise=()):
    """Fail unless ``got`` equals ``expected`` element by element within tolerance."""
    __tracebackhide__ = True
    where = f"\n  input:    {case.describe()}" if case is not None else ""
    tail = f"\n  hint: {hint}" if hint else ""
    if noise:
        tail += "\n  while running, your code emitted: " + "; ".join(noise[:3])
    expected = np.asarray(expected, dtype=np.float64)
    got_array = _as_array(got, what)
    if got_array.shape != expected.shape:
        shape_hint = ""
        if got_array.size == expected.size:
            shape_hint = " (same number of values: check a reshape, transpose or keepdims)"
        raise CheckFailure(
            f"{what} has the wrong shape: expected {expected.shape}, got {got_array.shape}{shape_hint}"
            + where + tail
        )
    finite = np.isfinite(expected)
    bad_nonfinite = finite & ~np.isfinite(got_array)
    if bad_nonfinite.any():
        raise CheckFailure(
            f"{what} contains nan or inf where the answer is finite (first at index "
            f"{tuple(int(i) for i in np.argwhere(bad_nonfinite)[0])}); an overflow, a division by zero "
            "or log(0) is the usual cause" + where
            + f"\n  expected: {_short(expected)}\n  got:      {_short(got_array)}" + tail
        )
    same_special = ~finite & ((got_array == expected) | (np.isnan(got_array) & np.isnan(expected)))
    close = np.isclose(got_array, expected, rtol=rtol, atol=atol) | same_special
    if not close.all():
        worst = np.unravel_index(
            np.argmax(np.where(close, 0, np.abs(np.nan_to_num(got_array - expected)) + 1)),
            expected.shape,
        )
        at = f" at index {tuple(int(i) for i in worst)}" if expected.ndim else ""
        rows = ""
        if expected.ndim >= 2 and expected.size > 12:
            rows = (f"\n  row {tuple(int(i) for i in worst[:-1])} expected: {_row(expected, worst)}"
                    f"\n  row {tuple(int(i) for i in worst[:-1])} got:      {_row(got_array, worst)}")
        raise CheckFailure(
            f"{what} is wrong{at}: expected {expected[worst]:.10g}, got {got_array[worst]:.10g}"
            + _precision_note(got)
            + where
            + f"\n  expected: {_short(expected)}\n  got:      {_short(got_array)}" + rows
            + tail
        )


def _precision_note(got):
    """Every exercise is checked in float64; a result in a narrower float type is named, so
    that its rounding is not mistaken for a wrong formula."""
    dtype = getattr(got, "dtype", None)
    if dtype is None and isinstance(got, (list, tuple)) and got:
        dtype = getattr(np.asarray(got), "dtype", None)
    if dtype is not None and dtype.kind in "fc" and dtype.itemsize < (8 if dtype.kind == "f" else 16):
        return (f"\n  your result is {dtype.name}: compute in float64 (NumPy's default; "
                "e.g. np.asarray(x, dtype=np.float64)), the precision every check uses")
    return ""


def expect_equal(got, expected, what, case=None, hint=None):
    """Fail unless ``got`` equals ``expected`` exactly (labels, counts, booleans)."""
    __tracebackhide__ = True
    expect_close(got, expected, what, case=case, rtol=0.0, atol=0.0, hint=hint)


def _compare_answer(got, reference, case, name, rtol, atol, hint, noise):
    """Fail unless ``got`` is what ``reference`` gives on ``case`` (each value of a tuple)."""
    __tracebackhide__ = True
    with np.errstate(all="ignore"):
        expected = reference(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            raise CheckFailure(
                f"`{name}` should return {len(expected)} values (a tuple), got {_short(got)}"
                f"\n  input: {case.describe()}"
            )
        for index, (g, e) in enumerate(zip(got, expected)):
            expect_close(g, e, f"value {index + 1} returned by `{name}`", case,
                         rtol=rtol, atol=atol, hint=hint, noise=noise)
    else:
        expect_close(got, expected, f"`{name}`", case, rtol=rtol, atol=atol, hint=hint, noise=noise)


def check_function(student, reference, cases, *, name=None, rtol=1e-7, atol=1e-10,
                   hint=None, forbidden=None, quiet=False, keeps_inputs=False):
    """Compare ``student(*case.args)`` with ``reference(*case.args)`` on every case.

    ``reference`` may return a number, an array, or a tuple of them (each
    compared in turn). ``forbidden`` lists the library functions the student
    must not call (by default: ``reference`` itself). ``keeps_inputs``: the
    student's function must not change its array arguments. Prints one line on
    success and raises :class:`CheckFailure` on the first wrong case (its ``case``
    attribute is that case).

    The student's function is called on every case before any answer is compared:
    the grader replays the answer key's calls in order, so a check that stopped at
    the first wrong case would hand the next part of the exercise the answers meant
    for the cases it skipped (see :mod:`dlcourse.grading.judge`).
    """
    __tracebackhide__ = True
    name = name or getattr(student, "__name__", "your function")
    forbidden = (reference,) if forbidden is None else tuple(forbidden)
    answers = []
    for case in cases:
        try:
            answers.append((case, None, *call_student(
                student, *case.args, name=name, case=case, forbidden=forbidden,
                keeps_inputs=keeps_inputs, arg_names=_parameter_names(reference), **case.kwargs)))
        except CheckFailure as failure:
            answers.append((case, failure, None, ()))
    for case, failure, got, noise in answers:
        try:
            if failure is not None:
                raise failure
            _compare_answer(got, reference, case, name, rtol, atol, hint, noise)
        except CheckFailure as wrong:
            wrong.case = case  # which case failed, for a check that explains the mistake
            raise
    if not quiet:
        print(f"\u2713 {name}: all {len(cases)} cases pass")
    return True


# -- partial credit ------------------------------------------------------------------


@dataclass
class Part:
    """An independently graded part of an exercise: ``run()`` raises CheckFailure on failure."""

    label: str
    points: float
    run: object


class Score(float):
    """Points earned; its text form is the bare number, which nbgrader reads as partial credit."""

    def __repr__(self):
        return f"{float(self):g}"


def graded_parts(parts):
    """Run every part, print a line per part, and return the points earned.

    nbgrader reads a test cell's numeric result as partial credit, so a cell
    whose last line is ``graded_parts([...])`` earns the points of the parts
    that pass. When no part passes the check raises, so the cell scores zero
    and the student sees every message.
    """
    __tracebackhide__ = True
    earned, messages = 0.0, []
    for part in parts:
        try:
            part.run()
        except CheckFailure as failure:
            messages.append(f"\u2717 {part.label} (0/{part.points:g}): {failure}")
            print(messages[-1])
        else:
            earned += part.points
            print(f"\u2713 {part.label} ({part.points:g}/{part.points:g})")
    if earned == 0 and parts:
        raise CheckFailure("no part passes yet:\n" + "\n".join(messages))
    return Score(earned)
