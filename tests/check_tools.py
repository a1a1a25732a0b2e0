"""Helpers shared by the tests of the chapters' checks."""

import pytest

from dlcourse.checks.core import CheckFailure


def fails(check, *students, fragments=(), hidden=False):
    """Run ``check(*students)``, expect a CheckFailure whose message holds every fragment; return it."""
    with pytest.raises(CheckFailure) as failure:
        check(*students, hidden=hidden)
    message = str(failure.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


def stub(*args, **kwargs):
    """The released notebook's solution cell: not implemented yet."""
    raise NotImplementedError()
