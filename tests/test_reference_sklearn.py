"""The reference solutions agree with scikit-learn (logistic: LogisticRegression with a huge C;
linear: LinearRegression and Ridge).

The reference is the project's own code, so it is imported here directly (no worker).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

sklearn_linear = pytest.importorskip("sklearn.linear_model")

REFERENCE = (
    Path(__file__).resolve().parent.parent / "reference_solutions" / "logistic_regression.py"
)


def load_reference() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference_logistic_regression", REFERENCE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def logistic_data(n: int, d: int, seed: int, bias: float = 0.3, scale: float = 1.0):
    """Labels drawn from a logistic model: not separable, so the optimum is unique."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * scale
    w = np.linspace(1.0, -0.8, d) / scale
    p = 1 / (1 + np.exp(-(X @ w + bias)))
    return X, (rng.random(n) < p).astype(float)


def correlated_data(n: int, seed: int):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n, 1))
    X = np.hstack([base, 0.7 * base + 0.3 * rng.normal(size=(n, 1)), rng.normal(size=(n, 1))])
    p = 1 / (1 + np.exp(-(1.2 * X[:, 0] - 0.5 * X[:, 2] - 0.4)))
    return X, (rng.random(n) < p).astype(float)


DATASETS = {
    "3 features": logistic_data(300, 3, seed=21),
    "1 feature, offset": logistic_data(200, 1, seed=22, bias=-1.0),
    "6 features": logistic_data(500, 6, seed=23),
    "correlated": correlated_data(400, seed=24),
}


@pytest.mark.parametrize("name", list(DATASETS))
def test_reference_agrees_with_scikit_learn(name: str) -> None:
    X, y = DATASETS[name]
    ours = load_reference().LogisticRegression(learning_rate=1.0, n_iterations=5000).fit(X, y)
    theirs = sklearn_linear.LogisticRegression(C=1e10, tol=1e-12, max_iter=100_000).fit(X, y)

    X_test = np.vstack([X, np.random.default_rng(99).normal(size=(100, X.shape[1]))])
    np.testing.assert_allclose(
        ours.predict_proba(X_test), theirs.predict_proba(X_test)[:, 1], atol=1e-3
    )
    clear = np.abs(theirs.predict_proba(X_test)[:, 1] - 0.5) > 1e-3  # no ties at the boundary
    np.testing.assert_array_equal(ours.predict(X_test)[clear], theirs.predict(X_test)[clear])
    np.testing.assert_allclose(ours.weights, theirs.coef_.ravel(), atol=1e-2)
    assert ours.bias == pytest.approx(theirs.intercept_[0], abs=1e-2)


def load_linear() -> ModuleType:
    path = REFERENCE.with_name("linear_regression.py")
    spec = importlib.util.spec_from_file_location("reference_linear_regression", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def linear_data(n: int, d: int, seed: int, scales: tuple[float, ...] | None = None):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * np.asarray(scales or (1.0,) * d)
    y = X @ rng.normal(size=d) + 0.7 + 0.1 * rng.normal(size=n)
    return X, y


LINEAR_DATASETS = {
    "3 features": linear_data(120, 3, seed=31),
    "1 feature": linear_data(40, 1, seed=32),
    "scales 1 and 1000": linear_data(200, 2, seed=33, scales=(1.0, 1000.0)),
}


@pytest.mark.parametrize("method", ["gradient_descent", "normal"])
@pytest.mark.parametrize("name", list(LINEAR_DATASETS))
def test_linear_reference_agrees_with_scikit_learn(name: str, method: str) -> None:
    X, y = LINEAR_DATASETS[name]
    ours = load_linear().LinearRegression(method=method, n_iterations=5000).fit(X, y)
    theirs = sklearn_linear.LinearRegression().fit(X, y)
    np.testing.assert_allclose(ours.weights, theirs.coef_, rtol=1e-4, atol=1e-8)
    assert ours.bias == pytest.approx(theirs.intercept_, rel=1e-4, abs=1e-6)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("method", ["gradient_descent", "normal"])
def test_linear_reference_with_a_penalty_is_ridge(method: str) -> None:
    X, y = linear_data(150, 3, seed=34)
    X = (X - X.mean(axis=0)) / X.std(axis=0)  # on standardised features both agree exactly
    alpha = 0.05
    ours = load_linear().LinearRegression(method=method, alpha=alpha, n_iterations=5000).fit(X, y)
    # ours: (1/2n)|r|^2 + alpha |w|^2; scikit-learn's Ridge: |r|^2 + alpha' |w|^2
    theirs = sklearn_linear.Ridge(alpha=2 * len(y) * alpha).fit(X, y)
    np.testing.assert_allclose(ours.weights, theirs.coef_, rtol=1e-5)
    assert ours.bias == pytest.approx(theirs.intercept_, rel=1e-6)
