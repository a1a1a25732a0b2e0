"""Execution time of every chapter notebook, top to bottom, as a table.

    .venv/bin/python benchmarks/notebook_times.py [--release] [chapter ...]

Runs each solution notebook (or, with --release, each student notebook, whose
stubs raise inside their own cells) in a fresh kernel and prints the wall time.
Printed, never asserted: the goal is every chapter in well under 30 seconds.
"""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")

from dlcourse.grading.release import chapters  # noqa: E402
from dlcourse.grading.validate import execute  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", action="store_true", help="time course/ instead of solutions/")
    parser.add_argument("chapter", nargs="*",
                        help="only the chapters whose name starts with one of these (e.g. ch03); default: all")
    args = parser.parse_args()
    folder = "course" if args.release else "solutions"
    selected = [c for c in chapters(ROOT) if not args.chapter or c.startswith(tuple(args.chapter))]
    if not selected:
        parser.error(f"no chapter starts with {' or '.join(args.chapter)}")
    rows = []
    for chapter in selected:
        path = ROOT / folder / chapter / f"{chapter}.ipynb"
        notebook, seconds = execute(path)
        errors = sum(o.output_type == "error" for c in notebook.cells for o in c.get("outputs", []))
        rows.append((chapter, seconds, len(notebook.cells), errors))
    print(f"{'chapter':<28}{'seconds':>9}{'cells':>7}{'errors':>8}   ({folder}/)")
    for chapter, seconds, cells, errors in rows:
        print(f"{chapter:<28}{seconds:>9.1f}{cells:>7}{errors:>8}")
    print(f"{'total':<28}{sum(r[1] for r in rows):>9.1f}")


if __name__ == "__main__":
    main()
