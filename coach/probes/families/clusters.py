"""Families for clusterings (k-means): the known partition, the reference's inertia, empty
clusters, an objective that never rises, the objective's value and the extreme numbers of
clusters. Clusters are compared up to relabelling everywhere, and the
objective is computed here from the candidate's centroids, not read from it."""

from __future__ import annotations

from typing import Any

import numpy as np

from coach.probes import Context, Fail, Skip, family
from coach.probes import values as v
from coach.probes.adapters import same_partition
from coach.probes.evidence import cause_key
from coach.probes.families.common import P, described
from coach.probes.families.edges import edge_failure
from coach.program import Model
from coach.results import Status
from coach.sandbox import ApiMissing, CallFailed, CallTimedOut, Reply

OPTIONAL = ("random_state", "max_iter", "tol")  # left at the candidate's default if absent


def fit_clusters(ctx: Context, X: np.ndarray, **settings: Any) -> tuple[Model, Reply]:
    """A clustering of the candidate's fitted on X with the given settings."""
    model = ctx.candidate.new(optional=OPTIONAL, **settings)
    return model, model.reply("fit", X, kind="call:fit")


def centroids_of(model: Model, k: int, d: int, mistake: str = "api-contract") -> np.ndarray:
    """The fitted centroids as a (k, d) float array."""
    got = v.array(model.get("centroids"), "centroids", mistake)
    if got.shape != (k, d):
        raise Fail(mistake, f"centroids has shape {got.shape}, expected ({k}, {d})")
    return got.astype(float)


def squared_distances(X: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    return np.sum((X[:, None, :] - centroids[None, :, :]) ** 2, axis=2)


def inertia_of(X: np.ndarray, centroids: np.ndarray) -> float:
    """The k-means objective of these centroids: each point's squared distance to the
    nearest, summed (inf when a centroid is not finite)."""
    if not np.all(np.isfinite(centroids)):
        return float("inf")
    return float(squared_distances(X, centroids).min(axis=1).sum())


def _seeds(p: P, default: int) -> list[int]:
    return [int(s) for s in p.get("seeds", range(default))]


def _best_run(
    ctx: Context, X: np.ndarray, k: int, seeds: list[int], construct: P
) -> tuple[float, int, Model, Reply, np.ndarray]:
    """The run of lowest inertia over the seeds (as n_init restarts would keep)."""
    best: tuple[float, int, Model, Reply, np.ndarray] | None = None
    for seed in seeds:
        model, fit = fit_clusters(ctx, X, **construct, random_state=seed)
        centroids = centroids_of(model, k, X.shape[1])
        cost = inertia_of(X, centroids)
        if best is None or cost < best[0]:
            best = (cost, seed, model, fit, centroids)
    assert best is not None
    return best


@family("known_partition", needs=("works",))
def known_partition(ctx: Context, p: P) -> str:
    """Far-apart blobs: the best of several seeded runs finds the true clusters (up to
    relabelling), each centroid the mean of its cluster's points."""
    gd = ctx.adapter
    X, truth = ctx.data(p["data"])
    construct = dict(p.get("construct", {}))
    k = int(construct.get("n_clusters", len(np.unique(truth))))
    construct["n_clusters"] = k
    seeds = _seeds(p, 10)
    cost, seed, model, fit, centroids = _best_run(ctx, X, k, seeds, construct)
    what = described(p, f"{k} far-apart blobs ({len(X)} points)")
    run = f"the best of {len(seeds)} runs (random_state={seed}, inertia {cost:.4g})"
    got = gd.labels(model, X, len(X))
    share = same_partition(got, truth)
    if share < 1.0:
        wrong = round((1 - share) * len(X))
        raise gd.fail_fit(
            ctx,
            model,
            fit,
            f"on {what}, {run} put {wrong} of {len(X)} points in another cluster than their "
            f"blob's (predict gave {v.show(got)})",
        )
    for j in np.unique(got):
        members = X[got == j]
        if int(j) >= k:
            raise Fail("api-contract", f"predict gave cluster {int(j)} with only {k} clusters")
        gap = float(np.max(np.abs(centroids[int(j)] - members.mean(axis=0))))
        if not gap <= 1e-6 * (1 + float(np.max(np.abs(X)))):
            raise gd.fail_fit(
                ctx,
                model,
                fit,
                f"on {what}, {run} found the clusters but centroid {int(j)} is "
                f"{v.show(centroids[int(j)])}, not the mean of its points "
                f"{v.show(members.mean(axis=0))}",
            )
    return f"finds the {k} clusters of {what}, each centroid the mean of its points"


def _reference_centroids(
    ctx: Context, X: np.ndarray, k: int, seed: int, construct: P
) -> np.ndarray:
    model = ctx.reference.new(**construct, random_state=seed)
    model.call("fit", X)
    return centroids_of(model, k, X.shape[1])


@family("reference_inertia", needs=("works",))
def reference_inertia(ctx: Context, p: P) -> str:
    """On hidden data, the best inertia over a few seeds is within `tolerance` of the
    reference's best, and predict gives each new point its nearest centroid."""
    gd = ctx.adapter
    X, _ = ctx.data(p["data"])
    X_test, _ = ctx.data(p.get("test", p["data"]), seed=int(p.get("test_seed", 99)))
    construct = dict(p.get("construct", {}))
    k = int(construct.get("n_clusters", gd.default("n_clusters", 3)))
    construct["n_clusters"] = k
    seeds = _seeds(p, 5)
    expected = min(inertia_of(X, _reference_centroids(ctx, X, k, s, construct)) for s in seeds)
    cost, seed, model, fit, centroids = _best_run(ctx, X, k, seeds, construct)
    tol = float(p.get("tolerance", 0.01))
    if not cost <= expected * (1 + tol):
        raise gd.fail_fit(
            ctx,
            model,
            fit,
            f"on hidden data ({len(X)} points, {X.shape[1]} features, k={k}) the best of "
            f"{len(seeds)} runs reaches inertia {cost:.6g} (random_state={seed}); the reference "
            f"reaches {expected:.6g} ({tol:.0%} allowed)",
        )
    nearest = np.argmin(squared_distances(X, centroids), axis=1)
    for j in np.unique(nearest):
        mean = X[nearest == j].mean(axis=0)
        if not np.allclose(centroids[j], mean, rtol=0, atol=1e-6 * (1 + float(np.max(np.abs(X))))):
            raise gd.fail_fit(
                ctx,
                model,
                fit,
                f"on hidden data with tol=0, fit ended with centroid {int(j)} at "
                f"{v.show(centroids[j])}, not the mean of its points {v.show(mean)}: it "
                "stopped before the assignments settled",
            )
    got = gd.labels(model, X_test, len(X_test))
    d2 = squared_distances(X_test, centroids)
    rows = np.arange(len(X_test))
    worse = np.flatnonzero((got >= k) | (d2[rows, np.minimum(got, k - 1)] > d2.min(axis=1) + 1e-9))
    if worse.size:
        i = int(worse[0])
        raise Fail(
            None,
            f"predict gave {worse.size} of {len(X_test)} new points a cluster whose centroid "
            f"is not the nearest (point {i}: cluster {got[i]}, nearest {int(np.argmin(d2[i]))})",
        )
    return f"inertia {cost:.6g}, the reference's {expected:.6g}; predict is the nearest centroid"


@family("empty_cluster", needs=("works",))
def empty_cluster(ctx: Context, p: P) -> str:
    """Data with fewer distinct points than clusters, and starts likely to leave a cluster
    empty: fit and predict raise nothing, warn nothing, and every centroid is finite."""
    checked = []
    for case in p["cases"]:
        X, _ = ctx.data(case["data"])
        k = int(case["n_clusters"])
        what = str(case.get("what", f"{len(X)} points with k={k}"))
        for seed in _seeds(case, 5):
            doing = f"fit on {what} (random_state={seed})"
            try:
                model, fit = fit_clusters(ctx, X, n_clusters=k, random_state=seed)
                centroids = centroids_of(model, k, X.shape[1], mistake="empty-cluster")
                labels = model.reply("predict", X)
            except (ApiMissing, CallTimedOut) as exc:
                raise edge_failure(exc, doing, ctx.candidate) from None
            except CallFailed as exc:  # on this data, whatever it raised is the probe's fault
                message = f"{doing} raised {exc.describe()}"
                raise Fail(None, message, Status.ERROR, cause=cause_key(exc)) from None
            for reply, doing_now in ((fit, doing), (labels, f"predict after {doing}")):
                numeric = [w for w in reply.warnings if w.get("category") == "RuntimeWarning"]
                if numeric:
                    w = numeric[0]
                    line = f" (line {w['line']})" if isinstance(w.get("line"), int) else ""
                    raise Fail(None, f"{doing_now} warned '{w.get('message')}'{line}")
            bad = np.flatnonzero(~np.all(np.isfinite(centroids), axis=1))
            if bad.size:
                raise Fail(
                    None,
                    f"after {doing}, centroid {int(bad[0])} is {v.show(centroids[bad[0]])}: "
                    "the mean of an empty cluster",
                )
            v.class_labels(labels.value, len(X), "predict(X)", "empty-cluster")
        checked.append(what)
    return "no nan and no warning with " + "; ".join(checked)


@family("objective_monotonic", needs=("works",))
def objective_monotonic(ctx: Context, p: P) -> str:
    """With the same random_state, runs of 1, 2, ... iterations have an inertia (computed
    here from their centroids) that never rises."""
    X, _ = ctx.data(p["data"])
    k = int(p.get("n_clusters", 3))
    seed = int(p.get("seed", 0))
    steps = int(p.get("steps", 6))
    setting = str(p.get("setting", "max_iter"))
    d = X.shape[1]

    def run(t: int) -> np.ndarray:
        model, _ = fit_clusters(ctx, X, n_clusters=k, random_state=seed, **{setting: t, "tol": 0.0})
        return centroids_of(model, k, d)

    # after one round two runs differ unless seeded (after many they may meet anyway)
    if not (np.array_equal(run(1), run(1)) and np.array_equal(run(steps), run(steps))):
        raise Skip(
            f"runs with random_state={seed} end at different centroids, so runs of different "
            "lengths cannot be compared (see the random_state probe)"
        )
    costs = [inertia_of(X, run(t)) for t in range(1, steps + 1)]
    for t in range(1, steps):
        if costs[t] > costs[t - 1] * (1 + 1e-9) + 1e-12:
            raise Fail(
                None,
                f"with random_state={seed}, the inertia after {setting}={t} is "
                f"{costs[t - 1]:.6g} and after {setting}={t + 1} it is {costs[t]:.6g}: an "
                "iteration made the clusters worse (each assignment and each mean must "
                "lower it or leave it)",
            )
    return f"inertia never rose over {setting}=1..{steps}: {costs[0]:.5g} -> {costs[-1]:.5g}"


@family("objective_value", needs=("works",))
def objective_value(ctx: Context, p: P) -> str:
    """`inertia` is the sum over the points of the squared distance to their own centroid."""
    X, _ = ctx.data(p["data"])
    k = int(p.get("n_clusters", 3))
    model, _ = fit_clusters(ctx, X, n_clusters=k, random_state=int(p.get("seed", 0)))
    centroids = centroids_of(model, k, X.shape[1])
    labels = v.class_labels(model.get("labels"), len(X), "labels")
    if np.any((labels < 0) | (labels >= k)):
        raise Fail("api-contract", f"labels holds {v.show(labels)}, not cluster indices 0..{k - 1}")
    got = v.scalar(model.get("inertia"), "inertia")
    gaps = X - centroids[labels]
    expected = float(np.sum(gaps**2))
    if np.isclose(got, expected, rtol=1e-6, atol=1e-9):
        return _objective_when_cut_short(ctx, p, X, k) or (
            f"inertia {got:.6g} is the sum of squared distances to the centroids"
        )
    readings = {
        "the sum of the distances, not of their squares": float(
            np.sum(np.sqrt(np.sum(gaps**2, 1)))
        ),
        "a mean over the points, not a sum": expected / len(X),
        "the square root of the sum": float(np.sqrt(expected)),
    }
    said = next((why for why, x in readings.items() if np.isclose(got, x, rtol=1e-6)), "")
    raise Fail(
        None,
        f"inertia is {got:.6g}; the squared distances of the {len(X)} points to the centroids of "
        f"their labels sum to {expected:.6g}" + (f": it is {said}" if said else ""),
    )


def _objective_when_cut_short(ctx: Context, p: P, X: np.ndarray, k: int) -> str:
    """After a fit stopped by max_iter before converging, inertia still belongs to the final
    centroids and labels (not to the centroids of the round before)."""
    model, _ = fit_clusters(
        ctx, X, n_clusters=k, random_state=int(p.get("seed", 0)), max_iter=2, tol=0.0
    )
    centroids = centroids_of(model, k, X.shape[1])
    labels = v.class_labels(model.get("labels"), len(X), "labels")
    got = v.scalar(model.get("inertia"), "inertia")
    expected = float(np.sum((X - centroids[np.clip(labels, 0, k - 1)]) ** 2))
    if np.isclose(got, expected, rtol=1e-6, atol=1e-9):
        return ""
    raise Fail(
        None,
        f"after a fit cut short by max_iter=2, inertia is {got:.6g} but the final centroids "
        f"and labels give {expected:.6g}: compute inertia from the centroids fit ends with",
    )


@family("extreme_k", needs=("works",))
def extreme_k(ctx: Context, p: P) -> str:
    """k = 1 (one centroid: the mean) and k = n (every point its own cluster: the
    centroids leave no inertia). The inertia attribute has a probe of its own."""
    X, _ = ctx.data(p["data"])
    n, d = X.shape
    k = n if p.get("k") == "n" else int(p.get("k", 1))
    what = f"k={k} on {n} distinct points"
    try:
        model, _ = fit_clusters(ctx, X, n_clusters=k, random_state=int(p.get("seed", 0)))
        centroids = centroids_of(model, k, d, mistake="edge-case")
        got = ctx.adapter.labels(model, X, n, mistake="edge-case")
    except CallFailed as exc:
        raise edge_failure(exc, f"k-means with {what}", ctx.candidate) from None
    if k == 1:
        expected = X.mean(axis=0)
        if not np.allclose(centroids[0], expected, atol=1e-9) or np.any(got != got[0]):
            raise Fail(
                None,
                f"with {what}, the centroid is {v.show(centroids[0])} and predict gave "
                f"{v.show(got)}; expected the mean {v.show(expected)} and one cluster",
            )
        return f"{what}: the mean, one cluster"
    cost = inertia_of(X, centroids)
    if len(np.unique(got)) != n or not cost <= 1e-9:
        raise Fail(
            None,
            f"with {what}, predict gave {v.show(got)} and the centroids leave an inertia of "
            f"{cost:.4g}; expected each point in a cluster of its own (inertia 0)",
        )
    return f"{what}: every point its own cluster, inertia 0"
