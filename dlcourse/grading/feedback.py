"""One HTML feedback page per student: per exercise the points and the check's message.

The page is built from the stored grades (see :mod:`dlcourse.grading.gradebook`),
never from the graded notebook, so the hidden tests' source cannot appear in
it: a student sees each test's outcome and the message its check printed.
"""

import html
from pathlib import Path

from dlcourse.grading import gradebook as store

_STYLE = """body{font-family:sans-serif;max-width:52em;margin:2em auto;color:#222}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4em;text-align:left;vertical-align:top}
.pass{background:#e8f6e8}.partial{background:#fff6dd}.fail{background:#fbe9e9}pre{white-space:pre-wrap;margin:0}"""


def render(outcome):
    """The feedback page of one graded submission, as HTML text."""
    rows = []
    for cell in outcome.cells:
        points = "needs manual grading" if cell.points is None else f"{cell.points:g} / {cell.max_points:g}"
        rows.append(f'<tr class="{cell.outcome}"><td>{html.escape(cell.grade_id)}</td><td>{points}</td>'
                    f"<td><pre>{html.escape(cell.message)}</pre></td></tr>")
    notes = "".join(f"<li>{html.escape(flag)}</li>" for flag in outcome.flags)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(outcome.chapter)} - "
            f"{html.escape(outcome.student)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{html.escape(outcome.chapter)}</h1><p>Student: <b>{html.escape(outcome.student)}</b> - "
            f"score <b>{outcome.score:g} / {outcome.max_score:g}</b></p>"
            + (f"<p>Notes from the grader:</p><ul>{notes}</ul>" if notes else "")
            + "<table><tr><th>test</th><th>points</th><th>what the check reported</th></tr>"
            + "".join(rows) + "</table></body></html>")


def write_feedback(course, chapter, students=None):
    """Write ``feedback/<student>/<chapter>/<chapter>.html`` for each graded student; returns the paths."""
    gradebook = store.open_gradebook(course.db_url)
    try:
        outcomes = store.load(gradebook, chapter)
    finally:
        gradebook.close()
    paths = []
    for outcome in outcomes:
        if students and outcome.student not in students:
            continue
        folder = Path(course.feedback) / outcome.student / chapter
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{chapter}.html"
        path.write_text(render(outcome), encoding="utf-8")
        paths.append(path)
    return paths
