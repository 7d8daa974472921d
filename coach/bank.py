"""The problem bank: the built-in problems, then a course's folder (`--problems DIR` or
`$COACH_PROBLEMS`), by id and alias.

A spec with faults is left out, not fatal: the other problems still work, and asking for
one of its names is an error naming its first fault (file, line, field). A course spec may
take a built-in problem's name only with `override`.

Validating a spec needs pydantic, whose models take longer to build than the rest of a
command that only shows problems. A spec validated once is kept in
`$COACH_HOME/spec-cache.json` with the size and time of its file (its faults too); while
the file is unchanged it is read back from there as a `SpecView` (plain attribute access,
no pydantic). A changed or new file is validated again.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coach.errors import CoachError, UnknownProblem
from coach.spec_faults import Fault, Loc, Names, SpecError, dotted, field_line, spec_names, summary

CACHE_VERSION = 4


MAPPING_FIELDS = frozenset(  # fields the models keep as plain data (dicts, lists of values)
    (
        "constructor",
        "methods",
        "attributes",
        "functions",
        "new",
        "args",
        "kwargs",
        "params",
        "works",
    )
)


class Fields:
    """A validated model read back from the cache: its fields as attributes."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getattr__(self, name: str) -> Any:
        try:
            value = self._data[name]
        except KeyError:
            raise AttributeError(name) from None
        return value if name in MAPPING_FIELDS else _view(value)


class ProbeView(Fields):
    """One probe entry of a cached spec."""

    @property
    def family_name(self) -> str:
        return self.family or self.id


class SpecView(Fields):
    """A problem spec from the cache, with the file it came from: what showing and grading
    read of a `ProblemSpec`, without pydantic."""

    def __init__(self, data: dict[str, Any], source: Path | None = None) -> None:
        super().__init__(data)
        self.source = source
        self.probes = [ProbeView(entry) for entry in data["probes"]]

    @property
    def reference_solution(self) -> Path:
        from coach.paths import reference_solution

        return reference_solution(self.id, self.source)

    def probe(self, probe_id: str) -> ProbeView:
        return next(p for p in self.probes if p.id == probe_id)


def _view(value: Any) -> Any:
    if isinstance(value, dict):
        return Fields(value)
    if isinstance(value, list):
        return [_view(v) for v in value]
    return value


def problem_dirs(extra: str | Path | None = None) -> list[Path]:
    """The built-in problems folder, then `--problems DIR` or `$COACH_PROBLEMS`."""
    from coach.paths import bank_dir

    dirs = [bank_dir() / "problems"]
    extra = extra or os.environ.get("COACH_PROBLEMS")
    if extra:
        extra_dir = Path(extra)
        if not extra_dir.is_dir():
            raise CoachError(f"problems folder not found: {extra_dir}")
        dirs.append(extra_dir)
    return dirs


def builtin_files() -> list[Path]:
    from coach.paths import bank_dir

    return sorted((bank_dir() / "problems").glob("*.yaml"))


def spec_files(extra: str | Path | None) -> tuple[list[Path], list[Path]]:
    """The built-in spec files, and the course's (a built-in file given again counts once)."""
    builtin = builtin_files()
    seen = {p.resolve() for p in builtin}
    course_dirs = problem_dirs(extra)[1:]
    course = [p for d in course_dirs for p in sorted(d.glob("*.yaml")) if p.resolve() not in seen]
    return builtin, course


@dataclass
class Broken:
    """A spec that cannot be used: its file, its faults, and the names it declares (its
    file name when it declares none that can be read)."""

    source: Path
    faults: list[Fault]
    names: Names

    @classmethod
    def of(cls, path: Path, error: SpecError) -> Broken:
        return cls(path, error.faults, error.names or [((), path.stem)])

    def error(self) -> CoachError:
        return CoachError(summary([str(f) for f in self.faults], self.source))


def load_views(files: list[Path]) -> list[SpecView | Broken]:
    """Each spec, from the cache where its file is unchanged, else validated now."""
    cache_path = _cache_path()
    cache = _read(cache_path)
    changed = False
    views: list[SpecView | Broken] = []
    for path in files:
        key = str(path.resolve())
        stat = path.stat()
        signature = [stat.st_mtime_ns, stat.st_size]
        entry = cache.get(key)
        if not (isinstance(entry, dict) and entry.get("signature") == signature):
            entry = {"signature": signature, **_validated(path)}
            cache[key] = entry
            changed = True
        if "spec" in entry:
            views.append(SpecView(entry["spec"], path))
        else:
            faults = [Fault(path, line, name, message) for line, name, message in entry["faults"]]
            names = [(tuple(loc), name) for loc, name in entry["names"]]
            views.append(Broken(path, faults, names))
    if changed and cache_path is not None:
        _write(cache_path, cache)
    return views


def _validated(path: Path) -> dict[str, Any]:
    """A cache entry: the spec as validated, or its faults and names."""
    from coach.specs import load_spec

    try:
        return {"spec": load_spec(path).model_dump(mode="json")}
    except SpecError as exc:
        broken = Broken.of(path, exc)
        return {
            "faults": [[f.line, f.field, f.message] for f in broken.faults],
            "names": [[list(loc), name] for loc, name in broken.names],
        }


def _cache_path() -> Path | None:
    from coach.paths import home_dir

    try:
        return home_dir() / "spec-cache.json"
    except CoachError:
        return None


def _read(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return {}
    return data.get("specs", {})


def _write(path: Path, specs: dict[str, Any]) -> None:
    temporary = path.with_suffix(".tmp")
    try:
        temporary.write_text(json.dumps({"version": CACHE_VERSION, "specs": specs}), "utf-8")
        temporary.replace(path)
    except OSError:
        pass  # a cache that cannot be written only costs time


@dataclass(frozen=True)
class Owner:
    """The spec that has a name: its id and file, whether it is built in, the spec itself."""

    id: str
    source: Path | None
    builtin: bool
    spec: Any = None


class Owners:
    """Who has each problem name (id or alias, lower-case): the built-in problems first,
    then a course's, which takes a built-in problem's name only with `override`."""

    def __init__(self, override: bool = False) -> None:
        self.override = override
        self.owners: dict[str, Owner] = {}

    def clashes(self, source: Path | None, names: Names, builtin: bool) -> list[tuple[Loc, str]]:
        """The names that another spec already has, each with what is wrong."""
        found: list[tuple[Loc, str]] = []
        replaced = ""  # the built-in problem whose id this spec has: its aliases go with it
        for loc, name in names:
            owner = self.owners.get(name.lower())
            if not loc or owner is None or owner.source == source or owner.id == replaced:
                continue
            if loc == ("id",) and owner.builtin and name.lower() == owner.id:
                replaced = owner.id
            if owner.builtin and not builtin:
                if self.override:
                    continue
                if name.lower() == owner.id:
                    what = f"'{name}' is a built-in problem; pass --override to replace it"
                else:
                    what = (
                        f"'{name}' already names the built-in problem {owner.id}; "
                        "pass --override to give the name to this one"
                    )
            else:
                what = f"'{name}' already names the problem {owner.id} ({owner.source})"
            found.append((loc, what))
        return found

    def claim(self, source: Path | None, names: Names, builtin: bool, spec: Any = None) -> None:
        spec_id = next((name for loc, name in names if loc == ("id",)), "")
        for _, name in names:
            self.owners[name.lower()] = Owner(spec_id, source, builtin, spec)


def clash_faults(owners: Owners, source: Path, names: Names, builtin: bool) -> list[Fault]:
    """The clashes of a spec's names as faults (its file read again for their lines)."""
    return [
        Fault(source, field_line(source, loc), dotted(loc), message)
        for loc, message in owners.clashes(source, names, builtin)
    ]


class Bank:
    """All the problems coach knows, by id, with aliases (validated specs or their views),
    and the specs left out for their faults."""

    def __init__(
        self, builtin: Sequence[Any], course: Sequence[Any] = (), *, override: bool = False
    ) -> None:
        owners = Owners(override)
        self.override = override
        self.broken: list[Broken] = []
        for entries, is_builtin in ((builtin, True), (course, False)):
            for entry in entries:
                if isinstance(entry, Broken):
                    clashes = clash_faults(owners, entry.source, entry.names, is_builtin)
                    entry.faults = sorted(clashes + entry.faults, key=lambda f: f.line)
                    self.broken.append(entry)
                    continue
                names = spec_names(entry.id, entry.aliases)
                clashes = clash_faults(owners, entry.source, names, is_builtin)
                if clashes:
                    self.broken.append(Broken(entry.source, clashes, names))
                else:
                    owners.claim(entry.source, names, is_builtin, entry)
        by_name = {name: owner.spec for name, owner in owners.owners.items()}
        kept = [s for s in by_name.values() if by_name.get(s.id) is s]
        self.specs = {s.id: s for s in sorted(kept, key=lambda s: s.frequency)}
        self.names = {n: s.id for n, s in by_name.items() if self.specs.get(s.id) is s}
        self.blocked = {name.lower(): b for b in self.broken for _, name in b.names}

    @classmethod
    def load(cls, extra: str | Path | None = None, *, override: bool = False) -> Bank:
        """Every spec, validated (pydantic models, as grading needs)."""
        builtin, course = spec_files(extra)
        return cls(_load_specs(builtin), _load_specs(course), override=override)

    @classmethod
    def views(cls, extra: str | Path | None = None, *, override: bool = False) -> Bank:
        """Every spec, for showing: validated once, then read from the cache."""
        builtin, course = spec_files(extra)
        return cls(load_views(builtin), load_views(course), override=override)

    def resolve(self, name: str) -> Any:
        """The spec for an id or alias; a typo gets a "did you mean"."""
        import difflib

        found = self.lookup(name)
        if found is not None:
            return found
        close = difflib.get_close_matches(name.lower(), list(self.names), n=1, cutoff=0.6)
        hint = f" (did you mean '{self.names[close[0]]}'?)" if close else ""
        known = ", ".join(self.specs)
        raise UnknownProblem(f"unknown problem '{name}'{hint}; known problems: {known}")

    def lookup(self, name: str) -> Any:
        """The spec for an id or alias, None when none has it; a name of a spec left out
        for its faults is a CoachError naming the first."""
        lowered = name.strip().lower()
        for key in (lowered, lowered.replace("-", "_")):
            if key in self.blocked:
                raise self.blocked[key].error()
            if key in self.names:
                return self.specs[self.names[key]]
        return None

    def note(self) -> str | None:
        """One line on the specs left out for their faults, or None when there are none."""
        if not self.broken:
            return None
        files = ", ".join(str(b.source) for b in self.broken)
        which = "which has errors" if len(self.broken) == 1 else "which have errors"
        folders = " ".join(sorted({str(b.source.parent) for b in self.broken}))
        override = " --override" if self.override else ""
        return f"left out {files}, {which}; `coach validate {folders}{override}` lists them"


def _load_specs(files: list[Path]) -> list[Any]:
    from coach.specs import load_spec

    loaded: list[Any] = []
    for path in files:
        try:
            loaded.append(load_spec(path))
        except SpecError as exc:
            loaded.append(Broken.of(path, exc))
    return loaded


def note_left_out(bank: Bank) -> None:
    """One line on stderr when specs were left out for their faults."""
    note = bank.note()
    if note:
        print(f"coach: note: {note}", file=sys.stderr)
