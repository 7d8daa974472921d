"""`coach validate` finds every fault of a spec in one run: the schema's and what only coach
knows (probe families, mistake ids, the starter, names, the reference solution)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from coach.bank import Owners
from coach.errors import CoachError
from coach.validation import render_validation, validate_one, validate_specs

COURSE = Path(__file__).resolve().parent / "fixtures" / "course"


def course_copy(tmp_path: Path, edit=lambda text: text) -> Path:  # type: ignore[no-untyped-def]
    shutil.copytree(COURSE, tmp_path / "course")
    spec = tmp_path / "course" / "problems" / "least_squares_gd.yaml"
    spec.write_text(edit(spec.read_text()))
    return spec


def line_of(path: Path, text: str) -> int:
    lines = [i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line]
    assert len(lines) == 1, f"{text!r} is on lines {lines}"
    return lines[0]


def several_faults(text: str) -> str:
    return (
        text.replace("difficulty: easy", "difficulty: simple")
        .replace("minutes: 20", "minutes: twenty")
        .replace("family: known_solution", "family: known_answer")
        .replace("mistake: input-mutation", "mistake: input-mutated")
        .replace("      def fit(self, X, y):", "      def fit(self, X, y)")
        .replace("  works: {", "  workz: {")
    )


def test_every_fault_of_a_spec_in_one_run(tmp_path: Path) -> None:
    spec = course_copy(tmp_path, several_faults)
    (spec.parent.parent / "reference_solutions" / "least_squares_gd.py").unlink()
    result = validate_one(spec, Owners())
    starter_at = line_of(spec, "starter: |")
    assert [str(f) for f in result.faults] == [
        f"{spec}:2: id: no reference solution at "
        f"{spec.parent.parent / 'reference_solutions' / 'least_squares_gd.py'}",
        f"{spec}:5: difficulty: must be one of 'easy', 'medium' or 'hard', not 'simple'",
        f"{spec}:6: minutes: must be a whole number, not 'twenty'",
        f"{spec}:{line_of(spec, 'def fit(self, X, y)')}: starter: does not compile: "
        f"expected ':' (line {line_of(spec, 'def fit') - starter_at} of the starter)",
        f"{spec}:{line_of(spec, 'workz')}: grading.workz: unknown field (did you mean 'works'?)",
        f"{spec}:{line_of(spec, 'known_answer')}: probes.0.family: no family or problem probe "
        "provides 'known_answer'",
        f"{spec}:{line_of(spec, 'input-mutated')}: probes.3.mistake: unknown mistake "
        "'input-mutated' (did you mean 'input-mutation'?)",
    ]
    assert result.problem == "least_squares_gd" and result.score is None


def test_a_starter_without_its_marker(tmp_path: Path) -> None:
    spec = course_copy(tmp_path, lambda t: t.replace("# coach: least_squares_gd", "# mine"))
    faults = [str(f) for f in validate_one(spec).faults]
    assert faults == [
        f"{spec}:{line_of(spec, 'starter: |')}: starter: needs a '# coach: least_squares_gd' "
        "line in its first 5 lines"
    ]


def test_a_course_spec_of_a_built_in_id_needs_override(tmp_path: Path) -> None:
    spec = course_copy(tmp_path, lambda t: t.replace("id: least_squares_gd", "id: knn"))
    message = f"{spec}:2: id: 'knn' is a built-in problem; pass --override to replace it"
    (result,) = validate_specs(spec.parent)
    assert message in [str(f) for f in result.faults]
    (overridden,) = validate_specs(spec.parent, override=True)
    assert message not in [str(f) for f in overridden.faults]


def test_the_report_is_one_line_a_fault_never_wrapped(tmp_path: Path) -> None:
    spec = course_copy(tmp_path, several_faults)
    results = [validate_one(spec, Owners())]
    console = Console(width=60, file=io.StringIO(), color_system=None)
    render_validation(console, results)
    lines = console.file.getvalue().splitlines()
    assert lines[0] == f"✗ least_squares_gd: {spec} — 6 errors"
    assert lines[1:] == [f"  {f}" for f in results[0].faults]


@pytest.mark.parametrize("name", ["nowhere", "empty"])
def test_nothing_to_validate(tmp_path: Path, name: str) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(CoachError, match="no such file or folder|no problem specs"):
        validate_specs(tmp_path / name)
