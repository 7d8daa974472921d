# coach: knn
"""Reference solution: k-nearest-neighbours classification with a pairwise distance matrix."""

import numpy as np


class KNNClassifier:
    def __init__(self, k=3):
        self.k = k
        self.X = None
        self.y = None

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        if self.k > len(X):
            raise ValueError(f"k={self.k} is larger than the {len(X)} training points")
        self.X = X.copy()
        self.y = np.asarray(y).astype(int).ravel()
        return self

    def _distances(self, X):
        """(m, n) squared Euclidean distances, clamped at 0 against rounding."""
        sq = np.sum(X**2, axis=1)[:, None] + np.sum(self.X**2, axis=1)[None, :] - 2.0 * X @ self.X.T
        return np.maximum(sq, 0.0)

    def predict(self, X):
        X = np.asarray(X, dtype=float)
        d = self._distances(X)
        k = self.k
        nearest = np.argpartition(d, k - 1, axis=1)[:, :k]  # the k smallest, in no order
        labels = self.y[nearest]  # (m, k)
        classes = np.unique(self.y)
        votes = (labels[:, :, None] == classes[None, None, :]).sum(axis=1)  # (m, C)
        return classes[np.argmax(votes, axis=1)]  # argmax takes the first: the smallest label
