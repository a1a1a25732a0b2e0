"""Test-process settings.

The test process draws with matplotlib's Agg backend (no window ever opens).
It is set here rather than through ``MPLBACKEND`` so that the notebook
kernels the tests start inherit nothing: they draw inline, as in a
student's JupyterLab, and a warning raised while rendering a figure shows up
in the outputs the tests inspect.
"""

import matplotlib

matplotlib.use("Agg")

import re  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from dlcourse.checks import core  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def hidden_cases_file(chapter_number):
    """``solutions/chNN-*/hidden_cases.py``: the instructor's hidden cases of a chapter."""
    found = sorted(ROOT.glob(f"solutions/ch{chapter_number}-*/{core.HIDDEN_FILE}"))
    return found[0] if found else None


@pytest.fixture(autouse=True)
def _instructors_hidden_cases(request):
    """A chapter's check tests run as the instructor does: with that chapter's hidden cases."""
    match = re.match(r"(?:.*\.)?test_checks_ch(\d\d)$", request.module.__name__)
    path = hidden_cases_file(match.group(1)) if match else None
    if path is None:
        yield
        return
    with core.hidden_source(path, seed=0):
        yield
