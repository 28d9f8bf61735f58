"""Helpers of the ownership tests: one dev server (tests/catalogues/ownership.yaml) shared
by a module, a fresh bucket and a namespace of its own per test (so that tests share
the server without seeing each other's annotations), the real CLI in-process, and the
checks every scenario ends with: per-object digests of the data it did not mean to
touch, and every annotation pointing at a copy of its own image."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from pathlib import Path

import requests

from omero_cli_ngff.model.annotation import KEYS
from omero_cli_ngff.omero_io import annotations
from omero_cli_ngff.storage.ownership import OWNER_RECORD, Owner
from test_infra.fake_gcs import create_bucket, object_items
from tests.helpers.cli import invoke, json_rows

CATALOGUE = Path(__file__).resolve().parent.parent / "catalogues" / "ownership.yaml"


class OwnWorld:
    """A bucket and a namespace of this test's on the shared server."""

    def __init__(self, server, emulator, capsys, bucket: str | None = None,
                 prefix: str = "data"):
        self.server = server
        self.emulator = emulator
        self.capsys = capsys
        self.bucket = bucket or create_bucket(emulator.url, f"own-{uuid.uuid4().hex[:10]}")
        self.prefix = prefix
        self.namespace = f"test.example.org/zarr/{uuid.uuid4().hex[:8]}"
        self.outputs: list[str] = []

    @property
    def dest(self) -> str:
        return f"gs://{self.bucket}/{self.prefix}"

    def public(self, rel: str = "") -> str:
        return f"{self.emulator.url}/{self.bucket}/{self.prefix}/{rel}"

    def argv(self, command: str, *args: str, user: str = "root", dest: str | None = None,
             namespace: bool = True) -> list[str]:
        argv = ["ngff", command, *args]
        if command == "publish":
            argv += ["--dest", dest or self.dest]
        if namespace:
            argv += ["--namespace", self.namespace]
        login = self.server.cli_login_args(user)
        return argv + login + (["-g", "-1"] if user == "root" else [])

    def publish(self, *args: str, user: str = "root", dest: str | None = None,
                namespace: bool = True):
        """(exit code, rows, stderr) of `omero ngff publish ... --style json`."""
        rv, out, err = invoke(self.argv("publish", *args, "--style", "json", user=user,
                                        dest=dest, namespace=namespace), self.capsys)
        self.outputs += [out, err]
        return rv, json_rows(out), err

    def copies(self, ids: Iterable[int], ns: str | None = None) -> dict:
        conn = self.server.connect("root")
        try:
            return annotations.read(conn, list(ids), ns or self.namespace)
        finally:
            conn.close()

    def objects(self, prefix: str | None = None) -> dict[str, str]:
        """Object name -> its md5 (per-object digests), under the prefix."""
        return digests(self.emulator.url, self.bucket,
                       self.prefix + "/" if prefix is None else prefix)


def digests(url: str, bucket: str, prefix: str = "") -> dict[str, str]:
    return {item["name"]: item.get("md5Hash") or item.get("crc32c") or ""
            for item in object_items(url, bucket, prefix)}


def under(objects: dict[str, str], *roots: str) -> dict[str, str]:
    """The objects of some roots (names relative to the bucket)."""
    return {k: v for k, v in objects.items() if any(k.startswith(r.rstrip("/") + "/")
                                                    for r in roots)}


def assert_unchanged(before: dict[str, str], after: dict[str, str], *roots: str) -> None:
    """Every object of these roots is still there, byte for byte (md5), and no other."""
    kept = under(before, *roots)
    assert kept, f"nothing was there to keep under {roots}"
    assert under(after, *roots) == kept


def assert_annotations_point_at_own_copies(world: OwnWorld, ids: Iterable[int],
                                           foreign: Iterable[int] = ()) -> None:
    """Every annotation of the namespace with the tool's keys (bar the ``foreign`` ones
    the test wrote on purpose) points at an image group whose root's ownership record
    names its image, and whose full resolution has the image's size."""
    records = world.server.catalogue.images
    skip = set(foreign)
    for image_id, copies in world.copies(ids).items():
        for copy in copies:
            if copy.annotation_id in skip or sorted(k for k, _ in copy.pairs) != sorted(KEYS):
                continue
            url = copy.zarr_path
            assert url and url.endswith("/"), url
            base = f"{world.emulator.url}/{world.bucket}/"
            assert url.startswith(base), url
            rel = requests.utils.unquote(url[len(base):]).rstrip("/")
            root, _, series = rel.rpartition("/")
            record = _get(world, f"{root}/{OWNER_RECORD}")
            assert record is not None, f"Image:{image_id}: no ownership record at {root}"
            assert Owner.parse(record).object == f"Image:{image_id}", (image_id, url)
            meta = json.loads(requests.get(url + "zarr.json", timeout=10).content)
            level0 = meta["attributes"]["ome"]["multiscales"][0]["datasets"][0]["path"]
            shape = json.loads(requests.get(f"{url}{level0}/zarr.json", timeout=10).content)
            px = records[image_id].pixels
            assert shape["shape"][-2:] == [px.size_y, px.size_x], (image_id, url)


def _get(world: OwnWorld, name: str) -> bytes | None:
    from test_infra.fake_gcs import get_object
    return get_object(world.emulator.url, world.bucket, name)


def foreign_annotation(server, user: str, image_id: int, namespace: str,
                       pairs: list[tuple[str, str]]) -> int:
    """Another user's annotation in the namespace, made with stock BlitzGateway calls
    (MapAnnotationWrapper, linkAnnotation) as any OMERO client would: its id."""
    from omero.gateway import MapAnnotationWrapper

    conn = server.connect(user, group=None)
    try:
        image = conn.getObject("Image", image_id)
        assert image is not None, f"{user} cannot see Image:{image_id}"
        conn.SERVICE_OPTS.setOmeroGroup(image.getDetails().getGroup().getId())
        ann = MapAnnotationWrapper(conn)
        ann.setNs(namespace)
        ann.setValue([list(p) for p in pairs])
        ann.save()
        image.linkAnnotation(ann)
        return ann.getId()
    finally:
        conn.close()


def tool_pairs(url: str, version: str = "0.5") -> list[tuple[str, str]]:
    return [("zarr_path", url), ("ngff_version", version),
            ("zarr_conversion_date", "2024-01-01T00:00:00+00:00")]
