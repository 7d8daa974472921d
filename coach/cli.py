"""The `coach` command line: argument parsing over the core modules, nothing more."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from coach.errors import CoachError, ExitStatus

app = typer.Typer(
    name="coach",
    help="A coach for machine-learning coding interviews: practise, get graded, learn.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class SandboxChoice(str, Enum):
    auto = "auto"
    bwrap = "bwrap"
    process = "process"


class Format(str, Enum):
    rich = "rich"
    json = "json"
    csv = "csv"
    html = "html"
    markdown = "markdown"
    junit = "junit"


ProblemsDir = Annotated[
    Optional[str],  # noqa: UP045 - typer reads the annotation at run time on 3.10
    typer.Option("--problems", help="An extra folder of problem specs (or $COACH_PROBLEMS)."),
]
Override = Annotated[
    bool,
    typer.Option(
        "--override", help="Let the folder's specs replace built-in problems of the same name."
    ),
]


def _console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(highlight=False)


def _views(problems: str | None, override: bool):  # type: ignore[no-untyped-def]
    """The bank, read from validated specs: no pydantic while the specs are unchanged."""
    from coach.bank import Bank

    return Bank.views(problems, override=override)


def _left_out(bank) -> None:  # type: ignore[no-untyped-def]
    """A note on stderr naming the specs left out for their errors."""
    from coach.bank import note_left_out

    note_left_out(bank)


def _print_version(value: bool) -> None:
    if value:
        from coach import __version__

        print(f"coach {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    pass


@app.command("list")
def list_problems(problems: ProblemsDir = None, override: Override = False) -> None:
    """Table of problems: id, title, difficulty, minutes, frequency, your best score."""
    from coach.problem_view import render_list

    bank = _views(problems, override)
    render_list(_console(), list(bank.specs.values()), _best_scores())
    _left_out(bank)


@app.command()
def show(
    problem: Annotated[str, typer.Argument(help="Problem id or alias, e.g. logistic.")],
    problems: ProblemsDir = None,
    override: Override = False,
) -> None:
    """Statement, required interface, time limit and visible examples."""
    from coach.problem_view import render_show

    bank = _views(problems, override)
    spec = bank.resolve(problem)
    _left_out(bank)
    render_show(_console(), spec)


@app.command()
def grade(
    files: Annotated[
        list[Path], typer.Argument(help="Candidate files, or folders of them, to grade.")
    ],
    problem: Annotated[Optional[str], typer.Option(help="Problem id or alias.")] = None,  # noqa: UP045
    fmt: Annotated[Format, typer.Option("--format", help="Report format.")] = Format.rich,
    output: Annotated[Optional[Path], typer.Option(help="Write the report here.")] = None,  # noqa: UP045
    jobs: Annotated[int, typer.Option(min=1, help="Files graded in parallel.")] = 1,
    timeout: Annotated[
        float, typer.Option(min=1.0, help="Seconds allowed for grading one file.")
    ] = 60.0,
    min_score: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option(min=0, max=100, help="Exit 1 when a file scores below this (0-100)."),
    ] = None,
    sandbox: Annotated[
        SandboxChoice, typer.Option(help="bwrap (no network, coach's files hidden) or process.")
    ] = SandboxChoice.auto,
    problems: ProblemsDir = None,
    override: Override = False,
    shard: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Grade only the K-th of N slices of the sorted files (K/N)."),
    ] = None,
) -> None:
    """Run the hidden grader on one or more files and print the scored report."""
    from coach.batch import grade_files
    from coach.file_list import candidate_files
    from coach.file_list import shard as slice_of
    from coach.limits import Limits

    files = candidate_files(files)
    if shard is not None:
        files = slice_of(files, shard)
        if not files:  # more shards than files: this one has nothing to grade
            return
    _check_output(output)
    limits = Limits(grade_s=timeout, sandbox=sandbox.value)
    with _progress(len(files)) as watcher:
        reports = grade_files(
            files,
            problem=problem,
            jobs=jobs,
            limits=limits,
            problems=problems,
            override=override,
            meanwhile=_preload(fmt),
            watcher=watcher,
            check=_check_home,
        )
    _emit(reports, fmt, output)
    _record(reports)
    below = [r for r in reports if min_score is not None and r.score < min_score]
    if below:
        print(f"coach: {_below_line(below, len(reports), min_score)}", file=sys.stderr)
        raise typer.Exit(ExitStatus.BELOW_MIN_SCORE)


def _below_line(below, total: int, bar: float | None) -> str:  # type: ignore[no-untyped-def]
    """One line: which file scored what against the bar, or how many of a batch fell short."""
    if len(below) == 1:
        report = below[0]
        batch = f" (1 of {total} files)" if total > 1 else ""
        return f"{report.file} scored {report.score:g}, below --min-score {bar:g}{batch}"
    return f"{len(below)} of {total} files scored below --min-score {bar:g}"


def _check_output(output: Path | None) -> None:
    """Refuse an --output that cannot be written before any file is graded."""
    if output is None:
        return
    if output.is_dir():
        raise CoachError(f"--output {output} is a folder; give a file name")
    if not output.parent.is_dir():
        raise CoachError(f"--output {output}: no such folder {output.parent}")


def _check_home() -> None:
    """The history must be readable before a batch is graded, not after."""
    from coach.store import Store

    with Store():
        pass


def _progress(total: int):  # type: ignore[no-untyped-def]
    """On a terminal, a spinner naming the probe (one file) or a bar (a batch) on stderr;
    nothing when stderr is piped."""
    import contextlib

    if not sys.stderr.isatty():
        return contextlib.nullcontext()
    from coach.progress_view import GradeProgress

    return GradeProgress(total)


def _preload(fmt: Format):  # type: ignore[no-untyped-def]
    """What to import while the grader waits on its workers: the report's renderer."""
    from functools import partial

    from coach import report

    return partial(report.preload, fmt.value)


def _emit(reports, fmt: Format, output: Path | None) -> None:  # type: ignore[no-untyped-def]
    from coach import report

    if fmt is Format.rich and output is None:
        report.print_rich(_console(), reports)
        return
    what = f"{len(reports)} report{'s' if len(reports) != 1 else ''} ({fmt.value})"
    _write(report.render(reports, fmt.value), output, what)


def _write(text: str, output: Path | None, what: str) -> None:
    """`text` (ending in a newline) to stdout, or to `output` with a line saying so."""
    text = text if text.endswith("\n") else text + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CoachError(f"cannot write {output}: {exc.strerror}") from None
    print(f"coach: wrote {what} to {output}", file=sys.stderr)


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="The candidate file.")],
    problem: Annotated[Optional[str], typer.Option(help="Problem id or alias.")] = None,  # noqa: UP045
    problems: ProblemsDir = None,
    override: Override = False,
) -> None:
    """Run only the visible examples: fast feedback, no score."""
    from coach.detect import check_file, detect
    from coach.examples import run_examples
    from coach.problem_view import render_check

    check_file(file)
    bank = _views(problems, override)
    spec = detect(file, bank, problem)
    _left_out(bank)
    results = run_examples(spec, file)
    render_check(_console(), spec, file, results)
    if not all(r.passed for r in results):
        raise typer.Exit(1)  # a visible example fails: as a failing test would


@app.command()
def mistakes(
    mistake: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(help="A mistake id, e.g. log-of-zero."),
    ] = None,
) -> None:
    """The mistake catalogue and stability cheat sheet, or one entry with bad and good code."""
    from coach import catalogue

    if mistake is None:
        catalogue.render_catalogue(_console())
    else:
        catalogue.render_mistake(_console(), catalogue.get_mistake(mistake).id)


@app.command()
def validate(
    path: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Argument(help="A spec file or a folder of specs (default: every known problem)."),
    ] = None,
    problems: ProblemsDir = None,
    override: Override = False,
) -> None:
    """Check problem specs, reporting every error: schema, probe and mistake ids, starter,
    names, and that the reference solution scores 100."""
    from coach.validation import render_validation, validate_specs

    results = validate_specs(path, problems, override=override)
    render_validation(_console(), results)
    if any(not r.ok for r in results):
        raise typer.Exit(ExitStatus.USAGE)


class DebriefFormat(str, Enum):
    rich = "rich"
    markdown = "markdown"


@app.command()
def history(
    limit: Annotated[int, typer.Option(min=1, help="How many sessions.")] = 50,
    show: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--show", help="Print the debrief of session ID (ids: `coach history`)."),
    ] = None,
    fmt: Annotated[
        Optional[DebriefFormat],  # noqa: UP045
        typer.Option("--format", help="With --show: rich (default) or markdown."),
    ] = None,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="With --show: write the debrief there, as Markdown."),
    ] = None,
    abandon: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--abandon", metavar="ID", help="Give up an unfinished session (kept)."),
    ] = None,
) -> None:
    """Past sessions: id, date, problem, mode, folder, score, verdict, time used, hints;
    with --show ID, one session's debrief; with --abandon ID, give up an unfinished one."""
    from coach.history_view import render_history
    from coach.store import Store

    if show is not None and abandon is not None:
        raise CoachError("--show and --abandon take one session each: give one of them")
    if show is None:
        if fmt is not None or output is not None:
            raise CoachError("--format and --output go with --show ID (a session's debrief)")
        with Store() as store:
            if abandon is not None:
                row = store.abandon(abandon)
                print(f"coach: session {row.id} ({row.problem}) is marked abandoned")
                return
            render_history(_console(), store.sessions(limit))
        return
    if output is not None and fmt is DebriefFormat.rich:
        raise CoachError("--output writes Markdown: use --format markdown, or leave it out")
    _check_output(output)
    _show_debrief(show, DebriefFormat.markdown if output else fmt, output)


def _show_debrief(session_id: int, fmt: DebriefFormat | None, output: Path | None) -> None:
    from coach.debrief import build_debrief, render_markdown, render_rich
    from coach.store import Store

    with Store() as store:
        row = store.session(session_id)  # one line, exit 2, for an unknown id
        debrief = build_debrief(store, row.id, _problem_title(row.problem))
    if fmt is not DebriefFormat.markdown:
        render_rich(_console(), debrief)
        return
    _write(render_markdown(debrief), output, f"the debrief of session {session_id}")


def _problem_title(problem: str) -> str:
    """A problem's title, or its id when the bank does not have it (any more)."""
    try:
        return str(_views(None, False).specs[problem].title)
    except (CoachError, KeyError, AttributeError):
        return problem


@app.command()
def stats(
    problems: ProblemsDir = None,
    override: Override = False,
    every: Annotated[
        bool, typer.Option("--all", help="Count `coach grade` runs outside sessions too.")
    ] = False,
) -> None:
    """Best and last score per problem, most frequent mistakes, trend, what to try next:
    over the sessions `coach history` lists (with --all, ad-hoc grades too)."""
    from coach.history_view import render_stats
    from coach.store import Store

    bank = _views(problems, override)
    _left_out(bank)
    frequency = {s.id: s.frequency for s in bank.specs.values()}
    with Store() as store:
        store.adhoc = every
        render_stats(_console(), store, frequency)


def _best_scores() -> dict[str, float] | None:
    """Best score per problem from the history; none when it cannot be read."""
    from coach.store import Store

    try:
        with Store() as store:
            return store.best_scores()
    except CoachError as exc:
        print(f"coach: note: {exc}", file=sys.stderr)
        return None


def _record(reports) -> None:  # type: ignore[no-untyped-def]
    """Keep graded attempts in the history; a history problem never costs the report."""
    from coach.store import Store

    try:
        with Store() as store:
            for report in reports:
                if report.problem:  # not a file whose problem could not be told
                    store.record_attempt(report, kind="grade")
    except CoachError as exc:
        print(f"coach: note: the attempt was not saved: {exc}", file=sys.stderr)


def _register_session_commands() -> None:
    """start, mock, resume and solution live in their own module."""
    from coach.cli_session import register

    register(app)


_register_session_commands()


def run(argv: list[str]) -> int:
    """Run the command line and return the exit status; errors become one line."""
    # typer re-exports click's Exit and Abort; ClickException is their usage-error base
    click_exception = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
    try:
        code = app(args=argv, prog_name="coach", standalone_mode=False)
    except CoachError as exc:
        print(f"coach: error: {exc}", file=sys.stderr)
        return int(exc.exit_status)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        print("\ncoach: interrupted", file=sys.stderr)
        return int(ExitStatus.INTERRUPTED)
    except click_exception as exc:  # one line, as for every other bad input
        ctx = getattr(exc, "ctx", None)
        where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        message = " ".join(exc.format_message().split())
        print(f"coach: error: {message}{where}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("\ncoach: interrupted", file=sys.stderr)
        return int(ExitStatus.INTERRUPTED)
    except BrokenPipeError:
        return int(ExitStatus.OK)
    except Exception as exc:  # a bug in coach: one line unless asked for the traceback
        if os.environ.get("COACH_DEBUG"):
            raise
        print(f"coach: internal error: {exc!r} (set COACH_DEBUG=1 to see where)", file=sys.stderr)
        return int(ExitStatus.INTERNAL)
    return code if isinstance(code, int) else int(ExitStatus.OK)


def main() -> None:
    """Entry point: run, flush, and leave at once (workers are already gone)."""
    code = run(sys.argv[1:])
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        pass
    os._exit(code)


if __name__ == "__main__":
    main()
