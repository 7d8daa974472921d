"""Shared fixtures: every test gets its own coach home folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference_solutions" / "logistic_regression.py"

# DESIGN §5: the keys of a JSON report, in order (the contract, written out on purpose)
REPORT_KEYS = [
    "schema",
    "problem",
    "file",
    "score",
    "max_score",
    "verdict",
    "duration_s",
    "probes",
    "mistakes",
    "aliases_used",
    "candidate_output",
    "notes",
    "sandbox",
    "error",  # why the file could not be run: DESIGN §5's one line of reason, or null
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--refresh-expected",
        action="store_true",
        help="write each grader fixture's NAME.expected.json from what it gets now",
    )


@pytest.fixture(autouse=True)
def coach_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("coach-home")
    monkeypatch.setenv("COACH_HOME", str(home))
    monkeypatch.delenv("COACH_PROBLEMS", raising=False)
    return home


def coach_command() -> list[str]:
    """The installed `coach` entry point (the one beside this Python)."""
    found = Path(sys.executable).parent / "coach"
    if found.exists():
        return [str(found)]
    which = shutil.which("coach")
    assert which, "the coach command is not installed"
    return [which]


def run_coach(
    *args: str, cwd: Path | None = None, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*coach_command(), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env=env,
    )
