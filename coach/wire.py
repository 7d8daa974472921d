"""The message format between the grader and a worker: a JSON header plus .npy arrays.

A frame is a 4-byte big-endian header length, the JSON header, then for each array
the header names an 8-byte length and the array's .npy bytes. Nothing is pickled:
arrays are loaded with ``allow_pickle=False`` and every other value is JSON.

Values are tagged where JSON alone is ambiguous: ``{"$nd": i}`` is the i-th array,
``{"$tuple": [...]}`` a tuple, ``{"$dict": {...}}`` a dict, ``{"$obj": id, "type": name}``
an object that stays in the worker, ``{"$repr": text, "type": name}`` anything else.
"""

from __future__ import annotations

import io
import json
import struct
from typing import Any

MAX_HEADER = 16 * 1024 * 1024
MAX_BYTES = 512 * 1024 * 1024
MAX_ARRAYS = 4096


class WireError(Exception):
    """The other side sent something that is not a frame."""


class Handle:
    """An object that lives in the worker, known here by its id and type name."""

    def __init__(self, obj_id: int, type_name: str) -> None:
        self.id = obj_id
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


def encode(value: Any, arrays: list[bytes], objects: Any = None) -> Any:
    """Turn a value into JSON-able data, appending array bytes to `arrays`.

    `objects` (worker side) is a callable that registers an unknown object and
    returns its id; without it such values travel as their repr.
    """
    import numpy as np

    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, np.generic):
        if value.dtype.kind in "biuf":
            return value.item()
        return {"$repr": _short_repr(value), "type": type(value).__name__}
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject or value.dtype.kind not in "biuf":
            return {"$repr": _short_repr(value), "type": f"ndarray[{value.dtype}]"}
        buf = io.BytesIO()
        plain = value if value.flags.c_contiguous else value.copy(order="C")  # 0-d stays 0-d
        np.lib.format.write_array(buf, plain, allow_pickle=False)
        arrays.append(buf.getvalue())
        return {"$nd": len(arrays) - 1}
    if isinstance(value, Handle):
        return {"$obj": value.id}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v, arrays, objects) for v in value]}
    if isinstance(value, list):
        return [encode(v, arrays, objects) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"$dict": {k: encode(v, arrays, objects) for k, v in value.items()}}
    if objects is not None:
        return objects(value)
    return {"$repr": _short_repr(value), "type": type(value).__name__}


def decode(data: Any, arrays: list[Any], objects: Any = None) -> Any:
    """The inverse of `encode`; `arrays` holds loaded arrays, `objects` maps ids back."""
    if isinstance(data, list):
        return [decode(v, arrays, objects) for v in data]
    if not isinstance(data, dict):
        return data
    if "$nd" in data:
        index = data["$nd"]
        if not isinstance(index, int) or not 0 <= index < len(arrays):
            raise WireError(f"array {index!r} of {len(arrays)}")
        return arrays[index]
    if "$tuple" in data:
        return tuple(decode(v, arrays, objects) for v in data["$tuple"])
    if "$dict" in data:
        return {k: decode(v, arrays, objects) for k, v in data["$dict"].items()}
    if "$obj" in data:
        return objects(data) if objects else Handle(data["$obj"], data.get("type", "object"))
    if "$repr" in data:
        return Opaque(data["$repr"], data.get("type", "object"))
    raise WireError(f"unknown tag in {sorted(data)}")


class Opaque:
    """A value the worker could not send as data: its repr and type name."""

    def __init__(self, text: str, type_name: str) -> None:
        self.text = text
        self.type_name = type_name

    def __repr__(self) -> str:
        return self.text


def _short_repr(value: Any, limit: int = 200) -> str:
    try:
        text = repr(value)
    except Exception:  # a candidate's __repr__ may raise
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def pack(header: dict[str, Any], arrays: list[bytes]) -> bytes:
    """One frame: the header (with the array count) and the arrays."""
    header["arrays"] = len(arrays)
    head = json.dumps(header, allow_nan=True).encode()
    parts = [struct.pack(">I", len(head)), head]
    for blob in arrays:
        parts.append(struct.pack(">Q", len(blob)))
        parts.append(blob)
    return b"".join(parts)


def load_array(blob: bytes) -> Any:
    import numpy as np

    return np.lib.format.read_array(io.BytesIO(blob), allow_pickle=False)


def read_frame(
    read_exact: Any,
    *,
    max_header: int = MAX_HEADER,
    max_arrays: int = MAX_ARRAYS,
    max_bytes: int = MAX_BYTES,
) -> tuple[dict[str, Any], list[bytes]]:
    """Read one frame with `read_exact(n) -> bytes`; returns the header and raw arrays.

    Anything that is not a frame within the limits raises WireError, before more than
    the limits is read.
    """
    (size,) = struct.unpack(">I", read_exact(4))
    if size > max_header:
        raise WireError(f"a header of {size:,} bytes (the limit is {max_header:,})")
    try:
        header = json.loads(read_exact(size))
    except (ValueError, RecursionError) as exc:
        raise WireError(f"a header that is not JSON ({str(exc)[:80]})") from None
    if not isinstance(header, dict):
        raise WireError("a header that is not a JSON object")
    count = header.get("arrays", 0)
    if not isinstance(count, int) or not 0 <= count <= max_arrays:
        raise WireError(f"{count!r} arrays (the limit is {max_arrays})")
    blobs, total = [], size
    for _ in range(count):
        (length,) = struct.unpack(">Q", read_exact(8))
        total += length
        if total > max_bytes:
            raise WireError(f"a frame of more than {max_bytes:,} bytes")
        blobs.append(read_exact(length))
    return header, blobs
