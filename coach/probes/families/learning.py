"""Families that check the model learns: overfit_tiny, known_solution, matches_reference,
loss_monotonic."""

from __future__ import annotations

import numpy as np

from coach.probes import Context, Fail, family
from coach.probes import values as v
from coach.probes.adapters import Adapter
from coach.probes.evidence import (
    first_rise,
    rises_steadily,
    warning_cause,
)
from coach.probes.families.common import P, described, gradient_model, least_squares, settings_of
from coach.program import Model
from coach.sandbox import CallFailed


@family("overfit_tiny")
def overfit_tiny(ctx: Context, p: P) -> str:
    """Fits a handful of points exactly (labels for a classifier, values for a regressor)."""
    gd = ctx.adapter
    X, y = ctx.data(p.get("data", "axes"))
    as_given = X.astype(int) if p.get("integers", True) and np.all(X == X.astype(int)) else X
    model, fit = gd.train(
        ctx, ctx.candidate, as_given, y, **settings_of(p, learning_rate=0.5, n_iterations=100)
    )
    shown = as_given.tolist()
    what = described(p, f"the {len(y)} points X={shown} with y={y.astype(int).tolist()}")
    if gd.classifier:
        got = gd.labels(model, as_given, len(y))
        if not np.array_equal(got, y):
            after = f" after {p.get('n_iterations', 100)} iterations" if gd.iterates else ""
            message = f"on {what}, predict(X) gave {v.show(got)}{after}"
            if gd.output == "predict_proba":
                prob = gd.outputs(model, as_given, len(y))
                wrong, rule = gd.disagreements(prob, got)
                defect = gd.defect(ctx) if wrong.size else None
                if defect:  # probabilities over the wrong axis: predict is not the fault
                    raise Fail(defect[0], f"{message}; {defect[1]}")
                if wrong.size:  # the fit is fine; predict does not read it
                    i = int(wrong[0])
                    raise Fail(
                        None,
                        f"{message}, though predict_proba gave {v.show(prob[i])} at "
                        f"x={shown[i]}: predict must be {rule}",
                    )
            raise gd.fail_fit(ctx, model, fit, message)
    else:
        got = gd.outputs(model, as_given, len(y))
        if not np.allclose(got, y, atol=float(p.get("tolerance", 1e-2))):
            raise gd.fail_fit(ctx, model, fit, f"on {what}, predict(X) gave {v.show(got)}")
    if gd.classifier and "between" in p:
        _threshold_agrees(gd, model, ctx.data(p["between"])[0])
    return f"fits {what} exactly"


def _threshold_agrees(gd: Adapter, model: Model, points: np.ndarray) -> None:
    """Near the boundaries, predict must give the class predict_proba makes most probable
    (far from a boundary, a rule in the wrong place, e.g. the logit thresholded at 0.5 or
    the scores without their bias, still looks right)."""
    prob = gd.outputs(model, points, len(points))
    got = gd.labels(model, points, len(points))
    wrong, rule = gd.disagreements(prob, got)
    if wrong.size:
        i = int(wrong[0])
        raise Fail(
            None,
            f"after fitting, at x={points[i].tolist()} predict_proba gave {v.show(prob[i])} but "
            f"predict gave {v.show(got[i])} ({wrong.size} of {len(points)} points between the "
            f"classes disagree): predict must be {rule}",
        )


@family("known_solution")
def known_solution(ctx: Context, p: P) -> str:
    """Recovers known weights and bias (given in the spec, or least squares on the data)."""
    gd = gradient_model(ctx)
    seen = []
    for case in p.get("cases", [p]):
        case = {**p, **case}
        X, y = ctx.data(case["data"])
        expect = case.get("expect", "lstsq")
        if expect == "lstsq":
            weights, bias = least_squares(X, y)
        else:
            weights, bias = np.asarray(expect["weights"], dtype=float), float(expect["bias"])
        tol = float(case.get("tolerance", 0.01))
        for method in case.get("methods", [None]):
            extra = {"method": method} if method else {}
            settings = settings_of(case, learning_rate=None, n_iterations=None)
            model, fit = gd.train(ctx, ctx.candidate, X, y, **settings, **extra)
            got_w = gd.weights(model)
            got_b = v.scalar(model.get("bias"), "bias")
            how = f" with method={method!r}" if method else ""
            what = described(case, f"{len(y)} samples, {X.shape[1]} features")
            if got_w.shape != weights.shape:
                raise Fail("api-contract", f"on {what}{how}, weights has shape {got_w.shape}")
            gap = max(float(np.max(np.abs(got_w - weights))), abs(got_b - bias))
            if not gap <= tol:
                message = (
                    f"on {what}{how}, fit gave weights {v.show(got_w)} and bias {got_b:.4g}; "
                    f"expected {v.show(weights)} and {bias:.4g} (tolerance {tol:g})"
                )
                raise gd.fail_fit(ctx, model, fit, message)
            seen.append(f"{what}{how}")
    return "recovers the known answer on " + "; ".join(seen)


@family("matches_reference")
def matches_reference(ctx: Context, p: P) -> str:
    """Agrees with the reference solution on hidden data within a tolerance."""
    gd = ctx.adapter
    X, y = ctx.data(p.get("data", {"generator": "logistic", "n": 200, "seed": 1}))
    X_test, y_test = ctx.data(p.get("test", {"generator": "logistic", "n": 100, "seed": 2}))
    settings = settings_of(p, learning_rate=1.0, n_iterations=300, alpha=None)
    if gd.output == "predict" and gd.classifier:
        return _same_labels(ctx, p, X, y, (X_test, y_test), settings)
    expected = gd.outputs(gd.train(ctx, ctx.reference, X, y, **settings)[0], X_test, len(X_test))
    model, fit = gd.train(ctx, ctx.candidate, X, y, **settings)
    got = gd.outputs(model, X_test, len(X_test))
    if got.shape != expected.shape:
        shape = f"shape {got.shape}, not {expected.shape}"
        raise Fail("api-contract", f"{gd.output}(X) returned {shape}")
    gap = np.abs(got - expected)
    tol = float(p.get("tolerance", 0.01))
    if not np.all(gap <= tol):
        flat = np.nan_to_num(gap, nan=np.inf).reshape(len(X_test), -1).max(axis=1)
        i = int(np.argmax(flat))
        raise gd.fail_fit(
            ctx,
            model,
            fit,
            f"on hidden data ({len(y)} samples, {X.shape[1]} features) {gd.output} differs from "
            f"the reference by up to {flat[i]:.3g} (sample {i}: {v.show(got[i])} vs "
            f"{v.show(expected[i])}; tolerance {tol:g}){_stopped_early(gd, model, settings)}",
        )
    return f"agrees with the reference within {gap.max():.1e}"


def _stopped_early(gd: Adapter, model: Model, settings: P) -> str:
    """A note when fit ran fewer iterations than asked (its loss_history is shorter)."""
    asked = settings.get("n_iterations")
    if not gd.iterates or not asked:
        return ""
    try:
        ran = gd.history(model, at_least=0).size
    except (Fail, CallFailed):
        return ""
    if 0 < ran < int(asked):
        return (
            f"; fit stopped after {ran} of the {asked} iterations asked (the length of "
            "its loss_history): a stopping tolerance that loose ends short of the answer"
        )
    return ""


def _same_labels(
    ctx: Context,
    p: P,
    X: np.ndarray,
    y: np.ndarray,
    test: tuple[np.ndarray, np.ndarray],
    settings: P,
) -> str:
    """A classifier without probabilities: its labels on hidden data are the reference's
    (or, with `compare: accuracy`, as accurate on the hidden labels)."""
    gd = ctx.adapter
    X_test, truth = test
    n = len(X_test)
    expected = gd.labels(gd.train(ctx, ctx.reference, X, y, **settings)[0], X_test, n)
    model, fit = gd.train(ctx, ctx.candidate, X, y, **settings)
    got = gd.labels(model, X_test, n)
    if p.get("compare") == "accuracy":  # models that may differ where choices tie (trees)
        mine, theirs = float(np.mean(got == truth)), float(np.mean(expected == truth))
        allowed = float(p.get("tolerance", 0.05))
        if mine < theirs - allowed:
            raise gd.fail_fit(
                ctx,
                model,
                fit,
                f"on hidden data ({len(y)} samples, {X.shape[1]} features) accuracy is "
                f"{mine:.1%}; the reference reaches {theirs:.1%} ({allowed:.0%} below allowed)",
            )
        return f"accuracy {mine:.1%} on hidden data, the reference's {theirs:.1%}"
    wrong = np.flatnonzero(got != expected)
    allowed = float(p.get("tolerance", 0.0))
    if wrong.size > allowed * n:
        i = int(wrong[0])
        raise gd.fail_fit(
            ctx,
            model,
            fit,
            f"on hidden data ({len(y)} samples, {X.shape[1]} features) predict disagrees with "
            f"the reference on {wrong.size} of {n} points (e.g. point {i}: "
            f"{v.show(got[i])} where the answer is {v.show(expected[i])})",
        )
    return f"predicts the reference's labels on all {n} hidden points"


@family("loss_monotonic", needs=("loss",))
def loss_monotonic(ctx: Context, p: P) -> str:
    """The full-batch training loss never rises (unless `monotonic: false`) and, with
    `fall`, loses at least that share of its first value."""
    gd = gradient_model(ctx)
    X, y = ctx.data(p.get("data", {"generator": "logistic", "n": 200, "seed": 3}))
    model, fit = gd.train(
        ctx, ctx.candidate, X, y, **settings_of(p, learning_rate=0.5, n_iterations=150)
    )
    values = gd.history(model)
    if warning_cause(fit) or not np.all(np.isfinite(values)):
        message = f"the loss history is not finite ({v.show(values)})"
        raise gd.fail_fit(ctx, model, fit, message, mistake="loss-not-decreasing")
    fall = p.get("fall")  # a share the loss must lose (a network's need not fall steadily)
    settled = values[-1] < 1e-3 * len(y)  # at (almost) no loss, whatever the start
    if fall is not None and not (values[-1] <= (1 - float(fall)) * values[0] or settled):
        raise gd.fail_fit(
            ctx,
            model,
            fit,
            f"the training loss went from {values[0]:.4g} to {values[-1]:.4g} in {len(values)} "
            f"iterations; it must lose at least {float(fall):.0%} of its start",
        )
    rise = first_rise(values) if p.get("monotonic", True) else None
    if rise is not None:
        seen = (
            f"the full-batch loss went up at iteration {rise + 1}: "
            f"{' -> '.join(v.apart(values[rise - 1], values[rise]))}"
        )
        wrong = gd.gradients_disagree(ctx)  # steps along a wrong gradient overshoot
        if wrong:
            raise Fail(wrong[0], f"{seen}; {wrong[1]}")
        if rises_steadily(values):
            raise Fail(
                "gradient-sign",
                f"the full-batch loss rose from {values[0]:.4g} to {values[-1]:.4g} over "
                f"{len(values)} iterations: the update climbs the gradient",
            )
        raise Fail(None, seen)
    if not (values[-1] < values[0] or settled):
        raise Fail(None, f"the loss stayed at {values[0]:.4g}")
    return f"loss fell from {values[0]:.4g} to {values[-1]:.4g} without a rise"
