"""The phases of an interview, scaled to a problem's minutes, with what to do in each.

The budget comes from the interview FAQ in the reference notes: about 5 minutes to clarify
and design, 20-25 to implement, 5-10 to test and handle edge cases. Taking the middle of each
range (5 : 22.5 : 7.5 of 35 minutes) gives the shares used here, so a 30-minute problem has
about 4 minutes of design, 19 of coding and 6 of testing. Everything here is a pure function.
"""

from __future__ import annotations

from dataclasses import dataclass

# (id, title, share of the time, the nudge shown when the phase begins)
_BUDGET: tuple[tuple[str, str, float, str], ...] = (
    (
        "clarify",
        "clarify & design",
        5 / 35,
        "restate the task, ask about shapes, labels and edge cases, sketch loss, "
        "gradient and fit/predict.",
    ),
    (
        "implement",
        "implement",
        22.5 / 35,
        "write the loss, gradients and update, vectorised, clipping before log and "
        "shifting before exp.",
    ),
    (
        "test",
        "test & edge cases",
        7.5 / 35,
        "run `check`, overfit four points, watch the loss fall, then one sample, "
        "one feature, equal labels.",
    ),
)

OVERTIME_NUDGE = (
    "a strong candidate submits now, saying what is left and how they would test it; "
    "the clock goes on in overtime."
)
OVERTIME_MOCK_NUDGE = "your mock interview is submitted as it stands."


@dataclass(frozen=True)
class Phase:
    """One phase of a session: from `start_s` to `end_s` seconds of session time."""

    id: str
    title: str
    start_s: float
    end_s: float  # inf for overtime
    nudge: str

    def contains(self, elapsed_s: float) -> bool:
        return self.start_s <= elapsed_s < self.end_s


def phases(minutes: float, *, mock: bool = False) -> list[Phase]:
    """The phases of a `minutes`-long session, in order, ending with the open-ended overtime."""
    total = max(0.0, float(minutes)) * 60.0
    out: list[Phase] = []
    start = 0.0
    for i, (pid, title, share, nudge) in enumerate(_BUDGET):
        end = total if i == len(_BUDGET) - 1 else start + share * total
        out.append(Phase(pid, title, start, end, nudge))
        start = end
    out.append(
        Phase(
            "overtime",
            "overtime",
            total,
            float("inf"),
            OVERTIME_MOCK_NUDGE if mock else OVERTIME_NUDGE,
        )
    )
    return out


def boundaries(minutes: float) -> list[float]:
    """The session times (seconds) at which a new phase begins, after the first: design ends,
    coding ends, time is up."""
    return [p.start_s for p in phases(minutes)[1:]]


def phase_at(elapsed_s: float, minutes: float, *, mock: bool = False) -> Phase:
    """The phase a session is in after `elapsed_s` seconds."""
    for phase in phases(minutes, mock=mock):
        if phase.contains(elapsed_s):
            return phase
    return phases(minutes, mock=mock)[0]  # negative elapsed: not started yet


def crossed(before_s: float, after_s: float, minutes: float, *, mock: bool = False) -> list[Phase]:
    """The phases that began in (before_s, after_s]: each deserves its nudge once."""
    return [p for p in phases(minutes, mock=mock)[1:] if before_s < p.start_s <= after_s]


def budget_lines(minutes: float) -> list[str]:
    """ "clarify & design 00:00–04:17" for each phase before overtime (the `time` command)."""
    return [
        f"{p.title} {clock_text(p.start_s)}–{clock_text(p.end_s)}" for p in phases(minutes)[:-1]
    ]


def clock_text(seconds: float) -> str:
    """12:05, 1:02:03; negative seconds get a minus sign."""
    sign = "-" if seconds < 0 else ""
    total = int(abs(seconds))
    hours, rest = divmod(total, 3600)
    mins, secs = divmod(rest, 60)
    return f"{sign}{hours}:{mins:02d}:{secs:02d}" if hours else f"{sign}{mins:02d}:{secs:02d}"
