"""Console output: rich tables for people, json/csv/plain for scripts, progress on stderr."""

from __future__ import annotations

import csv
import io
import json
import sys
from contextlib import contextmanager

from rich.console import Console
from rich import filesize
from rich.progress import (BarColumn, Progress, ProgressColumn, TextColumn,
                           TimeRemainingColumn)
from rich.table import Table


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

    def table(self, title: str, columns: list[str], rows: list[list], footer: str = ""):
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
            table = Table(title=title, caption=footer or None)
            for column in columns:
                table.add_column(column)
            for row in rows:
                table.add_row(*["" if v is None else str(v) for v in row])
            self.out.print(table)

    def document(self, obj):
        """A whole result as one JSON document (style json only)."""
        print(json.dumps(obj, default=str, indent=None))

    def line(self, text: str):
        """A plain line on stdout (for piping, e.g. URLs)."""
        print(text)

    def info(self, text: str):
        if not self.quiet and self.for_people:
            self.err.print(text, markup=False)

    def warn(self, text: str):
        if not self.quiet:
            self.err.print(f"Warning: {text}", markup=False, style="yellow")

    @contextmanager
    def progress(self):
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

    def render(self, task):
        unit = task.fields.get("unit", "images")
        if unit == "bytes":
            speed = task.finished_speed or task.speed
            rate = f" at {filesize.decimal(int(speed))}/s" if speed else ""
            return f"{filesize.decimal(int(task.completed))}{rate}"
        total = "?" if task.total is None else int(task.total)
        return f"{int(task.completed)}/{total} {unit}"
