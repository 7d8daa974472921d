"""The progress of a batch on a terminal: files done, the files being graded, elapsed, ETA."""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from coach.results import GradeReport


class BatchProgress:
    """A rich progress bar on stderr, told by the batch when each file starts and ends."""

    def __init__(self, total: int, console: Console | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("grading"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[current]}", style="dim"),
            console=console or Console(stderr=True),
            transient=True,
        )
        self.task = self.progress.add_task("grading", total=total, current="")
        self.current: dict[int, str] = {}
        self.lock = threading.Lock()

    def __enter__(self) -> BatchProgress:
        self.progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def started(self, index: int, path: Path) -> None:
        with self.lock:
            self.current[index] = path.name
            self._show()

    def finished(self, index: int, report: GradeReport) -> None:
        with self.lock:
            self.current.pop(index, None)
            self.progress.advance(self.task)
            self._show()

    def _show(self) -> None:
        self.progress.update(self.task, current=", ".join(self.current.values()))
