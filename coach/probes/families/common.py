"""What the families share: reading a spec entry's settings, the adapter, least squares."""

from __future__ import annotations

from typing import Any

import numpy as np

from coach.probes import Context, Fail
from coach.probes.adapters import GradientModel

P = dict[str, Any]


def gradient_model(ctx: Context) -> GradientModel:
    if not isinstance(ctx.adapter, GradientModel):
        raise Fail("api-contract", "this family needs a gradient-descent model")
    return ctx.adapter


def settings_of(p: P, **defaults: Any) -> dict[str, Any]:
    """Training settings from the spec entry: learning_rate, n_iterations, alpha, method,
    and what `construct:` gives the constructor (k, layer_sizes, random_state...)."""
    found = {k: p.get(k, d) for k, d in defaults.items()}
    if "method" in p:
        found["method"] = p["method"]
    found.update(p.get("construct", {}))
    return {k: x for k, x in found.items() if x is not None}


def described(p: P, fallback: str) -> str:
    return str(p.get("what", fallback))


def least_squares(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """The least-squares weights and bias, computed here (never in the candidate's process)."""
    A = np.column_stack([X, np.ones(len(X))])
    theta = np.linalg.lstsq(A, y, rcond=None)[0]
    return theta[:-1], float(theta[-1])
