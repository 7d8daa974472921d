"""The command line through its installed entry point: outputs, formats, exit codes, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import REFERENCE, REPORT_KEYS, ROOT, run_coach

pytestmark = pytest.mark.slow

GRADIENT_ASCENT = (
    REFERENCE.read_text()
    .replace(
        "self.weights = self.weights - self.learning_rate * dw",
        "self.weights = self.weights + self.learning_rate * dw",
    )
    .replace(
        "self.bias = self.bias - self.learning_rate * db",
        "self.bias = self.bias + self.learning_rate * db",
    )
)


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.fixture
def ascent(tmp_path: Path) -> Path:
    path = tmp_path / "ascent.py"
    path.write_text(GRADIENT_ASCENT)
    return path


def test_grade_json_reference_scores_100() -> None:
    done = run_coach("grade", str(REFERENCE), "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[0])
    assert list(report) == REPORT_KEYS
    assert report["schema"] == "coach.grade/1"
    assert report["problem"] == "logistic_regression"
    assert report["score"] == 100 and report["verdict"] == "strong hire"
    assert report["mistakes"] == []
    assert {p["status"] for p in report["probes"]} == {"pass"}
    assert sum(p["max_points"] for p in report["probes"]) == 100


def test_grade_rich_names_the_mistake_and_the_fix(ascent: Path) -> None:
    from coach.catalogue import MISTAKES

    done = run_coach("grade", str(ascent))
    assert done.returncode == 0, done.stderr
    assert "gradient-sign" in done.stdout
    fix_start = " ".join(MISTAKES["gradient-sign"].fix.split()[:4])
    assert fix_start in " ".join(done.stdout.split())
    assert "rose from" in done.stdout


def test_min_score_exit_status(ascent: Path) -> None:
    low = run_coach("grade", str(ascent), "--format", "json", "--min-score", "90")
    assert low.returncode == 1
    score = json.loads(low.stdout)["score"]
    assert low.stderr == f"coach: {ascent} scored {score:g}, below --min-score 90\n"
    high = run_coach("grade", str(REFERENCE), "--format", "json", "--min-score", "90")
    assert high.returncode == 0 and high.stderr == ""
    both = run_coach("grade", str(ascent), str(REFERENCE), "--format", "json", "--min-score", "90")
    assert both.returncode == 1
    assert both.stderr == f"coach: {ascent} scored {score:g}, below --min-score 90 (1 of 2 files)\n"


def test_batch_goes_on_after_a_broken_file(tmp_path: Path, ascent: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text(
        "# coach: logistic\nimport numpy as np\n\nclass LogisticRegression:\n"
        "    def fit(self, X, y)\n        return self\n"
    )
    done = run_coach(
        "grade", str(broken), str(ascent), str(REFERENCE), "--format", "json", "--jobs", "2"
    )
    assert done.returncode == 0, done.stderr
    reports = [json.loads(line) for line in done.stdout.splitlines()]
    assert [Path(r["file"]).name for r in reports] == [
        "broken.py",
        "ascent.py",
        "logistic_regression.py",
    ]
    assert reports[0]["score"] == 0
    assert reports[0]["probes"] == [] and reports[0]["mistakes"] == ["crash"]
    assert "SyntaxError" in reports[0]["error"] and "line 5" in reports[0]["error"]
    assert reports[1]["mistakes"] == ["gradient-sign"]
    assert reports[2]["score"] == 100


def test_markdown_and_junit_to_output(tmp_path: Path, ascent: Path) -> None:
    md = tmp_path / "report.md"
    done = run_coach("grade", str(ascent), "--format", "markdown", "--output", str(md))
    assert done.returncode == 0 and done.stdout == ""
    text = md.read_text()
    assert "gradient-sign" in text and "| " in text
    xml_path = tmp_path / "report.xml"
    run_coach("grade", str(ascent), str(REFERENCE), "--format", "junit", "--output", str(xml_path))
    root = ET.parse(xml_path).getroot()
    suites = root.findall("testsuite")
    assert len(suites) == 2
    assert int(suites[0].get("failures", "0")) > 0
    assert int(suites[1].get("failures", "0")) == 0


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["grade", "missing.py"], "no such file: missing.py"),
        (["grade", "notes.txt"], "is not a Python file"),
        (["show", "logistc"], "did you mean 'logistic_regression'"),
        (["grade", "mine.py", "--problem", "logreg2"], "did you mean"),
        (["mistakes", "log-zero"], "did you mean 'log-of-zero'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], expected: str) -> None:
    (tmp_path / "notes.txt").write_text("not python")
    (tmp_path / "mine.py").write_text(REFERENCE.read_text())
    assert expected in one_line_error(run_coach(*args, cwd=tmp_path))


def test_undetectable_problem_names_the_candidates(tmp_path: Path) -> None:
    path = tmp_path / "thing.py"
    path.write_text("x = 1\n")
    message = one_line_error(run_coach("grade", str(path)))
    assert "--problem" in message and "logistic_regression" in message


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (lambda t: t.replace("minutes: 30", "minutes: thirty"), "minutes"),
        (lambda t: t.replace("difficulty: medium", "difficulty: [medium"), "invalid YAML"),
    ],
)
def test_malformed_spec_names_file_line_and_field(tmp_path: Path, edit, where: str) -> None:
    source = (ROOT / "problems" / "logistic_regression.yaml").read_text()
    bad = tmp_path / "specs" / "my_logistic.yaml"
    bad.parent.mkdir()
    source = source.replace("aliases: [logistic, logreg]", "aliases: [mine]")  # no clash
    bad.write_text(edit(source.replace("id: logistic_regression", "id: my_logistic", 1)))
    message = one_line_error(run_coach("show", "my_logistic", "--problems", str(bad.parent)))
    assert f"{bad}:" in message and where in message
    line = int(message.split(f"{bad}:")[1].split(":")[0])
    if where == "minutes":
        assert bad.read_text().splitlines()[line - 1].startswith("minutes:")
    listed = run_coach("list", "--problems", str(bad.parent))  # the other problems still work
    assert listed.returncode == 0 and "logistic_regression" in listed.stdout
    assert listed.stderr.splitlines() == [
        f"coach: note: left out {bad}, which has errors; `coach validate {bad.parent}` lists them"
    ]
    validated = run_coach("validate", str(bad))
    assert validated.returncode == 2 and where in validated.stdout


def test_check_runs_visible_examples(tmp_path: Path, ascent: Path) -> None:
    good = run_coach("check", str(REFERENCE))
    assert good.returncode == 0 and "3/3 examples pass" in good.stdout
    bad = run_coach("check", str(ascent))
    assert bad.returncode == 1 and "✗" in bad.stdout  # a failing example fails the command


def test_version() -> None:
    from coach import __version__

    shown = run_coach("--version")
    assert shown.returncode == 0 and shown.stdout.strip() == f"coach {__version__}"


def test_check_names_the_example_its_line_and_the_line_of_the_file(tmp_path: Path) -> None:
    from coach.specs import Bank

    spec = Bank.load().resolve("logistic")
    starter = tmp_path / "logistic_regression.py"
    starter.write_text(spec.starter)
    raises = next(
        number
        for number, line in enumerate(spec.starter.splitlines(), 1)
        if "NotImplementedError" in line and "fit" not in line
    )
    done = run_coach("check", str(starter), env={**os.environ, "COLUMNS": "100"})
    assert done.returncode == 1, done.stderr  # a visible example failed
    out = done.stdout
    assert f"✗ Example 1: {spec.examples[0].title}" in out
    assert "model.fit(X, y)" in out  # the line of the example it ran
    assert f"at logistic_regression.py line {raises}: raise NotImplementedError" in out

    flipped = tmp_path / "flipped.py"  # predict gives the other class: what it expects shows
    flipped.write_text(
        REFERENCE.read_text().replace(
            "return (self.predict_proba(X) >= 0.5).astype(int)",
            "return (self.predict_proba(X) < 0.5).astype(float)",
        )
    )
    assert flipped.read_text() != REFERENCE.read_text()
    out = run_coach("check", str(flipped), env={**os.environ, "COLUMNS": "100"}).stdout
    assert "model.predict(X)  # -> [" in out, out
    gave = out.split("predict gave ")[1].split("]")[0]  # float labels read as integers
    assert gave.startswith("[") and "." not in gave, out


PROBLEMS = sorted(p.stem for p in (ROOT / "problems").glob("*.yaml"))


@pytest.mark.parametrize("problem", PROBLEMS)
def test_every_reference_passes_its_examples_and_show_writes_python(problem: str) -> None:
    """Twice: the second run reads the spec from the cache, as a user's every later run does
    (a label array `{ints: [...]}` once reached the candidate as an unreadable object)."""
    reference = ROOT / "reference_solutions" / f"{problem}.py"
    for _ in range(2):
        checked = run_coach("check", str(reference))
        assert checked.returncode == 0, checked.stderr
        assert "✗" not in checked.stdout and " examples pass" in checked.stdout, checked.stdout
        shown = run_coach("show", problem).stdout
        assert "object at 0x" not in shown and "{'ints'" not in shown, shown


def test_list_show_mistakes_validate() -> None:
    listed = run_coach("list")
    assert listed.returncode == 0 and "logistic_regression" in listed.stdout
    shown = run_coach("show", "logistic")
    signature = "LogisticRegression(learning_rate=0.1, n_iterations=1000, alpha=0.0)"
    assert signature in " ".join(shown.stdout.split())
    entry = run_coach("mistakes", "log-of-zero")
    assert entry.returncode == 0 and "np.clip" in entry.stdout
    catalogue = run_coach("mistakes")
    assert "unstable-softmax" in catalogue.stdout
    valid = run_coach("validate")
    assert valid.returncode == 0 and "reference scores 100" in " ".join(valid.stdout.split())


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys; import coach.cli; "
        "print(sorted(m for m in ('numpy', 'yaml', 'pydantic', 'prompt_toolkit', 'watchfiles') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ}
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_list_and_show_need_no_pydantic_once_the_specs_are_known(coach_home: Path) -> None:
    code = (
        "import sys\n"
        "from coach.cli import run\n"
        "assert run(sys.argv[1:]) == 0\n"
        "print('pydantic' in sys.modules)\n"
    )
    env = {**os.environ, "COACH_HOME": str(coach_home)}

    def imports_pydantic(*args: str) -> bool:
        done = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=True
        )
        return done.stdout.strip().splitlines()[-1] == "True"

    assert imports_pydantic("list")  # the first time the specs are validated
    assert not imports_pydantic("list")
    assert not imports_pydantic("show", "linear")


def test_a_changed_spec_is_validated_again(tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    folder.mkdir()
    mine = folder / "mine.yaml"
    source = (ROOT / "problems" / "logistic_regression.yaml").read_text()
    source = source.replace("aliases: [logistic, logreg]", "aliases: [mine]")
    mine.write_text(source.replace("id: logistic_regression", "id: my_logistic", 1))
    assert run_coach("show", "my_logistic", "--problems", str(folder)).returncode == 0
    mine.write_text(mine.read_text().replace("minutes: 30", "minutes: thirty"))
    message = one_line_error(run_coach("show", "my_logistic", "--problems", str(folder)))
    assert f"{mine}:" in message and "minutes" in message


def test_process_sandbox_is_reported_as_weaker() -> None:
    done = run_coach("grade", str(REFERENCE), "--sandbox", "process", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["sandbox"] == "process" and report["score"] == 100
    assert any("could read files" in note for note in report["notes"])


def test_shell_completion_completes_commands_and_formats() -> None:
    # what --install-completion writes to the shell's rc file (the shell named, not detected)
    script = run_coach(env={**os.environ, "_COACH_COMPLETE": "source_bash"})
    assert (
        script.returncode == 0 and "complete -o default -F _coach_completion coach" in script.stdout
    )
    assert "--install-completion" in run_coach("--help").stdout
    env = {**os.environ, "_COACH_COMPLETE": "complete_bash"}
    words = run_coach(env={**env, "COMP_WORDS": "coach gr", "COMP_CWORD": "1"})
    assert words.stdout.split() == ["grade"]
    formats = run_coach(env={**env, "COMP_WORDS": "coach grade --format ", "COMP_CWORD": "3"})
    assert formats.stdout.split() == ["rich", "json", "csv", "html", "markdown", "junit"]


def test_the_quick_start_names_its_steps_and_keeps_the_checkout_clean(tmp_path: Path) -> None:
    """The README's Quick start: a virtual environment, the install line CI runs, `coach
    start` into practice/ (interactive: how to leave it), the tests. practice/ is ignored by
    git and excluded from ruff, so `ruff check .` passes with a starter written there."""
    import shutil

    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start")[1].split("\n## ")[0]
    commands = [
        line.split("#")[0].strip()
        for line in quick.split("```bash")[1].split("```")[0].strip().splitlines()
    ]
    assert commands == [
        "python -m venv .venv && . .venv/bin/activate",
        'python -m pip install -e ".[test]"',
        "coach start logistic --dir practice",
        "python -m pytest",
    ]
    for said in ("interactive", "`quit`", "Ctrl-D", "saves", "`coach resume`"):
        assert said in quick, said
    assert "practice/" in (ROOT / ".gitignore").read_text().splitlines()

    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    checkout = tmp_path / "checkout"
    (checkout / "practice").mkdir(parents=True)
    for name in ("pyproject.toml", ".gitignore"):
        shutil.copy(ROOT / name, checkout / name)
    from coach.specs import Bank

    starter = Bank.load().resolve("logistic").starter + "\nimport os\n"  # and an unused import
    (checkout / "practice" / "logistic_regression.py").write_text(starter)
    clean = subprocess.run([ruff, "check", "--no-cache", "."], cwd=checkout, capture_output=True)
    assert clean.returncode == 0, clean.stdout
    (checkout / "elsewhere.py").write_text(starter)  # the same file outside practice/ fails
    dirty = subprocess.run([ruff, "check", "--no-cache", "."], cwd=checkout, capture_output=True)
    assert dirty.returncode == 1, dirty.stdout
