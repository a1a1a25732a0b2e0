"""nbgrader's settings for a student's server on the course's JupyterHub.

The hub puts this folder on the student's JUPYTER_CONFIG_PATH (see jupyterhub_config.py),
so the Assignment List fetches from and submits to the course's exchange.
"""

import os

c = get_config()  # noqa: F821 (provided by the config loader)

c.Exchange.root = "/srv/nbgrader/exchange"
c.CourseDirectory.course_id = "dlcourse"
# Work is handed in under the student's hub name, whatever the spawner: nbgrader would
# use the account's name (jupyter-<name> on The Littlest JupyterHub, jovyan in containers).
if os.environ.get("JUPYTERHUB_USER"):
    c.CourseDirectory.student_id = os.environ["JUPYTERHUB_USER"]
