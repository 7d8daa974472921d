"""Which problem a candidate's file answers, read without running it."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from coach.errors import CoachError, UnknownProblem

if TYPE_CHECKING:
    from coach.specs import Bank, ProblemSpec

MARKER = re.compile(r"#\s*coach:\s*([\w-]+)")
MARKER_LINES = 5


class Undetected(CoachError):
    """No problem, or more than one, matches a file and none was named."""


def check_file(path: Path) -> None:
    """A CoachError unless `path` is a readable Python file."""
    if not path.exists():
        raise CoachError(f"no such file: {path}")
    if path.is_dir():
        raise CoachError(f"{path} is a folder, not a Python file")
    if path.suffix != ".py":
        raise CoachError(f"{path} is not a Python file (expected a .py file)")
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise CoachError(f"cannot read {path}: {exc.strerror}") from None


@dataclass(frozen=True)
class Unusable:
    """Why a file cannot be run as Python, in one line, and the mistake it is (a syntax
    error is the candidate's crash; an empty or binary file is no attempt at all)."""

    reason: str
    mistake: str | None = None


def unusable(path: Path) -> Unusable | None:
    """Why the file cannot be run as Python (with the line); None when it can."""
    data = path.read_bytes()
    if not data.strip():
        return Unusable("the file is empty")
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        return Unusable(f"not Python source: a NUL byte at line {line} (is it a binary file?)")
    try:
        encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
    except SyntaxError:  # undecodable first lines, or a coding cookie naming no encoding
        encoding = "utf-8"
    try:
        source = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        if not isinstance(exc, UnicodeDecodeError):
            return Unusable(f"not Python source: {exc}")
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start]
        return Unusable(
            f"not {encoding.upper()} text: byte 0x{byte:02x} at line {line} cannot be read"
        )
    try:
        ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        code = f": {exc.text.strip()}" if exc.text and exc.text.strip() else ""
        return Unusable(f"{type(exc).__name__}: {exc.msg} at line {exc.lineno}{code}", "crash")
    return None


def detect(path: Path, bank: Bank, problem: str | None = None) -> ProblemSpec:
    """`--problem`, else a `# coach: ID` comment, else the file name, else the names it defines."""
    if problem:
        return bank.resolve(problem)
    source = path.read_text(encoding="utf-8", errors="replace")
    marked = marker(source)
    if marked:
        try:
            return bank.resolve(marked)
        except UnknownProblem as exc:
            raise CoachError(f"{path}: the '# coach: {marked}' marker names {exc}") from None
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
    raise Undetected(
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
