"""Grades as CSV: one row per student; per chapter its total and a column per exercise; a grand total.

Columns: ``student``, then for each chapter ``<chapter>`` (its total) and
``<chapter>:<test id>`` (the points of each test cell), then ``total``. A
chapter a student did not submit is empty. This is the shape that learning
management systems import.
"""

import csv
import io

from dlcourse.grading import gradebook as store


def table(gradebook):
    """``(header, rows)`` of the export, from the stored results."""
    outcomes = store.load(gradebook)
    chapters = sorted({o.chapter for o in outcomes})
    columns = {ch: [gid for gid, _ in store.assignment_cells(gradebook, ch)] for ch in chapters}
    header = ["student"]
    for ch in chapters:
        header += [ch] + [f"{ch}:{gid}" for gid in columns[ch]]
    header.append("total")
    by_student = {}
    for o in outcomes:
        by_student.setdefault(o.student, {})[o.chapter] = o
    rows = []
    for student in sorted(by_student):
        row, total = [student], 0.0
        for ch in chapters:
            outcome = by_student[student].get(ch)
            if outcome is None:
                row += [""] * (1 + len(columns[ch]))
                continue
            points = {c.grade_id: c.points for c in outcome.cells}
            row.append(f"{outcome.score:g}")
            row += ["" if points.get(gid) is None else f"{points[gid]:g}" for gid in columns[ch]]
            total += outcome.score
        row.append(f"{total:g}")
        rows.append(row)
    return header, rows


def export_csv(course, path=None):
    """Write the CSV to ``path`` (or return it as text when ``path`` is None)."""
    gradebook = store.open_gradebook(course.db_url)
    try:
        header, rows = table(gradebook)
    finally:
        gradebook.close()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    if path is None:
        return buffer.getvalue()
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write(buffer.getvalue())
    return path
