"""Which files a grade covers: folders expanded to the Python files below them, and one
shard of that list when a batch is split over machines (`--shard K/N`)."""

from __future__ import annotations

import re
from pathlib import Path

from coach.errors import CoachError

SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def candidate_files(paths: list[Path]) -> list[Path]:
    """The files named, with each folder replaced by the .py files below it (sorted, hidden
    folders and files skipped). A folder without one is an error; files are checked later."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)
            continue
        below = sorted(
            p
            for p in path.rglob("*.py")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        if not below:
            raise CoachError(f"{path} is a folder with no .py files in it")
        found.extend(below)
    return list(dict.fromkeys(found))  # a file named twice is graded once


def shard(files: list[Path], spec: str) -> list[Path]:
    """The K-th of N contiguous slices of the sorted list (`spec` is "K/N", 1 <= K <= N):
    the shards together hold every file exactly once, and their outputs concatenated in
    K order follow the sorted list."""
    found = SHARD.match(spec)
    if not found or not 1 <= int(found.group(1)) <= int(found.group(2)):
        raise CoachError(f"--shard must be K/N with 1 <= K <= N (e.g. 2/5), not {spec!r}")
    k, n = int(found.group(1)), int(found.group(2))
    ordered = sorted(files, key=lambda p: str(p))
    return ordered[(k - 1) * len(ordered) // n : k * len(ordered) // n]
