"""``dlcourse feedback``: an HTML feedback page per student (no hidden test code)."""

import sys

from dlcourse.commands._arguments import add_exchange_options, exchange_options_without_exchange
from dlcourse.grading.feedback import write_feedback
from dlcourse.grading.pipeline import Course
from dlcourse.grading.release import find_root

HELP = "write autograde/feedback/<student>/<chapter>/<chapter>.html for each graded student"
DESCRIPTION = (
    "Write autograde/feedback/<student>/<chapter>/<chapter>.html for each graded student:\n"
    "per exercise the points and what its check reported, never a hidden test's code.\n\n"
    "  dlcourse feedback ch01-neurons\n"
    "  dlcourse feedback ch01-neurons --exchange    and release the pages on JupyterHub\n"
    "                                               (students: nbgrader fetch_feedback)"
)


def add_arguments(parser):
    parser.add_argument("chapter", metavar="CHAPTER")
    parser.add_argument("--students", nargs="+", metavar="ID", help="only these students")
    add_exchange_options(parser, "then release the pages through nbgrader's exchange "
                                 "(nbgrader release_feedback), each to its own student")


def run(args):
    misuse = exchange_options_without_exchange(args)
    if misuse:
        print(f"dlcourse feedback: {misuse}", file=sys.stderr)
        return 2
    course = Course(find_root())
    place = None
    if args.exchange:  # a wrong exchange is said before any page is written
        from dlcourse.grading import exchange as hub

        try:
            place = hub.resolve(course.root, args.exchange_root, args.course_id)
            hub.require_released(place, args.chapter)
        except hub.ExchangeError as error:
            print(f"dlcourse feedback: {error}", file=sys.stderr)
            return 2
    paths = write_feedback(course, args.chapter, args.students)
    print(f"wrote {len(paths)} feedback page(s)" + (f" under {paths[0].parents[2]}" if paths else ""))
    if place is None:
        return 0
    try:
        released, without, output = hub.release_feedback(course, place, args.chapter, args.students)
    except hub.ExchangeError as error:
        print(f"dlcourse feedback: {error}", file=sys.stderr)
        return 2
    print(hub.quiet(output), end="")
    print(f"released {len(released)} page(s) to the exchange {place.course / 'feedback'}")
    if without:
        print("  not released (handed in outside the exchange, so no submission secret): "
              + ", ".join(without))
    return 0
