"""nbgrader configuration: solutions/ is the source, course/ the release.

With this file the standard nbgrader commands (and its JupyterLab extensions)
work on this repository as it is; ``dlcourse`` commands use the same layout.
"""

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "dlcourse"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"
c.CourseDirectory.submitted_directory = "autograde/submitted"
c.CourseDirectory.autograded_directory = "autograde/autograded"
c.CourseDirectory.feedback_directory = "autograde/feedback"
c.CourseDirectory.db_url = "sqlite:///autograde/gradebook.db"
# A chapter's hidden cases (solutions/<chapter>/hidden_cases.py) are never copied into a
# release or a student's folder; the checks find them in solutions/ when grading.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "hidden_cases.py"]

# Student notebooks import the reference library for data and plots; the stub
# raises inside its own cell so that the rest of the notebook still runs.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A test cell that the student deleted is put back from the gradebook.
c.SaveCells.enforce_metadata = True
c.Autograde.exclude_overwriting = {}
c.ExecutePreprocessor.timeout = 60

# Formgrader's "Generate Feedback" (nbgrader generate_feedback) shows the same safe feedback
# as `dlcourse feedback`: no hidden test, no traceback into the library.
from dlcourse.grading.feedback import SafeFeedback  # noqa: E402
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, SafeFeedback, CSSHTMLHeaderPreprocessor]
