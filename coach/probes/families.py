"""The probe families of DESIGN §3, written once for every problem whose spec names them.

Each takes its parameters from the spec entry's `with:` (data sets, learning rates,
iterations, tolerances) and drives the candidate through the problem's adapter. The gates
a family `needs` run first: `works` (the code learns at all: else the probe is skipped and
earns nothing) and `loss` (loss() is the problem's loss up to a constant factor).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from coach.probes import Context, Fail, family
from coach.probes import values as v
from coach.probes.adapters import TUNABLE, Adapter, Functions, GradientModel
from coach.probes.evidence import (
    banned_imports,
    cause_key,
    error_cause,
    first_rise,
    out_of_time,
    rises_steadily,
    time_is_up,
    warning_cause,
)
from coach.program import Model, Program
from coach.results import Status
from coach.sandbox import ApiMissing, CallFailed, CallTimedOut, Reply

P = dict[str, Any]


def _gd(ctx: Context) -> GradientModel:
    if not isinstance(ctx.adapter, GradientModel):
        raise Fail("api-contract", "this family needs a gradient-descent model")
    return ctx.adapter


def _settings(p: P, **defaults: Any) -> dict[str, Any]:
    """Training settings from the spec entry: learning_rate, n_iterations, alpha, method,
    and what `construct:` gives the constructor (k, layer_sizes, random_state...)."""
    found = {k: p.get(k, d) for k, d in defaults.items()}
    if "method" in p:
        found["method"] = p["method"]
    found.update(p.get("construct", {}))
    return {k: x for k, x in found.items() if x is not None}


def _describe(p: P, fallback: str) -> str:
    return str(p.get("what", fallback))


def _lstsq(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """The least-squares weights and bias, computed here (never in the candidate's process)."""
    A = np.column_stack([X, np.ones(len(X))])
    theta = np.linalg.lstsq(A, y, rcond=None)[0]
    return theta[:-1], float(theta[-1])


# -- learning ------------------------------------------------------------------------------
@family("overfit_tiny")
def overfit_tiny(ctx: Context, p: P) -> str:
    """Fits a handful of points exactly (labels for a classifier, values for a regressor)."""
    gd = ctx.adapter
    X, y = ctx.data(p.get("data", "axes"))
    as_given = X.astype(int) if p.get("integers", True) and np.all(X == X.astype(int)) else X
    model, fit = gd.train(
        ctx, ctx.candidate, as_given, y, **_settings(p, learning_rate=0.5, n_iterations=100)
    )
    shown = as_given.tolist()
    what = _describe(p, f"the {len(y)} points X={shown} with y={y.astype(int).tolist()}")
    if gd.classifier:
        got = gd.labels(model, as_given, len(y))
        if not np.array_equal(got, y):
            after = p.get("n_iterations", 100)
            message = f"on {what}, predict(X) gave {v.show(got)} after {after} iterations"
            raise gd.fail_fit(ctx, model, fit, message)
    else:
        got = gd.outputs(model, as_given, len(y))
        if not np.allclose(got, y, atol=float(p.get("tolerance", 1e-2))):
            raise gd.fail_fit(ctx, model, fit, f"on {what}, predict(X) gave {v.show(got)}")
    if gd.classifier and "between" in p:
        _threshold_agrees(gd, model, ctx.data(p["between"])[0])
    return f"fits {what} exactly"


def _threshold_agrees(gd: Adapter, model: Model, points: np.ndarray) -> None:
    """Near the boundary, predict must be 1 exactly where predict_proba is at least 0.5
    (far from it, a threshold in the wrong place, e.g. the logit at 0.5, still looks right)."""
    prob = gd.outputs(model, points, len(points))
    got = gd.labels(model, points, len(points))
    wrong = np.flatnonzero((got != (prob >= 0.5)) & (np.abs(prob - 0.5) > 1e-6))
    if wrong.size:
        i = int(wrong[0])
        raise Fail(
            None,
            f"after fitting, at x={points[i].tolist()} predict_proba gave {prob[i]:.4f} but "
            f"predict gave {v.show(got[i])} ({wrong.size} of {len(points)} points between the "
            "classes disagree): predict must be 1 exactly where the probability is at least 0.5",
        )


@family("known_solution")
def known_solution(ctx: Context, p: P) -> str:
    """Recovers known weights and bias (given in the spec, or least squares on the data)."""
    gd = _gd(ctx)
    seen = []
    for case in p.get("cases", [p]):
        case = {**p, **case}
        X, y = ctx.data(case["data"])
        expect = case.get("expect", "lstsq")
        if expect == "lstsq":
            weights, bias = _lstsq(X, y)
        else:
            weights, bias = np.asarray(expect["weights"], dtype=float), float(expect["bias"])
        tol = float(case.get("tolerance", 0.01))
        for method in case.get("methods", [None]):
            extra = {"method": method} if method else {}
            settings = _settings(case, learning_rate=None, n_iterations=None)
            model, fit = gd.train(ctx, ctx.candidate, X, y, **settings, **extra)
            got_w = gd.weights(model)
            got_b = v.scalar(model.get("bias"), "bias")
            how = f" with method={method!r}" if method else ""
            what = _describe(case, f"{len(y)} samples, {X.shape[1]} features")
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
    X_test, _ = ctx.data(p.get("test", {"generator": "logistic", "n": 100, "seed": 2}))
    settings = _settings(p, learning_rate=1.0, n_iterations=300, alpha=None)
    expected = gd.outputs(gd.train(ctx, ctx.reference, X, y, **settings)[0], X_test, len(X_test))
    model, fit = gd.train(ctx, ctx.candidate, X, y, **settings)
    got = gd.outputs(model, X_test, len(X_test))
    gap = np.abs(got - expected)
    tol = float(p.get("tolerance", 0.01))
    if not np.all(gap <= tol):
        i = int(np.nanargmax(gap)) if np.any(np.isfinite(gap)) else 0
        raise gd.fail_fit(
            ctx,
            model,
            fit,
            f"on hidden data ({len(y)} samples, {X.shape[1]} features) {gd.output} differs from "
            f"the reference by up to {gap[i]:.3g} (sample {i}: {got[i]:.4f} vs "
            f"{expected[i]:.4f}; tolerance {tol:g})",
        )
    return f"agrees with the reference within {gap.max():.1e}"


@family("loss_monotonic", needs=("loss",))
def loss_monotonic(ctx: Context, p: P) -> str:
    """The full-batch training loss never rises."""
    gd = _gd(ctx)
    X, y = ctx.data(p.get("data", {"generator": "logistic", "n": 200, "seed": 3}))
    model, fit = gd.train(
        ctx, ctx.candidate, X, y, **_settings(p, learning_rate=0.5, n_iterations=150)
    )
    values = gd.history(model)
    if warning_cause(fit) or not np.all(np.isfinite(values)):
        message = f"the loss history is not finite ({v.show(values)})"
        raise gd.fail_fit(ctx, model, fit, message, mistake="loss-not-decreasing")
    if rises_steadily(values):
        raise Fail(
            "gradient-sign",
            f"the full-batch loss rose from {values[0]:.4g} to {values[-1]:.4g} over "
            f"{len(values)} iterations: the update climbs the gradient",
        )
    rise = first_rise(values)
    if rise is not None:
        raise Fail(
            None,
            f"the full-batch loss went up at iteration {rise + 1}: "
            f"{values[rise - 1]:.6g} -> {values[rise]:.6g}",
        )
    if not values[-1] < values[0]:
        raise Fail(None, f"the loss stayed at {values[0]:.4g}")
    return f"loss fell from {values[0]:.4g} to {values[-1]:.4g} without a rise"


# -- gradients and penalties ------------------------------------------------------------------
@family("gradient_check", needs=("loss",))
def gradient_check(ctx: Context, p: P) -> str:
    """Central differences of the candidate's own loss against its gradients(), on sampled
    entries of every parameter (list items such as `weights[1]` included)."""
    adapter = _gd(ctx)
    X, y = ctx.data(p.get("data", {"generator": "logistic", "n": 20, "seed": 4}))
    construct = dict(p.get("construct", {}))
    model, _ = adapter.train(
        ctx,
        ctx.candidate,
        X,
        y,
        learning_rate=0.01,
        n_iterations=1,
        alpha=p.get("alpha"),
        **construct,
    )
    rng = np.random.default_rng(int(p.get("seed", 4)))
    chosen = {}
    for name, current in adapter.parameters(model).items():
        given = p.get(name)
        value = (
            np.asarray(given, dtype=float)
            if given is not None
            else rng.normal(0, 0.5, current.shape)
        )
        chosen[name] = value.reshape(current.shape)
        adapter.set_parameter(model, name, chosen[name])
    analytic = adapter.gradient_arrays(model, X, y, {n: a.shape for n, a in chosen.items()})
    samples = int(p.get("samples", 8))
    entries = {
        name: sorted(rng.choice(a.size, samples, replace=False))
        if a.size > samples
        else range(a.size)
        for name, a in chosen.items()
    }

    def loss() -> float:
        return adapter.loss(model, X, y)

    def move(name: str, value: np.ndarray) -> None:
        adapter.set_parameter(model, name, value)

    tol = float(p.get("tolerance", 1e-5))
    return compare_gradients(chosen, analytic, loss, move, tol, entries=entries)


def compare_gradients(
    params: dict[str, np.ndarray],
    analytic: dict[str, np.ndarray],
    loss: Any,
    move: Any,
    tol: float = 1e-5,
    eps: float = 1e-6,
    entries: dict[str, Any] | None = None,
) -> str:
    """Compare analytic gradients with central differences of `loss()`.

    `params` are the values the model holds, by name (a list item is named `weights[1]`);
    `move(name, value)` sets one. Raises Fail citing gradient-sign or wrong-gradient and
    naming the parameter and entry that disagree most.
    """
    worst: tuple[float, str, float, float] = (0.0, "", 0.0, 0.0)
    flipped = checked = 0
    for name, value in params.items():
        flat = np.array(value, dtype=float).ravel()
        for i in entries[name] if entries else range(flat.size):
            results = []
            for step in (eps, -eps):
                moved = flat.copy()
                moved[i] += step
                move(name, moved.reshape(np.shape(value)))
                results.append(loss())
            numeric = (results[0] - results[1]) / (2 * eps)
            grad = float(np.ravel(analytic[name])[int(i)])
            error = abs(numeric - grad) / max(abs(numeric), abs(grad), 1e-8)
            index = np.unravel_index(i, np.shape(value)) if np.ndim(value) else ()
            label = f"{name}[{', '.join(str(int(j)) for j in index)}]" if flat.size > 1 else name
            checked += 1
            if error > tol and numeric != 0 and np.sign(numeric) == -np.sign(grad):
                flipped += 1
            if not error <= worst[0]:
                worst = (error, label, grad, numeric)
        move(name, np.asarray(value, dtype=float))
    error, label, grad, numeric = worst
    if error <= tol:
        return f"{checked} entries agree with finite differences (max relative error {error:.1e})"
    seen = (
        f"{label}: gradients() gave {grad:.6g}, central differences of loss() give "
        f"{numeric:.6g} (relative error {error:.1e})"
    )
    if flipped > checked / 2:
        raise Fail("gradient-sign", f"{seen}; {flipped} of {checked} have the wrong sign")
    raise Fail("wrong-gradient", seen)


@family("penalty", needs=("works", "loss"))
def penalty(ctx: Context, p: P) -> str:
    """alpha > 0 adds k * sum(weights**2) to the loss (k > 0), its gradient 2k * weights to
    gradients(), and shrinks the fitted weights."""
    return "; ".join(_penalty(ctx, p, variant) for variant in p.get("variants", [{}]))


def _penalty(ctx: Context, p: P, variant: P) -> str:
    gd = _gd(ctx)
    X, y = ctx.data(p.get("data", {"generator": "logistic", "n": 60, "seed": 13}))
    alpha = float(p.get("alpha", 1.0))
    settings = {**_settings(p, learning_rate=0.1, n_iterations=300), **variant}
    how = "".join(f" with {k}={x!r}" for k, x in variant.items())
    plain, _ = gd.train(ctx, ctx.candidate, X, y, alpha=0.0, **settings)
    shrunk, fit = gd.train(ctx, ctx.candidate, X, y, alpha=alpha, **settings)
    free, held = gd.weights(plain), gd.weights(shrunk)
    rng = np.random.default_rng(13)
    ks, extra = [], []
    for _ in range(2):
        w = rng.normal(0, 1.0, X.shape[1])
        losses, grads = [], []
        for model in (plain, shrunk):
            gd.set_parameters(model, w, 0.0)
            losses.append(gd.loss(model, X, y))
            grads.append(gd.gradients(model, X, y, X.shape[1])["weights"])
        ks.append((losses[1] - losses[0]) / float(np.sum(w**2)))
        extra.append((grads[1] - grads[0], w))
    if not ks[0] > 1e-12:
        raise Fail(
            None,
            f"alpha={alpha:g} changed nothing: at the same weights loss(X, y) was "
            f"{losses[0]:.6g} with alpha=0 and {losses[1]:.6g} with alpha={alpha:g}",
        )
    if not math.isclose(ks[0], ks[1], rel_tol=1e-4):
        raise Fail(
            None,
            f"with alpha={alpha:g} the loss grows by {ks[0]:.4g} x sum(w**2) at one setting "
            f"and {ks[1]:.4g} x at another: the penalty is not an L2 penalty on the weights",
        )
    for added, w in extra:
        if np.allclose(added, -2 * ks[0] * w, rtol=1e-4, atol=1e-9):
            raise Fail(
                "gradient-sign",
                f"with alpha={alpha:g} gradients() subtracts the penalty's gradient "
                f"{v.show(2 * ks[0] * w)} from dw instead of adding it: the sign is flipped",
            )
        if not np.allclose(added, 2 * ks[0] * w, rtol=1e-4, atol=1e-9):
            raise Fail(
                "wrong-gradient",
                f"with alpha={alpha:g} the loss adds {ks[0]:.4g} x sum(w**2), so gradients() "
                f"should add {v.show(2 * ks[0] * w)} to dw; it added {v.show(added)}",
            )
    # the same penalty relative to the data term, given to the reference: same weights
    same = ks[0] / gd.convention_for_steps(ctx).scale(len(y))
    expected = gd.weights(gd.train(ctx, ctx.reference, X, y, alpha=same, **settings)[0])
    tol = float(p.get("tolerance", 0.02))
    if not np.allclose(held, expected, rtol=tol, atol=tol * float(np.linalg.norm(expected))):
        message = (
            f"fit{how} and alpha={alpha:g} gave weights {v.show(held)} (alpha=0: {v.show(free)}); "
            f"the penalty the loss adds should give {v.show(expected)}: "
            "the penalty does not reach the updates as it should"
        )
        raise gd.fail_fit(ctx, shrunk, fit, message)
    shrink = np.linalg.norm(held) / max(np.linalg.norm(free), 1e-12)
    return f"alpha={alpha:g} adds {ks[0]:.3g} x sum(w**2); fit{how} shrinks weights to {shrink:.0%}"


@family("regularized_bias", needs=("works", "loss"))
def regularized_bias(ctx: Context, p: P) -> str:
    """With alpha > 0 neither the bias gradient nor the loss's dependence on the bias changes."""
    gd = _gd(ctx)
    X, y = ctx.data(p.get("data", {"generator": "logistic", "n": 20, "seed": 7, "d": 2}))
    alpha = float(p.get("alpha", 0.5))
    weights = np.linspace(0.4, -0.3, X.shape[1])
    models = {}
    for a in (0.0, alpha):
        model, _ = gd.train(ctx, ctx.candidate, X, y, learning_rate=0.01, n_iterations=1, alpha=a)
        gd.set_parameters(model, weights, 2.0)
        models[a] = model
    db = {a: float(gd.gradients(m, X, y, X.shape[1])["bias"][0]) for a, m in models.items()}
    if not math.isclose(db[alpha], db[0.0], rel_tol=1e-7, abs_tol=1e-10):
        raise Fail(
            None,
            f"with bias=2.0, db is {db[0.0]:.6g} at alpha=0 but {db[alpha]:.6g} at "
            f"alpha={alpha:g}: the L2 penalty reached the bias",
        )
    shift = {}
    for a, model in models.items():
        losses = []
        for bias in (2.0, -1.0):
            model.set("bias", bias)
            losses.append(gd.loss(model, X, y))
        shift[a] = losses[0] - losses[1]
    if not math.isclose(shift[alpha], shift[0.0], rel_tol=1e-7, abs_tol=1e-9):
        raise Fail(
            None,
            f"moving the bias from -1 to 2 changes the loss by {shift[0.0]:.6g} at alpha=0 "
            f"but by {shift[alpha]:.6g} at alpha={alpha:g}: the penalty includes the bias",
        )
    return "alpha penalises the weights only"


# -- stability -------------------------------------------------------------------------------
def _fixed(ctx: Context, p: P) -> tuple[GradientModel, Model, np.ndarray, np.ndarray]:
    """A fitted model whose parameters are then set to the spec's values."""
    gd = _gd(ctx)
    X = np.asarray(p["X"], dtype=float)
    y = np.asarray(p.get("y", np.zeros(len(X))), dtype=float)
    fit_X, fit_y = ctx.data(
        {"generator": "separable" if gd.classifier else "linear", "n": 6, "d": X.shape[1]}
    )
    model, _ = gd.train(ctx, ctx.candidate, fit_X, fit_y, learning_rate=0.01, n_iterations=1)
    gd.set_parameters(model, np.asarray(p["weights"], dtype=float), float(p.get("bias", 0.0)))
    return gd, model, X, y


def _shown(p: P, call: str) -> str:
    X = np.asarray(p["X"])
    args = f"X={v.show(X)}" + (f", y={v.show(np.asarray(p['y']))}" if "y" in p else "")
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


@family("sigmoid_overflow", needs=("works",))
def sigmoid_overflow(ctx: Context, p: P) -> str:
    """Scores of ±1000 give the right probabilities with no inf, nan or overflow."""
    gd, model, X, _ = _fixed(ctx, p)
    seen = _shown(p, "predict_proba")
    try:
        prob = gd.outputs(model, X, len(X))
    except CallFailed as exc:
        if error_cause(exc) == "exp-overflow" or "overflow" in exc.message.lower():
            raise Fail(None, f"{seen} raised {exc.describe()}") from None
        raise
    cause = warning_cause(model.last)
    if cause and cause[0] == "exp-overflow":
        raise Fail(None, f"{seen} {cause[1]}")
    given = p.get("expect", [1, 0])
    expect = np.asarray(given, dtype=float)
    if not np.all(np.isfinite(prob)) or not np.allclose(prob, expect, atol=1e-6):
        raise Fail(None, f"{seen} returned {v.show(prob)}, expected {given}")
    return "sigmoid(±1000) gives 1 and 0 with no overflow"


@family("matrix_inversion", needs=("works",))
def matrix_inversion(ctx: Context, p: P) -> str:
    """Perfectly correlated features: finite fitted values equal to least squares'."""
    gd = _gd(ctx)
    X, y = ctx.data(p.get("data", "correlated"))
    what = _describe(p, "perfectly correlated features (a column repeated)")
    try:
        model, fit = gd.train(ctx, ctx.candidate, X, y, **_settings(p))
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
        model, _ = gd.train(ctx, ctx.candidate, plain, y, **_settings(p))
        if _gap_to_lstsq(plain, y, gd.outputs(model, plain, len(y)))[0] > 1e-3 * max(
            1.0, float(np.std(y))
        ):
            raise Fail("wrong-solution", f"{message}; it is as far off without the copied column")
        raise Fail(None, f"{message}: X.T @ X is singular here")
    return f"fits {what} as least squares does"


def _gap_to_lstsq(X: np.ndarray, y: np.ndarray, got: np.ndarray) -> tuple[float, np.ndarray]:
    weights, bias = _lstsq(X, y)
    best = X @ weights + bias
    gap = float(np.max(np.abs(got - best))) if np.all(np.isfinite(got)) else math.inf
    return gap, best


@family("unscaled_features", needs=("works",))
def unscaled_features(ctx: Context, p: P) -> str:
    """Features far apart in scale fit with the default learning rate; weights in raw units."""
    gd = _gd(ctx)
    X, y = ctx.data(p.get("data", {"generator": "linear", "scales": [1.0, 1000.0]}))
    what = _describe(p, "features a thousand times apart in scale")
    learning_rate = float(gd.default("learning_rate", 0.01))
    model, fit = gd.train(ctx, ctx.candidate, X, y, learning_rate=learning_rate, **_settings(p))
    weights, bias = _lstsq(X, y)
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


# -- pitfalls ---------------------------------------------------------------------------------
def _calls(ctx: Context, p: P) -> list[tuple[str, tuple[str, ...]]]:
    """The interface's methods and the arguments each takes (from the spec or by name)."""
    given = p.get("calls")
    if given:
        return [(name, tuple(args)) for name, args in given.items()]
    takes_y = {"fit", "loss", "gradients", "score"}
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
        settings = _settings(p, learning_rate=0.1 if gd.classifier else 0.01, n_iterations=20)
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
                    raise Fail(None, f"{call} changed the caller's {name}: {_diff(before, now)}")
            checked.append(method)
    return f"X and y are unchanged after {', '.join(dict.fromkeys(checked))}"


def _diff(before: np.ndarray, now: np.ndarray) -> str:
    if now.shape != before.shape:
        return f"its shape went from {before.shape} to {now.shape}"
    differ = np.argwhere(~np.isclose(before, now, rtol=0, atol=0, equal_nan=True))
    at = tuple(int(i) for i in differ[0])
    where = ", ".join(str(i) for i in at)
    return (
        f"{len(differ)} of {before.size} entries differ "
        f"(e.g. [{where}] was {before[at].item()!r}, now {now[at].item()!r})"
    )


# -- edge cases --------------------------------------------------------------------------------
def _edge_fit(ctx: Context, X: np.ndarray, y: np.ndarray, what: str, p: P) -> tuple[Model, Reply]:
    """Fit on an edge case; a raise or a numerical warning fails as that case's mistake."""
    gd = ctx.adapter
    settings = _settings(p, learning_rate=0.5 if gd.classifier else 0.1, n_iterations=50)
    try:
        model, fit = gd.train(ctx, ctx.candidate, X, y, **settings)
    except CallFailed as exc:
        raise _edge_failure(exc, f"fit on {what}", ctx.candidate) from None
    cause = warning_cause(fit)
    if cause:
        raise Fail(cause[0], f"fit on {what} {cause[1]}")
    return model, fit


def _edge_outputs(ctx: Context, model: Model, X: np.ndarray, what: str) -> np.ndarray:
    """The outputs on an edge case (labels for a classifier), shapes and values checked."""
    gd = ctx.adapter
    try:
        out = gd.outputs(model, X, len(X), mistake="edge-case")
        labels = gd.labels(model, X, len(X), mistake="edge-case") if gd.classifier else out
    except Fail as fail:
        raise Fail(fail.mistake, f"on {what}: {fail.message}") from None
    except CallFailed as exc:
        raise _edge_failure(exc, f"predicting on {what}", model.program) from None
    cause = warning_cause(model.last)
    if cause:
        raise Fail(cause[0], f"predicting on {what} {cause[1]}")
    if not np.all(np.isfinite(out)) or (gd.classifier and np.any((out < 0) | (out > 1))):
        raise Fail(None, f"on {what}, {gd.output} returned {v.show(out)}")
    return labels


def _edge_failure(exc: CallFailed, doing: str, program: Program) -> Fail:
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


def _edge_accuracy(
    ctx: Context, model: Model, fit: Reply, X: np.ndarray, y: np.ndarray, got: np.ndarray, what: str
) -> None:
    """Fail unless the edge case is fitted: 90% accuracy, or least squares' fitted values."""
    gd = ctx.adapter
    if gd.classifier:
        accuracy = float(np.mean(got == y))
        if accuracy < 0.9:
            raise gd.fail_fit(ctx, model, fit, f"on {what} training accuracy is {accuracy:.0%}")
        return
    weights, bias = _lstsq(X, y)
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
    model, fit = _edge_fit(ctx, X, y, what, p)
    got = _edge_outputs(ctx, model, X, what)
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
    model, fit = _edge_fit(ctx, X, y, what, {**p, "n_iterations": p.get("n_iterations", 200)})
    got = _edge_outputs(ctx, model, X, what)
    _edge_accuracy(ctx, model, fit, X, y, got, what)
    weights = v.array(model.get("weights"), "weights", "edge-case")
    if weights.size != 1:
        raise Fail(None, f"on {what} weights has shape {weights.shape}")
    return "handles a single feature"


@family("same_labels", needs=("works",))
def same_labels(ctx: Context, p: P) -> str:
    X, _ = ctx.data(p.get("data", {"generator": "logistic", "n": 10, "d": 2, "seed": 9}))
    for label in (1.0, 0.0):
        y = np.full(len(X), label)
        what = f"labels all {int(label)}"
        model, fit = _edge_fit(ctx, X, y, what, p)
        got = _edge_outputs(ctx, model, X, what)
        if not np.all(got == label):
            raise ctx.adapter.fail_fit(ctx, model, fit, f"with {what}, predict gave {v.show(got)}")
    return "predicts the only class when every label is the same"


@family("extreme_values", needs=("works",))
def extreme_values(ctx: Context, p: P) -> str:
    gd = ctx.adapter
    scale = float(p.get("scale", 1e4))
    X, y = ctx.data(p.get("data", {"generator": "separable", "n": 40, "seed": 10, "scale": scale}))
    what = f"features of magnitude {scale:g}"
    model, fit = _edge_fit(ctx, X, y, what, {"learning_rate": 0.1, **p})
    got = _edge_outputs(ctx, model, X, what)
    try:
        values = gd.history(model, at_least=1)
    except (Fail, CallFailed):  # the history has its own probe
        values = np.zeros(1)
    if not np.all(np.isfinite(values)):
        raise Fail("log-of-zero", f"on {what} the training loss became {v.show(values)}")
    _edge_accuracy(ctx, model, fit, X, y, got, what)
    return f"stays finite and accurate on {what}"


@family("constant_feature", needs=("works",))
def constant_feature(ctx: Context, p: P) -> str:
    """A feature that never changes (zero variance) must not divide by zero."""
    gd = ctx.adapter
    task = "classification" if gd.classifier else "regression"
    X, y = ctx.data(p.get("data", {"generator": "constant_column", "task": task}))
    what = "a feature of zero variance (a constant column)"
    model, fit = _edge_fit(ctx, X, y, what, {**p, "n_iterations": p.get("n_iterations", 300)})
    got = _edge_outputs(ctx, model, X, what)
    _edge_accuracy(ctx, model, fit, X, y, got, what)
    return f"fits with {what}"


# -- speed and imports --------------------------------------------------------------------------
@family("vectorized", needs=("works",))
def vectorized(ctx: Context, p: P) -> str:
    """fit (per iteration actually run) and each predicting method, timed by the parent
    beside the reference in the same run, within `limit` times the reference's time."""
    gd = ctx.adapter
    X, y = ctx.data(p.get("data", {"generator": "logistic", "n": 20_000, "d": 5, "seed": 12}))
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
    kept = {
        name: {"X": prog.worker.keep(X), "y": prog.worker.keep(y)}
        for name, prog in (("reference", ctx.reference), ("candidate", ctx.candidate))
    }
    earlier_timeouts = bool(ctx.candidate.worker.timed_out)

    def clearly_slow(name: str, what: str, seconds: float) -> bool:
        """A candidate already far past the limit need not be timed again."""
        ref = timings["reference"].get(what)
        return name == "candidate" and ref is not None and seconds > 3 * limit * ref

    def run(name: str, program: Program) -> None:
        data = kept[name]
        best: dict[str, float] = {}
        for _ in range(repeat):
            model, fit = gd.train(
                ctx,
                program,
                data["X"],
                data["y"],
                learning_rate=0.1,
                n_iterations=many,
                samples=len(y),
                **p.get("construct", {}),
            )
            best["fit call"] = min(best.get("fit call", math.inf), fit.elapsed)
            if clearly_slow(name, "fit call", fit.elapsed):
                break
        try:
            lengths[name] = len(gd.history(model, at_least=0))
        except (Fail, CallFailed):
            pass
        for method in methods:
            for _ in range(repeat):
                reply = model.reply(
                    method, data["X"], timeout=20.0 if program is ctx.reference else None
                )
                best[method] = min(best.get(method, math.inf), reply.elapsed)
                if clearly_slow(name, method, reply.elapsed):
                    break
        ran = lengths.get(name, many)
        best["fit"] = best["fit call"] / (ran if 0 < ran <= many else many)  # per iteration
        timings[name] = best

    run("reference", ctx.reference)
    try:
        run("candidate", ctx.candidate)
    except CallTimedOut as exc:
        if time_is_up(ctx.candidate):
            raise out_of_time("timing fit and predict on 20,000 samples") from None
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
    if ran > many:
        raise Fail(
            "api-contract",
            f"fit ignores n_iterations: asked for {many}, it ran {ran} (the length of "
            "loss_history), so its speed per iteration cannot be judged",
        )
    ratios = {}
    for what in ("fit", *methods):  # fit per iteration, the others per call
        ref, cand = timings["reference"][what], timings["candidate"][what]
        ratios[what] = cand / max(ref, 1e-5)
        if ratios[what] > limit:
            unit = " per iteration" if what == "fit" else ""
            raise Fail(
                None,
                f"{what} on {len(y):,} samples took {cand * 1000:.1f} ms{unit} against the "
                f"reference's {ref * 1000:.2f} ms ({ratios[what]:.0f}x; the limit is "
                f"{limit:.0f}x): look for a Python loop over samples",
            )
    shown = ", ".join(f"{k} {r:.1f}x" for k, r in ratios.items())
    return f"within {limit:.0f}x of the reference on {len(y):,} samples ({shown})"


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


# -- plain functions ------------------------------------------------------------------------
def _argument(value: Any) -> Any:
    """A spec's list of numbers as a float array; anything else as it is."""
    if isinstance(value, list):
        try:
            return np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return value
    return value


@family("function_values", needs=("works",))
def function_values(ctx: Context, p: P) -> str:
    """Each call returns the reference's value (or the spec's `expect`): same shape, finite,
    within `tolerance`, and no numerical warning on the way."""
    if not isinstance(ctx.adapter, Functions):
        raise Fail("api-contract", "this family needs a problem of functions")
    tol = float(p.get("tolerance", 1e-6))
    done = []
    for call in p["calls"]:
        name, args = call["function"], [_argument(a) for a in call.get("args", [])]
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
