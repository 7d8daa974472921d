"""Every limit put on a candidate's code, in one place, passed from the command line down.

The parent (coach.sandbox) enforces the wall-clock limits and the frame limits on what it
reads; the worker applies the resource limits to itself before any candidate code runs,
from the environment the parent gives it (`Limits.worker_env`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Sandbox = Literal["auto", "bwrap", "process"]


@dataclass(frozen=True)
class Limits:
    """What a candidate's worker may use. Seconds are wall-clock time seen by the parent."""

    call_s: float = 3.0  # one call into the candidate's code
    import_s: float = 10.0  # importing the file (a short demo at import time is fine)
    grade_s: float = 60.0  # one file's whole grade
    after_timeout_s: float = 0.5  # a call of a kind that has timed out once before
    reference_call_s: float = 30.0  # the reference is trusted: this only stops a runaway
    memory_mb: int = 2048  # address space of the worker process
    file_mb: int = 16  # largest file the worker may write
    cpu_s: int = 300  # CPU seconds of the worker process
    processes: int = 256  # RLIMIT_NPROC: counts all of the user's processes; see README
    output_bytes: int = 4096  # of the candidate's prints kept for the report
    frame_bytes: int = 256 * 1024 * 1024  # one reply from the worker, arrays included
    header_bytes: int = 4 * 1024 * 1024  # the JSON part of one reply
    arrays: int = 256  # arrays in one reply
    restarts: int = 25  # worker restarts in one grade
    sandbox: Sandbox = "auto"

    def worker_env(self) -> dict[str, str]:
        """The resource limits, as the worker reads them from its environment."""
        return {
            "COACH_MEMORY_MB": str(self.memory_mb),
            "COACH_FILE_MB": str(self.file_mb),
            "COACH_CPU_S": str(self.cpu_s),
            "COACH_NPROC": str(self.processes),
            "COACH_OUTPUT_BYTES": str(self.output_bytes),
        }


DEFAULT = Limits()
