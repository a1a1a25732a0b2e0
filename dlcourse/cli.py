"""The ``dlcourse`` command: one entry point, one sub-command per module in
``dlcourse.commands``.

Each command module defines ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``; it is found by name, so adding a command is adding a file.
Only the module of the command being run is imported (the grading commands
pull in nbgrader, which takes seconds); the others' one-line ``HELP`` is read
from their source for the command list.
"""

import argparse
import ast
import importlib
import os
import pkgutil
import sys
from pathlib import Path

import dlcourse.commands


def _command_names():
    """``{verb: module name}``, e.g. ``{"xor-demo": "xor_demo"}``."""
    infos = sorted(pkgutil.iter_modules(dlcourse.commands.__path__), key=lambda i: i.name)
    return {i.name.replace("_", "-"): i.name for i in infos if not i.name.startswith("_")}


def _help_line(module_name):
    """The module's ``HELP`` string, read from its source without importing it."""
    path = Path(dlcourse.commands.__path__[0]) / f"{module_name}.py"
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "HELP" for t in node.targets):
            try:
                return ast.literal_eval(node.value)
            except ValueError:
                break
    return _import(module_name).HELP


def _import(module_name):
    # nbformat imports jsonschema, which imports the optional ``rfc3987_syntax``
    # when installed; that module compiles a grammar at import (over 2 s) for IRI
    # formats no notebook schema uses. Marked absent, jsonschema carries on without it.
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)
    return importlib.import_module(f"dlcourse.commands.{module_name}")


def build_parser(selected=None):
    """The argument parser; only the ``selected`` verb's module is imported
    (every module when ``selected`` is ``"*"``)."""
    parser = argparse.ArgumentParser(
        prog="dlcourse",
        description="Foundations of deep learning: course tools for students and instructors.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for verb, module_name in _command_names().items():
        if selected in (verb, "*"):
            module = _import(module_name)
            command = sub.add_parser(
                verb,
                help=module.HELP,
                description=getattr(module, "DESCRIPTION", module.HELP),
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
            module.add_arguments(command)
            command.set_defaults(_run=module.run)
        else:
            sub.add_parser(verb, help=_help_line(module_name))
    return parser


def _find_installed_programs():
    """Put this interpreter's scripts folder on PATH: nbgrader runs ``alembic`` from there
    when it opens a gradebook, and ``.venv/bin/dlcourse`` may be run without activating."""
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    _find_installed_programs()
    selected = next((word for word in argv if not word.startswith("-")), None)
    parser = build_parser(selected)
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
