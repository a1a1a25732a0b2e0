"""The README's main job, ``dlcourse demo``, run as a user runs it, on a copy of the course.

It releases chapter 1 in a course of its own, grades the bundled sample class
(honest, broken and hostile work) and writes feedback, grades and a report.
The expected verdicts come from what each sample student did.
"""

import csv
import shutil
import subprocess
import sys

import pytest

from dlcourse.grading.demo import CHAPTER
from tests.course_tools import ROOT, dlcourse_autograde, result_rows

pytestmark = pytest.mark.slow

# student -> (status, points out of 15, or None where only "less than full marks" is certain)
EXPECTED = {
    "ada": ("graded", 15),        # the reference solution
    "alan": ("graded", 15),       # a correct answer in another style
    "margaret": ("graded", 15),   # correct, but deleted a test cell (restored)
    "barbara": ("graded", 8),     # left three of the hardest exercises unfinished
    "grace": ("graded", 14),      # one wrong update rule
    "frances": ("graded", 14),    # one exercise delegates to the library
    "edsger": ("graded", 0),      # handed in the untouched release
    "guido": ("graded", 14),      # reads the solutions from disk (hidden from it): that cell fails
    "linus": ("graded", 14),      # patches the checks: only its own kernel, so its wrong answer fails
    "donald": ("timeout", None),  # an endless loop
    "ken": ("memory", None),      # allocates 16 GB
    "dennis": ("crashed", None),  # os._exit in a solution cell
    "john": ("unreadable", 0),    # not valid JSON
    "mary": ("unreadable", 0),    # an empty file
}
HONEST = ("ada", "alan", "barbara", "grace", "edsger")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "solutions" / "ch01-neurons", root / "solutions" / "ch01-neurons")
    shutil.copytree(ROOT / "autograde" / "samples", root / "autograde" / "samples")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    done = subprocess.run([sys.executable, "-m", "dlcourse", "demo", "--workers", "2"], cwd=root,
                          capture_output=True, text=True, timeout=600)
    return root, done


def _table(stdout):
    rows = {}
    for line in stdout.splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] in EXPECTED and "/" in words[2]:
            rows[words[0]] = (words[1], words[2], line)
    return rows


def test_demo_grades_every_sample_student_and_exits_zero(demo):
    root, done = demo
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = _table(done.stdout)
    assert sorted(rows) == sorted(EXPECTED)
    for student, (status, points) in EXPECTED.items():
        got_status, score, line = rows[student]
        earned, total = (float(x) for x in score.split("/"))
        assert got_status == status, line
        assert total == 15, line
        if points is None:
            assert earned < 15, line
        else:
            assert earned == points, line


def test_a_cluster_gives_the_sample_class_the_grades_the_local_pool_gave(demo, tmp_path):
    """The demo graded the class in the local pool; a copy of its course graded again on a Dask
    LocalCluster with the same limits gets the same grades, submission by submission."""
    pytest.importorskip("distributed", reason="the cluster extra: pip install 'dlcourse[cluster]'")
    root, done = demo
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    pool = root / "autograde" / "demo"
    cluster = tmp_path / "cluster"
    shutil.copytree(pool, cluster)
    by_cluster = dlcourse_autograde(cluster, CHAPTER, "--cluster", "local:2", "--force")
    assert by_cluster.returncode == 0, by_cluster.stdout[-3000:] + by_cluster.stderr[-3000:]
    pool_rows, cluster_rows = result_rows(pool, CHAPTER), result_rows(cluster, CHAPTER)
    assert sorted(pool_rows) == sorted(EXPECTED)
    for student in pool_rows:  # status, points per test, flags
        assert cluster_rows[student] == pool_rows[student], student


def _flags(root):
    from dlcourse.grading import gradebook as store

    gradebook = store.open_gradebook(f"sqlite:///{root / 'autograde' / 'demo' / 'autograde' / 'gradebook.db'}")
    try:
        return {o.student: o.flags for o in store.load(gradebook, "ch01-neurons")}
    finally:
        gradebook.close()


# the sample class hands in the reference's own cells wherever a student's work is correct
# and not written in a style of their own: those cells are flagged as copies of it
COPIED_REFERENCE = "similar to the reference (1.00)"


def test_honest_students_are_not_flagged_and_hostile_ones_are(demo):
    root, done = demo
    flags = _flags(root)
    for student in HONEST:
        other = [f for f in flags[student] if not f.endswith(COPIED_REFERENCE)]
        assert other == [], f"an honest submission was flagged: {student}: {other}"
    assert any("review:" in f and COPIED_REFERENCE not in f for f in flags["linus"])  # patches the checks
    # guido's open() of the solutions fails in its box; words in its code are no flag
    assert not any("review:" in f and COPIED_REFERENCE not in f for f in flags["guido"])
    assert any("restored" in f for f in flags["margaret"])


def test_copies_of_the_reference_are_flagged_and_independent_work_is_not(demo):
    root, done = demo
    flags = _flags(root)
    long_exercises = ("mcculloch_pitts", "perceptron_update", "train_perceptron", "mistake_bound",
                      "pocket_perceptron", "xor_weights", "boolean_network")
    assert sorted(flags["ada"]) == sorted(f"review: {ex} {COPIED_REFERENCE}" for ex in long_exercises)
    # the answers written in a style of their own are not flagged
    assert not any("perceptron_predict" in f for f in flags["alan"] + flags["frances"])
    assert not any("perceptron_update" in f for f in flags["grace"])
    assert "similar solution cells (for review; no points are taken):" in done.stdout


def test_demo_writes_feedback_grades_and_report_away_from_the_real_gradebook(demo):
    root, done = demo
    demo_course = root / "autograde" / "demo"
    with open(demo_course / "autograde" / "grades.csv", newline="") as handle:
        grades = {row["student"]: row for row in csv.DictReader(handle)}
    assert sorted(grades) == sorted(EXPECTED)
    assert float(grades["ada"]["total"]) == 15 and float(grades["edsger"]["total"]) == 0
    pages = sorted((demo_course / "autograde" / "feedback").glob("*/ch01-neurons/*.html"))
    assert len(pages) == len(EXPECTED)
    for page in pages:
        text = page.read_text()
        assert "hidden=True" not in text and "BEGIN HIDDEN TESTS" not in text, page
    assert (demo_course / "autograde" / "reports" / "ch01-neurons" / "report.html").is_file()
    assert "report:   autograde/demo/autograde/reports/ch01-neurons/report.html" in done.stdout
    assert not (root / "autograde" / "gradebook.db").exists()
    assert not (root / "autograde" / "submitted").exists()
