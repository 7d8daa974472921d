"""The grader against candidate files written the way people write them, for every problem.

Fixture folders under ``tests/fixtures/<problem>/``; adding a case is adding a file:

- ``correct/``: right answers in many styles. Each scores at least 95, citing no mistake.
- ``buggy/<mistake-id>[__variant].py``: one realistic bug each. Every probe it fails cites
  exactly that mistake, and no other mistake is cited (probes skipped because the code does
  not work yet cite none).
- ``stubs/``: code that does nothing (constants, zeros, random numbers, the untouched
  starter). Each scores at most its ``# max-score: N`` line.
- ``hostile/``: files that hang, exit, flood, allocate, forge or lie. Each grades within its
  time limit, at most its ``# max-score`` (default 30), with the reason its
  ``# expect: TEXT`` line gives somewhere in the report (``A | B``: either; a shared file
  meets problems of classes and of functions).

``tests/fixtures/shared/hostile/`` holds problem-agnostic hostile files, graded as every
problem. Beside each fixture, ``NAME.expected.json`` keeps the mistakes and the probe
statuses it got; ``pytest --refresh-expected`` writes them anew from the grader (read the
diff before committing it).
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from coach.grading import Grader
from coach.limits import Limits
from coach.results import GradeReport, ProbeResult, Status
from coach.specs import Bank

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PROBLEMS = sorted(
    p.name for p in FIXTURES.iterdir() if (ROOT / "problems" / f"{p.name}.yaml").exists()
)
CATEGORIES = ("correct", "buggy", "stubs", "hostile")
JOBS = 2  # two graders at a time: each runs two workers, and `vectorized` times them
HOSTILE = Limits(grade_s=8.0, import_s=3.0)
HOSTILE_SLACK = 4.0  # spawning, killing and restarting workers on top of the grade's limit


@dataclass(frozen=True)
class Case:
    problem: str
    category: str
    path: Path

    @property
    def id(self) -> str:
        return f"{self.problem}/{self.category}/{self.path.stem}"

    @property
    def expected_file(self) -> Path:
        name = (
            f"{self.path.stem}.{self.problem}.expected.json"
            if self.shared
            else f"{self.path.stem}.expected.json"
        )
        return self.path.with_name(name)

    @property
    def shared(self) -> bool:
        return self.path.parent.parent.name == "shared"

    def header(self, key: str) -> str | None:
        for line in self.path.read_text(encoding="utf-8").splitlines()[:3]:
            if line.startswith(f"# {key}: "):
                return line.removeprefix(f"# {key}: ").strip()
        return None


def cases() -> list[Case]:
    found = []
    for problem in PROBLEMS:
        for category in CATEGORIES:
            for path in sorted((FIXTURES / problem / category).glob("*.py")):
                found.append(Case(problem, category, path))
        for path in sorted((FIXTURES / "shared" / "hostile").glob("*.py")):
            found.append(Case(problem, "hostile", path))
    return found


CASES = cases()


def mistake_of(path: Path) -> str:
    return path.stem.split("__")[0]


def failed(report: GradeReport) -> list[ProbeResult]:
    return [p for p in report.probes if p.status is not Status.PASS]


def describe(report: GradeReport) -> str:
    lines = [f"{report.file}: score {report.score}, mistakes {report.mistakes}"]
    if report.error:
        lines.append(f"  error: {report.error}")
    for p in failed(report):
        lines.append(f"  {p.id} {p.status.value} [{p.mistake}] {p.message}")
    return "\n".join(lines)


def observed(report: GradeReport) -> dict:
    return {"mistakes": report.mistakes, "probes": {p.id: p.status.value for p in report.probes}}


@pytest.fixture(scope="session")
def graded() -> dict[Case, tuple[GradeReport, float]]:
    """Every fixture and reference graded once, in parallel."""
    bank = Bank.load()

    def one(case: Case) -> tuple[GradeReport, float]:
        limits = HOSTILE if case.category in ("hostile", "stubs") else Limits()
        started = time.monotonic()
        report = Grader(bank.resolve(case.problem), limits=limits).grade(case.path)
        return report, time.monotonic() - started

    references = [Case(p, "reference", ROOT / "reference_solutions" / f"{p}.py") for p in PROBLEMS]
    todo = references + CASES
    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        return dict(zip(todo, pool.map(one, todo), strict=True))


def test_every_problem_has_fixtures() -> None:
    assert {"logistic_regression", "linear_regression"} <= set(PROBLEMS)
    for problem in PROBLEMS:
        kinds = {c.category for c in CASES if c.problem == problem and not c.shared}
        assert {"correct", "buggy", "stubs"} <= kinds, problem


@pytest.mark.parametrize("problem", PROBLEMS)
def test_reference_scores_100(problem: str, graded: dict) -> None:
    report, _ = graded[Case(problem, "reference", ROOT / "reference_solutions" / f"{problem}.py")]
    assert report.score == 100, describe(report)
    assert report.mistakes == []


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fixture(case: Case, graded: dict, request: pytest.FixtureRequest) -> None:
    report, seconds = graded[case]
    if case.category == "correct":
        assert report.error is None, describe(report)
        assert report.mistakes == [], describe(report)
        assert report.score >= 95, describe(report)
    elif case.category == "buggy":
        mistake = mistake_of(case.path)
        assert failed(report), f"no probe caught {mistake}:\n{describe(report)}"
        assert report.mistakes == [mistake], describe(report)
        charged = [p for p in failed(report) if p.status is not Status.SKIP]  # a skip cites none
        assert all(p.mistake == mistake for p in charged), describe(report)
    elif case.category == "stubs":
        assert report.score <= float(case.header("max-score") or 10), describe(report)
    else:
        assert seconds < HOSTILE.grade_s + HOSTILE_SLACK, f"grading took {seconds:.1f}s"
        assert report.score <= float(case.header("max-score") or 30), describe(report)
        assert report.mistakes, describe(report)
        said = "\n".join(
            [report.error or "", report.candidate_output, *(p.message for p in report.probes)]
        )
        expect = case.header("expect")
        assert expect and any(e in said for e in expect.split(" | ")), describe(report)
        assert len(report.candidate_output) <= 4096 + 100  # the cap, plus its note
    if request.config.getoption("--refresh-expected"):
        case.expected_file.write_text(
            json.dumps(observed(report), indent=1) + "\n", encoding="utf-8"
        )
    assert case.expected_file.exists(), (
        f"run pytest --refresh-expected to write {case.expected_file.name}"
    )
    assert observed(report) == json.loads(case.expected_file.read_text(encoding="utf-8")), describe(
        report
    )


@pytest.mark.parametrize("problem", PROBLEMS)
def test_every_probe_fails_some_buggy_fixture_with_its_own_mistake(
    problem: str, graded: dict
) -> None:
    spec = Bank.load().resolve(problem)
    cited: dict[str, set[str]] = {p.id: set() for p in spec.probes}
    for case in CASES:
        if case.problem == problem and case.category == "buggy":
            for result in failed(graded[case][0]):
                cited[result.id].add(result.mistake or "")
    untested = sorted(probe for probe, found in cited.items() if not found)
    assert not untested, f"no buggy fixture fails these probes: {untested}"
    own = {p.id: p.mistake for p in spec.probes}
    missing = sorted(
        pid
        for pid, mistake in own.items()
        if mistake not in cited[pid] and pid not in OWN_MISTAKE_EXCEPTIONS
    )
    assert not missing, f"no buggy fixture fails these citing their own mistake: {missing}"


def test_every_correct_fixture_passes_the_visible_examples() -> None:
    """What `coach check` runs: a correct solution in any style passes every example (the
    examples pass labels as ints, as the statements promise)."""
    from coach.examples import run_examples

    bank = Bank.load()
    correct = [c for c in CASES if c.category == "correct"]

    def failures(case: Case) -> list[str]:
        results = run_examples(bank.resolve(case.problem), case.path)
        return [f"{case.id}: {r.title}: {r.message}" for r in results if not r.passed]

    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        found = [line for lines in pool.map(failures, correct) for line in lines]
    assert not found, "\n".join(found)


# Probes no buggy fixture fails with the probe's own mistake, and why.
OWN_MISTAKE_EXCEPTIONS = {
    "extreme_values": (
        "every realistic way to fail on features of magnitude 1e4 is a numerical one; "
        "the exp-overflow and log-of-zero fixtures fail it citing their own mistakes"
    ),
}


TIMED_FAMILIES = ("vectorized", "function_speed")  # their messages are measured time ratios


def without_timings(report: GradeReport) -> dict:
    spec = Bank.load().resolve(report.problem)
    timed = {p.id for p in spec.probes if p.family_name in TIMED_FAMILIES}
    data = report.to_json()
    data.pop("duration_s")
    for probe in data["probes"]:
        probe.pop("duration_s")
        if probe["id"] in timed:
            probe.pop("message")
    return data


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.path.stem in ("e_clipped_sigmoid_random_init", "log-of-zero")],
    ids=lambda c: c.id,
)
def test_grading_twice_gives_the_same_report(case: Case, graded: dict) -> None:
    again = Grader(Bank.load().resolve(case.problem)).grade(case.path)
    assert without_timings(again) == without_timings(graded[case][0])
