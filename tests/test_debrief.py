"""The debrief: built from a session's stored events, drawn within 80 columns, printed again
by `coach history --show ID` (rich or Markdown), for sessions from before events too."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from conftest import REFERENCE, run_coach
from rich.console import Console

from coach.clock import FakeClock
from coach.debrief import WIDTH, build_debrief, render_markdown, render_rich
from coach.session import Session
from coach.specs import Bank, ProblemSpec
from coach.store import MIGRATIONS, Store

UNCLIPPED = REFERENCE.read_text().replace("np.clip(", "(lambda p, low, high: p)(")


@pytest.fixture(scope="module")
def spec() -> ProblemSpec:
    return Bank.load().resolve("logistic")


def played(spec: ProblemSpec, folder: Path, store: Store) -> Session:
    """A 30-minute mock: a hint at 03:20, a passing check at 10:00, a submit at 15:00 of a
    file that logs zero, the follow-ups answered."""
    assert "np.clip(" in REFERENCE.read_text()
    clock = FakeClock()
    session, _ = Session.start(spec, folder, mode="mock", minutes=30, store=store, clock=clock)
    clock.advance(200)
    session.hint()
    clock.advance(400)
    session.path.write_text(UNCLIPPED)
    assert session.check().ok
    clock.advance(300)
    session.submit()
    session.followups(lambda _: "a", lambda _: None)
    return session


def test_the_debrief_tells_the_session(spec: ProblemSpec, tmp_path: Path) -> None:
    with Store() as store:
        session = played(spec, tmp_path, store)
        debrief = build_debrief(store, session.id, spec.title)
    lines = [(round(m.at_s), m.text) for m in debrief.timeline]
    assert (200, "hint 1: step 1 of 3 (−5 points)") in lines
    assert (600, "check 3/3 examples pass — first full pass") in lines
    assert any(at == 900 and text.startswith("submitted: ") for at, text in lines)
    assert [text for _, text in lines if text.startswith("▸")] == [
        "▸ clarify & design",
        "▸ implement",
    ]
    assert debrief.first_check_pass_s == 600
    assert [m.id for m in debrief.mistakes] == ["log-of-zero"]
    assert "Clip probabilities" in debrief.mistakes[0].fix and not debrief.mistakes[0].hinted
    advice = {p.id: p.advice for p in debrief.phases}
    assert any("(log-of-zero)" in a for a in advice["implement"])
    assert any("before asking for a hint" in a for a in advice["clarify"])
    assert "overtime" not in advice
    assert debrief.followups[1] == len(spec.followups) + 1


def test_both_renders_stay_within_80_columns(spec: ProblemSpec, tmp_path: Path) -> None:
    with Store() as store:
        debrief = build_debrief(store, played(spec, tmp_path, store).id, spec.title)
    text = render_markdown(debrief)
    assert text.startswith("# Debrief — Logistic regression, mock interview #")
    assert "## Timeline" in text and "**log-of-zero**" in text
    assert max(len(line) for line in text.splitlines()) <= WIDTH
    out = io.StringIO()
    render_rich(Console(file=out, width=120, color_system=None), debrief)
    drawn = out.getvalue()
    assert "Timeline" in drawn and "hint: Clip probabilities" in drawn
    assert max(len(line.rstrip()) for line in drawn.splitlines()) <= WIDTH


def test_history_from_before_events_is_kept_and_debriefed(coach_home: Path) -> None:
    path = coach_home / "coach.db"
    db = sqlite3.connect(path)
    for step in MIGRATIONS[:2]:  # the schema before session events
        step(db)
    db.execute("PRAGMA user_version = 2")
    db.execute(
        "INSERT INTO sessions (problem, mode, file, minutes, started_at, elapsed_s, status, "
        "hints_used, first_check_pass_s, score, verdict, updated_at) VALUES ('knn', 'practice', "
        "'knn.py', 25, '2025-01-02T10:00:00+00:00', 1200, 'submitted', 2, 610, 100, "
        "'strong hire', '2025-01-02T10:20:00+00:00')"
    )
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.schema_version() == len(MIGRATIONS)
        debrief = build_debrief(store, 1)
    assert not debrief.recorded and debrief.score == 100
    texts = [m.text for m in debrief.timeline]
    assert "check: all visible examples pass" in texts and "submitted: 100 (strong hire)" in texts
    assert "from before coach kept a timeline" in render_markdown(debrief)


def test_history_show_prints_writes_and_refuses(
    spec: ProblemSpec, tmp_path: Path, coach_home: Path
) -> None:
    with Store() as store:
        session_id = played(spec, tmp_path, store).id
    shown = run_coach("history", "--show", str(session_id), cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "Debrief — Logistic regression" in shown.stdout and "log-of-zero" in shown.stdout
    markdown = run_coach("history", "--show", str(session_id), "--format", "markdown")
    assert markdown.returncode == 0 and markdown.stdout.startswith("# Debrief")
    target = tmp_path / "debrief.md"
    written = run_coach("history", "--show", str(session_id), "--output", str(target))
    assert written.returncode == 0 and written.stdout == ""
    assert f"wrote the debrief of session {session_id} to {target}" in written.stderr
    assert target.read_text() == markdown.stdout
    for args, message in [
        (["--show", "999"], "no session 999"),
        (["--format", "markdown"], "go with --show"),
        (["--show", "1", "--format", "rich", "--output", "x.md"], "--output writes Markdown"),
        (["--show", "1", "--output", str(tmp_path / "nowhere" / "x.md")], "no such folder"),
    ]:
        bad = run_coach("history", *args, cwd=tmp_path)
        assert bad.returncode == 2, (args, bad.stderr)
        assert message in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
        assert "Traceback" not in bad.stderr
