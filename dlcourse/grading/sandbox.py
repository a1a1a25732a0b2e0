"""The box a student's kernel runs in.

Every kernel is started through this module (``python -m dlcourse.grading.sandbox
... -- -f CONNECTION_FILE``), which sets the limits and then becomes the
IPython kernel:

* **memory**: ``RLIMIT_AS`` caps the kernel's address space, so a memory hog
  gets a ``MemoryError`` or dies instead of taking the machine down;
  ``RLIMIT_FSIZE`` caps the size of any file it writes;
* **no network** with isolation (an empty network namespace);
* **no survivors**: with isolation the kernel is process 1 of its own PID
  namespace, so everything it spawns dies with it; without isolation it at
  least dies with its parent (``PR_SET_PDEATHSIG``);
* **file system** (Linux, root or user namespaces): inside a private mount
  namespace every file system becomes read-only; the course root and the
  folder around it, the other submissions, the home directory and the
  temporary directories are covered by empty, throw-away file systems; only
  the library (read-only) and the submission's own working copy are visible.
  A nested user namespace then locks those mounts, so even a kernel that
  believes it is root cannot unmount them.

Where the operating system does not allow namespaces, :func:`isolation_available`
says so and the grader reports that it runs without file-system isolation.
"""

import argparse
import ctypes
import functools
import os
import re
import resource
import shutil
import signal
import subprocess
import sys

_MS_RDONLY, _MS_NOSUID, _MS_NODEV = 1, 2, 4
_MS_REMOUNT, _MS_BIND, _MS_REC = 32, 4096, 16384
_CLONE_NEWNS, _CLONE_NEWUSER = 0x00020000, 0x10000000
_PR_SET_PDEATHSIG = 1
_INNER_UID = 1000
_FILE_LIMIT = 256 * 2**20  # bytes: the largest file a kernel may write

_libc = ctypes.CDLL(None, use_errno=True)


def _namespace_prefix():
    """The command that puts a process into fresh mount, PID and network namespaces
    (no network at all: the kernel talks to the grader over Unix sockets)."""
    prefix = ["unshare"]
    if os.geteuid() != 0:
        prefix += ["--user", "--map-root-user"]
    return prefix + ["--mount", "--pid", "--net", "--fork", "--kill-child", "--mount-proc"]


@functools.lru_cache(maxsize=None)
def isolation_available():
    """True when kernels can run in private mount and PID namespaces here."""
    if not sys.platform.startswith("linux") or not shutil.which("unshare"):
        return False
    try:
        done = subprocess.run(_namespace_prefix() + ["true"], capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def kernel_argv(workdir, memory_mb, *, isolate, hide=(), expose=()):
    """The kernel command line (with jupyter's ``{connection_file}`` placeholder).

    ``hide`` are directories to cover, ``expose`` directories under them to
    show again read-only; ``workdir`` is shown read-write.
    """
    argv = [sys.executable, "-m", "dlcourse.grading.sandbox",
            "--workdir", str(workdir), "--memory", str(int(memory_mb))]
    if isolate:
        argv.append("--isolate")
        argv += [f"--hide={path}" for path in hide]
        argv += [f"--expose={path}" for path in expose]
    argv += ["--", "-f", "{connection_file}"]
    if isolate:
        argv = _namespace_prefix() + argv
        if shutil.which("setpriv"):
            argv = ["setpriv", "--pdeathsig", "KILL"] + argv
    return argv


def runtime_folders():
    """Folders a kernel needs to see (read-only) even when they lie in a hidden one:
    the Python installation, the virtual environment and the dlcourse package."""
    import dlcourse

    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix,
               os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))),
               os.path.dirname(os.path.abspath(dlcourse.__file__))}
    return sorted(os.path.realpath(f) for f in folders)


# -- inside the box --------------------------------------------------------------------


def _check(result, what):
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _mount(source, target, fstype, flags, data=None):
    _check(_libc.mount(source and source.encode(), target.encode(),
                       fstype and fstype.encode(), ctypes.c_ulong(flags),
                       data and data.encode()), f"mount {target}")


def _bind_read_only(target):
    flags = _MS_BIND | _MS_REMOUNT | _MS_RDONLY
    if _libc.mount(None, target.encode(), None, ctypes.c_ulong(flags), None) != 0:
        # a mount inherited from a user namespace keeps its nosuid/nodev flags
        _mount(None, target, None, flags | _MS_NOSUID | _MS_NODEV)


def _inside(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


_ALWAYS_HIDDEN = ("/dev/shm", "/var/tmp", "/run")  # shared scratch space and sockets
_LEFT_WRITABLE = ("/proc", "/sys", "/dev")


def _mount_points():
    """Every mount point of this namespace (from /proc/self/mountinfo), shortest first."""
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4]
            points.append(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), point))
    return sorted(set(points), key=len)


def _read_only_everywhere():
    """Make every existing mount read-only in this namespace (the kernel writes only to
    its working copy and to the throw-away file systems mounted afterwards)."""
    for point in _mount_points():
        if any(_inside(point, keep) for keep in _LEFT_WRITABLE):
            continue
        try:
            _bind_read_only(point)
        except OSError:
            pass  # a mount that cannot change flags (rare) stays as it is


def _cover(hide, expose, workdir):
    """Make the file system read-only, cover every ``hide`` folder with an empty tmpfs,
    then show ``expose`` (read-only) and ``workdir`` (read-write) again."""
    _read_only_everywhere()
    hide = list(hide) + [p for p in _ALWAYS_HIDDEN if not os.path.islink(p)]
    hide = sorted({os.path.realpath(p) for p in hide if os.path.isdir(p)}, key=len)
    hide = [p for i, p in enumerate(hide) if not any(_inside(p, q) for q in hide[:i])]
    shown = [(os.path.realpath(p), True) for p in expose if os.path.exists(p)]
    shown.append((os.path.realpath(workdir), False))
    shown = [(p, ro) for p, ro in shown if any(_inside(p, h) for h in hide)]
    handles = [(os.open(p, os.O_PATH), p, ro) for p, ro in shown]
    for folder in hide:
        _mount("tmpfs", folder, "tmpfs", _MS_NOSUID | _MS_NODEV, "mode=0755,size=64m")
    for fd, path, read_only in sorted(handles, key=lambda h: len(h[1])):
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            os.makedirs(path, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "a").close()
        _mount(f"/proc/self/fd/{fd}", path, None, _MS_BIND | _MS_REC)
        if read_only:
            _bind_read_only(path)
        else:  # a bind mount starts with the flags of its (now read-only) source
            _mount(None, path, None, _MS_BIND | _MS_REMOUNT)
        os.close(fd)


def _lock_mounts():
    """Enter a nested user namespace as an ordinary user: the mounts above become
    locked (they cannot be undone from inside) and the kernel holds no privilege."""
    outer_uid, outer_gid = os.geteuid(), os.getegid()
    _check(_libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNS), "unshare")
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{_INNER_UID} {outer_uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{_INNER_UID} {outer_gid} 1")


def die_with_parent():
    """Ask Linux to kill this process when its parent dies (no effect elsewhere)."""
    if sys.platform.startswith("linux"):
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dlcourse.grading.sandbox")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--memory", type=int, required=True, help="address-space limit in MB")
    parser.add_argument("--isolate", action="store_true")
    parser.add_argument("--hide", action="append", default=[])
    parser.add_argument("--expose", action="append", default=[])
    parser.add_argument("kernel_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    kernel_args = args.kernel_args[1:] if args.kernel_args[:1] == ["--"] else args.kernel_args

    die_with_parent()
    if args.isolate:
        _cover(args.hide, args.expose, args.workdir)
        _lock_mounts()
    os.chdir(args.workdir)
    limit = args.memory * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_FSIZE, (_FILE_LIMIT, _FILE_LIMIT))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    # become the kernel in this process (one interpreter start-up instead of two)
    sys.argv = [sys.executable, "--HistoryManager.enabled=False", *kernel_args]
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
