"""The ``dlcourse`` command: one entry point, one sub-command per module in
``dlcourse.commands``.

Each command module defines ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``; it is found by name, so adding a command is adding a file.
"""

import argparse
import importlib
import pkgutil
import sys

import dlcourse.commands


def _command_modules():
    for info in sorted(pkgutil.iter_modules(dlcourse.commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            yield info.name, importlib.import_module(f"dlcourse.commands.{info.name}")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="dlcourse",
        description="Foundations of deep learning: course tools for students and instructors.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in _command_modules():
        command = sub.add_parser(
            name.replace("_", "-"),
            help=module.HELP,
            description=getattr(module, "DESCRIPTION", module.HELP),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv=None):
    parser = build_parser()
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
