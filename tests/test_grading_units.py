"""The grading pipeline's parts, without running kernels: tamper scan (review flags),
the sandbox's command line, reading broken submissions."""

import pytest

from dlcourse.grading import sandbox, tamper
from dlcourse.grading.sanitize import Unreadable, read_submission

SETUP = "import numpy as np\nimport matplotlib.pyplot as plt\nfrom dlcourse.checks import core"


def _scan(student_code):
    return tamper.scan([(0, SETUP, False), (1, student_code, True)])


@pytest.mark.parametrize("code", [
    "np.random.seed(0)\nx = np.zeros(3)\nx[0] = 1",
    "%matplotlib inline\nplt.rcParams['figure.figsize'] = (4, 3)",
    "class Net:\n    def __init__(self):\n        self.w = np.ones(2)\n        self.w += 1",
    "def relu(x):\n    out = x.copy()\n    out[out < 0] = 0\n    return out",
    "import sys\nprint('debug', file=sys.stderr)\nnp.seterr(all='ignore')",
    "data = np.loadtxt('../data/points.csv')\nimport pdb\nif False:\n    pdb.set_trace()",
])
def test_honest_code_has_no_findings(code):
    assert _scan(code) == []


@pytest.mark.parametrize("code, words", [
    ("np.isclose = lambda *a, **k: True", "np.isclose"),
    ("import numpy\nnumpy.testing.assert_allclose = print", "numpy.testing"),
    ("core.compare = lambda *a, **k: None", "core.compare"),
    ("from dlcourse.checks.core import CheckFailure\nCheckFailure.__init__ = None", "CheckFailure"),
    ("setattr(np, 'allclose', lambda *a: True)", "setattr"),
    ("import builtins\nbuiltins.isinstance = lambda *a: True", "builtins.isinstance"),
    ("__builtins__['len'] = None", "__builtins__"),
    ("import sys\nsys.modules['numpy'] = None", "sys.modules"),
    ("get_ipython().input_transformers_cleanup.append(lambda lines: [])", "input transformer"),
    ("get_ipython().events.register('pre_run_cell', print)", "event callback"),
    ("import sys\nsys.settrace(lambda *a: None)", "trace"),
])
def test_tampering_is_found_with_its_line(code, words):
    findings = _scan(code)
    assert findings and words in str(findings[0])
    assert str(findings[0]).startswith("cell 2, line")


@pytest.mark.parametrize("code", [
    'def total(x):\n    """Checked against the worked solutions/examples of the notes."""\n    return sum(x)',
    "path = 'autograde/my_notes.txt'  # words in strings are not what code does",
])
def test_words_in_strings_are_not_findings(code):
    assert _scan(code) == []


def test_instructor_cells_are_not_reported():
    assert tamper.scan([(0, "np.isclose = np.isclose", False)]) == []


@pytest.mark.parametrize("raw, reason", [
    (b"", "empty"), (b'{"cells": [', "not a valid notebook"), (b"\x00\x01garbage", "not a valid"),
])
def test_unreadable_submissions_say_why(tmp_path, raw, reason):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(raw)
    with pytest.raises(Unreadable, match=reason):
        read_submission(path)


def test_kernel_command_line():
    plain = sandbox.kernel_argv("/w", 512, isolate=False)
    assert plain[1:3] == ["-m", "dlcourse.grading.sandbox"] and plain[-1] == "{connection_file}"
    if sandbox.bwrap_binary() is None:
        pytest.skip("no bubblewrap binary here")
    boxed = sandbox.kernel_argv("/w", 512, isolate=True, hide=["/course"], expose=["/"],
                                writable=["/"], disk_mb=64)
    assert sandbox.bwrap_binary() in boxed and boxed[-1] == "{connection_file}"
    assert "/course" not in boxed  # an allow-list: nothing to hide
    work = boxed.index("/.submitted")  # the working copy: a copy on a 64 MB tmpfs
    assert boxed[work + 1:work + 8] == ["--size", str(64 * 2**20), "--perms", "0755", "--tmpfs",
                                        "/w", "--bind"]


def test_the_report_picks_the_line_that_says_what_failed():
    from dlcourse.grading.report import failure_line

    message = "\u2713 positive (1/1)\n\u2717 negative (0/2): `relu` is wrong\n  input: (array([-1.]))"
    assert failure_line(message).startswith("\u2717 negative")
    assert failure_line("CheckFailure: `f` raised\n  input: x") == "CheckFailure: `f` raised"
    assert failure_line("ok\nscored 0: the checks of this test did not run").startswith("scored 0")


@pytest.mark.parametrize("field, value", [("workers", -1), ("timeout", 0), ("memory_mb", 64)])
def test_grading_limits_are_checked(field, value):
    from dlcourse.grading.pipeline import GradingError, Options

    with pytest.raises(GradingError, match=f"{field} must be at least .*, got {value}"):
        Options(**{field: value})


def test_code_built_at_run_time_is_only_reviewed():
    findings = _scan("exec('x = 1')\nimport ctypes")
    assert [f.severe for f in findings] == [False, False]
    assert "exec()" in str(findings[0]) and "ctypes" in str(findings[1])


def test_the_summary_shortens_a_long_flag_at_a_word_boundary():
    from dlcourse.grading.gradebook import CellGrade, Outcome
    from dlcourse.grading.pipeline import Run, summary_table

    flag = "timeout: the notebook exceeded its time limit (40 s in all, 5 s per cell); " * 3
    run = Run("ch01-neurons", [Outcome("donald", "ch01-neurons", "timeout",
                                       [CellGrade("test_a", 1.0, 2.0)], [flag])])
    line = next(row for row in summary_table(run).splitlines() if row.startswith("donald"))
    shown = line.split("1/2", 1)[1].strip()
    assert shown.endswith(" ...") and len(shown) <= 90
    assert flag.startswith(shown[:-4])                      # whole words of the flag, in order
    assert shown[:-4].split()[-1] in flag.split()           # the last word shown is not cut
