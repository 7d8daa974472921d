"""The network adapter: parameters that are lists of arrays (ragged layers), set and read
item by item in the worker, checked by the same gradient_check family as every problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.grading import Grader
from coach.specs import load_spec

pytestmark = pytest.mark.slow

NETWORK = """
import numpy as np


class NeuralNetwork:
    def __init__(self, layer_sizes=(2, 16, 2), learning_rate=0.1, n_iterations=1000,
                 random_state=None):
        rng = np.random.default_rng(0 if random_state is None else random_state)
        pairs = list(zip(layer_sizes[:-1], layer_sizes[1:]))
        self.weights = [rng.normal(0, np.sqrt(2 / a), (a, b)) for a, b in pairs]
        self.biases = [np.zeros(b) for _, b in pairs]
        self.learning_rate = learning_rate
        self.n_iterations = n_iterations
        self.loss_history = []

    def _forward(self, X):
        activations = [np.asarray(X, dtype=float)]
        for i, (W, b) in enumerate(zip(self.weights, self.biases)):
            z = activations[-1] @ W + b
            if i < len(self.weights) - 1:
                activations.append(np.maximum(z, 0))
            else:
                e = np.exp(z - z.max(axis=1, keepdims=True))
                activations.append(e / e.sum(axis=1, keepdims=True))
        return activations

    def predict_proba(self, X):
        return self._forward(X)[-1]

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)

    def loss(self, X, y):
        p = np.clip(self.predict_proba(X), 1e-15, 1.0)
        y = np.asarray(y, dtype=int)
        return float(-np.mean(np.log(p[np.arange(len(y)), y])))

    def gradients(self, X, y):
        acts = self._forward(X)
        y = np.asarray(y, dtype=int)
        delta = acts[-1].copy()
        delta[np.arange(len(y)), y] -= 1
        delta /= len(y)
        dW, db = [], []
        for i in range(len(self.weights) - 1, -1, -1):
            dW.insert(0, acts[i].T @ delta)
            db.insert(0, delta.sum(axis=0))
            if i:
                delta = (delta @ self.weights[i].T) * (acts[i] > 0)  # ReLU'
        return dW, db

    def fit(self, X, y):
        self.loss_history = []
        for _ in range(self.n_iterations):
            dW, db = self.gradients(X, y)
            self.weights = [W - self.learning_rate * g for W, g in zip(self.weights, dW)]
            self.biases = [b - self.learning_rate * g for b, g in zip(self.biases, db)]
            self.loss_history.append(self.loss(X, y))
        return self
"""

SPEC = """
id: tiny_network
title: A network, to prove the adapter
difficulty: hard
minutes: 45
frequency: 60
statement: A ReLU network with a softmax output.
interface:
  class: NeuralNetwork
  constructor: {layer_sizes: [2, 16, 2], learning_rate: 0.1, n_iterations: 1000}
  methods: {fit: "", predict_proba: "", predict: "", loss: "", gradients: ""}
  attributes: {weights: "list", biases: "list", loss_history: "list"}
starter: "# coach: tiny_network\\n"
hints: [backprop]
grading:
  model: network
  works: {data: separable}
probes:
  - id: gradient_check
    points: 60
    mistake: wrong-gradient
    title: Every layer's gradients match finite differences
    with:
      data: {generator: separable, n: 12, d: 2, seed: 3}
      construct: {layer_sizes: [2, 5, 3, 2], random_state: 1}
      samples: 6
  - id: loss_monotonic
    points: 40
    mistake: loss-not-decreasing
    title: The loss never rises
    with:
      data: {generator: separable, n: 40, d: 2, seed: 4}
      construct: {layer_sizes: [2, 8, 2], random_state: 0}
      learning_rate: 0.1
      n_iterations: 50
"""


@pytest.fixture
def problem(tmp_path: Path):
    (tmp_path / "problems").mkdir()
    (tmp_path / "reference_solutions").mkdir()
    spec_file = tmp_path / "problems" / "tiny_network.yaml"
    spec_file.write_text(SPEC)
    (tmp_path / "reference_solutions" / "tiny_network.py").write_text(NETWORK)
    return load_spec(spec_file)


def test_the_reference_network_passes_with_ragged_layers(problem, tmp_path: Path) -> None:
    report = Grader(problem).grade(problem.reference_solution)
    assert report.score == 100, [(p.id, p.message) for p in report.probes]
    assert "entries agree" in report.probes[0].message


def test_a_missing_relu_derivative_is_named_by_layer_and_entry(problem, tmp_path: Path) -> None:
    buggy = tmp_path / "mine.py"
    buggy.write_text(NETWORK.replace(" * (acts[i] > 0)  # ReLU'", ""))
    report = Grader(problem).grade(buggy)
    check = report.probes[0]
    assert check.mistake == "wrong-gradient", check.message
    assert check.message.startswith(("weights[0][", "weights[1][", "biases[0][", "biases[1]["))
    assert "central differences of loss()" in check.message
