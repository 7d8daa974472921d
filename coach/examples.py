"""Run a problem's visible examples against a candidate's file (`coach check`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.program import Model, Program
from coach.sandbox import CallFailed, Worker

if TYPE_CHECKING:
    from coach.specs import Example, ProblemSpec, Step


@dataclass
class ExampleResult:
    title: str
    passed: bool
    message: str
    number: int = 0  # the example's number, as `coach show` counts them
    code: list[str] = field(default_factory=list)  # the example's line(s) that failed
    step: int = 0  # the step that failed, from 1
    line: int | None = None  # the line of the candidate's file it failed at
    source: str = ""  # that line's text


class Mismatch(Exception):
    """A step's result is not what the example expects."""


def run_examples(
    spec: ProblemSpec, path: Path, worker: Worker | None = None, timeout: float = 30.0
) -> list[ExampleResult]:
    """Each visible example's outcome; the file runs in a worker, as when graded."""
    import time

    worker = worker or Worker(str(path))
    worker.deadline = time.monotonic() + timeout
    program = Program(worker, spec)
    try:
        results = []
        for number, example in enumerate(spec.examples, 1):
            result = _run(program, example)
            result.number = number
            if not result.passed:
                result.code = _failed_code(spec, example, result)
            results.append(result)
        return results
    finally:
        worker.close()


def _run(program: Program, example: Example) -> ExampleResult:
    model: Model | None = None
    for number, step in enumerate(example.steps, 1):
        try:
            value: Any
            if step.new is not None:
                args = dict(step.new)  # settings as written: layer_sizes stays a list of ints
                model = program.new(optional=tuple(args), **args)
                continue
            if step.function is not None:
                value = program.function(step.function, *_args(step), **_kwargs(step))
            elif model is None:
                raise Mismatch("the example calls a method before making the object")
            elif step.call is not None:
                value = model.call(step.call, *_args(step), **_kwargs(step))
            else:
                value = model.get(step.get or "")
            _check(step, value)
        except CallFailed as exc:
            message = f"step {number}: {exc.describe()}"
            return ExampleResult(
                example.title, False, message, step=number, line=exc.line, source=exc.source
            )
        except Mismatch as exc:
            return ExampleResult(example.title, False, f"step {number}: {exc}", step=number)
    return ExampleResult(example.title, True, "ok")


def _failed_code(spec: ProblemSpec, example: Example, result: ExampleResult) -> list[str]:
    """The lines of the example's step that failed, as `coach show` writes them."""
    from coach.problem_view import step_code

    steps = step_code(spec, example)
    if not 1 <= result.step <= len(steps):
        return []
    arrays, code = steps[result.step - 1]
    return [line for line in arrays if len(line) <= 60] + code


def spec_value(value: Any) -> Any:
    """A value written in a spec: lists of numbers become float arrays, `{ints: [...]}`
    integer arrays (see coach.probes.data.make_array); anything else is passed as it is."""
    from coach.probes.data import make_array

    return make_array(value)


def _args(step: Step) -> list[Any]:
    return [spec_value(v) for v in step.args]


def _kwargs(step: Step) -> dict[str, Any]:
    return {k: spec_value(v) for k, v in step.kwargs.items()}


def _check(step: Step, value: Any) -> None:
    import numpy as np

    name = step.call or step.function or step.get
    try:
        got = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        got = None
    if step.shape is not None:
        want = tuple(step.shape)
        shape = np.shape(value) if got is None else got.shape
        column = len(want) == 1 and shape in ((want[0], 1), (1, want[0]))
        if shape != want and not column:
            raise Mismatch(f"{name} gave shape {shape}, expected {want}")
    if step.finite and (got is None or not np.all(np.isfinite(got))):
        raise Mismatch(f"{name} gave {value!r}, expected finite numbers")
    if step.expect is not None:
        want_value = np.asarray(step.expect, dtype=float)
        if (
            got is None
            or got.size != want_value.size
            or not np.allclose(got.reshape(want_value.shape), want_value, atol=step.tol, rtol=0)
        ):
            raise Mismatch(f"{name} gave {_shown(value, got)}, expected {step.expect}")


def _shown(value: Any, got: Any) -> str:
    """A returned value for a message: whole numbers as integers (labels read 1, not 1.0)."""
    import numpy as np

    if got is None:
        return repr(value)
    if got.size and np.all(np.isfinite(got)) and np.all(got == np.round(got)):
        return np.array2string(got.astype(np.int64), separator=", ", threshold=20)
    return np.array2string(got, precision=4, separator=", ", threshold=20)
