"""The one renderer of every command: tables for people, JSON / CSV / plain for scripts,
one line per problem, and progress on stderr.

Tables never cut a URL: columns that hold URLs are folded and kept wide enough to read;
short values (ids, versions, dates, names of owners and groups) are never wrapped.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rich import filesize
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

# Columns (by their key) that hold URLs, and columns whose values are short.
URL_COLUMNS = ("url", "URL", "viewer")
NARROW_COLUMNS = ("image", "image_id", "ngff_version", "NGFF", "conversion_date",
                  "owner", "group", "errors", "warnings", "status", "size")


class Output:
    """Where a command's results and messages go, in the chosen style."""

    def __init__(self, style: str = "table", quiet: bool = False):
        self.style = style
        self.quiet = quiet
        # Results go to stdout (sys.stdout is looked up late: tests capture it).
        self.out = Console(file=sys.stdout, soft_wrap=True, highlight=False)
        self.err = Console(file=sys.stderr, soft_wrap=True, highlight=False)

    @property
    def for_people(self) -> bool:
        return self.style == "table"

    # -- results -----------------------------------------------------------------------

    def table(self, title: str, columns: list[str], rows: list[list[Any]],
              footer: str = "", headers: dict[str, str] | None = None,
              caption_left: bool = False) -> None:
        """Rows in the style: a table for people (`headers` renames its columns), a JSON
        list of objects, CSV with a header, or plain tab-separated lines."""
        if self.style == "json":
            print(json.dumps([dict(zip(columns, row)) for row in rows], default=str))
        elif self.style == "csv":
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(rows)
            sys.stdout.write(buf.getvalue())
        elif self.style == "plain":
            for row in rows:
                print("\t".join("" if v is None else str(v) for v in row))
        else:
            self.out.print(self._rich_table(title, columns, rows, footer, headers or {},
                                            caption_left))

    def _rich_table(self, title: str, columns: Sequence[str], rows: list[list[Any]],
                    footer: str, headers: dict[str, str], caption_left: bool) -> Table:
        table = Table(title=title, caption=footer or None,
                      caption_justify="left" if caption_left else "center")
        width = self.out.width
        for i, column in enumerate(columns):
            header = headers.get(column, column)
            if column in URL_COLUMNS:   # folded, never cut, and wide enough to read
                longest = max([len(str(r[i] or "")) for r in rows] + [len(header)])
                table.add_column(header, overflow="fold",
                                 min_width=min(longest, max(20, width // 2 - 10)))
            elif column in NARROW_COLUMNS:
                table.add_column(header, no_wrap=True)
            else:
                table.add_column(header, overflow="fold")
        for row in rows:
            table.add_row(*["" if v is None else str(v) for v in row])
        return table

    def document(self, obj: Any) -> None:
        """A whole result as one JSON document (style json only)."""
        print(json.dumps(obj, default=str, indent=None))

    def line(self, text: str) -> None:
        """A plain line on stdout (for piping, e.g. URLs)."""
        print(text)

    def text(self, text: str) -> None:
        """A line of text for people on stdout (a summary, what was fixed)."""
        self.out.print(text, markup=False)

    def problem(self, image_id: int, severity: str, code: str, message: str) -> None:
        """`Image:N warning code: message`, the severity coloured for people."""
        colour = "red" if severity == "error" else "yellow"
        self.out.print(f"Image:{image_id} [{colour}]{severity}[/{colour}] {code}: ", end="")
        self.out.print(message, markup=False)

    # -- messages and progress ---------------------------------------------------------

    def info(self, text: str) -> None:
        if not self.quiet and self.for_people:
            self.err.print(text, markup=False)

    def warn(self, text: str) -> None:
        if not self.quiet:
            self.err.print(f"Warning: {text}", markup=False, style="yellow")

    @contextmanager
    def progress(self) -> Iterator[Progress]:
        """A rich progress display on stderr (silent with --quiet or a script style).

        Tasks added with `unit="bytes"` show sizes and throughput; others show
        `done/total unit` (`unit="images"` by default)."""
        columns = [TextColumn("{task.description}"), BarColumn(), AmountColumn(),
                   TimeRemainingColumn()]
        disabled = self.quiet or not self.for_people
        with Progress(*columns, console=self.err, disable=disabled,
                      transient=False) as progress:
            yield progress


class AmountColumn(ProgressColumn):
    """`3/12 images`, or `1.2 GB at 45.0 MB/s` for a task whose unit is bytes."""

    def render(self, task: Any) -> str:   # type: ignore[override]
        unit = task.fields.get("unit", "images")
        if unit == "bytes":
            speed = task.finished_speed or task.speed
            rate = f" at {filesize.decimal(int(speed))}/s" if speed else ""
            return f"{filesize.decimal(int(task.completed))}{rate}"
        total = "?" if task.total is None else int(task.total)
        return f"{int(task.completed)}/{total} {unit}"
