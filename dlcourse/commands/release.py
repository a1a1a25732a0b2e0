"""``dlcourse release``: generate the student notebooks from the solutions."""

import sys

from dlcourse.commands._arguments import add_exchange_options, exchange_options_without_exchange
from dlcourse.grading.release import ReleaseError, find_root, release, stale_files

HELP = "generate course/ (student notebooks) from solutions/ with nbgrader"
DESCRIPTION = (
    "Generate the student release course/<chapter>/ from solutions/<chapter>/ with\n"
    "nbgrader generate_assignment: solutions become stubs, hidden tests disappear,\n"
    "outputs are cleared and test cells are locked and recorded in the gradebook.\n\n"
    "  dlcourse release              release every chapter\n"
    "  dlcourse release ch02-activations\n"
    "  dlcourse release --check      only report whether course/ is in sync\n"
    "  dlcourse release ch01-neurons --exchange\n"
    "                                and publish it on JupyterHub (nbgrader release_assignment)"
)


def add_arguments(parser):
    parser.add_argument("chapters", nargs="*", metavar="CHAPTER", help="chapter ids (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if course/ differs from a fresh release")
    add_exchange_options(parser, "then copy each chapter to nbgrader's exchange, where students "
                                 "fetch it (nbgrader release_assignment; a copy there is replaced)")


def run(args):
    misuse = exchange_options_without_exchange(args) or (
        "--check and --exchange do not go together" if args.check and args.exchange else None)
    if misuse:
        print(f"dlcourse release: {misuse}", file=sys.stderr)
        return 2
    try:
        root = find_root()
        if args.exchange:
            return _release_to_exchange(root, args)
        if args.check:
            stale = stale_files(root)
            if stale:
                print("course/ is out of date with solutions/ in:", *stale, sep="\n  ")
                print("run `dlcourse release` and commit course/")
                return 1
            print("course/ is in sync with solutions/")
            return 0
        done = release(root, args.chapters)
    except ReleaseError as error:
        print(f"dlcourse release: {error}", file=sys.stderr)
        return 2
    for chapter in done:
        print(f"released {chapter} -> course/{chapter}/{chapter}.ipynb")
    return 0


def _release_to_exchange(root, args):
    from dlcourse.grading import exchange as hub

    try:
        place = hub.resolve(root, args.exchange_root, args.course_id)
        for chapter in release(root, args.chapters):
            print(f"released {chapter} -> course/{chapter}/{chapter}.ipynb")
            print(f"  and to the exchange -> {hub.publish(root, place, chapter)}")
    except hub.ExchangeError as error:
        print(f"dlcourse release: {error}", file=sys.stderr)
        return 2
    return 0
