"""What a probe holds: a program (a file in a worker) and the models it makes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from coach.sandbox import Reply, Worker
from coach.wire import Handle

if TYPE_CHECKING:  # the models need pydantic; grading reads cached views
    from coach.specs import ProblemSpec

CORE_METHODS = ("fit", "predict")


class Program:
    """A candidate's or the reference's file, loaded in its own worker."""

    def __init__(self, worker: Worker, spec: ProblemSpec) -> None:
        self.worker = worker
        self.spec = spec
        self.last: Reply | None = None

    def new(self, optional: tuple[str, ...] = (), **kwargs: Any) -> Model:
        """Construct the interface's class; `optional` parameters may be left out."""
        reply = self.worker.request(
            "new",
            kwargs=kwargs,
            optional=list(optional),
            required=[m for m in CORE_METHODS if m in self.spec.interface.methods],
            **{"class": self.spec.interface.class_name or ""},
        )
        self.last = reply
        return Model(self, reply.value)

    def function(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self.last = self.worker.request("function", *args, name=name, kwargs=kwargs)
        return self.last.value


class Model:
    """An object of the candidate's class, living in the worker."""

    def __init__(self, program: Program, handle: Handle) -> None:
        self.program = program
        self.handle = handle

    @property
    def last(self) -> Reply:
        assert self.program.last is not None
        return self.program.last

    def reply(self, method: str, *args: Any, **fields: Any) -> Reply:
        """Call a method and return the whole reply (value, warnings, time, args after)."""
        fields.setdefault("kind", f"call:{method}")
        reply = self.program.worker.request(
            "call", *args, obj=self.handle.id, method=method, **fields
        )
        self.program.last = reply
        return reply

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.reply(method, *args, kwargs=kwargs).value

    def get(self, attr: str) -> Any:
        self.program.last = self.program.worker.request("get", obj=self.handle.id, attr=attr)
        return self.program.last.value

    def set(self, attr: str, value: Any) -> None:
        self.program.last = self.program.worker.request("set", value, obj=self.handle.id, attr=attr)
