"""``dlcourse lab``: the student's JupyterLab, its settings read back through Jupyter's own code,
and the server started for real (the browser test drives it further)."""

import importlib
import json
import re
import sys
import urllib.error
from pathlib import Path

import pytest

from dlcourse.cli import build_parser, main
from dlcourse.commands import lab
from tests.course_tools import ROOT
from tests.test_browser import TOKEN, _api, _copy_student_course, _jupyter_environment, _server

NBGRADER_LABEXTENSION = Path(importlib.import_module("nbgrader").__file__).parent / "labextension"


def _arguments(*argv):
    return build_parser("lab").parse_args(["lab", *argv])


def test_options_pass_through_to_jupyterlab():
    args = _arguments("--port", "8890", "--no-browser", "--ip", "127.0.0.1", "--", "--ServerApp.allow_root=True")
    assert lab.lab_arguments(args) == ["--ServerApp.port=8890", "--ServerApp.ip=127.0.0.1",
                                       "--ServerApp.open_browser=False", "--ServerApp.allow_root=True"]
    assert lab.lab_arguments(_arguments()) == []
    with pytest.raises(SystemExit):
        build_parser("lab").parse_args(["lab", "--port", "zero"])


def test_the_disabled_plugins_are_nbgraders_own_and_validate_stays():
    bundle = "\n".join(p.read_text(errors="replace") for p in (NBGRADER_LABEXTENSION / "static").glob("*.js"))
    named = set(re.findall(r'"(@jupyter/nbgrader:[a-z-]+)"', bundle))  # every plugin id of the labextension
    assert set(lab.STUDENT_DISABLED_PLUGINS) | {"@jupyter/nbgrader:validate-assignment"} == named
    for name in lab.STUDENT_DISABLED_SERVER_EXTENSIONS:
        importlib.import_module(name)  # a misspelt name would silently disable nothing
    assert "nbgrader.server_extensions.validate_assignment" not in lab.STUDENT_DISABLED_SERVER_EXTENSIONS


def test_jupyterlab_reads_the_page_config_written(tmp_path, monkeypatch):
    from jupyterlab_server.config import get_page_config

    folder = lab.write_config_dir(tmp_path / "config", ROOT)
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", lab.config_path(folder))
    disabled = get_page_config([str(NBGRADER_LABEXTENSION.parent)])["disabledExtensions"]
    assert set(lab.STUDENT_DISABLED_PLUGINS) <= set(disabled)
    assert "@jupyter/nbgrader:validate-assignment" not in disabled
    server = json.loads((folder / "jupyter_server_config.json").read_text())["ServerApp"]
    assert server["root_dir"] == str(ROOT / "course")
    assert server["jpserver_extensions"] == {name: False for name in lab.STUDENT_DISABLED_SERVER_EXTENSIONS}


def test_outside_a_course_it_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["lab", "--no-browser"]) == 2
    assert "no course found" in capsys.readouterr().err


@pytest.mark.slow
def test_the_server_shows_course_with_validate_only_and_no_warning(tmp_path):
    course = _copy_student_course(tmp_path / "course")
    log = tmp_path / "lab.log"

    def command(port):
        return [sys.executable, "-m", "dlcourse", "lab", "--ip", "127.0.0.1", "--port", str(port), "--no-browser", "--"]

    with _server(command, course / "course" / "ch01-neurons", _jupyter_environment(tmp_path / "jupyter"), log) as base:
        started = log.read_text()  # before the requests below log their own lines (a 404 is a warning)
        listed = {item["name"] for item in _api(base, "/api/contents")["content"]}
        page = _page(base, "/lab")
        with pytest.raises(urllib.error.HTTPError, match="404"):
            _api(base, "/formgrader")
        validated = _api(base, "/assignments/validate?path=ch01-neurons/ch01-neurons.ipynb", method="POST")
    assert listed == {p.name for p in (ROOT / "course").iterdir() if p.is_dir()}
    config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                  page, re.S).group(1))
    assert set(lab.STUDENT_DISABLED_PLUGINS) <= set(config["disabledExtensions"])
    assert validated["success"], validated  # Validate ran (the unfinished notebook fails its tests)
    assert "is running at" in started and not re.search(r"^\[[WE] ", started, re.M), started
    assert "No nbgrader_config.py" not in log.read_text()


def _page(base, path):
    import urllib.request

    request = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read().decode()
