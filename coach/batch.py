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
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from coach.limits import DEFAULT, Limits
from coach.sandbox import Worker

if TYPE_CHECKING:
    from coach.bank import Bank
    from coach.detect import Unusable
    from coach.results import GradeReport
    from coach.specs import ProblemSpec


class Watcher(Protocol):
    """Told when each file's grade starts and ends (a progress bar)."""

    def started(self, index: int, path: Path) -> None: ...

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
) -> list[GradeReport]:
    """One report per file, in order. The first workers start before the specs load (a
    course spec with `override` replaces the built-in problem of its id); `meanwhile`
    runs in a thread once grading begins (the parent mostly waits then)."""
    from coach.detect import check_file, unusable

    for path in files:
        check_file(path)
    reasons = [unusable(path) for path in files]  # read and parsed here: nothing is run
    ahead = Ahead(files, [i for i, reason in enumerate(reasons) if reason is None], limits)
    references = References(limits)
    for i in ahead.queue[:jobs]:
        guessed = _reference_for(files[i], problem)
        if guessed is not None:
            references.add(Worker(str(guessed), limits=limits, role="reference"))
    ahead.start(jobs)
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
    except BaseException:
        ahead.close()
        references.close()
        raise

    if meanwhile is not None:
        threading.Thread(target=meanwhile, daemon=True).start()

    def grade_one(i: int) -> GradeReport:
        if watcher is not None:
            watcher.started(i, files[i])
        spec, reason = specs[i], reasons[i]
        if reason is not None:
            report = unusable_report(files[i], reason.reason, spec, reason.mistake)
        else:
            assert spec is not None  # only an unusable file may have no problem
            candidate = ahead.take(i)
            ahead.start(1)  # the next file's worker, while this one is graded
            reference = references.take(spec.reference_solution)
            try:
                report = Grader(spec, limits=limits).grade(files[i], candidate, reference)
            finally:
                references.give_back(reference)
        if watcher is not None:
            watcher.finished(i, report)
        return report

    try:
        if jobs == 1 or len(files) == 1:
            return [grade_one(i) for i in range(len(files))]
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            return list(pool.map(grade_one, range(len(files))))
    finally:
        ahead.close()
        references.close()


class Ahead:
    """Candidate workers started before their file's turn, each importing its file in a
    thread of its own; `take` waits for that import (its failure is kept for the grade)."""

    def __init__(self, files: list[Path], usable: list[int], limits: Limits) -> None:
        self.files = files
        self.queue = usable  # the files still to start, in the order they will be graded
        self.limits = limits
        self.started: dict[int, tuple[Worker, threading.Thread]] = {}
        self.lock = threading.Lock()

    def start(self, count: int) -> None:
        """Start the workers of the next `count` files in the queue."""
        with self.lock:
            chosen, self.queue = self.queue[:count], self.queue[count:]
            for i in chosen:
                worker = Worker(str(self.files[i]), limits=self.limits)
                worker.start()
                loading = threading.Thread(target=_load, args=(worker,), daemon=True)
                loading.start()
                self.started[i] = (worker, loading)

    def take(self, i: int) -> Worker:
        with self.lock:
            if i in self.queue:
                self.queue.remove(i)
            found = self.started.pop(i, None)
        if found is None:
            return Worker(str(self.files[i]), limits=self.limits)
        worker, loading = found
        loading.join()
        return worker

    def close(self) -> None:
        with self.lock:
            left, self.started, self.queue = list(self.started.values()), {}, []
        for worker, loading in left:
            loading.join(timeout=self.limits.import_s)
            worker.close()


def _load(worker: Worker) -> None:
    """Import the file now; a failure is kept by the worker and reported by its grade."""
    try:
        worker.ensure_loaded()
    except Exception:  # noqa: BLE001 - the grade asks again and reports it
        pass


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
