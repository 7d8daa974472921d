"""The session commands as plain functions for the command line: start, mock, resume,
solution. Each returns an exit status; a problem with the input is a CoachError (one line,
status 2), as for every other command."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from coach.errors import CoachError, ExitStatus

if TYPE_CHECKING:
    from rich.console import Console

    from coach.session import Session
    from coach.specs import Bank, ProblemSpec
    from coach.store import SessionRow, Store


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def _bank() -> Bank:
    from coach.specs import Bank

    return Bank.load()


def _resolve(bank: Bank, name: str) -> ProblemSpec:
    """The spec of a name, then a note on specs left out for their errors."""
    from coach.bank import note_left_out

    spec = bank.resolve(name)
    note_left_out(bank)
    return spec


def _store() -> Store:
    from coach.store import Store

    return Store()


def _check_minutes(minutes: float | None) -> None:
    import math

    if minutes is not None and (not math.isfinite(minutes) or minutes <= 0):
        raise CoachError(f"--minutes must be a number above 0, not {minutes:g}")


def _intro(console: Console, session: Session, resumed: bool = False) -> None:
    from rich.markup import escape

    from coach.phases import clock_text
    from coach.repl import minutes_text
    from coach.session import HINT_PENALTY, remaining_text

    s = session
    kind = "Mock interview" if s.is_mock else "Practice session"
    if resumed:
        left = s.time_left()
        where = f"{remaining_text(left)} left" if left > 0 else f"overtime {remaining_text(left)}"
        console.print(
            f"[bold]{kind} resumed[/]: {escape(s.spec.title)} — {clock_text(s.elapsed())} used "
            f"of {clock_text(s.limit_s)}, {where}; hints used: {s.hints_used}; "
            f"phase: {escape(s.phase().title)}."
        )
    else:
        console.print(f"[bold]{kind}[/]: {escape(s.spec.title)} — {minutes_text(s.minutes)}.")
    rules = "Type `help` for the commands; the bar at the bottom counts down."
    if s.is_mock:
        rules = (
            f"One submit, no grade before it; each hint costs {HINT_PENALTY:g} points; "
            "it submits itself at zero. Follow-up questions come after the report. "
            "`help` lists the commands."
        )
    console.print(f"[dim]{escape(rules)}[/]")


def _run(session: Session, console: Console, watch: bool) -> int:
    from coach.repl import run_repl

    console.print(f"Your file: [bold]{session.path}[/]")
    return run_repl(session, console=console, watch=watch)


def _open(
    spec: ProblemSpec,
    directory: Path,
    *,
    mode: str,
    minutes: float | None,
    fresh: bool,
    console: Console,
) -> Session:
    from coach.problem_view import render_show
    from coach.session import Session

    if not directory.is_dir():
        try:
            directory.mkdir(parents=True)
        except OSError as exc:
            raise CoachError(f"cannot make the folder {directory}: {exc.strerror}") from None
        console.print(f"Made the folder [bold]{directory}[/].")
    session, starter = Session.start(
        spec, directory, mode=mode, minutes=minutes, fresh=fresh, store=_store()
    )
    if starter.backup is not None:
        console.print(f"Kept your earlier file as [bold]{starter.backup}[/].")
    if starter.created:
        console.print(f"Wrote the starter file [bold]{starter.path}[/].")
    else:
        console.print(
            f"[yellow]{starter.path} exists: the session continues on it, unchanged[/] "
            "[dim](--fresh starts over and keeps it as a backup)[/]"
        )
    render_show(console, spec, in_session=True)
    _intro(console, session)
    return session


def start(
    problem: str,
    directory: Path | None = None,
    minutes: float | None = None,
    watch: bool = True,
    fresh: bool = False,
) -> int:
    """`coach start PROBLEM [--dir DIR] [--minutes N] [--no-watch] [--fresh]`."""
    _check_minutes(minutes)
    console = _console()
    spec = _resolve(_bank(), problem)
    folder = directory or Path.cwd()
    store = _store()
    earlier = store.unfinished_on((folder / f"{spec.id}.py").resolve(), "practice")
    if earlier is not None:
        if not fresh and _wants_resume(console, earlier):
            return _continue(earlier, spec, store, console, watch)
        store.abandon(earlier.id)
        console.print(f"[dim]Session {earlier.id} on that file is marked abandoned.[/]")
    session = _open(
        spec,
        (directory or Path.cwd()),
        mode="practice",
        minutes=minutes,
        fresh=fresh,
        console=console,
    )
    return _run(session, console, watch)


def mock(
    problem: str | None = None,
    minutes: float = 45.0,
    watch: bool = True,
    directory: Path | None = None,
) -> int:
    """`coach mock [PROBLEM] [--dir DIR] [--minutes 45] [--no-watch]`: without PROBLEM, one drawn by
    interview frequency and your weak spots. A mock starts from the starter: an earlier
    file of the same name is kept as a timestamped backup."""
    _check_minutes(minutes)
    console = _console()
    bank = _bank()
    if problem is None:
        frequency = {spec.id: spec.frequency for spec in bank.specs.values()}
        spec = _resolve(bank, _store().pick_mock_problem(frequency))
        console.print(f"Your interviewer picked: [bold]{spec.title}[/] ({spec.id}).")
    else:
        spec = _resolve(bank, problem)
    session = _open(
        spec, directory or Path.cwd(), mode="mock", minutes=minutes, fresh=True, console=console
    )
    return _run(session, console, watch)


def resume(watch: bool = True) -> int:
    """`coach resume [--no-watch]`: the last unfinished session, with the time it had left."""
    from coach.session import write_starter

    console = _console()
    store = _store()
    row = store.last_unfinished()
    if row is None:
        raise CoachError("no unfinished session to resume; `coach start PROBLEM` begins one")
    spec = _resolve(_bank(), row.problem)
    path = Path(row.file)
    if not path.exists():
        write_starter(spec, path)
        console.print(f"[yellow]{path} was gone: wrote the starter there again.[/]")
    return _continue(row, spec, store, console, watch)


def _continue(
    row: SessionRow, spec: ProblemSpec, store: Store, console: Console, watch: bool
) -> int:
    from coach.session import Session

    session = Session.resume(row, spec, store=store)
    _intro(console, session, resumed=True)
    return _run(session, console, watch)


def _wants_resume(console: Console, row: SessionRow) -> bool:
    """Ask whether to resume the unfinished session on the file (yes when no one can answer)."""
    import sys

    from coach.phases import clock_text

    console.print(
        f"An unfinished session ({row.id}, {clock_text(row.elapsed_s)} used) is on this file."
    )
    if not sys.stdin.isatty():
        console.print("Resuming it (`--fresh` starts anew).")
        return True
    try:
        answer = input("Resume it? [Y/n] (n starts a new session on the file as it is) ")
    except EOFError:
        return True
    return answer.strip().lower() not in ("n", "no")


def show_solution(problem: str, force: bool = False) -> int:
    """`coach solution PROBLEM [--force]`: after a submit, the reference solution with notes."""
    from coach.solution_view import render_solution

    spec = _resolve(_bank(), problem)
    if not force and not submitted(_store(), spec.id):
        raise CoachError(
            f"the reference solution for {spec.id} opens after you submit a session on it "
            f"(`coach start {spec.id}`, then `submit`), or with --force"
        )
    render_solution(_console(), spec)
    return int(ExitStatus.OK)


def submitted(store: Store, problem: str) -> bool:
    """Whether any session on `problem` was submitted."""
    return any(
        row.problem == problem and row.status == "submitted" for row in store.sessions(10_000)
    )
