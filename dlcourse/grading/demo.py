"""The grading demo: release chapter 1, grade a sample class, write feedback, CSV and report.

The sample class lives in ``autograde/samples/ch01-neurons/<student>.ipynb``:
a dozen students with the mixes a real class hands in (correct work in
different styles, partly correct, unfinished, broken files) and hostile
work (an endless loop, a memory hog, a kernel that kills itself, a patch of
the checks, a deleted test cell, delegating to the reference library,
reading the solutions). ``make_samples`` writes them from the current
chapter so they follow its exercises.
"""

import re
import shutil
import tempfile
from pathlib import Path

import nbformat

from dlcourse.grading.export import export_csv
from dlcourse.grading.feedback import write_feedback
from dlcourse.grading.pipeline import Course, Options, autograde, summary_table
from dlcourse.grading.report import write_report
from dlcourse.grading.release import copy_course, release

CHAPTER = "ch01-neurons"
SAMPLES = Path("autograde") / "samples" / CHAPTER

_SOLUTION = re.compile(r"[ \t]*### BEGIN SOLUTION\n(.*?)[ \t]*### END SOLUTION\n?", re.S)

# student -> {function name: replacement source of its solution cell}; None keeps the stub
_VARIANTS = {
    "ada": {},
    "alan": {"perceptron_predict": (
        "def perceptron_predict(X, w):\n    scores = np.dot(np.asarray(X, float), w[1:]) + w[0]\n"
        "    return np.array([1 if s >= 0 else 0 for s in scores])")},
    "grace": {"perceptron_update": (
        "def perceptron_update(w, x, y, lr=1.0):\n    x_tilde = np.concatenate(([1.0], x))\n"
        "    return np.asarray(w, float) + lr * y * x_tilde")},
    "edsger": "stub",
    "barbara": {"train_perceptron": None, "xor_weights": None, "boolean_network": None},
    "donald": {"train_perceptron": (
        "def train_perceptron(X, y, w_init, lr=1.0, epochs=10):\n    while True:\n        pass")},
    "ken": {"xor_weights": "table = np.ones(2**31)\n\ndef xor_weights():\n    return None"},
    "dennis": {"boolean_network": "import os\nos._exit(1)"},
    "linus": {"perceptron_predict": (
        "import dlcourse.checks.core as core\ncore.compare = lambda *args, **kwargs: None\n\n"
        "def perceptron_predict(X, w):\n    return np.zeros(len(X), dtype=int)")},
    "margaret": {"delete": "test_perceptron_update"},
    "frances": {"perceptron_predict": (
        "from dlcourse.neurons import step\n\ndef perceptron_predict(X, w):\n"
        "    return step(w[0] + np.asarray(X, float) @ w[1:]).astype(int)")},
    "guido": {"mcculloch_pitts": (
        "answers = open('../../../solutions/ch01-neurons/ch01-neurons.ipynb').read()\n\n"
        "def mcculloch_pitts(x, theta, inhibitory=None):\n    return 0")},
}


def _solutions(source_nb):
    """``{grade_id: full solution cell source without markers}``."""
    return {cell.metadata["nbgrader"]["grade_id"]: _SOLUTION.sub(lambda m: m.group(1), cell.source)
            for cell in source_nb.cells if cell.metadata.get("nbgrader", {}).get("solution")}


def make_samples(root):
    """Write the sample class for the chapter at ``root`` (releasing it in a scratch copy)."""
    root = Path(root)
    source_nb = nbformat.read(root / "solutions" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        copy = copy_course(root, tmp, [CHAPTER])
        release(copy, [CHAPTER], db_url=f"sqlite:///{copy / 'gradebook.db'}")
        release_nb = nbformat.read(copy / "course" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    answers = _solutions(source_nb)
    folder = root / SAMPLES
    folder.mkdir(parents=True, exist_ok=True)
    for student, variant in _VARIANTS.items():
        nb = nbformat.from_dict(nbformat.reads(nbformat.writes(release_nb), as_version=4))
        if variant != "stub":
            cells = []
            for cell in nb.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if grade_id and grade_id == variant.get("delete"):
                    continue
                if grade_id in answers:
                    replacement = variant.get(grade_id, answers[grade_id])
                    if replacement is not None:
                        cell.source = replacement
                cells.append(cell)
            nb.cells = cells
        nbformat.write(nb, folder / f"{student}.ipynb")
    (folder / "john.ipynb").write_text('{"cells": [{"cell_type": "code", "source": "def mcc')
    (folder / "mary.ipynb").write_text("")
    return folder


DEMO = Path("autograde") / "demo"


def make_demo_course(root):
    """A fresh course at ``autograde/demo/`` holding chapter 1's source and the nbgrader config."""
    demo = Path(root) / DEMO
    if demo.exists():
        shutil.rmtree(demo)
    return copy_course(root, demo, [CHAPTER])


def run_demo(root, workers=0, progress=True, out=print):
    """Release chapter 1, grade the sample class, write feedback, CSV and report.

    Everything happens in a course of its own under ``autograde/demo/`` (made
    afresh each time from ``solutions/`` and ``nbgrader_config.py``), so the
    demo never touches the instructor's gradebook, submissions or feedback.
    """
    root = Path(root).resolve()
    samples = root / SAMPLES
    if not samples.is_dir():
        raise FileNotFoundError(f"no sample class at {samples}")
    course = Course(make_demo_course(root))
    out(f"releasing {CHAPTER} ...")
    release(course.root, [CHAPTER])
    for notebook in sorted(samples.glob("*.ipynb")):
        target = course.submitted / notebook.stem / CHAPTER / f"{CHAPTER}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(notebook, target)
    out(f"grading {len(list(samples.glob('*.ipynb')))} sample submissions ...")
    run = autograde(course.root, CHAPTER, options=Options(workers=workers, cell_timeout=5,
                                                          memory_mb=1024, force=True, progress=progress))
    out(summary_table(run))
    feedback = write_feedback(course, CHAPTER)
    csv_path = export_csv(course, course.root / "autograde" / "grades.csv")
    report = write_report(course, CHAPTER)
    out(f"\nfeedback: {len(feedback)} pages under {course.feedback.relative_to(root)}/")
    out(f"grades:   {csv_path.relative_to(root)}")
    out(f"report:   {Path(report).relative_to(root)}")
    return run
