"""The logistic regression grader against candidate files written the way people write them.

Three folders of fixtures under ``tests/fixtures/logistic_regression``; adding a case is
adding a file:

- ``correct/``: right answers in many styles (aliases, summed loss, column vectors,
  ``train`` instead of ``fit``...). Each must score at least 95 with no mistake cited.
- ``buggy/<mistake-id>[__variant].py``: otherwise correct files with one realistic bug.
  Each must be charged with exactly the mistake its name gives, by every probe it fails.
- ``hostile/``: files that hang, exit, flood, allocate or lie. Each must grade within its
  time limit to a low score, with the reason (its first line, ``# expect: TEXT``) in the
  report.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from coach.grading import Grader
from coach.results import GradeReport, ProbeResult, Status
from coach.specs import Bank, ProblemSpec

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "logistic_regression"
REFERENCE = ROOT / "reference_solutions" / "logistic_regression.py"
CORRECT = sorted((FIXTURES / "correct").glob("*.py"))
BUGGY = sorted((FIXTURES / "buggy").glob("*.py"))
HOSTILE = sorted((FIXTURES / "hostile").glob("*.py"))

# Two graders at a time: each runs two workers, and the `vectorized` probe times the
# candidate beside the reference, so more would only add noise on a small machine.
JOBS = 2
HOSTILE_JOBS = 4
HOSTILE_TIMEOUT = 8.0  # seconds for one hostile file's whole grade
HOSTILE_SLACK = 4.0  # spawning, killing and restarting workers on top of that

# Probes no buggy fixture fails with the probe's own mistake, and why.
OWN_MISTAKE_EXCEPTIONS = {
    "extreme_values": (
        "every realistic way to fail on features of magnitude 1e4 is a numerical one; "
        "the exp-overflow and log-of-zero fixtures fail it citing their own mistakes"
    ),
}


def ids(paths: Iterable[Path]) -> list[str]:
    return [p.stem for p in paths]


def mistake_of(path: Path) -> str:
    """The mistake id a buggy fixture is named for: `<mistake-id>[__variant].py`."""
    return path.stem.split("__")[0]


def expected_reason(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: TEXT'"
    return first.removeprefix("# expect: ").strip()


def failed(report: GradeReport) -> list[ProbeResult]:
    return [p for p in report.probes if p.status is not Status.PASS]


def describe(report: GradeReport) -> str:
    """The report in a few lines, for assertion messages."""
    lines = [f"{report.file}: score {report.score}, mistakes {report.mistakes}"]
    if report.error:
        lines.append(f"  error: {report.error}")
    for p in failed(report):
        lines.append(f"  {p.id} {p.status.value} [{p.mistake}] {p.message}")
    return "\n".join(lines)


def grade_all(
    grader: Grader, paths: list[Path], jobs: int
) -> dict[Path, tuple[GradeReport, float]]:
    """Each path's report and the wall-clock seconds its grade took, graded in parallel."""

    def one(path: Path) -> tuple[GradeReport, float]:
        started = time.monotonic()
        report = grader.grade(path)
        return report, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return dict(zip(paths, pool.map(one, paths), strict=True))


@pytest.fixture(scope="session")
def spec() -> ProblemSpec:
    return Bank.load().resolve("logistic_regression")


@pytest.fixture(scope="session")
def reports(spec: ProblemSpec) -> dict[Path, GradeReport]:
    graded = grade_all(Grader(spec), [REFERENCE, *CORRECT, *BUGGY], JOBS)
    return {path: report for path, (report, _) in graded.items()}


@pytest.fixture(scope="session")
def hostile_reports(spec: ProblemSpec) -> dict[Path, tuple[GradeReport, float]]:
    return grade_all(Grader(spec, timeout=HOSTILE_TIMEOUT), HOSTILE, HOSTILE_JOBS)


# -- the folders themselves ------------------------------------------------------------------
def test_fixture_folders_are_populated(spec: ProblemSpec) -> None:
    assert len(CORRECT) >= 6
    assert len(HOSTILE) >= 10
    # one buggy fixture (at least) per mistake the probes can cite, and none for others
    citable = {p.mistake for p in spec.probes} | {"api-contract", "gradient-sign"}
    assert {mistake_of(p) for p in BUGGY} == citable


# -- the reference and correct solutions ---------------------------------------------------
def test_reference_scores_100(reports: dict[Path, GradeReport]) -> None:
    report = reports[REFERENCE]
    assert report.score == 100, describe(report)
    assert report.mistakes == []
    assert all(p.status is Status.PASS for p in report.probes)


@pytest.mark.parametrize("path", CORRECT, ids=ids(CORRECT))
def test_correct_solution_scores_high(path: Path, reports: dict[Path, GradeReport]) -> None:
    report = reports[path]
    assert report.error is None, describe(report)
    assert report.mistakes == [], describe(report)
    assert report.score >= 95, describe(report)


# -- buggy solutions ---------------------------------------------------------------------
@pytest.mark.parametrize("path", BUGGY, ids=ids(BUGGY))
def test_buggy_solution_is_charged_with_its_mistake(
    path: Path, reports: dict[Path, GradeReport]
) -> None:
    report = reports[path]
    mistake = mistake_of(path)
    assert report.error is None, describe(report)
    assert failed(report), f"no probe caught {mistake}:\n{describe(report)}"
    assert report.mistakes == [mistake], describe(report)
    assert all(p.mistake == mistake for p in failed(report)), describe(report)
    assert report.score < 100


def test_every_probe_fails_some_buggy_fixture(
    spec: ProblemSpec, reports: dict[Path, GradeReport]
) -> None:
    failing: dict[str, set[str]] = {p.id: set() for p in spec.probes}
    for path in BUGGY:
        for result in failed(reports[path]):
            failing[result.id].add(result.mistake or "")
    untested = sorted(probe for probe, cited in failing.items() if not cited)
    assert not untested, f"no buggy fixture fails these probes: {untested}"
    for probe in spec.probes:
        if probe.id in OWN_MISTAKE_EXCEPTIONS:
            continue
        assert probe.mistake in failing[probe.id], (
            f"no buggy fixture fails {probe.id} citing its own mistake {probe.mistake} "
            f"(it was failed citing {sorted(failing[probe.id])})"
        )


# -- hostile files -------------------------------------------------------------------------
@pytest.mark.parametrize("path", HOSTILE, ids=ids(HOSTILE))
def test_hostile_file_is_graded_low_in_time(
    path: Path, spec: ProblemSpec, hostile_reports: dict[Path, tuple[GradeReport, float]]
) -> None:
    report, seconds = hostile_reports[path]
    assert seconds < HOSTILE_TIMEOUT + HOSTILE_SLACK, f"grading took {seconds:.1f}s"
    assert report.score < 40, describe(report)
    assert len(report.probes) == len(spec.probes)
    assert report.mistakes, describe(report)
    said = "\n".join([report.error or "", report.candidate_output])
    said += "\n".join(p.message for p in report.probes)
    assert expected_reason(path) in said, describe(report)
    assert len(report.candidate_output) <= 4096 + 100  # the cap, plus its note


# -- determinism -------------------------------------------------------------------------
def without_timings(report: GradeReport) -> dict:
    data = report.to_json()
    data.pop("duration_s")
    for probe in data["probes"]:
        probe.pop("duration_s")
        if probe["id"] == "vectorized":  # its message is a measured time ratio
            probe.pop("message")
    return data


@pytest.mark.parametrize(
    "path",
    [
        FIXTURES / "correct" / "e_clipped_sigmoid_random_init.py",
        FIXTURES / "buggy" / "log-of-zero.py",
    ],
    ids=["correct", "buggy"],
)
def test_grading_twice_gives_the_same_report(
    path: Path, spec: ProblemSpec, reports: dict[Path, GradeReport]
) -> None:
    again = Grader(spec).grade(path)
    assert without_timings(again) == without_timings(reports[path])
