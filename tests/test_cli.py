"""The ``dlcourse`` entry point: every verb is listed, has --help, and only its own module loads."""

import os
import subprocess
import sys

import pytest

from dlcourse.cli import _command_names, _help_line, main

VERBS = sorted(_command_names())


def test_every_command_module_is_a_verb():
    assert {"autograde", "collect", "demo", "export", "feedback", "lab", "plot", "release", "report",
            "validate", "xor-demo"} <= set(VERBS)


def test_top_level_help_lists_every_verb_with_its_help_line(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for verb, module in _command_names().items():
        assert verb in text
        assert " ".join(_help_line(module).split()) in text


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_has_help(verb, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([verb, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: dlcourse {verb}" in capsys.readouterr().out


def test_an_unknown_verb_is_named_in_the_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["grdae"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'grdae'" in err and "autograde" in err


def test_no_verb_prints_the_help_and_fails(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_listing_the_commands_does_not_import_nbgrader():
    code = ("import sys\nfrom dlcourse.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('nbgrader' in sys.modules, 'dlcourse.grading.pipeline' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split()[-2:] == ["False", "False"]


def test_the_installed_command_works_without_its_folder_on_path(tmp_path):
    """`.venv/bin/dlcourse autograde` run without activating the environment, on a course whose
    gradebook is gone: nbgrader creates the gradebook with `alembic`, which lives beside the
    interpreter, not on the user's PATH; the user reads what to do, not a traceback."""
    from dlcourse.grading import toy
    from dlcourse.grading.release import release

    root = toy.make_course(tmp_path)
    release(root, [toy.CHAPTER])
    (root / "autograde" / "gradebook.db").unlink()  # released, then the gradebook lost
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    env["PATH"] = "/usr/bin:/bin"
    done = subprocess.run([sys.executable, "-m", "dlcourse", "autograde", toy.CHAPTER, "--quiet"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr and "alembic" not in done.stderr, done.stderr[-2000:]
    assert f"run `dlcourse release {toy.CHAPTER}` first" in done.stderr
