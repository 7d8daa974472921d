"""A course defines a problem with YAML alone when coach's probe families fit it
(tests/fixtures/course: a spec and its reference solution, no Python of coach's own)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import run_coach

pytestmark = pytest.mark.slow

COURSE = Path(__file__).resolve().parent / "fixtures" / "course"
SPEC = COURSE / "problems" / "least_squares_gd.yaml"
REFERENCE = COURSE / "reference_solutions" / "least_squares_gd.py"


def test_the_course_problem_validates_and_its_reference_scores_100() -> None:
    done = run_coach("validate", str(COURSE / "problems"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "reference scores 100" in " ".join(done.stdout.split())


def test_a_course_candidate_is_graded_by_the_families(tmp_path: Path) -> None:
    ascent = tmp_path / "mine.py"
    ascent.write_text(
        REFERENCE.read_text().replace(
            "self.weights - self.learning_rate * dw", "self.weights + self.learning_rate * dw"
        )
    )
    done = run_coach(
        "grade", str(ascent), "--problems", str(COURSE / "problems"), "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["problem"] == "least_squares_gd"  # from the file's marker
    assert report["mistakes"] == ["gradient-sign"], report
    assert report["score"] < 100


def test_a_probe_that_nothing_provides_is_an_error_of_the_spec(tmp_path: Path) -> None:
    folder = tmp_path / "problems"
    folder.mkdir()
    bad = folder / "least_squares_gd.yaml"
    bad.write_text(SPEC.read_text().replace("family: known_solution", "family: known_answer"))
    shutil.copytree(COURSE / "reference_solutions", tmp_path / "reference_solutions")
    done = run_coach("grade", str(REFERENCE), "--problems", str(folder))
    assert done.returncode == 2, done.stdout + done.stderr
    line = next(i for i, s in enumerate(bad.read_text().splitlines(), 1) if "known_answer" in s)
    assert done.stderr == (
        f"coach: error: {bad}:{line}: probes.0.family: no family or problem probe provides "
        "'known_answer'\n"
    )
    assert "Traceback" not in done.stderr and not done.stdout
    validated = run_coach("validate", str(folder))
    assert validated.returncode == 2 and "known_answer" in validated.stdout


LOGISTIC = COURSE.parents[2] / "reference_solutions" / "logistic_regression.py"


def broken_course(tmp_path: Path) -> Path:
    """A copy of the course folder whose spec has faults of the schema and of its content."""
    shutil.copytree(COURSE, tmp_path / "course")
    spec = tmp_path / "course" / "problems" / "least_squares_gd.yaml"
    spec.write_text(
        SPEC.read_text()
        .replace("difficulty: easy", "difficulty: simple")
        .replace("minutes: 20", "minutes: twenty")
        .replace("family: known_solution", "family: known_answer")
        .replace("mistake: input-mutation", "mistake: input-mutated")
        .replace("      def fit(self, X, y):", "      def fit(self, X, y)")
    )
    return spec


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_validate_reports_every_fault_of_a_spec_in_one_run(tmp_path: Path) -> None:
    spec = broken_course(tmp_path)
    done = run_coach("validate", str(spec.parent))
    assert done.returncode == 2 and not done.stderr, done.stdout + done.stderr
    starter = line_of(spec, "def fit(self, X, y)")
    assert done.stdout.splitlines() == [
        f"✗ least_squares_gd: {spec} — 5 errors",
        f"  {spec}:5: difficulty: must be one of 'easy', 'medium' or 'hard', not 'simple'",
        f"  {spec}:6: minutes: must be a whole number, not 'twenty'",
        f"  {spec}:{starter}: starter: does not compile: expected ':' "
        f"(line {starter - line_of(spec, 'starter: |')} of the starter)",
        f"  {spec}:{line_of(spec, 'known_answer')}: probes.0.family: no family or problem probe "
        "provides 'known_answer'",
        f"  {spec}:{line_of(spec, 'input-mutated')}: probes.3.mistake: unknown mistake "
        "'input-mutated' (did you mean 'input-mutation'?)",
    ]


@pytest.mark.parametrize("how", ["--problems", "COACH_PROBLEMS"])
def test_a_broken_course_folder_does_not_stop_a_built_in_problem(tmp_path: Path, how: str) -> None:
    spec = broken_course(tmp_path)
    folder = str(spec.parent)
    options = ["--problems", folder] if how == "--problems" else []
    env = {**os.environ, "COACH_PROBLEMS": folder} if how == "COACH_PROBLEMS" else None
    args = ["--problem", "logistic", "--format", "json", *options]
    done = run_coach("grade", str(LOGISTIC), *args, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["score"] == 100
    assert done.stderr == (
        f"coach: note: left out {spec}, which has errors; `coach validate {folder}` lists them\n"
    )
    broken = run_coach("grade", str(REFERENCE), *options, env=env)  # its marker: the course's
    assert broken.returncode == 2 and not broken.stdout and "Traceback" not in broken.stderr
    assert broken.stderr == (
        f"coach: error: {spec}:5: difficulty: must be one of 'easy', 'medium' or 'hard', not "
        f"'simple' (and 1 more; `coach validate {spec}` lists them all)\n"
    )


def test_a_course_spec_replaces_a_built_in_problem_only_with_override(tmp_path: Path) -> None:
    import yaml

    data = yaml.safe_load(
        (LOGISTIC.parents[1] / "problems" / "logistic_regression.yaml").read_text()
    )
    data["probes"] = [
        dict(p, points=50) for p in data["probes"] if p["id"] in ("overfit_tiny", "numpy_only")
    ]
    folder = tmp_path / "course" / "problems"
    folder.mkdir(parents=True)
    spec = folder / "logistic_regression.yaml"
    spec.write_text(yaml.safe_dump(data, sort_keys=False))
    (tmp_path / "course" / "reference_solutions").mkdir()
    shutil.copy(LOGISTIC, tmp_path / "course" / "reference_solutions")
    fault = (
        f"{spec}:1: id: 'logistic_regression' is a built-in problem; pass --override to replace it"
    )

    refused = run_coach("grade", str(LOGISTIC), "--problems", str(folder))
    assert refused.returncode == 2 and refused.stderr == f"coach: error: {fault}\n"
    validated = run_coach("validate", str(folder))
    assert validated.returncode == 2 and f"  {fault}" in validated.stdout.splitlines()

    args = ["--problems", str(folder), "--override"]
    done = run_coach("grade", str(LOGISTIC), *args, "--format", "json")
    assert done.returncode == 0 and not done.stderr, done.stderr
    assert [p["id"] for p in json.loads(done.stdout)["probes"]] == ["overfit_tiny", "numpy_only"]
    validated = run_coach("validate", str(folder), "--override")
    assert validated.returncode == 0 and "reference scores 100" in validated.stdout
