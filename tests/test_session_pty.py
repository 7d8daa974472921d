"""Sessions end to end in a real pseudo-terminal (pexpect): start, hint, check, grade, quit,
resume, submit, history; a mock that submits itself; kill -9 and resume; watch mode."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pexpect
import pytest
from conftest import REFERENCE, coach_command

from coach.repl import AUTOSAVE_S, autosave_every
from coach.specs import Bank
from coach.store import SessionRow, Store

pytestmark = pytest.mark.slow

COACH = coach_command()  # the installed `coach` entry point
PROMPT = "coach>"
CPR_REQUEST = "\x1b[6n"
AWAY_S = 1.0  # time away between a kill and a resume


def plain(text: str) -> str:
    """Terminal output without escape sequences and carriage returns."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).replace("\r", "")


class Terminal:
    """A coach process in a pty that answers the terminal's cursor-position requests (which
    prompt-toolkit needs before it draws the bottom toolbar), as a real terminal does."""

    def __init__(
        self,
        args: list[str],
        cwd: Path,
        env: dict[str, str],
        dimensions: tuple[int, int] = (40, 140),
    ) -> None:
        self.child = pexpect.spawn(
            COACH[0],
            [*COACH[1:], *args],
            cwd=str(cwd),
            env=env,
            encoding="utf-8",
            codec_errors="replace",
            dimensions=dimensions,
            timeout=60,
        )
        self.seen = ""

    def expect(self, pattern: str, timeout: float = 60) -> str:
        if not self._wait(pattern, timeout):
            self._fail("TIMEOUT", pattern)
        return str(self.child.after)

    def expect_after(
        self, pattern: str, act: Callable[[], None], every: float = 2.0, timeout: float = 60
    ) -> str:
        """`act()`, then wait for `pattern`, acting again each `every` s it has not come: for
        an act that may come too early to be seen (a save before the watcher is up)."""
        deadline = time.monotonic() + timeout
        while True:
            act()
            if self._wait(pattern, min(every, max(0.0, deadline - time.monotonic()))):
                return str(self.child.after)
            if time.monotonic() >= deadline:
                self._fail("TIMEOUT", pattern)

    def _wait(self, pattern: str, timeout: float) -> bool:
        """Wait for `pattern`, answering cursor-position requests; False on a timeout."""
        while True:
            try:
                index = self.child.expect([re.escape(CPR_REQUEST), pattern], timeout=timeout)
            except pexpect.TIMEOUT:
                return False  # what came so far stays in pexpect's buffer
            except pexpect.EOF:
                self._fail("EOF", pattern)
            self.seen += (self.child.before or "") + str(self.child.after)
            if index == 0:
                self.child.send("\x1b[5;1R")
                continue
            return True

    def expect_text(self, pattern: str, timeout: float = 60) -> str:
        """Wait until the text that came since the last match, escape sequences removed,
        matches `pattern`: for report lines that a redraw of the bottom toolbar may cut."""
        deadline = time.monotonic() + timeout
        fresh = self.child.buffer  # what came after the last match
        self.child.buffer = ""
        while True:
            found = re.search(pattern, plain(fresh))
            if found:  # left in the buffer: later patterns may be in the same text
                self.child.buffer = fresh
                return found.group(0)
            if time.monotonic() >= deadline:
                self.seen += fresh
                self._fail("TIMEOUT", pattern)
            try:
                chunk = self.child.read_nonblocking(4096, timeout=0.2)
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                self.seen += fresh
                self._fail("EOF", pattern)
            for _ in range(chunk.count(CPR_REQUEST)):
                self.child.send("\x1b[5;1R")
            fresh += chunk

    def _fail(self, why: str, pattern: str) -> NoReturn:
        self.seen += self.child.before or ""
        raise AssertionError(
            f"{why} waiting for {pattern!r}; the screen so far ends:\n" + plain(self.seen)[-3000:]
        ) from None

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
    unset = ("VISUAL", "EDITOR", "PROMPT_TOOLKIT_NO_CPR", "COACH_PROBLEMS", "COACH_SAVE_EVERY")
    values = {k: v for k, v in os.environ.items() if k not in unset}
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


def wait_for_row(
    env: dict[str, str], ready: Callable[[SessionRow], bool], timeout: float = 30
) -> SessionRow:
    """The newest session as soon as its stored row satisfies `ready` (polls the database)."""
    deadline = time.monotonic() + timeout
    with Store(Path(env["COACH_HOME"]) / "coach.db") as store:
        while True:
            rows = store.sessions(1)
            if rows and ready(rows[0]):
                return rows[0]
            assert time.monotonic() < deadline, f"no such save in {timeout} s: {rows}"
            time.sleep(0.05)


def save_file(path: Path, text: str) -> None:
    """Save as many editors do, into a new file renamed over the old: never half written."""
    new = path.with_name(path.name + ".new")
    new.write_text(text)
    os.replace(new, path)


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
    term.expect_text("100.0 / 100")
    term.expect_text("Debrief — Logistic regression, practice session")  # after every submit
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
    started = time.monotonic()
    term = Terminal(["mock", "--minutes", "0.05", "--no-watch"], folder, env)
    picked = term.expect(r"Your interviewer picked: .*?\((\w+)\)\.")
    term.expect("your mock interview is submitted as it stands", timeout=90)
    term.expect_text(r"\d+\.\d / 100")
    submitted = store_row(env)  # saved before the report was printed
    assert submitted.status == "submitted" and submitted.mode == "mock"
    # not before zero (3 s); grading counts until the clock stops, so no fixed upper bound
    assert 3 - 0.01 <= submitted.elapsed_s < time.monotonic() - started
    spec = Bank.load().resolve(re.findall(r"\((\w+)\)\.", picked)[-1])
    total = len(spec.followups) + 1  # and one on the candidate's own file
    for number in range(1, total + 1):
        term.expect(rf"{number}/{total}\. ")
        term.expect(r"answer \[a-d\]:")
        term.child.sendline("b")
    term.expect(rf"Follow-ups: \d/{total} correct")
    assert term.finish() == 0
    row = store_row(env)
    assert row.status == "submitted" and row.elapsed_s == submitted.elapsed_s  # quiz: no time


def test_kill_9_then_resume_continues_with_the_saved_time(
    folder: Path, env: dict[str, str]
) -> None:
    # The REPL saves every 5 s of session time; here at every tick (once a second). Starting
    # saves 0 s, and only the periodic save (no command is typed) can store more than 0.25 s.
    started = time.monotonic()
    term = Terminal(
        ["start", "logistic", "--minutes", "30", "--no-watch"],
        folder,
        {**env, "COACH_SAVE_EVERY": "0.5"},
    )
    term.expect(PROMPT)
    seen = wait_for_row(env, lambda row: row.elapsed_s >= 0.25)
    os.kill(term.child.pid, signal.SIGKILL)
    killed = time.monotonic()
    term.child.close(force=True)
    row = store_row(env)
    saved = row.elapsed_s
    assert row.status == "active" and seen.elapsed_s <= saved < killed - started

    time.sleep(AWAY_S)  # time away: must not count, nor the time since the last save
    resumed_at = time.monotonic()
    away = resumed_at - killed
    term = Terminal(["resume"], folder, {**env, "COACH_SAVE_EVERY": "3600"})  # no periodic save
    term.expect(r"resumed.*00:0\d used of 30:00")
    term.expect(PROMPT)
    resumed = store_row(env)  # what resuming saved, before it printed the line above
    assert resumed.status == "active" and saved <= resumed.elapsed_s < saved + away
    term.child.sendline("quit")
    term.expect("coach resume")
    assert term.finish() == 0
    after = store_row(env)
    assert after.status == "paused"
    assert resumed.elapsed_s <= after.elapsed_s <= saved + (time.monotonic() - resumed_at)


def test_the_save_interval_is_5_s_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COACH_SAVE_EVERY", raising=False)
    assert autosave_every() == AUTOSAVE_S == 5.0
    for text, seconds in [("0.5", 0.5), ("0", 5.0), ("-1", 5.0), ("nan", 5.0), ("soon", 5.0)]:
        monkeypatch.setenv("COACH_SAVE_EVERY", text)
        assert autosave_every() == seconds


def test_saving_the_file_runs_check(folder: Path, env: dict[str, str]) -> None:
    term = Terminal(["start", "logistic"], folder, env)
    term.expect(PROMPT)
    # the watcher may not be up yet: save again until it answers (the same file: one check)
    solution = REFERENCE.read_text()
    term.expect_after(
        "saved → check 3/3 examples pass",
        lambda: save_file(folder / "logistic_regression.py", solution),
    )
    term.expect(r"check 3/3 ✓")  # the toolbar shows it
    term.child.sendline("quit")
    term.expect("coach resume")
    assert term.finish() == 0


def test_a_mock_ends_with_a_debrief_that_history_shows_again(
    folder: Path, env: dict[str, str]
) -> None:
    term = Terminal(["mock", "logistic", "--minutes", "30", "--no-watch"], folder, env)
    term.expect(PROMPT)
    term.command("hint", "Hint 1")
    unclipped = REFERENCE.read_text().replace("np.clip(", "(lambda p, low, high: p)(")
    save_file(folder / "logistic_regression_mock.py", unclipped)
    term.command("check", "examples pass")
    term.child.sendline("submit")
    term.expect_text(r"\d+\.\d / 100")
    total = len(Bank.load().resolve("logistic").followups) + 1
    for number in range(1, total + 1):
        term.expect(rf"{number}/{total}\. ")
        term.expect(r"answer \[a-d\]:")
        term.child.sendline("a")
    term.expect_text(r"Debrief — Logistic regression, mock interview #\d+")
    term.expect_text(r"hint 1: step 1 of \d \(−5 points\)")
    term.expect_text(r"check 3/3 examples pass — first full pass")
    term.expect_text(r"log-of-zero")
    session_id = term.expect_text(r"coach history --show (\d+)").split()[-1]
    assert term.finish() == 0
    assert "Traceback" not in term.seen

    shown = coach("history", "--show", session_id, cwd=folder, env=env)
    assert shown.returncode == 0, shown.stderr
    assert "Timeline" in shown.stdout and "hint: Clip probabilities" in shown.stdout
    target = folder / "debrief.md"
    written = coach(
        "history",
        "--show",
        session_id,
        "--format",
        "markdown",
        "--output",
        str(target),
        cwd=folder,
        env=env,
    )
    assert written.returncode == 0, written.stderr
    assert str(target) in written.stderr
    text = target.read_text()
    assert text.startswith("# Debrief — Logistic regression, mock interview")
    assert "**log-of-zero**" in text and "## Follow-ups: " in text
    assert max(len(line) for line in text.splitlines()) <= 80
    missing = coach("history", "--show", "999", cwd=folder, env=env)
    assert missing.returncode == 2 and "no session 999" in missing.stderr


def test_the_toolbar_keeps_check_and_grade_in_60_columns(folder: Path, env: dict[str, str]) -> None:
    term = Terminal(
        ["start", "logistic", "--no-watch"],
        folder,
        {**env, "COLUMNS": "60", "LINES": "24"},
        dimensions=(24, 60),
    )
    term.expect(PROMPT)
    term.child.sendline("check")
    # the phase's name gives way; time, hints and the result stay whole on one line
    term.expect_text(r"logistic_regression │ \d\d:\d\d left │ hints 0 │ check 0/3 ✗")
    term.child.sendline("grade")
    term.expect_text(r"logistic_regression │ \d\d:\d\d left │ hints 0 │ grade \d+(\.\d+)? ✗")


HANGING_FIT = """# coach: logistic_regression
import numpy as np


class LogisticRegression:
    def __init__(self, learning_rate=0.1, n_iters=1000):
        self.learning_rate, self.n_iters = learning_rate, n_iters

    def fit(self, X, y):
        while True:  # never returns: a grade of this file takes many seconds
            pass

    def predict_proba(self, X):
        return np.full(len(X), 0.5)

    def predict(self, X):
        return np.zeros(len(X), dtype=int)
"""


def descendants(pid: int) -> list[int]:
    """The processes started, directly or not, by `pid` (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def raw_mode(term: Terminal) -> bool:
    """Whether the terminal is in raw mode, as prompt-toolkit sets it while it reads a line."""
    import termios

    return not termios.tcgetattr(term.child.child_fd)[3] & termios.ICANON


def wait_until(ready: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"not {what} within {timeout} s"
        time.sleep(0.05)


def test_ctrl_c_cancels_a_grade_and_the_session_goes_on(folder: Path, env: dict[str, str]) -> None:
    (folder / "logistic_regression.py").write_text(HANGING_FIT)
    term = Terminal(["start", "logistic", "--no-watch"], folder, env)
    term.expect(PROMPT)
    term.child.sendline("grade")
    term.expect("grading")
    # the grade runs once its workers are up (the Ctrl-C handler is set before they start)
    wait_until(lambda: bool(descendants(term.child.pid)), "grading")
    term.child.sendintr()
    term.expect(r"grade cancelled \(Ctrl-C\)", timeout=20)  # the grade alone takes longer
    wait_until(lambda: raw_mode(term), "back at the prompt")
    left = {
        pid: Path(f"/proc/{pid}/cmdline").read_bytes()[:80] for pid in descendants(term.child.pid)
    }
    assert left == {}  # every worker killed
    assert "/ 100" not in plain(term.seen)  # no report of the dead workers
    term.command("time", "used of")  # the session goes on
    for answer in ("Ctrl-C again", "coach resume"):  # at the prompt: asks, then quits
        wait_until(lambda: raw_mode(term), "at the prompt")  # Ctrl-C is a key there
        term.child.sendintr()
        term.expect(answer)
    assert term.finish() == 0
    assert "Traceback" not in term.seen
    row = store_row(env)
    assert row.status == "paused"
    with Store(Path(env["COACH_HOME"]) / "coach.db") as store:
        kinds = [k for (k,) in store.db.execute("SELECT kind FROM attempts")]
    assert "grade" not in kinds


def test_mock_in_a_folder_then_resume_without_watch_shows_its_phase(
    folder: Path, env: dict[str, str]
) -> None:
    elsewhere = folder / "interviews"
    elsewhere.mkdir()
    term = Terminal(["mock", "logistic", "--dir", str(elsewhere), "--no-watch"], folder, env)
    term.expect(PROMPT)
    term.child.sendline("quit")
    term.expect("coach resume")
    assert term.finish() == 0
    assert (elsewhere / "logistic_regression_mock.py").exists()
    assert not list(folder.glob("*.py"))
    with Store(Path(env["COACH_HOME"]) / "coach.db") as store:  # 30 of 45 minutes used
        store.save_session(store.sessions(1)[0].id, elapsed_s=30 * 60.0)

    term = Terminal(["resume", "--no-watch"], folder, env)
    term.expect(r"Mock interview resumed.*30:00 used of 45:00.*phase: (\w[\w &]*)")
    assert term.child.match.group(1) != "clarify & design"
    term.command("help", "Tab completes")
    assert "Saving your file runs check" not in term.seen  # no watch mode
    term.child.sendline("quit")
    term.expect("coach resume")
    assert term.finish() == 0


def test_start_into_a_practice_folder_and_leave_with_ctrl_d(
    folder: Path, env: dict[str, str]
) -> None:
    """The Quick start's `coach start logistic --dir practice`: the folder is made, the
    starter written in it; Ctrl-D saves and says how to go on."""
    term = Terminal(["start", "logistic", "--dir", "practice", "--no-watch"], folder, env)
    term.expect("Made the folder")
    term.expect(PROMPT)
    assert (folder / "practice" / "logistic_regression.py").exists()
    assert not (folder / "logistic_regression.py").exists()
    term.child.sendeof()
    term.expect("coach resume")
    assert term.finish() == 0
    assert store_row(env).status == "paused"


def test_start_on_a_paused_file_offers_to_resume_and_history_can_abandon(
    folder: Path, env: dict[str, str]
) -> None:
    def start_then_quit(answer: str | None, expect: str) -> None:
        term = Terminal(["start", "logistic", "--no-watch"], folder, env)
        if answer is not None:
            term.expect(r"Resume it\? \[Y/n\]")
            term.child.sendline(answer)
        term.expect(expect)
        term.expect(PROMPT)
        term.child.sendline("quit")
        term.expect("coach resume")
        assert term.finish() == 0

    start_then_quit(None, "Practice session")
    text = (folder / "logistic_regression.py").read_text()
    start_then_quit("y", "Practice session resumed")
    with Store(Path(env["COACH_HOME"]) / "coach.db") as store:
        assert [row.status for row in store.sessions()] == ["paused"]  # no pile of rows
    start_then_quit("n", "marked abandoned")
    assert (folder / "logistic_regression.py").read_text() == text  # the file as it was
    with Store(Path(env["COACH_HOME"]) / "coach.db") as store:
        assert [row.status for row in store.sessions()] == ["paused", "abandoned"]
        newest = store.sessions()[0].id
    history = coach("history", cwd=folder, env=env)
    assert "--abandon ID" in history.stdout and str(folder.name) in history.stdout
    assert coach("history", "--abandon", str(newest), cwd=folder, env=env).returncode == 0
    again = coach("history", "--abandon", str(newest), cwd=folder, env=env)
    assert again.returncode == 2 and "Traceback" not in again.stderr
    assert again.stderr.count("\n") == 1
    assert store_row(env).status == "abandoned"
