"""function_values: plain functions called in both programs and compared."""

from __future__ import annotations

from typing import Any

import numpy as np

from coach.probes import Context, Fail, family
from coach.probes import values as v
from coach.probes.adapters import Functions
from coach.probes.data import make_array
from coach.probes.evidence import (
    warning_cause,
)
from coach.probes.families.common import P


@family("function_values", needs=("works",))
def function_values(ctx: Context, p: P) -> str:
    """Each call returns the reference's value (or the spec's `expect`): same shape, finite,
    within its `tolerance`, and no numerical warning on the way. A call may instead ask only
    for a finite value above `finite_above` (a clipped log of 0 is large, by any clip).

    A call cites its own `mistake` (else the probe's) for a warning, a wrong shape or a value
    that is not finite, and `wrong_value` (default: the same) for a finite wrong value; with
    `rows_for_columns`, a value that is the answer along the other axis cites wrong-axis.
    """
    if not isinstance(ctx.adapter, Functions):
        raise Fail("api-contract", "this family needs a problem of functions")
    done = []
    for call in p["calls"]:
        name = call["function"]
        args = [make_array(a) for a in call.get("args", [])]
        kwargs = {k: make_array(x) for k, x in call.get("kwargs", {}).items()}
        shown = call.get("what") or _shown(name, args, kwargs)
        mistake = call.get("mistake")
        got = v.array(ctx.adapter.call(ctx.candidate, name, *args, **kwargs), shown)
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
        if "expect" in call:
            want = np.asarray(call["expect"], dtype=float)
        else:
            want = v.array(ctx.adapter.call(ctx.reference, name, *args, **kwargs), shown)
        tol = float(call.get("tolerance", p.get("tolerance", 1e-6)))
        if got.shape != want.shape:
            raise Fail(mistake, f"{shown} returned shape {got.shape}, expected {want.shape}")
        if not np.all(np.isfinite(got)):
            raise Fail(mistake, f"{shown} returned {v.show(got)}, expected {v.show(want)}")
        if not np.allclose(got, want, rtol=tol, atol=tol):
            wrong = call.get("wrong_value", mistake)
            message = f"{shown} returned {v.show(got)}, expected {v.show(want)}"
            if call.get("rows_for_columns") and _rows_for_columns(ctx, name, args, got, tol):
                wrong, message = (
                    "wrong-axis",
                    f"{message}: what the rows would give, not the columns",
                )
            raise Fail(wrong, message)
        done.append(name)
    return f"{', '.join(dict.fromkeys(done))} right on {len(p['calls'])} inputs"


def _rows_for_columns(
    ctx: Context, name: str, args: list[Any], got: np.ndarray, tol: float
) -> bool:
    """Whether a wrong answer is the reference's on the transposed input, transposed back."""
    flipped = [a.T if isinstance(a, np.ndarray) else a for a in args]
    try:
        theirs = v.array(ctx.adapter.call(ctx.reference, name, *flipped), name)
    except Fail:
        return False
    return theirs.T.shape == got.shape and bool(np.allclose(theirs.T, got, rtol=tol, atol=tol))


def _shown(name: str, args: list[Any], kwargs: dict[str, Any]) -> str:
    parts = [_arg(a) for a in args] + [f"{k}={_arg(x)}" for k, x in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _arg(value: Any) -> str:
    if isinstance(value, np.ndarray) and value.size > 12:
        return f"<{value.dtype} array of shape {value.shape}>"
    return v.show(value, 48)
