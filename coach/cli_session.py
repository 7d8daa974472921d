"""The session commands for the command line: start, mock, resume, solution.

`register(app)` adds them to the main `coach` app (coach/cli.py); until then
`python -m coach.cli_session ARGS` runs the whole command line with them added.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Optional

import typer

session_app = typer.Typer(
    name="coach",
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Problem = Annotated[str, typer.Argument(help="Problem id or alias, e.g. logistic.")]
Watch = Annotated[
    bool, typer.Option("--watch/--no-watch", help="Run check each time the file is saved.")
]


Directory = Annotated[
    Optional[Path],  # noqa: UP045 - typer reads the annotation at run time on 3.10
    typer.Option("--dir", help="Folder for the starter file, made if missing (default: here)."),
]


def start(
    problem: Problem,
    directory: Directory = None,
    minutes: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option(help="Time limit in minutes (fractions allowed; default: the problem's)."),
    ] = None,
    watch: Watch = True,
    fresh: Annotated[
        bool,
        typer.Option("--fresh", help="Start over: the old file is kept as a timestamped backup."),
    ] = False,
) -> None:
    """Practice session: writes the starter file (never over an existing one), shows the
    statement, opens a prompt with a live countdown."""
    from coach.session_commands import start as run

    raise typer.Exit(run(problem, directory, minutes, watch, fresh))


def mock(
    problem: Annotated[
        Optional[str],  # noqa: UP045
        typer.Argument(help="Problem id or alias (default: picked for you)."),
    ] = None,
    directory: Directory = None,
    minutes: Annotated[float, typer.Option(help="Time limit in minutes.")] = 45.0,
    watch: Watch = True,
) -> None:
    """Timed mock interview: one submit, hints cost points, follow-up questions at the end."""
    from coach.session_commands import mock as run

    raise typer.Exit(run(problem, minutes, watch, directory))


def resume(watch: Watch = True) -> None:
    """Continue the last unfinished session with its remaining time."""
    from coach.session_commands import resume as run

    raise typer.Exit(run(watch))


def solution(
    problem: Problem,
    force: Annotated[bool, typer.Option("--force", help="Show it even before a submit.")] = False,
) -> None:
    """The reference solution, with a note at each line that avoids a catalogued mistake."""
    from coach.session_commands import show_solution

    raise typer.Exit(show_solution(problem, force))


COMMANDS: dict[str, Callable[..., None]] = {
    "start": start,
    "mock": mock,
    "resume": resume,
    "solution": solution,
}


def register(app: typer.Typer) -> None:
    """Add start, mock, resume and solution to `app` (once)."""
    have = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    for name, fn in COMMANDS.items():
        if name not in have:
            app.command(name)(fn)


register(session_app)


def main() -> None:
    """The whole `coach` command line with the session commands added."""
    from coach import cli

    register(cli.app)
    sys.argv[0] = "coach"
    cli.main()


if __name__ == "__main__":
    main()
