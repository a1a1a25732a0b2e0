#!/usr/bin/env python3
"""Set everything up and run: the only script a fresh machine with Python 3 needs.

    python3 run.py          # set up, then run the demo (the main job)
    python3 run.py test     # set up, then run the whole test suite

Setting up means: a virtual environment in .venv/ with dlcourse installed in
editable mode with its test extra (pip; PyTorch's CPU build is a test-only
reference). It is reinstalled only when pyproject.toml changes. The browser test
drives the operating system's Chromium; where it is missing and the tests run as
root with apt-get (a fresh CI machine), it is installed from the system's packages.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".dlcourse-installed"
CHROMIUM = Path("/usr/bin/chromium")


def _run(argv, **kwargs):
    print("+", " ".join(str(a) for a in argv), flush=True)
    return subprocess.run([str(a) for a in argv], **kwargs).returncode


def install_chromium():
    """Install the system's Chromium for the browser test, when missing and installable."""
    if CHROMIUM.exists() or os.name != "posix" or os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if _run(["apt-get", "update"], env=env) != 0 or _run(["apt-get", "install", "-y", "chromium"], env=env) != 0:
        print("could not install chromium: the browser test will say so", flush=True)


def setup():
    if sys.version_info < (3, 10):
        sys.exit(f"dlcourse needs Python 3.10 or newer, this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print(f"creating a virtual environment in {VENV.name}/", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    pip = [PYTHON, "-m", "pip", "install", "--disable-pip-version-check"]
    if _run([*pip, "--quiet", "--upgrade", "pip"]) != 0 or _run([*pip, "-e", f"{ROOT}[test]"]) != 0:
        sys.exit("installation failed (see pip's message above)")
    STAMP.write_text(wanted)


def environment():
    env = dict(os.environ)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    return env


def main(argv):
    job = argv[0] if argv else "demo"
    if job not in ("demo", "test"):
        sys.exit(f"usage: python3 run.py [demo|test]  (unknown job {job!r})")
    setup()
    if job == "demo":
        return _run([PYTHON, "-m", "dlcourse", "demo", *argv[1:]], cwd=ROOT, env=environment())
    install_chromium()
    workers = ["-n", "2"] if (os.cpu_count() or 1) >= 2 else []
    return _run([PYTHON, "-m", "pytest", *workers, *argv[1:]], cwd=ROOT, env=environment())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
