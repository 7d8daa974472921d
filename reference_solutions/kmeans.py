# coach: kmeans
"""Reference solution: k-means (Lloyd's algorithm) with k-means++ starts."""

import numpy as np


class KMeans:
    def __init__(self, n_clusters=3, max_iter=300, tol=1e-4, random_state=None):
        self.n_clusters = n_clusters
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.centroids = None
        self.labels = None
        self.inertia = None

    @staticmethod
    def _squared_distances(X, centroids):
        """(n, k) squared distances from every point to every centroid, clamped at 0."""
        sq = (
            np.sum(X**2, axis=1)[:, None]
            + np.sum(centroids**2, axis=1)[None, :]
            - 2.0 * X @ centroids.T
        )
        return np.maximum(sq, 0.0)

    def _starts(self, X, rng):
        """k-means++: each new start drawn with probability proportional to its squared
        distance from the nearest start so far (uniformly when every point is a start)."""
        starts = [X[rng.integers(len(X))]]
        for _ in range(1, self.n_clusters):
            d2 = self._squared_distances(X, np.array(starts)).min(axis=1)
            total = d2.sum()
            p = d2 / total if total > 0 else np.full(len(X), 1.0 / len(X))
            starts.append(X[rng.choice(len(X), p=p)])
        return np.array(starts, dtype=float)

    def fit(self, X):
        X = np.asarray(X, dtype=float)
        k = self.n_clusters
        if not 1 <= k <= len(X):
            raise ValueError(f"n_clusters={k} must be between 1 and the {len(X)} points")
        rng = np.random.default_rng(self.random_state)
        centroids = self._starts(X, rng)
        for _ in range(self.max_iter):
            labels = np.argmin(self._squared_distances(X, centroids), axis=1)
            moved = centroids.copy()
            for j in range(k):
                members = X[labels == j]
                if len(members):  # an empty cluster keeps its centroid: no mean of nothing
                    moved[j] = members.mean(axis=0)
            shift = np.max(np.sum((moved - centroids) ** 2, axis=1))
            centroids = moved
            if shift <= self.tol:
                break
        self.centroids = centroids
        distances = self._squared_distances(X, centroids)
        self.labels = np.argmin(distances, axis=1)
        self.inertia = float(distances[np.arange(len(X)), self.labels].sum())
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=float)
        return np.argmin(self._squared_distances(X, self.centroids), axis=1)
