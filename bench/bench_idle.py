"""CPU used by an idle session: the countdown toolbar redrawn every second, the ticker, the
file watcher. Runs `coach start logistic` in a pseudo-terminal, waits for the prompt, leaves
it idle and reads the process's CPU time from /proc/PID/stat (Linux).

    python bench/bench_idle.py [--seconds 10] [--no-watch]

The figure is CPU seconds per wall second, in percent of one core (the goal: under 2 %).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import pexpect

CPR_REQUEST = re.escape("\x1b[6n")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def drain(child: pexpect.spawn, until: float) -> int:
    """Read what the process draws until `until`, answering cursor-position requests."""
    redraws = 0
    while (left := until - time.monotonic()) > 0:
        index = child.expect([CPR_REQUEST, re.escape("\x1b[?25h"), pexpect.TIMEOUT], timeout=left)
        if index == 0:
            child.send("\x1b[5;1R")
        elif index == 1:
            redraws += 1
        else:
            break
    return redraws


def measure(seconds: float, watch: bool) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as work:
        env = dict(os.environ, COACH_HOME=home, TERM="xterm", LINES="40", COLUMNS="120")
        env.pop("PROMPT_TOOLKIT_NO_CPR", None)
        args = ["-m", "coach.cli_session", "start", "logistic", "--minutes", "30"]
        if not watch:
            args.append("--no-watch")
        child = pexpect.spawn(
            sys.executable, args, cwd=work, env=env, encoding="utf-8", dimensions=(40, 120)
        )
        try:
            while child.expect([CPR_REQUEST, "coach>"], timeout=60) == 0:
                child.send("\x1b[5;1R")
            drain(child, time.monotonic() + 2.0)  # let start-up settle
            start_cpu, start_wall = cpu_seconds(child.pid), time.monotonic()
            redraws = drain(child, start_wall + seconds)
            used = cpu_seconds(child.pid) - start_cpu
            wall = time.monotonic() - start_wall
        finally:
            child.sendline("quit")
            child.expect([pexpect.EOF, pexpect.TIMEOUT], timeout=10)
            child.close(force=True)
    return 100.0 * used / wall, redraws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--no-watch", action="store_true")
    args = parser.parse_args()
    percent, redraws = measure(args.seconds, watch=not args.no_watch)
    mode = "no watch" if args.no_watch else "watch mode on"
    print(
        f"idle session ({mode}): {percent:.2f} % of one core over {args.seconds:g} s "
        f"({redraws} redraws seen); goal < 2 %"
    )


if __name__ == "__main__":
    main()
