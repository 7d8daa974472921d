"""A course defines a problem with YAML alone when coach's probe families fit it
(tests/fixtures/course: a spec and its reference solution, no Python of coach's own)."""

from __future__ import annotations

import json
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
    assert str(bad) in done.stderr and "recovers_the_line (family 'known_answer')" in done.stderr
    assert "Traceback" not in done.stderr and not done.stdout
    validated = run_coach("validate", str(folder))
    assert validated.returncode == 2 and "known_answer" in validated.stdout
