"""The JupyterHub configuration of deploy/: loaded with traitlets' own loaders, as JupyterHub,
jupyter_server and nbgrader load it, and the settings each role gets checked."""

import json
import os
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path
from types import SimpleNamespace

import pytest
from jupyter_core.paths import jupyter_path
from traitlets.config.loader import JSONFileConfigLoader, PyFileConfigLoader

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
SERVER_EXTENSION = "nbgrader.server_extensions.{}"
LAB_PLUGIN = "@jupyter/nbgrader:{}"
# role -> (server extensions on, off; JupyterLab plugins on, off)
ROLES = {
    "student": ({"assignment_list", "validate_assignment"}, {"formgrader", "course_list"},
                {"assignment-list", "validate-assignment"},
                {"formgrader", "create-assignment", "course-list"}),
    "instructor": ({"formgrader", "course_list", "validate_assignment"}, {"assignment_list"},
                   {"formgrader", "create-assignment", "course-list", "validate-assignment"},
                   {"assignment-list"}),
}


def _load(path):
    path = Path(path)
    loader = PyFileConfigLoader if path.suffix == ".py" else JSONFileConfigLoader
    return loader(path.name, str(path.parent)).load_config()


def _hub_config(monkeypatch):
    monkeypatch.setenv("DLCOURSE_HOME", str(ROOT))
    return _load(DEPLOY / "jupyterhub_config.py")


def _spawner(name, groups=(), path=None):
    user = SimpleNamespace(name=name, groups=[SimpleNamespace(name=g) for g in groups])
    return SimpleNamespace(user=user, environment={"JUPYTER_CONFIG_PATH": path} if path else {})


def test_the_hub_config_loads_without_jupyterhub_and_gives_each_user_a_role(monkeypatch):
    config = _hub_config(monkeypatch)
    assert "jupyterhub" not in sys.modules
    instructors = config.JupyterHub.load_groups["instructors"]["users"]
    assert instructors and set(instructors) == config.Authenticator.admin_users
    assert config.Spawner.default_url == "/lab"
    hook = config.Spawner.pre_spawn_hook
    for spawner, role in [(_spawner("ada"), "student"),
                          (_spawner(instructors[0]), "instructor"),
                          (_spawner("tutor", groups=["instructors"]), "instructor"),
                          (_spawner("bob", groups=["others"], path="/etc/extra"), "student")]:
        before = spawner.environment.get("JUPYTER_CONFIG_PATH")
        hook(spawner)
        first, *rest = spawner.environment["JUPYTER_CONFIG_PATH"].split(os.pathsep)
        assert Path(first) == DEPLOY / role, spawner.user.name
        assert rest == ([before] if before else [])  # what the spawner had is kept, after


@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_role_gets_its_own_nbgrader_tools(role):
    server_on, server_off, lab_on, lab_off = ROLES[role]
    server = _load(DEPLOY / role / "jupyter_server_config.json").ServerApp.jpserver_extensions
    assert server == {**{SERVER_EXTENSION.format(n): True for n in server_on},
                      **{SERVER_EXTENSION.format(n): False for n in server_off}}
    for name in server:
        assert find_spec(name) is not None, f"{name} is not one of nbgrader's server extensions"
    page = json.loads((DEPLOY / role / "labconfig" / "page_config.json").read_text())
    assert page == {"disabledExtensions": {LAB_PLUGIN.format(n): True for n in lab_off}}
    shipped = _nbgrader_lab_plugins()
    for name in lab_on | lab_off:
        assert LAB_PLUGIN.format(name) in shipped


def _nbgrader_lab_plugins():
    """The plugin ids nbgrader's JupyterLab extension is built with."""
    for folder in jupyter_path("labextensions"):
        static = Path(folder) / "@jupyter" / "nbgrader" / "static"
        if static.is_dir():
            return "".join(p.read_text(encoding="utf-8", errors="replace") for p in static.glob("*.js"))
    pytest.fail("nbgrader's JupyterLab extension is not installed")


def test_students_and_instructors_share_the_exchange_and_the_course_id(monkeypatch):
    course = _load(ROOT / "nbgrader_config.py")
    monkeypatch.setenv("JUPYTERHUB_USER", "ada")
    student = _load(DEPLOY / "student" / "nbgrader_config.py")
    instructor = _load(DEPLOY / "instructor" / "nbgrader_config.py")
    assert student.Exchange.root == instructor.Exchange.root == "/srv/nbgrader/exchange"
    assert student.CourseDirectory.course_id == instructor.CourseDirectory.course_id \
        == course.CourseDirectory.course_id
    assert student.CourseDirectory.student_id == "ada"
    assert instructor.CourseDirectory.root == os.path.expanduser("~/dlcourse")
    assert instructor.CollectApp.check_owner is False
    monkeypatch.delenv("JUPYTERHUB_USER")
    assert "student_id" not in _load(DEPLOY / "student" / "nbgrader_config.py").CourseDirectory


_WHAT_THE_SERVER_LOADS = """
import json
from jupyter_core.paths import jupyter_path
from jupyter_server.serverapp import ServerApp
from jupyterlab_server.config import get_page_config

app = ServerApp()
app.initialize(argv=["--ServerApp.root_dir=."], new_httpserver=False)
disabled = get_page_config(jupyter_path("labextensions")).get("disabledExtensions", [])
if isinstance(disabled, dict):
    disabled = [name for name, off in disabled.items() if off]
print(json.dumps({
    "server": sorted(n for n, e in app.extension_manager.extensions.items() if e.enabled),
    "disabled": sorted(disabled),
}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("role", sorted(ROLES))
def test_a_server_started_with_the_role_settings_loads_that_roles_tools(role, tmp_path):
    """jupyter_server and JupyterLab's own config reading, as a single-user server started
    by the hub does it (with the role's folder on JUPYTER_CONFIG_PATH)."""
    server_on, server_off, lab_on, lab_off = ROLES[role]
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(HOME=str(tmp_path), JUPYTER_PLATFORM_DIRS="1",
               JUPYTER_CONFIG_PATH=str(DEPLOY / role))
    done = subprocess.run([sys.executable, "-c", _WHAT_THE_SERVER_LOADS], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    nbgrader_on = {n.rsplit(".", 1)[1] for n in seen["server"] if n.startswith("nbgrader.")}
    assert nbgrader_on == server_on
    disabled = {n.split(":", 1)[1] for n in seen["disabled"] if n.startswith("@jupyter/nbgrader:")}
    assert disabled == lab_off
