"""`omero ngff`: argparse wiring, error-to-exit-code mapping. No logic lives here."""

from __future__ import annotations

import importlib
import logging
import os
import traceback

from omero.cli import BaseControl, NonZeroReturnCode

from .. import exit_codes
from ..model.defaults import DEFAULT_NAMESPACE
from ..errors import exit_code_of, one_line
from ..omero_io.session import Session

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

STYLES = ("table", "json", "csv", "plain")


def _objects(parser, allow_urls=False):
    parser.add_argument(
        "objects", nargs="+", metavar="OBJECT",
        help="Type:id[,id...] (Image, Dataset, Project, Screen, Plate, Well, Fileset)"
        + (" or a published URL (reverse lookup)" if allow_urls else ""))


def _style(parser):
    parser.add_argument("--style", choices=STYLES, default="table",
                        help="output style (default: a table; json/csv for scripts)")


def _namespace(parser):
    parser.add_argument("--namespace", default=None,
                        help=f"annotation namespace (default {DEFAULT_NAMESPACE})")


def _conversion(parser):
    group = parser.add_argument_group("conversion")
    group.add_argument("--ngff-version", choices=("0.4", "0.5"), default="0.5",
                       help="0.5: Zarr v3 with shards (default); 0.4: Zarr v2, '/' keys")
    group.add_argument("--compression", default=None,
                       choices=("blosc-lz4", "blosc-zstd", "zstd", "gzip", "none"),
                       help="codec (default chosen by measurement, see the README)")
    group.add_argument("--compression-level", type=int, default=None)
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
    group.add_argument("--workers", type=int, default=4,
                       help="parallel tile readers (default 4)")
    group.add_argument("--memory-budget", default="1GiB",
                       help="memory for chunks in flight and partial pyramid chunks "
                       "(default 1GiB)")
    group.add_argument("--log-file", default=None, help="keep a full log of the run here")


class NgffControl(BaseControl):
    """The plugin's commands; each hands its arguments to a module of its own."""

    def _configure(self, parser):
        sub = parser.sub()

        export = parser.add(sub, self.export, EXPORT_HELP)
        _objects(export)
        export.add_argument("--output", required=True,
                            help="local folder or URL (gs://bucket/prefix)")
        export.add_argument("--name-by", choices=("id", "name"), default="id",
                            help="name each image ID.ome.zarr (default) or NAME.ome.zarr")
        export.add_argument("--overwrite", action="store_true",
                            help="start afresh where a target exists")
        _conversion(export)
        _style(export)

        publish = parser.add(sub, self.publish, PUBLISH_HELP)
        _objects(publish)
        publish.add_argument("--dest", help="destination: gs://BUCKET/PREFIX or a folder")
        publish.add_argument("--public-url",
                             help="public URL of --dest (default for gs://: "
                             "https://storage.googleapis.com/BUCKET/PREFIX)")
        publish.add_argument("--path-template", default=None,
                             help="where each image goes under --dest, with {ngff_version}, "
                             "{image_id}, {image_name}, {fileset_id}, {series}, {owner}, "
                             "{group}, {repo_path}")
        _namespace(publish)
        publish.add_argument("--force", action="store_true",
                             help="convert again even where a sound copy is published")
        publish.add_argument("--keep-old", action="store_true",
                             help="keep the data an updated annotation no longer points at")
        publish.add_argument("--dry-run", action="store_true",
                             help="print the plan and change nothing")
        publish.add_argument("--allow-private", action="store_true",
                             help="publish images of private groups too")
        publish.add_argument("--parallel-images", type=int, default=2,
                             help="images converted at once (default 2)")
        remote = publish.add_argument_group("remote conversion")
        remote.add_argument("--remote", choices=("google-batch",), default=None,
                            help="convert with bioformats2raw jobs on a batch engine")
        remote.add_argument("--batch-project")
        remote.add_argument("--batch-region", default="us-central1")
        remote.add_argument("--batch-image", default=None, help="container image")
        remote.add_argument("--batch-machine-type", default="e2-standard-4")
        remote.add_argument("--batch-endpoint", default=None,
                            help="API endpoint (default: Google's)")
        remote.add_argument("--repository-bucket",
                            help="gs://BUCKET/PREFIX holding the managed repository")
        remote.add_argument("--wait", action="store_true",
                            help="wait for the jobs, then check and annotate")
        _conversion(publish)
        _style(publish)

        locate = parser.add(sub, self.locate, LOCATE_HELP)
        _objects(locate, allow_urls=True)
        _namespace(locate)
        locate.add_argument("--missing", action="store_true",
                            help="list the images that have no published copy")
        locate.add_argument("--urls", action="store_true", help="print one URL per line")
        locate.add_argument("--viewer", choices=("vizarr", "validator", "neuroglancer"),
                            help="print a viewer link per image")
        _style(locate)

        verify = parser.add(sub, self.verify, VERIFY_HELP)
        _objects(verify)
        _namespace(verify)
        verify.add_argument("--sample", type=int, default=2,
                            help="full-resolution tiles compared with OMERO per image "
                            "(default 2; 0 skips)")
        verify.add_argument("--ngff-version", choices=("0.4", "0.5"), default=None,
                            help="fail copies published at an older version")
        verify.add_argument("--orphans", metavar="URL",
                            help="also list Zarr groups under gs://BUCKET/PREFIX that no "
                            "image points at")
        verify.add_argument("--fix", action="store_true",
                            help="remove annotations whose data is gone (404) or corrupt")
        verify.add_argument("--dry-run", action="store_true", help="with --fix: only show")
        _style(verify)

        codes = sub.add_parser("exit-codes", help=CODES_HELP, description=CODES_HELP)
        codes.set_defaults(func=self.exit_codes)
        _style(codes)

        for name in ("export", "publish", "locate", "verify"):
            sub.choices[name].add_login_arguments()

    # Each command's module is imported late, so that `omero -h` stays fast.
    def export(self, args):
        self._run("export", args)

    def publish(self, args):
        self._run("publish", args)

    def locate(self, args):
        self._run("locate", args)

    def verify(self, args):
        self._run("verify", args)

    def exit_codes(self, args):
        from .output import Output
        out = Output(args.style)
        out.table("Exit codes", ["code", "meaning"],
                  [[str(code), text] for code, text in exit_codes.TABLE])

    def _run(self, command: str, args):
        session = Session(self.ctx, args)
        try:
            code = self._call(command, session, args)
        finally:
            session.close()
        if code:
            self.ctx.rv = code
            raise NonZeroReturnCode(code, "ngff: exit %d" % code)

    def _call(self, command: str, session: Session, args) -> int:
        """Run a command; every error becomes one line and its documented exit code."""
        try:
            module = importlib.import_module(f"omero_cli_ngff.commands.{command}")
            return module.run(session, args)
        except NonZeroReturnCode:
            raise
        except KeyboardInterrupt:
            self.ctx.die(exit_codes.INTERRUPTED, "Interrupted: run the same command to resume")
        except Exception as err:
            if exit_code_of(err) is not None:  # an error the user can act on
                self.ctx.die(exit_code_of(err), f"Error: {one_line(err)}")
            log.debug("unexpected error", exc_info=True)
            if os.environ.get("OMERO_NGFF_DEBUG"):
                traceback.print_exc()
            self.ctx.die(exit_codes.INTERNAL,
                         f"Internal error: {type(err).__name__}: {one_line(err)} "
                         "(OMERO_NGFF_DEBUG=1 shows the traceback)")


log = logging.getLogger("omero_cli_ngff")
log.addHandler(logging.NullHandler())
