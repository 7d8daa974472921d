"""`coach history` and `coach stats`: past sessions, scores per problem, mistakes, trend.

rich is imported inside the functions that draw, so importing this module stays cheap.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from coach.results import VERDICT_STYLE

if TYPE_CHECKING:
    from rich.console import Console

    from coach.store import SessionRow, Store

EMPTY_HISTORY = "No sessions yet: try `coach start logistic`."

SPARKS = "▁▂▃▄▅▆▇█"
BAR = "█"
BAR_WIDTH = 30


def clock(seconds: float | None) -> str:
    """mm:ss (minutes may pass 59); a dash when there is no time."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    minutes, secs = divmod(max(0, round(seconds)), 60)
    return f"{minutes:02d}:{secs:02d}"


def local_date(stamp: str) -> str:
    """An ISO UTC timestamp as local 'YYYY-MM-DD HH:MM'."""
    try:
        moment = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return str(stamp)
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def score_text(score: float | None) -> str:
    if score is None or not math.isfinite(score):
        return "—"
    return f"{score:g}" if float(score).is_integer() else f"{score:.1f}"


def sparkline(scores: Sequence[float]) -> str:
    """One block per score on an absolute 0–100 scale: ▁ is 0, █ is 100."""
    top = len(SPARKS) - 1
    marks = []
    for score in scores:
        level = round(min(100.0, max(0.0, score)) / 100.0 * top) if math.isfinite(score) else 0
        marks.append(SPARKS[level])
    return "".join(marks)


def bar(count: int, most: int, width: int = BAR_WIDTH) -> str:
    """A bar of `count` blocks, scaled down so that `most` fills at most `width`."""
    if count <= 0 or most <= 0:
        return ""
    if most <= width:
        return BAR * count
    return BAR * max(1, round(count / most * width))


def render_history(console: Console, sessions: Sequence[SessionRow]) -> None:
    """A table of past sessions, newest first, two lines a row so it fits 80 columns."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    if not sessions:
        console.print(EMPTY_HISTORY)
        return
    table = Table(
        title="Sessions",
        title_justify="left",
        header_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("date", no_wrap=True)
    table.add_column("problem", no_wrap=True)
    table.add_column("score", no_wrap=True)
    table.add_column("time", justify="right", no_wrap=True)
    table.add_column("hints", justify="right", no_wrap=True)
    table.add_column("check ✓", justify="right", no_wrap=True)
    for row in sessions:
        if row.verdict:
            verdict = f"[{VERDICT_STYLE.get(row.verdict, 'default')}]{row.verdict}[/]"
        else:
            verdict = f"[dim]{row.status}[/]"
        hints = str(row.hints_used)
        if row.hint_penalty:
            hints += f"\n−{score_text(row.hint_penalty)} pts"
        day, _, hour = local_date(row.started_at).partition(" ")
        table.add_row(
            str(row.id),
            f"{day[5:]}\n{hour}",  # month-day: the year is clear from context
            f"{row.problem}\n[dim]{row.mode} in {escape(folder_text(row.file))}[/]",
            f"{score_text(row.score)}\n{verdict}",
            f"{clock(row.elapsed_s)}\nof {clock(row.limit_s)}",
            hints,
            clock(row.first_check_pass_s),
        )
    console.print(table)
    if any(row.unfinished for row in sessions):
        console.print(
            "[dim]Unfinished: `coach resume` continues the latest; "
            "`coach history --abandon ID` gives one up.[/]"
        )


def folder_text(file: str) -> str:
    """The folder of a session's file, with ~ for the home folder."""
    from pathlib import Path

    folder = Path(file).parent
    try:
        return "~/" + str(folder.relative_to(Path.home()))
    except ValueError:
        return str(folder)


def render_stats(console: Console, store: Store, problem_frequency: Mapping[str, int]) -> None:
    """Best and last score per problem, most cited mistakes, the score trend, what to do next."""
    from rich.table import Table
    from rich.text import Text

    scores = store.best_and_last()
    if not scores and not store.sessions(limit=1):
        console.print(EMPTY_HISTORY)
        return

    if scores:
        order = sorted(scores, key=lambda p: (problem_frequency.get(p, math.inf), p))
        table = Table(title="Scores per problem", title_justify="left", header_style="bold")
        table.add_column("problem", no_wrap=True)
        table.add_column("best", justify="right")
        table.add_column("last", justify="right")
        for problem in order:
            best, last = scores[problem]
            table.add_row(problem, score_text(best), score_text(last))
        console.print(table)
    else:
        console.print("No graded attempts yet: `grade` or `submit` in a session to get a score.")

    mistakes = store.mistake_counts()
    if mistakes:
        most = max(count for _, count in mistakes)
        table = Table(title="Most frequent mistakes", title_justify="left", header_style="bold")
        table.add_column("mistake", no_wrap=True)
        table.add_column("times", justify="right")
        table.add_column("", no_wrap=True)
        for mistake, count in mistakes:
            table.add_row(mistake, str(count), Text(bar(count, most), style="red"))
        console.print(table)
    elif scores:
        console.print("[green]No mistakes cited so far.[/]")

    trend = [score for _, score in store.score_trend()]
    if trend:
        line = Text("Score trend  ", style="bold")
        line.append(sparkline(trend), style="cyan")
        if len(trend) > 1:
            line.append(
                f"  {score_text(trend[0])} → {score_text(trend[-1])} "
                f"over the last {len(trend)} graded attempts"
            )
        else:
            line.append(f"  {score_text(trend[0])} (one graded attempt)")
        console.print(line)

    suggestion = store.suggest_next(problem_frequency)
    if suggestion is not None:
        problem, reason = suggestion
        console.print(
            f"[bold]Next:[/] {problem} — {reason}. Run `coach start {problem}`.",
            highlight=False,
        )
