"""``dlcourse release``: generate the student notebooks from the solutions."""

import sys

from dlcourse.grading.release import ReleaseError, find_root, release, stale_files

HELP = "generate course/ (student notebooks) from solutions/ with nbgrader"
DESCRIPTION = (
    "Generate the student release course/<chapter>/ from solutions/<chapter>/ with\n"
    "nbgrader generate_assignment: solutions become stubs, hidden tests disappear,\n"
    "outputs are cleared and test cells are locked and recorded in the gradebook.\n\n"
    "  dlcourse release              release every chapter\n"
    "  dlcourse release ch02-activations\n"
    "  dlcourse release --check      only report whether course/ is in sync"
)


def add_arguments(parser):
    parser.add_argument("chapters", nargs="*", metavar="CHAPTER", help="chapter ids (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if course/ differs from a fresh release")


def run(args):
    try:
        root = find_root()
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
