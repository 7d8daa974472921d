"""Grade several files: check them, work out their problems, grade them `jobs` at a time.

Two things keep a batch fast. A reference worker is kept per problem and job, and reset
between files rather than started for each. Each file's candidate worker is started, and
imports the file, while the file before it is graded: a slow or hanging import then waits
beside another file's grade instead of after it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from coach.limits import DEFAULT, Limits
from coach.sandbox import Worker

AHEAD = 2  # files started and importing beyond those being graded

if TYPE_CHECKING:
    from coach.bank import Bank
    from coach.detect import Unusable
    from coach.results import GradeReport
    from coach.specs import ProblemSpec


class Watcher(Protocol):
    """Told when each file's grade starts and ends (a progress bar)."""

    def started(self, index: int, path: Path) -> None: ...

    def probing(self, index: int, title: str) -> None: ...

    def finished(self, index: int, report: GradeReport) -> None: ...


def grade_files(
    files: list[Path],
    *,
    problem: str | None = None,
    jobs: int = 1,
    limits: Limits = DEFAULT,
    problems: str | None = None,
    override: bool = False,
    meanwhile: Callable[[], None] | None = None,
    watcher: Watcher | None = None,
    check: Callable[[], None] | None = None,
) -> list[GradeReport]:
    """One report per file, in order. The first workers start before the specs load (a
    course spec with `override` replaces the built-in problem of its id); `meanwhile`
    runs in a thread once grading begins (the parent mostly waits then); `check` runs
    while the first workers start, and an error from it stops the batch before any grade."""
    from coach.detect import check_file, unusable

    for path in files:
        check_file(path)
    reasons = [unusable(path) for path in files]  # read and parsed here: nothing is run
    ahead = Ahead(files, [reason is None for reason in reasons], limits, jobs + AHEAD)
    references = References(limits)
    for path, reason in list(zip(files, reasons, strict=True))[:jobs]:
        guessed = _reference_for(path, problem) if reason is None else None
        if guessed is not None:
            references.add(Worker(str(guessed), limits=limits, role="reference"))
    try:  # the heavy imports (numpy; pydantic for a changed spec) while the workers start
        from coach.bank import Bank, note_left_out
        from coach.grading import Grader, check_spec, unusable_report

        bank = Bank.views(problems, override=override)
        specs = [
            _spec(path, bank, problem, reason) for path, reason in zip(files, reasons, strict=True)
        ]
        for spec in {s.id: s for s in specs if s is not None}.values():
            check_spec(spec)
        note_left_out(bank)
        if check is not None:
            check()
    except BaseException:
        ahead.close()
        references.close()
        raise

    if meanwhile is not None:
        threading.Thread(target=meanwhile, daemon=True).start()

    def grade_one(i: int, candidate: Worker | None) -> GradeReport:
        if watcher is not None:
            watcher.started(i, files[i])
        spec, reason = specs[i], reasons[i]
        if reason is not None:
            report = unusable_report(files[i], reason.reason, spec, reason.mistake)
        else:  # a usable file has its problem and its worker
            assert spec is not None and candidate is not None
            reference = references.take(spec.reference_solution)
            probing = partial(watcher.probing, i) if watcher is not None else None
            try:
                report = Grader(spec, limits=limits).grade(files[i], candidate, reference, probing)
            finally:
                references.give_back(reference)
        if watcher is not None:
            watcher.finished(i, report)
        return report

    reports: dict[int, GradeReport] = {}

    def job() -> None:
        while (turn := ahead.next()) is not None:
            reports[turn[0]] = grade_one(*turn)

    try:
        if jobs == 1 or len(files) == 1:
            job()
        else:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                for running in [pool.submit(job) for _ in range(jobs)]:
                    running.result()
    finally:
        ahead.close()
        references.close()
    return [reports[i] for i in range(len(files))]


class Ahead:
    """Candidates' workers started, each importing its file in a thread, before the file's
    turn: up to `window` files at once. `next` hands out the first file whose import has
    ended (or that needs no worker), so a slow or hanging import waits out its time beside
    the grades of the files after it; the reports still come out in input order."""

    def __init__(
        self, files: list[Path], runnable: list[bool], limits: Limits, window: int
    ) -> None:
        self.files = files
        self.runnable = runnable  # False: the file is unusable and needs no worker
        self.limits = limits
        self.window = max(1, window)
        self.waiting = list(range(len(files)))  # not started yet, in input order
        self.loading: dict[int, Worker] = {}  # started, still importing
        self.ready: dict[int, Worker | None] = {}  # imported (or failed to): ready to grade
        self.changed = threading.Condition()
        with self.changed:
            self._fill()

    def _fill(self) -> None:
        while self.waiting and len(self.loading) + len(self.ready) < self.window:
            i = self.waiting.pop(0)
            if not self.runnable[i]:
                self.ready[i] = None
                continue
            worker = Worker(str(self.files[i]), limits=self.limits)
            worker.start()
            self.loading[i] = worker
            threading.Thread(target=self._load, args=(i, worker), daemon=True).start()

    def _load(self, i: int, worker: Worker) -> None:
        """Import the file now; a failure is kept by the worker and reported by its grade."""
        try:
            worker.ensure_loaded()
        except Exception:  # noqa: BLE001 - the grade asks again and reports it
            pass
        with self.changed:
            if self.loading.pop(i, None) is not None:  # not closed meanwhile
                self.ready[i] = worker
            self.changed.notify_all()

    def next(self) -> tuple[int, Worker | None] | None:
        """The first ready file and its worker; None once every file has been handed out."""
        with self.changed:
            while True:
                self._fill()
                if self.ready:
                    i = min(self.ready)
                    turn = (i, self.ready.pop(i))
                    self._fill()
                    return turn
                if not self.loading:
                    return None
                self.changed.wait()

    def close(self) -> None:
        with self.changed:
            left = [*self.loading.values(), *self.ready.values()]
            self.loading, self.ready, self.waiting = {}, {}, []
        for worker in left:
            if worker is not None:
                worker.close()


class References:
    """Idle reference workers by file: one per problem and job, reset and reused."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.idle: dict[str, list[Worker]] = {}
        self.lock = threading.Lock()

    def add(self, worker: Worker) -> None:
        worker.start()
        with self.lock:
            self.idle.setdefault(worker.path, []).append(worker)

    def take(self, path: Path) -> Worker:
        key = os.path.abspath(path)
        with self.lock:
            waiting = self.idle.get(key)
            if waiting:
                return waiting.pop()
        return Worker(key, limits=self.limits, role="reference")

    def give_back(self, worker: Worker) -> None:
        if worker.reset():
            with self.lock:
                self.idle.setdefault(worker.path, []).append(worker)
        else:
            worker.close()

    def close(self) -> None:
        with self.lock:
            idle, self.idle = self.idle, {}
        for workers in idle.values():
            for worker in workers:
                worker.close()


def _spec(
    path: Path, bank: Bank, problem: str | None, reason: Unusable | None
) -> ProblemSpec | None:
    """The file's problem; None for an unusable file whose problem cannot be told, as its
    report (score 0, the reason) needs none."""
    from coach.detect import Undetected, detect

    try:
        return detect(path, bank, problem)
    except Undetected:
        if reason is None:
            raise
        return None


def _reference_for(path: Path, problem: str | None) -> Path | None:
    """The reference solution of the problem named plainly, found without the specs."""
    from coach.detect import marker
    from coach.paths import reference_solution

    try:
        named = problem or marker(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    found = reference_solution(named.replace("-", "_")) if named else None
    return found if found is not None and found.exists() else None
