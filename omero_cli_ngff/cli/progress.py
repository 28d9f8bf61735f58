"""Progress on stderr: rich's Progress, with task descriptions kept as text (they may
hold an image's name) and an amount column that knows bytes from images."""

from __future__ import annotations

from typing import Any

from rich import filesize
from rich.progress import Progress, ProgressColumn

from .sanitise import clean


class SafeProgress:
    """The part of rich's Progress that workflows use (model.reporting.Progress), with
    every description made visible and scrubbed before rich sees it."""

    def __init__(self, progress: Progress):
        self._progress = progress

    def add_task(self, description: str, total: Any = None, **fields: Any) -> Any:
        return self._progress.add_task(clean(description), total=total, **fields)

    def update(self, task: Any, **kwargs: Any) -> None:
        if "description" in kwargs:
            kwargs["description"] = clean(kwargs["description"])
        self._progress.update(task, **kwargs)

    def advance(self, task: Any, advance: float = 1) -> None:
        self._progress.advance(task, advance)

    def remove_task(self, task: Any) -> None:
        self._progress.remove_task(task)


class AmountColumn(ProgressColumn):
    """`3/12 images`, or `1.2 GB at 45.0 MB/s` for a task whose unit is bytes."""

    def render(self, task: Any) -> str:   # type: ignore[override]
        unit = task.fields.get("unit", "images")
        if unit == "bytes":
            speed = task.finished_speed or task.speed
            rate = f" at {filesize.decimal(int(speed))}/s" if speed else ""
            return f"{filesize.decimal(int(task.completed))}{rate}"
        total = "?" if task.total is None else int(task.total)
        return f"{int(task.completed)}/{total} {clean(unit)}"
