"""`logistic_regression`: the data its probes use. Every probe is a shared family."""

from __future__ import annotations

import numpy as np

AXES = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
AXES_Y = np.array([1.0, 1.0, 0.0, 0.0])
# points on the axes between the two classes, near and far from the boundary
BETWEEN = np.concatenate([s * AXES for s in (0.02, 0.05, 0.1, 0.15, 0.25, 0.5)])

DATA = {
    "axes": lambda: (AXES, AXES_Y),
    "between": lambda: (BETWEEN, np.zeros(len(BETWEEN))),
}
