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
    ValidationInfo,
    field_validator,
    model_validator,
)

from coach.bank import Bank, problem_dirs  # noqa: F401  (coach.bank has no pydantic)
from coach.paths import reference_solution
from coach.spec_faults import Fault, SpecError, SpecText, read_spec

ID_PATTERN = r"^[a-z][a-z0-9_]*$"


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

    @field_validator("answer")
    @classmethod
    def _answer_in_range(cls, answer: int, info: ValidationInfo) -> int:
        choices = info.data.get("choices")
        if choices is not None and answer >= len(choices):
            raise ValueError(f"{answer} is not one of the {len(choices)} choices (0 is the first)")
        return answer

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
    id: str = Field(pattern=ID_PATTERN)
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
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"probe ids repeat: {', '.join(repeated)}")
        return probes

    @cached_property
    def reference_solution(self) -> Path:
        """The reference solution beside the problems folder this spec came from."""
        return reference_solution(self.id, self.source)

    def probe(self, probe_id: str) -> ProbeSpec:
        return next(p for p in self.probes if p.id == probe_id)


def schema_faults(src: SpecText) -> tuple[ProblemSpec | None, list[Fault]]:
    """The spec validated, or every fault of its schema (all of pydantic's at once)."""
    try:
        spec = ProblemSpec.model_validate(src.data)
    except ValidationError as exc:
        faults = [
            src.fault(tuple(e["loc"]), plain(e), key=e["type"] == "extra_forbidden")
            for e in exc.errors()
        ]
        return None, sorted(faults, key=lambda f: f.line)
    spec.source = src.path
    return spec, []


def load_spec(path: Path) -> ProblemSpec:
    """Parse and validate one spec; its faults are a SpecError, each with file, line, field."""
    src = read_spec(path)
    spec, faults = schema_faults(src)
    if spec is None:
        raise SpecError(faults, src.names())
    return spec


KINDS = {  # what a value of each pydantic type must be, in a spec author's words
    "int": "a whole number",
    "float": "a number",
    "string": "text",
    "bool": "true or false",
    "list": "a list",
    "tuple": "a list",
    "dict": "a mapping (key: value)",
    "model": "a mapping of fields",
    "model_attributes": "a mapping of fields",
    "none": "empty",
}


def plain(error: Any) -> str:
    """One pydantic error in plain words (no "Input should be", no URLs)."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    got = f", not {_shown(value)}"
    if kind == "missing":
        return "required, but missing"
    if kind == "extra_forbidden":
        return _unknown_field(tuple(error["loc"]))
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}{got}"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == ID_PATTERN:
            return f"must be lower-case letters, digits and _, starting with a letter{got}"
        return f"must match {ctx.get('pattern')}{got}"
    bounds = {
        "greater_than": ("above", "gt"),
        "greater_than_equal": ("at least", "ge"),
        "less_than": ("below", "lt"),
        "less_than_equal": ("at most", "le"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return f"must be {words} {ctx.get(key)}{got}"
    if kind in ("too_short", "too_long"):
        words = "at least" if kind == "too_short" else "at most"
        limit = ctx.get("min_length" if kind == "too_short" else "max_length")
        return f"needs {words} {limit} {_entries(limit)}, has {ctx.get('actual_length')}"
    for suffix in ("_type", "_parsing", "_from_float"):
        base = kind.removesuffix(suffix)
        if base != kind and base in KINDS:
            return f"must be {KINDS[base]}{got}"
    message = str(error.get("msg", kind))
    return message.replace("Value error, ", "").replace("Input should be", "must be")


def _entries(count: Any) -> str:
    return "entry" if count == 1 else "entries"


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _unknown_field(loc: tuple[Any, ...]) -> str:
    """An unknown field, with the nearest known one of its model."""
    import difflib

    known = _fields_of(loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    if close:
        return f"unknown field (did you mean '{close[0]}'?)"
    return f"unknown field; known here: {', '.join(known)}" if known else "unknown field"


def _fields_of(loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model at a path of the spec (aliases as written in YAML)."""
    import typing

    model: Any = ProblemSpec
    for part in loc:
        if isinstance(part, int):
            continue
        fields = {f.alias or name: f for name, f in model.model_fields.items()}
        found = fields.get(part)
        if found is None:
            return []
        kinds = [found.annotation, *typing.get_args(found.annotation)]
        model = next((k for k in kinds if isinstance(k, type) and issubclass(k, BaseModel)), None)
        if model is None:
            return []
    return [f.alias or name for name, f in model.model_fields.items() if not f.exclude]
