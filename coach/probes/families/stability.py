"""Families of numerical stability: log_zero, sigmoid_overflow, matrix_inversion,
unscaled_features."""

from __future__ import annotations

import math

import numpy as np

from coach.probes import Context, Fail, family
from coach.probes import values as v
from coach.probes.adapters import GradientModel
from coach.probes.evidence import (
    error_cause,
    warning_cause,
)
from coach.probes.families.common import P, described, gradient_model, least_squares, settings_of
from coach.program import Model
from coach.sandbox import CallFailed


def _fixed(ctx: Context, p: P) -> tuple[GradientModel, Model, np.ndarray, np.ndarray]:
    """A fitted model whose parameters are then set to the spec's values."""
    gd = gradient_model(ctx)
    X, y = ctx.data({"X": p["X"], "y": p.get("y", [0] * len(p["X"]))})
    fit_X, fit_y = gd.easy_data(ctx, n=12, d=X.shape[1])
    model, _ = gd.train(ctx, ctx.candidate, fit_X, fit_y, learning_rate=0.01, n_iterations=1)
    gd.set_parameters(model, np.asarray(p["weights"], dtype=float), p.get("bias", 0.0))
    return gd, model, X, y


def _shown(p: P, call: str, with_y: bool = True) -> str:
    X = np.asarray(p["X"])
    labels = f", y={v.show(np.asarray(p['y']))}" if "y" in p and with_y else ""
    args = f"X={v.show(X)}{labels}"
    return f"{call}({args}) with weights={p['weights']}, bias={p.get('bias', 0)}"


@family("log_zero", needs=("works", "loss"))
def log_zero(ctx: Context, p: P) -> str:
    """The loss stays finite where the probabilities saturate at exactly 0 and 1."""
    gd, model, X, y = _fixed(ctx, p)
    seen = _shown(p, "loss")
    try:
        value = gd.loss(model, X, y)
    except CallFailed as exc:
        if error_cause(exc) == "log-of-zero" or "log" in exc.message:
            raise Fail(None, f"{seen} raised {exc.describe()}") from None
        raise
    if not math.isfinite(value):
        raise Fail(
            None,
            f"{seen} returned {value}: the probabilities round to exactly 0 and 1, so the "
            "log is log(0)",
        )
    cause = warning_cause(model.last)
    if cause and cause[0] == "log-of-zero":
        raise Fail(None, f"{seen} {cause[1]}")
    return f"loss stays finite ({value:.4g}) when probabilities saturate"


@family("softmax_overflow", needs=("works",))
@family("sigmoid_overflow", needs=("works",))
def sigmoid_overflow(ctx: Context, p: P) -> str:
    """Scores of ±1000 give the right probabilities with no inf, nan or overflow (a
    sigmoid's or a softmax's: the spec gives the probabilities expected)."""
    gd, model, X, y = _fixed(ctx, p)
    seen = _shown(p, "predict_proba", with_y=False)
    try:
        prob = gd.outputs(model, X, len(X))
    except CallFailed as exc:
        if error_cause(exc) == "exp-overflow" or "overflow" in exc.message.lower():
            raise Fail(None, f"{seen} raised {exc.describe()}") from None
        raise
    cause = warning_cause(model.last)
    expect = np.asarray(p.get("expect", [1, 0]), dtype=float)
    if prob.shape != expect.shape:
        raise Fail("api-contract", f"{seen} returned shape {prob.shape}, not {expect.shape}")
    wrong = not np.all(np.isfinite(prob)) or not np.allclose(prob, expect, atol=1e-6)
    if wrong or (cause and cause[0] in ("exp-overflow", "division-by-zero")):
        said = [cause[1]] if cause else []
        said += [f"returned {v.show(prob)}, expected {v.show(expect)}"] if wrong else []
        message = f"{seen} {' and '.join(said)}"
        defect = gd.defect(ctx)  # wrong everywhere, not only at ±1000
        raise Fail(defect[0], f"{message}; {defect[1]}") if defect else Fail(None, message)
    if "y" in p:  # the loss at the same scores: a log-sum-exp must be shifted too
        _finite_loss(ctx, gd, model, X, y, _shown(p, "loss"))
    # the control: the answer came from the parameters set, so negating them changes it
    gd.set_parameters(
        model, -np.asarray(p["weights"], dtype=float), -np.asarray(p.get("bias", 0.0))
    )
    if np.allclose(gd.outputs(model, X, len(X)), prob, atol=1e-6):
        raise Fail(
            "api-contract",
            f"{seen} returned {v.show(prob)}, and the same with the weights negated: "
            "predict_proba does not use the weights and bias the model holds",
        )
    return f"scores of ±1000 give {v.show(expect)} with no overflow"


def _finite_loss(
    ctx: Context, gd: GradientModel, model: Model, X: np.ndarray, y: np.ndarray, seen: str
) -> None:
    """Fail unless loss() is finite, without an overflow, where the scores are extreme
    (when loss() is the problem's loss at all: else the loss probes say so)."""
    try:
        if gd.loss_convention(ctx).problem:
            return
    except (Fail, CallFailed):
        return
    value = gd.loss(model, X, y)
    cause = warning_cause(model.last)
    if cause and cause[0] in ("exp-overflow", "log-of-zero"):
        raise Fail(None, f"{seen} {cause[1]}")
    if not math.isfinite(value):
        raise Fail(None, f"{seen} returned {value}: the scores overflow exp in the loss")


@family("negative_sqrt", needs=("works",))
def negative_sqrt(ctx: Context, p: P) -> str:
    """Queries equal to training points are at distance 0, not nan: the reference's answers
    come back (with k=1, the points' own labels). The expanded formula
    ||a||^2 + ||b||^2 - 2 a.b rounds slightly below 0 there, and its square root is nan."""
    gd = ctx.adapter
    X, y = ctx.data(p.get("data", {"generator": "scattered", "n": 60, "d": 3, "seed": 23}))
    settings = settings_of(p)
    what = described(p, f"queries equal to the {len(y)} training points (fractional coordinates)")
    model, fit = gd.train(ctx, ctx.candidate, X, y, **settings)
    got = gd.answers(model, X, len(y))
    cause = warning_cause(model.last)
    if cause and cause[0] == "negative-sqrt":
        raise Fail(None, f"predict on {what} {cause[1]}")
    expected = _reference_outputs(ctx, X, y, settings)
    wrong = np.flatnonzero(got != expected)
    if not wrong.size:
        return f"duplicates are at distance 0 on {what}"
    i = int(wrong[0])
    message = (
        f"on {what}, predict gave {v.show(got[i])} at training point {i} whose answer is "
        f"{v.show(expected[i])} ({wrong.size} of {len(y)} wrong)"
    )
    # the control: the same points on whole numbers, where the expanded formula is exact
    rounded = np.round(X)
    model, fit = gd.train(ctx, ctx.candidate, rounded, y, **settings)
    control = gd.answers(model, rounded, len(y))
    if np.array_equal(control, _reference_outputs(ctx, rounded, y, settings)):
        raise Fail(
            None,
            f"{message}; on the same points rounded to whole numbers it is right: a distance "
            "that should be 0 came out nan (the square root of a rounding error below 0)",
        )
    # wrong on whole numbers too: not a rounding fault; `otherwise` names what it is (with
    # k=1 on its own training points, a model that cannot give their labels cannot overfit)
    message += "; it is as wrong on the same points rounded to whole numbers (not a rounding fault)"
    raise gd.fail_fit(ctx, model, fit, message, mistake=p.get("otherwise", "wrong-solution"))


def _reference_outputs(ctx: Context, X: np.ndarray, y: np.ndarray, settings: P) -> np.ndarray:
    gd = ctx.adapter
    model, _ = gd.train(ctx, ctx.reference, X, y, **settings)
    return gd.answers(model, X, len(y))


@family("matrix_inversion", needs=("works",))
def matrix_inversion(ctx: Context, p: P) -> str:
    """Perfectly correlated features: finite fitted values equal to least squares'."""
    gd = gradient_model(ctx)
    X, y = ctx.data(p.get("data", "correlated"))
    what = described(p, "perfectly correlated features (a column repeated)")
    try:
        model, fit = gd.train(ctx, ctx.candidate, X, y, **settings_of(p))
        got = gd.outputs(model, X, len(y))
    except CallFailed as exc:
        if error_cause(exc) == "matrix-inversion":
            raise Fail(None, f"fit on {what} raised {exc.describe()}") from None
        raise
    gap, best = _gap_to_lstsq(X, y, got)
    if not gap <= 1e-3 * max(1.0, float(np.std(y))):
        message = (
            f"on {what}, predict(X) gave {v.show(got)} where least squares gives "
            f"{v.show(best)} (largest gap {gap:.3g})"
        )
        plain = X[:, : int(p.get("independent", X.shape[1] - 1))]  # without the copied column
        model, _ = gd.train(ctx, ctx.candidate, plain, y, **settings_of(p))
        if _gap_to_lstsq(plain, y, gd.outputs(model, plain, len(y)))[0] > 1e-3 * max(
            1.0, float(np.std(y))
        ):
            raise Fail("wrong-solution", f"{message}; it is as far off without the copied column")
        raise Fail(None, f"{message}: X.T @ X is singular here")
    return f"fits {what} as least squares does"


def _gap_to_lstsq(X: np.ndarray, y: np.ndarray, got: np.ndarray) -> tuple[float, np.ndarray]:
    weights, bias = least_squares(X, y)
    best = X @ weights + bias
    gap = float(np.max(np.abs(got - best))) if np.all(np.isfinite(got)) else math.inf
    return gap, best


@family("unscaled_features", needs=("works",))
def unscaled_features(ctx: Context, p: P) -> str:
    """Features far apart in scale fit with the default learning rate; weights in raw units."""
    gd = gradient_model(ctx)
    X, y = ctx.data(p.get("data", {"generator": "linear", "scales": [1.0, 1000.0]}))
    what = described(p, "features a thousand times apart in scale")
    learning_rate = float(gd.default("learning_rate", 0.01))
    model, fit = gd.train(ctx, ctx.candidate, X, y, learning_rate=learning_rate, **settings_of(p))
    weights, bias = least_squares(X, y)
    got = gd.weights(model)
    got_b = v.scalar(model.get("bias"), "bias")
    rtol = float(p.get("tolerance", 1e-3))
    close = got.shape == weights.shape and np.allclose(got, weights, rtol=rtol, atol=rtol * 1e-3)
    if not (close and math.isclose(got_b, bias, rel_tol=rtol, abs_tol=rtol)):
        message = (
            f"on {what} with the default learning rate ({learning_rate:g}), fit gave weights "
            f"{v.show(got)} and bias {got_b:.4g}; least squares gives {v.show(weights)} and "
            f"{bias:.4g} in the raw units"
        )
        explained = gd.climbs(ctx)
        raise Fail(explained[0], f"{message}; {explained[1]}") if explained else Fail(None, message)
    return f"fits {what} with the default learning rate, weights in raw units"
