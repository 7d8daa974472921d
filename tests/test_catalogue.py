"""Tests for the mistake catalogue (DESIGN §4)."""

from __future__ import annotations

import dataclasses
import io
import subprocess
import sys

import pytest
from rich.console import Console

from coach.catalogue import (
    MISTAKES,
    PROBLEM_IDS,
    STABILITY_TABLE,
    Mistake,
    get_mistake,
    render_catalogue,
    render_mistake,
)
from coach.errors import CoachError

# The contract: DESIGN §4, in order.
DESIGN_IDS = [
    "log-of-zero",
    "unstable-softmax",
    "exp-overflow",
    "unscaled-features",
    "wrong-axis",
    "uncentered-pca",
    "variance-ddof",
    "regularized-bias",
    "gradient-sign",
    "wrong-gradient",
    "empty-cluster",
    "input-mutation",
    "division-by-zero",
    "negative-sqrt",
    "matrix-inversion",
    "vanishing-gradients",
    "exploding-gradients",
    "bad-initialization",
    "cannot-overfit",
    "wrong-solution",
    "loss-not-decreasing",
    "edge-case",
    "unvectorized",
    "banned-library",
    "api-contract",
    "crash",
    "timeout",
]

KNOWN_PROBLEMS = {
    "logistic_regression",
    "linear_regression",
    "softmax_regression",
    "kmeans",
    "knn",
    "decision_tree",
    "neural_network",
    "pca",
    "adam",
    "numerics",
}


def _console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(width=100, file=buf, color_system=None), buf


def test_ids_match_design_exactly_in_order() -> None:
    assert list(MISTAKES) == DESIGN_IDS
    for key, mistake in MISTAKES.items():
        assert mistake.id == key


def test_problem_ids_are_the_ten_known() -> None:
    assert set(PROBLEM_IDS) == KNOWN_PROBLEMS
    assert len(PROBLEM_IDS) == 10


@pytest.mark.parametrize("mistake_id", DESIGN_IDS)
def test_entry_fields_non_empty(mistake_id: str) -> None:
    m = MISTAKES[mistake_id]
    for f in dataclasses.fields(Mistake):
        value = getattr(m, f.name)
        assert value, f"{mistake_id}.{f.name} is empty"
        if isinstance(value, str):
            assert value.strip() == value or f.name in ("bad", "good"), f.name


@pytest.mark.parametrize("mistake_id", DESIGN_IDS)
def test_snippets_compile_and_differ(mistake_id: str) -> None:
    m = MISTAKES[mistake_id]
    compile(m.bad, f"<{mistake_id} bad>", "exec")
    compile(m.good, f"<{mistake_id} good>", "exec")
    assert m.good.strip() != m.bad.strip()
    for snippet in (m.bad, m.good):
        assert 1 <= len(snippet.splitlines()) <= 6


@pytest.mark.parametrize("mistake_id", DESIGN_IDS)
def test_bites_uses_known_problem_ids(mistake_id: str) -> None:
    bites = MISTAKES[mistake_id].bites
    assert isinstance(bites, tuple)
    assert bites
    assert set(bites) <= KNOWN_PROBLEMS
    assert len(set(bites)) == len(bites)


def test_mistake_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        MISTAKES["crash"].title = "x"  # type: ignore[misc]


def test_exp_overflow_good_avoids_both_branch_overflow() -> None:
    np = pytest.importorskip("numpy")
    namespace: dict[str, object] = {"np": np}
    exec(MISTAKES["exp-overflow"].good, namespace)
    sigmoid = namespace["sigmoid"]
    z = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = sigmoid(z)  # type: ignore[operator]
    assert np.allclose(out, [0.0, 1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-1.0)), 1.0])
    namespace_bad: dict[str, object] = {"np": np}
    exec(MISTAKES["exp-overflow"].bad, namespace_bad)
    with np.errstate(over="raise"), pytest.raises(FloatingPointError):
        namespace_bad["sigmoid"](z)  # type: ignore[operator]


def test_stability_table_rows() -> None:
    assert len(STABILITY_TABLE) >= 7
    for row in STABILITY_TABLE:
        assert len(row) == 3
        assert all(cell.strip() for cell in row)


def test_get_mistake_known_and_normalised() -> None:
    assert get_mistake("log-of-zero").id == "log-of-zero"
    assert get_mistake("LOG_OF_ZERO").id == "log-of-zero"


@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        ("log-zero", "log-of-zero"),
        ("unstable-sofmax", "unstable-softmax"),
        ("gradient-sing", "gradient-sign"),
        ("timout", "timeout"),
    ],
)
def test_get_mistake_typo_suggests(typo: str, expected: str) -> None:
    with pytest.raises(CoachError) as info:
        get_mistake(typo)
    message = str(info.value)
    assert f"unknown mistake '{typo}'" in message
    assert f"did you mean '{expected}'?" in message


def test_get_mistake_example_message() -> None:
    with pytest.raises(
        CoachError, match=r"^unknown mistake 'log-zero' \(did you mean 'log-of-zero'\?\)$"
    ):
        get_mistake("log-zero")


def test_get_mistake_nonsense_has_no_bogus_suggestion() -> None:
    with pytest.raises(CoachError) as info:
        get_mistake("zzzzzz")
    assert "did you mean" not in str(info.value)


@pytest.mark.parametrize("mistake_id", DESIGN_IDS)
def test_render_mistake_shows_title_and_fix(mistake_id: str) -> None:
    console, buf = _console()
    render_mistake(console, mistake_id)
    out = buf.getvalue()
    flat = " ".join(out.split())
    m = MISTAKES[mistake_id]
    assert " ".join(m.title.split()) in flat
    assert " ".join(m.fix.split()) in flat
    # the first line of each snippet is shown
    assert m.bad.splitlines()[0].strip()[:30] in out
    assert m.good.splitlines()[0].strip()[:30] in out
    assert "\x1b[" not in out  # no colour codes without a colour system


def test_render_mistake_unknown_raises() -> None:
    console, _ = _console()
    with pytest.raises(CoachError):
        render_mistake(console, "log-zero")


def test_render_catalogue_lists_every_id() -> None:
    console, buf = _console()
    render_catalogue(console)
    out = buf.getvalue()
    for mistake_id in DESIGN_IDS:
        assert mistake_id in out
    assert "stability" in out.lower()


def test_import_is_light() -> None:
    code = (
        "import sys, coach.catalogue\n"
        "heavy = [m for m in ('numpy', 'rich') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_advice_is_the_variant_for_the_problem_graded() -> None:
    from coach.catalogue import MISTAKES, advice

    for problem in ("logistic_regression", "linear_regression"):
        _, good = advice("unvectorized", problem, [])
        assert "self.X" not in good and "nearest" not in good  # no KNN code here
        compile(good, "advice", "exec")
    assert advice("unvectorized", "knn", [])[1] == MISTAKES["unvectorized"].good


# what only one problem's code says: a snippet with it belongs to that problem
MARKERS = {
    "logistic_regression": ("LogisticRegression", "sigmoid(X @"),
    "linear_regression": ("LinearRegression",),
    "softmax_regression": ("SoftmaxRegression", "P - Y"),
    "knn": ("KNNClassifier", "self.X", "nearest"),
    "numerics": ("def top_k", "def one_hot", "def binary_cross_entropy"),
    "kmeans": ("self.max_iter", "self.n_clusters"),
    "pca": ("self.components", "eigh("),
    "decision_tree": ("def entropy", "max_depth", "np.log2"),
    "neural_network": ("self.weights[:-1]", "a[l].T"),
    "adam": ("self.beta1", "m_hat"),
}
ALWAYS_CITABLE = ("api-contract", "wrong-solution", "edge-case", "cannot-overfit", "crash")


@pytest.mark.parametrize("problem", sorted(MARKERS))
def test_advice_shows_code_of_the_problem_graded(problem: str) -> None:
    """For every mistake a problem's probes can cite, the good code shown is written for
    that problem (or for none): no KNN code in a softmax report, no class in the drills."""
    from coach.catalogue import advice
    from coach.specs import Bank

    spec = Bank.load().resolve(problem)
    for mistake in sorted({p.mistake for p in spec.probes} | set(ALWAYS_CITABLE)):
        fix, good = advice(mistake, problem, [])
        if problem != "logistic_regression":  # no logistic-only advice elsewhere
            assert "logit at" not in fix and "sigmoid(" not in fix, (mistake, problem, fix)
        if problem == "knn":
            assert "0..K-1" not in fix or "need not" in fix, (mistake, fix)  # labels {3, 7}
        if not good:
            continue
        compile(good, f"{mistake} for {problem}", "exec")
        for other, markers in MARKERS.items():
            if other != problem:
                found = [m for m in markers if m in good]
                assert not found, f"{mistake} in a {problem} report shows {other} code: {found}"
        if not spec.interface.class_name:
            assert "class " not in good, f"{mistake} shows a class to a problem of functions"


@pytest.mark.parametrize(
    ("message", "says"),
    [
        ("SyntaxError: expected ':' at line 3", "does not parse"),
        (
            "LinearRegression.fit is not implemented yet (it raises NotImplementedError)",
            "NotImplementedError",
        ),
        (
            "importing the file failed: ModuleNotFoundError: No module named 'torch'",
            "numpy and the standard library",
        ),
        ("importing the file failed: RuntimeError: boom at line 3", "__main__"),
        ("ValueError: shapes (3,) and (4,) not aligned at line 20", "Reproduce it"),
    ],
)
def test_crash_advice_fits_the_error(message: str, says: str) -> None:
    from coach.catalogue import advice

    fix, _ = advice("crash", "logistic_regression", [message])
    assert says in fix
