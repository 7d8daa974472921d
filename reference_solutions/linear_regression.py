# coach: linear_regression
"""Reference solution: linear regression by gradient descent or the normal equation."""

import numpy as np


class LinearRegression:
    def __init__(self, learning_rate=0.01, n_iterations=1000, method="gradient_descent", alpha=0.0):
        self.learning_rate = learning_rate
        self.n_iterations = n_iterations
        self.method = method
        self.alpha = alpha
        self.weights = None
        self.bias = 0.0
        self.loss_history = []

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float).ravel()
        self.loss_history = []
        if self.method == "normal":
            self._solve(X, y)
        else:
            self._descend(X, y)
        return self

    def _solve(self, X, y):
        """Least squares on centred data (the bias is never penalised); lstsq copes with
        a singular X.T @ X where inv would fail."""
        mean_x, mean_y = X.mean(axis=0), y.mean()
        Xc, yc = X - mean_x, y - mean_y
        d = X.shape[1]
        if self.alpha > 0:  # (1/2n)|r|^2 + alpha |w|^2 -> (Xc.T Xc + 2 n alpha I) w = Xc.T yc
            A = Xc.T @ Xc + 2 * len(y) * self.alpha * np.eye(d)
            self.weights = np.linalg.lstsq(A, Xc.T @ yc, rcond=None)[0]
        else:
            self.weights = np.linalg.lstsq(Xc, yc, rcond=None)[0]
        self.bias = float(mean_y - mean_x @ self.weights)

    def _descend(self, X, y):
        """Gradient descent on standardised features; weights kept in the raw units."""
        mean = X.mean(axis=0)
        std = X.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        Z = (X - mean) / std
        w = np.zeros(X.shape[1])
        b = 0.0
        n = len(y)
        for _ in range(self.n_iterations):
            error = Z @ w + b - y
            # the penalty is on the raw weights w / std
            dw = Z.T @ error / n + 2 * self.alpha * w / std**2
            db = error.mean()
            w = w - self.learning_rate * dw
            b = b - self.learning_rate * db
            self.weights = w / std
            self.bias = float(b - mean @ self.weights)
            self.loss_history.append(self.loss(X, y))
        if self.weights is None:
            self.weights, self.bias = w / std, float(b - mean @ (w / std))

    def predict(self, X):
        return np.asarray(X, dtype=float) @ self.weights + self.bias

    def loss(self, X, y):
        """(1/2n) * sum of squared errors plus alpha * ||w||^2 (the bias is not penalised)."""
        y = np.asarray(y, dtype=float).ravel()
        error = self.predict(X) - y
        return float(np.mean(error**2) / 2 + self.alpha * np.sum(self.weights**2))

    def gradients(self, X, y):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float).ravel()
        error = self.predict(X) - y
        dw = X.T @ error / len(y) + 2 * self.alpha * self.weights
        return dw, float(error.mean())
