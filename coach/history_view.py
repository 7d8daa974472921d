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
    from rich.text import Text

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


WIDE = 72  # columns from which `coach stats` draws tables; below, one stacked block a row
TREND_LENGTH = 10  # scores in a problem's sparkline


def _packed(segments: Sequence[Text], width: int, indent: int = 2, gap: int = 2) -> Text:
    """Segments joined by `gap` spaces, a new (indented) line where the next would not fit:
    a segment is never split, so a verdict or a command stays whole."""
    from rich.text import Text

    out = Text()
    used = 0
    for segment in segments:
        size = segment.cell_len
        if used and used + gap + size > width:
            out.append("\n" + " " * indent)
            used = indent
        elif used:
            out.append(" " * gap)
            used += gap
        out.append_text(segment)
        used += size
    return out


def _verdict(score: float | None) -> Text:
    from rich.text import Text

    from coach.results import verdict_for

    if score is None or not math.isfinite(score):
        return Text("")
    verdict = verdict_for(score)
    return Text(verdict, style=VERDICT_STYLE.get(verdict, ""))


def _scores_view(
    console: Console,
    order: Sequence[str],
    scores: Mapping[str, tuple[float, float]],
    trends: Mapping[str, Sequence[float]],
) -> None:
    """Best, last (with its verdict) and the trend of each problem: a table, or stacked."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    width = console.width
    console.print(Text("Scores per problem", style="bold"))
    name_width = max(len(p) for p in order)
    if width >= WIDE and name_width + 46 <= width:
        table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, show_edge=False)
        table.add_column("problem", no_wrap=True)
        table.add_column("best", justify="right", no_wrap=True)
        table.add_column("last", justify="right", no_wrap=True)
        table.add_column("verdict", no_wrap=True)
        table.add_column(f"trend (last {TREND_LENGTH})", no_wrap=True)
        for problem in order:
            best, last = scores[problem]
            trend = Text(sparkline(trends.get(problem, [])), style="cyan")
            table.add_row(problem, score_text(best), score_text(last), _verdict(last), trend)
        console.print(table)
        return
    for problem in order:  # stacked: the problem on its line, its figures below
        best, last = scores[problem]
        console.print(Text(problem, style="bold"), overflow="fold")
        segments = [
            Text(f"best {score_text(best)}"),
            Text(f"last {score_text(last)}"),
            _verdict(last),
            Text(sparkline(trends.get(problem, [])), style="cyan"),
        ]
        console.print(
            Text("  ").append_text(_packed([s for s in segments if s], width - 2)),
            no_wrap=True,
            overflow="fold",
        )


def _mistakes_view(console: Console, mistakes: Sequence[tuple[str, int]]) -> None:
    """The most cited mistakes with a bar each, the bars scaled to the terminal."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    width = console.width
    most = max(count for _, count in mistakes)
    name_width = max(len(m) for m, _ in mistakes)
    count_width = max(len("times"), len(str(most)))
    room = width - name_width - count_width - 4  # two gaps of two columns
    console.print(Text("Most cited mistakes", style="bold"))
    if room >= 10:
        table = Table(box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False, show_edge=False)
        table.add_column("mistake", no_wrap=True)
        table.add_column("times", justify="right", no_wrap=True)
        table.add_column("", no_wrap=True)
        for mistake, count in mistakes:
            graph = bar(count, most, min(BAR_WIDTH, room))
            table.add_row(mistake, str(count), Text(graph, style="red"))
        console.print(table)
        return
    for mistake, count in mistakes:  # stacked: the name and count, the bar below
        console.print(Text(f"{mistake}  {count}"), overflow="fold")
        graph = bar(count, most, max(1, min(BAR_WIDTH, width - 2)))
        console.print(Text("  ").append(graph, style="red"))


def render_stats(console: Console, store: Store, problem_frequency: Mapping[str, int]) -> None:
    """Best and last score per problem with a sparkline of its last scores, the most cited
    mistakes as bars, the overall trend and what to do next. Tables from `WIDE` columns,
    stacked below; no line is wider than the console."""
    from rich.text import Text

    scores = store.best_and_last()
    adhoc = (0, 0) if store.adhoc else store.adhoc_count()
    if not scores and not store.sessions(limit=1) and not adhoc[0]:
        console.print(EMPTY_HISTORY)
        return
    width = console.width
    if adhoc[0]:  # `coach grade` outside sessions: shown apart, counted on request
        files, problems = adhoc
        said = (
            f"{files} file{'s' if files != 1 else ''} on {problems} "
            f"problem{'s' if problems != 1 else ''} graded with `coach grade` outside "
            "sessions are not counted here; `coach stats --all` counts them."
        )
        segments = [Text("Outside sessions:", style="bold"), *map(Text, said.split())]
        console.print(_packed(segments, width, gap=1), no_wrap=True, overflow="fold")
        console.print()

    if scores:
        order = sorted(scores, key=lambda p: (problem_frequency.get(p, math.inf), p))
        _scores_view(console, order, scores, store.problem_trends(TREND_LENGTH))
    else:
        console.print("No graded attempts yet: `grade` or `submit` in a session to get a score.")

    mistakes = store.mistake_counts()
    if mistakes:
        console.print()
        _mistakes_view(console, mistakes)
    elif scores:
        console.print("[green]No mistakes cited so far.[/]")

    trend = [score for _, score in store.score_trend()]
    if trend:
        console.print()
        if len(trend) > 1:
            said = (
                f"{score_text(trend[0])} → {score_text(trend[-1])} "
                f"over {len(trend)} graded attempts"
            )
        else:
            said = f"{score_text(trend[0])} (one graded attempt)"
        segments = [Text("Score trend", style="bold"), Text(sparkline(trend), style="cyan")]
        segments += [Text(word) for word in said.split()]
        console.print(_packed(segments, width, gap=1), no_wrap=True, overflow="fold")

    suggestion = store.suggest_next(problem_frequency)
    if suggestion is not None:
        problem, reason = suggestion
        segments = [Text("Next:", style="bold")]
        segments += [Text(word) for word in f"{problem} — {reason}. Run".split()]
        segments.append(Text(f"`coach start {problem}`.", style="bold"))
        console.print(_packed(segments, width, gap=1), no_wrap=True, overflow="fold")
