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
from dlcourse.grading.exchange import nbgrader_argv
from dlcourse.grading.pipeline import Course
from dlcourse.grading.release import copy_course

CH = "ch01-neurons"
ROOT = Path(__file__).resolve().parents[1]
STUDENT_CONFIG = ROOT / "deploy" / "student"
UNFINISHED = ("train_perceptron", "xor_weights", "boolean_network")  # the partial student's gaps
WORK = {"ada": "all", "barbara": "partial", "edsger": "none"}


def _test_points():
    """``{grade_id: points}`` of the chapter's graded test cells, from its source notebook."""
    source = nbformat.read(ROOT / "solutions" / CH / f"{CH}.ipynb", as_version=4)
    return {c.metadata.nbgrader.grade_id: c.metadata.nbgrader.points for c in source.cells
            if c.metadata.get("nbgrader", {}).get("grade")}


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
                nbgrader_argv(*args, f"--Exchange.root={self.exchange}"),
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
    points = _test_points()
    total = sum(points.values())
    partial = total - sum(points[f"test_{name}"] for name in UNFINISHED)
    assert scores == {"ada": (total, total), "barbara": (partial, total), "edsger": (0, total)}

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


# -- what goes wrong, said clearly ---------------------------------------------------------


@pytest.fixture
def instructor(tmp_path, monkeypatch):
    """A course of chapter 1 as the current folder, with no Jupyter configuration of the machine's."""
    for name in [k for k in os.environ if k.startswith("JUPYTER")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "instructor"))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    course = Course(copy_course(ROOT, tmp_path / "course", [CH]))
    monkeypatch.chdir(course.root)
    return course


def _exchange_with_outbound(folder, course_id="dlcourse"):
    folder.mkdir(mode=0o777)
    folder.chmod(0o777)
    (folder / course_id / "outbound" / CH).mkdir(parents=True)
    (folder / course_id / "inbound").mkdir()
    return folder


def _command(capsys, *argv):
    from dlcourse.cli import main

    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out + err


@pytest.mark.parametrize("verb", ["collect", "feedback"])
def test_a_missing_exchange_folder_is_named_with_the_fix(instructor, tmp_path, capsys, verb):
    missing = tmp_path / "no-such-exchange"
    status, said = _command(capsys, verb, CH, "--exchange", "--exchange-root", str(missing))
    assert status == 2
    assert f"the exchange folder {missing} does not exist" in said and "chmod 777" in said


def test_an_unwritable_exchange_folder_is_refused(instructor, tmp_path, capsys, monkeypatch):
    folder = _exchange_with_outbound(tmp_path / "exchange")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path) == folder
                        else real_access(path, mode))  # root may write anywhere: ask as a student
    status, said = _command(capsys, "collect", CH, "--exchange", "--exchange-root", str(folder))
    assert status == 2 and "is not writable by this user" in said


def test_a_chapter_never_released_is_named(instructor, tmp_path, capsys):
    folder = tmp_path / "exchange"
    folder.mkdir()
    status, said = _command(capsys, "collect", CH, "--exchange", "--exchange-root", str(folder))
    assert status == 2
    assert f"{CH} was never released" in said and f"dlcourse release {CH} --exchange" in said


def test_a_course_id_other_than_the_released_one_is_named(instructor, tmp_path, capsys):
    folder = _exchange_with_outbound(tmp_path / "exchange", course_id="dlcourse-fall")
    status, said = _command(capsys, "feedback", CH, "--exchange", "--exchange-root", str(folder))
    assert status == 2
    assert "not in the exchange under the course id 'dlcourse'" in said
    assert "--course-id dlcourse-fall" in said
    assert not instructor.feedback.exists()  # nothing written before the exchange is right


def test_exchange_options_need_exchange(instructor, capsys):
    status, said = _command(capsys, "release", CH, "--course-id", "x")
    assert status == 2 and "go with --exchange" in said


def _hand_in(inbound, name, notebook=b'{"cells": []}'):
    folder = inbound / name
    folder.mkdir()
    (folder / f"{CH}.ipynb").write_bytes(notebook)
    (folder / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
    (folder / "submission_secret.txt").write_text("s" * 128)
    return folder


@pytest.mark.slow
def test_what_students_write_into_the_inbound_folder_is_not_trusted(instructor, tmp_path, capsys):
    """The inbound folder is writable by every student: a link there is never followed
    (neither a submission that is one nor a link inside one), an id that is no folder name
    is refused, and the rules of collect (case twins) hold as for a download."""
    folder = _exchange_with_outbound(tmp_path / "exchange")
    inbound = folder / "dlcourse" / "inbound"
    secret = tmp_path / "instructors-only"
    secret.mkdir()
    (secret / f"{CH}.ipynb").write_text('{"stolen": true}')
    _hand_in(inbound, f"ada+{CH}+2026-12-01 10:00:00.000000 UTC+abc")
    linked = _hand_in(inbound, f"bob+{CH}+2026-12-01 10:00:00.000000 UTC+abc")
    (linked / f"{CH}.ipynb").unlink()
    (linked / f"{CH}.ipynb").symlink_to(secret / f"{CH}.ipynb")
    (inbound / f"carol+{CH}+2026-12-01 10:00:00.000000 UTC+abc").symlink_to(secret)
    _hand_in(inbound, f"two words+{CH}+2026-12-01 10:00:00.000000 UTC+abc")
    _hand_in(inbound, f"Ada+{CH}+2026-12-01 10:00:00.000000 UTC+abc")
    status, said = _command(capsys, "collect", CH, "--exchange", "--exchange-root", str(folder))
    assert status == 1, said
    assert not list(instructor.submitted.glob("*/*"))  # ada and Ada are twins: neither placed
    assert "differs only in case" in said
    assert f"bob/{CH}/{CH}.ipynb (a symbolic link (never followed))" in said
    assert "carol" in said and "not a folder" in said
    assert "Refused two words+" in said and "holds characters other than" in said
    assert not list(instructor.root.rglob("*stolen*"))
    assert all('"stolen"' not in p.read_text() for p in instructor.root.rglob("*.ipynb")
               if p.is_file() and not p.is_symlink())

    (inbound / f"Ada+{CH}+2026-12-01 10:00:00.000000 UTC+abc").rename(tmp_path / "gone")
    status, said = _command(capsys, "collect", CH, "--exchange", "--exchange-root", str(folder))
    placed = instructor.submitted / "ada" / CH
    assert sorted(p.name for p in placed.iterdir()) == [f"{CH}.ipynb", "submission_secret.txt",
                                                       "timestamp.txt"]
    status, said = _command(capsys, "collect", CH, "--exchange", "--exchange-root", str(folder))
    assert "ada already has a submission (use --force)" in said


def test_the_exchange_and_course_id_come_from_nbgrader_configuration(instructor, tmp_path, capsys,
                                                                      monkeypatch):
    """Without options, the folder and course id are what nbgrader's configuration says (the
    hub's role folder on JUPYTER_CONFIG_PATH); the course's nbgrader_config.py does not set a
    root, so the hub's stays."""
    folder = _exchange_with_outbound(tmp_path / "configured-exchange", course_id="dlcourse")
    settings = tmp_path / "role"
    settings.mkdir()
    (settings / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.Exchange.root = {str(folder)!r}\n")
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(settings))
    status, said = _command(capsys, "feedback", CH, "--exchange", "--course-id", "dlcourse-b")
    assert status == 2
    assert f"under the course id 'dlcourse-b'" in said and "--course-id dlcourse" in said
    status, said = _command(capsys, "collect", CH, "--exchange")  # the course's id: released
    assert status == 0, said
    assert "placed 0 submission(s)" in said
