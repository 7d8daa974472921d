"""Grade several files: check them, work out their problems, grade them in parallel."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from coach.sandbox import Worker

if TYPE_CHECKING:
    from coach.results import GradeReport


def grade_files(
    files: list[Path],
    *,
    problem: str | None = None,
    jobs: int = 1,
    timeout: float = 60.0,
    problems: str | None = None,
) -> list[GradeReport]:
    """One report per file, in order. The first workers start before the specs load."""
    from coach.detect import check_file, detect

    for path in files:
        check_file(path)
    early = {i: Worker(str(files[i])) for i in range(min(jobs, len(files)))}
    for worker in early.values():
        worker.start()
    try:  # the heavy imports (pydantic, numpy) happen while the workers start
        from coach.grading import Grader
        from coach.specs import Bank

        bank = Bank.load(problems)
        specs = [detect(path, bank, problem) for path in files]
    except BaseException:
        for worker in early.values():
            worker.close()
        raise

    def grade_one(i: int) -> GradeReport:
        return Grader(specs[i], timeout=timeout).grade(files[i], candidate=early.get(i))

    if jobs == 1 or len(files) == 1:
        return [grade_one(i) for i in range(len(files))]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(grade_one, range(len(files))))
