"""Sessions end to end in a real pseudo-terminal (pexpect): start, hint, check, grade, quit,
resume, submit, history; a mock that submits itself; kill -9 and resume; watch mode."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from conftest import REFERENCE, coach_command

from coach.specs import Bank
from coach.store import SessionRow, Store

pytestmark = pytest.mark.slow

COACH = coach_command()  # the installed `coach` entry point
PROMPT = "coach>"
CPR_REQUEST = "\x1b[6n"


def plain(text: str) -> str:
    """Terminal output without escape sequences and carriage returns."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).replace("\r", "")


class Terminal:
    """A coach process in a pty that answers the terminal's cursor-position requests (which
    prompt-toolkit needs before it draws the bottom toolbar), as a real terminal does."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.child = pexpect.spawn(
            COACH[0],
            [*COACH[1:], *args],
            cwd=str(cwd),
            env=env,
            encoding="utf-8",
            codec_errors="replace",
            dimensions=(40, 140),
            timeout=60,
        )
        self.seen = ""

    def expect(self, pattern: str, timeout: float = 60) -> str:
        while True:
            try:
                index = self.child.expect([re.escape(CPR_REQUEST), pattern], timeout=timeout)
            except (pexpect.TIMEOUT, pexpect.EOF) as exc:
                self.seen += self.child.before or ""
                raise AssertionError(
                    f"{type(exc).__name__} waiting for {pattern!r}; the screen so far ends:\n"
                    + plain(self.seen)[-3000:]
                ) from None
            self.seen += (self.child.before or "") + str(self.child.after)
            if index == 0:
                self.child.send("\x1b[5;1R")
                continue
            return str(self.child.after)

    def command(self, line: str, until: str, timeout: float = 60) -> None:
        self.child.sendline(line)
        self.expect(until, timeout)
        self.expect(PROMPT, timeout)

    def finish(self, timeout: float = 60) -> int:
        while True:
            index = self.child.expect([re.escape(CPR_REQUEST), pexpect.EOF], timeout=timeout)
            self.seen += self.child.before or ""
            if index == 0:
                self.child.send("\x1b[5;1R")
                continue
            break
        self.child.close()
        return int(self.child.exitstatus if self.child.exitstatus is not None else -1)


@pytest.fixture
def env(coach_home: Path) -> dict[str, str]:
    values = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VISUAL", "EDITOR", "PROMPT_TOOLKIT_NO_CPR", "COACH_PROBLEMS")
    }
    values.update(COACH_HOME=str(coach_home), TERM="xterm", LINES="40", COLUMNS="140")
    return values


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    work = tmp_path / "work"
    work.mkdir()
    yield work


def coach(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COACH, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def store_row(env: dict[str, str]) -> SessionRow:

    with Store(Path(env["COACH_HOME"]) / "coach.db") as store:
        return store.sessions(1)[0]


def test_start_quit_resume_submit_history(folder: Path, env: dict[str, str]) -> None:
    term = Terminal(["start", "logistic"], folder, env)
    term.expect(PROMPT)
    assert (
        (folder / "logistic_regression.py").read_text().startswith("# coach: logistic_regression")
    )
    term.expect(r"logistic_regression .*│ clarify & design │ \d\d:\d\d left")  # the toolbar
    term.command("hint", "Hint 1")
    term.command("check", "examples pass")
    term.command("grade", r"\d+\.\d / 100")
    term.child.sendline("quit")
    term.expect("coach resume")
    assert term.finish() == 0
    row = store_row(env)
    assert row.status == "paused" and row.hints_used == 1

    (folder / "logistic_regression.py").write_text(REFERENCE.read_text())
    term = Terminal(["resume"], folder, env)
    term.expect("Practice session resumed")
    term.expect(PROMPT)
    term.child.sendline("submit")
    term.expect("100.0 / 100")
    term.expect("coach solution logistic_regression")
    assert term.finish() == 0
    assert "Traceback" not in term.seen

    history = coach("history", cwd=folder, env=env)
    assert history.returncode == 0, history.stderr
    assert "logistic" in history.stdout and "100" in history.stdout
    solution = coach("solution", "logistic", cwd=folder, env=env)
    assert solution.returncode == 0, solution.stderr
    assert "log-of-zero" in solution.stdout


def test_mock_submits_itself_at_zero(folder: Path, env: dict[str, str]) -> None:
    term = Terminal(["mock", "--minutes", "0.05", "--no-watch"], folder, env)
    term.expect("Your interviewer picked")
    term.expect("your mock interview is submitted as it stands", timeout=90)
    term.expect(r"\d+\.\d / 100")
    total = len(Bank.load().resolve("logistic").followups)
    for number in range(1, total + 1):
        term.expect(rf"{number}/{total}\. ")
        term.expect(r"answer \[a-d\]:")
        term.child.sendline("b")
    term.expect(rf"Follow-ups: \d/{total} correct")
    assert term.finish() == 0
    row = store_row(env)
    assert row.status == "submitted" and row.mode == "mock"
    assert 2.5 <= row.elapsed_s <= 4


def test_kill_9_then_resume_continues_with_the_saved_time(
    folder: Path, env: dict[str, str]
) -> None:
    term = Terminal(["start", "logistic", "--minutes", "30", "--no-watch"], folder, env)
    term.expect(PROMPT)
    time.sleep(7)  # the REPL saves every 5 s of session time
    os.kill(term.child.pid, signal.SIGKILL)
    term.child.close(force=True)
    row = store_row(env)
    saved = row.elapsed_s
    assert row.status == "active" and 4.5 <= saved <= 7.5

    time.sleep(2)  # time away: must not count
    term = Terminal(["resume"], folder, env)
    term.expect(r"resumed.*00:0\d used of 30:00")
    term.expect(PROMPT)
    term.child.sendline("quit")
    term.expect("coach resume")
    assert term.finish() == 0
    after = store_row(env).elapsed_s
    assert saved <= after < saved + 5


def test_saving_the_file_runs_check(folder: Path, env: dict[str, str]) -> None:
    term = Terminal(["start", "logistic"], folder, env)
    term.expect(PROMPT)
    time.sleep(0.5)
    (folder / "logistic_regression.py").write_text(REFERENCE.read_text())
    term.expect("saved → check 3/3 examples pass", timeout=30)
    term.expect(r"check 3/3 ✓")  # the toolbar shows it
    term.child.sendline("quit")
    term.expect("coach resume")
    assert term.finish() == 0
