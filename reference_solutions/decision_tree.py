# coach: decision_tree
"""Reference solution: a CART classification tree with Gini or entropy splits."""

import numpy as np


def _proportions(y):
    _, counts = np.unique(np.asarray(y), return_counts=True)  # only labels present
    return counts / counts.sum()


def entropy(y):
    """Shannon entropy of the labels, in bits (0 for no labels)."""
    if len(y) == 0:
        return 0.0
    p = _proportions(y)
    return float(-np.sum(p * np.log2(p)))


def gini(y):
    """Gini impurity of the labels: 1 - sum of squared proportions."""
    if len(y) == 0:
        return 0.0
    p = _proportions(y)
    return float(1.0 - np.sum(p**2))


def information_gain(y, y_left, y_right):
    """Entropy of y minus the size-weighted entropy of its two parts."""
    n = len(y)
    if n == 0:
        return 0.0
    children = len(y_left) / n * entropy(y_left) + len(y_right) / n * entropy(y_right)
    return float(entropy(y) - children)


class DecisionTreeClassifier:
    def __init__(self, max_depth=None, min_samples_split=2, criterion="gini"):
        if criterion not in ("gini", "entropy"):
            raise ValueError(f"criterion must be 'gini' or 'entropy', not {criterion!r}")
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.criterion = criterion
        self.tree = None

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y).ravel()
        self.classes, codes = np.unique(y, return_inverse=True)
        self.tree = self._grow(X, codes, depth=0)
        return self

    def _impurity(self, counts):
        """Impurity of each row of class counts (the node's labels, counted)."""
        totals = counts.sum(axis=-1, keepdims=True)
        p = counts / np.maximum(totals, 1)
        if self.criterion == "gini":
            return 1.0 - np.sum(p**2, axis=-1)
        logs = np.log2(np.where(p > 0, p, 1.0))  # 0 log 0 is 0
        return -np.sum(p * logs, axis=-1)

    def _best_split(self, X, codes):
        """The (feature, threshold) of the largest impurity decrease (which may be 0, as in
        scikit-learn), or None when every feature is constant here."""
        n, K = len(codes), len(self.classes)
        parent = self._impurity(np.bincount(codes, minlength=K).astype(float))
        best, best_gain = None, -np.inf
        for j in range(X.shape[1]):
            order = np.argsort(X[:, j], kind="stable")
            xs, cs = X[order, j], codes[order]
            left = np.cumsum(np.eye(K)[cs], axis=0)[:-1]  # counts left of each cut
            right = left[-1] + np.eye(K)[cs[-1]] - left
            sizes = np.arange(1, n)
            children = (sizes * self._impurity(left) + (n - sizes) * self._impurity(right)) / n
            gains = np.where(xs[1:] > xs[:-1], parent - children, -np.inf)  # between values
            i = int(np.argmax(gains))
            if gains[i] > best_gain + 1e-12:
                best, best_gain = (j, (xs[i] + xs[i + 1]) / 2.0), gains[i]
        return best

    def _grow(self, X, codes, depth):
        counts = np.bincount(codes, minlength=len(self.classes))
        leaf = {"label": int(np.argmax(counts))}  # a tie goes to the smallest label
        if (
            (self.max_depth is not None and depth >= self.max_depth)
            or len(codes) < self.min_samples_split
            or np.count_nonzero(counts) == 1
        ):
            return leaf
        split = self._best_split(X, codes)
        if split is None:  # identical rows with different labels: nothing to split on
            return leaf
        j, threshold = split
        goes_left = X[:, j] <= threshold
        return {
            "feature": j,
            "threshold": threshold,
            "left": self._grow(X[goes_left], codes[goes_left], depth + 1),
            "right": self._grow(X[~goes_left], codes[~goes_left], depth + 1),
        }

    def predict(self, X):
        X = np.asarray(X, dtype=float)
        out = np.empty(len(X), dtype=int)
        for i, row in enumerate(X):
            node = self.tree
            while "feature" in node:
                node = node["left"] if row[node["feature"]] <= node["threshold"] else node["right"]
            out[i] = node["label"]
        return self.classes[out]

    def get_depth(self):
        def depth(node):
            if "feature" not in node:
                return 0
            return 1 + max(depth(node["left"]), depth(node["right"]))

        return depth(self.tree)
