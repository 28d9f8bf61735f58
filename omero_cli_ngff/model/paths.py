"""Where each published image goes under the destination: path templates and slots.

A template names the *root* of a bioformats2raw-layout copy (``<root>/0/`` is the
multiscales group of series 0; ``<root>/N/`` of series N for whole-fileset
conversions). Placeholders:

    {ngff_version} {image_id} {image_name} {fileset_id} {series} {owner} {group}
    {repo_path}

A plate is one copy (an NGFF plate; a field's group is ``<root>/<row>/<col>/<field>``)
whose root comes from the template too (``plate_template``): a template that names
``{plate_id}`` or ``{plate_name}`` is used as it is, with ``{ngff_version}``
``{plate_id}`` ``{plate_name}`` ``{screen_id}`` ``{owner}`` ``{group}``; any other
template keeps its folder and names the plate ``plate-{plate_id}`` with its suffix
(the default gives ``{ngff_version}/plate-{plate_id}.ome.zarr``).

Results are relative, '/'-separated paths that never leave the destination: a result
that is absolute or contains '..' is refused with a usage error.

Reconversion never rewrites data an annotation points at: each root has two
deterministic *slots*, ``X.ome.zarr`` and ``X.alt.ome.zarr``, and a reconversion
writes to the slot the annotation does not point at.
"""

from __future__ import annotations

import re
import string
import urllib.parse
from collections.abc import Callable
from functools import partial

from .. import exit_codes
from ..errors import NgffError, UsageError
from .naming import safe_name
from .records import ImageRecord

PLACEHOLDERS = ("ngff_version", "image_id", "image_name", "fileset_id", "series",
                "owner", "group", "repo_path", "plate_id", "plate_name", "screen_id")
PLATE_PLACEHOLDERS = ("ngff_version", "plate_id", "plate_name", "screen_id", "owner",
                      "group")
PLATE_NAMES = {"plate_id", "plate_name"}
DEFAULT_TEMPLATE = "{ngff_version}/{image_id}.ome.zarr"
DEFAULT_REMOTE_TEMPLATE = "{ngff_version}/{repo_path}.zarr"
SUFFIXES = (".ome.zarr", ".zarr")
ALT = ".alt"


class TemplateError(UsageError):
    """A template that cannot be used (unknown placeholder, unsafe result)."""


class MissingValue(NgffError):
    """An image lacks a value its template needs (e.g. no fileset): that image fails."""

    exit_code = exit_codes.NOT_FOUND


def fields(template: str) -> list[str]:
    """The placeholders of a template; a TemplateError for anything else."""
    names = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as err:
        raise TemplateError(f"--path-template {template!r}: {err}") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            raise TemplateError(
                f"--path-template {template!r}: unknown placeholder {{{name}}}; use "
                + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS))
        names.append(name)
    return names


def check_template(template: str, per_image: bool = True) -> None:
    """Refuse templates that cannot tell the images (or filesets) apart."""
    names = set(fields(template))
    if not template.strip():
        raise TemplateError("--path-template is empty")
    if per_image and not names & {"image_id", "image_name", "repo_path", "fileset_id",
                                  *PLATE_NAMES}:
        raise TemplateError(f"--path-template {template!r} would put every image in the "
                            "same place: use {image_id}")
    if not per_image and not names & {"repo_path", "fileset_id"}:
        raise TemplateError(f"--path-template {template!r}: a remote conversion writes "
                            "one copy per fileset: use {repo_path} or {fileset_id}")


def _repo_path(record: ImageRecord) -> str:
    if not record.repo_path:
        raise MissingValue(f"Image:{record.id} has no fileset in the managed repository "
                           "(the template needs {repo_path})")
    return record.repo_path


def values(record: ImageRecord, ngff_version: str) -> dict[str, object]:
    return {
        "ngff_version": ngff_version,
        "image_id": record.id,
        "image_name": _Lazy(lambda: safe_name(record.name)),
        "fileset_id": _Lazy(lambda: _need(record.fileset_id, record, "fileset_id")),
        "series": record.series,
        "owner": _Lazy(lambda: safe_name(record.owner or str(record.owner_id))),
        "group": _Lazy(lambda: safe_name(record.group or str(record.group_id))),
        "repo_path": _Lazy(lambda: _repo_path(record)),
        **{name: _Lazy(partial(_not_a_field, record, name))
           for name in ("plate_id", "plate_name", "screen_id")},
    }


def _not_a_field(record: ImageRecord, name: str) -> object:
    raise MissingValue(f"Image:{record.id} is not a field of a plate (the template "
                       f"needs {{{name}}})")


def plate_template(template: str) -> str:
    """The template of plate roots that goes with an image template (module docstring)."""
    names = set(fields(template))
    if names & PLATE_NAMES:
        return template
    folder, _, leaf = template.replace("\\", "/").rpartition("/")
    _, suffix = _split_suffix(leaf)
    return (folder + "/" if folder else "") + "plate-{plate_id}" + suffix


def render_plate(template: str, plate_id: int, plate_name: str, screen_id: int | None,
                 first: ImageRecord, ngff_version: str) -> str:
    """The root of a plate's copy (``first``: a field, for {owner} and {group})."""
    plate_tpl = plate_template(template)
    wrong = [n for n in fields(plate_tpl) if n not in PLATE_PLACEHOLDERS]
    if wrong:
        raise TemplateError(f"--path-template {template!r}: {{{wrong[0]}}} cannot name a "
                            "plate; use {plate_id} (see the README, Plates)")

    def screen() -> int:
        if screen_id is None:
            raise MissingValue(f"Plate:{plate_id} is in no screen (the template needs "
                               "{screen_id})")
        return screen_id

    found = values(first, ngff_version)
    return safe_relpath(plate_tpl.format(
        ngff_version=ngff_version, plate_id=plate_id,
        plate_name=_Lazy(lambda: safe_name(plate_name)), screen_id=_Lazy(screen),
        owner=found["owner"], group=found["group"]), template)


def field_group(root: str, field_path: str) -> str:
    """A plate field's image group (``root/A/1/0``)."""
    return f"{root}/{field_path}"


def plate_root_of_field(relpath: str) -> tuple[str, str] | None:
    """(plate root, ``A/1/0``) for a field group's path, None for anything else."""
    parts = relpath.rstrip("/").split("/")
    if len(parts) < 4 or not parts[-1].isdigit():
        return None
    if not all(p.isalnum() for p in parts[-3:-1]):
        return None
    return "/".join(parts[:-3]), "/".join(parts[-3:])


def _need(value: int | None, record: ImageRecord, name: str) -> int:
    if value is None:
        raise MissingValue(f"Image:{record.id} has no {name} (the template needs {{{name}}})")
    return value


class _Lazy:
    """A value computed only when the template uses it."""

    def __init__(self, fn: Callable[[], object]) -> None:
        self.fn = fn

    def __format__(self, spec: str) -> str:
        return format(self.fn(), spec)


def render(template: str, record: ImageRecord, ngff_version: str) -> str:
    """The root of the image's copy, relative to the destination (checked safe)."""
    return safe_relpath(template.format(**values(record, ngff_version)), template)


def safe_relpath(path: str, template: str = "") -> str:
    """A clean relative path, or a TemplateError (absolute, '..', empty, odd chars)."""
    where = f"--path-template {template!r} gives {path!r}" if template else repr(path)
    if path.startswith("/") or path.startswith("\\") or (len(path) > 1 and path[1] == ":"):
        raise TemplateError(f"{where}: an absolute path (it must stay under --dest)")
    parts = path.replace("\\", "/").split("/")
    if ".." in parts:
        raise TemplateError(f"{where}: '..' leaves the destination")
    if any(ord(ch) < 32 or ch in "?#*[]" for ch in path):
        raise TemplateError(f"{where}: control or wildcard characters")
    parts = [p for p in parts if p not in ("", ".")]
    if not parts:
        raise TemplateError(f"{where}: empty")
    if any(p.startswith(".omero-ngff") for p in parts):
        raise TemplateError(f"{where}: reserved for the plugin's own records")
    return "/".join(parts)


def _split_suffix(root: str) -> tuple[str, str]:
    low = root.lower()
    for suffix in SUFFIXES:
        if low.endswith(suffix) and len(root) > len(suffix):
            return root[: -len(suffix)], root[-len(suffix):]
    return root, ""


def is_alt(root: str) -> bool:
    stem, _ = _split_suffix(root)
    return stem.endswith(ALT)


def primary_slot(root: str) -> str:
    stem, suffix = _split_suffix(root)
    return (stem[: -len(ALT)] if stem.endswith(ALT) else stem) + suffix


def alt_slot(root: str) -> str:
    """`X.ome.zarr` -> `X.alt.ome.zarr`, `X.zarr` -> `X.alt.zarr`, `X` -> `X.alt`."""
    stem, suffix = _split_suffix(primary_slot(root))
    return stem + ALT + suffix


def slots(root: str) -> tuple[str, str]:
    return primary_slot(root), alt_slot(root)


def other_slot(root: str, current: str | None) -> str:
    """The slot to write: the one of `root`'s two that `current` does not occupy."""
    primary, alt = slots(root)
    return alt if current == primary else primary


def group_path(root: str, series: int = 0) -> str:
    """The multiscales group of a series inside a bioformats2raw-layout root."""
    return f"{root}/{int(series)}"


def root_of_group(relpath: str) -> tuple[str, int | None]:
    """Inverse of group_path: (`root`, series) for `root/N`, (relpath, None) otherwise."""
    head, _, tail = relpath.rstrip("/").rpartition("/")
    if head and tail.isdigit():
        return head, int(tail)
    return relpath.rstrip("/"), None


_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# what may stay as it is in a URL path (RFC 3986 pchar and '/'); '%' only as an escape
_PATH_SAFE = "/!$&'()*+,;=:@-._~%"


def encode_url(url: str) -> str:
    """``url`` as a valid, percent-encoded URL, whatever was typed: spaces and
    non-ASCII characters of the path percent-encoded (UTF-8), existing escapes kept, a
    '%' that starts none encoded, a non-ASCII host name in IDNA form."""
    parts = urllib.parse.urlsplit(url.strip())
    netloc = parts.netloc
    host = parts.hostname or ""
    if host and not host.isascii():
        netloc = netloc.replace(host, host.encode("idna").decode("ascii"))
    path = urllib.parse.quote(_STRAY_PERCENT.sub("%25", parts.path), safe=_PATH_SAFE)
    return urllib.parse.urlunsplit((parts.scheme, netloc, path, parts.query, parts.fragment))
