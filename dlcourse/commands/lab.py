"""``dlcourse lab``: JupyterLab on the student notebooks, set up the way the course wants it.

The student's JupyterLab shows ``course/`` and keeps one nbgrader tool, the notebook's
Validate button. The others are switched off with JupyterLab's and jupyter_server's own
settings: the Assignment List and Course List need a JupyterHub exchange (outside one they
show "Error fetching courses!"), formgrader and Create Assignment are the instructor's, and
the Nbgrader menu only opens those four. The server runs in the course folder, so that
Validate reads the course's ``nbgrader_config.py`` (no "No nbgrader_config.py file found").
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from dlcourse.commands._arguments import positive_int
from dlcourse.grading.release import RELEASE_DIR, ReleaseError, find_root

HELP = "start JupyterLab on the student notebooks (course/) with the student's nbgrader tools"
DESCRIPTION = (
    "Start JupyterLab on course/, the student notebooks, with nbgrader's Validate\n"
    "button and without the instructor's and JupyterHub's nbgrader tools.\n"
    "Arguments after -- go to JupyterLab unchanged.\n\n"
    "  dlcourse lab\n"
    "  dlcourse lab --port 8890 --no-browser"
)

# nbgrader's JupyterLab plugins (ids of its labextension @jupyter/nbgrader) a student does not use
STUDENT_DISABLED_PLUGINS = (
    "@jupyter/nbgrader:assignment-list",    # needs a JupyterHub exchange
    "@jupyter/nbgrader:course-list",        # needs a JupyterHub exchange
    "@jupyter/nbgrader:formgrader",         # the instructor's
    "@jupyter/nbgrader:create-assignment",  # the instructor's
    "@jupyter/nbgrader:menu",               # opens the four above, nothing else
)
# the server halves of the same tools; nbgrader.server_extensions.validate_assignment stays
STUDENT_DISABLED_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
    "nbgrader.server_extensions.formgrader",
)


def add_arguments(parser):
    parser.add_argument("--port", type=positive_int, help="the port to listen on (default: JupyterLab's, 8888 or the next free one)")
    parser.add_argument("--ip", help="the address to listen on (default: JupyterLab's, localhost)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a web browser")
    parser.add_argument("jupyter_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)


def server_config(root):
    """jupyter_server's settings for the student: ``course/`` as the root, nbgrader's
    server extensions other than Validate's off."""
    return {"ServerApp": {
        "root_dir": str(Path(root) / RELEASE_DIR),
        "jpserver_extensions": {name: False for name in STUDENT_DISABLED_SERVER_EXTENSIONS},
    }}


def page_config():
    """JupyterLab's page config (``labconfig/page_config.json``): the plugins switched off."""
    return {"disabledExtensions": {name: True for name in STUDENT_DISABLED_PLUGINS}}


def write_config_dir(folder, root):
    """Write a Jupyter config folder holding the student's settings; returns it.

    Put first on ``JUPYTER_CONFIG_PATH``, it takes precedence over the settings installed
    with the packages (which enable every nbgrader extension)."""
    folder = Path(folder)
    (folder / "labconfig").mkdir(parents=True, exist_ok=True)
    (folder / "jupyter_server_config.json").write_text(json.dumps(server_config(root), indent=2) + "\n")
    (folder / "labconfig" / "page_config.json").write_text(json.dumps(page_config(), indent=2) + "\n")
    return folder


def lab_arguments(args):
    """JupyterLab's command line for the options given."""
    argv = []
    if args.port:
        argv.append(f"--ServerApp.port={args.port}")
    if args.ip:
        argv.append(f"--ServerApp.ip={args.ip}")
    if args.no_browser:
        argv.append("--ServerApp.open_browser=False")
    extra = list(args.jupyter_args or [])
    return argv + (extra[1:] if extra[:1] == ["--"] else extra)


def config_path(config_dir, current=None):
    """``JUPYTER_CONFIG_PATH`` with ``config_dir`` first, before the folders already on it."""
    return os.pathsep.join(p for p in (str(config_dir), current) if p)


def run(args):
    try:
        root = find_root()
    except ReleaseError as error:
        print(f"dlcourse lab: {error}", file=sys.stderr)
        return 2
    if not (root / RELEASE_DIR).is_dir():
        print(f"dlcourse lab: no student notebooks in {root / RELEASE_DIR} (run `dlcourse release` first)",
              file=sys.stderr)
        return 2
    from jupyterlab.labapp import LabApp

    with tempfile.TemporaryDirectory(prefix="dlcourse-lab-") as tmp:
        config_dir = write_config_dir(tmp, root)
        os.environ["JUPYTER_CONFIG_PATH"] = config_path(config_dir, os.environ.get("JUPYTER_CONFIG_PATH"))
        os.chdir(root)
        LabApp.launch_instance(argv=lab_arguments(args))
    return 0
