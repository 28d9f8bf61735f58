"""Where and how remote jobs run, and the container image they run.

There is no default image: the plugin's own recipe (``containers/bioformats2raw``) is
built and pushed to the user's registry, and its name is given once, by the first of:

  1. ``--batch-image`` (the option),
  2. the ``OMERO_NGFF_BATCH_IMAGE`` environment variable,
  3. the OMERO server's ``omero.client.ngff.batch_image`` (read by the workflow).
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .errors import RemoteConfigError

__all__ = ["BatchSettings", "FilesetJob", "REPO_MOUNT", "DEST_MOUNT", "IMAGE_ENV",
           "IMAGE_CONFIG_KEY", "resolve_image", "image_is_valid"]

# gcsfuse mounts under /mnt/disks, the prefix Batch's own examples and Nextflow use
REPO_MOUNT = "/mnt/disks/repository"
DEST_MOUNT = "/mnt/disks/destination"

IMAGE_ENV = "OMERO_NGFF_BATCH_IMAGE"
IMAGE_CONFIG_KEY = "omero.client.ngff.batch_image"

# [registry[:port]/]path[:tag][@sha256:digest], after distribution/reference's grammar
# (lowercase path components; a tag of at most 128 characters)
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE_RE = re.compile(
    r"^(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?" + _COMPONENT + r"(?:/" + _COMPONENT + r")*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$")

MISSING_IMAGE = ("remote conversion needs the bioformats2raw container image: build it from "
                 "containers/bioformats2raw (README, \"Remote conversion\"), push it to your "
                 f"registry and give it with --batch-image, {IMAGE_ENV} or the server's "
                 f"{IMAGE_CONFIG_KEY}")


def image_is_valid(image: str) -> bool:
    """Is ``image`` a container image reference Batch can pull (syntax only)?"""
    return bool(image) and len(image) <= 255 and bool(_IMAGE_RE.match(image))


def resolve_image(option: str | None = None, server_value: str | None = None,
                  environ: Mapping[str, str] | None = None) -> str:
    """The image to run: the option, else the environment, else the server's value.
    Raises RemoteConfigError (a usage error) when none is given or it is malformed."""
    environ = os.environ if environ is None else environ
    for source, value in (("--batch-image", option), (IMAGE_ENV, environ.get(IMAGE_ENV)),
                          (IMAGE_CONFIG_KEY, server_value)):
        value = (value or "").strip()
        if not value:
            continue
        if not image_is_valid(value):
            raise RemoteConfigError(f"{source}: {value!r} is not a container image "
                                    "reference (REGISTRY/PATH:TAG or @sha256:DIGEST)")
        return value
    raise RemoteConfigError(MISSING_IMAGE)


@dataclass(frozen=True)
class BatchSettings:
    """Where and how jobs run. ``repository`` is gs://BUCKET[/PREFIX] holding the
    managed repository (repository paths are relative to it). ``image`` None means:
    take it from the environment (`resolve_image`)."""

    project: str
    region: str
    repository: str
    image: str | None = None
    machine_type: str = "e2-standard-4"
    cpu_milli: int = 4000
    memory_mib: int = 15 * 1024
    java_heap_fraction: float = 0.75
    max_run_duration_s: int = 24 * 3600
    boot_disk_mib: int | None = None
    spot: bool = False
    service_account: str | None = None      # email; default: Compute default SA
    network: str | None = None
    subnetwork: str | None = None
    no_external_ip: bool = False
    job_prefix: str = "omero-ngff"
    labels: dict[str, str] = field(default_factory=dict)
    api_endpoint: str | None = None         # e.g. a local stub; default: Google's
    max_attempts: int = 3

    @property
    def parent(self) -> str:
        return f"projects/{self.project}/locations/{self.region}"

    def repository_bucket_prefix(self) -> tuple:
        parts = urllib.parse.urlsplit(self.repository)
        if parts.scheme != "gs" or not parts.netloc:
            raise RemoteConfigError(f"--repository-bucket {self.repository!r} must be "
                                    "gs://BUCKET[/PREFIX]")
        return parts.netloc, parts.path.strip("/")


@dataclass(frozen=True)
class FilesetJob:
    """One conversion: a fileset's main file (its managed-repository path) to an
    output folder under the destination."""

    fileset_id: int
    repo_path: str                     # relative to the repository root
    output: str                        # relative to the destination prefix
    image_ids: Sequence[int] = ()      # for the record (labels), not the job identity
