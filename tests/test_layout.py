"""The trust boundary of the package: what a student's kernel imports (the library
and the checks) never imports the instructor's side (grading, the command line)."""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import dlcourse

PACKAGE = Path(dlcourse.__file__).parent
INSTRUCTOR_SIDE = ("dlcourse.grading", "dlcourse.commands", "dlcourse.cli", "dlcourse.__main__")


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _on_instructor_side(name):
    return any(name == side or name.startswith(side + ".") for side in INSTRUCTOR_SIDE)


def kernel_side_modules():
    modules = sorted(_module_name(p) for p in PACKAGE.rglob("*.py"))
    return [m for m in modules if not _on_instructor_side(m)]


def _imported_names(path):
    """Every module named by an import statement anywhere in the file (functions included)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def test_the_instructor_side_is_where_the_map_says():
    for name in ("release", "validate", "pipeline", "sandbox", "worker", "judge"):
        assert (PACKAGE / "grading" / f"{name}.py").is_file()
    assert (PACKAGE / "README.md").read_text().count("`grading/`") == 1
    assert "dlcourse.checks.core" in kernel_side_modules()
    assert "dlcourse.grading.release" not in kernel_side_modules()


def test_no_kernel_side_module_names_the_instructor_side_in_an_import():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if _on_instructor_side(_module_name(path)):
            continue
        offenders += [f"{path.relative_to(PACKAGE.parent)} imports {name}"
                      for name in _imported_names(path) if _on_instructor_side(name)]
    assert offenders == []


def test_importing_every_kernel_side_module_loads_nothing_of_the_instructor_side():
    script = (
        "import importlib, json, sys\n"
        f"for name in {kernel_side_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('dlcourse')\n"
        "                        or m.split('.')[0] in ('nbgrader', 'nbclient'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "MPLBACKEND": "agg"}, timeout=300)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert "dlcourse.checks.ch05" in loaded and "dlcourse.descent.pictures" in loaded
    assert [m for m in loaded if _on_instructor_side(m) or not m.startswith("dlcourse")] == []
