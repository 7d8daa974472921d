"""The references of the neural network and Adam agree with scikit-learn (a test-only
dependency), and Adam with the grader's own account of it. Each reference is imported here
directly (no worker)."""

from __future__ import annotations

import numpy as np
import pytest

from coach.probes.families.optimizers import OBJECTIVES, adam_updates
from tests.test_reference_bank_i import load

sklearn_datasets = pytest.importorskip("sklearn.datasets")
sklearn_network = pytest.importorskip("sklearn.neural_network")
sklearn_optimizers = pytest.importorskip("sklearn.neural_network._stochastic_optimizers")


def test_network_reaches_scikit_learns_training_accuracy_on_two_moons() -> None:
    X, y = sklearn_datasets.make_moons(300, noise=0.2, random_state=3)
    ours = load("neural_network").NeuralNetwork(
        layer_sizes=(2, 16, 2), learning_rate=0.5, n_iterations=3000, random_state=0
    )
    ours.fit(X, y)
    theirs = sklearn_network.MLPClassifier(
        (16,), solver="lbfgs", alpha=1e-6, max_iter=5000, random_state=0
    ).fit(X, y)
    mine, its = np.mean(ours.predict(X) == y), np.mean(theirs.predict(X) == y)
    assert mine >= its - 0.02, (mine, its)
    assert np.allclose(ours.predict_proba(X).sum(axis=1), 1.0)


def test_network_gradients_match_finite_differences_on_every_layer() -> None:
    net = load("neural_network").NeuralNetwork(layer_sizes=(3, 5, 4, 3), random_state=1)
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(15, 3)), np.arange(15) % 3
    dW, db = net.gradients(X, y)
    for layers, grads in ((net.weights, dW), (net.biases, db)):
        for layer, grad in zip(layers, grads, strict=True):
            assert grad.shape == layer.shape
            for i in range(min(layer.size, 5)):
                flat = layer.reshape(-1)
                flat[i] += 1e-6
                up = net.loss(X, y)
                flat[i] -= 2e-6
                down = net.loss(X, y)
                flat[i] += 1e-6
                assert np.isclose((up - down) / 2e-6, grad.reshape(-1)[i], rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("objective", sorted(OBJECTIVES))
def test_adam_follows_scikit_learns_adam(objective: str) -> None:
    grad, _ = OBJECTIVES[objective]
    x = np.array([-1.5, 2.0]) if objective == "rosenbrock" else np.array([3.0, -2.0, 5.0])
    ours, mine = load("adam").Adam(learning_rate=0.01), x.copy()
    params = [x.copy()]  # scikit-learn's optimiser updates this list in place
    theirs = sklearn_optimizers.AdamOptimizer(params, learning_rate_init=0.01, epsilon=1e-12)
    for _ in range(200):
        mine = ours.step(mine, grad(mine))
        theirs.update_params(params, [grad(params[0])])
        # the paper's efficient form puts epsilon elsewhere: equal up to it
        assert np.allclose(mine, params[0], rtol=1e-6, atol=1e-8)


def test_adam_reference_is_the_graders_account_of_adam() -> None:
    rng = np.random.default_rng(4)
    x, grads = rng.normal(size=(3, 2)), [rng.normal(size=(3, 2)) for _ in range(20)]
    opt, got = load("adam").Adam(learning_rate=0.05, beta1=0.8), []
    for g in grads:
        got.append(opt.step(got[-1] if got else x, g))
    for a, b in zip(
        got, adam_updates({"learning_rate": 0.05, "beta1": 0.8}, x, grads), strict=True
    ):
        assert np.allclose(a, b, rtol=1e-12)
