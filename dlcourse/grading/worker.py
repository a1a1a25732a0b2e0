"""Executing one sanitised submission in its own process and sandboxed kernel.

A worker receives a :class:`Task` (a working copy holding the notebook that the grader
has already checked and repaired, its test cells replaced by *probes*), runs it cell by
cell in a kernel started through :mod:`dlcourse.grading.sandbox`, and writes
``executed.ipynb`` and ``result.json`` next to the working copy. It never touches the
gradebook.

The verdicts are reached here, outside the kernel. A probe runs the student's functions
on the calls of the answer key's plan and sends back only plain data
(:mod:`dlcourse.checks.wire`, one message per call); the worker takes those messages off
the output stream as they arrive, before any cap or display logic, and then runs each
test cell's own code against them (:mod:`dlcourse.grading.judge`). The test code, hidden
tests included, never enters the kernel's working copy; nothing the kernel prints,
displays or writes to a file decides a grade.

Limits enforced here:

* a wall-clock budget for the whole notebook: each cell may run for
  ``min(cell_timeout, time left)``; a cell that overruns is interrupted (the
  later cells still run); once the budget is spent the remaining cells are
  not run and score zero;
* an output cap in bytes per cell and for the whole notebook: text beyond it is cut,
  rich outputs dropped, and a note says so (the probes' answers are not output and are
  never cut).
"""

import asyncio
import json
import os
import secrets
import time
from dataclasses import asdict, dataclass, field

import nbformat
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output

from dlcourse.checks import wire
from dlcourse.grading import judge
from dlcourse.grading.sandbox import die_with_parent, kernel_argv

_KEPT_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "SYSTEMROOT")
_MAX_ANSWER_BYTES = 256 * 2**20  # all the answers of one submission together


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
    notebook_output_cap: int = 4 * 2**20
    isolate: bool = False
    hide: list = field(default_factory=list)
    expose: list = field(default_factory=list)
    mode: str = "student"   # "student": probes answer, the worker judges; "key": record plans
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    tests: dict = field(default_factory=dict)  # cell index -> grade_id, source, points, plan
    hidden_path: str = None  # the chapter's hidden cases (read here, never by the kernel)
    seed: int = 0            # the student's grading seed

    @property
    def workdir(self):
        return os.path.join(self.taskdir, "work")

    @property
    def result_path(self):
        return os.path.join(self.taskdir, "result.json")

    @property
    def executed_path(self):
        return os.path.join(self.taskdir, "executed.ipynb")


class GradingClient(NotebookClient):
    """nbclient with a notebook-wide deadline, byte caps on output (per cell and for the
    whole notebook), and the probes' answers taken off the output stream."""

    def __init__(self, nb, km, *, deadline, cell_timeout, output_cap, notebook_output_cap,
                 token, probe_cells=(), **kw):
        self.deadline = deadline
        self.cell_seconds = cell_timeout
        self.output_cap = output_cap
        self.notebook_output_cap = notebook_output_cap
        self.token = token
        self.probe_cells = set(probe_cells)
        self.out_of_time = False
        self.kernel_dead = False
        self.kernel_stuck = False
        self.cells_timed_out = 0
        self.truncated = []
        self.answers = {}          # cell index -> {call index: packed result}
        self.plans = {}            # cell index -> {seed or None: plan} (the answer key's run)
        self.mutations = {}        # cell index -> {call index: arguments changed in place}
        self.interference = {}     # cell index -> what was wrong with its messages
        self.stray = 0             # messages in the grader's format outside a probe
        self._bytes = {}
        self._answer_bytes = 0
        super().__init__(nb, km=km, timeout_func=self._cell_timeout, allow_errors=True,
                         interrupt_on_timeout=True, record_timing=False,
                         error_on_timeout={"ename": "CellTimeoutError", "evalue": "",
                                           "traceback": ["CellTimeoutError: the cell ran out of time"]},
                         **kw)

    def _cell_timeout(self, cell):
        left = self.deadline - time.monotonic()
        return max(1, int(min(self.cell_seconds, left) + 0.999))

    def _receive(self, cell_index, payload, size):
        """Keep one message of the grader's format, if it is where and what it should be."""
        if not isinstance(payload, dict) or payload.get("token") != self.token:
            self.stray += 1
            return
        if cell_index not in self.probe_cells:
            self.stray += 1
            return
        if "plan" in payload:
            self.plans.setdefault(cell_index, {})[payload.get("seed")] = payload["plan"]
            return
        index = payload.get("index")
        answers = self.answers.setdefault(cell_index, {})
        self._answer_bytes += size
        if type(index) is not int or index in answers or self._answer_bytes > _MAX_ANSWER_BYTES:
            self.interference.setdefault(cell_index, "its answers came back twice, out of order "
                                         "or too large: something in the kernel sent them")
            return
        answers[index] = payload.get("result")
        if "mutated" in payload:
            self.mutations.setdefault(cell_index, {})[index] = payload["mutated"]

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        data = content.get("data") if isinstance(content.get("data"), dict) else {}
        size = len(json.dumps(content, default=str))
        if wire.MIME in data:
            self._receive(cell_index, data[wire.MIME], size)
            return None
        used = self._bytes.get(cell_index, 0)
        total = sum(self._bytes.values())
        cap = min(self.output_cap - used, self.notebook_output_cap - total)
        if size > cap:
            left = max(cap, 0)
            if cell_index not in self.truncated:
                self.truncated.append(cell_index)
                if msg["msg_type"] == "stream" and left > 0:
                    content["text"] = content.get("text", "")[:left]
                    super().output(outs, msg, display_id, cell_index)
                outs.append(new_output("stream", name="stdout", text=(
                    f"\n[output truncated: over {self.output_cap} bytes in this cell or "
                    f"{self.notebook_output_cap} in the notebook]\n")))
            self._bytes[cell_index] = used + left
            return None
        self._bytes[cell_index] = used + size
        return super().output(outs, msg, display_id, cell_index)

    def _update_display_id(self, display_id, msg):
        # an update replaces a display in place: it may not grow the notebook past its cap
        size = len(json.dumps(msg.get("content", {}), default=str))
        if sum(self._bytes.values()) + size > self.notebook_output_cap:
            return None
        return super()._update_display_id(display_id, msg)

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
        "HOME": work,
        # outside the working copy, so no file a student submits becomes a startup script
        "IPYTHONDIR": os.path.join(task.taskdir, "ipython"),
        "MPLCONFIGDIR": os.path.join(task.taskdir, "matplotlib"),
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
                         hide=task.hide, expose=task.expose,
                         writable=[os.path.join(task.workdir, ".runtime"),
                                   os.path.join(task.taskdir, "ipython"),
                                   os.path.join(task.taskdir, "matplotlib")]),
        display_name="Python 3 (grading sandbox)", language="python",
        interrupt_mode="signal", resource_dir="")
    km.connection_file = os.path.join(task.workdir, ".runtime", "kernel.json")
    if task.isolate:
        # Unix sockets in the working copy, named relative to it (the worker and the
        # kernel both run there), since an isolated kernel has no network
        km.transport, km.ip = "ipc", os.path.join(".runtime", "k")
    return km


def _missing_reason(cell, client):
    """Why a probe's answers may be missing, from how its cell ended."""
    names = [out.get("ename") for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    if "CellTimeoutError" in names or "KeyboardInterrupt" in names:
        return "the cell ran out of time"
    if "NotRun" in names:
        return [o.get("evalue") for o in cell.outputs if o.get("ename") == "NotRun"][0]
    if client.kernel_dead:
        return "the kernel died"
    return "no answer came back from your kernel"


def _show_verdict(cell, test, verdict):
    """The test cell as the instructor's copy shows it: its own code and the grader's verdict."""
    cell.source = test["source"]
    cell.outputs = []
    if verdict.message:
        cell.outputs.append(new_output("stream", name="stdout", text=verdict.message + "\n"))
    if verdict.outcome == "fail":
        cell.outputs.append(new_output("error", ename="CheckFailure", evalue="scored 0",
                                       traceback=["CheckFailure: scored 0"]))


def judge_all(task, nb, client):
    """The grader's verdict on every test cell: ``[grade dict]`` and flags."""
    grades, flags = [], []
    if client.stray:
        flags.append(f"review: {client.stray} message(s) imitating the grader's came from the "
                     "kernel outside a probe (ignored)")
    for index, test in sorted(task.tests.items(), key=lambda item: int(item[0])):
        cell = nb.cells[int(index)]
        if int(index) in client.interference:
            why = client.interference[int(index)]
            verdict = judge.Verdict(0.0, float(test["points"]), f"scored 0: the checks were "
                                    f"tampered with ({why})", "fail")
            flags.append(f"`{test['grade_id']}`: checks tampered with ({why}); scored 0")
        else:
            try:
                verdict = judge.judge(test["source"], test["plan"], client.answers.get(int(index), {}),
                                      test["points"], _missing_reason(cell, client),
                                      mutations=client.mutations.get(int(index)),
                                      hidden_path=task.hidden_path, seed=task.seed)
            except wire.WireError as error:
                verdict = judge.Verdict(0.0, float(test["points"]), f"scored 0: an answer from the "
                                        f"kernel is not plain data ({error})", "fail")
                flags.append(f"`{test['grade_id']}`: checks tampered with (answers not plain data); scored 0")
        _show_verdict(cell, test, verdict)
        grades.append({"grade_id": test["grade_id"], "points": verdict.points,
                       "max_points": verdict.max_points, "message": verdict.message,
                       "outcome": verdict.outcome})
    return grades, flags


def run_task(task):
    """Execute ``task`` and write ``executed.ipynb`` and ``result.json``; returns the result."""
    started = time.monotonic()
    os.chdir(task.workdir)
    result = {"status": "graded", "error": "", "grades": [], "flags": [], "plans": {},
              "truncated": [], "seconds": 0.0, "events": []}
    for sub in (".runtime",):
        os.makedirs(os.path.join(task.workdir, sub), exist_ok=True)
    for sub in ("ipython", "matplotlib"):
        os.makedirs(os.path.join(task.taskdir, sub), exist_ok=True)
    nb = nbformat.read(os.path.join(task.workdir, task.notebook), as_version=4)
    client = GradingClient(
        nb, _kernel_manager(task), deadline=started + task.timeout, cell_timeout=task.cell_timeout,
        output_cap=task.output_cap, notebook_output_cap=task.notebook_output_cap,
        token=task.token, probe_cells=[int(i) for i in task.tests],
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
    if task.mode == "key":
        result["plans"] = {task.tests[str(i)]["grade_id"]: _key_plan(by_seed)
                           for i, by_seed in client.plans.items()}
        result["key_errors"] = {test["grade_id"]: _error_text(nb.cells[int(i)])
                                for i, test in task.tests.items() if _error_text(nb.cells[int(i)])}
    elif result["status"] != "error":
        result["grades"], result["flags"] = judge_all(task, nb, client)
    result["truncated"] = client.truncated
    result["seconds"] = round(time.monotonic() - started, 3)
    nbformat.write(nb, task.executed_path)
    with open(task.result_path + ".tmp", "w") as f:
        json.dump(result, f)
    os.replace(task.result_path + ".tmp", task.result_path)
    return result


def _key_plan(by_seed):
    """A test's plan: the same for every student, or one per student's grading seed."""
    if list(by_seed) == [None]:
        return by_seed[None]
    return {"by_seed": {str(seed): plan for seed, plan in by_seed.items() if seed is not None}}


def _error_text(cell):
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename', '')}: {out.get('evalue', '')}"[:2000]
    return ""


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
                       "grades": [], "flags": [], "plans": {}, "truncated": [], "seconds": 0.0}, f)


def task_fields(task):
    return asdict(task)
