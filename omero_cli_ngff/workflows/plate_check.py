"""Read a published plate's metadata back over HTTP (the plate, then each well) and
judge it against OMERO's layout with `checks.plate`; the check before a plate's
fields are annotated adds each field's own check (`publish_check`)."""

from __future__ import annotations

from typing import Any

from ..checks.plate import check_plate, check_well
from ..checks.problems import Problem
from ..model.plate_layout import PlateLayout
from ..model.published import PublishedImage
from ..storage import FetchError, HttpPolicy, fetch_metadata


def _fetch_ome(url: str, version: str, policy: HttpPolicy | None) -> dict[str, Any]:
    """The NGFF attributes of the group at ``url``; FetchError when unreadable."""
    kwargs = {"policy": policy} if policy is not None else {}
    doc = fetch_metadata(url, version, validate=False, **kwargs)
    group = PublishedImage(url, version)
    group.set_metadata(doc if isinstance(doc, dict) else {})
    return group.ome


def _attrs(url: str, version: str, policy: HttpPolicy | None) -> dict[str, Any] | None:
    """The NGFF attributes of the group at ``url`` (None: unreadable)."""
    try:
        return _fetch_ome(url, version, policy)
    except FetchError:
        return None


def plate_attrs(url: str, version: str, policy: HttpPolicy | None = None) -> Any:
    """The ``plate`` attributes at a plate root's URL (None: none, or unreadable)."""
    attrs = _attrs(url, version, policy)
    return attrs.get("plate") if attrs else None


def is_complete(url: str, version: str, policy: HttpPolicy | None = None) -> bool | None:
    """A plate's attributes are written last: there, the plate is complete (None: the
    answer was neither the metadata nor a definite absence, e.g. a 5xx or a time-out)."""
    try:
        return isinstance(_fetch_ome(url, version, policy).get("plate"), dict)
    except FetchError as err:
        return False if err.definite else None


def plate_problems(url: str, layout: PlateLayout, usable: set[int], version: str,
                   policy: HttpPolicy | None = None) -> list[Problem]:
    """The plate at ``url`` (its root, ending in '/') against OMERO's layout: plate
    attributes, then every well's (fields per well, acquisitions)."""
    root = url.rstrip("/") + "/"
    problems = check_plate(plate_attrs(root, version, policy), layout, root)
    if any(p.code == "plate-missing" for p in problems):
        return problems
    for well in layout.wells:
        well_url = f"{root}{well.row}/{well.column}/"
        attrs = _attrs(well_url, version, policy)
        problems += check_well(attrs.get("well") if attrs else None, well, usable, well_url)
    return problems
