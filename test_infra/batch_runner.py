"""The Batch stub's fake runner: what happens when a job's container runs.

It runs nothing; it decides the outcome the way the real run would end, and writes
what bioformats2raw 0.12 would have written (test_infra.bf2raw_fake):

- the image must be one of the stub's existing images (else the pull fails);
- the command is the image's ENTRYPOINT (or the spec's ``entrypoint``) followed by
  ``commands`` (Runnable.Container: commands "are appended as arguments to the
  ENTRYPOINT");
- a container that does not run as root cannot touch a gcsfuse mount made without
  ``-o allow_other`` (gcsfuse docs/semantics.md, "Permissions and ownership"; Batch
  mounts as root), and cannot write a read-only one;
- an option the image's bioformats2raw does not have ends the run like picocli does
  (exit 2, "Unknown option"): --ngff-version and --shard-* exist from 0.12.0;
- the recipe's entrypoint (containers/bioformats2raw) leaves the version record.

Real Batch reports a failed task as "Task state is updated from RUNNING to FAILED ...
with exit code N"; the reason appended here is the stub's, for readable tests (on real
Batch it is in the job's logs).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from omero_cli_ngff.remote.converter_version import VERSION_RECORD, version_tuple
from test_infra.batch_rules import mount_options_of
from test_infra.bf2raw_fake import Bf2rawRun, write_bf2raw_output

__all__ = ["StubImage", "Outcome", "FakeRunner", "RECIPE_ENTRYPOINT", "TEST_IMAGE",
           "default_images"]

RECIPE_ENTRYPOINT = "/usr/local/bin/bf2raw-job"      # containers/bioformats2raw/Dockerfile
BF2RAW_COMMANDS = ("bioformats2raw", "/usr/local/bin/bioformats2raw")
TEST_IMAGE = "registry.example/omero-ngff/bioformats2raw:0.12.1-1"

# bioformats2raw options (Converter.java); those that take no value
FLAGS = {"--overwrite", "--no-hcs", "--no-minmax", "--no-nested", "--no-root-group",
         "--no-ome-meta-export", "--no-original-metadata", "--keep-memo-files",
         "--use-existing-resolutions", "--progress", "-p", "--warn-no-exec", "--compact",
         "--no-tiles", "--debug"}
VALUED = {"--compression", "-c", "--compression-properties", "--tile-width", "-w",
          "--tile-height", "-h", "--chunk-depth", "-z", "--resolutions", "-r",
          "--target-min-size", "--max-workers", "--max-cached-tiles", "--series", "-s",
          "--memo-directory", "--log-level", "--extra-readers", "--options",
          "--downsample-type", "--fill-value", "--pyramid-name", "--scale-format-string",
          "--dimension-order", "--output-options"}
SINCE_0_12 = {"--ngff-version", "--shard-width", "--shard-height", "--shard-depth"}
COMPRESSIONS = {(0, 0, 0): {"raw", "null", "zlib", "blosc"},
                (0, 12, 0): {"raw", "null", "zlib", "blosc", "gzip", "zstd"}}


@dataclass(frozen=True)
class StubImage:
    """An image that exists in the registry: the bioformats2raw it runs, its user and
    its ENTRYPOINT."""

    bioformats2raw: str = "0.12.1"
    user: str = "root"
    entrypoint: str = RECIPE_ENTRYPOINT

    def version_text(self) -> str:
        return (f"Version = {self.bioformats2raw}\nBio-Formats version = 8.3.0\n"
                "NGFF specification version = 0.4\n")


def default_images() -> Dict[str, StubImage]:
    return {TEST_IMAGE: StubImage()}


@dataclass
class Outcome:
    state: str                          # SUCCEEDED or FAILED
    description: str = ""


def _failed(code: int, reason: str) -> Outcome:
    return Outcome("FAILED", "Task state is updated from RUNNING to FAILED with exit code "
                             f"{code}: {reason}")


def _parse_bf2raw(args: list, version: str) -> Tuple[Optional[dict], Optional[str]]:
    """(options, None) or (None, picocli's complaint) for a bioformats2raw argv."""
    numbers = version_tuple(version) or (0, 0, 0)
    known = VALUED | (SINCE_0_12 if numbers >= (0, 12, 0) else set())
    opts: dict = {"positional": [], "props": {}}
    i = 0
    while i < len(args):
        arg = args[i]
        name, eq, value = arg.partition("=")
        if not arg.startswith("-"):
            opts["positional"].append(arg)
        elif name in FLAGS:
            opts[name] = True
        elif name in known:
            if not eq:
                i += 1
                if i >= len(args):
                    return None, f"Missing required parameter for option '{name}'"
                value = args[i]
            if name == "--compression-properties":
                key, _, val = value.partition("=")
                opts["props"][key] = val
            else:
                opts[name] = value
        else:
            return None, f"Unknown option: '{name}'"
        i += 1
    allowed = COMPRESSIONS[max(k for k in COMPRESSIONS if numbers >= k)]
    if opts.get("--compression", "blosc") not in allowed:
        return None, f"Invalid value for option '--compression': {opts['--compression']}"
    if len(opts["positional"]) != 2:
        return None, "Missing required parameters: INPUT OUTPUT"
    return opts, None


def _run(opts: dict) -> Bf2rawRun:
    def num(flag: str, default: int) -> int:
        return int(opts.get(flag, default))
    return Bf2rawRun(ngff_version=opts.get("--ngff-version", "0.4"),
                     tile=(num("--tile-width", 1024), num("--tile-height", 1024)),
                     chunk_depth=num("--chunk-depth", 1),
                     shard=(num("--shard-width", 1024), num("--shard-height", 1024),
                            num("--shard-depth", 1)),
                     compression=opts.get("--compression", "blosc"),
                     properties=dict(opts["props"]))


class FakeRunner:
    """Runs a job's container in the stub's imagination (see the module doc)."""

    def __init__(self, stub):
        self.stub = stub

    def _user(self, container: dict, image: StubImage) -> str:
        tokens = shlex.split(container.get("options") or "")
        for i, token in enumerate(tokens):
            if token in ("--user", "-u") and i + 1 < len(tokens):
                return tokens[i + 1]
            if token.startswith("--user="):
                return token.split("=", 1)[1]
        return image.user

    def _mount_of(self, task: dict, container: dict, path: str):
        """(volume, read-only) of the gcsfuse mount holding ``path`` in the container;
        None when no mount holds it. Without container.volumes every task volume is
        mounted at its own path, read-write (Runnable.Container.volumes)."""
        volumes = {v.get("mountPath", "").rstrip("/"): v for v in task.get("volumes") or []}
        binds = [s.split(":") for s in container.get("volumes") or []]
        if not binds:
            binds = [[p, p, "rw"] for p in volumes]
        for bind in binds:
            host, inside = bind[0].rstrip("/"), bind[1].rstrip("/")
            if path.startswith(inside + "/") and host in volumes:
                vol = volumes[host]
                fuse = [o for t in mount_options_of(vol) for o in t.split(",")]
                read_only = "ro" in (bind[2:] or [""])[0].split(",") or "ro" in fuse
                return vol, read_only, "allow_other" in fuse
        return None

    def _access(self, task, container, image, path, write) -> Optional[Outcome]:
        found = self._mount_of(task, container, path)
        if found is None:
            return _failed(1, f"{path}: No such file or directory")
        _, read_only, allow_other = found
        user = self._user(container, image)
        if user.split(":")[0] not in ("root", "0") and not allow_other:
            return _failed(1, f"{path}: Permission denied (the container runs as {user} "
                              "and the gcsfuse mount has no -o allow_other)")
        if write and read_only:
            return _failed(1, f"{path}: Read-only file system")
        return None

    def run(self, job_id: str, job: dict) -> Outcome:
        task = job["taskGroups"][0]["taskSpec"]
        runnable = task["runnables"][0]
        container = runnable.get("container")
        if container is None:                       # scripts: nothing to imagine
            return Outcome("SUCCEEDED")
        image = self.stub.images.get(container["imageUri"])
        if image is None:
            return _failed(125, f"pulling {container['imageUri']}: manifest unknown")
        argv = [container.get("entrypoint") or image.entrypoint,
                *container.get("commands", [])]
        if argv[0] not in (RECIPE_ENTRYPOINT, *BF2RAW_COMMANDS):
            return _failed(127, f"exec {argv[0]!r}: no such file or directory")
        opts, complaint = _parse_bf2raw(argv[1:], image.bioformats2raw)
        src, out = opts["positional"] if opts else (list(argv[1:3]) + ["", ""])[:2]
        for path, write in ((src, False), (out, True)):
            if path.startswith("/"):
                denied = self._access(task, container, image, path, write)
                if denied:
                    return denied
        outcome = _failed(2, complaint) if complaint else Outcome("SUCCEEDED")
        if not complaint:
            self._write(job_id, job, _run(opts))
        if argv[0] == RECIPE_ENTRYPOINT and out.startswith("/"):
            self._write_record(job, out, image)
        return outcome

    def _url(self, job: dict, path: str) -> Optional[str]:
        from test_infra.batch_stub import job_output_location
        loc = job_output_location(job, path)
        return f"gs://{loc[0]}/{loc[1]}" if loc else None

    def _write(self, job_id: str, job: dict, run: Bf2rawRun) -> None:
        url = self._url(job, job["taskGroups"][0]["taskSpec"]["runnables"][0]["container"]
                        ["commands"][1])
        if url is None or not self.stub.write_outputs:
            return
        stub = self.stub
        write_bf2raw_output(url, run=run, series=stub.series_for.get(job_id, stub.series),
                            size=stub.size, plate=stub.plates_for.get(job_id, stub.plate),
                            series_attribute=stub.series_attribute,
                            storage_options=stub.storage_options())

    def _write_record(self, job: dict, out: str, image: StubImage) -> None:
        import fsspec
        url = self._url(job, out)
        if url is not None:
            with fsspec.open(f"{url}/{VERSION_RECORD}", "w",
                             **self.stub.storage_options()) as f:
                f.write(image.version_text())
