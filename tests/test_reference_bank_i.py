"""The references of softmax regression, KNN and the numerics drills agree with scikit-learn
and SciPy (test-only dependencies). Each reference is the project's own code, imported here
directly (no worker)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

special = pytest.importorskip("scipy.special")
distance = pytest.importorskip("scipy.spatial.distance")
sklearn_linear = pytest.importorskip("sklearn.linear_model")
sklearn_neighbors = pytest.importorskip("sklearn.neighbors")

REFERENCES = Path(__file__).resolve().parent.parent / "reference_solutions"


def load(problem: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"reference_{problem}", REFERENCES / f"{problem}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def blobs(n: int, d: int, k: int, seed: int, spread: float) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping classes, so the unpenalised optimum is finite and unique."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    centres = rng.normal(0, 2.0, size=(k, d))
    return centres[y] + spread * rng.normal(size=(n, d)), y


# -- softmax regression against multinomial LogisticRegression (no penalty to speak of) ----
@pytest.mark.parametrize(("d", "k", "seed"), [(2, 3, 1), (4, 3, 2), (3, 5, 3), (2, 4, 4)], ids=str)
def test_softmax_probabilities_agree_with_scikit_learn(d: int, k: int, seed: int) -> None:
    X, y = blobs(300, d, k, seed, spread=3.0)
    theirs = sklearn_linear.LogisticRegression(C=1e10, tol=1e-12, max_iter=100_000).fit(X, y)
    ours = load("softmax_regression").SoftmaxRegression(learning_rate=0.3, n_iterations=3000)
    ours.fit(X, y)
    X_new, _ = blobs(100, d, k, seed + 100, spread=3.0)
    assert np.max(np.abs(ours.predict_proba(X_new) - theirs.predict_proba(X_new))) < 1e-3
    assert np.mean(ours.predict(X_new) == theirs.predict(X_new)) > 0.97
    # at scikit-learn's optimum the reference's model is sklearn's, and its gradient is 0
    ours.weights, ours.bias = theirs.coef_.T.copy(), theirs.intercept_.copy()
    assert np.allclose(ours.predict_proba(X_new), theirs.predict_proba(X_new), atol=1e-10)
    dw, db = ours.gradients(X, y)
    assert np.max(np.abs(dw)) < 1e-4 and np.max(np.abs(db)) < 1e-4


def test_softmax_penalty_matches_scikit_learn_c() -> None:
    """alpha * sum(W**2) with a mean loss is sklearn's C = 1 / (2 * n * alpha)."""
    X, y = blobs(200, 3, 3, seed=5, spread=1.5)
    alpha = 0.05
    ours = load("softmax_regression").SoftmaxRegression(
        learning_rate=0.5, n_iterations=6000, alpha=alpha
    )
    ours.fit(X, y)
    theirs = sklearn_linear.LogisticRegression(
        C=1 / (2 * len(y) * alpha), tol=1e-12, max_iter=100_000
    ).fit(X, y)
    # sklearn leaves the intercept unpenalised too; the weights are identified up to a
    # common shift per feature, which the penalty pins at the same place for both
    assert np.max(np.abs(ours.weights - theirs.coef_.T)) < 2e-3
    assert np.max(np.abs(ours.predict_proba(X) - theirs.predict_proba(X))) < 1e-3


# -- KNN against KNeighborsClassifier (brute force), where no vote ties occur ----------------
@pytest.mark.parametrize("k", [1, 3, 5, 9])
def test_knn_agrees_with_scikit_learn(k: int) -> None:
    X, y = blobs(150, 3, 3, seed=k, spread=2.5)
    X_new, _ = blobs(200, 3, 3, seed=k + 50, spread=2.5)
    ours = load("knn").KNNClassifier(k=k).fit(X, y).predict(X_new)
    model = sklearn_neighbors.KNeighborsClassifier(n_neighbors=k, algorithm="brute").fit(X, y)
    theirs = model.predict(X_new)
    votes = np.sort(model.predict_proba(X_new), axis=1)
    no_tie = votes[:, -1] > votes[:, -2]  # sklearn breaks vote ties its own way
    assert no_tie.mean() > 0.7
    assert np.array_equal(ours[no_tie], theirs[no_tie])


def test_knn_duplicates_and_the_tie_rule() -> None:
    knn = load("knn")
    rng = np.random.default_rng(0)
    X = rng.uniform(-10, 10, size=(60, 3))
    y = rng.integers(0, 3, 60)
    assert np.array_equal(knn.KNNClassifier(k=1).fit(X, y).predict(X), y)
    ties = knn.KNNClassifier(k=2).fit(np.array([[0.0], [1.0], [9.0]]), np.array([2, 1, 2]))
    assert ties.predict(np.array([[0.2]])).tolist() == [1]
    with pytest.raises(ValueError, match="k=4"):
        knn.KNNClassifier(k=4).fit(X[:3], y[:3])


# -- the numerics drills against scipy.special and cdist --------------------------------------
INPUTS = {
    "ordinary": np.array([[1.0, 2.0, 3.0], [1.0, 5.0, 2.0]]),
    "extreme": np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -999.0]]),
    "square": np.array([[1.0, 2.0, 3.0], [4.0, 1.0, 0.0], [2.0, 2.0, 5.0]]),
}


@pytest.mark.parametrize("name", list(INPUTS))
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_numerics_agree_with_scipy_special(name: str, axis: int) -> None:
    numerics, z = load("numerics"), INPUTS[name]
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow is fine
        assert np.allclose(numerics.softmax(z, axis=axis), special.softmax(z, axis=axis))
        assert np.allclose(numerics.log_softmax(z, axis=axis), special.log_softmax(z, axis=axis))
        assert np.allclose(numerics.logsumexp(z, axis=axis), special.logsumexp(z, axis=axis))
        assert np.allclose(numerics.sigmoid(z), special.expit(z))


def test_numerics_distances_agree_with_cdist() -> None:
    numerics = load("numerics")
    rng = np.random.default_rng(3)
    X, Y = rng.uniform(-10, 10, size=(30, 3)), rng.uniform(-10, 10, size=(7, 3))
    assert np.allclose(numerics.pairwise_distances(X, Y), distance.cdist(X, Y))
    same = numerics.pairwise_distances(X, X)
    assert np.all(np.isfinite(same))
    assert np.allclose(same, distance.cdist(X, X), atol=1e-6)


def test_numerics_losses_top_k_and_standardize() -> None:
    numerics = load("numerics")
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        assert numerics.binary_cross_entropy(np.array([1.0, 0.0]), np.array([1.0, 0.0])) < 1e-12
        assert 30 < numerics.binary_cross_entropy(np.array([1.0]), np.array([0.0])) < 40
        onehot = np.eye(3)[[0, 2]]
        assert numerics.cross_entropy(onehot, onehot) < 1e-12
    scores = np.random.default_rng(1).normal(size=1000)
    assert np.array_equal(numerics.top_k(scores, 10), np.argsort(-scores, kind="stable")[:10])
    assert numerics.top_k(np.array([5.0, 1.0, 5.0, 5.0, 2.0, 5.0]), 2).tolist() == [0, 2]
    X = np.array([[1.0, 0.1], [2.0, 0.1], [4.0, 0.1]])
    out = numerics.standardize(X)
    assert np.allclose(out[:, 0], (X[:, 0] - X[:, 0].mean()) / X[:, 0].std())
    assert np.allclose(out[:, 1], 0.0)
