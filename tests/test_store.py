"""The history database: schema and migrations, attempts, statistics, errors, and its views."""

from __future__ import annotations

import io
import os
import random
import sqlite3
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT, run_coach
from rich.console import Console

from coach import store as store_module
from coach.errors import CoachError
from coach.history_view import EMPTY_HISTORY, bar, render_history, render_stats, sparkline
from coach.results import GradeReport, ProbeResult, Status, verdict_for
from coach.store import MIGRATIONS, SCHEMA_VERSION, SessionRow, Store, home_dir

FREQUENCY = {"logistic_regression": 1, "kmeans": 2, "knn": 3, "pca": 4}


def report(problem: str, score: float, mistakes: dict[str, str] | None = None) -> GradeReport:
    """A hand-built report: one passing probe and one failing probe per cited mistake."""
    mistakes = mistakes or {}
    probes = [ProbeResult("overfit_tiny", Status.PASS, score, score)]
    for probe_id, mistake in mistakes.items():
        probes.append(
            ProbeResult(probe_id, Status.FAIL, 0, 10, mistake=mistake, message=f"{mistake} seen")
        )
    return GradeReport(
        problem=problem,
        file=f"/tmp/{problem}.py",
        score=score,
        verdict=verdict_for(score),
        duration_s=0.5,
        probes=probes,
        mistakes=sorted(set(mistakes.values())),
    )


def columns(path: Path, table: str) -> list[str]:
    with sqlite3.connect(path) as db:
        return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def console() -> Console:
    return Console(width=120, file=io.StringIO(), color_system=None)


def output(con: Console) -> str:
    file = con.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


# ---------------------------------------------------------------------------------------------
# schema


def test_home_dir_follows_coach_home(coach_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert home_dir() == coach_home
    nested = coach_home / "a" / "b"
    monkeypatch.setenv("COACH_HOME", str(nested))
    assert home_dir() == nested and nested.is_dir()
    with Store() as db:
        assert db.path == nested / "coach.db"
    assert (nested / "coach.db").exists()


def test_a_version_1_database_is_upgraded_keeping_its_sessions(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "coach.db"
    old = sqlite3.connect(path)
    MIGRATIONS[0](old)
    old.execute(
        "INSERT INTO sessions (problem, mode, file, minutes, started_at, elapsed_s, status, "
        "phase, hints_used, hint_penalty, updated_at) VALUES ('kmeans', 'practice', 'k.py', "
        "30, '2026-01-01T00:00:00+00:00', 61.5, 'paused', 'coding', 1, 0, "
        "'2026-01-01T00:01:00+00:00')"
    )
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()
    with Store(path) as db:
        assert db.schema_version() == SCHEMA_VERSION
        row = db.last_unfinished()
        assert row is not None and row.elapsed_s == 61.5 and row.state == "{}"


def test_fresh_database_has_every_table_and_version(tmp_path: Path) -> None:
    path = tmp_path / "coach.db"
    with Store(path) as db:
        assert db.schema_version() == SCHEMA_VERSION == len(MIGRATIONS) >= 1
        mode = db.db.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
        assert db.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert columns(path, "sessions") == [
        "id",
        "problem",
        "mode",
        "file",
        "minutes",
        "started_at",
        "elapsed_s",
        "status",
        "phase",
        "hints_used",
        "hint_penalty",
        "first_check_pass_s",
        "score",
        "verdict",
        "updated_at",
        "state",
    ]
    assert columns(path, "attempts") == [
        "id",
        "session_id",
        "problem",
        "file",
        "kind",
        "score",
        "verdict",
        "created_at",
        "duration_s",
        "report_json",
        "content_hash",
    ]
    assert set(columns(path, "probe_results")) >= {
        "attempt_id",
        "probe",
        "status",
        "points",
        "max_points",
        "mistake",
        "message",
    }
    assert set(columns(path, "followup_answers")) >= {
        "session_id",
        "question",
        "chosen",
        "correct",
    }
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_reopening_does_not_rerun_migrations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "coach.db"
    with Store(path) as db:
        db.start_session("kmeans", "practice", "km.py", 30)
    calls: list[str] = []

    def spy(conn: sqlite3.Connection) -> None:
        calls.append("ran")

    monkeypatch.setattr(store_module, "MIGRATIONS", [spy] * SCHEMA_VERSION)
    with Store(path) as db:
        assert db.schema_version() == SCHEMA_VERSION
        assert len(db.sessions()) == 1
    assert calls == []


def test_a_new_migration_runs_once_on_an_old_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "coach.db"
    Store(path).close()

    def m_extra(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE sessions ADD COLUMN note TEXT")

    monkeypatch.setattr(store_module, "MIGRATIONS", [*MIGRATIONS, m_extra])
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with Store(path) as db:
        assert db.schema_version() == SCHEMA_VERSION + 1
    Store(path).close()  # a second open would fail on a duplicate column if it re-ran
    assert "note" in columns(path, "sessions")


def test_a_database_from_a_newer_coach_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "coach.db"
    Store(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    with pytest.raises(CoachError, match="newer coach"):
        Store(path)


# ---------------------------------------------------------------------------------------------
# sessions and attempts


def test_sessions_are_newest_first_and_last_unfinished(tmp_path: Path) -> None:
    with Store(tmp_path / "coach.db") as db:
        first = db.start_session("logistic_regression", "practice", "lr.py", 30)
        second = db.start_session("kmeans", "mock", "km.py", 45)
        third = db.start_session("knn", "practice", "knn.py", 25)
        db.save_session(third, status="submitted", score=80.0, verdict="hire", elapsed_s=600.0)
        db.save_session(first, status="paused", elapsed_s=125.5, hints_used=2, phase="coding")
        assert [s.id for s in db.sessions()] == [third, second, first]
        assert [s.id for s in db.sessions(limit=2)] == [third, second]

        resumable = db.last_unfinished()
        assert resumable is not None and resumable.id == first  # touched most recently
        assert resumable.status == "paused" and resumable.hints_used == 2
        assert resumable.remaining_s == pytest.approx(30 * 60 - 125.5)

        db.save_session(first, status="abandoned")
        resumable = db.last_unfinished()
        assert resumable is not None and resumable.id == second
        db.save_session(second, status="submitted")
        assert db.last_unfinished() is None

        row = db.session(third)
        assert isinstance(row, SessionRow)
        assert (row.score, row.verdict, row.mode, row.minutes) == (80.0, "hire", "practice", 25)
        assert row.first_check_pass_s is None

        with pytest.raises(ValueError, match="unknown session fields"):
            db.save_session(first, problem="pca")
        with pytest.raises(CoachError, match="no session"):
            db.session(999)


def test_attempts_give_best_last_and_mistake_counts(tmp_path: Path) -> None:
    with Store(tmp_path / "coach.db") as db:
        session = db.start_session("kmeans", "practice", "km.py", 30)
        first = db.record_attempt(
            report(
                "kmeans", 55, {"empty_cluster": "empty-cluster", "input_mutation": "input-mutation"}
            ),
            session_id=session,
        )
        db.record_attempt(report("kmeans", 85, {"empty_cluster": "empty-cluster"}))
        db.record_attempt(report("kmeans", 70, {"empty_cluster": "empty-cluster"}), kind="submit")
        db.record_attempt(report("knn", 95))
        db.record_attempt(report("knn", 0, {"x": "crash"}), kind="check")  # checks do not count

        assert db.best_and_last() == {"kmeans": (85, 70), "knn": (95, 95)}
        assert db.best_scores() == {"kmeans": 85, "knn": 95}
        assert db.mistake_counts() == [("empty-cluster", 3), ("input-mutation", 1)]
        assert db.mistake_counts(limit=1) == [("empty-cluster", 3)]
        assert [score for _, score in db.score_trend()] == [55, 85, 70, 95]
        assert [score for _, score in db.score_trend(limit=2)] == [70, 95]

        stored = db.attempt_report(first)
        assert stored["schema"] == "coach.grade/1" and stored["score"] == 55
        rows = db.db.execute(
            "SELECT probe, status, points, max_points, mistake, message FROM probe_results "
            "WHERE attempt_id = ? ORDER BY id",
            (first,),
        ).fetchall()
        assert [tuple(r) for r in rows] == [
            ("overfit_tiny", "pass", 55, 55, None, ""),
            ("empty_cluster", "fail", 0, 10, "empty-cluster", "empty-cluster seen"),
            ("input_mutation", "fail", 0, 10, "input-mutation", "input-mutation seen"),
        ]
        session_of = db.db.execute("SELECT session_id FROM attempts WHERE id = ?", (first,))
        assert session_of.fetchone()[0] == session


def test_followup_answers_are_kept(tmp_path: Path) -> None:
    with Store(tmp_path / "coach.db") as db:
        session = db.start_session("pca", "mock", "pca.py", 45)
        db.record_followup(session, "Why centre the data?", "b", True)
        db.record_followup(session, "What does ddof=1 change?", "a", False)
        assert db.followups(session) == [
            ("Why centre the data?", "b", True),
            ("What does ddof=1 change?", "a", False),
        ]


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    with Store(tmp_path / "coach.db") as db:
        broken = report("kmeans", 50, {"p": "empty-cluster"})
        broken.probes.append(ProbeResult(None, Status.FAIL, 0, 10))  # type: ignore[arg-type]
        with pytest.raises(CoachError):
            db.record_attempt(broken)  # probe id NOT NULL: the whole attempt rolls back
        assert db.best_and_last() == {}
        assert db.db.execute("SELECT COUNT(*) FROM probe_results").fetchone()[0] == 0


# ---------------------------------------------------------------------------------------------
# what to practise next


def test_suggest_next_names_the_most_cited_mistake(tmp_path: Path) -> None:
    with Store(tmp_path / "coach.db") as db:
        assert db.suggest_next({}) is None
        assert db.suggest_next(FREQUENCY) == (
            "logistic_regression",
            "not tried yet: most asked in interviews",
        )
        db.record_attempt(report("kmeans", 60, {"empty_cluster": "empty-cluster"}))
        db.record_attempt(
            report("kmeans", 75, {"empty_cluster": "empty-cluster", "ddof": "variance-ddof"})
        )
        db.record_attempt(report("logistic_regression", 80, {"log_zero": "log-of-zero"}))
        problem, reason = db.suggest_next(FREQUENCY) or ("", "")
        assert problem == "kmeans"
        assert "empty-cluster" in reason and "twice" in reason

        # fixed in the latest attempt: no longer pushed; the next most asked untried one is
        db.record_attempt(report("kmeans", 95))
        problem, reason = db.suggest_next(FREQUENCY) or ("", "")
        assert problem == "knn" and reason.startswith("not tried yet")

        # a weak score comes before untried problems
        db.record_attempt(report("pca", 30, {"uncentered": "uncentered-pca"}))
        assert db.suggest_next(FREQUENCY) == ("pca", "best score so far 30")


def test_pick_mock_problem_prefers_weak_and_untried_problems(tmp_path: Path) -> None:
    frequency = {"logistic_regression": 1, "kmeans": 2, "knn": 3, "pca": 4}
    with Store(tmp_path / "coach.db") as db:
        for _ in range(3):
            db.record_attempt(report("logistic_regression", 100))
        for _ in range(2):
            db.record_attempt(
                report("kmeans", 35, {"empty_cluster": "empty-cluster", "p": "input-mutation"})
            )
        db.record_attempt(report("knn", 100))
        # pca never tried

        rng = random.Random(1234)
        draws = Counter(db.pick_mock_problem(frequency, rng) for _ in range(4000))
        assert set(draws) == set(frequency)
        # weak beats strong, even against the most asked problem
        assert draws["kmeans"] > 1.5 * draws["logistic_regression"]
        # untried beats strong at a similar frequency
        assert draws["pca"] > 1.3 * draws["knn"]
        # the same seed gives the same draws
        rng = random.Random(1234)
        assert Counter(db.pick_mock_problem(frequency, rng) for _ in range(4000)) == draws

    with Store(tmp_path / "empty.db") as db:
        rng = random.Random(99)
        fresh = Counter(db.pick_mock_problem(frequency, rng) for _ in range(4000))
        # nothing tried: interview frequency decides
        ordered = [p for p, _ in fresh.most_common()]
        assert ordered == ["logistic_regression", "kmeans", "knn", "pca"]
        with pytest.raises(CoachError):
            db.pick_mock_problem({}, rng)


# ---------------------------------------------------------------------------------------------
# a broken database


def test_a_corrupt_database_is_a_clear_error_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "coach.db"
    garbage = b"this is not sqlite at all \x00\xff" * 100
    path.write_bytes(garbage)
    solution = tmp_path / "kmeans.py"
    solution.write_text("class KMeans: ...\n")
    with pytest.raises(CoachError) as caught:
        Store(path)
    message = str(caught.value)
    assert str(path) in message and "corrupt" in message and "move it aside" in message
    assert "\n" not in message
    assert path.read_bytes() == garbage
    assert solution.read_text() == "class KMeans: ...\n"


def test_a_locked_database_is_a_clear_error_quickly(tmp_path: Path) -> None:
    path = tmp_path / "coach.db"
    db = Store(path, busy_timeout_ms=100)
    holder = sqlite3.connect(path, isolation_level=None, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        with pytest.raises(CoachError) as caught:
            db.start_session("kmeans", "practice", "km.py", 30)
        assert time.monotonic() - started < 1.5
        message = str(caught.value)
        assert str(path) in message and "locked" in message
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert db.start_session("kmeans", "practice", "km.py", 30) >= 1  # usable once released
    db.close()


# ---------------------------------------------------------------------------------------------
# views


def test_empty_history_is_friendly(tmp_path: Path) -> None:
    with Store(tmp_path / "coach.db") as db:
        con = console()
        render_history(con, db.sessions())
        render_stats(con, db, FREQUENCY)
        assert output(con).count(EMPTY_HISTORY) == 2


def test_render_history_shows_each_session(tmp_path: Path) -> None:
    with Store(tmp_path / "coach.db") as db:
        done = db.start_session("kmeans", "mock", "km.py", 45)
        db.save_session(
            done,
            status="submitted",
            score=82.5,
            verdict="hire",
            elapsed_s=754,
            hints_used=1,
            hint_penalty=5,
            first_check_pass_s=312,
        )
        db.start_session("logistic_regression", "practice", "lr.py", 30)
        con = console()
        render_history(con, db.sessions())
    text = output(con)
    for expected in ("kmeans", "82.5", "hire", "12:34", "of 45:00", "05:12", "mock", "active"):
        assert expected in text
    assert "—" in text  # no first check pass yet in the second session
    assert text.index("logistic_regression") < text.index("kmeans")  # newest first


def test_render_stats_shows_scores_bars_trend_and_next(tmp_path: Path) -> None:
    with Store(tmp_path / "coach.db") as db:
        db.record_attempt(report("kmeans", 40, {"empty_cluster": "empty-cluster"}))
        db.record_attempt(report("kmeans", 65, {"empty_cluster": "empty-cluster"}))
        db.record_attempt(report("logistic_regression", 100))
        con = console()
        render_stats(con, db, FREQUENCY)
    text = output(con)
    assert "kmeans" in text and "65" in text and "40" in text
    assert "empty-cluster" in text and "██" in text
    assert sparkline([40, 65, 100]) in text
    assert "Next: kmeans — empty-cluster cited twice" in text


def test_sparkline_uses_an_absolute_scale() -> None:
    assert sparkline([0, 50, 100]) == "▁▅█"
    assert sparkline([]) == ""


def seed_history(db: Store) -> None:
    """Scores on three problems ending in different verdicts, and mistakes cited often."""
    for score in (20, 35, 50, 65):
        db.record_attempt(
            report("kmeans", score, {"empty": "empty-cluster", "vanish": "vanishing-gradients"})
        )
    for score in (45, 70, 88, 100):
        db.record_attempt(
            report("logistic_regression", score, {"log": "log-of-zero"} if score < 90 else {})
        )
    db.record_attempt(report("knn", 42, {"axis": "wrong-axis"}))


def assert_whole(text: str, width: int) -> None:
    """No line wider than `width`, nothing cut off with an ellipsis, headers and verdicts whole."""
    lines = text.splitlines()
    assert lines and all(len(line.rstrip()) <= width for line in lines), text
    assert "…" not in text, text
    for whole in ("Scores per problem", "Most cited mistakes", "Score trend", "Next:"):
        assert any(whole in line for line in lines), (whole, text)
    for verdict in ("strong hire", "lean hire", "lean no hire"):
        assert any(verdict in line for line in lines), (verdict, text)
    assert any("`coach start kmeans`." in line for line in lines), text
    assert "vanishing-gradients" in text and "▂▃▅▆" in text and "▄▆▇█" in text


@pytest.mark.parametrize("width", [80, 60])
def test_render_stats_keeps_to_the_width_with_trends_and_bars(tmp_path: Path, width: int) -> None:
    with Store(tmp_path / "coach.db") as db:
        seed_history(db)
        con = Console(width=width, file=io.StringIO(), color_system=None)
        render_stats(con, db, FREQUENCY)
    text = output(con)
    assert_whole(text, width)
    assert bar(4, 4) in text
    if width == 80:  # a table with a header, one row per problem
        header = next(line for line in text.splitlines() if line.startswith("problem "))
        for column in ("best", "last", "verdict", "trend"):
            assert column in header
        assert any(line.startswith("kmeans") and "lean hire" in line for line in text.splitlines())
    else:  # stacked: the problem on its own line, its figures indented below
        lines = text.splitlines()
        at = lines.index("kmeans")
        assert lines[at + 1].startswith("  best 65  last 65  lean hire  ▂▃▅▆")


def test_problem_trends_keep_the_last_scores_per_problem(tmp_path: Path) -> None:
    with Store(tmp_path / "coach.db") as db:
        for score in range(0, 120, 10):
            db.record_attempt(report("kmeans", min(score, 100)))
        db.record_attempt(report("knn", 42))
        assert db.problem_trends(3) == {"kmeans": [90.0, 100.0, 100.0], "knn": [42.0]}


@pytest.mark.slow
@pytest.mark.parametrize("width", [80, 60])
def test_coach_stats_keeps_to_columns(coach_home: Path, width: int) -> None:
    with Store(coach_home / "coach.db") as db:
        seed_history(db)
    env = {**os.environ, "COLUMNS": str(width), "LINES": "40", "NO_COLOR": "1"}
    done = run_coach("stats", "--all", env=env)  # the seeded grades are outside sessions
    assert done.returncode == 0, done.stderr
    assert_whole(done.stdout, width)
    apart = run_coach("stats", env=env)
    assert "Outside sessions" in apart.stdout
    assert all(len(line) <= width for line in apart.stdout.splitlines())


def test_grading_one_file_again_outside_a_session_counts_once(tmp_path: Path) -> None:
    graded = tmp_path / "knn.py"
    graded.write_text("# coach: knn\n")
    again = report("knn", 80, {"axis": "wrong-axis"})
    again.file = str(graded)
    with Store(tmp_path / "coach.db") as db:
        first = db.record_attempt(again)
        assert db.record_attempt(again) == first  # e.g. the same file in another format
        graded.write_text("# coach: knn\n# changed\n")
        assert db.record_attempt(again) != first  # a changed file is a new attempt
        session = db.start_session("knn", "practice", graded, 30)
        db.record_attempt(again, session_id=session)
        db.record_attempt(again, session_id=session)  # in a session every grade counts
        assert db.adhoc_count() == (2, 1)
        assert db.mistake_counts() == [("wrong-axis", 4)]
        db.adhoc = False  # as `coach stats` counts by default: what `coach history` lists
        assert db.mistake_counts() == [("wrong-axis", 2)]
        assert db.best_and_last() == {"knn": (80, 80)}


def test_stats_shows_ad_hoc_grades_apart_and_counts_them_with_all(tmp_path: Path) -> None:
    mine = tmp_path / "knn.py"
    mine.write_text((ROOT / "reference_solutions" / "knn.py").read_text())
    for fmt in ("json", "csv"):  # one file graded twice: one attempt
        assert run_coach("grade", str(mine), "--format", fmt).returncode == 0
    apart = run_coach("stats", env={**os.environ, "COLUMNS": "80"})
    assert "Outside sessions: 1 file on 1 problem" in apart.stdout
    assert "knn " not in apart.stdout  # not counted in the table
    counted = run_coach("stats", "--all", env={**os.environ, "COLUMNS": "80"})
    assert "Outside sessions" not in counted.stdout
    assert "knn " in counted.stdout and "over 2 graded" not in counted.stdout
