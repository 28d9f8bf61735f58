"""`omero ngff locate`: arguments -> workflows.locate -> a table, URLs, viewer links,
or the images at a URL."""

from __future__ import annotations

from argparse import Namespace
from typing import Any

from .. import exit_codes
from ..errors import NotFound
from ..model import viewers
from ..model.annotation import DEFAULT_NAMESPACE
from ..model.objects import parse_objects
from ..model.reporting import Renderer
from ..model.urls import is_public_url
from ..workflows.locate import FOREIGN, MALFORMED, Located, LocatedCopy, locate, reverse
from ..workflows.origin import find_home, given_destination

COLUMNS = ["image_id", "name", "ngff_version", "conversion_date", "url", "status",
           "problems"]


def is_url(text: str) -> bool:
    return "://" in text


def run(session: Any, args: Namespace, out: Renderer) -> int:
    urls = [t for t in args.objects if is_url(t)]
    refs = parse_objects([t for t in args.objects if not is_url(t)])   # before connecting
    given = given_destination(args.dest, args.public_url)              # before connecting
    namespace = args.namespace or DEFAULT_NAMESPACE
    conn = session.conn
    code = exit_codes.OK
    if refs and args.style == "html":
        return _html(out, conn, refs, namespace, find_home(lambda: session.conn, given), args)
    if refs:
        home = find_home(lambda: session.conn, given)
        result = locate(conn, refs, namespace, home)
        if result.missing_objects and not result.images:
            raise NotFound(_missing_text(result.missing_objects))
        show(out, result, args)
        if result.rows and not home.known:
            out.info(UNJUDGED)
        if result.missing_objects:
            out.warn(_missing_text(result.missing_objects))
            code = exit_codes.NOT_FOUND
    if urls:
        found, _ = reverse(conn, urls, namespace)
        show_reverse(out, found, args)
        unknown = [u for u, records in found.items() if not records]
        if unknown:
            if not refs and len(unknown) == len(urls):
                raise NotFound(f"no image points at {', '.join(unknown)}")
            out.warn(f"no image points at {', '.join(unknown)}")
            code = exit_codes.NOT_FOUND
    return code


def _html(out: Renderer, conn: Any, refs: list, namespace: str, home: Any,
          args: Namespace) -> int:
    """The index page of the images under ``refs`` on stdout, entries inline."""
    from ..model.index_entry import IndexChoices
    from ..workflows.index import page_of

    choices = IndexChoices(namespaces=tuple(args.index_namespace or ()))
    page, missing = page_of(conn, refs, namespace, home.bases, choices)
    if missing and len(missing) == len(refs):
        raise NotFound(_missing_text(missing))
    for line in page.splitlines():
        out.line(line)
    if missing:
        out.warn(_missing_text(missing))
        return exit_codes.NOT_FOUND
    return exit_codes.OK


def _missing_text(refs) -> str:
    names = ", ".join(str(r) for r in refs[:10]) + (" ..." if len(refs) > 10 else "")
    return f"{names}: does not exist or is not readable" if len(refs) == 1 else \
        f"{names}: do not exist or are not readable"


UNJUDGED = ("Copies were not checked against a destination: give --dest (or set "
            "omero.client.ngff.dest) to mark those published elsewhere as foreign")


def _link(args: Namespace, row: LocatedCopy, for_people: bool = False) -> str:
    """The viewer link of a copy whose URL is a public http(s) URL; a foreign copy's
    link says so for people (scripts read the row's status)."""
    if not row.url or not args.viewer or not is_public_url(row.url):
        return ""
    link = viewers.link(args.viewer, row.url, row.ngff_version or None, row.name)
    return f"foreign: {link}" if for_people and row.status == FOREIGN else link


def _urls(out: Renderer, result: Located, args: Namespace) -> None:
    """One line per URL (or viewer link, or image with --missing), for piping: foreign
    copies are not listed, only named on stderr (as malformed ones are too)."""
    if args.missing:
        for row in result.missing_images:
            out.line(f"Image:{row.image_id}")
        return
    for row in result.rows:
        if row.status == FOREIGN:
            out.warn(f"Image:{row.image_id}: not listed, foreign copy {row.url}")
        elif is_public_url(row.url):
            out.line(_link(args, row) if args.viewer else row.url)
    for row in result.rows:
        if row.status == MALFORMED:
            out.warn(f"Image:{row.image_id}: {row.status_text}")


def show(out: Renderer, result: Located, args: Namespace) -> None:
    rows = result.missing_images if args.missing else result.rows
    if args.urls:
        _urls(out, result, args)
        return
    people = out.style == "table"
    columns = COLUMNS + (["viewer"] if args.viewer else [])
    table = [[r.image_id, r.name, r.ngff_version, r.conversion_date, r.url, r.status,
              r.problems_text] + ([_link(args, r, people)] if args.viewer else [])
             + (_plate_cells(r) if result.plates else []) for r in rows]
    columns += PLATE_COLUMNS if result.plates else []
    missing = len(result.missing_images)
    foreign = sum(1 for r in result.rows if r.status == FOREIGN)
    footer = (f"{result.images} images: {result.published} published, {missing} missing"
              + (f", {foreign} foreign copies" if foreign else "")
              + ("" if args.missing or not missing else " (--missing lists them)"))
    if out.style != "table":
        out.table("Published copies", columns, table)
        return
    title = "Images without a published copy" if args.missing else "Published copies"
    if args.missing:     # nothing published: the copy's columns would stay empty
        table = [[r.image_id, r.name] for r in rows]
        columns = ["image_id", "name"]
    else:                # problems get lines of their own below the table
        table = [row[:3] + [_short_date(row[3])] + row[4:6] + row[7:] for row in table]
        columns = columns[:6] + columns[7:]
    if rows:
        out.table(title, columns, table, footer, headers=HEADERS, caption_left=True)
    else:
        out.text(footer)
    if not args.missing:
        printed = set()
        for row in rows:
            for p in row.problems:
                if (row.image_id, p.code, p.message) in printed:
                    continue            # a duplicate is said once, not once per copy
                printed.add((row.image_id, p.code, p.message))
                out.problem(row.image_id, p.severity, p.code, p.message)


# only when some images are plate fields (other outputs keep their shape)
PLATE_COLUMNS = ["plate", "well", "field"]


def _plate_cells(row: LocatedCopy) -> list:
    spot = row.plate
    return [spot.plate_id, spot.well, spot.field] if spot else [None, None, None]


def _short_date(text: str) -> str:
    """2024-05-01T10:00:00+00:00 -> 2024-05-01 10:00 (for people; scripts get it all)."""
    from datetime import datetime
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return text[:16].replace("T", " ")


def show_reverse(out: Renderer, found: dict, args: Namespace) -> None:
    columns = ["url", "image_id", "name", "owner", "group"]
    rows = [[url, r.id, r.name, r.owner, r.group] for url, records in found.items()
            for r in records]
    if args.urls:
        for row in rows:
            out.line(f"Image:{row[1]}")
        return
    if out.style != "table":
        out.table("Images", columns, rows)
        return
    if rows:
        out.table("Images pointing at the URL", columns, rows, f"{len(rows)} image(s)",
                  headers=HEADERS, caption_left=True)


HEADERS = {"image_id": "image", "ngff_version": "NGFF", "conversion_date": "converted",
           "url": "URL", "viewer": "viewer link"}
