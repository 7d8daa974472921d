"""Grade one file: run the problem's probes on it beside the reference and score them."""

from __future__ import annotations

import ast
import time
from pathlib import Path

from coach.probes import Context, Fail, probes_for
from coach.program import Program
from coach.results import GradeReport, ProbeResult, Status, verdict_for
from coach.sandbox import (
    REFERENCE_CALL_TIMEOUT,
    ApiMissing,
    CallFailed,
    CallTimedOut,
    Worker,
)
from coach.specs import ProblemSpec

DEFAULT_TIMEOUT = 60.0  # seconds for one file's whole grade
OUTPUT_CAP = 4096


class Grader:
    """Grades files for one problem; workers may be started early with `start`."""

    def __init__(
        self,
        spec: ProblemSpec,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        reference: str | Path | None = None,
    ) -> None:
        self.spec = spec
        self.timeout = timeout
        self.reference_path = str(reference or spec.reference_solution)

    def grade(
        self, path: str | Path, candidate: Worker | None = None, reference: Worker | None = None
    ) -> GradeReport:
        started = time.monotonic()
        deadline = started + self.timeout
        path = Path(path)
        source = path.read_text(encoding="utf-8", errors="replace")
        candidate = candidate or Worker(str(path))
        reference = reference or Worker(self.reference_path, call_timeout=REFERENCE_CALL_TIMEOUT)
        candidate.deadline = deadline
        try:
            syntax = _syntax_error(source, path)
            if syntax:
                return self._unusable(path, syntax, started, candidate)
            candidate.start()
            reference.start()
            try:
                candidate.ensure_loaded()
            except CallFailed as exc:
                return self._unusable(
                    path, f"importing the file failed: {exc.describe()}", started, candidate
                )
            ctx = Context(
                self.spec, Program(candidate, self.spec), Program(reference, self.spec), source
            )
            results = [self._run(ctx, probe.id) for probe in self.spec.probes]
        finally:
            candidate.close()
            reference.close()
        results = attribute_crashes(self.spec, results)
        return self._report(path, results, started, candidate, ctx.notes)

    def _run(self, ctx: Context, probe_id: str) -> ProbeResult:
        spec = self.spec.probe(probe_id)
        result = ProbeResult(probe_id, Status.PASS, 0, spec.points, title=spec.title)
        fn = probes_for(self.spec.id).get(probe_id)
        started = time.perf_counter()
        try:
            if fn is None:
                raise Fail("api-contract", f"coach has no probe '{probe_id}'", Status.SKIP)
            result.message = fn(ctx)
            result.points = spec.points
        except Fail as fail:
            result.status, result.mistake, result.message = fail.status, fail.mistake, fail.message
            result.cause = fail.cause
        except ApiMissing as exc:
            result.status, result.mistake, result.message = Status.FAIL, "api-contract", exc.message
        except CallTimedOut as exc:
            result.status = Status.TIMEOUT
            result.mistake = "unvectorized" if spec.mistake == "unvectorized" else "timeout"
            result.message = exc.message if "time limit" in exc.message else f"a call {exc.message}"
        except CallFailed as exc:
            result.status, result.message = Status.ERROR, exc.describe()
            from coach.probes.common import error_cause

            result.mistake = error_cause(exc) or "crash"
            result.cause = _cause(exc)
        result.duration_s = time.perf_counter() - started
        return result

    def _unusable(self, path: Path, error: str, started: float, candidate: Worker) -> GradeReport:
        """Score 0: every probe errors with the reason the file cannot be used."""
        results = [
            ProbeResult(p.id, Status.ERROR, 0, p.points, "crash", error, title=p.title)
            for p in self.spec.probes
        ]
        report = self._report(path, results, started, candidate, [])
        report.error = error
        return report

    def _report(
        self,
        path: Path,
        results: list[ProbeResult],
        started: float,
        candidate: Worker,
        notes: list[str],
    ) -> GradeReport:
        score = round(sum(r.points for r in results), 1)
        mistakes: list[str] = []
        for r in results:
            if r.mistake and r.mistake not in mistakes:
                mistakes.append(r.mistake)
        output = candidate.output
        if candidate.output_total > len(output):
            output += f"\n[... {candidate.output_total - len(output):,} more characters not kept]"
        return GradeReport(
            problem=self.spec.id,
            file=str(path),
            score=score,
            verdict=verdict_for(score),
            duration_s=time.monotonic() - started,
            probes=results,
            mistakes=mistakes,
            aliases_used=dict(candidate.aliases),
            candidate_output=output,
            problem_title=self.spec.title,
            time_limit_s=self.spec.minutes * 60.0,
            notes=notes,
        )


def _syntax_error(source: str, path: Path) -> str | None:
    try:
        ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        code = f": {exc.text.strip()}" if exc.text else ""
        return f"SyntaxError: {exc.msg} at line {exc.lineno}{code}"
    return None


def cause_of(exc: BaseException) -> str | None:
    """A key that is equal for the same error raised at the same place."""
    if not isinstance(exc, CallFailed):
        return None
    return _cause(exc)


def _cause(exc: CallFailed) -> str:
    return f"{exc.kind}:{exc.line}:{exc.message[:80]}"


def attribute_crashes(spec: ProblemSpec, results: list[ProbeResult]) -> list[ProbeResult]:
    """An error that edge cases share with ordinary probes is a crash, not an edge case."""
    edge = {p.id for p in spec.probes if p.mistake == "edge-case"}
    ordinary = {r.cause for r in results if r.cause and r.id not in edge}
    for r in results:
        if r.mistake == "edge-case" and r.cause in ordinary:
            r.mistake = "crash"
    return results
