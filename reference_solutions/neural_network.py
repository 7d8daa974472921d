# coach: neural_network
"""Reference solution: a fully connected network with ReLU hidden layers, a softmax output
and mean cross-entropy, trained by full-batch gradient descent with backpropagation."""

import numpy as np


class NeuralNetwork:
    def __init__(
        self, layer_sizes=(2, 16, 2), learning_rate=0.1, n_iterations=1000, random_state=None
    ):
        self.layer_sizes = tuple(int(s) for s in layer_sizes)
        self.learning_rate = learning_rate
        self.n_iterations = n_iterations
        self.random_state = random_state
        rng = np.random.default_rng(random_state)
        pairs = zip(self.layer_sizes[:-1], self.layer_sizes[1:], strict=True)
        # He initialisation: random (no two hidden units alike), scaled to keep ReLU signals
        self.weights = [
            rng.normal(0.0, np.sqrt(2.0 / n_in), (n_in, n_out)) for n_in, n_out in pairs
        ]
        self.biases = [np.zeros(n_out) for n_out in self.layer_sizes[1:]]
        self.loss_history = []

    def _forward(self, X):
        """The activations of every layer (the input first) and the output's logits."""
        activations = [np.asarray(X, dtype=float)]
        for W, b in zip(self.weights[:-1], self.biases[:-1], strict=True):
            activations.append(np.maximum(activations[-1] @ W + b, 0.0))
        return activations, activations[-1] @ self.weights[-1] + self.biases[-1]

    @staticmethod
    def _log_softmax(z):
        shifted = z - z.max(axis=1, keepdims=True)  # the shift keeps exp from overflowing
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    def predict_proba(self, X):
        return np.exp(self._log_softmax(self._forward(X)[1]))

    def predict(self, X):
        return np.argmax(self._forward(X)[1], axis=1)

    def loss(self, X, y):
        """Mean cross-entropy, from log-probabilities (never log of 0)."""
        y = np.asarray(y).astype(int).ravel()
        log_p = self._log_softmax(self._forward(X)[1])
        return float(-np.mean(log_p[np.arange(len(y)), y]))

    def gradients(self, X, y):
        """Backpropagation: (list of dW, list of db), one per layer."""
        y = np.asarray(y).astype(int).ravel()
        activations, logits = self._forward(X)
        n = len(y)
        delta = np.exp(self._log_softmax(logits))
        delta[np.arange(n), y] -= 1.0
        delta /= n  # d loss / d logits
        dW, db = [], []
        for layer in range(len(self.weights) - 1, -1, -1):
            dW.append(activations[layer].T @ delta)
            db.append(delta.sum(axis=0))
            if layer:  # back through the weights, then the ReLU
                delta = (delta @ self.weights[layer].T) * (activations[layer] > 0)
        return dW[::-1], db[::-1]

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y).astype(int).ravel()
        self.loss_history = []
        for _ in range(self.n_iterations):
            dW, db = self.gradients(X, y)
            self.weights = [
                W - self.learning_rate * g for W, g in zip(self.weights, dW, strict=True)
            ]
            self.biases = [b - self.learning_rate * g for b, g in zip(self.biases, db, strict=True)]
            self.loss_history.append(self.loss(X, y))
        return self
