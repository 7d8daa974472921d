"""Progress on a terminal while files are graded: for one file a spinner with the probe
being run; for a batch a bar with files done, the files being graded, elapsed and ETA."""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from coach.results import GradeReport


class GradeProgress:
    """Told by the batch when each file starts and ends and which probe runs; drawn on
    stderr by rich, and gone once grading ends (the report follows)."""

    def __init__(self, total: int, console: Console | None = None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        if total == 1:
            columns = [SpinnerColumn(), TextColumn("grading {task.fields[current]}")]
            columns += [TimeElapsedColumn()]
        else:
            columns = [TextColumn("grading"), BarColumn(), MofNCompleteColumn()]
            columns += [TextColumn("files"), TimeElapsedColumn(), TextColumn("ETA")]
            columns += [TimeRemainingColumn()]
            columns += [TextColumn("{task.fields[current]}", style="dim")]
        self.progress = Progress(*columns, console=console or Console(stderr=True), transient=True)
        self.task = self.progress.add_task("grading", total=total, current="")
        self.single = total == 1
        self.current: dict[int, str] = {}
        self.probe: dict[int, str] = {}
        self.lock = threading.Lock()

    def __enter__(self) -> GradeProgress:
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

    def probing(self, index: int, title: str) -> None:
        with self.lock:
            self.probe[index] = title
            self._show()

    def finished(self, index: int, report: GradeReport) -> None:
        with self.lock:
            self.current.pop(index, None)
            self.probe.pop(index, None)
            self.progress.advance(self.task)
            self._show()

    def _show(self) -> None:
        if self.single:
            shown = next((f"{n}: {self.probe.get(i, '')}" for i, n in self.current.items()), "")
        else:
            shown = ", ".join(self.current.values())
        self.progress.update(self.task, current=shown, refresh=True)  # each probe is drawn
