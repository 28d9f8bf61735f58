"""`omero ngff locate`: where are the pixels? (or: which image is at this URL?)

Read-only: a few batched queries (targets, then the annotations of the namespace), so
a Project of 10,000 images costs a handful of round trips, never one per image.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..omero_io import annotations, queries
from ..checks import core as checks
from .. import exit_codes
from ..model import viewers
from ..model.defaults import DEFAULT_NAMESPACE
from ..errors import NotFound
from ..model.objects import ObjectRef, parse_objects
from ..omero_io.query import QueryRunner
from ..cli.output import Output

PUBLISHED, MISSING, MALFORMED = "published", "missing", "malformed"
COLUMNS = ["image_id", "name", "ngff_version", "conversion_date", "url", "status",
           "problems"]


def is_url(text: str) -> bool:
    return "://" in text


@dataclass
class Row:
    image_id: int
    name: str
    ngff_version: str = ""
    conversion_date: str = ""
    url: str = ""
    status: str = PUBLISHED
    problems: list = field(default_factory=list)     # checks.Problem
    annotation_id: int | None = None

    @property
    def problems_text(self) -> str:
        return "; ".join(p.message for p in self.problems)

    @property
    def status_text(self) -> str:
        return f"{self.status}: {self.problems_text}" if self.problems else self.status


@dataclass
class Located:
    rows: list = field(default_factory=list)          # one per annotation
    missing_images: list = field(default_factory=list)  # Rows of unpublished images
    missing_objects: list = field(default_factory=list)
    images: int = 0
    queries: int = 0

    @property
    def published(self) -> int:
        return len({r.image_id for r in self.rows})


def image_ids(runner: QueryRunner, refs) -> tuple:
    """(image ids under `refs` in the order first reached, refs missing) - as
    targets.resolve does, without loading full records (locate needs only names)."""
    by_type: dict[str, list[int]] = {}
    for ref in refs:
        by_type.setdefault(ref.type, []).append(ref.id)
    ids: dict[int, None] = {}
    missing = []
    for kind, wanted in by_type.items():
        found = {row[0] for row in runner.rows(queries.EXISTING_IDS.format(type=kind),
                                               wanted)}
        missing.extend(ObjectRef(kind, i) for i in wanted if i not in found)
        if found:
            for (image_id,) in runner.rows(queries.IMAGE_IDS[kind], found):
                ids.setdefault(image_id, None)
    return list(ids), missing


def read_copies(runner: QueryRunner, ids: list, namespace: str) -> dict:
    """Image id -> PublishedCopy list, from projections (what the annotations say;
    ownership and permissions are not read: locate changes nothing)."""
    copies: dict[int, dict[int, annotations.PublishedCopy]] = {}
    for image_id, ann_id, key, value in runner.rows(queries.ANNOTATION_VALUES, ids,
                                                    ns=namespace):
        by_ann = copies.setdefault(image_id, {})
        copy = by_ann.get(ann_id)
        if copy is None:
            copy = by_ann[ann_id] = annotations.PublishedCopy(
                image_id=image_id, annotation_id=ann_id, link_id=-1, group_id=-1,
                owner_id=-1, can_edit=False)
        if key is not None:
            copy.pairs.append((key, "" if value is None else value))
    return {i: list(by_ann.values()) for i, by_ann in copies.items()}


def locate(conn, refs, namespace: str) -> Located:
    """Every image under `refs` with what its annotations say (batched projections:
    a constant number of queries per 1,000 images)."""
    runner = QueryRunner(conn)
    ids, missing = image_ids(runner, refs)
    names = {row[0]: row[1] or "" for row in runner.rows(queries.IMAGE_NAMES, ids)}
    ids = [i for i in ids if i in names]
    copies = read_copies(runner, ids, namespace) if ids else {}
    result = Located(missing_objects=missing, images=len(ids))
    for image_id in ids:
        name = names[image_id]
        found = copies.get(image_id, [])
        if not found:
            result.missing_images.append(Row(image_id, name, status=MISSING))
            continue
        parsed, problems = checks.check_annotations(found, namespace)
        duplicate = [p for p in problems if p.annotation_id is None]
        for pc in parsed:
            copy = pc.copy
            mine = duplicate + list(pc.problems)
            errors = [p for p in mine if p.is_error]
            result.rows.append(Row(
                image_id, name,
                ngff_version=copy.ngff_version or "",
                conversion_date=copy.conversion_date or "",
                url=pc.url or (copy.zarr_path or ""),
                status=MALFORMED if errors else PUBLISHED, problems=mine,
                annotation_id=copy.annotation_id))
    result.queries = runner.calls
    return result


def url_variants(url: str) -> list:
    """The URL as annotations may hold it: with and without the trailing slash; a
    gs:// URL also as its public https URL (storage.googleapis.com)."""
    base = url.strip().rstrip("/")
    out = [base + "/", base]
    if base.startswith("gs://"):
        try:
            from ..storage import parse_destination
            public = parse_destination(base).public_url("").rstrip("/")
            out += [public + "/", public]
        except Exception:  # not a valid bucket URL: look it up as it is
            pass
    return out


def reverse(conn, urls: list[str], namespace: str) -> tuple:
    """URL -> image records that point there (trailing slash or not); and query count."""
    from ..omero_io.targets import load_records
    runner = QueryRunner(conn)
    found: dict[str, list[int]] = {}
    for url in urls:
        ids: dict[int, None] = {}
        for variant in url_variants(url):
            for (image_id,) in runner.rows(queries.IMAGES_BY_URL, None, ns=namespace,
                                           key=annotations.ZARR_PATH, url=variant):
                ids.setdefault(image_id, None)
        found[url] = list(ids)
    all_ids = list({i for ids in found.values() for i in ids})
    records = {r.id: r for r in load_records(runner, all_ids)} if all_ids else {}
    return {url: [records[i] for i in ids if i in records]
            for url, ids in found.items()}, runner.calls


def run(session, args) -> int:
    urls = [t for t in args.objects if is_url(t)]
    refs = parse_objects([t for t in args.objects if not is_url(t)])   # before connecting
    namespace = args.namespace or DEFAULT_NAMESPACE
    out = Output(args.style)
    conn = session.conn
    code = exit_codes.OK
    if refs:
        result = locate(conn, refs, namespace)
        if result.missing_objects and not result.images:
            raise NotFound(_missing_text(result.missing_objects))
        show(out, result, args)
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


def _missing_text(refs) -> str:
    names = ", ".join(str(r) for r in refs[:10]) + (" ..." if len(refs) > 10 else "")
    return f"{names}: does not exist or is not readable" if len(refs) == 1 else \
        f"{names}: do not exist or are not readable"


def _link(args, row: Row) -> str:
    if not row.url or not args.viewer or row.status == MALFORMED and not row.url.startswith(
            ("http://", "https://")):
        return ""
    return viewers.link(args.viewer, row.url, row.ngff_version or None, row.name)


def show(out: Output, result: Located, args):
    rows = result.missing_images if args.missing else result.rows
    if args.urls:
        for row in rows:
            if args.missing:
                out.line(f"Image:{row.image_id}")
            elif row.url and row.url.startswith(("http://", "https://")):
                out.line(_link(args, row) if args.viewer else row.url)
        for row in result.rows:
            if row.status == MALFORMED and not args.missing:
                out.warn(f"Image:{row.image_id}: {row.status_text}")
        return
    columns = COLUMNS + (["viewer"] if args.viewer else [])
    table = [[r.image_id, r.name, r.ngff_version, r.conversion_date, r.url, r.status,
              r.problems_text] + ([_link(args, r)] if args.viewer else []) for r in rows]
    missing = len(result.missing_images)
    footer = (f"{result.images} images: {result.published} published, {missing} missing"
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
        _rich_table(out, title, columns, table, footer)
    else:
        out.out.print(footer, markup=False)
    if not args.missing:
        printed = set()
        for row in rows:
            for p in row.problems:
                if (row.image_id, p.code, p.message) in printed:
                    continue            # a duplicate is said once, not once per copy
                printed.add((row.image_id, p.code, p.message))
                colour = "red" if p.is_error else "yellow"
                out.out.print(f"Image:{row.image_id} [{colour}]{p.severity}[/{colour}] "
                              f"{p.code}: ", end="")
                out.out.print(p.message, markup=False)


def _short_date(text: str) -> str:
    """2024-05-01T10:00:00+00:00 -> 2024-05-01 10:00 (for people; scripts get it all)."""
    from datetime import datetime
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return text[:16].replace("T", " ")


def show_reverse(out: Output, found: dict, args):
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
        _rich_table(out, "Images pointing at the URL", columns, rows,
                    f"{len(rows)} image(s)")


HEADERS = {"image_id": "image", "ngff_version": "NGFF", "conversion_date": "converted",
           "url": "URL", "viewer": "viewer link"}
NARROW = ("image_id", "ngff_version", "conversion_date", "owner", "group")


def _rich_table(out: Output, title, columns, rows, footer):
    """A table whose URLs are folded, never cut: they are meant to be copied."""
    from rich.table import Table
    width = out.out.width
    table = Table(title=title, caption=footer or None, caption_justify="left")
    for i, column in enumerate(columns):
        longest = max([len(str(r[i] or "")) for r in rows] + [len(column)])
        if column in NARROW:
            table.add_column(HEADERS.get(column, column), no_wrap=True)
        elif column in ("url", "viewer"):
            table.add_column(HEADERS.get(column, column), overflow="fold",
                             min_width=min(longest, max(20, width // 2 - 10)))
        else:
            table.add_column(HEADERS.get(column, column), overflow="fold")
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    out.out.print(table)
