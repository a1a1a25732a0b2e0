"""Handing chapters out and in through nbgrader's exchange, the shared folder of a JupyterHub.

nbgrader's exchange is one folder every user of the hub can reach (``Exchange.root``,
nbgrader's default ``/usr/local/share/nbgrader/exchange``), with a folder per course id:

* ``<root>/<course>/outbound/<chapter>/``: a release, copied there by
  ``nbgrader release_assignment`` (:func:`publish`); students fetch it from the
  Assignment List (``nbgrader fetch_assignment``);
* ``<root>/<course>/inbound/<student>+<chapter>+<timestamp>+<random>/``: what a student
  handed in (``nbgrader submit``), with its ``timestamp.txt`` and ``submission_secret.txt``;
* ``<root>/<course>/feedback/<hash>.html``: a feedback page, its name made from the
  submission's secret (``nbgrader release_feedback``, :func:`release_feedback`), which
  only the student who handed it in can find (``nbgrader fetch_feedback``).

The commands are nbgrader's own, run with the root and course id given here (or the
ones the instructor's nbgrader configuration sets). What comes in from the exchange is
not trusted any more than a download: the inbound folder is writable by every student, so
:func:`collect` lets nbgrader pick each student's latest submission into a scratch folder
with :class:`LinkSafeCollect` (symbolic links are copied as links, never followed, and a
student id that is not one is refused), then places the notebooks with
:func:`dlcourse.grading.collect.collect_files` and its rules (no links, size caps, ids in
NFC, no two ids differing only in case, an existing submission kept unless ``force``).
"""

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import ignore_patterns

from dlcourse.grading.collect import MAX_NOTEBOOK_BYTES, collect_files, student_id
from dlcourse.grading.release import nbgrader_command

NBGRADER_DEFAULT_ROOT = "/usr/local/share/nbgrader/exchange"
SUBMISSION_FILES = ("timestamp.txt", "submission_secret.txt")  # what nbgrader submit adds
SUBMISSION_FILE_BYTES = 4096
SAFE_COLLECT = "dlcourse.grading.exchange.LinkSafeCollect"
# ``nbgrader ARGS`` as ``python -c NBGRADER ARGS``: nbgrader's own main, with the optional
# ``rfc3987_syntax`` marked absent (jsonschema compiles its IRI grammar at import, seconds
# per command, for formats no notebook uses; see dlcourse.cli).
NBGRADER = ("import sys; sys.modules.setdefault('rfc3987_syntax', None); "
            "from nbgrader.apps.nbgraderapp import main; sys.exit(main())")


class ExchangeError(RuntimeError):
    """The exchange cannot be used as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Exchange:
    """Where the exchange is and the course's name in it."""

    root: Path
    course_id: str

    @property
    def course(self):
        return self.root / self.course_id

    def arguments(self):
        """nbgrader's command-line options that select this exchange and course."""
        return [f"--Exchange.root={self.root}", f"--CourseDirectory.course_id={self.course_id}"]


def configured(course_root):
    """``(Exchange.root, CourseDirectory.course_id)`` as nbgrader run in ``course_root`` sees
    them: the Jupyter config folders (the hub's system-wide file included), then the
    course's own ``nbgrader_config.py``, the last one read winning as in nbgrader."""
    from nbgrader.apps.baseapp import NbGrader
    from traitlets.config.loader import Config, PyFileConfigLoader

    config = Config()
    searched = NbGrader().config_file_paths  # nbgrader's own list, the first one winning
    for folder in [*reversed(searched), str(course_root)]:
        path = Path(folder) / "nbgrader_config.py"
        if path.is_file():
            config.merge(PyFileConfigLoader(path.name, str(path.parent)).load_config())
    root = config.Exchange.get("root", NBGRADER_DEFAULT_ROOT)
    return root, config.CourseDirectory.get("course_id", "")


def resolve(course_root, root=None, course_id=None):
    """The :class:`Exchange` from the options given, else from the configuration; raises
    :class:`ExchangeError` when its folder is missing or not usable by this user."""
    config_root, config_course = configured(course_root)
    folder = Path(root or config_root).expanduser()
    course_id = course_id or config_course
    if not course_id:
        raise ExchangeError("no course id: pass --course-id or set CourseDirectory.course_id "
                            "in nbgrader_config.py")
    if "/" in course_id or course_id.startswith(".") or "+" in course_id:
        raise ExchangeError(f"the course id {course_id!r} cannot name a folder of the exchange")
    if not folder.is_dir():
        raise ExchangeError(
            f"the exchange folder {folder} does not exist: create it once for everyone on the hub "
            f"(sudo mkdir -p {folder} && sudo chmod 777 {folder}), or pass --exchange-root "
            "(or set Exchange.root in nbgrader_config.py)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExchangeError(f"the exchange folder {folder} is not writable by this user: "
                            f"sudo chmod 777 {folder}")
    return Exchange(folder.resolve(), course_id)


def _released_courses(exchange, chapter):
    """The course ids under which ``chapter`` is in the exchange's outbound folder."""
    try:
        return sorted(p.name for p in exchange.root.iterdir()
                      if (p / "outbound" / chapter).is_dir())
    except OSError:
        return []


def require_released(exchange, chapter):
    """Raise :class:`ExchangeError` unless ``chapter`` was released under the exchange's course."""
    if (exchange.course / "outbound" / chapter).is_dir():
        return
    elsewhere = _released_courses(exchange, chapter)
    if elsewhere:
        raise ExchangeError(
            f"{chapter} is not in the exchange under the course id {exchange.course_id!r}, but it is "
            f"under {', '.join(map(repr, elsewhere))}: pass --course-id {elsewhere[0]} (or change "
            "CourseDirectory.course_id) so that it names the course the students use")
    raise ExchangeError(f"{chapter} was never released to the exchange {exchange.root} under "
                        f"the course id {exchange.course_id!r}: run `dlcourse release {chapter} "
                        "--exchange` first")


def nbgrader_argv(*args):
    """The command line that runs ``nbgrader ARGS`` with this interpreter (see :data:`NBGRADER`)."""
    return [sys.executable, "-c", NBGRADER, *args]


def _run_nbgrader(course_root, *args):
    _, env = nbgrader_command()
    done = subprocess.run(nbgrader_argv(*args), cwd=course_root, env=env, capture_output=True,
                          text=True)
    return done.returncode, done.stdout + done.stderr


def quiet(output):
    """nbgrader's log without its INFO lines (what it copied where): warnings and errors."""
    lines = output.splitlines(keepends=True)
    return "".join(line for line in lines if "| INFO]" not in line and " INFO | " not in line)


def _fail_unless_ok(status, output, what):
    if status != 0:
        errors = [line for line in output.splitlines() if "ERROR" in line or "CRITICAL" in line]
        raise ExchangeError(f"nbgrader could not {what}:\n" + "\n".join(errors[-10:] or [output[-2000:]]))


def publish(course_root, exchange, chapter):
    """Copy ``course/<chapter>/`` to the exchange (``nbgrader release_assignment --force``:
    a chapter released again replaces the copy there; students who fetched keep theirs)."""
    status, output = _run_nbgrader(course_root, "release_assignment", chapter, "--force",
                                   *exchange.arguments())
    _fail_unless_ok(status, output, f"release {chapter} to the exchange")
    return exchange.course / "outbound" / chapter


class LinkSafeCollect(ExchangeCollect):
    """nbgrader's collect (the latest submission of each student, due dates, ``--update``),
    except that a student's symbolic link is copied as a link, not followed (the grader's
    account must not read, for a student, what a link points at), and a submission whose
    student id cannot be a folder name, or that is not a folder, is left where it is."""

    def init_src(self):
        super().init_src()
        kept = []
        for record in self.src_records:
            path = os.path.join(self.inbound_path, record["filename"])
            try:
                student_id(record["username"])
            except ValueError as error:
                self.log.warning("Refused %s: %s", record["filename"], error)
                continue
            if os.path.islink(path) or not os.path.isdir(path):
                self.log.warning("Refused %s: not a folder (a symbolic link is never followed)",
                                 record["filename"])
                continue
            kept.append(record)
        self.src_records = kept

    def do_copy(self, src, dest, log=None):
        size = self.get_size(src)
        if size > 1000 * self.coursedir.max_dir_size:
            self.log.warning("Refused %s: %d bytes, more than CourseDirectory.max_dir_size", src, size)
            return
        shutil.copytree(src, dest, symlinks=True,
                        ignore=ignore_patterns(exclude=self.coursedir.ignore,
                                               include=self.coursedir.include,
                                               max_file_size=self.coursedir.max_file_size,
                                               log=self.log))


def _copy_submission_files(staged, target):
    """Copy nbgrader's ``timestamp.txt`` and ``submission_secret.txt`` (regular small files
    only) from the staged submission to the placed one: autograde reads the time, and the
    secret names the feedback page only the student can fetch."""
    for name in SUBMISSION_FILES:
        source = staged / name
        if source.is_file() and not source.is_symlink() and source.stat().st_size <= SUBMISSION_FILE_BYTES:
            shutil.copyfile(source, target / name)


def collect(course, exchange, chapter, force=False, max_bytes=MAX_NOTEBOOK_BYTES):
    """Collect ``chapter`` from the exchange into ``submitted/``; returns
    ``(Collected, nbgrader's output)``. See the module's docstring for the rules."""
    require_released(exchange, chapter)
    inbound = exchange.course / "inbound"
    if not os.access(inbound, os.R_OK | os.X_OK):
        raise ExchangeError(f"{inbound} is not readable by this user: collect as the instructor "
                            "who released the chapter")
    course.state.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="exchange-", dir=course.state) as scratch:
        staging = Path(scratch) / "submitted"
        staging.mkdir()
        status, output = _run_nbgrader(
            course.root, "collect", chapter, *exchange.arguments(),
            f"--CourseDirectory.submitted_directory={staging}",
            f"--ExchangeFactory.collect={SAFE_COLLECT}")
        _fail_unless_ok(status, output, f"collect {chapter} from the exchange")
        pattern = rf"^(?P<student>[^/]+)/{chapter}/[^/]+\.ipynb$"
        result = collect_files(course, chapter, staging, pattern, force, max_bytes=max_bytes)
        for student in result.placed:
            _copy_submission_files(staging / student / chapter, course.submitted / student / chapter)
        expected = {f"{chapter}/{name}" for name in SUBMISSION_FILES}
        result.unplaced = [(name, why) for name, why in result.unplaced
                           if name.split("/", 1)[-1] not in expected]
    return result, output


def release_feedback(course, exchange, chapter, students=None):
    """Put each feedback page of ``chapter`` (``dlcourse feedback``) in the exchange, named
    as ``nbgrader fetch_feedback`` looks for it: only students whose submission came through
    the exchange (it holds their submission secret) can fetch one. Returns
    ``(students released, students without a secret, nbgrader's output)``."""
    require_released(exchange, chapter)
    released, without = [], []
    folders = sorted(Path(course.feedback).glob(f"*/{chapter}/{chapter}.html"))
    for page in folders:
        student = page.parent.parent.name
        if students and student not in students:
            continue
        submitted = course.submitted / student / chapter
        if not all((submitted / name).is_file() for name in SUBMISSION_FILES):
            without.append(student)
            continue
        for name in SUBMISSION_FILES:
            shutil.copyfile(submitted / name, page.parent / name)
        released.append(student)
    skipped = sorted({p.parent.parent.name for p in folders} - set(released))
    if not released:
        return released, without, ""
    args = ["release_feedback", chapter, *exchange.arguments()]
    if skipped:
        args.append(f"--CourseDirectory.student_id_exclude={','.join(skipped)}")
    status, output = _run_nbgrader(course.root, *args)
    _fail_unless_ok(status, output, f"release the feedback of {chapter} to the exchange")
    return released, without, output
