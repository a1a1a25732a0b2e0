"""Turning an executed notebook into per-exercise points, messages and flags.

The points of a test cell follow nbgrader's ``determine_grade`` (an error
scores zero, a numeric result is partial credit, anything else full marks)
with these differences:

* output on **stderr** never costs points: it is moved to stdout first;
* a test cell scores zero, and the submission is flagged, when a check
  comparison that passed inside the kernel **fails when repeated outside**
  it, when a test cell that records its checks with the reference solution
  **records none**, or when a student cell before it **patches** NumPy,
  ``dlcourse`` or builtins or installs hooks (see :mod:`dlcourse.grading.tamper`).

The message shown for a cell is its output text (the check's own report),
never the test's source.
"""

import re

from nbformat.v4 import new_output
from nbgrader import utils

from dlcourse.grading.gradebook import CellGrade

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_MESSAGE_LIMIT = 1500


def stderr_to_stdout(cell):
    """Move stderr stream outputs of ``cell`` to stdout (nbgrader scores stderr as an error)."""
    outputs = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            out = new_output("stream", name="stdout", text=out.get("text", ""))
        outputs.append(out)
    cell["outputs"] = outputs


def cell_message(cell):
    """What the student is told about a test cell: its printed output and error, no source."""
    parts = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            parts.append(out.get("text", ""))
        elif kind == "error":
            parts.append(f"{out.get('ename', 'Error')}: {out.get('evalue', '')}")
        elif kind == "execute_result":
            value = out.get("data", {}).get("text/plain", "")
            try:
                parts.append(f"points: {float(value):g}")
            except (TypeError, ValueError):
                pass
    text = _ANSI.sub("", "".join(p if p.endswith("\n") else p + "\n" for p in parts)).strip()
    return text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + " ..."


def score_notebook(nb, records, findings, key_records=None):
    """Per test cell grades and the flags for an executed, sanitised notebook.

    ``records`` maps a cell index (as text) to ``{"count", "disagreements"}``
    from the worker; ``findings`` are tamper findings in student cells;
    ``key_records`` maps grade ids to how many check records the reference
    solution's run produced (cells with some must produce some here too).
    """
    key_records = key_records or {}
    grades, flags = [], []
    for index, cell in enumerate(nb.cells):
        if not utils.is_grade(cell):
            continue
        grade_id = cell.metadata.nbgrader["grade_id"]
        stderr_to_stdout(cell)
        points, max_points = utils.determine_grade(cell)
        message = cell_message(cell) if cell.cell_type == "code" else ""
        record = records.get(str(index), {"count": 0, "disagreements": []})
        earlier = [f for f in findings if f.severe and f.cell < index]
        if points and record["disagreements"]:
            flags.append(f"`{grade_id}`: a check that passed in the kernel fails when repeated "
                         f"outside it ({record['disagreements'][0]}); scored 0")
            points, message = 0.0, message + "\nscored 0: the check's verdict could not be confirmed"
        elif points and key_records.get(grade_id, 0) > 0 and record["count"] == 0:
            flags.append(f"`{grade_id}`: the test cell ran none of its checks; scored 0")
            points, message = 0.0, message + "\nscored 0: the checks of this test did not run"
        elif points and earlier:
            flags.append(f"`{grade_id}`: scored 0 because an earlier cell interferes with grading "
                         f"({earlier[0]})")
            points, message = 0.0, message + "\nscored 0: your code changes how the checks run"
        if points is None:
            outcome = "manual"
        elif points >= max_points:
            outcome = "pass"
        elif points > 0:
            outcome = "partial"
        else:
            outcome = "fail"
        grades.append(CellGrade(grade_id, points, max_points, message, outcome))
    return grades, flags
