"""Families for optimisers (Adam): steps and trajectories against the reference's, driven
by the parent (it computes every gradient and feeds the candidate its own last answer),
state kept per instance, inputs left alone, shapes kept.

When steps differ, the updates of common mistakes (no bias correction, epsilon inside the
square root, a step count that never grows) are computed here too, and the message names
the one the candidate's steps match."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from coach.probes import Context, Fail, family
from coach.probes import values as v
from coach.probes.evidence import warning_cause
from coach.probes.families.common import P
from coach.program import Model
from coach.sandbox import CallFailed

Gradient = Callable[[np.ndarray], np.ndarray]

OBJECTIVES: dict[str, tuple[Gradient, str]] = {
    "quadratic": (
        lambda x: 2 * np.array([1.0, 10.0, 0.1])[: x.size].reshape(x.shape) * x,
        "f(x) = x0^2 + 10 x1^2 + 0.1 x2^2",
    ),
    "rosenbrock": (
        lambda x: np.array(
            [-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)]
        ),
        "the Rosenbrock function",
    ),
}


class AdamState:
    """Adam (or a common mistake's version of it, `variant`) stepping one array, here."""

    def __init__(self, settings: P, params: np.ndarray, variant: str = "") -> None:
        self.lr = float(settings.get("learning_rate", 0.001))
        self.b1, self.b2 = float(settings.get("beta1", 0.9)), float(settings.get("beta2", 0.999))
        self.eps = float(settings.get("epsilon", 1e-8))
        self.x = np.asarray(params, dtype=float)
        self.m, self.s = np.zeros_like(self.x), np.zeros_like(self.x)
        self.t, self.variant = 0, variant

    def step(self, g: np.ndarray) -> np.ndarray:
        self.t += 1
        self.m = self.b1 * self.m + (1 - self.b1) * g
        self.s = self.b2 * self.s + (1 - self.b2) * g**2
        k = 1 if self.variant == "t fixed at 1" else self.t
        m_hat, s_hat = self.m / (1 - self.b1**k), self.s / (1 - self.b2**k)
        if self.variant == "no bias correction":
            m_hat, s_hat = self.m, self.s
        if self.variant == "the paper's efficient form":  # epsilon not rescaled with it
            rate = self.lr * np.sqrt(1 - self.b2**k) / (1 - self.b1**k)
            self.x = self.x - rate * self.m / (np.sqrt(self.s) + self.eps)
        elif self.variant == "epsilon inside the square root":
            self.x = self.x - self.lr * m_hat / np.sqrt(s_hat + self.eps)
        else:
            self.x = self.x - self.lr * m_hat / (np.sqrt(s_hat) + self.eps)
        return self.x


def adam_updates(
    settings: P, params: np.ndarray, grads: list[np.ndarray], variant: str = ""
) -> list[np.ndarray]:
    """The parameters after each step of Adam (or of a mistake's version) fed `grads`."""
    state = AdamState(settings, params, variant)
    return [state.step(g) for g in grads]


READINGS = {
    "no bias correction": "the moments are not bias-corrected (divide by 1 - beta^t)",
    "epsilon inside the square root": "epsilon is inside the square root (it goes after it)",
    "t fixed at 1": "the step count t never grows (increment it on every step)",
    "the paper's efficient form": (
        "this is the paper's efficient form, lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / "
        "(sqrt(v) + epsilon), whose epsilon is not the statement's (it would need epsilon * "
        "sqrt(1 - beta2^t))"
    ),
}


def _make(ctx: Context, settings: P) -> Model:
    return ctx.candidate.new(**settings)


def _step(model: Model, params: np.ndarray, grads: np.ndarray, shown: str) -> np.ndarray:
    reply = model.reply("step", params, grads)
    cause = warning_cause(reply)
    out = v.array(reply.value, shown)
    if cause or not np.all(np.isfinite(out)):
        said = cause[1] if cause else f"returned {v.show(out)}"
        raise Fail(None, f"{shown} {said}")
    return out


def _diagnosis(
    settings: P, start: np.ndarray, grads: list[np.ndarray], got: list[np.ndarray]
) -> str:
    """The reading whose moves (not positions: small moves would all look alike) the
    candidate's match, as a clause of the message."""
    moves = np.diff(np.stack([start, *got]), axis=0)
    for variant, why in READINGS.items():
        theirs = np.diff(np.stack([start, *adam_updates(settings, start, grads, variant)]), axis=0)
        if np.allclose(moves, theirs, rtol=1e-4, atol=1e-15):
            return f": {why}"
    return ""


def _moves(before: np.ndarray, got: np.ndarray, expected: np.ndarray) -> str:
    """Both steps as moves from where they started, with enough digits to differ."""
    return (
        f"moved by {np.array2string(got - before, precision=8)}; Adam moves by "
        f"{np.array2string(expected - before, precision=8)}"
    )


@family("optimizer_steps", needs=("works",))
def optimizer_steps(ctx: Context, p: P) -> str:
    """Each case: a new optimiser with `settings`, fed `grads` (one list per step) from
    `params`; every step's answer must be the reference's (Adam's, computed here)."""
    done = []
    for case in p["cases"]:
        settings = dict(case.get("settings", {}))
        start = np.asarray(case["params"], dtype=float)
        grads = [np.asarray(g, dtype=float) for g in case["grads"]]
        expected = adam_updates(settings, start, grads)
        model = _make(ctx, settings)
        what = str(case.get("what", f"{len(grads)} steps from {start.tolist()}"))
        got, x = [], start
        for t, g in enumerate(grads, start=1):
            shown = f"step {t} of {what}"
            before, x = x, _step(model, x, g, shown)
            got.append(x)
            if x.shape != expected[t - 1].shape:
                raise Fail("api-contract", f"{shown} returned shape {x.shape}, not {start.shape}")
            if not np.allclose(x, expected[t - 1], rtol=1e-6, atol=1e-12):
                why = _diagnosis(settings, start, grads[:t], got)
                raise Fail(
                    case.get("wrong_value", case.get("mistake")),
                    f"{shown} (gradient {v.show(g)}) {_moves(before, x, expected[t - 1])}{why}",
                )
        done.append(what)
    return "steps as Adam's on " + "; ".join(done)


@family("optimizer_trajectory", needs=("works",))
def optimizer_trajectory(ctx: Context, p: P) -> str:
    """`steps` steps on an objective, each gradient taken here at the candidate's last
    answer: the path stays on Adam's, within `tolerance`."""
    grad, name = OBJECTIVES[str(p["objective"])]
    settings = dict(p.get("settings", {}))
    start = np.asarray(p["start"], dtype=float)
    steps = int(p.get("steps", 200))
    tol = float(p.get("tolerance", 1e-6))
    model = _make(ctx, settings)
    reference = AdamState(settings, start)
    x, grads, got = start, [], []
    for t in range(1, steps + 1):
        g = grad(x)
        grads.append(g)
        x = _step(model, x, g, f"step {t} on {name}")
        got.append(x)
        reference.x = got[-2] if t > 1 else start  # Adam's step from where the candidate was
        ours = reference.step(g)
        if x.shape != ours.shape or not np.allclose(x, ours, rtol=tol, atol=tol * 1e-3):
            why = _diagnosis(settings, start, grads, got)
            before = got[-2] if t > 1 else start
            raise Fail(
                None,
                f"on {name} from {start.tolist()} (learning_rate "
                f"{settings.get('learning_rate', 0.001)}), step {t} from {v.show(before)} "
                f"{_moves(before, x, ours)}{why}",
            )
    return f"{steps} steps on {name} follow Adam's path, ending at {v.show(x)}"


@family("separate_state", needs=("works",))
def separate_state(ctx: Context, p: P) -> str:
    """Two optimisers stepped in turn on different parameters each follow their own Adam
    path: moments and step counts live on the instance, not the class or the module."""
    settings = dict(p.get("settings", {}))
    starts = [np.asarray(s, dtype=float) for s in p["starts"]]
    grads = [[np.asarray(g, dtype=float) for g in seq] for seq in p["grads"]]
    alone, x = _make(ctx, settings), starts[0]
    for t, g in enumerate(grads[0], start=1):
        x = _step(alone, x, g, f"a lone optimiser's step {t}")
        expected = adam_updates(settings, starts[0], grads[0][:t])[-1]
        if not np.allclose(x, expected, rtol=1e-6, atol=1e-12):
            raise Fail(
                None,
                f"a lone optimiser's step {t} gave {v.show(x)} where Adam gives "
                f"{v.show(expected)}: the steps are not Adam's even without a second optimiser",
            )
    models = [_make(ctx, settings) for _ in starts]
    xs = list(starts)
    for t in range(len(grads[0])):
        for i, model in enumerate(models):
            xs[i] = _step(model, xs[i], grads[i][t], f"optimiser {i + 1}'s step {t + 1}")
            expected = adam_updates(settings, starts[i], grads[i][: t + 1])[-1]
            if not np.allclose(xs[i], expected, rtol=1e-6, atol=1e-12):
                raise Fail(
                    None,
                    f"with two optimisers stepped in turn, optimiser {i + 1}'s step {t + 1} gave "
                    f"{v.show(xs[i])}; on its own it gives {v.show(expected)}: the moments or "
                    "the step count are shared (keep them on self, made in __init__ or the "
                    "first step)",
                )
    return "two optimisers keep their own moments and step counts"


@family("optimizer_inputs", needs=("works",))
def optimizer_inputs(ctx: Context, p: P) -> str:
    """step(params, grads) leaves both arrays as they came, on every step."""
    settings = dict(p.get("settings", {}))
    model = _make(ctx, settings)
    x = np.asarray(p["params"], dtype=float)
    rng = np.random.default_rng(int(p.get("seed", 5)))
    for t in range(1, int(p.get("steps", 3)) + 1):
        g = rng.normal(size=x.shape)
        reply = model.reply("step", x, g, return_args=True)
        for name, before, after in zip(
            ("params", "grads"), (x, g), reply.args_after or [], strict=False
        ):
            after = np.asarray(after)
            if after.shape != before.shape or not np.array_equal(after, before):
                raise Fail(
                    None,
                    f"step {t} changed the caller's {name}: {v.change(before, after)}; "
                    "return new arrays (x - lr * ..., not x -= ...)",
                )
        x = v.array(reply.value, f"step {t}")
    return "step leaves params and grads unchanged"


@family("optimizer_shapes", needs=("works",))
def optimizer_shapes(ctx: Context, p: P) -> str:
    """Vectors and matrices keep their shapes; a list of arrays (if step takes one) gives a
    list of the new arrays, each Adam's."""
    settings = dict(p.get("settings", {}))
    rng = np.random.default_rng(int(p.get("seed", 6)))
    done = []
    for shape in p.get("shapes", [[5], [3, 4]]):
        x, g = rng.normal(size=shape), rng.normal(size=shape)
        got = _step(_make(ctx, settings), x, g, f"a step on an array of shape {tuple(shape)}")
        expected = adam_updates(settings, x, [g])[0]
        if got.shape != x.shape or not np.allclose(got, expected, rtol=1e-6, atol=1e-12):
            raise Fail(
                None,
                f"a step on an array of shape {tuple(shape)} returned shape {got.shape}: "
                f"{v.show(got)}; expected {v.show(expected)}",
            )
        done.append(str(tuple(shape)))
    pair = [rng.normal(size=(2, 3)), rng.normal(size=3)]
    grads = [rng.normal(size=(2, 3)), rng.normal(size=3)]
    try:
        got_list: Any = _make(ctx, settings).call("step", pair, grads)
    except CallFailed:
        return f"keeps the shapes {', '.join(done)} (step takes one array, not lists)"
    if not isinstance(got_list, (list, tuple)) or len(got_list) != 2:
        raise Fail(
            None, f"a step on a list of two arrays returned {v.show(got_list)}, not a list of two"
        )
    for i, (got, x, g) in enumerate(zip(got_list, pair, grads, strict=True)):
        expected = adam_updates(settings, x, [g])[0]
        got = v.array(got, f"step(...)[{i}]")
        if got.shape != x.shape or not np.allclose(got, expected, rtol=1e-6, atol=1e-12):
            raise Fail(
                None,
                f"a step on a list of arrays gave {v.show(got)} for array {i}; expected "
                f"{v.show(expected)}",
            )
    return f"keeps the shapes {', '.join(done)} and steps a list of arrays"
