"""``dlcourse export``: grades as CSV, one row per student."""

from dlcourse.grading.export import export_csv
from dlcourse.grading.pipeline import Course
from dlcourse.grading.release import find_root

HELP = "write grades as CSV (a row per student, a column per chapter and per exercise, total)"


def add_arguments(parser):
    parser.add_argument("--output", "-o", default="autograde/grades.csv",
                        help="CSV file (default autograde/grades.csv; '-' for stdout)")


def run(args):
    course = Course(find_root())
    if args.output == "-":
        print(export_csv(course), end="")
        return 0
    path = export_csv(course, course.root / args.output)
    print(f"wrote {path}")
    return 0
