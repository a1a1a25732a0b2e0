"""A tiny course (one chapter, three exercises) and a class of submissions for it.

Used by the tests and the benchmark so that they exercise the grading
pipeline without depending on the content of the real chapters. The chapter
``ch00-toy`` asks for ``sigmoid`` (2 points), ``relu`` (3 points, partial
credit) and ``total`` (1 point; its hidden cases are random, from ``hidden_cases.py``).
"""

import json
import shutil
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CHAPTER = "ch00-toy"

_SETUP = """import numpy as np
from dlcourse.checks.core import Case, Part, check_function, graded_parts
from dlcourse.functional import activations as F"""

SOLUTIONS = {
    "sigmoid": "def sigmoid(x):\n    return 1.0 / (1.0 + np.exp(-x))",
    "relu": "def relu(x):\n    return np.maximum(x, 0.0)",
    "total": "def total(x):\n    return float(np.sum(x))",
}

_TESTS = {
    "sigmoid": (2, """check_function(sigmoid, F.sigmoid, [Case((np.array([-1.0, 0.0, 2.0]),))])
### BEGIN HIDDEN TESTS
check_function(sigmoid, F.sigmoid, [Case((np.array([-800.0, -5.0, 5.0]),), label="hidden large |x|")])
### END HIDDEN TESTS"""),
    "relu": (3, """graded_parts([
    Part("positive inputs", 1, lambda: check_function(relu, F.relu, [Case((np.array([1.0, 2.5]),))], quiet=True)),
### BEGIN HIDDEN TESTS
    Part("negative inputs", 2, lambda: check_function(relu, F.relu, [Case((np.array([-1.0, -3.0]),))], quiet=True)),
### END HIDDEN TESTS
])"""),
    "total": (1, """check_function(total, np.sum, [Case((np.arange(4.0),))])
### BEGIN HIDDEN TESTS
from dlcourse.checks.core import hidden
check_function(total, np.sum, hidden("total"))
### END HIDDEN TESTS"""),
}

# the instructor's hidden cases (never released): random, so each student's are their own
HIDDEN_CASES = '''"""The toy chapter's hidden cases."""

from dlcourse.checks.core import random_cases


def total(rng):
    return random_cases(rng, 3, lambda r: (r.normal(size=int(r.integers(2, 9))),), label="hidden vector")
'''


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=0):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook():
    cells = [new_markdown_cell("# A toy chapter\nThree small exercises."),
             new_code_cell(_SETUP, metadata=_meta("setup", locked=True))]
    for name, (points, test) in _TESTS.items():
        body = SOLUTIONS[name].replace("\n    return", "\n    ### BEGIN SOLUTION\n    return", 1)
        cells.append(new_code_cell(body + "\n    ### END SOLUTION",
                                   metadata=_meta(f"{name}_solution", solution=True)))
        cells.append(new_code_cell(test, metadata=_meta(f"test_{name}", grade=True, locked=True,
                                                        points=points)))
    nb = new_notebook(cells=cells)
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def make_course(root):
    """Write ``nbgrader_config.py`` and the toy chapter's source notebook under ``root``."""
    root = Path(root)
    (root / "solutions" / CHAPTER).mkdir(parents=True, exist_ok=True)
    (root / "autograde").mkdir(exist_ok=True)
    shutil.copy(Path(__file__).resolve().parents[2] / "nbgrader_config.py", root / "nbgrader_config.py")
    nbformat.write(source_notebook(), root / "solutions" / CHAPTER / f"{CHAPTER}.ipynb")
    (root / "solutions" / CHAPTER / "hidden_cases.py").write_text(HIDDEN_CASES)
    return root


def fill(release_nb, answers):
    """A submission: the release with ``answers[name]`` as the body of each solution cell
    (names not given keep the stub)."""
    nb = nbformat.from_dict(json.loads(json.dumps(release_nb)))
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
        if grade_id.endswith("_solution") and grade_id[:-9] in answers:
            cell.source = answers[grade_id[:-9]]
    return nb


def cell_with(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
