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
from ..model.reporting import Renderer, flat, missing_text, plural
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
    if refs and args.style == "html":
        return _html(out, conn, refs, namespace, find_home(lambda: session.conn, given), args)
    missing: list = []
    unknown: list[str] = []
    doc = Document()
    if refs:
        home = find_home(lambda: session.conn, given)
        result = locate(conn, refs, namespace, home)
        if result.missing_objects and not result.images:
            raise NotFound(missing_text(result.missing_objects))
        show(out, result, args, doc)
        if result.rows and not home.known:
            out.info(UNJUDGED)
        missing = result.missing_objects
    if urls:
        found, _ = reverse(conn, urls, namespace)
        unknown = [u for u, records in found.items() if not records]
        if unknown and not refs and len(unknown) == len(urls):
            raise NotFound(f"no image points at {', '.join(unknown)}")
        show_reverse(out, found, args, doc)
    doc.summary.setdefault("images", len(doc.images))      # a lookup by URL only
    doc.summary.update(missing_objects=[str(m) for m in missing], unknown_urls=unknown)
    if out.style == "json" and not args.urls:
        out.document({"summary": doc.summary, "images": doc.images})
    if missing:                 # as verify says it: an error, exit code NOT_FOUND
        out.error(missing_text(missing))
    if unknown:
        out.error(f"no image points at {', '.join(unknown)}")
    return exit_codes.NOT_FOUND if missing or unknown else exit_codes.OK


def _html(out: Renderer, conn: Any, refs: list, namespace: str, home: Any,
          args: Namespace) -> int:
    """The index page of the images under ``refs`` on stdout, entries inline."""
    from ..model.index_entry import IndexChoices
    from ..workflows.index import page_of

    choices = IndexChoices(namespaces=tuple(args.index_namespace or ()))
    page, missing = page_of(conn, refs, namespace, home.bases, choices)
    if missing and len(missing) == len(refs):
        raise NotFound(missing_text(missing))
    for line in page.splitlines():
        out.line(line)
    if missing:                 # as every command says it: an error, exit NOT_FOUND
        out.error(missing_text(missing))
        return exit_codes.NOT_FOUND
    return exit_codes.OK


class Document:
    """The one JSON document of a locate run (images by id and by URL together)."""

    def __init__(self) -> None:
        self.summary: dict[str, Any] = {}
        self.images: list[dict[str, Any]] = []


UNJUDGED = ("Copies were not checked against a destination: give --dest (or keep a "
            "default destination, see the README) to mark those published elsewhere as "
            "foreign")


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


def _record(r: LocatedCopy, args: Namespace, people: bool,
            plates: bool = False) -> dict[str, Any]:
    rec = {"image_id": r.image_id, "name": r.name, "ngff_version": r.ngff_version or None,
           "conversion_date": r.conversion_date or None, "url": r.url or None,
           "status": r.status,
           "problems": [{"code": p.code, "severity": p.severity, "message": p.message}
                        for p in r.problems]}
    if args.viewer:
        rec["viewer"] = _link(args, r, people) or None
    if plates:               # the selection has plate fields: where each one is
        rec.update(zip(PLATE_COLUMNS, _plate_cells(r)))
    return rec


def show(out: Renderer, result: Located, args: Namespace, doc: Document) -> None:
    rows = result.missing_images if args.missing else result.rows
    missing = len(result.missing_images)
    foreign = sum(1 for r in result.rows if r.status == FOREIGN)
    doc.summary.update(images=result.images, published=result.published,
                       not_published=missing, foreign=foreign)
    records = [_record(r, args, out.for_people, result.plates) for r in rows]
    # the document has every image (status "not published" too, as verify's has)
    doc.images += records if args.missing else \
        records + [_record(r, args, False, result.plates) for r in result.missing_images]
    if args.urls:
        _urls(out, result, args)
        return
    columns = COLUMNS + (["viewer"] if args.viewer else [])
    columns += PLATE_COLUMNS if result.plates else []
    footer = (f"{plural(result.images, 'image')}: {result.published} published, "
              f"{missing} not published"
              + (f", {plural(foreign, 'foreign copy')}" if foreign else "")
              + ("" if args.missing or not missing else " (--missing lists them)"))
    if out.style == "json":
        return                  # run() prints the one document
    if not out.for_people:
        out.table("Published copies", columns, [[flat(r.get(c)) for c in columns]
                                                for r in records])
        return
    _for_people(out, rows, records, columns, footer, args)


def _for_people(out: Renderer, rows: list[LocatedCopy], records: list[dict],
                columns: list[str], footer: str, args: Namespace) -> None:
    if args.missing:     # nothing published: the copy's columns would stay empty
        title, columns = "Images without a published copy", ["image_id", "name"]
    else:                # problems get lines of their own below the table
        title = "Published copies"
        columns = [c for c in columns if c != "problems"]
        for r in records:
            r["conversion_date"] = _short_date(r["conversion_date"] or "")
    if rows:
        out.table(title, columns, [[flat(r.get(c)) for c in columns] for r in records],
                  footer)
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


def show_reverse(out: Renderer, found: dict, args: Namespace, doc: Document) -> None:
    columns = ["url", "image_id", "name", "owner", "group"]
    records = [{"url": url, "image_id": r.id, "name": r.name, "owner": r.owner,
                "group": r.group, "problems": []} for url, found_records in found.items()
               for r in found_records]
    doc.summary.update(urls=len(found), images_at_urls=len(records))
    doc.images += records
    if args.urls:
        for rec in records:
            out.line(f"Image:{rec['image_id']}")
        return
    if out.style == "json" or not records:
        return
    out.table("Images pointing at the URL", columns,
              [[rec[c] for c in columns] for rec in records],
              plural(len(records), "image") if out.for_people else "")
