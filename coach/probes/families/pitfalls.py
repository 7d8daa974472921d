"""The input_mutation family: the caller's arrays are left as they came."""

from __future__ import annotations

import numpy as np

from coach.probes import Context, Fail, family
from coach.probes import values as v
from coach.probes.adapters import TUNABLE
from coach.probes.families.common import P, settings_of
from coach.sandbox import CallFailed


def _calls(ctx: Context, p: P) -> list[tuple[str, tuple[str, ...]]]:
    """The interface's methods and the arguments each takes (from the spec or by name)."""
    given = p.get("calls")
    if given:
        return [(name, tuple(args)) for name, args in given.items()]
    takes_y = {"loss", "gradients", "score"}
    if ctx.spec.grading.supervised:
        takes_y.add("fit")
    return [(m, ("X", "y") if m in takes_y else ("X",)) for m in ctx.spec.interface.methods]


@family("input_mutation", needs=("works",))
def input_mutation(ctx: Context, p: P) -> str:
    """X and y equal their copies after every call of the interface (for each variant of
    the constructor's settings, e.g. both methods of linear regression)."""
    gd = ctx.adapter
    X, y = ctx.data(p.get("data", {"generator": "logistic", "n": 30, "seed": 6}))
    arrays = {"X": X, "y": y}
    checked: list[str] = []
    for variant in p.get("variants", [{}]):
        steps = {"learning_rate": 0.1 if gd.classifier else 0.01, "n_iterations": 20}
        settings = settings_of(p, **(steps if gd.iterates else {}))
        model = ctx.candidate.new(optional=TUNABLE, **settings, **variant)
        how = ", ".join(f"{k}={x!r}" for k, x in variant.items())
        for method, names in _calls(ctx, p):
            args = [arrays[n] for n in names]
            try:
                reply = model.reply(method, *args, return_args=True)
            except CallFailed:
                if method == "fit":
                    raise
                continue  # a missing or failing method is another probe's business
            call = f"{method}({', '.join(names)})" + (f" with {how}" if how else "")
            for name, before, now in zip(names, args, reply.args_after or [], strict=False):
                now = np.asarray(now)
                if now.shape != before.shape or not np.array_equal(now, before, equal_nan=True):
                    raise Fail(None, f"{call} changed the caller's {name}: {v.change(before, now)}")
            checked.append(method)
    return f"X and y are unchanged after {', '.join(dict.fromkeys(checked))}"


@family("repeatable", needs=("works",))
def repeatable(ctx: Context, p: P) -> str:
    """Fits with the same random_state end at the same `attribute` (centroids, weights):
    every random draw must come from a generator seeded with it."""
    X, y = ctx.data(p["data"])
    seed = int(p.get("seed", 7))
    attribute = str(p.get("attribute", "centroids"))
    settings = {**settings_of(p), "random_state": seed}

    def fitted() -> list[np.ndarray]:
        model, _ = ctx.adapter.train(ctx, ctx.candidate, X, y, **settings)
        value = model.get(attribute)
        items = value if isinstance(value, (list, tuple)) else [value]
        return [np.asarray(v.array(item, attribute), dtype=float) for item in items]

    first = fitted()
    for _ in range(int(p.get("runs", 3)) - 1):
        again = fitted()
        for i, (a, b) in enumerate(zip(first, again, strict=False)):
            if a.shape != b.shape or not np.array_equal(a, b):
                where = f"{attribute}[{i}]" if len(first) > 1 else attribute
                differ = np.flatnonzero(a.ravel() != b.ravel()) if a.shape == b.shape else [0]
                j = int(differ[0])
                one, two = v.apart(a.ravel()[j], b.ravel()[j]) if a.shape == b.shape else ("", "")
                raise Fail(
                    None,
                    f"two fits with random_state={seed} ended with different {where} (entry "
                    f"{j}: {one} and {two}): every random draw must "
                    "come from a generator seeded with random_state",
                )
    return f"fits with random_state={seed} end with the same {attribute}"
