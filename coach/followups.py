"""The follow-up questions of a mock interview: the spec's, plus one about the candidate's own
file, built from what the grader saw; every question's choices shuffled per session.

The order of the choices comes from the session id, so a resumed session asks the same
questions in the same order, while two sessions put the right answer in different places.
Nothing here runs code: the own question reads the grade report and the file's text.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coach.results import GradeReport
    from coach.specs import ProblemSpec


@dataclass(frozen=True)
class Question:
    """One multiple-choice question; `answer` indexes `choices`."""

    question: str
    choices: tuple[str, ...]
    answer: int
    explanation: str
    own: bool = False  # about the candidate's own file


@dataclass(frozen=True)
class _Own:
    """A question about a mistake: asked when the grader cited it (`cited`), or, when the
    file shows it was avoided (`avoided`), about the trick the file used."""

    cited: str
    choices: tuple[str, ...]  # the right one first; shuffled when asked
    explanation: str
    avoided: str = ""


TESTING = _Own(
    cited="The grader's {probe} check failed on your file ({seen}). What would have caught it "
    "before you submitted?",
    choices=(
        "A test on a tiny input whose answer you know by hand, run before the submit",
        "Reading the code through once more, slowly, line by line, without running it",
        "Running fit on a large random data set and checking that nothing gets printed",
        "More iterations, which make an imperfect implementation converge in the end",
    ),
    explanation="A case small enough to work out by hand (four points to overfit, y = 3x + 2, "
    "one sample, equal labels) shows a wrong answer at once; reading code misses what running "
    "it shows, a large random input has no known answer, and more iterations do not fix a bug.",
)

FALLBACK = _Own(
    cited="Your file passed the grader's checks. Which first test shows an interviewer that "
    "your {problem} really learns?",
    choices=(
        "Fit a tiny set it must fit exactly (4 points, XOR) and watch the loss fall to ~0",
        "Fit a large random data set and report the accuracy it reaches on that data",
        "Run fit twice with the same seed and check that both runs give equal weights",
        "Check that predict returns an array of the right shape and the right dtype",
    ),
    explanation="Overfitting a handful of points is the quickest proof the loss, gradients and "
    "update work together: a correct model drives the training loss near zero. Random data has "
    "no signal to learn, equal runs only show determinism, and shapes say nothing of learning.",
)

OWN: dict[str, _Own] = {
    "log-of-zero": _Own(
        cited="The grader saw your loss turn inf or nan when a probability reached exactly 0 "
        "or 1. Which change keeps it finite?",
        avoided="Your loss clips probabilities at {eps}. Why clip at all, and why not at 1e-300?",
        choices=(
            "log(0) is -inf, and 1 - 1e-300 rounds to 1.0, so log(1 - p) would be log(0) again",
            "Clipping makes np.log faster, and a smaller bound would make it slow once more",
            "It keeps the gradient exact; a smaller bound moves the optimum of the weights",
            "np.log raises a ValueError below 1e-15, so smaller arguments must be avoided",
        ),
        explanation="In float64 a sigmoid rounds to exactly 1.0 past a logit of about 37, so "
        "an unclipped log(1 - p) is log(0) = -inf, and 0 * log(0) is nan. Clipping into "
        "[eps, 1 - eps] bounds each term (about 34.5 at 1e-15); the bound must stay above "
        "float64's spacing near 1 (about 1.1e-16), or 1 - eps is 1.0 again. Computing the loss "
        "from the logits with log-sigmoid or log-softmax avoids the question.",
    ),
    "unstable-softmax": _Own(
        cited="The grader fed your softmax logits near 1000 and saw inf or nan. What does "
        "subtracting each row's maximum before exp change?",
        avoided="Your code subtracts the maximum before exp. What would break without it if "
        "the logits reached 1000?",
        choices=(
            "exp(1000) overflows to inf, and inf / inf makes the probabilities nan",
            "Nothing: float64 holds exp(1000); computing it only takes a little longer",
            "The probabilities still sum to 1, but the classes come out in reverse order",
            "exp(1000) rounds down to 0.0, so every class gets the same probability",
        ),
        explanation="exp overflows float64 just past 709. Softmax does not change when every "
        "logit of a row moves by the same amount, so subtracting the row maximum gives the same "
        "probabilities with the largest exponent at exp(0) = 1: nothing overflows, and at least "
        "one term of the sum is 1, so there is no division by 0 either.",
    ),
    "exp-overflow": _Own(
        cited="The grader sent your sigmoid logits of ±1000 and saw an overflow. What makes a "
        "sigmoid that picks its formula by the sign of z safe?",
        avoided="Your sigmoid picks its formula by the sign of z (or uses exp(-|z|)). What "
        "does that buy at logits of ±1000?",
        choices=(
            "exp is then only taken of numbers ≤ 0, which cannot overflow in float64",
            "The sign test rounds z to a whole number first, so exp gives an exact result",
            "It switches to float32 for negative z, whose range holds exp(1000)",
            "It clips z into [-1, 1] first, which keeps every exponent small enough",
        ),
        explanation="exp(1000) is inf in float64 (exp overflows just past 709). "
        "1/(1+exp(-z)) at z = -1000 overflows, with a warning, before rounding to 0, and "
        "exp(z)/(1+exp(z)) at z = 1000 is inf/inf = nan. Using the first form for z ≥ 0 and "
        "the second for z < 0 only ever takes exp of a number ≤ 0. float32 overflows sooner.",
    ),
    "input-mutation": _Own(
        cited="The grader saw your code change the X or y it was given. Why does that matter "
        "to an interviewer?",
        avoided="Your code copies its inputs before changing them. Why does that matter to an "
        "interviewer?",
        choices=(
            "Callers reuse their arrays: scaling X in place corrupts their later calls",
            "NumPy arrays are read-only by default, so a write raises an error later",
            "In-place operations run slower than building a new array to hold the results",
            "It does not matter while fit returns self and predict has the right shape",
        ),
        explanation="A caller keeps using the arrays it passed: centring or scaling X in "
        "place quietly changes their data, and the next call (or their own evaluation) runs on "
        "different numbers. `X = X - mean` makes a new array; `X -= mean` writes into theirs.",
    ),
    "gradient-sign": _Own(
        cited="The grader saw your loss rise during training: the update climbs the gradient. "
        "Which test catches that in a minute?",
        choices=(
            "Compare your gradients with central finite differences of the loss",
            "Print the weights after fit and check that all of them are positive",
            "Raise the iterations and see whether the accuracy improves in the end",
            "Check that predict returns as many values as there are labels in y",
        ),
        explanation="A gradient check compares each entry with (L(w + h) - L(w - h)) / 2h; a "
        "flipped sign shows as a relative error near 2. Watching the loss history fall is the "
        "other quick check: gradient descent that climbs makes the loss grow every step.",
    ),
    "wrong-gradient": _Own(
        cited="The grader's finite-difference check disagreed with your gradients. What is "
        "compared, and when do they agree?",
        choices=(
            "(L(w+h) - L(w-h)) / 2h per entry against yours; relative error below ~1e-5",
            "The gradient at two learning rates; they agree when both make the loss fall",
            "dw against db; they agree when both have about the same magnitude",
            "The gradient before and after fit; they agree when it is zero at the start",
        ),
        explanation="Central differences have error O(h²); with h around 1e-5 and float64, a "
        "correct gradient matches to a relative error of about 1e-7, so anything above 1e-5 "
        "points at a missing term, a missing 1/n, or the penalty left out or doubled.",
    ),
    "wrong-axis": _Own(
        cited="On square inputs the grader saw your code reduce over the wrong axis. Why did no "
        "error stop it?",
        choices=(
            "With n = d every shape lines up, so a sum over samples runs as one over features",
            "NumPy quietly transposes a square array when the axis asked for does not exist",
            "Square inputs are rare in practice, so NumPy skips its shape checks on them",
            "On a square matrix, axis=0 and axis=1 reduce to the same numbers anyway",
        ),
        explanation="A reduction over the wrong axis is caught by a shape error only when the "
        "two axes differ in length. Tests with n ≠ d (and asserts on shapes) expose it; the "
        "grader uses square inputs precisely because they hide it.",
    ),
    "empty-cluster": _Own(
        cited="The grader gave your k-means a start where a cluster loses every point. What is "
        "a sound way to handle it?",
        choices=(
            "Re-seed that centroid, e.g. at the point farthest from its own centroid",
            "Divide by the cluster size plus one, so that an empty mean comes out as zero",
            "Lower k by one for the rest of the run as soon as any cluster empties",
            "Restart from a new random seed until no cluster ever happens to empty",
        ),
        explanation="The mean of no points is 0/0 = nan, and a nan centroid then poisons "
        "every distance. Keeping the old centroid or moving it to a far point keeps k "
        "clusters and finite numbers; the other choices change the model or may never end.",
    ),
    "regularized-bias": _Own(
        cited="With alpha > 0 the grader saw your bias gradient carry the penalty. What does "
        "penalising the bias do?",
        choices=(
            "It drags the intercept towards 0, so predictions drift off the base rate",
            "Nothing measurable: the bias is a single number, so its penalty is negligible",
            "It makes the loss non-convex, so descent may stop in a local minimum",
            "It doubles the bias's learning rate, so its training starts to diverge",
        ),
        explanation="The penalty exists to keep the weights, which give the model its "
        "flexibility, small. The bias only shifts every score; shrinking it pulls predictions "
        "away from the base rate, most visibly on imbalanced classes. Its gradient stays "
        "mean(p - y).",
    ),
    "division-by-zero": _Own(
        cited="The grader saw your code divide by zero (a constant column, or an empty group). "
        "What is the usual guard?",
        choices=(
            "Replace a zero denominator by 1 (or add a tiny epsilon) where it is 0",
            "Drop every row that holds a zero before the division is carried out",
            "Catch the ZeroDivisionError, which NumPy raises when arrays divide by 0",
            "Use //, which returns 0 instead of inf when a number is divided by 0",
        ),
        explanation="A constant column has standard deviation 0, and standardising it gives "
        "0/0 = nan. Replacing a zero std by 1 leaves that column at 0 after centring. NumPy "
        "does not raise on arrays: it warns and returns inf or nan.",
    ),
    "negative-sqrt": _Own(
        cited="The grader saw nan distances between duplicate points. Where does the nan come "
        "from?",
        choices=(
            "|x|² + |y|² - 2x·y rounds to a tiny negative; clip at 0 before the sqrt",
            "np.sqrt returns nan at exactly 0, so a zero distance comes out as nan",
            "Duplicate points make the Gram matrix singular, so its inverse is nan",
            "Broadcasting repeats the duplicate rows until their squared sums overflow",
        ),
        explanation="The expanded form is fast but cancels catastrophically when x ≈ y: the "
        "result can be -1e-13, and sqrt of a negative is nan. np.maximum(d2, 0) before the "
        "sqrt fixes it.",
    ),
    "uncentered-pca": _Own(
        cited="On data far from the origin the grader saw your first component point at the "
        "mean. Why?",
        choices=(
            "Without subtracting the mean, the top direction of XᵀX is the mean itself",
            "SVD only works on unit-variance data, so the features must be scaled first",
            "The eigenvalues of large data overflow, and the largest one wins by chance",
            "The components come out sorted ascending, so the first is the weakest",
        ),
        explanation="PCA finds directions of largest variance about the mean. XᵀX of "
        "uncentred data is dominated by the mean's outer product, so the first 'component' is "
        "just where the data sits. Subtract the training mean in fit and in transform.",
    ),
    "unvectorized": _Own(
        cited="The grader timed your code at over 10x the reference: a Python loop over "
        "samples. What is the vectorised form?",
        choices=(
            "One matrix product X @ w + b for every row, then element-wise functions",
            "np.vectorize over the per-sample function, which compiles the loop into C",
            "A list comprehension instead of the loop, which NumPy runs in parallel",
            "Python's map() over the rows, which skips the interpreter's overhead",
        ),
        explanation="A matrix product hands the whole loop to compiled BLAS code. np.vectorize "
        "is still a Python loop underneath, and comprehensions and map() run in the "
        "interpreter too.",
    ),
    "matrix-inversion": _Own(
        cited="With perfectly correlated features the grader saw your normal equation fail. "
        "What is the robust solve?",
        choices=(
            "np.linalg.lstsq, or solve with a small ridge term; never an explicit inverse",
            "np.linalg.inv in a wider float type, whose precision inverts a singular matrix",
            "Drop the bias column, which is what makes XᵀX singular in such cases",
            "Invert XᵀX twice, since two inverses cancel each other's rounding error",
        ),
        explanation="Correlated features make XᵀX singular, so inv fails or returns huge "
        "numbers. lstsq (SVD) gives the minimum-norm solution, and a small ridge term makes "
        "the matrix invertible; solving is also more accurate than inverting.",
    ),
}

# what a file shows it did right: (pattern in its source, mistake it avoids)
_SEEN: tuple[tuple[str, str], ...] = (
    (r"clip\([^\n]*?(\d(?:\.\d*)?e-\d+)", "log-of-zero"),
    (
        r"exp\([^\n]*-\s*(np\.max|np\.amax|\w+\.max)\(|-=?\s*(np\.max|np\.amax)\(",
        "unstable-softmax",
    ),
    (r"np\.where\([^\n]*(>=|<)\s*0[^\n]*exp|exp\(-np\.abs", "exp-overflow"),
    (r"\.copy\(\)|np\.array\(\s*X|np\.asarray\(X[^\n]*copy", "input-mutation"),
)


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def own_question(spec: ProblemSpec, report: GradeReport | None, source: str) -> Question:
    """A question about the candidate's file: on a mistake the grader cited if there is one,
    else on a stability trick the file used, else on how to show the model learns."""
    from coach.session import report_mistakes

    cited = report_mistakes(report) if report is not None else []
    for mistake in cited:
        if mistake in OWN:
            entry = OWN[mistake]
            return _make(entry, entry.cited)
    if report is not None and cited:
        probe = next((p for p in report.probes if p.mistake in cited), None)
        if probe is not None:
            text = TESTING.cited.format(probe=probe.id, seen=_short(probe.message or probe.id))
            return _make(TESTING, text)
    for pattern, mistake in _SEEN:
        found = re.search(pattern, source)
        if found and OWN[mistake].avoided and mistake not in cited:
            entry = OWN[mistake]
            eps = found.group(1) if mistake == "log-of-zero" else ""
            return _make(entry, entry.avoided.format(eps=eps))
    return _make(FALLBACK, FALLBACK.cited.format(problem=spec.title.lower()))


def _make(entry: _Own, text: str) -> Question:
    return Question(text, entry.choices, 0, entry.explanation, own=True)


def shuffled(question: Question, seed: str) -> Question:
    """The same question with its choices in an order fixed by `seed` and the question."""
    digest = hashlib.sha256(f"{seed}\n{question.question}".encode()).digest()
    order = list(range(len(question.choices)))
    random.Random(int.from_bytes(digest[:8], "big")).shuffle(order)
    return replace(
        question,
        choices=tuple(question.choices[i] for i in order),
        answer=order.index(question.answer),
    )


def spec_questions(spec: ProblemSpec) -> list[Question]:
    """The spec's follow-ups, unshuffled."""
    return [Question(f.question, tuple(f.choices), f.answer, f.explanation) for f in spec.followups]


def session_questions(
    spec: ProblemSpec, session_id: int, report: GradeReport | None, source: str
) -> list[Question]:
    """The questions a mock ends with: the spec's, then one on the candidate's file, each
    with its choices shuffled by the session id."""
    questions: Sequence[Question] = [*spec_questions(spec), own_question(spec, report, source)]
    return [shuffled(q, f"session-{session_id}") for q in questions]
