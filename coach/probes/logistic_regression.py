"""Probes for `logistic_regression`: binary logistic regression by gradient descent."""

from __future__ import annotations

import math

import numpy as np

from coach.probes import Context, Fail, probe
from coach.probes import common as c
from coach.program import Model, Program
from coach.results import Status
from coach.sandbox import ApiMissing, CallTimedOut, Reply

ID = "logistic_regression"
TUNABLE = ("learning_rate", "n_iterations")  # left at the candidate's default if absent


# -- data --------------------------------------------------------------------------------
def noisy(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Standardised features with labels drawn from a known logistic model (not separable)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w = np.linspace(1.5, -1.0, d)
    p = 1 / (1 + np.exp(-(X @ w + 0.3)))
    return X, (rng.random(n) < p).astype(float)


def separable(n: int, d: int, seed: int, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Labels given by the sign of the first feature, with a margin."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X[:, 0] += np.where(X[:, 0] >= 0, 0.5, -0.5)
    return X * scale, (X[:, 0] > 0).astype(float)


AXES = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
AXES_Y = np.array([1.0, 1.0, 0.0, 0.0])
# points on the axes between the two classes, near and far from the boundary
BETWEEN = np.concatenate([s * AXES for s in (0.02, 0.05, 0.1, 0.15, 0.25, 0.5)])


# -- helpers -----------------------------------------------------------------------------
def summed_loss(ctx: Context) -> bool:
    """Whether the candidate's loss sums over samples instead of averaging (a convention).

    Found once: at zero weights the mean cross-entropy is log 2 and the sum is n log 2.
    A summing candidate's gradients are n times larger too, so probes that train on
    n samples divide their learning rate by n for it.
    """
    if "summed" not in ctx.memo:
        ctx.memo["summed"] = False
        X, y = noisy(10, 2, seed=11)
        try:
            model = ctx.candidate.new(optional=TUNABLE, learning_rate=0.1, n_iterations=1)
            model.call("fit", X, y)
            model.set("weights", np.zeros(2))
            model.set("bias", 0.0)
            value = c.scalar(model.call("loss", X, y), "loss(X, y)")
        except CallTimedOut:
            raise  # a hang in fit: let the probe that asked carry it, once
        except Exception:  # no loss to read: assume the usual mean
            return False
        if abs(value / (len(y) * math.log(2)) - 1) < 0.05:
            ctx.memo["summed"] = True
            ctx.notes.append(
                "loss() sums over samples rather than averaging: a convention, not a mistake; "
                "probes divided their learning rate by n to match"
            )
    return bool(ctx.memo["summed"])


def train(
    ctx: Context,
    program: Program,
    X: np.ndarray,
    y: np.ndarray,
    *,
    learning_rate: float,
    n_iterations: int,
    alpha: float | None = None,
) -> tuple[Model, Reply]:
    """A model of `program` fitted on (X, y); returns it and the fit call's reply."""
    if program is ctx.candidate and summed_loss(ctx):
        learning_rate /= len(y)
    kwargs: dict[str, float] = {"learning_rate": learning_rate, "n_iterations": n_iterations}
    if alpha is not None:
        kwargs["alpha"] = alpha
    model = program.new(optional=TUNABLE, **kwargs)
    reply = model.reply("fit", X, y)
    return model, reply


def probabilities(model: Model, X: np.ndarray, mistake: str = "api-contract") -> np.ndarray:
    return c.vector(model.call("predict_proba", X), len(X), "predict_proba(X)", mistake)


def labels(model: Model, X: np.ndarray, mistake: str = "api-contract") -> np.ndarray:
    return c.vector(model.call("predict", X), len(X), "predict(X)", mistake)


def set_parameters(model: Model, weights: np.ndarray, bias: float) -> None:
    model.set("weights", weights)
    model.set("bias", bias)


# -- probes ------------------------------------------------------------------------------
@probe(ID)
def overfit_tiny(ctx: Context) -> str:
    # integer arrays, as an interviewer types them (the statement allows integer X)
    X, y = AXES.astype(int), AXES_Y.astype(int)
    model, fit = train(ctx, ctx.candidate, X, y, learning_rate=0.5, n_iterations=100)
    predicted = labels(model, X)
    if not np.array_equal(predicted, AXES_Y):
        raise c.fail_fit(
            model,
            fit,
            "cannot-overfit",
            f"on the four points X={AXES.tolist()} with y={AXES_Y.astype(int).tolist()}, "
            f"predict(X) gave {predicted.astype(int).tolist()} after 100 iterations",
        )
    # The four points end up far from the boundary, where a threshold in the wrong place
    # (the logit at 0.5 instead of the probability) still gets them right: between them,
    # predict must say 1 exactly where predict_proba is at least 0.5.
    p = probabilities(model, BETWEEN)
    got = labels(model, BETWEEN)
    wrong = np.flatnonzero((got != (p >= 0.5)) & (np.abs(p - 0.5) > 1e-6))
    if wrong.size:
        i = int(wrong[0])
        raise Fail(
            "cannot-overfit",
            f"after fitting the four points on the axes, at x={BETWEEN[i].tolist()} "
            f"predict_proba gave {p[i]:.4f} but predict gave {int(got[i])} "
            f"({wrong.size} of {len(BETWEEN)} points between the classes disagree): "
            "predict must be 1 exactly where the probability is at least 0.5",
        )
    return "fits the four points on the axes exactly"


@probe(ID)
def matches_reference(ctx: Context) -> str:
    X, y = noisy(200, 3, seed=1)
    X_test, _ = noisy(100, 3, seed=2)
    settings = {"learning_rate": 1.0, "n_iterations": 300}
    expected = probabilities(train(ctx, ctx.reference, X, y, **settings)[0], X_test)
    model, fit = train(ctx, ctx.candidate, X, y, **settings)
    got = probabilities(model, X_test)
    gap = np.abs(got - expected)
    if not np.all(gap <= 0.01):
        i = int(np.nanargmax(gap)) if np.any(np.isfinite(gap)) else 0
        raise c.fail_fit(
            model,
            fit,
            "wrong-solution",
            f"on hidden data (200 samples, 3 features) predict_proba differs from the "
            f"reference by up to {gap[i]:.3g} (sample {i}: {got[i]:.4f} vs {expected[i]:.4f}; "
            "tolerance 0.01)",
        )
    return f"agrees with the reference within {gap.max():.1e}"


@probe(ID)
def loss_monotonic(ctx: Context) -> str:
    X, y = noisy(200, 3, seed=3)
    model, fit = train(ctx, ctx.candidate, X, y, learning_rate=0.5, n_iterations=150)
    values = c.history(model)
    cause = c.warning_cause(fit)
    if cause or not np.all(np.isfinite(values)):
        raise c.fail_fit(model, fit, "loss-not-decreasing", "the loss history is not finite")
    if c.rises_steadily(values):
        raise Fail(
            "gradient-sign",
            f"the full-batch loss rose from {values[0]:.4g} to {values[-1]:.4g} over "
            f"{len(values)} iterations: the update climbs the gradient",
        )
    rise = c.first_rise(values)
    if rise is not None:
        raise Fail(
            "loss-not-decreasing",
            f"the full-batch loss went up at iteration {rise + 1}: "
            f"{values[rise - 1]:.6g} -> {values[rise]:.6g}",
        )
    if not values[-1] < values[0]:
        raise Fail("loss-not-decreasing", f"the loss stayed at {values[0]:.4g}")
    return f"loss fell from {values[0]:.4g} to {values[-1]:.4g} without a rise"


@probe(ID)
def gradient_check(ctx: Context) -> str:
    X, y = noisy(20, 3, seed=4)
    model, _ = train(ctx, ctx.candidate, X, y, learning_rate=0.1, n_iterations=2, alpha=0.1)
    weights, bias = np.array([0.3, -0.2, 0.5]), 0.1
    set_parameters(model, weights, bias)
    dw, db = c.pair(model.call("gradients", X, y), "gradients(X, y)")
    analytic = {
        "weights": c.vector(dw, 3, "gradients(X, y)[0]"),
        "bias": np.array([c.scalar(db, "gradients(X, y)[1]")]),
    }

    def loss() -> float:
        return c.scalar(model.call("loss", X, y), "loss(X, y)")

    return c.gradient_check(model, {"weights": weights, "bias": np.array(bias)}, analytic, loss)


@probe(ID)
def log_zero(ctx: Context) -> str:
    model, _ = train(
        ctx, ctx.candidate, *separable(6, 2, seed=5), learning_rate=0.1, n_iterations=1
    )
    X, y = np.array([[40.0, 0.0], [-40.0, 0.0]]), np.array([0.0, 1.0])
    set_parameters(model, np.array([1.0, 0.0]), 0.0)
    try:
        value = c.scalar(model.call("loss", X, y), "loss(X, y)")
    except Fail:
        raise
    except Exception as exc:
        if c.error_cause(exc) in ("log-of-zero", None) and "log" in str(exc):
            raise Fail("log-of-zero", f"loss(X, y) raised {exc}") from None
        raise
    seen = "loss(X=[[40, 0], [-40, 0]], y=[0, 1]) with weights=[1, 0], bias=0"
    cause = c.warning_cause(model.last)
    if not math.isfinite(value):
        raise Fail(
            "log-of-zero",
            f"{seen} returned {value}: sigmoid(40) rounds to exactly 1.0, so log(1 - p) is log(0)",
        )
    if cause and cause[0] == "log-of-zero":
        raise Fail("log-of-zero", f"{seen} {cause[1]}")
    return f"loss stays finite ({value:.4g}) when probabilities saturate"


@probe(ID)
def sigmoid_overflow(ctx: Context) -> str:
    model, _ = train(
        ctx, ctx.candidate, *separable(6, 2, seed=5), learning_rate=0.1, n_iterations=1
    )
    X = np.array([[1000.0, 0.0], [-1000.0, 0.0]])
    set_parameters(model, np.array([1.0, 0.0]), 0.0)
    seen = "predict_proba(X=[[1000, 0], [-1000, 0]]) with weights=[1, 0], bias=0"
    try:
        p = probabilities(model, X)
    except Fail:
        raise
    except Exception as exc:
        if c.error_cause(exc) == "exp-overflow" or "overflow" in str(exc).lower():
            raise Fail("exp-overflow", f"{seen} raised {exc}") from None
        raise
    cause = c.warning_cause(model.last)
    if cause and cause[0] == "exp-overflow":
        raise Fail("exp-overflow", f"{seen} {cause[1]}")
    if not np.all(np.isfinite(p)) or not np.allclose(p, [1.0, 0.0], atol=1e-6):
        raise Fail("exp-overflow", f"{seen} returned {c.show(p)}, expected [1, 0]")
    return "sigmoid(±1000) gives 1 and 0 with no overflow"


@probe(ID)
def input_mutation(ctx: Context) -> str:
    X, y = noisy(30, 3, seed=6)
    model = ctx.candidate.new(optional=TUNABLE, learning_rate=0.1, n_iterations=20)
    calls = [
        ("fit", (X, y)),
        ("predict_proba", (X,)),
        ("predict", (X,)),
        ("loss", (X, y)),
        ("gradients", (X, y)),
    ]
    checked = []
    for method, args in calls:
        try:
            reply = model.reply(method, *args, return_args=True)
        except Exception:
            if method == "fit":
                raise
            continue  # a missing method is another probe's business
        names = ["X", "y"][: len(args)]
        c.unchanged(reply, args, names, f"{method}({', '.join(names)})")
        checked.append(method)
    return f"X and y are unchanged after {', '.join(checked)}"


@probe(ID)
def regularized_bias(ctx: Context) -> str:
    X, y = noisy(20, 2, seed=7)
    weights = np.array([0.4, -0.3])
    models = {}
    for alpha in (0.0, 0.5):
        model, _ = train(ctx, ctx.candidate, X, y, learning_rate=0.1, n_iterations=2, alpha=alpha)
        set_parameters(model, weights, 2.0)
        models[alpha] = model
    db = {
        a: c.scalar(c.pair(m.call("gradients", X, y), "gradients(X, y)")[1], "gradients(X, y)[1]")
        for a, m in models.items()
    }
    if not math.isclose(db[0.5], db[0.0], rel_tol=1e-7, abs_tol=1e-10):
        raise Fail(
            "regularized-bias",
            f"with bias=2.0, db is {db[0.0]:.6g} at alpha=0 but {db[0.5]:.6g} at alpha=0.5: "
            "the L2 penalty reached the bias",
        )
    shift = {}
    for alpha, model in models.items():
        values = []
        for bias in (2.0, -1.0):
            model.set("bias", bias)
            values.append(c.scalar(model.call("loss", X, y), "loss(X, y)"))
        shift[alpha] = values[0] - values[1]
    if not math.isclose(shift[0.5], shift[0.0], rel_tol=1e-7, abs_tol=1e-9):
        raise Fail(
            "regularized-bias",
            f"moving the bias from -1 to 2 changes the loss by {shift[0.0]:.6g} at alpha=0 "
            f"but by {shift[0.5]:.6g} at alpha=0.5: the penalty includes the bias",
        )
    return "alpha penalises the weights only"


def edge_fit(
    ctx: Context,
    X: np.ndarray,
    y: np.ndarray,
    what: str,
    n_iterations: int = 50,
    learning_rate: float = 0.5,
) -> tuple[Model, Reply]:
    """Fit on an edge case; a raise or a numerical warning fails as that case's mistake."""
    try:
        model, fit = train(
            ctx, ctx.candidate, X, y, learning_rate=learning_rate, n_iterations=n_iterations
        )
    except Fail:
        raise
    except Exception as exc:
        raise edge_failure(exc, f"fit on {what}", ctx.candidate) from None
    cause = c.warning_cause(fit)
    if cause:
        raise Fail(cause[0], f"fit on {what} {cause[1]}")
    return model, fit


def edge_predict(model: Model, X: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    """predict_proba and predict on an edge case, with shapes and values checked.

    Wrong labels after this are raised through `wrong_on_edge`, so a fit that climbs the
    loss everywhere is charged as gradient-sign, not as this edge case.
    """
    try:
        p = probabilities(model, X, mistake="edge-case")
        labels_ = labels(model, X, mistake="edge-case")
    except Fail as fail:
        raise Fail(fail.mistake, f"on {what}: {fail.message}") from None
    except Exception as exc:
        raise edge_failure(exc, f"predicting on {what}", model.program) from None
    cause = c.warning_cause(model.last)
    if cause:
        raise Fail(cause[0], f"predicting on {what} {cause[1]}")
    if not np.all(np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise Fail("edge-case", f"on {what}, predict_proba returned {c.show(p)}")
    if not np.all(np.isin(labels_, (0.0, 1.0))):
        raise Fail("edge-case", f"on {what}, predict returned {c.show(labels_)}, not 0/1")
    return p, labels_


def wrong_on_edge(model: Model, fit: Reply, X: np.ndarray, y: np.ndarray, message: str) -> Fail:
    """Wrong labels on an edge case: the fit's own mistake when it shows one, else edge-case."""
    explained = c.explain_fit(model, fit) or climbed(model, X, y)
    if explained:
        return Fail(explained[0], f"{message}; {explained[1]}")
    return Fail("edge-case", message)


def climbed(model: Model, X: np.ndarray, y: np.ndarray) -> tuple[str, str] | None:
    """gradient-sign when fit left the loss above its value at zero weights and bias.

    A history can be flat when the first update already saturates it (features of
    magnitude 1e4), so it cannot show the climb; the loss at the start can.
    """
    try:
        fitted = c.scalar(model.call("loss", X, y), "loss(X, y)")
        weights = c.array(model.get("weights"), "weights")
        set_parameters(model, np.zeros_like(weights), 0.0)
        start = c.scalar(model.call("loss", X, y), "loss(X, y)")
    except Exception:  # no loss or weights to compare: nothing to explain with
        return None
    if math.isfinite(fitted) and math.isfinite(start) and fitted > start * 1.05 + 1e-12:
        return (
            "gradient-sign",
            f"fit left the training loss at {fitted:.4g}, above its {start:.4g} at zero "
            "weights: the updates climb the loss instead of descending it",
        )
    return None


def edge_failure(exc: Exception, doing: str, program: Program) -> Fail:
    """An exception on an edge case: that case's mistake, grouped by where it was raised."""
    from coach.grading import cause_of

    describe = getattr(exc, "describe", lambda: str(exc))()
    if isinstance(exc, ApiMissing):
        return Fail("api-contract", describe)
    if getattr(exc, "status", "") == "timeout" and c.time_is_up(program):
        return c.out_of_time(doing)
    status = Status.TIMEOUT if getattr(exc, "status", "") == "timeout" else Status.ERROR
    return Fail("edge-case", f"{doing} failed: {describe}", status, cause=cause_of(exc))


def require_accuracy(
    model: Model,
    fit: Reply,
    X: np.ndarray,
    y: np.ndarray,
    predicted: np.ndarray,
    what: str,
    least: float = 0.9,
) -> None:
    """Fail unless at least `least` of the training labels are predicted right."""
    accuracy = float(np.mean(predicted == y))
    if accuracy < least:
        message = f"on {what} training accuracy is {accuracy:.0%}"
        raise wrong_on_edge(model, fit, X, y, message)


@probe(ID)
def one_sample(ctx: Context) -> str:
    X, y = np.array([[0.5, -1.0]]), np.array([1.0])
    what = "one sample X=[[0.5, -1.0]], y=[1]"
    model, fit = edge_fit(ctx, X, y, what)
    _, predicted = edge_predict(model, X, what)
    if predicted[0] != 1:
        message = f"after fitting {what}, predict(X) gave {c.show(predicted)}"
        raise wrong_on_edge(model, fit, X, y, message)
    return "fits and predicts a single sample"


@probe(ID)
def one_feature(ctx: Context) -> str:
    X, y = separable(30, 1, seed=8)
    what = "one feature (X of shape (30, 1))"
    model, fit = edge_fit(ctx, X, y, what)
    _, predicted = edge_predict(model, X, what)
    require_accuracy(model, fit, X, y, predicted, what)
    weights = c.array(model.get("weights"), "weights", "edge-case")
    if weights.size != 1:
        raise Fail("edge-case", f"on {what} weights has shape {weights.shape}")
    return "handles a single feature"


@probe(ID)
def same_labels(ctx: Context) -> str:
    X, _ = noisy(10, 2, seed=9)
    for label in (1.0, 0.0):
        y = np.full(10, label)
        what = f"labels all {int(label)}"
        model, fit = edge_fit(ctx, X, y, what)
        _, predicted = edge_predict(model, X, what)
        if not np.all(predicted == label):
            message = f"with {what}, predict gave {c.show(predicted)}"
            raise wrong_on_edge(model, fit, X, y, message)
    return "predicts the only class when every label is the same"


@probe(ID)
def extreme_values(ctx: Context) -> str:
    X, y = separable(40, 2, seed=10, scale=1e4)
    what = "features of magnitude 1e4"
    model, fit = edge_fit(ctx, X, y, what, learning_rate=0.1)
    _, predicted = edge_predict(model, X, what)
    try:
        values = c.history(model, at_least=1)
    except Exception:  # the history has its own probe
        values = np.zeros(1)
    if not np.all(np.isfinite(values)):
        raise Fail("log-of-zero", f"on {what} the training loss became {c.show(values)}")
    require_accuracy(model, fit, X, y, predicted, what)
    return "stays finite and accurate on features of magnitude 1e4"


@probe(ID)
def vectorized(ctx: Context) -> str:
    X, y = noisy(20_000, 5, seed=12)

    def run(program: Program) -> float:
        model, fit = train(ctx, program, X, y, learning_rate=0.1, n_iterations=5)
        best = fit.elapsed
        predict = model.reply("predict_proba", X, repeat=3, timeout=20.0)
        return best + predict.elapsed

    _, _, ratio = c.time_beside_reference(
        ctx, run, "fit (5 iterations) + predict_proba on 20,000 samples"
    )
    return f"{ratio:.1f}x the reference's time on 20,000 samples"


@probe(ID)
def numpy_only(ctx: Context) -> str:
    return c.numpy_only(ctx)
