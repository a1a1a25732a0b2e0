"""Grading on a Dask LocalCluster (2 worker processes): faults that cost nothing: a worker killed
mid-task, the client killed mid-run, a submission that takes its worker down twice. (That the
sample class gets the same grades on a cluster as in the local pool is checked in test_demo,
against the demo's own grading.)"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("distributed", reason="the cluster extra: pip install 'dlcourse[cluster]'")

from dlcourse.grading import toy  # noqa: E402
from dlcourse.grading.cluster import ClusterError, parse_address  # noqa: E402
from dlcourse.grading.pipeline import SCRATCH_PREFIX  # noqa: E402
from dlcourse.grading.release import release  # noqa: E402
from tests.course_tools import dlcourse_autograde, result_rows  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CH = toy.CHAPTER
FULL = {"test_sigmoid": 2.0, "test_relu": 3.0, "test_total": 1.0}


def _submission_count(root, chapter):
    with sqlite3.connect(root / "autograde" / "gradebook.db") as db:
        return dict(db.execute(
            "SELECT student.id, COUNT(*) FROM submitted_assignment JOIN student "
            "ON submitted_assignment.student_id = student.id JOIN assignment "
            "ON submitted_assignment.assignment_id = assignment.id WHERE assignment.name = ? "
            "GROUP BY student.id", (chapter,)))


def _toy_class(tmp, answers):
    root = toy.make_course(tmp)
    release(root, [CH])
    release_nb = nbformat.read(root / "course" / CH / f"{CH}.ipynb", as_version=4)
    for student, sources in answers.items():
        folder = root / "autograde" / "submitted" / student / CH
        folder.mkdir(parents=True)
        nbformat.write(toy.fill(release_nb, sources), folder / f"{CH}.ipynb")
    return root


def _sleepy(seconds):
    return {**toy.SOLUTIONS, "sigmoid": f"import time\ntime.sleep({seconds})\n" + toy.SOLUTIONS["sigmoid"]}


def _grading_tasks():
    """``{task folder: (student, pid of the Dask worker running it)}`` of the tasks under way on
    this machine: each task unpacks into a folder named after its worker's pid."""
    found = {}
    for task in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*/task.json"):
        try:
            student = json.loads(task.read_text())["student"]
            worker = int(task.parent.name[len(SCRATCH_PREFIX):].split("-")[0])
        except (OSError, ValueError, KeyError):
            continue  # being written
        found[task.parent.name] = (student, worker)
    return found


def _kill_workers(plan, deadline):
    """SIGKILL the Dask worker grading a student of ``plan`` each time a new task of theirs
    starts, as many times as ``plan`` says; returns the kills per student."""
    killed, seen = dict.fromkeys(plan, 0), set()
    while killed != plan and time.monotonic() < deadline:
        for task, (who, worker) in _grading_tasks().items():
            if killed.get(who, 0) < plan.get(who, 0) and task not in seen:
                seen.add(task)
                time.sleep(1.0)  # the task is under way: its kernel is starting
                os.kill(worker, signal.SIGKILL)
                killed[who] += 1
        time.sleep(0.1)
    return killed


@pytest.mark.parametrize("text, why", [
    ("local:0", "whole number > 0"), ("local:two", "whole number > 0"),
    ("http://host:8786", "not a scheduler address"), ("tcp://host", "not a scheduler address"),
    ("tcp://host:99999", "not a scheduler address"), ("no-such-file.json", "neither a cluster"),
    ("", "neither a cluster")])
def test_a_bad_cluster_value_is_refused_with_its_reason(text, why):
    with pytest.raises(ClusterError, match=why):
        parse_address(text)


def test_cluster_values_that_name_a_cluster(tmp_path):
    assert parse_address("local:3").value == 3
    assert parse_address("tcp://10.0.0.5:8786").value == "tcp://10.0.0.5:8786"
    file = tmp_path / "scheduler.json"
    file.write_text('{"address": "tcp://10.0.0.5:8786"}')
    assert parse_address(str(file)).kind == "file"
    file.write_text("[1, 2]")
    with pytest.raises(ClusterError, match="not a Dask scheduler file"):
        parse_address(str(file))


def test_the_command_names_a_bad_cluster_value(tmp_path):
    done = subprocess.run([sys.executable, "-m", "dlcourse", "autograde", CH, "--cluster", "local:x"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2
    assert "--cluster" in done.stderr and "whole number > 0" in done.stderr


@pytest.mark.slow
def test_killed_workers_cost_nothing_and_a_submission_that_kills_two_is_recorded(tmp_path):
    root = _toy_class(tmp_path / "course", {
        "honest": toy.SOLUTIONS, "unfinished": {}, "survivor": _sleepy(3), "crasher": _sleepy(30)})  # long enough to be found and killed twice
    grading = dlcourse_autograde(root, CH, "--cluster", "local:2", start_new_session=True)
    try:
        deadline = time.monotonic() + 150
        plan = {"survivor": 1, "crasher": 2}
        assert _kill_workers(plan, deadline) == plan
        output, _ = grading.communicate(timeout=max(1, deadline - time.monotonic()))
    finally:
        os.killpg(grading.pid, signal.SIGKILL)
        grading.wait()
        grading.stdout.close()
    assert grading.returncode == 0, output
    rows = result_rows(root, CH)
    assert set(rows) == {"honest", "unfinished", "survivor", "crasher"}
    assert rows["honest"][:2] == rows["survivor"][:2] == ("graded", FULL)
    assert rows["unfinished"][:2] == ("graded", dict.fromkeys(FULL, 0.0))
    status, points, flags = rows["crasher"]
    assert (status, points) == ("crashed", dict.fromkeys(FULL, 0.0))
    assert any("grading worker died twice" in flag for flag in flags)
    assert set(_submission_count(root, CH).values()) == {1}
    lines = output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["student", "status"])
    summary = [line.split()[0] for line in lines[header + 1:header + 5]]
    assert sorted(summary) == sorted(rows)  # each submission reported once
    assert (root / "autograde" / "autograded" / "survivor" / CH / f"{CH}.ipynb").is_file()


@pytest.mark.slow
def test_the_client_killed_mid_run_resumes_with_the_same_command(tmp_path):
    answers = {f"s{i}": [toy.SOLUTIONS, {}, {"sigmoid": toy.SOLUTIONS["sigmoid"]}][i % 3]
               for i in range(6)}
    expected = [FULL, dict.fromkeys(FULL, 0.0), {**dict.fromkeys(FULL, 0.0), "test_sigmoid": 2.0}]
    root = _toy_class(tmp_path / "course", answers)
    first = dlcourse_autograde(root, CH, "--cluster", "local:2", start_new_session=True)
    deadline = time.monotonic() + 120
    graded = {}
    while time.monotonic() < deadline and first.poll() is None and len(graded) < 2:
        time.sleep(0.2)
        try:
            graded = result_rows(root, CH)
        except sqlite3.Error:
            pass
    os.killpg(first.pid, signal.SIGKILL)  # the client, its LocalCluster and every worker
    first.wait()
    first.stdout.close()
    before = result_rows(root, CH)
    assert 2 <= len(before) < len(answers), "the first run was not stopped mid-way"
    second = dlcourse_autograde(root, CH, "--cluster", "local:2")
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"{len(before)} already graded" in second.stdout
    rows = result_rows(root, CH)
    assert {s: before[s] for s in before} == {s: rows[s] for s in before}  # kept, not regraded
    assert {s: rows[s][1] for s in rows} == {f"s{i}": expected[i % 3] for i in range(6)}
    assert set(_submission_count(root, CH).values()) == {1}


@pytest.mark.slow
def test_a_running_cluster_of_daemonic_workers_grades_too(tmp_path):
    """Workers started with Dask's defaults are daemonic and may not fork: they grade each
    submission in a fresh interpreter, with the same grades."""
    import distributed

    root = _toy_class(tmp_path / "course", {"honest": toy.SOLUTIONS, "unfinished": {}})
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        assert all(client.run(_daemonic).values())
        done = dlcourse_autograde(root, CH, "--cluster", cluster.scheduler_address)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = result_rows(root, CH)
    assert rows["honest"][:2] == ("graded", FULL)
    assert rows["unfinished"][:2] == ("graded", dict.fromkeys(FULL, 0.0))


def _daemonic():
    import multiprocessing

    return multiprocessing.current_process().daemon
