"""vectorized (timed by the parent beside the reference) and numpy_only (imports read from
outside the candidate's process)."""

from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as np

from coach.probes import Context, Fail, Skip, family
from coach.probes import values as v
from coach.probes.adapters import GradientModel
from coach.probes.evidence import (
    banned_imports,
    out_of_time,
    time_is_up,
)
from coach.probes.families.common import P
from coach.program import Program
from coach.results import Status
from coach.sandbox import CallFailed, CallTimedOut


@family("vectorized", needs=("works",))
def vectorized(ctx: Context, p: P) -> str:
    """fit (per iteration actually run) and each predicting method, timed by the parent
    beside the reference in the same run, within `limit` times the reference's time."""
    gd = ctx.adapter
    X, y = ctx.data(p.get("data", {"generator": "logistic", "n": 20_000, "d": 5, "seed": 12}))
    X_test = ctx.data(p["test"])[0] if "test" in p else X
    timed_fit = bool(p.get("fit", True))  # false: fit only stores the data (KNN)
    many = int(p.get("n_iterations", 10))
    limit = float(p.get("limit", 10.0))
    repeat = int(p.get("repeat", 2))
    methods = list(
        p.get(
            "methods", [m for m in ("predict_proba", "predict") if m in ctx.spec.interface.methods]
        )
    )
    timings: dict[str, dict[str, float]] = {"reference": {}, "candidate": {}}
    lengths: dict[str, int] = {}
    # each repeat gets its own inputs (shifted by a little), so that an answer cached from
    # the call before cannot pass for a fast one
    runs = range(repeat)
    kept: dict[str, dict[str, Any]] = {}
    for name, prog in (("reference", ctx.reference), ("candidate", ctx.candidate)):
        inputs = [prog.worker.keep(X + r * 1e-3) for r in runs]
        tests = [prog.worker.keep(X_test + r * 1e-3) for r in runs] if "test" in p else inputs
        kept[name] = {"X": inputs, "y": prog.worker.keep(y), "test": tests}
    earlier_timeouts = bool(ctx.candidate.worker.timed_out)

    def clearly_slow(name: str, what: str, seconds: float) -> bool:
        """A candidate already far past the limit need not be timed again."""
        ref = timings["reference"].get(what)
        return name == "candidate" and ref is not None and seconds > 3 * limit * ref

    def run(name: str, program: Program) -> None:
        data = kept[name]
        best: dict[str, float] = {}
        for r in runs if timed_fit else runs[:1]:
            model, fit = gd.train(
                ctx,
                program,
                data["X"][r],
                data["y"],
                learning_rate=0.1,
                n_iterations=many,
                samples=len(y),
                **p.get("construct", {}),
            )
            best["fit call"] = min(best.get("fit call", math.inf), fit.spent)
            if clearly_slow(name, "fit call", fit.spent):
                break
        try:
            lengths[name] = len(gd.history(model, at_least=0))
        except (Fail, CallFailed):
            pass
        for method in methods:
            for r in runs:
                reply = model.reply(  # the answer stays in the worker: its transfer is not timed
                    method,
                    data["test"][r],
                    timeout=20.0 if program is ctx.reference else None,
                    keep=True,
                )
                best[method] = min(best.get(method, math.inf), reply.spent)
                if clearly_slow(name, method, reply.spent):
                    break
        ran = lengths.get(name, many)
        best["fit"] = best["fit call"] / (ran if 0 < ran <= many else many)  # per iteration
        timings[name] = best

    # CPU time, read by the parent from the kernel: what else the machine runs does not
    # count, and what the candidate left running is stopped while the reference is timed
    with ctx.candidate.worker.paused(), ctx.reference.worker.cpu_timed():
        run("reference", ctx.reference)
    try:
        with ctx.candidate.worker.cpu_timed():
            run("candidate", ctx.candidate)
    except CallTimedOut as exc:
        if time_is_up(ctx.candidate):
            raise out_of_time(f"timing fit and predict on {len(y):,} samples") from None
        ignored = gd.ignored_setting(ctx) if isinstance(gd, GradientModel) else None
        if ignored:  # a fit that runs its own number of iterations is slow for that reason
            message = f"a call on {len(y):,} samples {exc.message}; {ignored[1]}"
            raise Fail(ignored[0], message) from None
        if earlier_timeouts:
            raise Fail(
                "timeout",
                f"a call on {len(y):,} samples {exc.message}, as calls did before",
                Status.TIMEOUT,
            ) from None
        took = timings["reference"].get("fit", 0) * many * 1000
        raise Fail(
            None,
            f"a call on {len(y):,} samples {exc.message}; the reference's fit took "
            f"{took:.0f} ms: look for a Python loop over samples",
            Status.TIMEOUT,
        ) from None
    ran = lengths.get("candidate", 0)
    if ran > many + 1:  # one more is the loss before the first step
        raise Fail(
            "api-contract",
            f"fit ignores n_iterations: asked for {many}, it ran {ran} (the length of "
            "loss_history), so its speed per iteration cannot be judged",
        )
    ratios = {}
    timed = ("fit", *methods) if timed_fit else tuple(methods)
    for what in timed:  # fit per iteration, the others per call
        ref, cand = timings["reference"][what], timings["candidate"][what]
        ratios[what] = cand / max(ref, 1e-5)
        if ratios[what] > limit:
            unit = " per iteration" if what == "fit" else ""
            raise Fail(
                None,
                f"{what} on {len(X_test if what != 'fit' else y):,} samples used "
                f"{cand * 1000:.1f} ms of CPU{unit} against the "
                f"reference's {ref * 1000:.2f} ms ({ratios[what]:.1f}x; the limit is "
                f"{limit:.0f}x): look for a Python loop over samples",
            )
    shown = ", ".join(f"{k} {r:.1f}x" for k, r in ratios.items())
    return f"within {limit:.0f}x of the reference on {len(X_test):,} samples ({shown})"


@family("function_speed", needs=("works",))
def function_speed(ctx: Context, p: P) -> str:
    """One function on a large input, timed by the parent beside the reference (the input
    kept in each worker first, so only the work is timed), within `limit` times its time."""
    from coach.probes.data import make_array

    name = str(p["function"])
    # each worker keeps the arguments: a generated array is made in it, not sent to it
    args = [a if isinstance(a, dict) and "array" in a else make_array(a) for a in p["args"]]
    limit = float(p.get("limit", 10.0))
    repeat = int(p.get("repeat", 3))
    best: dict[str, float] = {}
    answers: dict[str, Any] = {}
    for who, program in (("reference", ctx.reference), ("candidate", ctx.candidate)):
        # a generated array is drawn anew for each repeat (its seed moved on), so that an
        # answer cached from the call before cannot pass for a fast one
        kept = [[program.worker.keep(_reseeded(a, r)) for a in args] for r in range(repeat)]
        quiet = ctx.candidate.worker.paused() if who == "reference" else contextlib.nullcontext()
        with quiet, program.worker.cpu_timed():  # CPU time, as in `vectorized`
            for r in range(repeat):
                try:
                    answer = program.function(name, *kept[r])
                except CallTimedOut as exc:
                    if time_is_up(program):
                        raise out_of_time(f"timing {name}") from None
                    message = f"{name} on the large input {exc.message}"
                    raise Fail(None, message, Status.TIMEOUT) from None
                answers.setdefault(who, answer)  # the first input's, for both programs
                took = program.last.spent if program.last else math.inf
                best[who] = min(best.get(who, math.inf), took)
                if who == "candidate" and best[who] > 3 * limit * best["reference"]:
                    break
    ratio = best["candidate"] / max(best["reference"], 1e-5)
    shape = args[0].get("shape", []) if isinstance(args[0], dict) else np.shape(args[0])
    size = " x ".join(f"{n:,}" for n in shape)
    got, want = (v.array(answers[w], name) for w in ("candidate", "reference"))
    if got.shape != want.shape or not np.allclose(got, want):
        raise Skip(f"not scored: {name} on {size} values returned {v.show(got)}, not the answer")
    if ratio > limit:
        raise Fail(
            None,
            f"{name} on {size} values used {best['candidate'] * 1000:.1f} ms of CPU against the "
            f"reference's {best['reference'] * 1000:.2f} ms ({ratio:.1f}x; the limit is "
            f"{limit:.0f}x): {p.get('advice', 'look for a Python loop or a needless full sort')}",
        )
    return f"{name} on {size} values within {limit:.0f}x of the reference ({ratio:.1f}x)"


def _reseeded(arg: Any, r: int) -> Any:
    """A generated array's description with its seed moved on by `r`; anything else as is."""
    if isinstance(arg, dict) and "seed" in arg:
        return {**arg, "seed": int(arg["seed"]) + r}
    return arg


@family("numpy_only", needs=("works",))
def numpy_only(ctx: Context, p: P) -> str:
    """No banned library: none imported by the source (outside a __main__ demo), none
    loaded by the worker's process (read from its memory maps by the parent)."""
    found = banned_imports(ctx.source)
    if found:
        line, name = found[0]
        raise Fail(None, f"imports {name} (line {line}); the interview allows NumPy only")
    loaded = ctx.candidate.worker.read_libraries()
    if loaded:
        raise Fail(
            None,
            f"the worker running the file loaded {', '.join(sorted(loaded))} (seen in its "
            "memory maps); the interview allows NumPy only",
        )
    return "uses NumPy and the standard library only"
