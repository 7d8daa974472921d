"""A practice or mock session: the candidate's file, the clock, hints, checks, grades, submit.

Everything a session does is here, without any terminal: the REPL (`coach.repl`) and the tests
drive a `Session` through its methods. State goes to the history database at every command
(and every few seconds from the REPL), hints given and the last check included, so a killed
terminal loses at most seconds.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.clock import Clock, SessionTimer, SystemClock
from coach.errors import CoachError
from coach.phases import Phase, phase_at
from coach.results import GradeReport, verdict_for

if TYPE_CHECKING:
    from coach.examples import ExampleResult
    from coach.followups import Question
    from coach.specs import ProblemSpec
    from coach.store import SessionRow, Store

PRACTICE = "practice"
MOCK = "mock"
MOCK_MINUTES = 45.0
HINT_PENALTY = 5.0  # points a hint costs in a mock interview
_NOT_STARTED = "NotImplementedError"


class SessionError(CoachError):
    """A command that cannot run in this session (grade in a mock, anything after submit)."""


# ---------------------------------------------------------------------------------------------
# the starter file


@dataclass
class StarterFile:
    path: Path
    created: bool  # a new starter was written
    backup: Path | None = None  # where --fresh moved the old file


def starter_text(spec: ProblemSpec) -> str:
    """The spec's starter, with `# coach: ID` on its first line."""
    text = spec.starter if spec.starter.endswith("\n") else spec.starter + "\n"
    first = text.split("\n", 1)[0]
    if not re.match(rf"#\s*coach:\s*{re.escape(spec.id)}\s*$", first):
        text = f"# coach: {spec.id}\n{text}"
    return text


def backup_path(path: Path, when: datetime | None = None) -> Path:
    """`name.YYYYmmdd-HHMMSS.bak.py` beside `path`, never one that exists."""
    stamp = (when or datetime.now()).strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.stem}.{stamp}.bak{path.suffix}")
    number = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}.{stamp}-{number}.bak{path.suffix}")
        number += 1
    return candidate


def write_starter(spec: ProblemSpec, path: Path, *, fresh: bool = False) -> StarterFile:
    """Write the starter at `path` unless a file is there: an existing file is never
    overwritten. With `fresh`, an existing file is first moved to a timestamped backup."""
    backup = None
    if path.is_dir():
        raise CoachError(f"{path} is a folder; cannot write the starter file there")
    if fresh and path.exists():
        backup = backup_path(path)
        try:
            os.link(path, backup)  # a hard link: the old content is safe before anything else
            path.unlink()
        except OSError:
            if not backup.exists():
                path.rename(backup)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:  # "x": fails rather than overwrite
            handle.write(starter_text(spec))
    except FileExistsError:
        return StarterFile(path, created=False, backup=backup)
    except OSError as exc:
        raise CoachError(f"cannot write {path}: {exc.strerror}") from None
    return StarterFile(path, created=True, backup=backup)


# ---------------------------------------------------------------------------------------------
# outcomes


@dataclass
class CheckOutcome:
    """The visible examples run on the file."""

    results: list[ExampleResult]
    error: str | None = None  # the file could not be checked at all

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.results) and self.passed == len(self.results)

    @property
    def summary(self) -> str:
        if self.error:
            return "error"
        return f"{self.passed}/{len(self.results)}"


@dataclass
class Hint:
    text: str
    number: int  # the how-many-th hint of the session
    kind: str  # "mistake" (for what the last check or grade found) or "graduated"
    mistake: str | None = None
    step: int | None = None  # 1-based, for a graduated hint
    steps: int = 0
    penalty: float = 0.0  # points this hint costs (mock only)


@dataclass
class SubmitOutcome:
    report: GradeReport
    raw_score: float
    penalty: float
    hints_used: int


@dataclass
class FollowUpResult:
    question: str
    chosen: int | None
    correct: bool


@dataclass
class QuizResult:
    answers: list[FollowUpResult] = field(default_factory=list)

    @property
    def correct(self) -> int:
        return sum(1 for a in self.answers if a.correct)

    @property
    def total(self) -> int:
        return len(self.answers)


# ---------------------------------------------------------------------------------------------
# mistakes seen by a check


def check_mistake(message: str) -> str | None:
    """The catalogued mistake a failed visible example most likely shows, from its message;
    None for an unfinished starter (NotImplementedError), where a graduated hint helps more."""
    if _NOT_STARTED in message:
        return None
    lowered = message.lower()
    if "expected finite" in lowered or re.search(r"\b(nan|inf)\b", lowered):
        return "log-of-zero" if re.search(r"loss|entropy|log", lowered) else "exp-overflow"
    if "gave shape" in lowered:
        return "wrong-axis"
    if "apicontract" in lowered or "has no attribute" in lowered or "missing" in lowered:
        return "api-contract"
    if re.search(r"^step \d+: \w*(error|exception|exit)\b", lowered):
        return "crash"
    if " gave " in lowered and "expected" in lowered:
        return "wrong-solution"
    return "crash"


def report_mistakes(report: GradeReport) -> list[str]:
    """The mistakes a grade found, less those that only say the starter is unfinished."""
    found: list[str] = []
    for mistake in report.mistakes:
        messages = [p.message for p in report.probes if p.mistake == mistake]
        if messages and all(_NOT_STARTED in m for m in messages):
            continue
        found.append(mistake)
    return found


# ---------------------------------------------------------------------------------------------
# the session


class Session:
    """One session on one file. Safe to call from the REPL and the file watcher at once."""

    def __init__(
        self,
        spec: ProblemSpec,
        path: Path,
        *,
        mode: str,
        store: Store,
        session_id: int,
        minutes: float,
        clock: Clock | None = None,
        elapsed_s: float = 0.0,
        hints_used: int = 0,
        hint_penalty: float = 0.0,
        first_check_pass_s: float | None = None,
        status: str = "active",
        state: str = "{}",
    ) -> None:
        self.spec = spec
        self.path = path
        self.mode = mode
        self.store = store
        self.id = session_id
        self.minutes = float(minutes)
        self.clock: Clock = clock or SystemClock()
        self.timer = SessionTimer(self.clock, elapsed_s)
        self.hints_used = hints_used
        self.hint_penalty = hint_penalty
        self.first_check_pass_s = first_check_pass_s
        self.status = status
        self.graduated = 0  # graduated hints given
        self.hinted: list[str] = []  # mistakes already explained by a hint
        self.last_mistakes: list[str] = []  # what the last check or grade found
        self.last_result = ""  # for the status line: "check 2/3", "grade 85"
        self.last_ok: bool | None = None
        self.last_report: GradeReport | None = None
        self.quiz_done = False
        self._lock = threading.RLock()
        self._load_state(state)

    # -- making and resuming

    @classmethod
    def start(
        cls,
        spec: ProblemSpec,
        directory: Path,
        *,
        mode: str = PRACTICE,
        minutes: float | None = None,
        fresh: bool = False,
        store: Store,
        clock: Clock | None = None,
    ) -> tuple[Session, StarterFile]:
        """Write the starter (never over an existing file) and open a new session on it.

        The file is named after the problem: `ID.py`, or `ID_mock.py` for a mock, so that a
        mock never touches practice work."""
        if minutes is None:
            minutes = MOCK_MINUTES if mode == MOCK else float(spec.minutes)
        if not math.isfinite(minutes) or minutes <= 0:
            raise CoachError(f"--minutes must be a number above 0, not {minutes:g}")
        name = f"{spec.id}_mock.py" if mode == MOCK else f"{spec.id}.py"
        path = (directory / name).resolve()
        starter = write_starter(spec, path, fresh=fresh)
        session_id = store.start_session(spec.id, mode, str(path), minutes)
        session = cls(
            spec,
            path,
            mode=mode,
            store=store,
            session_id=session_id,
            minutes=minutes,
            clock=clock,
        )
        session.save(status="active")
        session.event("start", minutes=session.minutes)
        return session, starter

    @classmethod
    def resume(
        cls, row: SessionRow, spec: ProblemSpec, *, store: Store, clock: Clock | None = None
    ) -> Session:
        """Continue a saved session with the time it had used: time away does not count."""
        session = cls(
            spec,
            Path(row.file),
            mode=row.mode,
            store=store,
            session_id=row.id,
            minutes=row.minutes,
            clock=clock,
            elapsed_s=row.elapsed_s,
            hints_used=row.hints_used,
            hint_penalty=row.hint_penalty,
            first_check_pass_s=row.first_check_pass_s,
            state=row.state,
        )
        session.save(status="active")
        session.event("resume")
        return session

    # -- time

    @property
    def is_mock(self) -> bool:
        return self.mode == MOCK

    @property
    def limit_s(self) -> float:
        return self.minutes * 60.0

    def elapsed(self) -> float:
        return self.timer.elapsed()

    def time_left(self) -> float:
        """Seconds left; negative in overtime."""
        return self.limit_s - self.elapsed()

    def phase(self) -> Phase:
        return phase_at(self.elapsed(), self.minutes, mock=self.is_mock)

    @property
    def finished(self) -> bool:
        return self.status in ("submitted", "abandoned")

    # -- commands

    def _require_open(self, what: str) -> None:
        if self.finished:
            raise SessionError(f"this session is {self.status}; cannot {what}")

    def check(self) -> CheckOutcome:
        """Run the visible examples (no score); the first full pass is remembered."""
        from coach.detect import check_file
        from coach.examples import run_examples

        with self._lock:
            self._require_open("check")
            try:
                check_file(self.path)
                outcome = CheckOutcome(run_examples(self.spec, self.path))
            except CoachError as exc:
                outcome = CheckOutcome([], error=str(exc))
            _raise_if_cancelled()
            self.last_result = f"check {outcome.summary}"
            self.last_ok = outcome.ok
            self.last_report = None
            self.last_mistakes = []
            for r in outcome.results:
                mistake = None if r.passed else check_mistake(r.message)
                if mistake and mistake not in self.last_mistakes:
                    self.last_mistakes.append(mistake)
            if outcome.ok and self.first_check_pass_s is None:
                self.first_check_pass_s = round(self.elapsed(), 1)
            self._record_check(outcome)
            self.event("check", summary=outcome.summary, ok=outcome.ok, mistakes=self.last_mistakes)
            self.save()
            return outcome

    def _record_check(self, outcome: CheckOutcome) -> None:
        total = len(outcome.results)
        verdict = outcome.error or f"{outcome.passed}/{total} examples pass"
        report = GradeReport(
            problem=self.spec.id,
            file=str(self.path),
            score=float("nan"),
            verdict=verdict,
            duration_s=0.0,
            probes=[],
            problem_title=self.spec.title,
            time_limit_s=self.limit_s,
            time_used_s=self.elapsed(),
        )
        self.store.record_attempt(report, kind="check", session_id=self.id)

    def _grade(self) -> GradeReport:
        from coach.batch import grade_files
        from coach.detect import check_file

        check_file(self.path)
        report = grade_files([self.path], problem=self.spec.id)[0]
        _raise_if_cancelled()
        report.time_used_s = self.elapsed()
        report.time_limit_s = self.limit_s
        return report

    def grade(self) -> GradeReport:
        """The hidden grader's report (practice only: a mock has one submit and no grade)."""
        with self._lock:
            self._require_open("grade")
            if self.is_mock:
                raise SessionError(
                    "no grade in a mock interview: the one grade is your submit "
                    "(check runs the visible examples)"
                )
            report = self._grade()
            self._after_grade(report, "grade")
            self.store.record_attempt(report, kind="grade", session_id=self.id)
            self.event("grade", score=report.score, mistakes=self.last_mistakes)
            self.save()
            return report

    def _after_grade(self, report: GradeReport, kind: str) -> None:
        self.last_report = report
        self.last_result = f"{kind} {report.score:g}"
        self.last_ok = report.score >= 100
        self.last_mistakes = report_mistakes(report)

    def hint(self) -> Hint:
        """After a failed check or grade, the hint for a mistake it found (each once);
        otherwise the next graduated hint of the problem. In a mock each hint costs points."""
        from coach.catalogue import MISTAKES

        with self._lock:
            self._require_open("take a hint")
            steps = len(self.spec.hints)
            mistake = next(
                (m for m in self.last_mistakes if m not in self.hinted and m in MISTAKES), None
            )
            if mistake is not None:
                entry = MISTAKES[mistake]
                self.hinted.append(mistake)
                hint = Hint(f"{entry.title}. {entry.fix}", 0, "mistake", mistake=mistake)
            elif self.graduated < steps:
                self.graduated += 1
                text = self.spec.hints[self.graduated - 1].strip()
                hint = Hint(text, 0, "graduated", step=self.graduated, steps=steps)
            else:
                return Hint(
                    f"That was the last hint ({steps} of {steps}); `statement` shows the task "
                    "again. No points taken.",
                    self.hints_used,
                    "none",
                    steps=steps,
                )
            self.hints_used += 1
            hint.number = hint_number = self.hints_used
            if self.is_mock:
                hint.penalty = HINT_PENALTY
                self.hint_penalty = HINT_PENALTY * hint_number
            self.event(
                "hint",
                number=hint.number,
                hint_kind=hint.kind,
                mistake=hint.mistake,
                step=hint.step,
                steps=hint.steps,
                penalty=hint.penalty,
            )
            self.save()
            return hint

    def submit(self) -> SubmitOutcome:
        """Grade once more, for the record; a mock takes off the points its hints cost."""
        with self._lock:
            self._require_open("submit")
            report = self._grade()
            if self.is_mock:  # an interview ends at zero: no overtime on the record
                report.time_used_s = min(self.elapsed(), self.limit_s)
            raw = report.score
            penalty = self.hint_penalty if self.is_mock else 0.0
            if penalty:
                report.score = max(0.0, round(raw - penalty, 1))
                report.verdict = verdict_for(report.score)
                report.notes.append(
                    f"{self.hints_used} hint{'s' if self.hints_used != 1 else ''} "
                    f"cost {penalty:g} points ({raw:g} before)"
                )
            self._after_grade(report, "submit")
            self.store.record_attempt(report, kind="submit", session_id=self.id)
            self.event("submit", score=report.score, raw=raw, penalty=penalty)
            self.status = "submitted"
            self.timer.pause()
            self.save(status="submitted", score=report.score, verdict=report.verdict)
            return SubmitOutcome(report, raw, penalty, self.hints_used)

    def pause(self) -> None:
        """Stop the clock and save: `coach resume` continues from here."""
        with self._lock:
            self.timer.pause()
            if not self.finished:
                self.save(status="paused")
                self.event("pause")

    def event(self, kind: str, **detail: Any) -> None:
        """Note in the history that `kind` happened now (session time); best effort."""
        with contextlib.suppress(CoachError, OSError):
            self.store.record_event(self.id, kind, self.elapsed(), detail)

    # -- saving

    def save(self, **extra: Any) -> None:
        """Write the session's time, phase, hints and remembered state to the database."""
        with self._lock:
            if "status" in extra:
                self.status = extra["status"]
            fields: dict[str, Any] = {
                "elapsed_s": round(self.elapsed(), 3),
                "phase": self.phase().id,
                "hints_used": self.hints_used,
                "hint_penalty": self.hint_penalty,
                "first_check_pass_s": self.first_check_pass_s,
                "state": json.dumps(self._state()),
            }
            fields.update(extra)
            self.store.save_session(self.id, **fields)

    def save_if_idle(self) -> bool:
        """Save unless a command (a check from the watcher, say) is running: that one saves
        when it ends. Returns whether it saved."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            self.save()
        finally:
            self._lock.release()
        return True

    def _state(self) -> dict[str, Any]:
        return {
            "graduated": self.graduated,
            "hinted": self.hinted,
            "last_mistakes": self.last_mistakes,
            "last_result": self.last_result,
            "last_ok": self.last_ok,
            "quiz_done": self.quiz_done,
        }

    def _load_state(self, text: str) -> None:
        try:
            state = json.loads(text or "{}")
            if not isinstance(state, dict) or "graduated" not in state:
                raise ValueError("no state saved yet")
        except ValueError:
            # no record of which hints were given: assume the graduated ones, in order
            self.graduated = min(self.hints_used, len(self.spec.hints))
            return
        self.graduated = int(state.get("graduated", 0))
        self.hinted = [str(m) for m in state.get("hinted", [])]
        self.last_mistakes = [str(m) for m in state.get("last_mistakes", [])]
        self.last_result = str(state.get("last_result", ""))
        last_ok = state.get("last_ok")
        self.last_ok = bool(last_ok) if last_ok is not None else None
        self.quiz_done = bool(state.get("quiz_done", False))

    # -- follow-up questions

    def followups(
        self,
        ask: Callable[[str], str | None],
        say: Callable[[str], None],
    ) -> QuizResult:
        """The spec's follow-up questions and one on the candidate's own file, as multiple
        choice shuffled by the session id: each answer is recorded, scored and explained.
        `ask(prompt)` returns the answer typed, or None when input ends."""
        from coach.followups import session_questions

        try:
            source = self.path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            source = ""
        questions = session_questions(self.spec, self.id, self.last_report, source)
        result = quiz(questions, ask, say, record=self._record_followup)
        self.quiz_done = True
        self.event("followups", correct=result.correct, total=result.total)
        self.save()
        return result

    def _record_followup(self, question: str, chosen: str, correct: bool) -> None:
        self.store.record_followup(self.id, question, chosen, correct)


def _raise_if_cancelled() -> None:
    """A grade cancelled (Ctrl-C) may still end with a report of dead workers: not kept."""
    from coach.sandbox import Cancelled, cancelling

    if cancelling():
        raise Cancelled()


LETTERS = "abcdefghij"


def parse_choice(answer: str, count: int) -> int | None:
    """`b`, `B`, `2`, `b)` -> 1; None if it names no choice."""
    text = answer.strip().lower().rstrip(").")
    if len(text) == 1 and text in LETTERS[:count]:
        return LETTERS.index(text)
    if text.isdigit() and 1 <= int(text) <= count:
        return int(text) - 1
    return None


def quiz(
    questions: Sequence[Question],
    ask: Callable[[str], str | None],
    say: Callable[[str], None],
    record: Callable[[str, str, bool], None] | None = None,
    tries: int = 3,
) -> QuizResult:
    """Ask each question; an empty answer skips (counts as wrong)."""
    result = QuizResult()
    total = len(questions)
    if not total:
        return result
    say(f"Follow-up questions ({total}): answer with a letter; Enter skips.")
    for number, followup in enumerate(questions, 1):
        letters = LETTERS[: len(followup.choices)]
        about = "About your file: " if followup.own else ""
        lines = [f"\n{number}/{total}. {about}{followup.question}"]
        lines += [f"  {letters[i]}) {choice}" for i, choice in enumerate(followup.choices)]
        say("\n".join(lines))
        chosen: int | None = None
        ended = False
        for _ in range(tries):
            answer = ask(f"answer [{letters[0]}-{letters[-1]}]: ")
            if answer is None:
                ended = True
                break
            if not answer.strip():
                break
            chosen = parse_choice(answer, len(followup.choices))
            if chosen is not None:
                break
            say(f"  '{answer.strip()}' is not one of {', '.join(letters)}")
        correct = chosen == followup.answer
        right = f"{letters[followup.answer]}) {followup.choices[followup.answer]}"
        if correct:
            say(f"  ✓ correct. {followup.explanation.strip()}")
        else:
            said = "skipped" if chosen is None else f"not {letters[chosen]}"
            say(f"  ✗ {said}: the answer is {right}\n  {followup.explanation.strip()}")
        chosen_text = "" if chosen is None else followup.choices[chosen]
        if record is not None:
            record(followup.question, chosen_text, correct)
        result.answers.append(FollowUpResult(followup.question, chosen, correct))
        if ended:
            break
    say(f"\nFollow-ups: {result.correct}/{total} correct.")
    return result


def remaining_text(seconds: float) -> str:
    """The countdown as shown: whole seconds rounded up, so 0:00 means time is up."""
    from coach.phases import clock_text

    if seconds > 0:
        return clock_text(math.ceil(seconds - 1e-9))
    return "+" + clock_text(math.floor(-seconds + 1e-9))


def ignore_errors(action: Callable[[], None]) -> None:
    """Run a best-effort save; a failing database must not end a session's last words."""
    with contextlib.suppress(CoachError, OSError):
        action()
