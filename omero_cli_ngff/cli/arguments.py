"""The command line of `omero ngff`: each command's arguments, in argument groups shared
where commands share options. Wiring only: the values are read by `commands`."""

from __future__ import annotations

from typing import Any

from ..model.annotation import DEFAULT_NAMESPACE
from .styles import DEFAULT_STYLE, PAGE_STYLES, STYLES

HELP = """Publish OMERO images as OME-Zarr (OME-NGFF) and keep OMERO pointing at them.

Objects: Type:id[,id,...] with ranges (Image:1,2,5-9), several allowed. Types: Image,
Dataset, Project, Screen, Plate, Well, Fileset. Exit codes: see `omero ngff exit-codes`.
"""

EXPORT_HELP = "Convert images to OME-Zarr in a local folder or an object-store URL."
PUBLISH_HELP = ("Convert, upload and annotate images so that their OME-Zarr copy has a "
                "public URL recorded in OMERO.")
LOCATE_HELP = "Where is each image's published OME-Zarr copy? (or: which image is at URL?)"
VERIFY_HELP = "Check that every published copy is sound: annotation, data, agreement, pixels."
CODES_HELP = "Print the table of exit codes shared by all commands."

# The writer's default codec (ngff.codecs.DEFAULT_COMPRESSION, not imported here so
# that `omero -h` stays fast; tests/cli/test_wiring.py checks they agree).
DEFAULT_COMPRESSION = "blosc-zstd"


def _objects(parser, allow_urls=False):
    parser.add_argument(
        "objects", nargs="+", metavar="OBJECT",
        help="Type:id[,id...] (Image, Dataset, Project, Screen, Plate, Well, Fileset)"
        + (" or a published URL (reverse lookup)" if allow_urls else ""))


def _style(parser, extra=None):
    styles = {**STYLES, **(extra or {})}
    parser.add_argument("--style", choices=tuple(styles), default=DEFAULT_STYLE,
                        help="output style: " + "; ".join(
                            f"{name}: {meaning}" for name, meaning in styles.items()
                        ).replace("%", "%%"))


def _namespace(parser):
    parser.add_argument("--namespace", default=None,
                        help=f"annotation namespace (default {DEFAULT_NAMESPACE})")


def _adopt(parser):
    parser.add_argument("--adopt", action="store_true",
                        help="take over data found at a target without an ownership record "
                        "(only after checking it is this image's)")


def _conversion(parser):
    group = parser.add_argument_group("conversion")
    group.add_argument("--ngff-version", choices=("0.4", "0.5"), default="0.5",
                       help="0.5: Zarr v3 with shards (default); 0.4: Zarr v2, '/' keys")
    group.add_argument("--compression", default=None,
                       choices=("blosc-lz4", "blosc-zstd", "zstd", "gzip", "none"),
                       help=f"codec (default {DEFAULT_COMPRESSION}: the smallest for its "
                       "speed on realistic slides and stacks, see the README)")
    group.add_argument("--compression-level", type=int, default=None,
                       help="the codec's level (default: blosc-zstd 1, blosc-lz4 5, "
                       "zstd 3, gzip 6)")
    group.add_argument("--chunk-size", type=int, default=1024,
                       help="chunk width and height in pixels (default 1024)")
    group.add_argument("--shard-size", type=int, default=None,
                       help="shard width and height in pixels (default: per level, "
                       "for the fewest objects)")
    group.add_argument("--shard-bytes", default="384MiB",
                       help="most uncompressed bytes in one shard; shards span channels "
                       "and z planes up to it (default 384MiB)")
    group.add_argument("--min-level-size", type=int, default=256,
                       help="stop the pyramid at about this many pixels (default 256)")
    group.add_argument("--workers", type=int, default=None,
                       help="parallel tile readers (default: as many as the server "
                       "serves faster with, found while reading, up to 32)")
    group.add_argument("--memory-budget", default="1GiB",
                       help="memory for chunks in flight and partial pyramid chunks "
                       "(default 1GiB)")
    group.add_argument("--log-file", default=None,
                       help="keep a full log of the run in this file (default: none)")
    content = parser.add_argument_group("beyond pixels")
    content.add_argument("--labels", choices=("none", "masks", "all"), default="all",
                         help="ROIs written as NGFF labels under each image: all (Mask, "
                         "Polygon, Rectangle and Ellipse shapes; default), masks (Mask "
                         "shapes only) or none; every ROI is in the OME-XML regardless")
    content.add_argument("--no-annotations", action="store_true",
                         help="leave every annotation out of the OME-XML (default: all "
                         "but the tool's own namespace)")


def export_arguments(parser: Any) -> None:
    _objects(parser)
    parser.add_argument("--output", required=True,
                        help="local folder or URL (gs://bucket/prefix)")
    parser.add_argument("--name-by", choices=("id", "name"), default="id",
                        help="name each image ID.ome.zarr (default) or NAME.ome.zarr")
    parser.add_argument("--overwrite", action="store_true",
                        help="start afresh where a target of the same image exists")
    _adopt(parser)
    _conversion(parser)
    _style(parser)


def publish_arguments(parser: Any) -> None:
    _objects(parser)
    parser.add_argument("--dest", help="destination: gs://BUCKET/PREFIX or a folder")
    parser.add_argument("--public-url",
                        help="public URL of --dest (default for gs://: "
                        "https://storage.googleapis.com/BUCKET/PREFIX)")
    parser.add_argument("--path-template", default=None,
                        help="where each image goes under --dest, with {ngff_version}, "
                        "{image_id}, {image_name}, {fileset_id}, {series}, {owner}, "
                        "{group}, {repo_path}; plates: {plate_id}, {plate_name}, "
                        "{screen_id} (see the README)")
    _namespace(parser)
    parser.add_argument("--force", action="store_true",
                        help="convert again even where a sound copy is published")
    parser.add_argument("--keep-old", action="store_true",
                        help="keep the data an updated annotation no longer points at")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the plan and change nothing")
    parser.add_argument("--allow-private", action="store_true",
                        help="publish images of private groups too")
    parser.add_argument("--parallel-images", type=int, default=2,
                        help="images converted at once (default 2)")
    _adopt(parser)
    _index(parser)
    _remote(parser)
    _conversion(parser)
    _style(parser)


def _index(parser: Any) -> None:
    index = parser.add_argument_group("public index (index.json, index.html at --dest)")
    index.add_argument("--no-index", action="store_true",
                       help="do not update the index of the images published at --dest")
    index.add_argument("--index-namespace", action="append", default=None, metavar="NS",
                       help="show the Key-Value pairs of this namespace (repeatable)")
    index.add_argument("--index-owners", action="store_true",
                       help="show owner and group names in the (public) index")


def _remote(parser: Any) -> None:
    remote = parser.add_argument_group("remote conversion")
    remote.add_argument("--remote", choices=("google-batch",), default=None,
                        help="convert with bioformats2raw jobs on a batch engine")
    remote.add_argument("--batch-project",
                        help="Google Cloud project the Batch jobs run in (required with "
                        "--remote)")
    remote.add_argument("--batch-region", default="us-central1",
                        help="region of the Batch jobs (default us-central1)")
    remote.add_argument("--batch-image", default=None,
                        help="container image built from containers/bioformats2raw (no "
                        "default: else $OMERO_NGFF_BATCH_IMAGE, else the server's "
                        "omero.client.ngff.batch_image)")
    remote.add_argument("--batch-machine-type", default="e2-standard-4",
                        help="machine type of each job (default e2-standard-4)")
    remote.add_argument("--batch-endpoint", default=None,
                        help="API endpoint (default: Google's)")
    remote.add_argument("--repository-bucket",
                        help="gs://BUCKET/PREFIX holding the managed repository "
                        "(required with --remote)")
    remote.add_argument("--wait", action="store_true",
                        help="wait for the jobs, then check and annotate")


def _home(parser: Any) -> None:
    parser.add_argument("--dest", default=None,
                        help="where copies are published (gs://BUCKET/PREFIX or a folder; "
                        "default: publish's default destination, see the README): "
                        "copies elsewhere are marked foreign")
    parser.add_argument("--public-url", default=None, help="public URL of --dest")


def locate_arguments(parser: Any) -> None:
    _objects(parser, allow_urls=True)
    _namespace(parser)
    _home(parser)
    parser.add_argument("--missing", action="store_true",
                        help="list the images that have no published copy")
    parser.add_argument("--urls", action="store_true", help="print one URL per line")
    parser.add_argument("--viewer", choices=("vizarr", "validator", "neuroglancer"),
                        help="print a viewer link per image")
    parser.add_argument("--index-namespace", action="append", default=None, metavar="NS",
                        help="with --style html: show the Key-Value pairs of NS")
    _style(parser, extra=PAGE_STYLES)


def verify_arguments(parser: Any) -> None:
    _objects(parser)
    _namespace(parser)
    _home(parser)
    parser.add_argument("--sample", type=int, default=2,
                        help="full-resolution tiles compared with OMERO per image "
                        "(default 2; 0 skips)")
    parser.add_argument("--ngff-version", choices=("0.4", "0.5"), default=None,
                        help="fail copies published at an older version")
    parser.add_argument("--orphans", metavar="URL",
                        help="also list Zarr groups under gs://BUCKET/PREFIX that no "
                        "image points at")
    parser.add_argument("--fix", action="store_true",
                        help="remove annotations whose data is gone (404) or corrupt")
    parser.add_argument("--dry-run", action="store_true", help="with --fix: only show")
    _style(parser)


def exit_codes_arguments(parser: Any) -> None:
    _style(parser)


# command -> (help, its arguments); the order is the order of `omero ngff -h`
COMMANDS = {
    "export": (EXPORT_HELP, export_arguments),
    "publish": (PUBLISH_HELP, publish_arguments),
    "locate": (LOCATE_HELP, locate_arguments),
    "verify": (VERIFY_HELP, verify_arguments),
}
