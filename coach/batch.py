"""Grade several files: check them, work out their problems, grade them in parallel."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from coach.limits import DEFAULT, Limits
from coach.sandbox import Worker

if TYPE_CHECKING:
    from coach.results import GradeReport


def grade_files(
    files: list[Path],
    *,
    problem: str | None = None,
    jobs: int = 1,
    limits: Limits = DEFAULT,
    problems: str | None = None,
    override: bool = False,
    meanwhile: Callable[[], None] | None = None,
) -> list[GradeReport]:
    """One report per file, in order. The first workers start before the specs load (a
    course spec with `override` replaces the built-in problem of its id); `meanwhile`
    runs in a thread once grading begins (the parent mostly waits then)."""
    from coach.detect import check_file, detect

    for path in files:
        check_file(path)
    first = range(min(jobs, len(files)))
    early = {i: Worker(str(files[i]), limits=limits) for i in first}
    references = {i: ref for i in first if (ref := _reference_for(files[i], problem, limits))}
    for worker in (*early.values(), *references.values()):
        worker.start()
    try:  # the heavy imports (numpy; pydantic for a changed spec) while the workers start
        from coach.bank import Bank, note_left_out
        from coach.grading import Grader, check_spec

        bank = Bank.views(problems, override=override)
        specs = [detect(path, bank, problem) for path in files]
        for spec in {s.id: s for s in specs}.values():
            check_spec(spec)
        note_left_out(bank)
    except BaseException:
        for worker in (*early.values(), *references.values()):
            worker.close()
        raise

    if meanwhile is not None:
        threading.Thread(target=meanwhile, daemon=True).start()

    def grade_one(i: int) -> GradeReport:
        reference = references.get(i)
        if reference is not None and Path(reference.path) != specs[i].reference_solution.resolve():
            reference.close()  # the marker named another problem than the one graded
            reference = None
        return Grader(specs[i], limits=limits).grade(
            files[i], candidate=early.get(i), reference=reference
        )

    if jobs == 1 or len(files) == 1:
        return [grade_one(i) for i in range(len(files))]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(grade_one, range(len(files))))


def _reference_for(path: Path, problem: str | None, limits: Limits) -> Worker | None:
    """A worker for the reference solution, when the problem is plain without the specs."""
    from coach.detect import marker
    from coach.paths import reference_solution

    try:
        named = problem or marker(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    found = reference_solution(named.replace("-", "_")) if named else None
    if found is None or not found.exists():
        return None
    return Worker(str(found), limits=limits, role="reference")
