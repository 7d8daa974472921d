# coach: pca
"""Reference solution: principal component analysis by the eigendecomposition of the
covariance matrix."""

import numpy as np


class PCA:
    def __init__(self, n_components=2):
        self.n_components = n_components
        self.components = None
        self.explained_variance = None
        self.explained_variance_ratio = None
        self.mean = None

    def fit(self, X):
        X = np.asarray(X, dtype=float)
        n, d = X.shape
        k = self.n_components
        if not 1 <= k <= d:
            raise ValueError(f"n_components={k} must be between 1 and the {d} features")
        if n < 2:
            raise ValueError("PCA needs at least two samples")
        self.mean = X.mean(axis=0)
        centred = X - self.mean
        covariance = centred.T @ centred / (n - 1)  # (d, d), unbiased
        values, vectors = np.linalg.eigh(covariance)  # symmetric: real, ascending
        order = np.argsort(values)[::-1]
        values, vectors = np.maximum(values[order], 0.0), vectors[:, order]
        self.components = vectors[:, :k].T  # (k, d), rows orthonormal
        self.explained_variance = values[:k]
        total = values.sum()
        self.explained_variance_ratio = values[:k] / total if total > 0 else np.zeros(k)
        return self

    def transform(self, X):
        return (np.asarray(X, dtype=float) - self.mean) @ self.components.T

    def fit_transform(self, X):
        return self.fit(X).transform(X)

    def inverse_transform(self, Z):
        return np.asarray(Z, dtype=float) @ self.components + self.mean
