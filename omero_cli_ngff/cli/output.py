"""The one renderer of every command: tables for people, JSON / CSV / plain for scripts,
one line per problem, and progress on stderr.

Every value is data, never markup: names, annotation values and URLs reach Rich as
`Text` (markup and emoji off), with control characters shown as escapes and this run's
secrets scrubbed (see sanitise.py); every style keeps one record per row whatever a
value holds (plain escapes tabs and newlines; CSV and JSON quote as their formats do).
Only URLs that pass `model.urls` (http/https, a host, no credentials) become
hyperlinks, and only with their own text.

Tables never cut a URL or an id: those columns are never folded; off a terminal the table
is as wide as its values, and a terminal too narrow for it gets one block per record,
each URL on a line of its own (see `_people`).
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

from ..model.reporting import flat
from ..model.urls import is_public_url
from .progress import AmountColumn, SafeProgress
from .sanitise import clean, scrub, scrub_data
from .styles import DEFAULT_STYLE, FOR_PEOPLE

# Columns (by their key) that hold URLs, and columns whose values are short (ids among
# them): neither is ever folded or cut.
URL_COLUMNS = ("url", "viewer", "target", "destination")
NARROW_COLUMNS = ("image_id", "ngff_version", "conversion_date", "owner", "group",
                  "errors", "warnings", "status", "size", "action", "levels", "labels",
                  "objects", "bytes", "seconds", "code", "annotation_id")
# The words people read over a column (the same everywhere); scripts get the keys.
HEADERS = {"image_id": "image", "ngff_version": "NGFF", "conversion_date": "converted",
           "url": "URL", "viewer": "viewer link"}
# Wide enough for any table's natural width (measured off a terminal).
WIDEST = 100_000
# People see at most this much of one value (scripts get it whole); URLs more.
CELL_LIMIT = 300
URL_CELL_LIMIT = 4096
# CSV quotes these itself: a reader gets the value back, one record per row.
CSV_KEEPS = "\t\n\r"


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


def header_of(column: str) -> str:
    return HEADERS.get(column, column)


def renderer(out: Output) -> Any:
    """The method drawing rows in `out`'s style: `_render_<style>` (a style of
    cli.styles.STYLES without one is a bug that tests/cli/test_styles.py finds)."""
    return getattr(out, f"_render_{out.style}")


def _console(stream: Any) -> Console:
    return Console(file=stream, soft_wrap=True, highlight=False, markup=False, emoji=False)


class Output:
    """Where a command's results and messages go, in the chosen style."""

    def __init__(self, style: str = DEFAULT_STYLE, quiet: bool = False):
        self.style = style
        self.quiet = quiet
        # Results go to stdout (sys.stdout is looked up late: tests capture it).
        self.out = _console(sys.stdout)
        self.err = _console(sys.stderr)

    @property
    def for_people(self) -> bool:
        return self.style in FOR_PEOPLE

    # -- results -----------------------------------------------------------------------

    def results(self, title: str, columns: list[str], records: list[dict[str, Any]],
                summary: dict[str, Any], footer: str = "",
                people_columns: list[str] | None = None,
                extra: dict[str, Any] | None = None) -> None:
        """A command's result: in json one document ``{"summary": ..., "images": [...]}``
        (typed values; `extra` adds keys), else the records as rows of `columns` (people
        see `people_columns`, then `footer`)."""
        if self.style == "json":
            self.document({"summary": summary, "images": records, **(extra or {})})
            return
        shown = people_columns if people_columns and self.for_people else columns
        self.table(title, shown, [[flat(r.get(c)) for c in shown] for r in records],
                   footer=footer)

    def table(self, title: str, columns: list[str], rows: list[list[Any]],
              footer: str = "") -> None:
        """Rows in the style: a table for people (then `footer`), omero-py's sql, csv,
        plain (csv without its header), or json (a list of objects, as omero-py's)."""
        renderer(self)(title, columns, rows, footer)

    def _render_json(self, title: str, columns: list[str], rows: list[list[Any]],
                     footer: str) -> None:
        self._json([dict(zip(columns, row)) for row in rows])

    def _csv(self, title: str, columns: list[str], rows: list[list[Any]], footer: str,
             header: bool = True, keep: str = CSV_KEEPS) -> None:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        if header:
            writer.writerow([clean(c, keep) for c in columns])
        writer.writerows([[clean(flat(v), keep) for v in row] for row in rows])
        sys.stdout.write(buf.getvalue())

    def _render_csv(self, title: str, columns: list[str], rows: list[list[Any]],
                    footer: str) -> None:
        self._csv(title, columns, rows, footer)

    def _render_plain(self, title: str, columns: list[str], rows: list[list[Any]],
                      footer: str) -> None:
        """omero-py's plain: csv rows without the header; tabs and newlines escaped, so
        that each record is one line (for grep and cut)."""
        self._csv(title, columns, rows, footer, header=False, keep="")

    def _render_sql(self, title: str, columns: list[str], rows: list[list[Any]],
                    footer: str) -> None:
        """omero-py's SQLStyle: ` value ` cells padded to the widest, `|` between, a
        `---+---` rule under the header and `(N rows)` last; nothing is ever cut."""
        cells = [[clean(c) for c in columns]] + [[clean(flat(v)) for v in r] for r in rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
        lines = ["|".join(f" {v:<{w}} " for v, w in zip(r, widths)) for r in cells]
        lines.insert(1, "+".join("-" * (w + 2) for w in widths))
        lines.append(f"({len(rows)} {'row' if len(rows) == 1 else 'rows'})")
        sys.stdout.write("\n".join(lines) + "\n")

    def _render_table(self, title: str, columns: list[str], rows: list[list[Any]],
                      footer: str) -> None:
        """A drawn table that never cuts a URL or an id: off a terminal (a file, a pipe,
        a CI log) it is as wide as its values; on a terminal too narrow for it, one
        block per record with each URL on a line of its own."""
        table = self._rich_table(title, columns, rows)
        natural = Console(file=io.StringIO(), width=WIDEST).measure(table).maximum
        if not self.out.is_terminal:     # Console.print cannot widen past its width
            wide = Console(file=self.out.file, width=max(natural, self.out.width),
                           soft_wrap=True, highlight=False, markup=False, emoji=False)
            wide.print(table)
        elif natural <= self.out.width:
            self.out.print(table)
        else:
            self._records(title, columns, rows)
        if footer:
            self.out.print(Text(clean(footer)))

    def _records(self, title: str, columns: list[str], rows: list[list[Any]]) -> None:
        """One block per record: its values on a first line, each URL on a line of its
        own, never folded (a terminal may wrap it, but copies it whole)."""
        if title:
            self.out.print(Text(clean(title), style="bold"))
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
            self.out.print(first)
            for column, value in own_lines:
                if value in ("", None):
                    continue
                line = Text(f"  {header_of(column)}: ", style="dim")
                line.append_text(cell_text(value, column in URL_COLUMNS))
                self.out.print(line)

    def _rich_table(self, title: str, columns: Sequence[str], rows: list[list[Any]]) -> Table:
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


__all__ = ["Output", "cell_text", "scrub"]
