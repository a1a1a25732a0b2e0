"""The grader's verdict on one test cell, reached in the grader's own process.

The test cell's code (hidden tests included, as the gradebook holds it) is run here, with
the checks and reference implementation of the grader's own, untouched library. Each
student function it names is replaced by a *replay*: the k-th call gets the answer the
student's kernel gave for the k-th call of the answer key's plan (see
:mod:`dlcourse.checks.probe`), after checking that it is the same call with the same
arguments. So the check compares the student's answers with its own reference and decides
pass, partial or fail; its printed lines and its failure message are the feedback.

nbgrader's rules for a test cell's points are kept: an error scores zero, a number as the
cell's last value is partial credit (here clamped to ``[0, points]``), anything else full
marks.
"""

import ast
import builtins
import contextlib
import importlib
import io
import json
import math
import textwrap
import warnings
from dataclasses import dataclass, field

import numpy as np

from dlcourse.checks import core, wire

_MESSAGE_LIMIT = 4000


@dataclass
class Verdict:
    points: float
    max_points: float
    message: str
    outcome: str            # pass, partial or fail
    flags: list = field(default_factory=list)


def _rebuild(raised):
    """The exception the student's function raised, as an exception of this process."""
    if raised.kind == "reference":
        return core.ReferenceCalled(raised.message)
    if raised.kind == "guard":
        return core.ReferenceCalled(raised.message, guard=True)
    if raised.kind == "not_implemented":
        return NotImplementedError(raised.message)
    if raised.type_name == "LinAlgError":
        return np.linalg.LinAlgError(raised.message)
    known = getattr(builtins, raised.type_name, None)
    if isinstance(known, type) and issubclass(known, Exception):
        with contextlib.suppress(Exception):
            return known(raised.message)
    name = raised.type_name if raised.type_name.isidentifier() else "Error"
    return type(name, (Exception,), {})(raised.message)


class Replay:
    """The student's functions as the grader sees them: the kernel's recorded answers."""

    def __init__(self, plan, answers, missing="no answer came back from your kernel", mutations=None):
        self.calls = plan["calls"]
        self.answers = answers      # call index -> packed result
        self.mutations = mutations or {}  # call index -> packed {argument: array after the call}
        self.missing = missing
        self.made = 0

    def _mutate(self, index, args, kwargs):
        """Give the check's own arguments the change the student's function made to its
        copies in the kernel, so that the check sees an input modified in place."""
        if index not in self.mutations:
            return
        for key, after in wire.decode(self.mutations[index]).items():
            target = args[int(key)] if key.isdigit() and int(key) < len(args) else kwargs.get(key)
            if isinstance(target, np.ndarray) and isinstance(after, np.ndarray) \
                    and target.shape == after.shape and target.flags.writeable:
                np.copyto(target, after, casting="unsafe")

    def function(self, name):
        def student(*args, **kwargs):
            index, self.made = self.made, self.made + 1
            if index >= len(self.calls):
                raise core.CheckFailure(
                    f"`{name}` was called by the check more often than the grader prepared "
                    "for; fix the failures reported before this one")
            entry = self.calls[index]
            if entry["name"] != name or not (wire.same(entry["args"], wire.encode(list(args)))
                                             and wire.same(entry["kwargs"], wire.encode(kwargs))):
                raise core.CheckFailure(
                    f"`{name}`: your earlier answers led the check to a case the grader did not "
                    "prepare; fix the failures reported before this one")
            if index not in self.answers:
                raise core.CheckFailure(f"`{name}` gave no answer for this case: {self.missing}")
            value = wire.decode(self.answers[index])
            self._mutate(index, args, kwargs)
            if isinstance(value, wire.Raised):
                raise _rebuild(value)
            return value

        student.__name__ = student.__qualname__ = name
        return student


def context(plan):
    """The names the test cell takes from earlier cells, rebuilt here: modules and library
    objects imported by name (the grader's own), constants from plain data."""
    rebuilt = {}
    for name, entry in (plan.get("context") or {}).items():
        if "module" in entry:
            rebuilt[name] = importlib.import_module(entry["module"])
        elif "object" in entry:
            module, _, qualname = entry["object"].partition(":")
            value = importlib.import_module(module)
            for part in qualname.split("."):
                value = getattr(value, part)
            rebuilt[name] = value
        else:
            rebuilt[name] = wire.decode(entry["data"])
    return rebuilt


def free_names(source):
    """Names a cell reads without binding them itself (the student's functions)."""
    tree = ast.parse(source)
    bound, loaded = set(), []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.Name):
            (loaded.append(node.id) if isinstance(node.ctx, ast.Load) else bound.add(node.id))
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            bound.add(node.name)
    return [n for n in dict.fromkeys(loaded) if n not in bound and not hasattr(builtins, n)]


def _run_cell(source, namespace):
    """Run ``source`` like a notebook cell: the value of a final expression is returned."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<test cell>", "exec"), namespace)  # noqa: S102 (the instructor's test code)
    if last is not None:
        return eval(compile(ast.Expression(last.value), "<test cell>", "eval"), namespace)  # noqa: S307
    return None


def judge(source, plan, answers, max_points, missing="no answer came back from your kernel",
          mutations=None, hidden_path=None, seed=0):
    """The :class:`Verdict` of the test cell ``source`` on the student's ``answers``, its
    hidden part read from ``hidden_path`` with the student's grading ``seed``."""
    replay = Replay(plan, answers, missing, mutations)
    namespace = {"__name__": "__grader__", "__builtins__": builtins}
    namespace.update(context(plan))
    students = plan.get("students") or [n for n in free_names(source) if n not in namespace]
    namespace.update({name: replay.function(name) for name in students})
    printed = io.StringIO()
    failure = None
    with contextlib.redirect_stdout(printed), warnings.catch_warnings(), np.errstate(all="ignore"), \
            core.hidden_source(hidden_path, seed):
        warnings.simplefilter("ignore")
        try:
            value = _run_cell(source, namespace)
        except AssertionError as error:  # CheckFailure: the check's own verdict
            failure, value = str(error), None
        except Exception as error:  # the student's answers broke the check itself
            failure, value = f"{type(error).__name__}: {error}", None
    text = printed.getvalue()
    if failure is not None:
        points = 0.0
        text = (text + ("\n" if text and not text.endswith("\n") else "") + failure).strip()
    elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        points = float(value) if math.isfinite(float(value)) else 0.0
        points = min(max(points, 0.0), float(max_points))
    else:
        points = float(max_points)
    outcome = "pass" if points >= max_points else "partial" if points > 0 else "fail"
    text = text.strip()
    if len(text) > _MESSAGE_LIMIT:
        text = text[:_MESSAGE_LIMIT] + " ..."
    return Verdict(points, float(max_points), text, outcome)


# -- what the kernel runs in place of a test cell ----------------------------------------------


def recording_source(source, token, seeds=()):
    """The answer key's test cell: the test itself, its calls to the student's functions
    recorded into a plan (:func:`dlcourse.checks.probe.recording`); once, or once per
    student's grading seed when its hidden part draws random cases."""
    names = free_names(source)
    body = textwrap.indent(source if source.strip() else "pass", "        ")
    return ("from dlcourse.checks import probe as _dlcourse_probe\n"
            f"for _dlcourse_seed in _dlcourse_probe.seeds({list(seeds)!r}):\n"
            f"    with _dlcourse_probe.recording(globals(), {names!r}, {token!r}, seed=_dlcourse_seed):\n"
            f"{body}\n")


def probe_source(plan, token):
    """A student's test cell while grading: the plan's calls made on their functions, the
    answers sent back as data (:func:`dlcourse.checks.probe.run`). No test code in it."""
    return ("from dlcourse.checks import probe as _dlcourse_probe\n"
            f"_dlcourse_probe.run(globals(), {token!r}, __import__('json').loads(\n"
            f"    {json.dumps(plan)!r}))\n")
