"""Data sets made at grade time, named in a spec's `with:` and never shown to the candidate.

A spec names data as a generator (`data: noisy` or `data: {generator: linear, n: 200}`),
or writes it out (`data: {X: [[1, 0], [0, 1]], y: [1, 0]}`). A problem module may define
generators of its own in a `DATA` dict; they are looked up before the shared ones here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from coach.arrays import generate

Data = tuple[np.ndarray, np.ndarray]


def _standard(X: np.ndarray) -> np.ndarray:
    """Columns of mean exactly 0 and standard deviation exactly 1 (scaling leaves them be)."""
    return (X - X.mean(axis=0)) / X.std(axis=0)


def logistic(n: int = 200, d: int = 3, seed: int = 0, standard: bool = False) -> Data:
    """Standard normal features with 0/1 labels drawn from a known logistic model."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X = _standard(X) if standard else X
    w = np.linspace(1.5, -1.0, d)
    p = 1 / (1 + np.exp(-(X @ w + 0.3)))
    return X, (rng.random(n) < p).astype(float)


def separable(n: int = 40, d: int = 2, seed: int = 0, scale: float = 1.0) -> Data:
    """0/1 labels given by the sign of the first feature, with a margin."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[:, 0] += np.where(X[:, 0] >= 0, 0.5, -0.5)
    return X * scale, (X[:, 0] > 0).astype(float)


def linear(
    n: int = 200,
    d: int = 3,
    seed: int = 0,
    noise: float = 0.1,
    scales: list[float] | None = None,
    offset: float = 0.0,
    standard: bool = False,
) -> Data:
    """y = X @ w + 1.5 + noise, with column `j` scaled by `scales[j]` and shifted by `offset`."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, d))
    Z = _standard(Z) if standard else Z
    w = np.linspace(2.0, -1.0, d)
    y = Z @ w + 1.5 + noise * rng.normal(size=n)
    factor = np.asarray(scales if scales is not None else np.ones(d), dtype=float)
    return Z * factor + offset, y


def correlated(n: int = 50, seed: int = 0, noise: float = 0.1) -> Data:
    """Three features, the third a copy of the first: X.T @ X is singular."""
    X, y = linear(n, 2, seed, noise)
    return np.column_stack([X, X[:, 0]]), y


def constant_column(n: int = 40, seed: int = 0, task: str = "regression") -> Data:
    """Two informative features and one that never changes (zero variance)."""
    X, y = separable(n, 2, seed) if task == "classification" else linear(n, 2, seed)
    return np.column_stack([X, np.full(n, 3.0)]), y


def blobs(
    n: int = 90,
    d: int = 2,
    k: int = 3,
    seed: int = 0,
    spread: float = 1.0,
    radius: float = 3.0,
    scale: float = 1.0,
    labels: list[int] | None = None,
) -> Data:
    """`k` Gaussian blobs whose centres sit on a circle of `radius` in the first two features
    (further features are noise), labels 0..k-1 in turn (or `labels[0..k-1]`); `spread` is
    each blob's std."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    angles = 2 * np.pi * np.arange(k) / k
    centres = np.zeros((k, d))
    centres[:, 0] = radius * np.cos(angles)
    if d > 1:
        centres[:, 1] = radius * np.sin(angles)
    X = centres[y] + spread * rng.normal(size=(n, d))
    named = np.asarray(labels, dtype=float)[y] if labels is not None else y.astype(float)
    return X * scale, named


def scattered(
    n: int = 40, d: int = 3, seed: int = 0, scale: float = 10.0, k: int = 3, offset: float = 0.0
) -> Data:
    """Points spread uniformly over a cube of half-side `scale` centred at `offset` on every
    axis, with labels drawn at random: a point's nearest neighbour says nothing of its label."""
    rng = np.random.default_rng(seed)
    X = offset + rng.uniform(-scale, scale, size=(n, d))
    return X, rng.integers(0, k, n).astype(float)


def duplicates(n: int = 6, d: int = 2, distinct: int = 2, seed: int = 0) -> Data:
    """`n` points of which only `distinct` differ (each repeated in turn): fewer distinct
    points than clusters leaves a cluster empty. The labels say which point each is."""
    rng = np.random.default_rng(seed)
    points = np.round(rng.uniform(-5, 5, size=(distinct, d)), 1)
    y = np.arange(n) % distinct
    return points[y], y.astype(float)


def elongated(
    n: int = 100,
    d: int = 4,
    seed: int = 0,
    offset: float = 0.0,
    spreads: list[float] | None = None,
    centred: bool = False,
    constant: bool = False,
) -> Data:
    """Gaussian data whose principal axes are a random rotation of the coordinate axes, with
    standard deviations `spreads` (default 4, 2, 1, 0.5, ...), centred at `offset` on every
    axis (`centred`: sample mean exactly 0; `constant`: one more feature, always 0). y is
    each point's score on the data's first principal component (of the sample, computed
    here)."""
    rng = np.random.default_rng(seed)
    sd = np.asarray(spreads if spreads is not None else 4.0 * 0.5 ** np.arange(d), dtype=float)
    rotation, _ = np.linalg.qr(rng.normal(size=(d, d)))
    Z = rng.normal(size=(n, d)) * sd
    X = Z @ rotation.T
    if centred:
        X = X - X.mean(axis=0)
    if constant:
        X = np.column_stack([X[:, :1], np.zeros(n), X[:, 1:]])
    centred_X = X - X.mean(axis=0)
    top = np.linalg.svd(centred_X, full_matrices=False)[2][0]
    return X + offset, centred_X @ top


GENERATORS: dict[str, Callable[..., Data]] = {
    "duplicates": duplicates,
    "elongated": elongated,
    "logistic": logistic,
    "separable": separable,
    "linear": linear,
    "correlated": correlated,
    "constant_column": constant_column,
    "blobs": blobs,
    "scattered": scattered,
}


def make(spec: Any, module: Any = None, **overrides: Any) -> Data:
    """The data set `spec` names (see the module docstring); `overrides` change its options."""
    if isinstance(spec, dict) and "X" in spec:
        X = np.asarray(spec["X"], dtype=float)
        return X, np.asarray(spec.get("y", np.zeros(len(X))), dtype=float)
    if isinstance(spec, str):
        name, options = spec, {}
    elif isinstance(spec, dict) and "generator" in spec:
        options = {k: v for k, v in spec.items() if k != "generator"}
        name = spec["generator"]
    else:
        raise ValueError(f"not a data set: {spec!r}")
    own = getattr(module, "DATA", {}) if module is not None else {}
    generator = own.get(name) or GENERATORS.get(name)
    if generator is None:
        raise ValueError(f"no data generator '{name}'")
    return generator(**{**options, **overrides})


def integer_labels(y: np.ndarray) -> np.ndarray:
    """Whole-number labels as an int array; anything else as it is."""
    y = np.asarray(y)
    if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
        return y.astype(int)
    return y


def make_array(spec: Any) -> Any:
    """An argument written in a spec: a list of numbers (a float array), `{ints: [...]}`
    (an integer array, e.g. labels), `{array: normal, shape: [...], seed: 1}` or
    `{array: tile, values: [...], reps: 50}` (a generated array), or any other value as it
    is (k=10 stays an int)."""
    if isinstance(spec, dict) and "ints" in spec:
        return np.asarray(spec["ints"], dtype=int)
    if isinstance(spec, dict) and "array" in spec:
        return generate(spec)
    if isinstance(spec, list):
        try:
            return np.asarray(spec, dtype=float)
        except (TypeError, ValueError):
            return spec
    return spec
