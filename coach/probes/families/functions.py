"""function_values: plain functions called in both programs and compared."""

from __future__ import annotations

from typing import Any

import numpy as np

from coach.probes import Context, Fail, family
from coach.probes import values as v
from coach.probes.data import make_array
from coach.probes.evidence import cause_key, error_cause, warning_cause
from coach.probes.families.common import P
from coach.results import Status
from coach.sandbox import CallFailed, CandidateRaised


@family("function_values", needs=("functions",))
def function_values(ctx: Context, p: P) -> str:
    """Each call returns the reference's value (or the spec's `expect`): same shape, finite,
    within its `tolerance`, and no numerical warning on the way. A call may instead ask only
    for a finite value above `finite_above` (a clipped log of 0 is large, by any clip).

    A call cites its own `mistake` (else the probe's) for a warning or a value that is not
    finite, and `wrong_value` (from the call, else the probe, else the same) for a wrong
    shape or a finite wrong value. With `other_axis`, a wrong answer cites wrong-axis instead
    when it is the reference's along the other axis of a 2-D input, or when the function is
    right on its `control` input (`control: {name: args}`, one with no axis to get wrong).
    """
    done = []
    for call in p["calls"]:
        name = call["function"]
        args = [make_array(a) for a in call.get("args", [])]
        kwargs = {k: make_array(x) for k, x in call.get("kwargs", {}).items()}
        shown = call.get("what") or _shown(name, args, kwargs)
        mistake = call.get("mistake")
        try:
            raw = ctx.adapter.call(ctx.candidate, name, *args, **kwargs)
        except CandidateRaised as exc:  # on the probe's own input, its mistake; else a crash
            mistake = error_cause(exc) or ("crash" if "mistake" in call else None)
            message = f"{shown} raised {exc.describe()}"
            fault = _axis_at_fault(ctx, p, call, name)
            if fault:
                mistake, message = "wrong-axis", message + fault
            raise Fail(mistake, message, Status.ERROR, cause=cause_key(exc)) from None
        got = v.array(raw, shown)
        cause = warning_cause(ctx.candidate.last)
        if cause:  # on the inputs a probe is about, its own mistake, whatever the warning
            raise Fail(mistake, f"{shown} {cause[1]}")
        if "finite_above" in call:
            low = float(call["finite_above"])
            if got.size != 1 or not (np.isfinite(got).all() and float(got.ravel()[0]) > low):
                raise Fail(
                    mistake,
                    f"{shown} returned {v.show(got)}, expected a finite value above {low:g}",
                )
            done.append(name)
            continue
        answer = (
            call["expect"]
            if "expect" in call
            else ctx.adapter.call(ctx.reference, name, *args, **kwargs)
        )
        want = v.array(answer, shown)
        tol = float(call.get("tolerance", p.get("tolerance", 1e-6)))
        if got.shape == want.shape and np.allclose(got, want, rtol=tol, atol=tol):
            done.append(name)
            continue
        if got.shape == want.shape and not np.all(np.isfinite(got)):
            raise Fail(mistake, f"{shown} returned {v.show(got)}, expected {v.show(want)}")
        same = got.shape == want.shape  # values as returned (ints stay ints), or shapes
        seen = v.show(np.asarray(raw)) if same else f"shape {got.shape}"
        expected = v.show(np.asarray(answer)) if same else f"shape {want.shape}"
        message = f"{shown} returned {seen}, expected {expected}"
        if call.get("other_axis") or p.get("other_axis"):
            if _other_axis(ctx, name, args, kwargs, got, tol):
                raise Fail("wrong-axis", f"{message}: the answer along the other axis")
            fault = _axis_at_fault(ctx, p, call, name)
            if fault:
                raise Fail("wrong-axis", f"{message}{fault}")
        raise Fail(call.get("wrong_value", p.get("wrong_value", mistake)), message)
    return f"{', '.join(dict.fromkeys(done))} right on {len(p['calls'])} inputs"


def _axis_at_fault(ctx: Context, p: P, call: P, name: str) -> str:
    """For a call that may have the axis wrong (`other_axis`): what says it is the axis,
    when the function is right on its `control` input, one with no axis to get wrong."""
    control = p.get("control", {}).get(name)
    if not (call.get("other_axis") or p.get("other_axis")) or control is None:
        return ""
    if not _right_on(ctx, name, control, float(p.get("tolerance", 1e-6))):
        return ""
    plain = _shown(name, [make_array(a) for a in control], {})
    return f", though {plain} is right: the axis is handled wrongly"


def _right_on(ctx: Context, name: str, args: list[Any], tol: float) -> bool:
    """Whether the candidate's function gives the reference's answer on `args`."""
    made = [make_array(a) for a in args]
    try:
        got = v.array(ctx.adapter.call(ctx.candidate, name, *made), name)
        want = v.array(ctx.adapter.call(ctx.reference, name, *made), name)
    except (Fail, CallFailed):
        return False
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=tol, atol=tol))


def _other_axis(
    ctx: Context, name: str, args: list[Any], kwargs: dict[str, Any], got: np.ndarray, tol: float
) -> bool:
    """Whether a wrong answer is the reference's along the other axis of a 2-D input: with
    the other `axis=`, or (for a function without one) on the transposed input, transposed
    back."""
    if "axis" in kwargs:
        other = {**kwargs, "axis": 0 if kwargs["axis"] in (1, -1) else 1}
        call, back = (args, other), (lambda a: a)
    else:
        flipped = [a.T if isinstance(a, np.ndarray) else a for a in args]
        call, back = (flipped, kwargs), (lambda a: a.T)
    try:
        theirs = back(v.array(ctx.adapter.call(ctx.reference, name, *call[0], **call[1]), name))
    except Fail:
        return False
    return theirs.shape == got.shape and bool(np.allclose(theirs, got, rtol=tol, atol=tol))


def _shown(name: str, args: list[Any], kwargs: dict[str, Any]) -> str:
    parts = [_arg(a) for a in args] + [f"{k}={_arg(x)}" for k, x in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _arg(value: Any) -> str:
    if isinstance(value, np.ndarray) and value.size > 12:
        return f"<{value.dtype} array of shape {value.shape}>"
    return v.show(value, 48)
