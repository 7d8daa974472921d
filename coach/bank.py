"""The problem bank for commands that only show problems (`list`, `show`, `stats`).

Validating a spec needs pydantic, whose models take longer to build than the rest of such
a command. A spec validated once is kept in `$COACH_HOME/spec-cache.json` with the size
and time of its file; while the file is unchanged it is read back from there as a
`SpecView` (plain attribute access, no pydantic). A changed or new file is validated
again, so a broken spec is always reported with its file, line and field.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from coach.errors import CoachError

CACHE_VERSION = 3


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


def spec_files(extra: str | Path | None) -> list[Path]:
    return [p for d in problem_dirs(extra) for p in sorted(d.glob("*.yaml"))]


def load_views(extra: str | Path | None = None) -> list[SpecView]:
    """Every spec, from the cache where its file is unchanged, else validated now."""
    files = spec_files(extra)
    cache_path = _cache_path()
    cache = _read(cache_path)
    changed = False
    views = []
    for path in files:
        key = str(path.resolve())
        stat = path.stat()
        signature = [stat.st_mtime_ns, stat.st_size]
        entry = cache.get(key)
        if not (isinstance(entry, dict) and entry.get("signature") == signature):
            from coach.specs import load_spec

            spec = load_spec(path)
            entry = {"signature": signature, "spec": spec.model_dump(mode="json")}
            cache[key] = entry
            changed = True
        views.append(SpecView(entry["spec"], path))
    if changed and cache_path is not None:
        _write(cache_path, cache)
    return views


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


class Bank:
    """All the problems coach knows, by id, with aliases (validated specs or their views)."""

    def __init__(self, specs: list[Any]) -> None:
        self.specs = {s.id: s for s in sorted(specs, key=lambda s: s.frequency)}
        self.names: dict[str, str] = {}
        for spec in self.specs.values():
            for name in (spec.id, *spec.aliases):
                self.names[name.lower()] = spec.id

    @classmethod
    def load(cls, extra: str | Path | None = None) -> Bank:
        """Every spec, validated (pydantic models, as grading needs)."""
        from coach.specs import load_spec

        return cls([load_spec(p) for p in spec_files(extra)])

    @classmethod
    def views(cls, extra: str | Path | None = None) -> Bank:
        """Every spec, for showing: validated once, then read from the cache."""
        return cls(load_views(extra))

    def resolve(self, name: str) -> Any:
        """The spec for an id or alias; a typo gets a "did you mean"."""
        import difflib

        key = name.strip().lower().replace("-", "_")
        found = self.names.get(name.strip().lower()) or self.names.get(key)
        if found:
            return self.specs[found]
        close = difflib.get_close_matches(name.lower(), list(self.names), n=1, cutoff=0.6)
        hint = f" (did you mean '{self.names[close[0]]}'?)" if close else ""
        known = ", ".join(self.specs)
        raise CoachError(f"unknown problem '{name}'{hint}; known problems: {known}")

    def lookup(self, name: str) -> Any:
        try:
            return self.resolve(name)
        except CoachError:
            return None
