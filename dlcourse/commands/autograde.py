"""``dlcourse autograde``: grade every submission of a chapter, in parallel and in isolation."""

import argparse
import sys

from dlcourse.grading.pipeline import (DEFAULT_MEMORY_MB, STARTUP_SECONDS,
                                       GradingError, Options, autograde, summary_table)
from dlcourse.grading.release import ReleaseError, find_root

HELP = "grade the submissions of a chapter (parallel, sandboxed, resumable) into the gradebook"
DESCRIPTION = (
    "Grade autograde/submitted/<student>/<chapter>/<chapter>.ipynb for every student:\n"
    "several at once, each kernel in its own working copy with a time limit per\n"
    "notebook, a memory limit and an output cap; grades go to nbgrader's gradebook.\n"
    "Stopping and running again grades what is left; --force regrades.\n"
    "--cluster grades on Dask instead of local processes: local:N starts N worker\n"
    "processes here; tcp://HOST:PORT or a scheduler file uses a running scheduler\n"
    "(pip install 'dlcourse[cluster]').\n"
    "Exit status 0 when every submission received a grade (flagged ones included)."
)


def add_arguments(parser):
    parser.add_argument("chapter", metavar="CHAPTER")
    parser.add_argument("--students", nargs="+", metavar="ID", help="only these students")
    parser.add_argument("--workers", type=int, default=0,
                        help="submissions at once (default: twice the cores)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per notebook, a guard for the machine (default: the cell "
                             f"limit times the code cells, plus {STARTUP_SECONDS:g} s, so that a cell "
                             "that runs out of time costs only its own exercise)")
    parser.add_argument("--cell-timeout", type=float, default=30.0,
                        help="seconds per cell before it is interrupted; its exercise scores "
                             "zero and the later cells still run (default 30)")
    parser.add_argument("--memory", type=int, default=DEFAULT_MEMORY_MB,
                        help=f"MB of memory per kernel (default {DEFAULT_MEMORY_MB})")
    parser.add_argument("--output-limit", type=int, default=256,
                        help="KB of output kept per cell; the rest is cut (default 256)")
    parser.add_argument("--force", action="store_true", help="regrade submissions already graded")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--cluster", type=_cluster, default=None,
                        metavar="local:N|tcp://HOST:PORT|FILE",
                        help="grade on a Dask cluster (default: local worker processes)")


def _cluster(text):
    from dlcourse.grading.cluster import ClusterError, parse_address

    try:
        return parse_address(text)
    except ClusterError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def run(args):
    try:
        root = find_root()
        options = Options(workers=args.workers, timeout=args.timeout, cell_timeout=args.cell_timeout,
                          memory_mb=args.memory, output_cap=args.output_limit * 1024,
                          force=args.force, progress=not args.quiet,
                          cluster=args.cluster)
        result = autograde(root, args.chapter, args.students, options)
    except (GradingError, ReleaseError) as error:
        print(f"dlcourse autograde: {error}", file=sys.stderr)
        return 2
    print(summary_table(result))
    return 1 if result.failed else 0
