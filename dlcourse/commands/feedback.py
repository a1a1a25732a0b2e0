"""``dlcourse feedback``: an HTML feedback page per student (no hidden test code)."""

from dlcourse.grading.feedback import write_feedback
from dlcourse.grading.pipeline import Course
from dlcourse.grading.release import find_root

HELP = "write autograde/feedback/<student>/<chapter>/<chapter>.html for each graded student"


def add_arguments(parser):
    parser.add_argument("chapter", metavar="CHAPTER")
    parser.add_argument("--students", nargs="+", metavar="ID", help="only these students")


def run(args):
    paths = write_feedback(Course(find_root()), args.chapter, args.students)
    print(f"wrote {len(paths)} feedback page(s)" + (f" under {paths[0].parents[2]}" if paths else ""))
    return 0
