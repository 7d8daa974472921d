"""The probe families of DESIGN §3, written once for every problem whose spec names them.

Each takes its parameters from the spec entry's `with:` (data sets, learning rates,
iterations, tolerances) and drives the candidate through the problem's adapter. The gates
a family `needs` run first: `works` (the code learns at all: else the probe is skipped and
earns nothing) and `loss` (loss() is the problem's loss up to a constant factor).
"""

from coach.probes.families import (  # noqa: F401  (each module registers its families)
    classes,
    clusters,
    components,
    edges,
    functions,
    gradients,
    learning,
    networks,
    optimizers,
    pitfalls,
    speed,
    stability,
    trees,
)
