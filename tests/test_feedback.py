"""Feedback whichever button the instructor uses, formgrader's records, the report's plot.

A toy class is graded by the real ``dlcourse autograde``; then ``dlcourse feedback`` and
nbgrader's own ``generate_feedback`` (formgrader's "Generate Feedback") must show the same
safe messages, and nbgrader's gradebook API (what formgrader's pages read) must agree with
``grades.csv``.
"""

import csv
import html
import io
import json
import re
import subprocess
import sys

import nbformat
import pytest
from matplotlib.figure import Figure
from nbgrader.api import Gradebook
from nbgrader.apps.api import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from dlcourse.grading import gradebook as store
from dlcourse.grading import messages, report, toy
from dlcourse.grading.export import export_csv
from dlcourse.grading.feedback import FOLD_CHARACTERS, render, write_feedback
from dlcourse.grading.pipeline import Course
from dlcourse.grading.release import nbgrader_command, release

CH = toy.CHAPTER
HIDDEN_LABELS = ["hidden large |x|", "hidden vector"]


def _class(release_nb):
    s = toy.SOLUTIONS
    return {
        "correct": toy.fill(release_nb, s),
        "partial": toy.fill(release_nb, {**s, "relu": "def relu(x):\n    return np.abs(x) * 0 + x"}),
        "stub": release_nb,
        "hidden_wrong": toy.fill(release_nb, {**s, "total": (
            "def total(x):\n    return float(np.sum(x)) if len(x) == 4 else 0.0")}),
        "hangs": toy.fill(release_nb, {**s, "relu": "def relu(x):\n    while True:\n        pass"}),
        "loop": toy.fill(release_nb, {**s, "relu": "while True:\n    pass"}),
        "broken": toy.fill(release_nb, {**s, "sigmoid": "def sigmoid(x):\n    return 1 / 0"}),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = toy.make_course(tmp_path_factory.mktemp("course"))
    release(root, [CH])
    release_nb = nbformat.read(root / "course" / CH / f"{CH}.ipynb", as_version=4)
    submitted = root / "autograde" / "submitted"
    for student, nb in _class(release_nb).items():
        (submitted / student / CH).mkdir(parents=True)
        (submitted / student / CH / f"{CH}.ipynb").write_text(json.dumps(nb))
    (submitted / "brokenjson" / CH).mkdir(parents=True)
    (submitted / "brokenjson" / CH / f"{CH}.ipynb").write_bytes(b'{"cells": [')
    (submitted / "empty" / CH).mkdir(parents=True)
    (submitted / "empty" / CH / f"{CH}.ipynb").write_bytes(b"")
    (submitted / "correct" / CH / "timestamp.txt").write_text("2026-11-30 09:15:00.000000 UTC")
    done = subprocess.run([sys.executable, "-m", "dlcourse", "autograde", CH, "--quiet", "--memory",
                           "1024", "--cell-timeout", "4"], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return root


def _dlcourse_pages(root):
    paths = write_feedback(Course(root), CH)
    return {p.parents[1].name: p.read_text() for p in paths}


def _nbgrader_pages(root):
    argv, env = nbgrader_command("generate_feedback", CH, "--force")
    done = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    folder = root / "autograde" / "feedback"
    return {p.parents[1].name: p.read_text() for p in folder.glob(f"*/{CH}/{CH}.html")}


def _texts(page):
    """The text of every <pre> block of a page (tags removed, entities decoded)."""
    return [html.unescape(re.sub(r"<[^>]+>", "", block)).strip()
            for block in re.findall(r"<pre[^>]*>(.*?)</pre>", page, re.S)]


def test_nbgrader_generate_feedback_shows_the_same_safe_messages(graded):
    ours = _dlcourse_pages(graded)
    theirs = _nbgrader_pages(graded)
    assert set(theirs) == set(ours)  # every submission, unreadable ones included
    gradebook = store.open_gradebook(Course(graded).db_url)
    try:
        outcomes = {o.student: o for o in store.load(gradebook, CH)}
    finally:
        gradebook.close()
    for student, page in theirs.items():
        assert "BEGIN HIDDEN TESTS" not in page and "END HIDDEN TESTS" not in page
        assert 'Part("negative inputs", 2' not in html.unescape(page)
        assert 'hidden("total")' not in html.unescape(page)
        assert "Traceback (most recent call last)" not in html.unescape(page)
        assert "dlcourse/checks" not in page and "site-packages" not in page
        for label in HIDDEN_LABELS:  # a hidden case is named only where the check names it
            assert (label in page) == (label in ours[student]), (student, label)
        shown = "\n".join(_texts(page))
        for text in _texts(ours[student]):
            assert text in shown, (student, text)
        assert len(outcomes[student].cells) == 3


def test_each_exercise_once_with_its_failed_parts_labelled(graded):
    pages = {s: "\n".join(_texts(p)) for s, p in _dlcourse_pages(graded).items()}
    assert "\u2713 sigmoid: all cases pass (1 visible, 1 hidden)" in pages["correct"]
    assert "\u2713 total: all cases pass (1 visible, 3 hidden)" in pages["correct"]
    assert pages["correct"].count("sigmoid") == 1
    stub = pages["stub"]
    assert "no part passes yet" not in stub
    assert stub.count("positive inputs") == 1 and stub.count("negative inputs") == 1
    assert "visible cases: \u2717 positive inputs (0/1)" in stub
    assert "hidden cases: \u2717 negative inputs (0/2)" in stub
    assert "hidden cases: \u2717 negative inputs (0/2)" in pages["partial"]
    assert "hidden cases: `total` is wrong" in pages["hidden_wrong"]
    assert "visible cases: `sigmoid` raised ZeroDivisionError" in pages["broken"]


def test_a_timeout_says_which_cell_hit_which_limit(graded):
    ours = _dlcourse_pages(graded)
    theirs = _nbgrader_pages(graded)
    said = "this cell stopped after its 4 s limit; the cells after it still ran"
    assert f"relu_solution`: {said}" in html.unescape(ours["loop"])
    assert f"\u2717 positive inputs (0/1): {said}" in "\n".join(_texts(ours["hangs"]))
    for page in (theirs["loop"], theirs["hangs"]):
        assert said in html.unescape(page)
        assert "KeyboardInterrupt" not in page and "CellTimeoutError" not in page


def _api(root):
    config = Config()
    config.CourseDirectory.root = str(root)
    exec(compile((root / "nbgrader_config.py").read_text(), "nbgrader_config.py", "exec"),  # noqa: S102
         {"get_config": lambda: config})
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = f"sqlite:///{root / 'autograde' / 'gradebook.db'}"
    return NbGraderAPI(CourseDirectory(config=config), config=config)


def test_formgrader_and_grades_csv_agree_on_every_submission(graded):
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(export_csv(Course(graded))))}
    api = _api(graded)
    listed = {s["student"]: s for s in api.get_submissions(CH)}
    assert set(listed) == set(rows) and {"brokenjson", "empty"} <= set(rows)
    with Gradebook(f"sqlite:///{graded / 'autograde' / 'gradebook.db'}", "dlcourse") as gradebook:
        for student, row in rows.items():
            submission = gradebook.find_submission(CH, student)
            assert listed[student]["autograded"], student  # not "needs autograding"
            assert not submission.needs_manual_grade
            assert submission.score == pytest.approx(float(row[CH])), student
            assert listed[student]["score"] == pytest.approx(float(row[CH]))
            assert submission.timestamp is not None and listed[student]["display_timestamp"]
            assert listed[student]["last_name"] == student
            for gid in ("test_sigmoid", "test_relu", "test_total"):
                grade = gradebook.find_grade(gid, CH, CH, student)
                assert grade.auto_score == pytest.approx(float(row[f"{CH}:{gid}"]))
        stamp = gradebook.find_submission(CH, "correct").timestamp
        assert (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute) == (2026, 11, 30, 9, 15)
    assert float(rows["brokenjson"][CH]) == 0.0 and float(rows["correct"][CH]) == 6.0


def test_the_report_has_integer_bars_and_a_roster_linking_feedback(graded):
    path = report.write_report(Course(graded), CH)
    page = path.read_text()
    gradebook = store.open_gradebook(Course(graded).db_url)
    try:
        outcomes = store.load(gradebook, CH)
    finally:
        gradebook.close()
    for o in outcomes:
        link = f"../../feedback/{o.student}/{CH}/{CH}.html"
        assert f"<a href='{link}'>{o.student}</a>" in page
        assert (path.parent / link).resolve().parent.parent.name == o.student
    ax = report.plot_scores(outcomes, Figure().subplots())
    centres = sorted({round(p.get_x() + p.get_width() / 2, 9) for p in ax.patches})
    assert centres == list(range(0, 7))
    heights = [p.get_height() for p in ax.patches]
    assert all(h == int(h) for h in heights) and sum(heights) == len(outcomes)
    assert all(t == int(t) for t in ax.get_yticks())


def test_a_long_message_is_folded_whole():
    tail = "the last line of a long message"
    message = "`f` is wrong\n" + "\n".join(f"  row {i}: " + "x" * 60 for i in range(60)) + "\n" + tail
    outcome = store.Outcome("ada", CH, "graded", [store.CellGrade("test_f", 0.0, 1.0, message, "fail")])
    page = render(outcome)
    assert len(message) > FOLD_CHARACTERS
    assert "<details>" in page and tail in page and " ..." + "</pre>" not in page


@pytest.mark.parametrize("message, expected", [
    ("\u2713 f: all 6 cases pass\n\u2713 f: all 16 cases pass", ["\u2713 f: all cases pass (6 visible, 16 hidden)"]),
    ("`f` is wrong: expected 1, got 2", ["visible cases: `f` is wrong: expected 1, got 2"]),
    ("\u2713 f: all 6 cases pass\n`f` is wrong: expected 1, got 2",
     ["\u2713 f: all 6 cases pass", "hidden cases: `f` is wrong: expected 1, got 2"]),
    ("`f` gave no answer for this case: the cell ran out of time",
     ["this cell stopped after its 5 s limit; the cells after it still ran"]),
])
def test_messages_are_summarised(message, expected):
    source = "check(f)\n### BEGIN HIDDEN TESTS\ncheck(f, hidden=True)\n### END HIDDEN TESTS"
    assert [line.shown() for line in messages.summarise(message, source, 5)] == expected
