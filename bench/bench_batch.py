"""Throughput of `coach grade` on a batch: 20 copies of a reference plus the hostile fixtures.

    python bench/bench_batch.py [--runs 3] [--baseline REV] [--problem logistic_regression]

Grades the batch with `--jobs 1` and `--jobs 2` (JSON Lines, piped), interleaved over the
runs, and reports the median wall time and files per second of each. With `--baseline REV`
the same batch is graded by coach at that git revision too (a temporary worktree run with
PYTHONPATH), so "faster than before" is measured on this machine in this run. Each run also
checks that every copy of the reference scored 100 and that the vectorized probe judged each
file as it does alone, so speed is never bought with wrong grades.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIES = 20


def batch_folder(problem: str) -> Path:
    """20 copies of the reference, and every hostile fixture that applies to `problem`."""
    folder = Path(tempfile.mkdtemp(prefix="coach-batch-"))
    reference = ROOT / "reference_solutions" / f"{problem}.py"
    for i in range(COPIES):
        shutil.copy(reference, folder / f"copy_{i:02d}.py")
    fixtures = ROOT / "tests" / "fixtures"
    for hostile in (fixtures / problem / "hostile", fixtures / "shared" / "hostile"):
        for path in sorted(hostile.glob("*.py")):
            shutil.copy(path, folder / f"{hostile.parent.name}_{path.name}")
    return folder


def checkout(rev: str) -> Path:
    """A worktree of coach at `rev`, to run the same batch with an older grader."""
    where = Path(tempfile.mkdtemp(prefix="coach-baseline-")) / "tree"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(where), rev], check=True
    )
    return where


def run(source: Path, folder: Path, problem: str, jobs: int) -> tuple[float, list[dict]]:
    env = {**os.environ, "PYTHONPATH": str(source), "COACH_HOME": tempfile.mkdtemp()}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cmd = [sys.executable, "-m", "coach.cli", "grade", str(folder), "--problem", problem]
    cmd += ["--format", "json", "--jobs", str(jobs)]
    start = time.perf_counter()
    # run from the source's folder: `python -m` puts the working folder first on sys.path
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=source, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, [json.loads(line) for line in done.stdout.splitlines()]


def judged(reports: list[dict]) -> dict[str, tuple[float, str | None]]:
    """Per file: its score and the vectorized probe's status."""
    out = {}
    for r in reports:
        vec = next((p["status"] for p in r["probes"] if p["id"] == "vectorized"), None)
        out[Path(r["file"]).name] = (r["score"], vec)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", help="a git revision to measure beside this checkout")
    parser.add_argument("--problem", default="logistic_regression")
    args = parser.parse_args()
    folder = batch_folder(args.problem)
    files = len(list(folder.glob("*.py")))
    sources = {"now": ROOT}
    if args.baseline:
        sources["baseline"] = checkout(args.baseline)
    setups = [(name, jobs) for name in sources for jobs in (1, 2)]
    times: dict[tuple[str, int], list[float]] = {s: [] for s in setups}
    alone = judged(run(ROOT, folder, args.problem, 1)[1])  # warm-up, and the judgement to keep
    for _ in range(args.runs):
        for name, jobs in setups:
            elapsed, reports = run(sources[name], folder, args.problem, jobs)
            times[(name, jobs)].append(elapsed)
            copies = [r for r in reports if Path(r["file"]).name.startswith("copy_")]
            wrong = [r["file"] for r in copies if r["score"] != 100]
            if name == "now" and (wrong or judged(reports) != alone):
                print(f"warning: {name} --jobs {jobs} judged differently: {wrong}")
    print(f"{files} files ({COPIES} copies of the {args.problem} reference + hostile fixtures)")
    median = {s: statistics.median(t) for s, t in times.items()}
    for (name, jobs), seconds in median.items():
        print(f"  {name:9} --jobs {jobs}: {seconds:6.2f} s  {files / seconds:5.2f} files/s")
    print(f"  --jobs 2 over --jobs 1 (now): {median[('now', 1)] / median[('now', 2)]:.2f}x")
    if args.baseline:
        print(f"  now over baseline, --jobs 1: {median[('baseline', 1)] / median[('now', 1)]:.2f}x")
        print(f"  now over baseline, --jobs 2: {median[('baseline', 2)] / median[('now', 2)]:.2f}x")
        where = sources["baseline"]
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(where)])
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
