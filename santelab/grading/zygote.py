"""The fork server that runs inside a grading sandbox and forks one fresh kernel per notebook.

It imports the course's heavy modules once (pandas, matplotlib, fhir.resources, the sandbox)
and does their first-use work (santelab.grading.warmup, each function given the config),
builds the assignment's populations there, then waits on a Unix socket. Each
`spawn` forks a child that drops to the grading uid, sets the resource limits and becomes an
ipykernel: a kernel costs a fork, not an interpreter start and a minute of imports. A child is never reused: every notebook gets a kernel no other
notebook has touched, and `reset` kills whatever a kernel left behind before the next one.
`sweep`, asked after every cell, kills the processes a cell left running beside its kernel (a
fork bomb's copies spin until killed: they would starve the kernels graded beside them).

Protocol: one JSON request per connection, one JSON answer (`{"ok": ...}` or `{"error": ...}`).
Run as `python -m santelab.grading.zygote SOCKET CONFIG_JSON`; it prints `ready` once listening.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib
import json
import os
import resource
import shutil
import signal
import socket
import sys

PR_SET_DUMPABLE = 4


def _preload(modules: list[str], warmup: list[str], config: dict) -> None:
    # Same backend as a normal ipykernel picks, set before matplotlib reads it at import.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for name in modules:
        with contextlib.suppress(Exception):  # a missing optional module only costs speed
            importlib.import_module(name)
    for target in warmup:
        module, _, function = target.partition(":")
        try:
            getattr(importlib.import_module(module), function)(config)
        except Exception as exc:  # likewise: a kernel then does it itself (the host log says)
            print(f"warm-up {target} skipped: {type(exc).__name__}: {exc}", file=sys.stderr)


def _limit(config: dict) -> None:
    """Resource limits of a kernel (and of every process it starts)."""
    pairs = {
        resource.RLIMIT_AS: config.get("memory_bytes"),
        resource.RLIMIT_NPROC: config.get("max_processes"),
        resource.RLIMIT_CPU: config.get("cpu_seconds"),
        resource.RLIMIT_FSIZE: config.get("max_file_bytes"),
        resource.RLIMIT_CORE: 0,
    }
    for kind, value in pairs.items():
        if value is not None:
            resource.setrlimit(kind, (int(value), int(value)))


def _in_own_pid_namespace() -> bool:
    """True only inside a bwrap sandbox's pid namespace, where pid 1 is bwrap's own init."""
    try:
        with open("/proc/1/cmdline", "rb") as handle:
            return os.path.basename(handle.read().split(b"\0")[0]) == b"bwrap"
    except OSError:
        return False


def _become_kernel(request: dict, config: dict) -> None:
    """In the forked child: drop privileges, then run ipykernel until it exits."""
    os.setsid()
    uid = config.get("uid")
    if uid is not None and os.getuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)  # all capabilities go with uid 0
    _limit(config)
    home = os.path.join(config["scratch"], f"kernel-{os.getpid()}")
    os.makedirs(home, exist_ok=True)
    os.chdir(home)
    os.environ.update({"HOME": home, "TMPDIR": home, **request.get("env", {})})
    shared = os.environ.get("SANTELAB_DATA_DIR")
    if shared:  # read-only templates there; what a kernel writes (its MSSanté CA…) is its own
        own = os.path.join(home, "santelab-data")
        os.makedirs(own, exist_ok=True)
        if os.path.isdir(os.path.join(shared, "templates")):
            os.symlink(os.path.join(shared, "templates"), os.path.join(own, "templates"))
        os.environ["SANTELAB_DATA_DIR"] = own
    connection = os.path.join(home, "connection.json")
    with open(connection, "w", encoding="utf-8") as handle:
        json.dump(request["connection"], handle)
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(argv=["-f", connection, *request.get("argv", [])])


def _status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
        return dict(line.rstrip("\n").split(":\t", 1) for line in handle if ":\t" in line)


def _strays(kernel: int, config: dict) -> list[int]:
    """The processes kernel `kernel` started (and their descendants), but not the kernel.

    Under its own uid (the grader is root) they are every process of that uid, wherever they
    moved; otherwise the processes of the kernel's session (it called setsid).
    """
    uid = config.get("uid") if os.getuid() == 0 else None
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in (kernel, os.getpid()):
            continue
        pid = int(entry)
        try:
            status = _status(pid)  # (/proc/PID itself is root's: a kernel is not dumpable)
            if status.get("State", "Z").startswith(("Z", "X")):
                continue  # already dead, waiting for its parent
            mine = (int(status["Uid"].split()[0]) == uid if uid is not None
                    else os.getsid(pid) == kernel)
        except (OSError, KeyError, ValueError):  # already gone
            continue
        if mine:
            found.append(pid)
    return found


def _sweep(children: dict[int, int | None], kernel: int, config: dict) -> int:
    """Kill what a cell left running beside kernel `kernel`; how many processes that was."""
    if kernel not in children or children[kernel] is not None:
        return 0
    strays = _strays(kernel, config)
    for pid in strays:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return len(strays)


def _reap(children: dict[int, int | None]) -> None:
    """Note which kernels exited, without reaping them: an unreaped pid cannot be reused by
    another process, so `_reset` may still signal its process group safely."""
    for pid, status in list(children.items()):
        if status is None:
            with contextlib.suppress(ChildProcessError):
                info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
                if info is not None:
                    children[pid] = (info.si_status if info.si_code == os.CLD_EXITED
                                     else -info.si_status)


def _reset(children: dict[int, int | None], config: dict) -> None:
    """Kill what the kernels left and empty their scratch space.

    Only inside its own pid namespace (checked, not assumed) does the server kill every process
    but itself and bwrap's init, and empty the whole private /tmp but the exchange folder bound
    from the host; anywhere else it kills its kernels' process groups and removes their own
    folders, nothing more (kill(-1) there would hit every process of the user).
    """
    own = bool(config.get("pid_namespace")) and _in_own_pid_namespace()
    if own:
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)
    else:
        for pid in children:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
    for pid in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    while own:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    scratch = config["scratch"]
    if own:
        keep = config["exchange"] + "/"
        doomed = [e for e in os.listdir(scratch) if not keep.startswith(f"{scratch}/{e}/")]
    else:
        doomed = [f"kernel-{pid}" for pid in children]
    children.clear()
    for entry in doomed:
        path = os.path.join(scratch, entry)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)


def _answer(request: dict, config: dict, children: dict[int, int | None],
            inherited: list[socket.socket]) -> object:
    op = request.get("op")
    _reap(children)
    if op == "spawn":
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                for sock in inherited:
                    sock.close()
                devnull = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(devnull, fd)
                _become_kernel(request, config)
            except BaseException:  # the child must never return into the server
                code = 1
            os._exit(code)
        children[pid] = None
        return pid
    if op == "signal":
        pid = int(request["pid"])
        if pid in children and children[pid] is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, int(request["signal"]))
        return None
    if op == "poll":
        return children.get(int(request["pid"]), -1)
    if op == "sweep":
        return _sweep(children, int(request["pid"]), config)
    if op == "reset":
        _reset(children, config)
        return None
    raise ValueError(f"unknown op {op!r}")



def receive_line(connection: socket.socket) -> bytes:
    """One message of the host's and the server's protocol: JSON ended by a newline."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def serve(path: str, config: dict) -> None:
    # The preloading only adds objects that last: the collector, run again and again on the
    # growing heap, took a fifth of its CPU (3.7 s, 2.9 s without it). One collection at the
    # end frees the cycles it left.
    gc.disable()
    _preload(config.get("preload", []), config.get("warmup", []), config)
    gc.collect()
    # Every object loaded so far goes to the GC's permanent generation: a kernel's collections
    # then never walk the server's ~600,000 objects (a full one took 0.2 s of CPU a kernel),
    # nor write to their headers, which copied most of the inherited heap page by page.
    gc.freeze()
    gc.enable()  # in the kernels forked from here
    # A kernel runs as another uid, but the server also refuses to be read or traced.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(8)
    children: dict[int, int | None] = {}
    print("ready", flush=True)
    while True:
        connection, _ = server.accept()
        with connection:
            data = receive_line(connection)
            try:
                reply = {"ok": _answer(json.loads(data), config, children, [server, connection])}
            except Exception as exc:  # report, keep serving
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            connection.sendall(json.dumps(reply).encode() + b"\n")


if __name__ == "__main__":
    serve(sys.argv[1], json.loads(sys.argv[2]))
