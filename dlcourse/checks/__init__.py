"""Checks that the notebooks' test cells call: one module per chapter
(``dlcourse.checks.ch01`` ...) built on :mod:`dlcourse.checks.core`.

A check calls the student's code on fixed cases (the lecture notes' worked
examples among them) and on seeded random cases, compares what comes back
with the reference implementation, and fails with a message that teaches:
the input, what was expected, what came back, and a hint.
"""

from dlcourse.checks.core import (
    Case,
    CheckFailure,
    Part,
    call_student,
    check_function,
    expect_close,
    expect_equal,
    graded_parts,
    random_cases,
)

__all__ = [
    "Case",
    "CheckFailure",
    "Part",
    "call_student",
    "check_function",
    "expect_close",
    "expect_equal",
    "graded_parts",
    "random_cases",
]
