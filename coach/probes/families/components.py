"""Families for projections (PCA): the principal components, variances and scores against
the answer computed here, and the round trip back to the data. Signs of components are
never held against the candidate: each component (and its column of scores) may be flipped.

When an answer is wrong, the readings of common mistakes (data not centred, variance over n,
components in ascending order, ratios over the kept variance) are computed too, and the one
the candidate's answer matches is the mistake cited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from coach.probes import Context, Fail, family
from coach.probes import values as v
from coach.probes.evidence import warning_cause
from coach.probes.families.common import P, described
from coach.program import Model

CHECKS = ("components", "explained_variance_ratio", "transform", "orthonormal")


@dataclass(frozen=True)
class Axes:
    """A PCA answer: the mean, all d components as rows by decreasing variance, and their
    variances."""

    mean: np.ndarray
    components: np.ndarray
    variance: np.ndarray

    def kept(self, k: int) -> dict[str, np.ndarray]:
        total = self.variance.sum()
        return {
            "components": self.components[:k],
            "explained_variance": self.variance[:k],
            "explained_variance_ratio": self.variance[:k] / total
            if total > 0
            else self.variance[:k] * 0,
            "mean": self.mean,
        }


def principal_axes(
    X: np.ndarray, ddof: int = 1, centre: bool = True, ascending: bool = False
) -> Axes:
    """The answer, computed here (never in the candidate's process)."""
    mean = X.mean(axis=0) if centre else np.zeros(X.shape[1])
    centred = X - mean
    values, vectors = np.linalg.eigh(centred.T @ centred / (len(X) - ddof))
    order = np.argsort(values) if ascending else np.argsort(values)[::-1]
    return Axes(X.mean(axis=0), vectors[:, order].T, np.maximum(values[order], 0.0))


def fit_projection(ctx: Context, X: np.ndarray, k: int) -> tuple[Model, Any]:
    """The candidate's projection fitted on X with k components (an error that a defect of
    its axes explains is cited as that defect by the grader, as every crash is)."""
    model = ctx.candidate.new(n_components=k)
    return model, model.reply("fit", X, kind="call:fit")


def _up_to_sign(got: np.ndarray, want: np.ndarray, axis: int) -> float:
    """The largest gap between matching rows (axis 0) or columns (axis 1), each compared
    with the sign that fits it best."""
    if got.shape != want.shape:
        return float("inf")
    plus = np.max(np.abs(got - want), axis=axis, initial=0.0)
    minus = np.max(np.abs(got + want), axis=axis, initial=0.0)
    return float(np.max(np.minimum(plus, minus), initial=0.0))


def _read(model: Model, X: np.ndarray, field: str) -> np.ndarray:
    if field == "transform":
        return v.array(model.call("transform", X), "transform(X)")
    if field in ("orthonormal", "ordered"):
        field = "components" if field == "orthonormal" else "explained_variance"
    return v.array(model.get(field), field).astype(float)


def _expected(axes: Axes, X: np.ndarray, field: str, k: int) -> np.ndarray:
    if field == "transform":
        return (X - axes.mean) @ axes.components[:k].T
    return axes.kept(k)[field]


def _matches(field: str, got: np.ndarray, want: np.ndarray, scale: float) -> bool:
    tol = 1e-6 * scale
    if field == "components":
        return _up_to_sign(got, want, axis=1) <= 1e-6
    if field == "transform":
        return _up_to_sign(got, want, axis=0) <= tol
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=1e-6, atol=1e-9 * scale))


def _readings(X: np.ndarray, k: int) -> list[tuple[str, str, Axes | dict[str, np.ndarray]]]:
    """Common mistakes' answers: (mistake, what it is, the answer it gives)."""
    right = principal_axes(X)
    kept = right.kept(k)
    over_kept = kept["explained_variance"] / max(kept["explained_variance"].sum(), 1e-300)
    raw = principal_axes(X, centre=False)
    return [
        ("uncentered-pca", "the data was not centred (the mean was not subtracted)", raw),
        (
            "uncentered-pca",
            "transform does not subtract the mean",
            {"transform": X @ right.components[:k].T},
        ),
        ("variance-ddof", "the variance divides by n, not n - 1", principal_axes(X, ddof=0)),
        (
            "wrong-solution",
            "the components are in ascending order of variance (eigh returns them so)",
            principal_axes(X, ascending=True),
        ),
        (
            "wrong-solution",
            "each ratio divides by the kept variance, not the total over all features",
            {"explained_variance_ratio": over_kept},
        ),
        (
            "variance-ddof",
            "the total variance divides by n while the components' variances use n - 1",
            {"explained_variance_ratio": kept["explained_variance_ratio"] * len(X) / (len(X) - 1)},
        ),
    ]


@family("principal_components", needs=("works",))
def principal_components(ctx: Context, p: P) -> str:
    """The fitted components (up to sign), variances, ratios, mean and scores (`check`) are
    the answer's on the spec's data. A value that is not finite, or a numerical warning,
    cites the probe's mistake; a finite wrong value the mistake its reading shows, else
    `wrong_value` (default: the probe's)."""
    X, _ = ctx.data(p["data"])
    n, d = X.shape
    k = int(p.get("construct", {}).get("n_components", min(2, d)))
    what = described(p, f"{n} samples of {d} features")
    model, fit = fit_projection(ctx, X, k)
    cause = warning_cause(fit)
    if cause:
        raise Fail(None, f"fit on {what} {cause[1]}")
    right = principal_axes(X)
    scale = 1.0 + float(np.max(np.abs(X)))
    wrong_value = p.get("wrong_value")
    for field in p.get("check", CHECKS):
        got = _read(model, X, field)
        shown = "transform(X)" if field == "transform" else field
        if not np.all(np.isfinite(got)):
            raise Fail(None, f"on {what}, {shown} is {v.show(got)}")
        if field in ("components", "orthonormal") and got.shape != (k, d):
            _wrong_shape(ctx, what, "components", got.shape, (k, d))
        if field == "orthonormal":
            gram = got @ got.T if got.ndim == 2 else np.full((1, 1), np.nan)
            if gram.shape != (k, k) or not np.allclose(gram, np.eye(k), atol=1e-6):
                raise Fail(
                    wrong_value,
                    f"on {what}, the components are not orthonormal rows: components @ "
                    f"components.T is {v.show(gram)}, not the identity",
                )
            continue
        if field == "ordered":
            if got.ndim != 1 or np.any(np.diff(got) > 1e-9 * scale**2):
                raise Fail(
                    wrong_value,
                    f"on {what}, explained_variance is {v.show(got)}: the components must "
                    "come in decreasing order of variance",
                )
            continue
        want = _expected(right, X, field, k)
        if _matches(field, got, want, scale):
            continue
        if got.shape != want.shape:
            _wrong_shape(ctx, what, shown, got.shape, want.shape)
        defect = ctx.adapter.defect(ctx)
        message = f"on {what}, {shown} is {v.show(got)}; expected {v.show(want)}" + (
            " (each component up to its sign)" if field in ("components", "transform") else ""
        )
        for mistake, why, answer in _readings(X, k):
            other = answer if isinstance(answer, dict) else None
            alternative = other.get(field) if other is not None else _expected(answer, X, field, k)  # type: ignore[arg-type]
            if alternative is not None and _matches(field, got, alternative, scale):
                raise Fail(mistake, f"{message}: {why}")
        if defect:
            raise Fail(defect[0], f"{message}; {defect[1]}")
        raise Fail(wrong_value, message)
    return f"on {what}: " + ", ".join(p.get("check", CHECKS)) + " as expected"


def _wrong_shape(
    ctx: Context, what: str, shown: str, got: tuple[int, ...], want: tuple[int, ...]
) -> None:
    """Fail for a value of the wrong shape: wrong-axis when the model's axes are at fault,
    else the interface (components as columns, say)."""
    defect = ctx.adapter.defect(ctx)
    if defect:
        raise Fail(defect[0], f"on {what}, {shown} has shape {got}; {defect[1]}")
    columns = " (one column per component: rows are asked)" if got == want[::-1] else ""
    raise Fail("api-contract", f"on {what}, {shown} has shape {got}, expected {want}{columns}")


@family("round_trip", needs=("works",))
def round_trip(ctx: Context, p: P) -> str:
    """inverse_transform(transform(X)) gives X back with every component, and with fewer
    the projection of X onto the kept components (the candidate's own)."""
    X, _ = ctx.data(p["data"])
    n, d = X.shape
    done = []
    for k in (d, int(p.get("fewer", max(1, d - 2)))):
        model, _ = fit_projection(ctx, X, k)
        back = v.array(
            model.call("inverse_transform", model.call("transform", X)),
            "inverse_transform(transform(X))",
        )
        if k == d:
            expected, what = X, f"with all {d} components"
        else:
            C = _read(model, X, "components")
            if C.shape != (k, d):
                _wrong_shape(ctx, f"{n} samples", "components", C.shape, (k, d))
            mean = X.mean(axis=0)
            expected, what = mean + (X - mean) @ C.T @ C, f"with {k} of {d} components"
            if not np.allclose(back, expected, atol=1e-6 * (1 + float(np.max(np.abs(X))))):
                if back.shape == X.shape and np.allclose(back, X @ C.T @ C, atol=1e-6):
                    raise Fail(
                        "uncentered-pca",
                        f"{what}, inverse_transform(transform(X)) gave {v.show(back)}, the "
                        "projection of X through the origin: the mean is neither subtracted "
                        "nor added back",
                    )
        scale = 1.0 + float(np.max(np.abs(X)))
        if back.shape == expected.shape and np.allclose(back, expected, atol=1e-6 * scale):
            done.append(what)
            continue
        message = (
            f"{what}, inverse_transform(transform(X)) gave {v.show(back)}; expected "
            f"{v.show(expected)}"
        )
        if back.shape == expected.shape and np.allclose(
            back + X.mean(axis=0), expected, atol=1e-6 * scale
        ):
            message += ": inverse_transform does not add the mean back"
        same = back.shape == expected.shape
        if same and np.allclose(back - X.mean(axis=0), expected, atol=1e-6 * scale):
            raise Fail(
                "uncentered-pca",
                f"{message}: transform does not subtract the mean that inverse_transform adds",
            )
        raise Fail(None, message)
    return "the round trip gives X back " + " and its projection ".join(done)
