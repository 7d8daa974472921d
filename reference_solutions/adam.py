# coach: adam
"""Reference solution: the Adam optimiser, with bias-corrected moment estimates."""

import numpy as np


class Adam:
    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8):
        self.learning_rate = learning_rate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.t = 0
        self.m = None  # first moments, one array per parameter array
        self.v = None  # second moments

    def step(self, params, grads):
        """New parameters after one Adam step; neither argument is modified. Takes one
        array, or a list of arrays (each with its gradient)."""
        single = not isinstance(params, (list, tuple))
        params = [params] if single else list(params)
        grads = [grads] if single else list(grads)
        params = [np.asarray(p, dtype=float) for p in params]
        grads = [np.asarray(g, dtype=float) for g in grads]
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        out = []
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
            self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g**2
            m_hat = self.m[i] / (1 - self.beta1**self.t)
            v_hat = self.v[i] / (1 - self.beta2**self.t)
            out.append(p - self.learning_rate * m_hat / (np.sqrt(v_hat) + self.epsilon))
        return out[0] if single else out
