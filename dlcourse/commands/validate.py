"""``dlcourse validate``: run a notebook and list each exercise as passed or failed."""

import sys
from pathlib import Path

import nbformat

from dlcourse.grading.validate import validate

HELP = "run a notebook and list each graded exercise as passed or failed"
DESCRIPTION = (
    "Run the notebook top to bottom (as the grader will) and list each graded\n"
    "test cell with its points and, when it fails, the check's message.\n"
    "Only the visible tests run here; the grade also counts hidden tests.\n\n"
    "  dlcourse validate course/ch03-regression/ch03-regression.ipynb"
)


def add_arguments(parser):
    parser.add_argument("notebook", type=Path, help="path of the .ipynb to check")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per cell (default 120)")


def run(args):
    path = args.notebook
    if not path.is_file():
        print(f"dlcourse validate: no such notebook: {path}", file=sys.stderr)
        return 2
    try:
        nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises several types for a broken file
        print(f"dlcourse validate: {path} is not a readable notebook: {error}", file=sys.stderr)
        return 2
    results = validate(path, timeout=args.timeout)
    if not results:
        print(f"{path} has no graded test cells")
        return 0
    earned = sum(r.points for r in results)
    total = sum(r.max_points for r in results)
    for r in results:
        mark = "\u2713" if r.passed else "\u2717"
        print(f"{mark} {r.grade_id:<32} {r.points:g}/{r.max_points:g}")
        if r.message and not r.passed:
            print("    " + r.message.replace("\n", "\n    "))
    print(f"visible tests: {earned:g}/{total:g} points")
    return 0 if earned >= total else 1
