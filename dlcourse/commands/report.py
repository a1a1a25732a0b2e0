"""``dlcourse report``: the class report of a chapter (HTML with plots)."""

from dlcourse.grading.pipeline import Course
from dlcourse.grading.report import write_report
from dlcourse.grading.release import find_root

HELP = "write autograde/reports/<chapter>/report.html: scores, pass rates, failures, flags, similar cells"


def add_arguments(parser):
    parser.add_argument("chapter", metavar="CHAPTER")


def run(args):
    path = write_report(Course(find_root()), args.chapter)
    print(f"wrote {path}")
    return 0
