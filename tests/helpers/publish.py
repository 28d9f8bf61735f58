"""Helpers of the publish tests: a dev server with the small publish catalogue, a
bucket on the object-store emulator, the real CLI in-process, and what to look at."""

from __future__ import annotations

import os
import re
from pathlib import Path

import requests

from omero_cli_ngff.model.annotation import DEFAULT_NAMESPACE
from omero_cli_ngff.omero_io import annotations
from omero_cli_ngff.storage import fetch_metadata
from tests.helpers.cli import invoke, json_rows

CATALOGUE = Path(__file__).resolve().parent.parent / "catalogues" / "publish.yaml"
NS = DEFAULT_NAMESPACE
SMALL = [1, 2, 3, 11, 12]           # Project:1
MANY = list(range(40, 48))          # Project:3


class World:
    """One dev server + one bucket; `publish(...)` runs `omero ngff publish`."""

    def __init__(self, server, emulator, bucket, capsys, prefix="data"):
        self.server = server
        self.emulator = emulator
        self.bucket = bucket
        self.capsys = capsys
        self.prefix = prefix
        self.outputs: list[str] = []
        self.public_base = emulator.url       # the fault proxy's URL when it is used

    @property
    def dest(self) -> str:
        return f"gs://{self.bucket}/{self.prefix}"

    def argv(self, *args, user="alice", dest=True):
        argv = ["ngff", "publish", *args]
        if dest:
            argv += ["--dest", self.dest]
        return argv + self.server.cli_login_args(user)

    def publish(self, *args, user="alice", style="json", dest=True):
        """(exit code, rows (json) or text, stderr)."""
        argv = self.argv(*args, user=user, dest=dest) + ["--style", style]
        rv, out, err = invoke(argv, self.capsys)
        self.outputs += [out, err]
        return rv, (json_rows(out) if style == "json" else out), err

    def copies(self, ids, ns=NS) -> dict:
        conn = self.server.connect("root")
        try:
            return annotations.read(conn, ids, ns)
        finally:
            conn.close()

    def objects(self, prefix=None) -> list:
        from test_infra.fake_gcs import list_objects
        return list_objects(self.emulator.url, self.bucket,
                            self.prefix + "/" if prefix is None else prefix)

    def public(self, rel="") -> str:
        return f"{self.public_base}/{self.bucket}/{self.prefix}/{rel}"


def by_image(rows) -> dict:
    return {int(r["image_id"]): r for r in rows}


def assert_published_once(world: World, ids, version="0.5"):
    """Every image: exactly one annotation in the namespace, whose URL answers."""
    copies = world.copies(ids)
    urls = {}
    for image_id in ids:
        found = copies.get(image_id, [])
        assert len(found) == 1, (image_id, found)
        copy = found[0]
        assert copy.ngff_version == version
        assert re.search(r"/\d+/$", copy.zarr_path), copy.zarr_path
        assert copy.zarr_path.startswith(world.public()), copy.zarr_path
        assert copy.conversion_date and "T" in copy.conversion_date
        fetch_metadata(copy.zarr_path, version)
        urls[image_id] = copy.zarr_path
    return urls


def roots_in_bucket(world: World) -> set:
    """The image roots (`X.ome.zarr`) holding data under the prefix."""
    roots = set()
    for name in world.objects():
        rel = name[len(world.prefix) + 1:]
        if rel.startswith(".omero-ngff/"):
            continue
        parts = rel.split("/")
        for i, part in enumerate(parts):
            if part.endswith(".zarr"):
                roots.add("/".join(parts[: i + 1]))
                break
    return roots


def assert_nothing_orphaned(world: World, urls: dict):
    expected = {u[len(world.public()):].rstrip("/").rsplit("/", 1)[0] for u in urls.values()}
    assert roots_in_bucket(world) == expected
    leftovers = [n for n in world.objects() if "/.omero-ngff/" in n]
    assert leftovers == []


def assert_no_secrets(world: World, texts=()):
    """Passwords and session keys appear nowhere."""
    # root's dev password "omero" is a word of the product itself: not a useful probe
    secrets = {pw for pw in world.server.users.values() if pw != "omero"}
    conn = world.server.connect("alice")
    try:
        secrets.add(conn.getEventContext().sessionUuid)
    finally:
        conn.close()
    for text in list(world.outputs) + list(texts):
        for secret in secrets:
            assert secret not in text, f"a secret appears in: {text[:200]}"


def http_get(url):
    return requests.get(url, timeout=10)


def env_isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("OMERO_SESSIONDIR", str(tmp_path / "omero-sessions"))
    monkeypatch.setenv("OMERO_USERDIR", str(tmp_path / "omero-user"))
    monkeypatch.delenv("OMERODIR", raising=False)
    os.makedirs(tmp_path / "omero-sessions", exist_ok=True)
