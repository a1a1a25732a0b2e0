"""Running the student's functions for the grader, and recording what to run.

A graded test cell such as ``ch01.mcculloch_pitts(mcculloch_pitts, hidden=True)`` is
never run in the student's kernel while grading. Instead:

1. **The answer key** (the instructor's notebook, in a kernel of its own) runs each test
   cell under :func:`recording`: every call that the check makes to a student function is
   written down (the function's name, its arguments as plain data, the library functions
   it must not call) and sent to the grader as the cell's *plan*.
2. **The student's kernel** runs, in place of the test cell, :func:`run` on that plan: each
   call is made on the student's own function, and what it returned (or raised) is sent
   back as plain data (:mod:`dlcourse.checks.wire`), one message per call.
3. **The grader** runs the test cell's own code in its own process, with each student
   function replaced by the answers from step 2 (:mod:`dlcourse.grading.judge`), and the
   check's verdict, points and message are its own.

So nothing the kernel prints, displays or patches decides a grade: a wrong answer is
wrong in the grader's comparison whatever the kernel does around it.
"""

import contextlib
import warnings

import numpy as np

from dlcourse.checks import core, wire


def _display(payload):
    from IPython.display import publish_display_data

    publish_display_data({wire.MIME: payload})


def _forbidden_names(functions):
    names = []
    for fn in functions:
        fn = getattr(fn, "__func__", fn)
        module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
        if module and qualname and "<" not in qualname:
            names.append(f"{module}:{qualname}")
    return sorted(set(names))


def _has_opaque(tree):
    if isinstance(tree, dict):
        return "$opaque" in tree or any(_has_opaque(v) for v in tree.values())
    if isinstance(tree, list):
        return any(_has_opaque(v) for v in tree)
    return False


class PlanError(RuntimeError):
    """A check passes something to a student's function that cannot be sent as plain data."""


def seeds(student_seeds):
    """The grading seeds a test cell is recorded under (the answer key's side): first the
    default seed, labelled ``None``; if the cell's hidden part drew random cases, then each
    student's seed in turn, since each student's hidden cases differ."""
    with core.hidden_source(None, 0):
        core.hidden_consulted(reset=True)
        yield None
        if not core.hidden_consulted():
            return
    for seed in student_seeds:
        with core.hidden_source(None, seed):
            yield seed


@contextlib.contextmanager
def recording(namespace, names, token, send=_display, seed=None):
    """While the block runs, record every call made to ``namespace[name]`` for ``names``;
    at the end send ``{"token", "seed", "plan"}`` (the answer key's side)."""
    calls, forbidden_sets, originals = [], [], {}
    depth = [0]  # a student function calling another (selu calling elu) is not the check's call

    def recorder(name, fn):
        def recorded(*args, **kwargs):
            if depth[0]:
                return fn(*args, **kwargs)
            packed_args, packed_kwargs = wire.pack(list(args)), wire.pack(kwargs)
            for packed in (packed_args, packed_kwargs):
                if _has_opaque(packed["tree"]):
                    raise PlanError(f"a check passes {packed['tree']!r:.200} to `{name}`: only "
                                    "plain data and dlcourse functions can reach a grading kernel")
            forbidden = _forbidden_names(core.current_forbidden())
            if forbidden not in forbidden_sets:
                forbidden_sets.append(forbidden)
            calls.append({"name": name, "args": packed_args, "kwargs": packed_kwargs,
                          "forbidden": forbidden_sets.index(forbidden)})
            depth[0] += 1
            try:
                return fn(*args, **kwargs)
            finally:
                depth[0] -= 1

        recorded.__name__ = getattr(fn, "__name__", name)
        recorded.__qualname__ = getattr(fn, "__qualname__", name)
        return recorded

    context = {}
    for name in names:
        if name not in namespace:
            continue
        value = namespace[name]
        if callable(value) and getattr(value, "__module__", None) == "__main__":
            originals[name] = value
            namespace[name] = recorder(name, value)
        else:
            context[name] = _context_entry(name, value)
    try:
        yield calls
    finally:
        namespace.update(originals)
        send({"token": token, "seed": seed,
              "plan": {"calls": calls, "forbidden": forbidden_sets,
                       "students": sorted(originals), "context": context}})


def _context_entry(name, value):
    """How the grader rebuilds a name the test uses that the notebook defined before it
    (a module, a library function, a constant): by import, or as plain data."""
    import types

    if isinstance(value, types.ModuleType):
        return {"module": value.__name__}
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if module and qualname and "<" not in qualname and module != "__main__":
        with contextlib.suppress(Exception):
            if _import_object(f"{module}:{qualname}") is value:
                return {"object": f"{module}:{qualname}"}
    packed = wire.pack(value)
    if _has_opaque(packed["tree"]):
        raise PlanError(f"the test uses `{name}` (a {type(value).__name__}), which the grader "
                        "cannot rebuild: define it in the test cell or import it there")
    return {"data": packed}


def _import_object(name):
    import importlib

    module, _, qualname = name.partition(":")
    value = importlib.import_module(module)
    for part in qualname.split("."):
        value = getattr(value, part)
    return value


def _forbidden_functions(names):
    """The library functions named (``module:qualname``); a name that no longer resolves
    is left out rather than failing every call."""
    found = []
    for name in names:
        with contextlib.suppress(Exception):
            found.append(wire._look_up(name))
    return found


def call(fn, args, kwargs, forbidden=()):
    """What ``fn(*args, **kwargs)`` gives, as a value or a :class:`wire.Raised`."""
    if not callable(fn):
        return wire.Raised("TypeError", f"'{type(fn).__name__}' object is not callable")
    try:
        # as the visible check runs it: warnings are recorded, never raised
        with warnings.catch_warnings(record=True), np.errstate(all="warn", under="ignore"):
            warnings.simplefilter("always")
            with core._tripwire(forbidden):
                return fn(*args, **kwargs)
    except core.ReferenceCalled as called:
        return wire.Raised("ReferenceCalled", called.qualname, kind="guard" if called.guard else "reference")
    except NotImplementedError as error:
        return wire.Raised("NotImplementedError", str(error), kind="not_implemented")
    except KeyboardInterrupt:
        raise  # the cell's time limit: the calls left get no answer
    except BaseException as error:  # the student's bug (SystemExit included) is an answer too
        return wire.Raised(type(error).__name__, str(error)[:4000])


def run(namespace, token, plan, send=_display):
    """Make every call of ``plan`` on the student's functions in ``namespace`` and send
    each answer as ``{"token", "index", "result"}`` (the student's kernel's side)."""
    forbidden = [_forbidden_functions(names) for names in plan["forbidden"]]
    for index, entry in enumerate(plan["calls"]):
        name = entry["name"]
        if name not in namespace:
            result = wire.Raised("NameError", f"name '{name}' is not defined: run the cell "
                                 "that defines it (or check its spelling)")
        mutated = {}
        if name in namespace:
            args = wire.decode(entry["args"], functions="import")
            kwargs = wire.decode(entry["kwargs"], functions="import")
            before = _arrays(args, kwargs)
            result = call(namespace[name], args, kwargs, forbidden[entry["forbidden"]])
            mutated = _changed(before, args, kwargs)
        packed = wire.pack(result)
        if len(packed["arrays"]) > wire.MAX_BYTES:
            packed = wire.pack(wire.Raised("ResultTooLarge", f"`{name}` returned more than "
                                           f"{wire.MAX_BYTES // 2**20} MB"))
            mutated = {}
        message = {"token": token, "index": index, "result": packed}
        if mutated:
            message["mutated"] = wire.pack(mutated)
        send(message)


def _arrays(args, kwargs):
    """Copies of the array arguments of a call, by position or keyword."""
    found = {str(i): a.copy() for i, a in enumerate(args) if isinstance(a, np.ndarray)}
    found.update({k: a.copy() for k, a in kwargs.items() if isinstance(a, np.ndarray)})
    return found


def _changed(before, args, kwargs):
    """The array arguments the call changed in place, as they are now: the grader gives its
    own copies the same change, so that a check of "does not modify its input" sees it."""
    changed = {}
    for key, old in before.items():
        now = args[int(key)] if key.isdigit() else kwargs[key]
        try:
            same = np.array_equal(now, old, equal_nan=now.dtype.kind in "fc")
        except TypeError:
            same = np.array_equal(now, old)
        if now.shape == old.shape and not same:
            changed[key] = now
    return changed
