"""Hostile candidates graded through the command line, in each sandbox.

Each file in ``tests/fixtures/contained/`` is a correct logistic regression that does one
hostile thing when it is imported, and prints what came of it: connects to a socket on
127.0.0.1, writes outside its scratch folder, reads coach's problems, reference solutions
and code, or starts 1,000 processes. ``coach grade --sandbox bwrap`` contains each act and
still grades the model (the candidate's printed error is the reason, in the report's
candidate output); ``--sandbox process`` contains the processes only, and these tests hold
the README's word on what it does not contain (the report's note says it too).
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import run_coach

from coach.sandbox import bwrap_works, process_state

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "contained"
SANDBOXES = [
    pytest.param(
        "bwrap", marks=pytest.mark.skipif(not bwrap_works(), reason="bubblewrap is not here")
    ),
    "process",
]
FORKS = "forks_1000_processes.py"
MARKER = "coach-hostile-f"  # what the forked children name themselves in /proc/PID/comm
WROTE = "coach-hostile-wrote.txt"
TIMEOUT = 30.0  # --timeout: one file's grade


@dataclass
class Graded:
    """One sandbox's grades of copies of every fixture, in `folder`."""

    folder: Path
    listener: socket.socket  # the fixture's PORT is this socket's
    reports: dict[str, dict]  # by file name
    seconds: dict[str, float]  # the whole `coach grade` run each file was graded in

    def output(self, name: str) -> str:
        return self.reports[name]["candidate_output"]


def available() -> list[str]:
    return ["bwrap", "process"] if bwrap_works() else ["process"]


def survivors() -> list[int]:
    """Live processes named as the fork fixture's children (a zombie is dead already)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/comm") as handle:
                named = handle.read().strip() == MARKER
        except OSError:
            continue
        if named and process_state(int(entry)) not in "ZX":
            found.append(int(entry))
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory):
    """Every fixture graded in every available sandbox, in two lanes side by side: the fork
    fixture's runs one after the other (each forks for seconds, within the import's time
    limit), and the others' runs."""
    base = tmp_path_factory.mktemp("contained")
    forks, others, sandboxes = [], [], {}
    for sandbox in available():
        folder = base / sandbox
        (folder / "tmp").mkdir(parents=True)  # TMPDIR: the scratch folders are made here
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        for fixture in sorted(FIXTURES.glob("*.py")):
            text = fixture.read_text(encoding="utf-8")
            (folder / fixture.name).write_text(text.replace("PORT = 9 ", f"PORT = {port} "))
        env = {**os.environ, "TMPDIR": str(folder / "tmp"), "COACH_HOME": str(base / "home")}
        names = sorted(p.name for p in FIXTURES.glob("*.py") if p.name != FORKS)
        forks.append((sandbox, [FORKS], env))
        others.append((sandbox, names, env))
        sandboxes[sandbox] = Graded(folder, listener, {}, {})

    def grade(run: tuple[str, list[str], dict[str, str]]) -> None:
        sandbox, names, env = run
        into = sandboxes[sandbox]
        files = [str(into.folder / name) for name in names]
        started = time.monotonic()
        done = run_coach(
            "grade",
            *files,
            *("--problem", "logistic", "--format", "json", "--sandbox", sandbox),
            *("--timeout", str(TIMEOUT)),
            env=env,
        )
        assert done.returncode == 0, done.stderr
        seconds = time.monotonic() - started
        for name, line in zip(names, done.stdout.splitlines(), strict=True):
            into.reports[name] = json.loads(line)
            into.seconds[name] = seconds

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda lane: [grade(run) for run in lane], (forks, others)))
        yield sandboxes
    finally:
        for pid in survivors():  # a failed test leaves nothing running
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for each in sandboxes.values():
            each.listener.close()


def graded_in_full(report: dict, sandbox: str) -> None:
    """The hostile act cost the model nothing: every probe ran and passed."""
    assert report["sandbox"] == sandbox
    assert report["score"] == 100, report["probes"]
    assert report["mistakes"] == []
    assert {p["status"] for p in report["probes"]} == {"pass"}
    process_note = any("graded in 'process' mode" in note for note in report["notes"])
    assert process_note == (sandbox == "process")


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_socket_to_localhost(sandbox: str, graded: dict[str, Graded]) -> None:
    ran = graded[sandbox]
    name = "connects_to_localhost.py"
    report = ran.reports[name]
    graded_in_full(report, sandbox)
    port = ran.listener.getsockname()[1]
    # the runs are over and their processes gone: a connection made is waiting in the backlog
    waiting = select.select([ran.listener], [], [], 0)[0]
    if sandbox == "bwrap":  # its own network namespace: 127.0.0.1 is not this machine's
        assert not waiting, "the candidate reached a socket outside its sandbox"
        said = f"connecting to 127.0.0.1:{port} failed: ConnectionRefusedError"
        assert said in ran.output(name)
    else:  # README: the process sandbox does not contain the network
        assert waiting, ran.output(name)
        conn, _ = ran.listener.accept()
        with conn:
            conn.settimeout(5)
            assert conn.recv(100) == b"coach-hostile-socket\n"
        assert f"connected to 127.0.0.1:{port}" in ran.output(name)
        assert any("use the network" in note for note in report["notes"])


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_writes_outside_the_scratch_folder(sandbox: str, graded: dict[str, Graded]) -> None:
    ran = graded[sandbox]
    name = "writes_outside_scratch.py"
    report = ran.reports[name]
    graded_in_full(report, sandbox)
    itself = ran.folder / name
    beside_file, beside_scratch = ran.folder / WROTE, ran.folder / "tmp" / WROTE
    written = [p for p in (beside_file, beside_scratch) if p.exists()]
    appended = itself.read_text() != (FIXTURES / name).read_text()
    said = ran.output(name)
    if sandbox == "bwrap":  # a read-only root, and no capability to remount it
        assert written == [] and not appended, said
        for path in (beside_scratch, beside_file, itself):
            assert f"writing {path} failed: OSError(30, 'Read-only file system')" in said
        assert f"remounting {itself} writable failed: Operation not permitted" in said
    else:  # README: the process sandbox writes wherever the user can
        assert written == [beside_file, beside_scratch] and appended, said
        assert f"wrote {beside_scratch}" in said and f"wrote {itself}" in said
        assert any("write wherever this user can" in note for note in report["notes"])


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_reads_coach_problems_and_answers(sandbox: str, graded: dict[str, Graded]) -> None:
    ran = graded[sandbox]
    name = "reads_coach_files.py"
    report = ran.reports[name]
    graded_in_full(report, sandbox)
    said = ran.output(name)
    if sandbox == "bwrap":  # an empty root: only the system, Python and the worker's modules
        assert "read " not in said, said
        searched = int(said.split("found none of coach's files in ")[1].split()[0])
        assert searched >= 10  # the package's folder, sys.path, /work, the grader's cwd, ...
    else:  # README: the process sandbox reads any file the user can, coach's answers too
        for wanted in (
            "problems/logistic_regression.yaml",
            "reference_solutions/logistic_regression.py",
            "coach/grading.py",
        ):
            assert f"{wanted} (" in said, said
        assert any("could read files, including coach's own" in n for n in report["notes"])


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_thousand_processes_are_ended(sandbox: str, graded: dict[str, Graded]) -> None:
    ran = graded[sandbox]
    report = ran.reports[FORKS]
    graded_in_full(report, sandbox)
    assert "started 1000 processes" in ran.output(FORKS)
    ended = "1,000 processes started by the candidate's code were still running when its "
    assert any(note.startswith(ended) for note in report["notes"]), report["notes"]
    assert ran.seconds[FORKS] < TIMEOUT + 10  # the grade's limit, and starting and ending


def test_no_forked_process_outlives_its_grade(graded: dict[str, Graded]) -> None:
    assert all(FORKS in ran.reports for ran in graded.values())  # every run is over
    deadline = time.monotonic() + 5
    left = survivors()
    while left and time.monotonic() < deadline:  # SIGKILL lands within moments
        left = survivors()
    assert not left, f"{len(left)} of the candidate's processes outlived its grade"
