"""Plain sequential ``nbgrader autograde`` against ``dlcourse autograde`` on 20 submissions.

Builds a toy course in a temporary folder, releases it, writes 20 honest
submissions (correct, partly correct and unfinished work), then grades the
same set twice, each in a fresh copy of the course and from the command
line (start-up included): once with ``nbgrader autograde`` and once with
``dlcourse autograde``. Checks that every grade is identical and prints both
wall-clock times and their ratio.

    python benchmarks/bench_autograde.py [--students 20] [--workers 0]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from dlcourse.grading import toy
from dlcourse.grading.release import nbgrader_command, release

CH = toy.CHAPTER


def _class(release_nb, count):
    variants = [
        toy.SOLUTIONS,
        {**toy.SOLUTIONS, "relu": "def relu(x):\n    return x"},
        {"sigmoid": toy.SOLUTIONS["sigmoid"]},
        {},
        {**toy.SOLUTIONS, "total": "def total(x):\n    return float(np.prod(x))"},
    ]
    return {f"s{i:03d}": toy.fill(release_nb, variants[i % len(variants)]) for i in range(count)}


def _grades(root, students):
    with Gradebook(f"sqlite:///{root / 'autograde' / 'gradebook.db'}") as gradebook:
        return {s: {gid: gradebook.find_grade(gid, CH, CH, s).auto_score
                    for gid in ("test_sigmoid", "test_relu", "test_total")} for s in students}


def _timed(argv, cwd, env=None):
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv[:4])} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--workers", type=int, default=0, help="dlcourse workers (default: cores)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = toy.make_course(Path(tmp) / "base")
        release(base, [CH])
        release_nb = nbformat.read(base / "course" / CH / f"{CH}.ipynb", as_version=4)
        students = _class(release_nb, args.students)
        for student, nb in students.items():
            folder = base / "autograde" / "submitted" / student / CH
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{CH}.ipynb")
        plain, ours = Path(tmp) / "plain", Path(tmp) / "ours"
        shutil.copytree(base, plain)
        shutil.copytree(base, ours)

        argv, env = nbgrader_command("autograde", CH)
        t_plain = _timed(argv, plain, env)
        t_ours = _timed([sys.executable, "-m", "dlcourse", "autograde", CH, "--quiet",
                         "--workers", str(args.workers)], ours)
        same = _grades(plain, students) == _grades(ours, students)
    print(f"{args.students} submissions, {os.cpu_count()} cores")
    print(f"nbgrader autograde (sequential): {t_plain:7.1f} s")
    print(f"dlcourse autograde (parallel):   {t_ours:7.1f} s   (includes the answer-key run)")
    print(f"speed-up: {t_plain / t_ours:.2f}x   identical grades: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
