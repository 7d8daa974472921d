"""Checks that several problems' probes share: shapes, histories, warnings, gradients,
input mutation, timing beside the reference, and banned imports."""

from __future__ import annotations

import ast
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from coach.probes import Context, Fail
from coach.program import Model
from coach.results import Status
from coach.sandbox import CallTimedOut, Reply
from coach.wire import Handle, Opaque

BANNED = ("sklearn", "torch", "tensorflow", "jax", "scipy")
OVERFLOW = "overflow encountered"


# -- values ------------------------------------------------------------------------------
def show(value: Any, limit: int = 60) -> str:
    """A short printable form of a value for a probe's message."""
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=4, separator=", ", threshold=8)
    elif isinstance(value, float):
        text = f"{value:.6g}"
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def array(value: Any, what: str, mistake: str = "api-contract") -> np.ndarray:
    """A returned value as a float array, or Fail when it is not numbers."""
    if isinstance(value, (Opaque, Handle)) or value is None:
        raise Fail(mistake, f"{what} returned {value!r}, not an array")
    try:
        out = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise Fail(mistake, f"{what} returned {show(value)}, not numbers") from None
    return out


def vector(value: Any, n: int, what: str, mistake: str = "api-contract") -> np.ndarray:
    """A (n,) array; a column (n, 1) or row (1, n) is accepted. Anything else fails."""
    out = array(value, what, mistake)
    if out.shape in ((n,), (n, 1), (1, n)):
        return out.reshape(n)
    raise Fail(mistake, f"{what} returned shape {out.shape}, expected ({n},)")


def scalar(value: Any, what: str, mistake: str = "api-contract") -> float:
    out = array(value, what, mistake)
    if out.size != 1:
        raise Fail(mistake, f"{what} returned shape {out.shape}, expected a single number")
    return float(out.ravel()[0])


def pair(value: Any, what: str) -> tuple[Any, Any]:
    """A (first, second) result such as (dw, db); a dict of two entries is accepted."""
    if isinstance(value, dict) and len(value) == 2:
        value = tuple(value.values())
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return value[0], value[1]
    raise Fail("api-contract", f"{what} returned {show(value)}, expected a pair (dw, db)")


def history(model: Model, at_least: int = 2) -> np.ndarray:
    """The model's loss history after fit, as floats."""
    raw = model.get("loss_history")
    values = array(raw, "loss_history").ravel()
    if values.size < at_least:
        raise Fail("api-contract", f"loss_history holds {values.size} values after fit")
    return values


# -- what went wrong ---------------------------------------------------------------------
def warning_cause(reply: Reply | None) -> tuple[str, str] | None:
    """The mistake a numerical warning points to, with the warning as evidence."""
    if reply is None:
        return None
    for w in reply.warnings:
        text = w["message"]
        line = f" (line {w['line']})" if w.get("line") else ""
        if OVERFLOW in text and ("exp" in text or "power" in text):
            return "exp-overflow", f"warned '{text}'{line}"
        if "encountered in log" in text:
            return "log-of-zero", f"warned '{text}'{line}"
        if "divide by zero" in text or "invalid value encountered in divide" in text:
            return "division-by-zero", f"warned '{text}'{line}"
    return None


def error_cause(exc: BaseException) -> str | None:
    """The mistake an exception from the candidate points to, if one is plain from it."""
    text = f"{getattr(exc, 'kind', '')} {getattr(exc, 'message', exc)}"
    if "Cannot cast ufunc" in text and "output from" in text:
        return "input-mutation"  # `X -= ...` on the caller's integer array: in place
    if "overflow" in text and ("exp" in text or "Overflow" in text):
        return "exp-overflow"
    if "divide by zero encountered in log" in text or "math domain error" in text:
        return "log-of-zero"
    return None


def rises_steadily(values: np.ndarray) -> bool:
    """Whether a loss history climbs: ends well above its start, mostly going up."""
    finite = values[np.isfinite(values)]
    if finite.size < 3:
        return False
    steps = np.diff(finite)
    return bool(finite[-1] > finite[0] * 1.05 + 1e-12 and np.mean(steps > 0) > 0.5)


def first_rise(values: np.ndarray, rtol: float = 1e-9) -> int | None:
    """The first iteration whose loss is above the one before it (beyond rounding)."""
    for i in range(1, len(values)):
        if values[i] > values[i - 1] + rtol * max(1.0, abs(values[i - 1])):
            return i
    return None


def explain_fit(model: Model, fit_reply: Reply | None) -> tuple[str, str] | None:
    """Why a fit went wrong, when its warnings or its loss history tell: a mistake and why."""
    cause = warning_cause(fit_reply)
    if cause:
        return cause[0], f"fit {cause[1]}"
    try:
        values = history(model, at_least=1)
    except Exception:  # no history to read: nothing to explain with
        return None
    if not np.all(np.isfinite(values)):
        bad = int(np.argmin(np.isfinite(values)))
        return "log-of-zero", f"the loss became {values[bad]} at iteration {bad + 1}"
    if rises_steadily(values):
        return (
            "gradient-sign",
            f"the training loss rose from {values[0]:.4g} to {values[-1]:.4g}: "
            "the updates climb the loss instead of descending it",
        )
    return None


def fail_fit(model: Model, fit_reply: Reply | None, mistake: str, message: str) -> Fail:
    """A Fail citing what explains a bad fit, else the probe's own mistake."""
    explained = explain_fit(model, fit_reply)
    if explained:
        return Fail(explained[0], f"{message}; {explained[1]}")
    return Fail(mistake, message)


# -- gradients ---------------------------------------------------------------------------
def gradient_check(
    model: Model,
    params: dict[str, np.ndarray],
    analytic: dict[str, np.ndarray],
    loss: Callable[[], float],
    eps: float = 1e-6,
    tol: float = 1e-5,
) -> str:
    """Compare analytic gradients with central differences of the candidate's own loss.

    `params` are the values set on the model, `analytic` the candidate's gradients for
    them (same names and shapes). Raises Fail citing gradient-sign or wrong-gradient.
    """
    worst: tuple[float, str, float, float] = (0.0, "", 0.0, 0.0)
    flipped = checked = 0
    for name, value in params.items():
        flat = np.array(value, dtype=float).ravel()
        for i in range(flat.size):
            numeric = _central_difference(model, name, value, flat, i, loss, eps)
            grad = float(np.ravel(analytic[name])[i])
            denom = max(abs(numeric), abs(grad), 1e-8)
            error = abs(numeric - grad) / denom
            label = f"{name}[{i}]" if flat.size > 1 else name
            checked += 1
            if error > tol and np.sign(numeric) == -np.sign(grad) and numeric != 0:
                flipped += 1
            if not error <= worst[0]:
                worst = (error, label, grad, numeric)
        model.set(name, value)
    error, label, grad, numeric = worst
    if error <= tol:
        return f"{checked} entries agree with finite differences (max relative error {error:.1e})"
    seen = (
        f"{label}: gradients() gave {grad:.6g}, central differences of loss() give "
        f"{numeric:.6g} (relative error {error:.1e})"
    )
    if flipped > checked / 2:
        raise Fail("gradient-sign", f"{seen}; {flipped} of {checked} have the wrong sign")
    raise Fail("wrong-gradient", seen)


def _central_difference(
    model: Model,
    name: str,
    value: np.ndarray,
    flat: np.ndarray,
    i: int,
    loss: Callable[[], float],
    eps: float,
) -> float:
    shape = np.shape(value)
    results = []
    for step in (eps, -eps):
        moved = flat.copy()
        moved[i] += step
        model.set(name, moved.reshape(shape) if shape else float(moved[0]))
        results.append(loss())
    return (results[0] - results[1]) / (2 * eps)


# -- inputs ------------------------------------------------------------------------------
def unchanged(
    reply: Reply, originals: Sequence[np.ndarray], names: Sequence[str], call: str
) -> None:
    """Fail with input-mutation when a call changed an argument array."""
    after = reply.args_after or []
    for name, before, now in zip(names, originals, after, strict=False):
        now = np.asarray(now)
        if now.shape != before.shape or not np.array_equal(now, before, equal_nan=True):
            raise Fail(
                "input-mutation", f"{call} changed the caller's {name}: {_diff(before, now)}"
            )


def _diff(before: np.ndarray, now: np.ndarray) -> str:
    if now.shape != before.shape:
        return f"its shape went from {before.shape} to {now.shape}"
    differ = np.argwhere(~np.isclose(before, now, rtol=0, atol=0, equal_nan=True))
    at = tuple(int(i) for i in differ[0])
    where = ", ".join(str(i) for i in at)
    return (
        f"{len(differ)} of {before.size} entries differ "
        f"(e.g. [{where}] was {before[at]:.4g}, now {now[at]:.4g})"
    )


# -- speed -------------------------------------------------------------------------------
def time_is_up(program: Any) -> bool:
    """Whether the whole grade's time limit has passed for this program's worker.

    A call refused or cut short for that reason says nothing about the probe's own
    mistake (an edge case, a slow loop): it is cited as `timeout`.
    """
    deadline = getattr(program.worker, "deadline", None)
    return deadline is not None and time.monotonic() >= deadline


def out_of_time(doing: str) -> Fail:
    return Fail(
        "timeout",
        f"{doing}: the grade's time limit ran out (earlier calls used it up)",
        Status.TIMEOUT,
    )


def time_beside_reference(
    ctx: Context, run: Callable[[Any], float], what: str, limit: float = 10.0
) -> tuple[float, float, float]:
    """Time `run(program)` for the reference and the candidate; Fail past `limit`x."""
    ref = run(ctx.reference)
    try:
        cand = run(ctx.candidate)
    except CallTimedOut:
        if time_is_up(ctx.candidate):
            raise out_of_time(what) from None
        raise
    ratio = cand / max(ref, 1e-4)
    if ratio > limit:
        raise Fail(
            "unvectorized",
            f"{what} took {cand * 1000:.0f} ms against the reference's {ref * 1000:.1f} ms "
            f"({ratio:.0f}x; the limit is {limit:.0f}x): look for a Python loop over samples",
        )
    return ref, cand, ratio


# -- imports -----------------------------------------------------------------------------
def banned_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) for each import of a banned library in the source."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        for name in names:
            if name.split(".")[0] in BANNED:
                found.append((node.lineno, name))
    return found


def numpy_only(ctx: Context) -> str:
    """Fail with banned-library when the file imports (or loaded) a banned library."""
    found = banned_imports(ctx.source)
    if found:
        line, name = found[0]
        raise Fail(
            "banned-library", f"imports {name} (line {line}); the interview allows NumPy only"
        )
    loaded = ctx.candidate.worker.request("modules", names=list(BANNED)).value
    if loaded:
        raise Fail("banned-library", f"loaded {', '.join(loaded)} while running")
    return "uses NumPy and the standard library only"
