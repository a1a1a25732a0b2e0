"""Grading every submission of a chapter: several at once, each in isolation, resumable.

The steps for one chapter::

    submitted/<student>/<chapter>/<chapter>.ipynb
        -> prepare (this process: read, repair with nbgrader's preprocessors, scan)
        -> run      (a forked worker per submission, its kernel in the sandbox; the test
                     cells replaced by probes that return the student's answers as data)
        -> judge    (the worker, outside the kernel: each test cell's own code on those
                     answers, against the grader's reference)
        -> save     (this process alone writes the gradebook, one transaction each)
        -> autograded/<student>/<chapter>/<chapter>.ipynb

At most ``workers`` submissions run at the same time. A worker that outlives
its notebook's time limit by more than a grace period is killed with its
kernel. Grading stops and resumes cleanly: a submission whose result is in
the gradebook is skipped unless ``force`` is given.
"""

import contextlib
import fcntl
import hashlib
import hmac
import json
import multiprocessing
import os
import secrets
import shutil
import tempfile
import textwrap
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

import nbformat
from tqdm import tqdm

from dlcourse.checks.core import HIDDEN_FILE
from dlcourse.grading import gradebook as store
from dlcourse.grading import judge, sandbox, similarity
from dlcourse.grading.sanitize import SourceCells, Unreadable, prepare
from dlcourse.grading.worker import Task, task_fields, worker_main

GRACE_SECONDS = 30.0
SCRATCH_PREFIX = "dlcourse-grading-"
EXTRA_FILES_LIMIT = 50 * 2**20  # bytes of a student's own extra files copied to the working copy
KEY_TASK = ".answer-key"  # the reference solution's run (no student id starts with a dot)
STARTUP_SECONDS = 60.0  # a kernel's start and the library's imports, in the notebook's budget
KEY_CELL_SECONDS = 120.0  # per cell of the answer key (the solution notebook), at least
DEFAULT_MEMORY_MB = 2048


class GradingError(RuntimeError):
    """Grading cannot start; the message says what to do."""


@dataclass
class Course:
    """The folders of a course (the layout of ``nbgrader_config.py``)."""

    root: Path

    def __post_init__(self):
        self.root = Path(self.root).resolve()

    source = property(lambda self: self.root / "solutions")
    release = property(lambda self: self.root / "course")
    submitted = property(lambda self: self.root / "autograde" / "submitted")
    autograded = property(lambda self: self.root / "autograde" / "autograded")
    feedback = property(lambda self: self.root / "autograde" / "feedback")
    reports = property(lambda self: self.root / "autograde" / "reports")
    state = property(lambda self: self.root / "autograde" / ".grading")
    db_path = property(lambda self: self.root / "autograde" / "gradebook.db")

    @property
    def lock_path(self):
        return self.state / "autograde.lock"

    @property
    def db_url(self):
        return f"sqlite:///{self.db_path}"


@dataclass
class Options:
    workers: int = 0             # 0: twice the cores (a kernel spends much of its time waiting)
    timeout: float = None        # None: every cell's limit plus start-up (see notebook_timeout)
    cell_timeout: float = 30.0
    memory_mb: int = DEFAULT_MEMORY_MB
    output_cap: int = 256 * 1024
    notebook_output_cap: int = 4 * 2**20
    force: bool = False
    isolate: bool = None         # None: wherever the system allows it
    progress: bool = True
    cluster: object = None       # a cluster.Address: grade on Dask instead of local processes

    def __post_init__(self):
        limits = {"workers": (self.workers, 0), "timeout": (1 if self.timeout is None else self.timeout, 1),
                  "cell_timeout": (self.cell_timeout, 1), "memory_mb": (self.memory_mb, 256),
                  "output_cap": (self.output_cap, 1024),
                  "notebook_output_cap": (self.notebook_output_cap, 1024)}
        for name, (value, least) in limits.items():
            if value < least:
                raise GradingError(f"{name} must be at least {least}, got {value}")


@dataclass
class Run:
    """What one ``autograde`` run did."""

    chapter: str
    outcomes: list = field(default_factory=list)
    skipped: list = field(default_factory=list)   # already graded
    isolated: bool = False
    seconds: float = 0.0
    review: similarity.ClassReview = None  # alike solution cells, for review

    @property
    def failed(self):
        return [o for o in self.outcomes if not o.gradeable]


# -- finding submissions -----------------------------------------------------------------


def find_submissions(course, chapter, students=None):
    """``[(student, notebook path or None, flags)]`` for every submission folder of ``chapter``."""
    found = []
    if not course.submitted.is_dir():
        return found
    for folder in sorted(course.submitted.iterdir()):
        if not folder.is_dir() or folder.name.startswith(".") or (students and folder.name not in students):
            continue
        chapter_dir = folder / chapter
        if not chapter_dir.is_dir():
            continue
        expected = chapter_dir / f"{chapter}.ipynb"
        if expected.is_file():
            found.append((folder.name, expected, []))
            continue
        others = sorted(chapter_dir.glob("*.ipynb"))
        if len(others) == 1:
            found.append((folder.name, others[0],
                          [f"the notebook is named {others[0].name}, expected {expected.name}"]))
        else:
            found.append((folder.name, None, [f"no {expected.name} in the submission"]))
    return found


def _timestamp(folder):
    return store.submission_timestamp(folder)


# -- running -----------------------------------------------------------------------------


class _Slot:
    def __init__(self, process, task, started, findings, flags, path):
        self.process, self.task, self.started = process, task, started
        self.findings, self.flags, self.path = findings, flags, path


def _zero(gradebook, student, chapter, status, flags, error=""):
    cells = [store.CellGrade(gid, 0.0, points, error, "fail")
             for gid, points in store.assignment_cells(gradebook, chapter)]
    return store.Outcome(student, chapter, status, cells, flags, error)


def _copy_extras(folder, work, limit=None, skip=()):
    """Copy the student's own files of ``folder`` into ``work`` (up to ``limit`` bytes): not
    notebooks, not symlinks or what lies behind one, not hidden files or folders (a
    ``.ipython`` folder would add startup scripts). A helper module the notebook imports is
    copied: it runs only in the student's own kernel, which decides no grade."""
    total = 0
    for extra in sorted(folder.rglob("*")):
        parts = extra.relative_to(folder).parts
        if (extra.is_symlink() or not extra.is_file() or extra.suffix in (".ipynb", ".pth")
                or extra.name in skip
                or any(part.startswith(".") or part == "__pycache__" for part in parts)
                or any(parent.is_symlink() for parent in extra.parents if folder in parent.parents)):
            continue
        total += extra.stat().st_size
        if limit is not None and total > limit:
            break
        target = work / extra.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(extra, target)


def _remove_stale_scratch():
    """Delete working copies left by a grader that was killed (its process is gone)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        pid = folder.name[len(SCRATCH_PREFIX):].split("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Grader:
    """Grades the submissions of one chapter; see :func:`autograde`."""

    def __init__(self, course, chapter, options):
        self.course, self.chapter, self.options = course, chapter, options
        self.workers = options.workers or 2 * (os.cpu_count() or 1)
        self.isolate = sandbox.isolation_available() if options.isolate is None else options.isolate
        self.context = multiprocessing.get_context("fork")
        release = course.release / chapter / f"{chapter}.ipynb"
        if not release.is_file():
            raise GradingError(f"{release} does not exist: run `dlcourse release {chapter}` first")
        self.release_nb = nbformat.read(release, as_version=4)
        _remove_stale_scratch()
        self.scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))

    # a task's private folder: work/ (the kernel's) and the worker's result files
    def _new_task(self, student, notebook, name="submission.ipynb", submitted=None, plans=None,
                  seeds=()):
        """A private folder: ``work/`` (the kernel's working copy: the student's extra files,
        then the chapter's own files over them, as nbgrader does) and the worker's results.

        Each test cell of ``notebook`` is replaced in the working copy: with ``plans`` (a
        student's run) by a probe of the answer key's plan, else (the answer key's run) by
        the test wrapped in a recording. The test's own code stays in the task, which the
        kernel never sees."""
        taskdir = self.scratch / student
        work = taskdir / "work"
        work.mkdir(parents=True)
        if submitted is not None:
            _copy_extras(submitted, work, limit=EXTRA_FILES_LIMIT)
        # the answer key reads the hidden cases in its kernel; a student's kernel never has them
        _copy_extras(self.course.source / self.chapter, work,
                     skip=() if plans is None else (HIDDEN_FILE,))
        seed = 0 if plans is None else self.seed(student)
        notebook = nbformat.from_dict(json.loads(json.dumps(notebook)))
        token = secrets.token_hex(16)
        tests = {}
        for index, cell in enumerate(notebook.cells):
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or not meta.get("grade"):
                continue
            grade_id = meta["grade_id"]
            plan = None if plans is None else _plan_for(plans[grade_id], seed)
            tests[str(index)] = {"grade_id": grade_id, "source": cell.source,
                                 "points": float(meta.get("points", 0)), "plan": plan}
            if plans is None:
                cell.source = judge.recording_source(cell.source, token, seeds)
            else:
                cell.source = judge.probe_source(plan, token)
            cell.outputs = []
        nbformat.write(notebook, work / name)
        hide = [str(self.course.root), str(self.scratch), tempfile.gettempdir(),
                os.path.expanduser("~")]
        if self.course.root.parent != Path(self.course.root.anchor):
            hide.append(str(self.course.root.parent))  # e.g. other courses beside this one
        timeout = self.notebook_timeout(notebook)
        cell_timeout = min(self.options.cell_timeout, timeout)
        if plans is None:
            # The answer key is the instructor's own notebook, run once: the students' limits
            # guard the machine against their code and must not fail it on a busy machine.
            cell_timeout = max(cell_timeout, KEY_CELL_SECONDS)
            timeout = max(timeout, self.notebook_timeout(notebook, KEY_CELL_SECONDS))
        return Task(student=student, chapter=self.chapter, taskdir=str(taskdir), notebook=name,
                    timeout=timeout, cell_timeout=cell_timeout,
                    memory_mb=self.options.memory_mb, output_cap=self.options.output_cap,
                    notebook_output_cap=self.options.notebook_output_cap,
                    isolate=self.isolate, hide=hide, expose=sandbox.runtime_folders(),
                    mode="key" if plans is None else "student", token=token, tests=tests,
                    hidden_path=str(self.course.source / self.chapter / HIDDEN_FILE), seed=seed)

    def seed(self, student):
        """The student's grading seed: from the course secret and the student's id, so their
        hidden random cases are their own and the same at every regrade."""
        if getattr(self, "_secret", None) is None:
            self._secret = _course_secret(self.course)
        message = f"{self.chapter}\0{student}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big")

    def notebook_timeout(self, notebook, cell_timeout=None):
        """The notebook's time limit: ``--timeout`` if given, else the cell limit times the
        code cells plus start-up. It guards the machine, not the grade: a cell that runs
        out of time costs its own exercise, and every later cell still gets its full limit."""
        if self.options.timeout is not None and cell_timeout is None:
            return self.options.timeout
        cells = sum(cell.cell_type == "code" for cell in notebook.cells)
        return (cell_timeout or self.options.cell_timeout) * max(cells, 1) + STARTUP_SECONDS

    def _start(self, task):
        process = self.context.Process(target=worker_main, args=(task_fields(task),), daemon=False)
        process.start()
        return process

    # -- the answer key: what every test cell asks of the student's functions ---------------

    def _key_source(self):
        """The source notebook, a digest of everything a plan depends on, and the cache file."""
        import dlcourse.checks

        source = self.course.source / self.chapter / f"{self.chapter}.ipynb"
        digest = hashlib.sha256(source.read_bytes())
        hidden = source.parent / HIDDEN_FILE
        digest.update(hidden.read_bytes() if hidden.is_file() else b"")
        for module in sorted(Path(dlcourse.checks.__file__).parent.glob("*.py")):
            digest.update(module.read_bytes())
        return source, digest.hexdigest(), self.course.state / f"key-{self.chapter}.json"

    def cached_key(self, students=()):
        """``{grade_id: plan}`` of the reference solution's run, if cached for this source
        and holding the plans of every one of ``students`` (a test whose hidden part draws
        random cases has a plan per student's seed).

        A cache that is unreadable, for another source, or whose checksum does not match
        its content (edited, truncated, written by something else) is ignored and rebuilt."""
        plans = self._saved_key()
        if plans is None:
            return None
        needed = {str(self.seed(student)) for student in students}
        for plan in plans.values():
            if isinstance(plan, dict) and "by_seed" in plan and not needed <= set(plan["by_seed"]):
                return None
        return plans

    def _saved_key(self):
        _, digest, cache = self._key_source()
        try:
            saved = json.loads(cache.read_text())
            plans = saved["plans"]
            if saved["digest"] != digest or saved["checksum"] != _checksum(plans):
                return None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return plans if isinstance(plans, dict) else None

    def start_key(self, students=()):
        """Start running the source notebook (the answer key) in a worker, recording the plans
        of ``students``; returns its slot."""
        source, _, _ = self._key_source()
        seeds = sorted({self.seed(student) for student in students})
        task = self._new_task(KEY_TASK, nbformat.read(source, as_version=4), seeds=seeds)
        return _Slot(self._start(task), task, time.monotonic(), [], [], None)

    def finish_key(self, slot):
        """The plans of a finished answer-key run, cached atomically; GradingError unless
        every test cell of the solution passed and sent its plan."""
        _, digest, cache = self._key_source()
        result, _ = self._read_result(slot.task)
        if result is None or result.get("status") != "graded":
            why = "it stopped without a result" if result is None else result.get("error", "")
            raise GradingError(f"the answer key ({self.chapter}'s solution notebook) could not run: {why}")
        expected = {test["grade_id"] for test in slot.task.tests.values()}
        plans, errors = result.get("plans", {}), result.get("key_errors", {})
        if errors or set(plans) != expected:
            problems = [f"{gid}: {text}" for gid, text in errors.items()]
            problems += [f"{gid}: sent no plan" for gid in sorted(expected - set(plans)) if gid not in errors]
            raise GradingError("the solution notebook fails its own tests, so nothing can be "
                               "graded against it:\n  " + "\n  ".join(problems))
        self.course.state.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"digest": digest, "checksum": _checksum(plans), "plans": plans}))
        os.replace(tmp, cache)
        return plans

    def answer_key(self, students=()):
        """The plans: from the cache, else from running the answer key now (before any student)."""
        plans = self.cached_key(students)
        if plans is not None:
            return plans
        slot = self.start_key(students)
        slot.process.join(slot.task.timeout + GRACE_SECONDS)
        if slot.process.is_alive():
            slot.process.kill()
            slot.process.join()
            raise GradingError(f"the answer key ({self.chapter}'s solution notebook) did not finish "
                               f"within {slot.task.timeout:g} s")
        return self.finish_key(slot)

    @staticmethod
    def _read_result(task):
        try:
            with open(task.result_path) as f:
                result = json.load(f)
            return result, nbformat.read(task.executed_path, as_version=4)
        except (OSError, ValueError):
            return None, None

    def _finish(self, slot, gradebook):
        task = slot.task
        result, executed = self._read_result(task)
        flags = list(slot.flags)
        if result is None or executed is None:
            return _zero(gradebook, task.student, self.chapter, "error", flags,
                         "the grading worker stopped without a result")
        if result["status"] == "error":
            return store.Outcome(task.student, self.chapter, "error", [], flags, result["error"])
        cells = [store.CellGrade(g["grade_id"], g["points"], g["max_points"], g["message"], g["outcome"])
                 for g in result["grades"]]
        flags += [f"review: {finding}" for finding in slot.findings]
        flags += result.get("flags", [])
        if result["status"] != "graded":
            flags.append(f"{result['status']}: {result['error']}")
        flags += [e for e in result.get("events", []) if e not in " ".join(flags)]
        if result["truncated"]:
            flags.append(f"output truncated in {len(result['truncated'])} cell(s) "
                         f"(over {self.options.output_cap} bytes)")
        out_dir = self.course.autograded / task.student / self.chapter
        out_dir.mkdir(parents=True, exist_ok=True)
        tmp = out_dir / f".{self.chapter}.ipynb.tmp"
        nbformat.write(executed, tmp)
        os.replace(tmp, out_dir / f"{self.chapter}.ipynb")
        return store.Outcome(task.student, self.chapter, result["status"], cells, flags,
                             result["error"], result["seconds"])

    def run(self, students=None):
        started = time.monotonic()
        run = Run(self.chapter, isolated=self.isolate)
        with _only_run(self.course):
            self._run(students, run)
        run.seconds = time.monotonic() - started
        return run

    def _run(self, students, run):
        gradebook = store.open_gradebook(self.course.db_url)
        try:
            try:
                store.assignment_cells(gradebook, self.chapter)
            except store.MissingEntry:
                raise GradingError(f"{self.chapter} is not in the gradebook: run "
                                   f"`dlcourse release {self.chapter}` first") from None
            submissions = find_submissions(self.course, self.chapter, students)
            # the key holds every submitted student's plans: regrading one keeps everyone's
            everyone = [s for s, _, _ in find_submissions(self.course, self.chapter, None)]
            self.plans = self.answer_key(everyone) if submissions else {}
            if self.options.force:  # only once the key is known: a failing key loses nothing
                store.forget(gradebook, self.chapter, [s for s, _, _ in submissions])
            done = store.graded_students(gradebook, self.chapter)
            run.skipped = [s for s, _, _ in submissions if s in done]
            pending = deque(s for s in submissions if s[0] not in done)
            self.source_cells = SourceCells(gradebook)
            run.review = similarity.review_class(self.course, self.chapter) if pending else None
            self._grade(pending, gradebook, run)
        finally:
            gradebook.close()
            shutil.rmtree(self.scratch, ignore_errors=True)

    def _grade(self, pending, gradebook, run):
        bar = tqdm(total=len(pending), unit="nb", disable=not self.options.progress,
                   desc=f"grading {self.chapter}", dynamic_ncols=True)
        failed = 0

        def record(outcome, timestamp=None, placeholder=False):
            nonlocal failed
            if run.review is not None:
                outcome.flags += [f for f in run.review.flags(outcome.student) if f not in outcome.flags]
            if outcome.gradeable:
                try:
                    store.save(gradebook, outcome, timestamp)
                    if placeholder:  # no graded notebook came back: formgrader still needs one
                        store.write_placeholder(self.course.autograded / outcome.student / self.chapter,
                                                self.release_nb, outcome)
                except Exception as error:  # reported in the summary; a rerun tries again
                    outcome.status, outcome.error = "error", f"gradebook: {error}"
            if not outcome.gradeable:
                failed += 1
            run.outcomes.append(outcome)
            bar.update(1)
            bar.set_postfix(done=len(run.outcomes) - failed, failed=failed, left=bar.total - bar.n)

        try:
            self._schedule(pending, gradebook, record)
        finally:
            bar.close()

    def _schedule(self, pending, gradebook, record):
        """Run the ``pending`` submissions, ``workers`` at a time, in forked processes."""
        running = {}
        try:
            while pending or running:
                while pending and len(running) < self.workers:
                    slot = self._prepare(pending.popleft(), gradebook, record)
                    if slot is not None:
                        slot.process = self._start(slot.task)
                        running[slot.process.sentinel] = slot
                for sentinel in wait(list(running), timeout=1.0) if running else ():
                    slot = running.pop(sentinel)
                    slot.process.join()
                    record(self._outcome(slot, gradebook), _timestamp(slot.path))
                for sentinel, slot in list(running.items()):
                    if time.monotonic() - slot.started > slot.task.timeout + GRACE_SECONDS:
                        slot.process.kill()
                        slot.process.join()
                        del running[sentinel]
                        record(self._timed_out(slot, gradebook), _timestamp(slot.path), True)
        finally:
            for slot in running.values():
                slot.process.kill()
                slot.process.join()

    def _outcome(self, slot, gradebook):
        """The outcome of a finished task; never raises (one submission never loses the run)."""
        try:
            return self._finish(slot, gradebook)
        except Exception as error:
            return store.Outcome(slot.task.student, self.chapter, "error", [],
                                 slot.flags, f"{type(error).__name__}: {error}")

    def _timed_out(self, slot, gradebook):
        return _zero(gradebook, slot.task.student, self.chapter, "timeout",
                     slot.flags + ["timeout: the worker was killed"],
                     "the notebook exceeded its time limit")

    def _prepare(self, submission, gradebook, record):
        """The slot of a submission ready to run (its process not started yet), or None when
        it was recorded already (missing, unreadable, or the gradebook stayed locked)."""
        student, path, flags = submission
        folder = self.course.submitted / student / self.chapter
        if path is None:
            record(_zero(gradebook, student, self.chapter, "missing", flags, flags[0]),
                   _timestamp(folder), True)
            return None
        try:
            prepared = store.retrying(
                lambda: prepare(path, self.release_nb, self.source_cells, self.chapter, student),
                rollback=gradebook.db.rollback)
        except Exception as error:  # whatever the file holds, it gets a grade and a flag
            if store.is_locked(error):  # not the file's fault: no grade, a rerun grades it
                record(store.Outcome(student, self.chapter, "error", [], flags,
                                     f"the gradebook stayed locked by another process: {error}"))
                return None
            if not isinstance(error, Unreadable):
                error = f"it could not be prepared ({type(error).__name__}: {error})"
            record(_zero(gradebook, student, self.chapter, "unreadable",
                         flags + [f"unreadable: {error}"], str(error)), _timestamp(folder), True)
            return None
        task = self._new_task(student, prepared.notebook, submitted=folder, plans=self.plans)
        return _Slot(None, task, time.monotonic(), prepared.findings, flags + prepared.flags, folder)


def _plan_for(plan, seed):
    """The plan of one student: the shared one, or the one recorded for their seed."""
    if isinstance(plan, dict) and "by_seed" in plan:
        return plan["by_seed"][str(seed)]
    return plan


def _course_secret(course):
    """The course's grading secret (``autograde/.grading/course-secret``), made on first use.
    Keep it with the gradebook: it decides every student's hidden random cases."""
    path = course.state / "course-secret"
    try:
        secret = path.read_bytes().strip()
    except FileNotFoundError:
        course.state.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_hex(32).encode()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # made meanwhile by another process
            return path.read_bytes().strip()
        with os.fdopen(fd, "wb") as f:
            f.write(secret + b"\n")
    if len(secret) < 32:
        raise GradingError(f"{path} is damaged (too short): restore it from a backup, or delete "
                           "it to make a new one (every student's hidden random cases change)")
    return secret


@contextlib.contextmanager
def _only_run(course):
    """Hold the course's grading lock: two runs at once would grade every submission twice
    and race on the gradebook, so a second run stops at once and says who holds it."""
    course.state.mkdir(parents=True, exist_ok=True)
    with open(course.lock_path, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.seek(0)
            holder = lock.read().strip() or "another process"
            raise GradingError(f"another `dlcourse autograde` is grading this course ({holder}); "
                               "wait for it to finish, or stop it and run again") from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}")
        lock.flush()
        try:
            yield
        finally:
            lock.truncate(0)
            fcntl.flock(lock, fcntl.LOCK_UN)


def _checksum(plans):
    return hashlib.sha256(json.dumps(plans, sort_keys=True).encode()).hexdigest()


def autograde(root, chapter, students=None, options=None):
    """Grade every (or the named) submission(s) of ``chapter`` in the course at ``root``:
    in local worker processes, or on the Dask cluster ``options.cluster`` names."""
    options = options or Options()
    if options.cluster is None:
        return Grader(Course(root), chapter, options).run(students)
    from dlcourse.grading.cluster import ClusterGrader  # needs the optional Dask extra

    return ClusterGrader(Course(root), chapter, options).run(students)


def summary_table(run):
    """The end-of-run table: one line per graded submission, then the totals."""
    lines = [f"{'student':<20} {'status':<10} {'score':>12}  flags"]
    for o in sorted(run.outcomes, key=lambda o: o.student):
        score = f"{o.score:g}/{o.max_score:g}" if o.cells else "-"
        flag = textwrap.shorten("; ".join(o.flags), 90, placeholder=" ...") if o.flags else ""
        lines.append(f"{o.student:<20} {o.status:<10} {score:>12}  {flag}")
    counts = {}
    for o in run.outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    lines.append(f"graded {len(run.outcomes) - len(run.failed)} of {len(run.outcomes)} in "
                 f"{run.seconds:.1f} s ({', '.join(f'{v} {k}' for k, v in sorted(counts.items()))})"
                 + (f"; {len(run.skipped)} already graded (use --force to regrade)" if run.skipped else ""))
    lines.append("file-system isolation: " + ("on (an allow-list box: private root, PID and network namespaces, process and disk limits)" if run.isolated
                 else "OFF - this system does not allow namespaces; kernels can read the course files"))
    if run.review is not None and run.review.summary():
        lines.append(run.review.summary())
    if run.failed:
        lines.append("could not grade: " + ", ".join(f"{o.student} ({o.error})" for o in run.failed))
    return "\n".join(lines)
