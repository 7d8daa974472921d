"""Adapters: how the grader drives one shape of model, so that families need not know it.

`GradientModel` drives models trained by full-batch gradient descent with a weight array
and a bias (linear, logistic and softmax regression): it makes and fits them, reads and
sets their parameters, reads their outputs, loss and gradients, and answers the two
questions every hygiene probe asks first: does the code learn at all (`works`), and is its
loss the problem's loss up to a constant factor (`loss_convention`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from coach.probes import Context, Fail, Skip
from coach.probes import values as v
from coach.probes.data import make_array
from coach.probes.evidence import first_rise, history_cause, warning_cause
from coach.program import Model, Program
from coach.sandbox import ApiMissing, CallFailed, CandidateRaised, Reply, WorkerDied

if TYPE_CHECKING:  # the models need pydantic; grading reads cached views
    from coach.specs import ProblemSpec

TUNABLE = ("learning_rate", "n_iterations")  # left at the candidate's default if absent


@dataclass(frozen=True)
class LossConvention:
    """How the candidate's loss relates to the reference's: `factor` times it, per sample
    when `summed`. `problem` says why it is not the problem's loss at all."""

    factor: float = 1.0
    summed: bool = False
    problem: str = ""

    def scale(self, n: int) -> float:
        """What the candidate's loss (and so its gradients) is multiplied by on n samples."""
        return self.factor * (n if self.summed else 1)


class Adapter:
    """The shape of model a problem asks for: how to make, fit and read one.

    Families call `train`, `outputs`, `labels`, `fail_fit` and the `works` gate; what they
    mean is the adapter's.
    """

    def __init__(self, spec: ProblemSpec) -> None:
        self.spec = spec
        probabilities = "predict_proba" in spec.interface.methods
        task = getattr(spec.grading, "task", None)
        self.classifier = probabilities or task == "classification"
        self.output = "predict_proba" if probabilities else "predict"
        self.defaults = dict(spec.interface.constructor)
        self.iterates = False  # trained by iterations whose count a probe sets
        self.works_bar = 0.5  # the agreement with the easy case's targets that shows it learns

    def train(
        self, ctx: Context, program: Program, X: Any, y: Any, **settings: Any
    ) -> tuple[Model, Reply]:
        """A model of `program` fitted on (X, y), and the fit call's reply."""
        raise NotImplementedError

    def default(self, name: str, fallback: Any) -> Any:
        return self.defaults.get(name, fallback)

    def call(self, program: Program, name: str, *args: Any, **kwargs: Any) -> Any:
        """One of the interface's module functions, run in `program`."""
        return program.function(name, *args, **kwargs)

    # -- reading ------------------------------------------------------------------------
    def outputs(self, model: Model, X: Any, n: int, mistake: str = "api-contract") -> np.ndarray:
        """predict_proba for a classifier, predict for a regressor, as (n,) floats."""
        return v.vector(model.call(self.output, X), n, f"{self.output}(X)", mistake)

    def labels(self, model: Model, X: Any, n: int, mistake: str = "api-contract") -> np.ndarray:
        return v.class_labels(model.call("predict", X), n, "predict(X)", mistake)

    def disagreements(self, prob: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, str]:
        """Where predict's labels are not the class predict_proba makes most probable (1
        exactly where a binary probability is at least 0.5, a row's argmax for several
        classes; near-ties left out), and that rule in words."""
        if prob.ndim == 2:
            if labels.size and np.max(labels) >= prob.shape[1]:  # columns for the classes
                return np.zeros(0, dtype=int), ""  # seen only: the mapping is the candidate's
            top = np.sort(np.column_stack([np.zeros(len(prob)), prob]), axis=1)
            expected, clear = np.argmax(prob, axis=1), top[:, -1] - top[:, -2] > 1e-6
            rule = "the class of the largest probability in its row"
        else:
            expected, clear = prob >= 0.5, np.abs(prob - 0.5) > 1e-6
            rule = "1 exactly where the probability is at least 0.5"
        return np.flatnonzero((labels != expected) & clear), rule

    def answers(self, model: Model, X: Any, n: int, mistake: str = "api-contract") -> np.ndarray:
        """What the model predicts: labels for a classifier, values for a regressor."""
        if self.classifier:
            return self.labels(model, X, n, mistake)
        return self.outputs(model, X, n, mistake)

    def history(self, model: Model, at_least: int = 2) -> np.ndarray:
        values = v.array(model.get("loss_history"), "loss_history").ravel()
        if values.size < at_least:
            raise Fail("api-contract", f"loss_history holds {values.size} values after fit")
        return values

    # -- what a bad fit is evidence of --------------------------------------------------
    def explain(self, ctx: Context, model: Model, fit: Reply | None) -> tuple[str, str] | None:
        """The mistake that explains a bad fit, if its evidence shows one."""
        found = self.defect(ctx)
        if found:
            return found
        cause = warning_cause(fit)
        return (cause[0], f"fit {cause[1]}") if cause else None

    def fail_fit(
        self,
        ctx: Context,
        model: Model,
        fit: Reply | None,
        message: str,
        mistake: str | None = None,
    ) -> Fail:
        """A Fail citing what explains a bad fit, else `mistake` (default: the probe's)."""
        explained = self.explain(ctx, model, fit)
        if explained:
            return Fail(explained[0], f"{message}; {explained[1]}")
        return Fail(mistake, message)

    def easy_data(self, ctx: Context, n: int = 40, **options: Any) -> tuple[np.ndarray, np.ndarray]:
        """The data the `works` gate fits (the problem's easy case), `n` samples of it."""
        default = "logistic" if self.classifier else "linear"
        return ctx.data(self.spec.grading.works.get("data", default), n=n, **options)

    # -- the gate of every hygiene probe ------------------------------------------------
    def works(self, ctx: Context) -> None:
        """Skip unless, after fit, the outputs follow the training targets (|corr| >= 0.5).

        A class whose methods return constants, random numbers or nothing does not; code
        that learns backwards (gradient ascent) does, and its mistake is found elsewhere.
        """
        _gate(ctx, "works", self._works)

    def functions_work(self, ctx: Context) -> None:
        """Skip unless one of the gate's module functions (`grading.works.calls`) answers
        two different inputs differently."""
        _gate(ctx, "functions", self._functions_work)

    def _functions_work(self, ctx: Context) -> str | BaseException:
        calls = self.spec.grading.works.get("calls") or []
        missing: list[ApiMissing] = []
        raised: list[CallFailed] = []
        said = ""
        for call in calls:
            name = call["function"]
            try:
                outs = [
                    v.array(self.call(ctx.candidate, name, *map(make_array, a)), name)
                    for a in call["args"]
                ]
            except ApiMissing as exc:
                missing.append(exc)
                continue
            except CallFailed as exc:  # this one raised; another may work
                raised.append(exc)
                continue
            except Fail as fail:
                said = said or f"not scored until the functions work: {fail.message}"
                continue
            if all(o.shape == outs[0].shape and np.allclose(o, outs[0]) for o in outs[1:]):
                said = said or (
                    f"not scored until the functions work: {name} gave {v.show(outs[0])} "
                    "whatever its input"
                )
                continue
            return ""
        if calls and len(missing) == len(calls):
            names = ", ".join(self.spec.interface.functions)
            return ApiMissing(f"no function of the interface is defined (expected {names})")
        return raised[0] if raised else said

    def agreement(self, out: np.ndarray, y: np.ndarray) -> float:
        """How closely the outputs follow the targets (a correlation, 1 = perfectly)."""
        return float(np.corrcoef(out, y)[0, 1])

    def defect(self, ctx: Context) -> tuple[str, str] | None:
        """A fault of the model's structure that spoils every probe of its values (a
        softmax over the wrong axis), found directly once per grade; None when there is
        none, or when the code does not run far enough to tell (other probes say so)."""
        if "defect" not in ctx.memo:
            ctx.memo["defect"] = None
            try:
                ctx.memo["defect"] = self.find_defect(ctx)
            except (Fail, CallFailed):
                pass
        return ctx.memo["defect"]

    def find_defect(self, ctx: Context) -> tuple[str, str] | None:
        return None

    def _works(self, ctx: Context) -> str | BaseException:
        settings = _gate_settings(self.spec)
        X, y = self.easy_data(ctx, n=int(settings.pop("n", 60)))
        try:
            model, _ = self.train(ctx, ctx.candidate, X, y, **settings)
            out = self.outputs(model, X, len(y))
        except CallFailed as exc:
            return exc
        except Fail as fail:
            return f"not scored until the model works: {fail.message}"
        if not np.all(np.isfinite(out)) or np.ptp(out) < 1e-12:
            return (
                f"not scored until the model learns: after fit, {self.output}(X) on its "
                f"training data returned {v.show(out)}"
            )
        corr = self.agreement(out, y)
        if not abs(corr) >= self.works_bar:
            return (
                f"not scored until the model learns: after fit, {self.output}(X) does not "
                f"follow the training targets (correlation {corr:.2f})"
            )
        return self.trained(ctx, X, y, settings, out)

    def trained(
        self, ctx: Context, X: Any, y: Any, settings: dict[str, Any], out: np.ndarray
    ) -> str | BaseException:
        """More the gate asks of outputs `out` that follow the targets (none here)."""
        return ""


class GradientModel(Adapter):
    """A model trained by gradient descent, with `weights`, `bias`, `loss`, `gradients` and
    `loss_history` (linear, logistic and softmax regression)."""

    def __init__(self, spec: ProblemSpec) -> None:
        super().__init__(spec)
        self.iterates = True

    # -- making and fitting -------------------------------------------------------------
    def train(
        self,
        ctx: Context,
        program: Program,
        X: np.ndarray,
        y: np.ndarray,
        *,
        learning_rate: float | None = None,
        n_iterations: int | None = None,
        alpha: float | None = None,
        samples: int | None = None,
        **extra: Any,
    ) -> tuple[Model, Reply]:
        """A model of `program` fitted on (X, y), and the fit call's reply.

        The candidate's learning rate is divided by its loss's scale (a summed loss has n
        times the gradient of a mean one), so that both take the same steps. `samples`
        gives n when X and y are handles to data kept in the worker.
        """
        kwargs: dict[str, Any] = dict(extra)
        if learning_rate is not None:
            if program is ctx.candidate:
                n = samples if samples is not None else len(y)
                learning_rate = learning_rate / self.convention_for_steps(ctx).scale(n)
            kwargs["learning_rate"] = learning_rate
        if n_iterations is not None:
            kwargs["n_iterations"] = int(n_iterations)
        if alpha is not None:
            kwargs["alpha"] = alpha
        model = program.new(optional=TUNABLE, **kwargs)
        return model, model.reply("fit", X, y, kind="call:fit")

    # -- reading ------------------------------------------------------------------------
    def weights(self, model: Model, mistake: str = "api-contract") -> np.ndarray:
        return v.array(model.get("weights"), "weights", mistake).ravel()

    def set_parameters(self, model: Model, weights: Any, bias: Any) -> None:
        self.set_parameter(model, "weights", np.asarray(weights, dtype=float))
        self.set_parameter(model, "bias", np.asarray(bias, dtype=float))

    def loss(self, model: Model, X: Any, y: Any) -> float:
        return v.scalar(model.call("loss", X, y), "loss(X, y)")

    # -- parameters by name (what gradient checks and loss comparisons move) ----------
    def parameters(self, model: Model) -> dict[str, np.ndarray]:
        """The model's parameters by name, as float arrays of their shapes."""
        bias = v.scalar(model.get("bias"), "bias")
        return {"weights": self.weights(model), "bias": np.array([bias])}

    def shapes(self, model: Model) -> dict[str, tuple[int, ...]]:
        return {name: a.shape for name, a in self.parameters(model).items()}

    def set_parameter(self, model: Model, name: str, value: np.ndarray) -> None:
        model.set(name, float(np.ravel(value)[0]) if name == "bias" else np.asarray(value))

    def gradient_arrays(
        self, model: Model, X: Any, y: Any, shapes: dict[str, tuple[int, ...]]
    ) -> dict[str, np.ndarray]:
        """gradients(X, y) by parameter name, in the parameters' shapes."""
        dw, db = v.pair(model.call("gradients", X, y), "gradients(X, y)")
        return {
            "weights": v.vector(dw, int(np.prod(shapes["weights"])), "gradients(X, y)[0]"),
            "bias": np.array([v.scalar(db, "gradients(X, y)[1]")]),
        }

    # -- what a bad fit is evidence of --------------------------------------------------
    def explain(self, ctx: Context, model: Model, fit: Reply | None) -> tuple[str, str] | None:
        """The mistake that explains a bad fit, if its evidence shows one."""
        found = self.defect(ctx)
        if found:
            return found
        cause = warning_cause(fit)  # a regressor's overflow is a divergence: no log, no exp
        if cause and (self.classifier or cause[0] == "division-by-zero"):
            return cause[0], f"fit {cause[1]}"
        try:
            values = self.history(model, at_least=1)
        except (Fail, CallFailed):
            values = np.zeros(0)
        found = history_cause(values)
        if self.classifier and found and found[0] == "log-of-zero":
            return found
        climbs = self.climbs(ctx)
        if climbs:
            return climbs
        wrong = self.gradients_disagree(ctx)  # before a rise: a wrong gradient overshoots
        if wrong:
            return wrong
        rise = first_rise(values) if np.all(np.isfinite(values)) else None
        if rise is not None:
            return "loss-not-decreasing", (
                f"its training loss went up at iteration {rise + 1} "
                f"({' -> '.join(v.apart(values[rise - 1], values[rise]))}): the updates are "
                "not plain gradient-descent steps"
            )
        return self.stuck_bias(ctx) or self.ignored_setting(ctx)

    def ignored_setting(self, ctx: Context) -> tuple[str, str] | None:
        """api-contract when fit takes learning_rate or n_iterations and then ignores it:
        3 iterations must leave 3 (or 4, the start included) losses in loss_history, and
        ten times the learning rate must move the weights elsewhere."""
        if "ignored" not in ctx.memo:
            ctx.memo["ignored"] = None
            X, y = self.easy_data(ctx)
            try:
                fitted = []
                for rate in (1e-4, 1e-3):
                    model = ctx.candidate.new(learning_rate=rate, n_iterations=3)
                    model.call("fit", X, y)
                    fitted.append(model)
                ran = self.history(fitted[0], at_least=0).size
                weights = [self.weights(m) for m in fitted]
            except (Fail, CallFailed):
                return None  # no such setting, or nothing to read: other probes say so
            if ran > 4:
                ctx.memo["ignored"] = (
                    "api-contract",
                    f"fit ignores n_iterations: asked for 3, it ran {ran} (the length of "
                    "loss_history)",
                )
            elif np.any(weights[0] != 0) and np.array_equal(weights[0], weights[1]):
                ctx.memo["ignored"] = (
                    "api-contract",
                    "fit ignores learning_rate: 3 iterations at 1e-4 and at 1e-3 give the "
                    f"same weights {v.show(weights[0])}",
                )
        return ctx.memo["ignored"]

    def stuck_bias(self, ctx: Context) -> tuple[str, str] | None:
        """wrong-solution when fit never moves the bias: on easy data moved away from the
        origin, the reference's fitted bias is not 0 and the candidate's is exactly 0."""
        if "stuck_bias" not in ctx.memo:
            ctx.memo["stuck_bias"] = None
            X, y = self.easy_data(ctx)
            X = X + 2.0
            fitted = []
            try:
                for program in (ctx.reference, ctx.candidate):
                    model, _ = self.train(ctx, program, X, y, learning_rate=0.1, n_iterations=20)
                    fitted.append(v.array(model.get("bias"), "bias"))
                moved = np.any(self.weights(model) != 0)  # fit does something, but not this
            except (Fail, CallFailed):
                return None
            theirs, mine = fitted
            if moved and np.any(theirs != 0) and mine.size and np.all(mine == 0):
                ctx.memo["stuck_bias"] = (
                    "wrong-solution",
                    f"after 20 iterations on easy data away from the origin the bias is still "
                    f"{v.show(mine)} (the reference's is {v.show(theirs)}): fit never updates it",
                )
        return ctx.memo["stuck_bias"]

    def gradients_disagree(self, ctx: Context) -> tuple[str, str] | None:
        """wrong-gradient (or gradient-sign) when gradients() is not the gradient of the
        candidate's own loss on easy data: that explains a fit that lands elsewhere."""
        if "gradients" not in ctx.memo:
            ctx.memo["gradients"] = None
            try:
                ctx.memo["gradients"] = self._gradients_disagree(ctx)
            except (Fail, CallFailed):
                pass  # unreadable gradients have probes of their own
        return ctx.memo["gradients"]

    def _gradients_disagree(self, ctx: Context) -> tuple[str, str] | None:
        from coach.probes.families.gradients import compare_gradients

        if self.loss_convention(ctx).problem:
            return None
        X, y = self.easy_data(ctx, n=13)
        model, _ = self.train(ctx, ctx.candidate, X, y, learning_rate=1e-3, n_iterations=1)
        rng = np.random.default_rng(5)
        chosen = {name: rng.normal(0, 0.5, a.shape) for name, a in self.parameters(model).items()}
        for name, value in chosen.items():
            self.set_parameter(model, name, value)
        analytic = self.gradient_arrays(model, X, y, {n: a.shape for n, a in chosen.items()})
        try:
            compare_gradients(
                chosen,
                analytic,
                lambda: self.loss(model, X, y),
                lambda name, value: self.set_parameter(model, name, value),
                tol=1e-4,
            )
        except Fail as fail:
            return (
                fail.mistake or "wrong-gradient",
                f"its gradients disagree with its loss ({fail.message})",
            )
        return None

    def climbs(self, ctx: Context) -> tuple[str, str] | None:
        """gradient-sign when, on easy data with a small step, the loss goes up."""
        if "climbs" not in ctx.memo:
            ctx.memo["climbs"] = None
            try:
                if self.loss_convention(ctx).problem:
                    return None  # a history of something else says nothing of the steps
            except (Fail, CallFailed):
                return None
            X, y = self.easy_data(ctx)
            try:
                model, _ = self.train(ctx, ctx.candidate, X, y, learning_rate=0.01, n_iterations=20)
                values = self.history(model)
            except (Fail, CallFailed):
                return None
            finite = values[np.isfinite(values)]
            if finite.size >= 3 and finite[-1] > finite[0] and np.mean(np.diff(finite) > 0) > 0.5:
                ctx.memo["climbs"] = (
                    "gradient-sign",
                    f"with a small step on easy data the training loss rose from "
                    f"{finite[0]:.4g} to {finite[-1]:.4g}: the updates climb the loss",
                )
        return ctx.memo["climbs"]

    # -- the loss gate -------------------------------------------------------------------
    def convention_for_steps(self, ctx: Context) -> LossConvention:
        """The loss convention, or the plain mean when the loss cannot be read."""
        try:
            return self.loss_convention(ctx)
        except (Fail, CallFailed):  # each probe's own fit will show what is wrong
            return LossConvention()

    def loss_convention(self, ctx: Context) -> LossConvention:
        """How the candidate's loss compares with the reference's (alpha = 0).

        At three settings of the parameters, the ratio of the two losses must be one
        positive constant: then the loss is the loss, and the ratio says whether it is
        summed (n, n/2 or 2n times the mean) or scaled by a constant (a 1/2 more or less).
        """
        found = ctx.memo.get("convention")
        if found is None:
            try:
                found = self._convention(ctx)
            except WorkerDied:
                raise  # a forged reply or a crash of the process: try again next time
            except (Fail, CallFailed) as exc:
                found = exc
            ctx.memo["convention"] = found
        if isinstance(found, BaseException):
            raise found
        return found

    def require_loss(self, ctx: Context) -> None:
        """Fail as api-contract when loss() is not the problem's loss."""
        found = self.loss_convention(ctx)
        if found.problem:
            defect = self.defect(ctx)
            if defect:
                raise Fail(defect[0], f"loss(X, y) is not the problem's loss: {defect[1]}")
            raise Fail("api-contract", found.problem)

    def _convention(self, ctx: Context) -> LossConvention:
        n = 13  # odd and prime: a constant factor is not mistaken for n or 2n
        X, y = self.easy_data(ctx, n=n)
        # the gate's structure (a network's layer_sizes), not its steps
        shape = {k: x for k, x in _gate_settings(self.spec).items() if k not in TUNABLE}
        cand = ctx.candidate.new(optional=TUNABLE, learning_rate=1e-3, n_iterations=1, **shape)
        cand.call("fit", X, y)
        ref = ctx.reference.new(optional=TUNABLE, learning_rate=1e-3, n_iterations=1, **shape)
        ref.call("fit", X, y)
        shapes = {name: a.shape for name, a in self.parameters(ref).items()}
        rng = np.random.default_rng(n)
        settings = [{k: np.zeros(s) for k, s in shapes.items()}]
        settings += [{k: rng.normal(0, 0.5, s) for k, s in shapes.items()} for _ in range(2)]
        seen = []
        for setting in settings:
            for name, value in setting.items():
                self.set_parameter(cand, name, value)
                self.set_parameter(ref, name, value)
            mine, theirs = self.loss(cand, X, y), self.loss(ref, X, y)
            first = next(iter(setting))
            seen.append((f"{first}={v.show(setting[first])}", mine, theirs))
        ratio = seen[0][1] / seen[0][2] if seen[0][2] else math.nan
        for label, mine, theirs in seen:
            this = mine / theirs if theirs else math.nan
            if not (math.isfinite(this) and this > 0 and math.isclose(this, ratio, rel_tol=1e-5)):
                return LossConvention(
                    problem=(
                        f"loss(X, y) is not the problem's loss: on {n} samples at {label} "
                        f"it returned {mine:.6g} where the loss is {theirs:.6g} (with "
                        f"every parameter 0: {seen[0][1]:.6g} vs {seen[0][2]:.6g}), and "
                        "no constant factor relates them"
                    )
                )
        per_sample = ratio / n
        summed = any(math.isclose(per_sample, f, rel_tol=0.01) for f in (0.5, 1.0, 2.0))
        factor = per_sample if summed else ratio
        if summed:
            ctx.notes.append(
                "loss() sums over samples rather than averaging: a convention, not a mistake; "
                "probes divided their learning rate by n to match"
            )
        elif not math.isclose(factor, 1.0, rel_tol=0.01):
            ctx.notes.append(
                f"loss() is {factor:.3g} times the statement's loss (another constant "
                "factor, a convention); probes divided their learning rate by it to match"
            )
        return LossConvention(factor=factor, summed=summed)


class Softmax(GradientModel):
    """Softmax regression: `weights` (d, K), `bias` (K,), predict_proba (n, K) whose rows
    sum to 1, labels 0..K-1."""

    def outputs(self, model: Model, X: Any, n: int, mistake: str = "api-contract") -> np.ndarray:
        return v.matrix(model.call("predict_proba", X), n, "predict_proba(X)", mistake)

    def agreement(self, out: np.ndarray, y: np.ndarray) -> float:
        """The correlation of the probabilities with the one-hot labels."""
        labels = y.astype(int)
        if out.shape[1] <= int(labels.max()):
            return 0.0
        return float(np.corrcoef(out.ravel(), np.eye(out.shape[1])[labels].ravel())[0, 1])

    def parameters(self, model: Model) -> dict[str, np.ndarray]:
        weights = v.array(model.get("weights"), "weights")
        if weights.ndim != 2:
            raise Fail("api-contract", f"weights has shape {weights.shape}, expected (d, K)")
        return {"weights": weights, "bias": v.array(model.get("bias"), "bias").ravel()}

    def set_parameter(self, model: Model, name: str, value: np.ndarray) -> None:
        model.set(name, np.asarray(value, dtype=float))

    def gradient_arrays(
        self, model: Model, X: Any, y: Any, shapes: dict[str, tuple[int, ...]]
    ) -> dict[str, np.ndarray]:
        dW, db = v.pair(model.call("gradients", X, y), "gradients(X, y)")
        found = {}
        for name, given in (("weights", dW), ("bias", db)):
            out = v.array(given, f"the gradient of {name}")
            if out.size == 1 and name == "bias":  # one number for every class: broadcast
                out = np.full(shapes[name], float(out.ravel()[0]))
            fits = [n for n in out.shape if n != 1] == [n for n in shapes[name] if n != 1]
            if not fits:  # a column or row is fine; a transposed layout is not
                raise Fail(
                    "api-contract",
                    f"the gradient of {name} has shape {out.shape}; {name} has {shapes[name]}",
                )
            found[name] = out.reshape(shapes[name])
        return found

    def find_defect(self, ctx: Context) -> tuple[str, str] | None:
        """wrong-axis when, after fit, the rows of predict_proba do not sum to 1 or a row's
        probabilities change with the other rows of the batch (a max or sum over axis 0)."""
        X, y = self.easy_data(ctx, n=30)
        model, _ = self.train(ctx, ctx.candidate, X, y, learning_rate=0.5, n_iterations=20)
        return rows_defect(lambda A: self.outputs(model, A, len(A)), X)


def rows_defect(proba: Any, X: np.ndarray) -> tuple[str, str] | None:
    """What is wrong with a softmax's rows, if anything: `proba(A)` gives the (n, K)
    probabilities of the rows of A. Rows must sum to 1 (columns summing to 1 instead is the
    samples' axis), and a row's probabilities must not change with the rest of its batch."""
    batch = proba(X[:7])
    if batch.ndim != 2 or batch.shape[0] != 7:
        return None
    sums = batch.sum(axis=1)
    if not np.allclose(sums, 1.0, atol=1e-6):
        if np.allclose(batch.sum(axis=0), 1.0, atol=1e-6):
            return "wrong-axis", (
                f"the rows of predict_proba(X) sum to {v.show(sums)}, not 1, and its "
                "columns to 1: the softmax normalises over the samples (axis 0), not "
                "the classes (axis 1)"
            )
        return "wrong-solution", (
            f"the rows of predict_proba(X) sum to {v.show(sums)}, not 1: each row must "
            "be divided by its own sum of exponentials, exactly"
        )
    for i in range(3):
        alone = proba(X[i : i + 1])
        if alone.shape == (1, batch.shape[1]) and not np.allclose(alone[0], batch[i], atol=1e-6):
            return "wrong-axis", (
                f"row {i}'s probabilities are {v.show(batch[i])} in a batch of 7 but "
                f"{v.show(alone[0])} alone: each row's softmax must use only that row "
                "(a max or sum over axis 0 mixes the samples)"
            )
    return None


class Network(GradientModel):
    """A network: `weights` and `biases` are lists (one array a layer, any sizes), the
    gradients a pair of such lists, and predict_proba an (n, K) array. A layer may be kept
    as (fan_in, fan_out) or (fan_out, fan_in): values are set in the model's own layout."""

    def __init__(self, spec: ProblemSpec) -> None:
        super().__init__(spec)
        self._layouts: dict[tuple[int, str, str], bool] = {}

    def trained(
        self, ctx: Context, X: Any, y: Any, settings: dict[str, Any], out: np.ndarray
    ) -> str | BaseException:
        """fit changed the outputs: a random network that never trains follows easy blobs
        too. `out` came from the gate's fit; one iteration must give something else."""
        try:
            once, _ = self.train(ctx, ctx.candidate, X, y, **{**settings, "n_iterations": 1})
            before = self.outputs(once, X, len(y))
        except CallFailed as exc:
            return exc
        except Fail as fail:
            return f"not scored until the model works: {fail.message}"
        if np.allclose(before, out, atol=1e-9):
            return (
                "not scored until the model learns: predict_proba is the same after 1 and after "
                f"{settings.get('n_iterations', 100)} iterations of fit"
            )
        return ""

    def find_defect(self, ctx: Context) -> tuple[str, str] | None:
        """A softmax's rows at fault (see rows_defect), or hidden layers that saturate."""
        settings = _gate_settings(self.spec)
        X, y = self.easy_data(ctx, n=int(settings.pop("n", 60)))
        model, _ = self.train(ctx, ctx.candidate, X, y, **{**settings, "n_iterations": 5})
        found = rows_defect(lambda A: v.array(model.call("predict_proba", A), "predict_proba"), X)
        if found:
            return found
        sizes = settings.get("layer_sizes") or self.default("layer_sizes", None)
        if not sizes or len(sizes) < 3:
            return None
        return self._saturating_hidden(model, X[:6], [int(s) for s in sizes])

    def _saturating_hidden(
        self, model: Model, X: np.ndarray, sizes: list[int]
    ) -> tuple[str, str] | None:
        """Hidden layers that compute a sigmoid or tanh where ReLU is asked, found by
        setting random weights and computing the network here with each activation."""
        rng = np.random.default_rng(3)
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            W, b = rng.normal(0, 1.0, (n_in, n_out)), rng.normal(0, 0.5, n_out)
            self.set_parameter(model, f"weights[{i}]", W)
            held = np.shape(model.get(f"biases[{i}]"))
            model.set(f"biases[{i}]", b.reshape(held))
            layers.append((W, b))
        got = v.array(model.call("predict_proba", X), "predict_proba(X)")

        def forward(act: Any) -> np.ndarray:
            a = X
            for W, b in layers[:-1]:
                a = act(a @ W + b)
            z = a @ layers[-1][0] + layers[-1][1]
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)

        if got.shape != (len(X), sizes[-1]) or np.allclose(
            got, forward(lambda z: np.maximum(z, 0))
        ):
            return None
        for name, act in (("sigmoid", lambda z: 1 / (1 + np.exp(-z))), ("tanh", np.tanh)):
            if np.allclose(got, forward(act), atol=1e-8):
                return "vanishing-gradients", (
                    f"the hidden layers compute {name}, not ReLU: its derivative is at most "
                    f"{'0.25' if name == 'sigmoid' else '1, and near 0 once saturated'}, so each "
                    "layer shrinks the gradient and a deep network stops learning"
                )
        return None

    def explain(self, ctx: Context, model: Model, fit: Reply | None) -> tuple[str, str] | None:
        """A start that left every hidden unit of a layer identical explains any bad fit."""
        try:
            layers = model.get("weights")
            for i, layer in enumerate(layers[:-1] if isinstance(layers, (list, tuple)) else []):
                W = np.asarray(layer, dtype=float)
                if (
                    W.ndim == 2
                    and min(W.shape) > 1
                    and (np.allclose(W, W[:, :1]) or np.allclose(W, W[:1]))
                ):
                    return "bad-initialization", (
                        f"after fit, the hidden units of layer {i} all have the same weights "
                        f"({v.show(W)}): started equal, they get equal gradients forever"
                    )
        except (CallFailed, TypeError, ValueError):
            pass
        return super().explain(ctx, model, fit)

    def parameters(self, model: Model) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for attr in ("weights", "biases"):
            layers = model.get(attr)
            if not isinstance(layers, (list, tuple)):
                raise Fail("api-contract", f"{attr} is {v.show(layers)}, not a list of arrays")
            for i, layer in enumerate(layers):
                found[f"{attr}[{i}]"] = v.array(layer, f"{attr}[{i}]")
        return found

    def set_parameter(self, model: Model, name: str, value: np.ndarray) -> None:
        """Set a layer's array, transposed when the model keeps it as (fan_out, fan_in)."""
        value = np.asarray(value)
        key = (id(model.program), str(model.handle.id), name)
        if key not in self._layouts:
            held = np.shape(model.get(name))
            self._layouts[key] = value.ndim == 2 and held == value.shape[::-1] != value.shape
        model.set(name, value.T if self._layouts[key] else value)

    def gradient_arrays(
        self, model: Model, X: Any, y: Any, shapes: dict[str, tuple[int, ...]]
    ) -> dict[str, np.ndarray]:
        dW, db = v.pair(model.call("gradients", X, y), "gradients(X, y)")
        found = {}
        for attr, given in (("weights", dW), ("biases", db)):
            names = [n for n in shapes if n.startswith(f"{attr}[")]
            if not isinstance(given, (list, tuple)) or len(given) != len(names):
                raise Fail(
                    "api-contract",
                    f"gradients(X, y) gave {v.show(given)} for the {len(names)} {attr} arrays, "
                    "expected a list with one gradient per layer",
                )
            for name, grad in zip(names, given, strict=True):
                out = v.array(grad, f"the gradient of {name}")
                if out.size != int(np.prod(shapes[name])):
                    raise Fail("api-contract", f"the gradient of {name} has shape {out.shape}")
                found[name] = out.reshape(shapes[name])
        return found

    def outputs(self, model: Model, X: Any, n: int, mistake: str = "api-contract") -> np.ndarray:
        """The probability of class 1 (the column a binary task is judged on)."""
        out = v.array(model.call("predict_proba", X), "predict_proba(X)", mistake)
        if out.ndim != 2 or out.shape[0] != n:
            raise Fail(mistake, f"predict_proba(X) returned shape {out.shape}, expected ({n}, K)")
        return out[:, 1] if out.shape[1] > 1 else out[:, 0]


class Estimator(Adapter):
    """A model fitted in one call with its own settings and no learning rate (k-means,
    KNN, PCA, trees): `fit(X, y)` (or `fit(X)` when `grading.supervised` is false), then
    `predict` or `transform`. Settings a family passes for gradient descent are not sent."""

    STEPS = ("learning_rate", "n_iterations", "alpha", "samples")

    def train(
        self, ctx: Context, program: Program, X: Any, y: Any, **settings: Any
    ) -> tuple[Model, Reply]:
        construct = {k: x for k, x in settings.items() if k not in self.STEPS}
        model = program.new(**construct)
        args = (X, y) if self.spec.grading.supervised else (X,)
        return model, model.reply("fit", *args, kind="call:fit")


class Clusterer(Estimator):
    """A clustering (k-means): `fit(X)`, `predict` gives cluster indices, judged up to a
    relabelling of the clusters; the easy case is blobs whose labels are the true clusters."""

    def outputs(self, model: Model, X: Any, n: int, mistake: str = "api-contract") -> np.ndarray:
        return v.class_labels(model.call("predict", X), n, "predict(X)", mistake).astype(float)

    def agreement(self, out: np.ndarray, y: np.ndarray) -> float:
        """The share of points in the right cluster under the best relabelling."""
        return same_partition(out, y)

    def _works(self, ctx: Context) -> str | BaseException:
        """Skip while predict gives one cluster for everything; a clustering that runs but
        misses the blobs, or whose centroids are not the means of their points (the update
        never ran), is wrong, and says so."""
        settings = _gate_settings(self.spec)
        X, truth = ctx.data(self.spec.grading.works["data"])  # as the spec gives it
        try:
            model, _ = self.train(ctx, ctx.candidate, X, None, **settings)
            got = self.outputs(model, X, len(X))
            centroids = v.array(model.get("centroids"), "centroids")
        except CallFailed as exc:
            return exc
        except Fail as fail:
            return f"not scored until the model works: {fail.message}"
        if np.ptp(got) == 0:
            return f"not scored until the model learns: predict(X) gave {v.show(got)}"
        what = "on three blobs (the gate of every probe)"
        share = same_partition(got, truth)
        if share < 0.5:
            return Fail(
                "wrong-solution",
                f"{what}, predict put only {share:.0%} of the points with their blob",
            )
        if centroids.ndim != 2 or centroids.shape[1] != X.shape[1]:
            return Fail("api-contract", f"centroids has shape {centroids.shape}")
        nearest = np.argmin(((X[:, None, :] - centroids[None]) ** 2).sum(axis=2), axis=1)
        spread = float(np.std(X))
        for j in np.unique(nearest):
            gap = float(np.linalg.norm(centroids[j] - X[nearest == j].mean(axis=0)))
            if not gap <= 0.15 * spread:
                return Fail(
                    "wrong-solution",
                    f"{what}, after fit centroid {int(j)} is {v.show(centroids[j])}, {gap:.3g} "
                    "away from the mean of the points nearest to it: the update step has not "
                    "moved it there (or fit stopped after its first round)",
                )
        return ""


class Projector(Estimator):
    """A projection (PCA): `fit(X)`, `transform(X)` gives (n, k) scores; the easy case is data
    whose first score, up to sign, is known."""

    def __init__(self, spec: ProblemSpec) -> None:
        super().__init__(spec)
        self.output = "transform"
        self.works_bar = 0.99  # any fixed direction follows the first score a little

    def _works(self, ctx: Context) -> str | BaseException:
        """Skip unless one of the scores of transform(X) follows one of the data's principal
        components (in any order, with any sign): a fixed projection does not."""
        settings = _gate_settings(self.spec)
        X, _ = ctx.data(self.spec.grading.works["data"])  # as the spec gives it
        try:
            model, _ = self.train(ctx, ctx.candidate, X, None, **settings)
            scores = v.array(model.call("transform", X), "transform(X)")
        except CallFailed as exc:
            return exc
        except Fail as fail:
            return f"not scored until the model works: {fail.message}"
        centred = X - X.mean(axis=0)
        truth = centred @ np.linalg.svd(centred, full_matrices=False)[2].T
        if scores.ndim != 2 or scores.shape[0] != len(X) or not np.all(np.isfinite(scores)):
            return f"not scored until the model works: transform(X) returned {v.show(scores)}"
        best = 0.0
        for column in scores.T:
            if np.ptp(column) > 1e-12:
                for other in truth.T:
                    best = max(best, abs(float(np.corrcoef(column, other)[0, 1])))
        if best == 0.0:
            return f"not scored until the model learns: transform(X) gave {v.show(scores)}"
        if best < self.works_bar:
            return Fail(
                "wrong-solution",
                "no score of transform(X) follows a principal component of the data (best "
                f"correlation {best:.2f}; the gate of every probe)",
            )
        return ""

    def find_defect(self, ctx: Context) -> tuple[str, str] | None:
        """Means or covariances over the wrong axis, seen on data of more samples than
        features: a mean of one value per sample, components as long as the samples, or an
        error where the two axes' lengths meet."""
        from coach.probes.data import elongated

        X, _ = elongated(n=7, d=3, seed=5)
        why = (
            "on X of shape (7, 3), {}: a mean or covariance is taken over the samples' axis "
            "where the features' is meant (axis=0; np.cov needs rowvar=False)"
        )
        model = ctx.candidate.new(n_components=2)
        try:
            model.call("fit", X)
            model.call("transform", X)
        except CandidateRaised as exc:
            if any(w in exc.message for w in ("broadcast", "aligned", "mismatch", "matmul")):
                return "wrong-axis", why.format(f"it raised {exc.describe()}")
            return None
        for name, columns in (("mean", 3), ("components", 3)):
            try:
                got = np.asarray(model.get(name), dtype=float)
            except (CallFailed, TypeError, ValueError):
                continue
            if got.shape[-1:] == (7,):
                return "wrong-axis", why.format(
                    f"{name} has shape {got.shape}, not (..., {columns})"
                )
        return None

    def outputs(self, model: Model, X: Any, n: int, mistake: str = "api-contract") -> np.ndarray:
        out = v.array(model.call("transform", X), "transform(X)", mistake)
        if out.ndim != 2 or out.shape[0] != n:
            raise Fail(mistake, f"transform(X) returned shape {out.shape}, expected ({n}, k)")
        return out[:, 0]


def _gate(ctx: Context, name: str, run: Any) -> None:
    """Run a gate once per grade: raise what it found (an error, or a Skip saying why the
    code is not scored yet), or return when the code works."""
    found = ctx.memo.get(name)
    if found is None:
        found = run(ctx)
        if not isinstance(found, WorkerDied):  # a forged reply may not come again
            ctx.memo[name] = found
    if isinstance(found, BaseException):
        raise found
    if found:
        raise Skip(found)


def _gate_settings(spec: ProblemSpec) -> dict[str, Any]:
    """The gate's fit settings: `grading.works` without its data and function calls."""
    return {k: x for k, x in spec.grading.works.items() if k not in ("data", "calls")}


def same_partition(got: np.ndarray, truth: np.ndarray) -> float:
    """The share of points whose cluster matches `truth` under the best one-to-one
    relabelling of the clusters (exact for up to 7 clusters, greedy beyond)."""
    import itertools

    got_ids, got_codes = np.unique(np.asarray(got), return_inverse=True)
    true_ids, true_codes = np.unique(np.asarray(truth), return_inverse=True)
    table = np.zeros((len(got_ids), len(true_ids)), dtype=int)
    np.add.at(table, (got_codes, true_codes), 1)
    if min(table.shape) == 0:
        return 0.0
    if table.shape[0] > table.shape[1]:
        table = table.T
    rows, cols = table.shape
    if cols <= 7:
        best = max(
            sum(table[r, c] for r, c in enumerate(perm))
            for perm in itertools.permutations(range(cols), rows)
        )
    else:
        best, used = 0, set()
        for r in np.argsort(-table.max(axis=1)):
            c = max((c for c in range(cols) if c not in used), key=lambda c: table[r, c])
            used.add(c)
            best += table[r, c]
    return float(best) / max(len(got_codes), 1)


class Optimizer(Adapter):
    """An optimiser (Adam): `step(params, grads)` returns new parameters."""

    def _works(self, ctx: Context) -> str | BaseException:
        """Skip while step returns its input or one constant; a step whose move depends on
        where the parameters are, or that is not finite, is wrong (as its warning says); and
        two steps must be Adam's in kind: the second move within a factor of 5 of Adam's
        (a memoryless sign step is 19 times too large there)."""
        settings = _gate_settings(self.spec)
        x, g = np.array([1.0, -2.0]), np.array([2.0, -4.0])
        try:
            first = ctx.candidate.new(**settings).reply("step", x, g)
            here = v.array(first.value, "step(params, grads)")
            there = v.array(ctx.candidate.new(**settings).call("step", x + 10, g), "step")
            model = ctx.candidate.new(**settings)
            one = v.array(model.call("step", x, np.array([1.0, 1.0])), "step")
            two = v.array(model.call("step", one, np.array([-1.0, 3.0])), "step")
        except CallFailed as exc:
            return exc
        except Fail as fail:
            return f"not scored until step works: {fail.message}"
        seen = f"from [1, -2] with gradient [2, -4], step returned {v.show(here)}"
        if here.shape != (2,) or there.shape != (2,):
            return Fail("api-contract", f"{seen}, not an array of the params' shape (2,)")
        if not np.all(np.isfinite(here)):
            cause = warning_cause(first)
            return Fail(
                cause[0] if cause else "wrong-solution",
                f"{seen}" + (f": it {cause[1]}" if cause else ""),
            )
        if np.allclose(here, x) or (np.allclose(here, there) and np.ptp(here) == 0):
            return f"not scored until step works: {seen}, and from [11, 8] {v.show(there)}"
        if not np.allclose(there - here, 10.0):
            return Fail(
                "wrong-solution",
                f"{seen} and from [11, 8] {v.show(there)}: the move must not depend on where the "
                "params are (step returns the new params, params - lr * ..., not the update)",
            )
        adam = adam_moves(settings, x, [np.array([1.0, 1.0]), np.array([-1.0, 3.0])])
        moved = two - one
        ratio = np.abs(moved) / np.maximum(np.abs(adam[1]), 1e-300)
        if not np.all((ratio > 0.2) & (ratio < 5)):
            return Fail(
                "wrong-solution",
                f"after a first step with gradient [1, 1], a second with [-1, 3] moved by "
                f"{v.show(moved)}; Adam moves by {v.show(adam[1])} (its moments remember the "
                "first gradient; the gate of every probe)",
            )
        return ""


def adam_moves(
    settings: dict[str, Any], x: np.ndarray, grads: list[np.ndarray]
) -> list[np.ndarray]:
    """Adam's moves for these gradients, computed here."""
    from coach.probes.families.optimizers import adam_updates

    path = [x, *adam_updates(settings, x, grads)]
    return [b - a for a, b in zip(path[:-1], path[1:], strict=True)]


class Functions(Adapter):
    """Module functions, no class (the numerics drills): the code works when one of the
    gate's functions answers two different inputs differently (a missing function costs its
    own probes, not every probe)."""

    def works(self, ctx: Context) -> None:
        self.functions_work(ctx)


ADAPTERS: dict[str, type[Adapter]] = {
    "gradient_descent": GradientModel,
    "softmax": Softmax,
    "network": Network,
    "estimator": Estimator,
    "clusterer": Clusterer,
    "projector": Projector,
    "optimizer": Optimizer,
    "functions": Functions,
}


def adapter_for(spec: ProblemSpec) -> Adapter:
    kind = ADAPTERS.get(spec.grading.model)
    if kind is None:
        from coach.errors import CoachError

        where = f"{spec.source}: " if spec.source else ""
        raise CoachError(f"{where}grading.model '{spec.grading.model}' has no adapter yet")
    return kind(spec)
