"""Grade one file: run the problem's probes on it beside the reference and score them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from coach.detect import unusable
from coach.errors import CoachError
from coach.limits import DEFAULT, Limits
from coach.probes import Context, Fail, Skip, probe_faults, resolve
from coach.probes.adapters import adapter_for
from coach.probes.evidence import cause_key, error_cause
from coach.program import Program
from coach.results import GradeReport, ProbeResult, Status, verdict_for
from coach.sandbox import ApiMissing, CallFailed, CallTimedOut, Worker

if TYPE_CHECKING:  # the models need pydantic; grading reads cached views
    from coach.specs import ProbeSpec, ProblemSpec

PROCESS_NOTE = (
    "graded in 'process' mode ({why}): the candidate's code ran with resource limits but "
    "could read files, including coach's own, write wherever this user can and use the "
    "network; use bwrap for untrusted code"
)


def check_spec(spec: ProblemSpec) -> None:
    """A CoachError naming the spec's file, line and field when a probe entry has nothing
    to run it."""
    from coach.spec_faults import Fault, dotted, field_line, summary

    entries = [{"id": p.id, "family": p.family} for p in spec.probes]
    faults = probe_faults(spec.id, entries)
    if not faults:
        return
    source = spec.source
    lines = [
        str(Fault(source, field_line(source, loc), dotted(loc), what))
        if source
        else f"problem {spec.id}: {dotted(loc)}: {what}"
        for loc, what in faults
    ]
    raise CoachError(summary(lines, source or spec.id))


class Grader:
    """Grades files for one problem; workers may be started early and handed in."""

    def __init__(
        self,
        spec: ProblemSpec,
        *,
        limits: Limits = DEFAULT,
        reference: str | Path | None = None,
    ) -> None:
        check_spec(spec)
        self.spec = spec
        self.limits = limits
        self.reference_path = str(reference or spec.reference_solution)

    def grade(
        self,
        path: str | Path,
        candidate: Worker | None = None,
        reference: Worker | None = None,
        probing: Callable[[str], None] | None = None,
    ) -> GradeReport:
        """Grade one file. The candidate's worker is closed after; a reference worker handed
        in is left open for the caller (a batch resets and reuses it). `probing` is told
        the title of each probe as it begins (a spinner)."""
        started = time.monotonic()
        path = Path(path)
        source = path.read_text(encoding="utf-8", errors="replace")
        candidate = candidate or Worker(str(path), limits=self.limits)
        own_reference = reference is None  # a reference handed in is the caller's to close
        reference = reference or Worker(self.reference_path, limits=self.limits, role="reference")
        candidate.deadline = started + self.limits.grade_s
        notes: list[str] = []
        if candidate.sandbox == "process":
            asked = self.limits.sandbox == "process"
            why = "as --sandbox process asked" if asked else "bubblewrap is not available here"
            notes.append(PROCESS_NOTE.format(why=why))
        try:
            found = unusable(path)
            if found:
                reason, mistake = found.reason, found.mistake
                return unusable_report(path, reason, self.spec, mistake, started=started)
            candidate.start()
            reference.start()
            try:
                candidate.ensure_loaded()
            except CallFailed as exc:
                mistake = "timeout" if isinstance(exc, CallTimedOut) else "crash"
                reason = f"importing the file failed: {exc.describe()}"
                report = unusable_report(path, reason, self.spec, mistake, started=started)
                report.candidate_output, report.sandbox = candidate.output, candidate.sandbox
                return report
            ctx = Context(
                self.spec,
                Program(candidate, self.spec),
                Program(reference, self.spec),
                source,
                adapter_for(self.spec),
                notes=notes,
            )
            results = []
            for entry in self.spec.probes:
                if probing is not None:
                    probing(entry.title or entry.id)
                results.append(self._run(ctx, entry))
        finally:
            candidate.close()
            if own_reference:
                reference.close()
        results = attribute_to_the_core(self.spec, attribute_crashes(self.spec, results))
        return self._report(path, results, started, candidate, notes)

    def _run(self, ctx: Context, entry: ProbeSpec) -> ProbeResult:
        result = ProbeResult(entry.id, Status.PASS, 0, entry.points, title=entry.title)
        found = resolve(self.spec, entry)
        assert found is not None  # check_spec saw to it
        ctx.entry = entry
        started = time.perf_counter()
        try:
            for gate in found.needs:
                if gate == "works":
                    ctx.adapter.works(ctx)
                elif gate == "functions":
                    ctx.adapter.functions_work(ctx)
                elif gate == "loss":
                    ctx.adapter.require_loss(ctx)  # type: ignore[attr-defined]
            result.message = found.check(ctx, entry.params)
            result.points = entry.points
        except Skip as skip:
            result.status, result.message = Status.SKIP, str(skip)
        except Fail as fail:
            result.status, result.message = fail.status, fail.message
            result.mistake = fail.mistake or entry.mistake
            result.cause = fail.cause
            result.explained = fail.mistake is not None and not fail.symptom
        except ApiMissing as exc:
            result.status, result.mistake, result.message = Status.FAIL, "api-contract", exc.message
        except CallTimedOut as exc:
            result.status, result.mistake = Status.TIMEOUT, "timeout"
            result.message = exc.message if "time limit" in exc.message else f"a call {exc.message}"
        except CallFailed as exc:
            result.status, result.message = Status.ERROR, exc.describe()
            result.mistake = error_cause(exc) or "crash"
            result.cause = cause_key(exc)
            defect = _defect(ctx) if result.mistake == "crash" else None
            if defect:  # a fault of the model's structure explains the error
                result.mistake, result.message = defect[0], f"{result.message}; {defect[1]}"
        result.duration_s = time.perf_counter() - started
        return result

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
        if candidate.aliases.get("alpha") == "learning_rate":
            penalty = next((k for k, v in candidate.aliases.items() if v == "alpha"), "the penalty")
            notes = [
                *notes,
                f"course notation: the constructor takes alpha and {penalty} but no learning "
                f"rate, so alpha was read as the learning rate and {penalty} as the penalty",
            ]
        if candidate.left_running:  # counted as the worker was ended (sandbox.Worker.kill)
            notes = [
                *notes,
                f"{candidate.left_running:,} processes started by the candidate's code were "
                "still running when its worker stopped, and were ended with it",
            ]
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
            sandbox=candidate.sandbox,
        )


def _defect(ctx: Context) -> tuple[str, str] | None:
    try:
        return ctx.adapter.defect(ctx)
    except (CallFailed, Fail):
        return None


def unusable_report(
    path: Path,
    reason: str,
    spec: ProblemSpec | None,
    mistake: str | None = None,
    *,
    started: float | None = None,
) -> GradeReport:
    """Score 0 and one line of reason, for a file that cannot be run (no probe ran);
    `spec` is None when the file's problem could not be told either."""
    return GradeReport(
        problem=spec.id if spec else None,
        file=str(path),
        score=0,
        verdict=verdict_for(0),
        duration_s=time.monotonic() - started if started is not None else 0.0,
        probes=[],
        mistakes=[mistake] if mistake else [],
        problem_title=spec.title if spec else "",
        time_limit_s=spec.minutes * 60.0 if spec else None,
        error=reason,
    )


def attribute_crashes(spec: ProblemSpec, results: list[ProbeResult]) -> list[ProbeResult]:
    """An error that a probe's special input shares with ordinary calls is a crash: an
    edge case's error seen in other probes too, or any error also cited as a crash."""
    edge = {p.id for p in spec.probes if p.mistake == "edge-case"}
    ordinary = {r.cause for r in results if r.cause and r.id not in edge}
    crashed = {r.cause for r in results if r.cause and r.mistake == "crash"}
    for r in results:
        if r.cause and (r.mistake == "edge-case" and r.cause in ordinary or r.cause in crashed):
            r.mistake = "crash"
    return results


CORE_FAMILIES = (  # does it learn at all
    "overfit_tiny",
    "known_solution",
    "matches_reference",
    "known_partition",
    "reference_inertia",
    "principal_components",
    "optimizer_steps",
)
FOLLOWERS = ("wrong-solution", "edge-case", "cannot-overfit")  # what a wrong core shows as


def attribute_to_the_core(spec: ProblemSpec, results: list[ProbeResult]) -> list[ProbeResult]:
    """One cause, cited once: when the model's answers are wrong where nothing is special
    (a core probe failed with no evidence of a cause), the other probes that fail with no
    evidence of their own (a tie, an edge case, hidden data) fail for that reason."""
    family = {p.id: p.family_name for p in spec.probes}
    unexplained = [r for r in results if r.status is Status.FAIL and not r.explained]
    core = next((r for r in unexplained if family.get(r.id) in CORE_FAMILIES), None)
    if core is None or core.mistake not in FOLLOWERS:
        return results
    for r in unexplained:
        if r is not core and r.mistake in FOLLOWERS and r.mistake != core.mistake:
            r.mistake = core.mistake
            r.message += f"; as {core.id} shows, the answers are wrong already on plain data"
    return results
