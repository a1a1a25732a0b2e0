"""Argument types shared by the commands: each names the problem in argparse's error."""

import argparse
import math


def positive_int(text):
    """A whole number > 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number > 0; got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a whole number > 0; got {value}")
    return value


def positive_float(text):
    """A finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 0; got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0; got {text!r}")
    return value


def add_exchange_options(parser, what, flag_group=None):
    """``--exchange`` (in ``flag_group`` when given, e.g. a mutually exclusive group),
    ``--exchange-root DIR`` and ``--course-id ID``: where nbgrader's exchange is."""
    (flag_group or parser).add_argument("--exchange", action="store_true", help=what)
    parser.add_argument("--exchange-root", metavar="DIR", default=None,
                        help="the exchange folder (default: Exchange.root of the nbgrader "
                             "configuration, else nbgrader's /usr/local/share/nbgrader/exchange)")
    parser.add_argument("--course-id", metavar="ID", default=None,
                        help="the course's name in the exchange (default: CourseDirectory.course_id)")


def exchange_options_without_exchange(args):
    """The message for --exchange-root or --course-id given without --exchange, or None."""
    if not args.exchange and (args.exchange_root or args.course_id):
        return "--exchange-root and --course-id go with --exchange"
    return None
