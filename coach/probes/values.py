"""Reading the values a candidate's code returned: arrays, shapes, pairs, labels.

Whatever is wrong with a value fails as `api-contract` (or the mistake given), and the
message shows the value as it was returned, never cast.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coach.probes import Fail
from coach.wire import Handle, Opaque


def show(value: Any, limit: int = 70) -> str:
    """A short printable form of a value, as returned (an int stays an int, a bool a bool)."""
    if isinstance(value, np.generic):  # a NumPy scalar reads as its number
        value = value.item()
    if isinstance(value, np.ndarray):
        precision = 4 if value.dtype.kind == "f" else None
        text = np.array2string(value, precision=precision, separator=", ", threshold=8)
    elif isinstance(value, float):
        text = f"{value:.6g}"
    elif (
        isinstance(value, (list, tuple))
        and value
        and all(isinstance(v, (int, float, bool, np.generic)) for v in value)
    ):
        return show(np.asarray(value), limit)
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def apart(a: float, b: float, digits: int = 6) -> tuple[str, str]:
    """Two numbers with `digits` significant digits, or as many more as it takes to tell
    them apart when they differ (0.1 and 0.10000001 never both read "0.1")."""
    a, b = float(a), float(b)
    for d in range(digits, 18):
        first, second = f"{a:.{d}g}", f"{b:.{d}g}"
        if first != second or a == b:
            return first, second
    return repr(a), repr(b)


def change(before: Any, after: Any) -> str:
    """How an array changed: "[0.1, 0.2] became [0.1, 0.20000001]" when it is short, else
    how many entries differ and the first of them, with the digits that show the change."""
    before, after = np.asarray(before), np.asarray(after)
    if before.shape != after.shape:
        return f"its shape went from {before.shape} to {after.shape}"
    differ = np.argwhere(~np.isclose(before, after, rtol=0, atol=0, equal_nan=True))
    if not len(differ):
        return "it has the same values"
    at = tuple(int(i) for i in differ[0])
    was, now = before[at].item(), after[at].item()
    if isinstance(was, float) or isinstance(now, float):
        was, now = apart(was, now)
    if before.size <= 8 and before.ndim == 1:
        old = [show(x) for x in before.tolist()]
        new = [show(x) for x in after.tolist()]
        old[at[0]], new[at[0]] = str(was), str(now)
        return f"[{', '.join(old)}] became [{', '.join(new)}]"
    where = ", ".join(str(i) for i in at)
    return f"{len(differ)} of {before.size} entries differ (e.g. [{where}] was {was}, now {now})"


def array(value: Any, what: str, mistake: str = "api-contract") -> np.ndarray:
    """A returned value as a float array, or Fail when it is not numbers."""
    if isinstance(value, (Opaque, Handle, str, bytes, dict)) or value is None:
        raise Fail(mistake, f"{what} returned {show(value)}, not numbers")
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


def class_labels(value: Any, n: int, what: str, mistake: str = "api-contract") -> np.ndarray:
    """Class labels (ints, integral floats or bools) of shape (n,); probabilities between 0
    and 1 fail as api-contract (predict gives labels, predict_proba probabilities)."""
    out = vector(value, n, what, mistake)
    if np.all(np.isfinite(out)) and np.all(out == np.round(out)) and np.all(out >= 0):
        kept = np.asarray(value)  # labels read as integers in messages: 1, not 1.0
        return kept.reshape(n) if kept.dtype.kind in "iub" else out.astype(np.int64)
    if np.all(np.isfinite(out)) and np.all((out >= 0) & (out <= 1)):
        raise Fail(
            "api-contract",
            f"{what} returned {show(value)}: probabilities, not class labels "
            "(predict returns the most probable class)",
        )
    raise Fail(mistake, f"{what} returned {show(value)}, not class labels")


def matrix(value: Any, rows: int, what: str, mistake: str = "api-contract") -> np.ndarray:
    """An (rows, K) array, or Fail naming the shape that came back."""
    out = array(value, what, mistake)
    if out.ndim != 2 or out.shape[0] != rows:
        raise Fail(mistake, f"{what} returned shape {out.shape}, expected ({rows}, K)")
    return out
