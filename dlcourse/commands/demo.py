"""``dlcourse demo``: release chapter 1 and grade the bundled sample class end to end."""

import sys

from dlcourse.grading.demo import make_samples, run_demo
from dlcourse.grading.pipeline import GradingError
from dlcourse.grading.release import ReleaseError, find_root

HELP = "release ch01, grade the sample class in autograde/samples/, write feedback, CSV and report"


def add_arguments(parser):
    parser.add_argument("--workers", type=int, default=0, help="submissions at once (default: twice the cores)")
    parser.add_argument("--make-samples", action="store_true",
                        help="(re)write the sample class from the current chapter 1 and stop")


def run(args):
    try:
        root = find_root()
        if args.make_samples:
            print(f"wrote the sample class to {make_samples(root)}")
            return 0
        result = run_demo(root, workers=args.workers)
    except (GradingError, ReleaseError, FileNotFoundError) as error:
        print(f"dlcourse demo: {error}", file=sys.stderr)
        return 2
    return 1 if result.failed else 0
