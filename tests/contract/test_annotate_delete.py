"""Annotate and delete: what the plugin writes is what stock omero-py reads back, and
duplicates it removes are gone (Delete2 waited for and checked)."""

import pytest
import requests
from omero.gateway import MapAnnotationWrapper

from omero_cli_ngff.omero_io import annotations
from tests.contract.conftest import FLAT, PYRAMID
from tests.helpers.cli import invoke, json_rows

pytestmark = pytest.mark.devserver   # the dev server, unless a real one is given


def stock_annotations(conn, image_id, ns):
    """(annotation id, owner name, pairs) of the image's map annotations in `ns`."""
    image = conn.getObject("Image", image_id)
    return [(a.getId(), a.getDetails().getOwner().getOmeName(), dict(a.getValue()))
            for a in image.listAnnotations(ns=ns)]


def publish(server, capsys, www, image_id, namespace, login):
    """`omero ngff publish Image:ID` into the served folder: (exit code, rows, stderr)."""
    dest, folder_server = www
    rv, out, err = invoke(["ngff", "publish", f"Image:{image_id}", "--dest", str(dest),
                           "--public-url", folder_server.url, "--namespace", namespace,
                           "--style", "json", *login], capsys)
    return rv, json_rows(out), err


def test_publish_annotates_what_stock_omero_py_reads(contract_server, content, connect,
                                                     www, capsys, namespace):
    image_id = content.images[FLAT]
    login = contract_server.cli_login_args("alice")
    rv, rows, err = publish(contract_server, capsys, www, image_id, namespace, login)
    assert rv == 0, err
    assert [r["status"] for r in rows] == ["published"]
    (found,) = stock_annotations(connect("alice"), image_id, namespace)
    ann_id, owner, pairs = found
    assert owner == "alice"
    assert pairs["ngff_version"] == "0.5" and pairs["zarr_conversion_date"]
    assert pairs["zarr_path"].startswith(www[1].url + "/")
    assert requests.get(pairs["zarr_path"] + "zarr.json", timeout=10).status_code == 200
    # a rerun changes nothing
    rv, rows, err = publish(contract_server, capsys, www, image_id, namespace, login)
    assert rv == 0 and [r["status"] for r in rows] == ["skipped"], err
    assert [a for a, _, _ in stock_annotations(connect("alice"), image_id,
                                               namespace)] == [ann_id]


def test_duplicates_are_merged_and_deleted(contract_server, content, connect, www,
                                           capsys, namespace):
    image_id = content.images[FLAT]
    login = contract_server.cli_login_args("alice")
    rv, _, err = publish(contract_server, capsys, www, image_id, namespace, login)
    assert rv == 0, err
    conn = connect("alice")
    (found,) = stock_annotations(conn, image_id, namespace)
    twin = MapAnnotationWrapper(conn)
    twin.setNs(namespace)
    twin.setValue([[k, v] for k, v in found[2].items()])
    conn.getObject("Image", image_id).linkAnnotation(twin)
    assert len(stock_annotations(conn, image_id, namespace)) == 2
    rv, rows, err = publish(contract_server, capsys, www, image_id, namespace, login)
    assert rv == 0, err
    assert rows[0]["status"] == "restored"
    assert len(stock_annotations(connect("alice"), image_id, namespace)) == 1


def test_remove_deletes_and_checks(content, connect, namespace):
    conn = connect("alice")
    image_id = content.images[PYRAMID]
    for value in ("a", "b"):
        ann = MapAnnotationWrapper(conn)
        ann.setNs(namespace)
        ann.setValue([["zarr_path", value]])
        conn.getObject("Image", image_id).linkAnnotation(ann)
    copies = annotations.read(conn, [image_id], namespace)[image_id]
    assert len(copies) == 2 and all(c.can_edit for c in copies)
    annotations.remove(conn, copies)
    assert stock_annotations(conn, image_id, namespace) == []
    assert conn.getObject("MapAnnotation", copies[0].annotation_id) is None
