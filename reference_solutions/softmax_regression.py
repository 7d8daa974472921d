# coach: softmax_regression
"""Reference solution: multinomial (softmax) regression by full-batch gradient descent."""

import numpy as np

EPS = 1e-15


def softmax(z):
    """Row-wise softmax of (n, K) scores, shifted by each row's maximum so exp never overflows."""
    shifted = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=1, keepdims=True)


class SoftmaxRegression:
    def __init__(self, learning_rate=0.1, n_iterations=1000, alpha=0.0):
        self.learning_rate = learning_rate
        self.n_iterations = n_iterations
        self.alpha = alpha
        self.weights = None
        self.bias = None
        self.loss_history = []

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y).astype(int).ravel()
        n_classes = int(y.max()) + 1
        self.weights = np.zeros((X.shape[1], n_classes))
        self.bias = np.zeros(n_classes)
        self.loss_history = []
        Y = np.eye(n_classes)[y]  # one-hot labels, made once
        for _ in range(self.n_iterations):
            error = self.predict_proba(X) - Y  # the gradients, as in gradients()
            dw = X.T @ error / len(X) + 2 * self.alpha * self.weights
            self.weights = self.weights - self.learning_rate * dw
            self.bias = self.bias - self.learning_rate * error.mean(axis=0)
            p = np.clip(self.predict_proba(X), EPS, 1.0)  # the loss, as in loss()
            ce = -np.mean(np.log(p[np.arange(len(y)), y]))
            self.loss_history.append(float(ce + self.alpha * np.sum(self.weights**2)))
        return self

    def predict_proba(self, X):
        X = np.asarray(X, dtype=float)
        return softmax(X @ self.weights + self.bias)

    def predict(self, X):
        return np.argmax(self.predict_proba(X), axis=1)

    def _one_hot(self, y):
        """(n, K) indicators, K the model's number of classes (not the batch's)."""
        y = np.asarray(y).astype(int).ravel()
        return np.eye(self.weights.shape[1])[y]

    def loss(self, X, y):
        """Mean cross-entropy plus alpha * ||W||^2 (the bias is not penalised)."""
        p = np.clip(self.predict_proba(X), EPS, 1.0)
        ce = -np.mean(np.sum(self._one_hot(y) * np.log(p), axis=1))
        return float(ce + self.alpha * np.sum(self.weights**2))

    def gradients(self, X, y):
        X = np.asarray(X, dtype=float)
        error = self.predict_proba(X) - self._one_hot(y)
        dw = X.T @ error / len(X) + 2 * self.alpha * self.weights
        db = np.mean(error, axis=0)
        return dw, db
