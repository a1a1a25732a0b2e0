"""``nbgrader generate_assignment`` for several chapters in one interpreter.

``release`` runs this module as a child process: importing nbgrader and nbconvert takes
seconds, and one ``nbgrader`` command per chapter paid it once per chapter. The child loads
the configuration as the ``nbgrader`` command does (``nbgrader_config.py`` of the course and
the user's Jupyter config), runs nbgrader's own ``GenerateAssignment`` converter for each
chapter and prints one line per chapter: ``RESULT_PREFIX`` and a JSON object with
``chapter``, ``success`` and nbgrader's ``log`` (and ``error``, its traceback, on failure).

    python -m dlcourse.grading.generate_assignments [--db-url URL] CHAPTER...
"""

import json
import sys

RESULT_PREFIX = "dlcourse-generated "


def main(argv):
    db_url = None
    if argv[:1] == ["--db-url"]:
        db_url, argv = argv[1], argv[2:]
    from nbgrader.apps import NbGraderApp
    from nbgrader.apps.api import capture_log
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory

    app = NbGraderApp.instance()
    app.initialize([])  # reads the config files, as `nbgrader generate_assignment` does
    config = app.config
    if db_url:
        config.CourseDirectory.db_url = db_url
    for chapter in argv:
        converter = GenerateAssignment(coursedir=CourseDirectory(config=config, assignment_id=chapter),
                                       config=config, parent=app)
        converter.force = True
        result = capture_log(converter)
        print(RESULT_PREFIX + json.dumps({"chapter": chapter, **result}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
