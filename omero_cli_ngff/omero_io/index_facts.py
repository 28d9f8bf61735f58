"""What the public index shows of images beyond their records: where they sit in OMERO
(project/dataset, screen/plate/well), their channel labels and the Key-Value pairs of
chosen namespaces. Projections batched by id lists: a handful of queries per 1,000
images."""

from __future__ import annotations

from typing import Any

from ..model.index_entry import ImageFacts
from ..model.plate_layout import well_label
from . import queries
from .annotations import read_values
from .query import QueryRunner
from .rendering import channel_rows, label_of

__all__ = ["index_facts", "container_paths"]


def container_paths(runner: QueryRunner, image_ids: list[int]) -> dict[int, list[str]]:
    """Image id -> "Project/Dataset", "Dataset", "Screen/Plate/A1" ... (in order, once)."""
    out: dict[int, list[str]] = {}
    for image_id, project, dataset, screen, plate, row, column, row_naming, column_naming \
            in runner.rows(queries.CONTAINER_NAMES, image_ids):
        paths = out.setdefault(int(image_id), [])
        well = well_label(row, column, row_naming, column_naming) or None
        names = [[project, dataset], [screen, plate, well]]
        for parts in names:
            path = "/".join(str(p) for p in parts if p is not None)
            if path and path not in paths and any(p is not None for p in parts[1:]):
                paths.append(path)
    return out


def _pairs(runner: QueryRunner, image_ids: list[int],
           namespaces: list[str]) -> dict[int, dict[str, str]]:
    """Image id -> key -> value(s) of the namespaces' annotations (several values of a
    key joined with '; ', in the order read)."""
    out: dict[int, dict[str, str]] = {}
    for namespace in namespaces:
        for image_id, copies in read_values(runner, image_ids, namespace).items():
            pairs = out.setdefault(image_id, {})
            for copy in copies:
                for key, value in copy.pairs:
                    old = pairs.get(key)
                    if old is None:
                        pairs[key] = value
                    elif value not in old.split("; "):
                        pairs[key] = f"{old}; {value}"
    return out


def index_facts(conn: Any, image_ids: list[int], namespaces: list[str],
                runner: QueryRunner | None = None) -> dict[int, ImageFacts]:
    """Image id -> its facts, for every id (empty facts for images not readable)."""
    runner = runner or QueryRunner(conn)
    ids = sorted(set(image_ids))
    if not ids:
        return {}
    containers = container_paths(runner, ids)
    channels = channel_rows(runner, ids)
    pairs = _pairs(runner, ids, namespaces)
    return {i: ImageFacts(containers=containers.get(i, []),
                          channels=[label_of(row) for row in channels.get(i, [])],
                          pairs=pairs.get(i, {})) for i in ids}
