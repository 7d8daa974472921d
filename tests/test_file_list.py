"""Which files a batch grades: folders expanded, and shards that split a batch over
machines (`coach grade DIR --shard K/N`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_coach

from coach.errors import CoachError
from coach.file_list import candidate_files, shard


def tree(root: Path, names: list[str]) -> list[Path]:
    made = []
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("# coach: knn\n")
        made.append(path)
    return made


def test_folders_expand_to_their_python_files_sorted(tmp_path: Path) -> None:
    tree(tmp_path, ["b.py", "a.py", "sub/c.py", ".hidden/d.py", "notes.txt"])
    alone = tmp_path / "a.py"
    found = candidate_files([tmp_path, alone])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a.py", "b.py", "sub/c.py"]


def test_a_folder_without_python_files_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("no code")
    with pytest.raises(CoachError, match="no .py files"):
        candidate_files([tmp_path])


@pytest.mark.parametrize("files", [0, 1, 2, 7, 10, 31])
@pytest.mark.parametrize("shards", [1, 2, 3, 4, 8])
def test_shards_together_hold_every_file_once_in_order(files: int, shards: int) -> None:
    names = [Path(f"f{i:02d}.py") for i in range(files)][::-1]  # given out of order
    parts = [shard(names, f"{k}/{shards}") for k in range(1, shards + 1)]
    joined = [p for part in parts for p in part]
    assert joined == sorted(names, key=str)
    assert max(map(len, parts)) - min(map(len, parts)) <= 1


@pytest.mark.parametrize("spec", ["0/3", "4/3", "3", "a/b", "1/0", "-1/2"])
def test_a_malformed_shard_is_an_error(spec: str) -> None:
    with pytest.raises(CoachError, match="K/N"):
        shard([Path("a.py")], spec)


@pytest.mark.slow
def test_shards_of_a_folder_grade_each_file_exactly_once(tmp_path: Path) -> None:
    """Through the installed entry point: three shards' JSON Lines, concatenated, are one
    report per file of the folder, in sorted order."""
    stub = "# coach: knn\nclass KNNClassifier:\n    def __init__(self, k=3):\n        self.k = k\n"
    for name in ("c.py", "a.py", "sub/b.py", "d.py"):
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(stub)
    lines = []
    for k in (1, 2, 3):
        done = run_coach("grade", str(tmp_path), "--shard", f"{k}/3", "--format", "json")
        assert done.returncode == 0, done.stderr
        lines += [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    graded = [Path(r["file"]).relative_to(tmp_path).as_posix() for r in lines]
    assert graded == ["a.py", "c.py", "d.py", "sub/b.py"]
    assert all(r["problem"] == "knn" for r in lines)
