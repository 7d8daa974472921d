"""The four report formats: JSON lines, rich, Markdown and JUnit XML."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import types
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest
from conftest import REPORT_KEYS
from rich.console import Console

from coach.errors import CoachError
from coach.report import print_rich, render
from coach.results import GradeReport, ProbeResult, Status, verdict_for

PROBE_KEYS = ["id", "status", "points", "max_points", "mistake", "message", "duration_s"]

LOG_ZERO_MSG = "loss(X=[[40.], [-40.]], y=[0, 1]) returned inf"
MUTATION_MSG = "fit(X, y) changed X in place: X[0, 0] was 1.0, became 0.5"
TIMEOUT_MSG = "predict on 20,000 rows took longer than 5 s"
IMPORT_MSG = "SyntaxError: invalid syntax (broken.py, line 12)"


def probe(id, status, points, max_points, mistake=None, message="", duration_s=0.012, title=""):
    return ProbeResult(id, Status(status), points, max_points, mistake, message, duration_s, title)


def passing() -> GradeReport:
    return GradeReport(
        problem="logistic_regression",
        file="good.py",
        score=100.0,
        verdict=verdict_for(100.0),
        duration_s=0.61,
        probes=[
            probe("overfit_tiny", "pass", 40, 40, title="Fits four points"),
            probe("log_zero", "pass", 30, 30, title="Log of zero"),
            probe("input_mutation", "pass", 30, 30),
        ],
        problem_title="Logistic regression",
        time_limit_s=1800,
    )


def failing() -> GradeReport:
    return GradeReport(
        problem="logistic_regression",
        file="bad.py",
        score=52.5,
        verdict=verdict_for(52.5),
        duration_s=0.83,
        probes=[
            probe("overfit_tiny", "pass", 40, 40, title="Fits four points"),
            probe("log_zero", "fail", 0, 20, "log-of-zero", LOG_ZERO_MSG, title="Log of zero"),
            probe("input_mutation", "fail", 0, 17.5, "input-mutation", MUTATION_MSG),
            probe("vectorized", "timeout", 0, 10, "timeout", TIMEOUT_MSG, duration_s=5.0),
            probe("numpy_only", "skip", 12.5, 12.5),
        ],
        mistakes=["log-of-zero", "input-mutation", "timeout"],
        aliases_used={"lr": "learning_rate", "n_iters": "n_iterations"},
        candidate_output="\n".join(f"epoch {i} loss {1 / (i + 1):.3f}" for i in range(40)),
        problem_title="Logistic regression",
        time_limit_s=1800,
        time_used_s=750,
    )


def broken() -> GradeReport:
    return GradeReport(
        problem="logistic_regression",
        file="broken.py",
        score=0.0,
        verdict=verdict_for(0.0),
        duration_s=0.05,
        probes=[],
        mistakes=["crash"],
        error=IMPORT_MSG + "\n    def fit(self X, y):",
    )


def reports() -> list[GradeReport]:
    return [passing(), failing(), broken()]


def rich_text(reps: list[GradeReport]) -> str:
    buffer = io.StringIO()
    print_rich(Console(width=100, file=buffer, color_system=None), reps)
    return buffer.getvalue()


def flat(text: str) -> str:
    """Rendered text with panel borders removed and whitespace collapsed (undoes wrapping)."""
    for ch in "│╭╮╰╯─":
        text = text.replace(ch, " ")
    return " ".join(text.split())


@dataclass
class FakeMistake:
    id: str
    title: str
    why: str
    detection: str
    bad: str
    good: str
    fix: str
    bites: list[str]


@pytest.fixture
def fake_catalogue(monkeypatch):
    module = types.ModuleType("coach.catalogue")
    module.MISTAKES = {
        "log-of-zero": FakeMistake(
            id="log-of-zero",
            title="Log of zero in the loss",
            why="sigmoid saturates to exactly 0 or 1",
            detection="saturated probabilities",
            bad="np.log(p)",
            good="p = np.clip(p, EPS_FAKE, 1 - EPS_FAKE)\nloss = -np.mean(y * np.log(p))",
            fix="Clip the probabilities away from 0 and 1 before the log (fake fix).",
            bites=["logistic_regression"],
        )
    }
    monkeypatch.setitem(sys.modules, "coach.catalogue", module)
    return module.MISTAKES


# --------------------------------------------------------------------------------------------
# json


def test_json_one_object_per_line_with_the_contract_keys_in_order():
    text = render(reports(), "json")
    lines = text.splitlines()
    assert len(lines) == 3
    assert text.endswith("\n")
    for line, report in zip(lines, reports(), strict=True):
        obj = json.loads(line)
        assert list(obj) == REPORT_KEYS
        assert obj == report.to_json()
        assert obj["schema"] == "coach.grade/1"
        for p in obj["probes"]:
            assert list(p) == PROBE_KEYS
    bad = json.loads(lines[1])
    assert bad["file"] == "bad.py"
    assert bad["score"] == 52.5
    assert bad["verdict"] == "lean no hire"
    assert bad["mistakes"] == ["log-of-zero", "input-mutation", "timeout"]
    assert bad["aliases_used"] == {"lr": "learning_rate", "n_iters": "n_iterations"}
    assert [p["status"] for p in bad["probes"]] == ["pass", "fail", "fail", "timeout", "skip"]
    assert bad["probes"][1]["message"] == LOG_ZERO_MSG


def test_json_keeps_non_ascii_and_survives_non_finite_floats():
    report = failing()
    report.duration_s = float("nan")
    report.probes[1].duration_s = float("inf")
    report.aliases_used = {"η": "learning_rate"}
    line = render([report], "json")

    def refuse(token):
        raise AssertionError(f"non-standard JSON token {token}")

    obj = json.loads(line, parse_constant=refuse)
    assert obj["duration_s"] is None
    assert obj["probes"][1]["duration_s"] is None
    assert obj["probes"][0]["duration_s"] == 0.012
    assert "η" in line  # ensure_ascii=False


def test_json_of_no_reports_is_empty():
    assert render([], "json") == ""


# --------------------------------------------------------------------------------------------
# rich


def test_rich_shows_score_verdict_time_probes_messages_and_aliases():
    out = rich_text([failing()])
    text = flat(out)
    assert "52.5 / 100" in out
    assert "lean no hire" in out
    assert "time used 12:30 of 30:00" in out
    assert "Logistic regression" in out and "bad.py" in out
    for message in (LOG_ZERO_MSG, MUTATION_MSG, TIMEOUT_MSG):
        assert message in text
    assert "lr → learning_rate" in out
    assert "n_iters → n_iterations" in out
    # the probe table: status word, title (or id), points and time
    assert "✗ fail" in out and "◔ timeout" in out and "✓ pass" in out
    assert "0/17.5" in out and "40/40" in out and "5000 ms" in out
    assert "Fits four points" in out and "input_mutation" in out
    # the candidate's output is cut to its first lines
    assert "epoch 0 loss 1.000" in out
    assert "epoch 39 loss" not in out
    # no summary table for a single report
    assert "Summary" not in out


def test_rich_time_limit_alone_and_passing_verdict():
    out = rich_text([passing()])
    assert "100.0 / 100" in out
    assert "strong hire" in out
    assert "time limit 30:00" in out
    assert "time used" not in out
    assert "Aliases used" not in out


def test_rich_shows_import_error_prominently():
    out = rich_text([broken()])
    assert "could not be run" in out
    assert IMPORT_MSG in out
    assert "def fit(self X, y):" in out
    assert "0.0 / 100" in out and "no hire" in out
    assert "Probes" not in out  # one line of reason, not one identical error per probe


def test_rich_summary_table_for_several_reports():
    out = rich_text(reports())
    summary = out[out.index("Summary") :]
    for file, score, verdict in (
        ("good.py", "100.0", "strong hire"),
        ("bad.py", "52.5", "lean no hire"),
        ("broken.py", "0.0", "no hire"),
    ):
        row = next(line for line in summary.splitlines() if file in line)
        assert score in row and verdict in row


def test_rich_does_not_interpret_markup_in_candidate_text():
    report = failing()
    report.probes[2].message = "weights[bold] became [red]nan[/red]"
    out = rich_text([report])
    assert "weights[bold] became [red]nan[/red]" in out


def test_rich_cites_the_real_catalogue_fix_for_log_of_zero():
    catalogue = pytest.importorskip("coach.catalogue")
    entry = catalogue.MISTAKES["log-of-zero"]
    text = flat(rich_text([failing()]))
    assert " ".join(entry.fix.split()) in text
    assert " ".join(entry.title.split()) in text


def test_rich_uses_catalogue_title_fix_and_good_snippet(fake_catalogue):
    out = rich_text([failing()])
    text = flat(out)
    assert "Log of zero in the loss" in text
    assert "Clip the probabilities away from 0 and 1 before the log (fake fix)." in text
    assert "p = np.clip(p, EPS_FAKE, 1 - EPS_FAKE)" in out
    # ids absent from the catalogue fall back to the id itself
    assert "input-mutation" in out
    # the fix belongs to its own mistake's panel, after the observation it explains
    assert text.index(LOG_ZERO_MSG) < text.index("(fake fix)") < text.index(MUTATION_MSG)


def test_render_rich_returns_plain_text():
    out = render([failing()], "rich")
    assert "52.5 / 100" in out
    assert "\x1b[" not in out


# --------------------------------------------------------------------------------------------
# markdown


def test_markdown_heading_score_table_and_mistakes(fake_catalogue):
    md = render(reports(), "markdown")
    lines = md.splitlines()
    assert "## bad.py — Logistic regression" in lines
    assert "## broken.py — logistic_regression" in lines
    assert any("52.5 / 100" in line and "lean no hire" in line for line in lines)
    assert "| status | probe | points | time |" in lines
    assert "| ✓ pass | Fits four points | 40/40 | 12 ms |" in lines
    assert "| ✗ fail | Log of zero | 0/20 | 12 ms |" in lines
    assert "| ✗ fail | input_mutation | 0/17.5 | 12 ms |" in lines
    assert "| ◔ timeout | vectorized | 0/10 | 5000 ms |" in lines
    assert "| – skip | numpy_only | 12.5/12.5 | 12 ms |" in lines
    assert "### Mistakes" in lines
    assert "#### Log of zero in the loss (`log-of-zero`)" in lines
    assert "#### `input-mutation`" in lines
    assert f"- **Log of zero**: {LOG_ZERO_MSG}" in lines
    assert any(line.startswith("**Fix:** Clip the probabilities") for line in lines)
    start = lines.index("```python")
    assert lines[start + 1] == "p = np.clip(p, EPS_FAKE, 1 - EPS_FAKE)"
    assert lines[start + 3] == "```"
    assert "**Aliases used:** `lr` → `learning_rate`, `n_iters` → `n_iterations`" in lines
    # the passing report has a table and no mistakes section
    good = md[: md.index("## bad.py")]
    assert "| ✓ pass | Log of zero | 30/30 | 12 ms |" in good
    assert "### Mistakes" not in good


def test_markdown_escapes_table_breaking_characters():
    report = failing()
    report.probes[1].title = "a | b"
    md = render([report], "markdown")
    assert "| ✗ fail | a \\| b | 0/20 | 12 ms |" in md.splitlines()


# --------------------------------------------------------------------------------------------
# junit


def test_junit_counts_failures_errors_and_skips():
    root = ET.fromstring(render(reports(), "junit"))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["good.py", "bad.py", "broken.py"]
    expected = {
        "good.py": ("3", "0", "0", "0"),
        "bad.py": ("5", "2", "1", "1"),
        "broken.py": ("1", "0", "1", "0"),  # one testcase: the import
    }
    for suite in suites:
        counts = tuple(suite.get(k) for k in ("tests", "failures", "errors", "skipped"))
        assert counts == expected[suite.get("name")]
        cases = suite.findall("testcase")
        assert len(cases) == int(suite.get("tests"))
        assert len(suite.findall("testcase/failure")) == int(suite.get("failures"))
        assert len(suite.findall("testcase/error")) == int(suite.get("errors"))
        assert len(suite.findall("testcase/skipped")) == int(suite.get("skipped"))
        assert all(c.get("classname") == "coach.logistic_regression" for c in cases)
        float(suite.get("time"))
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("9", "2", "2")
    assert sum(int(s.get("skipped")) for s in suites) == 1


def test_junit_failure_details_and_properties():
    root = ET.fromstring(render(reports(), "junit"))
    bad = root.find("testsuite[@name='bad.py']")
    props = {p.get("name"): p.get("value") for p in bad.findall("properties/property")}
    assert props["score"] == "52.5"
    assert props["verdict"] == "lean no hire"
    case = bad.find("testcase[@name='log_zero']")
    assert case.get("time") == "0.012"
    failure = case.find("failure")
    assert failure.get("type") == "log-of-zero"
    assert failure.get("message") == f"[log-of-zero] {LOG_ZERO_MSG}"
    timeout = bad.find("testcase[@name='vectorized']/error")
    assert timeout.get("type") == "timeout"
    assert bad.find("testcase[@name='overfit_tiny']").find("*") is None
    assert "epoch 0 loss" in bad.find("system-out").text
    broken_suite = root.find("testsuite[@name='broken.py']")
    assert IMPORT_MSG in broken_suite.find("system-err").text


def test_junit_survives_control_characters_and_nan():
    report = failing()
    report.candidate_output = "progress\x1b[2K\x00 done\x08"
    report.duration_s = math.nan
    root = ET.fromstring(render([report], "junit"))
    out = root.find("testsuite/system-out").text
    assert out.startswith("progress") and out.endswith("done\ufffd")
    assert root.find("testsuite").get("time") == "0.000"


def test_junit_import_error_without_probes_is_an_error():
    report = broken()
    report.probes = []
    root = ET.fromstring(render([report], "junit"))
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("errors")) == ("1", "1")
    assert IMPORT_MSG in suite.find("testcase/error").get("message")


# --------------------------------------------------------------------------------------------
# the module itself


def test_unknown_format_is_a_usage_error():
    with pytest.raises(CoachError, match="yaml"):
        render(reports(), "yaml")


def test_importing_the_module_does_not_import_rich_or_numpy():
    code = (
        "import sys, coach.report\n"
        "heavy = [m for m in ('rich', 'numpy', 'xml.etree.ElementTree') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_notes_on_conventions_show_in_every_format():
    report = passing()
    report.notes = ["loss() sums over samples rather than averaging"]
    assert "Note: loss() sums over samples" in flat(rich_text([report]))
    assert "Note: loss() sums over samples" in render([report], "markdown")
    assert json.loads(render([report], "json"))["notes"] == report.notes  # DESIGN §5


def test_text_inside_a_session_names_the_session_commands() -> None:
    from coach.catalogue import MISTAKES
    from coach.report import in_session

    fix = in_session(MISTAKES["api-contract"].fix)
    assert "`statement`" in fix and "coach show" not in fix
    fix = in_session(MISTAKES["crash"].fix)
    assert "`check`" in fix and "coach check" not in fix
    assert in_session("run `coach grade lr.py`") == "run `grade`"
    assert in_session("`coach resume` continues") == "`coach resume` continues"


def test_a_change_shows_the_digits_that_tell_it() -> None:
    import numpy as np

    from coach.probes import values as v

    assert v.apart(0.1, 0.10000001) == ("0.1", "0.10000001")
    assert v.apart(1.5, 2.5) == ("1.5", "2.5") and v.apart(2.0, 2.0) == ("2", "2")
    said = v.change(np.array([0.1, 0.2]), np.array([0.1, 0.20000001]))
    assert said == "[0.1, 0.2] became [0.1, 0.20000001]"
    said = v.change(np.arange(20.0), np.r_[np.arange(19.0), 19.0000001])
    assert said == "1 of 20 entries differ (e.g. [19] was 19, now 19.0000001)"
    assert v.change(np.zeros(2), np.zeros(3)) == "its shape went from (2,) to (3,)"


def test_labels_read_as_integers() -> None:
    import numpy as np

    from coach.probes import values as v

    labels = v.class_labels(np.array([0.0, 1.0, 1.0]), 3, "predict(X)")
    assert v.show(labels) == "[0, 1, 1]"
    assert v.show(v.class_labels([[1], [0]], 2, "predict(X)")) == "[1, 0]"


def test_a_step_that_nudges_its_input_is_shown_changed(tmp_path) -> None:
    """An Adam that moves the caller's params by 1e-9 in place: the message must show
    the digits that tell the old value from the new (not "-2 became -2")."""
    import json

    from conftest import ROOT, run_coach

    source = (ROOT / "reference_solutions" / "adam.py").read_text()
    nudged = source.replace(
        "        params = [np.asarray(p, dtype=float) for p in params]\n",
        "        for p in params:\n"
        "            if isinstance(p, np.ndarray):\n"
        "                p[...] = p + 1e-9 * np.arange(p.size)\n"
        "        params = [np.asarray(p, dtype=float) for p in params]\n",
    )
    assert nudged != source
    path = tmp_path / "adam.py"
    path.write_text(nudged)
    done = run_coach("grade", str(path), "--format", "json")
    report = json.loads(done.stdout)
    probe = next(p for p in report["probes"] if p["id"] == "input_mutation")
    assert probe["status"] == "fail", probe
    assert "-2.000000001" in probe["message"] or "-1.999999999" in probe["message"], probe
