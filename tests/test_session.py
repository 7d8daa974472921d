"""Sessions without a terminal: phases, the clock, the starter file, hints, submit, the REPL
driven through prompt-toolkit's pipe input on a fake clock (no waiting on real time)."""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import REFERENCE
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from coach.clock import FakeClock, SessionTimer
from coach.errors import CoachError
from coach.followups import session_questions
from coach.phases import boundaries, budget_lines, clock_text, crossed, phase_at, phases
from coach.repl import Repl, run_repl
from coach.session import (
    HINT_PENALTY,
    Session,
    SessionError,
    backup_path,
    check_mistake,
    parse_choice,
    quiz,
    remaining_text,
    starter_text,
    write_starter,
)
from coach.specs import Bank, ProblemSpec
from coach.store import Store

GRADIENT_ASCENT = REFERENCE.read_text().replace(
    "self.weights = self.weights - self.learning_rate * dw",
    "self.weights = self.weights + self.learning_rate * dw",
)


@pytest.fixture(scope="module")
def spec() -> ProblemSpec:
    return Bank.load().resolve("logistic")


@pytest.fixture
def store() -> Iterator[Store]:
    with Store() as opened:
        yield opened


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def new_session(
    spec: ProblemSpec,
    folder: Path,
    store: Store,
    clock: FakeClock,
    *,
    mode: str = "practice",
    minutes: float | None = None,
) -> Session:
    session, _ = Session.start(spec, folder, mode=mode, minutes=minutes, store=store, clock=clock)
    return session


def drive(
    session: Session,
    clock: FakeClock,
    script: list[tuple[float, str]],
    *,
    ask: Callable[[str], str | None] | None = None,
) -> str:
    """Run the REPL on a pipe: each (seconds, text) is typed when the fake clock gets there."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, color_system=None)
    with create_pipe_input() as pipe:
        for at, text in script:
            clock.at(at, functools.partial(pipe.send_text, text))
        clock.at(100_000, lambda: pipe.send_text("\nquit\n"))  # never hang a test
        status = run_repl(
            session,
            console=console,
            input=pipe,
            output=DummyOutput(),
            watch=False,
            ask=ask,
        )
    assert status == 0
    return buffer.getvalue()


def toolbar_text(repl: Repl) -> str:
    return "".join(fragment[1] for fragment in repl.toolbar())


# ---------------------------------------------------------------------------------- phases


def test_phases_follow_the_interview_budget() -> None:
    # 35 minutes: 5 to clarify and design, 22.5 to implement, 7.5 to test
    assert boundaries(35) == pytest.approx([300.0, 1650.0, 2100.0])
    # scaled to the problem's minutes
    assert boundaries(30) == pytest.approx([30 * 60 * 5 / 35, 30 * 60 * 27.5 / 35, 1800.0])
    assert [p.id for p in phases(30)] == ["clarify", "implement", "test", "overtime"]
    assert phase_at(0, 30).id == "clarify"
    assert phase_at(300, 30).id == "implement"
    assert phase_at(1500, 30).id == "test"
    assert phase_at(1800, 30).id == "overtime"
    assert phase_at(1e6, 30).id == "overtime"
    assert [p.id for p in crossed(200, 1500, 30)] == ["implement", "test"]
    assert crossed(300, 301, 30) == []
    assert phase_at(10, 30, mock=True).nudge == phase_at(10, 30).nudge
    assert phase_at(1800, 30, mock=True).nudge != phase_at(1800, 30).nudge
    assert budget_lines(35)[0] == "clarify & design 00:00–05:00"
    assert clock_text(3725) == "1:02:05"


def test_countdown_text_rounds_up_and_shows_overtime() -> None:
    assert remaining_text(1799.2) == "30:00"
    assert remaining_text(0.5) == "00:01"
    assert remaining_text(0) == "+00:00"
    assert remaining_text(-61.5) == "+01:01"


def test_session_timer_does_not_count_time_away(clock: FakeClock) -> None:
    timer = SessionTimer(clock, elapsed_s=100)
    clock.advance(30)
    assert timer.elapsed() == 130
    timer.pause()
    clock.advance(3600)
    assert timer.elapsed() == 130
    timer.resume()
    clock.advance(5)
    assert timer.elapsed() == 135


# ---------------------------------------------------------------------------------- starter


def test_starter_is_named_after_the_problem_and_marked(
    spec: ProblemSpec, store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    session = new_session(spec, tmp_path, store, clock)
    assert session.path == tmp_path / "logistic_regression.py"
    text = session.path.read_text()
    assert text.splitlines()[0] == "# coach: logistic_regression"
    assert text == starter_text(spec)
    row = store.session(session.id)
    assert (row.mode, row.minutes, row.status) == ("practice", spec.minutes, "active")


def test_an_existing_file_is_never_overwritten(
    spec: ProblemSpec, store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    mine = tmp_path / "logistic_regression.py"
    mine.write_text("# my work\n")
    session, starter = Session.start(spec, tmp_path, store=store, clock=clock)
    assert not starter.created and starter.backup is None
    assert mine.read_text() == "# my work\n"
    assert session.path == mine
    assert list(tmp_path.iterdir()) == [mine]


def test_fresh_keeps_the_old_file_as_a_timestamped_backup(
    spec: ProblemSpec, tmp_path: Path
) -> None:
    mine = tmp_path / "logistic_regression.py"
    mine.write_text("# attempt 1\n")
    first = write_starter(spec, mine, fresh=True)
    mine.write_text("# attempt 2\n")
    second = write_starter(spec, mine, fresh=True)  # the same second: still a new name
    assert first.created and second.created
    assert first.backup is not None and second.backup is not None
    for backup in (first.backup, second.backup):
        assert re.fullmatch(r"logistic_regression\.\d{8}-\d{6}(-\d+)?\.bak\.py", backup.name)
        assert backup.parent == tmp_path
    assert first.backup.read_text() == "# attempt 1\n"
    assert second.backup.read_text() == "# attempt 2\n"
    assert mine.read_text() == starter_text(spec)
    assert backup_path(mine) not in (first.backup, second.backup)


# ---------------------------------------------------------------------------------- hints


def test_hints_graduate_then_follow_the_mistakes_found(
    spec: ProblemSpec, store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    from coach.catalogue import MISTAKES

    session = new_session(spec, tmp_path, store, clock)
    first = session.hint()
    assert (first.kind, first.step, first.number) == ("graduated", 1, 1)
    assert first.text == spec.hints[0].strip()

    # the untouched starter fails its check with NotImplementedError: no mistake to explain
    outcome = session.check()
    assert not outcome.ok and outcome.summary == "0/3"
    assert session.last_result == "check 0/3"
    second = session.hint()
    assert (second.kind, second.step) == ("graduated", 2)

    session.path.write_text(GRADIENT_ASCENT)
    report = session.grade()
    assert "gradient-sign" in report.mistakes
    targeted = session.hint()
    assert targeted.kind == "mistake" and targeted.mistake == report.mistakes[0]
    assert MISTAKES[targeted.mistake].fix in targeted.text
    seen = {targeted.mistake}
    while True:  # each mistake once, then back to the graduated hints
        nxt = session.hint()
        if nxt.kind != "mistake":
            break
        assert nxt.mistake is not None and nxt.mistake not in seen
        seen.add(nxt.mistake)
    assert seen == set(report.mistakes)
    assert (nxt.kind, nxt.step) == ("graduated", 3)
    last = session.hint()
    assert last.kind == "none"
    assert session.hints_used == 3 + len(seen)
    assert store.session(session.id).hints_used == session.hints_used
    assert store.session(session.id).hint_penalty == 0  # practice: hints are free


def test_check_failures_name_a_likely_mistake() -> None:
    assert check_mistake("step 2: NotImplementedError:  at line 21: raise") is None
    assert check_mistake("step 4: loss gave inf, expected finite numbers") == "log-of-zero"
    assert check_mistake("step 3: predict_proba gave shape (4, 4), expected (4,)") == "wrong-axis"
    assert check_mistake("step 3: predict gave [1, 0], expected [0, 1]") == "wrong-solution"
    assert check_mistake("step 2: ZeroDivisionError: division by zero at line 9") == "crash"


def test_hint_state_survives_a_resume(
    spec: ProblemSpec, store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    session = new_session(spec, tmp_path, store, clock)
    session.hint()
    session.hint()
    session.pause()
    again = Session.resume(store.session(session.id), spec, store=store, clock=FakeClock())
    assert again.hints_used == 2
    assert again.hint().step == 3


# ---------------------------------------------------------------------------------- mock


def test_mock_has_no_grade_and_each_hint_costs_points(
    spec: ProblemSpec, store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    session = new_session(spec, tmp_path, store, clock, mode="mock")
    assert session.minutes == 45
    with pytest.raises(SessionError, match="no grade in a mock"):
        session.grade()
    assert session.hint().penalty == HINT_PENALTY
    session.hint()
    assert store.session(session.id).hint_penalty == 2 * HINT_PENALTY
    session.path.write_text(REFERENCE.read_text())
    outcome = session.submit()
    assert outcome.raw_score == 100
    assert outcome.report.score == 100 - 2 * HINT_PENALTY
    assert outcome.report.verdict == "strong hire"
    row = store.session(session.id)
    assert (row.status, row.score, row.hints_used) == ("submitted", 90, 2)
    assert store.best_scores() == {"logistic_regression": 90}
    with pytest.raises(SessionError, match="submitted"):
        session.check()


def test_followups_are_scored_explained_and_recorded(
    spec: ProblemSpec, store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    session = new_session(spec, tmp_path, store, clock, mode="mock")
    questions = session_questions(spec, session.id, None, session.path.read_text())
    assert len(questions) == len(spec.followups) + 1 and questions[-1].own
    letters = "abcd"
    answers = iter(["z", letters[questions[0].answer], "", "2", "1", "3", "4"])
    said: list[str] = []
    result = session.followups(lambda _: next(answers), said.append)
    assert result.total == len(questions)
    assert result.answers[0].correct
    assert result.answers[1].chosen is None and not result.answers[1].correct
    text = "\n".join(said)
    assert "'z' is not one of a, b, c, d" in text
    assert spec.followups[1].explanation.strip()[:40] in text
    assert f"{len(questions)}/{len(questions)}. About your file: " in text
    stored = store.followups(session.id)
    assert len(stored) == len(questions)
    assert stored[0] == (questions[0].question, questions[0].choices[questions[0].answer], True)
    assert f"Follow-ups: {result.correct}/{result.total} correct." in text


def test_parse_choice() -> None:
    assert parse_choice("b", 4) == 1
    assert parse_choice(" C) ", 4) == 2
    assert parse_choice("4", 4) == 3
    assert parse_choice("e", 4) is None
    assert parse_choice("0", 4) is None


def test_quiz_stops_when_input_ends(spec: ProblemSpec) -> None:
    result = quiz(session_questions(spec, 1, None, ""), lambda _: None, lambda _: None)
    assert result.total == 1 and result.correct == 0


# ---------------------------------------------------------------------------------- the REPL


def test_repl_nudges_at_each_phase_boundary(
    spec: ProblemSpec, store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    session = new_session(spec, tmp_path, store, clock, minutes=7)  # 60 s, 270 s, 90 s
    out = drive(session, clock, [(430, "quit\n")])
    nudges = [line for line in out.splitlines() if line.startswith("▸")]
    assert [n.split(" — ")[0] for n in nudges] == [
        "▸ 00:00 clarify & design",
        "▸ 01:00 implement",
        "▸ 05:30 test & edge cases",
        "▸ 07:00 time is up",
    ]
    assert "strong candidate submits now" in nudges[-1]
    assert "Saved:" in out and "coach resume" in out
    row = store.session(session.id)
    assert row.status == "paused" and 430 <= row.elapsed_s < 450
    assert row.phase == "overtime"


def test_practice_goes_on_in_overtime(
    spec: ProblemSpec, store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    session = new_session(spec, tmp_path, store, clock, minutes=1)
    seen: list[str] = []

    def look() -> None:
        seen.append(toolbar_text(Repl(session, console=Console())))

    clock.at(30, look)
    clock.at(95, look)
    out = drive(session, clock, [(90, "time\n"), (120, "hint\nquit\n")])
    assert "00:30 left" in seen[0] and "clarify" not in seen[0]
    assert "overtime +00:35" in seen[1]
    assert re.search(r"01:3\d used of 01:00: overtime \+00:3\d", out)
    assert "Hint 1" in out  # commands still work in overtime
    assert store.session(session.id).status == "paused"


def test_mock_submits_itself_at_zero_then_asks_the_followups(
    spec: ProblemSpec, store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    session = new_session(spec, tmp_path, store, clock, mode="mock", minutes=0.5)
    session.path.write_text(REFERENCE.read_text())
    questions: list[str] = []

    def ask(prompt: str) -> str:
        questions.append(prompt)
        return "a"

    out = drive(session, clock, [(10, "grade\nhint\n")], ask=ask)
    assert "No grade in a mock interview" in out
    assert "−5 points in this mock" in out
    assert "your mock interview is submitted as it stands" in out
    assert "Hints: 1 used, −5 points: 100 → 95 (strong hire)" in out
    assert len(questions) == len(spec.followups) + 1  # and one on the candidate's file
    assert "Follow-ups:" in out
    row = store.session(session.id)
    assert row.status == "submitted" and row.score == 95
    assert 30 <= row.elapsed_s < 32
    assert len(store.followups(session.id)) == len(spec.followups) + 1
    assert store.best_and_last()["logistic_regression"] == (95, 95)


def test_repl_commands_through_the_pipe(
    spec: ProblemSpec, store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    session = new_session(spec, tmp_path, store, clock)
    out = drive(
        session,
        clock,
        [(5, "help\nhint\ncheck\nchek\nstatement\nedit\n"), (60, "grade\nsubmit\n")],
    )
    assert "Commands:" in out and "grade" in out
    assert "Hint 1 — step 1 of 3" in out
    assert "0/3 examples pass" in out
    assert "unknown command `chek` (did you mean `check`?)" in out
    assert "Required interface" in out
    assert f"Open {session.path} in your editor" in out or "could not run" in out
    assert "Probes" in out  # the grade and the submit reports
    assert "coach solution logistic_regression" in out
    row = store.session(session.id)
    assert row.status == "submitted" and row.score is not None
    assert row.hints_used == 1


def test_watch_runs_check_when_the_file_changes(
    spec: ProblemSpec, store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    session = new_session(spec, tmp_path, store, clock)
    buffer = io.StringIO()
    repl = Repl(session, console=Console(file=buffer, width=200, color_system=None))
    repl._on_file_saved()  # nothing changed since the starter was written
    assert buffer.getvalue() == ""
    session.path.write_text(REFERENCE.read_text())
    repl._on_file_saved()
    assert "saved → check 3/3 examples pass" in buffer.getvalue()
    assert session.last_result == "check 3/3" and session.last_ok
    assert session.first_check_pass_s is not None
    assert "check 3/3 ✓" in toolbar_text(repl)


def test_resume_continues_with_the_saved_time(
    spec: ProblemSpec, store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    session = new_session(spec, tmp_path, store, clock, minutes=10)
    drive(session, clock, [(125, "quit\n")])
    saved = store.session(session.id)
    assert store.last_unfinished() == saved
    later = FakeClock(start=50_000.0)  # hours later: time away does not count
    again = Session.resume(saved, spec, store=store, clock=later)
    assert again.elapsed() == pytest.approx(saved.elapsed_s)
    out = drive(again, later, [(30, "time\nquit\n")])
    assert re.search(r"0[2-3]:\d\d used of 10:00", out)
    assert store.session(session.id).elapsed_s == pytest.approx(saved.elapsed_s + 40, abs=10)


def test_minutes_must_be_positive(spec: ProblemSpec, store: Store, tmp_path: Path) -> None:
    from coach.session_commands import start

    with pytest.raises(CoachError, match="--minutes"):
        start("logistic", tmp_path, minutes=0, watch=False)
    with pytest.raises(CoachError, match="unknown problem"):
        start("logistik-regresion-xyz", tmp_path, minutes=1, watch=False)


# ---------------------------------------------------------------------------------- solution


def test_solution_notes_name_the_mistakes_avoided() -> None:
    from coach.catalogue import MISTAKES
    from coach.solution_view import annotated_source, avoided

    source = REFERENCE.read_text()
    found = avoided(source, set(MISTAKES))
    for mistake in ("log-of-zero", "exp-overflow", "regularized-bias", "gradient-sign"):
        assert mistake in found
    lines = source.splitlines()
    assert "np.clip" in lines[found["log-of-zero"][-1] - 1]
    text = annotated_source(source)
    assert "# ✓ log-of-zero" in text
    assert all(len(line) <= 100 for line in text.splitlines() if "# ✓" in line)
    # the code itself is unchanged: dropping the notes gives the source back
    stripped = [
        re.sub(r"\s+# ✓ .*$", "", line)
        for line in text.splitlines()
        if not line.strip().startswith("# ✓")
    ]
    assert stripped == lines


def test_solution_opens_after_a_submit_or_with_force(
    spec: ProblemSpec,
    store: Store,
    clock: FakeClock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from coach.session_commands import show_solution

    with pytest.raises(CoachError, match="after you submit"):
        show_solution("logistic")
    assert show_solution("logistic", force=True) == 0
    assert "Mistakes this solution avoids" in capsys.readouterr().out
    session = new_session(spec, tmp_path, store, clock)
    session.submit()
    assert show_solution("logreg") == 0
    assert "EPS = 1e-15" in capsys.readouterr().out


def test_time_up_is_announced_once(
    spec: ProblemSpec, store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    session = new_session(spec, tmp_path, store, clock, mode="mock", minutes=0.2)
    out = drive(session, clock, [], ask=lambda _: None)
    assert out.count("submitted as it stands") == 1
    assert store.session(session.id).status == "submitted"


def test_a_mock_whose_time_ran_out_submits_on_resume(
    spec: ProblemSpec, store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    session = new_session(spec, tmp_path, store, clock, mode="mock", minutes=1)
    clock.advance(75)
    session.save()  # as if killed in overtime: the row is still active
    row = store.last_unfinished()
    assert row is not None and row.id == session.id
    again = Session.resume(row, spec, store=store, clock=FakeClock())
    out = drive(again, clock, [], ask=lambda _: None)
    assert "submitted as it stands" in out
    assert store.session(session.id).status == "submitted"
    assert store.last_unfinished() is None


def test_a_mock_never_touches_practice_work(
    spec: ProblemSpec, store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    practice = tmp_path / "logistic_regression.py"
    practice.write_text("# my practice\n")
    earlier = tmp_path / "logistic_regression_mock.py"
    earlier.write_text("# an earlier mock\n")
    session, starter = Session.start(spec, tmp_path, mode="mock", fresh=True, store=store)
    assert session.path == earlier and starter.created
    assert earlier.read_text() == starter_text(spec)
    assert starter.backup is not None and starter.backup.read_text() == "# an earlier mock\n"
    assert practice.read_text() == "# my practice\n"


def test_edit_opens_the_editor_then_checks(
    spec: ProblemSpec,
    store: Store,
    clock: FakeClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session = new_session(spec, tmp_path, store, clock)
    # an "editor" that replaces the file with the reference solution
    monkeypatch.setenv("VISUAL", f"sh -c 'cp {REFERENCE} \"$1\"' editor")
    out = drive(session, clock, [(5, "edit\nquit\n")])
    assert session.path.read_text() == REFERENCE.read_text()
    assert "3/3 examples pass" in out
    assert store.session(session.id).first_check_pass_s is not None


def test_hint_state_of_an_older_database_is_not_taken_over(
    spec: ProblemSpec, store: Store, clock: FakeClock, tmp_path: Path, coach_home: Path
) -> None:
    session = new_session(spec, tmp_path, store, clock)
    session.hint()
    session.hint()
    store.close()
    (coach_home / "coach.db").rename(coach_home / "old.db")
    with Store() as fresh_store:  # a new database numbers its sessions from 1 again
        other = tmp_path / "other"
        other.mkdir()
        again = new_session(spec, other, fresh_store, FakeClock())
        assert again.id == session.id
        assert again.hint().step == 1
