"""Bringing submissions into ``autograde/submitted/<student>/<chapter>/<chapter>.ipynb``.

Two sources:

* a **folder or zip** downloaded from a learning-management system: every
  ``.ipynb`` in it (at any depth) is placed under the student id found in its
  path. By default (:data:`DEFAULT_PATTERNS`, tried in order) that is
  ``<student>.ipynb``, ``<student>/<anything>.ipynb``, or the id before the
  first ``_`` of an LMS name, e.g. Moodle's
  ``Ada Lovelace_12345_assignsubmission_file_/ch01.ipynb`` (``Lovelace``) or
  Canvas's ``lovelaceada_12345_67890_ch01.ipynb`` (``lovelaceada``); a
  ``pattern`` (a regular expression with a group named ``student``) replaces
  them. Files the pattern does not match, students with several notebooks,
  and anything else are listed as *unplaced* with the reason, never silently
  dropped.
* nbgrader's **exchange** (JupyterHub): see :mod:`dlcourse.grading.exchange`, which
  places what ``nbgrader collect`` brings in with :func:`collect_files`.

A download is not trusted: symbolic links are never followed (in a folder, or
zip entries whose mode says link), paths that are absolute or climb out with
``..`` are refused, a notebook may not expand past ``max_bytes`` (zip members
are read in a streaming way, so a zip bomb costs no memory), nor the whole
download past ``max_total`` or ``max_entries``. Student ids are kept exactly
as written, in Unicode normal form NFC (``José`` typed on a Mac and on Linux
is one student; ``jose`` is another); an id that is empty, starts with a dot,
holds anything but letters, digits, ``_``, ``.`` and ``-``, or differs from
another only in case (one folder on a case-insensitive disk) is refused.
An existing submission is kept unless ``force``.
"""

import os
import re
import stat
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

DEFAULT_PATTERN = r"(?P<student>[^\W_][\w.-]*?)_"
"""The LMS form: the id before the first ``_`` of a path component."""
DEFAULT_PATTERNS = (
    r"^(?P<student>[^/_]+)\.ipynb$",          # <student>.ipynb
    r"^(?P<student>[^/_]+)/[^/]+\.ipynb$",     # <student>/<anything>.ipynb
    DEFAULT_PATTERN,                           # Moodle, Canvas
)
MAX_NOTEBOOK_BYTES = 20 * 2**20
MAX_TOTAL_BYTES = 2 * 2**30
MAX_ENTRIES = 10_000
_CHUNK = 2**20
_ID = re.compile(r"[\w.-]+")


class TooLarge(Exception):
    pass


@dataclass
class Collected:
    placed: dict = field(default_factory=dict)    # student -> source name
    unplaced: list = field(default_factory=list)  # (name, reason)


@dataclass
class _Entry:
    name: str           # relative, with "/" between parts
    size: int           # as declared (a zip's header may lie: reading checks again)
    open: object        # () -> binary file object


def _folder_entries(source, result, max_entries):
    entries, count = [], 0
    stack = [(source, "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as listing:
            items = sorted(listing, key=lambda e: e.name)
        for item in items:
            name = prefix + item.name
            count += 1
            if count > max_entries:
                result.unplaced.append((name, f"over the limit of {max_entries} entries: not read"))
                return entries
            if item.is_symlink():
                result.unplaced.append((name, "a symbolic link (never followed)"))
            elif item.is_dir(follow_symlinks=False):
                stack.append((item.path, name + "/"))
            elif item.is_file(follow_symlinks=False):
                entries.append(_Entry(name, item.stat(follow_symlinks=False).st_size,
                                      lambda p=item.path: open(p, "rb", buffering=0)))
            else:
                result.unplaced.append((name, "not a regular file"))
    return entries


def _zip_entry_count(path):
    """The number of entries a zip's end record declares (before reading its directory)."""
    try:
        with open(path, "rb") as f:
            end = zipfile._EndRecData(f)
        return end[zipfile._ECD_ENTRIES_TOTAL] if end else None
    except (OSError, AttributeError, IndexError):
        return None


def _zip_entries(source, result, max_entries):
    declared = _zip_entry_count(source)
    if declared is not None and declared > max_entries:
        raise ValueError(f"{source} holds {declared} entries, over the limit of {max_entries}")
    archive = zipfile.ZipFile(source)
    entries = []
    for count, info in enumerate(archive.infolist(), 1):
        name = info.filename
        if count > max_entries:
            result.unplaced.append((name, f"over the limit of {max_entries} entries: not read"))
            break
        if info.is_dir():
            continue
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            result.unplaced.append((name, "a symbolic link (never followed)"))
        elif mode and not stat.S_ISREG(mode) and stat.S_IFMT(mode):
            result.unplaced.append((name, "not a regular file"))
        else:
            entries.append(_Entry(name, info.file_size, lambda i=info: archive.open(i)))
    return entries


def _unsafe(name):
    """Why ``name`` (a path inside the download) may not be used, or None."""
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "an absolute path (refused)"
    if ".." in re.split(r"[/\\]", name):
        return "a path that climbs out with '..' (refused)"
    return None


def student_id(raw):
    """``raw`` in NFC, or raise ValueError saying why it cannot be a student's folder."""
    sid = unicodedata.normalize("NFC", raw or "")
    if not sid:
        raise ValueError("an empty student id")
    if sid.startswith("."):
        raise ValueError(f"the student id {sid!r} starts with a dot")
    if "/" in sid or "\\" in sid or "\0" in sid:
        raise ValueError(f"the student id {sid!r} holds a path separator")
    if not _ID.fullmatch(sid):
        raise ValueError(f"the student id {sid!r} holds characters other than letters, digits, "
                         "'_', '.' and '-'")
    return sid


def _find_student(name, regexes):
    """(student id, None) or (None, reason) for the notebook ``name``."""
    for regex in regexes:
        match = regex.search(name)
        if match and match.group("student") is not None:
            try:
                return student_id(match.group("student")), None
            except ValueError as error:
                return None, str(error)
    shown = " or ".join(repr(r.pattern) for r in regexes)
    return None, f"no student id matches {shown}"


def _copy_capped(entry, target_dir, max_bytes, budget):
    """Stream ``entry`` into a temporary file in ``target_dir``; returns (path, bytes).
    Raises TooLarge past ``max_bytes`` or the ``budget`` left for the download."""
    cap = min(max_bytes, budget)
    written = 0
    fd, tmp = tempfile.mkstemp(dir=target_dir, prefix=".collect-")
    try:
        with entry.open() as src, os.fdopen(fd, "wb") as dst:
            while True:
                chunk = src.read(min(_CHUNK, cap + 1 - written))
                if not chunk:
                    break
                written += len(chunk)
                if written > cap:
                    raise TooLarge(cap)
                dst.write(chunk)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp, written


def _too_large(per_notebook, max_bytes, max_total):
    if per_notebook:
        return f"expands to more than {max_bytes} bytes (the limit per notebook)"
    return f"refused: the download's notebooks expand to more than {max_total} bytes in all"


def collect_files(course, chapter, source, pattern=None, force=False, *,
                  max_bytes=MAX_NOTEBOOK_BYTES, max_total=MAX_TOTAL_BYTES,
                  max_entries=MAX_ENTRIES):
    """Place the notebooks of ``source`` (folder or zip) as submissions of ``chapter``."""
    patterns = DEFAULT_PATTERNS if pattern is None else (pattern,)
    regexes = [re.compile(p) for p in patterns]
    for regex in regexes:
        if "student" not in regex.groupindex:
            raise ValueError(f"the pattern {regex.pattern!r} needs a group named 'student', "
                             "e.g. (?P<student>\\w+)")
    result = Collected()
    source = Path(source)
    if source.is_dir():
        entries = _folder_entries(source, result, max_entries)
    elif zipfile.is_zipfile(source):
        entries = _zip_entries(source, result, max_entries)
    else:
        raise ValueError(f"{source} is neither a folder nor a zip file")

    found = {}
    for entry in entries:
        name = entry.name
        why = _unsafe(name)
        if why:
            result.unplaced.append((name, why))
            continue
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if any(p.startswith((".", "__MACOSX")) for p in parts):
            result.unplaced.append((name, "a hidden or system file (skipped)"))
            continue
        if not name.endswith(".ipynb"):
            result.unplaced.append((name, "not a notebook"))
            continue
        student, why = _find_student(name.replace("\\", "/"), regexes)
        if student is None:
            result.unplaced.append((name, why))
            continue
        found.setdefault(student, []).append(entry)

    submitted = Path(course.submitted)
    folders = {}  # casefolded id -> the ids (new and already there) that share it
    if submitted.is_dir():
        for existing in submitted.iterdir():
            nfc = unicodedata.normalize("NFC", existing.name)
            folders.setdefault(nfc.casefold(), set()).add(nfc)
    for student in found:
        folders.setdefault(student.casefold(), set()).add(student)

    budget = max_total
    for student, files in sorted(found.items()):
        if len(files) > 1:
            result.unplaced += [(e.name, f"{student} has {len(files)} notebooks") for e in files]
            continue
        entry = files[0]
        twins = sorted(folders[student.casefold()] - {student})
        if twins:
            result.unplaced.append((entry.name, f"the id {student!r} differs only in case from "
                                    f"{', '.join(map(repr, twins))} (one folder on some disks)"))
            continue
        target = submitted / student / chapter / f"{chapter}.ipynb"
        if target.exists() and not force:
            result.unplaced.append((entry.name, f"{student} already has a submission (use --force)"))
            continue
        if entry.size > max_bytes or entry.size > budget:
            result.unplaced.append((entry.name, _too_large(entry.size > max_bytes, max_bytes,
                                                           max_total)))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            tmp, size = _copy_capped(entry, target.parent, max_bytes, budget)
        except TooLarge:
            result.unplaced.append((entry.name, _too_large(budget >= max_bytes, max_bytes,
                                                           max_total)))
            continue
        except (OSError, zipfile.BadZipFile, EOFError) as error:
            result.unplaced.append((entry.name, f"could not be read: {error}"))
            continue
        budget -= size
        os.replace(tmp, target)
        result.placed[student] = entry.name
    return result

