"""Families of multi-class probabilities: wrong_axis (rows that sum to 1, one per sample)
and absent_classes (labels missing from the data or from a batch)."""

from __future__ import annotations

import numpy as np

from coach.probes import Context, Fail, family
from coach.probes import values as v
from coach.probes.families.common import P, gradient_model, settings_of
from coach.probes.families.edges import edge_failure, edge_fit, edge_outputs
from coach.sandbox import CallFailed


@family("wrong_axis", needs=("works",))
def wrong_axis(ctx: Context, p: P) -> str:
    """predict_proba gives each sample a row that sums to 1 and depends on that sample
    alone, on a square batch too (as many samples as classes and features), where a softmax
    over the wrong axis raises nothing."""
    gd = ctx.adapter
    X, y = ctx.data(p.get("data", {"generator": "blobs", "n": 60, "d": 3, "k": 3, "seed": 21}))
    k = int(y.max()) + 1
    settings = settings_of(p, learning_rate=0.5, n_iterations=50)
    model, _ = gd.train(ctx, ctx.candidate, X, y, **settings)
    square = X[:k]
    got = gd.outputs(model, square, k)
    what = f"a square batch ({k} samples, {k} classes, {X.shape[1]} features)"
    sums = got.sum(axis=1)
    if not np.allclose(sums, 1.0, atol=1e-6):
        seen = f"on {what} the rows of predict_proba sum to {v.show(sums)}, not 1"
        if np.allclose(got.sum(axis=0), 1.0, atol=1e-6):
            raise Fail(
                None,
                f"{seen}, and its columns to 1: the softmax normalises over the samples "
                "(axis 0) instead of the classes (axis 1)",
            )
        raise Fail(
            "wrong-solution",
            f"{seen}, nor do its columns: each row must be divided by exactly its own sum",
        )
    for i in range(k):
        alone = gd.outputs(model, square[i : i + 1], 1)[0]
        if not np.allclose(alone, got[i], atol=1e-6):
            raise Fail(
                None,
                f"on {what} row {i} is {v.show(got[i])}, but {v.show(alone)} when predicted "
                "alone: a row's softmax must use only that row (a max or sum over axis 0 "
                "mixes the samples)",
            )
    return f"rows sum to 1 and stand alone, on {what}"


@family("absent_classes", needs=("works", "loss"))
def absent_classes(ctx: Context, p: P) -> str:
    """A class that never occurs: fit on labels {0, 2} predicts those labels, and loss()
    and gradients() on a batch without the top class keep the model's number of classes."""
    gd = gradient_model(ctx)
    X, y = ctx.data(p.get("data", {"generator": "blobs", "n": 60, "d": 2, "k": 3, "seed": 22}))
    top = int(y.max())
    # a batch that lacks the top class, scored by a model fitted on every class
    model, _ = edge_fit(ctx, X, y, "three classes", p)
    batch = y != top
    what = f"a batch of labels {sorted({int(c) for c in y[batch]})} (no class {top})"
    shapes = gd.shapes(model)
    ref, _ = gd.train(ctx, ctx.reference, X, y, learning_rate=0.01, n_iterations=1)
    for name, value in gd.parameters(model).items():
        gd.set_parameter(ref, name, value)
    try:
        mine = gd.loss(model, X[batch], y[batch])
        grads = gd.gradient_arrays(model, X[batch], y[batch], shapes)
    except CallFailed as exc:
        raise edge_failure(exc, f"loss and gradients on {what}", ctx.candidate) from None
    except Fail as fail:
        gd.gradient_arrays(model, X, y, shapes)  # wrong on every batch: the interface's fault
        raise Fail(None, f"on {what}: {fail.message}") from None
    theirs = gd.loss(ref, X[batch], y[batch]) * gd.loss_convention(ctx).scale(int(batch.sum()))
    if not np.isclose(mine, theirs, rtol=1e-4, atol=1e-9) or not all(  # an eps in a log is fine
        np.all(np.isfinite(g)) for g in grads.values()
    ):
        raise Fail(
            None,
            f"on {what} loss(X, y) returned {mine:.6g} where the model's loss is {theirs:.6g}: "
            "the one-hot labels must have the model's classes, not the batch's",
        )
    # a middle label absent from the training data
    keep = y != 1
    X2, y2 = X[keep], y[keep]
    seen = f"training labels {sorted({int(c) for c in y2})} (class 1 never occurs)"
    model2, fit2 = edge_fit(ctx, X2, y2, seen, p)
    labels = edge_outputs(ctx, model2, X2, seen)
    accuracy = float(np.mean(labels == y2))
    if accuracy < 0.9:
        message = f"with {seen}, predict gave {v.show(labels)} ({accuracy:.0%} right)"
        raise gd.fail_fit(ctx, model2, fit2, message)
    return f"keeps the model's classes on {what} and fits {seen}"
