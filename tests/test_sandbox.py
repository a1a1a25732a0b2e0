"""The kernel's box, for real: what it shows, what it hides, and its limits."""

import json
import os
import sys
import textwrap

import pytest

from dlcourse.grading import sandbox

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sandbox.isolation_available(),
                       reason="bubblewrap cannot make a box here (no binary or no namespaces)"),
]


@pytest.fixture
def layout(tmp_path):
    """A course with its solutions, a checkout beside it, and a working copy."""
    course = tmp_path / "course"
    (course / "solutions").mkdir(parents=True)
    (course / "solutions" / "x.ipynb").write_text('{"secret": "the answers"}')
    sibling = tmp_path / "other-checkout" / "solutions"
    sibling.mkdir(parents=True)
    (sibling / "x.ipynb").write_text('{"secret": "more answers"}')
    work = tmp_path / "scratch" / "ada" / "work"
    (work / ".runtime").mkdir(parents=True)
    (work / "data.csv").write_text("1,2\n")
    return {"root": tmp_path, "course": course, "sibling": sibling, "work": work}


def box(layout, code, memory_mb=2048, **limits):
    """Run Python ``code`` in the box; returns (exit status, last JSON line printed, stderr)."""
    limits.setdefault("expose", sandbox.runtime_folders())
    limits.setdefault("writable", [layout["work"] / ".runtime"])
    done = sandbox.run_in_box(["--exec", sys.executable, "-c", textwrap.dedent(code)],
                              layout["work"], memory_mb, **limits)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return done.returncode, (json.loads(lines[-1]) if lines else None), done.stderr


def test_only_the_allowed_folders_are_there(layout):
    status, seen, err = box(layout, f"""
        import json, os
        def visible(path):
            try:
                return sorted(os.listdir(path))
            except OSError:
                return None
        def readable(path):
            try:
                return open(path).read()
            except OSError:
                return None
        import dlcourse, numpy
        print(json.dumps({{
            "course": visible({str(layout["course"])!r}),
            "root": visible({str(layout["root"])!r}),
            "solution": readable({str(layout["course"] / "solutions" / "x.ipynb")!r}),
            "sibling": readable({str(layout["sibling"] / "x.ipynb")!r}),
            "top": visible("/"),
            "folders": {{p: visible(p) for p in ("/work", "/root", "/home", "/var", "/run",
                                                  "/srv", "/mnt", "/opt")}},
            "etc": visible("/etc"), "dev": visible("/dev"),
            "dlcourse": dlcourse.__file__, "numpy": numpy.__version__,
        }}))
    """)
    assert status == 0, err
    assert seen["course"] is None and seen["solution"] is None and seen["sibling"] is None
    assert seen["root"] == ["scratch"]  # only the way down to the working copy
    assert not {"var", "run", "srv", "mnt", "home", "opt", "sys", "boot"} & set(seen["top"])
    runtime = sandbox.runtime_folders()
    for folder, listing in seen["folders"].items():
        # absent, or only the way to the Python installation, the venv and dlcourse
        for name in listing or []:
            path = os.path.join(folder, name)
            assert any(r == path or r.startswith(path + "/") for r in runtime), path
    assert "passwd" not in seen["etc"] and "shadow" not in seen["etc"]
    assert {"null", "zero", "random", "urandom"} <= set(seen["dev"])
    assert any(seen["dlcourse"].startswith(r) for r in runtime)


def test_the_working_copy_is_a_private_writable_copy(layout):
    private = f"/tmp/box-private-{layout['root'].name}"
    status, seen, err = box(layout, f"""
        import json, os
        data = open("data.csv").read()
        open("new.txt", "w").write("mine")
        open(".runtime/socket-like", "w").write("shared")
        open({private!r}, "w").write("private")
        print(json.dumps({{"data": data, "cwd": os.getcwd(), "tmp": sorted(os.listdir("/tmp")),
                          "uid": os.getuid(), "new": open("new.txt").read()}}))
    """)
    assert status == 0, err
    assert seen["data"] == "1,2\n" and seen["cwd"] == str(layout["work"])
    assert seen["uid"] != 0
    assert seen["new"] == "mine" and os.path.basename(private) in seen["tmp"]
    assert not os.path.exists(private)  # the box's /tmp is its own
    # the writable folders are the host's (the grader's sockets live there) ...
    assert (layout["work"] / ".runtime" / "socket-like").read_text() == "shared"
    # ... the working copy is the box's own: nothing written there reaches the host's disk
    assert not (layout["work"] / "new.txt").exists()


def test_there_is_no_network(layout):
    status, seen, err = box(layout, """
        import json, socket
        results = {}
        for host, port in (("127.0.0.1", 22), ("8.8.8.8", 53)):
            try:
                socket.create_connection((host, port), timeout=2)
                results[host] = "connected"
            except OSError as error:
                results[host] = type(error).__name__
        results["interfaces"] = [name for _, name in socket.if_nameindex()]
        print(json.dumps(results))
    """)
    assert status == 0, err
    assert seen["127.0.0.1"] != "connected" and seen["8.8.8.8"] != "connected"
    assert seen["interfaces"] == ["lo"]


def test_a_fork_bomb_stops_at_the_process_limit(layout):
    status, seen, err = box(layout, """
        import json, os, time
        forked, error = 0, None
        try:
            for _ in range(400):
                if os.fork() == 0:
                    time.sleep(30)
                    os._exit(0)
                forked += 1
        except OSError as e:
            error = type(e).__name__
        mine = [p for p in os.listdir("/proc") if p.isdigit()
                and os.stat(f"/proc/{p}").st_uid == os.getuid()]
        print(json.dumps({"forked": forked, "error": error, "processes": len(mine)}))
        os._exit(0)  # the children die with the box
    """, max_processes=64)
    assert status == 0, err
    assert seen["error"] == "BlockingIOError" and seen["processes"] <= 64, seen
    print("fork bomb: stopped after", seen["forked"], "forks;", seen["processes"], "processes")


def test_no_further_user_namespaces(layout):
    status, seen, err = box(layout, """
        import ctypes, json, os
        libc = ctypes.CDLL(None, use_errno=True)
        result = libc.unshare(0x10000000)
        print(json.dumps({"result": result, "errno": ctypes.get_errno()}))
    """)
    assert status == 0, err
    assert seen["result"] == -1


def test_writing_past_the_disk_limit_fails(layout):
    status, seen, err = box(layout, """
        import json
        written, error = 0, None
        try:
            for k in range(40):  # 40 files of 128 MB: 5 GB, each under RLIMIT_FSIZE
                with open(f"part{k}", "wb") as f:
                    for _ in range(128):
                        f.write(b"x" * 2**20)
                        written += 1
        except OSError as e:
            error = e.strerror
        print(json.dumps({"written_mb": written, "error": error}))
    """, disk_mb=64)
    assert status == 0, err
    assert seen["error"] == "No space left on device" and seen["written_mb"] <= 64, seen
    assert not list(layout["work"].glob("part*"))


def test_an_honest_import_fits_and_a_memory_hog_does_not(layout):
    status, seen, err = box(layout, """
        import json, resource
        import numpy as np, scipy.linalg, sklearn.linear_model, matplotlib
        matplotlib.use("agg")
        import matplotlib.pyplot as plt
        a = np.ones(200 * 2**20 // 8)
        print(json.dumps({"sum": float(a.sum()), "peak_mb":
                          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
    """, memory_mb=2048)
    assert status == 0, err
    assert seen["sum"] == 200 * 2**20 // 8
    print("scipy, sklearn, matplotlib and 200 MB: peak RSS", seen["peak_mb"], "MB")
    status, seen, err = box(layout, """
        import json, numpy as np
        try:
            a = np.ones(8 * 2**30 // 8)
            outcome = "allocated"
        except MemoryError:
            outcome = "MemoryError"
        try:
            chunks = []
            while len(chunks) < 128:  # 8 GB in 64 MB pieces, each touched
                chunks.append(bytearray(2**26))
            piecewise = "allocated"
        except MemoryError:
            piecewise = "MemoryError"
        print(json.dumps({"array": outcome, "pieces": piecewise, "got": len(chunks)}))
    """, memory_mb=2048)
    assert status == 0, err
    assert seen["array"] == "MemoryError" and seen["pieces"] == "MemoryError", seen
    assert seen["got"] * 64 <= 2048


def test_a_kernel_starts_in_the_box_and_answers(layout, tmp_path):
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import KernelManager

    work = layout["work"]
    env = {k: os.environ[k] for k in ("PATH", "PYTHONPATH") if k in os.environ}
    env.update(HOME=str(work), MPLBACKEND="agg", IPYTHONDIR=str(work / ".ipython"))
    km = KernelManager(kernel_name="python3")
    km._kernel_spec = KernelSpec(
        argv=sandbox.kernel_argv(work, 2048, isolate=True, expose=sandbox.runtime_folders(),
                                 writable=[work / ".runtime"]),
        display_name="box", language="python", interrupt_mode="signal", resource_dir="")
    km.connection_file = str(work / ".runtime" / "kernel.json")
    km.transport, km.ip = "ipc", str(work / ".runtime" / "k")
    km.start_kernel(env=env, cwd=str(work))
    try:
        client = km.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive(
            f"import os; print(os.getuid(), os.path.exists({str(layout['course'])!r}),"
            " open('data.csv').read())",
            timeout=30, output_hook=lambda msg: outputs.append(msg))
        assert reply["content"]["status"] == "ok"
        printed = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
        assert printed.split() == ["1000", "False", "1,2"]
        # an interrupt reaches the kernel (not bwrap): a long cell stops, the kernel lives
        outputs.clear()
        msg_id = client.execute("import time; time.sleep(60)")
        import time
        time.sleep(1.5)
        km.interrupt_kernel()
        reply = client.get_shell_msg(timeout=20)
        assert reply["parent_header"]["msg_id"] == msg_id
        assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
        assert km.is_alive()
        client.stop_channels()
    finally:
        km.shutdown_kernel(now=True)


outputs = []
