"""What a workflow reports while it runs, without printing: warnings and progress.

The commands hand a workflow the CLI's renderer (`cli.output.Output`, a `Renderer`),
which draws both; `SILENT` is for callers that want neither (tests, benchmarks).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol


class Progress(Protocol):
    """The part of rich's Progress that workflows use."""

    def add_task(self, description: str, total: Any = None, **fields: Any) -> Any: ...

    def update(self, task: Any, **kwargs: Any) -> None: ...

    def advance(self, task: Any, advance: float = 1) -> None: ...

    def remove_task(self, task: Any) -> None: ...


class Reporter(Protocol):
    def warn(self, text: str) -> None: ...

    def progress(self) -> AbstractContextManager[Progress]: ...


class Renderer(Reporter, Protocol):
    """The CLI's renderer as the commands use it (cli.output.Output)."""

    style: str

    @property
    def for_people(self) -> bool: ...

    def table(self, title: str, columns: list[str], rows: list[list[Any]],
              footer: str = "") -> None: ...

    def results(self, title: str, columns: list[str], records: list[dict[str, Any]],
                summary: dict[str, Any], footer: str = "",
                people_columns: list[str] | None = None,
                extra: dict[str, Any] | None = None) -> None: ...

    def document(self, obj: Any) -> None: ...

    def text(self, text: str) -> None: ...

    def problem(self, image_id: int, severity: str, code: str, message: str) -> None: ...

    def line(self, text: str) -> None: ...

    def info(self, text: str) -> None: ...

    def error(self, text: str) -> None: ...


def flat(value: Any) -> Any:
    """A typed value as one cell: None empty, a list of problems `severity code:
    message` joined by "; ", another list joined by spaces."""
    if value is None:
        return ""
    if isinstance(value, list):
        if all(isinstance(v, dict) and "code" in v for v in value):
            return "; ".join(f"{v.get('severity')} {v.get('code')}: {v.get('message')}"
                             for v in value)
        return " ".join(str(v) for v in value)
    return value


def plural(n: int, noun: str) -> str:
    """`1 image`, `2 images` (the nouns counted here take an s)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def missing_text(refs: list[Any]) -> str:
    """Objects that do not exist or are not readable, said the same way by every command
    (an error: their exit code is NOT_FOUND)."""
    names = ", ".join(str(r) for r in refs[:10]) + (" ..." if len(refs) > 10 else "")
    verb = "does not exist or is not" if len(refs) == 1 else "do not exist or are not"
    return f"{names}: {verb} readable"


class _NoProgress:
    def add_task(self, description: str, total: Any = None, **fields: Any) -> int:
        return 0

    def update(self, task: Any, **kwargs: Any) -> None:
        pass

    def advance(self, task: Any, advance: float = 1) -> None:
        pass

    def remove_task(self, task: Any) -> None:
        pass


class _Silent:
    def warn(self, text: str) -> None:
        pass

    @contextmanager
    def progress(self) -> Iterator[Progress]:
        yield _NoProgress()


SILENT: Reporter = _Silent()
