"""Read a published copy back from its public URL and check its data as any client would:
the metadata over plain HTTP, NGFF validation, every level opened and its first chunk
read. The judging is `checks`'; this module does the reading."""

from __future__ import annotations

from ..checks import data as data_checks
from ..checks.problems import Problem
from ..model.annotation import normalise_url
from ..model.ngff_versions import KNOWN
from ..model.published import PublishedImage, PublishedLevel
from ..storage import FetchError, HttpPolicy, fetch_metadata, probe_metadata
from ..storage.published import http_zarr_store


def _policy(policy: HttpPolicy | None) -> dict:
    return {"policy": policy} if policy is not None else {}


def fetch(url: str, version: str, policy: HttpPolicy | None = None) -> PublishedImage:
    """The copy's metadata document over HTTP (raises the storage FetchError kinds)."""
    image = PublishedImage(normalise_url(url), version)
    image.set_metadata(fetch_metadata(image.url, version, **_policy(policy)))
    return image


def open_levels(image: PublishedImage) -> None:
    """Open every level the multiscales metadata lists (raises when one cannot be)."""
    import zarr

    image.levels = []
    for path, scale in image.dataset_paths():
        array = zarr.open_array(http_zarr_store(image.url, path), mode="r",
                                zarr_format=image.zarr_format)
        image.levels.append(PublishedLevel(path, array, scale))


def read(url: str, version: str, policy: HttpPolicy | None = None) -> PublishedImage:
    """Metadata and levels (raises FetchError, or zarr's errors for broken arrays)."""
    image = fetch(url, version, policy)
    open_levels(image)
    return image


def validate(image: PublishedImage) -> list[str]:
    """NGFF validation of the image group (ome-zarr-models and the writer's structural
    checks); chunks are read by check_data, and the version is compared there."""
    from ..ngff.validate import validate as validate_group
    return validate_group(http_zarr_store(image.url), None, kind="image", check_data=False)


def _other_version_there(url: str, version: str, policy: HttpPolicy | None) -> str | None:
    """The metadata of the declared version is missing: is the copy of another version?
    (then the annotation is wrong, the data is not gone)."""
    for other in KNOWN:
        if other != version and probe_metadata(url, other, **_policy(policy)).ok:
            return other
    return None


def _is_collection(url: str, version: str, policy: HttpPolicy | None) -> bool:
    """Valid JSON of a group that holds images (bioformats2raw root, plate, well)."""
    try:
        doc = fetch_metadata(url, version, validate=False, **_policy(policy))
    except FetchError:
        return False
    attrs = PublishedImage(url, version)
    attrs.set_metadata(doc if isinstance(doc, dict) else {})
    return any(k in attrs.ome for k in ("bioformats2raw.layout", "plate", "well"))


def check_data(url: str, version: str, annotation_id: int | None = None,
               policy: HttpPolicy | None = None
               ) -> tuple[PublishedImage | None, list[Problem]]:
    """(the copy with its levels open when its data is readable, else None; problems):
    reachable, valid NGFF of the declared version, every level readable."""
    url = normalise_url(url)
    try:
        image = fetch(url, version, policy)
    except FetchError as err:
        other = _other_version_there(url, version, policy) if err.kind == "not_found" \
            else None
        collection = err.kind == "corrupt" and _is_collection(url, version, policy)
        return None, data_checks.unreadable_metadata(
            url, version, err.kind, bool(err.definite), str(err), annotation_id, other,
            collection)
    try:
        invalid = validate(image)
    except Exception as err:  # cannot even open the group as Zarr
        invalid = [f"{type(err).__name__}: {err}"]
    problems = data_checks.invalid_content(url, version, image.declared_version(), invalid,
                                           annotation_id)
    if invalid:
        return None, problems
    try:
        open_levels(image)
    except Exception as err:
        return None, problems + data_checks.unopenable_level(url, str(err), annotation_id)
    for level in image.levels:
        try:
            level.array[_first_chunk(level.array)]
        except Exception as err:
            problems += data_checks.unreadable_chunk(url, level.path,
                                                     f"{type(err).__name__}: {err}",
                                                     annotation_id)
    return image, problems


def _first_chunk(array) -> tuple:
    return tuple(slice(0, max(1, min(c, s))) for c, s in zip(array.chunks, array.shape))
