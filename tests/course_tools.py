"""Helpers the course tests share: build a small course, run the real nbgrader on it."""

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from dlcourse.grading.release import nbgrader_command

ROOT = Path(__file__).resolve().parents[1]


def solution_cell(source, grade_id):
    cell = new_code_cell(source)
    cell.metadata.nbgrader = {"grade": False, "solution": True, "locked": False, "task": False,
                              "grade_id": grade_id, "schema_version": 3}
    return cell


def test_cell(source, grade_id, points):
    cell = new_code_cell(source)
    cell.metadata.nbgrader = {"grade": True, "solution": False, "locked": True, "task": False,
                              "points": points, "grade_id": grade_id, "schema_version": 3}
    return cell


def toy_notebook():
    """A two-exercise source notebook written the way the chapters are."""
    notebook = new_notebook()
    notebook.metadata.kernelspec = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                    "language": "python"}
    reference = "lambda x: np.asarray(x, dtype=float) ** 2"
    notebook.cells = [
        new_markdown_cell("# Toy chapter"),
        new_code_cell("import numpy as np"),
        solution_cell('def square(x):\n    """x squared"""\n    ### BEGIN SOLUTION\n'
                      "    return np.square(np.asarray(x, dtype=float))\n    ### END SOLUTION", "square"),
        test_cell("import numpy as np\nfrom dlcourse.checks import Case, check_function\n"
                  f"check_function(square, {reference}, [Case((np.arange(3.0),))])\n"
                  "### BEGIN HIDDEN TESTS\n"
                  f"check_function(square, {reference}, [Case((np.arange(-4.0, 5.0),), label='secret')])\n"
                  "### END HIDDEN TESTS", "test_square", 2),
        solution_cell('def double(x):\n    """twice x"""\n    ### BEGIN SOLUTION\n'
                      "    return 2 * np.asarray(x, dtype=float)\n    ### END SOLUTION", "double"),
        test_cell("import numpy as np\nfrom dlcourse.checks import Case, check_function\n"
                  "check_function(double, lambda x: 2.0 * np.asarray(x), [Case((np.ones(4),))])",
                  "test_double", 1),
    ]
    return notebook


def make_course(folder, chapters=None):
    """A course at ``folder``: this repo's nbgrader config and the given source
    notebooks ({chapter: notebook or path}), default one toy chapter."""
    folder = Path(folder)
    shutil.copy2(ROOT / "nbgrader_config.py", folder)
    (folder / "autograde").mkdir(exist_ok=True)
    for chapter, notebook in (chapters or {"ch00-toy": toy_notebook()}).items():
        target = folder / "solutions" / chapter
        target.mkdir(parents=True)
        if isinstance(notebook, Path):
            shutil.copytree(notebook.parent, target, dirs_exist_ok=True)
        else:
            nbformat.write(notebook, target / f"{chapter}.ipynb")
    return folder


def submit(course, chapter, student, notebook_path):
    target = Path(course) / "autograde" / "submitted" / student / chapter
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(notebook_path, target / f"{chapter}.ipynb")


def nbgrader_autograde(course, chapter):
    argv, env = nbgrader_command("autograde", chapter, "--force")
    done = subprocess.run(argv, cwd=course, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def cell_scores(course, chapter, student):
    """{grade_id: (score, max_score)} from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{Path(course) / 'autograde' / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(chapter, student)
        return {
            grade.name: (grade.score, grade.max_score)
            for notebook in submission.notebooks
            for grade in notebook.grades
        }


def dlcourse_autograde(root, chapter, *extra, cell_timeout=5, **popen):
    """``dlcourse autograde`` from the command line, with the sample class's limits."""
    argv = [sys.executable, "-m", "dlcourse", "autograde", chapter, "--quiet", "--memory", "1024",
            "--cell-timeout", str(cell_timeout), *extra]
    if popen:
        return subprocess.Popen(argv, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, **popen)
    return subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=600)


def result_rows(root, chapter):
    """``{student: (status, {grade_id: points}, flags)}`` from dlcourse's rows in the gradebook."""
    with sqlite3.connect(Path(root) / "autograde" / "gradebook.db") as db:
        rows = list(db.execute("SELECT student, status, cells, flags FROM dlcourse_results "
                               "WHERE assignment = ?", (chapter,)))
    students = [row[0] for row in rows]
    assert len(students) == len(set(students)), "a submission has two result rows"
    return {s: (status, {c["grade_id"]: c["points"] for c in json.loads(cells)}, json.loads(flags))
            for s, status, cells, flags in rows}
