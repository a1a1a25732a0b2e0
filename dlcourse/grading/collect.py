"""Bringing submissions into ``autograde/submitted/<student>/<chapter>/<chapter>.ipynb``.

Two sources:

* a **folder or zip** downloaded from a learning-management system: every
  ``.ipynb`` in it (at any depth) is placed under the student id that the
  ``pattern`` (a regular expression with a group named ``student``) finds in
  its path, e.g. Moodle's ``Ada Lovelace_12345_assignsubmission_file_/ch01.ipynb``
  or Canvas's ``lovelaceada_12345_67890_ch01.ipynb``. Files the pattern does
  not match, students with several notebooks, and anything else are listed
  as *unplaced*, never silently dropped.
* nbgrader's **exchange** (JupyterHub): ``nbgrader collect`` is run as it is.
"""

import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from dlcourse.grading.release import nbgrader_command

DEFAULT_PATTERN = r"(?P<student>[A-Za-z0-9][A-Za-z0-9._-]*?)_"


@dataclass
class Collected:
    placed: dict = field(default_factory=dict)    # student -> source name
    unplaced: list = field(default_factory=list)  # (name, reason)


def _entries(source):
    """``[(relative name, bytes loader)]`` of every file in a folder or zip."""
    source = Path(source)
    if source.is_dir():
        return [(str(p.relative_to(source)), p.read_bytes)
                for p in sorted(source.rglob("*")) if p.is_file()]
    if zipfile.is_zipfile(source):
        archive = zipfile.ZipFile(source)
        return [(info.filename, (lambda i=info: archive.read(i)))
                for info in archive.infolist() if not info.is_dir()]
    raise ValueError(f"{source} is neither a folder nor a zip file")


def collect_files(course, chapter, source, pattern=DEFAULT_PATTERN, force=False):
    """Place the notebooks of ``source`` (folder or zip) as submissions of ``chapter``."""
    regex = re.compile(pattern)
    if "student" not in regex.groupindex:
        raise ValueError(f"the pattern {pattern!r} needs a group named 'student', e.g. (?P<student>\\w+)")
    result = Collected()
    found = {}
    for name, load in _entries(source):
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if any(p.startswith((".", "__MACOSX")) for p in parts):
            continue
        if not name.endswith(".ipynb"):
            result.unplaced.append((name, "not a notebook"))
            continue
        match = regex.search(name)
        if not match or not re.fullmatch(r"[A-Za-z0-9._-]+", match.group("student") or ""):
            result.unplaced.append((name, f"no student id matches {pattern!r}"))
            continue
        found.setdefault(match.group("student"), []).append((name, load))
    for student, files in sorted(found.items()):
        if len(files) > 1:
            result.unplaced += [(n, f"{student} has {len(files)} notebooks") for n, _ in files]
            continue
        name, load = files[0]
        target = Path(course.submitted) / student / chapter / f"{chapter}.ipynb"
        if target.exists() and not force:
            result.unplaced.append((name, f"{student} already has a submission (use --force)"))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
            tmp.write(load())
        shutil.move(tmp.name, target)
        result.placed[student] = name
    return result


def collect_exchange(course, chapter):
    """Run ``nbgrader collect`` (JupyterHub exchange); returns its exit status and output."""
    argv, env = nbgrader_command("collect", chapter)
    done = subprocess.run(argv, cwd=course.root, env=env, capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr
