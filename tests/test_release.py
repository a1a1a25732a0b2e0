"""The release machinery on a small course built by the test: what a course
maintainer relies on when they edit a chapter."""

import json
import subprocess
import sys

import nbformat
import pytest

from dlcourse.cli import main
from dlcourse.grading.release import ReleaseError, release, stale_files
from dlcourse.grading.validate import validate
from tests.course_tools import make_course, toy_notebook


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    folder = make_course(tmp_path_factory.mktemp("course"))
    release(folder)
    return folder


def test_release_replaces_solutions_and_drops_hidden_tests(course):
    text = (course / "course" / "ch00-toy" / "ch00-toy.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    assert "secret" not in text
    assert "np.square" not in text  # the solution's code is gone
    notebook = nbformat.read(course / "course" / "ch00-toy" / "ch00-toy.ipynb", as_version=4)
    stubs = [c.source for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert len(stubs) == 2 and all("raise NotImplementedError()" in s for s in stubs)


def test_fresh_release_is_in_sync_and_a_stale_one_is_reported(course):
    assert stale_files(course) == []
    source = course / "solutions" / "ch00-toy" / "ch00-toy.ipynb"
    original = source.read_text()
    notebook = json.loads(original)
    notebook["cells"][0]["source"] = ["# Toy chapter, edited"]
    source.write_text(json.dumps(notebook))
    try:
        assert stale_files(course) == ["ch00-toy/ch00-toy.ipynb"]
    finally:
        source.write_text(original)


def test_unknown_chapter_is_named_in_the_error(course):
    with pytest.raises(ReleaseError, match="unknown chapter.*ch09-nothing.*available: ch00-toy"):
        release(course, ["ch09-nothing"])


def test_chapters_are_released_in_one_nbgrader_run_and_a_broken_one_is_named_with_its_reason(tmp_path):
    broken = toy_notebook()
    solution = next(c for c in broken.cells if "### END SOLUTION" in c.source)
    solution.source = solution.source.replace("### END SOLUTION", "")  # an unclosed solution block
    course = make_course(tmp_path, {"ch00-toy": toy_notebook(), "ch01-broken": broken})
    with pytest.raises(ReleaseError) as raised:
        release(course)
    message = str(raised.value)
    assert message.startswith("nbgrader could not release ch01-broken:")
    assert "No end solution statement found" in message and "Traceback" not in message
    assert (course / "course" / "ch00-toy" / "ch00-toy.ipynb").is_file()  # the good one is out


def test_validate_lists_each_exercise(course, capsys, monkeypatch):
    results = {r.grade_id: r for r in validate(course / "solutions" / "ch00-toy" / "ch00-toy.ipynb")}
    assert {k: (r.points, r.max_points) for k, r in results.items()} == {
        "test_square": (2, 2), "test_double": (1, 1)}
    monkeypatch.chdir(course)
    status = main(["validate", "course/ch00-toy/ch00-toy.ipynb"])
    shown = capsys.readouterr().out
    assert status == 1
    assert "\u2717 test_square" in shown and "not implemented yet" in shown
    assert "visible tests: 0/3 points" in shown


def test_validate_rejects_a_broken_file(tmp_path, capsys):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    assert main(["validate", str(broken)]) == 2
    assert "not a readable notebook" in capsys.readouterr().err
    assert main(["validate", str(tmp_path / "missing.ipynb")]) == 2


def test_release_records_the_kernels_language_info(course):
    """JupyterLab writes the kernel's ``language_info`` into a notebook it opens; a release
    that already holds it opens unmodified instead of as "unsaved"."""
    kernel = subprocess.run([sys.executable, "-c", "import json; from ipykernel.ipkernel import "
                             "IPythonKernel; print(json.dumps(IPythonKernel.language_info))"],
                            check=True, capture_output=True, text=True)
    notebook = nbformat.read(course / "course" / "ch00-toy" / "ch00-toy.ipynb", as_version=4)
    assert notebook.metadata.language_info == json.loads(kernel.stdout)
    assert notebook.metadata.language_info["version"]  # the full record, not nbgrader's bare name


def test_reading_the_language_info_leaves_later_progress_bars_on_the_console():
    """tqdm.auto takes any process that imported ipykernel's shell for a notebook."""
    script = ("import sys; from dlcourse.grading.release import kernel_language_info; "
              "kernel_language_info(); from tqdm.auto import tqdm; "
              "print('ipykernel.zmqshell' in sys.modules, tqdm.__module__)")
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "tqdm.asyncio"]
