"""`coach validate`: a problem spec is usable when it loads, its probes and mistakes exist,
its starter compiles, its names are its own, and its reference solution scores 100.

Every fault of a spec is reported in one run, one line each (`FILE:LINE: FIELD: what`); the
reference solution is graded only when nothing else is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.detect import MARKER_LINES
from coach.errors import CoachError
from coach.spec_faults import Fault, SpecError, SpecText, read_spec, spec_names

if TYPE_CHECKING:
    from rich.console import Console

    from coach.bank import Owners


@dataclass
class Validation:
    source: Path
    problem: str = ""
    score: float | None = None
    faults: list[Fault] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.faults


def validate_specs(
    path: Path | None, problems: str | None = None, *, override: bool = False
) -> list[Validation]:
    """Each spec of a file or folder (default: the built-in problems and the course's),
    checked against the built-in problems' names unless `override`."""
    from coach.bank import Owners, SpecView, builtin_files, load_views, spec_files

    builtin = builtin_files()
    files = _files_at(path) if path else [p for group in spec_files(problems) for p in group]
    if not files:
        raise CoachError(f"no problem specs (*.yaml) found in {path}")
    owners = Owners(override)
    for view in load_views(builtin):
        if isinstance(view, SpecView):
            owners.claim(view.source, spec_names(view.id, view.aliases), builtin=True)
    own = {p.resolve() for p in builtin}
    return [validate_one(f, owners, builtin=f.resolve() in own) for f in files]


def _files_at(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(path.glob("*.yaml"))
    if not path.exists():
        raise CoachError(f"no such file or folder: {path}")
    return [path]


def validate_one(
    source: Path, owners: Owners | None = None, *, builtin: bool = False
) -> Validation:
    """Every fault of one spec; when there is none, the score of its reference solution."""
    from coach.specs import schema_faults

    result = Validation(source)
    try:
        src = read_spec(source)
    except SpecError as exc:
        result.faults = exc.faults
        return result
    spec, faults = schema_faults(src)
    faults += content_faults(src)
    if owners is not None and not builtin:
        clashes = owners.clashes(source, src.names(), builtin=False)
        faults += [src.fault(loc, what) for loc, what in clashes]
        if not clashes:
            owners.claim(source, src.names(), builtin=False)
    result.problem = spec.id if spec else _valid_id(src.data) or ""
    result.faults = sorted(faults, key=lambda f: f.line)
    if spec is None or result.faults:
        return result
    from coach.grading import Grader

    report = Grader(spec).grade(spec.reference_solution)
    result.score = report.score
    index = {p.id: i for i, p in enumerate(spec.probes)}
    for probe in report.probes:
        if probe.points < probe.max_points:
            what = (
                f"the reference solution earns {probe.points:g} of {probe.max_points:g}: "
                f"{probe.message}"
            )
            result.faults.append(src.fault(("probes", index.get(probe.id, 0)), what))
    return result


def _valid_id(data: dict[str, Any]) -> str | None:
    from coach.specs import ID_PATTERN

    spec_id = data.get("id")
    return spec_id if isinstance(spec_id, str) and re.fullmatch(ID_PATTERN, spec_id) else None


def content_faults(src: SpecText) -> list[Fault]:
    """What the schema cannot see, read from the data as written (so they are found beside
    the schema's): mistakes not in the catalogue, probes nothing provides, a starter that
    does not compile or lacks its marker, a missing reference solution."""
    from coach.paths import reference_solution
    from coach.probes import probe_faults

    data, faults = src.data, list[Fault]()
    spec_id = _valid_id(data)
    probes = data.get("probes")
    if isinstance(probes, list):
        faults += _mistake_faults(src, probes)
        if spec_id:
            faults += [src.fault(loc, what) for loc, what in probe_faults(spec_id, probes)]
    starter = data.get("starter")
    if isinstance(starter, str):
        faults += _starter_faults(src, starter, spec_id)
    if spec_id:
        reference = reference_solution(spec_id, src.path)
        if not reference.is_file():
            faults.append(src.fault(("id",), f"no reference solution at {reference}"))
    return faults


def _mistake_faults(src: SpecText, probes: list[Any]) -> list[Fault]:
    """Probe entries citing a mistake that the catalogue does not have."""
    import difflib

    from coach.catalogue import MISTAKES

    faults = []
    for i, entry in enumerate(probes):
        mistake = entry.get("mistake") if isinstance(entry, dict) else None
        if isinstance(mistake, str) and mistake not in MISTAKES:
            close = difflib.get_close_matches(mistake, list(MISTAKES), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else "`coach mistakes` lists them"
            what = f"unknown mistake '{mistake}' ({hint})"
            faults.append(src.fault(("probes", i, "mistake"), what))
    return faults


def _starter_faults(src: SpecText, starter: str, spec_id: str | None) -> list[Fault]:
    """A starter that does not compile (at its line in the spec), or lacks its marker."""
    faults = []
    try:
        compile(starter, "starter", "exec")
    except (SyntaxError, ValueError) as exc:
        lineno = getattr(exc, "lineno", None) or 0
        offset = lineno if _is_block(src, "starter") else 0
        what = getattr(exc, "msg", None) or str(exc)
        line = f" (line {lineno} of the starter)" if lineno else ""
        faults.append(src.fault(("starter",), f"does not compile: {what}{line}", offset=offset))
    marker = f"# coach: {spec_id}"
    if spec_id and marker not in "\n".join(starter.splitlines()[:MARKER_LINES]):
        what = f"needs a '{marker}' line in its first {MARKER_LINES} lines"
        faults.append(src.fault(("starter",), what))
    return faults


def _is_block(src: SpecText, key: str) -> bool:
    """Whether a top-level text field is a block scalar (`|` or `>`), whose text starts on
    the line below its key."""
    node = next((v for k, v in getattr(src.root, "value", []) if k.value == key), None)
    return getattr(node, "style", None) in ("|", ">")


def render_validation(console: Console, results: list[Validation]) -> None:
    """One line per spec, then one line per fault (never wrapped)."""
    for r in results:
        if r.ok:
            line = f"[green]✓[/] {r.problem}: {r.source} — reference scores {r.score:g}"
            console.print(line, soft_wrap=True)
            continue
        name = r.problem or r.source.name
        count = f"{len(r.faults)} error" + ("s" if len(r.faults) != 1 else "")
        scored = "" if r.score is None else f"reference scores {r.score:g}; "
        console.print(f"[red]✗[/] {name}: {r.source} — {scored}{count}", soft_wrap=True)
        for fault in r.faults:
            console.print(f"  {fault}", markup=False, highlight=False, soft_wrap=True)
