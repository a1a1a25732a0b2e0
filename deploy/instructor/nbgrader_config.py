"""nbgrader's settings for an instructor's server on the course's JupyterHub.

The hub puts this folder on the instructor's JUPYTER_CONFIG_PATH (see jupyterhub_config.py).
The course itself is the clone of the repository in the instructor's home, whose own
nbgrader_config.py gives the layout (solutions/, course/, autograde/).
"""

import os

c = get_config()  # noqa: F821 (provided by the config loader)

c.Exchange.root = "/srv/nbgrader/exchange"
c.CourseDirectory.course_id = "dlcourse"
c.CourseDirectory.root = os.path.expanduser("~/dlcourse")
# Students hand in under their hub name (see the student's nbgrader_config.py), while the
# files they write belong to their account (jupyter-<name>, or jovyan in containers): the
# owner check would warn about every submission.
c.CollectApp.check_owner = False
