"""Problem specs: the YAML models, the loader, and id/alias/typo resolution."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from coach.bank import Bank, problem_dirs  # noqa: F401  (coach.bank has no pydantic)
from coach.errors import CoachError
from coach.paths import reference_solution


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Interface(_Strict):
    """What the candidate's file must define."""

    class_name: str | None = Field(default=None, alias="class")
    constructor: dict[str, Any] = Field(default_factory=dict)
    methods: dict[str, str] = Field(default_factory=dict)
    attributes: dict[str, str] = Field(default_factory=dict)
    functions: dict[str, str] = Field(default_factory=dict)


class Step(_Strict):
    """One step of a visible example: make the object, call it, or read an attribute."""

    new: dict[str, Any] | None = None
    call: str | None = None
    function: str | None = None
    get: str | None = None
    args: list[Any] = Field(default_factory=list)
    kwargs: dict[str, Any] = Field(default_factory=dict)
    expect: Any = None
    tol: float = 1e-6
    shape: list[int] | None = None
    finite: bool = False

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        actions = [a for a in (self.new, self.call, self.function, self.get) if a is not None]
        if len(actions) != 1:
            raise ValueError("a step needs exactly one of new, call, function, get")
        return self


class Example(_Strict):
    title: str
    steps: list[Step]


class ProbeSpec(_Strict):
    """One probe of a problem: which family checks it, with what, for how many points."""

    id: str
    family: str | None = None  # the shared check it runs (default: the id)
    params: dict[str, Any] = Field(default_factory=dict, alias="with")
    points: int = Field(ge=0, le=100)
    mistake: str
    title: str

    @property
    def family_name(self) -> str:
        return self.family or self.id


class Grading(_Strict):
    """How the grader drives the candidate's code (see coach.probes.adapters)."""

    model: Literal[
        "gradient_descent",
        "softmax",
        "network",
        "estimator",
        "clusterer",
        "projector",
        "optimizer",
        "functions",
    ] = "gradient_descent"
    # what predict returns when there is no predict_proba: labels (classification) or values
    task: Literal["classification", "regression"] | None = None
    works: dict[str, Any] = Field(default_factory=dict)  # the fit that shows the code learns
    supervised: bool = True  # an estimator's fit takes (X, y); false: fit(X)


CHOICE_SPREAD = 1.5  # the longest choice of a question at most this times the shortest


class FollowUp(_Strict):
    question: str
    choices: list[str] = Field(min_length=2)
    answer: int = Field(ge=0)
    explanation: str

    @model_validator(mode="after")
    def _answer_in_range(self) -> FollowUp:
        if self.answer >= len(self.choices):
            raise ValueError(f"answer {self.answer} is not one of the {len(self.choices)} choices")
        return self

    @field_validator("choices")
    @classmethod
    def _similar_lengths(cls, choices: list[str]) -> list[str]:
        """An answer must not be found by picking the longest (or shortest) choice."""
        lengths = [len(c) for c in choices]
        if max(lengths) > CHOICE_SPREAD * min(lengths):
            raise ValueError(
                f"choices run from {min(lengths)} to {max(lengths)} characters; keep them "
                f"within {CHOICE_SPREAD:g}x of each other, so that the answer cannot be "
                "picked by its length"
            )
        return choices


class ProblemSpec(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    aliases: list[str] = Field(default_factory=list)
    title: str
    difficulty: Literal["easy", "medium", "hard"]
    minutes: int = Field(gt=0)
    frequency: int = Field(ge=1, description="interview-frequency rank, 1 = asked most")
    statement: str
    interface: Interface
    starter: str
    hints: list[str] = Field(min_length=1)
    examples: list[Example] = Field(default_factory=list)
    probes: list[ProbeSpec] = Field(min_length=1)
    grading: Grading = Field(default_factory=Grading)
    followups: list[FollowUp] = Field(default_factory=list)

    source: Path | None = Field(default=None, exclude=True)

    @field_validator("probes")
    @classmethod
    def _points_sum_to_100(cls, probes: list[ProbeSpec]) -> list[ProbeSpec]:
        total = sum(p.points for p in probes)
        if total != 100:
            raise ValueError(f"probe points sum to {total}, not 100")
        ids = [p.id for p in probes]
        if len(ids) != len(set(ids)):
            raise ValueError("probe ids repeat")
        return probes

    @cached_property
    def reference_solution(self) -> Path:
        """The reference solution beside the problems folder this spec came from."""
        return reference_solution(self.id, self.source)

    def probe(self, probe_id: str) -> ProbeSpec:
        return next(p for p in self.probes if p.id == probe_id)


def _line_of(root: Any, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at a pydantic error location."""
    import yaml

    node, line = root, None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == key), None)
            if match is None:
                match = next((k for k, v in node.value if k.value == key), None)
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def load_spec(path: Path) -> ProblemSpec:
    """Parse and validate one spec; any fault is a CoachError naming file, line and field."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as exc:
        raise CoachError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise CoachError(f"{where}: invalid YAML: {exc.problem}") from None
    if not isinstance(data, dict):
        raise CoachError(f"{path}:1: a problem spec must be a mapping of fields")
    try:
        spec = ProblemSpec.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        field_name = ".".join(str(part) for part in loc) or "(top level)"
        line = _line_of(yaml.compose(text), loc) or 1
        raise CoachError(f"{path}:{line}: {field_name}: {err['msg']}") from None
    spec.source = path
    return spec
