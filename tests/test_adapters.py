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


KNN = """
import numpy as np


class KNNClassifier:
    def __init__(self, k=3):
        self.k = k

    def fit(self, X, y):
        self.X = np.asarray(X, dtype=float)
        self.y = np.asarray(y).astype(int)
        return self

    def predict(self, X):
        X = np.asarray(X, dtype=float)
        d2 = (X**2).sum(1)[:, None] + (self.X**2).sum(1) - 2 * X @ self.X.T
        nearest = np.argsort(d2, axis=1, kind="stable")[:, : self.k]
        votes = self.y[nearest]
        return np.array([np.bincount(row, minlength=2).argmax() for row in votes])
"""

KNN_SPEC = """
id: tiny_knn
title: Neighbours, to prove the estimator adapter
difficulty: easy
minutes: 25
frequency: 61
statement: k nearest neighbours.
interface:
  class: KNNClassifier
  constructor: {k: 3}
  methods: {fit: "fit(X, y)", predict: "labels"}
starter: "# coach: tiny_knn\\n"
hints: [distances]
grading:
  model: estimator
  works: {data: separable, k: 3}
probes:
  - id: overfit_tiny
    points: 40
    mistake: cannot-overfit
    title: k=1 recalls its training set
    with: {data: {generator: separable, n: 20, seed: 1}, construct: {k: 1}}
  - id: input_mutation
    points: 30
    mistake: input-mutation
    title: X and y are left alone
    with: {data: {generator: separable, n: 30, seed: 2}}
  - id: vectorized
    points: 30
    mistake: unvectorized
    title: No loop over test points
    with: {data: {generator: separable, n: 1000, d: 4, seed: 3}, construct: {k: 3}}
"""

FUNCTIONS = """
import numpy as np


def softmax(z, axis=-1):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
"""

FUNCTIONS_SPEC = """
id: tiny_numerics
title: A function, to prove the functions adapter
difficulty: easy
minutes: 10
frequency: 62
statement: softmax.
interface:
  functions: {softmax: "softmax(z, axis=-1)"}
starter: "# coach: tiny_numerics\\n"
hints: [shift]
grading:
  model: functions
  works: {calls: [{function: softmax, args: [[[1, 2, 3]], [[3, 1, 0]]]}]}
probes:
  - id: softmax_overflow
    family: function_values
    points: 100
    mistake: unstable-softmax
    title: Logits of 1000 give finite probabilities
    with:
      calls:
        - {function: softmax, args: [[[1000, 0, -1000], [1, 2, 3]]]}
        - {function: softmax, args: [[1, 2, 3]]}
"""


def make_problem(folder: Path, name: str, spec: str, reference: str):
    (folder / "problems").mkdir(exist_ok=True)
    (folder / "reference_solutions").mkdir(exist_ok=True)
    (folder / "problems" / f"{name}.yaml").write_text(spec)
    (folder / "reference_solutions" / f"{name}.py").write_text(reference)
    return load_spec(folder / "problems" / f"{name}.yaml")


def test_an_estimator_is_fitted_with_its_own_settings_and_timed(tmp_path: Path) -> None:
    spec = make_problem(tmp_path, "tiny_knn", KNN_SPEC, KNN)
    assert Grader(spec).grade(spec.reference_solution).score == 100
    looped = tmp_path / "looped.py"
    looped.write_text(
        KNN.replace(
            "        d2 = (X**2).sum(1)[:, None] + (self.X**2).sum(1) - 2 * X @ self.X.T\n",
            "        d2 = np.array([[((x - t) ** 2).sum() for t in self.X] for x in X])\n",
        )
    )
    report = Grader(spec).grade(looped)
    assert report.mistakes == ["unvectorized"], [(p.id, p.message) for p in report.probes]
    mutating = tmp_path / "mutating.py"
    mutating.write_text(
        KNN.replace(
            "        self.X = np.asarray(X, dtype=float)", "        X -= 0.5\n        self.X = X"
        )
    )
    report = Grader(spec).grade(mutating)
    assert "input-mutation" in report.mistakes


def test_functions_are_called_and_judged_beside_the_reference(tmp_path: Path) -> None:
    spec = make_problem(tmp_path, "tiny_numerics", FUNCTIONS_SPEC, FUNCTIONS)
    assert Grader(spec).grade(spec.reference_solution).score == 100
    naive = tmp_path / "naive.py"
    naive.write_text(FUNCTIONS.replace("np.exp(z - z.max(axis=axis, keepdims=True))", "np.exp(z)"))
    report = Grader(spec).grade(naive)
    assert report.mistakes == ["exp-overflow"] or report.mistakes == ["unstable-softmax"]
    assert "softmax(" in report.probes[0].message
    constant = tmp_path / "constant.py"
    constant.write_text("import numpy as np\n\ndef softmax(z, axis=-1):\n    return np.zeros(3)\n")
    report = Grader(spec).grade(constant)
    assert report.score == 0 and report.probes[0].status.value == "skip"
