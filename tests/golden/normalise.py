"""Make a command's output comparable across runs: volatile values become placeholders.

Volatile are ports, temporary folders, dates and the measured seconds. Seconds are
found by their column (the header of a table or CSV, the key of a JSON document); in
the `plain` style, which has no header, by the column index that the same command's
CSV header gives. Rich tables are then compacted (runs of spaces and rules become one),
so that a column's width, which follows its widest value, does not matter.
"""

from __future__ import annotations

import csv
import io
import json
import re

VOLATILE_COLUMNS = ("seconds",)
_PORT = re.compile(r"127\.0\.0\.1:\d+")
_DATE = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d)?([+-]\d\d:\d\d|Z)?")
_RULES = re.compile(r"([─━═ ])\1+")


def _text(text: str, tmp: str) -> str:
    text = text.replace(tmp, "TMP")
    text = _PORT.sub("127.0.0.1:PORT", text)
    return _DATE.sub("DATE", text)


def _json_value(value):
    if isinstance(value, dict):
        return {k: ("N" if k in VOLATILE_COLUMNS else _json_value(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


def _json(text: str) -> str:
    lines = []
    for line in text.splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            lines.append(line)
            continue
        lines.append(json.dumps(_json_value(doc), sort_keys=False))
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")


def volatile_indexes(csv_text: str) -> list[int]:
    rows = list(csv.reader(io.StringIO(csv_text)))
    header = rows[0] if rows else []
    return [i for i, name in enumerate(header) if name in VOLATILE_COLUMNS]


def _csv(text: str, indexes: list[int]) -> str:
    rows = list(csv.reader(io.StringIO(text)))
    for row in rows[1:]:
        for i in indexes:
            if i < len(row):
                row[i] = "N"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _plain(text: str, indexes: list[int]) -> str:
    """omero-py's plain: csv rows without a header (lines that are not csv stay)."""
    return _csv("\n" + text, indexes).lstrip("\n") if text.strip() else text


def _sql(text: str) -> str:
    """omero-py's sql: ` a | b ` rows under a header; padding compacted."""
    lines = text.splitlines()
    volatile: list[int] = []
    out = []
    for n, line in enumerate(lines):
        cells = line.split("|")
        if n == 0:
            volatile = [i for i, c in enumerate(cells) if c.strip() in VOLATILE_COLUMNS]
        elif len(cells) > 1 and not set(line) <= {"-", "+"}:
            for i in volatile:
                if i < len(cells):
                    cells[i] = " N "
        out.append(re.sub(r"([ -])\1+", r"\1", "|".join(cells)).rstrip())
    return "\n".join(out) + "\n"


def _table(text: str) -> str:
    lines = text.splitlines()
    volatile: list[int] = []
    out = []
    for line in lines:
        if "┃" in line:                       # the header row of a rich table
            cells = line.split("┃")
            volatile = [i for i, c in enumerate(cells) if c.strip() in VOLATILE_COLUMNS]
        elif "│" in line and volatile:
            cells = line.split("│")
            for i in volatile:
                if i < len(cells) and cells[i].strip():
                    cells[i] = " N "
            line = "│".join(cells)
        out.append(_RULES.sub(r"\1", line).rstrip())
    return "\n".join(out) + "\n"


def normalise(text: str, style: str, tmp: str, csv_text: str = "") -> str:
    text = _text(text, tmp)
    if style == "json":
        return _json(text)
    if style == "csv":
        return _csv(text, volatile_indexes(text))
    if style == "sql":
        return _sql(text)
    if style == "plain":
        return _plain(text, volatile_indexes(_text(csv_text, tmp)) if csv_text else [])
    return _table(text)
