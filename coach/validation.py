"""`coach validate`: a problem spec is usable when it loads, its probes exist, its starter
compiles, and its reference solution scores 100."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from coach.errors import CoachError


@dataclass
class Validation:
    source: Path
    problem: str = ""
    score: float | None = None
    faults: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.faults


def spec_files(path: Path | None, problems: str | None) -> list[Path]:
    from coach.specs import problem_dirs

    if path is None:
        return [p for d in problem_dirs(problems) for p in sorted(d.glob("*.yaml"))]
    if path.is_dir():
        return sorted(path.glob("*.yaml"))
    if not path.exists():
        raise CoachError(f"no such file or folder: {path}")
    return [path]


def validate_specs(path: Path | None, problems: str | None = None) -> list[Validation]:
    files = spec_files(path, problems)
    if not files:
        raise CoachError(f"no problem specs (*.yaml) found in {path}")
    return [validate_one(f) for f in files]


def validate_one(source: Path) -> Validation:
    from coach.catalogue import MISTAKES
    from coach.grading import Grader
    from coach.probes import unknown_probes
    from coach.specs import load_spec

    result = Validation(source)
    try:
        spec = load_spec(source)
    except CoachError as exc:
        result.faults.append(str(exc))
        return result
    result.problem = spec.id
    for missing in unknown_probes(spec):
        result.faults.append(f"no family or problem probe provides '{missing}'")
    for p in spec.probes:
        if p.mistake not in MISTAKES:
            result.faults.append(f"probe '{p.id}' cites unknown mistake '{p.mistake}'")
    try:
        compile(spec.starter, f"{spec.id} starter", "exec")
    except SyntaxError as exc:
        result.faults.append(f"the starter does not compile: {exc.msg} at line {exc.lineno}")
    if f"# coach: {spec.id}" not in "\n".join(spec.starter.splitlines()[:5]):
        result.faults.append(f"the starter lacks a '# coach: {spec.id}' line at the top")
    reference = spec.reference_solution
    if not reference.exists():
        result.faults.append(f"no reference solution at {reference}")
        return result
    if result.faults:
        return result
    report = Grader(spec).grade(reference)
    result.score = report.score
    if report.score != 100:
        failed = ", ".join(
            f"{p.id} ({p.message})" for p in report.probes if p.points < p.max_points
        )
        result.faults.append(f"the reference solution scores {report.score}, not 100: {failed}")
    return result


def render_validation(console, results: list[Validation]) -> None:  # type: ignore[no-untyped-def]
    for r in results:
        if r.ok:
            console.print(f"[green]✓[/] {r.problem}: {r.source} — reference scores {r.score:g}")
        else:
            name = r.problem or r.source.name
            console.print(f"[red]✗[/] {name}: {r.source}")
            for fault in r.faults:
                console.print(f"    {fault}", markup=False, highlight=False)
