"""Writing a graded submission into nbgrader's gradebook, once and atomically.

nbgrader's ``SaveAutoGrades`` commits after every cell; here every grade of
one submission, its comments, and a row of the ``dlcourse_results`` table
(status, flags and the check message of each test cell) are committed in a
single transaction of the same sqlite file. A submission counts as graded
exactly when its row exists, so a run stopped at any moment leaves each
submission either fully graded or untouched, and running again grades what
is left. Only the grader's main process writes; workers never open the file.

The extra table is invisible to nbgrader, whose gradebook, formgrader and
``nbgrader export`` keep working on the same database.
"""

import datetime
import json
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.v4 import new_output
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.utils import parse_utc
from sqlalchemy import exc, text

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dlcourse_results (
    assignment TEXT NOT NULL,
    student TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    flags TEXT NOT NULL,
    cells TEXT NOT NULL,
    error TEXT NOT NULL,
    seconds REAL NOT NULL,
    graded_at REAL NOT NULL,
    PRIMARY KEY (assignment, student)
)"""


@dataclass
class CellGrade:
    grade_id: str
    points: float
    max_points: float
    message: str = ""      # the check's output or error (never the test's source)
    outcome: str = "pass"  # pass, partial, fail, manual


@dataclass
class Outcome:
    """The grade of one submission: what the gradebook and the reports read."""

    student: str
    chapter: str
    status: str                  # graded, timeout, memory, crashed, unreadable, missing, error
    cells: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0

    @property
    def score(self):
        return sum(c.points for c in self.cells if c.points is not None)

    @property
    def max_score(self):
        return sum(c.max_points for c in self.cells)

    @property
    def gradeable(self):
        return self.status != "error"


def open_gradebook(db_url, course_id="dlcourse"):
    gradebook = Gradebook(db_url, course_id)
    gradebook.db.execute(text(_SCHEMA))
    gradebook.db.commit()
    return gradebook


def graded_students(gradebook, chapter):
    """Students whose submission of ``chapter`` already has its grade."""
    rows = gradebook.db.execute(
        text("SELECT student FROM dlcourse_results WHERE assignment = :a"), {"a": chapter})
    return {row[0] for row in rows}


LOCK_RETRY_SECONDS = 60.0


def is_locked(error):
    """True for SQLite's "database is locked" (another process holds the gradebook)."""
    return isinstance(error, exc.OperationalError) and "locked" in str(error).lower()


def retrying(action, *, seconds=LOCK_RETRY_SECONDS, rollback=None):
    """Run ``action()``; while the gradebook is locked by another process, roll back and try
    again with back-off (up to ``seconds``), so that a lock never turns into a lost grade."""
    delay, waited = 0.05, 0.0
    while True:
        try:
            return action()
        except exc.OperationalError as error:
            if rollback is not None:
                rollback()
            if not is_locked(error) or waited >= seconds:
                raise
            time.sleep(delay)
            waited += delay
            delay = min(delay * 2, 2.0)


def save(gradebook, outcome, timestamp=None):
    """Commit every grade of ``outcome`` and its result row in one transaction (retried
    while another process holds the gradebook's lock)."""
    db = gradebook.db

    def attempt():
        with warnings.catch_warnings():
            # nbgrader's own session handling warns while it creates a submission
            warnings.simplefilter("ignore", exc.SAWarning)
            _save(gradebook, outcome, timestamp)

    try:
        retrying(attempt, rollback=db.rollback)
    except Exception:
        db.rollback()
        raise


def _save(gradebook, outcome, timestamp):
    db = gradebook.db
    student = gradebook.update_or_create_student(outcome.student)
    if not student.first_name and not student.last_name:
        # formgrader lists students by name: one it does not know is listed by id, not "None"
        student.last_name, student.first_name = outcome.student, ""
    if timestamp:
        gradebook.update_or_create_submission(outcome.chapter, outcome.student, timestamp=timestamp)
    else:
        gradebook.update_or_create_submission(outcome.chapter, outcome.student)
    points = {cell.grade_id: cell.points for cell in outcome.cells}
    for grade_id, _ in assignment_cells(gradebook, outcome.chapter):
        # every test cell of the chapter gets its score, 0 for one the outcome lacks
        grade = gradebook.find_grade(grade_id, outcome.chapter, outcome.chapter, outcome.student)
        grade.auto_score = points.get(grade_id, 0.0)
        grade.needs_manual_grade = grade.auto_score is None or grade.manual_score is not None
    db.execute(text("DELETE FROM dlcourse_results WHERE assignment = :a AND student = :s"),
               {"a": outcome.chapter, "s": outcome.student})
    db.execute(text(
        "INSERT INTO dlcourse_results VALUES (:a, :s, :status, :score, :max, :flags, :cells, "
        ":error, :seconds, :t)"), {
            "a": outcome.chapter, "s": outcome.student, "status": outcome.status,
            "score": outcome.score, "max": outcome.max_score, "flags": json.dumps(outcome.flags),
            "cells": json.dumps([c.__dict__ for c in outcome.cells]), "error": outcome.error,
            "seconds": outcome.seconds, "t": time.time()})
    db.commit()


TIMESTAMP_FILE = "timestamp.txt"


def submission_timestamp(folder):
    """When the submission in ``folder`` was handed in: its ``timestamp.txt`` (nbgrader's);
    where it has none (a download unpacked by hand), the time its newest file was written,
    saved as its ``timestamp.txt`` so that formgrader reads the same time. None for no folder."""
    folder = Path(folder)
    path = folder / TIMESTAMP_FILE
    try:
        return parse_utc(path.read_text().strip())
    except (ValueError, OSError):
        pass
    try:
        newest = max((p.stat().st_mtime for p in folder.rglob("*") if p.is_file() and p != path),
                     default=folder.stat().st_mtime)
    except OSError:
        return None
    stamp = datetime.datetime.fromtimestamp(newest, datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S.%f UTC")
    try:
        path.write_text(stamp + "\n")
    except OSError:
        pass
    return parse_utc(stamp)


def write_placeholder(folder, release_nb, outcome):
    """The graded notebook of a submission that could not run (unreadable, missing, killed):
    the released notebook with each test cell's message, so that formgrader lists it as
    graded (it wants a graded folder) and its feedback can be generated."""
    nb = nbformat.from_dict(json.loads(json.dumps(release_nb)))
    messages = {cell.grade_id: cell.message for cell in outcome.cells}
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.get("cell_type") == "code":
            cell.outputs = []
            if grade_id in messages:
                cell.outputs = [new_output("stream", name="stdout", text=messages[grade_id] + "\n")]
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{outcome.chapter}.ipynb.tmp"
    nbformat.write(nb, tmp)
    os.replace(tmp, folder / f"{outcome.chapter}.ipynb")


def forget(gradebook, chapter, students=None):
    """Drop stored results so that they are graded again (``--force``)."""
    if students is None:
        gradebook.db.execute(text("DELETE FROM dlcourse_results WHERE assignment = :a"), {"a": chapter})
    else:
        for student in students:
            gradebook.db.execute(
                text("DELETE FROM dlcourse_results WHERE assignment = :a AND student = :s"),
                {"a": chapter, "s": student})
    gradebook.db.commit()


def load(gradebook, chapter=None):
    """Stored outcomes (all chapters, or one), sorted by chapter then student."""
    query = "SELECT assignment, student, status, flags, cells, error, seconds FROM dlcourse_results"
    params = {}
    if chapter:
        query += " WHERE assignment = :a"
        params["a"] = chapter
    outcomes = []
    for a, s, status, flags, cells, error, seconds in gradebook.db.execute(text(query), params):
        outcomes.append(Outcome(s, a, status, [CellGrade(**c) for c in json.loads(cells)],
                                json.loads(flags), error, seconds))
    return sorted(outcomes, key=lambda o: (o.chapter, o.student))


def assignment_cells(gradebook, chapter):
    """``[(grade_id, max_points)]`` of a released chapter, in notebook order; raises MissingEntry."""
    notebook = gradebook.find_notebook(chapter, chapter)
    order = {cell.name: i for i, cell in enumerate(notebook.source_cells)}
    cells = sorted(notebook.grade_cells, key=lambda c: order.get(c.name, 0))
    return [(c.name, float(c.max_score)) for c in cells]


__all__ = ["CellGrade", "MissingEntry", "Outcome", "assignment_cells", "forget",
           "graded_students", "load", "open_gradebook", "save", "submission_timestamp",
           "write_placeholder"]
