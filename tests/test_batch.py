"""Grading many files at once: workers reused and started ahead, unusable files graded 0,
bad input refused in one line, the exports and the batch summary."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pexpect
import pytest
import xmlschema
from conftest import REFERENCE, run_coach
from test_cli import GRADIENT_ASCENT, one_line_error

from coach import batch
from coach.bank import Bank
from coach.batch import Ahead, grade_files
from coach.limits import Limits
from coach.program import Program
from coach.results import GradeReport
from coach.sandbox import CallFailed, Worker
from coach.summary import mistake_counts, score_bands

JUNIT_XSD = Path(__file__).parent / "data" / "junit.xsd"
UNUSABLE = {  # file contents that are not usable Python, and what the one line says
    "binary.py": (bytes(range(256)) * 4, "NUL byte at line 1"),
    "nul.py": (b"import numpy\nx = 1\x00\n", "NUL byte at line 2"),
    "latin1.py": (b"import numpy\nname = 'caf\xe9'\n", "byte 0xe9 at line 2"),
    "empty.py": (b"  \n\n", "the file is empty"),
    "syntax.py": (b"import numpy\n\nclass LogReg:\n    def fit(self X, y):\n", "line 4"),
}


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def outcome(report: GradeReport) -> list[tuple[str, str, str | None]]:
    return [(p.id, p.status.value, p.mistake) for p in report.probes]


# -- reused and early workers ------------------------------------------------------------------


def test_one_reference_worker_serves_the_batch_and_grades_as_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ascent = write(tmp_path, "a_ascent.py", GRADIENT_ASCENT)
    copy = write(tmp_path, "b_copy.py", REFERENCE.read_text())
    again = write(tmp_path, "c_ascent.py", GRADIENT_ASCENT)
    alone = grade_files([again], problem="logistic")[0]

    references: list[Worker] = []

    class Counted(Worker):
        def __init__(self, path: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(path, **kwargs)
            if kwargs.get("role") == "reference":
                references.append(self)

    monkeypatch.setattr(batch, "Worker", Counted)
    reports = grade_files([ascent, copy, again], problem="logistic")
    assert len(references) == 1  # started once, reset between the three files
    assert [r.score for r in reports][1] == 100
    assert reports[0].mistakes == ["gradient-sign"]
    assert outcome(reports[2]) == outcome(alone)  # a reused reference judges the same


def test_files_are_imported_ahead_and_a_hanging_import_does_not_hold_the_batch(
    tmp_path: Path,
) -> None:
    hang = write(tmp_path, "a_hang.py", "while True:\n    pass\n")
    files = [hang, *(write(tmp_path, f"f{i}.py", REFERENCE.read_text()) for i in range(3))]
    ahead = Ahead(files, [True, True, False, True], Limits(import_s=30), window=3)
    handed: list[tuple[int, Worker | None]] = []
    try:
        with ahead.changed:  # 0 and 1 started (1 may have imported already); 2 needs none
            assert {*ahead.loading, *ahead.ready} == {0, 1, 2} and 0 in ahead.loading
            assert ahead.ready[2] is None
        handed = [ahead.next() for _ in range(3)]  # type: ignore[misc]
        assert sorted(i for i, _ in handed) == [1, 2, 3]  # none held behind the hanging 0
        assert all(w is None or w.loaded for _, w in handed)  # imported before their turn
        assert list(ahead.loading) == [0]
    finally:
        ahead.close()
        for _, worker in handed:
            if worker is not None:
                worker.close()
    assert not ahead.loading and not ahead.ready


def test_a_worker_reset_drops_the_objects_of_the_last_grade() -> None:
    worker = Worker(str(REFERENCE), role="reference")
    try:
        model = Program(worker, Bank.load().resolve("logistic")).new()
        model.get("learning_rate")
        worker.timed_out.add("call:fit")
        assert worker.reset()
        assert not worker.timed_out
        with pytest.raises(CallFailed, match="gone"):
            model.get("learning_rate")
    finally:
        worker.close()


# -- unusable files and bad input --------------------------------------------------------------


def test_unusable_files_score_0_with_one_line_and_the_batch_goes_on(tmp_path: Path) -> None:
    for name, (data, _) in UNUSABLE.items():
        write(tmp_path, name, data)
    write(tmp_path, "zz_reference.py", REFERENCE.read_text())
    done = run_coach("grade", str(tmp_path), "--format", "json", "--jobs", "2")
    assert done.returncode == 0, done.stderr
    reports = {Path(r["file"]).name: r for r in map(json.loads, done.stdout.splitlines())}
    for name, (_, reason) in UNUSABLE.items():
        report = reports[name]
        assert report["score"] == 0 and report["probes"] == [], report
        assert reason in report["error"] and "\n" not in report["error"]
        assert report["problem"] is None  # not told by the file, and not guessed
    assert "SyntaxError" in reports["syntax.py"]["error"]  # named, not "cannot tell"
    assert reports["zz_reference.py"]["score"] == 100


def test_a_syntax_error_in_a_marked_file_is_graded_for_its_problem(tmp_path: Path) -> None:
    path = write(tmp_path, "mine.py", "# coach: knn\nclass KNN:\n    def fit(self X, y): pass\n")
    done = run_coach("grade", str(path), "--format", "json")
    report = json.loads(done.stdout)
    assert report["problem"] == "knn" and report["mistakes"] == ["crash"]
    assert report["error"].startswith("SyntaxError") and "line 3" in report["error"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["grade", "marked.py"], "the '# coach: logistc' marker names unknown problem 'logistc'"),
        (["grade", "mine.py", "--min-score", "150"], "not in the range 0<=x<=100"),
        (["grade", "mine.py", "--min-score", "-1"], "not in the range 0<=x<=100"),
        (["grade", "mine.py", "--format", "xml"], "'rich', 'json', 'csv', 'html', 'markdown'"),
        (["grade", "mine.py", "--shard", "3/2"], "--shard must be K/N"),
        (["grade", "nothing"], "no .py files"),
        (["grade", "mine.py", "--output", "nowhere/report.csv"], "no such folder nowhere"),
    ],
)
def test_bad_batch_input_is_one_line_and_writes_nothing(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    write(tmp_path, "marked.py", "# coach: logistc\n" + REFERENCE.read_text())
    write(tmp_path, "mine.py", REFERENCE.read_text())
    (tmp_path / "nothing").mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    line = one_line_error(run_coach(*args, cwd=tmp_path))
    assert expected in line, line
    assert "Usage:" not in line and "pydantic" not in line and "Input should" not in line
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_an_unusable_history_folder_stops_the_batch_before_grading(tmp_path: Path) -> None:
    home = write(tmp_path, "home", "a file where the folder should be")
    out = tmp_path / "report.json"
    env = {**os.environ, "COACH_HOME": str(home)}
    done = run_coach("grade", str(REFERENCE), "--output", str(out), "--format", "json", env=env)
    assert "cannot create the coach folder" in one_line_error(done)
    assert not out.exists()


# -- exports -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One batch (a bug, the reference, a syntax error) in every export format."""
    folder = tmp_path_factory.mktemp("batch")
    write(folder, "ascent.py", GRADIENT_ASCENT)
    write(folder, "reference.py", REFERENCE.read_text())
    write(folder, "syntax.py", UNUSABLE["syntax.py"][0])
    env = {**os.environ, "COACH_HOME": str(tmp_path_factory.mktemp("home"))}
    out = {}
    for fmt in ("csv", "html", "junit", "markdown", "rich"):
        target = folder / f"report.{fmt}"
        done = run_coach(
            "grade", str(folder), "--problem", "logistic", "--format", fmt, "--jobs", "2",
            "--output", str(target), env=env,
        )  # fmt: skip
        assert done.returncode == 0 and done.stdout == "", done.stderr
        assert done.stderr == f"coach: wrote 3 reports ({fmt}) to {target}\n"
        out[fmt] = target.read_text(encoding="utf-8")
    return out


def test_csv_has_a_row_per_file(graded: dict[str, str]) -> None:
    rows = list(csv.DictReader(io.StringIO(graded["csv"])))
    assert list(rows[0]) == [
        "file",
        "problem",
        "score",
        "verdict",
        "mistakes",
        "duration_s",
        "error",
    ]
    by_name = {Path(r["file"]).name: r for r in rows}
    assert by_name["reference.py"]["score"] == "100.0" and by_name["reference.py"]["error"] == ""
    assert "gradient-sign" in by_name["ascent.py"]["mistakes"].split(";")
    assert by_name["syntax.py"]["score"] == "0.0" and "SyntaxError" in by_name["syntax.py"]["error"]
    assert all(float(r["duration_s"]) >= 0 for r in rows)


def test_html_is_self_contained(graded: dict[str, str]) -> None:
    html = graded["html"]
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert "gradient-sign" in html and "strong hire" in html and "Most cited mistakes" in html
    for fetch in ("<script", "<link", "src=", "@import", "url("):
        assert fetch not in html.lower()


def test_junit_is_valid_against_the_schema(graded: dict[str, str]) -> None:
    schema = xmlschema.XMLSchema(JUNIT_XSD)
    schema.validate(graded["junit"])
    root = ET.fromstring(graded["junit"])
    cases = root.findall("testsuite/testcase")
    failure = next(c.find("failure") for c in cases if c.find("failure") is not None)
    assert failure.get("message", "").startswith("[gradient-sign]")


def test_junit_schema_refuses_what_the_format_forbids() -> None:
    schema = xmlschema.XMLSchema(JUNIT_XSD)
    assert not schema.is_valid("<testsuites><testsuite name='x'/></testsuites>")  # no counts
    assert not schema.is_valid("<testsuites><testcase name='x'/></testsuites>")


def test_batch_summary_counts_mistakes_and_scores(graded: dict[str, str]) -> None:
    for fmt in ("rich", "markdown"):
        text = graded[fmt]
        assert "Summary" in text and "Most cited mistakes" in text and "Scores" in text
    assert "| 90-100 | 1 |" in graded["markdown"] and "| 0-9 | 1 |" in graded["markdown"]


def report(score: float, *mistakes: str) -> GradeReport:
    return GradeReport("knn", "f.py", score, "", 0.0, [], mistakes=list(mistakes))


def test_mistake_counts_and_score_bands() -> None:
    batch_reports = [report(100), report(95, "a"), report(40, "a", "b"), report(0, "b", "a")]
    assert mistake_counts(batch_reports) == [("a", 3), ("b", 2)]
    bands = dict(score_bands(batch_reports))
    assert bands["90-100"] == 2 and bands["40-49"] == 1 and bands["0-9"] == 1
    assert sum(bands.values()) == 4 and len(bands) == 10


# -- progress ------------------------------------------------------------------------------------


def test_progress_shows_on_a_terminal_and_not_when_piped(tmp_path: Path) -> None:
    for i in range(2):
        write(tmp_path, f"copy{i}.py", REFERENCE.read_text())
    args = ["grade", str(tmp_path), "--format", "json"]
    piped = run_coach(*args)
    assert piped.returncode == 0 and "grading" not in piped.stderr
    coach = Path(sys.executable).parent / "coach"
    env = {**os.environ, "TERM": "xterm-256color"}
    child = pexpect.spawn(
        str(coach), args, encoding="utf-8", timeout=60, dimensions=(24, 160), env=env
    )
    style = r"(?:\x1b\[[0-9;]*m)*"
    child.expect(rf"grading.*?[0-2]/2{style} files.*?copy[01]\.py")  # the file being graded
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_one_file_on_a_terminal_shows_the_probe_being_run(tmp_path: Path) -> None:
    path = write(tmp_path, "mine.py", REFERENCE.read_text())
    coach = Path(sys.executable).parent / "coach"
    env = {**os.environ, "TERM": "xterm-256color"}
    child = pexpect.spawn(
        str(coach),
        ["grade", str(path)],
        encoding="utf-8",
        timeout=60,
        dimensions=(24, 160),
        env=env,
    )
    child.expect(r"grading mine\.py: Gradients match finite differences")
    child.expect("strong hire")
    child.expect(pexpect.EOF)


def test_json_lines_keep_input_order_with_jobs(tmp_path: Path) -> None:
    names = ["c.py", "a.py", "b.py"]
    for name in names:
        write(tmp_path, name, GRADIENT_ASCENT if name == "a.py" else REFERENCE.read_text())
    done = subprocess.run(
        [sys.executable, "-m", "coach.cli", "grade", *(str(tmp_path / n) for n in names),
         "--format", "json", "--jobs", "2", "--problem", "logistic"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert [Path(json.loads(line)["file"]).name for line in done.stdout.splitlines()] == names
