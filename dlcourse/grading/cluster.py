"""Grading on a Dask cluster: one task per submission, the gradebook written here alone.

``dlcourse autograde CHAPTER --cluster ADDRESS`` runs the same steps as the local pool
(:mod:`dlcourse.grading.pipeline`) with one difference: *run* and *judge* happen on a Dask
worker. The instructor's process prepares each submission, runs the answer key once and
puts its plans into every task, so a worker needs nothing of the course but its task:

    prepare (here)  -> task: the task's fields, its working copy as a tar, the hidden cases
    run, judge      (a Dask worker: a grading process forked for the task, the kernel in the
                     same sandbox)
    save (here)     <- the result record and the executed notebook, one transaction each

``ADDRESS`` is ``local:N`` (a ``LocalCluster`` of N worker processes on this machine),
``tcp://HOST:PORT`` (a running scheduler) or the path of a scheduler file
(``dask scheduler --scheduler-file FILE``).

Faults: a worker that dies mid-task (killed, out of memory, its machine gone) is replaced
by its nanny and the scheduler runs the task again elsewhere; the result is recorded
once, when its future completes. A submission whose grading started twice and died both
times is given up with the status "crashed". The scheduler gives up on a task after
``allowed-failures`` deaths (1 on a local cluster; start a scheduler of your own with
``DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1`` for the same rule) and counts a task
merely waiting on the dying worker too, so each task logs an event when it starts: a
submission given up before it started twice is sent again. At most one submission per
worker thread is given to a worker at a time, so a task rarely waits on a worker; one more
per worker thread waits at the scheduler, so that no worker idles while this process
prepares and records submissions. The client stopped
mid-run loses only what was running: the same command grades what is left.

Each worker forks its grading processes from a forkserver that imported the grading code
once: a fresh interpreter per task would spend about 1.2 s of CPU on imports alone, as much
as a small notebook's own cells. (The Dask worker itself runs threads, so it is not forked.)
"""

import functools
import io
import json
import logging
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from dlcourse.grading import gradebook as store
from dlcourse.grading.pipeline import GRACE_SECONDS, SCRATCH_PREFIX, Grader, GradingError, _timestamp, _zero
from dlcourse.grading.worker import task_fields

INSTALL_HINT = "grading on a cluster needs Dask: pip install 'dlcourse[cluster]'"
START_TOPIC = "dlcourse-grading-start"  # the event a task logs as it starts running
MAX_SENDS = 4  # a submission sent again after being caught on dying workers, at most this often
CONNECT_SECONDS = 30
_TCP = re.compile(r"^(tcp|tls)://[^\s/:]+:\d{1,5}$")
class ClusterError(ValueError):
    """A ``--cluster`` value that names no cluster; the message says what is accepted."""


@dataclass(frozen=True)
class Address:
    """Where to grade: ``kind`` is "local" (``value``: the worker count), "scheduler"
    (``value``: tcp://HOST:PORT) or "file" (``value``: a scheduler file's path)."""

    kind: str
    value: object

    def __str__(self):
        return f"local:{self.value}" if self.kind == "local" else str(self.value)


def parse_address(text):
    """The :class:`Address` of a ``--cluster`` value; ClusterError naming the problem."""
    accepted = ("use local:N (N worker processes here), tcp://HOST:PORT (a running Dask "
                "scheduler) or the path of a scheduler file")
    text = (text or "").strip()
    if text.startswith("local:"):
        count = text[len("local:"):]
        if not count.isdigit() or int(count) < 1:
            raise ClusterError(f"{text!r}: the worker count after 'local:' must be a whole "
                               f"number > 0; {accepted}")
        return Address("local", int(count))
    if "://" in text:
        if not _TCP.match(text) or not 0 < int(text.rsplit(":", 1)[1]) < 65536:
            raise ClusterError(f"{text!r} is not a scheduler address; {accepted}")
        return Address("scheduler", text)
    path = Path(text).expanduser()
    if not text or not path.is_file():
        raise ClusterError(f"{text!r} is neither a cluster address nor an existing scheduler file; "
                           f"{accepted}")
    try:
        address = json.loads(path.read_text()).get("address")
    except (OSError, ValueError, AttributeError):
        address = None
    if not isinstance(address, str):
        raise ClusterError(f"{text!r} is not a Dask scheduler file (JSON with an \"address\"); "
                           f"{accepted}")
    return Address("file", str(path.resolve()))


def _distributed():
    try:
        import distributed
    except ImportError:
        raise GradingError(INSTALL_HINT) from None
    return distributed


class _Connection:
    """A Dask client for an :class:`Address` (and the LocalCluster it started, if any)."""

    def __init__(self, address):
        distributed = _distributed()
        import dask

        self.cluster = None
        try:
            if address.kind == "local":
                # one task per worker at a time: a worker's death then concerns its task alone
                # not daemonic, so that a worker (also one its nanny restarts) may fork
                # its grading processes from a forkserver
                dask.config.set({"distributed.worker.daemon": False})
                with dask.config.set({"distributed.scheduler.allowed-failures": 1,
                                      "distributed.scheduler.worker-saturation": 1.0}):
                    self.cluster = distributed.LocalCluster(
                        n_workers=address.value, threads_per_worker=1, processes=True,
                        dashboard_address=None, silence_logs=logging.ERROR)
                self.client = distributed.Client(self.cluster)
            elif address.kind == "scheduler":
                self.client = distributed.Client(address.value, timeout=CONNECT_SECONDS)
            else:
                self.client = distributed.Client(scheduler_file=address.value,
                                                 timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError) as error:
            self.close()
            raise GradingError(f"could not reach the Dask scheduler at {address}: {error}") from None

    @property
    def workers(self):
        return max(1, sum(self.client.nthreads().values()))

    def close(self):
        for part in (getattr(self, "client", None), self.cluster):
            if part is not None:
                part.close()


# -- on the worker -------------------------------------------------------------------------


def _pack(folder):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(folder, arcname=".")
    return buffer.getvalue()


def grade_task(fields, work_tar, hidden_source):
    """Grade one submission on this machine (the function a Dask worker runs).

    ``fields`` is the task the instructor's process made (answer-key plans included),
    ``work_tar`` its working copy and ``hidden_source`` the chapter's hidden cases (or None).
    The grading runs in a fresh process, as in the local pool, with the notebook's time
    limit plus a grace period. Returns ``{"result": record or None, "executed": notebook
    JSON text or None, "timed_out": bool}``."""
    _log_start(fields["token"])
    taskdir = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    try:
        work = taskdir / "work"
        work.mkdir()
        with tarfile.open(fileobj=io.BytesIO(work_tar), mode="r:gz") as tar:
            tar.extractall(work, filter="data")
        fields = dict(fields, taskdir=str(taskdir))
        if hidden_source is not None:  # beside the working copy, never in it
            (taskdir / "hidden_cases.py").write_text(hidden_source)
            fields["hidden_path"] = str(taskdir / "hidden_cases.py")
        fields["hide"] = sorted(set(fields["hide"]) | {tempfile.gettempdir(), os.path.expanduser("~")})
        (taskdir / "task.json").write_text(json.dumps(fields))
        if not _run_grading(taskdir / "task.json", fields["timeout"] + GRACE_SECONDS):
            return {"result": None, "executed": None, "timed_out": True}
        answer = {"result": None, "executed": None, "timed_out": False}
        try:
            answer["result"] = json.loads((taskdir / "result.json").read_text())
            answer["executed"] = (taskdir / "executed.ipynb").read_text()
        except (OSError, ValueError):
            pass
        return answer
    finally:
        shutil.rmtree(taskdir, ignore_errors=True)


_FRESH_RUN = ("import json, sys\nfrom dlcourse.grading.worker import worker_main\n"
              "worker_main(json.load(open(sys.argv[1])))")


def _run_grading(task_path, seconds):
    """Run one task's grading process to its end; False when it had to be killed after
    ``seconds``. A daemonic worker (Dask's default for ``dask worker``; a LocalCluster
    started here is not) may have no multiprocessing children: it starts a fresh
    interpreter instead, which imports the grading code anew."""
    if multiprocessing.current_process().daemon:
        try:
            subprocess.run([sys.executable, "-c", _FRESH_RUN, str(task_path)], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=seconds, check=False)
        except subprocess.TimeoutExpired:
            return False
        return True
    process = _forks().Process(target=_grade_in_fork, args=(str(task_path),))
    process.start()
    process.join(seconds)
    if process.exitcode is None:
        process.kill()
        process.join()
        return False
    return True


@functools.cache
def _forks():
    """This worker's forkserver context, the grading code preloaded in the server."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["dlcourse.grading.worker"])
    return context


def _grade_in_fork(task_path):
    """The grading process of one task: no terminal streams, then the local pool's entry point."""
    from dlcourse.grading.worker import worker_main

    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    with open(task_path) as f:
        worker_main(json.load(f))


def _log_start(token):
    try:
        from distributed import get_worker

        get_worker().log_event(START_TOPIC, token)
    except (ImportError, ValueError):  # called outside a Dask worker
        pass


# -- in the instructor's process -------------------------------------------------------------


class ClusterGrader(Grader):
    """A :class:`Grader` whose submissions run as tasks on a Dask cluster."""

    def _schedule(self, pending, gradebook, record):
        distributed = _distributed()
        connection = _Connection(self.options.cluster)
        hidden = self.course.source / self.chapter / "hidden_cases.py"
        hidden_source = hidden.read_text() if hidden.is_file() else None
        client, slots, sends = connection.client, {}, {}
        futures = distributed.as_completed()

        def submit(slot, bundle):
            future = client.submit(grade_task, task_fields(slot.task), bundle, hidden_source,
                                   key=f"grade-{self.chapter}-{uuid.uuid4().hex}", pure=False,
                                   retries=1)
            slots[future.key] = slot, bundle
            sends[slot.task.token] = sends.get(slot.task.token, 0) + 1
            futures.add(future)

        try:
            # one more task per worker waits at the scheduler (never on a worker: saturation 1),
            # so a worker starts its next submission while this process records the last one
            ahead = 2 * connection.workers
            while pending or slots:
                while pending and len(slots) < ahead:
                    slot = self._prepare(pending.popleft(), gradebook, record)
                    if slot is not None:
                        submit(slot, _pack(slot.task.workdir))
                future = next(futures)
                slot, bundle = slots.pop(future.key)
                if (future.status == "error" and isinstance(future.exception(), distributed.KilledWorker)
                        and self._starts(client, slot) < 2 and sends[slot.task.token] < MAX_SENDS):
                    submit(slot, bundle)  # caught waiting on dying workers: not its fault
                else:
                    record(*self._collect(future, slot, gradebook, distributed))
                future.release()
        finally:
            connection.close()

    @staticmethod
    def _starts(client, slot):
        """How many times the grading of ``slot`` started on a worker."""
        return sum(token == slot.task.token for _, token in client.get_events(START_TOPIC))

    def _collect(self, future, slot, gradebook, distributed):
        """``(outcome, timestamp, placeholder)`` of a finished task."""
        timestamp = _timestamp(slot.path)
        try:
            answer = future.result()
        except distributed.KilledWorker:
            return (_zero(gradebook, slot.task.student, self.chapter, "crashed",
                          slot.flags + ["crashed: its grading worker died twice while running it"],
                          "the submission stopped its grading worker twice"), timestamp, True)
        except Exception as error:  # not the submission's fault: no grade, a rerun grades it
            return (store.Outcome(slot.task.student, self.chapter, "error", [], slot.flags,
                                  f"the cluster could not run it: {type(error).__name__}: {error}"),
                    None, False)
        if answer["timed_out"]:
            return self._timed_out(slot, gradebook), timestamp, True
        if answer["result"] is not None and answer["executed"] is not None:
            Path(slot.task.result_path).write_text(json.dumps(answer["result"]))
            Path(slot.task.executed_path).write_text(answer["executed"])
        return self._outcome(slot, gradebook), timestamp, False
