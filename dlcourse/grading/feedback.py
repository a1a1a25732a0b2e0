"""One HTML feedback page per student: per exercise the points and what its check reported.

The page is built from the stored grades (see :mod:`dlcourse.grading.gradebook`), never
from a test cell's output, so the hidden tests' source cannot appear in it. Each exercise
shows once, with every failed part labelled by the run (visible or hidden cases) it came
from (:mod:`dlcourse.grading.messages`); a long message is folded, never cut.

nbgrader's own ``generate_feedback`` (formgrader's "Generate Feedback" button) renders the
graded notebook instead; :class:`SafeFeedback`, listed in ``nbgrader_config.py``, makes that
page as safe: hidden-test blocks removed from each test cell, its outputs replaced by the
same summary, tracebacks cut to their last line and an interrupted cell named as such.
"""

import html
from pathlib import Path

import nbformat
from nbformat.v4 import new_markdown_cell, new_output
from nbgrader.preprocessors import NbGraderPreprocessor

from dlcourse.grading import gradebook as store
from dlcourse.grading import messages

FOLD_CHARACTERS = 1500  # a message longer than this is folded (shown on a click), not cut

_STYLE = """body{font-family:sans-serif;max-width:52em;margin:2em auto;color:#222}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4em;text-align:left;vertical-align:top}
.pass{background:#e8f6e8}.partial{background:#fff6dd}.fail{background:#fbe9e9}pre{white-space:pre-wrap;margin:0}"""


NOT_RUN = ("unreadable", "missing")  # no check ran: the message is the grader's own


def exercise_text(outcome, cell, sources):
    """What the student is told about one test cell, as plain text; ``sources``: the test
    cells' code by grade id (grader side, to label hidden parts)."""
    source = "" if outcome.status in NOT_RUN else sources.get(cell.grade_id, "")
    return messages.summary_text(cell.message, source, messages.cell_limit(outcome.flags))


def points_text(cell):
    return "needs manual grading" if cell.points is None else f"{cell.points:g} / {cell.max_points:g}"


def _folded(text):
    """``<pre>`` of ``text``; past :data:`FOLD_CHARACTERS` its first line shows and the
    rest opens on a click, whole."""
    if len(text) <= FOLD_CHARACTERS:
        return f"<pre>{html.escape(text)}</pre>"
    first = text.splitlines()[0][:200]
    return (f"<details><summary>{html.escape(first)} ... ({len(text):,} characters: show all)"
            f"</summary><pre>{html.escape(text)}</pre></details>")


def grader_notes(outcome, stopped=()):
    """The notes above the table: the flags, and each cell stopped at its time limit."""
    limit = messages.cell_limit(outcome.flags)
    notes = [f"`{name}`: {messages.timeout_line('KeyboardInterrupt', limit)}" for name in stopped]
    return notes + list(outcome.flags)


def render(outcome, sources=None, stopped=()):
    """The feedback page of one graded submission, as HTML text. ``sources``: the test
    cells' code by grade id (grader side, to label hidden parts); ``stopped``: the cells
    interrupted at their time limit."""
    rows = []
    for cell in outcome.cells:
        text = exercise_text(outcome, cell, sources or {})
        rows.append(f'<tr class="{cell.outcome}"><td>{html.escape(cell.grade_id)}</td>'
                    f"<td>{points_text(cell)}</td><td>{_folded(text)}</td></tr>")
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in grader_notes(outcome, stopped))
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(outcome.chapter)} - "
            f"{html.escape(outcome.student)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{html.escape(outcome.chapter)}</h1><p>Student: <b>{html.escape(outcome.student)}</b> - "
            f"score <b>{outcome.score:g} / {outcome.max_score:g}</b></p>"
            + (f"<p>Notes from the grader:</p><ul>{notes}</ul>" if notes else "")
            + "<table><tr><th>test</th><th>points</th><th>what the check reported</th></tr>"
            + "".join(rows) + "</table></body></html>")


def test_sources(gradebook, chapter):
    """``{grade_id: source}`` of the chapter's test cells, as the gradebook holds them."""
    notebook = gradebook.find_notebook(chapter, chapter)
    return {cell.name: cell.source or "" for cell in notebook.source_cells}


def _graded_notebook(course, student, chapter):
    path = Path(course.autograded) / student / chapter / f"{chapter}.ipynb"
    try:
        return nbformat.read(path, as_version=4)
    except Exception:  # no graded notebook (unreadable or missing work): nothing stopped
        return {}


def write_feedback(course, chapter, students=None):
    """Write ``feedback/<student>/<chapter>/<chapter>.html`` for each graded student; returns the paths."""
    gradebook = store.open_gradebook(course.db_url)
    try:
        outcomes = store.load(gradebook, chapter)
        try:
            sources = test_sources(gradebook, chapter)
        except store.MissingEntry:
            sources = {}
    finally:
        gradebook.close()
    paths = []
    for outcome in outcomes:
        if students and outcome.student not in students:
            continue
        folder = Path(course.feedback) / outcome.student / chapter
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{chapter}.html"
        stopped = messages.stopped_cells(_graded_notebook(course, outcome.student, chapter))
        path.write_text(render(outcome, sources, stopped), encoding="utf-8")
        paths.append(path)
    return paths


# -- nbgrader's own feedback, made as safe ---------------------------------------------------


def _is_test(cell):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and meta.get("grade") and not meta.get("solution")


def _safe_error(output, limit):
    """An error output reduced to the line that names it, a time-out said in words."""
    if output.get("ename") in ("KeyboardInterrupt", "CellTimeoutError"):
        text = messages.timeout_line("KeyboardInterrupt", limit)
    else:
        text = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
    return new_output("stream", name="stderr", text=text + "\n")


def safe_notebook(nb, outcome, sources, stopped=()):
    """``nb`` (a graded notebook) as a student may see it: no hidden-test block, each test
    cell's outputs replaced by the summary of its stored message (``outcome``: the stored
    grade, or None when dlcourse did not grade it: then only the points are shown), and
    every traceback cut to its last line; ``stopped``: the cells interrupted at their limit."""
    cells = {c.grade_id: c for c in outcome.cells} if outcome else {}
    limit = messages.cell_limit(outcome.flags) if outcome else None
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        if _is_test(cell):
            cell.source = messages.strip_hidden(cell.source)
            grade = cells.get(cell.metadata["nbgrader"]["grade_id"])
            text = exercise_text(outcome, grade, sources) if grade else "graded: see the points above"
            cell.outputs = [new_output("stream", name="stdout", text=text + "\n")]
        else:
            cell.outputs = [_safe_error(o, limit) if o.get("output_type") == "error" else o
                            for o in cell.get("outputs", [])]
    if outcome:
        notes = grader_notes(outcome, stopped)
        if notes:
            nb.cells.insert(0, new_markdown_cell("**Notes from the grader:**\n\n"
                                                 + "\n".join(f"- {n}" for n in notes)))
    return nb


class SafeFeedback(NbGraderPreprocessor):
    """nbgrader's feedback preprocessor that shows what ``dlcourse feedback`` shows: no hidden
    test, no traceback into the library, each failure once (see :func:`safe_notebook`)."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        stopped = messages.stopped_cells(nb)
        gradebook = store.open_gradebook(info["db_url"])
        try:
            found = [o for o in store.load(gradebook, info["assignment"]) if o.student == info["student"]]
            sources = test_sources(gradebook, info["assignment"])
        finally:
            gradebook.close()
        return safe_notebook(nb, found[0] if found else None, sources, stopped), resources
