"""``dlcourse collect``: bring submissions in from an LMS download or nbgrader's exchange."""

import sys

from dlcourse.commands._arguments import add_exchange_options, exchange_options_without_exchange
from dlcourse.grading.collect import DEFAULT_PATTERNS, collect_files
from dlcourse.grading.pipeline import Course
from dlcourse.grading.release import find_root

HELP = "place submissions (LMS folder/zip, or nbgrader's exchange) under autograde/submitted/"
DESCRIPTION = (
    "Place each student's notebook at autograde/submitted/<student>/<chapter>/<chapter>.ipynb.\n\n"
    "  dlcourse collect ch01-neurons --from downloads.zip\n"
    "  dlcourse collect ch01-neurons --from folder/ --pattern '_(?P<student>\\d+)_'\n"
    "  dlcourse collect ch01-neurons --exchange      (nbgrader collect, on JupyterHub)\n"
    "  dlcourse collect ch01-neurons --exchange --exchange-root /srv/nbgrader/exchange\n\n"
    "The student id is the 'student' group of --pattern searched in each file's path\n"
    "(by default, the first of these that matches: "
    + ", ".join(repr(p) for p in DEFAULT_PATTERNS) + ").\n"
    "From the exchange, each student's latest submission is taken, the id being the one\n"
    "it was handed in under.\n"
    "Symbolic links, paths outside the download and oversized notebooks are refused;\n"
    "every file that could not be placed is listed with the reason."
)


def add_arguments(parser):
    parser.add_argument("chapter", metavar="CHAPTER")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--from", dest="source", metavar="PATH", help="a folder or zip from the LMS")
    add_exchange_options(parser, "collect from nbgrader's exchange (nbgrader collect)", source)
    parser.add_argument("--pattern", default=None, help="regex with a (?P<student>...) group")
    parser.add_argument("--force", action="store_true", help="replace existing submissions")


def run(args):
    misuse = exchange_options_without_exchange(args) or (
        "--pattern does not go with --exchange (the id is the one handed in under)"
        if args.exchange and args.pattern else None)
    if misuse:
        print(f"dlcourse collect: {misuse}", file=sys.stderr)
        return 2
    course = Course(find_root())
    try:
        result = _collect(course, args)
    except ValueError as error:
        print(f"dlcourse collect: {error}", file=sys.stderr)
        return 2
    print(f"placed {len(result.placed)} submission(s) under {course.submitted}")
    for name, reason in result.unplaced:
        print(f"  not placed: {name} ({reason})")
    return 1 if result.unplaced else 0


def _collect(course, args):
    if not args.exchange:
        return collect_files(course, args.chapter, args.source, args.pattern, args.force)
    from dlcourse.grading import exchange as hub

    try:
        place = hub.resolve(course.root, args.exchange_root, args.course_id)
        result, output = hub.collect(course, place, args.chapter, args.force)
    except hub.ExchangeError as error:
        raise ValueError(str(error)) from None
    print(hub.quiet(output), end="")
    return result
