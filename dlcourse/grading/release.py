"""Generating the student notebooks (``course/``) from the solutions (``solutions/``).

The release is nbgrader's own ``generate_assignment``: it replaces every
``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block by a stub that raises
``NotImplementedError``, removes ``### BEGIN HIDDEN TESTS`` blocks, clears
outputs, locks the test cells and records their checksums in the gradebook
(which is what lets autograding restore a test cell a student deleted).
Every graded test cell and answer cell is then tagged ``raises-exception``, so
that Run All in JupyterLab goes on past a failing test to the end of the chapter,
and the notebook records the kernel's ``language_info`` (nbgrader keeps only its
name), so that JupyterLab has nothing to add and opens it unmodified.
Generation is deterministic, so a stale ``course/`` is detected by
generating afresh and comparing.
"""

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from dlcourse.grading.generate_assignments import RESULT_PREFIX

CHAPTER_PATTERN = re.compile(r"^ch\d\d-[a-z0-9-]+$")
SOURCE_DIR = "solutions"
RELEASE_DIR = "course"
CONTINUE_TAG = "raises-exception"
LANGUAGE_INFO_SCRIPT = ("import json; from ipykernel.ipkernel import IPythonKernel; "
                        "print(json.dumps(IPythonKernel.language_info))")


class ReleaseError(RuntimeError):
    """The release could not be generated; the message says why."""


def find_root(start=None):
    """The course root: the nearest folder at or above ``start`` with ``nbgrader_config.py``."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "nbgrader_config.py").is_file() and (folder / SOURCE_DIR).is_dir():
            return folder
    raise ReleaseError(
        f"no course found at or above {here}: expected a folder with nbgrader_config.py "
        f"and {SOURCE_DIR}/ (run this from the course repository)"
    )


def chapters(root):
    """Chapter ids (``chNN-slug``) that have a source notebook, sorted."""
    source = Path(root) / SOURCE_DIR
    return sorted(
        p.name for p in source.iterdir()
        if p.is_dir() and CHAPTER_PATTERN.match(p.name) and (p / f"{p.name}.ipynb").is_file()
    )


def nbgrader_environment():
    """This process's environment with the interpreter's scripts folder first on PATH, where
    nbgrader's helper programs (alembic) are found."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def nbgrader_command(*args):
    """The argv that runs nbgrader with this interpreter, and its environment."""
    return [sys.executable, "-m", "nbgrader", *args], nbgrader_environment()


def _resolve(root, selected):
    available = chapters(root)
    if not selected:
        if not available:
            raise ReleaseError(f"no chapters found in {Path(root) / SOURCE_DIR}")
        return available
    unknown = [c for c in selected if c not in available]
    if unknown:
        raise ReleaseError(
            f"unknown chapter(s) {', '.join(unknown)}; available: {', '.join(available) or 'none'}"
        )
    return list(selected)


def release(root=None, selected=None, db_url=None):
    """Run ``nbgrader generate_assignment`` for each chapter (all by default).

    Writes ``course/<chapter>/`` and records the chapter in the gradebook.
    Returns the list of chapters released; raises ReleaseError with
    nbgrader's own message on failure.
    """
    root = Path(root) if root else find_root()
    selected = _resolve(root, selected)
    (root / "autograde").mkdir(exist_ok=True)
    results, stderr = _generate(root, selected, db_url)
    for chapter in selected:
        produced = root / RELEASE_DIR / chapter / f"{chapter}.ipynb"
        result = results.get(chapter)
        if result is None or not result["success"] or not produced.is_file():
            raise ReleaseError(f"nbgrader could not release {chapter}:\n{_failure(result, stderr)}")
        _finish_release(produced)
    return selected


def _generate(root, selected, db_url):
    """``({chapter: nbgrader's result}, the child's stderr)`` from one child process running
    ``generate_assignments`` for every selected chapter."""
    argv = [sys.executable, "-m", "dlcourse.grading.generate_assignments",
            *(["--db-url", db_url] if db_url else []), *selected]
    done = subprocess.run(argv, cwd=root, env=nbgrader_environment(), capture_output=True, text=True)
    results = {}
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX):])
            results[result["chapter"]] = result
    return results, done.stderr


_TRACEBACK_LINES = ("Traceback (most recent call last)", "see the the above traceback")


def _failure(result, stderr):
    """nbgrader's error lines for a chapter, or what the child said if it stopped before it."""
    if result is None:
        return stderr[-2000:]
    log = result.get("log", "")
    errors = [line for line in log.splitlines() if ("ERROR" in line or "Error" in line)
              and not any(noise in line for noise in _TRACEBACK_LINES)]
    return "\n".join(errors[-15:]) or (log + result.get("error", ""))[-2000:]


def _may_fail(cell):
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and (meta.get("grade") or meta.get("solution"))


@functools.lru_cache(maxsize=1)
def kernel_language_info():
    """What the course's Python kernel (ipykernel, this interpreter) reports as its
    ``language_info``, the metadata JupyterLab writes into a notebook it opens.

    Asked of a child interpreter: importing ipykernel here would make every later
    ``tqdm.auto`` bar of this process a notebook widget (tqdm detects notebooks that way)."""
    return json.loads(subprocess.run([sys.executable, "-c", LANGUAGE_INFO_SCRIPT], check=True,
                                     capture_output=True, text=True).stdout)


def _finish_release(path):
    """Tag the graded test cells and the answer cells ``raises-exception`` (a failing check
    or an unfinished answer is what the student should see, not a reason for Run All to
    stop before the rest of the chapter) and record the kernel's ``language_info``."""
    notebook = nbformat.read(path, as_version=4)
    for cell in filter(_may_fail, notebook.cells):
        tags = cell.metadata.setdefault("tags", [])
        if CONTINUE_TAG not in tags:
            tags.append(CONTINUE_TAG)
    notebook.metadata.language_info = kernel_language_info()
    nbformat.write(notebook, path)


def _comparable(path):
    notebook = nbformat.read(path, as_version=4)
    cells = [
        (cell.cell_type, cell.source, cell.metadata.get("nbgrader"), cell.metadata.get("tags", []),
         cell.get("outputs", []))
        for cell in notebook.cells
    ]
    # the Python version in language_info is the releasing machine's, not the chapter's
    language = {k: v for k, v in notebook.metadata.get("language_info", {}).items() if k != "version"}
    return cells, notebook.metadata.get("kernelspec"), language


def copy_course(root, target, chapter_ids=None):
    """A new course at ``target``: the nbgrader config and the source of the given
    chapters (all by default) of the course at ``root``; returns ``target``."""
    root, target = Path(root), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / "nbgrader_config.py", target)
    for chapter in chapter_ids or chapters(root):
        shutil.copytree(root / SOURCE_DIR / chapter, target / SOURCE_DIR / chapter)
    return target


def stale_files(root=None):
    """Files of ``course/`` that differ from a fresh release of ``solutions/``.

    Generates the release in a temporary copy of the course (its own
    gradebook) and compares notebooks cell by cell: source, nbgrader
    metadata and outputs; other files byte for byte. Returns a sorted list
    of relative paths (missing, extra or different); empty means in sync.
    """
    root = Path(root) if root else find_root()
    with tempfile.TemporaryDirectory() as tmp:
        copy = copy_course(root, Path(tmp) / "course-copy")
        release(copy, db_url=f"sqlite:///{Path(tmp) / 'gradebook.db'}")
        fresh_dir, current_dir = copy / RELEASE_DIR, root / RELEASE_DIR
        fresh = {p.relative_to(fresh_dir) for p in fresh_dir.rglob("*") if p.is_file()}
        current = (
            {p.relative_to(current_dir) for p in current_dir.rglob("*") if p.is_file()}
            if current_dir.is_dir() else set()
        )
        current = {p for p in current if p.parts[0] in {c for c in chapters(root)} or p.suffix == ".ipynb"}
        differing = sorted(str(p) for p in fresh ^ current)
        for rel in sorted(fresh & current):
            a, b = fresh_dir / rel, current_dir / rel
            same = _comparable(a) == _comparable(b) if rel.suffix == ".ipynb" else a.read_bytes() == b.read_bytes()
            if not same:
                differing.append(str(rel))
        return sorted(differing)
