"""End to end: a toy course released with the real nbgrader, a class of honest and
hostile submissions, ``dlcourse autograde`` killed mid-way and run again,
then feedback and export; grades compared with plain ``nbgrader autograde``."""

import csv
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from dlcourse.grading import toy
from dlcourse.grading.export import export_csv
from dlcourse.grading.feedback import write_feedback
from dlcourse.grading.pipeline import Course
from dlcourse.grading.release import nbgrader_command, release

pytestmark = pytest.mark.slow

CH = toy.CHAPTER
FULL = {"test_sigmoid": 2.0, "test_relu": 3.0, "test_total": 1.0}
MARKER = f"dlcourse-survivor-{os.getpid()}"  # unique per test process (pytest-xdist)
VICTIM = f"/etc/dlcourse-vandal-{os.getpid()}"  # outside every hidden folder: read-only


def _answers(**changes):
    return {**toy.SOLUTIONS, **changes}


def _class(release_nb, root):
    """``{student: notebook, bytes or None}`` and the expected points per test."""
    s = toy.SOLUTIONS
    honest = {
        "correct": toy.fill(release_nb, s),
        "style": toy.fill(release_nb, {
            "sigmoid": "def sigmoid(x):\n    x = np.asarray(x, dtype=float)\n    return np.exp(-np.logaddexp(0.0, -x))",
            "relu": "def relu(x):\n    return x * (x > 0)",
            "total": "def total(x):\n    result = 0.0\n    for v in x:\n        result += v\n    return result"}),
        "warns": toy.fill(release_nb, _answers(sigmoid=(
            "import logging, sys, warnings\nlog = logging.getLogger('mine')\n"
            "log.addHandler(logging.StreamHandler(sys.stderr))\n"
            "def sigmoid(x):\n    log.warning('computing a sigmoid')\n    warnings.warn('just saying')\n"
            "    return 1.0 / (1.0 + np.exp(-x))"))),
        "partial": toy.fill(release_nb, _answers(relu="def relu(x):\n    return np.abs(x) * 0 + x")),
        "stub": release_nb,
    }
    deleted = toy.fill(release_nb, s)
    deleted.cells = [c for c in deleted.cells
                     if c.metadata.get("nbgrader", {}).get("grade_id") != "test_relu"]
    edited = toy.fill(release_nb, s)
    toy.cell_with(edited, "test_total").source = "print('all good')"
    stripped = toy.fill(release_nb, s)
    del toy.cell_with(stripped, "test_sigmoid").metadata["nbgrader"]
    for cell in stripped.cells:
        cell["id"] = "same-id"
    gradebook = root / "autograde" / "gradebook.db"
    other = root / "autograde" / "submitted" / "correct" / CH / f"{CH}.ipynb"
    released = root / "course" / CH / f"{CH}.ipynb"
    hostile = {
        "loop": toy.fill(release_nb, _answers(relu="while True:\n    pass")),
        "hangs": toy.fill(release_nb, _answers(relu="def relu(x):\n    while True:\n        pass")),
        "memhog": toy.fill(release_nb, _answers(relu="hog = np.ones(2**31)\n" + s["relu"])),
        "exits": toy.fill(release_nb, _answers(relu="import os\nos._exit(3)")),
        "sysexit": toy.fill(release_nb, _answers(relu="import sys\n" + s["relu"] + "\nsys.exit(0)")),
        "survivor": toy.fill(release_nb, _answers(relu=(
            "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=2)\n"
            "    print('network: yes')\nexcept OSError:\n    print('network: no')\n"
            "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', "
            f"'import time; time.sleep(300)', '{MARKER}'])\n" + s["relu"]))),
        "noisy": toy.fill(release_nb, _answers(relu="print('x' * 3_000_000)\n" + s["relu"])),
        # output past every cap from inside a wrong function cannot change its verdict
        "chatty": toy.fill(release_nb, _answers(relu=(
            "def relu(x):\n    print('debug:', '.' * 300_000)\n    return x"))),
        "deleted": deleted,
        "stripped": stripped,
        "edited": edited,
        "delegates": toy.fill(release_nb, _answers(sigmoid="def sigmoid(x):\n    return F.sigmoid(x)")),
        "patcher": toy.fill(release_nb, _answers(
            relu="def relu(x):\n    return x\nimport dlcourse.checks.core as core\n"
                 "core.compare = lambda *a, **k: None")),
        "sneaky": toy.fill(release_nb, _answers(
            relu="def relu(x):\n    return x\nsetattr(__import__('numpy'), 'isclose', "
                 "lambda a, b, **k: __import__('numpy').ones(__import__('numpy').shape(b), bool))")),
        "anything": toy.fill(release_nb, _answers(relu=(
            "class Anything(float):\n    def __eq__(self, other):\n        return True\n"
            "def relu(x):\n    return Anything()"))),
        "transformer": toy.fill(release_nb, _answers(relu=(
            "def relu(x):\n    return x\n"
            "get_ipython().input_transformers_cleanup.append(lambda lines: ['1\\n'])"))),
        "snoop": toy.fill(release_nb, _answers(total=(
            f"key = open({str(root / 'solutions' / CH / (CH + '.ipynb'))!r}).read()\n" + s["total"]))),
        "vandal": toy.fill(release_nb, _answers(total=(
            f"for victim in [{str(gradebook)!r}, {str(other)!r}, {str(released)!r}, {VICTIM!r}]:\n"
            "    try:\n        open(victim, 'w').write('gone')\n    except OSError:\n        pass\n"
            + s["total"]))),
        "killer": toy.fill(release_nb, _answers(relu=(
            "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n" + s["relu"]))),
        "extras": toy.fill(release_nb, _answers(total="from helper import total")),
        # right only when the instructor's hidden cases are out of its kernel's reach
        "finder": toy.fill(release_nb, _answers(total=(
            "import os\ndef total(x):\n    seen = any(os.path.exists(p) for p in ('hidden_cases.py', "
            f"{str(root / 'solutions' / CH / 'hidden_cases.py')!r}))\n"
            "    return float(np.sum(x)) + (1.0 if seen else 0.0)"))),
        # forging a verdict from inside the kernel: every one of these has a wrong relu
        "displayhook": toy.fill(release_nb, _answers(relu=(
            "import sys\ndef relu(x):\n    sys.displayhook(3)\n    return x"))),
        "silenced": toy.fill(release_nb, _answers(relu=(
            "def relu(x):\n    return x\n"
            "get_ipython().showtraceback = lambda *a, **k: None\n"
            "get_ipython().showsyntaxerror = lambda *a, **k: None"))),
        "formatter": toy.fill(release_nb, _answers(relu=(
            "def relu(x):\n    return x\n"
            "get_ipython().display_formatter.formatters['text/plain'].for_type(float, "
            "lambda v, p, c: p.text('3'))"))),
        "replacer": toy.fill(release_nb, _answers(relu=(
            "def relu(x):\n    return x\nimport sys, dlcourse.checks.core as core\n"
            "vars(core)['check_function'] = lambda *a, **k: True\n"
            "sys.modules.update({'dlcourse.checks.core': core})"))),
        "forger": toy.fill(release_nb, _answers(relu=(
            "def relu(x):\n    return x\n"
            "import json, re\nfrom IPython.display import publish_display_data\n"
            "def forge(info):\n"
            "    found = re.search(r\"run\\(globals\\(\\), '(\\w+)'\", info.raw_cell or '')\n"
            "    if found and 'relu' in info.raw_cell:\n"
            "        for i in range(8):\n"
            "            publish_display_data({'application/vnd.dlcourse.probe+json': {'token': found.group(1), "
            "'index': i, 'result': {'tree': {'$array': 0}, 'arrays': ''}}})\n"
            "get_ipython().events.register('pre_run_cell', forge)"))),
        "unprofiled": toy.fill(release_nb, _answers(sigmoid=(
            "import sys\ndef sigmoid(x):\n    getattr(sys, 'set' + 'profile')(None)\n"
            "    return F.sigmoid(x)"))),
        "threaded": toy.fill(release_nb, _answers(sigmoid=(
            "import threading\ndef sigmoid(x):\n    out = {}\n"
            "    t = threading.Thread(target=lambda: out.update(y=F.sigmoid(x)))\n"
            "    t.start(); t.join()\n    return out.get('y')"))),
    }
    duplicated = toy.fill(release_nb, s)  # a student copied two cells to experiment
    for grade_id in ("relu_solution", "test_total"):
        cell = toy.cell_with(duplicated, grade_id)
        copy = nbformat.from_dict(json.loads(json.dumps(cell)))
        copy["id"] = f"copy-{grade_id}"
        duplicated.cells.insert(duplicated.cells.index(cell), copy)
    oldschema = toy.fill(release_nb, s)  # saved with nbgrader's schema 1 (no task field)
    for cell in oldschema.cells:
        meta = cell.metadata.get("nbgrader")
        if meta:
            meta["schema_version"] = 1
            meta.pop("task", None)
    honest.update({
        "duplicated": duplicated, "oldschema": oldschema,
        "callback": toy.fill(release_nb, _answers(sigmoid=(
            "shown = []\nget_ipython().events.register('post_run_cell', lambda result: shown.append(1))\n"
            + s["sigmoid"]))),
        "docstring": toy.fill(release_nb, _answers(total=(
            'def total(x):\n    """Checked against the worked solutions/examples of the notes."""\n'
            "    return float(np.sum(x))"))),
    })
    many = toy.fill(release_nb, s)
    many.cells += [nbformat.v4.new_code_cell("") for _ in range(3000)]
    files = {"brokenjson": b'{"cells": [', "empty": b"",
             "manycells": json.dumps(many).encode(),
             # a notebook of 21 MB: refused from its size, before it is parsed
             "huge": json.dumps({**toy.fill(release_nb, s), "metadata": {"pad": "x" * 21 * 2**20}}).encode()}
    return honest, hostile, files


EXPECTED = {
    "correct": (FULL, False), "style": (FULL, False), "warns": (FULL, False),
    "partial": ({**FULL, "test_relu": 1.0}, False), "stub": (dict.fromkeys(FULL, 0.0), False),
    "loop": ({**FULL, "test_relu": 0.0}, True), "hangs": ({**FULL, "test_relu": 0.0}, True), "memhog": ({**FULL, "test_relu": 0.0}, True),
    "exits": ({"test_sigmoid": 2.0, "test_relu": 0.0, "test_total": 0.0}, True),
    "sysexit": (FULL, False), "chatty": ({**FULL, "test_relu": 1.0}, True), "survivor": (FULL, False), "noisy": (FULL, True),
    "deleted": (FULL, True), "edited": (FULL, True), "stripped": (FULL, True),
    "delegates": ({**FULL, "test_sigmoid": 0.0}, False),
    "patcher": ({**FULL, "test_relu": 1.0}, True),  # its patch reaches only its own kernel
    "sneaky": ({**FULL, "test_relu": 1.0}, True),
    "anything": ({**FULL, "test_relu": 0.0}, False),
    "transformer": ({**FULL, "test_relu": 0.0, "test_total": 0.0}, True),
    "snoop": ({**FULL, "test_total": 0.0}, False),  # the file is not in its box: the open fails
    "vandal": (FULL, False),  # every write failed (read-only), so its work is graded as it is
    "killer": (None, None),  # ignored by a kernel that is PID 1 of its namespace, else fatal
    "extras": (FULL, False), "finder": (FULL, False),
    "displayhook": ({**FULL, "test_relu": 1.0}, False), "silenced": ({**FULL, "test_relu": 1.0}, False),
    "formatter": ({**FULL, "test_relu": 1.0}, False), "replacer": ({**FULL, "test_relu": 1.0}, False),
    "forger": ({**FULL, "test_relu": 0.0}, True),
    "unprofiled": ({**FULL, "test_sigmoid": 0.0}, False),
    "threaded": ({**FULL, "test_sigmoid": 0.0}, False),
    "brokenjson": (dict.fromkeys(FULL, 0.0), True), "empty": (dict.fromkeys(FULL, 0.0), True),
    "wrongname": (FULL, True), "missing": (dict.fromkeys(FULL, 0.0), True),
    # honest work that looks unusual loses nothing
    "duplicated": (FULL, True), "oldschema": (FULL, True), "callback": (FULL, True),
    "docstring": (FULL, False),
    "manycells": (dict.fromkeys(FULL, 0.0), True), "huge": (dict.fromkeys(FULL, 0.0), True),
}
HONEST = ["correct", "style", "partial", "stub"]  # "warns" differs from nbgrader on purpose


def _autograde_argv(*extra):
    # no --timeout: the notebook's limit comes from the cell limit, so a cell that runs out of
    # time costs only its own exercise
    return [sys.executable, "-m", "dlcourse", "autograde", CH, "--quiet", "--memory", "1024",
            "--cell-timeout", "4", *extra]


def _results(root):
    with sqlite3.connect(root / "autograde" / "gradebook.db") as db:
        return {row[0]: row[1:] for row in db.execute(
            "SELECT student, status, flags, cells, graded_at FROM dlcourse_results")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = toy.make_course(tmp_path_factory.mktemp("course"))
    release(root, [CH])
    release_nb = nbformat.read(root / "course" / CH / f"{CH}.ipynb", as_version=4)
    honest, hostile, files = _class(release_nb, root)
    submitted = root / "autograde" / "submitted"
    for student, nb in {**honest, **hostile}.items():
        (submitted / student / CH).mkdir(parents=True)
        # as a student's editor saved it, without nbformat's validation
        (submitted / student / CH / f"{CH}.ipynb").write_text(json.dumps(nb))
    for student, raw in files.items():
        (submitted / student / CH).mkdir(parents=True)
        (submitted / student / CH / f"{CH}.ipynb").write_bytes(raw)
    (submitted / "wrongname" / CH).mkdir(parents=True)
    nbformat.write(honest["correct"], submitted / "wrongname" / CH / "my-work.ipynb")
    (submitted / "extras" / CH / "helper.py").write_text(
        "import numpy as np\n\n\ndef total(x):\n    return float(np.sum(x))\n")
    (submitted / "docstring" / CH / "my_solutions").mkdir()  # a helper folder of their own
    (submitted / "docstring" / CH / "my_solutions" / "notes.py").write_text("x = 1\n")
    (submitted / "missing" / CH).mkdir(parents=True)
    (submitted / "missing" / CH / "notes.txt").write_text("forgot it")

    # first run: killed as soon as a few submissions are graded
    first = subprocess.Popen(_autograde_argv("--workers", "2"), cwd=root, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.2)
        try:
            if len(_results(root)) >= 4:
                break
        except sqlite3.Error:
            pass
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    before = _results(root)
    second = subprocess.run(_autograde_argv("--workers", "2"), cwd=root, capture_output=True, text=True)
    return root, before, second, release_nb


def test_every_submission_graded_exactly_once_after_an_interrupted_run(graded):
    root, before, second, _ = graded
    assert second.returncode == 0, second.stdout + second.stderr
    after = _results(root)
    assert 0 < len(before) < len(EXPECTED)
    assert set(after) == set(EXPECTED)
    for student, row in before.items():
        assert after[student][3] == row[3], f"{student} was graded twice"
    with sqlite3.connect(root / "autograde" / "gradebook.db") as db:
        counts = dict(db.execute(
            "SELECT student.id, COUNT(*) FROM grade JOIN submitted_notebook ON grade.notebook_id = "
            "submitted_notebook.id JOIN submitted_assignment ON submitted_notebook.assignment_id = "
            "submitted_assignment.id JOIN student ON submitted_assignment.student_id = student.id "
            "GROUP BY student.id"))
    assert counts == dict.fromkeys(EXPECTED, 3)


def test_per_exercise_points_and_flags(graded):
    root, _, second, _ = graded
    results = _results(root)
    for student, (points, flagged) in EXPECTED.items():
        status, flags, cells, _ = results[student]
        got = {c["grade_id"]: c["points"] for c in json.loads(cells)}
        if points is None:
            assert got["test_sigmoid"] == 2.0 and status in ("graded", "crashed")
            continue
        assert got == points, (student, got, flags)
        assert bool(json.loads(flags)) == flagged, (student, flags)
    assert results["loop"][0] == "timeout"
    assert results["memhog"][0] == "memory"
    assert results["exits"][0] == "crashed"
    assert results["brokenjson"][0] == results["empty"][0] == "unreadable"
    assert results["manycells"][0] == results["huge"][0] == "unreadable"
    assert "more than the 2000" in results["manycells"][1]
    assert "more than the 20 MB" in results["huge"][1]
    assert "appears 2 times" in results["duplicated"][1]
    assert "older nbgrader metadata schema" in results["oldschema"][1]
    assert "review:" in results["callback"][1] and "event callback" in results["callback"][1]
    assert results["missing"][0] == "missing"
    assert "checks tampered with" in results["forger"][1]
    assert "isolation: on" in second.stdout


def test_hostile_work_changes_nothing_else(graded):
    root, *_ = graded
    for intact in (root / "solutions" / CH / f"{CH}.ipynb", root / "course" / CH / f"{CH}.ipynb",
                   root / "autograde" / "submitted" / "correct" / CH / f"{CH}.ipynb"):
        assert nbformat.read(intact, as_version=4).cells
    assert not os.path.exists(VICTIM)
    assert not any(MARKER in p.read_bytes().decode(errors="replace")
                   for p in Path("/proc").glob("[0-9]*/cmdline") if p.exists())
    survivor = nbformat.read(root / "autograde" / "autograded" / "survivor" / CH / f"{CH}.ipynb",
                             as_version=4)
    printed = "".join(out.get("text", "") for c in survivor.cells for out in c.get("outputs", []))
    assert "network: no" in printed and "network: yes" not in printed
    noisy = nbformat.read(root / "autograde" / "autograded" / "noisy" / CH / f"{CH}.ipynb", as_version=4)
    assert os.path.getsize(root / "autograde" / "autograded" / "noisy" / CH / f"{CH}.ipynb") < 1_000_000
    assert any("truncated" in out.get("text", "") for c in noisy.cells for out in c.get("outputs", []))


def test_feedback_and_export(graded):
    root, *_ = graded
    course = Course(root)
    paths = write_feedback(course, CH)
    assert len(paths) == len(EXPECTED)
    for path in paths:
        text = path.read_text()
        assert "BEGIN HIDDEN TESTS" not in text and "negative inputs\", 2" not in text
        assert "check_function(" not in text
    rows = list(csv.DictReader(io.StringIO(export_csv(course))))
    by_student = {row["student"]: row for row in rows}
    assert by_student["correct"]["total"] == "6"
    assert by_student["partial"][f"{CH}:test_relu"] == "1"
    assert by_student["stub"][CH] == "0"


def test_same_grades_as_nbgrader_on_honest_work(graded, tmp_path):
    root, *_ = graded
    copy = tmp_path / "plain"
    copy.mkdir()
    for name in ("nbgrader_config.py", "solutions", "course"):
        src = root / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, copy / name)
    (copy / "autograde").mkdir()
    shutil.copy(root / "autograde" / "gradebook.db", copy / "autograde" / "gradebook.db")
    for student in HONEST:
        shutil.copytree(root / "autograde" / "submitted" / student, copy / "autograde" / "submitted" / student)
    argv, env = nbgrader_command("autograde", CH, "--force")
    done = subprocess.run(argv, cwd=copy, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    with Gradebook(f"sqlite:///{copy / 'autograde' / 'gradebook.db'}") as gradebook:
        plain = {student: {gid: gradebook.find_grade(gid, CH, CH, student).auto_score for gid in FULL}
                 for student in HONEST}
    ours = {s: {c["grade_id"]: c["points"] for c in json.loads(row[2])}
            for s, row in _results(root).items() if s in HONEST}
    assert plain == ours


def test_report_command_writes_html_and_plots(graded):
    root, *_ = graded
    done = subprocess.run([sys.executable, "-m", "dlcourse", "report", CH], cwd=root,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    folder = root / "autograde" / "reports" / CH
    page = (folder / "report.html").read_text()
    for png in ("scores.png", "pass_rates.png"):
        assert (folder / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png in page
    for student in ("loop", "memhog", "exits", "patcher", "brokenjson"):
        assert f"<td>{student}</td>" in page
    assert "<td>correct</td>" not in page
    assert "test_relu" in page and "expected 0, got" in page  # a common failure message


def test_autograde_refuses_an_unreleased_chapter(graded):
    root, *_ = graded
    done = subprocess.run([sys.executable, "-m", "dlcourse", "autograde", "ch99-none"], cwd=root,
                          capture_output=True, text=True)
    assert done.returncode == 2 and "dlcourse release ch99-none" in done.stderr


@pytest.mark.parametrize("damage", ["truncated", "foreign", "edited plan"])
def test_a_damaged_answer_key_cache_is_rebuilt_not_trusted(graded, damage):
    root, *_ = graded
    cache = root / "autograde" / ".grading" / f"key-{CH}.json"
    saved = json.loads(cache.read_text())
    if damage == "truncated":
        cache.write_text(cache.read_text()[: len(cache.read_text()) // 2])
    elif damage == "foreign":
        cache.write_text(json.dumps({"digest": "0" * 64, "checksum": "x", "plans": {}}))
    else:  # a plan that would ask the student's code other questions
        saved["plans"]["test_relu"]["calls"] = []
        cache.write_text(json.dumps(saved))
    done = subprocess.run(_autograde_argv("--force", "--students", "partial"), cwd=root,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    status, _, cells, _ = _results(root)["partial"]
    assert {c["grade_id"]: c["points"] for c in json.loads(cells)} == EXPECTED["partial"][0]
    rebuilt = json.loads(cache.read_text())
    assert rebuilt["plans"]["test_relu"]["calls"] and rebuilt["digest"] == saved["digest"]


def test_a_locked_gradebook_delays_grading_but_loses_nothing(graded):
    root, *_ = graded
    db = sqlite3.connect(root / "autograde" / "gradebook.db", timeout=0, isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    grading = subprocess.Popen(_autograde_argv("--force", "--students", "style"), cwd=root,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(4)
    db.execute("COMMIT")
    db.close()
    output, _ = grading.communicate(timeout=120)
    assert grading.returncode == 0, output
    status, _, cells, _ = _results(root)["style"]
    assert status == "graded" and {c["grade_id"]: c["points"] for c in json.loads(cells)} == FULL


def test_a_second_run_on_the_same_course_stops_at_once_and_changes_nothing(graded):
    root, *_ = graded
    before = _results(root)
    first = subprocess.Popen(_autograde_argv("--force", "--students", "loop"), cwd=root,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lock = root / "autograde" / ".grading" / "autograde.lock"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (lock.is_file() and lock.read_text().startswith(f"pid {first.pid},")):
        time.sleep(0.1)
    second = subprocess.run(_autograde_argv("--force", "--students", "style"), cwd=root,
                            capture_output=True, text=True)
    output, _ = first.communicate(timeout=180)
    assert first.returncode == 0, output
    assert second.returncode == 2
    assert f"another `dlcourse autograde` is grading this course (pid {first.pid}" in second.stderr
    after = _results(root)
    assert after["style"] == before["style"]  # the refused run graded nothing
    assert after["loop"][2] == before["loop"][2]


def test_each_student_has_hidden_cases_of_their_own_and_keeps_them(graded):
    root, *_ = graded
    key = json.loads((root / "autograde" / ".grading" / f"key-{CH}.json").read_text())
    by_seed = key["plans"]["test_total"]["by_seed"]
    assert "test_sigmoid" in key["plans"] and "by_seed" not in key["plans"]["test_sigmoid"]
    inputs = {seed: json.dumps(plan["calls"][1:]) for seed, plan in by_seed.items()}
    assert len(by_seed) >= len(EXPECTED) - 6  # every graded student (not the unreadable ones)
    assert len(set(inputs.values())) == len(inputs), "two students got the same hidden cases"
    secret = root / "autograde" / ".grading" / "course-secret"
    assert secret.stat().st_mode & 0o077 == 0
    before = _results(root)["style"]
    again = subprocess.run(_autograde_argv("--force", "--students", "style"), cwd=root,
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads(_results(root)["style"][2]) == json.loads(before[2])
    after = json.loads((root / "autograde" / ".grading" / f"key-{CH}.json").read_text())
    assert set(after["plans"]["test_total"]["by_seed"]) == set(by_seed), \
        "regrading one student dropped the others' hidden cases from the answer key"
