"""Plain sequential ``nbgrader autograde`` against ``dlcourse autograde``, locally and on a
Dask LocalCluster, on a generated class of a real chapter.

Releases the chapter (ch05 by default) in a temporary course, writes a class of
submissions the way the sample class is made (the solution notebook's answers put into
the release: honest work, partly finished work, broken work and untouched stubs), then
grades the same set three times, each in a fresh copy of the course and from the command
line (start-up included): ``nbgrader autograde``, ``dlcourse autograde`` (the local pool, at
its default of twice the cores and at the cluster's number of workers) and ``dlcourse
autograde --cluster local:2`` (a worker grades one submission at a time). Checks that every grade is identical and
prints the times, their ratios and submissions per minute per core; then splits one
submission's time into kernel start, the first code cell (the imports) and the rest.

    python benchmarks/bench_autograde.py [--chapter ch05-backprop] [--students 60] [--cluster-workers 2]
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
from nbclient import NotebookClient
from nbgrader.api import Gradebook

from dlcourse.grading.demo import _solutions
from dlcourse.grading.release import copy_course, nbgrader_command, release

ROOT = Path(__file__).resolve().parents[1]
BROKEN = "raise RuntimeError('my code does not work yet')\n"


def _variant(release_nb, answers, kind):
    """One student's notebook: ``kind`` is honest, partial, broken or stub."""
    nb = nbformat.from_dict(nbformat.reads(nbformat.writes(release_nb), as_version=4))
    ids = [gid for gid in (c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells)
           if gid in answers]
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid not in answers or kind == "stub":
            continue
        if kind == "honest" or (kind == "partial" and ids.index(gid) < len(ids) // 2):
            cell.source = answers[gid]
        elif kind == "broken":
            cell.source = BROKEN + answers[gid]
    return nb


def _grades(root, chapter, students, grade_ids):
    with Gradebook(f"sqlite:///{root / 'autograde' / 'gradebook.db'}") as gradebook:
        return {s: {gid: gradebook.find_grade(gid, chapter, chapter, s).auto_score for gid in grade_ids}
                for s in students}


def _timed(argv, cwd, env=None):
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv[:6])} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return seconds


def _breakdown(notebook, cwd):
    """Seconds of one notebook's kernel start, first code cell (imports) and other cells."""
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, allow_errors=True, resources={"metadata": {"path": str(cwd)}})
    started = time.perf_counter()
    with client.setup_kernel(cwd=str(cwd)):
        kernel = time.perf_counter() - started
        code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        marks = []
        for index, cell in code:
            client.execute_cell(cell, index)
            marks.append(time.perf_counter())
    first = marks[0] - started - kernel
    return kernel, first, marks[-1] - marks[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chapter", default="ch05-backprop")
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--workers", type=int, default=0, help="local pool (default: twice the cores)")
    parser.add_argument("--cluster-workers", type=int, default=2, help="worker processes of the LocalCluster")
    args = parser.parse_args()
    chapter = args.chapter
    with tempfile.TemporaryDirectory() as tmp:
        base = copy_course(ROOT, Path(tmp) / "base", [chapter])
        release(base, [chapter])
        release_nb = nbformat.read(base / "course" / chapter / f"{chapter}.ipynb", as_version=4)
        source_nb = nbformat.read(base / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
        answers = _solutions(source_nb)
        grade_ids = [c.metadata["nbgrader"]["grade_id"] for c in release_nb.cells
                     if c.metadata.get("nbgrader", {}).get("grade")]
        kinds = ["honest", "partial", "honest", "broken", "partial", "stub"]
        students = {f"s{i:03d}": _variant(release_nb, answers, kinds[i % len(kinds)])
                    for i in range(args.students)}
        for student, nb in students.items():
            folder = base / "autograde" / "submitted" / student / chapter
            folder.mkdir(parents=True)
            nbformat.write(nb, folder / f"{chapter}.ipynb")
        runs = {name: Path(tmp) / name for name in ("plain", "pool", "pool_n", "cluster")}
        for folder in runs.values():
            shutil.copytree(base, folder)
        load = os.getloadavg()[0]
        n = args.cluster_workers
        argv, env = nbgrader_command("autograde", chapter)
        ours = [sys.executable, "-m", "dlcourse", "autograde", chapter, "--quiet"]
        times = {"plain": _timed(argv, runs["plain"], env),
                 "pool": _timed([*ours, "--workers", str(args.workers)], runs["pool"]),
                 "pool_n": _timed([*ours, "--workers", str(n)], runs["pool_n"]),
                 "cluster": _timed([*ours, "--cluster", f"local:{n}"], runs["cluster"])}
        grades = {name: _grades(folder, chapter, students, grade_ids) for name, folder in runs.items()}
        same = all(g == grades["plain"] for g in grades.values())
        honest = base / "autograde" / "submitted" / "s000" / chapter / f"{chapter}.ipynb"
        kernel, imports, rest = _breakdown(honest, base / "course" / chapter)
    cores = os.cpu_count()
    print(f"{chapter}: {args.students} submissions, {cores} cores, load average {load:.1f} at the start")
    labels = {"plain": "nbgrader autograde (sequential)", "pool": "dlcourse autograde (local pool)",
              "pool_n": f"dlcourse autograde --workers {n}", "cluster": f"dlcourse autograde --cluster local:{n}"}
    for name, seconds in times.items():
        rate = args.students / (seconds / 60) / cores
        print(f"{labels[name]:<38} {seconds:7.1f} s   {rate:6.1f} submissions/min/core")
    print(f"speed-up over nbgrader: local pool {times['plain'] / times['pool']:.2f}x, "
          f"cluster {times['plain'] / times['cluster']:.2f}x; cluster / local pool "
          f"{times['cluster'] / times['pool']:.2f}, cluster / pool of {n} workers "
          f"{times['cluster'] / times['pool_n']:.2f}   identical grades: {same}")
    print(f"one honest submission: kernel start {kernel:.2f} s, first code cell (imports) "
          f"{imports:.2f} s, the other cells {rest:.2f} s")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
