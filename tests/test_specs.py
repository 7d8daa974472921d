"""The problem bank: the shipped logistic regression spec, the loader's errors, the views."""

from __future__ import annotations

import ast
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from rich.console import Console

from coach.errors import CoachError
from coach.examples import spec_value
from coach.paths import bank_dir
from coach.problem_view import constructor_signature, example_code, render_list, render_show
from coach.spec_faults import SpecError
from coach.specs import Bank, ProblemSpec, load_spec

SHIPPED = bank_dir() / "problems" / "logistic_regression.yaml"

LOGISTIC_PROBES = [
    ("overfit_tiny", 10, "cannot-overfit"),
    ("matches_reference", 10, "wrong-solution"),
    ("loss_monotonic", 10, "loss-not-decreasing"),
    ("gradient_check", 15, "wrong-gradient"),
    ("log_zero", 10, "log-of-zero"),
    ("sigmoid_overflow", 10, "exp-overflow"),
    ("penalty", 5, "wrong-solution"),
    ("input_mutation", 5, "input-mutation"),
    ("regularized_bias", 5, "regularized-bias"),
    ("one_sample", 3, "edge-case"),
    ("one_feature", 3, "edge-case"),
    ("same_labels", 2, "edge-case"),
    ("extreme_values", 2, "edge-case"),
    ("vectorized", 5, "unvectorized"),
    ("numpy_only", 5, "banned-library"),
]

# DESIGN.md section 4
MISTAKE_IDS = set(
    "log-of-zero unstable-softmax exp-overflow unscaled-features wrong-axis uncentered-pca "
    "variance-ddof regularized-bias gradient-sign wrong-gradient empty-cluster input-mutation "
    "division-by-zero negative-sqrt matrix-inversion vanishing-gradients exploding-gradients "
    "bad-initialization cannot-overfit wrong-solution loss-not-decreasing edge-case unvectorized "
    "banned-library api-contract crash timeout".split()
)


@pytest.fixture(autouse=True)
def _no_extra_problems(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COACH_PROBLEMS", raising=False)


@pytest.fixture(scope="module")
def bank() -> Bank:
    return Bank.load()


@pytest.fixture(scope="module")
def spec(bank: Bank) -> ProblemSpec:
    return bank.resolve("logistic_regression")


def shipped_data() -> dict[str, Any]:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def write_spec(folder: Path, data: dict[str, Any], name: str = "broken.yaml") -> Path:
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    """The 1-based number of the only line of a file that contains text."""
    lines = [i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line]
    assert len(lines) == 1, f"{text!r} is on lines {lines}"
    return lines[0]


def load_error(path: Path) -> str:
    with pytest.raises(CoachError) as info:
        load_spec(path)
    return str(info.value)


# ---------------------------------------------------------------------------- shipped spec


def test_shipped_spec_loads(spec: ProblemSpec) -> None:
    assert spec.id == "logistic_regression"
    assert spec.title == "Logistic regression"
    assert spec.aliases == ["logistic", "logreg"]
    assert (spec.difficulty, spec.minutes, spec.frequency) == ("medium", 30, 1)
    assert spec.source is not None and spec.source.name == "logistic_regression.yaml"


def test_every_shipped_spec_has_points_summing_to_100(bank: Bank) -> None:
    assert bank.specs
    for each in bank.specs.values():
        assert sum(p.points for p in each.probes) == 100, each.id


def test_logistic_probes_in_order(spec: ProblemSpec) -> None:
    assert [(p.id, p.points, p.mistake) for p in spec.probes] == LOGISTIC_PROBES
    assert all(p.title.strip() and "\n" not in p.title for p in spec.probes)
    assert {p.mistake for p in spec.probes} <= MISTAKE_IDS


def test_logistic_interface(spec: ProblemSpec) -> None:
    iface = spec.interface
    assert iface.class_name == "LogisticRegression"
    assert iface.constructor == {"learning_rate": 0.1, "n_iterations": 1000, "alpha": 0.0}
    assert list(iface.methods) == ["fit", "predict_proba", "predict", "loss", "gradients"]
    assert list(iface.attributes) == ["weights", "bias", "loss_history"]


@pytest.mark.parametrize("name", ["logistic", "LogReg", "logreg", "logistic_regression"])
def test_resolve_aliases(bank: Bank, name: str) -> None:
    assert bank.resolve(name).id == "logistic_regression"


def test_resolve_typo_suggests(bank: Bank) -> None:
    with pytest.raises(CoachError) as info:
        bank.resolve("logistc")
    assert "did you mean 'logistic_regression'" in str(info.value)


def test_starter_compiles_and_matches_interface(spec: ProblemSpec) -> None:
    assert spec.starter.splitlines()[0] == "# coach: logistic_regression"
    tree = ast.parse(compile(spec.starter, "starter.py", "exec", ast.PyCF_ONLY_AST))
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    assert [c.name for c in classes] == ["LogisticRegression"]
    defs = {f.name: f for f in classes[0].body if isinstance(f, ast.FunctionDef)}
    init = defs.pop("__init__")
    params = [a.arg for a in init.args.args[1:]]
    defaults = [ast.literal_eval(d) for d in init.args.defaults]
    assert dict(zip(params, defaults, strict=True)) == spec.interface.constructor
    assert set(defs) == set(spec.interface.methods)
    for method in defs.values():
        assert ast.get_docstring(method), method.name
        assert any(isinstance(n, ast.Raise) for n in ast.walk(method)), method.name


def test_starter_methods_raise_not_implemented(spec: ProblemSpec) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(spec.starter, "starter.py", "exec"), namespace)
    model = namespace["LogisticRegression"]()
    assert (model.learning_rate, model.n_iterations, model.alpha) == (0.1, 1000, 0.0)
    X, y = np.zeros((2, 2)), np.array([0, 1])
    calls = {
        "fit": (X, y),
        "predict_proba": (X,),
        "predict": (X,),
        "loss": (X, y),
        "gradients": (X, y),
    }
    for name, args in calls.items():
        with pytest.raises(NotImplementedError):
            getattr(model, name)(*args)


def test_hints_examples_followups(spec: ProblemSpec) -> None:
    assert len(spec.hints) == 3
    assert 2 <= len(spec.examples) <= 3
    assert 4 <= len(spec.followups) <= 5
    for followup in spec.followups:
        assert 0 <= followup.answer < len(followup.choices)


# ---------------------------------------------------------------------------- visible examples


class _Variant:
    """A correct logistic regression in one of several honest conventions."""

    def __init__(self, learning_rate=0.1, n_iterations=1000, alpha=0.0, *, convention=""):
        self.learning_rate, self.n_iterations, self.alpha = learning_rate, n_iterations, alpha
        self.convention = convention
        self.weights, self.bias, self.loss_history = None, 0.0, []

    def _scale(self, n: int) -> float:
        return 1.0 if "sum" in self.convention else 1.0 / n

    def fit(self, X, y):
        X, y = np.asarray(X, float), np.asarray(y, float)
        rng = np.random.default_rng(1)
        random_init = "random" in self.convention
        self.weights = rng.normal(0, 0.01, X.shape[1]) if random_init else np.zeros(X.shape[1])
        self.bias, self.loss_history = 0.0, []
        for _ in range(self.n_iterations):
            if "before" in self.convention:
                self.loss_history.append(self.loss(X, y))
            dw, db = self.gradients(X, y)
            self.weights = self.weights - self.learning_rate * dw
            self.bias -= self.learning_rate * db
            if "before" not in self.convention:
                self.loss_history.append(self.loss(X, y))
        return self

    def predict_proba(self, X):
        z = np.asarray(X, float) @ self.weights + self.bias
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))

    def predict(self, X):
        return (self.predict_proba(X) >= 0.5).astype(int)

    def loss(self, X, y):
        p = np.clip(self.predict_proba(X), 1e-15, 1 - 1e-15)
        y = np.asarray(y, float)
        bce = -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum() * self._scale(len(y))
        return float(bce + self.alpha * np.sum(self.weights**2))

    def gradients(self, X, y):
        X, y = np.asarray(X, float), np.asarray(y, float)
        r = self.predict_proba(X) - y
        scale = self._scale(len(y))
        return X.T @ r * scale + 2 * self.alpha * self.weights, float(r.sum() * scale)


def _run_example(cls: Any, example: Any, **extra: Any) -> None:
    model = None
    for step in example.steps:
        args = [spec_value(a) for a in step.args]  # as `coach check` sends them
        if step.new is not None:
            model = cls(**step.new, **extra)
            continue
        if step.get is not None:
            result = getattr(model, step.get)
        else:
            result = getattr(model, step.call)(*args, **step.kwargs)
        if step.expect is not None:
            assert np.allclose(result, step.expect, rtol=0, atol=step.tol), (step, result)
        if step.shape is not None:
            assert list(np.shape(result)) == step.shape, (step, result)
        if step.finite:
            assert np.all(np.isfinite(result)), (step, result)


@pytest.mark.parametrize("convention", ["", "sum", "random", "before", "sum random before"])
def test_examples_pass_for_every_honest_convention(spec: ProblemSpec, convention: str) -> None:
    for example in spec.examples:
        _run_example(_Variant, example, convention=convention)


def test_examples_pass_on_reference_solution(spec: ProblemSpec) -> None:
    path = spec.reference_solution
    if not path.is_file():
        pytest.skip(f"no reference solution yet at {path}")
    namespace: dict[str, Any] = {"__name__": "reference"}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    for example in spec.examples:
        _run_example(namespace["LogisticRegression"], example)


# ---------------------------------------------------------------------------- loader errors


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    text = text.replace("title: Logistic regression", "title: Logistic: regression", 1)
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    message = load_error(path)
    assert message.startswith(f"{path}:{line_of(path, 'title: Logistic: regression')}:")
    assert "invalid YAML" in message


def test_bad_minutes_names_line_and_field(tmp_path: Path) -> None:
    data = shipped_data()
    data["minutes"] = "thirty"
    path = write_spec(tmp_path, data)
    message = load_error(path)
    assert f"{path}:{line_of(path, 'minutes: thirty')}" in message
    assert "minutes" in message


def test_points_not_summing_to_100(tmp_path: Path) -> None:
    data = shipped_data()
    data["probes"][0]["points"] = 11
    path = write_spec(tmp_path, data)
    message = load_error(path)
    assert str(path) in message
    assert "sum to 101" in message


def test_nested_bad_field_names_path_and_line(tmp_path: Path) -> None:
    data = shipped_data()
    data["probes"][2]["points"] = "ten"
    path = write_spec(tmp_path, data)
    message = load_error(path)
    assert f"{path}:{line_of(path, 'points: ten')}" in message
    assert "probes.2.points" in message


def test_followup_choices_of_very_different_lengths_are_an_error(tmp_path: Path) -> None:
    data = shipped_data()
    followup = data["followups"][1]
    right = followup["choices"][followup["answer"]]
    longer = ", which is the whole story told in much more detail than the rest"
    followup["choices"][followup["answer"]] = right + longer
    path = write_spec(tmp_path, data)
    message = load_error(path)
    assert f"{path}:{line_of(path, followup['choices'][0][:40])}:" in message  # where they start
    assert "followups.1.choices" in message and "picked by its length" in message


def test_every_shipped_followup_has_choices_of_similar_length(bank: Bank) -> None:
    for each in bank.specs.values():
        assert 2 <= len(each.followups) <= 5, each.id
        for followup in each.followups:
            lengths = [len(c) for c in followup.choices]
            assert max(lengths) <= 1.5 * min(lengths), (each.id, followup.question)


def test_the_length_of_a_shipped_choice_does_not_give_its_answer_away(bank: Bank) -> None:
    """Picking the longest (or shortest) choice scores near chance over the whole bank.

    A tie for longest counts as a hit, so that the check cannot be met by padding a
    distractor to the answer's length. Per problem (three questions each) this would be
    too strict; over the bank it keeps length from carrying information.
    """
    longest = shortest = total = 0
    for each in bank.specs.values():
        assert each.source is not None and each.source.parent == SHIPPED.parent, each.id
        for followup in each.followups:
            lengths = [len(c) for c in followup.choices]
            right = lengths[followup.answer]
            longest += right == max(lengths)
            shortest += right == min(lengths)
            total += 1
    assert total >= 20
    assert longest <= 0.35 * total, f"the longest choice is right in {longest} of {total}"
    assert shortest <= 0.35 * total, f"the shortest choice is right in {shortest} of {total}"


def test_unknown_field_is_named(tmp_path: Path) -> None:
    data = shipped_data()
    data["interface"]["constructer"] = {}
    path = write_spec(tmp_path, data)
    message = load_error(path)
    assert f"{path}:{line_of(path, 'constructer:')}" in message
    assert "interface.constructer" in message


PYDANTIC_WORDING = ("Input should", "validation error", "type=", "pydantic", "Value error", "[")


def test_every_schema_fault_is_reported_at_once(tmp_path: Path) -> None:
    data = shipped_data()
    data["difficulty"], data["minutes"] = "simple", "thirty"
    data["interface"]["constructer"] = {}
    data["probes"][2]["points"] = "ten"
    data["followups"][0]["answer"] = 9
    del data["title"]
    path = write_spec(tmp_path, data)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    faults = [str(f) for f in info.value.faults]
    first = line_of(path, "id: logistic_regression")
    answer = next(i for i, s in enumerate(path.read_text().splitlines(), 1) if "answer: 9" in s)
    assert faults == [
        f"{path}:{first}: title: required, but missing",
        f"{path}:{line_of(path, 'difficulty:')}: difficulty: must be one of 'easy', 'medium' "
        "or 'hard', not 'simple'",
        f"{path}:{line_of(path, 'minutes:')}: minutes: must be a whole number, not 'thirty'",
        f"{path}:{line_of(path, 'constructer:')}: interface.constructer: unknown field "
        "(did you mean 'constructor'?)",
        f"{path}:{line_of(path, 'points: ten')}: probes.2.points: must be a whole number, "
        "not 'ten'",
        f"{path}:{answer}: followups.0.answer: 9 is not one of the 4 choices (0 is the first)",
    ]
    message = str(info.value)  # what a command that needs the spec prints: one line
    assert message.startswith(faults[0]) and "and 5 more" in message and "\n" not in message


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("id", "Logistic-Regression", "must be lower-case letters, digits and _"),
        ("frequency", 0, "must be at least 1, not 0"),
        ("hints", [], "needs at least 1 entry, has 0"),
        ("aliases", "logistic", "must be a list, not 'logistic'"),
        ("interface", "LogisticRegression", "must be a mapping of fields"),
        ("grading", {"model": "boosting"}, "must be one of 'gradient_descent', 'softmax'"),
        ("statement", ["a", "b"], "must be text, not a list"),
    ],
)
def test_schema_faults_are_plain_words(
    tmp_path: Path, field: str, value: Any, expected: str
) -> None:
    data = shipped_data()
    data[field] = value
    message = load_error(write_spec(tmp_path, data))
    assert expected in message
    assert not any(word in message for word in PYDANTIC_WORDING), message


def toy_folder(folder: Path, **fields: Any) -> Path:
    """A course folder with one spec: the shipped logistic regression's, with `fields`."""
    data = {**shipped_data(), "id": "toy", "aliases": [], "title": "A toy problem", **fields}
    folder.mkdir(exist_ok=True)
    write_spec(folder, data, f"{data['id']}.yaml")
    return folder


def test_a_broken_spec_is_left_out_not_fatal(tmp_path: Path) -> None:
    path = toy_folder(tmp_path, difficulty="impossible") / "toy.yaml"
    for bank in (Bank.load(extra=tmp_path), Bank.views(extra=tmp_path)):
        assert bank.resolve("logreg").id == "logistic_regression"
        assert "toy" not in bank.specs
        with pytest.raises(CoachError) as info:
            bank.resolve("toy")
        where = f"{path}:{line_of(path, 'difficulty:')}: difficulty: must be one of"
        assert str(info.value).startswith(where)
        assert f"left out {path}, which has errors" in (bank.note() or "")
        assert f"`coach validate {tmp_path}`" in (bank.note() or "")


def test_a_spec_that_cannot_be_parsed_blocks_its_file_name(tmp_path: Path) -> None:
    (tmp_path / "toy.yaml").write_text("id: toy\ntitle: [unclosed\n")
    bank = Bank.load(extra=tmp_path)
    with pytest.raises(CoachError, match="invalid YAML"):
        bank.resolve("toy")
    assert bank.resolve("knn").id == "knn"


def test_a_course_spec_takes_a_built_in_id_only_with_override(tmp_path: Path) -> None:
    folder = toy_folder(tmp_path, id="logistic_regression", aliases=["logistic"])
    path = folder / "logistic_regression.yaml"
    bank = Bank.load(extra=folder)
    with pytest.raises(CoachError) as info:
        bank.resolve("logistic")
    assert str(info.value) == (
        f"{path}:1: id: 'logistic_regression' is a built-in problem; pass --override to replace it"
    )  # its alias goes with the id: one fault, not one a name
    assert bank.resolve("knn").id == "knn"
    replaced = Bank.load(extra=folder, override=True)
    assert replaced.resolve("logistic").title == "A toy problem"
    assert replaced.resolve("logistic_regression").source == path
    assert replaced.note() is None and list(replaced.specs).count("logistic_regression") == 1
    with pytest.raises(CoachError, match="unknown problem 'logreg'"):
        replaced.resolve("logreg")  # the built-in's alias went with it; the course's did not


def test_a_course_alias_of_a_built_in_problem_needs_override(tmp_path: Path) -> None:
    folder = toy_folder(tmp_path, aliases=["logreg"])
    with pytest.raises(CoachError, match="'logreg' already names the built-in problem"):
        Bank.views(extra=folder).resolve("toy")
    bank = Bank.views(extra=folder, override=True)
    assert bank.resolve("logreg").id == "toy"
    assert bank.resolve("logistic").id == "logistic_regression"


def test_two_course_specs_of_one_id_are_an_error(tmp_path: Path) -> None:
    folder = toy_folder(tmp_path)
    (folder / "toy.yaml").rename(folder / "a.yaml")
    toy_folder(tmp_path)
    with pytest.raises(CoachError, match=r"toy.yaml:1: id: 'toy' already names the problem toy"):
        Bank.load(extra=folder, override=True).resolve("toy")


def test_extra_folder_adds_problems(tmp_path: Path) -> None:
    data = shipped_data()
    data["id"], data["aliases"], data["title"] = "toy_problem", ["toy"], "A toy problem"
    write_spec(tmp_path, data, "toy_problem.yaml")
    bank = Bank.load(extra=tmp_path)
    assert bank.resolve("toy").id == "toy_problem"
    assert bank.resolve("toy_problem").source == tmp_path / "toy_problem.yaml"
    assert bank.resolve("logreg").id == "logistic_regression"
    assert "toy_problem" not in Bank.load().specs


def test_missing_extra_folder(tmp_path: Path) -> None:
    with pytest.raises(CoachError, match="problems folder not found"):
        Bank.load(extra=tmp_path / "nowhere")


# ---------------------------------------------------------------------------- views


def render(fn: Any, *args: Any) -> str:
    console = Console(width=100, file=io.StringIO(), color_system=None)
    fn(console, *args)
    return console.file.getvalue()


def test_constructor_signature(spec: ProblemSpec) -> None:
    expected = "LogisticRegression(learning_rate=0.1, n_iterations=1000, alpha=0.0)"
    assert constructor_signature(spec) == expected


def test_example_code(spec: ProblemSpec) -> None:
    code = example_code(spec, spec.examples[0])
    lines = code.splitlines()
    assert lines[0] == "model = LogisticRegression(learning_rate=0.5, n_iterations=300)"
    assert "X = np.array([[1, 0], [0, 1], [-1, 0], [0, -1]])" in lines
    assert "y = np.array([1, 1, 0, 0])" in lines
    assert "model.fit(X, y)" in lines
    assert "model.predict(X)  # -> [1, 1, 0, 0]" in lines
    assert "model.predict_proba(X).shape  # -> (4,)" in lines
    assert "model.weights.shape  # -> (2,)" in lines


@pytest.mark.parametrize("index", [0, 1, 2])
def test_example_code_compiles(spec: ProblemSpec, index: int) -> None:
    if index >= len(spec.examples):
        pytest.skip("fewer examples")
    code = example_code(spec, spec.examples[index])
    compile("import numpy as np\n" + code, f"example{index}.py", "exec")


def test_example_code_runs_on_a_correct_model(spec: ProblemSpec) -> None:
    for example in spec.examples:
        namespace = {"np": np, "LogisticRegression": _Variant}
        exec(compile(example_code(spec, example), "example.py", "exec"), namespace)


def test_render_show(spec: ProblemSpec) -> None:
    out = render(render_show, spec)
    assert "Logistic regression" in out
    assert "medium" in out and "30 minutes" in out
    assert "LogisticRegression(learning_rate=0.1, n_iterations=1000, alpha=0.0)" in out
    assert "model.predict(X)  # -> [1, 1, 0, 0]" in out
    assert "model.weights.shape  # -> (2,)" in out
    for name in [*spec.interface.methods, *spec.interface.attributes]:
        assert name in out
    for example in spec.examples:
        assert example.title in out


def test_render_list(bank: Bank) -> None:
    specs = list(bank.specs.values())
    out = render(render_list, specs, {"logistic_regression": 87.5})
    for column in ["id", "title", "difficulty", "minutes", "frequency", "best"]:
        assert column in out
    row = next(line for line in out.splitlines() if "logistic_regression" in line)
    assert "Logistic regression" in row and "medium" in row and "30" in row
    assert "#1" in row and "87.5" in row
    assert "—" in next(line for line in render(render_list, specs).splitlines() if "#1" in line)


def test_problem_view_import_is_cheap() -> None:
    heavy = "{'rich', 'yaml', 'numpy', 'pydantic'}"
    code = f"import sys, coach.problem_view; print(sorted({heavy} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
