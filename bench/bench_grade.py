"""Time coach's commands beside their floors, interleaved (A B A B ...) in one run.

    python bench/bench_grade.py [--runs 7]

Floors: a grade's is `python -c "import numpy"` (a worker's start) plus
`python -c "import typer, rich.console, numpy, yaml"` (the parent's imports); `coach list`,
`coach show` and `coach --help` are set against `python -c "import typer, rich.console"`.
Every command runs once per round, in the same order, so load on the machine falls on all
of them alike. Each figure is the median over the rounds. Bytecode caching is on, as on a
user's machine, even where the environment sets PYTHONDONTWRITEBYTECODE. Targets: a grade of each
reference at most 2x its floor; list and show at most 1.5x theirs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    coach = shutil.which("coach") or str(Path(sys.executable).parent / "coach")
    py = sys.executable
    env = {**os.environ, "COACH_HOME": tempfile.mkdtemp(prefix="coach-bench-")}
    # as on a user's machine: bytecode is cached (the warm-up run writes coach's .pyc files;
    # the floors' libraries were compiled when pip installed them)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    references = sorted((ROOT / "reference_solutions").glob("*.py"))
    commands = {
        "numpy": [py, "-c", "import numpy"],
        "parent": [py, "-c", "import typer, rich.console, numpy, yaml"],
        "cli": [py, "-c", "import typer, rich.console"],
        "coach --help": [coach, "--help"],
        "coach list": [coach, "list"],
        "coach show": [coach, "show", "logistic"],
        **{f"coach grade {r.stem}": [coach, "grade", str(r)] for r in references},
    }
    for cmd in commands.values():  # warm the file cache
        timed(cmd, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            times[name].append(timed(cmd, env))
    median = {name: statistics.median(t) for name, t in times.items()}
    grade_floor = median["numpy"] + median["parent"]
    print(f"{'floor: import numpy':32} {median['numpy'] * 1000:6.0f} ms")
    print(f"{'floor: parent imports':32} {median['parent'] * 1000:6.0f} ms")
    print(f"{'floor: import typer, rich.console':32} {median['cli'] * 1000:6.0f} ms")
    for name in commands:
        if name.startswith("coach grade"):
            ratio, target = median[name] / grade_floor, 2.0
        elif name.startswith("coach"):
            ratio, target = median[name] / median["cli"], 1.5
        else:
            continue
        shown = f"{median[name] * 1000:6.0f} ms  {ratio:4.2f}x the floor"
        print(f"{name:32} {shown} (target <= {target}x)")


if __name__ == "__main__":
    main()
