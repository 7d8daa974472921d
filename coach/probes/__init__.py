"""Probes: checks of a candidate's code, worth points, each citing a mistake when it fails.

A probe runs a *family*: one check written once (coach.probes.families) and used by every
problem whose spec names it, with the spec's parameters (`with:`). A problem module
(``coach.probes.<problem_id>``) holds that problem's data generators and only the probes
truly its own; registering a name there overrides the family of that name for its problem.

A family is a function ``check(ctx, params) -> str`` that returns what it saw when the code
passes and raises `Fail` (or lets a `CallFailed` through) when it does not. The mistake it
cites by default is the spec entry's; `Fail` may name the mistake its evidence shows.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from coach.results import Status

if TYPE_CHECKING:
    from coach.probes.adapters import Adapter
    from coach.program import Program
    from coach.specs import ProbeSpec, ProblemSpec

Check = Callable[["Context", dict[str, Any]], str]


@dataclass(frozen=True)
class Family:
    """A registered check and the gates it needs: `works` (the code learns at all) and
    `loss` (its loss is the problem's loss, up to a constant factor)."""

    name: str
    check: Check
    needs: tuple[str, ...] = ()


FAMILIES: dict[str, Family] = {}
OWN: dict[str, dict[str, Family]] = {}


class Fail(Exception):
    """A probe's verdict that the code is wrong: the mistake it cites and what was seen.

    `mistake=None` cites the spec entry's own mistake. `symptom=True`: the mistake named is
    what the failure looks like, not evidence of its cause (a core probe's unexplained
    failure may explain it; see coach.grading.attribute_to_the_core).
    """

    def __init__(
        self,
        mistake: str | None,
        message: str,
        status: Status = Status.FAIL,
        cause: str | None = None,
        symptom: bool = False,
    ) -> None:
        super().__init__(message)
        self.mistake = mistake
        self.message = message
        self.status = status
        self.cause = cause
        self.symptom = symptom


class Skip(Exception):
    """The probe earns nothing because the code under it does not work yet (no mistake)."""


@dataclass
class Context:
    """What a probe may use: the spec, both programs, the adapter, and shared findings."""

    spec: ProblemSpec
    candidate: Program
    reference: Program
    source: str
    adapter: Adapter
    notes: list[str] = field(default_factory=list)
    memo: dict[str, Any] = field(default_factory=dict)
    entry: ProbeSpec | None = None  # the spec entry being run

    def data(self, name: Any, **overrides: Any) -> tuple[Any, Any]:
        """A data set named in a spec (see coach.probes.data.make). A classifier's labels
        come as ints, as an interviewer passes them (`np.eye(K)[y]` must work)."""
        from coach.probes.data import integer_labels, make

        X, y = make(name, problem_module(self.spec.id), **overrides)
        return X, integer_labels(y) if self.adapter.classifier else y


def family(name: str, *, needs: tuple[str, ...] = ()) -> Callable[[Check], Check]:
    """Register a shared family under `name`."""

    def register(fn: Check) -> Check:
        FAMILIES[name] = Family(name, fn, needs)
        return fn

    return register


def probe(problem_id: str, name: str | None = None, *, needs: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    """Register a problem's own probe (or its override of a family) under `name`."""

    def register(fn: Check) -> Check:
        key = name or fn.__name__
        OWN.setdefault(problem_id, {})[key] = Family(key, fn, needs)
        return fn

    return register


def problem_module(problem_id: str) -> Any:
    """The problem's own module, or None (a problem may be YAML alone)."""
    try:
        return importlib.import_module(f"coach.probes.{problem_id}")
    except ModuleNotFoundError as exc:
        if exc.name != f"coach.probes.{problem_id}":
            raise
        return None


def resolve(spec: ProblemSpec, entry: ProbeSpec) -> Family | None:
    """What runs a spec entry: the problem's own probe, its override, or the shared family."""
    return provider(spec.id, entry.id, entry.family_name)


def provider(problem_id: str, probe_id: str, family_name: str) -> Family | None:
    """The problem's own probe of that id or family name, else the shared family."""
    import coach.probes.families  # noqa: F401  (registers the shared families)

    problem_module(problem_id)
    own = OWN.get(problem_id, {})
    return own.get(probe_id) or own.get(family_name) or FAMILIES.get(family_name)


def probe_faults(problem_id: str, entries: list[Any]) -> list[tuple[tuple[Any, ...], str]]:
    """The probe entries (as written in a spec) that nothing provides: where and what."""
    import difflib

    faults = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        family = entry.get("family")
        name = family if isinstance(family, str) else entry["id"]
        if provider(problem_id, entry["id"], name) is not None:
            continue
        known = [*FAMILIES, *OWN.get(problem_id, {})]
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        field = "family" if isinstance(family, str) else "id"
        what = f"no family or problem probe provides '{name}'{hint}"
        faults.append((("probes", i, field), what))
    return faults
