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
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ..model.reporting import SILENT, Progress, flat
from .sanitise import clean, scrub, scrub_data
from .styles import DEFAULT_STYLE, FOR_PEOPLE

if TYPE_CHECKING:
    from rich.console import Console

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


def header_of(column: str) -> str:
    return HEADERS.get(column, column)


def renderer(out: Output) -> Any:
    """The method drawing rows in `out`'s style: `_render_<style>` (a style of
    cli.styles.STYLES without one is a bug that tests/cli/test_styles.py finds)."""
    return getattr(out, f"_render_{out.style}")


class Output:
    """Where a command's results and messages go, in the chosen style."""

    def __init__(self, style: str = DEFAULT_STYLE, quiet: bool = False):
        self.style = style
        self.quiet = quiet

    # Rich is loaded when something is drawn for people (cli/people.py): the script
    # styles never load it (~30 ms of each run's start). sys.stdout is looked up late:
    # tests capture it.
    @cached_property
    def out(self) -> Console:
        from .people import console
        return console(sys.stdout)

    @cached_property
    def err(self) -> Console:
        from .people import console
        return console(sys.stderr)

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
        from .people import render_table
        render_table(self.out, title, columns, rows, footer)

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
        from .people import text_line
        self.out.print(text_line(clean(text)))

    def problem(self, image_id: int, severity: str, code: str, message: str) -> None:
        """`Image:N warning code: message`, the severity coloured for people."""
        from .people import problem_line
        self.out.print(problem_line(clean(image_id), clean(severity), clean(code),
                                    clean(message)))

    # -- messages and progress ---------------------------------------------------------

    def info(self, text: str) -> None:
        if not self.quiet and self.for_people:
            from .people import text_line
            self.err.print(text_line(clean(text)))

    def warn(self, text: str) -> None:
        if not self.quiet:
            from .people import text_line
            self.err.print(text_line(f"Warning: {clean(text)}", style="yellow"))

    def error(self, text: str) -> None:
        """One line on stderr saying why the command failed (printed even with -q)."""
        from .people import text_line
        self.err.print(text_line(f"Error: {clean(text)}", style="red"))

    @contextmanager
    def progress(self) -> Iterator[Progress]:
        """A rich progress display on stderr (none with --quiet or a script style).

        Tasks added with `unit="bytes"` show sizes and throughput; others show
        `done/total unit` (`unit="images"` by default). Task descriptions are text."""
        if self.quiet or not self.for_people:
            with SILENT.progress() as none:
                yield none
            return
        from .people import progress
        with progress(self.err) as shown:
            yield shown


__all__ = ["Output", "scrub"]
