"""The grader's side of a worker: spawn it with limits, send calls, read replies in time.

A `Worker` imports one Python file in a separate process (`coach.worker`) and carries
out the calls sent to it. A call that raises, hangs past its time, or kills the
process becomes a `CallFailed` here; the worker is then restarted on the next call.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from coach import wire
from coach.paths import PACKAGE_DIR

OUTPUT_CAP = 4096
MAX_RESTARTS = 25
CALL_TIMEOUT = 3.0  # seconds for one call into the candidate's code
REFERENCE_CALL_TIMEOUT = 30.0  # the reference is trusted; its limit only stops a runaway
BOOT = "import sys; sys.path.insert(0, {root!r}); from coach.worker import main; main()"


class CallFailed(Exception):
    """A call into the candidate's code did not return a value."""

    status = "error"

    def __init__(
        self, message: str, *, kind: str = "", line: int | None = None, source: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.line = line
        self.source = source

    def describe(self) -> str:
        where = f" at line {self.line}" if self.line else ""
        code = f": {self.source}" if self.source else ""
        text = ": ".join(part for part in (self.kind, self.message) if part)
        return f"{text}{where}{code}"


class CandidateRaised(CallFailed):
    """The candidate's code raised an exception (or called sys.exit)."""


class CallTimedOut(CallFailed):
    status = "timeout"


class WorkerDied(CallFailed):
    """The worker process ended during the call (os._exit, a signal, memory)."""


class ApiMissing(CallFailed):
    """A name or signature the interface requires is not there."""

    status = "fail"


@dataclass
class Reply:
    value: Any
    elapsed: float
    warnings: list[dict[str, Any]] = field(default_factory=list)
    args_after: list[Any] | None = None

    def warned(self, text: str) -> dict[str, Any] | None:
        """The first warning whose message contains `text`."""
        return next((w for w in self.warnings if text in w["message"]), None)


@cache
def bwrap_works() -> bool:
    """Whether bubblewrap is installed and can make a sandbox on this machine."""
    if os.environ.get("COACH_SANDBOX", "") == "none" or not shutil.which("bwrap"):
        return False
    try:
        done = subprocess.run(
            ["bwrap", "--ro-bind", "/", "/", "--unshare-net", "--", "/bin/true"],
            capture_output=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


class Worker:
    """One candidate (or reference) file, imported in a sandboxed subprocess."""

    def __init__(
        self,
        path: str,
        *,
        call_timeout: float = CALL_TIMEOUT,
        memory_mb: int = 2048,
        deadline: float | None = None,
    ) -> None:
        self.path = os.path.abspath(path)
        self.call_timeout = call_timeout
        self.memory_mb = memory_mb
        self.deadline = deadline
        self.proc: subprocess.Popen[bytes] | None = None
        self.loaded = False
        self.load_error: CallFailed | None = None
        self.restarts = 0
        self.output = ""
        self.output_total = 0
        self._incarnation_total = 0
        self.aliases: dict[str, str] = {}
        self.scratch = tempfile.mkdtemp(prefix="coach-worker-")

    # -- process ------------------------------------------------------------------------
    def start(self) -> None:
        """Spawn the process now (it imports numpy while the caller does other work)."""
        if self.proc is not None:
            return
        cmd = [sys.executable, "-I", "-B", "-c", BOOT.format(root=str(PACKAGE_DIR.parent))]
        if bwrap_works():
            cmd = [
                "bwrap",
                "--ro-bind",
                "/",
                "/",
                "--dev",
                "/dev",
                "--proc",
                "/proc",
                "--bind",
                self.scratch,
                self.scratch,
                "--chdir",
                self.scratch,
                "--unshare-net",
                "--unshare-pid",
                "--die-with-parent",
                "--new-session",
                "--",
                *cmd,
            ]
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": self.scratch,
            "TMPDIR": self.scratch,
            "LANG": "C.UTF-8",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "COACH_MEMORY_MB": str(self.memory_mb),
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

    def kill(self) -> None:
        if self.proc is None:
            return
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

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.scratch, ignore_errors=True)

    # -- calls --------------------------------------------------------------------------
    def ensure_loaded(self) -> None:
        """Start and import the file, once per process; an import failure is kept."""
        if self.load_error is not None:
            raise self.load_error
        if self.proc is not None and self.loaded:
            return
        if self.proc is None:
            if self.restarts >= MAX_RESTARTS:
                raise WorkerDied("the worker was restarted too many times")
            self.restarts += 1
            self.start()
        try:
            self._exchange({"op": "load", "path": self.path}, [])
        except CallFailed as exc:
            self.load_error = exc
            raise
        self.loaded = True

    def request(self, op: str, *args: Any, timeout: float | None = None, **fields: Any) -> Reply:
        """Send one request (after loading the file) and return its reply."""
        self.ensure_loaded()
        kwargs = fields.pop("kwargs", None) or {}
        arrays: list[bytes] = []
        header = {
            "op": op,
            "args": wire.encode(list(args), arrays),
            "kwargs": wire.encode(kwargs, arrays),
            **fields,
        }
        return self._exchange(header, arrays, timeout)

    def _exchange(
        self, header: dict[str, Any], arrays: list[bytes], timeout: float | None = None
    ) -> Reply:
        assert self.proc is not None and self.proc.stdin is not None
        limit = self._time_left(timeout)
        if limit <= 0:
            raise CallTimedOut("the grade's time limit was reached before this call")
        started = time.monotonic()
        try:
            self.proc.stdin.write(wire.pack(header, arrays))
            self.proc.stdin.flush()
            reply, blobs = wire.read_frame(lambda n: self._read_exact(n, started + limit))
            values = [wire.load_array(b) for b in blobs]
            body = {k: wire.decode(v, values) for k, v in reply.items()}
        except CallTimedOut:
            self.kill()
            raise CallTimedOut(f"did not finish within {limit:.1f}s") from None
        except (OSError, EOFError, ValueError, wire.WireError) as exc:
            code = self._exit_code()
            self.kill()
            raise WorkerDied(_death(code, exc)) from None
        self._collect(body)
        if not body.get("ok"):
            raise _failure(body.get("error") or {})
        return Reply(
            value=body.get("value"),
            elapsed=float(body.get("elapsed") or 0.0),
            warnings=list(body.get("warnings") or []),
            args_after=body.get("args_after"),
        )

    def _time_left(self, timeout: float | None) -> float:
        limit = timeout if timeout is not None else self.call_timeout
        if self.deadline is not None:
            limit = min(limit, self.deadline - time.monotonic())
        return limit

    def _read_exact(self, n: int, deadline: float) -> bytes:
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        chunks, got = [], 0
        while got < n:
            remaining = deadline - time.monotonic()
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
        if text and len(self.output) < OUTPUT_CAP:
            self.output = (self.output + text)[:OUTPUT_CAP]
        total = int(body.get("output_total") or 0)
        self.output_total += max(0, total - self._incarnation_total)
        self._incarnation_total = total
        self.aliases.update(body.get("aliases") or {})


def _failure(error: dict[str, Any]) -> CallFailed:
    kind = str(error.get("type", "Error"))
    message = str(error.get("message", ""))
    line = error.get("line")
    source = str(error.get("source") or "")
    if kind == "ApiContract":
        return ApiMissing(message)
    return CandidateRaised(message, kind=kind, line=line, source=source)


def _death(code: int | None, exc: BaseException) -> str:
    if code is None:
        return f"the worker stopped answering ({exc})"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the worker was killed by {name}"
    return f"the process exited with status {code} (os._exit or a crash)"
