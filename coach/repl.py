"""The interactive prompt of a session: a live countdown, phase nudges, commands, watch mode.

A prompt-toolkit prompt with a bottom toolbar (problem, phase, time left, hints, last result)
that a ticker redraws once a second, on the second. The ticker also prints the nudge of each
phase as it begins, saves the session every few seconds and, in a mock, submits at zero.
Saving the file (watch mode, via watchfiles in a thread) runs `check` and updates the toolbar;
all printing goes through `patch_stdout`, so output lands above the prompt and never garbles it.

Tests drive `Repl` with prompt-toolkit's pipe input, a `DummyOutput`, a console writing to a
string and a `FakeClock`, whose `sleep` moves fake time on at once: no real waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import hashlib
import math
import os
import shlex
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from coach.errors import CoachError
from coach.phases import Phase, budget_lines, clock_text, crossed
from coach.session import HINT_PENALTY, Session, SessionError, ignore_errors, remaining_text

if TYPE_CHECKING:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.formatted_text import StyleAndTextTuples
    from prompt_toolkit.input import Input
    from prompt_toolkit.output import Output
    from rich.console import Console

AUTOSAVE_S = 5.0  # session time between saves while the prompt waits ($COACH_SAVE_EVERY)
PROMPT = "coach> "
_TIME_UP = "\x00time-up"
_EARLY = 0.005  # seconds
_QUIT, _SUBMITTED = "quit", "submitted"
T = TypeVar("T")


class Interrupted(CoachError):
    """A check, grade or submit cancelled by Ctrl-C: the session goes on."""


def interruptible(action: Callable[[], T], what: str) -> T:
    """Run `action` (a check or grade) in a thread; a Ctrl-C meanwhile cancels it at once,
    its workers killed, and raises `Interrupted` here once the thread has unwound. Off the
    main thread (no signals there) it just runs `action`."""
    from coach.sandbox import Cancelled, allow_workers, cancel_all

    if threading.current_thread() is not threading.main_thread():
        return action()
    outcome: dict[str, Any] = {}
    cancelled = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = action()
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            outcome["error"] = exc

    def on_interrupt(_signum: int, _frame: Any) -> None:
        cancelled.set()
        cancel_all()

    thread = threading.Thread(target=run, name=f"coach-{what}", daemon=True)
    previous = signal.signal(signal.SIGINT, on_interrupt)
    wakeup = signal.set_wakeup_fd(-1)  # else the event loop sees this Ctrl-C at the next prompt
    try:
        thread.start()
        while thread.is_alive():  # short waits: the signal may wake another thread,
            thread.join(0.1)  # and its handler runs only when this one wakes
    finally:
        signal.set_wakeup_fd(wakeup)
        signal.signal(signal.SIGINT, previous)
        if cancelled.is_set():
            thread.join()
            allow_workers()
    error = outcome.get("error")
    if cancelled.is_set() or isinstance(error, Cancelled):
        raise Interrupted(f"{what} cancelled (Ctrl-C); the session goes on")
    if error is not None:
        raise error
    return outcome["value"]  # type: ignore[no-any-return]


COMMANDS: dict[str, str] = {
    "check": "run the visible examples on your file (fast, no score)",
    "grade": "run the hidden grader: score, verdict, mistakes (not in a mock)",
    "hint": "a hint: for the mistake your last check or grade found, else the next one",
    "statement": "show the problem statement and interface again",
    "edit": "open your file in $VISUAL or $EDITOR (or print its path)",
    "time": "time used and left, and the phase budget",
    "submit": "grade for the record and end the session",
    "quit": "save and leave; `coach resume` continues where you stopped",
    "help": "list the commands, or `help COMMAND`",
}
ALIASES = {"q": "quit", "exit": "quit", ":q": "quit", "?": "help", "h": "help", "t": "time"}

STYLE = {
    "bottom-toolbar": "noreverse bg:#1c3a5e #e4e4e4",
    "bottom-toolbar.key": "bold",
    "bottom-toolbar.ok": "bold #87d787",
    "bottom-toolbar.bad": "bold #ff8787",
    "bottom-toolbar.low": "bold #ffd75f",
    "bottom-toolbar.over": "bg:#af0000 #ffffff bold",
}


class FileWatcher:
    """Calls `on_change()` from a thread each time `path` is saved (watchfiles)."""

    def __init__(self, path: Path, on_change: Callable[[], None]) -> None:
        self.path = path
        self.on_change = on_change
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> bool:
        try:
            import watchfiles  # noqa: F401
        except ImportError:
            return False
        self._thread = threading.Thread(target=self._run, name="coach-watch", daemon=True)
        self._thread.start()
        return True

    def _run(self) -> None:
        from watchfiles import watch

        name = self.path.name

        def wanted(_change: Any, changed: str) -> bool:
            return Path(changed).name == name

        try:
            for _ in watch(
                self.path.parent,
                watch_filter=wanted,
                debounce=800,
                step=200,  # wake-ups per second of the watching thread: 5
                stop_event=self._stop,
                raise_interrupt=False,
                recursive=False,
            ):
                if self._stop.is_set():
                    break
                with contextlib.suppress(Exception):  # a watcher must never take the REPL down
                    self.on_change()
        except Exception:  # the folder went away, too many watches...: watch mode just stops
            return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha1(path.read_bytes()).hexdigest()
    except OSError:
        return None


class Repl:
    """The prompt of one session."""

    def __init__(
        self,
        session: Session,
        *,
        console: Console,
        input: Input | None = None,
        output: Output | None = None,
        watch: bool = True,
        ask: Callable[[str], str | None] | None = None,
        autosave_s: float = AUTOSAVE_S,
    ) -> None:
        self.session = session
        self.console = console
        self.input = input
        self.output = output
        self.watch = watch
        self.ask = ask or self._ask
        self.autosave_s = autosave_s
        self.commands = {
            name: text
            for name, text in COMMANDS.items()
            if not (session.is_mock and name == "grade")
        }
        self._prompt: PromptSession[str] | None = None
        self._watcher: FileWatcher | None = None
        self._last_elapsed = session.elapsed()
        self._last_save = self._last_elapsed
        self._time_up = False
        self._announced_time_up = False
        self._quiet = 0  # >0 while an editor has the terminal: output waits
        self._held: list[tuple[str, str]] = []
        self._print_lock = threading.RLock()
        self._digest = _digest(session.path)
        self._interrupts = 0
        self._sigint: Any = None  # the SIGINT handler before the prompt's
        self.outcome: str | None = None

    # -- output

    def say(self, text: str, style: str = "") -> None:
        """Print a line above the prompt (or later, while an editor has the terminal)."""
        with self._print_lock:
            if self._quiet:
                self._held.append((text, style))
                return
            self.console.print(text, style=style, markup=False, highlight=False)

    def _flush_held(self) -> None:
        with self._print_lock:
            held, self._held = self._held, []
        for text, style in held:
            self.say(text, style)

    def nudge(self, phase: Phase) -> None:
        at = clock_text(round(phase.start_s))
        if phase.id == "overtime":
            self._announced_time_up = True
        title = "time is up" if phase.id == "overtime" else phase.title
        self.say(f"▸ {at} {title} — {phase.nudge}", "bold magenta")

    # -- the status line

    def toolbar(self) -> StyleAndTextTuples:
        """The status line, fitted to the terminal: as it narrows, the phase goes first, then
        the word "left" and the hints; the time and the last check or grade always stay."""
        s = self.session
        left = s.time_left()
        result: StyleAndTextTuples = []
        if s.last_result:
            style = "class:bottom-toolbar.ok" if s.last_ok else "class:bottom-toolbar.bad"
            result = [("", "│ "), (style, f"{s.last_result} {'✓' if s.last_ok else '✗'}")]
            result.append(("", " "))
        hints = f"│ hints {s.hints_used}"
        if s.is_mock and s.hint_penalty:
            hints += f" (−{s.hint_penalty:g})"
        width = self._columns()
        for phase, word, with_hints in (
            (True, True, True),
            (False, True, True),
            (False, False, True),
            (False, False, False),
        ):
            parts: StyleAndTextTuples = [("class:bottom-toolbar.key", f" {s.spec.id} ")]
            if s.is_mock:
                parts.append(("class:bottom-toolbar.low", "MOCK "))
            if s.finished:
                parts.append(("", f"│ {s.status} "))
            elif left > 0:
                parts.append(("", f"│ {s.phase().title} │ " if phase else "│ "))
                style = "class:bottom-toolbar.low" if left <= min(300.0, s.limit_s / 6) else ""
                parts.append((style, remaining_text(left) + (" left" if word else "")))
                parts.append(("", " "))
            else:
                parts.append(("", "│"))
                over = f" overtime {remaining_text(left)} " if word else f" {remaining_text(left)} "
                parts.append(("class:bottom-toolbar.over", over))
                parts.append(("", " "))
            if with_hints:
                parts.append(("", hints + " "))
            parts += result
            if sum(len(text) for _, text in parts) <= width:
                break
        return parts

    def _columns(self) -> int:
        """The terminal's width (80 when there is no prompt to ask)."""
        prompt = self._prompt
        if prompt is not None:
            with contextlib.suppress(Exception):
                return int(prompt.app.output.get_size().columns)
        return 80

    def _invalidate(self) -> None:
        prompt = self._prompt
        if prompt is not None and prompt.app.is_running:
            prompt.app.invalidate()

    # -- the clock

    def _delay(self) -> float:
        """Seconds to the next change of the countdown's whole seconds."""
        delay = self.session.time_left() % 1.0
        return delay + 1.0 if delay < 0.02 else delay

    async def _ticker(self) -> None:
        clock = self.session.clock
        while not self._time_up:  # a mock's clock stops at zero
            await clock.sleep(self._delay())
            self.tick()

    def tick(self) -> None:
        """Once a second: nudges for phases begun, a save now and then, time-up, redraw."""
        s = self.session
        if s.finished:
            return
        now = s.elapsed() + _EARLY  # a timer may wake a hair before the second it waited for
        for phase in crossed(self._last_elapsed, now, s.minutes, mock=s.is_mock):
            self.nudge(phase)
        self._last_elapsed = now
        if now - self._last_save >= self.autosave_s:
            self._last_save = now
            self._autosave()
        if s.is_mock and s.time_left() <= _EARLY and not self._time_up:
            self._time_up = True
            prompt = self._prompt
            if prompt is not None and prompt.app.is_running:
                prompt.app.exit(result=_TIME_UP)
        self._invalidate()

    def _autosave(self) -> None:
        try:
            if not self.session.save_if_idle():
                self._last_save -= self.autosave_s  # busy: try again at the next tick
        except CoachError as exc:
            self.say(f"could not save the session: {exc}", "yellow")

    # -- watch mode

    def _on_file_saved(self) -> None:
        digest = _digest(self.session.path)
        if digest is None or digest == self._digest or self.session.finished:
            return
        from coach.sandbox import Cancelled

        self._digest = digest
        try:
            outcome = self.session.check()
        except (SessionError, Cancelled):
            return
        self.say(self._check_line(outcome, "saved → "), "green" if outcome.ok else "yellow")
        self._invalidate()

    def _check_line(self, outcome: Any, prefix: str = "") -> str:
        if outcome.error:
            return f"{prefix}check: {outcome.error}"
        line = f"{prefix}check {outcome.summary} examples pass"
        failed = next((r for r in outcome.results if not r.passed), None)
        if failed is not None:
            line += f" — ✗ Example {failed.number}: {failed.title}: {failed.message}"
            if failed.line and f"at line {failed.line}" not in failed.message:
                line += f" (line {failed.line} of {self.session.path.name})"
        return line

    # -- the loop

    async def run(self) -> str:
        """Prompt for commands until quit or submit; returns "quit" or "submitted"."""
        from prompt_toolkit import PromptSession
        from prompt_toolkit.completion import WordCompleter
        from prompt_toolkit.styles import Style

        self._prompt = PromptSession(
            PROMPT,
            bottom_toolbar=self.toolbar,
            completer=WordCompleter(list(self.commands), meta_dict=self.commands, ignore_case=True),
            complete_while_typing=True,
            style=Style.from_dict(STYLE),
            input=self.input,
            output=self.output,
        )
        ticker = asyncio.ensure_future(self._ticker())
        self._install_signals()
        if self.watch:
            self._watcher = FileWatcher(self.session.path, self._on_file_saved)
            if not self._watcher.start():
                self.say("watch mode is off: install watchfiles to check on every save", "dim")
        try:
            if not (self.session.is_mock and self.session.time_left() <= 0):
                self.nudge(self.session.phase())
            self.tick()
            while True:
                if self._time_up:
                    return self._auto_submit()
                try:
                    line = await self._prompt.prompt_async()
                    self._interrupts = 0
                except KeyboardInterrupt:
                    self._interrupts += 1
                    if self._interrupts >= 2:
                        line = "quit"
                    else:
                        self.say("(Ctrl-C again or `quit` to leave; `coach resume` continues)")
                        continue
                except EOFError:
                    line = "quit"
                if line == _TIME_UP:
                    continue
                result = self.dispatch(line)
                if result:
                    return result
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            self._remove_signals()
            if self._watcher is not None:
                self._watcher.stop()

    def _install_signals(self) -> None:
        """A closed terminal (SIGHUP) or a polite kill (SIGTERM) saves and leaves. A Ctrl-C
        between prompts reaches the event loop (its wakeup fd): the next prompt takes it."""
        loop = asyncio.get_running_loop()
        with contextlib.suppress(ValueError):  # not the main thread: no signals to handle
            self._sigint = signal.signal(signal.SIGINT, lambda _signum, _frame: None)
        for sig in (getattr(signal, "SIGHUP", None), signal.SIGTERM):
            if sig is None:
                continue
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self._hang_up)

    def _remove_signals(self) -> None:
        if self._sigint is not None:
            signal.signal(signal.SIGINT, self._sigint)
        with contextlib.suppress(Exception):
            loop = asyncio.get_running_loop()
            for sig in (getattr(signal, "SIGHUP", None), signal.SIGTERM):
                if sig is not None:
                    loop.remove_signal_handler(sig)

    def _hang_up(self) -> None:
        ignore_errors(self.session.pause)
        os._exit(129)

    def dispatch(self, line: str) -> str | None:
        """Run one command line; returns "quit" or "submitted" when the session should end."""
        words = line.strip().split()
        if not words:
            return None
        name = words[0].lower()
        name = ALIASES.get(name, name)
        handler = getattr(self, f"cmd_{name}", None)
        if handler is None or (name == "grade" and self.session.is_mock):
            if name == "grade":
                self.say(
                    "No grade in a mock interview: the one grade is your submit. "
                    "`check` runs the visible examples.",
                    "yellow",
                )
                return None
            close = difflib.get_close_matches(name, list(self.commands), n=1, cutoff=0.6)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            self.say(f"unknown command `{name}`{hint}; `help` lists them", "yellow")
            return None
        try:
            result: str | None = handler(words[1:])
        except CoachError as exc:
            self.say(f"{exc}", "red")
            return None
        except Exception as exc:  # a bug in coach must not cost the session
            if os.environ.get("COACH_DEBUG"):
                raise
            self.say(f"internal error in `{name}`: {exc!r} (the session goes on)", "red")
            return None
        finally:
            ignore_errors(self._save_after_command)
            self._invalidate()
        return result

    def _save_after_command(self) -> None:
        if not self.session.finished:
            self.session.save()
            self._last_save = self.session.elapsed()

    # -- commands

    def cmd_help(self, args: list[str]) -> None:
        if args:
            name = ALIASES.get(args[0].lower(), args[0].lower())
            text = self.commands.get(name)
            self.say(f"{name}: {text}" if text else f"no command `{args[0]}`")
            return
        width = max(len(n) for n in self.commands)
        lines = [f"  {name.ljust(width)}  {text}" for name, text in self.commands.items()]
        extra = "Tab completes. Saving your file runs check." if self._watcher else "Tab completes."
        if self.session.is_mock:
            extra += f" Each hint costs {HINT_PENALTY:g} points in a mock."
        self.say("Commands:\n" + "\n".join(lines) + f"\n{extra}")

    def cmd_check(self, args: list[str]) -> None:
        from coach.problem_view import render_check

        outcome = interruptible(self.session.check, "check")
        self._digest = _digest(self.session.path)
        if outcome.error:
            self.say(f"check: {outcome.error}", "red")
            return
        with self._print_lock:
            render_check(
                self.console,
                self.session.spec,
                self.session.path,
                outcome.results,
                in_session=True,
            )
        if not outcome.ok and self.session.last_mistakes:
            self.say("`hint` explains what went wrong.", "dim")

    def cmd_grade(self, args: list[str]) -> None:
        from coach.report import print_rich

        self.say("grading…", "dim")
        report = interruptible(self.session.grade, "grade")
        with self._print_lock:
            print_rich(self.console, [report], session=True)
        if self.session.last_mistakes:
            self.say("`hint` gives the fix for a mistake it found.", "dim")

    def cmd_hint(self, args: list[str]) -> None:
        hint = self.session.hint()
        if hint.kind == "none":
            self.say(hint.text, "dim")
            return
        if hint.kind == "mistake":
            head = f"Hint {hint.number} — for {hint.mistake}, which your last "
            head += "grade found:" if self.session.last_report else "check suggests:"
        else:
            head = f"Hint {hint.number} — step {hint.step} of {hint.steps}:"
        if hint.penalty:
            head += (
                f"  (−{hint.penalty:g} points in this mock; −{self.session.hint_penalty:g} so far)"
            )
        from coach.report import in_session

        self.say(head, "bold cyan")
        self.say(in_session(hint.text))

    def cmd_statement(self, args: list[str]) -> None:
        from coach.problem_view import render_show

        with self._print_lock:
            render_show(self.console, self.session.spec, in_session=True)
        self.say(f"Your file: {self.session.path}", "dim")

    def cmd_edit(self, args: list[str]) -> None:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        path = self.session.path
        if not editor:
            self.say(f"Open {path} in your editor (no $VISUAL or $EDITOR is set).")
            return
        before = _digest(path)
        self._quiet += 1
        try:
            subprocess.run([*shlex.split(editor), str(path)], check=False)
        except OSError as exc:
            self.say(f"could not run {editor}: {exc.strerror}; edit {path} yourself", "red")
        finally:
            self._quiet -= 1
        self._flush_held()
        if _digest(path) != before and _digest(path) != self._digest:
            self.cmd_check([])

    def cmd_time(self, args: list[str]) -> None:
        s = self.session
        used, left = s.elapsed(), s.time_left()
        phase = s.phase()
        if left > 0:
            line = (
                f"{clock_text(used)} used of {clock_text(s.limit_s)}, {remaining_text(left)} left"
            )
            line += f"; phase: {phase.title} until {clock_text(phase.end_s)}"
        else:
            line = f"{clock_text(used)} used of {clock_text(s.limit_s)}"
            line += f": overtime {remaining_text(left)}"
        self.say(line, "bold")
        self.say("Budget: " + " · ".join(budget_lines(s.minutes)), "dim")

    def cmd_submit(self, args: list[str]) -> str:
        return self._submit(auto=False)

    def cmd_quit(self, args: list[str]) -> str:
        s = self.session
        s.pause()
        self.say(
            f"Saved: {clock_text(s.elapsed())} used, "
            + (f"{remaining_text(s.time_left())} left" if s.time_left() > 0 else "in overtime")
            + ". `coach resume` continues; time away does not count.",
            "bold",
        )
        self.outcome = _QUIT
        return _QUIT

    def _auto_submit(self) -> str:
        if not self._announced_time_up:
            self.nudge(self.session.phase())
        try:
            return self._submit(auto=True)
        except CoachError as exc:  # the file went away, say: keep the session for later
            self.say(f"could not submit: {exc}; `coach resume` tries again", "red")
            ignore_errors(self.session.pause)
            return _QUIT

    def _submit(self, *, auto: bool) -> str:
        from coach.report import print_rich

        self.say("submitting…" if not auto else "grading your submission…", "dim")
        outcome = interruptible(self.session.submit, "submit")
        with self._print_lock:
            print_rich(self.console, [outcome.report], session=True)
        if outcome.penalty:
            self.say(
                f"Hints: {outcome.hints_used} used, −{outcome.penalty:g} points: "
                f"{outcome.raw_score:g} → {outcome.report.score:g} ({outcome.report.verdict})",
                "bold yellow",
            )
        elif self.session.is_mock:
            self.say("Hints: none used, no points taken.", "dim")
        self.outcome = _SUBMITTED
        return _SUBMITTED

    # -- after the session

    def _ask(self, message: str) -> str | None:
        from prompt_toolkit import PromptSession

        try:
            answer: str = PromptSession(input=self.input, output=self.output).prompt(message)
        except (EOFError, KeyboardInterrupt):
            return None
        return answer

    def followups(self) -> None:
        """The follow-up questions of a submitted mock."""
        if self.session.quiz_done:
            return
        self.session.followups(self.ask, self.say)


def run_repl(
    session: Session,
    *,
    console: Console | None = None,
    input: Input | None = None,
    output: Output | None = None,
    watch: bool = True,
    ask: Callable[[str], str | None] | None = None,
    patch: bool | None = None,
) -> int:
    """Run a session's prompt to its end; then, after a mock's submit, the follow-ups.

    Real terminal by default; tests pass a pipe `input`, a `DummyOutput`, a `console` writing
    to a string and a session on a `FakeClock`. `patch` (default: when no output is given)
    sends printing through `patch_stdout` so it appears above the prompt."""
    from rich.console import Console

    if patch is None:
        patch = output is None
    guard = _patched() if patch else contextlib.nullcontext()
    with guard:
        repl = Repl(
            session,
            console=console or Console(highlight=False),
            input=input,
            output=output,
            watch=watch,
            ask=ask,
            autosave_s=autosave_every(),
        )
        try:
            outcome = asyncio.run(repl.run())
        except KeyboardInterrupt:  # Ctrl-C outside the prompt and a grade: save, then leave
            ignore_errors(session.pause)
            repl.say("Interrupted: the session is saved; `coach resume` continues.", "bold")
            return 130
    if outcome == _SUBMITTED:
        if session.is_mock:
            repl.followups()
        show_debrief(repl.console, session)
        repl.say(
            f"`coach solution {session.spec.id}` shows the reference solution with notes.", "dim"
        )
    return 0


def show_debrief(console: Console, session: Session) -> None:
    """The debrief after a submit; a failure to build it never ends the session badly."""
    from coach.debrief import build_debrief, render_rich

    try:
        debrief = build_debrief(session.store, session.id, session.spec.title)
    except CoachError as exc:
        console.print(f"[yellow]no debrief: {exc}[/]")
        return
    console.print()
    render_rich(console, debrief)
    console.print(
        f"[dim]`coach history --show {session.id}` prints this again; add "
        "`--format markdown` to share it.[/]"
    )


def autosave_every() -> float:
    """Seconds of session time between saves: `$COACH_SAVE_EVERY` if it is a number above 0
    (tests shorten it; the ticker runs once a second, so less than 1 saves at every tick),
    else `AUTOSAVE_S`."""
    try:
        seconds = float(os.environ.get("COACH_SAVE_EVERY", "") or AUTOSAVE_S)
    except ValueError:
        return AUTOSAVE_S
    return seconds if math.isfinite(seconds) and seconds > 0 else AUTOSAVE_S


@contextlib.contextmanager
def _patched() -> Any:
    from prompt_toolkit.patch_stdout import patch_stdout

    with patch_stdout(raw=True):
        yield


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def minutes_text(minutes: float) -> str:
    """30 -> "30 minutes", 2.5 -> "2.5 minutes", 0.05 -> "3 seconds"."""
    if minutes >= 1:
        return f"{minutes:g} minute{'s' if minutes != 1 else ''}"
    return plural(math.ceil(minutes * 60 - 1e-9), "second")
