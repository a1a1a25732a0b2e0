"""The student's and the instructor's day, driven in a real browser (headless Chromium).

The student starts ``dlcourse lab`` as the README says, opens every chapter (it must open
unmodified, not as "unsaved"), runs all cells (every code cell runs; the only errors are the
graded tests' and the unfinished answers'), writes chapter 1's first exercise, reruns its test
and sees it pass, then clicks Validate and reads the dialog. The instructor grades the demo
class (``dlcourse demo``), opens formgrader, clicks Generate Feedback for a student, and the
page it writes holds no hidden test. Each step leaves a screenshot in a folder printed at the
start of the test (pytest shows it when the test fails).

Everything runs in temporary copies of the course with its own Jupyter folders and ports, so
the test runs beside others. It waits on what the page shows of the kernel (the status bar's
"Idle", the cells' execution counts), never on fixed delays.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

from dlcourse.grading.release import RELEASE_DIR, SOURCE_DIR, chapters
from run import CHROMIUM  # the browser `python3 run.py test` installs where it can
from tests.course_tools import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TOKEN = "dlcourse-browser-test"
KERNEL_START = 120_000  # ms: a kernel on a loaded two-core machine
RUN_ALL = 240_000  # ms: the slowest chapter run top to bottom

# a correct answer to chapter 1's first exercise, written differently from the reference
MCCULLOCH_PITTS = '''def mcculloch_pitts(x, theta, inhibitory=None):
    x = np.asarray(x)
    mask = np.zeros(x.shape[-1], bool) if inhibitory is None else np.asarray(inhibitory, bool)
    fires = x[..., ~mask].sum(axis=-1) >= theta
    vetoed = x[..., mask].any(axis=-1)
    return (fires & ~vetoed).astype(int)
'''


def _sync_playwright():
    """Playwright's entry point, or a skip (a failure under CI) naming what is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "the playwright package is not installed"
    else:
        if CHROMIUM.is_file():
            return sync_playwright
        missing = f"no Chromium at {CHROMIUM} (python3 run.py installs it when run as root)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"the browser test must run in CI: {missing}")
    pytest.skip(missing)


@pytest.fixture
def shots(tmp_path):
    folder = tmp_path / "screenshots"
    folder.mkdir()
    print(f"screenshots of each step: {folder}")
    return folder


def _jupyter_environment(home):
    """Jupyter's folders inside ``home`` (nothing read from or written to the user's own),
    with windowing off so that every cell is on the page, and no news pop-up."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    for variable, name in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                           ("JUPYTER_DATA_DIR", "data"), ("IPYTHONDIR", "ipython")]:
        env[variable] = str(home / name)
        (home / name).mkdir(parents=True, exist_ok=True)
    env["JUPYTER_TOKEN"] = TOKEN
    settings = home / "config" / "lab" / "user-settings" / "@jupyterlab"
    for plugin, values in [("notebook-extension/tracker", {"windowingMode": "none"}),
                           ("apputils-extension/notification", {"fetchNews": "false", "checkForUpdates": False})]:
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    return env


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _api(base, path, method="GET"):
    request = urllib.request.Request(f"{base}{path}", method=method,
                                     headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


@contextmanager
def _server(argv, cwd, env, log_path):
    """Start a Jupyter server on 127.0.0.1 and a free port; yields its base URL."""
    port = _free_port()
    root_only = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    with open(log_path, "w") as log:
        process = subprocess.Popen([*argv(port), "--ServerApp.port_retries=0", *root_only],
                                   cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"the server stopped:\n{Path(log_path).read_text()[-3000:]}"
            try:
                _api(base, "/api/status")
                break
            except OSError:
                assert time.monotonic() < deadline, f"the server did not answer:\n{Path(log_path).read_text()[-3000:]}"
                time.sleep(0.25)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _shut_down_kernels(base):
    for session in _api(base, "/api/sessions"):
        _api(base, f"/api/sessions/{session['id']}", method="DELETE")


def _wait_for_idle_kernel(page):
    """The status bar names the kernel and its state; "Idle" once it has started (or finished)."""
    page.locator("#jp-main-statusbar").get_by_text(re.compile(r"\| Idle$")).wait_for(timeout=KERNEL_START)


def _open_notebook(context, base, path):
    page = context.new_page()
    page.goto(f"{base}/lab/tree/{path}?reset&token={TOKEN}")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=KERNEL_START)
    _wait_for_idle_kernel(page)
    return page


def _prompts(page):
    return page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").all_inner_texts()


def _wait_until_every_code_cell_ran(page, count):
    page.wait_for_function(
        """count => {
            const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];
            return prompts.length === count && prompts.every(p => /^\\[\\d+\\]:$/.test(p.textContent.trim()));
        }""", arg=count, timeout=RUN_ALL)
    _wait_for_idle_kernel(page)


def _errors_by_cell(page):
    """{cell index: text of its error outputs} as the page shows them."""
    errors = {}
    cells = page.locator(".jp-Notebook .jp-Cell")
    for index in range(cells.count()):
        texts = cells.nth(index).locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').all_inner_texts()
        if texts:
            errors[index] = "\n".join(texts)
    return errors


def _role(cell):
    meta = cell.metadata.get("nbgrader", {})
    return "test" if meta.get("grade") else "answer" if meta.get("solution") else "demo"


def _copy_student_course(target):
    target.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", target)
    shutil.copytree(ROOT / SOURCE_DIR, target / SOURCE_DIR, ignore=shutil.ignore_patterns("hidden_cases.py"))
    shutil.copytree(ROOT / RELEASE_DIR, target / RELEASE_DIR)
    return target


def _run_all(page, chapter, notebook, shots):
    """Run All from the Run menu; every code cell runs, and only test and answer cells fail."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Run All Cells$")).click()
    code = [c for c in notebook.cells if c.cell_type == "code"]
    _wait_until_every_code_cell_ran(page, len(code))
    page.screenshot(path=shots / f"{chapter}-2-run-all.png")
    assert page.locator(".jp-Notebook .jp-Cell").count() == len(notebook.cells)
    errors = _errors_by_cell(page)
    roles = {i: _role(c) for i, c in enumerate(notebook.cells)}
    unexpected = {i: text[-300:] for i, text in errors.items() if roles[i] == "demo"}
    assert not unexpected, f"{chapter}: cells that are not exercises failed or warned: {unexpected}"
    silent = [notebook.cells[i].metadata.nbgrader["grade_id"] for i, r in roles.items() if r == "test" and i not in errors]
    assert not silent, f"{chapter}: graded tests that did not fail on the unfinished notebook: {silent}"
    stuck = page.locator(".jp-OutputArea").get_by_text(re.compile(r"\b0/\d+ \[")).all_inner_texts()
    assert not stuck, f"{chapter}: a progress bar stayed at 0: {stuck}"


# What Run All does in every chapter (each failing cell tagged, every bar run to its end) is
# checked for each chapter in test_chapters from nbgrader's own run; here the front end's part of
# it (JupyterLab going on past a tagged failure, tqdm's bars drawn as widgets) is shown on the
# first chapter and on one that trains with a progress bar, and every chapter is opened.
RUN_ALL = ("ch01-neurons", "ch06-optimizers")


def test_the_students_day(tmp_path, shots):
    sync_playwright = _sync_playwright()
    course = _copy_student_course(tmp_path / "course")
    env = _jupyter_environment(tmp_path / "jupyter")
    log = tmp_path / "lab.log"

    def lab(port):
        return [sys.executable, "-m", "dlcourse", "lab", "--ip", "127.0.0.1", "--port", str(port),
                "--no-browser", "--"]

    with _server(lab, course, env, log) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        assert set(RUN_ALL) <= set(chapters(course)), f"no such chapters: {set(RUN_ALL) - set(chapters(course))}"
        for chapter in chapters(course):
            path = f"{chapter}/{chapter}.ipynb"
            notebook = nbformat.read(course / RELEASE_DIR / path, as_version=4)
            page = _open_notebook(context, base, path)
            page.screenshot(path=shots / f"{chapter}-1-opened.png")
            tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=f"{chapter}.ipynb")
            assert "jp-mod-dirty" not in (tab.get_attribute("class") or ""), f"{chapter} opens as unsaved"
            if chapter in RUN_ALL:
                _run_all(page, chapter, notebook, shots)
            if chapter.startswith("ch01-"):
                _write_the_first_exercise(page, notebook, shots)
                _validate(page, notebook, shots)
            page.close()
            _shut_down_kernels(base)
        browser.close()
    assert "No nbgrader_config.py" not in log.read_text()


def _write_the_first_exercise(page, notebook, shots):
    """Type a correct ``mcculloch_pitts`` over the stub, run it and its test: the test passes."""
    answer = next(i for i, c in enumerate(notebook.cells) if _role(c) == "answer")
    test = next(i for i, c in enumerate(notebook.cells) if _role(c) == "test")
    cells = page.locator(".jp-Notebook .jp-Cell")
    before = cells.nth(test).locator(".jp-InputPrompt").inner_text().strip()
    cells.nth(answer).locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(MCCULLOCH_PITTS)   # as pasted: no auto-indent, no closing brackets
    page.keyboard.press("Shift+Enter")           # runs the answer, selects its test cell
    page.keyboard.press("Shift+Enter")           # runs the test
    page.wait_for_function(
        """([index, before]) => {
            const prompt = document.querySelectorAll('.jp-Notebook .jp-Cell')[index]
                .querySelector('.jp-InputPrompt').textContent.trim();
            return prompt !== before && /^\\[\\d+\\]:$/.test(prompt);
        }""", arg=[test, before], timeout=RUN_ALL)
    _wait_for_idle_kernel(page)
    page.screenshot(path=shots / "ch01-3-first-exercise-passes.png")
    shown = cells.nth(test).locator(".jp-OutputArea").inner_text()
    assert "\u2713 mcculloch_pitts: all" in shown and "cases pass" in shown, shown
    assert test not in _errors_by_cell(page)


def _validate(page, notebook, shots):
    """Validate saves the notebook and runs it as the grader will: the first exercise's test is
    not among the failures, the next one's is."""
    page.locator(".jp-NotebookPanel-toolbar").get_by_text("Validate", exact=True).click()
    dialog = page.locator(".jp-Dialog", has_text="Validation Results")
    dialog.wait_for(timeout=RUN_ALL)
    page.screenshot(path=shots / "ch01-4-validate.png")
    text = dialog.inner_text()
    tests = [c.source for c in notebook.cells if _role(c) == "test"]
    assert "The following cell failed:" in text, text
    assert tests[0].splitlines()[-1] not in text, text  # ch01.mcculloch_pitts(mcculloch_pitts)
    assert tests[1].splitlines()[-1] in text, text
    dialog.get_by_role("button", name="Ok").click()


def test_the_instructors_feedback_from_formgrader(tmp_path, shots):
    """On a graded demo class, formgrader's Generate Feedback writes a page with no hidden test."""
    sync_playwright = _sync_playwright()
    root = tmp_path / "course"
    shutil.copytree(ROOT / SOURCE_DIR / "ch01-neurons", root / SOURCE_DIR / "ch01-neurons")
    student = "grace"  # one wrong update rule: a failing exercise with a message to show
    # `dlcourse demo` grades whatever is in the sample folder: her and one honest classmate
    # (the whole class is graded by tests/test_demo.py)
    samples = root / "autograde" / "samples" / "ch01-neurons"
    samples.mkdir(parents=True)
    for name in (student, "ada"):
        shutil.copy(ROOT / "autograde" / "samples" / "ch01-neurons" / f"{name}.ipynb", samples)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    env = _jupyter_environment(tmp_path / "jupyter")
    done = subprocess.run([sys.executable, "-m", "dlcourse", "demo", "--workers", "2"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    demo = root / "autograde" / "demo"
    written = demo / "autograde" / "feedback" / student / "ch01-neurons" / "ch01-neurons.html"
    shutil.rmtree(written.parent.parent)  # `dlcourse demo` wrote one; formgrader must write its own

    def lab(port):
        return [sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={port}", "--no-browser"]

    with _server(lab, demo, env, tmp_path / "instructor.log") as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        # the instructor's token with every request, formgrader's own API calls included
        page = browser.new_page(viewport={"width": 1400, "height": 900},
                                extra_http_headers={"Authorization": f"token {TOKEN}"})
        page.goto(f"{base}/formgrader/manage_submissions/ch01-neurons")
        row = page.locator("tr", has=page.locator("td", has_text=re.compile(f"^{student}$")))
        row.locator(".generate-feedback a").click(timeout=KERNEL_START)
        page.locator("#success-modal").wait_for(timeout=RUN_ALL)
        page.screenshot(path=shots / "formgrader-1-generate-feedback.png")
        assert f"Successfully generated feedback for 'ch01-neurons' for student '{student}'" in (
            page.locator("#success-modal").inner_text())
        assert written.is_file()
        page.goto(written.as_uri())
        page.screenshot(path=shots / "formgrader-2-feedback-page.png", full_page=True)
        shown = page.locator("body").inner_text()
        browser.close()
    text = written.read_text()
    for hidden in ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "hidden=True", "hidden_cases"):
        assert hidden not in text, f"the feedback page shows {hidden!r}"
    assert "Traceback (most recent call last)" not in shown and "site-packages" not in text
    assert "visible cases: `perceptron_update` is wrong" in shown, shown[-3000:]  # her mistake, explained


def test_a_missing_browser_fails_under_ci_and_is_skipped_elsewhere(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="must run in CI: no Chromium at"):
        _sync_playwright()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="no Chromium at"):
        _sync_playwright()
