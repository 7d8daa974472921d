"""Time `coach grade` and `coach --help` beside their floors, measured in the same run.

    python bench/bench_grade.py [--runs 5]

The grade floor is `python -c "import numpy"` (a worker's start) plus
`python -c "import typer, rich, numpy, yaml"` (the parent's imports); the help floor
is `python -c "import typer, rich.console"`. Each figure is the median of the runs.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference_solutions" / "logistic_regression.py"


def median_time(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    coach = shutil.which("coach") or str(Path(sys.executable).parent / "coach")
    py = sys.executable

    median_time([coach, "--help"], 1)  # warm the file cache
    numpy_floor = median_time([py, "-c", "import numpy"], runs)
    parent_floor = median_time([py, "-c", "import typer, rich, numpy, yaml"], runs)
    grade_floor = numpy_floor + parent_floor
    grade = median_time([coach, "grade", str(REFERENCE)], runs)
    help_floor = median_time([py, "-c", "import typer, rich.console"], runs)
    help_time = median_time([coach, "--help"], runs)

    print(
        f"grade floor   {grade_floor * 1000:7.0f} ms  (numpy {numpy_floor * 1000:.0f} + "
        f"parent imports {parent_floor * 1000:.0f})"
    )
    print(
        f"coach grade   {grade * 1000:7.0f} ms  = {grade / grade_floor:.2f}x the floor "
        "(target <= 3x)"
    )
    print(f"help floor    {help_floor * 1000:7.0f} ms")
    print(
        f"coach --help  {help_time * 1000:7.0f} ms  = {help_time / help_floor:.2f}x the floor "
        "(target <= 1.5x)"
    )


if __name__ == "__main__":
    main()
