"""Probes: checks of a candidate's code, worth points, each citing a mistake when it fails.

A probe is a function ``probe(ctx) -> str`` that returns what it saw when the code
passes, and raises `Fail` (or lets a `CallFailed` through) when it does not. Each
problem's probes live in ``coach.probes.<problem_id>`` and are registered with `@probe`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from coach.program import Program
from coach.results import Status
from coach.specs import ProblemSpec

ProbeFn = Callable[["Context"], str]
REGISTRY: dict[str, dict[str, ProbeFn]] = {}


class Fail(Exception):
    """A probe's verdict that the code is wrong: the mistake it cites and what was seen."""

    def __init__(
        self, mistake: str, message: str, status: Status = Status.FAIL, cause: str | None = None
    ) -> None:
        super().__init__(message)
        self.mistake = mistake
        self.message = message
        self.status = status
        self.cause = cause


@dataclass
class Context:
    """What a probe may use: the spec, the candidate, the reference, and shared findings."""

    spec: ProblemSpec
    candidate: Program
    reference: Program
    source: str
    notes: list[str] = field(default_factory=list)
    memo: dict[str, Any] = field(default_factory=dict)


def probe(problem_id: str, probe_id: str | None = None) -> Callable[[ProbeFn], ProbeFn]:
    """Register a probe function under its problem (the function's name is the id)."""

    def register(fn: ProbeFn) -> ProbeFn:
        REGISTRY.setdefault(problem_id, {})[probe_id or fn.__name__] = fn
        return fn

    return register


def probes_for(problem_id: str) -> dict[str, ProbeFn]:
    """The registered probes of a problem (importing its module on first use)."""
    if problem_id not in REGISTRY:
        try:
            importlib.import_module(f"coach.probes.{problem_id}")
        except ModuleNotFoundError as exc:
            if exc.name != f"coach.probes.{problem_id}":
                raise
    return REGISTRY.get(problem_id, {})
