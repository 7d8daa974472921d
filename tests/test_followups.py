"""Follow-up questions: choices shuffled by the session id, one question on the candidate's
own file chosen from what the grader saw, every choice list of similar lengths."""

from __future__ import annotations

import pytest
from conftest import REFERENCE

from coach.followups import (
    FALLBACK,
    OWN,
    TESTING,
    Question,
    own_question,
    session_questions,
    shuffled,
)
from coach.results import GradeReport, ProbeResult, Status
from coach.specs import CHOICE_SPREAD, Bank, ProblemSpec


@pytest.fixture(scope="module")
def spec() -> ProblemSpec:
    return Bank.load().resolve("logistic")


def report(*cited: tuple[str, str, str]) -> GradeReport:
    """A report whose failed probes (id, mistake, message) cite the given mistakes."""
    probes = [
        ProbeResult(pid, Status.FAIL, 0, 10, mistake, message) for pid, mistake, message in cited
    ]
    return GradeReport(
        problem="logistic_regression",
        file="lr.py",
        score=90.0 if cited else 100.0,
        verdict="strong hire",
        duration_s=0.1,
        probes=probes,
        mistakes=[m for _, m, _ in cited],
    )


def test_every_own_question_has_choices_of_similar_length() -> None:
    for entry in [*OWN.values(), TESTING, FALLBACK]:
        lengths = [len(c) for c in entry.choices]
        assert len(lengths) == 4 and len(set(entry.choices)) == 4
        assert max(lengths) <= CHOICE_SPREAD * min(lengths), entry.cited


def test_the_table_covers_the_mistakes_common_across_problems() -> None:
    common = {
        "log-of-zero",
        "unstable-softmax",
        "exp-overflow",
        "input-mutation",
        "gradient-sign",
        "wrong-gradient",
        "wrong-axis",
        "empty-cluster",
        "regularized-bias",
        "division-by-zero",
    }
    assert common <= set(OWN)


def test_a_cited_mistake_gets_its_own_question(spec: ProblemSpec) -> None:
    seen = report(("log_zero", "log-of-zero", "loss returned inf"))
    question = own_question(spec, seen, REFERENCE.read_text())
    assert question.own and question.question == OWN["log-of-zero"].cited
    assert question.choices[question.answer] == OWN["log-of-zero"].choices[0]


def test_an_uncovered_mistake_asks_what_test_would_have_caught_it(spec: ProblemSpec) -> None:
    seen = report(("one_sample", "edge-case", "fit on one sample raised IndexError"))
    question = own_question(spec, seen, "")
    assert "one_sample" in question.question and "IndexError" in question.question
    assert question.choices[question.answer] == TESTING.choices[0]


def test_a_passing_file_is_asked_about_the_trick_it_used(spec: ProblemSpec) -> None:
    question = own_question(spec, report(), "p = np.clip(p, 1e-12, 1 - 1e-12)\n")
    assert question.question.startswith("Your loss clips probabilities at 1e-12")
    softmax = "z = np.exp(z - np.max(z, axis=1, keepdims=True))\n"
    assert own_question(spec, report(), softmax).question == OWN["unstable-softmax"].avoided


def test_with_nothing_seen_the_fallback_asks_how_to_show_it_learns(spec: ProblemSpec) -> None:
    question = own_question(spec, None, "def fit(self, X, y):\n    pass\n")
    assert question.question == FALLBACK.cited.format(problem="logistic regression")


def test_the_starter_left_unfinished_is_not_a_mistake_to_ask_about(spec: ProblemSpec) -> None:
    unfinished = report(("overfit_tiny", "crash", "fit raised NotImplementedError"))
    assert own_question(spec, unfinished, "").question.startswith("Your file passed")


def test_shuffling_is_fixed_by_the_seed_and_keeps_the_answer() -> None:
    question = Question("q?", ("right", "wrong 1", "wrong 2", "wrong 3"), 0, "because")
    once, again = shuffled(question, "session-7"), shuffled(question, "session-7")
    assert once == again  # a resumed session shows the same order
    assert sorted(once.choices) == sorted(question.choices)
    assert once.choices[once.answer] == "right"


def test_the_answer_moves_between_sessions_and_is_not_always_the_longest(
    spec: ProblemSpec,
) -> None:
    source = REFERENCE.read_text()
    positions: dict[str, set[int]] = {}
    longest = total = 0
    for session_id in range(1, 21):
        for q in session_questions(spec, session_id, None, source):
            positions.setdefault(q.question, set()).add(q.answer)
            lengths = [len(c) for c in q.choices]
            longest += lengths[q.answer] == max(lengths)
            total += 1
            assert q.choices[q.answer]  # the right choice is still among them
    assert len(positions) == len(spec.followups) + 1
    assert all(len(seen) >= 3 for seen in positions.values()), positions
    assert longest < total  # picking the longest choice does not answer everything


def test_the_length_of_an_own_choice_does_not_give_its_answer_away() -> None:
    """Picking the longest (or shortest) choice scores near chance over the own questions.

    Every question about the candidate's file comes from one table entry (its cited and its
    avoided wording share the choices), so the entries are counted once each. A tie for
    longest or shortest counts as a hit, so that padding a distractor to the answer's
    length cannot meet the check.
    """
    longest = shortest = total = 0
    for entry in [*OWN.values(), TESTING, FALLBACK]:
        lengths = [len(c) for c in entry.choices]
        right = lengths[0]  # the right choice is listed first
        longest += right == max(lengths)
        shortest += right == min(lengths)
        total += 1
    assert total >= 16
    assert longest <= 0.35 * total, f"the longest choice is right in {longest} of {total}"
    assert shortest <= 0.35 * total, f"the shortest choice is right in {shortest} of {total}"
