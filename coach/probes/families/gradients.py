"""Families of gradients and penalties: gradient_check, penalty, regularized_bias."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from coach.probes import Context, Fail, family
from coach.probes import values as v
from coach.probes.families.common import P, gradient_model, settings_of


@family("gradient_check", needs=("loss",))
def gradient_check(ctx: Context, p: P) -> str:
    """Central differences of the candidate's own loss against its gradients(), on sampled
    entries of every parameter (list items such as `weights[1]` included), at parameters
    drawn with std `scale`: small enough that no probability is near 0, where an epsilon
    added inside a log (a harmless habit) would tilt the derivative."""
    adapter = gradient_model(ctx)
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
            else rng.normal(0, float(p.get("scale", 0.5)), current.shape)
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
    try:
        return compare_gradients(chosen, analytic, loss, move, tol, entries=entries)
    except Fail as fail:
        defect = adapter.defect(ctx)
        if defect:
            raise Fail(defect[0], f"{fail.message}; {defect[1]}") from None
        raise


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
    naming the parameter and entry that disagree most. An entry's error is relative to the
    larger of its two values, and at least to a tenth of the largest gradient entry: an
    entry that cancels to almost 0 is not judged by what rounding, or an epsilon inside a
    log, leaves in it (a real mistake is off by a share of the gradient itself).
    """
    worst: tuple[float, str, float, float] = (0.0, "", 0.0, 0.0)
    flipped = checked = 0
    floor = max(1e-8, 0.1 * max(float(np.max(np.abs(a), initial=0.0)) for a in analytic.values()))
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
            error = abs(numeric - grad) / max(abs(numeric), abs(grad), floor)
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
    gd = gradient_model(ctx)
    X, y = ctx.data(p.get("data", {"generator": "logistic", "n": 60, "seed": 13}))
    alpha = float(p.get("alpha", 1.0))
    settings = {**settings_of(p, learning_rate=0.1, n_iterations=300), **variant}
    how = "".join(f" with {k}={x!r}" for k, x in variant.items())
    plain, _ = gd.train(ctx, ctx.candidate, X, y, alpha=0.0, **settings)
    shrunk, fit = gd.train(ctx, ctx.candidate, X, y, alpha=alpha, **settings)
    free, held = gd.weights(plain), gd.weights(shrunk)
    shapes = gd.shapes(plain)
    rng = np.random.default_rng(13)
    ks, extra = [], []
    for _ in range(2):
        w = rng.normal(0, 1.0, shapes["weights"])
        losses, grads = [], []
        for model in (plain, shrunk):
            gd.set_parameters(model, w, np.zeros(shapes["bias"]))
            losses.append(gd.loss(model, X, y))
            grads.append(gd.gradient_arrays(model, X, y, shapes)["weights"])
        ks.append((losses[1] - losses[0]) / float(np.sum(w**2)))
        extra.append((grads[1] - grads[0], w))
    if not ks[0] > 1e-12:
        raise Fail(
            None,
            f"alpha={alpha:g} changed nothing: at the same weights loss(X, y) was "
            "{} with alpha=0 and {} with alpha={:g}".format(*v.apart(*losses), alpha),
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
        # The history under alpha rises when the steps ignore the penalty the loss counts:
        # that is this fault's symptom, so the steps are judged by the alpha=0 fit's history.
        raise gd.fail_fit(ctx, plain, fit, message)
    shrink = np.linalg.norm(held) / max(np.linalg.norm(free), 1e-12)
    return f"alpha={alpha:g} adds {ks[0]:.3g} x sum(w**2); fit{how} shrinks weights to {shrink:.0%}"


@family("regularized_bias", needs=("works", "loss"))
def regularized_bias(ctx: Context, p: P) -> str:
    """With alpha > 0 neither the bias gradient nor the loss's dependence on the bias changes."""
    gd = gradient_model(ctx)
    X, y = ctx.data(p.get("data", {"generator": "logistic", "n": 20, "seed": 7, "d": 2}))
    alpha = float(p.get("alpha", 0.5))
    models = {}
    for a in (0.0, alpha):
        model, _ = gd.train(ctx, ctx.candidate, X, y, learning_rate=0.01, n_iterations=1, alpha=a)
        models[a] = model
    shapes = gd.shapes(models[0.0])
    weights = np.linspace(0.4, -0.3, int(np.prod(shapes["weights"]))).reshape(shapes["weights"])
    # a bias that is not the same for every class: a softmax ignores a common shift
    pattern = np.linspace(1.0, -0.5, int(np.prod(shapes["bias"]))).reshape(shapes["bias"])
    biases = (2.0 * pattern, -1.0 * pattern)
    db = {}
    for a, model in models.items():
        gd.set_parameters(model, weights, biases[0])
        db[a] = gd.gradient_arrays(model, X, y, shapes)["bias"]
    shown = v.show(biases[0]) if biases[0].size > 1 else "2.0"
    if not np.allclose(db[alpha], db[0.0], rtol=1e-7, atol=1e-10):
        raise Fail(
            None,
            f"with bias={shown}, db is {v.show(db[0.0])} at alpha=0 but {v.show(db[alpha])} "
            f"at alpha={alpha:g}: the L2 penalty reached the bias",
        )
    shift = {}
    for a, model in models.items():
        losses = []
        for bias in biases:
            gd.set_parameter(model, "bias", bias)
            losses.append(gd.loss(model, X, y))
        shift[a] = losses[0] - losses[1]
    if not math.isclose(shift[alpha], shift[0.0], rel_tol=1e-7, abs_tol=1e-9):
        moved = "from -1 to 2" if biases[0].size == 1 else f"from {v.show(biases[1])} to {shown}"
        raise Fail(
            None,
            f"moving the bias {moved} changes the loss by {shift[0.0]:.6g} at alpha=0 "
            f"but by {shift[alpha]:.6g} at alpha={alpha:g}: the penalty includes the bias",
        )
    return "alpha penalises the weights only"
