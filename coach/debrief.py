"""The debrief of a session: a timeline (phases, checks, hints, grades, the submit), the
mistakes with the hint that fixes each, and what a strong candidate would have done
differently in each phase. Shown after every submit; `coach history --show ID` again.

`build_debrief` reads the history into a plain `Debrief`; `render_rich` and
`render_markdown` draw it within 80 columns. Sessions stored before coach kept events still
get a debrief, from what their row and attempts hold.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from coach.store import SessionEvent, SessionRow, Store

WIDTH = 80
_NOT_STARTED = "NotImplementedError"

# mistake -> (the phase where a strong candidate avoids it, what they do there)
STRONG: dict[str, tuple[str, str]] = {
    "api-contract": ("clarify", "restate the interface (names, shapes, returns) first"),
    "unscaled-features": ("clarify", "ask about feature scales; standardise with train stats"),
    "regularized-bias": ("clarify", "settle that the penalty covers the weights, not the bias"),
    "uncentered-pca": ("clarify", "state that PCA centres the data on the training mean"),
    "variance-ddof": ("clarify", "ask whether variance divides by n or by n - 1"),
    "empty-cluster": ("clarify", "ask what happens when a cluster empties; plan a re-seed"),
    "edge-case": ("clarify", "list edge cases up front: one sample, one feature, one label"),
    "log-of-zero": ("implement", "clip probabilities before every log, in the first draft"),
    "unstable-softmax": ("implement", "subtract the row maximum before exp, in the first draft"),
    "exp-overflow": ("implement", "write the sigmoid in its stable, sign-split form"),
    "division-by-zero": ("implement", "guard every denominator that can be zero"),
    "negative-sqrt": ("implement", "clip squared distances at 0 before the sqrt"),
    "matrix-inversion": ("implement", "solve with lstsq or a ridge term, never inv"),
    "input-mutation": ("implement", "never write into the inputs: X = X - m, not X -= m"),
    "unvectorized": ("implement", "write the batch form X @ w + b, not a loop over rows"),
    "banned-library": ("implement", "use NumPy alone, as the task asks"),
    "wrong-axis": ("test", "test with n ≠ d and assert shapes: a wrong axis then fails"),
    "gradient-sign": ("test", "run a finite-difference gradient check; watch the loss fall"),
    "wrong-gradient": ("test", "run a finite-difference gradient check on a tiny input"),
    "cannot-overfit": ("test", "overfit four points and see the loss go to about 0"),
    "loss-not-decreasing": ("test", "print the loss history and check that it falls"),
    "wrong-solution": ("test", "check a case with a known answer (y = 3x + 2)"),
}
_DEFAULT_STRONG = ("test", "run a small case with a known answer before the submit")


@dataclass(frozen=True)
class Moment:
    """One line of the timeline, at `at_s` seconds of session time."""

    at_s: float
    kind: str  # phase, start, check, hint, grade, submit, pause, resume, followups
    text: str


@dataclass(frozen=True)
class MistakeNote:
    """A mistake the final grade cited, what the grader saw, and the hint that fixes it."""

    id: str
    title: str
    seen: str
    fix: str
    hinted: bool  # the candidate took this hint during the session


@dataclass(frozen=True)
class PhaseNote:
    """A phase, and what a strong candidate would have done differently in it."""

    id: str
    title: str
    start_s: float
    end_s: float
    advice: list[str]


@dataclass
class Debrief:
    session_id: int
    problem: str
    title: str
    mode: str
    status: str
    started_at: str
    minutes: float
    elapsed_s: float
    score: float | None
    verdict: str | None
    hints_used: int
    hint_penalty: float
    first_check_pass_s: float | None
    timeline: list[Moment] = field(default_factory=list)
    mistakes: list[MistakeNote] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)  # found by a check or grade, gone at the end
    phases: list[PhaseNote] = field(default_factory=list)
    followups: tuple[int, int] = (0, 0)  # correct, asked
    missed: list[str] = field(default_factory=list)  # follow-ups answered wrong or skipped
    recorded: bool = True  # events were stored (sessions before the timeline have none)


# ---------------------------------------------------------------------------------------------
# building


def build_debrief(store: Store, session_id: int, title: str = "") -> Debrief:
    """The debrief of session `session_id` from the history (CoachError if there is none)."""
    from coach.phases import phases

    row = store.session(session_id)
    events = store.events(session_id)
    attempts = store.session_attempts(session_id)
    final = next((r for k, _, r in reversed(attempts) if k == "submit"), None)
    if final is None:
        final = next((r for k, _, r in reversed(attempts) if k == "grade"), None)
    first_pass = row.first_check_pass_s
    for event in events:
        if event.kind == "check" and event.detail.get("ok"):
            first_pass = event.at_s
            break
    debrief = Debrief(
        session_id=row.id,
        problem=row.problem,
        title=title or row.problem,
        mode=row.mode,
        status=row.status,
        started_at=row.started_at,
        minutes=row.minutes,
        elapsed_s=row.elapsed_s,
        score=row.score,
        verdict=row.verdict,
        hints_used=row.hints_used,
        hint_penalty=row.hint_penalty,
        first_check_pass_s=first_pass,
        recorded=bool(events),
    )
    every = phases(row.minutes, mock=row.mode == "mock")
    spans = [p for p in every if p.start_s <= row.elapsed_s]
    debrief.timeline = _timeline(row, events, spans, first_pass)
    hinted = {str(e.detail.get("mistake")) for e in events if e.kind == "hint"}
    debrief.mistakes = _mistakes(final, row.problem, hinted)
    seen_before = [
        str(m) for e in events if e.kind in ("check", "grade") for m in e.detail.get("mistakes", [])
    ]
    final_ids = {m.id for m in debrief.mistakes}
    if final is not None:
        debrief.fixed = list(dict.fromkeys(m for m in seen_before if m not in final_ids))
    answers = store.followups(session_id)
    debrief.followups = (sum(1 for *_, ok in answers if ok), len(answers))
    debrief.missed = [question for question, _, ok in answers if not ok]
    debrief.phases = [
        PhaseNote(p.id, p.title, p.start_s, p.end_s, _advice(p.id, p.start_s, p.end_s, debrief))
        for p in every
        if p.id != "overtime" or row.elapsed_s > p.start_s
    ]
    return debrief


def _clock(seconds: float | None) -> str:
    from coach.history_view import clock

    return clock(seconds)


def _score(value: Any) -> str:
    from coach.history_view import score_text

    return score_text(float(value)) if isinstance(value, (int, float)) else "—"


def _timeline(
    row: SessionRow, events: list[SessionEvent], spans: list[Any], first_pass: float | None
) -> list[Moment]:
    moments = [Moment(p.start_s, "phase", f"▸ {p.title}") for p in spans]
    if not events:  # a session from before the timeline: what its row holds
        if first_pass is not None:
            moments.append(Moment(first_pass, "check", "check: all visible examples pass"))
        if row.hints_used:
            moments.append(
                Moment(row.elapsed_s, "hint", f"{row.hints_used} hints (times not recorded)")
            )
        if row.status == "submitted":
            moments.append(
                Moment(row.elapsed_s, "submit", f"submitted: {_score(row.score)} ({row.verdict})")
            )
    first_ok = True
    for event in events:
        d = event.detail
        if event.kind == "start":
            text = "started"
        elif event.kind == "check":
            text = f"check {d.get('summary', '?')} examples pass"
            if d.get("ok") and first_ok:
                text, first_ok = text + " — first full pass", False
            elif d.get("mistakes"):
                text += f" ({', '.join(map(str, d['mistakes']))})"
        elif event.kind == "hint":
            text = f"hint {d.get('number', '?')}: "
            if d.get("hint_kind") == "mistake":
                text += f"for {d.get('mistake')}"
            else:
                text += f"step {d.get('step')} of {d.get('steps')}"
            if d.get("penalty"):
                text += f" (−{_score(d['penalty'])} points)"
        elif event.kind == "grade":
            text = f"grade {_score(d.get('score'))}"
        elif event.kind == "submit":
            text = f"submitted: {_score(d.get('score'))}"
            if d.get("penalty"):
                text += f" ({_score(d.get('raw'))} less {_score(d['penalty'])} for hints)"
        elif event.kind == "pause":
            text = "paused (quit)"
        elif event.kind == "resume":
            text = "resumed"
        elif event.kind == "followups":
            text = f"follow-ups: {d.get('correct', 0)}/{d.get('total', 0)} correct"
        else:
            text = event.kind
        moments.append(Moment(event.at_s, event.kind, text))
    order = {"phase": 0}
    return sorted(moments, key=lambda m: (m.at_s, order.get(m.kind, 1)))


def _mistakes(final: dict[str, Any] | None, problem: str, hinted: set[str]) -> list[MistakeNote]:
    from coach.catalogue import MISTAKES, advice

    if not final:
        return []
    failed = [
        p
        for p in final.get("probes", [])
        if isinstance(p, dict)
        and p.get("mistake")
        and p.get("status") in ("fail", "error", "timeout")
    ]
    notes: list[MistakeNote] = []
    for mistake in dict.fromkeys(str(p["mistake"]) for p in failed):
        messages = [str(p.get("message", "")) for p in failed if p["mistake"] == mistake]
        if all(_NOT_STARTED in m for m in messages):
            continue  # the starter left unfinished: not a mistake to learn from
        entry = MISTAKES.get(mistake)
        fix = advice(mistake, problem, messages)[0] if entry else ""
        notes.append(
            MistakeNote(
                id=mistake,
                title=entry.title if entry else mistake,
                seen=" ".join(messages[0].split())[:200],
                fix=fix or (entry.fix if entry else ""),
                hinted=mistake in hinted,
            )
        )
    return notes


def _advice(phase: str, start: float, end: float, d: Debrief) -> list[str]:
    """What a strong candidate would have done differently in `phase`."""
    out: list[str] = []
    for note in d.mistakes:
        where, what = STRONG.get(note.id, _DEFAULT_STRONG)
        if where == phase:
            out.append(f"{what} ({note.id})")
    hints_here = [m for m in d.timeline if m.kind == "hint" and start <= m.at_s < end]
    checks = [m for m in d.timeline if m.kind == "check"]
    if phase == "clarify" and hints_here:
        out.append("sketch loss, gradient and fit/predict before asking for a hint")
    if phase == "implement" and d.recorded:
        if d.first_check_pass_s is None:
            out.append("get a first version through `check` early: yours never passed it")
        elif d.first_check_pass_s > end:
            out.append(
                f"have the visible examples passing by {_clock(end)} "
                f"(yours: {_clock(d.first_check_pass_s)})"
            )
    if phase == "test" and d.recorded:
        if not checks:
            out.append("run `check`, then overfit four points: you never ran `check`")
        left = d.minutes * 60 - d.elapsed_s
        if d.status == "submitted" and d.mistakes and left > 0.15 * d.minutes * 60:
            out.append(f"spend the {_clock(left)} left testing edge cases before the submit")
    if start > d.elapsed_s and d.status == "submitted" and out:
        out.append(f"reach this phase: you submitted at {_clock(d.elapsed_s)}")
    if phase == "overtime" and d.mode != "mock":
        out.append("submit at time, saying what is left and how you would test it")
    return out


# ---------------------------------------------------------------------------------------------
# drawing


def _header(d: Debrief) -> tuple[str, str]:
    from coach.history_view import local_date

    kind = "mock interview" if d.mode == "mock" else "practice session"
    head = f"Debrief — {d.title}, {kind} #{d.session_id}"
    score = f"{_score(d.score)}/100 ({d.verdict})" if d.verdict else d.status
    line = (
        f"{local_date(d.started_at)} · {score} · {_clock(d.elapsed_s)} used of "
        f"{_clock(d.minutes * 60)} · hints {d.hints_used}"
    )
    if d.hint_penalty:
        line += f" (−{_score(d.hint_penalty)} points)"
    return head, line


def render_rich(console: Console, d: Debrief) -> None:
    """The debrief on a terminal, at most 80 columns wide."""
    from rich.markup import escape
    from rich.padding import Padding
    from rich.text import Text

    width = min(WIDTH, console.width)
    say = console.print
    head, line = _header(d)
    say(Text(head, style="bold"), width=width)
    say(Text(line, style="dim"), width=width)
    say(Text("Timeline", style="bold underline"), width=width)
    for m in d.timeline:
        style = "bold" if m.kind == "phase" else ""
        say(Text(f"  {_clock(m.at_s)}  {m.text}", style=style), width=width)
    if not d.recorded:
        say("  [dim](a session from before coach kept a timeline)[/]", width=width)
    say(Text("Mistakes", style="bold underline"), width=width)
    if not d.mistakes:
        say("  [green]none cited by the final grade[/]" if d.verdict else "  [dim]not graded[/]")
    for note in d.mistakes:
        taken = " [dim](you took this hint)[/]" if note.hinted else ""
        say(f"  [red]✗ {note.id}[/] — {escape(note.title)}{taken}", width=width)
        body = f"seen: {note.seen}\nhint: {note.fix}" if note.seen else f"hint: {note.fix}"
        say(Padding(Text(body), (0, 0, 0, 4)), width=width)
    if d.fixed:
        say(f"  [green]fixed on the way:[/] {', '.join(d.fixed)}", width=width)
    say(Text("A strong candidate, phase by phase", style="bold underline"), width=width)
    for p in d.phases:
        say(f"  [bold]{escape(p.title)}[/] {_clock(p.start_s)}", width=width)
        lines = p.advice or ["✓ nothing to change here"]
        for text in lines:
            say(Padding(Text(f"• {text}"), (0, 0, 0, 4)), width=width)
    correct, total = d.followups
    if total:
        say(Text(f"Follow-ups: {correct}/{total} correct", style="bold"), width=width)
        for question in d.missed:
            say(Padding(Text(f"✗ {question}"), (0, 0, 0, 4)), width=width)


def render_markdown(d: Debrief) -> str:
    """The debrief as Markdown to share with a mentor; no line over 80 characters."""

    def wrap(text: str, first: str = "", rest: str = "") -> list[str]:
        return textwrap.wrap(
            text, WIDTH, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False
        ) or [first.rstrip()]

    head, line = _header(d)
    out = [*wrap(f"# {head}"), "", *wrap(line), "", "## Timeline", ""]
    for m in d.timeline:
        text = f"**{m.text.lstrip('▸ ')}**" if m.kind == "phase" else m.text
        out += wrap(f"`{_clock(m.at_s)}` {text}", "- ", "  ")
    if not d.recorded:
        out += ["", "_A session from before coach kept a timeline._"]
    out += ["", "## Mistakes", ""]
    if not d.mistakes:
        out.append("None cited by the final grade." if d.verdict else "Not graded.")
    for note in d.mistakes:
        taken = " (hint taken)" if note.hinted else ""
        out += wrap(f"**{note.id}** — {note.title}{taken}", "- ", "  ")
        if note.seen:
            out += wrap(f"Seen: {note.seen}", "  ", "  ")
        out += wrap(f"Hint: {note.fix}", "  ", "  ")
    if d.fixed:
        out += ["", *wrap(f"Fixed on the way: {', '.join(d.fixed)}.")]
    out += ["", "## A strong candidate, phase by phase", ""]
    for p in d.phases:
        out += [f"### {p.title} ({_clock(p.start_s)})", ""]
        for text in p.advice or ["Nothing to change here."]:
            out += wrap(text, "- ", "  ")
        out.append("")
    correct, total = d.followups
    if total:
        out += [f"## Follow-ups: {correct}/{total} correct", ""]
        for question in d.missed:
            out += wrap(f"Missed: {question}", "- ", "  ")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
