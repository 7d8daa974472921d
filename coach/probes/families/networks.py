"""Families for neural networks: probabilities and loss at extreme scores, the start the
weights are given (symmetric or too large), and any layer sizes."""

from __future__ import annotations

import math

import numpy as np

from coach.probes import Context, Fail, family
from coach.probes import values as v
from coach.probes.evidence import warning_cause
from coach.probes.families.common import P, gradient_model, settings_of
from coach.probes.families.edges import edge_failure
from coach.program import Model
from coach.sandbox import CallFailed


def _trained(ctx: Context, p: P, **defaults: float) -> tuple[Model, np.ndarray, np.ndarray]:
    gd = gradient_model(ctx)
    X, y = ctx.data(p["data"])
    model, _ = gd.train(ctx, ctx.candidate, X, y, **settings_of(p, **defaults))
    return model, X, y


@family("network_overflow", needs=("works",))
def network_overflow(ctx: Context, p: P) -> str:
    """After training, inputs `scale` times larger give scores in the thousands:
    predict_proba stays finite, in [0, 1], rows summing to 1, with no overflow."""
    model, X, _ = _trained(ctx, p, learning_rate=0.5, n_iterations=50)
    scale = float(p.get("scale", 1e4))
    big = X * scale
    seen = f"predict_proba(X * {scale:g}) after training (scores in the thousands)"
    try:
        prob = v.array(model.call("predict_proba", big), "predict_proba(X)")
    except CallFailed as exc:
        if "overflow" in exc.message.lower():
            raise Fail(None, f"{seen} raised {exc.describe()}") from None
        raise
    cause = warning_cause(model.last)
    defect = gradient_model(ctx).defect(ctx) if cause else None
    if defect:  # a sigmoid's exp overflowing in the hidden layers: not the softmax's
        raise Fail(defect[0], f"{seen} {cause[1] if cause else ''}; {defect[1]}")
    if cause and cause[0] in ("exp-overflow", "division-by-zero"):
        raise Fail(None, f"{seen} {cause[1]}: subtract each row's max before exp")
    if prob.ndim != 2 or prob.shape[0] != len(big):
        raise Fail("api-contract", f"{seen} returned shape {prob.shape}")
    sums = prob.sum(axis=1)
    if not np.all(np.isfinite(prob)) or not np.allclose(sums, 1.0, atol=1e-6):
        raise Fail(None, f"{seen} returned rows {v.show(prob[:3])} (sums {v.show(sums[:3])})")
    return f"{seen} is finite and each row sums to 1"


@family("network_log_zero", needs=("works", "loss"))
def network_log_zero(ctx: Context, p: P) -> str:
    """After training, inputs `scale` times larger saturate the probabilities at 0 and 1:
    the loss of labels whose probability is 0 stays finite (large), with no log of 0 and no
    overflow."""
    gd = gradient_model(ctx)
    model, X, y = _trained(ctx, p, learning_rate=0.5, n_iterations=50)
    scale = float(p.get("scale", 1e4))
    classes = int(p["construct"]["layer_sizes"][-1])
    wrong = (y + 1) % classes  # labels the network gives a probability of exactly 0
    seen = (
        f"loss(X * {scale:g}, y) after training, with labels the network is sure are wrong "
        "(their probabilities are exactly 0)"
    )
    try:
        value = gd.loss(model, X * scale, wrong)
    except CallFailed as exc:
        if "log" in exc.message or "overflow" in exc.message.lower():
            raise Fail(None, f"{seen} raised {exc.describe()}") from None
        raise
    cause = warning_cause(model.last)
    if cause and cause[0] == "exp-overflow":  # the softmax's fault, cited as such
        raise Fail("unstable-softmax", f"{seen} {cause[1]}: subtract each row's max before exp")
    if cause and cause[0] == "log-of-zero":
        raise Fail(None, f"{seen} {cause[1]}")
    if not math.isfinite(value):
        raise Fail(None, f"{seen} returned {value}: compute it from log-softmax, or clip")
    return f"{seen} is finite ({value:.4g})"


def _units_identical(layer: np.ndarray, fan_in: int, fan_out: int) -> bool:
    """Whether every unit of a layer has the same incoming weights, in either layout."""
    if layer.shape == (fan_in, fan_out) and fan_out > 1 and np.allclose(layer, layer[:, :1]):
        return True
    return layer.shape == (fan_out, fan_in) and fan_out > 1 and np.allclose(layer, layer[:1])


@family("symmetric_start", needs=("works",))
def symmetric_start(ctx: Context, p: P) -> str:
    """After training, the hidden units of each layer differ: weights started all zero or
    all equal keep every unit identical (they get identical gradients)."""
    model, X, _ = _trained(ctx, p, learning_rate=0.1, n_iterations=20)
    sizes = [int(s) for s in p["construct"]["layer_sizes"]]
    layers = model.get("weights")
    if not isinstance(layers, (list, tuple)) or len(layers) != len(sizes) - 1:
        raise Fail("api-contract", f"weights is {v.show(layers)}, not {len(sizes) - 1} arrays")
    for i, layer in enumerate(layers[:-1]):
        W = v.array(layer, f"weights[{i}]")
        if _units_identical(W, sizes[i], sizes[i + 1]):
            raise Fail(
                None,
                f"after training, the {sizes[i + 1]} hidden units of layer {i} have identical "
                f"weights (weights[{i}] = {v.show(W)}): started equal, they get equal "
                "gradients forever; draw the start at random",
            )
    return "hidden units differ after training: the start breaks the symmetry"


@family("start_scale", needs=("works", "loss"))
def start_scale(ctx: Context, p: P) -> str:
    """A deep network's loss at its start is of the order of log K, not thousands (weights
    too large blow the signal up layer by layer), and training it stays finite."""
    gd = gradient_model(ctx)
    X, y = ctx.data(p["data"])
    classes = int(p["construct"]["layer_sizes"][-1])
    extra = p.get("construct", {})
    start, _ = gd.train(ctx, ctx.candidate, X, y, learning_rate=1e-12, n_iterations=1, **extra)
    scale = gd.loss_convention(ctx).scale(len(y))
    first = gd.loss(start, X, y) / scale
    bound = float(p.get("bound", 1000.0)) * math.log(classes)
    if not math.isfinite(first) or first > bound:
        raise Fail(
            None,
            f"the untrained network's loss is {first:.4g} (log K is {math.log(classes):.3g}): the "
            "start is too large for the depth; scale it as sqrt(2 / fan_in) (He)",
        )
    model, fit = gd.train(
        ctx, ctx.candidate, X, y, **settings_of(p, learning_rate=0.05, n_iterations=30)
    )
    cause = warning_cause(fit)
    values = gd.history(model, at_least=1)
    if (cause and cause[0] == "exp-overflow") or not np.all(np.isfinite(values)):
        said = cause[1] if cause else f"its loss history became {v.show(values)}"
        raise Fail(None, f"training the deep network {said}")
    return f"starts at loss {first:.4g} and trains without overflow"


@family("network_shapes", needs=("works",))
def network_shapes(ctx: Context, p: P) -> str:
    """Any layer sizes (one hidden unit, several hidden layers): a list of weights per
    layer, and probabilities of K columns summing to 1 after fit."""
    gd = gradient_model(ctx)
    done = []
    for sizes in p["sizes"]:
        d, K = int(sizes[0]), int(sizes[-1])
        X, y = ctx.data({"generator": "blobs", "n": 30, "d": d, "k": K, "seed": 70 + len(done)})
        what = f"layer_sizes={tuple(sizes)}"
        try:
            model, _ = gd.train(
                ctx,
                ctx.candidate,
                X,
                y,
                learning_rate=0.01,  # two small steps: the shapes are the question here
                n_iterations=2,
                layer_sizes=list(sizes),
                random_state=0,
            )
            prob = v.array(model.call("predict_proba", X), "predict_proba(X)", "edge-case")
            layers = model.get("weights")
        except CallFailed as exc:
            raise edge_failure(exc, f"a network with {what}", ctx.candidate) from None
        if not isinstance(layers, (list, tuple)) or len(layers) != len(sizes) - 1:
            count = len(layers) if isinstance(layers, (list, tuple)) else "not a list of"
            raise Fail(None, f"with {what}, weights holds {count} arrays, not {len(sizes) - 1}")
        if prob.shape != (len(X), K) or not np.allclose(prob.sum(axis=1), 1.0, atol=1e-6):
            raise Fail(
                None, f"with {what}, predict_proba returned shape {prob.shape}: {v.show(prob[:2])}"
            )
        done.append(what)
    return "works with " + ", ".join(done)
