"""Edge-case families: one_sample, one_feature, same_labels, extreme_values, constant_feature."""

from __future__ import annotations

import numpy as np

from coach.probes import Context, Fail, family
from coach.probes import values as v
from coach.probes.evidence import (
    cause_key,
    error_cause,
    out_of_time,
    time_is_up,
    warning_cause,
)
from coach.probes.families.common import P, least_squares, settings_of
from coach.program import Model, Program
from coach.results import Status
from coach.sandbox import ApiMissing, CallFailed, CallTimedOut, Reply


def edge_fit(ctx: Context, X: np.ndarray, y: np.ndarray, what: str, p: P) -> tuple[Model, Reply]:
    """Fit on an edge case; a raise or a numerical warning fails as that case's mistake."""
    gd = ctx.adapter
    settings = settings_of(p, learning_rate=0.5 if gd.classifier else 0.1, n_iterations=50)
    try:
        model, fit = gd.train(ctx, ctx.candidate, X, y, **settings)
    except CallFailed as exc:
        raise edge_failure(exc, f"fit on {what}", ctx.candidate) from None
    cause = warning_cause(fit)
    if cause:
        raise Fail(cause[0], f"fit on {what} {cause[1]}")
    return model, fit


def edge_outputs(ctx: Context, model: Model, X: np.ndarray, what: str) -> np.ndarray:
    """The outputs on an edge case (labels for a classifier), shapes and values checked."""
    gd = ctx.adapter
    try:
        out = gd.outputs(model, X, len(X), mistake="edge-case")
        labels = gd.labels(model, X, len(X), mistake="edge-case") if gd.classifier else out
    except Fail as fail:
        mistake = "api-contract" if _wrong_everywhere(ctx, model) else fail.mistake
        raise Fail(mistake, f"on {what}: {fail.message}") from None
    except CallFailed as exc:
        raise edge_failure(exc, f"predicting on {what}", model.program) from None
    cause = warning_cause(model.last)
    if cause:
        raise Fail(cause[0], f"predicting on {what} {cause[1]}")
    probabilities = gd.output == "predict_proba"
    if not np.all(np.isfinite(out)) or (probabilities and np.any((out < 0) | (out > 1))):
        raise Fail(None, f"on {what}, {gd.output} returned {v.show(out)}")
    if probabilities and gd.classifier:
        wrong, rule = gd.disagreements(out, labels)
        if wrong.size:  # predict's own rule, not the edge case: overfit_tiny's mistake
            i = int(wrong[0])
            raise Fail(
                "cannot-overfit",
                f"on {what}, predict gave {v.show(labels[i])} where predict_proba gave "
                f"{v.show(out[i])} ({wrong.size} of {len(X)} disagree): predict must be {rule}",
            )
    return labels


def _wrong_everywhere(ctx: Context, model: Model) -> bool:
    """Whether the outputs are the wrong kind on ordinary inputs too (an interface fault,
    not an edge case's)."""
    gd = ctx.adapter
    X, _ = gd.easy_data(ctx, n=5)
    try:
        gd.outputs(model, X, len(X))
        if gd.classifier:
            gd.labels(model, X, len(X))
    except Fail:
        return True
    except CallFailed:
        return False
    return False


def edge_failure(exc: CallFailed, doing: str, program: Program) -> Fail:
    """An exception on an edge case: its own mistake when plain, else the edge case's."""
    if isinstance(exc, ApiMissing):
        return Fail("api-contract", exc.describe())
    if isinstance(exc, CallTimedOut):
        return (
            out_of_time(doing)
            if time_is_up(program)
            else Fail("timeout", f"{doing}: {exc.message}", Status.TIMEOUT)
        )
    mistake = error_cause(exc)
    return Fail(mistake, f"{doing} failed: {exc.describe()}", Status.ERROR, cause=cause_key(exc))


def edge_accuracy(
    ctx: Context, model: Model, fit: Reply, X: np.ndarray, y: np.ndarray, got: np.ndarray, what: str
) -> None:
    """Fail unless the edge case is fitted: 90% accuracy, or least squares' fitted values."""
    gd = ctx.adapter
    if gd.classifier:
        accuracy = float(np.mean(got == y))
        if accuracy < 0.9:
            raise gd.fail_fit(ctx, model, fit, f"on {what} training accuracy is {accuracy:.0%}")
        return
    weights, bias = least_squares(X, y)
    best = X @ weights + bias
    gap = float(np.max(np.abs(got - best)))
    if not gap <= 0.05 * max(1.0, float(np.std(y))):
        message = (
            f"on {what}, predict(X) gave {v.show(got)} where least squares gives {v.show(best)}"
        )
        raise gd.fail_fit(ctx, model, fit, message)


@family("one_sample", needs=("works",))
def one_sample(ctx: Context, p: P) -> str:
    X, y = ctx.data(p.get("data", {"X": [[0.5, -1.0]], "y": [1.0]}))
    what = f"one sample X={X.tolist()}, y={v.show(y)}"
    model, fit = edge_fit(ctx, X, y, what, p)
    got = edge_outputs(ctx, model, X, what)
    if ctx.adapter.classifier and got[0] != y[0]:
        raise ctx.adapter.fail_fit(
            ctx, model, fit, f"after fitting {what}, predict(X) gave {v.show(got)}"
        )
    return "fits and predicts a single sample"


@family("one_feature", needs=("works",))
def one_feature(ctx: Context, p: P) -> str:
    gd = ctx.adapter
    X, y = ctx.data(
        p.get(
            "data",
            {"generator": "separable" if gd.classifier else "linear", "n": 30, "d": 1, "seed": 8},
        )
    )
    what = f"one feature (X of shape {X.shape})"
    model, fit = edge_fit(ctx, X, y, what, {**p, "n_iterations": p.get("n_iterations", 200)})
    got = edge_outputs(ctx, model, X, what)
    edge_accuracy(ctx, model, fit, X, y, got, what)
    if ctx.adapter.iterates and "weights" in ctx.spec.interface.attributes:
        weights = v.array(model.get("weights"), "weights", "edge-case")
        if weights.size != 1:
            raise Fail(None, f"on {what} weights has shape {weights.shape}")
    return "handles a single feature"


@family("same_labels", needs=("works",))
def same_labels(ctx: Context, p: P) -> str:
    X, _ = ctx.data(p.get("data", {"generator": "logistic", "n": 10, "d": 2, "seed": 9}))
    for label in (1, 0):
        y = np.full(len(X), label)
        what = f"labels all {int(label)}"
        model, fit = edge_fit(ctx, X, y, what, p)
        got = edge_outputs(ctx, model, X, what)
        if not np.all(got == label):
            raise ctx.adapter.fail_fit(ctx, model, fit, f"with {what}, predict gave {v.show(got)}")
    return "predicts the only class when every label is the same"


@family("extreme_values", needs=("works",))
def extreme_values(ctx: Context, p: P) -> str:
    gd = ctx.adapter
    scale = float(p.get("scale", 1e4))
    X, y = ctx.data(p.get("data", {"generator": "separable", "n": 40, "seed": 10, "scale": scale}))
    what = f"features of magnitude {scale:g}"
    model, fit = edge_fit(ctx, X, y, what, {"learning_rate": 0.1, **p})
    got = edge_outputs(ctx, model, X, what)
    try:
        values = gd.history(model, at_least=1)
    except (Fail, CallFailed):  # the history has its own probe
        values = np.zeros(1)
    if not np.all(np.isfinite(values)):
        raise Fail("log-of-zero", f"on {what} the training loss became {v.show(values)}")
    edge_accuracy(ctx, model, fit, X, y, got, what)
    return f"stays finite and accurate on {what}"


@family("constant_feature", needs=("works",))
def constant_feature(ctx: Context, p: P) -> str:
    """A feature that never changes (zero variance) must not divide by zero."""
    gd = ctx.adapter
    task = "classification" if gd.classifier else "regression"
    X, y = ctx.data(p.get("data", {"generator": "constant_column", "task": task}))
    what = "a feature of zero variance (a constant column)"
    model, fit = edge_fit(ctx, X, y, what, {**p, "n_iterations": p.get("n_iterations", 300)})
    got = edge_outputs(ctx, model, X, what)
    edge_accuracy(ctx, model, fit, X, y, got, what)
    return f"fits with {what}"


@family("known_outputs", needs=("works",))
def known_outputs(ctx: Context, p: P) -> str:
    """Cases whose answer is stated in the spec: fit on the case's data with its settings,
    predict its queries (default: the training points) and expect its outputs. Ties, k equal
    to n and labels that are not 0..K-1 are such cases."""
    done = []
    for case in p["cases"]:
        X, y = ctx.data(case["data"])
        queries = np.asarray(case.get("query", X), dtype=float)
        expect = np.asarray(case["expect"], dtype=float)
        what = str(case.get("what", f"{len(y)} training points"))
        model, fit = edge_fit(ctx, X, y, what, {**p, **case})
        got = edge_outputs(ctx, model, queries, what)
        if got.shape != expect.shape or not np.allclose(got, expect, atol=1e-6):
            asked = "" if "query" not in case else f" at {queries.tolist()}"
            wanted = v.show(np.asarray(case["expect"]))  # as written: labels stay ints
            message = f"on {what}, predict{asked} gave {v.show(got)}; expected {wanted}"
            raise Fail(case.get("mistake"), message)
        done.append(what)
    return "; ".join(done)


@family("invalid_setting", needs=("works",))
def invalid_setting(ctx: Context, p: P) -> str:
    """A setting the data cannot meet (k above the number of training points) raises a
    ValueError from the file's own code, at fit or at predict: not an error from deep
    inside NumPy, and not an answer computed with fewer points."""
    X, y = ctx.data(p["data"])
    what = str(p.get("what", f"{settings_of(p)} on {len(y)} training points"))
    try:
        model, _ = ctx.adapter.train(ctx, ctx.candidate, X, y, **settings_of(p))
        got = model.call(ctx.adapter.output, X)
    except ApiMissing as exc:
        raise Fail("api-contract", exc.describe()) from None
    except CallTimedOut:
        raise
    except CallFailed as exc:
        if exc.kind == "ValueError" and exc.own:
            return f"{what} raises ValueError: {exc.message}"
        inside = "" if exc.own else " inside a library it called"
        raise Fail(
            None,
            f"{what}: it raised {exc.describe()}{inside}; check the setting yourself and "
            "raise a ValueError that says what is wrong",
        ) from None
    raise Fail(
        None,
        f"{what}: {ctx.adapter.output} returned {v.show(got)} instead of raising ValueError (the "
        "setting cannot be met, so any answer is made up)",
    )
