"""function_values: plain functions called in both programs and compared."""

from __future__ import annotations

import numpy as np

from coach.examples import spec_value
from coach.probes import Context, Fail, family
from coach.probes import values as v
from coach.probes.adapters import Functions
from coach.probes.evidence import (
    warning_cause,
)
from coach.probes.families.common import P


@family("function_values", needs=("works",))
def function_values(ctx: Context, p: P) -> str:
    """Each call returns the reference's value (or the spec's `expect`): same shape, finite,
    within `tolerance`, and no numerical warning on the way."""
    if not isinstance(ctx.adapter, Functions):
        raise Fail("api-contract", "this family needs a problem of functions")
    tol = float(p.get("tolerance", 1e-6))
    done = []
    for call in p["calls"]:
        name, args = call["function"], [spec_value(a) for a in call.get("args", [])]
        shown = f"{name}({', '.join(v.show(a, 40) for a in args)})"
        if "expect" in call:
            want = np.asarray(call["expect"], dtype=float)
        else:
            want = v.array(ctx.adapter.call(ctx.reference, name, *args), shown)
        got = v.array(ctx.adapter.call(ctx.candidate, name, *args), shown)
        cause = warning_cause(ctx.candidate.last)
        if cause:
            raise Fail(call.get("mistake", cause[0]), f"{shown} {cause[1]}")
        if got.shape != want.shape:
            raise Fail(
                call.get("mistake"), f"{shown} returned shape {got.shape}, expected {want.shape}"
            )
        if not (np.all(np.isfinite(got)) and np.allclose(got, want, rtol=tol, atol=tol)):
            raise Fail(
                call.get("mistake"), f"{shown} returned {v.show(got)}, expected {v.show(want)}"
            )
        done.append(name)
    return f"{', '.join(dict.fromkeys(done))} agree with the reference on {len(p['calls'])} inputs"
