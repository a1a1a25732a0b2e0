"""What a student reads when a check fails: the message alone, in the course's own print
options, with the failing row and the float type named."""

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from dlcourse.checks import core
from dlcourse.checks.core import Case, CheckFailure, check_function, expect_close


def _failure(fn, *args, **kwargs):
    with pytest.raises(CheckFailure) as raised:
        fn(*args, **kwargs)
    return str(raised.value)


def test_a_notebooks_print_options_do_not_change_the_message():
    tiny = np.array([1e-12, 2e-12, 3e-12, 4e-12, 5e-12, 6e-12, 7e-12])
    with np.printoptions(suppress=True, precision=2):
        message = _failure(expect_close, tiny * 0, tiny, "`f`", atol=0, rtol=1e-9)
    assert "1.e-12, 2.e-12" in message and "expected 7e-12, got 0" in message


def test_a_long_array_shows_the_failing_row_whole():
    expected = np.arange(200.0).reshape(20, 10)
    got = expected.copy()
    got[13, 7] = -1
    message = _failure(expect_close, got, expected, "`f`")
    assert "at index (13, 7)" in message
    assert "row (13,) expected: [130., 131., 132., 133., 134., 135., 136., 137., 138., 139.]" in message
    assert "row (13,) got:      [130., 131., 132., 133., 134., 135., 136.,  -1., 138., 139.]" in message


def test_a_float32_answer_is_named_as_such():
    def sigmoid32(x):
        return (1 / (1 + np.exp(-np.asarray(x, dtype=np.float32)))).astype(np.float32)

    message = _failure(check_function, sigmoid32, lambda x: 1 / (1 + np.exp(-x)),
                       [Case((np.array([-4.813, 0.3, 7.0]),))], name="sigmoid")
    assert "your result is float32: compute in float64" in message
    ok = _failure(check_function, lambda x: x * 2.0, lambda x: x, [Case((np.array([1.0]),))])
    assert "float32" not in ok


def test_random_inputs_and_functions_are_named_not_addressed():
    shown = Case((np.random.default_rng(0), np.tanh, 0.1 + 0.2), label="x").describe()
    assert "0x" not in shown and "the function tanh" in shown and "a random generator" in shown


def test_the_notebook_shows_the_message_not_the_librarys_frames():
    nb = new_notebook(cells=[new_code_cell(
        "import numpy as np\nfrom dlcourse.checks.core import Case, check_function\n"
        "check_function(lambda x: x, np.tanh, [Case((np.array([2.0]),), label='two')], name='f')")])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=60, allow_errors=True).execute()
    error = nb.cells[0].outputs[-1]
    assert error.output_type == "error" and error.ename == "CheckFailure"
    text = "\n".join(error.traceback)
    assert "`f` is wrong" in text and "two" in text
    assert "core.py" not in text and "raise CheckFailure" not in text
    assert len(error.traceback) == 1


def test_hidden_parts_without_a_grader_say_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with core.hidden_source(None, 0):
        assert "only when the instructor grades" in _failure(core.hidden, "anything")
    (tmp_path / core.HIDDEN_FILE).write_text("def known(rng):\n    return rng.integers(1000)\n")
    with core.hidden_source(None, 5):
        assert "defines no hidden cases for `other`" in _failure(core.hidden, "other")
        first = core.hidden("known")
    with core.hidden_source(None, 5):
        assert core.hidden("known") == first and core.hidden_consulted()
