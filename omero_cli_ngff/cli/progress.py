"""Progress on stderr: rich's Progress (cli/people.py), with task descriptions kept as
text (they may hold an image's name)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .sanitise import clean

if TYPE_CHECKING:
    from rich.progress import Progress


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
