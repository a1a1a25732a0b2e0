"""Executing one sanitised submission in its own process and sandboxed kernel.

A worker receives a :class:`Task` (a working copy holding the notebook that
the grader has already checked and repaired), runs it cell by cell in a
kernel started through :mod:`dlcourse.grading.sandbox`, and writes two files
next to the working copy: ``executed.ipynb`` and ``result.json``. It never
touches the gradebook.

Limits enforced here:

* a wall-clock budget for the whole notebook: each cell may run for
  ``min(cell_timeout, time left)``; a cell that overruns is interrupted (the
  later cells still run); once the budget is spent the remaining cells are
  not run and score zero;
* an output cap in bytes per cell: stream text beyond it is cut, rich
  outputs dropped, and a note says so;
* the verdicts the checks recorded while a cell ran (see
  :func:`dlcourse.checks.core._record`) are repeated here, outside the
  student's kernel, on the plain arrays it saved.
"""

import asyncio
import glob
import importlib
import json
import os
import time
import warnings
from dataclasses import asdict, dataclass, field

import nbformat
import numpy as np
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output

from dlcourse.checks.core import RECORDS_ENV, CheckFailure, compare
from dlcourse.grading.sandbox import die_with_parent, kernel_argv

_KEPT_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "SYSTEMROOT")
_MAX_RECORDS_PER_CELL = 5000
_MAX_RECORD_BYTES = 64 * 2**20


@dataclass
class Task:
    """Everything a worker needs to run one submission (plain data: it crosses a fork)."""

    student: str
    chapter: str
    taskdir: str            # private folder of this submission (results are written here)
    notebook: str = "submission.ipynb"  # the sanitised notebook inside taskdir/work
    timeout: float = 120.0  # seconds for the whole notebook
    cell_timeout: float = 60.0
    memory_mb: int = 2048
    output_cap: int = 256 * 1024
    isolate: bool = False
    hide: list = field(default_factory=list)
    expose: list = field(default_factory=list)

    @property
    def workdir(self):
        return os.path.join(self.taskdir, "work")

    @property
    def result_path(self):
        return os.path.join(self.taskdir, "result.json")

    @property
    def executed_path(self):
        return os.path.join(self.taskdir, "executed.ipynb")


def verify_records(paths):
    """Repeat recorded comparisons here; returns ``(count, disagreements)``.

    A disagreement is a comparison the kernel reported as passing but which
    fails here (the kernel's checks, NumPy or builtins were tampered with, or
    the value was not a plain number or array).
    """
    disagreements = []
    for path in sorted(paths)[:_MAX_RECORDS_PER_CELL]:
        try:
            disagreement = _verify_record(path)
        except CheckFailure as failure:
            disagreement = str(failure).splitlines()[0]
        except Exception:  # the kernel wrote the file: anything malformed is a disagreement
            disagreement = "an unreadable check record"
        if disagreement:
            disagreements.append(disagreement)
    return min(len(paths), _MAX_RECORDS_PER_CELL), disagreements


def _verify_record(path):
    if os.path.getsize(path) > _MAX_RECORD_BYTES:
        return "an oversized check record"
    with np.load(path, allow_pickle=False) as saved:
        meta = json.loads(str(saved["meta"]))
        got, expected = saved["got"], saved["expected"]
        saved_arguments = {key: saved[key] for key in saved.files if key.startswith(("arg", "kw_"))}
    if not meta["passed"]:
        return None
    if not meta["plain"]:
        return f"{meta['what']}: returned a {meta['type']}, not a plain value"
    what, rtol, atol = str(meta["what"]), float(meta["rtol"]), float(meta["atol"])
    compare(got, expected, what, rtol=rtol, atol=atol)
    trusted = _recompute(meta.get("reference"), saved_arguments)
    if trusted is not None:
        compare(got, trusted, what, rtol=rtol, atol=atol)
    return None


_REBUILD = {"bool": bool, "int": int, "float": float, "array": lambda a: a,
            "scalar": lambda a: a[()], "list": lambda a: a.tolist(),
            "tuple": lambda a: tuple(a.tolist())}


def _recompute(reference, arguments):
    """The reference's answer computed here (the grader's own, untouched library), or None.

    Only functions of ``dlcourse`` and ``numpy`` are looked up, by module and
    qualified name; arguments are rebuilt from the plain arrays the kernel saved.
    """
    if not reference:
        return None
    try:
        module = reference["module"]
        if not module.startswith(("dlcourse", "numpy")):
            return None
        function = importlib.import_module(module)
        for part in reference["qualname"].split("."):
            function = getattr(function, part)
        args = [_REBUILD[kind](arguments[f"arg{i}"]) for i, kind in enumerate(reference["args"])]
        kwargs = {key: _REBUILD[kind](arguments[f"kw_{key}"])
                  for key, kind in reference["kwargs"].items()}
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = function(*args, **kwargs)
        if reference.get("index") is not None:
            value = value[reference["index"]]
        return np.array(value, dtype=np.float64)
    except Exception:  # the answer cannot be rebuilt here: keep the recorded comparison
        return None


class GradingClient(NotebookClient):
    """nbclient with a notebook-wide deadline, a byte cap on output, and
    check records collected per cell."""

    def __init__(self, nb, km, *, deadline, cell_timeout, output_cap, records_dir, **kw):
        self.deadline = deadline
        self.cell_seconds = cell_timeout
        self.output_cap = output_cap
        self.records_dir = records_dir
        self.out_of_time = False
        self.kernel_dead = False
        self.kernel_stuck = False
        self.cells_timed_out = 0
        self.truncated = []
        self.records = {}
        self._bytes = {}
        super().__init__(nb, km=km, timeout_func=self._cell_timeout, allow_errors=True,
                         interrupt_on_timeout=True, record_timing=False,
                         error_on_timeout={"ename": "CellTimeoutError", "evalue": "",
                                           "traceback": ["CellTimeoutError: the cell ran out of time"]},
                         on_cell_executed=self._collect_records, **kw)

    def _cell_timeout(self, cell):
        left = self.deadline - time.monotonic()
        return max(1, int(min(self.cell_seconds, left) + 0.999))

    def _collect_records(self, cell, cell_index, execute_reply):
        paths = glob.glob(os.path.join(self.records_dir, "*.npz"))
        count, disagreements = verify_records(paths)
        self.records[cell_index] = {"count": count, "disagreements": disagreements[:5]}
        for path in paths:
            try:
                os.remove(path)
            except OSError:
                pass

    def output(self, outs, msg, display_id, cell_index):
        used = self._bytes.get(cell_index, 0)
        content = msg.get("content", {})
        size = len(json.dumps(content, default=str))
        if used + size > self.output_cap:
            left = max(self.output_cap - used, 0)
            if cell_index not in self.truncated:
                self.truncated.append(cell_index)
                if msg["msg_type"] == "stream" and left > 0:
                    content["text"] = content.get("text", "")[:left]
                    super().output(outs, msg, display_id, cell_index)
                outs.append(new_output("stream", name="stdout",
                                       text=f"\n[output truncated: over {self.output_cap} bytes]\n"))
            self._bytes[cell_index] = self.output_cap
            return None
        self._bytes[cell_index] = used + size
        return super().output(outs, msg, display_id, cell_index)

    async def _async_handle_timeout(self, timeout, cell=None):
        self.cells_timed_out += 1
        return await super()._async_handle_timeout(timeout, cell)

    def _not_run(self, cell, why):
        cell.outputs = [new_output("error", ename="NotRun", evalue=why, traceback=[f"NotRun: {why}"])]
        return cell

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell
        if self.kernel_dead:
            return self._not_run(cell, "the kernel died in an earlier cell")
        if self.kernel_stuck:
            return self._not_run(cell, "the kernel stopped responding in an earlier cell")
        if time.monotonic() >= self.deadline:
            self.out_of_time = True
            return self._not_run(cell, "the notebook's time limit was reached")
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        except DeadKernelError:
            self.kernel_dead = True
            return self._not_run(cell, "the kernel died while running this cell")
        except CellTimeoutError:
            self.kernel_stuck = True
            return self._not_run(cell, "the cell did not stop when interrupted")


def _environment(task):
    env = {key: os.environ[key] for key in _KEPT_ENVIRONMENT if key in os.environ}
    work = task.workdir
    env.update({
        RECORDS_ENV: os.path.join(work, ".records"),
        "HOME": work,
        "IPYTHONDIR": os.path.join(work, ".ipython"),
        "MPLCONFIGDIR": os.path.join(work, ".matplotlib"),
        "MPLBACKEND": "agg",
        "JUPYTER_RUNTIME_DIR": os.path.join(work, ".runtime"),
        "NBGRADER_EXECUTION": "autograde",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


def _kernel_manager(task):
    km = AsyncKernelManager(kernel_name="python3")
    km._kernel_spec = KernelSpec(
        argv=kernel_argv(task.workdir, task.memory_mb, isolate=task.isolate,
                         hide=task.hide, expose=task.expose, writable=[os.path.join(task.workdir, d) for d in (".runtime", ".records")]),
        display_name="Python 3 (grading sandbox)", language="python",
        interrupt_mode="signal", resource_dir="")
    km.connection_file = os.path.join(task.workdir, ".runtime", "kernel.json")
    if task.isolate:
        # Unix sockets in the working copy, named relative to it (the worker and the
        # kernel both run there), since an isolated kernel has no network
        km.transport, km.ip = "ipc", os.path.join(".runtime", "k")
    return km


def run_task(task):
    """Execute ``task`` and write ``executed.ipynb`` and ``result.json``; returns the result."""
    started = time.monotonic()
    os.chdir(task.workdir)
    result = {"status": "graded", "error": "", "records": {}, "truncated": [], "seconds": 0.0,
              "events": []}
    for sub in (".records", ".runtime", ".ipython", ".matplotlib"):
        os.makedirs(os.path.join(task.workdir, sub), exist_ok=True)
    nb = nbformat.read(os.path.join(task.workdir, task.notebook), as_version=4)
    client = GradingClient(
        nb, _kernel_manager(task), deadline=started + task.timeout, cell_timeout=task.cell_timeout,
        output_cap=task.output_cap, records_dir=os.path.join(task.workdir, ".records"),
        startup_timeout=60, iopub_timeout=4, shutdown_kernel="immediate",
        resources={"metadata": {"path": task.workdir}})
    try:
        with open(os.path.join(task.taskdir, "kernel.log"), "wb") as log:
            client.execute(env=_environment(task), cwd=task.workdir, stdout=log, stderr=log)
    except DeadKernelError as error:  # the kernel died before the first cell
        result.update(status="crashed", error=f"the kernel died: {error}")
    except (RuntimeError, OSError, asyncio.TimeoutError) as error:
        result.update(status="error", error=f"could not run the notebook: {type(error).__name__}: {error}")
    if client.kernel_dead:
        result.update(status="crashed", error="the kernel died (the submission exited or was killed)")
    elif client.kernel_stuck or client.out_of_time or client.cells_timed_out:
        result.update(status="timeout", error=f"the notebook exceeded its time limit "
                      f"({task.timeout:g} s in all, {task.cell_timeout:g} s per cell)")
    if _memory_error(nb):
        result["events"].append(f"ran out of memory (limit {task.memory_mb} MB)")
        if result["status"] == "graded":
            result.update(status="memory", error=result["events"][-1])
    if client.cells_timed_out:
        result["events"].append(f"{client.cells_timed_out} cell(s) ran out of time and were interrupted")
    result["records"] = {str(k): v for k, v in client.records.items()}
    result["truncated"] = client.truncated
    result["seconds"] = round(time.monotonic() - started, 3)
    nbformat.write(nb, task.executed_path)
    with open(task.result_path + ".tmp", "w") as f:
        json.dump(result, f)
    os.replace(task.result_path + ".tmp", task.result_path)
    return result


def _errors(nb):
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                yield out.get("ename", "")


def _memory_error(nb):
    return any(name == "MemoryError" for name in _errors(nb))


def worker_main(task_fields):
    """Entry point of a forked worker process: its own session (Ctrl-C reaches the
    grader, which stops the workers), and it dies with the grader."""
    os.setsid()
    die_with_parent()
    task = Task(**task_fields)
    try:
        run_task(task)
    except Exception as error:  # reported to the grader, never raised through the fork
        with open(task.result_path, "w") as f:
            json.dump({"status": "error", "error": f"{type(error).__name__}: {error}",
                       "records": {}, "truncated": [], "seconds": 0.0}, f)


def task_fields(task):
    return asdict(task)
