"""Which problem a candidate's file answers, read without running it."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING

from coach.errors import CoachError

if TYPE_CHECKING:
    from coach.specs import Bank, ProblemSpec

MARKER = re.compile(r"#\s*coach:\s*([\w-]+)")
MARKER_LINES = 5


def check_file(path: Path) -> None:
    """A CoachError unless `path` is a readable Python file."""
    if not path.exists():
        raise CoachError(f"no such file: {path}")
    if path.is_dir():
        raise CoachError(f"{path} is a folder, not a Python file")
    if path.suffix != ".py":
        raise CoachError(f"{path} is not a Python file (expected a .py file)")


def detect(path: Path, bank: Bank, problem: str | None = None) -> ProblemSpec:
    """`--problem`, else a `# coach: ID` comment, else the file name, else the names it defines."""
    if problem:
        return bank.resolve(problem)
    source = path.read_text(encoding="utf-8", errors="replace")
    marked = marker(source)
    if marked:
        return bank.resolve(marked)
    by_name = bank.lookup(path.stem)
    if by_name:
        return by_name
    defined = _defined_names(source)
    matches = [s for s in bank.specs.values() if _answers(s, defined)]
    if not matches:
        matches = [s for s in bank.specs.values() if _resembles(s, defined)]
    if len(matches) == 1:
        return matches[0]
    named = ", ".join(s.id for s in (matches or bank.specs.values()))
    raise CoachError(
        f"cannot tell which problem {path} answers; pass --problem with one of: {named}"
    )


def marker(source: str) -> str | None:
    """The problem named by a `# coach: ID` comment in the first lines, if any."""
    for line in source.splitlines()[:MARKER_LINES]:
        found = MARKER.search(line)
        if found:
            return found.group(1)
    return None


def _defined_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {
        node.name
        for node in tree.body
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
    }


def _squash(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def _resembles(spec: ProblemSpec, defined: set[str]) -> bool:
    """A class named like the problem: `LogReg`, `LogisticRegressionGD`, `KNN`."""
    names = {_squash(n) for n in (spec.id, *spec.aliases, spec.interface.class_name or "")}
    names.discard("")
    return any(_squash(d).startswith(tuple(names)) for d in defined)


def _answers(spec: ProblemSpec, defined: set[str]) -> bool:
    needed = set(spec.interface.functions)
    if spec.interface.class_name:
        needed.add(spec.interface.class_name)
    return bool(needed) and needed <= defined
