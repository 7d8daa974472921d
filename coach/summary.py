"""What a batch of reports adds up to: a row per file, the mistakes cited most across the
batch, and how the scores spread out (rich and Markdown)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from coach.results import VERDICT_STYLE, GradeReport

if TYPE_CHECKING:
    from rich.console import RenderableType

TOP_MISTAKES = 10  # mistakes shown in the histogram
BUCKETS = tuple(range(0, 100, 10))  # score bands 0-9, 10-19, ..., 90-100
BAR = 30  # characters of the longest bar


def mistake_counts(reports: list[GradeReport]) -> list[tuple[str, int]]:
    """(mistake id, files citing it), most cited first; ties in id order."""
    counts = Counter(m for report in reports for m in dict.fromkeys(report.mistakes))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_MISTAKES]


def score_bands(reports: list[GradeReport]) -> list[tuple[str, int]]:
    """(band, files scoring in it), for every band from 0-9 to 90-100."""
    counts = Counter(min(int(r.score // 10) * 10, 90) for r in reports if _finite(r.score))
    return [(f"{low}-{low + 9 if low < 90 else 100}", counts.get(low, 0)) for low in BUCKETS]


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and value == value and abs(value) != float("inf")


def _bar(count: int, most: int) -> str:
    return "█" * max(1, round(BAR * count / most)) if count else ""


def _problem(report: GradeReport) -> str:
    return report.problem or "unknown"


def rich_summary(reports: list[GradeReport], printable: Any) -> list[RenderableType]:
    """The summary table, the mistake histogram and the score chart."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Summary", title_justify="left", header_style="bold")
    table.add_column("file")
    table.add_column("problem")
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("mistakes", style="dim")
    for report in reports:
        table.add_row(
            Text(printable(report.file)),
            Text(printable(_problem(report))),
            f"{report.score:.1f}" if _finite(report.score) else "–",
            Text(report.verdict, style=VERDICT_STYLE.get(report.verdict, "")),
            Text(", ".join(report.mistakes) or ("—" if report.error is None else "unusable")),
        )
    out: list[RenderableType] = [table]
    mistakes = mistake_counts(reports)
    if mistakes:
        most = mistakes[0][1]
        chart = Table(title="Most cited mistakes (files)", title_justify="left", box=None)
        chart.add_column("mistake", style="bold")
        chart.add_column("files", justify="right")
        chart.add_column("")
        for mistake, count in mistakes:
            chart.add_row(mistake, str(count), Text(_bar(count, most), style="red"))
        out.append(chart)
    bands = score_bands(reports)
    most = max(count for _, count in bands)
    if most:
        chart = Table(title="Scores (files)", title_justify="left", box=None)
        chart.add_column("score", justify="right")
        chart.add_column("files", justify="right")
        chart.add_column("")
        for band, count in reversed(bands):
            low = int(band.split("-")[0])
            style = "green" if low >= 70 else "yellow" if low >= 40 else "red"
            chart.add_row(band, str(count), Text(_bar(count, most), style=style))
        out.append(chart)
    return out


def markdown_summary(reports: list[GradeReport], md: Any) -> str:
    """The same summary as GitHub-flavoured Markdown tables."""
    rows = [
        "## Summary",
        "",
        "| file | problem | score | verdict | mistakes |",
        "|---|---|---:|---|---|",
    ]
    for r in reports:
        score = f"{r.score:.1f}" if _finite(r.score) else "–"
        cited = ", ".join(f"`{m}`" for m in r.mistakes)
        rows.append(f"| {md(r.file)} | {md(_problem(r))} | {score} | {r.verdict} | {cited} |")
    mistakes = mistake_counts(reports)
    if mistakes:
        rows += ["", "### Most cited mistakes", "", "| mistake | files |", "|---|---:|"]
        rows += [f"| `{m}` | {count} |" for m, count in mistakes]
    rows += ["", "### Scores", "", "| score | files |", "|---|---:|"]
    rows += [f"| {band} | {count} |" for band, count in reversed(score_bands(reports))]
    return "\n".join(rows)
