"""What a failure is evidence of: warnings, exceptions, loss histories and imports, each
read for the one mistake it points to, so that one cause is cited once."""

from __future__ import annotations

import ast
import time
from typing import Any

import numpy as np

from coach.probes import Fail
from coach.results import Status
from coach.sandbox import BANNED, CallFailed, CallTimedOut, Reply

OVERFLOW = "overflow encountered"


def warning_cause(reply: Reply | None) -> tuple[str, str] | None:
    """The mistake a numerical warning points to, with the warning as evidence.

    Only the candidate's process can report a warning (it may silence them), so every
    probe that reads one also checks the value the warning would have spoiled.
    """
    return warnings_cause(reply.warnings) if reply is not None else None


def warnings_cause(warnings: list[dict[str, Any]]) -> tuple[str, str] | None:
    """The mistake the first telling numerical warning of a list points to."""
    for w in warnings:
        text = str(w.get("message", ""))
        line = f" (line {w['line']})" if isinstance(w.get("line"), int) else ""
        if OVERFLOW in text and ("exp" in text or "power" in text):
            return "exp-overflow", f"warned '{text}'{line}"
        if "encountered in log" in text:
            return "log-of-zero", f"warned '{text}'{line}"
        if "invalid value encountered in sqrt" in text:
            return "negative-sqrt", f"warned '{text}'{line}"
        if "divide by zero" in text or "invalid value encountered in divide" in text:
            return "division-by-zero", f"warned '{text}'{line}"
    return None


def error_cause(exc: BaseException) -> str | None:
    """The mistake an exception from the candidate points to, if one is plain from it."""
    if isinstance(exc, CallTimedOut):
        return "timeout"
    warned = warnings_cause(getattr(exc, "warnings", None) or [])
    if warned:  # a nan or inf that the error came from (eigh of a nan matrix)
        return warned[0]
    text = f"{getattr(exc, 'kind', '')} {getattr(exc, 'message', exc)}"
    if "Cannot cast ufunc" in text and "output from" in text:
        return "input-mutation"  # `X -= ...` on the caller's integer array: in place
    if "overflow" in text and ("exp" in text or "Overflow" in text):
        return "exp-overflow"
    if "divide by zero encountered in log" in text or "math domain error" in text:
        return "log-of-zero"
    if "LinAlgError" in text or "Singular matrix" in text:
        return "matrix-inversion"
    return None


def cause_key(exc: BaseException) -> str | None:
    """A key that is equal for the same error raised at the same place."""
    if not isinstance(exc, CallFailed):
        return None
    return f"{exc.kind}:{exc.line}:{exc.message[:80]}"


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


def history_cause(values: np.ndarray) -> tuple[str, str] | None:
    """The mistake a loss history shows: non-finite values or a steady climb."""
    if values.size and not np.all(np.isfinite(values)):
        bad = int(np.argmin(np.isfinite(values)))
        return "log-of-zero", f"the loss became {values[bad]} at iteration {bad + 1}"
    if rises_steadily(values):
        return (
            "gradient-sign",
            f"the training loss rose from {values[0]:.4g} to {values[-1]:.4g}: "
            "the updates climb the loss instead of descending it",
        )
    return None


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


def banned_imports(source: str) -> list[tuple[int, str]]:
    """(line, module) for each import of a banned library that runs on import.

    Imports under ``if __name__ == "__main__":`` are a demo's, not the solution's.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found: list[tuple[int, str]] = []
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if _is_main_block(node):
            todo.extend(getattr(node, "orelse", []))
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        found += [(node.lineno, n) for n in names if n.split(".")[0] in BANNED]
        todo.extend(ast.iter_child_nodes(node))
    return sorted(found)


def _is_main_block(node: ast.AST) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    sides = [test.left, *test.comparators]
    names = {s.id for s in sides if isinstance(s, ast.Name)}
    strings = {s.value for s in sides if isinstance(s, ast.Constant)}
    return names == {"__name__"} and strings == {"__main__"} and isinstance(test.ops[0], ast.Eq)
