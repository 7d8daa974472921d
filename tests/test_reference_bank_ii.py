"""The references of k-means, PCA and the decision tree agree with scikit-learn (a test-only
dependency). Each reference is the project's own code, imported here directly (no worker)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_reference_bank_i import blobs, load

sklearn_cluster = pytest.importorskip("sklearn.cluster")
sklearn_decomposition = pytest.importorskip("sklearn.decomposition")
sklearn_tree = pytest.importorskip("sklearn.tree")
sklearn_datasets = pytest.importorskip("sklearn.datasets")


# -- k-means: from the same starts, the same inertia -----------------------------------------
@pytest.mark.parametrize(("d", "k", "seed"), [(2, 3, 1), (4, 5, 2), (3, 8, 3)], ids=str)
def test_kmeans_inertia_matches_scikit_learn_from_the_same_starts(
    d: int, k: int, seed: int
) -> None:
    X, _ = blobs(400, d, k, seed, spread=1.5)
    ours = load("kmeans").KMeans(n_clusters=k, tol=0, random_state=seed)
    starts = ours._starts(X, np.random.default_rng(seed))
    ours.fit(X)
    theirs = sklearn_cluster.KMeans(n_clusters=k, init=starts, n_init=1, tol=0).fit(X)
    assert abs(ours.inertia - theirs.inertia_) <= 0.01 * theirs.inertia_
    assert np.isclose(ours.inertia, np.sum((X - ours.centroids[ours.labels]) ** 2))
    assert np.array_equal(ours.predict(X), ours.labels)


def test_kmeans_keeps_an_empty_cluster_finite() -> None:
    X = np.repeat([[1.0, 1.0], [5.0, 5.0]], 3, axis=0)
    with np.errstate(all="raise"):
        model = load("kmeans").KMeans(n_clusters=3, random_state=0).fit(X)
    assert np.all(np.isfinite(model.centroids)) and model.inertia == 0


# -- PCA: components up to sign, variances and ratios -----------------------------------------
@pytest.mark.parametrize(
    ("n", "d", "k", "offset"), [(100, 5, 3, 0.0), (40, 4, 4, 100.0), (8, 3, 2, 5.0)], ids=str
)
def test_pca_agrees_with_scikit_learn(n: int, d: int, k: int, offset: float) -> None:
    rng = np.random.default_rng(n + d)
    X = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + offset
    ours = load("pca").PCA(n_components=k).fit(X)
    theirs = sklearn_decomposition.PCA(n_components=k).fit(X)
    signs = np.sign(np.sum(ours.components * theirs.components_, axis=1))
    assert np.allclose(ours.components * signs[:, None], theirs.components_, atol=1e-8)
    assert np.allclose(ours.explained_variance, theirs.explained_variance_)
    assert np.allclose(ours.explained_variance_ratio, theirs.explained_variance_ratio_)
    assert np.allclose(ours.transform(X) * signs, theirs.transform(X), atol=1e-8)
    Z = ours.transform(X)
    assert np.allclose(ours.inverse_transform(Z), theirs.inverse_transform(theirs.transform(X)))


def test_pca_refuses_more_components_than_features() -> None:
    with pytest.raises(ValueError, match="n_components"):
        load("pca").PCA(n_components=4).fit(np.ones((10, 3)))


# -- decision tree: impurities, training accuracy and depth ----------------------------------
def test_tree_impurities_are_exact() -> None:
    tree = load("decision_tree")
    assert tree.entropy(np.array([0, 0, 1, 1])) == 1.0
    assert np.isclose(
        tree.entropy(np.array([0, 0, 3, 3, 3, 3])),
        -(1 / 3 * np.log2(1 / 3) + 2 / 3 * np.log2(2 / 3)),
    )
    assert tree.gini(np.array([0, 1, 2, 3])) == 0.75
    assert np.isclose(
        tree.information_gain(np.array([0, 0, 1, 1]), np.array([0, 1]), np.array([0, 1])), 0.0
    )


@pytest.mark.parametrize("criterion", ["gini", "entropy"])
@pytest.mark.parametrize("max_depth", [None, 2, 4])
def test_tree_agrees_with_scikit_learn_on_training_accuracy_and_depth(
    criterion: str, max_depth: int | None
) -> None:
    X, y = sklearn_datasets.make_moons(400, noise=0.3, random_state=1)
    ours = (
        load("decision_tree")
        .DecisionTreeClassifier(max_depth=max_depth, criterion=criterion)
        .fit(X, y)
    )
    theirs = sklearn_tree.DecisionTreeClassifier(
        max_depth=max_depth, criterion=criterion, random_state=0
    ).fit(X, y)
    assert ours.get_depth() == theirs.get_depth()
    assert np.mean(ours.predict(X) == y) == pytest.approx(np.mean(theirs.predict(X) == y), abs=0.01)
    assert np.mean(ours.predict(X) == theirs.predict(X)) >= 0.97
