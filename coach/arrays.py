"""Arrays generated from a spec's description (`{array: uniform, shape: [...], seed: 3}`).

Shared by the grader and the worker: a large input is made where it is used from its
description, the same in every process, rather than sent through the channel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def _normal(shape: list[int], seed: int = 0, scale: float = 1.0, loc: float = 0.0) -> np.ndarray:
    return loc + scale * np.random.default_rng(seed).normal(size=tuple(shape))


def _uniform(shape: list[int], seed: int = 0, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, size=tuple(shape))


def _tile(values: list[float], reps: int = 1) -> np.ndarray:
    return np.tile(np.asarray(values, dtype=float), reps)


ARRAYS: dict[str, Callable[..., np.ndarray]] = {
    "normal": _normal,
    "uniform": _uniform,
    "tile": _tile,
}


def generate(spec: dict[str, Any]) -> np.ndarray:
    """The array `spec` describes: its `array` kind and that kind's options."""
    options = {k: v for k, v in spec.items() if k != "array"}
    return ARRAYS[spec["array"]](**options)
