"""Command-line arguments turned into the option records the workflows take: the
conversion options shared by export and publish, and the objects named."""

from __future__ import annotations

from argparse import Namespace

from ..model.annotations_meta import MetadataChoices
from ..model.index_entry import IndexChoices
from ..model.objects import ObjectRef, parse_objects
from ..model.reporting import Renderer, plural
from ..model.sizes import parse_bytes
from ..ngff.spec import WriteOptions


def objects(args: Namespace) -> list[ObjectRef]:
    """The objects named, parsed before any login (a usage error names the bad one)."""
    return parse_objects(args.objects)


# the most tile readers an adaptive export uses (each one may hold chunks in flight)
ADAPTIVE_WORKERS_MAX = 32


def write_options(args: Namespace, overwrite: bool = False) -> WriteOptions:
    """The writer's options from the conversion arguments (WriteOptions checks the
    values itself: an InvalidSpecError is a usage error)."""
    extra = {}
    if args.compression is not None:
        extra["compression"] = args.compression
    return WriteOptions(
        ngff_version=args.ngff_version,
        chunk_size=args.chunk_size,
        shard_size=args.shard_size,
        shard_bytes=parse_bytes(args.shard_bytes),
        compression_level=args.compression_level,
        min_level_size=args.min_level_size,
        workers=ADAPTIVE_WORKERS_MAX if args.workers is None else args.workers,
        adaptive_workers=args.workers is None,
        memory_budget=parse_bytes(args.memory_budget),
        overwrite=overwrite,
        **extra,
    )


def failure_problem(message: str, code: str = "failed") -> dict:
    """A failed image's message as a problem of the JSON document."""
    return {"code": code, "severity": "error", "message": message}


def report_failures(out: Renderer, failed: list[tuple[str, str]], total: int) -> None:
    """One line on stderr (even with -q) when images failed: how many, and why (the
    first few); the table or document says the rest."""
    if not failed:
        return
    reasons = "; ".join(f"{what}: {why}" for what, why in failed[:3])
    more = f"; and {len(failed) - 3} more" if len(failed) > 3 else ""
    out.error(f"{len(failed)} of {plural(total, 'image')} failed: {reasons}{more}")


def metadata_choices(args: Namespace, namespace: str) -> MetadataChoices:
    """What a copy carries besides pixels: labels, and annotations but those of the
    tool's own namespace (`namespace`), unless --no-annotations."""
    return MetadataChoices(labels=args.labels, annotations=not args.no_annotations,
                           exclude_namespaces=(namespace,))


def index_choices(args: Namespace) -> IndexChoices:
    """The public index: on unless --no-index; namespaces shown; owners when asked."""
    namespaces = tuple(dict.fromkeys(n.strip() for n in args.index_namespace or ()
                                     if n.strip()))
    return IndexChoices(enabled=not args.no_index, namespaces=namespaces,
                        owners=bool(args.index_owners))
