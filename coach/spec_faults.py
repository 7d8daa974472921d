"""The faults of a problem spec, one line each: `FILE:LINE: FIELD: what is wrong`.

A spec is read once (`read_spec`); its YAML nodes are composed only when a fault needs a
line. Nothing heavy is imported at module level (yaml on use).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from coach.errors import CoachError

Loc = tuple[Any, ...]  # a field's path in the spec: ("probes", 2, "points")
Names = list[tuple[Loc, str]]  # a spec's id and aliases, each with where it is declared


@dataclass(frozen=True)
class Fault:
    """One thing wrong with a spec, where it is and what it is."""

    path: Path
    line: int
    field: str  # dotted, e.g. probes.2.points; "" when the fault has no field
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


def dotted(loc: Loc) -> str:
    return ".".join(str(part) for part in loc)


class SpecError(CoachError):
    """A spec that cannot be used: every fault found in it, and the names it declares
    (its id and aliases, as far as they could be read)."""

    def __init__(self, faults: list[Fault], names: Names | None = None) -> None:
        self.faults = faults
        self.names = names or []
        super().__init__(summary([str(f) for f in faults], faults[0].path))


def summary(faults: list[str], path: Path | str) -> str:
    """The first fault, and how many more `coach validate` would list."""
    more = len(faults) - 1
    if not more:
        return faults[0]
    return f"{faults[0]} (and {more} more; `coach validate {path}` lists them all)"


@dataclass
class SpecText:
    """One spec file read: its text, its data, and the lines of its fields."""

    path: Path
    text: str
    data: dict[str, Any]

    @cached_property
    def root(self) -> Any:
        import yaml

        try:
            return yaml.compose(self.text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:
            return None

    def line(self, loc: Loc, *, key: bool = False) -> int:
        return node_line(self.root, loc, key=key) or 1

    def fault(self, loc: Loc, message: str, *, key: bool = False, offset: int = 0) -> Fault:
        return Fault(self.path, self.line(loc, key=key) + offset, dotted(loc), message)

    def names(self) -> Names:
        """The id and aliases the spec declares, those that are text."""
        return declared_names(self.data)


def spec_names(spec_id: Any, aliases: Any) -> Names:
    """A spec's names with where each is declared: the id, then the aliases."""
    names: Names = [(("id",), spec_id)] if isinstance(spec_id, str) else []
    if isinstance(aliases, list):
        names += [(("aliases", i), a) for i, a in enumerate(aliases) if isinstance(a, str)]
    return names


def declared_names(data: dict[str, Any]) -> Names:
    return spec_names(data.get("id"), data.get("aliases"))


def read_spec(path: Path) -> SpecText:
    """The spec's text and data; a file that cannot be read or parsed is a SpecError with
    its one fault (YAML stops at its first syntax error)."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as exc:
        raise SpecError([Fault(path, 1, "", f"cannot read: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise SpecError([Fault(path, 1, "", "not UTF-8 text")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = f" (column {mark.column + 1})" if mark else ""
        problem = exc.problem or exc.context or "cannot be parsed"
        raise SpecError([Fault(path, line, "", f"invalid YAML: {problem}{column}")]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Fault(path, 1, "", f"invalid YAML: {exc}")]) from None
    if not isinstance(data, dict):
        raise SpecError([Fault(path, 1, "", "a problem spec must be a mapping of fields")])
    return SpecText(path, text, data)


def node_line(root: Any, loc: Loc, *, key: bool = False) -> int | None:
    """The 1-based line of the YAML node at a field's path (of its key with `key`), else of
    the nearest node above it that exists."""
    import yaml

    node, line = root, None
    for i, part in enumerate(loc):
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == part), None)
            if pair is None:
                break
            last = i == len(loc) - 1
            node = pair[0] if key and last else pair[1]
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line


def field_line(path: Path, loc: Loc) -> int:
    """The line of a field in a spec file, read again (for faults found after loading)."""
    try:
        return read_spec(path).line(loc)
    except SpecError:
        return 1
