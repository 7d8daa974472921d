"""The grader's side of a worker: spawn it with limits, send calls, read replies in time.

A `Worker` imports one Python file in a separate process (`coach.worker`) and carries
out the calls sent to it. A call that raises, hangs past its time, kills the process, or
answers with anything but the one well-formed reply it was asked for becomes a
`CallFailed` here; the worker is then restarted on the next call.

Evidence that the candidate's process could forge is taken here instead: the time of a
call is measured by this process, and the libraries the worker loaded are read from
its memory maps in /proc.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from coach import wire
from coach.errors import CoachError
from coach.limits import DEFAULT, Limits
from coach.paths import PACKAGE_DIR

BOOT = "import sys; sys.path.insert(0, {root!r}); from coach.worker import main; main()"
# the modules the worker needs: everything else of coach is hidden from the candidate
WORKER_FILES = ("__init__.py", "worker.py", "wire.py", "aliases.py", "arrays.py")
BANNED = ("sklearn", "torch", "tensorflow", "jax", "scipy")
LIBRARY_DIRS = {  # folders whose shared objects mean a banned library was loaded
    "sklearn": "sklearn",
    "scikit_learn.libs": "sklearn",
    "scipy": "scipy",
    "scipy.libs": "scipy",
    "torch": "torch",
    "tensorflow": "tensorflow",
    "jax": "jax",
    "jaxlib": "jax",
}

Role = Literal["candidate", "reference"]

_LIVE: weakref.WeakSet[Worker] = weakref.WeakSet()  # workers with a process, for cancel_all
_CANCELLED = threading.Event()


class Cancelled(BaseException):
    """Grading was cancelled (Ctrl-C in a session): no worker may start until it is reset.
    A BaseException, as KeyboardInterrupt: no `except Exception` of a probe swallows it."""


def cancel_all() -> None:
    """Cancel every grade of this process at once, from any thread: each worker's processes
    are killed (the thread using it sees it die) and no worker starts again until
    `allow_workers()`."""
    _CANCELLED.set()
    for worker in list(_LIVE):
        worker.interrupt()


def cancelling() -> bool:
    """Whether a cancel is under way: what a grade returns now is not to be trusted."""
    return _CANCELLED.is_set()


def allow_workers() -> None:
    """Workers may start again (after a cancelled grade has unwound)."""
    _CANCELLED.clear()


class CallFailed(Exception):
    """A call into the candidate's code did not return a value."""

    status = "error"

    def __init__(
        self,
        message: str,
        *,
        kind: str = "",
        line: int | None = None,
        source: str = "",
        where: str = "",
        own: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.line = line
        self.source = source
        self.where = where
        self.own = own
        self.warnings: list[dict[str, Any]] = []

    def describe(self) -> str:
        if self.kind == "NotImplementedError":
            name = f"{self.where} is" if self.where and self.where != "<module>" else "it is"
            said = f": {self.message}" if self.message else ""
            return f"{name} not implemented yet (it raises NotImplementedError{said})"
        where = f" at line {self.line}" if self.line else ""
        code = f": {self.source}" if self.source else ""
        text = ": ".join(part for part in (self.kind, self.message) if part)
        return f"{text}{where}{code}"


class CandidateRaised(CallFailed):
    """The candidate's code raised an exception (or called sys.exit)."""


class CallTimedOut(CallFailed):
    status = "timeout"


class WorkerDied(CallFailed):
    """The worker process ended during the call (os._exit, a signal, memory), or answered
    with something that is not the reply asked for."""


class ApiMissing(CallFailed):
    """A name or signature the interface requires is not there."""

    status = "fail"


@dataclass
class Reply:
    value: Any
    elapsed: float  # seconds, measured by the parent around the whole round trip
    warnings: list[dict[str, Any]] = field(default_factory=list)
    args_after: list[Any] | None = None
    cpu: float | None = None  # CPU seconds the worker's processes spent (in `cpu_timed`)

    @property
    def spent(self) -> float:
        """The call's cost: CPU time where it was counted, else the round trip's."""
        return self.cpu if self.cpu is not None else self.elapsed


@cache
def bwrap_works() -> bool:
    """Whether bubblewrap is installed and can make a sandbox on this machine."""
    if os.environ.get("COACH_SANDBOX", "") in ("none", "process") or not shutil.which("bwrap"):
        return False
    try:
        probe = ["bwrap", "--ro-bind", "/", "/", "--unshare-net", "--cap-drop", "ALL"]
        done = subprocess.run(
            [*probe, "--", "/bin/true"],
            capture_output=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def sandbox_kind(limits: Limits) -> str:
    """`bwrap` or `process`: what `limits.sandbox` comes to on this machine."""
    if limits.sandbox == "process":
        return "process"
    if bwrap_works():
        return "bwrap"
    if limits.sandbox == "bwrap":
        raise CoachError("--sandbox bwrap: bubblewrap (bwrap) is not installed or cannot run here")
    return "process"


SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc")


def visible_paths() -> list[str]:
    """What a candidate's worker sees read-only: the system and Python's own folders."""
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    prefixes.add(os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))))
    found = [d for d in SYSTEM_DIRS if os.path.isdir(d)]
    return found + sorted(p for p in prefixes if os.path.isdir(p) and p not in found and p != "/")


PACKAGE_HOMES = (
    "lib/python3*/site-packages",
    "lib/python3*/dist-packages",
    "lib64/python3*/*-packages",
)


def hidden_paths() -> list[str]:
    """Copies of coach inside the visible folders (an installed wheel carries its answers):
    in this Python's path, and in every Python's package folders under a visible one."""
    import glob

    visible = visible_paths()
    entries = set(sys.path)
    for root in {*visible, "/usr/local"}:
        for pattern in PACKAGE_HOMES:
            entries.update(glob.glob(os.path.join(root, pattern)))
    hidden = set()
    for entry in entries:
        folder = os.path.join(entry, "coach")
        if os.path.isdir(folder) and any(entry.startswith(v) for v in visible):
            hidden.add(folder)
    return sorted(hidden)


class Worker:
    """One candidate (or reference) file, imported in a sandboxed subprocess."""

    def __init__(
        self,
        path: str,
        *,
        limits: Limits = DEFAULT,
        role: Role = "candidate",
        deadline: float | None = None,
    ) -> None:
        self.path = os.path.abspath(path)
        self.limits = limits
        self.role = role
        self.call_timeout = limits.reference_call_s if role == "reference" else limits.call_s
        self.deadline = deadline
        self.sandbox = sandbox_kind(limits)
        self.proc: subprocess.Popen[bytes] | None = None
        self.loaded = False
        self.load_error: CallFailed | None = None
        self.restarts = 0
        self.output = ""
        self.output_total = 0
        self._incarnation_total = 0
        self.aliases: dict[str, str] = {}
        self.libraries: set[str] = set()  # banned libraries seen mapped in the worker
        self.timed_out: set[str] = set()  # kinds of call that have run out of time once
        self.count_cpu = False  # replies carry CPU time (see cpu_timed)
        self.left_running = 0  # processes of the candidate's that were ended with its worker
        self.seq = 0
        self.scratch = tempfile.mkdtemp(prefix="coach-worker-")

    # -- process ------------------------------------------------------------------------
    def start(self) -> None:
        """Spawn the process now (it imports numpy while the caller does other work)."""
        if self.proc is not None:
            return
        if _CANCELLED.is_set():
            raise Cancelled()
        cmd = [sys.executable, "-I", "-B", "-c", BOOT.format(root=str(PACKAGE_DIR.parent))]
        if self.sandbox == "bwrap":
            cmd = [*self._bwrap(), "--", *cmd]
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": self.scratch,
            "TMPDIR": self.scratch,
            "LANG": "C.UTF-8",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            **self.limits.worker_env(),
        }
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=self.scratch,
            env=env,
            start_new_session=True,
        )
        self.loaded = False
        self._incarnation_total = 0
        _LIVE.add(self)

    def interrupt(self) -> None:
        """Kill the worker's processes now, from any thread; the call waiting on it fails as
        if the worker had died, and that thread cleans up (`kill`)."""
        proc = self.proc
        if proc is None:
            return
        for end in (lambda: os.killpg(proc.pid, signal.SIGKILL), proc.kill):
            try:
                end()
            except OSError:
                pass

    def _bwrap(self) -> list[str]:
        """No network, a writable scratch folder, its own pids, no capabilities (bwrap run
        by root keeps them all otherwise: the candidate could remount its read-only folders
        writable). A candidate sees only the system's and Python's folders, its own file and
        the worker's modules: none of coach's answers, specs or other code, wherever they
        are installed."""
        if self.role == "reference":
            args = ["bwrap", "--ro-bind", "/", "/"]
        else:
            args = ["bwrap"]  # on an empty root, made read-only below
            for folder in visible_paths():
                args += ["--ro-bind", folder, folder]
            for folder in hidden_paths():
                args += ["--tmpfs", folder]
            for name in WORKER_FILES:
                own = str(PACKAGE_DIR / name)
                args += ["--ro-bind", own, own]
            args += ["--ro-bind", self.path, self.path]  # the file itself, not its folder
        args += ["--dev", "/dev", "--proc", "/proc"]
        args += ["--bind", self.scratch, self.scratch, "--chdir", self.scratch]
        if self.role == "candidate":
            args += ["--remount-ro", "/"]
        args += ["--unshare-net", "--unshare-pid", "--cap-drop", "ALL"]
        return [*args, "--die-with-parent", "--new-session"]

    def kill(self) -> None:
        if self.proc is None:
            return
        self.read_libraries()
        ended = self._end_tree()  # children that left the process group too
        own = 3 if self.sandbox == "bwrap" else 1  # bwrap's two processes and the worker
        self.left_running += max(0, ended - own)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.proc.kill()
            self.proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                if stream:
                    stream.close()
            except OSError:
                pass
        self.proc = None

    def reset(self) -> bool:
        """Ready for another grade of the same file (a batch reuses the reference's worker):
        its objects dropped, the counts of this grade cleared. False when it cannot be."""
        if self.proc is None or not self.loaded:
            return False
        try:
            self.request("reset", timeout=self.limits.call_s)
        except CallFailed:
            self.kill()
            return False
        self.restarts = 0
        self.timed_out.clear()
        self.deadline = None
        self.count_cpu = False
        self.aliases.clear()
        return True

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.scratch, ignore_errors=True)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Every process of this worker stopped (SIGSTOP) for the block: while the other
        program is timed, nothing the candidate left running can take its CPU."""
        _wait_stopped(self._signal_tree(signal.SIGSTOP), time.monotonic() + 0.2)
        try:
            yield
        finally:
            self._signal_tree(signal.SIGCONT)

    @contextmanager
    def cpu_timed(self) -> Iterator[None]:
        """Replies in the block carry the CPU time the worker's processes spent on the call,
        read by the parent from the kernel: other programs' load does not inflate it, and
        the candidate cannot report it."""
        self.count_cpu = True
        try:
            yield
        finally:
            self.count_cpu = False

    def _end_tree(self) -> int:
        """Stop every process of the worker, look again once they have stopped (a stopped
        process cannot fork) until no new one appears, then kill them all: a process forked
        while the worker is being killed does not outlive it. How many there were."""
        assert self.proc is not None
        stopped: set[int] = set()
        deadline = time.monotonic() + 1.0
        while True:
            new = set(_process_tree(self.proc.pid)) - stopped
            if not new or time.monotonic() > deadline + 1.0:  # a bound if forks outrun this
                break
            _signal(new, signal.SIGSTOP)
            stopped |= new
            _wait_stopped(new, deadline)
        return len(self._signal_tree(signal.SIGKILL))  # stopped, the tree holds still

    def _signal_tree(self, sig: int) -> list[int]:
        if self.proc is None:
            return []
        found = _process_tree(self.proc.pid)
        _signal(found, sig)
        return found

    # -- evidence from outside ----------------------------------------------------------
    def read_libraries(self) -> set[str]:
        """The banned libraries mapped into the worker's processes, read from /proc."""
        if self.proc is not None:
            for pid in _process_tree(self.proc.pid):
                self.libraries |= _mapped_libraries(pid)
        return self.libraries

    # -- calls --------------------------------------------------------------------------
    def ensure_loaded(self) -> None:
        """Start and import the file, once per process; an import failure is kept."""
        if self.load_error is not None:
            raise self.load_error
        if self.proc is not None and self.loaded:
            return
        if self.proc is None:
            if self.restarts >= self.limits.restarts:
                raise WorkerDied("the worker was restarted too many times")
            self.restarts += 1
            self.start()
        try:
            self._exchange({"op": "load", "path": self.path}, [], self.limits.import_s, "load")
        except CallTimedOut as exc:
            self.load_error = CallTimedOut(f"importing the file {exc.message}")
            raise self.load_error from None
        except CallFailed as exc:
            self.load_error = exc
            raise
        self.loaded = True

    def request(
        self, op: str, *args: Any, timeout: float | None = None, kind: str = "", **fields: Any
    ) -> Reply:
        """Send one request (after loading the file) and return its reply.

        `kind` names the sort of call (e.g. "call:fit"): once one of a kind has run out
        of time, later ones get only `limits.after_timeout_s`.
        """
        self.ensure_loaded()
        kwargs = fields.pop("kwargs", None) or {}
        arrays: list[bytes] = []
        header = {
            "op": op,
            "args": wire.encode(list(args), arrays),
            "kwargs": wire.encode(kwargs, arrays),
            **fields,
        }
        return self._exchange(header, arrays, timeout, kind or op)

    def keep(self, value: Any) -> wire.Handle:
        """Store a value in the worker once; calls then pass the handle, not the data.
        A generated array (`{array: ...}`, see coach.arrays) is made there instead."""
        generated = isinstance(value, dict) and "array" in value
        reply = self.request("make", spec=value) if generated else self.request("keep", value)
        if not isinstance(reply.value, wire.Handle):
            raise WorkerDied("the worker did not keep the value it was sent")
        return reply.value

    def _exchange(
        self, header: dict[str, Any], arrays: list[bytes], timeout: float | None, kind: str
    ) -> Reply:
        assert self.proc is not None and self.proc.stdin is not None
        limit = self._time_left(timeout, kind)
        if limit <= 0:
            raise CallTimedOut("the grade's time limit was reached before this call")
        self.seq += 1
        header["seq"] = self.seq
        frame = wire.pack(header, arrays)
        cpu_before = cpu_seconds(self.proc.pid) if self.count_cpu else None
        started = time.perf_counter()
        try:
            self.proc.stdin.write(frame)
            self.proc.stdin.flush()
            reply, blobs = wire.read_frame(
                lambda n: self._read_exact(n, started + limit),
                max_header=self.limits.header_bytes,
                max_arrays=self.limits.arrays,
                max_bytes=self.limits.frame_bytes,
            )
            elapsed = time.perf_counter() - started
            cpu_after = cpu_seconds(self.proc.pid) if cpu_before is not None else None
            cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
        except CallTimedOut:
            self.timed_out.add(kind)
            self.kill()
            raise CallTimedOut(f"did not finish within {limit:.1f}s") from None
        except (OSError, EOFError, ValueError, wire.WireError) as exc:
            code = self._exit_code()
            self.kill()
            raise WorkerDied(_death(code, exc)) from None
        try:
            if reply.get("seq") != self.seq:
                raise wire.WireError(
                    f"a reply the grader did not ask for (sequence {reply.get('seq')!r}, "
                    f"expected {self.seq})"
                )
            values = [wire.load_array(b) for b in blobs]
            body = {str(k): wire.decode(v, values) for k, v in reply.items()}
            self._collect(body)
            result = Reply(
                value=body.get("value"),
                elapsed=elapsed,
                warnings=_warnings(body.get("warnings")),
                args_after=_list_or_none(body.get("args_after")),
                cpu=cpu,
            )
            ok = body.get("ok") is True
            error = body.get("error") if isinstance(body.get("error"), dict) else {}
        except Exception as exc:  # a malformed or forged reply: never the grader's failure
            self.kill()
            raise WorkerDied(f"the worker sent a malformed reply: {str(exc)[:160]}") from None
        if not ok:
            failure = _failure(error)
            failure.warnings = result.warnings  # what it warned before it raised
            raise failure
        return result

    def _time_left(self, timeout: float | None, kind: str) -> float:
        limit = timeout if timeout is not None else self.call_timeout
        if kind in self.timed_out and self.role == "candidate":
            limit = min(limit, self.limits.after_timeout_s)
        if self.deadline is not None:
            limit = min(limit, self.deadline - time.monotonic())
        return limit

    def _read_exact(self, n: int, deadline: float) -> bytes:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        chunks, got = [], 0
        while got < n:
            remaining = deadline - time.perf_counter()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise CallTimedOut("timeout")
            chunk = os.read(fd, min(n - got, 1 << 20))
            if not chunk:
                raise EOFError("the worker closed its channel")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _exit_code(self) -> int | None:
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            return None

    def _collect(self, body: dict[str, Any]) -> None:
        text = body.get("output") or ""
        cap = self.limits.output_bytes
        if isinstance(text, str) and text and len(self.output) < cap:
            self.output = (self.output + text)[:cap]
        total = body.get("output_total")
        total = total if isinstance(total, int) else 0
        self.output_total += max(0, total - self._incarnation_total)
        self._incarnation_total = total
        names = body.get("aliases")
        if isinstance(names, dict):
            self.aliases.update({str(k): str(v) for k, v in names.items()})


def _warnings(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        return []
    return [w for w in raw if isinstance(w, dict) and isinstance(w.get("message"), str)]


def _list_or_none(raw: Any) -> list[Any] | None:
    return raw if isinstance(raw, list) else None


def _failure(error: dict[str, Any]) -> CallFailed:
    kind = str(error.get("type", "Error"))
    message = str(error.get("message", ""))
    line = error.get("line") if isinstance(error.get("line"), int) else None
    source = str(error.get("source") or "")
    where = str(error.get("where") or "")
    if kind == "ApiContract":
        return ApiMissing(message)
    own = error.get("own") is True
    return CandidateRaised(message, kind=kind, line=line, source=source, where=where, own=own)


def _death(code: int | None, exc: BaseException) -> str:
    if isinstance(exc, wire.WireError):
        return f"the worker sent a malformed reply: {exc}"
    if code is None:
        return f"the worker stopped answering ({exc})"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the worker was killed by {name}"
    return f"the process exited with status {code} (os._exit or a crash)"


def _signal(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass  # gone already


def _wait_stopped(pids: Iterable[int], deadline: float) -> None:
    """Until `deadline`, wait for the stopped processes to be stopped: a signal lands within
    moments, and a process that is stopped cannot fork or take CPU."""
    pids = list(pids)
    while time.monotonic() < deadline and not all(process_state(p) in "tTZX" for p in pids):
        time.sleep(0.001)


def _process_tree(root: int) -> list[int]:
    """`root` and every process below it."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/children") as handle:
                    todo.extend(int(child) for child in handle.read().split())
            except (OSError, ValueError):
                continue
    return found


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(root: int) -> float | None:
    """CPU time used by `root` and every process below it: each process's own clock (all
    its threads, those that have ended included) and its children already reaped. None
    where the kernel does not say (no /proc, no process CPU clocks): then wall time serves."""
    total, read = 0.0, False
    for pid in _process_tree(root):
        try:
            total += time.clock_gettime_ns(((~pid) << 3) | 2) / 1e9  # the process's CPU clock
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += (int(fields[13]) + int(fields[14])) / CLOCK_TICKS  # cutime + cstime
            read = True
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    return total if read else None


def process_state(pid: int) -> str:
    """A process's state letter from /proc (R running, S sleeping, T stopped, Z zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "X"


def _mapped_libraries(pid: int) -> set[str]:
    """Banned libraries whose files are mapped into process `pid`."""
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as handle:
            fields = [line.split(None, 5) for line in handle]
    except OSError:
        return set()
    paths = {f[5].strip() for f in fields if len(f) == 6}
    found = set()
    for path in paths:
        for part in path.split("/"):
            if part in LIBRARY_DIRS:
                found.add(LIBRARY_DIRS[part])
    return found
