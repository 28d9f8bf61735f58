"""The one renderer of every command: tables for people, JSON / CSV / plain for scripts,
one line per problem, and progress on stderr.

Every value is data, never markup: names, annotation values and URLs reach Rich as
`Text` (markup and emoji off), with control characters shown as escapes and this run's
secrets scrubbed (see sanitise.py); every style keeps one record per row whatever a
value holds (plain escapes tabs and newlines; CSV and JSON quote as their formats do).
Only URLs that pass `model.urls` (http/https, a host, no credentials) become
hyperlinks, and only with their own text.

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

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.style import Style
from rich.table import Table
from rich.text import Text

from ..model.urls import is_public_url
from .progress import AmountColumn, SafeProgress
from .sanitise import clean, scrub, scrub_data

# Columns (by their key) that hold URLs, and columns whose values are short.
URL_COLUMNS = ("url", "URL", "viewer")
NARROW_COLUMNS = ("image", "image_id", "ngff_version", "NGFF", "conversion_date",
                  "owner", "group", "errors", "warnings", "status", "size")
# People see at most this much of one value (scripts get it whole); URLs more.
CELL_LIMIT = 300
URL_CELL_LIMIT = 4096
# CSV quotes these itself: a reader gets the value back, one record per row.
CSV_KEEPS = "\t\n\r"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit} more)"


def cell_text(value: Any, url: bool = False) -> Text:
    """One table cell for people: plain text; a hyperlink when it is a public URL."""
    text = _cut(clean("" if value is None else value), URL_CELL_LIMIT if url else CELL_LIMIT)
    cell = Text(text)
    if url and text and is_public_url(text):
        cell.stylize(Style(link=text), 0, len(text))   # the link spans the URL only
    return cell


def _console(stream: Any) -> Console:
    return Console(file=stream, soft_wrap=True, highlight=False, markup=False, emoji=False)


class Output:
    """Where a command's results and messages go, in the chosen style."""

    def __init__(self, style: str = "table", quiet: bool = False):
        self.style = style
        self.quiet = quiet
        # Results go to stdout (sys.stdout is looked up late: tests capture it).
        self.out = _console(sys.stdout)
        self.err = _console(sys.stderr)

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
            self._json([dict(zip(columns, row)) for row in rows])
        elif self.style == "csv":
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow([clean(c, CSV_KEEPS) for c in columns])
            writer.writerows([[_csv_cell(v) for v in row] for row in rows])
            sys.stdout.write(buf.getvalue())
        elif self.style == "plain":
            for row in rows:
                print("\t".join(clean(v) for v in row))
        else:
            self.out.print(self._rich_table(title, columns, rows, footer, headers or {},
                                            caption_left))

    def _rich_table(self, title: str, columns: Sequence[str], rows: list[list[Any]],
                    footer: str, headers: dict[str, str], caption_left: bool) -> Table:
        table = Table(title=Text(clean(title)) if title else None,
                      caption=Text(clean(footer)) if footer else None,
                      caption_justify="left" if caption_left else "center")
        cells = [[cell_text(v, columns[i] in URL_COLUMNS) for i, v in enumerate(row)]
                 for row in rows]
        width = self.out.width
        for i, column in enumerate(columns):
            header = Text(clean(headers.get(column, column)))
            if column in URL_COLUMNS:   # folded, never cut, and wide enough to read
                longest = max([len(r[i]) for r in cells] + [len(header)])
                table.add_column(header, overflow="fold",
                                 min_width=min(longest, max(20, width // 2 - 10)))
            elif column in NARROW_COLUMNS:
                table.add_column(header, no_wrap=True)
            else:                       # folded, but never squeezed to a letter a line
                longest = max([len(r[i]) for r in cells] + [len(header)])
                table.add_column(header, overflow="fold", min_width=min(longest, 12))
        for row_cells in cells:
            table.add_row(*row_cells)
        return table

    def _json(self, obj: Any) -> None:
        print(json.dumps(scrub_data(obj), default=str))

    def document(self, obj: Any) -> None:
        """A whole result as one JSON document (style json only)."""
        self._json(obj)

    def line(self, text: str) -> None:
        """A plain line on stdout (for piping, e.g. URLs)."""
        print(clean(text))

    def text(self, text: str) -> None:
        """A line of text for people on stdout (a summary, what was fixed)."""
        self.out.print(Text(clean(text)))

    def problem(self, image_id: int, severity: str, code: str, message: str) -> None:
        """`Image:N warning code: message`, the severity coloured for people."""
        colour = "red" if severity == "error" else "yellow"
        line = Text(f"Image:{clean(image_id)} ")
        line.append(clean(severity), style=colour)
        line.append(f" {clean(code)}: {clean(message)}")
        self.out.print(line)

    # -- messages and progress ---------------------------------------------------------

    def info(self, text: str) -> None:
        if not self.quiet and self.for_people:
            self.err.print(Text(clean(text)))

    def warn(self, text: str) -> None:
        if not self.quiet:
            self.err.print(Text(f"Warning: {clean(text)}", style="yellow"))

    def error(self, text: str) -> None:
        """One line on stderr saying why the command failed (printed even with -q)."""
        self.err.print(Text(f"Error: {clean(text)}", style="red"))

    @contextmanager
    def progress(self) -> Iterator[SafeProgress]:
        """A rich progress display on stderr (silent with --quiet or a script style).

        Tasks added with `unit="bytes"` show sizes and throughput; others show
        `done/total unit` (`unit="images"` by default). Task descriptions are text."""
        columns = [TextColumn("{task.description}", markup=False), BarColumn(),
                   AmountColumn(), TimeRemainingColumn()]
        disabled = self.quiet or not self.for_people
        with Progress(*columns, console=self.err, disable=disabled,
                      transient=False) as progress:
            yield SafeProgress(progress)


def _csv_cell(value: Any) -> str:
    """A CSV value: tabs and newlines kept (CSV quotes them), other controls visible."""
    return clean("" if value is None else value, CSV_KEEPS)


__all__ = ["Output", "cell_text", "scrub"]
