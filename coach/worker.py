"""The worker: the only process that imports and runs a candidate's file.

Run as ``python -I -m coach.worker``. It reads request frames on standard input and
answers on standard output (see `coach.wire`); before any candidate code runs it moves
that channel to private descriptors, points fds 0-2 at /dev/null, sends the candidate's
prints to a capped buffer, and applies its resource limits. Every reply carries what the
call printed, the warnings it raised and how long it took.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import resource
import signal
import sys
import traceback
import warnings
from typing import Any

import numpy as np

from coach import aliases, arrays, wire

ITEM = re.compile(r"^(\w+)\[(\d+)\]$")  # `weights[1]`: one item of a list attribute
PENALTIES = aliases.PARAMETERS["alpha"]
LEARNING_RATES = aliases.candidates(aliases.PARAMETERS, "learning_rate")


class CappedOutput:
    """A text stream that keeps the first `cap` characters and counts the rest."""

    def __init__(self, cap: int = 4096) -> None:
        self.cap = cap
        self.kept: list[str] = []
        self.size = 0
        self.total = 0
        self.sent = 0

    def write(self, text: str) -> int:
        text = str(text)
        self.total += len(text)
        room = self.cap - self.size
        if room > 0:
            self.kept.append(text[:room])
            self.size += min(room, len(text))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fresh(self) -> str:
        """What was kept since the last call."""
        text = "".join(self.kept)
        new, self.sent = text[self.sent :], len(text)
        return new


class ApiContract(Exception):
    """The candidate's file lacks a name or signature the interface requires."""


class Worker:
    def __init__(self, output_cap: int = 4096) -> None:
        self.module: Any = None
        self.path = ""
        self.objects: dict[int, Any] = {}
        self.fit_kwargs: dict[int, dict[str, Any]] = {}
        self.aliases: dict[str, str] = {}
        self.output = CappedOutput(output_cap)
        self.made = 0  # objects constructed: each gets its own global seed

    # -- objects kept here, sent as handles ---------------------------------------------
    def register(self, obj: Any) -> dict[str, Any]:
        for obj_id, known in self.objects.items():
            if known is obj:
                return {"$obj": obj_id, "type": type(obj).__name__}
        obj_id = len(self.objects) + 1
        self.objects[obj_id] = obj
        return {"$obj": obj_id, "type": type(obj).__name__}

    def lookup(self, data: Any) -> Any:
        try:
            return self.objects[data["$obj"] if isinstance(data, dict) else data]
        except KeyError:
            raise ApiContract("that object is gone (the worker was restarted)") from None

    def used(self, theirs: str, ours: str) -> None:
        if theirs != ours:
            self.aliases[theirs] = ours

    # -- requests -----------------------------------------------------------------------
    def op_load(self, req: dict[str, Any]) -> Any:
        self.path = os.path.abspath(req["path"])
        spec = importlib.util.spec_from_file_location("candidate_solution", self.path)
        if spec is None or spec.loader is None:
            raise ApiContract(f"cannot import {self.path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules["candidate_solution"] = module
        sys.path.append(os.path.dirname(self.path))
        spec.loader.exec_module(module)
        self.module = module
        return None

    def op_new(self, req: dict[str, Any], wanted: dict[str, Any]) -> Any:
        cls = self.find_class(req["class"], req.get("required", []))
        optional = set(req.get("optional", []))
        params = _parameters(cls)
        fit = _find_method(cls, "fit")
        fit_params = _parameters(fit) if fit is not None else {}
        kwargs, deferred = {}, {}
        course = _course_notation(params, fit_params)
        for name, value in wanted.items():
            if course and name in course:
                kwargs[course[name]] = value
                self.used(course[name], name)
                continue
            placed = _place(name, params)
            if placed:
                kwargs[placed] = value
                self.used(placed, name)
            elif (on_fit := _place(name, fit_params)) is not None:
                deferred[on_fit] = value
                self.used(on_fit, name)
            elif _takes_any_keyword(params):
                kwargs[name] = value
            elif name not in optional:
                label = f"{cls.__name__}()"
                raise ApiContract(f"{label} has no parameter '{name}' (nor {fit_or(name)})")
        _check_binds(cls, cls.__name__, (), kwargs)
        self.made += 1
        _seed(self.made)
        obj = cls(**kwargs)
        self.fit_kwargs[self.register(obj)["$obj"]] = deferred
        return obj

    def find_class(self, expected: str, required: list[str]) -> type:
        found = getattr(self.module, expected, None)
        if isinstance(found, type):
            return found
        own = [
            c
            for c in vars(self.module).values()
            if isinstance(c, type) and c.__module__ == self.module.__name__
        ]
        fitting = [c for c in own if all(_find_method(c, m) for m in required)]
        # a base class whose subclass also fits is not a candidate itself
        fitting = [c for c in fitting if not any(o is not c and issubclass(o, c) for o in fitting)]
        if len(fitting) == 1:
            self.used(fitting[0].__name__, expected)
            return fitting[0]
        names = ", ".join(c.__name__ for c in own) or "none"
        if len(fitting) > 1:
            raise ApiContract(f"no class {expected}, and several could stand in for it: {names}")
        needs = ", ".join(required)
        raise ApiContract(f"no class {expected} with {needs} (classes found: {names})")

    def op_call(self, req: dict[str, Any], args: list[Any], kwargs: dict[str, Any]) -> Any:
        obj = self.lookup(req["obj"])
        method = _find_method(type(obj), req["method"], bound=obj)
        if method is None:
            names = " or ".join(aliases.candidates(aliases.METHODS, req["method"]))
            raise ApiContract(f"{type(obj).__name__} has no method {names}")
        self.used(method.__name__, req["method"])
        if req["method"] == "fit":
            kwargs = {**self.fit_kwargs.get(req["obj"], {}), **kwargs}
        _check_binds(method, f"{type(obj).__name__}.{method.__name__}", args, kwargs)
        return method(*args, **kwargs)

    def op_function(self, req: dict[str, Any], args: list[Any], kwargs: dict[str, Any]) -> Any:
        fn = getattr(self.module, req["name"], None)
        if not callable(fn):
            raise ApiContract(f"no function {req['name']}")
        args, kwargs = self.by_position(fn, args, kwargs)
        _check_binds(fn, req["name"], args, kwargs)
        return fn(*args, **kwargs)

    def by_position(
        self, fn: Any, args: list[Any], kwargs: dict[str, Any]
    ) -> tuple[list[Any], dict[str, Any]]:
        """A keyword the function does not take goes to the parameter in its place:
        `softmax(z, dim=-1)` is called with axis=0 as softmax(z, 0)."""
        params = list(_parameters(fn).values())
        if any(p.kind is p.VAR_KEYWORD for p in params):
            return args, kwargs
        args, kwargs = list(args), dict(kwargs)
        for key in [k for k in kwargs if k not in {p.name for p in params}]:
            slot = params[len(args)] if len(args) < len(params) else None
            if slot is None or slot.kind not in (slot.POSITIONAL_ONLY, slot.POSITIONAL_OR_KEYWORD):
                break
            if slot.name in kwargs:
                break
            args.append(kwargs.pop(key))
            self.used(slot.name, key)
        return args, kwargs

    def op_get(self, req: dict[str, Any]) -> Any:
        obj = self.lookup(req["obj"])
        attr, index = _item(req["attr"])
        value = getattr(obj, self.attribute_name(obj, attr))
        return value if index is None else _items(value, attr)[index]

    def op_set(self, req: dict[str, Any], value: Any) -> Any:
        obj = self.lookup(req["obj"])
        attr, index = _item(req["attr"])
        name = self.attribute_name(obj, attr)
        current = getattr(obj, name)
        if index is None:
            try:
                setattr(obj, name, _like(current, value, name))
            except AttributeError:  # a property without a setter: not the code's crash
                raise ApiContract(
                    f"{type(obj).__name__}.{name} cannot be set (a read-only property): the "
                    "grader sets the parameters to check gradients and stability"
                ) from None
            return None
        items = list(_items(current, attr))
        held = items[index]
        new = _like(held, value, f"{name}[{index}]")
        if isinstance(held, np.ndarray) and held.dtype == np.float64 and held.flags.writeable:
            if isinstance(new, np.ndarray) and new.shape == held.shape:
                held[...] = new  # into the array itself: a property may build the list anew
                return None
        items[index] = new
        if isinstance(current, list):
            current[index] = items[index]  # in place: the candidate may hold the same list
        else:
            setattr(obj, name, type(current)(items) if isinstance(current, tuple) else items)
        return None

    def attribute_name(self, obj: Any, attr: str) -> str:
        for name in aliases.candidates(aliases.ATTRIBUTES, attr):
            if name in getattr(obj, "__dict__", {}) or hasattr(type(obj), name):
                self.used(name, attr)
                return name
        names = " or ".join(aliases.candidates(aliases.ATTRIBUTES, attr))
        raise ApiContract(f"{type(obj).__name__} has no attribute {names}")

    # -- the loop -----------------------------------------------------------------------
    def handle(self, header: dict[str, Any], blobs: list[bytes]) -> dict[str, Any]:
        arrays = [wire.load_array(b) for b in blobs]
        args = wire.decode(header.get("args", []), arrays, self.unwrap)
        kwargs = wire.decode(header.get("kwargs") or {"$dict": {}}, arrays, self.unwrap)
        op = header["op"]
        reply: dict[str, Any] = {"ok": True}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
                try:
                    call_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
                    reply["value"] = self.dispatch(op, header, call_args, kwargs)
                    if header.get("return_args"):
                        reply["args_after"] = call_args
                except BaseException as exc:  # the candidate's failure is data, not a crash here
                    reply = {"ok": False, "error": self.failure(exc)}
        reply["warnings"] = self.warnings(caught)
        return reply

    def unwrap(self, data: Any) -> Any:
        """A handle sent back: the object, or the value that was kept."""
        found = self.lookup(data)
        return found.value if isinstance(found, _Kept) else found

    def dispatch(self, op: str, header: dict[str, Any], args: list[Any], kwargs: Any) -> Any:
        if op in ("call", "function"):
            value = getattr(self, f"op_{op}")(header, args, kwargs)
            return _Kept(value) if header.get("keep") else value  # timed: not sent back
        if op == "set":
            return self.op_set(header, args[0])
        if op == "keep":  # kept here; the reply's handle stands for it in later calls
            return _Kept(args[0])
        if op == "make":  # a generated array, made here rather than sent
            return _Kept(arrays.generate(header["spec"]))
        if op == "new":
            return self.op_new(header, kwargs)
        if op in ("load", "get"):
            return getattr(self, f"op_{op}")(header)
        if op == "reset":  # the next grade starts from a worker as new as a fresh one
            self.objects.clear()
            self.fit_kwargs.clear()
            self.aliases.clear()
            self.made = 0
            return None
        raise ApiContract(f"unknown request {op!r}")

    def warnings(self, caught: list[Any]) -> list[dict[str, Any]]:
        seen: dict[tuple[str, str], dict[str, Any]] = {}
        for w in caught:
            key = (w.category.__name__, str(w.message))
            line = w.lineno if os.path.abspath(w.filename) == self.path else None
            seen.setdefault(key, {"category": key[0], "message": key[1][:300], "line": line})
        return list(seen.values())[:10]

    def failure(self, exc: BaseException) -> dict[str, Any]:
        if isinstance(exc, ApiContract):
            return {"type": "ApiContract", "message": str(exc)}
        if isinstance(exc, SystemExit):
            message = f"sys.exit({exc.code!r}) was called"
        else:
            message = _short(str(exc), 500)
        line, source, where, own = None, "", "", False
        for frame, lineno in traceback.walk_tb(exc.__traceback__):
            own = os.path.abspath(frame.f_code.co_filename) == self.path
            if own:
                line = lineno
                where = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
        if line is not None:
            source = _source_line(self.path, line)
        own_syntax = isinstance(exc, SyntaxError) and exc.filename
        if own_syntax and os.path.abspath(exc.filename) == self.path:  # type: ignore[union-attr]
            line, source = exc.lineno, (exc.text or "").strip()
            message = exc.msg
        return {
            "type": type(exc).__name__,
            "message": message,
            "line": line,
            "source": source,
            "where": where,
            "own": own,  # raised by the file's own code, not inside a library it called
        }

    def serve(self, read_exact: Any, write: Any) -> None:
        while True:
            try:
                header, blobs = wire.read_frame(read_exact)
            except (EOFError, wire.WireError):
                return
            try:
                reply = self.handle(header, blobs)
            except BaseException as exc:  # a malformed request: report it, keep serving
                reply = {"ok": False, "error": self.failure(exc)}
            reply["seq"] = header.get("seq") if isinstance(header, dict) else None
            reply["output"] = self.output.fresh()
            reply["output_total"] = self.output.total
            reply["aliases"] = self.aliases
            self.aliases = {}
            arrays: list[bytes] = []
            try:
                body = {k: wire.encode(v, arrays, self.register) for k, v in reply.items()}
                frame = wire.pack(body, arrays)
            except BaseException as exc:
                arrays = []
                error = {"type": "Unsendable", "message": _short(str(exc), 300)}
                body = {"ok": False, "error": error}
                frame = wire.pack(body, arrays)
            write(frame)


def _parameters(fn: Any) -> dict[str, inspect.Parameter]:
    try:
        params = dict(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return {}
    params.pop("self", None)
    return params


def _place(name: str, params: dict[str, inspect.Parameter]) -> str | None:
    for candidate in aliases.candidates(aliases.PARAMETERS, name):
        param = params.get(candidate)
        if param is not None and param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            return candidate
    return None


def _course_notation(
    params: dict[str, inspect.Parameter], fit_params: dict[str, inspect.Parameter]
) -> dict[str, str] | None:
    """Course notation: `alpha` is the learning rate when the constructor also takes a
    penalty (`lambda_`, `reg`, ...) and no learning-rate name. Returns where each goes."""
    if "alpha" not in params or any(n in params or n in fit_params for n in LEARNING_RATES):
        return None
    penalty = next((n for n in PENALTIES if n in params), None)
    return {"learning_rate": "alpha", "alpha": penalty} if penalty else None


class _Kept:
    """A value the grader asked the worker to keep (sent later as a handle)."""

    def __init__(self, value: Any) -> None:
        self.value = value


def _item(attr: str) -> tuple[str, int | None]:
    """`weights[1]` -> ("weights", 1); `bias` -> ("bias", None)."""
    found = ITEM.match(attr)
    return (found.group(1), int(found.group(2))) if found else (attr, None)


def _items(value: Any, attr: str) -> Any:
    if not isinstance(value, (list, tuple)):
        raise ApiContract(f"{attr} is a {type(value).__name__}, not a list of arrays")
    return value


def _takes_any_keyword(params: dict[str, inspect.Parameter]) -> bool:
    return any(p.kind == p.VAR_KEYWORD for p in params.values())


def fit_or(name: str) -> str:
    others = aliases.PARAMETERS.get(name, ())
    return (", ".join(others[:4]) + ", or the same on fit") if others else "a parameter of fit"


def _find_method(cls: Any, name: str, bound: Any = None) -> Any:
    for candidate in aliases.candidates(aliases.METHODS, name):
        fn = getattr(bound if bound is not None else cls, candidate, None)
        if callable(fn) and not isinstance(fn, type):
            return fn
    return None


def _check_binds(fn: Any, label: str, args: Any, kwargs: dict[str, Any]) -> None:
    """Raise ApiContract when the call cannot fit the candidate's signature."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return
    try:
        sig.bind(*args, **kwargs)
    except TypeError as exc:
        raise ApiContract(f"{label}{sig} cannot be called this way: {exc}") from None


def _like(existing: Any, value: Any, name: str = "it") -> Any:
    """`value` in the shape and kind of what the candidate stored there: a column for a
    vector, a (1, K) row for a (K,) bias. Other layouts (weights stored transposed) would
    scramble the values, so they are refused as the interface's fault."""
    if isinstance(existing, np.ndarray):
        new = np.asarray(value, dtype=float)
        if new.shape == existing.shape:
            return new
        if _squeezed(new.shape) == _squeezed(existing.shape):
            return new.reshape(existing.shape)
        if new.size == existing.size:
            raise ApiContract(
                f"{name} holds an array of shape {existing.shape}; the statement's shape "
                f"for it is {new.shape}"
            )
        return new
    scalar = isinstance(existing, (float, int, np.floating, np.integer))
    if scalar and not isinstance(existing, bool):
        new = np.asarray(value, dtype=float)
        return float(new.ravel()[0]) if new.size == 1 else new
    if isinstance(existing, (list, tuple)) and isinstance(value, (list, tuple)):
        if len(existing) == len(value) and any(isinstance(e, np.ndarray) for e in existing):
            return type(existing)(
                _like(e, v, f"{name}[{i}]")
                for i, (e, v) in enumerate(zip(existing, value, strict=True))
            )
        return list(np.asarray(value, dtype=float))
    if isinstance(existing, list):
        return list(np.asarray(value, dtype=float))
    return value


def _squeezed(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(n for n in shape if n != 1)


def _seed(n: int) -> None:
    """Global random state, seeded afresh for each object: a grade repeats exactly, while
    code that ignores its random_state draws differently from one object to the next."""
    import random

    random.seed(n)
    np.random.seed(n)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _source_line(path: str, line: int) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, 1):
                if number == line:
                    return text.strip()[:200]
    except OSError:
        pass
    return ""


def _apply_limits() -> None:
    """The resource limits of coach.limits, given by the parent in the environment."""
    memory_mb = int(os.environ.get("COACH_MEMORY_MB", "2048"))
    file_mb = int(os.environ.get("COACH_FILE_MB", "16"))
    cpu_s = int(os.environ.get("COACH_CPU_S", "300"))
    nproc = int(os.environ.get("COACH_NPROC", "256"))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write fails, not the worker
    for limit, value in (
        (resource.RLIMIT_AS, memory_mb * 1024 * 1024),
        (resource.RLIMIT_FSIZE, file_mb * 1024 * 1024),
        (resource.RLIMIT_CPU, cpu_s),
        (resource.RLIMIT_NPROC, nproc),
        (resource.RLIMIT_CORE, 0),
    ):
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):
            pass


def main() -> None:
    proto_in = os.dup(0)
    proto_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    worker = Worker(int(os.environ.get("COACH_OUTPUT_BYTES", "4096")))
    sys.stdout = sys.stderr = worker.output  # type: ignore[assignment]
    _apply_limits()

    def read_exact(n: int) -> bytes:
        chunks, got = [], 0
        while got < n:
            chunk = os.read(proto_in, min(n - got, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def write(data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(proto_out, view) :]

    worker.serve(read_exact, write)
    os._exit(0)


if __name__ == "__main__":
    main()
