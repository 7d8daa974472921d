"""The grader's results: typed records, serialised once (schema `coach.grade/1`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

SCHEMA = "coach.grade/1"


class Status(str, Enum):
    """How one probe ended."""

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"  # the candidate's code raised or crashed
    TIMEOUT = "timeout"
    SKIP = "skip"


VERDICTS = ((90, "strong hire"), (75, "hire"), (60, "lean hire"), (40, "lean no hire"))
VERDICT_STYLE = {  # the colour a verdict is shown in
    "strong hire": "green",
    "hire": "green",
    "lean hire": "yellow",
    "lean no hire": "red",
    "no hire": "red",
}


def verdict_for(score: float) -> str:
    """The interviewer's verdict for a score out of 100."""
    for threshold, verdict in VERDICTS:
        if score >= threshold:
            return verdict
    return "no hire"


@dataclass
class ProbeResult:
    """One probe's outcome; `mistake` is the catalogue id it cites when it did not pass."""

    id: str
    status: Status
    points: float
    max_points: float
    mistake: str | None = None
    message: str = ""
    duration_s: float = 0.0
    title: str = ""
    cause: str | None = None  # the error behind an "error" status, to group equal ones
    explained: bool = False  # the mistake comes from evidence, not the probe's default

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status.value,
            "points": self.points,
            "max_points": self.max_points,
            "mistake": self.mistake,
            "message": self.message,
            "duration_s": round(self.duration_s, 4),
        }


@dataclass
class GradeReport:
    """The graded outcome of one candidate file."""

    problem: str | None  # None when a file is unusable and its problem cannot be told
    file: str
    score: float
    verdict: str
    duration_s: float
    probes: list[ProbeResult]
    mistakes: list[str] = field(default_factory=list)
    aliases_used: dict[str, str] = field(default_factory=dict)
    candidate_output: str = ""
    max_score: int = 100
    problem_title: str = ""
    time_limit_s: float | None = None  # the problem's interview budget, for "time used"
    time_used_s: float | None = None  # the candidate's session time, when graded in a session
    error: str | None = None  # why nothing could be imported, with the line, if so
    notes: list[str] = field(default_factory=list)  # conventions the grader adapted to
    sandbox: str = ""  # "bwrap" or "process": how the candidate's code was contained

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "problem": self.problem,
            "file": self.file,
            "score": self.score,
            "max_score": self.max_score,
            "verdict": self.verdict,
            "duration_s": round(self.duration_s, 3),
            "probes": [p.to_json() for p in self.probes],
            "mistakes": self.mistakes,
            "aliases_used": self.aliases_used,
            "candidate_output": self.candidate_output,
            "notes": self.notes,
            "sandbox": self.sandbox,
            "error": self.error,
        }
