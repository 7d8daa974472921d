# coach: logistic_regression
"""Reference solution: binary logistic regression by full-batch gradient descent."""

import numpy as np

EPS = 1e-15


def sigmoid(z):
    """1 / (1 + exp(-z)) without ever exponentiating a large positive number."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


class LogisticRegression:
    def __init__(self, learning_rate=0.1, n_iterations=1000, alpha=0.0):
        self.learning_rate = learning_rate
        self.n_iterations = n_iterations
        self.alpha = alpha
        self.weights = None
        self.bias = 0.0
        self.loss_history = []

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float).ravel()
        self.weights = np.zeros(X.shape[1])
        self.bias = 0.0
        self.loss_history = []
        for _ in range(self.n_iterations):
            dw, db = self.gradients(X, y)
            self.weights = self.weights - self.learning_rate * dw
            self.bias = self.bias - self.learning_rate * db
            self.loss_history.append(self.loss(X, y))
        return self

    def predict_proba(self, X):
        X = np.asarray(X, dtype=float)
        return sigmoid(X @ self.weights + self.bias)

    def predict(self, X):
        return (self.predict_proba(X) >= 0.5).astype(int)

    def loss(self, X, y):
        """Mean binary cross-entropy plus alpha * ||w||^2 (the bias is not penalised)."""
        y = np.asarray(y, dtype=float).ravel()
        p = np.clip(self.predict_proba(X), EPS, 1 - EPS)
        bce = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        return float(bce + self.alpha * np.sum(self.weights**2))

    def gradients(self, X, y):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float).ravel()
        error = self.predict_proba(X) - y
        dw = X.T @ error / len(y) + 2 * self.alpha * self.weights
        db = float(np.mean(error))
        return dw, db
