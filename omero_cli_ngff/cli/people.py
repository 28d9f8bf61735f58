"""What people see, drawn with Rich: consoles, tables, blocks of records, coloured lines
and progress. Loaded only when something is drawn for people (cli/output.py): the
script styles never import Rich, ~30 ms of every run's start.

Every value is data, never markup (see output.py).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich import filesize
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.style import Style
from rich.table import Table
from rich.text import Text

from ..model.urls import is_public_url
from .output import CELL_LIMIT, NARROW_COLUMNS, URL_CELL_LIMIT, URL_COLUMNS, WIDEST, header_of
from .progress import SafeProgress
from .sanitise import clean


def console(stream: Any, width: int | None = None) -> Console:
    return Console(file=stream, width=width, soft_wrap=True, highlight=False, markup=False,
                   emoji=False)


def text_line(text: str, style: str = "") -> Text:
    return Text(text, style=style)


def problem_line(image_id: str, severity: str, code: str, message: str) -> Text:
    line = Text(f"Image:{image_id} ")
    line.append(severity, style="red" if severity == "error" else "yellow")
    line.append(f" {code}: {message}")
    return line


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit} more)"


def cell_text(value: Any, url: bool = False) -> Text:
    """One table cell for people: plain text; a hyperlink when it is a public URL."""
    text = clean("" if value is None else value)
    url = url and is_public_url(text)    # only a real URL is shown whole (up to a limit)
    shown = _cut(text, URL_CELL_LIMIT if url else CELL_LIMIT)
    cell = Text(shown)
    if url and shown == text:             # a URL cut short is no link
        cell.stylize(Style(link=text), 0, len(text))   # the link spans the URL only
    return cell


def render_table(out: Console, title: str, columns: list[str], rows: list[list[Any]],
                 footer: str) -> None:
    """A drawn table that never cuts a URL or an id: off a terminal (a file, a pipe,
    a CI log) it is as wide as its values; on a terminal too narrow for it, one
    block per record with each URL on a line of its own."""
    table = _rich_table(title, columns, rows)
    natural = Console(file=io.StringIO(), width=WIDEST).measure(table).maximum
    if not out.is_terminal:     # Console.print cannot widen past its width
        console(out.file, width=max(natural, out.width)).print(table)
    elif natural <= out.width:
        out.print(table)
    else:
        _records(out, title, columns, rows)
    if footer:
        out.print(Text(clean(footer)))


def _records(out: Console, title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """One block per record: its values on a first line, each URL on a line of its
    own, never folded (a terminal may wrap it, but copies it whole)."""
    if title:
        out.print(Text(clean(title), style="bold"))
    for row in rows:
        first, own_lines = Text(), []
        for column, value in zip(columns, row):
            if column in URL_COLUMNS:
                own_lines.append((column, value))
                continue
            if value in ("", None):
                continue
            first.append(f"{header_of(column)} ", style="dim")
            first.append_text(cell_text(value))
            first.append("  ")
        first.rstrip()
        out.print(first)
        for column, value in own_lines:
            if value in ("", None):
                continue
            line = Text(f"  {header_of(column)}: ", style="dim")
            line.append_text(cell_text(value, column in URL_COLUMNS))
            out.print(line)


def _rich_table(title: str, columns: Sequence[str], rows: list[list[Any]]) -> Table:
    table = Table(title=Text(clean(title)) if title else None)
    cells = [[cell_text(v, columns[i] in URL_COLUMNS) for i, v in enumerate(row)]
             for row in rows]
    for i, column in enumerate(columns):
        header = Text(clean(header_of(column)))
        if column in URL_COLUMNS or column in NARROW_COLUMNS:   # never cut nor folded
            table.add_column(header, no_wrap=True, overflow="ignore")
        else:                       # folded, but never squeezed to a letter a line
            longest = max([len(r[i]) for r in cells] + [len(header)])
            table.add_column(header, overflow="fold", min_width=min(longest, 12))
    for row_cells in cells:
        table.add_row(*row_cells)
    return table


@contextmanager
def progress(err: Console) -> Iterator[SafeProgress]:
    """Rich's progress display on `err`, its task descriptions kept as text."""
    columns = [TextColumn("{task.description}", markup=False), BarColumn(),
               AmountColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=err, transient=False) as shown:
        yield SafeProgress(shown)


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
