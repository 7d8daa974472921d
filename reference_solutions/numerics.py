# coach: numerics
"""Reference solution: the numerical building blocks of ML code, each stable on extreme inputs."""

import numpy as np

EPS = 1e-15


def sigmoid(z):
    """1 / (1 + exp(-z)), exponentiating only non-positive numbers."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(z, axis=-1):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def logsumexp(z, axis=-1):
    z = np.asarray(z, dtype=float)
    top = np.max(z, axis=axis, keepdims=True)
    total = np.log(np.sum(np.exp(z - top), axis=axis, keepdims=True)) + top
    return np.squeeze(total, axis=axis)


def log_softmax(z, axis=-1):
    z = np.asarray(z, dtype=float)
    return z - np.expand_dims(logsumexp(z, axis=axis), axis)


def binary_cross_entropy(y, p):
    """Mean binary cross-entropy; probabilities clipped away from exactly 0 and 1."""
    y = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def cross_entropy(y_onehot, p):
    """Mean over rows of -sum(y * log p); a clipped p never gives log(0) or 0 * log 0."""
    y_onehot = np.asarray(y_onehot, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), EPS, 1.0)
    return float(-np.mean(np.sum(y_onehot * np.log(p), axis=-1)))


def pairwise_distances(X, Y):
    """(n, m) Euclidean distances; the expanded formula's rounding is clamped at 0."""
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    sq = np.sum(X**2, axis=1)[:, None] + np.sum(Y**2, axis=1)[None, :] - 2.0 * X @ Y.T
    return np.sqrt(np.maximum(sq, 0.0))


def one_hot(labels, n_classes):
    labels = np.asarray(labels).astype(int).ravel()
    out = np.zeros((labels.size, n_classes))
    out[np.arange(labels.size), labels] = 1.0
    return out


def top_k(scores, k):
    """Indices of the k largest scores, best first; equal scores in index order.

    argpartition finds the k largest in linear time; only those k are then sorted.
    """
    scores = np.asarray(scores, dtype=float).ravel()
    n = scores.size
    k = min(int(k), n)
    if k <= 0:
        return np.zeros(0, dtype=int)
    chosen = np.argpartition(scores, n - k)[n - k :]
    cut = scores[chosen].min()
    if np.count_nonzero(scores >= cut) > k:  # ties at the cut: keep the smallest indices
        above = np.flatnonzero(scores > cut)
        chosen = np.concatenate([above, np.flatnonzero(scores == cut)[: k - above.size]])
    return chosen[np.lexsort((chosen, -scores[chosen]))]  # score down, then index up


def standardize(X):
    """Columns of mean 0 and (population) standard deviation 1; constant columns become 0."""
    X = np.asarray(X, dtype=float)
    constant = np.ptp(X, axis=0) == 0  # std would be 0, or a rounding error near it
    return (X - X.mean(axis=0)) / np.where(constant, 1.0, X.std(axis=0))
