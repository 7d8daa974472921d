"""The history database: sessions, graded attempts with their probe results, follow-up answers.

SQLite under `$COACH_HOME` (default: the platform's user data folder), in WAL mode, with a
schema versioned by `PRAGMA user_version` and migrated forward by the functions in
`MIGRATIONS`. Every write is one transaction, so an interrupted session loses nothing already
saved. A locked or corrupt database becomes a one-line `CoachError` that names the file; coach
never moves, repairs or deletes it (nor anything else the candidate owns).

Importing this module is cheap: sqlite3 and platformdirs are imported where they are used.
"""

from __future__ import annotations

import functools
import json
import math
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from coach.errors import CoachError
from coach.paths import home_dir
from coach.results import GradeReport

if TYPE_CHECKING:
    import random
    import sqlite3

DB_NAME = "coach.db"

MODES = ("practice", "mock", "grade")
STATUSES = ("active", "paused", "submitted", "abandoned")
UNFINISHED = ("active", "paused")
ATTEMPT_KINDS = ("grade", "check", "submit")
SCORED_KINDS = ("grade", "submit")  # `check` runs only the visible examples: no score, no probes
FAILED_STATUSES = ("fail", "error", "timeout")

SESSION_FIELDS = (
    "elapsed_s",
    "phase",
    "hints_used",
    "hint_penalty",
    "status",
    "first_check_pass_s",
    "score",
    "verdict",
    "state",
)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


# ---------------------------------------------------------------------------------------------
# schema

Migration = Callable[["sqlite3.Connection"], None]

MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    """Register `fn` as the next schema version (its position in MIGRATIONS, from 1)."""
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    statements = [
        """
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            problem TEXT NOT NULL,
            mode TEXT NOT NULL CHECK (mode IN ('practice', 'mock', 'grade')),
            file TEXT NOT NULL,
            minutes REAL NOT NULL,
            started_at TEXT NOT NULL,
            elapsed_s REAL NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'paused', 'submitted', 'abandoned')),
            phase TEXT NOT NULL DEFAULT 'coding',
            hints_used INTEGER NOT NULL DEFAULT 0,
            hint_penalty REAL NOT NULL DEFAULT 0,
            first_check_pass_s REAL,
            score REAL,
            verdict TEXT,
            updated_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX sessions_status ON sessions (status, updated_at)",
        """
        CREATE TABLE attempts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id INTEGER REFERENCES sessions (id) ON DELETE SET NULL,
            problem TEXT NOT NULL,
            file TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('grade', 'check', 'submit')),
            score REAL,
            verdict TEXT,
            created_at TEXT NOT NULL,
            duration_s REAL NOT NULL DEFAULT 0,
            report_json TEXT NOT NULL
        )
        """,
        "CREATE INDEX attempts_problem ON attempts (problem, created_at)",
        "CREATE INDEX attempts_session ON attempts (session_id)",
        """
        CREATE TABLE probe_results (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            attempt_id INTEGER NOT NULL REFERENCES attempts (id) ON DELETE CASCADE,
            probe TEXT NOT NULL,
            status TEXT NOT NULL,
            points REAL NOT NULL,
            max_points REAL NOT NULL,
            mistake TEXT,
            message TEXT NOT NULL DEFAULT ''
        )
        """,
        "CREATE INDEX probe_results_attempt ON probe_results (attempt_id)",
        "CREATE INDEX probe_results_mistake ON probe_results (mistake)",
        """
        CREATE TABLE followup_answers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            question TEXT NOT NULL,
            chosen TEXT NOT NULL,
            correct INTEGER NOT NULL,
            created_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX followup_answers_session ON followup_answers (session_id)",
    ]
    for statement in statements:
        db.execute(statement)


@migration
def m002_session_state(db: sqlite3.Connection) -> None:
    """What a session remembers beyond its clock: hints given, the last check (JSON)."""
    db.execute("ALTER TABLE sessions ADD COLUMN state TEXT NOT NULL DEFAULT '{}'")


@migration
def m003_session_events(db: sqlite3.Connection) -> None:
    """What happened in a session and when (session seconds): checks, hints, grades, submit,
    pauses. Existing sessions keep their rows; their debrief is built from what they have."""
    db.execute(
        """
        CREATE TABLE session_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            at_s REAL NOT NULL,
            kind TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX session_events_session ON session_events (session_id, id)")


@migration
def m004_attempt_content(db: sqlite3.Connection) -> None:
    """A hash of the graded file's bytes: grading one file again (in another format, say)
    outside a session is the same attempt, counted once."""
    db.execute("ALTER TABLE attempts ADD COLUMN content_hash TEXT")


SCHEMA_VERSION = len(MIGRATIONS)


# ---------------------------------------------------------------------------------------------
# records


@dataclass(frozen=True)
class SessionRow:
    """One practice or mock session, as stored."""

    id: int
    problem: str
    mode: str
    file: str
    minutes: float
    started_at: str
    elapsed_s: float
    status: str
    phase: str
    hints_used: int
    hint_penalty: float
    first_check_pass_s: float | None
    score: float | None
    verdict: str | None
    updated_at: str
    state: str = "{}"  # JSON: what the session remembers beyond its clock

    @property
    def limit_s(self) -> float:
        return self.minutes * 60.0

    @property
    def remaining_s(self) -> float:
        """Time left on the clock (never below zero)."""
        return max(0.0, self.limit_s - self.elapsed_s)

    @property
    def unfinished(self) -> bool:
        return self.status in UNFINISHED


@dataclass(frozen=True)
class SessionEvent:
    """Something that happened in a session, at `at_s` seconds of session time."""

    at_s: float
    kind: str
    detail: dict[str, Any]


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _score_text(score: float) -> str:
    return f"{score:g}" if float(score).is_integer() else f"{score:.1f}"


# ---------------------------------------------------------------------------------------------
# the store

T = TypeVar("T")
P = ParamSpec("P")


def _guarded(method: Callable[Concatenate[Store, P], T]) -> Callable[Concatenate[Store, P], T]:
    """Turn sqlite errors raised by `method` into one-line CoachErrors naming the database."""

    @functools.wraps(method)
    def wrapper(self: Store, *args: P.args, **kwargs: P.kwargs) -> T:
        import sqlite3

        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise database_error(self.path, exc) from exc
        except OSError as exc:  # the folder could not be created
            reason = exc.strerror or str(exc)
            raise CoachError(
                f"cannot open the history database {self.path} ({reason}); "
                "set COACH_HOME to a writable folder"
            ) from exc

    return wrapper


def database_error(path: Path, exc: BaseException) -> CoachError:
    """The one-line message for a sqlite error on the history database at `path`."""
    import sqlite3

    text = str(exc).strip() or type(exc).__name__
    lowered = text.lower()
    if "locked" in lowered or "busy" in lowered:
        return CoachError(
            f"the history database {path} is locked by another coach process; "
            "finish or close that one and try again"
        )
    corrupt = ("not a database", "malformed", "corrupt", "disk image")
    if any(word in lowered for word in corrupt) or type(exc) is sqlite3.DatabaseError:
        return CoachError(
            f"the history database {path} is corrupt ({text}); move it aside and coach will "
            "start a new one (your solution files are untouched)"
        )
    if "unable to open" in lowered or "readonly" in lowered or "read-only" in lowered:
        return CoachError(
            f"cannot write the history database {path} ({text}); check the folder's "
            "permissions or set COACH_HOME to a writable folder"
        )
    return CoachError(f"the history database {path} failed: {text}")


class Store:
    """The history database. Safe to share between threads; writes are serialised."""

    def __init__(self, path: Path | None = None, *, busy_timeout_ms: int = 2000) -> None:
        self.path = Path(path) if path is not None else home_dir() / DB_NAME
        self.busy_timeout_ms = busy_timeout_ms
        self.adhoc = True  # statistics count `coach grade` runs outside sessions too
        self._lock = threading.RLock()
        self._db: sqlite3.Connection | None = None
        self._open()

    # -- connection and transactions

    @_guarded
    def _open(self) -> None:
        import sqlite3

        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(
            self.path,
            timeout=self.busy_timeout_ms / 1000,
            isolation_level=None,  # transactions are explicit: see _write
            check_same_thread=False,
        )
        try:
            db.row_factory = sqlite3.Row
            db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA journal_mode = WAL").fetchone()
            db.execute("PRAGMA synchronous = NORMAL")
            self._db = db
            self._migrate()
        except BaseException:
            self._db = None
            db.close()
            raise

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise CoachError(f"the history database {self.path} is closed")
        return self._db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE: it takes the write lock up front)."""
        with self._lock:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            else:
                db.execute("COMMIT")

    def schema_version(self) -> int:
        with self._lock:
            return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        if self.schema_version() == SCHEMA_VERSION:
            return
        with self._write() as db:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])  # re-read, locked
            if version > SCHEMA_VERSION:
                raise CoachError(
                    f"the history database {self.path} was written by a newer coach (schema "
                    f"{version}, this one knows {SCHEMA_VERSION}); upgrade coach or set "
                    "COACH_HOME to another folder"
                )
            for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
                step(db)
                db.execute(f"PRAGMA user_version = {number}")

    # -- sessions

    @_guarded
    def start_session(self, problem: str, mode: str, file: str | Path, minutes: float) -> int:
        if mode not in MODES:
            raise ValueError(f"unknown session mode {mode!r}")
        now = _now()
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO sessions (problem, mode, file, minutes, started_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (problem, mode, str(file), float(minutes), now, now),
            )
            return int(cursor.lastrowid or 0)

    @_guarded
    def save_session(self, session_id: int, **fields: Any) -> None:
        """Update some of: elapsed_s, phase, hints_used, hint_penalty, status,
        first_check_pass_s, score, verdict, state (updated_at is set here)."""
        unknown = sorted(set(fields) - set(SESSION_FIELDS))
        if unknown:
            raise ValueError(f"unknown session fields: {', '.join(unknown)}")
        if "status" in fields and fields["status"] not in STATUSES:
            raise ValueError(f"unknown session status {fields['status']!r}")
        names = [name for name in SESSION_FIELDS if name in fields]
        assignments = ", ".join(f"{name} = ?" for name in [*names, "updated_at"])
        values = [fields[name] for name in names]
        with self._write() as db:
            cursor = db.execute(
                f"UPDATE sessions SET {assignments} WHERE id = ?", (*values, _now(), session_id)
            )
            if cursor.rowcount == 0:
                raise CoachError(f"no session {session_id} in {self.path}")

    @_guarded
    def session(self, session_id: int) -> SessionRow:
        with self._lock:
            row = self.db.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            raise CoachError(f"no session {session_id} in {self.path}")
        return SessionRow(**dict(row))

    @_guarded
    def last_unfinished(self) -> SessionRow | None:
        """The most recently touched session that is active or paused."""
        with self._lock:
            row = self.db.execute(
                "SELECT * FROM sessions WHERE status IN ('active', 'paused') "
                "ORDER BY updated_at DESC, id DESC LIMIT 1"
            ).fetchone()
        return SessionRow(**dict(row)) if row is not None else None

    @_guarded
    def unfinished_on(self, file: str | Path, mode: str) -> SessionRow | None:
        """The latest active or paused session of `mode` on `file`."""
        with self._lock:
            row = self.db.execute(
                "SELECT * FROM sessions WHERE status IN ('active', 'paused') AND file = ? "
                "AND mode = ? ORDER BY updated_at DESC, id DESC LIMIT 1",
                (str(file), mode),
            ).fetchone()
        return SessionRow(**dict(row)) if row is not None else None

    def abandon(self, session_id: int) -> SessionRow:
        """Mark an unfinished session abandoned (kept in the history, never resumed)."""
        row = self.session(session_id)
        if not row.unfinished:
            raise CoachError(
                f"session {session_id} is {row.status}: only an unfinished one can be abandoned"
            )
        self.save_session(session_id, status="abandoned")
        return self.session(session_id)

    @_guarded
    def sessions(self, limit: int = 50) -> list[SessionRow]:
        """The newest sessions first."""
        rows = self._rows(
            "SELECT * FROM sessions ORDER BY started_at DESC, id DESC LIMIT ?", (limit,)
        )
        return [SessionRow(**dict(row)) for row in rows]

    @_guarded
    def record_followup(self, session_id: int, question: str, chosen: str, correct: bool) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO followup_answers (session_id, question, chosen, correct, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (session_id, question, chosen, int(bool(correct)), _now()),
            )

    @_guarded
    def followups(self, session_id: int) -> list[tuple[str, str, bool]]:
        """(question, chosen, correct) for a session's follow-up answers, in order."""
        rows = self._rows(
            "SELECT question, chosen, correct FROM followup_answers WHERE session_id = ? "
            "ORDER BY id",
            (session_id,),
        )
        return [(row["question"], row["chosen"], bool(row["correct"])) for row in rows]

    # -- session events

    @_guarded
    def record_event(
        self, session_id: int, kind: str, at_s: float, detail: Mapping[str, Any] | None = None
    ) -> None:
        """Note that `kind` (check, hint, grade, submit, pause, resume...) happened at `at_s`
        seconds of session time."""
        at = float(at_s) if _finite(at_s) else 0.0
        with self._write() as db:
            db.execute(
                "INSERT INTO session_events (session_id, at_s, kind, detail, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    session_id,
                    round(at, 3),
                    kind,
                    json.dumps(dict(detail or {}), default=str),
                    _now(),
                ),
            )

    @_guarded
    def events(self, session_id: int) -> list[SessionEvent]:
        """A session's events in the order they happened."""
        rows = self._rows(
            "SELECT at_s, kind, detail FROM session_events WHERE session_id = ? ORDER BY id",
            (session_id,),
        )
        return [
            SessionEvent(float(row["at_s"]), row["kind"], _json_object(row["detail"]))
            for row in rows
        ]

    @_guarded
    def session_attempts(self, session_id: int) -> list[tuple[str, str, dict[str, Any]]]:
        """(kind, created_at, JSON report) of a session's attempts, oldest first."""
        rows = self._rows(
            "SELECT kind, created_at, report_json FROM attempts WHERE session_id = ? ORDER BY id",
            (session_id,),
        )
        return [(row["kind"], row["created_at"], _json_object(row["report_json"])) for row in rows]

    # -- attempts

    @_guarded
    def record_attempt(
        self, report: GradeReport, *, kind: str = "grade", session_id: int | None = None
    ) -> int:
        """Store a graded (or checked, or submitted) file with every probe result."""
        if kind not in ATTEMPT_KINDS:
            raise ValueError(f"unknown attempt kind {kind!r}")
        score = report.score if _finite(report.score) else None
        content = _content_hash(report.file)
        with self._write() as db:
            if kind == "grade" and session_id is None and content is not None:
                again = db.execute(  # the same file graded again outside a session
                    "SELECT id FROM attempts WHERE session_id IS NULL AND kind = 'grade' "
                    "AND problem = ? AND content_hash = ?",
                    (report.problem, content),
                ).fetchone()
                if again is not None:
                    return int(again["id"])
            cursor = db.execute(
                "INSERT INTO attempts (session_id, problem, file, kind, score, verdict, "
                "created_at, duration_s, report_json, content_hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id,
                    report.problem,
                    str(report.file),
                    kind,
                    score,
                    report.verdict,
                    _now(),
                    float(report.duration_s) if _finite(report.duration_s) else 0.0,
                    json.dumps(report.to_json(), default=str),
                    content,
                ),
            )
            attempt_id = int(cursor.lastrowid or 0)
            db.executemany(
                "INSERT INTO probe_results (attempt_id, probe, status, points, max_points, "
                "mistake, message) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        attempt_id,
                        probe.id,
                        str(getattr(probe.status, "value", probe.status)),
                        float(probe.points) if _finite(probe.points) else 0.0,
                        float(probe.max_points) if _finite(probe.max_points) else 0.0,
                        probe.mistake,
                        probe.message or "",
                    )
                    for probe in report.probes
                ],
            )
            return attempt_id

    @_guarded
    def attempt_report(self, attempt_id: int) -> dict[str, Any]:
        """The stored JSON report of an attempt (schema coach.grade/1)."""
        with self._lock:
            row = self.db.execute(
                "SELECT report_json FROM attempts WHERE id = ?", (attempt_id,)
            ).fetchone()
        if row is None:
            raise CoachError(f"no attempt {attempt_id} in {self.path}")
        result: dict[str, Any] = json.loads(row["report_json"])
        return result

    # -- statistics

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """The rows a query selects, read under the lock."""
        with self._lock:
            return self.db.execute(sql, params).fetchall()

    def _counted(self, table: str = "") -> str:
        """The attempts statistics count: scored grades and submissions; with `adhoc`
        off, only those made in sessions (as `coach history` lists them)."""
        a = f"{table}." if table else ""
        clause = f"{a}kind IN ('grade', 'submit') AND {a}score IS NOT NULL"
        return clause if self.adhoc else f"{clause} AND {a}session_id IS NOT NULL"

    @_guarded
    def adhoc_count(self) -> tuple[int, int]:
        """(files, problems) graded by `coach grade` outside any session."""
        with self._lock:
            row = self.db.execute(
                "SELECT COUNT(*) AS files, COUNT(DISTINCT problem) AS problems FROM attempts "
                "WHERE session_id IS NULL AND kind = 'grade' AND score IS NOT NULL"
            ).fetchone()
        return int(row["files"]), int(row["problems"])

    @_guarded
    def best_and_last(self) -> dict[str, tuple[float, float]]:
        """problem -> (best score, last score) over graded and submitted attempts."""
        rows = self._rows(
            f"SELECT problem, score FROM attempts WHERE {self._counted()} ORDER BY created_at, id"
        )
        result: dict[str, tuple[float, float]] = {}
        for row in rows:
            best = result.get(row["problem"], (row["score"], row["score"]))[0]
            result[row["problem"]] = (max(best, row["score"]), row["score"])
        return result

    def best_scores(self) -> dict[str, float]:
        """problem -> best score (for `coach list`)."""
        return {problem: best for problem, (best, _) in self.best_and_last().items()}

    @_guarded
    def mistake_counts(self, limit: int = 10) -> list[tuple[str, int]]:
        """The most cited mistakes: (mistake id, number of attempts citing it), most first."""
        rows = self._rows(
            "SELECT p.mistake AS mistake, COUNT(DISTINCT p.attempt_id) AS n "
            "FROM probe_results p JOIN attempts a ON a.id = p.attempt_id "
            f"WHERE {self._counted('a')} AND p.mistake IS NOT NULL "
            "AND p.mistake != '' AND p.status IN ('fail', 'error', 'timeout') "
            "GROUP BY p.mistake ORDER BY n DESC, MAX(a.id) DESC, p.mistake LIMIT ?",
            (limit,),
        )
        return [(row["mistake"], int(row["n"])) for row in rows]

    @_guarded
    def score_trend(self, limit: int = 20) -> list[tuple[str, float]]:
        """(created_at, score) of the last `limit` scored attempts, oldest first."""
        rows = self._rows(
            "SELECT created_at, score FROM attempts "
            f"WHERE {self._counted()} "
            "ORDER BY created_at DESC, id DESC LIMIT ?",
            (limit,),
        )
        return [(row["created_at"], float(row["score"])) for row in reversed(rows)]

    @_guarded
    def problem_trends(self, limit: int = 10) -> dict[str, list[float]]:
        """problem -> its last `limit` scores (graded and submitted attempts), oldest first."""
        rows = self._rows(
            f"SELECT problem, score FROM attempts WHERE {self._counted()} ORDER BY created_at, id"
        )
        trends: dict[str, list[float]] = {}
        for row in rows:
            trends.setdefault(row["problem"], []).append(float(row["score"]))
        return {problem: scores[-limit:] for problem, scores in trends.items()}

    @_guarded
    def _problem_mistakes(self) -> dict[str, dict[str, int]]:
        """problem -> mistake -> number of scored attempts on it citing that mistake."""
        rows = self._rows(
            "SELECT a.problem AS problem, p.mistake AS mistake, "
            "COUNT(DISTINCT p.attempt_id) AS n "
            "FROM probe_results p JOIN attempts a ON a.id = p.attempt_id "
            f"WHERE {self._counted('a')} AND p.mistake IS NOT NULL "
            "AND p.mistake != '' AND p.status IN ('fail', 'error', 'timeout') "
            "GROUP BY a.problem, p.mistake"
        )
        result: dict[str, dict[str, int]] = {}
        for row in rows:
            result.setdefault(row["problem"], {})[row["mistake"]] = int(row["n"])
        return result

    @_guarded
    def _last_attempt_mistakes(self) -> dict[str, set[str]]:
        """problem -> the mistakes its latest scored attempt cited."""
        rows = self._rows(
            "SELECT a.problem AS problem, p.mistake AS mistake "
            "FROM attempts a JOIN probe_results p ON p.attempt_id = a.id "
            "WHERE a.id IN (SELECT MAX(id) FROM attempts "
            f"  WHERE {self._counted()} GROUP BY problem) "
            "AND p.mistake IS NOT NULL AND p.mistake != '' "
            "AND p.status IN ('fail', 'error', 'timeout')"
        )
        result: dict[str, set[str]] = {}
        for row in rows:
            result.setdefault(row["problem"], set()).add(row["mistake"])
        return result

    @_guarded
    def _last_mock_problem(self) -> str | None:
        with self._lock:
            row = self.db.execute(
                "SELECT problem FROM sessions WHERE mode = 'mock' ORDER BY id DESC LIMIT 1"
            ).fetchone()
        return row["problem"] if row is not None else None

    def suggest_next(self, problem_frequency: Mapping[str, int]) -> tuple[str, str] | None:
        """The problem to practise next and why, e.g. ("kmeans", "empty-cluster cited twice").

        `problem_frequency` maps problem ids to their interview-frequency rank (1 = most asked);
        when given, only those problems are suggested. In order of preference: a problem whose
        latest attempt still repeats a mistake cited more than once; a problem scored below 60;
        the most asked problem not tried yet; a problem scored below 90; the weakest one.
        """
        scores = self.best_and_last()
        known = set(problem_frequency) if problem_frequency else set(scores)
        if not known:
            return None
        rank = {p: problem_frequency.get(p, len(problem_frequency) + 1) for p in known}
        per_problem = self._problem_mistakes()
        still = self._last_attempt_mistakes()

        overall: dict[str, int] = {}
        for counts in per_problem.values():
            for mistake, count in counts.items():
                overall[mistake] = overall.get(mistake, 0) + count
        repeated = sorted(
            (-count, -overall[mistake], rank[problem], problem, mistake)
            for problem in known
            for mistake, count in per_problem.get(problem, {}).items()
            if count >= 2 and mistake in still.get(problem, set())
        )
        if repeated:
            negative_count, _, _, problem, mistake = repeated[0]
            return problem, f"{mistake} cited {_times(-negative_count)}"

        tried = sorted((scores[p][0], rank[p], p) for p in known if p in scores)
        if tried and tried[0][0] < 60:
            best, _, problem = tried[0]
            return problem, f"best score so far {_score_text(best)}"

        untried = sorted((rank[p], p) for p in known if p not in scores)
        if untried:
            problem_rank, problem = untried[0]
            if problem_frequency and problem_rank == min(problem_frequency.values()):
                return problem, "not tried yet: most asked in interviews"
            if problem_frequency:
                return problem, (
                    f"not tried yet: the most asked of those left (frequency rank {problem_rank})"
                )
            return problem, "not tried yet"

        best, _, problem = tried[0]
        if best < 90:
            return problem, f"best score so far {_score_text(best)}"
        return problem, f"your lowest best score ({_score_text(best)}): keep it sharp"

    def mock_weights(self, problem_frequency: Mapping[str, int]) -> dict[str, float]:
        """problem -> how likely a mock interview picks it (relative weights).

        Frequent problems weigh more (1/sqrt(rank)); weakness multiplies that: a problem never
        tried counts as 2, a tried one 1 + 2 * (1 - best/100) + 0.25 per cited mistake repeat
        (up to 1). The problem of the last mock is halved so the same one rarely comes twice.
        """
        scores = self.best_and_last()
        per_problem = self._problem_mistakes()
        last_mock = self._last_mock_problem()
        weights: dict[str, float] = {}
        for problem, problem_rank in problem_frequency.items():
            frequency = 1.0 / math.sqrt(max(1, int(problem_rank)))
            if problem not in scores:
                weakness = 2.0
            else:
                best = min(100.0, max(0.0, scores[problem][0]))
                cited = sum(per_problem.get(problem, {}).values())
                weakness = 1.0 + 2.0 * (1.0 - best / 100.0) + min(1.0, 0.25 * cited)
            if problem == last_mock and len(problem_frequency) > 1:
                weakness *= 0.5
            weights[problem] = frequency * weakness
        return weights

    def pick_mock_problem(
        self, problem_frequency: Mapping[str, int], rng: random.Random | None = None
    ) -> str:
        """A problem for a mock interview, drawn by interview frequency and your weak spots."""
        if not problem_frequency:
            raise CoachError("no problems to choose a mock interview from")
        if rng is None:
            import random

            rng = random.Random()
        weights = self.mock_weights(problem_frequency)
        problems = sorted(weights, key=lambda p: (problem_frequency[p], p))
        return rng.choices(problems, weights=[weights[p] for p in problems])[0]


def _json_object(text: str) -> dict[str, Any]:
    """A stored JSON object; {} for anything else (a row written by a broken version)."""
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _content_hash(file: str | Path) -> str | None:
    """SHA-256 of the file's bytes; None when it cannot be read (any more)."""
    import hashlib

    try:
        return hashlib.sha256(Path(file).read_bytes()).hexdigest()
    except OSError:
        return None


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
