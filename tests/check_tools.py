"""Helpers shared by the tests of the chapters' checks."""

import pytest

from dlcourse.checks.core import CheckFailure


def fails(check, *students, fragments=(), hidden=False):
    """Run ``check(*students)``, expect a CheckFailure whose message holds every fragment; return it."""
    with pytest.raises(CheckFailure) as failure:
        check(*students, hidden=hidden)
    message = str(failure.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def stub(*args, **kwargs):
    """The released notebook's solution cell: not implemented yet."""
    raise NotImplementedError()


def as_notebook_function(fn):
    """``fn`` as if defined in a notebook cell (module ``__main__``), as graders see one."""

    def defined_in_a_cell(*args, **kwargs):
        return fn(*args, **kwargs)

    defined_in_a_cell.__name__ = defined_in_a_cell.__qualname__ = fn.__name__
    defined_in_a_cell.__module__ = "__main__"
    return defined_in_a_cell


def judged_outside(source, students, points=1, answers_from=None, hidden_path=None, seed=0):
    """The grader's verdict on test cell ``source`` for ``students`` ({name: function}):
    the answer key's plan recorded with ``answers_from`` (default: the same functions),
    the calls made on ``students`` as a grading kernel makes them, the answers judged in
    this process. Everything crossing between them goes through JSON, as on the wire."""
    import json

    from dlcourse.checks import probe
    from dlcourse.grading import judge

    from dlcourse.checks import core

    key = {n: as_notebook_function(f) for n, f in (answers_from or students).items()}
    sent = []
    with core.hidden_source(hidden_path, seed), \
            probe.recording(key, judge.free_names(source), "token", send=sent.append):
        exec(compile(source, "<test cell>", "exec"), key)  # noqa: S102
    plan = json.loads(json.dumps(sent[-1]["plan"]))
    kernel = {n: as_notebook_function(f) for n, f in students.items()}
    replies = []
    probe.run(kernel, "token", plan, send=replies.append)
    replies = json.loads(json.dumps(replies))
    return judge.judge(source, plan, {r["index"]: r["result"] for r in replies}, points,
                       mutations={r["index"]: r["mutated"] for r in replies if "mutated" in r},
                       hidden_path=hidden_path, seed=seed)


def hidden_case_texts(path):
    """The labels of a ``hidden_cases.py`` and the source of its long array literals
    (20 characters or more), the texts that must never reach a student."""
    import ast

    source = path.read_text()
    tree = ast.parse(source)
    labels = {kw.value.value for node in ast.walk(tree) if isinstance(node, ast.Call)
              for kw in node.keywords if kw.arg == "label" and isinstance(kw.value, ast.Constant)}
    literals = {ast.get_source_segment(source, node) for node in ast.walk(tree)
                if isinstance(node, ast.List) and all(isinstance(e, (ast.Constant, ast.UnaryOp, ast.List, ast.Tuple))
                                                      for e in node.elts)}
    return labels, {text for text in literals if text and len(text) >= 20}


def leaked_hidden_texts(path, root, released_notebook):
    """``{shipped file: [hidden texts it holds]}`` over the installed package and the release."""
    labels, literals = hidden_case_texts(path)
    shipped = [p for p in (root / "dlcourse").rglob("*") if p.is_file() and p.suffix in (".py", ".json", ".txt", ".md")]
    shipped.append(released_notebook)
    leaks = {}
    for shipped_path in shipped:
        text = shipped_path.read_text(errors="replace")
        found = [t for t in labels | literals if t in text]
        if found:
            leaks[str(shipped_path.relative_to(root))] = found
    return leaks


def hidden_labels(path):
    """The ``label=`` strings of the cases in an instructor's ``hidden_cases.py``."""
    import ast

    tree = ast.parse(path.read_text())
    return {kw.value.value for node in ast.walk(tree) if isinstance(node, ast.Call)
            for kw in node.keywords if kw.arg == "label" and isinstance(kw.value, ast.Constant)}


def assert_no_hidden_case_ships(root, chapter, hidden_path, at_least=10):
    """No hidden case label of ``chapter`` is in the installed library or the released notebook,
    and the release has no copy of the hidden cases."""
    labels = hidden_labels(hidden_path)
    assert len(labels) >= at_least
    shipped = [p for p in (root / "dlcourse").rglob("*") if p.is_file() and p.suffix in (".py", ".json", ".txt", ".md")]
    shipped.append(root / "course" / chapter / f"{chapter}.ipynb")
    for path in shipped:
        text = path.read_text(errors="replace")
        leaked = [label for label in labels if label in text]
        assert not leaked, f"{path.relative_to(root)} holds hidden case labels {leaked}"
    assert not (root / "course" / chapter / hidden_path.name).exists()
