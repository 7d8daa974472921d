"""Rendering of grade reports: rich (terminal), JSON lines, CSV, HTML, Markdown, JUnit XML.

Importing this module is cheap: rich and xml.etree are imported inside the functions that use
them, and the mistake catalogue is read only when a report cites a mistake.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from coach.errors import CoachError
from coach.results import VERDICT_STYLE, GradeReport, ProbeResult

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

FORMATS = ("rich", "json", "csv", "html", "markdown", "junit")
CSV_COLUMNS = ("file", "problem", "score", "verdict", "mistakes", "duration_s", "error")

STATUS_STYLE = {
    "pass": ("✓", "green"),
    "fail": ("✗", "red"),
    "error": ("!", "red"),
    "timeout": ("◔", "yellow"),
    "skip": ("–", "dim"),
}

STATUS_WORDS = {
    "pass": "passed",
    "fail": "failed",
    "error": "raised",
    "timeout": "timed out",
    "skip": "skipped",
}


OUTPUT_LINES = 12  # lines of the candidate's output shown in the rich and Markdown reports


# ---------------------------------------------------------------------------------------------
# shared helpers


def render(reports: list[GradeReport], fmt: str) -> str:
    """The reports as text in `fmt` (json, markdown, junit; rich gives plain 100-column text)."""
    if fmt == "json":
        return render_json(reports)
    if fmt == "markdown":
        return render_markdown(reports)
    if fmt == "junit":
        return render_junit(reports)
    if fmt == "csv":
        return render_csv(reports)
    if fmt in ("rich", "html"):
        import io

        from rich.console import Console

        console = Console(file=io.StringIO(), width=100, color_system=None, record=fmt == "html")
        print_rich(console, reports)
        if fmt == "html":  # styles inline, no script or font to fetch: readable offline
            return console.export_html(inline_styles=True)
        return console.file.getvalue()  # type: ignore[attr-defined]
    raise CoachError(f"unknown report format {fmt!r}: choose one of {', '.join(FORMATS)}")


def _catalogue() -> dict[str, Any]:
    """The mistake catalogue, or an empty one when the module is not there."""
    try:
        from coach.catalogue import MISTAKES
    except ModuleNotFoundError as exc:
        if exc.name not in ("coach.catalogue", "coach"):
            raise
        return {}
    return MISTAKES


def _entry_field(catalogue: dict[str, Any], mistake_id: str, name: str) -> str:
    entry = catalogue.get(mistake_id)
    value = getattr(entry, name, "") if entry is not None else ""
    return value if isinstance(value, str) else ""


def _advice(catalogue: dict[str, Any], report: GradeReport, mistake_id: str) -> tuple[str, str]:
    """The fix and good code for a mistake, in the variant for the problem and error seen."""
    if not catalogue:
        return "", ""
    try:
        from coach.catalogue import advice
    except ImportError:  # a catalogue without variants: the entry's own text
        return _entry_field(catalogue, mistake_id, "fix"), _entry_field(
            catalogue, mistake_id, "good"
        )
    seen = [report.error or ""] + [p.message for p in report.probes if p.mistake == mistake_id]
    return advice(mistake_id, report.problem or "", seen)


def _mistake_title(catalogue: dict[str, Any], mistake_id: str) -> str:
    return _entry_field(catalogue, mistake_id, "title") or mistake_id


def _status(probe: ProbeResult) -> str:
    return str(getattr(probe.status, "value", probe.status))


def _finite(value: Any) -> Any:
    """`value` with every non-finite float replaced by None (and numpy scalars made plain)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    item = getattr(value, "item", None)  # a numpy scalar, without importing numpy
    if callable(item):
        return _finite(item())
    return value


def _is_finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _number(value: Any) -> str:
    """A score or a number of points: 10, 7.5, 3.33; a dash when it is not a finite number."""
    if not _is_finite(value):
        return "—"
    if float(value).is_integer():
        return str(int(value))
    return f"{round(float(value), 2):g}"


def _score(report: GradeReport) -> str:
    score = f"{report.score:.1f}" if _is_finite(report.score) else "—"
    return f"{score} / {report.max_score}"


def _ms(seconds: Any) -> str:
    return f"{seconds * 1000:.0f} ms" if _is_finite(seconds) else "—"


def _clock(seconds: float) -> str:
    """12:30, 1:05:00."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _time_line(report: GradeReport) -> str:
    """ "time used 12:30 of 30:00", "time limit 30:00" or ""."""
    used, limit = report.time_used_s, report.time_limit_s
    if _is_finite(limit) and _is_finite(used):
        line = f"time used {_clock(used)} of {_clock(limit)}"
        if used > limit:
            line += f" ({_clock(used - limit)} over)"
        return line
    if _is_finite(limit):
        return f"time limit {_clock(limit)}"
    if _is_finite(used):
        return f"time used {_clock(used)}"
    return ""


def _details(report: GradeReport) -> str:
    parts = []
    if _is_finite(report.duration_s):
        parts.append(f"graded in {report.duration_s:.2f} s")
    time_line = _time_line(report)
    if time_line:
        parts.append(time_line)
    return " · ".join(parts)


def _counts(report: GradeReport) -> dict[str, int]:
    counts = dict.fromkeys(STATUS_STYLE, 0)
    for probe in report.probes:
        status = _status(probe)
        counts[status] = counts.get(status, 0) + 1
    return counts


def _printable(text: str) -> str:
    """`text` without control characters (other than newline and tab) that could upset output."""
    return "".join(
        ch if ch in "\n\t" or not (ord(ch) < 32 or 127 <= ord(ch) < 160) else "\ufffd"
        for ch in text
    )


def _problem_name(report: GradeReport) -> str:
    return report.problem_title or report.problem or "problem unknown"


def _probe_name(probe: ProbeResult) -> str:
    return probe.title or probe.id


def _cited(report: GradeReport) -> list[str]:
    """The mistakes to explain: the report's own list, then any a non-passing probe cites too."""
    cited = list(report.mistakes)
    for probe in report.probes:
        if probe.mistake and _status(probe) != "pass" and probe.mistake not in cited:
            cited.append(probe.mistake)
    return cited


def _observations(report: GradeReport, mistake_id: str | None) -> list[tuple[list[str], str]]:
    """(probe names, message) for the non-passing probes citing `mistake_id`, same messages merged.

    With `mistake_id` None: the non-passing probes that cite no mistake but say something.
    """
    grouped: dict[str, list[str]] = {}
    for probe in report.probes:
        if _status(probe) in ("pass", "skip") or probe.mistake != mistake_id:
            continue
        if mistake_id is None and not probe.message:
            continue
        grouped.setdefault(probe.message, []).append(_probe_name(probe))
    return [(names, message) for message, names in grouped.items()]


def _output_head(output: str) -> tuple[str, int]:
    """The first lines of the candidate's output and how many lines were left out."""
    lines = _printable(output).rstrip("\n").splitlines()
    return "\n".join(lines[:OUTPUT_LINES]), max(0, len(lines) - OUTPUT_LINES)


# ---------------------------------------------------------------------------------------------
# json


def render_json(reports: list[GradeReport]) -> str:
    """One compact JSON object per report, one per line (schema `coach.grade/1`)."""
    return "".join(
        json.dumps(
            _finite(report.to_json()), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        )
        + "\n"
        for report in reports
    )


def render_csv(reports: list[GradeReport]) -> str:
    """One row per file (DESIGN §5): file, problem, score, verdict, mistakes, time, error."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in reports:
        score = f"{r.score:.1f}" if _is_finite(r.score) else ""
        duration = f"{r.duration_s:.3f}" if _is_finite(r.duration_s) else ""
        row = (r.file, r.problem or "", score, r.verdict, ";".join(r.mistakes), duration, r.error)
        writer.writerow([_printable(str(v or "")) for v in row])
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# rich


def preload(fmt: str) -> None:
    """Import what rendering `fmt` needs; the grader runs this in a thread while it waits
    on the workers, so the imports cost no time of their own."""
    if fmt in ("rich", "html"):
        import rich.console
        import rich.panel
        import rich.syntax
        import rich.table
        import rich.text  # noqa: F401


_SESSION_NAMES = (  # a shell command's name in text shown inside a session -> the session's
    (r"`coach show [^`]*`", "`statement`"),
    (r"`coach check [^`]*`", "`check`"),
    (r"`coach grade [^`]*`", "`grade`"),
)


def in_session(text: str) -> str:
    """Text for inside a session: `statement`, `check`, `grade` where it names `coach show
    PROBLEM`, `coach check FILE`, `coach grade FILE`, the commands typed at the prompt."""
    import re

    for pattern, name in _SESSION_NAMES:
        text = re.sub(pattern, name, text)
    return text


def print_rich(console: Console, reports: list[GradeReport], *, session: bool = False) -> None:
    """Print the reports to a rich console: header, probe table, mistakes with their fixes
    (naming the session's commands when `session`)."""
    if not reports:
        console.print("No files were graded.")
        return
    catalogue = _catalogue() if any(_cited(r) for r in reports) else {}
    for index, report in enumerate(reports):
        if index:
            console.print()
            console.rule()
        for renderable in _rich_report(report, catalogue, session=session):
            console.print(renderable)
    if len(reports) > 1:
        from coach.summary import rich_summary

        for renderable in rich_summary(reports, _printable):
            console.print()
            console.print(renderable)


def _rich_report(
    report: GradeReport, catalogue: dict[str, Any], *, session: bool = False
) -> list[RenderableType]:
    from rich.console import Group
    from rich.panel import Panel
    from rich.syntax import Syntax
    from rich.table import Table
    from rich.text import Text

    verdict_style = VERDICT_STYLE.get(report.verdict, "bold")
    problem = _problem_name(report)
    header = Text()
    header.append(_printable(problem), style="bold")
    if report.problem_title and report.problem_title != report.problem:
        header.append(f"  ({report.problem})", style="dim")
    header.append("\n\n")
    header.append(_score(report), style="bold")
    header.append("   ")
    header.append(report.verdict, style=f"bold {verdict_style}")
    details = _details(report)
    if details:
        header.append("\n\n")
        header.append(details, style="dim")
    counts = _counts(report)
    if report.probes:
        summary = ", ".join(f"{n} {STATUS_WORDS.get(s, s)}" for s, n in counts.items() if n)
        header.append(f"\n{len(report.probes)} probes: {summary}", style="dim")
    out: list[RenderableType] = [
        Panel(
            header,
            title=Text(_printable(report.file), style="bold"),
            title_align="left",
            border_style=verdict_style,
            expand=False,
            padding=(1, 4),
        )
    ]

    if report.error:
        out.append(
            Panel(
                Text(_printable(report.error), style="bold red"),
                title=Text("Your file could not be run", style="bold red"),
                title_align="left",
                subtitle="every probe needs it to import, so none of them ran",
                border_style="red",
            )
        )

    if report.probes:
        table = Table(title="Probes", title_justify="left", header_style="bold", expand=False)
        table.add_column("status", no_wrap=True)
        table.add_column("probe")
        table.add_column("points", justify="right", no_wrap=True)
        table.add_column("time", justify="right", no_wrap=True)
        table.add_column("mistake", style="dim")
        for probe in report.probes:
            status = _status(probe)
            icon, style = STATUS_STYLE.get(status, ("?", ""))
            table.add_row(
                Text(f"{icon} {status}", style=style),
                Text(_printable(_probe_name(probe))),
                f"{_number(probe.points)}/{_number(probe.max_points)}",
                _ms(probe.duration_s),
                Text(probe.mistake or "") if status != "pass" else "",
            )
        out.append(table)

    for mistake_id in _cited(report):
        body: list[RenderableType] = []
        observations = _observations(report, mistake_id)
        if observations:
            body.append(Text("What the grader saw", style="bold"))
            for names, message in observations:
                line = Text("  • ")
                line.append(_printable(", ".join(names)), style="bold")
                if message:
                    line.append(": " + _printable(message))
                body.append(line)
        fix, good = _advice(catalogue, report, mistake_id)
        fix = in_session(fix) if session else fix
        if fix:
            body.append(Text())
            body.append(Text.assemble(("Fix: ", "bold green"), _printable(fix)))
        if good:
            body.append(Text())
            body.append(Syntax(good.strip("\n"), "python", theme="ansi_dark", word_wrap=True))
        body.append(Text(f"\nmore: coach mistakes {mistake_id}", style="dim"))
        title = Text(_printable(_mistake_title(catalogue, mistake_id)), style="bold red")
        if title.plain != mistake_id:
            title.append(f" ({mistake_id})", style="dim")
        out.append(Panel(Group(*body), title=title, title_align="left", border_style="red"))

    others = _observations(report, None)
    if others:
        lines = Text()
        for i, (names, message) in enumerate(others):
            if i:
                lines.append("\n")
            lines.append("• ")
            lines.append(_printable(", ".join(names)), style="bold")
            lines.append(": " + _printable(message))
        out.append(Panel(lines, title="Other problems", title_align="left", border_style="yellow"))

    if report.aliases_used:
        aliases = Text("Aliases used: ", style="bold")
        aliases.append(
            ", ".join(f"{_printable(k)} → {_printable(v)}" for k, v in report.aliases_used.items())
        )
        out.append(aliases)

    for note in report.notes:
        out.append(Text(f"Note: {_printable(note)}", style="italic"))

    if report.candidate_output.strip():
        head, more = _output_head(report.candidate_output)
        text = Text(head, style="dim")
        if more:
            text.append(f"\n… {more} more line{'s' if more != 1 else ''}", style="dim italic")
        out.append(
            Panel(text, title="What your file printed", title_align="left", border_style="dim")
        )
    return out


# ---------------------------------------------------------------------------------------------
# markdown


def _md(text: str) -> str:
    """Text safe inside a Markdown paragraph, list item or table cell (one line)."""
    text = _printable(text).replace("\r", "").replace("\n", " ").replace("\t", " ")
    for ch in "\\`*<>|":
        text = text.replace(ch, "\\" + ch)
    return text


def _fence(code: str, lang: str = "") -> str:
    fence = "```"
    while fence in code:
        fence += "`"
    return f"{fence}{lang}\n{code.rstrip()}\n{fence}"


def render_markdown(reports: list[GradeReport]) -> str:
    """The reports as GitHub-flavoured Markdown."""
    catalogue = _catalogue() if any(_cited(r) for r in reports) else {}
    parts = [_markdown_report(report, catalogue) for report in reports]
    if len(reports) > 1:
        from coach.summary import markdown_summary

        parts.append(markdown_summary(reports, _md))
    return "\n\n".join(parts) + "\n" if parts else ""


def _markdown_report(report: GradeReport, catalogue: dict[str, Any]) -> str:
    lines = [f"## {_md(report.file)} — {_md(_problem_name(report))}", ""]
    score_line = f"**Score: {_score(report)}** · **Verdict: {report.verdict}**"
    details = _details(report)
    if details:
        score_line += f" · {details}"
    lines += [score_line, ""]
    if report.error:
        quoted = "\n".join("> " + line for line in _fence(_printable(report.error)).splitlines())
        lines += ["> **Your file could not be run.**", ">", quoted, ""]
    if report.probes:
        lines += ["| status | probe | points | time |", "|---|---|---:|---:|"]
        for probe in report.probes:
            status = _status(probe)
            icon = STATUS_STYLE.get(status, ("?", ""))[0]
            points = f"{_number(probe.points)}/{_number(probe.max_points)}"
            name = _md(_probe_name(probe))
            lines.append(f"| {icon} {status} | {name} | {points} | {_ms(probe.duration_s)} |")
        lines.append("")
    cited = _cited(report)
    others = _observations(report, None)
    if cited or others:
        lines += ["### Mistakes", ""]
    for mistake_id in cited:
        title = _mistake_title(catalogue, mistake_id)
        heading = f"{_md(title)} (`{mistake_id}`)" if title != mistake_id else f"`{mistake_id}`"
        lines += [f"#### {heading}", ""]
        for names, message in _observations(report, mistake_id):
            item = f"- **{_md(', '.join(names))}**"
            lines.append(f"{item}: {_md(message)}" if message else item)
        fix, good = _advice(catalogue, report, mistake_id)
        if fix:
            lines += ["", f"**Fix:** {_md(fix)}"]
        if good:
            lines += ["", _fence(good.strip("\n"), "python")]
        lines.append("")
    if others:
        lines += ["#### Other problems", ""]
        lines += [f"- **{_md(', '.join(names))}**: {_md(message)}" for names, message in others]
        lines.append("")
    if report.aliases_used:
        aliases = ", ".join(f"`{k}` → `{v}`" for k, v in report.aliases_used.items())
        lines += [f"**Aliases used:** {aliases}", ""]
    lines += [f"*Note: {_md(note)}*\n" for note in report.notes]
    if report.candidate_output.strip():
        head, more = _output_head(report.candidate_output)
        lines += ["### What your file printed", "", _fence(head)]
        if more:
            lines.append(f"*… {more} more line{'s' if more != 1 else ''}*")
        lines.append("")
    return "\n".join(lines).rstrip("\n")


# ---------------------------------------------------------------------------------------------
# junit


def _xml(text: str) -> str:
    """`text` without the characters XML 1.0 cannot hold."""
    return "".join(
        ch
        if ch in "\t\n\r"
        or 0x20 <= ord(ch) <= 0xD7FF
        or 0xE000 <= ord(ch) <= 0xFFFD
        or 0x10000 <= ord(ch) <= 0x10FFFF
        else "\ufffd"
        for ch in text
    )


def _seconds(value: Any) -> str:
    return f"{value:.3f}" if _is_finite(value) else "0.000"


def render_junit(reports: list[GradeReport]) -> str:
    """The reports as JUnit XML: one testsuite per file, one testcase per probe."""
    import xml.etree.ElementTree as ET

    catalogue = _catalogue() if any(_cited(r) for r in reports) else {}
    root = ET.Element("testsuites", name="coach")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    total_time = 0.0
    for report in reports:
        counts = _counts(report)
        cases = len(report.probes) or (1 if report.error else 0)
        failures = counts["fail"]
        errors = (
            counts["error"] + counts["timeout"] + (1 if report.error and not report.probes else 0)
        )
        suite_counts = {
            "tests": cases,
            "failures": failures,
            "errors": errors,
            "skipped": counts["skip"],
        }
        for key, value in suite_counts.items():
            totals[key] += value
        if _is_finite(report.duration_s):
            total_time += report.duration_s
        suite = ET.SubElement(
            root,
            "testsuite",
            name=_xml(report.file),
            **{key: str(value) for key, value in suite_counts.items()},
            time=_seconds(report.duration_s),
        )
        properties = ET.SubElement(suite, "properties")
        props = {
            "problem": report.problem or "",
            "score": f"{report.score:.1f}" if _is_finite(report.score) else "nan",
            "max_score": str(report.max_score),
            "verdict": report.verdict,
        }
        if report.error:
            props["error"] = report.error
        for key, value in report.aliases_used.items():
            props[f"alias.{key}"] = value
        for key, value in props.items():
            ET.SubElement(properties, "property", name=key, value=_xml(value))
        classname = f"coach.{report.problem or 'unknown'}"
        for probe in report.probes:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=_xml(classname),
                name=_xml(probe.id),
                time=_seconds(probe.duration_s),
            )
            status = _status(probe)
            if status == "skip":
                skipped = ET.SubElement(case, "skipped")
                if probe.message:
                    skipped.set("message", _xml(probe.message))
            elif status != "pass":
                tag = "failure" if status == "fail" else "error"
                kind = probe.mistake or ("timeout" if status == "timeout" else tag)
                message = f"[{probe.mistake}] {probe.message}" if probe.mistake else probe.message
                element = ET.SubElement(case, tag, message=_xml(message), type=_xml(kind))
                body = [f"{_probe_name(probe)}: {probe.message or status}"]
                if probe.mistake:
                    title = _mistake_title(catalogue, probe.mistake)
                    if title != probe.mistake:
                        body.append(f"mistake: {title} ({probe.mistake})")
                    fix = _advice(catalogue, report, probe.mistake)[0]
                    if fix:
                        body.append(f"fix: {fix}")
                element.text = _xml("\n".join(body))
        if report.error and not report.probes:
            case = ET.SubElement(suite, "testcase", classname=_xml(classname), name="import")
            case.set("time", "0.000")
            ET.SubElement(case, "error", message=_xml(report.error), type="import").text = _xml(
                report.error
            )
        if report.candidate_output:
            ET.SubElement(suite, "system-out").text = _xml(report.candidate_output)
        if report.error:
            ET.SubElement(suite, "system-err").text = _xml(report.error)
    for key, value in totals.items():
        if key != "skipped":  # the format counts skipped tests per suite only
            root.set(key, str(value))
    root.set("time", _seconds(total_time))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"
