"""JupyterHub for the course on one server: students and instructors, each with their
own nbgrader tools, and nbgrader's exchange between them.

Plain JupyterHub: ``jupyterhub -f /opt/dlcourse/deploy/jupyterhub_config.py``.
The Littlest JupyterHub: copy this file into ``/opt/tljh/config/jupyterhub_config.d/``
(TLJH keeps its own authenticator and spawner; this file adds only the course's settings).

Each user's server gets one of the role folders of this directory (``student/`` or
``instructor/``) first on its ``JUPYTER_CONFIG_PATH``; each holds the nbgrader, server and
JupyterLab settings of that role. Loading this file needs nothing but the standard library.
"""

import os

c = get_config()  # noqa: F821 (provided by JupyterHub's config loader)

# Where the course's clone lives on the server (its deploy/ folder holds the role settings).
COURSE = os.environ.get("DLCOURSE_HOME", "/opt/dlcourse")
ROLES = os.path.join(COURSE, "deploy")
# Hub names of the instructors; everyone else who logs in is a student.
INSTRUCTORS = ["instructor"]
INSTRUCTOR_GROUP = "instructors"

c.JupyterHub.load_groups = {INSTRUCTOR_GROUP: {"users": INSTRUCTORS}}
c.Authenticator.admin_users = set(INSTRUCTORS)
c.Spawner.default_url = "/lab"


def role(user):
    """``"instructor"`` for a member of the instructors' group, else ``"student"``."""
    groups = {getattr(group, "name", group) for group in getattr(user, "groups", [])}
    return "instructor" if INSTRUCTOR_GROUP in groups or user.name in INSTRUCTORS else "student"


def role_settings(spawner):
    """Before a server starts: its role's settings first on its Jupyter config path."""
    folder = os.path.join(ROLES, role(spawner.user))
    current = spawner.environment.get("JUPYTER_CONFIG_PATH")
    spawner.environment["JUPYTER_CONFIG_PATH"] = os.pathsep.join(p for p in (folder, current) if p)


c.Spawner.pre_spawn_hook = role_settings
