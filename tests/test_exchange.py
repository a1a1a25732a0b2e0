"""A class on a hub, for real: nbgrader's exchange between an instructor and three students.

Every step is a separate process with its own environment, as on a JupyterHub: each student
has a home folder of their own, their hub name in ``JUPYTERHUB_USER`` and the student's
configuration of ``deploy/`` on ``JUPYTER_CONFIG_PATH``; they fetch, work and submit with
nbgrader's own commands. The instructor releases, collects, grades and hands back feedback
with ``dlcourse``; each student's ``nbgrader fetch_feedback`` brings back their own page.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dlcourse.grading import gradebook as store
from dlcourse.grading.demo import _solutions
from dlcourse.grading.pipeline import Course
from dlcourse.grading.release import copy_course

CH = "ch01-neurons"
ROOT = Path(__file__).resolve().parents[1]
STUDENT_CONFIG = ROOT / "deploy" / "student"
UNFINISHED = ("train_perceptron", "xor_weights", "boolean_network")  # the partial student's gaps
WORK = {"ada": "all", "barbara": "partial", "edsger": "none"}


def _environment(home, user=None, config_path=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    env.update(HOME=str(home), JUPYTER_PLATFORM_DIRS="1")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    if user:
        env["JUPYTERHUB_USER"] = user
    if config_path:
        env["JUPYTER_CONFIG_PATH"] = str(config_path)
    return env


class Hub:
    """The exchange folder, the instructor's course and the students' homes of one class."""

    def __init__(self, tmp_path):
        self.exchange = tmp_path / "exchange"
        self.exchange.mkdir(mode=0o777)
        self.exchange.chmod(0o777)
        self.course = Course(copy_course(ROOT, tmp_path / "instructor" / "dlcourse", [CH]))
        self.instructor_env = _environment(tmp_path / "instructor")
        self.homes = {}
        for student in WORK:
            self.homes[student] = tmp_path / "home" / student
            self.homes[student].mkdir(parents=True)

    def dlcourse(self, *args, check=True):
        done = subprocess.run([sys.executable, "-m", "dlcourse", *args], cwd=self.course.root,
                              env=self.instructor_env, capture_output=True, text=True)
        if check:
            assert done.returncode == 0, done.stdout + done.stderr
        return done

    def students(self, *args):
        """Run ``nbgrader ARGS`` for every student at once, each as themselves."""
        running = {
            student: subprocess.Popen(
                [sys.executable, "-m", "nbgrader", *args, f"--Exchange.root={self.exchange}"],
                cwd=home, env=_environment(home, student, STUDENT_CONFIG),
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for student, home in self.homes.items()}
        outputs = {student: process.communicate()[0] for student, process in running.items()}
        for student, process in running.items():
            assert process.returncode == 0, f"{student}: {outputs[student]}"
        return outputs


def _do_the_work(notebook_path, answers, how):
    """Write the reference answers into the fetched notebook: all, all but a few, or none."""
    nb = nbformat.read(notebook_path, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers and how != "none" and not (how == "partial" and grade_id in UNFINISHED):
            cell.source = answers[grade_id]
    nbformat.write(nb, notebook_path)


def _score(page):
    found = re.search(r"score <b>([\d.]+) / ([\d.]+)</b>", page)
    return float(found.group(1)), float(found.group(2))


@pytest.mark.slow
def test_a_class_hands_in_through_the_exchange_and_gets_its_own_feedback(tmp_path):
    hub = Hub(tmp_path)
    released = hub.dlcourse("release", CH, "--exchange", "--exchange-root", str(hub.exchange))
    assert (hub.exchange / "dlcourse" / "outbound" / CH / f"{CH}.ipynb").is_file(), released.stdout
    assert not list(hub.exchange.rglob("hidden_cases.py"))

    hub.students("fetch_assignment", CH, "--course=dlcourse")
    answers = _solutions(nbformat.read(ROOT / "solutions" / CH / f"{CH}.ipynb", as_version=4))
    for student, how in WORK.items():
        _do_the_work(hub.homes[student] / CH / f"{CH}.ipynb", answers, how)
    hub.students("submit", CH, "--course=dlcourse")
    handed_in = sorted(p.name.split("+")[0] for p in (hub.exchange / "dlcourse" / "inbound").iterdir())
    assert handed_in == sorted(WORK)  # each under their hub name, though one account runs all

    collected = hub.dlcourse("collect", CH, "--exchange", "--exchange-root", str(hub.exchange))
    assert f"placed {len(WORK)} submission(s)" in collected.stdout, collected.stdout
    for student in WORK:
        folder = hub.course.submitted / student / CH
        assert sorted(p.name for p in folder.iterdir()) == [f"{CH}.ipynb", "submission_secret.txt",
                                                           "timestamp.txt"]

    hub.dlcourse("autograde", CH, "--quiet", "--workers", "3")
    gradebook = store.open_gradebook(hub.course.db_url)
    try:
        scores = {o.student: (o.score, o.max_score) for o in store.load(gradebook, CH)}
    finally:
        gradebook.close()
    total = scores["ada"][1]
    assert total == 12
    assert scores == {"ada": (12, 12), "barbara": (5, 12), "edsger": (0, 12)}

    shown = hub.dlcourse("feedback", CH, "--exchange", "--exchange-root", str(hub.exchange))
    assert f"released {len(WORK)} page(s)" in shown.stdout, shown.stdout
    assert len(list((hub.exchange / "dlcourse" / "feedback").glob("*.html"))) == len(WORK)

    hub.students("fetch_feedback", CH, "--course=dlcourse")
    for student in WORK:
        pages = list((hub.homes[student] / CH / "feedback").glob(f"*/{CH}.html"))
        assert len(pages) == 1, f"{student} fetched {pages}"
        page = pages[0].read_text(encoding="utf-8")
        assert f"Student: <b>{student}</b>" in page
        assert _score(page) == scores[student]
        assert "BEGIN HIDDEN TESTS" not in page
