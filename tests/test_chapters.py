"""Every chapter, end to end, as its maintainer needs it checked.

For each chapter the real ``nbgrader`` releases it in a temporary copy of
the course, then autogrades two submissions: the solution notebook itself
(it must run clean and score full marks) and the untouched release (it must
run to the end and score zero on every graded test cell).
"""

import re

import nbformat
import pytest

from dlcourse.grading.release import chapters, release, stale_files
from tests.course_tools import ROOT, cell_scores, make_course, nbgrader_autograde, submit

CHAPTERS = chapters(ROOT)
pytestmark = pytest.mark.slow


def _source(chapter):
    return ROOT / "solutions" / chapter / f"{chapter}.ipynb"


def _released(chapter):
    return ROOT / "course" / chapter / f"{chapter}.ipynb"


def test_the_course_has_chapters():
    assert CHAPTERS, "solutions/ holds no chapter notebooks"
    assert all(_released(c).is_file() for c in CHAPTERS), "a chapter has no release in course/"


def test_course_is_in_sync_with_solutions():
    stale = stale_files(ROOT)
    assert stale == [], f"course/ is stale, run `dlcourse release`: {stale}"


@pytest.fixture(scope="module", params=CHAPTERS)
def graded(request, tmp_path_factory):
    chapter = request.param
    course = make_course(tmp_path_factory.mktemp(chapter), {chapter: _source(chapter)})
    release(course, [chapter])
    submit(course, chapter, "reference", _source(chapter))
    submit(course, chapter, "untouched", course / "course" / chapter / f"{chapter}.ipynb")
    nbgrader_autograde(course, chapter)
    return chapter, course


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_is_committed_without_outputs(chapter):
    notebook = nbformat.read(_source(chapter), as_version=4)
    dirty = [i for i, c in enumerate(notebook.cells)
             if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
    assert dirty == [], f"{chapter}: cells {dirty} have outputs; clear them before committing"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_release_holds_no_solution_and_no_hidden_test(chapter):
    text = _released(chapter).read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "hidden=True"):
        assert marker not in text, f"{chapter}: the release contains {marker!r}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_has_four_to_nine_graded_exercises_with_points_shown(chapter):
    notebook = nbformat.read(_source(chapter), as_version=4)
    tests = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert 4 <= len(tests) <= 9, f"{chapter} has {len(tests)} graded test cells"
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert len(re.findall(r"\(\d+(\.\d+)? points?\)", markdown)) >= len(tests)


def test_solution_runs_clean_and_scores_full_marks(graded):
    chapter, course = graded
    executed = nbformat.read(
        course / "autograde" / "autograded" / "reference" / chapter / f"{chapter}.ipynb", as_version=4)
    for index, cell in enumerate(executed.cells):
        for output in cell.get("outputs", []):
            assert output.output_type != "error", (
                f"{chapter} cell {index} raised {output.get('ename')}: {output.get('evalue')}")
            assert output.get("name") != "stderr", (
                f"{chapter} cell {index} wrote to stderr: {output.get('text', '')[:500]}")
            assert "Warning" not in output.get("text", ""), f"{chapter} cell {index} shows a warning"
    scores = cell_scores(course, chapter, "reference")
    short = {name: s for name, s in scores.items() if s[0] != s[1]}
    assert short == {}, f"{chapter}: the solution loses points in {short}"


def test_untouched_release_runs_to_the_end_and_scores_zero_everywhere(graded):
    chapter, course = graded
    scores = cell_scores(course, chapter, "untouched")
    graded_cells = {name: s for name, s in scores.items() if s[1] > 0}
    assert graded_cells, f"{chapter}: no graded cell was scored"
    passing = {name: s for name, s in graded_cells.items() if s[0] != 0}
    assert passing == {}, f"{chapter}: these test cells pass on the stub: {passing}"
    executed = nbformat.read(
        course / "autograde" / "autograded" / "untouched" / chapter / f"{chapter}.ipynb", as_version=4)
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), f"{chapter}: execution stopped early"
    for cell in code:
        for output in cell.outputs:
            if output.output_type == "error":
                assert cell.metadata.get("nbgrader", {}).get("grade") or output.ename == "NotImplementedError", (
                    f"{chapter}: a non-graded cell fails on the stub with {output.ename}: {output.evalue}")


def test_run_all_on_the_untouched_release_goes_to_the_end(graded):
    """As JupyterLab's Run All does: execution stops at an error unless the cell is tagged
    ``raises-exception``; only answer and test cells may fail on an unfinished notebook.

    nbgrader ran the untouched release with every cell executed whatever failed; Run All
    would have gone to the end too exactly when every cell that failed carries the tag."""
    chapter, course = graded
    notebook = nbformat.read(
        course / "autograde" / "autograded" / "untouched" / chapter / f"{chapter}.ipynb", as_version=4)
    released = nbformat.read(_released(chapter), as_version=4)
    assert len(released.cells) == len(notebook.cells)
    for given, ran in zip(released.cells, notebook.cells):
        errors = [o for o in ran.get("outputs", []) if o.output_type == "error"]
        if errors:
            assert "raises-exception" in given.metadata.get("tags", []), (
                f"{chapter}: an untagged cell failed: {errors[0].ename}: {errors[0].evalue}")
    # a demo cell that needs an unfinished exercise says so instead of drawing a progress bar
    # that stops at 0%: every bar drawn on the untouched release runs to its end
    widgets = notebook.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    bars = [m["state"] for m in widgets.get("state", {}).values() if m["model_name"] == "FloatProgressModel"]
    stuck = [f"{bar.get('value', 0):g}/{bar['max']:g}" for bar in bars if bar.get("value", 0) < bar["max"]]
    assert not stuck, f"{chapter}: progress bars stopped early on the untouched release: {stuck}"
